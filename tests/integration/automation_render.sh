#!/usr/bin/env bash
# automation_render.sh — automation lanes in offline renders (model/project/lane_*.c,
# render/engine/auto_compile.c, rt/plan_auto.c), checked in Python against sox's samples and
# the formulas stated in rt/auto_cmd.h:
#  - sample accuracy: sets at frames just before, at and after block boundaries (511, 512,
#    513, 1023, 1024, 4095, 4096) change the output exactly there, with blocks of 512 and of
#    64 (the same bytes);
#  - ramps (linear, exponential, s-curve) step every 16 frames on the timeline's grid: each
#    frame's gain is the curve at its step's first frame;
#  - a write with replace drops what it overwrites; lane_clear of a range; compact leaves one
#    chunk and the same render; undo takes a write back; gc keeps the chunks;
#  - LV2 control inputs are targets, with the plugin's own range;
#  - set before trigger: a clip launched at frame 1000 by one lane and given gain 0.5 at the
#    same frame by another sounds with gain 0.5 from its first sample, whatever the lanes' order;
#  - thinning (lane get --thin) is a view by Ardour's triangle rule; toggles are never thinned;
#  - scenes with the transport stopped: captured from the document, recalled into it (a new
#    version that renders as the captured one); a scene whose clip is gone is refused whole;
#  - bad input (unknown targets, values out of range, a ramp without length, an exponential
#    ramp to 0, unknown modes and curves, commands outside their write's range, a lane whose
#    target the graph no longer has) gets one clear error and leaves the history as it was.
source "$(dirname "$0")/lib.sh"
need sox
mono_stereo_project auto
bad() { # PATTERN ARGS...: refused with PATTERN in the message
    local pat=$1
    shift
    expect_fail any reel "$@"
    grep -q -- "$pat" "$TMP/ef.err" || fail "reel $*: '$pat' not in: $(cat "$TMP/ef.err")"
}
edit track update "$P" "$TS" --mute

# check NAME GAINEXPR: the render $TMP/NAME.wav, both channels, is src(k) x g(k) exactly, with
# g a Python expression of the frame k (f32() rounds to float, ramp() is a stated curve).
check() {
    python3 - "$TMP/$1.wav" "$TMP/m.wav" "$2" "$(dirname "$0")" <<'EOF' || fail "$1: not src x $2"
import array, math, subprocess, sys
sys.path.insert(0, sys.argv[4])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
f32 = lambda x: array.array("f", [x])[0]
def ramp(k, t0, n, va, vb, curve):
    """rt/auto_cmd.h's curves on plan_auto.h's 16-frame grid."""
    if k >= t0 + n:
        return f32(vb)
    cell = max(t0, k - k % 16)
    x = (cell - t0) / n
    va, vb = f32(va), f32(vb)
    if x <= 0:
        return va
    if curve == "exponential":
        return f32(va * (vb / va) ** x)
    if curve == "s_curve":
        return f32(va + f32(vb - va) * (1 - math.cos(math.pi * x)) / 2)
    return f32(va + f32(vb - va) * x)
g = eval("lambda k: " + sys.argv[3])
ch, _, out = read_float_wav(sys.argv[1])
assert ch == 2
for k in range(len(out) // 2):
    src = a[k] if k < len(a) else 0.0
    want = f32(src * f32(g(k)))
    for c in range(2):
        if out[2 * k + c] != want:
            sys.exit("frame %d channel %d: %r, want %r (gain %r)" % (k, c, out[2 * k + c], want, g(k)))
print("ok %d frames" % (len(out) // 2))
EOF
}
render() { ok reel --json render "$P" --out "$TMP/$1.wav" "${@:2}" >"$TMP/$1.json"; }
versions() { reel --json project history "$P" | json "len(d['versions'])"; }

# Sets at block edges.
edit lane add "$P" --target "$TM:gain"
L=$(idof lane)
edit lane write "$P" "$L" --events '[{"frame":511,"value":0.5},{"frame":512,"value":0.25},{"frame":513,"value":0.75},
  {"frame":1023,"value":0.125},{"frame":1024,"value":2},{"frame":4095,"value":1.5},{"frame":4096,"value":1}]'
G='1 if k < 511 else 0.5 if k < 512 else 0.25 if k < 513 else 0.75 if k < 1023 else 0.125 if k < 1024 else 2 if k < 4095 else 1.5 if k < 4096 else 1'
render sets
check sets "$G"
render sets64 --block 64
cmp -s "$TMP/sets.wav" "$TMP/sets64.wav" || fail "blocks of 64 render other bytes than blocks of 512"
render sets17 --block 17
cmp -s "$TMP/sets.wav" "$TMP/sets17.wav" || fail "blocks of 17 render other bytes than blocks of 512"

# Ramps: replace everything from frame 0 on with three ramps (each starts where the last ended).
edit lane write "$P" "$L" --replace --from 0 --to 1 --events '[{"frame":0,"value":1},
  {"frame":1000,"type":"ramp","value":0.1,"ramp_frames":3000,"curve":"exponential"},
  {"frame":8005,"type":"ramp","value":1.2,"ramp_frames":2001,"curve":"s_curve"},
  {"at":0.5,"type":"ramp","value":0.4,"ramp":0.1}]'
R='1 if k < 1000 else ramp(k, 1000, 3000, 1, 0.1, "exponential") if k < 8005 else ramp(k, 8005, 2001, 0.1, 1.2, "s_curve") if k < 24000 else ramp(k, 24000, 4800, 1.2, 0.4, "linear")'
render ramps
check ramps "$R"
render ramps64 --block 64
cmp -s "$TMP/ramps.wav" "$TMP/ramps64.wav" || fail "ramps: blocks of 64 render other bytes"
ok reel --json lane get "$P" "$L" >"$TMP/get.json"
json_check "d['total'] == 4 and [e['frame'] for e in d['events']] == [0, 1000, 8005, 24000]" "$TMP/get.json"
ok reel --json lane get "$P" "$L" --from-frame 5000 --to-frame 9000 >"$TMP/get.json"
json_check "[e['frame'] for e in d['events']] == [8005] and d['before']['frame'] == 1000 and d['before']['curve'] == 'exponential'" "$TMP/get.json"

# Undo takes the write back; redo brings it again.
edit project undo "$P"
render undone
cmp -s "$TMP/sets.wav" "$TMP/undone.wav" || fail "undo of the ramps' write does not render the sets again"
edit project redo "$P"

# Overdub and clear: a write without replace adds; a cleared range drops what it covers.
edit lane write "$P" "$L" --events '[{"frame":30000,"value":0.5}]'
edit lane clear "$P" "$L" --from 0.5 --to 0.7
ok reel --json lane get "$P" "$L" >"$TMP/get.json"
json_check "[e['frame'] for e in d['events']] == [0, 1000, 8005]" "$TMP/get.json"
render cleared
check cleared '1 if k < 1000 else ramp(k, 1000, 3000, 1, 0.1, "exponential") if k < 8005 else ramp(k, 8005, 2001, 0.1, 1.2, "s_curve")'

# Compact: one chunk, the same commands, the same bytes.
ok reel --json lane list "$P" >"$TMP/list.json"
json_check "d['lanes'][0]['chunks'] == 4" "$TMP/list.json"
edit lane compact "$P" "$L"
json_check "d['chunks_before'] == 4 and d['events'] == 3" "$TMP/ok.json"
ok reel --json lane list "$P" >"$TMP/list.json"
json_check "d['lanes'][0]['chunks'] == 1" "$TMP/list.json"
render compacted
cmp -s "$TMP/cleared.wav" "$TMP/compacted.wav" || fail "the compacted lane renders other bytes"

# GC keeps every chunk a version names (the history still has the four-chunk lane), however
# old: every blob is made an hour old first, so only the roots keep it.
find "$STORE/cas/content" -type f -exec touch -d '1 hour ago' {} +
ok reel gc --grace 1s >"$TMP/gc.txt"
for c in $(reel --json project show "$P" | json "' '.join(ch['content'] for l in d['document']['lanes'] for ch in l['chunks'])"); do
    [[ -f $(content_path "$c") ]] || fail "gc deleted lane chunk $c"
done
render after_gc
cmp -s "$TMP/cleared.wav" "$TMP/after_gc.wav" || fail "after gc the render changed"
edit project undo "$P"
render before_compact
cmp -s "$TMP/cleared.wav" "$TMP/before_compact.wav" || fail "after gc the four-chunk version does not render"
edit project redo "$P"

# A manual lane does not play.
edit lane mode "$P" "$L" manual
render manual
check manual 1
edit lane mode "$P" "$L" play

# LV2 control inputs, with the plugin's range; a lane whose node goes is refused at render.
edit graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TM"'"},
 {"id":"amp","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/amp","params":{"gain":0}},
 {"id":"o","kind":"output","channels":1}],"connections":[{"from":"t","to":"amp"},{"from":"amp","to":"o"}]}'
expect_fail any reel render "$P" --out "$TMP/x.wav"
grep -q "drives $TM:gain, which this graph no longer has" "$TMP/ef.err" || fail "gone target: $(cat "$TMP/ef.err")"
edit lane remove "$P" "$L"
edit lane add "$P" --target amp:gain
LA=$(idof lane)
edit lane write "$P" "$LA" --events '[{"frame":2000,"value":-6.0206}]'
ok reel --json render "$P" --out "$TMP/amp.wav" >/dev/null
python3 - "$TMP/amp.wav" "$TMP/m.wav" "$(dirname "$0")" <<'EOF' || fail "the amp's gain lane did not halve the output at frame 2000"
import array, subprocess, sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
ch, _, out = read_float_wav(sys.argv[1])
assert ch == 1
for k in range(0, 2000):
    assert out[k] == a[k], (k, out[k], a[k])
for k in range(2000, len(a)):
    assert abs(out[k] - a[k] * 0.5) < 1e-5, (k, out[k], a[k] * 0.5)
EOF

# Bad input: one clear error each, and the history as it was.
V0=$(versions)
bad "no graph node 'nope'" lane add "$P" --target nope:gain
bad "the plugin has no control input 'loud'" lane add "$P" --target amp:loud
bad "no clip 'c9-0000'" lane add "$P" --target clip:c9-0000:gain
bad "is not \"<node>:<param>\"" lane add "$P" --target justaname
bad "already has lane $LA" lane add "$P" --target amp:gain
bad "outside the target's range" lane write "$P" "$LA" --events '[{"frame":1,"value":99}]'
bad "a ramp needs" lane write "$P" "$LA" --events '[{"frame":1,"type":"ramp","value":1}]'
bad "ramp_frames" lane write "$P" "$LA" --events '[{"frame":1,"type":"ramp","value":1,"ramp_frames":-5}]'
bad "ramp_frames" lane write "$P" "$LA" --events '[{"frame":1,"type":"ramp","value":1,"ramp_frames":2199023255552}]'
bad "curve" lane write "$P" "$LA" --events '[{"frame":1,"type":"ramp","value":1,"ramp_frames":10,"curve":"wobbly"}]'
bad "value" lane write "$P" "$LA" --events '[{"frame":1,"value":"loud"}]'
bad "needs \"frame\" or \"at\"" lane write "$P" "$LA" --events '[{"value":1}]'
bad "outside the write's range" lane write "$P" "$LA" --from 1 --to 2 --events '[{"frame":10,"value":1}]'
bad "mode" lane mode "$P" "$LA" loud
bad "no lane 'l99-0000'" lane write "$P" l99-0000 --events '[]'
[[ $(versions) == "$V0" ]] || fail "a refused edit changed the history ($V0 -> $(versions) versions)"
edit graph set "$P" --graph '{"nodes":[]}'
edit lane add "$P" --target "$TM:gain"
LG=$(idof lane)
V0=$(versions)
bad "cannot reach 0" lane write "$P" "$LG" --events '[{"frame":1,"type":"ramp","value":0,"ramp_frames":10,"curve":"exponential"}]'
edit lane add "$P" --target "$TM:mute"
LM=$(idof lane)
V0=$(versions)
bad "on (1) or off (0)" lane write "$P" "$LM" --events '[{"frame":1,"value":0.5}]'
[[ $(versions) == "$V0" ]] || fail "a refused edit changed the history ($V0 -> $(versions) versions)"

# Thinning is a view (Ardour's rule, checked against a Python one): the lane keeps every command.
edit lane add "$P" --target "$TS:pan"
LT=$(idof lane)
EV='[{"frame":0,"value":0},{"frame":100,"value":0.25},{"frame":200,"value":0.5},{"frame":300,"value":0.75},
 {"frame":400,"value":0},{"frame":500,"value":0.0001},{"frame":600,"type":"ramp","value":1,"ramp_frames":50},
 {"frame":700,"value":0.5},{"frame":800,"value":0.5},{"frame":900,"value":0.5},{"frame":1000,"value":-1}]'
edit lane write "$P" "$LT" --events "$EV"
ok reel --json lane get "$P" "$LT" --thin 20 >"$TMP/thin.json"
python3 - "$TMP/thin.json" "$EV" <<'EOF' || fail "the thinned view is not Ardour's rule"
import json, sys
got = json.load(open(sys.argv[1]))
ev = json.loads(sys.argv[2])
out = []
for e in ev:
    out.append(e)
    while len(out) >= 3 and all(o.get("type", "set") == "set" for o in out[-3:]):
        (x1, y1), (x2, y2), (x3, y3) = [(o["frame"], o["value"]) for o in out[-3:]]
        if abs(x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2)) >= 20:
            break
        del out[-2]
want = [o["frame"] for o in out]
assert [e["frame"] for e in got["events"]] == want, ([e["frame"] for e in got["events"]], want)
assert got["total"] == len(ev) and len(want) < len(ev), (got["total"], want)
EOF
ok reel --json lane get "$P" "$LT" >"$TMP/full.json"
json_check "len(d['events']) == 11" "$TMP/full.json"
edit lane write "$P" "$LM" --events '[{"frame":0,"value":0},{"frame":10,"value":0},{"frame":20,"value":0}]'
ok reel --json lane get "$P" "$LM" --thin 1000000 >"$TMP/thin.json"
json_check "len(d['events']) == 3" "$TMP/thin.json"

# Scenes, stopped: captured from the document, recalled into it (a new version).
edit graph set "$P" --graph '{"nodes":[]}'
for l in $(reel --json lane list "$P" | json "' '.join(l['id'] for l in d['lanes'])"); do
    edit lane remove "$P" "$l"
done
edit track update "$P" "$TM" --gain 0.5 --pan=-0.25
edit scene capture "$P" --name verse
SC=$(idof scene)
json_check "d['from'] == 'document' and d['values']['$TM:gain'] == 0.5 and d['values']['$TM:pan'] == -0.25 and d['values']['$TS:mute'] == 1" "$TMP/ok.json"
render verse
edit track update "$P" "$TM" --gain 2 --pan 0.5 --no-mute
edit track update "$P" "$TS" --no-mute
edit scene recall "$P" "$SC"
json_check "d['applied_to'] == 'document'" "$TMP/ok.json"
ok reel --json project show "$P" >"$TMP/doc.json"
json_check "[(t['gain'], t['pan'], t.get('mute')) for t in d['document']['tracks'] if t['id'] == '$TM'] == [(0.5, -0.25, False)]" "$TMP/doc.json"
render recalled
cmp -s "$TMP/verse.wav" "$TMP/recalled.wav" || fail "the recalled scene does not render as when it was captured"
edit clip add "$P" --track "$TM" --at 0.5 --source "$AM"
CL=$(idof clip)
edit scene capture "$P" --targets "clip:$CL:gain,$TM:gain"
SC2=$(idof scene)
edit clip remove "$P" "$CL"
V1=$(versions)
bad "scene $SC2 names parameters the project no longer has (or values out of their range): clip:$CL:gain" scene recall "$P" "$SC2"
[[ $(versions) == "$V1" ]] || fail "a refused recall changed the history"
bad "no scene 's99-0000'" scene recall "$P" s99-0000
bad "no graph node 'nope'" scene capture "$P" --targets nope:gain
bad "scene_push needs the project playing" scene push "$P" "$SC"
bad "the scene stack is empty" scene pop
edit scene remove "$P" "$SC2"

# Set before trigger: at frame 1000 one lane launches clip CK (it plays from its first frame
# there, beside its own place at 3 s) and another sets CK's gain to 0.5. Whichever lane was
# written first, the launched clip's first sample already has gain 0.5.
edit track update "$P" "$TM" --mute
edit track add "$P" --channels 1
T3=$(idof track)
edit clip add "$P" --track "$T3" --at 3 --source "$AM"
CK=$(idof clip)
launch_lanes() { # FIRST SECOND: lane targets, in the order they are added
    for tg in "$@"; do
        edit lane add "$P" --target "$tg"
        L=$(idof lane)
        if [[ $tg == *:launch ]]; then
            edit lane write "$P" "$L" --events '[{"frame":1000,"type":"trigger","value":1}]'
        else
            edit lane write "$P" "$L" --events '[{"frame":1000,"value":0.5}]'
        fi
        LL+=("$L")
    done
}
LL=()
launch_lanes "clip:$CK:launch" "clip:$CK:gain"
render trig1 --to 2
python3 - "$TMP/trig1.wav" "$TMP/m.wav" "$(dirname "$0")" <<'EOF' || fail "the launched clip does not start at frame 1000 with gain 0.5"
import array, subprocess, sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
f32 = lambda x: array.array("f", [x])[0]
ch, _, out = read_float_wav(sys.argv[1])
for k in range(len(out) // ch):
    want = f32(a[k - 1000] * 0.5) if 1000 <= k < 1000 + len(a) else 0.0
    for c in range(ch):
        if out[k * ch + c] != want:
            sys.exit("frame %d: %r, want %r" % (k, out[k * ch + c], want))
EOF
for l in "${LL[@]}"; do edit lane remove "$P" "$l"; done
LL=()
launch_lanes "clip:$CK:gain" "clip:$CK:launch"
render trig2 --to 2
cmp -s "$TMP/trig1.wav" "$TMP/trig2.wav" || fail "the order the lanes were written in changed the render"
bad "a clip's targets are gain and launch" lane add "$P" --target "clip:$CK:pan"

pass
