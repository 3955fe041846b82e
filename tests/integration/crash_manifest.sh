#!/usr/bin/env bash
# A crash of the recorder between writing the new live manifest to a temporary file and
# renaming it: kill -9 a real-time recording mid-way and leave a half-written temporary file
# in cas/tmp. The live manifest the database names must still be whole, valid JSON that
# matches the store; recording the same URI again recovers (seals what was there) and
# continues; fsck is clean; slices of the earlier part still work and hold the same bytes.
source "$(dirname "$0")/lib.sh"

uri=stream://tone/main
reel_bg rec.log record --source tone --seconds 30 --chunk-frames 4800
rec=$BG_PID
sleep 2.3
kill -0 "$rec" 2>/dev/null || fail "the recording ended early: $(cat rec.log)"
head_live=$(status_field "$uri" head_frame)
((head_live > 48000)) || fail "after 2.3 s of real-time recording head_frame is only $head_live"
sleep 0.3
kill -9 "$rec"
wait "$rec" 2>/dev/null || true

# The live manifest: the staging file streams.manifest_id names (read with python's sqlite3,
# read-only, like any other client).
manifest_id=$(python3 - "$STORE/reel.db" "$uri" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("select manifest_id, state from streams where uri = ?", (sys.argv[2],)).fetchone()
print(row[0] if row and row[0] else "")
EOF
)
[[ $manifest_id =~ ^blake3:[0-9a-f]{64}$ ]] || fail "streams.manifest_id is '$manifest_id'"
m=${manifest_id#blake3:}
live=$STORE/cas/staging/blake3/${m:0:2}/${m:2:2}/$m
[[ -f $live ]] || fail "the live manifest $live does not exist"

# Crash between write-temp and rename: a truncated copy of the manifest in cas/tmp.
stray=$STORE/cas/tmp/.reel-tmp-crash1
head -c $(($(stat -c %s "$live") / 2)) "$live" >"$stray"

# The live manifest is whole and consistent with the store.
python3 - "$live" "$STORE" "$uri" >manifest.txt <<'EOF' || fail "live manifest after kill -9: $(cat manifest.txt)"
import json, os, sys
path, store, uri = sys.argv[1:4]
try:
    m = json.load(open(path))
except Exception as e:
    print(f"not valid JSON: {e}")
    sys.exit(1)
def bad(msg):
    print(msg)
    sys.exit(1)
if m.get("stream_uri") != uri:
    bad(f"stream_uri {m.get('stream_uri')!r}")
chunks = m.get("chunks")
if not isinstance(chunks, list) or not chunks:
    bad("no chunks")
if m.get("pages"):
    bad("paged manifest: this test expects the chunks inline")
pos = m.get("first_sample", 0)
sealed = 0
for c in chunks:
    if c.get("first_sample") != pos:
        bad(f"chunk starts at {c.get('first_sample')}, expected {pos}")
    if c["state"] == "sealed":
        h = c["hash"].split(":")[1]
        p = f"{store}/cas/content/blake3/{h[:2]}/{h[2:4]}/{h}"
        if not os.path.isfile(p) or os.path.getsize(p) != c["byte_count"]:
            bad(f"sealed chunk {h} missing or of the wrong size")
        pos += c["sample_count"]
        sealed = pos
    elif c["state"] == "staging":
        h = c["id"].split(":")[1] if "id" in c else c["hash"].split(":")[1]
        p = f"{store}/cas/staging/blake3/{h[:2]}/{h[2:4]}/{h}"
        if not os.path.isfile(p):
            bad(f"staging chunk {h} missing")
        pos += c.get("samples_written", c.get("sample_count", 0))
    else:
        bad(f"chunk state {c['state']!r}")
if m.get("total_samples") != pos - m.get("first_sample", 0):
    bad(f"total_samples {m.get('total_samples')} but the chunks hold {pos}")
print(m["total_samples"], sealed)
EOF
read -r man_total man_sealed <manifest.txt
((man_sealed >= 48000)) || fail "only $man_sealed frames sealed in the manifest after 2.6 s with 0.1 s chunks"
# Keep a copy of the sealed part's frames as the manifest describes them.
python3 - "$live" "$STORE" >sealed.raw <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for c in m["chunks"]:
    if c["state"] != "sealed":
        break
    h = c["hash"].split(":")[1]
    sys.stdout.buffer.write(open(f"{sys.argv[2]}/cas/content/blake3/{h[:2]}/{h[2:4]}/{h}", "rb").read())
EOF

# Recover and continue: a second recording of the same URI.
ok reel record --source tone --seconds 1 --chunk-frames 4800 >/dev/null
reel --json status "$uri" >st.json
[[ $(json "d['state']" st.json) == stopped ]] || fail "state after recovery and a clean stop: $(json "d['state']" st.json)"
head=$(json "d['head_frame']" st.json)
((head >= man_total + 48000)) ||
    fail "head_frame $head after recovery: expected at least the manifest's $man_total frames plus 48000"
((head <= head_live + 48000 + 48000)) || fail "head_frame $head is more than was ever recorded"

# No staging chunk is still referenced; fsck is clean (the stray temp file is no reference).
fsck_clean
b3_content_check >/dev/null

# The earlier part still slices, with the bytes that were sealed before the crash.
slice_ok "$uri" --from '#0' --to "#$man_sealed" --format raw --out early.raw
[[ $SL_FRAMES == "$man_sealed" ]] || fail "slice of the earlier part has $SL_FRAMES frames"
cmp -s early.raw sealed.raw || fail "the earlier part's frames changed across the crash and recovery"
slice_ok "$uri" --from '#0' --to "#$man_total" --out early.wav
[[ $(frames_of early.wav) == "$man_total" ]] || fail "slice up to the crash holds $(frames_of early.wav) frames"
[[ $(sox_samples early.wav) == "$man_total" ]] || fail "sox reads $(sox_samples early.wav) frames up to the crash"
rms=$(pcm rms early.wav)
awk -v r="$rms" 'BEGIN {exit !(r > 0.05)}' || fail "the recovered part is (nearly) silent: rms $rms"
# And the part recorded after the recovery.
slice_ok "$uri" --last 1s --out late.wav
[[ $(frames_of late.wav) == 48000 ]] || fail "the last second after recovery holds $(frames_of late.wav) frames"
rms=$(pcm rms late.wav)
awk -v r="$rms" 'BEGIN {exit !(r > 0.05)}' || fail "the part after recovery is (nearly) silent: rms $rms"
pass
