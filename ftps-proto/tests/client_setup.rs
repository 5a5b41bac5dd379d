//! Client connection setup: greeting, explicit and implicit FTPS, HOST, FEAT, PBSZ/PROT.

mod client_support;

use client_support::*;
use ftps_proto::client::{
    ClientConfig, ClientError, ClientEvent, ClientSecurity, TimerKind, TlsPolicy, Violation,
};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto::session::{CloseReason, TlsEvent};

fn setup_failed(items: &[Item]) -> Option<ClientError> {
    items.iter().find_map(|i| match i {
        Item::Event(ClientEvent::SetupFailed { error }) => Some(error.clone()),
        _ => None,
    })
}

fn explicit(policy: TlsPolicy, auth_ssl_fallback: bool) -> ClientConfig {
    let mut c = ClientConfig::default();
    c.security = ClientSecurity::Explicit {
        policy,
        auth_ssl_fallback,
    };
    c
}

#[test]
fn sm959_greet_nothing_sent_before_greeting() {
    let mut h = Harness::new(ClientConfig::plain());
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.take_sent(), "");
    h.feed(b"220 ");
    assert_eq!(h.take_sent(), "");
    h.feed(b"ok\r\n");
    assert_eq!(h.take_sent(), "FEAT\r\n");
}

#[test]
fn sm959_greet_120_then_220() {
    let mut h = Harness::new(ClientConfig::plain());
    assert_eq!(h.feed(b"120 ready in 5 min\r\n"), vec![]);
    assert_eq!(h.take_sent(), "");
    h.feed(b"220 ok\r\n");
    assert_eq!(h.take_sent(), "FEAT\r\n");
}

#[test]
fn sm959_greet_421_closes() {
    let mut h = Harness::new(ClientConfig::plain());
    let items = h.feed(b"421 too many users\r\n");
    assert_eq!(
        items,
        vec![
            Item::Event(ClientEvent::SetupFailed {
                error: ClientError::ServerClosed {
                    reply: reply(421, "too many users")
                }
            }),
            Item::Close(CloseReason::Shutdown)
        ]
    );
    assert!(h.c.is_closed());
}

#[test]
fn sm959_greet_refusal_530_fails_setup() {
    let mut h = Harness::new(ClientConfig::plain());
    let op = h.c.command(ftps_proto::client::Operation::Noop).unwrap();
    let items = h.feed(b"530 go away\r\n");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::Rejected {
            reply: reply(530, "go away")
        })
    );
    assert_eq!(done(&items, op), Err(ClientError::ConnectionClosed));
    assert_eq!(close_reason(&items), Some(CloseReason::PeerClosed));
}

#[test]
fn reply_before_greeting_is_violation() {
    let mut h = Harness::new(ClientConfig::plain());
    let items = h.feed(b"200 hello\r\n");
    assert_eq!(violation(&items), Some(Violation::ReplyBeforeGreeting));
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::ProtocolViolation(
            Violation::ReplyBeforeGreeting
        ))
    );
    assert_eq!(
        close_reason(&items),
        Some(CloseReason::ProtocolViolation("reply before the greeting"))
    );
}

#[test]
fn greeting_timeout() {
    let mut h = Harness::new(ClientConfig::plain());
    let at = h.c.poll_timeout().unwrap();
    assert_eq!(at - h.now, std::time::Duration::from_secs(30));
    let items = h.advance_to_deadline();
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::Timeout(TimerKind::Greeting))
    );
    assert_eq!(close_reason(&items), Some(CloseReason::Timeout));
    assert_eq!(h.c.poll_timeout(), None);
}

#[test]
fn t4217_authtls_explicit_setup_with_vsftpd_replies() {
    // T4217-AUTHTLS, T4217-START, T4217-PBSZ0, ATK-TLSINJ-C (FEAT re-issued after TLS only).
    let mut h = Harness::new(ClientConfig::default());
    h.feed(&capture("vsftpd-explicit", "greeting.bin"));
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
    assert_eq!(
        h.feed(&capture("vsftpd-explicit", "auth-tls.bin")),
        vec![Item::StartTls]
    );
    assert_eq!(h.take_sent(), "");
    assert!(!h.c.control_tls_active());
    h.tls(TlsEvent::Established);
    assert!(h.c.control_tls_active());
    assert_eq!(h.take_sent(), "FEAT\r\n");
    h.feed(&capture("vsftpd-explicit", "feat.bin"));
    // vsftpd does not list UTF8: no OPTS UTF8 ON.
    assert!(h.c.features().unwrap().contains("AUTH TLS"));
    assert!(!h.c.features().unwrap().contains("UTF8"));
    assert_eq!(h.take_sent(), "PBSZ 0\r\n");
    h.feed(&capture("vsftpd-explicit", "pbsz-0.bin"));
    assert_eq!(h.take_sent(), "PROT P\r\n");
    let items = h.feed(&capture("vsftpd-explicit", "prot-p.bin"));
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: true })]
    );
    assert_eq!(h.c.protection(), ProtectionLevel::Private);
}

#[test]
fn u2640_optsutf8_refusal_tolerated_pure_ftpd() {
    // U2640-OPTSUTF8: Pure-FTPd lists UTF8 but answers OPTS UTF8 ON with 504.
    let mut h = Harness::new(ClientConfig::default());
    h.feed(&capture("pure-ftpd", "greeting.bin"));
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
    h.feed(&capture("pure-ftpd", "auth-tls.bin"));
    h.tls(TlsEvent::Established);
    h.feed(&capture("pure-ftpd", "feat.bin"));
    assert_eq!(h.take_sent(), "FEAT\r\nOPTS UTF8 ON\r\n");
    h.feed(&capture("pure-ftpd", "opts-utf8-on.bin"));
    assert_eq!(h.take_sent(), "PBSZ 0\r\n");
}

#[test]
fn atk_tlsinj_c_bytes_after_234_abort_before_handshake() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    h.take_sent();
    let items = h.feed(b"234 ok\r\n230 fake\r\n");
    assert!(!items.contains(&Item::StartTls));
    assert_eq!(violation(&items), Some(Violation::TlsInjection));
    assert_eq!(close_reason(&items), Some(CloseReason::TlsInjection));
    assert_eq!(h.take_sent(), "");
}

#[test]
fn atk_tlsinj_c_bytes_after_234_in_later_read() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    assert_eq!(h.feed(b"234 ok\r\n"), vec![Item::StartTls]);
    // Plaintext before the adapter reported the handshake.
    let items = h.feed(b"230 fake\r\n");
    assert_eq!(violation(&items), Some(Violation::TlsInjection));
    assert_eq!(close_reason(&items), Some(CloseReason::TlsInjection));
}

#[test]
fn atk_tlsinj_c_partial_line_after_234() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    let items = h.feed(b"234 ok\r\n2");
    assert_eq!(violation(&items), Some(Violation::TlsInjection));
}

#[test]
fn t4217_refused_required_sends_quit() {
    // T4217-REFUSED, ATK-DOWNGRADE.
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    h.take_sent();
    let items = h.feed(b"502 no\r\n");
    assert_eq!(h.take_sent(), "QUIT\r\n");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::TlsRequired {
            reply: Some(reply(502, "no"))
        })
    );
    assert_eq!(close_reason(&items), Some(CloseReason::Quit));
}

#[test]
fn t4217_refused_opportunistic_continues_plain() {
    let mut h = Harness::new(explicit(TlsPolicy::Opportunistic, false));
    h.feed(b"220 hi\r\n");
    h.take_sent();
    h.feed(b"500 AUTH not understood\r\n");
    assert_eq!(h.take_sent(), "FEAT\r\n");
    let items = h.feed(b"211 none\r\n");
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: false })]
    );
    // No PBSZ/PROT without TLS.
    assert_eq!(h.take_sent(), "");
    assert_eq!(h.c.protection(), ProtectionLevel::Clear);
}

#[test]
fn imp_authssl_fallback_to_auth_ssl() {
    let mut h = Harness::new(explicit(TlsPolicy::Required, true));
    h.feed(b"220 hi\r\n");
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
    h.feed(b"504 unknown mechanism\r\n");
    assert_eq!(h.take_sent(), "AUTH SSL\r\n");
    assert_eq!(h.feed(b"234 ok\r\n"), vec![Item::StartTls]);
    h.tls(TlsEvent::Established);
    h.feed(b"211 x\r\n");
    // IMP-AUTHSSL: explicit PBSZ + PROT after AUTH SSL too.
    assert_eq!(h.take_sent(), "FEAT\r\nPBSZ 0\r\n");
}

#[test]
fn imp_authssl_fallback_refused_twice() {
    let mut h = Harness::new(explicit(TlsPolicy::Required, true));
    h.feed(b"220 hi\r\n");
    h.feed(b"504 no\r\n");
    let items = h.feed(b"504 no either\r\n");
    assert_eq!(h.take_sent(), "AUTH TLS\r\nAUTH SSL\r\nQUIT\r\n");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::TlsRequired {
            reply: Some(reply(504, "no either"))
        })
    );
}

#[test]
fn t4217_authtls_334_is_violation() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    let items = h.feed(b"334 ADAT=\r\n");
    assert_eq!(violation(&items), Some(Violation::UnexpectedIntermediate));
}

#[test]
fn atk_downgrade_auth_sent_even_if_feat_lacks_it() {
    // No FEAT is asked before AUTH: whatever a man in the middle strips, AUTH TLS goes out.
    let mut h = Harness::new(ClientConfig::default());
    h.feed(&capture("pure-ftpd", "plain-greeting.bin"));
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
}

#[test]
fn atk_downgrade_prot_refused_in_setup_quits() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    h.feed(b"234 ok\r\n");
    h.tls(TlsEvent::Established);
    h.feed(b"211 none\r\n");
    h.feed(b"200 ok\r\n");
    h.take_sent();
    let items = h.feed(b"534 Fallback to [C]\r\n");
    assert_eq!(h.take_sent(), "QUIT\r\n");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::TlsRequired {
            reply: Some(reply(534, "Fallback to [C]"))
        })
    );
}

#[test]
fn tls_handshake_failure_closes() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    h.feed(b"234 ok\r\n");
    let items = h.tls(TlsEvent::Failed);
    assert_eq!(setup_failed(&items), Some(ClientError::TlsFailed));
    assert_eq!(close_reason(&items), Some(CloseReason::TlsFailed));
}

#[test]
fn tls_handshake_timeout() {
    let mut h = Harness::new(ClientConfig::default());
    h.feed(b"220 hi\r\n");
    h.feed(b"234 ok\r\n");
    let items = h.advance_to_deadline();
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::Timeout(TimerKind::TlsHandshake))
    );
}

#[test]
fn imp_greet_implicit_tls_first_then_greeting_then_pbsz_prot() {
    // IMP-PORT, IMP-GREET, IMP-STATE.
    let mut h = Harness::new(ClientConfig::implicit());
    assert_eq!(h.drain(), vec![Item::StartTls]);
    assert_eq!(h.take_sent(), "");
    h.tls(TlsEvent::Established);
    assert_eq!(h.c.protection(), ProtectionLevel::Private);
    assert_eq!(h.take_sent(), "");
    h.feed(&capture("vsftpd-implicit", "greeting.bin"));
    assert_eq!(h.take_sent(), "FEAT\r\n");
    h.feed(b"211 none\r\n");
    assert_eq!(h.take_sent(), "PBSZ 0\r\n");
    h.feed(b"200 ok\r\n");
    assert_eq!(h.take_sent(), "PROT P\r\n");
    let items = h.feed(b"200 ok\r\n");
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: true })]
    );
}

#[test]
fn imp_noprot_implicit_prot_refusal_keeps_private() {
    let mut h = Harness::new(ClientConfig::implicit());
    h.drain();
    h.tls(TlsEvent::Established);
    h.feed(b"220 hi\r\n211 none\r\n");
    let items = h.feed(b"500 PBSZ unknown\r\n");
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: true })]
    );
    assert_eq!(h.c.protection(), ProtectionLevel::Private);
}

#[test]
fn implicit_plaintext_before_handshake_is_refused() {
    let mut h = Harness::new(ClientConfig::implicit());
    h.drain();
    let items = h.feed(b"220 plaintext\r\n");
    assert_eq!(violation(&items), Some(Violation::TlsInjection));
}

#[test]
fn h7151_client_host_sent_500_tolerated() {
    let mut config = ClientConfig::plain();
    config.host = Some(b"ftp.example.com".to_vec());
    let mut h = Harness::new(config);
    h.feed(b"220 hi\r\n");
    assert_eq!(h.take_sent(), "HOST ftp.example.com\r\n");
    h.feed(b"502 HOST not implemented\r\n");
    assert_eq!(h.take_sent(), "FEAT\r\n");
}

#[test]
fn h7151_client_host_other_error_quits() {
    let mut config = ClientConfig::plain();
    config.host = Some(b"ftp.example.com".to_vec());
    let mut h = Harness::new(config);
    h.feed(b"220 hi\r\n");
    let items = h.feed(b"504 unknown host\r\n");
    assert_eq!(h.take_sent(), "HOST ftp.example.com\r\nQUIT\r\n");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::Rejected {
            reply: reply(504, "unknown host")
        })
    );
}

#[test]
fn h7151_client_host_with_crlf_is_not_sent() {
    let mut config = ClientConfig::plain();
    config.host = Some(b"a\r\nDELE x".to_vec());
    let mut h = Harness::new(config);
    let items = h.feed(b"220 hi\r\n");
    assert_eq!(h.take_sent(), "");
    assert_eq!(
        setup_failed(&items),
        Some(ClientError::Local(
            ftps_proto::client::LocalError::ForbiddenByte { byte: b'\r' }
        ))
    );
}

#[test]
fn h7151_client_host_after_tls_before_user() {
    let mut config = ClientConfig::default();
    config.host = Some(b"ftp.example.com".to_vec());
    let mut h = Harness::new(config);
    h.c.login(b"u", "p".into(), None).unwrap();
    h.feed(b"220 hi\r\n234 ok\r\n");
    h.tls(TlsEvent::Established);
    h.feed(b"220 host ok\r\n211 none\r\n200 ok\r\n200 ok\r\n");
    assert_eq!(
        h.take_sent(),
        "AUTH TLS\r\nHOST ftp.example.com\r\nFEAT\r\nPBSZ 0\r\nPROT P\r\nUSER u\r\n"
    );
}

#[test]
fn f2389_probe_feat_refused_means_no_features() {
    let mut h = Harness::new(ClientConfig::plain());
    h.feed(b"220 hi\r\n");
    let items = h.feed(b"500 FEAT not understood\r\n");
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: false })]
    );
    assert!(h.c.features().unwrap().is_empty());
}

#[test]
fn f2389_parse_feat_multiline_bytewise() {
    let mut h = Harness::new(ClientConfig::plain());
    h.feed(b"220 hi\r\n");
    h.take_sent();
    h.feed_bytewise(b"211-x\r\n mlst size*;\r\n SIZE\r\n XFOO bar\r\n211 END\r\n");
    let f = h.c.features().unwrap();
    assert_eq!(f.params("MLST"), Some(&b"size*;"[..]));
    assert!(f.contains("SIZE"));
    assert_eq!(f.params("XFOO"), Some(&b"bar"[..]));
    assert_eq!(f.len(), 3);
    assert!(h.c.is_ready());
}

#[test]
fn u2640_feat_utf8_not_sent_when_disabled() {
    let mut config = ClientConfig::plain();
    config.send_utf8 = false;
    let mut h = Harness::new(config);
    h.feed(b"220 hi\r\n");
    let items = h.feed(b"211-f\r\n UTF8\r\n211 end\r\n");
    assert_eq!(
        items,
        vec![Item::Event(ClientEvent::Ready { control_tls: false })]
    );
    assert_eq!(h.take_sent(), "FEAT\r\n");
}

#[test]
fn setup_eof_fails_queued_ops() {
    let mut h = Harness::new(ClientConfig::plain());
    let op = h.c.login(b"u", "p".into(), None).unwrap();
    let items = h.eof();
    assert_eq!(setup_failed(&items), Some(ClientError::ConnectionClosed));
    assert_eq!(done(&items, op), Err(ClientError::ConnectionClosed));
    assert_eq!(close_reason(&items), Some(CloseReason::PeerClosed));
}

// S2228-POLICY: an opportunistic client asks for TLS before anything else and sends USER and
// PASS only once it is up.
#[test]
fn s2228_policy_opportunistic_upgrades_before_user() {
    let mut h = Harness::new(explicit(TlsPolicy::Opportunistic, false));
    h.c.login(b"u", "p".into(), None).unwrap();
    h.feed(b"220 hi\r\n");
    assert_eq!(h.take_sent(), "AUTH TLS\r\n");
    assert_eq!(h.feed(b"234 ok\r\n"), vec![Item::StartTls]);
    assert_eq!(h.take_sent(), "");
    h.tls(TlsEvent::Established);
    h.feed(b"211 none\r\n200 ok\r\n200 ok\r\n331 pw\r\n");
    assert_eq!(
        h.take_sent(),
        "FEAT\r\nPBSZ 0\r\nPROT P\r\nUSER u\r\nPASS p\r\n"
    );
    assert!(h.c.control_tls_active());
}

// U2640-ORDER: HOST goes first (nothing but FEAT may precede it); FEAT, then the UTF-8 option,
// then USER.
#[test]
fn u2640_order_host_first_on_plain_control() {
    let mut config = ClientConfig::plain();
    config.host = Some(b"ftp.example.com".to_vec());
    let mut h = Harness::new(config);
    h.c.login(b"u", "p".into(), None).unwrap();
    h.feed(b"220 hi\r\n220 host ok\r\n211-Features:\r\n UTF8\r\n211 End\r\n200 ok\r\n");
    assert_eq!(
        h.take_sent(),
        "HOST ftp.example.com\r\nFEAT\r\nOPTS UTF8 ON\r\nUSER u\r\n"
    );
}
