//! [`Reply`]: a server reply (single or multi-line), its decoder and its encoder.
//!
//! The line rules of RFC 959 §4.2 live here once and serve both decoders:
//! [`Reply::parse`] (httparse style, on a raw buffer) and [`ReplyAssembler`] (fed the lines a
//! [`LineBuffer`](crate::codec::LineBuffer) produces).
//!
//! - A reply is `CODE SP text`, a bare `CODE`, or a multi-line reply that opens with
//!   `CODE-text` and ends at the first line that starts with the same `CODE SP` or is exactly
//!   `CODE` (REP-FORMAT, REP-MULTI, REP-BARE). Lines in between are text, whatever digits they
//!   start with.
//! - In a protected reply (`631`/`632`/`633`, RFC 2228 §5.2) every line but the last starts with
//!   `CODE-`; that prefix is removed from the inner lines too, so each line of the text is one
//!   base64 fragment (S2228-6YZ).
//! - The text keeps the lines joined by `\n`, without the code prefixes.
//!
//! ```
//! use ftps_proto::{Limits, Reply, ReplyCode, Status};
//!
//! let wire = b"211-Features:\r\n SIZE\r\n211 End\r\n220 next";
//! let Status::Complete((used, reply)) = Reply::parse(wire, &Limits::default())? else {
//!     panic!("the reply is complete");
//! };
//! assert_eq!(used, wire.len() - 8); // the start of the next reply is left in the buffer
//! assert_eq!(reply.code(), ReplyCode::C211);
//! assert!(reply.code().is_completion());
//! let lines: Vec<&[u8]> = reply.lines().collect();
//! assert_eq!(lines, [&b"Features:"[..], b" SIZE", b"End"]);
//!
//! let mut out = Vec::new();
//! reply.encode(&mut out)?;
//! assert_eq!(out, &wire[..used]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::codec::error::{EncodeError, ReplyError};
use crate::codec::Status;
use crate::Limits;

/// A three-digit reply code, 100..=699 (the 6yz codes are the RFC 2228 protected replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `110`: Restart marker reply.
    pub const C110: ReplyCode = ReplyCode(110);
    /// `120`: Service ready in nnn minutes.
    pub const C120: ReplyCode = ReplyCode(120);
    /// `125`: Data connection already open; transfer starting.
    pub const C125: ReplyCode = ReplyCode(125);
    /// `150`: File status okay; about to open data connection.
    pub const C150: ReplyCode = ReplyCode(150);
    /// `200`: Command okay.
    pub const C200: ReplyCode = ReplyCode(200);
    /// `202`: Command not implemented, superfluous at this site.
    pub const C202: ReplyCode = ReplyCode(202);
    /// `211`: System status, or system help reply.
    pub const C211: ReplyCode = ReplyCode(211);
    /// `212`: Directory status.
    pub const C212: ReplyCode = ReplyCode(212);
    /// `213`: File status.
    pub const C213: ReplyCode = ReplyCode(213);
    /// `214`: Help message.
    pub const C214: ReplyCode = ReplyCode(214);
    /// `215`: NAME system type.
    pub const C215: ReplyCode = ReplyCode(215);
    /// `220`: Service ready for new user.
    pub const C220: ReplyCode = ReplyCode(220);
    /// `221`: Service closing control connection.
    pub const C221: ReplyCode = ReplyCode(221);
    /// `225`: Data connection open; no transfer in progress.
    pub const C225: ReplyCode = ReplyCode(225);
    /// `226`: Closing data connection; requested file action successful.
    pub const C226: ReplyCode = ReplyCode(226);
    /// `227`: Entering Passive Mode.
    pub const C227: ReplyCode = ReplyCode(227);
    /// `228`: Entering Long Passive Mode.
    pub const C228: ReplyCode = ReplyCode(228);
    /// `229`: Entering Extended Passive Mode.
    pub const C229: ReplyCode = ReplyCode(229);
    /// `230`: User logged in, proceed.
    pub const C230: ReplyCode = ReplyCode(230);
    /// `232`: User logged in, authorized by security data exchange.
    pub const C232: ReplyCode = ReplyCode(232);
    /// `234`: Security data exchange complete (AUTH accepted).
    pub const C234: ReplyCode = ReplyCode(234);
    /// `235`: Security data exchange completed successfully (ADAT).
    pub const C235: ReplyCode = ReplyCode(235);
    /// `250`: Requested file action okay, completed.
    pub const C250: ReplyCode = ReplyCode(250);
    /// `257`: PATHNAME created.
    pub const C257: ReplyCode = ReplyCode(257);
    /// `331`: User name okay, need password.
    pub const C331: ReplyCode = ReplyCode(331);
    /// `332`: Need account for login.
    pub const C332: ReplyCode = ReplyCode(332);
    /// `334`: Requested security mechanism is ok, ADAT expected.
    pub const C334: ReplyCode = ReplyCode(334);
    /// `335`: Security data is acceptable, more is required.
    pub const C335: ReplyCode = ReplyCode(335);
    /// `336`: Username okay, need password; challenge is ....
    pub const C336: ReplyCode = ReplyCode(336);
    /// `350`: Requested file action pending further information.
    pub const C350: ReplyCode = ReplyCode(350);
    /// `421`: Service not available, closing control connection.
    pub const C421: ReplyCode = ReplyCode(421);
    /// `425`: Can't open data connection.
    pub const C425: ReplyCode = ReplyCode(425);
    /// `426`: Connection closed; transfer aborted.
    pub const C426: ReplyCode = ReplyCode(426);
    /// `431`: Need some unavailable resource to process security.
    pub const C431: ReplyCode = ReplyCode(431);
    /// `450`: Requested file action not taken.
    pub const C450: ReplyCode = ReplyCode(450);
    /// `451`: Requested action aborted: local error in processing.
    pub const C451: ReplyCode = ReplyCode(451);
    /// `452`: Requested action not taken: insufficient storage space.
    pub const C452: ReplyCode = ReplyCode(452);
    /// `500`: Syntax error, command unrecognized.
    pub const C500: ReplyCode = ReplyCode(500);
    /// `501`: Syntax error in parameters or arguments.
    pub const C501: ReplyCode = ReplyCode(501);
    /// `502`: Command not implemented.
    pub const C502: ReplyCode = ReplyCode(502);
    /// `503`: Bad sequence of commands.
    pub const C503: ReplyCode = ReplyCode(503);
    /// `504`: Command not implemented for that parameter.
    pub const C504: ReplyCode = ReplyCode(504);
    /// `521`: Data connection cannot be opened with this PROT setting.
    pub const C521: ReplyCode = ReplyCode(521);
    /// `522`: Network protocol not supported / server requires TLS on the data connection.
    pub const C522: ReplyCode = ReplyCode(522);
    /// `530`: Not logged in.
    pub const C530: ReplyCode = ReplyCode(530);
    /// `532`: Need account for storing files.
    pub const C532: ReplyCode = ReplyCode(532);
    /// `533`: Command protection level denied for policy reasons.
    pub const C533: ReplyCode = ReplyCode(533);
    /// `534`: Request denied for policy reasons.
    pub const C534: ReplyCode = ReplyCode(534);
    /// `535`: Failed security check.
    pub const C535: ReplyCode = ReplyCode(535);
    /// `536`: Requested PROT level not supported by mechanism.
    pub const C536: ReplyCode = ReplyCode(536);
    /// `537`: Command protection level not supported by security mechanism.
    pub const C537: ReplyCode = ReplyCode(537);
    /// `550`: Requested action not taken: file unavailable.
    pub const C550: ReplyCode = ReplyCode(550);
    /// `551`: Requested action aborted: page type unknown.
    pub const C551: ReplyCode = ReplyCode(551);
    /// `552`: Requested file action aborted: exceeded storage allocation.
    pub const C552: ReplyCode = ReplyCode(552);
    /// `553`: Requested action not taken: file name not allowed.
    pub const C553: ReplyCode = ReplyCode(553);
    /// `554`: Requested action not taken: invalid REST parameter.
    pub const C554: ReplyCode = ReplyCode(554);
    /// `555`: Requested action not taken: type or stru mismatch.
    pub const C555: ReplyCode = ReplyCode(555);
    /// `631`: Integrity protected reply.
    pub const C631: ReplyCode = ReplyCode(631);
    /// `632`: Confidentiality and integrity protected reply.
    pub const C632: ReplyCode = ReplyCode(632);
    /// `633`: Confidentiality protected reply.
    pub const C633: ReplyCode = ReplyCode(633);

    /// A code from a number; `None` outside 100..=699 (the 6yz codes are the RFC 2228 protected replies).
    pub const fn new(code: u16) -> Option<ReplyCode> {
        if code >= 100 && code <= 699 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit, 1-6: what the reply means for its command (RFC 959 §4.2, REP-DIGIT).
    pub const fn class(self) -> u8 {
        // cannot truncate: the code is at most 699.
        (self.0 / 100) as u8
    }

    /// The second digit, 0-9: the function group (0 syntax, 1 information, 2 connections,
    /// 3 authentication and accounting, 5 file system; RFC 959 §4.2).
    pub const fn group(self) -> u8 {
        // cannot truncate: a single digit.
        (self.0 / 10 % 10) as u8
    }

    /// `1yz`: positive preliminary; another reply follows before the next command.
    pub const fn is_preliminary(self) -> bool {
        self.class() == 1
    }

    /// `2yz`: positive completion.
    pub const fn is_completion(self) -> bool {
        self.class() == 2
    }

    /// `3yz`: positive intermediate; the command needs another command (PASS, RNTO, ADAT ...).
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// `4yz`: transient negative completion; the same command may succeed later.
    pub const fn is_transient_negative(self) -> bool {
        self.class() == 4
    }

    /// `5yz`: permanent negative completion.
    pub const fn is_permanent_negative(self) -> bool {
        self.class() == 5
    }

    /// `6yz`: a protected reply of RFC 2228 (`631`, `632`, `633`), whose text is base64.
    pub const fn is_protected(self) -> bool {
        self.class() == 6
    }

    /// The three ASCII digits as they appear on the wire.
    pub const fn digits(self) -> [u8; 3] {
        // cannot truncate: each value is a single digit.
        [
            b'0' + self.class(),
            b'0' + self.group(),
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// The code that a line starts with: three digits, the first 1-6.
    fn at_start(line: &[u8]) -> Option<ReplyCode> {
        match *line.get(..3)? {
            [a @ b'1'..=b'6', b @ b'0'..=b'9', c @ b'0'..=b'9'] => ReplyCode::new(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            ),
            _ => None,
        }
    }

    /// The longest line allowed in a reply with this code.
    fn line_limit(self, limits: &Limits) -> usize {
        if self.is_protected() {
            limits.max_security_line
        } else {
            limits.max_line
        }
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// One reply: a code and its text lines (joined with `\n`, without the code prefixes of the
/// first and last line).
///
/// Decode with [`Reply::parse`] (from a raw buffer) or [`ReplyAssembler`] (from framed lines);
/// encode with [`Reply::encode`] or, for one line without a `Reply` value,
/// [`Reply::encode_line`].
///
/// ```
/// use ftps_proto::{Reply, ReplyCode};
///
/// let reply = Reply::new(ReplyCode::C214, &b"The following commands are recognized.\n123 is text\nHelp OK."[..]);
/// assert!(reply.is_multiline());
/// let mut out = Vec::new();
/// reply.encode(&mut out)?;
/// // An inner line that starts with a digit is padded so it can never end the reply.
/// assert_eq!(out, b"214-The following commands are recognized.\r\n 123 is text\r\n214 Help OK.\r\n");
/// # Ok::<(), ftps_proto::codec::EncodeError>(())
/// ```
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

    /// The text as a string, invalid UTF-8 replaced by U+FFFD (for messages and logs; the
    /// control channel is 8-bit, FRM-8BIT).
    pub fn text_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.text)
    }

    /// The lines of the text, without the code prefixes of the first and last line and without
    /// line ends. A single-line reply has one line (maybe empty).
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.text.split(|&b| b == b'\n')
    }

    /// Whether the reply has more than one line.
    pub fn is_multiline(&self) -> bool {
        memchr::memchr(b'\n', &self.text).is_some()
    }

    /// The same reply, owning its text.
    pub fn into_owned(self) -> Reply<'static> {
        Reply {
            code: self.code,
            text: Cow::Owned(self.text.into_owned()),
        }
    }

    /// Appends the wire form to `out`.
    ///
    /// One line: `CODE SP text CRLF`. Several: `CODE-first CRLF`, the inner lines, then
    /// `CODE SP last CRLF`. An inner line that starts with a digit gets one leading space so it
    /// can never read as the end line (REP-PAD); in a protected `6yz` reply every inner line
    /// starts with `CODE-` instead (RFC 2228 §5.2). In the text, CR and NUL become a space and
    /// 0xFF is doubled, so no text can split the reply or start a Telnet command
    /// (REP-SANITIZE, FRM-IAC).
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidReplyCode`] for a code outside 100..=699; nothing is written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let digits = checked_digits(self.code)?;
        let mut lines = self.lines();
        // `split` yields at least one item, even for empty text.
        let first = lines.next().unwrap_or_default();
        let Some(mut pending) = lines.next() else {
            write_line(out, digits, b' ', first);
            return Ok(());
        };
        write_line(out, digits, b'-', first);
        for line in lines {
            if self.code.is_protected() {
                write_line(out, digits, b'-', pending);
            } else {
                if pending.first().is_some_and(u8::is_ascii_digit) {
                    out.push(b' ');
                }
                write_text(out, pending);
                out.extend_from_slice(b"\r\n");
            }
            pending = line;
        }
        write_line(out, digits, b' ', pending);
        Ok(())
    }

    /// Appends the one-line reply `CODE SP text CRLF` to `out`, without building a [`Reply`]
    /// (the server's allocation-free path). CR, LF and NUL in `text` become a space and 0xFF is
    /// doubled (REP-SANITIZE, FRM-IAC).
    ///
    /// ```
    /// use ftps_proto::{Reply, ReplyCode};
    ///
    /// let mut out = Vec::new();
    /// Reply::encode_line(ReplyCode::C550, b"bad\r\n230 name", &mut out)?;
    /// assert_eq!(out, b"550 bad  230 name\r\n");
    /// # Ok::<(), ftps_proto::codec::EncodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidReplyCode`] for a code outside 100..=699; nothing is written.
    pub fn encode_line(code: ReplyCode, text: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let digits = checked_digits(code)?;
        write_line(out, digits, b' ', text);
        Ok(())
    }

    /// Decodes one reply from the start of `buf`: `Complete((consumed, reply))`, or `Partial`
    /// when `buf` does not yet hold the whole reply (incomplete input alone is never an error).
    ///
    /// Lines end in CRLF or a bare LF (FRM-LF). Telnet escaping is undone (`IAC IAC` is 0xFF,
    /// other `IAC` commands are dropped). A single-line reply without 0xFF borrows its text from
    /// `buf`. Limits, on the bytes as received: a line longer than `max_line`
    /// (`max_security_line` for `6yz`), even one without its line end yet, is
    /// [`ReplyError::TooLong`]; more than `max_reply_lines` lines is
    /// [`ReplyError::TooManyLines`]; more than `max_reply_bytes` bytes is
    /// [`ReplyError::TooLong`].
    ///
    /// Each call reads from the start of `buf`, so its cost is linear in `buf`: call it again
    /// only when a new line end has arrived, or decode a stream line by line with a
    /// [`LineBuffer`](crate::codec::LineBuffer) and a [`ReplyAssembler`].
    ///
    /// # Errors
    ///
    /// [`ReplyError::InvalidCode`] as soon as the first line cannot start a reply (`abc`,
    /// `20 x`, `2000 x`, `700 x`), and the limit errors above.
    pub fn parse(buf: &'a [u8], limits: &Limits) -> Result<Status<(usize, Reply<'a>)>, ReplyError> {
        let Some((raw, used)) = split_line(buf) else {
            let partial = unescape_iac(buf);
            check_opening_prefix(&partial)?;
            check_partial_line(None, &partial, limits)?;
            return Ok(Status::Partial);
        };
        let line = unescape_iac(raw);
        let opening = Opening::of(&line)?;
        let budget = Budget::open(opening.code, line.len(), used, limits)?;
        if !opening.multi {
            let text = match line {
                Cow::Borrowed(line) => {
                    Cow::Borrowed(line.get(opening.text_at..).unwrap_or_default())
                }
                Cow::Owned(mut line) => {
                    line.drain(..opening.text_at.min(line.len()));
                    Cow::Owned(line)
                }
            };
            return Ok(Status::Complete((used, Reply::new(opening.code, text))));
        }
        // First pass: find the end without building anything; a partial reply costs no
        // allocation.
        let end = match scan_inner_lines(buf, used, budget, limits, None)? {
            Status::Partial => return Ok(Status::Partial),
            Status::Complete(end) => end,
        };
        let mut text = Vec::with_capacity(end);
        text.extend_from_slice(line.get(opening.text_at..).unwrap_or_default());
        // Second pass over the same bytes: it sees the same lines, so it ends at `end` too.
        scan_inner_lines(buf, used, budget, limits, Some(&mut text))?;
        Ok(Status::Complete((end, Reply::new(opening.code, text))))
    }
}

/// Assembles reply lines into [`Reply`]s, within the limits.
///
/// It is fed lines without their line end, as a [`LineBuffer`](crate::codec::LineBuffer)
/// yields them (Telnet sequences already stripped), and applies the same line rules as
/// [`Reply::parse`]. A line over the limit, a reply with too many lines or bytes, or a line
/// that cannot open a reply is an error, after which the assembler is back between replies.
///
/// ```
/// use ftps_proto::codec::ReplyAssembler;
/// use ftps_proto::{Limits, ReplyCode};
///
/// let mut assembler = ReplyAssembler::new(Limits::default());
/// assert_eq!(assembler.push_line(b"221-Goodbye.")?, None);
/// assert!(assembler.in_progress()); // an EOF now would be a protocol error
/// let reply = assembler.push_line(b"221 Logout.")?.expect("the end line");
/// assert_eq!(reply.code(), ReplyCode::C221);
/// assert_eq!(reply.text(), b"Goodbye.\nLogout.");
/// # Ok::<(), ftps_proto::codec::ReplyError>(())
/// ```
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    lines: Vec<u8>,
    limits: Limits,
    open: Option<Budget>,
}

impl ReplyAssembler {
    /// An assembler between replies, with these limits.
    pub fn new(limits: Limits) -> Self {
        ReplyAssembler {
            lines: Vec::new(),
            limits,
            open: None,
        }
    }

    /// Takes one line (without its line end); returns the reply it completes, if any.
    ///
    /// # Errors
    ///
    /// [`ReplyError::InvalidCode`] for a line between replies that does not open one;
    /// [`ReplyError::TooLong`] for a line over `max_line` (`max_security_line` for `6yz`) or a
    /// reply over `max_reply_bytes` (each line end counted as two bytes);
    /// [`ReplyError::TooManyLines`] past `max_reply_lines`. After an error the assembler is
    /// between replies again and holds no text.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply<'static>>, ReplyError> {
        let wire_len = line.len().saturating_add(2);
        let Some(budget) = self.open.as_mut() else {
            let opening = Opening::of(line)?;
            let budget = Budget::open(opening.code, line.len(), wire_len, &self.limits)?;
            let text = line.get(opening.text_at..).unwrap_or_default();
            if !opening.multi {
                return Ok(Some(Reply::new(opening.code, text.to_vec())));
            }
            self.lines.clear();
            self.lines.extend_from_slice(text);
            self.open = Some(budget);
            return Ok(None);
        };
        if let Err(error) = budget.admit(line.len(), wire_len, &self.limits) {
            self.reset();
            return Err(error);
        }
        let code = budget.code;
        let next = Continuation::of(code, line);
        self.lines.push(b'\n');
        self.lines
            .extend_from_slice(line.get(next.text_at..).unwrap_or_default());
        if !next.last {
            return Ok(None);
        }
        self.open = None;
        Ok(Some(Reply::new(code, std::mem::take(&mut self.lines))))
    }

    /// Whether a multi-line reply has started and not ended (an EOF now is a protocol error).
    pub fn in_progress(&self) -> bool {
        self.open.is_some()
    }

    /// Drops any partial reply and frees its memory; the assembler is between replies.
    pub fn reset(&mut self) {
        self.open = None;
        self.lines = Vec::new();
    }
}

/// How a line opens a reply (RFC 959 §4.2; REP-FORMAT, S2228-6YZ).
#[derive(Debug, Clone, Copy)]
struct Opening {
    code: ReplyCode,
    /// `CODE-text`: the first line of a multi-line reply.
    multi: bool,
    /// Where the text starts in the line.
    text_at: usize,
}

impl Opening {
    /// `CODE SP text`, a bare `CODE`, or `CODE-text`; anything else is
    /// [`ReplyError::InvalidCode`].
    fn of(line: &[u8]) -> Result<Opening, ReplyError> {
        let code = ReplyCode::at_start(line).ok_or(ReplyError::InvalidCode)?;
        let (multi, text_at) = match line.get(3) {
            None => (false, 3),
            Some(b' ') => (false, 4),
            Some(b'-') => (true, 4),
            Some(_) => return Err(ReplyError::InvalidCode),
        };
        Ok(Opening {
            code,
            multi,
            text_at,
        })
    }
}

/// How a line inside a multi-line reply reads (REP-MULTI, REP-BARE, S2228-6YZ).
#[derive(Debug, Clone, Copy)]
struct Continuation {
    /// `CODE SP text` or exactly `CODE`: the end line.
    last: bool,
    /// Where the text starts in the line.
    text_at: usize,
}

impl Continuation {
    /// Only the same code followed by SP, or the bare code, ends the reply; every other line,
    /// whatever digits it starts with, is text. In a `6yz` reply an inner `CODE-` prefix is
    /// removed.
    fn of(code: ReplyCode, line: &[u8]) -> Continuation {
        if line.get(..3) == Some(&code.digits()[..]) {
            match line.get(3) {
                None => {
                    return Continuation {
                        last: true,
                        text_at: 3,
                    }
                }
                Some(b' ') => {
                    return Continuation {
                        last: true,
                        text_at: 4,
                    }
                }
                Some(b'-') if code.is_protected() => {
                    return Continuation {
                        last: false,
                        text_at: 4,
                    }
                }
                Some(_) => {}
            }
        }
        Continuation {
            last: false,
            text_at: 0,
        }
    }
}

/// What a reply has used of the limits so far.
#[derive(Debug, Clone, Copy)]
struct Budget {
    code: ReplyCode,
    lines: usize,
    bytes: usize,
}

impl Budget {
    /// The budget after the first line (`line_len` without, `wire_len` with its line end).
    fn open(
        code: ReplyCode,
        line_len: usize,
        wire_len: usize,
        limits: &Limits,
    ) -> Result<Budget, ReplyError> {
        let mut budget = Budget {
            code,
            lines: 0,
            bytes: 0,
        };
        budget.admit(line_len, wire_len, limits)?;
        Ok(budget)
    }

    /// Counts one more line, or says which limit it breaks.
    fn admit(
        &mut self,
        line_len: usize,
        wire_len: usize,
        limits: &Limits,
    ) -> Result<(), ReplyError> {
        if line_len > self.code.line_limit(limits) {
            return Err(ReplyError::TooLong);
        }
        self.lines = self.lines.saturating_add(1);
        if self.lines > limits.max_reply_lines {
            return Err(ReplyError::TooManyLines);
        }
        self.bytes = self.bytes.saturating_add(wire_len);
        if self.bytes > limits.max_reply_bytes {
            return Err(ReplyError::TooLong);
        }
        Ok(())
    }

    /// Checks a line that has no line end yet, so a peer that never sends one is stopped at
    /// the limit.
    fn check_partial(&self, partial: &[u8], limits: &Limits) -> Result<(), ReplyError> {
        check_partial_line(Some(self.code), partial, limits)?;
        if self.bytes.saturating_add(partial.len()) > limits.max_reply_bytes {
            return Err(ReplyError::TooLong);
        }
        Ok(())
    }
}

/// The lines after the first of a multi-line reply starting at `buf[pos..]`: where the reply
/// ends, or `Partial`. With `text`, each line's text is appended after a `\n`.
fn scan_inner_lines(
    buf: &[u8],
    mut pos: usize,
    mut budget: Budget,
    limits: &Limits,
    mut text: Option<&mut Vec<u8>>,
) -> Result<Status<usize>, ReplyError> {
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some((raw, used)) = split_line(rest) else {
            budget.check_partial(&unescape_iac(rest), limits)?;
            return Ok(Status::Partial);
        };
        pos += used;
        let line = unescape_iac(raw);
        budget.admit(line.len(), used, limits)?;
        let next = Continuation::of(budget.code, &line);
        if let Some(text) = text.as_deref_mut() {
            text.push(b'\n');
            text.extend_from_slice(line.get(next.text_at..).unwrap_or_default());
        }
        if next.last {
            return Ok(Status::Complete(pos));
        }
    }
}

/// The first line of `buf` without its line end (CRLF or bare LF), and the bytes it takes
/// with the line end; `None` without a line end.
fn split_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b'\n', buf)?;
    let line = buf.get(..end)?;
    Some((line.strip_suffix(b"\r").unwrap_or(line), end + 1))
}

/// Fails early when the start of a first line can no longer become a reply.
fn check_opening_prefix(partial: &[u8]) -> Result<(), ReplyError> {
    let digits_ok = partial.iter().take(3).enumerate().all(|(i, b)| match i {
        0 => (b'1'..=b'6').contains(b),
        _ => b.is_ascii_digit(),
    });
    // A CR in fourth place may be the start of the CRLF after a bare code.
    let fourth_ok = matches!(partial.get(3), None | Some(b' ' | b'-' | b'\r'));
    if digits_ok && fourth_ok {
        Ok(())
    } else {
        Err(ReplyError::InvalidCode)
    }
}

/// A line without its line end yet is [`ReplyError::TooLong`] once it is past the limit: the
/// reply's own (`code`) inside a multi-line reply, else the one its first bytes call for.
fn check_partial_line(
    code: Option<ReplyCode>,
    partial: &[u8],
    limits: &Limits,
) -> Result<(), ReplyError> {
    let partial = partial.strip_suffix(b"\r").unwrap_or(partial);
    let limit = match code {
        Some(code) => code.line_limit(limits),
        None => reply_line_limit(partial, limits),
    };
    if partial.len() > limit {
        return Err(ReplyError::TooLong);
    }
    Ok(())
}

/// The longest reply line allowed for a line that starts with `head` (its first bytes, maybe
/// fewer than three): `max_security_line` for the protected `6yz` replies (S2228-B64), whose
/// every line but the last starts with the code; `max_line` for the others. For the client's
/// line framing, which sees lines before they are assembled into replies.
pub(crate) fn reply_line_limit(head: &[u8], limits: &Limits) -> usize {
    match ReplyCode::at_start(head) {
        Some(code) => code.line_limit(limits),
        // Not yet known: allow the larger limit while it may still become a 6yz line.
        None if head.first() == Some(&b'6') => limits.max_line.max(limits.max_security_line),
        None => limits.max_line,
    }
}

/// Undoes the Telnet escaping of one received line (RFC 854, FRM-IAC): `IAC IAC` is a data
/// 0xFF; `IAC WILL/WONT/DO/DONT option` and the other two-byte `IAC` commands are dropped.
/// Borrows when the line holds no 0xFF.
fn unescape_iac(raw: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memchr(0xFF, raw) else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(raw.get(..first).unwrap_or_default());
    let mut rest = raw.get(first..).unwrap_or_default();
    while let Some(at) = memchr::memchr(0xFF, rest) {
        out.extend_from_slice(rest.get(..at).unwrap_or_default());
        let skip = match rest.get(at + 1) {
            Some(0xFF) => {
                out.push(0xFF);
                2
            }
            // WILL, WONT, DO, DONT carry an option byte.
            Some(251..=254) => 3,
            Some(_) => 2,
            None => 1,
        };
        rest = rest.get(at + skip..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// The digits of a code, refusing one outside 100..=699.
fn checked_digits(code: ReplyCode) -> Result<[u8; 3], EncodeError> {
    match ReplyCode::new(code.get()) {
        Some(code) => Ok(code.digits()),
        None => Err(EncodeError::InvalidReplyCode),
    }
}

/// `CODE`, the separator (SP or `-`), the sanitised text and CRLF.
fn write_line(out: &mut Vec<u8>, digits: [u8; 3], separator: u8, text: &[u8]) {
    out.reserve(text.len() + 6);
    out.extend_from_slice(&digits);
    out.push(separator);
    write_text(out, text);
    out.extend_from_slice(b"\r\n");
}

/// Whether [`write_text`] must change a byte of `text`: it may hold a byte below 0x0E (CR,
/// LF, NUL are) or 0xFF. Tested 8 bytes at a time in a `u64`; a word that may hold one is
/// looked at byte by byte.
fn needs_escape(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let special = |b: &u8| matches!(b, b'\r' | b'\n' | 0 | 0xFF);
    let mut words = text.chunks_exact(8);
    for chunk in words.by_ref() {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return chunk.iter().any(special); // cannot happen: 8-byte chunks.
        };
        let x = u64::from_le_bytes(word);
        // Some byte is below 0x0E, or some byte of !x is 0 (x has 0xFF), exactly when these
        // are not zero.
        let low = x.wrapping_sub(ONES * 0x0E) & !x & HIGHS;
        let ff = (!x).wrapping_sub(ONES) & x & HIGHS;
        if (low | ff) != 0 && chunk.iter().any(special) {
            return true;
        }
    }
    words.remainder().iter().any(special)
}

/// Appends reply text: CR, LF and NUL become a space (REP-SANITIZE), 0xFF is doubled
/// (FRM-IAC).
fn write_text(out: &mut Vec<u8>, mut text: &[u8]) {
    // Reply texts rarely need a change: copy the whole text when no byte needs one.
    if !needs_escape(text) {
        out.extend_from_slice(text);
        return;
    }
    while let Some(at) = text
        .iter()
        .position(|&b| matches!(b, b'\r' | b'\n' | 0 | 0xFF))
    {
        out.extend_from_slice(text.get(..at).unwrap_or_default());
        match text.get(at) {
            Some(0xFF) => out.extend_from_slice(&[0xFF, 0xFF]),
            _ => out.push(b' '),
        }
        text = text.get(at + 1..).unwrap_or_default();
    }
    out.extend_from_slice(text);
}

#[cfg(test)]
mod write_text_tests {
    //! The word-at-a-time check of `write_text` against the plain byte rule.

    use super::{needs_escape, write_text};
    use proptest::prelude::*;

    /// REP-SANITIZE, FRM-IAC: known answers around the word boundaries.
    #[test]
    fn rep_sanitize_known_answers() {
        let mut out = Vec::new();
        write_text(&mut out, b"1234567\r\n89abcdef\0x\xffy");
        assert_eq!(out, b"1234567  89abcdef x\xff\xffy");
        out.clear();
        write_text(&mut out, b"plain text of seventeen");
        assert_eq!(out, b"plain text of seventeen");
        assert!(!needs_escape(b"tab\tand 0x0E\x0e and 0xFE\xfe are kept"));
    }

    proptest! {
        /// `needs_escape` is true exactly when the text holds CR, LF, NUL or 0xFF.
        #[test]
        fn rep_sanitize_check_matches_bytes(text in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(0xFFu8), Just(0x0Du8), Just(0x0Eu8), Just(0xFEu8), any::<u8>(), 0x20u8..0x7F],
            0..40,
        )) {
            let expected = text.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0 | 0xFF));
            prop_assert_eq!(needs_escape(&text), expected);
        }
    }
}
