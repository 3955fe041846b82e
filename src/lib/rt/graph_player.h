/*
 * graph_player.h — a transport playing a compiled plan (graph_plan.h) in
 * a realtime context, one period at a time (DESIGN.md sections 2 and 9).
 *
 * The control side hands over plans, play/stop, seeks and the loop region
 * through atomics; the realtime side (reel_player_period, from the JACK or
 * ALSA callback) applies them at the start of a period, runs the plan in
 * blocks of the plan's size over the period, and copies the plan's main
 * output node (reel_plan_main) into the device's buffers. Because a plan's samples depend
 * only on the timeline frame (graph_plan.h), what this sends is exactly
 * what an offline render of the same frames holds.
 *
 * Plan swap (tracktion's lock-free graph swap): reel_player_swap stores the
 * new plan in `next`; the callback takes it at its next period and puts the
 * plan it let go of in `retired`; the control side frees a retired plan
 * (reel_player_reap) only then. One swap is in flight at a time: a swap
 * while the previous one has not been taken fails with REEL_EFULL, and
 * the caller tries again after a period.
 *
 * A period whose first device frame is not where the last one ended (the
 * server skipped this client's cycles) is counted in device_skips while
 * playing, and the playhead follows the device clock over the frames
 * skipped (as the capture owes them as silence), so positions and device
 * frames stay in step: what a stream recorded at a device frame was played
 * against the position the anchor gives for it.
 *
 * Owns: the transport state of one player. Must never (in the period):
 * allocate, lock, or free; run a plan for more frames than its block.
 */
#ifndef REEL_RT_GRAPH_PLAYER_H
#define REEL_RT_GRAPH_PLAYER_H

#include "rt/graph_plan.h"

#include <stdatomic.h>

#define REEL_PLAYER_ANCHORS 256 /* transport moves remembered, for placing takes afterwards */

typedef struct reel_player_anchor {
    uint64_t dev;
    int64_t pos; /* -1: stopped from this device frame on */
} reel_player_anchor;

typedef struct reel_player {
    uint32_t channels;           /* device channels fed (extra plan channels dropped) */
    _Atomic(reel_plan *) next;   /* control -> rt: the plan to switch to */
    _Atomic(reel_plan *) retired; /* rt -> control: a plan it let go of */
    _Atomic bool playing;
    _Atomic int64_t seek;        /* -1: none; else the frame to play next */
    _Atomic int64_t loop_from, loop_to; /* loop while loop_to > loop_from */
    _Atomic int64_t pos_pub;     /* the next frame to play, after the last period */
    _Atomic uint64_t started_dev; /* device frame of the first frame played since play */
    _Atomic uint64_t periods_played;
    _Atomic uint64_t periods_seen; /* every period the device ran it, playing or not */
    _Atomic bool start_pending;
    _Atomic uint64_t device_skips; /* periods the device clock jumped over while playing */
    _Atomic uint64_t loop_wraps;   /* times the playhead went from the loop's end to its start */
    _Atomic int64_t stop_at;       /* -1: none; else the frame where playing stops (once) */
    /* Anchors: device frame `dev` played position `pos`, and every later
     * frame the next position, until the next anchor (a seek, loop wrap or
     * start) or stop (pos -1). A ring, newest at hist_n - 1; an entry is
     * written before hist_n counts it. */
    reel_player_anchor hist[REEL_PLAYER_ANCHORS];
    _Atomic uint64_t hist_n;
    /* realtime-owned */
    reel_plan *cur;
    int64_t pos;
    uint64_t expect_dev;
    bool dev_valid;
    bool moved; /* the anchor is due at this period's start */
    bool was_playing;
} reel_player;

/* A stopped player at frame 0 with no plan. */
void reel_player_init(reel_player *p, uint32_t channels);

/* Control side. */
int reel_player_swap(reel_player *p, reel_plan *plan, reel_error *err);
/* The plan the callback let go of (the caller frees it), or NULL. */
reel_plan *reel_player_reap(reel_player *p);
void reel_player_play(reel_player *p, bool on);
void reel_player_seek(reel_player *p, int64_t frame);
void reel_player_loop(reel_player *p, int64_t from, int64_t to); /* to <= from: no loop */
/* Stop once the playhead reaches `frame` (silence from that frame of the
 * period on); -1: play on. Cleared when it stops there. */
void reel_player_stop_at(reel_player *p, int64_t frame);
/* The next frame to play: a seek not yet taken by the callback counts as
 * done (it is where the playhead goes at the next period). */
int64_t reel_player_position(const reel_player *p);

/* The position device frame `dev` played, now or in the past, by the
 * anchor in force then (the last REEL_PLAYER_ANCHORS / 2 moves are kept).
 * REEL_ESTATE if the transport was stopped at that frame or the history no
 * longer reaches back that far. Control side. */
int reel_player_pos_at_past(const reel_player *p, uint64_t dev, int64_t *pos, reel_error *err);

/* Realtime: one period of n frames into out[0..channels) (each n floats),
 * whose first frame is device frame `dev`. */
void reel_player_period(reel_player *p, float *const *out, uint32_t n, uint64_t dev);

#endif
