#!/usr/bin/env bash
# project_cli.sh — the project commands for people (`reel project`, `reel track`, `reel take
# place`, `reel clip`, `reel marker add`...), flags typed by each op's schema.
# A sox-made 150 s file is recorded as a stream; `reel take place STREAM --from -2m --to -90s`
# puts a 30 s window on a track: its frames are where soxi's frame count says they are, and
# `reel slice` of the same window gives a WAV of the clip's frames with sox's samples. A
# sox-made FLAC is imported and placed by its blake3 hash (frames from soxi), split (the parts
# at frame offsets computed here), joined (the original clip back, field for field), moved,
# trimmed, grouped, muted and unmuted; undo and redo move the head along the history.
# Bad input (an unknown flag, a non-number, NaN and infinities, a missing operand, an extra
# operand, a split outside the clip, a stale --base) fails with one line and leaves the
# project's history exactly as it was. The same commands with a running `reel serve`: the ops
# run there (its "project" event on /api/events names the new version).
source "$(dirname "$0")/lib.sh"
need soxi curl

RATE=8000
sox -D -n -r $RATE -c 1 -b 16 -e signed-integer "$TMP/take.wav" synth 150 sine 440 gain -3 ||
    fail "sox: take.wav"
N=$(soxi -s "$TMP/take.wav")
[[ $N -eq $((150 * RATE)) ]] || fail "sox made $N frames, not $((150 * RATE))"
record_file "$TMP/take.wav"
S=stream://file/take

# json_check EXPR FILE: EXPR (python over d) must be true.

# A project and a track, every value from the flags.
ok reel project create song --rate $RATE --seed 7 >"$TMP/create.json"
P=$(json "d['project']" "$TMP/create.json")
json_check "d['name'] == 'song' and d['version'].startswith('blake3:')" "$TMP/create.json"
ok reel project show "$P" >"$TMP/show.json"
json_check "d['document']['rate'] == $RATE and d['document']['seed'] == 7 and d['head']" "$TMP/show.json"
ok reel project list >"$TMP/list.json"
json_check "[p['project'] for p in d['projects']] == ['$P']" "$TMP/list.json"
ok reel track add "$P" --name takes --channels 1 --gain 0.5 --mute >"$TMP/track.json"
T=$(json "d['track']" "$TMP/track.json")
ok reel track update "$P" "$T" --no-mute --pan=-0.25 >/dev/null
ok reel project show "$P" >"$TMP/show.json"
json_check "[t for t in d['document']['tracks'] if t['id'] == '$T'] == [{'id': '$T', 'name': 'takes', 'kind': 'audio', 'channels': 1, 'gain': 0.5, 'pan': -0.25, 'mute': False}]" "$TMP/show.json"

# Markers with repeated and comma-separated tags, an event with a JSON payload, a tempo map.
ok reel marker add "$P" --at 4.5 --name intro --tag a --tag b,c >"$TMP/marker.json"
M=$(json "d['marker']" "$TMP/marker.json")
ok reel event add "$P" --at 1 --type ui_show --target panel --payload '{"a": 1}' >/dev/null
ok reel tempo set "$P" --tempo '[{"beat": 0, "bpm": 100, "num": 3, "den": 4}]' >/dev/null
ok reel project show "$P" >"$TMP/show.json"
json_check "d['document']['timelines'][0]['markers'] == [{'id': '$M', 'at': 4.5, 'name': 'intro', 'tags': ['a', 'b', 'c']}]" "$TMP/show.json"
json_check "[(e['at'], e['type'], e['target'], e['payload']) for e in d['document']['timelines'][0]['events']] == [(1, 'ui_show', 'panel', {'a': 1})]" "$TMP/show.json"
json_check "d['document']['tempo'] == [{'beat': 0, 'bpm': 100, 'num': 3, 'den': 4}]" "$TMP/show.json"
ok reel marker remove "$P" "$M" >/dev/null

# The take, exactly as the issue writes it: the window [N - 2 min, N - 90 s) of the stream.
ok reel take place "$S" --from -2m --to -90s --project "$P" --track "$T" --at 16 >"$TMP/place.json"
C1=$(json "d['clip']" "$TMP/place.json")
FROM=$((N - 120 * RATE)) TO=$((N - 90 * RATE))
json_check "d['from_frame'] == $FROM and d['to_frame'] == $TO" "$TMP/place.json"
ok reel project show "$P" >"$TMP/show.json"
json_check "[(c['track'], c['at'], c['start'], c['end'], c['source']['stream'], c['source']['frames']) for c in d['document']['timelines'][0]['clips'] if c['id'] == '$C1'] == [('$T', 16, 0, $((TO - FROM)), '$S', $((TO - FROM)))]" "$TMP/show.json"
# reel slice of the same window: the clip's frames, sox's samples.
slice_ok "$S" --from -2m --to -90s --out "$TMP/win.wav"
[[ $SL_FROM == "$FROM" && $SL_TO == "$TO" ]] || fail "slice window $SL_FROM..$SL_TO, the take $FROM..$TO"
[[ $(soxi -s "$TMP/win.wav") == $((TO - FROM)) ]] || fail "slice has $(soxi -s "$TMP/win.wav") frames, the clip $((TO - FROM))"
sox_ref "$TMP/take.wav" "$TMP/ref.wav" "$FROM" "$TO"
pcm_same "$TMP/win.wav" "$TMP/ref.wav"

# An imported FLAC, placed by its hash.
sox -D -n -r $RATE -c 1 -b 16 "$TMP/b.flac" synth 3 sine 300 || fail "sox: b.flac"
FR=$(soxi -s "$TMP/b.flac")
ok reel import "$TMP/b.flac" >"$TMP/import.json"
H=$(json "d['hash']" "$TMP/import.json")
[[ $H == "blake3:$(hash_of "$TMP/b.flac")" ]] || fail "import hash $H is not b3sum's"
ok reel clip add "$P" --track "$T" --at 50 --source "$H" --gain 0.8 >"$TMP/add.json"
C2=$(json "d['clip']" "$TMP/add.json")
ok reel project show "$P" >"$TMP/show.json"
clip_of() { # clip_of ID FILE: that clip's JSON
    json "[c for t in d['document']['timelines'] for c in t['clips'] if c['id'] == '$1'][0]" "$2"
}
clip_of "$C2" "$TMP/show.json" >"$TMP/c2.json"
json_check "d['source']['blob'] == '$H' and d['source']['frames'] == $FR and d['start'] == 0 and d['end'] == $FR and d['at'] == 50 and d['gain'] == 0.8" "$TMP/c2.json"

# Split at 51.5 s: the source frame under it is 1.5 s in.
ok reel clip split "$P" --clip "$C2" --at 51.5 >"$TMP/split.json"
C3=$(json "d['clips'][1]" "$TMP/split.json")
json_check "d['clips'][0] == '$C2'" "$TMP/split.json"
ok reel project show "$P" >"$TMP/show.json"
D=$((3 * RATE / 2))
json_check "[(c['start'], c['end'], c['at']) for t in d['document']['timelines'] for c in t['clips'] if c['id'] in ('$C2', '$C3')] == [(0, $D, 50), ($D, $FR, 51.5)]" "$TMP/show.json"
# Join: the original clip back, field for field.
ok reel clip join "$P" "$C2" "$C3" >"$TMP/join.json"
json_check "d['clip'] == '$C2'" "$TMP/join.json"
ok reel project show "$P" >"$TMP/show.json"
clip_of "$C2" "$TMP/show.json" >"$TMP/c2b.json"
cmp -s "$TMP/c2.json" "$TMP/c2b.json" || fail "split then join: $(cat "$TMP/c2b.json"), not $(cat "$TMP/c2.json")"
json_check "'$C3' not in [c['id'] for t in d['document']['timelines'] for c in t['clips']]" "$TMP/show.json"
# Move, trim, group, mute (a boolean alone) and unmute (--mute=false).
ok reel clip move "$P" "$C2" --at 60.25 >/dev/null
ok reel clip trim "$P" "$C2" --start 800 --end 16000 >/dev/null
ok reel clip group "$P" "$C1" "$C2" >"$TMP/group.json"
G=$(json "d['group']" "$TMP/group.json")
ok reel clip update "$P" "$C2" --mute --fade-in 80 >/dev/null
ok reel project show "$P" >"$TMP/show.json"
clip_of "$C2" "$TMP/show.json" >"$TMP/c2.json"
json_check "(d['at'], d['start'], d['end'], d['group'], d['mute'], d['fade_in']) == (60.25, 800, 16000, '$G', True, 80)" "$TMP/c2.json"
json_check "[c.get('group') for t in d['document']['timelines'] for c in t['clips'] if c['id'] == '$C1'] == ['$G']" "$TMP/show.json"
ok reel clip update "$P" "$C2" --mute=false >/dev/null
ok reel clip group "$P" --clips "$C1,$C2" --group mine >/dev/null
ok reel project show "$P" >"$TMP/show.json"
json_check "sorted((c['id'], c['group'], c.get('mute')) for t in d['document']['timelines'] for c in t['clips']) == sorted([('$C1', 'mine', None), ('$C2', 'mine', False)])" "$TMP/show.json"

# History: one version per edit (create, track add/update, marker add, event, tempo, marker
# remove, take, clip add, split, join, move, trim, group, update, update, group).
ok reel project history "$P" >"$TMP/hist.json"
json_check "len(d['versions']) == 17 and d['versions'][-1]['head'] and d['redo'] == []" "$TMP/hist.json"
json_check "[v['op'] for v in d['versions']][-4:] == ['clip_group', 'clip_update', 'clip_update', 'clip_group']" "$TMP/hist.json"
PREV=$(json "d['versions'][-2]['version']" "$TMP/hist.json")
LAST=$(json "d['versions'][-1]['version']" "$TMP/hist.json")
ok reel project undo "$P" >"$TMP/undo.json"
json_check "d['version'] == '$PREV'" "$TMP/undo.json"
ok reel project history "$P" >"$TMP/hist.json"
json_check "d['head'] == '$PREV' and d['redo'] == ['$LAST'] and len(d['versions']) == 17" "$TMP/hist.json"
ok reel project show "$P" >"$TMP/show.json"
json_check "sorted(c.get('group') for t in d['document']['timelines'] for c in t['clips']) == ['$G', '$G']" "$TMP/show.json"
ok reel project show "$P" --version "$LAST" >"$TMP/showv.json"
json_check "not d['head'] and d['version'] == '$LAST'" "$TMP/showv.json"
ok reel project redo "$P" --base "$PREV" >"$TMP/redo.json"
json_check "d['version'] == '$LAST'" "$TMP/redo.json"
ok reel project history "$P" >"$TMP/hist.json"
json_check "d['head'] == '$LAST' and d['redo'] == []" "$TMP/hist.json"

# Bad input: one line, nothing changed.
cp "$TMP/hist.json" "$TMP/hist.before"
ok reel project list >"$TMP/list.before"
expect_fail 2 reel project create --colour red
grep -q "project create: unknown option '--colour' (known: --name, --rate, --seed)" "$TMP/ef.err" ||
    fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip split "$P" "$C2" --at abc
grep -q -- "--at wants a finite number, not 'abc'" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
for v in nan NaN inf -inf infinity 1e400 0x10 4s ''; do
    expect_fail 2 reel clip split "$P" "$C2" --at "$v"
    grep -q -- "--at wants a finite number" "$TMP/ef.err" || fail "--at '$v': $(cat "$TMP/ef.err")"
done
expect_fail 2 reel clip trim "$P" "$C2" --start 1.5
grep -q -- "--start wants a whole number" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip update "$P" "$C2" --mute=maybe
grep -q -- "--mute wants true or false" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip split --at 3
grep -q "no PROJECT given" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel project show
grep -q "no PROJECT given" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip split "$P" "$C2"
grep -q -- "--at is required" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel take place "$S" --from -2m --to -90s --track "$T" --at 1
grep -q -- "--project is required" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip remove "$P" "$C2" extra
grep -q "unexpected operand 'extra'" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip split "$P" "$C2" --at 1 --at 2
grep -q -- "--at given twice" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip split "$P" "$C2" --at
grep -q -- "--at needs a value" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel event add "$P" --at 1 --type ui_show --payload '{"a":'
grep -q -- "--payload wants a JSON value" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip frob "$P"
grep -q "unknown subcommand 'frob'" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
# The service's own checks, through the same commands.
expect_fail any reel clip split "$P" "$C2" --at 1000
grep -q "not inside it" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip update "$P" "$C2" --gain 17
grep -q "gain" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
NOSUCH=c999-${C2##*-} # this project's id tag: not "another project's"
expect_fail any reel clip remove "$P" "$NOSUCH"
grep -q "no clip '$NOSUCH'" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail 2 reel clip remove "$P" c1-ffff
grep -q "belongs to another project" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail any reel clip move "$P" "$C2" --at 1 --base "$PREV"
grep -q "\[conflict\]\|head is" "$TMP/ef.err" || fail "unclear: $(cat "$TMP/ef.err")"
expect_fail any reel take place "$S" --from -10m --to -9m --project "$P" --track "$T" --at 0
expect_fail any reel project show prj-nosuch
ok reel project history "$P" >"$TMP/hist.after"
cmp -s "$TMP/hist.before" "$TMP/hist.after" || fail "bad input changed the history"
ok reel project list >"$TMP/list.after"
cmp -s "$TMP/list.before" "$TMP/list.after" || fail "bad input changed the project list"

# ---- with a running serve: the commands run their ops there (it publishes a "project" event) ---
reel_bg "$TMP/serve.log" serve --source tone:440 --no-osc --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE"
curl -sS -N --max-time 60 "$SERVE_URL/api/events" >"$TMP/events.txt" 2>/dev/null &
BG_PIDS+=($!)
for ((i = 0; i < 300; i++)); do # open once serve's greeting arrived
    [[ -s $TMP/events.txt ]] && break
    sleep 0.05
done
[[ -s $TMP/events.txt ]] || fail "no /api/events stream within 15 s"
ok reel clip move "$P" "$C2" --at 70 --base "$LAST" >"$TMP/served.json"
V=$(json "d['version']" "$TMP/served.json")
for ((i = 0; i < 300; i++)); do
    grep -q "$V" "$TMP/events.txt" && break
    sleep 0.05
done
grep -B2 "$V" "$TMP/events.txt" | grep -q '^event: project$' ||
    fail "serve published no project event for $V: $(tail -c 400 "$TMP/events.txt")"
expect_fail 2 reel clip move "$P" "$C2" --at inf
expect_fail any reel clip split "$P" "$C2" --at 1000
ok reel project undo "$P" >/dev/null
kill -TERM "$SERVE"
wait_bg "$SERVE"
ok reel project history "$P" >"$TMP/hist.json"
json_check "d['head'] == '$LAST' and d['redo'] == ['$V'] and len(d['versions']) == 18" "$TMP/hist.json"

# Prune keeps the head's last N versions and the redo stack (V).
ok reel project prune "$P" --keep 3 >"$TMP/prune.json"
json_check "d['dropped'] == 14" "$TMP/prune.json"
ok reel project history "$P" >"$TMP/hist.json"
json_check "[v['version'] for v in d['versions']][-2:] == ['$LAST', '$V'] and len(d['versions']) == 4 and d['head'] == '$LAST' and d['redo'] == ['$V']" "$TMP/hist.json"

# An action clip: events as JSON (an object is one more, an array extends), split and joined.
ok reel clip add "$P" --track "$T" --at 100 --kind action --length 4 \
    --events '{"at": 1, "type": "script"}' --events '[{"at": 3, "type": "script"}]' >"$TMP/act.json"
A=$(json "d['clip']" "$TMP/act.json")
ok reel project show "$P" >"$TMP/show.json"
clip_of "$A" "$TMP/show.json" >"$TMP/a1.json"
json_check "[(e['at'], e['type']) for e in d['events']] == [(1, 'script'), (3, 'script')] and d['length'] == 4" "$TMP/a1.json"
ok reel clip split "$P" "$A" --at 102 >"$TMP/split.json"
A2=$(json "d['clips'][1]" "$TMP/split.json")
ok reel project show "$P" >"$TMP/show.json"
clip_of "$A2" "$TMP/show.json" >"$TMP/a2.json"
json_check "d['at'] == 102 and d['length'] == 2 and [e['at'] for e in d['events']] == [1]" "$TMP/a2.json"
ok reel clip join "$P" "$A2" "$A" >/dev/null
ok reel project show "$P" >"$TMP/show.json"
clip_of "$A" "$TMP/show.json" >"$TMP/a3.json"
python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(a != b)' \
    "$TMP/a1.json" "$TMP/a3.json" || fail "action split then join: $(cat "$TMP/a3.json"), not $(cat "$TMP/a1.json")"
pass
