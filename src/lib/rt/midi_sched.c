/*
 * midi_sched.c — MIDI events written at their frame inside each cycle (see
 * midi_sched.h). Must never (in the cycle): allocate, lock or make a
 * system call.
 */
#include "rt/midi_sched.h"

#include "rt/rt_mem.h"

#include <stdlib.h>
#include <string.h>

int reel_midi_sched_init(reel_midi_sched *s, size_t n_events, size_t ring_capacity,
                         reel_error *err)
{
    memset(s, 0, sizeof *s);
    if (n_events == 0 || n_events > UINT32_MAX)
        return reel_error_set(err, REEL_EINVAL, "a schedule needs 1 to 2^32-1 events (got %zu)",
                              n_events);
    int rc = reel_ring_init(&s->todo, sizeof(reel_midi_sched_ev), ring_capacity, err);
    if (rc)
        return rc;
    s->n_events = n_events;
    /* Written by the realtime side as events go out: pages of their own,
     * faulted in and locked (rt_mem.h). */
    s->sent_at = reel_rt_alloc(n_events * sizeof *s->sent_at, NULL);
    s->state = reel_rt_alloc(n_events * sizeof *s->state, NULL);
    if (!s->sent_at || !s->state) {
        reel_midi_sched_destroy(s);
        return reel_error_set(err, REEL_ENOMEM, "out of memory for %zu MIDI events", n_events);
    }
    atomic_init(&s->done, 0);
    atomic_init(&s->late, 0);
    atomic_init(&s->late_skipped, 0);
    atomic_init(&s->dropped, 0);
    return REEL_OK;
}

void reel_midi_sched_destroy(reel_midi_sched *s)
{
    reel_ring_destroy(&s->todo);
    reel_rt_free(s->sent_at, s->n_events * sizeof *s->sent_at);
    reel_rt_free(s->state, s->n_events * sizeof *s->state);
    s->sent_at = NULL;
    s->state = NULL;
}

size_t reel_midi_sched_feed(reel_midi_sched *s, const reel_midi_sched_ev *evs)
{
    while (s->fed < s->n_events && reel_ring_push(&s->todo, &evs[s->fed]))
        s->fed++;
    return s->n_events - s->fed;
}

void reel_midi_sched_cycle(reel_midi_sched *s, uint32_t cycle_start, uint32_t nframes,
                           reel_midi_sched_write_fn write, void *ud)
{
    size_t done = atomic_load_explicit(&s->done, memory_order_relaxed);
    /* Frames [last_end, cycle_start) had no cycle here: JACK skipped them. */
    bool gap = s->has_last && (int32_t)(cycle_start - s->last_end) > 0;
    for (;;) {
        if (!s->has_held) {
            if (!reel_ring_pop(&s->todo, &s->held))
                break;
            s->has_held = true;
        }
        reel_midi_sched_ev *ev = &s->held;
        int32_t d = (int32_t)(ev->at - cycle_start); /* wraps with the frame clock */
        if (d >= (int32_t)nframes)
            break; /* due in a later cycle: keep it */
        uint32_t off = d < 0 ? 0 : (uint32_t)d;
        if (ev->index < s->n_events) {
            if (write(ud, off, ev->data, ev->len)) {
                s->sent_at[ev->index] = cycle_start + off;
                s->state[ev->index] = REEL_MIDI_SENT;
                if (d < 0)
                    atomic_fetch_add_explicit(&s->late, 1, memory_order_relaxed);
                if (d < 0 && gap && (int32_t)(ev->at - s->last_end) >= 0)
                    atomic_fetch_add_explicit(&s->late_skipped, 1, memory_order_relaxed);
            } else {
                s->state[ev->index] = REEL_MIDI_DROPPED;
                atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
            }
        }
        s->has_held = false;
        done++;
    }
    s->last_end = cycle_start + nframes;
    s->has_last = true;
    /* Release: the results of every handled event are visible with it. */
    atomic_store_explicit(&s->done, done, memory_order_release);
}

size_t reel_midi_sched_done(const reel_midi_sched *s)
{
    return atomic_load_explicit(&((reel_midi_sched *)s)->done, memory_order_acquire);
}
