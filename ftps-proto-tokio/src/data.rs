//! Data connections: opening them (listen, accept, connect, TLS in the FTP role) and moving a
//! transfer's bytes with one large reusable buffer, close_notify at the end and truncation
//! detection.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftps_proto::session::DataError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::stream::FtpStream;

/// Size of the buffer a transfer copies through (one per transfer, allocated once).
pub const DATA_BUFFER: usize = 256 * 1024;

/// How long the side that finished sending waits for the peer to close after its own
/// close_notify (the peer may still have a TLS session ticket or its close_notify in flight).
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Binds a listener on `ip`, on a port from `ports` (tried from a pseudo-random start, each
/// at most once) or any free port.
pub(crate) async fn bind_listener(
    ip: IpAddr,
    ports: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    let Some(range) = ports else {
        return TcpListener::bind(SocketAddr::new(ip, 0)).await;
    };
    let (lo, hi) = (*range.start(), *range.end());
    if lo > hi {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty passive port range",
        ));
    }
    let span = u32::from(hi - lo) + 1;
    let start = pseudo_random() % span;
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free port in range");
    for i in 0..span {
        // cannot overflow: the offset is below `span`, so lo + offset <= hi.
        let port = lo + ((start + i) % span) as u16;
        match TcpListener::bind(SocketAddr::new(ip, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A cheap varying number for spreading passive ports (not for security).
fn pseudo_random() -> u32 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mixed =
        (u64::from(t) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (mixed >> 32) as u32
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

/// Where a transfer's failure came from, to pick the [`DataError`].
#[derive(Debug)]
pub(crate) enum CopyError {
    /// The data connection broke or was truncated.
    Data(DataError),
    /// The local side (file, user reader/writer) failed.
    Local(io::Error),
}

/// How a transfer's bytes are represented on the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Representation {
    /// `TYPE I`: the bytes as they are (the default).
    #[default]
    Binary,
    /// `TYPE A`: local LF line ends become CRLF on the wire and back
    /// ([`ftps_proto::ascii`]).
    Ascii,
}

impl Representation {
    /// [`Representation::Ascii`] when `ascii`, else [`Representation::Binary`].
    pub fn from_ascii(ascii: bool) -> Self {
        if ascii {
            Representation::Ascii
        } else {
            Representation::Binary
        }
    }
}

/// Sends everything `source` yields on `data` (converted to the network form in
/// [`Representation::Ascii`]), then ends the stream properly: TLS close_notify and FIN, then
/// reads until the peer closes (bounded by [`DRAIN_LIMIT`]) so that nothing the peer still
/// sends (a TLS 1.3 session ticket, its close_notify) makes our close reset the connection
/// before the peer has read everything.
///
/// Returns the bytes written on the data connection; `progress` is called with the running
/// total after each chunk. The buffers are allocated once per transfer.
pub(crate) async fn send_stream<R>(
    source: &mut R,
    data: &mut FtpStream,
    repr: Representation,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    R: AsyncRead + Unpin + ?Sized,
{
    let mut buf = vec![0u8; DATA_BUFFER];
    // The network form of a chunk is at most twice as long: no growth after this.
    let mut wire = match repr {
        Representation::Ascii => Vec::with_capacity(2 * DATA_BUFFER),
        Representation::Binary => Vec::new(),
    };
    let mut encoder = AsciiEncoder::new();
    let mut total: u64 = 0;
    loop {
        let n = source.read(&mut buf).await.map_err(CopyError::Local)?;
        if n == 0 {
            break;
        }
        // cannot fire: `read` returns at most `buf.len()`.
        let chunk = buf.get(..n).unwrap_or_default();
        let out: &[u8] = match repr {
            Representation::Binary => chunk,
            Representation::Ascii => {
                wire.clear();
                encoder.convert(chunk, &mut wire);
                &wire
            }
        };
        data.write_all(out)
            .await
            .map_err(|_| CopyError::Data(DataError::Broken))?;
        total += out.len() as u64;
        progress(total);
    }
    finish_sending(data, &mut buf).await?;
    Ok(total)
}

/// Ends a stream we sent on: flush, close_notify + FIN, drain until the peer's close.
pub(crate) async fn finish_sending(data: &mut FtpStream, buf: &mut [u8]) -> Result<(), CopyError> {
    data.flush()
        .await
        .map_err(|_| CopyError::Data(DataError::Broken))?;
    data.shutdown()
        .await
        .map_err(|_| CopyError::Data(DataError::Broken))?;
    // Whatever the peer does now (close_notify, FIN, reset, silence) the data is delivered.
    let _ = tokio::time::timeout(DRAIN_LIMIT, async {
        loop {
            match data.read(buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    Ok(())
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
    // The local form of a chunk is at most one byte longer (a CR held from the last one).
    let mut local = match repr {
        Representation::Ascii => Vec::with_capacity(DATA_BUFFER + 1),
        Representation::Binary => Vec::new(),
    };
    let mut decoder = AsciiDecoder::new();
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
        let chunk = buf.get(..n).unwrap_or_default();
        let out: &[u8] = match repr {
            Representation::Binary => chunk,
            Representation::Ascii => {
                local.clear();
                decoder.convert(chunk, &mut local);
                &local
            }
        };
        sink.write_all(out).await.map_err(CopyError::Local)?;
        total += n as u64;
        progress(total);
    }
    if repr == Representation::Ascii {
        local.clear();
        decoder.finish(&mut local);
        sink.write_all(&local).await.map_err(CopyError::Local)?;
    }
    sink.flush().await.map_err(CopyError::Local)?;
    let _ = data.shutdown().await;
    Ok(total)
}

/// The [`DataError`] of a failed data read.
pub(crate) fn read_error(data: &FtpStream, e: &io::Error) -> DataError {
    if data.is_tls() && e.kind() == io::ErrorKind::UnexpectedEof {
        DataError::Truncated
    } else {
        DataError::Broken
    }
}
