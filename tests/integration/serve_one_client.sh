#!/usr/bin/env bash
# serve_one_client.sh — one realtime context per device: every JACK stream of a `reel serve`
# is a port of one JACK client, and MIDI out joins it, against a private `jackd -d dummy`:
#   (a) a serve recording three sources — two audio (the dummy's capture ports, jack_metro)
#       and one MIDI (jack_midiseq) — is exactly one client on the server (jack_lsp), carrying
#       every stream's ports, each connected to its source; every stream records;
#   (b) a request-response run through the serve (the service op over HTTP, what HTTP, OSC
#       and MCP call) plays its MIDI from a port of that same client: the output is
#       reel:<name>, jack_midi_dump on the other end receives every event, and still only one
#       reel client is on the server afterwards;
#   (c) stopping one stream takes its ports off the client (the others keep recording), and
#       SIGTERM seals everything; fsck is clean.
source "$(dirname "$0")/lib.sh"
need jack_metro jack_midiseq jack_midi_dump csvmidi
source "$(dirname "$0")/jack_lib.sh"
reel init >/dev/null
start_jackd
start_metro
start_client jack_midiseq seq 24000 0 60 8000 12000 63 8000
wait_port seq:out

# reel's clients on the server: the names before the first ':' of jack_lsp's ports.
reel_clients() {
    jack_lsp -s "$SRV" 2>/dev/null | sed -n 's/^\(reel[^:]*\):.*/\1/p' | sort -u
}

reel_bg "$TMP/serve.log" serve --no-osc --listen 127.0.0.1:0 \
    --source jack:system:capture_1,system:capture_2 --stream stream://jack/a \
    --source jack:metro:120_bpm --stream stream://jack/b \
    --source jack-midi:seq:out --stream stream://jack/m
serve_pid=$BG_PID
# Until every stream has recorded half a second (bounded: ~10 s).
for i in $(seq 200); do
    n=0
    for u in a b m; do
        h=$(reel --json status stream://jack/$u 2>/dev/null | json "d['head_frame']" 2>/dev/null || echo 0)
        [[ $h -gt 24000 ]] && n=$((n + 1))
    done
    [[ $n -eq 3 ]] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$TMP/serve.log")"
    sleep 0.05
done
[[ $n -eq 3 ]] || fail "(a) not every stream records: $(cat "$TMP/serve.log")"

# ---- (a) one client, every port on it --------------------------------------------------
clients=$(reel_clients | tr '\n' ' ')
[[ $clients == "reel " ]] || fail "(a) reel's JACK clients: '$clients' (want exactly 'reel')"
ports=$(jack_lsp -s "$SRV" | grep '^reel:' | sort | tr '\n' ' ')
[[ $ports == "reel:a_1 reel:a_2 reel:b_1 reel:m " ]] || fail "(a) ports of reel: $ports"
jack_lsp -s "$SRV" -c reel:a_2 | grep -qxF "   system:capture_2" || fail "(a) reel:a_2 is not connected"
jack_lsp -s "$SRV" -c reel:b_1 | grep -qxF "   metro:120_bpm" || fail "(a) reel:b_1 is not connected"
jack_lsp -s "$SRV" -c reel:m | grep -qxF "   seq:out" || fail "(a) reel:m is not connected"
grep -q "reel-probe\|reel-a\|reel-b" <<<"$(jack_lsp -s "$SRV")" && fail "(a) another reel client"

# ---- (b) MIDI out on the same client ----------------------------------------------------
grep -q '^reel serve: HTTP on ' "$TMP/serve.log" || fail "(b) serve has no HTTP: $(cat "$TMP/serve.log")"
jack_midi_dump -a mdump >"$TMP/dump.txt" 2>&1 &
dump_pid=$!
CLIENT_PIDS+=($dump_pid)
wait_port mdump:input
cat >"$TMP/notes.csv" <<'EOF'
0, 0, Header, 1, 1, 480
1, 0, Start_track
1, 0, Tempo, 500000
1, 0, Note_on_c, 0, 69, 100
1, 96, Note_off_c, 0, 69, 0
1, 240, Note_on_c, 0, 72, 100
1, 336, Note_off_c, 0, 72, 0
1, 480, End_track
0, 0, End_of_file
EOF
csvmidi "$TMP/notes.csv" "$TMP/notes.mid" || fail "csvmidi failed"
# `reel call` finds the serve (its daemon file) and runs the op there.
ok reel call session_request "{\"midi\": \"$TMP/notes.mid\", \"out\": \"mdump:input\", \"audio\": \"stream://jack/a\", \"tail\": \"0.2s\"}" >"$TMP/req.json"
port=$(json "d.get('jack', {}).get('client_port', '')" "$TMP/req.json" 2>/dev/null || true)
[[ $port == reel:* ]] || fail "(b) the MIDI went out of '$port', not a port of the serve's client: $(head -c 400 "$TMP/req.json")"
[[ $(json "d['events']['sent']" "$TMP/req.json") == 4 ]] || fail "(b) events: $(json "d['events']" "$TMP/req.json")"
# jack_midi_dump, connected to the output by the request, got the four events.
kill "$dump_pid"
wait "$dump_pid" 2>/dev/null || true
[[ $(grep -c "note o" "$TMP/dump.txt" || true) -eq 4 ]] ||
    fail "(b) jack_midi_dump did not get the 4 notes: $(tail -n 5 "$TMP/dump.txt")"
clients=$(reel_clients | tr '\n' ' ')
[[ $clients == "reel " ]] || fail "(b) reel's JACK clients after the request: '$clients'"
jack_lsp -s "$SRV" | grep -q "^$port\$" && fail "(b) the request's port $port outlived it"

# ---- (c) a stream leaves the client; the rest go on --------------------------------------
ok reel call stream_stop '{"stream": "stream://jack/b"}' >/dev/null
for i in $(seq 100); do
    jack_lsp -s "$SRV" | grep -q '^reel:b_1$' || break
    sleep 0.05
done
jack_lsp -s "$SRV" | grep -q '^reel:b_1$' && fail "(c) reel:b_1 is still there after stream_stop"
h1=$(status_field stream://jack/a head_frame)
for i in $(seq 100); do
    h2=$(status_field stream://jack/a head_frame)
    [[ $h2 -gt $((h1 + 4800)) ]] && break
    sleep 0.05
done
[[ $h2 -gt $((h1 + 4800)) ]] || fail "(c) stream a stopped recording after b left ($h1 -> $h2)"
[[ $(reel_clients | tr '\n' ' ') == "reel " ]] || fail "(c) clients: $(reel_clients)"
kill -TERM "$serve_pid"
wait_bg "$serve_pid"
for u in a b m; do
    [[ $(status_field stream://jack/$u state) == stopped ]] || fail "(c) stream $u not stopped"
done
ok reel fsck >/dev/null
pass
