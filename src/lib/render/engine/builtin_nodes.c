/*
 * builtin_nodes.c — the delay and mid/side processors (builtin_nodes.h).
 */
#include "render/engine/builtin_nodes.h"

#include <stdlib.h>
#include <string.h>

#define DELAY_MAX_FRAMES (1u << 20) /* about 21.8 s at 48 kHz */

typedef enum { B_DELAY, B_MS_ENCODE, B_MS_DECODE } builtin_type;

struct reel_builtin {
    builtin_type type;
    uint32_t channels, frames, len, wpos;
    float *line; /* delay: channels rings of len = frames + block */
};

static int type_of(const char *kind, builtin_type *t)
{
    if (strcmp(kind, "delay") == 0)
        *t = B_DELAY;
    else if (strcmp(kind, "ms_encode") == 0)
        *t = B_MS_ENCODE;
    else if (strcmp(kind, "ms_decode") == 0)
        *t = B_MS_DECODE;
    else
        return -1;
    return 0;
}

bool reel_builtin_kind(const char *kind)
{
    builtin_type t;
    return kind && type_of(kind, &t) == 0;
}

int reel_builtin_check(const char *id, const char *kind, json_t *obj, uint32_t *in_ch,
                       uint32_t *out_ch, uint32_t *latency, reel_error *err)
{
    builtin_type t;
    if (type_of(kind, &t))
        return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': unknown kind '%.32s'", id,
                              kind);
    json_t *chj = json_object_get(obj, "channels");
    json_int_t ch = chj ? json_integer_value(chj) : 2;
    *latency = 0;
    if (t != B_DELAY) {
        if (ch != 2)
            return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': %s works on 2 "
                                  "channels", id, kind);
        *in_ch = *out_ch = 2;
        return REEL_OK;
    }
    json_t *fj = json_object_get(obj, "frames");
    if (ch < 1 || ch > REEL_PLAN_CH_MAX)
        return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': channels must be 1..%d", id,
                              REEL_PLAN_CH_MAX);
    if (!json_is_integer(fj) || json_integer_value(fj) < 0 ||
        json_integer_value(fj) > DELAY_MAX_FRAMES)
        return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': a delay needs \"frames\", "
                              "a whole number 0..%u", id, DELAY_MAX_FRAMES);
    *in_ch = *out_ch = (uint32_t)ch;
    *latency = (uint32_t)json_integer_value(fj);
    return REEL_OK;
}

int reel_builtin_new(const char *id, const char *kind, json_t *obj, uint32_t block,
                     reel_builtin **out, reel_error *err)
{
    uint32_t in_ch, out_ch, lat;
    int rc = reel_builtin_check(id, kind, obj, &in_ch, &out_ch, &lat, err);
    if (rc)
        return rc;
    reel_builtin *b = calloc(1, sizeof *b);
    if (!b)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    type_of(kind, &b->type);
    b->channels = out_ch;
    b->frames = lat;
    if (b->type == B_DELAY && lat > 0) {
        b->len = lat + block;
        if (!(b->line = calloc((size_t)b->len * b->channels, sizeof(float)))) {
            free(b);
            return reel_error_set(err, REEL_ENOMEM, "out of memory for a delay of %u frames",
                                  lat);
        }
    }
    *out = b;
    return REEL_OK;
}

void reel_builtin_free(reel_builtin *b)
{
    if (!b)
        return;
    free(b->line);
    free(b);
}

bool reel_builtin_run(void *ud, const float *const *in, float *const *out, uint32_t n)
{
    reel_builtin *b = ud;
    if (b->type == B_MS_ENCODE) {
        for (uint32_t t = 0; t < n; t++) {
            float l = in[0][t], r = in[1][t];
            out[0][t] = (l + r) * 0.5f;
            out[1][t] = (l - r) * 0.5f;
        }
        return true;
    }
    if (b->type == B_MS_DECODE) {
        for (uint32_t t = 0; t < n; t++) {
            float m = in[0][t], s = in[1][t];
            out[0][t] = m + s;
            out[1][t] = m - s;
        }
        return true;
    }
    if (!b->line) { /* a delay of 0 */
        for (uint32_t ch = 0; ch < b->channels; ch++)
            memcpy(out[ch], in[ch], n * sizeof(float));
        return true;
    }
    for (uint32_t ch = 0; ch < b->channels; ch++) {
        float *line = b->line + (size_t)ch * b->len;
        for (uint32_t t = 0; t < n; t++) {
            uint32_t w = b->wpos + t;
            w = w >= b->len ? w - b->len : w;
            line[w] = in[ch][t];
            uint32_t r = w >= b->frames ? w - b->frames : w + b->len - b->frames;
            out[ch][t] = line[r];
        }
    }
    b->wpos = (b->wpos + n) % b->len;
    return true;
}

void reel_builtin_reset(void *ud)
{
    reel_builtin *b = ud;
    if (b->line)
        memset(b->line, 0, (size_t)b->len * b->channels * sizeof(float));
    b->wpos = 0;
}
