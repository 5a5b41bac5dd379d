//! [`Reader`]: hands out the fuzz input as numbers, choices and byte strings. Past the end of
//! the input every read returns zero or an empty slice, so any input is a valid program.

use crate::Limits;

/// A cursor over the fuzz input.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// The next byte without taking it.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.data.first().copied()
    }

    pub(crate) fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    pub(crate) fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// A number that is small most of the time and sometimes any `u64` (sizes, offsets).
    pub(crate) fn size(&mut self) -> u64 {
        match self.u8() {
            0xF0..=0xFF => self.u64(),
            0xC0..=0xEF => u64::from(self.u32()),
            b => u64::from(b),
        }
    }

    /// One of `items` (the first when the input is exhausted). `items` must not be empty.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = usize::from(self.u8()) % items.len().max(1);
        // cannot fire: every caller passes a non-empty constant table.
        items[i]
    }

    /// Up to `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A byte string whose length is given by the next byte.
    pub(crate) fn short(&mut self) -> &'a [u8] {
        let n = usize::from(self.u8());
        self.bytes(n)
    }

    /// Everything up to and including the next LF (or the rest of the input).
    pub(crate) fn line(&mut self) -> &'a [u8] {
        let n = memchr::memchr(b'\n', self.data).map_or(self.data.len(), |lf| lf + 1);
        self.bytes(n)
    }

    /// All the remaining input.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// Limits chosen by one byte: tiny ones reach every limit error with short inputs, the
/// defaults keep the usual paths.
pub(crate) fn limits(sel: u8) -> Limits {
    let mut l = Limits::default();
    if sel & 0x80 == 0 {
        return l;
    }
    l.max_line = [8, 16, 64, 512][usize::from(sel & 3)];
    l.max_security_line = [4, 32, 256, 4096][usize::from((sel >> 2) & 3)];
    l.max_reply_lines = [1, 3, 16][usize::from((sel >> 4) & 1) + usize::from((sel >> 5) & 1)];
    l.max_reply_bytes = [32, 256, 2048, 16384][usize::from((sel >> 5) & 3)];
    l.max_listing_line = [8, 64, 1024, 65536][usize::from((sel >> 3) & 3)];
    l
}

/// Limits no test input reaches: for re-parsing what an encoder wrote.
pub(crate) fn roomy_limits() -> Limits {
    Limits {
        max_line: 1 << 24,
        max_security_line: 1 << 24,
        max_reply_lines: 1 << 20,
        max_reply_bytes: 1 << 26,
        max_listing_line: 1 << 24,
    }
}

/// Chunk lengths for feeding a stream piecewise, from one seed byte: seed 0 is one byte at a
/// time, other seeds a fixed pseudo-random pattern of lengths 1..=64.
#[derive(Debug, Clone)]
pub(crate) struct Chunks {
    state: u32,
    max: u32,
}

impl Chunks {
    pub(crate) fn new(seed: u8) -> Self {
        Chunks {
            state: u32::from(seed).wrapping_mul(2_654_435_761) | 1,
            max: if seed == 0 {
                1
            } else {
                u32::from(seed % 64) + 1
            },
        }
    }

    /// Splits `stream` into the pattern's pieces.
    pub(crate) fn split<'s>(&mut self, mut stream: &'s [u8]) -> Vec<&'s [u8]> {
        let mut pieces = Vec::new();
        while !stream.is_empty() {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 17;
            self.state ^= self.state << 5;
            // cannot truncate: below 65.
            let n = (self.state % self.max + 1) as usize;
            let (a, b) = stream.split_at(n.min(stream.len()));
            pieces.push(a);
            stream = b;
        }
        pieces
    }
}
