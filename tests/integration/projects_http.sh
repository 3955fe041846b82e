#!/usr/bin/env bash
# projects_http.sh — projects, timelines and clips over HTTP against a running `reel serve`
# that plays a ramp file in real time (stream frame k holds k / 2^24, exact in f32), so a
# window of the recording says which frames it holds.
#
# - a project is built with POST /api/ops/... (tracks, timelines, markers, tempo, timeline
#   events, clips, split/join/trim/move/group, a nested timeline, take_place of a frame window
#   and of a "-2s".."-1s" window) and read back over GET /api/projects, /api/projects/{id}
#   (head and ?version=) and /api/projects/{id}/history: every edit's version, parent chain,
#   op and head; the REST routes' 404/405/400 answers;
# - a stale base is 409 "conflict"; bad input (unknown field, negative at, 1e400, a string at,
#   gain "loud", a split outside the clip, a join of non-contiguous clips, a nested timeline
#   containing itself, a clip of another project, a source or stream window that does not
#   exist) is 4xx with one line, and the head and the history stay as they were;
# - take placement against `reel slice`: the placed clip's source names a virtual slice and
#   its frames; `reel render SLICE` and `reel slice STREAM --from '#F' --to '#T'` write the same
#   bytes, and sox reads the ramp's frames F.. in order out of them;
# - undo/redo round trip over HTTP by hash: N undos give back the first version, N redos the
#   last, one more of either is refused and moves nothing;
# - the independent validator: every version of every project the run stored (each entry of
#   /history), fetched with ?version=, is valid against schemas/project.schema.json according
#   to Debian's python3-jsonschema (Draft202012Validator), at least 20 of them; and the
#   validator rejects corrupted copies (gain "loud", an unknown top-level field).
source "$(dirname "$0")/lib.sh"
need curl soxi cmp
[[ -n $REEL_SRC ]] || fail "set REEL_SRC to the source root (for schemas/project.schema.json)"
SCHEMA=$REEL_SRC/schemas/project.schema.json
[[ -f $SCHEMA ]] || fail "no $SCHEMA"
# Debian's python3 with its python3-jsonschema: the validator is not ours.
DEB_PY=/usr/bin/python3
[[ -x $DEB_PY ]] && $DEB_PY -c 'import jsonschema' 2>/dev/null ||
    fail "this test needs Debian's python3-jsonschema ($DEB_PY -c 'import jsonschema')"

RATE=48000
python3 - "$TMP/ramp.raw" <<'PY'
import struct, sys
n = 48000 * 60
open(sys.argv[1], "wb").write(struct.pack(f"<{n}f", *[k / 16777216 for k in range(n)]))
PY
sox -t f32 -r $RATE -c 1 "$TMP/ramp.raw" -e floating-point -b 32 "$TMP/ramp.wav"
rm -f "$TMP/ramp.raw"
[[ $(soxi -s "$TMP/ramp.wav") == 2880000 ]] || fail "sox made no 60 s ramp"

ok reel init >/dev/null
URI=stream://file/ramp
reel_bg "$TMP/serve.log" serve --source "file:$TMP/ramp.wav" --stream $URI --trigger off \
    --no-osc --listen 127.0.0.1:0
SERVE=$BG_PID
serve_ready "$TMP/serve.log" "$SERVE"
URL=$SERVE_URL

# The REST answers curl sees: status line and Allow header.
code=$(curl -s -o "$TMP/c.json" -w '%{http_code}' "$URL/api/projects")
[[ $code == 200 ]] || fail "GET /api/projects: $code $(cat "$TMP/c.json")"
[[ $(json "d['projects']" "$TMP/c.json") == '[]' ]] || fail "a fresh store lists projects: $(cat "$TMP/c.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$URL/api/projects")
[[ $code == 200 ]] || fail "HEAD /api/projects: $code"
code=$(curl -s -o "$TMP/c.json" -D "$TMP/c.hdr" -w '%{http_code}' -X POST "$URL/api/projects")
[[ $code == 405 ]] || fail "POST /api/projects: $code, want 405"
grep -qi '^Allow: GET, HEAD' "$TMP/c.hdr" || fail "POST /api/projects: no 'Allow: GET, HEAD': $(cat "$TMP/c.hdr")"

cat >"$TMP/drive.py" <<'PY'
import http.client, json, math, sys, time, urllib.parse
url, uri, out_path = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], sys.argv[3]
RATE = 48000
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
checks = 0

def fail(msg):
    sys.exit(f"FAIL: {msg}")

def request(method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    text = r.read()
    try:
        d = json.loads(text) if text else None
    except ValueError:
        fail(f"{method} {path}: {r.status}, not JSON: {text[:200]!r}")
    return r.status, dict(r.getheaders()), d

def get(path, want=200):
    st, _, d = request("GET", path)
    if st != want:
        fail(f"GET {path}: {st} {d}, want {want}")
    return d

def op(name, body, want=200):
    st, _, d = request("POST", "/api/ops/" + name, body)
    if st != want:
        fail(f"{name} {json.dumps(body)}: {st} {d}, want {want}")
    return d

def qp(s):
    return urllib.parse.quote(s, safe="")

spath = "/api/streams/" + qp(uri)
def wait_head(frames):
    end = time.monotonic() + 20
    while time.monotonic() < end:
        s = get(spath)
        if s.get("head_frame", 0) >= frames:
            return s
        time.sleep(0.05)
    fail(f"the stream did not reach frame {frames} within 20 s: {get(spath)}")

def head(p):
    return get("/api/projects/" + p)["version"]

def history(p):
    return get(f"/api/projects/{p}/history")

# ---- build a project, one edit at a time, each answered with its version -----------------
made = []  # (op, version) in order, from the replies
def edit(name, body, key=None):
    d = op(name, body)
    if d.get("project") != body["project"] or not d.get("version", "").startswith("blake3:"):
        fail(f"{name}: reply {d}")
    if made and made[-1][0] == body["project"] and d.get("parent") not in (None, made[-1][2]):
        fail(f"{name}: parent {d.get('parent')}, the head was {made[-1][2]}")
    made.append((body["project"], name, d["version"]))
    return d[key] if key else d

c = op("project_create", {"name": "songs", "rate": RATE, "seed": 7})
P, v0 = c["project"], c["version"]
made.append((P, "project_create", v0))
doc0 = get("/api/projects/" + P)["document"]
main_tl = doc0["timelines"][0]["id"]
t1 = edit("track_add", {"project": P, "name": "takes", "channels": 1}, "track")
t2 = edit("track_add", {"project": P, "name": "bus", "kind": "audio", "gain": 0.8, "pan": -0.25},
          "track")
edit("track_update", {"project": P, "track": t2, "mute": True, "name": "bus 2"})
tl2 = edit("timeline_add", {"project": P, "name": "verse", "timebase": "beats"}, "timeline")
edit("timeline_update", {"project": P, "timeline": tl2, "loop_from": 0, "loop_to": 8})
m1 = edit("marker_add", {"project": P, "name": "intro", "at": 0, "tags": ["start", "a"]},
          "marker")
m2 = edit("marker_add", {"project": P, "timeline": tl2, "name": "bar 2", "at": 4}, "marker")
edit("tempo_set", {"project": P, "tempo": [{"beat": 0, "bpm": 120, "num": 4, "den": 4},
                                           {"beat": 16, "bpm": 90, "num": 3, "den": 4},
                                           {"beat": 40, "bpm": 140, "num": 7, "den": 8}]})
e1 = edit("timeline_event_add", {"project": P, "at": 0, "type": "timeline_play"}, "event")
e2 = edit("timeline_event_add", {"project": P, "at": 2.5, "type": "audio_clip_param",
                                 "target": "gain", "payload": {"value": 0.5}}, "event")
edit("timeline_event_remove", {"project": P, "event": e2})

# Takes: a frame window once 3 s are recorded, and a "-2s".."-1s" window.
wait_head(3 * RATE)
tp = edit("take_place", {"project": P, "stream": uri, "from": "#48000", "to": "#96000",
                         "track": t1, "at": 16})
if (tp["from_frame"], tp["to_frame"]) != (48000, 96000):
    fail(f"take_place #48000..#96000 placed {tp['from_frame']}..{tp['to_frame']}")
clip1, slice1 = tp["clip"], tp["slice"]
tq = edit("take_place", {"project": P, "stream": uri, "from": "-2s", "to": "-1s",
                         "track": t1, "at": 20})
if tq["to_frame"] - tq["from_frame"] != RATE or tq["from_frame"] < RATE:
    fail(f"take_place -2s..-1s placed {tq['from_frame']}..{tq['to_frame']}")
clip2 = tq["clip"]
# A clip of the first take's slice, as an artifact source.
clip3 = edit("clip_add", {"project": P, "track": t2, "at": 40, "source": slice1, "start": 1000,
                          "end": 25000, "gain": 0.5, "fade_in": 100, "fade_out": 200}, "clip")
edit("clip_update", {"project": P, "clip": clip3, "pan": 0.5, "solo": True, "pitch": -2.0})
halves = edit("clip_split", {"project": P, "clip": clip1, "at": 16.25}, "clips")
if halves[0] != clip1 or len(halves) != 2:
    fail(f"clip_split answered {halves}")
edit("clip_join", {"project": P, "clips": [halves[1], clip1]})
edit("clip_trim", {"project": P, "clip": clip2, "start": 480, "end": 47520})
edit("clip_move", {"project": P, "clip": clip2, "at": 22.5, "track": t2})
edit("clip_group", {"project": P, "clips": [clip1, clip3]})
nest = edit("clip_add", {"project": P, "track": t2, "at": 60, "kind": "timeline",
                         "nested": tl2, "start_marker": m2}, "clip")
edit("marker_remove", {"project": P, "marker": m1})
mine = [m for m in made if m[0] == P]
checks += len(mine)

# ---- read it back ---------------------------------------------------------------------------
lst = get("/api/projects")["projects"]
row = [r for r in lst if r["project"] == P]
if len(row) != 1 or row[0]["head"] != mine[-1][2] or row[0]["name"] != "songs":
    fail(f"GET /api/projects: {lst}, want {P} at {mine[-1][2]}")
g = get("/api/projects/" + P)
if g["version"] != mine[-1][2] or g["head"] is not True or g["project"] != P:
    fail(f"GET /api/projects/{P}: version {g['version']} head {g['head']}")
doc = g["document"]
tls = {t["id"]: t for t in doc["timelines"]}
clips = {c["id"]: c for t in doc["timelines"] for c in t["clips"]}
tracks = {t["id"]: t for t in doc["tracks"]}
want_tracks = {t1, t2}
if set(tracks) != want_tracks or tracks[t2]["name"] != "bus 2" or tracks[t2].get("mute") is not True:
    fail(f"tracks: {doc['tracks']}")
if set(tls) != {main_tl, tl2} or tls[tl2]["timebase"] != "beats" or \
        tls[tl2].get("loop") != {"from": 0, "to": 8}:
    fail(f"timelines: {[{k: t[k] for k in t if k != 'clips'} for t in doc['timelines']]}")
if [m["id"] for m in tls[tl2]["markers"]] != [m2] or tls[main_tl]["markers"]:
    fail(f"markers: {tls[main_tl]['markers']} {tls[tl2]['markers']}")
if [e["id"] for e in tls[main_tl]["events"]] != [e1]:
    fail(f"events: {tls[main_tl]['events']}")
if [s["bpm"] for s in doc["tempo"]] != [120, 90, 140]:
    fail(f"tempo: {doc['tempo']}")
if set(clips) != {clip1, clip2, clip3, nest}:
    fail(f"clips: {sorted(clips)}, want {sorted([clip1, clip2, clip3, nest])}")
c1, c2, c3, cn = clips[clip1], clips[clip2], clips[clip3], clips[nest]
src = c1["source"]
if src.get("slice") != slice1 or (src.get("from"), src.get("to")) != (48000, 96000) or \
        src.get("stream") != uri or (c1["start"], c1["end"], c1["at"]) != (0, 48000, 16):
    fail(f"the placed take after split+join: {c1}")
if (c2["start"], c2["end"], c2["at"], c2["track"]) != (480, 47520, 22.5, t2):
    fail(f"trimmed and moved clip: {c2}")
if c3["source"].get("artifact") != slice1 or c3.get("gain") != 0.5 or c3.get("pan") != 0.5 or \
        c1.get("group") is None or c1.get("group") != c3.get("group"):
    fail(f"clip of the slice / group: {c3} {c1}")
if cn["kind"] != "timeline" or cn.get("timeline") != tl2 or cn.get("start_marker") != m2:
    fail(f"nested clip: {cn}")

h = history(P)
vs = h["versions"]
if [v["version"] for v in vs] != [m[2] for m in mine] or [v["op"] for v in vs] != [m[1] for m in mine]:
    fail(f"history: {[(v['op'], v['version'][:16]) for v in vs]}, want {[(m[1], m[2][:16]) for m in mine]}")
for a, b in zip(vs, vs[1:]):
    if b["parent"] != a["version"]:
        fail(f"history: {b['version']} has parent {b['parent']}, want {a['version']}")
if vs[0]["parent"] is not None or [v["head"] for v in vs] != [False] * (len(vs) - 1) + [True] or \
        h["head"] != vs[-1]["version"] or h["redo"] != []:
    fail(f"history heads: {h}")
old = get(f"/api/projects/{P}?version={qp(v0)}")
if old["version"] != v0 or old["head"] is not False or old["document"]["tracks"]:
    fail(f"?version=v0: {old}")
# The routes' own refusals.
for path, want, code in [
        ("/api/projects/prj-0000000000000000", 404, "not_found"),
        ("/api/projects/prj-0000000000000000/history", 404, "not_found"),
        (f"/api/projects/{P}/clips", 404, "unknown_route"),
        (f"/api/projects/{P}?version=" + qp("blake3:" + "0" * 64), 404, "not_found"),
        (f"/api/projects/{P}?version=short", 400, "invalid_argument"),
        (f"/api/projects/{P}?colour=red", 400, "bad_query"),
        ("/api/projects/prj%2F1", 400, "bad_id"),
        ("/api/projects/prj%201/history", 400, "bad_id")]:
    d = get(path, want)
    if d["error"]["code"] != code or "\n" in d["error"]["message"]:
        fail(f"GET {path}: {d}, want code {code}")
    checks += 1
for method, path in [("PUT", "/api/projects/" + P), ("DELETE", f"/api/projects/{P}/history")]:
    st, hd, d = request(method, path)
    if st != 405 or hd.get("Allow") != "GET, HEAD":
        fail(f"{method} {path}: {st} {hd.get('Allow')}")
    checks += 1

# ---- a stale base, and bad input: refused, nothing changed -----------------------------------
Q = op("project_create", {"name": "other"})["project"]
made.append((Q, "project_create", head(Q)))
tq1 = edit("track_add", {"project": Q}, "track")
qclip = edit("clip_add", {"project": Q, "track": tq1, "at": 1, "source": slice1}, "clip")

def refused(name, body=None, raw=None, want=None, needle=None):
    global checks
    before, hist = head(P), len(history(P)["versions"])
    st, _, d = request("POST", "/api/ops/" + name, body, raw)
    err = (d or {}).get("error", {})
    msg = err.get("message", "")
    what = raw if raw is not None else json.dumps(body)
    if not (400 <= st < 500) or (want and st != want) or not msg or "\n" in msg:
        fail(f"{name} {what}: {st} {d}, want {want or '4xx'} with one line")
    if needle and needle not in msg:
        fail(f"{name} {what}: message {msg!r} does not name {needle!r}")
    if head(P) != before or len(history(P)["versions"]) != hist:
        fail(f"{name} {what}: the refused edit moved the head or grew the history")
    print(f"refused {name}: {st} {err.get('code')}: {msg}")
    checks += 1
    return err

stale = mine[-2][2]
e = refused("track_add", {"project": P, "base": stale}, want=409)
if e["code"] != "conflict":
    fail(f"stale base: code {e['code']}, want conflict")
refused("track_add", {"project": P, "colour": 3}, want=400, needle="colour")
refused("clip_move", {"project": P, "clip": clip2, "at": -1}, want=400)
refused("clip_move", raw='{"project": "%s", "clip": "%s", "at": 1e400}' % (P, clip2), want=400)
refused("clip_move", raw='{"project": "%s", "clip": "%s", "at": NaN}' % (P, clip2), want=400)
refused("clip_move", raw='{"project": "%s", "clip": "%s", "at": -Infinity}' % (P, clip2),
        want=400)
refused("clip_move", {"project": P, "clip": clip2, "at": "3"}, want=400)
refused("clip_move", {"project": P, "clip": clip2, "at": 2e11}, want=400, needle="2^53")
refused("clip_update", {"project": P, "clip": clip3, "gain": "loud"}, want=400, needle="gain")
refused("clip_trim", {"project": P, "clip": clip2, "start": 500, "end": 400}, want=400)
refused("clip_split", {"project": P, "clip": clip1, "at": 100})
refused("clip_split", {"project": P, "clip": clip1, "at": 16})
# Two clips alike in all but contiguity: frames 0..1000 at 50 s, 5000..6000 at 52 s.
ja = edit("clip_add", {"project": P, "track": t1, "at": 50, "source": slice1, "start": 0,
                       "end": 1000}, "clip")
jb = edit("clip_add", {"project": P, "track": t1, "at": 52, "source": slice1, "start": 5000,
                       "end": 6000}, "clip")
refused("clip_join", {"project": P, "clips": [ja, jb]}, needle="contiguous")
refused("clip_join", {"project": P, "clips": [clip1, clip3]}, needle="cannot be joined")
refused("clip_add", {"project": P, "track": t2, "at": 1, "kind": "timeline",
                     "nested": main_tl}, needle="contains itself")
refused("clip_add", {"project": P, "timeline": tl2, "track": t2, "at": 1, "kind": "timeline",
                     "nested": main_tl}, needle="contains itself")
refused("clip_move", {"project": P, "clip": qclip, "at": 2}, needle="another project")
refused("clip_add", {"project": P, "track": t2, "at": 1, "source": "art-0000000000000000"})
refused("take_place", {"project": P, "stream": uri, "from": "#0", "to": "#999999999999",
                       "track": t1, "at": 0})
refused("take_place", {"project": P, "stream": "stream://file/none", "from": "#0",
                       "to": "#10", "track": t1, "at": 0})
refused("take_place", {"project": P, "stream": uri, "from": "#96000", "to": "#48000",
                       "track": t1, "at": 0})
refused("project_undo", {"project": P, "base": stale}, want=409)

# ---- undo/redo round trip by hash ----------------------------------------------------------
R = op("project_create", {"name": "undo"})["project"]
first = head(R)
made.append((R, "project_create", first))
rt = edit("track_add", {"project": R}, "track")
for i in range(11):
    if i % 3 == 0:
        edit("marker_add", {"project": R, "at": i, "name": f"m{i}"})
    elif i % 3 == 1:
        edit("track_update", {"project": R, "track": rt, "gain": 0.1 * i})
    else:
        edit("timeline_event_add", {"project": R, "at": i, "type": "timeline_seek",
                                    "payload": {"to": i}})
rv = [m[2] for m in made if m[0] == R]
N = len(rv) - 1
for i in range(N):
    d = op("project_undo", {"project": R})
    if d["version"] != rv[N - 1 - i]:
        fail(f"undo {i + 1}: {d['version']}, want {rv[N - 1 - i]}")
if head(R) != first:
    fail(f"{N} undos: head {head(R)}, want the first version {first}")
st, _, d = request("POST", "/api/ops/project_undo", {"project": R})
if not (400 <= st < 500) or head(R) != first:
    fail(f"undo past the first version: {st} {d}, head {head(R)}")
if len(history(R)["redo"]) != N:
    fail(f"redo stack {history(R)['redo']}, want {N} versions")
for i in range(N):
    d = op("project_redo", {"project": R})
    if d["version"] != rv[i + 1]:
        fail(f"redo {i + 1}: {d['version']}, want {rv[i + 1]}")
if head(R) != rv[-1]:
    fail(f"{N} redos: head {head(R)}, want the last version {rv[-1]}")
st, _, d = request("POST", "/api/ops/project_redo", {"project": R})
if not (400 <= st < 500) or head(R) != rv[-1]:
    fail(f"redo past the last version: {st} {d}, head {head(R)}")
# Undo then a new edit: the redo branch leaves the head but stays in history.
op("project_undo", {"project": R})
op("project_undo", {"project": R})
nv = op("track_add", {"project": R})["version"]
hr = history(R)
if hr["redo"] != [] or hr["head"] != nv or not {rv[-1], rv[-2]} <= {v["version"] for v in hr["versions"]}:
    fail(f"an edit after undo: {hr}")
checks += 2 * N + 3

# ---- every version the run stored, for the validator ---------------------------------------
docs = []
for r in get("/api/projects")["projects"]:
    for v in history(r["project"])["versions"]:
        g = get(f"/api/projects/{r['project']}?version={qp(v['version'])}")
        if g["version"] != v["version"]:
            fail(f"?version={v['version']} answered {g['version']}")
        docs.append({"project": r["project"], "version": v["version"], "document": g["document"]})
json.dump({"take": {"slice": slice1, "from": src["from"], "to": src["to"],
                    "frames": src.get("frames")},
           "versions": docs}, open(out_path, "w"))
print(f"{checks} checks over HTTP, {len(docs)} versions fetched")
PY
python3 "$TMP/drive.py" "$URL" $URI "$TMP/run.json" >"$TMP/drive.out" 2>&1 ||
    fail "$(grep -m1 FAIL "$TMP/drive.out" || tail -c 600 "$TMP/drive.out")"
cat "$TMP/drive.out"

# ---- take placement against reel slice ----------------------------------------------------
read -r SLICE F T FR < <(json "' '.join(str(d['take'][k]) for k in ('slice', 'from', 'to', 'frames'))" "$TMP/run.json")
[[ $F == 48000 && $T == 96000 && $FR == 48000 ]] || fail "the placed take names $SLICE $F..$T ($FR frames)"
ok reel render "$SLICE" --out "$TMP/a.wav" >/dev/null
ok reel slice $URI --from "#$F" --to "#$T" --out "$TMP/b.wav" >/dev/null
cmp -s "$TMP/a.wav" "$TMP/b.wav" || fail "reel render $SLICE and reel slice #$F..#$T differ"
[[ $(soxi -s "$TMP/a.wav") == $((T - F)) ]] || fail "the placed take has $(soxi -s "$TMP/a.wav") frames, want $((T - F))"
sox "$TMP/a.wav" -t f32 "$TMP/a.raw"
python3 - "$TMP/a.raw" "$F" <<'PY' || fail "the placed take does not hold the ramp's frames from $F"
import struct, sys
x = open(sys.argv[1], "rb").read()
v = struct.unpack(f"<{len(x) // 4}f", x)
f0 = int(sys.argv[2])
bad = [i for i, s in enumerate(v) if round(s * 16777216) != f0 + i]
if bad:
    sys.exit(f"frame {bad[0]} holds {v[bad[0]] * 16777216}, want {f0 + bad[0]}")
PY
echo "take placement: $SLICE renders frames $F..$T, byte-identical to reel slice"

# ---- the independent validator -------------------------------------------------------------
cat >"$TMP/validate.py" <<'PY'
import copy, json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
run = json.load(open(sys.argv[2]))
bad = 0
for e in run["versions"]:
    errs = list(v.iter_errors(e["document"]))
    if errs:
        bad += 1
        print(f"{e['project']} {e['version']}: {errs[0].message} at {list(errs[0].path)}")
n = len(run["versions"])
if bad or n < 20:
    sys.exit(f"{bad} of {n} versions invalid (at least 20 must be checked)")
# The validator can fail: corrupted copies of a stored version are rejected.
doc = next(e["document"] for e in reversed(run["versions"])
           if any(t["clips"] for t in e["document"]["timelines"]))
loud = copy.deepcopy(doc)
next(t for t in loud["timelines"] if t["clips"])["clips"][0]["gain"] = "loud"
extra = copy.deepcopy(doc)
extra["colour"] = "red"
neg = copy.deepcopy(doc)
next(t for t in neg["timelines"] if t["clips"])["clips"][0]["at"] = -1
for what, d in [("gain loud", loud), ("unknown field", extra), ("negative at", neg)]:
    if v.is_valid(d):
        sys.exit(f"the validator accepted a corrupted copy ({what})")
print(f"{n} versions valid (python3-jsonschema, Draft 2020-12); 3 corrupted copies rejected")
PY
$DEB_PY "$TMP/validate.py" "$SCHEMA" "$TMP/run.json" >"$TMP/validate.out" 2>&1 ||
    fail "validator: $(tail -c 600 "$TMP/validate.out")"
cat "$TMP/validate.out"

kill -TERM "$SERVE"
wait_bg "$SERVE"
pass
