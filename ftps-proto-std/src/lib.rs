//! Blocking (std::net + rustls) FTPS client and server on the ftps-proto core.
//!
//! The adapter is thin: the core ([`ftps_proto`]) makes every protocol decision; this crate
//! moves bytes (control connection, data connections), runs rustls (explicit and implicit
//! FTPS, CCC, data-channel TLS with the FTP client always the TLS client) and turns the core's
//! deadlines into socket timeouts. No async runtime is involved: the server runs one thread
//! per session and one per open data connection; the client runs on the caller's thread (plus
//! a short-lived thread that opens each data connection).
//!
//! - [`server`]: [`server::Server`] with the [`server::Storage`] and [`server::Authenticator`]
//!   traits and a jailed local-filesystem storage, [`server::LocalFs`].
//! - [`client`]: [`client::Client`], connect / login / transfers / file commands.
//! - [`support`]: TLS configs, demo certificates, path mapping and CLI types, shared with the
//!   tokio adapter.
//!
//! A server and a client in one process:
//!
//! ```
//! use ftps_proto_std::client::{Client, ConnectOptions};
//! use ftps_proto_std::server::{LocalFs, Server, ServerOptions, Users};
//! use ftps_proto_std::support::cert::DemoCertificate;
//! use ftps_proto_std::support::tls::{certificates_from_pem, ClientTls, ServerTls,
//!     ServerTlsOptions, ServerVerification};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cert = DemoCertificate::generate()?;
//! let tls = ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes(),
//!     ServerTlsOptions::default())?;
//! let root = std::env::temp_dir().join(format!("ftps-std-doc-{}", std::process::id()));
//! let server = Server::bind("127.0.0.1:0".parse()?, ServerOptions::new(Some(tls)),
//!     LocalFs::create(&root)?, Users::new().with_user("demo", "pw"))?;
//! let port = server.local_addr()?.port();
//! let shutdown = server.shutdown_handle();
//! let serving = std::thread::spawn(move || server.serve());
//!
//! let roots = certificates_from_pem(cert.cert_pem.as_bytes())?;
//! let tls = ClientTls::new(ServerVerification::Roots(roots), None)?;
//! let mut client = Client::connect("localhost", port, ConnectOptions::explicit(tls))?;
//! client.login("demo", "pw")?;
//! client.stor("hello.txt", &mut &b"hello, FTPS"[..])?;
//! let mut back = Vec::new();
//! client.retr("hello.txt", &mut back)?;
//! assert_eq!(back, b"hello, FTPS");
//! client.quit()?;
//!
//! shutdown.shutdown();
//! serving.join().unwrap()?;
//! # std::fs::remove_dir_all(&root)?;
//! # Ok(()) }
//! ```
//!
//! See the `ftps-server` and `ftps-client` examples for complete programs; they take exactly
//! the same flags as the tokio adapter's.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!(
    "ftps-proto-std needs a rustls crypto provider: enable the `aws-lc-rs` (default) or the \
     `ring` feature"
);

pub mod client;
mod conn;
pub mod data;
pub mod server;
pub mod stream;
pub mod support;
