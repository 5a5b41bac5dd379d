//! Transfers end to end between the client and server sessions, through the in-memory `Pair`:
//! every transfer kind in plain, explicit and implicit FTPS, passive (EPSV, PASV-only) and
//! active, PROT C and P, REST offsets, TYPE A, listings and the error replies.

mod pair_common;

use ftps_proto::client::{
    ClientConfig, ClientError, OpOutput, PassiveMode, Transfer, TransferFailure, TransferKind,
};
use ftps_proto::pair::{DataFault, Pair, PairError, PairOptions};
use ftps_proto::server::{ServerConfig, ServerEvent};
use ftps_proto::session::DataTls;
use pair_common::*;

const RESUMED: Option<DataTls> = Some(DataTls {
    resumed_control_session: true,
});

fn failure(e: PairError) -> (TransferFailure, u16) {
    match e {
        PairError::Failed(ClientError::Transfer { failure, reply }) => {
            (failure, reply.code().get())
        }
        other => panic!("expected a transfer failure, got {other:?}"),
    }
}

/// The passive connection may open (DAT-ORDER), but no transfer started on it.
fn assert_no_data_moved(p: &Pair) {
    assert!(
        p.data_log()
            .iter()
            .all(|r| r.upload.is_none() && r.bytes == 0),
        "{:?}",
        p.data_log()
    );
}

fn rejected_code(e: PairError) -> u16 {
    match e {
        PairError::Failed(ClientError::Rejected { reply }) => reply.code().get(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

// C959-RETR, C959-STOR, C959-APPE, C959-STOU, C959-LIST, C959-NLST, X3659-MLSD, IMP-STATE,
// E2428-229: every transfer kind in every security mode, over EPSV.
#[test]
fn c959_every_transfer_kind_in_every_mode() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        assert_eq!(
            p.retr(b"/pub/hello.txt").unwrap(),
            b"hello world\n",
            "{mode:?}"
        );
        assert_eq!(p.stor(b"/pub/new.bin", b"abc").unwrap(), 3);
        assert_eq!(p.storage().get(b"/pub/new.bin"), Some(&b"abc"[..]));
        assert_eq!(p.appe(b"/pub/new.bin", b"de").unwrap(), 2);
        assert_eq!(p.storage().get(b"/pub/new.bin"), Some(&b"abcde"[..]));
        assert_eq!(p.stou(b"unique").unwrap(), b"stou.1");
        assert_eq!(p.storage().get(b"/stou.1"), Some(&b"unique"[..]));
        assert_eq!(
            p.nlst(Some(b"/pub")).unwrap(),
            b"hello.txt\r\nnew.bin\r\nsub\r\n"
        );
        let list = String::from_utf8(p.list(Some(b"/pub")).unwrap()).unwrap();
        assert_eq!(
            list,
            "-rw-r--r--    1 ftp      ftp            12 Nov 14 22:13 hello.txt\r\n\
             -rw-r--r--    1 ftp      ftp             5 Nov 14 22:13 new.bin\r\n\
             drwxr-xr-x    2 ftp      ftp             0 Nov 14 22:13 sub\r\n"
        );
        let mlsd = String::from_utf8(p.mlsd(Some(b"/pub/sub")).unwrap()).unwrap();
        assert_eq!(mlsd, "");
        let mlsd = String::from_utf8(p.mlsd(Some(b"/bin")).unwrap()).unwrap();
        assert_eq!(
            mlsd,
            "type=file;size=256;modify=20231114221320;UNIX.mode=0644;UNIX.owner=ftp;\
             UNIX.group=ftp; all.bin\r\n"
        );
        // DAT-PERXFER: one EPSV per transfer; IMP-STATE / T4217-TLSROLE: PROT P data is
        // TLS and resumes the control session.
        let epsv = client_verbs(&p).iter().filter(|v| *v == "EPSV").count();
        assert_eq!(epsv, 8, "{mode:?}");
        let want_tls = if mode == Mode::Plain { None } else { RESUMED };
        assert_eq!(p.data_log().len(), 8);
        assert!(p.data_log().iter().all(|r| r.tls == want_tls && r.complete));
        p.quit().unwrap();
        assert!(p.anomalies().is_empty(), "{:?}", p.anomalies());
    }
}

// IMP-GREET, IMP-STATE: implicit FTPS sends no AUTH, and nothing goes out before TLS.
#[test]
fn imp_greeting_inside_tls_and_no_auth() {
    let p = logged_in(Mode::Implicit);
    assert_eq!(
        client_lines(&p),
        [
            "FEAT",
            "OPTS UTF8 ON",
            "PBSZ 0",
            "PROT P",
            "USER alice",
            "PASS secret"
        ]
    );
    assert_eq!(server_codes(&p), [220, 211, 200, 200, 200, 331, 230]);
    assert!(p.client().control_tls_active() && p.server().control_tls_active());
    assert!(p.server().data_protected());
}

// T4217-AUTHTLS, T4217-PBSZ0, T4217-ORDER, T4217-POLICY: the explicit sequence.
#[test]
fn t4217_explicit_setup_sequence() {
    let p = logged_in(Mode::Explicit);
    assert_eq!(
        client_lines(&p),
        [
            "AUTH TLS",
            "FEAT",
            "OPTS UTF8 ON",
            "PBSZ 0",
            "PROT P",
            "USER alice",
            "PASS secret"
        ]
    );
    assert_eq!(server_codes(&p), [220, 234, 211, 200, 200, 200, 331, 230]);
}

// E2428-USE, C959-PASV, ATK-PASVIP: PASV-only mode gets 227 and connects to the control peer.
#[test]
fn c959_pasv_only_mode() {
    for mode in ALL_MODES {
        let mut c = client_config(mode);
        c.passive = PassiveMode::PasvOnly;
        let mut p = pair_with(c, server_config(mode));
        p.login(b"alice", b"secret").unwrap();
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        assert_eq!(p.stor(b"/x", b"1234").unwrap(), 4);
        let verbs = client_verbs(&p);
        assert_eq!(verbs.iter().filter(|v| *v == "PASV").count(), 2);
        assert!(!verbs.iter().any(|v| v == "EPSV"));
        assert!(
            server_lines(&p).contains(&"227 Entering Passive Mode (192,0,2,1,195,80).".to_owned())
        );
    }
}

// C959-PORT, DAT-ORDER, T4217-TLSROLE: active mode (EPRT), the server connects after its 150.
#[test]
fn c959_active_mode_eprt() {
    for mode in ALL_MODES {
        let mut c = client_config(mode);
        c.active = true;
        let mut p = pair_with(c, server_config(mode));
        p.login(b"alice", b"secret").unwrap();
        p.clear_transcripts();
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        assert_eq!(p.stor(b"/up", b"xyz").unwrap(), 3);
        assert_eq!(p.list(Some(b"/pub/sub")).unwrap(), b"");
        assert_eq!(
            client_lines(&p),
            [
                "TYPE I",
                "EPRT |1|192.0.2.10|40001|",
                "RETR /pub/hello.txt",
                "EPRT |1|192.0.2.10|40002|",
                "STOR /up",
                "EPRT |1|192.0.2.10|40003|",
                "LIST /pub/sub"
            ]
        );
        assert_eq!(
            server_codes(&p),
            [200, 200, 150, 226, 200, 150, 226, 200, 150, 226]
        );
        let want_tls = if mode == Mode::Plain { None } else { RESUMED };
        assert!(p.data_log().iter().all(|r| r.tls == want_tls && r.complete));
    }
}

// S2577-BOUNCE / E2428-USE: EPRT refused with 500 -> the client retries with PORT, refused too.
#[test]
fn c959_active_disabled_eprt_then_port_refused() {
    let mut c = ClientConfig::plain();
    c.active = true;
    let mut s = server_config(Mode::Plain);
    s.active.enabled = false;
    let mut p = pair_with(c, s);
    p.login(b"alice", b"secret").unwrap();
    p.clear_transcripts();
    let e = p.retr(b"/pub/hello.txt").unwrap_err();
    assert_eq!(rejected_code(e), 500);
    assert_eq!(
        client_lines(&p),
        [
            "TYPE I",
            "EPRT |1|192.0.2.10|40001|",
            "PORT 192,0,2,10,156,65"
        ]
    );
}

// T4217-INIT, IMP-PROTC, T4217-PROTCP: PROT C gives clear data connections in both TLS modes.
#[test]
fn t4217_prot_c_data_is_clear() {
    for mode in [Mode::Explicit, Mode::Implicit] {
        let mut p = pair_with(prot_c(client_config(mode)), server_config(mode));
        p.login(b"alice", b"secret").unwrap();
        assert_eq!(
            p.retr(b"/bin/all.bin").unwrap(),
            (0..=255u8).collect::<Vec<_>>()
        );
        assert!(client_lines(&p).contains(&"PROT C".to_owned()));
        assert!(!p.server().data_protected());
        assert_eq!(p.data_log().len(), 1);
        assert_eq!(p.data_log()[0].tls, None);
    }
}

// S2228-XFER, T4217-DATATLS: a server requiring PROT P answers a PROT C transfer 521 before
// any 1yz; no data moves.
#[test]
fn t4217_prot_p_required_refuses_clear_transfer_521() {
    let mut s = server_config(Mode::Explicit);
    s.require_prot_p = true;
    let mut p = pair_with(prot_c(ClientConfig::default()), s);
    p.login(b"alice", b"secret").unwrap();
    let e = p.retr(b"/pub/hello.txt").unwrap_err();
    assert_eq!(failure(e), (TransferFailure::ProtectionLevelRefused, 521));
    assert_no_data_moved(&p);
}

// T4217-REUSE, ATK-STEAL: a data TLS session that does not resume the control session is
// refused with 522 when the server requires reuse, and accepted when it does not.
#[test]
fn t4217_reuse_required_fresh_session_522() {
    let mut p = logged_in(Mode::Explicit);
    p.options_mut().resume_data_tls = false;
    let e = p.retr(b"/pub/hello.txt").unwrap_err();
    assert_eq!(failure(e), (TransferFailure::DataTlsFailed, 522));
    // One fresh session only (the fault), then the resumed client succeeds.
    p.options_mut().resume_data_tls = true;
    p.fault_next_data(DataFault::FreshTlsSession);
    let e = p.retr(b"/pub/hello.txt").unwrap_err();
    assert_eq!(failure(e), (TransferFailure::DataTlsFailed, 522));
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");

    let mut s = server_config(Mode::Explicit);
    s.require_data_session_reuse = false;
    let mut p = pair_with(ClientConfig::default(), s);
    p.login(b"alice", b"secret").unwrap();
    p.options_mut().resume_data_tls = false;
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
    assert_eq!(
        p.data_log()[0].tls,
        Some(DataTls {
            resumed_control_session: false
        })
    );
}

// C959-REST, X3659-REST: REST offsets on downloads and uploads.
#[test]
fn x3659_rest_offsets() {
    for mode in ALL_MODES {
        let mut p = logged_in(mode);
        assert_eq!(p.retr_from(b"/pub/hello.txt", 6).unwrap(), b"world\n");
        assert_eq!(p.retr_from(b"/pub/hello.txt", 12).unwrap(), b"");
        p.storage_mut().put(b"/part", b"0123xx").unwrap();
        // Resume at 4: the server keeps "0123" and writes the rest of the local file.
        assert_eq!(p.stor_from(b"/part", b"01234567", 4).unwrap(), 4);
        assert_eq!(p.storage().get(b"/part"), Some(&b"01234567"[..]));
        let rest: Vec<_> = client_lines(&p)
            .into_iter()
            .filter(|l| l.starts_with("REST"))
            .collect();
        assert_eq!(rest, ["REST 6", "REST 12", "REST 4"]);
        assert_eq!(server_codes(&p).iter().filter(|&&c| c == 350).count(), 3);
    }
}

// H1123-RESTCODES, X3659-RESTCLI: REST past the end -> 554; the next plain transfer sends
// REST 0 first.
#[test]
fn h1123_rest_past_end_554_then_rest_0() {
    let mut p = logged_in(Mode::Plain);
    let e = p.retr_from(b"/pub/hello.txt", 13).unwrap_err();
    assert_eq!(failure(e), (TransferFailure::InvalidRestart, 554));
    assert_no_data_moved(&p);
    p.clear_transcripts();
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
    assert_eq!(client_lines(&p), ["EPSV", "REST 0", "RETR /pub/hello.txt"]);
}

// C959-RETR: a missing file is answered 550 and no data moves.
#[test]
fn c959_retr_missing_550_no_data_connection() {
    let mut p = logged_in(Mode::Explicit);
    let e = p.retr(b"/nope").unwrap_err();
    assert_eq!(rejected_code(e), 550);
    assert_no_data_moved(&p);
    // The listener made for it is closed: the next transfer works.
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
}

// X3659-MLSREQ: MLSD of a file is 501 and no data moves.
#[test]
fn x3659_mlsd_of_file_501() {
    let mut p = logged_in(Mode::Plain);
    let e = p.mlsd(Some(b"/pub/hello.txt")).unwrap_err();
    assert_eq!(rejected_code(e), 501);
    assert_no_data_moved(&p);
}

// DAT-IMAGE: all 256 byte values round-trip in TYPE I.
#[test]
fn dat_image_all_bytes_round_trip() {
    let all: Vec<u8> = (0..=255u8).rev().collect();
    let mut p = logged_in(Mode::Implicit);
    assert_eq!(p.stor(b"/rev.bin", &all).unwrap(), 256);
    assert_eq!(p.retr(b"/rev.bin").unwrap(), all);
}

// DAT-ASCII, DAT-ASCII-EDGE, X3659-SIZE: TYPE A converts LF <-> CRLF on both sides, never
// doubles a CR, and SIZE counts the network form.
#[test]
fn dat_ascii_round_trip_and_size() {
    let mut p = logged_in(Mode::Plain);
    let text = b"a\nb\r\nc\rd\n";
    let (out, _) = p
        .transfer(
            Transfer::new(TransferKind::Stor, b"/t.txt").ascii(true),
            text,
        )
        .unwrap();
    // Network form: a\r\n b\r\n c\r d\r\n = 11 bytes.
    assert_eq!(out, OpOutput::Transferred { bytes: 11 });
    assert_eq!(p.storage().get(b"/t.txt"), Some(&b"a\nb\nc\rd\n"[..]));
    let (out, data) = p
        .transfer(
            Transfer::new(TransferKind::Retr, b"/t.txt").ascii(true),
            b"",
        )
        .unwrap();
    assert_eq!(out, OpOutput::Transferred { bytes: 11 });
    assert_eq!(data, b"a\nb\nc\rd\n");
    // In TYPE A the server's SIZE counts the network form (a raw SIZE shows it) ...
    let raw_size = ftps_proto::Command::Size(b"/t.txt"[..].into());
    let r = p
        .command(ftps_proto::client::Operation::Raw(raw_size))
        .unwrap();
    assert!(
        matches!(&r, OpOutput::Reply(reply) if reply.text() == b"11"),
        "{r:?}"
    );
    assert!(client_lines(&p).contains(&"TYPE A".to_owned()));
    // ... while Operation::Size switches to TYPE I first and gets the stored length.
    assert_eq!(
        p.command(ftps_proto::client::Operation::Size(b"/t.txt"))
            .unwrap(),
        OpOutput::Size(8)
    );
    // Back to binary: TYPE I, and SIZE is the stored length.
    assert_eq!(p.retr(b"/t.txt").unwrap(), b"a\nb\nc\rd\n");
    assert_eq!(
        p.command(ftps_proto::client::Operation::Size(b"/t.txt"))
            .unwrap(),
        OpOutput::Size(8)
    );
}

// C959-STOR: a quota hit mid-upload is 552, never 226.
#[test]
fn c959_stor_quota_552() {
    let mut p = logged_in(Mode::Explicit);
    p.storage_mut().set_quota(Some(4));
    let e = p.stor(b"/big", b"0123456789").unwrap_err();
    assert_eq!(failure(e), (TransferFailure::QuotaExceeded, 552));
    assert_eq!(p.storage().get(b"/big"), Some(&b"0123"[..]));
    assert!(!p
        .server_events()
        .iter()
        .any(|e| matches!(e, ServerEvent::TransferFinished { .. })));
}

// C959-LIST, DAT-LISTTYPE: dot files only with LIST -a; a listing of one file is its line.
#[test]
fn c959_list_hides_dot_files_unless_a() {
    let mut p = logged_in(Mode::Plain);
    p.storage_mut().put(b"/d/.hidden", b"h").unwrap();
    p.storage_mut().put(b"/d/shown", b"s").unwrap();
    assert_eq!(p.nlst(Some(b"/d")).unwrap(), b".hidden\r\nshown\r\n");
    let list = p.list(Some(b"/d")).unwrap();
    assert!(list.ends_with(b" shown\r\n") && !list.windows(7).any(|w| w == b".hidden"));
    let list = p.list(Some(b"-a /d")).unwrap();
    assert_eq!(
        list.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
    let one = p.list(Some(b"/d/shown")).unwrap();
    assert_eq!(
        one,
        b"-rw-r--r--    1 ftp      ftp             1 Nov 14 22:13 shown\r\n"
    );
}

// C959-NLST: every NLST line is usable verbatim as a RETR argument.
#[test]
fn c959_nlst_names_are_retrievable() {
    let mut p = logged_in(Mode::Explicit);
    p.command(ftps_proto::client::Operation::Cwd(b"/pub"))
        .unwrap();
    let names = p.nlst(None).unwrap();
    let mut got = Vec::new();
    for name in names.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let name = name.strip_suffix(b"\r").unwrap();
        if name != b"sub" {
            got.push(p.retr(name).unwrap());
        }
    }
    assert_eq!(got, [b"hello world\n".to_vec()]);
}

// DAT-COMPLETE: the 226 may arrive before the client's data end; success either way.
#[test]
fn dat_complete_reply_before_data_end() {
    let mut opts = PairOptions::default();
    opts.late_client_data_end = true;
    let mut p = Pair::builder()
        .client(ClientConfig::default())
        .server(server_config(Mode::Explicit))
        .storage(storage())
        .options(opts)
        .build();
    p.login(b"alice", b"secret").unwrap();
    assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
    assert_eq!(p.stor(b"/late", b"late").unwrap(), 4);
    assert_eq!(p.storage().get(b"/late"), Some(&b"late"[..]));
}

// FRM-EOL: the whole session one control byte per read behaves the same.
#[test]
fn frm_eol_one_byte_reads() {
    for mode in ALL_MODES {
        let mut opts = PairOptions::default();
        opts.read_size = 1;
        let mut p = Pair::builder()
            .client(client_config(mode))
            .server(server_config(mode))
            .storage(storage())
            .options(opts)
            .build();
        p.login(b"alice", b"secret").unwrap();
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
        assert_eq!(p.nlst(Some(b"/pub")).unwrap(), b"hello.txt\r\nsub\r\n");
        p.quit().unwrap();
        assert_eq!(server_codes(&p).last(), Some(&221));
    }
}

// ATK-NAT / S2577-RANDPORT (range): passive ports come from the configured range.
#[test]
fn atk_nat_passive_port_range() {
    let mut s = server_config(Mode::Plain);
    s.passive.ports = Some(60_000..=60_001);
    let mut p = pair_with(ClientConfig::plain(), s);
    p.login(b"alice", b"secret").unwrap();
    for _ in 0..3 {
        assert_eq!(p.retr(b"/pub/hello.txt").unwrap(), b"hello world\n");
    }
    let ports: Vec<String> = server_lines(&p)
        .into_iter()
        .filter(|l| l.starts_with("229"))
        .collect();
    assert_eq!(
        ports,
        [
            "229 Entering Extended Passive Mode (|||60000|)",
            "229 Entering Extended Passive Mode (|||60001|)",
            "229 Entering Extended Passive Mode (|||60000|)"
        ]
    );
}

// ServerConfig default + ClientConfig default agree on everything (the doc example's setup).
#[test]
fn defaults_interoperate() {
    let mut p = Pair::new(ClientConfig::default(), ServerConfig::default());
    p.storage_mut().add_user(b"u", b"p");
    p.login(b"u", b"p").unwrap();
    assert_eq!(p.stor(b"/f", b"x").unwrap(), 1);
    assert_eq!(p.retr(b"/f").unwrap(), b"x");
    p.quit().unwrap();
    assert_eq!(p.anomalies(), &[] as &[String]);
}
