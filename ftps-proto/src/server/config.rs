//! [`ServerConfig`]: every policy and timer of a server session, with documented defaults.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::Limits;

/// How the server offers TLS on the control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerTls {
    /// No TLS: `AUTH` is answered `502`, `PBSZ`/`PROT`/`CCC` too.
    None,
    /// Explicit FTPS (RFC 4217): the session starts in cleartext and `AUTH TLS` upgrades it.
    Explicit {
        /// Refuse `USER`/`PASS` (`530`) until the control connection is TLS.
        required_for_login: bool,
    },
    /// Implicit FTPS (port 990): the first output is `StartTls`, the greeting comes after the
    /// handshake, and `PBSZ 0` + `PROT P` are in force from the start.
    Implicit,
}

/// Active mode (`PORT`/`EPRT`) policy (RFC 2577 §2, §3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActiveConfig {
    /// `PORT`/`EPRT` are accepted at all. Default `true`.
    pub enabled: bool,
    /// Only the control connection's peer address may be the target (FTP bounce defence).
    /// Default `true`; `false` allows FXP (server-to-server) transfers, under `PROT C` only:
    /// a third-party transfer cannot be protected (S2228-3P), so under `PROT P` a target other
    /// than the peer is refused with `534`.
    pub require_peer_ip: bool,
    /// Lowest target port accepted; lower ones are answered `504`. Default `1024`.
    pub min_port: u16,
}

impl Default for ActiveConfig {
    fn default() -> Self {
        ActiveConfig {
            enabled: true,
            require_peer_ip: true,
            min_port: 1024,
        }
    }
}

/// Passive mode (`PASV`/`EPSV`) settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PassiveConfig {
    /// Address advertised in `227` replies instead of the control connection's local address
    /// (a server behind NAT). Default `None`.
    pub masquerade: Option<Ipv4Addr>,
    /// Ports the adapter picks passive listeners from (at random). Default `None`: any port.
    pub ports: Option<RangeInclusive<u16>>,
}

/// Which optional commands the server offers; `FEAT` is generated from this set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// `MLST` and `MLSD` (RFC 3659 §7). Default `true`.
    pub mlst: bool,
    /// `MFMT` (set a file's modification time). Default `true`.
    pub mfmt: bool,
    /// `SIZE` (RFC 3659 §4). Default `true`.
    pub size: bool,
    /// `MDTM` (RFC 3659 §3). Default `true`.
    pub mdtm: bool,
    /// `REST STREAM` (RFC 3659 §5). Default `true`.
    pub rest_stream: bool,
    /// `UTF8` in `FEAT` and `OPTS UTF8 ON` (RFC 2640). Default `true`.
    pub utf8: bool,
    /// `TVFS` in `FEAT` (RFC 3659 §6). Default `true`.
    pub tvfs: bool,
    /// `HOST` (RFC 7151), answered by the application. Default `false`.
    pub host: bool,
    /// `SITE`, answered by the application; when off, `SITE` is answered `502`. Default `false`.
    pub site: bool,
    /// `CCC` (clear the control channel after login). Default `true`.
    pub ccc: bool,
    /// `LANG` with the single language `EN` (RFC 2640 §4). Default `true`.
    pub lang: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            mlst: true,
            mfmt: true,
            size: true,
            mdtm: true,
            rest_stream: true,
            utf8: true,
            tvfs: true,
            host: false,
            site: false,
            ccc: true,
            lang: true,
        }
    }
}

/// Configuration of a [`ServerSession`](super::ServerSession).
///
/// Build it from [`ServerConfig::default()`] and change the fields you need:
///
/// ```
/// use ftps_proto::server::{ServerConfig, ServerTls};
/// let mut config = ServerConfig::default();
/// config.tls = ServerTls::Explicit { required_for_login: true };
/// config.require_prot_p = true;
/// assert_eq!(config.max_login_attempts, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Text of the `220` greeting; lines separated by `\n` make a multi-line reply.
    /// Default `"ftps-proto server ready."`.
    pub greeting: Vec<u8>,
    /// Control-connection TLS. Default `Explicit { required_for_login: false }`.
    pub tls: ServerTls,
    /// Refuse transfers (`521`, before any 1yz reply) unless `PROT P` is in force. Default `false`.
    pub require_prot_p: bool,
    /// Under `PROT P`, a data connection's TLS session must resume the control connection's
    /// (data connection theft defence; the adapter reports it). Default `true`.
    pub require_data_session_reuse: bool,
    /// Let `anonymous`/`ftp` log in (the application still answers `Authenticate`). When
    /// `false`, those names get `331` and their `PASS` is refused by the core. Default `false`.
    pub allow_anonymous: bool,
    /// Failed `PASS`/`ACCT` answers allowed per connection; the last one is followed by `421`
    /// and close (RFC 2577 §5). Default `3`.
    pub max_login_attempts: u32,
    /// How long a failed login's `530` is held back. Default 1 s.
    pub failed_login_delay: Duration,
    /// Close with `421` after this long without a command (RFC 1123 §4.1.3.2). Default 300 s.
    pub idle_timeout: Duration,
    /// Close with `421` when no login completed this long after connect. Default 120 s.
    pub login_timeout: Duration,
    /// Fail the transfer with `425` when the data connection is not made in time. Default 30 s.
    pub data_accept_timeout: Duration,
    /// Fail the transfer with `426` when no [`DataEvent::Progress`](crate::session::DataEvent)
    /// arrived for this long. Default 120 s.
    pub data_stall_timeout: Duration,
    /// Close when a control-connection TLS handshake (or CCC/REIN close_notify) takes longer.
    /// Default 30 s.
    pub tls_handshake_timeout: Duration,
    /// Active mode policy.
    pub active: ActiveConfig,
    /// Passive mode settings.
    pub passive: PassiveConfig,
    /// Control-channel buffer limits.
    pub limits: Limits,
    /// Most bytes of pipelined, not yet answered commands held while a command is in progress
    /// (an over-long line counts the size of the record of its error); past it the session
    /// ends with `421`. Default 64 KiB.
    pub max_pipelined: usize,
    /// Optional commands offered.
    pub features: Features,
    /// Text of the `215` reply to `SYST`. Default `"UNIX Type: L8"`.
    pub system: Vec<u8>,
    /// Text of the `230` reply after a successful login (lines separated by `\n`).
    /// Default `"User logged in, proceed."`.
    pub welcome: Vec<u8>,
    /// When set, the session first answers `120 Service ready in N minutes.` and the `220`
    /// greeting only after this delay; commands sent meanwhile wait. Default `None`.
    pub delay_greeting: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: b"ftps-proto server ready.".to_vec(),
            tls: ServerTls::Explicit {
                required_for_login: false,
            },
            require_prot_p: false,
            require_data_session_reuse: true,
            allow_anonymous: false,
            max_login_attempts: 3,
            failed_login_delay: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(300),
            login_timeout: Duration::from_secs(120),
            data_accept_timeout: Duration::from_secs(30),
            data_stall_timeout: Duration::from_secs(120),
            tls_handshake_timeout: Duration::from_secs(30),
            active: ActiveConfig::default(),
            passive: PassiveConfig::default(),
            limits: Limits::default(),
            max_pipelined: 64 * 1024,
            features: Features::default(),
            system: b"UNIX Type: L8".to_vec(),
            welcome: b"User logged in, proceed.".to_vec(),
            delay_greeting: None,
        }
    }
}
