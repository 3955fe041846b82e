#!/usr/bin/env python3
"""mix_oracle.py — what a render of a project should hold, computed without reel.

Usage: mix_oracle.py DOC.json SOURCES.json RENDER.wav [--node N] [--tol T] [--stem NODE]

DOC.json is the project's document (`reel project show`'s "document"); SOURCES.json maps each
clip source (its "artifact" or "blob" string) to a WAV file on disk. Sources are decoded by
sox to 32-bit float; the mix is computed in float64 by the rules README.md and
render/engine/graph_compile.h state, written out again here from their text:

  - a clip plays source frames [start, end) from its position `at` (seconds), times its gain,
    a linear fade-in (frame k of the clip: k / fade_in) and fade-out (the last frame 0), and
    its pan; while a clip of a track is soloed, the track's unsoloed clips are silent;
  - a mono source feeds every channel of its track; otherwise source channel i goes to track
    channel i mod n;
  - pan on a two-channel node is a balance law: the side it moves away from gets
    cos(|pan| * pi / 2), the other side unity; other channel counts ignore pan;
  - a track node adds its gain, pan, mute and solo (solo-in-place: while any track node is
    soloed, the others are silent); a bus sums its inputs, then gain, pan and mute;
  - a connection without channels maps channel i to i mod n (a mono source feeds all); with
    them, one channel to one; each times its gain; "pre": from the source's sum before its
    gain, pan and mute (a pre-fader send);
  - no graph nodes: every audio track into a two-channel output "master".

RENDER.wav (32-bit float) is read here; the script exits 1, naming the first frame and channel that
differ by more than --tol (default 4e-6: a few float32 roundings of the engine's chain of
multiplies, at signal levels up to 4), and prints "ok FRAMES" otherwise. --stem NODE compares
with that node's own output instead of the output node's.
"""
import array
import json
import math
import subprocess
import sys


def decode(path):
    """(channels, rate, frames as array of float) of an audio file, through sox."""
    ch = int(subprocess.check_output(["soxi", "-c", path]).strip())
    rate = int(subprocess.check_output(["soxi", "-r", path]).strip())
    raw = subprocess.check_output(["sox", "-D", path, "-t", "f32", "-e", "floating-point", "-"])
    a = array.array("f")
    a.frombytes(raw)
    return ch, rate, a


def read_float_wav(path):
    """(channels, rate, frames) of a 32-bit float WAV, read here: sox would clip it to
    [-1, 1], and a mix may go past full scale."""
    import struct
    b = open(path, "rb").read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise SystemExit("%s: not a RIFF WAVE file" % path)
    pos, ch, rate, bits, data = 12, None, None, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        body = b[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            _, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if bits != 32 or data is None:
        raise SystemExit("%s: not 32-bit float samples" % path)
    a = array.array("f")
    a.frombytes(data)
    return ch, rate, a


def pan_gains(pan):
    gl = gr = 1.0
    if pan > 0:
        gl = 0.0 if pan >= 1 else math.cos(pan * math.pi / 2)
    elif pan < 0:
        gr = 0.0 if pan <= -1 else math.cos(pan * math.pi / 2)
    return gl, gr


def main(argv):
    doc = json.load(open(argv[1]))
    sources = json.load(open(argv[2]))
    render = argv[3]
    node_name, tol, stem = None, 4e-6, None
    i = 4
    while i < len(argv):
        if argv[i] == "--node":
            node_name = argv[i + 1]
        elif argv[i] == "--tol":
            tol = float(argv[i + 1])
        elif argv[i] == "--stem":
            stem = argv[i + 1]
        i += 2
    rate = doc["rate"]
    rch, rrate, rdata = read_float_wav(render)
    frames = len(rdata) // rch
    tracks = {t["id"]: t for t in doc["tracks"]}
    graph = doc.get("graph") or {}
    nodes = graph.get("nodes") or []
    conns = graph.get("connections") or []
    if not nodes:
        nodes = [{"id": t["id"], "kind": "track", "track": t["id"]} for t in doc["tracks"]
                 if t.get("kind", "audio") == "audio"]
        conns = [{"from": n["id"], "to": "master"} for n in nodes]
        nodes.append({"id": "master", "kind": "output", "channels": 2})
    byid = {n["id"]: n for n in nodes}

    def channels(n):
        return tracks[n["track"]]["channels"] if n["kind"] == "track" else n.get("channels", 2)

    any_solo = any(tracks[n["track"]].get("solo", False) for n in nodes if n["kind"] == "track")
    decoded = {}
    tl = doc["timelines"][0]
    out, pre_out = {}, {}

    def compute(nid, pre=False):
        if nid in out:
            return pre_out[nid] if pre else out[nid]
        n = byid[nid]
        nch = channels(n)
        buf = [[0.0] * frames for _ in range(nch)]
        for c in conns:
            if c["to"] != nid:
                continue
            src = compute(c["from"], c.get("pre", False))
            g = c.get("gain", 1.0)
            if "from_channel" in c or "to_channel" in c:
                fc = c.get("from_channel", c.get("to_channel"))
                tc = c.get("to_channel", fc)
                pairs = [(fc, tc)]
            elif len(src) == 1:
                pairs = [(0, k) for k in range(nch)]
            else:
                pairs = [(k, k % nch) for k in range(len(src))]
            for fc, tc in pairs:
                s, d = src[fc], buf[tc]
                for t in range(frames):
                    d[t] += s[t] * g
        params = n
        if n["kind"] == "track":
            params = tracks[n["track"]]
            clips = [c for c in tl["clips"] if c.get("kind", "audio") == "audio"
                     and c["track"] == n["track"]]
            clip_solo = any(c.get("solo", False) for c in clips)
            for c in clips:
                if c.get("mute", False) or (clip_solo and not c.get("solo", False)):
                    continue
                key = c["source"].get("artifact") or c["source"].get("blob")
                if key not in decoded:
                    decoded[key] = decode(sources[key])
                sch, srate, sdata = decoded[key]
                assert srate == rate, "the oracle mixes sources at the project's rate only"
                at = round(c["at"] * rate)
                start, end = c["start"], c["end"]
                ln = end - start
                fi, fo = c.get("fade_in", 0), c.get("fade_out", 0)
                gl, gr = pan_gains(c.get("pan", 0.0))
                gains = [c.get("gain", 1.0) * ((gl if k == 0 else gr) if nch == 2 else 1.0)
                         for k in range(nch)]
                for k in range(ln):
                    t = at + k
                    if t < 0 or t >= frames:
                        continue
                    f = 1.0
                    if k < fi:
                        f = k / fi
                    left = ln - k
                    if left <= fo:
                        f = min(f, (left - 1) / fo)
                    base = (start + k) * sch
                    if sch == 1:
                        for ch in range(nch):
                            buf[ch][t] += sdata[base] * gains[ch] * f
                    else:
                        for sc in range(sch):
                            ch = sc % nch
                            buf[ch][t] += sdata[base + sc] * gains[ch] * f
        pre_out[nid] = [list(b) for b in buf]
        if n["kind"] in ("track", "bus"):
            g = params.get("gain", 1.0)
            silent = params.get("mute", False) or (
                n["kind"] == "track" and any_solo and not params.get("solo", False))
            if silent:
                g = 0.0
            gl, gr = pan_gains(params.get("pan", 0.0)) if nch == 2 else (1.0, 1.0)
            for ch in range(nch):
                gg = g * ((gl if ch == 0 else gr) if nch == 2 else 1.0)
                b = buf[ch]
                for t in range(frames):
                    b[t] *= gg
        out[nid] = buf
        return pre_out[nid] if pre else buf

    want = stem or node_name or next(n["id"] for n in nodes if n["kind"] == "output")
    exp = compute(want)
    if len(exp) != rch:
        print("%s: %d channels, the render has %d" % (want, len(exp), rch))
        return 1
    worst = 0.0
    for t in range(frames):
        for ch in range(rch):
            d = abs(rdata[t * rch + ch] - exp[ch][t])
            worst = max(worst, d)
            if d > tol:
                print("frame %d channel %d: render %.9g, expected %.9g (tolerance %g)"
                      % (t, ch, rdata[t * rch + ch], exp[ch][t], tol))
                return 1
    print("ok %d frames, max difference %.3g" % (frames, worst))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
