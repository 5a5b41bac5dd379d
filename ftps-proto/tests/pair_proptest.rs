//! Property test over whole sessions: random operation sequences between the client and
//! server sessions, with faults at random points (control drop, data resets and truncation,
//! stalls, unresponsive peers, slow application, timeouts, aborts), in every security and
//! data-connection mode. Checks that both sides stay consistent: nothing panics or livelocks,
//! every operation gets exactly one `Done`, the server never says 226 for a broken upload,
//! and both sides close cleanly in the end.

mod pair_common;

use std::collections::BTreeMap;

use ftps_proto::client::{ClientEvent, OpId, Operation, PassiveMode, Transfer, TransferKind};
use ftps_proto::pair::{DataFault, Pair, PairOptions, Side};
use ftps_proto::server::ServerEvent;
use ftps_proto::session::DataError;
use pair_common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Act {
    Login(bool),
    Retr(u8, u64),
    Stor(Vec<u8>, bool),
    Appe(Vec<u8>),
    Stou,
    Listing(u8),
    Single(u8),
    Abort,
    DropControl,
    ResetData(bool),
    FaultNext(u8, u64),
    Unresponsive(bool, bool),
    Hold(bool),
    Steps(u8),
    Run,
    Timeout,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => any::<bool>().prop_map(Act::Login),
        3 => (0..3u8, 0..16u64).prop_map(|(f, o)| Act::Retr(f, o)),
        3 => (proptest::collection::vec(any::<u8>(), 0..40), any::<bool>())
            .prop_map(|(d, a)| Act::Stor(d, a)),
        1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Act::Appe),
        1 => Just(Act::Stou),
        2 => (0..3u8).prop_map(Act::Listing),
        3 => (0..12u8).prop_map(Act::Single),
        1 => Just(Act::Abort),
        1 => Just(Act::DropControl),
        1 => any::<bool>().prop_map(Act::ResetData),
        2 => (0..7u8, 0..12u64).prop_map(|(k, n)| Act::FaultNext(k, n)),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(s, on)| Act::Unresponsive(s, on)),
        1 => any::<bool>().prop_map(Act::Hold),
        3 => (1..40u8).prop_map(Act::Steps),
        3 => Just(Act::Run),
        2 => Just(Act::Timeout),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    mode: u8,
    active: bool,
    pasv_only: bool,
    prot_c: bool,
    late_end: bool,
    bytewise: bool,
    resume: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        0..3u8,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(mode, active, pasv_only, prot_c, late_end, bytewise, resume)| Setup {
                mode,
                active,
                pasv_only,
                prot_c,
                late_end,
                bytewise,
                resume,
            },
        )
}

fn build(s: &Setup) -> Pair {
    let mode = ALL_MODES[usize::from(s.mode) % 3];
    let mut c = client_config(mode);
    c.active = s.active;
    if s.pasv_only {
        c.passive = PassiveMode::PasvOnly;
    }
    if s.prot_c {
        c = prot_c(c);
    }
    let mut opts = PairOptions::default();
    opts.late_client_data_end = s.late_end;
    opts.resume_data_tls = s.resume;
    opts.max_steps = 20_000;
    if s.bytewise {
        opts.read_size = 1;
    }
    Pair::builder()
        .client(c)
        .server(server_config(mode))
        .storage(storage())
        .options(opts)
        .build()
}

const FILES: [&[u8]; 3] = [b"/pub/hello.txt", b"/bin/all.bin", b"/missing"];

fn single(n: u8) -> Operation<'static> {
    match n {
        0 => Operation::Cwd(b"/pub"),
        1 => Operation::Pwd,
        2 => Operation::Mkd(b"/newdir"),
        3 => Operation::Dele(b"/pub/hello.txt"),
        4 => Operation::Rename {
            from: b"/bin/all.bin",
            to: b"/bin/moved.bin",
        },
        5 => Operation::Size(b"/pub/hello.txt"),
        6 => Operation::Noop,
        7 => Operation::Rein,
        8 => Operation::Ccc,
        9 => Operation::Cdup,
        10 => Operation::Feat,
        _ => Operation::Stat(None),
    }
}

fn fault(k: u8, n: u64) -> DataFault {
    match k {
        0 => DataFault::Broken { after: n },
        1 => DataFault::Truncated { after: n },
        2 => DataFault::Stall,
        3 => DataFault::NoConnect,
        4 => DataFault::Refused,
        5 => DataFault::TlsFailed,
        _ => DataFault::FreshTlsSession,
    }
}

/// Runs the script; returns the pair and the operations enqueued.
fn play(s: &Setup, acts: &[Act]) -> Result<(Pair, Vec<OpId>), TestCaseError> {
    let mut p = build(s);
    let mut ops = Vec::new();
    let mut last_transfer = None;
    for a in acts {
        let enqueued = match a {
            Act::Login(good) => {
                let pw: &[u8] = if *good { b"secret" } else { b"wrong" };
                p.client_mut()
                    .login(b"alice", ftps_proto::Secret::new(pw), None)
                    .ok()
            }
            Act::Retr(f, offset) => {
                let t =
                    Transfer::new(TransferKind::Retr, FILES[usize::from(*f) % 3]).offset(*offset);
                p.start_transfer(t, b"").ok()
            }
            Act::Stor(data, ascii) => {
                let t = Transfer::new(TransferKind::Stor, b"/pub/up.bin").ascii(*ascii);
                p.start_transfer(t, data).ok()
            }
            Act::Appe(data) => p
                .start_transfer(Transfer::new(TransferKind::Appe, b"/pub/up.bin"), data)
                .ok(),
            Act::Stou => p
                .start_transfer(Transfer::without_path(TransferKind::Stou), b"u")
                .ok(),
            Act::Listing(k) => {
                let kind = [TransferKind::List, TransferKind::Nlst, TransferKind::Mlsd]
                    [usize::from(*k) % 3];
                p.start_transfer(Transfer::new(kind, b"/pub"), b"").ok()
            }
            Act::Single(n) => p.client_mut().command(single(*n)).ok(),
            Act::Abort => {
                if let Some(op) = last_transfer {
                    let now = p.now();
                    let _ = p.client_mut().abort(now, op);
                }
                None
            }
            Act::DropControl => {
                p.drop_control();
                None
            }
            Act::ResetData(broken) => {
                p.reset_data(if *broken {
                    DataError::Broken
                } else {
                    DataError::Truncated
                });
                None
            }
            Act::FaultNext(k, n) => {
                p.fault_next_data(fault(*k, *n));
                None
            }
            Act::Unresponsive(server, on) => {
                let side = if *server { Side::Server } else { Side::Client };
                p.set_unresponsive(side, *on);
                None
            }
            Act::Hold(on) => {
                p.hold_requests(*on);
                None
            }
            Act::Steps(n) => {
                for _ in 0..*n {
                    if !p.step() {
                        break;
                    }
                }
                None
            }
            Act::Run => {
                p.run().map_err(|e| TestCaseError::fail(e.to_string()))?;
                None
            }
            Act::Timeout => {
                p.advance_to_next_timeout()
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                None
            }
        };
        if let Some(op) = enqueued {
            if matches!(
                a,
                Act::Retr(..) | Act::Stor(..) | Act::Appe(_) | Act::Stou | Act::Listing(_)
            ) {
                last_transfer = Some(op);
            }
            ops.push(op);
        }
    }
    // Heal, settle, then close: QUIT (or the timers) must end both sides.
    p.set_unresponsive(Side::Client, false);
    p.set_unresponsive(Side::Server, false);
    p.hold_requests(false);
    p.run().map_err(|e| TestCaseError::fail(e.to_string()))?;
    if let Ok(op) = p.client_mut().command(Operation::Quit) {
        ops.push(op);
    }
    p.run().map_err(|e| TestCaseError::fail(e.to_string()))?;
    for _ in 0..100 {
        if p.closed_reason(Side::Client).is_some() && p.closed_reason(Side::Server).is_some() {
            break;
        }
        match p.advance_to_next_timeout() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        }
    }
    Ok((p, ops))
}

fn check(p: &Pair, ops: &[OpId]) -> Result<(), TestCaseError> {
    prop_assert!(p.anomalies().is_empty(), "anomalies: {:?}", p.anomalies());
    // Every operation got exactly one Done.
    let mut done: BTreeMap<OpId, usize> = BTreeMap::new();
    for e in p.client_events() {
        if let ClientEvent::Done { op, .. } = e {
            *done.entry(*op).or_default() += 1;
        }
    }
    for op in ops {
        prop_assert_eq!(done.get(op).copied(), Some(1), "operation {:?}", op);
    }
    prop_assert_eq!(done.len(), ops.len());
    // 226 only for transfers whose bytes all crossed, and never for a broken upload.
    for e in p.server_events() {
        if let ServerEvent::TransferFinished { data, .. } = e {
            let record = p.data_log().iter().find(|r| r.server == *data);
            prop_assert!(record.is_some(), "226 without a data connection");
            if let Some(r) = record {
                prop_assert!(r.upload.is_some(), "226 before any byte moved: {:?}", r);
                if r.upload == Some(true) {
                    prop_assert!(r.complete, "226 for a broken upload: {:?}", r);
                }
            }
        }
    }
    // Both closed cleanly: no timer left, nothing pending.
    prop_assert!(p.closed_reason(Side::Client).is_some(), "client still open");
    prop_assert!(p.closed_reason(Side::Server).is_some(), "server still open");
    prop_assert!(p.client().is_closed() && p.server().is_closed());
    prop_assert_eq!(p.next_timeout(), None);
    prop_assert_eq!(p.client().pending_operations(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    // Every `both` row exercised end to end stays consistent under faults: SM959-PIPE,
    // REP-421, DAT-COMPLETE, DAT-CLOSE, ATK-TRUNC, ATK-TIMEOUT, C959-ABOR, C959-QUIT.
    #[test]
    fn random_sessions_stay_consistent(s in setup(), acts in proptest::collection::vec(act(), 1..24)) {
        let (p, ops) = play(&s, &acts)?;
        check(&p, &ops)?;
    }
}

// The happy path of the generator itself: a clean script completes every operation.
#[test]
fn clean_script_succeeds_in_every_setup() {
    for mode in 0..3u8 {
        for active in [false, true] {
            let s = Setup {
                mode,
                active,
                pasv_only: false,
                prot_c: false,
                late_end: false,
                bytewise: false,
                resume: true,
            };
            let acts = [
                Act::Login(true),
                Act::Retr(0, 0),
                Act::Stor(b"abc".to_vec(), false),
                Act::Listing(1),
                Act::Single(1),
                Act::Run,
            ];
            let (p, ops) = play(&s, &acts).unwrap();
            check(&p, &ops).unwrap();
            let ok = p
                .client_events()
                .iter()
                .filter(|e| matches!(e, ClientEvent::Done { result: Ok(_), .. }))
                .count();
            assert_eq!(ok, 6, "mode {mode} active {active}");
        }
    }
}
