#!/usr/bin/env bash
# websocket.sh — the WebSocket at /api/ws (surface/http/http_ws.c) on a serve playing a project
# to `jackd -d dummy`, against clients nobody here wrote:
#  - Debian's python3-websockets (RFC 6455 client): OSCQuery LISTEN on a parameter's path gets
#    its value at once as an OSC message; a binary OSC message /reel/param/b/gain 0.5 (touch)
#    drives it and the listener sees 0.5; a move by another surface (automation_schedule) is
#    seen too; a ping is answered; refusals (an unknown parameter, a bad command, a path that
#    is not a parameter's) come back as text frames naming them; IGNORE stops the values;
#  - a raw socket with Python's hashlib as the oracle of the handshake's Sec-WebSocket-Accept
#    (SHA-1 of the key and RFC 6455's GUID); an unmasked frame is closed with 1002, a frame
#    over 64 KiB with 1009;
#  - curl: /api/ws without an upgrade is 426, a bad key 400.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
need sox curl
DEB_PY=/usr/bin/python3
[[ -x $DEB_PY ]] && $DEB_PY -c 'import websockets' 2>/dev/null ||
    fail "this test needs Debian's python3-websockets ($DEB_PY -c 'import websockets')"
start_jackd

mono_project ws $RATE
edit graph set "$P" --graph '{"nodes":[{"id":"t","kind":"track","track":"'"$T"'"},
 {"id":"b","kind":"bus","channels":1},{"id":"o","kind":"output","channels":1}],
 "connections":[{"from":"t","to":"b"},{"from":"b","to":"o"}]}'
reel_bg "$TMP/serve.log" serve --source tone --stream stream://tone/ws --listen 127.0.0.1:0
SERVE_PID=$BG_PID
FAIL_LOGS=("$TMP/serve.log")
serve_ready "$TMP/serve.log" "$SERVE_PID"
ok reel call transport_play '{"project": "'"$P"'", "from": 0}' >/dev/null

$DEB_PY - "$SERVE_URL" "$REEL" "$STORE" <<'EOF' || fail "the WebSocket client"
import asyncio, json, struct, subprocess, sys
import websockets

url, reel, store = sys.argv[1].replace("http://", "ws://") + "/api/ws", sys.argv[2], sys.argv[3]

def osc(path, *floats):
    def s(x):
        b = x.encode() + b"\0"
        return b + b"\0" * (-len(b) % 4)
    return s(path) + s("," + "f" * len(floats)) + b"".join(struct.pack(">f", f) for f in floats)

def parse(b):
    end = b.index(b"\0")
    path = b[:end].decode()
    at = (end + 4) & ~3
    tend = b.index(b"\0", at)
    assert b[at:tend] == b",f", b
    at = (tend + 4) & ~3
    return path, struct.unpack(">f", b[at:at + 4])[0]

async def value(ws, want):
    """The next value frames until `want` arrives (frames of older values may come first)."""
    while True:
        m = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(m, bytes), m
        path, v = parse(m)
        assert path == "/reel/param/b/gain", path
        if v == want:
            return

async def error(ws, part):
    while True:
        m = await asyncio.wait_for(ws.recv(), 10)
        if isinstance(m, str):
            d = json.loads(m)
            assert part in d["error"], (part, d)
            return d

async def main():
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/reel/param/b/gain"}))
        await value(ws, 1.0)
        await ws.send(osc("/reel/param/b/gain", 0.5, 1.0))
        await value(ws, 0.5)
        subprocess.check_call([reel, "--store", store, "call", "automation_schedule",
                               '{"target": "b:gain", "value": 0.25}'], stdout=subprocess.DEVNULL)
        await value(ws, 0.25)
        await ws.send(osc("/reel/param/nope/gain", 1.0))
        d = await error(ws, "not in the graph playing")
        assert d["address"] == "/reel/param/nope/gain", d
        await ws.send("garbage")
        await error(ws, "want {")
        await ws.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/fader/1"}))
        await error(ws, "not under /reel/param/")
        await ws.send(json.dumps({"COMMAND": "SHOUT", "DATA": "/reel/param/b/gain"}))
        await error(ws, "unknown COMMAND")
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
        await ws.send(json.dumps({"COMMAND": "IGNORE", "DATA": "/reel/param/b/gain"}))
        await ws.send(osc("/reel/param/b/gain", 0.75))
        # nothing more comes for the path ignored: listen to another one and move it after
        # b:gain's change; the frames are in order, so any for b would come before t's 0.5
        await ws.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/reel/param/t/gain"}))
        first = True
        while True:
            m = await asyncio.wait_for(ws.recv(), 10)
            assert isinstance(m, bytes), m
            path, v = parse(m)
            assert path == "/reel/param/t/gain", ("a value after IGNORE", path, v)
            if first:
                first = False
                subprocess.check_call([reel, "--store", store, "call", "automation_schedule",
                                       '{"target": "t:gain", "value": 0.5}'],
                                      stdout=subprocess.DEVNULL)
            elif v == 0.5:
                break
    print("ok websocket")

asyncio.run(main())
EOF
ok reel call param_values '{"targets": ["b:gain"]}' >"$TMP/vals.json"
json_check "d['values']['b:gain'] == 0.75" "$TMP/vals.json"

# The handshake and the framing rules, on a raw socket.
$DEB_PY - "$SERVE_URL" <<'EOF' || fail "the raw WebSocket checks"
import base64, hashlib, os, socket, struct, sys
host, port = sys.argv[1][len("http://"):].split(":")

def connect():
    s = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n" % key).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 101"), lines
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    assert hdr["sec-websocket-accept"] == want, (hdr, want)
    assert hdr["upgrade"].lower() == "websocket", hdr
    return s

def close_code(s):
    b = b""
    while True:
        c = s.recv(64)
        if not c:
            break
        b += c
        if len(b) >= 4:
            break
    assert b[0] == 0x88, b
    return struct.unpack(">H", b[2:4])[0]

s = connect()
s.sendall(b"\x81\x05hello")  # unmasked
assert close_code(s) == 1002
s.close()
s = connect()
s.sendall(b"\x82\xff" + struct.pack(">Q", 70000) + b"\0\0\0\0")  # masked, over 64 KiB
assert close_code(s) == 1009
s.close()
print("ok raw")
EOF

curl -s -o "$TMP/body" -w '%{http_code}' "$SERVE_URL/api/ws" >"$TMP/code"
[[ $(cat "$TMP/code") == 426 ]] || fail "GET /api/ws without an upgrade: $(cat "$TMP/code") $(cat "$TMP/body")"
json_check "d['error']['code'] == 'upgrade_required'" "$TMP/body" 2>/dev/null ||
    grep -q "upgrade_required" "$TMP/body" || fail "426 body: $(cat "$TMP/body")"
curl -s -o "$TMP/body" -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: short' "$SERVE_URL/api/ws" >"$TMP/code"
[[ $(cat "$TMP/code") == 400 ]] || fail "a bad key: $(cat "$TMP/code") $(cat "$TMP/body")"
ok reel call transport_stop >/dev/null
kill -INT "$SERVE_PID"
wait_bg "$SERVE_PID"
pass
