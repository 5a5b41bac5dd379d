//! The limits: a raw TCP copy and a raw tokio-rustls copy over loopback, between two processes,
//! with the same 256 KiB buffers our adapters use.
//!
//! Protocol: the client sends `D` or `U` and a big-endian `u64` length. `D`: the server sends
//! that many bytes and closes. `U`: the client sends them, the server answers one byte `K`.
//! `d` and `u` do the same with the server's side on a file of the served directory (it reads
//! the bulk file, or writes a new file and removes it), with plain blocking file I/O: the
//! limit of a server that also touches its storage.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftps_proto_std::support::tls::{
    certificates_from_pem, crypto_provider, private_key_from_pem, read_file,
};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::fixture::{BULK_FILE, TLS_NAME, UPLOAD_DIR};
use crate::payload::block;
use crate::Result;

/// Copy buffer size, as `ftps_proto_tokio::data::DATA_BUFFER`.
const BUFFER: usize = 256 * 1024;

/// How long an idle peer is waited for at the end of a copy.
const DRAIN: Duration = Duration::from_secs(10);

/// Direction of a copy, seen from the client (as RETR / STOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Server to client.
    Down,
    /// Client to server.
    Up,
}

/// Where the server's side of a copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// In memory.
    Memory,
    /// A file of the served directory.
    File,
}

/// The child side: a TCP and a TLS listener, `READY tcp_port tls_port`.
pub async fn serve(root: &Path, cert: &Path, key: &Path) -> Result<()> {
    let root = Arc::new(root.to_path_buf());
    let certs = certificates_from_pem(&read_file(cert)?)?;
    let key = private_key_from_pem(&read_file(key)?)?;
    let config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let tcp = TcpListener::bind(loopback).await?;
    let tls = TcpListener::bind(loopback).await?;
    crate::serve::announce(&[tcp.local_addr()?.port(), tls.local_addr()?.port()])?;
    loop {
        tokio::select! {
            accepted = tcp.accept() => {
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    let root = root.clone();
                    tokio::spawn(async move { let _ = answer(stream, &root).await; });
                }
            }
            accepted = tls.accept() => {
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    let acceptor = acceptor.clone();
                    let root = root.clone();
                    tokio::spawn(async move {
                        if let Ok(Ok(stream)) =
                            tokio::time::timeout(DRAIN, acceptor.accept(stream)).await
                        {
                            let _ = answer(stream, &root).await;
                        }
                    });
                }
            }
        }
    }
}

/// Serves one copy request on `stream`.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, root: &Path) -> Result<()> {
    let mut header = [0u8; 9];
    tokio::time::timeout(DRAIN, stream.read_exact(&mut header)).await??;
    let [op, len @ ..] = header;
    let len = u64::from_be_bytes(len);
    let mut buf = vec![0u8; BUFFER];
    match op {
        b'D' => {
            send(&mut stream, len).await?;
            stream.shutdown().await?;
            drain(&mut stream, &mut buf).await;
        }
        b'U' => {
            receive(&mut stream, len, &mut buf).await?;
            stream.write_all(b"K").await?;
            stream.shutdown().await?;
            drain(&mut stream, &mut buf).await;
        }
        b'd' => {
            let mut file = std::fs::File::open(root.join(BULK_FILE))?;
            send_file(&mut stream, &mut file, len, &mut buf).await?;
            stream.shutdown().await?;
            drain(&mut stream, &mut buf).await;
        }
        b'u' => {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let name = format!("raw-{}.bin", NEXT.fetch_add(1, Ordering::Relaxed));
            let path: PathBuf = root.join(UPLOAD_DIR).join(name);
            let result = receive_file(&mut stream, &path, len, &mut buf).await;
            let _ = std::fs::remove_file(&path);
            result?;
            stream.write_all(b"K").await?;
            stream.shutdown().await?;
            drain(&mut stream, &mut buf).await;
        }
        _ => return Err("bad raw request".into()),
    }
    Ok(())
}

/// Writes `len` pattern bytes in `BUFFER` chunks.
async fn send<S: AsyncWrite + Unpin>(stream: &mut S, len: u64) -> Result<()> {
    let chunk = block().get(..BUFFER).unwrap_or_default();
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        stream.write_all(chunk.get(..n).unwrap_or_default()).await?;
        left -= n as u64;
    }
    stream.flush().await?;
    Ok(())
}

/// Sends `len` bytes of `file`.
async fn send_file<S: AsyncWrite + Unpin>(
    stream: &mut S,
    file: &mut std::fs::File,
    len: u64,
    buf: &mut [u8],
) -> Result<()> {
    use std::io::Read;
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = file.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err("bulk file shorter than asked".into());
        }
        stream.write_all(buf.get(..n).unwrap_or_default()).await?;
        left -= n as u64;
    }
    stream.flush().await?;
    Ok(())
}

/// Receives exactly `len` bytes into a new file at `path`.
async fn receive_file<S: AsyncRead + Unpin>(
    stream: &mut S,
    path: &Path,
    len: u64,
    buf: &mut [u8],
) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = stream.read(buf.get_mut(..want).unwrap_or_default()).await?;
        if n == 0 {
            return Err(format!("raw copy ended {left} bytes early").into());
        }
        file.write_all(buf.get(..n).unwrap_or_default())?;
        left -= n as u64;
    }
    Ok(())
}

/// Reads exactly `len` bytes, discarding them.
async fn receive<S: AsyncRead + Unpin>(stream: &mut S, len: u64, buf: &mut [u8]) -> Result<()> {
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = stream.read(buf.get_mut(..want).unwrap_or_default()).await?;
        if n == 0 {
            return Err(format!("raw copy ended {left} bytes early").into());
        }
        left -= n as u64;
    }
    Ok(())
}

/// Reads until the peer closes (bounded), so our close never resets unread data.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut [u8]) {
    let _ = tokio::time::timeout(DRAIN, async {
        while let Ok(n) = stream.read(buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// One copy of `len` bytes in `direction` against the raw child (`tls`: over tokio-rustls
/// with this client config, `storage`: the server's side); returns the time from the request
/// to the last byte (handshake excluded, like the control setup of an FTP transfer).
pub async fn copy(
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
    direction: Direction,
    storage: Storage,
    len: u64,
) -> Result<Duration> {
    let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
    tcp.set_nodelay(true)?;
    match tls {
        None => timed(tcp, direction, storage, len).await,
        Some(config) => {
            let name = ServerName::try_from(TLS_NAME)?.to_owned();
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await?;
            timed(stream, direction, storage, len).await
        }
    }
}

async fn timed<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    direction: Direction,
    storage: Storage,
    len: u64,
) -> Result<Duration> {
    let mut buf = vec![0u8; BUFFER];
    let start = Instant::now();
    let mut header = [0u8; 9];
    header[0] = match (direction, storage) {
        (Direction::Down, Storage::Memory) => b'D',
        (Direction::Up, Storage::Memory) => b'U',
        (Direction::Down, Storage::File) => b'd',
        (Direction::Up, Storage::File) => b'u',
    };
    header[1..].copy_from_slice(&len.to_be_bytes());
    stream.write_all(&header).await?;
    match direction {
        Direction::Down => receive(&mut stream, len, &mut buf).await?,
        Direction::Up => {
            send(&mut stream, len).await?;
            let mut ack = [0u8; 1];
            stream.read_exact(&mut ack).await?;
            if ack != *b"K" {
                return Err("raw upload not acknowledged".into());
            }
        }
    }
    let elapsed = start.elapsed();
    let _ = stream.shutdown().await;
    drain(&mut stream, &mut buf).await;
    Ok(elapsed)
}
