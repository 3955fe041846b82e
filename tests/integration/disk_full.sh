#!/usr/bin/env bash
# A full store is a recoverable condition, not a crash (issue 12): serve records a 16-channel
# tone into a store on a small tmpfs made here; the test fills the filesystem until a chunk
# no longer fits (leaving the index a little room), and checks that serve stays up, that
# /api/events carries a recoverable stream_error naming the stream and the store, that the
# stream keeps its timeline (the frames that found no chunk are silence, counted as overrun
# frames, and a gap), that it resumes by itself once the filler is removed, that every
# frame reported before the disk filled is still in a slice, and that fsck is clean.
# Oracles: df (free space), sox (the slice's samples), the store's own fsck.
source "$(dirname "$0")/lib.sh"
need curl df fallocate
[[ $(id -u) == 0 ]] || { echo "skip: mounting a tmpfs needs root"; exit 77; }
FS=$TMP/fs
mkdir -p "$FS"
mount -t tmpfs -o size=48m tmpfs "$FS" 2>/dev/null || { echo "skip: cannot mount a tmpfs here"; exit 77; }
# Unmounted before the temporary directory goes (the background processes first).
unmount_fs() {
    local p
    for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    umount -l "$FS" 2>/dev/null || true
    _cleanup
}
trap unmount_fs EXIT
STORE=$FS/store
cd "$TMP"
reel init >/dev/null
A=stream://tone/full
CH=16
CHUNK_FRAMES=12000 # 0.25 s: 768 KiB a chunk, 3 MiB/s
CHUNK_BYTES=$((CHUNK_FRAMES * CH * 4))

# 440.123 Hz: no two chunks alike (a 440 Hz tone repeats every 0.25 s chunk, and identical
# chunks are one blob: each seal would free a chunk's space again).
reel_bg serve.log serve --source tone:440.123 --stream $A --channels $CH --chunk-frames $CHUNK_FRAMES \
    --listen 127.0.0.1:0 --no-osc
serve_pid=$BG_PID
serve_ready serve.log "$serve_pid"
U=$SERVE_URL
[[ $U =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "serve did not print its URL: $(head -c 300 serve.log)"
curl -sS -N --max-time 60 "$U/api/events" >events.txt 2>/dev/null &
BG_PIDS+=($!)

head_frame() { reel --json status $A | json "d['head_frame']"; }
# wait_for DESCRIPTION COMMAND...: until COMMAND succeeds, at most 20 s.
wait_for() {
    local what=$1
    shift
    for ((i = 0; i < 400; i++)); do
        "$@" && return 0
        kill -0 "$serve_pid" 2>/dev/null || fail "serve died while waiting for $what: $(tail -c 400 serve.log)"
        sleep 0.05
    done
    fail "no $what within 20 s: $(tail -c 400 serve.log)"
}
past() { (($(head_frame) >= $1)); }
wait_for "first second recorded" past 48000

# Fill the filesystem: what is left is less than a chunk, more than the index needs meanwhile.
# (The recording allocates chunks while the filler is made: a filler that no longer fits is
# refused whole by fallocate, and made again to the new free space.)
filled=0
for ((k = 0; k < 20; k++)); do
    avail=$(df --output=avail -B1 "$FS" | tail -1)
    fill=$((avail - CHUNK_BYTES / 2))
    ((fill > 0)) || fail "the tmpfs has only $avail bytes"
    fallocate -l "$fill" "$FS/filler" 2>/dev/null && { filled=1; break; }
    rm -f "$FS/filler"
done
((filled)) || fail "could not fill the tmpfs to half a chunk of free space"
before=$(head_frame)

full_told() { grep -q '"recoverable": *true' events.txt && grep -q 'is full' events.txt; }
wait_for "stream_error event for the full store" full_told
grep -A1 '^event: error' events.txt | grep -q "$A" || fail "the event does not name the stream: $(grep -A1 'event: error' events.txt | head -4)"
grep -A1 '^event: error' events.txt | grep -q "$STORE" || fail "the event does not name the store: $(grep -A1 'event: error' events.txt | head -4)"
# Serve and its surfaces go on: HTTP answers, the head keeps moving (silence owed).
curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$U/api/streams" | grep -q 200 || fail "HTTP stopped answering on a full disk"
h1=$(head_frame)
wait_for "the head to move on while the disk is full" past $((h1 + 24000))
ov() { reel --json status $A | json "d.get('overrun_frames', 0)"; }
overrun_now() { (($(ov) > 0)); }
wait_for "frames owed as silence (overrun) while full" overrun_now

# Space again: it resumes by itself.
rm -f "$FS/filler"
resumed() { grep -q 'recording resumed' events.txt; }
wait_for "the stream to resume" resumed
# The notice comes when a chunk could be staged again; the silence owed until the engine
# takes that chunk is counted when it does. So the count is read once a second has been
# recorded after the notice, and must not grow over the next second.
h2=$(head_frame)
wait_for "recording after space returned" past $((h2 + 48000))
ov1=$(ov)
h3=$(head_frame)
wait_for "a second more of recording" past $((h3 + 48000))
(($(ov) == ov1)) || fail "frames still overrun after space returned: $ov1 -> $(ov)"

kill -INT "$serve_pid"
wait_bg "$serve_pid"
grep -q 'is full' serve.log || fail "serve did not say the store was full: $(tail -c 400 serve.log)"
reel --json status $A >st.json
[[ $(json "d['state']" st.json) == stopped ]] || fail "stream not stopped: $(cat st.json)"
(($(json "d.get('gaps', 0)" st.json) >= 1)) || fail "no gap recorded for the full store: $(tr -d '\n ' <st.json)"
fsck_clean

# Every frame reported before the disk filled is in the recording, and is the tone.
ok reel slice $A --from start --to "#$before" --out before.wav
[[ $(sox --i -s before.wav) == "$before" ]] || fail "slice of what was reported before the disk filled: $(sox --i -s before.wav) frames, want $before"
rms=$(sox before.wav -n remix 1 stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
python3 -c "import sys; sys.exit(0 if float('$rms') > 0.1 else 1)" || fail "the recording before the disk filled is not the tone (RMS $rms)"
pass
