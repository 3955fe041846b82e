#!/usr/bin/env bash
# moments.sh — triggered capture end to end, with python over the audio as the oracle.
#
#   (a) a file of silence, a -10 dBFS tone, silence: exactly one level moment, at the first
#       frame python finds at or above -30 dBFS, with the tone's peak level; a slice of
#       moment:ID-0.5s..+0.5s has that frame at 0.5 s; a marker lands at the head; --trigger
#       off and a threshold above the tone record none; bad input gets one clear line;
#   (b) `reel serve` recording jack_metro (120 bpm) on `jackd -d dummy`: one moment per beep,
#       24000 frames apart; the same list from `reel moments --json` and from
#       GET /api/streams/{uri}/moments; "moment" server-sent events for them; a slice with
#       pre-roll around a moment holds the beep at exactly 0.5 s and the previous beep before
#       it (the stream recorded regardless of the trigger).
source "$(dirname "$0")/lib.sh"
need curl jack_metro jack_midiseq midicsv

# onset.py FILE THRESH_DB: "<frames> <first frame at or above THRESH_DB> <peak dBFS>" of
# channel 0 of a WAV (PCM i16 or float), and the frames of every rise after >= 0.25 s quiet.
cat >"$TMP/onset.py" <<'EOF'
import math, struct, sys
b = open(sys.argv[1], "rb").read()
thr = 10 ** (float(sys.argv[2]) / 20)
i, data, ch, fmt, bits = 12, None, 1, 1, 16
while i + 8 <= len(b):
    cid, n = b[i:i + 4], struct.unpack_from("<I", b, i + 4)[0]
    if cid == b"fmt ":
        fmt, ch = struct.unpack_from("<HH", b, i + 8)
        bits = struct.unpack_from("<H", b, i + 22)[0]
    if cid == b"data":
        data = b[i + 8:i + 8 + n]
        break
    i += 8 + n + (n & 1)
if bits == 32:
    x = struct.unpack(f"<{len(data) // 4}f", data)[::ch]
else:
    x = [v / 32768 for v in struct.unpack(f"<{len(data) // 2}h", data)[::ch]]
first = next((k for k, v in enumerate(x) if abs(v) >= thr), -1)
peak = max(abs(v) for v in x)
rises, quiet = [], 10**9
for k, v in enumerate(x):
    if abs(v) >= thr:
        if quiet >= 12000:
            rises.append(k)
        quiet = 0
    else:
        quiet += 1
print(len(x), first, "%.2f" % (20 * math.log10(peak) if peak > 0 else -999), *rises)
EOF
onset() { python3 "$TMP/onset.py" "$@"; }

# ---- (a) one tone in a file -------------------------------------------------------------
sox -D -n -r 48000 -c 1 -b 16 -e signed-integer tone.wav \
    synth 1.5 sine 440 gain -100 : synth 1 sine 1000 gain -10 : synth 1 sine 440 gain -100 ||
    fail "sox could not make tone.wav"
read -r n first peak _ <<<"$(onset tone.wav -30)"
[[ $n -eq 168000 && $first -ge 72000 && $first -lt 72100 ]] || fail "(a) the oracle says $n frames, onset $first"
ok reel --json record --source file:tone.wav --fast --chunk-frames 4800 >rec.json
[[ $(json "d['moments']" rec.json) -eq 1 ]] || fail "(a) record says $(json "d['moments']" rec.json) moments"
U=stream://file/tone
ok reel --json moments $U >m.json
[[ $(json "len(d)" m.json) -eq 1 ]] || fail "(a) $(json "len(d)" m.json) moments: $(cat m.json)"
[[ $(json "d[0]['frame']" m.json) -eq $first ]] || fail "(a) moment at #$(json "d[0]['frame']" m.json), the first loud frame is #$first"
[[ $(json "d[0]['kind'] + ' ' + str(d[0]['name']) + ' ' + d[0]['stream']" m.json) == "level None $U" ]] ||
    fail "(a) moment fields: $(cat m.json)"
python3 -c "import sys; sys.exit(abs($(json "d[0]['level_db']" m.json) - $peak) > 0.05)" ||
    fail "(a) level $(json "d[0]['level_db']" m.json) dBFS, the file peaks at $peak"
ID=$(json "d[0]['id']" m.json)
ok reel moments $U | grep -q "^moment:$ID .* #$first .* level .*dBFS" || fail "(a) human listing: $(reel moments $U)"
# Pre-roll: the slice starts 0.5 s before the moment, so the onset sits at frame 24000.
slice_ok $U --from "moment:$ID-0.5s" --to "moment:$ID+0.5s" --out cut.wav
[[ $SL_FROM -eq $((first - 24000)) && $SL_TO -eq $((first + 24000)) ]] || fail "(a) slice #$SL_FROM..#$SL_TO"
read -r n cfirst _ <<<"$(onset cut.wav -30)"
[[ $n -eq 48000 && $cfirst -eq 24000 ]] || fail "(a) the slice has $n frames, first loud at $cfirst (want 24000)"
# A marker at the head, named.
ok reel --json marker $U --name "take two" >mk.json
[[ $(json "d['frame']" mk.json) -eq 168000 && $(json "d['kind']" mk.json) == marker &&
    $(json "d['name']" mk.json) == "take two" ]] || fail "(a) marker: $(cat mk.json)"
[[ $(reel --json moments $U | json "[m['kind'] for m in d]") == '["level", "marker"]' ]] ||
    fail "(a) after the marker: $(reel --json moments $U)"
# No trigger, or a threshold above the tone: no moments (but the same frames).
record_file tone.wav --stream stream://file/off --trigger off
[[ $(reel --json moments stream://file/off | json "len(d)") -eq 0 ]] || fail "(a) --trigger off made moments"
record_file tone.wav --stream stream://file/high --trigger-db -5
[[ $(reel --json moments stream://file/high | json "len(d)") -eq 0 ]] || fail "(a) a -5 dB threshold fired on a -10 dB tone"
record_file tone.wav --stream stream://file/low --trigger-db -12 --trigger-hold 100ms
[[ $(reel --json moments stream://file/low | json "len(d)") -eq 1 ]] || fail "(a) a -12 dB threshold missed a -10 dB tone"
# Bad input: one line, exit 2 for usage, 1 for what the store does not have.
expect_fail 1 reel moments stream://nope/x
expect_fail 2 reel moments
expect_fail 2 reel record --source file:tone.wav --trigger-db 5
expect_fail 2 reel record --source file:tone.wav --trigger loud
expect_fail 2 reel record --source file:tone.wav --trigger-hold 0s
expect_fail 2 reel serve --trigger level,
expect_fail 1 reel slice $U --from moment:999 --to head
grep -q "no moment 999" "$TMP/ef.err" || fail "(a) $(cat "$TMP/ef.err")"
expect_fail 2 reel slice $U --from moment:0 --to head
expect_fail 2 reel slice $U --from "moment:$ID-" --to head
expect_fail 1 reel slice $U --from "moment:$ID-10s" --to head
grep -q "before the stream began" "$TMP/ef.err" || fail "(a) $(cat "$TMP/ef.err")"
expect_fail 1 reel marker stream://nope/x
expect_fail 2 reel marker $U --name "$(printf 'a\tb')"

# ---- (b) the metronome through reel serve ------------------------------------------------
source "$(dirname "$0")/jack_lib.sh"
start_jackd
start_metro
# A note of 50 ms once a second: each note-on after 0.95 s of quiet is a burst.
start_client jack_midiseq seq 48000 0 60 2400
wait_port seq:out
J=stream://jack/metro
S=stream://jack/seq
# Per-source triggers: level for the metronome, MIDI for the sequencer.
reel_bg "$TMP/serve.log" serve --listen 127.0.0.1:0 --source jack:metro:120_bpm --stream $J \
    --trigger level --source jack-midi:seq:out --stream $S --trigger midi
serve_pid=$BG_PID
for ((i = 0; i < 200; i++)); do
    grep -q "HTTP on " "$TMP/serve.log" && break
    sleep 0.05
done
URL=$(sed -n 's/^reel serve: HTTP on //p' "$TMP/serve.log")
[[ $URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "(b) serve's URL: $(cat "$TMP/serve.log")"
curl -sS -N --max-time 8 "$URL/api/events" >events.txt 2>/dev/null &
BG_PIDS+=($!)
sleep 5
kill -TERM "$serve_pid"
wait_bg "$serve_pid"
xruns=$(status_field $J xruns)
head=$(status_field $J head_frame)
EJ=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' $J)
curl -sS --max-time 10 -o api.json -w '%{http_code}' "$URL/api/streams/$EJ/moments" >code.txt 2>/dev/null || true
# serve is gone: read the list again through `reel http`.
"$REEL" --store "$STORE" http --listen 127.0.0.1:0 >http.url 2>http.err &
BG_PIDS+=($!)
http_pid=$!
for ((i = 0; i < 100; i++)); do [[ -s http.url ]] && break; sleep 0.05; done
HURL=$(head -n 1 http.url)
code=$(curl -sS --max-time 10 -o api.json -w '%{http_code}' "$HURL/api/streams/$EJ/moments") || fail "(b) curl"
[[ $code == 200 ]] || fail "(b) GET moments: HTTP $code $(cat api.json)"
code=$(curl -sS --max-time 10 -o nope.json -w '%{http_code}' "$HURL/api/streams/stream%3A%2F%2Fno%2Fx/moments")
[[ $code == 404 ]] || fail "(b) GET moments of an unknown stream: HTTP $code"
kill -TERM "$http_pid"
ok reel --json moments $J >cli.json
[[ $(json "json.dumps(d, sort_keys=True)" api.json) == "$(json "json.dumps(d, sort_keys=True)" cli.json)" ]] ||
    fail "(b) the API and the CLI disagree: $(head -c 300 api.json) / $(head -c 300 cli.json)"
read -r -a fr <<<"$(json "' '.join(str(m['frame']) for m in d if m['kind'] == 'level')" cli.json)"
# A beep already sounding when the recording began is a moment at its first frame, not at the
# beep's onset (which came before the recording): the spacing is checked from the next one.
first=$(status_field $J first_frame)
if ((${#fr[@]} > 1 && fr[0] == first && fr[1] - fr[0] < 24000 - 2)); then
    echo "note: (b) a beep was sounding at the first frame (moment at $first, next at ${fr[1]})"
    fr=("${fr[@]:1}")
fi
beeps=$(((head + 23999) / 24000))
((${#fr[@]} >= beeps - 1 && ${#fr[@]} <= beeps + 1 && ${#fr[@]} >= 6)) ||
    fail "(b) ${#fr[@]} moments in $head frames (about $beeps beeps): ${fr[*]}"
for ((k = 1; k < ${#fr[@]}; k++)); do
    d=$((fr[k] - fr[k - 1]))
    if ((d < 23998 || d > 24002)); then
        [[ $xruns -gt 0 ]] || fail "(b) moments $d frames apart, not 24000: ${fr[*]}"
        echo "note: (b) moments $d frames apart with $xruns xruns"
    fi
done
echo "note: (b) ${#fr[@]} moments over $head frames, $xruns xruns: ${fr[*]}"
# Server-sent events: a "moment" event for each moment stored while clients listened.
sse=$(python3 - "$J" <<'EOF'
import json, sys
ids, ev = [], None
for line in open("events.txt"):
    line = line.rstrip("\r\n")
    if line.startswith("event:"):
        ev = line[6:].strip()
    elif line.startswith("data:") and ev == "moment":
        m = json.loads(line[5:])
        if m["stream"] == sys.argv[1]:
            assert m["kind"] == "level" and m["level_db"] < 0, m
            ids.append(m["id"])
print(" ".join(map(str, ids)))
EOF
) || fail "(b) bad moment event: $(grep -A1 moment events.txt | head -4)"
read -r -a sse_ids <<<"$sse"
((${#sse_ids[@]} >= ${#fr[@]} - 2)) || fail "(b) ${#sse_ids[@]} moment events for ${#fr[@]} moments"
api_ids=" $(json "' '.join(str(m['id']) for m in d)" cli.json) "
for s in "${sse_ids[@]}"; do [[ $api_ids == *" $s "* ]] || fail "(b) event for moment $s, not listed"; done
# Pre-roll around the third moment: its beep at exactly 0.5 s, the one before at the start.
M=$(json "[m['id'] for m in d if m['kind'] == 'level'][2]" cli.json)
MF=$(json "[m['frame'] for m in d if m['kind'] == 'level'][2]" cli.json)
slice_ok $J --from "moment:$M-0.5s" --to "moment:$M+0.5s" --out beat.wav
[[ $SL_FROM -eq $((MF - 24000)) ]] || fail "(b) slice from #$SL_FROM, moment at #$MF"
read -r n _ _ rises <<<"$(onset beat.wav -30)"
read -r -a rises <<<"$rises"
[[ $n -eq 48000 && ${#rises[@]} -eq 2 && ${rises[1]} -eq 24000 && ${rises[0]} -le 4 ]] ||
    fail "(b) the slice ($n frames) rises at: ${rises[*]} (want the earlier beep near 0, this one at 24000)"
echo "note: (b) ${#sse_ids[@]} moment events; the slice rises at ${rises[*]}"
# MIDI: one moment per note (its note-off is the same burst), 48000 frames apart, each on a
# note-on that midicsv finds at tick 0 of a slice starting at the moment.
ok reel --json moments $S >seq.json
read -r -a mf <<<"$(json "' '.join(str(m['frame']) for m in d if m['kind'] == 'midi' and m['level_db'] is None)" seq.json)"
[[ $(json "len(d)" seq.json) -eq ${#mf[@]} ]] || fail "(b) the MIDI stream has other moments: $(cat seq.json)"
shead=$(status_field $S head_frame)
((${#mf[@]} >= shead / 48000 - 1 && ${#mf[@]} <= shead / 48000 + 1 && ${#mf[@]} >= 3)) ||
    fail "(b) ${#mf[@]} MIDI moments in $shead frames: ${mf[*]}"
for ((k = 1; k < ${#mf[@]}; k++)); do
    d=$((mf[k] - mf[k - 1]))
    ((d == 48000)) || [[ $xruns -gt 0 ]] || fail "(b) MIDI moments $d frames apart, not 48000: ${mf[*]}"
done
SM=$(json "d[1]['id']" seq.json)
slice_ok $S --from "moment:$SM" --to "moment:$SM+10ms" --out note.mid
midicsv note.mid >note.csv || fail "(b) midicsv cannot read the slice"
grep -Eq '^1, 0, Note_on_c, [0-9]+, 60, [1-9]' note.csv || fail "(b) no note-on at tick 0: $(tr '\n' ' ' <note.csv)"
# The metronome's moment, as the sequencer's clock sees it: another stream's moment slices
# by wall clock.
slice_ok $S --from "moment:$M-0.5s" --to "moment:$M+0.5s" --out cross.mid
echo "note: (b) ${#mf[@]} MIDI moments over $shead frames: ${mf[*]}"
fsck_clean
pass
