#!/usr/bin/env bash
# Virtual slices: no audio copied into the store, and `reel render` gives a file
# byte-identical (cmp) to materializing the same range in the same format, for every
# container and a sample-format conversion; also for a virtual slice of the live edge taken
# while a real-time recording runs and rendered after it stopped.
source "$(dirname "$0")/lib.sh"

# content_bytes: total bytes of sealed blobs.
content_bytes() {
    find "$STORE/cas/content" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'
}

mksrc src.wav 3 2 i24
record_file src.wav
uri=stream://file/src
A=3333
B=101234 # 20 chunks of 4800 frames, starting and ending mid-chunk

i=0
for variant in "wav" "rf64" "w64" "flac" "raw" "wav --sample-format i16" "w64 --sample-format f32" \
    "flac --sample-format i16"; do
    read -r -a v <<<"$variant"
    fmt=${v[0]}
    extra=("${v[@]:1}")
    i=$((i + 1))
    # Virtual first, so materializing cannot have put anything it could reuse.
    before=$(content_bytes)
    slice_ok "$uri" --from "#$A" --to "#$B" --virtual --format "$fmt" ${extra[@]+"${extra[@]}"}
    vart=$SL_ART
    vhash=$SL_HASH
    [[ $SL_FRAMES == $((B - A)) ]] || fail "virtual slice ($variant) reports $SL_FRAMES frames"
    after=$(content_bytes)
    # 97901 frames of 24-bit stereo are 587 kB; a chunk-reference manifest is tiny.
    (((after - before) < 65536)) || fail "a virtual slice ($variant) added $((after - before)) bytes to the store"
    reel --json show "$vart" >show.json
    [[ $(json "d['kind']" show.json) == virtual-slice ]] || fail "virtual slice kind: $(json "d['kind']" show.json)"
    # Its content is the JSON chunk-reference manifest, in CAS under its b3sum.
    p=$(content_path "$vhash")
    [[ -f $p && $(hash_of "$p") == "${vhash#blake3:}" ]] || fail "virtual slice content $vhash is not in CAS"
    json 'len(d) >= 0' "$p" >/dev/null || fail "virtual slice content is not JSON"

    ok reel render "$vart" --out "render.$i.$fmt" >/dev/null
    slice_ok "$uri" --from "#$A" --to "#$B" --format "$fmt" ${extra[@]+"${extra[@]}"} --out "mat.$i.$fmt"
    cmp "render.$i.$fmt" "mat.$i.$fmt" >/dev/null ||
        fail "render of a virtual slice ($variant) differs from materializing it: $(cmp "render.$i.$fmt" "mat.$i.$fmt" 2>&1 | head -n1)"
    # The materialized slice's content hash is the file's b3sum.
    [[ $SL_HASH == "blake3:$(hash_of "mat.$i.$fmt")" ]] || fail "materialized ($variant) content_hash is not its b3sum"
done
# And the audio is right (sox's trim).
sox_ref src.wav ref.wav "$A" "$B"
pcm_same render.1.wav ref.wav
# Rendering twice gives the same bytes; rendering to a bad place fails cleanly.
ok reel render "$vart" --out again.flac >/dev/null
cmp -s again.flac "render.$i.flac" || fail "two renders of one virtual slice differ"
expect_fail any reel render "$vart" --out /nonexistent/dir/x.wav
expect_fail any reel render art-0000000000000000 --out nope.wav
[[ ! -e nope.wav ]] || fail "a failed render left nope.wav"
expect_fail 2 reel render "$vart"

# Live: a real-time recording in small chunks; virtual slices of the live edge while it runs.
reel_bg rec.log record --source tone --seconds 5 --chunk-frames 4800
rec=$BG_PID
sleep 1.6
# The manifest's live edge is refreshed about every 100 ms, so right after a seal the newest
# chunk may not be listed yet: take live slices until one reaches into a staging chunk.
for ((try = 0; try < 20; try++)); do
    slice_ok stream://tone/main --last 1s --virtual
    live_art=$SL_ART
    live_from=$SL_FROM
    live_to=$SL_TO
    [[ $SL_FRAMES == 48000 && $((live_to - live_from)) == 48000 ]] ||
        fail "live --last 1s --virtual: $SL_FRAMES frames, window #$live_from..#$live_to"
    reel --json show "$live_art" >live.json
    (($(json "sum(1 for c in d['source_chunks'] if c['state'] == 'staging')" live.json) >= 1)) && break
    sleep 0.03
done
# It reaches into the live edge: a chunk still in staging.
[[ $(json "sum(1 for c in d['source_chunks'] if c['state'] == 'staging')" live.json) -ge 1 ]] ||
    fail "a live --last 1s slice references no staging chunk: $(json "[c['state'] for c in d['source_chunks']]" live.json)"
slice_ok stream://tone/main --from '#1000' --to "#$((live_to - 10))" --virtual --format flac
live2_art=$SL_ART
live2_to=$((live_to - 10))
kill -0 "$rec" 2>/dev/null || fail "the recording stopped before the live slices were taken"
wait_bg "$rec"
[[ $(status_field stream://tone/main state) == stopped ]] || fail "stream not stopped after the recording"

# After the stop every staging chunk was sealed; the renders still resolve.
ok reel render "$live_art" --out live.wav >/dev/null
slice_ok stream://tone/main --from "#$live_from" --to "#$live_to" --out live-mat.wav
cmp -s live.wav live-mat.wav || fail "render of the live virtual slice differs from materializing its window after the stop"
[[ $(frames_of live.wav) == 48000 ]] || fail "the rendered live slice holds $(frames_of live.wav) frames"
rms=$(pcm rms live.wav)
awk -v r="$rms" 'BEGIN {exit !(r > 0.05)}' || fail "the rendered live slice is (nearly) silent: rms $rms"
ok reel render "$live2_art" --out live2.flac >/dev/null
slice_ok stream://tone/main --from '#1000' --to "#$live2_to" --format flac --out live2-mat.flac
cmp -s live2.flac live2-mat.flac || fail "render of the second live virtual slice differs from materializing it"

fsck_clean
pass
