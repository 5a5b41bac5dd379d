//! [`ListEntry`]: one parsed `LIST` line, and [`parse_list_line`], which picks the format.

use super::time::ListTime;
use super::{dos, strip_line_end, unix, ListingError};

/// What a `LIST` entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind<'a> {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (`l` type, `name -> target`).
    Symlink {
        /// The target after ` -> `, if the line shows one.
        target: Option<&'a [u8]>,
    },
    /// Anything else, with the `ls` type letter: `c` (character device), `b` (block
    /// device), `p` (FIFO), `s` (socket), ...
    Other(u8),
}

/// Which format a `LIST` line was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListStyle {
    /// Unix `ls -l`.
    Unix,
    /// DOS / IIS (`01-02-24  01:30PM  <DIR>  name`).
    Dos,
}

/// One `LIST` line, borrowing from the input. Fields the format does not carry are `None`.
///
/// ```
/// use ftps_proto::listing::{parse_list_line, EntryKind};
///
/// let e = parse_list_line(b"crw-rw---- 1 root tty 4, 64 Jan  1 12:00 tty0")?;
/// assert_eq!(e.kind, EntryKind::Other(b'c'));
/// assert_eq!((e.device, e.size), (Some((4, 64)), None));
/// assert_eq!(e.mode(), Some(0o660));
///
/// let e = parse_list_line(b"01-02-24  01:30PM       <DIR>          my dir")?;
/// assert_eq!((e.kind, e.name), (EntryKind::Directory, &b"my dir"[..]));
/// let t = e.modified.unwrap();
/// assert_eq!((t.year, t.month, t.day, t.time), (Some(2024), 1, 2, Some((13, 30))));
/// # Ok::<(), ftps_proto::listing::ListingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListEntry<'a> {
    /// The format of the line.
    pub style: ListStyle,
    /// What the entry is.
    pub kind: EntryKind<'a>,
    /// The name (for a symlink, without ` -> target`). Bytes as sent.
    pub name: &'a [u8],
    /// Size in bytes (none for directories in DOS style and for device files).
    pub size: Option<u64>,
    /// Device numbers (major, minor) of a device file.
    pub device: Option<(u32, u32)>,
    /// Modification time, as far as the line shows it.
    pub modified: Option<ListTime>,
    /// The permission string as sent, type letter included (`drwxr-xr-x`, maybe with a
    /// trailing `+`, `@` or `.`).
    pub permissions: Option<&'a [u8]>,
    /// Owner (a name or a number).
    pub owner: Option<&'a [u8]>,
    /// Group (a name or a number); `None` when the line has no group column.
    pub group: Option<&'a [u8]>,
    /// Hard link count.
    pub links: Option<u64>,
}

impl ListEntry<'_> {
    /// The permission bits (`0o7777` at most, set-id and sticky bits included) read from
    /// [`permissions`](ListEntry::permissions); `None` for DOS lines.
    pub fn mode(&self) -> Option<u32> {
        self.permissions.and_then(unix::mode_from_permissions)
    }

    /// Whether the entry is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }
}

/// Splits a line into (start, end) spans of bytes other than SP and TAB.
pub(crate) fn spans(line: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    core::iter::from_fn(move || {
        let rest = line.get(pos..)?;
        let start = pos + rest.iter().position(|&b| b != b' ' && b != b'\t')?;
        let len = line
            .get(start..)?
            .iter()
            .position(|&b| b == b' ' || b == b'\t')
            .unwrap_or(line.len() - start);
        pos = start + len;
        Some((start, pos))
    })
}

/// Parses one `LIST` line, detecting its format: DOS/IIS when it starts with a digit, Unix
/// `ls -l` otherwise. A trailing CRLF or LF is ignored.
///
/// Errors: [`ListingError::Empty`] (an empty or blank line), [`ListingError::NotAnEntry`]
/// (`total 12`), [`ListingError::Unrecognized`] (neither format),
/// [`ListingError::NumberOverflow`] (a size or link count beyond `u64`, a device number
/// beyond `u32`), [`ListingError::EmptyName`] (a valid line without a name).
pub fn parse_list_line(line: &[u8]) -> Result<ListEntry<'_>, ListingError> {
    let line = strip_line_end(line);
    if line.iter().all(|&b| b == b' ' || b == b'\t') {
        return Err(ListingError::Empty);
    }
    if unix::is_total_line(line) {
        return Err(ListingError::NotAnEntry);
    }
    match line.first() {
        Some(b) if b.is_ascii_digit() => dos::parse_dos_line(line),
        _ => unix::parse_unix_line(line),
    }
}
