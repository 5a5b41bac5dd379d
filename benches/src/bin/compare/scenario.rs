//! The run: start the servers, then round after round run every contender of every
//! measurement one after the other, record the samples, and hand them to the report.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::args::{Options, Section};
use crate::child::{ServerKind, ServerProcess};
use crate::fixture::Fixture;
use crate::ours::{self, Prot};
use crate::raw::{self, Direction};
use crate::report::{self, Samples};
use crate::{memory, peers, Result};

/// The clients compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// `ftps_proto_tokio::client::Client`.
    OursTokio,
    /// `ftps_proto_std::client::Client`.
    OursStd,
    /// suppaftp, tokio + rustls.
    Suppaftp,
}

impl ClientKind {
    fn label(self) -> &'static str {
        match self {
            ClientKind::OursTokio => "ours tokio",
            ClientKind::OursStd => "ours std",
            ClientKind::Suppaftp => "suppaftp",
        }
    }
}

/// A client against a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// The client.
    pub client: ClientKind,
    /// The server.
    pub server: ServerKind,
}

impl Pair {
    const fn new(client: ClientKind, server: ServerKind) -> Pair {
        Pair { client, server }
    }

    /// The row name in the tables.
    pub fn label(self) -> String {
        format!("{} → {}", self.client.label(), self.server.label())
    }

    /// A file-name-safe tag.
    fn tag(self) -> String {
        format!("{}-{}", self.client.label(), self.server.name()).replace(' ', "-")
    }
}

/// Our tokio stack.
pub const OURS_TOKIO: Pair = Pair::new(ClientKind::OursTokio, ServerKind::OursTokio);
/// Our tokio stack, storage out of the way (bulk only).
pub const OURS_TOKIO_MEMORY: Pair = Pair::new(ClientKind::OursTokio, ServerKind::OursTokioMemory);
/// Our std stack.
pub const OURS_STD: Pair = Pair::new(ClientKind::OursStd, ServerKind::OursStd);
/// The peers' stack.
pub const PEERS: Pair = Pair::new(ClientKind::Suppaftp, ServerKind::Libunftp);
/// suppaftp against our server (server speed apart).
pub const SUPPAFTP_OURS: Pair = Pair::new(ClientKind::Suppaftp, ServerKind::OursTokio);
/// Our client against libunftp (client speed apart).
pub const OURS_LIBUNFTP: Pair = Pair::new(ClientKind::OursTokio, ServerKind::Libunftp);

/// Contenders of the bulk measurement, in run order.
pub const TRANSFER_PAIRS: [Pair; 6] = [
    OURS_TOKIO_MEMORY,
    OURS_TOKIO,
    OURS_STD,
    PEERS,
    SUPPAFTP_OURS,
    OURS_LIBUNFTP,
];
/// Contenders of the small-file measurement (libunftp's per-file latency makes the crossing
/// against it as slow as the peers' pair, so it is left out to keep the run short).
pub const SMALL_PAIRS: [Pair; 4] = [OURS_TOKIO, OURS_STD, PEERS, SUPPAFTP_OURS];
/// Contenders of the login measurement.
pub const LOGIN_PAIRS: [Pair; 3] = [OURS_TOKIO, OURS_STD, PEERS];

/// The bulk columns: protection and direction.
pub const BULK_COLUMNS: [(Prot, Direction); 4] = [
    (Prot::Private, Direction::Down),
    (Prot::Private, Direction::Up),
    (Prot::Clear, Direction::Down),
    (Prot::Clear, Direction::Up),
];

/// A column name: `RETR PROT P` ...
pub fn column(prot: Prot, direction: Direction) -> String {
    let command = match direction {
        Direction::Down => "RETR",
        Direction::Up => "STOR",
    };
    let level = match prot {
        Prot::Private => "P",
        Prot::Clear => "C",
    };
    format!("{command} PROT {level}")
}

/// The limit row matching a bulk column (the goals' reference).
pub fn limit_row(prot: Prot) -> &'static str {
    match prot {
        Prot::Private => "raw tokio-rustls copy",
        Prot::Clear => "raw TCP copy",
    }
}

/// The limit row of a server that also reads or writes its file.
pub fn file_limit_row(prot: Prot) -> &'static str {
    match prot {
        Prot::Private => "raw tokio-rustls copy, server file",
        Prot::Clear => "raw TCP copy, server file",
    }
}

/// Table names.
pub const BULK: &str = "bulk";
/// Small files table.
pub const SMALL: &str = "small";
/// Logins table.
pub const LOGINS: &str = "logins";

/// What the run ended with.
#[derive(Debug)]
pub struct Outcome {
    /// Measurements that failed.
    pub failures: usize,
}

/// Everything the measurements need.
struct Ctx<'a> {
    options: &'a Options,
    fixture: &'a Fixture,
    rt: tokio::runtime::Runtime,
    servers: Vec<(ServerKind, std::result::Result<ServerProcess, String>)>,
    samples: Samples,
}

impl Ctx<'_> {
    fn port(&self, kind: ServerKind) -> Result<u16> {
        match self.servers.iter().find(|(k, _)| *k == kind) {
            Some((_, Ok(process))) => Ok(process.port()),
            Some((_, Err(e))) => Err(format!("{} server not available: {e}", kind.label()).into()),
            None => Err(format!("{} server not started", kind.label()).into()),
        }
    }

    /// Runs `future` on the client runtime, bounded by `limit`.
    fn block<T>(&self, limit: Duration, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.rt.block_on(async {
            match tokio::time::timeout(limit, future).await {
                Ok(result) => result,
                Err(_) => Err(format!("no result within {limit:?}").into()),
            }
        })
    }

    /// Records a sample (or a failure) and prints progress.
    fn record(&mut self, round: usize, table: &str, row: &str, col: &str, value: Result<f64>) {
        match value {
            Ok(v) => {
                eprintln!("  {table:6} {row:32} {col:13} {v:10.1}");
                self.samples.record(table, row, col, round, v);
            }
            Err(e) => {
                let note = format!("round {}: {table} / {row} / {col}: {e}", round + 1);
                eprintln!("  FAILED {note}");
                self.samples.fail(note);
            }
        }
    }
}

/// Generous limit for moving `bytes`: 60 s plus 20 MiB/s.
fn limit_for(bytes: u64) -> Duration {
    Duration::from_secs(60 + bytes / (20 * 1024 * 1024))
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64().max(1e-9)
}

fn per_s(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Runs every selected section and writes the report.
pub fn run(options: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let load_before = crate::machine::load_average();
    eprintln!(
        "preparing files ({} MiB bulk) ...",
        options.bulk_bytes >> 20
    );
    let fixture = Fixture::create(options)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut ctx = Ctx {
        options,
        fixture: &fixture,
        rt,
        servers: Vec::new(),
        samples: Samples::new(options.rounds),
    };
    let transfers = options.runs(Section::Limits)
        || options.runs(Section::Bulk)
        || options.runs(Section::Small)
        || options.runs(Section::Logins);
    if transfers {
        for kind in [
            ServerKind::Raw,
            ServerKind::OursTokio,
            ServerKind::OursTokioMemory,
            ServerKind::OursStd,
            ServerKind::Libunftp,
        ] {
            let process = ServerProcess::spawn(kind, &fixture).map_err(|e| e.to_string());
            if let Err(e) = &process {
                eprintln!("{} server not available: {e}", kind.label());
                ctx.samples
                    .fail(format!("{} server not available: {e}", kind.label()));
            }
            ctx.servers.push((kind, process));
        }
        for round in 0..options.rounds {
            eprintln!("round {}/{}", round + 1, options.rounds);
            transfer_round(&mut ctx, round);
        }
    }
    for (kind, process) in &ctx.servers {
        if let Ok(process) = process {
            let tally = crate::retry::take(process.port());
            ctx.samples
                .tally(&format!("transfers and logins, {}", kind.label()), tally);
        }
    }
    // The transfer servers are stopped before the memory measurement starts its own.
    ctx.servers.clear();
    if options.runs(Section::Memory) {
        for round in 0..options.rounds {
            eprintln!("memory round {}/{}", round + 1, options.rounds);
            for kind in memory::SERVERS {
                let sample =
                    memory::measure(&ctx.rt, &fixture, kind, options.sessions, options.wave);
                match sample {
                    Ok((s, tally)) => {
                        ctx.samples
                            .tally(&format!("memory, {}", kind.label()), tally);
                        eprintln!(
                            "  memory {:12} base {} KiB, loaded {} KiB, {:.1} KiB/session",
                            kind.label(),
                            s.base_kib,
                            s.loaded_kib,
                            s.per_session_kib()
                        );
                        ctx.samples.record_memory(kind, round, s);
                    }
                    Err(e) => {
                        let note = format!("round {}: memory / {}: {e}", round + 1, kind.label());
                        eprintln!("  FAILED {note}");
                        ctx.samples.fail(note);
                    }
                }
            }
        }
    }
    let failures = ctx.samples.failures().len();
    let run = report::RunInfo {
        options: options.clone(),
        medium: fixture.medium,
        load_before,
        load_after: crate::machine::load_average(),
        duration: started.elapsed(),
    };
    let text = report::render(&run, &ctx.samples);
    println!("{text}");
    if let Some(path) = &options.out {
        std::fs::write(path, &text)?;
        eprintln!("written to {}", path.display());
    }
    Ok(Outcome { failures })
}

/// One round of limits, bulk, small files and logins.
fn transfer_round(ctx: &mut Ctx<'_>, round: usize) {
    let options = ctx.options;
    if options.runs(Section::Limits) || options.runs(Section::Bulk) {
        for (prot, direction) in BULK_COLUMNS {
            let col = column(prot, direction);
            // The limit right before its contenders, so each round's ratio compares like with like.
            let limit = raw_copy(ctx, prot, direction, raw::Storage::Memory);
            ctx.record(round, BULK, limit_row(prot), &col, limit);
            let limit = raw_copy(ctx, prot, direction, raw::Storage::File);
            ctx.record(round, BULK, file_limit_row(prot), &col, limit);
            if !options.runs(Section::Bulk) {
                continue;
            }
            for pair in TRANSFER_PAIRS {
                let value = bulk_once(ctx, pair, prot, direction, round);
                ctx.record(round, BULK, &pair.label(), &col, value);
            }
        }
    }
    if options.runs(Section::Small) {
        for pair in SMALL_PAIRS {
            let value = small_once(ctx, pair);
            ctx.record(round, SMALL, &pair.label(), "files/s", value);
        }
    }
    if options.runs(Section::Logins) {
        for pair in LOGIN_PAIRS {
            let value = logins_once(ctx, pair);
            ctx.record(round, LOGINS, &pair.label(), "sessions/s", value);
        }
    }
}

fn raw_copy(ctx: &Ctx<'_>, prot: Prot, direction: Direction, storage: raw::Storage) -> Result<f64> {
    let process = ctx
        .servers
        .iter()
        .find_map(|(k, p)| (*k == ServerKind::Raw).then_some(p));
    let process = match process {
        Some(Ok(p)) => p,
        _ => return Err("raw server not available".into()),
    };
    let bytes = ctx.fixture.bulk_bytes;
    let (port, tls) = match prot {
        Prot::Clear => (process.port(), None),
        Prot::Private => (process.second_port(), Some(ctx.fixture.rustls_client()?)),
    };
    let elapsed = ctx.block(
        limit_for(bytes),
        raw::copy(port, tls, direction, storage, bytes),
    )?;
    Ok(mib_per_s(bytes, elapsed))
}

fn bulk_once(
    ctx: &Ctx<'_>,
    pair: Pair,
    prot: Prot,
    direction: Direction,
    round: usize,
) -> Result<f64> {
    let port = ctx.port(pair.server)?;
    let fixture = ctx.fixture;
    let upload = fixture.upload_path(&pair.tag(), round);
    // The memory storage keeps no upload to check on disk.
    let stored = pair.server != ServerKind::OursTokioMemory;
    let limit = limit_for(fixture.bulk_bytes);
    let elapsed = match pair.client {
        ClientKind::OursTokio => ctx.block(
            limit,
            ours::tokio_bulk(fixture, port, prot, direction, &upload, stored),
        )?,
        ClientKind::OursStd => ours::std_bulk(fixture, port, prot, direction, &upload)?,
        ClientKind::Suppaftp => {
            ctx.block(limit, peers::bulk(fixture, port, prot, direction, &upload))?
        }
    };
    Ok(mib_per_s(fixture.bulk_bytes, elapsed))
}

fn small_once(ctx: &Ctx<'_>, pair: Pair) -> Result<f64> {
    let port = ctx.port(pair.server)?;
    let fixture = ctx.fixture;
    let file_bytes = ctx.options.file_bytes;
    let limit = Duration::from_secs(60) + Duration::from_millis(50) * ctx.options.files as u32;
    let elapsed = match pair.client {
        ClientKind::OursTokio => ctx.block(limit, ours::tokio_small(fixture, port, file_bytes))?,
        ClientKind::OursStd => ours::std_small(fixture, port, file_bytes)?,
        ClientKind::Suppaftp => ctx.block(limit, peers::small(fixture, port, file_bytes))?,
    };
    Ok(per_s(fixture.small_files.len(), elapsed))
}

/// `logins` sessions, `wave` at a time; each client has its own TLS setup (no resumption
/// between them), built before the clock starts.
fn logins_once(ctx: &Ctx<'_>, pair: Pair) -> Result<f64> {
    let port = ctx.port(pair.server)?;
    let (count, wave) = (ctx.options.logins, ctx.options.wave.max(1));
    let limit = Duration::from_secs(60);
    let start;
    match pair.client {
        ClientKind::OursTokio | ClientKind::OursStd => {
            let configs = (0..count)
                .map(|_| ctx.fixture.ours_tls())
                .collect::<Result<Vec<_>>>()?;
            start = Instant::now();
            for chunk in configs.chunks(wave) {
                if pair.client == ClientKind::OursStd {
                    std_wave(port, chunk)?;
                    continue;
                }
                ctx.block(limit, async {
                    let mut set = tokio::task::JoinSet::new();
                    for tls in chunk.iter().cloned() {
                        set.spawn(ours::tokio_login(port, tls));
                    }
                    join_all(set).await
                })?;
            }
        }
        ClientKind::Suppaftp => {
            let configs = (0..count)
                .map(|_| ctx.fixture.rustls_client())
                .collect::<Result<Vec<_>>>()?;
            start = Instant::now();
            for chunk in configs.chunks(wave) {
                ctx.block(limit, async {
                    let mut set = tokio::task::JoinSet::new();
                    for config in chunk.iter().cloned() {
                        set.spawn(peers::login(port, config));
                    }
                    join_all(set).await
                })?;
            }
        }
    }
    Ok(per_s(count, start.elapsed()))
}

/// Waits for every task; the first error wins.
pub async fn join_all<T: 'static>(mut set: tokio::task::JoinSet<Result<T>>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(set.len());
    let mut first_error = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(v)) => out.push(v),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(e.into());
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn std_wave(port: u16, configs: &[ftps_proto_std::support::tls::ClientTls]) -> Result<()> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = configs
            .iter()
            .map(|tls| {
                let tls = tls.clone();
                scope.spawn(move || ours::std_login(port, tls).map_err(|e| e.to_string()))
            })
            .collect();
        let mut first_error = None;
        for handle in handles {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err("login thread panicked".to_owned()));
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}
