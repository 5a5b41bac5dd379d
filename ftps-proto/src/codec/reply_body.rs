//! Parsers for the reply bodies a client needs: 227, 229, 257, 213, 211 FEAT, 150 FILE:, 110
//! MARK, 200 PBSZ=, 522; and the server-side writers of the 227, 229, 257 and 522 texts.
//!
//! Each parser takes a reply's [`text`](crate::Reply::text) (all lines, joined by `\n`), so a
//! multi-line reply works as well as a single line (REP-ANYMULTI).
//!
//! ```
//! use ftps_proto::codec::reply_body::{parse_227, parse_229, parse_257};
//! use std::net::{Ipv4Addr, SocketAddrV4};
//!
//! let addr = parse_227(b"Entering Passive Mode (127,0,0,1,117,180).")?;
//! assert_eq!(addr, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 117 * 256 + 180));
//! assert_eq!(parse_229(b"Entering Extended Passive Mode (|||30135|)")?, 30135);
//! assert_eq!(&*parse_257(br#""/my ""quoted"" dir" is the current directory"#)?, br#"/my "quoted" dir"#);
//! # Ok::<(), ftps_proto::codec::ReplyError>(())
//! ```

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use arrayvec::ArrayVec;

use crate::codec::args::{host_port_from_fields, parse_u64, write_decimal, write_host_port};
use crate::codec::error::ReplyError;
use crate::timeval::TimeVal;

/// The first `(h1,h2,h3,h4,p1,p2)` of a `227` reply: six decimal numbers 0-255 separated by
/// commas, found anywhere in the text, with or without parentheses (C959-PASV).
///
/// A client should connect to the control peer's address rather than the one returned here
/// (NAT, and servers that would redirect it elsewhere); the port is what matters.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] when no six such numbers are there (a field over 255 or longer
/// than three digits does not count, nor does port 0).
pub fn parse_227(text: &[u8]) -> Result<SocketAddrV4, ReplyError> {
    let mut at = 0;
    while let Some(start) = next_number_start(text, at) {
        let mut fields = [0u64; 6];
        if comma_numbers(text, start, &mut fields).is_some() {
            if let Some(addr) = host_port_from_fields(fields) {
                return Ok(addr);
            }
        }
        at = start + 1;
    }
    Err(ReplyError::InvalidBody)
}

/// The address of a `228` reply (RFC 1639 long passive mode):
/// `(4,4,h1,h2,h3,h4,2,p1,p2)` or `(6,16,h1,...,h16,2,p1,p2)`, found anywhere in the text.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] without such a list.
pub fn parse_228(text: &[u8]) -> Result<SocketAddr, ReplyError> {
    let mut at = 0;
    while let Some(start) = next_number_start(text, at) {
        let mut v4 = [0u64; 9];
        let mut v6 = [0u64; 21];
        if comma_numbers(text, start, &mut v4).is_some() {
            if let Some([4, 4, h1, h2, h3, h4, 2, p1, p2]) = bytes(v4) {
                let ip = Ipv4Addr::new(h1, h2, h3, h4);
                return Ok(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be_bytes([p1, p2]),
                )));
            }
        }
        if comma_numbers(text, start, &mut v6).is_some() {
            if let Some([6, 16, ref host @ .., 2, p1, p2]) = bytes(v6) {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(host);
                let port = u16::from_be_bytes([p1, p2]);
                return Ok(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(octets),
                    port,
                    0,
                    0,
                )));
            }
        }
        at = start + 1;
    }
    Err(ReplyError::InvalidBody)
}

/// The port of a `229` reply: `(<d><d><d>port<d>)` where `<d>` is one delimiter in ASCII
/// 33-126 repeated four times, usually `|` (RFC 2428 §3, E2428-229). The client connects to
/// the control peer's address on that port.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] without such a group, or for port 0 or a port over 65535.
pub fn parse_229(text: &[u8]) -> Result<u16, ReplyError> {
    for open in memchr::memchr_iter(b'(', text) {
        let group = text.get(open + 1..).unwrap_or_default();
        let Some(&[d, d2, d3]) = group.get(..3) else {
            continue;
        };
        if !(33..=126).contains(&d) || d2 != d || d3 != d || d.is_ascii_digit() {
            continue;
        }
        let rest = group.get(3..).unwrap_or_default();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if rest.get(digits..digits + 2) != Some(&[d, b')'][..]) {
            continue;
        }
        match decimal(rest.get(..digits).unwrap_or_default()).map(u16::try_from) {
            Some(Ok(port)) if port != 0 => return Ok(port),
            _ => continue,
        }
    }
    Err(ReplyError::InvalidBody)
}

/// The path of a `257` reply (PWD, MKD; C959-PWD, C959-MKD).
///
/// The path is between double quotes, an embedded `"` written as `""`. Some servers do not
/// double embedded quotes (`257 "/my "quoted" dir" is ...`): when the quote that would close
/// the path is followed by something other than a space, punctuation or the end of the line,
/// the path runs to the last `"` of the line instead, as sent. Without any quote, the path is
/// the first word of the first line. Borrows from `text` unless quotes had to be undoubled.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] for an unterminated quote or an empty text.
pub fn parse_257(text: &[u8]) -> Result<Cow<'_, [u8]>, ReplyError> {
    let Some(line) = text
        .split(|&b| b == b'\n')
        .find(|line| line.contains(&b'"'))
    else {
        let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let word = first
            .split(|&b| b == b' ')
            .find(|word| !word.is_empty())
            .ok_or(ReplyError::InvalidBody)?;
        return Ok(Cow::Borrowed(word));
    };
    // cannot fail: the line holds a quote.
    let open = memchr::memchr(b'"', line).ok_or(ReplyError::InvalidBody)?;
    let quoted = line.get(open + 1..).unwrap_or_default();
    let mut path: Option<Vec<u8>> = None;
    let mut at = 0;
    while let Some(quote) = memchr::memchr(b'"', quoted.get(at..).unwrap_or_default()) {
        let quote = at + quote;
        if quoted.get(quote + 1) == Some(&b'"') {
            let owned = path.get_or_insert_with(Vec::new);
            owned.extend_from_slice(quoted.get(at..=quote).unwrap_or_default());
            at = quote + 2;
            continue;
        }
        let closes = match quoted.get(quote + 1) {
            None => true,
            Some(b) => *b == b' ' || *b == b'\t' || b.is_ascii_punctuation(),
        };
        if closes {
            let tail = quoted.get(at..quote).unwrap_or_default();
            return Ok(match path {
                Some(mut owned) => {
                    owned.extend_from_slice(tail);
                    Cow::Owned(owned)
                }
                None => Cow::Borrowed(tail),
            });
        }
        // Quotes not doubled: the path runs to the last quote of the line.
        let last = memchr::memrchr(b'"', quoted).unwrap_or(quote);
        return Ok(Cow::Borrowed(quoted.get(..last).unwrap_or_default()));
    }
    Err(ReplyError::InvalidBody)
}

/// The size of a `213` reply to SIZE: `1*DIGIT` (RFC 3659 §4, X3659-SIZE); spaces around it
/// are ignored.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] for anything else, or a number over `u64::MAX`.
pub fn parse_213_size(text: &[u8]) -> Result<u64, ReplyError> {
    decimal(trim_spaces(text)).ok_or(ReplyError::InvalidBody)
}

/// The time of a `213` reply to MDTM: a time-val `YYYYMMDDHHMMSS[.fff]` in UTC (RFC 3659 §3,
/// X3659-MDTM); spaces around it are ignored.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] when the text is not a valid time-val.
pub fn parse_213_time(text: &[u8]) -> Result<TimeVal, ReplyError> {
    TimeVal::parse(trim_spaces(text)).ok_or(ReplyError::InvalidBody)
}

/// Most features [`parse_feat`] and [`Features::insert`] keep; further ones are ignored.
pub const MAX_FEATURES: usize = 256;

/// The features a server lists in its `211` reply to FEAT (RFC 2389 §3.2): each a name,
/// upper-cased, and its parameters as sent (`MLST` with `size*;modify*;`, `AUTH` with `TLS`,
/// `REST` with `STREAM` ...). At most [`MAX_FEATURES`].
///
/// ```
/// use ftps_proto::codec::reply_body::parse_feat;
///
/// let feat = parse_feat(b"Features:\n AUTH TLS\n mlst size*;modify;\n SIZE\nEnd");
/// assert!(feat.contains("size"));
/// assert!(feat.contains("AUTH TLS"));
/// assert_eq!(feat.params("MLST"), Some(&b"size*;modify;"[..]));
/// let facts: Vec<(&[u8], bool)> = feat.mlst_facts().collect();
/// assert_eq!(facts, [(&b"size"[..], true), (&b"modify"[..], false)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Features {
    /// No features.
    pub fn new() -> Self {
        Features::default()
    }

    /// Adds a feature (the name is upper-cased); `false`, and nothing added, when
    /// [`MAX_FEATURES`] are there already.
    pub fn insert(&mut self, name: &[u8], params: &[u8]) -> bool {
        if self.entries.len() >= MAX_FEATURES {
            return false;
        }
        self.entries
            .push((name.to_ascii_uppercase(), params.to_vec()));
        true
    }

    /// Whether a feature is listed; the name is matched case-insensitively. A name with a
    /// space also matches the parameters: `"AUTH TLS"` and `"REST STREAM"` need exactly those
    /// parameters (case-insensitive), `"AUTH"` any.
    pub fn contains(&self, name: &str) -> bool {
        match name.split_once(' ') {
            Some((label, params)) => self.entries.iter().any(|(n, p)| {
                n.eq_ignore_ascii_case(label.as_bytes())
                    && p.eq_ignore_ascii_case(params.as_bytes())
            }),
            None => self
                .entries
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())),
        }
    }

    /// The parameters of the first feature with this name (case-insensitive); `Some(b"")` for
    /// a feature without parameters, `None` when it is not listed.
    pub fn params(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, p)| &p[..])
    }

    /// The features in the order listed: `(NAME, params)`.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.entries.iter().map(|(n, p)| (&n[..], &p[..]))
    }

    /// How many features are listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no feature is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The facts of the `MLST` feature (RFC 3659 §7.8, X3659-OPTS): each fact name and whether
    /// it is returned by default (marked `*`). Empty when MLST is not listed.
    pub fn mlst_facts(&self) -> impl Iterator<Item = (&[u8], bool)> + '_ {
        self.params("MLST")
            .unwrap_or_default()
            .split(|&b| b == b';')
            .map(trim_spaces)
            .filter(|fact| !fact.is_empty())
            .map(|fact| match fact.strip_suffix(b"*") {
                Some(name) => (name, true),
                None => (fact, false),
            })
    }

    /// Writes the text of the server's `211` reply (F2389-FORMAT): `Features:`, one line per
    /// feature starting with a space, then `End`; with no feature the single line
    /// `No features`, so the reply is never multi-line.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        if self.entries.is_empty() {
            out.extend_from_slice(b"No features");
            return;
        }
        out.extend_from_slice(b"Features:");
        for (name, params) in &self.entries {
            out.extend_from_slice(b"\n ");
            out.extend_from_slice(name);
            if !params.is_empty() {
                out.push(b' ');
                out.extend_from_slice(params);
            }
        }
        out.extend_from_slice(b"\nEnd");
    }
}

/// The features of a `211` reply to FEAT (RFC 2389 §3.2, F2389-PARSE).
///
/// The first and last lines are the reply's own text and are skipped, so a single-line reply
/// has no features. A feature line must start with a space; other lines are ignored. The name
/// runs to the next space and is upper-cased; the rest of the line after that space is its
/// parameters. Beyond [`MAX_FEATURES`] lines are ignored.
pub fn parse_feat(text: &[u8]) -> Features {
    let mut features = Features::new();
    let mut lines = text.split(|&b| b == b'\n');
    lines.next();
    let mut pending = match lines.next() {
        Some(line) => line,
        None => return features,
    };
    for next in lines {
        let line = pending;
        pending = next;
        let Some(line) = line.strip_prefix(b" ") else {
            continue;
        };
        let line = trim_leading_spaces(line);
        if line.is_empty() {
            continue;
        }
        let (name, params) = match memchr::memchr(b' ', line) {
            Some(space) => (
                line.get(..space).unwrap_or_default(),
                line.get(space + 1..).unwrap_or_default(),
            ),
            None => (line, &b""[..]),
        };
        if !features.insert(name, params) {
            break;
        }
    }
    features
}

/// The unique name chosen by the server for STOU, from `125`/`150 FILE: name`
/// (RFC 1123 §4.1.2.9, C959-STOU): the rest of the line after `FILE:` and spaces. `None` when
/// the text has no `FILE:` (case-insensitive) or no name after it.
pub fn parse_stou_file(text: &[u8]) -> Option<Cow<'_, [u8]>> {
    let after = after_keyword(text, b"FILE:")?;
    let line = after.split(|&b| b == b'\n').next().unwrap_or_default();
    let name = trim_spaces(line);
    (!name.is_empty()).then_some(Cow::Borrowed(name))
}

/// The two markers of a `110` restart-marker reply, `MARK yyyy = mmmm` (RFC 959 §4.2): the
/// user-process marker and the server's.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] when the text does not hold `MARK ` (case-insensitive), a
/// number, `=` and a number, or a number overflows `u64`.
pub fn parse_110_mark(text: &[u8]) -> Result<(u64, u64), ReplyError> {
    let after = after_keyword(text, b"MARK ").ok_or(ReplyError::InvalidBody)?;
    let line = after.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = line.splitn(2, |&b| b == b'=');
    let user = parts.next().map(trim_spaces).and_then(decimal);
    let server = parts
        .next()
        .map(|rest| {
            let rest = trim_spaces(rest);
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            rest.get(..digits).unwrap_or_default()
        })
        .and_then(decimal);
    match (user, server) {
        (Some(user), Some(server)) => Ok((user, server)),
        _ => Err(ReplyError::InvalidBody),
    }
}

/// The buffer size a server chose in a `200` reply to PBSZ, `PBSZ=n` (RFC 2228 §3,
/// S2228-PBSZ); `None` without `PBSZ=` (case-insensitive) followed by a number that fits `u32`.
/// When it is `None` the size sent stands.
pub fn parse_pbsz(text: &[u8]) -> Option<u32> {
    let after = after_keyword(text, b"PBSZ=")?;
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    decimal(after.get(..digits)?).and_then(|n| u32::try_from(n).ok())
}

/// The network protocols a server supports, from a `522` reply to EPRT/EPSV:
/// `(af,af,...)` (RFC 2428 §2, E2428-522), e.g. `Network protocol not supported, use (1,2)`.
///
/// # Errors
///
/// [`ReplyError::InvalidBody`] without a parenthesised list of 1 to 8 numbers, each fitting
/// `u16`.
pub fn parse_522_families(text: &[u8]) -> Result<ArrayVec<u16, 8>, ReplyError> {
    'groups: for open in memchr::memchr_iter(b'(', text) {
        let inner = text.get(open + 1..).unwrap_or_default();
        let Some(close) = memchr::memchr(b')', inner) else {
            break;
        };
        let mut families = ArrayVec::new();
        for field in inner.get(..close).unwrap_or_default().split(|&b| b == b',') {
            let family = decimal(trim_spaces(field)).and_then(|n| u16::try_from(n).ok());
            match family {
                Some(family) if families.try_push(family).is_ok() => {}
                _ => continue 'groups,
            }
        }
        return Ok(families);
    }
    Err(ReplyError::InvalidBody)
}

/// Writes the `227` text `Entering Passive Mode (h1,h2,h3,h4,p1,p2).` (C959-PASV).
pub fn write_227_text(addr: SocketAddrV4, out: &mut Vec<u8>) {
    out.extend_from_slice(b"Entering Passive Mode (");
    write_host_port(out, &addr);
    out.extend_from_slice(b").");
}

/// Writes the `229` text `Entering Extended Passive Mode (|||port|)` (E2428-229).
pub fn write_229_text(port: u16, out: &mut Vec<u8>) {
    out.extend_from_slice(b"Entering Extended Passive Mode (|||");
    write_decimal(out, u64::from(port));
    out.extend_from_slice(b"|)");
}

/// Writes the `257` text: the path in double quotes with each embedded `"` doubled, then a
/// space and `comment` unless it is empty (C959-MKD, C959-PWD). CR, LF and NUL are left to the
/// reply encoder, which turns them into spaces (REP-SANITIZE).
pub fn write_257_text(path: &[u8], comment: &[u8], out: &mut Vec<u8>) {
    out.reserve(path.len() + comment.len() + 3);
    out.push(b'"');
    for part in path.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
    if !comment.is_empty() {
        out.push(b' ');
        out.extend_from_slice(comment);
    }
}

/// Writes the `522` text for a server that supports IPv4 and IPv6:
/// `Network protocol not supported, use (1,2)` (E2428-522).
pub fn write_522_families(out: &mut Vec<u8>) {
    write_522_families_of(&[1, 2], out);
}

/// Writes the `522` text listing these address families:
/// `Network protocol not supported, use (f1,f2,...)` (E2428-522).
pub fn write_522_families_of(families: &[u16], out: &mut Vec<u8>) {
    out.extend_from_slice(b"Network protocol not supported, use (");
    for (i, family) in families.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_decimal(out, u64::from(*family));
    }
    out.push(b')');
}

/// The numbers as bytes, if each is 0-255.
fn bytes<const N: usize>(numbers: [u64; N]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    for (byte, number) in out.iter_mut().zip(numbers) {
        *byte = u8::try_from(number).ok()?;
    }
    Some(out)
}

/// Reads `fields.len()` comma-separated decimals of 1-3 digits (nothing between them) starting
/// at `text[start]`; returns where they end.
fn comma_numbers(text: &[u8], start: usize, fields: &mut [u64]) -> Option<usize> {
    let mut at = start;
    let count = fields.len();
    for (i, field) in fields.iter_mut().enumerate() {
        let rest = text.get(at..)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        *field = decimal(rest.get(..digits)?)?;
        at += digits;
        if i + 1 < count {
            if text.get(at) != Some(&b',') {
                return None;
            }
            at += 1;
        }
    }
    Some(at)
}

/// The next position at or after `from` where a run of digits starts.
fn next_number_start(text: &[u8], from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let offset = rest.iter().enumerate().position(|(i, b)| {
        b.is_ascii_digit()
            && (i > 0 || from == 0 || !text.get(from - 1).is_some_and(u8::is_ascii_digit))
            && (i == 0 || !rest.get(i - 1).is_some_and(u8::is_ascii_digit))
    })?;
    Some(from + offset)
}

/// `1*DIGIT` as a `u64`; `None` for an empty string, another byte, or an overflow.
fn decimal(digits: &[u8]) -> Option<u64> {
    parse_u64(digits).ok()
}

/// The bytes without leading and trailing spaces and tabs.
fn trim_spaces(text: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = text.iter().position(|b| !is_space(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    text.get(start..end).unwrap_or_default()
}

/// The bytes without leading spaces.
fn trim_leading_spaces(text: &[u8]) -> &[u8] {
    let start = text.iter().position(|&b| b != b' ').unwrap_or(text.len());
    text.get(start..).unwrap_or_default()
}

/// What follows the first case-insensitive occurrence of `keyword`.
fn after_keyword<'t>(text: &'t [u8], keyword: &[u8]) -> Option<&'t [u8]> {
    let at = text
        .windows(keyword.len())
        .position(|window| window.eq_ignore_ascii_case(keyword))?;
    text.get(at + keyword.len()..)
}
