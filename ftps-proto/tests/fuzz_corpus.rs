//! Replays every fuzz corpus file (`fuzz/corpus/<target>/*`) and every kept crash
//! (`fuzz/regressions/<target>/*`) through the harness function of its target, on the stable
//! toolchain: the fuzzers' invariants are checked in every `cargo test` run.
#![cfg(feature = "testing")]
// The per-thread counting allocator below is a `GlobalAlloc` (see the workspace lints).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use ftps_proto::harness::TARGETS;

/// The system allocator, counting the bytes each thread has allocated and not freed, so the
/// harnesses' memory bounds hold here as in the fuzzers (each test runs its inputs on one
/// thread; tests run side by side).
struct PerThreadCounting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // A thread being torn down has no counter left: nothing to count then.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

fn size(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call is forwarded to `System` unchanged; only a thread-local counter (const
// initialised, so it never allocates) is updated.
unsafe impl GlobalAlloc for PerThreadCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            count(size(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            count(size(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        count(-size(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            count(size(new_size) - size(layout.size()));
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: PerThreadCounting = PerThreadCounting;

/// This thread's live bytes (memory freed here that another thread allocated makes it drift
/// down, never up: the harnesses compare growth within one input).
fn live_bytes() -> usize {
    usize::try_from(LIVE.with(Cell::get).max(0)).unwrap_or(0)
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir/<target>/`, sorted; panics on a directory that names no target.
fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(targets) = fs::read_dir(dir) else {
        return out;
    };
    for target in targets.flatten().filter(|t| t.path().is_dir()) {
        let name = target.file_name().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "{}: no fuzz target is called {name}",
            dir.display()
        );
        let mut inputs: Vec<PathBuf> = fs::read_dir(target.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        inputs.sort();
        out.extend(inputs.into_iter().map(|p| (name.clone(), p)));
    }
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    ftps_proto::harness::set_memory_probe(live_bytes);
    let all = files(&fuzz_dir().join(kind));
    let mut broken = Vec::new();
    for (target, path) in &all {
        let run = TARGETS
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| panic!("no target {target}"));
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            broken.push(format!("{target}: {}", path.display()));
        }
    }
    assert!(
        broken.is_empty(),
        "inputs that break an invariant:\n{}",
        broken.join("\n")
    );
    all.len()
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        let count = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert!(count >= 3, "{}: {count} seeds", dir.display());
    }
}

#[test]
fn corpus_files_keep_their_invariants() {
    let n = replay("corpus");
    assert!(n >= 3 * TARGETS.len(), "only {n} corpus files");
}

#[test]
fn crash_regressions_stay_fixed() {
    // Each file here once broke an invariant; see fuzz/regressions/README.md.
    replay("regressions");
}

/// Replays one input when `FUZZ_TARGET` and `FUZZ_INPUT` are set, for triage:
/// `FUZZ_TARGET=server_session FUZZ_INPUT=path FTPS_HARNESS_TRACE=1 cargo test -p ftps-proto
/// --test fuzz_corpus replay_one -- --nocapture`. Without them it checks that every target name
/// the triage command accepts is unique.
#[test]
fn replay_one() {
    let mut names: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), TARGETS.len(), "target names are unique");
    let (Ok(target), Ok(input)) = (std::env::var("FUZZ_TARGET"), std::env::var("FUZZ_INPUT"))
    else {
        return;
    };
    let run = TARGETS
        .iter()
        .find(|(t, _)| *t == target)
        .map(|(_, f)| *f)
        .expect("a known target");
    ftps_proto::harness::set_memory_probe(live_bytes);
    run(&fs::read(input).expect("a readable input"));
}
