//! The [`Storage`] trait: what the server does with files.

use std::future::Future;

use ftps_proto::listing::FileInfo;
use ftps_proto::session::StorageError;
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;
use ftps_proto_std::support::storage::unique_names;
pub use ftps_proto_std::support::storage::{SiteReply, WriteMode, UNIQUE_NAME_ATTEMPTS};
use tokio::io::{AsyncRead, AsyncWrite};

/// The server's file system, as the FTP session sees it.
///
/// Paths are [`VirtualPath`]s: already resolved against the session's working directory and
/// clamped inside the virtual root by the core (no `..`, no absolute escape, no NUL). An
/// implementation maps their [`components`](VirtualPath::components) under its own root; the
/// local-filesystem one ([`LocalFs`](super::LocalFs)) also refuses symlinks leading out.
///
/// Methods return `Send` futures, so implementations may simply use `async fn`:
///
/// ```
/// use ftps_proto::listing::FileInfo;
/// use ftps_proto::session::StorageError;
/// use ftps_proto::vpath::VirtualPath;
/// use ftps_proto_tokio::server::{Storage, WriteMode};
///
/// /// A storage with nothing in it that refuses every change.
/// struct Empty;
///
/// impl Storage for Empty {
///     type Reader = tokio::io::Empty;
///     type Writer = tokio::io::Sink;
///     async fn metadata(&self, _: &VirtualPath) -> Result<FileInfo, StorageError> {
///         Err(StorageError::NotFound)
///     }
///     async fn list(&self, _: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
///         Ok(Vec::new())
///     }
///     async fn open_read(&self, _: &VirtualPath, _: u64) -> Result<Self::Reader, StorageError> {
///         Err(StorageError::NotFound)
///     }
///     async fn open_write(&self, _: &VirtualPath, _: WriteMode) -> Result<Self::Writer, StorageError> {
///         Err(StorageError::PermissionDenied)
///     }
/// }
/// ```
pub trait Storage: Send + Sync + 'static {
    /// Reads a file's bytes (RETR).
    type Reader: AsyncRead + Send + Unpin + 'static;
    /// Writes a file's bytes (STOR, APPE, STOU); `shutdown` is called once all bytes arrived,
    /// and must make them durable (or report why not).
    type Writer: AsyncWrite + Send + Unpin + 'static;

    /// Describes one file or directory (name = its last component, `/` for the root).
    fn metadata(
        &self,
        path: &VirtualPath,
    ) -> impl Future<Output = Result<FileInfo, StorageError>> + Send;

    /// Lists a directory (without `.` and `..`).
    fn list(
        &self,
        path: &VirtualPath,
    ) -> impl Future<Output = Result<Vec<FileInfo>, StorageError>> + Send;

    /// Opens a file for reading from `offset`.
    fn open_read(
        &self,
        path: &VirtualPath,
        offset: u64,
    ) -> impl Future<Output = Result<Self::Reader, StorageError>> + Send;

    /// Opens a file for writing.
    fn open_write(
        &self,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> impl Future<Output = Result<Self::Writer, StorageError>> + Send;

    /// Creates a directory.
    fn make_dir(
        &self,
        path: &VirtualPath,
    ) -> impl Future<Output = Result<(), StorageError>> + Send {
        let _ = path;
        async { Err(StorageError::Unsupported) }
    }

    /// Removes an empty directory.
    fn remove_dir(
        &self,
        path: &VirtualPath,
    ) -> impl Future<Output = Result<(), StorageError>> + Send {
        let _ = path;
        async { Err(StorageError::Unsupported) }
    }

    /// Deletes a file (not a directory).
    fn delete(&self, path: &VirtualPath) -> impl Future<Output = Result<(), StorageError>> + Send {
        let _ = path;
        async { Err(StorageError::Unsupported) }
    }

    /// Renames a file or directory.
    fn rename(
        &self,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> impl Future<Output = Result<(), StorageError>> + Send {
        let _ = (from, to);
        async { Err(StorageError::Unsupported) }
    }

    /// Creates a new file in directory `dir` under a name no file has yet (`STOU`), and
    /// returns the name (one path component) with its writer.
    ///
    /// The default tries names `stou.<unix seconds>.<n>` with
    /// [`open_write`](Storage::open_write) in [`WriteMode::CreateNew`], moving on to the next
    /// `n` while the name exists (at most [`UNIQUE_NAME_ATTEMPTS`] names).
    fn create_unique(
        &self,
        dir: &VirtualPath,
    ) -> impl Future<Output = Result<(Vec<u8>, Self::Writer), StorageError>> + Send {
        async move {
            for name in unique_names() {
                let path = dir.join(&name).map_err(|_| StorageError::InvalidName)?;
                match self.open_write(&path, WriteMode::CreateNew).await {
                    Ok(writer) => return Ok((name, writer)),
                    Err(StorageError::AlreadyExists) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(StorageError::AlreadyExists)
        }
    }

    /// Answers `SITE command` (C959-SITE; only asked when the session's `features.site` is
    /// on, otherwise the core answers `502` itself). `command` is everything after `SITE `.
    ///
    /// The default refuses every subcommand with [`StorageError::Unsupported`] (`502`): no
    /// `SITE EXEC` or the like unless the application writes it (S2577-SITEEXEC). A reply
    /// code outside 2yz/4yz/5yz is answered `451` instead.
    fn site(&self, command: &[u8]) -> impl Future<Output = Result<SiteReply, StorageError>> + Send {
        let _ = command;
        async { Err(StorageError::Unsupported) }
    }

    /// Sets a file's modification time (MFMT).
    fn set_modified(
        &self,
        path: &VirtualPath,
        time: TimeVal,
    ) -> impl Future<Output = Result<(), StorageError>> + Send {
        let _ = (path, time);
        async { Err(StorageError::Unsupported) }
    }
}
