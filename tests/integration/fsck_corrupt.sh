#!/usr/bin/env bash
# fsck: clean on a fresh recording; a flipped byte in a sealed chunk makes it exit 1 and name
# that blob (and nothing else); restoring the byte makes it clean again; a deleted chunk is
# reported missing.
source "$(dirname "$0")/lib.sh"

mksrc src.wav 2 2 f32
record_file src.wav
fsck_clean
ok reel fsck >fsck.txt
n_clean=$(b3_content_check)

# A sealed chunk of the stream: the first source chunk of a slice across a boundary.
slice_ok stream://file/src --from '#10000' --to '#10100' --virtual
reel --json show "$SL_ART" >show.json
chunk=$(json "d['source_chunks'][0]['hash']" show.json)
[[ $(json "d['source_chunks'][0]['state']" show.json) == sealed ]] || fail "the chunk is not sealed"
h=${chunk#blake3:}
p=$(content_path "$h")
[[ -f $p ]] || fail "sealed chunk $chunk is not at $p"
cp "$p" chunk.orig

# Flip one byte in the middle.
chmod u+w "$p"
size=$(stat -c %s "$p")
off=$((size / 2))
orig=$(od -An -tu1 -j "$off" -N1 "$p" | tr -d ' ')
printf "\\x$(printf %02x $((orig ^ 0xff)))" | dd of="$p" bs=1 seek="$off" conv=notrunc status=none
chmod a-w "$p"
[[ $(hash_of "$p") != "$h" ]] || fail "flipping a byte did not change the chunk's b3sum"

rc=0
reel fsck >fsck.out 2>fsck.err || rc=$?
[[ $rc == 1 ]] || fail "fsck of a store with a corrupt chunk exits $rc, expected 1"
grep -q "$h" fsck.out fsck.err || fail "fsck does not name the corrupt blob $h: $(cat fsck.out fsck.err | head -c 500)"
[[ $(grep -c '' fsck.err) == 1 ]] && grep -q '^reel: ' fsck.err || fail "fsck failure is not one 'reel: ' stderr line: $(cat fsck.err)"
# No other blob is blamed.
others=$(grep -oE '[0-9a-f]{64}' fsck.out fsck.err | sed 's/^[^:]*://' | sort -u | grep -v "^$h$" |
    grep -v "^$(b3sum --no-names "$p")$" || true)
[[ -z $others ]] || fail "fsck also names other blobs: $others"

rc=0
reel --json fsck >fsck.json 2>/dev/null || rc=$?
[[ $rc == 1 ]] || fail "fsck --json exits $rc"
[[ $(json "(d['clean'], d['corrupt'], d['missing'])" fsck.json) == "(False, 1, 0)" ]] ||
    fail "fsck --json: $(json "(d['clean'], d['corrupt'], d['missing'])" fsck.json)"
json "d['problems']" fsck.json | grep -q "$h" || fail "fsck --json problems do not name $h"
# cas verify agrees, for the store and the blob.
expect_fail 1 reel cas verify "$h"
rc=0
reel cas verify >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "cas verify with a corrupt blob exits $rc"

# Restore the byte: clean again.
chmod u+w "$p"
cp chunk.orig "$p"
chmod a-w "$p"
fsck_clean

# A sealed chunk that vanished is a missing reference.
mv "$p" chunk.moved
rc=0
reel --json fsck >fsck2.json 2>fsck2.err || rc=$?
[[ $rc == 1 ]] || fail "fsck with a missing chunk exits $rc"
# (counted per reference: the stream's manifest and the virtual slice both name it)
[[ $(json "(d['clean'], d['corrupt'], d['missing'] >= 1)" fsck2.json) == "(False, 0, True)" ]] ||
    fail "fsck with a missing chunk: $(json "(d['clean'], d['corrupt'], d['missing'])" fsck2.json)"
json "d['problems']" fsck2.json | grep -q "$h" || fail "fsck does not name the missing blob $h"
mv chunk.moved "$p"
fsck_clean
[[ $(b3_content_check) == $((n_clean + 1)) ]] || fail "blob count changed (expected the virtual slice's manifest only)"
pass
