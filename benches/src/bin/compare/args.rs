//! Command-line options: the sizes of each measurement, with full and `--quick` defaults.

use std::path::PathBuf;

/// `--help` text.
pub const HELP: &str = "\
compare: ftps-proto vs suppaftp/libunftp and the raw loopback limits, in one run

USAGE: compare [--quick] [OPTIONS]

  --quick            tiny sizes and 3 rounds (seconds); writes nothing unless --out is given
  --rounds N         rounds per measurement, contenders interleaved (default 5; quick 3)
  --bulk-mib N       bulk RETR/STOR size in MiB (default 1024; quick 8)
  --files N          many-small-files count (default 1000; quick 50)
  --file-kib N       size of each small file in KiB (default 4)
  --logins N         sessions opened per login measurement (default 500; quick 40)
  --wave N           sessions connecting at once, logins and memory (default 50; quick 20)
  --sessions N       idle sessions held for the memory measurement (default 2000; quick 50)
  --only LIST        comma-separated sections: limits,bulk,small,logins,memory (default all)
  --out PATH         where to write the report (default: BENCHMARKS.md at the workspace root,
                     full runs only)
  --no-write         print the tables only
  -h, --help         this text

Profiling: COMPARE_WRAP_KIND=ours-tokio COMPARE_WRAP=\"valgrind --tool=callgrind\" runs the
server children of that kind (ours-tokio, ours-tokio-mem, ours-std, libunftp, raw) under the
given command. COMPARE_CONTROL_TICKETS=N sets the TLS 1.3 tickets our servers send on each
control connection (default: the library's).";

/// The measurements of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Raw TCP and raw tokio-rustls copies.
    Limits,
    /// Bulk RETR/STOR, PROT P and PROT C.
    Bulk,
    /// Many small files in one session.
    Small,
    /// Concurrent connect + AUTH TLS + login + QUIT.
    Logins,
    /// Idle sessions and server RSS.
    Memory,
}

impl Section {
    /// Every section, in run order.
    pub const ALL: [Section; 5] = [
        Section::Limits,
        Section::Bulk,
        Section::Small,
        Section::Logins,
        Section::Memory,
    ];

    fn parse(name: &str) -> Option<Section> {
        Some(match name {
            "limits" => Section::Limits,
            "bulk" => Section::Bulk,
            "small" => Section::Small,
            "logins" => Section::Logins,
            "memory" => Section::Memory,
            _ => return None,
        })
    }
}

/// What a run measures and how big.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--quick` was given.
    pub quick: bool,
    /// Rounds per measurement.
    pub rounds: usize,
    /// Bulk transfer size in bytes.
    pub bulk_bytes: u64,
    /// Number of small files.
    pub files: usize,
    /// Size of each small file in bytes.
    pub file_bytes: usize,
    /// Sessions per login measurement.
    pub logins: usize,
    /// Sessions connecting at once.
    pub wave: usize,
    /// Idle sessions for the memory measurement.
    pub sessions: usize,
    /// Sections to run.
    pub sections: Vec<Section>,
    /// Where the report goes (`None`: not written).
    pub out: Option<PathBuf>,
}

/// The outcome of parsing the command line.
#[derive(Debug)]
pub enum Parsed {
    /// Run with these options.
    Run(Options),
    /// Print the help.
    Help,
}

const MIB: u64 = 1024 * 1024;

impl Options {
    /// Whether `section` is part of this run.
    pub fn runs(&self, section: Section) -> bool {
        self.sections.contains(&section)
    }

    /// Parses the arguments (without the program name).
    pub fn parse(argv: &[String]) -> Result<Parsed, String> {
        let quick = argv.iter().any(|a| a == "--quick");
        let mut o = Options {
            quick,
            rounds: if quick { 3 } else { 5 },
            bulk_bytes: if quick { 8 * MIB } else { 1024 * MIB },
            files: if quick { 50 } else { 1000 },
            file_bytes: 4 * 1024,
            logins: if quick { 40 } else { 500 },
            wave: if quick { 20 } else { 50 },
            sessions: if quick { 50 } else { 2000 },
            sections: Section::ALL.to_vec(),
            out: if quick {
                None
            } else {
                Some(default_report_path())
            },
        };
        let mut it = argv.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match arg.as_str() {
                "--quick" => {}
                "-h" | "--help" => return Ok(Parsed::Help),
                "--rounds" => o.rounds = number(&value(arg)?, arg, 1, 1000)?,
                "--bulk-mib" => {
                    o.bulk_bytes = number(&value(arg)?, arg, 1, 64 * 1024)? as u64 * MIB;
                }
                "--files" => o.files = number(&value(arg)?, arg, 1, 1_000_000)?,
                "--file-kib" => o.file_bytes = number(&value(arg)?, arg, 1, 1024 * 1024)? * 1024,
                "--logins" => o.logins = number(&value(arg)?, arg, 1, 1_000_000)?,
                "--wave" => o.wave = number(&value(arg)?, arg, 1, 10_000)?,
                "--sessions" => o.sessions = number(&value(arg)?, arg, 1, 100_000)?,
                "--only" => {
                    let list = value(arg)?;
                    let mut sections = Vec::new();
                    for name in list.split(',').filter(|s| !s.is_empty()) {
                        let section = Section::parse(name)
                            .ok_or_else(|| format!("--only: unknown section {name:?}"))?;
                        sections.push(section);
                    }
                    o.sections = Section::ALL
                        .into_iter()
                        .filter(|s| sections.contains(s))
                        .collect();
                }
                "--out" => o.out = Some(PathBuf::from(value(arg)?)),
                "--no-write" => o.out = None,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Parsed::Run(o))
    }
}

/// `BENCHMARKS.md` at the workspace root.
fn default_report_path() -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or(crate_dir)
        .join("BENCHMARKS.md")
}

fn number(text: &str, name: &str, min: usize, max: usize) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("{name}: {text:?} is not a number"))?;
    if n < min || n > max {
        return Err(format!("{name}: {n} is outside {min}..={max}"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn run(list: &[&str]) -> Options {
        match Options::parse(&args(list)) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("expected options, got {other:?}"),
        }
    }

    #[test]
    fn full_defaults_are_the_issue_sizes() {
        let o = run(&[]);
        assert_eq!(o.rounds, 5);
        assert_eq!(o.bulk_bytes, 1024 * MIB);
        assert_eq!((o.files, o.file_bytes), (1000, 4096));
        assert_eq!((o.logins, o.sessions), (500, 2000));
        assert_eq!(o.sections, Section::ALL.to_vec());
        assert!(o
            .out
            .as_deref()
            .is_some_and(|p| p.ends_with("BENCHMARKS.md")));
    }

    #[test]
    fn quick_is_small_and_writes_nothing() {
        let o = run(&["--quick"]);
        assert_eq!(o.rounds, 3);
        assert_eq!(o.bulk_bytes, 8 * MIB);
        assert_eq!(o.out, None);
    }

    #[test]
    fn flags_override_defaults_in_any_order() {
        let o = run(&["--bulk-mib", "256", "--quick", "--only", "memory,bulk"]);
        assert_eq!(o.bulk_bytes, 256 * MIB);
        assert_eq!(o.sections, vec![Section::Bulk, Section::Memory]);
        assert!(o.quick);
    }

    #[test]
    fn bad_values_are_errors() {
        assert_eq!(
            Options::parse(&args(&["--rounds", "0"])).unwrap_err(),
            "--rounds: 0 is outside 1..=1000"
        );
        assert_eq!(
            Options::parse(&args(&["--files", "many"])).unwrap_err(),
            "--files: \"many\" is not a number"
        );
        assert_eq!(
            Options::parse(&args(&["--wave"])).unwrap_err(),
            "--wave needs a value"
        );
        assert_eq!(
            Options::parse(&args(&["--only", "speed"])).unwrap_err(),
            "--only: unknown section \"speed\""
        );
        assert!(matches!(
            Options::parse(&args(&["--help"])),
            Ok(Parsed::Help)
        ));
    }
}
