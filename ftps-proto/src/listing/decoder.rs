//! [`ListingDecoder`]: listing lines out of a data connection's byte stream, bounded.

use std::collections::VecDeque;

use super::entry::{parse_list_line, ListEntry};
use super::mlsx::{parse_mlsx_line, MlsxEntry};
use super::{strip_line_end, unix, ListingError};

/// Which command produced the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListingFormat {
    /// `MLSD`: RFC 3659 fact lines ([`super::parse_mlsx_line`]).
    Mlsd,
    /// `LIST`: Unix or DOS lines ([`super::parse_list_line`]).
    List,
    /// `NLST`: one name per line.
    Nlst,
}

/// One entry of a listing, borrowing from the [`ListingDecoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry<'a> {
    /// An MLSD line.
    Mlsx(MlsxEntry<'a>),
    /// A `LIST` line.
    List(ListEntry<'a>),
    /// An `NLST` line: the name.
    Name(&'a [u8]),
}

impl<'a> Entry<'a> {
    /// The entry's name, whatever the format.
    pub fn name(&self) -> &'a [u8] {
        match self {
            Entry::Mlsx(e) => e.name,
            Entry::List(e) => e.name,
            Entry::Name(n) => n,
        }
    }
}

/// Splits the bytes of a listing's data connection into entries, in chunks of any size.
///
/// Lines end in CRLF or LF. Blank lines, and `total N` lines of `LIST`, are skipped. A line
/// longer than `max_line` bytes (line end not counted) is reported once as
/// [`ListingError::LineTooLong`], in its place among the entries, and its bytes are dropped up
/// to the line end: the decoder never holds more than `max_line + 1` bytes of an incomplete
/// line, however long the line (ATK-LISTING). With [`ListingDecoder::set_max_total`] the
/// whole listing is bounded too.
///
/// Call [`next_entry`](ListingDecoder::next_entry) until it returns `None` after each
/// [`push`](ListingDecoder::push) (the buffer holds the complete lines not yet taken), and
/// [`finish`](ListingDecoder::finish) at the end of the stream so that a last line without a
/// line end is read too.
///
/// ```
/// use ftps_proto::listing::{Entry, ListingDecoder, ListingError, ListingFormat};
///
/// let mut d = ListingDecoder::new(ListingFormat::Nlst, 8);
/// d.push(b"a.txt\r\nmuch-too-long");
/// d.push(b"-name.txt\r\nb");
/// d.finish();
/// assert_eq!(d.next_entry(), Some(Ok(Entry::Name(b"a.txt"))));
/// assert_eq!(d.next_entry(), Some(Err(ListingError::LineTooLong { limit: 8 })));
/// assert_eq!(d.next_entry(), Some(Ok(Entry::Name(b"b"))));
/// assert_eq!(d.next_entry(), None);
/// ```
#[derive(Debug, Clone)]
pub struct ListingDecoder {
    format: ListingFormat,
    max_line: usize,
    max_total: Option<u64>,
    /// Bytes pushed so far, for `max_total`.
    total: u64,
    /// `TooLarge` was queued: everything after is dropped.
    over_total: bool,
    /// Complete lines not taken yet (each ending in LF), then the incomplete last line.
    buf: Vec<u8>,
    /// Start of the first line not taken.
    start: usize,
    /// Start of the incomplete last line (after the last LF).
    tail: usize,
    /// Dropping the bytes of a too-long line until its LF.
    skipping: bool,
    /// Errors to report, each with the buffer offset it comes before.
    errors: VecDeque<(usize, ListingError)>,
    finished: bool,
}

impl ListingDecoder {
    /// A decoder for a listing in `format`, whose lines may be at most `max_line` bytes
    /// (without the line end; [`crate::Limits::max_listing_line`] is the usual choice).
    pub fn new(format: ListingFormat, max_line: usize) -> ListingDecoder {
        ListingDecoder {
            format,
            max_line,
            max_total: None,
            total: 0,
            over_total: false,
            buf: Vec::new(),
            start: 0,
            tail: 0,
            skipping: false,
            errors: VecDeque::new(),
            finished: false,
        }
    }

    /// Bounds the whole listing to `limit` bytes: past it, [`ListingError::TooLarge`] is
    /// reported once (after the entries before it) and the rest of the stream is ignored.
    pub fn set_max_total(&mut self, limit: u64) {
        self.max_total = Some(limit);
    }

    /// The format this decoder parses.
    pub fn format(&self) -> ListingFormat {
        self.format
    }

    /// Bytes held: complete lines not taken yet and the incomplete last line.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Drops the lines already taken.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.buf.drain(..self.start);
        // start <= tail <= buf.len(), and queued errors lie at or after start.
        self.tail = self.tail.saturating_sub(self.start);
        for (at, _) in &mut self.errors {
            *at = at.saturating_sub(self.start);
        }
        self.start = 0;
    }

    /// Feeds bytes of the data connection. Ignored after [`finish`](Self::finish) or once
    /// the total limit was passed.
    pub fn push(&mut self, data: &[u8]) {
        if self.finished || self.over_total {
            return;
        }
        self.compact();
        let mut data = data;
        if let Some(limit) = self.max_total {
            let room = limit.saturating_sub(self.total);
            // cannot truncate: `room` is below `data.len()` in this branch.
            if (data.len() as u64) > room {
                data = data.get(..room as usize).unwrap_or_default();
                self.over_total = true;
            }
        }
        self.total = self.total.saturating_add(data.len() as u64);
        while !data.is_empty() {
            let (piece, complete) = match memchr::memchr(b'\n', data) {
                Some(lf) => (data.get(..=lf).unwrap_or_default(), true),
                None => (data, false),
            };
            data = data.get(piece.len()..).unwrap_or_default();
            if self.skipping {
                self.skipping = !complete;
                continue;
            }
            let held = self.buf.len() - self.tail;
            let too_long = if complete {
                let with_end = held + piece.len();
                // The line end is LF, or CRLF when the byte before the LF is CR.
                let cr = if piece.len() >= 2 {
                    piece.get(piece.len() - 2) == Some(&b'\r')
                } else {
                    self.buf.last() == Some(&b'\r') && held > 0
                };
                with_end - 1 - usize::from(cr) > self.max_line
            } else {
                // One more byte than the limit may be the CR of a CRLF.
                held + piece.len() > self.max_line.saturating_add(1)
            };
            if too_long {
                self.buf.truncate(self.tail);
                self.errors.push_back((
                    self.tail,
                    ListingError::LineTooLong {
                        limit: self.max_line,
                    },
                ));
                self.skipping = !complete;
                continue;
            }
            self.buf.extend_from_slice(piece);
            if complete {
                self.tail = self.buf.len();
            }
        }
        if self.over_total {
            // The cut line is incomplete: drop it rather than report a truncated entry.
            self.buf.truncate(self.tail);
            self.skipping = false;
            self.finished = true;
            if let Some(limit) = self.max_total {
                self.errors
                    .push_back((self.buf.len(), ListingError::TooLarge { limit }));
            }
        }
    }

    /// Marks the end of the stream: a last line without a line end becomes an entry.
    pub fn finish(&mut self) {
        if !self.finished {
            self.finish_tail();
        }
    }

    fn finish_tail(&mut self) {
        self.finished = true;
        if self.skipping {
            self.skipping = false;
        } else if self.tail < self.buf.len() {
            // The last line lacks a line end; it must still fit the limit (+1 allowed a CR).
            let held = self.buf.len() - self.tail;
            let cr = usize::from(self.buf.last() == Some(&b'\r'));
            if held - cr > self.max_line {
                self.buf.truncate(self.tail);
                self.errors.push_back((
                    self.tail,
                    ListingError::LineTooLong {
                        limit: self.max_line,
                    },
                ));
            }
        }
        self.tail = self.buf.len();
    }

    /// Takes the next line: its range in `buf`, without the line end.
    fn next_line(&mut self) -> Option<(usize, usize)> {
        if self.start >= self.tail {
            return None;
        }
        let region = self.buf.get(self.start..self.tail)?;
        let (len, next) = match memchr::memchr(b'\n', region) {
            Some(lf) => (lf, self.start + lf + 1),
            None => (region.len(), self.tail),
        };
        let range = (self.start, self.start + len);
        self.start = next;
        Some(range)
    }

    /// Whether a line is skipped without being reported: blank lines, `total N` in `LIST`.
    fn skipped(&self, line: &[u8]) -> bool {
        let line = strip_line_end(line);
        line.iter().all(|&b| b == b' ' || b == b'\t')
            || (self.format == ListingFormat::List && unix::is_total_line(line))
    }

    /// The next entry or error, in stream order; `None` when every complete line was taken
    /// (push more bytes, or call [`finish`](Self::finish) at the end of the stream).
    pub fn next_entry(&mut self) -> Option<Result<Entry<'_>, ListingError>> {
        loop {
            if let Some(&(at, err)) = self.errors.front() {
                if at <= self.start {
                    self.errors.pop_front();
                    return Some(Err(err));
                }
            }
            let (from, to) = self.next_line()?;
            let line = self.buf.get(from..to).unwrap_or_default();
            if self.skipped(line) {
                continue;
            }
            let line = self.buf.get(from..to).unwrap_or_default();
            return Some(match self.format {
                ListingFormat::Mlsd => parse_mlsx_line(line).map(Entry::Mlsx),
                ListingFormat::List => parse_list_line(line).map(Entry::List),
                ListingFormat::Nlst => Ok(Entry::Name(strip_line_end(line))),
            });
        }
    }
}
