//! [`LocalFs`]: a local directory served as the FTP root, jailed with the shared path mapping
//! ([`LocalRoot`]). Its operations are plain blocking calls: the std adapter's `Storage` runs
//! them on the session's thread, the tokio adapter's on the blocking pool (one call per
//! operation, as `tokio::fs` would).

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ftps_proto::listing::{FileInfo, FileKind};
use ftps_proto::session::StorageError;
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;

use super::fs::{storage_error, LocalRoot};
use super::storage::WriteMode;

/// A directory of the local filesystem served as the FTP root.
///
/// Every path goes through [`LocalRoot`]: virtual path components joined under the root, and
/// any symlink that resolves outside the root refused (`550`). Listings show symlinks as
/// symlinks; `RETR`/`CWD` follow those that stay inside.
///
/// ```
/// use ftps_proto_std::support::local_fs::LocalFs;
/// let dir = std::env::temp_dir().join(format!("ftps-support-localfs-doc-{}", std::process::id()));
/// let fs = LocalFs::create(&dir).unwrap();
/// assert_eq!(fs.root(), dir.canonicalize().unwrap());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LocalFs {
    root: LocalRoot,
}

impl LocalFs {
    /// Serves the existing directory `dir`.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        Ok(LocalFs {
            root: LocalRoot::new(dir)?,
        })
    }

    /// Serves `dir`, creating it when missing.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        Ok(LocalFs {
            root: LocalRoot::create(dir)?,
        })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    fn real(&self, path: &VirtualPath) -> Result<PathBuf, StorageError> {
        self.root.resolve(path)
    }
}

fn io_err(e: std::io::Error) -> StorageError {
    storage_error(&e)
}

/// Describes a local file for listings: `name`, the kind, size (files only), modification
/// time, and on Unix the permission bits and link count; `link_target` for symlinks.
pub fn file_info(
    name: Vec<u8>,
    meta: &std::fs::Metadata,
    link_target: Option<Vec<u8>>,
) -> FileInfo {
    let file_type = meta.file_type();
    let kind = if file_type.is_symlink() {
        FileKind::Symlink
    } else if file_type.is_dir() {
        FileKind::Directory
    } else if file_type.is_file() {
        FileKind::File
    } else {
        FileKind::Other(b'p')
    };
    let mut info = FileInfo::new(name, kind).with_size(if kind == FileKind::File {
        meta.len()
    } else {
        0
    });
    if let Ok(modified) = meta.modified() {
        let secs = match modified.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(_) => 0,
        };
        if let Some(t) = TimeVal::from_unix(secs, 0) {
            info = info.with_modified(t);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        info = info
            .with_mode(meta.mode() & 0o7777)
            .with_links(meta.nlink());
    }
    if let Some(target) = link_target {
        info = info.with_link_target(target);
    }
    info
}

fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.as_encoded_bytes().to_vec()
}

/// The operations, blocking; both adapters' `Storage` implementations call them.
impl LocalFs {
    /// Describes one file or directory (followed through symlinks that stay inside).
    pub fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        let real = self.real(path)?;
        let meta = std::fs::metadata(&real).map_err(io_err)?;
        let name = path
            .file_name()
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| b"/".to_vec());
        Ok(file_info(name, &meta, None))
    }

    /// Lists a directory, sorted by name; symlinks are listed as symlinks.
    pub fn list(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        let real = self.real(path)?;
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&real).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            let target = if meta.file_type().is_symlink() {
                std::fs::read_link(entry.path())
                    .ok()
                    .map(|t| name_bytes(t.as_os_str()))
            } else {
                None
            };
            entries.push(file_info(name_bytes(&entry.file_name()), &meta, target));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Opens a file for reading from `offset` (a directory is `NotFound`).
    pub fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<File, StorageError> {
        let real = self.real(path)?;
        let mut file = File::open(&real).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if !meta.is_file() {
            return Err(StorageError::NotFound);
        }
        if offset > 0 {
            file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
        }
        Ok(file)
    }

    /// Opens a file for writing as `mode` says (a directory is `AlreadyExists`).
    pub fn open_write(&self, path: &VirtualPath, mode: WriteMode) -> Result<File, StorageError> {
        let real = self.real(path)?;
        if std::fs::metadata(&real).is_ok_and(|m| m.is_dir()) {
            return Err(StorageError::AlreadyExists);
        }
        let mut options = OpenOptions::new();
        match mode {
            WriteMode::Replace { offset: 0 } => {
                options.write(true).create(true).truncate(true);
            }
            WriteMode::Replace { .. } => {
                options.write(true).create(true).truncate(false);
            }
            WriteMode::Append => {
                options.append(true).create(true);
            }
            WriteMode::CreateNew => {
                options.write(true).create_new(true);
            }
        }
        let mut file = options.open(&real).map_err(io_err)?;
        if let WriteMode::Replace { offset } = mode {
            if offset > 0 {
                file.set_len(offset).map_err(io_err)?;
                file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
            }
        }
        Ok(file)
    }

    /// Creates a directory.
    pub fn make_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let real = self.real(path)?;
        std::fs::create_dir(&real).map_err(io_err)
    }

    /// Removes an empty directory (never the root).
    pub fn remove_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let real = self.real(path)?;
        std::fs::remove_dir(&real).map_err(io_err)
    }

    /// Deletes a file (a directory is `NotFound`).
    pub fn delete(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let real = self.real(path)?;
        let meta = std::fs::symlink_metadata(&real).map_err(io_err)?;
        if meta.is_dir() {
            return Err(StorageError::NotFound);
        }
        std::fs::remove_file(&real).map_err(io_err)
    }

    /// Renames (never the root, never into itself).
    pub fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        if from.is_root() || to.is_root() || to.starts_with(from) {
            return Err(StorageError::PermissionDenied);
        }
        let (from, to) = (self.real(from)?, self.real(to)?);
        std::fs::rename(&from, &to).map_err(io_err)
    }

    /// Sets a file's modification time.
    pub fn set_modified(&self, path: &VirtualPath, time: TimeVal) -> Result<(), StorageError> {
        let real = self.real(path)?;
        let secs = u64::try_from(time.to_unix()).map_err(|_| StorageError::InvalidName)?;
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let file = File::options().write(true).open(&real).map_err(io_err)?;
        file.set_modified(when).map_err(io_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn vp(path: &[u8]) -> VirtualPath {
        VirtualPath::root().join(path).unwrap()
    }

    fn temp(tag: &str) -> (PathBuf, LocalFs) {
        let dir = std::env::temp_dir().join(format!(
            "ftps-support-localfs-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let fs = LocalFs::create(&dir).unwrap();
        (dir, fs)
    }

    #[test]
    fn write_modes_replace_resume_append_and_create_new() {
        let (dir, fs) = temp("modes");
        let f = vp(b"f.txt");
        fs.open_write(&f, WriteMode::Replace { offset: 0 })
            .unwrap()
            .write_all(b"0123456789")
            .unwrap();
        fs.open_write(&f, WriteMode::Replace { offset: 4 })
            .unwrap()
            .write_all(b"ab")
            .unwrap();
        assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"0123ab");
        fs.open_write(&f, WriteMode::Append)
            .unwrap()
            .write_all(b"!")
            .unwrap();
        assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"0123ab!");
        assert_eq!(
            fs.open_write(&f, WriteMode::CreateNew).err(),
            Some(StorageError::AlreadyExists)
        );
        let mut rest = String::new();
        fs.open_read(&f, 4)
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        assert_eq!(rest, "ab!");
        assert_eq!(fs.metadata(&f).unwrap().size, 7);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    // ATK-TRAVERSAL: the root itself can be neither removed nor renamed, nor a directory
    // moved into itself.
    #[test]
    fn atk_traversal_root_and_self_moves_are_refused() {
        let (dir, fs) = temp("root");
        let sub = vp(b"sub");
        fs.make_dir(&sub).unwrap();
        assert_eq!(
            fs.remove_dir(&VirtualPath::root()),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            fs.rename(&VirtualPath::root(), &sub),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            fs.rename(&sub, &sub.join(b"inner").unwrap()),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            fs.open_write(&sub, WriteMode::Replace { offset: 0 }).err(),
            Some(StorageError::AlreadyExists)
        );
        assert_eq!(fs.open_read(&sub, 0).err(), Some(StorageError::NotFound));
        assert_eq!(fs.delete(&sub), Err(StorageError::NotFound));
        assert_eq!(fs.metadata(&VirtualPath::root()).unwrap().name, b"/");
        let names: Vec<Vec<u8>> = fs
            .list(&VirtualPath::root())
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, [b"sub".to_vec()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
