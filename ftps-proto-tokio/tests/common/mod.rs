//! Test helpers: an in-process server on 127.0.0.1 with a temporary root and a demo
//! certificate, and bounded runs of external tools.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::tls::ServerTlsOptions;
use ftps_proto_tokio::server::{
    Authenticator, LocalFs, Server, ServerOptions, ShutdownHandle, Storage, Users,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[path = "../../../ftps-proto-std/tests/external_common/server.rs"]
pub mod external;

#[path = "../../../ftps-proto-std/tests/common/data.rs"]
mod data;

// Not every test binary uses all of them.
#[allow(unused_imports)]
pub use data::{payload, sha256, sha256_file};

#[path = "../../../ftps-proto-std/tests/common/mode.rs"]
mod mode;
pub use mode::{Mode, PASSWORD, USER};

pub struct TestServer {
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub cert: PathBuf,
    pub dir: tempfile::TempDir,
    pub shutdown: ShutdownHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(mode: Mode, require_reuse: bool) -> TestServer {
        TestServer::start_with(mode, require_reuse, ServerTlsOptions::default(), |_| {}).await
    }

    /// A server with `LocalFs` and the demo user, TLS options and a last word on the options.
    pub async fn start_with(
        mode: Mode,
        require_reuse: bool,
        tls_options: ServerTlsOptions,
        tweak: impl FnOnce(&mut ServerOptions),
    ) -> TestServer {
        let users = Users::new().with_user(USER, PASSWORD);
        TestServer::start_custom(mode, require_reuse, tls_options, tweak, LocalFs::new, users).await
    }

    /// A server with any storage (built on the root directory) and authenticator.
    pub async fn start_custom<S: Storage, A: Authenticator>(
        mode: Mode,
        require_reuse: bool,
        tls_options: ServerTlsOptions,
        tweak: impl FnOnce(&mut ServerOptions),
        storage: impl FnOnce(&Path) -> std::io::Result<S>,
        users: A,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("root");
        let cert_path = dir.path().join("cert.pem");
        let demo = DemoCertificate::generate().expect("demo cert");
        demo.write_cert(&cert_path).expect("write cert");
        let mut options = mode::server_options(mode, require_reuse, tls_options, &demo);
        tweak(&mut options);
        let storage = storage(&root).expect("storage");
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

/// A [`TestServer`] on a multi-thread runtime of its own (two workers), driven from blocking
/// code: the external-tool cases shared with the std adapter.
pub struct BlockingServer {
    server: TestServer,
    runtime: tokio::runtime::Runtime,
}

impl external::External for BlockingServer {
    fn start(mode: Mode, require_reuse: bool) -> BlockingServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(TestServer::start(mode, require_reuse));
        BlockingServer { server, runtime }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn cert(&self) -> &Path {
        &self.server.cert
    }

    fn root(&self) -> &Path {
        &self.server.root
    }

    fn dir(&self) -> &Path {
        self.server.dir.path()
    }

    fn run(&self, cmd: Command, limit: Duration) -> Output {
        self.runtime.block_on(run(cmd, limit))
    }

    fn stop(self) {
        self.runtime.block_on(self.server.stop());
        self.runtime.shutdown_timeout(Duration::from_secs(5));
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

/// A plaintext control connection driven line by line (for exact reply checks).
pub struct RawControl {
    reader: BufReader<TcpStream>,
}

impl RawControl {
    /// Connects and reads the greeting.
    pub async fn connect(addr: SocketAddr) -> (RawControl, String) {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let mut c = RawControl {
            reader: BufReader::new(tcp),
        };
        let greeting = c.reply().await;
        (c, greeting)
    }

    pub async fn send(&mut self, line: &str) {
        let tcp = self.reader.get_mut();
        tcp.write_all(line.as_bytes()).await.expect("write");
        tcp.write_all(b"\r\n").await.expect("write");
    }

    /// One whole reply (all lines of a multi-line reply), CRLFs kept.
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        let mut first_code: Option<String> = None;
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(20), self.reader.read_line(&mut line))
                .await
                .expect("reply timed out")
                .expect("read");
            assert!(n > 0, "connection closed; got so far: {all:?}");
            all.push_str(&line);
            let code = line.get(..3).unwrap_or_default().to_owned();
            match &first_code {
                None if line.as_bytes().get(3) == Some(&b'-') => first_code = Some(code),
                None => return all,
                Some(c) if *c == code && line.as_bytes().get(3) == Some(&b' ') => return all,
                Some(_) => {}
            }
        }
    }

    /// Sends a command and returns its reply.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await
    }

    /// `USER` + `PASS` with the demo account; panics unless logged in.
    pub async fn login(&mut self) {
        assert!(self.cmd(&format!("USER {USER}")).await.starts_with("331"));
        let r = self.cmd(&format!("PASS {PASSWORD}")).await;
        assert!(r.starts_with("230"), "{r}");
    }

    /// `EPSV` and connects to the port it names.
    pub async fn epsv(&mut self, addr: SocketAddr) -> TcpStream {
        let r = self.cmd("EPSV").await;
        assert!(r.starts_with("229"), "{r}");
        let inner = r.split("|||").nth(1).expect("229 port");
        let port: u16 = inner.split('|').next().unwrap().parse().expect("port");
        TcpStream::connect(SocketAddr::new(addr.ip(), port))
            .await
            .expect("data connect")
    }
}
