#!/usr/bin/env bash
# Live ALSA capture end to end, without a sound card: a private ALSA configuration defines
# `reeltest`, the `file` plugin over the `null` device with an `infile`, which hands a raw
# file to the capturing application byte for byte. The file is the oracle:
#   (a) `--source alsa:reeltest --sample-format i16 --seconds 2` records 2 s (96000 frames),
#       and the whole stream sliced as raw equals the first frames x 4 bytes of the file;
#   (b) without --sample-format the stream is f32 (FLOAT_LE is tried first), again
#       byte-identical to the file (nothing converts the samples on the way in);
#   (c) the stream definition names the device (`alsa:reeltest`), the default URI is
#       stream://alsa/main, and --rate / --channels are negotiated with the device;
#   (d) a device ALSA does not know fails with one `reel: ...` line, exit 1, and leaves no
#       stream behind (nothing is recording), as does --fast (exit 2).
# The null device may or may not pace in real time: nothing here depends on how long a
# recording takes.
source "$(dirname "$0")/lib.sh"

[[ -r /usr/share/alsa/alsa.conf ]] || fail "needs /usr/share/alsa/alsa.conf (libasound2-data)"
cp /usr/share/alsa/alsa.conf "$TMP/asound.conf"
cat >>"$TMP/asound.conf" <<EOF
pcm.reeltest { type file slave.pcm "null" file "/dev/null" infile "$TMP/in.raw" format "raw" }
EOF
export ALSA_CONFIG_PATH=$TMP/asound.conf

# 3 s of 48 kHz stereo S16_LE, a different sine per channel (longer than any capture).
sox -D -n -r 48000 -c 2 -b 16 -e signed -t raw "$TMP/in.raw" synth 3 sine 440 sine 660 \
    gain -1 || fail "sox could not make in.raw"
[[ $(stat -c %s "$TMP/in.raw") -eq 576000 ]] || fail "in.raw is not 3 s of stereo i16"

# capture_check URI FRAME_BYTES: slice the whole stream as raw and compare it with the head
# of in.raw; prints the frame count.
capture_check() {
    local uri=$1 fb=$2 out=$TMP/cap.raw
    rm -f "$out"
    slice_ok "$uri" --from start --to head --format raw --out "$out"
    [[ -s $out ]] || fail "$uri: empty slice"
    local size n
    size=$(stat -c %s "$out")
    n=$((SL_FRAMES * fb))
    [[ $size -eq $n ]] || fail "$uri: slice has $size bytes, expected $SL_FRAMES frames x $fb"
    head -c "$n" "$TMP/in.raw" >"$TMP/expect.raw"
    cmp -s "$out" "$TMP/expect.raw" ||
        fail "$uri: captured bytes differ from in.raw ($(cmp "$out" "$TMP/expect.raw" | head -n 1))"
    echo "$SL_FRAMES"
}

# (a) i16, the default stream URI, 2 s.
ok reel --json record --source alsa:reeltest --sample-format i16 --seconds 2 >"$TMP/rec.json"
[[ $(json "d['stream']" "$TMP/rec.json") == stream://alsa/main ]] ||
    fail "default URI for an alsa source is not stream://alsa/main: $(cat "$TMP/rec.json")"
[[ $(json "d['frames']" "$TMP/rec.json") -eq 96000 ]] ||
    fail "--seconds 2 at 48 kHz did not record 96000 frames: $(cat "$TMP/rec.json")"
[[ $(status_field stream://alsa/main sample_format) == i16 ]] || fail "stream is not i16"
[[ $(status_field stream://alsa/main sample_rate) -eq 48000 ]] || fail "stream is not 48 kHz"
[[ $(status_field stream://alsa/main channels) -eq 2 ]] || fail "stream is not stereo"
[[ $(status_field stream://alsa/main state) == stopped ]] || fail "stream still recording"
n=$(capture_check stream://alsa/main 4)
[[ $n -eq 96000 ]] || fail "slice start..head has $n frames, expected 96000"

# (c) the definition names the device.
defhash=$(status_field stream://alsa/main definition_hash)
reel cas get "$defhash" >"$TMP/def.json" || fail "cannot read the stream definition"
[[ $(json "d['device_identity']" "$TMP/def.json") == alsa:reeltest ]] ||
    fail "device_identity is not alsa:reeltest: $(cat "$TMP/def.json")"

# (b) no --sample-format: f32 first, the file's bytes read as floats, still exact.
ok reel record --source alsa:reeltest --stream stream://alsa/float --seconds 1 >/dev/null
[[ $(status_field stream://alsa/float sample_format) == f32 ]] ||
    fail "default ALSA sample format is not f32"
n=$(capture_check stream://alsa/float 8)
[[ $n -eq 48000 ]] || fail "f32 capture has $n frames, expected 48000"

# (c) rate and channels go to the device (the null device takes any).
ok reel record --source alsa:reeltest --stream stream://alsa/mono --rate 44100 --channels 1 \
    --sample-format i16 --seconds 0.5 >/dev/null
[[ $(status_field stream://alsa/mono sample_rate) -eq 44100 ]] || fail "--rate 44100 not honoured"
[[ $(status_field stream://alsa/mono channels) -eq 1 ]] || fail "--channels 1 not honoured"
n=$(capture_check stream://alsa/mono 2)
[[ $n -eq 22050 ]] || fail "mono capture has $n frames, expected 22050"

# (d) failures: one line, the right exit status, no stream left behind.
reel --json streams >"$TMP/streams.before"
expect_fail 1 reel record --source alsa:reel_no_such_device --seconds 1
grep -q "reel_no_such_device" "$TMP/ef.err" || fail "the error does not name the device: $(cat "$TMP/ef.err")"
expect_fail 1 reel record --source alsa:reel_no_such_device --stream stream://alsa/bad --seconds 1
expect_fail 2 reel record --source alsa:reeltest --stream stream://alsa/bad --fast
reel --json streams >"$TMP/streams.after"
[[ $(json "sorted(s['uri'] for s in d)" "$TMP/streams.after") == \
    "$(json "sorted(s['uri'] for s in d)" "$TMP/streams.before")" ]] ||
    fail "a failed alsa record left a stream behind: $(cat "$TMP/streams.after")"
[[ $(json "[s['uri'] for s in d if s['state'] != 'stopped']" "$TMP/streams.after") == "[]" ]] ||
    fail "a stream is still recording: $(cat "$TMP/streams.after")"
[[ -z $(find "$STORE/cas/staging" -type f) ]] || fail "staging files left after the runs"

fsck_clean
pass
