//! Property tests: random server bytes, events and caller requests never make the client
//! panic, spin, or buffer without bound (FRM-MAXREP, FRM-NONEG, ATK-CRLF).

mod client_support;

use std::time::Duration;

use client_support::*;
use ftps_proto::client::{ClientConfig, ClientEvent, Operation, Transfer, TransferKind};
use ftps_proto::session::{DataError, DataEvent, DataId, TlsEvent};
use ftps_proto::Secret;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Act {
    Input(Vec<u8>),
    Eof,
    Tls(u8),
    Data(u8),
    Timeout(u16),
    Login,
    Command(u8),
    Transfer(u8),
    Abort,
}

const FRAGMENTS: &[&[u8]] = &[
    b"220 hi\r\n",
    b"120 wait\r\n",
    b"234 ok\r\n",
    b"211-f\r\n UTF8\r\n211 end\r\n",
    b"200 ok\r\n",
    b"331 pw\r\n",
    b"230 in\r\n",
    b"332 acct\r\n",
    b"350 ok\r\n",
    b"150 ok\r\n",
    b"125 open\r\n",
    b"226 done\r\n",
    b"225 ok\r\n",
    b"426 abort\r\n",
    b"425 no\r\n",
    b"421 bye\r\n",
    b"500 what\r\n",
    b"502 no\r\n",
    b"550 no\r\n",
    b"229 (|||1234|)\r\n",
    b"227 (1,2,3,4,5,6)\r\n",
    b"257 \"/x\"\r\n",
    b"213 12\r\n",
    b"221 bye\r\n",
    b"150 FILE: x\r\n",
    b"226-",
    b"\r\n",
    b"\n",
    b"\xff\xfd\x01",
    b"999 bad\r\n",
    b"2",
    b"\0",
    b"\xff",
];

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(|f| Act::Input(f.to_vec())),
        2 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Act::Input),
        1 => Just(Act::Eof),
        1 => any::<u8>().prop_map(Act::Tls),
        2 => any::<u8>().prop_map(Act::Data),
        1 => any::<u16>().prop_map(Act::Timeout),
        1 => Just(Act::Login),
        2 => any::<u8>().prop_map(Act::Command),
        2 => any::<u8>().prop_map(Act::Transfer),
        1 => Just(Act::Abort),
    ]
}

fn config(n: u8) -> ClientConfig {
    let mut c = match n % 3 {
        0 => ClientConfig::plain(),
        1 => ClientConfig::default(),
        _ => ClientConfig::implicit(),
    };
    c.active = n & 4 != 0;
    c.prot_before_login = n & 8 == 0;
    c
}

fn run(cfg: u8, acts: Vec<Act>) {
    let mut h = Harness::new(config(cfg));
    let mut data: Vec<DataId> = Vec::new();
    let mut ops = Vec::new();
    let mut items = h.drain();
    for a in acts {
        for i in &items {
            if let Item::Event(ClientEvent::TransferData { data: d, .. }) = i {
                data.push(*d);
            }
        }
        items = match a {
            Act::Input(b) => h.feed(&b),
            Act::Eof => h.eof(),
            Act::Tls(n) => h.tls(match n % 3 {
                0 => TlsEvent::Established,
                1 => TlsEvent::Failed,
                _ => TlsEvent::Stopped,
            }),
            Act::Data(n) => match data.last() {
                Some(&id) => {
                    let ev = match n % 5 {
                        0 => DataEvent::Listening {
                            addr: "192.0.2.9:4000".parse().unwrap(),
                        },
                        1 => DataEvent::Connected {
                            peer: h.c.server_addr(),
                            tls: None,
                        },
                        2 => DataEvent::Finished {
                            bytes: u64::from(n),
                        },
                        3 => DataEvent::Failed(DataError::Truncated),
                        _ => DataEvent::Failed(DataError::ConnectFailed),
                    };
                    h.data(id, ev)
                }
                None => h.drain(),
            },
            Act::Timeout(ms) => h.advance(Duration::from_millis(u64::from(ms) * 50)),
            Act::Login => {
                if let Ok(op) = h.c.login(b"u", Secret::from("p"), None) {
                    ops.push(op);
                }
                h.drain()
            }
            Act::Command(n) => {
                let op = match n % 8 {
                    0 => Operation::Noop,
                    1 => Operation::Pwd,
                    2 => Operation::Rename {
                        from: b"a",
                        to: b"b",
                    },
                    3 => Operation::Size(b"f"),
                    4 => Operation::Quit,
                    5 => Operation::Rein,
                    6 => Operation::Ccc,
                    _ => Operation::Cwd(b"x\ry"),
                };
                if let Ok(op) = h.c.command(op) {
                    ops.push(op);
                }
                h.drain()
            }
            Act::Transfer(n) => {
                let kinds = [
                    TransferKind::Retr,
                    TransferKind::Stor,
                    TransferKind::Stou,
                    TransferKind::List,
                    TransferKind::Mlsd,
                ];
                let t = Transfer::new(kinds[usize::from(n) % kinds.len()], b"f")
                    .offset(u64::from(n % 2) * 7);
                if let Ok(op) = h.c.transfer(t) {
                    ops.push(op);
                }
                h.drain()
            }
            Act::Abort => {
                if let Some(&op) = ops.last() {
                    let _ = h.c.abort(h.now, op);
                }
                h.drain()
            }
        };
        // Bounded: at most a few commands per step; FRM-NONEG: never a Telnet negotiation.
        assert!(h.sent.len() < 4096, "{} bytes queued", h.sent.len());
        assert!(!h
            .sent
            .windows(2)
            .any(|w| w[0] == 0xff && (0xfb..=0xfe).contains(&w[1])));
        h.sent.clear();
        if h.c.is_closed() {
            assert_eq!(h.c.poll_timeout(), None);
        }
    }
    // Every operation that got an id ends at most once.
    let mut seen = std::collections::HashSet::new();
    for i in &items {
        if let Item::Event(ClientEvent::Done { op, .. }) = i {
            assert!(seen.insert(*op), "{op:?} done twice");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_server_bytes_and_events_never_panic(cfg in any::<u8>(), acts in prop::collection::vec(act(), 0..80)) {
        run(cfg, acts);
    }

    #[test]
    fn random_bytes_after_greeting_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), chunk in 1usize..64) {
        let mut h = Harness::plain_ready();
        h.c.command(Operation::Stat(None)).unwrap();
        for part in bytes.chunks(chunk) {
            h.feed(part);
        }
        h.eof();
        prop_assert!(h.c.is_closed());
    }
}

#[test]
fn one_mib_without_line_end_bounded() {
    let mut h = Harness::plain_ready();
    h.c.command(Operation::Noop).unwrap();
    let block = vec![b'x'; 4096];
    for _ in 0..256 {
        h.feed(&block);
    }
    assert!(h.c.is_closed());
    assert!(format!("{:?}", h.c).len() < 64 * 1024);
}
