/*
 * stream_control.h — one stream at a time in the control plane, for the ops
 * that start streams (stream_start, session_play): start a stream from its
 * stored definition, and a stream's state as the ops report it.
 *
 * Owns: nothing but these two rules. Must never: run off the control thread
 * (the control plane is single-threaded).
 */
#ifndef REEL_STREAM_CONTROL_H
#define REEL_STREAM_CONTROL_H

#include "capture/control.h"
#include "store/store.h"

#include <jansson.h>

/* Start `uri` in the control plane `ctl`, from its stored definition in
 * `st` if the control plane does not know it (reel_store_definition_latest). */
int reel_stream_start_defined(reel_control *ctl, reel_store *st, const char *uri,
                              reel_error *err);

/* The frame a stream is at at monotonic instant `at_ns`, on the clock
 * pairing (frame `clock_frame` began at `clock_mono_ns`) carried at the
 * nominal `rate`: the frame whose time span holds at_ns, before the pairing
 * as well as after it (a call can arrive before the head the control thread
 * reads when it runs the call). Never before `first`. */
uint64_t reel_stream_frame_from_clock(uint64_t clock_frame, int64_t clock_mono_ns, uint32_t rate,
                                      uint64_t first, int64_t at_ns);

/* The frame stream `uri` is at at monotonic instant `mono_ns`: the control
 * plane's newest head (reported every ~100 ms with the clocks of its
 * period) carried forward or back at the nominal rate
 * (reel_stream_frame_from_clock); exact to the device clock's
 * drift over < 100 ms plus scheduling jitter. A stream not started yet is at
 * its first frame. *device_frame (may be NULL) is the device's frame clock
 * at that instant, *has_device whether it is known. REEL_ENOENT: no such
 * stream; REEL_ESTATE: not recording. */
int reel_stream_frame_at(reel_control *ctl, const char *uri, int64_t mono_ns, uint64_t *frame,
                         uint64_t *device_frame, bool *has_device, reel_error *err);

/* {"stream", "state": recording|stopped|unknown, "frame", "rate"}. */
json_t *reel_stream_state_json(reel_control *ctl, const char *uri);

#endif
