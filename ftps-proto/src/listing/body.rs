//! A whole listing's data-connection bytes ([`format_listing`]), with the one rule that
//! decides which entries a listing shows ([`hidden_in_listing`]).

use super::facts::FactSet;
use super::format::{format_list_line, format_mlsx_line, format_nlst_line, FileInfo};
use crate::server::ListFormat;

/// Whether a listing in `format` leaves `info` out: `LIST` hides dot files (names starting
/// with `.`) unless `-a` was given (`all`), as `ls` does; `NLST` and `MLSD` show every entry.
///
/// ```
/// use ftps_proto::listing::{hidden_in_listing, FileInfo, FileKind};
/// use ftps_proto::server::ListFormat;
/// let dot = FileInfo::new(".profile", FileKind::File);
/// assert!(hidden_in_listing(&dot, ListFormat::List, false));
/// assert!(!hidden_in_listing(&dot, ListFormat::List, true));
/// assert!(!hidden_in_listing(&dot, ListFormat::Mlsd, false));
/// ```
pub fn hidden_in_listing(info: &FileInfo, format: ListFormat, all: bool) -> bool {
    format == ListFormat::List && !all && info.name.first() == Some(&b'.')
}

/// Appends the data-connection bytes of a listing of `entries` in `format` to `out`: one line
/// per entry ([`format_list_line`] with `now_unix` choosing between time of day and year,
/// [`format_nlst_line`], or [`format_mlsx_line`] with `facts`), CRLF after each. Entries
/// [`hidden_in_listing`] are left out, and so are entries the formatters refuse (a name
/// holding CR or LF, X3659-PATH).
///
/// ```
/// use ftps_proto::listing::{format_listing, FactSet, FileInfo, FileKind};
/// use ftps_proto::server::ListFormat;
/// let entries = [FileInfo::new(".hidden", FileKind::File), FileInfo::new("a.txt", FileKind::File),
///     FileInfo::new("bad\r\nname", FileKind::File)];
/// let mut out = Vec::new();
/// format_listing(&entries, ListFormat::Nlst, FactSet::default(), false, 0, &mut out);
/// assert_eq!(out, b".hidden\r\na.txt\r\n");
/// ```
pub fn format_listing(
    entries: &[FileInfo],
    format: ListFormat,
    facts: FactSet,
    all: bool,
    now_unix: i64,
    out: &mut Vec<u8>,
) {
    for entry in entries {
        if hidden_in_listing(entry, format, all) {
            continue;
        }
        // A refused entry writes nothing: it is simply left out.
        let _ = match format {
            ListFormat::List => format_list_line(entry, now_unix, out),
            ListFormat::Nlst => format_nlst_line(entry, out),
            ListFormat::Mlsd => format_mlsx_line(entry, facts, out),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::FileKind;

    fn names(format: ListFormat, all: bool) -> Vec<u8> {
        let entries = [
            FileInfo::new(".", FileKind::CurrentDir),
            FileInfo::new(".git", FileKind::Directory),
            FileInfo::new("readme", FileKind::File).with_size(3),
        ];
        let mut out = Vec::new();
        format_listing(&entries, format, FactSet::default(), all, 0, &mut out);
        out
    }

    // C959-LIST: LIST hides dot files unless -a; NLST shows them.
    #[test]
    fn c959_list_hides_dot_files_unless_all() {
        let list = names(ListFormat::List, false);
        assert_eq!(list.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(list.ends_with(b" readme\r\n"));
        let all = names(ListFormat::List, true);
        assert_eq!(all.iter().filter(|&&b| b == b'\n').count(), 3);
        assert_eq!(names(ListFormat::Nlst, false), b".\r\n.git\r\nreadme\r\n");
    }

    // X3659-PATH: an entry whose name would split the line is left out, the rest stays.
    #[test]
    fn x3659_path_unsafe_names_are_left_out() {
        let entries = [
            FileInfo::new("a\nb", FileKind::File),
            FileInfo::new("ok", FileKind::File).with_size(1),
        ];
        let mut out = Vec::new();
        format_listing(
            &entries,
            ListFormat::Mlsd,
            FactSet::default(),
            false,
            0,
            &mut out,
        );
        assert!(out.ends_with(b" ok\r\n"));
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
