/*
 * midi_send.c — the libjack glue of the MIDI player (see midi_send.h).
 * Must never (in process_cb): allocate, lock, log or make a system call.
 */
#include "io/midi_send.h"

#include "io/jack_backend.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdlib.h>
#include <string.h>

#define RING_EVENTS 1024

struct reel_midi_send {
    jack_client_t *client;
    jack_port_t *port;
    uint32_t rate, period;
    reel_midi_sched sched;
    const reel_midi_sched_ev *evs; /* the caller's list, fed from */
    _Atomic bool armed;            /* sched is set up: the callback may use it */
    _Atomic bool shutdown;
    _Atomic uint64_t xruns;
    bool has_sched;
};

static bool write_ev(void *ud, uint32_t offset, const uint8_t *data, uint32_t len)
{
    return jack_midi_event_write(ud, offset, data, len) == 0;
}

static int process_cb(jack_nframes_t nframes, void *arg)
{
    reel_midi_send *m = arg;
    void *buf = jack_port_get_buffer(m->port, nframes);
    if (!buf)
        return 0;
    jack_midi_clear_buffer(buf); /* an output buffer holds last cycle's events otherwise */
    if (atomic_load_explicit(&m->armed, memory_order_acquire))
        reel_midi_sched_cycle(&m->sched, jack_last_frame_time(m->client), nframes, write_ev,
                              buf);
    return 0;
}

static int xrun_cb(void *arg)
{
    reel_midi_send *m = arg;
    atomic_fetch_add_explicit(&m->xruns, 1, memory_order_relaxed);
    return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    reel_midi_send *m = arg;
    atomic_store(&m->shutdown, true);
}

int reel_midi_send_open(reel_midi_send **out, const char *client_name, const char *server,
                        reel_error *err)
{
    reel_midi_send *m = calloc(1, sizeof *m);
    if (!m)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = reel_jack_client_open(&m->client, client_name && *client_name ? client_name
                                                                          : "reel-request",
                                   server, err);
    if (rc) {
        free(m);
        return rc;
    }
    m->rate = jack_get_sample_rate(m->client);
    m->period = jack_get_buffer_size(m->client);
    m->port = jack_port_register(m->client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!m->port || jack_set_process_callback(m->client, process_cb, m) ||
        jack_set_xrun_callback(m->client, xrun_cb, m)) {
        jack_client_close(m->client);
        free(m);
        return reel_error_set(err, REEL_EDEVICE, "cannot set up the JACK MIDI output port");
    }
    jack_on_info_shutdown(m->client, shutdown_cb, m);
    if (jack_activate(m->client)) {
        jack_client_close(m->client);
        free(m);
        return reel_error_set(err, REEL_EDEVICE, "cannot activate the JACK client");
    }
    *out = m;
    return REEL_OK;
}

uint32_t reel_midi_send_rate(const reel_midi_send *m)
{
    return m->rate;
}

uint32_t reel_midi_send_period(const reel_midi_send *m)
{
    return m->period;
}

const char *reel_midi_send_port_name(const reel_midi_send *m)
{
    return jack_port_name(m->port);
}

int reel_midi_send_connect(reel_midi_send *m, const char *dest, reel_error *err)
{
    jack_port_t *p = jack_port_by_name(m->client, dest);
    if (!p)
        return reel_error_set(err, REEL_ENOENT, "no JACK port '%s' (see jack_lsp)", dest);
    const char *type = jack_port_type(p);
    if (!(jack_port_flags(p) & JackPortIsInput) || !type ||
        strcmp(type, JACK_DEFAULT_MIDI_TYPE) != 0)
        return reel_error_set(err, REEL_EINVAL, "JACK port '%s' is not a MIDI input", dest);
    int rc = jack_connect(m->client, jack_port_name(m->port), dest);
    if (rc != 0 && rc != EEXIST)
        return reel_error_set(err, REEL_EDEVICE, "cannot connect %s to %s",
                              jack_port_name(m->port), dest);
    return REEL_OK;
}

uint32_t reel_midi_send_now(const reel_midi_send *m)
{
    return jack_frame_time(m->client);
}

int reel_midi_send_port_latency(reel_midi_send *m, const char *port, bool capture,
                                uint32_t range[2], reel_error *err)
{
    jack_port_t *p = jack_port_by_name(m->client, port);
    if (!p)
        return reel_error_set(err, REEL_ENOENT, "no JACK port '%s'", port);
    jack_latency_range_t r;
    jack_port_get_latency_range(p, capture ? JackCaptureLatency : JackPlaybackLatency, &r);
    range[0] = r.min;
    range[1] = r.max;
    return REEL_OK;
}

int reel_midi_send_play(reel_midi_send *m, const reel_midi_sched_ev *evs, size_t n,
                        reel_error *err)
{
    if (m->has_sched)
        return reel_error_set(err, REEL_ESTATE, "this MIDI output already played a schedule");
    int rc = reel_midi_sched_init(&m->sched, n, RING_EVENTS, err);
    if (rc)
        return rc;
    m->has_sched = true;
    m->evs = evs;
    reel_midi_sched_feed(&m->sched, evs); /* the first RING_EVENTS before the start */
    atomic_store_explicit(&m->armed, true, memory_order_release);
    return REEL_OK;
}

bool reel_midi_send_pump(reel_midi_send *m, int *rc, reel_error *err)
{
    *rc = REEL_OK;
    if (atomic_load(&m->shutdown)) {
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
    return atomic_load(&((reel_midi_send *)m)->xruns);
}

void reel_midi_send_close(reel_midi_send *m)
{
    if (!m)
        return;
    jack_deactivate(m->client); /* the callback has returned for good */
    jack_client_close(m->client);
    if (m->has_sched)
        reel_midi_sched_destroy(&m->sched);
    free(m);
}
