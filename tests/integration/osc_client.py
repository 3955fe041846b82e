#!/usr/bin/env python3
"""A tiny OSC-over-UDP client for the integration tests (python3 stdlib only).

    osc_client.py PORT [--timeout S] [--raw HEX] ADDRESS [ARG...] [-- ADDRESS [ARG...]]...
    osc_client.py PORT --stress SECONDS SEED

Sends each message (one socket, so every reply comes back to it) and prints
each reply, one JSON line per message: {"address": ..., "args": [...]}.
Arguments: i:N (int32), h:N (int64), f:X (float32), d:X (double), s:TEXT, or
a bare word (string). --raw HEX sends raw bytes instead (garbage packets).
Waits for one reply per sent packet (or the timeout).

--stress: for SECONDS, send /record/start (half of them named "stress") or
/record/stop at random, each after the reply to the one before, and print
{"sent": ..., "reply": ...} per request.
"""
import json
import socket
import struct
import sys


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def osc_string(s):
    return pad(s.encode())


def encode(address, args):
    tags = ","
    data = b""
    for a in args:
        kind, _, val = a.partition(":") if a[:2] in ("i:", "h:", "f:", "d:", "s:") else ("s", "", a)
        if kind == "i":
            tags += "i"
            data += struct.pack(">i", int(val))
        elif kind == "h":
            tags += "h"
            data += struct.pack(">q", int(val))
        elif kind == "f":
            tags += "f"
            data += struct.pack(">f", float(val))
        elif kind == "d":
            tags += "d"
            data += struct.pack(">d", float(val))
        else:
            tags += "s"
            data += osc_string(val)
    return osc_string(address) + osc_string(tags) + data


def read_string(b, at):
    end = b.index(b"\0", at)
    s = b[at:end].decode("utf-8", "replace")
    return s, (end + 4) & ~3


def decode(b):
    address, at = read_string(b, 0)
    tags, at = read_string(b, at)
    args = []
    for t in tags[1:]:
        if t == "i":
            args.append(struct.unpack_from(">i", b, at)[0]); at += 4
        elif t == "h":
            args.append(struct.unpack_from(">q", b, at)[0]); at += 8
        elif t == "f":
            args.append(struct.unpack_from(">f", b, at)[0]); at += 4
        elif t == "d":
            args.append(struct.unpack_from(">d", b, at)[0]); at += 8
        elif t in "sS":
            s, at = read_string(b, at); args.append(s)
        else:
            args.append("?" + t)
    return {"address": address, "args": args}


def stress(port, seconds, seed):
    import random
    import time
    rnd = random.Random(seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(15)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if rnd.random() < 0.5:
            req = ("/record/start", ["stress"] if rnd.random() < 0.5 else [])
        else:
            req = ("/record/stop", [])
        sock.sendto(encode(*req), ("127.0.0.1", port))
        try:
            data, _ = sock.recvfrom(65536)
            reply = decode(data)
        except socket.timeout:
            reply = None
        print(json.dumps({"sent": req[0], "reply": reply}), flush=True)
        time.sleep(rnd.random() * 0.05)
    return 0


def main(argv):
    port = int(argv[0])
    if len(argv) >= 4 and argv[1] == "--stress":
        return stress(port, float(argv[2]), int(argv[3]))
    timeout = 10.0
    packets = []
    i = 1
    cur = None
    while i < len(argv):
        a = argv[i]
        if a == "--timeout":
            timeout = float(argv[i + 1]); i += 2; continue
        if a == "--raw":
            packets.append(bytes.fromhex(argv[i + 1])); cur = None; i += 2; continue
        if a == "--":
            cur = None; i += 1; continue
        if cur is None:
            cur = [a, []]
            packets.append(cur)
        else:
            cur[1].append(a)
        i += 1
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(timeout)
    got = 0
    for p in packets:
        sock.sendto(p if isinstance(p, bytes) else encode(p[0], p[1]), ("127.0.0.1", port))
        # One reply per packet, in order: the server answers each before the next.
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            print(json.dumps({"address": None, "args": ["timeout"]}))
            continue
        print(json.dumps(decode(data)))
        got += 1
    return 0 if got == len(packets) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
