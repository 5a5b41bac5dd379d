//! What the std server's driver owns: the core's timers turned into socket timeouts, the
//! implicit-TLS start, the session limit, and how an upload cut without TLS close_notify ends
//! (never `226`; the partial-upload policy). Raw sockets and Python ftplib as peers;
//! 127.0.0.1 only; every wait bounded.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{bounded, run, Mode, TestServer, PASSWORD, USER};
use ftps_proto_std::server::PartialUploads;

const LIMIT: Duration = Duration::from_secs(60);

/// Connects a raw control socket with a read timeout.
fn raw(server: &TestServer) -> TcpStream {
    let tcp = TcpStream::connect(server.addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    tcp
}

/// Reads until the peer closes (or 10 s pass, which fails the read).
fn read_to_close(tcp: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("read failed: {e} after {:?}", String::from_utf8_lossy(&all)),
        }
    }
}

/// Reads one CRLF-terminated reply line.
fn read_line(tcp: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        let n = tcp.read(&mut byte).expect("read reply");
        assert_eq!(n, 1, "closed after {:?}", String::from_utf8_lossy(&line));
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

// IMP-PORT: an implicit server fed plaintext closes without a single FTP reply.
#[test]
fn imp_port_plaintext_on_implicit_is_dropped() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Implicit, true);
        let mut tcp = raw(&server);
        tcp.write_all(b"USER demo\r\n").unwrap();
        let got = read_to_close(&mut tcp);
        // At most a TLS alert record (content type 21), never a reply line.
        assert!(
            got.is_empty() || got[0] == 21,
            "unexpected bytes: {:?}",
            String::from_utf8_lossy(&got)
        );
        server.stop();
    });
}

// The idle timer (RFC 1123 §4.1.3.2) fires through the driver's socket timeouts: 421, close.
#[test]
fn idle_timeout_sends_421_and_closes() {
    bounded(LIMIT, || {
        let server = TestServer::start_with(Mode::Plain, false, |o| {
            o.session.idle_timeout = Duration::from_millis(300);
        });
        let mut tcp = raw(&server);
        assert!(read_line(&mut tcp).starts_with("220 "));
        let start = Instant::now();
        let rest = String::from_utf8_lossy(&read_to_close(&mut tcp)).into_owned();
        assert!(rest.starts_with("421 "), "{rest:?}");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
        server.stop();
    });
}

// The data-accept timer: PASV, then RETR with no data connection -> 425 after the limit, and
// the session goes on.
#[test]
fn data_accept_timeout_gives_425() {
    bounded(LIMIT, || {
        let server = TestServer::start_with(Mode::Plain, false, |o| {
            o.session.data_accept_timeout = Duration::from_millis(300);
        });
        std::fs::write(server.root.join("f.txt"), b"f").unwrap();
        let mut tcp = raw(&server);
        assert!(read_line(&mut tcp).starts_with("220 "));
        tcp.write_all(format!("USER {USER}\r\nPASS {PASSWORD}\r\n").as_bytes())
            .unwrap();
        assert!(read_line(&mut tcp).starts_with("331 "));
        assert!(read_line(&mut tcp).starts_with("230 "));
        tcp.write_all(b"EPSV\r\n").unwrap();
        assert!(read_line(&mut tcp).starts_with("229 "));
        tcp.write_all(b"RETR f.txt\r\n").unwrap();
        assert!(read_line(&mut tcp).starts_with("150 "));
        let failed = read_line(&mut tcp);
        assert!(failed.starts_with("425 "), "{failed:?}");
        tcp.write_all(b"NOOP\r\n").unwrap();
        assert!(read_line(&mut tcp).starts_with("200 "));
        server.stop();
    });
}

// `max_sessions`: a connection past the limit is closed before any greeting.
#[test]
fn sessions_past_the_limit_are_closed() {
    bounded(LIMIT, || {
        let server = TestServer::start_with(Mode::Plain, false, |o| o.max_sessions = 1);
        let mut first = raw(&server);
        assert!(read_line(&mut first).starts_with("220 "));
        let mut second = raw(&server);
        assert_eq!(read_to_close(&mut second), b"");
        first.write_all(b"QUIT\r\n").unwrap();
        assert!(read_line(&mut first).starts_with("221 "));
        server.stop();
    });
}

/// ftplib (resuming the control session on data connections) uploads, then closes the data
/// socket without TLS close_notify (Python's `SSLSocket.close` sends none); prints the reply.
const TRUNCATE: &str = r#"
import ftplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
class Resuming(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
f = Resuming(context=ctx, timeout=20)
f.connect("localhost", port)
f.login(sys.argv[3], sys.argv[4])
f.prot_p()
conn = f.transfercmd("STOR cut.bin")
conn.sendall(b"x" * 100000)
conn.close()
try:
    print(f.voidresp())
except ftplib.all_errors as e:
    print(e)
f.quit()
"#;

fn truncated_upload(server: &TestServer) -> String {
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(TRUNCATE)
        .arg(server.addr.port().to_string())
        .arg(&server.cert)
        .arg(USER)
        .arg(PASSWORD);
    let out = run(c, LIMIT);
    assert!(
        out.status.success(),
        "ftplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

// ADP-CLOSE, T4217-DATATLS: an upload cut without close_notify is answered 426, never 226;
// by default (PartialUploads::Keep) what arrived stays for a resume.
#[test]
fn adp_close_truncated_upload_is_426_and_kept() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        let reply = truncated_upload(&server);
        assert!(reply.starts_with("426"), "{reply:?}");
        assert!(server.root.join("cut.bin").exists());
        server.stop();
    });
}

// ADP-CLOSE with PartialUploads::Delete: the cut upload's file is removed.
#[test]
fn adp_close_truncated_upload_is_deleted_by_policy() {
    bounded(LIMIT, || {
        let server = TestServer::start_with(Mode::Explicit, true, |o| {
            o.partial_uploads = PartialUploads::Delete;
        });
        let reply = truncated_upload(&server);
        assert!(reply.starts_with("426"), "{reply:?}");
        assert!(!server.root.join("cut.bin").exists());
        server.stop();
    });
}
