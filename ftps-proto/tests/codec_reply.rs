//! The reply codec: `Reply::parse`, `ReplyAssembler`, `Reply::encode` and the body parsers.
//! CONFORMANCE section 3 (REP-*), FRM-LF / FRM-IAC / FRM-MAXREP / FRM-8BIT for replies,
//! S2228-6YZ / S2228-PBSZ, C959-PASV / C959-PWD / C959-MKD / C959-STOU, F2389-*, E2428-229 /
//! E2428-522, X3659-SIZE / X3659-MDTM / X3659-OPTS.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use ftps_proto::codec::reply_body::{
    parse_110_mark, parse_213_size, parse_213_time, parse_227, parse_228, parse_229, parse_257,
    parse_522_families, parse_feat, parse_pbsz, parse_stou_file, write_227_text, write_229_text,
    write_257_text, write_522_families, write_522_families_of, Features, MAX_FEATURES,
};
use ftps_proto::codec::{EncodeError, ReplyAssembler, ReplyError};
use ftps_proto::timeval::TimeVal;
use ftps_proto::{Limits, Reply, ReplyCode, Status};
use proptest::prelude::*;

const MIB: usize = 1024 * 1024;

fn code(n: u16) -> ReplyCode {
    ReplyCode::new(n).expect("test codes are in range")
}

fn limits() -> Limits {
    Limits::default()
}

/// Every reply in `wire`, decoded with `Reply::parse` from the whole buffer; panics unless the
/// buffer is used up exactly.
fn parse_all(wire: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        match Reply::parse(rest, &limits()) {
            Ok(Status::Complete((used, reply))) => {
                assert!(used > 0 && used <= rest.len());
                out.push((reply.code().get(), reply.text().to_vec()));
                rest = &rest[used..];
            }
            other => panic!("unexpected {other:?} at {rest:?}"),
        }
    }
    out
}

/// The same, byte by byte: a test framer splits lines (CRLF or LF), undoes `IAC IAC`, and
/// feeds a `ReplyAssembler`.
fn assemble_bytewise(wire: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut assembler = ReplyAssembler::new(limits());
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut iac = false;
    for &b in wire {
        if b == 0xFF && !iac {
            iac = true;
            continue;
        }
        iac = false;
        if b != b'\n' {
            line.push(b);
            continue;
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if let Some(reply) = assembler.push_line(&line).expect("valid line") {
            out.push((reply.code().get(), reply.text().to_vec()));
        }
        line.clear();
    }
    assert!(line.is_empty(), "trailing bytes without a line end");
    assert!(!assembler.in_progress());
    out
}

/// `Reply::parse` on every prefix of the first reply: `Partial` until it is whole, then the
/// same reply as from the whole buffer.
fn parse_growing(wire: &[u8]) -> (usize, u16, Vec<u8>) {
    for n in 0..=wire.len() {
        match Reply::parse(&wire[..n], &limits()).expect("valid prefix") {
            Status::Partial => continue,
            Status::Complete((used, reply)) => {
                assert_eq!(used, n, "completes exactly when its last line end arrives");
                return (used, reply.code().get(), reply.text().to_vec());
            }
        }
    }
    panic!("never complete");
}

/// The test triad: whole buffer, byte at a time (assembler and growing prefixes), and with
/// trailing data left intact.
fn triad(wire: &[u8], expected: &[(u16, &[u8])]) {
    let expected: Vec<(u16, Vec<u8>)> = expected.iter().map(|(c, t)| (*c, t.to_vec())).collect();
    assert_eq!(parse_all(wire), expected, "whole buffer");
    assert_eq!(assemble_bytewise(wire), expected, "assembler, byte by byte");
    let (used, c, text) = parse_growing(wire);
    assert_eq!((c, text), expected[0].clone(), "growing prefixes");
    let mut trailing = wire[..used].to_vec();
    trailing.extend_from_slice(b"230 next reply\r\n");
    match Reply::parse(&trailing, &limits()) {
        Ok(Status::Complete((n, reply))) => {
            assert_eq!(n, used, "trailing data left intact");
            assert_eq!((reply.code().get(), reply.text().to_vec()), expected[0]);
            assert_eq!(&trailing[n..], b"230 next reply\r\n");
        }
        other => panic!("{other:?}"),
    }
}

fn parse_err(wire: &[u8], lim: &Limits) -> ReplyError {
    match Reply::parse(wire, lim) {
        Err(e) => e,
        Ok(other) => panic!("expected an error, got {other:?}"),
    }
}

fn assembler_err(lines: &[&[u8]], lim: Limits) -> (usize, ReplyError) {
    let mut assembler = ReplyAssembler::new(lim);
    for (i, line) in lines.iter().enumerate() {
        if let Err(e) = assembler.push_line(line) {
            assert!(!assembler.in_progress(), "reset after an error");
            return (i, e);
        }
    }
    panic!("no error");
}

fn encode(reply: &Reply<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    reply.encode(&mut out).expect("valid code");
    out
}

// ---- ReplyCode (REP-DIGIT, REP-FORMAT) ----

#[test]
fn rep_digit_classes() {
    let c = code(150);
    assert_eq!((c.class(), c.group()), (1, 5));
    assert!(c.is_preliminary() && !c.is_completion());
    assert!(code(299).is_completion()); // an unknown 2yz is success
    assert!(code(350).is_intermediate());
    assert!(code(421).is_transient_negative());
    assert!(code(599).is_permanent_negative());
    assert!(code(631).is_protected() && !code(631).is_permanent_negative());
    assert_eq!(code(257).digits(), *b"257");
    assert_eq!(code(100).to_string(), "100");
    assert_eq!(ReplyCode::C226.to_string(), "226");
    assert_eq!(ReplyCode::new(99), None);
    assert_eq!(ReplyCode::new(700), None);
    assert_eq!(ReplyCode::new(600).map(ReplyCode::get), Some(600));
}

// ---- decoding: REP-FORMAT ----

#[test]
fn rep_format_single_line_borrows() {
    let wire = b"200 OK\r\n";
    let Ok(Status::Complete((used, reply))) = Reply::parse(wire, &limits()) else {
        panic!("complete");
    };
    assert_eq!(used, 8);
    assert_eq!(reply.code(), ReplyCode::C200);
    assert_eq!(reply.text(), b"OK");
    assert!(!reply.is_multiline());
    assert_eq!(reply.text().as_ptr(), wire[4..].as_ptr(), "zero-copy");
    triad(wire, &[(200, b"OK")]);
}

#[test]
fn rep_format_bad_codes_are_invalid_code() {
    for wire in [
        &b"20 OK\r\n"[..],
        b"2000 x\r\n",
        b"700 x\r\n",
        b"99 x\r\n",
        b"099 x\r\n",
        b"abc\r\n",
        b"2a0 x\r\n",
        b" 200 x\r\n",
        b"200\tx\r\n",
        b"\r\n",
        b"\x00\r\n",
        b"\xff\xff\xff\r\n",
    ] {
        assert_eq!(
            parse_err(wire, &limits()),
            ReplyError::InvalidCode,
            "{wire:?}"
        );
        let line = wire.strip_suffix(b"\r\n").unwrap();
        assert_eq!(
            assembler_err(&[line], limits()),
            (0, ReplyError::InvalidCode)
        );
    }
}

#[test]
fn rep_format_invalid_code_is_seen_before_the_line_end() {
    for partial in [&b"a"[..], b"7", b"2x", b"20 ", b"2000", b"200x"] {
        assert_eq!(
            parse_err(partial, &limits()),
            ReplyError::InvalidCode,
            "{partial:?}"
        );
    }
    for partial in [
        &b""[..],
        b"2",
        b"20",
        b"200",
        b"200\r",
        b"200-",
        b"200 text",
    ] {
        assert_eq!(
            Reply::parse(partial, &limits()),
            Ok(Status::Partial),
            "{partial:?}"
        );
    }
}

#[test]
fn rep_format_6yz_codes_are_valid() {
    triad(b"600 x\r\n", &[(600, b"x")]);
    triad(b"631 QUJD\r\n", &[(631, b"QUJD")]);
}

#[test]
fn rep_format_bare_code_single_line() {
    triad(b"200\r\n", &[(200, b"")]);
}

#[test]
fn frm_lf_bare_lf_accepted() {
    triad(b"200 ok\n", &[(200, b"ok")]);
    triad(b"226-a\n b\r\n226 c\n", &[(226, b"a\n b\nc")]);
}

#[test]
fn frm_eol_several_replies_in_one_buffer() {
    triad(
        b"150 Opening\r\n226-Options: -l \r\n226 9 matches total\r\n",
        &[(150, b"Opening"), (226, b"Options: -l \n9 matches total")],
    );
}

// ---- REP-MULTI / REP-BARE / REP-ANYMULTI ----

#[test]
fn rep_multi_rfc959_example() {
    let wire = b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n";
    triad(
        wire,
        &[(
            123,
            b"First line\nSecond line\n  234 A line beginning with numbers\nThe last line",
        )],
    );
    let Ok(Status::Complete((_, reply))) = Reply::parse(wire, &limits()) else {
        panic!();
    };
    assert!(reply.is_multiline());
    assert_eq!(reply.lines().count(), 4);
}

#[test]
fn rep_multi_other_codes_inside_are_text() {
    triad(
        b"211-a\r\n211-b\r\n250 c\r\n456 y\r\n123-x\r\n2111 no\r\n211\tno\r\n211 end\r\n",
        &[(211, b"a\n211-b\n250 c\n456 y\n123-x\n2111 no\n211\tno\nend")],
    );
}

#[test]
fn rep_multi_empty_inner_lines() {
    triad(b"220-\r\n\r\n\r\n220 \r\n", &[(220, b"\n\n\n")]);
}

#[test]
fn rep_bare_final_code() {
    triad(b"226-x\r\n226\r\n", &[(226, b"x\n")]);
}

#[test]
fn rep_anymulti_quit_and_pasv() {
    triad(b"221-bye\r\n221 bye\r\n", &[(221, b"bye\nbye")]);
    let wire = b"227-Entering Passive Mode\r\n227 (10,0,0,1,4,1)\r\n";
    triad(wire, &[(227, b"Entering Passive Mode\n(10,0,0,1,4,1)")]);
    let Ok(Status::Complete((_, reply))) = Reply::parse(wire, &limits()) else {
        panic!();
    };
    assert_eq!(
        parse_227(reply.text()),
        Ok(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 1025))
    );
}

#[test]
fn s2228_6yz_fragments() {
    triad(b"631-QUJD\r\n631 REVG\r\n", &[(631, b"QUJD\nREVG")]);
    // Every line but the last carries `63z-`; the prefix is removed from inner lines too.
    triad(b"632-A\r\n632-B\r\n632 C\r\n", &[(632, b"A\nB\nC")]);
    let reply = Reply::new(code(633), &b"A\nB\nC"[..]);
    assert_eq!(encode(&reply), b"633-A\r\n633-B\r\n633 C\r\n");
}

#[test]
fn frm_8bit_nul_and_invalid_utf8_kept() {
    triad(b"200 a\x00b\xe9\x80\r\n", &[(200, b"a\x00b\xe9\x80")]);
    let Ok(Status::Complete((_, reply))) = Reply::parse(b"550 caf\xe9\r\n", &limits()) else {
        panic!();
    };
    assert_eq!(reply.text_lossy(), "caf\u{fffd}");
    let owned: Reply<'static> = reply.into_owned();
    assert_eq!(owned.text(), b"caf\xe9");
}

#[test]
fn frm_iac_undone_by_parse() {
    // IAC IAC is a data 0xFF; IAC IP and IAC WILL x are dropped.
    let wire = b"200 a\xff\xffb\xff\xf4c\xff\xfb\x01d\r\n";
    let Ok(Status::Complete((used, reply))) = Reply::parse(wire, &limits()) else {
        panic!();
    };
    assert_eq!(used, wire.len());
    assert_eq!(reply.text(), b"a\xffbcd");
    assert!(
        matches!(Reply::parse(b"211-\xff\xff\r\n\xff\xff\r\n211 \xff\xff\r\n", &limits()),
        Ok(Status::Complete((_, r))) if r.text() == b"\xff\n\xff\n\xff")
    );
}

// ---- limits: FRM-MAXREP ----

#[test]
fn frm_maxrep_too_many_lines() {
    let mut lim = limits();
    lim.max_reply_lines = 5;
    let ok = b"220-1\r\n2\r\n3\r\n4\r\n220 5\r\n";
    assert!(matches!(Reply::parse(ok, &lim), Ok(Status::Complete((n, _))) if n == ok.len()));
    let bad = b"220-1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n";
    assert_eq!(parse_err(bad, &lim), ReplyError::TooManyLines);
    let lines: Vec<&[u8]> = vec![b"220-1", b"2", b"3", b"4", b"5", b"6"];
    assert_eq!(assembler_err(&lines, lim), (5, ReplyError::TooManyLines));
}

#[test]
fn frm_maxrep_endless_multiline_default_limits() {
    // `220-` and then lines forever: the error comes at line max_reply_lines + 1.
    let mut assembler = ReplyAssembler::new(limits());
    assert_eq!(assembler.push_line(b"220-welcome"), Ok(None));
    let mut n = 1;
    let err = loop {
        n += 1;
        match assembler.push_line(b"more") {
            Ok(None) => continue,
            Ok(Some(r)) => panic!("{r:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        (n, err),
        (limits().max_reply_lines + 1, ReplyError::TooManyLines)
    );
    assert!(!assembler.in_progress());
    // Back between replies: the next reply decodes.
    let reply = assembler.push_line(b"421 bye").unwrap().unwrap();
    assert_eq!(reply.code(), ReplyCode::C421);

    let mut wire = b"220-welcome\r\n".to_vec();
    for _ in 0..2000 {
        wire.extend_from_slice(b"more\r\n");
    }
    assert_eq!(parse_err(&wire, &limits()), ReplyError::TooManyLines);
}

#[test]
fn frm_maxrep_one_mib_line() {
    let mut line = b"200 ".to_vec();
    line.resize(MIB, b'a');
    // Without a line end: refused as soon as it is past max_line, not buffered forever.
    assert_eq!(parse_err(&line, &limits()), ReplyError::TooLong);
    assert_eq!(parse_err(&line[..8192 + 1], &limits()), ReplyError::TooLong);
    assert_eq!(Reply::parse(&line[..8192], &limits()), Ok(Status::Partial));
    // Inside a multi-line reply.
    let mut multi = b"211-x\r\n".to_vec();
    multi.extend_from_slice(&line);
    assert_eq!(parse_err(&multi, &limits()), ReplyError::TooLong);
    // With its line end, and through the assembler.
    line.extend_from_slice(b"\r\n");
    assert_eq!(parse_err(&line, &limits()), ReplyError::TooLong);
    let long = vec![b'a'; MIB];
    assert_eq!(
        assembler_err(&[b"211-x", &long], limits()),
        (1, ReplyError::TooLong)
    );
    let mut first = b"200 ".to_vec();
    first.extend_from_slice(&long);
    assert_eq!(assembler_err(&[&first], limits()), (0, ReplyError::TooLong));
}

#[test]
fn frm_maxrep_line_limit_is_exact() {
    let mut lim = limits();
    lim.max_line = 10;
    assert!(matches!(
        Reply::parse(b"200 abcdef\r\n", &lim),
        Ok(Status::Complete(_))
    ));
    assert_eq!(parse_err(b"200 abcdefg\r\n", &lim), ReplyError::TooLong);
    let mut assembler = ReplyAssembler::new(lim);
    assert!(assembler.push_line(b"200 abcdef").unwrap().is_some());
    assert_eq!(
        assembler.push_line(b"200 abcdefg"),
        Err(ReplyError::TooLong)
    );
}

#[test]
fn frm_maxrep_reply_bytes() {
    let mut lim = limits();
    lim.max_reply_bytes = 21;
    // 8 + 7 + 6 = 21 bytes with line ends: accepted; one more byte is too many.
    assert!(matches!(
        Reply::parse(b"211-ab\r\nccccc\r\n211 \r\n", &lim),
        Ok(Status::Complete((21, _)))
    ));
    assert_eq!(
        parse_err(b"211-ab\r\ncccccc\r\n211 \r\n", &lim),
        ReplyError::TooLong
    );
    assert_eq!(
        assembler_err(&[b"211-ab", b"cccccc", b"211 "], lim),
        (2, ReplyError::TooLong)
    );
}

#[test]
fn s2228_b64_6yz_lines_use_security_limit() {
    let mut line = b"631 ".to_vec();
    line.extend(std::iter::repeat(b'Q').take(16 * 1024));
    line.extend_from_slice(b"\r\n");
    assert!(
        matches!(Reply::parse(&line, &limits()), Ok(Status::Complete((n, _))) if n == line.len())
    );
    let mut plain = line.clone();
    plain[..3].copy_from_slice(b"200");
    assert_eq!(parse_err(&plain, &limits()), ReplyError::TooLong);
    let mut assembler = ReplyAssembler::new(limits());
    assert!(assembler
        .push_line(&line[..line.len() - 2])
        .unwrap()
        .is_some());
}

#[test]
fn assembler_state_and_reset() {
    let mut assembler = ReplyAssembler::new(limits());
    assert!(!assembler.in_progress());
    assert_eq!(assembler.push_line(b"211-a"), Ok(None));
    assert!(assembler.in_progress());
    assembler.reset();
    assert!(!assembler.in_progress());
    // After a reset an inner line no longer continues anything.
    assert_eq!(assembler.push_line(b" SIZE"), Err(ReplyError::InvalidCode));
    let r = assembler.push_line(b"200 ok").unwrap().unwrap();
    assert_eq!((r.code(), r.text()), (ReplyCode::C200, &b"ok"[..]));
    let _ = ReplyAssembler::default();
}

// ---- encoding: REP-PAD / REP-SANITIZE / FRM-IAC ----

#[test]
fn encode_single_and_multi() {
    assert_eq!(
        encode(&Reply::new(ReplyCode::C200, &b"OK"[..])),
        b"200 OK\r\n"
    );
    assert_eq!(encode(&Reply::new(ReplyCode::C200, &b""[..])), b"200 \r\n");
    assert_eq!(
        encode(&Reply::new(ReplyCode::C211, &b"Features:\n SIZE\nEnd"[..])),
        b"211-Features:\r\n SIZE\r\n211 End\r\n"
    );
    assert_eq!(
        encode(&Reply::new(ReplyCode::C226, &b"x\n"[..])),
        b"226-x\r\n226 \r\n"
    );
}

#[test]
fn rep_pad_digit_leading_inner_lines() {
    // C959-STAT: a STAT body line `123 foo` is sent as ` 123 foo`.
    let reply = Reply::new(ReplyCode::C213, &b"status\n123 foo\n213-x\n213\nend"[..]);
    let wire = encode(&reply);
    assert_eq!(
        wire,
        b"213-status\r\n 123 foo\r\n 213-x\r\n 213\r\n213 end\r\n"
    );
    triad(&wire, &[(213, b"status\n 123 foo\n 213-x\n 213\nend")]);
}

#[test]
fn rep_sanitize_cr_lf_nul() {
    let mut out = Vec::new();
    Reply::encode_line(ReplyCode::C550, b"a\r\n230 ok\x00", &mut out).unwrap();
    assert_eq!(out, b"550 a  230 ok \r\n");
    // A name with CR LF echoed in a multi-line reply never yields a line starting `230`.
    let reply = Reply::new(ReplyCode::C257, &b"\"x\r230 ok\x00\"\nx\r230 y"[..]);
    let wire = encode(&reply);
    assert_eq!(wire, b"257-\"x 230 ok \"\r\n257 x 230 y\r\n");
    assert_eq!(parse_all(&wire).len(), 1);
}

#[test]
fn frm_iac_doubled_on_encode() {
    let mut out = Vec::new();
    Reply::encode_line(ReplyCode::C200, b"a\xffb", &mut out).unwrap();
    assert_eq!(out, b"200 a\xff\xffb\r\n");
    let Ok(Status::Complete((_, reply))) = Reply::parse(&out, &limits()) else {
        panic!();
    };
    assert_eq!(reply.text(), b"a\xffb");
}

#[test]
fn encode_invalid_code_variant_exists() {
    // ReplyCode cannot hold a value outside 100..=699, so encoding always succeeds; the error
    // variant is what a future out-of-range code would get.
    let mut out = Vec::new();
    assert_eq!(Reply::encode_line(code(699), b"", &mut out), Ok(()));
    assert_eq!(
        EncodeError::InvalidReplyCode.to_string(),
        "reply code out of range"
    );
}

// ---- round trips (proptest) ----

fn arb_reply() -> impl Strategy<Value = Reply<'static>> {
    (
        100u16..=699,
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..6),
    )
        .prop_map(|(n, lines)| {
            let lines: Vec<Vec<u8>> = lines
                .into_iter()
                .map(|l| {
                    l.into_iter()
                        .map(|b| if b == b'\n' { b'x' } else { b })
                        .collect()
                })
                .collect();
            Reply::new(code(n), lines.join(&b'\n'))
        })
}

proptest! {
    #[test]
    fn rep_roundtrip_encode_parse_encode(reply in arb_reply()) {
        let wire = encode(&reply);
        let Ok(Status::Complete((used, parsed))) = Reply::parse(&wire, &limits()) else {
            panic!("{wire:?}");
        };
        prop_assert_eq!(used, wire.len());
        prop_assert_eq!(parsed.code(), reply.code());
        prop_assert_eq!(parsed.lines().count(), reply.lines().count());
        prop_assert_eq!(encode(&parsed), wire.clone());
        // The assembler, fed the same lines, agrees.
        let assembled = assemble_bytewise(&wire);
        prop_assert_eq!(assembled, vec![(parsed.code().get(), parsed.text().to_vec())]);
    }

    #[test]
    fn rep_sanitize_encode_line_is_one_line(n in 100u16..=699, text in prop::collection::vec(any::<u8>(), 0..64)) {
        // REP-SANITIZE: whatever the text, exactly one line, one reply, text without 0xFF
        // doubling preserved.
        let mut out = Vec::new();
        Reply::encode_line(code(n), &text, &mut out).unwrap();
        prop_assert!(out.ends_with(b"\r\n"));
        let body = &out[..out.len() - 2];
        prop_assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
        let Ok(Status::Complete((used, reply))) = Reply::parse(&out, &limits()) else {
            panic!("{out:?}");
        };
        prop_assert_eq!(used, out.len());
        let expected: Vec<u8> = text.iter().map(|&b| if matches!(b, b'\r' | b'\n' | 0) { b' ' } else { b }).collect();
        prop_assert_eq!(reply.text(), &expected[..]);
    }

    #[test]
    fn rep_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(Status::Complete((used, _))) = Reply::parse(&bytes, &limits()) {
            prop_assert!(used > 0 && used <= bytes.len());
        }
        let mut assembler = ReplyAssembler::new(limits());
        for line in bytes.split(|&b| b == b'\n') {
            let _ = assembler.push_line(line);
        }
    }

    #[test]
    fn rep_prefixes_are_partial_then_complete(reply in arb_reply()) {
        let wire = encode(&reply);
        prop_assert_eq!(parse_growing(&wire).0, wire.len());
    }

    #[test]
    fn pasv_roundtrip(ip in any::<[u8; 4]>(), port in 1u16..) {
        let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
        let mut text = Vec::new();
        write_227_text(addr, &mut text);
        prop_assert_eq!(parse_227(&text), Ok(addr));
    }

    #[test]
    fn pwd_roundtrip(path in prop::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 1..40)) {
        let mut text = Vec::new();
        write_257_text(&path, b"is the current directory", &mut text);
        prop_assert_eq!(parse_257(&text).map(Cow::into_owned), Ok(path));
    }
}

// ---- bodies ----

#[test]
fn c959_pasv_227_forms() {
    let a = |h: [u8; 4], p: u16| Ok(SocketAddrV4::new(Ipv4Addr::from(h), p));
    assert_eq!(
        parse_227(b"Entering Passive Mode (127,0,0,1,117,180)."),
        a([127, 0, 0, 1], 30132)
    );
    assert_eq!(
        parse_227(b"Entering Passive Mode 10,0,0,1,4,1"),
        a([10, 0, 0, 1], 1025)
    );
    assert_eq!(parse_227(b"=10,0,0,1,0,21"), a([10, 0, 0, 1], 21));
    // Candidates that fail (a field over 255, five numbers) are skipped.
    assert_eq!(
        parse_227(b"1,2,3,300,5,6 and (10,0,0,1,4,1)"),
        a([10, 0, 0, 1], 1025)
    );
    assert_eq!(
        parse_227(b"v1,2,3,4,5 then 9,8,7,6,5,4"),
        a([9, 8, 7, 6], 1284)
    );
    for bad in [
        &b""[..],
        b"Entering Passive Mode",
        b"(1,2,3,4,5)",
        b"(1,2,3,256,1,1)",
        b"(1,2,3,4,0,0)",
        b"(1,2,3,4,1000,1)",
        b"(1, 2, 3, 4, 5, 6)",
        b"(99999999999999999999999,1,1,1,1,1)",
    ] {
        assert_eq!(parse_227(bad), Err(ReplyError::InvalidBody), "{bad:?}");
    }
    let mut text = Vec::new();
    write_227_text(
        SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 7), 50000),
        &mut text,
    );
    assert_eq!(text, b"Entering Passive Mode (192,0,2,7,195,80).");
}

#[test]
fn lpsv_228_forms() {
    assert_eq!(
        parse_228(b"Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)"),
        Ok(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::new(10, 0, 0, 1),
            1025
        )))
    );
    let v6 = b"Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1)";
    assert_eq!(
        parse_228(v6),
        Ok(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            1025,
            0,
            0
        )))
    );
    assert_eq!(parse_228(b"(4,4,1,2,3)"), Err(ReplyError::InvalidBody));
    assert_eq!(
        parse_228(b"(5,4,1,2,3,4,2,1,1)"),
        Err(ReplyError::InvalidBody)
    );
}

#[test]
fn e2428_229_any_delimiter() {
    assert_eq!(
        parse_229(b"Entering Extended Passive Mode (|||6446|)"),
        Ok(6446)
    );
    assert_eq!(
        parse_229(b"Entering Extended Passive Mode (!!!6446!)"),
        Ok(6446)
    );
    assert_eq!(parse_229(b"ok (~~~65535~)."), Ok(65535));
    assert_eq!(parse_229(b"(x) then (|||21|)"), Ok(21));
    for bad in [
        &b""[..],
        b"(|||65536|)",
        b"(|||0|)",
        b"(||6446|)",
        b"(|!|6446|)",
        b"(|||6446!)",
        b"(|||6446|",
        b"(   6446 )",
        b"(|||99999999999999999999999|)",
        b"|||6446|",
        b"(111 6446 1)",
    ] {
        assert_eq!(parse_229(bad), Err(ReplyError::InvalidBody), "{bad:?}");
    }
    let mut text = Vec::new();
    write_229_text(6446, &mut text);
    assert_eq!(text, b"Entering Extended Passive Mode (|||6446|)");
    assert_eq!(parse_229(&text), Ok(6446));
}

#[test]
fn c959_pwd_257_quotes() {
    assert_eq!(
        parse_257(br#""/a ""b"" c" is cwd"#).unwrap(),
        &br#"/a "b" c"#[..]
    );
    // Borrowed when nothing had to be undoubled.
    assert!(matches!(
        parse_257(br#""/" is the current directory"#),
        Ok(Cow::Borrowed(b"/"))
    ));
    assert!(matches!(parse_257(b"\"/x\""), Ok(Cow::Borrowed(b"/x"))));
    assert_eq!(parse_257(b"\"\"\"\"\"\"").unwrap(), &b"\"\""[..]);
    assert_eq!(parse_257(b"\"\"\"\"").unwrap(), &b"\""[..]);
    assert_eq!(parse_257(br#""" is empty"#).unwrap(), &b""[..]);
    // Fallback without quotes: the first word.
    assert_eq!(parse_257(b"/a").unwrap(), &b"/a"[..]);
    assert_eq!(parse_257(b"  /a is cwd").unwrap(), &b"/a"[..]);
    // Undoubled embedded quotes (Pure-FTPd): to the last quote of the line.
    assert_eq!(
        parse_257(br#""/my "quoted" dir" is your current location"#).unwrap(),
        &br#"/my "quoted" dir"#[..]
    );
    // A multi-line 257: the first line with a quote.
    assert_eq!(parse_257(b"created\n\"/d\" ok").unwrap(), &b"/d"[..]);
    assert_eq!(
        parse_257(br#""/unterminated"#),
        Err(ReplyError::InvalidBody)
    );
    assert_eq!(parse_257(b""), Err(ReplyError::InvalidBody));
    assert_eq!(parse_257(b"   "), Err(ReplyError::InvalidBody));
}

#[test]
fn c959_mkd_257_writer_doubles_quotes() {
    let mut text = Vec::new();
    write_257_text(b"/d/foo\"bar", b"created", &mut text);
    assert_eq!(text, br#""/d/foo""bar" created"#);
    assert_eq!(parse_257(&text).unwrap(), &b"/d/foo\"bar"[..]);
    text.clear();
    write_257_text(b"/", b"", &mut text);
    assert_eq!(text, b"\"/\"");
}

#[test]
fn x3659_size_213() {
    assert_eq!(parse_213_size(b"1234"), Ok(1234));
    assert_eq!(parse_213_size(b" 1234 "), Ok(1234));
    assert_eq!(parse_213_size(b"18446744073709551615"), Ok(u64::MAX));
    for bad in [
        &b""[..],
        b"12a",
        b"-1",
        b"+1",
        b"18446744073709551616",
        b"1 2",
        b"1\n2",
    ] {
        assert_eq!(parse_213_size(bad), Err(ReplyError::InvalidBody), "{bad:?}");
    }
}

#[test]
fn x3659_mdtm_213() {
    let t = parse_213_time(b"20261121114817").unwrap();
    assert_eq!(
        (
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            t.nanos,
            t.frac_digits
        ),
        (2026, 11, 21, 11, 48, 17, 0, 0)
    );
    let t = parse_213_time(b"19980615100045.014").unwrap();
    assert_eq!((t.second, t.nanos, t.frac_digits), (45, 14_000_000, 3));
    assert_eq!(
        parse_213_time(b"1998061510004"),
        Err(ReplyError::InvalidBody)
    );
    assert_eq!(
        parse_213_time(b"19981315100045"),
        Err(ReplyError::InvalidBody)
    );
    assert_eq!(
        parse_213_time(b"file not found"),
        Err(ReplyError::InvalidBody)
    );
    assert_eq!(
        parse_213_time(b"20261121114817"),
        Ok(TimeVal::parse(b"20261121114817").unwrap())
    );
}

#[test]
fn f2389_parse_feat_vector() {
    let wire = b"211-x\r\n mlst size*;\r\n SIZE\r\n XFOO bar\r\nnot a feature\r\n211 END\r\n";
    let Ok(Status::Complete((_, reply))) = Reply::parse(wire, &limits()) else {
        panic!();
    };
    let feat = parse_feat(reply.text());
    let all: Vec<(&[u8], &[u8])> = feat.iter().collect();
    assert_eq!(
        all,
        [
            (&b"MLST"[..], &b"size*;"[..]),
            (b"SIZE", b""),
            (b"XFOO", b"bar")
        ]
    );
    assert!(feat.contains("mlst") && feat.contains("Size") && feat.contains("XFOO bar"));
    assert!(!feat.contains("x") && !feat.contains("END") && !feat.contains("XFOO baz"));
    assert_eq!(feat.params("size"), Some(&b""[..]));
    assert_eq!(feat.params("EPSV"), None);
    assert_eq!(
        feat.mlst_facts().collect::<Vec<_>>(),
        [(&b"size"[..], true)]
    );
    assert_eq!(feat.len(), 3);
}

#[test]
fn f2389_single_line_211_has_no_features() {
    assert!(parse_feat(b"no features").is_empty());
    assert!(parse_feat(b"").is_empty());
    assert_eq!(parse_feat(b" SIZE"), Features::default());
}

#[test]
fn f2389_feat_is_bounded() {
    let mut text = b"Features:".to_vec();
    for i in 0..1000 {
        text.extend_from_slice(format!("\n X{i}").as_bytes());
    }
    text.extend_from_slice(b"\nEnd");
    let feat = parse_feat(&text);
    assert_eq!(feat.len(), MAX_FEATURES);
    assert!(feat.contains("X255") && !feat.contains("X256"));
    let mut full = feat.clone();
    assert!(!full.insert(b"MORE", b""));
}

#[test]
fn f2389_format_writer_round_trip() {
    let mut feat = Features::new();
    assert!(feat.insert(b"auth", b"TLS"));
    assert!(feat.insert(b"REST", b"STREAM"));
    assert!(feat.insert(b"UTF8", b""));
    let mut text = Vec::new();
    feat.write_text(&mut text);
    assert_eq!(text, b"Features:\n AUTH TLS\n REST STREAM\n UTF8\nEnd");
    let wire = encode(&Reply::new(ReplyCode::C211, text));
    assert_eq!(
        wire,
        b"211-Features:\r\n AUTH TLS\r\n REST STREAM\r\n UTF8\r\n211 End\r\n"
    );
    let parsed = parse_all(&wire);
    assert_eq!(parse_feat(&parsed[0].1), feat);
    // An empty set is a single line.
    let mut empty = Vec::new();
    Features::new().write_text(&mut empty);
    assert_eq!(
        encode(&Reply::new(ReplyCode::C211, empty)),
        b"211 No features\r\n"
    );
}

#[test]
fn x3659_opts_mlst_facts() {
    let feat = parse_feat(b"F\n MLST type*;size*;sizd*;modify*;UNIX.mode*;unique;\nE");
    let facts: Vec<(&[u8], bool)> = feat.mlst_facts().collect();
    assert_eq!(
        facts,
        [
            (&b"type"[..], true),
            (b"size", true),
            (b"sizd", true),
            (b"modify", true),
            (b"UNIX.mode", true),
            (b"unique", false)
        ]
    );
    assert_eq!(parse_feat(b"F\n SIZE\nE").mlst_facts().count(), 0);
}

#[test]
fn c959_stou_file() {
    assert_eq!(
        parse_stou_file(b"FILE: upload.1").as_deref(),
        Some(&b"upload.1"[..])
    );
    assert_eq!(parse_stou_file(b"file: a b ").as_deref(), Some(&b"a b"[..]));
    assert_eq!(
        parse_stou_file(b"Opening data connection; FILE: x\nmore").as_deref(),
        Some(&b"x"[..])
    );
    assert_eq!(parse_stou_file(b"Opening data connection"), None);
    assert_eq!(parse_stou_file(b"FILE:   "), None);
}

/// DAT-110: `110 MARK yyyy = mmmm` gives (user marker, server marker).
#[test]
fn c959_restart_marker_110() {
    assert_eq!(parse_110_mark(b"MARK 100 = 200"), Ok((100, 200)));
    assert_eq!(parse_110_mark(b"Restart marker: mark 1=2."), Ok((1, 2)));
    for bad in [
        &b"MARK"[..],
        b"MARK 1",
        b"MARK x = 2",
        b"MARK 1 = ",
        b"100 = 200",
        b"MARK 18446744073709551616 = 1",
    ] {
        assert_eq!(parse_110_mark(bad), Err(ReplyError::InvalidBody), "{bad:?}");
    }
}

#[test]
fn s2228_pbsz_reply() {
    assert_eq!(parse_pbsz(b"PBSZ=0"), Some(0));
    assert_eq!(parse_pbsz(b"pbsz=1024 ok"), Some(1024));
    assert_eq!(parse_pbsz(b"PBSZ=4294967295"), Some(u32::MAX));
    assert_eq!(parse_pbsz(b"PBSZ=4294967296"), None);
    assert_eq!(parse_pbsz(b"PBSZ 0 successful"), None);
    assert_eq!(parse_pbsz(b"PBSZ="), None);
}

#[test]
fn e2428_522_families() {
    assert_eq!(
        parse_522_families(b"Network protocol not supported, use (1,2)")
            .unwrap()
            .as_slice(),
        [1, 2]
    );
    assert_eq!(parse_522_families(b"use (2)").unwrap().as_slice(), [2]);
    assert_eq!(
        parse_522_families(b"(a) then ( 1 , 2 )")
            .unwrap()
            .as_slice(),
        [1, 2]
    );
    for bad in [
        &b""[..],
        b"no list",
        b"()",
        b"(1,2",
        b"(1,2,3,4,5,6,7,8,9)",
        b"(70000)",
        b"(1,,2)",
    ] {
        assert_eq!(
            parse_522_families(bad),
            Err(ReplyError::InvalidBody),
            "{bad:?}"
        );
    }
    let mut text = Vec::new();
    write_522_families(&mut text);
    assert_eq!(text, b"Network protocol not supported, use (1,2)");
    text.clear();
    write_522_families_of(&[1], &mut text);
    assert_eq!(text, b"Network protocol not supported, use (1)");
    assert_eq!(parse_522_families(&text).unwrap().as_slice(), [1]);
}
