//! [`ClientConfig`]: how a [`ClientSession`](super::ClientSession) secures, sets up and times its
//! connection.

use std::net::IpAddr;
use std::time::Duration;

use crate::codec::ProtectionLevel;
use crate::Limits;

/// How the control connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientSecurity {
    /// Plain FTP: no TLS at all. Passwords travel in the clear.
    Plain,
    /// Explicit FTPS (RFC 4217): connect in plaintext, then `AUTH TLS` after the greeting.
    Explicit {
        /// What to do when the server refuses `AUTH TLS`.
        policy: TlsPolicy,
        /// Retry with `AUTH SSL` when `AUTH TLS` is refused (some legacy servers only know it).
        auth_ssl_fallback: bool,
    },
    /// Implicit FTPS (port 990): TLS starts before the greeting.
    Implicit,
}

impl ClientSecurity {
    /// Whether this mode can never end up on a plaintext control connection.
    pub fn tls_required(self) -> bool {
        matches!(
            self,
            ClientSecurity::Implicit
                | ClientSecurity::Explicit {
                    policy: TlsPolicy::Required,
                    ..
                }
        )
    }
}

/// What an explicit-FTPS client does when TLS cannot be negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// TLS or nothing: a refused `AUTH` ends the session (with `QUIT`), whatever `FEAT` said,
    /// and a refused `PROT P` fails every transfer rather than sending data in the clear.
    Required,
    /// Use TLS when the server accepts `AUTH`; otherwise continue in plaintext.
    Opportunistic,
}

/// How passive data connections are requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PassiveMode {
    /// `EPSV` first; `PASV` when the server answers `EPSV` with `500`/`502` (remembered for the
    /// rest of the session). Over IPv6 only `EPSV` is ever used.
    EpsvThenPasv,
    /// Only `PASV` (for servers that misbehave on `EPSV`). Refused over IPv6.
    PasvOnly,
    /// Send `EPSV ALL` once, then only `EPSV` (RFC 2428 §4: helps NATs; active mode is refused
    /// afterwards).
    EpsvAll,
}

/// The timers of a client session. Each one, when it runs out, is reported as
/// [`ClientError::Timeout`](super::ClientError::Timeout) with the matching [`TimerKind`](super::TimerKind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientTimeouts {
    /// From the start (or, for implicit FTPS, from the end of the TLS handshake) until the
    /// `220` greeting. Default 30 s.
    pub greeting: Duration,
    /// From sending a command until its (first) reply. Default 60 s.
    pub reply: Duration,
    /// From asking the adapter to connect or listen until the data connection is reported
    /// connected. Default 30 s.
    pub data_connect: Duration,
    /// How long one half of a transfer's completion (data end, final reply) may wait for the
    /// other; the adapter also uses it as the idle limit on the data stream. Default 60 s.
    pub data_stall: Duration,
    /// From `StartTls`/`StopTls` until the adapter reports the handshake's outcome. Default 30 s.
    pub tls_handshake: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        ClientTimeouts {
            greeting: Duration::from_secs(30),
            reply: Duration::from_secs(60),
            data_connect: Duration::from_secs(30),
            data_stall: Duration::from_secs(60),
            tls_handshake: Duration::from_secs(30),
        }
    }
}

/// Configuration of a [`ClientSession`](super::ClientSession).
///
/// The default is explicit FTPS with TLS required, `PROT P` before login, `EPSV` falling back
/// to `PASV`, passive mode, the `227` address ignored, no `HOST`, `OPTS UTF8 ON` when offered:
///
/// ```
/// use ftps_proto::client::{ClientConfig, ClientSecurity, TlsPolicy};
/// let config = ClientConfig::default();
/// assert_eq!(
///     config.security,
///     ClientSecurity::Explicit { policy: TlsPolicy::Required, auth_ssl_fallback: false }
/// );
/// assert!(!config.trust_pasv_address);
///
/// let mut plain = ClientConfig::default();
/// plain.security = ClientSecurity::Plain;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How the control connection is secured. Default: explicit, TLS required.
    pub security: ClientSecurity,
    /// The data protection asked for with `PROT` once TLS is up: `Private` (default) or
    /// `Clear`. `Safe`/`Confidential` are not usable with TLS and are refused when sent.
    /// Ignored on a plaintext control connection (data is then always clear).
    pub protection: ProtectionLevel,
    /// Send `PBSZ 0` + `PROT` during setup, before login (default `true`); when `false`, they
    /// follow a successful login (RFC 4217 §10.3: some servers want them after `PASS`).
    pub prot_before_login: bool,
    /// How passive data connections are requested. Default [`PassiveMode::EpsvThenPasv`].
    pub passive: PassiveMode,
    /// Use active mode (`EPRT`/`PORT`: the adapter listens, the server connects). Default
    /// `false`.
    pub active: bool,
    /// The address advertised in active mode (`EPRT`/`PORT`): the local address of the
    /// control connection. `None` (default): the adapter binds an unspecified address of the
    /// server's family and must report the concrete address in
    /// [`DataEvent::Listening`](crate::session::DataEvent::Listening).
    pub active_ip: Option<IpAddr>,
    /// Connect to the address a `227` reply names instead of the control peer's (RFC 2577;
    /// off by default: it allows redirection to internal hosts, CVE-2020-8284). An unroutable
    /// `0.0.0.0` is always replaced by the control peer's address.
    pub trust_pasv_address: bool,
    /// Send `HOST name` (RFC 7151) before login. Off by default: vsftpd and Pure-FTPd answer
    /// it with `530`. `500`/`502` replies are tolerated.
    pub host: Option<Vec<u8>>,
    /// Send `OPTS UTF8 ON` when `FEAT` lists `UTF8`. Default `true`; any reply is accepted.
    pub send_utf8: bool,
    /// The session's timers.
    pub timeouts: ClientTimeouts,
    /// Bounds on what the control-channel decoder buffers.
    pub limits: Limits,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            security: ClientSecurity::Explicit {
                policy: TlsPolicy::Required,
                auth_ssl_fallback: false,
            },
            protection: ProtectionLevel::Private,
            prot_before_login: true,
            passive: PassiveMode::EpsvThenPasv,
            active: false,
            active_ip: None,
            trust_pasv_address: false,
            host: None,
            send_utf8: true,
            timeouts: ClientTimeouts::default(),
            limits: Limits::default(),
        }
    }
}

impl ClientConfig {
    /// A plain-FTP configuration (no TLS); everything else default.
    pub fn plain() -> Self {
        ClientConfig {
            security: ClientSecurity::Plain,
            ..ClientConfig::default()
        }
    }

    /// An implicit-FTPS configuration; everything else default.
    pub fn implicit() -> Self {
        ClientConfig {
            security: ClientSecurity::Implicit,
            ..ClientConfig::default()
        }
    }
}
