//! The local-filesystem path mapping: a virtual path's components joined under a root directory,
//! with every symlink that leads outside the root refused.
//!
//! The core's `VirtualPath` already resolves `.` and `..` and never holds a NUL byte or a
//! separator inside a component. This module adds what only the filesystem knows: whether a
//! symlink inside the root points outside it. The check canonicalizes the deepest existing
//! ancestor of the target and requires it to lie under the canonical root; a target that is
//! itself a symlink must resolve inside the root too (a dangling one is refused, since creating
//! the file would follow it).
//!
//! The check and the later open are two steps: a local user who can rename directories inside
//! the root between them can still race it. Give the server a root that only it writes to.

use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};

use ftps_proto::session::StorageError;
use ftps_proto::vpath::VirtualPath;

/// A storage root on the local filesystem.
///
/// ```
/// use ftps_proto_std::support::fs::LocalRoot;
/// let dir = std::env::temp_dir().join(format!("ftps-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let root = LocalRoot::new(&dir).unwrap();
/// let path = root.resolve_components(["a", "b.txt"]).unwrap();
/// assert_eq!(path, root.path().join("a").join("b.txt"));
/// assert!(root.resolve_components([".."]).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRoot {
    root: PathBuf,
}

impl LocalRoot {
    /// Opens `dir` (which must exist) as a root; the stored path is canonical.
    pub fn new(dir: &Path) -> io::Result<Self> {
        let root = dir.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(LocalRoot { root })
    }

    /// Creates `dir` (and its parents) when missing, then opens it as a root.
    pub fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        LocalRoot::new(dir)
    }

    /// The canonical root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Maps virtual path components (outermost first, as the core's `VirtualPath::components`
    /// yields them) to a real path under the root.
    ///
    /// Errors: a component that is empty, `.`, `..`, or holds `/`, `\` or NUL ->
    /// [`StorageError::InvalidName`]; a symlink leading outside the root (or dangling) ->
    /// [`StorageError::PermissionDenied`]; an I/O error while checking -> the matching class.
    pub fn resolve_components<I, S>(&self, components: I) -> Result<PathBuf, StorageError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut path = self.root.clone();
        for component in components {
            let component = os_name(component.as_ref())?;
            if !is_plain_name(component) {
                return Err(StorageError::InvalidName);
            }
            path.push(component);
        }
        self.check_inside(&path)?;
        Ok(path)
    }

    /// Maps a core [`VirtualPath`] to a real path under the root (see
    /// [`LocalRoot::resolve_components`]).
    pub fn resolve(&self, path: &VirtualPath) -> Result<PathBuf, StorageError> {
        self.resolve_components(path.components())
    }

    /// Checks that `path` (under the root) does not escape it through a symlink.
    fn check_inside(&self, path: &Path) -> Result<(), StorageError> {
        // The target itself: when it is a symlink, it must resolve inside the root.
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let real = path
                    .canonicalize()
                    .map_err(|_| StorageError::PermissionDenied)?;
                return self.require_under_root(&real);
            }
            Ok(_) => {
                let real = path.canonicalize().map_err(|e| storage_error(&e))?;
                return self.require_under_root(&real);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(storage_error(&e)),
        }
        // A target that does not exist yet: its deepest existing ancestor decides.
        let mut ancestor = path.parent();
        while let Some(dir) = ancestor {
            match dir.canonicalize() {
                Ok(real) => return self.require_under_root(&real),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // A dangling symlink on the way is refused, not skipped.
                    if std::fs::symlink_metadata(dir).is_ok() {
                        return Err(StorageError::PermissionDenied);
                    }
                    ancestor = dir.parent();
                }
                Err(e) => return Err(storage_error(&e)),
            }
        }
        Err(StorageError::PermissionDenied)
    }

    fn require_under_root(&self, real: &Path) -> Result<(), StorageError> {
        if real.starts_with(&self.root) {
            Ok(())
        } else {
            Err(StorageError::PermissionDenied)
        }
    }
}

/// A component's bytes as a file name: any bytes on Unix, UTF-8 elsewhere.
fn os_name(bytes: &[u8]) -> Result<&OsStr, StorageError> {
    #[cfg(unix)]
    {
        Ok(std::os::unix::ffi::OsStrExt::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes)
            .map(OsStr::new)
            .map_err(|_| StorageError::InvalidName)
    }
}

/// A single normal path component: not empty, not `.`/`..`, no separator, no NUL.
fn is_plain_name(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    if bytes.is_empty() || bytes.iter().any(|b| matches!(b, b'/' | b'\\' | 0)) {
        return false;
    }
    let mut components = Path::new(name).components();
    matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// The storage error class of an I/O error.
pub fn storage_error(e: &io::Error) -> StorageError {
    // ENOSPC, EFBIG, EDQUOT and ENAMETOOLONG have no `ErrorKind` on the crate's minimum Rust
    // version (`InvalidFilename` came later), so the raw codes are matched.
    #[cfg(target_os = "linux")]
    match e.raw_os_error() {
        Some(28) => return StorageError::InsufficientStorage,
        Some(27) | Some(122) => return StorageError::QuotaExceeded,
        // ENAMETOOLONG: a name over NAME_MAX (or a path over PATH_MAX) is a bad name (553).
        Some(36) => return StorageError::InvalidName,
        _ => {}
    }
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd"
    ))]
    if e.raw_os_error() == Some(63) {
        return StorageError::InvalidName; // ENAMETOOLONG on the BSDs.
    }
    match e.kind() {
        io::ErrorKind::NotFound => StorageError::NotFound,
        io::ErrorKind::PermissionDenied => StorageError::PermissionDenied,
        io::ErrorKind::AlreadyExists => StorageError::AlreadyExists,
        io::ErrorKind::InvalidInput => StorageError::InvalidName,
        io::ErrorKind::Unsupported => StorageError::Unsupported,
        _ => StorageError::Local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "ftps-fs-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("root/sub")).unwrap();
            std::fs::create_dir_all(dir.join("outside")).unwrap();
            std::fs::write(dir.join("outside/secret"), b"x").unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    // ATK-TRAVERSAL
    #[test]
    fn atk_traversal_plain_components_join_under_root() {
        let t = TempDir::new("join");
        let root = LocalRoot::new(&t.0.join("root")).unwrap();
        assert_eq!(
            root.resolve_components(["sub", "new.txt"]).unwrap(),
            root.path().join("sub/new.txt")
        );
        assert_eq!(
            root.resolve_components(["missing", "deeper", "x"]).unwrap(),
            root.path().join("missing/deeper/x")
        );
        assert_eq!(
            root.resolve_components(Vec::<String>::new()).unwrap(),
            root.path()
        );
    }

    // ATK-TRAVERSAL
    #[test]
    fn atk_traversal_bad_components_are_invalid_names() {
        let t = TempDir::new("names");
        let root = LocalRoot::new(&t.0.join("root")).unwrap();
        for bad in ["..", ".", "", "a/b", "a\\b", "a\0b", "/etc"] {
            assert_eq!(
                root.resolve_components([bad]),
                Err(StorageError::InvalidName),
                "{bad:?}"
            );
        }
    }

    // ATK-TRAVERSAL
    #[cfg(unix)]
    #[test]
    fn atk_traversal_symlinks_out_of_root_are_refused() {
        let t = TempDir::new("links");
        let root_dir = t.0.join("root");
        std::os::unix::fs::symlink(t.0.join("outside"), root_dir.join("out-dir")).unwrap();
        std::os::unix::fs::symlink(t.0.join("outside/secret"), root_dir.join("out-file")).unwrap();
        std::os::unix::fs::symlink(t.0.join("outside/nothing"), root_dir.join("dangling")).unwrap();
        std::os::unix::fs::symlink(root_dir.join("sub"), root_dir.join("in-dir")).unwrap();
        let root = LocalRoot::new(&root_dir).unwrap();
        assert_eq!(
            root.resolve_components(["out-dir"]),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            root.resolve_components(["out-dir", "secret"]),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            root.resolve_components(["out-dir", "new-file"]),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            root.resolve_components(["out-file"]),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            root.resolve_components(["dangling"]),
            Err(StorageError::PermissionDenied)
        );
        assert_eq!(
            root.resolve_components(["in-dir", "x"]).unwrap(),
            root.path().join("in-dir/x")
        );
    }

    #[test]
    fn io_errors_map_to_storage_classes() {
        let e = |k| storage_error(&io::Error::from(k));
        assert_eq!(e(io::ErrorKind::NotFound), StorageError::NotFound);
        assert_eq!(
            e(io::ErrorKind::PermissionDenied),
            StorageError::PermissionDenied
        );
        assert_eq!(e(io::ErrorKind::AlreadyExists), StorageError::AlreadyExists);
        #[cfg(target_os = "linux")]
        assert_eq!(
            storage_error(&io::Error::from_raw_os_error(28)),
            StorageError::InsufficientStorage
        );
        assert_eq!(e(io::ErrorKind::Other), StorageError::Local);
    }

    /// ATK-TRAVERSAL: ENAMETOOLONG (a name over NAME_MAX) is a bad name, answered `553`.
    #[cfg(target_os = "linux")]
    #[test]
    fn atk_traversal_name_too_long_is_invalid_name() {
        assert_eq!(
            storage_error(&io::Error::from_raw_os_error(36)),
            StorageError::InvalidName
        );
        let dir = TempDir::new("long");
        let made = std::fs::create_dir(dir.0.join("n".repeat(300))).unwrap_err();
        assert_eq!(storage_error(&made), StorageError::InvalidName);
    }

    #[test]
    fn missing_root_is_an_error() {
        assert_eq!(
            LocalRoot::new(Path::new("/nonexistent/ftps-root"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
