//! `TYPE A` transfers (DAT-ASCII, DAT-ASCII-EDGE): our client against our server, curl
//! `--use-ascii` and Python ftplib against our server, each asserting the exact bytes stored,
//! sent on the wire and received.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{run, Mode, RawControl, TestServer, PASSWORD, USER};
use ftps_proto::client::{Transfer, TransferKind};
use ftps_proto_std::support::tls::ClientTls;
use ftps_proto_tokio::client::{Client, ConnectOptions};
use ftps_proto_tokio::data::DATA_BUFFER;
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

/// Text of about 1 MiB with LF line ends, plus a CRLF whose CR is the last byte of the first
/// `DATA_BUFFER` chunk and a lone CR.
fn big_text() -> Vec<u8> {
    let mut text = Vec::new();
    let mut i = 0u32;
    while text.len() < 4 * DATA_BUFFER {
        text.extend_from_slice(format!("line {i} of the text\n").as_bytes());
        i += 1;
    }
    text[DATA_BUFFER - 1] = b'\r';
    text[DATA_BUFFER] = b'\n';
    let lone = if text[DATA_BUFFER + 8] == b'\n' { 6 } else { 7 };
    text[DATA_BUFFER + lone] = b'\r';
    text
}

/// The network form the server must send for local text (LF -> CRLF, CRLF kept).
fn network_form(local: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = 0u8;
    for &b in local {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

// DAT-ASCII, DAT-ASCII-EDGE: ours <-> ours, known answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_ours_known_answers() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        // LF and CRLF both arrive as LF; a lone CR passes through.
        let sent = c
            .stor_ascii("a.txt", &mut &b"a\nb\r\nc\rd\n"[..])
            .await
            .expect("stor ascii");
        assert_eq!(sent, 11, "wire: a CR LF b CR LF c CR d CR LF");
        assert_eq!(
            std::fs::read(server.root.join("a.txt")).unwrap(),
            b"a\nb\nc\rd\n"
        );

        std::fs::write(server.root.join("b.txt"), b"x\ny\r\nz").unwrap();
        let mut got = Vec::new();
        let wire = c.retr_ascii("b.txt", &mut got).await.expect("retr ascii");
        assert_eq!(wire, 7, "wire: x CR LF y CR LF z");
        assert_eq!(got, b"x\ny\nz");

        // The binary transfer of the same file is untouched (TYPE I after TYPE A).
        let mut raw = Vec::new();
        c.retr("b.txt", &mut raw).await.expect("retr binary");
        assert_eq!(raw, b"x\ny\r\nz");
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// DAT-ASCII-EDGE: LF-only text round-trips identically through TYPE A STOR + RETR, across
// chunk boundaries (a CRLF split between two reads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_edge_large_round_trip() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        let text = big_text();
        let wire = c.stor_ascii("big.txt", &mut &text[..]).await.expect("stor");
        let expected_wire = network_form(&text);
        assert_eq!(wire, expected_wire.len() as u64);
        // The stored form: CRLF -> LF everywhere, the lone CR kept.
        let stored = std::fs::read(server.root.join("big.txt")).unwrap();
        let mut expected_local = text.clone();
        expected_local.remove(DATA_BUFFER - 1);
        assert_eq!(stored, expected_local);

        // Download: the wire carries CRLF for every LF, the local side gets LF back.
        let mut back = Vec::new();
        let wire = c.retr_ascii("big.txt", &mut back).await.expect("retr");
        assert_eq!(wire, network_form(&stored).len() as u64);
        assert_eq!(back, stored);

        // The stream forms: an ASCII reader, and a writer fed a CR and its LF separately.
        let t = Transfer::new(TransferKind::Retr, b"big.txt").ascii(true);
        let mut reader = c.download_reader(t).await.expect("reader");
        let mut via_reader = Vec::new();
        reader.read_to_end(&mut via_reader).await.expect("read");
        reader.finish().await.expect("finish reader");
        assert_eq!(via_reader, stored);

        let t = Transfer::new(TransferKind::Stor, b"w.txt").ascii(true);
        let mut writer = c.upload_writer(t).await.expect("writer");
        for piece in [&b"one\r"[..], b"\ntwo\n", b"three\r", b"\n"] {
            writer.write_all(piece).await.expect("write");
        }
        let wire = writer.finish().await.expect("finish writer");
        assert_eq!(wire, 17, "one CR LF two CR LF three CR LF");
        assert_eq!(
            std::fs::read(server.root.join("w.txt")).unwrap(),
            b"one\ntwo\nthree\n"
        );
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// DAT-ASCII: the server's wire form, read raw after `TYPE A` (plain FTP to see the bytes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_server_wire_bytes() {
    let server = TestServer::start(Mode::Plain, false).await;
    std::fs::write(server.root.join("t.txt"), b"l1\nl2\r\nl3\n").unwrap();
    let run = async {
        let (mut c, greeting) = RawControl::connect(server.addr).await;
        assert!(greeting.starts_with("220"), "{greeting}");
        c.login().await;
        assert!(c.cmd("TYPE A").await.starts_with("200"));
        let mut data = c.epsv(server.addr).await;
        let r = c.cmd("RETR t.txt").await;
        assert!(r.starts_with("150") || r.starts_with("125"), "{r}");
        let mut wire = Vec::new();
        data.read_to_end(&mut wire).await.unwrap();
        // The server waits for our close before it reports the end (its drain).
        drop(data);
        assert_eq!(wire, b"l1\r\nl2\r\nl3\r\n");
        assert!(c.reply().await.starts_with("226"));

        let mut data = c.epsv(server.addr).await;
        let r = c.cmd("STOR u.txt").await;
        assert!(r.starts_with("150") || r.starts_with("125"), "{r}");
        data.write_all(b"p\r\nq\r\n\r\n").await.unwrap();
        drop(data);
        assert!(c.reply().await.starts_with("226"));
        assert_eq!(
            std::fs::read(server.root.join("u.txt")).unwrap(),
            b"p\nq\n\n"
        );
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

fn curl(server: &TestServer) -> Command {
    let mut c = Command::new("curl");
    c.arg("--silent")
        .arg("--show-error")
        .arg("--ssl-reqd")
        .arg("--cacert")
        .arg(&server.cert)
        .arg("--user")
        .arg(format!("{USER}:{PASSWORD}"))
        .arg("--max-time")
        .arg("30");
    c
}

// DAT-ASCII with curl: `--use-ascii` sends TYPE A. curl turns the CRLF it receives back into
// LF, so the download is checked by its size on the wire (`size_download`: one CR added per
// LF) and its local bytes; on upload curl adds a CR before each LF and the server stores LF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_curl_use_ascii() {
    let server = TestServer::start(Mode::Explicit, true).await;
    std::fs::write(server.root.join("down.txt"), b"a\nb\nc\n").unwrap();
    let out_path = server.dir.path().join("down.out");
    let mut c = curl(&server);
    c.arg("--use-ascii")
        .arg("--write-out")
        .arg("%{size_download}")
        .arg("-o")
        .arg(&out_path)
        .arg(server.url("ftp", "down.txt"));
    let out = run(c, LIMIT).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "9",
        "a CR LF b CR LF c CR LF"
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), b"a\nb\nc\n");

    let up_path = server.dir.path().join("up.txt");
    // curl puts a CR before every LF on the wire: `x CR LF y CR LF`.
    std::fs::write(&up_path, b"x\ny\n").unwrap();
    let mut c = curl(&server);
    c.arg("--use-ascii")
        .arg("-T")
        .arg(&up_path)
        .arg(server.url("ftp", "up.txt"));
    let out = run(c, LIMIT).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(server.root.join("up.txt")).unwrap(),
        b"x\ny\n"
    );
    server.stop().await;
}

const FTPLIB: &str = r#"
import ftplib, io, ssl, sys
port, cafile, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
f = ftplib.FTP_TLS(context=ctx, timeout=20)
f.connect("localhost", port)
f.login(user, password)
f.prot_p()
f.storlines("STOR lines.txt", io.BytesIO(b"one\ntwo\r\nthree\n"))
lines = []
f.retrlines("RETR lines.txt", lines.append)
print("|".join(lines))
f.voidcmd("TYPE A")
conn = f.transfercmd("RETR lines.txt")
wire = b""
while True:
    chunk = conn.recv(8192)
    if not chunk:
        break
    wire += chunk
conn.unwrap()
conn.close()
f.voidresp()
print(repr(wire))
f.quit()
"#;

// DAT-ASCII with Python ftplib: `storlines` (TYPE A, CRLF on the wire) and `retrlines`, plus
// the raw wire bytes of a TYPE A download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_ftplib_storlines_retrlines() {
    let server = TestServer::start(Mode::Explicit, false).await;
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(FTPLIB)
        .arg(server.addr.port().to_string())
        .arg(&server.cert)
        .arg(USER)
        .arg(PASSWORD);
    let out = run(c, LIMIT).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(server.root.join("lines.txt")).unwrap(),
        b"one\ntwo\nthree\n"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["one|two|three", r"b'one\r\ntwo\r\nthree\r\n'"]);
    server.stop().await;
}

// DAT-ASCII: the worst case (every byte an LF: the wire doubles, through fixed buffers) and
// bytes that are not text (NUL, 0xFF, invalid UTF-8) pass through unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dat_ascii_worst_case_and_non_text_bytes() {
    let server = TestServer::start(Mode::Explicit, true).await;
    let run = async {
        let mut c = client(&server).await;
        let lfs = vec![b'\n'; 1024 * 1024];
        let wire = c.stor_ascii("lf.txt", &mut &lfs[..]).await.expect("stor");
        assert_eq!(wire, 2 * 1024 * 1024);
        assert_eq!(std::fs::read(server.root.join("lf.txt")).unwrap(), lfs);
        let mut back = Vec::new();
        let wire = c.retr_ascii("lf.txt", &mut back).await.expect("retr");
        assert_eq!(wire, 2 * 1024 * 1024);
        assert_eq!(back, lfs);

        let odd = b"\x00\xff\xfe\xc3(\n\x00";
        let wire = c.stor_ascii("odd.bin", &mut &odd[..]).await.expect("stor");
        assert_eq!(wire, 8);
        assert_eq!(std::fs::read(server.root.join("odd.bin")).unwrap(), odd);
        c.quit().await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}
