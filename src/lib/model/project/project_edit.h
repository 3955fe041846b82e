/*
 * project_edit.h — how every edit op runs (project_ops.c): read the head,
 * refuse a stale `base`, apply the edit to a copy of the head's document,
 * store the result as the new head, answer with the new `version`.
 *
 * Edits of one service are serialized (a lock in the feature's state), so
 * two HTTP clients editing at once both land, one after the other; an
 * edit from another process in between is caught by the commit's own head
 * check and refused as a conflict.
 *
 * Owns: that sequence. Must never: store a version an edit function failed
 * on, or let an edit see the stored document itself (it gets a copy).
 */
#ifndef REEL_PROJECT_EDIT_H
#define REEL_PROJECT_EDIT_H

#include "core/op.h"
#include "model/project/project_doc.h"

/* Change `doc` as op `args` say; add what the caller should learn (new
 * ids) to `reply`. */
typedef int (*reel_project_edit_fn)(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                                    reel_error *err);

int reel_project_edit(reel_op_ctx *x, json_t *args, const char *op, reel_project_edit_fn fn,
                      json_t **out, reel_error *err);

/* The timeline an op names ("timeline"), or the project's first. */
json_t *reel_project_arg_timeline(json_t *doc, json_t *args, reel_error *err);

#endif
