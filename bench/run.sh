#!/usr/bin/env bash
# feedgen benchmark: see bench/README.md.
#
#   bench/run.sh [--full] [SIZE...]
#
# SIZE defaults to "10000 100000" (SIZES env also works); --full adds 1000000.
# Each size runs with 40 and with 2000 sources (1M: 2000 only); CONFIGS="N:K ..."
# overrides the whole list. Environment:
#   RUNS=5            timed runs per measurement (median is reported)
#   BENCH_DIR=/tmp/feedgen-bench   corpora, outputs, logs, results
#   FEEDGEN=target/release/feedgen  binary under test (set it to skip cargo build)
#   REGEN_SIZE=100000 size whose corpora also get the regeneration rows
#   HUGO=hugo         Hugo binary (skipped when not installed); HUGO=none disables it
#   HUGO_RUNS=3       timed Hugo runs (at most RUNS)
#   HUGO_MAX=100000   skip Hugo above this size (Hugo 0.111 needs ~6 GiB at 100k/2000)
#   WINDOW_CONFIG=bench/coverage-window.yml  config of the windowed regeneration rows
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BENCH_DIR=${BENCH_DIR:-/tmp/feedgen-bench}
RUNS=${RUNS:-5}
REGEN_SIZE=${REGEN_SIZE:-100000}
HUGO=${HUGO:-hugo}
HUGO_RUNS=${HUGO_RUNS:-$((RUNS < 3 ? RUNS : 3))}
HUGO_MAX=${HUGO_MAX:-100000}
NOW=2030-01-01T00:00:00+08:00
SEED=1
ADD=100 # posts per "add a batch and rerun" measurement
# The time-window settings the "windowed" regeneration rows use.
WINDOW_CONFIG=${WINDOW_CONFIG:-$ROOT/bench/coverage-window.yml}

full=0
sizes=()
for a in "$@"; do
    case $a in
    --full) full=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    [0-9]*) sizes+=("$a") ;;
    *)
        echo "run.sh: unknown argument $a" >&2
        exit 2
        ;;
    esac
done
if [[ ${#sizes[@]} -eq 0 ]]; then
    read -r -a sizes <<<"${SIZES:-10000 100000}"
    if [[ $full -eq 1 ]]; then sizes+=(1000000); fi
fi
if [[ -n ${CONFIGS:-} ]]; then
    read -r -a configs <<<"$CONFIGS"
else
    configs=()
    for n in "${sizes[@]}"; do
        if ((n < 1000000)); then configs+=("$n:40"); fi
        configs+=("$n:2000")
    done
fi

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# ------------------------------------------------------------------ tools
if [[ ! -x /usr/bin/time ]]; then
    log "/usr/bin/time missing: installing Debian package 'time'"
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    fi
    [[ -x /usr/bin/time ]] || die "need GNU time at /usr/bin/time (apt-get install time)"
fi
if [[ $HUGO == none ]] || ! command -v "$HUGO" >/dev/null; then HUGO=; fi

log "building (cargo build --release)"
if [[ -z ${FEEDGEN:-} ]]; then
    cargo build --release --quiet --bin feedgen
    FEEDGEN=$ROOT/target/release/feedgen
fi
cargo build --release --quiet --example gen_corpus
GEN=$ROOT/target/release/examples/gen_corpus
GEN_HASH=$(cksum <"$ROOT/examples/gen_corpus.rs" | cut -d' ' -f1)
mkdir -p "$BENCH_DIR/logs"

# ------------------------------------------------------------------ helpers
# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "NaN"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
maxof() { sort -g | tail -n1; }
fmt() { awk -v x="$1" 'BEGIN { if (x == "" || x == "NaN") print "–"; else printf "%.2f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b+0 == 0) print "–"; else printf "%.1f×", a/b }'; }

# timed NAME CMD...: runs CMD under /usr/bin/time -v; appends "seconds peak_kib"
# to $BENCH_DIR/logs/NAME.tsv. Exit status 0 and 1 are fine (1 = feedgen
# rejected some posts); anything else aborts the benchmark.
timed() {
    local name=$1
    shift
    local tv="$BENCH_DIR/logs/$name.time" err="$BENCH_DIR/logs/$name.stderr"
    local t0=$EPOCHREALTIME rc=0
    /usr/bin/time -v -o "$tv" "$@" >/dev/null 2>"$err" || rc=$?
    local t1=$EPOCHREALTIME
    if ((rc > 1)); then
        tail -n 20 "$err" >&2
        die "$name: exit status $rc: $*"
    fi
    local kib
    kib=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tv")
    awk -v a="$t0" -v b="$t1" -v k="$kib" 'BEGIN { printf "%.4f %d\n", b - a, k }' >>"$BENCH_DIR/logs/$name.tsv"
}
# st NAME secs|maxmib: median seconds / largest peak RSS in MiB of NAME's runs
st() {
    local f="$BENCH_DIR/logs/$1.tsv"
    [[ -s $f ]] || return 0
    case $2 in
    secs) cut -d' ' -f1 "$f" | median ;;
    maxmib) cut -d' ' -f2 "$f" | maxof | awk '{print $1/1024}' ;;
    esac
}
reset_log() { rm -f "$BENCH_DIR/logs/$1.tsv"; }


# corpus N K: prints the corpus dir, generating it unless a matching one exists.
corpus() {
    local n=$1 k=$2 dir="$BENCH_DIR/corpus-$1-$2"
    local want="n=$n sources=$k seed=$SEED gen=$GEN_HASH"
    if [[ -f $dir/.gen-params ]] && [[ $(head -n1 "$dir/.gen-params") == "$want" ]] &&
        [[ $(find "$dir/_posts" -type f | wc -l) -eq $n ]]; then
        log "reusing $dir"
    else
        log "generating $n posts, $k sources -> $dir"
        rm -rf "$dir"
        "$GEN" "$dir" "$n" --sources "$k" --seed "$SEED" >"$BENCH_DIR/logs/gen-$n-$k.out"
        log "  $(cat "$BENCH_DIR/logs/gen-$n-$k.out")"
        { echo "$want"; cat "$BENCH_DIR/logs/gen-$n-$k.out"; } >"$dir/.gen-params"
    fi
    echo "$dir"
}

# ------------------------------------------------------------------ run
results=()
regen=()
added=() # extra posts currently in a corpus (removed on exit)
# ext4 scans the inodes freed in the last 30 s on every file creation, so
# deleting one run's ~8,000 feeds right before the next run made that run
# several times slower. Old outputs are moved aside and deleted at the end.
trash="$BENCH_DIR/trash"
mkdir -p "$trash"
discard() { if [[ -e $1 ]]; then mv "$1" "$trash/$(date +%s%N)"; fi; }
cleanup() {
    if ((${#added[@]})); then rm -f "${added[@]}"; fi
    rm -rf "$trash"
}
trap cleanup EXIT

for cfg in "${configs[@]}"; do
    n=${cfg%%:*}
    k=${cfg##*:}
    dir=$(corpus "$n" "$k")
    out="$BENCH_DIR/out-$n-$k"
    # feedgen's state (rebuild index) goes with the output: a full build
    # starts without either.
    state="$BENCH_DIR/state-$n-$k"
    top=$(sed -n 's/.* top_category=\([^ ]*\).*/\1/p' "$dir/.gen-params")
    id="$n-$k"
    fg=("$FEEDGEN" build --content "$dir" --output "$out" --state "$state" --now "$NOW" -q)

    log "$id: warming the page cache"
    find "$dir/_posts" -type f -exec cat {} + >/dev/null

    reset_log "cat-$id"
    for ((r = 1; r <= RUNS; r++)); do
        timed "cat-$id" find "$dir/_posts" -type f -exec cat {} +
    done

    log "$id: feedgen full build x$RUNS"
    reset_log "feedgen-$id"
    for ((r = 1; r <= RUNS; r++)); do
        discard "$out"
        discard "$state"
        timed "feedgen-$id" "${fg[@]}"
    done
    log "  median $(st "feedgen-$id" secs) s, peak $(fmt "$(st "feedgen-$id" maxmib)") MiB"

    hugo_s=
    if [[ -n $HUGO ]] && ((n <= HUGO_MAX)); then
        log "$id: hugo x$HUGO_RUNS"
        site="$BENCH_DIR/hugo-site"
        rm -rf "$site" && cp -r "$ROOT/bench/hugo" "$site"
        reset_log "hugo-$id"
        for ((r = 1; r <= HUGO_RUNS; r++)); do
            discard "$BENCH_DIR/hugo-out-$id"
            timed "hugo-$id" "$HUGO" --source "$site" --contentDir "$dir/_posts" \
                --destination "$BENCH_DIR/hugo-out-$id" --quiet
        done
        hugo_s=$(st "hugo-$id" secs)
        log "  median $hugo_s s, peak $(fmt "$(st "hugo-$id" maxmib)") MiB"
    fi

    fg_s=$(st "feedgen-$id" secs)
    fg_mib=$(st "feedgen-$id" maxmib)
    cat_s=$(st "cat-$id" secs)
    # target cell: one mark per criterion
    chk() { awk -v x="$1" -v lim="$2" -v txt="$3" 'BEGIN { printf "%s %s", (x != "" && x+0 <= lim ? "✅" : "❌"), txt }'; }
    target=
    case $cfg in
    100000:40) target="$(chk "$fg_s" 2.5 "≤2.5 s"), $(chk "$fg_mib" 200 "≤200 MiB")" ;;
    100000:2000) target=$(chk "$fg_s" 5 "≤5 s") ;;
    1000000:2000) target="$(chk "$fg_s" 30 "≤30 s"), $(chk "$fg_mib" 1024 "≤1 GiB")" ;;
    esac
    hugo_col="–"
    hugo_mib="–"
    if [[ -n $hugo_s ]]; then
        hugo_col=$(fmt "$hugo_s")
        hugo_mib=$(fmt "$(st "hugo-$id" maxmib)")
    fi
    results+=("| $n | $k | $(fmt "$fg_s") | $(fmt "$fg_mib") | $(fmt "$cat_s") | $hugo_col | $hugo_mib | $(ratio "$hugo_s" "$fg_s") | $(ratio "$fg_s" "$cat_s") | $target |")

    if ((n == REGEN_SIZE)); then
        # The output now holds a full build of the corpus.
        log "$id: no-op rerun x$RUNS"
        reset_log "noop-$id"
        for ((r = 1; r <= RUNS; r++)); do timed "noop-$id" "${fg[@]}"; done

        log "$id: --category $top x$RUNS"
        reset_log "cat1-$id"
        for ((r = 1; r <= RUNS; r++)); do timed "cat1-$id" "${fg[@]}" --category "$top"; done

        log "$id: add $ADD posts, rerun x$RUNS"
        reset_log "add-$id"
        for ((r = 1; r <= RUNS; r++)); do
            stage="$BENCH_DIR/stage"
            rm -rf "$stage"
            "$GEN" "$stage" "$ADD" --sources "$k" --seed "$SEED" --start-index $((n + ADD * (r - 1))) >/dev/null
            for f in "$stage"/_posts/*; do added+=("$dir/_posts/${f##*/}"); done
            cp "$stage"/_posts/* "$dir/_posts/"
            timed "add-$id" "${fg[@]}"
        done
        rm -f "${added[@]}"
        added=()
        discard "$out" # stale now: it saw the extra posts
        discard "$state"

        # The same batches with time-window feeds (issue #10): a full build
        # first, then each batch re-renders the windowed feeds it touches.
        fgw=("$FEEDGEN" build --content "$dir" --output "$out-window" --state "$state-window" --now "$NOW" -q --config "$WINDOW_CONFIG")
        log "$id: windowed ($WINDOW_CONFIG): full build, then add $ADD posts, rerun x$RUNS"
        discard "$out-window"
        discard "$state-window"
        reset_log "wfull-$id"
        timed "wfull-$id" "${fgw[@]}"
        reset_log "wadd-$id"
        for ((r = 1; r <= RUNS; r++)); do
            rm -rf "$stage"
            "$GEN" "$stage" "$ADD" --sources "$k" --seed "$SEED" --start-index $((n + ADD * (r - 1))) >/dev/null
            for f in "$stage"/_posts/*; do added+=("$dir/_posts/${f##*/}"); done
            cp "$stage"/_posts/* "$dir/_posts/"
            timed "wadd-$id" "${fgw[@]}"
        done
        rm -f "${added[@]}"
        added=()
        discard "$out-window"
        discard "$state-window"
        rm -rf "$BENCH_DIR/stage"

        for c in "noop:no-op rerun" "add:add $ADD posts, rerun (×$RUNS batches)" "cat1:\`--category $top\` rerun" \
            "wfull:windowed config: full build (1 run)" "wadd:windowed config: add $ADD posts, rerun (×$RUNS batches)"; do
            key=${c%%:*}
            regen+=("| $n | $k | ${c#*:} | $(fmt "$(st "$key-$id" secs)") | $(fmt "$(st "$key-$id" maxmib)") | $(ratio "$(st "$key-$id" secs)" "$fg_s") |")
        done
    fi
done

# ------------------------------------------------------------------ report
report="$BENCH_DIR/results-$(date +%Y%m%d-%H%M%S).md"
{
    echo "## feedgen benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
    echo "feedgen: \`$("$FEEDGEN" --version 2>/dev/null || echo "$FEEDGEN")\` ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no git')),"
    if [[ -n $HUGO ]]; then
        echo "hugo: \`$("$HUGO" version 2>/dev/null | cut -d' ' -f1-2)\`."
    else
        echo "hugo: not installed (or HUGO=none), not run."
    fi
    echo "Median of $RUNS runs (Hugo: $HUGO_RUNS, on corpora of at most $HUGO_MAX posts), wall seconds;"
    echo "peak RSS is the largest of the runs."
    echo "Full builds start from an empty output folder; the page cache is warm (one \`cat\` first)."
    echo
    echo "| posts | sources | feedgen s | feedgen peak MiB | cat s | hugo s | hugo peak MiB | hugo/feedgen | feedgen/cat | target |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${results[@]}"
    if ((${#regen[@]})); then
        echo
        echo "Regeneration (output folder already holds a full build):"
        echo
        echo "| posts | sources | case | median s | peak MiB | / full build |"
        echo "|---:|---:|---|---:|---:|---:|"
        printf '%s\n' "${regen[@]}"
    fi
} | tee "$report"
log "report saved to $report"
