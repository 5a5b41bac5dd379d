//! Property test over (state, input): random command lines, responses, data/TLS events and
//! timer firings never panic, every reply line is well formed, buffering stays bounded.
mod server_common;

use std::net::SocketAddr;
use std::time::Duration;

use ftps_proto::server::{Response, ServerConfig, ServerTls};
use ftps_proto::session::{DataError, DataEvent, DataId, DataTls, StorageError, TlsEvent};
use proptest::prelude::*;
use server_common::{assert_well_formed, Driver};

const LINES: &[&str] = &[
    "USER a",
    "PASS b",
    "ACCT c",
    "CWD x",
    "CDUP",
    "REIN",
    "PORT 198,51,100,2,4,1",
    "PORT 1,2,3,4,0,1",
    "EPRT |1|198.51.100.2|2000|",
    "PASV",
    "EPSV",
    "EPSV ALL",
    "EPSV 2",
    "TYPE I",
    "TYPE A",
    "TYPE E",
    "STRU F",
    "MODE S",
    "RETR f",
    "STOR f",
    "STOU",
    "APPE f",
    "ALLO 5",
    "REST 10",
    "RNFR a",
    "RNTO b",
    "ABOR",
    "DELE f",
    "RMD d",
    "MKD d",
    "PWD",
    "LIST",
    "NLST",
    "SITE x",
    "SYST",
    "STAT",
    "STAT f",
    "HELP",
    "NOOP",
    "AUTH TLS",
    "PBSZ 0",
    "PROT P",
    "PROT C",
    "CCC",
    "FEAT",
    "OPTS UTF8 ON",
    "OPTS MLST size;",
    "SIZE f",
    "MDTM f",
    "MLST f",
    "MLSD",
    "LANG en",
    "HOST h",
    "MFMT 20200101000000 f",
    "XYZZ",
    "QUIT",
    "",
];

#[derive(Debug, Clone)]
enum Step {
    Line(usize),
    Raw(Vec<u8>),
    Answer(u8),
    Data(u8),
    Tls(u8),
    Wait(u16),
    Eof,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..LINES.len()).prop_map(Step::Line),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Step::Raw),
        4 => any::<u8>().prop_map(Step::Answer),
        4 => any::<u8>().prop_map(Step::Data),
        1 => any::<u8>().prop_map(Step::Tls),
        1 => any::<u16>().prop_map(Step::Wait),
        1 => Just(Step::Eof),
    ]
}

fn response(k: u8) -> Response {
    match k % 10 {
        0 => Response::Ok,
        1 => Response::LoggedIn,
        2 => Response::LoginFailed,
        3 => Response::NeedAccount,
        4 => Response::Size(7),
        5 => Response::Error(StorageError::NotFound),
        6 => Response::Denied,
        7 => Response::StoreUnique {
            name: b"u\r\n1".to_vec(),
        },
        8 => Response::Error(StorageError::QuotaExceeded),
        _ => Response::Error(StorageError::NotADirectory),
    }
}

fn data_event(k: u8) -> DataEvent {
    let peer: SocketAddr = if k & 0x80 == 0 {
        "198.51.100.2:5000"
    } else {
        "203.0.113.5:5000"
    }
    .parse()
    .unwrap();
    match k % 8 {
        0 => DataEvent::Listening {
            addr: "192.0.2.1:40000".parse().unwrap(),
        },
        1 => DataEvent::Connected { peer, tls: None },
        2 => DataEvent::Connected {
            peer,
            tls: Some(DataTls {
                resumed_control_session: k & 1 == 0,
            }),
        },
        3 => DataEvent::Finished { bytes: 10 },
        4 => DataEvent::Progress { bytes: 5 },
        5 => DataEvent::Failed(DataError::Truncated),
        6 => DataEvent::Failed(DataError::TlsFailed),
        _ => DataEvent::Failed(DataError::Storage(StorageError::InsufficientStorage)),
    }
}

/// Runs `steps` on a fresh session; with `release`, the session frees its idle buffers after
/// every step (`ServerSession::release_memory`).
fn play(implicit: bool, steps: &[Step], release: bool) -> Result<Driver, TestCaseError> {
    let mut config = ServerConfig::default();
    config.features.site = true;
    config.features.host = true;
    if implicit {
        config.tls = ServerTls::Implicit;
    }
    let mut d = Driver::new(config);
    let mut last_data: Option<DataId> = None;
    for s in steps {
        match s {
            Step::Line(i) => d.send(format!("{}\r\n", LINES[*i]).as_bytes()),
            Step::Raw(bytes) => d.send(bytes),
            Step::Answer(k) => {
                if let Some((id, _)) = d.requests.pop_front() {
                    // Misfit answers are LocalErrors; then answer Ok-ish to move on.
                    if d.session.respond(d.now, id, response(*k)).is_err() {
                        // Denied fits every request of a session that is still open.
                        let denied = d.session.respond(d.now, id, Response::Denied);
                        prop_assert!(denied.is_ok() || d.session.is_closed());
                    }
                    d.drain();
                }
            }
            Step::Data(k) => {
                while let Some(a) = d.actions.pop_front() {
                    if let ftps_proto::session::DataAction::Listen { id, .. }
                    | ftps_proto::session::DataAction::Connect { id, .. } = a
                    {
                        last_data = Some(id);
                    }
                }
                if let Some(id) = last_data {
                    d.data(id, data_event(*k));
                }
            }
            Step::Tls(k) => d.tls(match k % 3 {
                0 => TlsEvent::Established,
                1 => TlsEvent::Stopped,
                _ => TlsEvent::Failed,
            }),
            Step::Wait(secs) => d.advance(Duration::from_secs(u64::from(secs % 400))),
            Step::Eof => {
                d.session.handle_eof(d.now);
                d.drain();
            }
        }
        if release {
            d.session.release_memory();
        }
        prop_assert!(d.wire.len() < 1 << 20);
    }
    Ok(d)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn server_state_input_never_panics_replies_well_formed(
        implicit in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let d = play(implicit, &steps, false)?;
        // Telnet answers (IAC WONT/DONT x) may precede replies; strip them for the line check.
        let wire: Vec<u8> = d.wire.clone();
        let mut clean = Vec::new();
        let mut i = 0;
        while i < wire.len() {
            if wire[i] == 0xff && i + 2 < wire.len() && (wire[i + 1] == 0xfc || wire[i + 1] == 0xfe) {
                i += 3;
            } else {
                clean.push(wire[i]);
                i += 1;
            }
        }
        assert_well_formed(&clean);
        if d.closed.is_some() {
            prop_assert_eq!(d.session.poll_timeout(), None);
        }
    }

    /// Freeing the idle buffers after every step (what an adapter does for idle sessions)
    /// changes nothing the session does.
    #[test]
    fn release_memory_changes_no_output(
        implicit in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let kept = play(implicit, &steps, false)?;
        let released = play(implicit, &steps, true)?;
        prop_assert_eq!(&kept.log, &released.log);
        prop_assert_eq!(&kept.closed, &released.closed);
        let left = |d: &Driver| d.session.poll_timeout().map(|at| at.saturating_duration_since(d.now));
        prop_assert_eq!(left(&kept), left(&released));
    }
}
