/*
 * project_doc.h — a project version as a JSON document (DESIGN.md section
 * 8; its schema: schemas/project.schema.json at the top of the tree).
 *
 * A version holds the whole state of a project: tracks, timelines (their
 * markers, clips, events and loop region), the tempo map, the random seed,
 * and the places the engine, automation and scene issues fill (graph,
 * lanes, mappings, scenes). Positions on a timeline (`at`, marker times,
 * loop bounds, action clip lengths) are in the timeline's timebase:
 * seconds, or beats (quarter notes) through the tempo map. Offsets into a
 * source (`start`, `end`, fades) are whole frames of the source, so that a
 * clip names exactly the samples it plays.
 *
 * Owns: building, finding things in, and checking a document. A check is
 * the schema (the same file python3-jsonschema reads) plus what a schema
 * cannot say: ids unique, references resolved (a clip's track, a nested
 * timeline, its markers), ranges ordered and inside their source, no
 * timeline nested in itself, no position past 2^53 frames. Must never: touch the store (project_db.c
 * does), or accept a document it could not check.
 */
#ifndef REEL_PROJECT_DOC_H
#define REEL_PROJECT_DOC_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define REEL_PROJECT_FORMAT "reel-project-1"
#define REEL_PROJECT_ID_MAX 64
#define REEL_PROJECT_VERSION_MAX 72 /* "blake3:<64 hex>" + NUL */
#define REEL_PROJECT_FRAMES_MAX 9007199254740992.0 /* 2^53: a double counts every frame */

/* A new project's first document (no tracks, one timeline "main" in
 * seconds, 120 bpm 4/4). NULL on allocation failure. */
json_t *reel_project_doc_new(const char *id, const char *name, uint32_t rate, uint64_t seed);

/* Schema and consistency; REEL_EINVAL names the first problem. */
int reel_project_doc_check(json_t *doc, reel_error *err);

/* The same check in parts, so that an edit of a large project checks what
 * it changed: a checker made for `doc` (it checks the frame's schema: all
 * but the clips), then the frame's consistency (ids, markers, events,
 * loops, nesting), then any clip on its own (its schema and references).
 * reel_project_doc_check is all three over every clip. */
typedef struct reel_project_checker reel_project_checker;
int reel_project_checker_new(json_t *doc, reel_project_checker **out, reel_error *err);
int reel_project_checker_frame(reel_project_checker *k, reel_error *err);
int reel_project_checker_clip(reel_project_checker *k, json_t *timeline, json_t *clip,
                              reel_error *err);
void reel_project_checker_free(reel_project_checker *k);

/* The object in array `arr` whose "id" is `id` (NULL if none); its index
 * into *index when found and index is not NULL. */
json_t *reel_project_find(json_t *arr, const char *id, size_t *index);
/* Remove the object `id` from the document's array `array` (REEL_ENOENT,
 * "no <what> '<id>' in this project", when it has none). */
int reel_project_remove_item(json_t *doc, const char *array, const char *id, const char *what,
                             reel_error *err);

/* A fresh id "<prefix><n>-<tag>" from the document's next_id counter (which
 * it advances; ids are never reused within a project's history, so an id
 * names one thing across versions) and the project's tag (4 hex digits of
 * its id, so that a clip id of another project is told apart: "c7-25db"). */
void reel_project_new_id(json_t *doc, const char *prefix, char out[REEL_PROJECT_ID_MAX]);

/* An id made by another project (ids end in "-" and 4 hex digits of their
 * project's id). */
bool reel_project_id_foreign(json_t *doc, const char *id);

/* The clip `clip_id` on any timeline: the clip, its timeline and index. */
json_t *reel_project_clip_find(json_t *doc, const char *clip_id, json_t **timeline, size_t *index);

/* A timeline position in frames at the project's rate, through the tempo
 * map for a beats timeline (time/tempo.h's one rounding rule). */
int reel_project_pos_frames(json_t *doc, json_t *timeline, double at, int64_t *frames,
                            reel_error *err);

/* The timeline position `frames` frames after position `at` (inverse of
 * the above, for splits and joins). */
double reel_project_pos_after(json_t *doc, json_t *timeline, double at, int64_t frames);

/* Frames of a clip's source played per second of timeline, and back: the
 * frames of `clip` (at its stretch) that cover the timeline from its
 * position to `to`, rounded by the tempo map's rule. */
int reel_project_clip_frames_to(json_t *doc, json_t *timeline, json_t *clip, double to,
                                int64_t *frames, reel_error *err);

/* The position where `clip` ends on its timeline. */
double reel_project_clip_end_pos(json_t *doc, json_t *timeline, json_t *clip);

/* A copy of `doc` to edit: everything is copied but the clip objects,
 * which the copy shares with `doc` (its clips arrays are new arrays of the
 * same clips). An edit that changes a clip first replaces it in its array
 * with reel_project_clip_writable; an untouched clip stays the very same
 * object, which is how storing the result knows what to write again. */
json_t *reel_project_doc_cow(json_t *doc);

/* Replace clips[index] of `timeline` with a copy of its own and return it. */
json_t *reel_project_clip_writable(json_t *timeline, size_t index);

/* Canonical text (compact, sorted keys): what is hashed and stored.
 * Caller frees. NULL on allocation failure. */
char *reel_project_doc_dump(json_t *doc);

#endif
