//! A demo FTPS server on a local directory.
//!
//! ```text
//! cargo run -p ftps-proto-tokio --example ftps-server -- [--listen ADDR] [--root DIR]
//!     [--user NAME --password PW] [--anonymous]
//!     [--tls explicit-required|explicit-optional|implicit|none] [--cert PEM --key PEM]
//!     [--write-cert PATH] [--passive-ports LO-HI] [--no-active]
//!     [--require-data-session-reuse true|false]
//! ```

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::cli::{ServerArgs, TlsMode};
use ftps_proto_std::support::tls::{ServerTls, ServerTlsOptions};
use ftps_proto_tokio::server::{LocalFs, Server, ServerOptions, Users};

fn random_password() -> String {
    let mut bytes = [0u8; 9];
    let provider = ftps_proto_std::support::tls::crypto_provider();
    if provider.secure_random.fill(&mut bytes).is_err() {
        return "demo-password".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Logs to stderr at `RUST_LOG`'s level (default INFO). Colour codes only when stderr is a
/// terminal: piped or redirected logs stay plain text. Passwords never reach the logs (the
/// core and the adapter never log them).
fn init_logs() {
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

async fn run(args: ServerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let tls = if args.tls == TlsMode::None {
        None
    } else if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        Some(ServerTls::from_pem_files(
            cert,
            key,
            ServerTlsOptions::default(),
        )?)
    } else {
        let demo = DemoCertificate::generate()?;
        demo.write_cert(&args.write_cert)?;
        println!(
            "self-signed certificate for localhost/127.0.0.1 written to {}",
            args.write_cert.display()
        );
        Some(ServerTls::from_pem(
            demo.cert_pem.as_bytes(),
            demo.key_pem.as_bytes(),
            ServerTlsOptions::default(),
        )?)
    };
    let mut options = ServerOptions::new(tls);
    options.session.tls = match args.tls {
        TlsMode::ExplicitRequired => ftps_proto::server::ServerTls::Explicit {
            required_for_login: true,
        },
        TlsMode::ExplicitOptional => ftps_proto::server::ServerTls::Explicit {
            required_for_login: false,
        },
        TlsMode::Implicit => ftps_proto::server::ServerTls::Implicit,
        TlsMode::None => ftps_proto::server::ServerTls::None,
    };
    options.session.require_data_session_reuse = args.require_data_session_reuse;
    options.session.allow_anonymous = args.anonymous;
    options.session.active.enabled = !args.no_active;
    options.session.passive.ports = args.passive_ports.clone();

    let user = args.user_name().to_owned();
    let password = args.password.clone().unwrap_or_else(random_password);
    let users = Users::new()
        .with_user(&user, &password)
        .with_anonymous(args.anonymous);
    let storage = LocalFs::create(&args.root)?;
    let server = Server::bind(args.listen, options, storage, users).await?;
    let addr = server.local_addr()?;

    println!("serving {} on {addr}", args.root.display());
    println!("user {user:?}, password {password:?}");
    let (scheme, flags) = match args.tls {
        TlsMode::ExplicitRequired | TlsMode::ExplicitOptional => ("ftp", "--ssl-reqd "),
        TlsMode::Implicit => ("ftps", ""),
        TlsMode::None => ("ftp", ""),
    };
    let cacert = match (&args.tls, &args.cert) {
        (TlsMode::None, _) => String::new(),
        (_, Some(cert)) => format!("--cacert {} ", cert.display()),
        (_, None) => format!("--cacert {} ", args.write_cert.display()),
    };
    println!(
        "try: curl {flags}{cacert}--user {user}:{password} {scheme}://{host}:{port}/",
        host = if addr.ip().is_loopback() {
            "localhost".to_owned()
        } else {
            addr.ip().to_string()
        },
        port = addr.port()
    );

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
