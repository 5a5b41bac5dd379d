//! ASCII-mode (`TYPE A`) conversion between the network form (CRLF) and the local form.
//!
//! RFC 959 §3.1.1.1: in `TYPE A` the sender turns its local line ends into CRLF and the
//! receiver turns CRLF back into its own. Locally this crate uses LF. Both converters are
//! streaming: they take the data in chunks of any size, keep the one byte of state a CR/LF
//! pair split across two chunks needs, allocate nothing themselves and only append to the
//! caller's buffer (DAT-ASCII).
//!
//! The conversion normalises and never doubles (DAT-ASCII-EDGE): the encoder leaves an
//! existing CRLF as it is (no `CR CR LF`), and both sides pass a CR that is not followed by
//! LF through unchanged. Text with LF line ends therefore comes back byte for byte after an
//! upload and a download in `TYPE A`.
//!
//! ```
//! use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
//!
//! let mut wire = Vec::new();
//! let mut enc = AsciiEncoder::new();
//! enc.convert(b"a\nb\n", &mut wire);
//! enc.finish(&mut wire);
//! assert_eq!(wire, b"a\r\nb\r\n");
//!
//! // A CR and its LF arrive in different chunks.
//! let mut local = Vec::new();
//! let mut dec = AsciiDecoder::new();
//! dec.convert(b"a\r", &mut local);
//! dec.convert(b"\nb\r\n", &mut local);
//! dec.finish(&mut local);
//! assert_eq!(local, b"a\nb\n");
//! ```

/// Local text (LF line ends) to the network form (CRLF), for sending in `TYPE A`.
///
/// LF becomes CRLF unless it already follows a CR; every other byte, a lone CR included, is
/// copied.
#[derive(Debug, Clone, Default)]
pub struct AsciiEncoder {
    /// The last byte seen was CR (possibly at the end of the previous chunk).
    after_cr: bool,
}

impl AsciiEncoder {
    /// A converter at the start of a file.
    pub fn new() -> AsciiEncoder {
        AsciiEncoder::default()
    }

    /// Appends the network form of `input` to `out`.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        while let Some(lf) = memchr::memchr(b'\n', rest) {
            let (run, after) = rest.split_at(lf);
            let cr_before = match run.last() {
                Some(&b) => b == b'\r',
                None => self.after_cr,
            };
            out.extend_from_slice(run);
            if !cr_before {
                out.push(b'\r');
            }
            out.push(b'\n');
            self.after_cr = false;
            rest = after.get(1..).unwrap_or_default();
        }
        if let Some(&last) = rest.last() {
            self.after_cr = last == b'\r';
        }
        out.extend_from_slice(rest);
    }

    /// How many bytes the network form of `input` has, without writing it (for `SIZE` in
    /// `TYPE A`); advances the state like [`convert`](Self::convert).
    pub fn measure(&mut self, input: &[u8]) -> u64 {
        let mut extra = 0u64;
        let mut prev_cr = self.after_cr;
        let mut from = 0;
        for lf in memchr::memchr_iter(b'\n', input) {
            let cr_before = if lf > from {
                input.get(lf - 1) == Some(&b'\r')
            } else {
                prev_cr
            };
            extra += u64::from(!cr_before);
            prev_cr = false;
            from = lf + 1;
        }
        if let Some(&last) = input.get(from..).and_then(<[u8]>::last) {
            prev_cr = last == b'\r';
        }
        self.after_cr = prev_cr;
        input.len() as u64 + extra
    }

    /// Ends the file. Nothing is held back, so nothing is written; the converter is ready
    /// for a new file.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let _ = out;
        self.after_cr = false;
    }
}

/// The network form (CRLF) to local text (LF), for receiving in `TYPE A`.
///
/// CRLF becomes LF; a CR not followed by LF is kept, and so is a lone LF. A CR at the end of a
/// chunk is held until the next byte shows whether an LF follows it.
#[derive(Debug, Clone, Default)]
pub struct AsciiDecoder {
    /// A CR ended the previous chunk and was not written yet.
    pending_cr: bool,
}

impl AsciiDecoder {
    /// A converter at the start of a file.
    pub fn new() -> AsciiDecoder {
        AsciiDecoder::default()
    }

    /// Appends the local form of `input` to `out`.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        if self.pending_cr {
            if rest.is_empty() {
                return;
            }
            self.pending_cr = false;
            if rest.first() != Some(&b'\n') {
                out.push(b'\r');
            }
        }
        while let Some(cr) = memchr::memchr(b'\r', rest) {
            let (run, after) = rest.split_at(cr);
            out.extend_from_slice(run);
            match after.get(1) {
                // CRLF: the LF is copied with the next run.
                Some(b'\n') => {}
                Some(_) => out.push(b'\r'),
                None => {
                    self.pending_cr = true;
                    return;
                }
            }
            rest = after.get(1..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
    }

    /// Ends the file: writes a CR held back from the last chunk; the converter is ready for
    /// a new file.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            out.push(b'\r');
            self.pending_cr = false;
        }
    }
}
