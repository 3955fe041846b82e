/*
 * engine.c — the realtime role (see engine.h).
 *
 * Everything here runs on one non-realtime thread: the captures' own
 * threads (JACK's process callback, a source's producer) only copy into the
 * chunk writers; this loop maps the chunks the control plane names, hands
 * them to the writers ahead of need, drains the writers' event rings and
 * turns them into protocol events.
 *
 * One realtime context per device: every JACK stream joins one client,
 * opened with the first and shared with the rest of the process (MIDI out
 * for request-response joins it too, jack_backend.h), closed with the
 * engine.
 *
 * Chunk memory: a writer writes a buffer of realtime memory, never the
 * staging file's mapping (chunk_map.h); this loop copies what a head or a
 * full chunk names into the file before it publishes either, so the control
 * plane never hears of a position the file does not hold yet.
 */
#include "capture/engine.h"
#include "core/log.h"

#include "time/clock.h"
#include "protocol/wire.h"
#include "rt/chunk_map.h"
#include "rt/rt_limits.h"
#include "rt/rt_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define ENG_STREAMS_MAX REEL_ENGINE_STREAMS_MAX
#define ENG_CHUNKS_MAX REEL_ENGINE_CHUNKS_MAX
#define ENG_READY_SLOTS REEL_ENGINE_READY_SLOTS
#define ENG_HELD_MAX 16 /* writers a device could not be made to let go of */
#define HEAD_NS 100000000LL    /* a head report per stream this often... */
#define HEAD_MIN_NS 10000000LL /* ...or twice per chunk when chunks are shorter, not below this */
#define HEARTBEAT_NS 250000000LL
#define SERVICE "reel-engine"

typedef struct eng_chunk {
    uint32_t tag;
    uint8_t *map;  /* the staging file, shared */
    uint8_t *buf;  /* what the writer writes (realtime memory) */
    size_t synced; /* bytes of buf copied into map */
    size_t cap;
    char path[REEL_CAPNP_PATH_MAX];
} eng_chunk;

typedef struct eng_stream {
    bool used;
    reel_stream_def def;
    reel_chunk_writer *cw;
    reel_capture *cap;
    eng_chunk chunks[ENG_CHUNKS_MAX];
    size_t n_chunks;
    reel_chunk_pool pool; /* chunk buffers, reused */
    bool pool_ready;
    uint64_t lost_told;   /* events_lost already reported */
    uint32_t next_tag;
    uint64_t bytes_done; /* bytes of the chunks already reported full */
    uint64_t gaps;
    bool ended;          /* the final chunk was reported */
    int64_t head_ns, next_head_ns; /* head report interval, and the next one due */
} eng_stream;

/* What ended recordings left to report, per URI (reel_engine_dropped_frames). */
typedef struct eng_ended {
    char uri[REEL_URI_MAX];
    uint64_t dropped_frames;
} eng_ended;

struct reel_engine {
    reel_engine_opts o;
    pthread_mutex_t ended_mu;
    eng_ended ended[ENG_STREAMS_MAX];
    size_t n_ended;
    void *ctx;
    bool own_ctx;
    void *dealer, *xpub;
    bool subscribed, connected;
    int64_t next_beat_ns;
    eng_stream *streams; /* ENG_STREAMS_MAX */
    reel_jack *jack;     /* the one JACK client, once a JACK stream started */
    reel_chunk_writer *held[ENG_HELD_MAX]; /* destroyed after the JACK client closes */
    size_t n_held;
};

/* ---- chunks ------------------------------------------------------------ */

/* Map a chunk the control plane created; the writer gets a buffer of
 * realtime memory of the same size, copied into the file as it fills. */
static int map_chunk(eng_stream *s, const char *path, reel_error *err)
{
    if (s->n_chunks >= ENG_CHUNKS_MAX)
        return reel_error_set(err, REEL_EFULL, "stream %s has %d chunks waiting already",
                              s->def.uri, ENG_CHUNKS_MAX);
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return reel_error_set(err, REEL_EIO, "cannot open chunk %.300s: %s", path,
                              strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0) {
        close(fd);
        return reel_error_set(err, REEL_EINVAL, "chunk %.300s is not a sized regular file",
                              path);
    }
    size_t cap = (size_t)sb.st_size;
    size_t fb = reel_stream_def_frame_bytes(&s->def);
    if (fb)
        cap -= cap % fb;
    if (cap == 0) {
        close(fd);
        return reel_error_set(err, REEL_EINVAL, "chunk %.300s holds no whole frame", path);
    }
    void *map = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return reel_error_set(err, REEL_EIO, "cannot map chunk %.300s: %s", path,
                              strerror(errno));
    if (!s->pool_ready) {
        reel_chunk_pool_init(&s->pool, cap);
        s->pool_ready = true;
    }
    uint8_t *buf = reel_chunk_pool_get(&s->pool, cap, err);
    if (!buf) {
        munmap(map, cap);
        return err ? err->code : REEL_ENOMEM;
    }
    eng_chunk *c = &s->chunks[s->n_chunks];
    c->tag = s->next_tag++;
    c->map = map;
    c->buf = buf;
    c->synced = 0;
    c->cap = cap;
    snprintf(c->path, sizeof c->path, "%s", path);
    reel_chunk_slot slot = {.base = buf, .capacity = cap, .tag = c->tag};
    if (!reel_cw_offer(s->cw, &slot)) {
        munmap(map, cap);
        reel_chunk_pool_put(&s->pool, buf, cap);
        return reel_error_set(err, REEL_EFULL, "stream %s: the writer has no room for a chunk",
                              s->def.uri);
    }
    s->n_chunks++;
    return REEL_OK;
}

static void unmap_chunk(eng_stream *s, size_t i)
{
    munmap(s->chunks[i].map, s->chunks[i].cap);
    reel_chunk_pool_put(&s->pool, s->chunks[i].buf, s->chunks[i].cap);
    memmove(&s->chunks[i], &s->chunks[i + 1], (s->n_chunks - i - 1) * sizeof s->chunks[0]);
    s->n_chunks--;
}

static eng_chunk *find_chunk(eng_stream *s, uint32_t tag, size_t *idx)
{
    for (size_t i = 0; i < s->n_chunks; i++)
        if (s->chunks[i].tag == tag) {
            *idx = i;
            return &s->chunks[i];
        }
    return NULL;
}

/* ---- events out ---------------------------------------------------------- */

static void publish(reel_engine *e, const reel_msg_event *ev)
{
    reel_error err;
    if (reel_wire_send_event(e->xpub, ev, &err))
        reel_log_error("engine", "%s", err.msg);
}

static void publish_error(reel_engine *e, const eng_stream *s, bool recoverable,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void publish_error(reel_engine *e, const eng_stream *s, bool recoverable,
                          const char *fmt, ...)
{
    reel_msg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = REEL_EVT_STREAM_ERROR;
    snprintf(ev.stream_uri, sizeof ev.stream_uri, "%s", s->def.uri);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.stream_error.message, sizeof ev.stream_error.message, fmt, ap);
    va_end(ap);
    ev.stream_error.recoverable = recoverable;
    publish(e, &ev);
}

static void drain(reel_engine *e, eng_stream *s);

static void publish_head(reel_engine *e, eng_stream *s)
{
    reel_cw_head h;
    reel_cw_read_head(s->cw, &h);
    /* The head must be about the chunk the control plane thinks is being
     * written: the oldest one mapped. If the writer moved on since the last
     * drain, report the full chunk first. */
    for (int i = 0; i < 3 && h.tag != UINT32_MAX && s->n_chunks && h.tag != s->chunks[0].tag;
         i++) {
        drain(e, s);
        reel_cw_read_head(s->cw, &h);
    }
    /* What the head names goes into the file first. */
    size_t idx;
    eng_chunk *hc = h.tag != UINT32_MAX ? find_chunk(s, h.tag, &idx) : NULL;
    if (hc)
        reel_chunk_sync(hc->map, hc->buf, &hc->synced,
                        h.chunk_bytes < hc->cap ? (size_t)h.chunk_bytes : hc->cap);
    if (h.events_lost > s->lost_told) {
        publish_error(e, s, false,
                      "the chunk writer lost %llu events (the engine fell behind): the "
                      "recording cannot be trusted past its last sealed chunk",
                      (unsigned long long)h.events_lost);
        s->lost_told = h.events_lost;
    }
    reel_msg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = REEL_EVT_HEAD_POSITION;
    snprintf(ev.stream_uri, sizeof ev.stream_uri, "%s", s->def.uri);
    ev.head.sample_position = h.frames;
    ev.head.byte_position = s->bytes_done + (h.tag != UINT32_MAX ? h.chunk_bytes : 0);
    ev.head.wall_clock_ns = h.wall_ns > 0 ? (uint64_t)h.wall_ns : 0;
    ev.head.clock_frame = h.clock_frame;
    ev.head.mono_ns = h.mono_ns;
    ev.head.device_frame = h.device_frame;
    ev.head.events = h.events;
    ev.head.xruns = h.xruns;
    ev.head.overrun_frames = h.overrun_frames;
    ev.head.overrun_events = h.overrun_events;
    ev.head.gaps = s->gaps;
    ev.head.chunk_bytes = h.tag != UINT32_MAX ? h.chunk_bytes : 0;
    ev.head.chunk_frames = h.tag != UINT32_MAX ? h.chunk_frames : 0;
    ev.head.events_lost = h.events_lost;
    ev.head.midi_clock_ticks = h.midi_clock_ticks;
    publish(e, &ev);
}

static void on_chunk_full(reel_engine *e, eng_stream *s, const reel_cw_event *cev)
{
    reel_msg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = REEL_EVT_CHUNK_FULL;
    snprintf(ev.stream_uri, sizeof ev.stream_uri, "%s", s->def.uri);
    size_t idx;
    eng_chunk *c = cev->tag != UINT32_MAX ? find_chunk(s, cev->tag, &idx) : NULL;
    if (c) {
        snprintf(ev.chunk_full.path, sizeof ev.chunk_full.path, "%s", c->path);
        reel_chunk_sync(c->map, c->buf, &c->synced, cev->bytes < c->cap ? (size_t)cev->bytes
                                                                        : c->cap);
    }
    bool midi = s->def.kind == REEL_STREAM_MIDI;
    ev.chunk_full.bytes_written = cev->bytes;
    ev.chunk_full.samples_written = midi ? 0 : cev->frames;
    ev.chunk_full.events = midi ? cev->frames : 0;
    ev.chunk_full.wall_clock_ns = cev->wall_ns > 0 ? (uint64_t)cev->wall_ns : 0;
    ev.chunk_full.first_frame = cev->first_frame;
    ev.chunk_full.end_frame = cev->end_frame;
    ev.chunk_full.final = cev->final != 0;
    /* The head that goes with the end of this chunk, first: the control
     * plane's live edge must never run past what a chunk holds. */
    publish(e, &ev);
    s->bytes_done += cev->bytes;
    if (c)
        unmap_chunk(s, idx);
    if (cev->final)
        s->ended = true;
}

static void drain(reel_engine *e, eng_stream *s)
{
    reel_cw_event ev;
    while (reel_cw_next_event(s->cw, &ev)) {
        switch (ev.type) {
        case REEL_CW_CHUNK_FULL: on_chunk_full(e, s, &ev); break;
        case REEL_CW_OVERRUN:
            publish_error(e, s, true, "overrun: %llu %s (no chunk was ready)",
                          (unsigned long long)ev.count,
                          s->def.kind == REEL_STREAM_MIDI ? "events dropped"
                                                          : "frames written as silence");
            break;
        case REEL_CW_XRUN: publish_error(e, s, true, "xrun reported by the device"); break;
        case REEL_CW_GAP:
            s->gaps += ev.count ? ev.count : 1;
            publish_error(e, s, true, "gap: the device went away or changed (silence follows)");
            break;
        default: break;
        }
    }
}

/* ---- streams ------------------------------------------------------------- */

static eng_stream *find_stream(reel_engine *e, const char *uri)
{
    for (int i = 0; i < ENG_STREAMS_MAX; i++)
        if (e->streams[i].used && strcmp(e->streams[i].def.uri, uri) == 0)
            return &e->streams[i];
    return NULL;
}

/* Stop the producer (the writer reports its last chunk), report it, and
 * release everything. */
static void note_ended(reel_engine *e, const char *uri, uint64_t dropped)
{
    pthread_mutex_lock(&e->ended_mu);
    eng_ended *x = NULL;
    for (size_t i = 0; i < e->n_ended && !x; i++)
        if (strcmp(e->ended[i].uri, uri) == 0)
            x = &e->ended[i];
    if (!x) {
        if (e->n_ended == ENG_STREAMS_MAX) { /* forget the oldest */
            memmove(&e->ended[0], &e->ended[1], (ENG_STREAMS_MAX - 1) * sizeof e->ended[0]);
            e->n_ended--;
        }
        x = &e->ended[e->n_ended++];
        memset(x, 0, sizeof *x);
        snprintf(x->uri, sizeof x->uri, "%s", uri);
    }
    x->dropped_frames += dropped;
    pthread_mutex_unlock(&e->ended_mu);
}

uint64_t reel_engine_dropped_frames(reel_engine *e, const char *uri)
{
    uint64_t n = 0;
    pthread_mutex_lock(&e->ended_mu);
    for (size_t i = 0; i < e->n_ended; i++)
        if (strcmp(e->ended[i].uri, uri) == 0)
            n = e->ended[i].dropped_frames;
    pthread_mutex_unlock(&e->ended_mu);
    return n;
}

static void stream_end(reel_engine *e, eng_stream *s)
{
    if (s->cap) {
        note_ended(e, s->def.uri, reel_capture_dropped_frames(s->cap));
        reel_error err;
        int rc = reel_capture_stop(s->cap, &err);
        if (rc)
            publish_error(e, s, false, "capture failed: %s", err.msg);
        s->cap = NULL;
        if (rc == REEL_ESTATE && e->n_held < ENG_HELD_MAX) {
            /* The device still holds the writer (and its chunks): it
             * finishes it when it closes; until then nothing here is
             * freed. */
            e->held[e->n_held++] = s->cw;
            memset(s, 0, sizeof *s);
            return;
        }
    }
    if (!reel_cw_finished(s->cw))
        reel_cw_finish(s->cw);
    drain(e, s);
    reel_chunk_slot slot;
    while (reel_cw_reclaim(s->cw, &slot)) {
        size_t idx;
        if (find_chunk(s, slot.tag, &idx))
            unmap_chunk(s, idx);
    }
    while (s->n_chunks)
        unmap_chunk(s, 0);
    reel_cw_destroy(s->cw);
    if (s->pool_ready)
        reel_chunk_pool_destroy(&s->pool);
    memset(s, 0, sizeof *s);
}

/* The one JACK client of this engine, opened with the first JACK stream,
 * active with no streams yet, and shared with the rest of the process. */
static int ensure_jack(reel_engine *e, reel_error *err)
{
    if (e->jack)
        return REEL_OK;
    reel_jack *j;
    int rc = reel_jack_open(&j, "reel", e->o.capture.jack_server, err);
    if (rc)
        return rc;
    if ((rc = reel_jack_activate(j, err))) {
        reel_jack_close(j);
        return rc;
    }
    reel_jack_share(j);
    e->jack = j;
    return REEL_OK;
}

static int stream_start(reel_engine *e, const reel_msg_command *cmd, reel_error *err)
{
    const reel_stream_def *def = &cmd->start.def;
    if (strcmp(cmd->start.uri, def->uri) != 0)
        return reel_error_set(err, REEL_EINVAL, "StreamStart uri %s and definition uri %s differ",
                              cmd->start.uri, def->uri);
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    eng_stream *s = find_stream(e, def->uri);
    if (s) /* a restarted control plane takes over: the old take ends here */
        stream_end(e, s);
    for (int i = 0; i < ENG_STREAMS_MAX && !s; i++)
        if (!e->streams[i].used)
            s = &e->streams[i];
    if (!s)
        return reel_error_set(err, REEL_EFULL, "the engine records %d streams already",
                              ENG_STREAMS_MAX);
    memset(s, 0, sizeof *s);
    s->def = *def;
    /* The live edge reaches the control plane at least twice per chunk:
     * with chunks shorter than the head interval it would otherwise see
     * each one only once it is sealed. */
    s->head_ns = HEAD_NS;
    size_t fb = reel_stream_def_frame_bytes(def);
    if (fb && def->sample_rate) {
        int64_t chunk_ns = (int64_t)(def->chunk_size_bytes / fb * 1000000000ULL / def->sample_rate);
        if (chunk_ns / 2 < s->head_ns)
            s->head_ns = chunk_ns / 2 > HEAD_MIN_NS ? chunk_ns / 2 : HEAD_MIN_NS;
    }
    s->next_head_ns = reel_clock_mono_now() + s->head_ns;
    if ((rc = reel_cw_create(&s->cw, def, cmd->start.start_frame, ENG_READY_SLOTS, err)))
        return rc;
    s->used = true;
    reel_capture_opts co = e->o.capture;
    if (reel_capture_is_jack(def->device_identity) && (rc = ensure_jack(e, err)) == 0)
        co.jack = e->jack;
    if (rc || (rc = map_chunk(s, cmd->start.chunk_path, err)) ||
        (rc = reel_capture_start(&s->cap, def, &co, s->cw, err))) {
        s->cap = NULL;
        /* Nothing was recorded: release quietly (no final report). */
        reel_chunk_slot slot;
        while (reel_cw_reclaim(s->cw, &slot))
            ;
        while (s->n_chunks)
            unmap_chunk(s, 0);
        reel_cw_destroy(s->cw);
        if (s->pool_ready)
            reel_chunk_pool_destroy(&s->pool);
        memset(s, 0, sizeof *s);
        return rc;
    }
    return REEL_OK;
}

/* ---- commands in ---------------------------------------------------------- */

static void reply(reel_engine *e, const uint8_t id[REEL_UUID_BYTES], int rc, const char *code,
                  const reel_error *err, const char *ack_fmt, const char *uri)
{
    reel_msg_command r;
    memset(&r, 0, sizeof r);
    reel_wire_new_id(r.id);
    if (rc) {
        r.kind = REEL_CMD_ERROR;
        snprintf(r.error.code, sizeof r.error.code, "%s", code);
        snprintf(r.error.message, sizeof r.error.message, "%s", err->msg);
        snprintf(r.error.details, sizeof r.error.details, "{\"uri\":\"%.400s\"}", uri);
    } else {
        r.kind = REEL_CMD_ACK;
        snprintf(r.ack.message, sizeof r.ack.message, "%s: %s", ack_fmt, uri);
    }
    reel_error se;
    if (reel_wire_send_hoot(e->dealer, NULL, 0, REEL_HOOT_REPLY, id, SERVICE, &r, &se))
        reel_log_error("engine", "%s", se.msg);
}

static void handle_command(reel_engine *e, const reel_wire_msg *m)
{
    reel_hoot_frame h;
    reel_error err;
    reel_error_clear(&err);
    if (reel_hoot_frame_parse(m->frames, m->n, &h, &err)) {
        reel_log_warn("engine", "dropped a message: %s", err.msg);
        return;
    }
    e->connected = true;
    if (h.command != REEL_HOOT_REQUEST)
        return; /* heartbeats and READY answers only prove the control plane is there */
    reel_msg_command cmd;
    if (h.content_type != REEL_HOOT_CAPNP ||
        reel_capnp_decode_envelope(h.body.data, h.body.len, &cmd, &err)) {
        if (!err.msg[0])
            reel_error_set(&err, REEL_EFORMAT, "a request without a Cap'n Proto body");
        reply(e, h.request_id, err.code ? err.code : REEL_EFORMAT, "bad_request", &err, "", "");
        return;
    }
    int rc;
    switch (cmd.kind) {
    case REEL_CMD_STREAM_START:
        rc = stream_start(e, &cmd, &err);
        reply(e, h.request_id, rc, "stream_start_failed", &err, "stream_started", cmd.start.uri);
        break;
    case REEL_CMD_STREAM_SWITCH_CHUNK: {
        eng_stream *s = find_stream(e, cmd.switch_chunk.uri);
        rc = s ? map_chunk(s, cmd.switch_chunk.new_chunk_path, &err)
               : reel_error_set(&err, REEL_ENOENT, "no stream %s in this engine",
                                cmd.switch_chunk.uri);
        reply(e, h.request_id, rc, "stream_switch_chunk_failed", &err, "chunk_ready",
              cmd.switch_chunk.uri);
        break;
    }
    case REEL_CMD_STREAM_STOP: {
        eng_stream *s = find_stream(e, cmd.stop.uri);
        rc = s ? REEL_OK
               : reel_error_set(&err, REEL_ENOENT, "no stream %s in this engine", cmd.stop.uri);
        if (s)
            stream_end(e, s);
        reply(e, h.request_id, rc, "stream_stop_failed", &err, "stream_stopped", cmd.stop.uri);
        break;
    }
    default:
        reel_error_set(&err, REEL_EFORMAT, "the engine takes streamStart, streamSwitchChunk and "
                       "streamStop");
        reply(e, h.request_id, REEL_EFORMAT, "unsupported", &err, "", "");
        break;
    }
}

static void send_plain(reel_engine *e, reel_hoot_command c)
{
    uint8_t id[REEL_UUID_BYTES];
    reel_wire_new_id(id);
    reel_error err;
    if (reel_wire_send_hoot(e->dealer, NULL, 0, c, id, SERVICE, NULL, &err))
        reel_log_error("engine", "%s", err.msg);
}

/* ---- lifecycle ----------------------------------------------------------- */

int reel_engine_open(reel_engine **out, const reel_engine_opts *o, reel_error *err)
{
    char events[REEL_WIRE_ENDPOINT_MAX];
    int rc = reel_wire_events_endpoint(o->control, events, sizeof events, err);
    if (rc)
        return rc;
    reel_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->streams = calloc(ENG_STREAMS_MAX, sizeof *e->streams))) {
        free(e);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    e->o = *o;
    pthread_mutex_init(&e->ended_mu, NULL);
    e->ctx = o->zmq_context;
    if (!e->ctx) {
        e->ctx = zmq_ctx_new();
        e->own_ctx = true;
    }
    e->dealer = e->ctx ? zmq_socket(e->ctx, ZMQ_DEALER) : NULL;
    e->xpub = e->ctx ? zmq_socket(e->ctx, ZMQ_XPUB) : NULL;
    if (!e->dealer || !e->xpub) {
        rc = reel_error_set(err, REEL_EIO, "cannot create sockets: %s", zmq_strerror(errno));
        goto fail;
    }
    char ident[64];
    uint8_t rnd[REEL_UUID_BYTES];
    reel_wire_new_id(rnd);
    int n = snprintf(ident, sizeof ident, "engine-%d-%02x%02x%02x%02x", (int)getpid(), rnd[0],
                     rnd[1], rnd[2], rnd[3]);
    int zero = 0, linger = 2000;
    zmq_setsockopt(e->dealer, ZMQ_ROUTING_ID, ident, (size_t)n);
    zmq_setsockopt(e->dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(e->dealer, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(e->xpub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(e->xpub, ZMQ_SNDHWM, &zero, sizeof zero);
    if (zmq_connect(e->dealer, o->control) != 0 || zmq_connect(e->xpub, events) != 0) {
        rc = reel_error_set(err, REEL_EINVAL, "cannot connect to %s: %s", o->control,
                            zmq_strerror(errno));
        goto fail;
    }
    *out = e;
    return REEL_OK;
fail:
    reel_engine_close(e);
    return rc;
}

int reel_engine_run(reel_engine *e, volatile sig_atomic_t *stop, reel_error *err)
{
    reel_wire_msg *m = malloc(sizeof *m);
    if (!m)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int64_t ready_ns = 0;
    /* An atomic load: *stop is set by a signal handler or, for an engine on a
     * thread of its own (`reel serve`, tests), by another thread. */
    while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
        zmq_pollitem_t items[2] = {{e->dealer, 0, ZMQ_POLLIN, 0}, {e->xpub, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 5) < 0 && errno != EINTR)
            break;
        reel_error rerr;
        /* A subscription means the control plane's SUB is connected: now
         * nothing published is lost, so announce ourselves. */
        while (reel_wire_recv(e->xpub, m, &rerr) == REEL_OK)
            if (m->n == 1 && m->frames[0].len >= 1 &&
                ((const uint8_t *)m->frames[0].data)[0] == 1) {
                e->subscribed = true;
                e->connected = false; /* a (new) control plane: say READY again */
            }
        while (reel_wire_recv(e->dealer, m, &rerr) == REEL_OK)
            handle_command(e, m);
        for (int i = 0; i < ENG_STREAMS_MAX; i++) {
            eng_stream *s = &e->streams[i];
            if (!s->used)
                continue;
            drain(e, s);
            /* The producer ended by itself (end of file, --seconds), or a
             * device stream took its set length: it ends now. */
            if (s->ended || (s->cap && reel_capture_done(s->cap)))
                stream_end(e, s);
        }
        int64_t now = reel_clock_mono_now();
        for (int i = 0; i < ENG_STREAMS_MAX; i++) {
            eng_stream *s = &e->streams[i];
            if (s->used && now >= s->next_head_ns) {
                publish_head(e, s);
                s->next_head_ns = now + s->head_ns;
            }
        }
        if (e->subscribed && !e->connected && now - ready_ns >= 500000000LL) {
            send_plain(e, REEL_HOOT_READY);
            ready_ns = now;
        }
        if (e->connected && now >= e->next_beat_ns) {
            send_plain(e, REEL_HOOT_HEARTBEAT);
            e->next_beat_ns = now + HEARTBEAT_NS;
        }
        /* Memory locking or realtime priority refused: said once each. */
        char note[512];
        while (reel_rt_next_note(note, sizeof note))
            reel_log_warn("engine", "%s", note);
    }
    for (int i = 0; i < ENG_STREAMS_MAX; i++)
        if (e->streams[i].used) {
            publish_head(e, &e->streams[i]);
            stream_end(e, &e->streams[i]);
        }
    if (e->connected)
        send_plain(e, REEL_HOOT_DISCONNECT);
    free(m);
    return REEL_OK;
}

void reel_engine_close(reel_engine *e)
{
    if (!e)
        return;
    if (e->streams)
        for (int i = 0; i < ENG_STREAMS_MAX; i++)
            if (e->streams[i].used)
                stream_end(e, &e->streams[i]);
    if (e->jack) {
        reel_jack_unshare(e->jack); /* waits for its other users (MIDI out) */
        reel_jack_close(e->jack);   /* finishes any writer it still held */
    }
    for (size_t i = 0; i < e->n_held; i++)
        reel_cw_destroy(e->held[i]);
    if (e->dealer)
        zmq_close(e->dealer);
    if (e->xpub)
        zmq_close(e->xpub);
    if (e->own_ctx && e->ctx)
        zmq_ctx_term(e->ctx);
    free(e->streams);
    pthread_mutex_destroy(&e->ended_mu);
    free(e);
}
