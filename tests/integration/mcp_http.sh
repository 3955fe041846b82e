#!/usr/bin/env bash
# The Streamable HTTP transport's rules at /mcp, with curl as the client: initialize issues
# an Mcp-Session-Id; without it later requests are 400, with an unknown or ended one 404;
# an MCP-Protocol-Version reel does not speak is 400 (one it speaks is fine, negotiated or
# not); an Origin that is not this machine is 403 (DNS rebinding); GET is 405;
# notifications are 202 with no body; a body that is not application/json is 415, an
# unacceptable Accept 406; malformed JSON is 400 with -32700; a text/event-stream-only
# client gets its answer as one SSE event; DELETE ends a session; the oldest of more than
# 64 sessions is dropped; and a server with a token wants it on /mcp too. Also stdio's
# answers to garbage lines.
source "$(dirname "$0")/lib.sh"
need curl

start_http() {
    local log=$TMP/http.log i
    rm -f "$log"
    "$REEL" --store "$STORE" http --listen 127.0.0.1:0 "$@" >"$log" 2>"$log.err" &
    HTTP_PID=$!
    BG_PIDS+=("$HTTP_PID")
    for ((i = 0; i < 100; i++)); do
        [[ -s $log ]] && break
        sleep 0.05
    done
    URL=$(head -n 1 "$log")
    [[ $URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "reel http printed '$URL': $(head -c 300 "$log.err")"
}

stop_http() {
    kill -TERM "$HTTP_PID"
    wait_bg "$HTTP_PID"
}

ACCEPT='Accept: application/json, text/event-stream'
CT='Content-Type: application/json'
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
PING='{"jsonrpc":"2.0","id":2,"method":"ping"}'

# post WANT_STATUS BODY [curl args...]: POST /mcp; body in $TMP/body, headers in $TMP/hdr.
post() {
    local want=$1 body=$2 got
    shift 2
    got=$(curl -sS --max-time 20 -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X POST \
        "$URL/mcp" --data-binary "$body" "$@") || fail "curl failed: $*"
    [[ $got == "$want" ]] || fail "POST /mcp $body: HTTP $got, expected $want -- $(head -c 300 "$TMP/body")"
}

header() {
    tr -d '\r' <"$TMP/hdr" | sed -n "s/^$1: //Ip" | tail -n 1
}

# rpc_code: the JSON-RPC error code of the last body (which must be a JSON-RPC error).
rpc_code() {
    json "d['error']['code'] if d['jsonrpc'] == '2.0' and isinstance(d['error']['message'], str) else 'BAD'" "$TMP/body"
}

# init: a new session; its id in $SID.
init() {
    post 200 "$INIT" -H "$CT" -H "$ACCEPT" "$@"
    SID=$(header Mcp-Session-Id)
    [[ $SID =~ ^[0-9a-f]{64}$ ]] || fail "initialize issued session id '$SID'"
    [[ $(json "d['result']['protocolVersion']" "$TMP/body") == 2025-11-25 ]] ||
        fail "initialize negotiated $(head -c 200 "$TMP/body")"
    [[ $(header Content-Type) == application/json ]] || fail "initialize answered as $(header Content-Type)"
}

ok reel record --source tone:440 --seconds 1 >/dev/null
start_http

init
S1=$SID
init
[[ $SID != "$S1" ]] || fail "two initializes got the same session id"
post 202 '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "$CT" -H "$ACCEPT" \
    -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25'
[[ ! -s $TMP/body ]] || fail "a notification got a body: $(head -c 200 "$TMP/body")"

# The session and version headers.
post 400 "$PING" -H "$CT" -H "$ACCEPT"
[[ $(rpc_code) == -32000 ]] || fail "missing session id: $(head -c 200 "$TMP/body")"
grep -q 'Mcp-Session-Id' "$TMP/body" || fail "the 400 does not name the header"
post 404 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $(printf '%064d' 7)"
post 404 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: ../../etc/passwd"
post 400 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01'
grep -q 'MCP-Protocol-Version' "$TMP/body" || fail "the 400 does not name the header"
# A supported revision other than the negotiated one is accepted (the specification and the
# reference SDK reject only unsupported ones; the conformance suite sends 2025-03-26 to a
# 2025-11-25 session), and the session keeps its own: still no batches.
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-03-26'
[[ $(json "d['id'] == 2 and d['result'] == {}" "$TMP/body") == true ]] || fail "ping as 2025-03-26: $(head -c 200 "$TMP/body")"
post 400 "[$PING]" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-03-26'
[[ $(rpc_code) == -32600 ]] || fail "a batch in a 2025-11-25 session, sent as 2025-03-26: $(head -c 200 "$TMP/body")"
post 400 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25x'
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25'
[[ $(json "d['id'] == 2 and d['result'] == {}" "$TMP/body") == true ]] || fail "ping: $(head -c 200 "$TMP/body")"
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" # no version header: the session's

# Origin: another site is refused (even for initialize), this machine's pages are not.
post 403 "$INIT" -H "$CT" -H "$ACCEPT" -H 'Origin: http://evil.example'
[[ -z $(header Mcp-Session-Id) ]] || fail "a refused initialize issued a session"
post 403 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'Origin: http://localhost.evil.example:80'
post 403 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'Origin: null'
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H 'Origin: http://localhost:5173'
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" -H "Origin: $URL"

# Methods, media types, malformed bodies.
code=$(curl -sS -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' "$URL/mcp" -H "$ACCEPT")
[[ $code == 405 ]] || fail "GET /mcp: HTTP $code, expected 405"
[[ $(header Allow) == "POST, DELETE" ]] || fail "GET /mcp: Allow '$(header Allow)'"
post 415 "$PING" -H 'Content-Type: text/plain' -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
post 406 "$PING" -H "$CT" -H 'Accept: image/png' -H "Mcp-Session-Id: $SID"
post 400 '{"jsonrpc": "2.0", "id": 3, "method": "ping"' -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
[[ $(rpc_code) == -32700 ]] || fail "malformed JSON: $(head -c 200 "$TMP/body")"
post 400 '[{"jsonrpc":"2.0","id":3,"method":"ping"}]' -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
[[ $(rpc_code) == -32600 ]] || fail "a batch in 2025-11-25: $(head -c 200 "$TMP/body")"
post 200 '{"jsonrpc":"2.0","id":4,"method":"no/such"}' -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
[[ $(rpc_code) == -32601 ]] || fail "unknown method: $(head -c 200 "$TMP/body")"
# An op's failure is a tool result.
post 200 '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"stream_status","arguments":{"stream":"stream://no/such"}}}' \
    -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
[[ $(json "d['result']['isError']" "$TMP/body") == true ]] || fail "a failing op: $(head -c 300 "$TMP/body")"
# A client that takes only server-sent events gets one event holding the answer.
post 200 "$PING" -H "$CT" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID"
[[ $(header Content-Type) == text/event-stream ]] || fail "SSE answer as $(header Content-Type)"
[[ $(sed -n 1p "$TMP/body") == "event: message" ]] || fail "SSE body: $(head -c 200 "$TMP/body")"
sed -n 's/^data: //p' "$TMP/body" >"$TMP/sse.json"
[[ $(json "d['id']" "$TMP/sse.json") == 2 ]] || fail "SSE data: $(head -c 200 "$TMP/body")"

# DELETE ends a session, once.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/mcp" -H "Mcp-Session-Id: $S1")
[[ $code == 204 ]] || fail "DELETE: HTTP $code"
post 404 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $S1"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/mcp" -H "Mcp-Session-Id: $S1")
[[ $code == 404 ]] || fail "second DELETE: HTTP $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/mcp")
[[ $code == 400 ]] || fail "DELETE without a session: HTTP $code"
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID" # the other one lives on

# At most 64 sessions: 64 more push out the least recently used ($SID).
OLD=$SID
for ((i = 0; i < 64; i++)); do
    post 200 "$INIT" -H "$CT" -H "$ACCEPT"
    SID=$(header Mcp-Session-Id)
done
post 404 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $OLD"
LAST=$SID
post 200 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $LAST"
stop_http

# With a token, /mcp wants it like every route.
printf 'mcp-test-token-0123456789\n' >"$TMP/token"
start_http --token-file "$TMP/token"
post 401 "$INIT" -H "$CT" -H "$ACCEPT"
init -H 'Authorization: Bearer mcp-test-token-0123456789'
post 401 "$PING" -H "$CT" -H "$ACCEPT" -H "Mcp-Session-Id: $SID"
stop_http

# stdio: one answer line per request line, garbage included; nothing for notifications.
printf '%s\n' "$INIT" 'not json' '{"jsonrpc":"2.0","method":"notifications/initialized"}' '' \
    '[]' '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"grab","arguments":{"seconds":-1}}}' \
    >"$TMP/in.txt"
ok reel mcp <"$TMP/in.txt" >"$TMP/out.txt"
[[ $(wc -l <"$TMP/out.txt") == 4 ]] || fail "stdio: $(wc -l <"$TMP/out.txt") answer lines for 4 requests: $(head -c 600 "$TMP/out.txt")"
python3 - "$TMP/out.txt" <<'EOF' || fail "stdio answers are wrong: $(head -c 600 "$TMP/out.txt")"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
assert a[0]["id"] == 1 and a[0]["result"]["serverInfo"]["name"] == "reel"
assert a[1]["id"] is None and a[1]["error"]["code"] == -32700
assert a[2]["id"] is None and a[2]["error"]["code"] == -32600
r = a[3]["result"]
assert a[3]["id"] == 7 and r["isError"] is True and "seconds" in r["content"][0]["text"], r
EOF
# A line over the 64 MiB message limit is refused as such, and the next one answered.
python3 -c '
import sys
sys.stdout.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"" + "a" * (65 << 20) + "\"}\n")
sys.stdout.write("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n")' >"$TMP/long.txt"
ok reel mcp <"$TMP/long.txt" >"$TMP/out.txt"
rm -f "$TMP/long.txt"
python3 - "$TMP/out.txt" <<'PY' || fail "stdio long line: $(head -c 600 "$TMP/out.txt")"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
assert len(a) == 2, a
assert a[0]["id"] is None and a[0]["error"]["code"] == -32600 and "bytes" in a[0]["error"]["message"]
assert a[1]["id"] == 2 and a[1]["result"] == {}
PY
expect_fail 2 reel mcp extra-arg
pass
