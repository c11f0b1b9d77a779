#!/usr/bin/env bash
# What syncing feeds to disk costs (docs/design.md "Faults and power
# loss"): full builds and 100-post incremental builds of a corpus, with
# `feedgen.fsync` on and off, median of RUNS runs each.
#   bash bench/fsync.sh CORPUS [RUNS]
# CORPUS: made by `cargo run --release --example gen_corpus -- CORPUS N --sources K`.
# Uses target/release/feedgen; writes into a temp folder beside CORPUS, and
# appends a line to 100 of its posts per run (the incremental change).
set -euo pipefail
corpus=$(cd "${1:?usage: bench/fsync.sh CORPUS [RUNS]}" && pwd)
runs=${2:-5}
bin=$(cd "$(dirname "$0")/.." && pwd)/target/release/feedgen
work=$(mktemp -d "$(dirname "$corpus")/fsync.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$corpus/_config.yml" "$work/config.yml"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
mapfile -t posts < <(find "$corpus/_posts" -name '*.md' | sort | awk 'NR % 97 == 0' | head -100)
for fsync in true false; do
    { cat "$work/config.yml"; printf 'feedgen:\n  fsync: %s\n' "$fsync"; } > "$work/_config.yml"
    build() { "$bin" --content "$corpus" --config "$work/_config.yml" --output "$work/out" \
        --state "$work/state" --now 2030-01-01 -q; }
    full=(); incr=()
    for i in $(seq "$runs"); do
        rm -rf "$work/out" "$work/state"; sync
        full+=("$(secs build)")
        for p in "${posts[@]}"; do printf '\nedit %s %s\n' "$fsync" "$i" >> "$p"; done
        sync
        incr+=("$(secs build)")
    done
    feeds=$(find "$work/out" -name '*.xml' | wc -l)
    echo "fsync=$fsync feeds=$feeds full_median=$(printf '%s\n' "${full[@]}" | median)s incremental_100_median=$(printf '%s\n' "${incr[@]}" | median)s full=[${full[*]}] incr=[${incr[*]}]"
done
