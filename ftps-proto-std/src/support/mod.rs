//! Helpers shared by the std and tokio adapters that are not protocol: rustls configuration
//! ([`tls`]), the demo certificate ([`cert`]), the local-filesystem path mapping ([`fs`]) and the
//! examples' command-line types (`cli`, with the `cli` feature).
//!
//! Everything here is synchronous, so both adapters use it as is.

pub mod cert;
#[cfg(feature = "cli")]
pub mod cli;
pub mod fs;
pub mod tls;
