//! Our client against our server, in every mode: explicit, implicit and plain; passive and
//! active; PROT P and PROT C; with sha256-checked round trips, resume, listings and file
//! commands. 127.0.0.1 only; every test is bounded by a timeout.

mod common;

use std::time::Duration;

use common::{payload, sha256, sha256_file, Mode, TestServer, PASSWORD, USER};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto_std::support::tls::ClientTls;
use ftps_proto_tokio::client::{Client, ConnectOptions, Error};
use tokio::io::AsyncReadExt;

const LIMIT: Duration = Duration::from_secs(60);

fn options(server: &TestServer, mode: Mode, active: bool, prot: ProtectionLevel) -> ConnectOptions {
    let mut o = match mode {
        Mode::Plain => ConnectOptions::plain_insecure(),
        Mode::Explicit => ConnectOptions::explicit(ClientTls::with_ca_file(&server.cert).unwrap()),
        Mode::Implicit => ConnectOptions::implicit(ClientTls::with_ca_file(&server.cert).unwrap()),
    };
    o.config.active = active;
    o.config.protection = prot;
    o
}

/// A client of `server` with `opts`, logged in as the demo user.
async fn logged_in(server: &TestServer, opts: ConnectOptions) -> Client {
    let mut client = Client::connect("localhost", server.addr.port(), opts)
        .await
        .expect("connect");
    client.login(USER, PASSWORD).await.expect("login");
    client
}

/// Upload, download, resume, append, listing and file commands in one session.
async fn round_trip(mode: Mode, active: bool, prot: ProtectionLevel) {
    let server = TestServer::start(mode, true).await;
    let opts = options(&server, mode, active, prot);
    let mut client = Client::connect("localhost", server.addr.port(), opts)
        .await
        .expect("connect");
    assert_eq!(client.is_control_tls(), mode != Mode::Plain);
    client.login(USER, PASSWORD).await.expect("login");

    let data = payload(2 * 1024 * 1024 + 3, 7);
    let sent = client.stor("big.bin", &mut &data[..]).await.expect("stor");
    assert_eq!(sent, data.len() as u64);
    assert_eq!(sha256_file(&server.root.join("big.bin")), sha256(&data));

    let mut back = Vec::new();
    let got = client.retr("big.bin", &mut back).await.expect("retr");
    assert_eq!(got, data.len() as u64);
    assert_eq!(sha256(&back), sha256(&data));

    // X3659-REST: download from an offset, and through the AsyncRead form.
    let mut tail = Vec::new();
    client
        .retr_from("big.bin", 1_000_000, &mut tail)
        .await
        .expect("retr rest");
    assert_eq!(tail, data[1_000_000..]);
    let mut reader = client
        .retr_reader("big.bin", 2_000_000)
        .await
        .expect("reader");
    let mut via_reader = Vec::new();
    reader.read_to_end(&mut via_reader).await.expect("read");
    let total = reader.finish().await.expect("finish");
    assert_eq!(via_reader, data[2_000_000..]);
    assert_eq!(total, via_reader.len() as u64);

    // Resume an upload: keep 100 bytes, send the rest from there.
    std::fs::write(server.root.join("part.bin"), &data[..100]).unwrap();
    assert_eq!(client.size("part.bin").await.expect("size"), 100);
    client
        .stor_from("part.bin", 100, &mut &data[100..5000])
        .await
        .expect("stor rest");
    assert_eq!(
        std::fs::read(server.root.join("part.bin")).unwrap(),
        data[..5000]
    );

    // C959-APPE
    client
        .appe("part.bin", &mut &b"xyz"[..])
        .await
        .expect("appe");
    assert_eq!(client.size("part.bin").await.unwrap(), 5003);

    // Directory commands and listings.
    assert_eq!(client.mkdir("sub").await.expect("mkd"), "/sub");
    client.cwd("sub").await.expect("cwd");
    assert_eq!(client.pwd().await.expect("pwd"), "/sub");
    client.cwd("/").await.expect("cwd /");
    client
        .rename("part.bin", "sub/moved.bin")
        .await
        .expect("rename");
    let mut names = client.nlst(None).await.expect("nlst");
    names.sort();
    assert_eq!(names, ["big.bin", "sub"]);
    let entries = client.mlsd(Some("sub")).await.expect("mlsd");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"moved.bin");
    assert_eq!(entries[0].size, Some(5003));
    let lines = client.list(None).await.expect("list");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.ends_with(" big.bin") && l.starts_with('-')));
    client.mdtm("big.bin").await.expect("mdtm");
    client.delete("sub/moved.bin").await.expect("dele");
    client.rmdir("sub").await.expect("rmd");
    assert!(!server.root.join("sub").exists());

    // A refused command reports the server's reply (C959-DELE: missing file -> 550).
    match client.delete("missing").await {
        Err(Error::Ftp(e)) => assert!(e.to_string().contains("550"), "{e}"),
        other => panic!("expected a 550 refusal, got {other:?}"),
    }
    client.quit().await.expect("quit");
    server.stop().await;
}

macro_rules! mode_test {
    ($name:ident, $mode:expr, $active:expr, $prot:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            tokio::time::timeout(LIMIT, round_trip($mode, $active, $prot))
                .await
                .expect("test timed out");
        }
    };
}

// T4217-DATATLS, ADP-RESUME (reuse required by the server), ADP-CLOSE
mode_test!(
    explicit_passive_prot_p,
    Mode::Explicit,
    false,
    ProtectionLevel::Private
);
// ADP-ACTIVE, T4217-TLSROLE
mode_test!(
    explicit_active_prot_p,
    Mode::Explicit,
    true,
    ProtectionLevel::Private
);
// T4217-PROTCP
mode_test!(
    explicit_passive_prot_c,
    Mode::Explicit,
    false,
    ProtectionLevel::Clear
);
mode_test!(
    explicit_active_prot_c,
    Mode::Explicit,
    true,
    ProtectionLevel::Clear
);
// IMP-STATE
mode_test!(
    implicit_passive_prot_p,
    Mode::Implicit,
    false,
    ProtectionLevel::Private
);
mode_test!(
    implicit_active_prot_p,
    Mode::Implicit,
    true,
    ProtectionLevel::Private
);
mode_test!(plain_passive, Mode::Plain, false, ProtectionLevel::Clear);
mode_test!(plain_active, Mode::Plain, true, ProtectionLevel::Clear);

// ADP-VERIFY: a self-signed server without the CA configured fails the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adp_verify_unknown_ca_fails() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let tls = ClientTls::new(
        ftps_proto_std::support::tls::ServerVerification::WebPkiRoots,
        None,
    )
    .unwrap();
    let result = tokio::time::timeout(
        LIMIT,
        Client::connect(
            "localhost",
            server.addr.port(),
            ConnectOptions::explicit(tls),
        ),
    )
    .await
    .expect("timed out");
    match result {
        Err(Error::Ftp(ftps_proto::client::ClientError::TlsFailed)) => {}
        other => panic!("expected TlsFailed, got {other:?}"),
    }
    server.stop().await;
}

// ADP-CLOSE: CCC, then the session goes on in cleartext; data stays PROT P.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adp_close_ccc_then_transfer() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let mut opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
    // CCC is refused locally when TLS is required for the whole session.
    opts.config.security = ftps_proto::client::ClientSecurity::Explicit {
        policy: ftps_proto::client::TlsPolicy::Opportunistic,
        auth_ssl_fallback: false,
    };
    let run = async {
        let mut client = logged_in(&server, opts).await;
        client.ccc().await.expect("ccc");
        assert!(!client.is_control_tls());
        std::fs::write(server.root.join("c.txt"), b"after ccc").unwrap();
        let mut v = Vec::new();
        client.retr("c.txt", &mut v).await.expect("retr after ccc");
        assert_eq!(v, b"after ccc");
        client.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// Many transfers in one TLS 1.3 session, each data connection resuming (tickets spent one
// per data connection; the server sends 16 on the control connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adp_resume_twelve_transfers_one_session() {
    let server = TestServer::start(Mode::Explicit, true).await;
    std::fs::write(server.root.join("n.txt"), b"n").unwrap();
    let run = async {
        let opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
        let mut client = logged_in(&server, opts).await;
        for i in 0..12 {
            let mut v = Vec::new();
            client
                .retr("n.txt", &mut v)
                .await
                .unwrap_or_else(|e| panic!("transfer {i}: {e}"));
            assert_eq!(v, b"n");
        }
        client.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// A session idle for longer than the server's buffer release (1 s) frees its buffers; the next
// commands and a transfer work as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_goes_on_after_idle_buffers_are_freed() {
    let server = TestServer::start(Mode::Explicit, true).await;
    std::fs::write(server.root.join("idle.txt"), b"still here").unwrap();
    let run = async {
        let opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
        let mut client = logged_in(&server, opts).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        client.noop().await.expect("noop after idle");
        let mut v = Vec::new();
        client
            .retr("idle.txt", &mut v)
            .await
            .expect("retr after idle");
        assert_eq!(v, b"still here");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        client.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}
