#!/usr/bin/env bash
# The HTTP surface against curl as the oracle: every route of `reel http`, the blob API
# (b3sum checks every body), server-sent events, the hostile cases (traversal in every
# spelling, a PUT whose body is not its name, truncated and oversized bodies, malformed JSON,
# unknown fields, bad time specs), the token rules, and `reel sync` between two stores each
# served by `reel http`. Servers listen on port 0 and print the port the kernel gave them.
source "$(dirname "$0")/lib.sh"
need curl

# http_start STORE VAR [reel http options]: serve STORE; its URL into VAR.
http_start() {
    local store=$1 var=$2 log i
    shift 2
    log=$TMP/http-$var.log
    "$REEL" --store "$store" http --listen 127.0.0.1:0 "$@" >"$log" 2>"$log.err" &
    BG_PIDS+=($!)
    eval "${var}_PID=$!"
    for ((i = 0; i < 100; i++)); do
        [[ -s $log ]] && break
        sleep 0.05
    done
    [[ -s $log ]] || fail "reel http did not print its URL: $(head -c 300 "$log.err")"
    printf -v "$var" '%s' "$(head -n 1 "$log")"
    [[ ${!var} =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "reel http printed '${!var}'"
}

# http_stop PID: SIGTERM, and the server must exit 0 promptly.
http_stop() {
    local pid=$1 i
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && fail "reel http ignored SIGTERM"
    wait_bg "$pid"
}

# req EXPECT_STATUS CURL_ARGS...: the body in $TMP/body, headers in $TMP/hdr.
req() {
    local want=$1 got
    shift
    got=$(curl -sS --max-time 20 -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' "$@") ||
        fail "curl failed: $*"
    [[ $got == "$want" ]] || fail "HTTP $got, expected $want: $* -- $(head -c 300 "$TMP/body")"
}

# err_code: the JSON error code of the last body (and it must be the error shape: code,
# message, and a reason string where the failure has a stable sub-code).
err_code() {
    json "d['error']['code'] if isinstance(d['error']['message'], str) and set(d['error']) <= {'code', 'message', 'reason'} and isinstance(d['error'].get('reason', ''), str) else 'BAD SHAPE'" "$TMP/body"
}
err_reason() {
    json "d['error'].get('reason', 'NONE')" "$TMP/body"
}

header() {
    tr -d '\r' <"$TMP/hdr" | sed -n "s/^$1: //Ip" | tail -n 1
}

enc() {
    python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

mksrc src.wav 2 2 f32
record_file src.wav
URI=stream://file/src
E_URI=$(enc "$URI")

http_start "$STORE" A
U=$A

# ---- REST --------------------------------------------------------------------------------
req 200 "$U/api/streams"
[[ $(header Content-Type) == application/json ]] || fail "streams Content-Type: $(header Content-Type)"
reel --json streams >cli-streams.json
python3 - "$TMP/body" cli-streams.json <<'EOF' || fail "GET /api/streams differs from reel --json streams"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for x in a + b:
    x.pop("last_updated_ns", None)
sys.exit(a != b)
EOF
req 200 "$U/api/streams/$E_URI"
reel --json status "$URI" >cli-status.json
[[ $(json "d['head_frame']" "$TMP/body") == "$(json "d['head_frame']" cli-status.json)" ]] ||
    fail "status head_frame differs from the CLI's"
[[ $(json "d['uri']" "$TMP/body") == "$URI" ]] || fail "status of the wrong stream"
req 404 "$U/api/streams/$(enc stream://no/such)"
[[ $(err_code) == not_found ]] || fail "unknown stream: $(err_code)"

# Slices: last, from/to in several time spec forms, formats, virtual, tags.
req 201 -X POST -H 'Content-Type: application/json' \
    -d '{"from": "#4800", "to": "#52800", "format": "wav", "tags": ["http", "take:1"]}' \
    "$U/api/streams/$E_URI/slice"
[[ $(json "(d['from_frame'], d['to_frame'], d['frames'], d['mime'])" "$TMP/body") == "(4800, 52800, 48000, 'audio/wav')" ]] ||
    fail "slice result: $(cat "$TMP/body")"
ART=$(json "d['artifact']" "$TMP/body")
ART_HASH=$(json "d['content_hash']" "$TMP/body")
# The same window by the CLI is the same bytes (content addressing makes it the same hash).
slice_ok "$URI" --from '#4800' --to '#52800' --out cli.wav
[[ $SL_HASH == "$ART_HASH" ]] || fail "HTTP slice $ART_HASH differs from CLI slice $SL_HASH"
req 201 -X POST -d '{"last": "0.5s", "format": "flac", "sample_format": "i16"}' "$U/api/streams/$E_URI/slice"
FLAC_ART=$(json "d['artifact']" "$TMP/body")
[[ $(json "d['frames']" "$TMP/body") == 24000 ]] || fail "last 0.5s: $(cat "$TMP/body")"
req 201 -X POST -d '{"from": "start", "to": "-1s", "virtual": true}' "$U/api/streams/$E_URI/slice"
VIRT_ART=$(json "d['artifact']" "$TMP/body")
[[ $(json "d['to_frame']" "$TMP/body") == 48000 ]] || fail "virtual slice: $(cat "$TMP/body")"

req 200 "$U/api/artifacts"
[[ $(json "len(d)" "$TMP/body") -ge 5 ]] || fail "artifact list: $(head -c 300 "$TMP/body")"
req 200 "$U/api/artifacts?tag=http&tag=take%3A1"
[[ $(json "[a['id'] for a in d] == ['$ART']" "$TMP/body") == true ]] || fail "tag filter: $(cat "$TMP/body")"
req 200 "$U/api/artifacts/$ART"
reel --json show "$ART" >cli-show.json
python3 - "$TMP/body" cli-show.json <<'EOF' || fail "GET /api/artifacts/ID differs from reel --json show"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(a != b)
EOF
[[ $(json "len(d['ancestors']) >= 1 and d['parent'] == d['ancestors'][0]" "$TMP/body") == true ]] ||
    fail "lineage upwards: $(head -c 300 "$TMP/body")"
DEF_ART=$(json "d['parent']" "$TMP/body")
req 200 "$U/api/artifacts/$DEF_ART"
json "d['children']" "$TMP/body" | grep -q "\"$ART\"" || fail "lineage downwards: $ART not a child of $DEF_ART"
req 404 "$U/api/artifacts/art-ffffffffffff0000"

# Downloads with their types; bytes checked with b3sum.
curl -sS -o dl.wav -D "$TMP/hdr" "$U/api/artifacts/$ART/content" || fail "download failed"
[[ $(header Content-Type) == audio/wav ]] || fail "wav Content-Type: $(header Content-Type)"
[[ blake3:$(hash_of dl.wav) == "$ART_HASH" ]] || fail "downloaded wav does not hash to its artifact"
cmp -s dl.wav cli.wav || fail "downloaded wav differs from the CLI's"
req 200 "$U/api/artifacts/$FLAC_ART/content"
[[ $(header Content-Type) == audio/flac ]] || fail "flac Content-Type: $(header Content-Type)"
cp "$TMP/body" dl.flac
[[ $(sox_info dl.flac 'Sample Encoding') == *FLAC* ]] || fail "the flac download is not FLAC"
[[ $(sox_samples dl.flac) == 24000 ]] || fail "the flac download has $(sox_samples dl.flac) frames"
req 200 "$U/api/artifacts/$VIRT_ART/content"
[[ $(header Content-Type) == *json* ]] || fail "virtual slice Content-Type: $(header Content-Type)"
req 200 "$U/api/artifacts/$DEF_ART/content"
[[ $(header Content-Type) == application/json ]] || fail "definition Content-Type: $(header Content-Type)"
json "d['uri']" "$TMP/body" >/dev/null || fail "stream definition is not JSON"

# ---- blobs ---------------------------------------------------------------------------------
head -c 300000 /dev/urandom >blob.bin
BH=$(hash_of blob.bin)
req 404 -I "$U/blobs/blake3:$BH"
req 201 -X PUT --data-binary @blob.bin "$U/blobs/blake3:$BH"
[[ $(json "(d['stored'], d['bytes'])" "$TMP/body") == "(True, 300000)" ]] || fail "PUT: $(cat "$TMP/body")"
[[ $(b3sum --no-names "$(content_path "$BH")") == "$BH" ]] || fail "stored blob does not hash to its name"
stat1=$(stat -c '%i %Y' "$(content_path "$BH")")
req 200 -X PUT --data-binary @blob.bin "$U/blobs/blake3:$BH"
[[ $(json "d['stored']" "$TMP/body") == false ]] || fail "second PUT: $(cat "$TMP/body")"
[[ $(stat -c '%i %Y' "$(content_path "$BH")") == "$stat1" ]] || fail "idempotent PUT rewrote the blob"
req 200 -I "$U/blobs/blake3:$BH"
[[ $(header Content-Length) == 300000 ]] || fail "HEAD Content-Length: $(header Content-Length)"
curl -sS -o got.bin "$U/blobs/blake3:$BH" || fail "GET blob failed"
[[ $(hash_of got.bin) == "$BH" ]] || fail "GET blob: wrong bytes"
req 206 -H 'Range: bytes=1000-1999' "$U/blobs/blake3:$BH"
[[ $(header Content-Range) == "bytes 1000-1999/300000" ]] || fail "Content-Range: $(header Content-Range)"
cmp -s "$TMP/body" <(tail -c +1001 blob.bin | head -c 1000) || fail "range 1000-1999: wrong bytes"
req 206 -H 'Range: bytes=-10' "$U/blobs/blake3:$BH"
cmp -s "$TMP/body" <(tail -c 10 blob.bin) || fail "suffix range: wrong bytes"
req 206 -H 'Range: bytes=299990-' "$U/blobs/blake3:$BH"
[[ $(stat -c %s "$TMP/body") == 10 ]] || fail "open range: wrong length"
req 416 -H 'Range: bytes=300000-' "$U/blobs/blake3:$BH"
[[ $(header Content-Range) == "bytes */300000" ]] || fail "416 Content-Range: $(header Content-Range)"
req 200 -H 'Range: bytes=5-1' "$U/blobs/blake3:$BH" # invalid: ignored
req 200 "$U/blobs"
json "d['blobs']" "$TMP/body" | grep -q "blake3:$BH" || fail "GET /blobs does not list $BH"
# An empty blob is a blob too.
EH=$(hash_of /dev/null)
req 201 -X PUT --data-binary @/dev/null "$U/blobs/blake3:$EH"

# ---- hostile input: nothing may change in the store ----------------------------------------
store_snapshot before.txt
ZERO=$(printf '0%.0s' {1..64})
req 422 -X PUT --data-binary @blob.bin "$U/blobs/blake3:$ZERO"
[[ $(err_code) == hash_mismatch ]] || fail "mismatch: $(err_code)"
head -c 1000 /dev/urandom >other.bin
req 422 -X PUT --data-binary @other.bin "$U/blobs/blake3:$(hash_of src.wav)"
for p in '/blobs/../x' '/blobs/%2e%2e/x' '/blobs/%2E%2E%2Fcas' '/blobs/..%2f..%2fetc%2fpasswd' \
    '/api/streams/..' '/api/artifacts/%2e' '/blobs/blake3:../../etc/passwd' '//etc/passwd' \
    '/blobs//etc/passwd' '/api/streams/a%00b' '/api/streams/%zz'; do
    req 400 --path-as-is "$U$p"
    [[ $(err_code) == bad_* ]] || fail "$p: code $(err_code)"
    req 400 --path-as-is -X PUT --data-binary @blob.bin "$U$p"
done
req 400 "$U/blobs/%2Fetc%2Fpasswd"
req 400 "$U/api/artifacts/%2Fetc%2Fpasswd/content"
req 400 "$U/blobs/blake3:$(echo "$BH" | tr a-f A-F)"
req 404 "$U/etc/passwd"
[[ $(err_code) == unknown_route ]] || fail "unknown route: $(err_code)"
# The web page: / and its files by name only (embedded in reel, never a path on disk).
req 200 "$U/"
[[ $(header Content-Type) == text/html* ]] || fail "/: $(header Content-Type)"
grep -q '<script type="module" src="/web/app.js">' "$TMP/body" || fail "/ is not the page"
req 200 "$U/web/app.js"
[[ $(header Content-Type) == text/javascript* ]] || fail "/web/app.js: $(header Content-Type)"
req 404 "$U/web/nothing.js"
[[ $(err_code) == not_found ]] || fail "/web/nothing.js: $(err_code)"
req 400 --path-as-is "$U/web/..%2fREADME.md"
req 400 "$U/web/.hidden"
req 405 -X POST "$U/"
req 405 -X DELETE "$U/blobs/blake3:$BH"
[[ $(header Allow) == "GET, HEAD, PUT" ]] || fail "405 Allow: $(header Allow)"
[[ $(err_code) == method_not_allowed ]] || fail "405 code: $(err_code)"
req 405 -X PUT "$U/api/streams"
req 405 "$U/api/streams/$E_URI/slice"
req 400 "$U/api/streams?evil=1"
SL="$U/api/streams/$E_URI/slice"
req 400 -X POST -d '{"last": ' "$SL"
[[ $(err_code) == malformed_json ]] || fail "malformed JSON: $(err_code)"
[[ $(err_reason) == slice.malformed_json ]] || fail "malformed JSON: reason $(err_reason)"
req 400 -X POST -d 'not json' "$SL"
req 400 -X POST --data-binary @/dev/null "$SL"
req 400 -X POST -d '{"last": "1s", "last": "2s"}' "$SL"
req 400 -X POST -d '{"last": "1s", "out": "/etc/passwd"}' "$SL"
[[ $(err_code) == unknown_field ]] || fail "unknown field: $(err_code)"
[[ $(err_reason) == slice.unknown_field ]] || fail "unknown field: reason $(err_reason)"
req 400 -X POST -d '{"from": "yesterday", "to": "head"}' "$SL"
[[ $(err_code) == invalid_time_spec ]] || fail "bad time spec: $(err_code)"
[[ $(err_reason) == slice.bad_time_spec ]] || fail "bad time spec: reason $(err_reason)"
req 400 -X POST -d '{"from": "#1", "to": "2026-13-45T99:00:00Z"}' "$SL"
req 400 -X POST -d '{"last": "-5s"}' "$SL"
req 400 -X POST -d '{"last": "1s", "format": "../../x"}' "$SL"
req 400 -X POST -d '{"last": "1s", "tags": "x"}' "$SL"
req 422 -X POST -d '{"from": "#1", "to": "#99999999"}' "$SL"
req 404 -X POST -d '{"last": "1s"}' "$U/api/streams/$(enc stream://no/such)/slice"
# Oversized: a 2 MiB JSON body is refused from its Content-Length, before it is read.
head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >big.json
req 413 -X POST --data-binary @big.json "$SL"
[[ $(err_code) == payload_too_large ]] || fail "oversized: $(err_code)"
# ... and one without a length (chunked) is cut off at the limit: no 2xx, nothing stored.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
    --data-binary @big.json "$SL" || true)
[[ $code != 2* ]] || fail "a chunked body over the limit got HTTP $code"
# Truncated: the connection ends before Content-Length bytes arrived.
python3 - "${U##*:}" "$BH" <<'EOF' || fail "truncated upload: could not connect"
import socket, sys, time
h = "blake3:" + "1" * 64
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PUT /blobs/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" % h.encode() + b"a" * 5000)
time.sleep(0.3)
s.close()
EOF
# Headers past the connection's buffer are refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$U/api/streams" || true)
[[ $code == 4* || $code == 000 ]] || fail "100 kB of headers got HTTP $code"
# The ops route: the same gate for every surface's arguments.
OPS="$U/api/ops"
req 200 "$OPS"
json "[o['name'] for o in d if o['name'] == 'grab' and o['input_schema']['type'] == 'object']" "$TMP/body" | grep -q grab ||
    fail "GET /api/ops does not describe grab"
req 400 -X POST -d '{"seconds": ' "$OPS/grab"
[[ $(err_code) == malformed_json ]] || fail "ops malformed JSON: $(err_code)"
req 400 -X POST -d '{"secs": 1}' "$OPS/grab"
[[ $(err_code) == invalid_argument ]] && grep -q 'unknown field \\"secs\\"' "$TMP/body" ||
    fail "ops unknown field: $(cat "$TMP/body")"
req 400 -X POST -d '{"seconds": "10"}' "$OPS/grab"
grep -q 'must be a number' "$TMP/body" || fail "ops wrong type: $(cat "$TMP/body")"
req 400 -X POST -d '{"seconds": -1}' "$OPS/grab"
req 400 -X POST -d '{"seconds": 1e400}' "$OPS/grab"
req 400 -X POST -d '[1, 2]' "$OPS/grab"
req 400 -X POST -d '{"stream": "'"$URI"'", "from": "yesterday", "to": "head"}' "$OPS/stream_slice"
grep -q yesterday "$TMP/body" || fail "ops bad time spec not named: $(cat "$TMP/body")"
req 400 -X POST -d '{"stream": "'"$URI"'", "last": "1s", "format": "exe"}' "$OPS/stream_slice"
req 400 -X POST -d '{"id": "x", "id": "y"}' "$OPS/artifact_get"
req 400 -X POST -d "{\"tags\": [$(printf '"t",%.0s' {1..40})\"t\"]}" "$OPS/artifact_list"
req 404 -X POST -d '{}' "$OPS/no_such_op"
[[ $(err_code) == not_found ]] || fail "unknown op: $(err_code)"
req 400 --path-as-is -X POST -d '{}' "$OPS/..%2Fgrab"
req 405 "$OPS/grab"
python3 -c 'print("{\"a\":" * 5000 + "1" + "}" * 5000)' >deep.json
req 400 -X POST --data-binary @deep.json "$OPS/artifact_list"
# A symbolic link planted where a sealed blob belongs is never served or followed.
echo "not reel's" >outside.txt
OH=$(hash_of outside.txt)
mkdir -p "$(dirname "$(content_path "$OH")")"
ln -s "$PWD/outside.txt" "$(content_path "$OH")"
req 500 "$U/blobs/blake3:$OH"
[[ $(err_code) == corrupt ]] || fail "symlinked blob: $(err_code) $(cat "$TMP/body")"
grep -q "not reel's" "$TMP/body" && fail "a symlink out of the store was served"
rm -f "$(content_path "$OH")"
rmdir "$(dirname "$(content_path "$OH")")" "$(dirname "$(dirname "$(content_path "$OH")")")" 2>/dev/null || true
sleep 0.3
store_snapshot after.txt
diff -u before.txt after.txt >snap.diff || fail "hostile requests changed the store: $(head -c 600 snap.diff)"
[[ -z $(ls -A "$STORE/cas/tmp") ]] || fail "a temporary file was left in cas/tmp: $(ls "$STORE/cas/tmp")"

# ---- server-sent events -----------------------------------------------------------------------
curl -sS -N --max-time 5 "$U/api/events" >events.txt 2>/dev/null &
EV=$!
sleep 0.5
head -c 777 /dev/urandom >ev.bin
req 201 -X PUT --data-binary @ev.bin "$U/blobs/blake3:$(hash_of ev.bin)"
req 201 -X POST -d '{"last": "0.1s", "tags": ["sse"]}' "$SL"
EV_ART=$(json "d['artifact']" "$TMP/body")
sleep 0.5
http_stop "$A_PID" # also ends the event stream
wait "$EV" 2>/dev/null || true
grep -q '^event: blob$' events.txt || fail "no blob event: $(head -c 300 events.txt)"
grep -q "^data: .*blake3:$(hash_of ev.bin)" events.txt || fail "blob event without its hash"
grep -q '^event: artifact$' events.txt || fail "no artifact event"
grep -q "^data: .*$EV_ART" events.txt || fail "artifact event without its id"

# ---- tokens --------------------------------------------------------------------------------------
expect_fail 2 reel http --listen 0.0.0.0:0
grep -q token "$TMP/ef.err" || fail "non-loopback refusal does not mention the token: $(cat "$TMP/ef.err")"
expect_fail 2 reel http --listen '[::]:0'
echo short >weak.tok
expect_fail 2 reel http --listen 127.0.0.1:0 --token-file weak.tok
expect_fail any reel http --listen 127.0.0.1:0 --token-file missing.tok
expect_fail 2 reel http --listen 127.0.0.1:99999
printf 'tok-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >good.tok
chmod 600 good.tok
TOK=$(head -n 1 good.tok)
http_start "$STORE" B --token-file good.tok
req 401 "$B/api/streams"
[[ $(header WWW-Authenticate) == Bearer* ]] || fail "401 without WWW-Authenticate"
[[ $(err_code) == unauthorized ]] || fail "401 code: $(err_code)"
req 401 -H "Authorization: Bearer ${TOK}x" "$B/api/streams"
req 401 -H "Authorization: Bearer ${TOK%?}" "$B/api/streams"
req 401 -H "Authorization: Basic $TOK" "$B/api/streams"
req 401 -X PUT --data-binary @blob.bin "$B/blobs/blake3:$BH"
req 401 --path-as-is "$B/blobs/../x" # no route information before the token
req 200 -H "Authorization: Bearer $TOK" "$B/api/streams"
http_stop "$B_PID"
# A token lets a server listen beyond loopback.
"$REEL" --store "$STORE" http --listen 0.0.0.0:0 --token-file good.tok >wide.log 2>&1 &
W=$!
BG_PIDS+=($W)
for ((i = 0; i < 100; i++)); do [[ -s wide.log ]] && break; sleep 0.05; done
grep -q '^http://0\.0\.0\.0:[0-9]*$' wide.log || fail "0.0.0.0 with a token: $(cat wide.log)"
http_stop "$W"

# ---- sync between two stores ------------------------------------------------------------------
S2=$TMP/store2
S3=$TMP/store3
ok "$REEL" --store "$S2" init >/dev/null
ok "$REEL" --store "$S3" init >/dev/null
http_start "$S2" C
n_local=$(find "$STORE/cas/content" -type f | wc -l)
ok reel --json sync push "$C" >push1.json
[[ $(json "(d['blobs'], d['transferred'], d['present'])" push1.json) == "($n_local, $n_local, 0)" ]] ||
    fail "first push: $(cat push1.json)"
ok reel --json sync push "$C" >push2.json
[[ $(json "(d['transferred'], d['present'])" push2.json) == "(0, $n_local)" ]] ||
    fail "second push sent again: $(cat push2.json)"
(cd "$STORE/cas/content" && find . -type f | LC_ALL=C sort) >a.list
(cd "$S2/cas/content" && find . -type f | LC_ALL=C sort) >b.list
cmp -s a.list b.list || fail "pushed store has other blobs"
while read -r f; do
    [[ $(b3sum --no-names "$S2/cas/content/$f") == "$(basename "$f")" ]] || fail "pushed $f is corrupt"
done <b.list
# A blob only the remote has comes back with pull; a given list moves only what it names.
head -c 4096 /dev/urandom >only2.bin
O2=$(hash_of only2.bin)
req 201 -X PUT --data-binary @only2.bin "$C/blobs/blake3:$O2"
ok reel --json sync pull "$C" >pull.json
[[ $(json "(d['transferred'], d['present'])" pull.json) == "(1, $n_local)" ]] || fail "pull: $(cat pull.json)"
[[ $(b3sum --no-names "$(content_path "$O2")") == "$O2" ]] || fail "pulled blob is wrong"
ok "$REEL" --store "$S3" --json sync pull "$C" "blake3:$O2" >pull3.json
[[ $(json "d['transferred']" pull3.json) == 1 ]] || fail "pull of one hash: $(cat pull3.json)"
[[ $(find "$S3/cas/content" -type f | wc -l) == 1 ]] || fail "pull of one hash fetched more"
expect_fail 1 "$REEL" --store "$S3" sync pull "$C" "blake3:$ZERO"
expect_fail 1 "$REEL" --store "$S3" sync push "$C" "blake3:$ZERO"
expect_fail 2 "$REEL" --store "$S3" sync push "$C" nothex
expect_fail 2 "$REEL" --store "$S3" sync sideways "$C"
http_stop "$C_PID"
expect_fail 1 reel sync push "$C"
fsck_clean
pass
