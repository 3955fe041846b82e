#!/usr/bin/env bash
# Bad input: every failure exits with its exact status (2 usage, 1 runtime) and exactly one
# stderr line, the expected "reel: ..." message (compared whole, or up to a trailing '*'
# where the rest is another library's wording), leaves no output file (partial or
# temporary) behind, and leaves the store unchanged (sealed blobs with sizes and b3sums,
# staging and tmp files, artifacts and streams). A missing or unreadable input file is a
# runtime error (exit 1) in reel's own words, printed once.
source "$(dirname "$0")/lib.sh"

mksrc src.wav 1 2 i16
record_file src.wav
uri=stream://file/src
ok reel slice "$uri" --from '#100' --to '#200' --tag existing --out first.wav >/dev/null
mkdir out
store_snapshot before.txt

# bad CODE MESSAGE ARGS...: reel ARGS exits CODE with the one stderr line MESSAGE (exactly,
# or MESSAGE without its trailing '*' as a prefix), and changes nothing.
bad() {
    local code=$1 want=$2
    shift 2
    expect_fail "$code" reel "$@"
    local got
    got=$(<"$TMP/ef.err")
    if [[ $want == *'*' ]]; then
        [[ ${got:0:$((${#want} - 1))} == "${want%'*'}" ]] ||
            fail "'reel $*': stderr '$got', expected it to start with '${want%'*'}'"
    else
        [[ $got == "$want" ]] || fail "'reel $*': stderr '$got', expected '$want'"
    fi
    [[ -z $(ls -A out) ]] || fail "'reel $*' left files in the output directory: $(ls -A out | tr '\n' ' ')"
    store_snapshot after.txt
    cmp -s before.txt after.txt ||
        fail "'reel $*' changed the store: $(diff before.txt after.txt | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
}

# Time specs: usage errors (2).
bad 2 "reel: bad time spec 'yesterday': unknown form (use head, start, -30s, *" \
    slice "$uri" --from 'yesterday' --to head --out out/x.wav
bad 2 "reel: bad time spec '#abc': expected a frame number after '#' (e.g. #480000) [slice.bad_time_spec]" \
    slice "$uri" --from '#abc' --to head --out out/x.wav
bad 2 "reel: bad time spec '#-5': expected a frame number after '#' (e.g. #480000) [slice.bad_time_spec]" \
    slice "$uri" --from '#-5' --to head --out out/x.wav
bad 2 "reel: bad time spec '2026-13-45T99:00:00Z': month 13 out of range [slice.bad_time_spec]" \
    slice "$uri" --from '2026-13-45T99:00:00Z' --to head --out out/x.wav
bad 2 "reel: bad duration 'forever': expected a number at 'forever' [slice.bad_time_spec]" \
    slice "$uri" --last 'forever' --out out/x.wav
bad 2 "reel: bad duration '-1s': negative durations are not allowed [slice.bad_time_spec]" \
    slice "$uri" --last '-1s' --out out/x.wav
bad 2 "reel: bad time spec '@notanumber': expected UNIX epoch seconds after '@' (e.g. @1763632800.25) [slice.bad_time_spec]" \
    slice "$uri" --from '@notanumber' --to head --out out/x.wav
bad 2 "reel: bad time spec '--5s': negative durations are not allowed [slice.bad_time_spec]" \
    slice "$uri" --from '--5s' --to head --out out/x.wav
# Unknown stream, and ranges outside the recording or empty: runtime errors (1).
bad 1 "reel: unknown stream 'stream://nope/none' (see 'reel streams') [slice.unknown_stream]" \
    slice stream://nope/none --last 1s --out out/x.wav
bad 1 "reel: unknown stream 'not a uri' (see 'reel streams') [slice.unknown_stream]" \
    slice "not a uri" --last 1s --out out/x.wav
bad 1 "reel: range #48000..#48001 is outside the recording (frames #0..#48000 held) [slice.outside_recording]" \
    slice "$uri" --from '#48000' --to '#48001' --out out/x.wav
bad 1 "reel: range #0..#999999999 is outside the recording (frames #0..#48000 held) [slice.outside_recording]" \
    slice "$uri" --from '#0' --to '#999999999' --out out/x.wav
bad 1 "reel: range #1000000..#2000000 is outside the recording (frames #0..#48000 held) [slice.outside_recording]" \
    slice "$uri" --from '#1000000' --to '#2000000' --out out/x.wav
bad 1 "reel: empty range: from frame 500 is not before to frame 500 [slice.empty_range]" \
    slice "$uri" --from '#500' --to '#500' --out out/x.wav
bad 1 "reel: empty range: from frame 600 is not before to frame 500 [slice.empty_range]" \
    slice "$uri" --from '#600' --to '#500' --out out/x.wav
bad 1 "reel: empty range: from frame 48000 is not before to frame 0 [slice.empty_range]" \
    slice "$uri" --from head --to start --out out/x.wav
bad 1 "reel: empty range: from frame 300 is not before to frame 200 [slice.empty_range]" \
    slice "$uri" --from '#100' --to '#200' --virtual --from '#300' --to '#200'
# Unwritable output paths.
bad 1 "reel: cannot write /nonexistent/dir/x.wav: cannot create a file in /nonexistent/dir: No such file or directory" \
    slice "$uri" --from '#0' --to '#100' --out /nonexistent/dir/x.wav
bad 1 "reel: cannot write out: Is a directory" slice "$uri" --from '#0' --to '#100' --out out
bad 2 "reel: --out needs a path" slice "$uri" --from '#0' --to '#100' --out ''
chmod a-w out
if [[ ! -w out ]]; then # (root may write anyway)
    bad 1 "reel: cannot write out/x.wav: cannot create a file in out: Permission denied" \
        slice "$uri" --from '#0' --to '#100' --out out/x.wav
fi
chmod u+w out
# Unknown format / sample format / options.
bad 2 "reel: unknown output format 'mp3' (expected wav, rf64, w64, flac, raw or mid) [slice.bad_format]" \
    slice "$uri" --from '#0' --to '#100' --format mp3 --out out/x.wav
bad 2 "reel: unknown output format '' (expected wav, rf64, w64, flac, raw or mid) [slice.bad_format]" \
    slice "$uri" --from '#0' --to '#100' --format '' --out out/x.wav
bad 2 "reel: unknown sample format 'f64' (use f32, i16 or i24) [slice.bad_sample_format]" \
    slice "$uri" --from '#0' --to '#100' --sample-format f64 --out out/x.wav
bad 2 "reel: slice: unknown option '--bogus'" slice "$uri" --from '#0' --to '#100' --bogus --out out/x.wav
# Missing arguments.
slice_usage='reel: slice needs "last", or both "from" and "to" [slice.no_range]'
bad 2 "reel: usage: reel slice STREAM (--last DUR | --from T --to T) [--out PATH]" slice
bad 2 "$slice_usage" slice "$uri"
bad 2 "$slice_usage" slice "$uri" --from '#0'
bad 2 "$slice_usage" slice "$uri" --to '#10' --out out/x.wav
bad 2 "reel: --last needs a value" slice "$uri" --last
bad 2 "reel: --to needs a value" slice "$uri" --from '#0' --to
bad 2 'reel: slice: give "last" or "from"/"to", not both [slice.last_and_range]' slice "$uri" --last 1s --from '#0' --to '#10' --out out/x.wav
bad 2 "reel: usage: reel render ARTIFACT --out PATH" render
bad 2 "reel: usage: reel show ARTIFACT" show
bad 2 "reel: usage: reel cas get HASH" cas get
bad 2 "reel: usage: reel cas has HASH" cas has
bad 2 "reel: usage: reel cas put FILE" cas put
bad 2 "reel: unknown cas command 'frobnicate' (put, get, has, verify, gc)" cas frobnicate
# Unknown command or option, unknown artifact or stream.
bad 2 "reel: unknown command 'frobnicate' (see 'reel --help')" frobnicate
bad 2 "reel: unknown option '--no-such-global-flag' (see 'reel --help')" --no-such-global-flag streams
bad 1 "reel: no artifact art-0000000000000000" show art-0000000000000000
bad 1 "reel: no artifact art-0000000000000000" render art-0000000000000000 --out out/x.wav
bad 1 "reel: unknown stream 'stream://nope/none' (see 'reel streams')" status stream://nope/none
# Bad record options.
bad 2 "reel: unknown sample format 'i8' (use f32, i16 or i24)" record --source tone --sample-format i8 --seconds 1
bad 2 "reel: bad --channels '0' (1 to 4096)" record --source tone --channels 0 --seconds 1
bad 2 "reel: bad --rate '0'" record --source tone --rate 0 --seconds 1
# Input files that are missing or not what they should be: runtime errors (1), in reel's
# words (not libsndfile's "System error : ..."), printed once, nothing on stdout.
nofile="reel: cannot open audio file /nonexistent/input.wav: No such file or directory"
bad 1 "$nofile" record --source file:/nonexistent/input.wav --fast
bad 1 "$nofile" record --source file:/nonexistent/input.wav --seconds 1
bad 1 "$nofile" --json record --source file:/nonexistent/input.wav --fast
[[ ! -s $TMP/ef.out ]] || fail "a failed --json record printed: $(head -c 300 "$TMP/ef.out")"
bad 1 "$nofile" serve --source file:/nonexistent/input.wav --no-http --no-osc --seconds 1
# (the rest of the message is libsndfile's reason, e.g. "(Format not recognised)")
bad 1 "reel: $TMP/before.txt is not an audio file reel can read (*" record --source file:"$TMP/before.txt" --fast
bad 1 "reel: out is not an audio file reel can read (*" record --source file:out --fast
bad 1 "reel: cannot open /nonexistent/input.bin: No such file or directory" cas put /nonexistent/input.bin
bad 2 "reel: out is not a regular file" cas put out
bad 1 "reel: cannot open /nonexistent/token: No such file or directory" \
    sync push http://127.0.0.1:9 --token-file /nonexistent/token
# A materialized slice is not virtual: render refuses it, cleanly.
existing=$(reel --json artifacts --tag existing | json "d[0]['id']")
bad 2 "reel: artifact $existing is a slice, not a virtual slice (use 'reel cas get' for files) [render.not_virtual]" \
    render "$existing" --out out/r.wav

# One parser, one message: the same bad slice arguments from the CLI (`reel slice`), from
# HTTP (POST /api/streams/{uri}/slice, curl), from the op path in this process (`reel call
# stream_slice`) and from the op path as a daemon's clients send it (POST /api/ops/stream_slice)
# give the same one-line message and the same stable sub-code ("reason"). The expected text is
# written out here, not taken from any of the surfaces.
need curl
"$REEL" --store "$STORE" http --listen 127.0.0.1:0 >"$TMP/http.out" 2>"$TMP/http.err" &
HTTP_PID=$!
BG_PIDS+=("$HTTP_PID")
for ((i = 0; i < 200; i++)); do
    [[ -s $TMP/http.out ]] && break
    kill -0 "$HTTP_PID" 2>/dev/null || break
    sleep 0.05
done
U=$(head -n 1 "$TMP/http.out")
[[ $U =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "reel http printed '$U': $(head -c 300 "$TMP/http.err")"
E_URI=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$uri")
# http_error WHAT MESSAGE REASON CURL_ARGS...: a 4xx answer whose error is exactly that.
http_error() {
    local what=$1 msg=$2 reason=$3 st
    shift 3
    st=$(curl -sS --max-time 20 -o "$TMP/body" -w '%{http_code}' -X POST "$@") ||
        fail "$what: curl failed: $*"
    [[ $st == 4* ]] || fail "$what: HTTP $st, expected 4xx -- $(head -c 300 "$TMP/body")"
    [[ $(json "d['error']['message']" "$TMP/body") == "$msg" ]] ||
        fail "$what: message $(json "d['error']['message']" "$TMP/body"), expected '$msg'"
    [[ $(json "d['error'].get('reason')" "$TMP/body") == "$reason" ]] ||
        fail "$what: reason $(json "d['error'].get('reason')" "$TMP/body"), expected '$reason'"
}
# same EXIT REASON MESSAGE JSON CLI_ARGS...: every surface refuses it alike.
same() {
    local code=$1 reason=$2 msg=$3 doc=$4 opdoc
    shift 4
    bad "$code" "reel: $msg [$reason]" slice "$uri" "$@"
    http_error "POST slice $doc" "$msg" "$reason" -d "$doc" "$U/api/streams/$E_URI/slice"
    opdoc=$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); d["stream"] = sys.argv[2]
print(json.dumps(d))' "$doc" "$uri")
    bad "$code" "reel: $msg [$reason]" call stream_slice "$opdoc"
    http_error "POST op $opdoc" "$msg" "$reason" -d "$opdoc" "$U/api/ops/stream_slice"
}
same 2 slice.bad_time_spec "bad time spec '#abc': expected a frame number after '#' (e.g. #480000)" \
    '{"from": "#abc", "to": "head"}' --from '#abc' --to head
same 2 slice.no_range 'slice needs "last", or both "from" and "to"' '{"from": "#0"}' --from '#0'
same 2 slice.last_and_range 'slice: give "last" or "from"/"to", not both' \
    '{"last": "1s", "from": "#0", "to": "#10"}' --last 1s --from '#0' --to '#10'
same 2 slice.last_not_positive 'slice: "last" must be longer than zero' '{"last": "0s"}' --last 0s
same 1 slice.empty_range 'empty range: from frame 600 is not before to frame 500' \
    '{"from": "#600", "to": "#500"}' --from '#600' --to '#500'
kill -TERM "$HTTP_PID"
wait "$HTTP_PID" || fail "reel http did not exit cleanly on SIGTERM"

# A corrupt blob: cas get fails, writes nothing to stdout or --out.
head -c 100000 /dev/urandom >blob
h=$(ok reel cas put blob)
h=${h#blake3:}
p=$(content_path "$h")
chmod u+w "$p"
printf '\x01' | dd of="$p" bs=1 seek=54321 conv=notrunc status=none
corrupt="reel: blob blake3:$h is corrupt (its bytes hash to $(hash_of "$p"))"
store_snapshot before.txt
bad 1 "$corrupt" cas get "$h" --out out/blob
bad 1 "$corrupt" cas get "$h"
[[ ! -s $TMP/ef.out ]] || fail "cas get of a corrupt blob wrote $(stat -c %s "$TMP/ef.out") bytes to stdout"
bad 1 "$corrupt" cas verify "$h"

# The op path through a running daemon: with <store>/serve.json present, `reel call` POSTs the
# op to `reel serve` (api/route.h) and the message and reason come back in its error document.
STORE2=$TMP/store2
ok "$REEL" --store "$STORE2" init >/dev/null
: >"$TMP/serve.err"
"$REEL" --store "$STORE2" serve --source tone:440 --no-osc --listen 127.0.0.1:0 \
    >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
BG_PIDS+=("$SERVE_PID")
for ((i = 0; i < 200; i++)); do
    grep -q '^reel serve: HTTP on ' "$TMP/serve.err" && [[ -s $STORE2/serve.json ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "reel serve exited: $(head -c 400 "$TMP/serve.err")"
    sleep 0.05
done
[[ -s $STORE2/serve.json ]] || fail "reel serve wrote no serve.json: $(head -c 400 "$TMP/serve.err")"
daemon_same() { # REASON MESSAGE JSON
    expect_fail 2 timeout -k 5 "$REEL_TIMEOUT" "$REEL" --store "$STORE2" call stream_slice "$3"
    [[ $(<"$TMP/ef.err") == "reel: $2 [$1]" ]] ||
        fail "reel call through serve, $3: stderr '$(<"$TMP/ef.err")', expected 'reel: $2 [$1]'"
}
daemon_same slice.last_not_positive 'slice: "last" must be longer than zero' \
    '{"stream": "stream://tone/main", "last": "0s"}'
daemon_same slice.no_range 'slice needs "last", or both "from" and "to"' \
    '{"stream": "stream://tone/main", "to": "head"}'
daemon_same slice.bad_time_spec "bad time spec '#abc': expected a frame number after '#' (e.g. #480000)" \
    '{"stream": "stream://tone/main", "from": "#abc", "to": "head"}'
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "reel serve did not exit cleanly on SIGTERM: $(tail -c 300 "$TMP/serve.err")"

pass
