//! Hostile servers against the std client (issue 6, item 3): tiny scripted servers from
//! `hostile_common::fake` (shared with the tokio adapter's tests) send exactly the bytes of
//! each attack; every case asserts the client's typed error, that it stopped reading, and that
//! memory stayed bounded.

mod hostile_common;

use std::time::{Duration, Instant};

use ftps_proto::client::{ClientError, PassiveMode, TimerKind, Violation};
use ftps_proto::session::DataError;
use ftps_proto_std::client::{Client, ConnectOptions, Error};
use ftps_proto_std::support::cert::DemoCertificate;
use hostile_common::{client_tls, fake, peak_rss_kib, reset_peak_rss, rss_kib, serial};

fn plain() -> ConnectOptions {
    let mut o = ConnectOptions::plain_insecure();
    o.timeout = Duration::from_secs(10);
    o
}

fn connect(port: u16, options: ConnectOptions) -> Result<Client, Error> {
    let t0 = Instant::now();
    let result = Client::connect("127.0.0.1", port, options);
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "connect took {:?}",
        t0.elapsed()
    );
    result
}

/// Explicit FTPS to `server`, login, then `RETR f.bin` must fail with
/// `DataConnection(expected)` and the session go on (`NOOP`); returns the bytes received and
/// the command the fake server saw.
fn retr_fails_with(
    server: fake::Fake<Option<String>>,
    expected: DataError,
) -> (Vec<u8>, Option<String>) {
    let mut options = ConnectOptions::explicit(client_tls());
    options.timeout = Duration::from_secs(10);
    let mut client = connect(server.addr.port(), options).expect("connect");
    client.login("demo", "pw").expect("login");
    let mut got = Vec::new();
    match client.retr("f.bin", &mut got) {
        Err(Error::Ftp(ClientError::DataConnection(e))) if e == expected => {}
        other => panic!("expected DataConnection({expected:?}), got {other:?}"),
    }
    client.noop().expect("session goes on");
    drop(client);
    (got, server.join())
}

fn violation(result: Result<Client, Error>) -> Violation {
    match result {
        Err(Error::Ftp(ClientError::ProtocolViolation(v))) => v,
        Err(other) => panic!("expected a protocol violation, got {other:?}"),
        Ok(_) => panic!("expected a protocol violation, got a session"),
    }
}

/// FRM-MAXREP: an endless multi-line greeting fails with `ReplyTooLong`; the client stops
/// reading early (the fake server could not push 64 MiB) and memory stays flat.
#[test]
fn frm_maxrep_endless_multiline_reply() {
    let _serial = serial();
    let before = rss_kib();
    let server = fake::endless_multiline(64 * 1024 * 1024);
    let v = violation(connect(server.addr.port(), plain()));
    assert_eq!(v, Violation::ReplyTooLong);
    let sent = server.join();
    assert!(sent < 16 * 1024 * 1024, "client read {sent} bytes");
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");
}

/// FRM-MAXREP: a 1 MiB reply line fails with `ReplyTooLong` without buffering it.
#[test]
fn frm_maxrep_1mib_reply_line() {
    let _serial = serial();
    let before = rss_kib();
    let server = fake::long_reply_line(1024 * 1024);
    let v = violation(connect(server.addr.port(), plain()));
    assert_eq!(v, Violation::ReplyTooLong);
    let closed = server.join();
    assert!(closed, "client kept the connection open");
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");
}

/// EOF in the middle of a multi-line reply: `EofInsideReply`.
#[test]
fn eof_inside_multiline_reply() {
    let _serial = serial();
    let server = fake::eof_inside_reply();
    let v = violation(connect(server.addr.port(), plain()));
    assert_eq!(v, Violation::EofInsideReply);
    server.join();
}

/// ATK-TLSINJ-C: `234` with an injected `230` in the same segment: the client fails with
/// `TlsInjection` and never starts the handshake.
#[test]
fn atk_tlsinj_c_234_with_injected_230() {
    let _serial = serial();
    let server = fake::injected_after_234();
    let mut options = ConnectOptions::explicit(client_tls());
    options.timeout = Duration::from_secs(10);
    let v = violation(connect(server.addr.port(), options));
    assert_eq!(v, Violation::TlsInjection);
    let (auth, after) = server.join();
    assert_eq!(auth.as_deref(), Some("AUTH TLS"));
    assert_eq!(after, b"", "the client sent something after 234");
}

/// ATK-PASVIP: a `227` naming another host: the client connects to the control peer's
/// address (127.0.0.1) on the port given, and the listing arrives.
#[test]
fn atk_pasvip_227_to_other_host_uses_control_peer() {
    let _serial = serial();
    let server = fake::pasv_elsewhere();
    let mut options = plain();
    options.config.passive = PassiveMode::EpsvThenPasv;
    let mut client = connect(server.addr.port(), options).expect("connect");
    client.login("demo", "pw").expect("login");
    let names = client.nlst(None).expect("nlst");
    assert_eq!(names, ["a.txt", "b.txt"]);
    client.quit().expect("quit");
    let (peer, cmd) = server.join().expect("the data connection never arrived");
    assert_eq!(peer.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(cmd, "NLST");
}

/// ATK-TRUNC: under `PROT P` a download whose data connection ends without close_notify is
/// an error, although `226` arrives.
#[test]
fn atk_trunc_download_without_close_notify() {
    let _serial = serial();
    let demo = DemoCertificate::generate().expect("demo");
    let body = hostile_common::server_cases::payload(100_000, 21);
    let server = fake::truncated_tls_download(&demo, body);
    let (_, cmd) = retr_fails_with(server, DataError::Truncated);
    assert_eq!(cmd.as_deref(), Some("RETR f.bin"));
}

/// T4217-CERT: a data connection whose certificate is not the control connection's fails the
/// transfer (`TlsFailed`) before any of its bytes is taken, and the session goes on.
#[test]
fn t4217_cert_data_certificate_differs_from_control() {
    let _serial = serial();
    let control = DemoCertificate::generate().expect("demo");
    let data = DemoCertificate::generate().expect("demo");
    let server = fake::other_data_certificate(&control, &data);
    let (got, cmd) = retr_fails_with(server, DataError::TlsFailed);
    assert!(got.is_empty());
    assert_eq!(cmd.as_deref(), Some("RETR f.bin"));
}

/// ATK-TIMEOUT: a server that never answers: the reply timer (1 s here) fails the call with
/// `Timeout(Reply)`, in bounded time, and the client closes the connection.
#[test]
fn atk_timeout_server_never_answers() {
    let _serial = serial();
    let server = fake::silent_from("USER");
    let mut options = plain();
    options.config.timeouts.reply = Duration::from_secs(1);
    let mut client = connect(server.addr.port(), options).expect("connect");
    let t0 = Instant::now();
    let result = client.login("demo", "pw");
    let elapsed = t0.elapsed();
    match result {
        Err(Error::Ftp(ClientError::Timeout(TimerKind::Reply))) => {}
        other => panic!("expected a reply timeout, got {other:?}"),
    }
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    drop(client);
    let (cmd, closed) = server.join();
    assert_eq!(cmd.as_deref(), Some("USER demo"));
    assert!(closed, "client kept the connection open");
}

/// ATK-LISTING: a `LIST` line of 100 MiB fails with a typed error as soon as it passes
/// `Limits::max_listing_line` (64 KiB): the client stops reading and memory stays bounded.
#[test]
fn atk_listing_100mib_line() {
    let _serial = serial();
    let server = fake::huge_listing_line(100 * 1024 * 1024);
    let mut client = connect(server.addr.port(), plain()).expect("connect");
    client.login("demo", "pw").expect("login");
    reset_peak_rss();
    let before = rss_kib();
    let t0 = Instant::now();
    let result = client.list(None);
    let elapsed = t0.elapsed();
    let peak = peak_rss_kib().saturating_sub(before);
    println!("100 MiB line: {elapsed:?}, peak RSS growth {peak} KiB");
    match &result {
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {}
        other => panic!("expected a listing-limit error, got {other:?}"),
    }
    drop(client);
    let (sent, cmd) = server.join().expect("fake server");
    assert_eq!(cmd, "LIST");
    assert!(sent < 100 * 1024 * 1024, "client read all {sent} bytes");
    assert!(peak < 80 * 1024, "peak RSS grew by {peak} KiB");
    // The data connection is dropped at once: no wait for a timer.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}
