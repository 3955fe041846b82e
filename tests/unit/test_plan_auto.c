/*
 * test_plan_auto.c — rt/plan_auto.c: automation slots, lanes, live
 * commands and the merge that applies them at their exact frames.
 *
 * Oracles are values computed here from the formulas of auto_cmd.h and
 * plan_auto.h: a set lands on its frame (before, at and after block
 * boundaries), whatever the block size; a ramp's steps depend on the
 * timeline frame only (block sizes 1, 17, 64 give the same samples);
 * same-frame order is set/ramp before trigger, then arrival; a live
 * command for a frame already played is applied at the next block's start
 * and counted late; a full queue is refused, and nothing pushed is lost;
 * locating mid-lane gives what playing from 0 gave at that frame.
 */
#include "rt/plan_auto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEN 1024

static float dc[LEN]; /* 1.0 everywhere */

/* track 0 (mono, one clip of 1.0 over [0, LEN)) -> output 1 (mono). */
static reel_plan *dc_plan(uint32_t block, float **gain_ref)
{
    reel_plan *p;
    reel_error e;
    for (int i = 0; i < LEN; i++)
        dc[i] = 1.0f;
    assert_int_equal(reel_plan_new(2, block, &p, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 1, REEL_PLAN_OUTPUT, 1, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 0, 0, 1, 0, 1.0f, &e), 0);
    reel_plan_clip c = {.at = 0, .len = LEN, .src = dc, .src_ch = 1, .gain = 1.0f};
    assert_int_equal(reel_plan_clip_add(p, 0, &c, &e), 0);
    assert_int_equal(reel_plan_seal(p, &e), 0);
    if (gain_ref)
        *gain_ref = reel_plan_clip_gain_ref(p, 0, 0);
    return p;
}

static void play(reel_plan *p, int64_t from, int64_t to, uint32_t block, float *out)
{
    for (int64_t f = from; f < to; f += block) {
        uint32_t n = (uint32_t)(to - f < block ? to - f : block);
        reel_plan_play(p, f, n);
        memcpy(out + (f - from), reel_plan_node_buf(p, 1, 0), n * sizeof(float));
    }
}

static reel_cmd set_at(int64_t frame, uint32_t slot, float v)
{
    return (reel_cmd){.frame = frame, .slot = slot, .type = REEL_CMD_SET, .value = v};
}

/* A set lands on its frame exactly, at and around block boundaries. */
static void test_set_exact(void **state)
{
    (void)state;
    static const int64_t frames[] = {1, 63, 64, 65, 127, 128, 129, 500};
    static const uint32_t blocks[] = {64, 17, 1, 256};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
        for (size_t k = 0; k < sizeof frames / sizeof *frames; k++) {
            reel_error e;
            reel_plan *p = dc_plan(blocks[b], NULL);
            reel_auto *a;
            uint32_t s;
            assert_int_equal(reel_auto_new(&a, &e), 0);
            assert_int_equal(reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 4, &s, &e), 0);
            reel_cmd c = set_at(frames[k], s, 0.5f);
            assert_int_equal(reel_auto_lane_add(a, s, &c, 1, &e), 0);
            assert_int_equal(reel_auto_attach(a, p, &e), 0);
            float out[LEN];
            play(p, 0, LEN, blocks[b], out);
            for (int64_t t = 0; t < LEN; t++)
                if (out[t] != (t < frames[k] ? 1.0f : 0.5f))
                    fail_msg("block %u, set at %lld: frame %lld is %g", blocks[b],
                             (long long)frames[k], (long long)t, out[t]);
            reel_plan_free(p);
        }
}

/* A ramp's value at frame t: the step grid of plan_auto.h, by hand. */
static float ramp_expect(int64_t t, int64_t t0, int64_t len, float a, float b, int curve)
{
    if (t < t0)
        return a;
    if (t >= t0 + len)
        return b;
    int64_t cell = t - t % REEL_AUTO_STEP;
    if (cell < t0)
        cell = t0;
    double x = (double)(cell - t0) / (double)len;
    switch (curve) {
    case REEL_CURVE_EXPONENTIAL:
        return (float)((double)a * pow((double)b / (double)a, x));
    case REEL_CURVE_S:
        return (float)(a + (double)(b - a) * (1.0 - cos(M_PI * x)) / 2.0);
    case REEL_CURVE_LOGARITHMIC:
        return (float)(a + (double)(b - a) * log10(1.0 + 9.0 * x));
    case REEL_CURVE_DISCRETE:
        return a;
    default:
        return (float)(a + (double)(b - a) * x);
    }
}

static void test_ramp_grid(void **state)
{
    (void)state;
    for (int curve = 0; curve < REEL_CURVE_N; curve++) {
        float ref[LEN];
        static const uint32_t blocks[] = {64, 17, 1};
        for (size_t b = 0; b < 3; b++) {
            reel_error e;
            reel_plan *p = dc_plan(blocks[b], NULL);
            reel_auto *a;
            uint32_t s;
            assert_int_equal(reel_auto_new(&a, &e), 0);
            assert_int_equal(reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 4, &s, &e), 0);
            reel_cmd c[2] = {set_at(0, s, 2.0f),
                             {.frame = 10, .slot = s, .type = REEL_CMD_RAMP, .value = 0.25f,
                              .ramp_frames = 300, .curve = (uint8_t)curve}};
            assert_int_equal(reel_auto_lane_add(a, s, c, 2, &e), 0);
            assert_int_equal(reel_auto_attach(a, p, &e), 0);
            float out[LEN];
            play(p, 0, LEN, blocks[b], out);
            for (int64_t t = 0; t < LEN; t++) {
                float want = t < 10 ? 2.0f : ramp_expect(t, 10, 300, 2.0f, 0.25f, curve);
                if (out[t] != want)
                    fail_msg("curve %d block %u frame %lld: %.9g, want %.9g", curve, blocks[b],
                             (long long)t, out[t], want);
            }
            if (b == 0)
                memcpy(ref, out, sizeof ref);
            else
                assert_memory_equal(ref, out, sizeof ref);
            /* from anywhere: locate mid-ramp, then play, equals the run from 0 */
            reel_plan_reset(p);
            reel_auto_locate(reel_plan_auto(p), p, 157);
            float part[LEN];
            play(p, 157, LEN, blocks[b], part);
            assert_memory_equal(part, ref + 157, (LEN - 157) * sizeof(float));
            reel_plan_free(p);
        }
    }
}

/* Records the clip gain each trigger saw. */
typedef struct seen {
    float *gain;
    float at_trigger[8];
    int64_t frame[8];
    int n;
} seen;

static void on_trigger(void *ud, float value, int64_t frame)
{
    (void)value;
    seen *s = ud;
    if (s->n < 8) {
        s->at_trigger[s->n] = *s->gain;
        s->frame[s->n++] = frame;
    }
}

/* Set before trigger at one frame, whichever was scheduled first; two sets
 * of one frame apply in arrival order (the last one stays); a lane's
 * command comes before a live one of the same frame and rank. */
static void test_order(void **state)
{
    (void)state;
    reel_error e;
    float *gain;
    reel_plan *p = dc_plan(64, &gain);
    assert_non_null(gain);
    reel_auto *a;
    uint32_t sg, st, sn;
    seen sn_ = {.gain = gain};
    assert_int_equal(reel_auto_new(&a, &e), 0);
    assert_int_equal(reel_auto_slot_float(a, gain, 0, 4, &sg, &e), 0);
    assert_int_equal(reel_auto_slot_trigger(a, on_trigger, &sn_, &st, &e), 0);
    assert_int_equal(reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 4, &sn, &e), 0);
    reel_cmd lane = set_at(300, sn, 3.0f);
    assert_int_equal(reel_auto_lane_add(a, sn, &lane, 1, &e), 0);
    assert_int_equal(reel_auto_attach(a, p, &e), 0);
    reel_cmd trig = {.frame = 100, .slot = st, .type = REEL_CMD_TRIGGER, .value = 1};
    assert_int_equal(reel_auto_push(a, &trig, &e), 0); /* the trigger first */
    reel_cmd half = set_at(100, sg, 0.5f);
    assert_int_equal(reel_auto_push(a, &half, &e), 0);
    reel_cmd s1 = set_at(200, sg, 0.2f), s2 = set_at(200, sg, 0.3f);
    assert_int_equal(reel_auto_push(a, &s1, &e), 0);
    assert_int_equal(reel_auto_push(a, &s2, &e), 0);
    reel_cmd live = set_at(300, sn, 2.0f); /* after the lane's 3.0 at the same frame */
    assert_int_equal(reel_auto_push(a, &live, &e), 0);
    float out[LEN];
    play(p, 0, LEN, 64, out);
    assert_int_equal(sn_.n, 1);
    assert_true(sn_.at_trigger[0] == 0.5f);
    assert_int_equal(sn_.frame[0], 100);
    assert_true(out[99] == 1.0f && out[100] == 0.5f && out[199] == 0.5f);
    assert_true(out[200] == 0.3f && out[299] == 0.3f);
    assert_true(out[300] == 0.6f); /* clip 0.3 x node 2.0 */
    reel_auto_stats st_;
    reel_auto_stats_get(a, &st_);
    assert_int_equal(st_.live, 5);
    assert_int_equal(st_.late, 0);
    assert_int_equal(st_.waiting, 0);
    reel_plan_free(p);
}

/* Late: a command for a frame already played applies at the next block's
 * first frame, counted; none is dropped when the queue fills. */
static void test_late_and_full(void **state)
{
    (void)state;
    reel_error e;
    reel_plan *p = dc_plan(64, NULL);
    reel_auto *a;
    uint32_t s;
    assert_int_equal(reel_auto_new(&a, &e), 0);
    assert_int_equal(reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 4, &s, &e), 0);
    assert_int_equal(reel_auto_attach(a, p, &e), 0);
    float out[LEN];
    play(p, 0, 128, 64, out);
    reel_cmd c = set_at(10, s, 0.25f);
    assert_int_equal(reel_auto_push(a, &c, &e), 0);
    play(p, 128, 256, 64, out);
    assert_true(out[0] == 0.25f);
    reel_auto_stats st;
    reel_auto_stats_get(a, &st);
    assert_int_equal(st.late, 1);
    /* fill the queue: the refusal is an error, and everything accepted plays */
    size_t pushed = 0;
    int rc;
    for (;;) {
        reel_cmd k = set_at(300 + (int64_t)(pushed % 500), s, (float)(pushed % 4));
        if ((rc = reel_auto_push(a, &k, &e)))
            break;
        pushed++;
    }
    assert_int_equal(rc, REEL_EFULL);
    assert_true(pushed >= REEL_AUTO_LIVE_MAX - 1);
    play(p, 256, LEN, 64, out);
    reel_auto_stats_get(a, &st);
    assert_int_equal(st.live, pushed + 1);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.late, 1);
    reel_plan_free(p);
}

/* Values outside a slot's range are clamped by the slot (the ops refuse
 * them first); a lane out of order is refused. */
static void test_bounds(void **state)
{
    (void)state;
    reel_error e;
    reel_plan *p = dc_plan(64, NULL);
    reel_auto *a;
    uint32_t s;
    assert_int_equal(reel_auto_new(&a, &e), 0);
    assert_int_equal(reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 2, &s, &e), 0);
    reel_cmd bad[2] = {set_at(50, s, 1), set_at(40, s, 1)};
    assert_int_equal(reel_auto_lane_add(a, s, bad, 2, &e), REEL_EINVAL);
    reel_cmd big = set_at(5, s, 9.0f);
    assert_int_equal(reel_auto_lane_add(a, s, &big, 1, &e), 0);
    reel_cmd other = set_at(5, 7, 1.0f);
    assert_int_equal(reel_auto_attach(a, p, &e), 0);
    assert_int_equal(reel_auto_push(a, &other, &e), REEL_EINVAL);
    float out[64];
    play(p, 0, 64, 64, out);
    assert_true(out[4] == 1.0f && out[5] == 2.0f);
    reel_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_exact),
        cmocka_unit_test(test_ramp_grid),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_late_and_full),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
