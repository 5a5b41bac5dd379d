//! # ftps-proto
//!
//! A sans-IO FTP/FTPS protocol core.
#![deny(missing_docs)]

pub mod ascii;
pub mod client;
pub mod codec;
mod limits;
pub mod listing;
mod secret;
pub mod server;
pub mod session;
pub mod timeval;
pub mod vpath;

pub use codec::{Command, Reply, ReplyCode, Status};
pub use limits::Limits;
pub use secret::Secret;
