#!/usr/bin/env bash
# Fuzz smoke run: builds every cargo-fuzz target of fuzz/ and runs each for a short, fixed time
# (FUZZ_SECONDS, default 15) with its seed corpus and the FTP dictionary. Fails on any crash,
# timeout or out-of-memory; prints the executions done per target.
#
# Works from a clean clone: installs cargo-fuzz when it is missing (the nightly toolchain must
# be installed). New corpus entries go to a temporary directory, so the checked-in seeds stay
# as they are; a crashing input is left in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-15}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz-smoke: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
targets=$(cargo +nightly fuzz list)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()
printf '%-20s %-7s %14s\n' target result executions
for t in $targets; do
  mkdir -p "$work/corpus-$t"
  log="$work/$t.log"
  result=ok
  if ! cargo +nightly fuzz run "$t" "$work/corpus-$t" "corpus/$t" -- \
      -dict=dict/ftp.dict -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      >"$log" 2>&1; then
    result=CRASH
    failed+=("$t")
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
  if [ -z "$runs" ]; then
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1 | grep -o '[0-9][0-9]*' || true)
  fi
  printf '%-20s %-7s %14s\n' "$t" "$result" "${runs:-?}"
  if [ "$result" != ok ]; then
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' -A3 "$log" | head -n 40 || tail -n 40 "$log"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-smoke: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz-smoke: all $(echo $targets | wc -w) targets ran ${seconds}s without a crash"
