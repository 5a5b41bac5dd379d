//! The two adapters against each other, on the same core: the std client against the tokio
//! server, and the tokio client against the std server, in explicit, implicit and plain mode,
//! passive and active, PROT P and PROT C, with sha256-checked round trips. 127.0.0.1 only;
//! every test is bounded by a timeout.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use common::{bounded, payload, server_options, sha256, sha256_file, Fixture, Mode, TestServer};
use common::{PASSWORD, USER};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto_std::support::tls::{ClientTls, ServerTlsOptions};

const LIMIT: Duration = Duration::from_secs(90);

/// The client's view of one case.
#[derive(Debug, Clone, Copy)]
struct Case {
    mode: Mode,
    active: bool,
    prot: ProtectionLevel,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The tokio server on a runtime of its own, with the same options as the std test server.
struct TokioServer {
    addr: SocketAddr,
    root: PathBuf,
    cert: PathBuf,
    _fixture: Fixture,
    shutdown: ftps_proto_tokio::server::ShutdownHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    runtime: tokio::runtime::Runtime,
}

impl TokioServer {
    fn start(mode: Mode) -> TokioServer {
        let f = Fixture::new();
        let std_options = server_options(mode, true, ServerTlsOptions::default(), &f.demo);
        let mut options = ftps_proto_tokio::server::ServerOptions::new(std_options.tls.clone());
        options.session = std_options.session.clone();
        let storage = ftps_proto_tokio::server::LocalFs::new(&f.root).expect("storage");
        let users = ftps_proto_tokio::server::Users::new().with_user(USER, PASSWORD);
        let runtime = runtime();
        let server = runtime
            .block_on(ftps_proto_tokio::server::Server::bind(
                "127.0.0.1:0".parse().unwrap(),
                options,
                storage,
                users,
            ))
            .expect("bind");
        let addr = server.local_addr().expect("addr");
        let shutdown = server.shutdown_handle();
        let task = runtime.spawn(server.serve());
        TokioServer {
            addr,
            root: f.root.clone(),
            cert: f.cert.clone(),
            _fixture: f,
            shutdown,
            task,
            runtime,
        }
    }

    fn stop(self) {
        self.shutdown.shutdown();
        let joined = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(20), self.task).await });
        assert!(joined.is_ok(), "tokio server did not stop in time");
    }
}

/// The std client's options for `case`.
fn std_options(case: Case, cert: &std::path::Path) -> ftps_proto_std::client::ConnectOptions {
    use ftps_proto_std::client::ConnectOptions;
    let mut o = match case.mode {
        Mode::Plain => ConnectOptions::plain_insecure(),
        Mode::Explicit => ConnectOptions::explicit(ClientTls::with_ca_file(cert).unwrap()),
        Mode::Implicit => ConnectOptions::implicit(ClientTls::with_ca_file(cert).unwrap()),
    };
    o.config.active = case.active;
    o.config.protection = case.prot;
    o
}

/// The tokio client's options for `case`.
fn tokio_options(case: Case, cert: &std::path::Path) -> ftps_proto_tokio::client::ConnectOptions {
    use ftps_proto_tokio::client::ConnectOptions;
    let mut o = match case.mode {
        Mode::Plain => ConnectOptions::plain_insecure(),
        Mode::Explicit => ConnectOptions::explicit(ClientTls::with_ca_file(cert).unwrap()),
        Mode::Implicit => ConnectOptions::implicit(ClientTls::with_ca_file(cert).unwrap()),
    };
    o.config.active = case.active;
    o.config.protection = case.prot;
    o
}

/// std client -> tokio server: upload, download, resumed download, listing, delete.
fn std_client_tokio_server(case: Case) {
    let server = TokioServer::start(case.mode);
    let mut client = ftps_proto_std::client::Client::connect(
        "localhost",
        server.addr.port(),
        std_options(case, &server.cert),
    )
    .expect("connect");
    assert_eq!(client.is_control_tls(), case.mode != Mode::Plain);
    client.login(USER, PASSWORD).expect("login");
    let data = payload(1_500_000 + 11, 21);
    assert_eq!(
        client.stor("x.bin", &mut &data[..]).expect("stor"),
        data.len() as u64
    );
    assert_eq!(sha256_file(&server.root.join("x.bin")), sha256(&data));
    let mut back = Vec::new();
    client.retr("x.bin", &mut back).expect("retr");
    assert_eq!(sha256(&back), sha256(&data));
    let mut tail = Vec::new();
    client
        .retr_from("x.bin", 1_000_000, &mut tail)
        .expect("retr rest");
    assert_eq!(tail, data[1_000_000..]);
    let entries = client.mlsd(None).expect("mlsd");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].name.as_slice(), entries[0].size),
        (&b"x.bin"[..], Some(data.len() as u64))
    );
    client.delete("x.bin").expect("dele");
    assert_eq!(client.nlst(None).expect("nlst"), Vec::<String>::new());
    client.quit().expect("quit");
    server.stop();
}

/// tokio client -> std server: the same steps.
fn tokio_client_std_server(case: Case) {
    let server = TestServer::start(case.mode, true);
    let runtime = runtime();
    runtime.block_on(async {
        let mut client = ftps_proto_tokio::client::Client::connect(
            "localhost",
            server.addr.port(),
            tokio_options(case, &server.cert),
        )
        .await
        .expect("connect");
        assert_eq!(client.is_control_tls(), case.mode != Mode::Plain);
        client.login(USER, PASSWORD).await.expect("login");
        let data = payload(1_500_000 + 13, 22);
        assert_eq!(
            client.stor("y.bin", &mut &data[..]).await.expect("stor"),
            data.len() as u64
        );
        assert_eq!(sha256_file(&server.root.join("y.bin")), sha256(&data));
        let mut back = Vec::new();
        client.retr("y.bin", &mut back).await.expect("retr");
        assert_eq!(sha256(&back), sha256(&data));
        let mut tail = Vec::new();
        client
            .retr_from("y.bin", 1_000_000, &mut tail)
            .await
            .expect("retr rest");
        assert_eq!(tail, data[1_000_000..]);
        let entries = client.mlsd(None).await.expect("mlsd");
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].name.as_slice(), entries[0].size),
            (&b"y.bin"[..], Some(data.len() as u64))
        );
        client.delete("y.bin").await.expect("dele");
        assert_eq!(client.nlst(None).await.expect("nlst"), Vec::<String>::new());
        client.quit().await.expect("quit");
    });
    server.stop();
}

macro_rules! cross_tests {
    ($($name:ident: $mode:expr, $active:expr, $prot:expr;)*) => {
        mod std_client_tokio_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let case = Case { mode: $mode, active: $active, prot: $prot };
                    bounded(LIMIT, move || std_client_tokio_server(case));
                }
            )*
        }
        mod tokio_client_std_server {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let case = Case { mode: $mode, active: $active, prot: $prot };
                    bounded(LIMIT, move || tokio_client_std_server(case));
                }
            )*
        }
    };
}

// T4217-DATATLS, T4217-TLSROLE, ADP-RESUME (the server requires reuse), ADP-ACTIVE,
// T4217-PROTCP, IMP-STATE, ADP-SANSIO (one core, two adapters, same results).
cross_tests! {
    explicit_passive_prot_p: Mode::Explicit, false, ProtectionLevel::Private;
    explicit_active_prot_p: Mode::Explicit, true, ProtectionLevel::Private;
    explicit_passive_prot_c: Mode::Explicit, false, ProtectionLevel::Clear;
    explicit_active_prot_c: Mode::Explicit, true, ProtectionLevel::Clear;
    implicit_passive_prot_p: Mode::Implicit, false, ProtectionLevel::Private;
    implicit_active_prot_p: Mode::Implicit, true, ProtectionLevel::Private;
    plain_passive: Mode::Plain, false, ProtectionLevel::Clear;
    plain_active: Mode::Plain, true, ProtectionLevel::Clear;
}
