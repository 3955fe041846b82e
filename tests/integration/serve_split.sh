#!/usr/bin/env bash
# serve_split.sh — `reel serve` with the engine in its own process (`reel engine`), over ipc://.
#
#   (a) one process: serve records the tone, SIGTERM seals everything, the recording is
#       as long as the wall time it ran, fsck is clean;
#   (b) the events serve publishes are read by an independent subscriber (pyzmq) and decoded
#       by the `capnp` tool with our schema: head positions about every 100 ms that grow;
#   (c) split mode: the engine is killed with SIGKILL while recording; the control plane
#       seals what was reported (nothing it had shown as recorded is lost), a second engine
#       resumes the same stream with a gap, no hole in the timeline; fsck clean and the whole
#       take slices to a file sox reads with the expected length.
source "$(dirname "$0")/lib.sh"
need capnp curl
SUBPY=/usr/bin/python3
$SUBPY -c 'import zmq' 2>/dev/null || fail "this test needs python3-zmq (Debian's /usr/bin/python3)"
SCHEMAS=${REEL_SRC:?REEL_SRC must name the source root}/schemas
reel init >/dev/null

# ---- (a) serve in one process, stopped by SIGTERM ---------------------------------------
t0=$(date +%s%N)
reel_bg "$TMP/serve-a.log" serve --source tone:440 --stream stream://tone/a --listen 127.0.0.1:0
pid=$BG_PID
serve_ready "$TMP/serve-a.log" "$pid"
url=$SERVE_URL
[[ $url == http://127.0.0.1:* ]] || fail "(a) no HTTP line: $(cat "$TMP/serve-a.log")"
curl -sf "$url/api/streams" | grep -q '"uri": *"stream://tone/a"' || fail "(a) $url/api/streams: $(curl -s "$url/api/streams")"
curl -sfN -m 1 "$url/api/events" >"$TMP/sse.txt" || true
grep -q '^event: head' "$TMP/sse.txt" || fail "(a) no head events on $url/api/events: $(head -c 300 "$TMP/sse.txt")"
# Until it has shown 2 s recorded (bounded), then stop it.
seen=0
for ((i = 0; i < 300 && seen < 2 * 48000; i++)); do
    seen=$(reel --json status stream://tone/a | json "d['head_frame']")
    ((seen >= 2 * 48000)) || sleep 0.05
done
((seen >= 2 * 48000)) || fail "(a) only $seen frames shown after 15 s"
kill -TERM "$pid"
wait_bg "$pid"
t1=$(date +%s%N)
head -1 "$TMP/serve-a.log" | grep -q "recording stream://tone/a from tone:440 (48000 Hz, 2 ch, f32)" ||
    fail "(a) first line: $(head -1 "$TMP/serve-a.log")"
grep -q "every stream sealed" "$TMP/serve-a.log" || fail "(a) not sealed: $(cat "$TMP/serve-a.log")"
reel --json status stream://tone/a >"$TMP/st-a.json"
[[ $(json "d['state']" "$TMP/st-a.json") == stopped ]] || fail "(a) state: $(cat "$TMP/st-a.json")"
frames=$(json "d['head_frame']" "$TMP/st-a.json")
# The tone keeps wall time: never more frames than the time serve ran (plus one 10 ms
# tolerance for the two clocks), never fewer than it had shown before the stop.
max=$(((t1 - t0) * 48 / 1000000 + 480))
((frames >= seen && frames <= max)) || fail "(a) $frames frames: shown $seen before the stop, serve ran $(((t1 - t0) / 1000000)) ms"
ok reel slice stream://tone/a --from start --to head --out "$TMP/a.wav" >/dev/null
[[ $(soxi -s "$TMP/a.wav") == "$frames" ]] || fail "(a) slice has $(soxi -s "$TMP/a.wav") frames, want $frames"

# ---- (b) + (c) split mode -----------------------------------------------------------------
EP=ipc://$TMP/ctl.sock
PUB=ipc://$TMP/ev.sock
URI=stream://tone/split
reel_bg "$TMP/serve.log" serve --source tone:440 --stream $URI --engine "$EP" --publish "$PUB" --no-http
serve_pid=$BG_PID
# An independent subscriber keeps the first head positions it sees, one frame a file.
$SUBPY - "$PUB" "$TMP/ev" <<'PY' &
import sys, time, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"")
s.connect(sys.argv[1])
deadline, n = time.time() + 20, 0
while time.time() < deadline and n < 12:
    if s.poll(500):
        frames = s.recv_multipart()
        open(f"{sys.argv[2]}.{n}.bin", "wb").write(frames[0])
        with open(f"{sys.argv[2]}.times", "a") as t:
            t.write(f"{time.monotonic()} {len(frames)}\n")
        n += 1
PY
sub_pid=$!
BG_PIDS+=("$sub_pid")
sleep 0.3
reel_bg "$TMP/engine1.log" engine --control "$EP"
eng_pid=$BG_PID
sleep 2.5
wait "$sub_pid" 2>/dev/null || true
[[ -f $TMP/ev.11.bin ]] || fail "(b) the subscriber got $(ls "$TMP" | grep -c '^ev\.[0-9]*\.bin') events"
prev=-1 heads=0
for i in $(seq 0 11); do
    [[ $(awk -v i=$((i + 1)) 'NR == i { print $2 }' "$TMP/ev.times") == 1 ]] || fail "(b) event $i is not one frame"
    txt=$(capnp decode --short "$SCHEMAS/broadcast.capnp" Broadcast <"$TMP/ev.$i.bin" 2>"$TMP/capnp.err") ||
        fail "(b) capnp cannot decode event $i: $(cat "$TMP/capnp.err")"
    [[ ! -s $TMP/capnp.err ]] || fail "(b) capnp warned: $(cat "$TMP/capnp.err")"
    if [[ $txt == "(streamHeadPosition = (streamUri = \"$URI\", samplePosition = "* ]]; then
        pos=${txt#*samplePosition = }
        pos=${pos%%,*}
        [[ $pos -ge $prev ]] || fail "(b) head went back: $prev -> $pos"
        prev=$pos
        heads=$((heads + 1))
    fi
done
[[ $heads -ge 8 ]] || fail "(b) $heads head positions among 12 events"
# ~100 ms apart: 12 events span about a second
span=$(awk 'NR == 1 { a = $1 } END { printf "%d", ($1 - a) * 1000 }' "$TMP/ev.times")
[[ $span -ge 600 && $span -le 2500 ]] || fail "(b) 12 events took $span ms"

# (c) kill the engine: what status showed as recorded must survive.
seen=$(status_field $URI head_frame)
[[ $seen -gt 48000 ]] || fail "(c) only $seen frames recorded after 2.5 s"
kill -9 "$eng_pid"
wait "$eng_pid" 2>/dev/null || true
for _ in $(seq 50); do
    grep -q "engine lost" "$TMP/serve.log" && break
    sleep 0.1
done
grep -q "engine lost" "$TMP/serve.log" || fail "(c) serve did not notice: $(cat "$TMP/serve.log")"
sleep 0.3
reel --json status $URI >"$TMP/st-c.json"
[[ $(json "d['state']" "$TMP/st-c.json") == stopped ]] || fail "(c) not sealed after the kill: $(cat "$TMP/st-c.json")"
sealed=$(json "d['head_frame']" "$TMP/st-c.json")
[[ $sealed -ge $seen ]] || fail "(c) $seen frames were shown as recorded, $sealed sealed"
ok reel fsck >/dev/null
kill -0 "$serve_pid" 2>/dev/null || fail "(c) serve died with the engine"

# A second engine resumes the stream.
reel_bg "$TMP/engine2.log" engine --control "$EP"
eng_pid=$BG_PID
for _ in $(seq 50); do
    [[ $(status_field $URI state) == recording ]] && break
    sleep 0.1
done
sleep 2
kill -TERM "$serve_pid"
wait_bg "$serve_pid"
kill -TERM "$eng_pid"
wait "$eng_pid" 2>/dev/null || true
reel --json status $URI >"$TMP/st-d.json"
[[ $(json "d['state']" "$TMP/st-d.json") == stopped ]] || fail "(c) final state: $(cat "$TMP/st-d.json")"
[[ $(json "d['gaps']" "$TMP/st-d.json") -ge 1 ]] || fail "(c) no gap recorded: $(cat "$TMP/st-d.json")"
total=$(json "d['head_frame']" "$TMP/st-d.json")
[[ $total -gt $((sealed + 48000)) ]] || fail "(c) the second engine added $((total - sealed)) frames in 2 s"
ok reel fsck >/dev/null
ok reel slice $URI --from start --to head --out "$TMP/c.wav" >/dev/null
[[ $(soxi -s "$TMP/c.wav") == "$total" ]] || fail "(c) slice of the whole take: $(soxi -s "$TMP/c.wav") frames, want $total"
# The tone is there on both sides of the gap (no zeros where frames were reported).
rms=$(sox "$TMP/c.wav" -n trim 0 "${sealed}s" stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
awk -v r="$rms" 'BEGIN { exit !(r > 0.3) }' || fail "(c) before the kill the RMS is $rms"
grep -q "engine connected" "$TMP/serve.log" || fail "(c) serve log: $(cat "$TMP/serve.log")"
pass
