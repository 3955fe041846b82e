#!/usr/bin/env bash
# bench/jack_channels.sh — live JACK capture capacity (run by bench/run.sh, `make bench`; also
# runs alone). It starts and stops its own `jackd -d dummy -p 64` (1.33 ms periods at 48 kHz).
#
#   channels  the largest channel count `reel record --source jack` records for
#             REEL_BENCH_SECONDS (60, the issue's length) with zero xruns, zero overruns and no
#             skipped period, each count on its own server with that many physical capture
#             ports (zeros, copied like any other samples). Counts are tried in order (64, 128,
#             256, 512, 1024), each at most twice (xruns also come from the machine); the search
#             stops at the first count that fails both tries. Counts above 512 are reported as
#             not measurable: the dummy driver aborts with about 1000 ports, and reel refuses a
#             port list longer than 255 bytes, so one port cannot feed several reel ports.
#   callback  the process callback's own cost at 64 channels, from the 64-channel run:
#             median and p99 as a fraction of the period, measured inside the callback
#             (REEL_JACK_PROFILE: one more vDSO clock read per period into a pre-faulted
#             array, written at close).
#   capacity  from the same runs, a criterion the machine's noise cannot fail: the largest
#             count with zero overruns and the callback's p99 under half the period.
#
# The dummy driver counts a wake-up a few microseconds late as an xrun, and on a VM with a
# PREEMPT_NONE kernel every client's thread wakes late now and then: the baseline line
# shows how often the server alone, and a trivial client (jack_metro), xrun here.
#
# Environment:
#   REEL=PATH               the reel binary (default: build/src/cli/reel)
#   BENCH_DIR=DIR           scratch space (default /tmp/reel-bench-jack); each run's store is
#                           removed after it (1024 ch for 60 s is 11.8 GB)
#   REEL_BENCH_SECONDS=S    length of each run (default 60; shorter when iterating)
#   BASELINE_SECONDS=S      length of the two baselines (default 5)
#   CHANNELS="64 128 ..."   counts to try, in order
#   CHUNK_BYTES=N           reel's --chunk-bytes (default: reel's own, 4 MiB)
#   JACK_PERIOD=N           jackd's period in frames (default 64)
#   REEL_JACK_RT=0          run jackd with -r (no realtime scheduling)
# Result lines (the last three; exit status 1 if not even 64 channels held):
#   bench jack-callback: 64 ch, period 64 frames (1333 us): median <x> us (<f> of the period), p99 ...
#   bench jack-channels: <N> channels for <S> s with 0 xruns, 0 overruns, 0 skipped periods ...
#   bench jack-capacity: <N> channels for <S> s with 0 overruns, callback p99 <f> of the period
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REEL=${REEL:-$ROOT/build/src/cli/reel}
[[ $REEL == /* ]] || REEL=$PWD/$REEL
BENCH_DIR=${BENCH_DIR:-/tmp/reel-bench-jack}
SECONDS_FULL=${REEL_BENCH_SECONDS:-60}
SCREEN=${BASELINE_SECONDS:-5}
CHANNELS=${CHANNELS:-64 128 256 512 1024}
PERIOD=${JACK_PERIOD:-64}
RATE=48000

say() { printf '%s\n' "$*"; }
die() {
    printf 'bench jack: %s\n' "$*" >&2
    exit 1
}
for t in jackd jack_wait jack_metro python3; do
    command -v "$t" >/dev/null || die "needs $t"
done
[[ -x $REEL ]] || die "no reel binary at $REEL (make build)"

SRV=reelbench$$
export JACK_DEFAULT_SERVER=$SRV
mkdir -p "$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
JACKD_PID=
cleanup() {
    stop_jackd
    rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

flags=(-n "$SRV")
if [[ ${REEL_JACK_RT:-auto} == 0 ]] || ! chrt -f 10 true 2>/dev/null; then
    flags+=(-r)
fi
# Each count gets its own server with exactly that many physical capture ports, recorded
# with plain `--source jack` (all physical ports): reel refuses a port list longer than a
# definition's device identity (255 bytes), which 64 explicit port names already exceed.
# The dummy driver aborts with about 1000 capture ports (jackd 1.9.21), so counts above
# JACK_MAX_PORTS (512) are reported as not measurable here, not tried.
JACK_MAX_PORTS=512
start_jackd() { # start_jackd N: a fresh server with N capture ports, running when it returns
    jackd "${flags[@]}" -p 4096 -d dummy -r $RATE -p "$PERIOD" -C "$1" -P 2 >>"$WORK/jackd.log" 2>&1 &
    JACKD_PID=$!
    local i=0
    until [[ $(jack_wait -s "$SRV" -c 2>/dev/null) == running ]]; do
        i=$((i + 1))
        ((i <= 250)) || die "jackd did not start: $(tail -n 2 "$WORK/jackd.log" | tr '\n' ' ')"
        sleep 0.02
    done
    JACK_PORTS=$1
}
stop_jackd() {
    [[ -n $JACKD_PID ]] || return 0
    kill "$JACKD_PID" 2>/dev/null || true
    wait "$JACKD_PID" 2>/dev/null || true
    JACKD_PID=
    rm -rf "/dev/shm/jack_db-$SRV" 2>/dev/null || true
    rm -f /dev/shm/jack_sem.*_"${SRV}"_* /dev/shm/jack_"${SRV}"_* 2>/dev/null || true
}
JACK_PORTS=0
first=${CHANNELS%% *}
start_jackd "$((first < JACK_MAX_PORTS ? first : JACK_MAX_PORTS))"

# xrun_lines PATTERN: jackd's log lines matching so far.
xrun_lines() { grep -c -E "$1" "$WORK/jackd.log" || true; }

# run_once N SECONDS: one profiled recording on a fresh store (removed after). Prints a
# line and sets STRICT_OK (no xrun, overrun or skipped period), CAP_OK (no overrun,
# callback p99 < half the period) and P99 (fraction of the period).
run_once() {
    local n=$1 secs=$2 store=$WORK/store prof=$WORK/profile.txt
    rm -rf "$store" "$prof"
    if ((JACK_PORTS != n)); then
        stop_jackd
        start_jackd "$n"
    fi
    "$REEL" --store "$store" init >/dev/null
    local args=(--json record --source jack --seconds "$secs")
    [[ -n ${CHUNK_BYTES:-} ]] && args+=(--chunk-bytes "$CHUNK_BYTES")
    local rc=0 b0
    b0=$(xrun_lines 'client = reel|client reel ')
    REEL_JACK_PROFILE=$prof "$REEL" --store "$store" "${args[@]}" >"$WORK/rec.json" 2>"$WORK/rec.err" || rc=$?
    STRICT_OK=0 CAP_OK=0 P99=1
    if ((rc != 0)); then
        LAST_LINE="reel failed: $(head -c 200 "$WORK/rec.err" | tr '\n' ' ')"
        say "  $n ch, $secs s: $LAST_LINE"
        rm -rf "$store"
        return 0
    fi
    "$REEL" --store "$store" --json status stream://jack/main >"$WORK/st.json"
    local blamed=$(($(xrun_lines 'client = reel|client reel ') - b0)) line
    line=$(python3 - "$WORK/rec.json" "$WORK/st.json" "$prof" "$PERIOD" "$RATE" "$blamed" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
period, rate, blamed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
d = sorted(int(l) for l in open(sys.argv[3]) if l.strip() and not l.startswith("#"))
pns = period * 1e9 / rate
p50, p99 = d[len(d) // 2], d[min(len(d) - 1, int(len(d) * 0.99))]
xr, ov, dr = s["xruns"], s["overrun_frames"], r.get("dropped_frames", 0)
strict = int(xr == 0 and ov == 0 and dr == 0)
cap = int(ov == 0 and p99 < pns / 2)
print(strict, cap, f"{p99 / pns:.4f}",
      f"{s['head_frame'] - s['first_frame']} frames, xruns {xr} (jackd blames reel for {blamed}), "
      f"overrun frames {ov}, skipped frames {dr}, callback median {p50 / 1000:.1f} us "
      f"({p50 / pns:.4f}) p99 {p99 / 1000:.1f} us ({p99 / pns:.4f}) max {d[-1] / 1000:.1f} us")
EOF
)
    read -r STRICT_OK CAP_OK P99 line <<<"$line"
    LAST_LINE=$line
    say "  $n ch, $secs s: $line"
    rm -rf "$store"
}

say "jack capture on jackd -d dummy -p $PERIOD -r $RATE ($([[ ${flags[*]} == *-r* ]] && echo non-realtime || echo SCHED_FIFO)), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); reel $REEL"

# Baselines: the server alone, then with a trivial client.
x0=$(xrun_lines 'XRun')
sleep "$SCREEN"
x1=$(xrun_lines 'XRun')
jack_metro -b 120 -n metro >/dev/null 2>&1 &
metro=$!
sleep "$SCREEN"
kill "$metro" 2>/dev/null || true
wait "$metro" 2>/dev/null || true
say "baseline: in $SCREEN s jackd alone logged $((x1 - x0)) xruns; with jack_metro, $(($(xrun_lines 'XRun') - x1)) ($(xrun_lines 'client = metro') blaming metro)"

# ---- the search: each count at most twice for the full time. The strict search stops at
# its first failure; the capacity criterion goes on while it holds.
best_strict=0 best_cap=0 cap_p99=1 cb_line='' fail_line='' strict_alive=1 untried=''
for n in $CHANNELS; do
    if ((n > JACK_MAX_PORTS)); then
        say "  $n ch: not measured (the dummy driver gives at most $JACK_MAX_PORTS physical capture ports)"
        untried+=" $n"
        continue
    fi
    s_ok=0 c_ok=0
    for t in 1 2; do
        run_once "$n" "$SECONDS_FULL"
        if ((n == 64)) && [[ -z $cb_line ]]; then cb_line=${LAST_LINE#*callback }; fi
        if ((CAP_OK)) && ((n > best_cap)); then best_cap=$n cap_p99=$P99 c_ok=1; fi
        ((STRICT_OK)) && s_ok=1
        ((s_ok || (!strict_alive && c_ok))) && break
    done
    if ((strict_alive && s_ok)); then
        best_strict=$n
    elif ((strict_alive)); then
        strict_alive=0
        fail_line="$n ch failed twice: ${LAST_LINE:-reel failed}"
    fi
    ((strict_alive || c_ok)) || break
done
if [[ -z $cb_line ]]; then # 64 was not in CHANNELS: profile it on its own
    run_once 64 "$SECONDS_FULL"
    cb_line=${LAST_LINE#*callback }
fi

chunk="chunk ${CHUNK_BYTES:-4 MiB default}"
say "bench jack-callback: 64 ch, period $PERIOD frames ($((PERIOD * 1000000 / RATE)) us), $SECONDS_FULL s: $cb_line"
if ((best_strict > 0)); then
    say "bench jack-channels: $best_strict channels for $SECONDS_FULL s with 0 xruns, 0 overruns, 0 skipped periods (tried: $CHANNELS; ${fail_line:-none failed}${untried:+; not measurable here:$untried}; $chunk)"
else
    say "bench jack-channels: 0 channels for $SECONDS_FULL s with 0 xruns (${fail_line}; see the baseline)"
fi
say "bench jack-capacity: $best_cap channels for $SECONDS_FULL s with 0 overruns, callback p99 $cap_p99 of the period"
((best_strict > 0))
