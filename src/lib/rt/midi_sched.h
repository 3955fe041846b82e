/*
 * midi_sched.h — the realtime half of playing MIDI at exact frames: a
 * schedule of events, each due at a JACK frame time, handed to the process
 * callback through a lock-free ring and written into each cycle's MIDI
 * buffer at its frame offset. Separated from libjack (midi_send.c is the
 * glue) so that it is tested cycle by cycle without a server.
 *
 * Frame times are JACK's 32-bit frame clock; they wrap, so every comparison
 * is a signed 32-bit difference: the caller keeps a schedule within
 * REEL_MIDI_SCHED_MAX_SPAN frames of its start (6 hours at 48 kHz).
 *
 * Owns: the ring (feeder -> realtime), the one event the realtime side holds
 * back until its cycle, and the per-event results (the frame time each went
 * out at, or that it was dropped), published with a release counter. Must
 * never (in reel_midi_sched_cycle): allocate, lock, log or make a system
 * call; keep pointers to event bytes past the schedule (the caller owns
 * them and keeps them alive until the schedule is destroyed).
 */
#ifndef REEL_MIDI_SCHED_H
#define REEL_MIDI_SCHED_H

#include "rt/ring.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_MIDI_SCHED_MAX_SPAN (1u << 30)

typedef struct reel_midi_sched_ev {
    uint32_t at;    /* JACK frame time it is due at */
    uint32_t index; /* its position in the caller's list (< n_events) */
    uint32_t len;
    const uint8_t *data;
} reel_midi_sched_ev;

typedef enum reel_midi_sched_state {
    REEL_MIDI_PENDING = 0,
    REEL_MIDI_SENT = 1,    /* at its frame, or late at the first frame of a later cycle */
    REEL_MIDI_DROPPED = 2, /* the cycle's buffer refused it (too large, or full) */
} reel_midi_sched_state;

/* Write one event at `offset` frames into the current cycle's buffer;
 * false if the buffer refused it. Realtime-safe. */
typedef bool (*reel_midi_sched_write_fn)(void *ud, uint32_t offset, const uint8_t *data,
                                         uint32_t len);

typedef struct reel_midi_sched {
    reel_ring todo;   /* reel_midi_sched_ev, feeder -> realtime */
    size_t n_events;
    size_t fed;       /* feeder-owned: events pushed so far */
    /* Realtime-owned while the schedule runs; read by others only for the
     * indices below `done` (acquire). */
    uint32_t *sent_at;
    uint8_t *state;
    reel_midi_sched_ev held; /* popped, not yet due */
    bool has_held;
    uint32_t last_end;       /* the frame after the last cycle this schedule ran in */
    bool has_last;
    _Atomic size_t done;     /* events handled (sent or dropped), in order */
    _Atomic uint64_t late;   /* sent after their frame */
    /* Of `late`, those whose frame fell in frames JACK gave this client no
     * cycle for (between the end of the schedule's previous cycle and the
     * start of the one that sent them: an xrun). A late event not counted
     * here was late although its cycle ran (fed or armed too late). */
    _Atomic uint64_t late_skipped;
    _Atomic uint64_t dropped;
} reel_midi_sched;

/* n_events in all; the ring holds up to ring_capacity of them at a time. */
int reel_midi_sched_init(reel_midi_sched *s, size_t n_events, size_t ring_capacity,
                         reel_error *err);
void reel_midi_sched_destroy(reel_midi_sched *s);

/* Feeder: push evs[s->fed ..] (the caller's whole list, sorted by `at`, with
 * index == position) while the ring has room. Returns how many are still to
 * push. */
size_t reel_midi_sched_feed(reel_midi_sched *s, const reel_midi_sched_ev *evs);

/* Realtime: the cycle of `nframes` frames starting at frame time
 * `cycle_start`. Every event due before its end is written, in order, at
 * offset (at - cycle_start), or at 0 if it is already late (counted in
 * `late`, and in `late_skipped` too if its frame was in a skipped span). */
void reel_midi_sched_cycle(reel_midi_sched *s, uint32_t cycle_start, uint32_t nframes,
                           reel_midi_sched_write_fn write, void *ud);

/* Events handled so far (their sent_at / state are final). */
size_t reel_midi_sched_done(const reel_midi_sched *s);

#endif
