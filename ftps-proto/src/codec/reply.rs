//! [`Reply`]: a server reply (single or multi-line), its decoder and its encoder.

use std::borrow::Cow;

/// A three-digit reply code, 100..=599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// A code from a number; `None` outside 100..=599.
    pub const fn new(code: u16) -> Option<ReplyCode> {
        if code >= 100 && code <= 599 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }
}

/// One reply: a code and its text lines (joined with `\n`, without the code prefixes of the
/// first and last line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<'a> {
    code: ReplyCode,
    text: Cow<'a, [u8]>,
}

impl<'a> Reply<'a> {
    /// A reply with this code and text (lines separated by `\n`).
    pub fn new(code: ReplyCode, text: impl Into<Cow<'a, [u8]>>) -> Self {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text, lines joined by `\n`.
    pub fn text(&self) -> &[u8] {
        &self.text
    }
}

/// Assembles reply lines into [`Reply`]s, within the limits.
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    lines: Vec<u8>,
}
