#!/usr/bin/env bash
# render_lv2.sh — LV2 plugin nodes (render/engine/lv2_host.c) against lv2apply (Debian
# lilv-utils, another program hosting the same plugin): a sox-made source on a track, through
# a plugin node with control values, rendered by `reel render`, equals lv2apply run on the
# same source with the same values, sample for sample. Plugins: swh-lv2 amp (+6 dB), the
# lv2-examples eg-amp (-3.5 dB), swh-lv2 delay_n (a 10 ms delay, in blocks of one frame as
# lv2apply runs it: it glides its delay time over a run call), and mda-lv2 Delay (stereo, with
# feedback: state carried across blocks, so the block size is exercised too: 64 and 4096).
# Bad plugin input, one line each and the head unchanged: a URI not installed (named), a
# parameter that is unknown, not a number, or outside the port's range, and a connection to
# a plugin input channel that does not exist.
source "$(dirname "$0")/lib.sh"
need sox lv2apply lv2ls
lv2ls >"$TMP/lv2ls.txt" || fail "lv2ls failed"
for u in http://plugin.org.uk/swh-plugins/amp http://lv2plug.in/plugins/eg-amp \
    http://plugin.org.uk/swh-plugins/delay_n http://drobilla.net/plugins/mda/Delay; do
    grep -qx "$u" "$TMP/lv2ls.txt" || fail "LV2 plugin $u is not installed (scripts/deps.sh installs it)"
done

mono_stereo_project lv2

# same A B: two 32-bit float WAVs hold the same samples, bit for bit.
same() {
    python3 -c '
import sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
a, b = read_float_wav(sys.argv[1]), read_float_wav(sys.argv[2])
if a[0] != b[0] or len(a[2]) != len(b[2]):
    sys.exit("%d ch %d samples vs %d ch %d samples" % (a[0], len(a[2]), b[0], len(b[2])))
for i, (x, y) in enumerate(zip(a[2], b[2])):
    if x != y:
        sys.exit("sample %d: %r vs %r" % (i, x, y))
' "$1" "$2" "$(dirname "$0")" || fail "$3: reel's render and lv2apply's differ"
}

# plugin_case NAME TRACK SRC URI PARAMS-JSON LV2APPLY-CONTROLS... : graph track -> plugin -> out,
# rendered with each block size in $BLOCKS (default 4096 and 64).
plugin_case() {
    local name=$1 track=$2 src=$3 uri=$4 params=$5 ch
    shift 5
    ch=$(soxi -c "$src")
    edit graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$track"'"},
      {"id":"fx","kind":"plugin","uri":"'"$uri"'","params":'"$params"'},
      {"id":"o","kind":"output","channels":'"$ch"'}],
      "connections":[{"from":"t","to":"fx"},{"from":"fx","to":"o"}]}'
    for b in ${BLOCKS:-4096 64}; do
        ok reel --json render "$P" --block $b --out "$TMP/$name.$b.wav" >"$TMP/$name.json"
        [[ $(json "d['silenced']" "$TMP/$name.json") == 0 ]] || fail "$name: blocks silenced"
    done
    lv2apply -i "$src" -o "$TMP/$name.ref.wav" "$@" "$uri" >"$TMP/lv2apply.log" 2>&1 ||
        fail "lv2apply $uri: $(tail -c 300 "$TMP/lv2apply.log")"
    for b in ${BLOCKS:-4096 64}; do
        same "$TMP/$name.$b.wav" "$TMP/$name.ref.wav" "$name (block $b)"
    done
}

plugin_case swh_amp "$TM" "$TMP/m.wav" http://plugin.org.uk/swh-plugins/amp '{"gain":6}' -c gain 6
plugin_case eg_amp "$TM" "$TMP/m.wav" http://lv2plug.in/plugins/eg-amp '{"gain":-3.5}' -c gain -3.5
# swh's delays glide from the last delay time to the new one over each run call, so their
# output depends on the block size; lv2apply runs one frame at a time, and so does this render.
BLOCKS=1 plugin_case swh_delay "$TM" "$TMP/m.wav" http://plugin.org.uk/swh-plugins/delay_n \
    '{"max_delay":0.5,"delay_time":0.01}' -c max_delay 0.5 -c delay_time 0.01
plugin_case mda_delay "$TS" "$TMP/s.wav" http://drobilla.net/plugins/mda/Delay \
    '{"l_delay":0.2,"r_delay":0.1,"feedback":0.6,"fx_mix":0.5}' \
    -c l_delay 0.2 -c r_delay 0.1 -c feedback 0.6 -c fx_mix 0.5

# Bad plugin input.
HEAD=$(reel --json project show "$P" | json "d['version']")
bad() { # WANT GRAPH-PLUGIN-NODE [CONNECTION-EXTRA]
    expect_fail any reel graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$TM"'"},'"$2"',
      {"id":"o","kind":"output","channels":1}],"connections":[{"from":"t","to":"fx"'"${3:-}"'},{"from":"fx","to":"o"}]}'
    grep -q -- "$1" "$TMP/ef.err" || fail "expected '$1' in: $(cat "$TMP/ef.err")"
}
bad "urn:reel:no-such-plugin is not installed" '{"id":"fx","kind":"plugin","uri":"urn:reel:no-such-plugin"}'
bad "no control input 'volume'" '{"id":"fx","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/amp","params":{"volume":1}}'
bad "gain is not a number" '{"id":"fx","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/amp","params":{"gain":"loud"}}'
bad "outside its range -70..70" '{"id":"fx","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/amp","params":{"gain":100}}'
bad "channel 0 -> 3" '{"id":"fx","kind":"plugin","uri":"http://plugin.org.uk/swh-plugins/amp"}' ',"from_channel":0,"to_channel":3'
[[ $(reel --json project show "$P" | json "d['version']") == "$HEAD" ]] || fail "a refused graph moved the head"
pass
