#!/usr/bin/env bash
# Interleaved A/B of feedgen binaries on one corpus: see bench/README.md.
#
#   bench/ab.sh [-n ROUNDS] BIN...
#
# Each binary gets its own output and state folder and one untimed full build;
# then, ROUNDS times, a no-op rerun of each, 100 new posts added to the corpus
# (the same for all), and a rerun of each, the order reversed every other
# round. Prints every time, then the medians. The added posts are deleted at
# the end. Environment:
#   BENCH_DIR=/tmp/feedgen-bench   where the corpus is and the outputs go
#   CORPUS=$BENCH_DIR/corpus-100000-2000  a corpus bench/run.sh generated
#   CONFIG=bench/coverage-window.yml       config of every run (windowed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/feedgen-bench}
CORPUS=${CORPUS:-$BENCH_DIR/corpus-100000-2000}
CONFIG=${CONFIG:-$ROOT/bench/coverage-window.yml}
NOW=2030-01-01T00:00:00+08:00
ADD=100
rounds=5
if [[ ${1:-} == -n ]]; then
    rounds=$2
    shift 2
fi
if [[ $# -eq 0 || ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
[[ -f $CORPUS/.gen-params ]] || { echo "ab.sh: no corpus at $CORPUS (run bench/run.sh first)" >&2; exit 2; }
read -r posts sources < <(sed -n 's/.*posts=\([0-9]*\).*sources=\([0-9]*\).*/\1 \2/p' "$CORPUS/.gen-params" | head -n1)
cargo build --release --quiet --example gen_corpus --manifest-path "$ROOT/Cargo.toml"
GEN=$ROOT/target/release/examples/gen_corpus

work=$(mktemp -d "$BENCH_DIR/ab.XXXXXX")
added=()
cleanup() {
    if ((${#added[@]})); then rm -f "${added[@]}"; fi
    rm -rf "$work"
}
trap cleanup EXIT

declare -A slot=() # binary -> its folder name (two binaries may share a basename)
i=0
for b in "$@"; do
    [[ -x $b ]] || { echo "ab.sh: $b is not an executable" >&2; exit 2; }
    slot[$b]=$i
    i=$((i + 1))
done

# run BIN CASE: one timed build, appended to $work/CASE-SLOT
run() {
    local s e n=${slot[$1]}
    s=$(date +%s.%N)
    "$1" build --content "$CORPUS" --output "$work/out-$n" --state "$work/state-$n" \
        --now "$NOW" -q --config "$CONFIG" || { echo "ab.sh: $1 failed" >&2; exit 1; }
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }' | tee -a "$work/$2-$n"
}
t=
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

for b in "$@"; do t=$(run "$b" full); echo "full   $b $t"; done
for ((r = 0; r < rounds; r++)); do
    order=("$@")
    if ((r % 2)); then
        order=()
        for ((j = $#; j >= 1; j--)); do order+=("${!j}"); done
    fi
    for b in "${order[@]}"; do t=$(run "$b" noop); echo "no-op  $b $t"; done
    rm -rf "$work/stage"
    "$GEN" "$work/stage" "$ADD" --sources "$sources" --seed 1 --start-index $((posts + ADD * r)) >/dev/null
    for f in "$work/stage"/_posts/*; do added+=("$CORPUS/_posts/${f##*/}"); done
    cp "$work/stage"/_posts/* "$CORPUS/_posts/"
    for b in "${order[@]}"; do t=$(run "$b" add); echo "add    $b $t"; done
done
echo
echo "medians of $rounds (seconds): no-op, $ADD new posts"
for b in "$@"; do
    echo "$b $(median <"$work/noop-${slot[$b]}") $(median <"$work/add-${slot[$b]}")"
done
