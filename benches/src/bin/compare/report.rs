//! The samples of a run and the Markdown report made of them (`BENCHMARKS.md`): tables of
//! medians, ratios (medians of per-round ratios), the goals of issue 7, and the machine.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::args::{Options, Section};
use crate::child::ServerKind;
use crate::machine::{locked_version, today, Machine};
use crate::memory::{MemorySample, SERVERS};
use crate::ours::Prot;
use crate::retry::{Tally, ATTEMPTS};
use crate::scenario::{
    column, file_limit_row, limit_row, Pair, BULK, BULK_COLUMNS, LOGINS, LOGIN_PAIRS,
    OURS_LIBUNFTP, OURS_STD, OURS_TOKIO, OURS_TOKIO_MEMORY, PEERS, SMALL, SMALL_PAIRS,
    SUPPAFTP_OURS, TRANSFER_PAIRS,
};

/// Every value measured, per round.
#[derive(Debug)]
pub struct Samples {
    rounds: usize,
    values: BTreeMap<(String, String, String), Vec<Option<f64>>>,
    memory: Vec<(ServerKind, Vec<Option<MemorySample>>)>,
    failures: Vec<String>,
    tallies: BTreeMap<String, Tally>,
}

impl Samples {
    /// No samples yet, for `rounds` rounds.
    pub fn new(rounds: usize) -> Samples {
        Samples {
            rounds,
            values: BTreeMap::new(),
            memory: Vec::new(),
            failures: Vec::new(),
            tallies: BTreeMap::new(),
        }
    }

    /// Records `value` of `table / row / col` in `round`.
    pub fn record(&mut self, table: &str, row: &str, col: &str, round: usize, value: f64) {
        let key = (table.to_owned(), row.to_owned(), col.to_owned());
        let slots = self
            .values
            .entry(key)
            .or_insert_with(|| vec![None; self.rounds]);
        if let Some(slot) = slots.get_mut(round) {
            *slot = Some(value);
        }
    }

    /// Records a memory sample.
    pub fn record_memory(&mut self, kind: ServerKind, round: usize, sample: MemorySample) {
        let rounds = self.rounds;
        let index = match self.memory.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                self.memory.push((kind, vec![None; rounds]));
                self.memory.len() - 1
            }
        };
        if let Some(slot) = self
            .memory
            .get_mut(index)
            .and_then(|(_, v)| v.get_mut(round))
        {
            *slot = Some(sample);
        }
    }

    /// Adds session setup tries against the server `name`.
    pub fn tally(&mut self, name: &str, tally: Tally) {
        let sum = self.tallies.entry(name.to_owned()).or_default();
        sum.tries += tally.tries;
        sum.failed += tally.failed;
        if sum.first_error.is_none() {
            sum.first_error = tally.first_error;
        }
    }

    /// Notes a failed measurement.
    pub fn fail(&mut self, note: String) {
        self.failures.push(note);
    }

    /// The failures noted.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    fn series(&self, table: &str, row: &str, col: &str) -> &[Option<f64>] {
        self.values
            .get(&(table.to_owned(), row.to_owned(), col.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Median of `table / row / col`.
    pub fn median(&self, table: &str, row: &str, col: &str) -> Option<f64> {
        median(self.series(table, row, col).iter().flatten().copied())
    }

    /// Median over the rounds of `a / b` (rounds where both were measured).
    pub fn ratio(&self, table: &str, a: (&str, &str), b: (&str, &str)) -> Option<f64> {
        let top = self.series(table, a.0, a.1);
        let bottom = self.series(table, b.0, b.1);
        median(top.iter().zip(bottom).filter_map(|pair| match pair {
            (Some(x), Some(y)) if *y > 0.0 => Some(x / y),
            _ => None,
        }))
    }

    fn spread(&self, table: &str, row: &str, col: &str) -> Option<f64> {
        let all: Vec<f64> = self
            .series(table, row, col)
            .iter()
            .flatten()
            .copied()
            .collect();
        let mid = median(all.iter().copied())?;
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (mid > 0.0 && all.len() > 1).then(|| (hi - lo) / 2.0 / mid * 100.0)
    }

    fn memory_of(&self, kind: ServerKind) -> Vec<MemorySample> {
        self.memory
            .iter()
            .filter(|(k, _)| *k == kind)
            .flat_map(|(_, v)| v.iter().flatten().copied())
            .collect()
    }

    /// Median KiB per idle session of `kind`.
    pub fn memory_per_session(&self, kind: ServerKind) -> Option<f64> {
        median(
            self.memory_of(kind)
                .iter()
                .map(MemorySample::per_session_kib),
        )
    }

    fn memory_ratio(&self, a: ServerKind, b: ServerKind) -> Option<f64> {
        let rounds = |kind| {
            self.memory
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (top, bottom) = (rounds(a), rounds(b));
        median(top.iter().zip(&bottom).filter_map(|pair| match pair {
            (Some(x), Some(y)) if y.per_session_kib() > 0.0 => {
                Some(x.per_session_kib() / y.per_session_kib())
            }
            _ => None,
        }))
    }
}

/// The median of `values` (mean of the middle two for an even count).
pub fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut all: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if all.is_empty() {
        return None;
    }
    all.sort_by(f64::total_cmp);
    let mid = all.len() / 2;
    if all.len() % 2 == 1 {
        all.get(mid).copied()
    } else {
        Some((all.get(mid - 1)? + all.get(mid)?) / 2.0)
    }
}

/// What the report says about the run itself.
#[derive(Debug)]
pub struct RunInfo {
    /// The options of the run.
    pub options: Options,
    /// Where the served files lived.
    pub medium: &'static str,
    /// 1-minute load average before the run.
    pub load_before: Option<f64>,
    /// 1-minute load average after it.
    pub load_after: Option<f64>,
    /// Wall-clock time of the run.
    pub duration: Duration,
}

fn value(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) => format!("{v:.decimals$}"),
        None => "–".to_owned(),
    }
}

fn times(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.2}×"),
        None => "–".to_owned(),
    }
}

fn with_spread(samples: &Samples, table: &str, row: &str, col: &str) -> String {
    let mid = samples.median(table, row, col);
    match (mid, samples.spread(table, row, col)) {
        (Some(m), Some(s)) => format!("{m:.0} ±{s:.0}%"),
        (m, _) => value(m, 0),
    }
}

fn version(package: &str) -> String {
    locked_version(package).unwrap_or_else(|| "?".into())
}

/// Renders the whole report.
pub fn render(run: &RunInfo, samples: &Samples) -> String {
    let o = &run.options;
    let mut out = String::new();
    let machine = Machine::describe();
    let mut args = String::new();
    if o.quick {
        args.push_str(" -- --quick");
    }
    let _ = writeln!(out, "# Benchmarks: ftps-proto side by side\n");
    let _ = writeln!(
        out,
        "Written by `cargo run --release -p ftps-proto-benches --bin compare{args}` on {} \
         (do not edit by hand: run it again). Every server ran in its own process; in each of \
         the {} rounds the contenders of a measurement ran one after the other; figures are \
         medians over the rounds (± half the min-max range), ratios are medians of the \
         per-round ratios. Only ratios within one run mean something on a shared machine.\n",
        today(),
        o.rounds
    );
    let _ = writeln!(out, "## Machine and run\n");
    let _ = writeln!(
        out,
        "- {} CPUs: {}; {:.1} GiB memory; Linux {}; {}",
        machine.cpus, machine.cpu_model, machine.memory_gib, machine.kernel, machine.rustc
    );
    let _ = writeln!(
        out,
        "- load average (1 min) before / after: {} / {}; run time {:.0} s; files served from {}",
        value(run.load_before, 2),
        value(run.load_after, 2),
        run.duration.as_secs_f64(),
        run.medium
    );
    let _ = writeln!(
        out,
        "- peers: suppaftp {} (tokio, rustls/aws-lc-rs), libunftp {} with unftp-sbe-fs {} \
         (default TLS flags: TLS 1.2); ours and the raw copy: rustls {} (aws-lc-rs), tokio {}",
        version("suppaftp"),
        version("libunftp"),
        version("unftp-sbe-fs"),
        version("rustls"),
        version("tokio"),
    );
    let _ = writeln!(
        out,
        "- sizes: bulk {} MiB; {} small files of {} KiB; {} logins, {} at a time; {} idle \
         sessions\n",
        o.bulk_bytes >> 20,
        o.files,
        o.file_bytes / 1024,
        o.logins,
        o.wave,
        o.sessions
    );
    if o.runs(Section::Limits) || o.runs(Section::Bulk) {
        bulk_tables(&mut out, o, samples);
    }
    if o.runs(Section::Small) {
        simple_table(
            &mut out,
            samples,
            SMALL,
            "files/s",
            &SMALL_PAIRS,
            &format!(
                "## Many small files: {} × {} KiB RETR in one PROT P session, files/s\n",
                o.files,
                o.file_bytes / 1024
            ),
        );
    }
    if o.runs(Section::Logins) {
        simple_table(
            &mut out,
            samples,
            LOGINS,
            "sessions/s",
            &LOGIN_PAIRS,
            &format!(
                "## Logins: {} sessions, {} at a time (connect, AUTH TLS, login, QUIT), \
                 sessions/s\n",
                o.logins, o.wave
            ),
        );
    }
    if o.runs(Section::Memory) {
        memory_table(&mut out, o, samples);
    }
    goals(&mut out, o, samples);
    notes(&mut out, samples);
    out
}

fn bulk_tables(out: &mut String, o: &Options, samples: &Samples) {
    let cols: Vec<String> = BULK_COLUMNS.iter().map(|(p, d)| column(*p, *d)).collect();
    let _ = writeln!(
        out,
        "## Bulk transfers: {} MiB, passive, MiB/s\n",
        o.bulk_bytes >> 20
    );
    let _ = writeln!(out, "| client → server | {} |", cols.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(cols.len()));
    let mut rows: Vec<String> = vec![
        limit_row(Prot::Private).to_owned(),
        file_limit_row(Prot::Private).to_owned(),
        limit_row(Prot::Clear).to_owned(),
        file_limit_row(Prot::Clear).to_owned(),
    ];
    if o.runs(Section::Bulk) {
        rows.extend(TRANSFER_PAIRS.iter().map(|p| p.label()));
    }
    for row in &rows {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| with_spread(samples, BULK, row, c))
            .collect();
        let _ = writeln!(out, "| {row} | {} |", cells.join(" | "));
    }
    let _ = writeln!(out);
    if !o.runs(Section::Bulk) {
        return;
    }
    let _ = writeln!(out, "Ratios (per-round medians):\n");
    let _ = writeln!(out, "| ratio | {} |", cols.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(cols.len()));
    let vs_limit = |pair: Pair, limit: fn(Prot) -> &'static str| -> Vec<String> {
        BULK_COLUMNS
            .iter()
            .map(|(p, d)| {
                let c = column(*p, *d);
                times(samples.ratio(BULK, (&pair.label(), &c), (limit(*p), &c)))
            })
            .collect()
    };
    let vs_pair = |a: Pair, b: Pair| -> Vec<String> {
        cols.iter()
            .map(|c| times(samples.ratio(BULK, (&a.label(), c), (&b.label(), c))))
            .collect()
    };
    let lines: [(String, Vec<String>); 9] = [
        (
            format!("{} / raw copy", OURS_TOKIO_MEMORY.label()),
            vs_limit(OURS_TOKIO_MEMORY, limit_row),
        ),
        (
            format!("{} / raw copy", OURS_TOKIO.label()),
            vs_limit(OURS_TOKIO, limit_row),
        ),
        (
            format!("{} / raw copy, server file", OURS_TOKIO.label()),
            vs_limit(OURS_TOKIO, file_limit_row),
        ),
        (
            format!("{} / raw copy", OURS_STD.label()),
            vs_limit(OURS_STD, limit_row),
        ),
        (
            format!("{} / raw copy, server file", OURS_STD.label()),
            vs_limit(OURS_STD, file_limit_row),
        ),
        (
            format!("{} / {}", OURS_TOKIO.label(), PEERS.label()),
            vs_pair(OURS_TOKIO, PEERS),
        ),
        (
            format!("{} / {}", OURS_STD.label(), PEERS.label()),
            vs_pair(OURS_STD, PEERS),
        ),
        (
            format!("server: {} / {}", SUPPAFTP_OURS.label(), PEERS.label()),
            vs_pair(SUPPAFTP_OURS, PEERS),
        ),
        (
            format!("client: {} / {}", OURS_LIBUNFTP.label(), PEERS.label()),
            vs_pair(OURS_LIBUNFTP, PEERS),
        ),
    ];
    for (name, cells) in lines {
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
    let _ = writeln!(out);
}

fn simple_table(
    out: &mut String,
    samples: &Samples,
    table: &str,
    col: &str,
    pairs: &[Pair],
    title: &str,
) {
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "| client → server | {col} | / {} |\n|---|---:|---:|",
        PEERS.label()
    );
    for pair in pairs {
        let row = pair.label();
        let ratio = samples.ratio(table, (&row, col), (&PEERS.label(), col));
        let _ = writeln!(
            out,
            "| {row} | {} | {} |",
            with_spread(samples, table, &row, col),
            times(ratio)
        );
    }
    let _ = writeln!(out);
}

fn memory_table(out: &mut String, o: &Options, samples: &Samples) {
    let _ = writeln!(
        out,
        "## Idle-session memory: {} logged-in FTPS sessions, server RSS (our tokio client)\n",
        o.sessions
    );
    let _ = writeln!(
        out,
        "| server | RSS after 1 session, MiB | RSS with {} sessions, MiB | KiB per session | / libunftp |",
        o.sessions
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for kind in SERVERS {
        let all = samples.memory_of(kind);
        let base = median(all.iter().map(|s| s.base_kib as f64 / 1024.0));
        let loaded = median(all.iter().map(|s| s.loaded_kib as f64 / 1024.0));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            kind.label(),
            value(base, 1),
            value(loaded, 1),
            value(samples.memory_per_session(kind), 1),
            times(samples.memory_ratio(kind, ServerKind::Libunftp))
        );
    }
    let _ = writeln!(out);
}

fn verdict(v: Option<f64>, goal: f64, at_least: bool) -> &'static str {
    match v {
        None => "not measured",
        Some(v) if (at_least && v >= goal) || (!at_least && v <= goal) => "met",
        Some(_) => "**missed**",
    }
}

fn goals(out: &mut String, o: &Options, samples: &Samples) {
    let _ = writeln!(out, "## Goals (issue 7)\n");
    let _ = writeln!(out, "| goal | measured | verdict |\n|---|---:|---|");
    let mut line = |goal: String, v: Option<f64>, target: f64, at_least: bool| {
        let _ = writeln!(
            out,
            "| {goal} | {} | {} |",
            times(v),
            verdict(v, target, at_least)
        );
    };
    if o.runs(Section::Bulk) {
        for (prot, direction) in BULK_COLUMNS {
            let c = column(prot, direction);
            for (pair, storage) in [
                (OURS_TOKIO_MEMORY, "memory storage"),
                (OURS_TOKIO, "LocalFs on tmpfs"),
            ] {
                let v = samples.ratio(BULK, (&pair.label(), &c), (limit_row(prot), &c));
                line(
                    format!("{c}, ours tokio ({storage}) ≥ 0.90× {}", limit_row(prot)),
                    v,
                    0.9,
                    true,
                );
            }
        }
        let lowest = BULK_COLUMNS
            .iter()
            .filter_map(|(p, d)| {
                let c = column(*p, *d);
                samples.ratio(BULK, (&OURS_TOKIO.label(), &c), (&PEERS.label(), &c))
            })
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.min(v)))
            });
        line(
            format!(
                "bulk, ours tokio ≥ 1.3× {} (lowest of the four columns)",
                PEERS.label()
            ),
            lowest,
            1.3,
            true,
        );
    }
    if o.runs(Section::Small) {
        let v = samples.ratio(
            SMALL,
            (&OURS_TOKIO.label(), "files/s"),
            (&PEERS.label(), "files/s"),
        );
        line(
            format!("small files, ours tokio ≥ 2× {}", PEERS.label()),
            v,
            2.0,
            true,
        );
    }
    if o.runs(Section::Memory) {
        let v = samples.memory_ratio(ServerKind::OursTokio, ServerKind::Libunftp);
        line(
            "idle-session RSS, ours tokio ≤ 0.5× libunftp".to_owned(),
            v,
            0.5,
            false,
        );
    }
    let _ = writeln!(
        out,
        "| server core: 0 heap allocations per command | see `cargo bench -p ftps-proto-benches` | – |\n"
    );
}

fn notes(out: &mut String, samples: &Samples) {
    let _ = writeln!(out, "## How it is measured\n");
    for note in [
        "Servers: our tokio and std servers (`LocalFs`, explicit FTPS offered, plain login \
         allowed, defaults otherwise, data-session reuse required under PROT P) and libunftp \
         (unftp-sbe-fs, default options and authenticator), each a child process of the \
         program on 127.0.0.1, serving the same directory. `ours tokio (memory storage)` is \
         our tokio server with a storage that serves the bulk file from memory and discards \
         uploads: the protocol stack alone, like for like with the raw copies.",
        "Bulk: a fresh logged-in session per transfer; the clock covers the transfer command \
         (EPSV/PASV, RETR/STOR, data connection and its TLS handshake, the final reply). \
         Downloads go to a sink, uploads come from an in-memory pattern and are checked on \
         disk. suppaftp reads through a 256 KiB buffer (as ours) and uploads with `put_file`.",
        "PROT C: our clients send PBSZ 0 + PROT C on a TLS control connection; suppaftp cannot \
         (every data connection of a secured suppaftp session is TLS), so its clear rows use a \
         plain FTP session. The data connection is plain TCP in both cases.",
        "Limits: one process sends, the other receives, through 256 KiB buffers, TCP_NODELAY; \
         the TLS limit is tokio-rustls with the same crypto provider and certificate. The \
         goals compare with the plain copies; the `server file` rows also read the bulk file \
         or write (then remove) a new file on the server's side with blocking file I/O, the \
         best a server that touches its storage can do.",
        "Small files and logins: PROT P; each login client has its own TLS setup (no \
         resumption between sessions); data connections resume the control session's TLS.",
        "Memory: a fresh server process per measurement; RSS (VmRSS) after one warm-up \
         session, then with every session logged in and idle; the difference divided by the \
         sessions.",
    ] {
        let _ = writeln!(out, "- {note}");
    }
    let _ = writeln!(out);
    let retried: Vec<_> = samples
        .tallies
        .iter()
        .filter(|(_, t)| t.failed > 0)
        .collect();
    if retried.is_empty() {
        let _ = writeln!(
            out,
            "No session setup failed (each is tried up to {ATTEMPTS} times).\n"
        );
    } else {
        let _ = writeln!(
            out,
            "## Session setups that failed and were tried again (up to {ATTEMPTS} tries)\n"
        );
        for (name, t) in retried {
            let _ = writeln!(
                out,
                "- {name}: {} of {} tries failed; first: {}",
                t.failed,
                t.tries,
                t.first_error.as_deref().unwrap_or("?")
            );
        }
        let _ = writeln!(out);
    }
    if !samples.failures().is_empty() {
        let _ = writeln!(out, "## Failures\n");
        for f in samples.failures() {
            let _ = writeln!(out, "- {f}");
        }
        let _ = writeln!(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_odd_even_empty() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), Some(2.5));
        assert_eq!(median(std::iter::empty()), None);
        assert_eq!(median([f64::NAN, 5.0].into_iter()), Some(5.0));
    }

    #[test]
    fn ratios_use_rounds_where_both_sides_exist() {
        let mut s = Samples::new(3);
        s.record("t", "a", "c", 0, 10.0);
        s.record("t", "b", "c", 0, 5.0);
        s.record("t", "a", "c", 1, 30.0);
        s.record("t", "b", "c", 1, 10.0);
        s.record("t", "a", "c", 2, 100.0); // b failed in round 2: not a ratio
        assert_eq!(s.ratio("t", ("a", "c"), ("b", "c")), Some(2.5));
        assert_eq!(s.median("t", "a", "c"), Some(30.0));
        assert_eq!(s.ratio("t", ("a", "c"), ("missing", "c")), None);
        // Out-of-range rounds are ignored, not a panic.
        s.record("t", "a", "c", 7, 1.0);
        assert_eq!(s.median("t", "a", "c"), Some(30.0));
    }

    #[test]
    fn memory_per_session_and_ratio() {
        let mut s = Samples::new(1);
        let sample = |base, loaded| MemorySample {
            base_kib: base,
            loaded_kib: loaded,
            sessions: 100,
        };
        s.record_memory(ServerKind::OursTokio, 0, sample(1000, 3000));
        s.record_memory(ServerKind::Libunftp, 0, sample(2000, 10000));
        assert_eq!(s.memory_per_session(ServerKind::OursTokio), Some(20.0));
        assert_eq!(
            s.memory_ratio(ServerKind::OursTokio, ServerKind::Libunftp),
            Some(0.25)
        );
        assert_eq!(verdict(Some(0.25), 0.5, false), "met");
        assert_eq!(verdict(Some(0.85), 0.9, true), "**missed**");
        assert_eq!(verdict(None, 0.9, true), "not measured");
    }
}
