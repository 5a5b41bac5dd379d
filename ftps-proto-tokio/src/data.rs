//! Data connections: opening them (listen, accept, connect, TLS in the FTP role) and moving a
//! transfer's bytes with one large reusable buffer, close_notify at the end and truncation
//! detection.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use ftps_proto::session::DataError;
use ftps_proto_std::support::data_ports::port_candidates;
use ftps_proto_std::support::transfer::{read_failure, FromWire, ToWire, DRAIN_LIMIT};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::stream::FtpStream;

pub(crate) use ftps_proto_std::support::transfer::CopyError;
pub use ftps_proto_std::support::transfer::{Representation, DATA_BUFFER};

/// Binds a listener on `ip`, on a port from `ports` (tried from a pseudo-random start, each
/// at most once) or any free port.
pub(crate) async fn bind_listener(
    ip: IpAddr,
    ports: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    let Some(range) = ports else {
        return TcpListener::bind(SocketAddr::new(ip, 0)).await;
    };
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free port in range");
    for port in port_candidates(range)? {
        match TcpListener::bind(SocketAddr::new(ip, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Connects to `addr` within `limit`.
pub(crate) async fn connect(addr: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    let stream = crate::stream::with_timeout(limit, socket.connect(addr)).await?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Sends everything `source` yields on `data` (converted to the network form in
/// [`Representation::Ascii`]), then ends the stream properly: TLS close_notify and FIN
/// ([`close_sending`]), then reads until the peer closes ([`drain_after_sending`]).
///
/// Returns the bytes written on the data connection; `progress` is called with the running
/// total after each chunk. The buffers are allocated once per transfer.
pub(crate) async fn send_stream<R>(
    source: &mut R,
    data: &mut FtpStream,
    repr: Representation,
    progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin + ?Sized,
{
    let total = send_and_close(source, data, repr, progress).await?;
    drain_after_sending(data).await;
    Ok(total)
}

/// [`send_stream`] without the drain: the bytes, then close_notify and FIN. The caller drains
/// ([`drain_after_sending`]) before dropping the stream.
pub(crate) async fn send_and_close<R>(
    source: &mut R,
    data: &mut FtpStream,
    repr: Representation,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin + ?Sized,
{
    let mut buf = vec![0u8; DATA_BUFFER];
    let mut wire = ToWire::new(repr);
    let mut total: u64 = 0;
    loop {
        let n = source.read(&mut buf).await.map_err(CopyError::Local)?;
        if n == 0 {
            break;
        }
        // cannot fire: `read` returns at most `buf.len()`.
        let out = wire.convert(buf.get(..n).unwrap_or_default());
        data.write_all(out)
            .await
            .map_err(|_| CopyError::Data(DataError::Broken))?;
        total += out.len() as u64;
        progress(total);
    }
    close_sending(data).await?;
    Ok(total)
}

/// Ends a stream we sent on: flush, close_notify + FIN, drain until the peer's close.
pub(crate) async fn finish_sending(data: &mut FtpStream) -> Result<(), CopyError> {
    close_sending(data).await?;
    drain_after_sending(data).await;
    Ok(())
}

/// Flush, then TLS close_notify and FIN: everything we sent is on its way.
pub(crate) async fn close_sending(data: &mut FtpStream) -> Result<(), CopyError> {
    data.flush()
        .await
        .map_err(|_| CopyError::Data(DataError::Broken))?;
    data.shutdown()
        .await
        .map_err(|_| CopyError::Data(DataError::Broken))
}

/// After [`close_sending`]: reads until the peer closes, bounded by [`DRAIN_LIMIT`], so that
/// nothing the peer still sends (a TLS 1.3 session ticket, its close_notify) makes our close
/// reset the connection before the peer has read everything. Whatever the peer does (close,
/// reset, silence), the data is delivered.
pub(crate) async fn drain_after_sending(data: &mut FtpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(DRAIN_LIMIT, async {
        loop {
            match data.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// Receives the whole stream into `sink` (converted to local line ends in
/// [`Representation::Ascii`]). Under TLS an end without close_notify is
/// [`DataError::Truncated`]. After the end, answers with our own close_notify and FIN.
///
/// Returns the bytes read from the data connection.
pub(crate) async fn receive_stream<W>(
    data: &mut FtpStream,
    sink: &mut W,
    repr: Representation,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; DATA_BUFFER];
    let mut local = FromWire::new(repr);
    let mut total: u64 = 0;
    loop {
        let n = match data.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => return Err(CopyError::Data(read_error(data, &e))),
        };
        if n == 0 {
            break;
        }
        // cannot fire: `read` returns at most `buf.len()`.
        let out = local.convert(buf.get(..n).unwrap_or_default());
        sink.write_all(out).await.map_err(CopyError::Local)?;
        total += n as u64;
        progress(total);
    }
    sink.write_all(local.finish())
        .await
        .map_err(CopyError::Local)?;
    sink.flush().await.map_err(CopyError::Local)?;
    let _ = data.shutdown().await;
    Ok(total)
}

/// The [`DataError`] of a failed data read (the shared rule,
/// [`read_failure`](ftps_proto_std::support::transfer::read_failure)).
pub(crate) fn read_error(data: &FtpStream, e: &io::Error) -> DataError {
    read_failure(data.is_tls(), e)
}
