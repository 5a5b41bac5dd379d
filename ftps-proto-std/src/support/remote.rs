//! What a client makes of a listing's bytes: [`RemoteEntry`] from MLSD lines, the raw lines of
//! `LIST`/`NLST`, and [`ListingBuffer`], which collects a listing up to a limit.

use ftps_proto::listing::parse_mlsx_line;
use ftps_proto::timeval::TimeVal;

/// Largest listing a client buffers (bytes): [`ListingBuffer::push`] refuses more.
pub const MAX_LISTING: usize = 64 * 1024 * 1024;

/// One MLSD entry, owned.
///
/// ```
/// use ftps_proto_std::support::remote::RemoteEntry;
/// let entries = RemoteEntry::parse_mlsd(b"type=file;size=3; a.txt\r\ngarbage\r\n");
/// assert_eq!(entries.len(), 1);
/// assert_eq!((entries[0].name.as_slice(), entries[0].size), (&b"a.txt"[..], Some(3)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteEntry {
    /// The name, bytes as sent.
    pub name: Vec<u8>,
    /// The `type` fact (`file`, `dir`, `cdir`, `pdir`, ...), lower-cased.
    pub kind: Option<String>,
    /// `size`.
    pub size: Option<u64>,
    /// `modify`.
    pub modified: Option<TimeVal>,
}

impl RemoteEntry {
    /// Whether the entry is a directory (`type=dir`, `cdir` or `pdir`).
    pub fn is_dir(&self) -> bool {
        matches!(self.kind.as_deref(), Some("dir" | "cdir" | "pdir"))
    }

    /// Parses MLSD data (CRLF or LF lines); lines that do not parse are skipped.
    pub fn parse_mlsd(bytes: &[u8]) -> Vec<RemoteEntry> {
        lines(bytes)
            .filter_map(|line| parse_mlsx_line(line).ok())
            .map(|e| RemoteEntry {
                name: e.name.to_vec(),
                kind: e
                    .fact(b"type")
                    .map(|t| String::from_utf8_lossy(t).to_ascii_lowercase()),
                size: e.size,
                modified: e.modify,
            })
            .collect()
    }
}

/// The lines of a listing, without line ends (CRLF or LF); empty lines skipped.
///
/// ```
/// let v: Vec<&[u8]> = ftps_proto_std::support::remote::lines(b"a\r\nb\n\r\nc").collect();
/// assert_eq!(v, [&b"a"[..], b"b", b"c"]);
/// ```
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// The lines of a `LIST` or `NLST` listing as text (invalid UTF-8 replaced).
pub fn text_lines(bytes: &[u8]) -> Vec<String> {
    lines(bytes)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

/// Collects a listing's bytes up to a limit; past it, [`ListingBuffer::push`] fails
/// (`InvalidData`) and keeps nothing more. As a [`std::io::Write`] it is the blocking client's
/// listing sink; the async client wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingBuffer {
    buf: Vec<u8>,
    limit: usize,
}

impl ListingBuffer {
    /// An empty buffer that holds at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        ListingBuffer {
            buf: Vec::new(),
            limit,
        }
    }

    /// Appends `data`, or refuses it whole when the total would pass the limit.
    pub fn push(&mut self, data: &[u8]) -> std::io::Result<()> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "listing larger than the limit",
            ));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The bytes collected.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

impl std::io::Write for ListingBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.push(data).map(|()| data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_crlf_and_lf() {
        let v: Vec<&[u8]> = lines(b"a\r\nb\n\r\nc").collect();
        assert_eq!(v, [&b"a"[..], b"b", b"c"]);
        assert_eq!(text_lines(b"x\xff\r\n"), ["x\u{fffd}"]);
    }

    // X3659-ENTRY
    #[test]
    fn x3659_entry_mlsd_parses_entries_and_skips_garbage() {
        let e = RemoteEntry::parse_mlsd(
            b"type=dir;modify=20200102030405; sub dir\r\nnot an entry\r\ntype=file;size=10; a b.txt\r\n",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, b"sub dir");
        assert!(e[0].is_dir());
        assert_eq!(e[0].modified, TimeVal::new(2020, 1, 2, 3, 4, 5));
        assert_eq!(e[1].name, b"a b.txt");
        assert_eq!(e[1].size, Some(10));
        assert!(!e[1].is_dir());
    }

    // ATK-LISTING: the buffer never grows past its limit.
    #[test]
    fn atk_listing_buffer_refuses_past_its_limit() {
        use std::io::Write;
        let mut sink = ListingBuffer::new(4);
        assert_eq!(sink.write(b"abc").unwrap(), 3);
        assert_eq!(
            sink.write(b"de").unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        assert_eq!(sink.push(b"d").map_err(|e| e.kind()), Ok(()));
        assert_eq!(sink.into_inner(), b"abcd");
    }
}
