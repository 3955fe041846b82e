/*
 * slice.h — cutting a time range out of a stream.
 *
 * Materialize: write the frames as a file (WAV, RF64, W64, FLAC, raw), store
 * it in CAS, record an artifact. Virtual: store only a list of chunk
 * references (the live edge, still in a staging chunk, is copied into a
 * small blob of its own so the reference stays immutable); `reel_render`
 * turns it into a file byte-identical to materializing the same range.
 * Sealed history and the live edge slice alike. MIDI streams slice by event
 * time into Standard MIDI Files (or their raw records), see midi_out.h.
 *
 * Owns: range resolution against a manifest, reading chunk bytes, and the
 * slice artifacts with their lineage. Must never: leave a partial output
 * file or blob behind on failure.
 */
#ifndef REEL_SLICE_H
#define REEL_SLICE_H

#include "media/audio_out.h"
#include "store/store.h"
#include "time/timespec.h"

#include <jansson.h>

struct reel_slice_result;

/* Stable sub-codes (reel_error.reason) of a slice or render that cannot be
 * made; the argument faults' are in slice_args.h. Never renamed. */
#define REEL_SLICE_R_UNKNOWN_STREAM "slice.unknown_stream"
#define REEL_SLICE_R_NO_FRAMES "slice.no_frames"
#define REEL_SLICE_R_EMPTY_RANGE "slice.empty_range"       /* from is not before to */
#define REEL_SLICE_R_NOT_HELD "slice.not_held"             /* retention dropped them */
#define REEL_SLICE_R_OUTSIDE "slice.outside_recording"
#define REEL_SLICE_R_NO_WALL_CLOCK "slice.no_wall_clock"
#define REEL_SLICE_R_MIDI_VIRTUAL "slice.midi_virtual"
#define REEL_SLICE_R_MIDI_SAMPLE_FORMAT "slice.midi_sample_format"
#define REEL_SLICE_R_MIDI_FORMAT "slice.midi_format"
#define REEL_SLICE_R_NOT_VIRTUAL "render.not_virtual"

typedef void (*reel_slice_progress_fn)(uint64_t done, uint64_t total, void *ud);

typedef struct reel_slice_request {
    const char *stream_uri;
    reel_timespec from, to;
    bool clamp;      /* --last: a start before the first held frame becomes it */
    bool is_virtual;
    reel_out_format format;
    bool format_given; /* false: MIDI streams become REEL_OUT_MID */
    bool has_sample_format;
    reel_sample_format sample_format;
    const char *out_path; /* also write the file here (NULL: store only) */
    const char *const *tags;
    size_t n_tags;
    const char *creator;
    /* Lineage and notes of the slice's artifact: its parent (NULL: the
     * stream's definition artifact), and a hook run once the file is in CAS
     * (res->content) and before the artifact is recorded, which may add to
     * its meta (e.g. a measurement made on the file). A failure of the hook
     * fails the slice; nothing is recorded. */
    const char *parent;
    int (*annotate)(void *ud, reel_store *st, const struct reel_slice_result *res, json_t *meta,
                    reel_error *err);
    void *annotate_ud;
    /* Optional: called after each piece of a materialized slice is written,
     * with pieces done and in all (a terminal's progress line). */
    reel_slice_progress_fn progress;
    void *progress_ud;
} reel_slice_request;

typedef struct reel_slice_result {
    char artifact_id[REEL_ARTIFACT_ID_MAX];
    reel_hash content;
    char mime[96];
    uint64_t from_frame, to_frame;
    int64_t from_wall_ns, to_wall_ns;
    size_t n_chunks;
    bool clamped;
    uint32_t sample_rate, channels;
    reel_sample_format sample_format; /* of the output */
    reel_out_format format;
    bool midi;       /* a MIDI stream: the events of [from, to) */
    uint64_t events; /* MIDI events written */
} reel_slice_result;

/* A time spec to a frame of stream `uri` whose manifest is `m` (wall-clock
 * instants through its snapshots, session bounds through the session's
 * marks, which reads st->db); may lie outside the frames held. */
int reel_slice_resolve(reel_store *st, const char *uri, const reel_timespec *ts,
                       const reel_manifest *m, const reel_cas *cas, int64_t *frame,
                       reel_error *err);

int reel_slice(reel_store *st, const reel_slice_request *req, reel_slice_result *res,
               reel_error *err);

/* Render a virtual slice artifact to `out_path` (and into CAS, with an
 * artifact whose parent is the virtual slice). */
int reel_render(reel_store *st, const char *artifact, const char *out_path,
                reel_slice_result *res, reel_error *err);
int reel_render_progress(reel_store *st, const char *artifact, const char *out_path,
                         reel_slice_progress_fn progress, void *ud, reel_slice_result *res,
                         reel_error *err);

/* Stream-following readers (a take written while it is recorded): hand
 * the audio frames [from, to) of `uri`, read from sealed chunks and the
 * live edge alike, to fn in pieces of at most one chunk, in order, each
 * frame exactly once (a chunk sealed meanwhile is re-planned from where the
 * read got to). Audio streams only; nothing is written to the store. */
typedef int (*reel_slice_frames_fn)(const uint8_t *data, size_t frames, void *ud,
                                    reel_error *err);
int reel_slice_read_frames(reel_store *st, const char *uri, uint64_t from, uint64_t to,
                           reel_slice_frames_fn fn, void *ud, reel_error *err);

/* Record a file already written from frames [from, to) of `uri` (and
 * fsynced) as an artifact of `kind` with the same lineage a slice gets
 * (parent: the stream's definition, the window, its chunks and clocks):
 * the file is copied into CAS. res->artifact_id and res->content are set. */
int reel_slice_record_file(reel_store *st, const char *uri, uint64_t from, uint64_t to,
                           const char *path, const char *kind, const char *mime,
                           const char *const *tags, size_t n_tags, const char *creator,
                           json_t *meta, reel_slice_result *res, reel_error *err);

#endif
