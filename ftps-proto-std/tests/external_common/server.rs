//! The server under test of the external-tool tests (curl, Python ftplib), which both
//! adapters run the same: each adapter's `tests/common` includes this module and implements
//! [`External`] for its server, and each case is written once in `external_common/*.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use super::Mode;

/// A test server driven from blocking code: started, used by external tools, stopped.
pub trait External: Sized {
    /// Starts a server on 127.0.0.1 with a temporary root, the demo certificate and user.
    fn start(mode: Mode, require_reuse: bool) -> Self;
    fn addr(&self) -> SocketAddr;
    /// The demo certificate's PEM file (the tools' CA file).
    fn cert(&self) -> &Path;
    /// The storage root (canonical).
    fn root(&self) -> &Path;
    /// The temporary directory holding the root (files next to it are outside the root).
    fn dir(&self) -> &Path;
    /// Runs an external tool, killed after `limit`, collecting its output.
    fn run(&self, cmd: Command, limit: Duration) -> Output;
    /// Shuts the server down and waits (bounded) for it to stop.
    fn stop(self);

    /// `scheme://localhost:port/path`.
    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://localhost:{}/{path}", self.addr().port())
    }
}

/// One `#[test] fn NAME` per listed case of `module`, each running
/// `module::NAME::<Server>()`: the test names stay those of the cases.
// Not every test binary that includes `common` expands it.
#[allow(unused_macros)]
macro_rules! external_tests {
    ($server:ty; $module:ident: $($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::$module::$name::<$server>();
        }
    )*};
}

#[allow(unused_imports)]
pub(crate) use external_tests;
