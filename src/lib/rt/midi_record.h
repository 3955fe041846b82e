/*
 * midi_record.h — the record format of MIDI chunks.
 *
 * A MIDI chunk is a sequence of self-delimiting little-endian records:
 *   u64 frame      the event's frame position on the stream's clock
 *   i64 wall_ns    wall-clock time, ns since the UNIX epoch
 *   u32 length     number of MIDI bytes (1..65535)
 *   u8  bytes[length]
 * Records never straddle chunks. Owns: encoding and decoding those records.
 * Must never: read past `avail` bytes or accept a length of 0 or > 65535.
 */
#ifndef REEL_MIDI_RECORD_H
#define REEL_MIDI_RECORD_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define REEL_MIDI_RECORD_HEADER 20
#define REEL_MIDI_MAX_EVENT 65535

typedef struct reel_midi_event {
    uint64_t frame;
    int64_t wall_ns;
    uint32_t len;
    const uint8_t *data;
} reel_midi_event;

static inline size_t reel_midi_record_size(uint32_t len)
{
    return REEL_MIDI_RECORD_HEADER + (size_t)len;
}

/* Encode into dst; returns bytes written, or 0 if it does not fit or the
 * event is invalid. Realtime-safe (no allocation, no system call). */
size_t reel_midi_record_encode(uint8_t *dst, size_t cap, const reel_midi_event *ev);

/* Decode one record at src. *consumed = its size. REEL_EINVAL if `avail` is
 * shorter than the record (incomplete tail), REEL_ECORRUPT if the length is
 * 0 or too large. ev->data points into src. */
int reel_midi_record_decode(const uint8_t *src, size_t avail, reel_midi_event *ev,
                            size_t *consumed);

#endif
