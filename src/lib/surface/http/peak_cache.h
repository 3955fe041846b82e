/*
 * peak_cache.h — the waveform overview the server keeps per audio stream:
 * base bins (REEL_PEAKS_BASE_FRAMES frames) per chunk, kept in memory and
 * reused across requests (the live level meters do not come from here:
 * they are the recorder's, see capture/moment_watch.h).
 *
 * A chunk is named by its stream and first frame: the frames at a stream
 * position never change (staging chunks only grow, sealing renames), so a
 * summary of a staging chunk stays valid once it is sealed, and the live
 * chunk is read incrementally as the head advances, never twice.
 *
 * Owns: the cached summaries (least recently used dropped past a byte
 * budget) and reading chunk bytes for them. Must never: write to the
 * store, touch the database (callers hand in a stream view they opened),
 * or read a chunk past the frames its manifest entry counts.
 * Threads: every call takes the cache's own lock.
 */
#ifndef REEL_PEAK_CACHE_H
#define REEL_PEAK_CACHE_H

#include "media/peaks.h"
#include "store/store.h"

typedef struct reel_peak_cache reel_peak_cache;

/* max_bytes: the summaries' budget (0: 64 MiB). */
int reel_peak_cache_open(reel_peak_cache **out, size_t max_bytes, reel_error *err);
void reel_peak_cache_close(reel_peak_cache *c);

/* Peaks of the audio stream `v` over frames [from, to), clamped to the
 * frames it holds, in `bins` bins (fewer when the range has fewer frames):
 * *out is initialized here (caller frees with reel_peak_bins_free; n == 0
 * when nothing is held). Bins wider than the base resolution come from the
 * cache; narrower ones straight from the chunks. REEL_ENOENT when a staging
 * chunk was sealed while it was read: open the view again and retry. */
int reel_peak_cache_query(reel_peak_cache *c, const reel_cas *cas, const reel_stream_view *v,
                          int64_t from, int64_t to, size_t bins, reel_peak_bins *out,
                          reel_error *err);

/* Chunk reads since the cache opened: every time a chunk's frames were
 * read (for a summary or a fine window). The live meters never read here:
 * they come from the recorder (GET /api/debug shows this count). */
uint64_t reel_peak_cache_chunk_reads(reel_peak_cache *c);

/* Bytes the summaries hold now (for tests and status). */
size_t reel_peak_cache_bytes(reel_peak_cache *c);

#endif
