/*
 * fuzz_lane.c — libFuzzer target for the automation lane chunk codec
 * (model/project/lane_format.c) and the realtime merge it feeds
 * (rt/plan_auto.c).
 *
 * Bytes -> reel_lane_decode. A refusal must be EFORMAT or ENOMEM with a
 * one-line message. A chunk that decodes must encode back to the same
 * bytes (the format is canonical: one chunk, one hash), and its commands,
 * as a lane of a one-track plan, must play a few blocks from a located
 * frame without reading outside the plan's memory or producing a value
 * outside the slot's range.
 *
 * Must never: touch the disk or a store, or keep state between inputs.
 */
#include "model/project/lane_format.h"
#include "rt/plan_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reel_cmd *c;
    size_t n;
    reel_error err;
    int rc = reel_lane_decode(data, size, &c, &n, &err);
    if (rc) {
        if ((rc != REEL_EFORMAT && rc != REEL_ENOMEM) || err.msg[0] == 0 || strchr(err.msg, '\n'))
            abort();
        return 0;
    }
    uint8_t *back = malloc(reel_lane_encoded_size(n));
    if (!back)
        abort();
    reel_lane_encode(c, n, back);
    if (reel_lane_encoded_size(n) != size || memcmp(back, data, size) != 0)
        abort();
    free(back);
    static float one[256];
    for (int i = 0; i < 256; i++)
        one[i] = 1.0f;
    reel_plan *p;
    reel_auto *a;
    uint32_t s;
    if (reel_plan_new(2, 64, &p, &err) || reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &err) ||
        reel_plan_node_set(p, 1, REEL_PLAN_OUTPUT, 1, &err) ||
        reel_plan_edge_add(p, 0, 0, 1, 0, 1.0f, &err))
        abort();
    reel_plan_clip clip = {.at = 0, .len = 256, .src = one, .src_ch = 1, .gain = 1.0f};
    if (reel_plan_clip_add(p, 0, &clip, &err) || reel_plan_seal(p, &err) ||
        reel_auto_new(&a, &err) || reel_auto_slot_node(a, 0, REEL_PLAN_GAIN, 0, 16, &s, &err))
        abort();
    if (reel_auto_lane_add(a, s, c, n, &err) || reel_auto_attach(a, p, &err))
        abort();
    int64_t start = n ? c[n / 2].frame - 100 : 0;
    if (start < 0)
        start = 0;
    reel_auto_locate(a, p, start);
    for (int b = 0; b < 8; b++) {
        reel_plan_play(p, start + 64 * b, 64);
        const float *o = reel_plan_node_buf(p, 1, 0);
        for (int k = 0; k < 64; k++)
            if (!(o[k] >= 0.0f && o[k] <= 16.0f) && !isnan(o[k]))
                abort();
    }
    reel_plan_free(p);
    free(c);
    return 0;
}
