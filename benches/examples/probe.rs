//! Temporary probe: per-command parse cost.
use ftps_proto::codec::{parse_command, Status};
use ftps_proto::Limits;
use std::hint::black_box;
use std::time::Instant;
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let limits = Limits::default();
    if mode == "total" {
        let (buf, n) = ftps_proto_benches::pipelined_commands(100);
        let mut count = 0;
        for _ in 0..10 {
            let mut rest = &buf[..];
            while let Ok(Status::Complete((used, cmd))) = parse_command(rest, &limits) {
                black_box(&cmd);
                rest = &rest[used..];
                count += 1;
            }
        }
        println!("{count} {n}");
        return;
    }
    let (buf, _) = ftps_proto_benches::pipelined_commands(1);
    let mut rest = &buf[..];
    while !rest.is_empty() {
        let lf = rest.iter().position(|&b| b == b'\n').unwrap() + 1;
        let line = &rest[..lf];
        let mut l2 = line.to_vec();
        l2.extend_from_slice(b"NOOP\r\n");
        let n = 2_000_000;
        let t = Instant::now();
        for _ in 0..n {
            let r = parse_command(black_box(&l2), &limits);
            black_box(&r);
        }
        let ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!("{:6.1} ns  {}", ns, String::from_utf8_lossy(&line[..lf - 2]));
        rest = &rest[lf..];
    }
}
