#!/usr/bin/env bash
# Lineage: a slice's parent is its stream's definition artifact and it lists the source
# chunks it read (sealed blobs covering exactly its window); the definition lists its slices
# among its children; a render is a child of its virtual slice; `artifacts --tag` filters.
source "$(dirname "$0")/lib.sh"

mksrc src.wav 2 2 i16
record_file src.wav
uri=stream://file/src
reel --json status "$uri" >st.json
def_art=$(json "d['definition_artifact']" st.json)
def_hash=$(json "d['definition_hash']" st.json)
[[ $def_art != None && -n $def_art ]] || fail "status names no definition artifact"

# The stream-definition artifact.
reel --json show "$def_art" >def.json
[[ $(json "(d['id'], d['kind'], d['content_hash'], d['parent'])" def.json) == "('$def_art', 'stream-definition', '$def_hash', None)" ]] ||
    fail "definition artifact: $(json "(d['id'], d['kind'], d['content_hash'], d['parent'])" def.json)"

# A materialized slice across four chunks, tagged twice.
A=4000
B=14500
slice_ok "$uri" --from "#$A" --to "#$B" --tag keep --tag take-1 --out a.wav
s1=$SL_ART
s1_hash=$SL_HASH
[[ $s1_hash == "blake3:$(hash_of a.wav)" ]] || fail "slice content_hash is not the file's b3sum"
ok reel cas get "$s1_hash" | cmp -s - a.wav || fail "cas get of the slice's content is not the file"

reel --json show "$s1" >s1.json
[[ $(json "d['parent']" s1.json) == "$def_art" ]] || fail "slice parent is $(json "d['parent']" s1.json), expected $def_art"
json "d['ancestors']" s1.json | grep -q "\"$def_art\"" || fail "slice ancestors do not include $def_art"
[[ $(json "d['stream']" s1.json) == "$uri" ]] || fail "slice stream: $(json "d['stream']" s1.json)"
[[ $(json "(d['source_window']['from_frame'], d['source_window']['to_frame'])" s1.json) == "($A, $B)" ]] ||
    fail "slice source_window: $(json "d['source_window']" s1.json)"
json "d['tags']" s1.json | grep -q '"keep"' || fail "slice tags: $(json "d['tags']" s1.json)"
json "d['tags']" s1.json | grep -q '"take-1"' || fail "slice tags: $(json "d['tags']" s1.json)"
# Source chunks: sealed blobs in CAS, contiguous, covering exactly [A, B): with 4800-frame
# chunks the end of chunk 0, chunks 1 and 2 whole and the start of chunk 3.
python3 - "$STORE" "$A" "$B" s1.json <<'EOF' || fail "slice source_chunks are wrong"
import json, os, sys
store, a, b, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
chunks = json.load(open(path))["source_chunks"]
pos = a
for c in chunks:
    if c["state"] != "sealed":
        sys.exit(f"chunk {c} is not sealed")
    h = c["hash"].split(":")[1]
    if not os.path.isfile(f"{store}/cas/content/blake3/{h[:2]}/{h[2:4]}/{h}"):
        sys.exit(f"source chunk {h} is not in CAS")
    if c["first_sample"] != pos:
        sys.exit(f"source chunk starts at {c['first_sample']}, expected {pos}")
    pos += c["sample_count"]
if pos != b or len(chunks) != 4:
    sys.exit(f"{len(chunks)} source chunks cover #{a}..#{pos}, expected 4 covering #{a}..#{b}")
EOF
# The source chunks' bytes are the slice's audio.
python3 - "$STORE" s1.json >chunks.raw <<'EOF'
import json, sys
store = sys.argv[1]
for c in json.load(open(sys.argv[2]))["source_chunks"]:
    h = c["hash"].split(":")[1]
    data = open(f"{store}/cas/content/blake3/{h[:2]}/{h[2:4]}/{h}", "rb").read()
    off = c.get("byte_offset", 0)
    sys.stdout.buffer.write(data[off:off + 4 * c["sample_count"]])
EOF
pcm_same chunks.raw a.wav --raw-a 2:48000:i16

# A virtual slice with another tag, and its render.
slice_ok "$uri" --last 0.5s --virtual --tag take-2
v1=$SL_ART
ok reel render "$v1" --out r.wav >/dev/null
reel --json show "$v1" >v1.json
[[ $(json "d['parent']" v1.json) == "$def_art" ]] || fail "virtual slice parent: $(json "d['parent']" v1.json)"
[[ $(json "d['kind']" v1.json) == virtual-slice ]] || fail "virtual slice kind: $(json "d['kind']" v1.json)"
[[ $(json "len(d['source_chunks'])" v1.json) -ge 5 ]] || fail "0.5 s over 0.1 s chunks should name at least 5 chunks"
render_art=$(json "d['children'][0] if d['children'] else ''" v1.json)
[[ -n $render_art ]] || fail "the render is not a child of the virtual slice"
reel --json show "$render_art" >r.json
[[ $(json "d['parent']" r.json) == "$v1" ]] || fail "render parent: $(json "d['parent']" r.json)"
json "d['ancestors']" r.json | grep -q "\"$def_art\"" || fail "render ancestors do not reach the definition"
json "d['ancestors']" r.json | grep -q "\"$v1\"" || fail "render ancestors do not include the virtual slice"
[[ $(json "d['content_hash']" r.json) == "blake3:$(hash_of r.wav)" ]] || fail "render content_hash is not the file's b3sum"

# The definition lists both slices among its children.
reel --json show "$def_art" >def.json
kids=$(json "d['children']" def.json)
[[ $kids == *"\"$s1\""* && $kids == *"\"$v1\""* ]] || fail "definition children $kids lack $s1 or $v1"
[[ $(reel show "$def_art" | grep -c "$s1") -ge 1 ]] || fail "human show of the definition does not mention $s1"

# Tags filter.
ids() { reel --json artifacts "$@" | json "sorted(a['id'] for a in d)"; }
[[ $(ids --tag keep) == "[\"$s1\"]" ]] || fail "artifacts --tag keep: $(ids --tag keep)"
[[ $(ids --tag take-2) == "[\"$v1\"]" ]] || fail "artifacts --tag take-2: $(ids --tag take-2)"
[[ $(ids --tag keep --tag take-1) == "[\"$s1\"]" ]] || fail "artifacts --tag keep --tag take-1: $(ids --tag keep --tag take-1)"
[[ $(ids --tag no-such-tag) == "[]" ]] || fail "artifacts --tag no-such-tag: $(ids --tag no-such-tag)"
all=$(reel --json artifacts | json 'len(d)')
((all >= 4)) || fail "artifacts lists $all artifacts, expected definition, slice, virtual slice and render"
reel artifacts --tag keep | grep -q "$s1" || fail "human artifacts --tag keep does not list $s1"
[[ $(reel artifacts --tag keep | grep -c "$v1") == 0 ]] || fail "human artifacts --tag keep lists $v1"
# show by an unknown id fails cleanly.
expect_fail 1 reel show art-ffffffffffffffff

fsck_clean
pass
