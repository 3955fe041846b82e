/*
 * builtin_nodes.h — processors of the graph that are not plugins
 * (DESIGN.md section 9): "delay" (every channel `frames` late; it reports
 * that as its latency, which the compiler compensates on parallel paths),
 * and the mid/side pair "ms_encode" (L, R -> M = (L + R) / 2, S = (L - R) / 2)
 * and "ms_decode" (M, S -> L = M + S, R = M - S): inverses, up to the
 * float rounding of the sums.
 *
 * Owns: each node's state (a delay's lines). Must never: allocate or touch
 * anything but its lines in `run` and `reset` (both realtime).
 */
#ifndef REEL_RENDER_BUILTIN_NODES_H
#define REEL_RENDER_BUILTIN_NODES_H

#include "rt/graph_plan.h"

#include <jansson.h>

typedef struct reel_builtin reel_builtin;

/* Is `kind` one of these? */
bool reel_builtin_kind(const char *kind);

/* Check node `obj` of `kind` (named `id` in errors): its input and output
 * channel counts and latency (frames). */
int reel_builtin_check(const char *id, const char *kind, json_t *obj, uint32_t *in_ch,
                       uint32_t *out_ch, uint32_t *latency, reel_error *err);

/* Make one, for blocks of `block` frames. */
int reel_builtin_new(const char *id, const char *kind, json_t *obj, uint32_t block,
                     reel_builtin **out, reel_error *err);
void reel_builtin_free(reel_builtin *b);

/* The plan's processor functions; ud is a reel_builtin. Realtime. */
bool reel_builtin_run(void *ud, const float *const *in, float *const *out, uint32_t n);
void reel_builtin_reset(void *ud);

#endif
