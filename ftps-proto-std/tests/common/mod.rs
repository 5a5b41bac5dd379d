//! Test helpers: an in-process std server on 127.0.0.1 with a temporary root and a demo
//! certificate, bounded runs of test bodies and external tools, payloads and digests.

#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ftps_proto_std::server::{LocalFs, Server, ServerOptions, ShutdownHandle, Users};
use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::tls::ServerTlsOptions;

#[path = "../external_common/server.rs"]
pub mod external;

mod data;
mod mode;

// Not every test binary uses all of them.
#[allow(unused_imports)]
pub use data::{payload, sha256, sha256_file};
pub use mode::{server_options, Mode, PASSWORD, USER};

/// A temporary directory with `root/` and the demo certificate written to `cert.pem`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub cert: PathBuf,
    pub demo: DemoCertificate,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("root");
        let cert = dir.path().join("cert.pem");
        let demo = DemoCertificate::generate().expect("demo cert");
        demo.write_cert(&cert).expect("write cert");
        let root = root.canonicalize().expect("canonical root");
        Fixture {
            dir,
            root,
            cert,
            demo,
        }
    }
}

/// The std server, running on its own thread.
pub struct TestServer {
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub cert: PathBuf,
    pub dir: tempfile::TempDir,
    pub shutdown: ShutdownHandle,
    pub thread: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub fn start(mode: Mode, require_reuse: bool) -> TestServer {
        TestServer::start_with(mode, require_reuse, |_| {})
    }

    /// Like [`TestServer::start`], with the options adjusted by `tweak` first.
    pub fn start_with(
        mode: Mode,
        require_reuse: bool,
        tweak: impl FnOnce(&mut ServerOptions),
    ) -> TestServer {
        let f = Fixture::new();
        let mut options = server_options(mode, require_reuse, ServerTlsOptions::default(), &f.demo);
        tweak(&mut options);
        let storage = LocalFs::new(&f.root).expect("storage");
        let users = Users::new().with_user(USER, PASSWORD);
        let server =
            Server::bind("127.0.0.1:0".parse().unwrap(), options, storage, users).expect("bind");
        let addr = server.local_addr().expect("addr");
        let shutdown = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.serve());
        TestServer {
            addr,
            root: f.root,
            cert: f.cert,
            dir: f.dir,
            shutdown,
            thread,
        }
    }

    /// `scheme://localhost:port/path`.
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://localhost:{}/{path}", self.addr.port())
    }

    /// Shuts the server down and waits (bounded) for `serve` to return.
    pub fn stop(self) {
        self.shutdown.shutdown();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.thread.is_finished() {
            assert!(Instant::now() < deadline, "server did not stop in time");
            std::thread::sleep(Duration::from_millis(10));
        }
        self.thread
            .join()
            .expect("server thread")
            .expect("serve returned an error");
    }
}

impl external::External for TestServer {
    fn start(mode: Mode, require_reuse: bool) -> TestServer {
        TestServer::start(mode, require_reuse)
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn cert(&self) -> &Path {
        &self.cert
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, cmd: Command, limit: Duration) -> Output {
        run(cmd, limit)
    }

    fn stop(self) {
        TestServer::stop(self);
    }
}

/// Runs `body` on its own thread and fails the test if it takes longer than `limit`.
pub fn bounded<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(body());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("test timed out after {limit:?}"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: re-raise its panic here.
            match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => panic!("test body ended without a result"),
            }
        }
    }
}

/// Runs a command with a hard time limit (killed after it), collecting its output.
pub fn run(mut cmd: Command, limit: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run tool");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait tool") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tool timed out after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}
