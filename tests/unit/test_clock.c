/*
 * test_clock.c — unit tests for clock.c: wall clock <-> frame mapping.
 *
 * Owns: checking interpolation (exact at snapshots, between them, on a
 * drifting clock), extrapolation on both sides, degenerate snapshot sets and
 * 64-bit edges. Must never: depend on the real time beyond sanity checks of
 * the two clock reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "time/clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define SEC 1000000000LL
#define T0 (1763632800LL * SEC) /* 2025-11-20T10:00:00Z */

static reel_clock_snapshot snap(uint64_t frame, int64_t wall_ns)
{
    reel_clock_snapshot s;
    memset(&s, 0, sizeof s);
    s.frame = frame;
    s.wall_ns = wall_ns;
    /* mono_ns, device_frame and midi_ticks play no part in the mapping */
    return s;
}

static int64_t w2f(const reel_clock_snapshot *s, size_t n, int64_t wall)
{
    int64_t f = 0x5a5a5a5a;
    reel_error err = {0};
    int rc = reel_clock_wall_to_frame(s, n, RATE, wall, &f, &err);
    if (rc)
        fail_msg("wall_to_frame(%lld): %s", (long long)wall, err.msg);
    return f;
}

static int64_t f2w(const reel_clock_snapshot *s, size_t n, uint64_t frame)
{
    int64_t w = 0x5a5a5a5a;
    reel_error err = {0};
    int rc = reel_clock_frame_to_wall(s, n, RATE, frame, &w, &err);
    if (rc)
        fail_msg("frame_to_wall(%llu): %s", (unsigned long long)frame, err.msg);
    return w;
}

static void test_now(void **state)
{
    (void)state;
    int64_t w = reel_clock_wall_now();
    assert_true(w > 1577836800LL * SEC); /* after 2020 */
    int64_t m1 = reel_clock_mono_now();
    int64_t m2 = reel_clock_mono_now();
    assert_true(m1 > 0);
    assert_true(m2 >= m1);
}

static void test_rejects_bad_args(void **state)
{
    (void)state;
    reel_clock_snapshot s = snap(0, T0);
    int64_t out;
    reel_error err = {0};

    assert_int_equal(reel_clock_wall_to_frame(NULL, 1, RATE, T0, &out, &err), REEL_EINVAL);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_true(strlen(err.msg) > 0);
    assert_int_equal(reel_clock_wall_to_frame(&s, 0, RATE, T0, &out, &err), REEL_EINVAL);
    assert_int_equal(reel_clock_wall_to_frame(&s, 1, 0, T0, &out, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "rate"));
    assert_int_equal(reel_clock_wall_to_frame(&s, 1, RATE, T0, NULL, &err), REEL_EINVAL);
    assert_int_equal(reel_clock_frame_to_wall(NULL, 1, RATE, 0, &out, &err), REEL_EINVAL);
    assert_int_equal(reel_clock_frame_to_wall(&s, 0, RATE, 0, &out, &err), REEL_EINVAL);
    assert_int_equal(reel_clock_frame_to_wall(&s, 1, 0, 0, &out, &err), REEL_EINVAL);
    assert_int_equal(reel_clock_frame_to_wall(&s, 1, RATE, 0, NULL, &err), REEL_EINVAL);
    /* err is optional */
    assert_int_equal(reel_clock_wall_to_frame(&s, 0, RATE, T0, &out, NULL), REEL_EINVAL);
}

static void test_single_snapshot(void **state)
{
    (void)state;
    reel_clock_snapshot s = snap(1000, T0);

    assert_int_equal(w2f(&s, 1, T0), 1000);
    assert_int_equal(w2f(&s, 1, T0 + SEC), 1000 + RATE);
    assert_int_equal(w2f(&s, 1, T0 - SEC), 1000 - RATE);
    /* before the stream began: negative, the caller range-checks */
    assert_int_equal(w2f(&s, 1, T0 - 2 * SEC), 1000 - 2 * RATE);
    assert_int_equal(w2f(&s, 1, T0 + 250 * 1000000LL), 1000 + RATE / 4);

    assert_int_equal(f2w(&s, 1, 1000), T0);
    assert_int_equal(f2w(&s, 1, 1000 + RATE), T0 + SEC);
    assert_int_equal(f2w(&s, 1, 0), T0 - 20833333); /* 20833333.33 ns */
    assert_int_equal(f2w(&s, 1, 1001), T0 + 20833); /* 20833.33 ns */
    assert_int_equal(f2w(&s, 1, 999), T0 - 20833);
}

static void test_rounds_to_nearest(void **state)
{
    (void)state;
    reel_clock_snapshot s = snap(0, T0);
    /* one frame at 48 kHz is 20833.33 ns: half a frame is 10416.67 ns */
    assert_int_equal(w2f(&s, 1, T0 + 10416), 0);
    assert_int_equal(w2f(&s, 1, T0 + 10417), 1);
    assert_int_equal(w2f(&s, 1, T0 - 10416), 0);
    assert_int_equal(w2f(&s, 1, T0 - 10417), -1); /* symmetric backwards */
    assert_int_equal(w2f(&s, 1, T0 + 31249), 1);
    assert_int_equal(w2f(&s, 1, T0 + 31251), 2);

    /* between snapshots too: 3 frames over 10 ns */
    reel_clock_snapshot two[2] = {snap(0, 0), snap(3, 10)};
    assert_int_equal(w2f(two, 2, 1), 0); /* 0.3 */
    assert_int_equal(w2f(two, 2, 2), 1); /* 0.6 */
    assert_int_equal(w2f(two, 2, 5), 2); /* 1.5 rounds up */
    assert_int_equal(w2f(two, 2, 9), 3); /* 2.7 */
    assert_int_equal(f2w(two, 2, 1), 3); /* 3.33 */
    assert_int_equal(f2w(two, 2, 2), 7); /* 6.67 */
}

static void test_exact_at_snapshots(void **state)
{
    (void)state;
    /* irregular spacing and a rate that is not the nominal one */
    reel_clock_snapshot s[] = {
        snap(0, T0),
        snap(48000, T0 + SEC + 123),
        snap(96007, T0 + 2 * SEC - 77),
        snap(500000, T0 + 10 * SEC + 5),
        snap(500001, T0 + 10 * SEC + 6),
        snap(9000000, T0 + 188 * SEC),
    };
    size_t n = sizeof s / sizeof s[0];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(w2f(s, n, s[i].wall_ns), (int64_t)s[i].frame);
        assert_int_equal(f2w(s, n, s[i].frame), s[i].wall_ns);
    }
}

static void test_between(void **state)
{
    (void)state;
    /* 96000 frames over 1 s of wall time: twice the nominal rate */
    reel_clock_snapshot s[] = {snap(0, T0), snap(96000, T0 + SEC), snap(144000, T0 + 2 * SEC)};
    assert_int_equal(w2f(s, 3, T0 + SEC / 2), 48000);
    assert_int_equal(w2f(s, 3, T0 + SEC / 4), 24000);
    assert_int_equal(w2f(s, 3, T0 + SEC + SEC / 2), 120000);
    assert_int_equal(f2w(s, 3, 48000), T0 + SEC / 2);
    assert_int_equal(f2w(s, 3, 120000), T0 + SEC + SEC / 2);
}

static void test_extrapolates_at_nominal_rate(void **state)
{
    (void)state;
    /* inside, the snapshots say 96 kHz; outside, only the nominal 48 kHz
     * is known, from the nearest snapshot */
    reel_clock_snapshot s[] = {snap(100000, T0), snap(196000, T0 + SEC)};
    assert_int_equal(w2f(s, 2, T0 + 2 * SEC), 196000 + RATE);
    assert_int_equal(w2f(s, 2, T0 - SEC), 100000 - RATE);
    assert_int_equal(w2f(s, 2, T0 - 10 * SEC), 100000 - 10 * RATE);
    assert_int_equal(f2w(s, 2, 196000 + RATE), T0 + 2 * SEC);
    assert_int_equal(f2w(s, 2, 100000 - RATE / 2), T0 - SEC / 2);
    assert_int_equal(f2w(s, 2, 0), T0 - 2083333333); /* 2083333333.33 ns */
}

static void test_drifting_clock(void **state)
{
    (void)state;
    /* The wall clock runs 0.1% fast against the device: every 10 s of
     * frames it advances 10.01 s. Snapshot every 10 s for an hour. */
    enum { N = 361 };
    reel_clock_snapshot *s = calloc(N, sizeof *s);
    assert_non_null(s);
    for (int k = 0; k < N; k++)
        s[k] = snap((uint64_t)k * 10 * RATE, T0 + (int64_t)k * 10010000000LL);

    /* at a snapshot an hour in, the nominal rate would be 3.6 s off */
    assert_int_equal(w2f(s, N, T0 + 360 * 10010000000LL), 360 * 10 * RATE);
    assert_int_not_equal(w2f(&s[0], 1, T0 + 360 * 10010000000LL), 360 * 10 * RATE);
    /* half way between two snapshots */
    assert_int_equal(w2f(s, N, T0 + 100 * 10010000000LL + 5005000000LL), 1005 * RATE);
    /* a wall second is 0.999 s of frames */
    assert_int_equal(w2f(s, N, T0 + 7 * 10010000000LL + 1001000000LL), 70 * RATE + RATE);
    assert_int_equal(f2w(s, N, 1005 * RATE), T0 + 100 * 10010000000LL + 5005000000LL);

    /* round trip frame -> wall -> frame is exact (a frame is > 1 ns) */
    for (uint64_t f = 0; f < (uint64_t)N * 10 * RATE; f += 7777777)
        assert_int_equal(w2f(s, N, f2w(s, N, f)), (int64_t)f);

    /* past the last snapshot: nominal rate from it */
    assert_int_equal(w2f(s, N, s[N - 1].wall_ns + SEC), (int64_t)s[N - 1].frame + RATE);
    free(s);
}

static void test_equal_wall_times(void **state)
{
    (void)state;
    /* a coarse wall clock gives two snapshots the same time */
    reel_clock_snapshot s[] = {snap(0, T0), snap(48000, T0 + SEC), snap(48010, T0 + SEC),
                               snap(96010, T0 + 2 * SEC)};
    int64_t f = w2f(s, 4, T0 + SEC);
    assert_true(f >= 48000 && f <= 48010);
    assert_int_equal(w2f(s, 4, T0 + SEC / 2), 24000);
    assert_int_equal(w2f(s, 4, T0 + SEC + SEC / 2), 72010);
    /* frame -> wall across the zero-length wall span */
    assert_int_equal(f2w(s, 4, 48005), T0 + SEC);

    /* every snapshot at one instant: no span to divide by at all */
    reel_clock_snapshot same[] = {snap(0, T0), snap(100, T0), snap(200, T0)};
    f = w2f(same, 3, T0);
    assert_true(f >= 0 && f <= 200);
    assert_int_equal(w2f(same, 3, T0 + SEC), 200 + RATE);
    assert_int_equal(w2f(same, 3, T0 - SEC), 0 - RATE);
    assert_int_equal(f2w(same, 3, 50), T0);
    assert_int_equal(f2w(same, 3, 200 + RATE), T0 + SEC);
}

static void test_equal_frames(void **state)
{
    (void)state;
    /* a segment end and the next chunk boundary at the same frame */
    reel_clock_snapshot s[] = {snap(0, T0), snap(48000, T0 + SEC), snap(48000, T0 + SEC + 100),
                               snap(96000, T0 + 2 * SEC + 100)};
    assert_int_equal(f2w(s, 4, 48000), T0 + SEC + 100);
    assert_int_equal(f2w(s, 4, 24000), T0 + SEC / 2);
    assert_int_equal(f2w(s, 4, 72000), T0 + SEC + 100 + SEC / 2);
    assert_int_equal(w2f(s, 4, T0 + SEC + 50), 48000);
}

static void test_wall_stepped_back(void **state)
{
    (void)state;
    /* NTP stepped the wall clock back 5 s between two snapshots: no crash,
     * no division by a negative span, and every answer stays plausible. */
    reel_clock_snapshot s[] = {snap(0, T0), snap(48000, T0 + SEC), snap(96000, T0 - 4 * SEC),
                               snap(144000, T0 - 3 * SEC)};
    for (int64_t t = T0 - 6 * SEC; t <= T0 + 3 * SEC; t += SEC / 3) {
        int64_t f = w2f(s, 4, t);
        assert_true(f > -10 * RATE && f < 10 * RATE);
    }
    /* frame -> wall follows the step */
    assert_int_equal(f2w(s, 4, 72000), T0 - SEC - SEC / 2);
    assert_int_equal(f2w(s, 4, 120000), T0 - 4 * SEC + SEC / 2);
}

static void test_unsorted_snapshots_do_not_crash(void **state)
{
    (void)state;
    /* a caller's bug, but the answer must still be bounded and computed
     * without dividing by a zero or negative span */
    reel_clock_snapshot s[] = {snap(96000, T0), snap(48000, T0 + SEC), snap(0, T0 + 2 * SEC),
                               snap(0, T0 + 3 * SEC)};
    for (int64_t t = T0 - SEC; t <= T0 + 4 * SEC; t += SEC / 4) {
        int64_t f = w2f(s, 4, t);
        assert_true(f > -10 * RATE && f < 10 * RATE);
    }
    for (uint64_t f = 0; f <= 100000; f += 1000) {
        int64_t w = f2w(s, 4, f);
        assert_true(w > T0 - 10 * SEC && w < T0 + 10 * SEC);
    }
    /* the fallback is the nominal rate from the earlier snapshot */
    assert_int_equal(w2f(s, 4, T0 + SEC / 2), 96000 + RATE / 2);
}

static void test_64bit_edges(void **state)
{
    (void)state;
    int64_t out = 0;
    reel_error err = {0};

    /* spans near 2^63 in both axes: no overflow in the interpolation */
    reel_clock_snapshot big[] = {snap(0, INT64_MIN + 1), snap((uint64_t)INT64_MAX, INT64_MAX)};
    assert_int_equal(w2f(big, 2, INT64_MIN + 1), 0);
    assert_int_equal(w2f(big, 2, INT64_MAX), INT64_MAX);
    int64_t mid = w2f(big, 2, 0);
    assert_true(mid > INT64_MAX / 2 - 2 && mid < INT64_MAX / 2 + 2);
    int64_t wmid = f2w(big, 2, (uint64_t)INT64_MAX / 2);
    assert_true(wmid > -3 && wmid < 3);

    /* extrapolation over the whole wall range */
    reel_clock_snapshot s0 = snap(0, INT64_MAX);
    /* (2^64 - 1) ns at 48 kHz = 885443715538058.48 frames */
    assert_int_equal(w2f(&s0, 1, INT64_MIN), -885443715538058LL);

    /* frames past INT64_MAX do not fit the signed result: ERANGE */
    reel_clock_snapshot top = snap(UINT64_MAX, 0);
    assert_int_equal(reel_clock_wall_to_frame(&top, 1, RATE, 0, &out, &err), REEL_ERANGE);
    assert_int_equal(err.code, REEL_ERANGE);
    reel_clock_snapshot s1 = snap(0, 0);
    assert_int_equal(reel_clock_frame_to_wall(&s1, 1, 1, UINT64_MAX, &out, &err), REEL_ERANGE);
    assert_int_equal(reel_clock_frame_to_wall(&s1, 1, 1, 9223372036ULL, &out, &err), REEL_OK);
    assert_int_equal(out, 9223372036LL * SEC);
    assert_int_equal(reel_clock_frame_to_wall(&s1, 1, 1, 9223372037ULL, &out, &err),
                     REEL_ERANGE);
    /* the largest rate */
    assert_int_equal(reel_clock_wall_to_frame(&s1, 1, UINT32_MAX, SEC, &out, &err), REEL_OK);
    assert_int_equal(out, UINT32_MAX);
}

/* Straight linear scan: the reference the binary search must agree with. */
static int64_t ref_nominal(const reel_clock_snapshot *s, int64_t t)
{
    return (int64_t)s->frame + (int64_t)llroundl((long double)(t - s->wall_ns) * RATE / SEC);
}

static int64_t ref_w2f(const reel_clock_snapshot *s, size_t n, int64_t t)
{
    if (t < s[0].wall_ns)
        return ref_nominal(&s[0], t);
    for (size_t i = 0; i + 1 < n; i++) {
        if (t >= s[i].wall_ns && t < s[i + 1].wall_ns) {
            long double dt = (long double)(t - s[i].wall_ns);
            long double df = (long double)(s[i + 1].frame - s[i].frame);
            long double dw = (long double)(s[i + 1].wall_ns - s[i].wall_ns);
            return (int64_t)s[i].frame + (int64_t)llroundl(dt * df / dw);
        }
    }
    return ref_nominal(&s[n - 1], t);
}

static void test_day_of_snapshots_matches_reference(void **state)
{
    (void)state;
    /* a 24-hour stream, one snapshot a second, with jitter and drift */
    enum { N = 86400 };
    reel_clock_snapshot *s = calloc(N, sizeof *s);
    assert_non_null(s);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int64_t wall = T0;
    uint64_t frame = 0;
    for (int k = 0; k < N; k++) {
        s[k] = snap(frame, wall);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        frame += RATE - 50 + x % 101;
        wall += SEC + (int64_t)(x >> 40) % 200000;
    }
    for (int q = 0; q < 3000; q++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t t = T0 - 5 * SEC + (int64_t)(x % (uint64_t)(N + 10) * (uint64_t)SEC) +
                    (int64_t)(x >> 50);
        int64_t got = w2f(s, N, t);
        int64_t want = ref_w2f(s, N, t);
        if (got != want)
            fail_msg("t=%lld got %lld want %lld", (long long)t, (long long)got, (long long)want);
    }
    free(s);
}

/* The 32-bit device clock (JACK frame time) to stream frames and back,
 * across the wrap and on both sides of the snapshot. */
static void test_device_frames(void **state)
{
    (void)state;
    reel_clock_snapshot s = {.frame = 1000000, .device_frame = (5ull << 32) | 0xffffff00u,
                             .has_device_frame = true};
    assert_int_equal(reel_clock_device_to_frame(&s, 0xffffff00u), 1000000);
    assert_int_equal(reel_clock_device_to_frame(&s, 0xffffff00u + 0x100u), 1000256); /* wraps to 0 */
    assert_int_equal(reel_clock_device_to_frame(&s, 0x10u), 1000272);
    assert_int_equal(reel_clock_device_to_frame(&s, 0xfffffe00u), 999744);
    assert_int_equal(reel_clock_frame_to_device(&s, 1000272), 0x10u);
    assert_int_equal(reel_clock_frame_to_device(&s, 999744), 0xfffffe00u);
    for (int64_t f = 990000; f < 1010000; f += 777)
        assert_int_equal(reel_clock_device_to_frame(&s, reel_clock_frame_to_device(&s, f)), f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_rejects_bad_args),
        cmocka_unit_test(test_single_snapshot),
        cmocka_unit_test(test_rounds_to_nearest),
        cmocka_unit_test(test_exact_at_snapshots),
        cmocka_unit_test(test_between),
        cmocka_unit_test(test_extrapolates_at_nominal_rate),
        cmocka_unit_test(test_drifting_clock),
        cmocka_unit_test(test_equal_wall_times),
        cmocka_unit_test(test_equal_frames),
        cmocka_unit_test(test_wall_stepped_back),
        cmocka_unit_test(test_unsorted_snapshots_do_not_crash),
        cmocka_unit_test(test_64bit_edges),
        cmocka_unit_test(test_day_of_snapshots_matches_reference),
        cmocka_unit_test(test_device_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
