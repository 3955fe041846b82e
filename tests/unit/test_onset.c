/*
 * test_onset.c — onset detection on synthetic signals: tones that start at
 * known frames after known delays (any phase, several channels, noise
 * below the threshold), a note that starts while the previous one sounds
 * (not found), an onset never claimed twice, the search window, and the
 * median.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/onset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

/* A sine of `freq` and amplitude `amp` from `start` for `len` frames, added
 * to channel `c` of x (ch channels), starting at phase `phase` (radians). */
static void tone(float *x, uint32_t ch, uint32_t c, size_t start, size_t len, double freq,
                 double amp, double phase)
{
    for (size_t i = 0; i < len; i++)
        x[(start + i) * ch + c] += (float)(amp * sin(phase + 2 * M_PI * freq * (double)i / RATE));
}

static reel_onset_opts opts(void)
{
    reel_onset_opts o = {.threshold = reel_onset_db_to_level(-40), .quiet_frames = 96,
                         .max_delay = RATE / 2};
    return o;
}

static void test_delayed_tones(void **state)
{
    (void)state;
    const size_t n = RATE * 2;
    float *x = calloc(n, sizeof *x);
    assert_non_null(x);
    /* Stimuli and the delays of their responses; phases chosen so that some
     * tones start at a zero crossing (found one frame later at most). */
    uint64_t at[] = {1000, 20000, 50000, 70001};
    int64_t delay[] = {0, 256, 1023, 5};
    double phase[] = {M_PI / 2, 0.3, 1.0, 2.0};
    for (size_t k = 0; k < 4; k++)
        tone(x, 1, 0, at[k] + (size_t)delay[k], 4800, 440 + 100 * k, 0.5, phase[k]);
    /* Noise well below -40 dBFS everywhere. */
    srand(7);
    for (size_t i = 0; i < n; i++)
        x[i] += (float)((rand() / (double)RAND_MAX - 0.5) * 0.002);
    int64_t on[4];
    reel_onset_opts o = opts();
    reel_error err = {0};
    assert_int_equal(reel_onset_find(x, n, 1, at, 4, &o, on, &err), REEL_OK);
    for (size_t k = 0; k < 4; k++) {
        assert_true(on[k] >= (int64_t)at[k] + delay[k]);
        assert_true(on[k] <= (int64_t)at[k] + delay[k] + 1);
    }
    free(x);
}

static void test_zero_phase_start(void **state)
{
    (void)state;
    /* sin starting at exactly 0: the first sample is 0, the second above
     * the threshold for 1 kHz at amplitude 1. */
    const size_t n = 10000;
    float *x = calloc(n, sizeof *x);
    tone(x, 1, 0, 5000, 2000, 1000, 1.0, 0.0);
    uint64_t at[] = {4000};
    int64_t on[1];
    reel_onset_opts o = opts();
    assert_int_equal(reel_onset_find(x, n, 1, at, 1, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 5001);
    free(x);
}

static void test_channels(void **state)
{
    (void)state;
    /* Stereo: the response is on the second channel only. */
    const size_t n = 20000;
    float *x = calloc(n * 2, sizeof *x);
    tone(x, 2, 1, 3000, 1000, 500, 0.8, M_PI / 2);
    uint64_t at[] = {2500};
    int64_t on[1];
    reel_onset_opts o = opts();
    assert_int_equal(reel_onset_find(x, n, 2, at, 1, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 3000);
    free(x);
}

static void test_overlap_and_claims(void **state)
{
    (void)state;
    const size_t n = 40000;
    float *x = calloc(n, sizeof *x);
    /* Note A sounds from 1000 to 11000; note B is sent at 5000 while A still
     * sounds (no quiet before any later rise): not found. Note C sent at
     * 15000 responds at 16000. */
    tone(x, 1, 0, 1000, 10000, 300, 0.5, M_PI / 2);
    tone(x, 1, 0, 16000, 3000, 300, 0.5, M_PI / 2);
    uint64_t at[] = {900, 5000, 15000};
    int64_t on[3];
    reel_onset_opts o = opts();
    assert_int_equal(reel_onset_find(x, n, 1, at, 3, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 1000);
    assert_int_equal(on[1], 16000); /* the next rise out of quiet within its window */
    assert_int_equal(on[2], -1);    /* already claimed by B: never matched twice */
    /* With a short window B finds nothing, and C gets its own onset. */
    o.max_delay = 5000;
    assert_int_equal(reel_onset_find(x, n, 1, at, 3, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 1000);
    assert_int_equal(on[1], -1);
    assert_int_equal(on[2], 16000);
    free(x);
}

static void test_window_and_edges(void **state)
{
    (void)state;
    const size_t n = 30000;
    float *x = calloc(n, sizeof *x);
    tone(x, 1, 0, 20000, 2000, 440, 0.5, M_PI / 2);
    uint64_t at[] = {1000, 29999, 30000, 40000};
    int64_t on[4];
    reel_onset_opts o = opts();
    o.max_delay = 1000; /* the tone is 19000 frames after the first stimulus */
    assert_int_equal(reel_onset_find(x, n, 1, at, 4, &o, on, NULL), REEL_OK);
    for (int k = 0; k < 4; k++)
        assert_int_equal(on[k], -1);
    o.max_delay = 0; /* unbounded */
    assert_int_equal(reel_onset_find(x, n, 1, at, 1, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 20000);
    /* A buffer that starts loud: the rise is not an onset (no quiet before). */
    float loud[200];
    for (int i = 0; i < 200; i++)
        loud[i] = 0.5f;
    uint64_t a0[] = {0};
    assert_int_equal(reel_onset_find(loud, 200, 1, a0, 1, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], -1);
    /* NaN is loud, not quiet. */
    float nan_buf[300] = {0};
    nan_buf[250] = NAN;
    assert_int_equal(reel_onset_find(nan_buf, 300, 1, a0, 1, &o, on, NULL), REEL_OK);
    assert_int_equal(on[0], 250);
    free(x);
}

static void test_bad_input(void **state)
{
    (void)state;
    float x[10] = {0};
    uint64_t at[] = {5, 2};
    int64_t on[2];
    reel_onset_opts o = opts();
    reel_error err = {0};
    assert_int_equal(reel_onset_find(x, 10, 1, at, 2, &o, on, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "out of order"));
    o.threshold = 0;
    assert_int_equal(reel_onset_find(x, 10, 1, at, 1, &o, on, &err), REEL_EINVAL);
    o = opts();
    o.quiet_frames = 0;
    assert_int_equal(reel_onset_find(x, 10, 1, at, 1, &o, on, &err), REEL_EINVAL);
    o = opts();
    assert_int_equal(reel_onset_find(x, 10, 0, at, 1, &o, on, &err), REEL_EINVAL);
}

static void test_median(void **state)
{
    (void)state;
    int64_t a[] = {5, 1, 3};
    assert_true(reel_onset_median(a, 3) == 3.0);
    int64_t b[] = {10, -2, 4, 0};
    assert_true(reel_onset_median(b, 4) == 2.0);
    assert_true(reel_onset_median(b, 0) == 0.0);
    assert_true(fabsf(reel_onset_db_to_level(-40) - 0.01f) < 1e-6f);
    assert_true(fabsf(reel_onset_db_to_level(0) - 1.0f) < 1e-6f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delayed_tones), cmocka_unit_test(test_zero_phase_start),
        cmocka_unit_test(test_channels),      cmocka_unit_test(test_overlap_and_claims),
        cmocka_unit_test(test_window_and_edges), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
