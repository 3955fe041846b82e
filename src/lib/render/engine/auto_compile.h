/*
 * auto_compile.h — a compiled graph's automation (DESIGN.md section 10):
 * every parameter a command may drive, as a slot of the plan's automation
 * (rt/plan_auto.h), named by its target path, and the project's lanes for
 * the timeline compiled onto those slots.
 *
 * Targets: "<node>:gain", ":pan", ":mute" of track and bus nodes, ":solo"
 * of track nodes; "<node>:<symbol>" for every control input of a plugin
 * node's LV2 instance; "clip:<id>:gain" for every clip placed, and
 * "clip:<id>:launch", a trigger: the clip plays again from its first frame
 * at the trigger's frame (graph_plan.h's launches). The same
 * rules answer model/project's target resolver (lane_doc.h), registered
 * here, so a lane op refuses exactly what a compile could not drive.
 *
 * Owns: the target table of a compiled graph. Must never: compile a lane
 * whose target the graph no longer has (refused, naming the lane).
 */
#ifndef REEL_RENDER_AUTO_COMPILE_H
#define REEL_RENDER_AUTO_COMPILE_H

#include "model/project/lane_doc.h"
#include "render/engine/graph_compile.h"

typedef struct reel_auto_target {
    char name[208];
    uint32_t slot;
    reel_auto_range range;
} reel_auto_target;

/* After the plan is sealed: slots for every target, lanes of timeline
 * `tl` that play, attached to c->plan. */
int reel_auto_compile(reel_compiled *c, json_t *doc, json_t *tl, reel_store *st,
                      reel_error *err);

/* The slot and range of `target` in a compiled graph. */
int reel_compiled_target(const reel_compiled *c, const char *target, uint32_t *slot,
                         reel_auto_range *range, reel_error *err);

/* A target path's parts: "<node>:<param>" -> (node, param), "clip:<id>:gain"
 * -> (id, gain) with *clip set. REEL_EINVAL for anything else (or parts too
 * long for a and b). */
int reel_auto_target_split(const char *target, bool *clip, char *a, size_t na, char *b,
                           size_t nb, reel_error *err);

#endif
