#!/usr/bin/env python3
"""check_layers.py — the layer rule of DESIGN.md section 7, enforced.

src/lib/ is layered folders; a file may include headers of its own folder and
of the folders *below* its own in LAYERS, nothing above. Features under
model/ are independent of each other (a feature that needs another's data
goes through a registry in a layer below, e.g. slice/spec_resolve.h).

Usage: check_layers.py [SRC_LIB_DIR]   prints each violation, exits 1 if any
       check_layers.py --self-test     plants a bad include in a copy of a
                                       tiny tree and checks it is caught
"""
import os
import re
import sys
import tempfile

LAYERS = [
    "core", "time", "rt", "media", "protocol", "io", "store", "capture", "slice",
    "model", "render", "service",
    # surfaces: MCP is transport-agnostic, HTTP carries it (and OSC is beside both)
    "surface/mcp", "surface/osc", "surface/http",
    "app",
    # the public C API (include/reel.h) over everything
    "api",
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(rel):
    """The layer folder of a path relative to src/lib ("model/take/take.c" ->
    ("model", "model/take"))."""
    parts = rel.split("/")
    if len(parts) < 2:
        return None, None
    if parts[0] in ("model", "render") and len(parts) >= 3:
        return parts[0], parts[0] + "/" + parts[1]
    if parts[0] == "surface" and len(parts) >= 3:
        return "surface/" + parts[1], "surface/" + parts[1]
    return parts[0], parts[0]


def check(root):
    bad = []
    for dp, _, names in os.walk(root):
        for n in sorted(names):
            if not n.endswith((".c", ".h")):
                continue
            path = os.path.join(dp, n)
            rel = os.path.relpath(path, root)
            layer, feature = folder_of(rel)
            if layer is None:
                bad.append("%s: a file directly in src/lib/ (every file lives in a layer)" % rel)
                continue
            if layer not in LAYERS:
                bad.append("%s: folder %s is not a layer of DESIGN.md section 7" % (rel, layer))
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                if "/" not in inc:
                    # same folder, the public reel.h, or a third-party header
                    if inc == "reel.h" or os.path.exists(os.path.join(dp, inc)) or \
                            not os.path.exists(os.path.join(root, inc)):
                        continue
                ilayer, ifeature = folder_of(inc)
                if ilayer is None or ilayer not in LAYERS:
                    continue
                if ifeature == feature:
                    continue
                if ilayer == layer:  # a sibling feature of model/ or render/
                    bad.append("%s:%d: includes %s: features of %s/ do not include each other"
                               % (rel, line, inc, layer))
                elif LAYERS.index(ilayer) > LAYERS.index(layer):
                    bad.append("%s:%d: includes %s: %s/ is above %s/" % (rel, line, inc, ilayer,
                                                                       layer))
    return bad


def self_test():
    with tempfile.TemporaryDirectory() as d:
        for rel, text in {
            "core/hash.h": "#include <stdint.h>\n",
            "store/cas.h": '#include "core/hash.h"\n',
            "model/take/take.c": '#include "store/cas.h"\n#include "take.h"\n',
            "model/take/take.h": "",
        }.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        if check(d):
            print("self-test: a clean tree was reported: %s" % check(d))
            return 1
        planted = {
            "core/hash.c": '#include "store/cas.h"\n',             # up a layer
            "model/session/session.c": '#include "model/take/take.h"\n',  # sibling feature
        }
        for rel, text in planted.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        got = check(d)
        for rel in planted:
            if not any(g.startswith(rel + ":") for g in got):
                print("self-test: the planted include in %s was not caught (got %s)" % (rel, got))
                return 1
        print("self-test: both planted includes caught:")
        for g in got:
            print("  " + g)
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "lib")
    bad = check(os.path.normpath(root))
    for b in bad:
        print(b)
    if bad:
        print("%d include(s) break the layer order of DESIGN.md section 7" % len(bad))
        return 1
    print("layers: every include goes down or sideways within its folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
