/*
 * lane_doc.h — automation lanes in a project document (DESIGN.md section
 * 10): what a lane is, what its target may be, and how its chunks add up
 * to the commands it plays.
 *
 * A lane is an object of the document's "lanes":
 *   {"id", "timeline", "target", "mode", "chunks": [{"content", "from_frame",
 *    "to_frame", "events", "replace"}]}
 * `target` is a parameter path: "<node>:<param>" (gain, pan, mute, solo of
 * a graph node, or a plugin node's LV2 control symbol), "clip:<id>:gain".
 * `mode` is Ardour's automation state plus overdub: "manual" (the lane is
 * kept but does not play), "play", "write", "touch", "latch", "overdub";
 * the lane plays in play, touch, latch and overdub.
 *
 * Chunks are lane_format.h records in CAS, added by each write and never
 * changed. What a lane plays is its chunks in order: a chunk with
 * "replace" first removes every earlier command in its [from_frame,
 * to_frame) (a write pass, a cleared range), then adds its own; without
 * it, its commands are added (overdub). Same-frame commands keep that
 * order. Compacting writes the result as one chunk: the same commands, so
 * the same playback.
 *
 * Targets are resolved by whoever knows the graph (render/engine) through
 * the auto_targets registry, so this model does not depend on the engine.
 *
 * Owns: the lane object's rules, its chunks in CAS, the overlay. Must
 * never: accept a command its target's range refuses, or let a lane name a
 * timeline the project does not have.
 */
#ifndef REEL_MODEL_PROJECT_LANE_DOC_H
#define REEL_MODEL_PROJECT_LANE_DOC_H

#include "core/registry.h"
#include "rt/auto_cmd.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct reel_auto_range {
    double lo, hi;
    bool toggle; /* mute, solo: 0 or 1 */
} reel_auto_range;

/* What resolves a target path against a document (one is registered, by
 * the engine): REEL_OK with its range, or an error naming what is wrong
 * (REEL_ENOENT for an unknown node, clip or parameter). */
typedef struct reel_auto_target_resolver {
    const char *name;
    int (*resolve)(json_t *doc, const char *target, reel_auto_range *range, reel_error *err);
} reel_auto_target_resolver;
#define REEL_AUTO_TARGETS(object) REEL_REGISTER(auto_targets, reel_auto_target_resolver, object)

int reel_auto_target_resolve(json_t *doc, const char *target, reel_auto_range *range,
                             reel_error *err);

/* Lane modes. */
bool reel_lane_mode_valid(const char *mode);
bool reel_lane_mode_plays(const char *mode);

/* Parse one command from JSON {"frame" | "at", "type", "value",
 * "ramp_frames" | "ramp", "curve"} for a lane of timeline `tl` (positions
 * in its timebase), checked against `range`. */
int reel_lane_cmd_parse(json_t *doc, json_t *tl, json_t *ev, const reel_auto_range *range,
                        reel_cmd *out, reel_error *err);
json_t *reel_lane_cmd_json(const reel_cmd *c);
/* A parameter value as JSON: the shortest decimal that reads back as the
 * same float (0.1, not 0.10000000149011612). */
json_t *reel_auto_value_json(float v);

/* Store n commands (sorted by frame) as a chunk; *chunk is the lane's
 * entry for it, covering [from, to) (replace: a write over that range). */
int reel_lane_chunk_put(reel_store *st, const reel_cmd *cmds, size_t n, int64_t from, int64_t to,
                        bool replace, json_t **chunk, reel_error *err);

/* Every command the lane plays, in order (the caller frees *out). */
int reel_lane_events(reel_store *st, json_t *lane, reel_cmd **out, size_t *n, reel_error *err);

/* Lane `lane_id` of `doc`, or NULL. */
json_t *reel_lane_find(json_t *doc, const char *lane_id);

#endif
