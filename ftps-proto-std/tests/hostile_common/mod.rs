//! Hostile-peer test helpers shared by both adapters' tests (the tokio crate includes this
//! module with `#[path]`): blocking raw control and data connections that send exactly the
//! bytes a test asks for, tiny scripted fake servers, and process measurements (RSS, open
//! file descriptors). Loopback only; every read has a time limit.

#![allow(dead_code)]

#[path = "../common/data.rs"]
pub mod data;
#[path = "../common/mode.rs"]
mod mode;
pub use mode::{Mode, PASSWORD, USER};
pub mod fake;
pub mod server_cases;

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::server_options::{PartialUploads, ServerOptions};
use ftps_proto_std::support::tls::{
    certificates_from_pem, private_key_from_pem, ClientCertPolicy, ClientTls, ServerTlsOptions,
    ServerVerification,
};
use rustls::pki_types::ServerName;

/// What a hostile-server case needs of the server under test; each adapter's test file turns
/// it into its own `ServerOptions`.
pub struct Setup {
    pub mode: Mode,
    /// `ServerConfig::require_data_session_reuse`.
    pub require_reuse: bool,
    /// `PartialUploads::Delete` instead of `Keep`.
    pub delete_partial: bool,
    /// Last word on the core's session configuration.
    pub session: Box<dyn FnOnce(&mut ftps_proto::server::ServerConfig) + Send>,
    /// Client certificates the server asks for.
    pub client_certs: ClientCertPolicy,
}

impl Setup {
    pub fn new(mode: Mode) -> Setup {
        Setup {
            mode,
            require_reuse: true,
            delete_partial: false,
            session: Box::new(|_| {}),
            client_certs: ClientCertPolicy::None,
        }
    }

    pub fn session(
        mut self,
        tweak: impl FnOnce(&mut ftps_proto::server::ServerConfig) + Send + 'static,
    ) -> Setup {
        self.session = Box::new(tweak);
        self
    }

    /// The server options of this setup (both adapters take the same ones): TLS from `demo`
    /// unless plain, a 10 ms failed-login delay, then the setup's last word.
    pub fn server_options(self, demo: &DemoCertificate) -> ServerOptions {
        let mut tls_options = ServerTlsOptions::default();
        tls_options.client_certs = self.client_certs;
        let mut options = mode::server_options(self.mode, self.require_reuse, tls_options, demo);
        if self.delete_partial {
            options.partial_uploads = PartialUploads::Delete;
        }
        (self.session)(&mut options.session);
        options
    }
}

/// A running server under test, stopped (bounded) when dropped.
pub struct Running {
    pub addr: SocketAddr,
    /// The storage root (canonical).
    pub root: PathBuf,
    /// The temporary directory holding `root/` (files next to `root` are "outside").
    pub dir: tempfile::TempDir,
    pub stop: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Starts a server of one adapter.
pub type Start = fn(Setup) -> Running;

/// A fresh temporary directory with `root/` (canonical path returned) and a demo certificate.
pub fn fixture() -> (tempfile::TempDir, PathBuf, DemoCertificate) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).expect("root");
    let root = root.canonicalize().expect("canonical root");
    let demo = DemoCertificate::generate().expect("demo cert");
    (dir, root, demo)
}

/// The resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// A `kB` field of `/proc/self/status` (0 when it cannot be read).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A client TLS setup that accepts the demo certificate (and anything else).
pub fn client_tls() -> ClientTls {
    ClientTls::new(ServerVerification::DangerousAcceptAnyCertificate, None).expect("client tls")
}

/// A client TLS setup like [`client_tls`] that presents `demo`'s certificate as its client
/// certificate.
pub fn client_tls_with_cert(demo: &DemoCertificate) -> ClientTls {
    let certs = certificates_from_pem(demo.cert_pem.as_bytes()).expect("certs");
    let key = private_key_from_pem(demo.key_pem.as_bytes()).expect("key");
    ClientTls::new(
        ServerVerification::DangerousAcceptAnyCertificate,
        Some((certs, key)),
    )
    .expect("client tls")
}

pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("server name")
}

/// A byte stream, plain or TLS.
pub trait Stream: Read + Write + Send {
    /// The TCP socket under it.
    fn tcp(&self) -> &TcpStream;
}

impl Stream for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Stream for rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

impl Stream for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

/// Runs a TLS client handshake on `tcp` (bounded by the socket's timeouts).
pub fn tls_connect(
    config: Arc<rustls::ClientConfig>,
    mut tcp: TcpStream,
) -> io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let mut conn = rustls::ClientConnection::new(config, server_name())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// Whether a data TLS handshake resumed a session.
pub fn resumed(s: &rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> bool {
    s.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
}

/// Reads what `r` sends until EOF, an error or `limit`; returns the bytes and whether EOF
/// (or a reset) was seen.
pub fn read_until_closed(r: &mut dyn Stream, limit: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + limit;
    let mut all = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (all, false);
        }
        let _ = r
            .tcp()
            .set_read_timeout(Some(left.min(Duration::from_millis(200))));
        match r.read(&mut buf) {
            Ok(0) => return (all, true),
            Ok(n) => all.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return (all, true),
        }
    }
}

/// A raw control connection: sends exactly the bytes given, reads whole replies.
pub struct Ctl {
    stream: Option<Box<dyn Stream>>,
    buf: Vec<u8>,
    pub addr: SocketAddr,
}

/// How reading a reply ended without one.
#[derive(Debug, PartialEq, Eq)]
pub enum NoReply {
    /// The server closed the connection; the bytes of an unfinished reply, if any.
    Closed(String),
    TimedOut(String),
}

impl Ctl {
    /// Connects in plaintext (no greeting read).
    pub fn connect(addr: SocketAddr) -> Ctl {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        let _ = tcp.set_nodelay(true);
        Ctl {
            stream: Some(Box::new(tcp)),
            buf: Vec::new(),
            addr,
        }
    }

    /// Connects in plaintext and reads the `220` greeting.
    pub fn open(addr: SocketAddr) -> Ctl {
        let mut c = Ctl::connect(addr);
        let greeting = c.reply();
        assert!(greeting.starts_with("220 "), "{greeting}");
        c
    }

    /// Connects with TLS from the first byte (implicit FTPS) and reads the greeting.
    pub fn open_implicit(addr: SocketAddr, tls: &ClientTls) -> Ctl {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        let s = tls_connect(tls.config(), tcp).expect("implicit TLS handshake");
        let mut c = Ctl {
            stream: Some(Box::new(s)),
            buf: Vec::new(),
            addr,
        };
        let greeting = c.reply();
        assert!(greeting.starts_with("220 "), "{greeting}");
        c
    }

    /// `AUTH TLS` and the handshake (explicit FTPS).
    pub fn auth_tls(&mut self, tls: &ClientTls) {
        assert_eq!(self.cmd("AUTH TLS").get(..4), Some("234 "));
        assert!(self.buf.is_empty(), "bytes after 234");
        let stream = self.stream.take().expect("stream");
        let tcp = stream.tcp().try_clone().expect("clone");
        drop(stream);
        let s = tls_connect(tls.config(), tcp).expect("control TLS handshake");
        self.stream = Some(Box::new(s));
    }

    /// Explicit FTPS: `AUTH TLS`, `USER`/`PASS`, `PBSZ 0`, `PROT P`.
    pub fn open_explicit_prot_p(addr: SocketAddr, tls: &ClientTls) -> Ctl {
        let mut c = Ctl::open(addr);
        c.auth_tls(tls);
        c.login();
        assert_eq!(c.cmd("PBSZ 0").get(..4), Some("200 "));
        assert_eq!(c.cmd("PROT P").get(..4), Some("200 "));
        c
    }

    pub fn stream(&mut self) -> &mut dyn Stream {
        // cannot fire: `stream` is only `None` inside `auth_tls`.
        self.stream.as_deref_mut().expect("stream")
    }

    pub fn tcp(&self) -> &TcpStream {
        // cannot fire: see `stream`.
        self.stream.as_deref().expect("stream").tcp()
    }

    /// Writes `bytes` as they are (one write call, flushed).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let s = self.stream();
        s.write_all(bytes).expect("write");
        s.flush().expect("flush");
    }

    /// Writes `line` + CRLF.
    pub fn send(&mut self, line: &str) {
        let mut v = line.as_bytes().to_vec();
        v.extend_from_slice(b"\r\n");
        self.send_raw(&v);
    }

    /// Sends a command and returns its reply.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(line);
        self.reply()
    }

    /// Sends a command and returns its reply code and text of the last line (CRLF removed).
    pub fn code(&mut self, line: &str) -> String {
        let r = self.cmd(line);
        r.lines().last().unwrap_or_default().to_owned()
    }

    /// One whole reply (all lines, CRLFs kept); panics on close or after 20 s.
    pub fn reply(&mut self) -> String {
        match self.try_reply(Duration::from_secs(20)) {
            Ok(r) => r,
            Err(e) => panic!("no reply: {e:?}"),
        }
    }

    /// One whole reply, or how the wait ended.
    pub fn try_reply(&mut self, limit: Duration) -> Result<String, NoReply> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(n) = complete_reply(&self.buf) {
                let rest = self.buf.split_off(n);
                let reply = std::mem::replace(&mut self.buf, rest);
                return Ok(String::from_utf8_lossy(&reply).into_owned());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NoReply::TimedOut(self.pending()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let s = self.stream();
            let _ = s
                .tcp()
                .set_read_timeout(Some(left.min(Duration::from_millis(250))));
            match s.read(&mut chunk) {
                Ok(0) => return Err(NoReply::Closed(self.pending())),
                Ok(n) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return Err(NoReply::Closed(self.pending())),
            }
        }
    }

    fn pending(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }

    /// Waits (at most `limit`) for the server to close; returns whatever arrived meanwhile.
    /// Panics if the connection is still open after `limit`.
    pub fn expect_closed(&mut self, limit: Duration) -> String {
        let mut all = std::mem::take(&mut self.buf);
        let (more, closed) = read_until_closed(self.stream(), limit);
        all.extend_from_slice(&more);
        let text = String::from_utf8_lossy(&all).into_owned();
        assert!(
            closed,
            "connection still open after {limit:?}; got {text:?}"
        );
        text
    }

    /// `USER` + `PASS` with the demo account.
    pub fn login(&mut self) {
        assert_eq!(self.cmd(&format!("USER {USER}")).get(..4), Some("331 "));
        let r = self.cmd(&format!("PASS {PASSWORD}"));
        assert!(r.starts_with("230"), "{r}");
    }

    /// `EPSV`: the port it names.
    pub fn epsv_port(&mut self) -> u16 {
        let r = self.cmd("EPSV");
        assert!(r.starts_with("229 "), "{r}");
        r.split("|||")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .and_then(|p| p.parse().ok())
            .expect("229 port")
    }

    /// `EPSV`, then a plaintext data connection to it from `from` (`None`: any local address).
    pub fn epsv_connect(&mut self, from: Option<Ipv4Addr>) -> TcpStream {
        let port = self.epsv_port();
        connect_from(SocketAddr::new(self.addr.ip(), port), from)
    }

    pub fn shutdown(&self) {
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

/// The length of the first complete reply in `buf` (CRLF or LF line ends), if there is one.
fn complete_reply(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    let mut code: Option<&[u8]> = None;
    while let Some(pos) = buf.get(start..)?.iter().position(|&b| b == b'\n') {
        let line = buf.get(start..start + pos)?;
        let end = start + pos + 1;
        match code {
            None if line.get(3) == Some(&b'-') => code = line.get(..3),
            None => return Some(end),
            Some(c) if line.get(..3) == Some(c) && line.get(3) == Some(&b' ') => return Some(end),
            Some(_) => {}
        }
        start = end;
    }
    None
}

/// A TCP connection to `to`, bound first to `from` when given (Linux routes all of 127/8 to
/// the loopback interface, so `127.0.0.2` is another local address).
pub fn connect_from(to: SocketAddr, from: Option<Ipv4Addr>) -> TcpStream {
    let tcp = match from {
        None => TcpStream::connect_timeout(&to, Duration::from_secs(5)).expect("data connect"),
        Some(ip) => bind_connect(SocketAddr::new(IpAddr::V4(ip), 0), to).expect("bound connect"),
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
    tcp
}

/// Connects from a chosen local address (std cannot bind before connecting; tokio's
/// `TcpSocket` on a small current-thread runtime can).
fn bind_connect(local: SocketAddr, to: SocketAddr) -> io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(local)?;
        let tcp = tokio::time::timeout(Duration::from_secs(5), socket.connect(to))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let std = tcp.into_std()?;
        std.set_nonblocking(false)?;
        Ok(std)
    })
}

/// Sends a reset (RST) instead of a FIN when `tcp` is dropped: `SO_LINGER` with a zero
/// timeout, set through tokio's `TcpStream::set_zero_linger` (std has no setter).
pub fn abort(tcp: TcpStream) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let _ = tcp.set_nonblocking(true);
    if let Ok(t) = tokio::net::TcpStream::from_std(tcp) {
        let _ = t.set_zero_linger();
        drop(t);
    }
}

/// Reads from `r` until `n` bytes arrived (bounded by the socket's read timeout).
pub fn read_exact_n(r: &mut dyn Read, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    r.read_exact(&mut v).expect("read data");
    v
}

/// Serializes the tests of one binary: several of them measure this process's RSS, which
/// other tests running at the same time would disturb.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Resets this process's peak RSS (`VmHWM`) to the current RSS (Linux `clear_refs` 5).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set size since the last [`reset_peak_rss`], in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}
