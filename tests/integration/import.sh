#!/usr/bin/env bash
# import.sh — `reel import FILE` stores any file libsndfile reads, byte for byte, as an "audio"
# artifact whose meta records its format, subtype, rate, channels, frames and duration.
# Files made by sox (16-bit stereo WAV at 48 kHz, 24-bit mono FLAC at 44.1 kHz, Ogg Vorbis,
# AIFF, a 0-frame WAV); rate, channels and frames checked against soxi, the hash against
# b3sum, the stored bytes against the file (cmp, after `reel cas get`). The same file twice:
# one blob, the same hash. Imported blobs survive `reel gc`. Bad input (a text file, a
# missing file, a directory, no argument, an unknown flag, unknown op fields) fails with one
# line naming the problem and stores nothing. The same again with a running `reel serve`,
# which runs the op (an "artifact" event on /api/events), with a path relative to the
# caller's directory, and over HTTP (POST /api/ops/import).
source "$(dirname "$0")/lib.sh"
need soxi cmp curl

mkdir -p "$TMP/in" "$TMP/elsewhere"
sox -D -n -r 48000 -c 2 -b 16 -e signed-integer "$TMP/in/a.wav" synth 1.5 sine 440 sine 550 ||
    fail "sox: a.wav"
sox -D -n -r 44100 -c 1 -b 24 "$TMP/in/b.flac" synth 1.3 sine 300 || fail "sox: b.flac"
sox -D -n -r 48000 -c 2 "$TMP/in/c.ogg" synth 2.1 sine 440 sine 660 || fail "sox: c.ogg"
sox -D -n -r 22050 -c 1 -b 16 "$TMP/in/d.aiff" synth 0.7 sine 200 || fail "sox: d.aiff"
sox -D -n -r 48000 -c 2 -b 16 "$TMP/in/e.wav" trim 0 0 || fail "sox: e.wav"
[[ $(soxi -s "$TMP/in/e.wav") == 0 ]] || fail "sox made no 0-frame WAV"

n_artifacts() {
    "$REEL" --store "$STORE" --json artifacts | json "len(d)"
}

# check_import FILE FORMAT SUBTYPE MIME REPLY: the reply and the stored artifact against soxi,
# b3sum and the file's bytes.
check_import() {
    local f=$1 format=$2 subtype=$3 mime=$4 reply=$5 k want got
    for k in rate channels frames; do
        case $k in
        rate) want=$(soxi -r "$f") ;;
        channels) want=$(soxi -c "$f") ;;
        frames) want=$(soxi -s "$f") ;;
        esac
        got=$(json "d['$k']" "$reply")
        [[ $got == "$want" ]] || fail "$(basename "$f"): $k $got, soxi says $want"
    done
    [[ $(json "d['format']" "$reply") == "$format" ]] || fail "$(basename "$f"): format $(json "d['format']" "$reply"), want $format"
    [[ $(json "d['subtype']" "$reply") == "$subtype" ]] || fail "$(basename "$f"): subtype $(json "d['subtype']" "$reply"), want $subtype"
    json "abs(d['duration_s'] - d['frames'] / d['rate']) < 1e-9" "$reply" | grep -qx true ||
        fail "$(basename "$f"): duration_s is not frames / rate: $(cat "$reply")"
    local h art
    h=$(json "d['hash']" "$reply")
    art=$(json "d['artifact']" "$reply")
    [[ $h == "blake3:$(hash_of "$f")" ]] || fail "$(basename "$f"): hash $h, b3sum says $(hash_of "$f")"
    [[ $art =~ ^art-[0-9a-f]+$ ]] || fail "$(basename "$f"): artifact id '$art'"
    rm -f "$TMP/back"
    ok reel cas get "$h" --out "$TMP/back" >/dev/null
    cmp -s "$f" "$TMP/back" || fail "$(basename "$f"): the stored bytes differ from the file"
    # The artifact: kind, mime, tag, creator, and a meta of exactly the probe's fields.
    ok reel --json show "$art" >"$TMP/show.json"
    [[ $(json "d['kind']" "$TMP/show.json") == audio ]] || fail "$art: kind $(json "d['kind']" "$TMP/show.json")"
    [[ $(json "d['mime']" "$TMP/show.json") == "$mime" ]] || fail "$art: mime $(json "d['mime']" "$TMP/show.json"), want $mime"
    [[ $(json "d['content_hash']" "$TMP/show.json") == "$h" ]] || fail "$art: content $(json "d['content_hash']" "$TMP/show.json")"
    [[ $(json "'import' in d['tags']" "$TMP/show.json") == true ]] || fail "$art: no tag import"
    [[ $(json "sorted(d['meta'])" "$TMP/show.json") == '["channels", "duration_s", "format", "frames", "name", "rate", "subtype"]' ]] ||
        fail "$art: meta keys $(json "sorted(d['meta'])" "$TMP/show.json")"
    python3 - "$TMP/show.json" "$reply" <<'PY' || fail "$art: meta and reply differ"
import json, sys
m = json.load(open(sys.argv[1]))["meta"]
r = json.load(open(sys.argv[2]))
sys.exit(0 if all(m[k] == r[k] for k in m) else 1)
PY
}

# ---- offline: the op runs in this process ------------------------------------------------------
cd "$TMP/in"
ok reel import a.wav >"$TMP/a.json"
check_import "$TMP/in/a.wav" WAV PCM_16 audio/wav "$TMP/a.json"
[[ $(json "d['name']" "$TMP/a.json") == a.wav ]] || fail "default name: $(json "d['name']" "$TMP/a.json")"
ok reel import "$TMP/in/b.flac" >"$TMP/b.json"
check_import "$TMP/in/b.flac" FLAC PCM_24 audio/flac "$TMP/b.json"
ok reel import c.ogg --name "the ogg" >"$TMP/c.json"
check_import "$TMP/in/c.ogg" OGG VORBIS audio/ogg "$TMP/c.json"
[[ $(json "d['name']" "$TMP/c.json") == "the ogg" ]] || fail "--name: $(json "d['name']" "$TMP/c.json")"
ok reel import ./d.aiff >"$TMP/d.json"
check_import "$TMP/in/d.aiff" AIFF PCM_16 audio/aiff "$TMP/d.json"
ok reel import e.wav >"$TMP/e.json"
check_import "$TMP/in/e.wav" WAV PCM_16 audio/wav "$TMP/e.json"
[[ $(json "d['duration_s']" "$TMP/e.json") == 0.0 ]] || fail "0-frame duration $(json "d['duration_s']" "$TMP/e.json")"
cd "$TMP"

# The same file twice: one blob (the content folder does not grow), the same hash.
blobs=$(find "$STORE/cas/content" -type f | wc -l)
ok reel import "$TMP/in/a.wav" >"$TMP/a2.json"
[[ $(json "d['hash']" "$TMP/a2.json") == "$(json "d['hash']" "$TMP/a.json")" ]] ||
    fail "a second import of a.wav has another hash"
[[ $(find "$STORE/cas/content" -type f | wc -l) == "$blobs" ]] || fail "a second import stored a second blob"

# The op through `reel call`, with an absolute path and a name.
ok reel call import "{\"path\": \"$TMP/in/b.flac\", \"name\": \"via call\"}" >"$TMP/bc.json"
check_import "$TMP/in/b.flac" FLAC PCM_24 audio/flac "$TMP/bc.json"
[[ $(json "d['name']" "$TMP/bc.json") == "via call" ]] || fail "call name: $(cat "$TMP/bc.json")"

# An imported blob is a GC root: aged past the grace, it stays, while a blob nothing names
# (`reel cas put`, aged the same) goes.
sox -D -n -r 8000 -c 1 "$TMP/loose.wav" synth 0.1 sine 100 || fail "sox: loose.wav"
loose=$(ok reel cas put "$TMP/loose.wav" | grep -oE 'blake3:[0-9a-f]{64}')
[[ -n $loose ]] || fail "reel cas put printed no hash"
for h in "$loose" "$(json "d['hash']" "$TMP/a.json")" "$(json "d['hash']" "$TMP/c.json")"; do
    touch -d '1 hour ago' "$(content_path "$h")" || fail "cannot age $h"
done
ok reel gc --grace 1s >/dev/null
[[ -e $(content_path "$loose") ]] && fail "gc kept a blob nothing references (the control)"
for r in a c; do
    h=$(json "d['hash']" "$TMP/$r.json")
    [[ -e $(content_path "$h") ]] || fail "gc removed the imported blob $h"
done

# ---- bad input: one line naming the problem, nothing stored --------------------------------------
echo "these are not samples" >"$TMP/notes.txt"
store_snapshot "$TMP/before.snap"
count=$(n_artifacts)
expect_fail any reel import "$TMP/notes.txt"
grep -q "notes.txt" "$TMP/ef.err" && grep -qi "not an audio file" "$TMP/ef.err" ||
    fail "text file: $(cat "$TMP/ef.err")"
expect_fail any reel import "$TMP/in/missing.wav"
grep -q "missing.wav" "$TMP/ef.err" && grep -q "no such file" "$TMP/ef.err" ||
    fail "missing file: $(cat "$TMP/ef.err")"
expect_fail any reel import "$TMP/in"
grep -q "'$TMP/in'" "$TMP/ef.err" && grep -q "directory" "$TMP/ef.err" ||
    fail "directory: $(cat "$TMP/ef.err")"
expect_fail 2 reel import
grep -q "no FILE" "$TMP/ef.err" || fail "no argument: $(cat "$TMP/ef.err")"
expect_fail 2 reel import "$TMP/in/a.wav" --bogus
grep -q "unknown option '--bogus'" "$TMP/ef.err" || fail "unknown flag: $(cat "$TMP/ef.err")"
expect_fail 2 reel import "$TMP/in/a.wav" "$TMP/in/b.flac"
grep -q "unexpected argument" "$TMP/ef.err" || fail "two files: $(cat "$TMP/ef.err")"
expect_fail 2 reel import "$TMP/in/a.wav" --name
grep -q -- "--name needs a value" "$TMP/ef.err" || fail "--name without a value: $(cat "$TMP/ef.err")"
expect_fail 2 reel call import "{\"path\": \"$TMP/in/a.wav\", \"format\": \"WAV\"}"
grep -q 'unknown field "format"' "$TMP/ef.err" || fail "unknown field: $(cat "$TMP/ef.err")"
expect_fail 2 reel call import '{}'
grep -q '"path" is required' "$TMP/ef.err" || fail "no path: $(cat "$TMP/ef.err")"
expect_fail any reel call import "{\"path\": \"$TMP/notes.txt\"}"
grep -q "notes.txt" "$TMP/ef.err" || fail "call, text file: $(cat "$TMP/ef.err")"
[[ $(n_artifacts) == "$count" ]] || fail "bad input changed the artifact count ($count -> $(n_artifacts))"
store_snapshot "$TMP/after.snap"
cmp -s "$TMP/before.snap" "$TMP/after.snap" || fail "bad input changed the store: $(diff "$TMP/before.snap" "$TMP/after.snap" | head -c 600)"
fsck_clean

# ---- with a running serve: the op runs there ------------------------------------------------------
reel_bg "$TMP/serve.log" serve --source tone:440 --no-osc --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE"
curl -sS -N --max-time 60 "$SERVE_URL/api/events" >"$TMP/events.txt" 2>/dev/null &
BG_PIDS+=($!)
# The event stream is open once its first event arrived (serve greets a subscriber).
for ((i = 0; i < 300; i++)); do
    [[ -s $TMP/events.txt ]] && break
    sleep 0.05
done
[[ -s $TMP/events.txt ]] || fail "no /api/events stream within 15 s"

# Relative to the caller's directory, which is not serve's.
cd "$TMP/elsewhere"
ok reel import ../in/d.aiff --name served >"$TMP/ds.json"
cd "$TMP"
check_import "$TMP/in/d.aiff" AIFF PCM_16 audio/aiff "$TMP/ds.json"
[[ $(json "d['hash']" "$TMP/ds.json") == "$(json "d['hash']" "$TMP/d.json")" ]] ||
    fail "the served import of d.aiff has another hash"
art=$(json "d['artifact']" "$TMP/ds.json")
for ((i = 0; i < 300; i++)); do
    grep -q "$art" "$TMP/events.txt" && break
    sleep 0.05
done
grep -q "$art" "$TMP/events.txt" || fail "serve published no artifact event for $art: $(tail -c 400 "$TMP/events.txt")"
grep -B2 "$art" "$TMP/events.txt" | grep -q '^event: artifact$' || fail "the event for $art is not an artifact event"

# The HTTP route of the op, and bad input there: nothing stored.
code=$(curl -sS -o "$TMP/h.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"path\": \"$TMP/in/e.wav\"}" "$SERVE_URL/api/ops/import")
[[ $code == 200 ]] || fail "POST /api/ops/import: $code $(cat "$TMP/h.json")"
check_import "$TMP/in/e.wav" WAV PCM_16 audio/wav "$TMP/h.json"
count=$(n_artifacts)
expect_fail any reel import "$TMP/notes.txt"
grep -q "notes.txt" "$TMP/ef.err" || fail "served, text file: $(cat "$TMP/ef.err")"
expect_fail any reel import "$TMP/in"
grep -q "directory" "$TMP/ef.err" || fail "served, directory: $(cat "$TMP/ef.err")"
code=$(curl -sS -o "$TMP/h.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"path\": \"$TMP/in/a.wav\", \"bogus\": 1}" "$SERVE_URL/api/ops/import")
[[ $code == 400 ]] || fail "unknown field over HTTP: $code $(cat "$TMP/h.json")"
[[ $(n_artifacts) == "$count" ]] || fail "served bad input changed the artifact count"

kill -TERM "$SERVE"
wait_bg "$SERVE"
fsck_clean
pass
