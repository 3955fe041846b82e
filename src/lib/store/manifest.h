/*
 * manifest.h — a stream's manifest: its chunks in order, totals, counters
 * and clock snapshots.
 *
 * The live manifest is a small JSON file in staging, replaced atomically
 * (write-temp, fsync, rename). So that a 24-hour stream does not make each
 * update slower, it is two-level: every REEL_MANIFEST_PAGE sealed chunks
 * (with the snapshots taken meanwhile) are frozen into a page, stored in
 * CAS as JSON; the live file lists page summaries plus the unpaged tail.
 * An update rewrites the summaries and the tail only.
 *
 * Owns: the in-memory manifest, its JSON, paging, and lookups by frame and
 * by wall clock. Must never: reorder or drop a chunk except through
 * retention (which drops from the front only).
 */
#ifndef REEL_MANIFEST_H
#define REEL_MANIFEST_H

#include "store/cas.h"
#include "time/clock.h"
#include "core/stream_def.h"

#include <stdbool.h>
#include <stdint.h>

#define REEL_MANIFEST_PAGE 256

typedef struct reel_chunk_entry {
    bool sealed;          /* sealed: `hash` names content; else a staging id */
    reel_hash hash;
    uint64_t first_frame; /* stream position of the chunk's first frame */
    uint64_t frames;      /* audio frames; for MIDI the frame span covered */
    uint64_t events;      /* MIDI events (0 for audio) */
    uint64_t bytes;
    reel_clock_snapshot clock; /* at first_frame */
    /* While a seal is in flight (manifest saved, rename not yet durable):
     * the staging file the content comes from, so recovery can finish it. */
    reel_hash staging_id;
    bool has_staging_id;
} reel_chunk_entry;

typedef struct reel_manifest_page {
    reel_hash hash; /* the page JSON in CAS */
    uint64_t first_chunk, n_chunks;
    uint64_t first_frame, frames, bytes;
    reel_clock_snapshot first_clock, last_clock;
    /* Retention: the page's oldest `dropped` chunks (dropped_bytes of them)
     * are no longer held; held_first_frame is where the held ones begin.
     * The page blob itself is immutable, so this lives in the summary. */
    uint64_t dropped, dropped_bytes, held_first_frame;
} reel_manifest_page;

typedef struct reel_manifest {
    char uri[REEL_URI_MAX];
    reel_hash definition_hash;
    reel_stream_kind kind;
    uint32_t rate;
    size_t frame_bytes;
    int64_t started_at_ns, last_updated_ns;
    uint64_t first_frame; /* the oldest frame still held (retention) */
    uint64_t total_frames; /* head: frames since the stream began */
    uint64_t total_bytes, total_events, n_chunks; /* held chunks, paged + tail */
    uint64_t xruns, overrun_frames, overrun_events, gaps;
    uint64_t dropped_chunks, dropped_bytes; /* by retention, since the stream began */

    reel_manifest_page *pages;
    size_t n_pages, cap_pages;
    reel_chunk_entry *tail;
    size_t n_tail, cap_tail;
    reel_clock_snapshot *snaps; /* periodic snapshots since the last page */
    size_t n_snaps, cap_snaps;
    reel_clock_snapshot head_clock; /* the newest clock pairing */
    bool has_head_clock;
} reel_manifest;

void reel_manifest_init(reel_manifest *m, const reel_stream_def *def,
                        const reel_hash *definition_hash);
void reel_manifest_free(reel_manifest *m);

/* Append a chunk (usually staging); the tail keeps order by first_frame. */
int reel_manifest_add_chunk(reel_manifest *m, const reel_chunk_entry *e, reel_error *err);
/* The entry for staging id (or NULL). */
reel_chunk_entry *reel_manifest_find_staging(reel_manifest *m, const reel_hash *id);
int reel_manifest_add_snapshot(reel_manifest *m, const reel_clock_snapshot *s, reel_error *err);
/* Recompute totals from the tail entries after counts changed. */
void reel_manifest_update_totals(reel_manifest *m);
/* Freeze the oldest REEL_MANIFEST_PAGE sealed tail chunks into a CAS page
 * while there are enough. */
int reel_manifest_page_out(reel_manifest *m, reel_cas *cas, reel_error *err);

/* JSON of the live manifest (caller frees) and back. */
int reel_manifest_to_json(const reel_manifest *m, char **json, reel_error *err);
int reel_manifest_from_json(reel_manifest *m, const char *json, reel_error *err);

/* Live manifest file: write atomically / read. */
int reel_manifest_save(const reel_manifest *m, reel_cas *cas, const reel_hash *manifest_id,
                       reel_error *err);
int reel_manifest_load_path(reel_manifest *m, const char *path, reel_error *err);
int reel_manifest_load(reel_manifest *m, const reel_cas *cas, const reel_hash *manifest_id,
                       reel_error *err);

/* Every chunk overlapping frames [from, to), in order, loading pages from
 * CAS as needed. *out is malloc'd (caller frees). */
int reel_manifest_chunks_in(const reel_manifest *m, const reel_cas *cas, uint64_t from,
                            uint64_t to, reel_chunk_entry **out, size_t *n, reel_error *err);

/* Clock snapshots bracketing a wall-clock instant (sorted by frame): page
 * summaries give the coarse picture, the page holding the instant the fine
 * one. *out malloc'd. */
int reel_manifest_snapshots_near(const reel_manifest *m, const reel_cas *cas, int64_t wall_ns,
                                 reel_clock_snapshot **out, size_t *n, reel_error *err);

/* Every held chunk, oldest first (pages loaded one at a time); `last` is
 * true for the newest. Stops when fn returns non-zero and returns that. */
typedef int (*reel_manifest_chunk_fn)(const reel_chunk_entry *e, bool last, void *ud);
int reel_manifest_foreach_chunk(const reel_manifest *m, const reel_cas *cas,
                                reel_manifest_chunk_fn fn, void *ud, reel_error *err);

/* Retention: stop holding the oldest n chunks (all sealed, the caller
 * checked). first_frame moves to the first held chunk; frame positions stay.
 * A page whose chunks all went leaves the manifest. */
int reel_manifest_drop_front(reel_manifest *m, const reel_cas *cas, uint64_t n, reel_error *err);

/* Every held chunk hash (sealed) the manifest references, pages included,
 * plus page hashes; for GC roots and fsck. Callback returns non-zero to stop. */
typedef int (*reel_manifest_hash_fn)(const reel_hash *h, bool is_page, void *ud);
int reel_manifest_foreach_hash(const reel_manifest *m, const reel_cas *cas,
                               reel_manifest_hash_fn fn, void *ud, reel_error *err);

#endif
