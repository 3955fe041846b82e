/*
 * clock.c — wall clock <-> frame position through clock snapshots (see clock.h).
 *
 * Owns: the two clock reads used to take snapshots, and the pure mapping
 * between wall-clock instants and frame positions. Must never: read a clock
 * inside the mapping functions, keep state between calls, or overflow on any
 * input (products of a 64-bit span and a 64-bit span are done in 128 bits).
 *
 * Between two snapshots the mapping is the straight line through their
 * (wall_ns, frame) pairs, so a device clock that drifts against the wall
 * clock is followed exactly at every snapshot. Outside the snapshots there is
 * nothing to follow, so the nominal rate is used from the nearest one.
 */
#include "time/clock.h"

#include <time.h>

/* GCC and clang on every target we build for have 128-bit integers; the
 * __extension__ keeps -Wpedantic quiet about them. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define NS_PER_SEC 1000000000

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;
    /* Cannot fail for these two clocks on Linux; a zeroed ts is the fallback. */
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t reel_clock_wall_now(void)
{
    return read_clock(CLOCK_REALTIME);
}

int64_t reel_clock_mono_now(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

/* round(a * b / c) for c > 0, halves rounded up. a * b < 2^128 always holds
 * for 64-bit a and b, so this never overflows. */
static u128 muldiv_round(uint64_t a, uint64_t b, uint64_t c)
{
    u128 num = (u128)a * b;
    u128 q = num / c;
    u128 r = num % c;
    if (r >= c - r) /* r >= c/2 without overflowing 2r */
        q++;
    return q;
}

/* round(num / den) for den > 0, halves rounded away from zero, so that
 * extrapolating backwards mirrors extrapolating forwards. */
static i128 div_round(i128 num, i128 den)
{
    if (num >= 0)
        return (num + den / 2) / den;
    return -((-num + den / 2) / den);
}

/* round(a * b / c), negated if `negative`. Every caller has a < c, so the
 * quotient is <= b < 2^64 and fits an i128 with either sign. */
static i128 signed_muldiv(bool negative, uint64_t a, uint64_t b, uint64_t c)
{
    u128 q = muldiv_round(a, b, c);
    return negative ? -(i128)q : (i128)q;
}

static int check_args(const reel_clock_snapshot *snaps, size_t n, uint32_t rate, const void *out,
                      reel_error *err)
{
    if (!snaps || n == 0)
        return reel_error_set(err, REEL_EINVAL, "no clock snapshots to map time with");
    if (rate == 0)
        return reel_error_set(err, REEL_EINVAL, "sample rate is 0");
    if (!out)
        return reel_error_set(err, REEL_EINVAL, "no place for the result");
    return REEL_OK;
}

static int store_i64(i128 v, int64_t *out, const char *what, reel_error *err)
{
    if (v > INT64_MAX || v < INT64_MIN)
        return reel_error_set(err, REEL_ERANGE, "%s is outside the 64-bit range", what);
    *out = (int64_t)v;
    return REEL_OK;
}

/* Index of the first snapshot whose wall time is > wall_ns (n if none).
 * Wall times normally rise with frame; if the wall clock was stepped back
 * the search still ends on a neighbouring pair with snaps[j-1].wall <=
 * wall_ns < snaps[j].wall, i.e. one of the frames that instant had. */
static size_t upper_bound_wall(const reel_clock_snapshot *snaps, size_t n, int64_t wall_ns)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snaps[mid].wall_ns <= wall_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first snapshot whose frame is > frame (n if none). */
static size_t upper_bound_frame(const reel_clock_snapshot *snaps, size_t n, uint64_t frame)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snaps[mid].frame <= frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* frame of `s` plus (wall_ns - s->wall_ns) at the nominal rate. */
static i128 wall_to_frame_nominal(const reel_clock_snapshot *s, uint32_t rate, int64_t wall_ns)
{
    i128 dt = (i128)wall_ns - s->wall_ns; /* |dt| < 2^64, dt * rate < 2^96 */
    return (i128)s->frame + div_round(dt * rate, NS_PER_SEC);
}

int reel_clock_wall_to_frame(const reel_clock_snapshot *snaps, size_t n, uint32_t rate,
                             int64_t wall_ns, int64_t *frame, reel_error *err)
{
    int rc = check_args(snaps, n, rate, frame, err);
    if (rc)
        return rc;

    size_t j = upper_bound_wall(snaps, n, wall_ns);
    i128 f;
    if (j == 0) {
        f = wall_to_frame_nominal(&snaps[0], rate, wall_ns);
    } else if (j == n) {
        f = wall_to_frame_nominal(&snaps[n - 1], rate, wall_ns);
    } else {
        const reel_clock_snapshot *a = &snaps[j - 1], *b = &snaps[j];
        /* The search leaves a->wall <= wall_ns < b->wall whatever the order
         * of the array, so the wall span is never zero: equal wall times
         * are stepped over, never divided by. Snapshots out of frame order
         * (a caller's bug) leave no line to follow; use the nominal rate. */
        if (b->frame < a->frame) {
            f = wall_to_frame_nominal(a, rate, wall_ns);
        } else {
            /* The quotient is <= b->frame - a->frame, so the sum stays
             * within [a->frame, b->frame]. */
            uint64_t dt = (uint64_t)wall_ns - (uint64_t)a->wall_ns;
            uint64_t dw = (uint64_t)b->wall_ns - (uint64_t)a->wall_ns;
            uint64_t df = b->frame - a->frame;
            f = (i128)a->frame + signed_muldiv(false, dt, df, dw);
        }
    }
    return store_i64(f, frame, "the frame position of that wall-clock time", err);
}

/* wall time of `s` plus (frame - s->frame) frames at the nominal rate. */
static i128 frame_to_wall_nominal(const reel_clock_snapshot *s, uint32_t rate, uint64_t frame)
{
    i128 df = (i128)frame - (i128)s->frame; /* |df| < 2^64, df * 1e9 < 2^94 */
    return (i128)s->wall_ns + div_round(df * NS_PER_SEC, rate);
}

int reel_clock_frame_to_wall(const reel_clock_snapshot *snaps, size_t n, uint32_t rate,
                             uint64_t frame, int64_t *wall_ns, reel_error *err)
{
    int rc = check_args(snaps, n, rate, wall_ns, err);
    if (rc)
        return rc;

    size_t j = upper_bound_frame(snaps, n, frame);
    i128 w;
    if (j == 0) {
        w = frame_to_wall_nominal(&snaps[0], rate, frame);
    } else if (j == n) {
        w = frame_to_wall_nominal(&snaps[n - 1], rate, frame);
    } else {
        /* The search leaves a->frame <= frame < b->frame whatever the
         * order of the array, so the frame span is never zero. The wall
         * span may be negative if the wall clock was stepped back:
         * interpolate its magnitude and put the sign back. */
        const reel_clock_snapshot *a = &snaps[j - 1], *b = &snaps[j];
        uint64_t df = frame - a->frame;
        uint64_t dspan = b->frame - a->frame;
        bool back = b->wall_ns < a->wall_ns;
        uint64_t dw = back ? (uint64_t)a->wall_ns - (uint64_t)b->wall_ns
                           : (uint64_t)b->wall_ns - (uint64_t)a->wall_ns;
        w = (i128)a->wall_ns + signed_muldiv(back, df, dw, dspan);
    }
    return store_i64(w, wall_ns, "the wall-clock time of that frame", err);
}

int64_t reel_clock_device_to_frame(const reel_clock_snapshot *s, uint32_t device_frame)
{
    return (int64_t)s->frame + (int32_t)(device_frame - (uint32_t)s->device_frame);
}

uint32_t reel_clock_frame_to_device(const reel_clock_snapshot *s, int64_t frame)
{
    return (uint32_t)s->device_frame + (uint32_t)(frame - (int64_t)s->frame);
}
