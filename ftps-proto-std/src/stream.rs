//! [`FtpStream`]: a TCP stream that is plaintext or TLS (either role), and the TLS transitions
//! a connection goes through: the handshake (`StartTls`, data connections), close_notify at the
//! end of a stream, and CCC (`StopTls`: close_notify exchanged, the TCP stream kept).
//!
//! Everything here blocks, bounded by socket timeouts; a timed-out wait is an
//! [`io::ErrorKind::TimedOut`] error.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, ConnectionCommon, ServerConnection, SideData, StreamOwned};

/// A TLS stream where this side is the TLS client.
pub type ClientTlsStream = StreamOwned<ClientConnection, TcpStream>;
/// A TLS stream where this side is the TLS server.
pub type ServerTlsStream = StreamOwned<ServerConnection, TcpStream>;

/// A TCP stream, plaintext or under TLS as client or server.
///
/// It implements [`Read`] and [`Write`]; under TLS, a read that meets the end of the TCP stream
/// without the peer's close_notify fails with [`io::ErrorKind::UnexpectedEof`] (possible
/// truncation), while a clean close reads as `Ok(0)`.
#[derive(Debug)]
#[non_exhaustive]
pub enum FtpStream {
    /// No TLS.
    Plain(TcpStream),
    /// TLS, this side is the TLS client.
    Client(Box<ClientTlsStream>),
    /// TLS, this side is the TLS server.
    Server(Box<ServerTlsStream>),
    /// Transitional state while a handshake or close_notify exchange owns the socket; any I/O
    /// on it fails.
    Detached,
}

fn detached() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "stream is detached")
}

/// Whether an I/O error is a socket timeout (`WouldBlock` on Unix, `TimedOut` on Windows).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "timed out")
}

/// The time left until `deadline`, at least 1 ms (a zero socket timeout is refused by std);
/// `None` once it has passed.
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        None
    } else {
        Some(left.max(Duration::from_millis(1)))
    }
}

/// Sets both socket timeouts of `tcp` to the time left until `deadline`.
fn limit_io(tcp: &TcpStream, deadline: Instant) -> io::Result<()> {
    let left = remaining(deadline).ok_or_else(timed_out)?;
    tcp.set_read_timeout(Some(left))?;
    tcp.set_write_timeout(Some(left))
}

impl FtpStream {
    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        matches!(self, FtpStream::Client(_) | FtpStream::Server(_))
    }

    /// The TCP stream underneath.
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            FtpStream::Plain(s) => Some(s),
            FtpStream::Client(s) => Some(&s.sock),
            FtpStream::Server(s) => Some(&s.sock),
            FtpStream::Detached => None,
        }
    }

    /// The rustls handshake kind (full or resumed) of a TLS stream.
    pub fn handshake_kind(&self) -> Option<rustls::HandshakeKind> {
        match self {
            FtpStream::Client(s) => s.conn.handshake_kind(),
            FtpStream::Server(s) => s.conn.handshake_kind(),
            _ => None,
        }
    }

    /// Sets the read timeout of the socket underneath (`None`: block).
    pub fn set_read_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        self.tcp().ok_or_else(detached)?.set_read_timeout(limit)
    }

    /// Sets the write timeout of the socket underneath (`None`: block).
    pub fn set_write_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        self.tcp().ok_or_else(detached)?.set_write_timeout(limit)
    }

    /// Takes the stream out, leaving [`FtpStream::Detached`].
    pub(crate) fn detach(&mut self) -> FtpStream {
        std::mem::replace(self, FtpStream::Detached)
    }

    /// The TCP stream of a plaintext stream, or an error.
    pub(crate) fn into_plain(self) -> io::Result<TcpStream> {
        match self {
            FtpStream::Plain(tcp) => Ok(tcp),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "TLS requested on a stream that is not plaintext",
            )),
        }
    }

    /// Ends our sending side: TLS close_notify (when TLS) written out, then a TCP FIN. The
    /// stream can still be read (the peer's remaining bytes and close).
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        match self {
            FtpStream::Plain(tcp) => tcp.shutdown(Shutdown::Write),
            FtpStream::Client(s) => close_tls(&mut s.conn, &mut s.sock),
            FtpStream::Server(s) => close_tls(&mut s.conn, &mut s.sock),
            FtpStream::Detached => Err(detached()),
        }
    }

    /// Sends close_notify (when TLS) and shuts the write side down, ignoring errors; used when
    /// the connection is being dropped anyway.
    pub fn close(&mut self) {
        if let Some(tcp) = self.tcp() {
            // A peer that stopped reading must not hold us up.
            let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
        }
        let _ = self.shutdown_write();
    }
}

/// Queues close_notify, writes everything pending, then sends FIN.
fn close_tls<S: SideData>(conn: &mut ConnectionCommon<S>, tcp: &mut TcpStream) -> io::Result<()> {
    conn.send_close_notify();
    while conn.wants_write() {
        conn.write_tls(tcp)?;
    }
    tcp.flush()?;
    tcp.shutdown(Shutdown::Write)
}

impl Read for FtpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            FtpStream::Plain(s) => s.read(buf),
            FtpStream::Client(s) => s.read(buf),
            FtpStream::Server(s) => s.read(buf),
            FtpStream::Detached => Err(detached()),
        }
    }
}

impl Write for FtpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FtpStream::Plain(s) => s.write(buf),
            FtpStream::Client(s) => s.write(buf),
            FtpStream::Server(s) => s.write(buf),
            FtpStream::Detached => Err(detached()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FtpStream::Plain(s) => s.flush(),
            FtpStream::Client(s) => s.flush(),
            FtpStream::Server(s) => s.flush(),
            FtpStream::Detached => Err(detached()),
        }
    }
}

/// Runs a handshake to its end within `limit`; the socket timeouts are left cleared.
fn handshake<S: SideData>(
    conn: &mut ConnectionCommon<S>,
    tcp: &mut TcpStream,
    limit: Duration,
) -> io::Result<()> {
    let deadline = Instant::now() + limit;
    while conn.is_handshaking() || conn.wants_write() {
        limit_io(tcp, deadline)?;
        match conn.complete_io(tcp) {
            Ok((0, 0)) if conn.is_handshaking() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed during the TLS handshake",
                ))
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {
                if remaining(deadline).is_none() {
                    return Err(timed_out());
                }
            }
            Err(e) => return Err(e),
        }
    }
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)
}

/// Runs a TLS client handshake on `tcp` (the name is verified and sent as SNI; with the
/// shared config it also selects the session offered for resumption).
pub(crate) fn connect_tls(
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
    mut tcp: TcpStream,
    limit: Duration,
) -> io::Result<ClientTlsStream> {
    let mut conn = ClientConnection::new(config, name)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    handshake(&mut conn, &mut tcp, limit)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Runs a TLS server handshake on `tcp`.
pub(crate) fn accept_tls(
    config: Arc<rustls::ServerConfig>,
    mut tcp: TcpStream,
    limit: Duration,
) -> io::Result<ServerTlsStream> {
    let mut conn = ServerConnection::new(config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    handshake(&mut conn, &mut tcp, limit)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Reads a TLS ClientHello on `tcp` within `limit`, without answering it: the caller picks
/// the server config afterwards ([`accept_tls_with`]).
pub(crate) fn read_client_hello(
    tcp: &mut TcpStream,
    limit: Duration,
) -> io::Result<rustls::server::Accepted> {
    let deadline = Instant::now() + limit;
    let mut acceptor = rustls::server::Acceptor::default();
    loop {
        limit_io(tcp, deadline)?;
        match acceptor.read_tls(tcp) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed before the ClientHello",
                ))
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
        match acceptor.accept() {
            Ok(Some(accepted)) => return Ok(accepted),
            Ok(None) => {}
            Err((e, mut alert)) => {
                let _ = alert.write_all(tcp);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
}

/// Answers a ClientHello read by [`read_client_hello`] with `config` and finishes the
/// handshake within `limit`.
pub(crate) fn accept_tls_with(
    accepted: rustls::server::Accepted,
    config: Arc<rustls::ServerConfig>,
    mut tcp: TcpStream,
    limit: Duration,
) -> io::Result<ServerTlsStream> {
    let mut conn = match accepted.into_connection(config) {
        Ok(conn) => conn,
        Err((e, mut alert)) => {
            let _ = tcp.set_write_timeout(Some(limit.max(Duration::from_millis(1))));
            let _ = alert.write_all(&mut tcp);
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
    };
    handshake(&mut conn, &mut tcp, limit)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Largest TLS record body accepted while reading record by record (2^14 plus expansion).
const MAX_RECORD: usize = 16384 + 2048;

/// Ends TLS on a control connection and gives the TCP stream back (CCC, RFC 4217 §6): sends
/// close_notify, then reads the peer's records **one at a time** until its close_notify, so no
/// byte of the plaintext that follows is consumed. Bounded by `limit`.
pub(crate) fn stop_tls(stream: FtpStream, limit: Duration) -> io::Result<TcpStream> {
    let (tcp, conn): (TcpStream, rustls::Connection) = match stream {
        FtpStream::Client(s) => {
            let StreamOwned { conn, sock } = *s;
            (sock, conn.into())
        }
        FtpStream::Server(s) => {
            let StreamOwned { conn, sock } = *s;
            (sock, conn.into())
        }
        FtpStream::Plain(tcp) => return Ok(tcp),
        FtpStream::Detached => return Err(detached()),
    };
    let deadline = Instant::now() + limit;
    let tcp = close_notify_exchange(tcp, conn, deadline)?;
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(tcp)
}

fn close_notify_exchange(
    mut tcp: TcpStream,
    mut conn: rustls::Connection,
    deadline: Instant,
) -> io::Result<TcpStream> {
    let tls_err = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
    limit_io(&tcp, deadline)?;
    conn.send_close_notify();
    while conn.wants_write() {
        conn.write_tls(&mut tcp)?;
    }
    tcp.flush()?;
    let mut state = conn.process_new_packets().map_err(tls_err)?;
    let mut record = vec![0u8; MAX_RECORD + 5];
    let mut sink = [0u8; 4096];
    while !state.peer_has_closed() {
        limit_io(&tcp, deadline)?;
        let header = record.get_mut(..5).ok_or_else(timed_out)?;
        read_exact_bounded(&mut tcp, header)?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "oversized TLS record",
            ));
        }
        // cannot fire: len <= MAX_RECORD and the buffer holds MAX_RECORD + 5 bytes.
        let body = record.get_mut(5..5 + len).ok_or_else(timed_out)?;
        read_exact_bounded(&mut tcp, body)?;
        let mut slice = record.get(..5 + len).unwrap_or_default();
        while !slice.is_empty() {
            conn.read_tls(&mut slice)?;
            state = conn.process_new_packets().map_err(tls_err)?;
        }
        // Application data sent before the close_notify is dropped: nothing is expected.
        while state.plaintext_bytes_to_read() > 0 {
            let n = conn.reader().read(&mut sink)?;
            if n == 0 {
                break;
            }
            state = conn.process_new_packets().map_err(tls_err)?;
        }
    }
    Ok(tcp)
}

/// `read_exact` where a socket timeout is reported as `TimedOut`.
fn read_exact_bounded(tcp: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    tcp.read_exact(buf)
        .map_err(|e| if is_timeout(&e) { timed_out() } else { e })
}
