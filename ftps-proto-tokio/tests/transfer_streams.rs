//! Transfers as streams and their ends: the upload writer (`stor_writer` + `finish`), aborting
//! a download or an upload in progress (C959-ABOR, ADP-ABOR), dropping a stream unfinished,
//! and `STOU` (C959-STOU) through the client and on the wire.

mod common;

use std::time::Duration;

use common::{payload, sha256, sha256_file, Mode, RawControl, TestServer, PASSWORD, USER};
use ftps_proto::client::{Transfer, TransferKind};
use ftps_proto_std::support::tls::{ClientTls, ServerTlsOptions};
use ftps_proto_tokio::client::{Client, ConnectOptions, Error};
use ftps_proto_tokio::server::PartialUploads;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(60);

async fn client(server: &TestServer) -> Client {
    let tls = ClientTls::with_ca_file(&server.cert).unwrap();
    let mut c = Client::connect(
        "localhost",
        server.addr.port(),
        ConnectOptions::explicit(tls),
    )
    .await
    .expect("connect");
    c.login(USER, PASSWORD).await.expect("login");
    c
}

// ADP-CLOSE: the writer form sends close_notify, waits for the server's close and the 226.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stor_writer_finish_stores_every_byte() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        let data = payload(3 * 1024 * 1024 + 11, 5);
        let mut w = c.stor_writer("w.bin").await.expect("writer");
        for piece in data.chunks(100_000) {
            w.write_all(piece).await.expect("write");
        }
        assert_eq!(w.bytes(), data.len() as u64);
        let confirmed = w.finish().await.expect("finish");
        assert_eq!(confirmed, data.len() as u64);
        assert_eq!(sha256_file(&server.root.join("w.bin")), sha256(&data));
        // The session goes on.
        assert_eq!(c.size("w.bin").await.unwrap(), data.len() as u64);
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// C959-ABOR, ADP-ABOR: aborting a download in progress leaves the session usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_abor_download_in_progress() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let big = payload(16 * 1024 * 1024, 1);
    std::fs::write(server.root.join("big.bin"), &big).unwrap();
    std::fs::write(server.root.join("small.txt"), b"small").unwrap();
    let run = async {
        let mut c = client(&server).await;
        let mut r = c.retr_reader("big.bin", 0).await.expect("reader");
        let mut head = vec![0u8; 64 * 1024];
        r.read_exact(&mut head).await.expect("read");
        assert_eq!(head, big[..64 * 1024]);
        r.abort().await.expect("abort");
        let mut v = Vec::new();
        c.retr("small.txt", &mut v).await.expect("retr after abort");
        assert_eq!(v, b"small");
        assert_eq!(c.pwd().await.unwrap(), "/");
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// C959-ABOR, ADP-ABOR: aborting an upload: never a 226 for it, the partial file is deleted
// under PartialUploads::Delete, and the session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_abor_upload_in_progress_deletes_partial() {
    let server = TestServer::start_with(Mode::Explicit, true, ServerTlsOptions::default(), |o| {
        o.partial_uploads = PartialUploads::Delete;
    })
    .await;
    let run = async {
        let mut c = client(&server).await;
        let mut w = c.stor_writer("partial.bin").await.expect("writer");
        w.write_all(&payload(1024 * 1024, 2)).await.expect("write");
        w.abort().await.expect("abort");
        // The server stops the upload's task on ABOR; the deletion follows at once.
        let path = server.root.join("partial.bin");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while path.exists() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            !path.exists(),
            "partial upload kept under PartialUploads::Delete"
        );
        c.stor("after.bin", &mut &b"ok"[..])
            .await
            .expect("stor after abort");
        assert_eq!(std::fs::read(server.root.join("after.bin")).unwrap(), b"ok");
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// A reader dropped before its end aborts the transfer; the next command works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_reader_aborts_and_session_goes_on() {
    let server = TestServer::start(Mode::Explicit, true).await;
    std::fs::write(server.root.join("big.bin"), payload(8 * 1024 * 1024, 4)).unwrap();
    let run = async {
        let mut c = client(&server).await;
        {
            let mut r = c.retr_reader("big.bin", 0).await.expect("reader");
            let mut one = [0u8; 1];
            r.read_exact(&mut one).await.expect("read");
        }
        assert_eq!(c.pwd().await.expect("pwd after drop"), "/");
        let entries = c.mlsd(None).await.expect("mlsd after drop");
        assert_eq!(entries.len(), 1);
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// C959-STOU: the client returns the name the server picked; two uploads get two names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_stou_client_returns_the_stored_name() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        let first = c
            .stou(&mut &b"first"[..])
            .await
            .expect("stou")
            .expect("name");
        let second = c
            .stou(&mut &b"second"[..])
            .await
            .expect("stou")
            .expect("name");
        assert_ne!(first, second);
        assert!(first.starts_with("stou."), "{first}");
        assert_eq!(std::fs::read(server.root.join(&first)).unwrap(), b"first");
        assert_eq!(std::fs::read(server.root.join(&second)).unwrap(), b"second");
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// C959-STOU on the wire: `150 FILE: <name>`, then 226; the file holds the upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_stou_preliminary_reply_names_the_file() {
    let server = TestServer::start(Mode::Plain, false).await;
    let run = async {
        let (mut c, _) = RawControl::connect(server.addr).await;
        c.login().await;
        assert!(c.cmd("MKD d").await.starts_with("257"));
        assert!(c.cmd("CWD d").await.starts_with("250"));
        let mut data = c.epsv(server.addr).await;
        let r = c.cmd("STOU").await;
        // 150, or 125 when the data connection is open already.
        let name = r
            .strip_prefix("150 FILE: ")
            .or_else(|| r.strip_prefix("125 FILE: "))
            .and_then(|n| n.strip_suffix("\r\n"))
            .unwrap_or_else(|| panic!("{r:?}"))
            .to_owned();
        assert!(name.starts_with("stou."), "{name}");
        data.write_all(b"unique bytes").await.unwrap();
        drop(data);
        let done = c.reply().await;
        assert!(done.starts_with("226"), "{done}");
        assert_eq!(
            std::fs::read(server.root.join("d").join(&name)).unwrap(),
            b"unique bytes"
        );
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// A download call given an upload (and the other way round) is refused locally; nothing is
// sent and the session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_direction_mismatch_is_refused_locally() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        let mut sink = Vec::new();
        let up = Transfer::new(TransferKind::Stor, b"x.bin");
        assert!(matches!(
            c.download(up, &mut sink).await,
            Err(Error::WrongDirection)
        ));
        let down = Transfer::new(TransferKind::Retr, b"x.bin");
        assert!(matches!(
            c.upload(down, &mut &b"data"[..]).await,
            Err(Error::WrongDirection)
        ));
        assert!(matches!(
            c.upload_writer(down).await.map(|_| ()),
            Err(Error::WrongDirection)
        ));
        assert!(!server.root.join("x.bin").exists());
        assert_eq!(c.pwd().await.unwrap(), "/");
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}
