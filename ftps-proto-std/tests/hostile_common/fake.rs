//! Tiny scripted FTP servers for hostile-server tests of the clients: one thread, one control
//! connection, bytes chosen by the test.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::tls::{certificates_from_pem, private_key_from_pem};

use super::Stream;

/// A fake server's listener and the thread serving its single control connection.
pub struct Fake<T> {
    pub addr: SocketAddr,
    pub thread: JoinHandle<T>,
}

impl<T> Fake<T> {
    /// Waits (at most 30 s) for the script to end and returns its result.
    pub fn join(self) -> T {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.thread.is_finished() {
            assert!(Instant::now() < deadline, "fake server did not finish");
            std::thread::sleep(Duration::from_millis(10));
        }
        match self.thread.join() {
            Ok(t) => t,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Binds 127.0.0.1 and runs `script` on the first connection accepted.
pub fn spawn<T: Send + 'static>(script: impl FnOnce(FakeCtl) -> T + Send + 'static) -> Fake<T> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let thread = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let _ = tcp.set_nodelay(true);
        script(FakeCtl::new(tcp))
    });
    Fake { addr, thread }
}

/// The rustls server config of a fake FTPS server (demo certificate).
pub fn server_tls_config(demo: &DemoCertificate) -> Arc<rustls::ServerConfig> {
    let certs = certificates_from_pem(demo.cert_pem.as_bytes()).expect("certs");
    let key = private_key_from_pem(demo.key_pem.as_bytes()).expect("key");
    let provider = ftps_proto_std::support::tls::crypto_provider();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(64);
    Arc::new(config)
}

/// Runs a TLS server handshake on `tcp`.
pub fn tls_accept(
    config: Arc<rustls::ServerConfig>,
    mut tcp: TcpStream,
) -> io::Result<rustls::StreamOwned<rustls::ServerConnection, TcpStream>> {
    let mut conn = rustls::ServerConnection::new(config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// The fake server's end of the control connection.
pub struct FakeCtl {
    stream: Option<Box<dyn Stream>>,
    buf: Vec<u8>,
}

/// The usual answer of a well-behaved server to the setup and login commands, if `line` is
/// one of them.
pub fn usual_reply(line: &str) -> Option<&'static [u8]> {
    let verb = line
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    Some(match verb.as_str() {
        "FEAT" => b"211-Features:\r\n EPSV\r\n PASV\r\n PBSZ\r\n PROT\r\n211 End\r\n",
        "USER" => b"331 Password required.\r\n",
        "PASS" => b"230 Logged in.\r\n",
        "TYPE" => b"200 Type set.\r\n",
        "PBSZ" => b"200 PBSZ=0\r\n",
        "PROT" => b"200 Protection set.\r\n",
        "OPTS" => b"200 OK.\r\n",
        "NOOP" => b"200 NOOP ok.\r\n",
        // Nothing left to abort (the transfer's final reply went out already).
        "ABOR" => b"225 No transfer to abort.\r\n",
        "QUIT" => b"221 Goodbye.\r\n",
        _ => return None,
    })
}

impl FakeCtl {
    pub fn new(tcp: TcpStream) -> FakeCtl {
        FakeCtl {
            stream: Some(Box::new(tcp)),
            buf: Vec::new(),
        }
    }

    pub fn stream(&mut self) -> &mut dyn Stream {
        // cannot fire: `stream` is only `None` inside `start_tls`.
        self.stream.as_deref_mut().expect("stream")
    }

    /// The local address of the control connection.
    pub fn local_addr(&self) -> SocketAddr {
        // cannot fire: see `stream`.
        self.stream
            .as_deref()
            .expect("stream")
            .tcp()
            .local_addr()
            .expect("local addr")
    }

    /// Writes `bytes`; `false` when the peer is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        let s = self.stream();
        s.write_all(bytes).is_ok() && s.flush().is_ok()
    }

    /// The next command line (without its line end), `None` on close, error or after `limit`.
    pub fn command(&mut self, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                return Some(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.buf.len() > 64 * 1024 {
                return None;
            }
            let mut chunk = [0u8; 4096];
            let s = self.stream();
            let _ = s
                .tcp()
                .set_read_timeout(Some(left.min(Duration::from_millis(250))));
            match s.read(&mut chunk) {
                Ok(0) => return None,
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
                Err(_) => return None,
            }
        }
    }

    /// Answers commands with [`usual_reply`] until one it does not know, which it returns
    /// (`None` on close or after 10 s).
    pub fn serve_usual(&mut self) -> Option<String> {
        loop {
            let line = self.command(Duration::from_secs(10))?;
            match usual_reply(&line) {
                Some(reply) => {
                    if !self.send(reply) {
                        return None;
                    }
                }
                None => return Some(line),
            }
        }
    }

    /// Switches the control connection to TLS (server side).
    pub fn start_tls(&mut self, config: Arc<rustls::ServerConfig>) -> io::Result<()> {
        let stream = self.stream.take().expect("stream");
        let tcp = stream.tcp().try_clone()?;
        drop(stream);
        let s = tls_accept(config, tcp)?;
        self.stream = Some(Box::new(s));
        Ok(())
    }

    /// Waits (at most `limit`) for the client to close; whether it did.
    pub fn wait_closed(&mut self, limit: Duration) -> bool {
        super::read_until_closed(self.stream(), limit).1
    }
}

/// A data listener on the control connection's local IP: the listener and its port.
pub fn data_listener(ctl: &FakeCtl) -> (TcpListener, u16) {
    let listener = TcpListener::bind(SocketAddr::new(ctl.local_addr().ip(), 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

/// Accepts one connection within `limit`.
pub fn accept(listener: &TcpListener, limit: Duration) -> Option<(TcpStream, SocketAddr)> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((tcp, peer)) => {
                tcp.set_nonblocking(false).ok()?;
                return Some((tcp, peer));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return None,
        }
    }
}

/// Answers `EPSV` with a fresh listener's port (after the usual replies); returns the
/// listener and the next command after it.
fn epsv(ctl: &mut FakeCtl) -> Option<(TcpListener, String)> {
    let line = ctl.serve_usual()?;
    assert!(line.starts_with("EPSV"), "expected EPSV, got {line:?}");
    let (listener, port) = data_listener(ctl);
    ctl.send(format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes());
    let next = ctl.serve_usual()?;
    Some((listener, next))
}

/// Sends `line` repeatedly, in 64 KiB writes, until the peer stops reading or `max` bytes
/// went out; returns the bytes sent.
fn flood(ctl: &mut FakeCtl, line: &[u8], max: u64) -> u64 {
    let mut chunk = Vec::with_capacity(64 * 1024 + line.len());
    while chunk.len() < 64 * 1024 {
        chunk.extend_from_slice(line);
    }
    let mut sent = 0u64;
    while sent < max {
        if !ctl.send(&chunk) {
            break;
        }
        sent += chunk.len() as u64;
    }
    sent
}

/// FRM-MAXREP: a greeting that never ends (`220-` lines, up to `max` bytes). Returns the bytes
/// sent before the client stopped reading (closed).
pub fn endless_multiline(max: u64) -> Fake<u64> {
    spawn(move |mut ctl| {
        ctl.send(b"220-Welcome\r\n");
        flood(&mut ctl, b"220-and more welcome text\r\n", max)
    })
}

/// FRM-MAXREP: a one-line greeting of `len` bytes. Returns whether the client closed.
pub fn long_reply_line(len: usize) -> Fake<bool> {
    spawn(move |mut ctl| {
        ctl.send(b"220 ");
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if !ctl.send(chunk.get(..n).unwrap_or_default()) {
                return true;
            }
            left -= n;
        }
        ctl.send(b"\r\n");
        ctl.wait_closed(Duration::from_secs(10))
    })
}

/// The connection ends inside a multi-line greeting.
pub fn eof_inside_reply() -> Fake<()> {
    spawn(|mut ctl| {
        ctl.send(b"220-Welcome\r\n220-second line\r\n220-third, cut he");
    })
}

/// ATK-TLSINJ-C: `234` and an injected `230` in one segment. Returns the command answered
/// with 234 and whatever the client sent after it (a ClientHello would start with 0x16).
pub fn injected_after_234() -> Fake<(Option<String>, Vec<u8>)> {
    spawn(|mut ctl| {
        ctl.send(b"220 Fake server.\r\n");
        let auth = ctl.serve_usual();
        ctl.send(b"234 Proceed.\r\n230 Injected login.\r\n");
        let (after, _) = super::read_until_closed(ctl.stream(), Duration::from_secs(10));
        (auth, after)
    })
}

/// ATK-PASVIP: `EPSV` is refused, `PASV` gets a `227` naming 10.0.0.1 (never to be
/// connected) with the port of a listener on the control connection's IP. Returns where the
/// data connection came from, and the listing command.
pub fn pasv_elsewhere() -> Fake<Option<(SocketAddr, String)>> {
    spawn(|mut ctl| {
        ctl.send(b"220 Fake server.\r\n");
        let line = ctl.serve_usual()?;
        assert!(line.starts_with("EPSV"), "expected EPSV, got {line:?}");
        ctl.send(b"500 EPSV not understood.\r\n");
        let line = ctl.serve_usual()?;
        assert_eq!(line, "PASV");
        let (listener, port) = data_listener(&ctl);
        let reply = format!(
            "227 Entering Passive Mode (10,0,0,1,{},{}).\r\n",
            port >> 8,
            port & 0xFF
        );
        ctl.send(reply.as_bytes());
        let (mut data, peer) = accept(&listener, Duration::from_secs(10))?;
        let cmd = ctl.serve_usual()?;
        ctl.send(b"150 Here it comes.\r\n");
        let _ = io::Write::write_all(&mut data, b"a.txt\r\nb.txt\r\n");
        drop(data);
        ctl.send(b"226 Done.\r\n");
        let _ = ctl.serve_usual();
        Some((peer, cmd))
    })
}

/// Explicit FTPS up to a transfer: greeting, `AUTH TLS` (handshake under `config`), the usual
/// setup and login, `EPSV`, the transfer command answered `150` and its data connection
/// accepted. Returns that connection (TCP, before any data TLS) and the command.
fn explicit_transfer(
    ctl: &mut FakeCtl,
    config: Arc<rustls::ServerConfig>,
) -> Option<(TcpStream, String)> {
    ctl.send(b"220 Fake server.\r\n");
    let line = ctl.serve_usual()?;
    assert_eq!(line, "AUTH TLS");
    ctl.send(b"234 Proceed.\r\n");
    ctl.start_tls(config).ok()?;
    let (listener, cmd) = epsv(ctl)?;
    ctl.send(b"150 Opening data connection.\r\n");
    let (tcp, _) = accept(&listener, Duration::from_secs(10))?;
    Some((tcp, cmd))
}

/// ATK-TRUNC (client side): explicit FTPS; the `RETR` data connection (TLS) carries `body`,
/// then its TCP stream ends without close_notify, and `226` follows.
pub fn truncated_tls_download(demo: &DemoCertificate, body: Vec<u8>) -> Fake<Option<String>> {
    let config = server_tls_config(demo);
    spawn(move |mut ctl| {
        let (tcp, cmd) = explicit_transfer(&mut ctl, config.clone())?;
        let mut data = tls_accept(config, tcp).ok()?;
        io::Write::write_all(&mut data, &body).ok()?;
        io::Write::flush(&mut data).ok()?;
        // A FIN without close_notify.
        let _ = data.sock.shutdown(std::net::Shutdown::Both);
        ctl.send(b"226 Transfer complete.\r\n");
        let _ = ctl.serve_usual();
        Some(cmd)
    })
}

/// T4217-CERT (client side): explicit FTPS under `control`'s certificate; the `RETR` data
/// connection completes a TLS handshake under `data`'s (another server's: no session of the
/// control connection to resume), then `426` follows. Returns the transfer command.
pub fn other_data_certificate(
    control: &DemoCertificate,
    data: &DemoCertificate,
) -> Fake<Option<String>> {
    let control_config = server_tls_config(control);
    let data_config = server_tls_config(data);
    spawn(move |mut ctl| {
        let (tcp, cmd) = explicit_transfer(&mut ctl, control_config)?;
        if let Ok(mut data) = tls_accept(data_config, tcp) {
            let _ = io::Write::write_all(&mut data, b"not from the control connection's server");
            let _ = io::Write::flush(&mut data);
            let _ = super::read_until_closed(&mut data, Duration::from_secs(10));
        }
        ctl.send(b"426 Connection closed; transfer aborted.\r\n");
        let _ = ctl.serve_usual();
        Some(cmd)
    })
}

/// Answers the usual commands until one starting with `verb`, then never answers again (until
/// the client closes, at most 30 s). Returns that command and whether the client closed.
pub fn silent_from(verb: &'static str) -> Fake<(Option<String>, bool)> {
    spawn(move |mut ctl| {
        ctl.send(b"220 Fake server.\r\n");
        loop {
            let Some(line) = ctl.command(Duration::from_secs(10)) else {
                return (None, true);
            };
            if line.starts_with(verb) {
                return (Some(line), ctl.wait_closed(Duration::from_secs(30)));
            }
            match usual_reply(&line) {
                Some(reply) => {
                    ctl.send(reply);
                }
                None => {
                    ctl.send(b"502 Not implemented.\r\n");
                }
            }
        }
    })
}

/// ATK-LISTING: a `LIST` whose data is one line of `len` bytes (no line end), streamed in
/// 64 KiB writes. Returns the bytes the client took before it closed, and the command.
pub fn huge_listing_line(len: u64) -> Fake<Option<(u64, String)>> {
    spawn(move |mut ctl| {
        ctl.send(b"220 Fake server.\r\n");
        let (listener, cmd) = epsv(&mut ctl)?;
        ctl.send(b"150 Here it comes.\r\n");
        let (mut data, _) = accept(&listener, Duration::from_secs(10))?;
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0u64;
        while sent < len {
            if io::Write::write_all(&mut data, &chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        drop(data);
        ctl.send(b"226 Done.\r\n");
        let _ = ctl.serve_usual();
        Some((sent, cmd))
    })
}
