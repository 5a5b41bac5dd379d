//! [`ServerOptions`] and [`PartialUploads`]: the server configuration both adapters take.

use std::time::Duration;

use ftps_proto::vpath::VirtualPath;

use super::storage::WriteMode;
use super::tls::{ServerTls, SessionTls, TlsConfigError};

/// What happens to the file of an upload that failed (connection broken, truncated without
/// TLS close_notify, aborted, storage error).
///
/// A failed upload is never answered `226`, whatever the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PartialUploads {
    /// Keep what arrived (the default), so the client can resume with `REST` + `STOR`.
    #[default]
    Keep,
    /// Delete the file, when the upload created or replaced it from offset 0 (`STOR` without
    /// `REST`, and `STOU`), also when the transfer is aborted (`ABOR`) or the session ends
    /// mid-upload. Appends and resumed uploads keep the bytes that were there before and after.
    Delete,
}

impl PartialUploads {
    /// The file to delete if an upload to `path` opened with `mode` fails: `Some(path)` under
    /// [`PartialUploads::Delete`] when the upload starts the file afresh.
    ///
    /// ```
    /// use ftps_proto::vpath::VirtualPath;
    /// use ftps_proto_std::support::server_options::PartialUploads;
    /// use ftps_proto_std::support::storage::WriteMode;
    /// let p = VirtualPath::root().join(b"f").unwrap();
    /// assert_eq!(PartialUploads::Delete.discard(&p, WriteMode::Replace { offset: 0 }), Some(p.clone()));
    /// assert_eq!(PartialUploads::Delete.discard(&p, WriteMode::Append), None);
    /// assert_eq!(PartialUploads::Keep.discard(&p, WriteMode::CreateNew), None);
    /// ```
    pub fn discard(self, path: &VirtualPath, mode: WriteMode) -> Option<VirtualPath> {
        (self == PartialUploads::Delete && mode.starts_afresh()).then(|| path.clone())
    }
}

/// Server configuration.
///
/// ```
/// use ftps_proto_std::support::server_options::{PartialUploads, ServerOptions};
/// let options = ServerOptions::new(None);
/// assert_eq!(options.session.tls, ftps_proto::server::ServerTls::None);
/// assert_eq!((options.partial_uploads, options.max_sessions), (PartialUploads::Keep, 256));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The protocol policy and timers of every session (from the core).
    pub session: ftps_proto::server::ServerConfig,
    /// Certificate and TLS policy; `None` serves plain FTP only (set `session.tls` to
    /// [`ServerTls::None`](ftps_proto::server::ServerTls::None) to match).
    pub tls: Option<ServerTls>,
    /// Partial-upload policy. Default [`PartialUploads::Keep`].
    pub partial_uploads: PartialUploads,
    /// Most sessions at once; further connections are closed at once. Default 256.
    pub max_sessions: usize,
    /// How long `Server::serve` waits for sessions to end after a shutdown. Default 10 s.
    pub shutdown_grace: Duration,
}

impl ServerOptions {
    /// The defaults: explicit FTPS with TLS required for login when `tls` is given, plain FTP
    /// otherwise; the core's defaults for everything else.
    pub fn new(tls: Option<ServerTls>) -> Self {
        let mut session = ftps_proto::server::ServerConfig::default();
        session.tls = match tls {
            Some(_) => ftps_proto::server::ServerTls::Explicit {
                required_for_login: true,
            },
            None => ftps_proto::server::ServerTls::None,
        };
        ServerOptions {
            session,
            tls,
            partial_uploads: PartialUploads::Keep,
            max_sessions: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }

    /// The TLS configs of one new control session ([`ServerTls::session`]); `None` when
    /// serving plain FTP.
    pub fn session_tls(&self) -> Result<Option<SessionTls>, TlsConfigError> {
        self.tls.as_ref().map(ServerTls::session).transpose()
    }
}
