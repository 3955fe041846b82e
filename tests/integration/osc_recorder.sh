#!/usr/bin/env bash
# The OSC recorder and the take state machine against a live `reel serve` (tone source):
# - /record/start, /record/status, /record/stop answered to the sender over OSC
#   (/reel/reply, /record/status/reply, /reel/error); the replies are also fed to liblo's
#   oscdump, which must parse them; requests also sent with liblo's oscsend;
# - the take in exports/ holds exactly the frames its stop reported (sox counts them; the
#   samples equal `reel slice --format raw` of the same window), and is an artifact;
# - the same name again is numbered, never overwritten;
# - traversal names (../x, /etc/x, a/b) and a symlink at the name write nothing outside
#   exports/; garbage packets, wrong types and counts, unknown addresses each get a
#   /reel/error and the server stays up;
# - the HTTP record ops share the state machine (409 illegal_state);
# - stress: 3 OSC clients and 2 HTTP clients fire start/stop at random for a few seconds:
#   every reply is a success or a named state error, the server survives, and exports/
#   holds exactly the successful takes, each complete.
source "$(dirname "$0")/lib.sh"
need curl oscsend oscdump

CLIENT="python3 $LIB_DIR/osc_client.py"

reel_bg "$TMP/serve.log" serve --source tone:440 --osc 0 --listen 127.0.0.1:0
SERVE=$BG_PID
for _ in $(seq 100); do
    grep -q 'engine connected' "$TMP/serve.log" && grep -q 'HTTP on' "$TMP/serve.log" && break
    kill -0 "$SERVE" 2>/dev/null || fail "serve exited: $(tail -3 "$TMP/serve.log")"
    sleep 0.1
done
PORT=$(sed -n 's|.*OSC on udp://127.0.0.1:\([0-9]*\).*|\1|p' "$TMP/serve.log")
URL=$(sed -n 's|.*HTTP on \(http://[^ ]*\).*|\1|p' "$TMP/serve.log")
[[ -n $PORT && -n $URL ]] || fail "serve did not print its OSC port and URL: $(cat "$TMP/serve.log")"
EXPORTS=$STORE/exports

# osc ADDRESS [ARG...] [-- ...]: replies as JSON lines in $TMP/r (one per request).
osc() {
    $CLIENT "$PORT" "$@" >"$TMP/r" || fail "no reply to: $* ($(cat "$TMP/r"))"
}
# field N: reply N's args, as JSON.
reply() { sed -n "${1}p" "$TMP/r"; }
addr_of() { reply "$1" | json "d['address']"; }
arg_of() { reply "$1" | json "d['args'][$2]"; }
alive() {
    kill -0 "$SERVE" 2>/dev/null || fail "reel serve died: $(tail -5 "$TMP/serve.log")"
    osc /record/status
    [[ $(addr_of 1) == /record/status/reply ]] || fail "no status reply: $(cat "$TMP/r")"
}
wait_idle() {
    for _ in $(seq 100); do
        osc /record/status
        [[ $(arg_of 1 0) == idle ]] && return 0
        sleep 0.1
    done
    fail "the recorder did not return to idle: $(cat "$TMP/r")"
}
# check_take FILE FROM TO: FILE in exports/ holds exactly frames [FROM, TO) of the tone.
check_take() {
    local f=$EXPORTS/$1 from=$2 to=$3
    [[ -f $f ]] || fail "take $1 is not in exports/: $(ls "$EXPORTS")"
    [[ $(sox_samples "$f") -eq $((to - from)) ]] ||
        fail "$1: sox counts $(sox_samples "$f") frames, the stop said $((to - from))"
    ok reel slice stream://tone/main --from "#$from" --to "#$to" --format raw \
        --out "$TMP/ref.raw" >/dev/null
    pcm_same "$f" "$TMP/ref.raw" --raw-b 2:48000:f32
}

# ---- status, start, stop -----------------------------------------------------------------
osc /record/status
[[ $(addr_of 1) == /record/status/reply && $(arg_of 1 0) == idle ]] || fail "status: $(cat "$TMP/r")"

# oscdump: liblo must parse what reel sends. Replies are forwarded to it verbatim.
DUMP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
oscdump -L "$DUMP_PORT" >"$TMP/dump" 2>&1 &
BG_PIDS+=($!)

oscsend 127.0.0.1 "$PORT" /record/start s "first take" # liblo's encoder; its reply is lost
for _ in $(seq 50); do
    osc /record/status
    [[ $(arg_of 1 0) == recording ]] && break
    sleep 0.1
done
[[ $(arg_of 1 0) == recording && $(arg_of 1 1) == first_take.wav ]] ||
    fail "oscsend /record/start did not start first_take.wav: $(cat "$TMP/r")"
sleep 1.5
osc /record/start -- /record/stop -- /record/stop
[[ $(addr_of 1) == /reel/error && $(arg_of 1 0) == /record/start && $(arg_of 1 1) == illegal_state ]] ||
    fail "second start: $(reply 1)"
reply 1 | grep -q 'already recording take first_take.wav' || fail "second start message: $(reply 1)"
[[ $(addr_of 2) == /reel/reply && $(arg_of 2 0) == record_stop ]] || fail "stop: $(reply 2)"
[[ $(addr_of 3) == /reel/error && $(arg_of 3 1) == illegal_state ]] || fail "second stop: $(reply 3)"
read -r FROM TO < <(reply 2 | json "' '.join(str(d['args'][d['args'].index(k) + 1]) for k in ('from_frame', 'to_frame'))")
(( TO - FROM > 48000 )) || fail "a 1.5 s take holds only $((TO - FROM)) frames"
wait_idle
[[ $(arg_of 1 1) == first_take.wav && $(arg_of 1 2) -eq $((TO - FROM)) ]] ||
    fail "idle status does not describe the last take: $(reply 1)"
check_take first_take.wav "$FROM" "$TO"
reel --json artifacts --tag take >"$TMP/arts.json"
[[ $(json "len(d)" "$TMP/arts.json") -eq 1 ]] || fail "expected 1 take artifact: $(cat "$TMP/arts.json")"
[[ $(json "d[0]['source_window']['from_frame']" "$TMP/arts.json") -eq $FROM ]] || fail "artifact window"
[[ $(json "d[0]['content_hash']" "$TMP/arts.json") == "blake3:$(hash_of "$EXPORTS/first_take.wav")" ]] ||
    fail "the take artifact's content is not the file in exports/"

# ---- the replies parse with liblo (oscdump) --------------------------------------------------
python3 - "$PORT" "$DUMP_PORT" <<'PY' || fail "could not relay replies to oscdump"
import socket, sys
port, dump = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
for m in (b"/record/status\0\0,\0\0\0", b"/record/stop\0\0\0\0,\0\0\0", b"/nope\0\0\0,\0\0\0"):
    s.sendto(m, ("127.0.0.1", port))
    data, _ = s.recvfrom(65536)
    s.sendto(data, ("127.0.0.1", dump))
PY
sleep 0.5
grep -q "/record/status/reply sshd \"idle\" \"first_take.wav\" $((TO - FROM)) " "$TMP/dump" ||
    fail "oscdump did not parse the status reply: $(cat "$TMP/dump")"
grep -q ' /reel/error sss "/record/stop" "illegal_state"' "$TMP/dump" ||
    fail "oscdump did not parse the error reply: $(cat "$TMP/dump")"
grep -q ' /reel/error sss "/nope" "not_found"' "$TMP/dump" || fail "oscdump: $(cat "$TMP/dump")"

# ---- the same name again: numbered -------------------------------------------------------
osc /record/start "first take" -- /record/stop
[[ $(arg_of 1 0) == record_start ]] || fail "start: $(reply 1)"
reply 1 | grep -q '"first_take-1.wav"' || fail "the repeated name was not numbered: $(reply 1)"
wait_idle
[[ -f $EXPORTS/first_take-1.wav && -f $EXPORTS/first_take.wav ]] || fail "numbered take missing"
check_take first_take.wav "$FROM" "$TO" # untouched

# ---- hostile names ------------------------------------------------------------------------
ln -s "$TMP/outside.wav" "$EXPORTS/link.wav"
before=$(cd "$TMP" && find . -path ./store/cas -prune -o -print | LC_ALL=C sort)
for name in ../x /etc/x a/b ../../../../tmp/reel-osc-x .hidden ..; do
    osc /record/start "$name"
    [[ $(addr_of 1) == /reel/error && $(arg_of 1 1) == invalid_argument ]] ||
        fail "name '$name' was not refused: $(reply 1)"
done
[[ ! -e /etc/x && ! -e /tmp/reel-osc-x && ! -e $TMP/x && ! -e $STORE/x ]] || fail "a traversal name wrote outside exports/"
after=$(cd "$TMP" && find . -path ./store/cas -prune -o -print | LC_ALL=C sort)
[[ $before == "$after" ]] || fail "refused names changed files: $(diff <(echo "$before") <(echo "$after"))"
osc /record/start link.wav -- /record/stop
reply 1 | grep -q '"link-1.wav"' || fail "a symlink at the name was not skipped: $(reply 1)"
wait_idle
[[ ! -e $TMP/outside.wav ]] || fail "the take followed a symlink out of exports/"
osc /record/start 'Live Set #3' -- /record/stop
reply 1 | grep -q '"Live_Set__3.wav"' || fail "unsafe characters were not replaced: $(reply 1)"
wait_idle

# ---- garbage ------------------------------------------------------------------------------
osc --raw 00 -- --raw 0102030405060708 -- --raw "$(printf '#bundle\0' | od -An -tx1 | tr -d ' \n')0000000000000000000003e7" \
    -- --raw "$(printf '/reel/grab\0\0,d\0\0' | od -An -tx1 | tr -d ' \n')0000" \
    -- /record/start i:5 -- /record/start a b -- /record/stop i:1 -- /reel/grab ten \
    -- /reel/grab f:nan -- /nope -- /record -- /reel/session/play
n=$(grep -c '' "$TMP/r")
[[ $n -eq 12 ]] || fail "expected 12 replies, got $n: $(cat "$TMP/r")"
for i in $(seq "$n"); do
    [[ $(addr_of "$i") == /reel/error ]] || fail "garbage $i was not answered with /reel/error: $(reply "$i")"
    [[ $(arg_of "$i" 1) =~ ^(invalid_argument|not_found)$ ]] || fail "garbage $i: $(reply "$i")"
done
oscsend 127.0.0.1 "$PORT" /record/start i 7
oscsend 127.0.0.1 "$PORT" /no/such/thing
alive
[[ $(arg_of 1 0) == idle ]] || fail "garbage changed the state: $(reply 1)"

# ---- /reel/grab, sessions, markers -------------------------------------------------------
osc /reel/grab i:1 -- /reel/grab d:0.5 stream://tone/main -- /reel/grab d:0.5 stream://no/such
[[ $(arg_of 1 0) == grab ]] || fail "/reel/grab: $(reply 1)"
reply 1 | json "dict(zip(d['args'][1::2], d['args'][2::2]))" >"$TMP/grab.json"
[[ $(json "d['frames']" "$TMP/grab.json") -eq 48000 ]] || fail "grab of 1 s: $(cat "$TMP/grab.json")"
[[ $(json "d['content_hash']" "$TMP/grab.json") == "blake3:$(hash_of "$(json "d['path']" "$TMP/grab.json")")" ]] ||
    fail "the grab's path does not hold its content"
[[ $(arg_of 2 0) == grab ]] || fail "/reel/grab with a stream: $(reply 2)"
[[ $(addr_of 3) == /reel/error && $(arg_of 3 1) == not_found ]] || fail "grab of a missing stream: $(reply 3)"
# Sessions and markers are other modules' ops: whether or not this build has them, each
# message gets exactly one answer, a reply or a named error.
osc /reel/session/create -- /reel/session/play -- /reel/session/stop -- /reel/marker drop
for i in 1 2 3 4; do
    [[ $(addr_of "$i") == /reel/reply || ($(addr_of "$i") == /reel/error && -n $(arg_of "$i" 1)) ]] ||
        fail "session/marker message $i: $(reply "$i")"
done

# ---- HTTP shares the state machine --------------------------------------------------------
code=$(curl -s -o "$TMP/h1" -w '%{http_code}' -X POST -d '{"filename": "web"}' "$URL/api/ops/record_start")
[[ $code == 200 ]] || fail "HTTP record_start: $code $(cat "$TMP/h1")"
osc /record/start
[[ $(arg_of 1 1) == illegal_state ]] || fail "OSC start during an HTTP take: $(reply 1)"
code=$(curl -s -o "$TMP/h2" -w '%{http_code}' -X POST "$URL/api/ops/record_start")
[[ $code == 409 ]] || fail "second HTTP start: $code $(cat "$TMP/h2")"
json "d['error']['code']" "$TMP/h2" | grep -qx illegal_state || fail "HTTP error body: $(cat "$TMP/h2")"
code=$(curl -s -o "$TMP/h3" -w '%{http_code}' -X POST -d '{"filename": "../x"}' "$URL/api/ops/record_start")
[[ $code == 409 ]] || fail "HTTP start while recording: $code"
osc /record/stop
[[ $(arg_of 1 0) == record_stop ]] || fail "OSC stop of an HTTP take: $(reply 1)"
wait_idle
[[ -f $EXPORTS/web.wav ]] || fail "web.wav missing"

# ---- stress: OSC and HTTP clients at once ------------------------------------------------
mkdir "$TMP/stress"
ls "$EXPORTS" | LC_ALL=C sort >"$TMP/stress/before"
pids=()
for c in 1 2 3; do
    $CLIENT "$PORT" --stress 4 "$c" >"$TMP/stress/osc$c" &
    pids+=($!)
done
http_stress() {
    local out=$1 end=$((SECONDS + 4)) op code
    while ((SECONDS < end)); do
        ((RANDOM % 2)) && op=record_start || op=record_stop
        code=$(curl -s -o "$out.body" -w '%{http_code}' -X POST -d '{}' "$URL/api/ops/$op") || code=000
        python3 -c 'import json,sys; print(json.dumps({"sent": sys.argv[1], "code": int(sys.argv[2]), "body": json.load(open(sys.argv[3])) if sys.argv[2] != "000" else None}))' \
            "$op" "$code" "$out.body" >>"$out"
    done
}
for c in 1 2; do
    http_stress "$TMP/stress/http$c" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a stress client failed"; done
alive
if [[ $(arg_of 1 0) == recording ]]; then
    osc /record/stop
    echo "{\"sent\": \"/record/stop\", \"reply\": $(reply 1)}" >>"$TMP/stress/osc1"
fi
wait_idle
python3 - "$TMP/stress" "$EXPORTS" <<'PY' || fail "stress: $(tail -c 600 "$TMP/stress/verdict")"
import glob, json, os, subprocess, sys
d, exports = sys.argv[1], sys.argv[2]
out = open(os.path.join(d, "verdict"), "w")
started, stopped, refused = [], {}, 0
def bad(msg):
    out.write(msg + "\n"); out.close(); sys.exit(1)
for f in sorted(glob.glob(os.path.join(d, "osc*"))):
    for line in open(f):
        r = json.loads(line)
        rep = r["reply"]
        if rep is None:
            bad(f"{f}: no reply to {r['sent']}")
        if rep["address"] == "/reel/error":
            if rep["args"][1] != "illegal_state":
                bad(f"{f}: {rep}")
            refused += 1
            continue
        a = rep["args"]
        kv = dict(zip(a[1::2], a[2::2]))
        if a[0] == "record_start":
            started.append(kv["file"])
        elif a[0] == "record_stop":
            stopped[kv["file"]] = kv["frames"]
        else:
            bad(f"{f}: {rep}")
for f in sorted(glob.glob(os.path.join(d, "http*"))):
    if f.endswith(".body"):
        continue
    for line in open(f):
        r = json.loads(line)
        if r["code"] == 409 and r["body"]["error"]["code"] == "illegal_state":
            refused += 1
        elif r["code"] == 200:
            (started.append(r["body"]["file"]) if r["sent"] == "record_start"
             else stopped.__setitem__(r["body"]["file"], r["body"]["frames"]))
        else:
            bad(f"{f}: {r}")
before = set(open(os.path.join(d, "before")).read().split())
now = set(os.listdir(exports)) - before
if len(started) < 3 or refused < 3:
    bad(f"too little happened: {len(started)} takes, {refused} refusals")
if sorted(now) != sorted(started):
    bad(f"exports/ has {sorted(now)}, the successful starts were {sorted(started)}")
if set(stopped) != set(started):
    bad(f"stopped {sorted(stopped)} != started {sorted(started)}")
for name in started:
    n = int(subprocess.run(["sox", "--i", "-s", os.path.join(exports, name)],
                           capture_output=True, text=True, check=True).stdout)
    if n != stopped[name]:
        bad(f"{name}: {n} frames in the file, its stop said {stopped[name]}")
print(f"stress: {len(started)} takes, {refused} refusals", file=sys.stderr)
out.write("ok\n")
PY
alive
[[ $(reel --json artifacts --tag take | json "len(d)") -ge 5 ]] || fail "take artifacts missing"

# ---- shutdown with a take open finishes it ------------------------------------------------
osc /record/start last
sleep 0.5
kill -TERM "$SERVE"
wait_bg "$SERVE"
[[ $(sox_samples "$EXPORTS/last.wav") -gt 0 ]] || fail "a take open at shutdown was not finished"
pcm info "$EXPORTS/last.wav" >/dev/null || fail "last.wav is not a valid WAV"
fsck_clean
pass
