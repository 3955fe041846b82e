/*
 * store_json.h — the JSON documents that describe a store's streams,
 * artifacts and slices, shared by every surface (`reel --json`, HTTP, MCP),
 * so the same question gets the same answer wherever it is asked.
 *
 * Owns: the shape of those documents. Must never: print, or change the
 * store (every function only reads). Callers own the returned json_t.
 */
#ifndef REEL_STORE_JSON_H
#define REEL_STORE_JSON_H

#include "slice/slice.h"
#include "store/store.h"

#include <jansson.h>

/* One stream's status (what `reel --json status URI` prints). REEL_ENOENT
 * for an unknown stream. */
int reel_stream_status_json(reel_store *st, const char *uri, json_t **out, reel_error *err);

/* Every stream's status, as an array (what `reel --json streams` prints). */
int reel_streams_json(reel_store *st, json_t **out, reel_error *err);

/* One artifact; `full` adds source chunks, clock snapshots and meta. */
json_t *reel_artifact_json(reel_db *db, const reel_artifact *a, bool full);

/* Artifacts having every tag (all if n_tags == 0), newest first. */
int reel_artifacts_json(reel_db *db, const char *const *tags, size_t n_tags, json_t **out,
                        reel_error *err);

/* One artifact with its lineage both ways: the full document plus
 * "children" (direct) and "ancestors" (the parent chain, nearest first).
 * `id` is anything reel_db_artifact_get resolves. */
int reel_artifact_show_json(reel_db *db, const char *id, json_t **out, reel_error *err);

/* A slice or render result; `out_path` (may be NULL) is where a file went. */
json_t *reel_slice_result_json(const reel_slice_result *r, const char *out_path);

#endif
