//! Client data transfers: passive and active set-up, completion in either order, typed
//! failures, REST, STOU, ABOR and the odd servers.

mod client_support;

use std::net::SocketAddr;
use std::time::Duration;

use client_support::*;
use ftps_proto::client::{
    ClientConfig, ClientError, LocalError, OpId, OpOutput, Operation, PassiveMode, TimerKind,
    Transfer, TransferFailure, TransferKind, Violation,
};
use ftps_proto::session::{CloseReason, DataAction, DataError, DataEvent, DataId, DataProtection};

const CLEAR: DataProtection = DataProtection {
    tls: false,
    require_session_reuse: false,
};
const TLS: DataProtection = DataProtection {
    tls: true,
    require_session_reuse: false,
};

fn connect_of(items: &[Item]) -> (DataId, SocketAddr, DataProtection) {
    items
        .iter()
        .find_map(|i| match i {
            Item::Data(DataAction::Connect {
                id,
                addr,
                protection,
            }) => Some((*id, *addr, *protection)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Connect in {items:?}"))
}

fn started(items: &[Item], id: DataId) -> bool {
    items.contains(&Item::Data(DataAction::Start { id }))
}

fn closed(items: &[Item], id: DataId) -> bool {
    items.contains(&Item::Data(DataAction::Close { id }))
}

/// Starts a transfer on a plain ready session and brings it to the transfer command
/// through `TYPE I` and `EPSV`: returns the op, the data id and the transcript.
fn passive_retr(h: &mut Harness, t: Transfer<'_>, expect_cmd: &str) -> (OpId, DataId) {
    let listing = t.kind.is_listing();
    let op = h.c.transfer(t).unwrap();
    if !listing {
        // Listings keep the type in force.
        assert_eq!(h.take_sent(), "TYPE I\r\n");
        h.feed(b"200 Switching to Binary mode.\r\n");
    }
    assert_eq!(h.take_sent(), "EPSV\r\n");
    let items = h.feed(&capture("vsftpd-explicit", "epsv.bin"));
    let id = transfer_data(&items);
    let (cid, addr, protection) = connect_of(&items);
    assert_eq!(cid, id);
    assert_eq!(addr, "198.51.100.7:30119".parse().unwrap());
    assert_eq!(protection, CLEAR);
    assert_eq!(h.take_sent(), expect_cmd);
    (op, id)
}

#[test]
fn c959_retr_epsv_226_after_data_eof() {
    // DAT-COMPLETE (FIN before 226), DAT-ORDER (connect before 150), E2428-229.
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"file1234.bin"),
        "RETR file1234.bin\r\n",
    );
    assert_eq!(h.connected(id, false), vec![]);
    let items = h.feed(b"150 Opening BINARY mode data connection.\r\n");
    assert_eq!(items, vec![Item::Data(DataAction::Start { id })]);
    assert_eq!(h.data(id, DataEvent::Finished { bytes: 1234 }), vec![]);
    let items = h.feed(b"226 Transfer complete.\r\n");
    assert_eq!(done(&items, op), Ok(OpOutput::Transferred { bytes: 1234 }));
}

#[test]
fn dat_complete_226_before_data_eof() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 done\r\n");
    assert!(!h.c.is_closed());
    let items = h.data(id, DataEvent::Finished { bytes: 7 });
    assert_eq!(done(&items, op), Ok(OpOutput::Transferred { bytes: 7 }));
}

#[test]
fn dat_complete_226_without_data_eof_times_out() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 done\r\n");
    assert_eq!(h.c.poll_timeout().unwrap() - h.now, Duration::from_secs(60));
    let items = h.advance_to_deadline();
    assert_eq!(
        done(&items, op),
        Err(ClientError::Timeout(TimerKind::DataStall))
    );
    assert!(closed(&items, id));
    assert!(!h.c.is_closed());
}

#[test]
fn dat_125_connected_after_preliminary() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::without_path(TransferKind::List),
        "LIST\r\n",
    );
    assert_eq!(h.feed(b"125 Data connection already open.\r\n"), vec![]);
    assert_eq!(
        h.connected(id, false),
        vec![Item::Data(DataAction::Start { id })]
    );
    h.data(id, DataEvent::Finished { bytes: 10 });
    assert_eq!(
        done(&h.feed(b"226 ok\r\n"), op),
        Ok(OpOutput::Transferred { bytes: 10 })
    );
}

#[test]
fn c959_stor_start_only_after_preliminary() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Stor, b"up.bin"),
        "STOR up.bin\r\n",
    );
    // Connected, but no 150 yet: the adapter must not write.
    assert!(!started(&h.connected(id, false), id));
    assert!(started(&h.feed(b"150 Ok to send data.\r\n"), id));
    h.data(id, DataEvent::Finished { bytes: 3 });
    assert_eq!(
        done(&h.feed(b"226 ok\r\n"), op),
        Ok(OpOutput::Transferred { bytes: 3 })
    );
}

#[test]
fn c959_appe() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Appe, b"log"),
        "APPE log\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n");
    h.data(id, DataEvent::Finished { bytes: 2 });
    assert_eq!(
        done(&h.feed(b"226 ok\r\n"), op),
        Ok(OpOutput::Transferred { bytes: 2 })
    );
}

#[test]
fn c959_stou_name_from_150_file() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::without_path(TransferKind::Stou),
        "STOU\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 FILE: upload.1\r\n");
    h.data(id, DataEvent::Finished { bytes: 2 });
    assert_eq!(
        done(&h.feed(b"226 ok\r\n"), op),
        Ok(OpOutput::StoredAs(b"upload.1".to_vec()))
    );
}

#[test]
fn c959_list_nlst_mlsd_capture_replies() {
    for (server, name, kind, cmd) in [
        (
            "proftpd",
            "list-root.replies.bin",
            TransferKind::List,
            "LIST\r\n",
        ),
        (
            "pure-ftpd",
            "list-root.replies.bin",
            TransferKind::List,
            "LIST\r\n",
        ),
        (
            "vsftpd-explicit",
            "nlst-root.replies.bin",
            TransferKind::Nlst,
            "NLST\r\n",
        ),
        (
            "pyftpdlib",
            "mlsd-root.replies.bin",
            TransferKind::Mlsd,
            "MLSD\r\n",
        ),
        (
            "proftpd",
            "mlsd-root.replies.bin",
            TransferKind::Mlsd,
            "MLSD\r\n",
        ),
    ] {
        let wire = capture(server, name);
        let data = capture(server, &name.replace(".replies", ""));
        for bytewise in [false, true] {
            let mut h = Harness::plain_ready();
            let (op, id) = passive_retr(&mut h, Transfer::without_path(kind), cmd);
            h.connected(id, false);
            let mut items = if bytewise {
                h.feed_bytewise(&wire)
            } else {
                h.feed(&wire)
            };
            assert!(started(&items, id), "{server} {name}");
            items.extend(h.data(
                id,
                DataEvent::Finished {
                    bytes: data.len() as u64,
                },
            ));
            assert_eq!(
                done(&items, op),
                Ok(OpOutput::Transferred {
                    bytes: data.len() as u64
                }),
                "{server} {name}"
            );
        }
    }
}

#[test]
fn c959_retr_missing_file_550_closes_data() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"no-such-file.txt"),
        "RETR no-such-file.txt\r\n",
    );
    let items = h.feed(&capture("proftpd", "retr-missing.bin"));
    assert!(closed(&items, id));
    assert_eq!(
        done(&items, op),
        Err(ClientError::Rejected {
            reply: reply(550, "no-such-file.txt: No such file or directory")
        })
    );
}

#[test]
fn dat_125_typed_transfer_failures() {
    for (code, failure) in [
        (425, TransferFailure::CannotOpenDataConnection),
        (426, TransferFailure::ConnectionClosed),
        (451, TransferFailure::ServerLocalError),
        (452, TransferFailure::InsufficientStorage),
        (552, TransferFailure::QuotaExceeded),
        (521, TransferFailure::ProtectionLevelRefused),
        (522, TransferFailure::DataTlsFailed),
        (534, TransferFailure::PolicyRefused),
        (554, TransferFailure::InvalidRestart),
    ] {
        let mut h = Harness::plain_ready();
        let (op, id) = passive_retr(
            &mut h,
            Transfer::new(TransferKind::Retr, b"f"),
            "RETR f\r\n",
        );
        h.connected(id, false);
        h.feed(b"150 ok\r\n");
        let items = h.feed(format!("{code} failed\r\n").as_bytes());
        assert!(closed(&items, id), "{code}");
        assert_eq!(
            done(&items, op),
            Err(ClientError::Transfer {
                failure,
                reply: reply(code, "failed")
            }),
            "{code}"
        );
        assert!(!h.c.is_closed());
    }
}

#[test]
fn s2228_xfer_534_before_preliminary() {
    let mut h = Harness::plain_ready();
    let (op, _) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    let items = h.feed(b"534 Protection level too low\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Transfer {
            failure: TransferFailure::PolicyRefused,
            reply: reply(534, "Protection level too low")
        })
    );
}

#[test]
fn rep_one1yz_second_preliminary_is_violation() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    let items = h.feed(b"150 ok\r\n150 again\r\n");
    assert_eq!(violation(&items), Some(Violation::SecondPreliminary));
    assert_eq!(
        done(&items, op),
        Err(ClientError::ProtocolViolation(Violation::SecondPreliminary))
    );
    assert!(closed(&items, id));
}

#[test]
fn sm959_g2_intermediate_to_retr_is_violation() {
    let mut h = Harness::plain_ready();
    passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    assert_eq!(
        violation(&h.feed(b"350 what\r\n")),
        Some(Violation::UnexpectedIntermediate)
    );
}

#[test]
fn atk_trunc_data_truncated_then_226_is_error() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n");
    // The data side failed first: the client aborts to get back in step.
    let items = h.data(id, DataEvent::Failed(DataError::Truncated));
    assert!(closed(&items, id));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    h.feed(b"226 Transfer complete\r\n");
    let items = h.feed(b"225 No transfer to ABOR\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::Truncated))
    );
}

/// ATK-TRUNC: the first cause wins. The data connection was truncated, the client sent
/// `ABOR`, and the server closed the control connection instead of answering: the operation
/// still reports the truncation, not the close that followed; operations queued behind it get
/// `ConnectionClosed`.
#[test]
fn atk_trunc_truncated_then_server_closes_during_abor() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    let queued = h.c.command(Operation::Pwd).expect("queue PWD");
    h.connected(id, false);
    h.feed(b"150 ok\r\n");
    h.data(id, DataEvent::Failed(DataError::Truncated));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    let items = h.eof();
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::Truncated))
    );
    assert_eq!(done(&items, queued), Err(ClientError::ConnectionClosed));
}

#[test]
fn atk_trunc_226_then_truncated() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 ok\r\n");
    let items = h.data(id, DataEvent::Failed(DataError::Truncated));
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::Truncated))
    );
    assert_eq!(h.take_sent(), "");
}

#[test]
fn passive_connect_failure_before_preliminary() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.data(id, DataEvent::Failed(DataError::ConnectFailed));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    h.feed(b"425 Can't open data connection\r\n");
    let items = h.feed(b"226 ABOR ok\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::ConnectFailed))
    );
}

#[test]
fn data_connect_timeout() {
    let mut h = Harness::plain_ready();
    let (op, _id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.feed(b"150 ok\r\n");
    let items = h.advance(Duration::from_secs(30));
    assert!(!has_done(&items));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    h.feed(b"426 aborted\r\n");
    let items = h.feed(b"226 ok\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Timeout(TimerKind::DataConnect))
    );
}

// ---- EPSV / PASV ----

#[test]
fn e2428_229_bang_delimiters() {
    let mut h = Harness::plain_ready();
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
        .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"229 Entering Extended Passive Mode (!!!6446!)\r\n");
    assert_eq!(connect_of(&items).1, "198.51.100.7:6446".parse().unwrap());
}

#[test]
fn e2428_use_epsv_500_falls_back_to_pasv_remembered() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n500 EPSV not understood\r\n");
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\nPASV\r\n");
    let items = h.feed(&capture("pure-ftpd", "pasv.bin"));
    let (id, addr, _) = connect_of(&items);
    // ATK-PASVIP: the 127.0.0.1 of the reply is ignored.
    assert_eq!(
        addr,
        SocketAddr::new(h.c.server_addr().ip(), 117 * 256 + 210)
    );
    assert_eq!(h.take_sent(), "RETR f\r\n");
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 ok\r\n");
    assert_eq!(
        done(&h.data(id, DataEvent::Finished { bytes: 0 }), op),
        Ok(OpOutput::Transferred { bytes: 0 })
    );
    // DAT-PERXFER: a fresh PASV for the next transfer, no EPSV again, no TYPE again.
    h.c.transfer(Transfer::new(TransferKind::Retr, b"g"))
        .unwrap();
    assert_eq!(h.take_sent(), "PASV\r\n");
}

#[test]
fn e2428_use_epsv_522_is_not_a_fallback() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"522 Network protocol not supported, use (2)\r\n");
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Rejected {
            reply: reply(522, "Network protocol not supported, use (2)")
        })
    );
}

#[test]
fn e2428_use_ipv6_never_pasv() {
    let server: SocketAddr = "[2001:db8::1]:21".parse().unwrap();
    let mut h = Harness::with_server(ClientConfig::plain(), server);
    h.feed(b"220 hi\r\n211 none\r\n");
    h.take_sent();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"500 no EPSV\r\n");
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Rejected {
            reply: reply(500, "no EPSV")
        })
    );
    let mut config = ClientConfig::plain();
    config.passive = PassiveMode::PasvOnly;
    let mut h = Harness::with_server(config, server);
    assert_eq!(
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f")),
        Err(LocalError::ForbiddenByConfig)
    );
}

#[test]
fn atk_pasvip_private_address_ignored_trust_opt_in() {
    let mut config = ClientConfig::plain();
    config.passive = PassiveMode::PasvOnly;
    let mut h = Harness::ready_with(config.clone());
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
        .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"227 Entering Passive Mode (10,0,0,5,4,1)\r\n");
    assert_eq!(connect_of(&items).1, "198.51.100.7:1025".parse().unwrap());

    config.trust_pasv_address = true;
    let mut h = Harness::ready_with(config.clone());
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
        .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"227 Entering Passive Mode (10,0,0,5,4,1)\r\n");
    assert_eq!(connect_of(&items).1, "10.0.0.5:1025".parse().unwrap());

    let mut h = Harness::ready_with(config);
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
        .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"227 Entering Passive Mode (0,0,0,0,4,1)\r\n");
    assert_eq!(connect_of(&items).1, "198.51.100.7:1025".parse().unwrap());
}

#[test]
fn h1123_pasvparse_without_parentheses_and_multiline() {
    let mut config = ClientConfig::plain();
    config.passive = PassiveMode::PasvOnly;
    for wire in [
        &b"227 Entering Passive Mode 10,0,0,1,4,1\r\n"[..],
        b"227 =10,0,0,1,4,1\r\n",
        b"227-Entering Passive Mode\r\n 10,0,0,1,4,1\r\n227 OK\r\n",
    ] {
        let mut h = Harness::ready_with(config.clone());
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
        h.feed(b"200 ok\r\n");
        let items = h.feed_bytewise(wire);
        assert_eq!(connect_of(&items).1, "198.51.100.7:1025".parse().unwrap());
    }
}

#[test]
fn pasv_without_numbers_is_typed_error() {
    let mut config = ClientConfig::plain();
    config.passive = PassiveMode::PasvOnly;
    let mut h = Harness::ready_with(config);
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"227 Entering Passive Mode\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::ProtocolViolation(Violation::InvalidReplyBody))
    );
    assert!(!h.c.is_closed());
}

#[test]
fn e2428_all_sent_once_then_epsv_only() {
    let mut config = ClientConfig::plain();
    config.passive = PassiveMode::EpsvAll;
    let mut h = Harness::ready_with(config);
    h.c.transfer(Transfer::without_path(TransferKind::Nlst))
        .unwrap();
    assert_eq!(h.take_sent(), "EPSV ALL\r\n");
    h.feed(b"200 EPSV ALL ok\r\n");
    assert_eq!(h.take_sent(), "EPSV\r\n");
    let items = h.feed(b"500 no\r\n");
    // Never PASV after EPSV ALL.
    assert_eq!(h.take_sent(), "");
    assert!(has_done(&items));
}

// ---- REST ----

#[test]
fn c959_rest_offset_after_epsv_before_retr() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"file1234.bin").offset(100))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"229 (|||5000|)\r\n");
    let id = transfer_data(&items);
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\nREST 100\r\n");
    h.feed(&capture("proftpd", "rest-100.bin"));
    assert_eq!(h.take_sent(), "RETR file1234.bin\r\n");
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 ok\r\n");
    assert_eq!(
        done(&h.data(id, DataEvent::Finished { bytes: 1134 }), op),
        Ok(OpOutput::Transferred { bytes: 1134 })
    );
    // The marker was consumed: no REST next time.
    h.c.transfer(Transfer::new(TransferKind::Retr, b"g"))
        .unwrap();
    assert_eq!(h.take_sent(), "EPSV\r\n");
}

#[test]
fn sm959_rest_200_is_violation() {
    let mut h = Harness::plain_ready();
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f").offset(5))
        .unwrap();
    h.feed(b"200 ok\r\n229 (|||5000|)\r\n");
    assert_eq!(
        violation(&h.feed(b"200 ok?\r\n")),
        Some(Violation::UnexpectedCompletion)
    );
}

#[test]
fn x3659_restcli_rest_again_after_failed_transfer() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f").offset(5))
            .unwrap();
    h.feed(b"200 ok\r\n229 (|||5000|)\r\n350 ok\r\n");
    let items = h.feed(b"425 no data connection\r\n");
    assert!(matches!(
        done(&items, op),
        Err(ClientError::Transfer {
            failure: TransferFailure::CannotOpenDataConnection,
            ..
        })
    ));
    h.take_sent();
    h.c.transfer(Transfer::new(TransferKind::Retr, b"g"))
        .unwrap();
    h.feed(b"229 (|||5001|)\r\n");
    assert_eq!(h.take_sent(), "EPSV\r\nREST 0\r\n");
    h.feed(b"350 ok\r\n");
    assert_eq!(h.take_sent(), "RETR g\r\n");
}

#[test]
fn h1123_restcodes_554() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f").offset(99999))
            .unwrap();
    h.feed(b"200 ok\r\n229 (|||5000|)\r\n350 ok\r\n");
    let items = h.feed(b"554 invalid REST\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Transfer {
            failure: TransferFailure::InvalidRestart,
            reply: reply(554, "invalid REST")
        })
    );
}

#[test]
fn rest_refused_fails_transfer() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f").offset(5))
            .unwrap();
    h.feed(b"200 ok\r\n229 (|||5000|)\r\n");
    let items = h.feed(b"502 REST not implemented\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Rejected {
            reply: reply(502, "REST not implemented")
        })
    );
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\nREST 5\r\n");
}

// ---- TYPE ----

#[test]
fn type_sent_only_when_changed() {
    let mut h = Harness::plain_ready();
    let (op, id) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.connected(id, false);
    h.feed(b"150 ok\r\n226 ok\r\n");
    done(&h.data(id, DataEvent::Finished { bytes: 0 }), op).unwrap();
    h.c.transfer(Transfer::new(TransferKind::Retr, b"t").ascii(true))
        .unwrap();
    assert_eq!(h.take_sent(), "TYPE A\r\n");
    let items = h.feed(b"504 no ascii\r\n");
    assert!(matches!(
        dones(&items)[0].1,
        Err(ClientError::Rejected { .. })
    ));
}

// ---- ABOR ----

fn running_retr(h: &mut Harness) -> (OpId, DataId) {
    let (op, id) = passive_retr(h, Transfer::new(TransferKind::Retr, b"big"), "RETR big\r\n");
    h.connected(id, false);
    h.feed(b"150 ok\r\n");
    (op, id)
}

#[test]
fn c959_abor_426_then_226() {
    let mut h = Harness::plain_ready();
    let (op, id) = running_retr(&mut h);
    h.c.abort(h.now, op).unwrap();
    assert!(closed(&h.drain(), id));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    assert!(!has_done(&h.feed(b"426 Transfer aborted\r\n")));
    assert_eq!(
        done(&h.feed(b"226 ABOR successful\r\n"), op),
        Err(ClientError::Aborted)
    );
    // In step again.
    h.c.command(ftps_proto::client::Operation::Noop).unwrap();
    assert_eq!(h.take_sent(), "NOOP\r\n");
}

#[test]
fn c959_abor_proftpd_226_before_426() {
    let mut h = Harness::plain_ready();
    let (op, _) = running_retr(&mut h);
    h.c.abort(h.now, op).unwrap();
    assert!(!has_done(&h.feed(b"226 Abort successful\r\n")));
    assert_eq!(
        done(
            &h.feed(b"426 Transfer aborted. Data connection closed\r\n"),
            op
        ),
        Err(ClientError::Aborted)
    );
}

#[test]
fn c959_abor_after_final_reply_single_225() {
    let mut h = Harness::plain_ready();
    let (op, _) = running_retr(&mut h);
    h.feed(b"226 Transfer complete\r\n");
    h.c.abort(h.now, op).unwrap();
    assert_eq!(h.take_sent(), "ABOR\r\n");
    assert_eq!(
        done(&h.feed(b"225 No transfer to abort\r\n"), op),
        Err(ClientError::Aborted)
    );
}

#[test]
fn c959_abor_226_226() {
    let mut h = Harness::plain_ready();
    let (op, _) = running_retr(&mut h);
    h.c.abort(h.now, op).unwrap();
    assert_eq!(
        done(&h.feed(b"226 done\r\n226 ABOR ok\r\n"), op),
        Err(ClientError::Aborted)
    );
}

#[test]
fn abor_before_preliminary_accepts_one_1yz() {
    let mut h = Harness::plain_ready();
    let (op, _) = passive_retr(
        &mut h,
        Transfer::new(TransferKind::Retr, b"f"),
        "RETR f\r\n",
    );
    h.c.abort(h.now, op).unwrap();
    assert_eq!(
        done(&h.feed(b"150 ok\r\n426 aborted\r\n226 ok\r\n"), op),
        Err(ClientError::Aborted)
    );
}

#[test]
fn abort_during_setup_waits_for_reply() {
    let mut h = Harness::plain_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.c.abort(h.now, op).unwrap();
    assert!(!has_done(&h.drain()));
    let items = h.feed(b"200 ok\r\n");
    assert_eq!(done(&items, op), Err(ClientError::Aborted));
    assert_eq!(h.take_sent(), "TYPE I\r\n");
}

#[test]
fn t4217_urgent_abor_in_band_under_tls() {
    let mut h = Harness::tls_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let items = h.feed(b"229 (|||5000|)\r\n");
    let (id, _, protection) = connect_of(&items);
    assert_eq!(protection, TLS);
    h.connected(id, true);
    h.feed(b"150 ok\r\n");
    h.c.abort(h.now, op).unwrap();
    // Plain "ABOR" in the control stream: no Telnet IP/Synch bytes, no urgent data.
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\nRETR f\r\nABOR\r\n");
}

#[test]
fn data_tls_required_but_cleartext_connection() {
    let mut h = Harness::tls_ready();
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    h.feed(b"200 ok\r\n");
    let id = transfer_data(&h.feed(b"229 (|||5000|)\r\n"));
    h.connected(id, false);
    assert_eq!(h.take_sent(), "TYPE I\r\nEPSV\r\nRETR f\r\nABOR\r\n");
    let items = h.feed(b"426 x\r\n226 y\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::TlsFailed))
    );
}

// ---- active mode ----

fn active_config() -> ClientConfig {
    let mut c = ClientConfig::plain();
    c.active = true;
    c
}

#[test]
fn c959_port_active_eprt_then_connect_after_150() {
    // DAT-ORDER (server connects after 150), T4217-TLSROLE (protection from PROT).
    let mut h = Harness::ready_with(active_config());
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    let items = h.feed(b"200 ok\r\n");
    let id = transfer_data(&items);
    assert!(items.contains(&Item::Data(DataAction::Listen {
        id,
        ip: "0.0.0.0".parse().unwrap(),
        ports: None,
        protection: CLEAR,
        accept_from: None,
    })));
    let local: SocketAddr = "192.0.2.10:50000".parse().unwrap();
    h.data(id, DataEvent::Listening { addr: local });
    assert_eq!(h.take_sent(), "TYPE I\r\nEPRT |1|192.0.2.10|50000|\r\n");
    h.feed(b"200 EPRT ok\r\n");
    assert_eq!(h.take_sent(), "RETR f\r\n");
    h.feed(b"150 ok\r\n");
    // S2577-PEER: a connection from elsewhere is rejected.
    let stranger = DataEvent::Connected {
        peer: "203.0.113.9:20".parse().unwrap(),
        tls: None,
    };
    assert_eq!(
        h.data(id, stranger),
        vec![Item::Data(DataAction::Reject { id })]
    );
    assert!(started(&h.connected(id, false), id));
    h.data(id, DataEvent::Finished { bytes: 9 });
    assert_eq!(
        done(&h.feed(b"226 ok\r\n"), op),
        Ok(OpOutput::Transferred { bytes: 9 })
    );
}

#[test]
fn c959_port_fallback_after_eprt_500() {
    let mut h = Harness::ready_with(active_config());
    h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
        .unwrap();
    let id = transfer_data(&h.feed(b"200 ok\r\n"));
    h.data(
        id,
        DataEvent::Listening {
            addr: "192.0.2.10:1025".parse().unwrap(),
        },
    );
    h.feed(b"500 EPRT?\r\n");
    assert_eq!(
        h.take_sent(),
        "TYPE I\r\nEPRT |1|192.0.2.10|1025|\r\nPORT 192,0,2,10,4,1\r\n"
    );
    h.feed(b"200 PORT ok\r\n");
    assert_eq!(h.take_sent(), "RETR f\r\n");
}

#[test]
fn active_listen_failure() {
    let mut h = Harness::ready_with(active_config());
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    let id = transfer_data(&h.feed(b"200 ok\r\n"));
    let items = h.data(id, DataEvent::Failed(DataError::ListenFailed));
    assert_eq!(
        done(&items, op),
        Err(ClientError::DataConnection(DataError::ListenFailed))
    );
}

#[test]
fn atk_timeout_server_never_connects_active() {
    let mut h = Harness::ready_with(active_config());
    let op =
        h.c.transfer(Transfer::new(TransferKind::Retr, b"f"))
            .unwrap();
    let id = transfer_data(&h.feed(b"200 ok\r\n"));
    h.data(
        id,
        DataEvent::Listening {
            addr: "192.0.2.10:1025".parse().unwrap(),
        },
    );
    h.feed(b"200 ok\r\n150 ok\r\n");
    h.take_sent();
    let items = h.advance(Duration::from_secs(30));
    assert!(closed(&items, id));
    assert_eq!(h.take_sent(), "ABOR\r\n");
    let items = h.feed(b"425 no connection\r\n226 ok\r\n");
    assert_eq!(
        done(&items, op),
        Err(ClientError::Timeout(TimerKind::DataConnect))
    );
}

#[test]
fn events_for_stale_data_ids_are_ignored() {
    let mut h = Harness::plain_ready();
    let (op, old) = running_retr(&mut h);
    h.feed(b"226 ok\r\n");
    done(&h.data(old, DataEvent::Finished { bytes: 1 }), op).unwrap();
    let (_, new) = passive_retr(
        &mut h,
        Transfer::without_path(TransferKind::Nlst),
        "NLST\r\n",
    );
    assert_ne!(old, new);
    assert_eq!(h.data(old, DataEvent::Finished { bytes: 5 }), vec![]);
    assert_eq!(h.data(old, DataEvent::Failed(DataError::Broken)), vec![]);
    assert!(!h.c.is_closed());
}

#[test]
fn transfer_421_mid_transfer_closes_data() {
    let mut h = Harness::plain_ready();
    let (op, id) = running_retr(&mut h);
    let items = h.feed(b"421 Timeout\r\n");
    assert!(closed(&items, id));
    assert_eq!(
        done(&items, op),
        Err(ClientError::ServerClosed {
            reply: reply(421, "Timeout")
        })
    );
    assert_eq!(close_reason(&items), Some(CloseReason::Shutdown));
}

#[test]
fn transfer_missing_path() {
    let mut h = Harness::plain_ready();
    assert_eq!(
        h.c.transfer(Transfer::without_path(TransferKind::Retr)),
        Err(LocalError::MissingPath)
    );
}
