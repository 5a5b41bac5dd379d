//! Single commands, login and control-security changes end to end between the two sessions,
//! through the in-memory `Pair`.

mod pair_common;

use std::time::Duration;

use ftps_proto::client::{
    ClientConfig, ClientError, ClientEvent, ClientSecurity, LocalError, OpOutput, Operation,
    TlsPolicy,
};
use ftps_proto::pair::{PairError, Side, TlsState};
use ftps_proto::server::ServerTls;
use ftps_proto::session::CloseReason;
use ftps_proto::timeval::TimeVal;
use ftps_proto::Secret;
use pair_common::*;

fn reply_code(out: OpOutput) -> u16 {
    match out {
        OpOutput::Reply(r) => r.code().get(),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn error_code(e: PairError) -> u16 {
    match e {
        PairError::Failed(e) => e.reply().map(|r| r.code().get()).unwrap_or(0),
        other => panic!("expected a failed operation, got {other:?}"),
    }
}

fn opportunistic() -> ClientConfig {
    let mut c = ClientConfig::default();
    c.security = ClientSecurity::Explicit {
        policy: TlsPolicy::Opportunistic,
        auth_ssl_fallback: false,
    };
    c
}

// C959-CWD, C959-CDUP, C959-PWD, C959-MKD, C959-RMD, C959-DELE: the directory commands.
#[test]
fn c959_directory_commands_every_mode() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        assert_eq!(
            reply_code(p.command(Operation::Cwd(b"/pub/sub")).unwrap()),
            250
        );
        assert_eq!(
            p.command(Operation::Pwd).unwrap(),
            OpOutput::Path(b"/pub/sub".to_vec())
        );
        assert_eq!(reply_code(p.command(Operation::Cdup).unwrap()), 250);
        assert_eq!(
            p.command(Operation::Pwd).unwrap(),
            OpOutput::Path(b"/pub".to_vec())
        );
        assert_eq!(
            error_code(p.command(Operation::Cwd(b"nope")).unwrap_err()),
            550
        );
        // C959-MKD: quotes in the name are doubled on the wire and undone by the client.
        assert_eq!(
            p.command(Operation::Mkd(b"a\"b")).unwrap(),
            OpOutput::Path(b"/pub/a\"b".to_vec())
        );
        assert!(server_lines(&p).contains(&"257 \"/pub/a\"\"b\" created.".to_owned()));
        assert!(p.storage().is_dir(b"/pub/a\"b"));
        assert_eq!(
            error_code(p.command(Operation::Mkd(b"a\"b")).unwrap_err()),
            550
        );
        assert_eq!(reply_code(p.command(Operation::Rmd(b"a\"b")).unwrap()), 250);
        assert!(!p.storage().is_dir(b"/pub/a\"b"));
        // C959-RMD: a non-empty directory is refused.
        p.storage_mut().put(b"/pub/sub/f", b"").unwrap();
        assert_eq!(
            error_code(p.command(Operation::Rmd(b"sub")).unwrap_err()),
            550
        );
        // C959-DELE: a directory cannot be deleted; a file can.
        assert_eq!(
            error_code(p.command(Operation::Dele(b"sub")).unwrap_err()),
            550
        );
        assert_eq!(
            reply_code(p.command(Operation::Dele(b"sub/f")).unwrap()),
            250
        );
        assert_eq!(p.storage().get(b"/pub/sub/f"), None);
    }
}

// C959-RNFR, C959-RNTO, SM959-RENAME: rename a file and a directory tree; a missing source is
// refused at RNFR.
#[test]
fn c959_rename() {
    let mut p = logged_in(Mode::Explicit);
    let r = p
        .command(Operation::Rename {
            from: b"/pub/hello.txt",
            to: b"/pub/sub/hi.txt",
        })
        .unwrap();
    assert_eq!(reply_code(r), 250);
    assert_eq!(
        p.storage().get(b"/pub/sub/hi.txt"),
        Some(&b"hello world\n"[..])
    );
    assert_eq!(p.storage().get(b"/pub/hello.txt"), None);
    let r = p
        .command(Operation::Rename {
            from: b"/pub",
            to: b"/public",
        })
        .unwrap();
    assert_eq!(reply_code(r), 250);
    assert_eq!(
        p.storage().get(b"/public/sub/hi.txt"),
        Some(&b"hello world\n"[..])
    );
    assert!(!p.storage().is_dir(b"/pub"));
    let e = p
        .command(Operation::Rename {
            from: b"/missing",
            to: b"/x",
        })
        .unwrap_err();
    assert_eq!(error_code(e), 550);
    let verbs = client_verbs(&p);
    assert_eq!(
        verbs
            .iter()
            .filter(|v| *v == "RNFR" || *v == "RNTO")
            .count(),
        5
    );
}

// X3659-SIZE, X3659-MDTM, MFMT, X3659-MLST, C959-STAT, C959-SYST, C959-HELP, C959-NOOP,
// F2389 FEAT: informational commands with typed results.
#[test]
fn x3659_file_facts_and_informational_commands() {
    let mut p = logged_in(Mode::Implicit);
    // DAT-DEFAULT: TYPE A until changed, so a raw SIZE counts the CRLF form.
    let raw_size = ftps_proto::Command::Size(b"/pub/hello.txt"[..].into());
    let r = p.command(Operation::Raw(raw_size)).unwrap();
    assert!(
        matches!(&r, OpOutput::Reply(reply) if reply.text() == b"13"),
        "{r:?}"
    );
    // Operation::Size switches to TYPE I first: the stored size.
    assert_eq!(
        p.command(Operation::Size(b"/pub/hello.txt")).unwrap(),
        OpOutput::Size(12)
    );
    let image = ftps_proto::codec::RepresentationType::Image;
    assert_eq!(reply_code(p.command(Operation::Type(image)).unwrap()), 200);
    assert_eq!(
        p.command(Operation::Size(b"/pub/hello.txt")).unwrap(),
        OpOutput::Size(12)
    );
    let t = TimeVal::new(2023, 11, 14, 22, 13, 20).unwrap();
    assert_eq!(
        p.command(Operation::Mdtm(b"/pub/hello.txt")).unwrap(),
        OpOutput::Time(t)
    );
    let new = TimeVal::new(2001, 2, 3, 4, 5, 6).unwrap();
    let r = p
        .command(Operation::Mfmt {
            time: new,
            path: b"/pub/hello.txt",
        })
        .unwrap();
    assert_eq!(reply_code(r), 213);
    assert_eq!(
        p.command(Operation::Mdtm(b"/pub/hello.txt")).unwrap(),
        OpOutput::Time(new)
    );
    assert_eq!(
        error_code(p.command(Operation::Size(b"/pub")).unwrap_err()),
        550
    );
    match p.command(Operation::Mlst(Some(b"/pub/hello.txt"))).unwrap() {
        OpOutput::Reply(r) => {
            assert_eq!(r.code().get(), 250);
            let text = String::from_utf8_lossy(r.text()).into_owned();
            assert!(
                text.contains(" type=file;size=12;modify=20010203040506;"),
                "{text}"
            );
            assert!(text.contains("; /pub/hello.txt"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    match p.command(Operation::Stat(Some(b"/pub"))).unwrap() {
        OpOutput::Reply(r) => {
            assert_eq!(r.code().get(), 213);
            let text = String::from_utf8_lossy(r.text()).into_owned();
            assert!(text.contains(" hello.txt"), "{text}");
            assert!(text.contains(" sub"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    match p.command(Operation::Syst).unwrap() {
        OpOutput::Reply(r) => assert_eq!((r.code().get(), r.text()), (215, &b"UNIX Type: L8"[..])),
        other => panic!("{other:?}"),
    }
    assert_eq!(reply_code(p.command(Operation::Help(None)).unwrap()), 214);
    assert_eq!(reply_code(p.command(Operation::Noop).unwrap()), 200);
    match p.command(Operation::Feat).unwrap() {
        OpOutput::Features(f) => {
            assert!(f.contains("MLST") && f.contains("REST STREAM") && f.contains("PROT"));
        }
        other => panic!("{other:?}"),
    }
}

// C959-SITE: SITE goes to the application when enabled, else 502.
#[test]
fn c959_site() {
    let mut p = logged_in(Mode::Plain);
    assert_eq!(
        error_code(p.command(Operation::Site(b"CHMOD 644 x")).unwrap_err()),
        502
    );
    let mut s = server_config(Mode::Plain);
    s.features.site = true;
    let mut p = pair_with(ClientConfig::plain(), s);
    p.login(b"alice", b"secret").unwrap();
    match p.command(Operation::Site(b"CHMOD 644 x")).unwrap() {
        OpOutput::Reply(r) => {
            assert_eq!(
                (r.code().get(), r.text()),
                (200, &b"SITE command accepted."[..])
            )
        }
        other => panic!("{other:?}"),
    }
}

// T4217-CCC: after 200 both sides exchange close_notify and go on in plaintext; transfers
// still use PROT P data.
#[test]
fn t4217_ccc_clears_control_channel() {
    let mut p = pair_with(opportunistic(), server_config(Mode::Explicit));
    p.login(b"alice", b"secret").unwrap();
    assert_eq!(reply_code(p.command(Operation::Ccc).unwrap()), 200);
    assert_eq!(p.tls_state(Side::Client), TlsState::Plain);
    assert_eq!(p.tls_state(Side::Server), TlsState::Plain);
    assert!(!p.client().control_tls_active() && !p.server().control_tls_active());
    assert_eq!(
        p.command(Operation::Pwd).unwrap(),
        OpOutput::Path(b"/".to_vec())
    );
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
    assert!(p.data_log()[0].tls.is_some());
    // A second CCC: the control connection is not protected any more.
    assert_eq!(error_code(p.command(Operation::Ccc).unwrap_err()), 533);
}

// ATK-DOWNGRADE: a client requiring TLS refuses CCC locally; nothing is sent.
#[test]
fn atk_downgrade_ccc_refused_locally_when_tls_required() {
    let mut p = logged_in(Mode::Explicit);
    p.clear_transcripts();
    assert_eq!(
        p.command(Operation::Ccc).unwrap_err(),
        PairError::Local(LocalError::ForbiddenByConfig)
    );
    p.run().unwrap();
    assert!(p.client_transcript().is_empty());
}

// T4217-REIN, C959-REIN, DAT-DEFAULT: REIN logs out; in explicit FTPS the control TLS is
// cleared after the 220 and the client negotiates it again before anything else.
#[test]
fn t4217_rein_every_mode() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        p.clear_transcripts();
        assert_eq!(reply_code(p.command(Operation::Rein).unwrap()), 220);
        assert!(!p.client().is_logged_in() && !p.server().is_logged_in());
        let e = p.retr(b"/pub/hello.txt").unwrap_err();
        assert_eq!(error_code(e), 530, "{mode:?}");
        p.login(b"alice", b"secret").unwrap();
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        let lines = client_lines(&p);
        match mode {
            Mode::Explicit => {
                // The password never travels in the clear after REIN.
                let auth = lines.iter().position(|l| l == "AUTH TLS").unwrap();
                let pass = lines.iter().position(|l| l == "PASS secret").unwrap();
                assert!(auth < pass, "{lines:?}");
                assert_eq!(lines[0], "REIN");
                assert_eq!(lines[1], "AUTH TLS");
            }
            Mode::Implicit | Mode::Plain => assert!(!lines.contains(&"AUTH TLS".to_owned())),
        }
        let tls = mode != Mode::Plain;
        assert_eq!(p.client().control_tls_active(), tls);
        assert_eq!(p.server().control_tls_active(), tls);
        assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
    }
}

// S2577-BRUTE, S2577-ENUM: failed logins are answered after the delay; the third one is
// followed by 421 and the close.
#[test]
fn s2577_brute_force_cap() {
    let mut p = pair(Mode::Explicit);
    for attempt in 1..=3u32 {
        let op = p
            .client_mut()
            .login(b"mallory", Secret::from("guess"), None)
            .unwrap();
        p.run().unwrap();
        assert_eq!(p.result(op), None, "the 530 is held back");
        let before = p.elapsed();
        let result = p.wait_op(op);
        assert_eq!(p.elapsed() - before, Duration::from_secs(1));
        match (attempt, result) {
            (1 | 2, Err(PairError::Failed(ClientError::LoginRefused { reply, cleartext }))) => {
                assert_eq!(reply.code().get(), 530);
                assert!(!cleartext);
            }
            (3, Err(PairError::Failed(ClientError::ServerClosed { reply }))) => {
                assert_eq!(reply.code().get(), 421);
            }
            (n, other) => panic!("attempt {n}: {other:?}"),
        }
    }
    // The third failure is answered 421 (after the same delay) instead of 530.
    let codes = server_codes(&p);
    assert_eq!(codes[codes.len() - 6..], [331, 530, 331, 530, 331, 421]);
    assert_eq!(
        p.closed_reason(Side::Server),
        Some(&CloseReason::TooManyFailedLogins)
    );
    assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Shutdown));
}

// C959-ACCT, SM959-LOGIN: PASS -> 332, ACCT -> 230.
#[test]
fn c959_acct_completes_login() {
    let mut p = pair(Mode::Plain);
    p.storage_mut()
        .add_user_with_account(b"bob", b"pw", b"acct");
    let op = p
        .client_mut()
        .login(b"bob", Secret::from("pw"), Some(Secret::from("acct")))
        .unwrap();
    assert_eq!(p.run_op(op).unwrap(), OpOutput::None);
    let verbs = client_verbs(&p);
    assert_eq!(verbs[verbs.len() - 3..], ["USER", "PASS", "ACCT"]);
    let codes = server_codes(&p);
    assert_eq!(codes[codes.len() - 3..], [331, 332, 230]);
    assert_eq!(p.server().user(), Some(&b"bob"[..]));
    // Without an account the login stops at 332.
    let mut p = pair(Mode::Plain);
    p.storage_mut()
        .add_user_with_account(b"bob", b"pw", b"acct");
    match p.login(b"bob", b"pw").unwrap_err() {
        PairError::Failed(ClientError::AccountRequired { reply }) => {
            assert_eq!(reply.code().get(), 332)
        }
        other => panic!("{other:?}"),
    }
}

// T4217-POLICY: a server requiring TLS for login refuses a plaintext USER with 530; the
// client reports it as a cleartext refusal.
#[test]
fn t4217_policy_login_refused_in_clear() {
    let mut p = pair_with(ClientConfig::plain(), server_config(Mode::Explicit));
    match p.login(b"alice", b"secret").unwrap_err() {
        PairError::Failed(ClientError::LoginRefused { reply, cleartext }) => {
            assert_eq!(reply.code().get(), 530);
            assert!(cleartext);
        }
        other => panic!("{other:?}"),
    }
    assert!(!client_lines(&p).contains(&"PASS secret".to_owned()));
}

// T4217-REFUSED, ATK-DOWNGRADE: AUTH refused -> a TLS-required client QUITs, an
// opportunistic one goes on in plaintext.
#[test]
fn t4217_auth_refused_by_policy() {
    let mut p = pair_with(ClientConfig::default(), server_config(Mode::Plain));
    let e = p.login(b"alice", b"secret").unwrap_err();
    match e {
        PairError::Failed(ClientError::ConnectionClosed) => {}
        other => panic!("{other:?}"),
    }
    assert!(p.client_events().iter().any(|e| matches!(
        e,
        ClientEvent::SetupFailed {
            error: ClientError::TlsRequired { .. }
        }
    )));
    assert_eq!(client_lines(&p), ["AUTH TLS", "QUIT"]);
    assert!(p.client().is_closed() && p.server().is_closed());

    let mut p = pair_with(opportunistic(), server_config(Mode::Plain));
    p.login(b"alice", b"secret").unwrap();
    assert!(!p.client().control_tls_active());
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// IMP-AUTHSSL: the AUTH SSL fallback is not needed by this server (AUTH TLS is accepted), and
// a server accepting AUTH SSL alone is simulated by the client's fallback being unused.
#[test]
fn imp_authssl_fallback_unused_when_tls_accepted() {
    let mut c = ClientConfig::default();
    c.security = ClientSecurity::Explicit {
        policy: TlsPolicy::Required,
        auth_ssl_fallback: true,
    };
    let mut p = pair_with(c, server_config(Mode::Explicit));
    p.login(b"alice", b"secret").unwrap();
    assert_eq!(client_lines(&p)[0], "AUTH TLS");
    assert!(!client_lines(&p).contains(&"AUTH SSL".to_owned()));
}

// ATK-CRLF: CR, LF or NUL in an argument is refused locally; nothing is sent.
#[test]
fn atk_crlf_refused_locally() {
    let mut p = logged_in(Mode::Plain);
    p.clear_transcripts();
    for (arg, byte) in [(&b"a\r\nDELE x"[..], b'\r'), (b"a\nb", b'\n'), (b"a\0b", 0)] {
        assert_eq!(
            p.command(Operation::Cwd(arg)).unwrap_err(),
            PairError::Local(LocalError::ForbiddenByte { byte })
        );
    }
    assert_eq!(
        p.retr(b"x\r\nDELE y").unwrap_err(),
        PairError::Local(LocalError::ForbiddenByte { byte: b'\r' })
    );
    p.run().unwrap();
    assert!(p.client_transcript().is_empty());
    assert!(p.server_transcript().is_empty());
}

// ATK-TRAVERSAL: `..` never leaves the root; the storage sees only clamped paths.
#[test]
fn atk_traversal_clamped_to_root() {
    let mut p = logged_in(Mode::Explicit);
    p.command(Operation::Cwd(b"/pub/sub")).unwrap();
    assert_eq!(
        p.retr(b"../../../../pub/hello.txt").unwrap(),
        b"hello world\n"
    );
    assert_eq!(p.stor(b"../../../../../escape", b"x").unwrap(), 1);
    assert_eq!(p.storage().get(b"/escape"), Some(&b"x"[..]));
}

// C959-QUIT: QUIT -> 221 and both sides close cleanly.
#[test]
fn c959_quit_closes_both() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        p.quit().unwrap();
        assert_eq!(server_codes(&p).last(), Some(&221));
        assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Quit));
        assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::Quit));
        assert_eq!(p.next_timeout(), None);
        assert!(matches!(
            p.command(Operation::Noop).unwrap_err(),
            PairError::Local(LocalError::Closed)
        ));
    }
}

// ServerTls::None + plain client: PBSZ/PROT are never sent without TLS (T4217-ORDER).
#[test]
fn t4217_order_no_prot_without_tls() {
    let p = logged_in(Mode::Plain);
    assert!(!client_verbs(&p).iter().any(|v| v == "PBSZ" || v == "PROT"));
    assert!(matches!(server_config(Mode::Plain).tls, ServerTls::None));
}
