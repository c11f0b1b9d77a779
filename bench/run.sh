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
#   BIG_SIZE=1000000  sizes from this one up get the windowed full build, no-op
#                     and 100-new-posts rows (issue #12's 1M rows)
#   HUGO=hugo         Hugo binary (skipped when not installed); HUGO=none disables it
#   HUGO_RUNS=3       timed Hugo runs (at most RUNS)
#   HUGO_MAX=100000   skip Hugo above this size (Hugo 0.111 needs ~6 GiB at 100k/2000)
#   WINDOW_CONFIG=bench/coverage-window.yml  config of the windowed rows
#   FRESH=1           also run bench/fresh_clone.sh (issue #22: a CI job's run on
#                     a fresh checkout) on the REGEN_SIZE and BIG_SIZE corpora with
#                     2,000 sources that this run measures; FRESH=0 skips it
#   TRASH_MAX_MB=6144 old outputs and copies wait in $BENCH_DIR/trash; above this
#                     size it is emptied, then SETTLE=30 s pass before the next
#                     timed run (ext4 slows file creation right after mass deletes)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BENCH_DIR=${BENCH_DIR:-/tmp/feedgen-bench}
RUNS=${RUNS:-5}
REGEN_SIZE=${REGEN_SIZE:-100000}
BIG_SIZE=${BIG_SIZE:-1000000}
HUGO=${HUGO:-hugo}
HUGO_RUNS=${HUGO_RUNS:-$((RUNS < 3 ? RUNS : 3))}
HUGO_MAX=${HUGO_MAX:-100000}
TRASH_MAX_MB=${TRASH_MAX_MB:-6144}
SETTLE=${SETTLE:-30}
FRESH=${FRESH:-1}
NOW=2030-01-01T00:00:00+08:00
SEED=1
ADD=100 # posts per "add a batch and rerun" measurement
# The time-window settings (issue #10) of the "windowed" rows, which are the
# conditions of issue #12's targets.
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
[[ -f $WINDOW_CONFIG ]] || {
    echo "run.sh: WINDOW_CONFIG $WINDOW_CONFIG: no such file" >&2
    exit 2
}
WINDOW_CONFIG=$(cd "$(dirname "$WINDOW_CONFIG")" && pwd)/$(basename "$WINDOW_CONFIG")

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
# a/b as a number ("" when either is missing), and as a table cell
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "NaN" || b == "NaN" || b+0 == 0) print ""; else printf "%.4f", a/b }'; }
ratio() {
    local q
    q=$(div "$1" "$2")
    if [[ -z $q ]]; then echo "–"; else awk -v q="$q" 'BEGIN { printf "%.2f×", q }'; fi
}
# bytes of peak RSS (MiB) per post
bpp() { awk -v m="$1" -v n="$2" 'BEGIN { if (m == "" || n+0 == 0) print "–"; else printf "%.0f", m*1048576/n }'; }
# chk VALUE LIMIT TEXT: "✅ TEXT" when VALUE <= LIMIT, else "❌ TEXT" (also when unmeasured)
chk() { awk -v x="$1" -v lim="$2" -v txt="$3" 'BEGIN { printf "%s %s", (x != "" && x != "NaN" && x+0 <= lim ? "✅" : "❌"), txt }'; }
# join the non-empty arguments with ", "
cells() {
    local out='' c
    for c in "$@"; do [[ -z $c ]] || out+=${out:+, }$c; done
    echo "$out"
}

declare -A measured=() # logs written by this run (older .tsv files are ignored)

# This machine's speed drifts 2-3x between and within runs (a shared host:
# steal time, page cache reclaimed). Two witnesses go into the report so runs
# can be compared: a fixed single-threaded loop, timed at the start and at the
# end (median of 3), and the share of CPU time stolen and spent waiting on the
# disk over the whole run.
probe() {
    local i s e
    for i in 1 2 3; do
        s=$(date +%s.%N)
        awk 'BEGIN { for (i = 0; i < 1e7; i++) s += i }'
        e=$(date +%s.%N)
        awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
    done | median
}
# "total steal iowait" CPU ticks so far (user..steal; guest time is in user)
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9, $6 }' /proc/stat; }
probe_start=$(probe)
read -r ticks0 steal0 iowait0 <<<"$(cpu_ticks)"
log "CPU probe: $probe_start s"

# timed NAME CMD...: runs CMD under /usr/bin/time -v; appends "seconds peak_kib"
# to $BENCH_DIR/logs/NAME.tsv. Exit status up to $maxrc (default 1: feedgen
# rejected some posts) is fine; anything else aborts the benchmark.
timed() {
    local name=$1
    shift
    local tv="$BENCH_DIR/logs/$name.time" err="$BENCH_DIR/logs/$name.stderr"
    local t0=$EPOCHREALTIME rc=0
    /usr/bin/time -v -o "$tv" "$@" >/dev/null 2>"$err" || rc=$?
    local t1=$EPOCHREALTIME
    if ((rc > ${maxrc:-1})); then
        tail -n 20 "$err" >&2
        die "$name: exit status $rc: $*"
    fi
    local kib
    kib=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tv")
    awk -v a="$t0" -v b="$t1" -v k="$kib" 'BEGIN { printf "%.4f %d\n", b - a, k }' >>"$BENCH_DIR/logs/$name.tsv"
}
# st NAME secs|maxmib: median seconds / largest peak RSS in MiB of NAME's runs
# (empty when this run did not measure NAME)
st() {
    local f="$BENCH_DIR/logs/$1.tsv"
    [[ -n ${measured[$1]:-} && -s $f ]] || return 0
    case $2 in
    secs) cut -d' ' -f1 "$f" | median ;;
    maxmib) cut -d' ' -f2 "$f" | maxof | awk '{print $1/1024}' ;;
    esac
}
reset_log() {
    rm -f "$BENCH_DIR/logs/$1.tsv"
    measured[$1]=1
}

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

# fsync_of CONFIG: "on" unless the config sets `fsync: false` (feedgen's
# default is on; docs/design.md "Faults and power loss").
fsync_of() {
    if grep -Eq '^[[:space:]]*fsync:[[:space:]]*false[[:space:]]*(#.*)?$' "$1"; then echo off; else echo on; fi
}

# ------------------------------------------------------------------ run
results=()
regen=()
notes=()
added=() # extra posts currently in a corpus (removed on exit)
# ext4 scans the inodes freed in the last 30 s on every file creation, so
# deleting one run's ~8,000 feeds right before the next run made that run
# several times slower. Old outputs are moved aside and deleted only when the
# trash outgrows TRASH_MAX_MB (a 1M run would otherwise fill the disk), and
# then SETTLE seconds before the next timed run.
trash="$BENCH_DIR/trash"
mkdir -p "$trash"
discard() { if [[ -e $1 ]]; then mv "$1" "$trash/$(date +%s%N)"; fi; }
gc_trash() {
    local mb
    mb=$(du -sm "$trash" | cut -f1)
    if ((mb > TRASH_MAX_MB)); then
        log "emptying the trash ($mb MiB), then ${SETTLE}s before the next timed run"
        rm -rf "$trash"
        mkdir -p "$trash"
        sync -f "$BENCH_DIR"
        sleep "$SETTLE"
    fi
}
cleanup() {
    if ((${#added[@]})); then rm -f "${added[@]}"; fi
    rm -rf "$trash" "$BENCH_DIR/stage"
}
trap cleanup EXIT

# add_batches KEY ID DIR K N CMD...: RUNS times, add the next ADD posts to DIR
# (gen_corpus --start-index after the N posts) and time CMD; the added posts
# are deleted afterwards.
add_batches() {
    local key=$1 id=$2 dir=$3 k=$4 n=$5 r f stage="$BENCH_DIR/stage"
    shift 5
    reset_log "$key-$id"
    for ((r = 1; r <= RUNS; r++)); do
        rm -rf "$stage"
        "$GEN" "$stage" "$ADD" --sources "$k" --seed "$SEED" --start-index $((n + ADD * (r - 1))) >/dev/null
        for f in "$stage"/_posts/*; do added+=("$dir/_posts/${f##*/}"); done
        cp "$stage"/_posts/* "$dir/_posts/"
        timed "$key-$id" "$@"
    done
    rm -f "${added[@]}"
    added=()
    rm -rf "$stage"
}

# full_builds KEY ID DIR OUT STATE CMD...: RUNS rounds of a full build from an
# empty output and state folder (the old ones go to the trash, the disk synced
# first), each followed by its read-and-write floor: read every post of DIR
# (as the cat floor does) and `cp -r OUT` (the output the build just wrote) to
# a fresh folder, timed as one command (KEY-rw); then one `sync -f` of the
# copy, timed on its own. KEY-rwsync gets each round's sum, the floor for a
# build that syncs. Build and floor alternate so that both see the same disk
# (its recent deletes, the trash's emptying): five builds, then five floors,
# put whatever the first runs after a change of phase pay on one side only.
full_builds() {
    local key=$1 id=$2 dir=$3 out=$4 state=$5 r copy="$BENCH_DIR/copy"
    shift 5
    reset_log "$key-$id"
    reset_log "$key-rw-$id"
    reset_log "$key-sync-$id"
    for ((r = 1; r <= RUNS; r++)); do
        gc_trash
        discard "$out"
        discard "$state"
        sync -f "$BENCH_DIR"
        timed "$key-$id" "$@"
        gc_trash
        discard "$copy"
        sync -f "$BENCH_DIR"
        # shellcheck disable=SC2016 # $1.. belong to the inner shell
        maxrc=0 timed "$key-rw-$id" bash -c 'find "$1/_posts" -type f -exec cat {} + && cp -r "$2" "$3"' _ "$dir" "$out" "$copy"
        maxrc=0 timed "$key-sync-$id" sync -f "$copy"
    done
    discard "$copy"
    reset_log "$key-rwsync-$id"
    paste -d' ' "$BENCH_DIR/logs/$key-rw-$id.tsv" "$BENCH_DIR/logs/$key-sync-$id.tsv" |
        awk '{ printf "%.4f %d\n", $1 + $3, ($2 > $4 ? $2 : $4) }' >"$BENCH_DIR/logs/$key-rwsync-$id.tsv"
}

# size_note ID LABEL OUT STATE: what a full build wrote (for reading the floor)
size_note() {
    local files mb smb
    files=$(find "$3" -type f | wc -l)
    mb=$(du -sm "$3" | cut -f1)
    smb=$(du -sm "$4" | cut -f1)
    notes+=("$1 $2: output $files files, $mb MiB; state $smb MiB.")
}

# The floor that matches feedgen's fsync setting for config file CFG:
# prints "KEY SUFFIX" (the synced floor when fsync is on).
floor_key() { if [[ $(fsync_of "$1") == on ]]; then echo rwsync; else echo rw; fi; }

# t12 CASE SECS MIB RATIO: issue #12's target cell for CASE
t12() {
    case $1 in
    full) chk "$4" 1.15 "≤1.15× r+w floor" ;;
    noop) chk "$2" 0.25 "≤0.25 s" ;;
    add) chk "$2" 0.35 "≤0.35 s" ;;
    touch) chk "$2" 0.6 "≤0.6 s" ;;
    cat1) chk "$2" 0.25 "≤0.25 s" ;;
    bigfull) cells "$(chk "$4" 1.0 "≤1.0× cat")" "$(chk "$3" 400 "≤400 MiB")" ;;
    bignoop) chk "$2" 2 "≤2 s" ;;
    bigadd) chk "$2" 2.5 "≤2.5 s" ;;
    esac
}

# full_row KEY CONFIG-LABEL CONFIG-FILE TARGET...: a row of the full-build table
# for the corpus of the loop below ($n, $k, $id, $hugo_s)
full_row() {
    local key=$1 label=$2 fk s mib cat_s rw rws
    fk=$(floor_key "$3")
    shift 3
    s=$(st "$key-$id" secs)
    mib=$(st "$key-$id" maxmib)
    cat_s=$(st "cat-$id" secs)
    rw=$(st "$key-rw-$id" secs)
    rws=$(st "$key-rwsync-$id" secs)
    local h_s="–" h_mib="–" h_ratio="–"
    if [[ $key == feedgen && -n $hugo_s ]]; then
        h_s=$(fmt "$hugo_s")
        h_mib=$(fmt "$(st "hugo-$id" maxmib)")
        h_ratio=$(ratio "$hugo_s" "$s")
    fi
    local tag=synced
    [[ $fk == rw ]] && tag="not synced"
    results+=("| $n | $k | $label | $(fmt "$s") | $(fmt "$mib") | $(bpp "$mib" "$n") | $(fmt "$cat_s") | $(fmt "$rw") | $(fmt "$rws") | $h_s | $h_mib | $h_ratio | $(ratio "$s" "$cat_s") | $(ratio "$s" "$(st "$key-$fk-$id" secs)") ($tag) | $(cells "$@") |")
}
# regen_row KEY CONFIG-LABEL FULL-KEY CASE TARGET...: a row of the regeneration table
regen_row() {
    local key=$1 label=$2 fullkey=$3 case=$4 s
    shift 4
    s=$(st "$key-$id" secs)
    regen+=("| $n | $k | $label | $case | $(fmt "$s") | $(fmt "$(st "$key-$id" maxmib)") | $(ratio "$s" "$(st "$fullkey-$id" secs)") | $(cells "$@") |")
}


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
    fgw=("$FEEDGEN" build --content "$dir" --output "$out-window" --state "$state-window" --now "$NOW" -q --config "$WINDOW_CONFIG")
    all_regen=0
    big=0
    ((n == REGEN_SIZE)) && all_regen=1
    ((n >= BIG_SIZE)) && big=1

    log "$id: warming the page cache"
    find "$dir/_posts" -type f -exec cat {} + >/dev/null

    reset_log "cat-$id"
    for ((r = 1; r <= RUNS; r++)); do
        timed "cat-$id" find "$dir/_posts" -type f -exec cat {} +
    done

    log "$id: feedgen full build and read-and-write floor x$RUNS"
    full_builds "feedgen" "$id" "$dir" "$out" "$state" "${fg[@]}"
    log "  median $(st "feedgen-$id" secs) s, peak $(fmt "$(st "feedgen-$id" maxmib)") MiB"
    log "  floor median $(st "feedgen-rw-$id" secs) s, synced $(st "feedgen-rwsync-$id" secs) s"
    size_note "$id" "default config" "$out" "$state"

    hugo_s=
    if [[ -n $HUGO ]] && ((n <= HUGO_MAX)); then
        log "$id: hugo x$HUGO_RUNS"
        site="$BENCH_DIR/hugo-site"
        rm -rf "$site" && cp -r "$ROOT/bench/hugo" "$site"
        reset_log "hugo-$id"
        for ((r = 1; r <= HUGO_RUNS; r++)); do
            gc_trash
            discard "$BENCH_DIR/hugo-out-$id"
            timed "hugo-$id" "$HUGO" --source "$site" --contentDir "$dir/_posts" \
                --destination "$BENCH_DIR/hugo-out-$id" --quiet
        done
        discard "$BENCH_DIR/hugo-out-$id"
        hugo_s=$(st "hugo-$id" secs)
        log "  median $hugo_s s, peak $(fmt "$(st "hugo-$id" maxmib)") MiB"
    fi

    fg_s=$(st "feedgen-$id" secs)
    fg_mib=$(st "feedgen-$id" maxmib)
    # issue #4's targets for the default config
    t4=
    h8=
    [[ -z $hugo_s ]] || h8=$(chk "$(div "$fg_s" "$hugo_s")" 0.125 "≥8× Hugo")
    case $cfg in
    100000:40) t4=$(cells "$(chk "$fg_s" 2.5 "≤2.5 s")" "$(chk "$fg_mib" 200 "≤200 MiB")" "$h8") ;;
    100000:2000) t4=$(chk "$fg_s" 5 "≤5 s") ;;
    1000000:2000) t4=$(cells "$(chk "$fg_s" 30 "≤30 s")" "$(chk "$fg_mib" 1024 "≤1 GiB")") ;;
    esac
    full_row feedgen default "$dir/_config.yml" "$t4"

    if ((all_regen)); then
        # The output now holds a full build of the corpus.
        log "$id: no-op rerun x$RUNS"
        reset_log "noop-$id"
        for ((r = 1; r <= RUNS; r++)); do timed "noop-$id" "${fg[@]}"; done

        log "$id: --category $top x$RUNS"
        reset_log "cat1-$id"
        for ((r = 1; r <= RUNS; r++)); do timed "cat1-$id" "${fg[@]}" --category "$top"; done

        log "$id: add $ADD posts, rerun x$RUNS"
        add_batches add "$id" "$dir" "$k" "$n" "${fg[@]}"
        regen_row noop default feedgen "no-op rerun"
        regen_row add default feedgen "add $ADD posts, rerun (×$RUNS batches)"
        regen_row cat1 default feedgen "\`--category $top\` rerun"
    fi
    discard "$out" # stale now if it saw the extra posts; and it is big
    discard "$state"

    if ((all_regen || big)); then
        # Issue #12's conditions: the time-window feeds of issue #10.
        log "$id: windowed ($WINDOW_CONFIG): full build and read-and-write floor x$RUNS"
        full_builds wfull "$id" "$dir" "$out-window" "$state-window" "${fgw[@]}"
        log "  median $(st "wfull-$id" secs) s, peak $(fmt "$(st "wfull-$id" maxmib)") MiB"
        log "  floor median $(st "wfull-rw-$id" secs) s, synced $(st "wfull-rwsync-$id" secs) s"
        size_note "$id" "windowed config" "$out-window" "$state-window"
        wk=$(floor_key "$WINDOW_CONFIG")
        w12=
        case $cfg in
        100000:2000) w12=$(t12 full "" "" "$(div "$(st "wfull-$id" secs)" "$(st "wfull-$wk-$id" secs)")") ;;
        1000000:2000) w12=$(t12 bigfull "" "$(st "wfull-$id" maxmib)" "$(div "$(st "wfull-$id" secs)" "$(st "cat-$id" secs)")") ;;
        esac
        full_row wfull windowed "$WINDOW_CONFIG" "$w12"

        log "$id: windowed no-op rerun x$RUNS"
        reset_log "wnoop-$id"
        for ((r = 1; r <= RUNS; r++)); do timed "wnoop-$id" "${fgw[@]}"; done

        if ((all_regen)); then
            log "$id: windowed --category $top x$RUNS"
            reset_log "wcat1-$id"
            for ((r = 1; r <= RUNS; r++)); do timed "wcat1-$id" "${fgw[@]}" --category "$top"; done

            # As after a fresh checkout with the state restored from a cache:
            # every post's time changes, its bytes do not.
            log "$id: windowed, touch every post, rerun x$RUNS"
            reset_log "wtouch-$id"
            for ((r = 1; r <= RUNS; r++)); do
                find "$dir/_posts" -type f -exec touch {} +
                timed "wtouch-$id" "${fgw[@]}"
            done
        fi

        log "$id: windowed, add $ADD posts, rerun x$RUNS"
        add_batches wadd "$id" "$dir" "$k" "$n" "${fgw[@]}"
        discard "$out-window"
        discard "$state-window"

        t_noop='' t_add='' t_cat1='' t_touch=''
        case $cfg in
        100000:2000)
            t_noop=$(t12 noop "$(st "wnoop-$id" secs)")
            t_cat1=$(t12 cat1 "$(st "wcat1-$id" secs)")
            t_touch=$(t12 touch "$(st "wtouch-$id" secs)")
            t_add=$(t12 add "$(st "wadd-$id" secs)")
            ;;
        1000000:2000)
            t_noop=$(t12 bignoop "$(st "wnoop-$id" secs)")
            t_add=$(t12 bigadd "$(st "wadd-$id" secs)")
            ;;
        esac
        # issue #10: adding 100 posts to a 100k archive, windowed, ≤ 0.5 s
        ((n == 100000)) && t_add=$(cells "$t_add" "$(chk "$(st "wadd-$id" secs)" 0.5 "≤0.5 s (#10)")")
        regen_row wnoop windowed wfull "no-op rerun" "$t_noop"
        regen_row wadd windowed wfull "add $ADD posts, rerun (×$RUNS batches)" "$t_add"
        if ((all_regen)); then
            regen_row wtouch windowed wfull "touch every post, rerun (×$RUNS)" "$t_touch"
            regen_row wcat1 windowed wfull "\`--category $top\` rerun" "$t_cat1"
        fi
    fi
    gc_trash
done

# ------------------------------------------------------------------ issue #22
# A CI job's run on a fresh checkout: bench/fresh_clone.sh on each issue size
# this run measured, with the same binary and corpus (its own window-2h,
# fsync-off config; it commits the corpus to a git repository once, kept in
# $BENCH_DIR between runs).
declare -A fresh=() # "ID KEY" -> value, from fresh_clone.sh's RESULT file
for id in "$REGEN_SIZE-2000" "$BIG_SIZE-2000"; do
    [[ $FRESH == 1 && " ${configs[*]} " == *" ${id%-*}:2000 "* ]] || continue
    gc_trash
    log "$id: fresh clone, state restored, +$ADD posts (bench/fresh_clone.sh, x$RUNS)"
    out="$BENCH_DIR/logs/fresh-$id.env"
    rm -f "$out"
    env RESULT="$out" RUNS="$RUNS" FEEDGEN="$FEEDGEN" BENCH_DIR="$BENCH_DIR" CORPUS="$BENCH_DIR/corpus-$id" \
        bash "$ROOT/bench/fresh_clone.sh" "${id%-*}" | tee "$BENCH_DIR/logs/fresh-$id.out" >&2
    while IFS='=' read -r key value; do fresh["$id $key"]=$value; done <"$out"
done

# ------------------------------------------------------------------ issue #12
# Every row of issue #12's tables, from the REGEN_SIZE and BIG_SIZE corpora
# with 2,000 sources (the issue's sizes are 100k and 1M).
mid="$REGEN_SIZE-2000"
bid="$BIG_SIZE-2000"
summary=()
# srow CASE-LABEL KEY ID FLOOR-TEXT RATIO TARGET: one summary row
srow() {
    local s mib n=${3%%-*}
    s=$(st "$2-$3" secs)
    mib=$(st "$2-$3" maxmib)
    if [[ -z $s ]]; then
        summary+=("| $1 | not measured in this run | | | | | |")
    else
        summary+=("| $1 | $(fmt "$s") | $(fmt "$mib") | $(bpp "$mib" "$n") | $4 | $5 | $6 |")
    fi
}
wk=$(floor_key "$WINDOW_CONFIG")
dk=rwsync
if [[ -f $BENCH_DIR/corpus-$mid/_config.yml ]]; then dk=$(floor_key "$BENCH_DIR/corpus-$mid/_config.yml"); fi
floor_txt() { # KEY ID FLOORKEY: "r+w floor X s (synced; not synced Y s), cat Z s"
    local kind="synced; not synced" other=rw
    [[ $3 == rw ]] && kind="not synced; synced" other=rwsync
    echo "read-and-write floor $(fmt "$(st "$1-$3-$2" secs)") s ($kind $(fmt "$(st "$1-$other-$2" secs)") s); \`cat\` $(fmt "$(st "cat-$2" secs)") s"
}
hugo_txt=
if [[ -n $(st "hugo-$mid" secs) ]]; then
    hugo_txt="; Hugo $(fmt "$(st "hugo-$mid" secs)") s, $(fmt "$(st "hugo-$mid" maxmib)") MiB ($(ratio "$(st "hugo-$mid" secs)" "$(st "feedgen-$mid" secs)") feedgen)"
fi
q=$(div "$(st "wfull-$mid" secs)" "$(st "wfull-$wk-$mid" secs)")
srow "full build" wfull "$mid" "$(floor_txt wfull "$mid" "$wk")" "$(ratio "$(st "wfull-$mid" secs)" "$(st "wfull-$wk-$mid" secs)")" "$(t12 full "" "" "$q")"
srow "full build, default config (20 items a feed)" feedgen "$mid" "$(floor_txt feedgen "$mid" "$dk")$hugo_txt" "$(ratio "$(st "feedgen-$mid" secs)" "$(st "feedgen-$dk-$mid" secs)")" ""
srow "no-op rerun" wnoop "$mid" "" "" "$(t12 noop "$(st "wnoop-$mid" secs)")"
srow "$ADD new posts (×$RUNS batches)" wadd "$mid" "" "" "$(cells "$(t12 add "$(st "wadd-$mid" secs)")" "$(chk "$(st "wadd-$mid" secs)" 0.5 "≤0.5 s (#10)")")"
srow "after touching every post, index kept" wtouch "$mid" "" "" "$(t12 touch "$(st "wtouch-$mid" secs)")"
srow "\`--category X\` (the most popular)" wcat1 "$mid" "" "" "$(t12 cat1 "$(st "wcat1-$mid" secs)")"
q=$(div "$(st "wfull-$bid" secs)" "$(st "cat-$bid" secs)")
srow "$BIG_SIZE posts, full build" wfull "$bid" "$(floor_txt wfull "$bid" "$wk")" "$(ratio "$(st "wfull-$bid" secs)" "$(st "cat-$bid" secs)") \`cat\`" "$(t12 bigfull "" "$(st "wfull-$bid" maxmib)" "$q")"
srow "$BIG_SIZE posts, no-op rerun" wnoop "$bid" "" "" "$(t12 bignoop "$(st "wnoop-$bid" secs)")"
srow "$BIG_SIZE posts, $ADD new posts (×$RUNS batches)" wadd "$bid" "" "" "$(t12 bigadd "$(st "wadd-$bid" secs)")"
# frow ID LABEL TARGET...: a fresh-clone row (issue #22), from fresh_clone.sh's numbers
frow() {
    local id=$1 label=$2 a b peak opened
    shift 2
    a=${fresh["$id a"]:-}
    if [[ -z $a ]]; then
        summary+=("| $label | not measured in this run | | | | | |")
        return
    fi
    b=${fresh["$id b"]} peak=${fresh["$id peak"]} opened=${fresh["$id opened"]:-not counted}
    summary+=("| $label | $(fmt "$a") | $(fmt "$peak") | $(bpp "$peak" "${id%-*}") | in place $(fmt "$b") s; post files opened: $opened of ${fresh["$id posts"]} | $(ratio "$a" "$b") in place | $(cells "$@") |")
}
fa=${fresh["$mid a"]:-} fb=${fresh["$mid b"]:-} fo=${fresh["$mid opened"]:-}
frow "$mid" "fresh clone, state restored, $ADD new untracked posts (#22)" "$(chk "$fa" 0.35 "≤0.35 s")" \
    "$(chk "$(div "$fa" "$fb")" 1.3 "≤1.3× in place")" "$(chk "$fo" $((2 * ADD)) "≤$((2 * ADD)) posts opened")"
frow "$bid" "$BIG_SIZE posts, fresh clone, state restored, $ADD new untracked posts (#22)" \
    "$(chk "${fresh["$bid a"]:-}" 2.5 "≤2.5 s")" "$(chk "${fresh["$bid peak"]:-}" 400 "≤400 MiB")"

# ------------------------------------------------------------------ report
report="$BENCH_DIR/results-$(date +%Y%m%d-%H%M%S).md"
{
    echo "## feedgen benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    read -r ticks1 steal1 iowait1 <<<"$(cpu_ticks)"
    echo "Machine: CPU probe (a fixed awk loop, median of 3) $probe_start s at the start, $(probe) s at the end;" \
        "over the run, $(awk -v t=$((ticks1 - ticks0)) -v s=$((steal1 - steal0)) -v w=$((iowait1 - iowait0)) \
            'BEGIN { printf "%.1f%% of CPU time stolen by the host, %.1f%% waiting on the disk", 100*s/t, 100*w/t }')."
    echo "feedgen: \`$("$FEEDGEN" --version 2>/dev/null || echo "$FEEDGEN")\` ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no git')),"
    if [[ -n $HUGO ]]; then
        echo "hugo: \`$("$HUGO" version 2>/dev/null | cut -d' ' -f1-2)\`."
    else
        echo "hugo: not installed (or HUGO=none), not run."
    fi
    echo "Median of $RUNS runs (Hugo: $HUGO_RUNS, on corpora of at most $HUGO_MAX posts), wall seconds;"
    echo "peak RSS is the largest of the runs. Windowed: \`--config ${WINDOW_CONFIG#"$ROOT"/}\` (fsync $(fsync_of "$WINDOW_CONFIG"))."
    echo
    echo "### Issue #12: ${REGEN_SIZE} posts and 2,000 sources unless the row says otherwise, windowed"
    echo
    if [[ $REGEN_SIZE != 100000 || $BIG_SIZE != 1000000 ]]; then
        echo "**Sizes differ from the issue's (100000, 1000000): the targets are the issue's, for reference only.**"
        echo
    fi
    echo "| case | feedgen s | peak MiB | peak B/post | floor or peer | feedgen / floor | target |"
    echo "|---|---:|---:|---:|---|---:|---|"
    printf '%s\n' "${summary[@]}"
    echo
    echo "### Full builds"
    echo
    echo "From an empty output and state folder, the disk synced first; the page cache is warm (one \`cat\` first)."
    echo "Floors: \`cat\` reads every post; r+w reads every post and copies the output tree this build wrote"
    echo "(\`cp -r\`) to a fresh folder; r+w+sync adds one \`sync -f\` of the copy. feedgen / r+w uses"
    echo "the floor that matches the config's \`feedgen.fsync\` (on by default: the synced one)."
    echo
    echo "| posts | sources | config | feedgen s | peak MiB | peak B/post | cat s | r+w s | r+w+sync s | hugo s | hugo peak MiB | hugo/feedgen | feedgen/cat | feedgen/r+w | target |"
    echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${results[@]}"
    echo
    printf -- '- %s\n' "${notes[@]}"
    if ((${#regen[@]})); then
        echo
        echo "### Regeneration"
        echo
        echo "The output and state folders hold a full build with the same config; \"touch\" runs"
        echo "\`find _posts -type f -exec touch {} +\` (untimed) before each run."
        echo
        echo "| posts | sources | config | case | median s | peak MiB | / full build | target |"
        echo "|---:|---:|---|---|---:|---:|---:|---|"
        printf '%s\n' "${regen[@]}"
    fi
} | tee "$report"
log "report saved to $report"
