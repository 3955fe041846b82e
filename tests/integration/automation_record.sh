#!/usr/bin/env bash
# automation_record.sh — the automation recorder (render/engine/auto_record.c) on a transport
# playing to `jackd -d dummy`, with Ardour's record modes, checked against the lanes written:
#  - one pass (play from 0 to stop) over four lanes that already hold commands at frames 1000
#    and 30000: write overwrites the whole interval played (and becomes touch), touch only
#    from a touch to its release, latch from its first command to the stop, overdub adds;
#    each lane that recorded is one lane_write (one undo step) named in the stop's reply;
#  - punch: an overdub lane armed with a punch range records only the commands inside it;
#  - a loop: the timeline's loop region plays as a loop, and a command earlier than the pass
#    has reached (time went back) commits the pass and starts the next: two passes, two
#    versions;
#  - the recorded version renders what its lanes say (a set at frame 20000 lands there);
#  - scenes live: captured from the graph playing, recalled as a morph quantized to the next
#    beat (recorded by an armed lane as one ramp), pushed and popped;
#  - discovery: the OSCQuery tree (GET /api/oscquery, curl) against param_values; oscsend and
#    an OSC client drive parameters by their addresses;
#  - SIGKILL while recording: the next serve commits the journal's pass (one version, every
#    command the recorder took);
#  - bad input: arming a lane in play mode, a lane that does not exist, an empty punch range,
#    disarming a lane that is not armed.
# Commands are scheduled at explicit frames ahead of the playhead; what is recorded is the
# frame each was scheduled for, so the outcome does not depend on how fast the calls arrive.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
need sox curl oscsend
start_jackd

mono_project rec $RATE
edit graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$T"'"},
 {"id":"b1","kind":"bus","channels":1},{"id":"b2","kind":"bus","channels":1},{"id":"b3","kind":"bus","channels":1},
 {"id":"o","kind":"output","channels":1}],
 "connections":[{"from":"t","to":"b1"},{"from":"b1","to":"b2"},{"from":"b2","to":"b3"},{"from":"b3","to":"o"}]}'
declare -A LANE
for tg in t:gain b1:gain b2:gain b3:gain; do
    edit lane add "$P" --target $tg
    LANE[$tg]=$(idof lane)
    edit lane write "$P" "${LANE[$tg]}" --events '[{"frame":1000,"value":0.5},{"frame":30000,"value":0.25}]'
done
edit lane mode "$P" "${LANE[t:gain]}" write
edit lane mode "$P" "${LANE[b1:gain]}" touch
edit lane mode "$P" "${LANE[b2:gain]}" latch
edit lane mode "$P" "${LANE[b3:gain]}" overdub

reel_bg "$TMP/serve.log" serve --source tone --stream stream://tone/rec --listen 127.0.0.1:0 --osc 0
SERVE_PID=$BG_PID
FAIL_LOGS=("$TMP/serve.log" "$TMP/serve2.log")
serve_ready "$TMP/serve.log" "$SERVE_PID"
OSC_PORT=$(sed -n 's|.*OSC on udp://127.0.0.1:\([0-9]*\).*|\1|p' "$TMP/serve.log")
[[ -n $OSC_PORT ]] || fail "serve did not print its OSC port: $(cat "$TMP/serve.log")"

expect_fail any reel call record_arm '{"lane": "'"${LANE[t:gain]}"'"}'
grep -q "nothing is loaded" "$TMP/ef.err" || fail "arm before play: $(cat "$TMP/ef.err")"
# armed while stopped, so the pass (and a write lane's interval) starts where the play does
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
ok reel call transport_stop >/dev/null
arm() { ok reel call record_arm "$1" >"$TMP/arm.json"; }
for tg in t:gain b2:gain b3:gain; do arm '{"lane": "'"${LANE[$tg]}"'"}'; done
arm '{"lane": "'"${LANE[b1:gain]}"'", "touch_timeout": 0}'
json_check "len(d['armed']) == 4 and not d['in_pass']" "$TMP/arm.json"
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
sched() { ok reel call automation_schedule "$1" >/dev/null; }
sched '{"target": "t:gain", "value": 0.8, "frame": 20000}'
sched '{"target": "b1:gain", "value": 0.3, "frame": 20000, "touch": true}'
sched '{"target": "b1:gain", "value": 0.4, "frame": 22000, "touch": true}'
sched '{"target": "b1:gain", "value": 0.45, "frame": 24000, "touch": false}'
sched '{"target": "b1:gain", "value": 0.9, "frame": 26000, "touch": false}'
sched '{"target": "b2:gain", "value": 0.7, "frame": 21000}'
sched '{"target": "b3:gain", "value": 0.9, "frame": 23000}'
V0=$(reel --json project history "$P" | json "len(d['versions'])")
ok reel call transport_state '{"until_frame": 40000, "timeout": 30}' >/dev/null
ok reel call transport_stop >"$TMP/stop.json"
json_check "sorted(r['lane'] for r in d['recorded']) == sorted(['${LANE[t:gain]}', '${LANE[b1:gain]}', '${LANE[b2:gain]}', '${LANE[b3:gain]}'])" "$TMP/stop.json"
V1=$(reel --json project history "$P" | json "len(d['versions'])")
[[ $((V1 - V0)) == 4 ]] || fail "one pass over four lanes made $((V1 - V0)) versions"
events_of() { reel --json lane get "$P" "$1" | json "' '.join('%d:%g' % (e['frame'], e['value']) for e in d['events'])"; }
events() { events_of "${LANE[$1]}"; }
ev=$(events t:gain)
[[ $ev == "20000:0.8" ]] || fail "write: $ev"
ev=$(events b1:gain)
[[ $ev == "1000:0.5 20000:0.3 22000:0.4 24000:0.45 30000:0.25" ]] || fail "touch: $ev"
ev=$(events b2:gain)
[[ $ev == "1000:0.5 21000:0.7" ]] || fail "latch: $ev"
ev=$(events b3:gain)
[[ $ev == "1000:0.5 23000:0.9 30000:0.25" ]] || fail "overdub: $ev"
ok reel --json lane list "$P" >"$TMP/list.json"
json_check "[l['mode'] for l in d['lanes'] if l['id'] == '${LANE[t:gain]}'] == ['touch']" "$TMP/list.json"
# the recorded version renders it: the track's gain 0.8 from frame 20000 on
ok reel --json render "$P" --to 0.6 --out "$TMP/rec.wav" >/dev/null
python3 - "$TMP/rec.wav" "$TMP/m.wav" "$(dirname "$0")" <<'EOF' || fail "the recorded write pass does not render"
import array, subprocess, sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
f32 = lambda x: array.array("f", [x])[0]
ch, _, out = read_float_wav(sys.argv[1])
def gain(lane, k):
    v = 1.0
    for f, x in lane:
        if k >= f:
            v = x
    return v
t = [(20000, 0.8)]
b1 = [(1000, 0.5), (20000, 0.3), (22000, 0.4), (24000, 0.45), (30000, 0.25)]
b2 = [(1000, 0.5), (21000, 0.7)]
b3 = [(1000, 0.5), (23000, 0.9), (30000, 0.25)]
for k in range(len(out)):
    want = f32(f32(f32(f32(a[k] * f32(gain(t, k))) * f32(gain(b1, k))) * f32(gain(b2, k))) * f32(gain(b3, k)))
    if out[k] != want:
        sys.exit("frame %d: %r, want %r" % (k, out[k], want))
EOF

# Punch: the overdub lane records only inside [0.5 s, 0.6 s).
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
arm '{"lane": "'"${LANE[b3:gain]}"'", "punch_from": 0.5, "punch_to": 0.6}'
ok reel call record_arm '{"lane": "'"${LANE[b2:gain]}"'", "on": false}' >/dev/null
ok reel call record_arm '{"lane": "'"${LANE[b1:gain]}"'", "on": false}' >/dev/null
ok reel call record_arm '{"lane": "'"${LANE[t:gain]}"'", "on": false}' >/dev/null
sched '{"target": "b3:gain", "value": 0.1, "frame": 23500}'
sched '{"target": "b3:gain", "value": 0.2, "frame": 25000}'
sched '{"target": "b3:gain", "value": 0.3, "frame": 29000}'
ok reel call transport_state '{"until_frame": 30000, "timeout": 30}' >/dev/null
ok reel call transport_stop >"$TMP/stop.json"
ev=$(events b3:gain)
[[ $ev == "1000:0.5 23000:0.9 25000:0.2 30000:0.25" ]] || fail "punch: $ev"

# A loop: two passes, two versions.
edit timeline update "$P" "$(reel --json project show "$P" | json "d['document']['timelines'][0]['id']")" \
    --loop-from 0.25 --loop-to 0.5
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
arm '{"lane": "'"${LANE[b3:gain]}"'"}'
V0=$(reel --json project history "$P" | json "len(d['versions'])")
sched '{"target": "b3:gain", "value": 0.6, "frame": 20000}'
ok reel call transport_state >"$TMP/state.json"   # then a whole loop's periods: it wrapped
N=$(($(json "d['device_periods']" "$TMP/state.json") + 24000 / PERIOD + 2))
ok reel call transport_state '{"until_periods": '"$N"', "timeout": 30}' >/dev/null
ok reel call automation_schedule '{"target": "b3:gain", "value": 0.65, "frame": 15000}' >"$TMP/wrap.json"
json_check "len(d['recorded']) == 1 and d['recorded'][0]['events'] == 1" "$TMP/wrap.json"
ok reel call transport_state >"$TMP/state.json"
json_check "d['recorder']['in_pass'] and d['recorder']['pass_from'] == 12000" "$TMP/state.json"
ok reel call transport_stop >"$TMP/stop.json"
V1=$(reel --json project history "$P" | json "len(d['versions'])")
[[ $((V1 - V0)) == 2 ]] || fail "two loop passes made $((V1 - V0)) versions"
ev=$(events b3:gain)
[[ $ev == "1000:0.5 15000:0.65 20000:0.6 23000:0.9 25000:0.2 30000:0.25" ]] || fail "loop: $ev"

# Scenes on the graph playing: captured live (what the commands set), recalled as a morph on
# the next beat (120 bpm: every 24000 frames) and recorded by an armed overdub lane as one
# ramp; push saves the live values and recalls, pop restores them.
edit timeline update "$P" "$(reel --json project show "$P" | json "d['document']['timelines'][0]['id']")" --loop-clear
edit lane mode "$P" "${LANE[b3:gain]}" play
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
sched '{"target": "t:pan", "value": -0.5}'
ok reel call transport_state '{"until_frame": 2000, "timeout": 30}' >/dev/null
ok reel --json scene capture "$P" --targets t:pan,b1:mute >"$TMP/scene.json"
json_check "d['from'] == 'playing' and d['values'] == {'t:pan': -0.5, 'b1:mute': 0}" "$TMP/scene.json"
SC=$(json "d['scene']" "$TMP/scene.json")
ok reel call transport_stop >/dev/null
edit lane add "$P" --target t:pan --mode overdub
LP=$(idof lane)
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
sched '{"target": "t:pan", "value": 0.75, "frame": 10}'
arm '{"lane": "'"$LP"'"}'
ok reel call transport_state '{"until_frame": 1000, "timeout": 30}' >/dev/null
ok reel call param_values '{"targets": ["t:pan"]}' >"$TMP/vals.json"
json_check "d['values']['t:pan'] == 0.75" "$TMP/vals.json"
ok reel --json scene recall "$P" "$SC" --mode morph --time 0.1 --quantize beat >"$TMP/recall.json"
# the next beat after wherever the playhead was (how far it got depends on this machine)
json_check "d['applied_to'] == 'playing' and d['frame'] % 24000 == 0 and d['frame'] > 0 and d['commands'] == 2" "$TMP/recall.json"
R=$(json "d['frame']" "$TMP/recall.json")
ok reel call transport_state '{"until_frame": '"$((R + 4800 + 256))"', "timeout": 30}' >/dev/null
ok reel call param_values '{"targets": ["t:pan"]}' >"$TMP/vals.json"
json_check "d['values']['t:pan'] == -0.5" "$TMP/vals.json"
ok reel call transport_stop >"$TMP/stop.json"
ok reel --json lane get "$P" "$LP" >"$TMP/get.json"
json_check "[(e['frame'], e['type'], e.get('ramp_frames'), e['value']) for e in d['events']] == [($R, 'ramp', 4800, -0.5)]" "$TMP/get.json"
edit lane mode "$P" "$LP" manual   # push and pop on a target no lane drives: no timing in it
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
sched '{"target": "t:pan", "value": 0.25}'
ok reel call transport_state '{"until_frame": 1000, "timeout": 30}' >/dev/null
ok reel --json scene push "$P" "$SC" >"$TMP/push.json"
json_check "d['depth'] == 1" "$TMP/push.json"
ok reel call transport_state '{"until_frame": 3000, "timeout": 30}' >/dev/null
ok reel call param_values '{"targets": ["t:pan"]}' >"$TMP/vals.json"
json_check "d['values']['t:pan'] == -0.5" "$TMP/vals.json"
ok reel --json scene pop >"$TMP/pop.json"
json_check "d['depth'] == 0" "$TMP/pop.json"
ok reel call transport_state '{"until_frame": 5000, "timeout": 30}' >/dev/null
ok reel call param_values '{"targets": ["t:pan"]}' >"$TMP/vals.json"
json_check "d['values']['t:pan'] == 0.25" "$TMP/vals.json"
ok reel call transport_stop >/dev/null

# Discovery: the OSCQuery tree (GET /api/oscquery) holds every target of the graph playing
# with its type, range and value; an OSC message (liblo's oscsend) to one of its addresses
# drives that parameter, and the tree shows the new value.
ok reel call transport_play '{"project": "'"$P"'", "from": 1}' >/dev/null   # past b1's lane
ok reel call transport_state '{"until_frame": 49000, "timeout": 30}' >/dev/null
oscq() {  # VALUE (arg 1: b1's gain) and every node against param_values, transport stopped
    curl -sf "$SERVE_URL/api/oscquery" >"$TMP/oscq.json" || fail "GET /api/oscquery failed"
    ok reel call param_values '{"ranges": true}' >"$TMP/pv.json"
    python3 - "$TMP/oscq.json" "$TMP/pv.json" "$1" <<'EOF' || fail "the OSCQuery tree does not match the graph playing"
import json, sys
tree, pv = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def walk(n, out):
    if "TYPE" in n and n["FULL_PATH"].startswith("/reel/param/"):
        out[n["FULL_PATH"]] = n
    for c in n.get("CONTENTS", {}).values():
        walk(c, out)
    return out
nodes = walk(tree, {})
want = {"/reel/param/" + t.replace(":", "/"): (v, pv["ranges"][t]) for t, v in pv["values"].items()}
assert set(nodes) == set(want), (sorted(set(nodes) ^ set(want)))
for path, (v, (lo, hi, toggle)) in want.items():
    n = nodes[path]
    assert n["ACCESS"] == 3 and n["TYPE"] == ("i" if toggle else "f"), n
    assert n["RANGE"][0].get("MIN") == lo and n["RANGE"][0].get("MAX") == hi, (n, lo, hi)
    assert n["VALUE"] == [v], (n, v)
assert sys.argv[3] == "" or nodes["/reel/param/b1/gain"]["VALUE"] == [float(sys.argv[3])], nodes["/reel/param/b1/gain"]
assert "recall" in tree["CONTENTS"]["reel"]["CONTENTS"]["scene"]["CONTENTS"]
print("ok %d parameters" % len(nodes))
EOF
}
ok reel call transport_stop >/dev/null   # the values hold still while the two are read
oscq ""
ok reel call transport_play '{"project": "'"$P"'"}' >/dev/null
oscsend 127.0.0.1 "$OSC_PORT" /reel/param/b1/gain f 0.125
python3 "$(dirname "$0")/osc_client.py" "$OSC_PORT" /reel/param/b2/gain f:0.25 >"$TMP/oscr.json" ||
    fail "no OSC reply: $(cat "$TMP/oscr.json")"
N=$(($(reel call transport_state | json "d['device_periods']") + 4))
ok reel call transport_state '{"until_periods": '"$N"', "timeout": 30}' >/dev/null
ok reel call transport_stop >/dev/null
oscq 0.125
ok reel call param_values '{"targets": ["b2:gain"]}' >"$TMP/vals.json"
json_check "d['values']['b2:gain'] == 0.25" "$TMP/vals.json"
python3 "$(dirname "$0")/osc_client.py" "$OSC_PORT" /reel/param/nope/gain f:1 >"$TMP/oscr.json" || true
grep -q "not in the graph playing" "$TMP/oscr.json" || fail "OSC to an unknown parameter: $(cat "$TMP/oscr.json")"
ok reel call transport_stop >/dev/null

# SIGKILL while recording: every command the recorder took is in its journal; the next serve
# commits the pass at its first transport op (one version), and the lane holds all of it.
edit lane mode "$P" "$LP" overdub
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
arm '{"lane": "'"$LP"'"}'
for f in 6000 5000 7000; do sched '{"target": "t:pan", "value": 0.1, "frame": '"$f"'}'; done
EV0=$(events_of "$LP")
V0=$(reel --json project history "$P" | json "len(d['versions'])")
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
[[ -f $STORE/automation/$LP.journal ]] || fail "no journal for lane $LP after the kill"
reel_bg "$TMP/serve2.log" serve --source tone --stream stream://tone/rec --listen 127.0.0.1:0 --osc 0
SERVE_PID=$BG_PID
serve_ready "$TMP/serve2.log" "$SERVE_PID"
ok reel call transport_state >"$TMP/state.json"
json_check "d['recovered'] == [{'lane': '$LP', 'events': 3, 'version': d['recovered'][0]['version']}]" "$TMP/state.json"
[[ ! -e $STORE/automation/$LP.journal ]] || fail "the recovered journal is still there"
V1=$(reel --json project history "$P" | json "len(d['versions'])")
[[ $((V1 - V0)) == 1 ]] || fail "the recovery made $((V1 - V0)) versions"
ev=$(events_of "$LP")
want=$(python3 -c 'import sys; print(" ".join(sorted(sys.argv[1].split() + ["5000:0.1", "6000:0.1", "7000:0.1"], key=lambda e: int(e.split(":")[0]))))' "$EV0")
[[ $ev == "$want" ]] || fail "recovered lane: $ev, want $want"
ok reel call transport_state >"$TMP/state.json"
json_check "'recovered' not in d" "$TMP/state.json"

# Bad input.
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
expect_fail any reel lane add "$P" --target o:gain
grep -q "node o (output) has no automatable parameters" "$TMP/ef.err" || fail "output gain: $(cat "$TMP/ef.err")"
expect_fail any reel call record_arm '{"lane": "l99-0000"}'
grep -q "no lane 'l99-0000'" "$TMP/ef.err" || fail "missing lane: $(cat "$TMP/ef.err")"
edit lane mode "$P" "${LANE[b2:gain]}" play
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
expect_fail any reel call record_arm '{"lane": "'"${LANE[b2:gain]}"'"}'
grep -q "is in play mode" "$TMP/ef.err" || fail "play mode: $(cat "$TMP/ef.err")"
expect_fail any reel call record_arm '{"lane": "'"${LANE[b1:gain]}"'", "punch_from": 0.6, "punch_to": 0.5}'
grep -q "punch range is empty" "$TMP/ef.err" || fail "punch: $(cat "$TMP/ef.err")"
expect_fail any reel call record_arm '{"lane": "'"${LANE[b1:gain]}"'", "on": false}'
grep -q "is not armed" "$TMP/ef.err" || fail "disarm: $(cat "$TMP/ef.err")"
ok reel call transport_stop >/dev/null
kill -INT "$SERVE_PID"
wait_bg "$SERVE_PID"
pass
