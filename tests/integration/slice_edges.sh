#!/usr/bin/env bash
# Edges of slicing: the first frame (#0), the last frame (to = head), one-frame slices on both
# sides of chunk boundaries, for i16/i24/f32 and 1/2/8 channels, checked against sox trim;
# ranges one frame past the end fail; wall-clock specs (@epoch and ISO-8601) agree.
source "$(dirname "$0")/lib.sh"

CH=4800 # frames per chunk (record_file)

# edge_suite FMT CHANNELS: record 1 s (48000 frames, 10 chunks) and cut at its edges.
edge_suite() {
    local fmt=$1 ch=$2 src=src-$1-$2.wav uri=stream://edge/$1-$2
    local head=48000
    mksrc "$src" 1 "$ch" "$fmt"
    record_file "$src" --stream "$uri"
    [[ $(status_field "$uri" head_frame) == "$head" ]] ||
        fail "$uri: head_frame $(status_field "$uri" head_frame), expected $head"
    local r a b
    for r in 0:1 0:$CH 0:$((CH + 1)) $((CH - 1)):$CH $CH:$((CH + 1)) $((CH - 1)):$((CH + 1)) \
        $((3 * CH - 1)):$((3 * CH)) $((head - 1)):$head $((head - CH)):$head \
        $((head - CH - 1)):$head 0:$head 1:$((head - 1)); do
        a=${r%%:*}
        b=${r##*:}
        slice_ok "$uri" --from "#$a" --to "#$b" --out e.wav
        [[ "$SL_FROM $SL_TO $SL_FRAMES" == "$a $b $((b - a))" ]] ||
            fail "$uri #$a..#$b: reel reports from $SL_FROM to $SL_TO, $SL_FRAMES frames"
        sox_ref "$src" ref.wav "$a" "$b"
        pcm_same e.wav ref.wav # also checks the frame count against sox's
    done
    # The same edges through symbolic specs.
    slice_ok "$uri" --from start --to '#1' --out first.wav
    sox_ref "$src" ref.wav 0 1
    pcm_same first.wav ref.wav
    slice_ok "$uri" --from "#$((head - 1))" --to head --out last.wav
    sox_ref "$src" ref.wav $((head - 1)) $head
    pcm_same last.wav ref.wav
    slice_ok "$uri" --from start --to head --out all.wav
    pcm_same all.wav "$src"
    slice_ok "$uri" --last 1s --out all2.wav
    pcm_same all2.wav "$src"
    # One frame in raw is exactly one frame's bytes.
    slice_ok "$uri" --from "#$CH" --to "#$((CH + 1))" --format raw --out one.raw
    local sb=${fmt:1}
    [[ $(stat -c %s one.raw) == $((sb / 8 * ch)) ]] || fail "$uri: a one-frame raw slice is $(stat -c %s one.raw) bytes"
    sox_ref "$src" ref-one.wav $CH $((CH + 1))
    pcm_same one.raw ref-one.wav --raw-a "$ch:48000:$fmt"
    # One past either end is outside the recording; empty and reversed ranges fail.
    expect_fail any reel slice "$uri" --from "#$head" --to "#$((head + 1))" --out bad.wav
    expect_fail any reel slice "$uri" --from "#$((head - 1))" --to "#$((head + 1))" --out bad.wav
    expect_fail any reel slice "$uri" --from "#0" --to "#$((head + 1))" --out bad.wav
    expect_fail any reel slice "$uri" --from head --to head --out bad.wav
    expect_fail any reel slice "$uri" --from "#7" --to "#7" --out bad.wav
    expect_fail any reel slice "$uri" --from "#8" --to "#7" --out bad.wav
    [[ ! -e bad.wav ]] || fail "a failed slice left bad.wav"
}

edge_suite i16 2
edge_suite i24 1
edge_suite f32 8


# Wall-clock specs on a real-time recording: @epoch and ISO-8601 for the same instants give
# the same frames, and about the right ones.
ok reel record --source tone --seconds 2 --chunk-frames $CH >/dev/null
epoch() { printf '@%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
iso() { date -u -d "@$(($1 / 1000))" "+%Y-%m-%dT%H:%M:%S.$(printf %03d $(($1 % 1000)))Z"; }
slice_ok stream://tone/main --from '#0' --to '#1' --out f0.wav
wall0=$(json "d['from_wall_ns']" "$TMP/slice.json") # the wall clock of frame 0
t_from_ms=$(((wall0 + 500000000) / 1000000))
t_to_ms=$(((wall0 + 1500000000) / 1000000))
slice_ok stream://tone/main --from "$(epoch $t_from_ms)" --to "$(epoch $t_to_ms)" --out wall1.wav
w1=$(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json")
slice_ok stream://tone/main --from "$(iso $t_from_ms)" --to "$(iso $t_to_ms)" --out wall2.wav
w2=$(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json")
[[ $w1 == "$w2" ]] || fail "@epoch gives frames $w1, ISO-8601 of the same instants gives $w2"
cmp -s wall1.wav wall2.wav || fail "@epoch and ISO-8601 slices of the same instants differ"
from=$(json "d['from_frame']" "$TMP/slice.json")
to=$(json "d['to_frame']" "$TMP/slice.json")
# Within 10 ms of where a 48 kHz clock from frame 0's wall clock puts them.
((from > 24000 - 480 && from < 24000 + 480)) || fail "@start+0.5s mapped to frame $from"
((to - from > 48000 - 480 && to - from < 48000 + 480)) || fail "a 1 s wall-clock window is $((to - from)) frames"
[[ $(frames_of wall1.wav) == $((to - from)) ]] || fail "wall-clock slice file holds $(frames_of wall1.wav) frames"
# Relative specs on the stopped stream count back from head exactly.
slice_ok stream://tone/main --from -0.5s --to -0.25s --out rel.wav
[[ $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json") == "(72000, 84000)" ]] ||
    fail "-0.5s..-0.25s of a 2 s stream is $(json "(d['from_frame'], d['to_frame'])" "$TMP/slice.json")"

fsck_clean
pass
