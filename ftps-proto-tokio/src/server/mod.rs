//! The async FTPS server: [`Server`] accepts control connections and runs one task per
//! session; the [`Storage`] and [`Authenticator`] traits are the application's part.
//!
//! ```no_run
//! use ftps_proto_tokio::server::{LocalFs, Server, ServerOptions, Users};
//! use ftps_proto_tokio::support::{cert::DemoCertificate, tls::{ServerTls, ServerTlsOptions}};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cert = DemoCertificate::generate()?;
//! let tls = ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes(),
//!     ServerTlsOptions::default())?;
//! let options = ServerOptions::new(Some(tls));
//! let storage = LocalFs::new(std::path::Path::new("./ftp-root"))?;
//! let users = Users::new().with_user("demo", "secret");
//! let server = Server::bind("127.0.0.1:2121".parse()?, options, storage, users).await?;
//! let shutdown = server.shutdown_handle();
//! tokio::spawn(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     shutdown.shutdown();
//! });
//! server.serve().await?;
//! # Ok(()) }
//! ```
//!
//! The session driver carries out the core's requests: file operations with [`Storage`]
//! (`STOU` through [`Storage::create_unique`], `SITE` through [`Storage::site`]), logins and
//! `HOST` with [`Authenticator`]; `TYPE A` transfers are converted with
//! [`ftps_proto::ascii`] while copying (listings are sent in the network form as formatted).
//! Data connections under `PROT P` choose their TLS config by direction once the transfer
//! command names them (see [`ftps_proto_std::support::tls`]): TLS 1.3 tickets on downloads,
//! none on uploads.

mod auth;
mod local_fs;
mod session;
mod storage;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

pub use auth::{AuthOutcome, Authenticator, Users};
pub use ftps_proto_std::support::server_options::{PartialUploads, ServerOptions};
pub use local_fs::LocalFs;
pub use storage::{SiteReply, Storage, WriteMode, UNIQUE_NAME_ATTEMPTS};

/// What every session task shares.
struct Shared<S, A> {
    options: ServerOptions,
    storage: Arc<S>,
    auth: A,
}

/// A bound FTPS server. Call [`Server::serve`] to run it.
pub struct Server<S, A> {
    listener: TcpListener,
    shared: Arc<Shared<S, A>>,
    shutdown_tx: watch::Sender<bool>,
}

impl<S, A> std::fmt::Debug for Server<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

/// Stops a running [`Server`] gracefully: no new sessions; each open session is sent `421`
/// and closed (transfers in progress are aborted).
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    tx: watch::Sender<bool>,
}

impl ShutdownHandle {
    /// Starts the shutdown. [`Server::serve`] returns once every session ended (or the grace
    /// period passed).
    pub fn shutdown(&self) {
        let _ = self.tx.send(true);
    }
}

impl<S: Storage, A: Authenticator> Server<S, A> {
    /// Binds the control listener.
    pub async fn bind(
        addr: SocketAddr,
        options: ServerOptions,
        storage: S,
        auth: A,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let (shutdown_tx, _) = watch::channel(false);
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                options,
                storage: Arc::new(storage),
                auth,
            }),
            shutdown_tx,
        })
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops [`Server::serve`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            tx: self.shutdown_tx.clone(),
        }
    }

    /// Accepts connections until shut down, one task per session.
    pub async fn serve(self) -> io::Result<()> {
        let mut sessions = JoinSet::new();
        let mut shutdown = self.shutdown_tx.subscribe();
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    while sessions.try_join_next().is_some() {}
                    if sessions.len() >= self.shared.options.max_sessions {
                        info!(%peer, "too many sessions; connection closed");
                        drop(tcp);
                        continue;
                    }
                    let shared = self.shared.clone();
                    let rx = self.shutdown_tx.subscribe();
                    sessions.spawn(session::run(tcp, peer, shared, rx));
                }
                _ = shutdown.changed() => {}
            }
        }
        drop(self.listener);
        let grace = self.shared.options.shutdown_grace;
        let all_done = async { while sessions.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_done).await.is_err() {
            sessions.abort_all();
        }
        Ok(())
    }
}
