/*
 * chunk_writer.c — the realtime side of recording (see chunk_writer.h).
 *
 * Everything the realtime thread touches is allocated in reel_cw_create:
 * the two rings and this struct. Chunk memory is mapped and pre-faulted by
 * the control plane before it is offered. The head position is published
 * through a sequence lock (odd while being written) so the control thread
 * can read a consistent snapshot without ever making the writer wait.
 * Must never: allocate, lock, sleep or make a system call on the write path.
 */
#include "rt/chunk_writer.h"

#include "core/sample_convert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "chunks hold little-endian samples; a big-endian host needs byte swapping");

#define BACKLOG 32

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
    reel_chunk_slot cur;
    size_t last_capacity; /* of the last chunk taken (room estimates) */
    bool have_cur;
    size_t cur_bytes;
    uint64_t cur_frames;
    uint64_t cur_first; /* stream position where the current chunk began */
    uint64_t frames; /* stream position (committed frames / MIDI frame clock) */
    uint64_t events_written;
    uint64_t pending_silence;
    uint64_t boundary; /* MIDI: frame where the current chunk began / the next begins */
    bool in_overrun;
    int64_t clk_mono, clk_wall;
    uint64_t clk_dev, clk_frame;
    uint64_t overrun_frames, overrun_events, xruns;
    reel_cw_event backlog[BACKLOG]; /* events the ring had no room for */
    size_t n_backlog;

    /* published head (sequence lock) */
    _Atomic uint32_t seq;
    _Atomic uint64_t h_frames, h_events, h_chunk_bytes, h_chunk_frames, h_dev, h_clock_frame;
    _Atomic uint64_t h_overrun_frames, h_overrun_events, h_xruns;
    _Atomic int64_t h_mono, h_wall;
    _Atomic uint32_t h_tag;
    _Atomic bool finished;
};

int reel_cw_create(reel_chunk_writer **out, const reel_stream_def *def, uint64_t start_frame,
                   size_t ready_slots, reel_error *err)
{
    int rc = reel_stream_def_validate(def, err);
    if (rc)
        return rc;
    reel_chunk_writer *cw = calloc(1, sizeof *cw);
    if (!cw)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
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
        free(cw);
        return rc;
    }
    if ((rc = reel_ring_init(&cw->events, sizeof(reel_cw_event), 4096, err))) {
        reel_ring_destroy(&cw->ready);
        free(cw);
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
    free(cw);
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
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&cw->seq, memory_order_relaxed) == s1)
            return;
    }
}

/* ---- realtime side ---------------------------------------------------- */

static void emit(reel_chunk_writer *cw, const reel_cw_event *ev);

static void publish(reel_chunk_writer *cw)
{
    if (cw->n_backlog > 0)
        emit(cw, NULL); /* retry held-back events every period */
    uint32_t s = atomic_load_explicit(&cw->seq, memory_order_relaxed);
    atomic_store_explicit(&cw->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&cw->h_frames, cw->frames, memory_order_relaxed);
    atomic_store_explicit(&cw->h_events, cw->events_written, memory_order_relaxed);
    atomic_store_explicit(&cw->h_tag, cw->have_cur ? cw->cur.tag : UINT32_MAX,
                          memory_order_relaxed);
    atomic_store_explicit(&cw->h_chunk_bytes, cw->have_cur ? cw->cur_bytes : 0,
                          memory_order_relaxed);
    atomic_store_explicit(&cw->h_chunk_frames, cw->have_cur ? cw->cur_frames : 0,
                          memory_order_relaxed);
    atomic_store_explicit(&cw->h_mono, cw->clk_mono, memory_order_relaxed);
    atomic_store_explicit(&cw->h_wall, cw->clk_wall, memory_order_relaxed);
    atomic_store_explicit(&cw->h_dev, cw->clk_dev, memory_order_relaxed);
    atomic_store_explicit(&cw->h_clock_frame, cw->clk_frame, memory_order_relaxed);
    atomic_store_explicit(&cw->h_overrun_frames, cw->overrun_frames, memory_order_relaxed);
    atomic_store_explicit(&cw->h_overrun_events, cw->overrun_events, memory_order_relaxed);
    atomic_store_explicit(&cw->h_xruns, cw->xruns, memory_order_relaxed);
    atomic_store_explicit(&cw->seq, s + 2, memory_order_release);
}

/* Events go out in order: anything held back goes first. */
static void emit(reel_chunk_writer *cw, const reel_cw_event *ev)
{
    while (cw->n_backlog > 0 && reel_ring_push(&cw->events, &cw->backlog[0])) {
        memmove(&cw->backlog[0], &cw->backlog[1], (cw->n_backlog - 1) * sizeof cw->backlog[0]);
        cw->n_backlog--;
    }
    if (!ev)
        return;
    if (cw->n_backlog == 0 && reel_ring_push(&cw->events, ev))
        return;
    if (cw->n_backlog < BACKLOG)
        cw->backlog[cw->n_backlog++] = *ev;
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

static bool take_next(reel_chunk_writer *cw)
{
    if (!reel_ring_pop(&cw->ready, &cw->cur))
        return false;
    cw->have_cur = true;
    cw->last_capacity = cw->cur.capacity;
    cw->cur_bytes = 0;
    cw->cur_frames = 0;
    uint64_t first = cw->kind == REEL_STREAM_AUDIO ? cw->frames : cw->boundary;
    cw->cur_first = first;
    reel_cw_event ev = {.type = REEL_CW_CHUNK_STARTED, .tag = cw->cur.tag, .first_frame = first};
    clock_at(cw, first, &ev);
    emit(cw, &ev);
    return true;
}

static void chunk_full(reel_chunk_writer *cw, uint32_t final)
{
    /* MIDI chunks partition the frame clock at `boundary`. */
    uint64_t end = cw->kind == REEL_STREAM_AUDIO ? cw->frames : cw->boundary;
    reel_cw_event ev = {.type = REEL_CW_CHUNK_FULL, .tag = cw->cur.tag, .bytes = cw->cur_bytes,
                        .frames = cw->cur_frames, .first_frame = cw->cur_first,
                        .end_frame = end, .final = final};
    clock_at(cw, end, &ev);
    emit(cw, &ev);
    cw->have_cur = false;
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

/* Room for `want` frames in the current chunk (taking the next if needed). */
static size_t audio_room(reel_chunk_writer *cw, size_t want)
{
    if (!cw->have_cur && !take_next(cw))
        return 0;
    size_t space = (cw->cur.capacity - cw->cur_bytes) / cw->frame_bytes;
    return want < space ? want : space;
}

static void audio_commit(reel_chunk_writer *cw, size_t k)
{
    cw->cur_bytes += k * cw->frame_bytes;
    cw->cur_frames += k;
    cw->frames += k;
    if (cw->cur.capacity - cw->cur_bytes < cw->frame_bytes)
        chunk_full(cw, 0);
}

/* Write owed silence first so positions stay true to time. */
static bool flush_silence(reel_chunk_writer *cw)
{
    while (cw->pending_silence > 0) {
        size_t want = cw->pending_silence > SIZE_MAX ? SIZE_MAX : (size_t)cw->pending_silence;
        size_t k = audio_room(cw, want);
        if (k == 0)
            return false;
        memset(cw->cur.base + cw->cur_bytes, 0, k * cw->frame_bytes);
        audio_commit(cw, k);
        cw->pending_silence -= k;
    }
    cw->in_overrun = false;
    return true;
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
    const uint8_t *src = frames;
    if (cw->kind != REEL_STREAM_AUDIO)
        return;
    if (!flush_silence(cw)) {
        cw->pending_silence += n;
        note_overrun(cw, n, 0);
        publish(cw);
        return;
    }
    while (n > 0) {
        size_t k = audio_room(cw, n);
        if (k == 0) {
            cw->pending_silence += n;
            note_overrun(cw, n, 0);
            break;
        }
        memcpy(cw->cur.base + cw->cur_bytes, src, k * cw->frame_bytes);
        audio_commit(cw, k);
        src += k * cw->frame_bytes;
        n -= k;
    }
    publish(cw);
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

void reel_cw_write_planar_f32(reel_chunk_writer *cw, const float *const *chans, size_t n)
{
    if (cw->kind != REEL_STREAM_AUDIO)
        return;
    if (!flush_silence(cw)) {
        cw->pending_silence += n;
        note_overrun(cw, n, 0);
        publish(cw);
        return;
    }
    size_t done = 0;
    size_t sb = reel_sample_format_bytes(cw->fmt);
    while (done < n) {
        size_t k = audio_room(cw, n - done);
        if (k == 0) {
            cw->pending_silence += n - done;
            note_overrun(cw, n - done, 0);
            break;
        }
        uint8_t *dst = cw->cur.base + cw->cur_bytes;
        if (cw->fmt == REEL_SAMPLE_F32) {
            float *d = (float *)(void *)dst;
            for (size_t i = 0; i < k; i++)
                for (uint32_t c = 0; c < cw->channels; c++)
                    *d++ = chans[c][done + i];
        } else {
            for (size_t i = 0; i < k; i++)
                for (uint32_t c = 0; c < cw->channels; c++, dst += sb)
                    put_sample(dst, cw->fmt, chans[c][done + i]);
        }
        audio_commit(cw, k);
        done += k;
    }
    publish(cw);
}

bool reel_cw_write_midi(reel_chunk_writer *cw, uint32_t offset, const uint8_t *data, uint32_t len)
{
    if (cw->kind != REEL_STREAM_MIDI || len == 0 || len > REEL_MIDI_MAX_EVENT)
        return false;
    size_t need = reel_midi_record_size(len);
    reel_midi_event ev = {.frame = cw->frames + offset, .len = len, .data = data};
    int64_t dns = cw->rate ? (int64_t)(ev.frame - cw->clk_frame) * 1000000000LL / cw->rate : 0;
    ev.wall_ns = cw->clk_wall ? cw->clk_wall + dns : 0;
    if (cw->have_cur && cw->cur.capacity - cw->cur_bytes < need) {
        cw->boundary = ev.frame;
        chunk_full(cw, 0);
    }
    if (!cw->have_cur && !take_next(cw)) {
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
    publish(cw);
    return true;
}

void reel_cw_advance(reel_chunk_writer *cw, size_t n)
{
    if (cw->kind != REEL_STREAM_MIDI)
        return;
    cw->frames += n;
    publish(cw);
}

size_t reel_cw_room(reel_chunk_writer *cw)
{
    if (cw->kind != REEL_STREAM_AUDIO)
        return 0;
    if (!cw->have_cur)
        take_next(cw); /* producer side: the capacity becomes known */
    size_t cap = cw->have_cur ? cw->cur.capacity : cw->last_capacity;
    size_t bytes = (cw->have_cur ? cw->cur.capacity - cw->cur_bytes : 0) +
                   reel_ring_count(&cw->ready) * cap;
    size_t frames = bytes / cw->frame_bytes;
    return frames > cw->pending_silence ? frames - (size_t)cw->pending_silence : 0;
}

void reel_cw_note_xrun(reel_chunk_writer *cw)
{
    cw->xruns++;
    reel_cw_event ev = {.type = REEL_CW_XRUN, .count = 1, .first_frame = cw->frames};
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
    if (cw->kind == REEL_STREAM_AUDIO)
        flush_silence(cw);
    if (cw->kind == REEL_STREAM_MIDI && cw->frames > cw->boundary)
        cw->boundary = cw->frames;
    if (cw->have_cur) {
        chunk_full(cw, 1);
    } else {
        reel_cw_event ev = {.type = REEL_CW_CHUNK_FULL, .tag = UINT32_MAX,
                            .first_frame = cw->frames, .end_frame = cw->frames, .final = 1};
        clock_at(cw, cw->frames, &ev);
        emit(cw, &ev);
    }
    emit(cw, NULL);
    publish(cw);
    atomic_store_explicit(&cw->finished, true, memory_order_release);
}
