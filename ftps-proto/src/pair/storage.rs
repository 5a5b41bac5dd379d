//! [`MemStorage`]: the in-memory file tree and user table that answers the server session's
//! [`Request`]s inside a [`Pair`](super::Pair).

use std::collections::{BTreeMap, BTreeSet};

use crate::ascii::{AsciiDecoder, AsciiEncoder};
use crate::listing::{format_listing, FactSet, FileInfo, FileKind};
use crate::server::{ListFormat, Request, Response, StatFormat, StoreMode};
use crate::session::StorageError;
use crate::timeval::TimeVal;
use crate::vpath::{PathError, VirtualPath};
use crate::ReplyCode;

/// 1970-01-01T00:00:00Z.
const EPOCH: TimeVal = TimeVal {
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    nanos: 0,
    frac_digits: 0,
};

/// One user of the table.
#[derive(Debug, Clone)]
struct User {
    password: Vec<u8>,
    /// When set, `PASS` is answered `332` and `ACCT` must give this.
    account: Option<Vec<u8>>,
}

/// One stored file.
#[derive(Debug, Clone)]
struct MemFile {
    data: Vec<u8>,
    modified: TimeVal,
}

/// What the server side of a data connection does once both ends started.
#[derive(Debug, Clone)]
pub(crate) enum ServerJob {
    /// Send these bytes (a file from its offset, already in network form, or a listing).
    Send(Vec<u8>),
    /// Receive an upload into `path` (opened, and truncated or created, already).
    Receive {
        /// The file written to.
        path: VirtualPath,
        /// `TYPE A`: network CRLF becomes LF.
        ascii: bool,
    },
}

/// A deterministic in-memory store for the [`Pair`](super::Pair)'s server: files
/// (`BTreeMap<VirtualPath, _>`), directories (the root always exists), a user table and a
/// few fault knobs. It answers every [`Request`] the server session emits, formatting
/// listings with the core's [`crate::listing`] formatters and converting `TYPE A` data with
/// [`crate::ascii`].
///
/// ```
/// use ftps_proto::pair::MemStorage;
///
/// let mut storage = MemStorage::new();
/// storage.add_user(b"alice", b"secret");
/// storage.put(b"/pub/readme.txt", b"hello\n")?;
/// assert!(storage.is_dir(b"/pub"));
/// assert_eq!(storage.get(b"/pub/readme.txt"), Some(&b"hello\n"[..]));
/// # Ok::<(), ftps_proto::vpath::PathError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MemStorage {
    files: BTreeMap<VirtualPath, MemFile>,
    dirs: BTreeSet<VirtualPath>,
    users: BTreeMap<Vec<u8>, User>,
    /// Largest file size accepted; an upload past it fails with `QuotaExceeded` (`552`).
    quota: Option<u64>,
    /// Errors the next storage requests are answered with, first first.
    fail_next: Vec<StorageError>,
    /// The current time in Unix seconds (set by the pair from its virtual clock).
    now_unix: i64,
    /// Counter for `STOU` names.
    next_unique: u64,
}

impl Default for MemStorage {
    fn default() -> Self {
        MemStorage::new()
    }
}

impl MemStorage {
    /// An empty store: the root directory only, no users, no quota.
    pub fn new() -> MemStorage {
        let mut dirs = BTreeSet::new();
        dirs.insert(VirtualPath::root());
        MemStorage {
            files: BTreeMap::new(),
            dirs,
            users: BTreeMap::new(),
            quota: None,
            fail_next: Vec::new(),
            now_unix: super::UNIX_BASE,
            next_unique: 0,
        }
    }

    /// Adds (or replaces) a user that logs in with `password`.
    pub fn add_user(&mut self, name: &[u8], password: &[u8]) -> &mut Self {
        self.users.insert(
            name.to_vec(),
            User {
                password: password.to_vec(),
                account: None,
            },
        );
        self
    }

    /// Adds (or replaces) a user whose login also needs `ACCT account` (`PASS` gets `332`).
    pub fn add_user_with_account(
        &mut self,
        name: &[u8],
        password: &[u8],
        account: &[u8],
    ) -> &mut Self {
        self.users.insert(
            name.to_vec(),
            User {
                password: password.to_vec(),
                account: Some(account.to_vec()),
            },
        );
        self
    }

    /// Stores `data` at `path` (resolved from the root), creating the missing parent
    /// directories, and returns the resolved path.
    ///
    /// # Errors
    ///
    /// The [`PathError`] of [`VirtualPath::resolve`]; [`PathError::InvalidName`] for the root
    /// or a path whose parent is a file.
    pub fn put(&mut self, path: &[u8], data: &[u8]) -> Result<VirtualPath, PathError> {
        let path = VirtualPath::root().resolve(path)?;
        let parent = path.parent().ok_or(PathError::InvalidName)?;
        if self.dirs.contains(&path) {
            return Err(PathError::InvalidName);
        }
        self.make_dirs(&parent)?;
        let modified = self.now();
        self.files.insert(
            path.clone(),
            MemFile {
                data: data.to_vec(),
                modified,
            },
        );
        Ok(path)
    }

    /// Creates directory `path` and its missing parents (like `mkdir -p`).
    ///
    /// # Errors
    ///
    /// The [`PathError`] of [`VirtualPath::resolve`]; [`PathError::InvalidName`] when a
    /// component is a file.
    pub fn mkdir_all(&mut self, path: &[u8]) -> Result<VirtualPath, PathError> {
        let path = VirtualPath::root().resolve(path)?;
        self.make_dirs(&path)?;
        Ok(path)
    }

    fn make_dirs(&mut self, path: &VirtualPath) -> Result<(), PathError> {
        let mut chain = Vec::new();
        let mut at = Some(path.clone());
        while let Some(p) = at {
            if self.dirs.contains(&p) {
                break;
            }
            if self.files.contains_key(&p) {
                return Err(PathError::InvalidName);
            }
            at = p.parent();
            chain.push(p);
        }
        self.dirs.extend(chain);
        Ok(())
    }

    /// The content of file `path`, if there is one.
    pub fn get(&self, path: &[u8]) -> Option<&[u8]> {
        let path = VirtualPath::root().resolve(path).ok()?;
        self.files.get(&path).map(|f| f.data.as_slice())
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &[u8]) -> bool {
        VirtualPath::root()
            .resolve(path)
            .is_ok_and(|p| self.dirs.contains(&p))
    }

    /// Every file path, in order.
    pub fn file_paths(&self) -> impl Iterator<Item = &VirtualPath> + '_ {
        self.files.keys()
    }

    /// Every directory path (the root included), in order.
    pub fn dir_paths(&self) -> impl Iterator<Item = &VirtualPath> + '_ {
        self.dirs.iter()
    }

    /// Sets the largest file size an upload may reach (`None`: no limit).
    pub fn set_quota(&mut self, quota: Option<u64>) {
        self.quota = quota;
    }

    /// Answers the next storage request (any but `Authenticate`) with `error`; calls queue up.
    pub fn fail_next(&mut self, error: StorageError) {
        self.fail_next.push(error);
    }

    /// Sets a file's modification time; `false` when there is no such file.
    pub fn set_modified(&mut self, path: &[u8], time: TimeVal) -> bool {
        let Ok(path) = VirtualPath::root().resolve(path) else {
            return false;
        };
        match self.files.get_mut(&path) {
            Some(f) => {
                f.modified = time;
                true
            }
            None => false,
        }
    }

    /// Sets the store's idea of the current time (Unix seconds): new files get it as their
    /// modification time, and listings choose between `HH:MM` and the year by it.
    pub fn set_now_unix(&mut self, now_unix: i64) {
        self.now_unix = now_unix;
    }

    fn now(&self) -> TimeVal {
        // A time set outside years 1000-9999 falls back to the epoch.
        TimeVal::from_unix(self.now_unix, 0).unwrap_or(EPOCH)
    }

    // ---- answering the server ----

    /// Answers `request`: the response, and what the data connection does when it is a
    /// transfer that was accepted.
    pub(crate) fn answer(&mut self, request: &Request) -> (Response, Option<ServerJob>) {
        if let Request::Authenticate {
            user,
            password,
            account,
        } = request
        {
            let response = match self.users.get(user) {
                Some(u) if u.password == password.expose() => match (&u.account, account) {
                    (None, _) => Response::LoggedIn,
                    (Some(_), None) => Response::NeedAccount,
                    (Some(want), Some(got)) if want.as_slice() == got.expose() => {
                        Response::LoggedIn
                    }
                    (Some(_), Some(_)) => Response::LoginFailed,
                },
                _ => Response::LoginFailed,
            };
            return (response, None);
        }
        if !self.fail_next.is_empty() {
            let error = self.fail_next.remove(0);
            return (Response::Error(error), None);
        }
        match self.answer_storage(request) {
            Ok(answer) => answer,
            Err(e) => (Response::Error(e), None),
        }
    }

    fn answer_storage(
        &mut self,
        request: &Request,
    ) -> Result<(Response, Option<ServerJob>), StorageError> {
        let ok = Ok((Response::Ok, None));
        match request {
            Request::ChangeDir { path } => {
                self.dir(path)?;
                ok
            }
            Request::MakeDir { path } => {
                self.creatable(path)?;
                self.dirs.insert(path.clone());
                Ok((Response::Created(path.clone()), None))
            }
            Request::RemoveDir { path } => {
                self.dir(path)?;
                if path.is_root() || self.children(path).next().is_some() {
                    return Err(StorageError::PermissionDenied);
                }
                self.dirs.remove(path);
                ok
            }
            Request::Delete { path } => {
                self.file(path)?;
                self.files.remove(path);
                ok
            }
            Request::RenameFrom { path } => {
                if path.is_root() {
                    return Err(StorageError::PermissionDenied);
                }
                self.exists(path)?;
                ok
            }
            Request::Rename { from, to } => {
                self.rename(from, to)?;
                ok
            }
            Request::Size { path, ascii } => {
                let data = &self.file(path)?.data;
                let size = if *ascii {
                    AsciiEncoder::new().measure(data)
                } else {
                    data.len() as u64
                };
                Ok((Response::Size(size), None))
            }
            Request::ModifiedTime { path } => {
                let time = self.file(path)?.modified;
                Ok((Response::Time(time), None))
            }
            Request::SetModifiedTime { path, time } => {
                self.files
                    .get_mut(path)
                    .ok_or(StorageError::NotFound)?
                    .modified = *time;
                ok
            }
            Request::Stat { path, format, .. } => match format {
                StatFormat::Mlst => {
                    let mut info = self.info(path)?;
                    info.name = path.as_bytes().to_vec();
                    Ok((Response::Info(info), None))
                }
                StatFormat::List => Ok((
                    Response::Listing {
                        entries: self.entries(path)?,
                        now_unix: self.now_unix,
                    },
                    None,
                )),
            },
            Request::Site { .. } => Ok((
                Response::Site {
                    code: ReplyCode::C200,
                    text: b"SITE command accepted.".to_vec(),
                },
                None,
            )),
            Request::Host { .. } => ok,
            Request::Retrieve {
                path,
                offset,
                ascii,
                ..
            } => {
                let data = &self.file(path)?.data;
                let start = usize::try_from(*offset)
                    .ok()
                    .filter(|&o| o <= data.len())
                    .ok_or(StorageError::InvalidOffset)?;
                let rest = data.get(start..).unwrap_or_default();
                let bytes = if *ascii {
                    let mut out = Vec::with_capacity(rest.len());
                    AsciiEncoder::new().convert(rest, &mut out);
                    out
                } else {
                    rest.to_vec()
                };
                Ok((Response::Ok, Some(ServerJob::Send(bytes))))
            }
            Request::Store {
                path,
                offset,
                mode,
                ascii,
                ..
            } => self.open_store(path, *offset, *mode, *ascii),
            Request::List {
                path,
                format,
                facts,
                all,
                ..
            } => {
                if *format == ListFormat::Mlsd && !self.dirs.contains(path) {
                    self.exists(path)?;
                    return Err(StorageError::NotADirectory);
                }
                let entries = self.entries(path)?;
                let bytes = self.format_listing(&entries, *format, *facts, *all);
                Ok((Response::Ok, Some(ServerJob::Send(bytes))))
            }
            _ => Err(StorageError::Unsupported),
        }
    }

    /// Opens an upload's file: checks, truncation or creation, the `STOU` name.
    fn open_store(
        &mut self,
        path: &VirtualPath,
        offset: u64,
        mode: StoreMode,
        ascii: bool,
    ) -> Result<(Response, Option<ServerJob>), StorageError> {
        let (target, response) = match mode {
            StoreMode::Unique => {
                self.dir(path)?;
                let name = loop {
                    self.next_unique += 1;
                    let mut name = b"stou.".to_vec();
                    name.extend_from_slice(self.next_unique.to_string().as_bytes());
                    let candidate = path.join(&name).map_err(|_| StorageError::InvalidName)?;
                    if !self.files.contains_key(&candidate) && !self.dirs.contains(&candidate) {
                        break name;
                    }
                };
                let target = path.join(&name).map_err(|_| StorageError::InvalidName)?;
                (target, Response::StoreUnique { name })
            }
            StoreMode::Replace | StoreMode::Append => (path.clone(), Response::Ok),
        };
        if self.dirs.contains(&target) {
            return Err(StorageError::AlreadyExists);
        }
        let parent = target.parent().ok_or(StorageError::InvalidName)?;
        self.dir(&parent)?;
        let modified = self.now();
        let file = self.files.entry(target.clone()).or_insert(MemFile {
            data: Vec::new(),
            modified,
        });
        if mode == StoreMode::Replace {
            let keep = usize::try_from(offset)
                .ok()
                .filter(|&o| o <= file.data.len())
                .ok_or(StorageError::InvalidOffset)?;
            file.data.truncate(keep);
        }
        file.modified = modified;
        Ok((
            response,
            Some(ServerJob::Receive {
                path: target,
                ascii,
            }),
        ))
    }

    /// Writes received upload bytes (network form) into `path`; `Err` when the quota is
    /// exceeded (the bytes that fit are kept, as a real file system would).
    pub(crate) fn write_upload(
        &mut self,
        path: &VirtualPath,
        ascii: bool,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        let local = if ascii {
            let mut out = Vec::with_capacity(bytes.len());
            let mut decoder = AsciiDecoder::new();
            decoder.convert(bytes, &mut out);
            decoder.finish(&mut out);
            out
        } else {
            bytes.to_vec()
        };
        let quota = self.quota;
        let modified = self.now();
        let file = self.files.get_mut(path).ok_or(StorageError::NotFound)?;
        file.modified = modified;
        let room = quota.map_or(u64::MAX, |q| q.saturating_sub(file.data.len() as u64));
        if local.len() as u64 > room {
            let fits = usize::try_from(room).unwrap_or(usize::MAX).min(local.len());
            file.data
                .extend_from_slice(local.get(..fits).unwrap_or_default());
            return Err(StorageError::QuotaExceeded);
        }
        file.data.extend_from_slice(&local);
        Ok(())
    }

    fn format_listing(
        &self,
        entries: &[FileInfo],
        format: ListFormat,
        facts: FactSet,
        all: bool,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        format_listing(entries, format, facts, all, self.now_unix, &mut out);
        out
    }

    // ---- lookups ----

    fn exists(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if self.dirs.contains(path) || self.files.contains_key(path) {
            Ok(())
        } else {
            Err(StorageError::NotFound)
        }
    }

    fn dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if self.dirs.contains(path) {
            Ok(())
        } else if self.files.contains_key(path) {
            Err(StorageError::NotADirectory)
        } else {
            Err(StorageError::NotFound)
        }
    }

    fn file(&self, path: &VirtualPath) -> Result<&MemFile, StorageError> {
        match self.files.get(path) {
            Some(f) => Ok(f),
            None if self.dirs.contains(path) => Err(StorageError::PermissionDenied),
            None => Err(StorageError::NotFound),
        }
    }

    /// A new entry may be made at `path`: it does not exist and its parent is a directory.
    fn creatable(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if self.exists(path).is_ok() {
            return Err(StorageError::AlreadyExists);
        }
        let parent = path.parent().ok_or(StorageError::AlreadyExists)?;
        self.dir(&parent)
    }

    /// The direct children of directory `dir`.
    fn children<'a>(&'a self, dir: &'a VirtualPath) -> impl Iterator<Item = &'a VirtualPath> {
        self.dirs
            .iter()
            .chain(self.files.keys())
            .filter(move |p| p.parent().as_ref() == Some(dir))
    }

    fn info(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        let name = path.file_name().unwrap_or(b"/").to_vec();
        if let Some(f) = self.files.get(path) {
            return Ok(FileInfo::new(name, FileKind::File)
                .with_size(f.data.len() as u64)
                .with_modified(f.modified));
        }
        if self.dirs.contains(path) {
            return Ok(FileInfo::new(name, FileKind::Directory).with_modified(self.now()));
        }
        Err(StorageError::NotFound)
    }

    /// A directory's entries sorted by name, or the file itself.
    fn entries(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        if !self.dirs.contains(path) {
            return Ok(vec![self.info(path)?]);
        }
        let mut entries = self
            .children(path)
            .map(|p| self.info(p))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn rename(&mut self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        self.exists(from)?;
        if from == to {
            return Ok(());
        }
        if from.is_root() || to.starts_with(from) {
            return Err(StorageError::PermissionDenied);
        }
        let parent = to.parent().ok_or(StorageError::InvalidName)?;
        self.dir(&parent)?;
        if self.dirs.contains(to) {
            return Err(StorageError::AlreadyExists);
        }
        if let Some(file) = self.files.remove(from) {
            self.files.insert(to.clone(), file);
            return Ok(());
        }
        if self.files.contains_key(to) {
            return Err(StorageError::AlreadyExists);
        }
        // A directory: move it and everything under it.
        let moved = |p: &VirtualPath| -> Option<VirtualPath> {
            let rest = p.as_bytes().get(from.as_bytes().len()..)?;
            let mut bytes = to.as_bytes().to_vec();
            bytes.extend_from_slice(rest);
            VirtualPath::root().resolve(&bytes).ok()
        };
        let dirs: Vec<VirtualPath> = self
            .dirs
            .iter()
            .filter(|p| p.starts_with(from))
            .cloned()
            .collect();
        let files: Vec<VirtualPath> = self
            .files
            .keys()
            .filter(|p| p.starts_with(from))
            .cloned()
            .collect();
        for d in dirs {
            self.dirs.remove(&d);
            if let Some(n) = moved(&d) {
                self.dirs.insert(n);
            }
        }
        for f in files {
            if let (Some(file), Some(n)) = (self.files.remove(&f), moved(&f)) {
                self.files.insert(n, file);
            }
        }
        Ok(())
    }
}
