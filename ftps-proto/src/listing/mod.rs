//! Directory listings: MLSD/MLST facts, Unix and DOS `LIST` parsers, and formatters.
//!
//! Client side: [`ListingDecoder`] takes the bytes of a listing's data connection in chunks of
//! any size and yields one [`Entry`] per line, never buffering more than its line limit for a
//! line (ATK-LISTING). The line parsers work on single lines too: [`parse_mlsx_line`] (MLSD,
//! RFC 3659 §7), [`parse_mlst_line`] (the entry line of an MLST reply) and [`parse_list_line`]
//! (Unix `ls -l` or DOS/IIS `LIST` output, detected per line). All of them borrow from the
//! input and allocate nothing.
//!
//! Server side: [`FileInfo`] describes one directory entry; [`format_list_line`],
//! [`format_nlst_line`] and [`format_mlsx_line`] write it as a `LIST`, `NLST` or MLSD line
//! ending in CRLF. A name or link target holding CR or LF cannot be written without splitting
//! the line: the formatters refuse it with [`ListingError::UnsafeName`] and write nothing, so
//! the server leaves that entry out (X3659-PATH). Every formatter's output is accepted by the
//! matching parser.
//!
//! ```
//! use ftps_proto::listing::{Entry, ListingDecoder, ListingFormat, EntryKind};
//!
//! let mut decoder = ListingDecoder::new(ListingFormat::List, 64 * 1024);
//! decoder.push(b"total 8\r\ndrwxr-xr-x 2 ftp ftp 4096 Mar  4  2019 sub dir\r\n");
//! decoder.push(b"lrwxrwxrwx 1 ftp ftp 12 Oct 22 12:34 link -> target\r\n");
//! decoder.finish();
//! let mut names = Vec::new();
//! while let Some(entry) = decoder.next_entry() {
//!     match entry? {
//!         Entry::List(e) => names.push((e.name.to_vec(), matches!(e.kind, EntryKind::Symlink { .. }))),
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(names, [(b"sub dir".to_vec(), false), (b"link".to_vec(), true)]);
//! # Ok::<(), ftps_proto::listing::ListingError>(())
//! ```

use core::fmt;

mod body;
mod decoder;
mod dos;
mod entry;
mod facts;
mod format;
mod mlsx;
mod time;
mod unix;

pub use body::{format_listing, hidden_in_listing};
pub use decoder::{Entry, ListingDecoder, ListingFormat};
pub use entry::{parse_list_line, EntryKind, ListEntry, ListStyle};
pub use facts::{EntryType, FactSet, MlsxFact, Perms};
pub use format::{
    format_list_line, format_mlst_line, format_mlsx_line, format_nlst_line, FileInfo, FileKind,
};
pub use mlsx::{parse_mlst_line, parse_mlsx_line, Fact, MlsxEntry};
pub use time::ListTime;

/// Why a listing line could not be parsed or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListingError {
    /// The line is empty.
    Empty,
    /// A line is longer than the decoder's limit; its bytes were dropped up to the line end.
    LineTooLong {
        /// The limit, in bytes, without the line end.
        limit: usize,
    },
    /// The listing is larger than the decoder's total limit; the rest was dropped.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A `LIST` line that describes no entry (`total 12`).
    NotAnEntry,
    /// A `LIST` line in no format this crate knows.
    Unrecognized,
    /// A number of a `LIST` line (size, link count) does not fit its type.
    NumberOverflow,
    /// An MLSD line without the SP that ends the facts.
    MissingSeparator,
    /// A line whose pathname is empty.
    EmptyName,
    /// An MLSD fact without `=`, or with an empty name.
    MalformedFact,
    /// A standard MLSD fact whose value does not follow its grammar (`size=x`,
    /// `modify=2024`).
    BadFactValue {
        /// The fact.
        fact: MlsxFact,
    },
    /// Formatter: the name or link target holds CR or LF, which would split the line.
    UnsafeName,
    /// Formatter: a field (owner, group, unique, link target in MLSD) holds a byte its
    /// position cannot carry (SP, `;`, CR, LF, NUL), or is empty where a value is needed.
    BadField {
        /// The field, as named in [`FileInfo`].
        field: &'static str,
    },
}

impl fmt::Display for ListingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListingError::Empty => f.write_str("empty listing line"),
            ListingError::LineTooLong { limit } => {
                write!(f, "listing line longer than {limit} bytes")
            }
            ListingError::TooLarge { limit } => write!(f, "listing larger than {limit} bytes"),
            ListingError::NotAnEntry => f.write_str("listing line describes no entry"),
            ListingError::Unrecognized => f.write_str("listing line in an unknown format"),
            ListingError::NumberOverflow => f.write_str("number out of range in listing line"),
            ListingError::MissingSeparator => f.write_str("MLSD line without SP before the name"),
            ListingError::EmptyName => f.write_str("listing line without a name"),
            ListingError::MalformedFact => f.write_str("malformed MLSD fact"),
            ListingError::BadFactValue { fact } => write!(f, "invalid value of MLSD fact {fact}"),
            ListingError::UnsafeName => f.write_str("name holds CR or LF"),
            ListingError::BadField { field } => write!(f, "invalid {field} for a listing line"),
        }
    }
}

impl std::error::Error for ListingError {}

/// `line` without its line end: one trailing LF, then one trailing CR (CRLF, LF, or the CR
/// left when a stream was split on LF).
pub(crate) fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
