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

/* {"stream", "state": recording|stopped|unknown, "frame", "rate"}. */
json_t *reel_stream_state_json(reel_control *ctl, const char *uri);

#endif
