//! MLSD/MLST facts (RFC 3659 §7.5-§7.9): fact names, the `OPTS MLST` selection, `perm` letters
//! and `type` values.

use core::fmt;

/// A fact this crate knows by name (RFC 3659 §7.5 plus the common `UNIX.*` facts).
///
/// Names match case-insensitively ([`MlsxFact::from_name`]); [`MlsxFact::name`] gives the
/// spelling this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MlsxFact {
    /// `type`: file, dir, cdir, pdir or `OS.name=kind`.
    Type,
    /// `size`: octets.
    Size,
    /// `modify`: last modification time (time-val).
    Modify,
    /// `create`: creation time (time-val).
    Create,
    /// `unique`: an opaque identifier of the file.
    Unique,
    /// `perm`: what the user may do (`a c d e f l m p r w`).
    Perm,
    /// `lang`: the language of the file's content.
    Lang,
    /// `media-type`: the IANA media type.
    MediaType,
    /// `charset`: the character set of the content.
    Charset,
    /// `UNIX.mode`: the permission bits in octal.
    UnixMode,
    /// `UNIX.owner`: the owner (a name or a number, depending on the server).
    UnixOwner,
    /// `UNIX.group`: the group (a name or a number, depending on the server).
    UnixGroup,
    /// `UNIX.uid`: the numeric owner.
    UnixUid,
    /// `UNIX.gid`: the numeric group.
    UnixGid,
}

impl MlsxFact {
    /// Every known fact, in the order this crate writes them.
    pub const ALL: [MlsxFact; 14] = [
        MlsxFact::Type,
        MlsxFact::Size,
        MlsxFact::Modify,
        MlsxFact::Create,
        MlsxFact::Unique,
        MlsxFact::Perm,
        MlsxFact::Lang,
        MlsxFact::MediaType,
        MlsxFact::Charset,
        MlsxFact::UnixMode,
        MlsxFact::UnixOwner,
        MlsxFact::UnixGroup,
        MlsxFact::UnixUid,
        MlsxFact::UnixGid,
    ];

    /// The fact name as this crate writes it (`type`, `UNIX.mode`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MlsxFact::Type => "type",
            MlsxFact::Size => "size",
            MlsxFact::Modify => "modify",
            MlsxFact::Create => "create",
            MlsxFact::Unique => "unique",
            MlsxFact::Perm => "perm",
            MlsxFact::Lang => "lang",
            MlsxFact::MediaType => "media-type",
            MlsxFact::Charset => "charset",
            MlsxFact::UnixMode => "UNIX.mode",
            MlsxFact::UnixOwner => "UNIX.owner",
            MlsxFact::UnixGroup => "UNIX.group",
            MlsxFact::UnixUid => "UNIX.uid",
            MlsxFact::UnixGid => "UNIX.gid",
        }
    }

    /// The fact with this name, compared case-insensitively; `None` for an unknown name.
    pub fn from_name(name: &[u8]) -> Option<MlsxFact> {
        MlsxFact::ALL
            .into_iter()
            .find(|f| f.name().as_bytes().eq_ignore_ascii_case(name))
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for MlsxFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`MlsxFact`]s: the facts a server supports, or those selected by `OPTS MLST`
/// (RFC 3659 §7.8, §7.9).
///
/// ```
/// use ftps_proto::listing::{FactSet, MlsxFact};
///
/// // `OPTS MLST size;frogs;Modify;`: unknown facts are dropped silently.
/// let selected = FactSet::parse(b"size;frogs;Modify;");
/// assert!(selected.contains(MlsxFact::Size) && !selected.contains(MlsxFact::Type));
/// let mut reply = Vec::new();
/// selected.encode(&mut reply);
/// assert_eq!(reply, b"size;modify;");
///
/// // The FEAT line: every supported fact, `*` on the selected ones.
/// let mut feat = Vec::new();
/// FactSet::SERVER_DEFAULT.encode_feat(selected, &mut feat);
/// assert_eq!(feat, b"type;size*;modify*;unique;perm;UNIX.mode;UNIX.owner;UNIX.group;");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FactSet(u16);

impl FactSet {
    /// No fact: MLSD/MLST entries carry the pathname only.
    pub const EMPTY: FactSet = FactSet(0);

    /// The facts [`format_mlsx_line`](super::format_mlsx_line) can write from a
    /// [`FileInfo`](super::FileInfo), all selected by default: `type`, `size`, `modify`, `perm`,
    /// `unique`, `UNIX.mode`, `UNIX.owner`, `UNIX.group`.
    pub const SERVER_DEFAULT: FactSet = FactSet(
        (1 << MlsxFact::Type as u16)
            | (1 << MlsxFact::Size as u16)
            | (1 << MlsxFact::Modify as u16)
            | (1 << MlsxFact::Perm as u16)
            | (1 << MlsxFact::Unique as u16)
            | (1 << MlsxFact::UnixMode as u16)
            | (1 << MlsxFact::UnixOwner as u16)
            | (1 << MlsxFact::UnixGroup as u16),
    );

    /// Every fact this crate knows.
    pub fn all() -> FactSet {
        MlsxFact::ALL.into_iter().collect()
    }

    /// Whether `fact` is in the set.
    pub fn contains(self, fact: MlsxFact) -> bool {
        self.0 & fact.bit() != 0
    }

    /// Adds `fact`.
    pub fn insert(&mut self, fact: MlsxFact) {
        self.0 |= fact.bit();
    }

    /// Removes `fact`.
    pub fn remove(&mut self, fact: MlsxFact) {
        self.0 &= !fact.bit();
    }

    /// `self` with `fact` added (builder style).
    #[must_use]
    pub fn with(mut self, fact: MlsxFact) -> FactSet {
        self.insert(fact);
        self
    }

    /// The facts in both sets.
    #[must_use]
    pub fn intersection(self, other: FactSet) -> FactSet {
        FactSet(self.0 & other.0)
    }

    /// Whether the set holds no fact.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The facts of the set, in the order of [`MlsxFact::ALL`].
    pub fn iter(self) -> impl Iterator<Item = MlsxFact> {
        MlsxFact::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// Parses an `OPTS MLST` argument or a FEAT `MLST` parameter: fact names separated by `;`
    /// (a final `;` optional), matched case-insensitively; a `*` after a name (FEAT) is ignored.
    /// Unknown names and empty items are dropped silently (RFC 3659 §7.9).
    pub fn parse(list: &[u8]) -> FactSet {
        list.split(|&b| b == b';')
            .filter_map(|item| MlsxFact::from_name(item.strip_suffix(b"*").unwrap_or(item)))
            .collect()
    }

    /// Parses a FEAT `MLST` parameter (`type*;size*;modify;`): returns (supported, selected by
    /// default), the latter being the names marked with `*`.
    pub fn parse_feat(list: &[u8]) -> (FactSet, FactSet) {
        let mut supported = FactSet::EMPTY;
        let mut selected = FactSet::EMPTY;
        for item in list.split(|&b| b == b';') {
            let (name, star) = match item.strip_suffix(b"*") {
                Some(name) => (name, true),
                None => (item, false),
            };
            if let Some(fact) = MlsxFact::from_name(name) {
                supported.insert(fact);
                if star {
                    selected.insert(fact);
                }
            }
        }
        (supported, selected)
    }

    /// Appends `name;` for each fact (`size;modify;`), as the `200 MLST OPTS` reply lists them;
    /// nothing for the empty set.
    pub fn encode(self, out: &mut Vec<u8>) {
        for fact in self.iter() {
            out.extend_from_slice(fact.name().as_bytes());
            out.push(b';');
        }
    }

    /// Appends the FEAT `MLST` parameter: every fact of `self` (the supported set) followed by
    /// `*` when it is in `selected`, then `;` (`type*;size*;modify;`).
    pub fn encode_feat(self, selected: FactSet, out: &mut Vec<u8>) {
        for fact in self.iter() {
            out.extend_from_slice(fact.name().as_bytes());
            if selected.contains(fact) {
                out.push(b'*');
            }
            out.push(b';');
        }
    }
}

impl FromIterator<MlsxFact> for FactSet {
    fn from_iter<I: IntoIterator<Item = MlsxFact>>(iter: I) -> FactSet {
        let mut set = FactSet::EMPTY;
        for fact in iter {
            set.insert(fact);
        }
        set
    }
}

impl fmt::Debug for FactSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The `perm` fact (RFC 3659 §7.5.5): a set of the letters `a c d e f l m p r w`.
///
/// Letters outside that list (some servers add their own, such as `M` or `T`) are ignored by
/// [`Perms::parse`]; the raw value stays available through
/// [`MlsxEntry::fact`](super::MlsxEntry::fact).
///
/// ```
/// use ftps_proto::listing::Perms;
///
/// let p = Perms::parse(b"adfrw");
/// assert_eq!(p.len(), 5);
/// assert!(p.contains(b'r') && !p.contains(b'e'));
/// let mut out = Vec::new();
/// p.encode(&mut out);
/// assert_eq!(out, b"adfrw");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perms(u16);

impl Perms {
    /// The letters, in the order [`Perms::encode`] writes them.
    pub const LETTERS: &'static [u8; 10] = b"acdeflmprw";

    /// No permission.
    pub const NONE: Perms = Perms(0);

    fn bit(letter: u8) -> Option<u16> {
        Perms::LETTERS
            .iter()
            .position(|&l| l == letter)
            .map(|i| 1 << i)
    }

    /// The set of the permission letters in `value`. Letters are lower case; anything else
    /// (such as the `M` and `T` some servers add) is ignored.
    pub fn parse(value: &[u8]) -> Perms {
        Perms(
            value
                .iter()
                .filter_map(|&b| Perms::bit(b))
                .fold(0, |a, b| a | b),
        )
    }

    /// Whether `letter` (e.g. `b'r'`) is in the set; `false` for a letter that is not a
    /// permission.
    pub fn contains(self, letter: u8) -> bool {
        Perms::bit(letter).is_some_and(|b| self.0 & b != 0)
    }

    /// Adds `letter`; returns `false` (and changes nothing) if it is not a permission letter.
    pub fn insert(&mut self, letter: u8) -> bool {
        match Perms::bit(letter) {
            Some(b) => {
                self.0 |= b;
                true
            }
            None => false,
        }
    }

    /// Number of letters in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Appends the letters in the order of [`Perms::LETTERS`].
    pub fn encode(self, out: &mut Vec<u8>) {
        out.extend(Perms::LETTERS.iter().filter(|&&l| self.contains(l)));
    }
}

impl fmt::Debug for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = Vec::new();
        self.encode(&mut s);
        write!(f, "Perms({})", String::from_utf8_lossy(&s))
    }
}

/// The value of the `type` fact (RFC 3659 §7.5.1), matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryType<'a> {
    /// `file`.
    File,
    /// `dir`.
    Dir,
    /// `cdir`: the listed directory itself.
    Cdir,
    /// `pdir`: the parent of the listed directory.
    Pdir,
    /// A symbolic link: `OS.unix=slink:target` (the target, if not empty), or
    /// `OS.unix=symlink`.
    Symlink {
        /// The link target, when the server gave one.
        target: Option<&'a [u8]>,
    },
    /// Any other value, raw (e.g. `OS.unix=chr`).
    Other(&'a [u8]),
}

impl<'a> EntryType<'a> {
    /// Interprets a `type` fact value.
    pub fn parse(value: &'a [u8]) -> EntryType<'a> {
        let lower = |s: &[u8], t: &[u8]| s.eq_ignore_ascii_case(t);
        if lower(value, b"file") {
            return EntryType::File;
        }
        if lower(value, b"dir") {
            return EntryType::Dir;
        }
        if lower(value, b"cdir") {
            return EntryType::Cdir;
        }
        if lower(value, b"pdir") {
            return EntryType::Pdir;
        }
        if let Some(os) = value.get(..8).filter(|p| lower(p, b"OS.unix=")) {
            let kind = value.get(os.len()..).unwrap_or_default();
            if lower(kind, b"symlink") || lower(kind, b"slink") {
                return EntryType::Symlink { target: None };
            }
            if let Some(p) = kind.get(..6).filter(|p| lower(p, b"slink:")) {
                let target = kind.get(p.len()..).filter(|t| !t.is_empty());
                return EntryType::Symlink { target };
            }
        }
        EntryType::Other(value)
    }

    /// Whether this is `cdir` or `pdir`: entries a recursive walk must skip (X3659-CDIR).
    pub fn is_dot_dir(&self) -> bool {
        matches!(self, EntryType::Cdir | EntryType::Pdir)
    }

    /// Whether this names a directory (`dir`, `cdir` or `pdir`).
    pub fn is_dir(&self) -> bool {
        matches!(self, EntryType::Dir | EntryType::Cdir | EntryType::Pdir)
    }
}
