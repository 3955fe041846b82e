#!/usr/bin/env bash
# The public C API (include/reel.h) through libreel.so from Python ctypes: open a store, grab
# history the CLI recorded and check the file with soxi/sox/b3sum, reach a running `reel serve`
# for control ops with the same context, bad input as error JSON (capi_ctypes.py says more).
#
# Environment (tests/meson.build): LIBREEL (the built libreel.so) and REEL_VERSION, beside lib.sh's.
#
# An ASan build's libreel.so needs the ASan runtime loaded before anything else in the process,
# and python3 is not built with it: the runtime libreel.so depends on is preloaded
# (LD_PRELOAD) into the interpreter only (not into reel, sox or b3sum, which capi_ctypes.py
# starts without it). LeakSanitizer stays on, with the interpreter's own never-freed
# allocations suppressed (capi_ctypes.lsan.supp); any leak, overflow, use after free or
# undefined behaviour in libreel fails the test. Only if that runtime cannot be found (or the
# library wants one it does not name, as a clang build does) is the test skipped (77).
source "$(dirname "$0")/lib.sh"
need soxi
: "${LIBREEL:?set LIBREEL to libreel.so}"
: "${REEL_VERSION:?set REEL_VERSION to the project version}"
[[ -f $LIBREEL ]] || fail "LIBREEL=$LIBREEL does not exist"

preload=()
if readelf -d "$LIBREEL" | grep -q 'NEEDED.*libasan'; then
    asan_rt=$(ldd "$LIBREEL" | awk '/libasan\.so/ {print $3; exit}')
    if [[ -z $asan_rt || ! -f $asan_rt ]]; then
        echo "SKIP $TEST_NAME: $LIBREEL is built with AddressSanitizer, whose runtime must be" \
            "preloaded into python3, but ldd finds no libasan for it" >&2
        exit 77
    fi
    preload=(env "LD_PRELOAD=$asan_rt"
        "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
        "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$LIB_DIR/capi_ctypes.lsan.supp"
        "UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1")
    echo "# $TEST_NAME: ASan build, $asan_rt preloaded into python3"
elif nm -D --undefined-only "$LIBREEL" | grep -q ' __asan_init'; then
    echo "SKIP $TEST_NAME: $LIBREEL needs an ASan runtime it does not name (a clang build with" \
        "the runtime linked statically into executables); python3 cannot provide it" >&2
    exit 77
fi

mkdir -p "$TMP/work"
rc=0
timeout -k 5 300 ${preload[@]+"${preload[@]}"} "$PYTHON" "$LIB_DIR/capi_ctypes.py" \
    "$LIBREEL" "$REEL" "$STORE" "$TMP/work" "$REEL_VERSION" || rc=$?
if ((rc != 0)); then
    [[ -f $TMP/work/serve.log ]] && echo "serve.log: $(tail -c 600 "$TMP/work/serve.log")" >&2
    fail "capi_ctypes.py exited $rc"
fi
pass
