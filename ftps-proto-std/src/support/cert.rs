//! The self-signed demo certificate for `localhost`, `127.0.0.1` and `::1` (rcgen).

use std::path::Path;

use super::tls::TlsConfigError;

/// A freshly generated self-signed certificate and its private key, both PEM.
///
/// It is meant for demos and tests: clients trust it by loading [`DemoCertificate::cert_pem`]
/// (for example `curl --cacert ftps-demo-cert.pem`).
///
/// ```
/// use ftps_proto_std::support::cert::DemoCertificate;
/// let demo = DemoCertificate::generate().unwrap();
/// assert!(demo.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(demo.key_pem.contains("PRIVATE KEY-----"));
/// ```
#[derive(Clone)]
pub struct DemoCertificate {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key (PKCS#8), PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for DemoCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoCertificate")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"***")
            .finish()
    }
}

impl DemoCertificate {
    /// The names the certificate is valid for.
    pub const NAMES: [&'static str; 3] = ["localhost", "127.0.0.1", "::1"];

    /// Generates a new key pair and a self-signed certificate for [`DemoCertificate::NAMES`].
    pub fn generate() -> Result<Self, TlsConfigError> {
        let names: Vec<String> = Self::NAMES.iter().map(|n| n.to_string()).collect();
        let generated = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsConfigError::CertificateGeneration(e.to_string()))?;
        Ok(DemoCertificate {
            cert_pem: generated.cert.pem(),
            key_pem: generated.signing_key.serialize_pem(),
        })
    }

    /// Writes the certificate (not the key) to `path`, for clients to trust.
    pub fn write_cert(&self, path: &Path) -> Result<(), TlsConfigError> {
        std::fs::write(path, self.cert_pem.as_bytes()).map_err(|error| TlsConfigError::Io {
            path: path.to_owned(),
            error,
        })
    }
}
