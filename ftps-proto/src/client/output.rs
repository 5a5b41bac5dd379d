//! What a [`ClientSession`](super::ClientSession) tells its adapter: [`ClientOutput`],
//! [`ClientEvent`], operation handles and results.

use std::time::Instant;

use super::errors::{ClientError, Violation};
use crate::codec::reply_body::Features;
use crate::codec::Reply;
use crate::session::{CloseReason, DataAction, DataId, TlsRole};
use crate::timeval::TimeVal;

/// Opaque handle of one enqueued operation, unique within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub(crate) u64);

impl OpId {
    /// The raw number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// One item of the session's ordered output, from
/// [`ClientSession::poll_output`](super::ClientSession::poll_output).
///
/// Handle each in order, and call `poll_output` again until it returns `Timeout`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientOutput<'a> {
    /// Write these bytes on the control connection (through TLS when it is up).
    Transmit(&'a [u8]),
    /// Start a TLS handshake on the control connection, as `role` (always `Client` here),
    /// after writing every byte transmitted before; report it with
    /// [`ClientSession::handle_tls`](super::ClientSession::handle_tls).
    StartTls {
        /// The TLS role.
        role: TlsRole,
    },
    /// Send TLS close_notify on the control connection, keep the TCP stream and continue in
    /// plaintext (`CCC`); report [`TlsEvent::Stopped`](crate::session::TlsEvent::Stopped).
    StopTls,
    /// Do this with a data connection.
    Data(DataAction),
    /// Something happened.
    Event(ClientEvent),
    /// Close the control connection (and every data connection); the session is over.
    Close(CloseReason),
    /// Nothing more to do now: call
    /// [`handle_timeout`](super::ClientSession::handle_timeout) at this instant, if any.
    Timeout(Option<Instant>),
}

/// What happened in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Setup is done: greeting received, TLS negotiated (per configuration), `FEAT` asked,
    /// `PBSZ`/`PROT` sent (when before login). Operations run from now on.
    Ready {
        /// The control connection is encrypted.
        control_tls: bool,
    },
    /// Setup failed; every queued operation fails with [`ClientError::ConnectionClosed`] and
    /// a `Close` follows.
    SetupFailed {
        /// Why.
        error: ClientError,
    },
    /// The data connection of transfer `op` is `data`; emitted before the `Data` action that
    /// opens it. The adapter moves the bytes after [`DataAction::Start`].
    TransferData {
        /// The transfer operation.
        op: OpId,
        /// Its data connection.
        data: DataId,
    },
    /// An operation completed.
    Done {
        /// The operation.
        op: OpId,
        /// Its result.
        result: Result<OpOutput, ClientError>,
    },
    /// The server broke the protocol; the session closes (a `Close` follows).
    ProtocolViolation {
        /// How.
        violation: Violation,
    },
}

/// The successful result of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpOutput {
    /// Nothing to report beyond success (login).
    None,
    /// The final reply, for commands whose text is the result (CWD, DELE, SITE, STAT ...).
    Reply(Reply<'static>),
    /// A path from a `257` reply (PWD, MKD), quotes removed and `""` unescaped.
    Path(Vec<u8>),
    /// `SIZE`.
    Size(u64),
    /// `MDTM`.
    Time(TimeVal),
    /// `FEAT`.
    Features(Features),
    /// `STOU`: the name the server stored the upload under.
    StoredAs(Vec<u8>),
    /// A transfer completed; `bytes` as reported by the adapter.
    Transferred {
        /// Bytes moved on the data connection.
        bytes: u64,
    },
}
