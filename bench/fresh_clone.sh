#!/usr/bin/env bash
# A CI job's run on a fresh checkout (issue #22): see bench/README.md.
#
#   bench/fresh_clone.sh [N]      (default 100000 posts; 2000 sources)
#
# The corpus of N posts (bench/run.sh's, or generated) is committed to a git
# repository, the content folder being its root, and built once (window 2h,
# fsync off) to make the state. Then RUNS times, interleaved:
#   (a) fresh: `git clone --no-hardlinks` of that repository at its place,
#       the state and output folders restored as actions/cache restores
#       them (tar, modification times kept), 100 new untracked posts,
#       `feedgen build`: only the build is timed;
#   (b) in place: the same 100 posts added to the repository's own work tree,
#       the one the state was built in, the state and output restored, the
#       build timed; the posts removed afterwards.
# Prints the medians, their ratio, the timed builds' largest peak RSS (GNU
# time), and the post files one more (a) opens,
# counted with `strace -f -e trace=openat` (installed with apt-get when
# missing; without it, not counted, and said so). Environment:
#   RUNS=5  BENCH_DIR=/tmp/feedgen-bench  SOURCES=2000
#   CORPUS=$BENCH_DIR/corpus-N-SOURCES   reused if it has a _posts folder
#   REPO=$BENCH_DIR/fresh-repo-N-SOURCES the committed corpus, kept between
#                                        runs (committing and packing a
#                                        million posts takes many minutes)
#   PREPARE=1                            only make REPO, then stop
#   FEEDGEN=target/release/feedgen       binary under test (skips cargo build)
#   RESULT=FILE                          also write the numbers there, one
#                                        key=value a line (bench/run.sh reads them)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-100000}
SOURCES=${SOURCES:-2000}
RUNS=${RUNS:-5}
BENCH_DIR=${BENCH_DIR:-/tmp/feedgen-bench}
CORPUS=${CORPUS:-$BENCH_DIR/corpus-$N-$SOURCES}
NOW=2030-01-01T00:00:00+08:00
SEED=1
ADD=100
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
mkdir -p "$BENCH_DIR"
if [[ -z ${FEEDGEN:-} ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    FEEDGEN=$ROOT/target/release/feedgen
fi
cargo build --release --quiet --example gen_corpus --manifest-path "$ROOT/Cargo.toml"
GEN=$ROOT/target/release/examples/gen_corpus

REPO=${REPO:-$BENCH_DIR/fresh-repo-$N-$SOURCES}
work=$(mktemp -d "$BENCH_DIR/fresh.XXXXXX")
# The repository lives at $work/site or $work/origin while the script runs.
trap 'for d in "$work/origin" "$work/site"; do [[ -d $d/.git/feedgen-bench ]] && mv "$d" "$REPO"; done; rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "NaN"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# The machine's speed drifts on a shared host: a fixed loop, timed, says how fast it was.
probe() {
    local i s
    for i in 1 2 3; do
        s=$EPOCHREALTIME
        awk 'BEGIN { for (i = 0; i < 1e7; i++) s += i }'
        awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", e - s }'
    done | median
}
echo "# fresh_clone.sh: $N posts, $SOURCES sources, window 2h, fsync off, median of $RUNS"
echo "# $(nproc) cores; CPU probe at start: $(probe) s; $(git --version)"

# The corpus, committed: the work tree at $work/site is the content folder.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
if [[ ! -d $REPO/.git/feedgen-bench ]]; then
    rm -rf "$REPO"
    if [[ -d $CORPUS/_posts ]]; then
        cp -r "$CORPUS" "$REPO"
    else
        "$GEN" "$REPO" "$N" --sources "$SOURCES" --seed "$SEED" >/dev/null
    fi
    git -C "$REPO" init -q -b main
    git -C "$REPO" add -A
    # No background `gc --auto` (it removed loose objects while a clone copied
    # them); packed once, as a remote CI clones from is.
    git -C "$REPO" -c gc.auto=0 -c user.name=bench -c user.email=bench@example.com commit -q -m corpus
    git -C "$REPO" repack -adq
    mkdir "$REPO/.git/feedgen-bench"
fi
[[ -n ${PREPARE:-} ]] && { echo "fresh_clone.sh: $REPO is ready"; exit 0; }
mv "$REPO" "$work/site"
# Left as committed (an earlier run may have been stopped with posts added).
git -C "$work/site" clean -fdxq
cp "$ROOT/bench/coverage-window.yml" "$work/config.yml"
grep -q '^feedgen:' "$work/config.yml" || { echo "fresh_clone.sh: config has no feedgen: section" >&2; exit 2; }
printf '  fsync: false\n' >>"$work/config.yml"
"$GEN" "$work/new" "$ADD" --sources "$SOURCES" --seed "$SEED" --start-index "$N" >/dev/null

build() { # the build, at the same paths every time (the state is keyed by them)
    "$FEEDGEN" build --content "$work/site" --output "$work/out" --state "$work/state" \
        --config "$work/config.yml" --now "$NOW" -q "$@" || [[ $? == 1 ]]
}
build
mv "$work/site" "$work/origin"
mv "$work/out" "$work/out-base"
mv "$work/state" "$work/state-base"
restore() {
    rm -rf "$work/out" "$work/state"
    mkdir "$work/out" "$work/state"
    # As the recipe's actions/cache restores them: a tar archive (--posix,
    # as the action writes it), extracted, so the files keep their
    # modification times and get new inodes and change times.
    tar --posix -C "$work/out-base" -cf - . | tar -C "$work/out" -xf -
    tar --posix -C "$work/state-base" -cf - . | tar -C "$work/state" -xf -
    cp "$work/new/_posts/"* "$work/site/_posts/"
}
# The peak memory of each timed build, by GNU time when installed (its
# fork and exec cost about a millisecond, inside the timing).
TIME=(env)
[[ -x /usr/bin/time ]] && TIME=(/usr/bin/time -f %M -a -o "$work/rss")
timed_build() { # -> seconds
    local s=$EPOCHREALTIME
    "${TIME[@]}" "$FEEDGEN" build --content "$work/site" --output "$work/out" --state "$work/state" \
        --config "$work/config.yml" --now "$NOW" -q || [[ $? == 1 ]]
    awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", e - s }'
}
fresh() {
    git clone -q --no-hardlinks "$work/origin" "$work/site"
    restore
    sync
    "$@"
    rm -rf "$work/site"
}
in_place() {
    mv "$work/origin" "$work/site"
    restore
    sync
    timed_build
    (cd "$work/new/_posts" && for f in *; do rm "$work/site/_posts/$f"; done)
    mv "$work/site" "$work/origin"
}
for ((r = 1; r <= RUNS; r++)); do
    fresh timed_build >>"$work/a"
    in_place >>"$work/b"
done
a=$(median <"$work/a")
b=$(median <"$work/b")
echo "(a) fresh clone, state restored, +$ADD untracked posts: $a s  (runs: $(tr '\n' ' ' <"$work/a"))"
echo "(b) the state's own folder, +$ADD posts:              $b s  (runs: $(tr '\n' ' ' <"$work/b"))"
awk -v a="$a" -v b="$b" 'BEGIN { printf "a/b: %.2f×\n", a / b }'
peak=
if [[ -s $work/rss ]]; then
    peak=$(sort -g "$work/rss" | tail -n1 | awk '{ printf "%.0f", $1 / 1024 }')
    echo "peak RSS of the timed builds, (a) and (b): $peak MiB at most"
fi

if ! command -v strace >/dev/null; then
    apt-get install -y -q strace >/dev/null 2>&1 || true
fi
if command -v strace >/dev/null; then
    traced() { strace -f -e trace=openat -o "$work/trace" "$FEEDGEN" build --content "$work/site" \
        --output "$work/out" --state "$work/state" --config "$work/config.yml" --now "$NOW" -q || [[ $? == 1 ]]; }
    fresh traced
    # Post files are opened by name in their folder, or by path: any
    # successful open of a post's extension that is not a folder.
    opened=$(grep -E '"[^"]*\.(md|markdown|html)", O_RDONLY' "$work/trace" | grep -v O_DIRECTORY | grep -vc ' = -1 ' || true)
    echo "(a) post files opened (strace, one more run): $opened of $((N + ADD))"
else
    opened=
    echo "(a) post files opened: not counted (strace is not installed and apt-get could not install it)"
fi
echo "# CPU probe at end: $(probe) s"
if [[ -n ${RESULT:-} ]]; then
    printf 'a=%s\nb=%s\npeak=%s\nopened=%s\nposts=%s\nadded=%s\n' "$a" "$b" "$peak" "$opened" "$((N + ADD))" "$ADD" >"$RESULT"
fi
