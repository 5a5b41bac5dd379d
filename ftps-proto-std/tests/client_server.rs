//! The std client against the std server, in every mode: explicit, implicit and plain;
//! passive and active; PROT P and PROT C; with sha256-checked round trips, resume, listings and
//! file commands. 127.0.0.1 only; every test is bounded by a timeout.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{bounded, payload, sha256, sha256_file, Mode, TestServer, PASSWORD, USER};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto_std::client::{Client, ConnectOptions, Error};
use ftps_proto_std::support::tls::ClientTls;

const LIMIT: Duration = Duration::from_secs(90);

fn options(server: &TestServer, mode: Mode, active: bool, prot: ProtectionLevel) -> ConnectOptions {
    let mut o = match mode {
        Mode::Plain => ConnectOptions::plain_insecure(),
        Mode::Explicit => ConnectOptions::explicit(ClientTls::with_ca_file(&server.cert).unwrap()),
        Mode::Implicit => ConnectOptions::implicit(ClientTls::with_ca_file(&server.cert).unwrap()),
    };
    o.config.active = active;
    o.config.protection = prot;
    o
}

/// Upload, download, resume, append, listing and file commands in one session.
fn round_trip(mode: Mode, active: bool, prot: ProtectionLevel) {
    let server = TestServer::start(mode, true);
    let opts = options(&server, mode, active, prot);
    let mut client = Client::connect("localhost", server.addr.port(), opts).expect("connect");
    assert_eq!(client.is_control_tls(), mode != Mode::Plain);
    client.login(USER, PASSWORD).expect("login");

    let data = payload(2 * 1024 * 1024 + 3, 7);
    let sent = client.stor("big.bin", &mut &data[..]).expect("stor");
    assert_eq!(sent, data.len() as u64);
    assert_eq!(sha256_file(&server.root.join("big.bin")), sha256(&data));

    let mut back = Vec::new();
    let got = client.retr("big.bin", &mut back).expect("retr");
    assert_eq!(got, data.len() as u64);
    assert_eq!(sha256(&back), sha256(&data));

    // X3659-REST: download from an offset, and through the Read form.
    let mut tail = Vec::new();
    client
        .retr_from("big.bin", 1_000_000, &mut tail)
        .expect("retr rest");
    assert_eq!(tail, data[1_000_000..]);
    let mut reader = client.retr_reader("big.bin", 2_000_000).expect("reader");
    let mut via_reader = Vec::new();
    reader.read_to_end(&mut via_reader).expect("read");
    let total = reader.finish().expect("finish");
    assert_eq!(via_reader, data[2_000_000..]);
    assert_eq!(total, via_reader.len() as u64);

    // Resume an upload: keep 100 bytes, send the rest from there.
    std::fs::write(server.root.join("part.bin"), &data[..100]).unwrap();
    assert_eq!(client.size("part.bin").expect("size"), 100);
    client
        .stor_from("part.bin", 100, &mut &data[100..5000])
        .expect("stor rest");
    assert_eq!(
        std::fs::read(server.root.join("part.bin")).unwrap(),
        data[..5000]
    );

    // C959-APPE
    client.appe("part.bin", &mut &b"xyz"[..]).expect("appe");
    assert_eq!(client.size("part.bin").unwrap(), 5003);

    // The Write form of an upload.
    let mut writer = client.stor_writer("w.bin").expect("writer");
    writer.write_all(&data[..70_000]).expect("write");
    assert_eq!(writer.finish().expect("finish upload"), 70_000);
    assert_eq!(
        std::fs::read(server.root.join("w.bin")).unwrap(),
        data[..70_000]
    );
    client.delete("w.bin").expect("dele w.bin");

    // TYPE A both ways: LF locally, CRLF on the wire (stored as sent by the server's side).
    client
        .stor_ascii("t.txt", &mut &b"one\ntwo\n"[..])
        .expect("stor ascii");
    assert_eq!(
        std::fs::read(server.root.join("t.txt")).unwrap(),
        b"one\ntwo\n"
    );
    let mut text = Vec::new();
    client.retr_ascii("t.txt", &mut text).expect("retr ascii");
    assert_eq!(text, b"one\ntwo\n");
    client.delete("t.txt").expect("dele t.txt");

    // C959-STOU: the server names the file.
    let name = client.stou(&mut &b"unique"[..]).expect("stou");
    let name = name.expect("STOU names the file");
    assert_eq!(std::fs::read(server.root.join(&name)).unwrap(), b"unique");
    client.delete(&name).expect("dele stou file");

    // An abandoned upload is aborted, never confirmed; the session goes on.
    let mut writer = client.stor_writer("gone.bin").expect("writer");
    writer.write_all(b"partial").expect("write");
    writer.abort().expect("abort");
    client.noop().expect("noop after abort");
    let _ = client.delete("gone.bin");

    // Directory commands and listings.
    assert_eq!(client.mkdir("sub").expect("mkd"), "/sub");
    client.cwd("sub").expect("cwd");
    assert_eq!(client.pwd().expect("pwd"), "/sub");
    client.cwd("/").expect("cwd /");
    client.rename("part.bin", "sub/moved.bin").expect("rename");
    let mut names = client.nlst(None).expect("nlst");
    names.sort();
    assert_eq!(names, ["big.bin", "sub"]);
    let entries = client.mlsd(Some("sub")).expect("mlsd");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"moved.bin");
    assert_eq!(entries[0].size, Some(5003));
    let lines = client.list(None).expect("list");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.ends_with(" big.bin") && l.starts_with('-')));
    client.mdtm("big.bin").expect("mdtm");
    client.delete("sub/moved.bin").expect("dele");
    client.rmdir("sub").expect("rmd");
    assert!(!server.root.join("sub").exists());

    // A refused command reports the server's reply (C959-DELE: missing file -> 550).
    match client.delete("missing") {
        Err(Error::Ftp(e)) => assert!(e.to_string().contains("550"), "{e}"),
        other => panic!("expected a 550 refusal, got {other:?}"),
    }
    client.quit().expect("quit");
    server.stop();
}

macro_rules! mode_test {
    ($name:ident, $mode:expr, $active:expr, $prot:expr) => {
        #[test]
        fn $name() {
            bounded(LIMIT, || round_trip($mode, $active, $prot));
        }
    };
}

// T4217-DATATLS, ADP-RESUME (reuse required by the server), ADP-CLOSE
mode_test!(
    explicit_passive_prot_p,
    Mode::Explicit,
    false,
    ProtectionLevel::Private
);
// ADP-ACTIVE, T4217-TLSROLE
mode_test!(
    explicit_active_prot_p,
    Mode::Explicit,
    true,
    ProtectionLevel::Private
);
// T4217-PROTCP
mode_test!(
    explicit_passive_prot_c,
    Mode::Explicit,
    false,
    ProtectionLevel::Clear
);
mode_test!(
    explicit_active_prot_c,
    Mode::Explicit,
    true,
    ProtectionLevel::Clear
);
// IMP-STATE, IMP-PORT
mode_test!(
    implicit_passive_prot_p,
    Mode::Implicit,
    false,
    ProtectionLevel::Private
);
mode_test!(
    implicit_active_prot_p,
    Mode::Implicit,
    true,
    ProtectionLevel::Private
);
mode_test!(plain_passive, Mode::Plain, false, ProtectionLevel::Clear);
mode_test!(plain_active, Mode::Plain, true, ProtectionLevel::Clear);

// ADP-VERIFY: a self-signed server without the CA configured fails the handshake.
#[test]
fn adp_verify_unknown_ca_fails() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        let tls = ClientTls::new(
            ftps_proto_std::support::tls::ServerVerification::WebPkiRoots,
            None,
        )
        .unwrap();
        let result = Client::connect(
            "localhost",
            server.addr.port(),
            ConnectOptions::explicit(tls),
        );
        match result {
            Err(Error::Ftp(ftps_proto::client::ClientError::TlsFailed)) => {}
            other => panic!("expected TlsFailed, got {other:?}"),
        }
        server.stop();
    });
}

// T4217-CCC, ADP-CLOSE: CCC, then the session goes on in cleartext; data stays PROT P.
#[test]
fn adp_close_ccc_then_transfer() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        let mut opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
        // CCC is refused locally when TLS is required for the whole session.
        opts.config.security = ftps_proto::client::ClientSecurity::Explicit {
            policy: ftps_proto::client::TlsPolicy::Opportunistic,
            auth_ssl_fallback: false,
        };
        let mut client = Client::connect("localhost", server.addr.port(), opts).unwrap();
        client.login(USER, PASSWORD).unwrap();
        client.ccc().expect("ccc");
        assert!(!client.is_control_tls());
        std::fs::write(server.root.join("c.txt"), b"after ccc").unwrap();
        let mut v = Vec::new();
        client.retr("c.txt", &mut v).expect("retr after ccc");
        assert_eq!(v, b"after ccc");
        assert_eq!(client.pwd().expect("pwd in cleartext"), "/");
        client.quit().unwrap();
        server.stop();
    });
}

// ADP-RESUME: many transfers in one TLS 1.3 session, each data connection resuming (uploads
// spend a control ticket each; downloads get one back on their data connection).
#[test]
fn adp_resume_many_transfers_one_session() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        std::fs::write(server.root.join("n.txt"), b"n").unwrap();
        let opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
        let mut client = Client::connect("localhost", server.addr.port(), opts).unwrap();
        client.login(USER, PASSWORD).unwrap();
        for i in 0..40 {
            let mut v = Vec::new();
            client
                .retr("n.txt", &mut v)
                .unwrap_or_else(|e| panic!("download {i}: {e}"));
            assert_eq!(v, b"n");
        }
        for i in 0..20 {
            client
                .stor(&format!("u{i}.txt"), &mut &b"u"[..])
                .unwrap_or_else(|e| panic!("upload {i}: {e}"));
        }
        assert_eq!(client.nlst(None).unwrap().len(), 21);
        client.quit().unwrap();
        server.stop();
    });
}

// T4217-POLICY: with TLS required, a plain client's login is refused; nothing is created.
#[test]
fn t4217_policy_plain_login_refused() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        let mut client = Client::connect(
            "localhost",
            server.addr.port(),
            ConnectOptions::plain_insecure(),
        )
        .expect("connect");
        match client.login(USER, PASSWORD) {
            Err(Error::Ftp(e)) => assert!(e.to_string().contains("530"), "{e}"),
            other => panic!("expected a 530 refusal, got {other:?}"),
        }
        server.stop();
    });
}

// Graceful shutdown: an idle logged-in session gets 421 and is closed; serve() returns.
#[test]
fn shutdown_closes_idle_sessions() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        let opts = options(&server, Mode::Explicit, false, ProtectionLevel::Private);
        let mut client = Client::connect("localhost", server.addr.port(), opts).unwrap();
        client.login(USER, PASSWORD).unwrap();
        server.stop();
        match client.noop() {
            Err(Error::Closed(_)) | Err(Error::Ftp(_)) => {}
            other => panic!("expected the session to be closed, got {other:?}"),
        }
    });
}

/// T4217-REUSE, ATK-STEAL: two sessions to one server from clones of one `ClientTls`; each
/// control connection gets its own resumption store, so A's data connection (opened after B
/// logged in) resumes A's control session and the server requiring that accepts it.
#[test]
fn t4217_reuse_two_sessions_sharing_client_tls() {
    bounded(LIMIT, || {
        let server = TestServer::start(Mode::Explicit, true);
        std::fs::write(server.root.join("f.txt"), b"hello\n").unwrap();
        let tls = ClientTls::with_ca_file(&server.cert).unwrap();
        let opts = || ConnectOptions::explicit(tls.clone());
        let port = server.addr.port();
        let mut a = Client::connect("localhost", port, opts()).expect("A");
        a.login(USER, PASSWORD).expect("A login");
        let mut b = Client::connect("localhost", port, opts()).expect("B");
        b.login(USER, PASSWORD).expect("B login");
        let mut got = Vec::new();
        a.retr("f.txt", &mut got)
            .expect("A's download resumes A's session");
        assert_eq!(got, b"hello\n");
        let mut got = Vec::new();
        b.retr("f.txt", &mut got).expect("B's download");
        assert_eq!(got, b"hello\n");
        a.quit().unwrap();
        b.quit().unwrap();
    });
}
