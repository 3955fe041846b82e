/*
 * event_check.h — checks a feature registers for the timeline events it
 * runs (seed 004 section 7.4): timeline_event_add runs every one on the
 * edited copy, so an event the engine could not play is refused when it is
 * added, naming what is wrong, and nothing is stored.
 *
 * Owns: nothing. Must never: change the document.
 */
#ifndef REEL_MODEL_PROJECT_EVENT_CHECK_H
#define REEL_MODEL_PROJECT_EVENT_CHECK_H

#include "core/error.h"
#include "core/registry.h"

#include <jansson.h>

typedef struct reel_event_check {
    const char *name;
    /* `ev` just added to timeline `tl` of `doc`: REEL_OK, or an error */
    int (*check)(json_t *doc, json_t *tl, json_t *ev, reel_error *err);
} reel_event_check;
#define REEL_EVENT_CHECKS(object) REEL_REGISTER(event_checks, reel_event_check, object)

#endif
