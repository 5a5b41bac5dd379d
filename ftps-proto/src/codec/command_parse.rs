//! Decoding of command lines into [`Command`].
//!
//! The grammar is RFC 959 §5.3 as tightened by RFC 2640 §3.1 and RFC 3659 §2.2: a verb of ASCII
//! letters, then either the line end or exactly one SP and the argument, which runs to the line
//! end (further spaces belong to it).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::args::{
    decode_text, is_host_name, is_lang_tag, parse_host_port, parse_ipv4, parse_u16, parse_u32,
    parse_u64, EpsvArg, ExtendedAddr, FormatControl, ProtectionLevel, RepresentationType,
    Structure, TransferMode,
};
use super::command::{Bytes, Command, Verb};
use super::error::{CommandError, FrameError, StreamError};
use super::framing::{find_control, find_lf};
use super::Status;
use crate::timeval::TimeVal;
use crate::{Limits, Secret};

/// Longest verb accepted as a well-formed (possibly unknown) verb.
const MAX_VERB: usize = 16;

/// A command line split by [`split_verb`]: the verb, its bytes as sent, and the argument.
type VerbSplit<'a> = (Verb, &'a [u8], Option<&'a [u8]>);

/// Splits a line into its verb (looked up), the verb's bytes, and its argument (`None` without
/// a SP, `Some` of everything after the first SP otherwise).
///
/// One pass over the verb checks its letters and builds its lookup key: the first 4 letters,
/// upper-cased by clearing bit 5, as a little-endian `u32` ([`verb_key`]); a verb of 5 or more
/// letters is unknown.
fn split_verb(line: &[u8]) -> Result<VerbSplit<'_>, CommandError> {
    let (mut key, mut end) = match line.get(..4).map(<[u8; 4]>::try_from) {
        Some(Ok(head)) => verb_head(head),
        _ => (0, 0),
    };
    // Letter by letter only past a head of 4 letters (a longer verb) or in a line shorter
    // than 4 bytes.
    if end == 4 || line.len() < 4 {
        while let Some(&b) = line.get(end) {
            if !b.is_ascii_alphabetic() {
                break;
            }
            if end < 4 {
                key |= u32::from(b & !0x20) << (8 * end);
            }
            end += 1;
            if end > MAX_VERB {
                return Err(CommandError::InvalidVerb);
            }
        }
    }
    split_verb_at(line, key, end)
}

/// The end of [`split_verb`]: the verb is `line[..end]` (1-16 letters, checked), `key` its
/// lookup key if it has at most 4 letters.
fn split_verb_at(line: &[u8], key: u32, end: usize) -> Result<VerbSplit<'_>, CommandError> {
    if end == 0 {
        // No letter: a blank line (empty or only SP) or garbage.
        return Err(if line.iter().all(|&b| b == b' ') {
            CommandError::Empty
        } else {
            CommandError::InvalidVerb
        });
    }
    let verb = if end <= 4 {
        Verb::from_key(key)
    } else {
        Verb::Unknown
    };
    let (text, rest) = line.split_at(end);
    match rest.split_first() {
        None => Ok((verb, text, None)),
        Some((b' ', arg)) => Ok((verb, text, Some(arg))),
        Some(_) => Err(CommandError::InvalidVerb),
    }
}

/// How many of the 4 bytes of `head` are ASCII letters before the first other byte (0-4), and
/// the [`verb_key`] of those letters, upper-cased: all 4 bytes are tested at once in a `u32`.
fn verb_head(head: [u8; 4]) -> (u32, usize) {
    const ONES: u32 = u32::from_ne_bytes([0x01; 4]);
    const HIGHS: u32 = u32::from_ne_bytes([0x80; 4]);
    // Clearing bit 5 upper-cases a letter and maps no other byte into A-Z.
    let up = u32::from_le_bytes(head) & !(ONES * 0x20);
    let low7 = up & !HIGHS;
    // Per byte, the high bit is set where the byte is at least `A`, and where it is past `Z`
    // (7-bit values: the additions carry into no other byte).
    let at_least_a = low7.wrapping_add(ONES * (0x80 - b'A' as u32));
    let past_z = low7.wrapping_add(ONES * (0x80 - b'Z' as u32 - 1));
    let letter = at_least_a & !past_z & !up & HIGHS;
    let letters = (!letter & HIGHS).trailing_zeros() as usize / 8;
    let key = match letters {
        4 => up,
        n => up & ((1u32 << (8 * n)) - 1),
    };
    (key, letters)
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
        split_verb(line).ok().map(|(verb, _, _)| verb)
    }
}

/// The lookup key of a verb of 1-4 upper-case letters: its bytes as a little-endian `u32`,
/// padded with zeros (so `CWD` and `CWDX` differ). Longer input is cut at 4 bytes.
const fn verb_key(text: &[u8]) -> u32 {
    let mut key = [0u8; 4];
    let mut i = 0;
    while i < text.len() && i < 4 {
        key[i] = text[i];
        i += 1;
    }
    u32::from_le_bytes(key)
}

/// Every known verb and its spelling.
const KNOWN_VERBS: [(&[u8], Verb); 57] = [
    (b"USER", Verb::User),
    (b"PASS", Verb::Pass),
    (b"ACCT", Verb::Acct),
    (b"CWD", Verb::Cwd),
    (b"XCWD", Verb::Xcwd),
    (b"CDUP", Verb::Cdup),
    (b"XCUP", Verb::Xcup),
    (b"SMNT", Verb::Smnt),
    (b"REIN", Verb::Rein),
    (b"QUIT", Verb::Quit),
    (b"PORT", Verb::Port),
    (b"PASV", Verb::Pasv),
    (b"TYPE", Verb::Type),
    (b"STRU", Verb::Stru),
    (b"MODE", Verb::Mode),
    (b"RETR", Verb::Retr),
    (b"STOR", Verb::Stor),
    (b"STOU", Verb::Stou),
    (b"APPE", Verb::Appe),
    (b"ALLO", Verb::Allo),
    (b"REST", Verb::Rest),
    (b"RNFR", Verb::Rnfr),
    (b"RNTO", Verb::Rnto),
    (b"ABOR", Verb::Abor),
    (b"DELE", Verb::Dele),
    (b"RMD", Verb::Rmd),
    (b"XRMD", Verb::Xrmd),
    (b"MKD", Verb::Mkd),
    (b"XMKD", Verb::Xmkd),
    (b"PWD", Verb::Pwd),
    (b"XPWD", Verb::Xpwd),
    (b"LIST", Verb::List),
    (b"NLST", Verb::Nlst),
    (b"SITE", Verb::Site),
    (b"SYST", Verb::Syst),
    (b"STAT", Verb::Stat),
    (b"HELP", Verb::Help),
    (b"NOOP", Verb::Noop),
    (b"AUTH", Verb::Auth),
    (b"ADAT", Verb::Adat),
    (b"PBSZ", Verb::Pbsz),
    (b"PROT", Verb::Prot),
    (b"CCC", Verb::Ccc),
    (b"MIC", Verb::Mic),
    (b"CONF", Verb::Conf),
    (b"ENC", Verb::Enc),
    (b"FEAT", Verb::Feat),
    (b"OPTS", Verb::Opts),
    (b"EPRT", Verb::Eprt),
    (b"EPSV", Verb::Epsv),
    (b"SIZE", Verb::Size),
    (b"MDTM", Verb::Mdtm),
    (b"MLST", Verb::Mlst),
    (b"MLSD", Verb::Mlsd),
    (b"LANG", Verb::Lang),
    (b"HOST", Verb::Host),
    (b"MFMT", Verb::Mfmt),
];

/// Multiplier of the verb hash: with it, the 57 [`verb_key`]s of [`KNOWN_VERBS`] land in 57
/// different slots of [`VERB_TABLE`] (found by search; [`build_verb_table`] fails the build if a
/// change of the list makes two collide).
const VERB_HASH: u32 = 0x1271_22bd;

/// The slot of `key` in [`VERB_TABLE`]: the top 7 bits of a multiplicative hash (0..128).
const fn verb_slot(key: u32) -> usize {
    (key.wrapping_mul(VERB_HASH) >> 25) as usize
}

/// A perfect hash table of the known verbs: the slot of each verb's key holds that key and the
/// verb; the other slots hold key 0, which no verb has.
const VERB_TABLE: [(u32, Verb); 128] = build_verb_table();

/// Builds [`VERB_TABLE`] at compile time; a collision is a compile error.
const fn build_verb_table() -> [(u32, Verb); 128] {
    let mut table = [(0u32, Verb::Unknown); 128];
    let mut i = 0;
    while i < KNOWN_VERBS.len() {
        let (text, verb) = KNOWN_VERBS[i];
        let key = verb_key(text);
        let slot = verb_slot(key);
        assert!(
            table[slot].0 == 0,
            "two verbs share a slot: choose another VERB_HASH"
        );
        table[slot] = (key, verb);
        i += 1;
    }
    table
}

impl Verb {
    /// The known verb whose [`verb_key`] is `key`, or [`Verb::Unknown`]: one multiplication,
    /// one load and one compare.
    fn from_key(key: u32) -> Verb {
        // cannot fire: verb_slot returns the top 7 bits of a u32, below the table's 128.
        let (known, verb) = VERB_TABLE[verb_slot(key)];
        if known == key {
            verb
        } else {
            Verb::Unknown
        }
    }
}

/// Splits at the first SP: what comes before, and what comes after if there is a SP.
fn split_sp(arg: &[u8]) -> (&[u8], Option<&[u8]>) {
    // The part before the SP is a letter or a time-val: a plain loop beats a memchr call.
    match arg.iter().position(|&b| b == b' ') {
        Some(sp) => {
            let (head, tail) = arg.split_at(sp);
            (head, tail.get(1..))
        }
        None => (arg, None),
    }
}

/// A text or path argument as it is in the line: [`decode_text`], or, when `CLEAN` says the
/// line holds no CR, LF or NUL (so there is nothing to decode or refuse), the bytes as they are.
#[inline(always)]
fn text<const CLEAN: bool>(a: &[u8]) -> Result<Bytes<'_>, CommandError> {
    if CLEAN {
        Ok(Cow::Borrowed(a))
    } else {
        decode_text(a)
    }
}

/// A mandatory text or path argument: absent or empty is `MissingArgument`.
fn required<const CLEAN: bool>(arg: Option<&[u8]>) -> Result<Bytes<'_>, CommandError> {
    match arg {
        None | Some([]) => Err(CommandError::MissingArgument),
        Some(a) => text::<CLEAN>(a),
    }
}

/// An optional text or path argument: absent or empty is `None`.
fn optional<const CLEAN: bool>(arg: Option<&[u8]>) -> Result<Option<Bytes<'_>>, CommandError> {
    match arg {
        None | Some([]) => Ok(None),
        Some(a) => text::<CLEAN>(a).map(Some),
    }
}

// A verb without argument (`bare!` in `Command::decode`): a lone trailing SP is tolerated,
// anything more is `UnexpectedArgument`.

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
    let ip = match af {
        1 => IpAddr::V4(parse_ipv4(addr).ok_or(invalid)?),
        2 => {
            let addr = std::str::from_utf8(addr).map_err(|_| invalid)?;
            IpAddr::V6(addr.parse::<Ipv6Addr>().map_err(|_| invalid)?)
        }
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
fn parse_mfmt<const CLEAN: bool>(arg: Option<&[u8]>) -> Result<Command<'_>, CommandError> {
    let arg = present(arg)?;
    let (time, path) = split_sp(arg);
    let time = TimeVal::parse(time).ok_or(CommandError::InvalidArgument)?;
    Ok(Command::Mfmt {
        time,
        path: required::<CLEAN>(path)?,
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
        Command::decode::<false, _>(line, Ok, Err)
    }

    /// The body of [`Command::parse`]; `CLEAN` promises that `line` holds no CR, LF or NUL,
    /// so text arguments need no check. Inlined into [`parse_command`], whose fast path knows
    /// that, so the command is also built in place in its result.
    #[inline(always)]
    fn decode<const CLEAN: bool, R>(
        line: &'a [u8],
        ok: impl FnOnce(Command<'a>) -> R,
        err: impl FnOnce(CommandError) -> R,
    ) -> R {
        // `?` for this function: an error goes to `err`.
        macro_rules! t {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return err(e),
                }
            };
        }
        let (verb, verb_bytes, arg) = t!(split_verb(line));
        // Each arm hands its command to `ok` itself, so that the caller's result is written
        // in place (building it in a temporary and copying it costs a store-forwarding stall).
        macro_rules! bare {
            ($cmd:expr) => {
                match arg {
                    None | Some([]) => ok($cmd),
                    Some(_) => err(CommandError::UnexpectedArgument),
                }
            };
        }
        match verb {
            Verb::User => ok(Command::User(t!(required::<CLEAN>(arg)))),
            Verb::Pass => ok(Command::Pass(Secret::new(
                t!(optional::<CLEAN>(arg)).unwrap_or(Cow::Borrowed(&[])),
            ))),
            Verb::Acct => ok(Command::Acct(Secret::new(t!(required::<CLEAN>(arg))))),
            Verb::Cwd => ok(Command::Cwd(t!(required::<CLEAN>(arg)))),
            Verb::Xcwd => ok(Command::Xcwd(t!(required::<CLEAN>(arg)))),
            Verb::Cdup => bare!(Command::Cdup),
            Verb::Xcup => bare!(Command::Xcup),
            Verb::Smnt => ok(Command::Smnt(t!(required::<CLEAN>(arg)))),
            Verb::Rein => bare!(Command::Rein),
            Verb::Quit => bare!(Command::Quit),
            Verb::Port => ok(Command::Port(t!(parse_host_port(t!(present(arg)))))),
            Verb::Pasv => bare!(Command::Pasv),
            Verb::Type => ok(Command::Type(t!(parse_type(t!(present(arg)))))),
            Verb::Stru => ok(Command::Stru(match t!(letter(t!(present(arg)), b"FRP")) {
                b'F' => Structure::File,
                b'R' => Structure::Record,
                _ => Structure::Page,
            })),
            Verb::Mode => ok(Command::Mode(match t!(letter(t!(present(arg)), b"SBCZ")) {
                b'S' => TransferMode::Stream,
                b'B' => TransferMode::Block,
                b'C' => TransferMode::Compressed,
                _ => TransferMode::Deflate,
            })),
            Verb::Retr => ok(Command::Retr(t!(required::<CLEAN>(arg)))),
            Verb::Stor => ok(Command::Stor(t!(required::<CLEAN>(arg)))),
            Verb::Stou => ok(Command::Stou(t!(optional::<CLEAN>(arg)))),
            Verb::Appe => ok(Command::Appe(t!(required::<CLEAN>(arg)))),
            Verb::Allo => ok(t!(parse_allo(t!(present(arg))))),
            Verb::Rest => ok(Command::Rest(t!(parse_u64(t!(present(arg)))))),
            Verb::Rnfr => ok(Command::Rnfr(t!(required::<CLEAN>(arg)))),
            Verb::Rnto => ok(Command::Rnto(t!(required::<CLEAN>(arg)))),
            Verb::Abor => bare!(Command::Abor),
            Verb::Dele => ok(Command::Dele(t!(required::<CLEAN>(arg)))),
            Verb::Rmd => ok(Command::Rmd(t!(required::<CLEAN>(arg)))),
            Verb::Xrmd => ok(Command::Xrmd(t!(required::<CLEAN>(arg)))),
            Verb::Mkd => ok(Command::Mkd(t!(required::<CLEAN>(arg)))),
            Verb::Xmkd => ok(Command::Xmkd(t!(required::<CLEAN>(arg)))),
            Verb::Pwd => bare!(Command::Pwd),
            Verb::Xpwd => bare!(Command::Xpwd),
            Verb::List => ok(Command::List(t!(optional::<CLEAN>(arg)))),
            Verb::Nlst => ok(Command::Nlst(t!(optional::<CLEAN>(arg)))),
            Verb::Site => ok(Command::Site(t!(required::<CLEAN>(arg)))),
            Verb::Syst => bare!(Command::Syst),
            Verb::Stat => ok(Command::Stat(t!(optional::<CLEAN>(arg)))),
            Verb::Help => ok(Command::Help(t!(optional::<CLEAN>(arg)))),
            Verb::Noop => bare!(Command::Noop),
            Verb::Auth => ok(Command::Auth(t!(required::<CLEAN>(arg)))),
            Verb::Adat => ok(Command::Adat(t!(required::<CLEAN>(arg)))),
            Verb::Pbsz => ok(Command::Pbsz(t!(parse_u32(t!(present(arg)))))),
            Verb::Prot => ok(Command::Prot(match t!(letter(t!(present(arg)), b"CSEP")) {
                b'C' => ProtectionLevel::Clear,
                b'S' => ProtectionLevel::Safe,
                b'E' => ProtectionLevel::Confidential,
                _ => ProtectionLevel::Private,
            })),
            Verb::Ccc => bare!(Command::Ccc),
            Verb::Mic => ok(Command::Mic(t!(required::<CLEAN>(arg)))),
            Verb::Conf => ok(Command::Conf(t!(required::<CLEAN>(arg)))),
            Verb::Enc => ok(Command::Enc(t!(required::<CLEAN>(arg)))),
            Verb::Feat => bare!(Command::Feat),
            Verb::Opts => ok(Command::Opts(t!(required::<CLEAN>(arg)))),
            Verb::Eprt => ok(Command::Eprt(t!(parse_eprt(t!(present(arg)))))),
            Verb::Epsv => ok(Command::Epsv(t!(parse_epsv(arg)))),
            Verb::Size => ok(Command::Size(t!(required::<CLEAN>(arg)))),
            Verb::Mdtm => ok(Command::Mdtm(t!(required::<CLEAN>(arg)))),
            Verb::Mlst => ok(Command::Mlst(t!(optional::<CLEAN>(arg)))),
            Verb::Mlsd => ok(Command::Mlsd(t!(optional::<CLEAN>(arg)))),
            Verb::Lang => {
                let tag = t!(optional::<CLEAN>(arg));
                if tag.as_deref().is_some_and(|t| !is_lang_tag(t)) {
                    return err(CommandError::InvalidArgument);
                }
                ok(Command::Lang(tag))
            }
            Verb::Host => {
                let host = t!(required::<CLEAN>(arg));
                if !is_host_name(&host) {
                    return err(CommandError::InvalidArgument);
                }
                ok(Command::Host(host))
            }
            Verb::Mfmt => ok(t!(parse_mfmt::<CLEAN>(arg))),
            Verb::Unknown => ok(Command::Unknown {
                verb: Cow::Borrowed(verb_bytes),
                arg: t!(optional::<CLEAN>(arg)),
            }),
        }
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
    // Fast path: only these first bytes can start a security prefix (an empty head matches
    // every prefix and takes the loop).
    if let Some(&first) = head.first() {
        if !matches!(first.to_ascii_uppercase(), b'A' | b'M' | b'C' | b'E' | b'6') {
            return limits.max_line;
        }
    }
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
    // Every line no longer than both limits is within its own: only longer ones need to know
    // which limit applies.
    let within = limits.max_line.min(limits.max_security_line);
    // Fast path, one pass: the first byte below 0x0E is the CR of a CRLF, so the line holds no
    // CR, LF or NUL and its text arguments need no second look.
    if let Some(end) = find_control(buf) {
        if end <= within && buf.get(end..end + 2) == Some(b"\r\n") {
            let consumed = end + 2;
            // cannot fire: buf has a CR at index end.
            return Command::decode::<true, _>(
                &buf[..end],
                |cmd| Ok(Status::Complete((consumed, cmd))),
                |error| Err(StreamError::Command { error, consumed }),
            );
        }
    }
    let Some(end) = find_crlf(buf) else {
        // A trailing CR may be the first half of the line end.
        let content = buf.len() - usize::from(buf.last() == Some(&b'\r'));
        if content > within {
            let limit = line_limit(buf, limits);
            if content > limit {
                return Err(StreamError::Frame(FrameError::LineTooLong { limit }));
            }
        }
        return Ok(Status::Partial);
    };
    if end > within {
        let limit = line_limit(buf, limits);
        if end > limit {
            return Err(StreamError::Frame(FrameError::LineTooLong { limit }));
        }
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
    while let Some(i) = buf.get(from..).and_then(find_lf) {
        let lf = from + i;
        if lf > 0 && buf.get(lf - 1) == Some(&b'\r') {
            return Some(lf - 1);
        }
        from = lf + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    //! The fast paths of the command decoder against plain reference versions of the same rule.

    use super::*;
    use crate::codec::framing::{find_control, find_lf};
    use proptest::prelude::*;

    /// Every known verb is found in any case; a near miss is unknown (CMD-VERB, CMD-CASE).
    #[test]
    fn cmd_verb_table_finds_every_known_verb_in_any_case() {
        for (text, verb) in KNOWN_VERBS {
            let lower = text.to_ascii_lowercase();
            let mut mixed = text.to_vec();
            if let Some(b) = mixed.first_mut() {
                *b = b.to_ascii_lowercase();
            }
            for spelling in [text.to_vec(), lower, mixed] {
                assert_eq!(Verb::parse(&spelling), Some(verb), "{spelling:?}");
                let mut line = spelling.clone();
                line.extend_from_slice(b" x");
                assert_eq!(Verb::parse(&line), Some(verb), "{line:?}");
            }
            // One more letter makes another (unknown) verb.
            let mut longer = text.to_vec();
            longer.push(b'Q');
            assert_eq!(Verb::parse(&longer), Some(Verb::Unknown), "{longer:?}");
        }
        for unknown in [&b"XYZ"[..], b"A", b"US", b"USE", b"USERS", b"CWDX", b"PWDD"] {
            assert_eq!(Verb::parse(unknown), Some(Verb::Unknown), "{unknown:?}");
        }
    }

    /// Verb splitting edge cases: lengths 1-16, a 17th letter, non-letters next to letters
    /// (`@` and `[` border `A` and `Z`, `` ` `` and `{` border `a` and `z`, 0xC1 is `A` with
    /// the high bit set).
    #[test]
    fn cmd_verb_split_edges() {
        assert_eq!(split_verb(b""), Err(CommandError::Empty));
        assert_eq!(split_verb(b"    "), Err(CommandError::Empty));
        assert_eq!(split_verb(b" NOOP"), Err(CommandError::InvalidVerb));
        let sixteen = [b'Z'; 16];
        assert_eq!(
            split_verb(&sixteen),
            Ok((Verb::Unknown, &sixteen[..], None))
        );
        assert_eq!(split_verb(&[b'z'; 17]), Err(CommandError::InvalidVerb));
        for bad in [b'@', b'[', b'`', b'{', 0xC1, b'1', b'\t'] {
            for at in 0..5 {
                let mut line = b"NOOP".to_vec();
                line.insert(at.min(4), bad);
                // No letter first, or letters then a byte that is neither a letter nor SP.
                assert_eq!(
                    split_verb(&line).map(|_| ()),
                    Err(CommandError::InvalidVerb),
                    "{line:?}"
                );
            }
        }
        assert_eq!(
            split_verb(b"pwd "),
            Ok((Verb::Pwd, &b"pwd"[..], Some(&b""[..])))
        );
        assert_eq!(
            split_verb(b"Cwd  a"),
            Ok((Verb::Cwd, &b"Cwd"[..], Some(&b" a"[..])))
        );
    }

    /// The dotted quad of `EPRT |1|...|` follows the standard library's grammar exactly.
    #[test]
    fn eprt_ipv4_known_answers() {
        assert_eq!(parse_ipv4(b"127.0.0.1"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(Ipv4Addr::BROADCAST));
        for bad in [
            &b"256.0.0.1"[..],
            b"01.0.0.1",
            b"1.2.3",
            b"1.2.3.4.",
            b"1.2.3.4.5",
            b"1..3.4",
            b"1.2.3.0004",
            b" 1.2.3.4",
            b"1.2.3.4 ",
            b"",
            b"\xff.1.1.1",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{bad:?}");
        }
    }

    use std::net::Ipv4Addr;

    proptest! {
        /// `parse_ipv4` agrees with `Ipv4Addr::from_str` on dotted-quad-like input.
        #[test]
        fn eprt_ipv4_matches_std(s in "[0-9.]{0,18}") {
            prop_assert_eq!(parse_ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok());
        }

        /// The word-at-a-time searches find what a byte loop finds.
        #[test]
        fn frm_word_searches_match_byte_loops(data in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(0x0Du8), Just(0x0Eu8), Just(0xFFu8), any::<u8>(), 0x20u8..0x7F],
            0..100,
        )) {
            prop_assert_eq!(find_lf(&data), data.iter().position(|&b| b == b'\n'));
            let control = data.iter().take(64).position(|&b| b < 0x0E);
            prop_assert_eq!(find_control(&data), control);
        }

        /// The one-pass fast path of `parse_command` and the general path give the same result
        /// for any line (CMD-*, FRM-CRLF): the fast path is only an optimisation.
        #[test]
        fn cmd_fast_path_matches_general_path(
            verb in prop_oneof![Just("RETR"), Just("cwd"), Just("PASS"), Just("NOOP"), Just("Type"), Just("XYZZY"), Just("EPRT"), Just("PORT")],
            arg in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(b' '), Just(b'\t'), 0x20u8..0x7F, any::<u8>()], 0..80),
            with_sp in any::<bool>(),
        ) {
            let mut line = verb.as_bytes().to_vec();
            if with_sp {
                line.push(b' ');
            }
            line.extend_from_slice(&arg);
            let mut buf = line.clone();
            buf.extend_from_slice(b"\r\nNOOP\r\n");
            let limits = Limits::default();
            let got = parse_command(&buf, &limits);
            let end = find_crlf(&buf).expect("the buffer has a CRLF");
            let consumed = end + 2;
            let expected = match Command::parse(&buf[..end]) {
                Ok(cmd) => Ok(Status::Complete((consumed, cmd))),
                Err(error) => Err(StreamError::Command { error, consumed }),
            };
            prop_assert_eq!(got, expected);
        }
    }
}
