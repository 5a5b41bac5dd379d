//! Helpers shared by the std and tokio adapters that are not I/O, so that each rule lives once:
//!
//! - TLS and certificates: rustls configuration ([`tls`]), the demo certificate ([`cert`]),
//!   the client's check that data connections present the control connection's certificate
//!   ([`certificate_pin`]), the SNI of a server's control connection ([`server_name`]),
//!   the data connections' TLS role and direction bookkeeping ([`data_tls`]);
//! - the local filesystem: path mapping and jail ([`fs`]), the local-filesystem storage
//!   ([`local_fs`]);
//! - transfers: representation, line-end conversion, copy outcomes ([`transfer`]);
//! - the client: [`connect`] options, the [`client_error`] type, the drivers' bookkeeping
//!   ([`client_book`]), listings ([`remote`]), resume offsets ([`resume`]);
//! - the server: options ([`server_options`]), users ([`users`]), storage types
//!   ([`storage`]), and requests mapped to storage calls as data ([`answer`]);
//! - the examples' command-line types and output (`cli`, with the `cli` feature).
//!
//! Everything here is synchronous, so both adapters use it as is.

pub mod answer;
pub mod cert;
pub mod certificate_pin;
#[cfg(feature = "cli")]
pub mod cli;
pub mod client_book;
pub mod client_error;
pub mod connect;
pub mod data_ports;
pub mod data_tls;
pub mod drive;
pub mod fs;
pub mod local_fs;
pub mod remote;
pub mod resume;
pub mod server_name;
pub mod server_options;
pub mod session_cache;
pub mod session_ticketer;
pub mod storage;
pub mod tls;
pub mod transfer;
pub mod users;
