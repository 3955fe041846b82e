#!/usr/bin/env bash
# The real `reel` facing a failing disk, armed through REEL_FAULT (src/lib/core/fault.h):
# ENOSPC, EIO and short writes under `cas put`, `slice` (materialized, --out, --virtual) and
# `record` (manifest saves, chunk seals, staging allocation). Every failure exits 1 with one
# `reel:` line naming the file and the errno's text; nothing partial appears (no output file,
# no artifact, no blob); short writes give exact results; afterwards `reel recover` seals what
# a failed recording held (a prefix of the source, sample for sample), `reel fsck` is clean
# and everything stored before is byte-identical (b3sum).
source "$(dirname "$0")/lib.sh"

mksrc src.wav 3 2 f32
record_file src.wav --stream stream://fault/base
slice_ok stream://fault/base --from '#1000' --to '#50000' --out base.wav
BASE_HASH=${SL_HASH#blake3:}
[[ $(hash_of "$(content_path "$BASE_HASH")") == "$BASE_HASH" ]] || fail "base slice is not named by its b3sum"
head -c 3000017 /dev/urandom >blob.bin
BLOB_HASH=$(ok reel cas put blob.bin)
BLOB_HASH=${BLOB_HASH#blake3:}
[[ $BLOB_HASH == "$(hash_of blob.bin)" ]] || fail "cas put of blob.bin disagrees with b3sum"

# content_list: every sealed blob, its path and b3sum, sorted.
content_list() {
    (cd "$STORE/cas/content" && find . -type f | LC_ALL=C sort | while read -r f; do
        echo "$f $(b3sum --no-names "$f")"
    done)
}
content_list >before.list
n_artifacts() { reel --json artifacts | json 'len(d)'; }
ARTS=$(n_artifacts)

# same_content: the content is exactly what it was (a failure added and changed nothing).
same_content() {
    content_list >now.list
    cmp -s before.list now.list || fail "$1: the content changed: $(diff before.list now.list | head -5 | tr '\n' ' ')"
    [[ -z $(ls -A "$STORE/cas/tmp") ]] || fail "$1: left $(ls -A "$STORE/cas/tmp" | head -3 | tr '\n' ' ') in cas/tmp"
    [[ $(n_artifacts) == "$ARTS" ]] || fail "$1: the artifact count went from $ARTS to $(n_artifacts)"
}

# earlier_intact: what was stored first is still there, byte for byte (the content may
# have grown).
earlier_intact() {
    content_list >now.list
    local missing
    missing=$(LC_ALL=C comm -23 before.list <(LC_ALL=C sort now.list))
    [[ -z $missing ]] || fail "$1: earlier blobs changed or went: $(echo "$missing" | head -3 | tr '\n' ' ')"
    [[ $(hash_of "$(content_path "$BASE_HASH")") == "$BASE_HASH" ]] || fail "$1: the base slice changed"
    cmp -s blob.bin "$(content_path "$BLOB_HASH")" || fail "$1: blob.bin's blob changed"
}

# says TEXT...: the one stderr line of the last expect_fail contains every TEXT.
says() {
    local t
    for t in "$@"; do
        grep -qF -- "$t" "$TMP/ef.err" || fail "stderr '$(head -c 300 "$TMP/ef.err")' does not say '$t'"
    done
}

# ---- cas put ----------------------------------------------------------------------------
head -c 2000003 /dev/urandom >new.bin
NEW=$(hash_of new.bin)
REEL_FAULT=write:ENOSPC expect_fail 1 reel cas put new.bin
says "No space left on device" "new.bin" "$STORE/cas/tmp/put-"
same_content "cas put, write ENOSPC"
REEL_FAULT=fsync:EIO expect_fail 1 reel cas put new.bin
says "Input/output error" "new.bin" "cannot fsync"
same_content "cas put, fsync EIO"
REEL_FAULT=rename:ENOSPC expect_fail 1 reel cas put new.bin
says "No space left on device" "$STORE/cas/content/blake3/${NEW:0:2}/${NEW:2:2}/$NEW"
same_content "cas put, rename ENOSPC"
rc=0
reel cas has "$NEW" >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a failed cas put left blob $NEW"
# Short writes are absorbed: the stored bytes are the file's.
got=$(REEL_FAULT=write:short ok reel cas put new.bin)
[[ $got == "blake3:$NEW" ]] || fail "cas put with short writes printed $got, b3sum says $NEW"
cmp -s new.bin "$(content_path "$NEW")" || fail "cas put with short writes stored other bytes"
# A malformed spec is refused, never ignored.
REEL_FAULT=write:ENOSPACE expect_fail any reel cas put new.bin
says "REEL_FAULT" "ENOSPACE"
content_list >before.list
ARTS=$(n_artifacts)

# ---- slices -----------------------------------------------------------------------------
# The WAV header is write 1, the first chunk's frames write 2.
REEL_FAULT=write:ENOSPC:after=1 expect_fail 1 reel slice stream://fault/base --from '#100' --to '#60000' --out s.wav
says "No space left on device" "$STORE/cas/tmp/slice-"
[[ ! -e s.wav ]] || fail "a failed slice left s.wav"
same_content "slice, write ENOSPC"
# With --out, the first rename is the copy to s.wav.
REEL_FAULT=rename:EIO expect_fail 1 reel slice stream://fault/base --from '#100' --to '#60000' --out s.wav
says "Input/output error" "s.wav"
[[ ! -e s.wav ]] || fail "a failed slice left s.wav"
same_content "slice --out, rename EIO"
REEL_FAULT=fsync:EIO expect_fail 1 reel slice stream://fault/base --from '#100' --to '#60000'
says "Input/output error" "$STORE/cas/tmp/slice-"
same_content "slice, fsync EIO"
REEL_FAULT=write:EIO expect_fail 1 reel slice stream://fault/base --from '#100' --to '#60000' --virtual
says "Input/output error" "$STORE/cas/tmp/put-"
same_content "virtual slice, write EIO"
# Short writes: the slice is exact (sox's cut of the source, sample for sample).
REEL_FAULT=write:short slice_ok stream://fault/base --from '#100' --to '#60000' --out s.wav
sox_ref src.wav ref.wav 100 60000
pcm_same s.wav ref.wav
[[ $(hash_of s.wav) == "${SL_HASH#blake3:}" ]] || fail "--out file and stored slice differ under short writes"
earlier_intact "slices"
fsck_clean

# ---- recording: manifest saves, seals, staging allocation ---------------------------------
# Counted from the start of `reel record`: its stream definition, then per chunk a
# manifest save and a seal. Each fails part way through the recording.
i=0
for spec in rename:EIO:after=7 write:ENOSPC:after=5 fsync:EIO:after=12 fallocate:ENOSPC:after=3; do
    i=$((i + 1))
    uri=stream://fault/rec$i
    rc=0
    REEL_FAULT=$spec REEL_TIMEOUT=30 reel record --source file:src.wav --fast --chunk-frames 4800 \
        --stream "$uri" >rec.out 2>rec.err || rc=$?
    [[ $rc -eq 1 ]] || fail "record with REEL_FAULT=$spec exited $rc: $(tr '\n' ' ' <rec.err | head -c 300)"
    last=$(tail -n 1 rec.err)
    [[ $last == "reel: "*"$STORE/cas/"* ]] || fail "record with $spec: last line '$last' names no store file"
    case $spec in
    *ENOSPC*) want="No space left on device" ;;
    *) want="Input/output error" ;;
    esac
    [[ $last == *"$want"* ]] || fail "record with $spec: '$last' does not say '$want'"
    case $spec in
    write:*) [[ $last == *"cannot save the manifest of $uri"* ]] || fail "record with $spec: '$last' does not name the stream's manifest" ;;
    fallocate:*) [[ $last == *"cannot allocate"*"staging file"* ]] || fail "record with $spec: '$last'" ;;
    esac
    # A failed seal or manifest save leaves the stream for recovery, which seals what its
    # manifest held; a staging file that could not be made stops the stream, whose chunks
    # written so far are sealed at once (recovery then has nothing to do).
    case $spec in
    fallocate:*) want_state=stopped ;;
    *) want_state=recording ;;
    esac
    [[ $(status_field "$uri" state) == "$want_state" ]] || fail "$uri: state $(status_field "$uri" state) after the failure, not $want_state"
    ok reel recover >/dev/null
    [[ $(status_field "$uri" state) == stopped ]] || fail "$uri: not stopped after reel recover"
    head=$(status_field "$uri" head_frame)
    ((head > 0 && head < 144000)) || fail "$uri: recovered head $head (0 < head < 144000 expected)"
    slice_ok "$uri" --from start --to head --out rec$i.wav
    sox_ref src.wav ref.wav 0 "$head"
    pcm_same "rec$i.wav" ref.wav
    earlier_intact "record with $spec"
    fsck_clean
done
n=$(b3_content_check)
((n > 0)) || fail "no blobs checked"
pass
