/*
 * midi_out.h — writing a MIDI stream's records as a file: a Standard MIDI
 * File (format 0, one tick per frame, time 0 = the slice start) or the
 * stored records as they are (raw).
 *
 * The slicer hands over chunk bytes in stream order; this module decodes
 * the records and keeps those with from <= frame < to: MIDI slices select
 * by event time, never by bytes.
 *
 * Owns: record selection by frame and the choice of output encoding. Must
 * never: move an event off its frame, reorder events, or leave a partial
 * file behind after an abort.
 */
#ifndef REEL_MIDI_OUT_H
#define REEL_MIDI_OUT_H

#include "media/audio_out.h"
#include "media/smf_write.h"

#include <stdint.h>

typedef struct reel_midi_out reel_midi_out;

/* Create `path` for events in [from, to) of a clock of `rate` Hz, as
 * REEL_OUT_MID or REEL_OUT_RAW (anything else: REEL_EFORMAT). The SMF
 * track is named `track_name` (may be NULL). */
int reel_midi_out_open(reel_midi_out **mo, const char *path, reel_out_format fmt, uint32_t rate,
                       uint64_t from, uint64_t to, const char *track_name, reel_error *err);

/* A run of whole records (a chunk's bytes, or the written part of one).
 * REEL_ECORRUPT if they do not decode or go back in time. */
int reel_midi_out_write(reel_midi_out *mo, const uint8_t *records, size_t len, reel_error *err);

/* Events written so far. */
uint64_t reel_midi_out_events(const reel_midi_out *mo);

/* The SMF timing used (zero for raw). */
reel_smf_timing reel_midi_out_timing(const reel_midi_out *mo);

/* Finish (SMF: End-of-track at tick to - from), fsync, close. Frees mo. */
int reel_midi_out_close(reel_midi_out *mo, reel_error *err);

/* Abandon: close and unlink the partial file. Frees mo. */
void reel_midi_out_abort(reel_midi_out *mo);

#endif
