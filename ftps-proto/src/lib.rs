//! # ftps-proto
//!
//! A sans-IO FTP/FTPS protocol core for both roles, client and server. It never touches a
//! socket, a clock, a thread or a TLS library: it consumes control-channel bytes and tells its
//! caller (an adapter such as `ftps-proto-tokio` or `ftps-proto-std`, a test, a fuzz harness)
//! what to send and what to do.
//!
//! ```
//! use ftps_proto::codec::{parse_command, Status};
//! use ftps_proto::{Command, Limits, Reply, ReplyCode};
//!
//! // The codec: borrowed, bounded, exact.
//! let buf = b"RETR caf\xc3\xa9.txt\r\nQUIT\r\n";
//! let Ok(Status::Complete((used, cmd))) = parse_command(buf, &Limits::default()) else {
//!     panic!("a whole command is there");
//! };
//! assert_eq!(used, 16);
//! assert_eq!(cmd, Command::Retr("café.txt".as_bytes().into()));
//!
//! // Encoders refuse what would split a line (command injection): nothing is written.
//! let mut out = Vec::new();
//! assert!(Command::Dele(b"x\r\nDELE y".as_slice().into()).encode(&mut out).is_err());
//! assert!(out.is_empty());
//!
//! // Replies: multi-line with padding so no inner line can end the reply early.
//! Reply::new(ReplyCode::C211, &b"Features:\n257 looks like a code\nEnd"[..]).encode(&mut out).unwrap();
//! assert_eq!(out, b"211-Features:\r\n 257 looks like a code\r\n211 End\r\n");
//! ```
//!
//! ## The sessions: handle, then drain
//!
//! [`server::ServerSession`] and [`client::ClientSession`] are state machines with one shape:
//!
//! - inputs `handle_input(now, bytes)`, `handle_eof(now)`, `handle_timeout(now)`,
//!   `handle_tls(now, TlsEvent)`, `handle_data(now, DataId, DataEvent)`;
//! - mutators: the client enqueues operations (`login`, `command`, `transfer`, `abort`) and
//!   gets an opaque [`client::OpId`] back; the server's application answers the requests it was
//!   given (`respond`);
//! - one ordered drain, `poll_output()`, called after **every** input or mutation until it
//!   returns `Timeout(deadline)`: `Transmit(bytes)`, `StartTls { role }`, `StopTls`,
//!   `Data(DataAction)`, `Event(..)`, `Close(reason)`. The order matters: bytes emitted before
//!   a `StartTls` go out in plaintext, bytes after it inside TLS.
//! - `poll_timeout()` gives the next deadline; call `handle_timeout(now)` once it passes.
//!
//! Data bytes never pass through the core: the adapter moves them and reports with
//! [`session::DataEvent`]s when a data connection opened and how it ended. The core decides
//! when one may open, whether it must be TLS (and resume the control session), whether its
//! peer is acceptable, and how the transfer ends (`226` needs both the data end and the reply).
//! See the module docs of [`server`] and [`client`] for a complete drive loop.
//!
//! ## Errors
//!
//! - Caller misuse is a `LocalError` returned as `Err`, with the state unchanged (for example
//!   a CR or LF in a client argument: nothing is sent).
//! - A peer that breaks the protocol gets a reply (server: `500`, `501`, `503` ...) or an
//!   event (client: a protocol violation), and `Close(reason)` when the session cannot go on.
//! - Nothing a peer sends makes either side panic or buffer without bound: every buffer is
//!   bounded by [`Limits`] or a documented constant.
//!
//! ## Modules
//!
//! | module | holds |
//! | --- | --- |
//! | [`codec`] | commands, replies, typed arguments, reply bodies, line framing |
//! | [`server`] | the server session |
//! | [`client`] | the client session |
//! | [`session`] | TLS and data-connection events and actions shared by both |
//! | [`listing`] | MLSD/MLST facts, `ls -l` and DOS listing parsers, formatters |
//! | [`timeval`] | `YYYYMMDDHHMMSS[.fff]` times |
//! | [`vpath`] | the virtual path resolver: the storage jail |
//! | [`ascii`] | `TYPE A` line-end conversion |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod ascii;
pub mod client;
pub mod codec;
#[cfg(feature = "testing")]
pub mod harness;
mod limits;
pub mod listing;
#[cfg(feature = "testing")]
pub mod pair;
mod secret;
pub mod server;
pub mod session;
pub mod timeval;
pub mod vpath;

pub use codec::{Command, Reply, ReplyCode, Status};
pub use limits::Limits;
pub use secret::Secret;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
