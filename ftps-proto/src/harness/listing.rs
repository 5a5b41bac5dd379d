//! Listing targets: the line parsers, the streaming decoder and the formatters.

use crate::listing::{
    format_list_line, format_mlst_line, format_mlsx_line, format_nlst_line, parse_list_line,
    parse_mlst_line, parse_mlsx_line, Entry, EntryKind, EntryType, FactSet, FileInfo, FileKind,
    ListingDecoder, ListingError, ListingFormat, MlsxEntry, MlsxFact, Perms,
};
use crate::timeval::TimeVal;

use super::reader::{Chunks, Reader};

/// Whether `part` lies inside `whole` (the parsers borrow every field from the line).
fn inside(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    part.is_empty() || (p >= w && p + part.len() <= w + whole.len())
}

fn check_list_line(line: &[u8]) {
    match parse_list_line(line) {
        Ok(e) => {
            assert!(!e.name.is_empty() && inside(e.name, line));
            for field in [e.permissions, e.owner, e.group].into_iter().flatten() {
                assert!(inside(field, line));
            }
            if let EntryKind::Symlink { target: Some(t) } = e.kind {
                assert!(inside(t, line));
            }
            if let Some(mode) = e.mode() {
                assert!(mode <= 0o7777);
            }
            if let Some(t) = e.modified {
                assert!((1..=12).contains(&t.month) && (1..=31).contains(&t.day));
                if let Some((h, m)) = t.time {
                    assert!(h < 24 && m < 60);
                }
                let _ = t.to_unix(1_700_000_000);
            }
        }
        Err(e) => assert!(
            matches!(
                e,
                ListingError::Empty
                    | ListingError::NotAnEntry
                    | ListingError::Unrecognized
                    | ListingError::NumberOverflow
                    | ListingError::EmptyName
            ),
            "parse_list_line gave {e:?}"
        ),
    }
}

/// Checks an MLSD entry; `line` is the line it was parsed from, when known.
fn check_mlsx_entry(e: &MlsxEntry<'_>, line: Option<&[u8]>) {
    let within = |part: &[u8]| line.map_or(true, |line| inside(part, line));
    assert!(!e.name.is_empty() && within(e.name));
    for f in e.facts() {
        assert!(!f.name.is_empty() && within(f.name) && within(f.value));
        assert!(!f.name.contains(&b';') && !f.value.contains(&b';') && !f.name.contains(&b' '));
        assert!(e.fact(f.name).is_some());
    }
    if let Some(mode) = e.unix_mode() {
        assert!(mode <= 0o7777);
    }
    for t in [e.modify, e.create].into_iter().flatten() {
        assert!(t.is_valid());
    }
    let _ = (
        e.unix_uid(),
        e.unix_gid(),
        e.is_dot_dir(),
        e.unix_owner(),
        e.unix_group(),
    );
}

fn check_mlsx_result(result: Result<MlsxEntry<'_>, ListingError>, line: &[u8], what: &str) {
    match result {
        Ok(e) => check_mlsx_entry(&e, Some(line)),
        Err(e) => assert!(
            matches!(
                e,
                ListingError::Empty
                    | ListingError::MissingSeparator
                    | ListingError::EmptyName
                    | ListingError::MalformedFact
                    | ListingError::BadFactValue { .. }
            ),
            "{what} gave {e:?}"
        ),
    }
}

/// Decodes `pieces` as one listing, checking the decoder's bounds after every push; returns
/// the entries (as text, for comparison) and errors in order.
fn decode(
    format: ListingFormat,
    max_line: usize,
    max_total: Option<u64>,
    pieces: &[&[u8]],
) -> Vec<String> {
    let mut d = ListingDecoder::new(format, max_line);
    if let Some(limit) = max_total {
        d.set_max_total(limit);
    }
    let mut got = Vec::new();
    let drain = |d: &mut ListingDecoder, got: &mut Vec<String>| {
        while let Some(item) = d.next_entry() {
            if let Ok(entry) = &item {
                assert!(!entry.name().is_empty() || format == ListingFormat::Nlst);
                match entry {
                    Entry::Mlsx(e) => check_mlsx_entry(e, None),
                    Entry::Name(n) => assert!(n.len() <= max_line + 1),
                    _ => {}
                }
            }
            got.push(format!("{item:?}"));
        }
    };
    for piece in pieces {
        d.push(piece);
        drain(&mut d, &mut got);
        // ATK-LISTING: all lines taken, only the unfinished one is held, within the limit.
        assert!(
            d.buffered() <= max_line + 1,
            "decoder holds {} bytes",
            d.buffered()
        );
    }
    d.finish();
    drain(&mut d, &mut got);
    assert_eq!(d.buffered(), 0);
    if max_total.is_some() {
        let too_large = got.iter().filter(|g| g.contains("TooLarge")).count();
        assert!(too_large <= 1);
        if too_large == 1 {
            assert!(
                got.last().is_some_and(|g| g.contains("TooLarge")),
                "entries after TooLarge"
            );
        }
    }
    got
}

/// Listing parsers: [`parse_list_line`], [`parse_mlsx_line`] and [`parse_mlst_line`] take any
/// line, borrow every field from it and return only their documented errors; the
/// [`ListingDecoder`] of each format gives the same entries however the stream is chunked,
/// never holds more than its line limit of an unfinished line, and reports `TooLarge` once,
/// last.
///
/// Input: a limits byte, a chunking byte, a total-limit byte, then the listing stream.
pub fn listing_parse(data: &[u8]) {
    let mut r = Reader::new(data);
    let max_line = [4usize, 32, 256, 65536][usize::from(r.u8() & 3)];
    let mut chunks = Chunks::new(r.u8());
    let total = r.u8();
    let max_total = (total & 0x80 != 0).then(|| u64::from(total & 0x7F) * 4);
    let stream = r.rest();

    for line in stream.split_inclusive(|&b| b == b'\n').take(256) {
        check_list_line(line);
        check_mlsx_result(parse_mlsx_line(line), line, "parse_mlsx_line");
        check_mlsx_result(parse_mlst_line(line), line, "parse_mlst_line");
    }
    for format in [
        ListingFormat::List,
        ListingFormat::Mlsd,
        ListingFormat::Nlst,
    ] {
        let whole = decode(format, max_line, max_total, &[stream]);
        let pieces = chunks.split(stream);
        assert_eq!(
            decode(format, max_line, max_total, &pieces),
            whole,
            "{format:?} depends on chunking"
        );
    }
}

/// A [`FileInfo`] built from the input.
pub(super) fn file_info(r: &mut Reader<'_>) -> FileInfo {
    let kind = match r.u8() % 7 {
        0 => FileKind::File,
        1 => FileKind::Directory,
        2 => FileKind::CurrentDir,
        3 => FileKind::ParentDir,
        4 => FileKind::Symlink,
        5 => FileKind::Other(r.pick(b"cbps")),
        _ => FileKind::Other(r.u8()),
    };
    let name = r.short().to_vec();
    let mut info = FileInfo::new(name, kind)
        .with_size(r.size())
        .with_mode(r.u32())
        .with_links(r.size());
    let flags = r.u8();
    if flags & 1 != 0 {
        info = info.with_modified_unix(r.u64() as i64 % 253_402_300_800);
    }
    if flags & 2 != 0 {
        info = info.with_owner(r.short());
    }
    if flags & 4 != 0 {
        info = info.with_group(r.short());
    }
    if flags & 8 != 0 {
        info = info.with_link_target(r.short());
    }
    if flags & 16 != 0 {
        info = info.with_unique(r.short());
    }
    if flags & 32 != 0 {
        info = info.with_perm(Perms::parse(r.short()));
    }
    info
}

/// A token as the formatters require for owner, group and unique.
fn is_token(v: &[u8]) -> bool {
    !v.is_empty()
        && !v
            .iter()
            .any(|b| matches!(b, b' ' | b'\t' | b';' | b'\r' | b'\n' | 0))
}

fn name_ok(n: &[u8]) -> bool {
    !n.is_empty() && !n.contains(&b'\r') && !n.contains(&b'\n')
}

/// Formatter -> parser round trips for a [`FileInfo`] built from the input: each formatter
/// writes exactly one CRLF line or refuses for a stated reason with nothing written; MLSD
/// lines parse back to the same name, facts and values; `LIST` lines parse back to the same
/// name, kind, size, links, owner, group and mode (for owners and groups that cannot read as
/// a date: the documented ambiguity of `ls -l`); `NLST` lines to the same name.
///
/// Input: the fields of a [`FileInfo`], a fact-set byte and a "now" for `LIST`.
pub fn listing_roundtrip(data: &[u8]) {
    let mut r = Reader::new(data);
    let info = file_info(&mut r);
    let facts = FactSet::parse(r.short());
    let now = i64::from(r.u32()) * 2;
    let name_fine = name_ok(&info.name);
    let target_fine = info.link_target.as_deref().map_or(true, name_ok);

    // MLSD / MLST.
    let mut out = b"x".to_vec();
    let result = format_mlsx_line(&info, facts, &mut out);
    let owner_used = facts.contains(MlsxFact::UnixOwner);
    let group_used = facts.contains(MlsxFact::UnixGroup);
    let unique_used = facts.contains(MlsxFact::Unique) && info.unique.is_some();
    let fields_fine = (!owner_used || is_token(&info.owner))
        && (!group_used || is_token(&info.group))
        && (!unique_used || info.unique.as_deref().is_some_and(is_token));
    assert_eq!(
        result.is_ok(),
        name_fine && fields_fine,
        "format_mlsx_line: {result:?}"
    );
    if result.is_err() {
        assert_eq!(out, b"x");
    } else {
        let line = out.get(1..).unwrap_or_default();
        assert!(line.ends_with(b"\r\n") && memchr::memchr_iter(b'\n', line).count() == 1);
        let e = match parse_mlsx_line(line) {
            Ok(e) => e,
            Err(err) => panic!("MLSD line {line:?} does not parse: {err:?}"),
        };
        assert_eq!(e.name, &info.name[..]);
        if facts.contains(MlsxFact::Modify) {
            assert_eq!(e.modify, info.modified);
        }
        if facts.contains(MlsxFact::Size) {
            let size = (!matches!(
                info.kind,
                FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir
            ))
            .then_some(info.size);
            assert_eq!(e.size, size);
        }
        if facts.contains(MlsxFact::UnixMode) {
            assert_eq!(e.unix_mode(), Some(info.mode & 0o7777));
        }
        if owner_used {
            assert_eq!(e.unix_owner(), Some(&info.owner[..]));
        }
        if group_used {
            assert_eq!(e.unix_group(), Some(&info.group[..]));
        }
        if unique_used {
            assert_eq!(e.unique, info.unique.as_deref());
        }
        if facts.contains(MlsxFact::Perm) {
            assert_eq!(e.perm, info.perm);
        }
        if facts.contains(MlsxFact::Type) {
            let kind_ok = match (info.kind, e.kind) {
                (FileKind::File, Some(EntryType::File))
                | (FileKind::Directory, Some(EntryType::Dir))
                | (FileKind::CurrentDir, Some(EntryType::Cdir))
                | (FileKind::ParentDir, Some(EntryType::Pdir))
                | (FileKind::Other(_), Some(EntryType::Other(_))) => true,
                (FileKind::Symlink, Some(EntryType::Symlink { target })) => {
                    target == info.link_target.as_deref().filter(|t| is_token(t))
                }
                _ => false,
            };
            assert!(kind_ok, "{:?} came back as {:?}", info.kind, e.kind);
        }
        let mut mlst = Vec::new();
        assert_eq!(format_mlst_line(&info, facts, &mut mlst), Ok(()));
        let e2 = parse_mlst_line(&mlst).map(|e| e.name.to_vec());
        assert_eq!(e2, Ok(info.name.clone()));
    }

    // LIST.
    let mut out = b"x".to_vec();
    let result = format_list_line(&info, now, &mut out);
    let list_fine = name_fine && target_fine && is_token(&info.owner) && is_token(&info.group);
    assert_eq!(result.is_ok(), list_fine, "format_list_line: {result:?}");
    if result.is_err() {
        assert_eq!(out, b"x");
    } else {
        let line = out.get(1..).unwrap_or_default();
        assert!(line.ends_with(b"\r\n") && memchr::memchr_iter(b'\n', line).count() == 1);
        let blank = info.name.iter().all(|&b| b == b' ' || b == b'\t');
        let ambiguous = ambiguous_column(&info.owner) || ambiguous_column(&info.group);
        match parse_list_line(line) {
            Ok(e) if !ambiguous => check_list_roundtrip(&info, &e),
            Ok(_) => {}
            Err(err) => assert!(
                blank || ambiguous,
                "LIST line {line:?} does not parse: {err:?}"
            ),
        }
    }

    // NLST.
    let mut out = Vec::new();
    let result = format_nlst_line(&info, &mut out);
    assert_eq!(result.is_ok(), name_fine);
    if result.is_ok() {
        assert_eq!(out.len(), info.name.len() + 2);
        let mut d = ListingDecoder::new(ListingFormat::Nlst, 1024);
        d.push(&out);
        d.finish();
        if info.name.iter().any(|&b| b != b' ' && b != b'\t') {
            assert_eq!(d.next_entry(), Some(Ok(Entry::Name(&info.name[..]))));
        }
        assert_eq!(d.next_entry(), None);
    }
}

/// Whether a `LIST` owner or group could be read as another column (a month name, a number,
/// a device's `major,`), which `ls -l` output cannot tell apart: the documented ambiguity.
fn ambiguous_column(v: &[u8]) -> bool {
    v.len() == 3 || v.iter().all(u8::is_ascii_digit) || v.ends_with(b",")
}

fn check_list_roundtrip(info: &FileInfo, e: &crate::listing::ListEntry<'_>) {
    let device = matches!(info.kind, FileKind::Other(b'c' | b'b'));
    let (kind_ok, name_ok) = match (info.kind, e.kind) {
        (FileKind::Symlink, EntryKind::Symlink { target }) => {
            let mut whole = e.name.to_vec();
            if let Some(t) = target {
                whole.extend_from_slice(b" -> ");
                whole.extend_from_slice(t);
            }
            let mut want = info.name.clone();
            if let Some(t) = &info.link_target {
                want.extend_from_slice(b" -> ");
                want.extend_from_slice(t);
            }
            (true, whole == want)
        }
        (FileKind::File, EntryKind::File)
        | (
            FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir,
            EntryKind::Directory,
        ) => (true, e.name == &info.name[..]),
        (FileKind::Other(c), EntryKind::Other(d)) => {
            let known = b"cbpsD?".contains(&c);
            let letter = if known { c } else { b'?' };
            (letter == d, e.name == &info.name[..])
        }
        _ => (false, false),
    };
    assert!(kind_ok, "{:?} came back as {:?}", info.kind, e.kind);
    assert!(name_ok, "name {:?} came back as {:?}", info.name, e);
    if !device {
        assert_eq!(e.size, Some(info.size));
    }
    assert_eq!(e.links, Some(info.links));
    assert_eq!(e.owner, Some(&info.owner[..]));
    assert_eq!(e.group, Some(&info.group[..]));
    assert_eq!(e.mode(), Some(info.mode & 0o7777));
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
    let m = e.modified.map(|m| (m.month, m.day));
    assert_eq!(m, Some((t.month, t.day)));
}
