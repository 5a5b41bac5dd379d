//! Listing helpers: line splitting, MLSD parsing into owned entries, a bounded sink.

use std::pin::Pin;
use std::task::{Context, Poll};

use ftps_proto::listing::parse_mlsx_line;
use ftps_proto::timeval::TimeVal;
use tokio::io::AsyncWrite;

/// One MLSD entry, owned.
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
}

/// The lines of a listing, without line ends (CRLF or LF); empty lines skipped.
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// Parses MLSD data; lines that do not parse are skipped.
pub(crate) fn parse_mlsd(bytes: &[u8]) -> Vec<RemoteEntry> {
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

impl AsyncWrite for BoundedSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len().saturating_add(data.len()) > this.limit {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "listing larger than the limit",
            )));
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
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
        let e = parse_mlsd(b"type=dir;modify=20200102030405; sub dir\r\nnot an entry\r\ntype=file;size=10; a b.txt\r\n");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, b"sub dir");
        assert!(e[0].is_dir());
        assert_eq!(e[0].modified, TimeVal::new(2020, 1, 2, 3, 4, 5));
        assert_eq!(e[1].name, b"a b.txt");
        assert_eq!(e[1].size, Some(10));
        assert!(!e[1].is_dir());
    }
}
