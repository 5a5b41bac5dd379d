//! Async (tokio + rustls) FTPS client and server on the ftps-proto core.
#![deny(missing_docs)]

pub mod client;
mod conn;
pub mod data;
pub mod server;
pub mod stream;

pub use ftps_proto_std::support;
