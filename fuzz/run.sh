#!/usr/bin/env bash
# Run the read → render fuzz target for a bounded time:
#   bash fuzz/run.sh SECONDS
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The toolchain is stable, so
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags. The corpus
# is seeded from the sample posts and the test fixtures' posts; crashes land in
# fuzz/artifacts/read_render/ and make this script fail.
set -euo pipefail
seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")/.."
corpus=fuzz/corpus/read_render
mkdir -p "$corpus"
# Seed: each sample post and test-fixture post as "file name\nbytes".
find content tests/fixtures -type f \( -name '*.md' -o -name '*.markdown' -o -name '*.html' \) -print0 |
while IFS= read -r -d '' f; do
    seed="$corpus/seed-$(printf '%s' "$f" | md5sum | cut -c1-16)"
    [ -e "$seed" ] || { basename "$f"; cat "$f"; } > "$seed"
done
export RUSTC_BOOTSTRAP=1
exec cargo fuzz run --sanitizer none read_render "$corpus" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
