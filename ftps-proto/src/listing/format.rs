//! Server-side formatters: [`FileInfo`] to `LIST`, `NLST` and MLSD/MLST lines.

use super::facts::{FactSet, MlsxFact, Perms};
use super::time::MONTHS;
use super::ListingError;
use crate::timeval::TimeVal;

/// About six months (half of 365.2425 days): `ls -l` shows the year instead of the time of
/// day for entries older than this.
const SIX_MONTHS: i64 = 15_778_476;

/// What a [`FileInfo`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// The listed directory itself (`.`): `type=cdir` in MLSD, a directory in `LIST`.
    CurrentDir,
    /// The parent of the listed directory (`..`): `type=pdir` in MLSD, a directory in `LIST`.
    ParentDir,
    /// A symbolic link; its target is [`FileInfo::link_target`].
    Symlink,
    /// Anything else, with its `ls` type letter (`c`, `b`, `p`, `s`, `D`; `LIST` lines show `?`
    /// for a letter `ls -l` parsers do not know).
    Other(u8),
}

impl FileKind {
    fn is_dir(self) -> bool {
        matches!(
            self,
            FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir
        )
    }

    fn type_letter(self) -> u8 {
        match self {
            FileKind::File => b'-',
            FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir => b'd',
            FileKind::Symlink => b'l',
            // A letter the `LIST` parser reads back as "other" (not `-`, `d` or `l`); `?`
            // for any other, so the line always parses.
            FileKind::Other(c) if super::unix::is_other_type_letter(c) => c,
            FileKind::Other(_) => b'?',
        }
    }
}

/// One directory entry as the server's storage describes it, to be written by
/// [`format_list_line`], [`format_nlst_line`] or [`format_mlsx_line`].
///
/// ```
/// use ftps_proto::listing::{format_list_line, format_mlsx_line, FactSet, FileInfo, FileKind};
/// use ftps_proto::timeval::TimeVal;
///
/// let info = FileInfo::new("old-2019.txt", FileKind::File)
///     .with_size(30)
///     .with_modified(TimeVal::new(2019, 3, 4, 5, 6, 7).unwrap())
///     .with_owner("ftp")
///     .with_group("ftp");
/// let mut out = Vec::new();
/// format_list_line(&info, 1_795_000_000, &mut out)?;
/// assert_eq!(out, b"-rw-r--r--    1 ftp      ftp            30 Mar  4  2019 old-2019.txt\r\n");
/// out.clear();
/// format_mlsx_line(&info, FactSet::SERVER_DEFAULT, &mut out)?;
/// assert_eq!(
///     out,
///     b"type=file;size=30;modify=20190304050607;UNIX.mode=0644;UNIX.owner=ftp;UNIX.group=ftp; old-2019.txt\r\n"
/// );
/// # Ok::<(), ftps_proto::listing::ListingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FileInfo {
    /// The name (the last path component, or the path for `MLST`). Must not hold CR or LF.
    pub name: Vec<u8>,
    /// What the entry is.
    pub kind: FileKind,
    /// A symlink's target, shown as `name -> target` in `LIST` and `OS.unix=slink:target` in
    /// MLSD.
    pub link_target: Option<Vec<u8>>,
    /// Size in bytes (not written in MLSD for directories).
    pub size: u64,
    /// Modification time (UTC); `LIST` shows `Jan  1  1970` when unknown, MLSD leaves
    /// `modify` out.
    pub modified: Option<TimeVal>,
    /// Permission bits (`0o7777` at most is used: set-id, sticky, rwx).
    pub mode: u32,
    /// Owner name or number. No SP, TAB, `;`, CR, LF or NUL; not empty.
    pub owner: Vec<u8>,
    /// Group name or number. Same rules as `owner`.
    pub group: Vec<u8>,
    /// Hard link count.
    pub links: u64,
    /// MLSD `unique` fact, when the storage has one. Same rules as `owner`.
    pub unique: Option<Vec<u8>>,
    /// MLSD `perm` fact, when the storage computes one.
    pub perm: Option<Perms>,
}

impl FileInfo {
    /// An entry with defaults for everything but its name and kind: size 0, no time, mode
    /// `0o644` (`0o755` for directories, `0o777` for symlinks), owner and group `ftp`, one
    /// link (two for directories), no target, `unique` or `perm`.
    pub fn new(name: impl Into<Vec<u8>>, kind: FileKind) -> FileInfo {
        let (mode, links) = match kind {
            k if k.is_dir() => (0o755, 2),
            FileKind::Symlink => (0o777, 1),
            _ => (0o644, 1),
        };
        FileInfo {
            name: name.into(),
            kind,
            link_target: None,
            size: 0,
            modified: None,
            mode,
            owner: b"ftp".to_vec(),
            group: b"ftp".to_vec(),
            links,
            unique: None,
            perm: None,
        }
    }

    /// Sets [`size`](FileInfo::size).
    #[must_use]
    pub fn with_size(mut self, size: u64) -> FileInfo {
        self.size = size;
        self
    }

    /// Sets [`modified`](FileInfo::modified).
    #[must_use]
    pub fn with_modified(mut self, time: TimeVal) -> FileInfo {
        self.modified = Some(time);
        self
    }

    /// Sets [`modified`](FileInfo::modified) from seconds since 1970 (whole seconds); left
    /// unset when outside years 1000-9999.
    #[must_use]
    pub fn with_modified_unix(mut self, secs: i64) -> FileInfo {
        self.modified = TimeVal::from_unix(secs, 0);
        self
    }

    /// Sets [`mode`](FileInfo::mode).
    #[must_use]
    pub fn with_mode(mut self, mode: u32) -> FileInfo {
        self.mode = mode;
        self
    }

    /// Sets [`owner`](FileInfo::owner).
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<Vec<u8>>) -> FileInfo {
        self.owner = owner.into();
        self
    }

    /// Sets [`group`](FileInfo::group).
    #[must_use]
    pub fn with_group(mut self, group: impl Into<Vec<u8>>) -> FileInfo {
        self.group = group.into();
        self
    }

    /// Sets [`links`](FileInfo::links).
    #[must_use]
    pub fn with_links(mut self, links: u64) -> FileInfo {
        self.links = links;
        self
    }

    /// Sets [`link_target`](FileInfo::link_target).
    #[must_use]
    pub fn with_link_target(mut self, target: impl Into<Vec<u8>>) -> FileInfo {
        self.link_target = Some(target.into());
        self
    }

    /// Sets [`unique`](FileInfo::unique).
    #[must_use]
    pub fn with_unique(mut self, unique: impl Into<Vec<u8>>) -> FileInfo {
        self.unique = Some(unique.into());
        self
    }

    /// Sets [`perm`](FileInfo::perm).
    #[must_use]
    pub fn with_perm(mut self, perm: Perms) -> FileInfo {
        self.perm = Some(perm);
        self
    }
}

/// A name or link target can be written on one line: not empty, no CR, no LF.
fn check_name(name: &[u8]) -> Result<(), ListingError> {
    if name.is_empty() {
        return Err(ListingError::EmptyName);
    }
    if memchr::memchr2(b'\r', b'\n', name).is_some() {
        return Err(ListingError::UnsafeName);
    }
    Ok(())
}

/// A value that fits between separators of a `LIST` column or an MLSD fact.
fn is_token(value: &[u8]) -> bool {
    !value.is_empty()
        && !value
            .iter()
            .any(|b| matches!(b, b' ' | b'\t' | b';' | b'\r' | b'\n' | 0))
}

fn check_token(value: &[u8], field: &'static str) -> Result<(), ListingError> {
    if is_token(value) {
        Ok(())
    } else {
        Err(ListingError::BadField { field })
    }
}

/// Appends the decimal digits of `n`.
fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        // cannot truncate: a single decimal digit; cannot fire: u64 has at most 20 digits.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

fn pad(out: &mut Vec<u8>, count: usize) {
    out.extend(core::iter::repeat(b' ').take(count));
}

/// Runs a formatter and removes what it wrote if it fails, so that `out` only ever grows by
/// whole lines.
fn atomically(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), ListingError>,
) -> Result<(), ListingError> {
    let start = out.len();
    let result = write(out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends the `ls -l` permission column (`drwxr-xr-x`).
fn push_permissions(out: &mut Vec<u8>, kind: FileKind, mode: u32) {
    out.push(kind.type_letter());
    for who in 0..3u32 {
        let bits = (mode >> (6 - 3 * who)) & 0o7;
        let special = mode & (0o4000 >> who) != 0;
        out.push(if bits & 4 != 0 { b'r' } else { b'-' });
        out.push(if bits & 2 != 0 { b'w' } else { b'-' });
        let (with_x, without_x) = if who == 2 { (b't', b'T') } else { (b's', b'S') };
        out.push(match (bits & 1 != 0, special) {
            (true, false) => b'x',
            (false, false) => b'-',
            (true, true) => with_x,
            (false, true) => without_x,
        });
    }
}

/// Writes `info` as a Unix `ls -l` line ending in CRLF:
/// `-rw-r--r--    1 owner    group        1234 Mar  4  2019 name` (a symlink adds
/// ` -> target`).
///
/// Dates are in UTC. The time of day is shown for entries modified within the six months
/// before `now_unix`; older entries and entries in the future show the year instead.
///
/// Errors (nothing is written): [`ListingError::EmptyName`],
/// [`ListingError::UnsafeName`] (CR or LF in the name or link target) and
/// [`ListingError::BadField`] (`owner` or `group` empty or holding SP, TAB, `;`, CR, LF or
/// NUL).
pub fn format_list_line(
    info: &FileInfo,
    now_unix: i64,
    out: &mut Vec<u8>,
) -> Result<(), ListingError> {
    check_name(&info.name)?;
    if let Some(target) = &info.link_target {
        check_name(target)?;
    }
    check_token(&info.owner, "owner")?;
    check_token(&info.group, "group")?;
    atomically(out, |out| {
        push_permissions(out, info.kind, info.mode);
        out.push(b' ');
        pad(out, 4usize.saturating_sub(decimal_len(info.links)));
        push_u64(out, info.links);
        out.push(b' ');
        out.extend_from_slice(&info.owner);
        pad(out, 8usize.saturating_sub(info.owner.len()));
        out.push(b' ');
        out.extend_from_slice(&info.group);
        pad(out, 8usize.saturating_sub(info.group.len()));
        out.push(b' ');
        pad(out, 8usize.saturating_sub(decimal_len(info.size)));
        push_u64(out, info.size);
        out.push(b' ');

        let t = info.modified.unwrap_or(TimeVal {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            frac_digits: 0,
        });
        let month = MONTHS
            .get(usize::from(t.month).wrapping_sub(1))
            .copied()
            .unwrap_or(b"Jan");
        out.extend_from_slice(month);
        out.push(b' ');
        pad(out, 2usize.saturating_sub(decimal_len(u64::from(t.day))));
        push_u64(out, u64::from(t.day));
        out.push(b' ');
        let age = now_unix.saturating_sub(t.to_unix());
        if (0..SIX_MONTHS).contains(&age) {
            for (i, n) in [t.hour, t.minute].into_iter().enumerate() {
                if i == 1 {
                    out.push(b':');
                }
                if n < 10 {
                    out.push(b'0');
                }
                push_u64(out, u64::from(n));
            }
        } else {
            out.push(b' ');
            pad(out, 4usize.saturating_sub(decimal_len(u64::from(t.year))));
            push_u64(out, u64::from(t.year));
        }
        out.push(b' ');
        out.extend_from_slice(&info.name);
        if let (FileKind::Symlink, Some(target)) = (info.kind, &info.link_target) {
            out.extend_from_slice(b" -> ");
            out.extend_from_slice(target);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    })
}

/// Writes `info` as an `NLST` line: the name and CRLF.
///
/// Errors (nothing is written): [`ListingError::EmptyName`], [`ListingError::UnsafeName`].
pub fn format_nlst_line(info: &FileInfo, out: &mut Vec<u8>) -> Result<(), ListingError> {
    check_name(&info.name)?;
    out.extend_from_slice(&info.name);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Writes `info` as an MLSD line (RFC 3659 §7.2): the facts of `facts` that `info` has a
/// value for, each `name=value;`, in the order of [`MlsxFact::ALL`], then one SP, the name and
/// CRLF. With an empty `facts` the line is ` name` (X3659-ENTRY).
///
/// Values: `type` is `file`, `dir`, `cdir`, `pdir`, `OS.unix=slink:target` (the target is left
/// out when it holds SP, `;`, CR, LF or NUL, which a fact value cannot carry) or
/// `OS.unix=chr|blk|fifo|sock|other`; `size` is written for everything but directories;
/// `UNIX.mode` is octal with a leading `0` (`0644`). `create`, `lang`, `media-type`,
/// `charset`, `UNIX.uid` and `UNIX.gid` have no source in [`FileInfo`] and are never written.
///
/// Errors (nothing is written): [`ListingError::EmptyName`], [`ListingError::UnsafeName`],
/// [`ListingError::BadField`] for a selected `owner`, `group` or `unique` that is empty or
/// holds SP, TAB, `;`, CR, LF or NUL.
pub fn format_mlsx_line(
    info: &FileInfo,
    facts: FactSet,
    out: &mut Vec<u8>,
) -> Result<(), ListingError> {
    check_name(&info.name)?;
    atomically(out, |out| {
        for fact in facts.iter() {
            let start = out.len();
            out.extend_from_slice(fact.name().as_bytes());
            out.push(b'=');
            let written = match fact {
                MlsxFact::Type => {
                    out.extend_from_slice(match info.kind {
                        FileKind::File => b"file".as_slice(),
                        FileKind::Directory => b"dir",
                        FileKind::CurrentDir => b"cdir",
                        FileKind::ParentDir => b"pdir",
                        FileKind::Symlink => b"OS.unix=slink:",
                        FileKind::Other(b'c') => b"OS.unix=chr",
                        FileKind::Other(b'b') => b"OS.unix=blk",
                        FileKind::Other(b'p') => b"OS.unix=fifo",
                        FileKind::Other(b's') => b"OS.unix=sock",
                        FileKind::Other(_) => b"OS.unix=other",
                    });
                    if let (FileKind::Symlink, Some(target)) = (info.kind, &info.link_target) {
                        if is_token(target) {
                            out.extend_from_slice(target);
                        }
                    }
                    true
                }
                MlsxFact::Size if !info.kind.is_dir() => {
                    push_u64(out, info.size);
                    true
                }
                MlsxFact::Modify => match info.modified {
                    Some(t) => {
                        t.encode(out);
                        true
                    }
                    None => false,
                },
                MlsxFact::Unique => match &info.unique {
                    Some(u) => {
                        check_token(u, "unique")?;
                        out.extend_from_slice(u);
                        true
                    }
                    None => false,
                },
                MlsxFact::Perm => match info.perm {
                    Some(p) => {
                        p.encode(out);
                        true
                    }
                    None => false,
                },
                MlsxFact::UnixMode => {
                    let mode = info.mode & 0o7777;
                    out.push(b'0');
                    for shift in [9u32, 6, 3, 0] {
                        let digit = (mode >> shift) & 0o7;
                        if shift < 9 || digit != 0 {
                            // cannot truncate: an octal digit.
                            out.push(b'0' + digit as u8);
                        }
                    }
                    true
                }
                MlsxFact::UnixOwner => {
                    check_token(&info.owner, "owner")?;
                    out.extend_from_slice(&info.owner);
                    true
                }
                MlsxFact::UnixGroup => {
                    check_token(&info.group, "group")?;
                    out.extend_from_slice(&info.group);
                    true
                }
                _ => false,
            };
            if written {
                out.push(b';');
            } else {
                out.truncate(start);
            }
        }
        out.push(b' ');
        out.extend_from_slice(&info.name);
        out.extend_from_slice(b"\r\n");
        Ok(())
    })
}

/// Writes `info` as the entry line of an MLST reply (RFC 3659 §7.2): one SP, then the
/// [`format_mlsx_line`] form. Same errors.
pub fn format_mlst_line(
    info: &FileInfo,
    facts: FactSet,
    out: &mut Vec<u8>,
) -> Result<(), ListingError> {
    atomically(out, |out| {
        out.push(b' ');
        format_mlsx_line(info, facts, out)
    })
}
