/*
 * jack_backend.c — capture from a JACK server (see jack_backend.h).
 *
 * Threads and who produces into the chunk writers (each writer has exactly
 * one producer at any moment):
 *   - JACK's process thread, while the client is active and the server is
 *     up: reel_jack_process_period (jack_rt.h; the code below, no
 *     allocation, lock, log or system call).
 *   - The supervisor (a plain thread, started by reel_jack_activate), while
 *     the server is gone: it writes silence at the nominal rate in ~10 ms
 *     steps and tries every 500 ms to open a new client. It only produces
 *     while no client is active: the old client is closed (its threads
 *     joined) before it starts, and it stops producing before it activates
 *     the new client. The first period after that fills the frames between
 *     the end of its silence and the period's first frame, so the timeline
 *     has no hole.
 *   - The caller of reel_jack_close, after the client is closed and the
 *     supervisor joined: reel_cw_finish.
 * Other JACK threads only touch atomics: the xrun callback counts xruns, a
 * sample-rate change counts a gap (the streams keep their nominal rate; a
 * server restarted at another rate is not reconnected), the shutdown
 * callback raises a flag. The producer of the moment forwards the counts to
 * the writers.
 *
 * A process callback that starts while the shutdown flag is up returns at
 * once; `in_process` (sequentially consistent, with the flag) lets the
 * supervisor wait out one that was already running.
 *
 * Profiling: with REEL_JACK_PROFILE=PATH the callback also stores its own
 * duration (CLOCK_MONOTONIC, vDSO) into an array allocated and pre-faulted at
 * activation (REEL_JACK_PROFILE_MAX periods, default 1,000,000) and writes
 * them to PATH, one nanosecond count per line, at close. That mode adds
 * two clock reads and a store per period; it is not the steady-state path.
 */
#include "io/jack_backend.h"

#include "time/clock.h"
#include "rt/jack_rt.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL
#define SUPERVISOR_STEP_NS 10000000LL /* silence written in ~10 ms steps */
#define RECONNECT_NS 500000000LL      /* reopen / relink every 500 ms */
#define MAX_FILL_NS (3600LL * NS)     /* a hand-over never fills more than an hour */

/* ---- the per-period work (jack_rt.h) ------------------------------------ */

uint64_t reel_jack_rt_device_frame(reel_jack_rt *rt, uint32_t frame_time)
{
    if (!rt->dev_valid) {
        rt->dev = frame_time;
        rt->dev_valid = true;
    } else if (rt->dev_new_epoch) {
        rt->dev = (((rt->dev >> 32) + 1) << 32) | frame_time;
    } else {
        rt->dev += (uint32_t)(frame_time - (uint32_t)rt->dev);
    }
    rt->dev_new_epoch = false;
    return rt->dev;
}

void reel_jack_rt_forward(reel_jack_rt *rt)
{
    uint64_t x = atomic_load_explicit(&rt->xruns, memory_order_relaxed);
    uint64_t g = atomic_load_explicit(&rt->gaps, memory_order_relaxed);
    for (; rt->xruns_fwd < x; rt->xruns_fwd++)
        for (size_t i = 0; i < rt->n_streams; i++)
            reel_cw_note_xrun(rt->streams[i].cw);
    for (; rt->gaps_fwd < g; rt->gaps_fwd++)
        for (size_t i = 0; i < rt->n_streams; i++)
            reel_cw_note_gap(rt->streams[i].cw);
}

void reel_jack_rt_silence(reel_jack_rt *rt, uint64_t n, int64_t mono_ns, int64_t wall_ns,
                          uint64_t device_frame)
{
    for (size_t i = 0; i < rt->n_streams; i++) {
        reel_jack_rt_stream *s = &rt->streams[i];
        reel_cw_set_clock(s->cw, mono_ns, wall_ns, device_frame);
        for (uint64_t left = n; left > 0;) {
            size_t k = left > REEL_JACK_ZERO_FRAMES ? REEL_JACK_ZERO_FRAMES : (size_t)left;
            if (s->midi)
                reel_cw_advance(s->cw, k);
            else
                reel_cw_write_planar_f32(s->cw, s->zeros, k);
            left -= k;
        }
    }
}

void reel_jack_process_period(reel_jack_rt *rt, uint32_t nframes, uint32_t frame_time,
                              int64_t now_mono, int64_t now_wall)
{
    const reel_jack_port_ops *ops = rt->ops;
    int64_t back = rt->rate ? (int64_t)nframes * NS / rt->rate : 0;
    int64_t mono = now_mono - back, wall = now_wall - back;
    bool fresh = !rt->dev_valid || rt->dev_new_epoch;
    uint64_t dev = reel_jack_rt_device_frame(rt, frame_time);
    reel_jack_rt_forward(rt);
    if (!fresh && dev > rt->expect_dev && dev - rt->expect_dev <= (uint64_t)rt->rate * 10) {
        uint64_t miss = dev - rt->expect_dev;
        int64_t dns = rt->rate ? (int64_t)(miss * (uint64_t)NS / rt->rate) : 0;
        reel_jack_rt_silence(rt, miss, mono - dns, wall - dns, rt->expect_dev);
        atomic_fetch_add_explicit(&rt->dropped_frames, miss, memory_order_relaxed);
    }
    rt->expect_dev = dev + nframes;
    if (rt->fill_pending) {
        rt->fill_pending = false;
        int64_t dt = mono - rt->fill_from_mono;
        if (dt > MAX_FILL_NS)
            dt = MAX_FILL_NS;
        if (dt > 0) {
            uint64_t miss = (uint64_t)((dt * (int64_t)rt->rate + NS / 2) / NS);
            if (miss > 0)
                reel_jack_rt_silence(rt, miss, rt->fill_from_mono, rt->fill_from_wall,
                                     dev >= miss ? dev - miss : 0);
        }
    }
    for (size_t i = 0; i < rt->n_streams; i++) {
        reel_jack_rt_stream *s = &rt->streams[i];
        reel_cw_set_clock(s->cw, mono, wall, dev);
        if (!s->midi) {
            for (uint32_t c = 0; c < s->channels; c++)
                s->bufs[c] = ops->buffer(s->ports[c], nframes);
            reel_cw_write_planar_f32(s->cw, s->bufs, nframes);
            continue;
        }
        void *buf = ops->buffer(s->ports[0], nframes);
        uint32_t count = buf ? ops->midi_count(buf) : 0;
        for (uint32_t e = 0; e < count; e++) {
            reel_jack_midi_ev ev;
            if (!ops->midi_get(buf, e, &ev) || ev.size == 0 || ev.size > REEL_MIDI_MAX_EVENT)
                continue;
            uint32_t off = ev.time < nframes ? ev.time : (nframes ? nframes - 1 : 0);
            reel_cw_write_midi(s->cw, off, ev.data, (uint32_t)ev.size);
        }
        reel_cw_advance(s->cw, nframes);
    }
    atomic_store_explicit(&rt->end_mono, mono + back, memory_order_relaxed);
    atomic_store_explicit(&rt->end_wall, wall + back, memory_order_relaxed);
    atomic_fetch_add_explicit(&rt->periods, 1, memory_order_relaxed);
}

/* ---- libjack glue ------------------------------------------------------- */

typedef struct jstream {
    bool midi;
    uint32_t channels;
    char (*names)[REEL_JACK_PORT_MAX];   /* short port names */
    char (*sources)[REEL_JACK_PORT_MAX]; /* "" = leave unconnected */
    bool *linked;                        /* source connected since (re)activation */
    jack_port_t **ports;
    const float **bufs, **zeros;
    reel_chunk_writer *cw;
} jstream;

struct reel_jack {
    char name[REEL_JACK_PORT_MAX]; /* the client name the server gave us */
    char server[256];
    bool has_server;
    jack_client_t *client;
    jstream *js;
    size_t n_js;
    reel_jack_rt rt;
    reel_jack_rt_stream *rts;
    float *zero;
    uint32_t nominal_rate;
    bool activated, finished;

    _Atomic bool shutdown;  /* the server went away (or the client was kicked) */
    _Atomic int in_process; /* a process callback is running */
    _Atomic bool stop;      /* close: supervisor, leave */
    _Atomic bool connected;
    _Atomic uint32_t sample_rate, buffer_size;
    _Atomic uint64_t gaps;
    pthread_t sup;
    bool sup_started;

    /* profiling (REEL_JACK_PROFILE) */
    uint32_t *prof;
    size_t prof_cap;
    _Atomic size_t prof_n;
    char *prof_path;
};

static void *port_buffer(void *port, uint32_t nframes)
{
    return jack_port_get_buffer((jack_port_t *)port, nframes);
}

static uint32_t midi_count(void *buf)
{
    return jack_midi_get_event_count(buf);
}

static bool midi_get(void *buf, uint32_t i, reel_jack_midi_ev *ev)
{
    jack_midi_event_t je;
    if (jack_midi_event_get(&je, buf, i) != 0)
        return false;
    ev->time = je.time;
    ev->size = je.size;
    ev->data = je.buffer;
    return true;
}

static const reel_jack_port_ops jack_ops = {port_buffer, midi_count, midi_get};

static int64_t mono_now(void)
{
    return reel_clock_mono_now();
}

static void nap_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / NS), (long)(ns % NS)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int process_cb(jack_nframes_t nframes, void *arg)
{
    reel_jack *j = arg;
    atomic_store(&j->in_process, 1);
    if (!atomic_load(&j->shutdown)) {
        int64_t mono = reel_clock_mono_now();
        int64_t wall = reel_clock_wall_now();
        reel_jack_process_period(&j->rt, nframes, jack_last_frame_time(j->client), mono, wall);
        if (j->prof) {
            size_t k = atomic_load_explicit(&j->prof_n, memory_order_relaxed);
            if (k < j->prof_cap) {
                int64_t d = reel_clock_mono_now() - mono;
                j->prof[k] = d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
                atomic_store_explicit(&j->prof_n, k + 1, memory_order_relaxed);
            }
        }
    }
    atomic_store(&j->in_process, 0);
    return 0;
}

static int xrun_cb(void *arg)
{
    reel_jack *j = arg;
    atomic_fetch_add_explicit(&j->rt.xruns, 1, memory_order_relaxed);
    return 0;
}

static int buffer_size_cb(jack_nframes_t n, void *arg)
{
    reel_jack *j = arg;
    /* Planar writes take any period length: nothing to reallocate. */
    atomic_store(&j->buffer_size, n);
    return 0;
}

static int sample_rate_cb(jack_nframes_t rate, void *arg)
{
    reel_jack *j = arg;
    uint32_t old = atomic_exchange(&j->sample_rate, rate);
    /* The streams keep their nominal rate; a change is a discontinuity. */
    if (old != 0 && old != rate && j->nominal_rate != 0)
        atomic_fetch_add_explicit(&j->rt.gaps, 1, memory_order_relaxed);
    return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    reel_jack *j = arg;
    atomic_store(&j->shutdown, true);
}

/* libjack reports to stderr by default; a library must not, and the
 * supervisor's reconnect attempts would print a line every 500 ms. */
static void jack_quiet(const char *msg)
{
    (void)msg;
}

static jack_client_t *client_open(const char *name, const char *server, bool exact,
                                  jack_status_t *status)
{
    jack_options_t o = JackNoStartServer;
    if (exact)
        o |= JackUseExactName;
    if (server)
        o |= JackServerName;
    return server ? jack_client_open(name, o, status, server) : jack_client_open(name, o, status);
}

static int set_callbacks(reel_jack *j, jack_client_t *c)
{
    if (jack_set_process_callback(c, process_cb, j) || jack_set_xrun_callback(c, xrun_cb, j) ||
        jack_set_buffer_size_callback(c, buffer_size_cb, j) ||
        jack_set_sample_rate_callback(c, sample_rate_cb, j))
        return -1;
    jack_on_info_shutdown(c, shutdown_cb, j);
    return 0;
}

int reel_jack_client_open(jack_client_t **out, const char *client_name, const char *server,
                          reel_error *err)
{
    jack_set_error_function(jack_quiet);
    jack_set_info_function(jack_quiet);
    if (strlen(client_name) >= (size_t)jack_client_name_size())
        return reel_error_set(err, REEL_EINVAL, "JACK client name too long");
    jack_status_t status = 0;
    *out = client_open(client_name, server && *server ? server : NULL, false, &status);
    if (*out)
        return REEL_OK;
    if (status & JackServerFailed)
        return reel_error_set(err, REEL_EDEVICE,
                              "no JACK server running%s%s (start one, e.g. jackd -d dummy)",
                              server && *server ? " named " : "", server ? server : "");
    return reel_error_set(err, REEL_EDEVICE, "cannot open a JACK client (status 0x%x)",
                          (unsigned)status);
}

int reel_jack_open(reel_jack **out, const char *client_name, const char *server,
                   reel_error *err)
{
    if (!client_name || !*client_name)
        client_name = "reel";
    if (server && strlen(server) >= sizeof ((reel_jack *)0)->server)
        return reel_error_set(err, REEL_EINVAL, "JACK server name too long");
    reel_jack *j = calloc(1, sizeof *j);
    if (!j)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (server && *server) {
        snprintf(j->server, sizeof j->server, "%s", server);
        j->has_server = true;
    }
    int rc = reel_jack_client_open(&j->client, client_name, j->has_server ? j->server : NULL, err);
    if (rc) {
        free(j);
        return rc;
    }
    snprintf(j->name, sizeof j->name, "%s", jack_get_client_name(j->client));
    j->nominal_rate = jack_get_sample_rate(j->client);
    atomic_init(&j->sample_rate, j->nominal_rate);
    atomic_init(&j->buffer_size, jack_get_buffer_size(j->client));
    j->rt.rate = j->nominal_rate;
    j->rt.ops = &jack_ops;
    if (set_callbacks(j, j->client)) {
        jack_client_close(j->client);
        free(j);
        return reel_error_set(err, REEL_EDEVICE, "cannot set the JACK callbacks");
    }
    *out = j;
    return REEL_OK;
}

uint32_t reel_jack_sample_rate(const reel_jack *j)
{
    return j->nominal_rate;
}

uint32_t reel_jack_buffer_size(const reel_jack *j)
{
    return atomic_load(&((reel_jack *)j)->buffer_size);
}

size_t reel_jack_physical_capture(reel_jack *j, bool midi, char (*names)[REEL_JACK_PORT_MAX],
                                  size_t max)
{
    if (!j->client)
        return 0;
    const char **p = jack_get_ports(j->client, NULL,
                                    midi ? JACK_DEFAULT_MIDI_TYPE : JACK_DEFAULT_AUDIO_TYPE,
                                    JackPortIsPhysical | JackPortIsOutput);
    size_t n = 0;
    for (; p && p[n] && n < max; n++)
        snprintf(names[n], REEL_JACK_PORT_MAX, "%s", p[n]);
    if (p)
        jack_free(p);
    return n;
}

static int register_ports(reel_jack *j, jack_client_t *c, jstream *s, reel_error *err)
{
    for (uint32_t i = 0; i < s->channels; i++) {
        s->ports[i] = jack_port_register(c, s->names[i],
                                         s->midi ? JACK_DEFAULT_MIDI_TYPE
                                                 : JACK_DEFAULT_AUDIO_TYPE,
                                         JackPortIsInput | JackPortIsTerminal, 0);
        if (!s->ports[i])
            return reel_error_set(err, REEL_EDEVICE, "cannot register JACK port %s:%s", j->name,
                                  s->names[i]);
    }
    return REEL_OK;
}

static void jstream_free(jstream *s)
{
    free(s->names);
    free(s->sources);
    free(s->linked);
    free(s->ports);
    free(s->bufs);
    free(s->zeros);
}

static int add_stream(reel_jack *j, bool midi, const char *prefix, uint32_t channels,
                      const char *const *sources, reel_chunk_writer *cw, reel_error *err)
{
    if (j->activated)
        return reel_error_set(err, REEL_ESTATE, "JACK streams must be added before activation");
    if (!cw || channels == 0 || channels > REEL_MAX_CHANNELS || !prefix || !*prefix)
        return reel_error_set(err, REEL_EINVAL, "bad JACK stream (no writer, channels or name)");
    size_t room = (size_t)jack_port_name_size() - strlen(j->name) - 1;
    if (strlen(prefix) + 6 >= room || strlen(prefix) + 6 >= REEL_JACK_PORT_MAX)
        return reel_error_set(err, REEL_EINVAL, "JACK port name '%s' too long", prefix);
    jstream *grown = realloc(j->js, (j->n_js + 1) * sizeof *grown);
    if (!grown)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    j->js = grown;
    jstream *s = &j->js[j->n_js];
    memset(s, 0, sizeof *s);
    s->midi = midi;
    s->channels = channels;
    s->cw = cw;
    s->names = calloc(channels, sizeof *s->names);
    s->sources = calloc(channels, sizeof *s->sources);
    s->linked = calloc(channels, sizeof *s->linked);
    s->ports = calloc(channels, sizeof *s->ports);
    s->bufs = calloc(channels, sizeof *s->bufs);
    s->zeros = calloc(channels, sizeof *s->zeros);
    if (!s->names || !s->sources || !s->linked || !s->ports || !s->bufs || !s->zeros) {
        jstream_free(s);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < channels; i++) {
        if (midi)
            snprintf(s->names[i], REEL_JACK_PORT_MAX, "%s", prefix);
        else
            snprintf(s->names[i], REEL_JACK_PORT_MAX, "%s_%u", prefix, i + 1);
        const char *src = sources ? sources[i] : NULL;
        if (src && strlen(src) >= REEL_JACK_PORT_MAX) {
            jstream_free(s);
            return reel_error_set(err, REEL_EINVAL, "JACK port name too long");
        }
        snprintf(s->sources[i], REEL_JACK_PORT_MAX, "%s", src ? src : "");
    }
    int rc = register_ports(j, j->client, s, err);
    if (rc) {
        for (uint32_t i = 0; i < channels; i++)
            if (s->ports[i])
                jack_port_unregister(j->client, s->ports[i]);
        jstream_free(s);
        return rc;
    }
    j->n_js++;
    return REEL_OK;
}

int reel_jack_add_audio(reel_jack *j, const char *prefix, uint32_t channels,
                        const char *const *sources, reel_chunk_writer *cw, reel_error *err)
{
    return add_stream(j, false, prefix, channels, sources, cw, err);
}

int reel_jack_add_midi(reel_jack *j, const char *port_name, const char *source,
                       reel_chunk_writer *cw, reel_error *err)
{
    const char *srcs[1] = {source};
    return add_stream(j, true, port_name, 1, srcs, cw, err);
}

/* Connect every configured source not yet linked since (re)activation.
 * `strict`: fail on the first that cannot be connected (first activation,
 * where the user named the ports); else leave it for the next try. */
static int link_sources(reel_jack *j, bool strict, reel_error *err)
{
    for (size_t i = 0; i < j->n_js; i++) {
        jstream *s = &j->js[i];
        for (uint32_t c = 0; c < s->channels; c++) {
            if (s->linked[c] || !s->sources[c][0])
                continue;
            const char *dst = jack_port_name(s->ports[c]);
            int e = jack_connect(j->client, s->sources[c], dst);
            if (e == 0 || e == EEXIST) {
                s->linked[c] = true;
            } else if (strict) {
                return reel_error_set(err, REEL_EDEVICE,
                                      "cannot connect JACK port '%s' to %s (no such port, or "
                                      "not an output of that type)",
                                      s->sources[c], dst);
            }
        }
    }
    return REEL_OK;
}

static void unlink_all(reel_jack *j)
{
    for (size_t i = 0; i < j->n_js; i++)
        memset(j->js[i].linked, 0, j->js[i].channels * sizeof *j->js[i].linked);
}

/* Supervisor: a new client with the same name, ports and callbacks; not
 * activated. 0 on success. */
static int reopen(reel_jack *j)
{
    jack_status_t status = 0;
    const char *srv = j->has_server ? j->server : NULL;
    jack_client_t *c = client_open(j->name, srv, true, &status);
    if (!c && (status & JackNameNotUnique))
        c = client_open(j->name, srv, false, &status);
    if (!c)
        return -1;
    if (jack_get_sample_rate(c) != j->nominal_rate || set_callbacks(j, c)) {
        /* Another rate: frames would not match the stream's clock. Keep
         * writing silence and try again (the server may come back right). */
        jack_client_close(c);
        return -1;
    }
    jack_client_t *old = j->client;
    j->client = c;
    for (size_t i = 0; i < j->n_js; i++) {
        if (register_ports(j, c, &j->js[i], NULL)) {
            jack_client_close(c);
            j->client = old;
            return -1;
        }
    }
    atomic_store(&j->sample_rate, j->nominal_rate);
    atomic_store(&j->buffer_size, jack_get_buffer_size(c));
    return 0;
}

/* The server is gone: produce silence until a new client is active. */
static void ride_out(reel_jack *j)
{
    reel_jack_rt *rt = &j->rt;
    const uint32_t rate = j->nominal_rate;
    /* The timeline continues from the end of the last period written, or
     * from the hand-over point if the period after a hand-over never ran. */
    int64_t t0m, t0w;
    if (rt->fill_pending) {
        t0m = rt->fill_from_mono;
        t0w = rt->fill_from_wall;
        rt->fill_pending = false;
    } else {
        t0m = atomic_load(&rt->end_mono);
        t0w = atomic_load(&rt->end_wall);
    }
    if (t0m == 0) {
        t0m = reel_clock_mono_now();
        t0w = reel_clock_wall_now();
    }
    uint64_t produced = 0;
    int64_t next_try = mono_now() + RECONNECT_NS;
    while (!atomic_load(&j->stop)) {
        int64_t now = mono_now();
        uint64_t due = now > t0m ? (uint64_t)((now - t0m) * (int64_t)rate / NS) : 0;
        reel_jack_rt_forward(rt);
        if (due > produced) {
            uint64_t n = due - produced;
            int64_t off = (int64_t)(produced * (uint64_t)NS / rate);
            reel_jack_rt_silence(rt, n, t0m + off, t0w + off, rt->dev_valid ? rt->dev : 0);
            rt->dev += n;
            rt->dev_valid = true;
            produced = due;
        }
        if (now >= next_try) {
            next_try = now + RECONNECT_NS;
            if (reopen(j) == 0) {
                /* Hand over: the new client's first period fills the rest. */
                int64_t off = (int64_t)(produced * (uint64_t)NS / rate);
                rt->fill_from_mono = t0m + off;
                rt->fill_from_wall = t0w + off;
                rt->fill_pending = true;
                rt->dev_new_epoch = true;
                atomic_store(&j->shutdown, false);
                if (jack_activate(j->client) == 0) {
                    unlink_all(j);
                    link_sources(j, false, NULL);
                    atomic_store(&j->connected, true);
                    return;
                }
                /* Not active after all: take the producer role back. */
                atomic_store(&j->shutdown, true);
                jack_client_close(j->client);
                j->client = NULL;
                if (!rt->fill_pending) { /* a period ran: continue after it */
                    t0m = atomic_load(&rt->end_mono);
                    t0w = atomic_load(&rt->end_wall);
                    produced = 0;
                }
                rt->fill_pending = false;
            }
        }
        nap_ns(SUPERVISOR_STEP_NS);
    }
}

static void *supervisor(void *arg)
{
    reel_jack *j = arg;
    int64_t next_link = mono_now() + RECONNECT_NS;
    while (!atomic_load(&j->stop)) {
        if (!atomic_load(&j->shutdown)) {
            int64_t now = mono_now();
            if (now >= next_link) {
                /* Sources that appear later (or after a restart) get linked. */
                link_sources(j, false, NULL);
                next_link = now + RECONNECT_NS;
            }
            nap_ns(SUPERVISOR_STEP_NS);
            continue;
        }
        /* The server went away. Wait out a callback already running, then
         * close the dead client (joins its threads): from here on this
         * thread is the only producer. */
        while (atomic_load(&j->in_process))
            nap_ns(100000);
        atomic_store(&j->connected, false);
        atomic_fetch_add(&j->gaps, 1);
        atomic_fetch_add_explicit(&j->rt.gaps, 1, memory_order_relaxed);
        if (j->client) {
            jack_client_close(j->client);
            j->client = NULL;
        }
        ride_out(j);
        next_link = mono_now() + RECONNECT_NS;
    }
    return NULL;
}

static void profile_setup(reel_jack *j)
{
    const char *path = getenv("REEL_JACK_PROFILE");
    if (!path || !*path)
        return;
    size_t cap = 1000000;
    const char *m = getenv("REEL_JACK_PROFILE_MAX");
    if (m && atol(m) > 0)
        cap = (size_t)atol(m);
    j->prof = malloc(cap * sizeof *j->prof);
    j->prof_path = strdup(path);
    if (!j->prof || !j->prof_path) {
        free(j->prof);
        free(j->prof_path);
        j->prof = NULL;
        j->prof_path = NULL;
        return;
    }
    memset(j->prof, 0, cap * sizeof *j->prof); /* pre-fault */
    j->prof_cap = cap;
}

static void profile_write(reel_jack *j)
{
    if (!j->prof)
        return;
    FILE *f = fopen(j->prof_path, "w");
    if (f) {
        size_t n = atomic_load(&j->prof_n);
        fprintf(f, "# reel jack callback ns rate=%u buffer=%u periods=%zu\n", j->nominal_rate,
                atomic_load(&j->buffer_size), n);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%u\n", j->prof[i]);
        fclose(f);
    }
    free(j->prof);
    free(j->prof_path);
    j->prof = NULL;
}

int reel_jack_activate(reel_jack *j, reel_error *err)
{
    if (j->activated)
        return reel_error_set(err, REEL_ESTATE, "JACK client already active");
    if (j->n_js == 0)
        return reel_error_set(err, REEL_EINVAL, "no JACK streams to record");
    j->rts = calloc(j->n_js, sizeof *j->rts);
    j->zero = malloc(REEL_JACK_ZERO_FRAMES * sizeof *j->zero);
    if (!j->rts || !j->zero)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    memset(j->zero, 0, REEL_JACK_ZERO_FRAMES * sizeof *j->zero); /* pre-fault */
    for (size_t i = 0; i < j->n_js; i++) {
        jstream *s = &j->js[i];
        for (uint32_t c = 0; c < s->channels; c++)
            s->zeros[c] = j->zero;
        j->rts[i] = (reel_jack_rt_stream){.cw = s->cw, .midi = s->midi,
                                          .channels = s->channels,
                                          .ports = (void **)s->ports, .bufs = s->bufs,
                                          .zeros = s->zeros};
    }
    j->rt.streams = j->rts;
    j->rt.n_streams = j->n_js;
    j->rt.zero = j->zero;
    profile_setup(j);
    if (jack_activate(j->client) != 0)
        return reel_error_set(err, REEL_EDEVICE, "cannot activate the JACK client");
    j->activated = true;
    atomic_store(&j->connected, true);
    int rc = link_sources(j, true, err);
    if (rc)
        return rc;
    int e = pthread_create(&j->sup, NULL, supervisor, j);
    if (e != 0)
        return reel_error_set(err, REEL_EIO, "cannot start the JACK supervisor: %s", strerror(e));
    j->sup_started = true;
    return REEL_OK;
}

void reel_jack_get_stats(const reel_jack *jc, reel_jack_stats *s)
{
    reel_jack *j = (reel_jack *)jc;
    s->xruns = atomic_load_explicit(&j->rt.xruns, memory_order_relaxed);
    s->periods = atomic_load_explicit(&j->rt.periods, memory_order_relaxed);
    s->gaps = atomic_load(&j->gaps);
    s->sample_rate = atomic_load(&j->sample_rate);
    s->buffer_size = atomic_load(&j->buffer_size);
    s->connected = atomic_load(&j->connected);
    s->dropped_frames = atomic_load_explicit(&j->rt.dropped_frames, memory_order_relaxed);
}

void reel_jack_close(reel_jack *j)
{
    if (!j)
        return;
    atomic_store(&j->stop, true);
    if (j->sup_started)
        pthread_join(j->sup, NULL);
    if (j->client) {
        if (j->activated && !atomic_load(&j->shutdown))
            jack_deactivate(j->client);
        jack_client_close(j->client);
        j->client = NULL;
    }
    /* No producer is left: this thread ends every stream. */
    for (size_t i = 0; i < j->n_js; i++)
        reel_cw_finish(j->js[i].cw);
    profile_write(j);
    for (size_t i = 0; i < j->n_js; i++)
        jstream_free(&j->js[i]);
    free(j->js);
    free(j->rts);
    free(j->zero);
    free(j);
}
