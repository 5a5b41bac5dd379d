#!/usr/bin/env bash
# Long fuzz campaign: runs each cargo-fuzz target until it has executed FUZZ_RUNS inputs
# (default 10,000,000) and prints, per target, the executions done, the time taken and
# whether it ended cleanly. Not run by CI (hours); the figures go into the release notes.
#
#   scripts/fuzz-campaign.sh                   # every target, 10 M executions each
#   FUZZ_RUNS=1000000 scripts/fuzz-campaign.sh reply_parse ascii
#
# FUZZ_SANITIZER (default `none`): the core holds no `unsafe` code, so AddressSanitizer finds
# nothing a panic would not, and costs 3 to 8 times the executions; set `address` to use it.
# FUZZ_BUILD_FLAGS (default empty) go to both `cargo fuzz build` and `cargo fuzz run`; e.g.
# `--no-trace-compares` roughly doubles the slowest targets (pair_session: comparison tracing
# took about half its time) at the price of less guidance towards magic values; edge coverage
# and every invariant inside the targets stay.
# FUZZ_WORK (default `../fuzz-work` beside the project) keeps each target's growing corpus and
# log between runs; the checked-in seeds in fuzz/corpus stay as they are. A crashing input is
# left in fuzz/artifacts/<target>/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

runs="${FUZZ_RUNS:-10000000}"
sanitizer="${FUZZ_SANITIZER:-none}"
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:-}"
work="${FUZZ_WORK:-$root/../fuzz-work}"
mkdir -p "$work"

cargo +nightly fuzz build -s "$sanitizer" "${build_flags[@]}" >/dev/null || exit 1
if [ $# -gt 0 ]; then targets="$*"; else targets=$(cargo +nightly fuzz list); fi

status=0
printf '%-20s %-7s %14s %9s\n' target result executions seconds
for t in $targets; do
  mkdir -p "$work/corpus-$t"
  log="$work/$t.log"
  start=$(date +%s)
  result=ok
  if ! cargo +nightly fuzz run -s "$sanitizer" "${build_flags[@]}" "$t" "$work/corpus-$t" "corpus/$t" -- \
      -dict=dict/ftp.dict -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    result=CRASH
    status=1
  fi
  took=$(( $(date +%s) - start ))
  done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
  printf '%-20s %-7s %14s %9s\n' "$t" "$result" "${done_runs:-?}" "$took"
  if [ "$result" != ok ]; then
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' -A3 "$log" | head -n 40 || tail -n 40 "$log"
  fi
done
exit $status
