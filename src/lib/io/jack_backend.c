/*
 * jack_backend.c — the JACK device (see jack_backend.h).
 *
 * Threads and who produces into the chunk writers (each writer has exactly
 * one producer at any moment), who applies the command queue (the same
 * one), and who owns the context's tables (the same one):
 *   - JACK's process thread, while the client is active and the server is
 *     up: reel_jack_process_period (rt/jack_rt.c; no allocation, lock, log
 *     or system call).
 *   - The supervisor (a plain thread, started by reel_jack_activate), while
 *     the server is gone: it writes silence at the nominal rate in ~10 ms
 *     steps, applies queued commands, and tries every 500 ms to open a new
 *     client. It only produces while no client is active: the old client is
 *     closed (its threads joined) before it starts, and it stops producing
 *     before it activates the new client. The first period after that owes
 *     the frames between the end of its silence and the period's first
 *     frame, so the timeline has no hole.
 *   - Before activation, and after the client is closed: the caller
 *     (commands are applied on its thread).
 * A stream leaves by a command; once it is applied (`applied`, release),
 * the thread that asked is the writer's producer and finishes it.
 * Other JACK threads only touch atomics: the xrun callback counts xruns, a
 * sample-rate change counts a gap (the streams keep their nominal rate; a
 * server restarted at another rate is not reconnected), the shutdown
 * callback raises a flag.
 *
 * `mu` serializes the non-realtime threads over the client, the stream and
 * output lists and the command queue's producer side. The realtime side
 * never takes it.
 *
 * A process callback that starts while the shutdown flag is up returns at
 * once; `in_process` (sequentially consistent, with the flag) lets the
 * supervisor wait out one that was already running. A command the
 * realtime side has not applied within REEL_RT_CMD_WAIT_NS means a client
 * the server no longer runs: it is treated as a lost server (the flag goes
 * up, the supervisor takes over and reconnects).
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
#include "rt/rt_limits.h"
#include "rt/rt_mem.h"

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
#define CMD_NAP_NS 1000000LL          /* waiting for a command to be applied */
#define SHARED_MAX 8

typedef struct jstream {
    bool midi;
    uint32_t channels;
    char base[REEL_JACK_PORT_MAX];       /* the prefix as made unique on the client */
    char (*names)[REEL_JACK_PORT_MAX];   /* short port names */
    char (*sources)[REEL_JACK_PORT_MAX]; /* "" = leave unconnected */
    bool *linked;                        /* source connected since (re)activation */
    reel_jack_rt_stream *rt;             /* realtime memory: what the period reads */
    size_t rt_bytes;
    jack_port_t **ports;                 /* inside rt's block */
    reel_chunk_writer *cw;
} jstream;

struct reel_jack_out {
    reel_jack *j;
    jack_port_t *port;
    char full[REEL_JACK_PORT_MAX];
    reel_jack_rt_out *rt; /* realtime memory */
    uint64_t xruns0;
};

struct reel_jack_player {
    reel_jack *j;
    uint32_t channels;
    jack_port_t *port[REEL_PLAN_CH_MAX];
    char full[REEL_PLAN_CH_MAX][REEL_JACK_PORT_MAX];
    reel_jack_rt_player *rt; /* realtime memory */
};

struct reel_jack_ctl {
    reel_jack *j;
    jack_port_t *in, *out;
    char in_full[REEL_JACK_PORT_MAX], out_full[REEL_JACK_PORT_MAX];
    reel_jack_rt_ctl *rt; /* realtime memory */
};

struct reel_jack {
    char name[REEL_JACK_PORT_MAX]; /* the client name the server gave us */
    char server[256];
    bool has_server;
    pthread_mutex_t mu;
    jack_client_t *client;
    jstream *js[REEL_RT_STREAMS_MAX];
    size_t n_js;
    reel_jack_out *outs[REEL_RT_OUTS_MAX];
    size_t n_outs;
    reel_jack_player *players[REEL_RT_PLAYERS_MAX];
    size_t n_players;
    reel_jack_ctl *ctls[REEL_RT_CTLS_MAX];
    size_t n_ctls;
    reel_jack_rt *rt; /* realtime memory */
    uint32_t nominal_rate;
    bool activated;

    _Atomic bool shutdown;  /* the server went away (or the client was kicked) */
    _Atomic int in_process; /* a process callback is running */
    _Atomic bool stop;      /* close: supervisor, leave */
    _Atomic bool connected;
    _Atomic uint32_t sample_rate, buffer_size;
    _Atomic uint64_t gaps;
    pthread_t sup;
    bool sup_started;

    int users; /* reel_jack_shared_acquire holders (g_share_mu) */

    /* profiling (REEL_JACK_PROFILE) */
    uint32_t *prof;
    size_t prof_cap;
    _Atomic size_t prof_n;
    char *prof_path;
};

/* ---- libjack glue ------------------------------------------------------- */

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

static void midi_clear(void *buf)
{
    jack_midi_clear_buffer(buf);
}

static bool midi_write(void *buf, uint32_t offset, const uint8_t *data, uint32_t len)
{
    return jack_midi_event_write(buf, offset, data, len) == 0;
}

static const reel_jack_port_ops jack_ops = {port_buffer, midi_count, midi_get, midi_clear,
                                            midi_write};

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
        reel_jack_process_period(j->rt, nframes, jack_last_frame_time(j->client), mono, wall);
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
    atomic_fetch_add_explicit(&j->rt->xruns, 1, memory_order_relaxed);
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
        atomic_fetch_add_explicit(&j->rt->gaps, 1, memory_order_relaxed);
    return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    reel_jack *j = arg;
    atomic_store(&j->shutdown, true);
}

static void jack_quiet(const char *msg)
{
    (void)msg;
}

void reel_jack_silence_messages(void)
{
    jack_set_error_function(jack_quiet);
    jack_set_info_function(jack_quiet);
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

int reel_jack_open(reel_jack **out, const char *client_name, const char *server,
                   reel_error *err)
{
    if (!client_name || !*client_name)
        client_name = "reel";
    if (server && strlen(server) >= sizeof ((reel_jack *)0)->server)
        return reel_error_set(err, REEL_EINVAL, "JACK server name too long");
    if (strlen(client_name) >= (size_t)jack_client_name_size())
        return reel_error_set(err, REEL_EINVAL, "JACK client name too long");
    /* The callback reads this struct every period: realtime memory. */
    reel_jack *j = reel_rt_alloc(sizeof *j, err);
    if (!j)
        return err ? err->code : REEL_ENOMEM;
    if (server && *server) {
        snprintf(j->server, sizeof j->server, "%s", server);
        j->has_server = true;
    }
    pthread_mutex_init(&j->mu, NULL);
    int rc = REEL_OK;
    if (!(j->rt = reel_rt_alloc(sizeof *j->rt, err))) {
        rc = err ? err->code : REEL_ENOMEM;
        goto fail;
    }
    jack_status_t status = 0;
    j->client = client_open(client_name, j->has_server ? j->server : NULL, false, &status);
    if (!j->client) {
        if (status & JackServerFailed)
            rc = reel_error_set(err, REEL_EDEVICE,
                                "no JACK server running%s%s (start one, e.g. jackd -d dummy)",
                                j->has_server ? " named " : "", j->has_server ? j->server : "");
        else
            rc = reel_error_set(err, REEL_EDEVICE, "cannot open a JACK client (status 0x%x)",
                                (unsigned)status);
        goto fail;
    }
    snprintf(j->name, sizeof j->name, "%s", jack_get_client_name(j->client));
    j->nominal_rate = jack_get_sample_rate(j->client);
    atomic_init(&j->sample_rate, j->nominal_rate);
    atomic_init(&j->buffer_size, jack_get_buffer_size(j->client));
    if ((rc = reel_jack_rt_init(j->rt, &jack_ops, j->nominal_rate, err)))
        goto fail;
    if (set_callbacks(j, j->client)) {
        rc = reel_error_set(err, REEL_EDEVICE, "cannot set the JACK callbacks");
        goto fail;
    }
    *out = j;
    return REEL_OK;
fail:
    if (j->client)
        jack_client_close(j->client);
    if (j->rt) {
        if (j->rt->zero)
            reel_jack_rt_destroy(j->rt);
        reel_rt_free(j->rt, sizeof *j->rt);
    }
    pthread_mutex_destroy(&j->mu);
    reel_rt_free(j, sizeof *j);
    return rc;
}

const char *reel_jack_client_name(const reel_jack *j)
{
    return j->name;
}

uint32_t reel_jack_sample_rate(const reel_jack *j)
{
    return j->nominal_rate;
}

uint32_t reel_jack_buffer_size(const reel_jack *j)
{
    return atomic_load(&((reel_jack *)j)->buffer_size);
}

bool reel_jack_connected(const reel_jack *j)
{
    reel_jack *m = (reel_jack *)j;
    return !m->activated || atomic_load(&m->connected);
}

size_t reel_jack_physical_capture(reel_jack *j, bool midi, char (*names)[REEL_JACK_PORT_MAX],
                                  size_t max)
{
    pthread_mutex_lock(&j->mu);
    const char **p = j->client ? jack_get_ports(j->client, NULL,
                                                midi ? JACK_DEFAULT_MIDI_TYPE
                                                     : JACK_DEFAULT_AUDIO_TYPE,
                                                JackPortIsPhysical | JackPortIsOutput)
                               : NULL;
    pthread_mutex_unlock(&j->mu);
    size_t n = 0;
    for (; p && p[n] && n < max; n++)
        snprintf(names[n], REEL_JACK_PORT_MAX, "%s", p[n]);
    if (p)
        jack_free(p);
    return n;
}

/* ---- commands ------------------------------------------------------------ */

static bool applied(reel_jack *j, uint64_t seq)
{
    return atomic_load_explicit(&j->rt->applied, memory_order_acquire) >= seq;
}

static bool wait_applied(reel_jack *j, uint64_t seq, int64_t ns)
{
    int64_t until = mono_now() + ns;
    while (!applied(j, seq)) {
        if (mono_now() > until)
            return false;
        nap_ns(CMD_NAP_NS);
    }
    return true;
}

/* Queue a command (mu held) and return its number; with no client active
 * (before activation, after close) it is applied here at once: this
 * thread is the producer then. */
static int push_cmd(reel_jack *j, reel_jack_rt_cmd_type type, void *ptr, uint64_t *seq,
                    reel_error *err)
{
    if (!reel_jack_rt_push(j->rt, type, ptr, seq))
        return reel_error_set(err, REEL_EFULL, "the JACK realtime command queue is full");
    if (!j->activated)
        while (!applied(j, *seq))
            reel_jack_rt_commands(j->rt);
    return REEL_OK;
}

/* Wait (mu not held) until the realtime side applied `seq`. A client the
 * server stopped running is taken for a lost server: the supervisor takes
 * over and applies it. */
static int await_cmd(reel_jack *j, uint64_t seq, reel_error *err)
{
    if (wait_applied(j, seq, REEL_RT_CMD_WAIT_NS))
        return REEL_OK;
    atomic_store(&j->shutdown, true);
    if (wait_applied(j, seq, REEL_RT_CMD_WAIT_NS))
        return REEL_OK;
    return reel_error_set(err, REEL_ESTATE,
                          "the JACK realtime side did not take a command in %lld s",
                          (long long)(2 * REEL_RT_CMD_WAIT_NS / NS));
}

/* ---- streams --------------------------------------------------------------- */

static int register_ports(reel_jack *j, jack_client_t *c, jstream *s, reel_error *err)
{
    for (uint32_t i = 0; i < s->channels; i++) {
        s->ports[i] = jack_port_register(c, s->names[i],
                                         s->midi ? JACK_DEFAULT_MIDI_TYPE
                                                 : JACK_DEFAULT_AUDIO_TYPE,
                                         JackPortIsInput | JackPortIsTerminal, 0);
        if (!s->ports[i]) {
            for (uint32_t k = 0; k < i; k++) {
                jack_port_unregister(c, s->ports[k]);
                s->ports[k] = NULL;
            }
            return reel_error_set(err, REEL_EDEVICE, "cannot register JACK port %s:%s", j->name,
                                  s->names[i]);
        }
    }
    return REEL_OK;
}

static void jstream_free(jstream *s)
{
    if (!s)
        return;
    free(s->names);
    free(s->sources);
    free(s->linked);
    reel_rt_free(s->rt, s->rt_bytes);
    free(s);
}

static bool base_taken(const reel_jack *j, const char *base)
{
    for (size_t i = 0; i < j->n_js; i++)
        if (strcmp(j->js[i]->base, base) == 0)
            return true;
    return false;
}

/* Connect every configured source of `s` not yet linked since
 * (re)activation (mu held). `strict`: fail on the first that cannot be
 * connected (the user named the ports); else leave it for the next try. */
static int link_stream(reel_jack *j, jstream *s, bool strict, reel_error *err)
{
    for (uint32_t c = 0; c < s->channels; c++) {
        if (s->linked[c] || !s->sources[c][0] || !s->ports[c])
            continue;
        const char *dst = jack_port_name(s->ports[c]);
        int e = jack_connect(j->client, s->sources[c], dst);
        if (e == 0 || e == EEXIST) {
            s->linked[c] = true;
        } else if (strict) {
            return reel_error_set(err, REEL_EDEVICE,
                                  "cannot connect JACK port '%s' to %s (no such port, or not an "
                                  "output of that type)",
                                  s->sources[c], dst);
        }
    }
    return REEL_OK;
}

static int link_sources(reel_jack *j, bool strict, reel_error *err)
{
    for (size_t i = 0; i < j->n_js; i++) {
        int rc = link_stream(j, j->js[i], strict, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

static int add_stream(reel_jack *j, bool midi, const char *prefix, uint32_t channels,
                      const char *const *sources, reel_chunk_writer *cw, reel_error *err)
{
    if (!cw || channels == 0 || channels > REEL_MAX_CHANNELS || !prefix || !*prefix)
        return reel_error_set(err, REEL_EINVAL, "bad JACK stream (no writer, channels or name)");
    size_t room = (size_t)jack_port_name_size() - strlen(j->name) - 1;
    if (strlen(prefix) + 10 >= room || strlen(prefix) + 10 >= REEL_JACK_PORT_MAX)
        return reel_error_set(err, REEL_EINVAL, "JACK port name '%s' too long", prefix);
    for (uint32_t i = 0; sources && i < channels; i++)
        if (sources[i] && strlen(sources[i]) >= REEL_JACK_PORT_MAX)
            return reel_error_set(err, REEL_EINVAL, "JACK port name too long");
    jstream *s = calloc(1, sizeof *s);
    if (!s)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    s->midi = midi;
    s->channels = channels;
    s->cw = cw;
    s->names = calloc(channels, sizeof *s->names);
    s->sources = calloc(channels, sizeof *s->sources);
    s->linked = calloc(channels, sizeof *s->linked);
    /* What the period reads, in one block of realtime memory: the stream,
     * its port handles, its buffer pointers and its zero pointers. */
    s->rt_bytes = sizeof *s->rt + 3 * (size_t)channels * sizeof(void *);
    s->rt = reel_rt_alloc(s->rt_bytes, err);
    if (!s->names || !s->sources || !s->linked || !s->rt) {
        jstream_free(s);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    void **block = (void **)(s->rt + 1);
    s->ports = (jack_port_t **)block;
    *s->rt = (reel_jack_rt_stream){.cw = cw, .midi = midi, .channels = channels,
                                   .ports = block, .bufs = (const float **)(block + channels),
                                   .zeros = (const float **)(block + 2 * (size_t)channels)};
    for (uint32_t i = 0; i < channels; i++) {
        s->rt->zeros[i] = j->rt->zero;
        snprintf(s->sources[i], REEL_JACK_PORT_MAX, "%s", sources && sources[i] ? sources[i] : "");
    }

    pthread_mutex_lock(&j->mu);
    int rc = REEL_OK;
    uint64_t seq = 0;
    if (j->activated && (!atomic_load(&j->connected) || !j->client)) {
        rc = reel_error_set(err, REEL_EDEVICE,
                            "the JACK server is away (reel reconnects when it is back)");
        goto out;
    }
    if (j->n_js == REEL_RT_STREAMS_MAX) {
        rc = reel_error_set(err, REEL_EFULL, "the JACK client carries %d streams already",
                            REEL_RT_STREAMS_MAX);
        goto out;
    }
    snprintf(s->base, sizeof s->base, "%s", prefix);
    for (int k = 2; base_taken(j, s->base); k++)
        snprintf(s->base, sizeof s->base, "%s-%d", prefix, k);
    for (uint32_t i = 0; i < channels; i++) {
        if (midi)
            snprintf(s->names[i], REEL_JACK_PORT_MAX, "%s", s->base);
        else
            snprintf(s->names[i], REEL_JACK_PORT_MAX, "%s_%u", s->base, i + 1);
    }
    if ((rc = register_ports(j, j->client, s, err)))
        goto out;
    /* On a running client the ports are connected before the callback
     * reads them; a source that cannot be connected fails the add. */
    if (j->activated && (rc = link_stream(j, s, true, err))) {
        for (uint32_t i = 0; i < channels; i++)
            jack_port_unregister(j->client, s->ports[i]);
        goto out;
    }
    if ((rc = push_cmd(j, REEL_JACK_RT_ADD_STREAM, s->rt, &seq, err))) {
        for (uint32_t i = 0; i < channels; i++)
            jack_port_unregister(j->client, s->ports[i]);
        goto out;
    }
    j->js[j->n_js++] = s;
    s = NULL;
out:
    pthread_mutex_unlock(&j->mu);
    jstream_free(s);
    if (rc == 0 && j->activated)
        rc = await_cmd(j, seq, err); /* a stream that is on it, even if late: close finishes it */
    return rc;
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

int reel_jack_remove(reel_jack *j, reel_chunk_writer *cw, reel_error *err)
{
    pthread_mutex_lock(&j->mu);
    jstream *s = NULL;
    for (size_t i = 0; i < j->n_js && !s; i++)
        if (j->js[i]->cw == cw)
            s = j->js[i];
    uint64_t seq = 0;
    int rc = s ? push_cmd(j, REEL_JACK_RT_REMOVE_STREAM, s->rt, &seq, err)
               : reel_error_set(err, REEL_ENOENT, "that stream is not on the JACK client");
    pthread_mutex_unlock(&j->mu);
    if (rc)
        return rc;
    if (j->activated && (rc = await_cmd(j, seq, err)))
        return rc; /* still on it: reel_jack_close finishes it */
    /* The realtime side has let go: this thread is the producer now. */
    reel_cw_finish(cw);
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_js; i++)
        if (j->js[i] == s) {
            j->js[i] = j->js[--j->n_js];
            break;
        }
    if (j->client && atomic_load(&j->connected))
        for (uint32_t c = 0; c < s->channels; c++)
            if (s->ports[c])
                jack_port_unregister(j->client, s->ports[c]);
    pthread_mutex_unlock(&j->mu);
    jstream_free(s);
    return REEL_OK;
}

/* ---- MIDI outputs ------------------------------------------------------------ */

int reel_jack_out_add(reel_jack *j, const char *name, reel_jack_out **out, reel_error *err)
{
    if (!name || !*name || strlen(name) + 8 >= REEL_JACK_PORT_MAX)
        return reel_error_set(err, REEL_EINVAL, "bad JACK MIDI output name");
    reel_jack_out *o = calloc(1, sizeof *o);
    if (!o || !(o->rt = reel_rt_alloc(sizeof *o->rt, err))) {
        free(o);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    o->j = j;
    pthread_mutex_lock(&j->mu);
    int rc = REEL_OK;
    uint64_t seq = 0;
    if (!j->activated || !atomic_load(&j->connected) || !j->client) {
        rc = reel_error_set(err, REEL_EDEVICE, "the JACK client is not running");
        goto out;
    }
    if (j->n_outs == REEL_RT_OUTS_MAX) {
        rc = reel_error_set(err, REEL_EFULL, "the JACK client has %d MIDI outputs already",
                            REEL_RT_OUTS_MAX);
        goto out;
    }
    char pname[REEL_JACK_PORT_MAX];
    snprintf(pname, sizeof pname, "%s", name);
    for (int k = 2; k < 64; k++) {
        o->port = jack_port_register(j->client, pname, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput,
                                     0);
        if (o->port)
            break;
        snprintf(pname, sizeof pname, "%s-%d", name, k);
    }
    if (!o->port) {
        rc = reel_error_set(err, REEL_EDEVICE, "cannot register a JACK MIDI output port");
        goto out;
    }
    snprintf(o->full, sizeof o->full, "%s", jack_port_name(o->port));
    o->rt->port = o->port;
    o->xruns0 = atomic_load(&j->rt->xruns);
    if ((rc = push_cmd(j, REEL_JACK_RT_ADD_OUT, o->rt, &seq, err))) {
        jack_port_unregister(j->client, o->port);
        goto out;
    }
    j->outs[j->n_outs++] = o;
out:
    pthread_mutex_unlock(&j->mu);
    if (rc) {
        reel_rt_free(o->rt, sizeof *o->rt);
        free(o);
        return rc;
    }
    if ((rc = await_cmd(j, seq, err))) {
        reel_jack_out_remove(j, o);
        return rc;
    }
    *out = o;
    return REEL_OK;
}

const char *reel_jack_out_port_name(const reel_jack_out *o)
{
    return o->full;
}

void reel_jack_out_play(reel_jack_out *o, reel_midi_sched *s)
{
    o->rt->sched = s;
    atomic_store_explicit(&o->rt->armed, true, memory_order_release);
}

bool reel_jack_out_alive(const reel_jack_out *o)
{
    return !atomic_load_explicit(&o->rt->dead, memory_order_acquire) &&
           atomic_load(&o->j->connected) && !atomic_load(&o->j->shutdown);
}

uint64_t reel_jack_out_xruns(const reel_jack_out *o)
{
    return atomic_load(&o->j->rt->xruns) - o->xruns0;
}

bool reel_jack_out_remove(reel_jack *j, reel_jack_out *o)
{
    if (!o)
        return true;
    pthread_mutex_lock(&j->mu);
    uint64_t seq = 0;
    int rc = push_cmd(j, REEL_JACK_RT_REMOVE_OUT, o->rt, &seq, NULL);
    pthread_mutex_unlock(&j->mu);
    bool gone = rc == 0 && (!j->activated || await_cmd(j, seq, NULL) == 0);
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_outs; i++)
        if (j->outs[i] == o) {
            j->outs[i] = j->outs[--j->n_outs];
            break;
        }
    if (j->client && !atomic_load(&o->rt->dead) && atomic_load(&j->connected))
        jack_port_unregister(j->client, o->port);
    pthread_mutex_unlock(&j->mu);
    if (gone) /* else the realtime side may still hold it: leave it */
        reel_rt_free(o->rt, sizeof *o->rt);
    free(o);
    return gone;
}

/* ---- controller ports ------------------------------------------------------------ */

static void ctl_free(reel_jack_ctl *c)
{
    if (!c)
        return;
    if (c->rt) {
        reel_ring_destroy(&c->rt->in);
        reel_ring_destroy(&c->rt->out);
        reel_rt_free(c->rt, sizeof *c->rt);
    }
    free(c);
}

static jack_port_t *register_unique(reel_jack *j, const char *name, unsigned long flags)
{
    char pname[REEL_JACK_PORT_MAX];
    snprintf(pname, sizeof pname, "%s", name);
    for (int k = 2; k < 64; k++) {
        jack_port_t *p = jack_port_register(j->client, pname, JACK_DEFAULT_MIDI_TYPE, flags, 0);
        if (p)
            return p;
        snprintf(pname, sizeof pname, "%s-%d", name, k);
    }
    return NULL;
}

int reel_jack_ctl_add(reel_jack *j, const char *name, reel_jack_ctl **out, reel_error *err)
{
    if (!name || !*name || strlen(name) + 12 >= REEL_JACK_PORT_MAX)
        return reel_error_set(err, REEL_EINVAL, "bad JACK controller port name");
    reel_jack_ctl *c = calloc(1, sizeof *c);
    if (!c || !(c->rt = reel_rt_alloc(sizeof *c->rt, err))) {
        free(c);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    int rc = reel_ring_init(&c->rt->in, sizeof(reel_jack_ctl_msg), REEL_RT_CTL_RING, err);
    if (!rc && (rc = reel_ring_init(&c->rt->out, sizeof(reel_jack_ctl_msg), REEL_RT_CTL_RING,
                                    err)))
        reel_ring_destroy(&c->rt->in);
    if (rc) {
        reel_rt_free(c->rt, sizeof *c->rt);
        free(c);
        return rc;
    }
    c->j = j;
    uint64_t seq = 0;
    char pn[REEL_JACK_PORT_MAX];
    pthread_mutex_lock(&j->mu);
    if (!j->activated || !atomic_load(&j->connected) || !j->client) {
        rc = reel_error_set(err, REEL_EDEVICE, "the JACK client is not running");
        goto out;
    }
    if (j->n_ctls == REEL_RT_CTLS_MAX) {
        rc = reel_error_set(err, REEL_EFULL, "the JACK client has %d controller ports already",
                            REEL_RT_CTLS_MAX);
        goto out;
    }
    snprintf(pn, sizeof pn, "%s_in", name);
    c->in = register_unique(j, pn, JackPortIsInput | JackPortIsTerminal);
    snprintf(pn, sizeof pn, "%s_out", name);
    c->out = c->in ? register_unique(j, pn, JackPortIsOutput | JackPortIsTerminal) : NULL;
    if (!c->out) {
        if (c->in)
            jack_port_unregister(j->client, c->in);
        rc = reel_error_set(err, REEL_EDEVICE, "cannot register JACK controller ports");
        goto out;
    }
    snprintf(c->in_full, sizeof c->in_full, "%s", jack_port_name(c->in));
    snprintf(c->out_full, sizeof c->out_full, "%s", jack_port_name(c->out));
    c->rt->in_port = c->in;
    c->rt->out_port = c->out;
    if ((rc = push_cmd(j, REEL_JACK_RT_ADD_CTL, c->rt, &seq, err))) {
        jack_port_unregister(j->client, c->in);
        jack_port_unregister(j->client, c->out);
        goto out;
    }
    j->ctls[j->n_ctls++] = c;
out:
    pthread_mutex_unlock(&j->mu);
    if (rc) {
        ctl_free(c);
        return rc;
    }
    if ((rc = await_cmd(j, seq, err))) {
        reel_jack_ctl_remove(j, c);
        return rc;
    }
    *out = c;
    return REEL_OK;
}

const char *reel_jack_ctl_in_name(const reel_jack_ctl *c)
{
    return c->in_full;
}

const char *reel_jack_ctl_out_name(const reel_jack_ctl *c)
{
    return c->out_full;
}

bool reel_jack_ctl_recv(reel_jack_ctl *c, reel_jack_ctl_msg *m)
{
    return reel_ring_pop(&c->rt->in, m);
}

bool reel_jack_ctl_send(reel_jack_ctl *c, const uint8_t *data, uint8_t len)
{
    if (len < 1 || len > 3)
        return false;
    reel_jack_ctl_msg m = {.len = len};
    memcpy(m.data, data, len);
    return reel_ring_push(&c->rt->out, &m);
}

void reel_jack_ctl_counts(const reel_jack_ctl *c, uint64_t *in, uint64_t *dropped, uint64_t *out)
{
    *in = atomic_load_explicit(&c->rt->in_count, memory_order_relaxed);
    *dropped = atomic_load_explicit(&c->rt->in_dropped, memory_order_relaxed);
    *out = atomic_load_explicit(&c->rt->out_count, memory_order_relaxed);
}

bool reel_jack_ctl_alive(const reel_jack_ctl *c)
{
    return !atomic_load_explicit(&c->rt->dead, memory_order_acquire) &&
           atomic_load(&c->j->connected) && !atomic_load(&c->j->shutdown);
}

bool reel_jack_ctl_remove(reel_jack *j, reel_jack_ctl *c)
{
    if (!c)
        return true;
    pthread_mutex_lock(&j->mu);
    uint64_t seq = 0;
    int rc = push_cmd(j, REEL_JACK_RT_REMOVE_CTL, c->rt, &seq, NULL);
    pthread_mutex_unlock(&j->mu);
    bool gone = rc == 0 && (!j->activated || await_cmd(j, seq, NULL) == 0);
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_ctls; i++)
        if (j->ctls[i] == c) {
            j->ctls[i] = j->ctls[--j->n_ctls];
            break;
        }
    if (j->client && !atomic_load(&c->rt->dead) && atomic_load(&j->connected)) {
        jack_port_unregister(j->client, c->in);
        jack_port_unregister(j->client, c->out);
    }
    pthread_mutex_unlock(&j->mu);
    if (gone)
        ctl_free(c);
    else
        free(c); /* the realtime side may still hold its rings: leave them */
    return gone;
}

/* ---- graph players ------------------------------------------------------------ */

int reel_jack_player_add(reel_jack *j, const char *name, reel_player *player,
                         reel_jack_player **out, reel_error *err)
{
    if (!name || !*name || strlen(name) + 8 >= REEL_JACK_PORT_MAX || player->channels == 0 ||
        player->channels > REEL_PLAN_CH_MAX)
        return reel_error_set(err, REEL_EINVAL, "bad JACK player name or channel count");
    reel_jack_player *p = calloc(1, sizeof *p);
    if (!p || !(p->rt = reel_rt_alloc(sizeof *p->rt, err))) {
        free(p);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    p->j = j;
    p->channels = player->channels;
    p->rt->player = player;
    p->rt->channels = player->channels;
    atomic_init(&p->rt->dead, false);
    pthread_mutex_lock(&j->mu);
    int rc = REEL_OK;
    uint64_t seq = 0;
    uint32_t made = 0;
    if (!j->activated || !atomic_load(&j->connected) || !j->client) {
        rc = reel_error_set(err, REEL_EDEVICE, "the JACK client is not running");
        goto out;
    }
    if (j->n_players == REEL_RT_PLAYERS_MAX) {
        rc = reel_error_set(err, REEL_EFULL, "the JACK client has %d players already",
                            REEL_RT_PLAYERS_MAX);
        goto out;
    }
    for (; made < p->channels; made++) {
        char pname[REEL_JACK_PORT_MAX];
        snprintf(pname, sizeof pname, "%s_%u", name, made + 1);
        if (!(p->port[made] = jack_port_register(j->client, pname, JACK_DEFAULT_AUDIO_TYPE,
                                                 JackPortIsOutput, 0))) {
            rc = reel_error_set(err, REEL_EDEVICE, "cannot register JACK output port %s "
                                "(is the name taken?)", pname);
            goto out;
        }
        snprintf(p->full[made], sizeof p->full[made], "%s", jack_port_name(p->port[made]));
        p->rt->ports[made] = p->port[made];
    }
    if ((rc = push_cmd(j, REEL_JACK_RT_ADD_PLAYER, p->rt, &seq, err)))
        goto out;
    j->players[j->n_players++] = p;
out:
    if (rc)
        for (uint32_t c = 0; c < made; c++)
            jack_port_unregister(j->client, p->port[c]);
    pthread_mutex_unlock(&j->mu);
    if (rc) {
        reel_rt_free(p->rt, sizeof *p->rt);
        free(p);
        return rc;
    }
    if ((rc = await_cmd(j, seq, err))) {
        reel_jack_player_remove(j, p);
        return rc;
    }
    *out = p;
    return REEL_OK;
}

const char *reel_jack_player_port_name(const reel_jack_player *p, uint32_t ch)
{
    return ch < p->channels ? p->full[ch] : NULL;
}

bool reel_jack_player_alive(const reel_jack_player *p)
{
    return !atomic_load_explicit(&p->rt->dead, memory_order_acquire) &&
           atomic_load(&p->j->connected) && !atomic_load(&p->j->shutdown);
}

bool reel_jack_player_remove(reel_jack *j, reel_jack_player *p)
{
    if (!p)
        return true;
    pthread_mutex_lock(&j->mu);
    uint64_t seq = 0;
    int rc = push_cmd(j, REEL_JACK_RT_REMOVE_PLAYER, p->rt, &seq, NULL);
    pthread_mutex_unlock(&j->mu);
    bool gone = rc == 0 && (!j->activated || await_cmd(j, seq, NULL) == 0);
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_players; i++)
        if (j->players[i] == p) {
            j->players[i] = j->players[--j->n_players];
            break;
        }
    if (j->client && !atomic_load(&p->rt->dead) && atomic_load(&j->connected))
        for (uint32_t c = 0; c < p->channels; c++)
            jack_port_unregister(j->client, p->port[c]);
    pthread_mutex_unlock(&j->mu);
    if (gone) /* else the realtime side may still hold it: leave it */
        reel_rt_free(p->rt, sizeof *p->rt);
    free(p);
    return gone;
}

/* ---- the supervisor ------------------------------------------------------------ */

static void unlink_all(reel_jack *j)
{
    for (size_t i = 0; i < j->n_js; i++)
        memset(j->js[i]->linked, 0, j->js[i]->channels * sizeof *j->js[i]->linked);
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
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_js; i++) {
        if (register_ports(j, c, j->js[i], NULL)) {
            pthread_mutex_unlock(&j->mu);
            jack_client_close(c);
            return -1;
        }
    }
    j->client = c;
    pthread_mutex_unlock(&j->mu);
    atomic_store(&j->sample_rate, j->nominal_rate);
    atomic_store(&j->buffer_size, jack_get_buffer_size(c));
    return 0;
}

/* The server is gone: produce silence until a new client is active. */
static void ride_out(reel_jack *j)
{
    reel_jack_rt *rt = j->rt;
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
        reel_jack_rt_commands(rt);
        reel_jack_rt_drop_outs(rt); /* an output added late has no port either */
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
                /* Hand over: the new client's first period owes the rest. */
                int64_t off = (int64_t)(produced * (uint64_t)NS / rate);
                rt->fill_from_mono = t0m + off;
                rt->fill_from_wall = t0w + off;
                rt->fill_pending = true;
                rt->dev_new_epoch = true;
                atomic_store(&j->shutdown, false);
                if (jack_activate(j->client) == 0) {
                    pthread_mutex_lock(&j->mu);
                    unlink_all(j);
                    link_sources(j, false, NULL);
                    atomic_store(&j->connected, true);
                    pthread_mutex_unlock(&j->mu);
                    return;
                }
                /* Not active after all: take the producer role back. */
                atomic_store(&j->shutdown, true);
                while (atomic_load(&j->in_process))
                    nap_ns(100000);
                pthread_mutex_lock(&j->mu);
                jack_client_close(j->client);
                j->client = NULL;
                pthread_mutex_unlock(&j->mu);
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
    /* The last time the realtime side was seen to run a period. */
    uint64_t seen_periods = atomic_load_explicit(&j->rt->periods, memory_order_relaxed);
    int64_t seen_ns = mono_now();
    while (!atomic_load(&j->stop)) {
        if (!atomic_load(&j->shutdown)) {
            int64_t now = mono_now();
            if (now >= next_link) {
                /* Sources that appear later (or after a restart) get linked. */
                pthread_mutex_lock(&j->mu);
                link_sources(j, false, NULL);
                pthread_mutex_unlock(&j->mu);
                next_link = now + RECONNECT_NS;
                /* An active client whose callback no longer runs is a lost
                 * server too (the same rule as await_cmd): seen after a
                 * jackd restart, where the new client is connected but
                 * JACK reports it "not finished, state = Triggered" every
                 * cycle and nothing would write the timeline. */
                uint64_t p = atomic_load_explicit(&j->rt->periods, memory_order_relaxed);
                if (p != seen_periods) {
                    seen_periods = p;
                    seen_ns = now;
                } else if (now - seen_ns >= REEL_RT_CMD_WAIT_NS) {
                    atomic_store(&j->shutdown, true);
                    continue;
                }
            }
            nap_ns(SUPERVISOR_STEP_NS);
            continue;
        }
        /* The server went away. Wait out a callback already running, then
         * close the dead client (joins its threads): from here on this
         * thread is the only producer. */
        while (atomic_load(&j->in_process))
            nap_ns(100000);
        reel_jack_rt_drop_outs(j->rt);
        atomic_fetch_add(&j->gaps, 1);
        atomic_fetch_add_explicit(&j->rt->gaps, 1, memory_order_relaxed);
        pthread_mutex_lock(&j->mu);
        atomic_store(&j->connected, false);
        jack_client_t *dead = j->client;
        j->client = NULL;
        pthread_mutex_unlock(&j->mu);
        if (dead)
            jack_client_close(dead);
        ride_out(j);
        next_link = mono_now() + RECONNECT_NS;
        seen_periods = atomic_load_explicit(&j->rt->periods, memory_order_relaxed);
        seen_ns = mono_now();
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
    j->prof = reel_rt_alloc(cap * sizeof *j->prof, NULL);
    j->prof_path = strdup(path);
    if (!j->prof || !j->prof_path) {
        reel_rt_free(j->prof, cap * sizeof *j->prof);
        free(j->prof_path);
        j->prof = NULL;
        j->prof_path = NULL;
        return;
    }
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
    reel_rt_free(j->prof, j->prof_cap * sizeof *j->prof);
    free(j->prof_path);
    j->prof = NULL;
}

int reel_jack_activate(reel_jack *j, reel_error *err)
{
    if (j->activated)
        return reel_error_set(err, REEL_ESTATE, "JACK client already active");
    profile_setup(j);
    pthread_mutex_lock(&j->mu);
    if (jack_activate(j->client) != 0) {
        pthread_mutex_unlock(&j->mu);
        return reel_error_set(err, REEL_EDEVICE, "cannot activate the JACK client");
    }
    j->activated = true;
    atomic_store(&j->connected, true);
    int rc = link_sources(j, true, err);
    pthread_mutex_unlock(&j->mu);
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
    s->xruns = atomic_load_explicit(&j->rt->xruns, memory_order_relaxed);
    s->periods = atomic_load_explicit(&j->rt->periods, memory_order_relaxed);
    s->gaps = atomic_load(&j->gaps);
    s->sample_rate = atomic_load(&j->sample_rate);
    s->buffer_size = atomic_load(&j->buffer_size);
    s->connected = atomic_load(&j->connected);
    s->dropped_frames = atomic_load_explicit(&j->rt->dropped_frames, memory_order_relaxed);
    s->fill_frames = atomic_load_explicit(&j->rt->fill_frames, memory_order_relaxed);
    pthread_mutex_lock(&j->mu);
    s->streams = j->n_js;
    pthread_mutex_unlock(&j->mu);
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
        reel_cw_finish(j->js[i]->cw);
    profile_write(j);
    for (size_t i = 0; i < j->n_js; i++)
        jstream_free(j->js[i]);
    for (size_t i = 0; i < j->n_outs; i++) {
        reel_rt_free(j->outs[i]->rt, sizeof *j->outs[i]->rt);
        free(j->outs[i]);
    }
    for (size_t i = 0; i < j->n_players; i++) {
        reel_rt_free(j->players[i]->rt, sizeof *j->players[i]->rt);
        free(j->players[i]);
    }
    for (size_t i = 0; i < j->n_ctls; i++)
        ctl_free(j->ctls[i]);
    reel_jack_rt_destroy(j->rt);
    reel_rt_free(j->rt, sizeof *j->rt);
    pthread_mutex_destroy(&j->mu);
    reel_rt_free(j, sizeof *j);
}

/* ---- one client per process and server ------------------------------------------ */

static pthread_mutex_t g_share_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_share_cv = PTHREAD_COND_INITIALIZER;
static reel_jack *g_shared[SHARED_MAX];

void reel_jack_share(reel_jack *j)
{
    pthread_mutex_lock(&g_share_mu);
    for (int i = 0; i < SHARED_MAX; i++)
        if (!g_shared[i]) {
            g_shared[i] = j;
            break;
        }
    pthread_mutex_unlock(&g_share_mu);
}

void reel_jack_unshare(reel_jack *j)
{
    pthread_mutex_lock(&g_share_mu);
    for (int i = 0; i < SHARED_MAX; i++)
        if (g_shared[i] == j)
            g_shared[i] = NULL;
    while (j->users > 0)
        pthread_cond_wait(&g_share_cv, &g_share_mu);
    pthread_mutex_unlock(&g_share_mu);
}

reel_jack *reel_jack_shared_acquire(const char *server)
{
    const char *want = server && *server ? server : "";
    reel_jack *got = NULL;
    pthread_mutex_lock(&g_share_mu);
    for (int i = 0; i < SHARED_MAX && !got; i++)
        if (g_shared[i] && strcmp(g_shared[i]->server, want) == 0) {
            got = g_shared[i];
            got->users++;
        }
    pthread_mutex_unlock(&g_share_mu);
    return got;
}

void reel_jack_shared_release(reel_jack *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&g_share_mu);
    j->users--;
    pthread_cond_broadcast(&g_share_cv);
    pthread_mutex_unlock(&g_share_mu);
}

/* ---- for other users of the client ------------------------------------------------ */

uint32_t reel_jack_frame_time(reel_jack *j)
{
    pthread_mutex_lock(&j->mu);
    uint32_t t = j->client ? jack_frame_time(j->client) : 0;
    pthread_mutex_unlock(&j->mu);
    return t;
}

int reel_jack_connect(reel_jack *j, const char *src, const char *dst, reel_error *err)
{
    pthread_mutex_lock(&j->mu);
    int e = j->client ? jack_connect(j->client, src, dst) : -1;
    pthread_mutex_unlock(&j->mu);
    if (e != 0 && e != EEXIST)
        return reel_error_set(err, REEL_EDEVICE, "cannot connect %s to %s", src, dst);
    return REEL_OK;
}

int reel_jack_check_port(reel_jack *j, const char *port, bool input, bool midi, reel_error *err)
{
    pthread_mutex_lock(&j->mu);
    jack_port_t *p = j->client ? jack_port_by_name(j->client, port) : NULL;
    int flags = p ? jack_port_flags(p) : 0;
    const char *type = p ? jack_port_type(p) : NULL;
    bool ok = p && (flags & (input ? JackPortIsInput : JackPortIsOutput)) && type &&
              strcmp(type, midi ? JACK_DEFAULT_MIDI_TYPE : JACK_DEFAULT_AUDIO_TYPE) == 0;
    pthread_mutex_unlock(&j->mu);
    if (!p)
        return reel_error_set(err, REEL_ENOENT, "no JACK port '%s' (see jack_lsp)", port);
    if (!ok)
        return reel_error_set(err, REEL_EINVAL, "JACK port '%s' is not a%s %s %s", port,
                              input ? "" : "n", midi ? "MIDI" : "audio",
                              input ? "input" : "output");
    return REEL_OK;
}

int reel_jack_port_fed_by_self(reel_jack *j, const char *port, bool *own, reel_error *err)
{
    pthread_mutex_lock(&j->mu);
    jack_port_t *p = j->client ? jack_port_by_name(j->client, port) : NULL;
    const char **conns = p ? jack_port_get_all_connections(j->client, p) : NULL;
    size_t nl = strlen(j->name);
    *own = false;
    for (size_t i = 0; conns && conns[i]; i++)
        if (strncmp(conns[i], j->name, nl) == 0 && conns[i][nl] == ':')
            *own = true;
    if (conns)
        jack_free(conns);
    pthread_mutex_unlock(&j->mu);
    return p ? REEL_OK : reel_error_set(err, REEL_ENOENT, "no JACK port '%s'", port);
}

int reel_jack_port_latency(reel_jack *j, const char *port, bool capture, uint32_t range[2],
                           reel_error *err)
{
    pthread_mutex_lock(&j->mu);
    jack_port_t *p = j->client ? jack_port_by_name(j->client, port) : NULL;
    jack_latency_range_t r = {0, 0};
    if (p)
        jack_port_get_latency_range(p, capture ? JackCaptureLatency : JackPlaybackLatency, &r);
    pthread_mutex_unlock(&j->mu);
    if (!p)
        return reel_error_set(err, REEL_ENOENT, "no JACK port '%s'", port);
    range[0] = r.min;
    range[1] = r.max;
    return REEL_OK;
}
