/*
 * onset.h — where a response starts: the first sample above a threshold
 * after each stimulus, in interleaved float audio, and the median of the
 * delays found.
 *
 * An onset is a rise out of quiet: the first frame at or after the
 * stimulus whose level (the largest |sample| over the channels) exceeds the
 * threshold, preceded by at least `quiet_frames` frames at or below it. So
 * a note that starts while the previous one still sounds is not found
 * (reported as none) rather than matched to the wrong sound. Onsets are
 * taken in stimulus order and never go back: a stimulus is never matched to
 * the onset an earlier one already claimed.
 *
 * Owns: the detection and the statistics. Must never: read outside the
 * buffer, allocate, or touch a clock or a device (pure, so it is tested with
 * synthetic signals).
 */
#ifndef REEL_ONSET_H
#define REEL_ONSET_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct reel_onset_opts {
    float threshold;       /* linear level, > 0 (e.g. 0.01 for -40 dBFS) */
    uint32_t quiet_frames; /* frames at or below threshold before an onset (>= 1) */
    uint64_t max_delay;    /* search [stimulus, stimulus + max_delay); 0: to the end */
} reel_onset_opts;

/* For each stimulus frame at[k] (ascending), onset[k] = the onset frame, or
 * -1 if none was found. Frames index the buffer x of n_frames frames of
 * `channels` interleaved samples. REEL_EINVAL for bad options or stimuli
 * out of order. */
int reel_onset_find(const float *x, size_t n_frames, uint32_t channels, const uint64_t *at,
                    size_t n_at, const reel_onset_opts *o, int64_t *onset, reel_error *err);

/* Median of n values (the mean of the middle two for even n); sorts v in
 * place. 0 for n == 0. */
double reel_onset_median(int64_t *v, size_t n);

/* dBFS -> linear level (10^(db/20)). */
float reel_onset_db_to_level(double db);

#endif
