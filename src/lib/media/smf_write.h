/*
 * smf_write.h — writing a Standard MIDI File (format 0, one track).
 *
 * Timing is chosen per clock rate so that one tick is exactly one frame of
 * the stream's clock (see reel_smf_choose_timing): an event's tick is its frame
 * position minus the file's start, nothing is rounded.
 *
 * Owns: the SMF byte layout (header, one MTrk, delta times, event
 * encodings, End-of-track) and the choice of PPQ and tempo. Must never:
 * write running status, write a delta time that does not fit a 4-byte
 * variable-length quantity, or leave a file whose track length field does
 * not match its track.
 */
#ifndef REEL_SMF_WRITE_H
#define REEL_SMF_WRITE_H

#include "core/error.h"

#include <stdint.h>

#define REEL_SMF_MAX_PPQ 0x7fff      /* division is 15 bits in PPQ form */
#define REEL_SMF_MAX_TEMPO 0xffffff  /* a tempo meta holds 24 bits of us/quarter */
#define REEL_SMF_MAX_DELTA 0x0fffffff /* a delta time is at most 4 VLQ bytes */

typedef struct reel_smf_timing {
    uint16_t ppq;      /* ticks per quarter note */
    uint32_t tempo_us; /* microseconds per quarter note */
} reel_smf_timing;

/* PPQ and tempo so that one tick lasts exactly 1/rate seconds.
 * REEL_EFORMAT if no such pair exists (rates whose factors other than 2 and
 * 5 exceed 32767: no common audio rate). */
int reel_smf_choose_timing(uint32_t rate, reel_smf_timing *t, reel_error *err);

typedef struct reel_smf_writer reel_smf_writer;

/* Create `path` (truncating): header, then the track's tempo meta and, if
 * `track_name` is not NULL, a track name meta, at tick 0. */
int reel_smf_create(reel_smf_writer **w, const char *path, const reel_smf_timing *t,
                    const char *track_name, reel_error *err);

/* Append one MIDI message at `tick` (ticks never go back). Channel
 * messages of their proper length are written as they are; F0... as a
 * sysex event; anything else (system common and realtime, malformed
 * messages) as an F7 escape, so every recorded byte survives. Gaps longer
 * than a delta time can hold are bridged by restating the tempo. */
int reel_smf_add(reel_smf_writer *w, uint64_t tick, const uint8_t *data, uint32_t len,
                 reel_error *err);

/* End-of-track at `end_tick` (at least the last event's tick), patch the
 * track length, fsync, close. Frees w in every case. */
int reel_smf_finish(reel_smf_writer *w, uint64_t end_tick, reel_error *err);

/* Abandon: close and unlink the partial file. Frees w. */
void reel_smf_abort(reel_smf_writer *w);

#endif
