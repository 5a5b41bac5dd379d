//! [`FtpStream`]: a TCP stream that is plaintext or TLS (either role), and the TLS transitions
//! the control connection goes through (`StartTls`, `StopTls`/CCC).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

pub use crate::control_tls::ControlTls;

/// A TCP stream, plaintext or under TLS as client or server.
#[derive(Debug)]
#[non_exhaustive]
pub enum FtpStream {
    /// No TLS.
    Plain(TcpStream),
    /// TLS, this side is the TLS client.
    Client(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// TLS, this side is the TLS server.
    Server(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// TLS on a server's control connection: this side is the TLS server, and the buffers are
    /// released whenever they are drained (see [`ControlTls`]).
    ServerControl(Box<ControlTls>),
    /// Transitional state while a handshake or close_notify exchange owns the socket; any I/O
    /// on it fails.
    Detached,
}

impl FtpStream {
    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        matches!(
            self,
            FtpStream::Client(_) | FtpStream::Server(_) | FtpStream::ServerControl(_)
        )
    }

    /// The TCP stream underneath.
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            FtpStream::Plain(s) => Some(s),
            FtpStream::Client(s) => Some(s.get_ref().0),
            FtpStream::Server(s) => Some(s.get_ref().0),
            FtpStream::ServerControl(s) => Some(s.get_ref()),
            FtpStream::Detached => None,
        }
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

    /// Sends TLS close_notify (when TLS) and shuts the write side down, without waiting.
    pub(crate) async fn close(&mut self) {
        let _ = self.shutdown().await;
    }
}

fn detached() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "stream is detached")
}

impl AsyncRead for FtpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            FtpStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            FtpStream::Client(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            FtpStream::Server(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            FtpStream::ServerControl(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            FtpStream::Detached => Poll::Ready(Err(detached())),
        }
    }
}

impl AsyncWrite for FtpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            FtpStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            FtpStream::Client(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            FtpStream::Server(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            FtpStream::ServerControl(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            FtpStream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            FtpStream::Plain(s) => Pin::new(s).poll_flush(cx),
            FtpStream::Client(s) => Pin::new(s.as_mut()).poll_flush(cx),
            FtpStream::Server(s) => Pin::new(s.as_mut()).poll_flush(cx),
            FtpStream::ServerControl(s) => Pin::new(s.as_mut()).poll_flush(cx),
            FtpStream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            FtpStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            FtpStream::Client(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            FtpStream::Server(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            FtpStream::ServerControl(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            FtpStream::Detached => Poll::Ready(Err(detached())),
        }
    }
}

/// Runs a TLS client handshake on `tcp`.
pub(crate) async fn connect_tls(
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
    tcp: TcpStream,
    limit: Duration,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let connector = tokio_rustls::TlsConnector::from(config);
    with_timeout(limit, connector.connect(name, tcp)).await
}

/// Awaits `fut` for at most `limit` (a `TimedOut` error after it).
pub(crate) async fn with_timeout<T>(
    limit: Duration,
    fut: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
    }
}

/// Largest TLS record body accepted while reading record by record (2^14 plus expansion).
const MAX_RECORD: usize = 16384 + 2048;

/// Ends TLS on a control connection and gives the TCP stream back (CCC, RFC 4217 §6): sends
/// close_notify, then reads the peer's records **one at a time** until its close_notify, so no
/// byte of the plaintext that follows is consumed.
pub(crate) async fn stop_tls(stream: FtpStream, limit: Duration) -> io::Result<TcpStream> {
    let (tcp, conn): (TcpStream, rustls::Connection) = match stream {
        FtpStream::Client(s) => {
            let (tcp, conn) = s.into_inner();
            (tcp, conn.into())
        }
        FtpStream::Server(s) => {
            let (tcp, conn) = s.into_inner();
            (tcp, conn.into())
        }
        FtpStream::ServerControl(s) => return s.stop(limit).await.map(|(tcp, _)| tcp),
        FtpStream::Plain(tcp) => return Ok(tcp),
        FtpStream::Detached => return Err(detached()),
    };
    with_timeout(limit, close_notify_exchange(tcp, conn)).await
}

async fn close_notify_exchange(
    mut tcp: TcpStream,
    mut conn: rustls::Connection,
) -> io::Result<TcpStream> {
    let tls_err = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
    conn.send_close_notify();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)?;
    }
    tcp.write_all(&out).await?;
    tcp.flush().await?;
    let mut state = conn.process_new_packets().map_err(tls_err)?;
    let mut record = Vec::with_capacity(MAX_RECORD + 5);
    let mut sink = [0u8; 4096];
    while !state.peer_has_closed() {
        record.clear();
        record.resize(5, 0);
        tcp.read_exact(&mut record[..5]).await?;
        let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
        if len > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "oversized TLS record",
            ));
        }
        record.resize(5 + len, 0);
        tcp.read_exact(&mut record[5..]).await?;
        let mut slice: &[u8] = &record;
        while !slice.is_empty() {
            conn.read_tls(&mut slice)?;
            state = conn.process_new_packets().map_err(tls_err)?;
        }
        // Application data sent before the close_notify is dropped: nothing is expected.
        while state.plaintext_bytes_to_read() > 0 {
            let n = std::io::Read::read(&mut conn.reader(), &mut sink)?;
            if n == 0 {
                break;
            }
            state = conn.process_new_packets().map_err(tls_err)?;
        }
    }
    Ok(tcp)
}
