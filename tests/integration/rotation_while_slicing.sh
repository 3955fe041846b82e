#!/usr/bin/env bash
# Slicing the live edge while chunks rotate: a real-time tone in 2400-frame (50 ms) chunks
# records in the background while this loops over slices (--last, relative windows, frame
# windows, virtual). Every slice must be a valid file of exactly the asked frame count, hold
# the same bytes as the same window sliced after the recording stopped, and fsck must be
# clean at the end.
#
# The recording runs until the loop has taken its WANT slices and is then stopped with
# SIGINT, so the test proves the same thing on a fast machine and on a loaded sanitizer
# build: how long that takes (and so the stream's final length) is whatever it is, and the
# checks after the stop are written against the head the stream reports, not a set length.
# --seconds is only a backstop for a slice loop that stalls (reaching it is a failure).
source "$(dirname "$0")/lib.sh"

uri=stream://tone/main
WANT=16         # live slices in the loop: four of each of its four kinds
BACKSTOP_S=240  # the recording's own end if the loop never gets there
reel_bg rec.log record --source tone --seconds "$BACKSTOP_S" --chunk-frames 2400
rec=$BG_PID

# Wait for the stream to exist and pass 1.1 s.
for ((i = 0; i < 100; i++)); do
    h=$("$REEL" --store "$STORE" --json status "$uri" 2>/dev/null | json "d['head_frame']" 2>/dev/null || echo 0)
    ((h > 52800)) && break
    sleep 0.05
done
((h > 52800)) || fail "the live stream did not reach 1.1 s (head $h): $(cat rec.log)"

# The live edge: --last 1s while staging chunks exist.
slice_ok "$uri" --last 1s --out live-last1s.wav
[[ $SL_FRAMES == 48000 && $((SL_TO - SL_FROM)) == 48000 ]] || fail "live --last 1s: $SL_FRAMES frames #$SL_FROM..#$SL_TO"
[[ $(frames_of live-last1s.wav) == 48000 ]] || fail "live --last 1s file holds $(frames_of live-last1s.wav) frames"
echo "$SL_FROM $SL_TO wav $SL_HASH" >>taken.txt
# Slices must read frames still in a staging chunk. The manifest's head is refreshed about
# every 100 ms, so with 50 ms chunks not every slice does: probe with tiny virtual slices
# until one does.
from_staging=0
for ((i = 0; i < 60 && from_staging == 0; i++)); do
    kill -0 "$rec" 2>/dev/null || break
    ok reel --json slice "$uri" --last 0.01s --virtual >probe.json
    [[ $(<probe.json) =~ \"artifact\":\ \"([^\"]+)\" ]] || fail "no artifact in $(<probe.json)"
    ok reel --json show "${BASH_REMATCH[1]}" >probe-show.json
    [[ $(<probe-show.json) =~ \"state\":\ \"staging\" ]] && from_staging=1
done
((from_staging == 1)) || fail "none of $i live --last 0.01s slices read from a staging chunk"

# The loop runs reel only (no python, so it slices as often as it can); the results are
# checked after the recording stopped. Every slice is taken while the recording runs.
n=0
last_to=0
while ((n < WANT)); do
    kill -0 "$rec" 2>/dev/null ||
        fail "the recording ended (its ${BACKSTOP_S} s backstop?) after only $n of $WANT live slices: $(tail -n 3 rec.log)"
    n=$((n + 1))
    case $((n % 4)) in
    0) args=(--last 0.1s) want=4800 fmt=wav ;;
    1) args=(--from -0.3s --to -0.2s) want=4800 fmt=wav ;;
    2) args=(--from "#$((last_to - 7321))" --to "#$((last_to - 2321))") want=5000 fmt=flac ;;
    3) args=(--last 0.25s --virtual) want=12000 fmt=wav ;;
    esac
    ((last_to > 7321)) || args=(--last 0.1s) want=4800 fmt=wav
    out=s$n.$fmt
    if [[ ${args[*]} == *--virtual* ]]; then
        ok reel --json slice "$uri" "${args[@]}" --format "$fmt" >"s$n.json"
        [[ $(<"s$n.json") =~ \"artifact\":\ \"([^\"]+)\" ]] || fail "no artifact in $(<"s$n.json")"
        ok reel render "${BASH_REMATCH[1]}" --out "$out" >/dev/null
    else
        ok reel --json slice "$uri" "${args[@]}" --format "$fmt" --out "$out" >"s$n.json"
    fi
    [[ $(<"s$n.json") =~ \"to_frame\":\ ([0-9]+) ]] && last_to=${BASH_REMATCH[1]}
    [[ $(<"s$n.json") =~ \"artifact\":\ \"([^\"]+)\" ]] && ok reel --json show "${BASH_REMATCH[1]}" >"show$n.json"
    echo "$n $fmt $want ${args[*]}" >>loop.txt
done
# All slices taken on the live edge: stop the recording (SIGINT seals every stream, exit 0).
kill -0 "$rec" 2>/dev/null || fail "the recording ended before it was stopped: $(tail -n 3 rec.log)"
kill -INT "$rec"
wait_bg "$rec"

# Every live slice: the asked frame count, a valid file of it, and how many read a chunk
# that was still in staging (the manifest's head is refreshed about every 100 ms, so with
# 50 ms chunks not every slice does, but some must). One python run checks them all.
python3 - "$PCM_PY" >check.txt <<'EOF2' || fail "$(tail -n 1 check.txt)"
import json, sys
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
import pcm
staging = 0
for line in open("loop.txt"):
    i, fmt, want, args = line.split(" ", 3)
    d = json.load(open(f"s{i}.json"))
    show = json.load(open(f"show{i}.json"))
    want = int(want)
    if (d["frames"], d["to_frame"] - d["from_frame"]) != (want, want):
        print(f"live slice {i} ({args.strip()}): frames {d['frames']}, window "
              f"#{d['from_frame']}..#{d['to_frame']}, expected {want}")
        sys.exit(1)
    try:
        a = pcm.load(f"s{i}.{fmt}")
    except pcm.Bad as e:
        print(f"live slice {i} ({args.strip()}) is not a valid {fmt} file: {e}")
        sys.exit(1)
    if (a.container, a.channels, a.rate, a.frames) != (fmt, 2, 48000, want):
        print(f"live slice {i}: {a.container} {a.channels} ch {a.rate} Hz {a.frames} frames")
        sys.exit(1)
    staging += any(c["state"] == "staging" for c in show["source_chunks"])
    print("slice", d["from_frame"], d["to_frame"], fmt, f"s{i}.{fmt}")
print("staging", staging)
EOF2
from_staging=$((from_staging + $(sed -n 's/^staging //p' check.txt)))
while read -r _ from to fmt file; do
    [[ $fmt == wav ]] && { [[ $(sox_samples "$file") == $((to - from)) ]] || fail "sox reads $(sox_samples "$file") frames in $file"; }
    echo "$from $to $fmt blake3:$(hash_of "$file")" >>taken.txt
done < <(grep '^slice ' check.txt)
echo "# $((n + 1)) live slices, $((from_staging - 1)) of them reading a staging chunk"

reel --json status "$uri" >st.json
[[ $(json "(d['state'], d['overrun_frames'])" st.json) == "('stopped', 0)" ]] ||
    fail "after the recording: $(json "(d['state'], d['head_frame'], d['overrun_frames'])" st.json)"
head=$(json "d['head_frame']" st.json)
# The stream's length is where SIGINT found it: past every live slice, at least 1.1 s, and
# the length the record summary printed.
((head >= last_to && head > 52800)) || fail "stopped at head $head, before the last live slice's end #$last_to"
grep -q "^$uri: $head frames " rec.log || fail "record's summary does not say $head frames: $(cat rec.log)"
chunks=$(((head + 2399) / 2400))
[[ $(json "d['chunks']" st.json) == "$chunks" ]] ||
    fail "$head frames in 2400-frame chunks are $chunks chunks, status says $(json "d['chunks']" st.json)"
# Nothing left in staging that a manifest still needs; every blob is whole.
fsck_clean
b3_content_check >/dev/null

# Every live slice holds the same bytes as its window sliced now.
i=0
while read -r from to fmt hash; do
    i=$((i + 1))
    slice_ok "$uri" --from "#$from" --to "#$to" --format "$fmt" --out "after$i.$fmt"
    [[ blake3:$(hash_of "after$i.$fmt") == "$hash" ]] ||
        fail "live slice #$from..#$to ($fmt) differs from the same window sliced after the stop"
done <taken.txt

# And the last second after the stop.
slice_ok "$uri" --last 1s --out after-last1s.wav
[[ "$SL_FROM $SL_TO" == "$((head - 48000)) $head" ]] || fail "--last 1s after the stop is #$SL_FROM..#$SL_TO"
[[ $(frames_of after-last1s.wav) == 48000 ]] || fail "--last 1s after the stop holds $(frames_of after-last1s.wav) frames"
rms=$(pcm rms after-last1s.wav)
awk -v r="$rms" 'BEGIN {exit !(r > 0.05)}' || fail "the last second is (nearly) silent: rms $rms"
fsck_clean
pass
