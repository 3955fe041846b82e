/*
 * smf_read.h — reading a Standard MIDI File (format 0 or 1) into events
 * with absolute ticks and, through the tempo map, frames at a given rate.
 *
 * The input is untrusted (a MIDI artifact anyone may have put in the store,
 * to be played to a device): every length is checked against the bytes
 * that hold it.
 *
 * Owns: parsing headers, tracks, delta times, running status, sysex, escape
 * and meta events; merging tracks in time order; tick -> frame conversion
 * (PPQ with tempo changes, or SMPTE division). Must never: read outside the
 * input, allocate more than a small multiple of the input's size, or keep
 * pointers into the caller's buffer (the result owns copies).
 */
#ifndef REEL_SMF_READ_H
#define REEL_SMF_READ_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define REEL_SMF_MAX_FILE (64u << 20) /* reel_smf_read refuses larger files */

typedef enum reel_smf_kind {
    REEL_SMF_MIDI,   /* a channel message, status byte included (running status expanded) */
    REEL_SMF_SYSEX,  /* F0 packet: data starts with F0, as sent on the wire */
    REEL_SMF_ESCAPE, /* F7 packet: the bytes to send as they are */
    REEL_SMF_META,   /* meta event: `meta_type`, data is its payload */
} reel_smf_kind;

typedef struct reel_smf_event {
    uint64_t tick;  /* absolute, from the start of its track */
    uint64_t frame; /* the same instant in frames at the parse rate (rounded to nearest) */
    uint16_t track;
    uint8_t kind;   /* reel_smf_kind */
    uint8_t meta_type;
    uint32_t len;
    const uint8_t *data; /* into the reel_smf's own storage */
} reel_smf_event;

typedef struct reel_smf_tempo {
    uint64_t tick;
    uint32_t tempo_us; /* microseconds per quarter note from `tick` on */
} reel_smf_tempo;

typedef struct reel_smf {
    uint16_t format; /* 0 or 1 */
    uint16_t n_tracks;
    uint16_t division; /* as in the header: PPQ, or SMPTE when bit 15 is set */
    uint32_t rate;     /* of the frames below */
    reel_smf_event *events; /* every track's events merged, by tick (stable) */
    size_t n_events;
    reel_smf_tempo *tempos; /* the tempo map (empty: 500000 us/quarter throughout) */
    size_t n_tempos;
    uint64_t end_tick, end_frame; /* the latest End-of-track (or last event) */
    uint8_t *bytes; /* storage of the events' data */
} reel_smf;

/* Parse `len` bytes. REEL_ECORRUPT for a malformed file (the message says
 * where), REEL_EFORMAT for a valid but unsupported one (format 2). On
 * success `out` owns everything; free it with reel_smf_free. */
int reel_smf_parse(const uint8_t *buf, size_t len, uint32_t rate, reel_smf *out,
                   reel_error *err);

/* Read and parse a file (at most REEL_SMF_MAX_FILE bytes). */
int reel_smf_read(const char *path, uint32_t rate, reel_smf *out, reel_error *err);

void reel_smf_free(reel_smf *s);

#endif
