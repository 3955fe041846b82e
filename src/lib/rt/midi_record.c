/*
 * midi_record.c — encode and decode the records of a MIDI chunk (see midi_record.h).
 *
 * Owns: the byte layout of one record. Encode runs on the realtime thread,
 * so it must never allocate, lock, log or make a system call. Decode reads
 * chunks that may be truncated or damaged on disk, so it must never read
 * past `avail` or trust a length before checking it.
 *
 * Fields are assembled byte by byte rather than memcpy'd from host integers
 * so the format is little-endian on every host and no unaligned access can
 * happen: records are packed back to back and start at arbitrary offsets.
 */
#include "rt/midi_record.h"

#include <string.h>

static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

size_t reel_midi_record_encode(uint8_t *dst, size_t cap, const reel_midi_event *ev)
{
    if (!dst || !ev || !ev->data || ev->len == 0 || ev->len > REEL_MIDI_MAX_EVENT)
        return 0;
    size_t size = reel_midi_record_size(ev->len);
    if (cap < size)
        return 0;
    put_u64(dst, ev->frame);
    /* Two's complement by definition of the format; the conversion to an
     * unsigned type is well defined in C. */
    put_u64(dst + 8, (uint64_t)ev->wall_ns);
    put_u32(dst + 16, ev->len);
    memcpy(dst + REEL_MIDI_RECORD_HEADER, ev->data, ev->len);
    return size;
}

int reel_midi_record_decode(const uint8_t *src, size_t avail, reel_midi_event *ev,
                            size_t *consumed)
{
    if (consumed)
        *consumed = 0;
    if (!ev || !consumed || (!src && avail > 0))
        return REEL_EINVAL;
    /* A short header is an incomplete tail, not damage: the writer may be
     * mid-record in a live staging chunk. */
    if (avail < REEL_MIDI_RECORD_HEADER)
        return REEL_EINVAL;

    uint32_t len = get_u32(src + 16);
    if (len == 0 || len > REEL_MIDI_MAX_EVENT)
        return REEL_ECORRUPT;
    /* len <= 65535, so this cannot overflow size_t. */
    if (avail - REEL_MIDI_RECORD_HEADER < len)
        return REEL_EINVAL;

    uint64_t wall = get_u64(src + 8);
    ev->frame = get_u64(src);
    /* Back to signed without implementation-defined conversion. */
    ev->wall_ns = wall <= (uint64_t)INT64_MAX ? (int64_t)wall
                                               : -(int64_t)(~wall) - 1;
    ev->len = len;
    ev->data = src + REEL_MIDI_RECORD_HEADER;
    *consumed = reel_midi_record_size(len);
    return REEL_OK;
}
