/*
 * follow_doc.h — follow actions as a project stores them (DESIGN.md
 * section 11, seed 004 sections 2.8 and 11; Live's semantics, reference
 * anchors.md section 7).
 *
 * An attachment is an object of the document's "follow" array:
 *   {"id", "scope": "clip"|"group"|"timeline", "target": clip, group or
 *    timeline id, "timeline": the group's timeline (group scope),
 *    "a": action, "b": action (optional), "chance": percent of A (0-100,
 *    default 100; B gets the rest),
 *    "linked": true (default) with "loops" N (>= 1, default 1): after the
 *    clip has played N times (a timeline: after its last clip's end, N
 *    times), or "linked": false with "after": a time in the timeline's
 *    timebase (> 0) from the clip's start,
 *    "quantize": "none" (default) | "beat" | "bar": the action waits for
 *    the next beat or bar of the tempo map}
 * An action: {"action": one of the names below, and what it names:
 *   "marker" (JumpToMarker), "timeline" (PlayTimeline, StopTimeline: its
 *   own when absent), "action_clip" (TriggerActionClip), "count"
 *   (LoopClip: repeats, default until stopped)}.
 * The document's "follow_enabled": false turns every attachment off (the
 * switch for editing): clips then play where they are placed.
 *
 * Owns: the names and parsing an attachment into a struct (shape and
 * ranges; that its references resolve is render/engine/follow_ops.c's
 * check, for it needs the project). Must never: touch the store, or run
 * anything.
 */
#ifndef REEL_FOLLOW_DOC_H
#define REEL_FOLLOW_DOC_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum reel_follow_kind {
    REEL_FOLLOW_NONE,       /* NoAction: the clip plays on to its end */
    REEL_FOLLOW_STOP,       /* Stop */
    REEL_FOLLOW_AGAIN,      /* PlayAgain: from its start, evaluated again */
    REEL_FOLLOW_LOOP,       /* LoopClip: repeats (count times, or until stopped) */
    REEL_FOLLOW_NEXT,       /* PlayNextClip (the last wraps to the first) */
    REEL_FOLLOW_PREVIOUS,   /* Previous (the first wraps to the last) */
    REEL_FOLLOW_FIRST,      /* First */
    REEL_FOLLOW_LAST,       /* Last */
    REEL_FOLLOW_ANY,        /* Any: any clip of the group, itself included */
    REEL_FOLLOW_OTHER,      /* Other: never itself unless it is alone */
    REEL_FOLLOW_RANDOM,     /* RandomClipInGroup: the seed's name for Any */
    REEL_FOLLOW_JUMP,       /* JumpToMarker: its timeline plays on from a marker */
    REEL_FOLLOW_PLAY_TL,    /* PlayTimeline */
    REEL_FOLLOW_STOP_TL,    /* StopTimeline */
    REEL_FOLLOW_TRIGGER,    /* TriggerActionClip */
    REEL_FOLLOW_N_KINDS,
} reel_follow_kind;

typedef enum reel_follow_scope {
    REEL_FOLLOW_CLIP,
    REEL_FOLLOW_GROUP,
    REEL_FOLLOW_TIMELINE,
} reel_follow_scope;

typedef struct reel_follow_action {
    reel_follow_kind kind;
    const char *marker, *timeline, *action_clip; /* borrowed from the document */
    int64_t count;                               /* LoopClip: 0 = until stopped */
} reel_follow_action;

typedef struct reel_follow {
    const char *id, *target, *timeline; /* borrowed */
    reel_follow_scope scope;
    reel_follow_action a, b;
    int chance;      /* percent of A */
    bool linked;
    int64_t loops;   /* linked */
    double after;    /* unlinked, in the timeline's timebase */
    const char *quantize; /* "none", "beat", "bar" */
} reel_follow;

const char *reel_follow_kind_name(reel_follow_kind k);
/* Whether action `k` picks another clip of a group (Next ... Random). */
bool reel_follow_kind_picks(reel_follow_kind k);

/* Parse attachment `att` (its shape and ranges; REEL_EINVAL names the
 * field). The struct borrows att's strings. */
int reel_follow_parse(json_t *att, reel_follow *out, reel_error *err);

/* Whether `doc` has follow actions switched on (attachments, and
 * "follow_enabled" not false). */
bool reel_follow_enabled(json_t *doc);

#endif
