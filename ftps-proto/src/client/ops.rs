//! What a caller can ask a [`ClientSession`](super::ClientSession) to do: [`Operation`]s
//! (one command, or a short fixed group like `RNFR`/`RNTO`) and [`Transfer`]s.

use crate::codec::{Command, RepresentationType};
use crate::timeval::TimeVal;

/// A single-command operation (or the `RNFR`+`RNTO` pair) for
/// [`ClientSession::command`](super::ClientSession::command).
///
/// Arguments borrow from the caller; the session copies what it keeps. Any argument holding
/// CR, LF or NUL is refused with a [`LocalError`](super::LocalError) and nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation<'a> {
    /// `CWD path`. Result: [`OpOutput::Reply`](super::OpOutput::Reply).
    Cwd(&'a [u8]),
    /// `CDUP` (`200` and `250` both succeed). Result: `Reply`.
    Cdup,
    /// `PWD`. Result: [`OpOutput::Path`](super::OpOutput::Path).
    Pwd,
    /// `MKD path`. Result: `Path` (the created directory, as the server names it).
    Mkd(&'a [u8]),
    /// `RMD path`. Result: `Reply`.
    Rmd(&'a [u8]),
    /// `DELE path`. Result: `Reply`.
    Dele(&'a [u8]),
    /// `RNFR from` then `RNTO to`, as one operation. Result: `Reply` (the `RNTO` reply).
    Rename {
        /// The existing name.
        from: &'a [u8],
        /// The new name.
        to: &'a [u8],
    },
    /// `SIZE path`. Result: [`OpOutput::Size`](super::OpOutput::Size).
    Size(&'a [u8]),
    /// `MDTM path`. Result: [`OpOutput::Time`](super::OpOutput::Time).
    Mdtm(&'a [u8]),
    /// `MFMT time path`. Result: `Reply`.
    Mfmt {
        /// The new modification time.
        time: TimeVal,
        /// The file.
        path: &'a [u8],
    },
    /// `MLST [path]`: the facts come on the control connection. Result: `Reply` (entry lines
    /// start with a space).
    Mlst(Option<&'a [u8]>),
    /// `SITE text`. Result: `Reply`.
    Site(&'a [u8]),
    /// `STAT [path]`. Result: `Reply`.
    Stat(Option<&'a [u8]>),
    /// `SYST`. Result: `Reply`.
    Syst,
    /// `HELP [topic]`. Result: `Reply`.
    Help(Option<&'a [u8]>),
    /// `NOOP`. Result: `Reply`.
    Noop,
    /// `FEAT`; the session's feature set is replaced by the answer. Result:
    /// [`OpOutput::Features`](super::OpOutput::Features).
    Feat,
    /// `TYPE`. Transfers set the type they need themselves. Result: `Reply`.
    Type(RepresentationType),
    /// `CCC` (RFC 4217 §6): clear the control channel after `200`. Refused locally when TLS is
    /// required by the configuration. Result: `Reply`.
    Ccc,
    /// `REIN`: back to the just-connected state (logged out, clear data protection).
    /// Result: `Reply`.
    Rein,
    /// `QUIT`; the session closes after the reply. Result: `Reply`.
    Quit,
    /// Any other single command whose replies are final (2yz/4yz/5yz); an unknown verb may
    /// also end with a 3yz. Commands the session drives itself (login, security, data
    /// connection and transfer commands) are refused: use the matching operation.
    Raw(Command<'a>),
}

/// The kind of a data transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferKind {
    /// `RETR path`: download.
    Retr,
    /// `STOR path`: upload, replacing.
    Stor,
    /// `APPE path`: upload, appending.
    Appe,
    /// `STOU`: upload under a name the server picks (reported as
    /// [`OpOutput::StoredAs`](super::OpOutput::StoredAs)).
    Stou,
    /// `LIST [path]`: a human-readable listing.
    List,
    /// `NLST [path]`: names only.
    Nlst,
    /// `MLSD [path]`: machine-readable facts (RFC 3659).
    Mlsd,
}

impl TransferKind {
    /// Whether the data flows from the client to the server.
    pub fn is_upload(self) -> bool {
        matches!(
            self,
            TransferKind::Stor | TransferKind::Appe | TransferKind::Stou
        )
    }

    /// Whether the transfer is a directory listing.
    pub fn is_listing(self) -> bool {
        matches!(
            self,
            TransferKind::List | TransferKind::Nlst | TransferKind::Mlsd
        )
    }

    /// Whether the command needs a path (`RETR`, `STOR`, `APPE`).
    pub fn needs_path(self) -> bool {
        matches!(
            self,
            TransferKind::Retr | TransferKind::Stor | TransferKind::Appe
        )
    }
}

/// One data transfer for [`ClientSession::transfer`](super::ClientSession::transfer).
///
/// ```
/// use ftps_proto::client::{Transfer, TransferKind};
/// let t = Transfer::new(TransferKind::Retr, b"file.bin").offset(1024);
/// assert_eq!(t.offset, 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transfer<'a> {
    /// What to transfer.
    pub kind: TransferKind,
    /// The path (required for `RETR`/`STOR`/`APPE`, optional for listings, a name suggestion
    /// for `STOU` that most servers ignore).
    pub path: Option<&'a [u8]>,
    /// Restart offset: when non-zero, `REST offset` precedes the command (RETR/STOR/APPE).
    pub offset: u64,
    /// `TYPE A` instead of `TYPE I` (the adapter converts line ends). Listings ignore it.
    pub ascii: bool,
}

impl<'a> Transfer<'a> {
    /// A binary transfer of `path`.
    pub fn new(kind: TransferKind, path: &'a [u8]) -> Self {
        Transfer {
            kind,
            path: Some(path),
            offset: 0,
            ascii: false,
        }
    }

    /// A transfer without a path (`LIST`/`NLST`/`MLSD` of the current directory, `STOU`).
    pub fn without_path(kind: TransferKind) -> Self {
        Transfer {
            kind,
            path: None,
            offset: 0,
            ascii: false,
        }
    }

    /// Sets the restart offset.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Selects ASCII (`TYPE A`) mode.
    pub fn ascii(mut self, ascii: bool) -> Self {
        self.ascii = ascii;
        self
    }
}
