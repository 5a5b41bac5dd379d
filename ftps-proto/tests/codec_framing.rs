//! Line framing: `LineBuffer` (Telnet stripping, line ends, limits, bounded memory).
//!
//! Row IDs of `CONFORMANCE.md` are named in test names or comments.

use ftps_proto::codec::{FrameError, LineBuffer, LineEnding};
use ftps_proto::Limits;
use proptest::prelude::*;

type Item = Result<Vec<u8>, FrameError>;

fn buffer(ending: LineEnding) -> LineBuffer {
    LineBuffer::new(Limits::default(), ending)
}

fn small(max_line: usize, max_security_line: usize, ending: LineEnding) -> LineBuffer {
    let mut limits = Limits::default();
    limits.max_line = max_line;
    limits.max_security_line = max_security_line;
    LineBuffer::new(limits, ending)
}

/// Every item ready now.
fn drain(rx: &mut LineBuffer) -> Vec<Item> {
    let mut items = Vec::new();
    while let Some(item) = rx.next_line() {
        items.push(item.map(<[u8]>::to_vec));
    }
    items
}

/// Pushes the chunks one after the other, draining after each.
fn feed(rx: &mut LineBuffer, chunks: &[&[u8]]) -> Vec<Item> {
    let mut items = Vec::new();
    for chunk in chunks {
        rx.push(chunk);
        items.extend(drain(rx));
    }
    items
}

/// The items of `stream` pushed whole, one byte at a time, and split at every position: all
/// three must agree, and are returned.
fn triad(make: impl Fn() -> LineBuffer, stream: &[u8]) -> Vec<Item> {
    let whole = feed(&mut make(), &[stream]);
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(feed(&mut make(), &bytes), whole, "byte by byte");
    for cut in 0..=stream.len() {
        let (a, b) = stream.split_at(cut);
        assert_eq!(feed(&mut make(), &[a, b]), whole, "split at {cut}");
    }
    whole
}

fn ok(line: &[u8]) -> Item {
    Ok(line.to_vec())
}

fn too_long(limit: usize) -> Item {
    Err(FrameError::LineTooLong { limit })
}

#[test]
fn frm_eol_same_lines_whatever_the_read_boundaries() {
    let items = triad(|| buffer(LineEnding::Crlf), b"USER a\r\nPASS b\r\n");
    assert_eq!(items, [ok(b"USER a"), ok(b"PASS b")]);
}

#[test]
fn trailing_data_stays_buffered() {
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(b"NOOP\r\nRETR par");
    assert_eq!(rx.buffered(), 14);
    assert_eq!(rx.next_line(), Some(Ok(&b"NOOP"[..])));
    assert_eq!(rx.next_line(), None);
    assert_eq!(rx.buffered(), 8);
    rx.push(b"tial\r");
    assert_eq!(rx.next_line(), None);
    rx.push(b"\n");
    assert_eq!(rx.next_line(), Some(Ok(&b"RETR partial"[..])));
    assert_eq!(rx.buffered(), 0);
    assert!(rx.is_empty());
}

#[test]
fn frm_wait_no_line_before_its_end() {
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(b"DELE x");
    assert_eq!(rx.next_line(), None);
    rx.push(b"\r");
    assert_eq!(rx.next_line(), None);
    rx.push(b"\n");
    assert_eq!(rx.next_line(), Some(Ok(&b"DELE x"[..])));
    assert_eq!(rx.next_line(), None);
}

#[test]
fn frm_lf_server_splits_on_crlf_only() {
    // FRM-CRNUL: `CR NUL LF` stays inside the path; a bare LF or CR is part of the line.
    let items = triad(
        || buffer(LineEnding::Crlf),
        b"STOR a\r\0\nb\r\nA\nB\rC\r\n\r\n",
    );
    assert_eq!(items, [ok(b"STOR a\r\0\nb"), ok(b"A\nB\rC"), ok(b"")]);
}

#[test]
fn frm_lf_client_accepts_bare_lf() {
    let items = triad(
        || buffer(LineEnding::CrlfOrLf),
        b"200 ok\n211-a\r\n b\n\n211 c\r\n",
    );
    assert_eq!(
        items,
        [
            ok(b"200 ok"),
            ok(b"211-a"),
            ok(b" b"),
            ok(b""),
            ok(b"211 c")
        ]
    );
    // A CR not followed by LF stays in the line.
    let items = triad(|| buffer(LineEnding::CrlfOrLf), b"a\rb\n");
    assert_eq!(items, [ok(b"a\rb")]);
}

#[test]
fn frm_iac_ip_dm_removed_and_urgent_flagged() {
    let items = triad(|| buffer(LineEnding::Crlf), b"AB\xff\xf4\xff\xf2OR\r\n");
    assert_eq!(items, [ok(b"ABOR")]);
    let mut rx = buffer(LineEnding::Crlf);
    assert!(!rx.urgent());
    rx.push(b"\xff\xf4\xff");
    assert!(rx.urgent());
    assert!(!rx.urgent()); // reported once
    rx.push(b"\xf2ABOR\r\n");
    assert!(rx.urgent());
    assert_eq!(rx.next_line(), Some(Ok(&b"ABOR"[..])));
}

#[test]
fn frm_iac_doubled_iac_is_one_0xff_byte() {
    let items = triad(|| buffer(LineEnding::Crlf), b"RETR a\xff\xffb\xff\xff\r\n");
    assert_eq!(items, [ok(b"RETR a\xffb\xff")]);
}

#[test]
fn frm_iac_other_two_byte_commands_removed() {
    // NOP, AYT, EC, EL, GA, SB, SE and an undefined code; one sits between CR and LF.
    let items = triad(
        || buffer(LineEnding::Crlf),
        b"N\xff\xf1O\xff\xf6O\xff\xf7P\xff\xf8\xff\xf9\xff\xfa\xff\xf0\xff\x07\r\xff\xf1\n",
    );
    assert_eq!(items, [ok(b"NOOP")]);
}

#[test]
fn frm_iac_option_requests_refused_once() {
    let mut rx = buffer(LineEnding::Crlf);
    // Split sequences; option bytes that are CR and LF do not end a line.
    let items = feed(
        &mut rx,
        &[
            b"NO\xff",
            b"\xfd",
            b"\x01OP\xff\xfd\r\xff\xfb\n\xff\xfd\x01",
            b"\xff\xfc\x05\xff\xfe\x06\r\n",
        ],
    );
    assert_eq!(items, [ok(b"NOOP")]);
    let mut out = Vec::new();
    rx.take_telnet_replies(&mut out);
    // DO 1 (twice) -> WONT 1 once; DO CR -> WONT 13; WILL LF -> DONT 10; WONT/DONT unanswered.
    assert_eq!(out, b"\xff\xfc\x01\xff\xfc\r\xff\xfe\n");
    out.clear();
    rx.take_telnet_replies(&mut out);
    assert!(out.is_empty());
    rx.push(b"\xff\xfb\xff");
    rx.take_telnet_replies(&mut out);
    assert_eq!(out, b"\xff\xfe\xff"); // WILL 255 -> DONT 255, and 255 is not data
    assert_eq!(rx.buffered(), 0);
}

#[test]
fn frm_iac_every_split_of_a_telnet_stream() {
    let stream = b"\xff\xfd\x01US\xff\xffER \xff\xf4a\xff\xfb\x03\r\n";
    let items = triad(|| buffer(LineEnding::Crlf), stream);
    assert_eq!(items, [ok(b"US\xffER a")]);
    for cut in 0..=stream.len() {
        let mut rx = buffer(LineEnding::Crlf);
        rx.push(&stream[..cut]);
        rx.push(&stream[cut..]);
        let mut out = Vec::new();
        rx.take_telnet_replies(&mut out);
        assert_eq!(out, b"\xff\xfc\x01\xff\xfe\x03", "cut {cut}");
        assert!(rx.urgent());
    }
}

#[test]
fn frm_maxcmd_one_mib_without_line_end_stays_bounded() {
    let limit = Limits::default().max_line;
    let huge = vec![b'A'; 1 << 20];
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(&huge);
    assert!(rx.buffered() <= limit, "{}", rx.buffered());
    assert_eq!(rx.buffered(), 0);
    assert_eq!(rx.next_line(), Some(Err(FrameError::LineTooLong { limit })));
    assert_eq!(rx.next_line(), None);
    assert!(!rx.is_empty()); // still dropping up to the line end
    rx.push(&huge);
    assert_eq!(rx.next_line(), None); // the same line: reported once
    rx.push(b"AAA\r\nNOOP\r\n");
    assert_eq!(rx.next_line(), Some(Ok(&b"NOOP"[..])));
    assert_eq!(rx.next_line(), None);
    assert!(rx.is_empty());
}

#[test]
fn frm_maxcmd_byte_by_byte_stays_bounded() {
    let mut rx = small(64, 128, LineEnding::Crlf);
    let mut items = Vec::new();
    for _ in 0..100_000 {
        rx.push(b"B");
        assert!(rx.buffered() <= 64);
        items.extend(drain(&mut rx));
    }
    rx.push(b"\r");
    rx.push(b"\n");
    rx.push(b"QUIT\r\n");
    items.extend(drain(&mut rx));
    assert_eq!(items, [too_long(64), ok(b"QUIT")]);
}

#[test]
fn limit_is_exact_and_errors_keep_their_place() {
    let make = || small(10, 20, LineEnding::Crlf);
    let stream = b"0123456789\r\n01234567890\r\nA\r\n0123456789012345\r\n\r\nB";
    let items = triad(make, stream);
    assert_eq!(
        items,
        [
            ok(b"0123456789"),
            too_long(10),
            ok(b"A"),
            too_long(10),
            ok(b"")
        ]
    );
    // Consecutive over-long lines: one error each.
    let items = triad(make, b"ABCDEFGHIJKLMNOP\r\nABCDEFGHIJKLMNOP\r\nC\r\n");
    assert_eq!(items, [too_long(10), too_long(10), ok(b"C")]);
    // A waiting CR does not count, a CR in the line does.
    let mut rx = make();
    rx.push(b"0123456789\r");
    assert_eq!(rx.buffered(), 11);
    assert_eq!(rx.next_line(), None);
    rx.push(b"x\r\n");
    assert_eq!(drain(&mut rx), [too_long(10)]);
}

#[test]
fn client_mode_limit_and_discard_end_at_bare_lf() {
    let items = triad(
        || small(4, 8, LineEnding::CrlfOrLf),
        b"12345\n1234\r\n12345\r\n\n",
    );
    assert_eq!(items, [too_long(4), ok(b"1234"), too_long(4), ok(b"")]);
}

#[test]
fn s2228_b64_security_lines_get_the_larger_limit() {
    let limits = Limits::default();
    // A 16 KiB ADAT line is read whole with the default limits.
    let mut line = b"adat ".to_vec();
    line.extend_from_slice(&[b'Q'; 16 * 1024]);
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(&line);
    rx.push(b"\r\n");
    assert_eq!(rx.next_line(), Some(Ok(&line[..])));
    // Over the security limit.
    let mut big = b"MIC ".to_vec();
    big.resize(big.len() + limits.max_security_line, b'Q');
    big.extend_from_slice(b"\r\nNOOP\r\n");
    rx.push(&big);
    assert_eq!(
        drain(&mut rx),
        [too_long(limits.max_security_line), ok(b"NOOP")]
    );
    // Only the four security verbs followed by SP qualify.
    let items = triad(
        || small(8, 16, LineEnding::Crlf),
        b"CONF 0123456789\r\nENC 0123456789\r\nADATX 1234\r\nMICX12345\r\nEnc 1234567890123\r\n",
    );
    assert_eq!(
        items,
        [
            ok(b"CONF 0123456789"),
            ok(b"ENC 0123456789"),
            too_long(8),
            too_long(8),
            too_long(16)
        ]
    );
}

#[test]
fn s2228_6yz_protected_replies_get_the_larger_limit() {
    let items = triad(
        || small(8, 16, LineEnding::CrlfOrLf),
        b"631-0123456789\r\n632 0123456789\n633 0123456789012\r\n634 01234\r\n631x01234\r\n",
    );
    assert_eq!(
        items,
        [
            ok(b"631-0123456789"),
            ok(b"632 0123456789"),
            too_long(16),
            too_long(8),
            too_long(8)
        ]
    );
}

#[test]
fn atk_tlsinj_is_empty_and_clear() {
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(b"AUTH TLS\r\nUSER evil\r\n");
    assert_eq!(rx.next_line(), Some(Ok(&b"AUTH TLS"[..])));
    assert!(!rx.is_empty()); // injected plaintext is detectable
    rx.clear();
    assert!(rx.is_empty());
    assert_eq!(rx.next_line(), None);
    // An unfinished Telnet sequence, a pending error, a line being dropped: not empty.
    rx.push(b"\xff");
    assert!(!rx.is_empty() && rx.buffered() == 0);
    rx.clear();
    rx.push(b"\xff\xfd\x01\xff\xf4");
    rx.clear();
    let mut out = Vec::new();
    rx.take_telnet_replies(&mut out);
    assert!(out.is_empty());
    assert!(!rx.urgent());
    rx.push(&vec![b'x'; 9000]);
    assert!(!rx.is_empty());
    assert_eq!(
        rx.next_line(),
        Some(Err(FrameError::LineTooLong { limit: 8192 }))
    );
    assert!(!rx.is_empty());
    rx.clear();
    rx.push(b"NOOP\r\n");
    assert_eq!(rx.next_line(), Some(Ok(&b"NOOP"[..])));
}

#[test]
fn debug_output_hides_buffered_bytes() {
    let mut rx = buffer(LineEnding::Crlf);
    rx.push(b"PASS hunter2\r\n");
    let shown = format!("{rx:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("buffered: 14"), "{shown}");
}

#[test]
fn many_lines_in_steady_state() {
    // Pushed one line at a time and read: the buffer never holds more than one line.
    let mut rx = buffer(LineEnding::Crlf);
    for i in 0..10_000u32 {
        let line = format!("RETR file{i}\r\n");
        rx.push(line.as_bytes());
        assert!(rx.buffered() <= line.len());
        assert_eq!(rx.next_line(), Some(Ok(line.trim_end().as_bytes())));
    }
    // Pushed in one go and read one per push: the order holds.
    let stream: Vec<u8> = (0..1000u32)
        .flat_map(|i| format!("NOOP {i}\r\n").into_bytes())
        .collect();
    rx.push(&stream);
    for i in 0..1000u32 {
        rx.push(b"");
        assert_eq!(
            rx.next_line().map(|r| r.map(<[u8]>::to_vec)),
            Some(Ok(format!("NOOP {i}").into_bytes()))
        );
    }
    assert_eq!(rx.next_line(), None);
}

/// Replies captured from real servers (`proftpd/feat.bin`, `vsftpd-explicit/stat.bin`, see
/// `shared/data/peers/README.md`): every line comes out unchanged.
#[test]
fn peer_reply_vectors_frame_into_their_lines() {
    let feat: &[u8] = b"211-Features:\r\n AUTH TLS\r\n CCC\r\n CLNT\r\n CSID\r\n EPRT\r\n EPSV\r\n HOST\r\n LANG C.UTF-8*\r\n MDTM\r\n MFF modify;UNIX.group;UNIX.mode;\r\n MFMT\r\n MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;\r\n PBSZ\r\n PROT\r\n RANG STREAM\r\n REST STREAM\r\n SIZE\r\n SSCN\r\n TVFS\r\n UTF8\r\n211 End\r\n";
    let stat: &[u8] = b"211-FTP server status:\r\n     Connected to 127.0.0.1\r\n     Logged in as ftptest\r\n     TYPE: ASCII\r\n     No session bandwidth limit\r\n     Session timeout in seconds is 120\r\n     Control connection is encrypted\r\n     Data connections will be plain text\r\n     At session startup, client count was 2\r\n     vsFTPd 3.0.3 - secure, fast, stable\r\n211 End of status\r\n";
    for (capture, count) in [(feat, 22), (stat, 11)] {
        let items = triad(|| buffer(LineEnding::CrlfOrLf), capture);
        assert_eq!(items.len(), count);
        let mut joined = Vec::new();
        for item in items {
            match item {
                Ok(line) => {
                    joined.extend_from_slice(&line);
                    joined.extend_from_slice(b"\r\n");
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(joined, capture);
    }
}

proptest! {
    /// Any bytes, cut anywhere: the same items as one push, no line over the limit, and the
    /// buffer never above the limit plus what the last push delivered.
    #[test]
    fn any_stream_any_split(
        stream in prop::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(0xFF), Just(0xFD), Just(b'A'), any::<u8>()],
            0..200,
        ),
        cuts in prop::collection::vec(0..200usize, 0..8),
        lenient in any::<bool>(),
    ) {
        let ending = if lenient { LineEnding::CrlfOrLf } else { LineEnding::Crlf };
        let make = || small(16, 24, ending);
        let whole = feed(&mut make(), &[&stream]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for c in cuts {
            chunks.push(&stream[from..c]);
            from = c;
        }
        chunks.push(&stream[from..]);
        let mut rx = make();
        let mut items = Vec::new();
        for chunk in &chunks {
            rx.push(chunk);
            prop_assert!(rx.buffered() <= 25 + chunk.len());
            items.extend(drain(&mut rx));
            prop_assert!(rx.buffered() <= 25);
        }
        prop_assert_eq!(&items, &whole);
        for item in items.iter().flatten() {
            prop_assert!(item.len() <= 24);
        }
    }
}

/// Freeing an idle buffer keeps the errors of over-long lines not reported yet: they come
/// first, in order, and later over-long lines merge with them as before (the records once
/// kept their old positions, were never reported, and every later over-long line queued one
/// more: unbounded memory, a server fuzz find).
#[test]
fn release_memory_keeps_pending_line_errors() {
    let mut rx = small(8, 8, LineEnding::Crlf);
    rx.push(b"OK\r\nmuch too long\r\n");
    // Only the first line is read before the session goes idle.
    assert_eq!(rx.next_line(), Some(Ok(&b"OK"[..])));
    assert_eq!(rx.buffered(), 0);
    rx.release_memory();
    rx.push(b"NOOP\r\nalso much too long\r\nand again too long\r\nPWD\r\n");
    assert_eq!(
        drain(&mut rx),
        [
            too_long(8),
            ok(b"NOOP"),
            too_long(8),
            too_long(8),
            ok(b"PWD")
        ]
    );
    // A long run of over-long lines between releases stays one record.
    for _ in 0..1000 {
        rx.push(b"over the limit\r\n");
        rx.release_memory();
    }
    rx.push(b"END\r\n");
    let items = drain(&mut rx);
    assert_eq!(items.len(), 1001);
    assert_eq!(items.last(), Some(&ok(b"END")));
}
