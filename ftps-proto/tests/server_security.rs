//! Server session: AUTH TLS, implicit FTPS, PBSZ/PROT, CCC, REIN and the TLS policies.
mod server_common;

use ftps_proto::server::{Response, ServerConfig, ServerTls};
use ftps_proto::session::{CloseReason, TlsEvent};
use server_common::{Driver, Out};

fn tls_session() -> Driver {
    let mut d = Driver::ready();
    assert_eq!(
        d.cmd("AUTH TLS\r\n"),
        "234 Proceed with TLS negotiation.\r\n"
    );
    d.tls(TlsEvent::Established);
    d
}

#[test]
fn t4217_authtls_234_then_starttls() {
    let mut d = Driver::ready();
    d.log.clear();
    d.send(b"AUTH TLS\r\n");
    assert_eq!(
        d.log,
        [
            Out::Tx(b"234 Proceed with TLS negotiation.\r\n".to_vec()),
            Out::StartTls
        ]
    );
    assert!(!d.session.control_tls_active());
    d.take();
    d.tls(TlsEvent::Established);
    assert!(d.session.control_tls_active());
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
}

#[test]
fn t4217_authtls_variants_and_unknown_mechanism() {
    for mech in ["tls-c", "SSL", "Tls"] {
        let mut d = Driver::ready();
        assert_eq!(
            d.cmd(&format!("AUTH {mech}\r\n")),
            "234 Proceed with TLS negotiation.\r\n"
        );
    }
    let mut d = Driver::ready();
    // S2228-AUTH
    assert_eq!(
        d.cmd("AUTH GSSAPI\r\n"),
        "504 Unknown AUTH mechanism; use AUTH TLS.\r\n"
    );
}

#[test]
fn s2228_reauth_refused_503() {
    let mut d = tls_session();
    assert_eq!(d.cmd("AUTH TLS\r\n"), "503 TLS is already active.\r\n");
}

#[test]
fn atk_tlsinj_s_pipelined_plaintext_after_auth_closes() {
    let mut d = Driver::ready();
    d.log.clear();
    d.send(b"AUTH TLS\r\nUSER evil\r\n");
    assert_eq!(d.take(), "421 Cleartext commands after AUTH; closing.\r\n");
    assert_eq!(d.closed, Some(CloseReason::TlsInjection));
    assert!(!d.log.contains(&Out::StartTls));
    assert!(d.requests.is_empty());
}

#[test]
fn atk_tlsinj_s_bytes_during_handshake_close_silently() {
    let mut d = Driver::ready();
    d.cmd("AUTH TLS\r\n");
    d.send(b"USER evil\r\n");
    assert_eq!(d.take(), "");
    assert_eq!(d.closed, Some(CloseReason::TlsInjection));
}

#[test]
fn t4217_reset_after_auth() {
    let mut d = Driver::logged_in();
    assert_eq!(d.cmd("TYPE I\r\n"), "200 Type set to I.\r\n");
    assert_eq!(
        d.cmd("AUTH TLS\r\n"),
        "234 Proceed with TLS negotiation.\r\n"
    );
    d.tls(TlsEvent::Established);
    assert!(d.session.ascii(), "TYPE back to A");
    assert!(!d.session.is_logged_in());
    assert_eq!(
        d.cmd("RETR x\r\n"),
        "530 Please login with USER and PASS.\r\n"
    );
}

#[test]
fn t4217_order_pbsz_prot() {
    let mut d = Driver::ready();
    // T4217-ORDER: cleartext PBSZ/PROT.
    assert_eq!(
        d.cmd("PBSZ 0\r\n"),
        "503 PBSZ requires TLS on the control connection.\r\n"
    );
    assert_eq!(
        d.cmd("PROT P\r\n"),
        "503 PROT requires TLS on the control connection.\r\n"
    );
    let mut d = tls_session();
    assert_eq!(d.cmd("PROT P\r\n"), "503 PBSZ required first.\r\n");
    // T4217-PBSZ0
    assert_eq!(d.cmd("PBSZ 512\r\n"), "200 PBSZ=0\r\n");
    assert_eq!(d.cmd("PBSZ 0\r\n"), "200 PBSZ=0\r\n");
    assert_eq!(d.cmd("PROT P\r\n"), "200 Protection level set to P.\r\n");
    assert!(d.session.data_protected());
    // T4217-PROTCP, S2228-PROT
    assert_eq!(
        d.cmd("PROT E\r\n"),
        "536 Only PROT C and PROT P are supported.\r\n"
    );
    assert_eq!(
        d.cmd("PROT S\r\n"),
        "536 Only PROT C and PROT P are supported.\r\n"
    );
    assert_eq!(
        d.cmd("PROT X\r\n"),
        "504 Command not implemented for that parameter.\r\n"
    );
    assert_eq!(d.cmd("PROT C\r\n"), "200 Protection level set to C.\r\n");
    assert!(!d.session.data_protected());
    assert_eq!(
        d.cmd("PBSZ 4294967296\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
}

#[test]
fn t4217_policy_tls_required_for_login_530() {
    let mut c = ServerConfig::default();
    c.tls = ServerTls::Explicit {
        required_for_login: true,
    };
    let mut d = Driver::new(c);
    d.take();
    assert_eq!(
        d.cmd("USER alice\r\n"),
        "530 TLS required: send AUTH TLS before USER.\r\n"
    );
    assert_eq!(d.cmd("PASS x\r\n"), "503 Login with USER first.\r\n");
    d.cmd("AUTH TLS\r\n");
    d.tls(TlsEvent::Established);
    assert_eq!(d.cmd("USER alice\r\n"), "331 Password required.\r\n");
}

#[test]
fn tls_none_auth_502() {
    let mut c = ServerConfig::default();
    c.tls = ServerTls::None;
    let mut d = Driver::new(c);
    d.take();
    assert_eq!(d.cmd("AUTH TLS\r\n"), "502 AUTH not supported.\r\n");
    let feat = d.cmd("FEAT\r\n");
    assert!(!feat.contains("AUTH") && !feat.contains("PBSZ"), "{feat}");
}

#[test]
fn imp_greet_after_handshake_and_state() {
    let mut c = ServerConfig::default();
    c.tls = ServerTls::Implicit;
    let mut d = Driver::new(c);
    // IMP-GREET: nothing in cleartext, StartTls first.
    assert_eq!(d.log, [Out::StartTls]);
    assert_eq!(d.take(), "");
    d.tls(TlsEvent::Established);
    assert_eq!(d.take(), "220 ftps-proto server ready.\r\n");
    // IMP-STATE
    assert!(d.session.data_protected());
    // IMP-NOPROT
    assert_eq!(d.cmd("PBSZ 0\r\n"), "200 PBSZ=0\r\n");
    assert_eq!(d.cmd("PROT P\r\n"), "200 Protection level set to P.\r\n");
    // IMP-NOAUTH
    assert_eq!(d.cmd("AUTH TLS\r\n"), "503 TLS is already active.\r\n");
}

#[test]
fn imp_port_cleartext_first_bytes_closed_without_reply() {
    let mut c = ServerConfig::default();
    c.tls = ServerTls::Implicit;
    let mut d = Driver::new(c);
    d.send(b"USER x\r\n");
    assert_eq!(d.take(), "");
    assert_eq!(d.closed, Some(CloseReason::TlsInjection));
}

#[test]
fn tls_handshake_failure_and_timeout_close() {
    let mut d = Driver::ready();
    d.cmd("AUTH TLS\r\n");
    d.tls(TlsEvent::Failed);
    assert_eq!(d.closed, Some(CloseReason::TlsFailed));
    let mut d = Driver::ready();
    d.cmd("AUTH TLS\r\n");
    d.advance(std::time::Duration::from_secs(30));
    assert_eq!(d.closed, Some(CloseReason::Timeout));
    assert_eq!(d.take(), "");
}

#[test]
fn t4217_ccc_flow() {
    // S2228-CCC: cleartext session -> 533.
    let mut d = Driver::logged_in();
    assert_eq!(
        d.cmd("CCC\r\n"),
        "533 Control connection is not protected.\r\n"
    );
    // Before login -> 534 (S2228-POLICY: after the security exchange, PASS is never sent in
    // the clear).
    let mut d = tls_session();
    assert_eq!(d.cmd("CCC\r\n"), "534 CCC is refused before login.\r\n");
    d.send(b"USER a\r\nPASS b\r\n");
    d.answer(Response::LoggedIn);
    d.take();
    d.log.clear();
    d.send(b"CCC\r\nPWD\r\n");
    assert_eq!(
        d.log,
        [
            Out::Tx(b"200 Control connection cleared.\r\n".to_vec()),
            Out::StopTls
        ]
    );
    d.take();
    d.tls(TlsEvent::Stopped);
    // The pipelined PWD is answered in plaintext after close_notify.
    assert_eq!(d.take(), "257 \"/\" is the current directory.\r\n");
    assert!(!d.session.control_tls_active());
    assert_eq!(
        d.cmd("PROT C\r\n"),
        "503 PROT requires TLS on the control connection.\r\n"
    );
    assert_eq!(
        d.cmd("PBSZ 0\r\n"),
        "503 PBSZ requires TLS on the control connection.\r\n"
    );
}

/// A logged-in TLS session that sent `REIN`: its close_notify exchange is running (the
/// session emitted `StopTls`, no `Stopped` yet); log and wire emptied.
fn stopping_after_rein() -> Driver {
    let mut d = tls_session();
    d.send(b"USER a\r\nPASS b\r\n");
    d.answer(Response::LoggedIn);
    d.send(b"REIN\r\n");
    assert_eq!(d.log.last(), Some(&Out::StopTls));
    d.log.clear();
    d.take();
    d
}

/// T4217-SRVFAIL: while the close_notify exchange after `REIN` runs, a flood of input past
/// `max_pipelined` ends the session with `Close` only: no cleartext `421` is written into the
/// TLS layer that is being taken down (found by the `server_session` fuzz target).
#[test]
fn t4217_flood_during_tls_stop_closes_without_reply() {
    let mut d = stopping_after_rein();
    let flood = b"NOOP\r\n".repeat(20_000);
    d.send(&flood);
    assert_eq!(
        d.log,
        [Out::Close(CloseReason::ProtocolViolation(
            "too many pipelined commands"
        ))]
    );
    assert_eq!(d.take(), "");
}

/// T4217-SRVFAIL: a Telnet negotiation (`IAC DO ECHO`) arriving during the close_notify
/// exchange after `REIN` gets no answer then: nothing is written into the TLS change (found
/// by the `server_session` fuzz target).
#[test]
fn t4217_telnet_during_tls_stop_is_not_answered() {
    let mut d = stopping_after_rein();
    d.send(b"\xff\xfd\x01");
    assert_eq!(d.log, []);
    assert_eq!(d.take(), "");
}

#[test]
fn t4217_rein_under_tls_reply_then_stoptls() {
    let mut d = tls_session();
    d.send(b"USER a\r\nPASS b\r\n");
    d.answer(Response::LoggedIn);
    d.cmd("PBSZ 0\r\n");
    d.cmd("PROT P\r\n");
    d.log.clear();
    d.send(b"REIN\r\n");
    assert_eq!(
        d.log,
        [
            Out::Tx(b"220 Service ready for new user.\r\n".to_vec()),
            Out::StopTls
        ]
    );
    d.tls(TlsEvent::Stopped);
    d.take();
    // C959-REIN: back to the just-connected state.
    assert!(!d.session.is_logged_in());
    assert!(!d.session.data_protected());
    assert!(!d.session.control_tls_active());
    assert_eq!(
        d.cmd("RETR x\r\n"),
        "530 Please login with USER and PASS.\r\n"
    );
    assert!(d.cmd("FEAT\r\n").starts_with("211-"));
}

// S2228-ADAT, S2228-MIC: no security data exchange under TLS (503); MIC/CONF/ENC parse and are
// answered 502 (protected commands not implemented).
#[test]
fn s2228_adat_mic_conf_enc() {
    let mut d = tls_session();
    assert_eq!(
        d.cmd("ADAT AAAA\r\n"),
        "503 ADAT not expected: TLS needs no security data.\r\n"
    );
    for v in ["MIC", "CONF", "ENC"] {
        assert_eq!(
            d.cmd(&format!("{v} AAAA\r\n")),
            "502 Protected commands are not implemented; use TLS.\r\n"
        );
    }
}

#[test]
fn s2228_b64_long_adat_line_not_too_long() {
    let mut d = tls_session();
    let line = format!("ADAT {}\r\n", "A".repeat(16 * 1024));
    assert_eq!(
        d.cmd(&line),
        "503 ADAT not expected: TLS needs no security data.\r\n"
    );
}

#[test]
fn t4217_feat_lists_auth_pbsz_prot() {
    let mut d = Driver::ready();
    let feat = d.cmd("FEAT\r\n");
    for l in ["\r\n AUTH TLS\r\n", "\r\n PBSZ\r\n", "\r\n PROT\r\n"] {
        assert!(feat.contains(l), "{feat}");
    }
}
