#!/usr/bin/env bash
# Sample formats i16/i24/f32 with 1, 2 and 8 channels, every output container (wav, rf64,
# w64, flac, raw) and --sample-format conversion, checked against sox: `sox --i` must read
# every file with the right channels, rate, frame count and encoding, and the samples must
# equal sox's own trim of the source (or sox's own conversion, within 1 LSB).
source "$(dirname "$0")/lib.sh"

A=4000
B=20000 # crosses the chunk boundaries at 4800, 9600, 14400 and 19200
N=$((B - A))

declare -A ENC=([i16]="16-bit Signed Integer PCM" [i24]="24-bit Signed Integer PCM"
    [f32]="32-bit Floating Point PCM")
declare -A SOXENC=([i16]="-e signed-integer -b 16" [i24]="-e signed-integer -b 24"
    [f32]="-e floating-point -b 32")
warnings=()

# sox_reads FILE CH RATE FRAMES [ENCODING] [sox type options...]
sox_reads() {
    local f=$1 ch=$2 rate=$3 n=$4 enc=${5:-}
    shift 5 || shift $#
    local info
    if (($#)); then
        # Raw: sox needs the parameters on the command line (sox --i takes none), so read it
        # through a conversion to WAV.
        sox "$@" "$f" "$TMP/raw-as.wav" 2>"$TMP/soxwarn" || fail "sox cannot read $f: $(cat "$TMP/soxwarn")"
        f=$TMP/raw-as.wav
        set --
    fi
    info=$(sox --i "$f" 2>"$TMP/soxwarn") || fail "sox cannot read $f: $(cat "$TMP/soxwarn")"
    [[ -s $TMP/soxwarn ]] && warnings+=("$(basename "$f"): $(head -n1 "$TMP/soxwarn")")
    local c r s e
    c=$(sed -n 's/^Channels *: //p' <<<"$info")
    r=$(sed -n 's/^Sample Rate *: //p' <<<"$info")
    e=$(sed -n 's/^Sample Encoding *: //p' <<<"$info")
    s=$(sox --i -s "$f" 2>/dev/null)
    [[ $c == "$ch" ]] || fail "sox: $f has $c channels, expected $ch"
    [[ $r == "$rate" ]] || fail "sox: $f has rate $r, expected $rate"
    [[ $s == "$n" ]] || fail "sox: $f has $s samples, expected $n"
    [[ -z $enc || $e == "$enc" ]] || fail "sox: $f has encoding '$e', expected '$enc'"
}

# 1. Every sample format and channel count: a WAV slice equals sox's trim exactly.
for fmt in i16 i24 f32; do
    for ch in 1 2 8; do
        src=src-$fmt-$ch.wav
        uri=stream://fmt/$fmt-$ch
        mksrc "$src" 1 "$ch" "$fmt"
        record_file "$src" --stream "$uri"
        reel --json status "$uri" >st.json
        [[ $(json "(d['channels'], d['sample_format'], d['head_frame'])" st.json) == "($ch, '$fmt', 48000)" ]] ||
            fail "$uri: status says $(json "(d['channels'], d['sample_format'], d['head_frame'], d['overrun_frames'])" st.json)"
        slice_ok "$uri" --from "#$A" --to "#$B" --out "s-$fmt-$ch.wav"
        sox_reads "s-$fmt-$ch.wav" "$ch" 48000 "$N" "${ENC[$fmt]}"
        [[ $(pcm info "s-$fmt-$ch.wav") == "wav $ch 48000 $fmt $N" ]] ||
            fail "s-$fmt-$ch.wav header: $(pcm info "s-$fmt-$ch.wav")"
        sox_ref "$src" "ref-$fmt-$ch.wav" "$A" "$B"
        pcm_same "s-$fmt-$ch.wav" "ref-$fmt-$ch.wav"
    done
done

# Another rate: 44.1 kHz mono f32.
mksrc src-441.wav 1 1 f32 44100
record_file src-441.wav --stream stream://fmt/441
slice_ok stream://fmt/441 --from '#1' --to '#44099' --out s-441.wav
sox_reads s-441.wav 1 44100 44098 "${ENC[f32]}"
sox_ref src-441.wav ref-441.wav 1 44099
pcm_same s-441.wav ref-441.wav

# 2. Every container, for one stream of each sample format.
for spec in f32:2 i24:8 i16:1; do
    fmt=${spec%%:*}
    ch=${spec##*:}
    uri=stream://fmt/$fmt-$ch
    ref=ref-$fmt-$ch.wav
    for c in wav rf64 w64; do
        out=c-$fmt-$ch.$c
        slice_ok "$uri" --from "#$A" --to "#$B" --format "$c" --out "$out"
        sox_reads "$out" "$ch" 48000 "$N" "${ENC[$fmt]}"
        [[ $(pcm info "$out") == "$c $ch 48000 $fmt $N" ]] || fail "$out header: $(pcm info "$out")"
        pcm_same "$out" "$ref"
    done
    # FLAC holds integers only: f32 becomes integer PCM (checked within 1 LSB).
    out=c-$fmt-$ch.flac
    slice_ok "$uri" --from "#$A" --to "#$B" --format flac --out "$out"
    sox_reads "$out" "$ch" 48000 "$N" ""
    [[ $(sox_info "$out" "Sample Encoding") == *FLAC* ]] || fail "$out is not FLAC to sox"
    if [[ $fmt == f32 ]]; then
        pcm_same "$out" "$ref" --tol 1
    else
        pcm_same "$out" "$ref"
    fi
    # The format follows the --out extension when --format is absent.
    slice_ok "$uri" --from "#$A" --to "#$B" --out "ext-$fmt-$ch.flac"
    [[ $(head -c 4 "ext-$fmt-$ch.flac") == fLaC ]] || fail "--out X.flac without --format did not write FLAC"
    # raw: bare little-endian interleaved frames.
    out=c-$fmt-$ch.raw
    slice_ok "$uri" --from "#$A" --to "#$B" --format raw --out "$out"
    read -r -a e <<<"${SOXENC[$fmt]}"
    bytes=$(((${e[3]} / 8) * ch * N))
    [[ $(stat -c %s "$out") == "$bytes" ]] || fail "$out is $(stat -c %s "$out") bytes, expected $bytes"
    sox_reads "$out" "$ch" 48000 "$N" "" -t raw -r 48000 -c "$ch" "${e[@]}"
    pcm_same "$out" "$ref" --raw-a "$ch:48000:$fmt"
    # sox decodes the raw file to the same samples as the reference.
    sox -t raw -r 48000 -c "$ch" "${e[@]}" "$out" -t raw -e signed-integer -b 32 raw-a.s32
    sox "$ref" -t raw -e signed-integer -b 32 raw-b.s32
    cmp -s raw-a.s32 raw-b.s32 || fail "sox decodes $out differently from the reference"
done

# 3. --sample-format conversion against sox's own conversion (no dither).
# convert FROM_FMT CH TO_FMT TOL
convert() {
    local from=$1 ch=$2 to=$3 tol=$4 out=conv-$1-$3.wav
    slice_ok "stream://fmt/$from-$ch" --from "#$A" --to "#$B" --sample-format "$to" --out "$out"
    [[ $(pcm info "$out") == "wav $ch 48000 $to $N" ]] || fail "$from->$to: header $(pcm info "$out")"
    sox_reads "$out" "$ch" 48000 "$N" "${ENC[$to]}"
    read -r -a e <<<"${SOXENC[$to]}"
    sox_ref "src-$from-$ch.wav" "sref-$from-$to.wav" "$A" "$B" "${e[@]}"
    pcm_same "$out" "sref-$from-$to.wav" --tol "$tol"
}
convert f32 2 i16 1
convert f32 2 i24 1
convert i24 2 i16 1
convert i16 2 f32 1
convert i16 2 i24 0 # widening is exact
convert i24 2 f32 1
# Conversion also in other containers.
slice_ok stream://fmt/f32-8 --from "#$A" --to "#$B" --sample-format i16 --format w64 --out conv8.w64
[[ $(pcm info conv8.w64) == "w64 8 48000 i16 $N" ]] || fail "f32->i16 w64 header: $(pcm info conv8.w64)"
sox_ref src-f32-8.wav sref8.wav "$A" "$B" -e signed-integer -b 16
pcm_same conv8.w64 sref8.wav --tol 1

# 4. Last, the strictest check: sox had no complaint about any header reel wrote.
if ((${#warnings[@]})); then
    fail "sox warned about ${#warnings[@]} file(s) reel wrote, e.g. ${warnings[0]}"
fi
fsck_clean
pass
