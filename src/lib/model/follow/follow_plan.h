/*
 * follow_plan.h — what a timeline plays once its follow actions, nested
 * timelines and timeline triggers have run (DESIGN.md section 11, seed 004
 * sections 7.5, 8 and 11): the list of clip plays ("voices"), each a clip
 * of some timeline sounding from a plan frame for so many frames, and the
 * choices made on the way.
 *
 * Everything a follow action decides is a function of the document: clip
 * lengths (asked of the caller, which knows its sources), the tempo map,
 * and a generator per attachment seeded by the project's seed and the
 * attachment's id (splitmix64). So the plan is computed ahead of the
 * playhead, on the control side, from frame 0, and a realtime run and an
 * offline render of one version hold the same voices: the next clip starts
 * on the frame the previous one stops, whatever the period.
 *
 * Timeline events (a timeline's "events", seed 004 section 7.4) run in the
 * same loop, at their positions in each instance of their timeline:
 * audio_clip_start/stop/param (target: a clip of the timeline; param's
 * payload {param (default gain), value}), timeline_play/stop (target: a
 * timeline, default its own), timeline_seek (payload {to}) and
 * timeline_jump_marker (payload {marker} or target). ui_* and script_run
 * events are only logged, for the transport to publish and run as the
 * playhead passes them (a render runs no script); routing_set and
 * routing_update are kept, in frame order, for the compile to turn into
 * the graph that plays from their frame on (graph_compile.h).
 *
 * Semantics (Live's, on a timeline): a clip plays where it is placed,
 * except in a group that has follow actions, where only the group's first
 * clip (by position) plays by placement and the others wait to be picked.
 * A clip's follow action (its own, else its group's) fires at its end
 * after `loops` plays (linked) or `after` its start (unlinked; a clip with
 * "loop" repeats until then), on the next beat or bar if quantized. The
 * action replaces the clip (Stop, PlayAgain, LoopClip, the picks, Jump,
 * PlayTimeline), except NoAction and TriggerActionClip, which let it play
 * on. A timeline's own follow action fires when its last clip ends (after
 * `loops` passes) or `after` its start. A nested timeline clip plays its
 * child from its start marker (or 0) to its end marker (or the child's
 * end), looping between its loop markers until its "length" (in the
 * parent's timebase) runs out. A reference to something removed since the
 * attachment was set does nothing and says so in the log.
 *
 * The plan ends at `horizon` (a plan frame): no follow action fires at or
 * after it, and `open` says something would have (a chain that never
 * stops). Actions that trigger each other with no time passing are
 * refused (REEL_EINVAL naming the attachment).
 *
 * Owns: the expansion and its memory. Must never: read a source, or run
 * anywhere near the realtime thread.
 */
#ifndef REEL_FOLLOW_PLAN_H
#define REEL_FOLLOW_PLAN_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct reel_follow_voice {
    json_t *timeline, *clip; /* borrowed from the document */
    int64_t at;              /* plan frame of its first sound */
    int64_t off;             /* frames into the clip it starts at */
    int64_t len;             /* frames it sounds */
    bool placed;             /* the root timeline's own placement of the clip */
} reel_follow_voice;

typedef struct reel_follow_trigger {
    json_t *timeline, *clip; /* the action clip and its timeline (borrowed) */
    int64_t at;              /* plan frame its events count from */
} reel_follow_trigger;

/* A value a timeline event sets on an automation target at a frame
 * (audio_clip_param: "clip:<id>:<param>"). */
typedef struct reel_follow_cmd {
    char target[200];
    int64_t frame;
    double value;
} reel_follow_cmd;

/* A routing event (routing_set, routing_update) reached at a frame. */
typedef struct reel_follow_route {
    json_t *event; /* borrowed from the document */
    int64_t frame;
} reel_follow_route;

typedef struct reel_follow_plan {
    reel_follow_voice *voice; /* in the order made */
    size_t n_voice;
    reel_follow_trigger *trigger;
    size_t n_trigger;
    reel_follow_cmd *cmd;
    size_t n_cmd;
    reel_follow_route *route; /* in frame order */
    size_t n_route;
    /* in frame order: follow choices {frame, follow, from, choice "a"|"b",
     * action, to?, note?} and timeline events {frame, event, type, target?,
     * payload?, note?} */
    json_t *log;
    size_t log_dropped; /* entries past REEL_FOLLOW_LOG_MAX (counted, not kept) */
    bool open;    /* a follow action was still to fire at the horizon */
    int64_t end;  /* the frame after the last one any voice sounds */
} reel_follow_plan;

#define REEL_FOLLOW_LOG_MAX 100000
#define REEL_FOLLOW_VOICES_MAX 2000000

/* Frames that clip `clip` of `timeline` sounds at the project's rate (all
 * of it, from its start to its end, stretched as it plays). */
typedef int (*reel_follow_len_fn)(void *ud, json_t *timeline, json_t *clip, int64_t *frames,
                                  reel_error *err);

/* Whether timeline `tl` of `doc` needs a plan (follow actions switched on,
 * a nested timeline clip or events on it): otherwise its clips play
 * exactly where they are placed. */
bool reel_follow_plan_needed(json_t *doc, json_t *tl);

int reel_follow_plan_build(json_t *doc, json_t *tl, int64_t horizon, reel_follow_len_fn len,
                           void *ud, reel_follow_plan **out, reel_error *err);
void reel_follow_plan_free(reel_follow_plan *p);

/* One more value on a target at a frame (the compile adds a routing
 * event's parameter changes this way). */
int reel_follow_plan_cmd_add(reel_follow_plan *p, const char *target, int64_t frame,
                             double value, reel_error *err);

/* Frames of an audio clip as its document says (source frames at the
 * project's rate, stretched): a reel_follow_len_fn for checks made
 * without sources (ud: the document). */
int reel_follow_len_from_doc(void *ud, json_t *timeline, json_t *clip, int64_t *frames,
                             reel_error *err);

#endif
