/*
 * chunk_writer.c — the realtime side of recording (see chunk_writer.h).
 *
 * Everything the realtime thread touches is allocated in reel_cw_create
 * from realtime memory (rt_mem.h): the two rings and this struct. Chunk
 * memory is prepared by the control side before it is offered. The head
 * position is published through a sequence lock (odd while being written)
 * so the control thread can read a consistent snapshot without ever making
 * the writer wait.
 *
 * Audio chunks in flight. A chunk taken from the ready ring stays in
 * `infl` (oldest first; the newest is the one being filled) until every
 * byte of it is written; then it is reported full. Owed silence is placed
 * by moving the cursor on and recording the range in `holes` (stream
 * frames, in order); each call zeroes a bounded part of the oldest. The
 * head is the first frame not yet final: the start of the oldest hole, else
 * the cursor.
 *
 * Must never: allocate, lock, sleep or make a system call on the write
 * path; do unbounded work in a write call.
 */
#include "rt/chunk_writer.h"

#include "core/sample_convert.h"
#include "rt/rt_limits.h"
#include "rt/rt_mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "chunks hold little-endian samples; a big-endian host needs byte swapping");

#define INFL_MASK (REEL_CW_INFLIGHT_MAX - 1)
#define HOLE_MASK (REEL_CW_HOLES_MAX - 1)
#define BACKLOG_MASK (REEL_CW_BACKLOG - 1)

typedef struct cw_chunk {
    reel_chunk_slot slot;
    uint64_t first;      /* stream position of its first frame */
    uint64_t cap_frames; /* whole frames it holds */
} cw_chunk;

typedef struct cw_hole {
    uint64_t lo, hi; /* stream frames still to be zeroed */
} cw_hole;

struct reel_chunk_writer {
    /* fixed after create */
    reel_stream_kind kind;
    reel_sample_format fmt;
    size_t frame_bytes;
    uint32_t channels;
    uint32_t rate;
    reel_ring ready;  /* control -> realtime: reel_chunk_slot */
    reel_ring events; /* realtime -> control: reel_cw_event */

    /* realtime-only state */
    uint64_t frames; /* audio: the cursor (frames placed); MIDI: the frame clock */
    size_t last_capacity; /* of the last chunk taken (room estimates) */
    /* audio */
    cw_chunk infl[REEL_CW_INFLIGHT_MAX];
    size_t infl_first, n_infl;
    cw_hole holes[REEL_CW_HOLES_MAX];
    size_t hole_first, n_holes;
    uint64_t pending_silence; /* owed, not placed yet (comes before the next frames) */
    /* MIDI */
    reel_chunk_slot cur;
    bool have_cur;
    size_t cur_bytes;
    uint64_t cur_frames;
    uint64_t cur_first;
    uint64_t boundary; /* frame where the current chunk began / the next begins */
    uint64_t events_written;
    uint64_t clock_ticks; /* 0xF8 bytes in the events written */
    bool in_overrun;
    int64_t clk_mono, clk_wall;
    uint64_t clk_dev, clk_frame;
    uint64_t overrun_frames, overrun_events, xruns, owed_frames, events_lost;
    reel_cw_event backlog[REEL_CW_BACKLOG]; /* events the ring had no room for */
    size_t bl_first, n_backlog;

    /* published head (sequence lock) */
    _Atomic uint32_t seq;
    _Atomic uint64_t h_frames, h_events, h_chunk_bytes, h_chunk_frames, h_dev, h_clock_frame;
    _Atomic uint64_t h_overrun_frames, h_overrun_events, h_xruns;
    _Atomic uint64_t h_owed, h_silence_pending, h_events_lost, h_ticks;
    _Atomic int64_t h_mono, h_wall;
    _Atomic uint32_t h_tag;
    _Atomic bool finished;

    /* A set length (reel_cw_set_end): the frame where the stream ends; no
     * frame, silence or event at or past it is taken. 0: none. */
    uint64_t end_frame;
    _Atomic bool at_end; /* the last frame before end_frame was taken */
};

int reel_cw_create(reel_chunk_writer **out, const reel_stream_def *def, uint64_t start_frame,
                   size_t ready_slots, reel_error *err)
{
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    reel_chunk_writer *cw = reel_rt_alloc(sizeof *cw, err);
    if (!cw)
        return err ? err->code : REEL_ENOMEM;
    cw->kind = def->kind;
    cw->fmt = def->sample_format;
    cw->frame_bytes = reel_stream_def_frame_bytes(def);
    cw->channels = def->channels;
    cw->rate = def->sample_rate;
    cw->frames = start_frame;
    cw->boundary = start_frame;
    cw->clk_frame = start_frame;
    if ((rc = reel_ring_init(&cw->ready, sizeof(reel_chunk_slot), ready_slots < 2 ? 2 : ready_slots,
                             err))) {
        reel_rt_free(cw, sizeof *cw);
        return rc;
    }
    if ((rc = reel_ring_init(&cw->events, sizeof(reel_cw_event), REEL_CW_EVENT_RING, err))) {
        reel_ring_destroy(&cw->ready);
        reel_rt_free(cw, sizeof *cw);
        return rc;
    }
    atomic_init(&cw->h_tag, UINT32_MAX);
    atomic_init(&cw->h_frames, start_frame);
    atomic_init(&cw->h_clock_frame, start_frame);
    *out = cw;
    return REEL_OK;
}

void reel_cw_destroy(reel_chunk_writer *cw)
{
    if (!cw)
        return;
    reel_ring_destroy(&cw->ready);
    reel_ring_destroy(&cw->events);
    reel_rt_free(cw, sizeof *cw);
}

bool reel_cw_offer(reel_chunk_writer *cw, const reel_chunk_slot *slot)
{
    return reel_ring_push(&cw->ready, slot);
}

size_t reel_cw_ready_count(const reel_chunk_writer *cw)
{
    return reel_ring_count(&cw->ready);
}

bool reel_cw_next_event(reel_chunk_writer *cw, reel_cw_event *ev)
{
    return reel_ring_pop(&cw->events, ev);
}

bool reel_cw_reclaim(reel_chunk_writer *cw, reel_chunk_slot *slot)
{
    /* Only after finish: the realtime side no longer consumes `ready`. */
    if (!atomic_load_explicit(&cw->finished, memory_order_acquire))
        return false;
    return reel_ring_pop(&cw->ready, slot);
}

bool reel_cw_finished(const reel_chunk_writer *cw)
{
    return atomic_load_explicit(&((reel_chunk_writer *)cw)->finished, memory_order_acquire);
}

void reel_cw_read_head(const reel_chunk_writer *cwc, reel_cw_head *h)
{
    reel_chunk_writer *cw = (reel_chunk_writer *)cwc;
    for (;;) {
        uint32_t s1 = atomic_load_explicit(&cw->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        h->frames = atomic_load_explicit(&cw->h_frames, memory_order_relaxed);
        h->events = atomic_load_explicit(&cw->h_events, memory_order_relaxed);
        h->tag = atomic_load_explicit(&cw->h_tag, memory_order_relaxed);
        h->chunk_bytes = atomic_load_explicit(&cw->h_chunk_bytes, memory_order_relaxed);
        h->chunk_frames = atomic_load_explicit(&cw->h_chunk_frames, memory_order_relaxed);
        h->mono_ns = atomic_load_explicit(&cw->h_mono, memory_order_relaxed);
        h->wall_ns = atomic_load_explicit(&cw->h_wall, memory_order_relaxed);
        h->device_frame = atomic_load_explicit(&cw->h_dev, memory_order_relaxed);
        h->clock_frame = atomic_load_explicit(&cw->h_clock_frame, memory_order_relaxed);
        h->overrun_frames = atomic_load_explicit(&cw->h_overrun_frames, memory_order_relaxed);
        h->overrun_events = atomic_load_explicit(&cw->h_overrun_events, memory_order_relaxed);
        h->xruns = atomic_load_explicit(&cw->h_xruns, memory_order_relaxed);
        h->owed_frames = atomic_load_explicit(&cw->h_owed, memory_order_relaxed);
        h->silence_pending = atomic_load_explicit(&cw->h_silence_pending, memory_order_relaxed);
        h->events_lost = atomic_load_explicit(&cw->h_events_lost, memory_order_relaxed);
        h->midi_clock_ticks = atomic_load_explicit(&cw->h_ticks, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&cw->seq, memory_order_relaxed) == s1)
            return;
    }
}

/* ---- realtime side ---------------------------------------------------- */

/* Events go out in order: anything held back goes first. An event that
 * finds both full is counted, never dropped silently. */
static void emit(reel_chunk_writer *cw, const reel_cw_event *ev)
{
    while (cw->n_backlog > 0 && reel_ring_push(&cw->events, &cw->backlog[cw->bl_first])) {
        cw->bl_first = (cw->bl_first + 1) & BACKLOG_MASK;
        cw->n_backlog--;
    }
    if (!ev)
        return;
    if (cw->n_backlog == 0 && reel_ring_push(&cw->events, ev))
        return;
    if (cw->n_backlog < REEL_CW_BACKLOG) {
        cw->backlog[(cw->bl_first + cw->n_backlog) & BACKLOG_MASK] = *ev;
        cw->n_backlog++;
        return;
    }
    cw->events_lost++;
}

static cw_chunk *infl_at(reel_chunk_writer *cw, size_t i)
{
    return &cw->infl[(cw->infl_first + i) & INFL_MASK];
}

static cw_hole *hole_at(reel_chunk_writer *cw, size_t i)
{
    return &cw->holes[(cw->hole_first + i) & HOLE_MASK];
}

/* Audio: the first frame not yet final. */
static uint64_t final_pos(reel_chunk_writer *cw)
{
    return cw->n_holes ? hole_at(cw, 0)->lo : cw->frames;
}

static uint64_t silence_pending(reel_chunk_writer *cw)
{
    uint64_t n = cw->pending_silence;
    for (size_t i = 0; i < cw->n_holes; i++)
        n += hole_at(cw, i)->hi - hole_at(cw, i)->lo;
    return n;
}

static void publish(reel_chunk_writer *cw)
{
    if (cw->n_backlog > 0)
        emit(cw, NULL); /* retry held-back events every period */
    uint64_t frames = cw->frames, cbytes = 0, cframes = 0, pend = 0;
    uint32_t tag = UINT32_MAX;
    if (cw->kind == REEL_STREAM_AUDIO) {
        frames = final_pos(cw);
        if (cw->n_infl) {
            const cw_chunk *c = infl_at(cw, 0);
            tag = c->slot.tag;
            cframes = frames - c->first;
            cbytes = cframes * cw->frame_bytes;
        }
        pend = silence_pending(cw);
    } else if (cw->have_cur) {
        tag = cw->cur.tag;
        cbytes = cw->cur_bytes;
        cframes = cw->cur_frames;
    }
    uint32_t s = atomic_load_explicit(&cw->seq, memory_order_relaxed);
    atomic_store_explicit(&cw->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&cw->h_frames, frames, memory_order_relaxed);
    atomic_store_explicit(&cw->h_events, cw->events_written, memory_order_relaxed);
    atomic_store_explicit(&cw->h_tag, tag, memory_order_relaxed);
    atomic_store_explicit(&cw->h_chunk_bytes, cbytes, memory_order_relaxed);
    atomic_store_explicit(&cw->h_chunk_frames, cframes, memory_order_relaxed);
    atomic_store_explicit(&cw->h_mono, cw->clk_mono, memory_order_relaxed);
    atomic_store_explicit(&cw->h_wall, cw->clk_wall, memory_order_relaxed);
    atomic_store_explicit(&cw->h_dev, cw->clk_dev, memory_order_relaxed);
    atomic_store_explicit(&cw->h_clock_frame, cw->clk_frame, memory_order_relaxed);
    atomic_store_explicit(&cw->h_overrun_frames, cw->overrun_frames, memory_order_relaxed);
    atomic_store_explicit(&cw->h_overrun_events, cw->overrun_events, memory_order_relaxed);
    atomic_store_explicit(&cw->h_xruns, cw->xruns, memory_order_relaxed);
    atomic_store_explicit(&cw->h_owed, cw->owed_frames, memory_order_relaxed);
    atomic_store_explicit(&cw->h_silence_pending, pend, memory_order_relaxed);
    atomic_store_explicit(&cw->h_events_lost, cw->events_lost, memory_order_relaxed);
    atomic_store_explicit(&cw->h_ticks, cw->clock_ticks, memory_order_relaxed);
    atomic_store_explicit(&cw->seq, s + 2, memory_order_release);
}

/* Clock values at stream position `frame`, extrapolated from the period's. */
static void clock_at(const reel_chunk_writer *cw, uint64_t frame, reel_cw_event *ev)
{
    int64_t dframes = (int64_t)(frame - cw->clk_frame);
    int64_t dns = cw->rate ? dframes * 1000000000LL / (int64_t)cw->rate : 0;
    ev->mono_ns = cw->clk_mono ? cw->clk_mono + dns : 0;
    ev->wall_ns = cw->clk_wall ? cw->clk_wall + dns : 0;
    ev->device_frame = cw->clk_dev + (uint64_t)dframes;
}

static void emit_started(reel_chunk_writer *cw, uint32_t tag, uint64_t first)
{
    reel_cw_event ev = {.type = REEL_CW_CHUNK_STARTED, .tag = tag, .first_frame = first};
    clock_at(cw, first, &ev);
    emit(cw, &ev);
}

static void emit_full(reel_chunk_writer *cw, uint32_t tag, uint64_t bytes, uint64_t frames,
                      uint64_t first, uint64_t end, uint32_t final)
{
    reel_cw_event ev = {.type = REEL_CW_CHUNK_FULL, .tag = tag, .bytes = bytes,
                        .frames = frames, .first_frame = first, .end_frame = end,
                        .final = final};
    clock_at(cw, end, &ev);
    emit(cw, &ev);
}

static void note_overrun(reel_chunk_writer *cw, uint64_t frames, uint64_t events)
{
    cw->overrun_frames += frames;
    cw->overrun_events += events;
    if (!cw->in_overrun) {
        /* One event per overrun run; the totals travel in the head. */
        reel_cw_event ev = {.type = REEL_CW_OVERRUN, .count = frames + events,
                            .first_frame = cw->frames};
        clock_at(cw, cw->frames, &ev);
        emit(cw, &ev);
        cw->in_overrun = true;
    }
}

/* ---- audio: chunks in flight, owed silence ---- */

/* Frames the cursor can move on by in the chunk being filled, taking the
 * next prepared chunk if that one is full; 0 if there is none (or every
 * in-flight slot waits on zeroing). */
static void retire(reel_chunk_writer *cw);

static uint64_t cursor_room(reel_chunk_writer *cw)
{
    for (;;) {
        if (cw->n_infl) {
            const cw_chunk *c = infl_at(cw, cw->n_infl - 1);
            if (cw->frames < c->first + c->cap_frames)
                return c->first + c->cap_frames - cw->frames;
        }
        /* A full chunk with nothing left to zero is reported before the
         * next one starts. */
        retire(cw);
        if (cw->n_infl == REEL_CW_INFLIGHT_MAX)
            return 0;
        reel_chunk_slot s;
        if (!reel_ring_pop(&cw->ready, &s))
            return 0;
        cw->last_capacity = s.capacity;
        uint64_t capf = s.capacity / cw->frame_bytes;
        emit_started(cw, s.tag, cw->frames);
        if (capf == 0) { /* holds no whole frame: done as soon as taken */
            emit_full(cw, s.tag, 0, 0, cw->frames, cw->frames, 0);
            continue;
        }
        *infl_at(cw, cw->n_infl) = (cw_chunk){.slot = s, .first = cw->frames, .cap_frames = capf};
        cw->n_infl++;
    }
}

/* The chunk holding stream frame `pos` (in flight). */
static cw_chunk *chunk_of(reel_chunk_writer *cw, uint64_t pos, size_t *from)
{
    for (size_t i = *from; i < cw->n_infl; i++) {
        cw_chunk *c = infl_at(cw, i);
        if (pos < c->first + c->cap_frames) {
            *from = i;
            return c;
        }
    }
    return NULL;
}

/* Place owed silence at the cursor, as far as chunks are ready: the range
 * becomes a hole, zeroed later. O(chunks crossed). */
static void place_silence(reel_chunk_writer *cw)
{
    while (cw->pending_silence > 0) {
        uint64_t room = cursor_room(cw);
        if (room == 0)
            return;
        uint64_t k = room < cw->pending_silence ? room : cw->pending_silence;
        cw_hole *last = cw->n_holes ? hole_at(cw, cw->n_holes - 1) : NULL;
        if (last && last->hi == cw->frames) {
            last->hi += k;
        } else if (cw->n_holes < REEL_CW_HOLES_MAX) {
            *hole_at(cw, cw->n_holes) = (cw_hole){cw->frames, cw->frames + k};
            cw->n_holes++;
        } else {
            return; /* zeroing has to catch up first */
        }
        cw->frames += k;
        cw->pending_silence -= k;
    }
}

/* Zero up to `budget` frames of the oldest holes. */
static void zero_some(reel_chunk_writer *cw, uint64_t budget)
{
    size_t from = 0;
    while (budget > 0 && cw->n_holes > 0) {
        cw_hole *h = hole_at(cw, 0);
        cw_chunk *c = chunk_of(cw, h->lo, &from);
        if (!c)
            return; /* cannot happen: holes lie in chunks in flight */
        uint64_t end = c->first + c->cap_frames;
        if (end > h->hi)
            end = h->hi;
        uint64_t k = end - h->lo < budget ? end - h->lo : budget;
        memset(c->slot.base + (h->lo - c->first) * cw->frame_bytes, 0,
               (size_t)k * cw->frame_bytes);
        h->lo += k;
        budget -= k;
        if (h->lo == h->hi) {
            cw->hole_first = (cw->hole_first + 1) & HOLE_MASK;
            cw->n_holes--;
        }
    }
}

/* Report, in order, every chunk in flight whose bytes are all final. */
static void retire(reel_chunk_writer *cw)
{
    uint64_t fin = final_pos(cw);
    while (cw->n_infl > 0) {
        const cw_chunk *c = infl_at(cw, 0);
        uint64_t end = c->first + c->cap_frames;
        if (end > fin)
            return;
        emit_full(cw, c->slot.tag, c->cap_frames * cw->frame_bytes, c->cap_frames, c->first, end,
                  0);
        cw->infl_first = (cw->infl_first + 1) & INFL_MASK;
        cw->n_infl--;
    }
}

static inline void put_sample(uint8_t *dst, reel_sample_format fmt, float x)
{
    if (fmt == REEL_SAMPLE_F32) {
        memcpy(dst, &x, 4);
        return;
    }
    if (fmt == REEL_SAMPLE_I16) {
        int32_t v = reel_f32_to_i16(x); /* core/sample_convert.h: the one rule */
        dst[0] = (uint8_t)v;
        dst[1] = (uint8_t)(v >> 8);
    } else {
        int32_t v = reel_f32_to_i24(x);
        dst[0] = (uint8_t)v;
        dst[1] = (uint8_t)(v >> 8);
        dst[2] = (uint8_t)(v >> 16);
    }
}

/* k frames from the source (interleaved, or planar f32 from frame `done`)
 * to dst. */
static void copy_frames(reel_chunk_writer *cw, uint8_t *dst, const void *inter,
                        const float *const *chans, size_t done, size_t k)
{
    if (inter) {
        memcpy(dst, (const uint8_t *)inter + done * cw->frame_bytes, k * cw->frame_bytes);
        return;
    }
    if (cw->fmt == REEL_SAMPLE_F32) {
        float *d = (float *)(void *)dst;
        for (size_t i = 0; i < k; i++)
            for (uint32_t c = 0; c < cw->channels; c++)
                *d++ = chans[c][done + i];
        return;
    }
    size_t sb = reel_sample_format_bytes(cw->fmt);
    for (size_t i = 0; i < k; i++)
        for (uint32_t c = 0; c < cw->channels; c++, dst += sb)
            put_sample(dst, cw->fmt, chans[c][done + i]);
}

/* The producer set it itself: a write after finish (a contract violation)
 * must not touch chunks the control side took back. */
static bool done(const reel_chunk_writer *cw)
{
    return atomic_load_explicit(&((reel_chunk_writer *)cw)->finished, memory_order_relaxed);
}

/* Realtime: how many of `n` frames at the writer's position (what is placed
 * plus the silence still to place) fit before a set end; marks the end
 * reached when they fill it. */
static uint64_t clamp_to_end(reel_chunk_writer *cw, uint64_t n)
{
    if (!cw->end_frame)
        return n;
    uint64_t pos = cw->frames + cw->pending_silence;
    uint64_t room = pos < cw->end_frame ? cw->end_frame - pos : 0;
    if (n >= room) {
        n = room;
        atomic_store_explicit(&cw->at_end, true, memory_order_release);
    }
    return n;
}

static void audio_write(reel_chunk_writer *cw, const void *inter, const float *const *chans,
                        size_t n)
{
    if (done(cw))
        return;
    n = (size_t)clamp_to_end(cw, n);
    uint64_t budget = (uint64_t)n * REEL_CW_CATCHUP;
    if (budget < REEL_CW_CATCHUP_MIN)
        budget = REEL_CW_CATCHUP_MIN;
    place_silence(cw);
    zero_some(cw, budget);
    if (cw->pending_silence > 0) {
        /* Silence that could not be placed comes first: these frames
         * follow it, so they have nowhere to go either. */
        cw->pending_silence += n;
        note_overrun(cw, n, 0);
        retire(cw);
        publish(cw);
        return;
    }
    cw->in_overrun = false;
    size_t done = 0;
    while (done < n) {
        uint64_t room = cursor_room(cw);
        if (room == 0) {
            cw->pending_silence += n - done;
            note_overrun(cw, n - done, 0);
            break;
        }
        size_t k = room < n - done ? (size_t)room : n - done;
        const cw_chunk *c = infl_at(cw, cw->n_infl - 1);
        copy_frames(cw, c->slot.base + (cw->frames - c->first) * cw->frame_bytes, inter, chans,
                    done, k);
        cw->frames += k;
        done += k;
    }
    retire(cw);
    publish(cw);
}

void reel_cw_set_clock(reel_chunk_writer *cw, int64_t mono_ns, int64_t wall_ns,
                       uint64_t device_frame)
{
    cw->clk_mono = mono_ns;
    cw->clk_wall = wall_ns;
    cw->clk_dev = device_frame;
    cw->clk_frame = cw->frames + cw->pending_silence;
}

void reel_cw_write(reel_chunk_writer *cw, const void *frames, size_t n)
{
    if (cw->kind != REEL_STREAM_AUDIO)
        return;
    audio_write(cw, frames, NULL, frames ? n : 0);
}

void reel_cw_write_planar_f32(reel_chunk_writer *cw, const float *const *chans, size_t n)
{
    if (cw->kind != REEL_STREAM_AUDIO)
        return;
    audio_write(cw, NULL, chans, n);
}

void reel_cw_owe_silence(reel_chunk_writer *cw, uint64_t n)
{
    if (done(cw))
        return;
    n = clamp_to_end(cw, n);
    if (cw->kind == REEL_STREAM_MIDI) {
        cw->frames += n; /* MIDI silence is the clock moving on */
        return;
    }
    cw->pending_silence += n;
    cw->owed_frames += n;
    publish(cw);
}

/* ---- MIDI ---- */

static bool midi_take_next(reel_chunk_writer *cw)
{
    if (!reel_ring_pop(&cw->ready, &cw->cur))
        return false;
    cw->have_cur = true;
    cw->last_capacity = cw->cur.capacity;
    cw->cur_bytes = 0;
    cw->cur_frames = 0;
    cw->cur_first = cw->boundary;
    emit_started(cw, cw->cur.tag, cw->boundary);
    return true;
}

static void midi_chunk_full(reel_chunk_writer *cw, uint32_t final)
{
    /* MIDI chunks partition the frame clock at `boundary`. */
    emit_full(cw, cw->cur.tag, cw->cur_bytes, cw->cur_frames, cw->cur_first, cw->boundary, final);
    cw->have_cur = false;
}

bool reel_cw_write_midi(reel_chunk_writer *cw, uint32_t offset, const uint8_t *data, uint32_t len)
{
    if (cw->kind != REEL_STREAM_MIDI || len == 0 || len > REEL_MIDI_MAX_EVENT || done(cw))
        return false;
    if (cw->end_frame && cw->frames + offset >= cw->end_frame)
        return false; /* past the stream's set end: not part of it */
    size_t need = reel_midi_record_size(len);
    reel_midi_event ev = {.frame = cw->frames + offset, .len = len, .data = data};
    int64_t dns = cw->rate ? (int64_t)(ev.frame - cw->clk_frame) * 1000000000LL / cw->rate : 0;
    ev.wall_ns = cw->clk_wall ? cw->clk_wall + dns : 0;
    if (cw->have_cur && cw->cur.capacity - cw->cur_bytes < need) {
        cw->boundary = ev.frame;
        midi_chunk_full(cw, 0);
    }
    if (!cw->have_cur && !midi_take_next(cw)) {
        note_overrun(cw, 0, 1);
        publish(cw);
        return false;
    }
    size_t w = reel_midi_record_encode(cw->cur.base + cw->cur_bytes,
                                       cw->cur.capacity - cw->cur_bytes, &ev);
    if (w == 0) { /* larger than a whole chunk */
        note_overrun(cw, 0, 1);
        publish(cw);
        return false;
    }
    cw->in_overrun = false;
    cw->cur_bytes += w;
    cw->cur_frames++;
    cw->events_written++;
    for (uint32_t i = 0; i < len; i++) /* bounded: len <= REEL_MIDI_MAX_EVENT */
        cw->clock_ticks += data[i] == 0xF8;
    publish(cw);
    return true;
}

void reel_cw_advance(reel_chunk_writer *cw, size_t n)
{
    if (cw->kind != REEL_STREAM_MIDI || done(cw))
        return;
    cw->frames += clamp_to_end(cw, n);
    publish(cw);
}

void reel_cw_set_end(reel_chunk_writer *cw, uint64_t frames)
{
    cw->end_frame = frames ? cw->frames + cw->pending_silence + frames : 0;
    atomic_store_explicit(&cw->at_end, false, memory_order_relaxed);
}

bool reel_cw_at_end(const reel_chunk_writer *cw)
{
    return atomic_load_explicit(&((reel_chunk_writer *)cw)->at_end, memory_order_acquire);
}

size_t reel_cw_room(reel_chunk_writer *cw)
{
    if (cw->kind != REEL_STREAM_AUDIO)
        return 0;
    uint64_t frames = cursor_room(cw); /* producer side: the capacity becomes known */
    frames += reel_ring_count(&cw->ready) * (cw->last_capacity / cw->frame_bytes);
    frames = frames > cw->pending_silence ? frames - cw->pending_silence : 0;
    return frames > SIZE_MAX ? SIZE_MAX : (size_t)frames;
}

void reel_cw_note_xrun(reel_chunk_writer *cw)
{
    reel_cw_note_xruns(cw, 1);
}

void reel_cw_note_xruns(reel_chunk_writer *cw, uint64_t n)
{
    if (n == 0)
        return;
    cw->xruns += n;
    reel_cw_event ev = {.type = REEL_CW_XRUN, .count = n, .first_frame = cw->frames};
    clock_at(cw, cw->frames, &ev);
    emit(cw, &ev);
    publish(cw);
}

void reel_cw_note_gap(reel_chunk_writer *cw)
{
    reel_cw_event ev = {.type = REEL_CW_GAP, .count = 1, .first_frame = cw->frames};
    clock_at(cw, cw->frames, &ev);
    emit(cw, &ev);
    publish(cw);
}

void reel_cw_finish(reel_chunk_writer *cw)
{
    if (atomic_load_explicit(&cw->finished, memory_order_acquire))
        return;
    if (cw->kind == REEL_STREAM_AUDIO) {
        /* Everything still owed, as far as chunks are ready (unbounded: not
         * on the realtime thread). */
        for (;;) {
            zero_some(cw, UINT64_MAX); /* frees every range slot */
            retire(cw);
            uint64_t before = cw->pending_silence;
            place_silence(cw);
            if (cw->pending_silence == 0 || cw->pending_silence == before) {
                zero_some(cw, UINT64_MAX);
                retire(cw);
                break;
            }
        }
        if (cw->pending_silence == 0)
            cw->in_overrun = false;
        /* After zeroing only the chunk being filled can be left. */
        if (cw->n_infl > 0) {
            const cw_chunk *c = infl_at(cw, 0);
            uint64_t k = cw->frames - c->first;
            emit_full(cw, c->slot.tag, k * cw->frame_bytes, k, c->first, cw->frames, 1);
            cw->infl_first = (cw->infl_first + 1) & INFL_MASK;
            cw->n_infl--;
        } else {
            emit_full(cw, UINT32_MAX, 0, 0, cw->frames, cw->frames, 1);
        }
    } else {
        if (cw->frames > cw->boundary)
            cw->boundary = cw->frames;
        if (cw->have_cur)
            midi_chunk_full(cw, 1);
        else
            emit_full(cw, UINT32_MAX, 0, 0, cw->frames, cw->frames, 1);
    }
    emit(cw, NULL);
    publish(cw);
    atomic_store_explicit(&cw->finished, true, memory_order_release);
}
