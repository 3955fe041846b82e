#!/usr/bin/env bash
# bench/run.sh — reel's benchmarks (run by `make bench` after the normal build).
#
#   1 ingest    reel record --fast of a 1-hour WAV  vs  dd conv=fdatasync of it
#   2 hashing   reel cas put of 1 GiB               vs  b3sum --num-threads 1
#   3 grab      reel slice --last 30s (process)     vs  sox trim of the same 30 s
#               + in-process virtual slice (reel_slice, is_virtual)
#   4 rotation  seal + manifest update after ~1 min vs after ~24 h of history
#   6 http      bench/http_load.sh: 64 wrk connections (blobs, status, slices) against
#               `reel serve` recording 64 ch from jackd -d dummy; blob GET vs nginx
#   7 project   in-process (reelbench project): a project of 10 000 clips built with
#               clip_add, then 50 edits of each kind (clip_update, clip_move, clip_split,
#               marker_add): wall time and bytes added to cas/content per edit, against
#               the targets 10 ms and 64 KB (a dd conv=fdatasync of the same bytes beside)
#   5 jack      bench/jack_channels.sh: the largest channel count recorded live from
#               `jackd -d dummy -p 64` for REEL_BENCH_SECONDS (60) with 0 xruns and 0
#               overruns, and the realtime callback's cost at 64 channels (skipped, with
#               a note, if jackd is not installed)
#   8 render    reel render of a project of 16 stereo f32 tracks (gain + pan, one clip each)
#               on one core (taskset -c 0): x real time vs 100x, and its whole-process time
#               vs `sox -m` of the same 16 files; --stems (17 files) on 1 core and on all
#   9 automation in-process (reelbench automation): the realtime merge's cost per 64-frame
#               period at 1000 lanes (ramping linear, s-curve, sparse) vs 5 % of the
#               period; a lookup in a 24-hour lane vs 50 us; 100 000 live commands a second
#               for AUTO_SECONDS (60) pushed, applied and recorded, none lost
#
# Environment:
#   REEL=PATH        the reel binary (default: build/src/cli/reel)
#   REEL_BUILD=DIR   build dir holding src/lib/libreel.a (default: from REEL)
#   BENCH_DIR=DIR    scratch space, on the filesystem to measure (default /tmp/reel-bench)
#   RUNS=N           repetitions for medians (default 5)
#   ROT_SECONDS=S    simulated history for the rotation benchmark (default 86400)
#   ROT_RATE, ROT_CHUNK  its mono i16 stream: rate and chunk frames (48000, 131072)
#   KEEP_INPUTS=1    keep the generated WAV and random file for the next run
#   ONLY="a b"       run only these of: ingest hashing grab rotation jack http project render
#                    automation
#   AUTO_SECONDS=S   length of the automation recording benchmark (default 60)
#   PROJECT_CLIPS=N  clips in the project benchmark's project (default 10000)
#   PROJECT_EDITS=K  edits of each kind it measures (default 50)
#   REEL_BENCH_SECONDS=S  length of each JACK channel-count run (default 60)
#   RENDER_SECONDS=S length of each of the render benchmark's 16 sources (default 60)
# Every result line reads:
#   bench <name>: reel <v> <unit>, reference <v> <unit>, ratio <x.xx> (<target>)
# Word splitting of $(...) into median's arguments is intended (lists of numbers).
# shellcheck disable=SC2046
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REEL=${REEL:-$ROOT/build/src/cli/reel}
[[ $REEL == /* ]] || REEL=$PWD/$REEL
REEL_BUILD=${REEL_BUILD:-$(cd "$(dirname "$REEL")/../.." && pwd)}
BENCH_DIR=${BENCH_DIR:-/tmp/reel-bench}
RUNS=${RUNS:-5}
VSLICE_RUNS=${VSLICE_RUNS:-20}
ROT_SECONDS=${ROT_SECONDS:-86400}
ROT_RATE=${ROT_RATE:-48000}
ROT_CHUNK=${ROT_CHUNK:-131072}
KEEP_INPUTS=${KEEP_INPUTS:-0}
PROJECT_CLIPS=${PROJECT_CLIPS:-10000}
PROJECT_EDITS=${PROJECT_EDITS:-50}
RENDER_SECONDS=${RENDER_SECONDS:-60}
RENDER_TRACKS=16
ONLY=${ONLY:-}   # e.g. ONLY="grab rotation": run just those benchmarks
want() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

die() { echo "bench: $*" >&2; exit 1; }
[[ -x $REEL ]] || die "no reel binary at $REEL (build first, or set REEL=...)"
for t in sox b3sum dd gcc pkg-config awk; do
    command -v "$t" >/dev/null || die "$t is needed (apt-get install sox b3sum coreutils gcc pkg-config)"
done

mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
WAV=$BENCH_DIR/long.wav      # 1 hour, 48 kHz, stereo, float: 1.38 GB
RAND=$BENCH_DIR/rand.bin     # 1 GiB of random bytes
HELPER=$BENCH_DIR/reelbench
WAV_SECONDS=3600
WAV_BYTES=$((WAV_SECONDS * 48000 * 2 * 4 + 58))
RAND_BYTES=$((1 << 30))

cleanup() {
    rm -rf "$BENCH_DIR"/s-* "$BENCH_DIR"/out-* "$BENCH_DIR"/dd.out "$HELPER" "$BENCH_DIR"/*.txt "$BENCH_DIR/last.err" "$BENCH_DIR/clip.wav"
    if [[ $KEEP_INPUTS != 1 ]]; then rm -rf "$WAV" "$RAND" "$BENCH_DIR/render-src"; fi
}
trap cleanup EXIT

# ---- small helpers ---------------------------------------------------------
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
# Time a command (its output discarded); prints seconds.
timeit() {
    local t0 t1
    t0=$(now_us)
    "$@" >/dev/null 2>"$BENCH_DIR/last.err" || { cat "$BENCH_DIR/last.err" >&2; die "failed: $*"; }
    t1=$(now_us)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e6 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit } if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "nan" }'; }
fmt() { awk -v x="$1" -v d="${2:-3}" 'BEGIN { printf "%.*f\n", d, x }'; }
list() { local IFS=' '; echo "$*"; }
fresh_store() { rm -rf "$1"; "$REEL" --store "$1" init >/dev/null; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
hl() { awk -v t="$1" 'BEGIN { if (t >= 3600 && t % 3600 == 0) printf "%dh", t / 3600; else if (t % 60 == 0) printf "%dmin", t / 60; else printf "%ds", t }'; }
settle() { sync; sleep 0.5; }   # writeback of the previous step must not bill the next one

declare -A RATIO

# ---- header -----------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || rev="$rev+local changes"
echo "reel benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "scratch: $BENCH_DIR ($(df -T "$BENCH_DIR" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "reel:    $REEL (commit $rev)"
echo "runs:    medians of $RUNS (virtual slice: $VSLICE_RUNS); ratios are reference/reel unless noted"
echo

# ---- helper build -------------------------------------------------------------
LIBREEL=$REEL_BUILD/src/lib/libreel.a
[[ -f $LIBREEL ]] || die "no $LIBREEL (set REEL_BUILD to the build dir of $REEL)"
B3LIB=-lblake3
[[ -f $REEL_BUILD/libblake3.a ]] && B3LIB=$REEL_BUILD/libblake3.a
LIBS=$(pkg-config --libs sndfile sqlite3 jansson alsa libmicrohttpd libcurl liblo soxr lilv-0 rubberband)
for opt in jack libzmq; do
    if pkg-config --exists "$opt"; then LIBS="$LIBS $(pkg-config --libs "$opt")"; fi
done
# shellcheck disable=SC2086
gcc -std=gnu17 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src/lib" \
    "$HERE/reelbench.c" -o "$HELPER" -Wl,--wrap=reel_clock_mono_now \
    -Wl,--whole-archive "$LIBREEL" -Wl,--no-whole-archive "$B3LIB" $LIBS -lpthread -lm || die "cannot build bench/reelbench.c"

# ---- inputs -----------------------------------------------------------------
if want ingest || want grab; then
if [[ ! -f $WAV || $(stat -c %s "$WAV") != "$WAV_BYTES" ]]; then
    t=$(timeit sox -n -r 48000 -c 2 -b 32 -e floating-point "$WAV" synth "$WAV_SECONDS" whitenoise vol 0.5)
    echo "input:   $WAV: ${WAV_SECONDS} s white noise, 48 kHz stereo f32, $(stat -c %s "$WAV") bytes (sox, ${t} s)"
else
    echo "input:   $WAV reused ($(stat -c %s "$WAV") bytes)"
fi
fi
if want hashing; then
    if [[ ! -f $RAND || $(stat -c %s "$RAND") != "$RAND_BYTES" ]]; then
        head -c "$RAND_BYTES" /dev/urandom >"$RAND"
    fi
    echo "input:   $RAND: $RAND_BYTES random bytes"
fi
echo

# The stream the ingest left (grab slices it); checks it holds the whole file.
check_ingest() {
    st_json=$("$REEL" --store "$BENCH_DIR/s-ingest" --json status stream://bench/long)
    jget() { printf '%s' "$st_json" | sed -n "s/.*\"$1\": *\([0-9.e+]*\).*/\1/p" | head -n 1; }
    head_frame=$(jget head_frame)
    overruns=$(jget overrun_frames)
    chunks=$(jget chunks)
    [[ $head_frame == $((WAV_SECONDS * 48000)) ]] || die "ingest holds $head_frame frames, expected $((WAV_SECONDS * 48000))"
    [[ $overruns == 0 ]] || echo "warning: ingest reported $overruns overrun frames"
}

# ---- 1. ingest ----------------------------------------------------------------
if want ingest; then
cat "$WAV" >/dev/null   # warm the source once; both sides read it from cache
reel_t=() dd_t=()
for ((i = 1; i <= RUNS; i++)); do
    # Alternate which side goes first, so drift in machine load hits both.
    for side in $( ((i % 2)) && echo "reel dd" || echo "dd reel"); do
        if [[ $side == reel ]]; then
            fresh_store "$BENCH_DIR/s-ingest"; settle
            reel_t+=("$(timeit "$REEL" --store "$BENCH_DIR/s-ingest" record --source "file:$WAV" --fast --stream stream://bench/long)")
        else
            rm -f "$BENCH_DIR/dd.out"; settle
            dd_t+=("$(timeit dd if="$WAV" of="$BENCH_DIR/dd.out" bs=1M conv=fdatasync)")
        fi
    done
    rm -f "$BENCH_DIR/dd.out"
done
check_ingest
r=$(median "${reel_t[@]}"); d=$(median "${dd_t[@]}")
mb=$(awk -v b="$WAV_BYTES" 'BEGIN { printf "%.2f", b / 1e9 }')
echo "  ingest $mb GB, $chunks chunks, 0 overruns; reel runs: $(list "${reel_t[@]}") s; dd runs: $(list "${dd_t[@]}") s"
echo "  throughput: reel $(awk -v b="$WAV_BYTES" -v t="$r" 'BEGIN { printf "%.0f", b / t / 1e6 }') MB/s, dd $(awk -v b="$WAV_BYTES" -v t="$d" 'BEGIN { printf "%.0f", b / t / 1e6 }') MB/s"
RATIO[ingest]=$(ratio "$d" "$r")
echo "bench ingest: reel $(fmt "$r") s, reference $(fmt "$d") s, ratio ${RATIO[ingest]} (dd time / reel time, target >= 0.75)"
echo
fi

# ---- 2. hashing ------------------------------------------------------------------
if want hashing; then
cat "$RAND" >/dev/null
put_t=() b3_t=() hash_t=() cp_t=()
for ((i = 1; i <= RUNS; i++)); do
    fresh_store "$BENCH_DIR/s-put"; settle
    put_t+=("$(timeit "$REEL" --store "$BENCH_DIR/s-put" cas put "$RAND")")
    rm -rf "$BENCH_DIR/s-put"; settle
    b3_t+=("$(timeit b3sum --num-threads 1 "$RAND")")
    hash_t+=("$("$HELPER" hash "$RAND" | awk '{ print $1 }')")
    rm -f "$BENCH_DIR/dd.out"; settle
    cp_t+=("$(timeit dd if="$RAND" of="$BENCH_DIR/dd.out" bs=1M conv=fdatasync)")
    rm -f "$BENCH_DIR/dd.out"
done
want=$(b3sum --num-threads 1 "$RAND" | awk '{ print $1 }')
got=$("$HELPER" hash "$RAND" | awk '{ print $2 }')
[[ $want == "$got" ]] || die "reel's BLAKE3 ($got) differs from b3sum ($want)"
p=$(median "${put_t[@]}"); b=$(median "${b3_t[@]}"); h=$(median "${hash_t[@]}"); c=$(median "${cp_t[@]}")
echo "  cas put runs: $(list "${put_t[@]}") s; b3sum runs: $(list "${b3_t[@]}") s"
echo "  reel's put = hash (in-process, reel_hash_file) $(fmt "$h") s  overlapped with  copy + fdatasync into the store;"
echo "  a dd conv=fdatasync copy of the same file takes $(fmt "$c") s on this disk, so the put is bound by the copy, not the hash"
echo "  hash only: reel $(fmt "$h") s ($(awk -v t="$h" 'BEGIN { printf "%.2f", 1.073741824 / t }') GB/s), b3sum $(fmt "$b") s, ratio $(ratio "$b" "$h") (b3sum / reel hash, target >= 1.0)"
RATIO[hashing]=$(ratio "$b" "$p")
RATIO[hashonly]=$(ratio "$b" "$h")
echo "bench hashing: reel $(fmt "$p") s, reference $(fmt "$b") s, ratio ${RATIO[hashing]} (b3sum time / reel cas put time incl. copy+fsync, target >= 1.0)"
echo
fi

# ---- 3. grab ------------------------------------------------------------------
if want grab; then
S=$BENCH_DIR/s-ingest
if [[ ! -d $S ]]; then   # ONLY=grab: make the 1-hour stream, untimed
    fresh_store "$S"
    "$REEL" --store "$S" record --source "file:$WAV" --fast --stream stream://bench/long >/dev/null 2>"$BENCH_DIR/last.err" \
        || { cat "$BENCH_DIR/last.err" >&2; die "ingest failed"; }
fi
check_ingest
SLICE_FRAMES=$((30 * 48000))
start=$((head_frame - SLICE_FRAMES))
cat "$WAV" >/dev/null
# Same 30 s from both: check the samples once.
"$REEL" --store "$S" slice stream://bench/long --last 30s --out "$BENCH_DIR/out-reel.wav" >/dev/null
sox "$WAV" "$BENCH_DIR/out-sox.wav" trim "${start}s" "${SLICE_FRAMES}s"
cmp -s <(sox "$BENCH_DIR/out-reel.wav" -t f32 - 2>/dev/null) <(sox "$BENCH_DIR/out-sox.wav" -t f32 - 2>/dev/null) \
    || die "reel's slice and sox's trim differ"
slice_t=() sox_t=()
for ((i = 1; i <= RUNS; i++)); do
    rm -f "$BENCH_DIR"/out-*; settle
    slice_t+=("$(timeit "$REEL" --store "$S" slice stream://bench/long --last 30s --out "$BENCH_DIR/out-reel.wav")")
    sox_t+=("$(timeit sox "$WAV" "$BENCH_DIR/out-sox.wav" trim "${start}s" "${SLICE_FRAMES}s")")
done
g=$(median "${slice_t[@]}"); x=$(median "${sox_t[@]}")
echo "  slice runs: $(list "${slice_t[@]}") s; sox runs: $(list "${sox_t[@]}") s (samples identical)"
echo "  (reel also stores the slice in CAS, fsyncs it and records an artifact in reel.db; sox only writes the file)"
RATIO[grab]=$(ratio "$x" "$g")
echo "bench grab: reel $(fmt "$(awk -v t="$g" 'BEGIN { print t * 1000 }')" 1) ms, reference $(fmt "$(awk -v t="$x" 'BEGIN { print t * 1000 }')" 1) ms, ratio ${RATIO[grab]} (sox time / reel slice time, whole processes, target >= 1.0)"
mapfile -t vs < <("$HELPER" vslice "$S" stream://bench/long "$VSLICE_RUNS")
vw=() vc=()
for l in "${vs[@]}"; do vw+=("${l% *}"); vc+=("${l#* }"); done
vm=$(median "${vw[@]}"); vcm=$(median "${vc[@]}")
vms=$(awk -v u="$vm" 'BEGIN { printf "%.3f", u / 1000 }')
echo "  virtual slice runs (us): $(list "${vw[@]}")"
echo "  virtual slice thread CPU median $(fmt "$(awk -v u="$vcm" 'BEGIN { print u / 1000 }')") ms; the rest is waiting on I/O (reel.db WAL commit, fdatasync)"
RATIO[vslice]=$(ratio 1 "$vms")
echo "bench grab-virtual: reel $vms ms, reference 1.000 ms, ratio ${RATIO[vslice]} (in-process reel_slice is_virtual, median of $VSLICE_RUNS; target < 1 ms, i.e. ratio > 1)"
rm -rf "$S" "$BENCH_DIR"/out-*
echo
fi

# ---- 4. rotation -------------------------------------------------------------------
if want rotation; then
R=$BENCH_DIR/s-rot
fresh_store "$R"; settle
chunk_s=$(awk -v f="$ROT_CHUNK" -v r="$ROT_RATE" 'BEGIN { printf "%.3f", f / r }')
n_chunks=$(awk -v s="$((ROT_SECONDS + 60))" -v f="$ROT_CHUNK" -v r="$ROT_RATE" 'BEGIN { printf "%d", s * r / f + 0.5 }')
echo "  simulating $(hl "$ROT_SECONDS") + 1 min of a mono i16 ${ROT_RATE} Hz stream in ${ROT_CHUNK}-frame chunks (${chunk_s} s each, $n_chunks chunks, $(awk -v n="$n_chunks" -v f="$ROT_CHUNK" 'BEGIN { printf "%.1f", n * f * 2 / 1e9 }') GB);"
echo "  over its last 2 minutes a fresh stream in the same store seals chunks in alternation with it (its first 2 minutes)"
t=$(now_us)
"$HELPER" rotation "$R" "$ROT_SECONDS" "$ROT_RATE" "$ROT_CHUNK" >"$BENCH_DIR/rot.txt" || die "rotation helper failed"
t=$(awk -v a="$t" -v b="$(now_us)" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
# A virtual slice of the last 30 s of this long (stopped) stream: its cost
# follows the manifest's size, not the 30 s.
mapfile -t vs < <("$HELPER" vslice "$R" stream://bench/rotation "$VSLICE_RUNS")
rvw=() rvc=()
for l in "${vs[@]}"; do rvw+=("${l% *}"); rvc+=("${l#* }"); done
rot_vslice="virtual slice --last 30s of this $(hl "$ROT_SECONDS") stream: $(ms "$(median "${rvw[@]}")") ms wall, $(ms "$(median "${rvc[@]}")") ms CPU (median of $VSLICE_RUNS)"
rm -rf "$R"
col() { median $(awk -v f="$2" -v t="$1" '$1 == t { print $f }' "$BENCH_DIR/rot.txt"); }
# Median wall and CPU cost of the long stream's CHUNK_FULL polls whose chunk
# ends in (lo, hi] of history, and its live manifest's size there.
stats() {
    awk -v lo="$1" -v hi="$2" '$1 == "rot" && $3 > lo && $3 <= hi { print $4, $5 }' "$BENCH_DIR/rot.txt" >"$BENCH_DIR/win.txt"
    local w c n m
    n=$(wc -l <"$BENCH_DIR/win.txt")
    w=$(median $(awk '{ print $1 }' "$BENCH_DIR/win.txt"))
    c=$(median $(awk '{ print $2 }' "$BENCH_DIR/win.txt"))
    m=$(awk -v lo="$1" -v hi="$2" -v s="$chunk_s" '$1 == "mf" && ($2 + 1) * s > lo && ($2 + 1) * s <= hi { print $3 }' "$BENCH_DIR/rot.txt")
    m=$(median $m)
    echo "$w $c $n ${m%.*}"
}
read -r _ _ _ lchunks _ over _ alone _ fchunks < <(awk '$1 == "rot_total"' "$BENCH_DIR/rot.txt")
echo "  simulation took $t s (the long stream alone: $(fmt "$alone" 0) s); $lchunks + $fchunks chunks, $over overrun frames"
echo "  long stream, cost of the poll that seals a chunk (medians over +-1 min of history; manifest = live manifest file):"
printf '  %-10s %9s %9s %8s %12s\n' history "wall ms" "cpu ms" samples "manifest B"
for T in 60 600 3600 21600 43200 "$ROT_SECONDS"; do
    ((T <= ROT_SECONDS)) || continue
    read -r w c n m < <(stats $((T - 60)) $((T + 60)))
    printf '  %-10s %9s %9s %8s %12s\n' "$(hl "$T")" "$(ms "$w")" "$(ms "$c")" "$n" "$m"
    [[ $T == "$ROT_SECONDS" ]] && break
done
# The live manifest keeps sealed chunks until REEL_MANIFEST_PAGE of them
# page out, so its size (and the cost) saw-tooths over each page cycle;
# comparing whole cycles removes where in the cycle a point happens to fall.
PAGE=$(sed -n 's/^#define REEL_MANIFEST_PAGE \([0-9]*\).*/\1/p' "$ROOT/src/lib/store/manifest.h")
PAGE=${PAGE:-256}
cyc=$(awk -v p="$PAGE" -v s="$chunk_s" 'BEGIN { printf "%.3f", p * s }')
last_end=$(awk -v T="$ROT_SECONDS" -v c="$cyc" 'BEGIN { printf "%.3f", int(T / c) * c }')
read -r cw1 cc1 _ _ < <(stats 0 "$cyc")
read -r cwN ccN _ _ < <(stats "$(awk -v e="$last_end" -v c="$cyc" 'BEGIN { print e - c }')" "$last_end")
echo "  whole page cycles ($PAGE chunks = $(awk -v c="$cyc" 'BEGIN { printf "%.1f", c / 60 }') min): first wall $(ms "$cw1") / cpu $(ms "$cc1") ms, last before $(hl "$ROT_SECONDS") wall $(ms "$cwN") / cpu $(ms "$ccN") ms (not side by side: wall ratio $(ratio "$cwN" "$cw1"), cpu ratio $(ratio "$ccN" "$cc1"))"
awk -v p="$PAGE" -v lo="$BENCH_DIR/saw-lo.txt" -v hi="$BENCH_DIR/saw-hi.txt" \
    '$1 == "rot" { i = $2 % p; if (i < p / 8) print $5 > lo; else if (i >= p - p / 8) print $5 > hi }' "$BENCH_DIR/rot.txt"
echo "  saw-tooth (cpu): seals in the first 1/8 of a page cycle $(ms "$(median $(cat "$BENCH_DIR/saw-lo.txt"))") ms, in the last 1/8 $(ms "$(median $(cat "$BENCH_DIR/saw-hi.txt"))") ms"
rm -f "$BENCH_DIR"/saw-*.txt "$BENCH_DIR/win.txt"
echo "  $rot_vslice"
# The headline: the paired phase, long stream at ROT_SECONDS +- 1 min vs the
# fresh stream at 0-2 min, sealed alternately.
fw=$(col pair 4); fc=$(col pair 5); lw=$(col pair 7); lc=$(col pair 8)
pr=$(median $(awk '$1 == "pair" && $4 > 0 { printf "%.4f\n", $7 / $4 }' "$BENCH_DIR/rot.txt"))
fm=$(median $(awk '$1 == "mf2" { print $3 }' "$BENCH_DIR/rot.txt"))
lm=$(median $(awk -v lo="$((ROT_SECONDS - 60))" -v s="$chunk_s" '$1 == "mf" && ($2 + 1) * s > lo { print $3 }' "$BENCH_DIR/rot.txt"))
np=$(awk '$1 == "pair"' "$BENCH_DIR/rot.txt" | wc -l)
echo "  side by side ($np pairs): fresh stream (0-2 min) wall $(ms "$fw") ms, cpu $(ms "$fc") ms, manifest ${fm%.*} B;" \
     "long stream ($(hl "$ROT_SECONDS") +- 1 min) wall $(ms "$lw") ms, cpu $(ms "$lc") ms, manifest ${lm%.*} B"
echo "  median of the per-pair wall ratios $(fmt "$pr" 2); cpu ratio $(ratio "$lc" "$fc")"
RATIO[rotation]=$(ratio "$lw" "$fw")
RATIO[rotcpu]=$(ratio "$lc" "$fc")
label=$(hl "$ROT_SECONDS")
echo "bench rotation: reel $(ms "$lw") ms at $label, reference $(ms "$fw") ms at 1min, ratio ${RATIO[rotation]} (seal+manifest cost at $label / at ~1 min of history, sealed alternately; target <= 2; thread-CPU ratio ${RATIO[rotcpu]})"
echo
fi

# ---- 5: JACK channel count and callback cost --------------------------------
JACK_LINES=()
if want jack; then
    if command -v jackd >/dev/null && command -v jack_wait >/dev/null; then
        jrc=0
        REEL=$REEL BENCH_DIR=$BENCH_DIR/jack bash "$HERE/jack_channels.sh" | tee "$BENCH_DIR/jack.txt" || jrc=$?
        mapfile -t JACK_LINES < <(grep '^bench jack-' "$BENCH_DIR/jack.txt")
        ((jrc == 0)) || { JACK_LINES+=("bench jack: exit $jrc (see above)"); echo "${JACK_LINES[-1]}"; }
        rm -rf "$BENCH_DIR/jack"
    else
        JACK_LINES=("bench jack-channels: skipped (jackd / jack_wait not installed)")
        echo "${JACK_LINES[0]}"
    fi
    echo
fi

# ---- 6: HTTP under load while recording 64 channels -------------------------------
HTTP_LINES=()
if want http; then
    # Only the benchmark needs these (nginx's package starts a server on :80 when installed,
    # so the test machines do not get it from scripts/deps.sh).
    if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
        if ((EUID == 0)); then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null 2>&1 || true
        fi
    fi
    if command -v jackd >/dev/null && command -v wrk >/dev/null && command -v nginx >/dev/null; then
        hrc=0
        REEL=$REEL BENCH_DIR=$BENCH_DIR/http bash "$HERE/http_load.sh" | tee "$BENCH_DIR/http.txt" || hrc=$?
        mapfile -t HTTP_LINES < <(grep '^bench http-' "$BENCH_DIR/http.txt")
        ((hrc == 0)) || { HTTP_LINES+=("bench http: exit $hrc (see above)"); echo "${HTTP_LINES[-1]}"; }
        rm -rf "$BENCH_DIR/http"
    else
        HTTP_LINES=("bench http: skipped (needs jackd, wrk and nginx: apt-get install jackd2 wrk nginx-light)")
        echo "${HTTP_LINES[0]}"
    fi
    echo
fi

# ---- 7: project edits on a large project ---------------------------------------
# Target (issue 14): an edit on a project with 10 000 clips writes under 64 KB
# and takes under 10 ms. Both limits are the references (as for grab-virtual);
# a dd conv=fdatasync of the same bytes, measured here, shows the disk's floor.
pct() { local p=$1; shift; printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ a[++n] = $1 } END {
    if (n == 0) { print "nan"; exit } i = int(p / 100 * n + 0.999999); if (i < 1) i = 1; print a[i] }'; }
if want project; then
P=$BENCH_DIR/s-project
fresh_store "$P"
sox -n -r 48000 -c 2 -b 16 "$BENCH_DIR/clip.wav" synth 4 whitenoise vol 0.5
art=$("$REEL" --store "$P" --json import "$BENCH_DIR/clip.wav" | sed -n 's/.*"artifact": *"\([^"]*\)".*/\1/p')
[[ -n $art ]] || die "reel import of the clip source failed"
rm -f "$BENCH_DIR/clip.wav"; settle
"$HELPER" project "$P" "$art" "$PROJECT_CLIPS" "$PROJECT_EDITS" >"$BENCH_DIR/project.txt" \
    || die "project helper failed"
read -r _ build_s build_cas doc_b < <(awk '$1 == "build_total"' "$BENCH_DIR/project.txt")
tenth=$((PROJECT_CLIPS / 10))
first=$(median $(awk -v m="$tenth" '$1 == "build" && $2 <= m { print $3 / 1000 }' "$BENCH_DIR/project.txt"))
last=$(median $(awk -v m="$((PROJECT_CLIPS - tenth))" '$1 == "build" && $2 >= m { print $3 / 1000 }' "$BENCH_DIR/project.txt"))
echo "  build: $PROJECT_CLIPS clip_add ops (one version each; there is no batch op) in $(fmt "$build_s" 1) s;" \
     "per op $(fmt "$first" 1) ms over the first tenth, $(fmt "$last" 1) ms over the last (samples every 100 clips)"
echo "  after the build: document $(awk -v b="$doc_b" 'BEGIN { printf "%.1f", b / 1024 }') KiB, cas/content $(awk -v b="$build_cas" 'BEGIN { printf "%.0f", b / 1048576 }') MiB"
for kind in clip_update clip_move clip_split marker_add; do
    mapfile -t us < <(awk -v k="$kind" '$1 == "edit" && $2 == k { print $4 }' "$BENCH_DIR/project.txt")
    mapfile -t by < <(awk -v k="$kind" '$1 == "edit" && $2 == k { print $5 }' "$BENCH_DIR/project.txt")
    ((${#us[@]} == PROJECT_EDITS)) || die "project: ${#us[@]} $kind edits measured, expected $PROJECT_EDITS"
    t_med=$(awk -v u="$(median "${us[@]}")" 'BEGIN { print u / 1000 }')
    t_p95=$(awk -v u="$(pct 95 "${us[@]}")" 'BEGIN { print u / 1000 }')
    b_med=$(median "${by[@]}"); b_max=$(pct 100 "${by[@]}")
    b_med=${b_med%.*}
    dd_t=()
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$BENCH_DIR/dd.out"; settle
        dd_t+=("$(timeit dd if=/dev/zero of="$BENCH_DIR/dd.out" bs="$b_med" count=1 conv=fdatasync)")
    done
    rm -f "$BENCH_DIR/dd.out"
    dd_ms=$(awk -v t="$(median "${dd_t[@]}")" 'BEGIN { print t * 1000 }')
    kb=$(awk -v b="$b_med" 'BEGIN { printf "%.1f", b / 1024 }')
    echo "  $kind: $PROJECT_EDITS edits, wall median $(fmt "$t_med" 2) ms, p95 $(fmt "$t_p95" 2) ms;" \
         "bytes added to cas/content median $b_med, max $b_max; dd conv=fdatasync of $b_med bytes (whole process) $(fmt "$dd_ms" 2) ms"
    RATIO[proj_${kind}_ms]=$(ratio 10 "$t_med")
    RATIO[proj_${kind}_kb]=$(ratio 64 "$kb")
    echo "bench project-$kind-time: reel $(fmt "$t_med" 2) ms, reference 10.00 ms, ratio ${RATIO[proj_${kind}_ms]} (10 ms target / median wall time of one $kind on $PROJECT_CLIPS clips, p95 $(fmt "$t_p95" 2) ms; target under 10 ms, i.e. ratio > 1)"
    echo "bench project-$kind-bytes: reel $kb KiB, reference 64.0 KiB, ratio ${RATIO[proj_${kind}_kb]} (64 KiB target / median bytes one $kind adds to cas/content; target under 64 KiB, i.e. ratio > 1)"
done
rm -rf "$P"
echo
fi

# ---- 8: offline render of a 16-track project -----------------------------------
# Target (issue 15): 16 stereo tracks with gain and pan render offline at >= 100x real
# time on one core, faster than `sox -m` of the same 16 files; stems scale with cores.
# Both sides are whole processes timed with the same clock (timeit) and pinned to CPU 0
# when taskset exists. reel does more than sox: the render goes into cas/tmp, is fsynced,
# hashed into the store and recorded as an artifact, then copied (fsynced) to --out.
if want render; then
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi
pin_note=${PIN[*]:-"not pinned (no taskset)"}
SRC=$BENCH_DIR/render-src
RS=$BENCH_DIR/s-render
mkdir -p "$SRC"
src_bytes=$((RENDER_SECONDS * 48000 * 2 * 4 + 58))
srcs=() gains=() pans=()
for ((i = 0; i < RENDER_TRACKS; i++)); do
    f=$SRC/src-$i-${RENDER_SECONDS}s.wav
    # Distinct files: left channel white noise, right a sine of its own frequency.
    if [[ ! -f $f || $(stat -c %s "$f") != "$src_bytes" ]]; then
        sox -n -r 48000 -c 2 -b 32 -e floating-point "$f" synth "$RENDER_SECONDS" whitenoise sine $((220 + 55 * i)) vol 0.25 \
            || die "sox: cannot make $f"
    fi
    srcs+=("$f")
    gains+=("$(awk -v i="$i" 'BEGIN { printf "%.3f", 0.1 + 0.015 * i }')")
    pans+=("$(awk -v i="$i" 'BEGIN { printf "%.2f", -0.9 + 0.12 * i }')")
done
echo "  inputs: $RENDER_TRACKS distinct sox-made stereo f32 WAVs of ${RENDER_SECONDS} s (48 kHz; L white noise, R a sine), $(awk -v b="$src_bytes" -v n="$RENDER_TRACKS" 'BEGIN { printf "%.0f", b * n / 1e6 }') MB"
fresh_store "$RS"
jstr() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }
jnum() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p" | head -n 1; }
RP=$("$REEL" --store "$RS" --json project create bench-render | jstr project)
[[ -n $RP ]] || die "render: project create failed"
for ((i = 0; i < RENDER_TRACKS; i++)); do
    art=$("$REEL" --store "$RS" --json import "${srcs[i]}" | jstr artifact)
    [[ -n $art ]] || die "render: import of ${srcs[i]} failed"
    tr=$("$REEL" --store "$RS" --json track add "$RP" --name "t$i" --channels 2 --gain "${gains[i]}" --pan="${pans[i]}" | jstr track)
    [[ -n $tr ]] || die "render: track add failed"
    "$REEL" --store "$RS" --json clip add "$RP" --track "$tr" --at 0 --source "$art" >/dev/null \
        || die "render: clip add failed"
done
echo "  project: $RENDER_TRACKS stereo tracks, gains ${gains[0]}..${gains[-1]}, pans ${pans[0]}..${pans[-1]}, one clip each at 0"
# sox -M + remix -m does the same job as reel (gain and balance-law pan per track): it is
# the oracle for the render (checked once), and timed as a second reference.
remix_l=() remix_r=()
for ((i = 0; i < RENDER_TRACKS; i++)); do
    read -r gl gr < <(awk -v g="${gains[i]}" -v p="${pans[i]}" 'BEGIN { l = r = 1
        if (p > 0) l = cos(p * 3.14159265358979 / 2); else if (p < 0) r = cos(p * 3.14159265358979 / 2)
        printf "%.9f %.9f\n", g * l, g * r }')
    remix_l+=("$((2 * i + 1))v$gl") remix_r+=("$((2 * i + 2))v$gr")
done
remix_spec=("$(IFS=,; echo "${remix_l[*]}")" "$(IFS=,; echo "${remix_r[*]}")")
sox_m=(sox -D -m)
for ((i = 0; i < RENDER_TRACKS; i++)); do sox_m+=(-v "${gains[i]}" "${srcs[i]}"); done
sox_m+=(-b 32 -e floating-point "$BENCH_DIR/out-sox.wav")
sox_remix=(sox -D -M "${srcs[@]}" -b 32 -e floating-point "$BENCH_DIR/out-remix.wav" remix -m "${remix_spec[@]}")
cat "${srcs[@]}" >/dev/null; cat "$RS"/cas/content/*/*/* >/dev/null 2>&1 || true
"$REEL" --store "$RS" --json render "$RP" --out "$BENCH_DIR/out-reel.wav" >"$BENCH_DIR/render.txt" \
    || die "render: reel render failed"
"${sox_remix[@]}" 2>"$BENCH_DIR/last.err" || { cat "$BENCH_DIR/last.err" >&2; die "sox -M remix failed"; }
frames=$(jnum frames <"$BENCH_DIR/render.txt")
[[ $frames == $((RENDER_SECONDS * 48000)) && $(soxi -s "$BENCH_DIR/out-reel.wav") == "$frames" ]] \
    || die "render: $frames frames rendered, expected $((RENDER_SECONDS * 48000))"
diff_max=$(sox -m -v 1 "$BENCH_DIR/out-reel.wav" -v -1 "$BENCH_DIR/out-remix.wav" -n stat 2>&1 \
    | awk '/^Maximum amplitude|^Minimum amplitude/ { v = $3 < 0 ? -$3 : $3; if (v > m) m = v } END { printf "%.2g", m }')
awk -v d="$diff_max" 'BEGIN { exit !(d < 1e-5) }' || die "render: reel's mix differs from sox -M remix by $diff_max"
echo "  check: reel's render equals sox -M ... remix -m (the same gains and balance-law pans): largest difference $diff_max"
rt_t=() rsp=() rw=() nc_t=() sm_t=() sr_t=()
# reel_run ARRAY-OF-TIMES [reel render args]: one timed whole process (pinned as $PIN_NOW),
# its JSON reply left in render.txt.
reel_run() {
    local -n times=$1
    shift
    local t0
    t0=$(now_us)
    "${PIN_NOW[@]}" "$REEL" --store "$RS" --json render "$RP" "$@" >"$BENCH_DIR/render.txt" \
        2>"$BENCH_DIR/last.err" || { cat "$BENCH_DIR/last.err" >&2; die "reel render $* failed"; }
    times+=("$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN { printf "%.4f\n", (b - a) / 1e6 }')")
}
PIN_NOW=(${PIN[@]+"${PIN[@]}"})
for ((i = 1; i <= RUNS; i++)); do
    for side in $( ((i % 2)) && echo "reel sox nocopy" || echo "nocopy sox reel"); do
        rm -f "$BENCH_DIR"/out-*; settle
        if [[ $side == reel ]]; then
            reel_run rt_t --out "$BENCH_DIR/out-reel.wav"
            rsp+=("$(jnum speed <"$BENCH_DIR/render.txt")") rw+=("$(fmt "$(jnum wall_seconds <"$BENCH_DIR/render.txt")" 4)")
        elif [[ $side == nocopy ]]; then
            reel_run nc_t
        else
            sm_t+=("$(timeit ${PIN[@]+"${PIN[@]}"} "${sox_m[@]}")")
            rm -f "$BENCH_DIR/out-sox.wav"; settle
            sr_t+=("$(timeit ${PIN[@]+"${PIN[@]}"} "${sox_remix[@]}")")
        fi
    done
done
st1_t=() stn_t=() st1_w=() stn_w=() stn=0
for ((i = 1; i <= RUNS; i++)); do
    for side in $( ((i % 2)) && echo "one all" || echo "all one"); do
        rm -f "$BENCH_DIR"/out-*; settle
        if [[ $side == one ]]; then
            PIN_NOW=(${PIN[@]+"${PIN[@]}"}); reel_run st1_t --stems
            st1_w+=("$(fmt "$(jnum wall_seconds <"$BENCH_DIR/render.txt")" 4)")
        else
            PIN_NOW=(); reel_run stn_t --stems
            stn_w+=("$(fmt "$(jnum wall_seconds <"$BENCH_DIR/render.txt")" 4)")
            stn=$(($(grep -c '"node"' "$BENCH_DIR/render.txt") - 1))   # the mix's own "node" too
        fi
    done
done
rm -f "$BENCH_DIR"/out-* "$BENCH_DIR/render.txt"
rt=$(median "${rt_t[@]}"); sm=$(median "${sm_t[@]}"); sr=$(median "${sr_t[@]}")
st1=$(median "${st1_t[@]}"); stn_m=$(median "${stn_t[@]}")
x_proc=$(awk -v s="$RENDER_SECONDS" -v t="$rt" 'BEGIN { printf "%.1f", s / t }')
x_own=$(median "${rsp[@]}")
echo "  reel render --out runs ($pin_note): $(list "${rt_t[@]}") s; reel's own wall_seconds (render loop + closing the file): $(list "${rw[@]}") s"
echo "  reel render without --out (no copy out of the store) runs: $(list "${nc_t[@]}") s, median $(fmt "$(median "${nc_t[@]}")") s"
echo "  sox -m -v (gains only) runs: $(list "${sm_t[@]}") s; sox -M ... remix -m (gains and pans, same job) runs: $(list "${sr_t[@]}") s"
echo "  speed: whole process ${x_proc}x real time; reel's own \"speed\" (render loop only) $(fmt "$x_own" 1)x; sox -m $(awk -v s="$RENDER_SECONDS" -v t="$sm" 'BEGIN { printf "%.1f", s / t }')x, sox -M remix $(awk -v s="$RENDER_SECONDS" -v t="$sr" 'BEGIN { printf "%.1f", s / t }')x"
echo "  (reel also fsyncs the render, hashes it into the store, records an artifact and copies it to --out with fsync; sox writes one file)"
RATIO[render_x]=$(ratio "$x_proc" 100)
RATIO[render_sox]=$(ratio "$sm" "$rt")
RATIO[render_remix]=$(ratio "$sr" "$rt")
echo "bench render-speed: reel $x_proc x real time, reference 100.0 x real time, ratio ${RATIO[render_x]} (whole-process speed of reel render of $RENDER_TRACKS stereo tracks x ${RENDER_SECONDS} s on one core / 100x target; reel's own speed $(fmt "$x_own" 1)x; target >= 1.0)"
echo "bench render-vs-sox: reel $(fmt "$rt") s, reference $(fmt "$sm") s, ratio ${RATIO[render_sox]} (sox -m time / reel render --out time, both on one core; target >= 1.0, i.e. reel faster; vs sox -M remix with pans $(fmt "$sr") s: ratio ${RATIO[render_remix]})"
echo "  reel render --stems runs ($stn stems + the mix = $((stn + 1)) files): on one core $(list "${st1_t[@]}") s; on all $(nproc) cores $(list "${stn_t[@]}") s"
echo "  their own wall_seconds (render loop + closing the files): one core $(list "${st1_w[@]}") s; all cores $(list "${stn_w[@]}") s"
echo "  on one core, --stems takes $(ratio "$st1" "$(median "${nc_t[@]}")")x the time of the mix alone (both without --out)"
RATIO[render_stems]=$(ratio "$st1" "$stn_m")
stems_target=$(awk -v n="$(nproc)" 'BEGIN { printf "%.1f", 0.8 * n }')
echo "bench render-stems: reel $(fmt "$stn_m") s on $(nproc) cores, reference $(fmt "$st1") s on one core, ratio ${RATIO[render_stems]} (--stems, $((stn + 1)) files: 1-core time / $(nproc)-core time; target >= $stems_target, i.e. scaling with cores)"
rm -rf "$RS"
echo
fi

# ---- 9: automation ------------------------------------------------------------------
# Targets (issue 16): the merge costs under 5 % of a 64-frame period at 1 000 lanes; a lookup
# in a 24-hour lane under 50 us; 100 000 live commands a second recorded for AUTO_SECONDS (60)
# with none lost. In process (reelbench automation): rt/plan_auto.c and the recorder.
if want automation; then
"$HELPER" automation 1000 "${AUTO_SECONDS:-60}" >"$BENCH_DIR/auto.txt" || die "automation helper failed"
budget=$(awk 'BEGIN { printf "%.2f", 64 / 48000 * 1e6 * 0.05 }')
for c in ramps_linear ramps_s_curve sparse; do
    read -r _ _ total ref < <(awk -v c="$c" '$1 == "merge" && $2 == c' "$BENCH_DIR/auto.txt")
    cost=$(awk -v t="$total" -v r="$ref" 'BEGIN { d = t - r; printf "%.3f", (d > 0.001 ? d : 0.001) }')
    RATIO[auto_$c]=$(ratio "$budget" "$cost")
    echo "bench automation-merge-$c: reel $cost us, reference $budget us, ratio ${RATIO[auto_$c]} (5 % of a 64-frame period at 48 kHz / the merge's cost per period with 1000 lanes, $c; the plan alone costs $(fmt "$ref") us; target ratio >= 1)"
done
read -r _ n lk < <(awk '$1 == "lookup"' "$BENCH_DIR/auto.txt")
RATIO[auto_lookup]=$(ratio 50 "$lk")
echo "bench automation-lookup: reel $(fmt "$lk") us, reference 50.000 us, ratio ${RATIO[auto_lookup]} (50 us target / median reel_auto_locate in a 24-hour lane of $n commands; target ratio >= 1)"
read -r _ pushed applied late refused recorded < <(awk '$1 == "record"' "$BENCH_DIR/auto.txt")
RATIO[auto_record]=$(ratio "$applied" "$pushed")
echo "bench automation-record: reel $applied applied and $recorded recorded of $pushed pushed ($late late, $refused refused), reference $pushed, ratio ${RATIO[auto_record]} (100 000 commands/s for ${AUTO_SECONDS:-60} s; target 1.00: none lost)"
echo
fi

# ---- summary --------------------------------------------------------------------
pass() { awk -v r="$1" -v t="$2" 'BEGIN {
    split(t, a, " "); op = a[1]; v = a[2] + 0
    if (op == ">=") ok = r >= v; else if (op == "<=") ok = r <= v; else if (op == ">") ok = r > v; else ok = (1 / r) < v
    print ok ? "meets target" : "MISSES target" }'; }
echo "summary (ratio, target):"
row() { [[ -n ${RATIO[$1]:-} ]] || return 0
    printf '  %-15s %6s  %-8s %s%s\n' "$2" "${RATIO[$1]}" "$3" "$(pass "${RATIO[$1]}" "$3")" "${4:-}"; }
row ingest ingest ">= 0.75"
row hashing hashing ">= 1.0" " (cas put incl. copy+fsync)"
row hashonly "  hash only" ">= 1.0" " (reel_hash_file vs b3sum)"
row grab grab ">= 1.0"
row vslice grab-virtual "< 1 ms" " (${vms:-} ms)"
row rotation rotation "<= 2" " ($(hl "$ROT_SECONDS") vs 1min, wall)"
row rotcpu "  cpu only" "<= 2" " (thread CPU of the same polls)"
for kind in clip_update clip_move clip_split marker_add; do
    row "proj_${kind}_ms" "$kind" "> 1" " (project edit time: 10 ms / reel)"
    row "proj_${kind}_kb" "  bytes" "> 1" " (bytes it writes: 64 KiB / reel)"
done
row render_x render-speed ">= 1.0" " (x real time / 100x, 1 core)"
row render_sox render-vs-sox ">= 1.0" " (sox -m time / reel time, 1 core)"
row auto_ramps_linear auto-merge ">= 1.0" " (5 % of a 64-frame period / merge cost, 1000 ramping lanes)"
row auto_ramps_s_curve "  s-curve" ">= 1.0"
row auto_sparse "  sparse" ">= 1.0"
row auto_lookup auto-lookup ">= 1.0" " (50 us / lookup in a 24-hour lane)"
row auto_record auto-record ">= 1.0" " (applied / pushed at 100 000 commands/s)"
[[ -n ${stems_target:-} ]] && row render_stems render-stems ">= $stems_target" " (--stems: 1-core time / $(nproc)-core time)"
for l in ${JACK_LINES[@]+"${JACK_LINES[@]}"} ${HTTP_LINES[@]+"${HTTP_LINES[@]}"}; do echo "  ${l#bench }"; done
