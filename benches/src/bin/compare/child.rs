//! Server child processes: this program re-executed as `compare serve KIND ...`, announced
//! ports read with a time limit, RSS read from `/proc`, and the child always killed on drop.
//!
//! A child also exits by itself when its standard input closes, so it cannot outlive this
//! process even when this one is killed. Dropping a [`ServerProcess`] closes that input, waits
//! a moment for the exit, then kills.
//!
//! For profiling, `COMPARE_WRAP_KIND=ours-tokio COMPARE_WRAP="valgrind --tool=callgrind"`
//! starts the children of that kind under the given command (split on spaces).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::fixture::Fixture;
use crate::serve::SUBCOMMAND;
use crate::Result;

/// How long a child may take to announce its ports.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// How long a child gets to exit after its input closed (profilers write their data then).
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// This program's path, taken at start (a rebuild during a run replaces the file, after which
/// the running process's own path reads `... (deleted)`).
static EXE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Remembers this program's path; call first thing in `main`.
pub fn remember_exe() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = EXE.set(exe);
    }
}

fn exe() -> Result<std::path::PathBuf> {
    if let Some(exe) = EXE.get() {
        return Ok(exe.clone());
    }
    Ok(std::env::current_exe()?)
}

/// The servers a child can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Our tokio server (`ftps_proto_tokio::server::Server`, `LocalFs`).
    OursTokio,
    /// Our tokio server with the in-memory storage of `memstore`.
    OursTokioMemory,
    /// Our std server (`ftps_proto_std::server::Server`, `LocalFs`).
    OursStd,
    /// libunftp with its filesystem backend (unftp-sbe-fs).
    Libunftp,
    /// The raw copy endpoints: a TCP and a tokio-rustls listener.
    Raw,
}

impl ServerKind {
    /// The name on the `serve` command line.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::OursTokio => "ours-tokio",
            ServerKind::OursTokioMemory => "ours-tokio-mem",
            ServerKind::OursStd => "ours-std",
            ServerKind::Libunftp => "libunftp",
            ServerKind::Raw => "raw",
        }
    }

    /// The inverse of [`ServerKind::name`].
    pub fn parse(name: &str) -> Option<ServerKind> {
        [
            ServerKind::OursTokio,
            ServerKind::OursTokioMemory,
            ServerKind::OursStd,
            ServerKind::Libunftp,
            ServerKind::Raw,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// The name in the tables.
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::OursTokio => "ours tokio",
            ServerKind::OursTokioMemory => "ours tokio (memory storage)",
            ServerKind::OursStd => "ours std",
            ServerKind::Libunftp => "libunftp",
            ServerKind::Raw => "raw",
        }
    }
}

/// A running server child. Dropping it kills the process and reaps it.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Kept open: the child exits when it closes.
    _stdin: Option<ChildStdin>,
    ports: Vec<u16>,
}

impl ServerProcess {
    /// Starts a `kind` server on the fixture's directory and waits (bounded) for its ports.
    pub fn spawn(kind: ServerKind, fixture: &Fixture) -> Result<ServerProcess> {
        let exe = exe()?;
        let wrap = std::env::var("COMPARE_WRAP")
            .ok()
            .filter(|_| std::env::var("COMPARE_WRAP_KIND").is_ok_and(|k| k == kind.name()));
        let mut command = match wrap.as_deref().map(str::split_whitespace) {
            Some(mut words) => match words.next() {
                Some(program) => {
                    let mut c = Command::new(program);
                    c.args(words).arg(exe);
                    c
                }
                None => Command::new(exe),
            },
            None => Command::new(exe),
        };
        let mut child = command
            .arg(SUBCOMMAND)
            .arg(kind.name())
            .arg(&fixture.root)
            .arg(&fixture.cert_path)
            .arg(&fixture.key_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take();
        let stdin = child.stdin.take();
        // From here on, every exit path kills the child (drop).
        let mut process = ServerProcess {
            child,
            _stdin: stdin,
            ports: Vec::new(),
        };
        let stdout = stdout.ok_or("child stdout not captured")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // A wrapper (profiler) may print its own lines first: passed on to stderr.
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => {
                        let _ = tx.send(Ok(line));
                        return;
                    }
                    Ok(_) if line.starts_with("READY") => {
                        let _ = tx.send(Ok(line));
                        break;
                    }
                    Ok(_) => eprint!("{line}"),
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
            // Keep draining, so a chatty wrapper never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(READY_LIMIT) {
            Ok(read) => read?,
            Err(_) => return Err(format!("{} server did not start in time", kind.name()).into()),
        };
        process.ports = parse_ready(&line)
            .ok_or_else(|| format!("{} server: unexpected first line {line:?}", kind.name()))?;
        Ok(process)
    }

    /// The first announced port (the control port).
    pub fn port(&self) -> u16 {
        self.ports.first().copied().unwrap_or(0)
    }

    /// The second announced port (the raw server's TLS port).
    pub fn second_port(&self) -> u16 {
        self.ports.get(1).copied().unwrap_or(0)
    }

    /// The resident set size of the child, KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        vm_rss_kib(&status).ok_or_else(|| "no VmRSS line in /proc/PID/status".into())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Closing its input asks the child to exit; a bounded wait, then the kill.
        drop(self._stdin.take());
        let deadline = std::time::Instant::now() + EXIT_LIMIT;
        while std::time::Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                _ => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses `READY port [port]`.
fn parse_ready(line: &str) -> Option<Vec<u16>> {
    let mut words = line.split_whitespace();
    if words.next()? != "READY" {
        return None;
    }
    let ports: Vec<u16> = words
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    (!ports.is_empty()).then_some(ports)
}

/// The `VmRSS:` value of a `/proc/PID/status` text, KiB.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => Some(value),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_gives_the_ports() {
        assert_eq!(parse_ready("READY 2121\n"), Some(vec![2121]));
        assert_eq!(parse_ready("READY 1 65535"), Some(vec![1, 65535]));
        assert_eq!(parse_ready("READY\n"), None);
        assert_eq!(parse_ready("READY 70000"), None);
        assert_eq!(parse_ready("error: bind"), None);
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    5012 kB\nThreads:\t3\n";
        assert_eq!(vm_rss_kib(status), Some(5012));
        assert_eq!(vm_rss_kib("VmRSS:\t12 MB\n"), None);
        assert_eq!(vm_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in [
            ServerKind::OursTokio,
            ServerKind::OursTokioMemory,
            ServerKind::OursStd,
            ServerKind::Libunftp,
            ServerKind::Raw,
        ] {
            assert_eq!(ServerKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(ServerKind::parse("vsftpd"), None);
    }
}
