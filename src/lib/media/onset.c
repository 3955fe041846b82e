/*
 * onset.c — onset detection by threshold after quiet (see onset.h). Must
 * never: read outside the buffer or allocate.
 */
#include "media/onset.h"

#include <math.h>
#include <stdlib.h>

static float level_at(const float *x, uint32_t ch, size_t f)
{
    float m = 0.0f;
    for (uint32_t c = 0; c < ch; c++) {
        float a = fabsf(x[f * ch + c]);
        if (isnan(a)) /* NaN counts as loud: it never hides a sound */
            return INFINITY;
        if (a > m)
            m = a;
    }
    return m;
}

int reel_onset_find(const float *x, size_t n_frames, uint32_t channels, const uint64_t *at,
                    size_t n_at, const reel_onset_opts *o, int64_t *onset, reel_error *err)
{
    if (!o || !(o->threshold > 0.0f) || o->quiet_frames == 0 || channels == 0)
        return reel_error_set(err, REEL_EINVAL,
                              "onset detection needs a threshold > 0, quiet frames >= 1 and "
                              "at least one channel");
    for (size_t k = 1; k < n_at; k++)
        if (at[k] < at[k - 1])
            return reel_error_set(err, REEL_EINVAL, "stimuli out of order (%llu after %llu)",
                                  (unsigned long long)at[k], (unsigned long long)at[k - 1]);
    uint64_t floor_ = 0; /* onsets already claimed end before this frame */
    for (size_t k = 0; k < n_at; k++) {
        onset[k] = -1;
        uint64_t s = at[k] > floor_ ? at[k] : floor_;
        if (s >= n_frames)
            continue;
        uint64_t room = n_frames - at[k];
        uint64_t end = at[k] + (o->max_delay && o->max_delay < room ? o->max_delay : room);
        /* Quiet frames just before s (up to what is needed). */
        uint32_t run = 0;
        for (uint64_t f = s; f > 0 && run < o->quiet_frames; f--, run++)
            if (level_at(x, channels, (size_t)(f - 1)) > o->threshold)
                break;
        for (uint64_t f = s; f < end; f++) {
            if (level_at(x, channels, (size_t)f) > o->threshold) {
                if (run >= o->quiet_frames) {
                    onset[k] = (int64_t)f;
                    floor_ = f + 1;
                    break;
                }
                run = 0;
            } else if (run < o->quiet_frames) {
                run++;
            }
        }
    }
    return REEL_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double reel_onset_median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_i64);
    if (n % 2)
        return (double)v[n / 2];
    return ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

float reel_onset_db_to_level(double db)
{
    return (float)pow(10.0, db / 20.0);
}
