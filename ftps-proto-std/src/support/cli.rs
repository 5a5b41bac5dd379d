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

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
}
