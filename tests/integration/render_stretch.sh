#!/usr/bin/env bash
# render_stretch.sh — time-stretch and pitch shift of clips (Rubber Band, R3 engine, offline, in
# the source cache: render/engine/source_cache.c), measured on the render, not trusted:
#  - a 1 s 440 Hz sine stretched by 1.5 renders exactly 1.5 x its frames, and its frequency,
#    counted by zero crossings in Python, is still 440 Hz (within 1 %);
#  - the same sine shifted +12 semitones keeps its frames and measures 880 Hz; -12: 220 Hz;
#  - a stretched clip renders to the same bytes twice (the engine's bytes are deterministic,
#    which is what lets realtime playback equal the render);
#  - a 44.1 kHz source stretched by 2 in a 48 kHz project: resampled, then stretched: exactly
#    2 x its 48 kHz frames, at its frequency.
source "$(dirname "$0")/lib.sh"
need sox
sox -D -n -r 48000 -c 1 -b 16 -e signed-integer "$TMP/sine.wav" synth 1 sine 440 gain -6 ||
    fail "sox: sine.wav"
sox -D -n -r 44100 -c 1 -b 16 -e signed-integer "$TMP/sine44.wav" synth 1 sine 1000 gain -6 ||
    fail "sox: sine44.wav"
ok reel init >/dev/null
A=$(import_art "$TMP/sine.wav")
A44=$(import_art "$TMP/sine44.wav")

# case NAME SOURCE FRAMES HZ [clip options]: one clip on a fresh project; the render has FRAMES
# frames and its tone measures HZ.
case_ok() {
    local name=$1 src=$2 frames=$3 hz=$4
    shift 4
    edit project create "$name"
    local p
    p=$(idof project)
    edit track add "$p" --channels 1
    edit clip add "$p" --track "$(idof track)" --at 0 --source "$src" "$@"
    ok reel --json render "$p" --out "$TMP/$name.wav" >"$TMP/$name.json"
    [[ $(json "d['frames']" "$TMP/$name.json") -eq $frames ]] ||
        fail "$name: $(json "d['frames']" "$TMP/$name.json") frames, want $frames"
    python3 - "$TMP/$name.wav" "$hz" "$(dirname "$0")" <<'EOF' || fail "$name: not at $hz Hz"
import sys
sys.path.insert(0, sys.argv[3])
from mix_oracle import read_float_wav
ch, rate, a = read_float_wav(sys.argv[1])
left = a[0::ch]
mid = left[len(left) // 5: len(left) * 4 // 5]  # away from the edges
ups = sum(1 for i in range(1, len(mid)) if mid[i - 1] < 0 <= mid[i])
hz = ups / (len(mid) / rate)
want = float(sys.argv[2])
print("measured %.1f Hz, want %.1f" % (hz, want))
sys.exit(0 if abs(hz - want) <= want * 0.01 else 1)
EOF
    P_LAST=$p
}
case_ok stretch "$A" 72000 440 --stretch 1.5
ok reel --json render "$P_LAST" >"$TMP/again.json"
[[ $(json "d['content']" "$TMP/again.json") == $(json "d['content']" "$TMP/stretch.json") ]] ||
    fail "a stretched clip rendered twice gave two different files"
case_ok up "$A" 48000 880 --pitch 12
case_ok down "$A" 48000 220 --pitch=-12
case_ok src2 "$A44" 96000 1000 --stretch 2
pass
