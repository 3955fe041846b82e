/*
 * lv2_host.h — LV2 plugins through lilv, as processor nodes of a plan
 * (rt/graph_plan.h; DESIGN.md section 9).
 *
 * A plugin node names a plugin by URI and sets control inputs by symbol
 * ("params": {"gain": 6}); each control input starts at the plugin's
 * default, a value outside the port's declared range is refused, and the
 * plugin's audio inputs and outputs become the node's input and output
 * channels (in port order). A plugin that requires a host feature reel
 * does not provide is refused with the feature named; one not installed is
 * refused with its URI.
 *
 * Instances are created (and activated) off the realtime thread; `run` is
 * what the plan calls in the callback: it connects the audio ports to the
 * node's buffers (connect_port is realtime-safe by the LV2 spec) and runs.
 *
 * Owns: the lilv world and every instance made from it. Must never: load
 * plugins on the realtime thread, or let a port read memory it was not
 * given (every port is connected before the first run: unused control
 * outputs to scratch).
 */
#ifndef REEL_RENDER_LV2_HOST_H
#define REEL_RENDER_LV2_HOST_H

#include "rt/graph_plan.h"

#include <jansson.h>

typedef struct reel_lv2_host reel_lv2_host;
typedef struct reel_lv2_plugin reel_lv2_plugin;

int reel_lv2_host_new(reel_lv2_host **out, reel_error *err);
void reel_lv2_host_free(reel_lv2_host *h); /* frees its plugins too */

/* Check a plugin node (`node` names it in errors) without instantiating:
 * installed, no unsupported required feature, params known and in range.
 * Its audio input and output counts into *n_in / *n_out. */
int reel_lv2_check(reel_lv2_host *h, const char *node, const char *uri, json_t *params,
                   uint32_t *n_in, uint32_t *n_out, reel_error *err);

/* Instantiate at `rate` for blocks of at most `block` frames. */
int reel_lv2_instantiate(reel_lv2_host *h, const char *node, const char *uri, json_t *params,
                         double rate, reel_lv2_plugin **out, reel_error *err);

/* Set control input `symbol` of a running instance (any thread but the
 * realtime one; the next run reads it): refused if unknown, not a number
 * or outside the port's range, as in params. */
int reel_lv2_param_set(reel_lv2_plugin *pl, const char *node, const char *symbol, double value,
                       reel_error *err);

/* Control input `symbol` of plugin `uri`: its range (lo/hi NaN-free:
 * unbounded sides become +-1e30) and whether it is a toggle. Refused with
 * the symbol named if the plugin has no such control input. */
int reel_lv2_control_info(reel_lv2_host *h, const char *node, const char *uri,
                          const char *symbol, float *lo, float *hi, bool *toggle,
                          reel_error *err);
/* Control inputs of an instance, by index (0..n): symbol and the float the
 * run reads (an automation slot writes it with an atomic store). */
uint32_t reel_lv2_n_controls(const reel_lv2_plugin *pl);
const char *reel_lv2_control_symbol(const reel_lv2_plugin *pl, uint32_t k);
float *reel_lv2_control_ref(reel_lv2_plugin *pl, uint32_t k, float *lo, float *hi);

/* The latency the plugin reports (frames; 0 if it has no latency port),
 * read after one silent run at instantiation. */
uint32_t reel_lv2_latency(const reel_lv2_plugin *pl);

/* The plan's processor function; ud is a reel_lv2_plugin. Realtime. */
bool reel_lv2_run(void *ud, const float *const *in, float *const *out, uint32_t n);

#endif
