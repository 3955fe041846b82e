/*
 * slice_internal.h — what the slice files share and nothing outside
 * src/lib/slice/ may include: the plan of a slice (pieces of chunks), and
 * the steps reel_slice runs in order.
 *
 * Owns: the plan and piece types. Must never: be included from another
 * folder (slice.h is the interface).
 */
#ifndef REEL_SLICE_INTERNAL_H
#define REEL_SLICE_INTERNAL_H

#include "slice/slice.h"

#include <jansson.h>

#define VIRTUAL_MIME "application/x-reel-virtual-slice+json"
#define REPLAN_TRIES 5
/* A MIDI slice as raw: the store's own records (midi_record.h). */
#define MIDI_RAW_MIME "application/x-reel-midi-records"

typedef struct piece {
    bool sealed;
    reel_hash hash;      /* content hash, or staging id */
    uint64_t first_frame; /* stream position of the piece's first frame */
    uint64_t frames;
    uint64_t byte_offset; /* within the chunk */
    uint64_t bytes;       /* MIDI: the chunk's record bytes (audio: frames * frame size) */
    /* A seal in flight: the manifest names the content, but until the
     * rename lands the bytes are still at this staging id. */
    bool in_flight;
    reel_hash staging_id;
} piece;

typedef struct plan {
    reel_stream_def def;
    char definition_artifact[REEL_ARTIFACT_ID_MAX];
    reel_hash definition_hash;
    uint64_t from, to;
    piece *pieces;
    size_t n;
    reel_clock_snapshot *snaps; /* chunk-start clocks and the head clock */
    size_t n_snaps;
    bool clamped;
    reel_slice_progress_fn progress; /* may be NULL; after each piece written */
    void *progress_ud;
} plan;

/* Map the piece's bytes read-only and hand them to `fn` with their count
 * of frames (audio) or bytes (MIDI). */
typedef int (*slice_bytes_fn)(const uint8_t *data, size_t frames, void *ud, reel_error *err);

static inline const char *slice_hash_str(const reel_hash *h, char *buf)
{
    reel_hash_to_string(h, buf);
    return buf;
}

/* slice_plan.c */
void slice_plan_tick(const plan *p, size_t done);
void slice_plan_free(plan *p);
int slice_plan_make(reel_store *st, const reel_slice_request *req, plan *p, reel_error *err);
int slice_piece_open(reel_store *st, const piece *pc, int *fd, reel_error *err);
int slice_piece_read(reel_store *st, const piece *pc, size_t fb, slice_bytes_fn fn, void *ud,
                     reel_error *err);
reel_slice_request slice_frame_request(const char *uri, uint64_t from, uint64_t to);

/* slice_materialize.c */
int slice_materialize(reel_store *st, const plan *p, reel_out_format fmt,
                      reel_sample_format out_fmt, const char *out_path, reel_hash *content,
                      uint64_t *events, reel_error *err);

/* slice_artifact.c */
void slice_fill_result(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                       reel_slice_result *res);
int slice_record_artifact(reel_store *st, const plan *p, const char *kind, const char *parent,
                          const char *mime, const reel_slice_request *req, json_t *meta,
                          const reel_hash *extra_refs, size_t n_extra, reel_slice_result *res,
                          reel_error *err);
json_t *slice_output_meta(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                          uint64_t events);

/* slice_virtual.c */
int slice_store_virtual(reel_store *st, plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                        reel_hash *content, reel_hash **extra, size_t *n_extra, reel_error *err);

#endif
