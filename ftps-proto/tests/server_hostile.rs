//! Server session: hostile input. Over-long lines, traversal, reply injection, Telnet, junk.
mod server_common;

use ftps_proto::server::{Request, Response, ServerConfig};
use ftps_proto::session::CloseReason;
use server_common::{assert_well_formed, Driver};

#[test]
fn frm_maxcmd_1mib_without_line_end_500_and_bounded() {
    let mut d = Driver::logged_in();
    let chunk = vec![b'A'; 64 * 1024];
    for _ in 0..16 {
        d.send(&chunk);
    }
    // The line is refused as soon as it passes the limit, once.
    assert_eq!(d.take(), "500 Command line too long.\r\n");
    assert!(d.closed.is_none());
    d.send(b"\r\nNOOP\r\n");
    assert_eq!(d.take(), "200 NOOP ok.\r\n");
}

#[test]
fn frm_maxcmd_pipelined_flood_while_waiting_closes_421() {
    let mut d = Driver::logged_in();
    d.send(b"CWD x\r\n");
    let flood = b"NOOP\r\n".repeat(20 * 1024);
    d.send(&flood);
    assert_eq!(d.take(), "421 Too many pipelined commands; closing.\r\n");
    assert_eq!(
        d.closed,
        Some(CloseReason::ProtocolViolation(
            "too many pipelined commands"
        ))
    );
}

/// Over-long lines that alternate between the command and the security-command limits while a
/// command waits (here: a storage answer) leave error records but no bytes: they count towards
/// the pipelining bound too, so the flood ends with `421` instead of growing without end (a
/// server fuzz find, during a delayed greeting).
#[test]
fn frm_maxcmd_overlong_line_flood_while_waiting_closes_421() {
    let mut config = ServerConfig::default();
    config.limits.max_line = 64;
    config.limits.max_security_line = 32;
    config.max_pipelined = 4096;
    let mut d = Driver::logged_in_with(config.clone());
    d.send(b"CWD x\r\n");
    let long_security = format!("ADAT {}\r\n", "A".repeat(40));
    let long_command = format!("NOOP {}\r\n", "B".repeat(100));
    let mut rounds = 0;
    while d.closed.is_none() && rounds < 100_000 {
        d.send(long_security.as_bytes());
        d.send(long_command.as_bytes());
        rounds += 1;
    }
    // Each round leaves two error records (24 bytes each on 64-bit targets) and no bytes.
    assert!(rounds < 1_000, "{rounds} rounds");
    assert_eq!(d.take(), "421 Too many pipelined commands; closing.\r\n");
    assert_eq!(
        d.closed,
        Some(CloseReason::ProtocolViolation(
            "too many pipelined commands"
        ))
    );
    // Over-long lines of one limit merge into one record, but each still waits for its own
    // `500`: they count one by one (a later fuzz find: after the wait, thousands of replies
    // came out in one burst).
    let mut d = Driver::logged_in_with(config);
    d.send(b"CWD x\r\n");
    let mut rounds = 0;
    while d.closed.is_none() && rounds < 100_000 {
        d.send(long_command.as_bytes());
        rounds += 1;
    }
    assert!(rounds < 1_000, "{rounds} rounds");
    assert_eq!(d.take(), "421 Too many pipelined commands; closing.\r\n");
}

#[test]
fn atk_traversal_paths_clamped_at_root() {
    let mut d = Driver::logged_in();
    for (line, want) in [
        ("CWD ../../etc\r\n", &b"/etc"[..]),
        ("RETR /../etc/passwd\r\n", b"/etc/passwd"),
        ("RNFR ../x\r\n", b"/x"),
        ("MKD a/../../b\r\n", b"/b"),
    ] {
        if line.starts_with("RETR") {
            d.pasv();
        }
        d.send(line.as_bytes());
        let (id, req) = d.request();
        let path = match &req {
            Request::ChangeDir { path }
            | Request::Retrieve { path, .. }
            | Request::RenameFrom { path }
            | Request::MakeDir { path } => path.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(path.as_bytes(), want, "{line}");
        d.reply_to(
            id,
            Response::Error(ftps_proto::session::StorageError::NotFound),
        );
    }
    d.take();
    // A NUL is refused before any request (ARG-STRING).
    assert_eq!(
        d.cmd("DELE a\0b\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    assert!(d.requests.is_empty());
}

#[test]
fn rep_sanitize_crlf_in_echoed_path_never_splits_reply() {
    let mut d = Driver::logged_in();
    // FRM-CRNUL: CR NUL inside a path decodes to CR; the 257 echo must not split.
    d.send(b"MKD a\r\0\n230 ok\r\n");
    d.answer(Response::Ok);
    let out = d.take();
    assert_eq!(out, "257 \"/a  230 ok\" created.\r\n");
    assert_well_formed(out.as_bytes());
}

#[test]
fn rep_sanitize_user_controlled_stat_and_site() {
    let mut c = ServerConfig::default();
    c.features.site = true;
    let mut d = Driver::logged_in_with(c);
    d.send(b"SITE x\r\n");
    d.answer(Response::Site {
        code: ftps_proto::ReplyCode::C200,
        text: b"one\n230 fake\r\n".to_vec(),
    });
    let out = d.take();
    // REP-PAD: an inner line starting with digits is padded.
    assert_eq!(out, "200-one\r\n 230 fake \r\n200 \r\n");
    assert_well_formed(out.as_bytes());
}

#[test]
fn frm_iac_negotiation_refused_and_stripped() {
    let mut d = Driver::logged_in();
    d.send(b"\xff\xfd\x01NOOP\r\n");
    assert_eq!(std::mem::take(&mut d.wire), b"\xff\xfc\x01200 NOOP ok.\r\n");
    d.send(b"AB\xff\xf4\xff\xf2OR\r\n");
    assert_eq!(d.take(), "226 No transfer to abort.\r\n");
}

#[test]
fn hostile_bytes_in_verbs() {
    let mut d = Driver::logged_in();
    for line in [
        &b"\0\0\0\r\n"[..],
        b"\xff\xff\r\n",
        b"\xc3\x28\r\n",
        b"\r\n",
        b"   \r\n",
    ] {
        d.send(line);
        let out = d.take();
        assert_eq!(
            out, "500 Syntax error, command unrecognized.\r\n",
            "{line:?}"
        );
    }
    assert_eq!(
        d.cmd("REST 99999999999999999999999\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    assert_eq!(
        d.cmd("PORT 1,2,3,4,5\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    assert!(d.closed.is_none());
}
