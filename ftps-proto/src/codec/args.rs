//! Typed command arguments: representation type, structure, mode, protection level, host-ports.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use super::error::CommandError;

/// `TYPE` argument (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepresentationType {
    /// `A [N|T|C]`
    Ascii(FormatControl),
    /// `E [N|T|C]`
    Ebcdic(FormatControl),
    /// `I`
    Image,
    /// `L n` (byte size; `L 8` is the same as `I`).
    Local(u8),
}

/// Format control of `TYPE A`/`TYPE E`. `None` on the wire when omitted defaults to non-print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatControl {
    /// Omitted on the wire (means non-print).
    Default,
    /// `N`
    NonPrint,
    /// `T`
    Telnet,
    /// `C`
    Asa,
}

/// `STRU` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// `F`
    File,
    /// `R`
    Record,
    /// `P`
    Page,
}

/// `MODE` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// `S`
    Stream,
    /// `B`
    Block,
    /// `C`
    Compressed,
    /// `Z` (deflate, draft-preston-ftpext-deflate)
    Deflate,
}

/// `PROT` argument (RFC 2228 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionLevel {
    /// `C`: clear.
    Clear,
    /// `S`: safe (integrity only).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (integrity and confidentiality).
    Private,
}

/// `EPSV` argument (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// Bare `EPSV`.
    Any,
    /// `EPSV ALL`.
    All,
    /// `EPSV <net-prt>`: 1 = IPv4, 2 = IPv6, others as given.
    Protocol(u16),
}

/// The address of an `EPRT` command (RFC 2428 §2): `|1|132.235.1.2|6275|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedAddr {
    /// The delimiter byte used (printable ASCII 33-126; `|` is usual).
    pub delimiter: u8,
    /// The address and port.
    pub addr: SocketAddr,
}

impl ExtendedAddr {
    /// An address with the usual `|` delimiter.
    pub fn new(addr: SocketAddr) -> Self {
        ExtendedAddr {
            delimiter: b'|',
            addr,
        }
    }

    /// The IP address.
    pub fn ip(&self) -> IpAddr {
        self.addr.ip()
    }
}

/// The `h1,h2,h3,h4,p1,p2` host-port of `PORT` and `227` replies.
pub type HostPort = SocketAddrV4;

// ---- shared argument grammar helpers (one place for each rule) ----

/// Parses `1*DIGIT` as a `u64`: empty input or a non-digit is [`CommandError::InvalidArgument`]
/// (so `-1` and `+1` are refused), a value above `u64::MAX` is [`CommandError::NumberOverflow`].
/// Leading zeros are accepted.
pub(crate) fn parse_u64(s: &[u8]) -> Result<u64, CommandError> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(CommandError::InvalidArgument);
    }
    s.iter().try_fold(0u64, |acc, &b| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(CommandError::NumberOverflow)
    })
}

/// [`parse_u64`] narrowed to `u32`; a value that does not fit is
/// [`CommandError::NumberOverflow`].
pub(crate) fn parse_u32(s: &[u8]) -> Result<u32, CommandError> {
    u32::try_from(parse_u64(s)?).map_err(|_| CommandError::NumberOverflow)
}

/// [`parse_u64`] narrowed to `u16`; a value that does not fit is
/// [`CommandError::NumberOverflow`].
pub(crate) fn parse_u16(s: &[u8]) -> Result<u16, CommandError> {
    u16::try_from(parse_u64(s)?).map_err(|_| CommandError::NumberOverflow)
}

/// Builds the address of a host-port from its six numbers `h1,h2,h3,h4,p1,p2` (RFC 959
/// §4.1.2): each must be 0-255 and the port `p1 * 256 + p2` must not be 0. Shared by the `PORT`
/// command and the `227` reply.
pub(crate) fn host_port_from_fields(f: [u64; 6]) -> Option<HostPort> {
    let mut b = [0u8; 6];
    for (dst, &src) in b.iter_mut().zip(f.iter()) {
        *dst = u8::try_from(src).ok()?;
    }
    let port = u16::from_be_bytes([b[4], b[5]]);
    (port != 0).then(|| SocketAddrV4::new(Ipv4Addr::new(b[0], b[1], b[2], b[3]), port))
}

/// Parses the `h1,h2,h3,h4,p1,p2` of `PORT`: exactly six comma-separated decimal fields, no
/// spaces. A field above 255, however many digits it has, a port of 0, a missing or extra field
/// and any other byte are all [`CommandError::InvalidArgument`] (a host-port field is a byte, not
/// a number that can overflow).
pub(crate) fn parse_host_port(s: &[u8]) -> Result<HostPort, CommandError> {
    let invalid = CommandError::InvalidArgument;
    let mut fields = [0u64; 6];
    let mut bytes = s.iter();
    for (i, field) in fields.iter_mut().enumerate() {
        // One pass: digits up to the comma (the end after the sixth field); a value past 255
        // stops at once, so no field can overflow.
        let mut digits = 0;
        loop {
            match bytes.next() {
                Some(&b) if b.is_ascii_digit() => {
                    *field = *field * 10 + u64::from(b - b'0');
                    if *field > 255 {
                        return Err(invalid);
                    }
                    digits += 1;
                }
                Some(b',') if i < 5 => break,
                None if i == 5 => break,
                _ => return Err(invalid),
            }
        }
        if digits == 0 {
            return Err(invalid);
        }
    }
    host_port_from_fields(fields).ok_or(invalid)
}

/// Parses a dotted-quad IPv4 address (`EPRT` with protocol 1) exactly as
/// [`Ipv4Addr::from_str`](std::str::FromStr) does, without the UTF-8 check: four fields of
/// 1-3 digits separated by `.`, each at most 255, no leading zero in a field of two or more
/// digits.
pub(crate) fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut bytes = s.iter();
    for (i, octet) in octets.iter_mut().enumerate() {
        let mut value = 0u16;
        let mut digits = 0;
        let mut leading_zero = false;
        loop {
            match bytes.next() {
                Some(&b) if b.is_ascii_digit() => {
                    if digits == 0 {
                        leading_zero = b == b'0';
                    } else if leading_zero || digits == 3 {
                        return None;
                    }
                    value = value * 10 + u16::from(b - b'0');
                    digits += 1;
                }
                Some(b'.') if i < 3 => break,
                None if i == 3 => break,
                _ => return None,
            }
        }
        if digits == 0 {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// Appends `h1,h2,h3,h4,p1,p2` for `addr` (the `PORT` argument and the numbers of a `227` reply).
pub(crate) fn write_host_port(out: &mut Vec<u8>, addr: &HostPort) {
    let [p1, p2] = addr.port().to_be_bytes();
    let o = addr.ip().octets();
    for (i, n) in [o[0], o[1], o[2], o[3], p1, p2].into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_decimal(out, u64::from(n));
    }
}

/// Appends `n` in decimal, without allocating.
pub(crate) fn write_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        // cannot fire: u64::MAX has 20 digits, so i stays in 0..20; n % 10 < 10 fits a u8.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Decodes a text or pathname argument (RFC 959 `<string>`/`<pathname>`, RFC 2640 §3.1):
/// `CR NUL` stands for a CR (then the result is owned), an LF is accepted only right after such
/// an escaped CR (a `CR NUL LF` inside a name), and any other CR, LF or NUL is
/// [`CommandError::InvalidArgument`]. Every other byte passes unchanged (8-bit clean); without
/// escapes the result borrows from `s`.
pub(crate) fn decode_text(s: &[u8]) -> Result<Cow<'_, [u8]>, CommandError> {
    if !has_line_control(s) {
        return Ok(Cow::Borrowed(s));
    }
    let Some(first) = memchr::memchr3(b'\r', b'\n', 0, s) else {
        return Ok(Cow::Borrowed(s)); // cannot happen: has_line_control found one.
    };
    let mut out = Vec::with_capacity(s.len());
    out.extend_from_slice(&s[..first]); // cannot fire: memchr3 returns an index < s.len().
    let mut after_escaped_cr = false;
    let mut i = first;
    while let Some(&b) = s.get(i) {
        match b {
            b'\r' if s.get(i + 1) == Some(&0) => {
                out.push(b'\r');
                after_escaped_cr = true;
                i += 2;
                continue;
            }
            b'\n' if after_escaped_cr => out.push(b'\n'),
            b'\r' | b'\n' | 0 => return Err(CommandError::InvalidArgument),
            _ => out.push(b),
        }
        after_escaped_cr = false;
        i += 1;
    }
    Ok(Cow::Owned(out))
}

/// Whether `s` holds a CR, LF or NUL. Arguments are short and rarely hold a control byte, so
/// 8 bytes at a time are first tested for any byte below 0x0E (one subtraction and two masks);
/// only a word that has one is looked at byte by byte.
fn has_line_control(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let is_control = |b: &u8| matches!(b, b'\r' | b'\n' | 0);
    if s.len() > 64 {
        return memchr::memchr3(b'\r', b'\n', 0, s).is_some();
    }
    let mut words = s.chunks_exact(8);
    for chunk in words.by_ref() {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return chunk.iter().any(is_control); // cannot happen: 8-byte chunks.
        };
        let x = u64::from_le_bytes(word);
        // Some byte of x is below 0x0E exactly when this is not zero.
        if x.wrapping_sub(ONES * 0x0E) & !x & HIGHS != 0 && chunk.iter().any(is_control) {
            return true;
        }
    }
    words.remainder().iter().any(is_control)
}

/// Whether `s` is a language tag as RFC 2640 §4.1 allows in `LANG`: a primary tag of 1-8 ASCII
/// letters, then any number of `-` and a subtag of 1-8 ASCII letters or digits (digits are
/// accepted in subtags as BCP 47 uses them, e.g. `es-419`).
pub(crate) fn is_lang_tag(s: &[u8]) -> bool {
    let mut parts = s.split(|&b| b == b'-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.iter().all(u8::is_ascii_alphabetic));
    primary_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.iter().all(u8::is_ascii_alphanumeric))
}

/// Whether `s` is a `HOST` argument as RFC 7151 §3.1 allows: an IPv6 literal in brackets, or a
/// non-empty run of ASCII letters, digits, `-` and `.` (a domain name in A-labels or an IPv4
/// address). A port suffix (`:21`) or any other byte makes it invalid.
pub(crate) fn is_host_name(s: &[u8]) -> bool {
    match s {
        [b'[', inner @ .., b']'] => std::str::from_utf8(inner)
            .ok()
            .and_then(|t| t.parse::<std::net::Ipv6Addr>().ok())
            .is_some(),
        [] => false,
        _ => s
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
    }
}
