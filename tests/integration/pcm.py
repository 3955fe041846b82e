#!/usr/bin/env python3
"""Independent audio-file reader for the integration tests (standard library only).

Parses WAV (PCM, IEEE float, WAVE_FORMAT_EXTENSIBLE), RF64 and Sony Wave64 headers byte by
byte with struct and checks their internal consistency; FLAC is decoded through sox (an
external oracle); raw files need an explicit CHANNELS:RATE:FORMAT spec.

  pcm.py info FILE [--raw C:R:FMT]            -> "<container> <channels> <rate> <fmt> <frames>"
  pcm.py cmp A B [--tol LSB] [--raw-a C:R:FMT] [--raw-b C:R:FMT]
                                              exit 0 if the decoded samples match
  pcm.py rms FILE [--raw C:R:FMT]             -> RMS of all samples (full scale = 1.0)

FMT is i16, i24, i32 or f32. --tol is in LSBs of the coarsest integer format of the two
files (for two f32 files, in units of 2^-23). Any problem prints one line and exits 1.
"""
import os
import struct
import subprocess
import sys
import tempfile

W64_RIFF = b"riff" + bytes.fromhex("2e91cf11a5d628db04c10000")
W64_WAVE = b"wave" + bytes.fromhex("f3acd3118cd100c04f8edb8a")
W64_FMT = b"fmt " + bytes.fromhex("f3acd3118cd100c04f8edb8a")
W64_DATA = b"data" + bytes.fromhex("f3acd3118cd100c04f8edb8a")
KSDATAFORMAT_TAIL = bytes.fromhex("0000000010008000" "00aa00389b71")


class Bad(Exception):
    pass


class Audio:
    def __init__(self, container, channels, rate, fmt, data):
        self.container, self.channels, self.rate, self.fmt, self.data = (
            container, channels, rate, fmt, data)
        fb = channels * sample_bytes(fmt)
        if fb == 0 or len(data) % fb:
            raise Bad(f"data size {len(data)} is not a whole number of {fb}-byte frames")
        self.frames = len(data) // fb


def sample_bytes(fmt):
    return {"i16": 2, "i24": 3, "i32": 4, "f32": 4, "u8": 1}[fmt]


def parse_fmt(body, where):
    if len(body) < 16:
        raise Bad(f"{where}: fmt chunk of {len(body)} bytes")
    tag, ch, rate, byterate, align, bits = struct.unpack_from("<HHIIHH", body, 0)
    if tag == 0xFFFE:
        if len(body) < 40:
            raise Bad(f"{where}: WAVE_FORMAT_EXTENSIBLE fmt chunk of {len(body)} bytes")
        cb, valid, _mask = struct.unpack_from("<HHI", body, 16)
        guid = body[24:40]
        if guid[2:] != KSDATAFORMAT_TAIL:
            raise Bad(f"{where}: unknown sub-format GUID {guid.hex()}")
        tag = struct.unpack_from("<H", guid, 0)[0]
    if tag == 1:
        fmt = {8: "u8", 16: "i16", 24: "i24", 32: "i32"}.get(bits)
    elif tag == 3:
        fmt = "f32" if bits == 32 else None
    else:
        fmt = None
    if fmt is None:
        raise Bad(f"{where}: unsupported format tag {tag} with {bits} bits")
    if ch == 0 or rate == 0:
        raise Bad(f"{where}: {ch} channels at {rate} Hz")
    if align != ch * sample_bytes(fmt):
        raise Bad(f"{where}: block align {align}, expected {ch * sample_bytes(fmt)}")
    if byterate != rate * align:
        raise Bad(f"{where}: byte rate {byterate}, expected {rate * align}")
    return ch, rate, fmt


def parse_riff(buf, path):
    magic = buf[:4]
    if buf[8:12] != b"WAVE":
        raise Bad(f"{path}: no WAVE form type")
    riff_size = struct.unpack_from("<I", buf, 4)[0]
    ds64_data = None
    pos = 12
    if magic == b"RF64":
        if riff_size != 0xFFFFFFFF:
            raise Bad(f"{path}: RF64 RIFF size field is {riff_size:#x}, expected 0xFFFFFFFF")
        if buf[12:16] != b"ds64":
            raise Bad(f"{path}: RF64 without a ds64 chunk first")
        riff64, data64, _samples = struct.unpack_from("<QQQ", buf, 20)
        if riff64 != len(buf) - 8:
            raise Bad(f"{path}: ds64 RIFF size {riff64}, file has {len(buf) - 8}")
        ds64_data = data64
    elif riff_size != len(buf) - 8:
        raise Bad(f"{path}: RIFF size {riff_size}, file has {len(buf) - 8} bytes after it")
    fmt = None
    data = None
    while pos + 8 <= len(buf):
        cid = buf[pos:pos + 4]
        size = struct.unpack_from("<I", buf, pos + 4)[0]
        body_at = pos + 8
        if cid == b"data" and magic == b"RF64" and size == 0xFFFFFFFF:
            size = ds64_data
        if body_at + size > len(buf):
            raise Bad(f"{path}: chunk {cid!r} of {size} bytes runs past the end of the file")
        if cid == b"fmt ":
            fmt = parse_fmt(buf[body_at:body_at + size], path)
        elif cid == b"data":
            if fmt is None:
                raise Bad(f"{path}: data chunk before fmt chunk")
            data = buf[body_at:body_at + size]
        pos = body_at + size + (size & 1)
    if fmt is None or data is None:
        raise Bad(f"{path}: missing {'fmt' if fmt is None else 'data'} chunk")
    if magic == b"RF64" and ds64_data != len(data):
        raise Bad(f"{path}: ds64 data size {ds64_data} != data chunk {len(data)}")
    return Audio("rf64" if magic == b"RF64" else "wav", fmt[0], fmt[1], fmt[2], data)


def parse_w64(buf, path):
    if buf[24:40] != W64_WAVE:
        raise Bad(f"{path}: Wave64 without the wave GUID")
    total = struct.unpack_from("<Q", buf, 16)[0]
    if total != len(buf):
        raise Bad(f"{path}: Wave64 size {total}, file has {len(buf)} bytes")
    pos = 40
    fmt = data = None
    while pos + 24 <= len(buf):
        guid = buf[pos:pos + 16]
        size = struct.unpack_from("<Q", buf, pos + 16)[0]
        if size < 24 or pos + size > len(buf):
            raise Bad(f"{path}: Wave64 chunk {guid[:4]!r} has bad size {size}")
        body = buf[pos + 24:pos + size]
        if guid == W64_FMT:
            fmt = parse_fmt(body, path)
        elif guid == W64_DATA:
            if fmt is None:
                raise Bad(f"{path}: data chunk before fmt chunk")
            data = body
        pos += (size + 7) & ~7
    if fmt is None or data is None:
        raise Bad(f"{path}: missing {'fmt' if fmt is None else 'data'} chunk")
    return Audio("w64", fmt[0], fmt[1], fmt[2], data)


def load(path, raw=None):
    with open(path, "rb") as f:
        buf = f.read()
    if raw:
        ch, rate, fmt = raw.split(":")
        return Audio("raw", int(ch), int(rate), fmt, buf)
    if buf[:4] in (b"RIFF", b"RF64"):
        return parse_riff(buf, path)
    if buf[:16] == W64_RIFF:
        return parse_w64(buf, path)
    if buf[:4] == b"fLaC":
        # Decoded by sox at the file's own precision, then parsed as WAV.
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "flac.wav")
            r = subprocess.run(["sox", "-D", path, out], capture_output=True)
            if r.returncode != 0:
                raise Bad(f"{path}: sox cannot decode it: {r.stderr.decode().strip()}")
            a = load(out)
        a.container = "flac"
        return a
    raise Bad(f"{path}: not a WAV, RF64, Wave64 or FLAC file (starts {buf[:4]!r})")


def samples(a):
    """Integer samples for PCM, floats for f32."""
    d = a.data
    if a.fmt == "i16":
        return [v for (v,) in struct.iter_unpack("<h", d)]
    if a.fmt == "i32":
        return [v for (v,) in struct.iter_unpack("<i", d)]
    if a.fmt == "f32":
        return [v for (v,) in struct.iter_unpack("<f", d)]
    if a.fmt == "u8":
        return [b - 128 for b in d]
    if a.fmt == "i24":
        return [int.from_bytes(d[i:i + 3], "little", signed=True) for i in range(0, len(d), 3)]
    raise Bad(f"unknown sample format {a.fmt}")


SCALE = {"u8": 128.0, "i16": 32768.0, "i24": 8388608.0, "i32": 2147483648.0}


def normalized(a):
    s = samples(a)
    if a.fmt == "f32":
        return s
    k = SCALE[a.fmt]
    return [v / k for v in s]


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return default


def main(argv):
    args = argv[1:]
    if not args:
        raise Bad("usage: pcm.py info|cmp|rms ...")
    cmd = args.pop(0)
    if cmd == "info":
        raw = opt(args, "--raw")
        a = load(args[0], raw)
        print(a.container, a.channels, a.rate, a.fmt, a.frames)
    elif cmd == "rms":
        raw = opt(args, "--raw")
        s = normalized(load(args[0], raw))
        print("%.6f" % ((sum(x * x for x in s) / len(s)) ** 0.5 if s else 0.0))
    elif cmd == "cmp":
        tol = float(opt(args, "--tol", "0"))
        ra, rb = opt(args, "--raw-a"), opt(args, "--raw-b")
        a, b = load(args[0], ra), load(args[1], rb)
        if (a.channels, a.rate) != (b.channels, b.rate):
            raise Bad(f"{args[0]}: {a.channels} ch {a.rate} Hz, {args[1]}: "
                      f"{b.channels} ch {b.rate} Hz")
        if a.frames != b.frames:
            raise Bad(f"{args[0]} has {a.frames} frames, {args[1]} has {b.frames}")
        if a.fmt == b.fmt and tol == 0:
            if a.data != b.data:
                sb = sample_bytes(a.fmt)
                i = next(i for i in range(0, len(a.data), sb)
                         if a.data[i:i + sb] != b.data[i:i + sb]) // sb
                sa, sb_ = samples(a), samples(b)
                raise Bad(f"samples differ first at frame {i // a.channels} channel "
                          f"{i % a.channels}: {sa[i]} vs {sb_[i]}")
            return 0
        ints = [f for f in (a.fmt, b.fmt) if f != "f32"]
        lsb = 1.0 / min(SCALE[f] for f in ints) if ints else 2.0 ** -23
        na, nb = normalized(a), normalized(b)
        worst, at = 0.0, 0
        for i, (x, y) in enumerate(zip(na, nb)):
            d = abs(x - y)
            if d > worst:
                worst, at = d, i
        if worst > tol * lsb + 1e-12:
            raise Bad(f"samples differ by {worst / lsb:.3f} LSB (> {tol}) at frame "
                      f"{at // a.channels} channel {at % a.channels}: {na[at]!r} vs {nb[at]!r}")
    else:
        raise Bad(f"unknown pcm.py command {cmd}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Bad as e:
        print(f"pcm.py: {e}", file=sys.stderr)
        sys.exit(1)
    except (OSError, IndexError, ValueError, struct.error) as e:
        print(f"pcm.py: {e}", file=sys.stderr)
        sys.exit(1)
