/*
 * source_cache.h — what clips play, decoded once into memory (DESIGN.md
 * section 9).
 *
 * A clip's source (project_doc.h) is an imported file (`blob`), an
 * artifact (an imported file or an audio slice, materialized or virtual),
 * or a window of a captured stream (`stream`, `from`, `to`). The cache
 * decodes each to interleaved float at the project's rate, once, keyed by
 * what names it and that rate (a blob or materialized slice by its content
 * hash, a stream window by its URI and frames); a source at another rate
 * goes through libsoxr (its high-quality preset, deterministic: the same
 * input gives the same bytes). Stream windows are read from their chunks
 * through slice/ (sealed or live), never copied into the store.
 *
 * A source that is gone (a blob not in the store, a stream window
 * retention dropped) fails at once with the source named: a render never
 * waits for it.
 *
 * Owns: the decoded buffers (they live until the cache is freed; plans
 * point into them). Must never: write to the store, or hand out frames of
 * a source whose shape differs from what the clip says it is.
 */
#ifndef REEL_RENDER_SOURCE_CACHE_H
#define REEL_RENDER_SOURCE_CACHE_H

#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct reel_source_cache reel_source_cache;

typedef struct reel_source_audio {
    const float *frames; /* interleaved */
    uint32_t channels;
    int64_t n;           /* frames at the cache's rate */
    uint32_t src_rate;   /* the rate it was decoded from */
} reel_source_audio;

/* A cache decoding to `rate` frames per second. */
/* The store it reads from. */
reel_store *reel_source_cache_store(const reel_source_cache *c);
int reel_source_cache_new(reel_store *st, uint32_t rate, reel_source_cache **out,
                          reel_error *err);
void reel_source_cache_free(reel_source_cache *c);

/* The audio of a clip's `source` object (decoded on first use). `what`
 * names the clip in errors. */
int reel_source_cache_get(reel_source_cache *c, json_t *source, const char *what,
                          reel_source_audio *out, reel_error *err);

/* Frames [start, end) (at the cache's rate) of `source` time-stretched by
 * `stretch` and pitch-shifted by `pitch` semitones with the Rubber Band
 * library, R3 ("finer") engine, offline mode, one thread: exactly
 * round((end - start) * stretch) frames, decoded once per (source, range,
 * stretch, pitch) and the same bytes every time, so realtime playback and
 * the offline render of a stretched clip agree. */
int reel_source_cache_stretched(reel_source_cache *c, json_t *source, const char *what,
                                int64_t start, int64_t end, double stretch, double pitch,
                                reel_source_audio *out, reel_error *err);

/* Bytes of decoded audio held. */
uint64_t reel_source_cache_bytes(const reel_source_cache *c);

#endif
