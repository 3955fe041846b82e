/*
 * graph_compile.h — a project's routing graph (its document's "graph",
 * DESIGN.md section 9) checked and compiled into a plan (rt/graph_plan.h).
 *
 * The graph document:
 *   {"nodes": [{"id", "kind": "track"|"bus"|"output"|"input"|"plugin",
 *               "uri" and "params" (plugin nodes: an LV2 plugin, lv2_host.h),
 *               "track" (track nodes: the track it plays), "channels",
 *               "gain", "pan", "mute", "solo", "ports", "uri", "params"}],
 *    "connections": [{"from", "to", "from_channel", "to_channel", "gain",
 *                     "pre" (a pre-fader send: the source before its gain, pan, mute)}]}
 * A connection without channels maps channel i of its source to channel
 * i mod n of its target (a mono source feeds every channel); with them it
 * joins one channel to one. A track node's channels are its track's, its
 * gain, pan, mute and solo start as the track's. A project whose graph has
 * no nodes gets the default: every audio track into one two-channel
 * output "master".
 *
 * Compiling orders nodes so each runs after what it reads (a cycle is
 * refused, named: "a -> b -> a"), decodes the clips' sources into the
 * cache, and places each audio clip of the chosen timeline on its track's
 * player in frames of the project's rate: where it is placed, or, when
 * follow actions, nested timelines or timeline events are in play, as the
 * follow plan says (model/follow/follow_plan.h: each clip play a plan clip
 * of its own, cut where an action cut it). Routing events on the way
 * (routing_events.h) make the graph compiled the union of the graphs they
 * leave, each connection carrying sound only while its graph is in force.
 * Latency: a delay node's frames
 * and an LV2 plugin's reported latency add up along each path; where
 * paths of different latency meet, the quicker ones are delayed on their
 * connection to match (so they sum aligned), and each node's latency from
 * the timeline is kept (an offline render drops it from the front, a
 * player reports it).
 *
 * Owns: the graph's rules and the compiled plan with its node names. Must
 * never: run on the realtime thread, or accept a graph it cannot run
 * (refused with the node, connection or clip named, nothing half built).
 */
#ifndef REEL_RENDER_GRAPH_COMPILE_H
#define REEL_RENDER_GRAPH_COMPILE_H

#include "render/engine/source_cache.h"
#include "rt/graph_plan.h"

#include <jansson.h>

typedef struct reel_compiled {
    reel_plan *plan;
    uint32_t n;
    char (*id)[64];          /* node names, in plan order */
    reel_plan_kind *kind;
    struct reel_lv2_plugin **plugin; /* per node: its LV2 instance (NULL: none) */
    struct reel_builtin **builtin;   /* per node: its delay / mid-side processor (NULL: none) */
    uint32_t *node_latency;          /* per node: frames from the timeline to its output */
    uint32_t latency;                /* the output node's */
    uint32_t output;         /* the output node rendered (first one, or as asked) */
    int64_t end;             /* frame where the last clip on the timeline ends */
    uint32_t rate;
    struct reel_lv2_host *lv2; /* the plugins the plan runs (NULL: none) */
    struct reel_clip_ref *clip_ref; /* every clip placed: id, node, order added */
    size_t n_clip_ref;
    struct reel_auto_target *target; /* automation targets by name (auto_compile.h) */
    size_t n_target;
    void *launch; /* per clip placed: what its launch trigger plays (auto_compile.c) */
    /* follow actions (model/follow/follow_plan.h): the choices made, whether
     * a chain was still going at the horizon, the plan (its triggers) */
    json_t *follow_log;
    bool follow_open;
    size_t follow_log_dropped;
    struct reel_follow_plan *follow_plan;
} reel_compiled;

/* How far ahead follow actions are expanded when the caller names no
 * horizon: an hour of the timeline. */
#define REEL_FOLLOW_HORIZON_S 3600

typedef struct reel_clip_ref {
    char id[64];
    uint32_t node;
    size_t seq;
} reel_clip_ref;

/* The graph `doc` plays: its own "graph", or the default one (made into
 * *owned, which the caller frees). */
json_t *reel_graph_effective(json_t *doc, json_t **owned);

/* Structure only (no sources read): ids, kinds, references to tracks and
 * nodes, channels, ranges, cycles. What graph_set runs before storing. */
int reel_graph_check(json_t *doc, json_t *graph, reel_error *err);

/* Compile `doc`'s graph for playing timeline `timeline` (NULL: the first)
 * in blocks of `block` frames, rendering output node `output` (NULL: the
 * first output), with follow actions expanded up to plan frame `horizon`
 * (0: REEL_FOLLOW_HORIZON_S). */
int reel_graph_compile(json_t *doc, const char *timeline, const char *output, uint32_t block,
                       int64_t horizon, reel_source_cache *cache, reel_compiled **out,
                       reel_error *err);
void reel_compiled_free(reel_compiled *c);

/* Index of node `id` (-1 if none). */
int reel_compiled_find(const reel_compiled *c, const char *id);

#endif
