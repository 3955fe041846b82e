/*
 * test_moment_detect.c — the activity detector on synthetic signals:
 * threshold, hysteresis, hold, peak level, sample formats, gaps, feeding in
 * arbitrary pieces, and MIDI bursts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/moment_detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define MAXM 64

typedef struct got {
    reel_detected m[MAXM];
    size_t n;
} got;

static void collect(void *ud, const reel_detected *d)
{
    got *g = ud;
    assert_true(g->n < MAXM);
    g->m[g->n++] = *d;
}

static double db_to_amp(double db)
{
    return pow(10.0, db / 20.0);
}

/* A mono float signal: segments of (frames, amplitude dB or -inf for
 * silence) of a 440 Hz sine whose phase runs on across segments. */
typedef struct seg {
    size_t frames;
    double db; /* < -200: silence */
} seg;

static float *synth(const seg *s, size_t n, size_t *total)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += s[i].frames;
    float *x = calloc(len ? len : 1, sizeof *x);
    assert_non_null(x);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s[i].frames; j++, k++)
            x[k] = s[i].db < -200 ? 0.0f
                                  : (float)(db_to_amp(s[i].db) * sin(2 * M_PI * 440.0 * k / RATE));
    *total = len;
    return x;
}

static void init(reel_detector *d, got *g, const reel_trigger_opts *o, reel_sample_format fmt,
                 uint32_t ch)
{
    memset(g, 0, sizeof *g);
    reel_error err;
    assert_int_equal(reel_detector_init(d, o, RATE, fmt, ch, collect, g, &err), REEL_OK);
}

static void run_f32(const reel_trigger_opts *o, const float *x, size_t n, size_t piece, got *g)
{
    reel_detector d;
    init(&d, g, o, REEL_SAMPLE_F32, 1);
    for (size_t i = 0; i < n; i += piece) {
        size_t m = n - i < piece ? n - i : piece;
        reel_detector_audio(&d, i, (const uint8_t *)(x + i), m);
    }
    reel_detector_flush(&d);
}

/* The first frame whose magnitude reaches the threshold. */
static size_t first_above(const float *x, size_t n, double db)
{
    float on = powf(10.0f, (float)db / 20.0f);
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) >= on)
            return i;
    return SIZE_MAX;
}

static void test_silence_then_tone(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[] = {{RATE, -999}, {RATE, -12}, {RATE / 2, -999}};
    size_t n;
    float *x = synth(s, 3, &n);
    got g;
    run_f32(&o, x, n, 4096, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].kind, REEL_MOMENT_LEVEL);
    /* The onset is the first loud sample: inside the tone's first cycle. */
    assert_int_equal(g.m[0].frame, first_above(x, n, -30.0));
    assert_true(g.m[0].frame >= RATE && g.m[0].frame < RATE + RATE / 440);
    assert_true(fabs(g.m[0].level_db - -12.0) < 0.05);
    free(x);
}

static void test_below_threshold_is_nothing(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[] = {{RATE, -31}, {RATE, -999}};
    size_t n;
    float *x = synth(s, 2, &n);
    got g;
    run_f32(&o, x, n, 1000, &g);
    assert_int_equal(g.n, 0);
    o.level_db = -32.0; /* now it is loud enough */
    run_f32(&o, x, n, 1000, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].frame, first_above(x, n, -32.0));
    free(x);
}

/* Beeps of 50 ms every 500 ms: one moment per beep, at its first loud
 * frame, however the frames are cut into calls. */
static void test_beeps_one_moment_each(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[16];
    for (int i = 0; i < 8; i++) {
        s[2 * i] = (seg){RATE / 20, -6};
        s[2 * i + 1] = (seg){RATE * 9 / 20, -999};
    }
    size_t n;
    float *x = synth(s, 16, &n);
    static const size_t pieces[] = {1, 7, 256, 257, 4800, 1 << 20};
    got ref;
    run_f32(&o, x, n, pieces[0], &ref);
    assert_int_equal(ref.n, 8);
    for (size_t i = 0; i < 8; i++) {
        size_t beep = i * RATE / 2;
        assert_int_equal(ref.m[i].frame, beep + first_above(x + beep, n - beep, -30.0));
        assert_true(fabs(ref.m[i].level_db - -6.0) < 0.05);
    }
    for (size_t p = 1; p < sizeof pieces / sizeof pieces[0]; p++) {
        got g;
        run_f32(&o, x, n, pieces[p], &g);
        assert_int_equal(g.n, ref.n);
        for (size_t i = 0; i < g.n; i++) {
            assert_int_equal(g.m[i].frame, ref.m[i].frame);
            assert_true(g.m[i].level_db == ref.m[i].level_db);
        }
    }
    free(x);
}

/* Hold: beeps closer together than the hold are one event; the next
 * moment needs hold_ns of quiet first. */
static void test_hold_merges_close_beeps(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o); /* hold 250 ms */
    seg s[] = {{RATE / 20, -6}, {RATE / 10, -999}, {RATE / 20, -6}, {RATE / 10, -999},
               {RATE / 20, -6}, {RATE * 3 / 10, -999}, {RATE / 20, -6}, {RATE / 2, -999}};
    size_t n;
    float *x = synth(s, 8, &n);
    got g;
    run_f32(&o, x, n, 512, &g);
    /* Three beeps 150 ms apart are one moment; 300 ms of quiet re-arms. */
    assert_int_equal(g.n, 2);
    assert_int_equal(g.m[0].frame, first_above(x, n, -30.0));
    size_t fourth = RATE / 20 * 3 + RATE / 10 * 2 + RATE * 3 / 10;
    assert_int_equal(g.m[1].frame, fourth + first_above(x + fourth, n - fourth, -30.0));
    o.hold_ns = 80000000LL; /* 80 ms: every beep counts */
    run_f32(&o, x, n, 512, &g);
    assert_int_equal(g.n, 4);
    free(x);
}

/* Hysteresis: dips below the threshold but above threshold - hysteresis
 * do not end the event; dips below that, held long enough, do. */
static void test_hysteresis(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o); /* -30 dB, off at -36 dB */
    seg s[] = {{RATE / 2, -25}, {RATE / 2, -34}, {RATE / 2, -25}, {RATE / 2, -34},
               {RATE / 2, -25}};
    size_t n;
    float *x = synth(s, 5, &n);
    got g;
    run_f32(&o, x, n, 999, &g);
    assert_int_equal(g.n, 1);
    o.hysteresis_db = 2.0; /* off at -32 dB: each -34 dB stretch ends the event */
    run_f32(&o, x, n, 999, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.m[1].frame, RATE + first_above(x + RATE, n - RATE, -30.0));
    /* Long active stretches take the block path; frame by frame must agree. */
    static const size_t pieces[] = {1, 255, 1 << 20};
    for (size_t p = 0; p < 3; p++) {
        got h;
        run_f32(&o, x, n, pieces[p], &h);
        assert_int_equal(h.n, g.n);
        for (size_t i = 0; i < h.n; i++)
            assert_int_equal(h.m[i].frame, g.m[i].frame);
    }
    free(x);
}

/* A tone cut off 10 ms after its onset by the end of the stream is
 * reported at the flush, with the peak seen so far. */
static void test_flush_reports_pending(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[] = {{RATE, -999}, {RATE / 100, -10}};
    size_t n;
    float *x = synth(s, 2, &n);
    got g;
    reel_detector d;
    init(&d, &g, &o, REEL_SAMPLE_F32, 1);
    reel_detector_audio(&d, 0, (const uint8_t *)x, n);
    assert_int_equal(g.n, 0);
    reel_detector_flush(&d);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].frame, first_above(x, n, -30.0));
    free(x);
}

/* i16 and i24, stereo with the signal on the right channel only. */
static void test_integer_formats(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[] = {{RATE / 4, -999}, {RATE / 4, -20}, {RATE / 2, -999}};
    size_t n;
    float *x = synth(s, 3, &n);
    size_t want = first_above(x, n, -30.0);
    uint8_t *b16 = calloc(n, 4), *b24 = calloc(n, 6);
    assert_non_null(b16);
    assert_non_null(b24);
    for (size_t i = 0; i < n; i++) {
        int16_t v16 = (int16_t)lrintf(x[i] * 32767.0f);
        memcpy(b16 + i * 4 + 2, &v16, 2);
        int32_t v24 = (int32_t)lrintf(x[i] * 8388607.0f);
        b24[i * 6 + 3] = (uint8_t)v24;
        b24[i * 6 + 4] = (uint8_t)(v24 >> 8);
        b24[i * 6 + 5] = (uint8_t)(v24 >> 16);
    }
    reel_detector d;
    got g;
    init(&d, &g, &o, REEL_SAMPLE_I16, 2);
    reel_detector_audio(&d, 0, b16, n);
    reel_detector_flush(&d);
    assert_int_equal(g.n, 1);
    assert_true(g.m[0].frame + 1 >= want && g.m[0].frame <= want + 1); /* quantisation */
    assert_true(fabs(g.m[0].level_db - -20.0) < 0.05);
    init(&d, &g, &o, REEL_SAMPLE_I24, 2);
    reel_detector_audio(&d, 0, b24, n);
    reel_detector_flush(&d);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].frame, want);
    free(b16);
    free(b24);
    free(x);
}

/* A gap in the frames (a resumed stream) counts as silence; frames fed
 * twice are not seen twice. */
static void test_gap_and_overlap(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o);
    seg s[] = {{RATE / 10, -6}};
    size_t n;
    float *x = synth(s, 1, &n);
    reel_detector d;
    got g;
    init(&d, &g, &o, REEL_SAMPLE_F32, 1);
    reel_detector_audio(&d, 1000, (const uint8_t *)x, n);
    reel_detector_audio(&d, 1000, (const uint8_t *)x, n); /* again: ignored */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].frame, 1000 + first_above(x, n, -30.0));
    /* 0.5 s later (a gap longer than the hold) the same tone is new. */
    reel_detector_audio(&d, 1000 + n + RATE / 2, (const uint8_t *)x, n);
    /* Right after it (no gap), it is the same event going on. */
    reel_detector_audio(&d, 1000 + 2 * n + RATE / 2, (const uint8_t *)x, n);
    reel_detector_flush(&d);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.m[1].frame, 1000 + n + RATE / 2 + first_above(x, n, -30.0));
    free(x);
}

static void test_midi_bursts(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_trigger_opts_default(&o); /* hold 250 ms = 12000 frames */
    reel_detector d;
    got g;
    init(&d, &g, &o, REEL_SAMPLE_F32, 0);
    const uint8_t on[3] = {0x90, 60, 100}, off[3] = {0x80, 60, 0}, clk[1] = {0xF8};
    /* MIDI clock all along: never activity, and it does not join bursts. */
    for (uint64_t f = 0; f < 5 * RATE; f += 1000)
        reel_detector_midi(&d, f, clk, 1);
    /* A chord and its release within the hold: one burst. */
    reel_detector_midi(&d, 48000, on, 3);
    reel_detector_midi(&d, 48010, on, 3);
    reel_detector_midi(&d, 50000, off, 3);
    /* 11999 frames later: still the same burst; then a gap of the hold. */
    reel_detector_midi(&d, 61999, on, 3);
    reel_detector_midi(&d, 61999 + 12000, on, 3);
    reel_detector_midi(&d, 200000, off, 3);
    reel_detector_flush(&d);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.m[0].kind, REEL_MOMENT_MIDI);
    assert_int_equal(g.m[0].frame, 48000);
    assert_int_equal(g.m[1].frame, 73999);
    assert_int_equal(g.m[2].frame, 200000);
    assert_true(isnan(g.m[0].level_db));
    /* Audio frames do nothing to MIDI detection and vice versa. */
    o.midi = false;
    init(&d, &g, &o, REEL_SAMPLE_F32, 0);
    reel_detector_midi(&d, 0, on, 3);
    assert_int_equal(g.n, 0);
}

static void test_options_checked(void **state)
{
    (void)state;
    reel_trigger_opts o;
    reel_error err;
    reel_detector d;
    reel_trigger_opts_default(&o);
    assert_int_equal(reel_trigger_opts_validate(&o, &err), REEL_OK);
    o.level_db = 3.0;
    assert_int_equal(reel_trigger_opts_validate(&o, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "dBFS"));
    o.level_db = NAN;
    assert_int_equal(reel_trigger_opts_validate(&o, &err), REEL_EINVAL);
    reel_trigger_opts_default(&o);
    o.hold_ns = 0;
    assert_int_equal(reel_trigger_opts_validate(&o, &err), REEL_EINVAL);
    reel_trigger_opts_default(&o);
    o.hysteresis_db = -1;
    assert_int_equal(reel_trigger_opts_validate(&o, &err), REEL_EINVAL);
    reel_trigger_opts_default(&o);
    assert_int_equal(reel_detector_init(&d, &o, 0, REEL_SAMPLE_F32, 1, NULL, NULL, &err),
                     REEL_EINVAL);
    reel_moment_kind k;
    assert_int_equal(reel_moment_kind_parse("midi", &k, &err), REEL_OK);
    assert_int_equal(k, REEL_MOMENT_MIDI);
    assert_int_equal(reel_moment_kind_parse("loud", &k, &err), REEL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silence_then_tone),
        cmocka_unit_test(test_below_threshold_is_nothing),
        cmocka_unit_test(test_beeps_one_moment_each),
        cmocka_unit_test(test_hold_merges_close_beeps),
        cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_flush_reports_pending),
        cmocka_unit_test(test_integer_formats),
        cmocka_unit_test(test_gap_and_overlap),
        cmocka_unit_test(test_midi_bursts),
        cmocka_unit_test(test_options_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
