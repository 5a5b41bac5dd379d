//! [`ConnectOptions`]: how a client connects, shared by the blocking and async clients
//! (re-exported as `client::ConnectOptions` by both adapters).

use std::time::Duration;

use ftps_proto::client::ClientConfig;

use super::tls::{ClientTls, TlsConfigError};

/// How to connect.
///
/// ```
/// use ftps_proto_std::support::connect::ConnectOptions;
/// let options = ConnectOptions::plain_insecure();
/// assert!(options.tls.is_none());
/// assert_eq!(options.timeout, std::time::Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The session's protocol configuration (security mode, PROT level, passive/active ...).
    pub config: ClientConfig,
    /// TLS setup (certificate verification, client certificate, resumption store); required
    /// unless `config.security` is plain.
    pub tls: Option<ClientTls>,
    /// Name verified in the server's certificate and sent as SNI; default: the host given to
    /// `Client::connect`.
    pub server_name: Option<String>,
    /// Limit for the TCP connect, each control write (blocking client) and each wait on a
    /// data stream. Default [`ConnectOptions::DEFAULT_TIMEOUT`].
    pub timeout: Duration,
}

impl ConnectOptions {
    /// The default [`ConnectOptions::timeout`]: 30 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Explicit FTPS (`AUTH TLS`), TLS required, `PROT P`.
    pub fn explicit(tls: ClientTls) -> Self {
        ConnectOptions {
            config: ClientConfig::default(),
            tls: Some(tls),
            server_name: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Implicit FTPS (TLS from the first byte, usually port 990).
    pub fn implicit(tls: ClientTls) -> Self {
        ConnectOptions {
            config: ClientConfig::implicit(),
            ..ConnectOptions::explicit(tls)
        }
    }

    /// Plain FTP: **no encryption**, the password travels in the clear. Explicit opt-in only.
    pub fn plain_insecure() -> Self {
        ConnectOptions {
            config: ClientConfig::plain(),
            tls: None,
            server_name: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// The host name to connect to and to verify: `host` without IPv6 brackets.
    ///
    /// ```
    /// use ftps_proto_std::support::connect::ConnectOptions;
    /// assert_eq!(ConnectOptions::bare_host("[::1]"), "::1");
    /// assert_eq!(ConnectOptions::bare_host("localhost"), "localhost");
    /// ```
    pub fn bare_host(host: &str) -> &str {
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The name verified in the certificate for `host` and sent as SNI:
    /// [`ConnectOptions::server_name`] when set, else the `HOST` name of the configuration
    /// (H7151-SNI: the certificate is checked against the virtual host asked for), else the
    /// bare host.
    ///
    /// ```
    /// use ftps_proto_std::support::connect::ConnectOptions;
    /// use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
    /// let tls = ClientTls::new(ServerVerification::WebPkiRoots, None).unwrap();
    /// let mut options = ConnectOptions::explicit(tls);
    /// assert_eq!(options.verified_name("[::1]"), "::1");
    /// options.config.host = Some(b"ftp.example.com".to_vec());
    /// assert_eq!(options.verified_name("192.0.2.1"), "ftp.example.com");
    /// // A TLS server name that is not the HOST name is refused before connecting.
    /// options.server_name = Some("other.example".into());
    /// let ip = "127.0.0.1".parse().unwrap();
    /// assert!(options.into_parts("other.example", ip).is_err());
    /// ```
    pub fn verified_name(&self, host: &str) -> String {
        let host_command = self
            .config
            .host
            .as_deref()
            .and_then(|h| std::str::from_utf8(h).ok());
        self.server_name
            .clone()
            .or_else(|| host_command.map(str::to_owned))
            .unwrap_or_else(|| Self::bare_host(host).to_owned())
    }
}

/// What a client driver takes from [`ConnectOptions`] once the control connection is open
/// ([`ConnectOptions::into_parts`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientParts {
    /// The session configuration, with the active-mode address filled in.
    pub config: ClientConfig,
    /// The TLS setup and the server name checked on every connection; `None` in plain FTP.
    pub tls: Option<(ClientTls, rustls::pki_types::ServerName<'static>)>,
    /// [`ConnectOptions::timeout`].
    pub timeout: Duration,
}

impl ConnectOptions {
    /// Checks the options for a control connection to server `name` whose local address is
    /// `local_ip`: TLS must be configured when the security mode requires it, `name` must be
    /// a valid server name, and active mode listens on (and advertises) `local_ip` unless
    /// `config.active_ip` names another address.
    ///
    /// ```
    /// use ftps_proto_std::support::connect::ConnectOptions;
    /// use ftps_proto_std::support::client_error::Error;
    /// let ip = "127.0.0.1".parse().unwrap();
    /// let parts = ConnectOptions::plain_insecure().into_parts("localhost", ip).unwrap();
    /// assert_eq!(parts.config.active_ip, Some(ip));
    /// let mut needs_tls = ConnectOptions::plain_insecure();
    /// needs_tls.config = ftps_proto::client::ClientConfig::default();
    /// assert!(matches!(needs_tls.into_parts("localhost", ip), Err(Error::TlsNotConfigured)));
    /// ```
    pub fn into_parts(
        self,
        name: &str,
        local_ip: std::net::IpAddr,
    ) -> Result<ClientParts, super::client_error::Error> {
        let tls = match self.tls {
            Some(tls) => {
                let server_name = tls.server_name(name)?;
                // H7151-SNI: the server refuses a HOST other than the SNI after TLS.
                if let Some(host) = &self.config.host {
                    if !host.eq_ignore_ascii_case(name.as_bytes()) {
                        return Err(TlsConfigError::Verifier(format!(
                            "the HOST name {:?} is not the TLS server name {name:?}",
                            String::from_utf8_lossy(host)
                        ))
                        .into());
                    }
                }
                // T4217-REUSE: a resumption store of this connection's own, so clones of
                // one `ClientTls` used by several sessions never swap tickets.
                Some((tls.for_connection(), server_name))
            }
            None if self.config.security.tls_required() => {
                return Err(super::client_error::Error::TlsNotConfigured)
            }
            None => None,
        };
        let mut config = self.config;
        config.active_ip.get_or_insert(local_ip);
        Ok(ClientParts {
            config,
            tls,
            timeout: self.timeout,
        })
    }
}
