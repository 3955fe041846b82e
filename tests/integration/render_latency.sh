#!/usr/bin/env bash
# render_latency.sh — latency compensation and the built-in processors (render/engine/
# graph_compile.c, builtin_nodes.c), checked in Python against the rules, from sox's samples:
#  - a track on two parallel paths, one through a delay node of 480 frames (which reports that
#    latency), one direct: the direct path is delayed to match, so they sum aligned; the render
#    drops the 480 frames of latency from its front, so it is exactly 2 x the source, aligned
#    to the timeline; the reply reports latency_frames 480;
#  - the same with swh-lv2's artificialLatency plugin (it reports a latency it does not add):
#    the compensation believes it, so the render is source[k + 480] + source[k];
#  - mid/side: a stereo track through ms_encode then ms_decode gives the source back (within
#    two float roundings);
#    ms_encode alone gives (L + R) / 2 and (L - R) / 2;
#  - bad input: a delay without frames, a mid/side node that is not 2 channels.
source "$(dirname "$0")/lib.sh"
need sox
mono_stereo_project lat

# check NAME EXPR: the render $TMP/NAME.wav against EXPR, a Python expression of the output
# frame k and channel c over src (the mono source) and st (the stereo one, [frame][channel]),
# exact (or within $TOL); values past a source's end are 0.
check() {
    python3 - "$TMP/$1.wav" "$TMP/m.wav" "$TMP/s.wav" "$2" "$(dirname "$0")" "${TOL:-0}" <<'EOF' || fail "$1: not $2"
import array, subprocess, sys
sys.path.insert(0, sys.argv[5])
from mix_oracle import read_float_wav
def dec(p, ch):
    a = array.array("f")
    a.frombytes(subprocess.check_output(["sox", "-D", p, "-t", "f32", "-e", "floating-point", "-"]))
    return [a[i * ch:(i + 1) * ch] for i in range(len(a) // ch)]
m = [x[0] for x in dec(sys.argv[2], 1)]
stv = dec(sys.argv[3], 2)
src = lambda k: m[k] if 0 <= k < len(m) else 0.0
st = lambda k, c: stv[k][c] if 0 <= k < len(stv) else 0.0
ch, _, out = read_float_wav(sys.argv[1])
f = eval("lambda k, c: " + sys.argv[4])
for k in range(len(out) // ch):
    for c in range(ch):
        want = array.array("f", [f(k, c)])[0]
        if abs(out[k * ch + c] - want) > float(sys.argv[6]):
            sys.exit("frame %d channel %d: %r, want %r" % (k, c, out[k * ch + c], want))
print("ok %d frames" % (len(out) // ch))
EOF
}
graph() { edit graph set "$P" --graph "$1"; }
render() { ok reel --json render "$P" --out "$TMP/$1.wav" >"$TMP/$1.json"; }

graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TM"'"},{"id":"d","kind":"delay","channels":1,"frames":480},
 {"id":"o","kind":"output","channels":1}],
 "connections":[{"from":"t","to":"d"},{"from":"d","to":"o"},{"from":"t","to":"o"}]}'
render delay
[[ $(json "d['latency_frames']" "$TMP/delay.json") == 480 ]] || fail "latency: $(cat "$TMP/delay.json")"
check delay "src(k) + src(k)"

graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TM"'"},
 {"id":"p","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/artificialLatency","params":{"delay":10}},
 {"id":"o","kind":"output","channels":1}],
 "connections":[{"from":"t","to":"p"},{"from":"p","to":"o"},{"from":"t","to":"o"}]}'
render lv2lat
[[ $(json "d['latency_frames']" "$TMP/lv2lat.json") == 480 ]] || fail "plugin latency: $(cat "$TMP/lv2lat.json")"
check lv2lat "src(k + 480) + src(k)"

graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TS"'"},{"id":"e","kind":"ms_encode"},{"id":"x","kind":"ms_decode"},
 {"id":"o","kind":"output","channels":2}],
 "connections":[{"from":"t","to":"e"},{"from":"e","to":"x"},{"from":"x","to":"o"}]}'
render msdec
TOL=2e-7 check msdec "st(k, c)"
graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TS"'"},{"id":"e","kind":"ms_encode"},
 {"id":"o","kind":"output","channels":2}],"connections":[{"from":"t","to":"e"},{"from":"e","to":"o"}]}'
render msenc
python3 - "$TMP/msenc.wav" "$TMP/s.wav" "$(dirname "$0")" <<'EOF' || fail "ms_encode is not (L+R)/2, (L-R)/2"
import array, subprocess, sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[2], "-t", "f32", "-e", "floating-point", "-"]))
_, _, out = read_float_wav(sys.argv[1])
f = lambda x: array.array("f", [x])[0]
for k in range(len(a) // 2):
    l, r = a[2 * k], a[2 * k + 1]
    if out[2 * k] != f(f(l + r) * 0.5) or out[2 * k + 1] != f(f(l - r) * 0.5):
        sys.exit("frame %d" % k)
EOF

HEAD=$(reel --json project show "$P" | json "d['version']")
expect_fail any reel graph set "$P" --graph '{"nodes":[{"id":"d","kind":"delay"},{"id":"o","kind":"output"}]}'
grep -q "needs \"frames\"" "$TMP/ef.err" || fail "delay without frames: $(cat "$TMP/ef.err")"
expect_fail any reel graph set "$P" --graph '{"nodes":[{"id":"e","kind":"ms_encode","channels":1},{"id":"o","kind":"output"}]}'
grep -q "works on 2 channels" "$TMP/ef.err" || fail "ms_encode 1 ch: $(cat "$TMP/ef.err")"
[[ $(reel --json project show "$P" | json "d['version']") == "$HEAD" ]] || fail "a refused graph moved the head"
pass
