/*
 * script_lua.h — scripts for non-realtime logic (seed 003's scripting,
 * seed 004's script_run timeline event): Lua 5.4 in a sandbox, on the
 * control thread, able to call reel's ops.
 *
 * The sandbox: a fresh state per run with the base library stripped of
 * dofile, loadfile, require and anything reaching files (load takes text
 * chunks only: no bytecode), plus string, table, math and utf8; no io, os,
 * package or debug. print collects lines into the reply's "output". A
 * script gets `reel.call(op, args)` (args a table, the reply a table; an
 * op's error raises a Lua error naming it) and `args` (the caller's
 * table). It may use at most REEL_SCRIPT_MEMORY bytes and `max_ops` VM
 * instructions (default REEL_SCRIPT_OPS): past either it is stopped with
 * a one-line error. What it returns (a value or a table) is the result.
 *
 * Owns: a run's Lua state, from creation to close. Must never: run on the
 * realtime thread, give a script a way to the file system or a process,
 * or let one run unbounded.
 */
#ifndef REEL_RENDER_SCRIPT_LUA_H
#define REEL_RENDER_SCRIPT_LUA_H

#include "core/op.h"

#include <jansson.h>

#define REEL_SCRIPT_MEMORY (32u << 20)
#define REEL_SCRIPT_OPS 10000000
#define REEL_SCRIPT_SOURCE_MAX (1u << 20)

/* Run `source` (`len` bytes, its name `name` in errors) with `args`
 * (borrowed; NULL: none): *out = {"result", "output": [lines]}. A script
 * error is REEL_EINVAL with Lua's message ("name:3: ..."). */
int reel_script_run(reel_service *s, const char *origin, const char *name, const char *source,
                    size_t len, json_t *args, int64_t max_ops, json_t **out, reel_error *err);

/* The text of a stored script ("blake3:<hex>"; caller frees). */
int reel_script_load(reel_store *st, const char *hash, char **text, size_t *len,
                     reel_error *err);

#endif
