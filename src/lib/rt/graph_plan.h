/*
 * graph_plan.h — a compiled routing graph, ready to run in a realtime
 * callback or in an offline loop (DESIGN.md sections 2 and 9).
 *
 * A plan is nodes in an order where every node comes after the nodes it
 * reads from (render/engine/graph_compile.c builds it from a project's graph
 * document, off the realtime thread). Each node has 1..REEL_PLAN_CH_MAX
 * channels of `block` float frames; a node's input is the sum of its
 * connections (each one channel to one channel, times a gain), plus, for a
 * track player, the clips it plays; then its own gain, pan and mute/solo.
 * Running a block never allocates, locks, or makes a system call, and its
 * result never depends on the block size; without delay lines or stateful
 * processors, every sample is a function of its timeline position alone;
 * with them, of the frames played since the last reset (a render starts
 * from a reset plan, and a player resets it at every seek and start). That
 * is what makes an offline render equal to what realtime playback sends,
 * bit for bit.
 *
 * Pan law (two-channel nodes; pan is ignored on other channel counts): a
 * balance law with a sine taper. The side the pan moves away from gets
 * cos(|pan| * pi/2), the other side stays at unity, so pan 0 is the
 * identity (a stereo source passes unchanged) and pan -1 / +1 silence the
 * right / left side exactly. A mono source on a two-channel node feeds both
 * channels at unity before the pan.
 *
 * Solo (solo-in-place): while any track node has solo set, track nodes
 * without it are silent; buses and outputs are never silenced by solo.
 * Within a track, while any of its clips has solo set, its other clips are
 * silent. Mute silences a node or a clip.
 *
 * Parameters (gain, pan, mute, solo of a node) are atomics any thread may
 * set while the plan runs: a change never rebuilds the plan and takes
 * effect at the next block.
 *
 * Owns: the plan's memory (nodes, buffers, clip lists) and running it.
 * Must never: touch a file, allocate in reel_plan_run, or read a clip
 * frame outside the memory it was given.
 */
#ifndef REEL_RT_GRAPH_PLAN_H
#define REEL_RT_GRAPH_PLAN_H

#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

#define REEL_PLAN_CH_MAX 64
#define REEL_PLAN_BLOCK_MAX 8192

typedef enum reel_plan_kind {
    REEL_PLAN_TRACK,  /* plays clips, then gain/pan/mute/solo */
    REEL_PLAN_BUS,    /* sums its inputs, then gain/pan/mute (never solo-silenced) */
    REEL_PLAN_OUTPUT, /* sums its inputs; what a device or a render file gets */
    REEL_PLAN_PROCESSOR, /* a plugin: its inputs go through `run` */
} reel_plan_kind;

typedef enum reel_plan_param {
    REEL_PLAN_GAIN,
    REEL_PLAN_PAN,
    REEL_PLAN_MUTE,
    REEL_PLAN_SOLO,
    REEL_PLAN_N_PARAMS,
} reel_plan_param;

/* A clip as the player reads it. `src` is interleaved float at the plan's
 * rate, `src_ch` channels, positioned at the first frame the clip plays;
 * it stays owned by whoever decoded it (render/engine/source_cache.c) and
 * must outlive the plan. */
typedef struct reel_plan_clip {
    int64_t at;          /* plan frame where src[0] sounds */
    int64_t len;         /* frames it plays */
    const float *src;
    uint32_t src_ch;
    int64_t fade_in, fade_out; /* linear, in frames, inside len */
    float gain;
    float pan;
    bool mute, solo;
} reel_plan_clip;

/* A processor node's work (realtime): `in` and `out` are the node's
 * channel buffers (n_in and n_out of them), n frames. It returns false
 * when its output is not to be trusted (the plan then silences it and
 * counts it). */
typedef bool (*reel_plan_run_fn)(void *ud, const float *const *in, float *const *out,
                                 uint32_t n);

typedef struct reel_plan reel_plan;

/* A plan for `n_nodes` nodes of at most `block` frames per run. */
int reel_plan_new(uint32_t n_nodes, uint32_t block, reel_plan **out, reel_error *err);
void reel_plan_free(reel_plan *p);

/* Build, in order: node i (0-based, in the order nodes run) of `kind`
 * with `channels` channels; a processor also gets `in_ch` input channels
 * and its run function (ud stays the caller's). */
int reel_plan_node_set(reel_plan *p, uint32_t i, reel_plan_kind kind, uint32_t channels,
                       reel_error *err);
int reel_plan_node_processor(reel_plan *p, uint32_t i, uint32_t in_ch, reel_plan_run_fn run,
                             void *ud, reel_error *err);
/* Optional, for a processor with state of its own that a seek must clear
 * (reel_plan_reset calls it; realtime, bounded). */
void reel_plan_node_reset_fn(reel_plan *p, uint32_t i, void (*reset)(void *ud));
/* A connection: channel `from_ch` of node `from` into channel `to_ch` of
 * node `to` (an input channel, for a processor), times `gain`. `from` must
 * run before `to`. */
int reel_plan_edge_add(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to, uint32_t to_ch,
                       float gain, reel_error *err);
/* The same with a delay: the connection carries its source `delay` frames
 * late (latency compensation, graph_compile.c), through a delay line the
 * plan owns. */
int reel_plan_edge_add_delayed(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                               uint32_t to_ch, float gain, uint32_t delay, reel_error *err);

/* The same from the source's pre-fader signal: a track's or bus's sum
 * before its gain, pan and mute (a pre-fader send). */
int reel_plan_edge_add_pre(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                           uint32_t to_ch, float gain, uint32_t delay, reel_error *err);

/* The same, carrying sound only in plan frames [on, off) (a routing
 * event's graph, graph_compile.h); outside them it adds nothing (a delay
 * line is still fed). Runs are cut at every such frame, so a change of
 * routing lands on its frame whatever the block. */
int reel_plan_edge_add_window(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                              uint32_t to_ch, float gain, uint32_t delay, bool pre, int64_t on,
                              int64_t off, reel_error *err);

/* Realtime: empty every delay line (a seek or a new start: what plays next
 * is what a render starting there holds), and call each processor's reset.
 * Work bounded by the delay lines' total length. */
void reel_plan_reset(reel_plan *p);

/* A clip of track node `i` (copied). */
int reel_plan_clip_add(reel_plan *p, uint32_t i, const reel_plan_clip *c, reel_error *err);

/* After the last build call, off the realtime thread: sort each track's
 * clips (by start, then the order they were added, so sums always run in
 * one order). A plan not sealed since its last build call plays silence. */
int reel_plan_seal(reel_plan *p, reel_error *err);

/* Any thread, any time (relaxed atomics): the next run sees it. */
void reel_plan_param_set(reel_plan *p, uint32_t node, reel_plan_param param, float value);
float reel_plan_param_get(const reel_plan *p, uint32_t node, reel_plan_param param);

/* Realtime: compute frames [frame, frame + n) of every node (n <= block)
 * into the first n frames of its buffers. */
void reel_plan_run(reel_plan *p, int64_t frame, uint32_t n);
/* Realtime: the same into frames [off, off + n) of the buffers (off + n
 * <= block): how plan_auto.h splits a block at command frames. */
void reel_plan_run_span(reel_plan *p, int64_t frame, uint32_t off, uint32_t n);

/* Launching (a clip's trigger, plan_auto.h): from timeline frame `at`, the
 * clip of track node `node` added `seq`-th plays again from its first
 * frame, with its own gain, pan, fades and mute, beside the timeline's
 * placement; at most REEL_PLAN_VOICES launches sound at once per track
 * (the oldest gives way). A reset (seek) silences every launch.
 * reel_plan_clip_launch is realtime; the index comes from
 * reel_plan_clip_index after the seal. */
#define REEL_PLAN_VOICES 8
long reel_plan_clip_index(const reel_plan *p, uint32_t node, size_t seq);
void reel_plan_clip_launch(reel_plan *p, uint32_t node, long index, int64_t at);

/* Clips added to node i so far (the next one's `seq`). */
size_t reel_plan_clip_count(const reel_plan *p, uint32_t i);

/* After reel_plan_seal: the gain of the clip added `seq`-th (0-based) to
 * track node `node`, for an automation slot (plan_auto.h); NULL if none. */
float *reel_plan_clip_gain_ref(reel_plan *p, uint32_t node, size_t seq);

/* The plan's automation (plan_auto.h), freed with the plan. */
struct reel_auto;
void reel_plan_auto_own(reel_plan *p, struct reel_auto *a);

/* The output node a player sends to its device (default: the last node). */
void reel_plan_set_main(reel_plan *p, uint32_t node);
uint32_t reel_plan_main(const reel_plan *p);

/* After a run: node i's channel ch (n frames valid). */
const float *reel_plan_node_buf(const reel_plan *p, uint32_t i, uint32_t ch);
uint32_t reel_plan_node_channels(const reel_plan *p, uint32_t i);
uint32_t reel_plan_n_nodes(const reel_plan *p);
uint32_t reel_plan_block(const reel_plan *p);

/* Blocks in which a processor's output was silenced (NaN/Inf or failure). */
uint64_t reel_plan_silenced(const reel_plan *p);

/* Measure each node's CPU time while the plan runs (two vDSO clock reads
 * per node and span: for realtime plans, where the watchdog wants it;
 * offline renders leave it off). Before the plan runs. */
void reel_plan_timing(reel_plan *p, bool on);
/* Node i's CPU time so far: the total, the longest span, the spans run.
 * Any thread. */
void reel_plan_node_cpu(const reel_plan *p, uint32_t i, uint64_t *ns, uint64_t *max_ns,
                        uint64_t *spans);

#endif
