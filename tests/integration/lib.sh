# Shared helpers for the integration tests; sourced by every tests/integration/*.sh.
#
# Environment: REEL (the reel binary, required), REEL_SRC (source root), REEL_TEST_TMPDIR
# (where the per-test temporary directory goes, default /tmp).
#
# Every test gets a fresh directory $TMP with an initialized store $STORE, removed on exit,
# and the helpers below. Oracles: b3sum (BLAKE3), sox (audio), python3 standard library
# (pcm.py: header parsing and sample comparison, sqlite3, json).

set -euo pipefail

: "${REEL:?set REEL to the reel binary}"
[[ -x $REEL ]] || { echo "FAIL: REEL=$REEL is not executable" >&2; exit 1; }
REEL_SRC=${REEL_SRC:-}
TEST_NAME=$(basename "$0" .sh)
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PCM_PY=$LIB_DIR/pcm.py
# A reel command that hangs is a failure, not a stuck test run.
REEL_TIMEOUT=${REEL_TIMEOUT:-40}

_tmp_root=${REEL_TEST_TMPDIR:-/tmp}
mkdir -p "$_tmp_root"
TMP=$(mktemp -d "$_tmp_root/reel-it-$TEST_NAME.XXXXXX")
STORE=$TMP/store
BG_PIDS=()

_cleanup() {
    local p
    for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    chmod -R u+w "$TMP" 2>/dev/null || true
    rm -rf "$TMP"
}
trap _cleanup EXIT

# fail MSG: one line on stderr, exit 1. A test that sets FAIL_LOGS (files) gets their last
# lines after it, for a failure nobody can reproduce later (a server that died).
fail() {
    echo "FAIL $TEST_NAME: $*" >&2
    local f
    for f in ${FAIL_LOGS[@]+"${FAIL_LOGS[@]}"}; do
        [[ -f $f ]] && { echo "--- last lines of $f:"; tail -n 40 "$f"; } >&2
    done
    exit 1
}

# pass: the last line of every test.
pass() {
    echo "ok $TEST_NAME"
    exit 0
}

need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || fail "this test needs '$t' on PATH"
    done
}
need python3 sox b3sum timeout
# The interpreter itself, not a version-manager shim in front of it (much faster to start).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PYTHON" "$@"; }

# reel ARGS...: the binary on the test's store, with a time limit.
reel() {
    timeout -k 5 "$REEL_TIMEOUT" "$REEL" --store "$STORE" "$@"
}

# reel_bg LOGFILE ARGS...: start reel in the background (pid in $BG_PID, also in BG_PIDS).
reel_bg() {
    local log=$1
    shift
    : >"$log" # there before a caller reads it, not whenever the background shell opens it
    "$REEL" --store "$STORE" "$@" >"$log" 2>&1 &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# serve_ready LOG PID: wait (at most 15 s) until a background `reel serve` logged its HTTP URL
# and a connected engine; the URL is then in $SERVE_URL. Fails at once if serve exits.
serve_ready() {
    local log=$1 pid=$2 i
    SERVE_URL=
    for ((i = 0; i < 300; i++)); do
        SERVE_URL=$(sed -n 's|^reel serve: HTTP on \(http://[^ ]*\).*|\1|p' "$log" | head -n 1)
        [[ -n $SERVE_URL ]] && grep -qs 'engine connected' "$log" && return 0
        kill -0 "$pid" 2>/dev/null || fail "serve exited: $(tail -c 600 "$log")"
        sleep 0.05
    done
    fail "serve not ready within 15 s: $(tail -c 600 "$log")"
}

# wait_bg PID: wait for a background reel, fail if it failed.
wait_bg() {
    local rc=0
    wait "$1" || rc=$?
    [[ $rc -eq 0 ]] || fail "background reel (pid $1) exited $rc"
}

# ok CMD...: run, fail with its stderr if it fails.
ok() {
    local rc=0
    "$@" >"$TMP/ok.out" 2>"$TMP/ok.err" || rc=$?
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        fail "timed out after ${REEL_TIMEOUT} s: $* -- $(tr '\n' ' ' <"$TMP/ok.err" | head -c 400)"
    elif [[ $rc -ne 0 ]]; then
        fail "exit $rc from: $* -- $(tr '\n' ' ' <"$TMP/ok.err" | head -c 400)"
    fi
    cat "$TMP/ok.out"
}

# expect_fail CODE|any CMD...: CMD must exit CODE (non-zero) and print exactly one line on
# stderr, starting with "reel: ". Its stdout is left in $TMP/ef.out.
expect_fail() {
    local want=$1 rc=0
    shift
    "$@" >"$TMP/ef.out" 2>"$TMP/ef.err" || rc=$?
    local err
    err=$(head -c 400 "$TMP/ef.err" | tr '\n' '|')
    [[ $rc -ne 0 ]] || fail "expected exit $want, it succeeded: $*"
    [[ $rc -ne 124 && $rc -ne 137 ]] || fail "timed out: $*"
    if [[ $want != any && $rc -ne $want ]]; then
        fail "exit $rc, expected $want: $* -- stderr: $err"
    fi
    local lines
    lines=$(grep -c '' "$TMP/ef.err" || true)
    [[ $lines -eq 1 ]] || fail "expected one stderr line, got $lines: $* -- stderr: $err"
    [[ $(tail -c 1 "$TMP/ef.err" | od -An -c | tr -d ' ') == '\n' ]] ||
        fail "stderr line not newline-terminated: $*"
    grep -q '^reel: ' "$TMP/ef.err" || fail "stderr does not start with 'reel: ': $* -- $err"
}

# refuses PATTERN CMD...: CMD fails as expect_fail wants, its one line matching PATTERN (grep -E).
refuses() {
    local pat=$1
    shift
    expect_fail any "$@"
    grep -qE -- "$pat" "$TMP/ef.err" || fail "refusal of $* does not say '$pat': $(cat "$TMP/ef.err")"
}

# json EXPR [FILE]: evaluate a python expression over the JSON document `d` (stdin or FILE).
json() {
    local expr=$1 file=${2:-/dev/stdin}
    python3 -c '
import json, sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1])
if isinstance(v, bool):
    v = "true" if v else "false"
elif v is None:
    v = "null"
elif isinstance(v, (list, dict)):
    v = json.dumps(v, sort_keys=True)
print(v)' "$expr" "$file"
}

# wait_log FILE PATTERN [SECONDS]: until a line of FILE matches PATTERN (grep -E), at most
# SECONDS (default 10): tail -F hands grep each line as it is written, nothing polls.
wait_log() {
    local file=$1 pat=$2 secs=${3:-10}
    timeout "$secs" bash -c 'grep -m1 -qE -- "$1" < <(tail -F -n +1 "$2" 2>/dev/null)' _ "$pat" "$file" ||
        fail "no line matching '$pat' in $(basename "$file") within $secs s: $(tail -c 400 "$file")"
}

# json_check EXPR FILE: EXPR (python over d, the JSON in FILE) must be true.
json_check() {
    [[ $(json "$1" "$2") == true ]] || fail "not true: $1 -- in $(head -c 600 "$2" | tr '\n' ' ')"
}

# Project edits for the engine's tests: `edit CMD...` runs `reel CMD...` (it must succeed),
# keeping its JSON reply, and `idof KEY` reads KEY of that reply (the new track, clip...).
edit() { ok reel "$@" >"$TMP/ok.json"; }
idof() { json "d['$1']" "$TMP/ok.json"; }

# import_art FILE: `reel import FILE`, printing the artifact's id.
import_art() {
    ok reel --json import "$1" >"$TMP/imp.json"
    json "d['artifact']" "$TMP/imp.json"
}

# mono_stereo_project NAME: a new store's project NAME with a mono track TM and a stereo track
# TS, each playing a 1 s sox-made float source from 0 ($TMP/m.wav, $TMP/s.wav; artifacts AM,
# AS): the engine tests' common ground. Sets P, TM, TS, AM, AS.
mono_stereo_project() {
    mksrc "$TMP/m.wav" 1 1 f32
    mksrc "$TMP/s.wav" 1 2 f32
    ok reel init >/dev/null
    AM=$(import_art "$TMP/m.wav")
    AS=$(import_art "$TMP/s.wav")
    edit project create "$1"
    P=$(idof project)
    edit track add "$P" --channels 1
    TM=$(idof track)
    edit track add "$P" --channels 2
    TS=$(idof track)
    edit clip add "$P" --track "$TM" --at 0 --source "$AM"
    edit clip add "$P" --track "$TS" --at 0 --source "$AS"
}

# mono_project NAME RATE: a new store's project NAME at RATE with one mono track T playing a 1 s
# sox-made float source from 0 ($TMP/m.wav, artifact AM): the transport tests' common ground.
# Sets P, T, AM.
mono_project() {
    mksrc "$TMP/m.wav" 1 1 f32 "$2"
    ok reel init >/dev/null
    AM=$(import_art "$TMP/m.wav")
    edit project create "$1" --rate "$2"
    P=$(idof project)
    edit track add "$P" --channels 1
    T=$(idof track)
    edit clip add "$P" --track "$T" --at 0 --source "$AM"
}

# status_field URI FIELD
status_field() {
    reel --json status "$1" | json "d['$2']"
}

# pcm ARGS...: the python sample/header helper (see pcm.py).
pcm() {
    python3 "$PCM_PY" "$@"
}

# frames FILE [--raw C:R:FMT]: frame count read from the file's own header.
frames_of() {
    local out
    out=$(pcm info "$@") || fail "cannot parse $1"
    echo "${out##* }"
}

# pcm_same A B [pcm.py cmp options]: decoded samples identical (or within --tol).
pcm_same() {
    local msg
    msg=$(pcm cmp "$@" 2>&1) || fail "$1 vs $2: ${msg#pcm.py: }"
}

# mksrc OUT SECONDS CHANNELS i16|i24|f32 [RATE]: a sox test signal, a different sine per
# channel, no dither (deterministic).
mksrc() {
    local out=$1 secs=$2 ch=$3 fmt=$4 rate=${5:-48000} enc i
    case $fmt in
    i16) enc=(-e signed-integer -b 16) ;;
    i24) enc=(-e signed-integer -b 24) ;;
    f32) enc=(-e floating-point -b 32) ;;
    *) fail "mksrc: unknown format $fmt" ;;
    esac
    local synth=()
    for ((i = 0; i < ch; i++)); do
        synth+=(sine $((331 + 97 * i)))
    done
    sox -D -n -r "$rate" -c "$ch" "${enc[@]}" "$out" synth "$secs" "${synth[@]}" gain -0.5 ||
        fail "sox could not make $out"
}

# sox_ref SRC OUT FROM TO [sox output options...]: frames [FROM, TO) of SRC cut by sox.
sox_ref() {
    local src=$1 out=$2 a=$3 b=$4
    shift 4
    sox -D "$src" "$@" "$out" trim "${a}s" "=${b}s" || fail "sox could not trim $src"
}

# sox_info FILE FIELD: one field of `sox --i` (Channels, Sample Rate, Sample Encoding, ...)
sox_info() {
    sox --i "$1" 2>/dev/null | sed -n "s/^$2 *: //p"
}

# sox_samples FILE: sample (frame) count according to sox.
sox_samples() {
    sox --i -s "$@" 2>/dev/null
}

# record_file SRC [reel record options]: record a file as fast as possible in small chunks.
record_file() {
    local src=$1 rc=0
    shift
    REEL_TIMEOUT=20 reel record --source "file:$src" --fast --chunk-frames 4800 "$@" \
        >"$TMP/rec.out" 2>"$TMP/rec.err" || rc=$?
    ((rc == 0)) && return 0
    # Say how far it got: the stream's own account.
    local uri=stream://file/$(basename "${src%.*}") a
    for a in "$@"; do [[ ${prev:-} == --stream ]] && uri=$a; local prev=$a; done
    local st
    st=$("$REEL" --store "$STORE" --json status "$uri" 2>/dev/null |
        json "'head_frame %s, overrun_frames %s, state %s' % (d['head_frame'], d['overrun_frames'], d['state'])" 2>/dev/null || true)
    if ((rc == 124 || rc == 137)); then
        fail "reel record --source file:$src --fast --chunk-frames 4800 $* did not finish within 20 s ($(sox_samples "$src") frames in the file; the stream has ${st:-no status})"
    fi
    fail "reel record --source file:$src --fast --chunk-frames 4800 $* exited $rc: $(tr '\n' ' ' <"$TMP/rec.err" | head -c 300)"
}

# slice_ok ARGS...: reel --json slice ARGS, the JSON left in $TMP/slice.json and its main
# fields in SL_FROM, SL_TO, SL_FRAMES, SL_HASH (content hash) and SL_ART (artifact id).
slice_ok() {
    ok reel --json slice "$@" >"$TMP/slice.json"
    read -r SL_FROM SL_TO SL_FRAMES SL_HASH SL_ART < <(json \
        "' '.join(str(d.get(k)) for k in ('from_frame', 'to_frame', 'frames', 'content_hash', 'artifact'))" \
        "$TMP/slice.json") || fail "cannot parse the JSON of: reel slice $*"
}

# hash_of FILE: b3sum of a file.
hash_of() {
    b3sum --no-names "$1"
}

# content_path HASH: where a sealed blob lives.
content_path() {
    local h=${1#blake3:}
    echo "$STORE/cas/content/blake3/${h:0:2}/${h:2:2}/$h"
}

# store_snapshot OUT: every sealed blob with size and BLAKE3, staging and tmp file names,
# and the artifact and stream lists, for before/after comparisons.
store_snapshot() {
    local out=$1 f
    {
        echo "# content"
        (cd "$STORE/cas/content" && find . -type f | LC_ALL=C sort | while read -r f; do
            echo "$f $(stat -c %s "$f") $(b3sum --no-names "$f")"
        done)
        echo "# staging"
        (cd "$STORE/cas/staging" && find . -type f | LC_ALL=C sort)
        echo "# tmp"
        (cd "$STORE/cas/tmp" && find . -type f | LC_ALL=C sort)
        echo "# artifacts"
        "$REEL" --store "$STORE" --json artifacts
        echo "# streams"
        "$REEL" --store "$STORE" --json streams |
            python3 -c 'import json,sys; d=json.load(sys.stdin); [x.pop("last_updated_ns", None) for x in d]; print(json.dumps(d, sort_keys=True))'
    } >"$out"
}

# fsck_clean: reel fsck exits 0 and says so.
fsck_clean() {
    local rc=0
    "$REEL" --store "$STORE" --json fsck >"$TMP/fsck.json" 2>"$TMP/fsck.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "fsck exit $rc: $(head -c 600 "$TMP/fsck.json" | tr '\n' ' ') $(head -c 300 "$TMP/fsck.err")"
    [[ $(json "d['clean']" "$TMP/fsck.json") == true ]] || fail "fsck not clean: $(tr '\n' ' ' <"$TMP/fsck.json")"
}

# b3_content_check: every sealed blob's name is the b3sum of its bytes.
b3_content_check() {
    local f n=0
    while IFS= read -r -d '' f; do
        [[ $(b3sum --no-names "$f") == "$(basename "$f")" ]] || fail "blob $f does not hash to its name"
        local rel=${f#"$STORE/cas/content/blake3/"} h
        h=$(basename "$f")
        [[ $rel == "${h:0:2}/${h:2:2}/$h" ]] || fail "blob $f is not under its ab/cd shard"
        n=$((n + 1))
    done < <(find "$STORE/cas/content" -type f -print0)
    echo "$n"
}

ok "$REEL" --store "$STORE" init >/dev/null
cd "$TMP"
