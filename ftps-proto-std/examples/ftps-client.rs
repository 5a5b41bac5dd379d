//! A demo FTPS client (blocking).
//!
//! ```text
//! cargo run -p ftps-proto-std --example ftps-client -- [--cacert PEM | --insecure] [--plain]
//!     [--prot c|p] [--active] [--no-epsv] [--ccc] [--timeout SECS] URL COMMAND [ARGS]
//! ```
//!
//! `ftp://user:pass@host:port/` is explicit FTPS (TLS required unless `--plain`), `ftps://...`
//! implicit FTPS. Exit 0 on success; otherwise 1 with the server's reply or the error on stderr.
//! Flags, URL handling, the resume rule and the output are shared with the tokio adapter's
//! example ([`ftps_proto_std::support::cli`]); only the I/O differs.

use std::io::{Read, Seek, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use ftps_proto_std::client::Client;
use ftps_proto_std::support::cli::{
    feature_lines, mdtm_line, mlsd_line, CliError, ClientArgs, ClientCommand, FtpTarget,
    TransferProgress,
};
use ftps_proto_std::support::resume;

fn main() -> ExitCode {
    match run(ClientArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps-client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: ClientArgs) -> Result<(), CliError> {
    let target = FtpTarget::parse(&args.url)?;
    let options = args.connect_options(&target)?;
    // Every wait of the setup is bounded by `--timeout` (connect, greeting, TLS, replies).
    let mut client = Client::connect(&target.host, target.port, options)?;
    client.login(&target.user, &target.password)?;
    if args.ccc {
        client.ccc()?;
    }
    if target.path != "/" && args.command.uses_url_dir() {
        client.cwd(&target.path)?;
    }
    match &args.command {
        ClientCommand::Ls { path } => print_lines(client.list(path.as_deref())?),
        ClientCommand::Nlst { path } => print_lines(client.nlst(path.as_deref())?),
        ClientCommand::Mlsd { path } => {
            print_lines(client.mlsd(path.as_deref())?.iter().map(mlsd_line))
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
                if let Ok(total) = client.size(remote) {
                    bar.set_total(total);
                }
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(*resume)
                .truncate(!*resume)
                .open(local)?;
            let mut writer = Progress::new(file, bar);
            client.retr_from(remote, offset, &mut writer)?;
        }
        ClientCommand::Put {
            local,
            remote,
            resume,
        } => {
            let offset = if *resume {
                resume::upload_offset(client.size(remote))?
            } else {
                0
            };
            upload(&mut client, local, remote, offset, false)?;
        }
        ClientCommand::Append { local, remote } => upload(&mut client, local, remote, 0, true)?,
        ClientCommand::Rm { path } => client.delete(path)?,
        ClientCommand::Mkdir { path } => println!("{}", client.mkdir(path)?),
        ClientCommand::Rmdir { path } => client.rmdir(path)?,
        ClientCommand::Mv { from, to } => client.rename(from, to)?,
        ClientCommand::Size { path } => println!("{}", client.size(path)?),
        ClientCommand::Mdtm { path } => println!("{}", mdtm_line(&client.mdtm(path)?)),
        ClientCommand::Pwd => println!("{}", client.pwd()?),
        ClientCommand::Feat => print_lines(feature_lines(&client.feat()?)),
    }
    client.quit()?;
    Ok(())
}

fn print_lines<T: std::fmt::Display>(lines: impl IntoIterator<Item = T>) {
    for line in lines {
        println!("{line}");
    }
}

fn upload(
    client: &mut Client,
    local: &Path,
    remote: &str,
    offset: u64,
    append: bool,
) -> Result<(), CliError> {
    let mut file = std::fs::File::open(local)?;
    let len = file.metadata()?.len();
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))?;
    }
    let mut reader = Progress::new(file, TransferProgress::new(Some(len), offset));
    if append {
        client.appe(remote, &mut reader)?;
    } else {
        client.stor_from(remote, offset, &mut reader)?;
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

impl<T: Read> Read for Progress<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.add(n);
        Ok(n)
    }
}

impl<T: Write> Write for Progress<T> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.bar.add(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
