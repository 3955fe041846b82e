/*
 * test_tempo.c — unit tests for time/tempo.c: a three-segment map at 44.1
 * and 48 kHz checked against values computed by hand (the arithmetic is in
 * the comments), at, just before and just after every boundary; round
 * trips; bars|beats; every refusal of the JSON parser; the rounding rule.
 *
 * Owns: the tempo map's numbers as examples. Must never: derive an expected
 * value from the code under test (every literal below is hand-computed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "time/tempo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The map of every test:
 *   seg 0: beat 0,  120 bpm 4/4: 0.5 s per quarter, bars of 4 quarters (bars 1-4)
 *   seg 1: beat 16,  90 bpm 3/4: 2/3 s per quarter, bars of 3 quarters (bars 5-8)
 *   seg 2: beat 28, 140 bpm 7/8: 3/7 s per quarter, bars of 3.5 quarters (bars 9-)
 * Segment starts: beat 16 = 16 * 0.5 = 8 s; beat 28 = 8 + 12 * 2/3 = 16 s. */
static const char *MAP3 =
    "[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 4},"
    " {\"beat\": 16, \"bpm\": 90, \"num\": 3, \"den\": 4},"
    " {\"beat\": 28, \"bpm\": 140, \"num\": 7, \"den\": 8}]";

/* ---- helpers ------------------------------------------------------------ */

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
    return j;
}

static void load(const char *text, reel_tempo_map *m)
{
    json_t *j = parse_json(text);
    reel_error err = {0};
    int rc = reel_tempo_map_from_json(j, m, &err);
    json_decref(j);
    if (rc != REEL_OK)
        fail_msg("map refused: %s", err.msg);
}

static reel_tempo_map *map3(void)
{
    reel_tempo_map *m = malloc(sizeof *m);
    assert_non_null(m);
    load(MAP3, m);
    return m;
}

/* Refused with REEL_EINVAL, one line containing `needle`; *m unchanged. */
static void refuse_json(json_t *j, const char *needle)
{
    reel_tempo_map *m = malloc(sizeof *m);
    assert_non_null(m);
    reel_tempo_map_default(m);
    m->seg[0].bpm = 77; /* a marker: a failed parse must not write the map */
    reel_error err = {0};
    int rc = reel_tempo_map_from_json(j, m, &err);
    if (rc != REEL_EINVAL)
        fail_msg("accepted (rc %d), want EINVAL with \"%s\"", rc, needle);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_true(strlen(err.msg) > 0);
    assert_null(strchr(err.msg, '\n'));
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    assert_int_equal(m->n, 1);
    assert_true(m->seg[0].bpm == 77);
    free(m);
}

static void refuse(const char *text, const char *needle)
{
    json_t *j = parse_json(text);
    refuse_json(j, needle);
    json_decref(j);
}

#define assert_near(a, b, tol)                                                           \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!(fabs(a_ - b_) <= (tol)))                                                   \
            fail_msg("%s = %.17g, want %.17g (+- %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

#define B2F(m, b, r) reel_tempo_beats_to_frames((m), (b), (r))

/* ---- the map ------------------------------------------------------------ */

static void test_default(void **state)
{
    (void)state;
    reel_tempo_map m;
    reel_tempo_map_default(&m);
    assert_int_equal(m.n, 1);
    assert_true(m.seg[0].beat == 0 && m.seg[0].bpm == 120);
    assert_int_equal(m.seg[0].num, 4);
    assert_int_equal(m.seg[0].den, 4);
    /* 1 beat at 120 bpm = 0.5 s = 24000 frames at 48 kHz */
    assert_int_equal(B2F(&m, 1, 48000), 24000);
    assert_true(reel_tempo_beats_to_seconds(&m, 1) == 0.5);
}

static void test_start_seconds(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    assert_int_equal(m->n, 3);
    assert_true(m->start_s[0] == 0);
    assert_true(m->start_s[1] == 8);  /* 16 * 0.5 */
    assert_true(m->start_s[2] == 16); /* 8 + 12 * 2/3 */
    free(m);
}

/* ---- beats -> frames at and around every boundary ------------------------ */

static void test_beats_to_frames_44100(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    const uint32_t r = 44100;
    assert_int_equal(B2F(m, 0, r), 0);
    /* before beat 0, 120 bpm extends backwards: -1 beat = -0.5 s = -22050 */
    assert_int_equal(B2F(m, -1, r), -22050);
    /* -0.001 beat = -0.0005 s = -22.05 frames -> -22 */
    assert_int_equal(B2F(m, -0.001, r), -22);
    /* 15.999 beats = 7.9995 s = 352777.95 frames -> 352778 */
    assert_int_equal(B2F(m, 15.999, r), 352778);
    /* beat 16 = 8 s = 352800 */
    assert_int_equal(B2F(m, 16, r), 352800);
    /* 16.001 = 8 s + 0.001 * 2/3 s; 0.001 * 2/3 * 44100 = 29.4 -> 352829 */
    assert_int_equal(B2F(m, 16.001, r), 352829);
    /* 27.999 = 16 s - 0.001 * 2/3 s -> 705600 - 29.4 = 705570.6 -> 705571 */
    assert_int_equal(B2F(m, 27.999, r), 705571);
    /* beat 28 = 16 s = 705600 */
    assert_int_equal(B2F(m, 28, r), 705600);
    /* 28.001 = 16 s + 0.001 * 3/7 s; 0.001 * 3/7 * 44100 = 18.9 -> 705619 */
    assert_int_equal(B2F(m, 28.001, r), 705619);
    /* beat 35 = 16 + 7 * 3/7 = 19 s = 837900 */
    assert_int_equal(B2F(m, 35, r), 837900);
    free(m);
}

static void test_beats_to_frames_48000(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    const uint32_t r = 48000;
    assert_int_equal(B2F(m, 0, r), 0);
    assert_int_equal(B2F(m, -1, r), -24000);   /* -0.5 s */
    assert_int_equal(B2F(m, -0.001, r), -24);  /* -0.0005 s * 48000 = -24 */
    assert_int_equal(B2F(m, 15.999, r), 383976); /* 7.9995 s * 48000 = 383976 */
    assert_int_equal(B2F(m, 16, r), 384000);   /* 8 s */
    /* 0.001 * 2/3 s * 48000 = 32 */
    assert_int_equal(B2F(m, 16.001, r), 384032);
    assert_int_equal(B2F(m, 27.999, r), 767968); /* 768000 - 32 */
    assert_int_equal(B2F(m, 28, r), 768000);   /* 16 s */
    /* 0.001 * 3/7 s * 48000 = 20.571 -> 768021 */
    assert_int_equal(B2F(m, 28.001, r), 768021);
    assert_int_equal(B2F(m, 35, r), 912000);   /* 19 s */
    free(m);
}

/* ---- frames -> beats at boundary +- 1 frame ------------------------------ */

static void test_frames_to_beats(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    const double tol = 1e-12;
    /* 44.1 kHz: seg 0 is 2 beats/s, so frame f is f / 22050 beats */
    assert_near(reel_tempo_frames_to_beats(m, 352799, 44100), 352799.0 / 22050, tol);
    assert_near(reel_tempo_frames_to_beats(m, 352800, 44100), 16, tol);
    /* seg 1 is 1.5 beats/s: one frame past 8 s is 16 + 1.5/44100 = 16 + 1/29400 */
    assert_near(reel_tempo_frames_to_beats(m, 352801, 44100), 16 + 1.0 / 29400, tol);
    assert_near(reel_tempo_frames_to_beats(m, 705599, 44100), 28 - 1.0 / 29400, tol);
    assert_near(reel_tempo_frames_to_beats(m, 705600, 44100), 28, tol);
    /* seg 2 is 7/3 beats/s: 28 + (7/3)/44100 = 28 + 1/18900 */
    assert_near(reel_tempo_frames_to_beats(m, 705601, 44100), 28 + 1.0 / 18900, tol);
    assert_near(reel_tempo_frames_to_beats(m, -22050, 44100), -1, tol);
    /* 48 kHz: 16 - 2/48000 = 16 - 1/24000; 16 + 1.5/48000 = 16 + 1/32000 */
    assert_near(reel_tempo_frames_to_beats(m, 383999, 48000), 16 - 1.0 / 24000, tol);
    assert_near(reel_tempo_frames_to_beats(m, 384000, 48000), 16, tol);
    assert_near(reel_tempo_frames_to_beats(m, 384001, 48000), 16 + 1.0 / 32000, tol);
    assert_near(reel_tempo_frames_to_beats(m, 767999, 48000), 28 - 1.0 / 32000, tol);
    assert_near(reel_tempo_frames_to_beats(m, 768000, 48000), 28, tol);
    /* 28 + (7/3)/48000 = 28 + 7/144000 */
    assert_near(reel_tempo_frames_to_beats(m, 768001, 48000), 28 + 7.0 / 144000, tol);
    assert_near(reel_tempo_frames_to_beats(m, 912000, 48000), 35, tol);
    free(m);
}

static void test_seconds_beats(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    const double tol = 1e-12;
    assert_near(reel_tempo_beats_to_seconds(m, 16), 8, 0);
    assert_near(reel_tempo_beats_to_seconds(m, 28), 16, 0);
    assert_near(reel_tempo_beats_to_seconds(m, 35), 19, tol);
    assert_near(reel_tempo_beats_to_seconds(m, 22), 12, tol); /* 8 + 6 * 2/3 */
    assert_near(reel_tempo_beats_to_seconds(m, -2), -1, 0);
    assert_near(reel_tempo_seconds_to_beats(m, 8), 16, 0);
    assert_near(reel_tempo_seconds_to_beats(m, 16), 28, 0);
    assert_near(reel_tempo_seconds_to_beats(m, 19), 35, tol);
    assert_near(reel_tempo_seconds_to_beats(m, 12), 22, tol);
    assert_near(reel_tempo_seconds_to_beats(m, -1), -2, 0);
    assert_near(reel_tempo_seconds_to_beats(m, 7.9995), 15.999, tol);
    free(m);
}

/* Every frame near a boundary, and a sweep of positions: the frame is the
 * nearest one to the exact time, and the round trips close. */
static void test_round_trips(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    const uint32_t rates[] = {44100, 48000};
    for (size_t k = 0; k < 2; k++) {
        uint32_t r = rates[k];
        /* frames -> beats -> frames is the identity around each boundary */
        const int64_t centres[] = {0, 8 * (int64_t)r, 16 * (int64_t)r, 19 * (int64_t)r};
        for (size_t c = 0; c < 4; c++)
            for (int64_t f = centres[c] - 50; f <= centres[c] + 50; f++) {
                double b = reel_tempo_frames_to_beats(m, f, r);
                if (B2F(m, b, r) != f)
                    fail_msg("frame %lld at %u Hz -> beat %.17g -> frame %lld", (long long)f, r,
                             b, (long long)B2F(m, b, r));
            }
        /* beats -> frames -> beats within half a frame, frames monotonic */
        int64_t last = INT64_MIN;
        for (int i = -2000; i <= 40000; i++) {
            double b = i * 0.00137;
            int64_t f = B2F(m, b, r);
            double s = reel_tempo_beats_to_seconds(m, b);
            double back = reel_tempo_frames_to_beats(m, f, r);
            if (!(fabs((double)f / r - s) <= 0.5 / r + 1e-12))
                fail_msg("beat %.17g: frame %lld is not the nearest to %.17g s", b, (long long)f,
                         s);
            /* half a frame at the fastest tempo (140 bpm) in beats */
            if (!(fabs(back - b) <= 0.5 / r * 140 / 60 + 1e-12))
                fail_msg("beat %.17g -> frame %lld -> beat %.17g", b, (long long)f, back);
            if (!(fabs(reel_tempo_beats_to_seconds(m, back) - (double)f / r) <= 1e-12))
                fail_msg("frame %lld: beat %.17g is not its time", (long long)f, back);
            assert_true(f >= last);
            last = f;
        }
    }
    free(m);
}

/* ---- the rounding rule -------------------------------------------------- */

static void test_rounding_rule(void **state)
{
    (void)state;
    /* halves toward +infinity */
    assert_int_equal(reel_tempo_seconds_to_frames(1.5 / 48000, 48000), 2);
    assert_int_equal(reel_tempo_seconds_to_frames(2.5 / 48000, 48000), 3);
    assert_int_equal(reel_tempo_seconds_to_frames(-1.5 / 48000, 48000), -1);
    assert_int_equal(reel_tempo_seconds_to_frames(-2.5 / 48000, 48000), -2);
    assert_int_equal(reel_tempo_seconds_to_frames(2.4999 / 48000, 48000), 2);
    assert_int_equal(reel_tempo_seconds_to_frames(-2.5001 / 48000, 48000), -3);
    assert_int_equal(reel_tempo_seconds_to_frames(1, 44100), 44100);
    assert_int_equal(reel_tempo_seconds_to_frames(0, 44100), 0);
    /* no number, no frame; past 2^63 saturates */
    assert_int_equal(reel_tempo_seconds_to_frames(NAN, 48000), 0);
    assert_int_equal(reel_tempo_seconds_to_frames(1e300, 48000), INT64_MAX);
    assert_int_equal(reel_tempo_seconds_to_frames(-1e300, 48000), INT64_MIN);
    assert_int_equal(reel_tempo_seconds_to_frames(INFINITY, 48000), INT64_MAX);
    assert_int_equal(reel_tempo_seconds_to_frames(5, 0), 0);
}

/* A boundary whose exact value is a half frame, computed a hair below it:
 * 14 bpm 1/64 (bars of 4/64 = 0.0625 quarter notes), then a segment one bar
 * later. Its start is 0.0625 * 60/14 = 15/56 s; at 44.1 kHz that is
 * 44100 * 15/56 = 661500/56 = 11812.5 frames exactly, which the rule rounds
 * up to 11813, though 15/56 s as a double times 44100 is below the half. */
static void test_boundary_on_half_frame(void **state)
{
    (void)state;
    reel_tempo_map *m = malloc(sizeof *m);
    assert_non_null(m);
    load("[{\"beat\": 0, \"bpm\": 14, \"num\": 1, \"den\": 64},"
         " {\"beat\": 0.0625, \"bpm\": 120, \"num\": 4, \"den\": 4}]",
         m);
    /* the trap is real: naive rounding of the double would give 11812 */
    assert_true((long double)m->start_s[1] * 44100 < 11812.5L);
    assert_int_equal(B2F(m, 0.0625, 44100), 11813);
    assert_int_equal(reel_tempo_seconds_to_frames(m->start_s[1], 44100), 11813);
    /* 48 kHz: 48000 * 15/56 = 12857.14 -> 12857 */
    assert_int_equal(B2F(m, 0.0625, 48000), 12857);
    /* one beat later at 120 bpm: 15/56 + 0.5 s; 44100 * 0.5 = 22050 more */
    assert_int_equal(B2F(m, 1.0625, 44100), 11813 + 22050);
    free(m);
}

/* ---- bars and beats ----------------------------------------------------- */

static void bbt_is(const reel_tempo_map *m, int64_t bar, double beat, double want)
{
    double b = -1;
    reel_error err = {0};
    if (reel_tempo_bbt_to_beats(m, bar, beat, &b, &err) != REEL_OK)
        fail_msg("bar %lld beat %g refused: %s", (long long)bar, beat, err.msg);
    if (fabs(b - want) > 1e-12)
        fail_msg("bar %lld beat %g = %.17g, want %.17g", (long long)bar, beat, b, want);
    /* and back */
    int64_t bar2 = 0;
    double beat2 = 0;
    assert_int_equal(reel_tempo_beats_to_bbt(m, want, &bar2, &beat2), REEL_OK);
    if (bar2 != bar || fabs(beat2 - beat) > 1e-9)
        fail_msg("beat %.17g -> bar %lld beat %.17g, want bar %lld beat %g", want,
                 (long long)bar2, beat2, (long long)bar, beat);
}

static void bbt_bad(const reel_tempo_map *m, int64_t bar, double beat, const char *needle)
{
    double b = -7;
    reel_error err = {0};
    assert_int_equal(reel_tempo_bbt_to_beats(m, bar, beat, &b, &err), REEL_EINVAL);
    assert_null(strchr(err.msg, '\n'));
    if (!strstr(err.msg, needle))
        fail_msg("bar %lld beat %g: message \"%s\" lacks \"%s\"", (long long)bar, beat, err.msg,
                 needle);
    assert_true(b == -7);
}

static void test_bbt(void **state)
{
    (void)state;
    reel_tempo_map *m = map3();
    /* 4/4 from beat 0: bar n starts at 4 (n-1) */
    bbt_is(m, 1, 1, 0);
    bbt_is(m, 2, 1, 4);
    bbt_is(m, 4, 4, 15);
    bbt_is(m, 4, 4.5, 15.5);
    /* 3/4 from beat 16 = bar 5 (16 / 4 = 4 bars before it) */
    bbt_is(m, 5, 1, 16);
    bbt_is(m, 5, 2, 17);
    bbt_is(m, 8, 3, 27);                /* 16 + 3 * 3 + 2 */
    bbt_is(m, 8, 3.999, 27.999);
    /* 7/8 from beat 28 = bar 9 (12 / 3 = 4 bars of 3/4); an eighth is 0.5 */
    bbt_is(m, 9, 1, 28);
    bbt_is(m, 9, 7, 31);                /* 28 + 6 * 0.5 */
    bbt_is(m, 9, 7.5, 31.25);
    bbt_is(m, 10, 1, 31.5);             /* 28 + 3.5 */
    bbt_is(m, 12, 4.5, 40.25);          /* 28 + 3 * 3.5 + 3.5 * 0.5 */

    bbt_bad(m, 0, 1, "bar");
    bbt_bad(m, -1, 1, "bar");
    bbt_bad(m, 1, 0.5, "beat");
    bbt_bad(m, 4, 5, "below 5");        /* 4/4 */
    bbt_bad(m, 5, 4, "below 4");        /* 3/4 */
    bbt_bad(m, 9, 8, "below 8");        /* 7/8 */
    bbt_bad(m, 9, NAN, "beat");
    bbt_bad(m, 9, INFINITY, "beat");
    bbt_bad(m, INT64_MAX, 1, "past");

    int64_t bar = 99;
    double beat = 99;
    assert_int_equal(reel_tempo_beats_to_bbt(m, -0.001, &bar, &beat), REEL_EINVAL);
    assert_int_equal(reel_tempo_beats_to_bbt(m, NAN, &bar, &beat), REEL_EINVAL);
    assert_int_equal(reel_tempo_beats_to_bbt(m, INFINITY, &bar, &beat), REEL_EINVAL);
    assert_true(bar == 99 && beat == 99);
    free(m);
}

/* ---- JSON --------------------------------------------------------------- */

static void test_json_round_trip(void **state)
{
    (void)state;
    const char *docs[] = {
        MAP3,
        "[{\"beat\": 0, \"bpm\": 97.5, \"num\": 7, \"den\": 8},"
        " {\"beat\": 10.5, \"bpm\": 1000, \"num\": 1, \"den\": 64},"
        " {\"beat\": 10.5625, \"bpm\": 0.001, \"num\": 64, \"den\": 1}]",
        "[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 4}]",
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *x = parse_json(docs[i]);
        reel_tempo_map *m = malloc(sizeof *m), *m2 = malloc(sizeof *m2);
        assert_non_null(m);
        assert_non_null(m2);
        reel_error err = {0};
        assert_int_equal(reel_tempo_map_from_json(x, m, &err), REEL_OK);
        json_t *y = reel_tempo_map_to_json(m);
        assert_non_null(y);
        if (!json_equal(x, y)) {
            char *s = json_dumps(y, 0);
            fail_msg("to_json(from_json(x)) = %s, want %s", s, docs[i]);
        }
        assert_int_equal(reel_tempo_map_from_json(y, m2, &err), REEL_OK);
        assert_int_equal(m2->n, m->n);
        assert_memory_equal(m2->seg, m->seg, m->n * sizeof m->seg[0]);
        assert_memory_equal(m2->start_s, m->start_s, m->n * sizeof m->start_s[0]);
        json_decref(x);
        json_decref(y);
        free(m);
        free(m2);
    }
    /* the default map's document */
    reel_tempo_map d;
    reel_tempo_map_default(&d);
    json_t *y = reel_tempo_map_to_json(&d);
    json_t *x = parse_json("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 4}]");
    assert_true(json_equal(x, y));
    json_decref(x);
    json_decref(y);
}

#define SEG0 "{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 4}"

static void test_json_refusals(void **state)
{
    (void)state;
    refuse("{}", "tempo: must be an array");
    refuse("[]", "1 to 1024 segments, got 0");
    refuse("[" SEG0 ", 5]", "tempo[1]: must be an object");
    /* a field missing */
    refuse("[{\"bpm\": 120, \"num\": 4, \"den\": 4}]", "tempo[0].beat: missing");
    refuse("[" SEG0 ", {\"beat\": 16, \"num\": 4, \"den\": 4}]", "tempo[1].bpm: missing");
    refuse("[" SEG0 ", {\"beat\": 16, \"bpm\": 90, \"den\": 4}]", "tempo[1].num: missing");
    refuse("[" SEG0 ", {\"beat\": 16, \"bpm\": 90, \"num\": 4}]", "tempo[1].den: missing");
    /* an unknown key, also one that would break the line */
    refuse("[" SEG0 ", {\"beat\": 16, \"bpm\": 90, \"num\": 4, \"den\": 4, \"swing\": 1}]",
           "tempo[1].swing: unknown field");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 4, \"a\\nb\": 1}]",
           "tempo[0].a?b: unknown field");
    /* wrong types */
    refuse("[{\"beat\": 0, \"bpm\": \"120\", \"num\": 4, \"den\": 4}]",
           "tempo[0].bpm: must be a number");
    refuse("[{\"beat\": null, \"bpm\": 120, \"num\": 4, \"den\": 4}]",
           "tempo[0].beat: must be a number");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4.0, \"den\": 4}]",
           "tempo[0].num: must be an integer");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": true}]",
           "tempo[0].den: must be an integer");
    /* bpm bounds (0, 1000] */
    refuse("[{\"beat\": 0, \"bpm\": 0, \"num\": 4, \"den\": 4}]", "tempo[0].bpm: must be above 0");
    refuse("[{\"beat\": 0, \"bpm\": -5, \"num\": 4, \"den\": 4}]", "tempo[0].bpm");
    refuse("[{\"beat\": 0, \"bpm\": 1000.5, \"num\": 4, \"den\": 4}]", "at most 1000, got 1000.5");
    refuse("[{\"beat\": 0, \"bpm\": 1e300, \"num\": 4, \"den\": 4}]", "tempo[0].bpm");
    /* time signatures */
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 0, \"den\": 4}]",
           "tempo[0].num: must be 1 to 64");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 65, \"den\": 4}]", "tempo[0].num");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 3}]",
           "tempo[0].den: must be a power of two");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 0}]", "tempo[0].den");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 128}]", "tempo[0].den");
    refuse("[{\"beat\": 0, \"bpm\": 120, \"num\": 4, \"den\": 12}]",
           "tempo[0].den: must be a power of two");
    /* positions */
    refuse("[{\"beat\": 4, \"bpm\": 120, \"num\": 4, \"den\": 4}]",
           "tempo[0].beat: the first segment must start at beat 0");
    refuse("[{\"beat\": -4, \"bpm\": 120, \"num\": 4, \"den\": 4}]", "tempo[0].beat");
    refuse("[" SEG0 ", {\"beat\": 16, \"bpm\": 90, \"num\": 3, \"den\": 4},"
           " {\"beat\": 13, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[2].beat: must be after tempo[1].beat (16)");
    refuse("[" SEG0 ", {\"beat\": 16, \"bpm\": 90, \"num\": 3, \"den\": 4},"
           " {\"beat\": 16, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[2].beat: must be after");
    refuse("[" SEG0 ", {\"beat\": 0, \"bpm\": 90, \"num\": 3, \"den\": 4}]", "tempo[1].beat");
    refuse("[" SEG0 ", {\"beat\": 1e300, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[1].beat: must be at most 2^40");
    /* not on a bar line: 18 is 4.5 bars of 4/4; in 7/8 (bars of 3.5) 31 is not, 35 is */
    refuse("[" SEG0 ", {\"beat\": 18, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[1].beat: 18 is not on a bar line of tempo[0]");
    refuse("[{\"beat\": 0, \"bpm\": 140, \"num\": 7, \"den\": 8},"
           " {\"beat\": 31, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[1].beat: 31 is not on a bar line of tempo[0] (7/8");
    refuse("[{\"beat\": 0, \"bpm\": 140, \"num\": 7, \"den\": 8},"
           " {\"beat\": 35.0000001, \"bpm\": 90, \"num\": 3, \"den\": 4}]", "not on a bar line");
    /* so slow that the next segment would start past 2^40 s:
     * 4 beats at 1e-12 bpm = 4 * 60 / 1e-12 = 2.4e14 s */
    refuse("[{\"beat\": 0, \"bpm\": 1e-12, \"num\": 4, \"den\": 4},"
           " {\"beat\": 4, \"bpm\": 90, \"num\": 3, \"den\": 4}]",
           "tempo[1].beat: starts 2.4e+14 s into the timeline");

    /* 1e400 is not a number jansson reads (overflow), nor is an infinity a
     * json_real, so neither can reach the parser; a huge finite one can (above). */
    json_error_t jerr;
    assert_null(json_loads("[{\"beat\": 0, \"bpm\": 1e400, \"num\": 4, \"den\": 4}]", 0, &jerr));
    assert_null(json_real(INFINITY));
    assert_null(json_real(NAN));
    assert_null(json_loads("[{\"beat\": 0, \"bpm\": NaN, \"num\": 4, \"den\": 4}]", 0, &jerr));
}

static void test_json_segment_count(void **state)
{
    (void)state;
    /* 1024 segments of 4/4, one bar each, are fine; 1025 are not */
    json_t *arr = json_array();
    for (int i = 0; i < 1025; i++) {
        json_t *o = json_pack("{s:i, s:i, s:i, s:i}", "beat", 4 * i, "bpm", 60 + i % 100, "num",
                              4, "den", 4);
        assert_non_null(o);
        assert_int_equal(json_array_append_new(arr, o), 0);
        if (i == 1023) {
            reel_tempo_map *m = malloc(sizeof *m);
            reel_error err = {0};
            assert_int_equal(reel_tempo_map_from_json(arr, m, &err), REEL_OK);
            assert_int_equal(m->n, 1024);
            /* the last segment starts at sum over bars of 4 * 60 / bpm */
            long double s = 0;
            for (int k = 0; k < 1023; k++)
                s += 240.0L / (60 + k % 100);
            assert_near(m->start_s[1023], (double)s, 1e-9);
            free(m);
        }
    }
    refuse_json(arr, "tempo: must have 1 to 1024 segments, got 1025");
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_start_seconds),
        cmocka_unit_test(test_beats_to_frames_44100),
        cmocka_unit_test(test_beats_to_frames_48000),
        cmocka_unit_test(test_frames_to_beats),
        cmocka_unit_test(test_seconds_beats),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_rounding_rule),
        cmocka_unit_test(test_boundary_on_half_frame),
        cmocka_unit_test(test_bbt),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_refusals),
        cmocka_unit_test(test_json_segment_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
