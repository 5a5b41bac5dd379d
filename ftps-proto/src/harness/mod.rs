//! Fuzz entry points (feature `testing`).
//!
//! Each function takes arbitrary bytes, drives one part of the crate with them and **asserts
//! its invariants**: it panics when one is broken, which the fuzzer reports as a crash. The
//! fuzz targets in `fuzz/fuzz_targets/` are one call each, and the stable test
//! `tests/fuzz_corpus.rs` replays every corpus file through the same functions, listed in
//! [`TARGETS`].
//!
//! | target | what it checks |
//! | --- | --- |
//! | [`command_parse`] | framing over any chunking is the same, never holds more than a limit, agrees with [`parse_command`](crate::codec::parse_command); every parsed command re-encodes and re-parses to itself |
//! | [`reply_parse`] | [`Reply::parse`](crate::Reply::parse) and the client's framing + [`ReplyAssembler`](crate::codec::ReplyAssembler) agree, over any chunking; limits hold; re-encoding is stable |
//! | [`command_roundtrip`] | a command built from the bytes encodes, parses back to itself, or is refused for a stated reason |
//! | [`reply_roundtrip`] | any reply encodes to exactly one well-formed reply that parses back |
//! | [`reply_body`] | the reply-body parsers and time-vals on any text; writer -> parser round trips |
//! | [`listing_parse`] | listing line parsers on any line; [`ListingDecoder`](crate::listing::ListingDecoder) chunking and bounds |
//! | [`listing_roundtrip`] | formatter -> parser round trips for a [`FileInfo`](crate::listing::FileInfo) built from the bytes |
//! | [`path_jail`] | [`VirtualPath::resolve`](crate::vpath::VirtualPath::resolve) never leaves the root, is normalised and idempotent |
//! | [`ascii`] | `TYPE A` conversion round trip and chunking invariance |
//! | [`server_session`] | a server fed a script of client bytes and adapter events |
//! | [`client_session`] | a client fed a script of server bytes, adapter events and caller requests |
//! | [`pair_session`] | the in-memory client <-> server [`Pair`](crate::pair::Pair) driven by operations and faults |
//!
//! The session scripts are described in the `script` module docs of [`server_session`]: a
//! plain-text transcript is itself a valid script, and control bytes insert events.
//!
//! ```
//! // Every entry point accepts any input.
//! for (name, run) in ftps_proto::harness::TARGETS {
//!     run(b"USER anna\r\nPASS x\r\n");
//!     run(&[0xff; 40]);
//!     assert!(!name.is_empty());
//! }
//! ```

mod ascii;
mod checks;
mod client;
mod codec;
mod driver;
mod listing;
mod pair;
mod path;
mod reader;
mod script;
mod server;

use std::sync::OnceLock;

pub use self::ascii::ascii;
pub use self::client::client_session;
pub use self::codec::{command_parse, command_roundtrip, reply_body, reply_parse, reply_roundtrip};
pub use self::listing::{listing_parse, listing_roundtrip};
pub use self::pair::pair_session;
pub use self::path::path_jail;
pub use self::server::server_session;

/// A fuzz entry point: takes any bytes, panics when an invariant breaks.
pub type Entry = fn(&[u8]);

/// Every entry point by name: the name is the fuzz target's and its corpus directory's.
pub const TARGETS: &[(&str, Entry)] = &[
    ("command_parse", command_parse),
    ("reply_parse", reply_parse),
    ("command_roundtrip", command_roundtrip),
    ("reply_roundtrip", reply_roundtrip),
    ("reply_body", reply_body),
    ("listing_parse", listing_parse),
    ("listing_roundtrip", listing_roundtrip),
    ("path_jail", path_jail),
    ("ascii", ascii),
    ("server_session", server_session),
    ("client_session", client_session),
    ("pair_session", pair_session),
];

/// Whether `FTPS_HARNESS_TRACE` is set: the session harnesses then print every step and
/// output to stderr.
pub(crate) fn tracing() -> bool {
    std::env::var_os("FTPS_HARNESS_TRACE").is_some()
}

static MEMORY_PROBE: OnceLock<fn() -> usize> = OnceLock::new();

/// Installs a function returning the bytes the process has allocated (a counting global
/// allocator's total). With it, the session harnesses also assert that memory stays bounded
/// while a session runs, however much input it gets. Without it that check is skipped.
pub fn set_memory_probe(probe: fn() -> usize) {
    // A second call keeps the first probe, which is the same function in practice.
    let _ = MEMORY_PROBE.set(probe);
}

/// Checks that allocated memory grew by at most `limit` bytes since it was created.
#[derive(Debug)]
pub(crate) struct MemoryGuard {
    base: usize,
    limit: usize,
}

impl MemoryGuard {
    pub(crate) fn new(limit: usize) -> Self {
        MemoryGuard {
            base: MEMORY_PROBE.get().map_or(0, |probe| probe()),
            limit,
        }
    }

    pub(crate) fn check(&self, what: &str) {
        self.check_with(what, 0);
    }

    /// [`check`](Self::check) with `extra` bytes allowed on top of the bound: the data the
    /// caller itself made the code under test hold (files a test uploaded, say).
    pub(crate) fn check_with(&self, what: &str, extra: usize) {
        if let Some(probe) = MEMORY_PROBE.get() {
            let grown = probe().saturating_sub(self.base);
            let limit = self.limit.saturating_add(extra);
            assert!(
                grown <= limit,
                "{what}: memory grew by {grown} bytes, bound {limit}"
            );
        }
    }
}
