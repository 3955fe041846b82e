#!/usr/bin/env bash
# record_restart.sh — `reel record` and `reel serve` are one capture path:
#
#   (a) streams first made by `reel record` (a tone and a JACK port) are started again by the
#       stream_start op in a running serve, from the definition record stored: they go on
#       from record's last frame (a gap between), stop with stream_stop and stay sliceable;
#   (b) `reel marker` while serve runs goes through serve: /api/events (the web page's event
#       stream) hears the moment, with the id the command printed.
source "$(dirname "$0")/lib.sh"
need curl
source "$(dirname "$0")/jack_lib.sh"
cd "$TMP"
reel init >/dev/null
start_jackd

TONE=stream://rs/tone
JACK=stream://rs/jack
LIVE=stream://rs/live
ok reel record --source tone:440 --stream $TONE --seconds 0.5 >/dev/null
ok reel record --source jack:system:capture_1 --stream $JACK --seconds 0.5 >/dev/null
declare -A head0
for u in $TONE $JACK; do
    head0[$u]=$(status_field $u head_frame)
    ((head0[$u] > 0)) || fail "(a) record left $u at ${head0[$u]}"
done

reel_bg serve.log serve --source tone:880 --stream $LIVE --listen 127.0.0.1:0 --no-osc
serve_pid=$BG_PID
serve_ready serve.log "$serve_pid"
U=$SERVE_URL
[[ $U =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "serve did not print its URL: $(head -c 300 serve.log)"
curl -sS -N --max-time 30 "$U/api/events" >events.txt 2>/dev/null &
BG_PIDS+=($!)

# ---- (a) stream_start on record's streams ----------------------------------------------------
for u in $TONE $JACK; do
    ok reel call stream_start "{\"stream\": \"$u\"}" >start.json
    [[ $(json "d['state']" start.json) == recording ]] || fail "(a) stream_start $u: $(cat start.json)"
done
# Until both have recorded 0.3 s more (heads come every ~100 ms).
for u in $TONE $JACK; do
    for ((i = 0; i < 200; i++)); do
        (($(status_field $u head_frame) >= head0[$u] + 14400)) && break
        sleep 0.05
    done
    (($(status_field $u head_frame) >= head0[$u] + 14400)) ||
        fail "(a) $u did not record again: $(reel --json status $u | tr -d '\n ') -- $(cat serve.log)"
done
for u in $TONE $JACK; do
    ok reel call stream_stop "{\"stream\": \"$u\"}" >stop.json
    reel --json status $u >st.json
    [[ $(json "d['state'] == 'stopped' and d['gaps'] >= 1 and d['head_frame'] > ${head0[$u]}" st.json) == true ]] ||
        fail "(a) $u after stream_stop: $(tr -d '\n ' <st.json)"
    slice_ok $u --from "#$((head0[$u] - 4800))" --to head --out "$TMP/after.wav"
    ((SL_FRAMES > 4800 + 14400)) || fail "(a) a slice across record's end of $u has $SL_FRAMES frames"
done
[[ $(reel cas get "$(status_field $JACK definition_hash)" | json "d['device_identity']") == jack:system:capture_1 ]] ||
    fail "(a) $JACK's definition: $(reel cas get "$(status_field $JACK definition_hash)")"

# ---- (b) reel marker through serve ---------------------------------------------------------------
for ((i = 0; i < 200; i++)); do
    grep -q '^event: head' events.txt && break
    sleep 0.05
done
grep -q '^event: head' events.txt || fail "(b) no events on $U/api/events: $(head -c 300 events.txt)"
ok reel --json marker $LIVE --name "take one" >marker.json
ID=$(json "d['id']" marker.json)
[[ $(json "d['kind'], d['name'], d['stream']" marker.json) == "('marker', 'take one', '$LIVE')" ]] ||
    fail "(b) marker printed $(tr -d '\n' <marker.json)"
heard() {
    python3 - "$1" <<'EOF'
import json, sys
ev = None
for line in open("events.txt"):
    line = line.rstrip("\r\n")
    if line.startswith("event:"):
        ev = line[6:].strip()
    elif line.startswith("data:") and ev == "moment":
        m = json.loads(line[5:])
        if m["id"] == int(sys.argv[1]) and m["kind"] == "marker" and m["name"] == "take one":
            sys.exit(0)
sys.exit(1)
EOF
}
for ((i = 0; i < 200; i++)); do
    heard "$ID" && break
    sleep 0.05
done
heard "$ID" || fail "(b) /api/events did not hear moment $ID: $(grep -A1 '^event: moment' events.txt | head -4)"
ok reel --json moments $LIVE >moments.json
[[ $(json "[m['id'] for m in d if m['kind'] == 'marker']" moments.json) == "[$ID]" ]] ||
    fail "(b) moments of $LIVE: $(tr -d '\n ' <moments.json)"

kill -TERM "$serve_pid"
wait_bg "$serve_pid"
fsck_clean
pass
