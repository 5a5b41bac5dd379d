//! The bytes every contender uploads: a fixed pattern, served from memory without allocating
//! per read, through both `std::io::Read` and tokio's `AsyncRead`.

use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Length of the repeated block (a multiple of every buffer size in use, so reads stay aligned).
const BLOCK: usize = 1024 * 1024;

/// The repeated block: a byte pattern that is not all zeros (nothing in the path may shortcut it).
pub fn block() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        (0..BLOCK)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
            .collect()
    })
}

/// A reader of `len` pattern bytes.
#[derive(Debug)]
pub struct Pattern {
    remaining: u64,
    offset: usize,
}

impl Pattern {
    /// A reader that yields `len` bytes, then end of file.
    pub fn new(len: u64) -> Self {
        Pattern {
            remaining: len,
            offset: 0,
        }
    }

    /// Fills as much of `out` as the remaining length allows; returns the count.
    fn fill(&mut self, out: &mut [u8]) -> usize {
        let data = block();
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(out.len());
        let mut done = 0;
        while done < want {
            let from = data.get(self.offset..).unwrap_or_default();
            let n = from.len().min(want - done);
            if let (Some(dst), Some(src)) = (out.get_mut(done..done + n), from.get(..n)) {
                dst.copy_from_slice(src);
            }
            done += n;
            self.offset = (self.offset + n) % BLOCK;
        }
        self.remaining -= done as u64;
        done
    }
}

impl io::Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.fill(buf))
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.fill(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn yields_exactly_len_bytes_of_the_pattern_across_block_ends() {
        let len = BLOCK as u64 * 2 + 17;
        let mut reader = Pattern::new(len);
        let mut all = Vec::new();
        let mut buf = vec![0u8; 300_000];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(all.len() as u64, len);
        assert_eq!(&all[..BLOCK], block());
        assert_eq!(&all[BLOCK..2 * BLOCK], block());
        assert_eq!(&all[2 * BLOCK..], &block()[..17]);
        assert!(block().iter().any(|&b| b != 0));
    }

    #[test]
    fn empty_pattern_is_eof_at_once() {
        let mut buf = [0u8; 8];
        assert_eq!(Pattern::new(0).read(&mut buf).unwrap(), 0);
    }
}
