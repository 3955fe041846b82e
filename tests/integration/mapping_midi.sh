#!/usr/bin/env bash
# mapping_midi.sh — controller mappings (render/engine/mapping_live.c) on a transport playing to
# `jackd -d dummy`, driven by programs nobody here wrote:
#  - jack_midiseq plays a note (on at 0, off at 8000 of every 24000 frames) into reel's
#    control_in (the mapping's "port" connects it); mapped to a track's gain and recorded by an
#    armed overdub lane: the lane holds one command per note on (velocity 64 -> 64/127) and off
#    (0), spaced exactly as jack_midi_dump, listening to the same port, saw them (8000, 16000:
#    the frames they arrived at, not period starts; the period is 256), and the recorded
#    version renders the gain changing at exactly those frames (oracle: sox's samples times the
#    gain, in Python);
#  - feedback: a CC mapping's parameter moved by another surface (automation_schedule) comes
#    back as that CC on control_out, seen by jack_midi_dump;
#  - pickup: a controller far from the parameter's value is held (counted) until it crosses it;
#  - MIDI learn: mapping_learn binds the next message received;
#  - OSC: oscsend to a mapped address drives the parameter; a move by other means goes back
#    to the mapping's OSC feedback address, seen by oscdump;
#  - a flood of 20000 OSC messages: counted and coalesced, the periods go on;
#  - actions: a note arms and disarms a lane, a program change recalls the next scene, a note
#    stops the transport;
#  - widgets: an XY pad, a toggle and a button move the project playing; refusals;
#  - telemetry: per-node CPU time in transport_state and as transport.telemetry on /api/events;
#  - bad input: a target the graph lacks, a port that does not exist, a bad transform, an
#    unknown mapping, a learn nobody answers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
need sox oscsend oscdump jack_midiseq jack_midi_dump
start_jackd

mono_project maps $RATE
edit graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$T"'"},
 {"id":"b","kind":"bus","channels":1},{"id":"o","kind":"output","channels":1}],
 "connections":[{"from":"t","to":"b"},{"from":"b","to":"o"}]}'
edit lane add "$P" --target t:gain --mode overdub
L=$(idof lane)

reel_bg "$TMP/serve.log" serve --source tone --stream stream://tone/maps --listen 127.0.0.1:0 --osc 0
SERVE_PID=$BG_PID
FAIL_LOGS=("$TMP/serve.log" "$TMP/seq.txt" "$TMP/fb.txt" "$TMP/osc.txt")
serve_ready "$TMP/serve.log" "$SERVE_PID"
OSC_PORT=$(sed -n 's|.*OSC on udp://127.0.0.1:\([0-9]*\).*|\1|p' "$TMP/serve.log")
[[ -n $OSC_PORT ]] || fail "serve did not print its OSC port: $(cat "$TMP/serve.log")"

# wait_map EXPR: until EXPR (python over transport_state) holds, looking once a period (each
# look waits for the next period of the device: no sleeping), at most 400 periods.
wait_map() {
    local i=0 st="$TMP/wait_map.json"
    reel call transport_state >"$st"
    until [[ $(json "$1" "$st" 2>/dev/null) == true ]]; do
        i=$((i + 1))
        [[ $i -le 400 ]] || fail "mappings never reached: $1 -- $(json "d['mappings']" "$st")"
        local n
        n=$(($(json "d['device_periods']" "$st") + 1))
        reel call transport_state '{"until_periods": '"$n"', "timeout": 30}' >"$st"
    done
}
# settle: two more periods, so what was scheduled has been applied.
settle() {
    local n
    n=$(($(reel call transport_state | json "d['device_periods']") + 2))
    ok reel call transport_state '{"until_periods": '"$n"', "timeout": 30}' >/dev/null
}
value() { reel call param_values '{"targets": ["'"$1"'"]}' | json "d['values']['$1']"; }

start_client jack_midiseq seq 24000 0 60 8000
wait_port seq:out
start_client jack_midi_dump -a seqdump
wait_port seqdump:input
jack_connect -s "$SRV" seq:out seqdump:input
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
ok reel call transport_state >"$TMP/state_pre.json" # the server's losses before the dump's notes
cp "$TMP/state_pre.json" "$TMP/state.json"
IN=$(json "d['mappings']['input_port']" "$TMP/state.json")
OUT=$(json "d['mappings']['feedback_port']" "$TMP/state.json")
[[ $IN == *:control_in && $OUT == *:control_out ]] || fail "controller ports: $IN $OUT"

# Bad input first: nothing of it is stored.
V0=$(reel --json project history "$P" | json "len(d['versions'])")
refuses "nope" reel mapping add "$P" --mapping '{"input":{"midi":"cc","number":7},"target":"nope:gain"}'
refuses "nobody:out" reel mapping add "$P" --mapping '{"input":{"midi":"cc","number":7},"target":"t:gain","port":"nobody:out"}'
refuses "quantize" reel mapping add "$P" --mapping '{"input":{"midi":"cc","number":7},"target":"t:gain","transform":{"quantize":1}}'
refuses "needs a 'number'" reel mapping add "$P" --mapping '{"input":{"midi":"cc"},"target":"t:gain"}'
refuses "no mapping 'm99-0000'" reel mapping remove "$P" m99-0000
refuses "no controller message came" reel mapping learn "$P" --mapping '{"target":"t:gain"}' --timeout 0.2
V1=$(reel --json project history "$P" | json "len(d['versions'])")
[[ $V0 == "$V1" ]] || fail "refused mappings stored versions ($V0 -> $V1)"

# jack_midiseq's note drives t:gain, recorded by the armed lane.
edit mapping add "$P" --mapping '{"input":{"midi":"note","channel":1,"number":60},"target":"t:gain",
 "transform":{"min":0,"max":1},"port":"seq:out"}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
ok reel call record_arm '{"lane": "'"$L"'"}' >/dev/null
ok reel call transport_state >"$TMP/state0.json"   # the server's losses so far
wait_map "d['mappings']['applied'] >= 1"
curl -sS -N "$SERVE_URL/api/events" >"$TMP/events.txt" 2>/dev/null &
CLIENT_PIDS+=($!)
N=$(($(reel call transport_state | json "d['device_periods']") + 72000 / PERIOD))
ok reel call transport_state '{"until_periods": '"$N"', "timeout": 30}' >"$TMP/state.json"
# the watchdog: every node's CPU time in transport_state and, once a second, on /api/events
json_check "sorted(d['telemetry']['nodes']) == ['b', 'o', 't'] and all(n['spans'] > 0 and n['cpu_us_per_period'] > 0 for n in d['telemetry']['nodes'].values()) and d['telemetry']['graph_cpu_percent'] > 0 and d['telemetry']['period_us'] == 1e6 * $PERIOD / $RATE" "$TMP/state.json"
wait_log "$TMP/events.txt" '^data: .*"nodes": *\{.*"cpu_us_per_period"'
grep -q '^event: transport.telemetry$' "$TMP/events.txt" || fail "no transport.telemetry event: $(head -c 300 "$TMP/events.txt")"
ok reel call transport_stop >"$TMP/stop.json"
json_check "[r['lane'] for r in d['recorded']] == ['$L']" "$TMP/stop.json"
stop_clients
cp "$TMP/jack-clients.log" "$TMP/seq.txt"
ok reel --json lane get "$P" "$L" >"$TMP/lane.json"
ok reel call transport_state >"$TMP/state.json"
python3 - "$TMP/lane.json" "$TMP/seq.txt" "$TMP/state.json" "$PERIOD" "$TMP/state0.json" "$TMP/state_pre.json" <<'EOF' || fail "the recorded notes are not where jack_midi_dump saw them"
import json, re, sys
ev = json.load(open(sys.argv[1]))["events"]
seen = [(int(m.group(1)), m.group(2)) for m in
        re.finditer(r"^\s*(\d+): (90|80) 3c 40", open(sys.argv[2]).read(), re.M)]
tel = json.load(open(sys.argv[3]))["telemetry"]
period = int(sys.argv[4])
# what the server reported missing: cycles it skipped for reel, and xruns (a late client: the
# others' cycles are lost to it)
def lost(since):
    t0 = json.load(open(since))["telemetry"]
    return t["dropped_frames"] - t0["dropped_frames"] + period * (t["xruns"] - t0["xruns"])
t = tel
skipped, skipped_dump = lost(sys.argv[5]), lost(sys.argv[6])
assert len(ev) >= 4, ev
for e in ev:
    assert abs(e["value"] - 64 / 127) < 1e-6 or e["value"] == 0.0, e
# jack_midiseq and jack_midi_dump count the frames of their own cycles, reel the server's
# frame clock: the same spacing (8000 to a note off, 16000 to a note on), except for cycles
# lost, in whole periods, each reported by the server (an xrun: a late client; or frames it
# dropped): a cycle nobody ran, or one jack_midiseq missed, lengthens the gap in reel's clock;
# one jack_midi_dump missed shortens the gap it saw (by no more than the server reported
# while it ran).
want = {"80": 8000, "90": 16000}
gaps_seen = [(seen[i + 1][1], seen[i + 1][0] - seen[i][0]) for i in range(len(seen) - 1)]
short = 0
for k, g in gaps_seen:
    assert (g - want[k]) % period == 0, gaps_seen
    short += max(0, want[k] - g)
assert short <= skipped_dump, (short, skipped_dump, gaps_seen)
extra = 0
for i in range(len(ev) - 1):
    k = "90" if ev[i + 1]["value"] else "80"
    d = ev[i + 1]["frame"] - ev[i]["frame"] - want[k]
    assert d >= 0 and d % period == 0, (i, ev[i], ev[i + 1])
    extra += d
assert extra <= skipped, (extra, skipped, [e["frame"] for e in ev])
print("ok", len(ev), "commands at", [e["frame"] for e in ev][:6], "skipped", skipped)
EOF
ok reel --json render "$P" --to 1 --out "$TMP/rec.wav" >/dev/null
python3 - "$TMP/rec.wav" "$TMP/m.wav" "$TMP/lane.json" "$(dirname "$0")" <<'EOF' || fail "the recorded mapping pass does not render"
import array, json, subprocess, sys
sys.path.insert(0, sys.argv[4])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
f32 = lambda x: array.array("f", [x])[0]
ev = [(e["frame"], e["value"]) for e in json.load(open(sys.argv[3]))["events"]]
_, _, out = read_float_wav(sys.argv[1])
g, j = 1.0, 0
for k in range(len(out)):
    while j < len(ev) and ev[j][0] <= k:
        g = ev[j][1]
        j += 1
    want = f32(a[k] * f32(g))
    if out[k] != want:
        sys.exit("frame %d: %r, want %r" % (k, out[k], want))
EOF

# Feedback: b:gain moved by automation_schedule goes back to the CC's controller.
start_client jack_midi_dump fb
wait_port fb:input
jack_connect -s "$SRV" "$OUT" fb:input
cp /dev/null "$TMP/fb.txt"
edit mapping add "$P" --mapping '{"input":{"midi":"cc","channel":1,"number":7},"target":"b:gain",
 "transform":{"min":0,"max":1}}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
ok reel call automation_schedule '{"target": "b:gain", "value": 0.5}' >/dev/null
wait_map "d['mappings']['feedback_midi'] >= 1"
wait_log "$TMP/jack-clients.log" "b0 07 40"

# Pickup: b:pan is 0; the controller at 127 (pan 1) and 70 (0.10) is held, 60 (-0.055)
# crosses 0 and takes over.
edit mapping add "$P" --mapping '{"input":{"midi":"cc","channel":1,"number":8},"target":"b:pan","pickup":true}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
inject() {
    local r
    r=$(reel call transport_state | json "d['mappings']['received']")
    ok reel mapping input --midi "$1" >/dev/null
    wait_map "d['mappings']['received'] > $r"
}
inject 176,8,127
inject 176,8,70
settle
[[ $(value b:pan) == 0.0 ]] || fail "pickup: a controller far from the value moved it to $(value b:pan)"
reel call transport_state | json "d['mappings']['pickup_held']" >"$TMP/held"
[[ $(cat "$TMP/held") -ge 2 ]] || fail "pickup held $(cat "$TMP/held") messages, want 2"
A=$(reel call transport_state | json "d['mappings']['applied']")
inject 176,8,60
wait_map "d['mappings']['applied'] > $A"
settle
python3 -c 'import struct, sys; f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]; sys.exit(f32(float(sys.argv[1])) != f32(-1 + 2 * 60 / 127))' "$(value b:pan)" ||
    fail "pickup: after the crossing b:pan is $(value b:pan)"

# MIDI learn: the next message binds.
reel --json mapping learn "$P" --mapping '{"target":"b:gain","transform":{"min":0,"max":1}}' --timeout 20 \
    >"$TMP/learn.json" 2>"$TMP/learn.err" &
LEARN=$!
wait_map "d['mappings']['learning']"
ok reel mapping input --midi 178,20,100 >/dev/null
wait "$LEARN" || fail "mapping learn: $(cat "$TMP/learn.err")"
json_check "d['input'] == {'midi': 'cc', 'channel': 3, 'number': 20} and d['mapping'].startswith('m')" "$TMP/learn.json"
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
inject 178,20,127
settle
[[ $(value b:gain) == 1.0 ]] || fail "the learned mapping set b:gain to $(value b:gain)"

# OSC in and out: oscsend drives b:gain through /fader/1; a move by other means is sent to
# the mapping's feedback address, where oscdump listens.
FB_PORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
oscdump -L "$FB_PORT" >"$TMP/osc.txt" 2>&1 &
OSCDUMP=$!
CLIENT_PIDS+=("$OSCDUMP")
edit mapping add "$P" --mapping '{"input":{"osc":"/fader/1"},"target":"b:gain","transform":{"min":0,"max":1},
 "feedback_to":"osc.udp://127.0.0.1:'"$FB_PORT"'/"}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
A=$(reel call transport_state | json "d['mappings']['applied']")
oscsend 127.0.0.1 "$OSC_PORT" /fader/1 f 0.25
wait_map "d['mappings']['applied'] > $A"
settle
[[ $(value b:gain) == 0.25 ]] || fail "oscsend /fader/1 0.25 set b:gain to $(value b:gain)"
ok reel call automation_schedule '{"target": "b:gain", "value": 0.75}' >/dev/null
wait_log "$TMP/osc.txt" "/fader/1 f 0\.75"

# A flood: 20000 OSC messages as fast as a socket sends them. The periods go on (the callback
# never waits for the control side), the millisecond's last position wins (coalesced), and
# the mapping still answers a message after it.
R=$(reel call transport_state | json "d['mappings']['received']")
python3 - "$OSC_PORT" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(20000):
    s.sendto(b"/fader/1\0\0\0\0,f\0\0" + struct.pack(">f", (k % 100) / 100), ("127.0.0.1", int(sys.argv[1])))
EOF
settle
ok reel call transport_state >"$TMP/state.json"
json_check "d['mappings']['received'] > $R + 100 and d['mappings']['coalesced'] > 0 and d['mappings']['applied'] < d['mappings']['received']" "$TMP/state.json"
A=$(json "d['mappings']['applied']" "$TMP/state.json")
oscsend 127.0.0.1 "$OSC_PORT" /fader/1 f 0.375
wait_map "d['mappings']['applied'] > $A"
settle
[[ $(value b:gain) == 0.375 ]] || fail "after the flood /fader/1 0.375 set b:gain to $(value b:gain)"

# Actions: a note arms and disarms a lane; a program change recalls the next scene; note 61
# stops the transport.
edit mapping add "$P" --mapping '{"input":{"midi":"note","number":62},"action":"record_arm","lane":"'"$L"'"}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
ok reel call record_arm '{"lane": "'"$L"'", "on": false}' >/dev/null   # armed since the first pass
inject 144,62,100
wait_map "[a['lane'] for a in d['recorder']['armed']] == ['$L']"
inject 128,62,0
inject 144,62,100
wait_map "d['recorder']['armed'] == []"

ok reel call automation_schedule '{"target": "b:pan", "value": -0.5}' >/dev/null
settle
edit scene capture "$P" --targets b:pan
ok reel call automation_schedule '{"target": "b:pan", "value": 0.5}' >/dev/null
settle
edit scene capture "$P" --targets b:pan
edit mapping add "$P" --mapping '{"input":{"midi":"program"},"action":"scene_next"}'
edit mapping add "$P" --mapping '{"input":{"midi":"note","number":61},"action":"transport_stop"}'
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null
inject 192,3
wait_map "d['mappings']['actions'] >= 1"
settle
settle
[[ $(value b:pan) == -0.5 ]] || fail "scene_next recalled b:pan = $(value b:pan), want the first scene's -0.5"
# Widgets: an XY pad (x -> b:gain 0..1, y -> b:pan), a toggle on b:mute, a button that recalls
# the next scene; each moves the project playing through automation_schedule.
edit widget add "$P" --widget '{"kind":"xy","name":"pad","targets":[{"target":"b:gain","transform":{"min":0,"max":1}},{"target":"b:pan","axis":"y"}]}'
WXY=$(idof widget)
ok reel --json widget set "$P" "$WXY" --x 0.25 --y 0.25 >"$TMP/wset.json"
json_check "d['applied'] == [{'target': 'b:gain', 'value': 0.25}, {'target': 'b:pan', 'value': -0.5}]" "$TMP/wset.json"
settle
[[ $(value b:gain) == 0.25 && $(value b:pan) == -0.5 ]] || fail "the XY pad set b:gain $(value b:gain), b:pan $(value b:pan)"
edit widget add "$P" --widget '{"kind":"toggle","targets":[{"target":"b:mute"}]}'
WT=$(idof widget)
ok reel widget set "$P" "$WT" >/dev/null
settle
[[ $(value b:mute) == 1.0 ]] || fail "the toggle did not mute: $(value b:mute)"
ok reel widget set "$P" "$WT" >/dev/null
settle
[[ $(value b:mute) == 0.0 ]] || fail "the toggle did not unmute: $(value b:mute)"
edit widget add "$P" --widget '{"kind":"button","targets":[{"action":"scene_next"}]}'
WB=$(idof widget)
ok reel --json widget set "$P" "$WB" --value 1 >"$TMP/wset.json"
json_check "d['applied'] == [{'action': 'fired'}]" "$TMP/wset.json"
settle
settle
[[ $(value b:pan) == 0.5 ]] || fail "the button's scene_next recalled b:pan = $(value b:pan), want the second scene's 0.5"
ok reel --json widget set "$P" "$WB" --value 1 >"$TMP/wset.json"   # still held: no new press
json_check "d['applied'] == []" "$TMP/wset.json"
refuses "no widget 'w99-0000'" reel widget set "$P" w99-0000 --value 1
refuses "needs 'y'" reel widget set "$P" "$WXY" --x 0.5
refuses "'x' must be a position" reel widget set "$P" "$WXY" --x 2 --y 0
refuses "knob" reel widget add "$P" --widget '{"kind":"knob","targets":[{"target":"b:gain"}]}'
refuses "targets\[0\]" reel widget add "$P" --widget '{"kind":"slider","targets":[{"target":"nope:gain"}]}'
refuses "only an xy pad" reel widget add "$P" --widget '{"kind":"slider","targets":[{"target":"b:gain","axis":"y"}]}'
edit widget update "$P" "$WT" --name mute
edit widget remove "$P" "$WB"
ok reel --json project show "$P" >"$TMP/show.json"
json_check "sorted(w['id'] for w in d['document']['widgets']) == sorted(['$WXY', '$WT']) and [w.get('name') for w in d['document']['widgets'] if w['id'] == '$WT'] == ['mute']" "$TMP/show.json"
inject 144,61,100
wait_map "not d['playing']"
ok reel --json mapping list "$P" >"$TMP/list.json"
json_check "len(d['mappings']) == 8 and d['live']['errors'] == 0" "$TMP/list.json"
M=$(json "d['mappings'][0]['id']" "$TMP/list.json")
edit mapping remove "$P" "$M"
ok reel --json mapping list "$P" >"$TMP/list.json"
json_check "len(d['mappings']) == 7 and '$M' not in [m['id'] for m in d['mappings']]" "$TMP/list.json"
kill -INT "$SERVE_PID"
wait_bg "$SERVE_PID"
pass
