//! Hostile clients against a server under test: each case takes the adapter's [`Start`] and
//! asserts exact replies, closes and files on disk. Both adapters' `hostile_server.rs` run
//! every case, so a behaviour is written once.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown};
use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

/// `127.0.0.2`: another local address (Linux routes all of 127/8 to `lo`).
pub const OTHER_LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Deterministic pseudo-random bytes (the same as the other tests').
pub use super::data::payload;

fn plain(start: Start) -> Running {
    start(Setup::new(Mode::Plain))
}

/// Polls `check` every 10 ms for at most `limit`; whether it became true.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn file_len(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// FRM-MAXCMD: a 1 MiB command line is answered `500` once, discarded up to its CRLF, and
/// the session goes on; the server holds no more than its line limit.
pub fn long_line_1mib(start: Start) {
    let server = plain(start);
    let mut c = Ctl::open(server.addr);
    let before = rss_kib();
    let mut line = vec![b'A'; 1024 * 1024];
    line.extend_from_slice(b"\r\nNOOP\r\n");
    c.send_raw(&line);
    assert_eq!(c.reply(), "500 Command line too long.\r\n");
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
    // The pipelined NOOP behind the long line was answered too (it was not swallowed).
    drop(line);
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");
}

/// FRM-MAXCMD without a line end at all: 1 MiB of bytes and no CRLF, then CRLF: one `500`.
pub fn long_line_without_end_then_end(start: Start) {
    let server = plain(start);
    let mut c = Ctl::open(server.addr);
    let chunk = vec![0xFFu8; 64 * 1024];
    for _ in 0..16 {
        c.send_raw(&chunk);
    }
    c.send_raw(b"\r\n");
    assert_eq!(c.reply(), "500 Command line too long.\r\n");
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// 10,000 pipelined NOOPs in one write: 10,000 `200` replies, in order, nothing else.
pub fn pipelined_10000_noops(start: Start) {
    let server = plain(start);
    let mut c = Ctl::open(server.addr);
    let before = rss_kib();
    c.send_raw(&b"NOOP\r\n".repeat(10_000));
    for i in 0..10_000 {
        let r = c.reply();
        assert_eq!(r, "200 NOOP ok.\r\n", "reply {i}");
    }
    assert_eq!(
        c.try_reply(Duration::from_millis(300)),
        Err(NoReply::TimedOut(String::new()))
    );
    assert_eq!(c.code("QUIT"), "221 Goodbye.");
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");
}

/// ATK-TIMEOUT: one byte per second never completes a command; before login, the login
/// timer (2 s here) ends the session with `421`, then the server closes.
pub fn one_byte_per_second_before_login(start: Start) {
    let server = start(Setup::new(Mode::Plain).session(|s| {
        s.login_timeout = Duration::from_secs(2);
    }));
    let mut c = Ctl::open(server.addr);
    let t0 = Instant::now();
    let reply = trickle(&mut c);
    let elapsed = t0.elapsed();
    assert_eq!(reply, "421 Login timeout; closing.\r\n");
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(c.expect_closed(Duration::from_secs(5)), "");
}

/// Sends one byte a second (never a line end) until a reply comes; at most 12 bytes.
fn trickle(c: &mut Ctl) -> String {
    for byte in b"NOOPNOOPNOOP" {
        c.send_raw(&[*byte]);
        match c.try_reply(Duration::from_secs(1)) {
            Ok(r) => return r,
            Err(NoReply::TimedOut(_)) => {}
            Err(e) => panic!("closed without a reply: {e:?}"),
        }
    }
    panic!("no reply within 12 s");
}

/// ATK-TLSINJ-S: `USER` pipelined behind `AUTH TLS` in the same write: the session closes,
/// `USER` is never answered.
pub fn auth_tls_with_pipelined_user(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    let mut c = Ctl::open(server.addr);
    c.send_raw(b"AUTH TLS\r\nUSER demo\r\n");
    // The core answers the injection with 421 in cleartext and closes; USER gets no reply.
    let rest = c.expect_closed(Duration::from_secs(5));
    assert_eq!(rest, "421 Cleartext commands after AUTH; closing.\r\n");
}

/// S2577-BOUNCE, S2577-LOWPORT: `PORT`/`EPRT` to another host or to port 25 are refused
/// (nothing is connected: the following transfer has no data connection).
pub fn port_bounce_refused(start: Start) {
    let server = plain(start);
    let mut c = Ctl::open(server.addr);
    c.login();
    // Another host (arguments only: nothing listens there and nothing may connect there).
    let other_host = "504 Data connections only to the client's own address.\r\n";
    assert_eq!(c.cmd("PORT 127,0,0,2,39,16"), other_host);
    assert_eq!(c.cmd("PORT 10,0,0,1,39,16"), other_host);
    assert_eq!(c.cmd("EPRT |1|10.0.0.1|10000|"), other_host);
    assert_eq!(c.cmd("EPRT |1|127.0.0.2|10000|"), other_host);
    // The control peer, but a privileged port.
    assert_eq!(
        c.cmd("PORT 127,0,0,1,0,25"),
        "504 Data connection port refused.\r\n"
    );
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.1|25|"),
        "504 Data connection port refused.\r\n"
    );
    // No data connection was set up by any of them.
    assert_eq!(c.cmd("LIST"), "425 Use PORT/EPRT or PASV/EPSV first.\r\n");
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// S2577-PEER (PROT C): a connection to the passive port from `127.0.0.2`, made before the
/// real client's, is closed without data; the real client's download completes.
pub fn passive_from_other_address(start: Start) {
    let server = plain(start);
    let data = payload(100_000, 7);
    std::fs::write(server.root.join("f.bin"), &data).expect("write");
    let mut c = Ctl::open(server.addr);
    c.login();
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let port = c.epsv_port();
    let to = std::net::SocketAddr::new(server.addr.ip(), port);
    let mut thief = connect_from(to, Some(OTHER_LOCAL));
    assert_eq!(thief.local_addr().expect("addr").ip(), OTHER_LOCAL);
    let mut real = connect_from(to, None);
    c.send("RETR f.bin");
    let r = c.reply();
    assert!(r.starts_with("150 ") || r.starts_with("125 "), "{r}");
    let mut got = Vec::new();
    real.read_to_end(&mut got).expect("read data");
    assert_eq!(got.len(), data.len());
    assert!(got == data, "data differs");
    assert_eq!(c.reply(), "226 Transfer complete.\r\n");
    let (stolen, closed) = read_until_closed(&mut thief, Duration::from_secs(5));
    assert!(closed, "thief's connection still open");
    assert_eq!(stolen.len(), 0);
}

/// S2577-PEER + ATK-STEAL (PROT P): the thief on `127.0.0.2` completes a TLS handshake of its
/// own; it is refused and the real (resuming) client's download completes.
pub fn passive_tls_from_other_address(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    let data = payload(50_000, 8);
    std::fs::write(server.root.join("f.bin"), &data).expect("write");
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let port = c.epsv_port();
    let to = std::net::SocketAddr::new(server.addr.ip(), port);
    let thief_tcp = connect_from(to, Some(OTHER_LOCAL));
    let thief = std::thread::spawn(move || {
        let fresh = client_tls();
        match tls_connect(fresh.config(), thief_tcp) {
            Ok(mut s) => read_until_closed(&mut s, Duration::from_secs(10)),
            Err(_) => (Vec::new(), true),
        }
    });
    let real_tcp = connect_from(to, None);
    c.send("RETR f.bin");
    let r = c.reply();
    assert!(r.starts_with("150 ") || r.starts_with("125 "), "{r}");
    let mut real = tls_connect(tls.config(), real_tcp).expect("data TLS");
    assert!(
        resumed(&real),
        "the real client resumed the control session"
    );
    let mut got = Vec::new();
    real.read_to_end(&mut got).expect("read data");
    assert!(got == data, "data differs ({} bytes)", got.len());
    assert_eq!(c.reply(), "226 Transfer complete.\r\n");
    let (stolen, closed) = thief.join().expect("thief thread");
    assert!(closed, "thief's connection still open");
    assert_eq!(stolen.len(), 0);
}

/// T4217-REUSE, ATK-STEAL: with binding required, a data TLS session that does not resume the
/// control session (a fresh rustls config) is refused with `522`; the same transfer with the
/// control session's config succeeds.
pub fn data_tls_not_resumed(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    std::fs::write(server.root.join("f.txt"), b"hello\n").expect("write");
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    // A fresh config: nothing to resume.
    retr_refused_with(&mut c, &client_tls());
    // The control session's config resumes and is accepted.
    retr_resumed_with(&mut c, &tls);
}

/// ATK-STEAL, T4217-REUSE: a data connection that resumes **another** control session of the
/// same server (the client of session B offers B's tickets on session A's data port) is not a
/// resumption of A: `522`, nothing sent. The server seals each session's number in its tickets,
/// so B's ticket does not open in A's session; A's own tickets still do.
pub fn data_tls_resumes_other_session(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    std::fs::write(server.root.join("f.txt"), b"hello\n").expect("write");
    let (tls_a, tls_b) = (client_tls(), client_tls());
    let mut a = Ctl::open_explicit_prot_p(server.addr, &tls_a);
    let mut b = Ctl::open_explicit_prot_p(server.addr, &tls_b);
    assert_eq!(a.code("TYPE I"), "200 Type set to I.");
    assert_eq!(b.code("NOOP"), "200 NOOP ok.");
    retr_refused_with(&mut a, &tls_b);
    retr_resumed_with(&mut a, &tls_a);
}

/// `RETR f.txt` whose data TLS handshake uses `tls` and resumes nothing of this session:
/// `522`, and not a byte on the data connection.
fn retr_refused_with(c: &mut Ctl, tls: &ClientTls) {
    let tcp = c.epsv_connect(None);
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let handshake = tls_connect(tls.config(), tcp);
    assert_eq!(
        c.reply(),
        "522 Data connection must resume the control connection's TLS session.\r\n"
    );
    if let Ok(mut s) = handshake {
        assert!(!resumed(&s), "another session's TLS session was resumed");
        let (bytes, closed) = read_until_closed(&mut s, Duration::from_secs(5));
        assert!(closed);
        assert_eq!(bytes, b"");
    }
}

/// `RETR f.txt` with the control session's own `tls`: resumed, `hello\n`, `226`. The `226`
/// comes while this client still holds the data connection open (it closes only after the
/// reply): the server's wait for the client's close (at most 10 s, so that its own close
/// cannot reset the connection) runs after the reply, not before.
fn retr_resumed_with(c: &mut Ctl, tls: &ClientTls) {
    let tcp = c.epsv_connect(None);
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut s = tls_connect(tls.config(), tcp).expect("data TLS");
    assert!(resumed(&s));
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"hello\n");
    assert_eq!(
        c.try_reply(Duration::from_secs(5)).ok().as_deref(),
        Some("226 Transfer complete.\r\n")
    );
    drop(s);
}

/// T4217-CERT (server side): with client certificates and data-session reuse not required, a
/// data connection that presents another valid client certificate than the control
/// connection's is refused with `522` and sent nothing; the control connection's certificate
/// is taken on a full handshake too.
pub fn data_client_certificate_differs(start: Start) {
    let a = DemoCertificate::generate().expect("demo");
    let b = DemoCertificate::generate().expect("demo");
    let roots = [&a, &b]
        .iter()
        .flat_map(|d| certificates_from_pem(d.cert_pem.as_bytes()).expect("pem"))
        .collect();
    let mut setup = Setup::new(Mode::Explicit);
    setup.require_reuse = false;
    setup.client_certs = ClientCertPolicy::Required(roots);
    let server = start(setup);
    std::fs::write(server.root.join("f.txt"), b"hello\n").expect("write");
    let mut c = Ctl::open_explicit_prot_p(server.addr, &client_tls_with_cert(&a));
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let tcp = c.epsv_connect(None);
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let handshake = tls_connect(client_tls_with_cert(&b).config(), tcp);
    assert_eq!(
        c.reply(),
        "522 TLS negotiation on the data connection failed.\r\n"
    );
    if let Ok(mut s) = handshake {
        let (bytes, closed) = read_until_closed(&mut s, Duration::from_secs(5));
        assert!(closed);
        assert_eq!(bytes, b"");
    }
    let tcp = c.epsv_connect(None);
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut s = tls_connect(client_tls_with_cert(&a).config(), tcp).expect("data TLS");
    assert!(!resumed(&s));
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"hello\n");
    assert_eq!(c.reply(), "226 Transfer complete.\r\n");
}

/// A cleartext data connection under `PROT P` (the client writes its upload in the clear):
/// `522`, and none of the cleartext bytes are stored.
pub fn cleartext_data_under_prot_p(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    let port = c.epsv_port();
    c.send("STOR clear.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut tcp = connect_from(std::net::SocketAddr::new(server.addr.ip(), port), None);
    let _ = tcp.write_all(b"this upload travels in the clear\r\n");
    let _ = tcp.shutdown(Shutdown::Write);
    assert_eq!(
        c.reply(),
        "522 TLS negotiation on the data connection failed.\r\n"
    );
    let stored = file_len(&server.root.join("clear.txt"));
    assert!(matches!(stored, None | Some(0)), "{stored:?}");
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// Garbage instead of a ClientHello on a data connection under `PROT P`: `522`; the session
/// goes on.
pub fn garbage_client_hello_on_data(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    std::fs::write(server.root.join("f.txt"), b"hello\n").expect("write");
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    let port = c.epsv_port();
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut tcp = connect_from(std::net::SocketAddr::new(server.addr.ip(), port), None);
    // A handshake record header announcing a huge length, then junk.
    let mut junk = vec![0x16, 0x03, 0x01, 0xFF, 0xFF];
    junk.extend(payload(2048, 3));
    let _ = tcp.write_all(&junk);
    assert_eq!(
        c.reply(),
        "522 TLS negotiation on the data connection failed.\r\n"
    );
    let (_, closed) = read_until_closed(&mut tcp, Duration::from_secs(5));
    assert!(closed, "garbage data connection still open");
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// Garbage instead of a ClientHello on an implicit-FTPS control connection: the server closes
/// it without a single FTP reply (at most a TLS alert), and still serves the next client.
pub fn garbage_client_hello_implicit(start: Start) {
    let server = start(Setup::new(Mode::Implicit));
    let mut c = Ctl::connect(server.addr);
    c.send_raw(b"USER anonymous\r\nPASS x\r\n");
    c.send_raw(&payload(4096, 5));
    let rest = c.expect_closed(Duration::from_secs(5));
    assert!(
        rest.is_empty() || rest.as_bytes().first() == Some(&0x15),
        "not a TLS alert: {rest:?}"
    );
    assert!(!rest.contains("220"), "{rest:?}");
    // The server is still fine.
    let tls = client_tls();
    let mut ok = Ctl::open_implicit(server.addr, &tls);
    ok.login();
    assert_eq!(ok.code("NOOP"), "200 NOOP ok.");
}

/// Garbage after `234` on an explicit control connection: closed, no FTP reply.
pub fn garbage_client_hello_explicit(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    let mut c = Ctl::open(server.addr);
    assert_eq!(c.cmd("AUTH TLS"), "234 Proceed with TLS negotiation.\r\n");
    c.send_raw(&payload(4096, 6));
    let rest = c.expect_closed(Duration::from_secs(5));
    assert!(
        rest.is_empty() || rest.as_bytes().first() == Some(&0x15),
        "not a TLS alert: {rest:?}"
    );
}

/// Writes `data` on a `STOR part.bin` data connection, waits until the server stored all of
/// it, then resets the connection. Returns the control connection.
fn stor_then_reset(server: &Running, data: &[u8]) -> Ctl {
    let mut c = Ctl::open(server.addr);
    c.login();
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let mut tcp = c.epsv_connect(None);
    c.send("STOR part.bin");
    let r = c.reply();
    assert!(r.starts_with("150 ") || r.starts_with("125 "), "{r}");
    tcp.write_all(data).expect("write data");
    let path = server.root.join("part.bin");
    let want = data.len() as u64;
    assert!(
        eventually(Duration::from_secs(10), || file_len(&path) == Some(want)),
        "server did not store the bytes sent: {:?}",
        file_len(&path)
    );
    abort(tcp);
    c
}

/// A reset in the middle of `STOR` (partial-upload policy `Keep`): `426`, never `226`, and
/// the bytes that arrived stay on disk.
pub fn reset_mid_stor_keep(start: Start) {
    let server = plain(start);
    let data = payload(256 * 1024, 11);
    let mut c = stor_then_reset(&server, &data);
    assert_eq!(c.reply(), "426 Connection closed; transfer aborted.\r\n");
    let stored = std::fs::read(server.root.join("part.bin")).expect("kept file");
    assert!(stored == data, "kept {} bytes", stored.len());
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// A reset in the middle of `STOR` (policy `Delete`): `426`, never `226`, the file is gone.
pub fn reset_mid_stor_delete(start: Start) {
    let mut setup = Setup::new(Mode::Plain);
    setup.delete_partial = true;
    let server = start(setup);
    let data = payload(256 * 1024, 12);
    let mut c = stor_then_reset(&server, &data);
    assert_eq!(c.reply(), "426 Connection closed; transfer aborted.\r\n");
    let path = server.root.join("part.bin");
    assert!(
        eventually(Duration::from_secs(5), || !path.exists()),
        "partial file kept"
    );
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// ATK-TRUNC (server side): a `PROT P` upload whose TCP stream ends without close_notify is
/// a truncation: `426`, never `226`; `Keep` keeps what arrived.
pub fn truncated_tls_stor(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let tcp = c.epsv_connect(None);
    c.send("STOR trunc.bin");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut s = tls_connect(tls.config(), tcp).expect("data TLS");
    let data = payload(100_000, 13);
    s.write_all(&data).expect("write");
    s.flush().expect("flush");
    let path = server.root.join("trunc.bin");
    assert!(eventually(Duration::from_secs(10), || file_len(&path)
        == Some(data.len() as u64)));
    // A FIN without close_notify.
    let _ = s.sock.shutdown(Shutdown::Both);
    assert_eq!(
        c.reply(),
        "426 Upload truncated: data connection closed without TLS close_notify.\r\n"
    );
    assert!(std::fs::read(&path).expect("kept") == data);
    assert_eq!(c.code("NOOP"), "200 NOOP ok.");
}

/// A reset in the middle of `RETR`: `426`, never `226`; the session goes on.
pub fn reset_mid_retr(start: Start) {
    let server = plain(start);
    let big = payload(32 * 1024 * 1024, 14);
    std::fs::write(server.root.join("big.bin"), &big).expect("write");
    drop(big);
    std::fs::write(server.root.join("small.txt"), b"small\n").expect("write");
    let mut c = Ctl::open(server.addr);
    c.login();
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let mut tcp = c.epsv_connect(None);
    c.send("RETR big.bin");
    let r = c.reply();
    assert!(r.starts_with("150 ") || r.starts_with("125 "), "{r}");
    let _ = read_exact_n(&mut tcp, 64 * 1024);
    abort(tcp);
    assert_eq!(c.reply(), "426 Connection closed; transfer aborted.\r\n");
    let mut tcp = c.epsv_connect(None);
    c.send("RETR small.txt");
    let _ = c.reply();
    let mut got = Vec::new();
    tcp.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"small\n");
    assert_eq!(c.reply(), "226 Transfer complete.\r\n");
}

/// ATK-TRAVERSAL: `..`, absolute paths, a symlink to outside the root, NUL and very long
/// names never reach outside the root; exact refusal codes.
pub fn path_escapes(start: Start) {
    let server = plain(start);
    let outside = server.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret.txt"), b"secret\n").expect("secret");
    std::os::unix::fs::symlink(&outside, server.root.join("link")).expect("symlink");
    std::os::unix::fs::symlink(outside.join("secret.txt"), server.root.join("file-link"))
        .expect("symlink");
    std::fs::write(server.root.join("inside.txt"), b"inside\n").expect("inside");
    let mut c = Ctl::open(server.addr);
    c.login();
    let long_path = "d/".repeat(2000);
    let steps: Vec<(String, &str)> = vec![
        // `..` at the root stays at the root.
        ("CWD ..".into(), "250 Directory successfully changed."),
        ("PWD".into(), "257 \"/\" is the current directory."),
        ("CWD ../../etc".into(), "550 No such file or directory."),
        (
            "SIZE ../outside/secret.txt".into(),
            "550 No such file or directory.",
        ),
        (
            "SIZE /../outside/secret.txt".into(),
            "550 No such file or directory.",
        ),
        ("SIZE /etc/passwd".into(), "550 No such file or directory."),
        ("SIZE ../inside.txt".into(), "213 7"),
        // Through the symlinks.
        ("SIZE link/secret.txt".into(), "550 Permission denied."),
        ("SIZE file-link".into(), "550 Permission denied."),
        ("CWD link".into(), "550 Permission denied."),
        ("MKD link/new".into(), "550 Permission denied."),
        ("DELE link/secret.txt".into(), "550 Permission denied."),
        ("DELE file-link".into(), "550 Permission denied."),
        ("RNFR link/secret.txt".into(), "550 Permission denied."),
        ("RNFR inside.txt".into(), "350 Ready for RNTO."),
        ("RNTO link/moved.txt".into(), "550 Permission denied."),
        ("RNFR inside.txt".into(), "350 Ready for RNTO."),
        ("RNTO ../moved.txt".into(), "250 Rename successful."),
        ("EPSV".into(), "229"),
        ("RETR link/secret.txt".into(), "550 Permission denied."),
        ("EPSV".into(), "229"),
        ("STOR link/planted.txt".into(), "550 Permission denied."),
        ("EPSV".into(), "229"),
        (
            "RETR ../outside/secret.txt".into(),
            "550 No such file or directory.",
        ),
        // A very long path (4000 bytes, 2000 components).
        (format!("MKD {long_path}"), "550 Invalid path."),
    ];
    let mut got = Vec::new();
    for (cmd, want) in &steps {
        let r = c.code(cmd);
        // EPSV's port varies: compare its code only.
        let r = if *want == "229" {
            r.get(..3).unwrap_or_default().to_owned()
        } else {
            r
        };
        got.push((cmd.chars().take(40).collect::<String>(), r));
    }
    let want: Vec<(String, String)> = steps
        .iter()
        .map(|(cmd, w)| (cmd.chars().take(40).collect(), (*w).to_owned()))
        .collect();
    assert_eq!(got, want);
    // NUL inside a path (raw byte), and Telnet CR NUL.
    c.send_raw(b"SIZE moved.txt\0../outside/secret.txt\r\n");
    assert_eq!(
        c.reply(),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    c.send_raw(b"SIZE moved.txt\r\0x\r\n");
    assert_eq!(c.reply(), "550 No such file or directory.\r\n");
    // Nothing was created or changed outside the root.
    let mut names: Vec<String> = std::fs::read_dir(&outside)
        .expect("outside")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["secret.txt"]);
    assert_eq!(
        std::fs::read(outside.join("secret.txt")).expect("secret"),
        b"secret\n"
    );
    let mut around: Vec<String> = std::fs::read_dir(server.dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "cert.pem")
        .collect();
    around.sort();
    assert_eq!(around, ["outside", "root"]);
}

/// S2577-BRUTE: failed `PASS` replies are delayed; the third failure is followed by `421` and
/// the close.
pub fn brute_force_pass(start: Start) {
    let delay = Duration::from_millis(300);
    let server = start(Setup::new(Mode::Plain).session(move |s| {
        s.failed_login_delay = delay;
        s.max_login_attempts = 3;
    }));
    let mut c = Ctl::open(server.addr);
    for attempt in 1..=3 {
        assert_eq!(
            c.code(&format!("USER {USER}")),
            "331 Password required.",
            "{attempt}"
        );
        let t0 = Instant::now();
        let r = c.cmd("PASS wrong");
        let waited = t0.elapsed();
        let want = if attempt < 3 {
            "530 Login incorrect.\r\n"
        } else {
            // The last allowed failure is answered 421 directly, then the close.
            "421 Login incorrect. Too many failed attempts; closing.\r\n"
        };
        assert_eq!(r, want, "attempt {attempt}");
        assert!(
            waited >= delay && waited < delay * 5,
            "attempt {attempt}: {waited:?}"
        );
    }
    assert_eq!(c.expect_closed(Duration::from_secs(5)), "");
}

/// H1123-IDLE, ATK-TIMEOUT: after login, one byte per second never completes a command; the
/// idle timer (2 s) must end the session with `421`, then close.
pub fn one_byte_per_second_after_login(start: Start) {
    let server = start(Setup::new(Mode::Plain).session(|s| {
        s.idle_timeout = Duration::from_secs(2);
    }));
    let mut c = Ctl::open(server.addr);
    c.login();
    let t0 = Instant::now();
    let reply = trickle(&mut c);
    let elapsed = t0.elapsed();
    assert_eq!(reply, "421 Idle timeout; closing control connection.\r\n");
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(c.expect_closed(Duration::from_secs(5)), "");
}

/// S2577-PEER (PROT P): a connection from 127.0.0.2 that sends garbage instead of a
/// ClientHello must be dropped like any foreign connection; the real client's transfer works.
pub fn passive_garbage_from_other_address(start: Start) {
    let server = start(Setup::new(Mode::Explicit));
    std::fs::write(server.root.join("f.txt"), b"hello\n").expect("write");
    let tls = client_tls();
    let mut c = Ctl::open_explicit_prot_p(server.addr, &tls);
    assert_eq!(c.code("TYPE I"), "200 Type set to I.");
    let port = c.epsv_port();
    let to = std::net::SocketAddr::new(server.addr.ip(), port);
    let mut thief = connect_from(to, Some(OTHER_LOCAL));
    thief.write_all(&payload(1024, 9)).expect("garbage");
    let (_, closed) = read_until_closed(&mut thief, Duration::from_secs(5));
    assert!(closed);
    let real_tcp = connect_from(to, None);
    c.send("RETR f.txt");
    assert_eq!(c.reply(), "150 Opening data connection.\r\n");
    let mut real = tls_connect(tls.config(), real_tcp).expect("data TLS");
    let mut got = Vec::new();
    real.read_to_end(&mut got).expect("read");
    assert_eq!(got, b"hello\n");
    assert_eq!(c.reply(), "226 Transfer complete.\r\n");
}

/// ATK-TRAVERSAL (very long names): a name over NAME_MAX is refused as a name, `553`.
pub fn long_name_refused(start: Start) {
    let server = start(Setup::new(Mode::Plain));
    let mut c = Ctl::open(server.addr);
    c.login();
    let long_name = "n".repeat(300);
    assert_eq!(
        c.code(&format!("MKD {long_name}")),
        "553 File name not allowed."
    );
    let _port = c.epsv_port();
    assert_eq!(
        c.code(&format!("STOR {long_name}")),
        "553 File name not allowed."
    );
}

/// H7151-SNI: after `AUTH TLS` with the SNI `localhost`, a `HOST` naming another server is
/// refused with `504` before the application sees it; the SNI's name (any case) reaches the
/// application, whose default knows no virtual hosts.
pub fn host_after_tls_must_match_sni(start: Start) {
    let server = start(Setup::new(Mode::Explicit).session(|c| c.features.host = true));
    let mut c = Ctl::open(server.addr);
    c.auth_tls(&client_tls());
    assert_eq!(
        c.cmd("HOST other.example"),
        "504 HOST does not match the TLS server name.\r\n"
    );
    assert_eq!(c.cmd("HOST LOCALHOST"), "504 Unknown host.\r\n");
    c.login();
}

/// One `#[test]` per case, run one at a time (see [`serial`](super::serial)) against the
/// server that `$start` (a [`Start`]) starts. Both adapters' `hostile_server.rs` expand it,
/// so the list of cases and their names is written once.
// Not every test binary that includes `hostile_common` expands it.
#[allow(unused_macros)]
macro_rules! server_tests {
    ($start:path) => {
        $crate::hostile_common::server_cases::server_tests! { @each $start;
            /// FRM-MAXCMD
            frm_maxcmd_1mib_line_500_then_session_goes_on => long_line_1mib;
            /// FRM-MAXCMD
            frm_maxcmd_1mib_without_line_end_then_crlf => long_line_without_end_then_end;
            /// 10,000 pipelined commands.
            pipelined_10000_noops_answered_in_order => pipelined_10000_noops;
            /// ATK-TIMEOUT (slow client before login)
            atk_timeout_one_byte_per_second_before_login_421 => one_byte_per_second_before_login;
            /// ATK-TLSINJ-S
            atk_tlsinj_s_auth_with_pipelined_user_closes => auth_tls_with_pipelined_user;
            /// S2577-BOUNCE, S2577-LOWPORT
            s2577_bounce_lowport_port_eprt_refused => port_bounce_refused;
            /// S2577-PEER
            s2577_peer_passive_from_other_address_refused => passive_from_other_address;
            /// S2577-PEER, ATK-STEAL
            s2577_peer_tls_thief_from_other_address_refused => passive_tls_from_other_address;
            /// T4217-REUSE, ATK-STEAL
            t4217_reuse_fresh_data_tls_session_522 => data_tls_not_resumed;
            /// ATK-STEAL (another control session's TLS session)
            atk_steal_other_sessions_tls_session_522 => data_tls_resumes_other_session;
            /// T4217-REUSE (cleartext data under PROT P)
            cleartext_data_under_prot_p_522 => cleartext_data_under_prot_p;
            /// Garbage ClientHello on a data connection.
            garbage_client_hello_on_data_522 => garbage_client_hello_on_data;
            /// Garbage ClientHello, implicit control connection.
            garbage_client_hello_implicit_closed => garbage_client_hello_implicit;
            /// Garbage ClientHello after 234.
            garbage_client_hello_explicit_closed => garbage_client_hello_explicit;
            /// Reset mid-STOR, partial uploads kept.
            reset_mid_stor_426_partial_kept => reset_mid_stor_keep;
            /// Reset mid-STOR, partial uploads deleted.
            reset_mid_stor_426_partial_deleted => reset_mid_stor_delete;
            /// ATK-TRUNC (server side)
            atk_trunc_tls_upload_without_close_notify_426 => truncated_tls_stor;
            /// Reset mid-RETR.
            reset_mid_retr_426_session_goes_on => reset_mid_retr;
            /// ATK-TRAVERSAL
            atk_traversal_path_escapes_refused => path_escapes;
            /// S2577-BRUTE
            s2577_brute_delay_cap_421 => brute_force_pass;
            /// H1123-IDLE, ATK-TIMEOUT (slow client after login)
            h1123_idle_one_byte_per_second_421_then_close => one_byte_per_second_after_login;
            /// S2577-PEER (PROT P): a foreign garbage sender is dropped before TLS
            s2577_peer_garbage_thief_does_not_kill_transfer => passive_garbage_from_other_address;
            /// ATK-TRAVERSAL (name over NAME_MAX)
            atk_traversal_long_name_553 => long_name_refused;
            /// H7151-SNI
            h7151_sni_host_after_tls_must_match => host_after_tls_must_match_sni;
            /// T4217-CERT (server side)
            t4217_cert_data_client_certificate_differs_522 => data_client_certificate_differs;
        }
    };
    (@each $start:path; $($(#[$meta:meta])* $name:ident => $case:ident;)*) => {$(
        $(#[$meta])*
        #[test]
        fn $name() {
            let _serial = $crate::hostile_common::serial();
            $crate::hostile_common::server_cases::$case($start);
        }
    )*};
}

#[allow(unused_imports)]
pub(crate) use server_tests;
