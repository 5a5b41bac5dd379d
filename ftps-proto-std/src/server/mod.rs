//! The blocking FTPS server: [`Server`] accepts control connections and runs one thread per
//! session; the [`Storage`] and [`Authenticator`] traits are the application's part.
//!
//! ```no_run
//! use ftps_proto_std::server::{LocalFs, Server, ServerOptions, Users};
//! use ftps_proto_std::support::{cert::DemoCertificate, tls::{ServerTls, ServerTlsOptions}};
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cert = DemoCertificate::generate()?;
//! let tls = ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes(),
//!     ServerTlsOptions::default())?;
//! let options = ServerOptions::new(Some(tls));
//! let storage = LocalFs::new(std::path::Path::new("./ftp-root"))?;
//! let users = Users::new().with_user("demo", "secret");
//! let server = Server::bind("127.0.0.1:2121".parse()?, options, storage, users)?;
//! let shutdown = server.shutdown_handle();
//! std::thread::spawn(move || {
//!     std::thread::sleep(std::time::Duration::from_secs(3600));
//!     shutdown.shutdown();
//! });
//! server.serve()?;
//! # Ok(()) }
//! ```
//!
//! Each session thread reads its control connection with socket timeouts taken from the
//! core's next deadline (`poll_timeout`), so every timer of the core fires on time. Data
//! connections run on their own threads and report back over a channel; while one is open the
//! session thread polls its control connection every few milliseconds so that their events are
//! handled promptly.

mod auth;
mod local_fs;
mod session;
mod storage;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::{info, warn};

pub use crate::support::server_options::{PartialUploads, ServerOptions};
pub use auth::{AuthOutcome, Authenticator, Users};
pub use local_fs::{file_info, LocalFs};
pub use storage::{SiteReply, Storage, WriteMode, UNIQUE_NAME_ATTEMPTS};

/// What every session thread shares.
struct Shared<S, A> {
    options: ServerOptions,
    storage: Arc<S>,
    auth: A,
}

/// A bound FTPS server. Call [`Server::serve`] to run it.
pub struct Server<S, A> {
    listener: TcpListener,
    shared: Arc<Shared<S, A>>,
    shutdown: ShutdownHandle,
}

impl<S, A> std::fmt::Debug for Server<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

/// Stops a running [`Server`] gracefully: no new sessions; each open session is sent `421`
/// and closed (transfers in progress are aborted). Cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    flag: Arc<AtomicBool>,
    /// The listener's address, connected to once to wake a blocked `accept`.
    wake: SocketAddr,
}

impl ShutdownHandle {
    /// Starts the shutdown. [`Server::serve`] returns once every session ended (or the grace
    /// period passed).
    pub fn shutdown(&self) {
        if !self.flag.swap(true, Ordering::SeqCst) {
            let _ = TcpStream::connect_timeout(&self.wake, Duration::from_secs(1));
        }
    }

    /// Whether [`ShutdownHandle::shutdown`] was called.
    pub fn is_shutdown(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The address that reaches a listener bound on `addr` (loopback for an unspecified IP).
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// A clone of a session's control socket, shared by the session thread (which shuts it down
/// and drops it when the session ends) and [`Server::serve`] (which shuts it down when the
/// session outlives the shutdown grace).
type ControlHandle = Arc<Mutex<Option<TcpStream>>>;

/// Shuts down the socket behind `handle` (once), so the peer sees the close even while
/// other handles of it are still open.
fn shut_control(handle: &ControlHandle) {
    let mut control = handle.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(tcp) = control.take() {
        let _ = tcp.shutdown(Shutdown::Both);
    }
}

/// A running session thread and a handle on its control socket.
struct Running {
    join: JoinHandle<()>,
    control: ControlHandle,
}

impl<S: Storage, A: Authenticator> Server<S, A> {
    /// Binds the control listener.
    pub fn bind(addr: SocketAddr, options: ServerOptions, storage: S, auth: A) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let wake = wake_address(listener.local_addr()?);
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                options,
                storage: Arc::new(storage),
                auth,
            }),
            shutdown: ShutdownHandle {
                flag: Arc::new(AtomicBool::new(false)),
                wake,
            },
        })
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops [`Server::serve`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Accepts connections until shut down, one thread per session; then waits for the
    /// sessions to end (at most [`ServerOptions::shutdown_grace`], after which their control
    /// connections are closed).
    pub fn serve(self) -> io::Result<()> {
        let mut sessions: Vec<Running> = Vec::new();
        while !self.shutdown.is_shutdown() {
            let (tcp, peer) = match self.listener.accept() {
                Ok(x) => x,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            if self.shutdown.is_shutdown() {
                break;
            }
            sessions.retain(|s| !s.join.is_finished());
            if sessions.len() >= self.shared.options.max_sessions {
                info!(%peer, "too many sessions; connection closed");
                continue;
            }
            let control: ControlHandle = Arc::new(Mutex::new(tcp.try_clone().ok()));
            let shared = self.shared.clone();
            let flag = self.shutdown.flag.clone();
            let handle = control.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ftps-session-{peer}"))
                .spawn(move || {
                    session::run(tcp, peer, shared, flag);
                    shut_control(&handle);
                });
            match spawned {
                Ok(join) => sessions.push(Running { join, control }),
                Err(e) => warn!(%peer, error = %e, "cannot start a session thread"),
            }
        }
        drop(self.listener);
        let deadline = Instant::now() + self.shared.options.shutdown_grace;
        while sessions.iter().any(|s| !s.join.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        for s in &sessions {
            if !s.join.is_finished() {
                shut_control(&s.control);
            }
        }
        for s in sessions {
            if s.join.is_finished() {
                let _ = s.join.join();
            }
        }
        Ok(())
    }
}
