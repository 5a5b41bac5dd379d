//! Our clients: `ftps_proto_tokio::client::Client` and `ftps_proto_std::client::Client`, used
//! as their docs show (explicit FTPS, the demo certificate trusted, passive mode).

use std::time::{Duration, Instant};

use ftps_proto::codec::ProtectionLevel;
use ftps_proto_std::support::tls::ClientTls;

use crate::fixture::{Fixture, BULK_FILE, PASSWORD, TLS_NAME, USER};
use crate::payload::Pattern;
use crate::raw::Direction;
use crate::{retry, Result};

/// Data protection of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prot {
    /// `PROT P`: data connections are TLS.
    Private,
    /// `PROT C`: data connections are plain TCP.
    Clear,
}

fn level(prot: Prot) -> ProtectionLevel {
    match prot {
        Prot::Private => ProtectionLevel::Private,
        Prot::Clear => ProtectionLevel::Clear,
    }
}

fn check(what: &str, got: u64, expected: u64) -> Result<()> {
    if got != expected {
        return Err(format!("{what}: {got} bytes moved, {expected} expected").into());
    }
    Ok(())
}

/// An explicit-FTPS session of our tokio client, logged in (setup retried, see [`retry`]).
pub async fn tokio_session(
    port: u16,
    prot: Prot,
    tls: ClientTls,
) -> Result<ftps_proto_tokio::client::Client> {
    retry::setup(port, || tokio_session_once(port, prot, tls.clone())).await
}

async fn tokio_session_once(
    port: u16,
    prot: Prot,
    tls: ClientTls,
) -> Result<ftps_proto_tokio::client::Client> {
    use ftps_proto_tokio::client::{Client, ConnectOptions};
    let mut options = ConnectOptions::explicit(tls);
    options.server_name = Some(TLS_NAME.to_owned());
    options.config.protection = level(prot);
    let mut client = Client::connect("127.0.0.1", port, options).await?;
    client.login(USER, PASSWORD).await?;
    Ok(client)
}

/// One bulk transfer with our tokio client; the time covers the transfer command only. An
/// upload is checked on disk when `stored`.
pub async fn tokio_bulk(
    fixture: &Fixture,
    port: u16,
    prot: Prot,
    direction: Direction,
    upload: &str,
    stored: bool,
) -> Result<Duration> {
    let mut client = tokio_session(port, prot, fixture.ours_tls()?).await?;
    let start = Instant::now();
    match direction {
        Direction::Down => {
            let n = client.retr(BULK_FILE, &mut tokio::io::sink()).await?;
            check("RETR", n, fixture.bulk_bytes)?;
        }
        Direction::Up => {
            let n = client
                .stor(upload, &mut Pattern::new(fixture.bulk_bytes))
                .await?;
            check("STOR", n, fixture.bulk_bytes)?;
        }
    }
    let elapsed = start.elapsed();
    client.quit().await?;
    if direction == Direction::Up && stored {
        fixture.check_upload(upload, fixture.bulk_bytes)?;
    }
    Ok(elapsed)
}

/// Every small file RETR'd in one `PROT P` session of our tokio client.
pub async fn tokio_small(fixture: &Fixture, port: u16, file_bytes: usize) -> Result<Duration> {
    let mut client = tokio_session(port, Prot::Private, fixture.ours_tls()?).await?;
    let mut buf = Vec::with_capacity(file_bytes);
    let start = Instant::now();
    for name in &fixture.small_files {
        buf.clear();
        let n = client.retr(name, &mut buf).await?;
        check(name, n, file_bytes as u64)?;
    }
    let elapsed = start.elapsed();
    client.quit().await?;
    Ok(elapsed)
}

/// Connect, AUTH TLS, login, QUIT with our tokio client.
pub async fn tokio_login(port: u16, tls: ClientTls) -> Result<()> {
    let client = tokio_session(port, Prot::Private, tls).await?;
    client.quit().await?;
    Ok(())
}

/// An explicit-FTPS session of our std client, logged in (setup retried, see [`retry`]).
pub fn std_session(
    port: u16,
    prot: Prot,
    tls: ClientTls,
) -> Result<ftps_proto_std::client::Client> {
    retry::setup_blocking(port, || std_session_once(port, prot, tls.clone()))
}

fn std_session_once(
    port: u16,
    prot: Prot,
    tls: ClientTls,
) -> Result<ftps_proto_std::client::Client> {
    use ftps_proto_std::client::{Client, ConnectOptions};
    let mut options = ConnectOptions::explicit(tls);
    options.server_name = Some(TLS_NAME.to_owned());
    options.config.protection = level(prot);
    let mut client = Client::connect("127.0.0.1", port, options)?;
    client.login(USER, PASSWORD)?;
    Ok(client)
}

/// One bulk transfer with our std client; the time covers the transfer command only.
pub fn std_bulk(
    fixture: &Fixture,
    port: u16,
    prot: Prot,
    direction: Direction,
    upload: &str,
) -> Result<Duration> {
    let mut client = std_session(port, prot, fixture.ours_tls()?)?;
    let start = Instant::now();
    match direction {
        Direction::Down => {
            let n = client.retr(BULK_FILE, &mut std::io::sink())?;
            check("RETR", n, fixture.bulk_bytes)?;
        }
        Direction::Up => {
            let n = client.stor(upload, &mut Pattern::new(fixture.bulk_bytes))?;
            check("STOR", n, fixture.bulk_bytes)?;
        }
    }
    let elapsed = start.elapsed();
    client.quit()?;
    if direction == Direction::Up {
        fixture.check_upload(upload, fixture.bulk_bytes)?;
    }
    Ok(elapsed)
}

/// Every small file RETR'd in one `PROT P` session of our std client.
pub fn std_small(fixture: &Fixture, port: u16, file_bytes: usize) -> Result<Duration> {
    let mut client = std_session(port, Prot::Private, fixture.ours_tls()?)?;
    let mut buf = Vec::with_capacity(file_bytes);
    let start = Instant::now();
    for name in &fixture.small_files {
        buf.clear();
        let n = client.retr(name, &mut buf)?;
        check(name, n, file_bytes as u64)?;
    }
    let elapsed = start.elapsed();
    client.quit()?;
    Ok(elapsed)
}

/// Connect, AUTH TLS, login, QUIT with our std client.
pub fn std_login(port: u16, tls: ClientTls) -> Result<()> {
    std_session(port, Prot::Private, tls)?.quit()?;
    Ok(())
}
