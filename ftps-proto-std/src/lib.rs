//! Blocking (std::net + rustls) FTPS client and server on the ftps-proto core.
#![deny(missing_docs)]
pub mod support;
