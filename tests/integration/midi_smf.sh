#!/usr/bin/env bash
# MIDI out of the store as Standard MIDI Files, checked by an independent parser (midicsv).
#
# A real producer: jack_midiseq on a private `jackd -d dummy`, recorded by
# `reel record --source jack-midi:seq:out`. The oracle for where each event sits is the
# store itself, read here without reel: the records (u64 frame, i64 wall_ns, u32 len, bytes)
# of the sealed chunks named by the sealed manifest. For each slice:
#   - midicsv parses the .mid: format 0, one track, PPQ and tempo with exactly one tick per
#     frame (ppq * 10^6 == tempo * rate), End_track at the slice length;
#   - its events are exactly the recorded events with from <= frame < to, in order, each at
#     tick = frame - from, with the recorded note numbers and velocities;
#   - `--format raw` of the same range holds those records byte for byte.
# Also: --last 2s of the live edge while recording (checked against the sealed store after),
# .mid as the default without --out, a window without events (a valid empty SMF: Tempo,
# track name, End_track at the window's length), and refusals: an empty range (from == to,
# one clear line, exit 1), --format wav / --virtual / --sample-format on a MIDI stream, and
# --format mid on an audio stream.
source "$(dirname "$0")/lib.sh"

need jackd jack_midiseq midicsv
RATE=48000
PERIOD=256
source "$(dirname "$0")/jack_lib.sh"
start_jackd
start_client jack_midiseq seq 24000 0 60 8000 12000 63 8000
wait_port seq:out

cat >"$TMP/smf.py" <<'EOF'
"""Checks for midi_smf.sh (standard library + midicsv output)."""
import json, os, struct, subprocess, sys

def blob(store, h):
    hx = h.split(":", 1)[1]
    return open(os.path.join(store, "cas/content/blake3", hx[:2], hx[2:4], hx), "rb").read()

def records(b):
    out, pos = [], 0
    while pos < len(b):
        frame, wall, n = struct.unpack_from("<QqI", b, pos)
        out.append((frame, b[pos + 20:pos + 20 + n]))
        pos += 20 + n
    if pos != len(b):
        sys.exit("trailing bytes in MIDI records")
    return out

def store_events(store, manifest):
    """Every recorded event, from the sealed chunks of the sealed manifest."""
    m = json.loads(blob(store, manifest))
    chunks = []
    for p in m.get("pages", []):
        chunks += json.loads(blob(store, p["hash"]))["chunks"]
    chunks += m["chunks"]
    ev = []
    for c in chunks:
        if c["state"] != "sealed":
            sys.exit(f"chunk {c} not sealed in the sealed manifest")
        ev += records(blob(store, c["hash"]))
    return ev

def midicsv(path):
    out = subprocess.run(["midicsv", path], check=True, capture_output=True, text=True)
    if out.stderr.strip():
        sys.exit(f"midicsv complains about {path}: {out.stderr.strip()}")
    return [[f.strip() for f in line.split(",")] for line in out.stdout.splitlines() if line]

KINDS = {"Note_on_c": 0x90, "Note_off_c": 0x80, "Control_c": 0xb0, "Program_c": 0xc0,
         "Pitch_bend_c": 0xe0, "Poly_aftertouch_c": 0xa0, "Channel_aftertouch_c": 0xd0}

def check(mid, raw, store, manifest, frm, to, rate, min_events):
    rows = midicsv(mid)
    hdr = rows[0]
    if hdr[2] != "Header" or hdr[3] != "0" or hdr[4] != "1":
        sys.exit(f"{mid}: want format 0 with one track, header {hdr}")
    ppq = int(hdr[5])
    tempos = [r for r in rows if r[2] == "Tempo"]
    if len(tempos) != 1 or tempos[0][1] != "0":
        sys.exit(f"{mid}: want one tempo at tick 0, got {tempos}")
    tempo = int(tempos[0][3])
    if ppq * 10**6 != tempo * rate:
        sys.exit(f"{mid}: ppq {ppq} and tempo {tempo} us do not make one tick one frame at {rate} Hz")
    ends = [r for r in rows if r[2] == "End_track"]
    if len(ends) != 1 or int(ends[0][1]) != to - frm:
        sys.exit(f"{mid}: End_track {ends}, want tick {to - frm}")
    got = []
    for r in rows:
        if r[2] in KINDS:
            st = KINDS[r[2]] | int(r[3])
            data = [int(x) for x in r[4:]]
            if r[2] == "Pitch_bend_c":
                data = [data[0] & 0x7f, data[0] >> 7]
            got.append((int(r[1]), bytes([st] + data)))
        elif r[2] not in ("Header", "Start_track", "Tempo", "Title_t", "End_track", "End_of_file"):
            sys.exit(f"{mid}: unexpected row {r}")
    want = [(f - frm, d) for f, d in store_events(store, manifest) if frm <= f < to]
    if got != want:
        sys.exit(f"{mid}: events {got[:6]}... differ from the store's {want[:6]}... "
                 f"({len(got)} vs {len(want)})")
    if len(got) < min_events:
        sys.exit(f"{mid}: only {len(got)} events, want at least {min_events}")
    if raw:
        rr = records(open(raw, "rb").read())
        if [(f - frm, d) for f, d in rr] != want:
            sys.exit(f"{raw}: raw records differ from the store's events in the window")
    print(len(got))

def gap(store, manifest, frm, to):
    """A window [a, b) inside [frm, to) holding no event, at least 1000 frames long."""
    fr = [f for f, _ in store_events(store, manifest) if frm <= f < to]
    for a, b in zip(fr, fr[1:]):
        if b - a > 1001:
            print(a + 1, b)
            return
    sys.exit("no gap between events")

if __name__ == "__main__":
    if sys.argv[1] == "check":
        a = sys.argv[2:]
        check(a[0], a[1] if a[1] != "-" else None, a[2], a[3], int(a[4]), int(a[5]), int(a[6]),
              int(a[7]))
    elif sys.argv[1] == "gap":
        gap(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
EOF
smf() { python3 "$TMP/smf.py" "$@"; }

# ---- record while slicing the live edge ----------------------------------------------------
uri=stream://jack/seq
reel_bg "$TMP/rec.log" --json record --source jack-midi:seq:out --stream "$uri" \
    --jack-server "$SRV" --seconds 5
rec_pid=$BG_PID
sleep 3.5
kill -0 "$rec_pid" 2>/dev/null || fail "the recording ended early: $(cat "$TMP/rec.log")"
slice_ok "$uri" --last 2s --out "$TMP/live.mid"
live_from=$SL_FROM live_to=$SL_TO
kill -0 "$rec_pid" 2>/dev/null || fail "the live slice was not taken while recording"
[[ $(json "(d['format'], d['mime'])" "$TMP/slice.json") == "('mid', 'audio/midi')" ]] ||
    fail "live slice: $(cat "$TMP/slice.json")"
[[ $((live_to - live_from)) == $((2 * RATE)) ]] || fail "--last 2s gave frames #$live_from..#$live_to"
live_events=$(json "d['events']" "$TMP/slice.json")
wait_bg "$rec_pid"
manifest=$(reel --json status "$uri" | json "d['manifest']")
[[ $(reel --json status "$uri" | json "d['kind']") == midi ]] || fail "not a MIDI stream"
# jack_midiseq sends 4 events per 24000 frames: about 16 in 2 s.
n=$(smf check "$TMP/live.mid" - "$STORE" "$manifest" "$live_from" "$live_to" $RATE 8) ||
    fail "live slice vs the sealed store"
[[ $n == "$live_events" ]] || fail "reel reported $live_events events, midicsv read $n"

# ---- the sealed recording: .mid and raw of the same range -----------------------------------
slice_ok "$uri" --last 2s --out "$TMP/a.mid"
from=$SL_FROM to=$SL_TO
slice_ok "$uri" --from "#$from" --to "#$to" --format raw --out "$TMP/a.raw"
[[ $(json "d['mime']" "$TMP/slice.json") == application/x-reel-midi-records ]] ||
    fail "raw MIDI slice mime: $(cat "$TMP/slice.json")"
smf check "$TMP/a.mid" "$TMP/a.raw" "$STORE" "$manifest" "$from" "$to" $RATE 8 >/dev/null ||
    fail "sealed slice"
# --format smf is the same file; the whole stream too.
slice_ok "$uri" --from "#$from" --to "#$to" --format smf --out "$TMP/b.mid"
cmp -s "$TMP/a.mid" "$TMP/b.mid" || fail "--format smf differs from the .mid of the same range"
slice_ok "$uri" --from start --to head --out "$TMP/all.mid"
smf check "$TMP/all.mid" - "$STORE" "$manifest" "$SL_FROM" "$SL_TO" $RATE 20 >/dev/null ||
    fail "whole stream"

# No --out: an SMF in the store, fetched with `reel cas get`.
slice_ok "$uri" --from "#$from" --to "#$to"
[[ $(json "d['format']" "$TMP/slice.json") == mid ]] || fail "default format for MIDI: $(cat "$TMP/slice.json")"
ok reel cas get "$SL_HASH" --out "$TMP/c.mid" >/dev/null
cmp -s "$TMP/a.mid" "$TMP/c.mid" || fail "the stored SMF differs from --out's"

# ---- a window without events: a valid SMF with no events -----------------------------------
read -r ga gb < <(smf gap "$STORE" "$manifest" "$from" "$to") || fail "no gap between events"
slice_ok "$uri" --from "#$ga" --to "#$gb" --out "$TMP/empty.mid"
[[ $(json "d['events']" "$TMP/slice.json") == 0 ]] || fail "empty window: $(cat "$TMP/slice.json")"
smf check "$TMP/empty.mid" - "$STORE" "$manifest" "$ga" "$gb" $RATE 0 >/dev/null || fail "empty window"

# ---- refusals: one line each -------------------------------------------------------------
expect_fail 1 reel slice "$uri" --from "#$from" --to "#$from" --out "$TMP/x.mid"
grep -q "empty range" "$TMP/ef.err" || fail "from == to: $(cat "$TMP/ef.err")"
expect_fail 1 reel slice "$uri" --last 1s --out "$TMP/x.wav"
grep -q "MIDI" "$TMP/ef.err" || fail ".wav of MIDI: $(cat "$TMP/ef.err")"
expect_fail 1 reel slice "$uri" --last 1s --virtual
expect_fail 2 reel slice "$uri" --last 1s --sample-format i16
ok reel record --source tone --stream stream://tone/a --seconds 0.2 >/dev/null
expect_fail 1 reel slice stream://tone/a --last 0.1s --out "$TMP/x.mid"
[[ ! -e $TMP/x.mid && ! -e $TMP/x.wav ]] || fail "a refused slice left a file"
fsck_clean
pass
