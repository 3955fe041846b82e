#!/usr/bin/env bash
# http_slowloris.sh — a token-protected `reel serve` that idle and slow clients cannot lock
# out (issue 12, deliverable 6):
#   (a) a request without the token is answered 401 and its connection closed at once, its
#       announced body never read;
#   (b) two different Content-Length headers are 400 (and the connection closed), so are a
#       list of two values and Content-Length together with Transfer-Encoding;
#   (c) a PUT of a wrong body to a name that is already stored is refused (422) and the
#       stored bytes stay what their name says (b3sum is the oracle);
#   (d) the per-address limit: from a non-loopback address of this machine, 40 sockets at
#       once get 32 served and 8 refused while loopback clients are not limited (skipped
#       when the machine has no such address);
#   (e) for 30 s, 200 idle sockets plus 80 slowloris sockets (a request line, then a header
#       line a second, never the end of the headers), each reopened as soon as the server
#       closes it, while a normal client (curl with the token) asks once a second: every
#       one of its requests is answered 200 within 1 s. The attackers are on the same
#       loopback address as the client, so this holds by capacity and the header deadline:
#       the test also checks that the load was really there (at least 270 sockets open at
#       once) and that the server closed idle and trickling sockets at their 10 s header
#       deadline (between 9 and 12 s of life), trickle or not.
source "$(dirname "$0")/lib.sh"
need curl
PY=$LIB_DIR/http_slowloris.py

# The attackers need about 300 descriptors of their own.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 1024)) || { echo "skip: needs 1024 descriptors (ulimit -n is $(ulimit -n))"; exit 77; }

printf 'tok-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$TMP/good.tok"
TOK=$(head -n 1 "$TMP/good.tok")
AUTH="Authorization: Bearer $TOK"

# All addresses (a token is given), so (d) can come from a non-loopback one.
reel_bg "$TMP/serve.log" serve --source tone --no-osc --listen 0.0.0.0:0 --token-file "$TMP/good.tok"
serve_pid=$BG_PID
PORT=
for ((i = 0; i < 200; i++)); do
    PORT=$(grep -o 'HTTP on http://[0-9.]*:[0-9]*' "$TMP/serve.log" | head -1 | sed 's/.*://') || true
    [[ -n $PORT ]] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$TMP/serve.log")"
    sleep 0.05
done
[[ -n $PORT ]] || fail "serve printed no URL: $(cat "$TMP/serve.log")"
URL=http://127.0.0.1:$PORT
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "$AUTH" "$URL/api/streams")
[[ $code == 200 ]] || fail "a request with the token: HTTP $code"

# ---- (a) 401 closes at once ------------------------------------------------------------------
printf 'PUT /blobs/blake3:%064d HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' 0 >"$TMP/noauth.req"
out=$(python3 "$PY" closes 127.0.0.1 "$PORT" "$TMP/noauth.req" 2) || fail "(a) 401 left the connection open: $out"
read -r _ st _ secs <<<"$out"
[[ $st == 401 ]] || fail "(a) no token: '$out', expected 401"
python3 -c "import sys; sys.exit(0 if float('$secs') < 1 else 1)" || fail "(a) closed only after $secs s"

# ---- (b) two Content-Length headers ------------------------------------------------------------
printf 'POST /api/ops HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}' "$AUTH" >"$TMP/dup.req"
out=$(python3 "$PY" closes 127.0.0.1 "$PORT" "$TMP/dup.req" 5) || fail "(b) $out"
[[ $(awk '{print $2}' <<<"$out") == 400 ]] || fail "(b) two Content-Length: '$out', expected 400"
printf 'POST /api/ops HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 2, 7\r\n\r\n{}' "$AUTH" >"$TMP/dup2.req"
out=$(python3 "$PY" closes 127.0.0.1 "$PORT" "$TMP/dup2.req" 5) || fail "(b) $out"
[[ $(awk '{print $2}' <<<"$out") == 400 ]] || fail "(b) 'Content-Length: 2, 7': '$out', expected 400"
printf 'POST /api/ops HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n' "$AUTH" >"$TMP/te.req"
out=$(python3 "$PY" closes 127.0.0.1 "$PORT" "$TMP/te.req" 5) || fail "(b) $out"
[[ $(awk '{print $2}' <<<"$out") == 400 ]] || fail "(b) Content-Length with Transfer-Encoding: '$out', expected 400"

# ---- (c) a wrong body to an existing name ----------------------------------------------------
head -c 5000 /dev/urandom >"$TMP/blob.bin"
head -c 5000 /dev/urandom >"$TMP/other.bin"
BH=$(b3sum --no-names "$TMP/blob.bin")
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "$AUTH" -X PUT --data-binary @"$TMP/blob.bin" "$URL/blobs/blake3:$BH")
[[ $code == 201 ]] || fail "(c) first PUT: HTTP $code"
code=$(curl -sS --max-time 10 -o "$TMP/put.json" -w '%{http_code}' -H "$AUTH" -X PUT --data-binary @"$TMP/other.bin" "$URL/blobs/blake3:$BH")
[[ $code == 422 ]] || fail "(c) a wrong body to a stored name: HTTP $code $(cat "$TMP/put.json"), expected 422"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "$AUTH" -X PUT --data-binary @"$TMP/blob.bin" "$URL/blobs/blake3:$BH")
[[ $code == 200 ]] || fail "(c) the right body again: HTTP $code, expected 200"
curl -sS --max-time 10 -H "$AUTH" -o "$TMP/got.bin" "$URL/blobs/blake3:$BH"
[[ $(b3sum --no-names "$TMP/got.bin") == "$BH" ]] || fail "(c) the stored blob changed"

# ---- (d) the per-address limit -----------------------------------------------------------------
EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}') || true
if [[ -n $EXT ]]; then
    python3 "$PY" perip "$EXT" "$EXT" "$PORT" 40 32 "$TOK" "$TMP/perip.json"
    read -r closed served < <(json '"%d %d" % (d["closed"], d["served"])' "$TMP/perip.json")
    [[ $closed == 8 && $served == 32 ]] ||
        fail "(d) 40 sockets from $EXT: $closed refused and $served served, expected 8 and 32"
else
    echo "note: no non-loopback IPv4 address, (d) skipped"
fi

# ---- (e) idle and slowloris load for 30 s -------------------------------------------------------
python3 "$PY" load 127.0.0.1 "$PORT" 30 200 80 "$TMP/load.json" &
load_pid=$!
BG_PIDS+=("$load_pid")
: >"$TMP/client.txt"
while kill -0 "$load_pid" 2>/dev/null; do
    # A client that times out counts as an answer of 000 after 5 s, which fails below.
    curl -s --max-time 5 -o /dev/null -w '%{http_code} %{time_total}\n' -H "$AUTH" \
        "$URL/api/streams" >>"$TMP/client.txt" || true
    sleep 1 # the normal client's pace, not a wait for anything
done
wait "$load_pid" || fail "(e) the attackers failed"
kill -0 "$serve_pid" 2>/dev/null || fail "(e) serve died: $(tail -n 5 "$TMP/serve.log")"
n=$(wc -l <"$TMP/client.txt")
((n >= 20)) || fail "(e) only $n normal requests in 30 s"
bad=$(awk '$1 != 200 || $2 >= 1.0' "$TMP/client.txt" | wc -l)
((bad == 0)) || fail "(e) $bad of $n normal requests not answered 200 within 1 s: $(awk '$1 != 200 || $2 >= 1.0' "$TMP/client.txt" | head -3 | tr '\n' ' ')"
json '"%d %d %d %.2f %.2f %d %.2f %.2f" % (d["peak"], d["stats"]["idle"]["closed"], d["stats"]["slow"]["closed"], d["stats"]["idle"]["min_life"] or 0, d["stats"]["idle"]["max_life"], 0, d["stats"]["slow"]["min_life"] or 0, d["stats"]["slow"]["max_life"])' "$TMP/load.json" >"$TMP/load.txt"
read -r peak idle_closed slow_closed idle_min idle_max _ slow_min slow_max <"$TMP/load.txt"
((peak >= 270)) || fail "(e) the attackers held only $peak sockets at once"
((idle_closed >= 200 && slow_closed >= 80)) ||
    fail "(e) the server closed $idle_closed idle and $slow_closed slow sockets in 30 s, expected at least 200 and 80"
python3 -c "import sys; sys.exit(0 if 9 <= $idle_min and $idle_max <= 12 and 9 <= $slow_min and $slow_max <= 12 else 1)" ||
    fail "(e) lifetimes idle $idle_min..$idle_max s, slow $slow_min..$slow_max s, expected within 9..12 (the 10 s header deadline)"
echo "normal client: $n requests, slowest $(sort -k2 -n "$TMP/client.txt" | tail -1 | cut -d' ' -f2) s; attackers: peak $peak, closed $idle_closed idle + $slow_closed slow"

kill -TERM "$serve_pid"
wait_bg "$serve_pid"
pass
