#!/usr/bin/env bash
# render_mix.sh — `reel render PROJECT`: a project version rendered offline through its routing
# graph, checked against mix_oracle.py (the mix computed in Python from sox-decoded sources,
# by the rules the docs state: clip gain, fades and pan, track gain/pan/mute/solo, buses,
# connections with channels and gains). Sources are sox-made: mono i16, stereo i24, stereo
# f32, placed with offsets, trims, fades and pans on mono and stereo tracks.
#  - the default graph (every track into "master") and a graph of buses with a channel-mapped
#    connection, each equal to the oracle within a few float32 roundings; every stem too;
#  - a mute/solo matrix (track mute, track solo, two solos, a soloed track muted, clip solo);
#  - determinism: the same version rendered twice, and with blocks of 64 and 4096 frames,
#    gives one content hash; the render is an artifact whose parent is the version's;
#  - a 44.1 kHz source in a 48 kHz project: the expected length, and its 1 kHz tone measured
#    at 1 kHz by zero crossings;
#  - bad input, each one line and no change to the project: a cycle (named), a connection to
#    a missing node or channel, a node playing a missing track, an input node, an empty and a
#    reversed range, and a source whose file is gone (refused at once).
source "$(dirname "$0")/lib.sh"
need sox soxi
ORACLE=$(dirname "$0")/mix_oracle.py

mksrc "$TMP/a.wav" 2 1 i16
mksrc "$TMP/b.wav" 1.5 2 i24
mksrc "$TMP/c.wav" 1 2 f32
sox -D -n -r 44100 -c 1 -b 16 -e signed-integer "$TMP/k.wav" synth 1 sine 1000 gain -3 ||
    fail "sox: k.wav"
ok reel init >/dev/null
declare -A ART
for s in a b c k; do
    ART[$s]=$(import_art "$TMP/$s.wav")
done
python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
    "${ART[a]}" "$TMP/a.wav" "${ART[b]}" "$TMP/b.wav" "${ART[c]}" "$TMP/c.wav" >"$TMP/sources.json"


edit project create mix
P=$(idof project)
edit track add "$P" --name mono --channels 1 --gain 0.5
T1=$(idof track)
edit track add "$P" --name st --channels 2 --gain 0.3 --pan 0.3
T2=$(idof track)
edit track add "$P" --name st2 --channels 2 --gain 0.25 --pan=-0.6
T3=$(idof track)
edit clip add "$P" --track "$T1" --at 0 --source "${ART[a]}" --gain 0.9 --fade-in 4800 --fade-out 2400
C1=$(idof clip)
edit clip add "$P" --track "$T2" --at 0.5 --source "${ART[b]}" --gain 0.8
C2=$(idof clip)
edit clip add "$P" --track "$T3" --at 1.25 --source "${ART[c]}" --start 1000 --end 40000 --pan 0.5
C3=$(idof clip)
edit clip add "$P" --track "$T1" --at 2.5 --source "${ART[c]}"

# render_ok NAME [render options]: render the head into $TMP/NAME.wav, its reply in NAME.json,
# the document it rendered in NAME.doc.json.
render_ok() {
    local name=$1
    shift
    ok reel --json render "$P" --out "$TMP/$name.wav" "$@" >"$TMP/$name.json"
    ok reel project show "$P" >"$TMP/show.json"
    json "d['document']" "$TMP/show.json" >"$TMP/$name.doc.json"
}
oracle() { # NAME [oracle options]
    local name=$1 msg
    shift
    msg=$(python3 "$ORACLE" "$TMP/$name.doc.json" "$TMP/sources.json" "$TMP/$name.wav" "$@") ||
        fail "$name: the render is not the oracle's mix: $msg"
}

# The default graph: every track into a stereo master.
render_ok mix --stems
json_check "d['frames'] == 3.5 * 48000 and d['channels'] == 2 and d['rate'] == 48000 and d['node'] == 'master'" "$TMP/mix.json"
oracle mix
[[ $(soxi -s "$TMP/mix.wav") -eq $((48000 * 7 / 2)) ]] || fail "mix.wav: $(soxi -s "$TMP/mix.wav") frames"
for T in "$T1" "$T2" "$T3"; do
    H=$(json "[s['content'] for s in d['stems'] if s['node'] == '$T'][0]" "$TMP/mix.json")
    ok reel cas get "$H" --out "$TMP/stem.wav" >/dev/null
    cp "$TMP/mix.doc.json" "$TMP/stem.doc.json"
    oracle stem --stem "$T"
done

# Lineage: a "render" artifact whose parent is the version's artifact.
ART_R=$(json "d['artifact']" "$TMP/mix.json")
ok reel --json show "$ART_R" >"$TMP/art.json"
ok reel --json project history "$P" >"$TMP/hist.json"
VART=$(json "[v['artifact'] for v in d['versions'] if v['version'] == '$(json "d['version']" "$TMP/mix.json")'][0]" "$TMP/hist.json")
json_check "d['kind'] == 'render' and d['parent'] == '$VART' and d['meta']['version'] == '$(json "d['version']" "$TMP/mix.json")'" "$TMP/art.json"

# Determinism: twice, and with other block sizes, one content hash.
H0=$(json "d['content']" "$TMP/mix.json")
for b in 512 64 4096; do
    ok reel --json render "$P" --block $b >"$TMP/again.json"
    [[ $(json "d['content']" "$TMP/again.json") == "$H0" ]] ||
        fail "render with --block $b gave $(json "d['content']" "$TMP/again.json"), not $H0"
done

# A graph: tracks into a bus, the bus and a channel-mapped connection into the output, and two
# pre-fader sends (a track's and the bus's signal before gain, pan and mute).
G='{"nodes":[{"id":"n1","kind":"track","track":"'$T1'"},{"id":"n2","kind":"track","track":"'$T2'"},
 {"id":"n3","kind":"track","track":"'$T3'"},{"id":"bus","kind":"bus","channels":2,"gain":0.5,"pan":0.2},
 {"id":"out","kind":"output","channels":2}],
 "connections":[{"from":"n1","to":"bus"},{"from":"n2","to":"bus","gain":0.7},{"from":"bus","to":"out"},
 {"from":"n3","to":"out","from_channel":1,"to_channel":0,"gain":0.25},{"from":"n1","to":"out","from_channel":0,"to_channel":1},
 {"from":"n2","to":"out","pre":true,"gain":0.4},{"from":"bus","to":"out","pre":true,"gain":0.1}]}'
edit graph set "$P" --graph "$G"
render_ok graph --stems
oracle graph
json_check "sorted(s['node'] for s in d['stems']) == ['bus', 'n1', 'n2', 'n3']" "$TMP/graph.json"
H=$(json "[s['content'] for s in d['stems'] if s['node'] == 'bus'][0]" "$TMP/graph.json")
ok reel cas get "$H" --out "$TMP/stem.wav" >/dev/null
cp "$TMP/graph.doc.json" "$TMP/stem.doc.json"
oracle stem --stem bus
edit graph set "$P" --graph '{}'

# Mute and solo.
case_ok() { # NAME: render and compare
    render_ok "$1"
    oracle "$1"
}
edit track update "$P" "$T1" --mute
case_ok mute1
edit track update "$P" "$T2" --solo
case_ok solo2
edit track update "$P" "$T3" --solo
case_ok solo23
edit track update "$P" "$T2" --mute
case_ok solo23mute2
edit track update "$P" "$T1" --no-mute
edit track update "$P" "$T2" --no-mute --no-solo
edit track update "$P" "$T3" --no-solo
edit clip add "$P" --track "$T1" --at 1 --source "${ART[b]}" --gain 0.3 --solo
case_ok clipsolo

# Sample-rate conversion: a 44.1 kHz tone in the 48 kHz project.
edit project create src
P2=$(idof project)
edit track add "$P2" --channels 1
T=$(idof track)
edit clip add "$P2" --track "$T" --at 0 --source "${ART[k]}"
ok reel --json render "$P2" --out "$TMP/src.wav" >"$TMP/src.json"
json_check "d['frames'] == 48000" "$TMP/src.json"
python3 - "$TMP/src.wav" <<'EOF' || fail "the resampled tone is not at 1 kHz"
import array, subprocess, sys
raw = subprocess.check_output(["sox", "-D", sys.argv[1], "-t", "f32", "-e", "floating-point", "-"])
a = array.array("f"); a.frombytes(raw)
left = a[0::2][4800:43200]  # 0.8 s away from the edges
ups = sum(1 for i in range(1, len(left)) if left[i - 1] < 0 <= left[i])
hz = ups / (len(left) / 48000)
print("measured %.2f Hz" % hz)
sys.exit(0 if abs(hz - 1000) < 2 else 1)
EOF

# Bad input: one line each, and the project's head does not move.
HEAD=$(reel --json project show "$P" | json "d['version']")
bad_graph() { # WANT-IN-MESSAGE GRAPH
    expect_fail any reel graph set "$P" --graph "$2"
    grep -q -- "$1" "$TMP/ef.err" || fail "graph set: '$1' not in: $(cat "$TMP/ef.err")"
}
bad_graph "cycle: b1 -> b2 -> b1" '{"nodes":[{"id":"b1","kind":"bus"},{"id":"b2","kind":"bus"},{"id":"o","kind":"output"}],"connections":[{"from":"b1","to":"b2"},{"from":"b2","to":"b1"},{"from":"b2","to":"o"}]}'
bad_graph "no node 'nope'" '{"nodes":[{"id":"o","kind":"output"}],"connections":[{"from":"nope","to":"o"}]}'
bad_graph "channel 5" '{"nodes":[{"id":"b","kind":"bus"},{"id":"o","kind":"output"}],"connections":[{"from":"b","to":"o","from_channel":5}]}'
bad_graph "not in the project" '{"nodes":[{"id":"t","kind":"track","track":"t999-0000"},{"id":"o","kind":"output"}]}'
bad_graph "input nodes are not supported" '{"nodes":[{"id":"i","kind":"input"},{"id":"o","kind":"output"}]}'
expect_fail 2 reel graph set "$P" --graph '{"nodes":[{"id":"o","kind":"speaker"}]}'
expect_fail any reel render "$P" --from 1 --to 1
grep -q "empty" "$TMP/ef.err" || fail "empty range: $(cat "$TMP/ef.err")"
expect_fail any reel render "$P" --from 2 --to 1
grep -q "reversed" "$TMP/ef.err" || fail "reversed range: $(cat "$TMP/ef.err")"
expect_fail any reel render "$P" --format mid
[[ $(reel --json project show "$P" | json "d['version']") == "$HEAD" ]] || fail "a refused edit moved the head"


# A source whose file is gone: refused at once, naming the clip.
HC=$(json "d['hash']" "$TMP/imp.json") # k.wav, only project 2 plays it
rm -f "$(content_path "$HC")"
SECONDS=0
expect_fail any reel render "$P2"
grep -q "not in the store\|gone" "$TMP/ef.err" || fail "missing source: $(cat "$TMP/ef.err")"
((SECONDS < 10)) || fail "a render of a missing source took ${SECONDS} s"
pass
