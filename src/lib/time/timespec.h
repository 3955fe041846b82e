/*
 * timespec.h — the time specs every surface accepts (CLI, HTTP, OSC, MCP).
 *
 *   head | start                         newest frame / first frame
 *   -30s, -1m30s, -0.25s, -2h, -500ms    that long before head
 *   2026-11-20T10:00:00.250Z             ISO-8601 instant (Z or +hh:mm offset)
 *   @1763632800.25                       UNIX epoch seconds
 *   #480000                              a frame position
 *   session:<id>:start|end               session bounds
 *   session:<id>/<segment>:start|end     segment bounds
 *   moment:<id>, moment:<id>-5s, +10s    a recorded moment, optionally offset
 *
 * Owns: parsing of those forms and of durations, and resolution of the
 * forms that need nothing but the stream's clock to a frame (sessions and
 * moments look their anchor up elsewhere, then apply the offset here). Must never: accept trailing garbage, NaN,
 * infinities or values that overflow 64 bits.
 */
#ifndef REEL_TIMESPEC_H
#define REEL_TIMESPEC_H

#include "time/clock.h"
#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum reel_timespec_kind {
    REEL_TS_HEAD,
    REEL_TS_START,
    REEL_TS_AGO,     /* ago_ns before head */
    REEL_TS_WALL,    /* wall_ns */
    REEL_TS_FRAME,   /* frame */
    REEL_TS_SESSION, /* session / segment bound */
    REEL_TS_MOMENT,  /* moment_id, offset_ns */
} reel_timespec_kind;

#define REEL_SESSION_ID_MAX 128

typedef struct reel_timespec {
    reel_timespec_kind kind;
    int64_t ago_ns;   /* REEL_TS_AGO, >= 0 */
    int64_t wall_ns;  /* REEL_TS_WALL */
    uint64_t frame;   /* REEL_TS_FRAME */
    char session[REEL_SESSION_ID_MAX]; /* REEL_TS_SESSION */
    char segment[REEL_SESSION_ID_MAX]; /* "" for the whole session */
    bool session_end; /* false: start, true: end */
    int64_t moment_id;  /* REEL_TS_MOMENT, >= 1 */
    int64_t offset_ns;  /* REEL_TS_MOMENT: signed offset from the moment */
} reel_timespec;

/* Durations: "30s", "1m30s", "0.25s", "2h", "500ms", "1h2m3.5s"; a bare
 * number means seconds. Result in ns, >= 0. */
int reel_duration_parse(const char *s, int64_t *ns, reel_error *err);

int reel_timespec_parse(const char *s, reel_timespec *out, reel_error *err);

/* What a stream offers for resolving a spec. */
typedef struct reel_time_context {
    uint64_t head;     /* frames written (the newest frame is head-1) */
    uint32_t rate;     /* frames per second */
    const reel_clock_snapshot *snaps; /* sorted by frame */
    size_t n_snaps;
} reel_time_context;

/* Resolve to a frame position (may be < 0 or > head: the caller decides
 * whether that is an error). `head` resolves to ctx->head (exclusive end),
 * `start` to 0, `-D` to head - round(D * rate), a wall instant through the
 * clock snapshots. REEL_TS_SESSION and REEL_TS_MOMENT give REEL_EINVAL here
 * (sessions and moments resolve them). */
int reel_timespec_resolve(const reel_timespec *ts, const reel_time_context *ctx, int64_t *frame,
                          reel_error *err);

/* `base` moved by offset_ns at `rate` (rounded to the nearest frame), for
 * specs anchored elsewhere (a moment's frame). REEL_ERANGE past 64 bits. */
int reel_timespec_offset_frame(int64_t base, int64_t offset_ns, uint32_t rate, int64_t *frame,
                               reel_error *err);

#endif
