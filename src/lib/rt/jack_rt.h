/*
 * jack_rt.h — the per-period work of the JACK backend, separated from
 * libjack so that it can be driven (and proved realtime-safe) without a
 * server. Internal to libreel: jack_backend.c's process callback calls
 * reel_jack_process_period with ops that wrap jack_port_get_buffer,
 * jack_midi_get_event_count and jack_midi_event_get; tests pass their own.
 *
 * Owns: stamping each period's clocks (monotonic and wall ns of the
 * period's first frame, via vDSO clock_gettime; the 64-bit extension of the
 * JACK frame time), forwarding xruns and device errors counted by other
 * threads, filling the frames missed at a hand-over from the supervisor,
 * and copying every stream's ports into its chunk writer. Must never:
 * allocate, lock, log, or make a system call.
 */
#ifndef REEL_JACK_RT_H
#define REEL_JACK_RT_H

#include "rt/chunk_writer.h"

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
} reel_jack_port_ops;

/* One stream as the period sees it. Arrays are allocated before activation. */
typedef struct reel_jack_rt_stream {
    reel_chunk_writer *cw;
    bool midi;
    uint32_t channels;   /* audio: ports; MIDI: 1 */
    void **ports;        /* `channels` port handles (opaque to this module) */
    const float **bufs;  /* scratch: `channels` buffer pointers */
    const float **zeros; /* `channels` pointers to the shared zero buffer */
} reel_jack_rt_stream;

#define REEL_JACK_ZERO_FRAMES 4096

typedef struct reel_jack_rt {
    reel_jack_rt_stream *streams;
    size_t n_streams;
    const reel_jack_port_ops *ops;
    uint32_t rate;       /* the streams' nominal rate */
    const float *zero;   /* REEL_JACK_ZERO_FRAMES zeros, pre-faulted */

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
     * frames in between are written as zeros so positions stay true to the
     * device clock. Jumps over 10 s are taken as a new clock instead. */
    uint64_t expect_dev;
    _Atomic uint64_t dropped_frames;

    /* Hand-over from the supervisor: the frames between fill_from_mono (the
     * end of the silence it wrote) and this period's first frame are written
     * as zeros by the first period after re-activation. */
    bool fill_pending;
    int64_t fill_from_mono, fill_from_wall;

    /* The end of the last period written (mono/wall ns), for the supervisor. */
    _Atomic int64_t end_mono, end_wall;
    _Atomic uint64_t periods;
} reel_jack_rt;

/* 64-bit device frame of a 32-bit JACK frame time (producer only). */
uint64_t reel_jack_rt_device_frame(reel_jack_rt *rt, uint32_t frame_time);

/* Forward counted xruns and gaps to every writer (producer only). */
void reel_jack_rt_forward(reel_jack_rt *rt);

/* Write `n` frames of silence to every stream (zeros / MIDI advance),
 * stamped with the given clocks at their first frame (producer only). */
void reel_jack_rt_silence(reel_jack_rt *rt, uint64_t n, int64_t mono_ns, int64_t wall_ns,
                          uint64_t device_frame);

/* One JACK period of `nframes` frames whose first frame has JACK frame time
 * `frame_time`; `now_mono` / `now_wall` are the clocks read at the start of
 * the callback (the period's first frame was captured one period earlier). */
void reel_jack_process_period(reel_jack_rt *rt, uint32_t nframes, uint32_t frame_time,
                              int64_t now_mono, int64_t now_wall);

#endif
