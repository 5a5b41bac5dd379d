//! The types both adapters' `Storage` traits share: how an upload opens its file
//! ([`WriteMode`]), the answer to `SITE` ([`SiteReply`]), and the names `STOU` tries
//! ([`unique_names`]).

use ftps_proto::server::{Response, StoreMode};
use ftps_proto::session::StorageError;
use ftps_proto::ReplyCode;

/// How an upload opens its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteMode {
    /// Create or truncate, then write from `offset` (`offset > 0` after `REST`: keep the first
    /// `offset` bytes, drop the rest, write from there).
    Replace {
        /// Bytes of the existing file kept.
        offset: u64,
    },
    /// Create or append at the end.
    Append,
    /// Create a new file that must not exist yet (`STOU`).
    CreateNew,
}

impl WriteMode {
    /// The mode of a `Store` request that names its file (`STOR`, `APPE`; `None` for `STOU`,
    /// which names a directory).
    ///
    /// ```
    /// use ftps_proto::server::StoreMode;
    /// use ftps_proto_std::support::storage::WriteMode;
    /// assert_eq!(WriteMode::of_store(StoreMode::Replace, 7), Some(WriteMode::Replace { offset: 7 }));
    /// assert_eq!(WriteMode::of_store(StoreMode::Append, 7), Some(WriteMode::Append));
    /// assert_eq!(WriteMode::of_store(StoreMode::Unique, 0), None);
    /// ```
    pub fn of_store(mode: StoreMode, offset: u64) -> Option<WriteMode> {
        match mode {
            StoreMode::Replace => Some(WriteMode::Replace { offset }),
            StoreMode::Append => Some(WriteMode::Append),
            _ => None,
        }
    }

    /// Whether a failed upload in this mode leaves nothing worth keeping under the
    /// "delete partial uploads" policy: the file was created or replaced from offset 0.
    pub fn starts_afresh(self) -> bool {
        matches!(
            self,
            WriteMode::Replace { offset: 0 } | WriteMode::CreateNew
        )
    }
}

/// The answer to a `SITE` command (the `Storage::site` method of either adapter).
///
/// ```
/// use ftps_proto::ReplyCode;
/// use ftps_proto_std::support::storage::SiteReply;
/// let r = SiteReply::new(ReplyCode::C200, "UMASK set to 022");
/// assert_eq!(r.text, b"UMASK set to 022");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteReply {
    /// The reply code: 2yz, 4yz or 5yz.
    pub code: ReplyCode,
    /// The reply text; lines separated by `\n` make a multi-line reply.
    pub text: Vec<u8>,
}

impl SiteReply {
    /// A reply with `code` and `text`.
    pub fn new(code: ReplyCode, text: impl Into<Vec<u8>>) -> Self {
        SiteReply {
            code,
            text: text.into(),
        }
    }

    /// The core's response: the reply itself when its code is 2yz, 4yz or 5yz, otherwise a
    /// local storage error (`451`).
    ///
    /// ```
    /// use ftps_proto::ReplyCode;
    /// use ftps_proto::server::Response;
    /// use ftps_proto::session::StorageError;
    /// use ftps_proto_std::support::storage::SiteReply;
    /// let odd = SiteReply::new(ReplyCode::new(150).unwrap(), "no");
    /// assert_eq!(odd.into_response(), Response::Error(StorageError::Local));
    /// ```
    pub fn into_response(self) -> Response {
        if matches!(self.code.class(), 2 | 4 | 5) {
            Response::Site {
                code: self.code,
                text: self.text,
            }
        } else {
            tracing::warn!(code = self.code.get(), "SITE reply code refused");
            Response::Error(StorageError::Local)
        }
    }
}

/// How many names a storage's default `create_unique` tries before giving up.
pub const UNIQUE_NAME_ATTEMPTS: usize = 100;

/// Candidate `STOU` names: `stou.<unix seconds>.<n>`, `n` from a process-wide counter (single
/// path components, never the same twice in a process).
///
/// ```
/// let names: Vec<Vec<u8>> = ftps_proto_std::support::storage::unique_names().take(2).collect();
/// assert_ne!(names[0], names[1]);
/// assert!(names[0].starts_with(b"stou."));
/// ```
pub fn unique_names() -> impl Iterator<Item = Vec<u8>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    std::iter::repeat_with(move || {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("stou.{secs}.{n}").into_bytes()
    })
    .take(UNIQUE_NAME_ATTEMPTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::vpath::VirtualPath;

    // C959-STOU: candidate names are single, distinct path components, and bounded.
    #[test]
    fn c959_stou_unique_names_are_distinct_components() {
        let names: Vec<Vec<u8>> = unique_names().collect();
        assert_eq!(names.len(), UNIQUE_NAME_ATTEMPTS);
        assert_ne!(names[0], names[1]);
        assert_ne!(names[1], names[2]);
        for name in &names {
            assert!(name.starts_with(b"stou."));
            assert!(!name.contains(&b'/'));
            assert_eq!(VirtualPath::root().join(name).unwrap().depth(), 1);
        }
    }

    #[test]
    fn fresh_uploads_are_the_discardable_ones() {
        assert!(WriteMode::Replace { offset: 0 }.starts_afresh());
        assert!(WriteMode::CreateNew.starts_afresh());
        assert!(!WriteMode::Replace { offset: 1 }.starts_afresh());
        assert!(!WriteMode::Append.starts_afresh());
    }

    #[test]
    fn site_codes_outside_2_4_5_are_refused() {
        let ok = SiteReply::new(ReplyCode::C200, "fine");
        assert_eq!(
            ok.into_response(),
            Response::Site {
                code: ReplyCode::C200,
                text: b"fine".to_vec()
            }
        );
    }
}
