#!/usr/bin/env bash
# Retention never drops a chunk an open session spans: serve records a tone in 0.1 s chunks
# with --retain 3chunks; while a session plays, the manifest's first held frame stays at or
# before the segment's start however many chunks pass, and the whole segment slices; once the
# session is complete the policy applies again and older chunks go (a completed session's
# artifact keeps its chunks' blobs for GC, not its frames in the manifest).
source "$(dirname "$0")/lib.sh"
cd "$TMP"
reel init >/dev/null
A=stream://tone/main

reel_bg serve.log serve --source tone:440 --chunk-frames 4800 --retain 3chunks \
    --listen 127.0.0.1:0 --no-osc
for ((i = 0; i < 400; i++)); do
    grep -qs 'engine connected' serve.log && break
    sleep 0.05
done
grep -qs 'engine connected' serve.log || fail "serve did not start: $(head -c 300 serve.log)"

# wait on the head, with a bound: frames until head >= $1
wait_head() {
    local h=0
    for ((i = 0; i < 600; i++)); do
        h=$(reel --json status $A | json "d['head_frame']")
        ((h >= $1)) && return 0
        sleep 0.05
    done
    fail "head stuck at $h (wanted $1)"
}

wait_head 96000 # 20 chunks: retention is dropping by now
first=$(reel --json status $A | json "d['first_frame']")
((first > 0)) || fail "retention dropped nothing before the session (first_frame $first)"

ok reel --json session create --stream $A >s.json
ID=$(json "d['id']" s.json)
ok reel --json session play "$ID" >play.json
start=$(json "d['segments'][0]['start']['streams']['$A']['frame']" play.json)
[[ $start =~ ^[0-9]+$ ]] || fail "no start frame: $(head -c 400 play.json)"
wait_head $((start + 48000 * 3)) # 30 more chunks pass while the session plays
st=$(reel --json status $A)
held=$(json "d['first_frame']" <<<"$st")
((held <= start)) || fail "retention dropped frames the open session spans: first held $held > start $start"
ok reel slice $A --from "session:$ID:start" --to head --out seg.wav
n=$(frames_of seg.wav)
((n >= 48000 * 3)) || fail "the open session's segment sliced to $n frames"
ok reel --json session stop "$ID" >done.json

# complete: the policy alone again
end=$(reel --json status $A | json "d['head_frame']")
wait_head $((end + 48000))
later=$(reel --json status $A | json "d['first_frame']")
((later > start)) || fail "after the session, retention should drop again (first held $later, start $start)"
pass "retention kept the open session's $((end - start)) frames; dropped again after (first held $later)"
