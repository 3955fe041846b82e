/*
 * test_smf.c — Standard MIDI Files: the writer, the reader and midi_out.
 *
 * Owns: checks that the chosen timing is exact for any rate, that what the
 * writer writes the reader reads back event for event (tick, frame, bytes),
 * that the reader follows tempo maps, running status, format 1 and SMPTE,
 * that it rejects damaged files without reading outside them, and that
 * midi_out selects records by frame. Must never: depend on the run's clock
 * or leave files behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "media/midi_out.h"
#include "rt/midi_record.h"
#include "media/smf_read.h"
#include "media/smf_write.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int setup(void **state)
{
    return test_tmpdir_setup(state, "test_smf");
}

static int teardown(void **state)
{
    return test_tmpdir_teardown(state);
}

static void path_in(void **state, const char *name, char *out)
{
    snprintf(out, PATH_MAX, "%s/%s", (const char *)*state, name);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- timing -------------------------------------------------------------- */

static void test_timing_is_exact(void **state)
{
    (void)state;
    static const uint32_t rates[] = {1,     7,     1000,  8000,   11025,  16000,  22050,  32000,
                                     44100, 48000, 88200, 96000,  176400, 192000, 384000, 1000000,
                                     3000000, 16384, 32767 * 5};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        reel_smf_timing t;
        assert_int_equal(reel_smf_choose_timing(rates[i], &t, NULL), REEL_OK);
        /* One tick = tempo/ppq us = 1/rate s, in integers. */
        assert_true((uint64_t)t.tempo_us * rates[i] == (uint64_t)t.ppq * 1000000u);
        assert_true(t.ppq >= 1 && t.ppq <= REEL_SMF_MAX_PPQ);
        assert_true(t.tempo_us >= 1 && t.tempo_us <= REEL_SMF_MAX_TEMPO);
    }
    /* The customary pair for 48 kHz. */
    reel_smf_timing t;
    assert_int_equal(reel_smf_choose_timing(48000, &t, NULL), REEL_OK);
    assert_int_equal(t.ppq, 960);
    assert_int_equal(t.tempo_us, 20000);
    /* A prime rate above 32767 has no exact pair. */
    reel_error err = {0};
    assert_int_equal(reel_smf_choose_timing(65537, &t, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, "65537"));
    assert_int_equal(reel_smf_choose_timing(0, &t, NULL), REEL_EINVAL);
}

/* ---- writer -> reader ---------------------------------------------------- */

static void test_bytes_of_a_small_file(void **state)
{
    char path[PATH_MAX];
    path_in(state, "small.mid", path);
    reel_smf_timing t = {.ppq = 960, .tempo_us = 20000};
    reel_smf_writer *w;
    assert_int_equal(reel_smf_create(&w, path, &t, NULL, NULL), REEL_OK);
    const uint8_t on[3] = {0x90, 60, 100};
    assert_int_equal(reel_smf_add(w, 200, on, 3, NULL), REEL_OK);
    assert_int_equal(reel_smf_finish(w, 48000, NULL), REEL_OK);
    const uint8_t want[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x03, 0xc0, /* format 0, 1 track, 960 */
        'M', 'T', 'r', 'k', 0, 0, 0, 18,
        0x00, 0xff, 0x51, 0x03, 0x00, 0x4e, 0x20,              /* tempo 20000 */
        0x81, 0x48, 0x90, 60, 100,                             /* delta 200: note on */
        0x82, 0xf5, 0x38, 0xff, 0x2f, 0x00,                    /* delta 47800: End-of-track */
    };
    size_t len;
    uint8_t *got = slurp(path, &len);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(got, want, sizeof want);
    free(got);
}

typedef struct msg {
    uint64_t tick;
    uint8_t bytes[16];
    uint32_t len;
} msg;

static void test_round_trip_every_kind(void **state)
{
    char path[PATH_MAX];
    path_in(state, "rt.mid", path);
    static const uint32_t rates[] = {48000, 44100, 96000, 22050};
    srand(1234);
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        reel_smf_timing t;
        assert_int_equal(reel_smf_choose_timing(rates[r], &t, NULL), REEL_OK);
        msg m[] = {
            {0, {0x90, 60, 100}, 3},
            {0, {0x80, 60, 0}, 3},                       /* same tick */
            {0, {0xc5, 12}, 2},                          /* program change: 2 bytes */
            {0, {0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7}, 6}, /* sysex */
            {0, {0xf8}, 1},                              /* clock: an F7 escape */
            {0, {0x90, 61}, 2},                          /* malformed: escaped */
            {0, {0xb0, 7, 127}, 3},
            {0, {0xe3, 0x00, 0x40}, 3},
            {0, {0xfa}, 1},
        };
        size_t n = sizeof m / sizeof m[0];
        uint64_t tick = 0;
        for (size_t i = 1; i < n; i++) {
            tick += (uint64_t)(rand() % 100000);
            m[i].tick = tick;
        }
        reel_smf_writer *w;
        assert_int_equal(reel_smf_create(&w, path, &t, "stream://jack/test", NULL), REEL_OK);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(reel_smf_add(w, m[i].tick, m[i].bytes, m[i].len, NULL), REEL_OK);
        uint64_t end = tick + 1 + (uint64_t)(rand() % 1000);
        assert_int_equal(reel_smf_finish(w, end, NULL), REEL_OK);

        reel_smf s;
        reel_error err = {0};
        assert_int_equal(reel_smf_read(path, rates[r], &s, &err), REEL_OK);
        assert_int_equal(s.format, 0);
        assert_int_equal(s.n_tracks, 1);
        assert_int_equal(s.division, t.ppq);
        assert_int_equal(s.n_tempos, 1);
        assert_int_equal(s.tempos[0].tempo_us, t.tempo_us);
        size_t k = 0;
        for (size_t i = 0; i < s.n_events; i++) {
            const reel_smf_event *e = &s.events[i];
            if (e->kind == REEL_SMF_META)
                continue;
            assert_true(k < n);
            assert_int_equal(e->tick, m[k].tick);
            assert_int_equal(e->frame, m[k].tick); /* one tick is one frame */
            assert_int_equal(e->len, m[k].len);
            assert_memory_equal(e->data, m[k].bytes, m[k].len);
            k++;
        }
        assert_int_equal(k, n);
        assert_int_equal(s.end_tick, end);
        assert_int_equal(s.end_frame, end);
        reel_smf_free(&s);
    }
}

static void test_gap_longer_than_a_delta(void **state)
{
    char path[PATH_MAX];
    path_in(state, "gap.mid", path);
    reel_smf_timing t;
    assert_int_equal(reel_smf_choose_timing(48000, &t, NULL), REEL_OK);
    reel_smf_writer *w;
    assert_int_equal(reel_smf_create(&w, path, &t, NULL, NULL), REEL_OK);
    const uint8_t on[3] = {0x91, 64, 1};
    uint64_t far = 2ull * REEL_SMF_MAX_DELTA + 12345;
    assert_int_equal(reel_smf_add(w, far, on, 3, NULL), REEL_OK);
    /* Ticks never go back. */
    assert_int_equal(reel_smf_add(w, far - 1, on, 3, NULL), REEL_EINVAL);
    assert_int_equal(reel_smf_finish(w, far, NULL), REEL_OK);
    reel_smf s;
    assert_int_equal(reel_smf_read(path, 48000, &s, NULL), REEL_OK);
    const reel_smf_event *last = &s.events[s.n_events - 1];
    assert_int_equal(last->kind, REEL_SMF_MIDI);
    assert_int_equal(last->tick, far);
    assert_int_equal(last->frame, far);
    reel_smf_free(&s);
}

static void test_abort_unlinks(void **state)
{
    char path[PATH_MAX];
    path_in(state, "abort.mid", path);
    reel_smf_timing t = {.ppq = 960, .tempo_us = 20000};
    reel_smf_writer *w;
    assert_int_equal(reel_smf_create(&w, path, &t, NULL, NULL), REEL_OK);
    reel_smf_abort(w);
    assert_int_equal(access(path, F_OK), -1);
    t.ppq = 0;
    assert_int_equal(reel_smf_create(&w, path, &t, NULL, NULL), REEL_EINVAL);
    assert_int_equal(access(path, F_OK), -1);
}

/* ---- reader on hand-made files -------------------------------------------- */

/* Format 1: a tempo track (500000, then 250000 at tick 480) and a note
 * track using running status; ppq 480. */
static const uint8_t format1[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 2, 0x01, 0xe0,
    'M', 'T', 'r', 'k', 0, 0, 0, 19,
    0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20,       /* 500000 */
    0x83, 0x60, 0xff, 0x51, 0x03, 0x03, 0xd0, 0x90, /* +480: 250000 */
    0x00, 0xff, 0x2f, 0x00,
    'X', 'Y', 'Z', 'W', 0, 0, 0, 2, 0xaa, 0xbb,     /* an unknown chunk: skipped */
    'M', 'T', 'r', 'k', 0, 0, 0, 19,
    0x00, 0x90, 60, 100,                            /* tick 0 */
    0x83, 0x60, 62, 100,                            /* tick 480, running status */
    0x83, 0x60, 64, 0,                              /* tick 960 */
    0x00, 0xc1, 5,                                  /* tick 960 program change */
    0x00, 0xff, 0x2f, 0x00,
};

static void test_format1_tempo_map(void **state)
{
    (void)state;
    reel_smf s;
    reel_error err = {0};
    assert_int_equal(reel_smf_parse(format1, sizeof format1, 48000, &s, &err), REEL_OK);
    assert_int_equal(s.format, 1);
    assert_int_equal(s.n_tracks, 2);
    assert_int_equal(s.n_tempos, 2);
    /* ticks and frames of the four channel messages */
    const uint64_t ticks[] = {0, 480, 960, 960};
    const uint8_t notes[][3] = {{0x90, 60, 100}, {0x90, 62, 100}, {0x90, 64, 0}, {0xc1, 5, 0}};
    size_t k = 0;
    for (size_t i = 0; i < s.n_events; i++) {
        const reel_smf_event *e = &s.events[i];
        if (e->kind != REEL_SMF_MIDI)
            continue;
        assert_int_equal(e->track, 1);
        assert_int_equal(e->tick, ticks[k]);
        /* 480 ticks at 500000 us/quarter = 0.5 s; then 250000 us/quarter. */
        uint64_t us = e->tick <= 480 ? e->tick * 500000 / 480
                                     : 500000 + (e->tick - 480) * 250000 / 480;
        assert_int_equal(e->frame, us * 48000 / 1000000);
        assert_int_equal(e->len, notes[k][0] == 0xc1 ? 2 : 3);
        assert_memory_equal(e->data, notes[k], e->len);
        k++;
    }
    assert_int_equal(k, 4);
    assert_int_equal(s.end_tick, 960);
    assert_int_equal(s.end_frame, 36000);
    reel_smf_free(&s);
}

static void test_smpte_division(void **state)
{
    (void)state;
    /* 25 fps x 40 ticks per frame = 1000 ticks per second. */
    const uint8_t f[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0xe7, 40,
        'M', 'T', 'r', 'k', 0, 0, 0, 8,
        0x87, 0x68, 0x90, 60, 1, /* tick 1000 */
        0x00, 0xff, 0x2f,        /* End-of-track without its length byte: corrupt */
    };
    reel_smf s;
    assert_int_equal(reel_smf_parse(f, sizeof f, 48000, &s, NULL), REEL_ECORRUPT);
    uint8_t g[sizeof f + 1];
    memcpy(g, f, sizeof f);
    g[sizeof f] = 0;
    g[21] = 9;
    assert_int_equal(reel_smf_parse(g, sizeof g, 48000, &s, NULL), REEL_OK);
    assert_int_equal(s.n_events, 1);
    assert_int_equal(s.events[0].tick, 1000);
    assert_int_equal(s.events[0].frame, 48000);
    reel_smf_free(&s);
}

static void test_every_truncation_is_rejected(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof format1; n++) {
        /* A copy of exactly n bytes, so ASan sees any read past it. */
        uint8_t *b = malloc(n ? n : 1);
        memcpy(b, format1, n);
        reel_smf s;
        reel_error err = {0};
        int rc = reel_smf_parse(b, n, 48000, &s, &err);
        assert_int_equal(rc, REEL_ECORRUPT);
        assert_null(strchr(err.msg, '\n'));
        assert_null(s.events);
        free(b);
    }
}

static void expect_bad(const uint8_t *track, size_t n, int want, const char *word)
{
    uint8_t b[256] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0,
                      'M', 'T', 'r', 'k', 0, 0, 0, (uint8_t)n};
    memcpy(b + 22, track, n);
    reel_smf s;
    reel_error err = {0};
    assert_int_equal(reel_smf_parse(b, 22 + n, 48000, &s, &err), want);
    if (word && !strstr(err.msg, word))
        fail_msg("'%s' does not say '%s'", err.msg, word);
}

static void test_bad_tracks(void **state)
{
    (void)state;
    const uint8_t no_status[] = {0x00, 0x3c, 0x40};
    expect_bad(no_status, sizeof no_status, REEL_ECORRUPT, "without status");
    const uint8_t realtime[] = {0x00, 0xf8};
    expect_bad(realtime, sizeof realtime, REEL_ECORRUPT, "0xf8");
    const uint8_t long_vlq[] = {0x80, 0x80, 0x80, 0x80, 0x00, 0x90, 1, 1};
    expect_bad(long_vlq, sizeof long_vlq, REEL_ECORRUPT, "4 bytes");
    const uint8_t bad_tempo[] = {0x00, 0xff, 0x51, 0x02, 0x01, 0x02};
    expect_bad(bad_tempo, sizeof bad_tempo, REEL_ECORRUPT, "tempo");
    const uint8_t zero_tempo[] = {0x00, 0xff, 0x51, 0x03, 0, 0, 0};
    expect_bad(zero_tempo, sizeof zero_tempo, REEL_ECORRUPT, "tempo");
    const uint8_t huge_sysex[] = {0x00, 0xf0, 0x8f, 0xff, 0xff, 0x7f, 0xf7};
    expect_bad(huge_sysex, sizeof huge_sysex, REEL_ECORRUPT, "past");
    const uint8_t data_hi[] = {0x00, 0x90, 0x3c, 0x80};
    expect_bad(data_hi, sizeof data_hi, REEL_ECORRUPT, "data bytes");
    /* Running status does not survive a meta event (SMF 1.0). */
    const uint8_t rs_meta[] = {0x00, 0x90, 60, 1, 0x00, 0xff, 0x01, 0x00, 0x00, 61, 1};
    expect_bad(rs_meta, sizeof rs_meta, REEL_ECORRUPT, "without status");
    /* Headers. */
    uint8_t h[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 2, 0, 1, 0x01, 0xe0};
    reel_smf s;
    assert_int_equal(reel_smf_parse(h, sizeof h, 48000, &s, NULL), REEL_EFORMAT);
    h[9] = 0, h[11] = 2; /* format 0 with two tracks */
    assert_int_equal(reel_smf_parse(h, sizeof h, 48000, &s, NULL), REEL_ECORRUPT);
    h[11] = 1, h[12] = 0, h[13] = 0; /* division 0 */
    assert_int_equal(reel_smf_parse(h, sizeof h, 48000, &s, NULL), REEL_ECORRUPT);
    h[12] = 0xe6, h[13] = 1; /* -26 fps */
    assert_int_equal(reel_smf_parse(h, sizeof h, 48000, &s, NULL), REEL_ECORRUPT);
    h[7] = 200; /* header longer than the file */
    assert_int_equal(reel_smf_parse(h, sizeof h, 48000, &s, NULL), REEL_ECORRUPT);
}

/* ---- midi_out: records in, a window out ------------------------------------ */

static size_t records(uint8_t *buf, const uint64_t *frames, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t d[3] = {0x90, (uint8_t)(40 + i), (uint8_t)(10 + i)};
        reel_midi_event ev = {.frame = frames[i], .wall_ns = (int64_t)i * 7, .len = 3, .data = d};
        off += reel_midi_record_encode(buf + off, 4096 - off, &ev);
    }
    return off;
}

static void test_midi_out_selects_by_frame(void **state)
{
    char mid[PATH_MAX], raw[PATH_MAX];
    path_in(state, "win.mid", mid);
    path_in(state, "win.raw", raw);
    const uint64_t frames[] = {100, 199, 200, 200, 350, 399, 400, 1000};
    uint8_t buf[4096];
    size_t len = records(buf, frames, 8);
    size_t half = reel_midi_record_size(3) * 3; /* two runs, as from two chunks */
    const uint64_t from = 200, to = 400;

    reel_midi_out *mo;
    assert_int_equal(reel_midi_out_open(&mo, mid, REEL_OUT_MID, 48000, from, to, "s", NULL),
                     REEL_OK);
    assert_int_equal(reel_midi_out_write(mo, buf, half, NULL), REEL_OK);
    assert_int_equal(reel_midi_out_write(mo, buf + half, len - half, NULL), REEL_OK);
    assert_int_equal(reel_midi_out_events(mo), 4);
    assert_int_equal(reel_midi_out_close(mo, NULL), REEL_OK);
    reel_smf s;
    assert_int_equal(reel_smf_read(mid, 48000, &s, NULL), REEL_OK);
    size_t k = 0;
    for (size_t i = 0; i < 8; i++) {
        if (frames[i] < from || frames[i] >= to)
            continue;
        while (k < s.n_events && s.events[k].kind == REEL_SMF_META)
            k++;
        assert_true(k < s.n_events);
        assert_int_equal(s.events[k].tick, frames[i] - from);
        assert_int_equal(s.events[k].data[1], 40 + i);
        assert_int_equal(s.events[k].data[2], 10 + i);
        k++;
    }
    assert_int_equal(s.end_tick, to - from);
    reel_smf_free(&s);

    /* Raw: the selected records, byte for byte. */
    assert_int_equal(reel_midi_out_open(&mo, raw, REEL_OUT_RAW, 48000, from, to, NULL, NULL),
                     REEL_OK);
    assert_int_equal(reel_midi_out_write(mo, buf, len, NULL), REEL_OK);
    assert_int_equal(reel_midi_out_close(mo, NULL), REEL_OK);
    size_t rlen;
    uint8_t *got = slurp(raw, &rlen);
    size_t rs = reel_midi_record_size(3);
    assert_int_equal(rlen, 4 * rs);
    assert_memory_equal(got, buf + 2 * rs, 4 * rs);
    free(got);

    /* Records that go back in time, or do not decode, are corrupt. */
    const uint64_t back[] = {300, 250};
    len = records(buf, back, 2);
    assert_int_equal(reel_midi_out_open(&mo, mid, REEL_OUT_MID, 48000, from, to, NULL, NULL),
                     REEL_OK);
    assert_int_equal(reel_midi_out_write(mo, buf, len, NULL), REEL_ECORRUPT);
    assert_int_equal(reel_midi_out_write(mo, buf, 5, NULL), REEL_ECORRUPT);
    reel_midi_out_abort(mo);
    assert_int_equal(access(mid, F_OK), -1);
    assert_int_equal(reel_midi_out_open(&mo, mid, REEL_OUT_WAV, 48000, from, to, NULL, NULL),
                     REEL_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timing_is_exact),
        cmocka_unit_test(test_bytes_of_a_small_file),
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_gap_longer_than_a_delta),
        cmocka_unit_test(test_abort_unlinks),
        cmocka_unit_test(test_format1_tempo_map),
        cmocka_unit_test(test_smpte_division),
        cmocka_unit_test(test_every_truncation_is_rejected),
        cmocka_unit_test(test_bad_tracks),
        cmocka_unit_test(test_midi_out_selects_by_frame),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
