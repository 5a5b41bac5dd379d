//! Command codec: `Command::parse`, `Command::encode`, `Verb`, `parse_command`.
//!
//! Row IDs of `CONFORMANCE.md` are named in test names or comments.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use ftps_proto::codec::{
    parse_command, Bytes, Command, CommandError, EncodeError, EpsvArg, ExtendedAddr, FormatControl,
    FrameError, LineBuffer, LineEnding, ProtectionLevel, RepresentationType, StreamError,
    Structure, TransferMode, Verb,
};
use ftps_proto::timeval::TimeVal;
use ftps_proto::{Limits, Secret, Status};
use proptest::prelude::*;

fn b(s: &'static str) -> Bytes<'static> {
    Cow::Borrowed(s.as_bytes())
}

fn parse(line: &[u8]) -> Result<Command<'_>, CommandError> {
    Command::parse(line)
}

fn encode(cmd: &Command<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    cmd.encode(&mut out).map(|()| out)
}

fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from(a), port)
}

fn time(s: &str) -> TimeVal {
    match TimeVal::parse(s.as_bytes()) {
        Some(t) => t,
        None => panic!("bad test time {s}"),
    }
}

/// Canonical wire forms (without CRLF) and their commands: parse and encode must agree both
/// ways. Covers every known verb.
fn vectors() -> Vec<(&'static [u8], Command<'static>)> {
    use Command as C;
    use RepresentationType as T;
    vec![
        (b"USER anna", C::User(b("anna"))),
        (b"PASS hunter2", C::Pass(Secret::from("hunter2"))),
        (b"ACCT dept7", C::Acct(Secret::from("dept7"))),
        (b"CWD /a b", C::Cwd(b("/a b"))),
        (b"XCWD sub", C::Xcwd(b("sub"))),
        (b"CDUP", C::Cdup),
        (b"XCUP", C::Xcup),
        (b"SMNT /mnt/x", C::Smnt(b("/mnt/x"))),
        (b"REIN", C::Rein),
        (b"QUIT", C::Quit),
        (b"PORT 10,0,0,1,4,1", C::Port(v4([10, 0, 0, 1], 1025))),
        (b"PORT 0,0,0,0,0,1", C::Port(v4([0, 0, 0, 0], 1))),
        (
            b"PORT 255,255,255,255,255,255",
            C::Port(v4([255; 4], 65535)),
        ),
        (b"PASV", C::Pasv),
        (b"TYPE A", C::Type(T::Ascii(FormatControl::Default))),
        (b"TYPE A N", C::Type(T::Ascii(FormatControl::NonPrint))),
        (b"TYPE A T", C::Type(T::Ascii(FormatControl::Telnet))),
        (b"TYPE A C", C::Type(T::Ascii(FormatControl::Asa))),
        (b"TYPE E", C::Type(T::Ebcdic(FormatControl::Default))),
        (b"TYPE E N", C::Type(T::Ebcdic(FormatControl::NonPrint))),
        (b"TYPE E T", C::Type(T::Ebcdic(FormatControl::Telnet))),
        (b"TYPE E C", C::Type(T::Ebcdic(FormatControl::Asa))),
        (b"TYPE I", C::Type(T::Image)),
        (b"TYPE L 8", C::Type(T::Local(8))),
        (b"TYPE L 36", C::Type(T::Local(36))),
        (b"STRU F", C::Stru(Structure::File)),
        (b"STRU R", C::Stru(Structure::Record)),
        (b"STRU P", C::Stru(Structure::Page)),
        (b"MODE S", C::Mode(TransferMode::Stream)),
        (b"MODE B", C::Mode(TransferMode::Block)),
        (b"MODE C", C::Mode(TransferMode::Compressed)),
        (b"MODE Z", C::Mode(TransferMode::Deflate)),
        (b"RETR file1234.bin", C::Retr(b("file1234.bin"))),
        (b"STOR my file.txt", C::Stor(b("my file.txt"))),
        (b"STOU", C::Stou(None)),
        (b"STOU base", C::Stou(Some(b("base")))),
        (b"APPE log.txt", C::Appe(b("log.txt"))),
        (
            b"ALLO 1000",
            C::Allo {
                size: 1000,
                record: None,
            },
        ),
        (
            b"ALLO 1000 R 80",
            C::Allo {
                size: 1000,
                record: Some(80),
            },
        ),
        (b"REST 0", C::Rest(0)),
        (b"REST 18446744073709551615", C::Rest(u64::MAX)),
        (b"RNFR a", C::Rnfr(b("a"))),
        (b"RNTO b", C::Rnto(b("b"))),
        (b"ABOR", C::Abor),
        (b"DELE x", C::Dele(b("x"))),
        (b"RMD d", C::Rmd(b("d"))),
        (b"XRMD d", C::Xrmd(b("d"))),
        (b"MKD my \"quoted\" dir", C::Mkd(b("my \"quoted\" dir"))),
        (b"XMKD d", C::Xmkd(b("d"))),
        (b"PWD", C::Pwd),
        (b"XPWD", C::Xpwd),
        (b"LIST", C::List(None)),
        (b"LIST -a", C::List(Some(b("-a")))),
        (b"NLST", C::Nlst(None)),
        (b"NLST subdir", C::Nlst(Some(b("subdir")))),
        (b"SITE CHMOD 644 x", C::Site(b("CHMOD 644 x"))),
        (b"SYST", C::Syst),
        (b"STAT", C::Stat(None)),
        (b"STAT /dir", C::Stat(Some(b("/dir")))),
        (b"HELP", C::Help(None)),
        (b"HELP RETR", C::Help(Some(b("RETR")))),
        (b"NOOP", C::Noop),
        (b"AUTH TLS", C::Auth(b("TLS"))),
        (b"AUTH SSL", C::Auth(b("SSL"))),
        (b"ADAT QUJDRA==", C::Adat(b("QUJDRA=="))),
        (b"PBSZ 0", C::Pbsz(0)),
        (b"PBSZ 4294967295", C::Pbsz(u32::MAX)),
        (b"PROT C", C::Prot(ProtectionLevel::Clear)),
        (b"PROT S", C::Prot(ProtectionLevel::Safe)),
        (b"PROT E", C::Prot(ProtectionLevel::Confidential)),
        (b"PROT P", C::Prot(ProtectionLevel::Private)),
        (b"CCC", C::Ccc),
        (b"MIC REVG", C::Mic(b("REVG"))),
        (b"CONF REVG", C::Conf(b("REVG"))),
        (b"ENC REVG", C::Enc(b("REVG"))),
        (b"FEAT", C::Feat),
        (b"OPTS UTF8 ON", C::Opts(b("UTF8 ON"))),
        (b"OPTS MLST type;size;", C::Opts(b("MLST type;size;"))),
        (
            b"EPRT |1|132.235.1.2|6275|",
            C::Eprt(ExtendedAddr::new(
                "132.235.1.2:6275".parse().unwrap_or(UNSPEC),
            )),
        ),
        (
            b"EPRT |2|1080::8:800:200c:417a|5282|",
            C::Eprt(ExtendedAddr::new(
                "[1080::8:800:200c:417a]:5282".parse().unwrap_or(UNSPEC),
            )),
        ),
        (
            b"EPRT !1!132.235.1.2!6275!",
            C::Eprt(ExtendedAddr {
                delimiter: b'!',
                addr: "132.235.1.2:6275".parse().unwrap_or(UNSPEC),
            }),
        ),
        (b"EPSV", C::Epsv(EpsvArg::Any)),
        (b"EPSV ALL", C::Epsv(EpsvArg::All)),
        (b"EPSV 2", C::Epsv(EpsvArg::Protocol(2))),
        (b"SIZE file1234.bin", C::Size(b("file1234.bin"))),
        (b"MDTM file1234.bin", C::Mdtm(b("file1234.bin"))),
        (b"MLST", C::Mlst(None)),
        (b"MLST file1234.bin", C::Mlst(Some(b("file1234.bin")))),
        (b"MLSD", C::Mlsd(None)),
        (b"MLSD subdir", C::Mlsd(Some(b("subdir")))),
        (b"LANG", C::Lang(None)),
        (b"LANG fr", C::Lang(Some(b("fr")))),
        (b"LANG en-US", C::Lang(Some(b("en-US")))),
        (b"HOST ftp.example.com", C::Host(b("ftp.example.com"))),
        (b"HOST 192.0.2.1", C::Host(b("192.0.2.1"))),
        (b"HOST [2001:db8::1]", C::Host(b("[2001:db8::1]"))),
        (
            b"MFMT 20200102030405 f.txt",
            C::Mfmt {
                time: time("20200102030405"),
                path: b("f.txt"),
            },
        ),
        (
            b"MFMT 19980615100045.014 a b",
            C::Mfmt {
                time: time("19980615100045.014"),
                path: b("a b"),
            },
        ),
        (
            b"XYZZ",
            C::Unknown {
                verb: b("XYZZ"),
                arg: None,
            },
        ),
        (
            b"FOOB bar",
            C::Unknown {
                verb: b("FOOB"),
                arg: Some(b("bar")),
            },
        ), // FRM-VERB
        (
            b"ABCDEFGHIJKLMNOP x  y",
            C::Unknown {
                verb: b("ABCDEFGHIJKLMNOP"),
                arg: Some(b("x  y")),
            },
        ),
    ]
}

const UNSPEC: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

#[test]
fn known_answer_vectors_parse_and_encode_every_verb() {
    let vectors = vectors();
    for (wire, cmd) in &vectors {
        assert_eq!(
            parse(wire).as_ref(),
            Ok(cmd),
            "parse {}",
            wire.escape_ascii()
        );
        let mut expected = wire.to_vec();
        expected.extend_from_slice(b"\r\n");
        assert_eq!(encode(cmd), Ok(expected), "encode {cmd:?}");
        assert_eq!(Verb::parse(wire), Some(cmd.verb()));
    }
    for verb in Verb::KNOWN {
        assert!(
            vectors.iter().any(|(_, c)| c.verb() == *verb),
            "no vector for {verb:?}"
        );
    }
}

#[test]
fn known_answer_vectors_survive_into_owned() {
    for (wire, cmd) in vectors() {
        let owned: Command<'static> = match parse(wire) {
            Ok(c) => c.into_owned(),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(owned, cmd);
    }
}

#[test]
fn verb_names_and_lookup_agree() {
    assert_eq!(Verb::KNOWN.len(), 57);
    for &verb in Verb::KNOWN {
        let name = verb.as_str();
        assert!((3..=4).contains(&name.len()), "{name}");
        assert_eq!(Verb::parse(name.as_bytes()), Some(verb));
        assert_eq!(
            Verb::parse(name.to_ascii_lowercase().as_bytes()),
            Some(verb)
        ); // FRM-CASE
        assert_eq!(verb.to_string(), name);
        assert_eq!(
            verb.takes_security_line(),
            matches!(name, "ADAT" | "MIC" | "CONF" | "ENC")
        );
    }
    assert_eq!(Verb::Unknown.as_str(), "");
    assert!(!Verb::Unknown.takes_security_line());
}

#[test]
fn verb_parse_reports_the_verb_of_a_bad_line() {
    assert_eq!(Verb::parse(b"PORT 1,2,3,300,4,1"), Some(Verb::Port));
    assert_eq!(Verb::parse(b"RETR"), Some(Verb::Retr));
    assert_eq!(Verb::parse(b"XYZZ 1"), Some(Verb::Unknown));
    assert_eq!(Verb::parse(b""), None);
    assert_eq!(Verb::parse(b"   "), None);
    assert_eq!(Verb::parse(b"R3TR x"), None);
    assert_eq!(Verb::parse(b"\xffRETR"), None);
}

#[test]
fn frm_case_verbs_and_letter_codes_are_case_insensitive() {
    assert_eq!(parse(b"rEtR x"), Ok(Command::Retr(b("x"))));
    assert_eq!(
        parse(b"type i"),
        Ok(Command::Type(RepresentationType::Image))
    );
    assert_eq!(
        parse(b"type a t"),
        Ok(Command::Type(RepresentationType::Ascii(
            FormatControl::Telnet
        )))
    );
    assert_eq!(
        parse(b"type l 8"),
        Ok(Command::Type(RepresentationType::Local(8)))
    );
    assert_eq!(parse(b"stru r"), Ok(Command::Stru(Structure::Record)));
    assert_eq!(parse(b"mode b"), Ok(Command::Mode(TransferMode::Block)));
    assert_eq!(
        parse(b"prot p"),
        Ok(Command::Prot(ProtectionLevel::Private))
    );
    assert_eq!(parse(b"epsv all"), Ok(Command::Epsv(EpsvArg::All)));
    assert_eq!(
        parse(b"allo 5 r 2"),
        Ok(Command::Allo {
            size: 5,
            record: Some(2)
        })
    );
    // S2228-AUTH: the mechanism is kept as sent, the session compares it.
    assert_eq!(parse(b"auth tls"), Ok(Command::Auth(b("tls"))));
    // An unknown verb keeps its case; the encoder upper-cases it.
    let cmd = parse(b"xYzZ a");
    assert_eq!(
        cmd,
        Ok(Command::Unknown {
            verb: b("xYzZ"),
            arg: Some(b("a"))
        })
    );
    assert_eq!(cmd.map(|c| encode(&c)), Ok(Ok(b"XYZZ a\r\n".to_vec())));
}

#[test]
fn frm_sp_one_space_then_the_argument_verbatim() {
    assert_eq!(parse(b"STOR   a b "), Ok(Command::Stor(b("  a b "))));
    assert_eq!(parse(b"RETR  "), Ok(Command::Retr(b(" "))));
    assert_eq!(parse(b"CWD x "), Ok(Command::Cwd(b("x "))));
    assert_eq!(encode(&Command::Cwd(b("x"))), Ok(b"CWD x\r\n".to_vec()));
    assert_eq!(
        encode(&Command::Stor(b("  a b "))),
        Ok(b"STOR   a b \r\n".to_vec())
    );
    // An empty argument counts as absent.
    assert_eq!(parse(b"RETR "), Err(CommandError::MissingArgument));
    assert_eq!(parse(b"LIST "), Ok(Command::List(None)));
    assert_eq!(parse(b"CDUP "), Ok(Command::Cdup));
    // Typed arguments take no extra spaces.
    assert_eq!(parse(b"TYPE  I"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE A  N"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"REST  5"), Err(CommandError::InvalidArgument));
    assert_eq!(
        parse(b"PORT 1,2,3,4,5,6 "),
        Err(CommandError::InvalidArgument)
    );
}

#[test]
fn frm_verb_grammar() {
    assert_eq!(parse(b""), Err(CommandError::Empty));
    assert_eq!(parse(b"    "), Err(CommandError::Empty));
    assert_eq!(parse(b" NOOP"), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"NOOP\t"), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"RE7R x"), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"123"), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"\0"), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"\xff\xf4"), Err(CommandError::InvalidVerb));
    assert_eq!(parse("ÉCRIRE x".as_bytes()), Err(CommandError::InvalidVerb));
    assert_eq!(parse(b"ABCDEFGHIJKLMNOPQ"), Err(CommandError::InvalidVerb)); // 17 letters
    assert_eq!(
        parse(b"X"),
        Ok(Command::Unknown {
            verb: b("X"),
            arg: None
        })
    );
    assert_eq!(
        parse(b"RETRX a"),
        Ok(Command::Unknown {
            verb: b("RETRX"),
            arg: Some(b("a"))
        })
    );
}

#[test]
fn frm_crnul_cr_nul_is_unescaped_and_owned() {
    match parse(b"STOR a\r\0\nb") {
        Ok(Command::Stor(Cow::Owned(p))) => assert_eq!(p, b"a\r\nb"),
        other => panic!("{other:?}"),
    }
    match parse(b"RETR x\r\0") {
        Ok(Command::Retr(Cow::Owned(p))) => assert_eq!(p, b"x\r"),
        other => panic!("{other:?}"),
    }
    // ARG-STRING: a NUL not after a CR, a bare CR, a bare LF.
    assert_eq!(parse(b"STOR a\0b"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"STOR \0"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"STOR a\rb"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"STOR a\r"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"STOR a\nb"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"USER a\nPASS b"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"XYZZ a\0"), Err(CommandError::InvalidArgument));
    // Encoding: refused by default, escaped on request.
    let cmd = Command::Stor(b("a\r\nb"));
    assert_eq!(
        encode(&cmd),
        Err(EncodeError::ForbiddenByte { byte: b'\r' })
    );
    let mut out = Vec::new();
    assert_eq!(cmd.encode_escaping_cr(&mut out), Ok(()));
    assert_eq!(out, b"STOR a\r\0\nb\r\n");
    let mut out = Vec::new();
    assert_eq!(
        Command::Stor(b("a\nb")).encode_escaping_cr(&mut out),
        Err(EncodeError::ForbiddenByte { byte: b'\n' })
    );
    assert_eq!(
        Command::Stor(b("a\0")).encode_escaping_cr(&mut out),
        Err(EncodeError::ForbiddenByte { byte: 0 })
    );
    assert!(out.is_empty());
}

#[test]
fn borrowed_arguments_without_escapes() {
    let line = b"RETR some/file";
    match parse(line) {
        Ok(Command::Retr(Cow::Borrowed(p))) => {
            assert_eq!(p, b"some/file");
            assert_eq!(p.as_ptr(), line[5..].as_ptr());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn frm_8bit_bytes_pass_unchanged() {
    // Invalid UTF-8 and 0xFF are path bytes like any other.
    let cmd = parse(b"RETR \xe9\x80");
    assert_eq!(cmd, Ok(Command::Retr(Cow::Borrowed(b"\xe9\x80"))));
    assert_eq!(
        cmd.map(|c| encode(&c)),
        Ok(Ok(b"RETR \xe9\x80\r\n".to_vec()))
    );
    assert_eq!(
        parse(b"RETR \xff"),
        Ok(Command::Retr(Cow::Borrowed(b"\xff")))
    );
    assert_eq!(parse("MKD café".as_bytes()), Ok(Command::Mkd(b("café"))));
}

#[test]
fn frm_iac_encoder_doubles_0xff() {
    assert_eq!(
        encode(&Command::Retr(Cow::Borrowed(b"a\xffb"))),
        Ok(b"RETR a\xff\xffb\r\n".to_vec())
    );
    assert_eq!(
        encode(&Command::Pass(Secret::new(&b"\xff\xff"[..]))),
        Ok(b"PASS \xff\xff\xff\xff\r\n".to_vec())
    );
}

/// Decodes an encoded command line as a server does: Telnet-stripping framing, then parse.
fn through_wire(wire: &[u8]) -> Vec<u8> {
    let mut rx = LineBuffer::new(Limits::default(), LineEnding::Crlf);
    rx.push(wire);
    match rx.next_line() {
        Some(Ok(line)) => line.to_vec(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arg_string_every_byte_but_cr_lf_nul_round_trips_in_user() {
    let name: Vec<u8> = (1..=255u8).filter(|&c| c != b'\r' && c != b'\n').collect();
    let cmd = Command::User(Cow::Borrowed(&name));
    let wire = match encode(&cmd) {
        Ok(w) => w,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(wire.len(), 5 + name.len() + 1 + 2); // "USER " + bytes + doubled 0xFF + CRLF
    let line = through_wire(&wire);
    assert_eq!(parse(&line), Ok(cmd));
}

#[test]
fn pass_empty_and_secret_redacted() {
    // C959-PASS: `PASS` alone and `PASS ` are an empty password.
    assert_eq!(parse(b"PASS"), Ok(Command::Pass(Secret::default())));
    assert_eq!(parse(b"PASS "), Ok(Command::Pass(Secret::default())));
    assert_eq!(
        encode(&Command::Pass(Secret::default())),
        Ok(b"PASS \r\n".to_vec())
    );
    assert_eq!(parse(b"PASS  x"), Ok(Command::Pass(Secret::from(" x"))));
    let cmd = parse(b"PASS hunter2");
    assert!(!format!("{cmd:?}").contains("hunter2"));
    assert_eq!(parse(b"ACCT"), Err(CommandError::MissingArgument));
}

#[test]
fn arg_arity_missing_and_unexpected_arguments() {
    for verb in [
        "USER", "ACCT", "CWD", "XCWD", "SMNT", "PORT", "TYPE", "STRU", "MODE", "RETR", "STOR",
        "APPE", "ALLO", "REST", "RNFR", "RNTO", "DELE", "RMD", "XRMD", "MKD", "XMKD", "SITE",
        "AUTH", "ADAT", "PBSZ", "PROT", "MIC", "CONF", "ENC", "OPTS", "EPRT", "SIZE", "MDTM",
        "HOST", "MFMT",
    ] {
        assert_eq!(
            parse(verb.as_bytes()),
            Err(CommandError::MissingArgument),
            "{verb}"
        );
        let spaced = format!("{verb} ");
        assert_eq!(
            parse(spaced.as_bytes()),
            Err(CommandError::MissingArgument),
            "{verb}"
        );
    }
    for verb in [
        "CDUP", "XCUP", "REIN", "QUIT", "PASV", "ABOR", "PWD", "XPWD", "SYST", "NOOP", "CCC",
        "FEAT", // F2389-SYNTAX
    ] {
        let line = format!("{verb} x");
        assert_eq!(
            parse(line.as_bytes()),
            Err(CommandError::UnexpectedArgument),
            "{verb}"
        );
    }
    for (verb, cmd) in [
        ("LIST", Command::List(None)),
        ("NLST", Command::Nlst(None)),
        ("STAT", Command::Stat(None)),
        ("HELP", Command::Help(None)),
        ("MLST", Command::Mlst(None)),
        ("MLSD", Command::Mlsd(None)),
        ("LANG", Command::Lang(None)),
        ("STOU", Command::Stou(None)),
        ("EPSV", Command::Epsv(EpsvArg::Any)),
    ] {
        assert_eq!(parse(verb.as_bytes()), Ok(cmd), "{verb}");
    }
    // The MFMT path is mandatory too.
    assert_eq!(
        parse(b"MFMT 20200102030405"),
        Err(CommandError::MissingArgument)
    );
    assert_eq!(
        parse(b"MFMT 20200102030405 "),
        Err(CommandError::MissingArgument)
    );
}

#[test]
fn arg_hostport_port_fields() {
    assert_eq!(
        parse(b"PORT 10,0,0,1,4,1"),
        Ok(Command::Port(v4([10, 0, 0, 1], 1025)))
    );
    assert_eq!(
        parse(b"PORT 010,000,0,01,004,001"),
        Ok(Command::Port(v4([10, 0, 0, 1], 1025)))
    );
    for bad in [
        &b"PORT 1,2,3,256,1,1"[..],
        b"PORT 1,2,3,300,4,1", // 300 in a host-port field
        b"PORT 1,2,3,4,300,1",
        b"PORT 1,2,3,4,5",
        b"PORT 1,2,3,4,5,6,7",
        b"PORT 1,2,3,4,5,",
        b"PORT ,1,2,3,4,5",
        b"PORT 1, 2,3,4,5,6",
        b"PORT 1,2,3,4,-5,6",
        b"PORT 1.2.3.4.5.6",
        b"PORT 1,2,3,4,0,0",                       // port 0
        b"PORT 99999999999999999999999,2,3,4,5,6", // overflows u64: still InvalidArgument
        b"PORT 1,2,3,4,5,\xff",
    ] {
        assert_eq!(
            parse(bad),
            Err(CommandError::InvalidArgument),
            "{}",
            bad.escape_ascii()
        );
    }
    assert_eq!(
        encode(&Command::Port(v4([1, 2, 3, 4], 0))),
        Err(EncodeError::InvalidArgument)
    );
}

#[test]
fn arg_type_grammar() {
    use RepresentationType as T;
    assert_eq!(parse(b"TYPE L 255"), Ok(Command::Type(T::Local(255))));
    assert_eq!(parse(b"TYPE L 0008"), Ok(Command::Type(T::Local(8))));
    assert_eq!(parse(b"TYPE L"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE L 0"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE L x"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE L 256"), Err(CommandError::NumberOverflow));
    assert_eq!(
        parse(b"TYPE L 99999999999999999999999"),
        Err(CommandError::NumberOverflow)
    );
    assert_eq!(parse(b"TYPE I N"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE AN"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE A N "), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE A 1"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"TYPE 1"), Err(CommandError::InvalidArgument));
    // Well-formed but unknown letters: 504.
    assert_eq!(parse(b"TYPE X"), Err(CommandError::UnsupportedParameter));
    assert_eq!(parse(b"TYPE A X"), Err(CommandError::UnsupportedParameter));
    assert_eq!(
        encode(&Command::Type(T::Local(0))),
        Err(EncodeError::InvalidArgument)
    );
}

#[test]
fn arg_codes_stru_mode_prot() {
    // Unknown single letters are UnsupportedParameter (504), anything else InvalidArgument
    // (501). S2228-PROT: `PROT X` -> 504.
    assert_eq!(parse(b"STRU Z"), Err(CommandError::UnsupportedParameter));
    assert_eq!(parse(b"MODE Q"), Err(CommandError::UnsupportedParameter));
    assert_eq!(parse(b"PROT X"), Err(CommandError::UnsupportedParameter));
    assert_eq!(parse(b"STRU FF"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"MODE 1"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"PROT P "), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"PROT \xff"), Err(CommandError::InvalidArgument));
}

#[test]
fn arg_marker_rest_and_atk_int_numbers() {
    assert_eq!(parse(b"REST 100"), Ok(Command::Rest(100)));
    assert_eq!(
        parse(b"REST 18446744073709551616"),
        Err(CommandError::NumberOverflow)
    );
    assert_eq!(
        parse(b"REST 99999999999999999999999999999"),
        Err(CommandError::NumberOverflow)
    );
    assert_eq!(parse(b"REST -1"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"REST +1"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"REST 1a"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"REST 0x10"), Err(CommandError::InvalidArgument));
    // S2228-PBSZ: u32.
    assert_eq!(parse(b"PBSZ 4294967296"), Err(CommandError::NumberOverflow));
    assert_eq!(parse(b"PBSZ -0"), Err(CommandError::InvalidArgument));
    // C959-ALLO
    assert_eq!(
        parse(b"ALLO 18446744073709551616"),
        Err(CommandError::NumberOverflow)
    );
    assert_eq!(
        parse(b"ALLO 1 R 18446744073709551616"),
        Err(CommandError::NumberOverflow)
    );
    assert_eq!(parse(b"ALLO 1 R"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"ALLO 1 X 2"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"ALLO 1 R 2 3"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"ALLO x"), Err(CommandError::InvalidArgument));
    // E2428-EPSVAF
    assert_eq!(parse(b"EPSV 65536"), Err(CommandError::NumberOverflow));
    assert_eq!(parse(b"EPSV x"), Err(CommandError::InvalidArgument));
    assert_eq!(parse(b"EPSV ALLX"), Err(CommandError::InvalidArgument));
}

#[test]
fn e2428_eprt_grammar() {
    let v6: Ipv6Addr = "1080::8:800:200c:417a"
        .parse()
        .unwrap_or(Ipv6Addr::UNSPECIFIED);
    assert_eq!(
        parse(b"EPRT |2|1080::8:800:200C:417A|5282|"),
        Ok(Command::Eprt(ExtendedAddr::new(SocketAddr::new(
            v6.into(),
            5282
        ))))
    );
    // Any delimiter 33-126 that does not occur in the fields.
    assert_eq!(
        parse(b"EPRT ~1~1.2.3.4~21~").map(|c| matches!(c, Command::Eprt(a) if a.delimiter == b'~')),
        Ok(true)
    );
    // E2428-522: unknown network protocol.
    assert_eq!(
        parse(b"EPRT |3|x|1|"),
        Err(CommandError::UnsupportedParameter)
    );
    for bad in [
        &b"EPRT |1|1.2.3.4|70000|"[..], // ATK-INT
        b"EPRT |1|1.2.3.4|0|",
        b"EPRT |1|1.2.3.4|99999999999999999999999|",
        b"EPRT |1|1080::1|21|", // family mismatch
        b"EPRT |2|1.2.3.4|21|",
        b"EPRT |1|1.2.3.256|21|",
        b"EPRT |1|1.2.3.4|21",
        b"EPRT |1|1.2.3.4|21|x",
        b"EPRT |1|1.2.3.4|21||",
        b"EPRT |1|1.2.3.4|",
        b"EPRT |x|1.2.3.4|21|",
        b"EPRT ||1.2.3.4|21|",
        b"EPRT  |1|1.2.3.4|21|",
        b"EPRT .1.1.2.3.4.21.",
        b"EPRT \x7f1\x7f1.2.3.4\x7f21\x7f",
        b"EPRT  1 1.2.3.4 21 ",
        b"EPRT |1|1.2.3.4\xff|21|",
        b"EPRT |",
    ] {
        assert_eq!(
            parse(bad),
            Err(CommandError::InvalidArgument),
            "{}",
            bad.escape_ascii()
        );
    }
    // Encoding refuses what it could not parse back.
    let v6_addr = SocketAddr::new(v6.into(), 21);
    for (delimiter, addr) in [
        (b':', v6_addr),
        (b' ', v6_addr),
        (b'|', SocketAddr::new(v6.into(), 0)),
    ] {
        let cmd = Command::Eprt(ExtendedAddr { delimiter, addr });
        assert_eq!(encode(&cmd), Err(EncodeError::InvalidArgument));
    }
}

#[test]
fn x3659_mfmt_time() {
    assert_eq!(
        parse(b"MFMT 2020010203040 f"),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(
        parse(b"MFMT 20201302030405 f"),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(
        parse(b"MFMT 20200102030405. f"),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(parse(b"MFMT x"), Err(CommandError::InvalidArgument));
    assert_eq!(
        parse(b"MFMT 20200102030405  f "),
        Ok(Command::Mfmt {
            time: time("20200102030405"),
            path: b(" f ")
        })
    );
}

#[test]
fn h7151_host_and_u2640_lang_syntax() {
    assert_eq!(
        parse(b"HOST 192.0.2.1:2112"),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(
        parse(b"HOST [2001:db8::1]:21"),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(parse(b"HOST [not-v6]"), Err(CommandError::InvalidArgument));
    assert_eq!(
        parse("HOST bücher.example".as_bytes()),
        Err(CommandError::InvalidArgument)
    );
    assert_eq!(parse(b"HOST a b"), Err(CommandError::InvalidArgument));
    assert_eq!(
        parse(b"HOST xn--bcher-kva.example"),
        Ok(Command::Host(b("xn--bcher-kva.example")))
    );
    assert_eq!(
        encode(&Command::Host(b("a:21"))),
        Err(EncodeError::InvalidArgument)
    );
    assert_eq!(parse(b"LANG es-419"), Ok(Command::Lang(Some(b("es-419")))));
    for bad in [
        &b"LANG 1en"[..],
        b"LANG en-",
        b"LANG -en",
        b"LANG abcdefghi",
        b"LANG en us",
    ] {
        assert_eq!(
            parse(bad),
            Err(CommandError::InvalidArgument),
            "{}",
            bad.escape_ascii()
        );
    }
    assert_eq!(
        encode(&Command::Lang(Some(b("en_US")))),
        Err(EncodeError::InvalidArgument)
    );
}

/// Every command variant that carries text, built around `arg`.
fn text_commands(arg: &'static [u8]) -> Vec<Command<'static>> {
    let a = || Cow::Borrowed(arg);
    vec![
        Command::User(a()),
        Command::Pass(Secret::new(arg)),
        Command::Acct(Secret::new(arg)),
        Command::Cwd(a()),
        Command::Xcwd(a()),
        Command::Smnt(a()),
        Command::Retr(a()),
        Command::Stor(a()),
        Command::Stou(Some(a())),
        Command::Appe(a()),
        Command::Rnfr(a()),
        Command::Rnto(a()),
        Command::Dele(a()),
        Command::Rmd(a()),
        Command::Xrmd(a()),
        Command::Mkd(a()),
        Command::Xmkd(a()),
        Command::List(Some(a())),
        Command::Nlst(Some(a())),
        Command::Site(a()),
        Command::Stat(Some(a())),
        Command::Help(Some(a())),
        Command::Auth(a()),
        Command::Adat(a()),
        Command::Mic(a()),
        Command::Conf(a()),
        Command::Enc(a()),
        Command::Opts(a()),
        Command::Size(a()),
        Command::Mdtm(a()),
        Command::Mlst(Some(a())),
        Command::Mlsd(Some(a())),
        Command::Lang(Some(a())),
        Command::Host(a()),
        Command::Mfmt {
            time: time("20200102030405"),
            path: a(),
        },
        Command::Unknown {
            verb: b("XYZZ"),
            arg: Some(a()),
        },
    ]
}

#[test]
fn atk_crlf_encoder_refuses_cr_lf_nul_and_writes_nothing() {
    for (arg, byte) in [
        (&b"a\r\nDELE b"[..], b'\r'),
        (b"a\nDELE b", b'\n'),
        (b"a\0b", 0),
        (b"\r", b'\r'),
    ] {
        for cmd in text_commands(arg) {
            let mut out = b"NOOP\r\n".to_vec();
            assert_eq!(
                cmd.encode(&mut out),
                Err(EncodeError::ForbiddenByte { byte }),
                "{cmd:?}"
            );
            assert_eq!(out, b"NOOP\r\n", "{cmd:?}");
        }
    }
}

#[test]
fn encoder_refuses_empty_mandatory_arguments_and_bad_verbs() {
    for cmd in text_commands(b"") {
        let optional = matches!(
            cmd.verb(),
            Verb::Stou
                | Verb::List
                | Verb::Nlst
                | Verb::Stat
                | Verb::Help
                | Verb::Mlst
                | Verb::Mlsd
                | Verb::Lang
                | Verb::Unknown
                | Verb::Pass
        );
        let mut out = Vec::new();
        let result = cmd.encode(&mut out);
        if optional {
            // Written like `None` (`PASS ` keeps its SP).
            let mut expected = cmd.verb().as_str().as_bytes().to_vec();
            if cmd.verb() == Verb::Unknown {
                expected = b"XYZZ".to_vec();
            }
            if cmd.verb() == Verb::Pass {
                expected.push(b' ');
            }
            expected.extend_from_slice(b"\r\n");
            assert_eq!((result, out), (Ok(()), expected), "{cmd:?}");
        } else {
            assert_eq!(
                (result, out),
                (Err(EncodeError::InvalidArgument), vec![]),
                "{cmd:?}"
            );
        }
    }
    for verb in [&b""[..], b"A1", b"ABCDEFGHIJKLMNOPQ", b"A B", b"\xc3\xa9"] {
        let cmd = Command::Unknown {
            verb: Cow::Borrowed(verb),
            arg: None,
        };
        assert_eq!(
            encode(&cmd),
            Err(EncodeError::InvalidArgument),
            "{}",
            verb.escape_ascii()
        );
    }
    let bad_time = TimeVal {
        month: 13,
        ..time("20200102030405")
    };
    assert_eq!(
        encode(&Command::Mfmt {
            time: bad_time,
            path: b("f")
        }),
        Err(EncodeError::InvalidArgument)
    );
}

// ---- parse_command: the httparse-style stream entry point ----

#[test]
fn frm_eol_parse_command_triad() {
    let limits = Limits::default();
    let stream = b"USER a\r\nPASS b\r\nRETR x y\r\n";
    let expected = [
        Command::User(b("a")),
        Command::Pass(Secret::from("b")),
        Command::Retr(b("x y")),
    ];
    // Whole buffer, with the trailing data left intact after each command.
    let mut rest = &stream[..];
    for want in &expected {
        match parse_command(rest, &limits) {
            Ok(Status::Complete((n, cmd))) => {
                assert_eq!(&cmd, want);
                rest = &rest[n..];
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(rest.is_empty());
    // One byte at a time: Partial until the LF arrives, then the same command.
    let mut got = Vec::new();
    let mut buf = Vec::new();
    for &byte in stream {
        buf.push(byte);
        match parse_command(&buf, &limits) {
            Ok(Status::Partial) => {}
            Ok(Status::Complete((n, cmd))) => {
                assert_eq!(n, buf.len());
                got.push(cmd.into_owned());
                buf.clear();
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, expected);
    // Trailing data after a complete line is not looked at.
    assert_eq!(
        parse_command(b"NOOP\r\n\xff\xff garbage", &limits),
        Ok(Status::Complete((6, Command::Noop)))
    );
}

#[test]
fn frm_lf_parse_command_splits_on_crlf_only() {
    let limits = Limits::default();
    match parse_command(b"STOR a\r\0\nb\r\n", &limits) {
        Ok(Status::Complete((12, Command::Stor(p)))) => assert_eq!(&p[..], b"a\r\nb"),
        other => panic!("{other:?}"),
    }
    assert_eq!(parse_command(b"NOOP\n", &limits), Ok(Status::Partial));
    assert_eq!(
        parse_command(b"NOOP\nQUIT\r\n", &limits),
        // The LF is inside the line, right after the verb.
        Err(StreamError::Command {
            error: CommandError::InvalidVerb,
            consumed: 11
        })
    );
}

#[test]
fn parse_command_reports_bad_lines_with_their_length() {
    let limits = Limits::default();
    let err = parse_command(b"RETR\r\nNOOP\r\n", &limits);
    assert_eq!(
        err,
        Err(StreamError::Command {
            error: CommandError::MissingArgument,
            consumed: 6
        })
    );
    assert_eq!(err.err().and_then(|e| e.consumed()), Some(6));
    assert_eq!(
        parse_command(b"\r\n", &limits),
        Err(StreamError::Command {
            error: CommandError::Empty,
            consumed: 2
        })
    );
}

#[test]
fn frm_maxcmd_parse_command_limits() {
    let mut limits = Limits::default();
    limits.max_line = 10;
    limits.max_security_line = 20;
    let too_long = Err(StreamError::Frame(FrameError::LineTooLong { limit: 10 }));
    // Exactly at the limit, complete or waiting for its line end.
    assert!(matches!(
        parse_command(b"RETR 12345\r\n", &limits),
        Ok(Status::Complete((12, _)))
    ));
    assert_eq!(parse_command(b"RETR 12345", &limits), Ok(Status::Partial));
    assert_eq!(parse_command(b"RETR 12345\r", &limits), Ok(Status::Partial));
    // One over, complete or not.
    assert_eq!(parse_command(b"RETR 123456\r\n", &limits), too_long);
    assert_eq!(parse_command(b"RETR 123456", &limits), too_long);
    // A 1 MiB line without CRLF.
    let huge = vec![b'A'; 1 << 20];
    assert_eq!(parse_command(&huge, &limits), too_long);
    // S2228-B64: the security verbs get the larger limit.
    let adat = b"adat 123456789012345\r\n";
    assert!(matches!(
        parse_command(adat, &limits),
        Ok(Status::Complete((22, Command::Adat(_))))
    ));
    assert_eq!(
        parse_command(b"MIC 12345678901234567\r\n", &limits),
        Err(StreamError::Frame(FrameError::LineTooLong { limit: 20 }))
    );
}

// ---- property: encode -> parse -> encode is the identity ----

fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
    // Any byte but CR, LF and NUL, 0xFF included (doubled on the wire).
    prop::collection::vec(
        any::<u8>().prop_filter("no CR/LF/NUL", |c| !matches!(c, 0 | b'\r' | b'\n')),
        1..max,
    )
}

fn owned_text() -> impl Strategy<Value = Bytes<'static>> {
    text(24).prop_map(Cow::Owned)
}

fn opt_text() -> impl Strategy<Value = Option<Bytes<'static>>> {
    prop::option::of(owned_text())
}

fn format_control() -> impl Strategy<Value = FormatControl> {
    prop_oneof![
        Just(FormatControl::Default),
        Just(FormatControl::NonPrint),
        Just(FormatControl::Telnet),
        Just(FormatControl::Asa),
    ]
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), 1..=u16::MAX).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
        (any::<[u16; 8]>(), 1..=u16::MAX).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
    ]
}

fn timeval() -> impl Strategy<Value = TimeVal> {
    (
        1000u16..=9999,
        1u8..=12,
        1u8..=28,
        0u8..=23,
        0u8..=59,
        0u8..=60,
        0u32..1000,
        0u8..=3,
    )
        .prop_map(|(y, mo, d, h, mi, s, ms, digits)| {
            let base = TimeVal::new(y, mo, d, h, mi, s).unwrap_or(TimeVal {
                year: 2000,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                nanos: 0,
                frac_digits: 0,
            });
            // nanos exactly representable with `digits` digits.
            let nanos = match digits {
                0 => 0,
                1 => ms / 100 * 100_000_000,
                2 => ms / 10 * 10_000_000,
                _ => ms * 1_000_000,
            };
            TimeVal {
                nanos,
                frac_digits: digits,
                ..base
            }
        })
}

fn lang_tag() -> impl Strategy<Value = Bytes<'static>> {
    "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}".prop_map(|s| Cow::Owned(s.into_bytes()))
}

fn host() -> impl Strategy<Value = Bytes<'static>> {
    prop_oneof![
        "[a-z0-9.-]{1,30}".prop_map(|s| Cow::Owned(s.into_bytes())),
        any::<[u16; 8]>().prop_map(|a| Cow::Owned(format!("[{}]", Ipv6Addr::from(a)).into_bytes())),
    ]
}

fn unknown_verb() -> impl Strategy<Value = Bytes<'static>> {
    "[A-Z]{1,16}"
        .prop_filter("not a known verb", |v| {
            Verb::parse(v.as_bytes()) == Some(Verb::Unknown)
        })
        .prop_map(|s| Cow::Owned(s.into_bytes()))
}

fn command() -> impl Strategy<Value = Command<'static>> {
    use Command as C;
    let no_arg = prop_oneof![
        Just(C::Cdup),
        Just(C::Xcup),
        Just(C::Rein),
        Just(C::Quit),
        Just(C::Pasv),
        Just(C::Abor),
        Just(C::Pwd),
        Just(C::Xpwd),
        Just(C::Syst),
        Just(C::Noop),
        Just(C::Ccc),
        Just(C::Feat),
    ];
    let required = (0..23usize, owned_text()).prop_map(|(i, t)| match i {
        0 => C::User(t),
        1 => C::Cwd(t),
        2 => C::Xcwd(t),
        3 => C::Smnt(t),
        4 => C::Retr(t),
        5 => C::Stor(t),
        6 => C::Appe(t),
        7 => C::Rnfr(t),
        8 => C::Rnto(t),
        9 => C::Dele(t),
        10 => C::Rmd(t),
        11 => C::Xrmd(t),
        12 => C::Mkd(t),
        13 => C::Xmkd(t),
        14 => C::Site(t),
        15 => C::Auth(t),
        16 => C::Adat(t),
        17 => C::Mic(t),
        18 => C::Conf(t),
        19 => C::Enc(t),
        20 => C::Opts(t),
        21 => C::Size(t),
        _ => C::Mdtm(t),
    });
    let optional = (0..7usize, opt_text()).prop_map(|(i, t)| match i {
        0 => C::Stou(t),
        1 => C::List(t),
        2 => C::Nlst(t),
        3 => C::Stat(t),
        4 => C::Help(t),
        5 => C::Mlst(t),
        _ => C::Mlsd(t),
    });
    let typed = prop_oneof![
        prop::collection::vec(
            any::<u8>().prop_filter("", |c| !matches!(c, 0 | b'\r' | b'\n')),
            0..16
        )
        .prop_map(|p| C::Pass(Secret::from(p))),
        owned_text().prop_map(|a| C::Acct(Secret::new(a))),
        (any::<[u8; 4]>(), 1..=u16::MAX)
            .prop_map(|(ip, p)| C::Port(SocketAddrV4::new(ip.into(), p))),
        prop_oneof![
            format_control().prop_map(RepresentationType::Ascii),
            format_control().prop_map(RepresentationType::Ebcdic),
            Just(RepresentationType::Image),
            (1..=u8::MAX).prop_map(RepresentationType::Local),
        ]
        .prop_map(C::Type),
        prop_oneof![
            Just(Structure::File),
            Just(Structure::Record),
            Just(Structure::Page)
        ]
        .prop_map(C::Stru),
        prop_oneof![
            Just(TransferMode::Stream),
            Just(TransferMode::Block),
            Just(TransferMode::Compressed),
            Just(TransferMode::Deflate),
        ]
        .prop_map(C::Mode),
        prop_oneof![
            Just(ProtectionLevel::Clear),
            Just(ProtectionLevel::Safe),
            Just(ProtectionLevel::Confidential),
            Just(ProtectionLevel::Private),
        ]
        .prop_map(C::Prot),
        (any::<u64>(), prop::option::of(any::<u64>()))
            .prop_map(|(size, record)| C::Allo { size, record }),
        any::<u64>().prop_map(C::Rest),
        any::<u32>().prop_map(C::Pbsz),
        (
            socket_addr(),
            prop::sample::select(&b"|!#$%&'()*+,-/;<=>?@[\\]^_`{}~\""[..])
        )
            .prop_map(|(addr, delimiter)| C::Eprt(ExtendedAddr { delimiter, addr })),
        prop_oneof![
            Just(EpsvArg::Any),
            Just(EpsvArg::All),
            any::<u16>().prop_map(EpsvArg::Protocol)
        ]
        .prop_map(C::Epsv),
        prop::option::of(lang_tag()).prop_map(C::Lang),
        host().prop_map(C::Host),
        (timeval(), owned_text()).prop_map(|(time, path)| C::Mfmt { time, path }),
        (unknown_verb(), opt_text()).prop_map(|(verb, arg)| C::Unknown { verb, arg }),
    ];
    prop_oneof![no_arg, required, optional, typed]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Encode, decode as a server does (framing then parse), encode again: same bytes, same
    /// command (FRM-8BIT, FRM-IAC, FRM-SP).
    #[test]
    fn encode_parse_encode_is_identity(cmd in command()) {
        let mut wire = Vec::new();
        cmd.encode(&mut wire).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert!(wire.ends_with(b"\r\n"));
        // FRM-NONEG / ATK-CRLF: one line, and every IAC is doubled, so no Telnet command.
        prop_assert_eq!(wire.iter().filter(|&&c| c == b'\n').count(), 1);
        for run in wire.split(|&c| c != 0xFF) {
            prop_assert!(run.len() % 2 == 0, "odd IAC run in {:?}", wire);
        }
        let line = through_wire(&wire);
        let parsed = Command::parse(&line).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // `Some(empty)` is the only non-canonical form, and the strategy never builds it.
        prop_assert_eq!(&parsed, &cmd);
        let mut again = Vec::new();
        parsed.encode(&mut again).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(again, wire);
    }

    /// Arbitrary lines never panic, and an accepted line that encodes is then a fixed point:
    /// encode -> parse -> encode gives the same bytes.
    #[test]
    fn arbitrary_lines_parse_without_panic(line in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(cmd) = Command::parse(&line) {
            prop_assert_eq!(Verb::parse(&line), Some(cmd.verb()));
            let mut wire = Vec::new();
            if cmd.encode(&mut wire).is_ok() {
                let back = through_wire(&wire);
                let again = Command::parse(&back).map_err(|e| TestCaseError::fail(format!("{e}")))?;
                let mut wire2 = Vec::new();
                prop_assert_eq!(again.encode(&mut wire2), Ok(()));
                prop_assert_eq!(wire2, wire);
            }
        }
        // Verb::parse fails exactly when the line has no well-formed verb.
        let no_verb = matches!(
            Command::parse(&line),
            Err(CommandError::Empty | CommandError::InvalidVerb)
        );
        prop_assert_eq!(Verb::parse(&line).is_none(), no_verb);
    }

    /// Lines built from a known verb and arbitrary bytes never panic either.
    #[test]
    fn verb_with_arbitrary_argument(i in 0..57usize, arg in prop::collection::vec(any::<u8>(), 0..40)) {
        let verb = Verb::KNOWN.get(i).copied().unwrap_or(Verb::Noop);
        let mut line = verb.as_str().as_bytes().to_vec();
        line.push(b' ');
        line.extend_from_slice(&arg);
        let _ = Command::parse(&line);
        prop_assert_eq!(Verb::parse(&line), Some(verb));
    }
}
