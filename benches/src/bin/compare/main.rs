//! `compare`: ftps-proto side by side with the crates a Rust user would pick instead (the
//! suppaftp client, the libunftp server) and with the limits of the machine (raw TCP and raw
//! tokio-rustls copies over loopback), in one run.
//!
//! ```text
//! cargo run --release -p ftps-proto-benches --bin compare            # full run, writes BENCHMARKS.md
//! cargo run --release -p ftps-proto-benches --bin compare -- --quick # tiny sizes, seconds
//! cargo run --release -p ftps-proto-benches --bin compare -- --help
//! ```
//!
//! Every server runs in its own child process (this program re-executed with the hidden
//! `serve` subcommand), so client and server do not share a heap or a runtime and the memory
//! figures are the server's alone. The contenders of a measurement run one after the other in
//! each round (A B C A B C ...), and the tables report medians over the rounds; ratios are the
//! medians of the per-round ratios, so slow phases of a shared machine hit both sides.

mod args;
mod child;
mod fixture;
mod machine;
mod memory;
mod memstore;
mod ours;
mod payload;
mod peers;
mod raw;
mod report;
mod retry;
mod scenario;
mod serve;

use std::process::ExitCode;

/// The error type of the whole program: every failure is reported, none is fatal to a round.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`BoxError`].
pub type Result<T> = std::result::Result<T, BoxError>;

fn main() -> ExitCode {
    child::remember_exe();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some(serve::SUBCOMMAND) {
        return match serve::run(argv.get(1..).unwrap_or_default()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("compare serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match args::Options::parse(&argv) {
        Ok(args::Parsed::Run(options)) => options,
        Ok(args::Parsed::Help) => {
            println!("{}", args::HELP);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("compare: {e}\n\n{}", args::HELP);
            return ExitCode::from(2);
        }
    };
    match scenario::run(&options) {
        Ok(outcome) if outcome.failures == 0 => ExitCode::SUCCESS,
        Ok(outcome) => {
            eprintln!(
                "compare: {} measurement(s) failed (see the notes above)",
                outcome.failures
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}
