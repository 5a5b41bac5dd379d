//! Async (tokio + rustls) FTPS client and server on the ftps-proto core.
//!
//! The adapter is thin: the core ([`ftps_proto`]) makes every protocol decision; this crate
//! moves bytes (control connection, data connections), runs rustls (explicit and implicit
//! FTPS, CCC, data-channel TLS with the FTP client always the TLS client) and the timers.
//!
//! - [`server`]: [`server::Server`] with the [`server::Storage`] and [`server::Authenticator`]
//!   traits and a jailed local-filesystem storage, [`server::LocalFs`].
//! - [`client`]: [`client::Client`], connect / login / transfers / file commands.
//! - [`support`]: TLS configs, demo certificates, path mapping and CLI types shared with the
//!   std adapter.
//!
//! Memory: a server's control connections run TLS on rustls's unbuffered API
//! ([`stream::ControlTls`]), whose buffers are freed whenever they are drained, so an idle
//! logged-in FTPS session costs about 10 KiB (see `BENCHMARKS.md`). Data connections use
//! `tokio-rustls`.
//!
//! See the `ftps-server` and `ftps-client` examples for complete programs.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client;
mod conn;
mod control_tls;
pub mod data;
pub mod server;
pub mod stream;

pub use ftps_proto_std::support;
