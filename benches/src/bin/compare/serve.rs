//! The child side: `compare serve KIND ROOT CERT KEY` runs one server on 127.0.0.1, prints
//! `READY port [port]`, and exits when its standard input closes (the parent went away).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ftps_proto_std::support::tls::{ServerTls, ServerTlsOptions};

use crate::child::ServerKind;
use crate::fixture::{PASSWORD, USER};
use crate::Result;

/// The hidden subcommand.
pub const SUBCOMMAND: &str = "serve";

/// Sessions may sit idle (memory measurement) and log in slowly (login waves) without being
/// closed by a timer.
const LONG: Duration = Duration::from_secs(3600);

/// Most sessions at once for our servers: no cap in the way of the memory measurement.
const MAX_SESSIONS: usize = 1_000_000;

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// Runs the server named by `args` (`KIND ROOT CERT KEY`) until standard input closes.
pub fn run(args: &[String]) -> Result<()> {
    let [kind, root, cert, key] = args else {
        return Err("usage: compare serve KIND ROOT CERT KEY".into());
    };
    let kind = ServerKind::parse(kind).ok_or_else(|| format!("unknown server kind {kind:?}"))?;
    let (root, cert, key) = (PathBuf::from(root), PathBuf::from(cert), PathBuf::from(key));
    exit_when_stdin_closes();
    match kind {
        ServerKind::OursTokio => {
            let storage = ftps_proto_tokio::server::LocalFs::new(&root)?;
            serve_ours_tokio(storage, &cert, &key)
        }
        ServerKind::OursTokioMemory => {
            let len = std::fs::metadata(root.join(crate::fixture::BULK_FILE))?.len();
            serve_ours_tokio(crate::memstore::MemoryStorage::new(len), &cert, &key)
        }
        ServerKind::OursStd => serve_ours_std(&root, &cert, &key),
        ServerKind::Libunftp => serve_libunftp(&root, &cert, &key),
        ServerKind::Raw => runtime()?.block_on(crate::raw::serve(&root, &cert, &key)),
    }
}

/// Tells the parent the ports.
pub fn announce(ports: &[u16]) -> Result<()> {
    let words: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY {}", words.join(" "))?;
    out.flush()?;
    Ok(())
}

fn exit_when_stdin_closes() {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => std::process::exit(0),
                Ok(_) => {}
            }
        }
    });
}

/// The multi-threaded runtime every async server runs on (one worker per core).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Our servers' TLS: the library defaults, except that `COMPARE_CONTROL_TICKETS=n` sets the
/// TLS 1.3 tickets sent per control connection (for exploring their cost; unset in the report).
fn server_tls(cert: &Path, key: &Path) -> Result<ServerTls> {
    let mut options = ServerTlsOptions::default();
    if let Some(n) = std::env::var("COMPARE_CONTROL_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.control_tickets = n;
    }
    Ok(ServerTls::from_pem_files(cert, key, options)?)
}

/// Our servers' session policy for the comparison: explicit FTPS offered, plain logins allowed
/// (suppaftp sends `PROT C` only without TLS), long timers; everything else default.
fn tune(session: &mut ftps_proto::server::ServerConfig) {
    session.tls = ftps_proto::server::ServerTls::Explicit {
        required_for_login: false,
    };
    session.idle_timeout = LONG;
    session.login_timeout = LONG;
}

fn serve_ours_tokio<S: ftps_proto_tokio::server::Storage>(
    storage: S,
    cert: &Path,
    key: &Path,
) -> Result<()> {
    use ftps_proto_tokio::server::{Server, ServerOptions, Users};
    let mut options = ServerOptions::new(Some(server_tls(cert, key)?));
    tune(&mut options.session);
    options.max_sessions = MAX_SESSIONS;
    let users = Users::new().with_user(USER, PASSWORD);
    runtime()?.block_on(async {
        let server = Server::bind(LOOPBACK, options, storage, users).await?;
        announce(&[server.local_addr()?.port()])?;
        server.serve().await?;
        Ok(())
    })
}

fn serve_ours_std(root: &Path, cert: &Path, key: &Path) -> Result<()> {
    use ftps_proto_std::server::{LocalFs, Server, ServerOptions, Users};
    let mut options = ServerOptions::new(Some(server_tls(cert, key)?));
    tune(&mut options.session);
    options.max_sessions = MAX_SESSIONS;
    let users = Users::new().with_user(USER, PASSWORD);
    let server = Server::bind(LOOPBACK, options, LocalFs::new(root)?, users)?;
    announce(&[server.local_addr()?.port()])?;
    server.serve()?;
    Ok(())
}

/// libunftp as its quick start shows it: filesystem backend, FTPS from PEM files, the default
/// authenticator (any user), default TLS flags; only the idle timeout raised.
fn serve_libunftp(root: &Path, cert: &Path, key: &Path) -> Result<()> {
    // Fail here, not in the backend factory below (which cannot return an error).
    unftp_sbe_fs::Filesystem::new(root)?;
    let owned = root.to_path_buf();
    let server =
        libunftp::ServerBuilder::new(Box::new(move || {
            match unftp_sbe_fs::Filesystem::new(owned.clone()) {
                Ok(fs) => fs,
                Err(e) => {
                    eprintln!("libunftp backend: {e}");
                    std::process::exit(1)
                }
            }
        }))
        .ftps(cert.to_path_buf(), key.to_path_buf())
        .idle_session_timeout(LONG.as_secs())
        .build()?;
    // libunftp binds by itself and does not tell the port: take a free one.
    let port = StdListener::bind(LOOPBACK)?.local_addr()?.port();
    runtime()?.block_on(async move {
        let serving = tokio::spawn(server.listen(format!("127.0.0.1:{port}")));
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_err()
        {
            if Instant::now() > deadline || serving.is_finished() {
                return Err(format!("libunftp is not listening on port {port}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        announce(&[port])?;
        serving.await??;
        Ok(())
    })
}
