//! The command-line interfaces of the `ftps-server` and `ftps-client` examples, shared by the
//! tokio and std adapters so that both examples take exactly the same flags.
//!
//! ```
//! use clap::Parser;
//! use ftps_proto_std::support::cli::{ClientArgs, ClientCommand, ServerArgs, TlsMode};
//!
//! let server = ServerArgs::parse_from(["ftps-server", "--tls", "implicit"]);
//! assert_eq!(server.tls, TlsMode::Implicit);
//! assert_eq!(server.listen.to_string(), "127.0.0.1:2121");
//!
//! let client = ClientArgs::parse_from(["ftps-client", "--insecure", "ftp://u:p@127.0.0.1:2121/",
//!     "get", "a.txt", "a.txt", "--resume"]);
//! assert!(matches!(client.command, ClientCommand::Get { resume: true, .. }));
//! ```

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use ftps_proto::client::{ClientSecurity, PassiveMode, TlsPolicy};
use ftps_proto::codec::reply_body::Features;
use ftps_proto::codec::ProtectionLevel;
use ftps_proto::timeval::TimeVal;

use super::cert::DemoCertificate;
use super::connect::ConnectOptions;
use super::local_fs::LocalFs;
use super::remote::RemoteEntry;
use super::server_options::ServerOptions;
use super::tls::{crypto_provider, ClientTls, ServerTls, ServerTlsOptions, ServerVerification};
use super::users::Users;

/// An example's error: a message for stderr.
pub type CliError = Box<dyn std::error::Error + Send + Sync>;

/// How the server (or the client, from the URL scheme) secures the control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsMode {
    /// Explicit FTPS (`AUTH TLS`), required before login.
    ExplicitRequired,
    /// Explicit FTPS offered; plain FTP allowed.
    ExplicitOptional,
    /// Implicit FTPS: TLS from the first byte.
    Implicit,
    /// Plain FTP only (no TLS offered).
    None,
}

/// `--prot`: the data-channel protection level the client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Prot {
    /// `PROT C`: data connections in clear.
    C,
    /// `PROT P`: data connections under TLS (the default with TLS).
    P,
}

/// `ftps-server` flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ftps-server",
    about = "A demo FTPS server on the ftps-proto core",
    version
)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:2121", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Directory served (created when missing).
    #[arg(long, default_value = "./ftp-root", value_name = "DIR")]
    pub root: PathBuf,
    /// User name (default `demo`).
    #[arg(long, value_name = "NAME", requires = "password")]
    pub user: Option<String>,
    /// Password (default: a random one, printed at start).
    #[arg(long, value_name = "PW")]
    pub password: Option<String>,
    /// Also allow `anonymous` / `ftp` logins with any password.
    #[arg(long)]
    pub anonymous: bool,
    /// Control-connection security.
    #[arg(long, value_enum, default_value = "explicit-required")]
    pub tls: TlsMode,
    /// Certificate chain PEM (default: a generated self-signed certificate).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key PEM for `--cert`.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Where to write the generated certificate for clients to trust.
    #[arg(long, value_name = "PATH", default_value = "./ftps-demo-cert.pem")]
    pub write_cert: PathBuf,
    /// Passive port range, `LO-HI` (default: any free port).
    #[arg(long, value_name = "LO-HI", value_parser = parse_port_range)]
    pub passive_ports: Option<RangeInclusive<u16>>,
    /// Refuse active mode (PORT/EPRT).
    #[arg(long)]
    pub no_active: bool,
    /// Require each TLS data connection to resume the control connection's TLS session.
    #[arg(
        long,
        value_name = "true|false",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub require_data_session_reuse: bool,
}

impl ServerArgs {
    /// The user name to accept (`--user`, default `demo`).
    pub fn user_name(&self) -> &str {
        self.user.as_deref().unwrap_or("demo")
    }

    /// Everything the server example needs before it binds: TLS (from `--cert`/`--key`, or a
    /// demo certificate written to `--write-cert`), the options, the users and the storage
    /// root (created when missing). Prints where a generated certificate went.
    pub fn setup(&self) -> Result<ServerSetup, CliError> {
        let tls = if self.tls == TlsMode::None {
            None
        } else if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            Some(ServerTls::from_pem_files(
                cert,
                key,
                ServerTlsOptions::default(),
            )?)
        } else {
            let demo = DemoCertificate::generate()?;
            demo.write_cert(&self.write_cert)?;
            println!(
                "self-signed certificate for localhost/127.0.0.1 written to {}",
                self.write_cert.display()
            );
            Some(ServerTls::from_pem(
                demo.cert_pem.as_bytes(),
                demo.key_pem.as_bytes(),
                ServerTlsOptions::default(),
            )?)
        };
        let mut options = ServerOptions::new(tls);
        options.session.tls = self.tls.session_tls();
        options.session.require_data_session_reuse = self.require_data_session_reuse;
        options.session.allow_anonymous = self.anonymous;
        options.session.active.enabled = !self.no_active;
        options.session.passive.ports = self.passive_ports.clone();
        let user = self.user_name().to_owned();
        let password = self.password.clone().unwrap_or_else(random_password);
        let users = Users::new()
            .with_user(&user, &password)
            .with_anonymous(self.anonymous);
        let storage = LocalFs::create(&self.root)?;
        Ok(ServerSetup {
            options,
            users,
            storage,
            user,
            password,
        })
    }

    /// The lines the server example prints once listening on `addr`: what it serves, the
    /// credentials, and a ready-to-paste `curl` command that lists the root.
    ///
    /// ```
    /// use clap::Parser;
    /// use ftps_proto_std::support::cli::ServerArgs;
    /// let args = ServerArgs::parse_from(["ftps-server", "--root", "r"]);
    /// let lines = args.banner("127.0.0.1:2121".parse().unwrap(), "demo", "pw");
    /// assert_eq!(lines[2], "try: curl --ssl-reqd --cacert ./ftps-demo-cert.pem --user demo:pw \
    ///     ftp://localhost:2121/");
    /// ```
    pub fn banner(&self, addr: SocketAddr, user: &str, password: &str) -> Vec<String> {
        let (scheme, flags) = match self.tls {
            TlsMode::ExplicitRequired | TlsMode::ExplicitOptional => ("ftp", "--ssl-reqd "),
            TlsMode::Implicit => ("ftps", ""),
            TlsMode::None => ("ftp", ""),
        };
        let cacert = match (&self.tls, &self.cert) {
            (TlsMode::None, _) => String::new(),
            (_, Some(cert)) => format!("--cacert {} ", cert.display()),
            (_, None) => format!("--cacert {} ", self.write_cert.display()),
        };
        let host = if addr.ip().is_loopback() {
            "localhost".to_owned()
        } else {
            addr.ip().to_string()
        };
        vec![
            format!("serving {} on {addr}", self.root.display()),
            format!("user {user:?}, password {password:?}"),
            format!(
                "try: curl {flags}{cacert}--user {user}:{password} {scheme}://{host}:{}/",
                addr.port()
            ),
        ]
    }
}

impl TlsMode {
    /// The core's server TLS mode for this flag.
    pub fn session_tls(self) -> ftps_proto::server::ServerTls {
        match self {
            TlsMode::ExplicitRequired => ftps_proto::server::ServerTls::Explicit {
                required_for_login: true,
            },
            TlsMode::ExplicitOptional => ftps_proto::server::ServerTls::Explicit {
                required_for_login: false,
            },
            TlsMode::Implicit => ftps_proto::server::ServerTls::Implicit,
            TlsMode::None => ftps_proto::server::ServerTls::None,
        }
    }
}

/// What [`ServerArgs::setup`] prepared.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerSetup {
    /// The server options.
    pub options: ServerOptions,
    /// The user table.
    pub users: Users,
    /// The storage on `--root`.
    pub storage: LocalFs,
    /// The user name.
    pub user: String,
    /// The password (given, or generated).
    pub password: String,
}

/// A random demo password (18 hex digits) from the crypto provider's generator.
pub fn random_password() -> String {
    let mut bytes = [0u8; 9];
    if crypto_provider().secure_random.fill(&mut bytes).is_err() {
        return "demo-password".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Logs to stderr at `RUST_LOG`'s level (default INFO). Colour codes only when stderr is a
/// terminal: piped or redirected logs stay plain text. Passwords never reach the logs (the
/// core and the adapters never log them).
pub fn init_logs() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// Parses `LO-HI` into a port range (`LO <= HI`, `LO >= 1`).
///
/// ```
/// use ftps_proto_std::support::cli::parse_port_range;
/// assert_eq!(parse_port_range("50000-50010"), Ok(50000..=50010));
/// assert!(parse_port_range("10-5").is_err());
/// ```
pub fn parse_port_range(s: &str) -> Result<RangeInclusive<u16>, String> {
    let (lo, hi) = s
        .split_once('-')
        .ok_or_else(|| format!("expected LO-HI, got {s:?}"))?;
    let lo: u16 = lo
        .trim()
        .parse()
        .map_err(|e| format!("bad low port: {e}"))?;
    let hi: u16 = hi
        .trim()
        .parse()
        .map_err(|e| format!("bad high port: {e}"))?;
    if lo == 0 || lo > hi {
        return Err(format!("empty or invalid port range {lo}-{hi}"));
    }
    Ok(lo..=hi)
}

/// `ftps-client` flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ftps-client",
    about = "A demo FTPS client on the ftps-proto core",
    version
)]
pub struct ClientArgs {
    /// Trust the certificates in this PEM file (instead of the webpki roots).
    #[arg(long, value_name = "PEM", conflicts_with = "insecure")]
    pub cacert: Option<PathBuf>,
    /// DANGEROUS: accept any server certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Plain FTP with an `ftp://` URL (no TLS).
    #[arg(long)]
    pub plain: bool,
    /// Data-channel protection (default `p` with TLS).
    #[arg(long, value_enum)]
    pub prot: Option<Prot>,
    /// Active mode (PORT/EPRT) instead of passive.
    #[arg(long)]
    pub active: bool,
    /// Use PASV only (no EPSV first).
    #[arg(long)]
    pub no_epsv: bool,
    /// Send CCC after login (the control connection goes back to plaintext).
    #[arg(long)]
    pub ccc: bool,
    /// Timeout for every wait, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// `ftp://user:pass@host:port/` (explicit FTPS) or `ftps://...` (implicit FTPS).
    #[arg(value_name = "URL")]
    pub url: String,
    /// What to do.
    #[command(subcommand)]
    pub command: ClientCommand,
}

/// The client example's commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ClientCommand {
    /// LIST, printed raw.
    Ls {
        /// Directory (default: the current one).
        path: Option<String>,
    },
    /// MLSD, parsed and printed one entry per line.
    Mlsd {
        /// Directory (default: the current one).
        path: Option<String>,
    },
    /// NLST names.
    Nlst {
        /// Directory (default: the current one).
        path: Option<String>,
    },
    /// Download REMOTE to LOCAL.
    Get {
        /// Remote path.
        remote: String,
        /// Local path.
        local: PathBuf,
        /// Continue from the local file's size (REST).
        #[arg(long)]
        resume: bool,
    },
    /// Upload LOCAL to REMOTE.
    Put {
        /// Local path.
        local: PathBuf,
        /// Remote path.
        remote: String,
        /// Continue from the remote file's size (SIZE, then REST + STOR).
        #[arg(long)]
        resume: bool,
    },
    /// Append LOCAL to REMOTE (APPE).
    Append {
        /// Local path.
        local: PathBuf,
        /// Remote path.
        remote: String,
    },
    /// Delete a file.
    Rm {
        /// Remote path.
        path: String,
    },
    /// Create a directory.
    Mkdir {
        /// Remote path.
        path: String,
    },
    /// Remove a directory.
    Rmdir {
        /// Remote path.
        path: String,
    },
    /// Rename.
    Mv {
        /// Current name.
        from: String,
        /// New name.
        to: String,
    },
    /// Print a file's size.
    Size {
        /// Remote path.
        path: String,
    },
    /// Print a file's modification time.
    Mdtm {
        /// Remote path.
        path: String,
    },
    /// Print the working directory.
    Pwd,
    /// Print the server's features.
    Feat,
}

impl ClientArgs {
    /// `--timeout` as a duration (at least one second).
    pub fn limit(&self) -> Duration {
        Duration::from_secs(self.timeout.max(1))
    }

    /// The connection options the flags and the URL ask for: TLS (explicit FTPS required
    /// unless `--plain`, implicit for `ftps://`), certificate trust (`--cacert`,
    /// `--insecure`, or the webpki roots), `--prot`, `--active`, `--no-epsv`, `--ccc`, and
    /// `--timeout` on every wait of the session.
    ///
    /// ```
    /// use clap::Parser;
    /// use ftps_proto::codec::ProtectionLevel;
    /// use ftps_proto_std::support::cli::{ClientArgs, FtpTarget};
    /// let args = ClientArgs::parse_from(["ftps-client", "--plain", "--prot", "c", "ftp://h/", "pwd"]);
    /// let target = FtpTarget::parse(&args.url).unwrap();
    /// let options = args.connect_options(&target).unwrap();
    /// assert!(options.tls.is_none());
    /// assert_eq!(options.config.protection, ProtectionLevel::Clear);
    /// ```
    pub fn connect_options(&self, target: &FtpTarget) -> Result<ConnectOptions, CliError> {
        let mut options = if self.plain {
            if target.implicit {
                return Err("--plain cannot be used with an ftps:// URL".into());
            }
            ConnectOptions::plain_insecure()
        } else {
            let tls = if self.insecure {
                ClientTls::new(ServerVerification::DangerousAcceptAnyCertificate, None)?
            } else if let Some(ca) = &self.cacert {
                ClientTls::with_ca_file(ca)?
            } else {
                ClientTls::new(ServerVerification::WebPkiRoots, None)?
            };
            if target.implicit {
                ConnectOptions::implicit(tls)
            } else {
                let mut o = ConnectOptions::explicit(tls);
                o.config.security = ClientSecurity::Explicit {
                    // CCC is refused locally when TLS is required for the whole session:
                    // with --ccc the control connection may go back to plaintext after
                    // login (data protection stays).
                    policy: if self.ccc {
                        TlsPolicy::Opportunistic
                    } else {
                        TlsPolicy::Required
                    },
                    auth_ssl_fallback: false,
                };
                o
            }
        };
        options.config.protection = match self.prot {
            Some(Prot::C) => ProtectionLevel::Clear,
            _ => ProtectionLevel::Private,
        };
        options.config.active = self.active;
        if self.no_epsv {
            options.config.passive = PassiveMode::PasvOnly;
        }
        let limit = self.limit();
        options.timeout = limit;
        options.config.timeouts.reply = limit;
        options.config.timeouts.greeting = limit;
        options.config.timeouts.data_connect = limit;
        options.config.timeouts.tls_handshake = limit;
        Ok(options)
    }
}

impl ClientCommand {
    /// Whether the command works in the URL's directory (the client changes into it first):
    /// the listings and `pwd`; the others take paths as given.
    pub fn uses_url_dir(&self) -> bool {
        matches!(
            self,
            ClientCommand::Ls { .. }
                | ClientCommand::Nlst { .. }
                | ClientCommand::Mlsd { .. }
                | ClientCommand::Pwd
        )
    }
}

/// The `feat` command's output: one feature per line as in the body of a `211` reply, a space
/// first, then the name and its parameters (` SIZE`, ` MLST type*;size*;modify*;`).
///
/// ```
/// use ftps_proto::codec::reply_body::parse_feat;
/// use ftps_proto_std::support::cli::feature_lines;
/// let features = parse_feat(b"Features:\n SIZE\n MLST type*;size*;\nEnd");
/// assert_eq!(feature_lines(&features), [" SIZE", " MLST type*;size*;"]);
/// ```
pub fn feature_lines(features: &Features) -> Vec<String> {
    features
        .iter()
        .map(|(name, params)| {
            let name = String::from_utf8_lossy(name);
            if params.is_empty() {
                format!(" {name}")
            } else {
                format!(" {name} {}", String::from_utf8_lossy(params))
            }
        })
        .collect()
}

/// The `mlsd` command's line for one entry: type, size, modification time, name.
///
/// ```
/// use ftps_proto_std::support::cli::mlsd_line;
/// use ftps_proto_std::support::remote::RemoteEntry;
/// let e = &RemoteEntry::parse_mlsd(b"type=file;size=3;modify=20240102030405; a.txt\r\n")[0];
/// assert_eq!(mlsd_line(e), "file             3 2024-01-02 03:04:05 a.txt");
/// ```
pub fn mlsd_line(entry: &RemoteEntry) -> String {
    let kind = entry.kind.as_deref().unwrap_or("?");
    let size = entry.size.map(|s| s.to_string()).unwrap_or_default();
    let modified = entry
        .modified
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            )
        })
        .unwrap_or_default();
    format!(
        "{kind:5} {size:>12} {modified:19} {}",
        String::from_utf8_lossy(&entry.name)
    )
}

/// The `mdtm` command's output: `YYYYMMDDHHMMSS` (UTC).
///
/// ```
/// use ftps_proto::timeval::TimeVal;
/// use ftps_proto_std::support::cli::mdtm_line;
/// assert_eq!(mdtm_line(&TimeVal::new(2024, 1, 2, 3, 4, 5).unwrap()), "20240102030405");
/// ```
pub fn mdtm_line(t: &TimeVal) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A transfer's progress bar on stderr, shown only when stderr is a terminal, cleared when
/// dropped.
#[derive(Debug)]
pub struct TransferProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl TransferProgress {
    /// A bar for `total` bytes (a spinner when unknown) that starts at `start`.
    pub fn new(total: Option<u64>, start: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return TransferProgress { bar: None };
        }
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_position(start);
        TransferProgress { bar: Some(bar) }
    }

    /// Whether the bar is shown (stderr is a terminal).
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Sets the total, once known.
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// Counts `n` more bytes.
    pub fn add(&self, n: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
    }
}

impl Drop for TransferProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a client URL says: where to connect, how, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpTarget {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port (21 for `ftp://`, 990 for `ftps://` when not given).
    pub port: u16,
    /// `ftps://`: implicit FTPS.
    pub implicit: bool,
    /// User (`anonymous` when the URL has none), percent-decoded.
    pub user: String,
    /// Password (`anonymous@` when the URL has none), percent-decoded.
    pub password: String,
    /// The URL's path, percent-decoded (`/` when empty).
    pub path: String,
}

impl FtpTarget {
    /// Parses an `ftp://` or `ftps://` URL.
    ///
    /// ```
    /// use ftps_proto_std::support::cli::FtpTarget;
    /// let t = FtpTarget::parse("ftps://demo:p%40ss@localhost/dir").unwrap();
    /// assert_eq!((t.host.as_str(), t.port, t.implicit), ("localhost", 990, true));
    /// assert_eq!((t.user.as_str(), t.password.as_str(), t.path.as_str()), ("demo", "p@ss", "/dir"));
    /// assert!(FtpTarget::parse("http://x/").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, String> {
        let url = url::Url::parse(input).map_err(|e| format!("invalid URL {input:?}: {e}"))?;
        let implicit = match url.scheme() {
            "ftp" => false,
            "ftps" => true,
            other => return Err(format!("unsupported URL scheme {other:?} (ftp or ftps)")),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(format!("URL {input:?} has no host")),
        };
        let port = url.port().unwrap_or(if implicit { 990 } else { 21 });
        let user = if url.username().is_empty() {
            "anonymous".to_owned()
        } else {
            percent_decode(url.username())?
        };
        let password = match url.password() {
            Some(p) => percent_decode(p)?,
            None => "anonymous@".to_owned(),
        };
        let path = percent_decode(url.path())?;
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        Ok(FtpTarget {
            host,
            port,
            implicit,
            user,
            password,
            path,
        })
    }
}

/// Decodes `%XX` escapes; the result must be UTF-8 without CR, LF or NUL.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    if out.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err("CR, LF or NUL in URL".to_owned());
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_defaults_match_the_documented_interface() {
        let a = ServerArgs::parse_from(["ftps-server"]);
        assert_eq!(a.listen, "127.0.0.1:2121".parse().unwrap());
        assert_eq!(a.root, PathBuf::from("./ftp-root"));
        assert_eq!(a.tls, TlsMode::ExplicitRequired);
        assert_eq!(a.write_cert, PathBuf::from("./ftps-demo-cert.pem"));
        assert_eq!(a.user_name(), "demo");
        assert!(a.require_data_session_reuse);
        assert!(!a.no_active && !a.anonymous);
        assert_eq!(a.passive_ports, None);
    }

    #[test]
    fn server_flags_parse() {
        let a = ServerArgs::parse_from([
            "ftps-server",
            "--listen",
            "127.0.0.1:0",
            "--user",
            "u",
            "--password",
            "p",
            "--tls",
            "none",
            "--passive-ports",
            "40000-40009",
            "--no-active",
            "--require-data-session-reuse",
            "false",
            "--anonymous",
        ]);
        assert_eq!(a.tls, TlsMode::None);
        assert_eq!(a.passive_ports, Some(40000..=40009));
        assert!(a.no_active && a.anonymous);
        assert!(!a.require_data_session_reuse);
        assert_eq!(a.password.as_deref(), Some("p"));
        assert!(
            ServerArgs::try_parse_from(["ftps-server", "--cert", "c.pem"]).is_err(),
            "--cert needs --key"
        );
        assert!(ServerArgs::try_parse_from(["ftps-server", "--passive-ports", "9-1"]).is_err());
    }

    #[test]
    fn client_flags_and_commands_parse() {
        let a = ClientArgs::parse_from([
            "ftps-client",
            "--cacert",
            "c.pem",
            "--prot",
            "c",
            "--active",
            "--no-epsv",
            "--ccc",
            "--timeout",
            "5",
            "ftp://h/",
            "mv",
            "a",
            "b",
        ]);
        assert_eq!(a.prot, Some(Prot::C));
        assert!(a.active && a.no_epsv && a.ccc);
        assert_eq!(a.timeout, 5);
        assert_eq!(
            a.command,
            ClientCommand::Mv {
                from: "a".into(),
                to: "b".into()
            }
        );
        let b = ClientArgs::parse_from(["ftps-client", "ftps://h/", "ls"]);
        assert_eq!(b.command, ClientCommand::Ls { path: None });
        let c = ClientArgs::parse_from(["ftps-client", "--plain", "ftp://h/", "put", "l", "r"]);
        assert_eq!(
            c.command,
            ClientCommand::Put {
                local: "l".into(),
                remote: "r".into(),
                resume: false
            }
        );
        assert!(ClientArgs::try_parse_from([
            "ftps-client",
            "--insecure",
            "--cacert",
            "x",
            "ftp://h/",
            "pwd"
        ])
        .is_err());
        assert!(ClientArgs::try_parse_from(["ftps-client", "ftp://h/", "frobnicate"]).is_err());
    }

    #[test]
    fn urls_parse() {
        let t = FtpTarget::parse("ftp://127.0.0.1:2121/").unwrap();
        assert_eq!(
            t,
            FtpTarget {
                host: "127.0.0.1".into(),
                port: 2121,
                implicit: false,
                user: "anonymous".into(),
                password: "anonymous@".into(),
                path: "/".into()
            }
        );
        let t = FtpTarget::parse("ftp://[::1]/x%20y").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 21, "/x y")
        );
        assert_eq!(
            FtpTarget::parse("ftp://a%0d%0aPASS:x@h/").unwrap_err(),
            "CR, LF or NUL in URL"
        );
        assert_eq!(
            FtpTarget::parse("ftp://a:%ff@h/").unwrap_err(),
            "\"%ff\" is not UTF-8 once decoded"
        );
        assert!(FtpTarget::parse("sftp://h/")
            .unwrap_err()
            .contains("unsupported URL scheme"));
    }

    fn options_for(argv: &[&str]) -> Result<ConnectOptions, CliError> {
        let args = ClientArgs::parse_from(argv.iter().copied());
        let target = FtpTarget::parse(&args.url).unwrap();
        args.connect_options(&target)
    }

    #[test]
    fn connect_options_follow_flags_and_scheme() {
        let o = options_for(&[
            "c",
            "--insecure",
            "--ccc",
            "--timeout",
            "0",
            "ftp://h/",
            "pwd",
        ])
        .unwrap();
        assert_eq!(
            o.config.security,
            ClientSecurity::Explicit {
                policy: TlsPolicy::Opportunistic,
                auth_ssl_fallback: false
            }
        );
        assert_eq!(o.timeout, Duration::from_secs(1));
        assert_eq!(o.config.timeouts.reply, Duration::from_secs(1));
        assert_eq!(o.config.protection, ProtectionLevel::Private);
        let o = options_for(&["c", "--insecure", "--active", "ftp://h/", "pwd"]).unwrap();
        assert!(o.config.active);
        assert_eq!(
            o.config.security,
            ClientSecurity::Explicit {
                policy: TlsPolicy::Required,
                auth_ssl_fallback: false
            }
        );
        let o = options_for(&["c", "--insecure", "--no-epsv", "ftps://h/", "pwd"]).unwrap();
        assert_eq!(o.config.passive, PassiveMode::PasvOnly);
        assert_eq!(
            o.config.security,
            ftps_proto::client::ClientConfig::implicit().security
        );
        assert_eq!(
            options_for(&["c", "--plain", "ftps://h/", "pwd"])
                .unwrap_err()
                .to_string(),
            "--plain cannot be used with an ftps:// URL"
        );
    }

    #[test]
    fn outputs_are_plain_text() {
        assert!(feature_lines(&Features::new()).is_empty());
        let mut f = Features::new();
        f.insert(b"rest", b"STREAM");
        assert_eq!(feature_lines(&f), [" REST STREAM"]);
        let e = &RemoteEntry::parse_mlsd(b"type=dir; sub\r\n")[0];
        assert_eq!(mlsd_line(e), format!("dir   {:>12} {:19} sub", "", ""));
        assert!(ClientCommand::Pwd.uses_url_dir());
        assert!(!ClientCommand::Size { path: "x".into() }.uses_url_dir());
        let args =
            ServerArgs::parse_from(["s", "--tls", "implicit", "--cert", "c.pem", "--key", "k"]);
        let lines = args.banner("0.0.0.0:990".parse().unwrap(), "u", "p");
        assert_eq!(
            lines[2],
            "try: curl --cacert c.pem --user u:p ftps://0.0.0.0:990/"
        );
        assert_eq!(random_password().len(), 18);
    }
}
