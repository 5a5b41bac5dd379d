//! Server session: the RFC 959 and extension commands outside login, security and data.
mod server_common;

use ftps_proto::listing::{FileInfo, FileKind};
use ftps_proto::server::{Request, Response, ServerConfig};
use ftps_proto::session::{StorageError, TlsEvent};
use ftps_proto::timeval::TimeVal;
use ftps_proto::ReplyCode;
use server_common::{assert_well_formed, Driver};

#[test]
fn c959_cwd_cdup_pwd_and_x_synonyms() {
    let mut d = Driver::logged_in();
    d.send(b"CWD pub/docs\r\n");
    let (id, req) = d.request();
    let Request::ChangeDir { path } = req else {
        panic!()
    };
    assert_eq!(path.as_bytes(), b"/pub/docs");
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "250 Directory successfully changed.\r\n");
    // H1123-XCMD
    assert_eq!(
        d.cmd("XPWD\r\n"),
        "257 \"/pub/docs\" is the current directory.\r\n"
    );
    d.send(b"CDUP\r\n");
    let (id, req) = d.request();
    assert!(matches!(&req, Request::ChangeDir { path } if path.as_bytes() == b"/pub"));
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "250 Directory successfully changed.\r\n");
    d.send(b"XCWD /nope\r\n");
    d.answer(Response::Error(StorageError::NotFound));
    // C959-CWD
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
    assert_eq!(
        d.cmd("PWD\r\n"),
        "257 \"/pub\" is the current directory.\r\n"
    );
}

#[test]
fn c959_mkd_quote_doubling() {
    let mut d = Driver::logged_in();
    d.send(b"MKD my \"quoted\" dir\r\n");
    d.answer(Response::Ok);
    assert_eq!(d.take(), "257 \"/my \"\"quoted\"\" dir\" created.\r\n");
    d.send(b"XMKD x\r\n");
    d.answer(Response::Error(StorageError::AlreadyExists));
    assert_eq!(d.take(), "550 File exists.\r\n");
}

#[test]
fn c959_dele_rmd() {
    let mut d = Driver::logged_in();
    d.send(b"DELE a.txt\r\n");
    assert!(matches!(d.request().1, Request::Delete { .. }));
    let mut d = Driver::logged_in();
    d.send(b"DELE a.txt\r\n");
    d.answer(Response::Ok);
    d.send(b"RMD sub\r\n");
    d.answer(Response::Error(StorageError::PermissionDenied));
    d.send(b"XRMD sub\r\n");
    d.answer(Response::Denied);
    assert_eq!(
        d.take(),
        "250 File deleted.\r\n550 Permission denied.\r\n550 Permission denied.\r\n"
    );
}

#[test]
fn c959_rnfr_rnto_sequencing() {
    let mut d = Driver::logged_in();
    // C959-RNTO
    assert_eq!(d.cmd("RNTO b\r\n"), "503 RNFR required first.\r\n");
    d.send(b"RNFR a\r\n");
    d.answer(Response::Ok);
    assert_eq!(d.take(), "350 Ready for RNTO.\r\n");
    // C959-NOOP: NOOP keeps the pending RNFR.
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
    d.send(b"RNTO b\r\n");
    let (id, req) = d.request();
    match req {
        Request::Rename { from, to } => {
            assert_eq!(from.as_bytes(), b"/a");
            assert_eq!(to.as_bytes(), b"/b");
        }
        other => panic!("{other:?}"),
    }
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "250 Rename successful.\r\n");
    // C959-RNFR: RNFR, DELE, RNTO -> 503.
    d.send(b"RNFR a\r\n");
    d.answer(Response::Ok);
    d.send(b"DELE z\r\n");
    d.answer(Response::Ok);
    d.take();
    assert_eq!(d.cmd("RNTO b\r\n"), "503 RNFR required first.\r\n");
    d.send(b"RNFR missing\r\n");
    d.answer(Response::Error(StorageError::NotFound));
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
}

#[test]
fn x3659_size_mdtm_mfmt() {
    let mut d = Driver::logged_in();
    d.send(b"SIZE file1234.bin\r\n");
    let (id, req) = d.request();
    assert!(matches!(req, Request::Size { ascii: true, .. }));
    d.reply_to(id, Response::Size(1234));
    assert_eq!(d.take(), "213 1234\r\n");
    let t = TimeVal::parse(b"20190304050607").unwrap();
    d.send(b"MDTM file1234.bin\r\n");
    d.answer(Response::Time(t));
    assert_eq!(d.take(), "213 20190304050607\r\n");
    d.send(b"MDTM dir\r\n");
    d.answer(Response::Error(StorageError::NotFound));
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
    d.send(b"MFMT 20200102030405 f.txt\r\n");
    let (id, req) = d.request();
    assert!(matches!(req, Request::SetModifiedTime { .. }));
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "213 Modify=20200102030405; /f.txt\r\n");
    let mut c = ServerConfig::default();
    c.features.size = false;
    let mut d = Driver::logged_in_with(c);
    assert_eq!(d.cmd("SIZE x\r\n"), "502 Command not implemented.\r\n");
    assert!(!d.cmd("FEAT\r\n").contains(" SIZE"));
}

#[test]
fn x3659_mlst_250_entry() {
    let mut d = Driver::logged_in();
    d.send(b"MLST file1234.bin\r\n");
    let info = FileInfo::new("/file1234.bin", FileKind::File).with_size(1234);
    d.answer(Response::Info(info));
    let out = d.take();
    assert!(out.starts_with("250-Listing /file1234.bin\r\n "), "{out}");
    assert!(out.contains("size=1234;"), "{out}");
    assert!(out.ends_with(" /file1234.bin\r\n250 End.\r\n"), "{out}");
    assert_well_formed(out.as_bytes());
    // X3659-OPTS
    assert_eq!(
        d.cmd("OPTS MLST size;frogs;\r\n"),
        "200 MLST OPTS size;\r\n"
    );
    let feat = d.cmd("FEAT\r\n");
    assert!(feat.contains("\r\n MLST type;size*;modify;"), "{feat}");
    assert_eq!(d.cmd("OPTS MLST\r\n"), "200 MLST OPTS \r\n");
}

#[test]
fn c959_stat_path_213_listing() {
    let mut d = Driver::logged_in();
    d.send(b"STAT /\r\n");
    let entries = vec![
        FileInfo::new("a.txt", FileKind::File)
            .with_size(3)
            .with_modified_unix(0),
        FileInfo::new("bad\r\n230 x", FileKind::File),
    ];
    d.answer(Response::Listing {
        entries,
        now_unix: 86400 * 365 * 50,
    });
    let out = d.take();
    assert!(out.starts_with("213-Status of /:\r\n"), "{out}");
    assert!(out.contains("a.txt\r\n"), "{out}");
    assert!(!out.contains("230 x"), "an unsafe name is left out: {out}");
    assert!(out.ends_with("213 End of status.\r\n"));
    assert_well_formed(out.as_bytes());
}

#[test]
fn c959_site_default_502_and_hook() {
    let mut d = Driver::logged_in();
    // S2577-SITEEXEC
    assert_eq!(d.cmd("SITE EXEC ls\r\n"), "502 SITE not implemented.\r\n");
    let mut c = ServerConfig::default();
    c.features.site = true;
    let mut d = Driver::logged_in_with(c);
    d.send(b"SITE CHMOD 644 f\r\n");
    let (id, req) = d.request();
    assert_eq!(
        req,
        Request::Site {
            command: b"CHMOD 644 f".to_vec()
        }
    );
    assert_eq!(
        d.session.respond(
            d.now,
            id,
            Response::Site {
                code: ReplyCode::C150,
                text: b"x".to_vec()
            }
        ),
        Err(ftps_proto::session::LocalError::InvalidReplyCode)
    );
    d.reply_to(
        id,
        Response::Site {
            code: ReplyCode::C200,
            text: b"Mode changed.".to_vec(),
        },
    );
    assert_eq!(d.take(), "200 Mode changed.\r\n");
}

#[test]
fn c959_syst_help_noop_allo_smnt_unknown() {
    let mut d = Driver::logged_in();
    assert_eq!(d.cmd("SYST\r\n"), "215 UNIX Type: L8\r\n");
    let help = d.cmd("HELP\r\n");
    assert!(help.starts_with("214-The following commands are recognized:\r\n"));
    assert!(help.ends_with("\r\n214 Help OK.\r\n"));
    assert_well_formed(help.as_bytes());
    assert_eq!(d.cmd("HELP RETR\r\n"), "214 Command RETR is supported.\r\n");
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
    // C959-ALLO
    assert_eq!(d.cmd("ALLO 1000 R 80\r\n"), "202 ALLO not needed.\r\n");
    // C959-SMNT
    assert_eq!(d.cmd("SMNT /x\r\n"), "502 SMNT not implemented.\r\n");
    // FRM-VERB
    assert_eq!(d.cmd("XYZZ\r\n"), "500 Unknown command.\r\n");
    assert_eq!(
        d.cmd("12 x\r\n"),
        "500 Syntax error, command unrecognized.\r\n"
    );
    // ARG-ARITY
    assert_eq!(
        d.cmd("RETR\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    assert_eq!(
        d.cmd("PASV x\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    // F2389-SYNTAX
    assert_eq!(
        d.cmd("FEAT x\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
}

#[test]
fn c959_type_stru_mode() {
    let mut d = Driver::logged_in();
    assert_eq!(d.cmd("TYPE I\r\n"), "200 Type set to I.\r\n");
    assert!(!d.session.ascii());
    assert_eq!(d.cmd("type a\r\n"), "200 Type set to A.\r\n");
    // H1123-TYPET
    assert_eq!(d.cmd("TYPE A T\r\n"), "200 Type set to A T.\r\n");
    assert!(d.session.ascii());
    assert!(d
        .cmd("STAT\r\n")
        .contains("\r\n TYPE: ASCII, FORM: Telnet;"));
    // ARG-FORM: a TYPE naming only the type goes back to the non-print format.
    assert_eq!(d.cmd("TYPE A\r\n"), "200 Type set to A.\r\n");
    assert!(d
        .cmd("STAT\r\n")
        .contains("\r\n TYPE: ASCII, FORM: Nonprint;"));
    assert_eq!(d.cmd("TYPE A T\r\n"), "200 Type set to A T.\r\n");
    assert_eq!(d.cmd("TYPE E\r\n"), "504 Type not supported.\r\n");
    assert!(d
        .cmd("STAT\r\n")
        .contains("\r\n TYPE: ASCII, FORM: Telnet;"));
    assert_eq!(d.cmd("TYPE L 8\r\n"), "200 Type set to L 8.\r\n");
    assert!(!d.session.ascii());
    assert_eq!(d.cmd("TYPE E\r\n"), "504 Type not supported.\r\n");
    assert_eq!(d.cmd("TYPE A C\r\n"), "504 Type not supported.\r\n");
    assert_eq!(d.cmd("TYPE L 36\r\n"), "504 Type not supported.\r\n");
    assert_eq!(
        d.cmd("TYPE L\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    // C959-STRU, C959-MODE, ARG-CODES
    assert_eq!(d.cmd("STRU F\r\n"), "200 Structure set to F.\r\n");
    assert_eq!(d.cmd("STRU P\r\n"), "504 Only STRU F is supported.\r\n");
    assert_eq!(d.cmd("MODE S\r\n"), "200 Mode set to S.\r\n");
    // DAT-MODEB: block mode is not implemented: 504.
    assert_eq!(d.cmd("MODE B\r\n"), "504 Only MODE S is supported.\r\n");
    assert_eq!(d.cmd("MODE C\r\n"), "504 Only MODE S is supported.\r\n");
    assert_eq!(
        d.cmd("MODE X\r\n"),
        "504 Command not implemented for that parameter.\r\n"
    );
}

#[test]
fn f2389_feat_format_and_contents() {
    let mut d = Driver::ready();
    let feat = d.cmd("FEAT\r\n");
    assert_eq!(
        feat,
        "211-Features:\r\n AUTH TLS\r\n AUTH SSL\r\n CCC\r\n PBSZ\r\n PROT\r\n EPRT\r\n EPSV\r\n \
         LANG EN*\r\n MDTM\r\n MFMT\r\n MLST type*;size*;modify*;unique*;perm*;UNIX.mode*;\
         UNIX.owner*;UNIX.group*;\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"
    );
}

#[test]
fn f2389_opts_and_u2640_utf8_lang() {
    let mut d = Driver::ready();
    assert_eq!(
        d.cmd("OPTS UTF8 ON\r\n"),
        "200 UTF8 mode: paths are passed through as sent.\r\n"
    );
    assert_eq!(
        d.cmd("OPTS UTF8 FOO\r\n"),
        "501 OPTS UTF8 takes ON or OFF.\r\n"
    );
    assert_eq!(d.cmd("OPTS FOO\r\n"), "501 Option not understood.\r\n");
    assert_eq!(d.cmd("LANG\r\n"), "200 Language set to EN.\r\n");
    assert_eq!(d.cmd("LANG en-US\r\n"), "200 Language set to EN.\r\n");
    assert_eq!(d.cmd("LANG fr\r\n"), "504 Unsupported language.\r\n");
}

#[test]
fn h7151_host_order_and_reply() {
    let mut d = Driver::ready();
    assert_eq!(
        d.cmd("HOST a.example\r\n"),
        "502 Command not implemented.\r\n"
    );
    let mut c = ServerConfig::default();
    c.features.host = true;
    let mut d = Driver::new(c.clone());
    d.take();
    assert!(d.cmd("FEAT\r\n").contains("\r\n HOST\r\n"));
    d.send(b"HOST unknown.example\r\n");
    d.answer(Response::Denied);
    assert_eq!(d.take(), "504 Unknown host.\r\n");
    d.send(b"HOST ftp.example.com\r\n");
    let (id, req) = d.request();
    assert_eq!(
        req,
        Request::Host {
            name: b"ftp.example.com".to_vec()
        }
    );
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "220 Host accepted.\r\n");
    // H7151-SYNTAX
    assert_eq!(
        d.cmd("HOST 192.0.2.1:2112\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    // H7151-ORDER
    let mut d = Driver::logged_in_with(c);
    assert_eq!(
        d.cmd("HOST a.example\r\n"),
        "503 HOST must come before login.\r\n"
    );
}

/// H7151-SNI: after a TLS handshake whose SNI the adapter reported, HOST must name that server
/// (any case) or it is refused with `504` before the application sees it; without SNI it is
/// not checked.
#[test]
fn h7151_sni_host_after_tls_must_match() {
    let mut c = ServerConfig::default();
    c.features.host = true;
    let mut d = Driver::new(c.clone());
    d.take();
    assert_eq!(
        d.cmd("AUTH TLS\r\n"),
        "234 Proceed with TLS negotiation.\r\n"
    );
    d.session.set_tls_server_name(Some(b"ftp.example.com"));
    d.tls(TlsEvent::Established);
    assert_eq!(
        d.cmd("HOST other.example\r\n"),
        "504 HOST does not match the TLS server name.\r\n"
    );
    assert!(d.requests.is_empty());
    d.send(b"HOST FTP.Example.COM\r\n");
    let (id, req) = d.request();
    assert!(matches!(req, Request::Host { ref name } if name == b"FTP.Example.COM"));
    d.reply_to(id, Response::Ok);
    assert_eq!(d.take(), "220 Host accepted.\r\n");
    // No SNI: any HOST goes to the application.
    let mut d = Driver::new(c);
    d.take();
    d.cmd("AUTH TLS\r\n");
    d.session.set_tls_server_name(None);
    d.tls(TlsEvent::Established);
    d.send(b"HOST other.example\r\n");
    assert!(matches!(d.request().1, Request::Host { .. }));
}

/// H7151-FEAT: a server with HOST lists it in FEAT and still serves a legacy client that
/// logs in without HOST (`331`, then `230`).
#[test]
fn h7151_feat_lists_host_and_user_without_host_works() {
    let mut c = ServerConfig::default();
    c.features.host = true;
    let mut d = Driver::new(c);
    d.take();
    assert!(d.cmd("FEAT\r\n").contains("\r\n HOST\r\n"));
    assert_eq!(d.cmd("USER anna\r\n"), "331 Password required.\r\n");
    d.send(b"PASS secret\r\n");
    let (id, req) = d.request();
    assert!(matches!(req, Request::Authenticate { .. }));
    d.reply_to(id, Response::LoggedIn);
    assert_eq!(d.take(), "230 User logged in, proceed.\r\n");
}

/// X3659-GLOB: SIZE, MDTM and MLST take their path literally: `*` and `?` reach the
/// application as names, never expanded; a missing one is `550`.
#[test]
fn x3659_glob_paths_are_literal() {
    let mut d = Driver::logged_in();
    d.send(b"MDTM *\r\n");
    let (id, req) = d.request();
    match req {
        Request::ModifiedTime { path } => assert_eq!(path.as_bytes(), b"/*"),
        other => panic!("{other:?}"),
    }
    d.reply_to(id, Response::Error(StorageError::NotFound));
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
    d.send(b"SIZE a?b*.txt\r\n");
    let (id, req) = d.request();
    match req {
        Request::Size { path, .. } => assert_eq!(path.as_bytes(), b"/a?b*.txt"),
        other => panic!("{other:?}"),
    }
    d.reply_to(id, Response::Size(3));
    assert_eq!(d.take(), "213 3\r\n");
    d.send(b"MLST [ab]*\r\n");
    let (id, req) = d.request();
    match req {
        Request::Stat { path, .. } => assert_eq!(path.as_bytes(), b"/[ab]*"),
        other => panic!("{other:?}"),
    }
    d.reply_to(id, Response::Error(StorageError::NotFound));
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
}

#[test]
fn sm959_pipe_answers_in_order() {
    let mut d = Driver::logged_in();
    d.send(b"NOOP\r\nPWD\r\nCWD x\r\nSYST\r\n");
    assert_eq!(
        d.take(),
        "200 NOOP ok.\r\n257 \"/\" is the current directory.\r\n"
    );
    d.answer(Response::Error(StorageError::NotFound));
    assert_eq!(
        d.take(),
        "550 No such file or directory.\r\n215 UNIX Type: L8\r\n"
    );
}

#[test]
fn frm_wait_no_action_before_line_end() {
    let mut d = Driver::logged_in();
    d.send(b"DELE x");
    assert!(d.requests.is_empty());
    d.send(b"\r\n");
    assert!(matches!(d.request().1, Request::Delete { .. }));
}

// H1123-MIN: every command of RFC 1123's minimum implementation is implemented: none is
// answered with 500 or 502, whatever the storage says (each request is denied here).
#[test]
fn h1123_min_every_minimum_command_is_implemented() {
    const MINIMUM: &[&str] = &[
        "USER alice",
        "PASS pw",
        "ACCT acct",
        "PORT 198,51,100,2,4,1",
        "PASV",
        "TYPE A N",
        "TYPE I",
        "TYPE L 8",
        "MODE S",
        "STRU F",
        "RETR f",
        "STOR f",
        "APPE f",
        "RNFR a",
        "RNTO b",
        "DELE f",
        "CWD d",
        "CDUP",
        "RMD d",
        "MKD d",
        "PWD",
        "LIST",
        "NLST",
        "SYST",
        "STAT",
        "HELP",
        "NOOP",
        "QUIT",
    ];
    for line in MINIMUM {
        let mut d = Driver::logged_in();
        if *line == "PASV" {
            // The reply waits for the adapter's listener.
            d.pasv();
        } else {
            d.send(format!("{line}\r\n").as_bytes());
        }
        for _ in 0..4 {
            if d.requests.is_empty() {
                break;
            }
            d.answer(Response::Denied);
        }
        let replies = d.take();
        let code = replies.get(..3).unwrap_or_default();
        assert!(
            !code.is_empty() && code != "500" && code != "502",
            "{line}: {replies:?}"
        );
    }
}

// H1123-SITE: every verb beyond RFC 959 (and its X* alternates) that the server answers is
// registered in FEAT; the vendor verbs other servers add ad hoc are not commands here, and
// SITE (off by default) is where such features would go.
#[test]
fn h1123_site_extensions_registered_vendor_verbs_refused() {
    let mut config = ServerConfig::default();
    config.features.host = true;
    let mut d = Driver::logged_in_with(config);
    let feat = d.cmd("FEAT\r\n");
    let mut answered = 0;
    for (line, label) in [
        ("EPRT |1|192.0.2.9|2000|", " EPRT\r\n"),
        ("EPSV", " EPSV\r\n"),
        ("HOST ftp.example.com", " HOST\r\n"),
        ("LANG EN", " LANG EN*\r\n"),
        ("MDTM a", " MDTM\r\n"),
        ("MFMT 20200101000000 a", " MFMT\r\n"),
        ("MLST a", " MLST "),
        ("MLSD", " MLST "),
        ("SIZE a", " SIZE\r\n"),
        ("REST 0", " REST STREAM\r\n"),
        ("OPTS UTF8 ON", " UTF8\r\n"),
        ("PBSZ 0", " PBSZ\r\n"),
        ("PROT P", " PROT\r\n"),
        ("CCC", " CCC\r\n"),
        ("AUTH TLS", " AUTH TLS\r\n"),
    ] {
        d.send(format!("{line}\r\n").as_bytes());
        while !d.requests.is_empty() {
            d.answer(Response::Error(StorageError::NotFound));
        }
        let reply = d.take();
        if !(reply.starts_with("500 ") || reply.starts_with("502 ")) {
            answered += 1;
            assert!(
                feat.contains(label),
                "{line} answered ({reply}) but not in FEAT"
            );
        }
    }
    assert_eq!(answered, 15);
    let mut d = Driver::logged_in();
    for line in [
        "XCRC a",
        "XMD5 a",
        "XSHA1 a",
        "HASH a",
        "CLNT x",
        "AVBL",
        "CHMOD 644 a",
    ] {
        let reply = d.cmd(&format!("{line}\r\n"));
        assert!(reply.starts_with("500 "), "{line}: {reply}");
    }
    assert_eq!(
        d.cmd("SITE CHMOD 644 a\r\n"),
        "502 SITE not implemented.\r\n"
    );
}
