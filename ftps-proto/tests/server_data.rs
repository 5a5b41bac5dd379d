//! Server session: PASV/EPSV/PORT/EPRT, the transfer lifecycle, ABOR, STAT during a
//! transfer, data-connection security checks and data timers.
mod server_common;

use std::net::SocketAddr;
use std::time::Duration;

use ftps_proto::server::{ListFormat, Request, Response, ServerConfig, StoreMode};
use ftps_proto::session::{
    DataAction, DataError, DataEvent, DataProtection, DataTls, StorageError, TlsEvent,
};
use server_common::{Driver, Out};

const CLEAR: DataProtection = DataProtection {
    tls: false,
    require_session_reuse: false,
};
const TLS: DataProtection = DataProtection {
    tls: true,
    require_session_reuse: true,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn c959_pasv_227_and_listen_action() {
    let mut d = Driver::logged_in();
    d.send(b"PASV\r\n");
    assert_eq!(d.take(), "", "227 waits for the listener");
    let DataAction::Listen {
        id,
        ip,
        ports,
        protection,
        accept_from,
    } = d.action()
    else {
        panic!()
    };
    // H1123-DATAIP: the listener and the 227 address are the control connection's local
    // address (192.0.2.1), whatever other addresses the host has, unless masqueraded.
    assert_eq!(ip.to_string(), "192.0.2.1");
    assert_eq!(ports, None);
    assert_eq!(protection, CLEAR);
    // S2577-PEER: the adapter drops other addresses before any TLS handshake.
    assert_eq!(accept_from, Some("198.51.100.2".parse().unwrap()));
    d.data(
        id,
        DataEvent::Listening {
            addr: addr("192.0.2.1:40001"),
        },
    );
    assert_eq!(
        d.take(),
        "227 Entering Passive Mode (192,0,2,1,156,65).\r\n"
    );
}

#[test]
fn atk_nat_masquerade_and_port_range() {
    let mut c = ServerConfig::default();
    c.passive.masquerade = Some("203.0.113.1".parse().unwrap());
    c.passive.ports = Some(50000..=50100);
    let mut d = Driver::logged_in_with(c);
    d.send(b"PASV\r\n");
    let DataAction::Listen { id, ports, .. } = d.action() else {
        panic!()
    };
    assert_eq!(ports, Some(50000..=50100));
    d.data(
        id,
        DataEvent::Listening {
            addr: addr("192.0.2.1:50001"),
        },
    );
    assert_eq!(
        d.take(),
        "227 Entering Passive Mode (203,0,113,1,195,81).\r\n"
    );
}

#[test]
fn e2428_epsv_229_and_af() {
    let mut d = Driver::logged_in();
    d.send(b"EPSV\r\n");
    let DataAction::Listen { id, .. } = d.action() else {
        panic!()
    };
    d.data(
        id,
        DataEvent::Listening {
            addr: addr("192.0.2.1:6446"),
        },
    );
    assert_eq!(
        d.take(),
        "229 Entering Extended Passive Mode (|||6446|)\r\n"
    );
    // E2428-EPSVAF
    assert_eq!(
        d.cmd("EPSV 2\r\n"),
        "522 Network protocol not supported, use (1)\r\n"
    );
    d.send(b"EPSV 1\r\n");
    assert!(matches!(
        d.actions.pop_back(),
        Some(DataAction::Listen { .. })
    ));
}

#[test]
fn e2428_all_locks_out_pasv_port_eprt() {
    let mut d = Driver::logged_in();
    assert_eq!(d.cmd("EPSV ALL\r\n"), "200 EPSV ALL ok.\r\n");
    assert_eq!(
        d.cmd("PASV\r\n"),
        "503 EPSV ALL in force: only EPSV is allowed.\r\n"
    );
    assert_eq!(
        d.cmd("PORT 198,51,100,2,4,1\r\n"),
        "503 EPSV ALL in force: only EPSV is allowed.\r\n"
    );
    assert_eq!(
        d.cmd("EPRT |1|198.51.100.2|1025|\r\n"),
        "503 EPSV ALL in force: only EPSV is allowed.\r\n"
    );
}

#[test]
fn e2428_522_unknown_af_in_eprt() {
    let mut d = Driver::logged_in();
    assert_eq!(
        d.cmd("EPRT |3|x|1|\r\n"),
        "522 Network protocol not supported, use (1)\r\n"
    );
}

/// E2428-SRV: on an IPv6 control connection EPSV works (`229`, listening on the control
/// connection's IPv6 address, accepting only the client), PASV (IPv4 only) is refused, and
/// EPRT is held to the same bounce rules as PORT: only the client's own address, no low port.
#[test]
fn e2428_srv_ipv6_epsv_and_eprt_bounce_checks() {
    let peer: SocketAddr = "[2001:db8::2]:50000".parse().unwrap();
    let local: SocketAddr = "[2001:db8::1]:21".parse().unwrap();
    let mut d = Driver::with_addrs(ServerConfig::default(), peer, local);
    d.send(b"USER alice\r\nPASS pw\r\n");
    d.answer(Response::LoggedIn);
    d.take();
    d.send(b"EPSV\r\n");
    match d.action() {
        DataAction::Listen {
            id,
            ip,
            accept_from,
            ..
        } => {
            assert_eq!(ip, local.ip());
            assert_eq!(accept_from, Some(peer.ip()));
            d.data(
                id,
                DataEvent::Listening {
                    addr: "[2001:db8::1]:40001".parse().unwrap(),
                },
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d.take(),
        "229 Entering Extended Passive Mode (|||40001|)\r\n"
    );
    assert_eq!(d.cmd("PASV\r\n"), "501 PASV needs IPv4; use EPSV.\r\n");
    assert_eq!(
        d.cmd("EPRT |2|2001:db8::99|2000|\r\n"),
        "504 Data connections only to the client's own address.\r\n"
    );
    assert_eq!(
        d.cmd("EPRT |2|2001:db8::2|25|\r\n"),
        "504 Data connection port refused.\r\n"
    );
    assert_eq!(
        d.cmd("EPRT |2|2001:db8::2|2000|\r\n"),
        "200 EPRT command successful.\r\n"
    );
}

#[test]
fn c959_pasv_twice_closes_first_listener() {
    // DAT-PERXFER, ATK-TIMEOUT: one listener at a time.
    let mut d = Driver::logged_in();
    let first = d.pasv();
    d.take();
    d.send(b"PASV\r\n");
    assert_eq!(d.action(), DataAction::Close { id: first });
    assert!(matches!(d.action(), DataAction::Listen { id, .. } if id != first));
}

#[test]
fn s2577_bounce_lowport_disabled() {
    let mut d = Driver::logged_in();
    // S2577-BOUNCE
    assert_eq!(
        d.cmd("PORT 203,0,113,9,4,1\r\n"),
        "504 Data connections only to the client's own address.\r\n"
    );
    assert_eq!(
        d.cmd("EPRT |1|203.0.113.9|1025|\r\n"),
        "504 Data connections only to the client's own address.\r\n"
    );
    // S2577-LOWPORT
    assert_eq!(
        d.cmd("PORT 198,51,100,2,0,25\r\n"),
        "504 Data connection port refused.\r\n"
    );
    assert!(d.actions.is_empty(), "no connect attempted");
    assert_eq!(
        d.cmd("PORT 198,51,100,2,4,1\r\n"),
        "200 PORT command successful.\r\n"
    );
    assert_eq!(
        d.cmd("EPRT |1|198.51.100.2|1025|\r\n"),
        "200 EPRT command successful.\r\n"
    );
    // ARG-HOSTPORT
    assert_eq!(
        d.cmd("PORT 1,2,3,256,1,1\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    let mut c = ServerConfig::default();
    c.active.enabled = false;
    let mut d = Driver::logged_in_with(c);
    assert_eq!(
        d.cmd("PORT 198,51,100,2,4,1\r\n"),
        "500 Active mode is disabled; use PASV or EPSV.\r\n"
    );
    assert!(!d.cmd("FEAT\r\n").contains("EPRT"));
}

#[test]
fn c959_retr_passive_150_226() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.cmd("TYPE I\r\n");
    d.send(b"RETR file.bin\r\n");
    let (rid, req) = d.request();
    assert_eq!(
        req,
        Request::Retrieve {
            path: ftps_proto::vpath::VirtualPath::root()
                .resolve(b"file.bin")
                .unwrap(),
            offset: 0,
            data: id,
            ascii: false
        }
    );
    d.session.respond(d.now, rid, Response::Ok).unwrap();
    d.drain();
    assert_eq!(d.take(), "150 Opening data connection.\r\n");
    d.connect_from_peer(id, None);
    assert_eq!(d.action(), DataAction::Start { id });
    d.log.clear();
    d.data(id, DataEvent::Finished { bytes: 1234 });
    // DAT-CLOSE: the data connection is closed before the 226 is queued.
    assert_eq!(d.log[0], Out::Data(DataAction::Close { id }));
    assert_eq!(d.take(), "226 Transfer complete.\r\n");
    // DAT-PERXFER: the next transfer needs a new PASV.
    assert_eq!(
        d.cmd("RETR file.bin\r\n"),
        "425 Use PORT/EPRT or PASV/EPSV first.\r\n"
    );
}

#[test]
fn dat_order_passive_connected_before_transfer_125() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.connect_from_peer(id, None);
    d.send(b"LIST\r\n");
    d.answer(Response::Ok);
    assert_eq!(
        d.take(),
        "125 Data connection already open; transfer starting.\r\n"
    );
    assert_eq!(d.actions.pop_back(), Some(DataAction::Start { id }));
}

#[test]
fn c959_retr_missing_550_no_data() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR nope\r\n");
    d.answer(Response::Error(StorageError::NotFound));
    assert_eq!(d.take(), "550 No such file or directory.\r\n");
    assert_eq!(d.action(), DataAction::Close { id });
}

#[test]
fn c959_port_retr_connect_after_150() {
    let mut d = Driver::logged_in();
    d.cmd("PORT 198,51,100,2,4,1\r\n");
    d.send(b"RETR f\r\n");
    let (rid, req) = d.request();
    let Request::Retrieve { data: id, .. } = req else {
        panic!()
    };
    d.log.clear();
    d.session.respond(d.now, rid, Response::Ok).unwrap();
    d.drain();
    assert_eq!(
        d.log,
        [
            Out::Tx(b"150 Opening data connection.\r\n".to_vec()),
            Out::Data(DataAction::Connect {
                id,
                addr: addr("198.51.100.2:1025"),
                protection: CLEAR
            })
        ]
    );
    d.data(id, DataEvent::Failed(DataError::ConnectFailed));
    assert_eq!(
        d.take(),
        "150 Opening data connection.\r\n425 Cannot open data connection.\r\n"
    );
}

#[test]
fn s2577_peer_foreign_connection_rejected_keeps_waiting() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.data(
        id,
        DataEvent::Connected {
            peer: addr("203.0.113.66:4000"),
            tls: None,
        },
    );
    assert_eq!(d.action(), DataAction::Reject { id });
    d.connect_from_peer(id, None);
    assert_eq!(d.action(), DataAction::Start { id });
    assert_eq!(d.take(), "150 Opening data connection.\r\n");
}

fn protected_session() -> Driver {
    protected_session_with(ServerConfig::default())
}

/// Explicit FTPS with `config`: TLS, login, `PBSZ 0`, `PROT P`; every reply consumed.
fn protected_session_with(config: ServerConfig) -> Driver {
    let mut d = Driver::new(config);
    d.take();
    d.cmd("AUTH TLS\r\n");
    d.tls(TlsEvent::Established);
    d.send(b"USER a\r\nPASS b\r\n");
    d.answer(Response::LoggedIn);
    d.send(b"PBSZ 0\r\nPROT P\r\n");
    d.take();
    d
}

#[test]
fn atk_steal_data_tls_must_resume_control_session_522() {
    let mut d = protected_session();
    d.send(b"PASV\r\n");
    let DataAction::Listen { id, protection, .. } = d.action() else {
        panic!()
    };
    assert_eq!(protection, TLS);
    d.data(
        id,
        DataEvent::Listening {
            addr: addr("192.0.2.1:40001"),
        },
    );
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.take();
    d.connect_from_peer(
        id,
        Some(DataTls {
            resumed_control_session: false,
        }),
    );
    assert_eq!(
        d.take(),
        "522 Data connection must resume the control connection's TLS session.\r\n"
    );
    assert_eq!(d.action(), DataAction::Close { id });
}

#[test]
fn t4217_reuse_resumed_session_accepted() {
    let mut d = protected_session();
    let id = d.pasv();
    d.take();
    d.send(b"STOR up.bin\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(
        id,
        Some(DataTls {
            resumed_control_session: true,
        }),
    );
    assert_eq!(d.actions.pop_back(), Some(DataAction::Start { id }));
    // ATK-TRUNC: an upload without close_notify is never a 226.
    d.data(id, DataEvent::Failed(DataError::Truncated));
    assert_eq!(
        d.take(),
        "150 Opening data connection.\r\n\
         426 Upload truncated: data connection closed without TLS close_notify.\r\n"
    );
}

#[test]
fn t4217_datatls_plain_connection_under_prot_p_522() {
    let mut d = protected_session();
    let id = d.pasv();
    d.take();
    d.send(b"LIST\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    assert_eq!(
        d.take(),
        "150 Opening data connection.\r\n522 Data connection must use TLS.\r\n"
    );
}

#[test]
fn t4217_datatls_prot_p_required_521_before_1yz() {
    let mut c = ServerConfig::default();
    c.require_prot_p = true;
    let mut d = Driver::logged_in_with(c);
    let _ = d.pasv();
    d.take();
    assert_eq!(
        d.cmd("RETR f\r\n"),
        "521 Data connections must be protected: send PROT P.\r\n"
    );
    assert!(d.requests.is_empty());
}

#[test]
fn t4217_anytime_prot_changed_after_pasv_521() {
    let mut d = protected_session();
    d.cmd("PROT C\r\n");
    let _ = d.pasv();
    d.take();
    d.cmd("PROT P\r\n");
    assert_eq!(
        d.cmd("RETR f\r\n"),
        "521 PROT changed after PASV/EPSV; send PASV or EPSV again.\r\n"
    );
}

#[test]
fn t4217_anytime_active_mode_uses_prot_at_transfer() {
    let mut d = protected_session();
    d.cmd("PROT C\r\n");
    d.cmd("PORT 198,51,100,2,4,1\r\n");
    d.cmd("PROT P\r\n");
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    assert!(matches!(
        d.actions.pop_back(),
        Some(DataAction::Connect {
            protection: TLS,
            ..
        })
    ));
}

#[test]
fn c959_abor_during_transfer_426_226() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.take();
    d.log.clear();
    d.send(b"ABOR\r\n");
    assert_eq!(d.log[0], Out::Data(DataAction::Close { id }));
    assert_eq!(
        d.take(),
        "426 Transfer aborted.\r\n226 ABOR successful.\r\n"
    );
    // Late events for the aborted connection are ignored.
    d.data(id, DataEvent::Finished { bytes: 1 });
    assert_eq!(d.take(), "");
    assert_eq!(d.cmd("ABOR\r\n"), "226 No transfer to abort.\r\n");
}

#[test]
fn sm959_concur_stat_during_transfer_and_pipelined_noop_waits() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.data(id, DataEvent::Progress { bytes: 4096 });
    d.take();
    d.send(b"NOOP\r\nSTAT\r\n");
    assert_eq!(
        d.take(),
        "",
        "NOOP waits for the transfer; STAT is behind it"
    );
    d.data(id, DataEvent::Finished { bytes: 8192 });
    assert!(d
        .take()
        .starts_with("226 Transfer complete.\r\n200 NOOP ok.\r\n211-"));
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.data(id, DataEvent::Progress { bytes: 4096 });
    d.take();
    let stat = d.cmd("STAT\r\n");
    assert!(stat.starts_with("211-FTP server status:\r\n"), "{stat}");
    assert!(
        stat.contains("\r\n Transfer in progress: RETR, 4096 bytes so far\r\n"),
        "{stat}"
    );
    assert!(stat.ends_with("\r\n211 End of status.\r\n"));
}

#[test]
fn c959_quit_during_transfer_waits_for_226() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.take();
    assert_eq!(d.cmd("QUIT\r\n"), "");
    d.data(id, DataEvent::Finished { bytes: 5 });
    assert_eq!(d.take(), "226 Transfer complete.\r\n221 Goodbye.\r\n");
}

#[test]
fn atk_timeout_accept_425_and_stall_426() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.take();
    d.advance(Duration::from_secs(30));
    assert_eq!(d.take(), "425 Data connection not made in time.\r\n");
    assert_eq!(d.actions.pop_back(), Some(DataAction::Close { id }));
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.take();
    d.advance(Duration::from_secs(100));
    d.data(id, DataEvent::Progress { bytes: 10 });
    d.advance(Duration::from_secs(119));
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(
        d.take(),
        "426 Data connection stalled; transfer aborted.\r\n"
    );
}

#[test]
fn storage_failure_mid_transfer_codes() {
    for (err, reply) in [
        (
            StorageError::InsufficientStorage,
            "452 Insufficient storage space.\r\n",
        ),
        (
            StorageError::QuotaExceeded,
            "552 Exceeded storage allocation.\r\n",
        ),
        (StorageError::Local, "451 Local error in processing.\r\n"),
    ] {
        let mut d = Driver::logged_in();
        let id = d.pasv();
        d.take();
        d.send(b"STOR f\r\n");
        d.answer(Response::Ok);
        d.connect_from_peer(id, None);
        d.take();
        d.data(id, DataEvent::Failed(DataError::Storage(err)));
        assert_eq!(d.take(), reply);
    }
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.take();
    d.data(id, DataEvent::Failed(DataError::Broken));
    assert_eq!(d.take(), "426 Connection closed; transfer aborted.\r\n");
}

#[test]
fn c959_stou_150_file_name() {
    let mut d = Driver::logged_in();
    let _ = d.pasv();
    d.take();
    d.send(b"STOU\r\n");
    let (rid, req) = d.request();
    assert!(matches!(
        req,
        Request::Store {
            mode: StoreMode::Unique,
            offset: 0,
            ..
        }
    ));
    d.session
        .respond(
            d.now,
            rid,
            Response::StoreUnique {
                name: b"upload.1".to_vec(),
            },
        )
        .unwrap();
    d.drain();
    assert_eq!(d.take(), "150 FILE: upload.1\r\n");
}

#[test]
fn x3659_rest_consumed_by_next_transfer_and_appe_maps_to_stor() {
    let mut d = Driver::logged_in();
    assert_eq!(
        d.cmd("REST 100\r\n"),
        "350 Restarting at 100. Send STOR or RETR.\r\n"
    );
    let _ = d.pasv();
    d.send(b"RETR f\r\n");
    assert!(matches!(
        d.request().1,
        Request::Retrieve { offset: 100, .. }
    ));
    // ARG-MARKER
    let mut d = Driver::logged_in();
    assert_eq!(
        d.cmd("REST -1\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    assert_eq!(
        d.cmd("REST 18446744073709551616\r\n"),
        "501 Syntax error in parameters or arguments.\r\n"
    );
    d.cmd("REST 7\r\n");
    let _ = d.pasv();
    d.send(b"APPE f\r\n");
    let (rid, req) = d.request();
    assert!(matches!(
        req,
        Request::Store {
            mode: StoreMode::Replace,
            offset: 7,
            ..
        }
    ));
    d.session.respond(d.now, rid, Response::Denied).unwrap();
    d.drain();
    // H1123-RESTCODES: the application's 554.
    let _ = d.pasv();
    d.take();
    d.send(b"REST 999\r\nRETR f\r\n");
    d.answer(Response::Error(StorageError::InvalidOffset));
    assert_eq!(
        d.take(),
        "350 Restarting at 999. Send STOR or RETR.\r\n554 Invalid REST parameter.\r\n"
    );
}

#[test]
fn x3659_mlsd_of_file_501_and_list_options() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.take();
    d.send(b"MLSD file.txt\r\n");
    d.answer(Response::Error(StorageError::NotADirectory));
    assert_eq!(d.take(), "501 Not a directory.\r\n");
    assert_eq!(d.action(), DataAction::Close { id });
    let _ = d.pasv();
    d.send(b"LIST -la sub\r\n");
    match d.request().1 {
        Request::List {
            path, format, all, ..
        } => {
            assert_eq!(path.as_bytes(), b"/sub");
            assert_eq!(format, ListFormat::List);
            assert!(all);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn c959_stor_532_need_account() {
    let mut d = Driver::logged_in();
    let _ = d.pasv();
    d.take();
    d.send(b"STOR f\r\n");
    d.answer(Response::NeedAccount);
    assert_eq!(d.take(), "532 Need account for storing files.\r\n");
}

#[test]
fn listen_failed_425() {
    let mut d = Driver::logged_in();
    d.send(b"PASV\r\n");
    let DataAction::Listen { id, .. } = d.action() else {
        panic!()
    };
    d.data(id, DataEvent::Failed(DataError::ListenFailed));
    assert_eq!(d.take(), "425 Cannot open passive connection.\r\n");
}

#[test]
fn eof_during_transfer_closes_data() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    d.send(b"RETR f\r\n");
    d.answer(Response::Ok);
    d.connect_from_peer(id, None);
    d.actions.clear();
    d.session.handle_eof(d.now);
    d.drain();
    assert_eq!(d.action(), DataAction::Close { id });
}

// REP-NOSPONT: between commands nothing the adapter reports makes the server speak: a passive
// connection that arrives, moves, fails or finishes with no transfer pending, and the clock
// short of the idle timeout. Only the greeting and a shutdown's 421 go out unprompted.
#[test]
fn rep_nospont_no_reply_without_a_command() {
    let mut d = Driver::logged_in();
    let id = d.pasv();
    assert!(d.take().starts_with("227 "));
    d.connect_from_peer(id, None);
    d.data(id, DataEvent::Progress { bytes: 10 });
    d.data(id, DataEvent::Failed(DataError::Broken));
    d.data(id, DataEvent::Finished { bytes: 10 });
    d.advance(Duration::from_secs(150));
    d.advance(Duration::from_secs(149));
    assert_eq!(d.take(), "");
    assert!(d.closed.is_none());
    // The next command is answered alone: nothing was queued for it.
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
    d.session.shutdown(d.now);
    d.drain();
    assert_eq!(
        d.take(),
        "421 Service not available, closing control connection.\r\n"
    );
}

// S2228-3P: with foreign active addresses allowed, a PORT/EPRT elsewhere is a third-party
// transfer, which cannot be protected: refused (534) under PROT P, also when PROT P comes
// after the PORT; taken under PROT C, and to the client's own address under PROT P.
#[test]
fn s2228_3p_foreign_active_address_refused_under_prot_p() {
    let mut config = ServerConfig::default();
    config.active.require_peer_ip = false;
    let refused =
        "534 Third-party transfers cannot be protected: PROT P data goes to the client only.\r\n";
    let mut d = protected_session_with(config);
    assert_eq!(d.cmd("PORT 203,0,113,9,4,1\r\n"), refused);
    assert_eq!(d.cmd("EPRT |1|203.0.113.9|1025|\r\n"), refused);
    assert!(d.cmd("PORT 198,51,100,2,4,1\r\n").starts_with("200 "));
    d.cmd("PROT C\r\n");
    assert!(d.cmd("PORT 203,0,113,9,4,1\r\n").starts_with("200 "));
    d.cmd("PROT P\r\n");
    d.actions.clear();
    assert_eq!(d.cmd("RETR f\r\n"), refused);
    assert!(d.requests.is_empty());
    assert!(!d
        .actions
        .iter()
        .any(|a| matches!(a, DataAction::Connect { .. })));
}
