//! The suppaftp client (tokio + rustls), used as its docs show: `connect`, `into_secure`
//! (AUTH TLS, PBSZ 0, PROT P), `login`, binary type, passive mode.
//!
//! suppaftp has no way to send `PROT C` on a TLS control connection (every data connection of
//! a secured session is TLS), so its clear-data transfers run in a plain FTP session: the data
//! connection, the part measured, is plain TCP either way.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use suppaftp::tokio::{
    AsyncFtpStream, AsyncRustlsConnector, AsyncRustlsFtpStream, ImplAsyncFtpStream, TokioTlsStream,
};
use suppaftp::types::FileType;
use tokio::io::AsyncReadExt;

use crate::fixture::{Fixture, BULK_FILE, PASSWORD, TLS_NAME, USER};
use crate::ours::Prot;
use crate::payload::Pattern;
use crate::raw::Direction;
use crate::{retry, Result};

/// Limit for the TCP connect.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);

/// Read buffer for downloads: as large as our clients' (suppaftp leaves reading to the user).
const READ_BUFFER: usize = 256 * 1024;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// An explicit-FTPS suppaftp session (PROT P), logged in, binary type (setup retried, see
/// [`retry`]).
pub async fn secure_session(
    port: u16,
    config: Arc<rustls::ClientConfig>,
) -> Result<AsyncRustlsFtpStream> {
    let mut ftp = logged_in(port, config).await?;
    ftp.transfer_type(FileType::Binary).await?;
    Ok(ftp)
}

/// connect, AUTH TLS + PBSZ + PROT P, login.
async fn logged_in(port: u16, config: Arc<rustls::ClientConfig>) -> Result<AsyncRustlsFtpStream> {
    retry::setup(port, || async {
        let plain = AsyncRustlsFtpStream::connect_timeout(addr(port), CONNECT_LIMIT).await?;
        let connector =
            AsyncRustlsConnector::from(tokio_rustls::TlsConnector::from(config.clone()));
        let mut ftp = plain.into_secure(connector, TLS_NAME).await?;
        ftp.login(USER, PASSWORD).await?;
        Ok(ftp)
    })
    .await
}

/// A plain FTP suppaftp session, logged in, binary type.
pub async fn plain_session(port: u16) -> Result<AsyncFtpStream> {
    let mut ftp = retry::setup(port, || async {
        let mut ftp = AsyncFtpStream::connect_timeout(addr(port), CONNECT_LIMIT).await?;
        ftp.login(USER, PASSWORD).await?;
        Ok(ftp)
    })
    .await?;
    ftp.transfer_type(FileType::Binary).await?;
    Ok(ftp)
}

/// One bulk transfer with suppaftp; the time covers the transfer command only.
pub async fn bulk(
    fixture: &Fixture,
    port: u16,
    prot: Prot,
    direction: Direction,
    upload: &str,
) -> Result<Duration> {
    let elapsed = match prot {
        Prot::Private => {
            let ftp = secure_session(port, fixture.rustls_client()?).await?;
            transfer(ftp, fixture, direction, upload).await?
        }
        Prot::Clear => transfer(plain_session(port).await?, fixture, direction, upload).await?,
    };
    if direction == Direction::Up {
        fixture.check_upload(upload, fixture.bulk_bytes)?;
    }
    Ok(elapsed)
}

async fn transfer<T: TokioTlsStream + Send>(
    mut ftp: ImplAsyncFtpStream<T>,
    fixture: &Fixture,
    direction: Direction,
    upload: &str,
) -> Result<Duration> {
    let start = Instant::now();
    let n = match direction {
        Direction::Down => {
            let mut buf = vec![0u8; READ_BUFFER];
            retr_into(&mut ftp, BULK_FILE, &mut buf).await?
        }
        Direction::Up => {
            ftp.put_file(upload, &mut Pattern::new(fixture.bulk_bytes))
                .await?
        }
    };
    let elapsed = start.elapsed();
    if n != fixture.bulk_bytes {
        return Err(format!("suppaftp moved {n} bytes, {} expected", fixture.bulk_bytes).into());
    }
    ftp.quit().await?;
    Ok(elapsed)
}

/// RETR through `buf` (contents discarded); returns the byte count.
async fn retr_into<T: TokioTlsStream + Send>(
    ftp: &mut ImplAsyncFtpStream<T>,
    path: &str,
    buf: &mut [u8],
) -> Result<u64> {
    let mut stream = ftp.retr_as_stream(path).await?;
    let mut total = 0u64;
    loop {
        let n = stream.read(buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    stream.finish().await?;
    Ok(total)
}

/// Every small file RETR'd in one PROT P suppaftp session.
pub async fn small(fixture: &Fixture, port: u16, file_bytes: usize) -> Result<Duration> {
    let mut ftp = secure_session(port, fixture.rustls_client()?).await?;
    let mut buf = vec![0u8; READ_BUFFER];
    let start = Instant::now();
    for name in &fixture.small_files {
        let n = retr_into(&mut ftp, name, &mut buf).await?;
        if n != file_bytes as u64 {
            return Err(format!("{name}: {n} bytes, {file_bytes} expected").into());
        }
    }
    let elapsed = start.elapsed();
    ftp.quit().await?;
    Ok(elapsed)
}

/// Connect, AUTH TLS (+ PBSZ/PROT), login, QUIT with suppaftp.
pub async fn login(port: u16, config: Arc<rustls::ClientConfig>) -> Result<()> {
    logged_in(port, config).await?.quit().await?;
    Ok(())
}
