//! A demo FTPS client.
//!
//! ```text
//! cargo run -p ftps-proto-tokio --example ftps-client -- [--cacert PEM | --insecure] [--plain]
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
use ftps_proto_std::support::cli::{ClientArgs, ClientCommand, FtpTarget, Prot};
use ftps_proto_std::support::tls::{ClientTls, ServerVerification};
use ftps_proto_tokio::client::{Client, ConnectOptions};
use tokio::io::{AsyncRead, AsyncWrite};

type BoxError = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = ClientArgs::parse();
    match run(args).await {
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

async fn run(args: ClientArgs) -> Result<(), BoxError> {
    let target = FtpTarget::parse(&args.url)?;
    let mut options = connect_options(&args, &target)?;
    let limit = Duration::from_secs(args.timeout.max(1));
    // CCC is refused locally when TLS is required for the whole session: with --ccc the
    // control connection may go back to plaintext after login (data protection stays).
    if args.ccc && !args.plain && !target.implicit {
        options.config.security = ClientSecurity::Explicit {
            policy: TlsPolicy::Opportunistic,
            auth_ssl_fallback: false,
        };
    }
    let mut client =
        tokio::time::timeout(limit, Client::connect(&target.host, target.port, options))
            .await
            .map_err(|_| "timed out connecting")??;
    client.login(&target.user, &target.password).await?;
    if args.ccc {
        client.ccc().await?;
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
        client.cwd(&target.path).await?;
    }
    match &args.command {
        ClientCommand::Ls { path } => {
            for line in client.list(path.as_deref()).await? {
                println!("{line}");
            }
        }
        ClientCommand::Nlst { path } => {
            for name in client.nlst(path.as_deref()).await? {
                println!("{name}");
            }
        }
        ClientCommand::Mlsd { path } => {
            for e in client.mlsd(path.as_deref()).await? {
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
            let total = client.size(remote).await.ok();
            let file = tokio::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(*resume)
                .truncate(!*resume)
                .open(local)
                .await?;
            let bar = progress_bar(total, offset);
            let mut writer = Progress::new(file, bar.clone());
            client.retr_from(remote, offset, &mut writer).await?;
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
                client.size(remote).await.unwrap_or(0)
            } else {
                0
            };
            upload(&mut client, local, remote, offset, false).await?;
        }
        ClientCommand::Append { local, remote } => {
            upload(&mut client, local, remote, 0, true).await?;
        }
        ClientCommand::Rm { path } => client.delete(path).await?,
        ClientCommand::Mkdir { path } => println!("{}", client.mkdir(path).await?),
        ClientCommand::Rmdir { path } => client.rmdir(path).await?,
        ClientCommand::Mv { from, to } => client.rename(from, to).await?,
        ClientCommand::Size { path } => println!("{}", client.size(path).await?),
        ClientCommand::Mdtm { path } => {
            let t = client.mdtm(path).await?;
            println!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
        }
        ClientCommand::Pwd => println!("{}", client.pwd().await?),
        ClientCommand::Feat => {
            let features = client.feat().await?;
            println!("{features:?}");
        }
    }
    client.quit().await?;
    Ok(())
}

async fn upload(
    client: &mut Client,
    local: &Path,
    remote: &str,
    offset: u64,
    append: bool,
) -> Result<(), BoxError> {
    use tokio::io::AsyncSeekExt;
    let mut file = tokio::fs::File::open(local).await?;
    let len = file.metadata().await?.len();
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset)).await?;
    }
    let bar = progress_bar(Some(len), offset);
    let mut reader = Progress::new(file, bar.clone());
    if append {
        client.appe(remote, &mut reader).await?;
    } else {
        client.stor_from(remote, offset, &mut reader).await?;
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

impl<T: AsyncRead + Unpin> AsyncRead for Progress<T> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Some(bar) = &this.bar {
            bar.inc((buf.filled().len() - before) as u64);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Progress<T> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = std::pin::Pin::new(&mut this.inner).poll_write(cx, data);
        if let (std::task::Poll::Ready(Ok(n)), Some(bar)) = (&poll, &this.bar) {
            bar.inc(*n as u64);
        }
        poll
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
