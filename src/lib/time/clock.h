/*
 * clock.h — clock snapshots and the mapping between wall-clock time and a
 * stream's frame positions.
 *
 * Owns: the snapshot record (wall clock, monotonic clock, the stream's frame
 * position, the device's own frame clock, MIDI clock ticks) and
 * interpolation between snapshots. Must never: read a clock itself (callers
 * pass snapshots; this module is pure and testable).
 */
#ifndef REEL_CLOCK_H
#define REEL_CLOCK_H

#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_clock_snapshot {
    uint64_t frame;        /* the stream's frame position */
    int64_t wall_ns;       /* CLOCK_REALTIME, ns since the UNIX epoch */
    int64_t mono_ns;       /* CLOCK_MONOTONIC ns */
    uint64_t device_frame; /* the device's own frame clock (JACK frame time) */
    uint64_t midi_ticks;   /* MIDI clock ticks */
    bool has_device_frame;
    bool has_midi_ticks;
} reel_clock_snapshot;

/* Read CLOCK_REALTIME / CLOCK_MONOTONIC in ns (vDSO, no system call). */
int64_t reel_clock_wall_now(void);
int64_t reel_clock_mono_now(void);

/* Map a wall-clock instant to a frame position. `snaps` are sorted by frame
 * (ascending, n >= 1). Between two snapshots, interpolate linearly on the
 * (wall_ns, frame) pairs; before the first or after the last, extrapolate
 * from the nearest snapshot at the nominal `rate`. The result may be
 * negative or past the head; the caller range-checks. Rounds to nearest. */
int reel_clock_wall_to_frame(const reel_clock_snapshot *snaps, size_t n, uint32_t rate,
                             int64_t wall_ns, int64_t *frame, reel_error *err);

/* The inverse: the wall-clock instant of a frame position. */
int reel_clock_frame_to_wall(const reel_clock_snapshot *snaps, size_t n, uint32_t rate,
                             uint64_t frame, int64_t *wall_ns, reel_error *err);

/* The device's 32-bit frame clock (JACK frame time) <-> the stream's frame
 * positions, through one snapshot that has a device frame: the signed
 * 32-bit difference from it, so it holds across the clock's wrap within
 * 2^31 frames of the snapshot. Valid while the stream follows the device
 * clock (reel's JACK capture writes skipped periods as zeros, so it does
 * until the server goes away). */
int64_t reel_clock_device_to_frame(const reel_clock_snapshot *s, uint32_t device_frame);
uint32_t reel_clock_frame_to_device(const reel_clock_snapshot *s, int64_t frame);

#endif
