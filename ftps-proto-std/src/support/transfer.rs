//! What moving a transfer's bytes needs besides the I/O: the representation (`TYPE A`/`I`)
//! and its line-end conversion per chunk, the buffer sizes, and how a copy's outcome becomes
//! the core's [`DataEvent`]. The adapters' copy loops (blocking and async) are built on these.

use std::io;
use std::time::Duration;

use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftps_proto::client::{OpOutput, Transfer};
use ftps_proto::session::{DataError, DataEvent};

use super::fs::storage_error;

/// Size of the buffer a transfer copies through (one per transfer, allocated once).
pub const DATA_BUFFER: usize = 256 * 1024;

/// How long the side that finished sending waits for the peer to close after its own
/// close_notify (the peer may still have a TLS session ticket or its close_notify in flight).
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How a transfer's bytes are represented on the data connection.
///
/// ```
/// use ftps_proto_std::support::transfer::Representation;
/// assert_eq!(Representation::from_ascii(true), Representation::Ascii);
/// assert_eq!(Representation::default(), Representation::Binary);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Representation {
    /// `TYPE I`: the bytes as they are (the default).
    #[default]
    Binary,
    /// `TYPE A`: local LF line ends become CRLF on the wire and back
    /// ([`ftps_proto::ascii`]).
    Ascii,
}

impl Representation {
    /// [`Representation::Ascii`] when `ascii`, else [`Representation::Binary`].
    pub fn from_ascii(ascii: bool) -> Self {
        if ascii {
            Representation::Ascii
        } else {
            Representation::Binary
        }
    }

    /// The representation a client transfer asks for: `TYPE A` applies to file transfers
    /// only, listings are taken as the server sends them.
    pub fn of_transfer(t: &Transfer<'_>) -> Self {
        Representation::from_ascii(t.ascii && !t.kind.is_listing())
    }
}

/// Turns local chunks into their network form before they are sent: CRLF line ends in
/// [`Representation::Ascii`], the chunk itself in [`Representation::Binary`]. Its buffer is
/// allocated once, for chunks up to [`DATA_BUFFER`] bytes.
///
/// ```
/// use ftps_proto_std::support::transfer::{Representation, ToWire};
/// let mut wire = ToWire::new(Representation::Ascii);
/// assert_eq!(wire.convert(b"a\nb"), b"a\r\nb");
/// assert_eq!(ToWire::new(Representation::Binary).convert(b"a\n"), b"a\n");
/// ```
#[derive(Debug)]
pub struct ToWire {
    repr: Representation,
    encoder: AsciiEncoder,
    wire: Vec<u8>,
}

impl ToWire {
    /// A converter for `repr`.
    pub fn new(repr: Representation) -> Self {
        // The network form of a chunk is at most twice as long: no growth after this.
        let wire = match repr {
            Representation::Ascii => Vec::with_capacity(2 * DATA_BUFFER),
            Representation::Binary => Vec::new(),
        };
        ToWire {
            repr,
            encoder: AsciiEncoder::new(),
            wire,
        }
    }

    /// The network form of `chunk`.
    pub fn convert<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        match self.repr {
            Representation::Binary => chunk,
            Representation::Ascii => {
                self.wire.clear();
                self.encoder.convert(chunk, &mut self.wire);
                &self.wire
            }
        }
    }
}

/// Turns received network chunks into their local form: LF line ends in
/// [`Representation::Ascii`] (a CR at a chunk's end is held until the next chunk shows what
/// follows it), the chunk itself in [`Representation::Binary`].
///
/// ```
/// use ftps_proto_std::support::transfer::{FromWire, Representation};
/// let mut local = FromWire::new(Representation::Ascii);
/// let mut out = local.convert(b"a\r").to_vec();
/// out.extend_from_slice(local.convert(b"\nb"));
/// out.extend_from_slice(local.finish());
/// assert_eq!(out, b"a\nb");
/// ```
#[derive(Debug)]
pub struct FromWire {
    repr: Representation,
    decoder: AsciiDecoder,
    local: Vec<u8>,
}

impl FromWire {
    /// A converter for `repr`.
    pub fn new(repr: Representation) -> Self {
        // The local form of a chunk is at most one byte longer (a CR held from the last one).
        let local = match repr {
            Representation::Ascii => Vec::with_capacity(DATA_BUFFER + 1),
            Representation::Binary => Vec::new(),
        };
        FromWire {
            repr,
            decoder: AsciiDecoder::new(),
            local,
        }
    }

    /// The local form of `chunk`.
    pub fn convert<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        match self.repr {
            Representation::Binary => chunk,
            Representation::Ascii => {
                self.local.clear();
                self.decoder.convert(chunk, &mut self.local);
                &self.local
            }
        }
    }

    /// What is still held at the end of the stream (a lone CR), in local form.
    pub fn finish(&mut self) -> &[u8] {
        self.local.clear();
        if self.repr == Representation::Ascii {
            self.decoder.finish(&mut self.local);
        }
        &self.local
    }
}

/// Where a transfer's failure came from, to pick the [`DataError`].
#[derive(Debug)]
pub enum CopyError {
    /// The data connection broke or was truncated.
    Data(DataError),
    /// The local side (file, user reader/writer) failed.
    Local(io::Error),
}

/// The [`DataError`] of a failed read on a data connection: under TLS, the end of the TCP
/// stream without close_notify ([`io::ErrorKind::UnexpectedEof`] from rustls) is
/// [`DataError::Truncated`]; anything else (reset, timeout) is [`DataError::Broken`].
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use ftps_proto::session::DataError;
/// use ftps_proto_std::support::transfer::read_failure;
/// assert_eq!(read_failure(true, &Error::from(ErrorKind::UnexpectedEof)), DataError::Truncated);
/// assert_eq!(read_failure(false, &Error::from(ErrorKind::UnexpectedEof)), DataError::Broken);
/// assert_eq!(read_failure(true, &Error::from(ErrorKind::TimedOut)), DataError::Broken);
/// ```
pub fn read_failure(tls: bool, e: &io::Error) -> DataError {
    if tls && e.kind() == io::ErrorKind::UnexpectedEof {
        DataError::Truncated
    } else {
        DataError::Broken
    }
}

/// The event a server reports when a data connection's copy ended: `Finished` with the
/// bytes moved, or `Failed` with the data error (a local failure is the storage's error).
///
/// ```
/// use ftps_proto::session::{DataError, DataEvent, StorageError};
/// use ftps_proto_std::support::transfer::{server_data_event, CopyError};
/// assert_eq!(server_data_event(Ok(7)), DataEvent::Finished { bytes: 7 });
/// let full = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
/// assert_eq!(server_data_event(Err(CopyError::Local(full))),
///     DataEvent::Failed(DataError::Storage(StorageError::PermissionDenied)));
/// ```
pub fn server_data_event(result: Result<u64, CopyError>) -> DataEvent {
    match result {
        Ok(bytes) => DataEvent::Finished { bytes },
        Err(CopyError::Data(e)) => DataEvent::Failed(e),
        Err(CopyError::Local(e)) => DataEvent::Failed(DataError::Storage(storage_error(&e))),
    }
}

/// What a client does with a finished copy: report the data connection's end to the core,
/// or abort the operation because its own reader or writer failed.
#[derive(Debug)]
pub enum ClientDataEnd {
    /// Hand this event to the session (`handle_data`).
    Report(DataEvent),
    /// Abort the operation (`ABOR`) and return this error once the server answered.
    Abort(io::Error),
}

impl ClientDataEnd {
    /// The client's step for a copy's outcome.
    pub fn of(result: Result<u64, CopyError>) -> Self {
        match result {
            Ok(bytes) => ClientDataEnd::Report(DataEvent::Finished { bytes }),
            Err(CopyError::Data(e)) => ClientDataEnd::Report(DataEvent::Failed(e)),
            Err(CopyError::Local(e)) => ClientDataEnd::Abort(e),
        }
    }
}

/// The byte count a client call returns for a finished transfer: the count the core
/// confirmed, else the count the copy made, else 0.
///
/// ```
/// use ftps_proto::client::OpOutput;
/// use ftps_proto_std::support::transfer::confirmed_bytes;
/// assert_eq!(confirmed_bytes(&OpOutput::Transferred { bytes: 5 }, Some(4)), 5);
/// assert_eq!(confirmed_bytes(&OpOutput::None, Some(4)), 4);
/// assert_eq!(confirmed_bytes(&OpOutput::None, None), 0);
/// ```
pub fn confirmed_bytes(output: &OpOutput, counted: Option<u64>) -> u64 {
    match output {
        OpOutput::Transferred { bytes } => *bytes,
        _ => counted.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // DAT-ASCII: CRLF on the wire, LF locally, a CR split across chunks kept whole.
    #[test]
    fn dat_ascii_converters_hold_a_split_cr() {
        let mut from = FromWire::new(Representation::Ascii);
        assert_eq!(from.convert(b"x\r"), b"x");
        assert_eq!(from.convert(b"\ny\r"), b"\ny");
        assert_eq!(from.finish(), b"\r");
        let mut binary = FromWire::new(Representation::Binary);
        assert_eq!(binary.convert(b"x\r"), b"x\r");
        assert_eq!(binary.finish(), b"");
        let mut to = ToWire::new(Representation::Ascii);
        assert_eq!(to.convert(b"\n\r\n"), b"\r\n\r\n");
    }

    #[test]
    fn client_end_aborts_only_on_local_failures() {
        assert!(matches!(
            ClientDataEnd::of(Ok(3)),
            ClientDataEnd::Report(DataEvent::Finished { bytes: 3 })
        ));
        assert!(matches!(
            ClientDataEnd::of(Err(CopyError::Data(DataError::Truncated))),
            ClientDataEnd::Report(DataEvent::Failed(DataError::Truncated))
        ));
        assert!(matches!(
            ClientDataEnd::of(Err(CopyError::Local(io::ErrorKind::Other.into()))),
            ClientDataEnd::Abort(_)
        ));
    }
}
