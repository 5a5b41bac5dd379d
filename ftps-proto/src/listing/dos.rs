//! DOS / IIS `LIST` lines: `01-02-24  01:30PM       <DIR>          name`.

use arrayvec::ArrayVec;

use super::entry::{spans, EntryKind, ListEntry, ListStyle};
use super::mlsx::parse_decimal;
use super::time::ListTime;
use super::ListingError;

/// Reads a number of 1 to `max_len` digits.
fn small(s: &[u8], max_len: usize) -> Option<u16> {
    if s.is_empty() || s.len() > max_len {
        return None;
    }
    parse_decimal(s).and_then(|n| u16::try_from(n).ok())
}

/// `MM-DD-YY` or `MM-DD-YYYY` (also with `/`); two-digit years below 70 are 20xx.
fn parse_date(tok: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = tok.split(|&b| b == b'-' || b == b'/');
    let month = u8::try_from(small(parts.next()?, 2)?).ok()?;
    let day = u8::try_from(small(parts.next()?, 2)?).ok()?;
    let year_tok = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = match year_tok.len() {
        2 => {
            let y = small(year_tok, 2)?;
            if y < 70 {
                2000 + y
            } else {
                1900 + y
            }
        }
        4 => small(year_tok, 4)?,
        _ => return None,
    };
    Some((year, month, day))
}

/// `HH:MM` (24-hour) or `HH:MMAM` / `HH:MMPM`, the suffix maybe in its own column.
fn parse_time(tok: &[u8], suffix: Option<&[u8]>) -> Option<(u8, u8)> {
    let is_marker = |s: &[u8]| s.eq_ignore_ascii_case(b"AM") || s.eq_ignore_ascii_case(b"PM");
    let attached = tok.len().checked_sub(2).and_then(|i| {
        let (clock, marker) = (tok.get(..i)?, tok.get(i..)?);
        is_marker(marker).then_some((clock, marker))
    });
    let (clock, ampm) = match attached {
        Some((clock, marker)) => (clock, Some(marker)),
        None => (tok, suffix),
    };
    let colon = memchr::memchr(b':', clock)?;
    let hour = u8::try_from(small(clock.get(..colon)?, 2)?).ok()?;
    let minute_tok = clock.get(colon + 1..).filter(|m| m.len() == 2)?;
    let minute = u8::try_from(small(minute_tok, 2)?).ok()?;
    let hour = match ampm {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(s) if s.eq_ignore_ascii_case(b"AM") => hour % 12,
        Some(_) => hour % 12 + 12,
    };
    Some((hour, minute))
}

/// Parses a DOS/IIS line (without line end). See [`super::parse_list_line`].
pub(crate) fn parse_dos_line(line: &[u8]) -> Result<ListEntry<'_>, ListingError> {
    let cols: ArrayVec<(usize, usize), 5> = spans(line).take(5).collect();
    let tok = |i: usize| cols.get(i).and_then(|&(s, e)| line.get(s..e));
    let (year, month, day) = tok(0)
        .and_then(parse_date)
        .ok_or(ListingError::Unrecognized)?;
    // The AM/PM marker may be a column of its own (`01:30 PM`).
    let split_suffix =
        tok(2).filter(|s| s.eq_ignore_ascii_case(b"AM") || s.eq_ignore_ascii_case(b"PM"));
    let time = tok(1)
        .and_then(|t| parse_time(t, split_suffix))
        .ok_or(ListingError::Unrecognized)?;
    let size_col = if split_suffix.is_some() { 3 } else { 2 };
    let size_tok = tok(size_col).ok_or(ListingError::Unrecognized)?;
    let (kind, size) = if size_tok.eq_ignore_ascii_case(b"<DIR>") {
        (EntryKind::Directory, None)
    } else if !size_tok.is_empty() && size_tok.iter().all(|b| b.is_ascii_digit() || *b == b',') {
        // Thousands separators are skipped: 1,234 is 1234.
        let size = size_tok
            .iter()
            .filter(|b| b.is_ascii_digit())
            .try_fold(0u64, |acc, b| {
                acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
            .ok_or(ListingError::NumberOverflow)?;
        (EntryKind::File, Some(size))
    } else {
        return Err(ListingError::Unrecognized);
    };
    let modified =
        ListTime::new(Some(year), month, day, Some(time)).ok_or(ListingError::Unrecognized)?;
    // The name starts after the blanks that follow the size column.
    let size_end = cols.get(size_col).map_or(line.len(), |c| c.1);
    let rest = line.get(size_end..).unwrap_or_default();
    let blanks = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let name = rest.get(blanks..).unwrap_or_default();
    if name.is_empty() {
        return Err(ListingError::EmptyName);
    }
    Ok(ListEntry {
        style: ListStyle::Dos,
        kind,
        name,
        size,
        device: None,
        modified: Some(modified),
        permissions: None,
        owner: None,
        group: None,
        links: None,
    })
}
