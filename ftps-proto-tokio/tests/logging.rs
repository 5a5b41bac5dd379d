//! Logs never hold a password, and the example server's logs carry no ANSI escape codes when
//! stderr is not a terminal. One test captures the adapter's tracing output at TRACE level in
//! process; the other runs the `ftps-server` example (built by `cargo test`) with stderr piped.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Mode, TestServer, USER};
use ftps_proto_std::support::tls::{ClientTls, ServerTlsOptions};
use ftps_proto_tokio::client::{Client, ConnectOptions, Error};
use ftps_proto_tokio::server::{LocalFs, Users};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const LIMIT: Duration = Duration::from_secs(60);
const GOOD_PASSWORD: &str = "Good-Pw-7f3a9c";
const WRONG_PASSWORD: &str = "Wrong-Pw-91c2e4";

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A login refused, then a logged-in session with transfers, against `port`.
async fn session(port: u16, cert: &std::path::Path) {
    let connect = || async {
        let tls = ClientTls::with_ca_file(cert).unwrap();
        Client::connect("localhost", port, ConnectOptions::explicit(tls))
            .await
            .expect("connect")
    };
    let mut c = connect().await;
    match c.login(USER, WRONG_PASSWORD).await {
        Err(Error::Ftp(e)) => assert!(e.to_string().contains("530"), "{e}"),
        other => panic!("expected 530, got {other:?}"),
    }
    drop(c);
    let mut c = connect().await;
    c.login(USER, GOOD_PASSWORD).await.expect("login");
    c.stor("f.txt", &mut &b"logged"[..]).await.expect("stor");
    let mut v = Vec::new();
    c.retr("f.txt", &mut v).await.expect("retr");
    assert_eq!(v, b"logged");
    c.quit().await.expect("quit");
}

// C959-PASS (passwords are never logged): the adapter's own logs at TRACE level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_hold_no_password() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let users = Users::new().with_user(USER, GOOD_PASSWORD);
    let server = TestServer::start_custom(
        Mode::Explicit,
        true,
        ServerTlsOptions::default(),
        |_| {},
        LocalFs::new,
        users,
    )
    .await;
    tokio::time::timeout(LIMIT, session(server.addr.port(), &server.cert))
        .await
        .expect("timed out");
    server.stop().await;

    let log = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(log.contains("login failed"), "{log}");
    assert!(log.contains("logged in"), "{log}");
    assert!(log.contains("TRACE") || log.contains("DEBUG"), "{log}");
    assert!(!log.contains(GOOD_PASSWORD), "password in the log:\n{log}");
    assert!(!log.contains(WRONG_PASSWORD), "password in the log:\n{log}");
}

/// The `ftps-server` example binary next to this test's executable.
fn example_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test path");
    // target/<profile>/deps/logging-<hash> -> target/<profile>/examples/ftps-server
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir
        .join("examples")
        .join(format!("ftps-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: `cargo test` builds the examples (add `--examples` when selecting --test)",
        bin.display()
    );
    bin
}

// C959-PASS. The example at RUST_LOG=trace with stderr piped: no ANSI escapes, no password in its logs
// (the password is only printed on stdout at start, as the demo promises).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_server_logs_plain_text_without_password() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let mut child = tokio::process::Command::new(example_binary())
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--root")
        .arg(dir.path().join("root"))
        .arg("--write-cert")
        .arg(&cert)
        .arg("--user")
        .arg(USER)
        .arg("--password")
        .arg(GOOD_PASSWORD)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the example");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let stderr_task = tokio::spawn(async move {
        let mut all = Vec::new();
        let _ = stderr.read_to_end(&mut all).await;
        all
    });
    let run = async {
        let mut banner = String::new();
        let port = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).await.unwrap() > 0,
                "example exited: {banner}"
            );
            banner.push_str(&line);
            if let Some(addr) = line
                .strip_prefix("serving ")
                .and_then(|l| l.rsplit(" on ").next())
            {
                let addr: std::net::SocketAddr = addr.trim().parse().expect("address");
                break addr.port();
            }
        };
        // Then `user "demo", password "..."`.
        let mut line = String::new();
        stdout.read_line(&mut line).await.unwrap();
        banner.push_str(&line);
        session(port, &cert).await;
        banner
    };
    let banner = tokio::time::timeout(LIMIT, run).await.expect("timed out");
    assert!(
        banner.contains(GOOD_PASSWORD),
        "the demo prints its password: {banner}"
    );
    child.start_kill().expect("stop the example");
    let _ = child.wait().await;
    let log = stderr_task.await.unwrap();
    let text = String::from_utf8_lossy(&log);
    assert!(!log.contains(&0x1b), "ANSI escape in piped logs:\n{text}");
    assert!(text.contains("logged in"), "{text}");
    assert!(text.contains("login failed"), "{text}");
    assert!(
        !text.contains(GOOD_PASSWORD),
        "password in the log:\n{text}"
    );
    assert!(
        !text.contains(WRONG_PASSWORD),
        "password in the log:\n{text}"
    );
}
