#!/usr/bin/env bash
# take_edges.sh — takes start and stop at the frame at which the call arrived, not at the
# last head (~100 ms of slack). `reel serve` plays a ramp file in real time (frame k holds
# k / 2^24, exact in f32); takes are started and stopped over HTTP at instants the client
# brackets with its own CLOCK_MONOTONIC. The stream's clock pairing (stream_status "clock":
# frame <-> monotonic ns) turns each bracket into a frame range. sox (the oracle, reading
# the take's WAV) must find: the first sample is the start's frame, the length reaches the
# stop's frame, every sample is the ramp in order, each within its bracket (plus 2 ms for
# the producer's scheduling jitter on the pairing). Three takes, so a head-edged take
# cannot pass by luck.
source "$(dirname "$0")/lib.sh"
need curl sox soxi

RATE=48000
python3 - "$TMP/ramp.raw" <<'PY'
import struct, sys
n = 48000 * 40
open(sys.argv[1], "wb").write(struct.pack(f"<{n}f", *[k / 16777216 for k in range(n)]))
PY
sox -t f32 -r $RATE -c 1 "$TMP/ramp.raw" -e floating-point -b 32 "$TMP/ramp.wav"
[[ $(soxi -s "$TMP/ramp.wav") == 1920000 ]] || fail "sox made no 40 s ramp"

URI=stream://file/ramp
reel_bg "$TMP/serve.log" serve --source "file:$TMP/ramp.wav" --stream $URI --trigger off \
    --no-osc --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE"
URL=$SERVE_URL
[[ -n $URL ]] || fail "serve printed no URL: $(cat "$TMP/serve.log")"

cat >"$TMP/takes.py" <<'PY'
import http.client, json, sys, time, urllib.parse
url, uri, rate = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], 48000
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
def call(method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    d = json.loads(r.read() or b"{}")
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {d}")
    return d
spath = "/api/streams/" + urllib.parse.quote(uri, safe="")
def status():
    return call("GET", spath)
def wait(pred, what):
    end = time.monotonic() + 15
    while time.monotonic() < end:
        s = status()
        if pred(s):
            return s
        time.sleep(0.02)
    sys.exit(f"timed out waiting for {what}")
def frame_at(s, t):  # the stream's clock pairing carried at the nominal rate
    c = s["clock"]
    return c["frame"] + (t - c["mono_ns"]) * rate // 1_000_000_000
def op(name, body):
    s = wait(lambda s: "clock" in s and s["state"] == "recording", "a clock pairing")
    t0 = time.monotonic_ns()
    d = call("POST", "/api/ops/" + name, body)
    t1 = time.monotonic_ns()
    return d, (frame_at(s, t0), frame_at(s, t1))
out = []
for i in range(3):
    h = status()["head_frame"]
    wait(lambda s: s["head_frame"] > h + rate // 5, "the head to move")
    d, start = op("record_start", {"stream": uri, "filename": f"edge{i}"})
    h = status()["head_frame"]
    wait(lambda s: s["head_frame"] > h + rate // 3 + i * rate // 7, "the take to run")
    e, stop = op("record_stop", {})
    out.append({"file": f"edge{i}.wav", "start": start, "stop": stop,
                "from": d["from_frame"], "to": e["to_frame"]})
    # the take goes idle before the next one starts
    end = time.monotonic() + 15
    while True:
        st = call("POST", "/api/ops/record_status", {})
        if st["state"] == "idle":
            break
        if time.monotonic() > end:
            sys.exit(f"take {i} never finished: {st}")
        time.sleep(0.02)
print(json.dumps(out))
PY
python3 "$TMP/takes.py" "$URL" $URI >"$TMP/takes.json" || fail "takes: $(cat "$TMP/takes.json")"

J=96 # 2 ms: the producer's wake-up jitter on each clock pairing
n=0
while read -r file s0 s1 e0 e1 from to; do
    f=$STORE/exports/$file
    [[ -f $f ]] || fail "no take $file in exports/"
    sox "$f" -t f32 "$TMP/take.raw"
    len=$(soxi -s "$f")
    first=$(python3 -c '
import struct, sys
x = open(sys.argv[1], "rb").read()
v = struct.unpack(f"<{len(x) // 4}f", x)
k0 = round(v[0] * 16777216)
bad = [i for i, s in enumerate(v) if round(s * 16777216) != k0 + i]
print(k0 if not bad else f"frame {bad[0]} of the take holds {v[bad[0]] * 16777216}")' "$TMP/take.raw")
    [[ $first =~ ^[0-9]+$ ]] || fail "$file: not the ramp in order: $first"
    last=$((first + len))
    ((first >= s0 - J && first <= s1 + J)) ||
        fail "$file starts at frame $first; the start arrived within frames $s0..$s1"
    ((last >= e0 - J && last <= e1 + J)) ||
        fail "$file ends at frame $last; the stop arrived within frames $e0..$e1"
    ((first == from && last == to)) ||
        fail "$file holds $first..$last, the ops said $from..$to"
    echo "$file: frames $first..$last, start bracket $s0..$s1, stop bracket $e0..$e1"
    n=$((n + 1))
done < <(python3 -c '
import json, sys
for t in json.load(open(sys.argv[1])):
    print(t["file"], *t["start"], *t["stop"], t["from"], t["to"])' "$TMP/takes.json")
((n == 3)) || fail "checked $n takes, want 3"

kill -TERM "$SERVE"
wait_bg "$SERVE"
pass
