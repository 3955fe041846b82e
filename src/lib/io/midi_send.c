/*
 * midi_send.c — a MIDI output on the realtime context (see midi_send.h):
 * a port of the shared client, or of a client of its own; the period's work
 * is rt/jack_rt.c's (it plays the schedule into the port's buffer).
 */
#include "io/midi_send.h"

#include "io/jack_backend.h"
#include "rt/rt_limits.h"
#include "rt/rt_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reel_midi_send {
    reel_jack *jk;
    bool own;       /* a client of its own (else the shared one, acquired) */
    reel_jack_out *out;
    uint32_t rate, period;
    reel_midi_sched sched;
    const reel_midi_sched_ev *evs; /* the caller's list, fed from */
    bool has_sched;
};

int reel_midi_send_open(reel_midi_send **out, const char *client_name, const char *server,
                        reel_error *err)
{
    /* The callback reads the schedule inside it: realtime memory. */
    reel_midi_send *m = reel_rt_alloc(sizeof *m, err);
    if (!m)
        return err ? err->code : REEL_ENOMEM;
    const char *name = client_name && *client_name ? client_name : "reel-request";
    int rc;
    char port[128];
    m->jk = reel_jack_shared_acquire(server);
    if (m->jk) {
        snprintf(port, sizeof port, "%.100s-out", name);
    } else {
        if ((rc = reel_jack_open(&m->jk, name, server, err))) {
            reel_rt_free(m, sizeof *m);
            return rc;
        }
        m->own = true;
        snprintf(port, sizeof port, "out");
        if ((rc = reel_jack_activate(m->jk, err)))
            goto fail;
    }
    if ((rc = reel_jack_out_add(m->jk, port, &m->out, err)))
        goto fail;
    m->rate = reel_jack_sample_rate(m->jk);
    m->period = reel_jack_buffer_size(m->jk);
    *out = m;
    return REEL_OK;
fail:
    if (m->own)
        reel_jack_close(m->jk);
    else
        reel_jack_shared_release(m->jk);
    reel_rt_free(m, sizeof *m);
    return rc;
}

uint32_t reel_midi_send_rate(const reel_midi_send *m)
{
    return m->rate;
}

uint32_t reel_midi_send_period(const reel_midi_send *m)
{
    return m->period;
}

bool reel_midi_send_shared(const reel_midi_send *m)
{
    return !m->own;
}

const char *reel_midi_send_port_name(const reel_midi_send *m)
{
    return reel_jack_out_port_name(m->out);
}

int reel_midi_send_connect(reel_midi_send *m, const char *dest, reel_error *err)
{
    int rc = reel_jack_check_port(m->jk, dest, true, true, err);
    if (rc)
        return rc;
    return reel_jack_connect(m->jk, reel_jack_out_port_name(m->out), dest, err);
}

uint32_t reel_midi_send_now(const reel_midi_send *m)
{
    return reel_jack_frame_time(m->jk);
}

int reel_midi_send_port_latency(reel_midi_send *m, const char *port, bool capture,
                                uint32_t range[2], reel_error *err)
{
    return reel_jack_port_latency(m->jk, port, capture, range, err);
}

int reel_midi_send_play(reel_midi_send *m, const reel_midi_sched_ev *evs, size_t n,
                        reel_error *err)
{
    if (m->has_sched)
        return reel_error_set(err, REEL_ESTATE, "this MIDI output already played a schedule");
    int rc = reel_midi_sched_init(&m->sched, n, REEL_MIDI_SEND_RING, err);
    if (rc)
        return rc;
    m->has_sched = true;
    m->evs = evs;
    reel_midi_sched_feed(&m->sched, evs); /* the first REEL_MIDI_SEND_RING before the start */
    reel_jack_out_play(m->out, &m->sched);
    return REEL_OK;
}

bool reel_midi_send_pump(reel_midi_send *m, int *rc, reel_error *err)
{
    *rc = REEL_OK;
    if (!reel_jack_out_alive(m->out)) {
        *rc = reel_error_set(err, REEL_EDEVICE, "the JACK server went away while playing");
        return false;
    }
    if (!m->has_sched)
        return true;
    reel_midi_sched_feed(&m->sched, m->evs);
    return reel_midi_sched_done(&m->sched) == m->sched.n_events;
}

const reel_midi_sched *reel_midi_send_sched(const reel_midi_send *m)
{
    return m->has_sched ? &m->sched : NULL;
}

uint64_t reel_midi_send_xruns(const reel_midi_send *m)
{
    return reel_jack_out_xruns(m->out);
}

void reel_midi_send_close(reel_midi_send *m)
{
    if (!m)
        return;
    /* The realtime side lets go of the port (and the schedule) first. */
    bool gone = reel_jack_out_remove(m->jk, m->out);
    if (m->own)
        reel_jack_close(m->jk); /* no realtime side is left after this */
    else
        reel_jack_shared_release(m->jk);
    if (!gone && !m->own)
        return; /* the shared client may still read the schedule: leave it */
    if (m->has_sched)
        reel_midi_sched_destroy(&m->sched);
    reel_rt_free(m, sizeof *m);
}
