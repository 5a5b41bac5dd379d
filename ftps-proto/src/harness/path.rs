//! The path jail target.

use crate::vpath::{PathError, VirtualPath};

use super::reader::Reader;

/// Asserts what every [`VirtualPath`] is: `/` or `/` + components, each non-empty, not `.`
/// or `..`, without `/` or NUL (ATK-TRAVERSAL).
fn assert_jailed(p: &VirtualPath, max_len: usize, max_depth: usize) {
    let bytes = p.as_bytes();
    assert_eq!(bytes.first(), Some(&b'/'), "{p:?} is not absolute");
    assert!(!bytes.contains(&0), "{p:?} holds NUL");
    assert!(
        bytes.len() <= max_len.max(1),
        "{p:?} is over {max_len} bytes"
    );
    assert!(p.depth() <= max_depth, "{p:?} is over {max_depth} deep");
    if p.is_root() {
        assert_eq!(bytes, b"/");
        return;
    }
    assert!(!bytes.ends_with(b"/"), "{p:?} ends with /");
    let raw: Vec<&[u8]> = bytes.split(|&b| b == b'/').skip(1).collect();
    for c in &raw {
        assert!(
            !matches!(*c, b"" | b"." | b".."),
            "{p:?} has component {c:?}"
        );
    }
    let components: Vec<&[u8]> = p.components().collect();
    assert_eq!(components, raw);
}

/// Path jail: [`VirtualPath::resolve`] from a current directory built from the input never
/// yields a path outside the root (always absolute, no `..`, `.` or empty component, no NUL),
/// is idempotent, respects its limits, stays below the current directory for a relative
/// argument without `..`, and agrees with `parent`, `file_name`, `join` and `starts_with`.
///
/// Input: a limits byte, a length-prefixed current directory, then the argument.
pub fn path_jail(data: &[u8]) {
    let mut r = Reader::new(data);
    let sel = r.u8();
    let (max_len, max_depth) = if sel & 0x80 == 0 {
        (
            crate::vpath::DEFAULT_MAX_LEN,
            crate::vpath::DEFAULT_MAX_DEPTH,
        )
    } else {
        (usize::from(sel & 0x3F), usize::from(sel >> 3 & 0x7))
    };
    let cwd_arg = r.short();
    let arg = r.rest();
    let cwd = VirtualPath::root()
        .resolve(cwd_arg)
        .unwrap_or_else(|_| VirtualPath::root());
    assert_jailed(
        &cwd,
        crate::vpath::DEFAULT_MAX_LEN,
        crate::vpath::DEFAULT_MAX_DEPTH,
    );

    let resolved = cwd.resolve_with_limits(arg, max_len, max_depth);
    let p = match resolved {
        Err(PathError::Nul) => {
            assert!(arg.contains(&0));
            return;
        }
        Err(PathError::TooLong { limit }) | Err(PathError::TooDeep { limit }) => {
            assert!(limit == max_len || limit == max_depth);
            return;
        }
        Err(e) => panic!("resolve gave {e:?}"),
        Ok(p) => p,
    };
    assert!(!arg.contains(&0));
    assert_jailed(&p, max_len, max_depth);
    // Idempotent, from anywhere.
    assert_eq!(
        cwd.resolve_with_limits(p.as_bytes(), max_len, max_depth),
        Ok(p.clone())
    );
    assert_eq!(VirtualPath::root().resolve(p.as_bytes()), Ok(p.clone()));
    // A relative argument without `..` stays below the current directory.
    let climbs = arg.split(|&b| b == b'/').any(|c| c == b"..");
    if arg.first() != Some(&b'/') && !climbs {
        assert!(p.starts_with(&cwd), "{p:?} left {cwd:?}");
    }
    assert!(p.starts_with(&VirtualPath::root()));
    match (p.parent(), p.file_name()) {
        (None, None) => assert!(p.is_root()),
        (Some(parent), Some(name)) => {
            assert_jailed(&parent, max_len, max_depth);
            assert!(p.starts_with(&parent));
            assert_eq!(parent.depth() + 1, p.depth());
            if p.as_bytes().len() <= crate::vpath::DEFAULT_MAX_LEN
                && p.depth() <= crate::vpath::DEFAULT_MAX_DEPTH
            {
                assert_eq!(parent.join(name), Ok(p.clone()));
            }
        }
        other => panic!("parent and file name disagree: {other:?}"),
    }
    for bad in [&b""[..], b".", b"..", b"a/b", b"a\0"] {
        assert_eq!(p.join(bad), Err(PathError::InvalidName));
    }
}
