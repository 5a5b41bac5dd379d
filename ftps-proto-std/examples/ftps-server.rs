//! A demo FTPS server on a local directory (blocking: one thread per session).
//!
//! ```text
//! cargo run -p ftps-proto-std --example ftps-server -- [--listen ADDR] [--root DIR]
//!     [--user NAME --password PW] [--anonymous]
//!     [--tls explicit-required|explicit-optional|implicit|none] [--cert PEM --key PEM]
//!     [--write-cert PATH] [--passive-ports LO-HI] [--no-active]
//!     [--require-data-session-reuse true|false]
//! ```
//!
//! Flags, setup and output are shared with the tokio adapter's example
//! ([`ftps_proto_std::support::cli`]); only the serving differs.

use std::process::ExitCode;

use clap::Parser;
use ftps_proto_std::server::Server;
use ftps_proto_std::support::cli::{init_logs, CliError, ServerArgs};

fn main() -> ExitCode {
    let args = ServerArgs::parse();
    init_logs();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: ServerArgs) -> Result<(), CliError> {
    let setup = args.setup()?;
    let server = Server::bind(args.listen, setup.options, setup.storage, setup.users)?;
    for line in args.banner(server.local_addr()?, &setup.user, &setup.password) {
        println!("{line}");
    }
    // Ctrl-C ends the process (std offers no signal handling without unsafe code).
    server.serve()?;
    Ok(())
}
