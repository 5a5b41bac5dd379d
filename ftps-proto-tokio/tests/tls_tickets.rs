//! TLS 1.3 session binding across many transfers (T4217-REUSE, ADP-RESUME): with the server
//! requiring every data connection to resume this control session, a rustls client spends
//! one ticket per data connection. Downloads and listings give one back (1 ticket on data
//! connections the server sends on), uploads do not (0: an unread ticket would make the
//! upload's close reset the connection), and the control connection sends 64.

mod common;

use std::time::Duration;

use common::{payload, sha256, sha256_file, Mode, TestServer, PASSWORD, USER};
use ftps_proto::client::{ClientError, TransferFailure};
use ftps_proto::session::DataError;
use ftps_proto_std::support::tls::{ClientTls, ServerTlsOptions};
use ftps_proto_tokio::client::{Client, ConnectOptions, Error};

const LIMIT: Duration = Duration::from_secs(120);

async fn client(server: &TestServer) -> Client {
    let tls = ClientTls::with_ca_file(&server.cert).unwrap();
    let mut c = Client::connect(
        "localhost",
        server.addr.port(),
        ConnectOptions::explicit(tls),
    )
    .await
    .expect("connect");
    assert_eq!(
        c.control_tls_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    c.login(USER, PASSWORD).await.expect("login");
    c
}

// T4217-REUSE, ADP-RESUME: 100 mixed transfers (RETR, LIST, STOR) in one TLS 1.3 session,
// every data connection resumed (the server refuses any other with 522).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4217_reuse_hundred_mixed_transfers_tls13() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let file = payload(50_000, 3);
    std::fs::write(server.root.join("r.bin"), &file).unwrap();
    let run = async {
        let mut c = client(&server).await;
        for i in 0..100 {
            match i % 3 {
                0 => {
                    let mut v = Vec::new();
                    c.retr("r.bin", &mut v)
                        .await
                        .unwrap_or_else(|e| panic!("RETR {i}: {e}"));
                    assert_eq!(sha256(&v), sha256(&file));
                }
                1 => {
                    let names = c
                        .nlst(None)
                        .await
                        .unwrap_or_else(|e| panic!("NLST {i}: {e}"));
                    assert!(names.iter().any(|n| n == "r.bin"), "{names:?}");
                }
                _ => {
                    let body = payload(10_000 + i, i as u64);
                    let name = format!("s{i}.bin");
                    let sent = c
                        .stor(&name, &mut &body[..])
                        .await
                        .unwrap_or_else(|e| panic!("STOR {i}: {e}"));
                    assert_eq!(sent, body.len() as u64);
                    assert_eq!(sha256_file(&server.root.join(&name)), sha256(&body));
                }
            }
        }
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// T4217-REUSE: an uploads-only session resumes 40 data connections on the control
// connection's tickets alone (ServerTlsOptions::DEFAULT_CONTROL_TICKETS = 64).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4217_reuse_forty_uploads_only() {
    assert_eq!(ServerTlsOptions::DEFAULT_CONTROL_TICKETS, 64);
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        for i in 0..40 {
            let body = payload(20_000, 100 + i);
            let name = format!("u{i}.bin");
            c.stor(&name, &mut &body[..])
                .await
                .unwrap_or_else(|e| panic!("STOR {i}: {e}"));
            assert_eq!(sha256_file(&server.root.join(&name)), sha256(&body));
        }
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// The documented bound is real: with 3 control tickets, the 4th upload of a rustls client has
// no ticket left, its data handshake is a full one, and the server refuses it with 522; a
// download in between gives a ticket back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4217_reuse_upload_bound_is_the_control_ticket_count() {
    let mut tls = ServerTlsOptions::default();
    tls.control_tickets = 3;
    let server = TestServer::start_with(Mode::Explicit, true, tls, |_| {}).await;
    std::fs::write(server.root.join("d.txt"), b"d").unwrap();
    let run = async {
        let mut c = client(&server).await;
        for i in 0..3 {
            c.stor(&format!("a{i}"), &mut &b"x"[..])
                .await
                .unwrap_or_else(|e| panic!("STOR {i}: {e}"));
        }
        match c.stor("a3", &mut &b"x"[..]).await {
            Err(Error::Ftp(ClientError::Transfer {
                failure: TransferFailure::DataTlsFailed,
                reply,
            })) => assert_eq!(reply.code().get(), 522, "{reply:?}"),
            // The server closes the refused data connection at once; the client may notice
            // that (its write fails) before the 522 arrives, and reports what it saw first.
            Err(Error::Ftp(ClientError::DataConnection(DataError::Broken))) => {}
            other => panic!("expected 522, got {other:?}"),
        }
        assert!(
            !server.root.join("a3").exists()
                || std::fs::read(server.root.join("a3")).unwrap().is_empty()
        );
        c.quit().await.unwrap();
        // A fresh session has fresh tickets; a download spends one and gets one back, so
        // three uploads still resume after it.
        let mut c = client(&server).await;
        let mut v = Vec::new();
        c.retr("d.txt", &mut v).await.expect("retr");
        for i in 0..3 {
            c.stor(&format!("b{i}"), &mut &b"y"[..])
                .await
                .unwrap_or_else(|e| panic!("STOR after RETR {i}: {e}"));
        }
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

const HANDSHAKE_FIRST: &str = r#"
import ftplib, socket, ssl, sys
port, cafile, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class HandshakeFirst(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        host, dport = self.makepasv()
        conn = socket.create_connection((host, dport), self.timeout)
        # The data TLS handshake before the transfer command.
        conn = self.context.wrap_socket(conn, server_hostname=self.host)
        resp = self.sendcmd(cmd)
        if resp[0] != "1":
            raise ftplib.error_reply(resp)
        return conn, None
f = HandshakeFirst(context=ssl.create_default_context(cafile=cafile), timeout=30)
f.connect("localhost", port)
f.login(user, password)
f.prot_p()
out = []
f.retrbinary("RETR h.txt", out.append)
print(b"".join(out).decode())
f.quit()
"#;

// A client that finishes the data handshake before it sends the transfer command: the server
// waits for the direction (5 s at most), then answers with the config without tickets, and
// the transfer succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_before_command_falls_back_to_no_tickets() {
    let server = TestServer::start(Mode::Explicit, false).await;
    std::fs::write(server.root.join("h.txt"), b"handshake first").unwrap();
    let mut c = std::process::Command::new("python3");
    c.arg("-c")
        .arg(HANDSHAKE_FIRST)
        .arg(server.addr.port().to_string())
        .arg(&server.cert)
        .arg(USER)
        .arg(PASSWORD);
    let started = std::time::Instant::now();
    let out = common::run(c, LIMIT).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "handshake first\n");
    assert!(started.elapsed() >= Duration::from_millis(4500));
    server.stop().await;
}

/// T4217-REUSE, ATK-STEAL: two sessions to one server built from clones of one `ClientTls`.
/// Each control connection has a resumption store of its own, so A's data connection (opened
/// after B logged in, when B's tickets are the newest for the server name) still resumes A's
/// control session, and the server, which requires that, accepts it: no `522`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4217_reuse_two_sessions_sharing_client_tls() {
    let server = TestServer::start(Mode::Explicit, true).await;
    std::fs::write(server.root.join("f.txt"), b"hello\n").unwrap();
    let run = async {
        let tls = ClientTls::with_ca_file(&server.cert).unwrap();
        let opts = || ConnectOptions::explicit(tls.clone());
        let port = server.addr.port();
        let mut a = Client::connect("localhost", port, opts()).await.expect("A");
        a.login(USER, PASSWORD).await.expect("A login");
        let mut b = Client::connect("localhost", port, opts()).await.expect("B");
        b.login(USER, PASSWORD).await.expect("B login");
        let mut got = Vec::new();
        a.retr("f.txt", &mut got)
            .await
            .expect("A's download resumes A's session");
        assert_eq!(got, b"hello\n");
        let mut got = Vec::new();
        b.retr("f.txt", &mut got).await.expect("B's download");
        assert_eq!(got, b"hello\n");
        a.quit().await.unwrap();
        b.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
}

// T4217-REUSE, ADP-RESUME over TLS 1.2: a client limited to TLS 1.2 resumes the control
// session by session id on every data connection (multi-use, unlike TLS 1.3 tickets), so a
// session of 30 mixed transfers works with the server requiring resumption.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4217_reuse_tls12_thirty_mixed_transfers() {
    use ftps_proto_std::support::tls::{certificates_from_pem, crypto_provider};
    let server = TestServer::start(Mode::Explicit, true).await;
    let file = payload(40_000, 7);
    std::fs::write(server.root.join("r.bin"), &file).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates_from_pem(&std::fs::read(&server.cert).unwrap()).unwrap() {
        roots.add(cert).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let run = async {
        let mut c = Client::connect(
            "localhost",
            server.addr.port(),
            ConnectOptions::explicit(ClientTls::from_config(config)),
        )
        .await
        .expect("connect");
        assert_eq!(
            c.control_tls_version(),
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        c.login(USER, PASSWORD).await.expect("login");
        for i in 0..30 {
            if i % 2 == 0 {
                let mut v = Vec::new();
                c.retr("r.bin", &mut v)
                    .await
                    .unwrap_or_else(|e| panic!("RETR {i}: {e}"));
                assert_eq!(sha256(&v), sha256(&file));
            } else {
                let body = payload(5_000 + i, i as u64);
                let name = format!("t{i}.bin");
                c.stor(&name, &mut &body[..])
                    .await
                    .unwrap_or_else(|e| panic!("STOR {i}: {e}"));
                assert_eq!(sha256_file(&server.root.join(&name)), sha256(&body));
            }
        }
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}
