//! [`Limits`]: every buffer bound of the control channel in one place.

/// Bounds on what the control-channel decoders buffer.
///
/// Past a bound the decoder reports a clear error, discards the bytes up to the next line end and
/// never holds more than the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command or reply line, in bytes, without the line end. Default 8192.
    pub max_line: usize,
    /// Longest line for the security verbs `ADAT`, `MIC`, `CONF`, `ENC` (and their 63z
    /// replies), which carry base64 blobs. Default 65536.
    pub max_security_line: usize,
    /// Most lines in one multi-line reply. Default 1024.
    pub max_reply_lines: usize,
    /// Most bytes in one multi-line reply, line ends included. Default 256 KiB.
    pub max_reply_bytes: usize,
    /// Longest line of a directory listing the client parses. Default 64 KiB.
    pub max_listing_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 8192,
            max_security_line: 65536,
            max_reply_lines: 1024,
            max_reply_bytes: 256 * 1024,
            max_listing_line: 64 * 1024,
        }
    }
}
