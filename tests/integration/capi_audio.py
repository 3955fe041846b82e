#!/usr/bin/env python3
"""capi_audio.py — the reel_audio_ functions of include/reel.h through
libreel.so from ctypes, against the private `jackd -d dummy` capi_audio.sh
started (JACK_DEFAULT_SERVER names it).

Run by capi_audio.sh: argv = LIBREEL_SO STORE_DIR TONE_WAV FRAMES RATE JACK_SERVER.

What it checks:
  - Before reel_audio_init every function that needs a project fails with
    REEL_ESTATE and the last error says to call reel_audio_init.
  - reel_audio_init creates a project ({"name", "rate"}) and binds an
    existing one ({"project"}); reel_audio_load_file imports the sox-made
    WAV (its frames are what soxi counted); a track (reel_call track_add),
    reel_audio_add_clip, reel_audio_update_clip, reel_audio_set_tempo(_segments),
    reel_audio_set_routing_graph / update_routing, load_action_clip and
    remove_clip each make a new head version, which get_state_json shows.
  - reel_audio_update_routing while playing makes a new head and the
    transport keeps its version until reel_audio_play swaps the new one in.
  - reel_audio_play plays to system:playback_1 (jack_lsp, an oracle outside
    libreel, sees the connection); get_state_json shows the position
    advancing (bounded wait); reel_audio_seek moves it to the frame of the
    position; reel_audio_stop stops it (playing false, and the position no
    longer moves over the next 0.2 s).
  - 4 threads at once on one context (state reads, failing calls, last
    error reads) all get what they should.
  - Every error path: malformed JSON, non-objects, NULL pointers, NaN and
    negative numbers, arguments outside the op's schema, another project's
    id, unknown clip/project ids, recording without a serve, the unsupported
    schedule_action (REEL_ESTATE, "not supported yet"): a non-zero code, the error JSON,
    one last-error line naming the function and the problem, and the head
    version unchanged.
"""
import ctypes
import json
import os
import re
import subprocess
import sys
import threading
import time

LIB, STORE, TONE, FRAMES, RATE, SRV = sys.argv[1:7]
FRAMES, RATE = int(FRAMES), int(RATE)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

REEL_OK, REEL_EINVAL, REEL_ENOENT, REEL_ESTATE = 0, -1, -2, -10
REEL_OPEN_CREATE = 1


def fail(msg):
    print("FAIL capi_audio: " + msg, file=sys.stderr)
    sys.exit(1)


lib = ctypes.CDLL(LIB)
vp, cp, ci, cd = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_double
P = ctypes.POINTER(vp)
lib.reel_open.argtypes = [P, cp, ctypes.c_uint, P]
lib.reel_call.argtypes = [vp, cp, cp, P]
lib.reel_free.argtypes = [vp]
lib.reel_free.restype = None
lib.reel_close.argtypes = [vp]
lib.reel_close.restype = None
SIGS = {
    "init": [vp, cp, P],
    "shutdown": [vp],
    "set_tempo": [vp, cd, P],
    "set_tempo_segments": [vp, cp, P],
    "play": [vp, cp, P],
    "stop": [vp, P],
    "seek": [vp, cd, P],
    "load_file": [vp, cp, P],
    "add_clip": [vp, cp, P],
    "remove_clip": [vp, cp, P],
    "update_clip": [vp, cp, cp, P],
    "set_routing_graph": [vp, cp, P],
    "update_routing": [vp, cp, P],
    "start_record": [vp, cp, P],
    "stop_record": [vp, cp, P],
    "schedule_action": [vp, cp, P],
    "load_action_clip": [vp, cp, P],
    "get_state_json": [vp, P],
}
for name, argtypes in SIGS.items():
    f = getattr(lib, "reel_audio_" + name)
    f.argtypes = argtypes
    f.restype = ci
lib.reel_audio_get_last_error.argtypes = [vp]
lib.reel_audio_get_last_error.restype = cp


def take_string(p):
    if not p.value:
        return None
    s = ctypes.string_at(p.value).decode("utf-8")
    lib.reel_free(p)
    return s


def enc(a):
    if a is None or isinstance(a, (bytes, float, int)):
        return a
    if isinstance(a, str):
        return a.encode()
    return json.dumps(a).encode()


def audio(ctx, name, *args, want_result=True):
    """reel_audio_NAME(ctx, *args, &result): (rc, parsed result or None)."""
    out = vp()
    fn = getattr(lib, "reel_audio_" + name)
    conv = [cd(a) if t is cd else enc(a) for a, t in zip(args, SIGS[name][1:])]
    rc = fn(ctx, *conv, ctypes.byref(out) if want_result else None)
    text = take_string(out)
    if want_result and text is None:
        fail("reel_audio_%s rc %d left no result" % (name, rc))
    doc = json.loads(text) if text is not None else None
    if rc == REEL_OK and isinstance(doc, dict) and list(doc) == ["error"]:
        fail("reel_audio_%s returned 0 with an error: %s" % (name, text))
    return rc, doc


def ok(ctx, name, *args):
    rc, doc = audio(ctx, name, *args)
    if rc != REEL_OK:
        fail("reel_audio_%s%r failed %d: %s (last error: %s)" %
             (name, args, rc, json.dumps(doc), last_error(ctx)))
    return doc


def last_error(ctx):
    s = lib.reel_audio_get_last_error(ctx)
    return s.decode() if s is not None else None


def head(ctx):
    return ok(ctx, "get_state_json")["head"]


def expect(ctx, name, *args, rc_want=REEL_EINVAL, msg_re, unchanged=True):
    """An error path: the code, the error JSON, one last-error line naming the function and
    matching msg_re, and (when a project is bound) the head unchanged."""
    before = head(ctx) if unchanged else None
    rc, doc = audio(ctx, name, *args)
    what = "reel_audio_%s%r" % (name, args)
    if (rc != rc_want) if rc_want is not None else rc >= 0:
        fail("%s: rc %d, expected %d: %s" % (what, rc, rc_want, json.dumps(doc)))
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict) or not err.get("code") or not err.get("message"):
        fail("%s: not the error JSON: %s" % (what, doc))
    line = last_error(ctx)
    if not line or "\n" in line or not line.startswith("reel_audio_%s: " % name):
        fail("%s: last error is not one line naming the function: %r" % (what, line))
    if not re.search(msg_re, line):
        fail("%s: last error %r does not match %r" % (what, line, msg_re))
    # the same without a result pointer: the code and the line still come (get_state_json
    # needs its pointer: checked on its own below)
    rc2, _ = audio(ctx, name, *args, want_result=False) if name != "get_state_json" else (rc, 0)
    if rc2 != rc or not re.search(msg_re, last_error(ctx)):
        fail("%s with json_result NULL: rc %d, last error %r" % (what, rc2, last_error(ctx)))
    if unchanged and head(ctx) != before:
        fail("%s changed the project: head %s -> %s" % (what, before, head(ctx)))
    print("ok error %-18s %s" % (name, line[:110]))


def jack_connections(port):
    p = subprocess.run(["jack_lsp", "-s", SRV, "-c", port], capture_output=True, text=True,
                       env=CHILD_ENV, timeout=10)
    return [l.strip() for l in p.stdout.splitlines()[1:] if l.startswith("   ")]


def until(**wait):
    """The state once the transport reached what op transport_state waits for (until_frame:
    playing at or past a frame; until_periods: the device ran the player that many periods),
    which it bounds itself (10 s)."""
    reel_call_ok("transport_state", wait)
    return ok(ctx, "get_state_json")


ctx = vp()
err = vp()
if lib.reel_open(ctypes.byref(ctx), STORE.encode(), REEL_OPEN_CREATE, ctypes.byref(err)):
    fail("reel_open: %s" % take_string(err))

# ---- NULL context, and everything before reel_audio_init
rc = lib.reel_audio_play(None, None, None)
if rc != REEL_EINVAL:
    fail("reel_audio_play(NULL ctx) rc %d" % rc)
if "ctx is NULL" not in lib.reel_audio_get_last_error(None).decode():
    fail("get_last_error(NULL)")
if last_error(ctx) != "":
    fail("a new context's last error is %r" % last_error(ctx))
for name, args in [("play", (None,)), ("stop", ()), ("seek", (1.0,)),
                   ("set_tempo", (120.0,)), ("add_clip", ('{"track": "t1", "at": 0}',)),
                   ("set_routing_graph", ('{"nodes": []}',)), ("get_state_json", ())]:
    expect(ctx, name, *args, rc_want=REEL_ESTATE, msg_re="call reel_audio_init first",
           unchanged=False)
if lib.reel_audio_shutdown(ctx) != REEL_OK:
    fail("shutdown of an unbound context")

# ---- init: error paths, then create
expect(ctx, "init", '{"name": ', msg_re="malformed JSON", unchanged=False)
expect(ctx, "init", '[1]', msg_re="a JSON object is expected", unchanged=False)
expect(ctx, "init", None, msg_re="the project is missing", unchanged=False)
expect(ctx, "init", '{"project": "p-nosuch"}', rc_want=REEL_ENOENT, msg_re="p-nosuch",
       unchanged=False)
expect(ctx, "init", '{"project": "x", "name": "y"}', msg_re="takes nothing else",
       unchanged=False)
expect(ctx, "init", '{"rate": "fast"}', msg_re="rate", unchanged=False)
bound = ok(ctx, "init", {"name": "capi", "rate": RATE})
PROJ = bound["project"]
if not bound["created"] or bound["name"] != "capi" or not bound["head"].startswith("blake3:"):
    fail("init result: %s" % bound)
st = ok(ctx, "get_state_json")
if st["project"] != PROJ or st["head"] != bound["head"] or st["transport"]["playing"]:
    fail("state after init: %s" % st)

# bind again (an existing project): the same head
again = ok(ctx, "init", {"project": PROJ})
if again["project"] != PROJ or again["created"] or again["head"] != bound["head"]:
    fail("init of an existing project: %s" % again)

# ---- load_file: the artifact has the frames soxi counted
expect(ctx, "load_file", None, msg_re="path is NULL")
rc, doc = audio(ctx, "load_file", "/nonexistent/x.wav")
if rc == REEL_OK or "x.wav" not in last_error(ctx):
    fail("load_file of a missing file: rc %d, %r" % (rc, last_error(ctx)))
imp = ok(ctx, "load_file", TONE)
ART = imp.get("artifact")
if not ART:
    fail("load_file result has no artifact: %s" % imp)
out = vp()
if lib.reel_call(ctx, b"artifact_get", json.dumps({"id": ART}).encode(),
                 ctypes.byref(out)):
    fail("artifact_get: %s" % take_string(out))
artd = json.loads(take_string(out))
frames = artd.get("frames", artd.get("meta", {}).get("frames"))
if frames != FRAMES:
    fail("imported artifact frames %r, soxi says %d: %s" % (frames, FRAMES, json.dumps(artd)[:400]))


def reel_call_ok(op, args):
    out = vp()
    rc = lib.reel_call(ctx, op.encode(), json.dumps(args).encode(), ctypes.byref(out))
    text = take_string(out)
    if rc:
        fail("reel_call %s: %s" % (op, text))
    return json.loads(text)


TRACK = reel_call_ok("track_add", {"project": PROJ, "channels": 1})["track"]

# ---- clips
expect(ctx, "add_clip", '{"track": ', msg_re="the clip: malformed JSON")
expect(ctx, "add_clip", None, msg_re="the clip is missing")
expect(ctx, "add_clip", {"track": TRACK, "at": 0, "source": ART, "project": "p-other"},
       msg_re="another project")
expect(ctx, "add_clip", {"track": TRACK, "at": -1, "source": ART}, msg_re="at")
expect(ctx, "add_clip", {"track": "t-nosuch", "at": 0, "source": ART}, rc_want=REEL_EINVAL,
       msg_re="t-nosuch")
added = ok(ctx, "add_clip", {"track": TRACK, "at": 0, "source": ART})
CLIP = added.get("clip")
if not CLIP or head(ctx) != added.get("version"):
    fail("add_clip result %s, head %s" % (added, head(ctx)))
expect(ctx, "update_clip", CLIP, '{"gain": }', msg_re="the changes: malformed JSON")
expect(ctx, "update_clip", CLIP, {"gain": 99}, msg_re="gain")
expect(ctx, "update_clip", CLIP, {"clip": "c-other", "gain": 0.5}, msg_re="not clip_id")
expect(ctx, "update_clip", None, {"gain": 0.5}, msg_re="clip")
expect(ctx, "update_clip", "c-nosuch", {"gain": 0.5}, rc_want=None, msg_re="c-nosuch")
upd = ok(ctx, "update_clip", CLIP, {"gain": 0.8})
if head(ctx) != upd.get("version"):
    fail("update_clip: %s" % upd)
upd2 = ok(ctx, "update_clip", None, {"clip": CLIP, "pan": 0.0})

# an action clip, then removed; the unsupported functions
expect(ctx, "load_action_clip", {"track": TRACK, "at": 1, "kind": "audio"},
       msg_re='"kind" must be "action"')
act = ok(ctx, "load_action_clip", {"track": TRACK, "at": 0.5, "length": 0.25, "events": [
    {"at": 0.1, "type": "script", "target": "t", "payload": {}}]})
ACLIP = act.get("clip")
expect(ctx, "remove_clip", None, msg_re="clip_id is NULL")
expect(ctx, "remove_clip", "c-nosuch", rc_want=None, msg_re="c-nosuch")
ok(ctx, "remove_clip", ACLIP)
expect(ctx, "start_record", '{}', msg_re="track|stream")
expect(ctx, "stop_record", "r1", rc_want=REEL_ESTATE, msg_re="nothing is loaded|not recording|reel serve")
expect(ctx, "schedule_action", '{"at": 1}', rc_want=REEL_ESTATE, msg_re="not supported yet")

# ---- tempo
for bad in (float("nan"), -1.0, 0.0, float("inf")):
    expect(ctx, "set_tempo", bad, msg_re="bpm must be a positive number")
expect(ctx, "set_tempo", 5000.0, msg_re="bpm")  # over the schema's 1000
ok(ctx, "set_tempo", 90.0)


def doc_tempo():
    return reel_call_ok("project_get", {"project": PROJ})["document"]["tempo"]


if doc_tempo() != [{"beat": 0, "bpm": 90.0, "num": 4, "den": 4}]:
    fail("set_tempo(90): the document's tempo is %s" % doc_tempo())
expect(ctx, "set_tempo_segments", "[{", msg_re="the segments: malformed JSON")
expect(ctx, "set_tempo_segments", "{}", msg_re="a JSON array")
expect(ctx, "set_tempo_segments", None, msg_re="segments_json is NULL")
expect(ctx, "set_tempo_segments", '[{"beat": 0, "bpm": 0, "num": 4, "den": 4}]', msg_re="bpm")
segs = [{"beat": 0, "bpm": 120, "num": 3, "den": 4}, {"beat": 9, "bpm": 100, "num": 3, "den": 4}]
ok(ctx, "set_tempo_segments", segs)
if [(s["beat"], s["bpm"], s["num"]) for s in doc_tempo()] != [(0, 120, 3), (9, 100, 3)]:
    fail("set_tempo_segments: the document's tempo is %s" % doc_tempo())
ok(ctx, "set_tempo", 120.0)  # keeps the meter 3/4
if doc_tempo() != [{"beat": 0, "bpm": 120.0, "num": 3, "den": 4}]:
    fail("set_tempo keeps the meter: %s" % doc_tempo())

# ---- routing
GRAPH = {"nodes": [{"id": "a", "kind": "track", "track": TRACK},
                   {"id": "out", "kind": "output", "channels": 1}],
         "connections": [{"from": "a", "to": "out"}]}
expect(ctx, "set_routing_graph", '{"nodes": [', msg_re="the graph: malformed JSON")
expect(ctx, "set_routing_graph", '"x"', msg_re="a JSON object is expected")
expect(ctx, "set_routing_graph", {"nodes": [{"id": "z", "kind": "nosuch"}], "connections": []},
       msg_re="nosuch|kind")
g = ok(ctx, "set_routing_graph", GRAPH)
GRAPH2 = dict(GRAPH, nodes=[GRAPH["nodes"][0], {"id": "bus", "kind": "bus", "channels": 1,
                                                 "gain": 0.5}, GRAPH["nodes"][1]],
              connections=[{"from": "a", "to": "bus"}, {"from": "bus", "to": "out"}])
expect(ctx, "update_routing", '{', msg_re="the update: malformed JSON")
ok(ctx, "update_routing", GRAPH2)
if reel_call_ok("project_get", {"project": PROJ})["document"]["graph"]["nodes"][1]["id"] != "bus":
    fail("update_routing did not replace the graph")

# ---- transport
expect(ctx, "seek", 0.5, rc_want=REEL_ESTATE, msg_re="nothing is loaded")
expect(ctx, "play", '{"from": ', msg_re="the options: malformed JSON")
expect(ctx, "play", {"from": -2}, msg_re="from")
expect(ctx, "play", {"project": "p-other"}, msg_re="another project")
rc, doc = audio(ctx, "play", {"ports": ["nosuch:port_1"]})
if rc == REEL_OK or "nosuch:port_1" not in last_error(ctx):
    fail("play to a missing JACK port: rc %d, %r" % (rc, last_error(ctx)))
ok(ctx, "stop")
played = ok(ctx, "play", {"from": 0, "ports": ["system:playback_1"]})
if not played["playing"] or played["project"] != PROJ:
    fail("play result: %s" % played)
outs = played["output_ports"]
if len(outs) != 1 or "system:playback_1" not in jack_connections(outs[0]):
    fail("jack_lsp: %s is connected to %s" % (outs, jack_connections(outs[0]) if outs else None))
t0 = time.monotonic()
st1 = until(until_frame=1)
p1 = st1["transport"]["position_frame"]
st2 = until(until_frame=p1 + 4096)
dt = time.monotonic() - t0
adv = st2["transport"]["position_frame"]
print("ok play: position %d -> %d frames in %.3f s of wall clock (jackd dummy at %d Hz)"
      % (p1, adv, dt, RATE))
if st2["transport"]["version"] != st2["head"]:
    fail("the transport plays %s, the head is %s" % (st2["transport"]["version"], st2["head"]))

# update_routing while playing: a new head, the transport keeps its version until played again
playing_version = st2["transport"]["version"]
GRAPH3 = dict(GRAPH2, nodes=[GRAPH["nodes"][0], {"id": "bus", "kind": "bus", "channels": 1,
                                                  "gain": 0.25}, GRAPH["nodes"][1]])
ok(ctx, "update_routing", GRAPH3)
st3 = ok(ctx, "get_state_json")
if st3["head"] == playing_version or st3["transport"]["version"] != playing_version:
    fail("update_routing while playing: %s" % json.dumps(st3)[:400])
ok(ctx, "play", {"ports": ["system:playback_1"]})
st4 = ok(ctx, "get_state_json")  # the play swapped the new version in before it answered
if st4["transport"]["version"] != st4["head"] or not st4["transport"]["playing"]:
    fail("the new graph is not playing: %s" % json.dumps(st4)[:400])
# A parameter in place (node_param_set): no new version, the same plan playing.
head_before = ok(ctx, "get_state_json")["head"]
pv = ok(ctx, "update_routing", {"node": "bus", "param": "gain", "value": 0.5})
if pv.get("value") != 0.5 or ok(ctx, "get_state_json")["head"] != head_before:
    fail("update_routing of a parameter: %s" % pv)
expect(ctx, "update_routing", {"node": "bus", "param": "gain", "value": 99},
       rc_want=None, msg_re="out of range")
# Recording needs a serve recording the stream: refused with the reason.
expect(ctx, "start_record", {"track": TRACK, "stream": "stream://nope/x"}, rc_want=None,
       msg_re="reel serve|not recording|no stream")

for bad in (float("nan"), -0.5):
    expect(ctx, "seek", bad, msg_re="the position must be a number")
sk = ok(ctx, "seek", 0.5)
if sk["position_frame"] != RATE // 2:
    fail("seek(0.5) at %d Hz: position_frame %s" % (RATE, sk["position_frame"]))
# The state shows the seek at once (the player takes it at its next period), then plays on.
st5 = until(until_frame=RATE // 2)
if not RATE // 2 <= st5["transport"]["position_frame"] < RATE // 2 + RATE // 4:
    fail("the seek to frame %d: %s" % (RATE // 2, st5["transport"]))
stopped = ok(ctx, "stop")
if stopped["playing"]:
    fail("stop: %s" % stopped)
# Stopped: the callback may finish the period it is in (two periods later it has), then the
# position does not move over the next 37 periods the device runs.
s_a = until(until_periods=stopped["device_periods"] + 2)["transport"]
s_b = until(until_periods=s_a["device_periods"] + 37)["transport"]
if s_b["position_frame"] != s_a["position_frame"] or s_a["playing"] or s_b["playing"]:
    fail("the position moved after stop: %s -> %s" % (s_a, s_b))
if not RATE // 2 <= s_a["position_frame"] < RATE // 2 + RATE // 4:
    fail("after seek(0.5) and stop the position is %d" % s_a["position_frame"])
print("ok stop at frame %d (seeked to %d)" % (s_a["position_frame"], RATE // 2))

# Threads: 4 threads at once on the context, each reading the state, failing a call on purpose
# and reading the last error; every state read succeeds and every last error is one of the
# lines the failing calls set.
errors = []
lines = set()


def worker(k):
    for _ in range(15):
        out = vp()
        if lib.reel_audio_get_state_json(ctx, ctypes.byref(out)) != REEL_OK:
            errors.append("state: %s" % take_string(out))
            return
        if json.loads(take_string(out))["project"] != PROJ:
            errors.append("state names another project")
        if lib.reel_audio_set_tempo(ctx, -float(k + 1), None) != REEL_EINVAL:
            errors.append("set_tempo(-%d) did not fail" % (k + 1))
        lines.add(last_error(ctx))


threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
    if t.is_alive():
        fail("a thread calling reel_audio_ functions did not finish within 60 s")
want = {"reel_audio_set_tempo: bpm must be a positive number, not -%d" % (k + 1) for k in range(4)}
if errors or not lines <= want or not lines:
    fail("threads: %s; last errors %s" % (errors[:3], sorted(lines)))
print("ok threads: 4 x 15 state reads and failing calls, last errors %d distinct lines" %
      len(lines))

# get_state_json without a result pointer
if lib.reel_audio_get_state_json(ctx, None) != REEL_EINVAL or \
        "json_result is NULL" not in last_error(ctx):
    fail("get_state_json(NULL): %r" % last_error(ctx))

# play again, shutdown stops it and unbinds
ok(ctx, "play", None)
if not ok(ctx, "get_state_json")["transport"]["playing"]:
    fail("not playing again")
if lib.reel_audio_shutdown(ctx) != REEL_OK:
    fail("shutdown: %s" % last_error(ctx))
out = vp()
if lib.reel_call(ctx, b"transport_state", b"{}", ctypes.byref(out)):
    fail("transport_state: %s" % take_string(out))
ts = json.loads(take_string(out))
if ts["playing"]:
    fail("shutdown left the transport playing: %s" % ts)
expect(ctx, "stop", rc_want=REEL_ESTATE, msg_re="call reel_audio_init first", unchanged=False)
lib.reel_close(ctx)
print("ok capi_audio: project %s, %d source frames" % (PROJ, FRAMES))
