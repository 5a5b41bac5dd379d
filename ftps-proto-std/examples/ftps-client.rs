//! A demo FTPS client (blocking).
//!
//! ```text
//! cargo run -p ftps-proto-std --example ftps-client -- [--cacert PEM | --insecure] [--plain]
//!     [--prot c|p] [--active] [--no-epsv] [--ccc] [--timeout SECS] URL COMMAND [ARGS]
//! ```
//!
//! `ftp://user:pass@host:port/` is explicit FTPS (TLS required unless `--plain`), `ftps://...`
//! implicit FTPS. Exit 0 on success; otherwise 1 with the server's reply or the error on stderr.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ftps_proto::client::{ClientSecurity, PassiveMode, TlsPolicy};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto_std::client::{Client, ConnectOptions};
use ftps_proto_std::support::cli::{ClientArgs, ClientCommand, FtpTarget, Prot};
use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
use std::io::{Read, Seek, Write};

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args = ClientArgs::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps-client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn connect_options(args: &ClientArgs, target: &FtpTarget) -> Result<ConnectOptions, BoxError> {
    let mut options = if args.plain {
        if target.implicit {
            return Err("--plain cannot be used with an ftps:// URL".into());
        }
        ConnectOptions::plain_insecure()
    } else {
        let tls = if args.insecure {
            ClientTls::new(ServerVerification::DangerousAcceptAnyCertificate, None)?
        } else if let Some(ca) = &args.cacert {
            ClientTls::with_ca_file(ca)?
        } else {
            ClientTls::new(ServerVerification::WebPkiRoots, None)?
        };
        if target.implicit {
            ConnectOptions::implicit(tls)
        } else {
            let mut o = ConnectOptions::explicit(tls);
            o.config.security = ClientSecurity::Explicit {
                policy: TlsPolicy::Required,
                auth_ssl_fallback: false,
            };
            o
        }
    };
    options.config.protection = match args.prot {
        Some(Prot::C) => ProtectionLevel::Clear,
        _ => ProtectionLevel::Private,
    };
    options.config.active = args.active;
    if args.no_epsv {
        options.config.passive = PassiveMode::PasvOnly;
    }
    let limit = Duration::from_secs(args.timeout.max(1));
    options.timeout = limit;
    options.config.timeouts.reply = limit;
    options.config.timeouts.greeting = limit;
    options.config.timeouts.data_connect = limit;
    options.config.timeouts.tls_handshake = limit;
    Ok(options)
}

fn run(args: ClientArgs) -> Result<(), BoxError> {
    let target = FtpTarget::parse(&args.url)?;
    let mut options = connect_options(&args, &target)?;
    // CCC is refused locally when TLS is required for the whole session: with --ccc the
    // control connection may go back to plaintext after login (data protection stays).
    if args.ccc && !args.plain && !target.implicit {
        options.config.security = ClientSecurity::Explicit {
            policy: TlsPolicy::Opportunistic,
            auth_ssl_fallback: false,
        };
    }
    // Every wait of the setup is bounded by `--timeout` (connect, greeting, TLS, replies).
    let mut client = Client::connect(&target.host, target.port, options)?;
    client.login(&target.user, &target.password)?;
    if args.ccc {
        client.ccc()?;
    }
    if target.path != "/"
        && matches!(
            args.command,
            ClientCommand::Ls { .. }
                | ClientCommand::Nlst { .. }
                | ClientCommand::Mlsd { .. }
                | ClientCommand::Pwd
        )
    {
        client.cwd(&target.path)?;
    }
    match &args.command {
        ClientCommand::Ls { path } => {
            for line in client.list(path.as_deref())? {
                println!("{line}");
            }
        }
        ClientCommand::Nlst { path } => {
            for name in client.nlst(path.as_deref())? {
                println!("{name}");
            }
        }
        ClientCommand::Mlsd { path } => {
            for e in client.mlsd(path.as_deref())? {
                let kind = e.kind.as_deref().unwrap_or("?");
                let size = e.size.map(|s| s.to_string()).unwrap_or_default();
                let modified = e
                    .modified
                    .map(|t| {
                        format!(
                            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                            t.year, t.month, t.day, t.hour, t.minute, t.second
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "{kind:5} {size:>12} {modified:19} {}",
                    String::from_utf8_lossy(&e.name)
                );
            }
        }
        ClientCommand::Get {
            remote,
            local,
            resume,
        } => {
            let offset = if *resume {
                std::fs::metadata(local).map(|m| m.len()).unwrap_or(0)
            } else {
                0
            };
            let total = client.size(remote).ok();
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(*resume)
                .truncate(!*resume)
                .open(local)?;
            let bar = progress_bar(total, offset);
            let mut writer = Progress::new(file, bar.clone());
            client.retr_from(remote, offset, &mut writer)?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        }
        ClientCommand::Put {
            local,
            remote,
            resume,
        } => {
            let offset = if *resume {
                client.size(remote).unwrap_or(0)
            } else {
                0
            };
            upload(&mut client, local, remote, offset, false)?;
        }
        ClientCommand::Append { local, remote } => {
            upload(&mut client, local, remote, 0, true)?;
        }
        ClientCommand::Rm { path } => client.delete(path)?,
        ClientCommand::Mkdir { path } => println!("{}", client.mkdir(path)?),
        ClientCommand::Rmdir { path } => client.rmdir(path)?,
        ClientCommand::Mv { from, to } => client.rename(from, to)?,
        ClientCommand::Size { path } => println!("{}", client.size(path)?),
        ClientCommand::Mdtm { path } => {
            let t = client.mdtm(path)?;
            println!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
        }
        ClientCommand::Pwd => println!("{}", client.pwd()?),
        ClientCommand::Feat => {
            let features = client.feat()?;
            println!("{features:?}");
        }
    }
    client.quit()?;
    Ok(())
}

fn upload(
    client: &mut Client,
    local: &Path,
    remote: &str,
    offset: u64,
    append: bool,
) -> Result<(), BoxError> {
    let mut file = std::fs::File::open(local)?;
    let len = file.metadata()?.len();
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))?;
    }
    let bar = progress_bar(Some(len), offset);
    let mut reader = Progress::new(file, bar.clone());
    if append {
        client.appe(remote, &mut reader)?;
    } else {
        client.stor_from(remote, offset, &mut reader)?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar(total: Option<u64>, start: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_position(start);
    Some(bar)
}

/// Counts bytes through a reader or writer onto a progress bar.
struct Progress<T> {
    inner: T,
    bar: Option<indicatif::ProgressBar>,
}

impl<T> Progress<T> {
    fn new(inner: T, bar: Option<indicatif::ProgressBar>) -> Self {
        Progress { inner, bar }
    }
}

impl<T: Read> Read for Progress<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

impl<T: Write> Write for Progress<T> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
