//! [`Request`]s the server session hands to the application and the [`Response`]s it takes back.

use crate::listing::{FactSet, FileInfo};
use crate::session::{DataId, StorageError};
use crate::timeval::TimeVal;
use crate::vpath::VirtualPath;
use crate::{ReplyCode, Secret};

/// Opaque handle of one [`Request`]; answer it with
/// [`ServerSession::respond`](super::ServerSession::respond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// The raw number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// How a `STOR`-family command writes its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `STOR`: create or truncate, then write from `offset` (`offset > 0` after `REST`: keep the
    /// first `offset` bytes and write from there; `APPE` after `REST` is mapped here too, as
    /// RFC 3659 §5.3 asks).
    Replace,
    /// `APPE`: create or append.
    Append,
    /// `STOU`: create a new file under a unique name the application picks in the directory
    /// given as `path`, and reports with [`Response::StoreUnique`].
    Unique,
}

/// What a listing request's data connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListFormat {
    /// `LIST`: `ls -l` style lines
    /// ([`format_list_line`](crate::listing::format_list_line)).
    List,
    /// `NLST`: names only.
    Nlst,
    /// `MLSD`: machine-readable facts (RFC 3659 §7), restricted to the request's `facts`.
    Mlsd,
}

/// Which reply a [`Request::Stat`] gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatFormat {
    /// `MLST path`: one `250` entry with the selected facts.
    Mlst,
    /// `STAT path`: a `213` reply with `ls -l` style lines on the control connection.
    List,
}

/// Something only the application can do: check credentials, touch storage.
///
/// Paths are already resolved against the session's current directory and clamped inside the
/// virtual root ([`VirtualPath`]): the application joins
/// [`components`](VirtualPath::components) under its real root and never sees `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// `PASS` (or `ACCT` after a `332`): check the credentials. Answer
    /// [`Response::LoggedIn`], [`Response::LoginFailed`] or [`Response::NeedAccount`].
    Authenticate {
        /// The `USER` name, as sent.
        user: Vec<u8>,
        /// The `PASS` argument.
        password: Secret<'static>,
        /// The `ACCT` argument, when the application asked for one.
        account: Option<Secret<'static>>,
    },
    /// `CWD`/`CDUP`/`XCWD`/`XCUP`: is `path` a directory the user may enter? Answer `Ok`.
    ChangeDir {
        /// Target directory.
        path: VirtualPath,
    },
    /// `MKD`/`XMKD`. Answer `Ok` or [`Response::Created`].
    MakeDir {
        /// Directory to create.
        path: VirtualPath,
    },
    /// `RMD`/`XRMD`. Answer `Ok`.
    RemoveDir {
        /// Directory to remove.
        path: VirtualPath,
    },
    /// `DELE`. Answer `Ok`.
    Delete {
        /// File to delete.
        path: VirtualPath,
    },
    /// `RNFR`: does `path` exist and may it be renamed? Answer `Ok` (`350`).
    RenameFrom {
        /// The file or directory to rename.
        path: VirtualPath,
    },
    /// `RNTO` after an accepted `RNFR`. Answer `Ok`.
    Rename {
        /// Old name.
        from: VirtualPath,
        /// New name.
        to: VirtualPath,
    },
    /// `SIZE`: the transfer size in the current type. Answer [`Response::Size`].
    Size {
        /// The file.
        path: VirtualPath,
        /// `TYPE A` is in force: the size after CRLF conversion is wanted (or refuse with
        /// [`StorageError::Unsupported`]).
        ascii: bool,
    },
    /// `MDTM`. Answer [`Response::Time`].
    ModifiedTime {
        /// The file.
        path: VirtualPath,
    },
    /// `MFMT`. Answer `Ok` (or [`Response::Time`] with the time actually set).
    SetModifiedTime {
        /// The file.
        path: VirtualPath,
        /// The new modification time (UTC).
        time: TimeVal,
    },
    /// `MLST path` ([`Response::Info`]) or `STAT path` ([`Response::Listing`]).
    Stat {
        /// The file or directory.
        path: VirtualPath,
        /// The reply that will carry the answer.
        format: StatFormat,
        /// Facts selected by `OPTS MLST` (for [`StatFormat::Mlst`]).
        facts: FactSet,
    },
    /// `SITE`: answer [`Response::Site`] (or `Error`/`Denied`).
    Site {
        /// Everything after `SITE `.
        command: Vec<u8>,
    },
    /// `HOST` (RFC 7151, before login): select a virtual host. Answer `Ok` (`220`) or
    /// `Denied` (`504`, unknown host).
    Host {
        /// The host name as sent.
        name: Vec<u8>,
    },
    /// `RETR`: open the file for reading. Answer `Ok` when it is open; the core then sets up
    /// the data connection `data` and asks the adapter to start moving bytes with
    /// [`DataAction::Start`](crate::session::DataAction).
    Retrieve {
        /// The file.
        path: VirtualPath,
        /// Bytes to skip (`REST`).
        offset: u64,
        /// The data connection the bytes go to.
        data: DataId,
        /// `TYPE A`: convert line ends to CRLF ([`crate::ascii`]).
        ascii: bool,
    },
    /// `STOR`/`APPE`/`STOU`: open the file for writing. Answer `Ok` (or
    /// [`Response::StoreUnique`] for `STOU`).
    Store {
        /// The file (for [`StoreMode::Unique`]: the directory).
        path: VirtualPath,
        /// Write position (`REST`).
        offset: u64,
        /// How to open the file.
        mode: StoreMode,
        /// The data connection the bytes come from.
        data: DataId,
        /// `TYPE A`: convert CRLF to local line ends ([`crate::ascii`]).
        ascii: bool,
    },
    /// `LIST`/`NLST`/`MLSD`: read the directory (or the single file). Answer `Ok`; the adapter
    /// formats the entries onto the data connection with [`crate::listing`].
    List {
        /// The directory or file.
        path: VirtualPath,
        /// Line format.
        format: ListFormat,
        /// The data connection.
        data: DataId,
        /// Facts selected by `OPTS MLST` (for [`ListFormat::Mlsd`]).
        facts: FactSet,
        /// `LIST -a` (or `-la`...): include dot files.
        all: bool,
    },
}

/// The application's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// Done / allowed (the reply depends on the request: `250`, `257`, `350`, `150`, ...).
    Ok,
    /// `Authenticate`: the credentials are good (`230`).
    LoggedIn,
    /// `Authenticate`: refused (`530`, after the configured delay).
    LoginFailed,
    /// `Authenticate`: an account is needed (`332`); for a `Store`: `532`.
    NeedAccount,
    /// `Size`: the size in bytes (`213 n`).
    Size(u64),
    /// `ModifiedTime` / `SetModifiedTime`: the time (`213 ...`).
    Time(TimeVal),
    /// `Stat`: the entry.
    Info(FileInfo),
    /// `Stat` with [`StatFormat::List`]: the entries to show, in `ls -l` style
    /// ([`format_list_line`](crate::listing::format_list_line)).
    Listing {
        /// The entries (the file itself, or a directory's contents).
        entries: Vec<FileInfo>,
        /// The current time in Unix seconds (chooses between `HH:MM` and the year).
        now_unix: i64,
    },
    /// `MakeDir`: created, under this (possibly adjusted) path (`257 "path"`).
    Created(VirtualPath),
    /// `Store` with [`StoreMode::Unique`]: the name chosen (`150 FILE: name`).
    StoreUnique {
        /// The file name (or path) that was created.
        name: Vec<u8>,
    },
    /// `Site`: the reply to send: a 2yz, 4yz or 5yz code and its text (lines separated by `\n`).
    Site {
        /// The reply code.
        code: ReplyCode,
        /// The reply text.
        text: Vec<u8>,
    },
    /// The storage refused; the reply code follows from the error (see [`StorageError`]).
    Error(StorageError),
    /// Not allowed for this user (`550`; `504` for `Host`; `530` for `Authenticate`).
    Denied,
}
