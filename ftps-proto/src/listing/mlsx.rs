//! MLSD/MLST entry lines (RFC 3659 §7.2, §7.4): `fact=value;... SP pathname`.

use super::facts::{EntryType, MlsxFact, Perms};
use super::{strip_line_end, ListingError};
use crate::timeval::TimeVal;

/// One MLSD line (or MLST entry), borrowing from the input.
///
/// The standard facts are typed fields; every fact, known or not, stays available raw through
/// [`MlsxEntry::facts`] and [`MlsxEntry::fact`].
///
/// ```
/// use ftps_proto::listing::{parse_mlsx_line, EntryType};
///
/// let e = parse_mlsx_line(b"Type=file;Size=10;modify=20190304050607;UNIX.mode=0644; my file.txt")?;
/// assert_eq!(e.name, b"my file.txt");
/// assert_eq!(e.kind, Some(EntryType::File));
/// assert_eq!(e.size, Some(10));
/// assert_eq!(e.modify.map(|t| t.year), Some(2019));
/// assert_eq!(e.unix_mode(), Some(0o644));
/// assert_eq!(e.fact(b"unix.MODE"), Some(&b"0644"[..]));
/// # Ok::<(), ftps_proto::listing::ListingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MlsxEntry<'a> {
    /// The pathname: everything after the single SP that ends the facts (may hold spaces and
    /// `;`). Bytes as sent.
    pub name: &'a [u8],
    /// `type`.
    pub kind: Option<EntryType<'a>>,
    /// `size`.
    pub size: Option<u64>,
    /// `modify`.
    pub modify: Option<TimeVal>,
    /// `create`.
    pub create: Option<TimeVal>,
    /// `unique` (opaque, case-sensitive).
    pub unique: Option<&'a [u8]>,
    /// `perm`.
    pub perm: Option<Perms>,
    /// `lang`.
    pub lang: Option<&'a [u8]>,
    /// `media-type`.
    pub media_type: Option<&'a [u8]>,
    /// `charset`.
    pub charset: Option<&'a [u8]>,
    /// The facts part (`type=file;size=3;`), without the separating SP.
    facts: &'a [u8],
}

/// One `name=value` fact of an MLSD/MLST entry, raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact<'a> {
    /// The name as sent (compare case-insensitively).
    pub name: &'a [u8],
    /// The value as sent (case-sensitive).
    pub value: &'a [u8],
}

impl Fact<'_> {
    /// The known fact this is, if any.
    pub fn known(&self) -> Option<MlsxFact> {
        MlsxFact::from_name(self.name)
    }
}

/// Iterates over `name=value;` items. The caller validated the syntax already.
fn split_facts(facts: &[u8]) -> impl Iterator<Item = Fact<'_>> {
    facts
        .split(|&b| b == b';')
        .filter(|item| !item.is_empty())
        .map(|item| match memchr::memchr(b'=', item) {
            Some(eq) => Fact {
                name: item.get(..eq).unwrap_or_default(),
                value: item.get(eq + 1..).unwrap_or_default(),
            },
            None => Fact {
                name: item,
                value: b"",
            },
        })
}

/// A number of decimal digits; `None` if empty, not all digits, or overflowing `u64`.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// An octal permission value (`0644`, `755`, `04755`): at most 0o7777.
fn parse_octal_mode(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    // Checked: twelve octal digits pass `u32` (`UNIX.mode=777777777777`: a panic in debug
    // builds, a wrapped value that could pass the range check in release ones).
    let mode = s.iter().try_fold(0u32, |acc, &b| {
        if !matches!(b, b'0'..=b'7') {
            return None;
        }
        acc.checked_mul(8)?.checked_add(u32::from(b - b'0'))
    })?;
    (mode <= 0o7777).then_some(mode)
}

impl<'a> MlsxEntry<'a> {
    /// Every fact of the entry, in the order sent, known or not.
    pub fn facts(&self) -> impl Iterator<Item = Fact<'a>> {
        split_facts(self.facts)
    }

    /// The raw value of the fact named `name` (case-insensitive); the last one if repeated.
    pub fn fact(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.facts()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .last()
            .map(|f| f.value)
    }

    /// `UNIX.mode` as permission bits (octal digits, at most `7777`); `None` if absent or not
    /// octal.
    pub fn unix_mode(&self) -> Option<u32> {
        self.fact(b"UNIX.mode").and_then(parse_octal_mode)
    }

    /// `UNIX.owner`, raw (a name or a number, depending on the server).
    pub fn unix_owner(&self) -> Option<&'a [u8]> {
        self.fact(b"UNIX.owner")
    }

    /// `UNIX.group`, raw (a name or a number, depending on the server).
    pub fn unix_group(&self) -> Option<&'a [u8]> {
        self.fact(b"UNIX.group")
    }

    /// `UNIX.uid` as a number; `None` if absent or not a `u32`.
    pub fn unix_uid(&self) -> Option<u32> {
        self.fact(b"UNIX.uid")
            .and_then(parse_decimal)
            .and_then(|n| u32::try_from(n).ok())
    }

    /// `UNIX.gid` as a number; `None` if absent or not a `u32`.
    pub fn unix_gid(&self) -> Option<u32> {
        self.fact(b"UNIX.gid")
            .and_then(parse_decimal)
            .and_then(|n| u32::try_from(n).ok())
    }

    /// Whether the entry is `type=cdir` or `type=pdir`, which a recursive walk skips
    /// (X3659-CDIR).
    pub fn is_dot_dir(&self) -> bool {
        self.kind.is_some_and(|k| k.is_dot_dir())
    }
}

/// Parses one MLSD data line: `*(fact "=" value ";") SP pathname` (RFC 3659 §7.2).
///
/// The facts end at the first SP (facts never hold one); the pathname is everything after it,
/// spaces and `;` included. A trailing CRLF or LF is ignored. Fact names are matched
/// case-insensitively. The standard facts are checked: a `size` that is not a `u64`, or a
/// `modify`/`create` that is not a valid time-val, is [`ListingError::BadFactValue`]. OS and
/// unknown facts are kept raw and never rejected (`UNIX.mode` that is not octal reads as
/// `None` from [`MlsxEntry::unix_mode`]). A missing final `;` is tolerated.
///
/// Errors: [`ListingError::Empty`] (empty line), [`ListingError::MissingSeparator`] (no SP),
/// [`ListingError::EmptyName`] (nothing after the SP), [`ListingError::MalformedFact`] (an item
/// without `=` or with an empty name), [`ListingError::BadFactValue`].
pub fn parse_mlsx_line(line: &[u8]) -> Result<MlsxEntry<'_>, ListingError> {
    let line = strip_line_end(line);
    if line.is_empty() {
        return Err(ListingError::Empty);
    }
    let sp = memchr::memchr(b' ', line).ok_or(ListingError::MissingSeparator)?;
    let facts = line.get(..sp).unwrap_or_default();
    let name = line.get(sp + 1..).unwrap_or_default();
    if name.is_empty() {
        return Err(ListingError::EmptyName);
    }
    let mut entry = MlsxEntry {
        name,
        kind: None,
        size: None,
        modify: None,
        create: None,
        unique: None,
        perm: None,
        lang: None,
        media_type: None,
        charset: None,
        facts,
    };
    for item in facts.split(|&b| b == b';').filter(|i| !i.is_empty()) {
        let eq = memchr::memchr(b'=', item).ok_or(ListingError::MalformedFact)?;
        if eq == 0 {
            return Err(ListingError::MalformedFact);
        }
        let fact = Fact {
            name: item.get(..eq).unwrap_or_default(),
            value: item.get(eq + 1..).unwrap_or_default(),
        };
        let bad = |fact: MlsxFact| ListingError::BadFactValue { fact };
        match fact.known() {
            Some(MlsxFact::Type) => entry.kind = Some(EntryType::parse(fact.value)),
            Some(MlsxFact::Size) => {
                entry.size = Some(parse_decimal(fact.value).ok_or(bad(MlsxFact::Size))?);
            }
            Some(MlsxFact::Modify) => {
                entry.modify = Some(TimeVal::parse(fact.value).ok_or(bad(MlsxFact::Modify))?);
            }
            Some(MlsxFact::Create) => {
                entry.create = Some(TimeVal::parse(fact.value).ok_or(bad(MlsxFact::Create))?);
            }
            Some(MlsxFact::Unique) => entry.unique = Some(fact.value),
            Some(MlsxFact::Perm) => entry.perm = Some(Perms::parse(fact.value)),
            Some(MlsxFact::Lang) => entry.lang = Some(fact.value),
            Some(MlsxFact::MediaType) => entry.media_type = Some(fact.value),
            Some(MlsxFact::Charset) => entry.charset = Some(fact.value),
            _ => {}
        }
    }
    Ok(entry)
}

/// Parses one entry line of an MLST reply (RFC 3659 §7.2): the line starts with one SP, then
/// has the MLSD form. Errors as [`parse_mlsx_line`], plus [`ListingError::MissingSeparator`]
/// when the leading SP is missing.
pub fn parse_mlst_line(line: &[u8]) -> Result<MlsxEntry<'_>, ListingError> {
    match line.strip_prefix(b" ") {
        Some(rest) => parse_mlsx_line(rest),
        None if strip_line_end(line).is_empty() => Err(ListingError::Empty),
        None => Err(ListingError::MissingSeparator),
    }
}
