/*
 * peaks.c — min/max bins over raw frames (see peaks.h). Must never: touch
 * a file or allocate anywhere but reel_peak_bins_init.
 */
#include "media/peaks.h"

#include "core/sample_convert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int reel_peak_bins_init(reel_peak_bins *b, uint32_t channels, uint64_t origin, uint64_t width,
                        size_t n, reel_error *err)
{
    memset(b, 0, sizeof *b);
    if (channels == 0 || width == 0)
        return reel_error_set(err, REEL_EINVAL, "peak bins need channels and a bin width");
    size_t cells = n * channels;
    if (n && cells / n != channels)
        return reel_error_set(err, REEL_ENOMEM, "too many peak bins");
    b->min = malloc((cells ? cells : 1) * sizeof *b->min);
    b->max = malloc((cells ? cells : 1) * sizeof *b->max);
    if (!b->min || !b->max) {
        reel_peak_bins_free(b);
        return reel_error_set(err, REEL_ENOMEM, "out of memory for %zu peak bins", n);
    }
    for (size_t i = 0; i < cells; i++) {
        b->min[i] = INFINITY;
        b->max[i] = -INFINITY;
    }
    b->channels = channels;
    b->origin = origin;
    b->width = width;
    b->n = n;
    return REEL_OK;
}

void reel_peak_bins_free(reel_peak_bins *b)
{
    free(b->min);
    free(b->max);
    memset(b, 0, sizeof *b);
}

static inline float sample_at(const uint8_t *p, reel_sample_format fmt)
{
    switch (fmt) {
    case REEL_SAMPLE_I16: return reel_i16_to_f32((int16_t)(p[0] | p[1] << 8));
    case REEL_SAMPLE_I24: {
        int32_t v = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24);
        return reel_i24_to_f32(v >> 8);
    }
    default: {
        float f;
        memcpy(&f, p, sizeof f);
        return f == f ? f : 0.0f; /* a NaN would poison every min/max after it */
    }
    }
}

void reel_peak_bins_scan(reel_peak_bins *b, const uint8_t *data, uint64_t first, size_t frames,
                         reel_sample_format fmt)
{
    if (b->n == 0 || frames == 0)
        return;
    uint64_t end = first + frames;
    uint64_t lo = first > b->origin ? first : b->origin;
    uint64_t bins_end = b->origin + (uint64_t)b->n * b->width;
    uint64_t hi = end < bins_end ? end : bins_end;
    if (lo >= hi)
        return;
    size_t sb = reel_sample_format_bytes(fmt);
    size_t fb = sb * b->channels;
    uint64_t f = lo;
    while (f < hi) {
        size_t bin = (size_t)((f - b->origin) / b->width);
        uint64_t bin_end = b->origin + (uint64_t)(bin + 1) * b->width;
        uint64_t stop = bin_end < hi ? bin_end : hi;
        float *mn = b->min + bin * b->channels, *mx = b->max + bin * b->channels;
        const uint8_t *p = data + (size_t)(f - first) * fb;
        for (; f < stop; f++)
            for (uint32_t c = 0; c < b->channels; c++, p += sb) {
                float v = sample_at(p, fmt);
                if (v < mn[c])
                    mn[c] = v;
                if (v > mx[c])
                    mx[c] = v;
            }
    }
}

void reel_peak_bins_merge(reel_peak_bins *dst, const reel_peak_bins *src, uint64_t lo, uint64_t hi)
{
    if (dst->n == 0 || src->n == 0 || dst->channels != src->channels)
        return;
    uint64_t dst_end = dst->origin + (uint64_t)dst->n * dst->width;
    if (lo < dst->origin)
        lo = dst->origin;
    if (hi > dst_end)
        hi = dst_end;
    for (size_t j = 0; j < src->n; j++) {
        uint64_t s = src->origin + (uint64_t)j * src->width, e = s + src->width;
        if (e <= lo || s >= hi)
            continue;
        size_t i = s <= dst->origin ? 0 : (size_t)((s - dst->origin) / dst->width);
        for (uint32_t c = 0; c < dst->channels; c++) {
            size_t di = i * dst->channels + c, si = j * src->channels + c;
            if (src->min[si] < dst->min[di])
                dst->min[di] = src->min[si];
            if (src->max[si] > dst->max[di])
                dst->max[di] = src->max[si];
        }
    }
}

float reel_peak_bins_abs_max(const reel_peak_bins *b, uint32_t ch, uint64_t lo, uint64_t hi)
{
    float m = 0.0f;
    if (ch >= b->channels)
        return m;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t s = b->origin + (uint64_t)i * b->width;
        if (s + b->width <= lo || s >= hi)
            continue;
        size_t k = i * b->channels + ch;
        if (b->min[k] > b->max[k])
            continue;
        if (-b->min[k] > m)
            m = -b->min[k];
        if (b->max[k] > m)
            m = b->max[k];
    }
    return m;
}
