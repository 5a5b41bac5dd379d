//! A storage for our tokio server that keeps files out of the measurement: the bulk file is
//! the in-memory pattern, uploads go to a sink. With it, a bulk transfer costs what the
//! protocol stack costs, and compares directly with the raw copies (which touch no file).

use ftps_proto::listing::{FileInfo, FileKind};
use ftps_proto::session::StorageError;
use ftps_proto::vpath::VirtualPath;
use ftps_proto_tokio::server::{Storage, WriteMode};

use crate::fixture::BULK_FILE;
use crate::payload::Pattern;

/// Serves `/bulk.bin` (`len` pattern bytes); accepts any upload into a sink.
#[derive(Debug, Clone)]
pub struct MemoryStorage {
    len: u64,
}

impl MemoryStorage {
    /// A storage whose bulk file has `len` bytes.
    pub fn new(len: u64) -> Self {
        MemoryStorage { len }
    }

    fn is_bulk(path: &VirtualPath) -> bool {
        path.as_bytes()
            .strip_prefix(b"/")
            .unwrap_or(path.as_bytes())
            == BULK_FILE.as_bytes()
    }
}

impl Storage for MemoryStorage {
    type Reader = Pattern;
    type Writer = tokio::io::Sink;

    async fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        if path.is_root() {
            return Ok(FileInfo::new(b"/".to_vec(), FileKind::Directory));
        }
        if !Self::is_bulk(path) {
            return Err(StorageError::NotFound);
        }
        Ok(FileInfo::new(BULK_FILE.as_bytes().to_vec(), FileKind::File).with_size(self.len))
    }

    async fn list(&self, _path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        Ok(vec![FileInfo::new(
            BULK_FILE.as_bytes().to_vec(),
            FileKind::File,
        )
        .with_size(self.len)])
    }

    async fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<Pattern, StorageError> {
        if !Self::is_bulk(path) {
            return Err(StorageError::NotFound);
        }
        Ok(Pattern::new(self.len.saturating_sub(offset)))
    }

    async fn open_write(
        &self,
        _path: &VirtualPath,
        _mode: WriteMode,
    ) -> Result<tokio::io::Sink, StorageError> {
        Ok(tokio::io::sink())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bulk_file_exists() {
        let root = VirtualPath::root();
        let bulk = root.join(BULK_FILE.as_bytes()).unwrap();
        let other = root.join(b"other.bin").unwrap();
        assert!(MemoryStorage::is_bulk(&bulk));
        assert!(!MemoryStorage::is_bulk(&other));
        assert!(!MemoryStorage::is_bulk(&root));
    }
}
