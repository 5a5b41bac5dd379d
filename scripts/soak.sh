#!/usr/bin/env bash
# Long soak with faults against the tokio server (issue 6, item 4): the `soak` test of
# ftps-proto-tokio with a long duration. Prints the seed, the figures (sessions, operations,
# resets, bytes verified) and the resource check (server tasks, fds, RSS before/after).
#
#   scripts/soak.sh                 # 10 minutes, 200 concurrent sessions, seed 20644 (0x50A4)
#   SOAK_SECS=300 SOAK_SESSIONS=250 SOAK_SEED=7 scripts/soak.sh
#
# Loopback only. Debug build by default (as in CI); SOAK_PROFILE=release for an optimized one.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_SECS="${SOAK_SECS:-600}"
export SOAK_SESSIONS="${SOAK_SESSIONS:-200}"
export SOAK_SEED="${SOAK_SEED:-20644}"
profile=()
if [ "${SOAK_PROFILE:-dev}" = release ]; then profile=(--release); fi
echo "soak: ${SOAK_SESSIONS} sessions, ${SOAK_SECS} s, seed ${SOAK_SEED}, profile ${SOAK_PROFILE:-dev}"
start=$(date +%s)
cargo test -p ftps-proto-tokio "${profile[@]}" --test soak -- --nocapture --test-threads=1
echo "soak: wall clock $(( $(date +%s) - start )) s"
