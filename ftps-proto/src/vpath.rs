//! The virtual path resolver: a TVFS view of a jailed storage root (RFC 3659 §6).
//!
//! A [`VirtualPath`] is a normalised absolute path inside the user's virtual root: it starts
//! with `/`, and its components are never empty, `.` or `..`, and never hold `/` or NUL.
//! [`VirtualPath::resolve`] turns a command argument into one, relative to the current
//! directory: `..` stops at the root (`/..` is `/`), repeated and trailing `/` are ignored,
//! NUL is refused, and the length and depth are bounded. No argument can name anything
//! outside the root (ATK-TRAVERSAL).
//!
//! # The adapters' contract
//!
//! Storage adapters map a path to the real file system by joining its
//! [`components`](VirtualPath::components) one by one under their real root directory, and
//! never by handing [`as_bytes`](VirtualPath::as_bytes) to the file system as a whole. The
//! resolver is pure: it knows nothing of the real tree, so two things stay the adapter's job:
//!
//! - **Symbolic links**: a component may be a symlink that points outside the real root. The
//!   adapter must not follow such links out of the root (for example: open relative to a
//!   root directory handle without following links, or canonicalise the joined path and check
//!   it still starts with the canonical root).
//! - **Platform separators**: on Windows a component holding `\` or `:`, or naming a device
//!   (`CON`, `NUL`, ...), must be refused; on Unix these are ordinary bytes.
//!
//! ```
//! use ftps_proto::vpath::VirtualPath;
//!
//! let cwd = VirtualPath::root().resolve(b"/pub/docs")?;
//! assert_eq!(cwd.resolve(b"../../../etc/passwd")?.as_bytes(), b"/etc/passwd");
//! assert_eq!(cwd.resolve(b"a//b/./c/")?.as_bytes(), b"/pub/docs/a/b/c");
//! let file = cwd.resolve(b"my file.txt")?;
//! assert_eq!(file.components().collect::<Vec<_>>(), [&b"pub"[..], b"docs", b"my file.txt"]);
//! assert_eq!(file.file_name(), Some(&b"my file.txt"[..]));
//! assert_eq!(file.parent(), Some(cwd));
//! # Ok::<(), ftps_proto::vpath::PathError>(())
//! ```

use core::fmt;

/// Default longest path, in bytes ([`VirtualPath::resolve`]).
pub const DEFAULT_MAX_LEN: usize = 4096;
/// Default most components ([`VirtualPath::resolve`]).
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Why a path argument was refused. A server answers `550` (or `553` for a new name), and
/// `501` for [`PathError::Nul`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathError {
    /// The argument holds a NUL byte.
    Nul,
    /// The argument, or the resolved path, is longer than the limit.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The resolved path has more components than the limit.
    TooDeep {
        /// The limit, in components.
        limit: usize,
    },
    /// [`VirtualPath::join`]: the name is empty, `.` or `..`, or holds `/` or NUL.
    InvalidName,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Nul => f.write_str("path holds a NUL byte"),
            PathError::TooLong { limit } => write!(f, "path longer than {limit} bytes"),
            PathError::TooDeep { limit } => write!(f, "path deeper than {limit} components"),
            PathError::InvalidName => f.write_str("not a valid file name"),
        }
    }
}

impl std::error::Error for PathError {}

/// A normalised absolute path in the virtual root. See the [module docs](self).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VirtualPath {
    /// `/`, or `/` followed by components separated by single `/`, no trailing `/`.
    bytes: Vec<u8>,
}

impl Default for VirtualPath {
    fn default() -> Self {
        VirtualPath::root()
    }
}

/// Whether `name` can be a component: not empty, `.` or `..`, no `/` or NUL.
fn is_component(name: &[u8]) -> bool {
    !matches!(name, b"" | b"." | b"..") && !name.iter().any(|&b| b == b'/' || b == 0)
}

impl VirtualPath {
    /// The root, `/`.
    pub fn root() -> VirtualPath {
        VirtualPath { bytes: vec![b'/'] }
    }

    /// Resolves a command argument against `self` (the current directory) with the default
    /// limits ([`DEFAULT_MAX_LEN`], [`DEFAULT_MAX_DEPTH`]). See
    /// [`resolve_with_limits`](Self::resolve_with_limits).
    pub fn resolve(&self, arg: &[u8]) -> Result<VirtualPath, PathError> {
        self.resolve_with_limits(arg, DEFAULT_MAX_LEN, DEFAULT_MAX_DEPTH)
    }

    /// Resolves `arg` against `self`: an argument starting with `/` is absolute, any other
    /// relative to `self`; an empty argument is `self`. Components `""` (from `//` or a
    /// trailing `/`) and `.` are dropped; `..` removes the previous component and does
    /// nothing at the root. Every other byte sequence is a name (`\`, `~`, `*` included:
    /// nothing is expanded).
    ///
    /// Errors: [`PathError::Nul`] for a NUL anywhere in `arg`; [`PathError::TooLong`] when
    /// `arg` or the result is longer than `max_len` bytes; [`PathError::TooDeep`] when the
    /// result has more than `max_depth` components.
    pub fn resolve_with_limits(
        &self,
        arg: &[u8],
        max_len: usize,
        max_depth: usize,
    ) -> Result<VirtualPath, PathError> {
        if memchr::memchr(0, arg).is_some() {
            return Err(PathError::Nul);
        }
        if arg.len() > max_len {
            return Err(PathError::TooLong { limit: max_len });
        }
        let base: Vec<&[u8]> = if arg.first() == Some(&b'/') {
            Vec::new()
        } else {
            self.components().collect()
        };
        let mut parts = base;
        for part in arg.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        if parts.len() > max_depth {
            return Err(PathError::TooDeep { limit: max_depth });
        }
        let len = parts.iter().map(|p| p.len() + 1).sum::<usize>().max(1);
        if len > max_len {
            return Err(PathError::TooLong { limit: max_len });
        }
        let mut bytes = Vec::with_capacity(len);
        for part in &parts {
            bytes.push(b'/');
            bytes.extend_from_slice(part);
        }
        if bytes.is_empty() {
            bytes.push(b'/');
        }
        Ok(VirtualPath { bytes })
    }

    /// The path with one more component `name`, which must be a plain name (not empty, `.`
    /// or `..`, no `/` or NUL: [`PathError::InvalidName`]). The default limits apply.
    pub fn join(&self, name: &[u8]) -> Result<VirtualPath, PathError> {
        if !is_component(name) {
            return Err(PathError::InvalidName);
        }
        self.resolve(name)
    }

    /// The parent directory; `None` for the root.
    pub fn parent(&self) -> Option<VirtualPath> {
        if self.is_root() {
            return None;
        }
        let slash = memchr::memrchr(b'/', &self.bytes)?;
        let bytes = self.bytes.get(..slash.max(1))?.to_vec();
        Some(VirtualPath { bytes })
    }

    /// The last component; `None` for the root.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().last()
    }

    /// The components from the root down: each is non-empty, not `.` or `..`, and holds no
    /// `/` or NUL. The root has none.
    pub fn components(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.bytes.split(|&b| b == b'/').filter(|c| !c.is_empty())
    }

    /// Number of components (0 for the root).
    pub fn depth(&self) -> usize {
        self.components().count()
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.bytes == b"/"
    }

    /// Whether `self` is `ancestor` or lies below it (compared by components, so `/ab` is not
    /// below `/a`).
    pub fn starts_with(&self, ancestor: &VirtualPath) -> bool {
        let mut mine = self.components();
        ancestor.components().all(|c| mine.next() == Some(c))
    }

    /// The path as bytes: `/` or `/a/b`, the form `PWD` and `MLST` show.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The path as text, when it is UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.bytes).ok()
    }

    /// The path as bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl AsRef<[u8]> for VirtualPath {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtualPath({:?})", String::from_utf8_lossy(&self.bytes))
    }
}

/// Shows the path, non-UTF-8 bytes replaced by U+FFFD.
impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}
