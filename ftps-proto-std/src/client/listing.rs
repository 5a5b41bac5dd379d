//! Listing helpers: line splitting, MLSD parsing into owned entries, a bounded sink.

use std::io::Write;

use ftps_proto::listing::parse_mlsx_line;
use ftps_proto::timeval::TimeVal;

/// One MLSD entry, owned.
///
/// ```
/// use ftps_proto_std::client::RemoteEntry;
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
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// Collects bytes up to a limit; past it, writes fail (`InvalidData`).
pub(crate) struct BoundedSink {
    buf: Vec<u8>,
    limit: usize,
}

impl BoundedSink {
    pub(crate) fn new(limit: usize) -> Self {
        BoundedSink {
            buf: Vec::new(),
            limit,
        }
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

impl Write for BoundedSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "listing larger than the limit",
            ));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
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
    }

    // X3659-ENTRY
    #[test]
    fn mlsd_parses_entries_and_skips_garbage() {
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

    #[test]
    fn bounded_sink_refuses_past_its_limit() {
        let mut sink = BoundedSink::new(4);
        assert_eq!(sink.write(b"abc").unwrap(), 3);
        assert_eq!(
            sink.write(b"de").unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        assert_eq!(sink.into_inner(), b"abc");
    }
}
