//! rustls configuration for FTPS: the crypto provider, PEM loading, server and client configs.
//!
//! # Data-channel session resumption
//!
//! FTPS servers such as vsftpd (`require_ssl_reuse=YES`) and ProFTPD refuse a data connection
//! whose TLS handshake does not resume the control connection's session. The pieces here make
//! both directions work:
//!
//! - [`ClientTls`] holds **one** rustls [`ClientConfig`] per control connection
//!   ([`ClientTls::for_connection`]), with a resumption store ([`FtpsSessionStore`]) shared by
//!   the control and every data connection of that session only, so each data handshake
//!   offers this control session (TLS 1.2 session id or ticket, TLS 1.3 PSK ticket), never
//!   another session's to the same server.
//! - [`ServerTls::session`] makes, for each control connection, private configs that share
//!   a ticketer that opens only this session's tickets ([`SessionTicketer`]: the server's one
//!   ticket key, with a number of this session sealed in every ticket) and a session-id cache
//!   of their own ([`SessionTls`]). A data handshake that
//!   reports [`HandshakeKind::Resumed`] under them can only have resumed a session issued on
//!   this control connection (or on an earlier data connection of it, which RFC 4217 §10.2 also
//!   allows). That is the whole check: [`SessionTls::resumed_this_session`].
//! - TLS 1.3 session tickets on data connections depend on the direction of the transfer
//!   ([`SessionTls::data_config_for`], the one place for this rule): a connection the server
//!   **receives** an upload on gets none ([`ServerTlsOptions::data_tickets`], default 0),
//!   because a ticket sent after the data handshake sits unread in a client that only writes,
//!   and when that client closes, the kernel resets the connection and the end of the file is
//!   lost. A connection the server **sends** on (download, listing) gets
//!   [`ServerTlsOptions::download_tickets`] (default 1): the client reads the whole stream, the
//!   ticket included, so each download gives back the ticket its handshake spent. The adapter
//!   learns the direction from the core's request naming the data connection, after reading the
//!   ClientHello and before answering it (a lazy acceptor).
//! - The control connection sends [`ServerTlsOptions::control_tickets`] tickets (default 64).
//!   rustls clients spend each TLS 1.3 ticket once; downloads replace theirs, uploads do not,
//!   so a rustls client can resume this many **uploads** per control session (any number of
//!   downloads). OpenSSL-based clients reuse one ticket, which the stateless ticket key
//!   accepts, so for them there is no limit. rustls offers no way to send more tickets on an
//!   established connection, hence a fixed number up front.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;

use super::certificate_pin::{CertificateMismatch, CertificatePin};
use super::server_name::ServerNameRecorder;
use super::session_cache::SessionCache;
use super::session_ticketer::SessionTicketer;
use rustls::{
    ClientConfig, DigitallySignedStruct, HandshakeKind, NamedGroup, RootCertStore, ServerConfig,
    SignatureScheme,
};

/// Why a TLS configuration could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
    /// The PEM input held no certificate.
    NoCertificate,
    /// The PEM input held no private key.
    NoPrivateKey,
    /// The PEM input was malformed.
    Pem(String),
    /// rustls refused the configuration (for example, a key that does not match the certificate).
    Rustls(rustls::Error),
    /// The certificate verifier could not be built (for example, an empty root store).
    Verifier(String),
    /// The demo certificate could not be generated.
    CertificateGeneration(String),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            TlsConfigError::NoCertificate => f.write_str("no certificate found in the PEM input"),
            TlsConfigError::NoPrivateKey => f.write_str("no private key found in the PEM input"),
            TlsConfigError::Pem(e) => write!(f, "malformed PEM: {e}"),
            TlsConfigError::Rustls(e) => write!(f, "TLS configuration refused: {e}"),
            TlsConfigError::Verifier(e) => write!(f, "certificate verifier: {e}"),
            TlsConfigError::CertificateGeneration(e) => {
                write!(f, "certificate generation failed: {e}")
            }
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::Io { error, .. } => Some(error),
            TlsConfigError::Rustls(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rustls::Error> for TlsConfigError {
    fn from(e: rustls::Error) -> Self {
        TlsConfigError::Rustls(e)
    }
}

/// The crypto provider this build uses: aws-lc-rs when the `aws-lc-rs` feature is on, otherwise
/// ring. Every config built here names it explicitly, so the process-wide default never matters.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        Arc::new(rustls::crypto::ring::default_provider())
    }
}

fn new_ticketer() -> Result<Arc<dyn rustls::server::ProducesTickets>, rustls::Error> {
    #[cfg(feature = "aws-lc-rs")]
    {
        rustls::crypto::aws_lc_rs::Ticketer::new()
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        rustls::crypto::ring::Ticketer::new()
    }
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|error| TlsConfigError::Io {
        path: path.to_owned(),
        error,
    })
}

/// Every certificate in a PEM buffer, in order (other PEM sections are skipped).
///
/// ```
/// use ftps_proto_std::support::tls::{certificates_from_pem, TlsConfigError};
/// assert!(matches!(certificates_from_pem(b"no pem here"), Err(TlsConfigError::NoCertificate)));
/// ```
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsConfigError::Pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate);
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM buffer.
pub fn private_key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(rustls::pki_types::pem::Error::NoItemsFound) => Err(TlsConfigError::NoPrivateKey),
        Err(e) => Err(TlsConfigError::Pem(e.to_string())),
    }
}

/// Whether the server asks FTP clients for a certificate.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum ClientCertPolicy {
    /// No client certificate is requested (the default).
    #[default]
    None,
    /// A certificate is requested; a client without one is accepted, one with a certificate
    /// not issued by these roots is refused.
    Optional(Vec<CertificateDer<'static>>),
    /// A certificate issued by these roots is required.
    Required(Vec<CertificateDer<'static>>),
}

/// Server TLS options beyond the certificate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerTlsOptions {
    /// Client certificate policy. Default [`ClientCertPolicy::None`].
    pub client_certs: ClientCertPolicy,
    /// TLS 1.3 session tickets sent on each control connection. Default
    /// [`ServerTlsOptions::DEFAULT_CONTROL_TICKETS`] (64). rustls clients use each ticket for
    /// one data connection, and only downloads give one back, so this is how many uploads a
    /// rustls client can resume in one control session; OpenSSL-based clients reuse one.
    pub control_tickets: usize,
    /// TLS 1.3 session tickets sent on each data connection the server receives on (uploads),
    /// and on one whose direction is not known. Default 0 (see the module docs: an unread
    /// ticket makes an upload's close reset the connection).
    pub data_tickets: usize,
    /// TLS 1.3 session tickets sent on each data connection the server sends on (downloads,
    /// listings). Default 1: the client reads it with the data, replacing the ticket the
    /// connection's handshake spent.
    pub download_tickets: usize,
}

impl ServerTlsOptions {
    /// The default number of TLS 1.3 tickets on each control connection.
    pub const DEFAULT_CONTROL_TICKETS: usize = 64;
}

impl Default for ServerTlsOptions {
    fn default() -> Self {
        ServerTlsOptions {
            client_certs: ClientCertPolicy::None,
            control_tickets: ServerTlsOptions::DEFAULT_CONTROL_TICKETS,
            data_tickets: 0,
            download_tickets: 1,
        }
    }
}

/// The server's TLS setup: certificate, key and policy. Cheap to clone.
///
/// Call [`ServerTls::session`] once per control connection.
///
/// ```
/// use ftps_proto_std::support::{cert::DemoCertificate, tls::{ServerTls, ServerTlsOptions}};
/// let demo = DemoCertificate::generate().unwrap();
/// let tls = ServerTls::from_pem(demo.cert_pem.as_bytes(), demo.key_pem.as_bytes(),
///     ServerTlsOptions::default()).unwrap();
/// let session = tls.session().unwrap();
/// assert_eq!(session.data_config().send_tls13_tickets, 0);
/// ```
#[derive(Clone)]
pub struct ServerTls {
    base: Arc<ServerConfig>,
    /// The server's ticket key; each session seals its own number in its tickets with it
    /// ([`SessionTicketer`]).
    ticket_key: Arc<dyn rustls::server::ProducesTickets>,
    options: ServerTlsOptions,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Builds the server setup from a certificate chain and its private key.
    pub fn new(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        options: ServerTlsOptions,
    ) -> Result<Self, TlsConfigError> {
        let provider = crypto_provider();
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)?;
        let builder = match &options.client_certs {
            ClientCertPolicy::None => builder.with_no_client_auth(),
            ClientCertPolicy::Optional(roots) | ClientCertPolicy::Required(roots) => {
                let mut store = RootCertStore::empty();
                for cert in roots {
                    store.add(cert.clone())?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
                let verifier = if matches!(options.client_certs, ClientCertPolicy::Optional(_)) {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| TlsConfigError::Verifier(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder.with_single_cert(certs, key)?;
        Ok(ServerTls {
            base: Arc::new(config),
            ticket_key: new_ticketer()?,
            options,
        })
    }

    /// Builds the server setup from PEM buffers (certificate chain, private key).
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        options: ServerTlsOptions,
    ) -> Result<Self, TlsConfigError> {
        ServerTls::new(
            certificates_from_pem(cert_pem)?,
            private_key_from_pem(key_pem)?,
            options,
        )
    }

    /// Builds the server setup from PEM files.
    pub fn from_pem_files(
        cert: &Path,
        key: &Path,
        options: ServerTlsOptions,
    ) -> Result<Self, TlsConfigError> {
        ServerTls::from_pem(&read_file(cert)?, &read_file(key)?, options)
    }

    /// The options in force.
    pub fn options(&self) -> &ServerTlsOptions {
        &self.options
    }

    /// The configs for one control connection and its data connections, whose tickets and
    /// session-id cache serve this control session only (see the module docs).
    pub fn session(&self) -> Result<SessionTls, TlsConfigError> {
        let mut control = (*self.base).clone();
        let server_name = Arc::new(ServerNameRecorder::new(control.cert_resolver.clone()));
        control.cert_resolver = server_name.clone();
        control.ticketer = Arc::new(SessionTicketer::new(self.ticket_key.clone()));
        control.session_storage = Arc::new(SessionCache::new(SESSION_CACHE_ENTRIES));
        control.send_tls13_tickets = self.options.control_tickets;
        Ok(SessionTls {
            control: Arc::new(control),
            server_name,
            client_certificate: Arc::default(),
            data: OnceLock::new(),
            download: OnceLock::new(),
            data_tickets: self.options.data_tickets,
            download_tickets: self.options.download_tickets,
        })
    }
}

/// TLS 1.2 sessions remembered per control session: its own handshake and a few data
/// handshakes' (a resumed handshake stores nothing new).
const SESSION_CACHE_ENTRIES: usize = 8;

/// The TLS configs of one server control session (see [`ServerTls::session`]). The data
/// connections' configs share the control config's ticket key and session cache; they are
/// made on the first data connection, so an idle session holds only the control config.
#[derive(Clone)]
pub struct SessionTls {
    control: Arc<ServerConfig>,
    /// The control config's certificate resolver, which records the SNI (H7151-SNI).
    server_name: Arc<ServerNameRecorder>,
    /// The client certificate of the control connection, if it presented one (T4217-CERT).
    client_certificate: Arc<CertificatePin>,
    data: OnceLock<Arc<ServerConfig>>,
    download: OnceLock<Arc<ServerConfig>>,
    data_tickets: usize,
    download_tickets: usize,
}

/// Which way a data connection's bytes flow, seen from the FTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataDirection {
    /// The server writes: `RETR`, `LIST`, `NLST`, `MLSD`.
    ServerSends,
    /// The server reads: `STOR`, `APPE`, `STOU`.
    ServerReceives,
}

impl DataDirection {
    /// The data connection a server request names, and its direction; `None` for requests
    /// without a data connection.
    ///
    /// ```
    /// use ftps_proto::server::Request;
    /// use ftps_proto_std::support::tls::DataDirection;
    /// let r = Request::Site { command: b"HELP".to_vec() };
    /// assert_eq!(DataDirection::of_request(&r), None);
    /// ```
    pub fn of_request(
        request: &ftps_proto::server::Request,
    ) -> Option<(ftps_proto::session::DataId, DataDirection)> {
        use ftps_proto::server::Request;
        match request {
            Request::Retrieve { data, .. } | Request::List { data, .. } => {
                Some((*data, DataDirection::ServerSends))
            }
            Request::Store { data, .. } => Some((*data, DataDirection::ServerReceives)),
            _ => None,
        }
    }
}

impl fmt::Debug for SessionTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTls").finish_non_exhaustive()
    }
}

impl SessionTls {
    /// The config for the control connection's handshake.
    pub fn control_config(&self) -> Arc<ServerConfig> {
        self.control.clone()
    }

    /// The config for a data connection whose direction is not known (no TLS 1.3 tickets by
    /// default); prefer [`SessionTls::data_config_for`].
    pub fn data_config(&self) -> Arc<ServerConfig> {
        self.data
            .get_or_init(|| self.derived(self.data_tickets))
            .clone()
    }

    /// The server name (SNI) the client sent in the control connection's last full TLS
    /// handshake, for the core's `ServerSession::set_tls_server_name` (H7151-SNI). `None`
    /// when it sent none; a resumed handshake keeps the name of the one it resumed (rustls
    /// resumes only under the same name).
    pub fn control_server_name(&self) -> Option<Box<str>> {
        self.server_name.server_name()
    }

    /// Records the client certificate chain the control connection's handshake presented
    /// (none: no client certificate). The servers call it after each control handshake.
    pub fn pin_client_certificate(&self, chain: Option<&[CertificateDer<'_>]>) {
        self.client_certificate.set(chain);
    }

    /// T4217-CERT (server side): when the control connection presented a client certificate,
    /// a data connection must present the same one (RFC 4217 §15.1.1); without one, any is
    /// taken (the client verifier still decides whether it is valid). A data handshake that
    /// resumes the control session carries its certificate, so this matters when data-session
    /// reuse is not required. The servers fail the data connection otherwise (`522`).
    ///
    /// ```
    /// use rustls::pki_types::CertificateDer;
    /// use ftps_proto_std::support::{cert::DemoCertificate, tls::*};
    /// let demo = DemoCertificate::generate().unwrap();
    /// let session = ServerTls::from_pem(demo.cert_pem.as_bytes(), demo.key_pem.as_bytes(),
    ///     ServerTlsOptions::default()).unwrap().session().unwrap();
    /// let (a, b) = ([CertificateDer::from(vec![1])], [CertificateDer::from(vec![2])]);
    /// session.pin_client_certificate(None);
    /// assert!(session.check_client_certificate(Some(&b)).is_ok());
    /// session.pin_client_certificate(Some(&a));
    /// assert!(session.check_client_certificate(Some(&a)).is_ok());
    /// assert!(session.check_client_certificate(Some(&b)).is_err());
    /// assert!(session.check_client_certificate(None).is_err());
    /// ```
    pub fn check_client_certificate(
        &self,
        chain: Option<&[CertificateDer<'_>]>,
    ) -> Result<(), CertificateMismatch> {
        match self.client_certificate.check(chain) {
            Err(CertificateMismatch::NoControlCertificate) => Ok(()),
            other => other,
        }
    }

    /// The control config with another number of TLS 1.3 tickets (same key and cache); data
    /// handshakes leave the control connection's recorded server name alone.
    fn derived(&self, tickets: usize) -> Arc<ServerConfig> {
        let mut config = (*self.control).clone();
        config.cert_resolver = self.server_name.inner().clone();
        config.send_tls13_tickets = tickets;
        Arc::new(config)
    }

    /// The config for a data connection's handshake, by the transfer's direction: uploads get
    /// [`ServerTlsOptions::data_tickets`] TLS 1.3 tickets (default 0), downloads and listings
    /// [`ServerTlsOptions::download_tickets`] (default 1). See the module docs for why.
    ///
    /// ```
    /// use ftps_proto_std::support::{cert::DemoCertificate, tls::*};
    /// let demo = DemoCertificate::generate().unwrap();
    /// let tls = ServerTls::from_pem(demo.cert_pem.as_bytes(), demo.key_pem.as_bytes(),
    ///     ServerTlsOptions::default()).unwrap();
    /// let session = tls.session().unwrap();
    /// assert_eq!(session.data_config_for(DataDirection::ServerReceives).send_tls13_tickets, 0);
    /// assert_eq!(session.data_config_for(DataDirection::ServerSends).send_tls13_tickets, 1);
    /// assert_eq!(session.control_config().send_tls13_tickets, 64);
    /// ```
    pub fn data_config_for(&self, direction: DataDirection) -> Arc<ServerConfig> {
        match direction {
            DataDirection::ServerSends => self
                .download
                .get_or_init(|| self.derived(self.download_tickets))
                .clone(),
            DataDirection::ServerReceives => self.data_config(),
        }
    }

    /// The config for a data connection whose direction may not be known yet: by direction
    /// ([`SessionTls::data_config_for`]) when it is, the ticketless
    /// [`SessionTls::data_config`] (safe for both directions) when the transfer command did
    /// not come in time. The one rule both adapters use.
    ///
    /// ```
    /// use ftps_proto_std::support::{cert::DemoCertificate, tls::*};
    /// let demo = DemoCertificate::generate().unwrap();
    /// let tls = ServerTls::from_pem(demo.cert_pem.as_bytes(), demo.key_pem.as_bytes(),
    ///     ServerTlsOptions::default()).unwrap();
    /// let session = tls.session().unwrap();
    /// assert_eq!(session.data_config_known(None).send_tls13_tickets, 0);
    /// assert_eq!(session.data_config_known(Some(DataDirection::ServerSends)).send_tls13_tickets, 1);
    /// ```
    pub fn data_config_known(&self, direction: Option<DataDirection>) -> Arc<ServerConfig> {
        match direction {
            Some(d) => self.data_config_for(d),
            None => self.data_config(),
        }
    }

    /// Whether a data connection's finished handshake resumed a session of this control
    /// session: `handshake_kind() == Some(HandshakeKind::Resumed)`. Sessions can only be
    /// resumed with the tickets and session-id cache private to this [`SessionTls`], so a
    /// resumed handshake is bound to this control connection.
    pub fn resumed_this_session(kind: Option<HandshakeKind>) -> bool {
        kind == Some(HandshakeKind::Resumed)
    }
}

/// How the client verifies the server's certificate.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum ServerVerification {
    /// The Mozilla roots shipped by `webpki-roots` (the default).
    #[default]
    WebPkiRoots,
    /// Only these roots (for example a `--cacert` PEM file, or a server's self-signed
    /// certificate).
    Roots(Vec<CertificateDer<'static>>),
    /// **Dangerous**: accept any certificate for any name. The handshake signatures are still
    /// checked, but anyone in the path can impersonate the server. For tests and `--insecure`.
    DangerousAcceptAnyCertificate,
}

/// The client's TLS setup: one rustls [`ClientConfig`] shared by the control connection and
/// every data connection, so data handshakes resume the control session. Cheap to clone (all
/// clones share the session store); the clients give each control connection a store of its
/// own with [`ClientTls::for_connection`], so one `ClientTls` may serve many sessions.
///
/// ```
/// use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
/// let tls = ClientTls::new(ServerVerification::WebPkiRoots, None).unwrap();
/// assert!(tls.server_name("localhost").is_ok());
/// ```
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    /// The control connection's certificate, for its data connections (T4217-CERT).
    pin: Arc<CertificatePin>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls").finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Builds the client setup, with an optional client certificate (chain, key).
    pub fn new(
        verification: ServerVerification,
        client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Result<Self, TlsConfigError> {
        let provider = crypto_provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)?;
        let builder = match verification {
            ServerVerification::WebPkiRoots => {
                let store = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                builder.with_root_certificates(store)
            }
            ServerVerification::Roots(roots) => {
                let mut store = RootCertStore::empty();
                for cert in roots {
                    store.add(cert)?;
                }
                builder.with_root_certificates(store)
            }
            ServerVerification::DangerousAcceptAnyCertificate => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCertificate {
                    provider,
                })),
        };
        let config = match client_cert {
            Some((certs, key)) => builder.with_client_auth_cert(certs, key)?,
            None => builder.with_no_client_auth(),
        };
        Ok(ClientTls::from_config(config))
    }

    /// A client setup from a caller's own rustls configuration (protocol versions, cipher
    /// suites, verifier, client certificate ...). Its resumption store is replaced by an
    /// [`FtpsSessionStore`], so data connections resume the control connection's session.
    ///
    /// ```
    /// use ftps_proto_std::support::tls::{crypto_provider, ClientTls};
    /// use rustls::{ClientConfig, RootCertStore};
    /// // TLS 1.2 only.
    /// let config = ClientConfig::builder_with_provider(crypto_provider())
    ///     .with_protocol_versions(&[&rustls::version::TLS12])
    ///     .unwrap()
    ///     .with_root_certificates(RootCertStore::empty())
    ///     .with_no_client_auth();
    /// let tls = ClientTls::from_config(config);
    /// assert!(tls.server_name("localhost").is_ok());
    /// ```
    pub fn from_config(mut config: ClientConfig) -> Self {
        config.resumption = rustls::client::Resumption::store(Arc::new(FtpsSessionStore::new()));
        ClientTls {
            config: Arc::new(config),
            pin: Arc::default(),
        }
    }

    /// Builds the client setup trusting the certificates of a PEM file (`--cacert`).
    pub fn with_ca_file(path: &Path) -> Result<Self, TlsConfigError> {
        let roots = certificates_from_pem(&read_file(path)?)?;
        ClientTls::new(ServerVerification::Roots(roots), None)
    }

    /// The shared config: use it for the control connection and every data connection.
    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// A copy of this setup with its own, empty resumption store, for one control connection
    /// and its data connections. The store is keyed by server name, so two control sessions
    /// to one server sharing a store would take each other's tickets, and a data connection
    /// would resume the wrong control session (refused with `522` by a server that requires
    /// resumption, T4217-REUSE). The client connect code calls this for every connection.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
    /// let shared = ClientTls::new(ServerVerification::WebPkiRoots, None).unwrap();
    /// let own = shared.for_connection();
    /// assert!(!Arc::ptr_eq(&shared.config(), &own.config()));
    /// ```
    pub fn for_connection(&self) -> ClientTls {
        ClientTls::from_config(ClientConfig::clone(&self.config))
    }

    /// Records the certificate chain the control connection's handshake presented; every data
    /// connection of this setup must then present the same end-entity certificate
    /// ([`ClientTls::check_data_certificate`]). The clients call it after each control
    /// handshake.
    pub fn pin_control_certificate(&self, chain: Option<&[CertificateDer<'_>]>) {
        self.pin.set(chain);
    }

    /// T4217-CERT: a data connection's certificate chain must start with the control
    /// connection's certificate (RFC 4217 §15.1.2), so data goes only to the server the
    /// control connection authenticated. The clients fail the transfer otherwise.
    ///
    /// ```
    /// use rustls::pki_types::CertificateDer;
    /// use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
    /// let tls = ClientTls::new(ServerVerification::WebPkiRoots, None).unwrap().for_connection();
    /// let control = [CertificateDer::from(vec![1, 2, 3])];
    /// tls.pin_control_certificate(Some(&control));
    /// assert!(tls.check_data_certificate(Some(&control)).is_ok());
    /// assert!(tls.check_data_certificate(Some(&[CertificateDer::from(vec![4])])).is_err());
    /// ```
    pub fn check_data_certificate(
        &self,
        chain: Option<&[CertificateDer<'_>]>,
    ) -> Result<(), CertificateMismatch> {
        self.pin.check(chain)
    }

    /// The name to verify and send as SNI for `host` (a DNS name or an IP address); the same
    /// name must be used on the data connections for them to resume the control session.
    pub fn server_name(&self, host: &str) -> Result<ServerName<'static>, TlsConfigError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(host.to_owned())
            .map_err(|e| TlsConfigError::Verifier(format!("invalid server name {host:?}: {e}")))
    }
}

/// The client resumption store: like rustls' in-memory cache, keyed by server name, but it keeps
/// up to [`FtpsSessionStore::TLS13_TICKETS_PER_SERVER`] TLS 1.3 tickets per server, because an
/// FTPS client spends one ticket per data connection.
#[derive(Debug)]
pub struct FtpsSessionStore {
    servers: Mutex<HashMap<ServerName<'static>, ServerSessions>>,
}

#[derive(Debug, Default)]
struct ServerSessions {
    kx_hint: Option<NamedGroup>,
    tls12: Option<Tls12ClientSessionValue>,
    tls13: VecDeque<Tls13ClientSessionValue>,
}

impl FtpsSessionStore {
    /// TLS 1.3 tickets kept per server name (oldest dropped first).
    pub const TLS13_TICKETS_PER_SERVER: usize = 64;
    /// Server names remembered (all are forgotten when a new one would exceed this).
    pub const MAX_SERVERS: usize = 64;

    /// An empty store.
    pub fn new() -> Self {
        FtpsSessionStore {
            servers: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, name: &ServerName<'_>, f: impl FnOnce(&mut ServerSessions) -> R) -> R {
        let mut servers = self
            .servers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = name.to_owned();
        if !servers.contains_key(&key) && servers.len() >= Self::MAX_SERVERS {
            servers.clear();
        }
        f(servers.entry(key).or_default())
    }
}

impl Default for FtpsSessionStore {
    fn default() -> Self {
        FtpsSessionStore::new()
    }
}

impl ClientSessionStore for FtpsSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.with(&server_name, |s| s.kx_hint = Some(group));
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.with(server_name, |s| s.kx_hint)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.with(&server_name, |s| s.tls12 = Some(value));
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.with(server_name, |s| s.tls12.clone())
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.with(server_name, |s| s.tls12 = None);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.with(&server_name, |s| {
            if s.tls13.len() >= Self::TLS13_TICKETS_PER_SERVER {
                s.tls13.pop_front();
            }
            s.tls13.push_back(value);
        });
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        // Newest first: the latest tickets are the least likely to have expired.
        self.with(server_name, |s| s.tls13.pop_back())
    }
}

/// The `--insecure` verifier: accepts any server certificate (signatures are still verified).
#[derive(Debug)]
struct AcceptAnyServerCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(options: ServerTlsOptions) -> SessionTls {
        let demo = crate::support::cert::DemoCertificate::generate().unwrap();
        ServerTls::from_pem(demo.cert_pem.as_bytes(), demo.key_pem.as_bytes(), options)
            .unwrap()
            .session()
            .unwrap()
    }

    // ADP-RESUME: tickets by direction; the defaults are the documented numbers.
    #[test]
    fn adp_resume_ticket_counts_by_direction() {
        let s = session(ServerTlsOptions::default());
        assert_eq!(s.control_config().send_tls13_tickets, 64);
        assert_eq!(
            s.data_config_for(DataDirection::ServerSends)
                .send_tls13_tickets,
            1
        );
        assert_eq!(
            s.data_config_for(DataDirection::ServerReceives)
                .send_tls13_tickets,
            0
        );
        assert_eq!(s.data_config().send_tls13_tickets, 0);

        let s = session(ServerTlsOptions {
            control_tickets: 5,
            download_tickets: 2,
            data_tickets: 0,
            ..ServerTlsOptions::default()
        });
        assert_eq!(s.control_config().send_tls13_tickets, 5);
        assert_eq!(
            s.data_config_for(DataDirection::ServerSends)
                .send_tls13_tickets,
            2
        );
    }

    // ADP-RESUME: every config of one control session shares its ticket key, so a data
    // connection resumes under any of them; two sessions have different keys.
    #[test]
    fn adp_resume_configs_share_the_session_ticketer() {
        let s = session(ServerTlsOptions::default());
        let sends = s.data_config_for(DataDirection::ServerSends);
        let receives = s.data_config_for(DataDirection::ServerReceives);
        assert!(Arc::ptr_eq(&s.control_config().ticketer, &sends.ticketer));
        assert!(Arc::ptr_eq(&sends.ticketer, &receives.ticketer));
        let other = session(ServerTlsOptions::default());
        assert!(!Arc::ptr_eq(
            &s.control_config().ticketer,
            &other.control_config().ticketer
        ));
    }
}
