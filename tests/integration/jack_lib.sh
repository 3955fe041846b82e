# jack_lib.sh — a private `jackd -d dummy` for a test, and JACK clients on it; sourced after
# lib.sh by the tests that need JACK. Everything it starts is stopped on exit.
# Set before sourcing (optional): PERIOD (default 256), RATE (default 48000).

need jackd jack_wait jack_lsp jack_connect

SRV=reeltest$$
export JACK_DEFAULT_SERVER=$SRV
PERIOD=${PERIOD:-256}
RATE=${RATE:-48000}
JACKD_PID=
CLIENT_PIDS=()
JACK_FLAGS=(-n "$SRV")
if [[ ${REEL_JACK_RT:-auto} == 0 ]] || ! chrt -f 10 true 2>/dev/null; then
    JACK_FLAGS+=(-r)
fi

stop_clients() {
    local p
    for p in ${CLIENT_PIDS[@]+"${CLIENT_PIDS[@]}"}; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    CLIENT_PIDS=()
}

stop_jackd() {
    if [[ -n $JACKD_PID ]]; then
        kill "$JACKD_PID" 2>/dev/null || true
        wait "$JACKD_PID" 2>/dev/null || true
        JACKD_PID=
    fi
}

_jack_cleanup() {
    stop_clients
    stop_jackd
    rm -rf "/dev/shm/jack_db-$SRV" 2>/dev/null || true
    rm -f /dev/shm/jack_sem.*_"${SRV}"_* /dev/shm/jack_"${SRV}"_* 2>/dev/null || true
}
trap '_jack_cleanup; _cleanup' EXIT

# jackd keeps a table of 8 servers in /dev/shm/jack-shm-registry and reclaims a slot only
# for a server of the same name, so servers killed with -9 (ours have unique names) fill it
# until every jackd says "Too many servers already active". Free the slots whose process
# is gone, except our own server's (jack2's layout: 24-byte header, then
# 8 x {pid_t pid; char name[256]; pad}).
reclaim_jack_slots() {
    local reg=/dev/shm/jack-shm-registry
    [[ -w $reg ]] || return 0
    python3 - "$reg" "$SRV" <<'PY' || true
import os, struct, sys
own = sys.argv[2].encode()
with open(sys.argv[1], "r+b") as f:
    b = f.read(24 + 8 * 264)
    if b[:4] != b"KCAJ":
        sys.exit(0)
    for i in range(8):
        off = 24 + 264 * i
        pid = struct.unpack_from("<i", b, off)[0]
        name = b[off + 4:off + 260].split(b"\0", 1)[0]
        # Our own server's slot stays: jackd reuses it on a restart, and a client of the
        # killed server (reel, reconnecting) still knows it by that slot.
        if pid > 0 and name != own and not os.path.exists(f"/proc/{pid}"):
            f.seek(off)
            f.write(bytes(260))
PY
}

start_jackd() {
    reclaim_jack_slots
    jackd "${JACK_FLAGS[@]}" -d dummy -r $RATE -p $PERIOD >>"$TMP/jackd.log" 2>&1 &
    JACKD_PID=$!
    local i=0
    until [[ $(jack_wait -s "$SRV" -c 2>/dev/null) == running ]]; do
        i=$((i + 1))
        [[ $i -le 250 ]] || fail "jackd did not come up: $(tail -n 3 "$TMP/jackd.log" | tr '\n' ' ')"
        kill -0 "$JACKD_PID" 2>/dev/null || fail "jackd exited: $(tail -n 3 "$TMP/jackd.log" | tr '\n' ' ')"
        sleep 0.02
    done
}

# wait_port NAME: until the server lists the port.
wait_port() {
    local i=0
    until jack_lsp -s "$SRV" 2>/dev/null | grep -qxF "$1"; do
        i=$((i + 1))
        [[ $i -le 250 ]] || fail "JACK port $1 did not appear"
        sleep 0.02
    done
}

# connect SRC DST: until the server lists the connection (a busy server may refuse once).
connect() {
    local i
    for i in $(seq 50); do
        jack_connect -s "$SRV" "$1" "$2" >/dev/null 2>&1 || true
        jack_lsp -s "$SRV" -c "$1" 2>/dev/null | grep -qxF "   $2" && return 0
        sleep 0.05
    done
    fail "cannot connect $1 to $2"
}

# start_client CMD...: a JACK client in the background, stopped by stop_clients / on exit.
start_client() {
    "$@" >>"$TMP/jack-clients.log" 2>&1 &
    CLIENT_PIDS+=($!)
}

start_metro() {
    start_client jack_metro -b 120 -n metro
    wait_port metro:120_bpm
}

