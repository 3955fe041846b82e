#!/usr/bin/env bash
# Retention and GC while recording. `reel serve` records two streams in 4800-frame (0.1 s)
# chunks: a 437 Hz tone kept to 8 chunks (its chunks repeat every 10, so seals keep
# deduplicating onto blobs retention just dropped and GC wants to delete: the race GC must
# survive) and white noise from a file kept for 2 s. Meanwhile this slices both streams
# (materialized and virtual) and runs `reel gc --grace 1s` over and over in the background.
# Then, with everything stopped:
#   - every gc run succeeded and together they removed blobs;
#   - `reel fsck` is clean; every materialized slice is still in the store byte for byte
#     (b3sum of `cas get` = the file written then = its name) and every virtual slice renders
#     byte-identically to its render right after it was made;
#   - the windows hold: the tone holds exactly 8 chunks, the noise 2 s (within one chunk),
#     and a `reel record --retain 1M` ingest holds at most 1 MiB, within one chunk of it;
#   - a slice of dropped frames fails with "no longer held", --last clamps;
#   - `gc --dry-run` deletes nothing and lists exactly what the next gc removes;
#   - afterwards the blobs on disk are exactly the roots as computed here from the sealed
#     manifests, their pages and reel.db (an oracle independent of reel's GC): dropped chunks
#     are gone, chunks of virtual slices stayed; in particular the chunks of one materialized
#     slice that no virtual slice reaches (its lineage is all that names them) are gone.
source "$(dirname "$0")/lib.sh"

TONE=stream://t/tone
NOISE=stream://t/noise
cd "$TMP"
sox -D -R -n -r 48000 -c 2 -e floating-point -b 32 noise.wav synth 40 whitenoise gain -6 ||
    fail "sox could not make noise.wav"

# (--chunk-frames before any --source: every source's.)
reel_bg serve.log serve --chunk-frames 4800 --source tone:437 --stream $TONE --source file:noise.wav \
    --stream $NOISE --retain 8chunks --retain $NOISE=2s --no-http
serve=$BG_PID
for ((i = 0; i < 200; i++)); do
    h=$("$REEL" --store "$STORE" --json status $NOISE 2>/dev/null | json "d['head_frame']" 2>/dev/null || echo 0)
    ((h > 48000)) && break
    kill -0 "$serve" 2>/dev/null || fail "serve died: $(cat serve.log)"
    sleep 0.05
done
((h > 48000)) || fail "the noise stream did not reach 1 s: $(cat serve.log)"
grep -q "recording $TONE from tone:437 .*; keeping 8chunks" serve.log || fail "serve line: $(cat serve.log)"
grep -q "recording $NOISE from file:noise.wav .*; keeping 2s" serve.log || fail "serve line: $(cat serve.log)"

# GC in a loop until told to stop; every run's JSON kept.
(
    n=0
    while [[ ! -e gc.stop ]]; do
        n=$((n + 1))
        "$REEL" --store "$STORE" --json gc --grace 1s >"gc-$n.json" 2>"gc-$n.err" || echo "$n" >>gc.failed
        sleep 0.2
    done
) &
gc_loop=$!
BG_PIDS+=("$gc_loop")

# One materialized slice of the noise that no virtual slice reaches: the loop below starts
# only once the noise head is past its end by more than a virtual slice's 0.35 s (16800
# frames) plus a chunk, so every later `--last 0.35s` begins in a later chunk. Its chunks are
# then named by its lineage alone; retention drops them 2 s on and GC must delete them. (The
# loop's own pairs cannot show that: a virtual slice taken right after the materialized one
# covers the same chunks unless the head moved two chunks in between, which on a fast
# machine it never does, and then nothing a slice used is ever gone.)
n=1
ok reel --json slice $NOISE --last 0.3s --out m1.wav >m1.json
lone=$(json "d['artifact']" m1.json)
echo "$lone $(b3sum --no-names m1.wav)" >>materialized.txt
past=$(($(json "d['to_frame']" m1.json) + 16800 + 4800))
t_wait=$((SECONDS + 30))
until h=$(reel --json status $NOISE | json "d['head_frame']") && ((h >= past)); do
    ((SECONDS < t_wait)) || fail "the noise head stayed at #$h, not past #$past, for 30 s"
    kill -0 "$serve" 2>/dev/null || fail "serve died: $(cat serve.log)"
    sleep 0.05
done

# Slices for about 9 s of recording.
t_end=$((SECONDS + 9))
while ((SECONDS < t_end)); do
    for uri in $TONE $NOISE; do
        n=$((n + 1))
        ok reel --json slice $uri --last 0.3s --out "m$n.wav" >"m$n.json"
        echo "$(json "d['artifact']" "m$n.json") $(b3sum --no-names "m$n.wav")" >>materialized.txt
        n=$((n + 1))
        ok reel --json slice $uri --last 0.35s --virtual >"v$n.json"
        id=$(json "d['artifact']" "v$n.json")
        ok reel render "$id" --out "v$n.wav" >/dev/null
        echo "$id $(b3sum --no-names "v$n.wav")" >>virtual.txt
    done
    kill -0 "$serve" 2>/dev/null || fail "serve died: $(cat serve.log)"
done
touch gc.stop
wait "$gc_loop"
t_term=$(date +%s%N)
kill -TERM "$serve"
wait_bg "$serve"
t_stopped=$(date +%s%N)
[[ ! -e gc.failed ]] || fail "gc run(s) $(tr '\n' ' ' <gc.failed) failed: $(cat "gc-$(head -1 gc.failed).err")"
runs=$(ls gc-*.json | wc -l)
removed=$(cat gc-*.json | python3 -c '
import json, sys
dec = json.JSONDecoder(); s = sys.stdin.read(); i = 0; total = 0
while i < len(s):
    while i < len(s) and s[i].isspace(): i += 1
    if i >= len(s): break
    d, i = dec.raw_decode(s, i); total += d["removed"]
print(total)')
((runs >= 5)) || fail "only $runs gc runs while recording"
((removed > 0)) || fail "$runs gc runs while recording removed nothing"
echo "# $runs gc runs while recording removed $removed blobs; $n slices" >&2

ok reel fsck >/dev/null
while read -r id sum; do
    ok reel --json show "$id" >show.json
    h=$(json "d['content_hash']" show.json)
    ok reel cas get "$h" --out again.wav
    [[ $(b3sum --no-names again.wav) == "$sum" && "blake3:$sum" == "$h" ]] ||
        fail "materialized slice $id changed"
done <materialized.txt
while read -r id sum; do
    ok reel render "$id" --out again.wav >/dev/null
    [[ $(b3sum --no-names again.wav) == "$sum" ]] || fail "virtual slice $id renders differently"
done <virtual.txt

# The windows.
reel --json status $TONE >tone.json
[[ $(json "d['chunks']" tone.json) == 8 ]] || fail "tone holds $(json "d['chunks']" tone.json) chunks, not 8"
[[ $(json "d['dropped_chunks'] > 50 and d['dropped_bytes'] == d['dropped_chunks'] * 38400" tone.json) == true ]] ||
    fail "tone dropped $(json "d['dropped_chunks']" tone.json) chunks, $(json "d['dropped_bytes']" tone.json) bytes"
reel --json status $NOISE >noise.json
# Age is wall-clock time: retention last looked at the noise stream when serve closed it,
# at some t_close in [t_term, t_stopped]. Then the first held chunk ended at or after
# t_close - 2 s (else it had to go), and the chunk before it (which ended where the first held
# one starts) had ended before t_close - 2 s. 50 ms of slack for clock granularity.
[[ $(json "d['first_frame'] > 0" noise.json) == true ]] || fail "nothing of the noise was dropped"
ok reel cas get "$(json "d['manifest']" noise.json)" --out noise-manifest.json
python3 - noise-manifest.json "$t_term" "$t_stopped" <<'PY' || fail "the noise stream's age window is off"
import json, sys
m = json.load(open(sys.argv[1]))
t_term, t_stopped = int(sys.argv[2]), int(sys.argv[3])
assert not m["pages"], "expected no pages in %d chunks" % len(m["chunks"])
first = m["chunks"][0]
start = first["wall_clock_ns"]
end = start + first["sample_count"] * 10**9 // m["sample_rate"]
slack, keep = 50 * 10**6, 2 * 10**9
ok = end >= t_term - keep - slack and start < t_stopped - keep + slack
print("# noise: first held chunk %.3f..%.3f s before the stop (SIGTERM to exit: %.3f s)" %
      ((t_term - start) / 1e9, (t_term - end) / 1e9, (t_stopped - t_term) / 1e9), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
# Pink, not white: `sox -R` seeds alike, so white noise here would be the first 3 s of
# noise.wav byte for byte, and this stream would hold the noise stream's early chunks again
# (the same blobs), among them the chunks of the lone slice above.
sox -D -R -n -r 48000 -c 2 -e floating-point -b 32 noise2.wav synth 3 pinknoise gain -6
ok reel record --source file:noise2.wav --fast --chunk-frames 4800 --retain 1M >/dev/null
reel --json status stream://file/noise2 >sized.json
bytes=$(json "d['bytes']" sized.json)
((bytes <= 1048576 && bytes + 38400 > 1048576)) || fail "--retain 1M holds $bytes bytes"

# Dropped frames: an error naming it; --last clamps.
expect_fail 1 reel slice $NOISE --from '#0' --to '#4800' --out old.wav
grep -q "no longer held" "$TMP/ef.err" || fail "slice of dropped frames: $(cat "$TMP/ef.err")"
ok reel --json slice $NOISE --last 1h --out all.wav >all.json
[[ $(json "d['clamped']" all.json) == true ]] || fail "--last 1h did not clamp: $(cat all.json)"

# Dry run: nothing deleted, and it names what the real run then removes.
sleep 1.2
find "$STORE/cas/content" -type f | sort >before.txt
ok reel --json gc --dry-run --grace 1s >dry.json
find "$STORE/cas/content" -type f | sort >after.txt
cmp -s before.txt after.txt || fail "gc --dry-run changed the store"
[[ $(json "d['dry_run']" dry.json) == true ]] || fail "dry run not reported as such"
ok reel --json gc --grace 1s >real.json
dry_items=$(json "sorted(i['hash'] for i in d['items'])" dry.json)
[[ $(json "sorted(i['hash'] for i in d['items'])" real.json) == "$dry_items" ]] ||
    fail "dry run listed $(json "d['removed']" dry.json) blobs, gc removed $(json "d['removed']" real.json) others"
((removed + $(json "d['removed']" real.json) > 0)) || fail "nothing was ever removed"
ok reel gc --grace 1s >again.txt
grep -q "^removed 0 of" again.txt || fail "a second gc still removed: $(cat again.txt)"
ok reel cas gc --dry-run --grace 1s >cas-gc.txt
grep -q "^would remove 0 of" cas-gc.txt || fail "reel cas gc: $(cat cas-gc.txt)"

# The oracle: blobs on disk == roots computed from the sealed manifests, pages and reel.db.
python3 - "$STORE" "$lone" <<'EOF' || fail "the store after gc is not exactly its roots (see above)"
import json, os, sqlite3, sys
store, lone_id = sys.argv[1], sys.argv[2]
def path(h):
    x = h.split(":")[-1]
    return os.path.join(store, "cas/content/blake3", x[:2], x[2:4], x)
def load(h):
    with open(path(h)) as f:
        return json.load(f)
db = sqlite3.connect(os.path.join(store, "reel.db"))
roots, dropped = set(), set()
for (defh, sealed) in db.execute("SELECT definition_hash, sealed_manifest FROM streams"):
    roots.update([defh, sealed])
    m = load(sealed)
    roots.add(m["definition_hash"])
    for p in m["pages"]:
        roots.add(p["hash"])
        chunks = load(p["hash"])["chunks"]
        k = p.get("dropped_chunks", 0)
        dropped.update(c["hash"] for c in chunks[:k])
        roots.update(c["hash"] for c in chunks[k:])
    roots.update(c["hash"] for c in m["chunks"])
for (h,) in db.execute("SELECT content_hash FROM artifacts"):
    roots.add(h)
for (h,) in db.execute("SELECT c.chunk_hash FROM artifact_chunks c JOIN artifacts a"
                       " ON a.id = c.artifact_id WHERE a.kind <> 'slice'"):
    roots.add(h)
lineage = {h for (h,) in db.execute("SELECT c.chunk_hash FROM artifact_chunks c JOIN artifacts a"
                                    " ON a.id = c.artifact_id WHERE a.kind = 'slice'")}
on_disk = set()
for d, _, files in os.walk(os.path.join(store, "cas/content")):
    on_disk.update("blake3:" + f for f in files)
missing, extra = roots - on_disk, on_disk - roots
gone = (lineage | dropped) - roots
for h in sorted(missing)[:5]:
    print("root missing:", h, file=sys.stderr)
for h in sorted(extra)[:5]:
    print("garbage left:", h, file=sys.stderr)
lone = {h for (h,) in db.execute("SELECT chunk_hash FROM artifact_chunks WHERE artifact_id = ?",
                                 (lone_id,))}
if not gone:
    print("no slice ever used a chunk that is gone now: the test proved nothing", file=sys.stderr)
if not lone or not lone <= gone:
    print("the chunks of %s (%d) are not all gone: %s" % (lone_id, len(lone), sorted(lone - gone)[:3]),
          file=sys.stderr)
print("# %d blobs on disk, %d roots; %d chunks sliced or paged earlier are gone" %
      (len(on_disk), len(roots), len(gone)), file=sys.stderr)
sys.exit(1 if missing or extra or not gone or (gone & on_disk) or not lone or not lone <= gone else 0)
EOF
ok reel fsck >/dev/null

# Bad input: one line naming what was wrong, exit 2, the store untouched.
expect_fail 2 reel serve --source tone --retain 24 --no-http --seconds 1
grep -q "has no unit" "$TMP/ef.err" || fail "--retain 24: $(cat "$TMP/ef.err")"
expect_fail 2 reel serve --source tone --retain 90x --no-http --seconds 1
expect_fail 2 reel record --source tone --seconds 1 --retain 1G,2G
grep -q "size given twice" "$TMP/ef.err" || fail "--retain 1G,2G: $(cat "$TMP/ef.err")"
expect_fail 2 reel serve --source tone --stream stream://t/x --retain stream://t/y=1h --no-http --seconds 1
grep -q "does not record" "$TMP/ef.err" || fail "--retain for another stream: $(cat "$TMP/ef.err")"
expect_fail 2 reel gc --grace 0.5s
expect_fail 2 reel gc --now
expect_fail 2 reel cas gc --grace
ok reel fsck >/dev/null
pass
