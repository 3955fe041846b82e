/*
 * lane_format.h — one chunk of an automation lane as stored in CAS
 * (DESIGN.md section 10): an immutable, bounds-checked binary record of
 * commands for one target, sorted by frame.
 *
 * Layout (little-endian):
 *   0   8  magic "RLANE\0\0\1"
 *   8   4  count
 *   12  4  reserved, 0
 *   16  count x 24-byte records:
 *         0 8 frame (int64, >= 0, non-decreasing)
 *         8 8 ramp_frames (int64; > 0 for a ramp, 0 otherwise, < 2^40)
 *        16 4 value (IEEE float bits, finite)
 *        20 1 type (0 set, 1 ramp, 2 trigger)
 *        21 1 curve (0 linear, 1 exponential, 2 logarithmic, 3 s_curve, 4 discrete)
 *        22 2 source (0 lane/op, 1 op, 2 OSC, 3 MIDI, 4 web)
 * A chunk's bytes say everything about it: the lane in the project document
 * names chunks by hash, with the frame range each one covers.
 *
 * Owns: encoding and decoding that layout. Must never: read past the
 * buffer it was given, or accept a record the realtime merge would misread
 * (decode refuses it, naming the record).
 */
#ifndef REEL_MODEL_PROJECT_LANE_FORMAT_H
#define REEL_MODEL_PROJECT_LANE_FORMAT_H

#include "core/error.h"
#include "rt/auto_cmd.h"

#include <stddef.h>
#include <stdint.h>

#define REEL_LANE_HEADER 16
#define REEL_LANE_RECORD 24
#define REEL_LANE_MAX_EVENTS (1u << 26) /* one chunk: 1.5 GiB would be absurd */
#define REEL_LANE_MAX_RAMP ((int64_t)1 << 40)

size_t reel_lane_encoded_size(size_t n);
/* `out` holds reel_lane_encoded_size(n) bytes. */
void reel_lane_encode(const reel_cmd *cmds, size_t n, uint8_t *out);
/* Decode into a new array (*out, *n; the caller frees it). */
int reel_lane_decode(const uint8_t *buf, size_t len, reel_cmd **out, size_t *n,
                     reel_error *err);

#endif
