#!/usr/bin/env bash
# Bad input: every failure exits non-zero with exactly one "reel: ..." line on stderr, leaves
# no output file (partial or temporary) behind, and leaves the store unchanged (sealed blobs
# with sizes and b3sums, staging and tmp files, artifacts and streams).
source "$(dirname "$0")/lib.sh"

mksrc src.wav 1 2 i16
record_file src.wav
uri=stream://file/src
ok reel slice "$uri" --from '#100' --to '#200' --tag existing --out first.wav >/dev/null
mkdir out
store_snapshot before.txt

# bad CODE|any ARGS...: reel ARGS fails as it should and changes nothing.
bad() {
    local code=$1
    shift
    expect_fail "$code" reel "$@"
    [[ -z $(ls -A out) ]] || fail "'reel $*' left files in the output directory: $(ls -A out | tr '\n' ' ')"
    store_snapshot after.txt
    cmp -s before.txt after.txt ||
        fail "'reel $*' changed the store: $(diff before.txt after.txt | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
}

# Time specs.
bad any slice "$uri" --from 'yesterday' --to head --out out/x.wav
bad any slice "$uri" --from '#abc' --to head --out out/x.wav
bad any slice "$uri" --from '#-5' --to head --out out/x.wav
bad any slice "$uri" --from '2026-13-45T99:00:00Z' --to head --out out/x.wav
bad any slice "$uri" --last 'forever' --out out/x.wav
bad any slice "$uri" --last '-1s' --out out/x.wav
bad any slice "$uri" --from '@notanumber' --to head --out out/x.wav
bad any slice "$uri" --from '--5s' --to head --out out/x.wav
# Unknown stream, and ranges outside the recording or empty.
bad 1 slice stream://nope/none --last 1s --out out/x.wav
bad 1 slice "not a uri" --last 1s --out out/x.wav
bad any slice "$uri" --from '#48000' --to '#48001' --out out/x.wav
bad any slice "$uri" --from '#0' --to '#999999999' --out out/x.wav
bad any slice "$uri" --from '#1000000' --to '#2000000' --out out/x.wav
bad any slice "$uri" --from '#500' --to '#500' --out out/x.wav
bad any slice "$uri" --from '#600' --to '#500' --out out/x.wav
bad any slice "$uri" --from head --to start --out out/x.wav
bad any slice "$uri" --from '#100' --to '#200' --virtual --from '#300' --to '#200'
# Unwritable output paths.
bad any slice "$uri" --from '#0' --to '#100' --out /nonexistent/dir/x.wav
bad any slice "$uri" --from '#0' --to '#100' --out out
bad any slice "$uri" --from '#0' --to '#100' --out ''
chmod a-w out
if [[ ! -w out ]]; then # (root may write anyway)
    bad any slice "$uri" --from '#0' --to '#100' --out out/x.wav
fi
chmod u+w out
# Unknown format / sample format / options.
bad 2 slice "$uri" --from '#0' --to '#100' --format mp3 --out out/x.wav
bad 2 slice "$uri" --from '#0' --to '#100' --format '' --out out/x.wav
bad 2 slice "$uri" --from '#0' --to '#100' --sample-format f64 --out out/x.wav
bad 2 slice "$uri" --from '#0' --to '#100' --bogus --out out/x.wav
# Missing arguments.
bad 2 slice
bad 2 slice "$uri"
bad 2 slice "$uri" --from '#0'
bad 2 slice "$uri" --to '#10' --out out/x.wav
bad 2 slice "$uri" --last
bad 2 slice "$uri" --from '#0' --to
bad 2 slice "$uri" --last 1s --from '#0' --to '#10' --out out/x.wav
bad 2 render
bad 2 show
bad 2 cas get
bad 2 cas has
bad 2 cas put
bad 2 cas frobnicate
# Unknown command, unknown artifact.
bad 2 frobnicate
bad 2 --no-such-global-flag streams
bad 1 show art-0000000000000000
bad 1 render art-0000000000000000 --out out/x.wav
bad 1 status stream://nope/none
bad any record --source file:/nonexistent/input.wav --fast
bad any record --source file:"$TMP/before.txt" --fast
bad any record --source tone --sample-format i8 --seconds 1
bad any record --source tone --channels 0 --seconds 1
bad any record --source tone --rate 0 --seconds 1
# A materialized slice is not virtual: render may copy it or refuse, but only cleanly.
rc=0
reel render "$(reel --json artifacts --tag existing | json "d[0]['id']")" --out out/r.wav >/dev/null 2>render.err || rc=$?
if [[ $rc -ne 0 ]]; then
    [[ $(grep -c '' render.err) == 1 ]] && grep -q '^reel: ' render.err || fail "render of a non-virtual artifact: bad stderr $(cat render.err)"
    [[ ! -e out/r.wav ]] || fail "a failed render left out/r.wav"
fi
rm -f out/r.wav

# A corrupt blob: cas get fails, writes nothing to stdout or --out.
head -c 100000 /dev/urandom >blob
h=$(ok reel cas put blob)
h=${h#blake3:}
p=$(content_path "$h")
chmod u+w "$p"
printf '\x01' | dd of="$p" bs=1 seek=54321 conv=notrunc status=none
store_snapshot before.txt
bad 1 cas get "$h" --out out/blob
bad 1 cas get "$h"
[[ ! -s $TMP/ef.out ]] || fail "cas get of a corrupt blob wrote $(stat -c %s "$TMP/ef.out") bytes to stdout"
bad 1 cas verify "$h"

pass
