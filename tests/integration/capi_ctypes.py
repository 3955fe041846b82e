#!/usr/bin/env python3
"""capi_ctypes.py — the public C API (include/reel.h) from another language:
libreel.so loaded with ctypes, as a Python, Lua or Rust binding would.

Run by capi_ctypes.sh: argv = LIBREEL_SO REEL_BINARY STORE_DIR WORK_DIR VERSION.

What it checks, each against an oracle outside libreel:
  - reel_open(REEL_OPEN_CREATE) makes the store; reel_version() is the
    project version; reel_ops() lists the ops `reel call --list` lists.
  - History made by the CLI (`reel record --source tone:440 --fast`) is
    grabbed through reel_call("grab") in this process: the artifact's file
    has the frames and rate sox/soxi read from it, its b3sum is the
    artifact's blake3 name (and its path's file name), and sox finds a
    440 Hz tone in it.
  - Control ops need a recorder: with no `reel serve`, stream_create fails
    with illegal_state; once a serve runs (started after reel_open, on the
    same context) reel_call reaches it: stream_create, stream_start and
    stream_stop succeed and the CLI (`reel streams`) sees their effect, a
    grab of serve's live stream passes the same oracles; after serve stops,
    calls run in process again.
  - Bad input through reel_call (unknown op, malformed or non-object JSON,
    arguments outside the schema, NULL pointers, bytes that are not UTF-8)
    returns the error JSON {"error": {"code", "message"}} with the matching
    code, never a crash; calls from several threads at once on one context
    all succeed.
"""
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

LIB, REEL, STORE, WORK, VERSION = sys.argv[1:6]

# Child processes (reel, sox, b3sum) must not inherit an ASan preload meant
# for this interpreter: they have their own runtime or none.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

REEL_OK, REEL_EINVAL, REEL_ENOENT, REEL_ESTATE = 0, -1, -2, -10
REEL_OPEN_CREATE = 1


def fail(msg):
    print("FAIL capi_ctypes: " + msg, file=sys.stderr)
    sys.exit(1)


def run(*cmd, timeout=60):
    p = subprocess.run(list(cmd), capture_output=True, text=True, env=CHILD_ENV,
                       timeout=timeout)
    if p.returncode != 0:
        fail("exit %d from %s: %s" % (p.returncode, " ".join(cmd), p.stderr.strip()[:400]))
    return p.stdout


lib = ctypes.CDLL(LIB)
vp = ctypes.c_void_p
lib.reel_version.restype = ctypes.c_char_p
lib.reel_version.argtypes = []
lib.reel_strerror.restype = ctypes.c_char_p
lib.reel_strerror.argtypes = [ctypes.c_int]
lib.reel_open.restype = ctypes.c_int
lib.reel_open.argtypes = [ctypes.POINTER(vp), ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(vp)]
lib.reel_call.restype = ctypes.c_int
lib.reel_call.argtypes = [vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp)]
lib.reel_ops.restype = ctypes.c_int
lib.reel_ops.argtypes = [ctypes.POINTER(vp)]
lib.reel_free.restype = None
lib.reel_free.argtypes = [vp]
lib.reel_close.restype = None
lib.reel_close.argtypes = [vp]


def take_string(p):
    """The library's string at p, released with reel_free."""
    if not p.value:
        return None
    s = ctypes.string_at(p.value).decode("utf-8")
    lib.reel_free(p)
    return s


def call(ctx, op, args=None, raw=None):
    """reel_call; returns (rc, parsed JSON). `raw` (bytes) is sent as is."""
    if raw is None and args is not None:
        raw = json.dumps(args).encode()
    out = vp()
    rc = lib.reel_call(ctx, op.encode() if isinstance(op, str) else op, raw, ctypes.byref(out))
    text = take_string(out)
    if text is None:
        fail("reel_call(%r) rc %d left no result string" % (op, rc))
    try:
        doc = json.loads(text)
    except ValueError as e:
        fail("reel_call(%r) returned something that is not JSON (%s): %r" % (op, e, text[:200]))
    if rc == REEL_OK and isinstance(doc, dict) and "error" in doc and len(doc) == 1:
        fail("reel_call(%r) returned 0 with an error document: %s" % (op, text))
    return rc, doc


def ok(ctx, op, args=None):
    rc, doc = call(ctx, op, args)
    if rc != REEL_OK:
        fail("reel_call(%s, %s) failed %d: %s" % (op, json.dumps(args), rc, json.dumps(doc)))
    return doc


def expect_error(ctx, op, args=None, raw=None, rc_want=REEL_EINVAL, code="invalid_argument",
                 msg_re=None):
    rc, doc = call(ctx, op, args, raw)
    what = "reel_call(%r, %r)" % (op, raw if raw is not None else args)
    if rc != rc_want:
        fail("%s: rc %d, expected %d: %s" % (what, rc, rc_want, json.dumps(doc)))
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict) or set(err) != {"code", "message"}:
        fail("%s: not the error JSON {\"error\": {\"code\", \"message\"}}: %s" % (what, doc))
    if err["code"] != code:
        fail("%s: code %r, expected %r" % (what, err["code"], code))
    if not err["message"] or "\n" in err["message"]:
        fail("%s: the message must be one non-empty line: %r" % (what, err["message"]))
    if msg_re and not re.search(msg_re, err["message"]):
        fail("%s: message %r does not match %r" % (what, err["message"], msg_re))
    return err["message"]


def soxi(path, flag):
    return run("soxi", flag, path).strip()


def check_grab_file(res, seconds, freq, rate):
    """The artifact's file against sox and b3sum."""
    for k in ("artifact", "content_hash", "path", "frames", "format"):
        if k not in res:
            fail("grab result lacks %r: %s" % (k, json.dumps(res)))
    path, name = res["path"], res["content_hash"]
    if not name.startswith("blake3:") or not re.fullmatch(r"[0-9a-f]{64}", name[7:]):
        fail("content_hash %r is not a blake3 name" % name)
    if not os.path.isfile(path):
        fail("the grab's file %s does not exist" % path)
    if os.path.basename(path) != name[7:]:
        fail("the file %s is not named after its hash %s" % (path, name))
    b3 = run("b3sum", "--no-names", path).strip()
    if b3 != name[7:]:
        fail("b3sum of %s is %s, the artifact says %s" % (path, b3, name))
    want_frames = round(seconds * rate)
    frames = int(soxi(path, "-s"))
    if frames != want_frames or res["frames"] != want_frames:
        fail("%s: soxi says %d frames, the result %d, expected %d (%.3f s at %d Hz)" %
             (path, frames, res["frames"], want_frames, seconds, rate))
    if int(soxi(path, "-r")) != rate:
        fail("%s: soxi rate %s, expected %d" % (path, soxi(path, "-r"), rate))
    # sox's own estimate of the tone (zero crossings) on the first channel.
    st = subprocess.run(["sox", path, "-n", "remix", "1", "stat"], capture_output=True, text=True,
                        env=CHILD_ENV)
    m = re.search(r"Rough\s+frequency:\s+(\d+)", st.stderr)
    if not m or abs(int(m.group(1)) - freq) > freq * 0.02:
        fail("%s: sox stat finds no %d Hz tone: %s" % (path, freq, st.stderr.strip()[:300]))


# ---- open, version, ops ---------------------------------------------------------------------
if lib.reel_version().decode() != VERSION:
    fail("reel_version() is %r, the project version is %r" % (lib.reel_version(), VERSION))
if lib.reel_strerror(REEL_EINVAL).decode() != "invalid argument" or \
        lib.reel_strerror(12345).decode() != "unknown error":
    fail("reel_strerror: %r %r" % (lib.reel_strerror(REEL_EINVAL), lib.reel_strerror(12345)))

ctx, err = vp(), vp()
rc = lib.reel_open(ctypes.byref(ctx), os.path.join(WORK, "no-such-store").encode(), 0,
                   ctypes.byref(err))
e = take_string(err)
if rc == REEL_OK or ctx.value or not e or "error" not in json.loads(e):
    fail("reel_open of a missing store without REEL_OPEN_CREATE: rc %d, error %r" % (rc, e))
rc = lib.reel_open(ctypes.byref(ctx), STORE.encode(), 0x80, ctypes.byref(err))
e = take_string(err)
if rc != REEL_EINVAL or ctx.value or json.loads(e)["error"]["code"] != "invalid_argument":
    fail("reel_open with an unknown flag: rc %d, error %r" % (rc, e))

rc = lib.reel_open(ctypes.byref(ctx), STORE.encode(), REEL_OPEN_CREATE, ctypes.byref(err))
e = take_string(err)
if rc != REEL_OK or not ctx.value or e is not None:
    fail("reel_open(%s, REEL_OPEN_CREATE): rc %d, error %r" % (STORE, rc, e))
if not os.path.isdir(os.path.join(STORE, "cas")):
    fail("REEL_OPEN_CREATE made no store at %s: %s" % (STORE, os.listdir(STORE)))

out = vp()
if lib.reel_ops(ctypes.byref(out)) != REEL_OK:
    fail("reel_ops failed")
ops = json.loads(take_string(out))
cli_ops = json.loads(run(REEL, "--store", STORE, "--json", "call", "--list"))
if [o["name"] for o in ops] != [o["name"] for o in cli_ops] or \
        not all(isinstance(o.get("input_schema"), dict) for o in ops):
    fail("reel_ops %s differs from `reel call --list` %s" %
         ([o["name"] for o in ops], [o["name"] for o in cli_ops]))
if "grab" not in [o["name"] for o in ops]:
    fail("reel_ops lists no grab")

# ---- history from the CLI, grabbed through reel_call in process -----------------------------
URI = "stream://tone/main"
run(REEL, "--store", STORE, "record", "--source", "tone:440", "--seconds", "3", "--fast")
streams = ok(ctx, "streams")
st = [s for s in streams if s.get("uri") == URI]
if not st:
    fail("streams through reel_call has no %s: %s" % (URI, json.dumps(streams)[:300]))
status = ok(ctx, "stream_status", {"stream": URI})
rate = status["sample_rate"]
if status["head_frame"] != 3 * rate:
    fail("stream_status: head %s, expected %d: %s" % (status["head_frame"], 3 * rate, status))
res = ok(ctx, "grab", {"stream": URI, "seconds": 1.25})
check_grab_file(res, 1.25, 440, rate)


def check_shown(res, creator):
    """`reel show` (the CLI, one store) has the artifact, made by `creator`:
    "api" when the op ran in this process, "reel http" when serve ran it."""
    shown = json.loads(run(REEL, "--store", STORE, "--json", "show", res["artifact"]))
    got = (shown.get("id"), shown.get("content_hash"), shown.get("creator"))
    if got != (res["artifact"], res["content_hash"], creator):
        fail("`reel show %s` has (id, content_hash, creator) %s, expected %s" %
             (res["artifact"], got, (res["artifact"], res["content_hash"], creator)))


check_shown(res, "api")

# ---- bad input ------------------------------------------------------------------------------
expect_error(ctx, "no_such_op", {}, rc_want=REEL_ENOENT, code="not_found",
             msg_re="unknown operation 'no_such_op'")
expect_error(ctx, "../blobs", {}, rc_want=REEL_ENOENT, code="not_found")
expect_error(ctx, "x" * 10000, {}, rc_want=REEL_ENOENT, code="not_found")
expect_error(ctx, b"gr\xffab", raw=b"{}", rc_want=REEL_ENOENT, code="not_found")
expect_error(ctx, "grab", raw=b'{"seconds": 1', msg_re="malformed JSON")
expect_error(ctx, "grab", raw=b'{"seconds": 1, "seconds": 2}', msg_re="malformed JSON")
expect_error(ctx, "grab", raw=b"\xff\xfe", msg_re="malformed JSON")
expect_error(ctx, "grab", raw=b"[1, 2]", msg_re="object")
expect_error(ctx, "grab", raw=b"42", msg_re="malformed JSON|object")
expect_error(ctx, "grab", {"seconds": "ten"}, msg_re="seconds")
expect_error(ctx, "grab", {"seconds": -1}, msg_re="seconds")
expect_error(ctx, "grab", {"no_such_field": 1}, msg_re="no_such_field")
expect_error(ctx, "stream_status", {"stream": "stream://nope/never"}, rc_want=REEL_ENOENT,
             code="not_found")
expect_error(ctx, None, {}, msg_re="op is NULL")
expect_error(None, "streams", {}, msg_re="ctx is NULL")
if lib.reel_call(ctx, b"streams", None, None) != REEL_EINVAL:
    fail("reel_call with a NULL result pointer must return REEL_EINVAL")
lib.reel_free(None)
lib.reel_close(None)
# NULL and empty arguments are {}.
for raw in (None, b"", b"  \n"):
    rc, doc = call(ctx, "streams", raw=raw)
    if rc != REEL_OK or not isinstance(doc, list):
        fail("streams with arguments %r: rc %d %s" % (raw, rc, doc))

# ---- control ops: in process they need a recorder -------------------------------------------
B = "stream://tone/b"
expect_error(ctx, "stream_create", {"source": "tone:660", "uri": B}, rc_want=REEL_ESTATE,
             code="illegal_state", msg_re="reel serve")

# ---- one context, several threads -----------------------------------------------------------
errors = []


def worker(n):
    for i in range(8):
        op, args = (("artifact_list", {}), ("stream_status", {"stream": URI}),
                    ("streams", None), ("no_such_op", {}))[(n + i) % 4]
        out = vp()
        rc = lib.reel_call(ctx, op.encode(), json.dumps(args).encode() if args else None,
                           ctypes.byref(out))
        text = ctypes.string_at(out.value).decode() if out.value else None
        lib.reel_free(out)
        want = REEL_ENOENT if op == "no_such_op" else REEL_OK
        if rc != want or text is None:
            errors.append("thread %d %s: rc %d %r" % (n, op, rc, text))
            continue
        json.loads(text)


threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    fail("concurrent reel_call: " + "; ".join(errors[:3]))

# ---- a running `reel serve`: the same context reaches it --------------------------------------
log = open(os.path.join(WORK, "serve.log"), "w+")
serve = subprocess.Popen([REEL, "--store", STORE, "serve", "--source", "tone:880", "--stream",
                          "stream://tone/live", "--listen", "127.0.0.1:0", "--no-osc"],
                         stdout=log, stderr=subprocess.STDOUT, env=CHILD_ENV)
try:
    url = None
    for _ in range(400):
        log.seek(0)
        text = log.read()
        m = re.search(r"HTTP on (http://127\.0\.0\.1:\d+)", text)
        if m and "engine connected" in text and \
                os.path.exists(os.path.join(STORE, "serve.json")):
            url = m.group(1)
            break
        if serve.poll() is not None:
            fail("reel serve exited %d: %s" % (serve.returncode, text[:400]))
        time.sleep(0.05)
    if not url:
        fail("reel serve did not come up: %s" % text[:400])
    created = ok(ctx, "stream_create", {"source": "tone:660", "uri": B})
    if created.get("state") != "defined":
        fail("stream_create through serve: %s" % json.dumps(created))
    # The definition lives in serve: the CLI, asking serve too, finds it there.
    again = subprocess.run([REEL, "--store", STORE, "call", "stream_create",
                            json.dumps({"source": "tone:660", "uri": B})],
                           capture_output=True, text=True, env=CHILD_ENV, timeout=60)
    if again.returncode != 1 or "defined already" not in again.stderr:
        fail("`reel call stream_create` of %s again: exit %d %s" % (B, again.returncode,
                                                                  again.stderr.strip()))
    started = ok(ctx, "stream_start", {"stream": B})
    listed = json.loads(run(REEL, "--store", STORE, "--json", "streams"))
    if [s.get("state") for s in listed if s.get("uri") == B] != ["recording"]:
        fail("after reel_call stream_start (%s), `reel streams` has %s" %
             (json.dumps(started), json.dumps([s for s in listed if s.get("uri") == B])))
    ok(ctx, "stream_stop", {"stream": B})
    if ok(ctx, "stream_status", {"stream": B}).get("state") != "stopped":
        fail("%s still records after reel_call stream_stop" % B)
    # The live edge of serve's stream, once a second is recorded.
    live = "stream://tone/live"
    for _ in range(200):
        s = ok(ctx, "stream_status", {"stream": live})
        if s.get("head_frame", 0) >= 2 * s["sample_rate"]:
            break
        time.sleep(0.05)
    else:
        fail("serve's %s does not advance: %s" % (live, s))
    res2 = ok(ctx, "grab", {"stream": live, "seconds": 1})
    check_grab_file(res2, 1.0, 880, s["sample_rate"])
    check_shown(res2, "reel http")
    # Errors come back from serve in the same shape and code.
    expect_error(ctx, "grab", {"seconds": "ten"}, msg_re="seconds")
    expect_error(ctx, "stream_status", {"stream": "stream://nope/never"}, rc_want=REEL_ENOENT,
                 code="not_found")
finally:
    if serve.poll() is None:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
            fail("reel serve did not stop on SIGINT")
if serve.returncode != 0:
    log.seek(0)
    fail("reel serve exited %d: %s" % (serve.returncode, log.read()[-400:]))

# serve is gone: the context runs ops in process again.
expect_error(ctx, "stream_create", {"source": "tone:660", "uri": "stream://tone/c"},
             rc_want=REEL_ESTATE, code="illegal_state")
if ok(ctx, "stream_status", {"stream": "stream://tone/live"}).get("state") == "recording":
    fail("serve stopped but its stream still records")

lib.reel_close(ctx)
print("ok capi_ctypes: libreel %s, %d ops; grabs %s and %s checked with soxi/sox/b3sum" %
      (VERSION, len(ops), res["content_hash"][:19], res2["content_hash"][:19]))
