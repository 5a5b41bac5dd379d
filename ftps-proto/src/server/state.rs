//! The server session's state: one enum per concern.

use std::net::SocketAddr;
use std::time::Instant;

use super::request::{ListFormat, StatFormat, StoreMode};
use crate::session::{DataError, DataId, DataProtection, DataTls};
use crate::timeval::TimeVal;
use crate::vpath::VirtualPath;
use crate::Secret;

/// The control connection's phase.
#[derive(Debug)]
pub(crate) enum Conn {
    /// A TLS handshake is running (implicit start, or after `234`).
    Handshake { since: Instant, implicit: bool },
    /// `120` was sent; the `220` follows at `until`.
    Delayed { until: Instant },
    /// Commands are read and answered.
    Open,
    /// `StopTls` was asked (CCC or REIN); waiting for `TlsEvent::Stopped`.
    Stopping { since: Instant, ccc: bool },
    /// `Close` was queued.
    Closed,
}

/// What keeps the next command line from being handled.
#[derive(Debug)]
pub(crate) enum Wait {
    /// Nothing: handle the next line.
    None,
    /// The application owes an answer to request `id`.
    App { id: u64, pending: Pending },
    /// PASV/EPSV asked the adapter to listen; waiting for `Listening`.
    Listen {
        data: DataId,
        extended: bool,
        since: Instant,
    },
    /// A failed login's reply is held back until `until`; `last` ends the session.
    LoginDelay { until: Instant, last: bool },
    /// A transfer is under way: only `ABOR` and `STAT` are handled.
    Transfer,
}

/// The part of a request needed to build its reply.
#[derive(Debug)]
pub(crate) enum Pending {
    Auth {
        user: Vec<u8>,
        password: Option<Secret<'static>>,
    },
    ChangeDir {
        path: VirtualPath,
    },
    MakeDir {
        path: VirtualPath,
    },
    RemoveDir,
    Delete,
    RenameFrom {
        path: VirtualPath,
    },
    Rename,
    Size,
    ModifiedTime,
    SetModifiedTime {
        path: VirtualPath,
        time: TimeVal,
    },
    Stat {
        path: VirtualPath,
        format: StatFormat,
    },
    Site,
    Host,
    Transfer {
        data: DataId,
        kind: XferKind,
    },
}

/// Login progress.
#[derive(Debug)]
pub(crate) enum Login {
    /// No `USER` yet (or it was reset).
    Idle,
    /// `USER` accepted (`331`); `PASS` must follow.
    User { name: Vec<u8> },
    /// `332`: `ACCT` must follow.
    Account {
        name: Vec<u8>,
        password: Secret<'static>,
    },
    /// Logged in.
    In { name: Vec<u8> },
}

/// Control-channel security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// Cleartext, never secured (or reset by REIN).
    Plain,
    /// TLS is active.
    Tls,
    /// TLS was cleared by `CCC`: PBSZ/PROT are refused.
    Cleared,
}

/// Data-protection negotiation (RFC 2228 PBSZ/PROT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prot {
    pub(crate) pbsz: bool,
    pub(crate) private: bool,
}

/// Representation parameters; only TYPE matters for the transfer (STRU F, MODE S are fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeCode {
    /// `TYPE A N`, or `TYPE A` alone (ARG-FORM: a `TYPE` that names only the type goes back to
    /// the non-print format).
    Ascii,
    /// `TYPE A T`: the file holds Telnet format effectors; transferred as `A N` is.
    AsciiTelnet,
    /// `TYPE I` or `L 8`.
    Image,
}

impl TypeCode {
    /// Transfers convert line ends (`TYPE A`, either format).
    pub(crate) fn is_ascii(self) -> bool {
        matches!(self, TypeCode::Ascii | TypeCode::AsciiTelnet)
    }
}

/// Which kind of transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XferKind {
    Retrieve,
    Store(StoreMode),
    List(ListFormat),
}

/// The data connection prepared for the next transfer command.
#[derive(Debug)]
pub(crate) enum DataSetup {
    None,
    /// PASV/EPSV: a listener (its port was announced when `announced`).
    Passive {
        id: DataId,
        protection: DataProtection,
        conn: PassiveConn,
    },
    /// PORT/EPRT: the address to connect to at the transfer.
    Active {
        id: DataId,
        addr: SocketAddr,
    },
}

/// What happened on a passive listener before the transfer command.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PassiveConn {
    /// Nobody (acceptable) connected yet.
    Waiting,
    /// A connection from the control peer is held (no bytes move until `Start`).
    Connected { tls: Option<DataTls> },
    /// The listener or its connection failed.
    Failed(DataError),
}

/// The running transfer.
#[derive(Debug)]
pub(crate) struct Transfer {
    pub(crate) data: DataId,
    pub(crate) kind: XferKind,
    pub(crate) protection: DataProtection,
    /// Passive: connections are accepted only from the control peer's address.
    pub(crate) passive: bool,
    pub(crate) stage: Stage,
    pub(crate) bytes: u64,
}

/// Where the running transfer is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    /// The 1yz was sent; waiting for the data connection (passive accept or active connect).
    Connecting { since: Instant },
    /// `Start` was sent; bytes move. `last` is the last sign of progress.
    Running { last: Instant },
}
