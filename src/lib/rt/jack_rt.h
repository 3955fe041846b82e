/*
 * jack_rt.h — one realtime context: the per-period work of a device that
 * carries every capture stream and every MIDI output of the process on one
 * frame clock, separated from libjack so that it can be driven (and proved
 * realtime-safe) without a server. jack_backend.c's process callback calls
 * reel_jack_process_period with ops that wrap jack_port_get_buffer and the
 * jack_midi_* calls; tests pass their own.
 *
 * Commands. Streams and outputs join and leave through one lock-free queue
 * (reel_jack_rt_push, control side; callers serialize among themselves):
 * the producer of the moment applies up to REEL_RT_CMDS_PER_PERIOD of them
 * at each period and publishes the sequence number of the last one applied
 * (`applied`, release), after which the control side owns what a removed
 * entry pointed to. The tables themselves are fixed arrays
 * (REEL_RT_STREAMS_MAX, REEL_RT_OUTS_MAX) owned by the producer.
 *
 * Owns: stamping each period's clocks (monotonic and wall ns of the
 * period's first frame, via vDSO clock_gettime; the 64-bit extension of the
 * JACK frame time), forwarding xruns and device errors counted by other
 * threads, the silence owed for periods JACK skipped and for the time
 * between a hand-over from the supervisor and the first period after it
 * (handed to each writer as owed silence: O(1) here, written by the writers
 * a bounded amount per period, chunk_writer.h), copying every stream's
 * ports into its chunk writer, and playing every output's MIDI schedule.
 * Must never: allocate, lock, log, or make a system call; do work in a
 * period that grows with anything but the period's frames and the streams.
 */
#ifndef REEL_JACK_RT_H
#define REEL_JACK_RT_H

#include "rt/chunk_writer.h"
#include "rt/graph_player.h"
#include "rt/midi_sched.h"
#include "rt/ring.h"
#include "rt/rt_limits.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct reel_jack_midi_ev {
    uint32_t time; /* frame offset in the period */
    size_t size;
    const uint8_t *data;
} reel_jack_midi_ev;

/* How the period reaches the ports. All must be realtime-safe. */
typedef struct reel_jack_port_ops {
    void *(*buffer)(void *port, uint32_t nframes);
    uint32_t (*midi_count)(void *buf);
    bool (*midi_get)(void *buf, uint32_t i, reel_jack_midi_ev *ev);
    void (*midi_clear)(void *buf);
    bool (*midi_write)(void *buf, uint32_t offset, const uint8_t *data, uint32_t len);
} reel_jack_port_ops;

/* One capture stream as the period sees it (memory from reel_rt_alloc). */
typedef struct reel_jack_rt_stream {
    reel_chunk_writer *cw;
    bool midi;
    uint32_t channels;   /* audio: ports; MIDI: 1 */
    void **ports;        /* `channels` port handles (opaque to this module) */
    const float **bufs;  /* scratch: `channels` buffer pointers */
    const float **zeros; /* `channels` pointers to the shared zero buffer */
} reel_jack_rt_stream;

/* One MIDI output. `sched` is set before `armed` is raised (release). */
typedef struct reel_jack_rt_out {
    void *port;
    reel_midi_sched *sched;
    _Atomic bool armed;
    _Atomic bool dead; /* taken off by the supervisor: the server went away */
} reel_jack_rt_out;

/* One graph player's audio outputs (memory from reel_rt_alloc): the
 * player's period writes its plan's main output into these ports. */
typedef struct reel_jack_rt_player {
    reel_player *player;
    uint32_t channels;
    void *ports[REEL_PLAN_CH_MAX];
    float *bufs[REEL_PLAN_CH_MAX]; /* scratch: this period's port buffers */
    _Atomic bool dead;             /* taken off by the supervisor: the server went away */
} reel_jack_rt_player;

/* One controller port pair (the mapping layer's MIDI in and feedback out,
 * render/engine/mapping_live.h; memory from reel_rt_alloc). The period
 * copies every short message (1 to 3 bytes; SysEx is not a controller's)
 * arriving at `in_port` into `in`, stamped with its device frame, counting
 * those that find the ring full in `in_dropped` (a flood is counted, never
 * waited for); and writes up to REEL_RT_CTL_OUT_PER_PERIOD messages from
 * `out` to `out_port` at the period's start. */
typedef struct reel_jack_ctl_msg {
    uint64_t dev; /* device frame the message arrived at (in); unused (out) */
    uint8_t len;
    uint8_t data[3];
} reel_jack_ctl_msg;

typedef struct reel_jack_rt_ctl {
    void *in_port, *out_port;
    reel_ring in;  /* realtime -> control */
    reel_ring out; /* control -> realtime */
    _Atomic uint64_t in_count, in_dropped, out_count;
    _Atomic bool dead; /* taken off by the supervisor: the server went away */
} reel_jack_rt_ctl;

typedef enum reel_jack_rt_cmd_type {
    REEL_JACK_RT_ADD_STREAM = 1,
    REEL_JACK_RT_REMOVE_STREAM = 2,
    REEL_JACK_RT_ADD_OUT = 3,
    REEL_JACK_RT_REMOVE_OUT = 4,
    REEL_JACK_RT_ADD_PLAYER = 5,
    REEL_JACK_RT_REMOVE_PLAYER = 6,
    REEL_JACK_RT_ADD_CTL = 7,
    REEL_JACK_RT_REMOVE_CTL = 8,
} reel_jack_rt_cmd_type;

typedef struct reel_jack_rt_cmd {
    uint32_t type;
    uint64_t seq;
    void *ptr; /* reel_jack_rt_stream *, _out *, _player * or _ctl * */
} reel_jack_rt_cmd;

typedef struct reel_jack_rt {
    /* Producer-owned tables (the process callback, or the supervisor while
     * the server is away). */
    reel_jack_rt_stream *streams[REEL_RT_STREAMS_MAX];
    size_t n_streams;
    reel_jack_rt_out *outs[REEL_RT_OUTS_MAX];
    size_t n_outs;
    reel_jack_rt_player *players[REEL_RT_PLAYERS_MAX];
    size_t n_players;
    reel_jack_rt_ctl *ctls[REEL_RT_CTLS_MAX];
    size_t n_ctls;

    reel_ring cmds;           /* control -> producer: reel_jack_rt_cmd */
    uint64_t pushed;          /* control-owned: seq of the last command pushed */
    _Atomic uint64_t applied; /* seq of the last command applied (release) */

    const reel_jack_port_ops *ops;
    uint32_t rate;     /* the streams' nominal rate */
    const float *zero; /* REEL_JACK_ZERO_FRAMES zeros, pre-faulted */

    /* Counted by other threads (xrun / sample-rate / supervisor), forwarded
     * to the writers by whoever is the producer at the next period. */
    _Atomic uint64_t xruns;
    _Atomic uint64_t gaps;
    uint64_t xruns_fwd, gaps_fwd; /* producer-owned */

    /* The device frame clock, extended to 64 bits (producer-owned). The low
     * 32 bits are JACK's frame time; a new server (after a restart) starts
     * a new epoch in the high word so the value never goes back. */
    uint64_t dev;
    bool dev_valid;
    bool dev_new_epoch;

    /* Periods JACK skipped for this client (the frame time jumped further
     * than the last period's length, e.g. after a server-side xrun): the
     * frames in between are owed as silence so positions stay true to the
     * device clock. Jumps over 10 s are taken as a new clock instead. */
    uint64_t expect_dev;
    _Atomic uint64_t dropped_frames;

    /* Hand-over from the supervisor: the frames between fill_from_mono (the
     * end of the silence it wrote) and the first period after
     * re-activation are owed as silence (at most an hour). */
    bool fill_pending;
    int64_t fill_from_mono, fill_from_wall;
    _Atomic uint64_t fill_frames;

    /* The end of the last period written (mono/wall ns), for the supervisor. */
    _Atomic int64_t end_mono, end_wall;
    _Atomic uint64_t periods;
} reel_jack_rt;

/* Set up (off the realtime thread): the command ring and the zero buffer.
 * `rt` itself should live in realtime memory (reel_rt_alloc). */
int reel_jack_rt_init(reel_jack_rt *rt, const reel_jack_port_ops *ops, uint32_t rate,
                      reel_error *err);
void reel_jack_rt_destroy(reel_jack_rt *rt);

/* Control side: queue a command; false if the queue is full. *seq is the
 * number to wait for in `applied`. Callers serialize among themselves. */
bool reel_jack_rt_push(reel_jack_rt *rt, reel_jack_rt_cmd_type type, void *ptr, uint64_t *seq);

/* Producer: apply up to REEL_RT_CMDS_PER_PERIOD queued commands (an add
 * beyond a table's capacity is refused: the entry is not added, and the
 * control side checked the count before pushing). */
void reel_jack_rt_commands(reel_jack_rt *rt);

/* 64-bit device frame of a 32-bit JACK frame time (producer only). */
uint64_t reel_jack_rt_device_frame(reel_jack_rt *rt, uint32_t frame_time);

/* Forward counted xruns and gaps to every writer (producer only). */
void reel_jack_rt_forward(reel_jack_rt *rt);

/* Write `n` frames of silence to every stream (zeros / MIDI advance) now,
 * stamped with the given clocks at their first frame (producer only; the
 * supervisor, in steps of ~10 ms, not the realtime thread). */
void reel_jack_rt_silence(reel_jack_rt *rt, uint64_t n, int64_t mono_ns, int64_t wall_ns,
                          uint64_t device_frame);

/* The supervisor took over: every output, player and controller port is marked dead and
 * taken off (their ports went with the client). Producer only. */
void reel_jack_rt_drop_outs(reel_jack_rt *rt);

/* One JACK period of `nframes` frames whose first frame has JACK frame time
 * `frame_time`; `now_mono` / `now_wall` are the clocks read at the start of
 * the callback (the period's first frame was captured one period earlier). */
void reel_jack_process_period(reel_jack_rt *rt, uint32_t nframes, uint32_t frame_time,
                              int64_t now_mono, int64_t now_wall);

#endif
