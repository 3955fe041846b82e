/*
 * test_graph_plan.c — rt/graph_plan.c: running a compiled graph.
 *
 * Hand-built plans (no documents) checked against values computed here:
 * clips summed with gain, fades and the stated pan law; a block size never
 * changes a sample (64 x 1-frame blocks = one 64-frame block = odd sizes);
 * overlapping clips in any insertion order; solo-in-place on tracks, not
 * buses; clip solo inside a track; a processor's NaN silenced and counted;
 * parameter changes taking effect at the next block without a rebuild;
 * edges with a window (routing events) carrying sound exactly inside it,
 * a delayed one fed outside it, at any block size; and
 * build calls refusing what cannot run (edges out of order, missing
 * channels, an unsealed plan playing silence).
 */
#include "rt/graph_plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 256

static float ramp[N * 2]; /* stereo: L = k / N, R = -k / (2N) */
static float mono[N];     /* 0.25 + k / (4N) */

static void fill_sources(void)
{
    for (int k = 0; k < N; k++) {
        ramp[2 * k] = (float)k / N;
        ramp[2 * k + 1] = -(float)k / (2 * N);
        mono[k] = 0.25f + (float)k / (4 * N);
    }
}

/* A plan: track 0 (2 ch) and track 1 (1 ch) into output 2 (2 ch). */
static reel_plan *two_tracks(uint32_t block)
{
    reel_plan *p;
    reel_error e;
    assert_int_equal(reel_plan_new(3, block, &p, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 2, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 1, REEL_PLAN_TRACK, 1, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 2, REEL_PLAN_OUTPUT, 2, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 0, 0, 2, 0, 1.0f, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 0, 1, 2, 1, 1.0f, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 1, 0, 2, 0, 0.5f, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 1, 0, 2, 1, 0.5f, &e), 0);
    reel_plan_clip a = {.at = 10, .len = 200, .src = ramp + 2 * 5, .src_ch = 2, .fade_in = 20,
                        .fade_out = 30, .gain = 0.8f, .pan = 0.0f};
    reel_plan_clip b = {.at = 100, .len = N, .src = mono, .src_ch = 1, .gain = 1.0f};
    assert_int_equal(reel_plan_clip_add(p, 0, &a, &e), 0);
    assert_int_equal(reel_plan_clip_add(p, 1, &b, &e), 0);
    assert_int_equal(reel_plan_seal(p, &e), 0);
    return p;
}

/* Frames [0, total) of node `node` channel ch, run in blocks of `block`. */
static void render(reel_plan *p, uint32_t node, int64_t total, uint32_t block, float *out,
                   uint32_t channels)
{
    for (int64_t f = 0; f < total; f += block) {
        uint32_t n = (uint32_t)(total - f < block ? total - f : block);
        reel_plan_run(p, f, n);
        for (uint32_t ch = 0; ch < channels; ch++)
            memcpy(out + ch * total + f, reel_plan_node_buf(p, node, ch), n * sizeof(float));
    }
}

static void test_sum_fades(void **state)
{
    (void)state;
    reel_plan *p = two_tracks(512);
    float out[2 * 400];
    render(p, 2, 400, 512, out, 2);
    for (int t = 0; t < 400; t++) {
        double want[2] = {0, 0};
        if (t >= 10 && t < 210) {
            int k = t - 10;
            double f = k < 20 ? (double)k / 20 : 1.0;
            int left = 200 - k;
            if (left <= 30)
                f = fmin(f, (double)(left - 1) / 30);
            want[0] += ramp[2 * (5 + k)] * 0.8 * f;
            want[1] += ramp[2 * (5 + k) + 1] * 0.8 * f;
        }
        if (t >= 100 && t < 100 + N) {
            want[0] += mono[t - 100] * 0.5;
            want[1] += mono[t - 100] * 0.5;
        }
        for (int ch = 0; ch < 2; ch++)
            assert_true(fabs(out[ch * 400 + t] - want[ch]) < 1e-6);
    }
    reel_plan_free(p);
}

static void test_block_size_never_matters(void **state)
{
    (void)state;
    static const uint32_t blocks[] = {1, 7, 64, 100, 512};
    float ref[2 * 400], got[2 * 400];
    reel_plan *p = two_tracks(512);
    render(p, 2, 400, 512, ref, 2);
    reel_plan_free(p);
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        p = two_tracks(blocks[i]);
        render(p, 2, 400, blocks[i], got, 2);
        assert_memory_equal(ref, got, sizeof ref); /* bit for bit */
        reel_plan_free(p);
    }
}

static void test_pan_law(void **state)
{
    (void)state;
    reel_plan *p = two_tracks(64);
    reel_plan_param_set(p, 0, REEL_PLAN_PAN, 0.5f);
    reel_plan_run(p, 50, 1);
    float l = reel_plan_node_buf(p, 0, 0)[0], r = reel_plan_node_buf(p, 0, 1)[0];
    /* frame 50: clip frame 40, source frame 45, past the fade-in */
    assert_true(fabsf(l - ramp[90] * 0.8f * (float)cos(0.25 * M_PI)) < 1e-7f);
    assert_true(r == ramp[91] * 0.8f);
    reel_plan_param_set(p, 0, REEL_PLAN_PAN, -1.0f);
    reel_plan_run(p, 50, 1);
    assert_true(reel_plan_node_buf(p, 0, 1)[0] == 0.0f); /* exactly silent */
    assert_true(reel_plan_node_buf(p, 0, 0)[0] == ramp[90] * 0.8f);
    reel_plan_free(p);
}

static void test_solo_and_mute(void **state)
{
    (void)state;
    reel_plan *p = two_tracks(64);
    reel_plan_param_set(p, 1, REEL_PLAN_SOLO, 1.0f);
    reel_plan_run(p, 150, 1);
    assert_true(reel_plan_node_buf(p, 0, 0)[0] == 0.0f); /* not soloed: silent */
    assert_true(reel_plan_node_buf(p, 2, 0)[0] == mono[50] * 0.5f);
    reel_plan_param_set(p, 1, REEL_PLAN_MUTE, 1.0f); /* soloed and muted: silent too */
    reel_plan_run(p, 150, 1);
    assert_true(reel_plan_node_buf(p, 2, 0)[0] == 0.0f);
    reel_plan_param_set(p, 1, REEL_PLAN_SOLO, 0.0f);
    reel_plan_run(p, 150, 1);
    assert_true(reel_plan_node_buf(p, 2, 0)[0] == ramp[2 * 145] * 0.8f);
    reel_plan_free(p);
}

static void test_overlaps_any_order(void **state)
{
    (void)state;
    /* 50 clips of 10 frames at 97*i mod 500, added in that scrambled order,
     * one long clip under them all, and a clip soloed: only it plays. */
    reel_error e;
    for (int solo = 0; solo < 2; solo++) {
        reel_plan *p;
        assert_int_equal(reel_plan_new(1, 32, &p, &e), 0);
        assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e), 0);
        double want[520] = {0};
        for (int i = 0; i < 50; i++) {
            int at = (97 * i) % 500;
            reel_plan_clip c = {.at = at, .len = 10, .src = mono, .src_ch = 1, .gain = 1.0f,
                                .solo = solo && i == 3};
            assert_int_equal(reel_plan_clip_add(p, 0, &c, &e), 0);
            for (int k = 0; k < 10; k++)
                if (!solo || i == 3)
                    want[at + k] += mono[k];
        }
        reel_plan_clip big = {.at = 0, .len = 250, .src = mono, .src_ch = 1, .gain = 0.5f};
        assert_int_equal(reel_plan_clip_add(p, 0, &big, &e), 0);
        for (int k = 0; solo == 0 && k < 250; k++)
            want[k] += mono[k] * 0.5;
        assert_int_equal(reel_plan_seal(p, &e), 0);
        float got[520];
        render(p, 0, 520, 32, got, 1);
        for (int t = 0; t < 520; t++)
            assert_true(fabs(got[t] - want[t]) < 1e-6);
        reel_plan_free(p);
    }
}

static bool nan_run(void *ud, const float *const *in, float *const *out, uint32_t n)
{
    int *calls = ud;
    (*calls)++;
    for (uint32_t t = 0; t < n; t++)
        out[0][t] = *calls == 2 && t == n / 2 ? NAN : in[0][t] * 2.0f;
    return true;
}

static void test_processor_nan_silenced(void **state)
{
    (void)state;
    reel_plan *p;
    reel_error e;
    int calls = 0;
    assert_int_equal(reel_plan_new(3, 16, &p, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 1, REEL_PLAN_PROCESSOR, 1, &e), 0);
    assert_int_equal(reel_plan_node_processor(p, 1, 1, nan_run, &calls, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 2, REEL_PLAN_OUTPUT, 1, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 0, 0, 1, 0, 1.0f, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 1, 0, 2, 0, 1.0f, &e), 0);
    reel_plan_clip c = {.at = 0, .len = N, .src = mono, .src_ch = 1, .gain = 1.0f};
    assert_int_equal(reel_plan_clip_add(p, 0, &c, &e), 0);
    assert_int_equal(reel_plan_seal(p, &e), 0);
    reel_plan_run(p, 0, 16);
    assert_true(reel_plan_node_buf(p, 2, 0)[3] == mono[3] * 2.0f);
    reel_plan_run(p, 16, 16); /* this block has a NaN: all of it silenced */
    for (int t = 0; t < 16; t++)
        assert_true(reel_plan_node_buf(p, 2, 0)[t] == 0.0f);
    assert_int_equal(reel_plan_silenced(p), 1);
    reel_plan_run(p, 32, 16);
    assert_true(reel_plan_node_buf(p, 2, 0)[0] == mono[32] * 2.0f);
    reel_plan_free(p);
}

/* Track 0 (mono) into output 1 twice: directly in frames [37, 150), and
 * 5 frames late from 120 on (its line fed before that too). */
static reel_plan *windowed(uint32_t block)
{
    reel_plan *p;
    reel_error e;
    assert_int_equal(reel_plan_new(2, block, &p, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 1, REEL_PLAN_OUTPUT, 1, &e), 0);
    assert_int_equal(reel_plan_edge_add_window(p, 0, 0, 1, 0, 1.0f, 0, false, 37, 150, &e), 0);
    assert_int_equal(reel_plan_edge_add_window(p, 0, 0, 1, 0, 0.5f, 5, false, 120, INT64_MAX,
                                               &e), 0);
    assert_int_equal(reel_plan_edge_add_window(p, 0, 0, 1, 0, 1.0f, 0, false, 9, 9, &e),
                     REEL_EINVAL); /* carries nothing */
    reel_plan_clip b = {.at = 0, .len = N, .src = mono, .src_ch = 1, .gain = 1.0f};
    assert_int_equal(reel_plan_clip_add(p, 0, &b, &e), 0);
    assert_int_equal(reel_plan_seal(p, &e), 0);
    return p;
}

static void test_edge_windows(void **state)
{
    (void)state;
    static const uint32_t blocks[] = {1, 7, 64, 100, 512};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        reel_plan *p = windowed(blocks[i]);
        float got[N];
        render(p, 1, N, blocks[i], got, 1);
        for (int t = 0; t < N; t++) {
            float want = 0.0f;
            if (t >= 37 && t < 150)
                want += mono[t];
            if (t >= 120)
                want += mono[t - 5] * 0.5f;
            assert_true(got[t] == want);
        }
        reel_plan_free(p);
    }
}

static void test_build_refusals(void **state)
{
    (void)state;
    reel_plan *p;
    reel_error e;
    assert_int_equal(reel_plan_new(2, 0, &p, &e), REEL_EINVAL);
    assert_int_equal(reel_plan_new(2, REEL_PLAN_BLOCK_MAX + 1, &p, &e), REEL_EINVAL);
    assert_int_equal(reel_plan_new(2, 8, &p, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_BUS, 0, &e), REEL_EINVAL);
    assert_int_equal(reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e), 0);
    assert_int_equal(reel_plan_node_set(p, 1, REEL_PLAN_OUTPUT, 2, &e), 0);
    assert_int_equal(reel_plan_edge_add(p, 1, 0, 0, 0, 1.0f, &e), REEL_EINVAL); /* order */
    assert_int_equal(reel_plan_edge_add(p, 0, 1, 1, 0, 1.0f, &e), REEL_EINVAL); /* channel */
    assert_int_equal(reel_plan_edge_add(p, 0, 0, 1, 2, 1.0f, &e), REEL_EINVAL);
    reel_plan_clip c = {.at = 0, .len = 8, .src = mono, .src_ch = 1, .gain = 1.0f};
    assert_int_equal(reel_plan_clip_add(p, 1, &c, &e), REEL_EINVAL); /* not a track */
    assert_int_equal(reel_plan_clip_add(p, 0, &c, &e), 0);
    reel_plan_run(p, 0, 8); /* not sealed since the clip: silence, nothing read */
    assert_true(reel_plan_node_buf(p, 0, 0)[0] == 0.0f);
    assert_int_equal(reel_plan_seal(p, &e), 0);
    reel_plan_run(p, 0, 8);
    assert_true(reel_plan_node_buf(p, 0, 0)[7] == mono[7]);
    reel_plan_free(p);
}

int main(void)
{
    fill_sources();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_fades),
        cmocka_unit_test(test_block_size_never_matters),
        cmocka_unit_test(test_pan_law),
        cmocka_unit_test(test_solo_and_mute),
        cmocka_unit_test(test_overlaps_any_order),
        cmocka_unit_test(test_processor_nan_silenced),
        cmocka_unit_test(test_edge_windows),
        cmocka_unit_test(test_build_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
