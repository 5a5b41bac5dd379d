//! A demo FTPS server on a local directory.
//!
//! ```text
//! cargo run -p ftps-proto-tokio --example ftps-server -- [--listen ADDR] [--root DIR]
//!     [--user NAME --password PW] [--anonymous]
//!     [--tls explicit-required|explicit-optional|implicit|none] [--cert PEM --key PEM]
//!     [--write-cert PATH] [--passive-ports LO-HI] [--no-active]
//!     [--require-data-session-reuse true|false]
//! ```
//!
//! Flags, setup and output are shared with the std adapter's example
//! ([`ftps_proto_std::support::cli`]); only the serving differs (Ctrl-C shuts down gracefully).

use std::process::ExitCode;

use clap::Parser;
use ftps_proto_std::support::cli::{init_logs, CliError, ServerArgs};
use ftps_proto_tokio::server::{LocalFs, Server};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = ServerArgs::parse();
    init_logs();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: ServerArgs) -> Result<(), CliError> {
    let setup = args.setup()?;
    let storage = LocalFs::from(setup.storage);
    let server = Server::bind(args.listen, setup.options, storage, setup.users).await?;
    for line in args.banner(server.local_addr()?, &setup.user, &setup.password) {
        println!("{line}");
    }
    let shutdown = server.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("shutting down");
            shutdown.shutdown();
        }
    });
    server.serve().await?;
    Ok(())
}
