#!/usr/bin/env bash
# Record a sox-made file in small chunks, slice ranges (inside a chunk, across one and many
# chunk boundaries, the whole stream, --last, start/head) and compare them sample for sample
# with sox's own `trim`. Then resume the stream with a second recording and slice across the
# join.
source "$(dirname "$0")/lib.sh"

mksrc src.wav 3 2 i16
total=144000
[[ $(sox_samples src.wav) == "$total" ]] || fail "sox made $(sox_samples src.wav) frames, not $total"

record_file src.wav
uri=stream://file/src
reel --json status "$uri" >st.json
[[ $(json "d['head_frame']" st.json) == "$total" ]] ||
    fail "recorded $(json "d['head_frame']" st.json) of $total frames (overrun_frames $(json "d['overrun_frames']" st.json))"
[[ $(json "d['overrun_frames']" st.json) == 0 ]] || fail "overruns while recording a file with --fast"
[[ $(json "d['chunks']" st.json) == 30 ]] || fail "144000 frames in 4800-frame chunks should be 30 chunks, status says $(json "d['chunks']" st.json)"
[[ $(json "(d['channels'], d['sample_rate'], d['sample_format'])" st.json) == "(2, 48000, 'i16')" ]] ||
    fail "stream format: $(json "(d['channels'], d['sample_rate'], d['sample_format'])" st.json)"

# check_range A B: slice [A, B) and compare with sox.
check_range() {
    local a=$1 b=$2 out=$TMP/slice-$1-$2.wav ref=$TMP/ref-$1-$2.wav
    slice_ok "$uri" --from "#$a" --to "#$b" --out "$out"
    [[ $(json "d['frames']" "$TMP/slice.json") == $((b - a)) ]] ||
        fail "slice #$a..#$b reports $(json "d['frames']" "$TMP/slice.json") frames"
    [[ $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json") == "($a, $b)" ]] ||
        fail "slice #$a..#$b reports window $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json")"
    [[ $(sox_samples "$out") == $((b - a)) ]] || fail "sox reads $(sox_samples "$out") frames in slice #$a..#$b"
    sox_ref src.wav "$ref" "$a" "$b"
    pcm_same "$out" "$ref"
    # The artifact's content is the file.
    [[ $(json "d['content_hash']" "$TMP/slice.json") == "blake3:$(hash_of "$out")" ]] ||
        fail "slice #$a..#$b: content_hash is not the b3sum of the written file"
    rm -f "$out" "$ref"
}

check_range 100 4700       # inside the first chunk
check_range 4700 4900      # across one boundary
check_range 4800 9600      # exactly one chunk
check_range 4799 9601      # one chunk plus a frame each side
check_range 1000 100000    # across many chunks
check_range 47999 48001    # two frames across a boundary
check_range 0 "$total"     # everything
check_range 143000 "$total"

# Symbolic bounds: start/head and --last.
slice_ok "$uri" --from start --to head --out all.wav
pcm_same all.wav src.wav
slice_ok "$uri" --last 1s --out last.wav
[[ $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json") == "(96000, 144000)" ]] ||
    fail "--last 1s of a stopped 3 s stream is $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json")"
sox_ref src.wav ref.wav 96000 144000
pcm_same last.wav ref.wav
slice_ok "$uri" --from -2s --to -1s --out mid.wav
sox_ref src.wav ref.wav 48000 96000
pcm_same mid.wav ref.wav
slice_ok "$uri" --from -0.25s --to head --out q.wav
sox_ref src.wav ref.wav 132000 144000
pcm_same q.wav ref.wav

# An explicit --stream URI, and resuming: a second recording continues the frames.
ok reel record --source file:src.wav --fast --chunk-frames 4800 --stream stream://test/twice >/dev/null
ok reel record --source file:src.wav --fast --chunk-frames 4800 --stream stream://test/twice >/dev/null
reel --json status stream://test/twice >st2.json
[[ $(json "d['head_frame']" st2.json) == $((2 * total)) ]] ||
    fail "after two recordings head_frame is $(json "d['head_frame']" st2.json), expected $((2 * total))"
sox src.wav src.wav twice.wav
slice_ok stream://test/twice --from '#140000' --to '#150000' --out join.wav
sox_ref twice.wav ref.wav 140000 150000
pcm_same join.wav ref.wav
slice_ok stream://test/twice --from start --to head --out twice-all.wav
pcm_same twice-all.wav twice.wav
[[ $(reel --json streams | json 'sorted(s["uri"] for s in d)') == '["stream://file/src", "stream://test/twice"]' ]] ||
    fail "streams: $(reel --json streams | json '[s["uri"] for s in d]')"

fsck_clean
pass
