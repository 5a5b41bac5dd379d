//! Server core throughput: pipelined commands of a realistic mix through one logged-in
//! [`ServerSession`], driven directly (`handle_input` / `poll_output` / `respond` /
//! `handle_data`), with the bench playing the application (answers to requests) and the
//! adapter (data-connection events). Reports commands/s and heap allocations per command in
//! steady state, counted with the counting allocator.
//!
//! Before criterion's own measurement it prints one summary table and checks the reply codes
//! of one round, so the figures are those of the intended conversation (no `530`, no `425`).

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ftps_proto::server::{
    Request, RequestId, Response, ServerConfig, ServerEvent, ServerOutput, ServerSession,
};
use ftps_proto::session::{DataAction, DataEvent, DataId};
use ftps_proto::timeval::TimeVal;
use ftps_proto_benches::{allocations, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One round of the mix a logged-in client sends (11 commands, two transfers).
const ROUND: &[u8] = b"CWD /pub/reports/2026\r\n\
PWD\r\n\
TYPE I\r\n\
SIZE quarterly-report.pdf\r\n\
MDTM quarterly-report.pdf\r\n\
NOOP\r\n\
EPSV\r\n\
RETR quarterly-report.pdf\r\n\
EPSV\r\n\
LIST\r\n\
TYPE A\r\n";

/// Commands in [`ROUND`].
const ROUND_COMMANDS: usize = 11;

/// The reply codes of one round, in order (`125`: the passive connection was already there).
const ROUND_CODES: &[&[u8; 3]] = &[
    b"250", b"257", b"200", b"213", b"213", b"200", b"229", b"125", b"226", b"229", b"125", b"226",
    b"200",
];

/// Something the bench must feed back into the session once the outputs are drained.
enum Todo {
    Respond(RequestId, Response),
    Data(DataId, DataEvent),
}

/// The application and adapter side: answers requests and plays the data connections.
struct Player {
    peer: SocketAddr,
    listen: SocketAddr,
    time: TimeVal,
    /// Reused between drains (no allocation in steady state).
    todo: Vec<Todo>,
    /// Bytes transmitted, all of them.
    wire: u64,
    /// When set, every transmitted byte is kept here (to check the reply codes).
    transcript: Option<Vec<u8>>,
}

impl Player {
    fn new(peer: SocketAddr) -> Self {
        Player {
            peer,
            listen: "127.0.0.1:40000".parse().expect("a literal address"),
            time: TimeVal::parse(b"20261121115000").expect("a literal time-val"),
            todo: Vec::with_capacity(16),
            wire: 0,
            transcript: None,
        }
    }

    /// Drains the session's outputs, then feeds back what they asked for, until nothing is
    /// left to do.
    fn drive(&mut self, session: &mut ServerSession, now: Instant) {
        loop {
            loop {
                match session.poll_output() {
                    ServerOutput::Transmit(bytes) => {
                        self.wire += bytes.len() as u64;
                        if let Some(t) = &mut self.transcript {
                            t.extend_from_slice(bytes);
                        }
                    }
                    ServerOutput::Event(ServerEvent::Request { id, request }) => {
                        let response = match request {
                            Request::Authenticate { .. } => Response::LoggedIn,
                            Request::Size { .. } => Response::Size(1_048_576),
                            Request::ModifiedTime { .. } => Response::Time(self.time),
                            _ => Response::Ok,
                        };
                        self.todo.push(Todo::Respond(id, response));
                    }
                    ServerOutput::Event(_) => {}
                    ServerOutput::Data(DataAction::Listen { id, .. }) => {
                        // The listener is bound, and the client connects at once.
                        let addr = self.listen;
                        self.todo
                            .push(Todo::Data(id, DataEvent::Listening { addr }));
                        let peer = self.peer;
                        self.todo
                            .push(Todo::Data(id, DataEvent::Connected { peer, tls: None }));
                    }
                    ServerOutput::Data(DataAction::Start { id }) => {
                        let done = DataEvent::Finished { bytes: 1_048_576 };
                        self.todo.push(Todo::Data(id, done));
                    }
                    ServerOutput::Data(_) => {}
                    ServerOutput::Timeout(_) => break,
                    other => panic!("unexpected output in the bench: {other:?}"),
                }
            }
            if self.todo.is_empty() {
                return;
            }
            for todo in self.todo.drain(..) {
                match todo {
                    Todo::Respond(id, response) => session
                        .respond(now, id, response)
                        .expect("the session asked for this answer"),
                    Todo::Data(id, event) => session.handle_data(now, id, event),
                }
            }
        }
    }
}

/// A logged-in session (greeting and login drained) and its player.
fn logged_in(now: Instant) -> (ServerSession, Player) {
    let peer: SocketAddr = "127.0.0.1:50000".parse().expect("a literal address");
    let local: SocketAddr = "127.0.0.1:21".parse().expect("a literal address");
    let mut session = ServerSession::new(ServerConfig::default(), peer, local, now);
    let mut player = Player::new(peer);
    session.handle_input(now, b"USER bench\r\nPASS not-a-real-password\r\n");
    player.drive(&mut session, now);
    assert!(
        session.is_logged_in(),
        "the bench session must be logged in"
    );
    (session, player)
}

/// Sends `input` (whole rounds, pipelined) and plays the conversation to its end.
fn run(session: &mut ServerSession, player: &mut Player, now: Instant, input: &[u8]) {
    session.handle_input(now, input);
    player.drive(session, now);
}

/// The reply codes in a transcript: the first 3 bytes of each final reply line.
fn reply_codes(transcript: &[u8]) -> Vec<[u8; 3]> {
    transcript
        .split(|&b| b == b'\n')
        .filter(|line| line.get(3) == Some(&b' '))
        .filter_map(|line| line.get(..3).and_then(|c| <[u8; 3]>::try_from(c).ok()))
        .collect()
}

/// Checks that one round gets exactly the expected replies.
fn check_round() {
    let now = Instant::now();
    let (mut session, mut player) = logged_in(now);
    player.transcript = Some(Vec::new());
    run(&mut session, &mut player, now, ROUND);
    let codes = reply_codes(player.transcript.as_deref().unwrap_or_default());
    let expected: Vec<[u8; 3]> = ROUND_CODES.iter().map(|c| **c).collect();
    assert_eq!(
        codes,
        expected,
        "reply codes of one round:\n{}",
        String::from_utf8_lossy(player.transcript.as_deref().unwrap_or_default())
    );
}

/// `rounds` copies of [`ROUND`], to send at once.
fn pipelined(rounds: usize) -> Vec<u8> {
    ROUND.repeat(rounds)
}

/// Heap allocations per command of each kind in [`ROUND`], in steady state: after a warm-up,
/// `rounds` rounds are sent one command at a time and each command's allocations (handling,
/// requests, answers, data events, draining) are added to its line of the round.
fn allocations_per_kind(rounds: usize) -> Vec<(&'static [u8], f64)> {
    let lines: Vec<&'static [u8]> = ROUND
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), ROUND_COMMANDS, "ROUND_COMMANDS matches ROUND");
    let now = Instant::now();
    let (mut session, mut player) = logged_in(now);
    let mut counts = vec![0u64; lines.len()];
    for round in 0..50 + rounds {
        for (line, count) in lines.iter().zip(counts.iter_mut()) {
            let a0 = allocations();
            run(&mut session, &mut player, now, line);
            if round >= 50 {
                *count += allocations() - a0;
            }
        }
    }
    lines
        .iter()
        .zip(counts)
        .map(|(line, count)| (line.trim_ascii_end(), count as f64 / rounds as f64))
        .collect()
}

fn summary() {
    check_round();
    const ROUNDS_PER_INPUT: usize = 20;
    let input = pipelined(ROUNDS_PER_INPUT);
    let commands_per_input = ROUND_COMMANDS * ROUNDS_PER_INPUT;
    let now = Instant::now();
    let (mut session, mut player) = logged_in(now);
    // Warm up: buffers reach their working size.
    for _ in 0..50 {
        run(&mut session, &mut player, now, &input);
    }
    // Sized up front: the pushes happen inside the counted window.
    let mut rates = Vec::with_capacity(9);
    let mut allocs = Vec::with_capacity(9);
    let mut total_allocs = 0;
    for _ in 0..9 {
        let a0 = allocations();
        let start = Instant::now();
        let mut inputs = 0u64;
        while start.elapsed() < Duration::from_millis(150) {
            run(&mut session, &mut player, now, &input);
            inputs += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        let commands = inputs as f64 * commands_per_input as f64;
        rates.push(commands / secs);
        let n = allocations() - a0;
        total_allocs += n;
        allocs.push(n as f64 / commands);
    }
    black_box(player.wire);
    rates.sort_by(f64::total_cmp);
    allocs.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "server core summary ({ROUND_COMMANDS}-command rounds: CWD PWD TYPE SIZE MDTM NOOP EPSV+RETR EPSV+LIST TYPE; \
         {ROUNDS_PER_INPUT} rounds pipelined per input; 9 runs, medians)"
    );
    println!("| path | M commands/s | ns/command | allocs/command (steady state) |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| ServerSession, direct drive | {:.2} | {:.0} | {:.3} |",
        median(&rates) / 1e6,
        1e9 / median(&rates),
        median(&allocs)
    );
    let per_kind = allocations_per_kind(1000);
    println!();
    println!("| command (one at a time, steady state) | allocs/command |");
    println!("| --- | ---: |");
    for (line, n) in &per_kind {
        println!("| `{}` | {n:.3} |", String::from_utf8_lossy(line));
    }
    // Issue 7's goal, checked whenever the bench runs.
    let per_kind_total: f64 = per_kind.iter().map(|(_, n)| n).sum();
    assert!(
        total_allocs == 0 && per_kind_total == 0.0,
        "server core goal missed: {total_allocs} heap allocations in the pipelined runs, \
         {per_kind_total:.3} per round one command at a time (goal: 0 in steady state)"
    );
}

fn benches(c: &mut Criterion) {
    summary();
    let input = pipelined(20);
    let now = Instant::now();
    let (mut session, mut player) = logged_in(now);
    let mut g = c.benchmark_group("server_core");
    g.throughput(Throughput::Elements((ROUND_COMMANDS * 20) as u64));
    g.bench_function("mix_20_rounds", |b| {
        b.iter(|| run(&mut session, &mut player, now, &input))
    });
    g.finish();
}

criterion_group!(server_core, benches);
criterion_main!(server_core);
