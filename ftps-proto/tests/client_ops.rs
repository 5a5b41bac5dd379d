//! Client login and single-command operations: transcripts, typed results, protocol checks.

mod client_support;

use client_support::*;
use ftps_proto::client::{
    ClientConfig, ClientError, ClientSecurity, LocalError, OpOutput, Operation, TimerKind,
    Transfer, TransferKind, Violation,
};
use ftps_proto::codec::{Command, RepresentationType};
use ftps_proto::session::{CloseReason, TlsEvent};
use ftps_proto::timeval::TimeVal;
use ftps_proto::Secret;

fn run(
    h: &mut Harness,
    op: Operation<'_>,
    expect_sent: &str,
    server: &[u8],
) -> Result<OpOutput, ClientError> {
    let id = h.c.command(op).unwrap();
    assert_eq!(h.take_sent(), expect_sent);
    let items = h.feed(server);
    done(&items, id)
}

// ---- login ----

#[test]
fn sm959_login_user_pass() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.login(b"ftptest", Secret::from("ftptest"), None)
            .unwrap();
    assert_eq!(h.take_sent(), "USER ftptest\r\n");
    h.feed(&capture("vsftpd-explicit", "user.bin"));
    assert_eq!(h.take_sent(), "PASS ftptest\r\n");
    let items = h.feed(&capture("vsftpd-explicit", "pass.bin"));
    assert_eq!(done(&items, op), Ok(OpOutput::None));
    assert!(h.c.is_logged_in());
}

#[test]
fn sm959_login_232_needs_no_pass() {
    let mut h = Harness::plain_ready();
    let op = h.c.login(b"u", Secret::from("p"), None).unwrap();
    let items = h.feed(b"232 User logged in, authorized by certificate\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::None));
    assert_eq!(h.take_sent(), "USER u\r\n");
}

#[test]
fn sm959_login_336_challenge_then_pass() {
    let mut h = Harness::plain_ready();
    let op = h.c.login(b"u", Secret::from("p"), None).unwrap();
    h.feed(b"336 challenge 1234\r\n");
    let items = h.feed(b"230 ok\r\n");
    assert_eq!(h.take_sent(), "USER u\r\nPASS p\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::None));
}

#[test]
fn c959_acct_after_332() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.login(b"u", Secret::from("p"), Some(Secret::from("acc")))
            .unwrap();
    h.feed(b"331 pw\r\n");
    h.feed(b"332 need account\r\n");
    let items = h.feed(b"230 ok\r\n");
    assert_eq!(h.take_sent(), "USER u\r\nPASS p\r\nACCT acc\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::None));
}

#[test]
fn c959_acct_required_without_account() {
    let mut h = Harness::plain_ready();
    let op = h.c.login(b"u", Secret::from("p"), None).unwrap();
    h.feed(b"331 pw\r\n");
    let items = h.feed(b"332 need account\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::AccountRequired {
            reply: reply(332, "need account")
        })
    );
    assert!(!h.c.is_logged_in());
}

#[test]
fn sm959_login_acct_3yz_is_violation() {
    let mut h = Harness::plain_ready();
    h.c.login(b"u", Secret::from("p"), Some(Secret::from("a")))
        .unwrap();
    h.feed(b"332 acct\r\n");
    let items = h.feed(b"331 again?\r\n");
    assert_eq!(violation(&items), Some(Violation::UnexpectedIntermediate));
}

#[test]
fn c959_pass_530_refused() {
    let mut h = Harness::plain_ready();
    let op = h.c.login(b"u", Secret::from("bad"), None).unwrap();
    h.feed(b"331 pw\r\n");
    let items = h.feed(b"530 Login incorrect.\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::LoginRefused {
            reply: reply(530, "Login incorrect."),
            cleartext: true
        })
    );
    // SM959-SEQ: the retry begins with USER.
    h.take_sent();
    h.c.login(b"u", Secret::from("good"), None).unwrap();
    assert_eq!(h.take_sent(), "USER u\r\n");
}

#[test]
fn t4217_policy_cleartext_user_refused_no_pass_sent() {
    // vsftpd: "530 Non-anonymous sessions must use encryption." in plaintext.
    let mut h = Harness::plain_ready();
    let op =
        h.c.login(b"ftptest", Secret::from("ftptest"), None)
            .unwrap();
    let items = h.feed(&capture("vsftpd-explicit", "plain-user.bin"));
    let Err(ClientError::LoginRefused { reply, cleartext }) = done(&items, op) else {
        panic!("{items:?}");
    };
    assert_eq!(reply.code().get(), 530);
    assert!(cleartext);
    assert_eq!(h.take_sent(), "USER ftptest\r\n");
}

#[test]
fn t4217_timing_prot_after_login() {
    let mut config = ClientConfig::default();
    config.prot_before_login = false;
    let mut h = Harness::new(config);
    let op = h.c.login(b"u", Secret::from("p"), None).unwrap();
    h.feed(b"220 hi\r\n234 ok\r\n");
    h.tls(TlsEvent::Established);
    h.feed(b"211 none\r\n331 pw\r\n230 in\r\n200 PBSZ=0\r\n");
    let items = h.feed(b"200 PROT P\r\n");
    assert_eq!(
        h.take_sent(),
        "AUTH TLS\r\nFEAT\r\nUSER u\r\nPASS p\r\nPBSZ 0\r\nPROT P\r\n"
    );
    assert_eq!(done(&items, op), Ok(OpOutput::None));
}

#[test]
fn imp_protc_prot_refused_after_login_fails_login_and_transfers() {
    let mut config = ClientConfig::default();
    config.prot_before_login = false;
    let mut h = Harness::new(config);
    let op = h.c.login(b"u", Secret::from("p"), None).unwrap();
    h.feed(b"220 hi\r\n234 ok\r\n");
    h.tls(TlsEvent::Established);
    h.feed(b"211 none\r\n331 pw\r\n230 in\r\n200 ok\r\n");
    let items = h.feed(b"534 Fallback to [C]\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::TlsRequired {
            reply: Some(reply(534, "Fallback to [C]"))
        })
    );
    h.take_sent();
    // ATK-DOWNGRADE: no transfer in the clear, nothing sent.
    let t =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    let items = h.drain();
    assert_eq!(h.take_sent(), "");
    assert_eq!(
        done(&items, t),
        Err(ClientError::TlsRequired {
            reply: Some(reply(534, "Fallback to [C]"))
        })
    );
}

#[test]
fn c959_pass_secret_never_in_debug() {
    let mut h = Harness::plain_ready();
    h.c.login(b"u", Secret::from("hunter2"), None).unwrap();
    let dbg = format!("{:?}", h.c);
    assert!(!dbg.contains("hunter2"), "{dbg}");
}

// ---- ATK-CRLF ----

#[test]
fn atk_crlf_login_rejected_nothing_sent() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        h.c.login(b"a\r\nDELE b", Secret::from("p"), None),
        Err(LocalError::ForbiddenByte { byte: b'\r' })
    );
    assert_eq!(
        h.c.login(b"a", Secret::from("p\nx"), None),
        Err(LocalError::ForbiddenByte { byte: b'\n' })
    );
    assert_eq!(
        h.c.login(b"a", Secret::from("p"), Some(Secret::from("x\0y"))),
        Err(LocalError::ForbiddenByte { byte: 0 })
    );
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.take_sent(), "");
    assert_eq!(h.c.pending_operations(), 0);
}

#[test]
fn atk_crlf_every_argument_rejected() {
    let mut h = Harness::plain_ready();
    let bad: &[u8] = b"a\r\nDELE b";
    let ops = [
        Operation::Cwd(bad),
        Operation::Mkd(bad),
        Operation::Rmd(bad),
        Operation::Dele(bad),
        Operation::Rename {
            from: b"ok",
            to: bad,
        },
        Operation::Rename {
            from: bad,
            to: b"ok",
        },
        Operation::Size(bad),
        Operation::Mdtm(bad),
        Operation::Mlst(Some(bad)),
        Operation::Site(bad),
        Operation::Stat(Some(bad)),
        Operation::Help(Some(bad)),
    ];
    for op in ops {
        assert_eq!(
            h.c.command(op),
            Err(LocalError::ForbiddenByte { byte: b'\r' })
        );
    }
    assert_eq!(
        h.c.transfer(Transfer::new(TransferKind::Retr, b"a\nb")),
        Err(LocalError::ForbiddenByte { byte: b'\n' })
    );
    assert_eq!(
        h.c.transfer(Transfer::new(TransferKind::Stor, b"a\0b")),
        Err(LocalError::ForbiddenByte { byte: 0 })
    );
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.take_sent(), "");
}

#[test]
fn frm_crnul_cr_in_path_rejected() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        h.c.transfer(Transfer::new(TransferKind::Stor, b"a\rb")),
        Err(LocalError::ForbiddenByte { byte: b'\r' })
    );
    assert_eq!(h.take_sent(), "");
}

#[test]
fn raw_session_driven_commands_refused() {
    let mut h = Harness::plain_ready();
    for cmd in [
        Command::Retr(b"f"[..].into()),
        Command::User(b"u"[..].into()),
        Command::Pasv,
        Command::Prot(ftps_proto::codec::ProtectionLevel::Clear),
        Command::Quit,
    ] {
        assert_eq!(
            h.c.command(Operation::Raw(cmd)),
            Err(LocalError::UseOperation)
        );
    }
    assert_eq!(h.take_sent(), "");
}

#[test]
fn ccc_refused_when_tls_required() {
    let mut h = Harness::tls_ready();
    assert_eq!(
        h.c.command(Operation::Ccc),
        Err(LocalError::ForbiddenByConfig)
    );
}

/// A plain session has no TLS to clear: `CCC` is refused locally, nothing is sent (found by
/// the `client_session` fuzz target).
#[test]
fn ccc_refused_in_plain_mode() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        h.c.command(Operation::Ccc),
        Err(LocalError::ForbiddenByConfig)
    );
    assert_eq!(h.take_sent(), "");
}

/// Opportunistic TLS that the server declined: a `200` to `CCC` on the clear connection
/// completes the operation and stops nothing (no `StopTls` without TLS).
#[test]
fn ccc_accepted_on_clear_connection_stops_nothing() {
    let mut config = ClientConfig::default();
    config.security = ClientSecurity::Explicit {
        policy: ftps_proto::client::TlsPolicy::Opportunistic,
        auth_ssl_fallback: false,
    };
    let mut h = Harness::new(config);
    h.feed(b"220 hi\r\n");
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
    h.feed(b"502 no TLS here\r\n211 none\r\n");
    assert!(h.c.is_ready());
    assert!(!h.c.control_tls_active());
    h.take_sent();
    let op = h.c.command(Operation::Ccc).expect("queued");
    assert_eq!(h.take_sent(), "CCC\r\n");
    let items = h.feed(b"200 whatever\r\n");
    assert!(!items.contains(&Item::StopTls), "{items:?}");
    assert_eq!(
        done(&items, op),
        Ok(OpOutput::Reply(reply(200, "whatever")))
    );
}

// ---- operations ----

#[test]
fn c959_cwd_250_and_200() {
    let mut h = Harness::plain_ready();
    let r = run(
        &mut h,
        Operation::Cwd(b"my \"quoted\" dir"),
        "CWD my \"quoted\" dir\r\n",
        &capture("vsftpd-explicit", "cwd.bin"),
    );
    assert!(
        matches!(r, Ok(OpOutput::Reply(ref rep)) if rep.code().get() == 250),
        "{r:?}"
    );
    let r = run(&mut h, Operation::Cwd(b"/x"), "CWD /x\r\n", b"200 ok\r\n");
    assert_eq!(r, Ok(OpOutput::Reply(reply(200, "ok"))));
    let r = run(
        &mut h,
        Operation::Cwd(b"/nope"),
        "CWD /nope\r\n",
        b"550 no\r\n",
    );
    assert_eq!(
        r,
        Err(ClientError::Rejected {
            reply: reply(550, "no")
        })
    );
}

#[test]
fn c959_cdup_200_and_250() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(&mut h, Operation::Cdup, "CDUP\r\n", b"200 ok\r\n"),
        Ok(OpOutput::Reply(reply(200, "ok")))
    );
    assert_eq!(
        run(&mut h, Operation::Cdup, "CDUP\r\n", b"250 ok\r\n"),
        Ok(OpOutput::Reply(reply(250, "ok")))
    );
}

#[test]
fn c959_pwd_quote_doubling_captures() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(
            &mut h,
            Operation::Pwd,
            "PWD\r\n",
            &capture("vsftpd-explicit", "pwd-in-dir.bin")
        ),
        Ok(OpOutput::Path(b"/srv/ftp/my \"quoted\" dir".to_vec()))
    );
    assert_eq!(
        run(
            &mut h,
            Operation::Pwd,
            "PWD\r\n",
            &capture("proftpd", "pwd-in-dir.bin")
        ),
        Ok(OpOutput::Path(b"/my \"quoted\" dir".to_vec()))
    );
    assert_eq!(
        run(
            &mut h,
            Operation::Pwd,
            "PWD\r\n",
            b"257 \"/a \"\"b\"\" c\" is cwd\r\n"
        ),
        Ok(OpOutput::Path(b"/a \"b\" c".to_vec()))
    );
}

#[test]
fn c959_pwd_257_without_quotes() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(&mut h, Operation::Pwd, "PWD\r\n", b"257 /a\r\n"),
        Ok(OpOutput::Path(b"/a".to_vec()))
    );
    // An unterminated quote: a typed error, the session goes on.
    assert_eq!(
        run(&mut h, Operation::Pwd, "PWD\r\n", b"257 \"/a\r\n"),
        Err(ClientError::ProtocolViolation(Violation::InvalidReplyBody))
    );
    assert!(!h.c.is_closed());
}

#[test]
fn c959_mkd_pure_ftpd_unescaped_quotes() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(
            &mut h,
            Operation::Mkd(b"my \"quoted\" dir"),
            "MKD my \"quoted\" dir\r\n",
            &capture("pure-ftpd", "mkd.bin")
        ),
        Ok(OpOutput::Path(b"my \"quoted\" dir".to_vec()))
    );
    assert_eq!(
        run(
            &mut h,
            Operation::Mkd(b"x"),
            "MKD x\r\n",
            b"250 created\r\n"
        ),
        Ok(OpOutput::Reply(reply(250, "created")))
    );
}

#[test]
fn c959_rmd_dele() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(&mut h, Operation::Rmd(b"d"), "RMD d\r\n", b"250 gone\r\n"),
        Ok(OpOutput::Reply(reply(250, "gone")))
    );
    assert_eq!(
        run(&mut h, Operation::Dele(b"f"), "DELE f\r\n", b"450 busy\r\n"),
        Err(ClientError::Rejected {
            reply: reply(450, "busy")
        })
    );
    assert!(ClientError::Rejected {
        reply: reply(450, "busy")
    }
    .is_transient());
}

#[test]
fn c959_rnfr_rnto_one_operation() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.command(Operation::Rename {
            from: b"a",
            to: b"b",
        })
        .unwrap();
    assert_eq!(h.take_sent(), "RNFR a\r\n");
    h.feed(b"350 ready\r\n");
    assert_eq!(h.take_sent(), "RNTO b\r\n");
    let items = h.feed(b"250 renamed\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::Reply(reply(250, "renamed"))));
}

#[test]
fn c959_rnfr_missing_file() {
    let mut h = Harness::plain_ready();
    let r = run(
        &mut h,
        Operation::Rename {
            from: b"a",
            to: b"b",
        },
        "RNFR a\r\n",
        b"550 no such file\r\n",
    );
    assert_eq!(
        r,
        Err(ClientError::Rejected {
            reply: reply(550, "no such file")
        })
    );
    assert_eq!(h.take_sent(), "");
}

#[test]
fn sm959_rename_rnfr_250_is_violation() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.command(Operation::Rename {
            from: b"a",
            to: b"b",
        })
        .unwrap();
    let items = h.feed(b"250 ok?\r\n");
    assert_eq!(violation(&items), Some(Violation::UnexpectedCompletion));
    assert_eq!(
        done(&items, op),
        Err(ClientError::ProtocolViolation(
            Violation::UnexpectedCompletion
        ))
    );
}

#[test]
fn sm959_rename_rnto_350_is_violation() {
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Rename {
        from: b"a",
        to: b"b",
    })
    .unwrap();
    h.feed(b"350 ok\r\n");
    let items = h.feed(b"350 again\r\n");
    assert_eq!(violation(&items), Some(Violation::UnexpectedIntermediate));
}

#[test]
fn x3659_size_mdtm_captures() {
    let mut h = Harness::plain_ready();
    // Image type already in force: SIZE goes out alone.
    assert!(run(
        &mut h,
        Operation::Type(RepresentationType::Image),
        "TYPE I\r\n",
        b"200 Switching to Binary mode.\r\n"
    )
    .is_ok());
    for server in ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"] {
        assert_eq!(
            run(
                &mut h,
                Operation::Size(b"file1234.bin"),
                "SIZE file1234.bin\r\n",
                &capture(server, "size.bin")
            ),
            Ok(OpOutput::Size(1234)),
            "{server}"
        );
        let r = run(
            &mut h,
            Operation::Mdtm(b"file1234.bin"),
            "MDTM file1234.bin\r\n",
            &capture(server, "mdtm.bin"),
        );
        assert!(
            matches!(r, Ok(OpOutput::Time(TimeVal { year: 2026, .. }))),
            "{server}: {r:?}"
        );
    }
    assert_eq!(
        run(&mut h, Operation::Size(b"f"), "SIZE f\r\n", b"213 12x\r\n"),
        Err(ClientError::ProtocolViolation(Violation::InvalidReplyBody))
    );
    assert_eq!(
        run(
            &mut h,
            Operation::Mdtm(b"f"),
            "MDTM f\r\n",
            b"213 20191304050607\r\n"
        ),
        Err(ClientError::ProtocolViolation(Violation::InvalidReplyBody))
    );
}

#[test]
fn x3659_size_ascii_refused_proftpd() {
    let mut h = Harness::plain_ready();
    // SIZE in ASCII mode is refused by some servers, so the client sends TYPE I first; a
    // server that refuses TYPE I and then SIZE gives the SIZE refusal.
    let id = h.c.command(Operation::Size(b"file1234.bin")).unwrap();
    assert_eq!(h.take_sent(), "TYPE I\r\n");
    h.feed(b"504 Not now.\r\n");
    assert_eq!(h.take_sent(), "SIZE file1234.bin\r\n");
    let r = done(&h.feed(&capture("proftpd", "size-ascii.bin")), id);
    assert!(
        matches!(r, Err(ClientError::Rejected { ref reply }) if reply.code().get() == 550),
        "{r:?}"
    );
}

#[test]
fn x3659_size_sends_type_i_once() {
    let mut h = Harness::plain_ready();
    let id = h.c.command(Operation::Size(b"a")).unwrap();
    assert_eq!(h.take_sent(), "TYPE I\r\n");
    h.feed(b"200 Switching to Binary mode.\r\n");
    assert_eq!(h.take_sent(), "SIZE a\r\n");
    assert_eq!(done(&h.feed(b"213 7\r\n"), id), Ok(OpOutput::Size(7)));
    // Image type is now known to be in force: the next SIZE goes out alone.
    assert_eq!(
        run(&mut h, Operation::Size(b"b"), "SIZE b\r\n", b"213 9\r\n"),
        Ok(OpOutput::Size(9))
    );
}

#[test]
fn mfmt_mlst_site_stat_syst_help() {
    let mut h = Harness::plain_ready();
    let time = TimeVal {
        year: 2020,
        month: 1,
        day: 2,
        hour: 3,
        minute: 4,
        second: 5,
        nanos: 0,
        frac_digits: 0,
    };
    assert_eq!(
        run(
            &mut h,
            Operation::Mfmt { time, path: b"f" },
            "MFMT 20200102030405 f\r\n",
            b"213 Modify=20200102030405; f\r\n"
        ),
        Ok(OpOutput::Reply(reply(213, "Modify=20200102030405; f")))
    );
    let mlst = capture("proftpd", "mlst-file.bin");
    let r = run(
        &mut h,
        Operation::Mlst(Some(b"file1234.bin")),
        "MLST file1234.bin\r\n",
        &mlst,
    );
    let Ok(OpOutput::Reply(rep)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(rep.code().get(), 250);
    assert!(
        rep.lines()
            .any(|l| l.starts_with(b" ") && l.ends_with(b"file1234.bin")),
        "{rep:?}"
    );
    assert_eq!(
        run(
            &mut h,
            Operation::Site(b"CHMOD 644 f"),
            "SITE CHMOD 644 f\r\n",
            b"200 ok\r\n"
        ),
        Ok(OpOutput::Reply(reply(200, "ok")))
    );
    let r = run(
        &mut h,
        Operation::Stat(None),
        "STAT\r\n",
        &capture("vsftpd-explicit", "stat.bin"),
    );
    assert!(
        matches!(r, Ok(OpOutput::Reply(ref rep)) if rep.code().get() == 211 && rep.is_multiline()),
        "{r:?}"
    );
    let r = run(
        &mut h,
        Operation::Syst,
        "SYST\r\n",
        &capture("vsftpd-explicit", "syst.bin"),
    );
    assert_eq!(r, Ok(OpOutput::Reply(reply(215, "UNIX Type: L8"))));
    let r = run(
        &mut h,
        Operation::Help(None),
        "HELP\r\n",
        &capture("proftpd", "help.bin"),
    );
    assert!(
        matches!(r, Ok(OpOutput::Reply(ref rep)) if rep.code().get() == 214),
        "{r:?}"
    );
}

#[test]
fn rep_digit_unknown_2yz_success_5yz_failure() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(&mut h, Operation::Noop, "NOOP\r\n", b"299 odd\r\n"),
        Ok(OpOutput::Reply(reply(299, "odd")))
    );
    let r = run(&mut h, Operation::Noop, "NOOP\r\n", b"599 odd\r\n");
    assert_eq!(
        r,
        Err(ClientError::Rejected {
            reply: reply(599, "odd")
        })
    );
    assert!(!r.unwrap_err().is_transient());
    let r = run(&mut h, Operation::Noop, "NOOP\r\n", b"499 later\r\n");
    assert!(r.unwrap_err().is_transient());
}

#[test]
fn not_logged_in_530() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        run(
            &mut h,
            Operation::Cwd(b"x"),
            "CWD x\r\n",
            b"530 Please login\r\n"
        ),
        Err(ClientError::NotLoggedIn {
            reply: reply(530, "Please login")
        })
    );
}

#[test]
fn feat_type_operations() {
    let mut h = Harness::plain_ready();
    let r = run(
        &mut h,
        Operation::Feat,
        "FEAT\r\n",
        &capture("proftpd", "feat.bin"),
    );
    let Ok(OpOutput::Features(f)) = r else {
        panic!("{r:?}")
    };
    assert!(f.contains("MLST"));
    assert_eq!(h.c.features(), Some(&f));
    assert_eq!(
        run(
            &mut h,
            Operation::Type(RepresentationType::Image),
            "TYPE I\r\n",
            &capture("proftpd", "type-i.bin")
        ),
        Ok(OpOutput::Reply(reply(200, "Type set to I")))
    );
}

#[test]
fn raw_unknown_verb() {
    let mut h = Harness::plain_ready();
    let cmd = Command::Unknown {
        verb: b"XYZZ"[..].into(),
        arg: None,
    };
    let r = run(
        &mut h,
        Operation::Raw(cmd),
        "XYZZ\r\n",
        &capture("pure-ftpd", "xyzz.bin"),
    );
    assert!(
        matches!(r, Err(ClientError::Rejected { ref reply }) if reply.code().get() == 500),
        "{r:?}"
    );
    let cmd = Command::Unknown {
        verb: b"XCHL"[..].into(),
        arg: Some(b"x"[..].into()),
    };
    assert_eq!(
        run(&mut h, Operation::Raw(cmd), "XCHL x\r\n", b"331 more\r\n"),
        Ok(OpOutput::Reply(reply(331, "more")))
    );
}

#[test]
fn t4217_ccc_stop_tls_then_plaintext() {
    let mut config = ClientConfig::default();
    config.security = ClientSecurity::Explicit {
        policy: ftps_proto::client::TlsPolicy::Opportunistic,
        auth_ssl_fallback: false,
    };
    let mut h = Harness::new(config);
    h.feed(b"220 hi\r\n234 ok\r\n");
    h.tls(TlsEvent::Established);
    h.feed(b"211 none\r\n200 ok\r\n200 ok\r\n");
    h.take_sent();
    let op = h.c.command(Operation::Ccc).unwrap();
    assert_eq!(h.take_sent(), "CCC\r\n");
    assert_eq!(h.feed(b"200 CCC ok\r\n"), vec![Item::StopTls]);
    let items = h.tls(TlsEvent::Stopped);
    assert_eq!(done(&items, op), Ok(OpOutput::Reply(reply(200, "CCC ok"))));
    assert!(!h.c.control_tls_active());
    assert_eq!(
        run(&mut h, Operation::Pwd, "PWD\r\n", b"257 \"/\"\r\n"),
        Ok(OpOutput::Path(b"/".to_vec()))
    );
}

#[test]
fn c959_rein_120_then_220_logs_out() {
    let mut h = Harness::plain_ready();
    h.c.login(b"u", Secret::from("p"), None).unwrap();
    h.feed(b"230 ok\r\n");
    assert!(h.c.is_logged_in());
    h.take_sent();
    let op = h.c.command(Operation::Rein).unwrap();
    assert_eq!(h.take_sent(), "REIN\r\n");
    assert_eq!(h.feed(b"120 soon\r\n"), vec![]);
    let items = h.feed(b"220 ready\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::Reply(reply(220, "ready"))));
    assert!(!h.c.is_logged_in());
}

#[test]
fn c959_quit_221_closes_pure_ftpd_multiline() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Quit).unwrap();
    assert_eq!(h.c.command(Operation::Noop), Err(LocalError::Closed));
    assert_eq!(h.take_sent(), "QUIT\r\n");
    let items = h.feed(&capture("pure-ftpd", "quit.bin"));
    let Ok(OpOutput::Reply(rep)) = done(&items, op) else {
        panic!("{items:?}")
    };
    assert_eq!(rep.code().get(), 221);
    assert!(rep.is_multiline());
    assert_eq!(close_reason(&items), Some(CloseReason::Quit));
    assert!(h.c.is_closed());
}

#[test]
fn c959_quit_eof_instead_of_221() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Quit).unwrap();
    let items = h.eof();
    assert_eq!(done(&items, op), Ok(OpOutput::None));
    assert_eq!(close_reason(&items), Some(CloseReason::Quit));
}

// ---- protocol checks ----

#[test]
fn sm959_g1_preliminary_and_intermediate_are_violations() {
    let ops: [fn() -> Operation<'static>; 8] = [
        || Operation::Noop,
        || Operation::Cwd(b"x"),
        || Operation::Cdup,
        || Operation::Pwd,
        || Operation::Dele(b"x"),
        || Operation::Mkd(b"x"),
        || Operation::Stat(None),
        || Operation::Site(b"x"),
    ];
    for make in ops {
        for (bytes, v) in [
            (&b"150 what\r\n"[..], Violation::UnexpectedPreliminary),
            (b"350 what\r\n", Violation::UnexpectedIntermediate),
        ] {
            let mut h = Harness::plain_ready();
            let op = h.c.command(make()).unwrap();
            let queued = h.c.command(Operation::Noop).unwrap();
            let items = h.feed(bytes);
            assert_eq!(violation(&items), Some(v));
            assert_eq!(done(&items, op), Err(ClientError::ProtocolViolation(v)));
            assert_eq!(done(&items, queued), Err(ClientError::ConnectionClosed));
            assert_eq!(
                close_reason(&items),
                Some(CloseReason::ProtocolViolation(v.as_str()))
            );
        }
    }
}

#[test]
fn unsolicited_reply_is_violation() {
    let mut h = Harness::plain_ready();
    let items = h.feed(b"200 nobody asked\r\n");
    assert_eq!(violation(&items), Some(Violation::UnsolicitedReply));
    assert_eq!(
        close_reason(&items),
        Some(CloseReason::ProtocolViolation("unsolicited reply"))
    );
}

#[test]
fn rep_421_fails_current_and_queued() {
    let mut h = Harness::plain_ready();
    let a = h.c.command(Operation::Cwd(b"x")).unwrap();
    let b = h.c.command(Operation::Noop).unwrap();
    let items = h.feed(b"421 shutting down\r\n");
    let err = ClientError::ServerClosed {
        reply: reply(421, "shutting down"),
    };
    assert_eq!(dones(&items), vec![(a, Err(err.clone())), (b, Err(err))]);
    assert_eq!(close_reason(&items), Some(CloseReason::Shutdown));
    assert_eq!(h.c.command(Operation::Noop), Err(LocalError::Closed));
}

#[test]
fn rep_421_when_idle() {
    let mut h = Harness::plain_ready();
    let items = h.feed(b"421 idle timeout\r\n");
    assert_eq!(close_reason(&items), Some(CloseReason::Shutdown));
}

#[test]
fn eof_inside_multiline_reply() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Stat(None)).unwrap();
    h.feed(b"211-status\r\n more\r\n");
    let items = h.eof();
    assert_eq!(violation(&items), Some(Violation::EofInsideReply));
    assert_eq!(
        done(&items, op),
        Err(ClientError::ProtocolViolation(Violation::EofInsideReply))
    );
}

#[test]
fn eof_inside_reply_line() {
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Noop).unwrap();
    h.feed(b"200 o");
    assert_eq!(violation(&h.eof()), Some(Violation::EofInsideReply));
}

#[test]
fn eof_between_replies() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Noop).unwrap();
    let items = h.eof();
    assert_eq!(done(&items, op), Err(ClientError::ConnectionClosed));
    assert_eq!(close_reason(&items), Some(CloseReason::PeerClosed));
}

#[test]
fn malformed_reply_line() {
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Noop).unwrap();
    assert_eq!(
        violation(&h.feed(b"hello\r\n")),
        Some(Violation::MalformedReply)
    );
}

#[test]
fn frm_maxrep_one_mib_line() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Noop).unwrap();
    let chunk = vec![b'2'; 64 * 1024];
    let mut items = Vec::new();
    for _ in 0..16 {
        items.extend(h.feed(&chunk));
        if h.c.is_closed() {
            break;
        }
    }
    assert_eq!(violation(&items), Some(Violation::ReplyTooLong));
    assert_eq!(
        done(&items, op),
        Err(ClientError::ProtocolViolation(Violation::ReplyTooLong))
    );
}

#[test]
fn frm_maxrep_endless_multiline() {
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Noop).unwrap();
    let mut items = h.feed(b"200-start\r\n");
    for _ in 0..2000 {
        items.extend(h.feed(b" more text\r\n"));
        if h.c.is_closed() {
            break;
        }
    }
    assert_eq!(violation(&items), Some(Violation::ReplyTooLong));
}

#[test]
fn frm_nul_and_ff_in_reply_text_are_bytes() {
    let mut h = Harness::plain_ready();
    let r = run(&mut h, Operation::Noop, "NOOP\r\n", b"200 a\0b\xc3\x28\r\n");
    assert_eq!(r, Ok(OpOutput::Reply(reply_bytes(200, b"a\0b\xc3\x28"))));
}

fn reply_bytes(code: u16, text: &[u8]) -> ftps_proto::Reply<'static> {
    ftps_proto::Reply::new(ftps_proto::ReplyCode::new(code).unwrap(), text.to_vec())
}

#[test]
fn rep_multi_lines_with_codes_inside() {
    let wire = b"211-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n211-b\r\n250 c\r\n211 The last line\r\n";
    for bytewise in [false, true] {
        let mut h = Harness::plain_ready();
        let op = h.c.command(Operation::Stat(None)).unwrap();
        let items = if bytewise {
            h.feed_bytewise(wire)
        } else {
            h.feed(wire)
        };
        let Ok(OpOutput::Reply(rep)) = done(&items, op) else {
            panic!("{items:?}")
        };
        assert_eq!(rep.code().get(), 211);
        assert_eq!(rep.lines().count(), 6);
    }
}

#[test]
fn rep_bare_final_line_and_bare_lf() {
    // REP-BARE, FRM-LF.
    let mut h = Harness::plain_ready();
    assert!(matches!(
        run(&mut h, Operation::Noop, "NOOP\r\n", b"200-x\r\n200\r\n"),
        Ok(OpOutput::Reply(_))
    ));
    assert_eq!(
        run(&mut h, Operation::Noop, "NOOP\r\n", b"200 ok\n"),
        Ok(OpOutput::Reply(reply(200, "ok")))
    );
}

#[test]
fn rep_anymulti_replies_split_at_every_byte() {
    let wire = capture("pure-ftpd", "quit.bin");
    for split in 0..=wire.len() {
        let mut h = Harness::plain_ready();
        let op = h.c.command(Operation::Quit).unwrap();
        let mut items = h.feed(&wire[..split]);
        items.extend(h.feed(&wire[split..]));
        assert!(
            matches!(done(&items, op), Ok(OpOutput::Reply(ref r)) if r.code().get() == 221),
            "split {split}"
        );
    }
}

#[test]
fn sm959_pipe_commands_serialised() {
    let mut h = Harness::plain_ready();
    let a = h.c.command(Operation::Noop).unwrap();
    let b = h.c.command(Operation::Pwd).unwrap();
    assert_eq!(h.take_sent(), "NOOP\r\n");
    // Both replies in one read: strictly in order.
    let items = h.feed(b"200 ok\r\n");
    assert_eq!(h.take_sent(), "PWD\r\n");
    assert_eq!(
        dones(&items),
        vec![(a, Ok(OpOutput::Reply(reply(200, "ok"))))]
    );
    let items = h.feed(b"257 \"/\"\r\n");
    assert_eq!(done(&items, b), Ok(OpOutput::Path(b"/".to_vec())));
}

#[test]
fn reply_timeout_is_fatal() {
    let mut h = Harness::plain_ready();
    let op = h.c.command(Operation::Noop).unwrap();
    assert_eq!(
        h.c.poll_timeout().unwrap() - h.now,
        std::time::Duration::from_secs(60)
    );
    let items = h.advance_to_deadline();
    assert_eq!(
        done(&items, op),
        Err(ClientError::Timeout(TimerKind::Reply))
    );
    assert_eq!(close_reason(&items), Some(CloseReason::Timeout));
}

#[test]
fn abort_queued_and_running_single() {
    let mut h = Harness::plain_ready();
    let a = h.c.command(Operation::Noop).unwrap();
    let b = h.c.command(Operation::Pwd).unwrap();
    assert_eq!(h.c.abort(h.now, a), Err(LocalError::NotAbortable));
    h.c.abort(h.now, b).unwrap();
    let items = h.drain();
    assert_eq!(done(&items, b), Err(ClientError::Aborted));
    assert_eq!(h.c.abort(h.now, b), Err(LocalError::UnknownOperation));
    h.feed(b"200 ok\r\n");
    assert_eq!(h.take_sent(), "NOOP\r\n");
}

#[test]
fn frm_nonegotiation_no_telnet_commands_sent() {
    // FRM-NONEG: a server's IAC DO is never answered by the client.
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Noop).unwrap();
    h.feed(b"\xff\xfd\x01200 ok\r\n");
    let sent = h.sent.clone();
    assert!(
        !sent
            .windows(2)
            .any(|w| w[0] == 0xff && (0xfb..=0xfe).contains(&w[1])),
        "{sent:?}"
    );
}
