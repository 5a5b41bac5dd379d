//! Unix `ls -l` lines: `drwxr-xr-x 2 user group 4096 Mar  4  2019 name`.

use arrayvec::ArrayVec;

use super::entry::{spans, EntryKind, ListEntry, ListStyle};
use super::mlsx::parse_decimal;
use super::time::{month_from_name, ListTime};
use super::ListingError;

/// Most columns looked at before the name: permissions, links, owner, group, size (or two
/// device numbers), month, day, year/time, with room for servers that add a column.
const MAX_COLUMNS: usize = 12;

/// Whether `line` is the `total 12` (or `total 12K`) summary of `ls -l`.
pub(crate) fn is_total_line(line: &[u8]) -> bool {
    let Some(rest) = line
        .get(..5)
        .filter(|w| w.eq_ignore_ascii_case(b"total"))
        .and_then(|w| line.get(w.len()..))
    else {
        return false;
    };
    let rest = rest.trim_ascii();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0
        && match rest.get(digits..) {
            Some([]) => true,
            Some([unit]) => b"kKmMgG".contains(unit),
            _ => false,
        }
}

/// The type letters of an `ls -l` permission column: file, directory, link, character and
/// block device, FIFO, socket, door, and `?` (GNU `ls` for a type it does not know).
pub(crate) const TYPE_LETTERS: &[u8] = b"-dlcbpsD?";

/// Whether `c` is a type letter the parser reads as [`EntryKind::Other`].
pub(crate) fn is_other_type_letter(c: u8) -> bool {
    TYPE_LETTERS.contains(&c) && !b"-dl".contains(&c)
}

/// Whether `tok` is an `ls -l` permission column: a type letter, nine permission letters,
/// and maybe one of `+` (ACL), `@` (extended attributes), `.` (security context).
fn is_permissions(tok: &[u8]) -> bool {
    let Some((&kind, rest)) = tok.split_first() else {
        return false;
    };
    let (bits, extra) = rest.split_at(rest.len().min(9));
    TYPE_LETTERS.contains(&kind)
        && bits.len() == 9
        && bits.iter().all(|b| b"rwxsStTlL-".contains(b))
        && matches!(extra, [] | [b'+' | b'@' | b'.'])
}

/// The permission bits of an `ls -l` permission column (`-rwsr-x--T` -> `0o5750`); `None` if
/// it is not one.
pub(crate) fn mode_from_permissions(p: &[u8]) -> Option<u32> {
    if !is_permissions(p) {
        return None;
    }
    let bits = p.get(1..10)?;
    let mut mode = 0u32;
    for (i, &b) in bits.iter().enumerate() {
        // cannot fire: i < 9, so `who` indexes the three-element arrays below in bounds.
        let who = i / 3; // 0 user, 1 group, 2 other
        let plain = 1u32 << (8 - i); // i < 9: r/w/x bit of this position
        let special = [0o4000, 0o2000, 0o1000][who];
        // Set-user-id, set-group-id, sticky: lower case with execute, upper case without.
        let (with_x, without_x) = [(b's', b'S'), (b's', b'S'), (b't', b'T')][who];
        mode |= match (i % 3, b) {
            (_, b'-') => 0,
            (0, b'r') | (1, b'w') | (2, b'x') => plain,
            (2, c) if c == with_x => plain | special,
            (2, c) if c == without_x => special,
            // Mandatory locking shows as `l` in the group execute position.
            (2, b'l' | b'L') if who == 1 => special,
            _ => return None,
        };
    }
    Some(mode)
}

fn is_number(tok: &[u8]) -> bool {
    !tok.is_empty() && tok.iter().all(u8::is_ascii_digit)
}

fn number(tok: &[u8]) -> Result<u64, ListingError> {
    parse_decimal(tok).ok_or(ListingError::NumberOverflow)
}

fn device_number(tok: &[u8]) -> Result<u32, ListingError> {
    u32::try_from(number(tok)?).map_err(|_| ListingError::NumberOverflow)
}

/// What the last date column shows: a year, or an hour and minute.
type YearOrTime = (Option<u16>, Option<(u8, u8)>);

/// The year (4 digits) or time of day (`H:MM`, `HH:MM`) column.
fn year_or_time(tok: &[u8]) -> Option<YearOrTime> {
    let two = |s: &[u8]| -> Option<u8> {
        if s.len() > 2 || !is_number(s) {
            return None;
        }
        parse_decimal(s).and_then(|n| u8::try_from(n).ok())
    };
    match tok {
        [_, _, _, _] if is_number(tok) => {
            let year = u16::try_from(parse_decimal(tok)?).ok()?;
            Some((Some(year), None))
        }
        _ => {
            let colon = memchr::memchr(b':', tok)?;
            let h = two(tok.get(..colon)?)?;
            let m = tok.get(colon + 1..).filter(|m| m.len() == 2)?;
            Some((None, Some((h, two(m)?))))
        }
    }
}

/// Finds the date columns: (index of the month column, the time).
fn find_date(line: &[u8], cols: &[(usize, usize)]) -> Option<(usize, ListTime)> {
    let tok = |i: usize| cols.get(i).and_then(|&(s, e)| line.get(s..e));
    (2..cols.len()).find_map(|i| {
        let month = month_from_name(tok(i)?)?;
        let day = tok(i + 1).filter(|d| is_number(d) && d.len() <= 2)?;
        let day = u8::try_from(parse_decimal(day)?).ok()?;
        let (year, time) = year_or_time(tok(i + 2)?)?;
        let size = tok(i - 1)?;
        let size_like = is_number(size) || size.contains(&b',');
        size_like.then_some(())?;
        Some((i, ListTime::new(year, month, day, time)?))
    })
}

/// Parses an `ls -l` line (without line end). See [`super::parse_list_line`].
pub(crate) fn parse_unix_line(line: &[u8]) -> Result<ListEntry<'_>, ListingError> {
    let cols: ArrayVec<(usize, usize), MAX_COLUMNS> = spans(line).take(MAX_COLUMNS).collect();
    let tok = |i: usize| -> &[u8] {
        cols.get(i)
            .and_then(|&(s, e)| line.get(s..e))
            .unwrap_or_default()
    };
    let permissions = tok(0);
    if !is_permissions(permissions) {
        return Err(ListingError::Unrecognized);
    }
    let (month_col, modified) = find_date(line, &cols).ok_or(ListingError::Unrecognized)?;

    // The size column, or the device numbers `4, 64` / `4,64` of a device file.
    let size_tok = tok(month_col - 1);
    let (size, device, meta_end) = if let Some(comma) = memchr::memchr(b',', size_tok) {
        let major = size_tok.get(..comma).unwrap_or_default();
        let minor = size_tok.get(comma + 1..).unwrap_or_default();
        let dev = (device_number(major)?, device_number(minor)?);
        (None, Some(dev), month_col - 1)
    } else {
        let before = tok(month_col - 2);
        match before.strip_suffix(b",") {
            Some(major) if month_col >= 3 && is_number(major) => {
                let dev = (device_number(major)?, device_number(size_tok)?);
                (None, Some(dev), month_col - 2)
            }
            _ => (Some(number(size_tok)?), None, month_col - 1),
        }
    };

    // Between the permissions and the size: links, owner, group, in that order, any of which
    // a server may leave out.
    let meta: ArrayVec<&[u8], MAX_COLUMNS> = (1..meta_end).map(tok).collect();
    let (links, owner, group) = match meta.as_slice() {
        [] => (None, None, None),
        [one] if is_number(one) => (Some(number(one)?), None, None),
        [one] => (None, Some(*one), None),
        [a, b] if is_number(a) => (Some(number(a)?), Some(*b), None),
        [a, b] => (None, Some(*a), Some(*b)),
        [a, b, ..] => {
            // The group runs to the size column (a group name with spaces).
            let start = cols.get(3).map_or(0, |c| c.0);
            let end = cols.get(meta_end - 1).map_or(0, |c| c.1);
            let group = line.get(start..end).unwrap_or_default();
            if is_number(a) {
                (Some(number(a)?), Some(*b), Some(group))
            } else {
                (None, Some(*a), Some(group))
            }
        }
    };

    // The name starts after exactly one separator following the year/time column, so names
    // that begin with spaces survive.
    let date_end = cols.get(month_col + 2).map_or(line.len(), |c| c.1);
    let name = line.get(date_end + 1..).unwrap_or_default();
    if name.is_empty() {
        return Err(ListingError::EmptyName);
    }
    let (kind, name) = match permissions.first() {
        Some(b'-') => (EntryKind::File, name),
        Some(b'd') => (EntryKind::Directory, name),
        // The first ` -> ` after the first byte: a name is never empty.
        Some(b'l') => match name.get(1..).and_then(|n| memchr::memmem::find(n, b" -> ")) {
            Some(at) => {
                let arrow = at + 1;
                (
                    EntryKind::Symlink {
                        target: name.get(arrow + 4..),
                    },
                    name.get(..arrow).unwrap_or_default(),
                )
            }
            None => (EntryKind::Symlink { target: None }, name),
        },
        Some(&other) => (EntryKind::Other(other), name),
        None => return Err(ListingError::Unrecognized),
    };
    Ok(ListEntry {
        style: ListStyle::Unix,
        kind,
        name,
        size,
        device,
        modified: Some(modified),
        permissions: Some(permissions),
        owner,
        group,
        links,
    })
}
