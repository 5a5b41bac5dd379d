//! Line framing of the control channel: CRLF search with `memchr`, Telnet IAC stripping and the
//! line-length limits.
//!
//! [`LineBuffer`] is the receive buffer of both sessions. Bytes go in with
//! [`LineBuffer::push`], as they arrive; whole lines come out of [`LineBuffer::next_line`]. On
//! the way in, Telnet sequences (RFC 854) are removed: the control connection is a Telnet
//! connection in which nobody negotiates options (RFC 959 §4.1, RFC 1123 §4.1.2.12).

use std::collections::VecDeque;
use std::fmt;

use super::command_parse::line_limit;
use crate::codec::error::FrameError;
use crate::Limits;

/// Telnet "interpret as command" (RFC 854).
const IAC: u8 = 0xFF;
/// Telnet `DONT`.
const DONT: u8 = 0xFE;
/// Telnet `DO`.
const DO: u8 = 0xFD;
/// Telnet `WONT`.
const WONT: u8 = 0xFC;
/// Telnet `WILL`.
const WILL: u8 = 0xFB;
/// Telnet Interrupt Process.
const IP: u8 = 0xF4;
/// Telnet Data Mark (the end of a Synch).
const DM: u8 = 0xF2;

/// Which line ends a [`LineBuffer`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// Only CRLF ends a line (the server side, RFC 959; keeps `CR NUL LF` inside a path).
    #[default]
    Crlf,
    /// CRLF or a bare LF (the lenient client side).
    CrlfOrLf,
}

/// Where the Telnet decoder is inside a sequence that may span several pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Telnet {
    /// Plain data.
    #[default]
    Data,
    /// After an IAC.
    Iac,
    /// After `IAC WILL|WONT|DO|DONT`, waiting for the option byte.
    Option(u8),
}

/// Over-long lines found at one position of the buffer, reported before the line there.
#[derive(Debug, Clone, Copy)]
struct Overflow {
    /// Offset in the buffer of the line that follows the discarded ones.
    pos: usize,
    /// The limit those lines exceeded.
    limit: usize,
    /// How many consecutive lines were discarded there.
    count: usize,
}

/// A set of Telnet option codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OptionSet([u64; 4]);

impl OptionSet {
    fn insert(&mut self, x: u8) {
        let (word, bit) = (usize::from(x / 64), x % 64);
        if let Some(w) = self.0.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Appends `IAC verb x` for each member `x`, in increasing order, and empties the set.
    fn drain_into(&mut self, verb: u8, out: &mut Vec<u8>) {
        for (word, w) in (0u8..).zip(self.0) {
            for bit in 0..64u8 {
                if w & (1 << bit) != 0 {
                    out.extend_from_slice(&[IAC, verb, word * 64 + bit]);
                }
            }
        }
        self.0 = [0; 4];
    }
}

/// A bounded receive buffer that yields control-channel lines.
///
/// * **Telnet.** `IAC IAC` becomes a 0xFF data byte; `IAC IP`, `IAC DM` and the other two-byte
///   commands are removed (IP and DM set the [`urgent`](LineBuffer::urgent) flag); the option
///   requests `IAC DO x` and `IAC WILL x` are removed and refused: `IAC WONT x` and
///   `IAC DONT x` are queued for [`take_telnet_replies`](LineBuffer::take_telnet_replies), once
///   per option until taken (a server sends them; a client, which must not negotiate, simply
///   does not). `IAC WONT x` and `IAC DONT x` are removed without an answer. `IAC SB` is treated
///   as a two-byte command. A sequence may be split across pushes.
/// * **Line ends.** With [`LineEnding::Crlf`] only CRLF ends a line, so a `CR NUL LF` stays
///   inside a path; with [`LineEnding::CrlfOrLf`] a bare LF ends one too (and a CR before it
///   is removed).
/// * **Limits.** A line longer than [`Limits::max_line`] bytes ([`Limits::max_security_line`]
///   when it starts with `ADAT`, `MIC`, `CONF` or `ENC` and a SP, in any case, or with a
///   protected reply code `631`, `632` or `633` and a SP or `-`), line end excluded, is reported once as [`FrameError::LineTooLong`], in its place among the lines,
///   and its bytes are discarded as they arrive, up to its line end. The buffer never holds
///   more than one limit of an unfinished line, plus the complete lines not yet read.
/// * **Cost.** Each received byte is searched once by `push` and once by `next_line`, with
///   `memchr`; consumed lines are removed by moving the rest down when they make up at least
///   half of the buffer, so a steady stream of lines causes no allocation.
///
/// ```
/// use ftps_proto::codec::{LineBuffer, LineEnding};
/// use ftps_proto::Limits;
///
/// let mut rx = LineBuffer::new(Limits::default(), LineEnding::Crlf);
/// rx.push(b"USER anna\r\nPA");
/// rx.push(b"SS x\r\n\xff\xfd\x01NO");
/// assert_eq!(rx.next_line(), Some(Ok(&b"USER anna"[..])));
/// assert_eq!(rx.next_line(), Some(Ok(&b"PASS x"[..])));
/// assert_eq!(rx.next_line(), None); // `NO` waits for its line end
/// let mut answer = Vec::new();
/// rx.take_telnet_replies(&mut answer);
/// assert_eq!(answer, b"\xff\xfc\x01"); // DO 1 refused with WONT 1
/// ```
#[derive(Default)]
pub struct LineBuffer {
    /// Telnet-free bytes: read lines, then unread complete lines, then the unfinished line.
    buf: Vec<u8>,
    limits: Limits,
    ending: LineEnding,
    /// Start of the first unread line.
    start: usize,
    /// Start of the unfinished line: `buf[start..line_start]` holds complete lines.
    line_start: usize,
    /// Over-long lines to report, in buffer order.
    overflows: VecDeque<Overflow>,
    /// The rest of an over-long line is being dropped up to its line end.
    discarding: bool,
    /// While discarding: the last dropped byte was a CR.
    discard_cr: bool,
    telnet: Telnet,
    /// Options to refuse with `IAC WONT x` (the peer sent `IAC DO x`).
    wont: OptionSet,
    /// Options to refuse with `IAC DONT x` (the peer sent `IAC WILL x`).
    dont: OptionSet,
    urgent: bool,
}

impl fmt::Debug for LineBuffer {
    /// Shows sizes and state only: the buffer may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineBuffer")
            .field("buffered", &self.buffered())
            .field("limits", &self.limits)
            .field("ending", &self.ending)
            .field("pending_errors", &self.overflows.len())
            .field("discarding", &self.discarding)
            .field("urgent", &self.urgent)
            .finish_non_exhaustive()
    }
}

/// The index of the first LF in `data`.
///
/// Control lines are short, so the first 64 bytes are searched 8 at a time in a `u64` (no call,
/// no vector set-up); a longer line continues with `memchr`.
#[inline]
pub(crate) fn find_lf(data: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LFS: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut from = 0;
    while from < 64 {
        let Some(word) = data.get(from..from + 8) else {
            break;
        };
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break; // cannot happen: the slice has 8 bytes.
        };
        // A byte of `x` is 0 where the word has an LF; the lowest flagged byte is exact
        // (a borrow only carries upward from a zero byte).
        let x = u64::from_le_bytes(word) ^ LFS;
        let hits = x.wrapping_sub(ONES) & !x & HIGHS;
        if hits != 0 {
            return Some(from + (hits.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let rest = data.get(from..)?;
    memchr::memchr(b'\n', rest).map(|i| from + i)
}

/// The index of the first byte below 0x0E (NUL, TAB, LF, CR and the like) in the first 64 bytes
/// of `data`, searched 8 at a time in a `u64` as [`find_lf`] does; `None` if there is none
/// there. A command line is usually clean up to its CRLF, so this finds the line end and proves
/// the line free of CR, LF and NUL in one pass.
#[inline]
pub(crate) fn find_control(data: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut from = 0;
    while from < 64 {
        let Some(word) = data.get(from..from + 8) else {
            // Fewer than 8 bytes left.
            let tail = data.get(from..)?;
            return tail.iter().position(|&b| b < 0x0E).map(|i| from + i);
        };
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            return None; // cannot happen: the slice has 8 bytes.
        };
        let x = u64::from_le_bytes(word);
        // The lowest flagged byte is exactly the first byte below 0x0E (no borrow reaches it).
        let hits = x.wrapping_sub(ONES * 0x0E) & !x & HIGHS;
        if hits != 0 {
            return Some(from + (hits.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    None
}

/// The index of the LF that ends the first line of `data`, if any. `prev_cr` tells whether the
/// byte before `data` was a CR.
fn find_end(data: &[u8], prev_cr: bool, ending: LineEnding) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = data.get(from..).and_then(find_lf) {
        let lf = from + i;
        let cr = match lf.checked_sub(1) {
            Some(j) => data.get(j) == Some(&b'\r'),
            None => prev_cr,
        };
        if cr || ending == LineEnding::CrlfOrLf {
            return Some(lf);
        }
        from = lf + 1;
    }
    None
}

/// The index of the last LF in `data` that ends a line (see [`find_end`]), if any.
fn find_last_end(data: &[u8], prev_cr: bool, ending: LineEnding) -> Option<usize> {
    let mut upto = data.len();
    while let Some(lf) = data
        .get(..upto)
        .and_then(|head| memchr::memrchr(b'\n', head))
    {
        let cr = match lf.checked_sub(1) {
            Some(j) => data.get(j) == Some(&b'\r'),
            None => prev_cr,
        };
        if cr || ending == LineEnding::CrlfOrLf {
            return Some(lf);
        }
        upto = lf;
    }
    None
}

impl LineBuffer {
    /// A buffer with these limits and line ends.
    pub fn new(limits: Limits, ending: LineEnding) -> Self {
        LineBuffer {
            limits,
            ending,
            ..LineBuffer::default()
        }
    }

    /// Appends received bytes, removing Telnet sequences and dropping the bytes of over-long
    /// lines as described on [`LineBuffer`].
    pub fn push(&mut self, data: &[u8]) {
        self.compact();
        let mut rest = data;
        while !rest.is_empty() {
            if self.telnet == Telnet::Data {
                match memchr::memchr(IAC, rest) {
                    None => {
                        self.accept(rest);
                        return;
                    }
                    Some(i) => {
                        let (run, tail) = rest.split_at(i);
                        self.accept(run);
                        self.telnet = Telnet::Iac;
                        rest = tail.get(1..).unwrap_or_default();
                    }
                }
            } else if let Some((&b, tail)) = rest.split_first() {
                rest = tail;
                self.telnet_byte(b);
            }
        }
    }

    /// The next complete line, without its line end; an error in place of a line that was too
    /// long (its bytes are gone); `None` until another line end arrives.
    pub fn next_line(&mut self) -> Option<Result<&[u8], FrameError>> {
        if let Some(first) = self.overflows.front_mut() {
            if first.pos == self.start {
                let limit = first.limit;
                first.count -= 1;
                if first.count == 0 {
                    self.overflows.pop_front();
                }
                return Some(Err(FrameError::LineTooLong { limit }));
            }
        }
        let begin = self.start;
        let lines = self.buf.get(begin..self.line_start)?;
        // Every byte up to line_start belongs to a complete line, so a line end is found.
        let lf = find_end(lines, false, self.ending)?;
        let has_cr = lf
            .checked_sub(1)
            .is_some_and(|j| lines.get(j) == Some(&b'\r'));
        let end = begin + lf - usize::from(has_cr);
        self.start = begin + lf + 1;
        self.buf.get(begin..end).map(Ok)
    }

    /// Appends the queued Telnet refusals (`IAC WONT x`, then `IAC DONT x`) to `out`, for the
    /// server to send. A client must not call it: it never negotiates (RFC 1123 §4.1.2.12).
    pub fn take_telnet_replies(&mut self, out: &mut Vec<u8>) {
        if !self.wont.is_empty() {
            self.wont.drain_into(WONT, out);
        }
        if !self.dont.is_empty() {
            self.dont.drain_into(DONT, out);
        }
    }

    /// How many unread bytes the buffer holds (complete lines and the unfinished line, Telnet
    /// sequences already removed).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// What the unread input holds: the [`buffered`](Self::buffered) bytes plus, for every
    /// over-long line not reported yet, the size of an error record. While lines are not read,
    /// a peer can add such lines without adding bytes (their errors merge into one record, or
    /// alternate limits at one position), and each will cost a reply: a session bounds this,
    /// not the bytes alone.
    ///
    /// ```
    /// use ftps_proto::codec::{LineBuffer, LineEnding};
    /// use ftps_proto::Limits;
    /// let mut limits = Limits::default();
    /// limits.max_line = 16;
    /// limits.max_security_line = 8;
    /// let mut rx = LineBuffer::new(limits, LineEnding::Crlf);
    /// for _ in 0..100 {
    ///     rx.push(b"ADAT 0123456789\r\nNOOP 0123456789 0123456789\r\n");
    /// }
    /// assert_eq!(rx.buffered(), 0);
    /// assert!(rx.held() >= 200 * 8);
    /// ```
    pub fn held(&self) -> usize {
        let pending: usize = self.overflows.iter().map(|o| o.count).sum();
        self.buffered()
            .saturating_add(pending.saturating_mul(std::mem::size_of::<Overflow>()))
    }

    /// Whether nothing at all is pending: no unread bytes, no error to report, no over-long
    /// line being dropped and no unfinished Telnet sequence. After `AUTH TLS` a session checks
    /// this to detect bytes injected before the TLS handshake.
    pub fn is_empty(&self) -> bool {
        self.buffered() == 0
            && self.overflows.is_empty()
            && !self.discarding
            && self.telnet == Telnet::Data
    }

    /// Forgets everything received: lines, errors, an unfinished Telnet sequence, queued Telnet
    /// refusals and the urgent flag. The limits, line ends and allocated memory are kept.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.line_start = 0;
        self.overflows.clear();
        self.discarding = false;
        self.discard_cr = false;
        self.telnet = Telnet::Data;
        self.wont = OptionSet::default();
        self.dont = OptionSet::default();
        self.urgent = false;
    }

    /// Frees the buffer's memory when it holds no unread byte (lines already read are
    /// dropped): for a connection that has gone idle. Nothing else changes; the next
    /// [`push`](Self::push) allocates again.
    pub fn release_memory(&mut self) {
        if self.buffered() == 0 {
            // Errors still to report for over-long lines sit where the next line will start:
            // that position becomes 0 (left in place, they were never reported, and every
            // later over-long line queued a record of its own).
            for o in &mut self.overflows {
                o.pos = o.pos.saturating_sub(self.start);
            }
            self.buf = Vec::new();
            self.start = 0;
            self.line_start = 0;
        }
        if self.overflows.is_empty() {
            self.overflows = VecDeque::new();
        }
    }

    /// Whether `IAC IP` or `IAC DM` arrived since the last call (the Telnet "interrupt" and
    /// "synch" a client sends before `ABOR`, RFC 959 §4.1.3); the flag is reset.
    pub fn urgent(&mut self) -> bool {
        std::mem::take(&mut self.urgent)
    }

    /// Removes read lines from the front when they are at least half of the buffer.
    fn compact(&mut self) {
        let start = self.start;
        if start == 0 || start < self.buf.len() - start {
            return;
        }
        self.buf.copy_within(start.., 0);
        self.buf.truncate(self.buf.len() - start);
        self.line_start -= start;
        for o in &mut self.overflows {
            // Overflows are reported before the buffer moves past them: pos >= start.
            o.pos -= start;
        }
        self.start = 0;
    }

    /// Handles one byte inside a Telnet sequence.
    fn telnet_byte(&mut self, b: u8) {
        self.telnet = match (self.telnet, b) {
            (Telnet::Iac, IAC) => {
                self.accept(&[IAC]);
                Telnet::Data
            }
            (Telnet::Iac, WILL | WONT | DO | DONT) => Telnet::Option(b),
            (Telnet::Iac, IP | DM) => {
                self.urgent = true;
                Telnet::Data
            }
            (Telnet::Iac, _) => Telnet::Data,
            (Telnet::Option(DO), x) => {
                self.wont.insert(x);
                Telnet::Data
            }
            (Telnet::Option(WILL), x) => {
                self.dont.insert(x);
                Telnet::Data
            }
            (Telnet::Option(_), _) => Telnet::Data,
            (Telnet::Data, _) => {
                // push() sends plain data to accept() directly; kept total for safety.
                self.accept(&[b]);
                Telnet::Data
            }
        };
    }

    /// The line limit for the unfinished line, which continues with `run`.
    fn limit_for(&self, run: &[u8]) -> usize {
        let mut head = [0u8; 5];
        let partial = self.buf.get(self.line_start..).unwrap_or_default();
        let mut n = 0;
        for (dst, &src) in head.iter_mut().zip(partial.iter().chain(run)) {
            *dst = src;
            n += 1;
        }
        line_limit(head.get(..n).unwrap_or_default(), &self.limits)
    }

    /// Drops the unfinished line, which is over `limit`, and records the error in its place.
    fn overflow(&mut self, limit: usize) {
        self.buf.truncate(self.line_start);
        match self.overflows.back_mut() {
            Some(o) if o.pos == self.line_start && o.limit == limit => o.count += 1,
            _ => self.overflows.push_back(Overflow {
                pos: self.line_start,
                limit,
                count: 1,
            }),
        }
    }

    /// Takes Telnet-free bytes: stores complete lines within the limit, the unfinished line
    /// while it is within the limit, and drops the rest.
    fn accept(&mut self, mut run: &[u8]) {
        while !run.is_empty() {
            if self.discarding {
                match find_end(run, self.discard_cr, self.ending) {
                    Some(lf) => {
                        self.discarding = false;
                        self.discard_cr = false;
                        run = run.get(lf + 1..).unwrap_or_default();
                        continue;
                    }
                    None => {
                        self.discard_cr = run.last() == Some(&b'\r');
                        return;
                    }
                }
            }
            let partial = self.buf.len() - self.line_start;
            let prev_cr = partial > 0 && self.buf.last() == Some(&b'\r');
            // Fast path: a line that ends at index `lf` of `run` holds at most `partial + lf`
            // bytes, and no line is held to less than `within`. So every line up to the last
            // line end at or before `within - partial` is within its limit: store them all
            // with one search and one copy.
            let within = self.limits.max_line.min(self.limits.max_security_line);
            if let Some(window) = within
                .checked_sub(partial)
                .and_then(|room| run.get(..run.len().min(room.saturating_add(1))))
            {
                if let Some(lf) = find_last_end(window, prev_cr, self.ending) {
                    self.buf
                        .extend_from_slice(run.get(..=lf).unwrap_or_default());
                    self.line_start = self.buf.len();
                    run = run.get(lf + 1..).unwrap_or_default();
                    continue;
                }
            }
            let limit = self.limit_for(run);
            match find_end(run, prev_cr, self.ending) {
                Some(lf) => {
                    let cr = match lf.checked_sub(1) {
                        Some(j) => run.get(j) == Some(&b'\r'),
                        None => prev_cr,
                    };
                    if partial + lf - usize::from(cr) > limit {
                        self.overflow(limit);
                    } else {
                        self.buf
                            .extend_from_slice(run.get(..=lf).unwrap_or_default());
                        self.line_start = self.buf.len();
                    }
                    run = run.get(lf + 1..).unwrap_or_default();
                }
                None => {
                    let trailing_cr = run.last() == Some(&b'\r');
                    if partial + run.len() - usize::from(trailing_cr) > limit {
                        self.overflow(limit);
                        self.discarding = true;
                        self.discard_cr = trailing_cr;
                    } else {
                        self.buf.extend_from_slice(run);
                    }
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The one-copy fast path of `LineBuffer::push` against a plain model of the framing rules.

    use super::*;
    use proptest::prelude::*;

    /// What a `LineBuffer` must yield for `data` (no Telnet bytes): each complete line, or
    /// `Err` in place of an over-long one, complete or not. (Which limit an error names can
    /// depend on how the bytes were split while a line's first 5 bytes were still arriving,
    /// so only the place of each error is compared.)
    fn model(data: &[u8], limits: &Limits, ending: LineEnding) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, &b) in data.iter().enumerate() {
            if b != b'\n' {
                continue;
            }
            let cr = i > start && data[i - 1] == b'\r';
            if !cr && ending == LineEnding::Crlf {
                continue;
            }
            let line = &data[start..i - usize::from(cr)];
            let limit = line_limit(&line[..line.len().min(5)], limits);
            out.push(if line.len() > limit {
                Err(())
            } else {
                Ok(line.to_vec())
            });
            start = i + 1;
        }
        // The unfinished line is reported as soon as it is over its limit.
        let partial = &data[start..];
        let content = partial.len() - usize::from(partial.last() == Some(&b'\r'));
        if content > line_limit(&partial[..partial.len().min(5)], limits) {
            out.push(Err(()));
        }
        out
    }

    proptest! {
        /// FRM-CRLF, FRM-LF, FRM-MAXCMD: whatever the chunking, the lines (and errors) are the
        /// model's, with limits small enough that lines often exceed them.
        #[test]
        fn frm_push_matches_model(
            data in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b' '), Just(b'A'), Just(b'M'), Just(b'x'), Just(b'6')],
                0..200,
            ),
            cuts in proptest::collection::vec(1usize..40, 1..20),
            lenient in any::<bool>(),
            max_line in 1usize..12,
            max_security_line in 1usize..20,
        ) {
            let limits = Limits {
                max_line,
                max_security_line,
                ..Limits::default()
            };
            let ending = if lenient { LineEnding::CrlfOrLf } else { LineEnding::Crlf };
            let mut lb = LineBuffer::new(limits, ending);
            let mut got = Vec::new();
            let mut rest = &data[..];
            for &cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, tail) = rest.split_at(cut.min(rest.len()));
                rest = tail;
                lb.push(chunk);
                while let Some(line) = lb.next_line() {
                    got.push(line.map(<[u8]>::to_vec).map_err(|_| ()));
                }
            }
            prop_assert_eq!(got, model(&data, &limits, ending));
        }
    }
}
