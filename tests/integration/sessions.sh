#!/usr/bin/env bash
# Sessions against a real `reel serve`: a tone that serve records continuously and a second
# tone defined with stream_create that the session itself starts (and stops). Two segments;
# slices by session time specs must have exactly the frame spans the session recorded and
# contain the right tone (sox stat); the exports (JSON, tar of WAVs read back by tar and
# sox) match; the session artifact is listed; fsck is clean; the HTTP routes answer (curl);
# illegal transitions and unknown sessions fail with one clear line.
source "$(dirname "$0")/lib.sh"
need curl tar
cd "$TMP"
reel init >/dev/null

reel_bg serve.log serve --source tone:440 --listen 127.0.0.1:0
SERVE=$BG_PID
for ((i = 0; i < 200; i++)); do
    grep -qs 'HTTP on ' serve.log && grep -qs 'engine connected' serve.log && break
    sleep 0.05
done
U=$(sed -n 's/^reel serve: HTTP on //p' serve.log)
[[ $U =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "serve did not print its URL: $(head -c 300 serve.log)"
curl -sS -N --max-time 30 "$U/api/events" >events.txt 2>/dev/null &
BG_PIDS+=($!)

A=stream://tone/main
B=stream://tone/b
ok reel call stream_create "{\"source\": \"tone:880\", \"uri\": \"$B\"}" >create_b.json
[[ $(json "d['state']" create_b.json) == defined ]] || fail "stream_create: $(cat create_b.json)"

# ---- lifecycle ---------------------------------------------------------------------------------
ok reel --json session create --stream "$A" --stream "$B" >s.json
ID=$(json "d['id']" s.json)
[[ $ID =~ ^ses-[0-9a-f]{12}$ ]] || fail "session id '$ID'"
[[ $(json "d['state']" s.json) == created ]] || fail "new session state: $(cat s.json)"
[[ $(json "d['mode']" s.json) == passive ]] || fail "default mode: $(cat s.json)"
expect_fail 1 reel session stop "$ID"
grep -q 'not playing' "$TMP/ef.err" || fail "stop before play: $(cat "$TMP/ef.err")"

ok reel session play "$ID" >/dev/null
sleep 1
ok reel session play "$ID" >/dev/null
sleep 1
ok reel --json session stop "$ID" >done.json
[[ $(json "d['state']" done.json) == complete ]] || fail "state after stop: $(cat done.json)"
[[ $(json "len(d['segments'])" done.json) == 2 ]] || fail "segments: $(cat done.json)"
[[ $(json "d['started_streams']" done.json) == "[\"$B\"]" ]] ||
    fail "the session should own $B only: $(json "d['started_streams']" done.json)"
ART=$(json "d['artifact']" done.json)
[[ $ART =~ ^art- ]] || fail "no session artifact: $(cat done.json)"

expect_fail 1 reel session stop "$ID"
grep -q 'complete already' "$TMP/ef.err" || fail "stop twice: $(cat "$TMP/ef.err")"
expect_fail 1 reel session play "$ID"
grep -q 'complete' "$TMP/ef.err" || fail "play after stop: $(cat "$TMP/ef.err")"
expect_fail 1 reel session play ses-000000000000
grep -q "no session 'ses-000000000000'" "$TMP/ef.err" || fail "unknown: $(cat "$TMP/ef.err")"
expect_fail 2 reel session create --mode loud
expect_fail 2 reel session export "$ID"

# The session started B, so stop ended and sealed it; serve's own A keeps recording.
ok reel --json streams >streams.json
[[ $(json "[s['state'] for s in d if s['uri']=='$B'][0]" streams.json) == stopped ]] ||
    fail "$B should be stopped: $(cat streams.json)"
[[ $(json "[s['state'] for s in d if s['uri']=='$A'][0]" streams.json) == recording ]] ||
    fail "$A should still record: $(cat streams.json)"

# frame SEG URI start|end
frame() {
    json "d['segments'][$1]['$3']['streams']['$2']['frame']" done.json
}
for u in "$A" "$B"; do
    [[ $(frame 0 "$u" end) == $(frame 1 "$u" start) ]] ||
        fail "$u: segment 2 must start where segment 1 ended (no pause state)"
    span=$(($(frame 0 "$u" end) - $(frame 0 "$u" start)))
    ((span > 24000 && span < 144000)) || fail "$u: segment 1 spans $span frames for ~1 s"
done
# Segment 1 of B begins with its first frame (the session started it).
[[ $(frame 0 "$B" start) == 0 ]] || fail "$B starts at $(frame 0 "$B" start), not 0"

# Serve's stream must have passed the end mark before it can be sliced.
for ((i = 0; i < 100; i++)); do
    head=$(reel --json status "$A" | json "d['head_frame']")
    ((head > $(frame 1 "$A" end))) && break
    sleep 0.05
done

# ---- slices by session time ---------------------------------------------------------------------
# check_slice URI FROM TO EXPECTED_FRAMES FREQ
check_slice() {
    local uri=$1 from=$2 to=$3 want=$4 freq=$5 f
    f=$TMP/slice-$RANDOM.wav
    ok reel slice "$uri" --from "$from" --to "$to" --out "$f" >/dev/null
    local got
    got=$(sox_samples "$f")
    [[ $got == "$want" ]] || fail "$uri $from..$to: $got frames, the session says $want"
    local rough
    rough=$(sox "$f" -n remix 1 stat 2>&1 | sed -n 's/^Rough   frequency: *//p')
    python3 -c "import sys; f=float('$rough'); sys.exit(0 if abs(f-$freq) < $freq*0.03 else 1)" ||
        fail "$uri $from..$to: rough frequency $rough, expected $freq"
}
for u in "$A" "$B"; do
    fq=440
    [[ $u == "$B" ]] && fq=880
    check_slice "$u" "session:$ID/1:start" "session:$ID/1:end" \
        $(($(frame 0 "$u" end) - $(frame 0 "$u" start))) $fq
    check_slice "$u" "session:$ID/2:start" "session:$ID/2:end" \
        $(($(frame 1 "$u" end) - $(frame 1 "$u" start))) $fq
    check_slice "$u" "session:$ID:start" "session:$ID:end" \
        $(($(frame 1 "$u" end) - $(frame 0 "$u" start))) $fq
done
expect_fail 1 reel slice "$A" --from "session:$ID/3:start" --to head
grep -q "no segment '3'" "$TMP/ef.err" || fail "segment 3: $(cat "$TMP/ef.err")"

# A stream outside a session maps the session's wall-clock marks through its own clock:
# a session over B alone (B starts again, its timeline going on), sliced from A.
ok reel --json session create --stream "$B" >s2.json
ID2=$(json "d['id']" s2.json)
ok reel session play "$ID2" >/dev/null
sleep 1
ok reel --json session stop "$ID2" >done2.json
b0=$(json "d['segments'][0]['start']['streams']['$B']['frame']" done2.json)
b1=$(json "d['segments'][0]['end']['streams']['$B']['frame']" done2.json)
((b0 >= $(frame 1 "$B" end))) || fail "$B restarted at $b0, before its earlier end"
w0=$(json "d['segments'][0]['start']['wall_ns']" done2.json)
w1=$(json "d['segments'][0]['end']['wall_ns']" done2.json)
sleep 0.3
ok reel slice "$A" --from "session:$ID2:start" --to "session:$ID2:end" --out outside.wav >/dev/null
got=$(sox_samples outside.wav)
want=$(((w1 - w0) * 48000 / 1000000000))
((got > want - 480 && got < want + 480)) ||
    fail "$A over session $ID2: $got frames, its wall-clock span is $want"

# ---- exports ---------------------------------------------------------------------------------------
ok reel session export "$ID" --format json --out export.json >/dev/null
python3 -c "
import json, sys
a = json.load(open('export.json')); b = json.load(open('done.json'))
sys.exit(0 if a == b else 1)" || fail "the JSON export differs from the session document"
ok reel session export "$ID" --format archive --out export.tar >/dev/null
tar -tf export.tar | sort >members.txt
printf '%s\n' "$ID/1/tone_b.wav" "$ID/1/tone_main.wav" "$ID/2/tone_b.wav" "$ID/2/tone_main.wav" \
    "$ID/session.json" | sort >want.txt
diff -u want.txt members.txt >&2 || fail "archive members differ"
mkdir x && tar -xf export.tar -C x
for k in 1 2; do
    for u in "$A" "$B"; do
        n=tone_main
        [[ $u == "$B" ]] && n=tone_b
        want=$(($(frame $((k - 1)) "$u" end) - $(frame $((k - 1)) "$u" start)))
        got=$(sox_samples "x/$ID/$k/$n.wav")
        [[ $got == "$want" ]] || fail "archive $k/$n.wav: $got frames, want $want"
    done
done
python3 -c "
import json, sys
a = json.load(open('x/$ID/session.json')); b = json.load(open('done.json'))
sys.exit(0 if a == b else 1)" || fail "the archive's session.json differs"

ok reel --json artifacts --tag type:session >arts.json
[[ $(json "[a['id'] for a in d if a['id']=='$ART']" arts.json) == "[\"$ART\"]" ]] ||
    fail "session artifact $ART not listed"
ok reel --json show "$ART" >art.json
[[ $(json "d['kind']" art.json) == session ]] || fail "artifact kind: $(cat art.json)"

# ---- HTTP ----------------------------------------------------------------------------------------
# req STATUS CURL_ARGS...: body in $TMP/body
req() {
    local want=$1 got
    shift
    got=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$@") || fail "curl failed: $*"
    [[ $got == "$want" ]] || fail "HTTP $got (want $want) for $*: $(head -c 300 "$TMP/body")"
}
req 200 "$U/api/sessions"
[[ $(json "sorted(s['id'] for s in d)" body) == "$(python3 -c "print(__import__('json').dumps(sorted(['$ID','$ID2'])))")" ]] ||
    fail "GET /api/sessions: $(head -c 300 body)"
req 200 "$U/api/sessions/$ID"
[[ $(json "d['artifact']" body) == "$ART" ]] || fail "GET /api/sessions/ID: $(head -c 300 body)"
req 201 -X POST -d "{\"streams\": [\"$A\"], \"mode\": \"request-response\"}" "$U/api/sessions"
ID3=$(json "d['id']" body)
[[ $(json "d['mode']" body) == request-response ]] || fail "POST mode: $(cat body)"
req 409 -X POST "$U/api/sessions/$ID3/stop"
grep -q illegal_state body || fail "stop before play over HTTP: $(cat body)"
req 200 -X POST "$U/api/sessions/$ID3/play"
sleep 0.5
req 200 -X POST "$U/api/sessions/$ID3/stop"
[[ $(json "d['state']" body) == complete ]] || fail "HTTP stop: $(cat body)"
req 409 -X POST "$U/api/sessions/$ID3/stop"
req 200 "$U/api/sessions/$ID3/export?format=json"
[[ $(json "d['id']" body) == "$ID3" ]] || fail "HTTP JSON export: $(head -c 300 body)"
req 200 -o http.tar "$U/api/sessions/$ID3/export?format=archive"
curl -sS -o http.tar "$U/api/sessions/$ID3/export?format=archive"
[[ $(tar -tf http.tar | sort | tr '\n' ' ') == "$ID3/1/tone_main.wav $ID3/session.json " ]] ||
    fail "HTTP archive: $(tar -tf http.tar | tr '\n' ' ')"
req 404 "$U/api/sessions/ses-000000000000"
req 400 "$U/api/sessions/$ID3/export?format=zip"
req 405 -X DELETE "$U/api/sessions/$ID3"
req 400 -X POST -d '{"mode": "loud"}' "$U/api/sessions"

sleep 0.2
grep -q '^event: session$' events.txt || fail "no session event on /api/events"

# ---- shutdown, fsck ----------------------------------------------------------------------------
kill -TERM "$SERVE"
wait_bg "$SERVE"
ok reel fsck >/dev/null
pass
