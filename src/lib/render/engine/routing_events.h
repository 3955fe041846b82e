/*
 * routing_events.h — the timeline events routing_set and routing_update
 * (seed 004 sections 2.5 and 7.4): structural changes of the routing graph
 * at a frame, made on the control side and played at their exact frame.
 *
 * routing_set's payload is {"graph": a whole graph document} (graph_compile.h);
 * routing_update's is a delta, applied in this order: {"remove": [node ids]
 * (with their connections), "add": [nodes], "set": [{"id", gain, pan, mute,
 * solo, params: {symbol: value}}] (merged into the node), "disconnect":
 * [{from, to, from_channel?, to_channel?}] (every matching connection),
 * "connect": [connections]}.
 *
 * A compile (graph_compile.c) never swaps plans for them: the graphs the
 * events leave, one per frame where some event falls, are merged into one
 * plan whose connections carry sound only between the frames their graph
 * is in force (graph_plan.h's windows), and whose nodes are the union of
 * the graphs' nodes, one instance per id. So a plugin keeps its state
 * (a reverb tail rings on) across a change that keeps it, the change lands
 * on its frame whatever the period, and a render and a realtime run of the
 * version agree. A node keeps its kind, track, plugin and channels from
 * graph to graph (a different one needs another id); a fader or plugin
 * parameter that changes becomes a value set on its automation target at
 * the event's frame (a parameter left out keeps its value). The graphs
 * taken together must have no cycle (refused, named).
 *
 * Owns: the graphs between events and their union. Must never: run on the
 * realtime thread, or accept an event it cannot play (refused naming the
 * event and what is wrong).
 */
#ifndef REEL_RENDER_ROUTING_EVENTS_H
#define REEL_RENDER_ROUTING_EVENTS_H

#include "core/error.h"
#include "model/follow/follow_plan.h"

#include <jansson.h>

typedef struct reel_route_window {
    int64_t on, off; /* plan frames a connection carries sound in */
} reel_route_window;

/* The graph `graph` (a graph document) becomes after routing event `ev`
 * (a new reference in *out). */
int reel_routing_apply(json_t *doc, json_t *graph, json_t *ev, json_t **out, reel_error *err);

/* The union of `doc`'s graph and those `n` routing events (in frame order)
 * leave: *graph (a new reference) and per connection of it, in order, its
 * window (*win, freed by the caller); parameter changes added to `fp` as
 * values at the events' frames. */
int reel_routing_union(json_t *doc, const reel_follow_route *route, size_t n,
                       reel_follow_plan *fp, json_t **graph, reel_route_window **win,
                       reel_error *err);

#endif
