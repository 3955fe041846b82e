#!/usr/bin/env bash
# script_lua.sh — scripts (script_run, render/engine/script_lua.c): Lua 5.4 in a sandbox.
#  - a script returns values and tables and prints; it is stored in CAS (its hash is what b3sum
#    says of its text) as one "script" artifact, and runs again by that hash;
#  - reel.call runs reel's ops (a project made from a script is there afterwards), an op's
#    error is a Lua error a script can catch, args reach it;
#  - the sandbox: no io, os, package, debug, require, dofile, loadfile or string.dump; load
#    refuses bytecode; a script that tries to write a file makes none; a runaway loop and a
#    memory hog are stopped with one clear line each; a syntax error names its line.
source "$(dirname "$0")/lib.sh"
ok reel init >/dev/null
run() { ok reel --json call script_run "$1" >"$TMP/run.json"; }

SRC='print("hello", 42) return {sum = 1 + 2, list = {"a", "b"}, half = 0.5}'
run "$(python3 -c 'import json,sys; print(json.dumps({"source": sys.argv[1]}))' "$SRC")"
json_check "d['result'] == {'sum': 3, 'list': ['a', 'b'], 'half': 0.5} and d['output'] == ['hello\t42']" "$TMP/run.json"
printf '%s' "$SRC" >"$TMP/src.lua"
H=$(b3sum --no-names "$TMP/src.lua")
json_check "d['script'] == 'blake3:$H' and d['artifact'].startswith('art-')" "$TMP/run.json"
ART=$(json "d['artifact']" "$TMP/run.json")
run '{"script": "blake3:'"$H"'"}'
json_check "d['result']['sum'] == 3 and 'artifact' not in d" "$TMP/run.json"
run "$(python3 -c 'import json,sys; print(json.dumps({"source": sys.argv[1]}))' "$SRC")"
json_check "'artifact' not in d" "$TMP/run.json"   # the same text: no second artifact
ok reel --json show "$ART" >"$TMP/art.json"
json_check "d['kind'] == 'script' and d['content_hash'] == 'blake3:$H'" "$TMP/art.json"
refuses "no content|not found|no blob|ENOENT|does not exist" reel call script_run '{"script": "blake3:'"$(printf '%064d' 0)"'"}'
refuses "one of them" reel call script_run '{}'

# reel.call, args, errors a script catches
run '{"source": "local p = reel.call(\"project_create\", {name = args.name}) return p.project", "args": {"name": "scripted"}}'
PJ=$(json "d['result']" "$TMP/run.json")
ok reel --json project list >"$TMP/list.json"
json_check "any(p['project'] == '$PJ' and p['name'] == 'scripted' for p in d['projects'])" "$TMP/list.json"
run '{"source": "local ok, e = pcall(reel.call, \"track_remove\", {project = \"prj-0000\", track = \"t9\"}) return {ok = ok, e = e}"}'
json_check "d['result']['ok'] is False and 'track_remove' in d['result']['e']" "$TMP/run.json"
refuses "unknown operation 'nope'" reel call script_run '{"source": "reel.call(\"nope\")"}'
refuses "cannot run scripts" reel call script_run '{"source": "reel.call(\"script_run\", {source = \"return 1\"})"}'

# the sandbox
run '{"source": "return {io = io == nil, os = os == nil, package = package == nil, debug = debug == nil, require = require == nil, dofile = dofile == nil, loadfile = loadfile == nil, dump = string.dump == nil}"}'
json_check "all(d['result'].values()) and len(d['result']) == 8" "$TMP/run.json"
run '{"source": "local f, e = load(\"\\27Lua\") return {f = f == nil, e = e}"}'
json_check "d['result']['f'] and 'binary' in d['result']['e']" "$TMP/run.json"
refuses "attempt to index a nil value \(global 'io'\)" reel call script_run '{"source": "io.open(\"'"$TMP"'/made\", \"w\")"}'
[[ ! -e $TMP/made ]] || fail "a script made a file"
refuses "attempt to index a nil value \(global 'os'\)" reel call script_run '{"source": "os.execute(\"touch '"$TMP"'/ran\")"}'
[[ ! -e $TMP/ran ]] || fail "a script ran a program"
refuses "instruction limit" reel call script_run '{"source": "while true do end"}'
refuses "instruction limit" reel call script_run '{"source": "local n = 0 for i = 1, 1e6 do n = n + i end", "max_instructions": 100000}'
refuses "memory limit" reel call script_run '{"source": "local t = {} for i = 1, 1e8 do t[i] = string.rep(\"x\", 64) .. i end"}'
refuses "script blake3:[0-9a-f]+:2: unexpected symbol" reel call script_run '{"source": "local a = 1\nx = = 2"}'
pass
