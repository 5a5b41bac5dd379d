//! [`LocalFs`]: the shared local-filesystem storage ([`ftps_proto_std::support::local_fs`],
//! jailed with the shared path mapping) as this adapter's [`Storage`]: each operation is one
//! call on tokio's blocking pool (as `tokio::fs` does it), and files are read and written as
//! [`tokio::fs::File`]s.

use std::path::Path;

use ftps_proto::listing::FileInfo;
use ftps_proto::session::StorageError;
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;
use tokio::fs::File;

use super::{Storage, WriteMode};

/// The shared blocking implementation.
type Blocking = ftps_proto_std::support::local_fs::LocalFs;

/// A directory of the local filesystem served as the FTP root.
///
/// Every path goes through the shared path mapping
/// ([`LocalRoot`](ftps_proto_std::support::fs::LocalRoot)): virtual path components joined
/// under the root, and any symlink that resolves outside the root refused (`550`). Listings
/// show symlinks as symlinks; `RETR`/`CWD` follow those that stay inside.
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
    fs: Blocking,
}

impl LocalFs {
    /// Serves the existing directory `dir`.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        Blocking::new(dir).map(|fs| LocalFs { fs })
    }

    /// Serves `dir`, creating it when missing.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        Blocking::create(dir).map(|fs| LocalFs { fs })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        self.fs.root()
    }
}

impl From<Blocking> for LocalFs {
    fn from(fs: Blocking) -> Self {
        LocalFs { fs }
    }
}

/// Runs one blocking operation of the shared implementation on the blocking pool.
async fn blocking<T, F>(fs: &LocalFs, op: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce(&Blocking) -> Result<T, StorageError> + Send + 'static,
{
    let fs = fs.fs.clone();
    tokio::task::spawn_blocking(move || op(&fs))
        .await
        .map_err(|_| StorageError::Local)?
}

impl Storage for LocalFs {
    type Reader = File;
    type Writer = File;

    async fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.metadata(&path)).await
    }

    async fn list(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.list(&path)).await
    }

    async fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<File, StorageError> {
        let path = path.clone();
        let file = blocking(self, move |fs| fs.open_read(&path, offset)).await?;
        Ok(File::from_std(file))
    }

    async fn open_write(&self, path: &VirtualPath, mode: WriteMode) -> Result<File, StorageError> {
        let path = path.clone();
        let file = blocking(self, move |fs| fs.open_write(&path, mode)).await?;
        Ok(File::from_std(file))
    }

    async fn make_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.make_dir(&path)).await
    }

    async fn remove_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.remove_dir(&path)).await
    }

    async fn delete(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.delete(&path)).await
    }

    async fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        let (from, to) = (from.clone(), to.clone());
        blocking(self, move |fs| fs.rename(&from, &to)).await
    }

    async fn set_modified(&self, path: &VirtualPath, time: TimeVal) -> Result<(), StorageError> {
        let path = path.clone();
        blocking(self, move |fs| fs.set_modified(&path, time)).await
    }
}
