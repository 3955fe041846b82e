/*
 * moments.h — the "interesting moments" of a stream: onsets the detector
 * found (moment_watch.h), markers set by hand (`reel marker`, OSC
 * /reel/marker), listed per stream and usable as time specs
 * (`moment:<id>-5s`, see timespec.h). A moment only names a point of the
 * timeline: the stream records regardless, so slicing a moment with
 * pre-roll gets the audio from before the trigger.
 *
 * Owns: the rules for adding moments (kinds, frames, wall clocks), the
 * resolution of moment specs against a stream, and the moments' JSON.
 * Must never: start, stop or change a recording, or touch the CAS.
 */
#ifndef REEL_MOMENTS_H
#define REEL_MOMENTS_H

#include "media/moment_detect.h"
#include "store/moment_table.h"
#include "store/store.h"
#include "time/timespec.h"

#include <jansson.h>

/* A marker on stream `uri` at its head (the end of what is written so
 * far), named `name` (NULL or "": none). REEL_ENOENT for an unknown stream.
 * Its wall clock is the head's, from the newest clock pairing. */
int reel_moment_mark(reel_store *st, const char *uri, const char *name, reel_db_moment *out,
                     reel_error *err);

/* Turn a moment spec into one the stream `uri` (at `rate`) resolves by
 * itself: a moment of the same stream becomes its frame plus the offset
 * (REEL_TS_FRAME), a moment of another stream its wall-clock instant plus
 * the offset (REEL_TS_WALL, placed through this stream's clock). */
int reel_moment_spec_local(reel_db *db, const char *uri, uint32_t rate, const reel_timespec *ts,
                           reel_timespec *out, reel_error *err);

/* {"id","stream","frame","wall_ns","kind","level_db","name"} (level_db and
 * name null when absent). */
json_t *reel_moment_json(const reel_db_moment *m);

/* The moments of a stream, as an array in timeline order. REEL_ENOENT for
 * an unknown stream. */
int reel_moments_json(reel_db *db, const char *uri, json_t **out, reel_error *err);

#endif
