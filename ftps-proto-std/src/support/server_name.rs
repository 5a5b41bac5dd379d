//! H7151-SNI at the server: which name the client asked for in a control connection's TLS
//! handshake. rustls' unbuffered server connections (the tokio server's control connections)
//! do not expose it, so it is read where rustls hands it out to every server: the certificate
//! resolver, which sees the ClientHello of each full handshake.

use std::sync::{Arc, Mutex};

use ftps_proto::server::ServerSession;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::tls::SessionTls;

/// Tells `session` the SNI of the control handshake that just ran under `tls` (`None`: plain
/// FTP), before the handshake's `TlsEvent` (H7151-SNI). Both servers call it.
pub fn report_server_name(tls: Option<&SessionTls>, session: &mut ServerSession) {
    let sni = tls.and_then(SessionTls::control_server_name);
    session.set_tls_server_name(sni.as_deref().map(str::as_bytes));
}

/// A certificate resolver that remembers the SNI of the last handshake it resolved for, and
/// otherwise leaves the choice to the resolver it wraps. One per control connection
/// ([`SessionTls`](super::tls::SessionTls)).
#[derive(Debug)]
pub struct ServerNameRecorder {
    inner: Arc<dyn ResolvesServerCert>,
    seen: Mutex<Option<Box<str>>>,
}

impl ServerNameRecorder {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ResolvesServerCert>) -> Self {
        ServerNameRecorder {
            inner,
            seen: Mutex::new(None),
        }
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &Arc<dyn ResolvesServerCert> {
        &self.inner
    }

    /// The SNI of the last full handshake resolved (`None`: none yet, or the client sent
    /// none).
    pub fn server_name(&self) -> Option<Box<str>> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<str>>> {
        // A panic while holding the lock leaves a whole name or none: a poisoned lock is used
        // as it is.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ResolvesServerCert for ServerNameRecorder {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        *self.lock() = client_hello.server_name().map(Box::from);
        self.inner.resolve(client_hello)
    }

    fn only_raw_public_keys(&self) -> bool {
        self.inner.only_raw_public_keys()
    }
}
