#!/usr/bin/env bash
# MIDI clock ticks are captured: `reel serve` records jack_midi_clock (Debian's
# jack-midi-clock: MIDI beat clock, 0xF8 24 times a quarter note, while the JACK transport
# rolls) on a private `jackd -d dummy`, and a session's marks carry the stream's MIDI clock
# ticks.
#   (a) a mark taken before the transport rolls has no ticks (null: none ever arrived);
#   (b) after jack_transport starts the transport, every later mark's ticks are exactly the
#       pulses recorded before the mark's frame: counted by midicsv in `reel slice` of the
#       stream from its first frame to the mark (.mid, pulses as F7-escaped 0xF8 bytes),
#       so the Start (0xFA) jack_midi_clock sends first is not counted;
#   (c) the pulses are the clock that was sent: in the raw records of a segment, exactly
#       the marks' difference of them, 1000 frames apart (120 bpm at 48 kHz), or more by
#       whole periods the server skipped or whole pulses lost to an xrun, never closer;
#   (d) `reel status` of the stream shows midi_clock_ticks, and they only grow;
#   (e) a MIDI stream the session starts (stream_create) and stops: its segment's end (its
#       last frame) carries every pulse it recorded (midicsv of its slice).
# jack_midi_dump listens alongside: it must have seen pulses (the oracle of "sent").
source "$(dirname "$0")/lib.sh"
for t in jack_midi_clock jack_transport midicsv jack_midi_dump; do
    command -v "$t" >/dev/null 2>&1 || {
        echo "skip: $t not installed (scripts/deps.sh installs it)"
        exit 77
    }
done
source "$(dirname "$0")/jack_lib.sh"
export JACK_NO_START_SERVER=1
cd "$TMP"
reel init >/dev/null
start_jackd

# 120 bpm whatever the (absent) timecode master says; no song position messages.
start_client jack_midi_clock -b 120 -B -P
PORT=$(for ((i = 0; i < 250; i++)); do
    p=$(jack_lsp -s "$SRV" 2>/dev/null | grep -m1 '^jack_midi_clock:' || true)
    [[ -n $p ]] && { echo "$p"; break; }
    sleep 0.02
done)
[[ -n $PORT ]] || fail "jack_midi_clock has no port: $(tail -n 3 "$TMP/jack-clients.log" | tr '\n' ' ')"
start_client jack_midi_dump -a mdump
wait_port mdump:input
connect "$PORT" mdump:input

URI=stream://jack/clock
reel_bg serve.log serve --source "jack-midi:$PORT" --stream $URI --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready serve.log "$SERVE"
grep -qs 'engine connected' serve.log || fail "serve did not connect its engine: $(cat serve.log)"

# head_past FRAME: wait (bounded) until the stream's head is past FRAME.
head_past() {
    local i h
    for ((i = 0; i < 200; i++)); do
        h=$(status_field $URI head_frame)
        ((h > $1)) && return 0
        sleep 0.05
    done
    fail "the head stays at $h, not past $1"
}

ok reel --json session create --stream $URI >s.json
ID=$(json "d['id']" s.json)
# ---- (a) no clock yet ---------------------------------------------------------------------
head_past 4800
ok reel --json session play "$ID" >p1.json
[[ $(json "d['segments'][0]['start']['streams']['$URI']['midi_ticks']" p1.json) == null ]] ||
    fail "(a) ticks before the transport rolled: $(tr -d '\n ' <p1.json)"

# ---- (b) the transport rolls ----------------------------------------------------------------
echo play | jack_transport -s "$SRV" >>jack-clients.log 2>&1
for ((i = 0; i < 200; i++)); do
    t=$(status_field $URI midi_clock_ticks 2>/dev/null || true)
    [[ $t =~ ^[0-9]+$ ]] && ((t > 0)) && break
    sleep 0.05
done
[[ $t =~ ^[0-9]+$ ]] && ((t > 0)) || fail "(b) no MIDI clock ticks in status after the transport rolled: $(reel --json status $URI)"
f=$(status_field $URI head_frame)
head_past $((f + 48000))
ok reel --json session play "$ID" >/dev/null
f=$(status_field $URI head_frame)
head_past $((f + 48000))
ok reel --json session stop "$ID" >done.json

# mark SEG start|end FIELD
mark() {
    json "d['segments'][$1]['$2']['streams']['$URI']['$3']" done.json
}
FIRST=$(status_field $URI first_frame)
# pulses_before FRAME: 0xF8 events among the stream's events in [FIRST, FRAME), by midicsv.
pulses_before() {
    local out=$TMP/upto-$1.mid
    ok reel slice $URI --from "#$FIRST" --to "#$1" --out "$out" >/dev/null
    midicsv "$out" >"$out.csv" || fail "midicsv cannot read $out"
    grep -c 'System_exclusive_packet, 1, 248$' "$out.csv" || true
}
checked=0
for mk in "0 end" "1 start" "1 end"; do
    set -- $mk
    F=$(mark $1 $2 frame)
    T=$(mark $1 $2 midi_ticks)
    [[ $T =~ ^[0-9]+$ ]] || fail "(b) segment $(($1 + 1)) $2: no ticks ($T): $(tr -d '\n ' <done.json)"
    head_past "$F"
    want=$(pulses_before "$F")
    [[ $T == "$want" ]] ||
        fail "(b) segment $(($1 + 1)) $2 at frame $F: $T ticks, the recording has $want pulses before it"
    checked=$((checked + 1))
done
[[ $(mark 0 end frame) == $(mark 1 start frame) && $(mark 0 end midi_ticks) == $(mark 1 start midi_ticks) ]] ||
    fail "(b) segment 2 must start where segment 1 ended"

# ---- (c) the pulses are the clock sent: one every 1000 frames ------------------------------------
# The raw records (midi_record.h) of segment 2: pulses 1000 frames apart (120 bpm, 24 a beat,
# 48 kHz), most gaps exactly that; a gap longer by whole periods where the server skipped
# cycles (reel writes them as time, the transport does not move) or by whole pulses where a
# cycle was lost to an xrun; off that grid only where the stream counted xruns: JACK2 then
# resets its frame clock by the time that passed (not whole periods; reel keeps positions true
# to that clock), and a client that missed its cycle delivers its events a cycle late (a gap one
# period longer, the next one period shorter). Then at most one such gap per xrun and a tenth of
# the gaps; never any without an xrun.
ok reel slice $URI --from "#$(mark 1 start frame)" --to "#$(mark 1 end frame)" --format raw \
    --out "$TMP/seg2.raw" >/dev/null
XR=$(status_field $URI xruns)
python3 - "$TMP/seg2.raw" $PERIOD $(($(mark 1 end midi_ticks) - $(mark 1 start midi_ticks))) "$XR" <<'EOF' ||
import struct, sys
b, period, want = open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3])
xruns = int(sys.argv[4])
pos, frames = 0, []
while pos < len(b):
    frame, _, n = struct.unpack_from("<QqI", b, pos)
    frames += [frame] * b[pos + 20:pos + 20 + n].count(0xF8)
    pos += 20 + n
gaps = [y - x for x, y in zip(frames, frames[1:])]
# A gap is m pulses (m > 1: a cycle reel missed, its pulses lost) and k skipped periods.
bad = [g for g in gaps if not any((g - 1000 * m) % period == 0 for m in range(1, g // 1000 + 1))]
exact = sum(g == 1000 for g in gaps)
# only where xruns were counted: one per xrun, a tenth of the gaps at most
if bad and xruns > 0 and len(bad) <= min(xruns, len(gaps) // 10) and all(g > 0 for g in bad):
    print(f"note: {len(bad)} gaps off the period grid after {xruns} xruns: {bad}", file=sys.stderr)
    bad = []
if len(frames) != want or bad or exact < 0.5 * len(gaps) or len(gaps) < 40:
    sys.exit(f"{len(frames)} pulses (the marks say {want}); gaps not 1000 + k periods: "
             f"{bad[:10]}; {exact} of {len(gaps)} exactly 1000; {xruns} xruns")
EOF
    fail "(c) the recorded pulses are not jack_midi_clock's 120 bpm clock"
midicsv "$TMP/upto-$(mark 1 end frame).mid" >"$TMP/upto.csv"
grep -q 'System_exclusive_packet, 1, 250$' "$TMP/upto.csv" ||
    fail "(c) jack_midi_clock's Start (0xFA) is not in the recording: $(grep -v ', 1, 248$' "$TMP/upto.csv" | head -c 600 | tr '\n' '|')"
grep -qE '^ *[0-9]+: f8( |$)' jack-clients.log || fail "(c) jack_midi_dump saw no clock pulse"

# ---- (e) a stream the session starts and stops ---------------------------------------------------
# Its segment ends at its last frame, with every pulse it recorded.
B=stream://jack/clock-b
ok reel call stream_create "{\"source\": \"jack-midi:$PORT\", \"uri\": \"$B\"}" >create_b.json
ok reel --json session create --stream $B >sb.json
IDB=$(json "d['id']" sb.json)
ok reel --json session play "$IDB" >pb.json
for ((i = 0; i < 200; i++)); do
    t=$(status_field $B midi_clock_ticks 2>/dev/null || true)
    [[ $t =~ ^[0-9]+$ ]] && ((t >= 24)) && break
    sleep 0.05
done
ok reel --json session stop "$IDB" >doneb.json
EB=$(json "d['segments'][0]['end']['streams']['$B']['frame']" doneb.json)
TB=$(json "d['segments'][0]['end']['streams']['$B']['midi_ticks']" doneb.json)
[[ $(status_field $B state) == stopped && $(status_field $B head_frame) == "$EB" ]] ||
    fail "(e) $B should be stopped at its segment's end $EB: $(reel --json status $B)"
[[ $TB =~ ^[0-9]+$ ]] && ((TB >= 24)) || fail "(e) end ticks '$TB': $(tr -d '\n ' <doneb.json)"
ok reel slice $B --from "#$(status_field $B first_frame)" --to "#$EB" --out "$TMP/b.mid" >/dev/null
midicsv "$TMP/b.mid" >"$TMP/b.csv"
wantb=$(grep -c 'System_exclusive_packet, 1, 248$' "$TMP/b.csv" || true)
[[ $TB == "$wantb" ]] || fail "(e) $TB ticks at the end, $B recorded $wantb pulses"
[[ $(status_field $B midi_clock_ticks) -le $TB ]] || fail "(e) status shows more ticks than recorded"
echo stop | jack_transport -s "$SRV" >>jack-clients.log 2>&1

# ---- (d) status -------------------------------------------------------------------------------------
s1=$(status_field $URI midi_clock_ticks)
((s1 >= $(mark 1 end midi_ticks))) || fail "(d) status shows $s1 ticks, fewer than the last mark's"
kill -INT $SERVE
wait_bg $SERVE
s2=$(status_field $URI midi_clock_ticks)
((s2 >= s1)) || fail "(d) status ticks went back from $s1 to $s2"
fsck_clean
stop_clients
echo "$checked marks, $(mark 1 end midi_ticks) ticks at the last; $(status_field $URI xruns) xruns"
pass
