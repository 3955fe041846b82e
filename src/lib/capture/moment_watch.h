/*
 * moment_watch.h — triggered capture for a live stream: reads what the
 * producer has written into the stream's chunks (after each head report,
 * and a chunk's tail when it fills), feeds it to a detector
 * (moment_detect.h) and stores every moment found (moments.h).
 *
 * The recorder drives it from its control thread, so it serves `reel
 * record` and `reel serve` (whose engine writes the same mapped chunk
 * files) alike. Owns: the detector and the read position in the chunk
 * being written. Must never: run on the realtime thread, write to a chunk,
 * read past the bytes the head reported, or stop a recording because a
 * moment could not be stored (that is counted, not fatal).
 *
 * Meters: the audio frames the watch reads for the detector are also
 * measured, per channel, for the live meters (peak and RMS since the last
 * reel_moment_watch_levels), so nothing else has to read the chunks again
 * for them. The detector itself may be off (no trigger): the watch still
 * measures.
 */
#ifndef REEL_MOMENT_WATCH_H
#define REEL_MOMENT_WATCH_H

#include "time/clock.h"
#include "media/moment_detect.h"
#include "store/moment_table.h"

typedef struct reel_moment_watch reel_moment_watch;

/* fn (may be NULL) hears of each moment once it is stored. */
int reel_moment_watch_open(reel_moment_watch **out, reel_db *db, const reel_stream_def *def,
                           const reel_trigger_opts *o, reel_moment_fn fn, void *ud,
                           reel_error *err);

/* Chunk `tag` starts at stream frame `first_frame` (with the clock pairing
 * `clock` there, for audio moments' wall clock) and holds `bytes` written
 * bytes at `base`; scan those not seen yet. Chunks come in stream order. */
void reel_moment_watch_chunk(reel_moment_watch *w, uint32_t tag, const uint8_t *base,
                             uint64_t bytes, uint64_t first_frame,
                             const reel_clock_snapshot *clock);

typedef struct reel_moment_watch_stats {
    uint64_t stored, lost; /* lost: could not be stored */
    reel_error last_error;
} reel_moment_watch_stats;

/* Per-channel levels of the audio frames fed since the last call. */
typedef struct reel_levels {
    uint32_t channels;
    uint64_t frames;    /* frames measured (0: nothing new) */
    uint64_t end_frame; /* the stream frame after the last one measured */
    float peak[REEL_MAX_CHANNELS]; /* max |sample| */
    float rms[REEL_MAX_CHANNELS];  /* sqrt(mean(sample^2)) */
} reel_levels;

/* Fill *out with the levels since the last call and start measuring anew.
 * False (and out->frames 0) when no audio frame was fed since. */
bool reel_moment_watch_levels(reel_moment_watch *w, reel_levels *out);

void reel_moment_watch_get_stats(const reel_moment_watch *w, reel_moment_watch_stats *s);

/* The stream ended: report a moment still being measured (once; later
 * flushes and the close add nothing). */
void reel_moment_watch_flush(reel_moment_watch *w);

/* The stream ended: report a moment still being measured, free w. */
void reel_moment_watch_close(reel_moment_watch *w);

#endif
