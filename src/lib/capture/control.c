/*
 * control.c — the control-plane role (see control.h).
 *
 * Each stream carries a proxy for the engine's chunk writer, shared between
 * this thread and the recorder's preparer thread (which offers chunks), so
 * its state sits behind a mutex: chunks offered but not yet named to the
 * engine ("unsent"), chunks named to it in order ("sent", the first of
 * which is being written once `active`), the writer events made from the
 * engine's reports, and the newest head.
 *
 * The engine reports the end of each chunk (StreamChunkFull) in the order
 * it was given the chunks, so the next chunk starts where the last one
 * ended; its clocks are the newest head's, carried to that frame. When the
 * engine has used up every chunk named to it (a slow preparer on a busy
 * machine), the next one named is that next chunk: the engine writes the
 * owed silence into it from where the last one ended.
 */
#include "capture/control.h"
#include "core/log.h"

#include "time/clock.h"
#include "protocol/wire.h"
#include "store/store_lock.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define CTL_STREAMS_MAX 64
#define CTL_CHUNKS 80
#define CTL_EVQ 512
#define SERVICE "reel-control"

typedef struct ctl_chunk {
    uint32_t tag;
    uint8_t *base;
    size_t cap;
    reel_hash id;
} ctl_chunk;

typedef enum ctl_end {
    CTL_RUNNING = 0,
    CTL_LOST,    /* the engine went away: resume with the next one */
    CTL_STOPPED, /* we asked: done */
    CTL_ENDED,   /* the producer ended or failed: done */
} ctl_end;

typedef struct ctl_stream {
    bool used;
    reel_control *c;
    reel_stream_def def;
    reel_recorder *rec;
    uint8_t start_req[REEL_UUID_BYTES];
    bool start_sent, started_reported, stop_sent;
    ctl_end end;
    bool parked; /* stopped on request or defined only: may start again */
    int64_t stop_sent_ns;
    /* Proxy state, under mu. */
    pthread_mutex_t mu;
    ctl_chunk unsent[CTL_CHUNKS];
    size_t n_unsent;
    ctl_chunk sent[CTL_CHUNKS];
    size_t n_sent;
    bool active;        /* sent[0] is being written */
    uint64_t cur_first; /* its first frame */
    bool next_owed;      /* a chunk ended with none sent after it: the next one */
    uint64_t next_first; /* sent starts at next_first */
    uint64_t start_frame;
    reel_cw_event evq[CTL_EVQ];
    size_t evq_head, evq_n;
    bool evq_overflow;
    reel_cw_head head;
    bool have_head;
    uint64_t gaps_seen;
    uint64_t store_gaps; /* episodes of a full store (silence recorded meanwhile) */
    bool final_seen;
    reel_trigger_opts trigger; /* applied to each recorder of the stream */
    /* This recording: the engine acknowledged it, why it failed, and its
     * status after the last seal once it is over. */
    bool engine_started;
    bool poll_failed; /* the recorder failed: stopping */
    int err_code;
    char err_msg[REEL_ERROR_MSG_MAX];
    bool have_final;
    reel_recorder_status final;
    uint64_t final_gaps;
} ctl_stream;

struct reel_control {
    reel_store *st;
    reel_control_opts o;
    reel_levels *levels; /* for on_levels (heap: many channels) */
    void *ctx;
    bool own_ctx;
    void *router, *sub, *pub;
    uint8_t engine_id[256];
    size_t engine_id_len; /* 0: no engine */
    int64_t last_seen_ns;
    ctl_stream *streams; /* CTL_STREAMS_MAX */
    reel_wire_msg *msg;
};

/* A line for a person, through core/log.h (module "control"): say() for
 * what happens, say_warn() for what went wrong. */
/* A line for the person running reel: to the caller's on_log when it asked
 * for the lines itself (tests, embedders), else through the one logger
 * (core/log.h); never both, so nothing is printed twice. */
static void say_at(reel_control *c, reel_log_level lv, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    if (c && c->o.on_log)
        c->o.on_log(c->o.ud, line);
    else
        reel_log(lv, "control", "%s", line);
}

static void say(reel_control *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(reel_control *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_at(c, REEL_LOG_INFO, fmt, ap);
    va_end(ap);
}

static void say_warn(reel_control *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_warn(reel_control *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_at(c, REEL_LOG_WARN, fmt, ap);
    va_end(ap);
}

/* An informational line: not said when the caller asked for quiet. */
#define say_info(c, ...)                                                                     \
    do {                                                                                     \
        if (!(c)->o.quiet)                                                                   \
            say(c, __VA_ARGS__);                                                             \
    } while (0)

/* This recording of `s` failed: kept for reel_control_stream_get (the
 * first reason wins) and said unless quiet. */
static void stream_failed(reel_control *c, ctl_stream *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void stream_failed(reel_control *c, ctl_stream *s, int code, const char *fmt, ...)
{
    char msg[REEL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!s->err_code) {
        s->err_code = code ? code : REEL_EIO;
        snprintf(s->err_msg, sizeof s->err_msg, "%s", msg);
    }
    if (!c->o.quiet)
        say_warn(c, "%s", msg);
}

/* ---- the proxy: reel_chunk_port over the protocol ------------------------ */

static bool px_offer(void *ctx, const reel_chunk_slot *slot, const reel_hash *id)
{
    ctl_stream *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool ok = s->n_unsent < CTL_CHUNKS;
    if (ok)
        s->unsent[s->n_unsent++] =
            (ctl_chunk){.tag = slot->tag, .base = slot->base, .cap = slot->capacity, .id = *id};
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static size_t px_ready(void *ctx)
{
    ctl_stream *s = ctx;
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_unsent + s->n_sent - (s->active ? 1 : 0);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static bool px_next(void *ctx, reel_cw_event *ev)
{
    ctl_stream *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool ok = s->evq_n > 0;
    if (ok) {
        *ev = s->evq[s->evq_head];
        s->evq_head = (s->evq_head + 1) % CTL_EVQ;
        s->evq_n--;
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void px_head(void *ctx, reel_cw_head *h)
{
    ctl_stream *s = ctx;
    pthread_mutex_lock(&s->mu);
    *h = s->head;
    h->tag = s->active ? s->sent[0].tag : UINT32_MAX;
    if (!s->active)
        h->chunk_bytes = h->chunk_frames = 0;
    pthread_mutex_unlock(&s->mu);
}

static bool px_reclaim(void *ctx, reel_chunk_slot *slot)
{
    ctl_stream *s = ctx;
    pthread_mutex_lock(&s->mu);
    ctl_chunk *c = NULL;
    if (s->n_unsent)
        c = &s->unsent[--s->n_unsent];
    else if (s->n_sent > (s->active ? 1u : 0u))
        c = &s->sent[--s->n_sent];
    if (c)
        *slot = (reel_chunk_slot){.base = c->base, .capacity = c->cap, .tag = c->tag};
    pthread_mutex_unlock(&s->mu);
    return c != NULL;
}

/* Queue a writer event (mu held). */
static void push_event(ctl_stream *s, const reel_cw_event *ev)
{
    if (s->evq_n == CTL_EVQ) {
        s->evq_overflow = true;
        return;
    }
    s->evq[(s->evq_head + s->evq_n) % CTL_EVQ] = *ev;
    s->evq_n++;
}

/* Clocks at `frame`, carried from the newest head (mu held). */
static void clock_at(const ctl_stream *s, uint64_t frame, reel_cw_event *ev)
{
    if (s->have_head && s->head.wall_ns > 0 && s->def.sample_rate) {
        int64_t df = (int64_t)(frame - s->head.clock_frame);
        int64_t ns = df * 1000000000LL / (int64_t)s->def.sample_rate;
        ev->wall_ns = s->head.wall_ns + ns;
        ev->mono_ns = s->head.mono_ns + ns;
        ev->device_frame = s->head.device_frame + (uint64_t)df;
    } else {
        ev->wall_ns = reel_clock_wall_now();
        ev->mono_ns = reel_clock_mono_now();
        ev->device_frame = 0;
    }
}

/* sent[0] starts being written at `first` (mu held). */
static void report_started(ctl_stream *s, uint64_t first)
{
    reel_cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = REEL_CW_CHUNK_STARTED;
    ev.tag = s->sent[0].tag;
    ev.first_frame = first;
    clock_at(s, first, &ev);
    s->active = true;
    s->cur_first = first;
    s->head.chunk_bytes = s->head.chunk_frames = 0;
    push_event(s, &ev);
}

/* The first chunk's start waits for the first head (its clocks); a chunk
 * report before any head starts it anyway (mu held). */
static void ensure_started(ctl_stream *s)
{
    if (s->start_sent && !s->started_reported && s->n_sent) {
        report_started(s, s->start_frame);
        s->started_reported = true;
    }
}

/* The active chunk ends (mu held): from the engine's report, or at the last
 * head when the engine is gone (`ev` NULL). */
static void report_full(ctl_stream *s, const reel_msg_event *ev, bool final)
{
    ensure_started(s);
    reel_cw_event cw;
    memset(&cw, 0, sizeof cw);
    cw.type = REEL_CW_CHUNK_FULL;
    cw.final = final;
    bool midi = s->def.kind == REEL_STREAM_MIDI;
    if (!s->active) {
        cw.tag = UINT32_MAX;
    } else if (ev) {
        cw.tag = s->sent[0].tag;
        cw.bytes = ev->chunk_full.bytes_written;
        cw.frames = midi ? ev->chunk_full.events : ev->chunk_full.samples_written;
        cw.first_frame = ev->chunk_full.first_frame;
        cw.end_frame = ev->chunk_full.end_frame;
        cw.wall_ns = (int64_t)ev->chunk_full.wall_clock_ns;
    } else {
        cw.tag = s->sent[0].tag;
        cw.bytes = s->head.chunk_bytes;
        cw.frames = s->head.chunk_frames;
        cw.first_frame = s->cur_first;
        cw.end_frame = midi ? s->head.frames
                            : s->cur_first + s->head.chunk_frames;
        cw.wall_ns = s->head.wall_ns;
    }
    if (cw.tag != UINT32_MAX && cw.bytes > s->sent[0].cap)
        cw.bytes = s->sent[0].cap; /* never trust a count past the chunk */
    if (ev && s->active) {
        /* The head moves to the chunk's end: the events and frames the
         * engine wrote after its last head report are counted too (the
         * last chunk's are reported by no head). */
        if (midi)
            s->head.events = (s->head.events >= s->head.chunk_frames
                                  ? s->head.events - s->head.chunk_frames
                                  : 0) + cw.frames;
        if (cw.end_frame > s->head.frames)
            s->head.frames = cw.end_frame;
        s->head.chunk_bytes = cw.bytes;
        s->head.chunk_frames = cw.frames;
    }
    push_event(s, &cw);
    bool was_active = s->active;
    if (s->active) {
        memmove(&s->sent[0], &s->sent[1], (s->n_sent - 1) * sizeof s->sent[0]);
        s->n_sent--;
        s->active = false;
    }
    if (final) {
        s->final_seen = true;
    } else if (s->n_sent) {
        report_started(s, cw.end_frame);
    } else if (was_active) {
        /* Nothing named yet to follow it: flush_chunks starts the next one
         * here (left unstarted, its report would read as the end of the
         * stream and every later one as the wrong chunk). */
        s->next_owed = true;
        s->next_first = cw.end_frame;
    }
}

/* ---- streams ------------------------------------------------------------- */

static ctl_stream *find_stream(reel_control *c, const char *uri)
{
    for (int i = 0; i < CTL_STREAMS_MAX; i++)
        if (c->streams[i].used && strcmp(c->streams[i].def.uri, uri) == 0)
            return &c->streams[i];
    return NULL;
}

static void proxy_reset(ctl_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->n_unsent = s->n_sent = 0;
    s->active = false;
    s->next_owed = false;
    s->evq_head = s->evq_n = 0;
    s->evq_overflow = false;
    memset(&s->head, 0, sizeof s->head);
    s->have_head = false;
    s->gaps_seen = 0;
    s->store_gaps = 0;
    s->final_seen = false;
    pthread_mutex_unlock(&s->mu);
    s->start_sent = s->started_reported = s->stop_sent = false;
}

static int stream_open(reel_control *c, ctl_stream *s, reel_error *err)
{
    proxy_reset(s);
    s->engine_started = false;
    s->poll_failed = false;
    s->err_code = 0;
    s->err_msg[0] = '\0';
    s->have_final = false;
    reel_chunk_port port = {.ctx = s, .offer = px_offer, .ready_count = px_ready,
                            .next_event = px_next, .read_head = px_head,
                            .reclaim = px_reclaim};
    int rc = reel_recorder_open_port(&s->rec, c->st, &s->def, &port, err);
    if (rc)
        return rc;
    reel_retention keep = reel_retention_rules_for(c->o.retention, s->def.uri);
    reel_recorder_set_retention(s->rec, &keep);
    /* Triggering never keeps a stream from recording. */
    reel_error te;
    if (reel_recorder_set_trigger(s->rec, &s->trigger, c->o.on_moment, c->o.ud, &te))
        say_warn(c, "%s: no triggered capture: %s", s->def.uri, te.msg);
    pthread_mutex_lock(&s->mu);
    s->start_frame = reel_recorder_start_frame(s->rec);
    s->head.frames = s->start_frame;
    s->head.clock_frame = s->start_frame;
    pthread_mutex_unlock(&s->mu);
    s->end = CTL_RUNNING;
    return REEL_OK;
}

/* After the final chunk report: seal, close, forget the proxy state. */
static int stream_close(reel_control *c, ctl_stream *s, reel_error *err)
{
    pthread_mutex_lock(&s->mu);
    uint64_t gaps = s->gaps_seen + s->store_gaps;
    pthread_mutex_unlock(&s->mu);
    int rc = reel_recorder_close_status(s->rec, &s->final, err);
    s->final_gaps = gaps;
    s->have_final = true;
    s->rec = NULL;
    proxy_reset(s);
    if (rc)
        stream_failed(c, s, rc, "%s: sealing failed: %s", s->def.uri, err->msg);
    return rc;
}

/* The engine is gone for `s`: end the active chunk at the last head. */
static int stream_cut(reel_control *c, ctl_stream *s, ctl_end why, reel_error *err)
{
    if (!s->rec)
        return REEL_OK;
    pthread_mutex_lock(&s->mu);
    if (!s->final_seen)
        report_full(s, NULL, true);
    pthread_mutex_unlock(&s->mu);
    s->end = why;
    return stream_close(c, s, err);
}

static void engine_lost(reel_control *c, const char *why)
{
    if (!c->engine_id_len)
        return;
    say_warn(c, "engine lost (%s): streams sealed at their last reported head position; waiting "
        "for an engine", why);
    c->engine_id_len = 0;
    for (int i = 0; i < CTL_STREAMS_MAX; i++) {
        ctl_stream *s = &c->streams[i];
        reel_error err;
        if (s->used && s->rec && s->end == CTL_RUNNING)
            stream_cut(c, s, CTL_LOST, &err);
    }
}

static void send_to_engine(reel_control *c, reel_hoot_command hc, const uint8_t *id,
                           const reel_msg_command *cmd)
{
    reel_frame_ref ident = {c->engine_id, c->engine_id_len};
    uint8_t rid[REEL_UUID_BYTES];
    if (!id) {
        reel_wire_new_id(rid);
        id = rid;
    }
    reel_error err;
    if (reel_wire_send_hoot(c->router, &ident, 1, hc, id, SERVICE, cmd, &err))
        say_warn(c, "cannot reach the engine: %s", err.msg);
}

/* Name the prepared chunks to the engine: the first with StreamStart. */
static void flush_chunks(reel_control *c, ctl_stream *s)
{
    if (!c->engine_id_len || !s->rec || s->stop_sent)
        return;
    for (;;) {
        /* The next chunks once the engine took the stream: a StreamStart
         * it refuses leaves nothing else to refuse. */
        if (s->start_sent && !s->engine_started)
            return;
        pthread_mutex_lock(&s->mu);
        if (!s->n_unsent || s->n_sent == CTL_CHUNKS) {
            pthread_mutex_unlock(&s->mu);
            return;
        }
        ctl_chunk ch = s->unsent[0];
        memmove(&s->unsent[0], &s->unsent[1], (s->n_unsent - 1) * sizeof s->unsent[0]);
        s->n_unsent--;
        s->sent[s->n_sent++] = ch;
        if (s->next_owed) { /* before the engine can have written any of it */
            s->next_owed = false;
            report_started(s, s->next_first);
        }
        bool first = !s->start_sent;
        s->start_sent = true;
        pthread_mutex_unlock(&s->mu);

        reel_msg_command *cmd = calloc(1, sizeof *cmd);
        if (!cmd)
            return;
        reel_wire_new_id(cmd->id);
        char path[PATH_MAX];
        reel_cas_staging_path(reel_store_cas(c->st), &ch.id, path);
        if (first) {
            cmd->kind = REEL_CMD_STREAM_START;
            snprintf(cmd->start.uri, sizeof cmd->start.uri, "%s", s->def.uri);
            cmd->start.def = *reel_recorder_def(s->rec);
            snprintf(cmd->start.chunk_path, sizeof cmd->start.chunk_path, "%s", path);
            cmd->start.start_frame = s->start_frame;
            memcpy(s->start_req, cmd->id, REEL_UUID_BYTES);
        } else {
            cmd->kind = REEL_CMD_STREAM_SWITCH_CHUNK;
            snprintf(cmd->switch_chunk.uri, sizeof cmd->switch_chunk.uri, "%s", s->def.uri);
            snprintf(cmd->switch_chunk.new_chunk_path, sizeof cmd->switch_chunk.new_chunk_path,
                     "%s", path);
        }
        send_to_engine(c, REEL_HOOT_REQUEST, cmd->id, cmd);
        free(cmd);
    }
}

/* ---- messages in --------------------------------------------------------- */

static void on_reply(reel_control *c, const reel_hoot_frame *h)
{
    reel_msg_command *r = malloc(sizeof *r);
    reel_error err;
    if (!r)
        return;
    if (h->content_type != REEL_HOOT_CAPNP ||
        reel_capnp_decode_envelope(h->body.data, h->body.len, r, &err)) {
        free(r);
        return;
    }
    if (r->kind == REEL_CMD_ERROR) {
        ctl_stream *failed = NULL;
        for (int i = 0; i < CTL_STREAMS_MAX && !failed; i++)
            if (c->streams[i].used && c->streams[i].rec &&
                memcmp(c->streams[i].start_req, h->request_id, REEL_UUID_BYTES) == 0)
                failed = &c->streams[i];
        if (failed) {
            stream_failed(c, failed, REEL_EDEVICE, "%s: the engine cannot record it: %s",
                          failed->def.uri, r->error.message);
            stream_cut(c, failed, CTL_ENDED, &err);
        } else {
            say_warn(c, "engine: %s: %s", r->error.code, r->error.message);
        }
    } else if (r->kind == REEL_CMD_ACK) {
        for (int i = 0; i < CTL_STREAMS_MAX; i++)
            if (c->streams[i].used && c->streams[i].rec &&
                memcmp(c->streams[i].start_req, h->request_id, REEL_UUID_BYTES) == 0)
                c->streams[i].engine_started = true;
    }
    free(r);
}

static void start_streams(reel_control *c)
{
    for (int i = 0; i < CTL_STREAMS_MAX; i++) {
        ctl_stream *s = &c->streams[i];
        reel_error err;
        if (s->used && !s->rec && (s->end == CTL_RUNNING || s->end == CTL_LOST)) {
            int rc = stream_open(c, s, &err);
            if (rc) {
                stream_failed(c, s, rc, "%s: cannot record: %s", s->def.uri, err.msg);
                s->end = CTL_ENDED;
            }
        }
    }
}

static void on_engine_message(reel_control *c, const reel_wire_msg *m)
{
    reel_hoot_frame h;
    reel_error err;
    if (reel_hoot_frame_parse(m->frames, m->n, &h, &err) || h.identity_count != 1)
        return;
    const reel_frame_ref *id = &m->frames[0];
    bool known = c->engine_id_len && id->len == c->engine_id_len &&
                 memcmp(id->data, c->engine_id, id->len) == 0;
    if (!known) {
        if (h.command == REEL_HOOT_DISCONNECT || id->len > sizeof c->engine_id)
            return;
        /* A new engine (or one that outlived an earlier control plane). */
        if (c->engine_id_len)
            engine_lost(c, "another engine connected");
        memcpy(c->engine_id, id->data, id->len);
        c->engine_id_len = id->len;
        say_info(c, "engine connected (%.*s)", (int)id->len, (const char *)id->data);
        c->last_seen_ns = reel_clock_mono_now();
        send_to_engine(c, REEL_HOOT_HEARTBEAT, NULL, NULL);
        start_streams(c);
        return;
    }
    c->last_seen_ns = reel_clock_mono_now();
    switch (h.command) {
    case REEL_HOOT_READY: send_to_engine(c, REEL_HOOT_HEARTBEAT, NULL, NULL); break;
    case REEL_HOOT_REPLY: on_reply(c, &h); break;
    case REEL_HOOT_DISCONNECT: engine_lost(c, "it disconnected"); break;
    default: break;
    }
}

static void on_event(reel_control *c, const reel_msg_event *ev)
{
    ctl_stream *s = find_stream(c, ev->stream_uri);
    if (!s || !s->rec)
        return;
    pthread_mutex_lock(&s->mu);
    switch (ev->kind) {
    case REEL_EVT_HEAD_POSITION: {
        reel_cw_head *h = &s->head;
        h->frames = ev->head.sample_position;
        h->events = ev->head.events;
        h->chunk_bytes = ev->head.chunk_bytes;
        h->chunk_frames = ev->head.chunk_frames;
        h->wall_ns = (int64_t)ev->head.wall_clock_ns;
        h->mono_ns = ev->head.mono_ns;
        h->device_frame = ev->head.device_frame;
        h->clock_frame = ev->head.clock_frame;
        h->xruns = ev->head.xruns;
        h->overrun_frames = ev->head.overrun_frames;
        h->overrun_events = ev->head.overrun_events;
        h->events_lost = ev->head.events_lost; /* the recorder fails on any */
        h->midi_clock_ticks = ev->head.midi_clock_ticks;
        s->have_head = true;
        ensure_started(s);
        /* The recorder saves it at once: what a crash loses is then one
         * engine head interval, not that plus the recorder's own. */
        push_event(s, &(reel_cw_event){.type = REEL_CW_HEAD});
        if (ev->head.gaps > s->gaps_seen) {
            reel_cw_event g = {.type = REEL_CW_GAP, .count = ev->head.gaps - s->gaps_seen};
            push_event(s, &g);
            s->gaps_seen = ev->head.gaps;
        }
        break;
    }
    case REEL_EVT_CHUNK_FULL: {
        char path[PATH_MAX];
        if (s->n_sent && ev->chunk_full.path[0]) {
            reel_cas_staging_path(reel_store_cas(c->st), &s->sent[0].id, path);
            if (strcmp(path, ev->chunk_full.path) != 0) {
                pthread_mutex_unlock(&s->mu);
                say_warn(c, "%s: the engine reported chunk %s, expected %s", s->def.uri,
                    ev->chunk_full.path, path);
                return;
            }
        }
        /* No path: the stream ended with no chunk in use. */
        report_full(s, ev->chunk_full.path[0] ? ev : NULL, ev->chunk_full.final);
        break;
    }
    case REEL_EVT_STREAM_ERROR:
        if (!ev->stream_error.recoverable) {
            pthread_mutex_unlock(&s->mu);
            stream_failed(c, s, REEL_EDEVICE, "%s: %s", s->def.uri, ev->stream_error.message);
            return;
        }
        if (strncmp(ev->stream_error.message, "gap", 3) == 0) {
            pthread_mutex_unlock(&s->mu);
            say_warn(c, "%s: %s", s->def.uri, ev->stream_error.message);
            return;
        }
        break;
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- lifecycle ----------------------------------------------------------- */

int reel_control_open(reel_control **out, reel_store *st, const reel_control_opts *o,
                      reel_error *err)
{
    char events[REEL_WIRE_ENDPOINT_MAX];
    int rc = reel_wire_events_endpoint(o->engine, events, sizeof events, err);
    if (rc)
        return rc;
    reel_control *c = calloc(1, sizeof *c);
    if (!c || !(c->streams = calloc(CTL_STREAMS_MAX, sizeof *c->streams)) ||
        !(c->msg = malloc(sizeof *c->msg)) || !(c->levels = malloc(sizeof *c->levels))) {
        if (c) {
            free(c->streams);
            free(c->msg);
        }
        free(c);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    c->st = st;
    c->o = *o;
    if (!c->o.engine_timeout_ns)
        c->o.engine_timeout_ns = 1500000000LL;
    for (int i = 0; i < CTL_STREAMS_MAX; i++)
        pthread_mutex_init(&c->streams[i].mu, NULL);
    c->ctx = o->zmq_context;
    if (!c->ctx) {
        c->ctx = zmq_ctx_new();
        c->own_ctx = true;
    }
    int zero = 0, linger = 0;
    c->router = c->ctx ? zmq_socket(c->ctx, ZMQ_ROUTER) : NULL;
    c->sub = c->ctx ? zmq_socket(c->ctx, ZMQ_SUB) : NULL;
    if (!c->router || !c->sub) {
        rc = reel_error_set(err, REEL_EIO, "cannot create sockets: %s", zmq_strerror(errno));
        goto fail;
    }
    zmq_setsockopt(c->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_bind(c->router, o->engine) != 0) {
        rc = reel_error_set(err, REEL_EIO, "cannot bind %s: %s", o->engine, zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(c->sub, events) != 0) {
        rc = reel_error_set(err, REEL_EIO, "cannot bind %s: %s", events, zmq_strerror(errno));
        goto fail;
    }
    if (o->publish) {
        c->pub = zmq_socket(c->ctx, ZMQ_PUB);
        if (!c->pub) {
            rc = reel_error_set(err, REEL_EIO, "cannot create a socket: %s", zmq_strerror(errno));
            goto fail;
        }
        zmq_setsockopt(c->pub, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(c->pub, o->publish) != 0) {
            rc = reel_error_set(err, REEL_EIO, "cannot bind %s: %s", o->publish,
                                zmq_strerror(errno));
            goto fail;
        }
    }
    *out = c;
    return REEL_OK;
fail:
    reel_control_close(c);
    return rc;
}

void *reel_control_zmq_context(reel_control *c)
{
    return c->ctx;
}

/* REEL_ESTATE (naming the process) if another process records `uri`: said
 * now, rather than when an engine connects and the recorder cannot open. */
static int check_free(reel_control *c, const char *uri, reel_error *err)
{
    int fd;
    int rc = reel_lock_acquire_stream(c->st, uri, &fd, err);
    if (rc == 0)
        reel_lock_release(fd);
    return rc;
}

int reel_control_add_stream(reel_control *c, const reel_stream_def *def, reel_error *err)
{
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    if (find_stream(c, def->uri))
        return reel_error_set(err, REEL_EEXIST, "stream %s is recorded already", def->uri);
    if ((rc = check_free(c, def->uri, err)))
        return rc;
    ctl_stream *s = NULL;
    for (int i = 0; i < CTL_STREAMS_MAX && !s; i++)
        if (!c->streams[i].used)
            s = &c->streams[i];
    if (!s)
        return reel_error_set(err, REEL_EFULL, "at most %d streams", CTL_STREAMS_MAX);
    s->used = true;
    s->c = c;
    s->def = *def;
    reel_trigger_opts_default(&s->trigger);
    s->end = CTL_RUNNING;
    if (c->engine_id_len && (rc = stream_open(c, s, err))) {
        s->used = false;
        return rc;
    }
    return REEL_OK;
}

int reel_control_set_trigger(reel_control *c, const char *uri, const reel_trigger_opts *o,
                             reel_error *err)
{
    ctl_stream *s = find_stream(c, uri);
    if (!s)
        return reel_error_set(err, REEL_ENOENT, "stream %s is not recorded here", uri);
    reel_trigger_opts t = {0}; /* both kinds off */
    if (o)
        t = *o;
    if ((t.level || t.midi) && reel_trigger_opts_validate(&t, err))
        return err->code;
    s->trigger = t;
    return s->rec ? reel_recorder_set_trigger(s->rec, &t, c->o.on_moment, c->o.ud, err) : REEL_OK;
}

bool reel_control_engine_connected(const reel_control *c)
{
    return c->engine_id_len > 0;
}

int reel_control_active_streams(const reel_control *c)
{
    int n = 0;
    for (int i = 0; i < CTL_STREAMS_MAX; i++)
        n += c->streams[i].used && (c->streams[i].end == CTL_RUNNING ||
                                    c->streams[i].end == CTL_LOST || c->streams[i].parked);
    return n;
}

static ctl_stream *free_slot(reel_control *c)
{
    for (int i = 0; i < CTL_STREAMS_MAX; i++)
        if (!c->streams[i].used)
            return &c->streams[i];
    return NULL;
}

int reel_control_define_stream(reel_control *c, const reel_stream_def *def, reel_error *err)
{
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    if (find_stream(c, def->uri))
        return reel_error_set(err, REEL_EEXIST, "stream %s is known already", def->uri);
    ctl_stream *s = free_slot(c);
    if (!s)
        return reel_error_set(err, REEL_EFULL, "at most %d streams", CTL_STREAMS_MAX);
    s->used = true;
    s->c = c;
    s->def = *def;
    s->end = CTL_STOPPED;
    s->parked = true;
    return REEL_OK;
}

int reel_control_start_stream(reel_control *c, const char *uri, const reel_stream_def *def,
                              reel_error *err)
{
    ctl_stream *s = find_stream(c, uri);
    if (!s) {
        if (!def)
            return reel_error_set(err, REEL_ENOENT, "no stream %s is defined", uri);
        return reel_control_add_stream(c, def, err);
    }
    if (s->rec || s->end == CTL_RUNNING || s->end == CTL_LOST)
        return reel_error_set(err, REEL_EEXIST, "stream %s is recording already", uri);
    int rc = check_free(c, uri, err);
    if (rc)
        return rc;
    s->end = CTL_RUNNING;
    s->parked = false;
    rc = c->engine_id_len ? stream_open(c, s, err) : REEL_OK;
    if (rc) {
        s->end = CTL_STOPPED;
        s->parked = true;
    }
    return rc;
}

/* Ask the engine to stop `s` (if it ever started it); its last chunk comes
 * back through the ordinary poll. */
static void send_stop(reel_control *c, ctl_stream *s)
{
    if (s->start_sent && c->engine_id_len) {
        reel_msg_command cmd;
        memset(&cmd, 0, sizeof cmd);
        reel_wire_new_id(cmd.id);
        cmd.kind = REEL_CMD_STREAM_STOP;
        snprintf(cmd.stop.uri, sizeof cmd.stop.uri, "%s", s->def.uri);
        send_to_engine(c, REEL_HOOT_REQUEST, cmd.id, &cmd);
    }
    s->stop_sent = true;
}

int reel_control_request_stop(reel_control *c, const char *uri, reel_error *err)
{
    ctl_stream *s = find_stream(c, uri);
    if (!s)
        return reel_error_set(err, REEL_ENOENT, "no stream %s is known to the recorder", uri);
    if (!s->rec && s->end != CTL_RUNNING && s->end != CTL_LOST)
        return reel_error_set(err, REEL_ESTATE, "stream %s is not recording", uri);
    if (s->rec && s->start_sent && c->engine_id_len) {
        if (!s->stop_sent)
            send_stop(c, s);
        return REEL_OK;
    }
    /* Nothing reached an engine: nothing to wait for. */
    reel_error cerr;
    int rc = s->rec ? stream_cut(c, s, CTL_STOPPED, &cerr) : REEL_OK;
    if (rc)
        *err = cerr;
    s->end = CTL_STOPPED;
    return rc;
}

int reel_control_stop_stream(reel_control *c, const char *uri, int64_t timeout_ns,
                             reel_error *err)
{
    ctl_stream *s = find_stream(c, uri);
    if (!s)
        return reel_error_set(err, REEL_ENOENT, "no stream %s is known to the recorder", uri);
    if (!s->rec && s->end != CTL_RUNNING && s->end != CTL_LOST)
        return reel_error_set(err, REEL_ESTATE, "stream %s is not recording", uri);
    int rc = REEL_OK;
    if (s->rec) {
        send_stop(c, s);
        /* Its last chunk comes back through the ordinary poll, which seals
         * it and closes the recorder. */
        int64_t until = reel_clock_mono_now() + timeout_ns;
        while (s->rec && s->start_sent && c->engine_id_len && reel_clock_mono_now() < until) {
            reel_error perr;
            if ((rc = reel_control_poll(c, 10, &perr))) {
                *err = perr;
                break;
            }
        }
        if (s->rec) {
            reel_error cerr;
            int crc = stream_cut(c, s, CTL_STOPPED, &cerr);
            if (crc && !rc) {
                rc = crc;
                *err = cerr;
            }
        }
    }
    s->end = CTL_STOPPED;
    s->parked = true;
    return rc;
}

int reel_control_midi_ticks_at(reel_control *c, const char *uri, uint64_t frame,
                               int64_t timeout_ns, uint64_t *ticks, bool *any, reel_error *err)
{
    int64_t until = reel_clock_mono_now() + timeout_ns;
    for (;;) {
        ctl_stream *s = find_stream(c, uri);
        if (!s)
            return reel_error_set(err, REEL_ENOENT, "no stream %s is known to the recorder", uri);
        if (!s->rec)
            return reel_error_set(err, REEL_ESTATE, "stream %s is not recording", uri);
        reel_error e2;
        int rc = reel_recorder_midi_ticks_before(s->rec, frame, ticks, any, &e2);
        if (rc != REEL_ESTATE || reel_clock_mono_now() >= until) {
            if (rc)
                *err = e2;
            return rc;
        }
        /* The head has not passed `frame` yet: the next comes within
         * ~100 ms. */
        if ((rc = reel_control_poll(c, 10, err)))
            return rc;
    }
}

int reel_control_stream_get(reel_control *c, const char *uri, reel_control_stream_info *out,
                             reel_error *err)
{
    memset(out, 0, sizeof *out);
    ctl_stream *s = find_stream(c, uri);
    if (!s)
        return reel_error_set(err, REEL_ENOENT, "no stream %s is known to the recorder", uri);
    out->def = s->def;
    out->recording = s->rec || s->end == CTL_RUNNING || s->end == CTL_LOST;
    out->started = s->engine_started;
    out->error_code = s->err_code;
    snprintf(out->error, sizeof out->error, "%s", s->err_msg);
    out->have_final = s->have_final;
    out->final = s->final;
    pthread_mutex_lock(&s->mu);
    out->have_head = s->have_head;
    out->head = s->head;
    out->start_frame = s->start_frame;
    out->gaps = s->rec ? s->gaps_seen + s->store_gaps : s->final_gaps;
    pthread_mutex_unlock(&s->mu);
    if (s->rec) {
        out->def = *reel_recorder_def(s->rec);
        reel_recorder_status st;
        reel_recorder_get_status(s->rec, &st);
        out->chunks = st.chunks;
    }
    return REEL_OK;
}

/* A full store (or space again) for `s`, as the engine's errors travel: a
 * recoverable StreamError to subscribers and the on_event callback, and one
 * line. The stream records on, owing silence, meanwhile. */
static bool tell_store_notice(reel_control *c, ctl_stream *s)
{
    reel_error msg;
    int n = reel_recorder_take_notice(s->rec, &msg);
    if (!n)
        return false;
    reel_msg_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return false;
    ev->kind = REEL_EVT_STREAM_ERROR;
    snprintf(ev->stream_uri, sizeof ev->stream_uri, "%s", s->def.uri);
    if (n == REEL_RECORDER_NOTICE_FULL)
        snprintf(ev->stream_error.message, sizeof ev->stream_error.message,
                 "store %s is full: recording silence until space returns (%s)",
                 reel_store_root(c->st), msg.msg);
    else
        snprintf(ev->stream_error.message, sizeof ev->stream_error.message, "%s", msg.msg);
    ev->stream_error.recoverable = true;
    if (n == REEL_RECORDER_NOTICE_FULL) {
        pthread_mutex_lock(&s->mu);
        s->store_gaps++;
        pthread_mutex_unlock(&s->mu);
    }
    say_warn(c, "%s: %s", s->def.uri, ev->stream_error.message);
    reel_error werr;
    if (c->pub)
        reel_wire_send_event(c->pub, ev, &werr);
    if (c->o.on_event)
        c->o.on_event(c->o.ud, ev);
    free(ev);
    return true;
}

int reel_control_poll(reel_control *c, int timeout_ms, reel_error *err)
{
    zmq_pollitem_t items[2] = {{c->router, 0, ZMQ_POLLIN, 0}, {c->sub, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, timeout_ms) < 0 && errno != EINTR)
        return reel_error_set(err, REEL_EIO, "poll failed: %s", zmq_strerror(errno));
    reel_error rerr;
    while (reel_wire_recv(c->router, c->msg, &rerr) == REEL_OK)
        on_engine_message(c, c->msg);
    while (reel_wire_recv(c->sub, c->msg, &rerr) == REEL_OK) {
        if (c->msg->n != 1)
            continue;
        reel_msg_event *ev = malloc(sizeof *ev);
        if (!ev)
            break;
        if (reel_capnp_decode_broadcast(c->msg->frames[0].data, c->msg->frames[0].len, ev,
                                        &rerr) == REEL_OK) {
            c->last_seen_ns = reel_clock_mono_now();
            on_event(c, ev);
            if (c->pub)
                zmq_send(c->pub, c->msg->frames[0].data, c->msg->frames[0].len, ZMQ_DONTWAIT);
            if (c->o.on_event)
                c->o.on_event(c->o.ud, ev);
        }
        free(ev);
    }
    /* The engine's silence is judged now, with everything it sent read: the
     * store work below (seals, fsync, SQLite) can take longer than the
     * timeout on a loaded machine, and its time is this thread's, not the
     * engine's. */
    int64_t drained_ns = reel_clock_mono_now();
    int rc = REEL_OK;
    for (int i = 0; i < CTL_STREAMS_MAX && rc == 0; i++) {
        ctl_stream *s = &c->streams[i];
        if (!s->used || !s->rec)
            continue;
        flush_chunks(c, s);
        reel_error perr;
        int prc = reel_recorder_poll(s->rec, &perr);
        while (prc == 0 && tell_store_notice(c, s))
            ;
        if (prc && !s->poll_failed) {
            /* The store failed this stream (a seal, a manifest save, a
             * staging file): it stops, its last chunk comes back and is
             * sealed if it can be (else recovery finds it); the other
             * streams go on. */
            s->poll_failed = true;
            if (strstr(perr.msg, s->def.uri))
                stream_failed(c, s, prc, "%s", perr.msg);
            else
                stream_failed(c, s, prc, "%s: %s", s->def.uri, perr.msg);
            if (!s->stop_sent)
                send_stop(c, s);
        }
        /* The meters of the head interval just absorbed, as the recorder's
         * watch measured them (nothing reads the chunks again for them). */
        if (c->o.on_levels && reel_recorder_levels(s->rec, c->levels))
            c->o.on_levels(c->o.ud, s->def.uri, reel_recorder_def(s->rec)->sample_rate,
                           c->levels);
        pthread_mutex_lock(&s->mu);
        bool done = s->final_seen && s->evq_n == 0;
        bool overflow = s->evq_overflow;
        pthread_mutex_unlock(&s->mu);
        if (overflow) {
            rc = reel_error_set(err, REEL_EFULL, "%s: too many engine reports queued",
                                s->def.uri);
            break;
        }
        if (done) {
            if (s->end == CTL_RUNNING) {
                s->end = s->stop_sent ? CTL_STOPPED : CTL_ENDED;
                if (s->end == CTL_ENDED)
                    say_info(c, "%s: the source ended", s->def.uri);
            }
            reel_error e2;
            stream_close(c, s, &e2);
        }
    }
    if (c->engine_id_len && drained_ns - c->last_seen_ns > c->o.engine_timeout_ns)
        engine_lost(c, "no word from it for too long");
    return rc;
}

int reel_control_stop(reel_control *c, int64_t timeout_ns, reel_error *err)
{
    int64_t until = reel_clock_mono_now() + timeout_ns;
    for (int i = 0; i < CTL_STREAMS_MAX; i++) {
        ctl_stream *s = &c->streams[i];
        if (!s->used || !s->rec)
            continue;
        send_stop(c, s);
    }
    int rc = REEL_OK;
    for (;;) {
        bool waiting = false;
        for (int i = 0; i < CTL_STREAMS_MAX; i++)
            waiting |= c->streams[i].used && c->streams[i].rec && c->streams[i].start_sent &&
                       c->engine_id_len;
        if (!waiting || reel_clock_mono_now() >= until)
            break;
        int prc = reel_control_poll(c, 10, err);
        if (prc && !rc)
            rc = prc;
    }
    for (int i = 0; i < CTL_STREAMS_MAX; i++) {
        ctl_stream *s = &c->streams[i];
        reel_error e2;
        if (s->used && s->rec) {
            int crc = stream_cut(c, s, CTL_STOPPED, &e2);
            if (crc && !rc) {
                rc = crc;
                *err = e2;
            }
        }
        if (s->used && s->end != CTL_ENDED)
            s->end = CTL_STOPPED;
    }
    return rc;
}

void reel_control_close(reel_control *c)
{
    if (!c)
        return;
    if (c->streams) {
        for (int i = 0; i < CTL_STREAMS_MAX; i++) {
            reel_error err;
            if (c->streams[i].used && c->streams[i].rec)
                stream_cut(c, &c->streams[i], CTL_STOPPED, &err);
            pthread_mutex_destroy(&c->streams[i].mu);
        }
    }
    if (c->router)
        zmq_close(c->router);
    if (c->sub)
        zmq_close(c->sub);
    if (c->pub)
        zmq_close(c->pub);
    if (c->own_ctx && c->ctx)
        zmq_ctx_term(c->ctx);
    free(c->streams);
    free(c->msg);
    free(c->levels);
    free(c);
}
