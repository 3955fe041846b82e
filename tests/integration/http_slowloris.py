#!/usr/bin/env python3
"""Hostile clients for http_slowloris.sh (python3 standard library only).

  http_slowloris.py load HOST PORT SECONDS IDLE SLOW OUT.json
      Holds IDLE sockets that send nothing and SLOW sockets that send a
      request line and then one header line a second, never ending the
      headers (slowloris), for SECONDS. A socket the server closes is
      reopened at once. Writes a summary: how many of each the server
      closed, their shortest and longest lifetime, the most sockets open
      at once.
  http_slowloris.py perip SRC HOST PORT N LIMIT TOKEN OUT.json
      Opens N sockets from source address SRC, waits (bounded) for the
      server to close N - LIMIT of them, then sends a request on each of
      the others; reports how many were closed and how many served.
  http_slowloris.py closes HOST PORT REQUEST_FILE SECONDS
      Sends the raw request, reads until the server closes, prints the
      status line and the seconds it took to close; exit 1 if it did not
      close within SECONDS.
"""
import json
import selectors
import socket
import sys
import time


def load(host, port, seconds, n_idle, n_slow, out):
    sel = selectors.DefaultSelector()
    conns = {}  # sock -> [kind, opened_at, next_trickle]
    stats = {k: {"closed": 0, "min_life": None, "max_life": 0.0, "open_fail": 0}
             for k in ("idle", "slow")}
    peak = 0

    def open_one(kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            stats[kind]["open_fail"] += 1
            s.close()
            return
        now = time.monotonic()
        conns[s] = [kind, now, now]
        sel.register(s, selectors.EVENT_READ)
        if kind == "slow":
            try:
                s.send(b"GET /api/streams HTTP/1.1\r\nHost: x\r\n")
            except (BlockingIOError, OSError):
                conns[s][2] = now  # retried on the first trickle

    def drop(s, by_server):
        kind, opened, _ = conns.pop(s)
        sel.unregister(s)
        s.close()
        if by_server:
            life = time.monotonic() - opened
            st = stats[kind]
            st["closed"] += 1
            st["min_life"] = life if st["min_life"] is None else min(st["min_life"], life)
            st["max_life"] = max(st["max_life"], life)

    end = time.monotonic() + seconds
    for _ in range(n_idle):
        open_one("idle")
    for _ in range(n_slow):
        open_one("slow")
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # closed (or reset) by the server: reopen
                kind = conns[s][0]
                drop(s, True)
                open_one(kind)
        now = time.monotonic()
        for s, c in list(conns.items()):
            if c[0] == "slow" and now >= c[2]:
                c[2] = now + 1.0
                try:
                    s.send(b"X-Trickle: a\r\n")
                except BlockingIOError:
                    pass
                except OSError:
                    drop(s, True)
                    open_one("slow")
        # reopen what failed to open
        have = {"idle": 0, "slow": 0}
        for c in conns.values():
            have[c[0]] += 1
        for kind, want in (("idle", n_idle), ("slow", n_slow)):
            for _ in range(want - have[kind]):
                open_one(kind)
        peak = max(peak, len(conns))
    for s in list(conns):
        drop(s, False)
    with open(out, "w") as f:
        json.dump({"stats": stats, "peak": peak}, f)


def perip(src, host, port, n, limit, token, out):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect((host, port))
        socks.append(s)
    # Refused ones are closed right at accept: wait for n - limit of them
    # (bounded), then the rest must each be served.
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = set()
    deadline = time.monotonic() + 5
    while len(closed) < n - limit and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                d = s.recv(1)
            except OSError:
                d = b""
            if not d:
                closed.add(s)
                sel.unregister(s)
    served = 0
    req = ("GET /api/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Connection: close\r\n\r\n" % token).encode()
    for s in socks:
        if s in closed:
            continue
        s.settimeout(5)
        try:
            s.sendall(req)
            if s.recv(12).startswith(b"HTTP/1.1 200"):
                served += 1
        except OSError:
            pass
    with open(out, "w") as f:
        json.dump({"closed": len(closed), "served": served}, f)
    for s in socks:
        s.close()


def closes(host, port, req_file, seconds):
    req = open(req_file, "rb").read()
    s = socket.create_connection((host, port), timeout=seconds)
    t0 = time.monotonic()
    s.sendall(req)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        print("NOCLOSE " + got.split(b"\r\n", 1)[0].decode("latin-1"))
        return 1
    except ConnectionResetError:
        pass
    print(got.split(b"\r\n", 1)[0].decode("latin-1"), "%.3f" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "load":
        load(a[1], int(a[2]), float(a[3]), int(a[4]), int(a[5]), a[6])
    elif a[0] == "perip":
        perip(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), a[6], a[7])
    elif a[0] == "closes":
        sys.exit(closes(a[1], int(a[2]), a[3], float(a[4])))
