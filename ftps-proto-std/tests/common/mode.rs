//! The server setups every adapter test shares (the tokio crate's tests and the hostile-peer
//! helpers include this file with `#[path]`): how the control connection is secured, the demo
//! user, and the server options built from them.

use std::time::Duration;

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::server_options::ServerOptions;
use ftps_proto_std::support::tls::{ServerTls, ServerTlsOptions};

/// How the server under test secures its control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Explicit,
    Implicit,
    Plain,
}

pub const USER: &str = "demo";
pub const PASSWORD: &str = "s3cret";

/// The server options of a test server in `mode`: TLS from `demo` with `tls_options` unless
/// plain (explicit FTPS requires TLS before login), data-session reuse as asked, and a 10 ms
/// failed-login delay.
pub fn server_options(
    mode: Mode,
    require_reuse: bool,
    tls_options: ServerTlsOptions,
    demo: &DemoCertificate,
) -> ServerOptions {
    let tls = (mode != Mode::Plain).then(|| {
        ServerTls::from_pem(
            demo.cert_pem.as_bytes(),
            demo.key_pem.as_bytes(),
            tls_options,
        )
        .expect("server tls")
    });
    let mut options = ServerOptions::new(tls);
    options.session.tls = match mode {
        Mode::Explicit => ftps_proto::server::ServerTls::Explicit {
            required_for_login: true,
        },
        Mode::Implicit => ftps_proto::server::ServerTls::Implicit,
        Mode::Plain => ftps_proto::server::ServerTls::None,
    };
    options.session.require_data_session_reuse = require_reuse;
    options.session.failed_login_delay = Duration::from_millis(10);
    options
}
