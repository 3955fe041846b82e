/*
 * follow_ops.c — follow_set, follow_clear, follow_enable: a project's
 * follow actions edited as new versions (follow_doc.h says what an
 * attachment holds; follow_plan.h what it does).
 *
 * One attachment per clip, group or timeline: setting one replaces the
 * one before. Before it is stored, the new document's timelines are
 * expanded once (lengths from the document, over ten minutes) so that
 * follow actions that trigger each other with no time passing are
 * refused now, not when they play.
 *
 * Owns: the document's "follow" and "follow_enabled". Must never: store
 * an attachment naming what does not exist, or one that loops in no time.
 */
#include "model/follow/follow_doc.h"
#include "model/follow/follow_plan.h"
#include "model/project/project_edit.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>

#define LOOP_CHECK_SECONDS 600

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The clip `id` of any timeline, of kind `kind` (NULL: any). */
static json_t *clip_of_kind(json_t *doc, const char *id, const char *kind)
{
    json_t *tl;
    json_t *c = reel_project_clip_find(doc, id, &tl, NULL);
    if (c && kind && strcmp(str(c, "kind") ? str(c, "kind") : "audio", kind) != 0)
        return NULL;
    return c;
}

static int check_action(json_t *doc, const reel_follow *f, json_t *tl, const reel_follow_action *a,
                        reel_error *err)
{
    const char *id = f->id ? f->id : "?";
    json_t *tls = json_object_get(doc, "timelines");
    if (a->kind == REEL_FOLLOW_JUMP &&
        !reel_project_find(json_object_get(tl, "markers"), a->marker, NULL))
        return reel_error_set(err, REEL_ENOENT, "follow %s: timeline %s has no marker '%.64s'",
                              id, str(tl, "id"), a->marker);
    if ((a->kind == REEL_FOLLOW_PLAY_TL || a->kind == REEL_FOLLOW_STOP_TL) && a->timeline &&
        !reel_project_find(tls, a->timeline, NULL))
        return reel_error_set(err, REEL_ENOENT, "follow %s: no timeline '%.64s' in this project",
                              id, a->timeline);
    if (a->kind == REEL_FOLLOW_TRIGGER && !clip_of_kind(doc, a->action_clip, "action"))
        return reel_error_set(err, REEL_ENOENT, "follow %s: no action clip '%.64s' in this "
                              "project", id, a->action_clip);
    return REEL_OK;
}

/* What `f` names exists in `doc` (its target, markers, timelines, action
 * clips) and its actions fit its scope. */
static int check_refs(json_t *doc, const reel_follow *f, reel_error *err)
{
    const char *id = f->id ? f->id : "?";
    json_t *tls = json_object_get(doc, "timelines");
    json_t *tl = NULL;
    if (f->scope == REEL_FOLLOW_CLIP) {
        json_t *c = reel_project_clip_find(doc, f->target, &tl, NULL);
        const char *kind = c ? str(c, "kind") : NULL;
        if (!c || (kind && strcmp(kind, "audio") != 0))
            return reel_error_set(err, REEL_ENOENT, "follow %s: no audio clip '%.64s' in this "
                                  "project", id, f->target);
    } else if (f->scope == REEL_FOLLOW_GROUP) {
        tl = reel_project_find(tls, f->timeline, NULL);
        if (!tl)
            return reel_error_set(err, REEL_ENOENT, "follow %s: no timeline '%.64s' in this "
                                  "project", id, f->timeline);
        size_t i, n = 0;
        json_t *c;
        json_array_foreach(json_object_get(tl, "clips"), i, c)
            n += str(c, "group") && strcmp(str(c, "group"), f->target) == 0;
        if (!n)
            return reel_error_set(err, REEL_ENOENT, "follow %s: timeline %s has no clip in "
                                  "group '%.64s'", id, f->timeline, f->target);
    } else {
        tl = reel_project_find(tls, f->target, NULL);
        if (!tl)
            return reel_error_set(err, REEL_ENOENT, "follow %s: no timeline '%.64s' in this "
                                  "project", id, f->target);
    }
    int rc = check_action(doc, f, tl, &f->a, err);
    return rc ? rc : check_action(doc, f, tl, &f->b, err);
}


static const char *const fields[] = {"scope", "target", "timeline", "a", "b", "chance",
                                     "linked", "loops", "after", "quantize"};

/* Every timeline of `doc` expanded from its start: a loop in no time is
 * an error. */
static int check_loops(json_t *doc, reel_error *err)
{
    int64_t horizon = (int64_t)LOOP_CHECK_SECONDS * json_integer_value(json_object_get(doc,
                                                                                     "rate"));
    size_t i;
    json_t *tl;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        reel_follow_plan *p;
        int rc = reel_follow_plan_build(doc, tl, horizon, reel_follow_len_from_doc, doc, &p, err);
        if (rc)
            return rc;
        reel_follow_plan_free(p);
    }
    return REEL_OK;
}

static json_t *follow_array(json_t *doc)
{
    json_t *a = json_object_get(doc, "follow");
    if (!a) {
        a = json_array();
        json_object_set_new(doc, "follow", a);
    }
    return a;
}

static int edit_follow_set(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    json_t *att = json_object();
    if (!att)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        json_t *v = json_object_get(args, fields[k]);
        if (v)
            json_object_set(att, fields[k], v);
    }
    /* the same target keeps its attachment's id */
    json_t *arr = follow_array(doc), *old;
    size_t i, at = (size_t)-1;
    const char *scope = reel_arg_str(args, "scope", ""), *target = reel_arg_str(args, "target", "");
    json_array_foreach(arr, i, old) {
        const char *s = json_string_value(json_object_get(old, "scope"));
        const char *t = json_string_value(json_object_get(old, "target"));
        if (s && t && strcmp(s, scope) == 0 && strcmp(t, target) == 0)
            at = i;
    }
    char id[REEL_PROJECT_ID_MAX];
    if (at != (size_t)-1)
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_array_get(arr, at),
                                                                        "id")));
    else
        reel_project_new_id(doc, "f", id);
    json_object_set_new(att, "id", json_string(id));
    if (strcmp(scope, "clip") == 0 && !json_object_get(att, "timeline")) {
        json_t *tl;
        if (reel_project_clip_find(doc, target, &tl, NULL))
            json_object_set(att, "timeline", json_object_get(tl, "id"));
    }
    reel_follow f;
    int rc = reel_follow_parse(att, &f, err);
    if (!rc)
        rc = check_refs(doc, &f, err);
    if (rc) {
        json_decref(att);
        return rc;
    }
    if (at != (size_t)-1)
        json_array_set_new(arr, at, att);
    else
        json_array_append_new(arr, att);
    if ((rc = check_loops(doc, err)))
        return rc;
    json_object_set_new(reply, "follow", json_string(id));
    return REEL_OK;
}

static int edit_follow_clear(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    json_t *arr = json_object_get(doc, "follow");
    const char *id = reel_arg_str(args, "follow", NULL), *target = reel_arg_str(args, "target",
                                                                               NULL);
    bool all = reel_arg_bool(args, "all", false);
    if (!id && !target && !all)
        return reel_error_set(err, REEL_EINVAL, "follow_clear needs \"follow\" (an id), "
                              "\"target\" (a clip, group or timeline) or \"all\"%s", "");
    size_t removed = 0;
    for (size_t i = json_array_size(arr); i-- > 0;) {
        json_t *a = json_array_get(arr, i);
        const char *aid = json_string_value(json_object_get(a, "id"));
        const char *at = json_string_value(json_object_get(a, "target"));
        if (all || (id && aid && strcmp(id, aid) == 0) || (target && at && strcmp(target, at) == 0)) {
            json_array_remove(arr, i);
            removed++;
        }
    }
    if (!removed && !all)
        return reel_error_set(err, REEL_ENOENT, "no follow action %s '%.64s' in this project",
                              id ? "" : "on", id ? id : target);
    json_object_set_new(reply, "removed", json_integer((json_int_t)removed));
    return REEL_OK;
}

static int edit_follow_enable(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    (void)x;
    (void)err;
    bool on = reel_arg_bool(args, "enabled", true);
    if (on)
        json_object_del(doc, "follow_enabled");
    else
        json_object_set_new(doc, "follow_enabled", json_false());
    json_object_set_new(reply, "enabled", json_boolean(on));
    return REEL_OK;
}

static int op_follow_set(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "follow_set", edit_follow_set, out, err);
}

static int op_follow_clear(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "follow_clear", edit_follow_clear, out, err);
}

static int op_follow_enable(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "follow_enable", edit_follow_enable, out, err);
}

static const reel_op ops[] = {
    {"follow_set", "Attach a follow action to a clip, a group or a timeline: actions A and B "
     "(Stop, PlayAgain, LoopClip, PlayNextClip, Previous, First, Last, Any, Other, "
     "RandomClipInGroup, JumpToMarker, PlayTimeline, StopTimeline, TriggerActionClip, "
     "NoAction) with A's chance in percent, linked (after N loops) or unlinked (after a time), "
     "quantized to a beat or bar; replaces the target's attachment.", 0, op_follow_set},
    {"follow_clear", "Remove a follow action (by id, by target, or all).", 0, op_follow_clear},
    {"follow_enable", "Switch a project's follow actions off (while editing: clips play where "
     "they are placed) or on again.", 0, op_follow_enable},
};

static const reel_op_table follow_ops = {
    .name = "follow",
    .order = 19,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(follow_ops);
