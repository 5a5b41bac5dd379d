//! Virtual path resolver tests: ATK-TRAVERSAL and X3659-TVFS of CONFORMANCE.md.

use ftps_proto::vpath::{PathError, VirtualPath, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LEN};
use proptest::prelude::*;

fn at(path: &[u8]) -> VirtualPath {
    VirtualPath::root().resolve(path).unwrap()
}

fn resolved(cwd: &[u8], arg: &[u8]) -> Result<Vec<u8>, PathError> {
    at(cwd).resolve(arg).map(VirtualPath::into_bytes)
}

// ATK-TRAVERSAL: `..` never leaves the root, whatever the current directory.
#[test]
fn atk_traversal_dotdot_is_clamped() {
    assert_eq!(
        resolved(b"/", b"../../etc/passwd"),
        Ok(b"/etc/passwd".to_vec())
    );
    assert_eq!(
        resolved(b"/home/u", b"../../../../etc/passwd"),
        Ok(b"/etc/passwd".to_vec())
    );
    assert_eq!(resolved(b"/a", b"/.."), Ok(b"/".to_vec()));
    assert_eq!(
        resolved(b"/a", b"/../etc/passwd"),
        Ok(b"/etc/passwd".to_vec())
    );
    assert_eq!(resolved(b"/", b"a/../../b"), Ok(b"/b".to_vec()));
    assert_eq!(resolved(b"/x/y", b"a/../../b"), Ok(b"/x/b".to_vec()));
    assert_eq!(resolved(b"/", b".."), Ok(b"/".to_vec()));
    assert_eq!(resolved(b"/", b"../x"), Ok(b"/x".to_vec()));
    assert_eq!(resolved(b"/", b"./../.././"), Ok(b"/".to_vec()));
    // `...` and names that only start with dots are ordinary names.
    assert_eq!(resolved(b"/", b"..."), Ok(b"/...".to_vec()));
    assert_eq!(resolved(b"/", b"..a/.b"), Ok(b"/..a/.b".to_vec()));
}

#[test]
fn atk_traversal_nul_refused() {
    assert_eq!(resolved(b"/", b"\0"), Err(PathError::Nul));
    assert_eq!(resolved(b"/", b"file.txt\0.jpg"), Err(PathError::Nul));
    assert_eq!(resolved(b"/", b"../\0"), Err(PathError::Nul));
    assert_eq!(at(b"/a").join(b"x\0"), Err(PathError::InvalidName));
}

#[test]
fn atk_traversal_long_and_deep_refused() {
    let long = vec![b'a'; DEFAULT_MAX_LEN + 1];
    assert_eq!(
        resolved(b"/", &long),
        Err(PathError::TooLong {
            limit: DEFAULT_MAX_LEN
        })
    );
    // A name of exactly the limit minus the leading `/` fits.
    let fits = vec![b'a'; DEFAULT_MAX_LEN - 1];
    assert_eq!(resolved(b"/", &fits).map(|p| p.len()), Ok(DEFAULT_MAX_LEN));
    // The argument fits but the result (cwd + argument) does not.
    let half = vec![b'b'; DEFAULT_MAX_LEN / 2 + 10];
    let cwd = at(&half);
    assert_eq!(
        cwd.resolve(&half),
        Err(PathError::TooLong {
            limit: DEFAULT_MAX_LEN
        })
    );
    // 1 MiB argument: refused before any work.
    assert_eq!(
        resolved(b"/", &vec![b'/'; 1 << 20]),
        Err(PathError::TooLong {
            limit: DEFAULT_MAX_LEN
        })
    );
    // Depth.
    let deep = b"a/".repeat(DEFAULT_MAX_DEPTH + 1);
    assert_eq!(
        resolved(b"/", &deep),
        Err(PathError::TooDeep {
            limit: DEFAULT_MAX_DEPTH
        })
    );
    let ok = b"a/".repeat(DEFAULT_MAX_DEPTH);
    assert_eq!(at(&ok).depth(), DEFAULT_MAX_DEPTH);
    // Custom limits.
    assert_eq!(
        VirtualPath::root().resolve_with_limits(b"abc/def", 6, 10),
        Err(PathError::TooLong { limit: 6 })
    );
    assert_eq!(
        VirtualPath::root().resolve_with_limits(b"a/b/c", 100, 2),
        Err(PathError::TooDeep { limit: 2 })
    );
    // `..` can bring a long argument back under the depth limit.
    assert_eq!(
        VirtualPath::root()
            .resolve_with_limits(b"a/b/c/../..", 100, 1)
            .unwrap()
            .as_bytes(),
        b"/a"
    );
}

// X3659-TVFS: `/` separators, `/` alone is the root, relative and absolute name the same file.
#[test]
fn x3659_tvfs_relative_and_absolute_agree() {
    let cwd = at(b"/A");
    assert_eq!(cwd.resolve(b"C/P"), cwd.resolve(b"/A/C/P"));
    assert_eq!(cwd.resolve(b"C/P").unwrap().as_bytes(), b"/A/C/P");
    assert_eq!(at(b"/B").resolve(b"/B/../..").unwrap(), VirtualPath::root());
    assert_eq!(VirtualPath::root().as_bytes(), b"/");
    assert!(VirtualPath::root().is_root());
    // Repeated and trailing `/` collapse; empty argument is the cwd.
    assert_eq!(resolved(b"/", b"//a///b//"), Ok(b"/a/b".to_vec()));
    assert_eq!(resolved(b"/x", b""), Ok(b"/x".to_vec()));
    assert_eq!(resolved(b"/x", b"/"), Ok(b"/".to_vec()));
    // Nothing else is special: no `~`, no wildcards, `\` is a name byte.
    assert_eq!(resolved(b"/", b"~/*"), Ok(b"/~/*".to_vec()));
    assert_eq!(resolved(b"/", b"..\\..\\x"), Ok(b"/..\\..\\x".to_vec()));
    // Spaces, quotes and non-UTF-8 bytes are kept.
    assert_eq!(
        resolved(b"/", b" my \"q\" \xff "),
        Ok(b"/ my \"q\" \xff ".to_vec())
    );
}

#[test]
fn parent_join_file_name_components() {
    let p = at(b"/a/b/c");
    assert_eq!(p.parent(), Some(at(b"/a/b")));
    assert_eq!(at(b"/a").parent(), Some(VirtualPath::root()));
    assert_eq!(VirtualPath::root().parent(), None);
    assert_eq!(p.file_name(), Some(&b"c"[..]));
    assert_eq!(VirtualPath::root().file_name(), None);
    assert_eq!(p.components().collect::<Vec<_>>(), [&b"a"[..], b"b", b"c"]);
    assert_eq!(VirtualPath::root().components().count(), 0);
    assert_eq!(p.join(b"d e").unwrap().as_bytes(), b"/a/b/c/d e");
    for bad in [&b""[..], b".", b"..", b"x/y", b"/"] {
        assert_eq!(p.join(bad), Err(PathError::InvalidName), "{bad:?}");
    }
    assert!(p.starts_with(&at(b"/a")) && p.starts_with(&VirtualPath::root()) && p.starts_with(&p));
    assert!(!at(b"/ab").starts_with(&at(b"/a")));
    assert!(!at(b"/a").starts_with(&p));
    assert_eq!(p.to_string(), "/a/b/c");
    assert_eq!(p.to_str(), Some("/a/b/c"));
    assert_eq!(format!("{:?}", p), "VirtualPath(\"/a/b/c\")");
    assert_eq!(VirtualPath::default(), VirtualPath::root());
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    // Arguments built from the interesting pieces plus arbitrary bytes.
    proptest::collection::vec(
        prop_oneof![
            Just(b"..".to_vec()),
            Just(b".".to_vec()),
            Just(b"/".to_vec()),
            Just(b"//".to_vec()),
            Just(b"a".to_vec()),
            Just(b"...".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ],
        0..20,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    // ATK-TRAVERSAL: a resolved path never has `..`, `.` or empty components and always
    // starts with `/`; resolving is idempotent.
    #[test]
    fn atk_traversal_resolved_paths_are_normal(cwd in arg(), a in arg()) {
        let Ok(cwd) = VirtualPath::root().resolve(&cwd) else { return Ok(()) };
        match cwd.resolve(&a) {
            Ok(p) => {
                let bytes = p.as_bytes();
                prop_assert_eq!(bytes.first(), Some(&b'/'));
                prop_assert!(bytes.len() == 1 || !bytes.ends_with(b"/"));
                prop_assert!(!bytes.contains(&0));
                prop_assert!(!bytes.windows(2).any(|w| w == b"//"));
                for c in p.components() {
                    prop_assert!(!c.is_empty() && c != b"." && c != b".." && !c.contains(&b'/'));
                }
                prop_assert_eq!(VirtualPath::root().resolve(bytes), Ok(p.clone()));
                prop_assert_eq!(cwd.resolve(bytes), Ok(p.clone()));
                prop_assert!(bytes.len() <= DEFAULT_MAX_LEN);
            }
            Err(PathError::Nul) => prop_assert!(a.contains(&0)),
            Err(e) => {
                let bounded = matches!(e, PathError::TooLong { .. } | PathError::TooDeep { .. });
                prop_assert!(bounded, "{:?}", e);
            }
        }
    }

    #[test]
    fn parent_then_join_is_identity(p in arg()) {
        let Ok(p) = VirtualPath::root().resolve(&p) else { return Ok(()) };
        if let (Some(parent), Some(name)) = (p.parent(), p.file_name()) {
            prop_assert_eq!(parent.join(name), Ok(p.clone()));
        }
    }
}
