/*
 * peaks.h — waveform summaries: the smallest and largest sample of each
 * channel per bin of frames, folded from raw interleaved chunk bytes.
 *
 * Bins are placed on the stream's frame axis (bin i covers frames
 * [origin + i*width, origin + (i+1)*width)), so summaries of neighbouring
 * chunks, or of the same chunk read in several pieces as its head
 * advances, fold into the same bins: min/max is associative.
 *
 * Owns: the bin arrays and the sample decoding for f32/i16/i24. Must
 * never: read past the bytes it is given, or allocate in a scan.
 */
#ifndef REEL_PEAKS_H
#define REEL_PEAKS_H

#include "core/stream_def.h"

#include <stddef.h>
#include <stdint.h>

/* The cached resolution: about 21 ms at 48 kHz. */
#define REEL_PEAKS_BASE_FRAMES 1024u

typedef struct reel_peak_bins {
    uint32_t channels;
    uint64_t origin; /* stream frame where bin 0 starts */
    uint64_t width;  /* frames per bin, > 0 */
    size_t n;        /* bins */
    float *min;      /* [n * channels], bin-major; a bin with no frame: min > max */
    float *max;
} reel_peak_bins;

/* n bins of `width` frames from `origin`, all empty. */
int reel_peak_bins_init(reel_peak_bins *b, uint32_t channels, uint64_t origin, uint64_t width,
                        size_t n, reel_error *err);
void reel_peak_bins_free(reel_peak_bins *b);

/* Fold `frames` frames that start at stream frame `first` (interleaved,
 * little-endian, `fmt`, b->channels per frame) into the bins they fall
 * in; frames outside every bin are skipped. */
void reel_peak_bins_scan(reel_peak_bins *b, const uint8_t *data, uint64_t first, size_t frames,
                         reel_sample_format fmt);

/* Fold the bins of `src` (same channels, any width and origin) that
 * overlap `dst`'s frames into the `dst` bin holding their first frame
 * (or bin 0 when they start before dst->origin), limited to src frames
 * [lo, hi). An overview, so a source bin is never split. */
void reel_peak_bins_merge(reel_peak_bins *dst, const reel_peak_bins *src, uint64_t lo,
                          uint64_t hi);

/* The largest |sample| of channel ch over the bins overlapping frames
 * [lo, hi); 0 when none holds a frame. */
float reel_peak_bins_abs_max(const reel_peak_bins *b, uint32_t ch, uint64_t lo, uint64_t hi);

#endif
