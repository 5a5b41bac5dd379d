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

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};

use arrayvec::ArrayVec;

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

/// Paths up to this many bytes are stored inline (no heap allocation to build, clone or drop
/// them); longer ones on the heap. 88 keeps a [`VirtualPath`] at 96 bytes: paths travel by
/// value in requests, events and outputs (a rename holds two), and in the `server_core`
/// bench a 128-byte path was slower to move around than this one.
const INLINE: usize = 88;

/// The bytes of a path: inline when they fit in [`INLINE`] bytes, else on the heap. Every
/// comparison goes through [`Repr::as_slice`], so which variant holds the bytes never shows.
enum Repr {
    Inline(ArrayVec<u8, INLINE>),
    Heap(Vec<u8>),
}

impl Repr {
    /// Empty, inline.
    const fn new() -> Repr {
        Repr::Inline(ArrayVec::new_const())
    }

    /// A copy of `bytes`, inline when it fits.
    fn from_slice(bytes: &[u8]) -> Repr {
        let mut repr = Repr::new();
        repr.extend_from_slice(bytes);
        repr
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Repr::Inline(a) => a,
            Repr::Heap(v) => v,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Appends `bytes`, moving to the heap when they do not fit inline.
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        match self {
            Repr::Inline(a) => {
                if a.try_extend_from_slice(bytes).is_err() {
                    let mut v = Vec::with_capacity(a.len() + bytes.len());
                    v.extend_from_slice(a);
                    v.extend_from_slice(bytes);
                    *self = Repr::Heap(v);
                }
            }
            Repr::Heap(v) => v.extend_from_slice(bytes),
        }
    }

    fn truncate(&mut self, len: usize) {
        match self {
            Repr::Inline(a) => a.truncate(len),
            Repr::Heap(v) => v.truncate(len),
        }
    }

    /// Moves heap bytes that fit inline back inline (so clones of the result are cheap).
    fn shrink(&mut self) {
        if let Repr::Heap(v) = self {
            if v.len() <= INLINE {
                *self = Repr::from_slice(v);
            }
        }
    }
}

impl Clone for Repr {
    fn clone(&self) -> Repr {
        Repr::from_slice(self.as_slice())
    }

    fn clone_from(&mut self, source: &Repr) {
        match (&mut *self, source) {
            // Reuses the heap buffer for a long source (no allocation when it is big enough).
            (Repr::Heap(v), Repr::Heap(s)) => v.clone_from(s),
            _ => *self = source.clone(),
        }
    }
}

/// A normalised absolute path in the virtual root. See the [module docs](self).
///
/// Paths up to 88 bytes are held inline: resolving, cloning and dropping them never touches
/// the heap. Equality, ordering and hashing are those of [`as_bytes`](Self::as_bytes).
pub struct VirtualPath {
    /// `/`, or `/` followed by components separated by single `/`, no trailing `/`.
    bytes: Repr,
}

impl Clone for VirtualPath {
    fn clone(&self) -> VirtualPath {
        VirtualPath {
            bytes: self.bytes.clone(),
        }
    }

    fn clone_from(&mut self, source: &VirtualPath) {
        self.bytes.clone_from(&source.bytes);
    }
}

impl PartialEq for VirtualPath {
    fn eq(&self, other: &VirtualPath) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for VirtualPath {}

impl PartialOrd for VirtualPath {
    fn partial_cmp(&self, other: &VirtualPath) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for VirtualPath {
    fn cmp(&self, other: &VirtualPath) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for VirtualPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
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
        VirtualPath {
            bytes: Repr::from_slice(b"/"),
        }
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
    ///
    /// A result of up to 88 bytes is built without heap allocation.
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
        // The result is written directly: `/name` per component, no trailing `/`, so the root
        // is empty while building. It never holds more than `self.len() + arg.len() + 1` bytes.
        let (mut bytes, mut depth) = if arg.first() == Some(&b'/') || self.is_root() {
            (Repr::new(), 0)
        } else {
            (self.bytes.clone(), self.depth())
        };
        for part in arg.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    if let Some(slash) = memchr::memrchr(b'/', bytes.as_slice()) {
                        bytes.truncate(slash);
                        // cannot underflow: `depth` counts the `/` in `bytes`, one was found.
                        depth -= 1;
                    }
                }
                name => {
                    bytes.extend_from_slice(b"/");
                    bytes.extend_from_slice(name);
                    depth += 1;
                }
            }
        }
        if depth > max_depth {
            return Err(PathError::TooDeep { limit: max_depth });
        }
        if bytes.len().max(1) > max_len {
            return Err(PathError::TooLong { limit: max_len });
        }
        if bytes.as_slice().is_empty() {
            bytes.extend_from_slice(b"/");
        }
        bytes.shrink();
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
        let slash = memchr::memrchr(b'/', self.as_bytes())?;
        let bytes = Repr::from_slice(self.as_bytes().get(..slash.max(1))?);
        Some(VirtualPath { bytes })
    }

    /// The last component; `None` for the root.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().last()
    }

    /// The components from the root down: each is non-empty, not `.` or `..`, and holds no
    /// `/` or NUL. The root has none.
    pub fn components(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.as_bytes()
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
    }

    /// Number of components (0 for the root).
    pub fn depth(&self) -> usize {
        if self.is_root() {
            0
        } else {
            // Every component follows exactly one `/`.
            memchr::memchr_iter(b'/', self.as_bytes()).count()
        }
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.as_bytes() == b"/"
    }

    /// Whether `self` is `ancestor` or lies below it (compared by components, so `/ab` is not
    /// below `/a`).
    pub fn starts_with(&self, ancestor: &VirtualPath) -> bool {
        let mut mine = self.components();
        ancestor.components().all(|c| mine.next() == Some(c))
    }

    /// The path as bytes: `/` or `/a/b`, the form `PWD` and `MLST` show.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The path as text, when it is UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }

    /// The path as bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        match self.bytes {
            Repr::Inline(a) => a.to_vec(),
            Repr::Heap(v) => v,
        }
    }
}

impl AsRef<[u8]> for VirtualPath {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VirtualPath({:?})",
            String::from_utf8_lossy(self.as_bytes())
        )
    }
}

/// Shows the path, non-UTF-8 bytes replaced by U+FFFD.
impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The resolver as first written (a list of components, then the bytes), kept as the
    /// reference the inline resolver must match exactly, errors included (ATK-TRAVERSAL).
    fn reference(
        base: &[u8],
        arg: &[u8],
        max_len: usize,
        max_depth: usize,
    ) -> Result<Vec<u8>, PathError> {
        if arg.contains(&0) {
            return Err(PathError::Nul);
        }
        if arg.len() > max_len {
            return Err(PathError::TooLong { limit: max_len });
        }
        let mut parts: Vec<&[u8]> = Vec::new();
        if arg.first() != Some(&b'/') {
            parts.extend(base.split(|&b| b == b'/').filter(|c| !c.is_empty()));
        }
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
        let mut bytes = Vec::new();
        for part in &parts {
            bytes.push(b'/');
            bytes.extend_from_slice(part);
        }
        if bytes.is_empty() {
            bytes.push(b'/');
        }
        Ok(bytes)
    }

    /// A path stays 96 bytes: paths travel by value in requests and events.
    #[test]
    fn virtual_path_is_96_bytes() {
        assert_eq!(core::mem::size_of::<VirtualPath>(), 96);
    }

    /// Results of exactly `INLINE` bytes stay inline; one more byte goes to the heap; a heap
    /// intermediate that shrinks back under the limit comes back inline. The bytes are the
    /// same either way.
    #[test]
    fn inline_heap_boundary() {
        let name = vec![b'n'; INLINE - 1];
        let at = VirtualPath::root().resolve(&name).map(|p| p.bytes);
        assert!(matches!(&at, Ok(Repr::Inline(a)) if a.len() == INLINE));
        let over = VirtualPath::root().resolve(&[name.as_slice(), b"x"].concat());
        let over = over.map(|p| p.bytes);
        assert!(matches!(&over, Ok(Repr::Heap(v)) if v.len() == INLINE + 1));
        let mut arg = vec![b'a'; 300];
        arg.extend_from_slice(b"/../b");
        let back = VirtualPath::root().resolve(&arg);
        assert_eq!(back.as_ref().map(|p| p.as_bytes()), Ok(&b"/b"[..]));
        assert!(matches!(back.map(|p| p.bytes), Ok(Repr::Inline(_))));
    }

    /// Equality, ordering and hashing do not depend on where the bytes live.
    #[test]
    fn comparisons_ignore_the_representation() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |p: &VirtualPath| {
            let mut h = DefaultHasher::new();
            p.hash(&mut h);
            h.finish()
        };
        let inline = VirtualPath {
            bytes: Repr::from_slice(b"/a/b"),
        };
        let heap = VirtualPath {
            bytes: Repr::Heap(b"/a/b".to_vec()),
        };
        assert_eq!(inline, heap);
        assert_eq!(inline.cmp(&heap), Ordering::Equal);
        assert_eq!(hash(&inline), hash(&heap));
        let mut h = DefaultHasher::new();
        b"/a/b".to_vec().hash(&mut h);
        assert_eq!(hash(&inline), h.finish());
        let mut c = heap.clone();
        c.clone_from(&inline);
        assert_eq!(c.as_bytes(), b"/a/b");
        // A long path reuses the heap buffer of the one it replaces.
        let long = VirtualPath::root().resolve(&[b'l'; 200]);
        let mut target = VirtualPath::root().resolve(&[b't'; 300]);
        if let (Ok(long), Ok(target)) = (&long, &mut target) {
            target.clone_from(long);
            assert!(matches!(&target.bytes, Repr::Heap(v) if v.capacity() >= 301));
        }
        assert_eq!(target, long);
        assert_eq!(heap.into_bytes(), b"/a/b");
    }

    /// Path-ish bytes with long names, so results cross the inline limit both ways.
    fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
        let part = prop_oneof![
            Just(b"".to_vec()),
            Just(b".".to_vec()),
            Just(b"..".to_vec()),
            proptest::collection::vec(b'a'..=b'c', 1..4),
            proptest::collection::vec(b'x'..=b'z', 30..70),
        ];
        (any::<bool>(), proptest::collection::vec(part, 0..10)).prop_map(|(abs, parts)| {
            let mut out = if abs { b"/".to_vec() } else { Vec::new() };
            out.extend_from_slice(&parts.join(&b'/'));
            out
        })
    }

    proptest! {
        /// The inline resolver gives exactly the reference's result or error, for bases and
        /// arguments on both sides of the inline limit and tight limits (ATK-TRAVERSAL).
        #[test]
        fn resolve_matches_reference(
            base in path_bytes(),
            arg in path_bytes(),
            max_len in prop_oneof![Just(DEFAULT_MAX_LEN), 1usize..300],
            max_depth in prop_oneof![Just(DEFAULT_MAX_DEPTH), 0usize..6],
        ) {
            let cwd = VirtualPath::root().resolve(&base).unwrap_or_default();
            let got = cwd.resolve_with_limits(&arg, max_len, max_depth);
            let want = reference(cwd.as_bytes(), &arg, max_len, max_depth);
            prop_assert_eq!(got.map(VirtualPath::into_bytes), want);
        }
    }
}
