#!/usr/bin/env bash
# capi_audio.sh — the engine functions of the C API (include/reel.h, reel_audio_*) through
# libreel.so from Python ctypes against a private `jackd -d dummy`: bind a project, load a
# sox-made WAV, add a clip, set a routing graph, play and see the position advance, seek, stop,
# and every error path as one clear line (capi_audio.py says more).
#
# Environment (tests/meson.build): LIBREEL (the built libreel.so), beside lib.sh's. An ASan
# build's libreel.so gets its runtime preloaded into python3 only, as capi_ctypes.sh does.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jack_lib.sh"
need sox soxi
: "${LIBREEL:?set LIBREEL to libreel.so}"
[[ -f $LIBREEL ]] || fail "LIBREEL=$LIBREEL does not exist"

preload=()
if readelf -d "$LIBREEL" | grep -q 'NEEDED.*libasan'; then
    asan_rt=$(ldd "$LIBREEL" | awk '/libasan\.so/ {print $3; exit}')
    if [[ -z $asan_rt || ! -f $asan_rt ]]; then
        echo "SKIP $TEST_NAME: ASan build, and ldd finds no libasan for $LIBREEL" >&2
        exit 77
    fi
    preload=(env "LD_PRELOAD=$asan_rt"
        "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
        "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$LIB_DIR/capi_ctypes.lsan.supp"
        "UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1")
elif nm -D --undefined-only "$LIBREEL" | grep -q ' __asan_init'; then
    echo "SKIP $TEST_NAME: $LIBREEL needs an ASan runtime it does not name" >&2
    exit 77
fi

start_jackd
# The source: 2 s of a 440 Hz sine, mono, 48 kHz, made by sox (the oracle of its length).
sox -n -r "$RATE" -c 1 -b 16 "$TMP/tone.wav" synth 2 sine 440 gain -6 ||
    fail "sox could not make the source"
FRAMES=$(soxi -s "$TMP/tone.wav")
ok reel init >/dev/null

rc=0
timeout -k 5 240 ${preload[@]+"${preload[@]}"} "$PYTHON" "$LIB_DIR/capi_audio.py" \
    "$LIBREEL" "$STORE" "$TMP/tone.wav" "$FRAMES" "$RATE" "$SRV" || rc=$?
((rc == 0)) || fail "capi_audio.py exited $rc"
pass
