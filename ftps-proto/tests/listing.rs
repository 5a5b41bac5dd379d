//! Listing tests: MLSD/MLST entries and facts (X3659-ENTRY, X3659-FACTS, X3659-MLST,
//! X3659-MLSD, X3659-CDIR, X3659-OPTS, X3659-PATH), `LIST` parsers for Unix and DOS lines,
//! the streaming decoder (ATK-LISTING) and the server-side formatters, against the listings
//! captured from real servers in `shared/data/peers`.

use std::path::PathBuf;

use ftps_proto::listing::{
    format_list_line, format_mlst_line, format_mlsx_line, format_nlst_line, parse_list_line,
    parse_mlst_line, parse_mlsx_line, Entry, EntryKind, EntryType, FactSet, FileInfo, FileKind,
    ListStyle, ListTime, ListingDecoder, ListingError, ListingFormat, MlsxFact, Perms,
};
use ftps_proto::timeval::TimeVal;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn peers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/peers")
}

fn capture(server: &str, file: &str) -> Vec<u8> {
    std::fs::read(peers().join(server).join(format!("{file}.bin"))).unwrap()
}

/// Owned copy of what a test compares about an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Mlsx {
        name: Vec<u8>,
        size: Option<u64>,
        modify: Option<TimeVal>,
    },
    List {
        name: Vec<u8>,
        size: Option<u64>,
        modified: Option<ListTime>,
        target: Option<Vec<u8>>,
    },
    Name(Vec<u8>),
    Error(ListingError),
}

fn own(e: Result<Entry<'_>, ListingError>) -> Owned {
    match e {
        Ok(Entry::Mlsx(e)) => Owned::Mlsx {
            name: e.name.to_vec(),
            size: e.size,
            modify: e.modify,
        },
        Ok(Entry::List(e)) => Owned::List {
            name: e.name.to_vec(),
            size: e.size,
            modified: e.modified,
            target: match e.kind {
                EntryKind::Symlink { target } => target.map(<[u8]>::to_vec),
                _ => None,
            },
        },
        Ok(Entry::Name(n)) => Owned::Name(n.to_vec()),
        Ok(other) => panic!("unexpected entry {other:?}"),
        Err(e) => Owned::Error(e),
    }
}

fn drain(d: &mut ListingDecoder) -> Vec<Owned> {
    let mut out = Vec::new();
    while let Some(e) = d.next_entry() {
        out.push(own(e));
    }
    out
}

/// Decodes `data` pushed in chunks of `chunk` bytes (0: all at once).
fn decode(format: ListingFormat, data: &[u8], chunk: usize) -> Vec<Owned> {
    let mut d = ListingDecoder::new(format, 64 * 1024);
    let mut out = Vec::new();
    if chunk == 0 {
        d.push(data);
        out.extend(drain(&mut d));
    } else {
        for c in data.chunks(chunk) {
            d.push(c);
            out.extend(drain(&mut d));
        }
    }
    d.finish();
    out.extend(drain(&mut d));
    out
}

fn names(entries: &[Owned]) -> Vec<String> {
    let mut v: Vec<String> = entries
        .iter()
        .map(|e| match e {
            Owned::Mlsx { name, .. } | Owned::List { name, .. } | Owned::Name(name) => {
                String::from_utf8(name.clone()).unwrap()
            }
            Owned::Error(e) => panic!("error {e:?}"),
        })
        .collect();
    v.sort();
    v
}

const ROOT: [&str; 9] = [
    "café.txt",
    "empty.txt",
    "file1234.bin",
    "link-to-file1234",
    "my \"quoted\" dir",
    "my file.txt",
    "old-2019.txt",
    "recent.txt",
    "subdir",
];

fn root_plus(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ROOT.iter().chain(extra).map(|s| s.to_string()).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Captured listings of real servers (shared/data/peers/*/index.md)

/// The entries beyond `ROOT` in `LIST`, `LIST -a`, `NLST` and `MLSD` (None: no MLSD).
type Extras<'a> = (
    &'a [&'a str],
    &'a [&'a str],
    &'a [&'a str],
    Option<&'a [&'a str]>,
);

#[test]
fn captured_listings_have_the_documented_names() {
    let servers = ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"];
    for server in servers {
        let dots: &[&str] = &[".", "..", ".hidden"];
        let (list, list_a, nlst, mlsd): Extras<'_> = match server {
            "vsftpd-explicit" => (&[], dots, &[], None),
            "proftpd" => (&[], dots, &[], Some(dots)),
            "pure-ftpd" => (&[], dots, dots, Some(dots)),
            _ => (&[".hidden"], &[".hidden"], &[".hidden"], Some(&[".hidden"])),
        };
        for chunk in [0, 1, 7] {
            let got = decode(ListingFormat::List, &capture(server, "list-root"), chunk);
            assert_eq!(names(&got), root_plus(list), "{server} list-root");
            let got = decode(ListingFormat::List, &capture(server, "list-a-root"), chunk);
            assert_eq!(names(&got), root_plus(list_a), "{server} list-a-root");
            let got = decode(ListingFormat::List, &capture(server, "list-subdir"), chunk);
            assert_eq!(names(&got), ["inner.txt"], "{server} list-subdir");
            let got = decode(ListingFormat::Nlst, &capture(server, "nlst-root"), chunk);
            assert_eq!(names(&got), root_plus(nlst), "{server} nlst-root");
            // vsftpd has no MLSD: its capture is empty.
            let got = decode(ListingFormat::Mlsd, &capture(server, "mlsd-root"), chunk);
            match mlsd {
                Some(extra) => assert_eq!(names(&got), root_plus(extra), "{server} mlsd"),
                None => assert_eq!(got, []),
            }
        }
    }
}

#[test]
fn captured_list_lines_have_the_documented_details() {
    for server in ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"] {
        let data = capture(server, "list-root");
        for line in data.split_inclusive(|&b| b == b'\n') {
            let e = parse_list_line(line).unwrap();
            assert_eq!(e.style, ListStyle::Unix);
            let t = e.modified.unwrap();
            match e.name {
                b"old-2019.txt" => {
                    assert_eq!((t.year, t.month, t.day, t.time), (Some(2019), 3, 4, None));
                    assert_eq!(e.size, Some(30));
                    assert_eq!(e.mode(), Some(0o644));
                    assert_eq!(e.kind, EntryKind::File);
                }
                b"recent.txt" => {
                    assert_eq!(
                        (t.year, t.month, t.day, t.time),
                        (None, 10, 22, Some((12, 34)))
                    );
                    assert_eq!(e.size, Some(33));
                }
                b"link-to-file1234" => {
                    assert_eq!(
                        e.kind,
                        EntryKind::Symlink {
                            target: Some(b"file1234.bin")
                        }
                    );
                    assert_eq!(e.mode(), Some(0o777));
                }
                b"subdir" | b"my \"quoted\" dir" => {
                    assert_eq!(e.kind, EntryKind::Directory);
                    assert_eq!((e.links, e.mode()), (Some(2), Some(0o755)));
                }
                b"caf\xc3\xa9.txt" => assert_eq!(e.size, Some(35)),
                b"my file.txt" => assert_eq!(e.size, Some(24)),
                b"file1234.bin" => assert_eq!(e.size, Some(1234)),
                b"empty.txt" => assert_eq!(e.size, Some(0)),
                b".hidden" => assert_eq!(e.size, Some(32)),
                other => panic!("{server}: unexpected {:?}", String::from_utf8_lossy(other)),
            }
            // Owners: numeric on vsftpd, names elsewhere, a uid and a group name on Pure-FTPd.
            let (owner, group): (&[u8], &[u8]) = match server {
                "vsftpd-explicit" => (b"1001", b"1001"),
                "proftpd" => (b"ftptest", b"ftptest"),
                "pure-ftpd" => (b"1001", b"ftptest"),
                _ => (b"root", b"root"),
            };
            assert_eq!((e.owner, e.group), (Some(owner), Some(group)), "{server}");
        }
    }
}

#[test]
fn captured_mlsd_facts() {
    // X3659-FACTS on ProFTPD's and Pure-FTPd's MLSD; X3659-CDIR on their cdir/pdir entries.
    let data = capture("proftpd", "mlsd-root");
    let mut dot_dirs = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        let e = parse_mlsx_line(line).unwrap();
        dot_dirs += usize::from(e.is_dot_dir());
        match e.name {
            b"link-to-file1234" => {
                assert_eq!(e.kind, Some(EntryType::Symlink { target: None }));
                assert_eq!(e.unix_mode(), Some(0o777));
            }
            b"old-2019.txt" => {
                assert_eq!(e.modify, TimeVal::new(2019, 3, 4, 5, 6, 7));
                assert_eq!(e.perm, Some(Perms::parse(b"adfrw")));
                assert_eq!(e.size, Some(30));
                assert_eq!(e.unique, Some(&b"FE00U98E01F"[..]));
                assert_eq!(e.unix_owner(), Some(&b"1001"[..]));
                assert_eq!(e.unix_group(), Some(&b"1001"[..]));
                assert_eq!(e.fact(b"unix.ownername"), Some(&b"ftptest"[..]));
            }
            b"." => assert_eq!(e.kind, Some(EntryType::Cdir)),
            b".." => assert_eq!(e.kind, Some(EntryType::Pdir)),
            _ => {}
        }
    }
    assert_eq!(dot_dirs, 2);

    let data = capture("pure-ftpd", "mlsd-root");
    for line in data.split_inclusive(|&b| b == b'\n') {
        let e = parse_mlsx_line(line).unwrap();
        assert_eq!((e.unix_uid(), e.unix_gid()), (Some(1001), Some(1001)));
        if e.name == b"link-to-file1234" {
            assert_eq!(e.kind, Some(EntryType::Symlink { target: None }));
        }
        if e.name == b"subdir" {
            // Pure-FTPd gives directory sizes as `sizd`, kept raw.
            assert_eq!((e.size, e.fact(b"sizd")), (None, Some(&b"4096"[..])));
        }
    }
}

#[test]
fn x3659_mlst_captured_control_replies() {
    // X3659-MLST: the entry line of `250-` ... `250 ` starts with one SP.
    let expected: [(&str, &[u8]); 3] = [
        ("proftpd", b"/file1234.bin"),
        ("pure-ftpd", b"file1234.bin"),
        ("pyftpdlib", b"/file1234.bin"),
    ];
    for (server, name) in expected {
        let reply = capture(server, "mlst-file");
        let line = reply.split_inclusive(|&b| b == b'\n').nth(1).unwrap();
        let e = parse_mlst_line(line).unwrap();
        assert_eq!(
            (e.name, e.size, e.kind),
            (name, Some(1234), Some(EntryType::File)),
            "{server}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// MLSD / MLST lines

#[test]
fn x3659_entry_case_insensitive_names_and_spaces() {
    let e = parse_mlsx_line(b"Type=file;Size=10; my file.txt").unwrap();
    assert_eq!(
        (e.name, e.kind, e.size),
        (&b"my file.txt"[..], Some(EntryType::File), Some(10))
    );
    // The pathname keeps spaces (leading ones too) and `;`.
    let e = parse_mlsx_line(b"type=dir;  a;b = c ").unwrap();
    assert_eq!(e.name, b" a;b = c ");
    assert_eq!(e.kind, Some(EntryType::Dir));
}

#[test]
fn x3659_entry_without_facts() {
    let e = parse_mlsx_line(b" justname\r\n").unwrap();
    assert_eq!(e.name, b"justname");
    assert_eq!(e.facts().count(), 0);
    assert_eq!((e.kind, e.size, e.modify), (None, None, None));
}

#[test]
fn x3659_facts_typed_and_raw() {
    let e = parse_mlsx_line(
        b"perm=adfrw;UNIX.mode=0644;frob=1;modify=19980615100045.014;create=20000101000000;\
          unique=AbC;lang=en;media-type=text/plain;charset=UTF-8;UNIX.owner=joe;UNIX.group=staff;\
          UNIX.uid=1000;UNIX.gid=100;type=OS.unix=slink:/etc/target; x",
    )
    .unwrap();
    assert_eq!(e.perm.map(Perms::len), Some(5));
    assert_eq!(e.fact(b"UNIX.mode"), Some(&b"0644"[..]));
    assert_eq!(e.unix_mode(), Some(0o644));
    assert_eq!(
        e.modify.map(|t| (t.year, t.nanos)),
        Some((1998, 14_000_000))
    );
    assert_eq!(e.create.map(|t| t.year), Some(2000));
    assert_eq!(e.unique, Some(&b"AbC"[..]));
    assert_eq!(e.lang, Some(&b"en"[..]));
    assert_eq!(e.media_type, Some(&b"text/plain"[..]));
    assert_eq!(e.charset, Some(&b"UTF-8"[..]));
    assert_eq!(
        (e.unix_owner(), e.unix_group()),
        (Some(&b"joe"[..]), Some(&b"staff"[..]))
    );
    assert_eq!((e.unix_uid(), e.unix_gid()), (Some(1000), Some(100)));
    assert_eq!(
        e.kind,
        Some(EntryType::Symlink {
            target: Some(b"/etc/target")
        })
    );
    // The unknown fact is not interpreted, only kept raw.
    let frob: Vec<_> = e
        .facts()
        .filter(|f| f.known().is_none())
        .map(|f| (f.name, f.value))
        .collect();
    assert_eq!(frob, [(&b"frob"[..], &b"1"[..])]);
}

#[test]
fn x3659_facts_type_values() {
    let kind = EntryType::parse;
    assert_eq!(kind(b"FILE"), EntryType::File);
    assert_eq!(kind(b"Dir"), EntryType::Dir);
    assert_eq!(kind(b"cdir"), EntryType::Cdir);
    assert_eq!(kind(b"pdir"), EntryType::Pdir);
    assert_eq!(
        kind(b"OS.unix=symlink"),
        EntryType::Symlink { target: None }
    );
    assert_eq!(kind(b"OS.unix=slink:"), EntryType::Symlink { target: None });
    assert_eq!(
        kind(b"os.UNIX=slink:a"),
        EntryType::Symlink { target: Some(b"a") }
    );
    assert_eq!(
        kind(b"OS.unix=chr-4/64"),
        EntryType::Other(b"OS.unix=chr-4/64")
    );
    assert!(kind(b"pdir").is_dot_dir() && kind(b"cdir").is_dir() && !kind(b"dir").is_dot_dir());
}

#[test]
fn x3659_facts_unix_mode_not_octal_reads_none() {
    let e = parse_mlsx_line(b"UNIX.mode=0999;UNIX.uid=99999999999; x").unwrap();
    assert_eq!((e.unix_mode(), e.unix_uid()), (None, None));
    assert_eq!(e.fact(b"unix.mode"), Some(&b"0999"[..]));
}

/// ATK-LISTING: twelve octal digits in `UNIX.mode` overflow 32 bits: the fact reads as
/// absent, with no panic (debug) and no wrapped value (release) (found by the `listing_parse`
/// fuzz target).
#[test]
fn x3659_facts_unix_mode_overflow_reads_none() {
    for mode in [&b"777777777777"[..], b"400000000000", b"040000000000"] {
        let mut line = b"type=file;UNIX.mode=".to_vec();
        line.extend_from_slice(mode);
        line.extend_from_slice(b"; x");
        let e = parse_mlsx_line(&line).unwrap();
        assert_eq!(e.unix_mode(), None, "{:?}", String::from_utf8_lossy(mode));
    }
    let e = parse_mlsx_line(b"UNIX.mode=000000000644; x").unwrap();
    assert_eq!(e.unix_mode(), Some(0o644));
}

#[test]
fn mlsx_missing_final_semicolon_tolerated() {
    let e = parse_mlsx_line(b"type=file;size=3 x").unwrap();
    assert_eq!((e.name, e.size), (&b"x"[..], Some(3)));
}

#[test]
fn mlsx_hostile_lines_exact_errors() {
    assert_eq!(parse_mlsx_line(b""), Err(ListingError::Empty));
    assert_eq!(parse_mlsx_line(b"\r\n"), Err(ListingError::Empty));
    assert_eq!(
        parse_mlsx_line(b"type=file;size=3;"),
        Err(ListingError::MissingSeparator)
    );
    assert_eq!(
        parse_mlsx_line(b"type=file; "),
        Err(ListingError::EmptyName)
    );
    assert_eq!(
        parse_mlsx_line(b"type=file;oops; x"),
        Err(ListingError::MalformedFact)
    );
    assert_eq!(
        parse_mlsx_line(b"=file; x"),
        Err(ListingError::MalformedFact)
    );
    let bad = |fact| Err(ListingError::BadFactValue { fact });
    assert_eq!(
        parse_mlsx_line(b"size=18446744073709551616; x"),
        bad(MlsxFact::Size)
    );
    assert_eq!(parse_mlsx_line(b"size=-1; x"), bad(MlsxFact::Size));
    assert_eq!(parse_mlsx_line(b"size=; x"), bad(MlsxFact::Size));
    assert_eq!(parse_mlsx_line(b"modify=2024; x"), bad(MlsxFact::Modify));
    assert_eq!(
        parse_mlsx_line(b"create=20241301000000; x"),
        bad(MlsxFact::Create)
    );
    assert_eq!(parse_mlsx_line(b"size=\xff; x"), bad(MlsxFact::Size));
    // The largest size is fine.
    assert_eq!(
        parse_mlsx_line(b"size=18446744073709551615; x")
            .unwrap()
            .size,
        Some(u64::MAX)
    );
    // NUL, 0xFF and invalid UTF-8 in a name are bytes like any other.
    assert_eq!(
        parse_mlsx_line(b"type=file; a\0\xff\xc3").unwrap().name,
        b"a\0\xff\xc3"
    );
    // A 1 MiB line without SP.
    let long = vec![b'a'; 1 << 20];
    assert_eq!(parse_mlsx_line(&long), Err(ListingError::MissingSeparator));
}

#[test]
fn x3659_mlst_line_needs_leading_space() {
    let e = parse_mlst_line(b" type=file;size=3; /x\r\n").unwrap();
    assert_eq!((e.name, e.size), (&b"/x"[..], Some(3)));
    assert_eq!(
        parse_mlst_line(b"type=file; /x"),
        Err(ListingError::MissingSeparator)
    );
    assert_eq!(parse_mlst_line(b""), Err(ListingError::Empty));
    assert_eq!(parse_mlst_line(b"  /x").unwrap().name, b"/x");
}

// ---------------------------------------------------------------------------------------------
// FactSet (X3659-OPTS) and Perms

#[test]
fn x3659_opts_fact_selection() {
    let selected = FactSet::parse(b"size;frogs;");
    assert_eq!(selected, FactSet::EMPTY.with(MlsxFact::Size));
    let mut reply = Vec::new();
    selected
        .intersection(FactSet::SERVER_DEFAULT)
        .encode(&mut reply);
    assert_eq!(reply, b"size;");
    // Case-insensitive, final `;` optional, stars ignored.
    assert_eq!(
        FactSet::parse(b"TYPE;Modify*;unix.MODE"),
        FactSet::EMPTY
            .with(MlsxFact::Type)
            .with(MlsxFact::Modify)
            .with(MlsxFact::UnixMode)
    );
    // An empty list selects nothing: entries are names only.
    assert!(FactSet::parse(b"").is_empty());
    let mut out = Vec::new();
    FactSet::EMPTY.encode(&mut out);
    assert_eq!(out, b"");
}

#[test]
fn x3659_opts_feat_string() {
    let supported = FactSet::EMPTY
        .with(MlsxFact::Type)
        .with(MlsxFact::Size)
        .with(MlsxFact::Modify)
        .with(MlsxFact::Perm)
        .with(MlsxFact::UnixMode);
    let mut feat = Vec::new();
    supported.encode_feat(supported, &mut feat);
    assert_eq!(feat, b"type*;size*;modify*;perm*;UNIX.mode*;");
    feat.clear();
    supported.encode_feat(FactSet::parse(b"size;"), &mut feat);
    assert_eq!(feat, b"type;size*;modify;perm;UNIX.mode;");
    assert_eq!(
        FactSet::parse_feat(&feat),
        (supported, FactSet::EMPTY.with(MlsxFact::Size))
    );
    // ProFTPD's FEAT MLST parameter, as captured.
    let (sup, sel) = FactSet::parse_feat(
        b"modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;",
    );
    assert_eq!(sup, sel);
    assert!(sup.contains(MlsxFact::UnixGroup) && !sup.contains(MlsxFact::Create));
}

#[test]
fn x3659_facts_perm_set() {
    let p = Perms::parse(b"radfwMT");
    assert_eq!(p.len(), 5);
    for l in *b"adfrw" {
        assert!(p.contains(l));
    }
    // `M` and `T` are no permission letters: ignored.
    assert!(!p.contains(b'e') && !p.contains(b'M') && !p.contains(b'T'));
    let mut out = Vec::new();
    Perms::parse(b"eldfmMTcp").encode(&mut out);
    assert_eq!(out, b"cdeflmp");
    let mut p = Perms::NONE;
    assert!(p.insert(b'r') && !p.insert(b'z'));
    assert_eq!(p.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// LIST: Unix

fn list(line: &[u8]) -> ftps_proto::listing::ListEntry<'_> {
    parse_list_line(line).unwrap()
}

#[test]
fn unix_year_and_time() {
    let e = list(b"drwxr-xr-x 2 user group 4096 Mar 4 2019 name");
    assert_eq!(e.kind, EntryKind::Directory);
    let t = e.modified.unwrap();
    assert_eq!((t.year, t.month, t.day, t.time), (Some(2019), 3, 4, None));
    assert_eq!(
        (e.links, e.owner, e.group, e.size),
        (Some(2), Some(&b"user"[..]), Some(&b"group"[..]), Some(4096))
    );
    let t = list(b"-rw-r--r-- 1 u g 1 Feb 29 9:05 leap")
        .modified
        .unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.time),
        (None, 2, 29, Some((9, 5)))
    );
}

#[test]
fn unix_names_with_spaces_and_arrows() {
    assert_eq!(
        list(b"-rw-r--r-- 1 u g 1 Jan  1  2020 my  file ").name,
        b"my  file "
    );
    assert_eq!(
        list(b"-rw-r--r-- 1 u g 1 Jan  1 12:00  leading").name,
        b" leading"
    );
    let e = list(b"lrwxrwxrwx 1 u g 1 Jan  1 12:00 a b -> c -> d");
    assert_eq!(
        (e.name, e.kind),
        (
            &b"a b"[..],
            EntryKind::Symlink {
                target: Some(b"c -> d")
            }
        )
    );
    // `->` in a regular file's name is part of the name.
    assert_eq!(
        list(b"-rw-r--r-- 1 u g 1 Jan  1 12:00 a -> b").name,
        b"a -> b"
    );
    // A symlink line without a target.
    assert_eq!(
        list(b"lrwxrwxrwx 1 u g 1 Jan  1 12:00 a").kind,
        EntryKind::Symlink { target: None }
    );
    // A name that looks like a date.
    assert_eq!(
        list(b"-rw-r--r-- 1 u g 1 Jan  1 12:00 Feb 2 2020 x").name,
        b"Feb 2 2020 x"
    );
}

#[test]
fn unix_missing_group_and_numeric_owner() {
    let e = list(b"-rw-r--r--   1 1001     1234 Mar  4  2019 f");
    assert_eq!(
        (e.links, e.owner, e.group, e.size),
        (Some(1), Some(&b"1001"[..]), None, Some(1234))
    );
    let e = list(b"-rw-r--r-- owner group 7 Mar  4  2019 f");
    assert_eq!(
        (e.links, e.owner, e.group),
        (None, Some(&b"owner"[..]), Some(&b"group"[..]))
    );
    let e = list(b"-rw-r--r-- 7 Mar  4  2019 f");
    assert_eq!(
        (e.links, e.owner, e.group, e.size),
        (None, None, None, Some(7))
    );
    let e = list(b"-rw-r--r-- 3 domain users 7 Mar  4  2019 f");
    assert_eq!(
        (e.owner, e.group),
        (Some(&b"domain"[..]), Some(&b"users"[..]))
    );
    let e = list(b"-rw-r--r-- 3 me domain users 7 Mar  4  2019 f");
    assert_eq!(
        (e.owner, e.group),
        (Some(&b"me"[..]), Some(&b"domain users"[..]))
    );
}

#[test]
fn unix_device_files() {
    let e = list(b"crw-rw---- 1 root tty 4, 64 Jan 1 12:00 tty0");
    assert_eq!(
        (e.kind, e.device, e.size, e.name),
        (EntryKind::Other(b'c'), Some((4, 64)), None, &b"tty0"[..])
    );
    assert_eq!((e.owner, e.group), (Some(&b"root"[..]), Some(&b"tty"[..])));
    let e = list(b"brw-rw---- 1 root disk 8,0 Jan 1 12:00 sda");
    assert_eq!((e.kind, e.device), (EntryKind::Other(b'b'), Some((8, 0))));
    assert_eq!(
        parse_list_line(b"crw-rw---- 1 root tty 4294967296, 64 Jan 1 12:00 x"),
        Err(ListingError::NumberOverflow)
    );
    assert_eq!(
        list(b"prw-r--r-- 1 u g 0 Jan 1 12:00 fifo").kind,
        EntryKind::Other(b'p')
    );
    assert_eq!(
        list(b"srwxrwxrwx 1 u g 0 Jan 1 12:00 sock").kind,
        EntryKind::Other(b's')
    );
}

#[test]
fn unix_modes() {
    assert_eq!(
        list(b"-rwsr-sr-t 1 u g 0 Jan 1 12:00 x").mode(),
        Some(0o7755)
    );
    assert_eq!(
        list(b"-rwSr-Sr-T 1 u g 0 Jan 1 12:00 x").mode(),
        Some(0o7644)
    );
    assert_eq!(list(b"----------+ 1 u g 0 Jan 1 12:00 x").mode(), Some(0));
    assert_eq!(
        list(b"drwxr-xr-x@ 1 u g 0 Jan 1 12:00 x").mode(),
        Some(0o755)
    );
    // `t` in the user position is not a permission letter.
    assert_eq!(list(b"-rwtr--r-- 1 u g 0 Jan 1 12:00 x").mode(), None);
}

#[test]
fn unix_total_line_is_not_an_entry() {
    assert_eq!(
        parse_list_line(b"total 12\r\n"),
        Err(ListingError::NotAnEntry)
    );
    assert_eq!(
        parse_list_line(b"total 1.2M"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(parse_list_line(b"total 12K"), Err(ListingError::NotAnEntry));
    let got = decode(
        ListingFormat::List,
        b"total 8\r\n\r\n-rw-r--r-- 1 u g 1 Jan 1 12:00 a\r\n",
        0,
    );
    assert_eq!(names(&got), ["a"]);
}

#[test]
fn list_hostile_lines_exact_errors() {
    assert_eq!(parse_list_line(b""), Err(ListingError::Empty));
    assert_eq!(parse_list_line(b"   \r\n"), Err(ListingError::Empty));
    assert_eq!(
        parse_list_line(b"hello world"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"\xff\xfe\xfd"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(parse_list_line(b"\0"), Err(ListingError::Unrecognized));
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 1 Jan 1 12:00"),
        Err(ListingError::EmptyName)
    );
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 1 Jan 1 12:00 "),
        Err(ListingError::EmptyName)
    );
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 18446744073709551616 Jan 1 12:00 x"),
        Err(ListingError::NumberOverflow)
    );
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 18446744073709551616 u g 1 Jan 1 12:00 x"),
        Err(ListingError::NumberOverflow)
    );
    // Impossible dates and times are not a date column.
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 1 Feb 30 2019 x"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 1 Jan 1 24:00 x"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"-rw-r--r-- 1 u g 1 Jan 0 12:00 x"),
        Err(ListingError::Unrecognized)
    );
    // Invalid UTF-8 and NUL in a name are kept as bytes.
    assert_eq!(
        list(b"-rw-r--r-- 1 u g 1 Jan 1 12:00 \xff\0\xc3").name,
        b"\xff\0\xc3"
    );
    let long = vec![b'-'; 1 << 20];
    assert_eq!(parse_list_line(&long), Err(ListingError::Unrecognized));
}

// ---------------------------------------------------------------------------------------------
// LIST: DOS / IIS

#[test]
fn dos_lines() {
    let e = list(b"01-02-24  01:30PM       <DIR>          my dir");
    assert_eq!(
        (e.style, e.kind, e.name, e.size),
        (ListStyle::Dos, EntryKind::Directory, &b"my dir"[..], None)
    );
    let t = e.modified.unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.time),
        (Some(2024), 1, 2, Some((13, 30)))
    );
    let e = list(b"12-31-1999  12:05AM            1234567 report final.txt\r\n");
    assert_eq!(
        (e.kind, e.name, e.size),
        (EntryKind::File, &b"report final.txt"[..], Some(1_234_567))
    );
    let t = e.modified.unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.time),
        (Some(1999), 12, 31, Some((0, 5)))
    );
    let t = list(b"07-04-98  12:00PM  1 x").modified.unwrap();
    assert_eq!((t.year, t.time), (Some(1998), Some((12, 0))));
    let t = list(b"07-04-2001  23:59  1,024 x").modified.unwrap();
    assert_eq!(t.time, Some((23, 59)));
    assert_eq!(list(b"07-04-2001  23:59  1,024 x").size, Some(1024));
    assert_eq!(
        list(b"07-04-2001  11:59 PM  5 x").modified.unwrap().time,
        Some((23, 59))
    );
    assert_eq!(list(b"07-04-2001  11:59 PM  5 x").owner, None);
}

#[test]
fn dos_hostile_lines() {
    assert_eq!(
        parse_list_line(b"13-01-24  01:30PM <DIR> x"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"01-01-24  13:30PM <DIR> x"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"01-01-24  01:30PM <FILE> x"),
        Err(ListingError::Unrecognized)
    );
    assert_eq!(
        parse_list_line(b"01-01-24  01:30PM <DIR>"),
        Err(ListingError::EmptyName)
    );
    assert_eq!(
        parse_list_line(b"01-01-24  01:30PM 99999999999999999999 x"),
        Err(ListingError::NumberOverflow)
    );
    assert_eq!(parse_list_line(b"0"), Err(ListingError::Unrecognized));
}

#[test]
fn list_time_to_unix_guesses_the_year() {
    // now = 2026-11-21 11:48 UTC (the capture time)
    let now = TimeVal::new(2026, 11, 21, 11, 48, 0).unwrap().to_unix();
    let recent = ListTime::new(None, 10, 22, Some((12, 34))).unwrap();
    assert_eq!(
        recent.to_unix(now),
        Some(TimeVal::new(2026, 10, 22, 12, 34, 0).unwrap().to_unix())
    );
    let december = ListTime::new(None, 12, 24, Some((0, 0))).unwrap();
    assert_eq!(
        december.to_unix(now),
        Some(TimeVal::new(2025, 12, 24, 0, 0, 0).unwrap().to_unix())
    );
    let old = ListTime::new(Some(2019), 3, 4, None).unwrap();
    assert_eq!(
        old.to_unix(now),
        Some(TimeVal::new(2019, 3, 4, 0, 0, 0).unwrap().to_unix())
    );
    assert_eq!(ListTime::new(Some(2023), 2, 29, None), None);
    assert!(ListTime::new(None, 2, 29, None).is_some());
    assert_eq!(ListTime::new(None, 13, 1, None), None);
}

// ---------------------------------------------------------------------------------------------
// The decoder (ATK-LISTING, X3659-MLSD)

#[test]
fn decoder_triad_whole_bytewise_trailing() {
    let data: &[u8] = b"type=file;size=1; a\r\ntype=dir; b c\ntype=file;size=2; d";
    let want = vec![
        Owned::Mlsx {
            name: b"a".to_vec(),
            size: Some(1),
            modify: None,
        },
        Owned::Mlsx {
            name: b"b c".to_vec(),
            size: None,
            modify: None,
        },
        Owned::Mlsx {
            name: b"d".to_vec(),
            size: Some(2),
            modify: None,
        },
    ];
    assert_eq!(decode(ListingFormat::Mlsd, data, 0), want);
    assert_eq!(decode(ListingFormat::Mlsd, data, 1), want);
    // Trailing data: the incomplete last line stays buffered until finish.
    let mut d = ListingDecoder::new(ListingFormat::Mlsd, 1024);
    d.push(data);
    assert_eq!(drain(&mut d).len(), 2);
    assert_eq!(d.buffered(), b"type=file;size=2; d".len());
    d.push(b"ef\r");
    assert_eq!(drain(&mut d), []);
    d.push(b"\n");
    assert_eq!(
        drain(&mut d),
        [Owned::Mlsx {
            name: b"def".to_vec(),
            size: Some(2),
            modify: None
        }]
    );
    d.finish();
    assert_eq!(drain(&mut d), []);
}

#[test]
fn decoder_errors_keep_their_place() {
    let got = decode(
        ListingFormat::Mlsd,
        b"type=file; a\r\nnospace\r\ntype=file; b\r\n",
        0,
    );
    assert_eq!(
        got,
        [
            Owned::Mlsx {
                name: b"a".to_vec(),
                size: None,
                modify: None
            },
            Owned::Error(ListingError::MissingSeparator),
            Owned::Mlsx {
                name: b"b".to_vec(),
                size: None,
                modify: None
            },
        ]
    );
}

#[test]
fn atk_listing_100_mib_line_bounded() {
    // ATK-LISTING: a 100 MiB MLSD line errors once, and the decoder never holds more than the
    // limit (+1 byte for a CR) of it.
    let max_line = 4096;
    let mut d = ListingDecoder::new(ListingFormat::Mlsd, max_line);
    d.push(b"type=file; before\r\ntype=file;");
    let chunk = vec![b'x'; 1 << 20];
    let mut seen = Vec::new();
    for _ in 0..100 {
        d.push(&chunk);
        assert!(d.buffered() <= max_line + 1, "buffered {}", d.buffered());
        seen.extend(drain(&mut d));
    }
    d.push(b" name\r\ntype=file; after\r\n");
    seen.extend(drain(&mut d));
    d.finish();
    seen.extend(drain(&mut d));
    assert_eq!(
        seen,
        [
            Owned::Mlsx {
                name: b"before".to_vec(),
                size: None,
                modify: None
            },
            Owned::Error(ListingError::LineTooLong { limit: max_line }),
            Owned::Mlsx {
                name: b"after".to_vec(),
                size: None,
                modify: None
            },
        ]
    );
}

#[test]
fn atk_listing_long_line_inside_one_push_and_at_the_end() {
    let mut data = b"a\r\n".to_vec();
    data.extend(vec![b'y'; 1 << 20]);
    data.extend(b"\r\nb\r\n");
    data.extend(vec![b'z'; 1 << 20]); // no line end: reported at finish
    let got = decode(ListingFormat::Nlst, &data, 0);
    let too_long = Owned::Error(ListingError::LineTooLong { limit: 64 * 1024 });
    assert_eq!(
        got,
        [
            Owned::Name(b"a".to_vec()),
            too_long.clone(),
            Owned::Name(b"b".to_vec()),
            too_long
        ]
    );
}

#[test]
fn atk_listing_limit_is_exact() {
    // A line of exactly max_line bytes passes, with CRLF, LF, or no line end; one more fails.
    for end in [&b"\r\n"[..], b"\n", b""] {
        let mut d = ListingDecoder::new(ListingFormat::Nlst, 4);
        d.push(b"abcd");
        d.push(end);
        d.push(b"abcde");
        d.push(end);
        d.finish();
        let got = drain(&mut d);
        if end.is_empty() {
            // Without line ends the two are one line of 9 bytes.
            assert_eq!(got, [Owned::Error(ListingError::LineTooLong { limit: 4 })]);
        } else {
            assert_eq!(
                got,
                [
                    Owned::Name(b"abcd".to_vec()),
                    Owned::Error(ListingError::LineTooLong { limit: 4 })
                ],
                "{end:?}"
            );
        }
    }
    // The CR split from its LF across pushes does not count.
    let mut d = ListingDecoder::new(ListingFormat::Nlst, 4);
    d.push(b"abcd\r");
    d.push(b"\n");
    assert_eq!(drain(&mut d), [Owned::Name(b"abcd".to_vec())]);
}

#[test]
fn atk_listing_total_size_bound() {
    let mut d = ListingDecoder::new(ListingFormat::Nlst, 100);
    d.set_max_total(10);
    d.push(b"abc\r\ndef\r\nghi\r\n");
    d.push(b"more\r\n");
    d.finish();
    assert_eq!(
        drain(&mut d),
        [
            Owned::Name(b"abc".to_vec()),
            Owned::Name(b"def".to_vec()),
            Owned::Error(ListingError::TooLarge { limit: 10 }),
        ]
    );
}

#[test]
fn x3659_mlsd_many_long_names() {
    // X3659-MLSD: 10 000 entries with 4 KiB names parse.
    let name = vec![b'n'; 4096];
    let mut data = Vec::new();
    for i in 0..10_000u64 {
        let info = FileInfo::new(name.clone(), FileKind::File).with_size(i);
        format_mlsx_line(&info, FactSet::SERVER_DEFAULT, &mut data).unwrap();
    }
    let mut d = ListingDecoder::new(ListingFormat::Mlsd, 8192);
    d.push(&data);
    let mut n = 0u64;
    while let Some(e) = d.next_entry() {
        match e.unwrap() {
            Entry::Mlsx(e) => {
                assert_eq!((e.name.len(), e.size), (4096, Some(n)));
                n += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 10_000);
}

// ---------------------------------------------------------------------------------------------
// Formatters

const NOW: i64 = 1_795_261_680; // 2026-11-21 11:48:00 UTC

fn list_line(info: &FileInfo) -> Vec<u8> {
    let mut out = Vec::new();
    format_list_line(info, NOW, &mut out).unwrap();
    out
}

#[test]
fn format_list_known_answers() {
    let recent = FileInfo::new("recent.txt", FileKind::File)
        .with_size(33)
        .with_modified(TimeVal::new(2026, 10, 22, 12, 34, 56).unwrap())
        .with_owner("1001")
        .with_group("1001");
    assert_eq!(
        list_line(&recent),
        b"-rw-r--r--    1 1001     1001           33 Oct 22 12:34 recent.txt\r\n"
    );
    // Older than six months, or in the future: the year.
    let old = recent
        .clone()
        .with_modified(TimeVal::new(2026, 5, 1, 0, 0, 0).unwrap());
    assert_eq!(
        list_line(&old),
        b"-rw-r--r--    1 1001     1001           33 May  1  2026 recent.txt\r\n"
    );
    let future = recent.clone().with_modified_unix(NOW + 3600);
    assert_eq!(
        list_line(&future),
        b"-rw-r--r--    1 1001     1001           33 Nov 21  2026 recent.txt\r\n"
    );
    let dir = FileInfo::new("sub dir", FileKind::Directory)
        .with_size(4096)
        .with_modified_unix(NOW);
    assert_eq!(
        list_line(&dir),
        b"drwxr-xr-x    2 ftp      ftp          4096 Nov 21 11:48 sub dir\r\n"
    );
    let link = FileInfo::new("link", FileKind::Symlink)
        .with_link_target("file1234.bin")
        .with_size(12);
    assert_eq!(
        list_line(&link),
        b"lrwxrwxrwx    1 ftp      ftp            12 Jan  1  1970 link -> file1234.bin\r\n"
    );
    let odd = FileInfo::new("x", FileKind::Other(b'c'))
        .with_mode(0o4751)
        .with_links(12345);
    assert_eq!(
        list_line(&odd),
        b"crwsr-x--x 12345 ftp      ftp             0 Jan  1  1970 x\r\n"
    );
    let sticky = FileInfo::new("tmp", FileKind::Directory).with_mode(0o1777);
    assert!(list_line(&sticky).starts_with(b"drwxrwxrwt "));
}

#[test]
fn format_nlst_known_answer() {
    let mut out = Vec::new();
    format_nlst_line(&FileInfo::new("café.txt", FileKind::File), &mut out).unwrap();
    assert_eq!(out, "café.txt\r\n".as_bytes());
}

#[test]
fn format_mlsx_known_answers() {
    let info = FileInfo::new("my file.txt", FileKind::File)
        .with_size(24)
        .with_modified(TimeVal::parse(b"20261121114817.5").unwrap())
        .with_perm(Perms::parse(b"adfrw"))
        .with_unique("fe00g98e026")
        .with_mode(0o4755);
    let mut out = Vec::new();
    format_mlsx_line(&info, FactSet::all(), &mut out).unwrap();
    assert_eq!(
        out,
        &b"type=file;size=24;modify=20261121114817.5;unique=fe00g98e026;perm=adfrw;UNIX.mode=04755;\
           UNIX.owner=ftp;UNIX.group=ftp; my file.txt\r\n"[..]
    );
    // X3659-OPTS: only the selected facts; an empty selection leaves the SP and the name.
    out.clear();
    format_mlsx_line(&info, FactSet::parse(b"size;"), &mut out).unwrap();
    assert_eq!(out, b"size=24; my file.txt\r\n");
    out.clear();
    format_mlsx_line(&info, FactSet::EMPTY, &mut out).unwrap();
    assert_eq!(out, b" my file.txt\r\n");
    // X3659-CDIR: cdir / pdir, no size for directories; MLST adds the leading SP.
    out.clear();
    let cdir = FileInfo::new("/pub", FileKind::CurrentDir).with_size(4096);
    format_mlst_line(&cdir, FactSet::parse(b"type;size;"), &mut out).unwrap();
    assert_eq!(out, b" type=cdir; /pub\r\n");
    out.clear();
    let pdir = FileInfo::new("..", FileKind::ParentDir);
    format_mlsx_line(&pdir, FactSet::parse(b"type;"), &mut out).unwrap();
    assert_eq!(out, b"type=pdir; ..\r\n");
    // Symlinks: the target when a fact value can carry it.
    for (target, want) in [
        (
            &b"file1234.bin"[..],
            &b"type=OS.unix=slink:file1234.bin; l\r\n"[..],
        ),
        (b"has space", b"type=OS.unix=slink:; l\r\n"),
        (b"semi;colon", b"type=OS.unix=slink:; l\r\n"),
    ] {
        out.clear();
        let link = FileInfo::new("l", FileKind::Symlink).with_link_target(target);
        format_mlsx_line(&link, FactSet::parse(b"type;"), &mut out).unwrap();
        assert_eq!(out, want);
    }
}

#[test]
fn x3659_path_names_with_line_ends_are_refused() {
    // X3659-PATH: a file named `a\r\nb` never puts a raw CRLF inside an entry: the formatters
    // refuse it and write nothing.
    let bad = FileInfo::new("a\r\nb", FileKind::File);
    let mut out = b"kept".to_vec();
    assert_eq!(
        format_list_line(&bad, NOW, &mut out),
        Err(ListingError::UnsafeName)
    );
    assert_eq!(
        format_nlst_line(&bad, &mut out),
        Err(ListingError::UnsafeName)
    );
    assert_eq!(
        format_mlsx_line(&bad, FactSet::all(), &mut out),
        Err(ListingError::UnsafeName)
    );
    assert_eq!(
        format_mlst_line(&bad, FactSet::all(), &mut out),
        Err(ListingError::UnsafeName)
    );
    for name in ["a\rb", "a\nb", "\n"] {
        let bad = FileInfo::new(name, FileKind::File);
        assert_eq!(
            format_nlst_line(&bad, &mut out),
            Err(ListingError::UnsafeName)
        );
    }
    let bad_target = FileInfo::new("l", FileKind::Symlink).with_link_target("x\ny");
    assert_eq!(
        format_list_line(&bad_target, NOW, &mut out),
        Err(ListingError::UnsafeName)
    );
    assert_eq!(
        format_nlst_line(&FileInfo::new("", FileKind::File), &mut out),
        Err(ListingError::EmptyName)
    );
    assert_eq!(out, b"kept");
}

#[test]
fn format_bad_fields_are_refused() {
    let mut out = Vec::new();
    let info = FileInfo::new("f", FileKind::File).with_owner("a b");
    assert_eq!(
        format_list_line(&info, NOW, &mut out),
        Err(ListingError::BadField { field: "owner" })
    );
    assert_eq!(
        format_mlsx_line(&info, FactSet::all(), &mut out),
        Err(ListingError::BadField { field: "owner" })
    );
    // Not selected: not checked.
    format_mlsx_line(&info, FactSet::parse(b"type;"), &mut out).unwrap();
    out.clear();
    let info = FileInfo::new("f", FileKind::File).with_group("");
    assert_eq!(
        format_list_line(&info, NOW, &mut out),
        Err(ListingError::BadField { field: "group" })
    );
    let info = FileInfo::new("f", FileKind::File).with_unique("a;b");
    assert_eq!(
        format_mlsx_line(&info, FactSet::all(), &mut out),
        Err(ListingError::BadField { field: "unique" })
    );
    assert_eq!(out, b"");
}

// ---------------------------------------------------------------------------------------------
// Round trips: every formatter's output is accepted by its parser.

fn token() -> impl Strategy<Value = Vec<u8>> {
    // Owners that cannot be mistaken for a month name.
    "u[a-z0-9_]{0,10}".prop_map(String::into_bytes)
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no line end", |b| *b != b'\r' && *b != b'\n'),
        1..40,
    )
    // A name that is only blanks is not a listing line.
    .prop_filter("not blank", |n| n.iter().any(|&b| b != b' ' && b != b'\t'))
}

fn kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::File),
        Just(FileKind::Directory),
        Just(FileKind::Symlink),
        Just(FileKind::Other(b'c')),
        Just(FileKind::Other(b'p')),
    ]
}

prop_compose! {
    fn file_info()(
        name in name(),
        kind in kind(),
        size in any::<u64>(),
        secs in -30_610_224_000i64..253_402_300_799,
        mode in 0u32..0o10000,
        owner in token(),
        group in token(),
        links in any::<u64>(),
        target in proptest::option::of("[a-z./]{1,20}"),
    ) -> FileInfo {
        let mut info = FileInfo::new(name, kind)
            .with_size(size)
            .with_modified_unix(secs)
            .with_mode(mode)
            .with_owner(owner)
            .with_group(group)
            .with_links(links);
        if let (FileKind::Symlink, Some(t)) = (kind, target) {
            info = info.with_link_target(t);
        }
        info
    }
}

proptest! {
    #[test]
    fn list_round_trip(info in file_info(), now in 0i64..4_000_000_000) {
        let mut out = Vec::new();
        format_list_line(&info, now, &mut out).unwrap();
        prop_assert!(out.ends_with(b"\r\n"));
        prop_assert_eq!(memchr::memchr_iter(b'\n', &out).count(), 1);
        let e = parse_list_line(&out).unwrap();
        // A symlink name holding ` -> ` is split at the first arrow: compare the whole.
        match (info.kind, e.kind) {
            (FileKind::Symlink, EntryKind::Symlink { target: Some(t) }) => {
                let mut whole = e.name.to_vec();
                whole.extend_from_slice(b" -> ");
                whole.extend_from_slice(t);
                let mut want = info.name.clone();
                if let Some(target) = &info.link_target {
                    want.extend_from_slice(b" -> ");
                    want.extend_from_slice(target);
                }
                prop_assert_eq!(whole, want);
            }
            (FileKind::Symlink, EntryKind::Symlink { target: None }) => {
                prop_assert_eq!(e.name, &info.name[..]);
            }
            (FileKind::File, EntryKind::File) | (FileKind::Directory, EntryKind::Directory) => {
                prop_assert_eq!(e.name, &info.name[..]);
            }
            (FileKind::Other(c), EntryKind::Other(d)) => {
                prop_assert_eq!(c, d);
                prop_assert_eq!(e.name, &info.name[..]);
            }
            (a, b) => prop_assert!(false, "kind {:?} came back as {:?}", a, b),
        }
        prop_assert_eq!(e.size, Some(info.size));
        prop_assert_eq!(e.links, Some(info.links));
        prop_assert_eq!(e.owner, Some(&info.owner[..]));
        prop_assert_eq!(e.group, Some(&info.group[..]));
        prop_assert_eq!(e.mode(), Some(info.mode));
        let t = info.modified.unwrap();
        let m = e.modified.unwrap();
        prop_assert_eq!((m.month, m.day), (t.month, t.day));
        match (m.year, m.time) {
            (Some(y), None) => prop_assert_eq!(y, t.year),
            (None, Some(hm)) => {
                prop_assert_eq!(hm, (t.hour, t.minute));
                prop_assert_eq!(m.to_unix(now), Some(t.to_unix() - i64::from(t.second)));
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn mlsx_round_trip(info in file_info(), unique in proptest::option::of(token()), perm in "[acdeflmprw]{0,10}") {
        let mut info = info.with_perm(Perms::parse(perm.as_bytes()));
        if let Some(u) = unique {
            info = info.with_unique(u);
        }
        let mut out = Vec::new();
        format_mlsx_line(&info, FactSet::all(), &mut out).unwrap();
        let e = parse_mlsx_line(&out).unwrap();
        prop_assert_eq!(e.name, &info.name[..]);
        prop_assert_eq!(e.modify, info.modified);
        prop_assert_eq!(e.perm, info.perm);
        prop_assert_eq!(e.unique, info.unique.as_deref());
        prop_assert_eq!(e.unix_mode(), Some(info.mode));
        prop_assert_eq!(e.unix_owner(), Some(&info.owner[..]));
        prop_assert_eq!(e.unix_group(), Some(&info.group[..]));
        let size = if info.kind == FileKind::Directory { None } else { Some(info.size) };
        prop_assert_eq!(e.size, size);
        let kind_ok = match (info.kind, e.kind) {
            (FileKind::File, Some(EntryType::File)) | (FileKind::Directory, Some(EntryType::Dir)) => true,
            (FileKind::Symlink, Some(EntryType::Symlink { target })) => target == info.link_target.as_deref(),
            (FileKind::Other(_), Some(EntryType::Other(_))) => true,
            _ => false,
        };
        prop_assert!(kind_ok, "{:?} -> {:?}", info.kind, e.kind);
        // Re-encoding the parse gives the same facts in the same order.
        let mut facts = Vec::new();
        for f in e.facts() {
            facts.extend_from_slice(f.name);
            facts.push(b'=');
            facts.extend_from_slice(f.value);
            facts.push(b';');
        }
        prop_assert_eq!(&out[..facts.len()], &facts[..]);
    }

    #[test]
    fn decoder_chunking_does_not_matter(
        infos in proptest::collection::vec(file_info(), 0..12),
        cuts in proptest::collection::vec(1usize..50, 1..20),
        crlf in any::<bool>(),
    ) {
        for format in [ListingFormat::Mlsd, ListingFormat::List, ListingFormat::Nlst] {
            let mut data = Vec::new();
            for info in &infos {
                match format {
                    ListingFormat::Mlsd => format_mlsx_line(info, FactSet::SERVER_DEFAULT, &mut data),
                    ListingFormat::List => format_list_line(info, NOW, &mut data),
                    _ => format_nlst_line(info, &mut data),
                }
                .unwrap();
            }
            if !crlf {
                data.retain(|&b| b != b'\r');
            }
            let whole = decode(format, &data, 0);
            prop_assert_eq!(whole.len(), infos.len());
            prop_assert!(whole.iter().all(|e| !matches!(e, Owned::Error(_))), "{:?}", whole);
            // Arbitrary cuts.
            let mut d = ListingDecoder::new(format, 64 * 1024);
            let mut got = Vec::new();
            let mut rest = &data[..];
            for &c in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (a, b) = rest.split_at(c.min(rest.len()));
                d.push(a);
                got.extend(drain(&mut d));
                rest = b;
            }
            d.finish();
            got.extend(drain(&mut d));
            prop_assert_eq!(got, whole);
        }
    }

    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_list_line(&line);
        let _ = parse_mlsx_line(&line);
        let _ = parse_mlst_line(&line);
        let mut d = ListingDecoder::new(ListingFormat::List, 16);
        d.push(&line);
        d.finish();
        while let Some(e) = d.next_entry() {
            if let Err(e) = e {
                let expected = matches!(
                    e,
                    ListingError::LineTooLong { limit: 16 }
                        | ListingError::Unrecognized
                        | ListingError::NumberOverflow
                        | ListingError::EmptyName
                );
                prop_assert!(expected, "{:?}", e);
            }
        }
        prop_assert!(d.buffered() <= 17 + line.len());
    }
}
