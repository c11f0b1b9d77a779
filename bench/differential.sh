#!/usr/bin/env bash
# The long differential run (issue 23): the driver of
# tests/testsuite/differential.rs, built in release, for STEPS steps from
# each SEED. Every step edits, renames, moves (_posts/ <-> old_post/) or
# deletes posts, changes settings, moves the clock, deletes or corrupts the
# state, caches the output folder or restores the cached copy with its
# modification times (a cache restore), runs partial or killed builds; then an incremental build must equal
# a clean build byte for byte (files, exit status, diagnostics) and the ping
# list must hold every feed URL that changed. A mismatch is recorded and the
# run goes on from an empty output and state.
#
#   bench/differential.sh [STEPS] [SEED...]     (default 5000 steps, seed 1)
#
# Environment: DIFF_SKIP (classes of operations to leave out, comma-separated:
# layout, same-url, kill, caps, state, restore), LOG_DIR (default /tmp). Prints, per
# seed, its steps and mismatches (the first 20, each with the folder it kept
# for inspection; the log has all), then the totals; exits 1 if any step
# mismatched.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STEPS=${1:-5000}
shift || true
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1)
LOG_DIR=${LOG_DIR:-/tmp}
TEST=differential::incremental_builds_equal_clean_builds_and_the_ping_list_misses_nothing
cargo test --release --quiet --manifest-path "$ROOT/Cargo.toml" --test testsuite --no-run
total_steps=0
total_mismatches=0
for seed in "${SEEDS[@]}"; do
    log=$LOG_DIR/feedgen-differential-$seed.log
    started=$(date +%s)
    DIFF_SEED=$seed DIFF_STEPS=$STEPS DIFF_KEEP_GOING=1 \
        cargo test --release --quiet --manifest-path "$ROOT/Cargo.toml" --test testsuite "$TEST" -- --exact --nocapture \
        >"$log" 2>&1 || true
    line=$(grep -E '^differential: seed' "$log" | tail -n1 || true)
    if [[ -z $line ]]; then
        echo "seed $seed: the driver did not finish; see $log" >&2
        exit 2
    fi
    mismatches=$(sed -n 's/.* steps, \([0-9]*\) mismatches.*/\1/p' <<<"$line")
    echo "seed $seed: $STEPS steps, $mismatches mismatches, $(($(date +%s) - started)) s (log: $log)"
    grep -E '^(MISMATCH|kept in)' "$log" | head -n 40 | sed 's/^/  /' || true
    [[ $mismatches -le 20 ]] || echo "  ... every mismatch is in $log"
    total_steps=$((total_steps + STEPS))
    total_mismatches=$((total_mismatches + mismatches))
done
echo "total: ${#SEEDS[@]} seeds, $total_steps steps, $total_mismatches mismatches${DIFF_SKIP:+ (skipped: $DIFF_SKIP)}"
[[ $total_mismatches -eq 0 ]]
