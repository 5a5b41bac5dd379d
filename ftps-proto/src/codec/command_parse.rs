//! Decoding of command lines into [`Command`].
//!
//! The grammar is RFC 959 §5.3 as tightened by RFC 2640 §3.1 and RFC 3659 §2.2: a verb of ASCII
//! letters, then either the line end or exactly one SP and the argument, which runs to the line
//! end (further spaces belong to it).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::args::{
    decode_text, is_host_name, is_lang_tag, parse_host_port, parse_u16, parse_u32, parse_u64,
    EpsvArg, ExtendedAddr, FormatControl, ProtectionLevel, RepresentationType, Structure,
    TransferMode,
};
use super::command::{Bytes, Command, Verb};
use super::error::{CommandError, FrameError, StreamError};
use super::Status;
use crate::timeval::TimeVal;
use crate::{Limits, Secret};

/// Longest verb accepted as a well-formed (possibly unknown) verb.
const MAX_VERB: usize = 16;

/// Splits a line into its verb and its argument (`None` without a SP, `Some` of everything
/// after the first SP otherwise).
fn split_verb(line: &[u8]) -> Result<(&[u8], Option<&[u8]>), CommandError> {
    // Only a line that starts with SP (or is empty) can be blank: no scan of other lines.
    if line.first().map_or(true, |&b| b == b' ') && line.iter().all(|&b| b == b' ') {
        return Err(CommandError::Empty);
    }
    let end = line
        .iter()
        .position(|&b| !b.is_ascii_alphabetic())
        .unwrap_or(line.len());
    if end == 0 || end > MAX_VERB {
        return Err(CommandError::InvalidVerb);
    }
    let (verb, rest) = line.split_at(end);
    match rest.split_first() {
        None => Ok((verb, None)),
        Some((b' ', arg)) => Ok((verb, Some(arg))),
        Some(_) => Err(CommandError::InvalidVerb),
    }
}

impl Verb {
    /// The verb of a command line (without its line end), even if the argument is invalid:
    /// [`Verb::Unknown`] for a well-formed verb the codec does not know, `None` if the line
    /// does not start with a verb (see [`Command::parse`]).
    ///
    /// ```
    /// use ftps_proto::codec::Verb;
    /// assert_eq!(Verb::parse(b"type q"), Some(Verb::Type));
    /// assert_eq!(Verb::parse(b"XYZZ"), Some(Verb::Unknown));
    /// assert_eq!(Verb::parse(b"12 x"), None);
    /// ```
    pub fn parse(line: &[u8]) -> Option<Verb> {
        split_verb(line).ok().map(|(verb, _)| Verb::lookup(verb))
    }

    /// The known verb spelled by `verb` (ASCII letters, any case), or [`Verb::Unknown`].
    fn lookup(verb: &[u8]) -> Verb {
        let mut up = [0u8; 4];
        let Some(dst) = up.get_mut(..verb.len()) else {
            return Verb::Unknown;
        };
        dst.copy_from_slice(verb);
        dst.make_ascii_uppercase();
        match &*dst {
            b"USER" => Verb::User,
            b"PASS" => Verb::Pass,
            b"ACCT" => Verb::Acct,
            b"CWD" => Verb::Cwd,
            b"XCWD" => Verb::Xcwd,
            b"CDUP" => Verb::Cdup,
            b"XCUP" => Verb::Xcup,
            b"SMNT" => Verb::Smnt,
            b"REIN" => Verb::Rein,
            b"QUIT" => Verb::Quit,
            b"PORT" => Verb::Port,
            b"PASV" => Verb::Pasv,
            b"TYPE" => Verb::Type,
            b"STRU" => Verb::Stru,
            b"MODE" => Verb::Mode,
            b"RETR" => Verb::Retr,
            b"STOR" => Verb::Stor,
            b"STOU" => Verb::Stou,
            b"APPE" => Verb::Appe,
            b"ALLO" => Verb::Allo,
            b"REST" => Verb::Rest,
            b"RNFR" => Verb::Rnfr,
            b"RNTO" => Verb::Rnto,
            b"ABOR" => Verb::Abor,
            b"DELE" => Verb::Dele,
            b"RMD" => Verb::Rmd,
            b"XRMD" => Verb::Xrmd,
            b"MKD" => Verb::Mkd,
            b"XMKD" => Verb::Xmkd,
            b"PWD" => Verb::Pwd,
            b"XPWD" => Verb::Xpwd,
            b"LIST" => Verb::List,
            b"NLST" => Verb::Nlst,
            b"SITE" => Verb::Site,
            b"SYST" => Verb::Syst,
            b"STAT" => Verb::Stat,
            b"HELP" => Verb::Help,
            b"NOOP" => Verb::Noop,
            b"AUTH" => Verb::Auth,
            b"ADAT" => Verb::Adat,
            b"PBSZ" => Verb::Pbsz,
            b"PROT" => Verb::Prot,
            b"CCC" => Verb::Ccc,
            b"MIC" => Verb::Mic,
            b"CONF" => Verb::Conf,
            b"ENC" => Verb::Enc,
            b"FEAT" => Verb::Feat,
            b"OPTS" => Verb::Opts,
            b"EPRT" => Verb::Eprt,
            b"EPSV" => Verb::Epsv,
            b"SIZE" => Verb::Size,
            b"MDTM" => Verb::Mdtm,
            b"MLST" => Verb::Mlst,
            b"MLSD" => Verb::Mlsd,
            b"LANG" => Verb::Lang,
            b"HOST" => Verb::Host,
            b"MFMT" => Verb::Mfmt,
            _ => Verb::Unknown,
        }
    }
}

/// Splits at the first SP: what comes before, and what comes after if there is a SP.
fn split_sp(arg: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memchr(b' ', arg) {
        Some(sp) => {
            let (head, tail) = arg.split_at(sp);
            (head, tail.get(1..))
        }
        None => (arg, None),
    }
}

/// A mandatory text or path argument: absent or empty is `MissingArgument`.
fn required(arg: Option<&[u8]>) -> Result<Bytes<'_>, CommandError> {
    match arg {
        None | Some([]) => Err(CommandError::MissingArgument),
        Some(a) => decode_text(a),
    }
}

/// An optional text or path argument: absent or empty is `None`.
fn optional(arg: Option<&[u8]>) -> Result<Option<Bytes<'_>>, CommandError> {
    match arg {
        None | Some([]) => Ok(None),
        Some(a) => decode_text(a).map(Some),
    }
}

/// A verb without argument: a lone trailing SP is tolerated, anything more is
/// `UnexpectedArgument`.
fn no_argument<'a>(arg: Option<&[u8]>, cmd: Command<'a>) -> Result<Command<'a>, CommandError> {
    match arg {
        None | Some([]) => Ok(cmd),
        Some(_) => Err(CommandError::UnexpectedArgument),
    }
}

/// A typed argument that must be present (absent or empty is `MissingArgument`).
fn present(arg: Option<&[u8]>) -> Result<&[u8], CommandError> {
    match arg {
        None | Some([]) => Err(CommandError::MissingArgument),
        Some(a) => Ok(a),
    }
}

/// The upper-cased letter of a one-letter argument that is in `known`; `UnsupportedParameter`
/// for another letter, `InvalidArgument` unless the argument is exactly one ASCII letter.
fn letter(arg: &[u8], known: &[u8]) -> Result<u8, CommandError> {
    match arg {
        [b] if b.is_ascii_alphabetic() => {
            let up = b.to_ascii_uppercase();
            if known.contains(&up) {
                Ok(up)
            } else {
                Err(CommandError::UnsupportedParameter)
            }
        }
        _ => Err(CommandError::InvalidArgument),
    }
}

/// `TYPE` (RFC 959 §5.3.2 `<type-code>`).
fn parse_type(arg: &[u8]) -> Result<RepresentationType, CommandError> {
    let (code, param) = split_sp(arg);
    let format = |param: Option<&[u8]>| -> Result<FormatControl, CommandError> {
        match param {
            None => Ok(FormatControl::Default),
            Some(p) => Ok(match letter(p, b"NTC")? {
                b'N' => FormatControl::NonPrint,
                b'T' => FormatControl::Telnet,
                _ => FormatControl::Asa,
            }),
        }
    };
    match (letter(code, b"AEIL")?, param) {
        (b'A', p) => Ok(RepresentationType::Ascii(format(p)?)),
        (b'E', p) => Ok(RepresentationType::Ebcdic(format(p)?)),
        (b'I', None) => Ok(RepresentationType::Image),
        (b'L', Some(size)) => match parse_u64(size)? {
            0 => Err(CommandError::InvalidArgument),
            n => u8::try_from(n)
                .map(RepresentationType::Local)
                .map_err(|_| CommandError::NumberOverflow),
        },
        _ => Err(CommandError::InvalidArgument),
    }
}

/// `ALLO <decimal-integer> [SP R SP <decimal-integer>]`.
fn parse_allo(arg: &[u8]) -> Result<Command<'static>, CommandError> {
    let mut parts = arg.splitn(3, |&b| b == b' ');
    let size = parse_u64(parts.next().unwrap_or_default())?;
    let record = match (parts.next(), parts.next()) {
        (None, _) => None,
        (Some([b'R' | b'r']), Some(m)) => Some(parse_u64(m)?),
        _ => return Err(CommandError::InvalidArgument),
    };
    Ok(Command::Allo { size, record })
}

/// `EPRT <d><net-prt><d><net-addr><d><tcp-port><d>` (RFC 2428 §2).
fn parse_eprt(arg: &[u8]) -> Result<ExtendedAddr, CommandError> {
    let invalid = CommandError::InvalidArgument;
    let (&d, rest) = arg.split_first().ok_or(invalid)?;
    if !(33..=126).contains(&d) {
        return Err(invalid);
    }
    let inner = match rest.split_last() {
        Some((&last, inner)) if last == d => inner,
        _ => return Err(invalid),
    };
    let mut fields = inner.split(|&b| b == d);
    let (Some(af), Some(addr), Some(port), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(invalid);
    };
    let af = parse_u64(af).map_err(|_| invalid)?;
    let addr = std::str::from_utf8(addr).map_err(|_| invalid)?;
    let ip = match af {
        1 => IpAddr::V4(addr.parse::<Ipv4Addr>().map_err(|_| invalid)?),
        2 => IpAddr::V6(addr.parse::<Ipv6Addr>().map_err(|_| invalid)?),
        _ => return Err(CommandError::UnsupportedParameter),
    };
    let port = match parse_u16(port) {
        Ok(p) if p != 0 => p,
        _ => return Err(invalid),
    };
    Ok(ExtendedAddr {
        delimiter: d,
        addr: SocketAddr::new(ip, port),
    })
}

/// `EPSV [ALL|<net-prt>]` (RFC 2428 §3).
fn parse_epsv(arg: Option<&[u8]>) -> Result<EpsvArg, CommandError> {
    match arg {
        None | Some([]) => Ok(EpsvArg::Any),
        Some(a) if a.eq_ignore_ascii_case(b"ALL") => Ok(EpsvArg::All),
        Some(a) => parse_u16(a).map(EpsvArg::Protocol),
    }
}

/// `MFMT <time-val> SP <pathname>`.
fn parse_mfmt(arg: Option<&[u8]>) -> Result<Command<'_>, CommandError> {
    let arg = present(arg)?;
    let (time, path) = split_sp(arg);
    let time = TimeVal::parse(time).ok_or(CommandError::InvalidArgument)?;
    Ok(Command::Mfmt {
        time,
        path: required(path)?,
    })
}

impl<'a> Command<'a> {
    /// Decodes one command line, given without its line end (framing has removed the CRLF and
    /// any Telnet sequences).
    ///
    /// * The verb is 1-16 ASCII letters in any case, followed by the line end or one SP.
    ///   Known verbs (3-4 letters) decode to their variant; other well-formed verbs to
    ///   [`Command::Unknown`]; anything else is [`CommandError::InvalidVerb`].
    /// * The argument is everything after that one SP: further spaces, leading or trailing,
    ///   belong to it. Text arguments are 8-bit clean and borrow from `line`, except that
    ///   `CR NUL` is decoded to a CR (RFC 2640 §3.1), which makes them owned; a NUL, CR or LF
    ///   in any other position is [`CommandError::InvalidArgument`].
    /// * An empty argument (`RETR `) counts as absent; `PASS` alone is an empty password.
    ///
    /// Numbers are decimal digits only: a sign is `InvalidArgument`, a value too large for its
    /// type (`REST`, `PBSZ`, `ALLO`, `EPSV <af>`, `TYPE L <n>`) is `NumberOverflow`. Address
    /// fields are `InvalidArgument` whatever their size: a `PORT` field above 255, a port of 0,
    /// an `EPRT` port above 65535.
    ///
    /// ```
    /// use ftps_proto::codec::{Command, CommandError, RepresentationType};
    ///
    /// assert_eq!(Command::parse(b"type i"), Ok(Command::Type(RepresentationType::Image)));
    /// match Command::parse(b"STOR  my file ") {
    ///     Ok(Command::Stor(path)) => assert_eq!(&path[..], b" my file "),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert_eq!(Command::parse(b"RETR"), Err(CommandError::MissingArgument));
    /// assert_eq!(Command::parse(b"PORT 1,2,3,300,4,1"), Err(CommandError::InvalidArgument));
    /// ```
    pub fn parse(line: &'a [u8]) -> Result<Command<'a>, CommandError> {
        let (verb_bytes, arg) = split_verb(line)?;
        let verb = Verb::lookup(verb_bytes);
        Ok(match verb {
            Verb::User => Command::User(required(arg)?),
            Verb::Pass => Command::Pass(Secret::new(optional(arg)?.unwrap_or(Cow::Borrowed(&[])))),
            Verb::Acct => Command::Acct(Secret::new(required(arg)?)),
            Verb::Cwd => Command::Cwd(required(arg)?),
            Verb::Xcwd => Command::Xcwd(required(arg)?),
            Verb::Cdup => return no_argument(arg, Command::Cdup),
            Verb::Xcup => return no_argument(arg, Command::Xcup),
            Verb::Smnt => Command::Smnt(required(arg)?),
            Verb::Rein => return no_argument(arg, Command::Rein),
            Verb::Quit => return no_argument(arg, Command::Quit),
            Verb::Port => Command::Port(parse_host_port(present(arg)?)?),
            Verb::Pasv => return no_argument(arg, Command::Pasv),
            Verb::Type => Command::Type(parse_type(present(arg)?)?),
            Verb::Stru => Command::Stru(match letter(present(arg)?, b"FRP")? {
                b'F' => Structure::File,
                b'R' => Structure::Record,
                _ => Structure::Page,
            }),
            Verb::Mode => Command::Mode(match letter(present(arg)?, b"SBCZ")? {
                b'S' => TransferMode::Stream,
                b'B' => TransferMode::Block,
                b'C' => TransferMode::Compressed,
                _ => TransferMode::Deflate,
            }),
            Verb::Retr => Command::Retr(required(arg)?),
            Verb::Stor => Command::Stor(required(arg)?),
            Verb::Stou => Command::Stou(optional(arg)?),
            Verb::Appe => Command::Appe(required(arg)?),
            Verb::Allo => parse_allo(present(arg)?)?,
            Verb::Rest => Command::Rest(parse_u64(present(arg)?)?),
            Verb::Rnfr => Command::Rnfr(required(arg)?),
            Verb::Rnto => Command::Rnto(required(arg)?),
            Verb::Abor => return no_argument(arg, Command::Abor),
            Verb::Dele => Command::Dele(required(arg)?),
            Verb::Rmd => Command::Rmd(required(arg)?),
            Verb::Xrmd => Command::Xrmd(required(arg)?),
            Verb::Mkd => Command::Mkd(required(arg)?),
            Verb::Xmkd => Command::Xmkd(required(arg)?),
            Verb::Pwd => return no_argument(arg, Command::Pwd),
            Verb::Xpwd => return no_argument(arg, Command::Xpwd),
            Verb::List => Command::List(optional(arg)?),
            Verb::Nlst => Command::Nlst(optional(arg)?),
            Verb::Site => Command::Site(required(arg)?),
            Verb::Syst => return no_argument(arg, Command::Syst),
            Verb::Stat => Command::Stat(optional(arg)?),
            Verb::Help => Command::Help(optional(arg)?),
            Verb::Noop => return no_argument(arg, Command::Noop),
            Verb::Auth => Command::Auth(required(arg)?),
            Verb::Adat => Command::Adat(required(arg)?),
            Verb::Pbsz => Command::Pbsz(parse_u32(present(arg)?)?),
            Verb::Prot => Command::Prot(match letter(present(arg)?, b"CSEP")? {
                b'C' => ProtectionLevel::Clear,
                b'S' => ProtectionLevel::Safe,
                b'E' => ProtectionLevel::Confidential,
                _ => ProtectionLevel::Private,
            }),
            Verb::Ccc => return no_argument(arg, Command::Ccc),
            Verb::Mic => Command::Mic(required(arg)?),
            Verb::Conf => Command::Conf(required(arg)?),
            Verb::Enc => Command::Enc(required(arg)?),
            Verb::Feat => return no_argument(arg, Command::Feat),
            Verb::Opts => Command::Opts(required(arg)?),
            Verb::Eprt => Command::Eprt(parse_eprt(present(arg)?)?),
            Verb::Epsv => Command::Epsv(parse_epsv(arg)?),
            Verb::Size => Command::Size(required(arg)?),
            Verb::Mdtm => Command::Mdtm(required(arg)?),
            Verb::Mlst => Command::Mlst(optional(arg)?),
            Verb::Mlsd => Command::Mlsd(optional(arg)?),
            Verb::Lang => {
                let tag = optional(arg)?;
                if tag.as_deref().is_some_and(|t| !is_lang_tag(t)) {
                    return Err(CommandError::InvalidArgument);
                }
                Command::Lang(tag)
            }
            Verb::Host => {
                let host = required(arg)?;
                if !is_host_name(&host) {
                    return Err(CommandError::InvalidArgument);
                }
                Command::Host(host)
            }
            Verb::Mfmt => parse_mfmt(arg)?,
            Verb::Unknown => Command::Unknown {
                verb: Cow::Borrowed(verb_bytes),
                arg: optional(arg)?,
            },
        })
    }
}

/// Which line limit applies to a line starting with `head`: the security limit for the
/// commands `ADAT`/`MIC`/`CONF`/`ENC` + SP (any case) and the protected replies
/// `631`/`632`/`633` + SP or `-` (RFC 2228 §5.2), the larger of both limits while `head` is
/// still too short to tell, the normal limit otherwise.
pub(crate) fn line_limit(head: &[u8], limits: &Limits) -> usize {
    const SECURITY: [&[u8]; 10] = [
        b"ADAT ", b"MIC ", b"CONF ", b"ENC ", b"631 ", b"631-", b"632 ", b"632-", b"633 ", b"633-",
    ];
    for prefix in SECURITY {
        let n = head.len().min(prefix.len());
        // cannot fire: n is at most the length of both slices.
        if head[..n].eq_ignore_ascii_case(&prefix[..n]) {
            return if n == prefix.len() {
                limits.max_security_line
            } else {
                limits.max_line.max(limits.max_security_line)
            };
        }
    }
    limits.max_line
}

/// Parses the first command of `buf`, a server's receive buffer holding CRLF-terminated lines
/// without Telnet sequences (httparse style).
///
/// Returns `Complete((consumed, command))` with `consumed` counting the CRLF, or `Partial`
/// while no CRLF has arrived and the bytes so far are within the line limit
/// ([`Limits::max_line`], or [`Limits::max_security_line`] for `ADAT`/`MIC`/`CONF`/`ENC`).
/// Only CRLF ends a line (a bare LF belongs to the line, as in `CR NUL LF`).
///
/// This function keeps no state, so it searches `buf` from its start on each call; a session
/// that receives bytes piecemeal should use [`LineBuffer`](crate::codec::LineBuffer), which
/// remembers how far it searched, strips Telnet and discards over-long lines.
///
/// ```
/// use ftps_proto::codec::{parse_command, Command, Status};
/// use ftps_proto::Limits;
///
/// let limits = Limits::default();
/// let buf = b"NOOP\r\nQUIT\r\n";
/// assert_eq!(parse_command(buf, &limits), Ok(Status::Complete((6, Command::Noop))));
/// assert_eq!(parse_command(b"NOO", &limits), Ok(Status::Partial));
/// ```
pub fn parse_command<'b>(
    buf: &'b [u8],
    limits: &Limits,
) -> Result<Status<(usize, Command<'b>)>, StreamError> {
    let limit = line_limit(buf, limits);
    let Some(end) = find_crlf(buf) else {
        // A trailing CR may be the first half of the line end.
        let content = buf.len() - usize::from(buf.last() == Some(&b'\r'));
        return if content > limit {
            Err(StreamError::Frame(FrameError::LineTooLong { limit }))
        } else {
            Ok(Status::Partial)
        };
    };
    if end > limit {
        return Err(StreamError::Frame(FrameError::LineTooLong { limit }));
    }
    let consumed = end + 2;
    // cannot fire: find_crlf returns the index of a CR that has an LF after it.
    match Command::parse(&buf[..end]) {
        Ok(cmd) => Ok(Status::Complete((consumed, cmd))),
        Err(error) => Err(StreamError::Command { error, consumed }),
    }
}

/// The index of the CR of the first CRLF in `buf`.
fn find_crlf(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf.get(from..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        let lf = from + i;
        if lf > 0 && buf.get(lf - 1) == Some(&b'\r') {
            return Some(lf - 1);
        }
        from = lf + 1;
    }
    None
}
