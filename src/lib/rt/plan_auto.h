/*
 * plan_auto.h — automation inside a plan (DESIGN.md section 10): the
 * control slots a plan's parameters are driven through, the lanes that
 * drive them, the queue of live commands, and the one merge that applies
 * both at their exact frames.
 *
 * A slot is one parameter: a node's gain, pan, mute or solo, or any float
 * the plan's processors read (an LV2 control port, a clip's gain). Lanes
 * are sorted command lists for one slot, handed over whole when the plan
 * is built; sealing merges every lane into one array ordered by frame,
 * then set/ramp before trigger, then lane order, then each lane's own
 * order, so the callback walks one cursor and never sorts. Live commands
 * (automation_schedule, mappings) come through a single-producer ring and
 * wait in a binary heap keyed (frame, rank, arrival), so same-frame order
 * is stable; the heap's capacity is allocated with it, and a command that
 * finds it full stays in the ring until there is room, never dropped.
 *
 * reel_plan_play runs frames [frame, frame + n) of the plan in spans that
 * end at every command's frame, so a change lands on its exact frame, not
 * at the period's start. A live command due before `frame` (it arrived
 * after its frame was played) is applied at `frame` and counted late.
 *
 * Ramps move in steps of REEL_AUTO_STEP frames on a grid fixed to the
 * timeline (the value of a step is the curve at the step's first frame, or
 * at the ramp's start within its first step), so what a ramp plays depends
 * on the timeline frame only, never on how periods fall: realtime playback
 * and an offline render stay bit-identical. Sets are exact to the frame.
 *
 * reel_auto_locate puts every lane-driven slot where its lane has it at a
 * frame (the last command before it, a ramp part way) in a few binary
 * searches: a seek, a loop wrap and a plan swap call it, and so does a
 * render's start, so playing from anywhere equals rendering from there.
 *
 * Owns: the slots, lanes, merged array, ring and heap (freed with the
 * plan). Must never (in reel_plan_play / reel_auto_locate): allocate,
 * lock, sort, or drop a command.
 */
#ifndef REEL_RT_PLAN_AUTO_H
#define REEL_RT_PLAN_AUTO_H

#include "rt/auto_cmd.h"
#include "rt/graph_plan.h"

#include <stdbool.h>
#include <stddef.h>

#define REEL_AUTO_STEP 16
#define REEL_AUTO_LIVE_MAX 4096 /* live commands waiting at once */

typedef struct reel_auto reel_auto;

/* A trigger slot's action (realtime; `frame` is when it runs). */
typedef void (*reel_auto_trigger_fn)(void *ud, float value, int64_t frame);

int reel_auto_new(reel_auto **out, reel_error *err);
void reel_auto_free(reel_auto *a);

/* Slots, numbered from 0 in the order added. A value outside [lo, hi] is
 * clamped when applied (the ops refuse it before it gets here). */
int reel_auto_slot_node(reel_auto *a, uint32_t node, reel_plan_param param, float lo, float hi,
                        uint32_t *slot, reel_error *err);
int reel_auto_slot_float(reel_auto *a, float *value, float lo, float hi, uint32_t *slot,
                         reel_error *err);
int reel_auto_slot_trigger(reel_auto *a, reel_auto_trigger_fn fn, void *ud, uint32_t *slot,
                           reel_error *err);
size_t reel_auto_n_slots(const reel_auto *a);
/* A slot's value now (any thread: relaxed loads; a trigger slot reads 0). */
float reel_auto_slot_value(const reel_auto *a, const reel_plan *p, uint32_t slot);

/* A lane for `slot`: n commands sorted by frame (copied; their slot is
 * set to `slot`). */
int reel_auto_lane_add(reel_auto *a, uint32_t slot, const reel_cmd *cmds, size_t n,
                       reel_error *err);

/* After the last slot and lane, before the first play: merge the lanes,
 * take each slot's value as its base (before any lane command), hand the
 * automation to the plan (which frees it from then on) and locate at 0. */
int reel_auto_attach(reel_auto *a, reel_plan *p, reel_error *err);
reel_auto *reel_plan_auto(const reel_plan *p);

/* Control side, one producer at a time (the caller serializes): a live
 * command into the ring. REEL_EFULL if REEL_AUTO_LIVE_MAX are waiting. */
int reel_auto_push(reel_auto *a, const reel_cmd *c, reel_error *err);

/* Realtime. */
void reel_auto_locate(reel_auto *a, reel_plan *p, int64_t frame);
void reel_plan_play(reel_plan *p, int64_t frame, uint32_t n);

typedef struct reel_auto_stats {
    uint64_t applied;  /* commands applied (lanes and live) */
    uint64_t live;     /* live commands applied */
    uint64_t late;     /* live commands applied after their frame */
    uint64_t waiting;  /* live commands not applied yet */
} reel_auto_stats;
void reel_auto_stats_get(const reel_auto *a, reel_auto_stats *s);

#endif
