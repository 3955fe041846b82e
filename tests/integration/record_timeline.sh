#!/usr/bin/env bash
# record_timeline.sh — recording into a timeline while it plays (track_record_start/stop): a
# click track plays to a JACK loop (reel's output port connected back to the input port of the
# stream `reel serve` records), a take of that stream is recorded into a second track, and the
# take becomes a clip of the stream's window (a virtual slice, no copy) placed by the shared
# frame clock minus the round trip (here one period: the loop is inside reel's own client).
# The check: rendering the take's track alone and the click track alone over the take's range
# gives the same samples, bit for bit — the recorded clicks line up with the originals to the
# frame. The same after the fact (track_record_place): the clicks played with nobody
# recording a take, then a window of the stream from that time placed where it was played.
# The reply reports latency_ms and latency_compensated_play_position. A take during
# which the server skipped cycles is reported and taken again (at most 3 takes). Bad input:
# record without playing, stop without start, a stream that does not record.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
need sox
start_jackd

# Clicks: 2 ms of 1 kHz every 250 ms, 2 s.
sox -D -n -r $RATE -c 1 -e floating-point -b 32 "$TMP/click.wav" synth 0.002 sine 1000 \
    pad 0 0.248 repeat 7 || fail "sox: click.wav"
ok reel init >/dev/null
AC=$(import_art "$TMP/click.wav")
edit project create overdub --rate $RATE
P=$(idof project)
edit track add "$P" --channels 1 --name clicks
T1=$(idof track)
edit track add "$P" --channels 1 --name takes
T2=$(idof track)
edit clip add "$P" --track "$T1" --at 0.5 --source "$AC"

URI=stream://jack/take
reel_bg "$TMP/serve.log" serve --source jack:system:capture_1 --stream $URI --sample-format f32 \
    --listen 127.0.0.1:0 --no-osc
SERVE_PID=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE_PID"
wait_port reel:take_1
jack_disconnect -s "$SRV" system:capture_1 reel:take_1

expect_fail any reel call track_record_stop
grep -q "nothing is loaded\|not recording" "$TMP/ef.err" || fail "stop first: $(cat "$TMP/ef.err")"

# playing_at FRAME: once the transport plays at or past FRAME (transport_state waits for it,
# at most 10 s), its state in $TMP/state.json.
playing_at() {
    ok reel call transport_state '{"until_frame": '"$1"'}' >"$TMP/state.json"
}

# empty_takes: the takes track empty again (an earlier take's clip removed).
empty_takes() {
    edit project show "$P"
    for c in $(json "' '.join(c['id'] for c in d['document']['timelines'][0]['clips'] if c['track'] == '$T2')" "$TMP/ok.json"); do
        edit clip remove "$P" "$c"
    done
}
# take: play the clicks into the loop, record a take while it plays, place it; then verify.
take() {
    empty_takes
    reel_bg "$TMP/play.log" play "$P" --from 0 --port reel:take_1 --seconds 3.5
    local play_pid=$BG_PID
    playing_at $((RATE / 5))
    ok reel call track_record_start '{"project": "'"$P"'", "track": "'"$T2"'", "stream": "'$URI'"}' >/dev/null
    playing_at $((RATE * 23 / 10))
    ok reel call track_record_stop >"$TMP/rec.json"
    wait_bg "$play_pid"
    verify
}
# later: play the clicks into the loop with nobody recording a take, then place a window of
# the stream from then (after the fact: capture never stopped); then verify.
later() {
    empty_takes
    local h0 h1
    h0=$(status_field $URI head_frame)
    ok reel play "$P" --from 0 --port reel:take_1 --seconds 3 >/dev/null
    h1=$(status_field $URI head_frame)
    ok reel call transport_state >"$TMP/state.json"
    json_check "not d['playing']" "$TMP/state.json"
    ok reel call track_record_place '{"project": "'"$P"'", "track": "'"$T2"'", "stream": "'$URI'",
        "from": "#'$((h0 + RATE * 3 / 4))'", "to": "#'$((h1 - RATE / 4))'"}' >"$TMP/rec.json"
    verify
}
# verify: the take ($TMP/rec.json) lines up with the clicks bit for bit (0), or not (3).
verify() {
    ok reel --json project show "$P" >"$TMP/show.json"
    local at len from to
    from=$(json "d['latency_compensated_play_frame']" "$TMP/rec.json")
    len=$(($(json "d['to_frame']" "$TMP/rec.json") - $(json "d['from_frame']" "$TMP/rec.json")))
    to=$((from + len))
    # the clicks alone and the take alone, over the take's range
    ok reel track update "$P" "$T1" --solo >/dev/null
    ok reel --json render "$P" --from "$(python3 -c "print($from / $RATE)")" \
        --to "$(python3 -c "print($to / $RATE)")" --out "$TMP/orig.wav" >/dev/null
    ok reel track update "$P" "$T1" --no-solo >/dev/null
    ok reel track update "$P" "$T2" --solo >/dev/null
    ok reel --json render "$P" --from "$(python3 -c "print($from / $RATE)")" \
        --to "$(python3 -c "print($to / $RATE)")" --out "$TMP/take.wav" >/dev/null
    ok reel track update "$P" "$T2" --no-solo >/dev/null
    python3 - "$TMP/orig.wav" "$TMP/take.wav" "$(dirname "$0")" <<'EOF'
import sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
_, _, a = read_float_wav(sys.argv[1])
_, _, b = read_float_wav(sys.argv[2])
clicks = sum(1 for i in range(1, len(a) // 2) if a[2 * i] != 0 and a[2 * (i - 1)] == 0)
if clicks < 4:
    sys.exit("the take's range holds %d clicks of the original" % clicks)
if a.tobytes() == b.tobytes():
    print("the take lines up with the clicks bit for bit (%d clicks)" % clicks)
    sys.exit(0)
fa = next(i for i in range(len(a) // 2) if a[2 * i] != 0)
fb = next((i for i in range(len(b) // 2) if b[2 * i] != 0), -1)
print("the take does not line up: first click at %d in the original, %d in the take" % (fa, fb))
sys.exit(3)
EOF
}
# attempt FN: up to 3 takes of FN (take or later), each checked; a take with skipped cycles or
# xruns that is not exact is reported and taken again.
attempt() {
exact=0
for t in 1 2 3; do
    xr0=$(status_field $URI xruns)
    rc=0
    "$1" || rc=$?
    json_check "d['latency_frames'] == $PERIOD and abs(d['latency_ms'] - 1000 * $PERIOD / $RATE) < 1e-9" "$TMP/rec.json"
    json_check "d['latency_compensated_play_frame'] == d['play_position_frame'] - $PERIOD" "$TMP/rec.json"
    json_check "abs(d['latency_compensated_play_position'] - d['latency_compensated_play_frame'] / $RATE) < 1e-9" "$TMP/rec.json"
    skips=$(json "d['device_skips']" "$TMP/state.json")
    xr=$(($(status_field $URI xruns) - xr0))
    if [[ $rc -eq 0 ]]; then
        exact=1
        break
    fi
    [[ $rc -eq 3 ]] || fail "take $t: the comparison failed (exit $rc)"
    [[ $skips -gt 0 || $xr -gt 0 ]] || fail "take $t: the take is not where it was played, with no skipped cycle or xrun"
    echo "note: take $t had $skips skipped cycles and $xr xruns: taken again" >&2
done
[[ $exact == 1 ]] || echo "note: every $1 had skipped cycles; exact placement not checked"
}
attempt take
# The clip is the stream's window, held by a virtual slice.
SL=$(json "d['slice']" "$TMP/rec.json")
ok reel --json show "$SL" >"$TMP/slice.json"
json_check "d['kind'] == 'virtual-slice'" "$TMP/slice.json"
# After the fact: a window recorded a while ago, while the clicks played, placed where it was
# played (the transport's history of where it was at each device frame).
attempt later
expect_fail any reel call track_record_place '{"project": "'"$P"'", "track": "'"$T2"'", "stream": "'$URI'", "from": "-0.5s", "to": "-0.2s"}'
grep -q "stopped" "$TMP/ef.err" || fail "placing a window from a stop: $(cat "$TMP/ef.err")"

# Bad input: recording while stopped, a stream that does not record.
expect_fail any reel call track_record_start '{"project": "'"$P"'", "track": "'"$T2"'", "stream": "'$URI'"}'
grep -q "not playing" "$TMP/ef.err" || fail "record while stopped: $(cat "$TMP/ef.err")"
expect_fail any reel call track_record_start '{"project": "'"$P"'", "track": "'"$T2"'", "stream": "stream://nope/x"}'
kill -INT "$SERVE_PID"
wait_bg "$SERVE_PID"
pass
