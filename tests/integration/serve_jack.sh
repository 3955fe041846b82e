#!/usr/bin/env bash
# serve_jack.sh — `reel serve` recording a real JACK server (jackd -d dummy, jack_metro).
#
#   (a) with no --source, serve picks JACK because a server runs, and says so first;
#   (b) recording jack_metro through the engine/control protocol, a grab of the last 2 s
#       while serving holds the metronome's beeps, 24000 frames apart (120 bpm at 48 kHz);
#   (c) jackd killed and restarted while serving: serve stays up, the stream keeps time
#       (silence and a gap), records the metronome again after the restart; fsck clean.
source "$(dirname "$0")/lib.sh"
need jack_metro
source "$(dirname "$0")/jack_lib.sh"
reel init >/dev/null
start_jackd

# ---- (a) the default source -------------------------------------------------------------
reel_bg "$TMP/serve-a.log" serve --seconds 1.5 --no-http
wait_bg "$BG_PID"
head -1 "$TMP/serve-a.log" | grep -q "^reel serve: recording stream://jack/main from jack (48000 Hz, 2 ch, f32)" ||
    fail "(a) first line: $(head -1 "$TMP/serve-a.log")"

# ---- (b) a live grab of the metronome -----------------------------------------------------
start_metro
URI=stream://jack/metro
reel_bg "$TMP/serve.log" serve --source jack:metro:120_bpm --stream $URI --no-http
serve_pid=$BG_PID
sleep 4
ok reel slice $URI --last 2s --out "$TMP/live.wav" >/dev/null
cat >"$TMP/onsets.py" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
# find the data chunk of a float WAV written by reel
i, data, ch = 12, None, 1
while i + 8 <= len(b):
    cid, n = b[i:i + 4], struct.unpack_from("<I", b, i + 4)[0]
    if cid == b"fmt ":
        ch = struct.unpack_from("<H", b, i + 10)[0]
    if cid == b"data":
        data = b[i + 8:i + 8 + n]
        break
    i += 8 + n + (n & 1)
x = struct.unpack(f"<{len(data) // 4}f", data)[::ch]
ons, quiet = [], 10**9
for k, v in enumerate(x):
    if abs(v) > 0.05:
        if quiet >= 2000:
            ons.append(k)
        quiet = 0
    else:
        quiet += 1
print(" ".join(map(str, ons)))
EOF
read -r -a ons <<<"$(python3 "$TMP/onsets.py" "$TMP/live.wav")"
[[ ${#ons[@]} -ge 3 && ${#ons[@]} -le 5 ]] || fail "(b) ${#ons[@]} beeps in the last 2 s: ${ons[*]}"
xruns=$(status_field $URI xruns)
for ((k = 2; k < ${#ons[@]}; k++)); do # the first may be cut by the window
    d=$((ons[k] - ons[k - 1]))
    if [[ $d -ne 24000 ]]; then
        [[ $xruns -gt 0 ]] || fail "(b) beeps $d frames apart, not 24000: ${ons[*]}"
        echo "note: (b) beeps $d frames apart with $xruns xruns"
    fi
done

# ---- (c) the server goes away and comes back -----------------------------------------------
kill -9 "$JACKD_PID"
wait "$JACKD_PID" 2>/dev/null || true
JACKD_PID=
stop_clients
sleep 2
kill -0 "$serve_pid" 2>/dev/null || fail "(c) serve died with the JACK server: $(cat "$TMP/serve.log")"
h1=$(status_field $URI head_frame)
sleep 0.5
h2=$(status_field $URI head_frame)
[[ $h2 -gt $h1 ]] || fail "(c) the timeline stood still while the server was away ($h1 -> $h2)"
start_jackd
start_metro
# The engine looks for the server again every 500 ms; on a loaded machine the
# reconnect and the metronome's first beeps take a few seconds more: wait up to ~16 s.
ons=()
for ((try = 0; try < 8; try++)); do
    sleep 2
    ok reel slice $URI --last 1.5s --out "$TMP/after.wav" >/dev/null
    read -r -a ons <<<"$(python3 "$TMP/onsets.py" "$TMP/after.wav")"
    [[ ${#ons[@]} -ge 2 ]] && break
done
[[ ${#ons[@]} -ge 2 ]] || fail "(c) no metronome after the restart: ${ons[*]} -- $(cat "$TMP/serve.log")"
kill -TERM "$serve_pid"
wait_bg "$serve_pid"
reel --json status $URI >"$TMP/st.json"
[[ $(json "d['state']" "$TMP/st.json") == stopped ]] || fail "(c) state: $(cat "$TMP/st.json")"
[[ $(json "d['gaps']" "$TMP/st.json") -ge 1 ]] || fail "(c) no gap: $(cat "$TMP/st.json")"
ok reel fsck >/dev/null
pass
