/*
 * alsa_midi.h — the device-free half of the ALSA sequencer MIDI source
 * (`alsa-midi[:CLIENT:PORT]`, source_alsa_midi.c): turning sequencer events
 * into whole raw MIDI messages, and stamping times on a MIDI stream's frame
 * clock. Internal to libreel; split out so that it is tested without
 * /dev/snd/seq.
 *
 * Owns: the event -> bytes decoding (snd_midi_event_decode, no running
 * status), reassembling system exclusive messages that the sequencer
 * delivers in pieces (rawmidi ports cut them into fragments) into one
 * message, the order in which messages come out, and the mapping from
 * CLOCK_MONOTONIC nanoseconds to stream frames.
 * Must never: open a device, make a system call, or allocate after init
 * (it runs on the source's producer thread, which plays the realtime role);
 * split a sysex into several messages or emit part of one that was too long.
 *
 * Sysex rules: a message starting with F0 opens a sysex; fragments without a
 * status byte continue it; F7 at the end of a fragment closes it. The whole
 * message is stamped with the time of its first fragment. While it is open,
 * realtime messages (F8..FF, which MIDI allows inside a sysex) are held back
 * and come out after it, so messages always come out in time order. Any
 * other message ends an open sysex as it is (without F7, as on a MIDI wire)
 * before it comes out itself. A sysex longer than one MIDI record
 * (REEL_MIDI_MAX_EVENT bytes) is dropped whole and counted.
 */
#ifndef REEL_ALSA_MIDI_H
#define REEL_ALSA_MIDI_H

#include "rt/midi_record.h"

#include <alsa/asoundlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Realtime messages held while a sysex is open, at most. */
#define REEL_ALSA_MIDI_HOLD 4096

/* A stream's frame clock: frame `start` is CLOCK_MONOTONIC `t0_ns`, and the
 * clock advances `rate` frames a second from there. */
typedef struct reel_midi_clock {
    int64_t t0_ns;
    uint64_t start;
    uint32_t rate;
} reel_midi_clock;

/* The frame whose interval holds `mono_ns` (floor); `start` for earlier
 * times. Exact for any span (no overflow in 64 bits). */
uint64_t reel_midi_clock_frame(const reel_midi_clock *c, int64_t mono_ns);
/* The CLOCK_MONOTONIC time of the start of `frame` (frame >= start). */
int64_t reel_midi_clock_mono(const reel_midi_clock *c, uint64_t frame);

/* Where a message that happened at `mono_ns` is written: its clock frame,
 * but never before `committed` (frames the stream clock has passed) nor
 * before `last` (the previous message's frame), so records stay in order.
 * False if that is at or past `limit` (the end of the recording). */
bool reel_midi_clock_place(const reel_midi_clock *c, int64_t mono_ns, uint64_t committed,
                           uint64_t last, uint64_t limit, uint64_t *frame);

/* One complete MIDI message; `data` stays valid until the next feed/flush. */
typedef struct reel_alsa_midi_msg {
    int64_t mono_ns;
    uint32_t len;
    const uint8_t *data;
} reel_alsa_midi_msg;

typedef struct reel_alsa_midi_dec {
    snd_midi_event_t *coder;
    uint8_t *scratch;       /* one decoded event (REEL_MIDI_MAX_EVENT + 1) */
    uint8_t *sysex;         /* the open sysex (REEL_MIDI_MAX_EVENT) */
    size_t sysex_len;
    bool sysex_open;
    bool sysex_too_long;    /* open, but already past the limit: dropped at its end */
    int64_t sysex_mono;     /* time of its first fragment */
    int64_t sysex_last;     /* time of its latest fragment */
    struct { int64_t mono_ns; uint8_t byte; } *held; /* realtime held meanwhile */
    size_t n_held;
    /* Messages ready to come out, in order: bytes in `out`, index in `outq`. */
    uint8_t *out;
    size_t out_len;
    struct { int64_t mono_ns; size_t off; uint32_t len; } *outq;
    size_t n_out, next_out;
    uint64_t dropped_sysex; /* too long for one record, or a fragment with no start */
} reel_alsa_midi_dec;

int reel_alsa_midi_dec_init(reel_alsa_midi_dec *d, reel_error *err);
void reel_alsa_midi_dec_free(reel_alsa_midi_dec *d);

/* Feed one sequencer event that happened at `mono_ns`. Events that are not
 * MIDI (port and client announcements...) are ignored. Afterwards take the
 * messages that became complete with reel_alsa_midi_dec_next. */
void reel_alsa_midi_dec_feed(reel_alsa_midi_dec *d, const snd_seq_event_t *ev, int64_t mono_ns);

/* Close an open sysex as it is (its sender went quiet, or the stream ends):
 * it comes out without F7, followed by what was held. */
void reel_alsa_midi_dec_flush(reel_alsa_midi_dec *d);

/* The next complete message, in time order; false when none is left. */
bool reel_alsa_midi_dec_next(reel_alsa_midi_dec *d, reel_alsa_midi_msg *msg);

/* A sysex is open: nothing after `*since_ns` (its first fragment) may be
 * committed yet. `*last_ns`: its latest fragment. */
bool reel_alsa_midi_dec_open(const reel_alsa_midi_dec *d, int64_t *since_ns, int64_t *last_ns);

/* How far the stream clock may be committed at `now_ns`: its frame, but
 * not past the first fragment of an open sysex, nor past `limit`. */
uint64_t reel_alsa_midi_commit_target(const reel_alsa_midi_dec *d, const reel_midi_clock *c,
                                      int64_t now_ns, uint64_t limit);

#endif
