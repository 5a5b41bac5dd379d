//! [`LocalFs`]: a [`Storage`] on a local directory, jailed with the shared path mapping.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use ftps_proto::listing::{FileInfo, FileKind};
use ftps_proto::session::StorageError;
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;
use ftps_proto_std::support::fs::{storage_error, LocalRoot};
use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncSeekExt;

use super::{Storage, WriteMode};

/// A directory of the local filesystem served as the FTP root.
///
/// Every path goes through [`LocalRoot`]: virtual path components joined under the root, and
/// any symlink that resolves outside the root refused (`550`). Listings show symlinks as
/// symlinks; `RETR`/`CWD` follow those that stay inside.
///
/// ```
/// use ftps_proto_tokio::server::LocalFs;
/// let dir = std::env::temp_dir().join(format!("ftps-localfs-doc-{}", std::process::id()));
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

/// Builds the [`FileInfo`] of `name` from its metadata.
fn info_from(name: Vec<u8>, meta: &std::fs::Metadata, link_target: Option<Vec<u8>>) -> FileInfo {
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
        let (secs, nanos) = match modified.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (i64::try_from(d.as_secs()).unwrap_or(i64::MAX), 0),
            Err(_) => (0, 0),
        };
        if let Some(t) = TimeVal::from_unix(secs, nanos) {
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

impl Storage for LocalFs {
    type Reader = File;
    type Writer = File;

    async fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        let real = self.real(path)?;
        let meta = tokio::fs::metadata(&real).await.map_err(io_err)?;
        let name = path
            .file_name()
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| b"/".to_vec());
        Ok(info_from(name, &meta, None))
    }

    async fn list(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        let real = self.real(path)?;
        let mut dir = tokio::fs::read_dir(&real).await.map_err(io_err)?;
        let mut entries = Vec::new();
        while let Some(entry) = dir.next_entry().await.map_err(io_err)? {
            let Ok(meta) = tokio::fs::symlink_metadata(entry.path()).await else {
                continue;
            };
            let target = if meta.file_type().is_symlink() {
                tokio::fs::read_link(entry.path())
                    .await
                    .ok()
                    .map(|t| name_bytes(t.as_os_str()))
            } else {
                None
            };
            entries.push(info_from(name_bytes(&entry.file_name()), &meta, target));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    async fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<File, StorageError> {
        let real = self.real(path)?;
        let mut file = File::open(&real).await.map_err(io_err)?;
        let meta = file.metadata().await.map_err(io_err)?;
        if !meta.is_file() {
            return Err(StorageError::NotFound);
        }
        if offset > 0 {
            file.seek(SeekFrom::Start(offset)).await.map_err(io_err)?;
        }
        Ok(file)
    }

    async fn open_write(&self, path: &VirtualPath, mode: WriteMode) -> Result<File, StorageError> {
        let real = self.real(path)?;
        if tokio::fs::metadata(&real).await.is_ok_and(|m| m.is_dir()) {
            return Err(StorageError::AlreadyExists);
        }
        let mut options = OpenOptions::new();
        match mode {
            WriteMode::Replace { offset: 0 } => {
                options.write(true).create(true).truncate(true);
            }
            WriteMode::Replace { .. } => {
                options.write(true).create(true);
            }
            WriteMode::Append => {
                options.append(true).create(true);
            }
            WriteMode::CreateNew => {
                options.write(true).create_new(true);
            }
        }
        let mut file = options.open(&real).await.map_err(io_err)?;
        if let WriteMode::Replace { offset } = mode {
            if offset > 0 {
                file.set_len(offset).await.map_err(io_err)?;
                file.seek(SeekFrom::Start(offset)).await.map_err(io_err)?;
            }
        }
        Ok(file)
    }

    async fn make_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let real = self.real(path)?;
        tokio::fs::create_dir(&real).await.map_err(io_err)
    }

    async fn remove_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let real = self.real(path)?;
        tokio::fs::remove_dir(&real).await.map_err(io_err)
    }

    async fn delete(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let real = self.real(path)?;
        let meta = tokio::fs::symlink_metadata(&real).await.map_err(io_err)?;
        if meta.is_dir() {
            return Err(StorageError::NotFound);
        }
        tokio::fs::remove_file(&real).await.map_err(io_err)
    }

    async fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        if from.is_root() || to.is_root() || to.starts_with(from) {
            return Err(StorageError::PermissionDenied);
        }
        let (from, to) = (self.real(from)?, self.real(to)?);
        tokio::fs::rename(&from, &to).await.map_err(io_err)
    }

    async fn set_modified(&self, path: &VirtualPath, time: TimeVal) -> Result<(), StorageError> {
        let real = self.real(path)?;
        let secs = u64::try_from(time.to_unix()).map_err(|_| StorageError::InvalidName)?;
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let file = std::fs::File::options()
            .write(true)
            .open(&real)
            .map_err(io_err)?;
        tokio::task::spawn_blocking(move || file.set_modified(when))
            .await
            .map_err(|_| StorageError::Local)?
            .map_err(io_err)
    }
}
