#!/usr/bin/env bash
# web_peaks.sh — GET /api/streams/{uri}/peaks against an independent oracle: a stereo file
# made by sox (a 440 Hz tone in the left channel, a noise burst in the right one, silence
# elsewhere) ingested with `record --fast` (small chunks, so windows span many), served by
# `reel http`. python3 computes each bin's min/max from sox's own raw rendering of the file:
#   (a) coarse bins (multiples of 1024 frames: from the server's cache) equal the oracle
#       exactly, asked twice (the second answer from the cache) and across chunk boundaries;
#   (b) fine bins (under 1024 frames: straight from the chunks) equal the oracle exactly;
#   (c) a window past the head is clamped to the frames held; before the first frame too;
#   (d) bad parameters: one JSON error each (bins, time specs, unknown keys, MIDI-free 404s).
source "$(dirname "$0")/lib.sh"
need curl
reel init >/dev/null
sox -n -r 48000 -c 1 -b 32 -e floating-point "$TMP/l.wav" synth 2 sine 440 vol 0.5 pad 0.5 0.5
sox -n -r 48000 -c 1 -b 32 -e floating-point "$TMP/r.wav" synth 0.25 whitenoise vol 0.8 pad 1.5 1.25
sox -M "$TMP/l.wav" "$TMP/r.wav" "$TMP/in.wav"
sox "$TMP/in.wav" -t raw -e floating-point -b 32 "$TMP/in.raw"
FRAMES=$(soxi -s "$TMP/in.wav")
URI=stream://file/peaks
ok reel record --source "file:$TMP/in.wav" --fast --stream $URI --chunk-bytes 100000 >/dev/null
: >"$TMP/http.log"; : >"$TMP/http.err" # there before anything reads them
"$REEL" --store "$STORE" http --listen 127.0.0.1:0 >"$TMP/http.log" 2>"$TMP/http.err" &
BG_PIDS+=($!)
http_pid=$!
for _ in $(seq 100); do [[ -s $TMP/http.log ]] && break; sleep 0.05; done
U=$(head -n 1 "$TMP/http.log")
[[ $U == http://* ]] || fail "reel http printed no URL: $(cat "$TMP/http.err")"
P="$U/api/streams/$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' $URI)/peaks"

cat >"$TMP/oracle.py" <<'PY'
import json, struct, sys
raw, doc = open(sys.argv[1], "rb").read(), json.load(open(sys.argv[2]))
lo, hi, want_bins = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = struct.unpack(f"<{len(raw) // 4}f", raw)
total = len(x) // 2
lo, hi = max(lo, 0), min(hi, total)
w = -(-(hi - lo) // want_bins)
n = -(-(hi - lo) // w)
def q(v):  # the server's scaling: round(v * 32767), clamped to [-1, 1]
    v = max(-1.0, min(1.0, v))
    return int(v * 32767 + (0.5 if v >= 0 else -0.5))
exp = {"from_frame": lo, "to_frame": hi, "bin_frames": w, "bins": n, "channels": 2,
       "head_frame": total, "first_frame": 0, "sample_rate": 48000, "scale": 32767}
for k, v in exp.items():
    if doc[k] != v:
        sys.exit(f"{k}: {doc[k]} != {v}")
for c in range(2):
    for i in range(n):
        s = x[(lo + i * w) * 2 + c:min(lo + (i + 1) * w, hi) * 2:2]
        if doc["min"][c][i] != q(min(s)) or doc["max"][c][i] != q(max(s)):
            sys.exit(f"channel {c} bin {i}: {doc['min'][c][i]}..{doc['max'][c][i]}, "
                     f"oracle {q(min(s))}..{q(max(s))}")
print(n)
PY
# check FROM TO BINS [QUERY_FROM QUERY_TO]: the route against the oracle.
check() {
    local qf=${4:-#$1} qt=${5:-#$2}
    curl -sSf -G "$P" --data-urlencode "from=$qf" --data-urlencode "to=$qt" \
        --data-urlencode "bins=$3" -o "$TMP/p.json" || fail "GET peaks $qf..$qt/$3"
    python3 "$TMP/oracle.py" "$TMP/in.raw" "$TMP/p.json" "$1" "$2" "$3" >/dev/null ||
        fail "peaks $qf..$qt in $3 bins differ from the oracle"
}
# (a) coarse: 2048 and 4096 frames per bin, from frame 0 and from a base-bin boundary
check 0 $((2048 * 70)) 70
check 0 $((2048 * 70)) 70
check 10240 $((10240 + 4096 * 30)) 30
check 0 "$FRAMES" 1 '#0' head
# (b) fine: 100 and 7 frames per bin, across chunk boundaries (12500 frames per chunk)
check 11000 21000 100
check 24990 25061 11
check 47000 $((47000 + 7 * 300)) 300
# (c) clamped to what is held
check $((FRAMES - 5000)) "$FRAMES" 50 "#$((FRAMES - 5000))" "#$((FRAMES + 99999))"
check 0 3000 30 '-1h' '#3000'
# the tone is in the left channel only, the burst in the right one only
# (base-bin aligned windows: the cache's bins hold whole 1024-frame base bins)
curl -sSf "$P?from=%230&to=%2323552&bins=23" -o "$TMP/p.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert max(d["max"][0]) == 0 and max(d["max"][1]) == 0, d' "$TMP/p.json" ||
    fail "the first 0.5 s are not silent"
curl -sSf "$P?from=%2372704&to=%2383968&bins=11" -o "$TMP/p.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert min(d["max"][1]) > 8000 and max(d["max"][0]) > 16000, d' "$TMP/p.json" ||
    fail "1.515..1.749 s: no tone and burst"
# (d) refusals
for q in 'bins=0' 'bins=20001' 'bins=x' 'from=yesterday' 'to=session:s:end' 'foo=1'; do
    code=$(curl -sS -o "$TMP/e.json" -w '%{http_code}' "$P?$q")
    [[ $code == 400 ]] || fail "?$q: HTTP $code"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"] and e["message"]' "$TMP/e.json" ||
        fail "?$q: $(cat "$TMP/e.json")"
done
code=$(curl -sS -o "$TMP/e.json" -w '%{http_code}' "$P?from=%23100&to=%23100")
[[ $code == 422 ]] || fail "an empty window: HTTP $code"
code=$(curl -sS -o "$TMP/e.json" -w '%{http_code}' "$U/api/streams/stream%3A%2F%2Fno%2Fsuch/peaks")
[[ $code == 404 ]] || fail "an unknown stream: HTTP $code"
kill -TERM "$http_pid"
wait "$http_pid" || fail "reel http exited $?"
pass
