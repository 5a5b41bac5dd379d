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

/// Parses every command of a pipelined buffer with the stateless parser.
fn parse_commands(buf: &[u8], limits: &Limits) -> usize {
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

/// Feeds the buffer through the session path: `LineBuffer` in 16 KiB reads, then `Command::parse`.
fn line_buffer_commands(lb: &mut LineBuffer, buf: &[u8]) -> usize {
    let mut n = 0;
    for chunk in buf.chunks(16 * 1024) {
        lb.push(chunk);
        while let Some(line) = lb.next_line() {
            if let Ok(line) = line {
                if let Ok(cmd) = Command::parse(line) {
                    black_box(&cmd);
                    n += 1;
                }
            }
        }
    }
    n
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
fn measure(time: Duration, mut f: impl FnMut() -> usize) -> (f64, f64) {
    f(); // warm up
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

fn summary() {
    let limits = Limits::default();
    let (cmds, ncmd) = pipelined_commands(1000);
    let (replies, nrep) = reply_stream(1000);
    let t = Duration::from_millis(1500);
    let (base_c, _) = measure(t, || memchr_lines(&cmds));
    let (parse_c, alloc_c) = measure(t, || parse_commands(&cmds, &limits));
    let mut lb = LineBuffer::new(limits, LineEnding::Crlf);
    let (lb_c, alloc_lb) = measure(t, || line_buffer_commands(&mut lb, &cmds));
    let (base_r, _) = measure(t, || memchr_lines(&replies));
    let (parse_r, alloc_r) = measure(t, || parse_replies(&replies, &limits));
    let mb = |bytes: usize, s: f64| bytes as f64 / s / 1e6;
    let per = |items: usize, s: f64| items as f64 / s / 1e6;
    println!(
        "codec summary ({} commands, {} bytes; {} replies, {} bytes)",
        ncmd,
        cmds.len(),
        nrep,
        replies.len()
    );
    println!("| input | path | MB/s | M items/s | ratio to memchr | allocs/item |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    println!(
        "| commands | memchr split | {:.0} | {:.1} | 1.00 | - |",
        mb(cmds.len(), base_c),
        per(ncmd, base_c)
    );
    println!(
        "| commands | parse_command | {:.0} | {:.1} | {:.2} | {:.3} |",
        mb(cmds.len(), parse_c),
        per(ncmd, parse_c),
        base_c / parse_c,
        alloc_c / ncmd as f64
    );
    println!(
        "| commands | LineBuffer + Command::parse | {:.0} | {:.1} | {:.2} | {:.3} |",
        mb(cmds.len(), lb_c),
        per(ncmd, lb_c),
        base_c / lb_c,
        alloc_lb / ncmd as f64
    );
    println!(
        "| replies | memchr split | {:.0} | {:.1} | 1.00 | - |",
        mb(replies.len(), base_r),
        per(nrep, base_r)
    );
    println!(
        "| replies | Reply::parse | {:.0} | {:.1} | {:.2} | {:.3} |",
        mb(replies.len(), parse_r),
        per(nrep, parse_r),
        base_r / parse_r,
        alloc_r / nrep as f64
    );
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
