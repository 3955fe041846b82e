#!/usr/bin/env bash
# follow_actions.sh — follow actions (model/follow) rendered and checked on the samples, with
# sox as the oracle (sources made by sox, expected audio assembled by sox from the sources):
#  - a group of three clips (distinct tones) chained by PlayNextClip, the last one stopping:
#    the render is the three sources concatenated, exactly (no gap, no overlap), at blocks of
#    64 and 1000 frames alike, and the choices are in the reply and the artifact's metadata;
#  - LoopClip with a count, after linked loops: the clip N times back to back;
#  - Stop after an unlinked time (cut exactly there), JumpToMarker, PlayTimeline and
#    StopTimeline across two timelines, TriggerActionClip whose action clip sets a gain;
#  - RandomClipInGroup seeded: two renders choose the same sequence (read back from the
#    samples by each clip's tone), another seed another one; the switch (follow enable false)
#    plays clips where they are placed;
#  - bad input, one line and no new version each: an unknown clip, marker, timeline or action
#    clip, a chance past 100, a zero "after", timelines that trigger each other in no time.
source "$(dirname "$0")/lib.sh"
need sox
R=48000
step() { echo "  ok: $*"; }
# concat OUT IN...: sox's concatenation of the inputs, as float on both channels of the stereo
# master (a mono track at pan 0 feeds both at unity).
concat() {
    local out=$1
    shift
    sox -D "$@" -e floating-point -b 32 "$TMP/$out.wav" remix 1 1 || fail "sox: $out"
}
# tone NAME FREQ SECONDS: a mono float source at R.
tone() {
    sox -D -n -r $R -c 1 -e floating-point -b 32 "$TMP/$1.wav" synth "$3" sine "$2" gain -3 ||
        fail "sox: $1.wav"
}
tone a 330 0.5
tone b 550 0.25
tone c 770 0.75
ok reel init >/dev/null
A=$(import_art "$TMP/a.wav")
B=$(import_art "$TMP/b.wav")
C=$(import_art "$TMP/c.wav")
edit project create follow --rate $R
P=$(idof project)
edit track add "$P" --channels 1
T=$(idof track)
# placed far apart and out of order: follow actions decide what plays when
edit clip add "$P" --track "$T" --at 0 --source "$A" --group g
CA=$(idof clip)
edit clip add "$P" --track "$T" --at 5 --source "$B" --group g
CB=$(idof clip)
edit clip add "$P" --track "$T" --at 9 --source "$C" --group g
CC=$(idof clip)
TL=$(reel project show "$P" | json "d['document']['timelines'][0]['id']")

edit follow set "$P" --scope group --target g --timeline "$TL" --a '{"action":"PlayNextClip"}'
edit follow set "$P" --scope clip --target "$CC" --a '{"action":"Stop"}'
ok reel --json render "$P" --out "$TMP/chain.wav" --block 64 --format wav >"$TMP/chain.json"
ok reel --json render "$P" --out "$TMP/chain1000.wav" --block 1000 >"$TMP/chain1000.json"
# expected: sox's concatenation, on both channels of the stereo master (a mono track at pan 0)
concat abc "$TMP/a.wav" "$TMP/b.wav" "$TMP/c.wav"
pcm_same "$TMP/chain.wav" "$TMP/abc.wav"
pcm_same "$TMP/chain1000.wav" "$TMP/abc.wav"
json_check "d['frames'] == $R * 3 // 2" "$TMP/chain.json"
json_check "[(e['from'], e['action'], e.get('to')) for e in d['follow']] == [('$CA', 'PlayNextClip', '$CB'), ('$CB', 'PlayNextClip', '$CC'), ('$CC', 'Stop', None)]" "$TMP/chain.json"
json_check "[e['frame'] for e in d['follow']] == [24000, 36000, 72000]" "$TMP/chain.json"
ART=$(json "d['artifact']" "$TMP/chain.json")
ok reel --json show "$ART" >"$TMP/art.json"
json_check "len(d['meta']['follow']) == 3" "$TMP/art.json"
step "PlayNextClip chains a group gaplessly"

# newproj NAME [create options]: a project of one mono track; sets P, T, TL (its first timeline).
newproj() {
    local name=$1
    shift
    edit project create "$name" --rate $R "$@"
    P=$(idof project)
    edit track add "$P" --channels 1
    T=$(idof track)
    TL=$(reel project show "$P" | json "d['document']['timelines'][0]['id']")
}
# render_to NAME [render options]: the head rendered into $TMP/NAME.wav, the reply NAME.json.
render_to() {
    local name=$1
    shift
    ok reel --json render "$P" --out "$TMP/$name.wav" "$@" >"$TMP/$name.json"
}

# LoopClip: two linked loops, then three more repeats: five plays of a back to back.
newproj loop
edit clip add "$P" --track "$T" --at 0 --source "$A"
CL=$(idof clip)
edit follow set "$P" --scope clip --target "$CL" --loops 2 --a '{"action":"LoopClip","count":3}'
render_to loop
concat a5 "$TMP/a.wav" "$TMP/a.wav" "$TMP/a.wav" "$TMP/a.wav" "$TMP/a.wav"
pcm_same "$TMP/loop.wav" "$TMP/a5.wav"
json_check "[e['action'] for e in d['follow']] == ['LoopClip'] and d['follow'][0]['frame'] == 48000" "$TMP/loop.json"
step "LoopClip after two linked loops plays the clip five times"

# Stop, unlinked: c cut at exactly 0.3 s (14400 frames), silence after.
newproj stop
edit clip add "$P" --track "$T" --at 0 --source "$C"
CL=$(idof clip)
refuses "after" reel follow set "$P" --scope clip --target "$CL" --no-linked --a '{"action":"Stop"}'
refuses "after" reel follow set "$P" --scope clip --target "$CL" --no-linked --after 0 --a '{"action":"Stop"}'
edit follow set "$P" --scope clip --target "$CL" --no-linked --after 0.3 --a '{"action":"Stop"}'
render_to stop --to 1
sox -D "$TMP/c.wav" -e floating-point -b 32 "$TMP/c03.wav" trim 0 14400s pad 0 33600s remix 1 1 ||
    fail "sox: c03"
pcm_same "$TMP/stop.wav" "$TMP/c03.wav"
step "Stop after an unlinked 0.3 s cuts the clip on that frame"

# JumpToMarker: a plays, then the timeline goes on from marker m (1 s), where b is placed.
newproj jump
edit clip add "$P" --track "$T" --at 0 --source "$A"
CL=$(idof clip)
edit clip add "$P" --track "$T" --at 1 --source "$B"
edit clip add "$P" --track "$T" --at 3 --source "$C"
edit marker add "$P" --name m --at 1
M=$(idof marker)
refuses "no marker" reel follow set "$P" --scope clip --target "$CL" --a '{"action":"JumpToMarker","marker":"m404"}'
edit follow set "$P" --scope clip --target "$CL" --a '{"action":"JumpToMarker","marker":"'"$M"'"}'
render_to jump
# c is placed 2 s after the marker: it sounds 2 s after the jump, at 2.5 s
sox -D -n -r $R -c 1 -e floating-point -b 32 "$TMP/gap.wav" trim 0 1.75 || fail "sox: gap"
concat jump_ref "$TMP/a.wav" "$TMP/b.wav" "$TMP/gap.wav" "$TMP/c.wav"
pcm_same "$TMP/jump.wav" "$TMP/jump_ref.wav"
step "JumpToMarker plays on from the marker, at the frame the clip ended"

# PlayTimeline and StopTimeline: a's end starts timeline t2 (b, then c at 0.25 s); b's end
# stops the main timeline, whose c at 2 s never plays, and t2 plays on.
newproj tls
edit clip add "$P" --track "$T" --at 0 --source "$A"
CL=$(idof clip)
edit clip add "$P" --track "$T" --at 2 --source "$C"
edit timeline add "$P" --name t2
T2=$(idof timeline)
edit clip add "$P" --timeline "$T2" --track "$T" --at 0 --source "$B"
CB2=$(idof clip)
edit clip add "$P" --timeline "$T2" --track "$T" --at 0.25 --source "$C"
refuses "no timeline" reel follow set "$P" --scope clip --target "$CL" --a '{"action":"PlayTimeline","timeline":"t404"}'
edit follow set "$P" --scope clip --target "$CL" --a '{"action":"PlayTimeline","timeline":"'"$T2"'"}'
edit follow set "$P" --scope clip --target "$CB2" --a '{"action":"StopTimeline","timeline":"'"$TL"'"}' --b '{"action":"NoAction"}' --chance 100
render_to tls
concat tls_ref "$TMP/a.wav" "$TMP/b.wav" "$TMP/c.wav"
pcm_same "$TMP/tls.wav" "$TMP/tls_ref.wav"
json_check "[(e['action'], e.get('to')) for e in d['follow']] == [('PlayTimeline', '$T2'), ('StopTimeline', '$TL')]" "$TMP/tls.json"
step "PlayTimeline starts another timeline on the frame, StopTimeline stops one"

# TriggerActionClip: 0.25 s into c, action clip X fires; its event 0.1 s in sets the track's
# gain to 0.5: from frame 16800 on, c plays at half.
newproj trig
edit clip add "$P" --track "$T" --at 0 --source "$C"
CL=$(idof clip)
edit clip add "$P" --track "$T" --kind action --at 20 --length 1 \
    --event '{"at":0.1,"type":"widgetChange","target":"'"$T"':gain","payload":{"value":0.5}}'
X=$(idof clip)
refuses "no action clip" reel follow set "$P" --scope clip --target "$CL" --no-linked --after 0.25 --a '{"action":"TriggerActionClip","action_clip":"'"$CL"'"}'
edit follow set "$P" --scope clip --target "$CL" --no-linked --after 0.25 --a '{"action":"TriggerActionClip","action_clip":"'"$X"'"}'
render_to trig
sox -D "$TMP/c.wav" -e floating-point -b 32 "$TMP/c_head.wav" trim 0 16800s || fail "sox"
sox -D "$TMP/c.wav" -e floating-point -b 32 "$TMP/c_tail.wav" trim 16800s vol 0.5 || fail "sox"
concat trig_ref "$TMP/c_head.wav" "$TMP/c_tail.wav"
pcm_same "$TMP/trig.wav" "$TMP/trig_ref.wav" --tol 1
step "TriggerActionClip runs the action clip's gain change on its frame"

# tones_of NAME: the sequence of clips in $TMP/NAME.wav read from its samples alone: at each
# clip's start, the tone's frequency by zero crossings over 0.1 s names the clip (a 330 Hz,
# 24000 frames; b 550 Hz, 12000; c 770 Hz, 36000), and the next one starts after it.
tones_of() {
    sox -D "$TMP/$1.wav" -t raw -e floating-point -b 32 -c 1 "$TMP/$1.raw" remix 1 ||
        fail "sox: $1.raw"
    python3 - "$TMP/$1.raw" <<'PYEOF'
import array, sys
x = array.array('f')
x.frombytes(open(sys.argv[1], 'rb').read())
clips = {330: ('a', 24000), 550: ('b', 12000), 770: ('c', 36000)}
pos, seq = 0, []
while pos + 4800 <= len(x):
    w = x[pos + 1:pos + 4801]
    zc = sum(1 for i in range(1, len(w)) if (w[i - 1] < 0) != (w[i] < 0))
    f = zc * 10 / 2
    name, n = min(clips.items(), key=lambda kv: abs(kv[0] - f))[1]
    if abs(f - min(clips, key=lambda k: abs(k - f))) > 20:
        sys.exit(f"no known tone at frame {pos}: {f} Hz")
    seq.append(name)
    pos += n
print(''.join(seq))
PYEOF
}

# RandomClipInGroup, seeded: the same sequence in two renders, from the samples and the log;
# another seed, another sequence.
rand_project() { # NAME SEED
    newproj "$1" --seed "$2"
    edit clip add "$P" --track "$T" --at 0 --source "$A" --group g
    RA=$(idof clip)
    edit clip add "$P" --track "$T" --at 1 --source "$B" --group g
    RB=$(idof clip)
    edit clip add "$P" --track "$T" --at 2 --source "$C" --group g
    RC=$(idof clip)
    edit follow set "$P" --scope group --target g --timeline "$TL" --a '{"action":"RandomClipInGroup"}'
}
rand_project rand 7
refuses "never stop" reel render "$P" --out "$TMP/never.wav"
render_to r1 --to 12
render_to r2 --to 12 --block 333
S1=$(tones_of r1)
S2=$(tones_of r2)
[[ $S1 == "$S2" && ${#S1} -ge 12 ]] || fail "RandomClipInGroup: two renders chose $S1 and $S2"
LOGSEQ=$(json "'a' + ''.join({'$RA': 'a', '$RB': 'b', '$RC': 'c'}[e['to']] for e in d['follow'] if e['frame'] < 12 * $R)" "$TMP/r1.json")
[[ ${LOGSEQ:0:${#S1}} == "$S1" ]] || fail "the log says $LOGSEQ, the samples $S1"
json_check "d['content'] == '$(json "d['content']" "$TMP/r2.json")'" "$TMP/r1.json"
[[ $S1 == *a*b* || $S1 == *b*a* ]] && [[ $S1 == *c* ]] || fail "RandomClipInGroup never left: $S1"
P7=$P TL7=$TL RA7=$RA
rand_project rand9 9
render_to r9 --to 12
S9=$(tones_of r9)
[[ $S9 != "$S1" ]] || fail "seeds 7 and 9 chose the same sequence $S1"
step "RandomClipInGroup: seed 7 plays $S1 twice, seed 9 plays $S9"

# The switch: follow actions off, the clips play where they are placed (a 0, b 1, c 2 s).
P=$P7 TL=$TL7 RA=$RA7
edit follow enable "$P" false
render_to off
json_check "d['frames'] == int(2.75 * $R) and 'follow' not in d" "$TMP/off.json"
edit follow enable "$P" true
step "follow enable false plays the clips where they are placed"

# Bad input: each one line, and the head does not move.
HEAD=$(reel --json project show "$P" | json "d['version']")
refuses "no audio clip" reel follow set "$P" --scope clip --target c404 --a '{"action":"Stop"}'
refuses "chance" reel follow set "$P" --scope clip --target "$RA" --chance 101 --a '{"action":"Stop"}'
refuses "loops" reel follow set "$P" --scope clip --target "$RA" --loops 0 --a '{"action":"Stop"}'
refuses "want one of" reel follow set "$P" --scope clip --target "$RA" --a '{"action":"Explode"}'
refuses "group" reel follow set "$P" --scope timeline --target "$TL" --a '{"action":"PlayNextClip"}'
refuses "no follow action" reel follow clear "$P" --follow f404
# two empty timelines that start each other when they end: no time ever passes
edit timeline add "$P" --name e1
E1=$(idof timeline)
edit timeline add "$P" --name e2
E2=$(idof timeline)
edit follow set "$P" --scope timeline --target "$E1" --a '{"action":"PlayTimeline","timeline":"'"$E2"'"}'
HEAD=$(reel --json project show "$P" | json "d['version']")
refuses "no time passing" reel follow set "$P" --scope timeline --target "$E2" --a '{"action":"PlayTimeline","timeline":"'"$E1"'"}'
[[ $(reel --json project show "$P" | json "d['version']") == "$HEAD" ]] ||
    fail "a refused follow_set moved the head"
step "bad input refused, one line each, nothing stored"

# Nested timelines: a beats timeline "kid" (b at beat 0, c at beat 10) inside the seconds
# timeline at 1 s, with the tempo 120 bpm to beat 8 and 90 after: beat 10 is 8 * 0.5 + 2 *
# 60/90 s = 16/3 s after the kid's start, so c sounds at 1 s + 256000 frames. A second nested
# clip at 10 s loops the kid's first beat (0.5 s, b in it) for 1.25 s: b at 10, 10.5, 11 s.
newproj nest
edit tempo set "$P" --tempo '[{"beat":0,"bpm":120,"num":4,"den":4},{"beat":8,"bpm":90,"num":4,"den":4}]'
edit timeline add "$P" --name kid --timebase beats
K=$(idof timeline)
edit clip add "$P" --timeline "$K" --track "$T" --at 0 --source "$B"
edit clip add "$P" --timeline "$K" --track "$T" --at 10 --source "$C"
edit marker add "$P" --timeline "$K" --name top --at 0
M0=$(idof marker)
edit marker add "$P" --timeline "$K" --name one --at 1
M1=$(idof marker)
edit clip add "$P" --track "$T" --kind timeline --nested "$K" --at 1
edit clip add "$P" --track "$T" --kind timeline --nested "$K" --at 10 --length 1.25 \
    --loop-start-marker "$M0" --loop-end-marker "$M1"
render_to nest --to 12
for s in b c; do
    sox -D "$TMP/$s.wav" -t raw -e floating-point -b 32 "$TMP/$s.raw" || fail "sox: $s.raw"
done
python3 - "$TMP" $R <<'PYEOF'
import array, sys
tmp, r = sys.argv[1], int(sys.argv[2])
def raw(n):
    a = array.array('f'); a.frombytes(open(f"{tmp}/{n}.raw", 'rb').read()); return a
b, c = raw('b'), raw('c')
out = array.array('f', bytes(4 * 12 * r))
def put(src, at, n=None):
    for i in range(len(src) if n is None else n):
        out[at + i] += src[i]
put(b, r)
# beats to seconds by the tempo map, by hand: 8 beats at 120 bpm, then 2 at 90
put(c, r + round((8 * 60 / 120 + 2 * 60 / 90) * r))
for k in range(3):
    put(b, 10 * r + k * r // 2)
st = array.array('f', [v for v in out for _ in (0, 1)])
open(f"{tmp}/nest_ref.raw", 'wb').write(st.tobytes())
PYEOF
pcm_same "$TMP/nest.wav" "$TMP/nest_ref.raw" --raw-b 2:$R:f32
step "a nested beats timeline lands its clips on the tempo map's frames, loops between markers"

# Timeline events run where they are: at 0.25 s c's gain halves (audio_clip_param), at 0.5 s c
# stops and b starts (audio_clip_stop, audio_clip_start), at 1 s the timeline jumps to marker
# m at 2 s, where b is placed; a ui_show is logged for surfaces.
newproj events
edit clip add "$P" --track "$T" --at 0 --source "$C"
CE=$(idof clip)
edit clip add "$P" --track "$T" --at 2 --source "$B"
BE=$(idof clip)
edit marker add "$P" --name m --at 2
ME=$(idof marker)
edit event add "$P" --at 0.1 --type ui_show --target panel
edit event add "$P" --at 0.25 --type audio_clip_param --target "$CE" --payload '{"value":0.5}'
edit event add "$P" --at 0.5 --type audio_clip_stop --target "$CE"
edit event add "$P" --at 0.5 --type audio_clip_start --target "$BE"
edit event add "$P" --at 1 --type timeline_jump_marker --payload '{"marker":"'"$ME"'"}'
render_to events
json_check "[e['type'] for e in d['follow']] == ['ui_show', 'audio_clip_param', 'audio_clip_stop', 'audio_clip_start', 'timeline_jump_marker'] and d['frames'] == 60000" "$TMP/events.json"
sox -D "$TMP/c.wav" -e floating-point -b 32 "$TMP/e1.wav" trim 0 12000s || fail "sox"
sox -D "$TMP/c.wav" -e floating-point -b 32 "$TMP/e2.wav" trim 12000s =24000s vol 0.5 || fail "sox"
sox -D -n -r $R -c 1 -e floating-point -b 32 "$TMP/e3.wav" trim 0 12000s || fail "sox"
concat events_ref "$TMP/e1.wav" "$TMP/e2.wav" "$TMP/b.wav" "$TMP/e3.wav" "$TMP/b.wav"
pcm_same "$TMP/events.wav" "$TMP/events_ref.wav" --tol 1
step "timeline events start, stop and set clips and jump to a marker on their frames"
# Routing events (routing_update, routing_set) change the graph on their frames: t1 and t2 (a
# bus at 0.5) to master; at 0.5 s t1 is disconnected and the bus goes to unity; at 1 s a new
# graph plays t1 alone at 0.25. The oracle adds the sources by hand (python, float32), at
# blocks of 64 and 1000 alike.
newproj routing
T1=$T
edit track add "$P" --channels 1
T2=$(idof track)
tone l 330 1.5
tone h 550 1.5
LA=$(import_art "$TMP/l.wav")
HA=$(import_art "$TMP/h.wav")
edit clip add "$P" --track "$T1" --at 0 --source "$LA"
edit clip add "$P" --track "$T2" --at 0 --source "$HA"
edit graph set "$P" --graph '{"nodes":[{"id":"t1","kind":"track","track":"'"$T1"'"},
  {"id":"t2","kind":"track","track":"'"$T2"'"},{"id":"bus","kind":"bus","gain":0.5},
  {"id":"master","kind":"output","channels":2}],
  "connections":[{"from":"t1","to":"master"},{"from":"t2","to":"bus"},{"from":"bus","to":"master"}]}'
edit event add "$P" --at 0.5 --type routing_update \
    --payload '{"disconnect":[{"from":"t1","to":"master"}],"set":[{"id":"bus","gain":1}]}'
edit event add "$P" --at 1 --type routing_set --payload '{"graph":{"nodes":[
  {"id":"t1","kind":"track","track":"'"$T1"'"},{"id":"master","kind":"output","channels":2}],
  "connections":[{"from":"t1","to":"master","gain":0.25}]}}'
render_to routing --block 64
render_to routing1000 --block 1000
json_check "[e['type'] for e in d['follow']] == ['routing_update', 'routing_set'] and [e['frame'] for e in d['follow']] == [24000, 48000]" "$TMP/routing.json"
for s in l h; do
    sox -D "$TMP/$s.wav" -t raw -e floating-point -b 32 "$TMP/$s.raw" || fail "sox: $s.raw"
done
python3 - "$TMP" $R <<'PYEOF'
import array, sys
tmp, r = sys.argv[1], int(sys.argv[2])
def raw(n):
    a = array.array('f'); a.frombytes(open(f"{tmp}/{n}.raw", 'rb').read()); return a
l, h = raw('l'), raw('h')
out = array.array('f', bytes(4 * len(l)))
for i in range(len(l)):
    if i < r // 2:
        out[i] = l[i] + array.array('f', [h[i] * 0.5])[0]
    elif i < r:
        out[i] = h[i]
    else:
        out[i] = l[i] * 0.25
st = array.array('f', [v for v in out for _ in (0, 1)])
open(f"{tmp}/routing_ref.raw", 'wb').write(st.tobytes())
PYEOF
pcm_same "$TMP/routing.wav" "$TMP/routing_ref.raw" --raw-b 2:$R:f32
pcm_same "$TMP/routing1000.wav" "$TMP/routing_ref.raw" --raw-b 2:$R:f32
step "routing events change the graph on their frames, in one plan"

# Routing events that cannot play: refused when added, one line, the head unmoved. First a
# good one: two buses chained after 1.2 s.
edit event add "$P" --at 1.2 --type routing_update \
    --payload '{"add":[{"id":"b1","kind":"bus"},{"id":"b2","kind":"bus"}],"connect":[{"from":"b1","to":"b2"}]}'
HEAD=$(reel --json project show "$P" | json "d['version']")
refuses "no connection t2 -> master" reel event add "$P" --at 1.3 --type routing_update \
    --payload '{"disconnect":[{"from":"t2","to":"master"}]}'
refuses "unknown key" reel event add "$P" --at 1.3 --type routing_update --payload '{"move":[]}'
refuses "changes nothing" reel event add "$P" --at 1.3 --type routing_update --payload '{}'
refuses "changes its kind, track, plugin or channels" reel event add "$P" --at 1.3 --type routing_update \
    --payload '{"remove":["t1"],"add":[{"id":"t1","kind":"bus"}],"connect":[{"from":"t1","to":"master"}]}'
refuses "needs payload" reel event add "$P" --at 1.3 --type routing_set --payload '{"graph":{}}'
refuses "no node 'nope'" reel event add "$P" --at 1.3 --type routing_update \
    --payload '{"connect":[{"from":"nope","to":"master"}]}'
# the chain reversed: each graph alone is fine, the two together loop
refuses "cycle: b1 -> b2 -> b1" reel event add "$P" --at 1.3 --type routing_update \
    --payload '{"disconnect":[{"from":"b1","to":"b2"}],"connect":[{"from":"b2","to":"b1"}]}'
[[ $(reel --json project show "$P" | json "d['version']") == "$HEAD" ]] ||
    fail "a refused routing event moved the head"
step "routing events that cannot play are refused, naming what is wrong"
pass
