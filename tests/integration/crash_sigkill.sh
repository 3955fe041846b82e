#!/usr/bin/env bash
# Fault injection: SIGKILL the whole `reel serve` (in-process engine, tone source, 200 ms
# chunks so rotations and seals happen all the time) at random moments, CRASH_TRIALS times
# (default 20), and restart it each time. Each trial: record a random 0.3-2 s, grab the
# last 0.5 s (a file and a virtual slice, rendered at once), read the head from
# `reel --json status`, kill -9: right away, after a random 0-200 ms, or 1-8 ms after a chunk
# boundary (while the full chunk is sealed); the tone is mostly fractional-Hz (every chunk
# differs), sometimes 440 Hz (every chunk identical: sealing finds the content stored). From the
# kill-time live manifest (read with python, like any other client):
#   - its head is >= the head status showed (nothing reported is lost) and agrees with its
#     chunk list; the frames lost (the frames the tone had produced at the kill, from the
#     newest clock pairing, minus the head recovery keeps) are at most LOSS_MAX_MS per kill
#     (a loaded machine stalls threads) and at most the head interval (100 ms) in median;
# after recovery (odd trials: `reel recover --staging-grace 0` first, then serve; even
# trials: serve's own start-up scan):
#   - the resumed stream continues exactly at that head (the first chunk recorded after the
#     kill starts there, and one more gap is counted);
#   - no staging file present at the kill survives (sealed into content or removed);
#   - `reel fsck` is clean; the previous grab re-slices (#FRAME specs) and re-renders
#     byte-identically.
# At the end, after a clean stop: no staging file at all, and every grab of every trial
# still slices and renders identically. A few kills hit `reel record` the same way.
# Prints the loss per kill (median, max) and how many kills caught a seal in flight.
source "$(dirname "$0")/lib.sh"

TRIALS=${CRASH_TRIALS:-20}
REC_TRIALS=${CRASH_RECORD_TRIALS:-3}
LOSS_MAX_MS=${LOSS_MAX_MS:-250}    # one kill, on a loaded machine
LOSS_MEDIAN_MS=${LOSS_MEDIAN_MS:-100} # the head interval
RATE=48000
uri=stream://tone/main

cat >crash.py <<'EOF'
# crash.py STORE URI CMD ...: reads a stream's manifest (live or sealed, pages included).
import json, os, sqlite3, sys

store, uri, cmd = sys.argv[1:4]

def blob(h, where="content"):
    h = h.split(":")[1]
    return f"{store}/cas/{where}/blake3/{h[:2]}/{h[2:4]}/{h}"

def manifest():
    db = sqlite3.connect(f"file:{store}/reel.db?mode=ro", uri=True)
    mid, sealed, state = db.execute(
        "select manifest_id, sealed_manifest, state from streams where uri = ?", (uri,)).fetchone()
    path = blob(mid, "staging") if state == "recording" else blob(sealed)
    return json.load(open(path)), state

def chunks(m):
    out = []
    for p in m.get("pages", []):
        out += json.load(open(blob(p["hash"])))["chunks"]
    return out + m["chunks"]

def frames(c):
    return c["sample_count"] if c["state"] == "sealed" else c["samples_written"]

m, state = manifest()
if cmd == "killstate":
    # head, estimated frames lost at the kill, seals in flight
    t_kill = int(sys.argv[4])
    pairs = [(c["first_sample"], c["wall_clock_ns"]) for c in chunks(m) if c.get("wall_clock_ns")]
    if "head_clock" in m:
        pairs.append((m["head_clock"]["frame"], m["head_clock"]["wall_ns"]))
    f, w = max(pairs)
    produced = f + (t_kill - w) * 48000 // 10**9
    inflight = sum(1 for c in m["chunks"] if c["state"] == "sealed" and "staging_id" in c)
    end = cs[-1]["first_sample"] + frames(cs[-1]) if (cs := chunks(m)) else 0
    if end != m["total_samples"]:
        print(f"the head {m['total_samples']} disagrees with the chunk list, which ends at {end}")
        sys.exit(1)
    print(state, m["total_samples"], produced - m["total_samples"], inflight)
elif cmd == "resumed":
    # where the first chunk recorded after the kill starts, where the one before ends, gaps
    t_kill = int(sys.argv[4])
    cs = chunks(m)
    i = next((i for i, c in enumerate(cs) if c["wall_clock_ns"] > t_kill), None)
    if i is None:
        print(state, -1, -1, m["gaps"])
    else:
        prev = cs[i - 1]["first_sample"] + frames(cs[i - 1]) if i else 0
        print(state, cs[i]["first_sample"], prev, m["gaps"])
elif cmd == "aimkill":
    # SIGKILL pid a few ms after the next chunk boundary (while that chunk is being sealed);
    # prints the kill time
    import random, signal, time
    pid, chunk = int(sys.argv[4]), int(sys.argv[5])
    cs = chunks(m)
    pairs = [(c["first_sample"], c["wall_clock_ns"]) for c in cs if c.get("wall_clock_ns")]
    if "head_clock" in m:
        pairs.append((m["head_clock"]["frame"], m["head_clock"]["wall_ns"]))
    f, w = max(pairs)
    b = cs[-1]["first_sample"] + chunk
    now = time.time_ns()
    while w + (b - f) * 10**9 // 48000 < now + 20 * 10**6:
        b += chunk
    t = w + (b - f) * 10**9 // 48000 + random.randint(1, 8) * 10**6
    time.sleep(max(0, t - time.time_ns()) / 1e9)
    t_kill = time.time_ns()
    os.kill(pid, signal.SIGKILL)
    print(t_kill)
elif cmd == "contiguous":
    pos = m.get("first_sample", 0)
    for c in chunks(m):
        if c["first_sample"] != pos:
            print(f"chunk at {c['first_sample']}, expected {pos}")
            sys.exit(1)
        pos += frames(c)
    print(pos)
EOF

crash() {
    python3 crash.py "$STORE" "$@"
}

# serve_up LOG MIN: start serve, wait until it records and its head passed MIN.
serve_up() {
    local log=$1 min=$2 src=${3:-tone:440.37} i h
    : >"$log"
    reel_bg "$log" serve --source "$src" --stream "$uri" --no-http --chunk-frames 9600 --staging-grace 0
    SERVE=$BG_PID
    for ((i = 0; i < 200; i++)); do
        kill -0 "$SERVE" 2>/dev/null || fail "serve exited: $(tr '\n' ' ' <"$log")"
        if grep -q 'engine connected' "$log"; then
            h=$("$REEL" --store "$STORE" --json status "$URI" 2>/dev/null | json "d['head_frame'] if d['state'] == 'recording' else -1" 2>/dev/null || echo -1)
            ((h > min)) && return 0
        fi
        sleep 0.05
    done
    fail "serve did not start recording within 10 s: $(tr '\n' ' ' <"$log")"
}

# rand_ms LO HI
rand_ms() {
    echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

sleep_ms() {
    sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# grab N URI: a file and a virtual slice of the last 0.5 s; the virtual one rendered now.
grab() {
    local n=$1 u=$2
    slice_ok "$u" --last 0.5s --out "g$n.wav"
    echo "$u $SL_FROM $SL_TO" >"g$n.range"
    slice_ok "$u" --last 0.5s --virtual
    echo "$SL_ART" >"v$n.art"
    ok reel render "$SL_ART" --out "v$n.wav" >/dev/null
}

# regrab N: the grab of trial N slices and renders byte-identically now.
regrab() {
    local n=$1 u a b
    read -r u a b <"g$n.range"
    ok reel slice "$u" --from "#$a" --to "#$b" --out "r$n.wav" >/dev/null
    cmp -s "g$n.wav" "r$n.wav" || fail "trial $n: frames $a..$b of $u re-slice differently after the kills"
    ok reel render "$(cat "v$n.art")" --out "rv$n.wav" >/dev/null
    cmp -s "v$n.wav" "rv$n.wav" || fail "trial $n: virtual slice $(cat "v$n.art") renders differently after the kills"
    rm -f "r$n.wav" "rv$n.wav"
}

# staging_list OUT: every staging file.
staging_list() {
    (cd "$STORE/cas/staging" && find . -type f | LC_ALL=C sort) >"$1"
}

# after_kill N URI T_KILL HEAD_STATUS: check the kill-time manifest, remember what to
# expect after recovery (KILL_HEAD), record the loss.
after_kill() {
    local n=$1 u=$2 t=$3 hs=$4 state head lost inflight
    crash "$u" killstate "$t" >killstate.txt || fail "trial $n: kill-time manifest: $(cat killstate.txt)"
    read -r state head lost inflight <killstate.txt
    [[ $state == recording ]] || fail "trial $n: the stream is '$state' right after the kill"
    ((head >= hs)) || fail "trial $n: the manifest's head $head is behind the $hs status showed before the kill"
    local ms=$((lost * 1000 / RATE))
    echo "[${SECONDS}s] trial $n: status head $hs, head at the kill $head (+$((head - hs))), lost ~${ms} ms, seals in flight $inflight"
    ((ms <= LOSS_MAX_MS)) || fail "trial $n: ~${ms} ms of audio lost at the kill (more than ${LOSS_MAX_MS} ms)"
    LOSSES+=("$ms")
    INFLIGHT=$((INFLIGHT + inflight))
    KILL_HEAD=$head
    staging_list "staging-at-kill-$n.txt"
}

# resumed N URI T_KILL GAPS: the stream continues at KILL_HEAD, one more gap; no staging
# file of the killed process is left.
resumed() {
    local n=$1 u=$2 t=$3 gaps=$4 state first prev g f
    read -r state first prev g < <(crash "$u" resumed "$t") || fail "trial $n: cannot read the manifest after the restart"
    [[ $first == "$KILL_HEAD" ]] || fail "trial $n: the resumed recording starts at frame $first, not at the recovered head $KILL_HEAD"
    [[ $prev == "$KILL_HEAD" ]] || fail "trial $n: the chunks before the restart end at $prev, not at the recovered head $KILL_HEAD"
    [[ $g == "$gaps" ]] || fail "trial $n: $g gaps counted after $gaps restarts"
    crash "$u" contiguous >/dev/null || fail "trial $n: the chunks are not contiguous: $(crash "$u" contiguous)"
    staging_list staging-now.txt
    f=$(comm -12 "staging-at-kill-$n.txt" staging-now.txt | head -3 | tr '\n' ' ')
    [[ -z $f ]] || fail "trial $n: staging files of the killed process survived recovery: $f"
}

URI=$uri
LOSSES=()
INFLIGHT=0
serve_up serve0.log 0
for ((n = 1; n <= TRIALS; n++)); do
    sleep_ms "$(rand_ms 300 2000)"
    grab "$n" "$uri"
    hs=$(status_field "$uri" head_frame)
    # One kill in three right after the slice, one at a random moment, one a few ms after a
    # chunk boundary (while the full chunk is being sealed).
    case $((n % 3)) in
    0) t_kill=$(date +%s%N) && kill -9 "$SERVE" ;;
    1) sleep_ms "$(rand_ms 0 200)" && t_kill=$(date +%s%N) && kill -9 "$SERVE" ;;
    2) t_kill=$(crash "$uri" aimkill "$SERVE" 9600) || fail "trial $n: could not aim the kill" ;;
    esac
    wait "$SERVE" 2>/dev/null || true
    after_kill "$n" "$uri" "$t_kill" "$hs"
    if ((n % 2)); then
        ok reel --json recover --staging-grace 0 >recover.json
        [[ $(json "d['streams_recovered']" recover.json) == 1 ]] || fail "trial $n: reel recover: $(cat recover.json)"
        [[ $(status_field "$uri" head_frame) == "$KILL_HEAD" ]] ||
            fail "trial $n: recovered head $(status_field "$uri" head_frame), the manifest had $KILL_HEAD"
        fsck_clean
        [[ $(json "d['staging_files']" "$TMP/fsck.json") == 0 ]] ||
            fail "trial $n: staging files left after reel recover: $(cat "$TMP/fsck.json")"
    fi
    # Mostly a tone whose chunks all differ; every fourth serve an integer-Hz tone, whose
    # 200 ms chunks are identical (sealing finds the content already stored).
    serve_up "serve$n.log" "$KILL_HEAD" "$( ((n % 4 == 3)) && echo tone || echo tone:440.37)"
    if ((n % 2 == 0)); then
        grep -q 'reel serve: recovery: recovered 1 stream' "serve$n.log" ||
            fail "trial $n: serve did not report the recovery: $(head -1 "serve$n.log")"
    fi
    resumed "$n" "$uri" "$t_kill" "$n"
    fsck_clean
    regrab "$n"
done

# A scan while serve records leaves its stream and its prepared chunks alone, even with grace 0,
# and a second recorder of the same stream is refused, naming the live process.
# (Had it removed a prepared chunk, serve would fail to seal it: the clean stop below checks.)
ok reel --json recover --staging-grace 0 >recover.json
[[ $(json "(d['streams_live'], d['streams_recovered'], d['unknown_removed'])" recover.json) == "(1, 0, 0)" ]] ||
    fail "reel recover during a live serve: $(cat recover.json)"
expect_fail 1 reel record --source tone --stream "$uri" --seconds 1
grep -q "being recorded by process $SERVE" "$TMP/ef.err" || fail "second recorder: $(cat "$TMP/ef.err")"
h0=$(status_field "$uri" head_frame)
sleep 2.5 # more than the ~2 s of chunks serve prepares ahead: they get used and sealed
(($(status_field "$uri" head_frame) > h0 + RATE * 2)) || fail "serve stopped recording after a scan ran beside it"

# A clean stop seals everything: nothing at all is left in staging.
kill -TERM "$SERVE"
wait_bg "$SERVE"
fsck_clean
[[ $(json "d['staging_files']" "$TMP/fsck.json") == 0 ]] || fail "staging files after a clean stop: $(cat "$TMP/fsck.json")"

# A few kills of `reel record` (with no serve running, so its start-up scan may sweep):: recovered by the next `reel record` of the same stream.
ruri=stream://tone/rec
for ((k = 1; k <= REC_TRIALS; k++)); do
    n=$((TRIALS + k))
    reel_bg "rec$k.log" record --source tone:440.37 --stream "$ruri" --chunk-frames 9600 --staging-grace 0
    REC=$BG_PID
    for ((i = 0; i < 200; i++)); do
        h=$("$REEL" --store "$STORE" --json status "$ruri" 2>/dev/null | json "d['head_frame'] if d['state'] == 'recording' else -1" 2>/dev/null || echo -1)
        ((h > 0)) && break
        sleep 0.05
    done
    ((h > 0)) || fail "reel record did not start: $(cat "rec$k.log")"
    sleep_ms "$(rand_ms 300 1500)"
    grab "$n" "$ruri"
    hs=$(status_field "$ruri" head_frame)
    sleep_ms "$(rand_ms 0 200)"
    t_kill=$(date +%s%N)
    kill -9 "$REC"
    wait "$REC" 2>/dev/null || true
    after_kill "$n" "$ruri" "$t_kill" "$hs"
    ok reel record --source tone --stream "$ruri" --chunk-frames 9600 --staging-grace 0 --seconds 0.3 >/dev/null
    grep -q 'reel: recovery: recovered 1 stream' "$TMP/ok.err" ||
        fail "reel record did not report recovering $ruri: $(cat "$TMP/ok.err")"
    resumed "$n" "$ruri" "$t_kill" "$((2 * k - 1))"
    fsck_clean
    regrab "$n"
done

fsck_clean
[[ $(json "d['staging_files']" "$TMP/fsck.json") == 0 ]] || fail "staging files after the last record: $(cat "$TMP/fsck.json")"
[[ -z $(find "$STORE/cas/tmp" -type f) ]] || fail "temporaries left in cas/tmp: $(find "$STORE/cas/tmp" -type f | head -3)"
for ((n = 1; n <= TRIALS + REC_TRIALS; n++)); do
    regrab "$n"
done
b3_content_check >/dev/null
[[ $(crash "$uri" contiguous) -ge $((TRIALS * RATE * 3 / 10)) ]] || fail "the stream holds only $(crash "$uri" contiguous) frames"

sorted=($(printf '%s\n' "${LOSSES[@]}" | sort -n))
median=${sorted[$((${#sorted[@]} / 2))]}
echo "loss per kill over ${#sorted[@]} kills: median $median ms, max ${sorted[-1]} ms; seals in flight at $INFLIGHT kills"
((median <= LOSS_MEDIAN_MS)) || fail "median loss per kill $median ms is more than the head interval ($LOSS_MEDIAN_MS ms)"
pass
