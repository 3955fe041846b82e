#!/usr/bin/env bash
# bench/http_load.sh — the HTTP API under load while recording (run by bench/run.sh as
# `http`, `make bench`; also runs alone). It starts and stops its own `jackd -d dummy` with
# 64 capture ports, `reel serve` recording all 64 channels, and nginx on the same CAS files.
#
#   mixed   64 concurrent wrk connections for WRK_SECONDS, each request one of: GET a blob
#           (1 MiB), GET a stream's status, GET an artifact's content (a 0.1 s, 64 ch slice: 1.2 MB),
#           POST a virtual slice of the last 0.5 s: requests/s and latency percentiles.
#   blobs   64 connections GETting a 16 MiB blob: reel's MB/s vs nginx serving the very same
#           file from the store's content directory (sendfile on, one worker per CPU).
#   capture the recording's xruns and overruns before and after the load (must not grow:
#           the realtime path never waits on the HTTP threads).
# Each wrk run is repeated RUNS times; the medians are quoted.
#
# Environment: REEL (binary), BENCH_DIR (scratch, default /tmp/reel-bench-http), RUNS (3),
# WRK_SECONDS (10), JACK_PERIOD (1024 frames: the load shares 2 CPUs with jackd; a small
# period measures the machine's scheduling, not reel), CHANNELS (64).
# Result lines:
#   bench http-mixed: <r> req/s, p50 <ms>, p99 <ms> (64 connections, recording <N> ch)
#   bench http-blob: reel <v> MB/s, reference nginx <v> MB/s, ratio <x> (higher is better)
#   bench http-capture: xruns +<n>, overrun frames +<n> during the load
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REEL=${REEL:-$ROOT/build/src/cli/reel}
[[ $REEL == /* ]] || REEL=$PWD/$REEL
BENCH_DIR=${BENCH_DIR:-/tmp/reel-bench-http}
RUNS=${RUNS:-3}
WRK_SECONDS=${WRK_SECONDS:-10}
PERIOD=${JACK_PERIOD:-1024}
CHANNELS=${CHANNELS:-64}
RATE=48000

die() {
    printf 'bench http: %s\n' "$*" >&2
    exit 1
}
for t in jackd jack_wait wrk nginx curl python3 b3sum; do
    command -v "$t" >/dev/null || die "needs $t (apt-get install jackd2 wrk nginx-light curl b3sum)"
done
[[ -x $REEL ]] || die "no reel binary at $REEL (make build)"

SRV=reelhttp$$
export JACK_DEFAULT_SERVER=$SRV
mkdir -p "$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
STORE=$WORK/store
PIDS=()
cleanup() {
    local p
    for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
    for p in ${PIDS[@]+"${PIDS[@]}"}; do wait "$p" 2>/dev/null || true; done
    [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK" "/dev/shm/jack_db-$SRV" 2>/dev/null || true
    rm -f /dev/shm/jack_sem.*_"${SRV}"_* /dev/shm/jack_"${SRV}"_* 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

flags=(-n "$SRV")
chrt -f 10 true 2>/dev/null || flags+=(-r)
jackd "${flags[@]}" -d dummy -r $RATE -p "$PERIOD" -C "$CHANNELS" -P 2 >"$WORK/jackd.log" 2>&1 &
PIDS+=($!)
i=0
until [[ $(jack_wait -s "$SRV" -c 2>/dev/null) == running ]]; do
    i=$((i + 1))
    ((i <= 250)) || die "jackd did not start: $(tail -n 2 "$WORK/jackd.log" | tr '\n' ' ')"
    sleep 0.02
done

"$REEL" --store "$STORE" init >/dev/null
PORT=$(free_port)
U=http://127.0.0.1:$PORT
"$REEL" --store "$STORE" serve --source jack --stream stream://bench/main \
    --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
i=0
until curl -sf "$U/api/streams" | grep -q '"recording"'; do
    i=$((i + 1))
    ((i <= 300)) || die "reel serve did not start recording: $(tail -n 3 "$WORK/serve.log" | tr '\n' ' ')"
    sleep 0.05
done
sleep 2

# The inputs: two blobs and one 1 s slice artifact.
head -c $((1 << 20)) /dev/urandom >"$WORK/small.bin"
head -c $((16 << 20)) /dev/urandom >"$WORK/big.bin"
SMALL=blake3:$(b3sum --no-names "$WORK/small.bin")
BIG=blake3:$(b3sum --no-names "$WORK/big.bin")
curl -sf -T "$WORK/small.bin" "$U/blobs/$SMALL" >/dev/null || die "PUT small blob failed"
curl -sf -T "$WORK/big.bin" "$U/blobs/$BIG" >/dev/null || die "PUT big blob failed"
ENC=stream%3A%2F%2Fbench%2Fmain
ART=$(curl -sf -X POST -d '{"last":"0.1s"}' "$U/api/streams/$ENC/slice" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["artifact"])') || die "slice failed"

status_json() { curl -sf "$U/api/streams/$ENC"; }
counters() { status_json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["xruns"], d["overrun_frames"], d["head_frame"])'; }

cat >"$WORK/mixed.lua" <<EOF
local paths = {
  {"GET", "/blobs/$SMALL", nil},
  {"GET", "/api/streams/$ENC", nil},
  {"GET", "/api/artifacts/$ART/content", nil},
  {"POST", "/api/streams/$ENC/slice", '{"last":"0.5s","virtual":true}'},
}
local n = 0
request = function()
  n = n + 1
  local p = paths[(n % #paths) + 1]
  local headers = {}
  if p[3] then headers["Content-Type"] = "application/json" end
  return wrk.format(p[1], p[2], headers, p[3])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF
cat >"$WORK/bytes.lua" <<'EOF'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.bytes / (summary.duration / 1e6) / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF

# wrk_run SCRIPT URL: one run's "value p50 p99 status_errors socket_errors".
wrk_run() {
    wrk -t 2 -c 64 -d "${WRK_SECONDS}s" --timeout 10s -s "$1" "$2" 2>&1 | awk '/^RESULT/ {print $2, $3, $4, $5, $6}'
}

read -r x0 o0 h0 <<<"$(counters)"
mixed_r=() mixed_50=() mixed_99=() errs=0
for ((r = 1; r <= RUNS; r++)); do
    read -r v p50 p99 se ke <<<"$(wrk_run "$WORK/mixed.lua" "$U")"
    mixed_r+=("$v") mixed_50+=("$p50") mixed_99+=("$p99") errs=$((errs + se + ke))
    printf '  mixed run %d: %s req/s, p50 %s ms, p99 %s ms, %s HTTP errors, %s socket errors\n' "$r" "$v" "$p50" "$p99" "$se" "$ke"
done

# nginx on the same files: /blobs/blake3:<hex> -> the store's content path.
NPORT=$(free_port)
hex=${BIG#blake3:}
cat >"$WORK/nginx.conf" <<EOF
$( ((EUID == 0)) && echo 'user root;' )
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NPORT;
    location /blobs/ {
      rewrite "^/blobs/blake3:(..)(..)(.*)\$" /blake3/\$1/\$2/\$1\$2\$3 break;
      root $STORE/cas/content;
    }
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" || die "nginx did not start"
curl -sf "http://127.0.0.1:$NPORT/blobs/$BIG" | cmp - "$WORK/big.bin" || die "nginx does not serve the blob"
curl -sf "$U/blobs/$BIG" | cmp - "$WORK/big.bin" || die "reel does not serve the blob"
reel_mb=() nginx_mb=()
for ((r = 1; r <= RUNS; r++)); do
    read -r v p50 p99 se ke <<<"$(wrk_run "$WORK/bytes.lua" "$U/blobs/$BIG")"
    reel_mb+=("$v") errs=$((errs + se + ke))
    read -r w q50 q99 se2 ke2 <<<"$(wrk_run "$WORK/bytes.lua" "http://127.0.0.1:$NPORT/blobs/$BIG")"
    nginx_mb+=("$w")
    printf '  blob run %d: reel %s MB/s (p50 %s ms), nginx %s MB/s (p50 %s ms)\n' "$r" "$v" "$p50" "$w" "$q50"
done
read -r x1 o1 h1 <<<"$(counters)"

mr=$(median "${mixed_r[@]}")
m50=$(median "${mixed_50[@]}")
m99=$(median "${mixed_99[@]}")
rm_=$(median "${reel_mb[@]}")
nm=$(median "${nginx_mb[@]}")
ratio=$(awk -v a="$rm_" -v b="$nm" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf 'load: %d CPUs, load average %s, jackd -p %s, %s s of recording during the load\n' \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$PERIOD" "$(((h1 - h0) / RATE))"
printf 'bench http-mixed: %s req/s, p50 %s ms, p99 %s ms (64 connections, recording %d ch; %d errors)\n' \
    "$mr" "$m50" "$m99" "$CHANNELS" "$errs"
printf 'bench http-blob: reel %s MB/s, reference nginx %s MB/s, ratio %s (higher is better; 16 MiB blob, 64 connections)\n' \
    "$rm_" "$nm" "$ratio"
printf 'bench http-capture: xruns +%d, overrun frames +%d during the load\n' $((x1 - x0)) $((o1 - o0))
((errs == 0)) || die "$errs requests failed under load"
((o1 == o0)) || die "the recording overran under HTTP load"
