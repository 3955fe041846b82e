#!/usr/bin/env bash
# The command's surface: help, init and the store layout, exit codes, --json, streams/status
# after a short real-time tone recording, $REEL_HOME.
source "$(dirname "$0")/lib.sh"

# --help: exit 0, lists the commands.
help=$(ok "$REEL" --help)
for c in init record streams status slice render artifacts show cas fsck; do
    grep -qw -- "$c" <<<"$help" || fail "--help does not mention '$c'"
done

# init made the layout of DESIGN.md section 3.
for d in cas/content/blake3 cas/staging/blake3 cas/tmp; do
    [[ -d $STORE/$d ]] || fail "init did not create $d"
done
[[ -f $STORE/reel.db ]] || fail "init did not create reel.db"
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("select count(*) from sqlite_master").fetchone()' \
    "$STORE/reel.db" || fail "reel.db is not an SQLite database"
# init twice is harmless.
ok reel init >/dev/null
ok reel --json init >/dev/null

# An empty store.
[[ $(reel --json streams | json 'len(d)') == 0 ]] || fail "fresh store lists streams"
[[ $(reel --json artifacts | json 'len(d)') == 0 ]] || fail "fresh store lists artifacts"
fsck_clean

# No store: every store command fails with one line, exit 1.
expect_fail 1 "$REEL" --store "$TMP/nostore" streams
expect_fail 1 "$REEL" --store "$TMP/nostore" slice stream://tone/main --last 1s
[[ ! -e $TMP/nostore/reel.db ]] || fail "a failing command created a store"

# Usage errors: exit 2.
expect_fail 2 "$REEL" --store "$STORE" frobnicate
# No command at all: exit 2 (the usage text may follow).
rc=0; "$REEL" --store "$STORE" >/dev/null 2>"$TMP/nocmd.err" || rc=$?
[[ $rc -eq 2 ]] || fail "reel with no command exits $rc, expected 2"
grep -q 'usage' "$TMP/nocmd.err" || fail "reel with no command prints no usage on stderr"
expect_fail 2 "$REEL" --store "$STORE" record
expect_fail 2 "$REEL" --store "$STORE" record --source tone --bogus-flag
expect_fail 2 "$REEL" --store "$STORE" record --source tone --seconds -1
expect_fail 2 "$REEL" --store "$STORE" slice
expect_fail 2 "$REEL" --store "$STORE" cas
expect_fail any "$REEL" --store "$STORE" record --source nosuchsource:x --seconds 1

# A one-second real-time tone, default URI stream://tone/main.
t0=$(date +%s%N)
ok reel --json record --source tone --seconds 1 >"$TMP/rec.json"
t1=$(date +%s%N)
[[ $(json "d['stream']" "$TMP/rec.json") == stream://tone/main ]] || fail "record --json names $(cat "$TMP/rec.json")"
[[ $(json "d['frames']" "$TMP/rec.json") == 48000 ]] || fail "1 s of tone is not 48000 frames: $(cat "$TMP/rec.json")"
(((t1 - t0) >= 900000000)) || fail "a real-time 1 s recording took only $(((t1 - t0) / 1000000)) ms"

reel --json status stream://tone/main >"$TMP/st.json"
[[ $(json "d['head_frame']" "$TMP/st.json") == 48000 ]] || fail "status head_frame: $(cat "$TMP/st.json")"
[[ $(json "d['first_frame']" "$TMP/st.json") == 0 ]] || fail "status first_frame"
[[ $(json "d['state']" "$TMP/st.json") == stopped ]] || fail "status state after record: $(json "d['state']" "$TMP/st.json")"
[[ $(json "d['sample_rate']" "$TMP/st.json") == 48000 ]] || fail "status sample_rate"
[[ $(json "d['sample_format']" "$TMP/st.json") == f32 ]] || fail "tone is not f32 by default"
[[ $(json "d['kind']" "$TMP/st.json") == audio ]] || fail "status kind"
[[ $(json "d['overrun_frames']" "$TMP/st.json") == 0 ]] || fail "overruns in a tone recording"
dh=$(json "d['definition_hash']" "$TMP/st.json")
[[ $dh =~ ^blake3:[0-9a-f]{64}$ ]] || fail "definition_hash '$dh' is not blake3:<64 hex>"
# The definition is JSON in CAS, naming the URI and format.
ok reel cas get "$dh" >"$TMP/def.json"
[[ $(json "d['uri']" "$TMP/def.json") == stream://tone/main ]] || fail "stream definition: $(cat "$TMP/def.json")"
[[ $(json "d['format']['audio']['channels']" "$TMP/def.json") == 2 ]] || fail "definition channels"

[[ $(reel --json streams | json "[s['uri'] for s in d]") == '["stream://tone/main"]' ]] ||
    fail "streams does not list exactly the tone"
reel streams | grep -q 'stream://tone/main' || fail "human 'streams' does not list the tone"
expect_fail 1 "$REEL" --store "$STORE" status stream://nope/x

# Options: mono i16 at 44.1 kHz, another URI.
ok reel record --source tone:1000 --stream stream://tone/mono --seconds 0.5 --channels 1 \
    --rate 44100 --sample-format i16 >/dev/null
reel --json status stream://tone/mono >"$TMP/st2.json"
[[ $(json "(d['channels'], d['sample_rate'], d['sample_format'], d['head_frame'])" "$TMP/st2.json") == "(1, 44100, 'i16', 22050)" ]] ||
    fail "mono i16 44.1k tone: $(tr '\n' ' ' <"$TMP/st2.json")"

# $REEL_HOME picks the store when --store is absent.
REEL_HOME=$STORE timeout 20 "$REEL" --json streams | json 'len(d)' | grep -qx 2 ||
    fail "REEL_HOME is not used as the store"

fsck_clean
pass
