//! T4217-CERT: a client takes a data connection only from the server that holds the control
//! connection's certificate (RFC 4217 §15.1.2: the client SHOULD require the data connection's
//! certificate to be the control connection's).
//!
//! Verification against the host name (the rustls verifier) runs on every full handshake,
//! control and data alike; this is the extra check that the data connection ends at the same
//! server. A resumed data handshake carries the certificate its session was made with, so it
//! passes when the session came from this control connection.

use std::fmt;
use std::sync::Mutex;

use rustls::pki_types::CertificateDer;

/// The server certificate of one control connection, shared with its data connections.
///
/// ```
/// use rustls::pki_types::CertificateDer;
/// use ftps_proto_std::support::certificate_pin::{CertificateMismatch, CertificatePin};
/// let control = [CertificateDer::from(vec![1, 2, 3])];
/// let other = [CertificateDer::from(vec![9])];
/// let pin = CertificatePin::default();
/// // No data connection is taken before the control connection's handshake.
/// assert_eq!(pin.check(Some(&control)), Err(CertificateMismatch::NoControlCertificate));
/// pin.set(Some(&control));
/// assert_eq!(pin.check(Some(&control)), Ok(()));
/// assert_eq!(pin.check(Some(&other)), Err(CertificateMismatch::Different));
/// assert_eq!(pin.check(None), Err(CertificateMismatch::Different));
/// ```
#[derive(Debug, Default)]
pub struct CertificatePin {
    control: Mutex<Option<CertificateDer<'static>>>,
}

/// Why a data connection's certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateMismatch {
    /// The control connection has had no TLS handshake.
    NoControlCertificate,
    /// The data connection's end-entity certificate is not the control connection's (or it
    /// presented none).
    Different,
}

impl fmt::Display for CertificateMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateMismatch::NoControlCertificate => {
                "data connection TLS before the control connection's"
            }
            CertificateMismatch::Different => {
                "the data connection's certificate is not the control connection's"
            }
        })
    }
}

impl std::error::Error for CertificateMismatch {}

impl CertificatePin {
    /// Records the end-entity certificate of a control connection handshake (each new
    /// handshake, after `REIN` and `AUTH` again, replaces it).
    pub fn set(&self, chain: Option<&[CertificateDer<'_>]>) {
        let end_entity = chain
            .and_then(<[CertificateDer<'_>]>::first)
            .map(|c| c.clone().into_owned());
        *self.lock() = end_entity;
    }

    /// Checks a data connection's certificate chain against the control connection's.
    pub fn check(&self, chain: Option<&[CertificateDer<'_>]>) -> Result<(), CertificateMismatch> {
        let guard = self.lock();
        let Some(control) = guard.as_ref() else {
            return Err(CertificateMismatch::NoControlCertificate);
        };
        match chain.and_then(<[CertificateDer<'_>]>::first) {
            Some(data) if data.as_ref() == control.as_ref() => Ok(()),
            _ => Err(CertificateMismatch::Different),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CertificateDer<'static>>> {
        // A panic while holding the lock leaves a whole certificate or none: the value stays
        // meaningful, so a poisoned lock is used as it is.
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }
}
