//! Codec targets: command and reply parsing, both round trips, reply bodies.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use crate::codec::reply_body::{
    parse_110_mark, parse_213_size, parse_213_time, parse_227, parse_228, parse_229, parse_257,
    parse_522_families, parse_feat, parse_pbsz, parse_stou_file, write_227_text, write_229_text,
    write_257_text, write_522_families_of, Features,
};
use crate::codec::{
    parse_command, Command, CommandError, EncodeError, EpsvArg, ExtendedAddr, FormatControl,
    FrameError, LineBuffer, LineEnding, ProtectionLevel, ReplyAssembler, ReplyError,
    RepresentationType, Status, StreamError, Structure, TransferMode, Verb,
};
use crate::timeval::TimeVal;
use crate::{Limits, Reply, ReplyCode, Secret};

use super::checks::assert_strict_wire;
use super::reader::{limits, roomy_limits, Chunks, Reader};

/// The longest line a [`LineBuffer`] with these limits can hold.
fn widest(limits: &Limits) -> usize {
    limits.max_line.max(limits.max_security_line)
}

/// Frames `pieces` with a [`LineBuffer`], checking its bounds after every push.
fn frame(pieces: &[&[u8]], limits: Limits, ending: LineEnding) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut rx = LineBuffer::new(limits, ending);
    let mut items = Vec::new();
    let mut telnet = Vec::new();
    for piece in pieces {
        rx.push(piece);
        while let Some(item) = rx.next_line() {
            if let Ok(line) = item {
                assert!(
                    line.len() <= widest(&limits),
                    "framed line over every limit"
                );
                if ending == LineEnding::Crlf {
                    assert!(!line.windows(2).any(|w| w == b"\r\n"), "CRLF inside a line");
                }
            }
            items.push(item.map(<[u8]>::to_vec));
        }
        // FRM-MAXCMD, FRM-MAXREP: an unfinished line never holds more than the limit (+ a CR).
        assert!(
            rx.buffered() <= widest(&limits) + 1,
            "line buffer holds {} bytes",
            rx.buffered()
        );
        telnet.clear();
        rx.take_telnet_replies(&mut telnet);
        assert!(telnet.len() <= 2 * 3 * 256, "Telnet answers grow");
    }
    items
}

/// Command parsing (server side): [`LineBuffer`] framing over any chunking gives the same
/// lines and errors and stays bounded; without Telnet bytes it agrees with [`parse_command`];
/// every line that parses re-encodes to a line that parses to the same command.
///
/// Input: a limits byte, a chunking byte, then the received stream.
pub fn command_parse(data: &[u8]) {
    let mut r = Reader::new(data);
    let limits = limits(r.u8());
    let mut chunks = Chunks::new(r.u8());
    let stream = r.rest();
    let whole = frame(&[stream], limits, LineEnding::Crlf);
    let chunked = frame(&chunks.split(stream), limits, LineEnding::Crlf);
    assert_eq!(whole, chunked, "framing depends on chunking");

    if memchr::memchr(0xFF, stream).is_none() {
        let mut items = whole.iter();
        let mut pos = 0;
        loop {
            let rest = stream.get(pos..).unwrap_or_default();
            match parse_command(rest, &limits) {
                Ok(Status::Partial) => {
                    assert_eq!(
                        items.next(),
                        None,
                        "parse_command: Partial, framing: a line"
                    );
                    break;
                }
                Ok(Status::Complete((used, cmd))) => {
                    let line = rest.get(..used - 2).unwrap_or_default();
                    assert_eq!(items.next(), Some(&Ok(line.to_vec())));
                    assert_eq!(Command::parse(line).as_ref(), Ok(&cmd));
                    pos += used;
                }
                Err(StreamError::Command { error, consumed }) => {
                    let line = rest.get(..consumed - 2).unwrap_or_default();
                    assert_eq!(items.next(), Some(&Ok(line.to_vec())));
                    assert_eq!(Command::parse(line), Err(error));
                    pos += consumed;
                }
                Err(StreamError::Frame(e)) => {
                    assert_eq!(items.next(), Some(&Err(e)));
                    break;
                }
            }
        }
    }

    for line in whole.iter().flatten() {
        let verb = Verb::parse(line);
        match Command::parse(line) {
            Ok(cmd) => {
                assert_eq!(Some(cmd.verb()), verb);
                assert_reencodes(&cmd);
            }
            Err(e) => assert_eq!(
                verb.is_none(),
                matches!(e, CommandError::Empty | CommandError::InvalidVerb),
                "Verb::parse and Command::parse disagree on {line:?}: {e:?}"
            ),
        }
    }
}

/// Encodes `cmd` (escaping CR when it holds one), frames and parses the result, and checks
/// it is `cmd` again (an unknown verb comes back upper-cased).
fn assert_reencodes(cmd: &Command<'_>) {
    let mut wire = Vec::new();
    let escaped = match cmd.encode(&mut wire) {
        Ok(()) => false,
        Err(EncodeError::ForbiddenByte { byte: b'\r' }) => {
            assert!(wire.is_empty(), "a refused command wrote bytes");
            if let Err(e) = cmd.encode_escaping_cr(&mut wire) {
                panic!("{cmd:?} does not encode with CR escaping: {e}");
            }
            true
        }
        Err(e) => panic!("{cmd:?} was parsed but does not encode: {e}"),
    };
    assert_strict_wire(&wire, escaped, "encoded command");
    let again = parse_one_command(&wire);
    let mut wire2 = Vec::new();
    let result = if escaped {
        again.encode_escaping_cr(&mut wire2)
    } else {
        again.encode(&mut wire2)
    };
    assert_eq!(result, Ok(()));
    assert_eq!(wire2, wire, "encoding is not stable");
    match (cmd, &again) {
        (
            Command::Unknown { verb, arg },
            Command::Unknown {
                verb: verb2,
                arg: arg2,
            },
        ) => {
            assert_eq!(verb.to_ascii_uppercase(), verb2.to_vec());
            assert_eq!(arg, arg2);
        }
        _ => assert_eq!(&again, cmd),
    }
}

/// The single command line in `wire`, parsed.
fn parse_one_command(wire: &[u8]) -> Command<'static> {
    let mut rx = LineBuffer::new(roomy_limits(), LineEnding::Crlf);
    rx.push(wire);
    let line = match rx.next_line() {
        Some(Ok(line)) => line.to_vec(),
        other => panic!("encoded command does not frame: {other:?} from {wire:?}"),
    };
    assert_eq!(
        rx.next_line(),
        None,
        "encoded command is more than one line"
    );
    assert_eq!(rx.buffered(), 0);
    match Command::parse(&line) {
        Ok(cmd) => cmd.into_owned(),
        Err(e) => panic!("encoded command does not parse ({e}): {wire:?}"),
    }
}

/// How the client decodes replies: [`LineBuffer`] with bare-LF leniency, then
/// [`ReplyAssembler`]. Stops at the first error, as the client does.
fn assemble(pieces: &[&[u8]], limits: Limits) -> (Vec<Reply<'static>>, Option<ReplyStop>) {
    let mut rx = LineBuffer::new(limits, LineEnding::CrlfOrLf);
    let mut assembler = ReplyAssembler::new(limits);
    let mut replies = Vec::new();
    for piece in pieces {
        rx.push(piece);
        while let Some(item) = rx.next_line() {
            let line = match item {
                Ok(line) => line,
                Err(e) => return (replies, Some(ReplyStop::Frame(e))),
            };
            match assembler.push_line(line) {
                Ok(None) => {}
                Ok(Some(reply)) => replies.push(reply),
                Err(e) => {
                    assert!(!assembler.in_progress(), "assembler still open after {e}");
                    return (replies, Some(ReplyStop::Reply(e)));
                }
            }
        }
        assert!(rx.buffered() <= widest(&limits) + 1);
    }
    (replies, None)
}

/// Why a decoder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplyStop {
    Frame(FrameError),
    Reply(ReplyError),
}

impl ReplyStop {
    fn is_limit(self) -> bool {
        matches!(
            self,
            ReplyStop::Frame(_) | ReplyStop::Reply(ReplyError::TooLong | ReplyError::TooManyLines)
        )
    }
}

/// Reply parsing (client side): [`Reply::parse`] and the client's framing + assembler agree
/// (up to the first limit error, and when no Telnet bytes are involved), the assembler does
/// not depend on chunking, every reply is within the limits, and re-encoding is stable.
///
/// Input: a limits byte, a chunking byte, then the received stream.
pub fn reply_parse(data: &[u8]) {
    let mut r = Reader::new(data);
    let limits = limits(r.u8());
    let mut chunks = Chunks::new(r.u8());
    let stream = r.rest();

    let mut parsed = Vec::new();
    let mut pos = 0;
    let end = loop {
        let rest = stream.get(pos..).unwrap_or_default();
        match Reply::parse(rest, &limits) {
            Ok(Status::Complete((used, reply))) => {
                assert!(used > 0 && used <= rest.len());
                assert!(used <= limits.max_reply_bytes, "reply of {used} bytes");
                assert_within_limits(&reply, &limits);
                assert_reply_reencodes(&reply);
                parsed.push(reply.into_owned());
                pos += used;
            }
            Ok(Status::Partial) => break None,
            Err(e) => break Some(ReplyStop::Reply(e)),
        }
    };

    let (whole, whole_stop) = assemble(&[stream], limits);
    let (chunked, chunked_stop) = assemble(&chunks.split(stream), limits);
    assert_eq!(whole, chunked, "reply assembly depends on chunking");
    assert_eq!(whole_stop, chunked_stop);
    for reply in &whole {
        assert_within_limits(reply, &limits);
    }

    if memchr::memchr(0xFF, stream).is_some() {
        return;
    }
    let limit_hit =
        end.is_some_and(ReplyStop::is_limit) || whole_stop.is_some_and(ReplyStop::is_limit);
    let common = parsed.len().min(whole.len());
    assert_eq!(
        parsed.get(..common),
        whole.get(..common),
        "decoders disagree"
    );
    if limit_hit {
        return;
    }
    assert_eq!(
        parsed.len(),
        whole.len(),
        "decoders found different reply counts"
    );
    match (end, whole_stop) {
        (None, None) => {}
        (Some(a), Some(b)) => assert_eq!(a, b),
        // Reply::parse refuses a first line as soon as its start cannot open a reply; the
        // assembler only sees the line once it is complete.
        (Some(ReplyStop::Reply(ReplyError::InvalidCode)), None) => {}
        (a, b) => panic!("decoders end differently: {a:?} vs {b:?}"),
    }
}

/// A decoded reply respects the limits it was decoded with.
fn assert_within_limits(reply: &Reply<'_>, limits: &Limits) {
    let line_limit = if reply.code().is_protected() {
        limits.max_security_line
    } else {
        limits.max_line
    };
    let mut count = 0;
    for line in reply.lines() {
        count += 1;
        assert!(
            line.len() <= line_limit,
            "reply line of {} bytes",
            line.len()
        );
    }
    assert!(count <= limits.max_reply_lines, "reply of {count} lines");
}

/// Whether `reply` survives encode -> parse exactly: no CR or NUL in its text (they become
/// spaces), and no inner line that starts with a digit (it gets a space) unless protected.
fn reply_is_canonical(reply: &Reply<'_>) -> bool {
    let text = reply.text();
    if text.iter().any(|&b| b == b'\r' || b == 0) {
        return false;
    }
    let lines: Vec<&[u8]> = reply.lines().collect();
    reply.code().is_protected()
        || lines.len() < 3
        || lines
            .get(1..lines.len() - 1)
            .unwrap_or_default()
            .iter()
            .all(|l| !l.first().is_some_and(u8::is_ascii_digit))
}

/// Encodes `reply`, checks the wire form, parses it back as exactly one reply and checks the
/// result encodes to the same bytes (and is `reply` itself when that is canonical).
fn assert_reply_reencodes(reply: &Reply<'_>) {
    let mut wire = Vec::new();
    if let Err(e) = reply.encode(&mut wire) {
        panic!("{reply:?} does not encode: {e}");
    }
    assert_strict_wire(&wire, false, "encoded reply");
    let again = match Reply::parse(&wire, &roomy_limits()) {
        Ok(Status::Complete((used, again))) => {
            assert_eq!(used, wire.len(), "encoded reply splits: {wire:?}");
            again
        }
        other => panic!("encoded reply does not parse: {other:?} from {wire:?}"),
    };
    assert_eq!(again.code(), reply.code());
    assert_eq!(again.lines().count(), reply.lines().count());
    assert_eq!(again.is_multiline(), reply.is_multiline());
    let mut wire2 = Vec::new();
    assert_eq!(again.encode(&mut wire2), Ok(()));
    assert_eq!(wire2, wire, "reply encoding is not stable");
    if reply_is_canonical(reply) {
        assert_eq!(&again, reply);
    }
}

/// A byte string from the input; `Cow` so it can be a command argument.
fn text<'a>(r: &mut Reader<'a>) -> Cow<'a, [u8]> {
    Cow::Borrowed(r.short())
}

fn opt_text<'a>(r: &mut Reader<'a>) -> Option<Cow<'a, [u8]>> {
    r.bool().then(|| text(r))
}

/// A time-val from the input, valid or not.
fn timeval(r: &mut Reader<'_>) -> TimeVal {
    TimeVal {
        year: r.u16() % 10_100,
        month: r.u8() % 14,
        day: r.u8() % 33,
        hour: r.u8() % 25,
        minute: r.u8() % 61,
        second: r.u8() % 62,
        nanos: r.u32() % 1_000_000_001,
        frac_digits: r.u8() % 11,
    }
}

fn socket_addr(r: &mut Reader<'_>) -> SocketAddr {
    let port = r.u16();
    if r.bool() {
        SocketAddr::from((Ipv4Addr::from(r.u32()), port))
    } else {
        let hi = u128::from(r.u64());
        let lo = u128::from(r.u64());
        SocketAddr::from((Ipv6Addr::from(hi << 64 | lo), port))
    }
}

fn format_control(r: &mut Reader<'_>) -> FormatControl {
    r.pick(&[
        FormatControl::Default,
        FormatControl::NonPrint,
        FormatControl::Telnet,
        FormatControl::Asa,
    ])
}

/// A command of any verb, with arguments from the input.
pub(super) fn command<'a>(r: &mut Reader<'a>) -> Command<'a> {
    let known = Verb::KNOWN.len();
    let which = usize::from(r.u8()) % (known + 1);
    let Some(&verb) = Verb::KNOWN.get(which) else {
        return Command::Unknown {
            verb: text(r),
            arg: opt_text(r),
        };
    };
    match verb {
        Verb::User => Command::User(text(r)),
        Verb::Pass => Command::Pass(Secret::new(text(r))),
        Verb::Acct => Command::Acct(Secret::new(text(r))),
        Verb::Cwd => Command::Cwd(text(r)),
        Verb::Xcwd => Command::Xcwd(text(r)),
        Verb::Cdup => Command::Cdup,
        Verb::Xcup => Command::Xcup,
        Verb::Smnt => Command::Smnt(text(r)),
        Verb::Rein => Command::Rein,
        Verb::Quit => Command::Quit,
        Verb::Port => Command::Port(SocketAddrV4::new(Ipv4Addr::from(r.u32()), r.u16())),
        Verb::Pasv => Command::Pasv,
        Verb::Type => Command::Type(match r.u8() % 4 {
            0 => RepresentationType::Ascii(format_control(r)),
            1 => RepresentationType::Ebcdic(format_control(r)),
            2 => RepresentationType::Image,
            _ => RepresentationType::Local(r.u8()),
        }),
        Verb::Stru => Command::Stru(r.pick(&[Structure::File, Structure::Record, Structure::Page])),
        Verb::Mode => Command::Mode(r.pick(&[
            TransferMode::Stream,
            TransferMode::Block,
            TransferMode::Compressed,
            TransferMode::Deflate,
        ])),
        Verb::Retr => Command::Retr(text(r)),
        Verb::Stor => Command::Stor(text(r)),
        Verb::Stou => Command::Stou(opt_text(r)),
        Verb::Appe => Command::Appe(text(r)),
        Verb::Allo => Command::Allo {
            size: r.size(),
            record: r.bool().then(|| r.size()),
        },
        Verb::Rest => Command::Rest(r.size()),
        Verb::Rnfr => Command::Rnfr(text(r)),
        Verb::Rnto => Command::Rnto(text(r)),
        Verb::Abor => Command::Abor,
        Verb::Dele => Command::Dele(text(r)),
        Verb::Rmd => Command::Rmd(text(r)),
        Verb::Xrmd => Command::Xrmd(text(r)),
        Verb::Mkd => Command::Mkd(text(r)),
        Verb::Xmkd => Command::Xmkd(text(r)),
        Verb::Pwd => Command::Pwd,
        Verb::Xpwd => Command::Xpwd,
        Verb::List => Command::List(opt_text(r)),
        Verb::Nlst => Command::Nlst(opt_text(r)),
        Verb::Site => Command::Site(text(r)),
        Verb::Syst => Command::Syst,
        Verb::Stat => Command::Stat(opt_text(r)),
        Verb::Help => Command::Help(opt_text(r)),
        Verb::Noop => Command::Noop,
        Verb::Auth => Command::Auth(text(r)),
        Verb::Adat => Command::Adat(text(r)),
        Verb::Pbsz => Command::Pbsz(r.u32()),
        Verb::Prot => Command::Prot(r.pick(&[
            ProtectionLevel::Clear,
            ProtectionLevel::Safe,
            ProtectionLevel::Confidential,
            ProtectionLevel::Private,
        ])),
        Verb::Ccc => Command::Ccc,
        Verb::Mic => Command::Mic(text(r)),
        Verb::Conf => Command::Conf(text(r)),
        Verb::Enc => Command::Enc(text(r)),
        Verb::Feat => Command::Feat,
        Verb::Opts => Command::Opts(text(r)),
        Verb::Eprt => Command::Eprt(ExtendedAddr {
            delimiter: r.u8(),
            addr: socket_addr(r),
        }),
        Verb::Epsv => Command::Epsv(match r.u8() % 3 {
            0 => EpsvArg::Any,
            1 => EpsvArg::All,
            _ => EpsvArg::Protocol(r.u16()),
        }),
        Verb::Size => Command::Size(text(r)),
        Verb::Mdtm => Command::Mdtm(text(r)),
        Verb::Mlst => Command::Mlst(opt_text(r)),
        Verb::Mlsd => Command::Mlsd(opt_text(r)),
        Verb::Lang => Command::Lang(opt_text(r)),
        Verb::Host => Command::Host(text(r)),
        Verb::Mfmt => Command::Mfmt {
            time: timeval(r),
            path: text(r),
        },
        _ => Command::Noop,
    }
}

/// The text arguments of `cmd`, for checking why an encoder refused it.
fn text_args<'c>(cmd: &'c Command<'_>) -> Vec<&'c [u8]> {
    match cmd {
        Command::User(b)
        | Command::Cwd(b)
        | Command::Xcwd(b)
        | Command::Smnt(b)
        | Command::Retr(b)
        | Command::Stor(b)
        | Command::Appe(b)
        | Command::Rnfr(b)
        | Command::Rnto(b)
        | Command::Dele(b)
        | Command::Rmd(b)
        | Command::Xrmd(b)
        | Command::Mkd(b)
        | Command::Xmkd(b)
        | Command::Site(b)
        | Command::Auth(b)
        | Command::Adat(b)
        | Command::Mic(b)
        | Command::Conf(b)
        | Command::Enc(b)
        | Command::Opts(b)
        | Command::Size(b)
        | Command::Mdtm(b)
        | Command::Host(b)
        | Command::Mfmt { path: b, .. } => vec![b],
        Command::Pass(s) | Command::Acct(s) => vec![s.expose()],
        Command::Stou(b)
        | Command::List(b)
        | Command::Nlst(b)
        | Command::Stat(b)
        | Command::Help(b)
        | Command::Mlst(b)
        | Command::Mlsd(b)
        | Command::Lang(b)
        | Command::Unknown { arg: b, .. } => b.as_deref().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Command round trip: a [`Command`] built from the input either encodes to one line that
/// parses back to it, or is refused with nothing written: [`EncodeError::ForbiddenByte`] only
/// for a CR, LF or NUL really present in an argument.
///
/// Input: a verb byte, then the arguments (length-prefixed byte strings, numbers), then a byte
/// choosing [`Command::encode`] or [`Command::encode_escaping_cr`].
pub fn command_roundtrip(data: &[u8]) {
    let mut r = Reader::new(data);
    let cmd = command(&mut r);
    let escaping = r.bool();
    let mut wire = b"NOOP\r\n".to_vec();
    let result = if escaping {
        cmd.encode_escaping_cr(&mut wire)
    } else {
        cmd.encode(&mut wire)
    };
    match result {
        Err(e) => {
            assert_eq!(wire, b"NOOP\r\n", "a refused command wrote bytes");
            if let EncodeError::ForbiddenByte { byte } = e {
                assert!(matches!(byte, 0 | b'\r' | b'\n'));
                assert!(
                    text_args(&cmd).iter().any(|a| a.contains(&byte)),
                    "{cmd:?} refused for a byte it does not hold"
                );
            }
        }
        Ok(()) => {
            let wire = wire.get(6..).unwrap_or_default();
            assert_strict_wire(wire, escaping, "encoded command");
            if let Command::Unknown { verb, .. } = &cmd {
                if Verb::parse(verb) != Some(Verb::Unknown) {
                    // An "unknown" verb that spells a known one is that command on the wire,
                    // whose argument may not fit it: only framing is checked.
                    return;
                }
            }
            let again = parse_one_command(wire);
            match &cmd {
                Command::Unknown { verb, arg } => {
                    let arg = arg.as_deref().filter(|a| !a.is_empty());
                    match &again {
                        Command::Unknown {
                            verb: verb2,
                            arg: arg2,
                        } => {
                            assert_eq!(verb.to_ascii_uppercase(), verb2.to_vec());
                            assert_eq!(arg, arg2.as_deref());
                        }
                        other => panic!("unknown verb {verb:?} came back as {other:?}"),
                    }
                }
                _ => assert_eq!(normalised(cmd), again),
            }
        }
    }
}

/// `cmd` as the parser returns it: empty optional arguments are absent, and a time-val keeps
/// only the fraction digits it is written with.
fn normalised(cmd: Command<'_>) -> Command<'static> {
    let some = |b: Option<Cow<'_, [u8]>>| {
        b.filter(|b| !b.is_empty())
            .map(|b| Cow::Owned(b.into_owned()))
    };
    match cmd {
        Command::Stou(b) => Command::Stou(some(b)),
        Command::List(b) => Command::List(some(b)),
        Command::Nlst(b) => Command::Nlst(some(b)),
        Command::Stat(b) => Command::Stat(some(b)),
        Command::Help(b) => Command::Help(some(b)),
        Command::Mlst(b) => Command::Mlst(some(b)),
        Command::Mlsd(b) => Command::Mlsd(some(b)),
        Command::Lang(b) => Command::Lang(some(b)),
        Command::Mfmt { mut time, path } => {
            let unit = 10u32.pow(9 - u32::from(time.frac_digits.min(9)));
            time.nanos = time.nanos / unit * unit;
            Command::Mfmt {
                time,
                path: Cow::Owned(path.into_owned()),
            }
        }
        other => other.into_owned(),
    }
}

/// Reply round trip: any code and text encode to exactly one strict reply that parses back
/// (REP-SANITIZE: no text can split it); [`Reply::encode_line`] gives one line whose text is
/// the input with CR, LF and NUL turned into spaces.
///
/// Input: two bytes of code, then the text (`\n` separates lines).
pub fn reply_roundtrip(data: &[u8]) {
    let mut r = Reader::new(data);
    let number = r.u16();
    let text = r.rest();
    let Some(code) = ReplyCode::new(100 + number % 600) else {
        panic!("code 100..=699 refused");
    };
    assert_eq!(
        ReplyCode::new(number).is_some(),
        (100..=699).contains(&number)
    );
    let reply = Reply::new(code, text);
    assert_reply_reencodes(&reply);

    let mut wire = Vec::new();
    assert_eq!(Reply::encode_line(code, text, &mut wire), Ok(()));
    assert_strict_wire(&wire, false, "encoded reply line");
    assert_eq!(memchr::memchr_iter(b'\n', &wire).count(), 1);
    match Reply::parse(&wire, &roomy_limits()) {
        Ok(Status::Complete((used, again))) => {
            assert_eq!(used, wire.len());
            let want: Vec<u8> = text
                .iter()
                .map(|&b| {
                    if matches!(b, b'\r' | b'\n' | 0) {
                        b' '
                    } else {
                        b
                    }
                })
                .collect();
            assert_eq!(again, Reply::new(code, want));
        }
        other => panic!("encoded reply line does not parse: {other:?}"),
    }
}

/// Removes leading and trailing spaces and tabs.
fn trim(s: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !blank(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !blank(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

/// Reply bodies: every body parser accepts any text without panicking and returns values
/// within their grammar; each writer's text parses back to the value written; a time-val
/// that parses encodes back to the same bytes.
///
/// Input: a selector byte for the writer round trips, value bytes, then the text.
pub fn reply_body(data: &[u8]) {
    let mut r = Reader::new(data);
    let sel = r.u8();
    let mut v = Reader::new(r.bytes(40));
    let text = r.rest();

    // Parsers on any text.
    let _ = parse_227(text);
    let _ = parse_228(text);
    if let Ok(port) = parse_229(text) {
        assert_ne!(port, 0);
    }
    if let Ok(path) = parse_257(text) {
        assert!(path.len() <= text.len());
    }
    if parse_213_size(text).is_ok() {
        let digits = trim(text);
        assert!(!digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
    }
    match parse_213_time(text) {
        Ok(t) => {
            assert!(t.is_valid());
            let mut out = Vec::new();
            t.encode(&mut out);
            assert_eq!(out, trim(text), "time-val does not encode back");
        }
        Err(e) => assert_eq!(e, ReplyError::InvalidBody),
    }
    let features = parse_feat(text);
    assert!(features.len() <= crate::codec::reply_body::MAX_FEATURES);
    let _ = features.mlst_facts().count();
    if let Some(name) = parse_stou_file(text) {
        assert!(!name.is_empty());
    }
    let _ = parse_110_mark(text);
    let _ = parse_pbsz(text);
    if let Ok(f) = parse_522_families(text) {
        assert!(!f.is_empty());
    }
    if let Some(t) = TimeVal::parse(text) {
        let mut out = Vec::new();
        t.encode(&mut out);
        assert_eq!(out, text);
        assert_eq!(t.to_string().as_bytes(), text);
        if t.second < 60 {
            let back = TimeVal::from_unix(t.to_unix(), t.nanos)
                .map(|b| (b.year, b.month, b.day, b.hour, b.minute, b.second, b.nanos));
            assert_eq!(
                back,
                Some((t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos))
            );
        }
    }

    // Writers, then parsers.
    let mut out = Vec::new();
    match sel % 5 {
        0 => {
            let addr = SocketAddrV4::new(Ipv4Addr::from(v.u32()), v.u16());
            write_227_text(addr, &mut out);
            let want = if addr.port() == 0 {
                Err(ReplyError::InvalidBody)
            } else {
                Ok(addr)
            };
            assert_eq!(parse_227(&out), want);
        }
        1 => {
            let port = v.u16();
            write_229_text(port, &mut out);
            let want = if port == 0 {
                Err(ReplyError::InvalidBody)
            } else {
                Ok(port)
            };
            assert_eq!(parse_229(&out), want);
        }
        2 => {
            let path = v.short();
            let comment = v.short();
            write_257_text(path, comment, &mut out);
            if !path.contains(&b'\n') && !comment.contains(&b'\n') {
                assert_eq!(parse_257(&out).as_deref(), Ok(path), "257 text {out:?}");
            }
        }
        3 => {
            let n = usize::from(v.u8() % 8) + 1;
            let families: Vec<u16> = (0..n).map(|_| v.u16()).collect();
            write_522_families_of(&families, &mut out);
            let parsed = parse_522_families(&out).map(|f| f.to_vec());
            assert_eq!(parsed, Ok(families));
        }
        _ => {
            let mut features = Features::new();
            let mut want = Vec::new();
            for _ in 0..v.u8() % 6 {
                let name = v.short();
                let params = v.short();
                let name_ok = !name.is_empty() && !name.iter().any(|&b| matches!(b, b' ' | b'\n'));
                if name_ok && !params.contains(&b'\n') && features.insert(name, params) {
                    want.push((name.to_ascii_uppercase(), params.to_vec()));
                }
            }
            features.write_text(&mut out);
            let back = parse_feat(&out);
            let got: Vec<(Vec<u8>, Vec<u8>)> =
                back.iter().map(|(n, p)| (n.to_vec(), p.to_vec())).collect();
            assert_eq!(got, want, "FEAT text {out:?}");
        }
    }
}
