//! Types shared by the client and server sessions: TLS and data-connection events and actions.
//!
//! Data bytes never pass through the core: the adapter moves them and reports, with
//! [`DataEvent`]s, when a data connection opened and how it ended. The core decides when a data
//! connection may open, whether it must be TLS, whether its peer is acceptable and what the
//! transfer's final reply or result is.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;

/// Which side of a TLS handshake the adapter must play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsRole {
    /// Start a TLS client handshake.
    Client,
    /// Start a TLS server handshake.
    Server,
}

/// What the adapter reports about the control connection's TLS layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsEvent {
    /// The handshake requested by `StartTls` completed.
    Established,
    /// The handshake failed; the adapter closes the connection after reporting it.
    Failed,
    /// After `StopTls` (CCC): close_notify was exchanged, the stream is plaintext again.
    Stopped,
}

/// Opaque handle of one data connection, unique within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataId(pub(crate) u64);

impl DataId {
    /// The raw number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// How a data connection must be protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataProtection {
    /// `PROT P` is in force: the data connection is TLS, and the FTP client is the TLS client
    /// (also in active mode).
    pub tls: bool,
    /// Server only: the data connection's TLS session must resume the control connection's
    /// session (binding against data-connection theft). The adapter reports whether it did in
    /// [`DataEvent::Connected`]; the core refuses the connection if it did not.
    pub require_session_reuse: bool,
}

/// What the core asks the adapter to do with data connections.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataAction {
    /// Open a listening socket on `ip`, on a port from `ports` (any port when `None`), and
    /// report [`DataEvent::Listening`]. Then accept connections and report each with
    /// [`DataEvent::Connected`] (after its TLS handshake when `protection.tls`).
    Listen {
        /// The data connection this is for.
        id: DataId,
        /// Local address to bind.
        ip: IpAddr,
        /// Port range to pick from.
        ports: Option<RangeInclusive<u16>>,
        /// TLS requirements.
        protection: DataProtection,
        /// When `Some`, only connections from this address are wanted: the adapter drops a
        /// connection from any other address as soon as it is accepted, before any TLS
        /// handshake, reports no event for it, and keeps listening (S2577-PEER; a foreign
        /// peer must not be able to fail the transfer by sending garbage). The core still
        /// checks the peer on [`DataEvent::Connected`]. `None`: any peer may connect (the
        /// client session always sets `None`).
        accept_from: Option<IpAddr>,
    },
    /// Connect to `addr`, do the TLS handshake when `protection.tls`, and report
    /// [`DataEvent::Connected`].
    Connect {
        /// The data connection this is for.
        id: DataId,
        /// The peer to connect to.
        addr: SocketAddr,
        /// TLS requirements.
        protection: DataProtection,
    },
    /// The connection reported as connected is accepted: start moving the transfer's bytes
    /// now, then report [`DataEvent::Finished`] or [`DataEvent::Failed`].
    Start {
        /// The data connection.
        id: DataId,
    },
    /// Drop the most recent connection reported on `id` (its peer or TLS session was
    /// refused) but keep listening for another one.
    Reject {
        /// The data connection.
        id: DataId,
    },
    /// Abort and close the data connection and its listener, if any. No further events are
    /// expected for `id` (any that arrive are ignored).
    Close {
        /// The data connection.
        id: DataId,
    },
}

/// Details of an established data connection's TLS session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataTls {
    /// The handshake resumed the control connection's TLS session.
    pub resumed_control_session: bool,
}

/// What the adapter reports about one data connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataEvent {
    /// The listener asked for by [`DataAction::Listen`] is bound at `addr`.
    Listening {
        /// The bound address.
        addr: SocketAddr,
    },
    /// A connection is established (TLS included, when required). The adapter waits for
    /// [`DataAction::Start`] (or `Reject`/`Close`) before moving bytes.
    Connected {
        /// The remote address.
        peer: SocketAddr,
        /// The TLS session, when one was negotiated.
        tls: Option<DataTls>,
    },
    /// The transfer ended cleanly: end of stream seen (with TLS close_notify when TLS) and,
    /// on the server, the storage side finished too.
    Finished {
        /// Bytes moved on the data connection.
        bytes: u64,
    },
    /// The data connection could not be made or broke.
    Failed(DataError),
    /// Bytes are still moving: `bytes` is the running total on this connection. Reporting it
    /// (at most every few seconds is enough) keeps the server's data-stall timer from firing.
    Progress {
        /// Bytes moved so far.
        bytes: u64,
    },
}

/// Why a data connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataError {
    /// Could not bind a listener.
    ListenFailed,
    /// Could not connect.
    ConnectFailed,
    /// The TLS handshake failed (or the peer spoke cleartext where TLS was required, or, at a
    /// client, the data connection's certificate was not the control connection's).
    TlsFailed,
    /// The stream ended without TLS close_notify: the data may be truncated.
    Truncated,
    /// The connection was reset or an I/O error occurred mid-transfer.
    Broken,
    /// Server only: the storage side failed.
    Storage(StorageError),
}

/// Server storage failure classes; each maps to one reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StorageError {
    /// No such file or directory (`550`).
    NotFound,
    /// Permission denied (`550`).
    PermissionDenied,
    /// A file or directory by that name exists (`550`/`553`).
    AlreadyExists,
    /// The name is not allowed (`553`).
    InvalidName,
    /// Out of space on the device (`452`).
    InsufficientStorage,
    /// Quota or size limit exceeded (`552`).
    QuotaExceeded,
    /// The operation is not supported by this storage (`502`/`504`).
    Unsupported,
    /// A local error (`451`).
    Local,
    /// A directory was expected (`MLSD` of a file: `501`; otherwise `550`).
    NotADirectory,
    /// The restart offset given by `REST` is past the end of the file or otherwise unusable
    /// (`554`, RFC 1123 §4.1.3.4).
    InvalidOffset,
}

/// Why the core asks the adapter to close the control connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer asked (`QUIT`) or the session ended normally.
    Quit,
    /// The peer closed the control connection.
    PeerClosed,
    /// A timer ran out (idle, login, reply, TLS handshake ...).
    Timeout,
    /// Too many failed login attempts.
    TooManyFailedLogins,
    /// The peer broke the protocol in a way the session cannot recover from.
    ProtocolViolation(&'static str),
    /// Plaintext bytes were pipelined behind `AUTH`/after `234` (TLS injection attempt).
    TlsInjection,
    /// The TLS handshake failed.
    TlsFailed,
    /// The server is shutting down (`421`).
    Shutdown,
}

/// Caller misuse of a session API: returned as `Err`, the session state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalError {
    /// The handle does not name a request or operation that is waiting for an answer.
    UnknownRequest,
    /// The response does not fit the request it answers (e.g. `Size` for a `Delete`).
    UnexpectedResponse,
    /// A reply code given by the application is not allowed here (e.g. a 1yz or 3yz code for
    /// a `SITE` reply).
    InvalidReplyCode,
    /// The session is closed.
    Closed,
}

impl std::fmt::Display for LocalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LocalError::UnknownRequest => "no such request is waiting for an answer",
            LocalError::UnexpectedResponse => "response does not fit the request",
            LocalError::InvalidReplyCode => "reply code not allowed here",
            LocalError::Closed => "session is closed",
        })
    }
}

impl std::error::Error for LocalError {}
