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
sox -D "$TMP/a.wav" "$TMP/b.wav" "$TMP/c.wav" -e floating-point -b 32 "$TMP/abc.wav" remix 1 1 ||
    fail "sox: concatenation"
pcm_same "$TMP/chain.wav" "$TMP/abc.wav"
pcm_same "$TMP/chain1000.wav" "$TMP/abc.wav"
json_check "d['frames'] == $R * 3 // 2" "$TMP/chain.json"
json_check "[(e['from'], e['action'], e.get('to')) for e in d['follow']] == [('$CA', 'PlayNextClip', '$CB'), ('$CB', 'PlayNextClip', '$CC'), ('$CC', 'Stop', None)]" "$TMP/chain.json"
json_check "[e['frame'] for e in d['follow']] == [24000, 36000, 72000]" "$TMP/chain.json"
ART=$(json "d['artifact']" "$TMP/chain.json")
ok reel --json show "$ART" >"$TMP/art.json"
json_check "len(d['meta']['follow']) == 3" "$TMP/art.json"
pass "PlayNextClip chains a group gaplessly"
