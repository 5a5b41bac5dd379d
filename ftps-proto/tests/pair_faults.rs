//! Faults end to end between the two sessions, through the in-memory `Pair`: ABOR, timeouts,
//! dropped and reset connections, truncation, TLS injection, port stealing.

mod pair_common;

use std::time::Duration;

use ftps_proto::client::{
    ClientError, ClientEvent, Operation, TimerKind, Transfer, TransferFailure, TransferKind,
    Violation,
};
use ftps_proto::pair::{DataFault, PairError, Side};
use ftps_proto::server::ServerEvent;
use ftps_proto::session::{CloseReason, DataError};
use pair_common::*;

fn no_226_for_transfers(p: &ftps_proto::pair::Pair) -> bool {
    !p.server_events()
        .iter()
        .any(|e| matches!(e, ServerEvent::TransferFinished { .. }))
}

fn failed_codes(p: &ftps_proto::pair::Pair) -> Vec<u16> {
    p.server_events()
        .iter()
        .filter_map(|e| match e {
            ServerEvent::TransferFailed { code, .. } => Some(code.get()),
            _ => None,
        })
        .collect()
}

// C959-ABOR, DAT-CLOSE: ABOR during a running transfer -> 426 then 226; the session goes on.
#[test]
fn c959_abor_mid_transfer() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        p.fault_next_data(DataFault::Stall);
        let op = p
            .start_transfer(Transfer::new(TransferKind::Retr, b"/pub/hello.txt"), b"")
            .unwrap();
        p.run().unwrap();
        assert_eq!(p.result(op), None);
        p.clear_transcripts();
        let now = p.now();
        p.client_mut().abort(now, op).unwrap();
        assert_eq!(
            p.run_op(op).unwrap_err(),
            PairError::Failed(ClientError::Aborted)
        );
        assert_eq!(client_lines(&p), ["ABOR"]);
        assert_eq!(server_codes(&p), [426, 226]);
        assert_eq!(failed_codes(&p), [426]);
        assert_eq!(
            p.retr(b"/pub/hello.txt").unwrap(),
            b"hello world\n",
            "{mode:?}"
        );
    }
}

// C959-ABOR: aborting an upload before its data moved; the server never says 226 for it.
#[test]
fn c959_abor_upload() {
    let mut p = logged_in(Mode::Explicit);
    p.fault_next_data(DataFault::Stall);
    let op = p
        .start_transfer(Transfer::new(TransferKind::Stor, b"/up"), b"data")
        .unwrap();
    p.run().unwrap();
    let now = p.now();
    p.client_mut().abort(now, op).unwrap();
    assert_eq!(
        p.run_op(op).unwrap_err(),
        PairError::Failed(ClientError::Aborted)
    );
    assert!(no_226_for_transfers(&p));
    assert_eq!(p.storage().get(b"/up"), Some(&b""[..]));
}

// H1123-IDLE: 300 s without a command -> 421 and close; the client sees the 421.
#[test]
fn h1123_idle_timeout_421() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        let start = p.elapsed();
        assert_eq!(
            p.advance_to_next_timeout().unwrap(),
            Some(Duration::from_secs(300))
        );
        assert_eq!(p.elapsed() - start, Duration::from_secs(300));
        assert_eq!(
            server_lines(&p).last().map(String::as_str),
            Some("421 Idle timeout; closing control connection.")
        );
        assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::Timeout));
        assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Shutdown));
        assert_eq!(p.next_timeout(), None);
        assert_eq!(p.advance_to_next_timeout().unwrap(), None);
    }
}

// ATK-TIMEOUT, DAT-125: the passive connection never arrives -> 425 after the accept timeout.
#[test]
fn atk_timeout_data_accept_425() {
    let mut c = client_config(Mode::Explicit);
    c.timeouts.data_connect = Duration::from_secs(90);
    let mut p = pair_with(c, server_config(Mode::Explicit));
    p.login(b"alice", b"secret").unwrap();
    p.fault_next_data(DataFault::NoConnect);
    let op = p
        .start_transfer(Transfer::new(TransferKind::Retr, b"/pub/hello.txt"), b"")
        .unwrap();
    p.run().unwrap();
    let start = p.elapsed();
    match p.wait_op(op).unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::CannotOpenDataConnection);
            assert_eq!(reply.code().get(), 425);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.elapsed() - start, Duration::from_secs(30));
    assert_eq!(failed_codes(&p), [425]);
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// ATK-TIMEOUT: bytes stop moving -> 426 after the server's stall timeout, never 226.
#[test]
fn atk_timeout_data_stall_426() {
    let mut p = logged_in(Mode::Plain);
    p.fault_next_data(DataFault::Stall);
    let op = p
        .start_transfer(Transfer::new(TransferKind::Stor, b"/s"), b"12345")
        .unwrap();
    let start = p.elapsed();
    match p.wait_op(op).unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::ConnectionClosed);
            assert_eq!(reply.code().get(), 426);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.elapsed() - start, Duration::from_secs(120));
    assert!(no_226_for_transfers(&p));
}

// ATK-TIMEOUT: an unresponsive server -> the client's reply timer fires and it closes.
#[test]
fn atk_timeout_reply_unresponsive_server() {
    let mut p = logged_in(Mode::Explicit);
    p.set_unresponsive(Side::Server, true);
    let op = p.client_mut().command(Operation::Noop).unwrap();
    let start = p.elapsed();
    assert_eq!(
        p.wait_op(op).unwrap_err(),
        PairError::Failed(ClientError::Timeout(TimerKind::Reply))
    );
    assert_eq!(p.elapsed() - start, Duration::from_secs(60));
    assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Timeout));
    p.set_unresponsive(Side::Server, false);
    p.run().unwrap();
    // The server reads the NOOP, answers into a closed connection, then sees EOF.
    assert_eq!(
        p.closed_reason(Side::Server),
        Some(&CloseReason::PeerClosed)
    );
}

// ATK-TIMEOUT: a slow application keeps the client waiting until its reply timer fires.
#[test]
fn atk_timeout_slow_application() {
    let mut p = logged_in(Mode::Plain);
    p.hold_requests(true);
    let op = p.client_mut().command(Operation::Cwd(b"/pub")).unwrap();
    assert_eq!(
        p.wait_op(op).unwrap_err(),
        PairError::Failed(ClientError::Timeout(TimerKind::Reply))
    );
    p.hold_requests(false);
    p.run().unwrap();
    assert!(p.client().is_closed() && p.server().is_closed());
}

// C959-QUIT, DAT-CLOSE: the control connection drops mid-transfer: the client fails the
// operation, the server closes the data connection and never says 226.
#[test]
fn c959_control_drop_mid_transfer() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        p.fault_next_data(DataFault::Stall);
        let op = p
            .start_transfer(Transfer::new(TransferKind::Stor, b"/d"), b"abc")
            .unwrap();
        let queued = p.client_mut().command(Operation::Noop).unwrap();
        p.run().unwrap();
        p.drop_control();
        assert_eq!(
            p.run_op(op).unwrap_err(),
            PairError::Failed(ClientError::ConnectionClosed)
        );
        assert_eq!(
            p.run_op(queued).unwrap_err(),
            PairError::Failed(ClientError::ConnectionClosed)
        );
        assert_eq!(
            p.closed_reason(Side::Server),
            Some(&CloseReason::PeerClosed)
        );
        assert_eq!(
            p.closed_reason(Side::Client),
            Some(&CloseReason::PeerClosed)
        );
        assert!(no_226_for_transfers(&p));
    }
}

// DAT-CLOSE, C959-STOR: an upload whose data connection is reset -> 426, never 226; the
// bytes that crossed stay.
#[test]
fn dat_reset_upload_426_never_226() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        p.fault_next_data(DataFault::Broken { after: 2 });
        let e = p.stor(b"/broken", b"abcdef").unwrap_err();
        assert_eq!(
            e,
            PairError::Failed(ClientError::DataConnection(DataError::Broken))
        );
        assert_eq!(failed_codes(&p), [426], "{mode:?}");
        assert!(no_226_for_transfers(&p));
        assert_eq!(p.storage().get(b"/broken"), Some(&b"ab"[..]));
        assert_eq!(p.stor(b"/ok", b"fine").unwrap(), 4);
    }
}

// DAT-CLOSE: reset_data() in the middle of a stalled download: 426 + the client's error.
#[test]
fn dat_reset_now_download() {
    let mut p = logged_in(Mode::Implicit);
    p.fault_next_data(DataFault::Stall);
    let op = p
        .start_transfer(Transfer::new(TransferKind::Retr, b"/bin/all.bin"), b"")
        .unwrap();
    p.run().unwrap();
    p.reset_data(DataError::Broken);
    assert_eq!(
        p.run_op(op).unwrap_err(),
        PairError::Failed(ClientError::DataConnection(DataError::Broken))
    );
    assert_eq!(failed_codes(&p), [426]);
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// ATK-TRUNC: an upload ending without close_notify is 426 on the server; the client reports
// the 426.
#[test]
fn atk_trunc_upload_426() {
    let mut p = logged_in(Mode::Explicit);
    p.fault_next_data(DataFault::Truncated { after: 3 });
    match p.stor(b"/t", b"abcdef").unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::ConnectionClosed);
            assert_eq!(reply.code().get(), 426);
            assert_eq!(
                reply.text(),
                b"Upload truncated: data connection closed without TLS close_notify."
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(no_226_for_transfers(&p));
}

// ATK-TRUNC: a download ending without close_notify is an error for the client even after 226.
#[test]
fn atk_trunc_download_is_an_error() {
    let mut p = logged_in(Mode::Explicit);
    p.fault_next_data(DataFault::Truncated { after: 5 });
    assert_eq!(
        p.retr(b"/pub/hello.txt").unwrap_err(),
        PairError::Failed(ClientError::DataConnection(DataError::Truncated))
    );
    assert_eq!(server_codes(&p).last(), Some(&226));
}

// DAT-125: a refused passive connection fails the transfer; the session goes on.
#[test]
fn dat_connect_refused() {
    let mut p = logged_in(Mode::Plain);
    p.fault_next_data(DataFault::Refused);
    assert_eq!(
        p.retr(b"/pub/hello.txt").unwrap_err(),
        PairError::Failed(ClientError::DataConnection(DataError::ConnectFailed))
    );
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// T4217-DATATLS: a failed data TLS handshake -> 522.
#[test]
fn t4217_data_tls_handshake_fails() {
    let mut p = logged_in(Mode::Explicit);
    p.fault_next_data(DataFault::TlsFailed);
    // The server's verdict (522) reaches the client with its own TLS failure.
    match p.retr(b"/pub/hello.txt").unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::DataTlsFailed);
            assert_eq!(reply.code().get(), 522);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// S2577-PEER: a stranger racing to the passive port is rejected; the client's connection
// is served.
#[test]
fn s2577_peer_stranger_rejected() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        p.steal_next_passive();
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        assert_eq!(p.data_log().len(), 1);
        assert!(p.anomalies().is_empty());
    }
}

// ATK-TLSINJ-S: plaintext pipelined behind AUTH TLS in one segment -> 421 and close; the
// injected command is never handled.
#[test]
fn atk_tlsinj_s_pipelined_behind_auth() {
    let mut p = pair(Mode::Explicit);
    p.set_unresponsive(Side::Server, true);
    p.run().unwrap();
    p.inject(Side::Server, b"USER evil\r\n");
    p.set_unresponsive(Side::Server, false);
    p.run().unwrap();
    assert_eq!(
        server_lines(&p),
        [
            "220 ftps-proto server ready.",
            "421 Cleartext commands after AUTH; closing."
        ]
    );
    assert_eq!(
        p.closed_reason(Side::Server),
        Some(&CloseReason::TlsInjection)
    );
    assert!(!p
        .server_events()
        .iter()
        .any(|e| matches!(e, ServerEvent::Request { .. })));
}

// ATK-TLSINJ-S: plaintext arriving while the server's handshake is due -> close, no reply.
#[test]
fn atk_tlsinj_s_during_handshake() {
    let mut p = pair(Mode::Explicit);
    while p.tls_state(Side::Server) != ftps_proto::pair::TlsState::Starting {
        assert!(p.step());
    }
    p.inject(Side::Server, b"USER evil\r\n");
    p.run().unwrap();
    assert_eq!(
        p.closed_reason(Side::Server),
        Some(&CloseReason::TlsInjection)
    );
    assert_eq!(
        server_lines(&p),
        [
            "220 ftps-proto server ready.",
            "234 Proceed with TLS negotiation."
        ]
    );
}

// ATK-TLSINJ-C: a forged reply behind the 234 in the client's plaintext buffer -> the client
// aborts before the handshake.
#[test]
fn atk_tlsinj_c_bytes_after_234() {
    let mut p = pair(Mode::Explicit);
    let login = p
        .client_mut()
        .login(b"alice", ftps_proto::Secret::from("secret"), None)
        .unwrap();
    // Run until AUTH TLS is out, then hold the client's reads so the 234 waits in its
    // buffer with the forged bytes behind it.
    while !client_lines(&p).contains(&"AUTH TLS".to_owned()) {
        assert!(p.step());
    }
    p.set_unresponsive(Side::Client, true);
    p.run().unwrap();
    p.inject(Side::Client, b"230 fake\r\n");
    p.set_unresponsive(Side::Client, false);
    p.run().unwrap();
    assert!(p.client_events().contains(&ClientEvent::ProtocolViolation {
        violation: Violation::TlsInjection
    }));
    assert_eq!(
        p.closed_reason(Side::Client),
        Some(&CloseReason::TlsInjection)
    );
    assert_eq!(
        p.take_result(login),
        Some(Err(ClientError::ConnectionClosed))
    );
    assert_eq!(client_lines(&p), ["AUTH TLS"]);
}

// T4217-CLIFAIL / T4217-SRVFAIL: the control handshake fails -> both close, setup fails.
#[test]
fn t4217_control_handshake_fails() {
    for mode in [Mode::Explicit, Mode::Implicit] {
        let mut p = pair(mode);
        p.fail_next_handshake();
        match p.login(b"alice", b"secret").unwrap_err() {
            PairError::Failed(ClientError::ConnectionClosed) => {}
            other => panic!("{other:?}"),
        }
        assert!(p.client_events().contains(&ClientEvent::SetupFailed {
            error: ClientError::TlsFailed
        }));
        assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::TlsFailed));
        assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::TlsFailed));
    }
}

// REP-421: the server shuts down: every pending and queued operation fails with the 421.
#[test]
fn rep_421_shutdown_fails_queued_operations() {
    let mut p = logged_in(Mode::Explicit);
    p.hold_requests(true);
    let a = p.client_mut().command(Operation::Cwd(b"/pub")).unwrap();
    let b = p.client_mut().command(Operation::Pwd).unwrap();
    p.run().unwrap();
    let now = p.now();
    p.server_mut().shutdown(now);
    p.run().unwrap();
    for op in [a, b] {
        match p.take_result(op) {
            Some(Err(ClientError::ServerClosed { reply })) => assert_eq!(reply.code().get(), 421),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::Shutdown));
    assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Shutdown));
}

// IMP-PORT: a plaintext client talking to an implicit server gets nothing and both time out.
#[test]
fn imp_port_plain_client_implicit_server() {
    let mut p = pair_with(client_config(Mode::Plain), server_config(Mode::Implicit));
    let op = p
        .client_mut()
        .login(b"alice", ftps_proto::Secret::from("secret"), None)
        .unwrap();
    assert_eq!(
        p.wait_op(op).unwrap_err(),
        PairError::Failed(ClientError::ConnectionClosed)
    );
    assert!(p.client_events().contains(&ClientEvent::SetupFailed {
        error: ClientError::Timeout(TimerKind::Greeting)
    }));
    assert_eq!(p.elapsed(), Duration::from_secs(30));
    assert!(p.server_transcript().is_empty());
    // The server's handshake timer ran out at the same instant.
    assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::Timeout));
}

// REP-CODES (storage classes): storage failures map to their reply codes end to end.
#[test]
fn storage_failures_map_to_reply_codes() {
    use ftps_proto::session::StorageError;
    let mut p = logged_in(Mode::Plain);
    p.storage_mut().fail_next(StorageError::Local);
    match p.retr(b"/pub/hello.txt").unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::ServerLocalError);
            assert_eq!(reply.code().get(), 451);
        }
        other => panic!("{other:?}"),
    }
    p.storage_mut().fail_next(StorageError::InsufficientStorage);
    match p.stor(b"/x", b"1").unwrap_err() {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            assert_eq!(failure, TransferFailure::InsufficientStorage);
            assert_eq!(reply.code().get(), 452);
        }
        other => panic!("{other:?}"),
    }
    p.storage_mut().fail_next(StorageError::PermissionDenied);
    match p.command(Operation::Cwd(b"/pub")).unwrap_err() {
        PairError::Failed(e) => assert_eq!(e.reply().map(|r| r.code().get()), Some(550)),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// The virtual clock never overflows: an absurd jump is refused, a long one fires the timers.
#[test]
fn clock_far_jumps() {
    let mut p = logged_in(Mode::Plain);
    let before = p.elapsed();
    p.advance(Duration::MAX).unwrap();
    assert_eq!(p.elapsed(), before);
    assert!(!p.server().is_closed());
    p.advance(Duration::from_secs(10 * 365 * 86_400)).unwrap();
    assert_eq!(p.closed_reason(Side::Server), Some(&CloseReason::Timeout));
    assert_eq!(p.closed_reason(Side::Client), Some(&CloseReason::Shutdown));
}
