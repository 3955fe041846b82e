#!/usr/bin/env bash
# reel's MCP server against the official MCP TypeScript SDK client (tests/mcp/check.mjs,
# @modelcontextprotocol/sdk from tests/mcp/package-lock.json), over both transports:
#   1. stdio: the SDK spawns `reel mcp` on a store with a recorded tone, ops in process;
#   2. Streamable HTTP: /mcp of `reel serve --source tone:440` on a free port;
#   3. stdio again on the serve's store: every call is forwarded to the running serve.
# Each run lists the tools (every op of `reel call --list`, same schemas), grabs audio and
# checks the audio block is a WAV of the right length with the stored bytes, reads the
# artifact through tools and resources, and checks a bad argument (isError naming the
# field) and an unknown tool (a JSON-RPC error). Here the decoded WAV is checked again
# with sox (frames, rate) and b3sum (it is the content the result names).
source "$(dirname "$0")/lib.sh"
need node curl flock
: "${REEL_SRC:?set REEL_SRC to the source tree}"
NODE_DIR=$REEL_SRC/tests/mcp
"$REEL_SRC/scripts/npm-ci.sh" "$NODE_DIR" >&2 || fail "npm ci in tests/mcp failed"
[[ -d $NODE_DIR/node_modules/@modelcontextprotocol/sdk ]] || fail "the MCP SDK is not installed"

ok reel --json call --list >"$TMP/ops.json"
echo "op table: $(json "' '.join(o['name'] for o in d)" "$TMP/ops.json")" >&2
missing=$(json "' '.join(n for n in '''stream_create stream_start stream_stop stream_status
    stream_slice session_create session_play session_stop session_status session_export grab
    artifact_list artifact_get moments'''.split() if n not in [o['name'] for o in d])" "$TMP/ops.json")
[[ -z $missing ]] || fail "tools of issue 5 missing from the op table (reel call --list): $missing"

# run_check MODE CREATOR [VAR=VALUE...]: check.mjs; its JSON line in $TMP/check-MODE.json.
run_check() {
    local mode=$1 creator=$2 rc=0
    shift 2
    env MODE="$mode" REEL="$REEL" OPS_JSON="$TMP/ops.json" OUT_DIR="$TMP" GRAB_SECONDS=1.5 \
        EXPECT_CREATOR="$creator" "$@" timeout -k 5 90 node "$NODE_DIR/check.mjs" \
        >"$TMP/check-$mode.json" 2>"$TMP/check-$mode.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "check.mjs $mode (exit $rc): $(tail -n 5 "$TMP/check-$mode.err" | tr '\n' ' ' | head -c 600)"
    # `reel mcp`'s stderr comes here too (the SDK does not look at its exit status).
    if grep -Eq 'Sanitizer|runtime error:' "$TMP/check-$mode.err"; then
        fail "check.mjs $mode: reel reported: $(grep -Em 3 'Sanitizer|runtime error:' "$TMP/check-$mode.err" | tr '\n' ' ')"
    fi
    local n
    n=$(json "len(d['tools'])" "$TMP/check-$mode.json")
    echo "$mode: $n tools: $(json "' '.join(d['tools'])" "$TMP/check-$mode.json")" >&2
}

# audio_oracles MODE: the WAV check.mjs decoded from the audio block, by sox and b3sum.
audio_oracles() {
    local f=$TMP/check-$1.json wav frames hash
    wav=$(json "d['grab']['wav_file']" "$f")
    frames=$(json "d['grab']['frames']" "$f")
    hash=$(json "d['grab']['content_hash']" "$f")
    [[ $(sox_samples "$wav") == "$frames" ]] || fail "$1: sox counts $(sox_samples "$wav") frames in the audio block, the result says $frames"
    [[ $(sox_info "$wav" 'Sample Rate') == 48000 ]] || fail "$1: sox reads rate $(sox_info "$wav" 'Sample Rate')"
    [[ $frames == 72000 ]] || fail "$1: a 1.5 s grab at 48 kHz has $frames frames"
    [[ "blake3:$(hash_of "$wav")" == "$hash" ]] || fail "$1: the audio block does not hash to $hash"
}

# 1. stdio, no serve: ops run in the mcp process.
ok reel record --source tone:440 --seconds 3 >/dev/null
run_check stdio mcp STORE="$STORE"
audio_oracles stdio
# stdout carried only protocol; the store is still sound.
fsck_clean

# 2. Streamable HTTP at /mcp of a recording serve.
STORE2=$TMP/store2
ok "$REEL" --store "$STORE2" init >/dev/null
"$REEL" --store "$STORE2" serve --source tone:440 --listen 127.0.0.1:0 >"$TMP/serve.out" \
    2>"$TMP/serve.err" &
SERVE_PID=$!
BG_PIDS+=("$SERVE_PID")
URL=
for ((i = 0; i < 200; i++)); do
    URL=$(sed -n 's/^reel serve: HTTP on //p' "$TMP/serve.err" | head -n 1)
    [[ -n $URL ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "reel serve exited: $(head -c 400 "$TMP/serve.err")"
    sleep 0.05
done
[[ $URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "reel serve printed no URL: $(head -c 400 "$TMP/serve.err")"
# Enough recorded for a 1.5 s grab.
for ((i = 0; i < 200; i++)); do
    head=$(curl -sS --max-time 5 "$URL/api/streams" | json "max([s['head_frame'] for s in d] or [0])" 2>/dev/null || echo 0)
    ((head >= 96000)) && break
    sleep 0.1
done
((head >= 96000)) || fail "serve recorded only $head frames in 20 s"
run_check http mcp URL="$URL"
audio_oracles http
# The session check.mjs ended is gone.
sid=$(json "d['terminated_session']" "$TMP/check-http.json")
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/mcp" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
    --data '{"jsonrpc":"2.0","id":1,"method":"ping"}')
[[ $code == 404 ]] || fail "a terminated session answered HTTP $code, expected 404"

# 3. stdio on the serve's store: calls go to the serve (its HTTP surface made the grab).
run_check stdio "reel http" STORE="$STORE2"
audio_oracles stdio

kill -TERM "$SERVE_PID"
wait_bg "$SERVE_PID"
pass
