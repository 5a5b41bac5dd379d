//! The control-channel codec: commands, replies, their typed arguments and bodies, and framing.

pub mod args;
pub mod command;
mod command_encode;
mod command_parse;
pub mod error;
pub mod framing;
pub mod reply;
pub mod reply_body;

pub use args::*;
pub use command::{Bytes, Command, Verb};
pub use command_parse::parse_command;
pub use error::{CommandError, EncodeError, FrameError, ReplyError, StreamError};
pub use framing::{LineBuffer, LineEnding};
pub use reply::{Reply, ReplyAssembler, ReplyCode};

/// The outcome of parsing from a buffer that may hold an incomplete item (httparse style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole item, usually with how many bytes it consumed.
    Complete(T),
    /// More bytes are needed; this is never an error.
    Partial,
}
