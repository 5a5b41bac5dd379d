//! What a client makes of a listing's bytes: [`RemoteEntry`] from MLSD lines, the raw lines of
//! `LIST`/`NLST`, and [`ListingCollector`], which collects a listing as it arrives, bounded.

use ftps_proto::listing::{
    parse_mlsx_line, Entry, ListingDecoder, ListingError, ListingFormat, MlsxEntry,
};
use ftps_proto::timeval::TimeVal;

/// Largest listing a client collects (bytes): [`ListingCollector::push`] refuses more.
pub const MAX_LISTING: u64 = 64 * 1024 * 1024;

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
            .map(|e| RemoteEntry::from_mlsx(&e))
            .collect()
    }

    /// The owned form of a parsed MLSD line.
    pub fn from_mlsx(e: &MlsxEntry<'_>) -> RemoteEntry {
        RemoteEntry {
            name: e.name.to_vec(),
            kind: e
                .fact(b"type")
                .map(|t| String::from_utf8_lossy(t).to_ascii_lowercase()),
            size: e.size,
            modified: e.modify,
        }
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

/// Collects a listing while it arrives, through the core's
/// [`ListingDecoder`]: no line may pass `max_line` bytes and the whole listing may not pass
/// `max_total`, so a hostile server can make the client hold at most that much (ATK-LISTING).
/// As a [`std::io::Write`] it is the blocking client's listing sink; the async client wraps it.
///
/// A line or a listing past its limit fails the write (`InvalidData`) at once, so the client
/// stops reading and aborts the transfer. MLSD lines that do not parse are skipped.
///
/// ```
/// use ftps_proto_std::support::remote::ListingCollector;
/// let mut c = ListingCollector::names(8, 1 << 20);
/// c.push(b"a.txt\r\nb").unwrap();
/// c.finish().unwrap();
/// assert_eq!(c.into_lines(), ["a.txt", "b"]);
///
/// let mut c = ListingCollector::names(8, 1 << 20);
/// let e = c.push(b"far-too-long-a-name").unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
/// ```
#[derive(Debug, Clone)]
pub struct ListingCollector {
    decoder: ListingDecoder,
    lines: Vec<String>,
    entries: Vec<RemoteEntry>,
}

impl ListingCollector {
    /// A collector of `LIST`/`NLST` lines, kept as text (invalid UTF-8 replaced).
    pub fn names(max_line: usize, max_total: u64) -> Self {
        Self::new(ListingFormat::Nlst, max_line, max_total)
    }

    /// A collector of MLSD entries.
    pub fn mlsd(max_line: usize, max_total: u64) -> Self {
        Self::new(ListingFormat::Mlsd, max_line, max_total)
    }

    fn new(format: ListingFormat, max_line: usize, max_total: u64) -> Self {
        let mut decoder = ListingDecoder::new(format, max_line);
        decoder.set_max_total(max_total);
        ListingCollector {
            decoder,
            lines: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Feeds bytes of the data connection; fails at the first line or total past its limit.
    pub fn push(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.decoder.push(data);
        self.take()
    }

    /// Marks the end of the stream (a last line without a line end is taken too).
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.decoder.finish();
        self.take()
    }

    fn take(&mut self) -> std::io::Result<()> {
        while let Some(next) = self.decoder.next_entry() {
            match next {
                Ok(Entry::Name(line)) => {
                    self.lines.push(String::from_utf8_lossy(line).into_owned())
                }
                Ok(Entry::Mlsx(e)) => self.entries.push(RemoteEntry::from_mlsx(&e)),
                Ok(_) => {}
                Err(e @ (ListingError::LineTooLong { .. } | ListingError::TooLarge { .. })) => {
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// The lines of a `LIST`/`NLST` listing.
    pub fn into_lines(self) -> Vec<String> {
        self.lines
    }

    /// The entries of an MLSD listing.
    pub fn into_entries(self) -> Vec<RemoteEntry> {
        self.entries
    }
}

impl std::io::Write for ListingCollector {
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

    // ATK-LISTING: a line past the limit fails at once, whatever the chunking, and the
    // collector never holds more than the limit of an unfinished line.
    #[test]
    fn atk_listing_collector_refuses_long_line_and_large_total() {
        use std::io::Write;
        let mut c = ListingCollector::names(4, 1 << 20);
        assert_eq!(c.write(b"abc\r\nab").unwrap(), 7);
        let e = c.write(b"cdefgh").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "listing line longer than 4 bytes");
        assert_eq!(c.into_lines(), ["abc"]);

        let mut c = ListingCollector::names(64, 10);
        c.push(b"a\r\nb\r\n").unwrap();
        let e = c.push(b"cdefgh\r\n").unwrap_err();
        assert_eq!(e.to_string(), "listing larger than 10 bytes");

        let mut c = ListingCollector::mlsd(64, 1 << 20);
        for b in b"type=file;size=3; a.txt\r\ngarbage\r\ntype=dir; d".iter() {
            c.push(std::slice::from_ref(b)).unwrap();
        }
        c.finish().unwrap();
        let e = c.into_entries();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].name.as_slice(), e[0].size), (&b"a.txt"[..], Some(3)));
        assert!(e[1].is_dir());
    }
}
