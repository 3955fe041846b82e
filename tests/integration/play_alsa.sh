#!/usr/bin/env bash
# play_alsa.sh — playback without JACK (seed 004's backend fallback): with no JACK server,
# `reel play` plays through the same engine to an ALSA device, says so on stderr and in the
# transport's "device", and what it sent is the offline render bit for bit. The device is
# ALSA's own "file" plugin (over the "null" device), defined in an ALSA configuration made
# here, so the samples ALSA received land in a raw file the test reads.
source "$(dirname "$0")/lib.sh"
need sox
export JACK_DEFAULT_SERVER=reel-no-jack-$$ # no server of that name runs
[[ -r /usr/share/alsa/alsa.conf ]] || fail "no /usr/share/alsa/alsa.conf (alsa-utils / libasound2)"
cat >"$TMP/asound.conf" <<EOF
pcm.reelfile {
    type file
    slave.pcm "null"
    file "$TMP/played.raw"
    format "raw"
}
EOF
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$TMP/asound.conf
export REEL_ALSA_DEVICE=reelfile

mksrc "$TMP/m.wav" 1 1 f32
mksrc "$TMP/s.wav" 1.5 2 i16
ok reel init >/dev/null
AM=$(import_art "$TMP/m.wav")
AS=$(import_art "$TMP/s.wav")
edit project create alsa
P=$(idof project)
edit track add "$P" --channels 1 --gain 0.6 --pan 0.5
T1=$(idof track)
edit track add "$P" --channels 2 --gain 0.4
T2=$(idof track)
edit clip add "$P" --track "$T1" --at 0.1 --source "$AM" --fade-out 2400
edit clip add "$P" --track "$T2" --at 0.3 --source "$AS"
ok reel --json render "$P" --out "$TMP/render.wav" >/dev/null

"$REEL" --store "$STORE" play "$P" >"$TMP/play.json" 2>"$TMP/play.err" ||
    fail "reel play without JACK: $(cat "$TMP/play.err")"
grep -q "^reel: no JACK server runs: playing to ALSA device reelfile$" "$TMP/play.err" ||
    fail "reel play did not say it plays to ALSA: $(cat "$TMP/play.err")"
[[ $(json "d['device']" "$TMP/play.json") == alsa:reelfile ]] || fail "device: $(cat "$TMP/play.json")"
[[ -s $TMP/played.raw ]] || fail "ALSA's file plugin wrote nothing"
python3 - "$TMP/played.raw" "$TMP/render.wav" "$(dirname "$0")" <<'EOF' || fail "what ALSA received is not the render"
import array, sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
cap = array.array("f")
cap.frombytes(open(sys.argv[1], "rb").read())
_, _, ren = read_float_wav(sys.argv[2])
n, m = len(ren) // 2, len(cap) // 2
k0 = next(i for i in range(n) if ren[2 * i] != 0 or ren[2 * i + 1] != 0)
key = (ren[2 * k0], ren[2 * k0 + 1])
for j in range(k0, m - n + k0 + 1):
    if (cap[2 * j], cap[2 * j + 1]) == key and \
            cap[2 * (j - k0):2 * (j - k0 + n)].tobytes() == ren.tobytes():
        print("the render is frames %d..%d of what ALSA received, bit for bit" % (j - k0, j - k0 + n))
        sys.exit(0)
sys.exit("no window of the %d frames ALSA received equals the render's %d" % (m, n))
EOF
# A device ALSA does not know: one line, naming it.
REEL_ALSA_DEVICE=nosuchdevice expect_fail any reel play "$P"
grep -q "nosuchdevice" "$TMP/ef.err" || fail "bad ALSA device: $(cat "$TMP/ef.err")"
pass
