#!/usr/bin/env bash
# capture_options.sh — one command line for `reel serve` and `reel record` (src/lib/app/app.h):
#
#   (a) a per-source option binds to the --source before it (--stream, --channels, --trigger);
#       before any --source it applies to every source; a --stream before any --source, and
#       two for one source, are refused with one line (serve and record alike);
#   (b) two sources of one kind without --stream record distinct default streams: two tones
#       stream://tone/main and main2 (record), two JACK ports stream://jack/main and main2
#       (serve, which used to exit "stream stream://jack/main is recorded already");
#   (c) a second serve of a stream that records already exits 1 with one line (the first
#       thing it says), and so does a record of it;
#   (d) record's summary counts the chunk sealed last: a one-chunk ingest says "in 1 chunks";
#   (e) record and serve store the same definition (device identity) for one source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
cd "$TMP"
reel init >/dev/null

# ---- (a) per-source options -----------------------------------------------------------------
ok reel --json record --source tone:440 --source tone:880 --stream stream://opt/b --channels 1 \
    --trigger off --seconds 0.2 >a.json
[[ $(json "[s['stream'] for s in d['streams']]" a.json) == '["stream://tone/main", "stream://opt/b"]' ]] ||
    fail "(a) --stream bound to the wrong --source: $(tr -d '\n ' <a.json)"
[[ $(status_field stream://tone/main channels) == 2 && $(status_field stream://opt/b channels) == 1 ]] ||
    fail "(a) --channels 1 after the second --source changed the first too"
[[ $(json "d['streams'][0]['moments'] >= 1 and d['streams'][1]['moments'] == 0" a.json) == true ]] ||
    fail "(a) --trigger off after the second --source: moments $(json "[s['moments'] for s in d['streams']]" a.json)"
# Before any --source: every source.
ok reel record --channels 1 --source tone:440 --stream stream://opt/c --source tone:880 \
    --stream stream://opt/d --seconds 0.2 >/dev/null
[[ $(status_field stream://opt/c channels) == 1 && $(status_field stream://opt/d channels) == 1 ]] ||
    fail "(a) --channels 1 before any --source is not every source's"
for cmd in record serve; do
    extra=(--seconds 0.2)
    [[ $cmd == serve ]] && extra+=(--no-http --no-osc)
    expect_fail 2 reel $cmd --stream stream://opt/x --source tone "${extra[@]}"
    grep -q 'comes before any --source' "$TMP/ef.err" || fail "(a) $cmd: $(cat "$TMP/ef.err")"
    expect_fail 2 reel $cmd --source tone --source tone:880 --stream stream://opt/x \
        --stream stream://opt/y "${extra[@]}"
    grep -q 'has a --stream already (stream://opt/x)' "$TMP/ef.err" || fail "(a) $cmd: $(cat "$TMP/ef.err")"
    expect_fail 2 reel $cmd --source tone --stream stream://opt/x --source tone:880 \
        --stream stream://opt/x "${extra[@]}"
    grep -q 'two sources record into stream://opt/x' "$TMP/ef.err" || fail "(a) $cmd: $(cat "$TMP/ef.err")"
done
[[ $(reel --json streams | json "[s['uri'] for s in d if s['uri'] in ('stream://opt/x', 'stream://opt/y')]") == "[]" ]] ||
    fail "(a) a refused command line left a stream"

# ---- (b) distinct default streams ----------------------------------------------------------
ok reel --json record --source tone:440 --source tone:880 --seconds 0.2 >b.json
[[ $(json "[s['stream'] for s in d['streams']]" b.json) == '["stream://tone/main", "stream://tone/main2"]' ]] ||
    fail "(b) two tones: $(tr -d '\n ' <b.json)"
start_jackd
reel_bg serve-b.log serve --source jack:system:capture_1 --source jack:system:capture_2 \
    --seconds 1.5 --no-http --no-osc
wait_bg "$BG_PID"
grep -q '^reel serve: recording stream://jack/main from jack:system:capture_1 (48000 Hz, 1 ch, f32)' serve-b.log &&
    grep -q '^reel serve: recording stream://jack/main2 from jack:system:capture_2 (48000 Hz, 1 ch, f32)' serve-b.log ||
    fail "(b) two JACK sources: $(cat serve-b.log)"
for u in stream://jack/main stream://jack/main2; do
    [[ $(status_field $u state) == stopped && $(status_field $u head_frame) -gt 0 ]] ||
        fail "(b) $u: $(reel --json status $u | tr -d '\n ')"
done

# ---- (c) a stream another serve records ------------------------------------------------------
BUSY=stream://opt/busy
reel_bg serve-c.log serve --source tone --stream $BUSY --no-http --no-osc
serve_pid=$BG_PID
for ((i = 0; i < 200; i++)); do
    [[ $("$REEL" --store "$STORE" --json status $BUSY 2>/dev/null | json "d['state']" 2>/dev/null) == recording ]] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "(c) serve exited: $(cat serve-c.log)"
    sleep 0.05
done
expect_fail 1 reel serve --source tone:880 --stream $BUSY --no-http --no-osc
grep -q "stream $BUSY is being recorded by process $serve_pid" "$TMP/ef.err" || fail "(c) serve: $(cat "$TMP/ef.err")"
expect_fail 1 reel record --source tone:880 --stream $BUSY --seconds 0.2
grep -q "stream $BUSY is being recorded by process $serve_pid" "$TMP/ef.err" || fail "(c) record: $(cat "$TMP/ef.err")"
kill -TERM "$serve_pid"
wait_bg "$serve_pid"

# ---- (d) the last chunk is counted ---------------------------------------------------------------
mksrc one.wav 0.5 2 i16
ok reel record --source file:one.wav --fast >d.txt
[[ $(cat d.txt) == "stream://file/one: 24000 frames (0.500 s) in 1 chunks" ]] || fail "(d) record said: $(cat d.txt)"
ok reel --json record --source file:one.wav --fast --stream stream://opt/one >d.json
[[ $(json "(d['frames'], d['chunks'])" d.json) == "(24000, 1)" ]] || fail "(d) $(tr -d '\n ' <d.json)"

# ---- (e) one definition for one source ---------------------------------------------------------
device() { reel cas get "$(status_field "$1" definition_hash)" | json "d['device_identity']"; }
ok reel record --source tone:440 --stream stream://id/rec --seconds 0.2 >/dev/null
reel_bg serve-e.log serve --source tone:440 --stream stream://id/serve --seconds 0.5 --no-http --no-osc
wait_bg "$BG_PID"
[[ $(device stream://id/rec) == tone:440 && $(device stream://id/serve) == tone:440 ]] ||
    fail "(e) tone: record stored '$(device stream://id/rec)', serve '$(device stream://id/serve)'"
ok reel record --source jack:system:capture_1 --stream stream://id/jack --seconds 0.5 >/dev/null
[[ $(device stream://id/jack) == jack:system:capture_1 && $(device stream://jack/main) == jack:system:capture_1 ]] ||
    fail "(e) jack: record stored '$(device stream://id/jack)', serve '$(device stream://jack/main)'"
fsck_clean
pass
