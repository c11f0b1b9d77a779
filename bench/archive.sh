#!/usr/bin/env bash
# Regeneration with an archive folder (issue #21 item 1): the same 100k
# corpus twice, once all in _posts/ and once with the oldest 90% moved to
# old_post/ under `feedgen.archive: [old_post]`; for each, a full build,
# then interleaved no-op reruns and +100-post reruns, medians of ROUNDS.
#
#   bench/archive.sh [ROUNDS]     (default 5)
#
# Environment: BENCH_DIR (default /tmp/feedgen-bench), CORPUS (a corpus
# bench/run.sh generated; default $BENCH_DIR/corpus-100000-2000), FEEDGEN
# (default: this checkout's release build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/feedgen-bench}
CORPUS=${CORPUS:-$BENCH_DIR/corpus-100000-2000}
ROUNDS=${1:-5}
NOW=2030-01-01T00:00:00+08:00
[[ -f $CORPUS/.gen-params ]] || { echo "archive.sh: no corpus at $CORPUS (run bench/run.sh first)" >&2; exit 2; }
if [[ -z ${FEEDGEN:-} ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    FEEDGEN=$ROOT/target/release/feedgen
fi
cargo build --release --quiet --example gen_corpus --manifest-path "$ROOT/Cargo.toml"
GEN=$ROOT/target/release/examples/gen_corpus
read -r posts sources < <(sed -n 's/.*posts=\([0-9]*\).*sources=\([0-9]*\).*/\1 \2/p' "$CORPUS/.gen-params" | head -n1)
work=$(mktemp -d "$BENCH_DIR/archive.XXXXXX")
trap 'rm -rf "$work"' EXIT
for site in posts archive; do
    cp -r "$CORPUS" "$work/$site"
    cp "$ROOT/bench/coverage-window.yml" "$work/$site.yml"
done
# The oldest 90% (file names sort by date) move, as the site's mover does.
mkdir -p "$work/archive/old_post"
ls "$work/archive/_posts" >"$work/names"
head -n $((posts * 9 / 10)) "$work/names" | (cd "$work/archive/_posts" && xargs mv -t ../old_post)
printf '\n  archive: [old_post]\n' >>"$work/archive.yml"
grep -q '^feedgen:' "$work/archive.yml" || { echo "archive.sh: config has no feedgen: section" >&2; exit 2; }
run() { # SITE -> seconds
    local s=$1 t0 t1
    t0=$(date +%s.%N)
    "$FEEDGEN" --content "$work/$s" --config "$work/$s.yml" --output "$work/$s-out" --state "$work/$s-state" --now $NOW -q || [[ $? == 1 ]]
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for s in posts archive; do echo "full build, $s: $(run $s) s"; done
declare -A noop add
next=$posts
for ((r = 0; r < ROUNDS; r++)); do
    for s in posts archive; do noop[$s]+="$(run $s) "; done
    for s in posts archive; do
        "$GEN" "$work/$s" 100 --sources "$sources" --start-index $next >/dev/null
    done
    next=$((next + 100))
    for s in posts archive; do add[$s]+="$(run $s) "; done
done
for s in posts archive; do
    echo "$s: no-op median $(tr ' ' '\n' <<<"${noop[$s]}" | grep . | median) s; +100 median $(tr ' ' '\n' <<<"${add[$s]}" | grep . | median) s"
done
