//! Codec throughput: pipelined command parsing and reply parsing, side by side with splitting the
//! same input on line ends with `memchr` alone (the framing limit), plus heap allocations per item.
//!
//! Before criterion's own measurements it prints one summary table (bytes/s, items/s, the ratio
//! to the memchr-only rate, allocations per item).

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ftps_proto::codec::{parse_command, LineBuffer, LineEnding, Reply, Status};
use ftps_proto::{Command, Limits};
use ftps_proto_benches::{allocations, pipelined_commands, reply_stream, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Splits on LF with memchr and looks at each line: the framing limit.
fn memchr_lines(buf: &[u8]) -> usize {
    let mut n = 0;
    let mut sum = 0usize;
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', buf) {
        sum = sum.wrapping_add(lf - start);
        start = lf + 1;
        n += 1;
    }
    black_box(sum);
    n
}

/// Splits on LF with memchr and checks that each line ends with CRLF (a line without its CR
/// is counted apart): the framing limit of a CRLF protocol.
fn memchr_crlf_lines(buf: &[u8]) -> usize {
    let mut n = 0;
    let mut bare = 0;
    let mut sum = 0usize;
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', buf) {
        if lf > start && buf[lf - 1] == b'\r' {
            sum = sum.wrapping_add(lf - 1 - start);
            n += 1;
        } else {
            bare += 1;
        }
        start = lf + 1;
    }
    black_box((sum, bare));
    n
}

/// Parses every command of a pipelined buffer with the stateless parser. The command is
/// looked at where the parser put it (borrowed from the result), as a session does when it
/// matches on it; moving it out would add a 48-byte copy that is no part of parsing.
fn parse_commands(buf: &[u8], limits: &Limits) -> usize {
    let mut rest = buf;
    let mut n = 0;
    loop {
        let result = parse_command(rest, limits);
        match &result {
            Ok(Status::Complete((used, cmd))) => {
                black_box(cmd);
                rest = &rest[*used..];
                n += 1;
            }
            Ok(Status::Partial) => return n,
            Err(e) => match e.consumed() {
                Some(used) => rest = &rest[used..],
                None => return n,
            },
        }
    }
}

/// Feeds the buffer through the session path: `LineBuffer` in 16 KiB reads, then `Command::parse`.
fn line_buffer_commands(lb: &mut LineBuffer, buf: &[u8]) -> usize {
    let mut n = 0;
    for chunk in buf.chunks(16 * 1024) {
        lb.push(chunk);
        while let Some(line) = lb.next_line() {
            if let Ok(line) = line {
                if let Ok(cmd) = &Command::parse(line) {
                    black_box(cmd);
                    n += 1;
                }
            }
        }
    }
    n
}

/// [`parse_commands`], but moving each command out of the result into a local first, as
/// `if let Ok(Status::Complete((n, cmd))) = parse_command(..)` does: the cost of that 48-byte
/// copy shows in the difference of both rows.
fn parse_commands_moved(buf: &[u8], limits: &Limits) -> usize {
    let mut rest = buf;
    let mut n = 0;
    loop {
        match parse_command(rest, limits) {
            Ok(Status::Complete((used, cmd))) => {
                black_box(&cmd);
                rest = &rest[used..];
                n += 1;
            }
            Ok(Status::Partial) => return n,
            Err(e) => match e.consumed() {
                Some(used) => rest = &rest[used..],
                None => return n,
            },
        }
    }
}

/// Parses every reply of a buffer.
fn parse_replies(buf: &[u8], limits: &Limits) -> usize {
    let mut rest = buf;
    let mut n = 0;
    while let Ok(Status::Complete((used, reply))) = Reply::parse(rest, limits) {
        black_box(&reply);
        rest = &rest[used..];
        n += 1;
    }
    n
}

/// Runs `f` repeatedly for about `time`; returns (seconds per run, allocations per run).
fn measure(time: Duration, f: &mut dyn FnMut() -> usize) -> (f64, f64) {
    let a0 = allocations();
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < time {
        black_box(f());
        runs += 1;
    }
    let secs = start.elapsed().as_secs_f64() / runs as f64;
    let allocs = (allocations() - a0) as f64 / runs as f64;
    (secs, allocs)
}

/// The median of some values.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One row of the summary: a path over one input.
struct Row<'a> {
    input: &'static str,
    path: &'static str,
    bytes: usize,
    items: usize,
    /// Whether allocations are reported (not for the baselines).
    counts_allocs: bool,
    run: Box<dyn FnMut() -> usize + 'a>,
    /// Seconds per run, one value per round.
    secs: Vec<f64>,
    /// Allocations per run, one value per round.
    allocs: Vec<f64>,
}

impl<'a> Row<'a> {
    fn new(
        input: &'static str,
        path: &'static str,
        (bytes, items): (usize, usize),
        counts_allocs: bool,
        run: impl FnMut() -> usize + 'a,
    ) -> Self {
        Row {
            input,
            path,
            bytes,
            items,
            counts_allocs,
            run: Box::new(run),
            secs: Vec::new(),
            allocs: Vec::new(),
        }
    }
}

/// Prints the summary table. The rows of each input are measured interleaved (A B C A B C
/// ...) in several short rounds, and each ratio is the median over rounds of the ratio within
/// the round, so load from other processes on a shared machine moves both sides alike. The
/// ratio is to the first row of the same input, the plain memchr split.
fn summary() {
    const ROUNDS: usize = 9;
    let slice = Duration::from_millis(120);
    let limits = Limits::default();
    let (cmds, ncmd) = pipelined_commands(1000);
    let (replies, nrep) = reply_stream(1000);
    let mut lb = LineBuffer::new(limits, LineEnding::Crlf);
    let c = (cmds.len(), ncmd);
    let r = (replies.len(), nrep);
    let mut groups = [
        vec![
            Row::new("commands", "memchr split (LF)", c, false, || {
                memchr_lines(&cmds)
            }),
            Row::new(
                "commands",
                "memchr CRLF split (LF + CR check)",
                c,
                false,
                || memchr_crlf_lines(&cmds),
            ),
            Row::new("commands", "parse_command", c, true, || {
                parse_commands(&cmds, &limits)
            }),
            Row::new(
                "commands",
                "parse_command, command moved out",
                c,
                true,
                || parse_commands_moved(&cmds, &limits),
            ),
            Row::new("commands", "LineBuffer + Command::parse", c, true, || {
                line_buffer_commands(&mut lb, &cmds)
            }),
        ],
        vec![
            Row::new("replies", "memchr split (LF)", r, false, || {
                memchr_lines(&replies)
            }),
            Row::new("replies", "Reply::parse", r, true, || {
                parse_replies(&replies, &limits)
            }),
        ],
    ];
    for rows in &mut groups {
        for row in rows.iter_mut() {
            black_box((row.run)()); // warm up
        }
        for _ in 0..ROUNDS {
            for row in rows.iter_mut() {
                let (secs, allocs) = measure(slice, &mut row.run);
                row.secs.push(secs);
                row.allocs.push(allocs);
            }
        }
    }
    println!(
        "codec summary ({ncmd} commands, {} bytes; {nrep} replies, {} bytes; {ROUNDS} interleaved rounds, medians)",
        cmds.len(),
        replies.len()
    );
    println!("| input | path | MB/s | M items/s | ratio to memchr split | allocs/item |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for rows in &groups {
        let Some(base) = rows.first() else { continue };
        for row in rows {
            let ratios = base
                .secs
                .iter()
                .zip(&row.secs)
                .map(|(b, t)| b / t)
                .collect();
            let secs = median(row.secs.clone());
            let allocs = if row.counts_allocs {
                format!("{:.3}", median(row.allocs.clone()) / row.items as f64)
            } else {
                "-".to_string()
            };
            println!(
                "| {} | {} | {:.0} | {:.1} | {:.2} | {} |",
                row.input,
                row.path,
                row.bytes as f64 / secs / 1e6,
                row.items as f64 / secs / 1e6,
                median(ratios),
                allocs
            );
        }
    }
}

fn benches(c: &mut Criterion) {
    summary();
    let limits = Limits::default();
    let (cmds, ncmd) = pipelined_commands(100);
    let (replies, _) = reply_stream(100);
    let mut g = c.benchmark_group("commands");
    g.throughput(Throughput::Bytes(cmds.len() as u64));
    g.bench_function("memchr_split", |b| b.iter(|| memchr_lines(&cmds)));
    g.bench_function("parse_command", |b| {
        b.iter(|| parse_commands(&cmds, &limits))
    });
    let mut lb = LineBuffer::new(limits, LineEnding::Crlf);
    g.bench_function("line_buffer", |b| {
        b.iter(|| line_buffer_commands(&mut lb, &cmds))
    });
    g.finish();
    let mut g = c.benchmark_group("commands_items");
    g.throughput(Throughput::Elements(ncmd as u64));
    g.bench_function("parse_command", |b| {
        b.iter(|| parse_commands(&cmds, &limits))
    });
    g.finish();
    let mut g = c.benchmark_group("replies");
    g.throughput(Throughput::Bytes(replies.len() as u64));
    g.bench_function("memchr_split", |b| b.iter(|| memchr_lines(&replies)));
    g.bench_function("reply_parse", |b| {
        b.iter(|| parse_replies(&replies, &limits))
    });
    g.finish();
}

criterion_group!(codec, benches);
criterion_main!(codec);
