#!/usr/bin/env bash
# The CAS against b3sum: put returns the BLAKE3 of the bytes, get round-trips, prefixes
# resolve (8 hex digits and up), ambiguous and unknown prefixes fail cleanly, and every
# sealed blob anywhere in the store is named by the b3sum of its bytes.
source "$(dirname "$0")/lib.sh"

# Random files of awkward sizes: empty, 1 byte, around BLAKE3's 1 KiB chunk and 64 KiB
# boundaries, a few MiB.
sizes=(0 1 1023 1024 1025 65535 65536 65537 1048577 3145731)
declare -A hashes
for n in "${sizes[@]}"; do
    f=$TMP/rand.$n
    head -c "$n" /dev/urandom >"$f"
    want=$(hash_of "$f")
    got=$(ok reel cas put "$f")
    [[ $got == "blake3:$want" ]] || fail "cas put of $n bytes printed '$got', b3sum says $want"
    got=$(ok reel --json cas put "$f" | json "d['hash']")
    [[ $got == "blake3:$want" ]] || fail "second cas put --json of $n bytes gave '$got'"
    hashes[$n]=$want
    p=$(content_path "$want")
    [[ -f $p ]] || fail "blob of $n bytes is not at $p"
    cmp -s "$f" "$p" || fail "stored blob of $n bytes differs from the file"
    [[ ! -w $p || $(id -u) == 0 ]] || fail "sealed blob $p is writable"
    [[ $(stat -c %A "$p") != *w* ]] || fail "sealed blob $p has a write bit: $(stat -c %A "$p")"
done

# Dedup: putting the same bytes again made no second copy.
n_blobs=$(find "$STORE/cas/content" -type f | wc -l)
[[ $n_blobs -eq ${#sizes[@]} ]] || fail "expected ${#sizes[@]} blobs after repeated puts, found $n_blobs"

for n in "${sizes[@]}"; do
    h=${hashes[$n]}
    # get by full hash (bare and blake3:), by 8-hex prefix, to stdout and --out.
    ok reel cas get "blake3:$h" >"$TMP/got"
    cmp -s "$TMP/got" "$TMP/rand.$n" || fail "cas get blake3:$h (to stdout) differs from the original ($n bytes)"
    ok reel cas get "${h:0:8}" --out "$TMP/got2" >/dev/null
    cmp -s "$TMP/got2" "$TMP/rand.$n" || fail "cas get ${h:0:8} --out differs from the original ($n bytes)"
    ok reel cas get "$h" --out "$TMP/got3" >/dev/null
    cmp -s "$TMP/got3" "$TMP/rand.$n" || fail "cas get of the bare hash differs ($n bytes)"
    ok reel cas has "${h:0:8}" >/dev/null
    ok reel cas has "blake3:${h:0:13}" >/dev/null
    [[ $(reel --json cas has "${h:0:8}" | json "d['hash']") == "blake3:$h" ]] ||
        fail "cas has ${h:0:8} does not resolve to the full hash"
    rm -f "$TMP/got" "$TMP/got2" "$TMP/got3"
done

# An unknown prefix: has says no (non-zero), get fails with one line and writes nothing.
unknown=00000000
while compgen -G "$STORE/cas/content/blake3/${unknown:0:2}/${unknown:2:2}/$unknown*" >/dev/null; do
    unknown=$(printf '%08x' $((RANDOM * RANDOM)))
done
rc=0
reel cas has "$unknown" >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "cas has $unknown (no such blob) succeeded"
expect_fail 1 reel cas get "$unknown" --out "$TMP/nothing"
[[ ! -e $TMP/nothing ]] || fail "failed cas get left $TMP/nothing"
expect_fail 1 reel cas get "$unknown"
[[ ! -s $TMP/ef.out ]] || fail "failed cas get wrote to stdout"

# Not a hash at all, or too short a prefix: usage errors.
expect_fail 2 reel cas get zz
expect_fail 2 reel cas get "${hashes[1]:0:7}"
expect_fail 2 reel cas has "not-hex!"
expect_fail any reel cas put "$TMP/does-not-exist"
expect_fail 2 reel cas put

# An ambiguous prefix: these two inputs were found by brute force to share the BLAKE3
# prefix b22d1b49 (b22d1b4986d0... and b22d1b49b162...).
printf 'reel-ambiguous-145112\n' >"$TMP/amb1"
printf 'reel-ambiguous-227678\n' >"$TMP/amb2"
[[ $(hash_of "$TMP/amb1") == b22d1b49* && $(hash_of "$TMP/amb2") == b22d1b49* ]] ||
    fail "b3sum does not agree the two inputs share the prefix b22d1b49"
ok reel cas put "$TMP/amb1" >/dev/null
ok reel cas put "$TMP/amb2" >/dev/null
expect_fail 1 reel cas get b22d1b49 --out "$TMP/amb.out"
[[ ! -e $TMP/amb.out ]] || fail "ambiguous cas get left an output file"
expect_fail 1 reel cas has b22d1b49
# One more digit disambiguates.
ok reel cas get b22d1b498 | cmp -s - "$TMP/amb1" || fail "cas get b22d1b498 is not the first input"
ok reel cas get b22d1b49b | cmp -s - "$TMP/amb2" || fail "cas get b22d1b49b is not the second input"

# Everything sealed by recording and slicing is named by its b3sum too.
ok reel record --source tone --seconds 1 --chunk-frames 4800 >/dev/null
ok reel slice stream://tone/main --from '#1000' --to '#30000' --out "$TMP/s.wav" >/dev/null
ok reel slice stream://tone/main --last 0.5s --virtual >/dev/null
ok reel slice stream://tone/main --from '#0' --to '#10' --format flac --out "$TMP/s.flac" >/dev/null
n=$(b3_content_check)
((n >= ${#sizes[@]} + 2 + 10 + 3)) || fail "only $n sealed blobs after recording 10 chunks and slicing"
# A materialized slice's file is in CAS under its own b3sum.
sh=$(hash_of "$TMP/s.wav")
[[ -f $(content_path "$sh") ]] || fail "the slice file (b3sum $sh) is not in the store"
# verify agrees.
ok reel cas verify >/dev/null
[[ $(reel --json cas verify | json "d['corrupt']") == 0 ]] || fail "cas verify reports corruption"
ok reel cas verify "$sh" >/dev/null
fsck_clean
pass
