#!/usr/bin/env bash
# The ALSA sequencer MIDI source, `--source alsa-midi[:CLIENT:PORT]`.
#   (a) always: --fast is a usage error (exit 2); a sequencer port that cannot be used fails
#       with one `reel: ...` line and exit 1, and the store is left byte for byte as it was
#       (no stream, no artifact, no staging file, reel.db untouched). Without /dev/snd/seq
#       (no snd-seq kernel module, as on the machines this was written on) that line is
#       "ALSA sequencer unavailable: cannot open /dev/snd/seq: ...".
#   (b) with /dev/snd/seq: `aplaymidi` plays a Standard MIDI File (made here, 1 tick = 1 ms)
#       into reel's port `reel:capture`; the stream's records, read back from the sealed
#       chunks, hold every note on with its exact bytes, 250 ms (12000 frames at 48 kHz,
#       within 2 ms) apart, and a 3000-byte sysex whole in one record. Then the same file
#       through "Midi Through" with reel subscribed to it (`alsa-midi:CLIENT:PORT`).
#       Without /dev/snd/seq this part cannot run: after (a) passed, the test exits 77, which
#       meson reports as SKIP (and scripts/run-tests.sh counts as skipped, not passed).
source "$(dirname "$0")/lib.sh"

# A fingerprint of the whole store: every path, its type, size and content hash.
store_print() {
    (cd "$STORE" && find . -printf '%p %y %s\n' | sort && find . -type f -print0 | sort -z |
        xargs -0 -r b3sum) >"$1"
}

# ---- (a) failures leave the store unchanged ----------------------------------------------
store_print "$TMP/before"
expect_fail 2 reel record --source alsa-midi --fast --seconds 1
grep -q -- "--fast" "$TMP/ef.err" || fail "--fast error does not say so: $(cat "$TMP/ef.err")"
if [[ ! -e /dev/snd/seq ]]; then
    for src in alsa-midi alsa-midi:20:0 "alsa-midi:Midi Through:0"; do
        expect_fail 1 reel record --source "$src" --seconds 1
        grep -q '^reel: ALSA sequencer unavailable: cannot open /dev/snd/seq: ' "$TMP/ef.err" ||
            fail "$src: unexpected error line: $(cat "$TMP/ef.err")"
        expect_fail 1 reel --json record --source "$src" --stream stream://alsa/x --seconds 1
        [[ ! -s $TMP/ef.out ]] || fail "$src: a failed --json record printed: $(cat "$TMP/ef.out")"
    done
else
    expect_fail 1 reel record --source alsa-midi:reel_no_such_client:0 --seconds 1
    grep -q "reel_no_such_client" "$TMP/ef.err" ||
        fail "the error does not name the port: $(cat "$TMP/ef.err")"
fi
store_print "$TMP/after"
cmp -s "$TMP/before" "$TMP/after" ||
    fail "a failed alsa-midi record changed the store: $(diff "$TMP/before" "$TMP/after" | head -n 5 | tr '\n' ' ')"
[[ $(reel --json streams) == "[]" ]] || fail "a failed alsa-midi record left a stream"

if [[ ! -e /dev/snd/seq ]]; then
    echo "SKIP $TEST_NAME: no /dev/snd/seq (snd-seq not loaded; try modprobe snd-seq-dummy):" \
        "the failure cases passed, recording from aplaymidi not tested" >&2
    exit 77
fi

# ---- (b) real programs through the sequencer -----------------------------------------------
need aplaymidi aconnect
# SMF format 0, 96 ticks per quarter, tempo 96000 us per quarter: 1 tick = 1 ms.
python3 - "$TMP/in.mid" "$TMP/sysex.bin" <<'EOF'
import struct, sys
def vlq(n):
    out = [n & 0x7f]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7f)); n >>= 7
    return bytes(reversed(out))
sysex = bytes([0xf0]) + bytes((i * 7) % 128 for i in range(3000)) + bytes([0xf7])
open(sys.argv[2], "wb").write(sysex)
ev = [(0, b"\xff\x51\x03" + (96000).to_bytes(3, "big"))]
for i in range(8):
    ev.append((i * 250, bytes([0x90, 60 + i, 100])))
    ev.append((i * 250 + 100, bytes([0x80, 60 + i, 0])))
ev.append((1125, b"\xf0" + vlq(len(sysex) - 1) + sysex[1:]))
ev.sort(key=lambda e: e[0])
trk, last = b"", 0
for t, b in ev:
    trk += vlq(t - last) + b; last = t
trk += vlq(200) + b"\xff\x2f\x00"
open(sys.argv[1], "wb").write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) +
                              b"MTrk" + struct.pack(">I", len(trk)) + trk)
EOF

# records URI: every MIDI record of the stream as "frame len hex" lines, from sealed chunks.
records() {
    local m
    m=$(status_field "$1" manifest)
    reel cas get "$m" >"$TMP/manifest.json" || fail "cannot read the manifest of $1"
    : >"$TMP/chunks.bin"
    local h
    for h in $(json "' '.join(c['hash'] for c in d['chunks'])" "$TMP/manifest.json"); do
        reel cas get "$h" >>"$TMP/chunks.bin" || fail "cannot read chunk $h"
    done
    python3 - "$TMP/chunks.bin" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(); i = 0
while i < len(b):
    frame, wall, n = struct.unpack_from("<QqI", b, i); i += 20
    print(frame, n, b[i:i + n].hex()); i += n
EOF
}

# check URI: the notes 12000 frames apart (+- 96), the sysex whole.
check() {
    records "$1" >"$TMP/rec.txt"
    python3 - "$TMP/rec.txt" "$TMP/sysex.bin" "$1" <<'EOF'
import sys
recs = [l.split() for l in open(sys.argv[1])]
sysex = open(sys.argv[2], "rb").read().hex()
uri = sys.argv[3]
ons = [(int(f), h) for f, n, h in recs if h.startswith("90")]
want = ["90%02x64" % (60 + i) for i in range(8)]
if [h for _, h in ons] != want:
    sys.exit(f"FAIL {uri}: note ons {[h for _, h in ons]}, expected {want}")
for k in range(1, 8):
    d = ons[k][0] - ons[0][0]
    if abs(d - 12000 * k) > 96:
        sys.exit(f"FAIL {uri}: note {k} is {d} frames after the first, expected {12000 * k} +- 96")
sx = [(int(f), h) for f, n, h in recs if h.startswith("f0")]
if len(sx) != 1 or sx[0][1] != sysex:
    sys.exit(f"FAIL {uri}: sysex not kept whole: {[(f, len(h) // 2) for f, h in sx]}")
if abs(sx[0][0] - ons[0][0] - 54000) > 96:
    sys.exit(f"FAIL {uri}: sysex at {sx[0][0] - ons[0][0]} frames after the first note, expected 54000")
frames = [int(f) for f, _, _ in recs]
if frames != sorted(frames):
    sys.exit(f"FAIL {uri}: records out of order")
print(len(recs))
EOF
}

wait_port() { # wait_port: until reel:capture is listed as a writable port
    local i
    for ((i = 0; i < 100; i++)); do
        aconnect -o 2>/dev/null | grep -q "'reel'" && return 0
        sleep 0.05
    done
    fail "reel's sequencer port did not appear: $(aconnect -o 2>&1 | tr '\n' ' ')"
}

reel_bg "$TMP/rec1.log" --json record --source alsa-midi --seconds 4
wait_port
aplaymidi -p reel:capture "$TMP/in.mid" || fail "aplaymidi failed"
wait_bg "$BG_PID"
n=$(check stream://alsa/midi 2>"$TMP/check.err") || fail "$(head -c 400 "$TMP/check.err")"
[[ $(json "d['events']" <(tail -n 1 "$TMP/rec1.log")) -eq $n ]] ||
    fail "record reported $(tail -n 1 "$TMP/rec1.log"), the chunks hold $n records"
[[ $(status_field stream://alsa/midi kind) == midi ]] || fail "stream is not MIDI"

through=$(aconnect -o 2>/dev/null | awk -F"[ :']+" "/Midi Through/ { print \$2; exit }")
if [[ -n $through ]]; then
    reel_bg "$TMP/rec2.log" record --source "alsa-midi:$through:0" --stream stream://alsa/thru \
        --seconds 4
    wait_port
    sleep 0.2
    aplaymidi -p "$through:0" "$TMP/in.mid" || fail "aplaymidi to Midi Through failed"
    wait_bg "$BG_PID"
    check stream://alsa/thru >/dev/null 2>"$TMP/check.err" || fail "$(head -c 400 "$TMP/check.err")"
else
    # (snd-seq-dummy makes it; without that module this part cannot run: a skip, not a pass)
    fsck_clean
    echo "SKIP $TEST_NAME: no Midi Through port (modprobe snd-seq-dummy): recording from" \
        "reel:capture passed, subscribing to CLIENT:PORT not tested" >&2
    exit 77
fi

fsck_clean
pass
