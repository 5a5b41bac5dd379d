//! A demo FTPS client.
//!
//! ```text
//! cargo run -p ftps-proto-tokio --example ftps-client -- [--cacert PEM | --insecure] [--plain]
//!     [--prot c|p] [--active] [--no-epsv] [--ccc] [--timeout SECS] URL COMMAND [ARGS]
//! ```
//!
//! `ftp://user:pass@host:port/` is explicit FTPS (TLS required unless `--plain`), `ftps://...`
//! implicit FTPS. Exit 0 on success; otherwise 1 with the server's reply or the error on stderr.
//! Flags, URL handling, the resume rule and the output are shared with the std adapter's
//! example ([`ftps_proto_std::support::cli`]); only the I/O differs.

use std::path::Path;
use std::pin::Pin;
use std::process::ExitCode;
use std::task::{Context, Poll};

use clap::Parser;
use ftps_proto_std::support::cli::{
    feature_lines, mdtm_line, mlsd_line, CliError, ClientArgs, ClientCommand, FtpTarget,
    TransferProgress,
};
use ftps_proto_std::support::resume;
use ftps_proto_tokio::client::Client;
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWrite, ReadBuf};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(ClientArgs::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps-client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: ClientArgs) -> Result<(), CliError> {
    let target = FtpTarget::parse(&args.url)?;
    let options = args.connect_options(&target)?;
    let connect = Client::connect(&target.host, target.port, options);
    let mut client = tokio::time::timeout(args.limit(), connect)
        .await
        .map_err(|_| "timed out connecting")??;
    client.login(&target.user, &target.password).await?;
    if args.ccc {
        client.ccc().await?;
    }
    if target.path != "/" && args.command.uses_url_dir() {
        client.cwd(&target.path).await?;
    }
    match &args.command {
        ClientCommand::Ls { path } => print_lines(client.list(path.as_deref()).await?),
        ClientCommand::Nlst { path } => print_lines(client.nlst(path.as_deref()).await?),
        ClientCommand::Mlsd { path } => {
            print_lines(client.mlsd(path.as_deref()).await?.iter().map(mlsd_line))
        }
        ClientCommand::Get {
            remote,
            local,
            resume,
        } => {
            let offset = if *resume {
                resume::download_offset(local)?
            } else {
                0
            };
            let bar = TransferProgress::new(None, offset);
            if bar.is_shown() {
                if let Ok(total) = client.size(remote).await {
                    bar.set_total(total);
                }
            }
            let file = tokio::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(*resume)
                .truncate(!*resume)
                .open(local)
                .await?;
            let mut writer = Progress::new(file, bar);
            client.retr_from(remote, offset, &mut writer).await?;
        }
        ClientCommand::Put {
            local,
            remote,
            resume,
        } => {
            let offset = if *resume {
                resume::upload_offset(client.size(remote).await)?
            } else {
                0
            };
            upload(&mut client, local, remote, offset, false).await?;
        }
        ClientCommand::Append { local, remote } => {
            upload(&mut client, local, remote, 0, true).await?
        }
        ClientCommand::Rm { path } => client.delete(path).await?,
        ClientCommand::Mkdir { path } => println!("{}", client.mkdir(path).await?),
        ClientCommand::Rmdir { path } => client.rmdir(path).await?,
        ClientCommand::Mv { from, to } => client.rename(from, to).await?,
        ClientCommand::Size { path } => println!("{}", client.size(path).await?),
        ClientCommand::Mdtm { path } => println!("{}", mdtm_line(&client.mdtm(path).await?)),
        ClientCommand::Pwd => println!("{}", client.pwd().await?),
        ClientCommand::Feat => print_lines(feature_lines(&client.feat().await?)),
    }
    client.quit().await?;
    Ok(())
}

fn print_lines<T: std::fmt::Display>(lines: impl IntoIterator<Item = T>) {
    for line in lines {
        println!("{line}");
    }
}

async fn upload(
    client: &mut Client,
    local: &Path,
    remote: &str,
    offset: u64,
    append: bool,
) -> Result<(), CliError> {
    let mut file = tokio::fs::File::open(local).await?;
    let len = file.metadata().await?.len();
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset)).await?;
    }
    let mut reader = Progress::new(file, TransferProgress::new(Some(len), offset));
    if append {
        client.appe(remote, &mut reader).await?;
    } else {
        client.stor_from(remote, offset, &mut reader).await?;
    }
    Ok(())
}

/// Counts the bytes through a reader or writer onto a progress bar.
struct Progress<T> {
    inner: T,
    bar: TransferProgress,
}

impl<T> Progress<T> {
    fn new(inner: T, bar: TransferProgress) -> Self {
        Progress { inner, bar }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Progress<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.bar.add(buf.filled().len() - before);
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Progress<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = &poll {
            this.bar.add(*n);
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
