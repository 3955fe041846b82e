/*
 * session.h — a session: a named group of streams and its takes.
 *
 * A session is created with a mode and its streams; `play` starts a
 * segment (ending the current one first: there is no pause state, a new
 * play while playing cuts the take in two), `stop` ends the segment and
 * completes the session for good. Each segment keeps, at its start and its
 * end, one *mark*: wall and monotonic clocks and, per stream, the exact
 * frame position, the device's frame clock and MIDI clock ticks (when the
 * stream has them), plus the chunk range of each stream it covers.
 *
 * Segment ids are 1-based indexes written as strings ("1", "2", ...), the
 * form `session:<id>/<segment>:start|end` takes.
 *
 * Owns: the in-memory session, its state machine, its JSON document and
 * the resolution of session time specs to marks. Must never: read a clock
 * or touch the store (callers take the marks on the control thread; the
 * store is session_db.c's) — so every transition is unit-testable.
 */
#ifndef REEL_SESSION_H
#define REEL_SESSION_H

#include "store/artifact_db.h"
#include "core/stream_def.h"
#include "time/timespec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define REEL_SESSION_STREAMS_MAX 16
#define REEL_SESSION_SEGMENTS_MAX 10000

typedef enum reel_session_mode {
    REEL_SESSION_PASSIVE = 0,
    REEL_SESSION_REQUEST_RESPONSE = 1,
} reel_session_mode;

typedef enum reel_session_state {
    REEL_SESSION_CREATED = 0,
    REEL_SESSION_PLAYING = 1,
    REEL_SESSION_COMPLETE = 2,
} reel_session_state;

/* One stream at one instant. `present` is false when the stream had no
 * position (it could not be started). */
typedef struct reel_session_point {
    bool present;
    uint64_t frame;        /* the stream's frame position */
    uint64_t device_frame; /* the device's frame clock (JACK frame time...) */
    bool has_device_frame;
    uint64_t midi_ticks;   /* MIDI clock ticks */
    bool has_midi_ticks;
} reel_session_point;

/* Every clock at one instant; at[i] is streams[i]'s. */
typedef struct reel_session_mark {
    int64_t wall_ns, mono_ns;
    reel_session_point at[REEL_SESSION_STREAMS_MAX];
} reel_session_mark;

/* Chunk indexes (0-based, in the stream's manifest) holding a segment's
 * first and last frame; -1 while unknown. */
typedef struct reel_session_chunks {
    int64_t first, last;
} reel_session_chunks;

typedef struct reel_session_segment {
    reel_session_mark start, end;
    bool ended;
    reel_session_chunks chunks[REEL_SESSION_STREAMS_MAX];
} reel_session_segment;

typedef struct reel_session {
    char id[REEL_SESSION_ID_MAX]; /* "ses-<12 hex>" */
    reel_session_mode mode;
    reel_session_state state;
    char streams[REEL_SESSION_STREAMS_MAX][REEL_URI_MAX];
    bool started[REEL_SESSION_STREAMS_MAX]; /* the session started it: stop ends it */
    size_t n_streams;
    reel_session_segment *segs;
    size_t n_segs, cap_segs;
    int64_t created_ns;
    char artifact[REEL_ARTIFACT_ID_MAX]; /* the stored session, once complete */
} reel_session;

const char *reel_session_mode_name(reel_session_mode m);
int reel_session_mode_parse(const char *s, reel_session_mode *out, reel_error *err);
const char *reel_session_state_name(reel_session_state s);

/* A fresh id "ses-<12 hex>" into out (REEL_SESSION_ID_MAX). */
int reel_session_new_id(char *out, reel_error *err);

void reel_session_init(reel_session *s, const char *id, reel_session_mode mode,
                       int64_t created_ns);
void reel_session_free(reel_session *s);

/* Add a stream (a valid stream URI, not twice, at most
 * REEL_SESSION_STREAMS_MAX); only before the first play. */
int reel_session_add_stream(reel_session *s, const char *uri, reel_error *err);
/* Index of `uri` among the session's streams, or -1. */
int reel_session_stream_index(const reel_session *s, const char *uri);

/* created/playing -> playing: end the current segment at `now` (if one is
 * open) and open a new one starting at `now`. complete: REEL_ESTATE. */
int reel_session_play(reel_session *s, const reel_session_mark *now, reel_error *err);
/* playing -> complete: end the current segment at `now`. Otherwise
 * REEL_ESTATE ("not playing" / "complete already"). */
int reel_session_stop(reel_session *s, const reel_session_mark *now, reel_error *err);

/* The document: {"id","mode","state","streams":[...],"started_streams":[...],
 * "segments":[{"id","start":{"wall_ns","mono_ns","streams":{uri:{"frame",
 * "device_frame","midi_ticks"}}},"end":{...}|null,"chunks":{uri:{"first",
 * "last"}}}],"created_ns","artifact"}. NULL on allocation failure. */
json_t *reel_session_to_json(const reel_session *s);
/* Parse a document (as to_json writes it) into s (initialised here; free
 * with reel_session_free even on failure). */
int reel_session_from_json(json_t *doc, reel_session *s, reel_error *err);

/* The mark a session time spec (REEL_TS_SESSION) names: the session's
 * first start or last end, or a segment's. REEL_ENOENT for an unknown
 * segment, REEL_ESTATE for a bound that does not exist yet (no segment, or
 * an end while playing). */
int reel_session_bound(const reel_session *s, const reel_timespec *ts,
                       const reel_session_mark **out, reel_error *err);

#endif
