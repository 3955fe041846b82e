#!/usr/bin/env python3
"""check_exports.py — libreel.so exports the public API of include/reel.h and
nothing else (DESIGN.md section 13: only `reel_` symbols are exported).

Reads the dynamic symbol table with `nm -D --defined-only` (binutils, an
oracle independent of the build), lists every export, and fails if
  - any exported symbol does not start with `reel_` (BLAKE3, a leaked
    helper, a registry section's __start_/__stop_ symbol...),
  - any exported symbol is not a function declared in reel.h (an internal
    reel_* function that escaped the version script),
  - any function declared in reel.h is not exported.

Usage: check_exports.py LIBREEL_SO REEL_H
       check_exports.py --self-test   builds small shared libraries with cc
                                      (one clean, one leaking blake3_hash and
                                      an internal reel_ function, one missing
                                      a declared function) and checks that
                                      only the clean one passes
"""
import os
import re
import subprocess
import sys
import tempfile

DECL = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(reel_\w+)\s*\(", re.M)


def declared(header_text):
    """Names of the functions reel.h declares (comments stripped)."""
    text = re.sub(r"/\*.*?\*/", "", header_text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sorted(set(DECL.findall(text)))


def exports(so):
    out = subprocess.run(["nm", "-D", "--defined-only", so], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            syms.append((parts[-2], parts[-1]))
    return syms


def check(so, header):
    with open(header, encoding="utf-8") as f:
        want = declared(f.read())
    if not want:
        return ["%s declares no reel_ function (parse error?)" % header], []
    syms = exports(so)
    bad = []
    names = set()
    for kind, name in syms:
        base = name.split("@")[0]
        names.add(base)
        if not base.startswith("reel_"):
            bad.append("exported symbol %s (%s) does not start with reel_" % (name, kind))
        elif base not in want:
            bad.append("exported symbol %s (%s) is not a function of %s" % (name, kind,
                                                                           os.path.basename(header)))
    for w in want:
        if w not in names:
            bad.append("%s declares %s but %s does not export it" % (os.path.basename(header), w,
                                                                     os.path.basename(so)))
    return bad, syms


def run(so, header):
    bad, syms = check(so, header)
    print("%s exports %d symbols:" % (so, len(syms)))
    for kind, name in syms:
        print("  %s %s" % (kind, name))
    for b in bad:
        print("FAIL exports: " + b, file=sys.stderr)
    return 1 if bad else 0


def self_test():
    cc = os.environ.get("CC", "cc")
    header = ("/* reel.h */\nint reel_open(void **out);\n"
              "const char *reel_version(void);\n")
    clean = ("int reel_open(void **o) { *o = 0; return 0; }\n"
             "const char *reel_version(void) { return \"0\"; }\n"
             "int reel_store_internal(void) { return 1; }\n")
    cases = [
        ("clean", clean, "{ global: reel_open; reel_version; local: *; };", True),
        ("leaky", clean + "int blake3_hash(void) { return 2; }\n", None, False),
        ("missing", clean, "{ global: reel_open; local: *; };", False),
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        h = os.path.join(d, "reel.h")
        with open(h, "w") as f:
            f.write(header)
        for name, src, vers, should_pass in cases:
            c = os.path.join(d, name + ".c")
            so = os.path.join(d, "lib" + name + ".so")
            with open(c, "w") as f:
                f.write(src)
            cmd = [cc, "-shared", "-fPIC", "-o", so, c]
            if vers:
                m = os.path.join(d, name + ".map")
                with open(m, "w") as f:
                    f.write(vers)
                cmd.append("-Wl,--version-script=" + m)
            subprocess.run(cmd, check=True)
            bad, _ = check(so, h)
            if bool(bad) == should_pass:
                print("FAIL self-test: case %s %s: %s" % (name, "failed" if bad else "passed",
                                                         bad), file=sys.stderr)
                failures += 1
            else:
                print("ok self-test %s: %s" % (name, "; ".join(bad) if bad else "clean"))
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(run(sys.argv[1], sys.argv[2]))
