/*
 * test_chunk_writer.c — the realtime side of recording: frames land in the
 * offered chunks byte-exact and contiguous, rotation inside one write loses
 * nothing, missing chunks become pending silence, planar float conversion,
 * MIDI records and chunk boundaries, finish, the seqlocked head, and a
 * producer/consumer pair on two threads.
 *
 * Chunks here are plain malloc'd buffers: the writer only needs memory it
 * may write, the mapping is the recorder's business.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt/chunk_writer.h"
#include "rt/rt_limits.h"
#include "rt/midi_record.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness --------------------------------------------------------------- */

#define MAX_TAGS 256
#define MAX_EVENTS 8192

typedef struct harness {
    reel_chunk_writer *cw;
    reel_stream_def def;
    size_t fb; /* frame bytes */
    uint8_t *buf[MAX_TAGS];
    size_t cap[MAX_TAGS];
    uint32_t next_tag;
    reel_cw_event ev[MAX_EVENTS];
    size_t n_ev;
} harness;

static reel_stream_def audio_def(reel_sample_format fmt, uint32_t channels, uint64_t chunk_frames)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "stream://test/audio");
    snprintf(d.device_identity, sizeof d.device_identity, "test");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = 48000;
    d.channels = channels;
    d.sample_format = fmt;
    d.chunk_size_bytes = chunk_frames * channels * reel_sample_format_bytes(fmt);
    return d;
}

static reel_stream_def midi_def(void)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "stream://test/midi");
    snprintf(d.device_identity, sizeof d.device_identity, "test");
    d.kind = REEL_STREAM_MIDI;
    d.sample_rate = 48000;
    d.chunk_size_bytes = 4096;
    return d;
}

static harness *h_new(const reel_stream_def *def, uint64_t start, size_t ready)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->def = *def;
    h->fb = reel_stream_def_frame_bytes(def);
    h->next_tag = 10;
    reel_error err = {0};
    assert_int_equal(reel_cw_create(&h->cw, def, start, ready, &err), REEL_OK);
    return h;
}

/* Offer a chunk of `cap` bytes filled with 0xAA (so written zeros show). */
static bool h_offer(harness *h, size_t cap)
{
    uint32_t tag = h->next_tag;
    assert_true(tag < MAX_TAGS);
    h->buf[tag] = malloc(cap);
    assert_non_null(h->buf[tag]);
    memset(h->buf[tag], 0xAA, cap);
    h->cap[tag] = cap;
    reel_chunk_slot s = {.base = h->buf[tag], .capacity = cap, .tag = tag};
    if (!reel_cw_offer(h->cw, &s)) {
        free(h->buf[tag]);
        h->buf[tag] = NULL;
        return false;
    }
    h->next_tag++;
    return true;
}

static size_t h_drain(harness *h)
{
    size_t before = h->n_ev;
    while (h->n_ev < MAX_EVENTS && reel_cw_next_event(h->cw, &h->ev[h->n_ev]))
        h->n_ev++;
    return h->n_ev - before;
}

static void h_free(harness *h)
{
    reel_cw_destroy(h->cw);
    for (size_t i = 0; i < MAX_TAGS; i++)
        free(h->buf[i]);
    free(h);
}

static const reel_cw_event *h_find(const harness *h, uint32_t type, uint32_t tag)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].type == type && h->ev[i].tag == tag)
            return &h->ev[i];
    return NULL;
}

/* Chunk events must pair up and tile the timeline without gaps: every
 * FULL ends the oldest chunk started and not yet full (owed silence can
 * keep several open: a chunk is full only once its bytes are all written),
 * each chunk starts where the previous one ended. Returns the number of
 * completed chunks. */
static size_t check_chunk_events(const harness *h, uint64_t start, uint64_t *end_out)
{
    uint64_t pos = start;
    uint32_t open_tag[64];
    uint64_t open_first[64];
    size_t n_open = 0, full = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const reel_cw_event *e = &h->ev[i];
        if (e->type == REEL_CW_CHUNK_STARTED) {
            assert_true(n_open < 64);
            assert_true(n_open == 0 ? e->first_frame == pos
                                    : e->first_frame >= open_first[n_open - 1]);
            open_tag[n_open] = e->tag;
            open_first[n_open++] = e->first_frame;
        } else if (e->type == REEL_CW_CHUNK_FULL && e->tag != UINT32_MAX) {
            assert_true(n_open > 0);
            assert_int_equal(e->tag, open_tag[0]);
            assert_true(e->first_frame == open_first[0]);
            assert_true(e->first_frame == pos);
            assert_true(e->end_frame >= e->first_frame);
            if (h->def.kind == REEL_STREAM_AUDIO) {
                assert_true(e->end_frame - e->first_frame == e->frames);
                assert_true(e->bytes == e->frames * h->fb);
            }
            memmove(open_tag, open_tag + 1, (n_open - 1) * sizeof *open_tag);
            memmove(open_first, open_first + 1, (n_open - 1) * sizeof *open_first);
            n_open--;
            pos = e->end_frame;
            full++;
        }
    }
    if (end_out)
        *end_out = pos;
    return full;
}

static uint8_t *audio_input(size_t frames, size_t fb, uint32_t seed)
{
    uint8_t *p = malloc(frames * fb);
    assert_non_null(p);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < frames * fb; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

/* ---- audio ------------------------------------------------------------------ */

static void test_frames_across_chunks(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 1000, 4);
    const size_t cap = 100 * h->fb;
    for (int i = 0; i < 3; i++)
        assert_true(h_offer(h, cap));
    assert_int_equal(reel_cw_ready_count(h->cw), 3);

    uint8_t *in = audio_input(250, h->fb, 1);
    reel_cw_write(h->cw, in, 250); /* one call, two rotations */
    h_drain(h);

    /* STARTED 10, FULL 10, STARTED 11, FULL 11, STARTED 12. */
    assert_int_equal(h->n_ev, 5);
    const uint32_t types[] = {REEL_CW_CHUNK_STARTED, REEL_CW_CHUNK_FULL, REEL_CW_CHUNK_STARTED,
                              REEL_CW_CHUNK_FULL, REEL_CW_CHUNK_STARTED};
    const uint32_t tags[] = {10, 10, 11, 11, 12};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(h->ev[i].type, types[i]);
        assert_int_equal(h->ev[i].tag, tags[i]);
    }
    assert_true(h->ev[0].first_frame == 1000);
    assert_true(h->ev[1].first_frame == 1000 && h->ev[1].end_frame == 1100);
    assert_true(h->ev[1].bytes == cap && h->ev[1].frames == 100 && h->ev[1].final == 0);
    assert_true(h->ev[2].first_frame == 1100);
    assert_true(h->ev[3].end_frame == 1200);
    assert_true(h->ev[4].first_frame == 1200);

    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 1250);
    assert_int_equal(hd.tag, 12);
    assert_true(hd.chunk_bytes == 50 * h->fb);
    assert_true(hd.chunk_frames == 50);
    assert_true(hd.overrun_frames == 0);

    assert_memory_equal(h->buf[10], in, cap);
    assert_memory_equal(h->buf[11], in + cap, cap);
    assert_memory_equal(h->buf[12], in + 2 * cap, 50 * h->fb);
    /* Nothing past the written length was touched. */
    assert_int_equal(h->buf[12][50 * h->fb], 0xAA);

    reel_cw_finish(h->cw);
    h_drain(h);
    assert_int_equal(h->n_ev, 6);
    const reel_cw_event *fin = &h->ev[5];
    assert_int_equal(fin->type, REEL_CW_CHUNK_FULL);
    assert_int_equal(fin->tag, 12);
    assert_int_equal(fin->final, 1);
    assert_true(fin->bytes == 50 * h->fb && fin->frames == 50);
    assert_true(fin->first_frame == 1200 && fin->end_frame == 1250);
    uint64_t end;
    assert_int_equal(check_chunk_events(h, 1000, &end), 3);
    assert_true(end == 1250);
    assert_true(reel_cw_finished(h->cw));
    free(in);
    h_free(h);
}

/* The control plane offers a new chunk whenever it sees one start, like the
 * recorder; 37-frame periods never line up with 100-frame chunks. */
static void test_rotation_mid_write_loses_nothing(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_I24, 3, 100);
    harness *h = h_new(&def, 0, 3);
    const size_t cap = 100 * h->fb, total = 37 * 60;
    assert_true(h_offer(h, cap));
    assert_true(h_offer(h, cap));
    uint8_t *in = audio_input(total, h->fb, 2);
    size_t seen = 0;
    for (size_t off = 0; off < total; off += 37) {
        reel_cw_write(h->cw, in + off * h->fb, 37);
        h_drain(h);
        for (; seen < h->n_ev; seen++)
            if (h->ev[seen].type == REEL_CW_CHUNK_STARTED)
                assert_true(h_offer(h, cap));
    }
    reel_cw_finish(h->cw);
    h_drain(h);
    uint64_t end;
    size_t chunks = check_chunk_events(h, 0, &end);
    assert_int_equal(chunks, (total + 99) / 100);
    assert_true(end == total);

    /* Concatenating the chunks in event order gives the input. */
    uint8_t *out = calloc(total, h->fb);
    assert_non_null(out);
    size_t pos = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const reel_cw_event *e = &h->ev[i];
        if (e->type != REEL_CW_CHUNK_FULL)
            continue;
        assert_true(e->frames == 100 || e->final);
        memcpy(out + pos, h->buf[e->tag], e->bytes);
        pos += e->bytes;
    }
    assert_int_equal(pos, total * h->fb);
    assert_memory_equal(out, in, total * h->fb);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == total && hd.overrun_frames == 0);
    free(out);
    free(in);
    h_free(h);
}

static void test_no_chunk_means_pending_silence(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_I16, 2, 100);
    harness *h = h_new(&def, 0, 4);
    const size_t cap = 100 * h->fb;
    uint8_t *in = audio_input(200, h->fb, 3);

    reel_cw_set_clock(h->cw, 5000000000LL, 1700000000000000000LL, 777);
    reel_cw_write(h->cw, in, 50); /* no chunk offered yet */
    h_drain(h);
    assert_int_equal(h->n_ev, 1);
    assert_int_equal(h->ev[0].type, REEL_CW_OVERRUN);
    assert_true(h->ev[0].count == 50);
    assert_true(h->ev[0].first_frame == 0);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 0);
    assert_true(hd.overrun_frames == 50);
    assert_int_equal(hd.tag, UINT32_MAX);

    /* Still no chunk: one event per overrun run, the total in the head. */
    reel_cw_set_clock(h->cw, 5000000000LL + 1041666, 1700000000000000000LL + 1041666, 827);
    reel_cw_write(h->cw, in + 50 * h->fb, 30);
    assert_int_equal(h_drain(h), 0);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.overrun_frames == 80 && hd.frames == 0);
    /* The clock refers to the position including the owed silence. */
    assert_true(hd.clock_frame == 50);

    /* A chunk arrives: 80 frames of zeros, then the new 40 frames. */
    assert_true(h_offer(h, cap));
    assert_true(h_offer(h, cap));
    reel_cw_write(h->cw, in + 80 * h->fb, 40);
    h_drain(h);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 120); /* 50 + 30 + 40 frames given */
    assert_true(hd.overrun_frames == 80);
    const uint8_t zeros[80 * 4] = {0};
    assert_memory_equal(h->buf[10], zeros, 80 * h->fb);
    assert_memory_equal(h->buf[10] + 80 * h->fb, in + 80 * h->fb, 20 * h->fb);
    assert_memory_equal(h->buf[11], in + 100 * h->fb, 20 * h->fb);
    assert_int_equal(h->buf[11][20 * h->fb], 0xAA);

    /* The first chunk starts at frame 0 with the clock extrapolated back
     * from the last set_clock (frame 50) at 48 kHz. */
    const reel_cw_event *st = h_find(h, REEL_CW_CHUNK_STARTED, 10);
    assert_non_null(st);
    assert_true(st->first_frame == 0);
    assert_true(st->mono_ns == 5000000000LL + 1041666 - 50 * 1000000000LL / 48000);
    assert_true(st->device_frame == 827 - 50);
    const reel_cw_event *full = h_find(h, REEL_CW_CHUNK_FULL, 10);
    assert_non_null(full);
    assert_true(full->frames == 100 && full->end_frame == 100);

    /* A new run of overruns gives a new OVERRUN event. */
    reel_cw_write(h->cw, in, 80); /* fills chunk 11 to 100, 0 left */
    size_t n_before = h->n_ev;
    h_drain(h);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 200);
    reel_cw_write(h->cw, in, 5);
    h_drain(h);
    size_t overruns = 0;
    for (size_t i = n_before; i < h->n_ev; i++)
        if (h->ev[i].type == REEL_CW_OVERRUN) {
            overruns++;
            assert_true(h->ev[i].first_frame == 200 && h->ev[i].count == 5);
        }
    assert_int_equal(overruns, 1);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.overrun_frames == 85);

    /* finish with silence still owed and no chunk: reported, not lost
     * silently (the last FULL has no chunk). */
    reel_cw_finish(h->cw);
    h_drain(h);
    const reel_cw_event *last = &h->ev[h->n_ev - 1];
    assert_int_equal(last->type, REEL_CW_CHUNK_FULL);
    assert_int_equal(last->tag, UINT32_MAX);
    assert_int_equal(last->final, 1);
    uint64_t end;
    check_chunk_events(h, 0, &end);
    assert_true(end == 200);
    free(in);
    h_free(h);
}

static void test_finish_flushes_owed_silence(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 1, 1000);
    harness *h = h_new(&def, 0, 2);
    uint8_t *in = audio_input(64, h->fb, 4);
    reel_cw_write(h->cw, in, 64); /* overrun: owed */
    assert_true(h_offer(h, 1000 * h->fb));
    reel_cw_finish(h->cw);
    h_drain(h);
    const reel_cw_event *full = h_find(h, REEL_CW_CHUNK_FULL, 10);
    assert_non_null(full);
    assert_int_equal(full->final, 1);
    assert_true(full->frames == 64 && full->bytes == 64 * h->fb);
    const uint8_t zeros[64 * 4] = {0};
    assert_memory_equal(h->buf[10], zeros, 64 * h->fb);
    free(in);
    h_free(h);
}

static void test_planar_conversion(void **state)
{
    (void)state;
    const float nan = nanf("");
    const float L[] = {0.5f, 1.5f, -1.5f, nan, 0.0f, -0.25f, 1.0f, -1.0f};
    const float R[] = {-0.5f, 1.0e9f, -INFINITY, INFINITY, 0.1f, -0.0f, 0.25f, 0.75f};
    const float *chans[2] = {L, R};
    const size_t n = 8;

    /* i16: x * 32768, rounded to nearest (ties to even), clipped to the
     * code range (core/sample_convert.h). */
    {
        const int16_t want[16] = {16384, -16384, 32767,  32767, -32768, -32768, 0,     32767,
                                  0,     3277,   -8192, 0,      32767,  8192,   -32768, 24576};
        reel_stream_def def = audio_def(REEL_SAMPLE_I16, 2, 3); /* 3-frame chunks */
        harness *h = h_new(&def, 0, 8);
        for (int i = 0; i < 4; i++)
            assert_true(h_offer(h, 3 * h->fb));
        reel_cw_write_planar_f32(h->cw, chans, n);
        reel_cw_finish(h->cw);
        h_drain(h);
        uint8_t out[16 * 2];
        size_t pos = 0;
        for (size_t i = 0; i < h->n_ev; i++)
            if (h->ev[i].type == REEL_CW_CHUNK_FULL && h->ev[i].tag != UINT32_MAX) {
                memcpy(out + pos, h->buf[h->ev[i].tag], h->ev[i].bytes);
                pos += h->ev[i].bytes;
            }
        assert_int_equal(pos, sizeof out);
        for (int i = 0; i < 16; i++) {
            int16_t v = (int16_t)(out[2 * i] | out[2 * i + 1] << 8);
            if (v != want[i])
                fail_msg("i16 sample %d: got %d, want %d", i, v, want[i]);
        }
        h_free(h);
    }
    /* i24: x * 8388608, ties to even, clipped, little-endian 3 bytes. */
    {
        const int32_t want[16] = {4194304, -4194304, 8388607, 8388607, -8388608, -8388608,
                                  0,       8388607,  0,       838861,  -2097152, 0,
                                  8388607, 2097152,  -8388608, 6291456};
        reel_stream_def def = audio_def(REEL_SAMPLE_I24, 2, 5);
        harness *h = h_new(&def, 0, 4);
        for (int i = 0; i < 3; i++)
            assert_true(h_offer(h, 5 * h->fb));
        reel_cw_write_planar_f32(h->cw, chans, n);
        reel_cw_finish(h->cw);
        h_drain(h);
        uint8_t out[16 * 3];
        size_t pos = 0;
        for (size_t i = 0; i < h->n_ev; i++)
            if (h->ev[i].type == REEL_CW_CHUNK_FULL && h->ev[i].tag != UINT32_MAX) {
                memcpy(out + pos, h->buf[h->ev[i].tag], h->ev[i].bytes);
                pos += h->ev[i].bytes;
            }
        assert_int_equal(pos, sizeof out);
        for (int i = 0; i < 16; i++) {
            int32_t v = out[3 * i] | out[3 * i + 1] << 8 | out[3 * i + 2] << 16;
            if (v & 0x800000)
                v -= 0x1000000;
            if (v != want[i])
                fail_msg("i24 sample %d: got %d, want %d", i, v, want[i]);
        }
        /* -1.5 clips to -8388608 = 0x800000: bytes 00 00 80. */
        assert_int_equal(out[3 * 4], 0x00);
        assert_int_equal(out[3 * 4 + 1], 0x00);
        assert_int_equal(out[3 * 4 + 2], 0x80);
        h_free(h);
    }
    /* f32: interleaved copies, bit for bit (no clipping for float). */
    {
        reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 64);
        harness *h = h_new(&def, 0, 2);
        assert_true(h_offer(h, 64 * h->fb));
        reel_cw_write_planar_f32(h->cw, chans, n);
        for (size_t i = 0; i < n; i++) {
            assert_memory_equal(h->buf[10] + 8 * i, &L[i], 4);
            assert_memory_equal(h->buf[10] + 8 * i + 4, &R[i], 4);
        }
        h_free(h);
    }
    /* Planar into a stream with no chunk: pending silence as for write. */
    {
        reel_stream_def def = audio_def(REEL_SAMPLE_I16, 2, 64);
        harness *h = h_new(&def, 0, 2);
        reel_cw_write_planar_f32(h->cw, chans, n);
        reel_cw_head hd;
        reel_cw_read_head(h->cw, &hd);
        assert_true(hd.overrun_frames == n && hd.frames == 0);
        assert_true(h_offer(h, 64 * h->fb));
        reel_cw_write_planar_f32(h->cw, chans, n);
        reel_cw_read_head(h->cw, &hd);
        assert_true(hd.frames == 2 * n);
        const uint8_t zeros[8 * 4] = {0};
        assert_memory_equal(h->buf[10], zeros, n * h->fb);
        h_free(h);
    }
}

static void test_head_and_clock_values(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 480);
    harness *h = h_new(&def, 48000, 4);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 48000 && hd.clock_frame == 48000);
    assert_int_equal(hd.tag, UINT32_MAX);
    assert_true(hd.chunk_bytes == 0 && hd.xruns == 0);

    for (int i = 0; i < 3; i++)
        assert_true(h_offer(h, 480 * h->fb));
    uint8_t *in = audio_input(1000, h->fb, 5);
    const int64_t mono0 = 1000000000LL, wall0 = 1763632800000000000LL;
    uint64_t pos = 48000;
    for (int p = 0; p < 10; p++) {
        int64_t dt = (int64_t)(pos - 48000) * 1000000000LL / 48000;
        reel_cw_set_clock(h->cw, mono0 + dt, wall0 + dt, 90000 + (pos - 48000));
        reel_cw_write(h->cw, in + (size_t)p * 100 * h->fb, 100);
        pos += 100;
        reel_cw_read_head(h->cw, &hd);
        assert_true(hd.frames == pos);
        assert_true(hd.clock_frame == pos - 100);
        assert_true(hd.mono_ns == mono0 + dt && hd.wall_ns == wall0 + dt);
        assert_true(hd.device_frame == 90000 + (pos - 100 - 48000));
        assert_true(hd.chunk_frames == (pos - 48000) % 480 || hd.chunk_frames == 0);
        assert_true(hd.chunk_bytes == hd.chunk_frames * h->fb);
    }
    /* Chunk 11 started at 48480: its clock is extrapolated from the period
     * that began at 48400 (80 frames later = 1666666 ns). */
    h_drain(h);
    const reel_cw_event *st = h_find(h, REEL_CW_CHUNK_STARTED, 11);
    assert_non_null(st);
    assert_true(st->first_frame == 48480);
    int64_t dt400 = 400LL * 1000000000LL / 48000;
    assert_true(st->mono_ns == mono0 + dt400 + 80LL * 1000000000LL / 48000);
    assert_true(st->wall_ns == wall0 + dt400 + 80LL * 1000000000LL / 48000);
    assert_true(st->device_frame == 90000 + 480);
    const reel_cw_event *full = h_find(h, REEL_CW_CHUNK_FULL, 10);
    assert_non_null(full);
    assert_true(full->end_frame == 48480 && full->mono_ns == st->mono_ns);

    reel_cw_note_xrun(h->cw);
    reel_cw_note_xrun(h->cw);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.xruns == 2);
    size_t before = h->n_ev;
    h_drain(h);
    assert_int_equal(h->n_ev - before, 2);
    assert_int_equal(h->ev[before].type, REEL_CW_XRUN);
    assert_true(h->ev[before].count == 1 && h->ev[before].first_frame == 49000);
    free(in);
    h_free(h);
}

static void test_finish_and_reclaim(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 0, 4);
    for (int i = 0; i < 3; i++)
        assert_true(h_offer(h, 100 * h->fb));
    reel_chunk_slot s;
    assert_false(reel_cw_reclaim(h->cw, &s)); /* not before finish */
    assert_false(reel_cw_finished(h->cw));
    uint8_t *in = audio_input(100, h->fb, 6);
    reel_cw_write(h->cw, in, 100); /* exactly one chunk: FULL at once */
    h_drain(h);
    assert_int_equal(h->n_ev, 2);
    assert_int_equal(h->ev[1].type, REEL_CW_CHUNK_FULL);
    assert_int_equal(h->ev[1].final, 0);

    /* Nothing is current now: finish reports a chunkless final FULL. */
    reel_cw_finish(h->cw);
    h_drain(h);
    assert_int_equal(h->n_ev, 3);
    assert_int_equal(h->ev[2].type, REEL_CW_CHUNK_FULL);
    assert_int_equal(h->ev[2].tag, UINT32_MAX);
    assert_int_equal(h->ev[2].final, 1);
    assert_true(h->ev[2].first_frame == 100 && h->ev[2].end_frame == 100);
    assert_true(reel_cw_finished(h->cw));

    /* The two unused chunks come back, in order. */
    assert_true(reel_cw_reclaim(h->cw, &s));
    assert_int_equal(s.tag, 11);
    assert_ptr_equal(s.base, h->buf[11]);
    assert_true(reel_cw_reclaim(h->cw, &s));
    assert_int_equal(s.tag, 12);
    assert_false(reel_cw_reclaim(h->cw, &s));
    free(in);
    h_free(h);
}

static void test_offer_limit_and_create_errors(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 0, 3); /* rounded up to 4 */
    int offered = 0;
    while (offered < 10 && h_offer(h, 800))
        offered++;
    assert_int_equal(offered, 4);
    assert_int_equal(reel_cw_ready_count(h->cw), 4);
    /* MIDI calls on an audio stream do nothing. */
    const uint8_t note[3] = {0x90, 60, 100};
    assert_false(reel_cw_write_midi(h->cw, 0, note, 3));
    reel_cw_advance(h->cw, 100);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 0 && hd.events == 0);
    h_free(h);

    reel_chunk_writer *cw = NULL;
    reel_error err = {0};
    def.channels = 0;
    assert_int_equal(reel_cw_create(&cw, &def, 0, 2, &err), REEL_EINVAL);
    assert_null(cw);
}

/* When the event ring is full, events wait in the writer and later leave
 * in their original order, ahead of newer ones. */
static void test_events_keep_order_through_backlog(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 0, 2);
    assert_true(h_offer(h, 100 * h->fb));
    assert_true(h_offer(h, 100 * h->fb));
    for (int i = 0; i < 4096; i++) /* exactly fills the event ring */
        reel_cw_note_xrun(h->cw);
    uint8_t *in = audio_input(210, h->fb, 9);
    reel_cw_write(h->cw, in, 150); /* STARTED 10, FULL 10, STARTED 11: held back */
    assert_int_equal(h_drain(h), 4096);
    for (size_t i = 0; i < 4096; i++)
        assert_int_equal(h->ev[i].type, REEL_CW_XRUN);
    reel_cw_write(h->cw, in + 150 * h->fb, 60); /* FULL 11, then an overrun */
    h_drain(h);
    const uint32_t types[] = {REEL_CW_CHUNK_STARTED, REEL_CW_CHUNK_FULL, REEL_CW_CHUNK_STARTED,
                              REEL_CW_CHUNK_FULL, REEL_CW_OVERRUN};
    const uint32_t tags[] = {10, 10, 11, 11, 0};
    assert_int_equal(h->n_ev, 4096 + 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(h->ev[4096 + i].type, types[i]);
        assert_int_equal(h->ev[4096 + i].tag, tags[i]);
    }
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.xruns == 4096 && hd.frames == 200 && hd.overrun_frames == 10);
    assert_memory_equal(h->buf[10], in, 100 * h->fb);
    assert_memory_equal(h->buf[11], in + 100 * h->fb, 100 * h->fb);
    free(in);
    h_free(h);
}


/* ---- owed silence: placed at once, written a bounded amount per call ------ */

/* A debt much larger than one call's budget: every later call writes at
 * most REEL_CW_CATCHUP times its own frames of it; the frames written
 * meanwhile land after the silence at once; a chunk is reported full, and
 * the head moves, only over bytes already written. */
static void test_owed_silence_spread_over_calls(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_I16, 2, 1000);
    harness *h = h_new(&def, 0, 16);
    const size_t cap = 1000 * h->fb;
    for (int i = 0; i < 12; i++)
        assert_true(h_offer(h, cap));
    uint8_t *in = audio_input(2000, h->fb, 21);
    reel_cw_write(h->cw, in, 100);
    reel_cw_owe_silence(h->cw, 10000); /* ten chunks of it */
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.owed_frames == 10000 && hd.silence_pending == 10000 && hd.frames == 100);
    const uint64_t budget = REEL_CW_CATCHUP_MIN; /* 50-frame calls: 8 x 50 < the minimum */
    uint64_t pending = 10000;
    size_t calls = 0;
    while (pending > 0) {
        reel_cw_write(h->cw, in + (calls % 20) * 50 * h->fb, 50);
        calls++;
        pending = pending > budget ? pending - budget : 0;
        reel_cw_read_head(h->cw, &hd);
        assert_true(hd.silence_pending == pending);
        assert_true(hd.frames == (pending ? 100 + 10000 - pending : 10100 + calls * 50));
        assert_true(hd.overrun_frames == 0);
        size_t seen = h->n_ev;
        h_drain(h);
        for (size_t i = seen; i < h->n_ev; i++)
            if (h->ev[i].type == REEL_CW_CHUNK_FULL)
                assert_true(h->ev[i].end_frame <= hd.frames);
    }
    assert_int_equal(calls, (10000 + budget - 1) / budget);
    /* The bytes: the first 100 frames, zeros, then every 50-frame call. */
    uint8_t *all = malloc(12 * cap);
    assert_non_null(all);
    for (int i = 0; i < 12; i++)
        memcpy(all + i * cap, h->buf[10 + i], cap);
    assert_memory_equal(all, in, 100 * h->fb);
    for (size_t b = 100 * h->fb; b < 10100 * h->fb; b++)
        assert_int_equal(all[b], 0);
    for (size_t c = 0; c < calls; c++)
        assert_memory_equal(all + (10100 + c * 50) * h->fb, in + (c % 20) * 50 * h->fb,
                            50 * h->fb);
    /* Chunks tile the timeline, in order, each reported once. */
    uint64_t end;
    size_t full = 0;
    for (size_t i = 0; i < h->n_ev; i++)
        full += h->ev[i].type == REEL_CW_CHUNK_FULL;
    assert_int_equal(full, (10100 + calls * 50) / 1000);
    reel_cw_finish(h->cw);
    h_drain(h);
    check_chunk_events(h, 0, &end);
    assert_true(end == 10100 + calls * 50);
    free(all);
    free(in);
    h_free(h);
}

/* More separate debts than the writer tracks at once: the one that does not
 * fit waits (and what follows it becomes an overrun, counted), nothing is
 * lost silently and positions stay true. */
static void test_owed_silence_more_ranges_than_tracked(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 1, 100000);
    harness *h = h_new(&def, 0, 16);
    for (int i = 0; i < 10; i++)
        assert_true(h_offer(h, 100000 * h->fb));
    uint8_t *in = audio_input(10, h->fb, 22);
    /* Each debt is far larger than what all these calls zero together, so
     * each stays a range of its own. */
    const int debts = REEL_CW_HOLES_MAX + 2;
    uint64_t given = 0;
    for (int i = 0; i < debts; i++) {
        reel_cw_owe_silence(h->cw, 50000);
        reel_cw_write(h->cw, in, 10);
        given += 50000 + 10;
    }
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.overrun_frames > 0);
    /* Catch up: finish writes everything that has room. */
    h_drain(h);
    reel_cw_finish(h->cw);
    h_drain(h);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.silence_pending == 0);
    assert_true(hd.frames == given);
    uint64_t end;
    check_chunk_events(h, 0, &end);
    assert_true(end == given);
    free(in);
    h_free(h);
}

/* An event with no room in the ring and the backlog is counted in the head,
 * never dropped silently. */
static void test_lost_events_are_counted(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 0, 2);
    const int n = REEL_CW_EVENT_RING + REEL_CW_BACKLOG + 100;
    for (int i = 0; i < n; i++)
        reel_cw_note_xrun(h->cw);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.xruns == (uint64_t)n); /* the counter itself is never lost */
    assert_true(hd.events_lost == 100);
    /* What did fit comes out, in order; the lost ones are the newest. */
    assert_int_equal(h_drain(h), REEL_CW_EVENT_RING);
    reel_cw_note_gap(h->cw); /* the backlog moves up first */
    h_drain(h);
    assert_int_equal(h->n_ev, REEL_CW_EVENT_RING + REEL_CW_BACKLOG + 1);
    assert_int_equal(h->ev[h->n_ev - 1].type, REEL_CW_GAP);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.events_lost == 100);
    h_free(h);
}

/* finish twice: one final report, the second call does nothing. */
static void test_finish_is_idempotent(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, 100);
    harness *h = h_new(&def, 0, 2);
    assert_true(h_offer(h, 100 * h->fb));
    uint8_t *in = audio_input(30, h->fb, 23);
    reel_cw_write(h->cw, in, 30);
    reel_cw_finish(h->cw);
    h_drain(h);
    size_t n = h->n_ev;
    reel_cw_finish(h->cw);
    reel_cw_write(h->cw, in, 30); /* not a producer any more: nothing changes */
    assert_int_equal(h_drain(h), 0);
    assert_int_equal(h->n_ev, n);
    assert_int_equal(h->ev[n - 1].final, 1);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(reel_cw_finished(h->cw) && hd.frames == 30);
    /* MIDI too. */
    reel_stream_def md = midi_def();
    harness *m = h_new(&md, 0, 2);
    reel_cw_advance(m->cw, 100);
    reel_cw_finish(m->cw);
    reel_cw_finish(m->cw);
    assert_int_equal(h_drain(m), 1);
    assert_int_equal(m->ev[0].final, 1);
    free(in);
    h_free(h);
    h_free(m);
}

/* ---- MIDI ----------------------------------------------------------------- */

typedef struct sent {
    uint64_t frame;
    int64_t wall;
    uint8_t data[8];
    uint32_t len;
} sent;

static void test_midi_records_and_boundaries(void **state)
{
    (void)state;
    reel_stream_def def = midi_def();
    const uint64_t start = 96000;
    harness *h = h_new(&def, start, 4);
    /* 100-byte chunks: four 3-byte records (23 bytes each) fit, not five. */
    const size_t cap = 100;
    assert_true(h_offer(h, cap));
    assert_true(h_offer(h, cap));

    enum { PERIODS = 40, PERIOD = 64 };
    sent log[PERIODS * 3];
    size_t n_sent = 0, seen = 0;
    const int64_t wall0 = 1763632800000000000LL;
    for (int p = 0; p < PERIODS; p++) {
        uint64_t pos = start + (uint64_t)p * PERIOD;
        int64_t wall = wall0 + (int64_t)(p * PERIOD) * 1000000000LL / 48000;
        reel_cw_set_clock(h->cw, 1000 + p, wall, 5000 + pos);
        /* 0, 1 or 2 events per period at rising offsets; a 2-byte one too. */
        for (int k = 0; k < p % 3; k++) {
            sent *s = &log[n_sent++];
            uint32_t off = (uint32_t)(k * 31 + p % 7);
            s->len = (p + k) % 4 == 0 ? 2 : 3;
            s->data[0] = (uint8_t)(0x90 | (k & 15));
            s->data[1] = (uint8_t)p;
            s->data[2] = (uint8_t)(k + 1);
            s->frame = pos + off;
            s->wall = wall + (int64_t)off * 1000000000LL / 48000;
            assert_true(reel_cw_write_midi(h->cw, off, s->data, s->len));
        }
        reel_cw_advance(h->cw, PERIOD);
        h_drain(h);
        for (; seen < h->n_ev; seen++)
            if (h->ev[seen].type == REEL_CW_CHUNK_STARTED)
                assert_true(h_offer(h, cap));
    }
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == start + PERIODS * PERIOD);
    assert_true(hd.events == n_sent);
    assert_true(hd.overrun_events == 0);

    reel_cw_finish(h->cw);
    h_drain(h);
    uint64_t end;
    size_t chunks = check_chunk_events(h, start, &end);
    assert_true(chunks >= 5);
    assert_true(end == start + PERIODS * PERIOD); /* the last chunk runs to the head */
    assert_int_equal(h->ev[h->n_ev - 1].final, 1);

    /* Decode every chunk: whole records only, in order, inside the chunk's
     * [first_frame, end_frame), exactly what was sent. */
    size_t got = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const reel_cw_event *e = &h->ev[i];
        if (e->type != REEL_CW_CHUNK_FULL || e->tag == UINT32_MAX)
            continue;
        assert_true(e->bytes <= cap);
        size_t off = 0;
        uint64_t events = 0;
        while (off < e->bytes) {
            reel_midi_event ev;
            size_t used;
            assert_int_equal(reel_midi_record_decode(h->buf[e->tag] + off, e->bytes - off, &ev,
                                                     &used),
                             REEL_OK);
            assert_true(got < n_sent);
            const sent *s = &log[got++];
            assert_true(ev.frame == s->frame);
            assert_true(ev.wall_ns == s->wall);
            assert_int_equal(ev.len, s->len);
            assert_memory_equal(ev.data, s->data, s->len);
            assert_true(ev.frame >= e->first_frame && ev.frame < e->end_frame);
            off += used;
            events++;
        }
        assert_int_equal(off, e->bytes); /* no record straddles the end */
        assert_true(events == e->frames);
        /* A full (non-final) chunk had no room for one more record. */
        if (!e->final)
            assert_true(cap - e->bytes < reel_midi_record_size(2));
    }
    assert_int_equal(got, n_sent);
    h_free(h);
}

static void test_midi_overrun_and_limits(void **state)
{
    (void)state;
    reel_stream_def def = midi_def();
    harness *h = h_new(&def, 0, 2);
    const uint8_t note[3] = {0x90, 60, 100};
    /* No chunk: the event is dropped and counted. */
    assert_false(reel_cw_write_midi(h->cw, 5, note, 3));
    h_drain(h);
    assert_int_equal(h->n_ev, 1);
    assert_int_equal(h->ev[0].type, REEL_CW_OVERRUN);
    assert_true(h->ev[0].count == 1);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.overrun_events == 1 && hd.events == 0);

    /* Invalid lengths are refused without counting. */
    assert_false(reel_cw_write_midi(h->cw, 0, note, 0));
    assert_false(reel_cw_write_midi(h->cw, 0, note, REEL_MIDI_MAX_EVENT + 1));
    /* Audio calls on a MIDI stream do nothing. */
    uint8_t frames[64] = {0};
    reel_cw_write(h->cw, frames, 8);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.frames == 0 && hd.overrun_events == 1);

    assert_true(h_offer(h, 4096));
    reel_cw_advance(h->cw, 64);
    assert_true(reel_cw_write_midi(h->cw, 3, note, 3));
    reel_cw_advance(h->cw, 64);
    reel_cw_finish(h->cw);
    h_drain(h);
    const reel_cw_event *st = h_find(h, REEL_CW_CHUNK_STARTED, 10);
    const reel_cw_event *full = h_find(h, REEL_CW_CHUNK_FULL, 10);
    assert_non_null(st);
    assert_non_null(full);
    /* The first chunk starts at the stream's start, not at its first event,
     * and the last one ends at the head. */
    assert_true(st->first_frame == 0);
    assert_true(full->end_frame == 128 && full->frames == 1 && full->final == 1);
    reel_midi_event ev;
    size_t used;
    assert_int_equal(reel_midi_record_decode(h->buf[10], full->bytes, &ev, &used), REEL_OK);
    assert_true(ev.frame == 67);
    h_free(h);
}

/* MIDI clock: every 0xF8 the writer takes counts as one pulse, alone or
 * interleaved in another message (a sysex), across chunk rotation; other
 * events (start, stop, notes, song position, active sensing) do not count;
 * an event that is not written (no chunk ready, past the set end) is not
 * counted either. The oracle counts the pulses in the records written. */
static void test_midi_clock_ticks(void **state)
{
    (void)state;
    reel_stream_def def = midi_def();
    harness *h = h_new(&def, 0, 4);
    reel_cw_head hd;
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.midi_clock_ticks == 0);

    const uint8_t tick[1] = {0xF8}, start[1] = {0xFA}, stop[1] = {0xFC}, sense[1] = {0xFE};
    const uint8_t note[3] = {0x90, 60, 100}, spp[3] = {0xF2, 0x10, 0x00};
    const uint8_t sysex[6] = {0xF0, 0x7D, 0xF8, 0x01, 0xF8, 0xF7}; /* two pulses inside */
    /* No chunk ready: the pulse is dropped (counted as an overrun), not a tick. */
    assert_false(reel_cw_write_midi(h->cw, 0, tick, 1));
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.midi_clock_ticks == 0 && hd.overrun_events == 1);

    /* Small chunks, so the pulses cross several. */
    for (int i = 0; i < 3; i++)
        assert_true(h_offer(h, 256));
    uint64_t want = 0;
    assert_true(reel_cw_write_midi(h->cw, 0, start, 1));
    for (int period = 0; period < 40; period++) {
        if (period % 8 == 7) {
            h_drain(h);
            while (reel_cw_ready_count(h->cw) < 3)
                assert_true(h_offer(h, 256));
        }
        assert_true(reel_cw_write_midi(h->cw, 10, tick, 1));
        want++;
        assert_true(reel_cw_write_midi(h->cw, 20, note, 3));
        assert_true(reel_cw_write_midi(h->cw, 30, sense, 1));
        if (period == 5) {
            assert_true(reel_cw_write_midi(h->cw, 40, sysex, sizeof sysex));
            want += 2;
        }
        if (period == 9)
            assert_true(reel_cw_write_midi(h->cw, 50, spp, 3));
        assert_true(reel_cw_write_midi(h->cw, 60, tick, 1));
        want++;
        reel_cw_advance(h->cw, 256);
        reel_cw_read_head(h->cw, &hd);
        assert_true(hd.midi_clock_ticks == want);
    }
    assert_true(reel_cw_write_midi(h->cw, 0, stop, 1));
    /* A set end: a pulse past it is not part of the stream. */
    reel_cw_set_end(h->cw, 100);
    assert_false(reel_cw_write_midi(h->cw, 150, tick, 1));
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.midi_clock_ticks == want);
    assert_true(want == 40 * 2 + 2);
    reel_cw_finish(h->cw);
    h_drain(h);

    /* Oracle: the pulses in the records of every chunk reported full. */
    uint64_t seen = 0, events = 0;
    size_t chunks = 0;
    for (size_t i = 0; i < h->n_ev; i++) {
        const reel_cw_event *e = &h->ev[i];
        if (e->type != REEL_CW_CHUNK_FULL || e->tag == UINT32_MAX)
            continue;
        chunks++;
        for (size_t off = 0; off < e->bytes;) {
            reel_midi_event ev;
            size_t used;
            assert_int_equal(reel_midi_record_decode(h->buf[e->tag] + off, e->bytes - off, &ev,
                                                     &used), REEL_OK);
            for (uint32_t k = 0; k < ev.len; k++)
                seen += ev.data[k] == 0xF8;
            events++;
            off += used;
        }
    }
    assert_true(chunks >= 3); /* the count went across rotations */
    assert_true(seen == want);
    reel_cw_read_head(h->cw, &hd);
    assert_true(hd.events == events && hd.midi_clock_ticks == want);
    h_free(h);
}

/* ---- two threads ----------------------------------------------------------- */

#define TT_RATE 48000
#define TT_FRAMES (10 * TT_RATE)
#define TT_PERIOD 64
#define TT_CHUNK 4800
#define TT_MONO0 1000000000LL
#define TT_WALL0 1763632800000000000LL

typedef struct tt_ctx {
    reel_chunk_writer *cw;
    const uint8_t *in;
    size_t fb;
} tt_ctx;

static void *tt_producer(void *arg)
{
    tt_ctx *c = arg;
    for (size_t pos = 0; pos < TT_FRAMES; pos += TT_PERIOD) {
        size_t n = TT_FRAMES - pos < TT_PERIOD ? TT_FRAMES - pos : TT_PERIOD;
        /* The test wants exact bytes, so the producer never outruns the
         * consumer's supply of chunks (a real engine would overrun). */
        while (reel_cw_ready_count(c->cw) == 0)
            sched_yield();
        /* Clocks derived from the position: a torn head read would show. */
        reel_cw_set_clock(c->cw, TT_MONO0 + (int64_t)pos * 1000, TT_WALL0 + (int64_t)pos * 1000,
                          pos + 7);
        reel_cw_write(c->cw, c->in + pos * c->fb, n);
    }
    reel_cw_finish(c->cw);
    return NULL;
}

/* A set length: audio and MIDI writers on one clock, given the same length,
 * take exactly that many frames whatever the period size and owed silence,
 * and report the end only once it is reached. */
static void test_set_end_exact_length(void **state)
{
    (void)state;
    reel_stream_def ad = audio_def(REEL_SAMPLE_F32, 2, 4096);
    reel_stream_def md = midi_def();
    harness *a = h_new(&ad, 1000, 8), *m = h_new(&md, 1000, 8);
    for (int i = 0; i < 4; i++) {
        assert_true(h_offer(a, 4096 * a->fb));
        assert_true(h_offer(m, 4096));
    }
    const uint64_t len = 10000;
    reel_cw_set_end(a->cw, len);
    reel_cw_set_end(m->cw, len);
    float l[256], r[256];
    for (int i = 0; i < 256; i++)
        l[i] = r[i] = 0.25f;
    const float *ch[2] = {l, r};
    uint64_t fed = 0;
    uint8_t note[3] = {0x90, 60, 100};
    uint64_t n_took = 0;
    int p = 0;
    while (!reel_cw_at_end(a->cw)) {
        assert_false(reel_cw_at_end(m->cw));
        assert_true(p < 100);
        if (p == 5) { /* a skipped period, owed to both */
            reel_cw_owe_silence(a->cw, 256);
            reel_cw_owe_silence(m->cw, 256);
            fed += 256;
        }
        reel_cw_write_planar_f32(a->cw, ch, 256);
        /* an event at the period's last frame: past the end, it is dropped */
        bool took = reel_cw_write_midi(m->cw, 255, note, 3);
        assert_int_equal(took, fed + 255 < len);
        n_took += took;
        reel_cw_advance(m->cw, 256);
        fed += 256;
        p++;
    }
    assert_true(reel_cw_at_end(m->cw));
    assert_true(fed >= len);
    /* More frames, silence and events after the end change nothing. */
    reel_cw_write_planar_f32(a->cw, ch, 256);
    reel_cw_owe_silence(a->cw, 999);
    reel_cw_owe_silence(m->cw, 999);
    assert_false(reel_cw_write_midi(m->cw, 0, note, 3));
    reel_cw_advance(m->cw, 256);
    reel_cw_finish(a->cw);
    reel_cw_finish(m->cw);
    reel_cw_head ha, hm;
    reel_cw_read_head(a->cw, &ha);
    reel_cw_read_head(m->cw, &hm);
    assert_true(ha.frames == 1000 + len);
    assert_true(hm.frames == 1000 + len);
    assert_true(hm.events == n_took && n_took > 30); /* the events before the end */
    h_drain(a);
    uint64_t end = 0;
    check_chunk_events(a, 1000, &end);
    assert_true(end == 1000 + len);
    h_free(a);
    h_free(m);
}

static void test_two_threads_ten_seconds(void **state)
{
    (void)state;
    reel_stream_def def = audio_def(REEL_SAMPLE_F32, 2, TT_CHUNK);
    reel_chunk_writer *cw;
    assert_int_equal(reel_cw_create(&cw, &def, 0, 4, NULL), REEL_OK);
    const size_t fb = 8, cap = TT_CHUNK * fb;
    float *in = malloc((size_t)TT_FRAMES * fb);
    uint8_t *out = malloc((size_t)TT_FRAMES * fb);
    assert_non_null(in);
    assert_non_null(out);
    for (size_t i = 0; i < (size_t)TT_FRAMES * 2; i++)
        in[i] = (float)sin((double)i * 0.001) * (float)(i % 1000) / 1000.0f;

    enum { NT = 200 };
    uint8_t *bufs[NT] = {0};
    uint64_t first[NT];
    bool started[NT] = {false};
    uint32_t next_tag = 0;
    size_t out_pos = 0;
    uint64_t bad_head = 0, bad_chunk = 0, heads = 0, last_frames = 0;
    bool done = false;

    tt_ctx ctx = {.cw = cw, .in = (const uint8_t *)in, .fb = fb};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tt_producer, &ctx), 0);
    while (!done) {
        while (next_tag < NT && reel_cw_ready_count(cw) < 4) {
            bufs[next_tag] = malloc(cap);
            if (!bufs[next_tag])
                break;
            reel_chunk_slot s = {.base = bufs[next_tag], .capacity = cap, .tag = next_tag};
            if (!reel_cw_offer(cw, &s)) {
                free(bufs[next_tag]);
                bufs[next_tag] = NULL;
                break;
            }
            next_tag++;
        }
        reel_cw_event ev;
        while (reel_cw_next_event(cw, &ev)) {
            if (ev.type == REEL_CW_CHUNK_STARTED && ev.tag < NT) {
                started[ev.tag] = true;
                first[ev.tag] = ev.first_frame;
                if (ev.first_frame * fb != out_pos)
                    bad_chunk++;
            } else if (ev.type == REEL_CW_CHUNK_FULL) {
                if (ev.tag < NT && bufs[ev.tag]) {
                    if (ev.bytes != ev.frames * fb || ev.first_frame != first[ev.tag] ||
                        out_pos + ev.bytes > (size_t)TT_FRAMES * fb)
                        bad_chunk++;
                    else
                        memcpy(out + out_pos, bufs[ev.tag], ev.bytes);
                    out_pos += ev.bytes;
                    free(bufs[ev.tag]);
                    bufs[ev.tag] = NULL;
                }
                if (ev.final)
                    done = true;
            } else {
                bad_chunk++; /* no overrun or xrun is expected */
            }
        }
        /* The head is always one consistent snapshot. */
        reel_cw_head hd;
        reel_cw_read_head(cw, &hd);
        heads++;
        if (hd.frames == 0) {
            /* Nothing published yet. */
            if (hd.mono_ns != 0 || hd.tag != UINT32_MAX)
                bad_head++;
        } else if (hd.frames < last_frames || hd.chunk_bytes != hd.chunk_frames * fb ||
                   hd.mono_ns != TT_MONO0 + (int64_t)hd.clock_frame * 1000 ||
                   hd.wall_ns != TT_WALL0 + (int64_t)hd.clock_frame * 1000 ||
                   hd.device_frame != hd.clock_frame + 7 ||
                   hd.frames - hd.clock_frame != TT_PERIOD ||
                   (hd.tag != UINT32_MAX && hd.tag < NT && started[hd.tag] &&
                    hd.frames - hd.chunk_frames != first[hd.tag])) {
            bad_head++;
        }
        last_frames = hd.frames;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(bad_chunk, 0);
    assert_int_equal(bad_head, 0);
    assert_true(heads > 0);
    assert_int_equal(out_pos, (size_t)TT_FRAMES * fb);
    assert_memory_equal(out, in, (size_t)TT_FRAMES * fb);
    reel_cw_head hd;
    reel_cw_read_head(cw, &hd);
    assert_true(hd.frames == TT_FRAMES && hd.overrun_frames == 0);
    assert_true(next_tag >= TT_FRAMES / TT_CHUNK);

    reel_chunk_slot s;
    while (reel_cw_reclaim(cw, &s))
        free(s.base), bufs[s.tag] = NULL;
    for (int i = 0; i < NT; i++)
        assert_null(bufs[i]);
    reel_cw_destroy(cw);
    free(in);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_across_chunks),
        cmocka_unit_test(test_rotation_mid_write_loses_nothing),
        cmocka_unit_test(test_no_chunk_means_pending_silence),
        cmocka_unit_test(test_finish_flushes_owed_silence),
        cmocka_unit_test(test_planar_conversion),
        cmocka_unit_test(test_head_and_clock_values),
        cmocka_unit_test(test_finish_and_reclaim),
        cmocka_unit_test(test_offer_limit_and_create_errors),
        cmocka_unit_test(test_events_keep_order_through_backlog),
        cmocka_unit_test(test_owed_silence_spread_over_calls),
        cmocka_unit_test(test_owed_silence_more_ranges_than_tracked),
        cmocka_unit_test(test_lost_events_are_counted),
        cmocka_unit_test(test_finish_is_idempotent),
        cmocka_unit_test(test_midi_records_and_boundaries),
        cmocka_unit_test(test_midi_overrun_and_limits),
        cmocka_unit_test(test_midi_clock_ticks),
        cmocka_unit_test(test_set_end_exact_length),
        cmocka_unit_test(test_two_threads_ten_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
