//! Test helpers: an in-process server on 127.0.0.1 with a temporary root and a demo
//! certificate, and bounded runs of external tools.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::tls::{ServerTls, ServerTlsOptions};
use ftps_proto_tokio::server::{LocalFs, Server, ServerOptions, ShutdownHandle, Users};
use sha2::{Digest, Sha256};

/// How the test server secures its control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Explicit,
    Implicit,
    Plain,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub cert: PathBuf,
    pub dir: tempfile::TempDir,
    pub shutdown: ShutdownHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub const USER: &str = "demo";
pub const PASSWORD: &str = "s3cret";

impl TestServer {
    pub async fn start(mode: Mode, require_reuse: bool) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("root");
        let cert_path = dir.path().join("cert.pem");
        let demo = DemoCertificate::generate().expect("demo cert");
        demo.write_cert(&cert_path).expect("write cert");
        let tls = (mode != Mode::Plain).then(|| {
            ServerTls::from_pem(
                demo.cert_pem.as_bytes(),
                demo.key_pem.as_bytes(),
                ServerTlsOptions::default(),
            )
            .expect("server tls")
        });
        let mut options = ServerOptions::new(tls);
        options.session.tls = match mode {
            Mode::Explicit => ftps_proto::server::ServerTls::Explicit {
                required_for_login: true,
            },
            Mode::Implicit => ftps_proto::server::ServerTls::Implicit,
            Mode::Plain => ftps_proto::server::ServerTls::None,
        };
        options.session.require_data_session_reuse = require_reuse;
        options.session.failed_login_delay = Duration::from_millis(10);
        let storage = LocalFs::new(&root).expect("storage");
        let users = Users::new().with_user(USER, PASSWORD);
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), options, storage, users)
            .await
            .expect("bind");
        let addr = server.local_addr().expect("addr");
        let shutdown = server.shutdown_handle();
        let task = tokio::spawn(server.serve());
        TestServer {
            addr,
            root: root.canonicalize().expect("canonical root"),
            cert: cert_path,
            dir,
            shutdown,
            task,
        }
    }

    /// `scheme://localhost:port/path`.
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://localhost:{}/{path}", self.addr.port())
    }

    pub async fn stop(self) {
        self.shutdown.shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(15), self.task).await;
    }
}

/// Runs a command with a hard time limit (killed after it).
pub async fn run(cmd: Command, limit: Duration) -> Output {
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match tokio::time::timeout(limit, cmd.output()).await {
        Ok(out) => out.expect("run tool"),
        Err(_) => panic!("tool timed out after {limit:?}"),
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn sha256_file(path: &Path) -> [u8; 32] {
    sha256(&std::fs::read(path).expect("read file"))
}

/// Deterministic pseudo-random bytes.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
