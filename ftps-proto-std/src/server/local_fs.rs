//! [`LocalFs`] (the shared local-filesystem storage, [`crate::support::local_fs`]) as this
//! adapter's [`Storage`]: each operation runs on the calling thread.

use std::fs::File;

use ftps_proto::listing::FileInfo;
use ftps_proto::session::StorageError;
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;

use super::{Storage, WriteMode};

pub use crate::support::local_fs::{file_info, LocalFs};

impl Storage for LocalFs {
    type Reader = File;
    type Writer = File;

    fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        LocalFs::metadata(self, path)
    }

    fn list(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        LocalFs::list(self, path)
    }

    fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<File, StorageError> {
        LocalFs::open_read(self, path, offset)
    }

    fn open_write(&self, path: &VirtualPath, mode: WriteMode) -> Result<File, StorageError> {
        LocalFs::open_write(self, path, mode)
    }

    fn make_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        LocalFs::make_dir(self, path)
    }

    fn remove_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        LocalFs::remove_dir(self, path)
    }

    fn delete(&self, path: &VirtualPath) -> Result<(), StorageError> {
        LocalFs::delete(self, path)
    }

    fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        LocalFs::rename(self, from, to)
    }

    fn set_modified(&self, path: &VirtualPath, time: TimeVal) -> Result<(), StorageError> {
        LocalFs::set_modified(self, path, time)
    }
}
