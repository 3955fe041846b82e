#!/usr/bin/env python3
"""check_op_schemas.py REEL SRC_LIB — the ops' JSON Schema files, checked by an
independent validator (python3-jsonschema): every src/lib/**/schemas/<op>.json
is a valid JSON Schema (Draft 2020-12 meta-schema), and the schema files and
the ops `reel call --list` prints are the same set (no op without a schema,
no schema without an op)."""
import glob
import json
import os
import subprocess
import sys

import jsonschema


def main():
    reel, src = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(src, "**", "schemas", "*.json"), recursive=True))
    bad = 0
    names = {}
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        if name in names:
            print("%s: op %s has a schema in %s too" % (f, name, names[name]))
            bad += 1
        names[name] = f
        with open(f, encoding="utf-8") as fh:
            doc = json.load(fh)
        try:
            jsonschema.Draft202012Validator.check_schema(doc)
        except jsonschema.SchemaError as e:
            print("%s: not a valid JSON Schema: %s" % (f, e.message))
            bad += 1
    out = subprocess.run([reel, "call", "--list"], capture_output=True, text=True, check=True)
    ops = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    for op in sorted(ops - set(names)):
        print("op %s has no schema file" % op)
        bad += 1
    for op in sorted(set(names) - ops):
        print("%s: no op %s" % (names[op], op))
        bad += 1
    if not ops:
        print("reel call --list printed no ops")
        bad += 1
    print("%d schema files, %d ops, %d problems" % (len(files), len(ops), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
