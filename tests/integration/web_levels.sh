#!/usr/bin/env bash
# web_levels.sh — the web page's live meters come from the recorder, not from the chunks.
# `reel serve` records the built-in tone (a sine of amplitude 0.5: peak 0.5, RMS
# 0.5/sqrt(2) = 0.35355) in two channels; /api/events is listened to:
#   (a) every "levels" event of the stream over a full head interval reports, per channel,
#       a peak of 0.5 and an RMS of 0.35355 (independent oracle: the sine's own maths),
#       and frames that advance the way the head does;
#   (b) while the meters flow, GET /api/debug shows the HTTP server read no chunk
#       (peak_cache.chunk_reads stays 0); a peaks request then does read chunks, so the
#       counter is able to move (the check can fail).
source "$(dirname "$0")/lib.sh"
need curl

URI=stream://tone/meters
reel_bg "$TMP/serve.log" serve --source tone:440 --stream $URI --channels 2 --no-osc \
    --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE"
URL=$SERVE_URL
[[ -n $URL ]] || fail "serve printed no URL: $(cat "$TMP/serve.log")"

: >"$TMP/events"
curl -sS -N "$URL/api/events" >"$TMP/events" 2>/dev/null &
BG_PIDS+=($!)
# Wait (bounded) for 12 levels events of the stream.
n=0
for _ in $(seq 100); do
    n=$(grep -c '"stream":"'$URI'".*"rms"' "$TMP/events" || true)
    ((n >= 12)) && break
    kill -0 "$SERVE" 2>/dev/null || fail "serve exited: $(tail -3 "$TMP/serve.log")"
    sleep 0.1
done
((n >= 12)) || fail "only $n levels events in 10 s: $(tail -c 600 "$TMP/events")"

cat >"$TMP/check.py" <<'PY'
import json, math, sys
uri, A = sys.argv[2], 0.5
evs = []
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l == "event: levels" and i + 1 < len(lines) and lines[i + 1].startswith("data: "):
        d = json.loads(lines[i + 1][6:])
        if d["stream"] == uri:
            evs.append(d)
if len(evs) < 12:
    sys.exit(f"{len(evs)} levels events")
checked, last = 0, None
for d in evs:
    if len(d["peak"]) != 2 or len(d["rms"]) != 2 or d["sample_rate"] != 48000:
        sys.exit(f"bad event {d}")
    if last is not None and d["frame"] - d["frames"] != last:
        sys.exit(f"the meters skip or repeat frames: {last} then {d}")
    last = d["frame"]
    if d["frames"] < 2400:  # the first, partial interval: too few cycles for the RMS
        continue
    for c in range(2):
        if abs(d["peak"][c] - A) > 0.002:
            sys.exit(f"channel {c} peak {d['peak'][c]} != {A}: {d}")
        if abs(d["rms"][c] - A / math.sqrt(2)) > 0.01 * A:
            sys.exit(f"channel {c} rms {d['rms'][c]} != {A / math.sqrt(2):.5f}: {d}")
    checked += 1
if checked < 8:
    sys.exit(f"only {checked} full intervals")
print(checked)
PY
python3 "$TMP/check.py" "$TMP/events" $URI >"$TMP/checked" || fail "levels: $(cat "$TMP/checked")"

# (b) the meters read no chunk; a peaks request does.
reads() { curl -sSf "$URL/api/debug" | json "d['peak_cache']['chunk_reads']"; }
[[ $(reads) == 0 ]] || fail "the HTTP server read $(reads) chunks while only meters flowed"
E=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' $URI)
curl -sSf "$URL/api/streams/$E/peaks?from=%230&to=head&bins=10" -o /dev/null ||
    fail "GET peaks failed"
r=$(reads)
((r > 0)) || fail "a peaks request read no chunk: the counter cannot move"

kill -TERM "$SERVE"
wait_bg "$SERVE"
echo "$(cat "$TMP/checked") meter intervals at peak 0.5 and RMS 0.354 per channel;" \
    "0 chunk reads for them, $r for one peaks request"
pass
