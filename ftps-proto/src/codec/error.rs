//! Codec errors.

use std::fmt;

/// Why a command line could not be decoded. The server turns these into `500`/`501`/`504`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The line was empty or only spaces.
    Empty,
    /// The verb is not 1-16 ASCII letters (RFC 959 §5.3: 3-4 letters) followed by SP or EOL.
    InvalidVerb,
    /// The verb needs an argument that is missing. Server reply: `501`.
    MissingArgument,
    /// The verb takes no argument but one was given. Server reply: `501`.
    UnexpectedArgument,
    /// The argument does not follow the verb's grammar. Server reply: `501`.
    InvalidArgument,
    /// A number in the argument overflows its type. Server reply: `501`.
    NumberOverflow,
    /// The argument is well formed but names a parameter the codec does not know (e.g.
    /// `TYPE X`, `MODE Q`, `STRU Z`). Server reply: `504`.
    UnsupportedParameter,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommandError::Empty => "empty command line",
            CommandError::InvalidVerb => "invalid command verb",
            CommandError::MissingArgument => "missing argument",
            CommandError::UnexpectedArgument => "unexpected argument",
            CommandError::InvalidArgument => "invalid argument syntax",
            CommandError::NumberOverflow => "number out of range",
            CommandError::UnsupportedParameter => "unsupported parameter",
        })
    }
}

impl std::error::Error for CommandError {}

/// Why a reply could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line does not start with a three-digit code (first digit 1-5) followed by SP, `-`
    /// or the line end.
    InvalidCode,
    /// The reply has more lines than [`Limits::max_reply_lines`](crate::Limits).
    TooManyLines,
    /// The reply has more bytes than [`Limits::max_reply_bytes`](crate::Limits).
    TooLong,
    /// The reply body does not hold what this reply code must carry (e.g. a `227` without
    /// six numbers).
    InvalidBody,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyError::InvalidCode => "reply line without a valid reply code",
            ReplyError::TooManyLines => "multi-line reply has too many lines",
            ReplyError::TooLong => "reply is too long",
            ReplyError::InvalidBody => "reply text does not hold the expected value",
        })
    }
}

impl std::error::Error for ReplyError {}

/// Line-framing errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// A line was longer than the limit; its bytes were discarded up to the next line end.
    LineTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::LineTooLong { limit } => write!(f, "line longer than {limit} bytes"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Why something could not be encoded. Nothing was written to the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// An argument holds CR, LF or NUL, which would split the line (command injection).
    ForbiddenByte {
        /// The offending byte.
        byte: u8,
    },
    /// An argument is not representable in this command (e.g. empty path, a space in a user
    /// name where the grammar forbids it, an IPv6 address in `PORT`).
    InvalidArgument,
    /// The reply code is not in 100..=599.
    InvalidReplyCode,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::ForbiddenByte { byte } => {
                write!(f, "argument holds forbidden byte 0x{byte:02x}")
            }
            EncodeError::InvalidArgument => f.write_str("argument cannot be encoded"),
            EncodeError::InvalidReplyCode => f.write_str("reply code out of range"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why [`parse_command`](crate::codec::parse_command) could not return a command from a stream
/// buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// The line is over the length limit. When the error is reported before the line end
    /// arrived, the caller must discard bytes up to the next CRLF itself ([`LineBuffer`] does
    /// that).
    ///
    /// [`LineBuffer`]: crate::codec::LineBuffer
    Frame(FrameError),
    /// A whole line arrived but is not a valid command. Skip `consumed` bytes (the line and
    /// its CRLF) to go on with the next command.
    Command {
        /// Why the line is not a valid command.
        error: CommandError,
        /// The length of the line, its CRLF included.
        consumed: usize,
    },
}

impl StreamError {
    /// How many bytes to skip to reach the next line, when the line end was seen.
    pub fn consumed(&self) -> Option<usize> {
        match self {
            StreamError::Frame(_) => None,
            StreamError::Command { consumed, .. } => Some(*consumed),
        }
    }
}

impl From<FrameError> for StreamError {
    fn from(e: FrameError) -> Self {
        StreamError::Frame(e)
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Frame(e) => e.fmt(f),
            StreamError::Command { error, .. } => error.fmt(f),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Frame(e) => Some(e),
            StreamError::Command { error, .. } => Some(error),
        }
    }
}
