/*
 * timeline_ops.c — the seed's timeline transport (seed 004 sections 7.3 and
 * 7.6): timeline_play, timeline_stop, timeline_seek, timeline_set_loop,
 * timeline_get_state, and the helpers play_asset_as_timeline and
 * play_marker_segment, over the transport's ops (transport.c) and the
 * project's edits.
 *
 * One timeline plays at a time through the transport: the others a
 * timeline starts (PlayTimeline, timeline_play events) play inside its plan
 * (model/follow/follow_plan.h). Positions are in the timeline's timebase;
 * a marker stands for its position wherever a position is asked.
 *
 * Owns: turning these calls into transport and edit ops. Must never: touch
 * the player itself, or stop a timeline other than the one named.
 */
#include "core/op.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"

#include <stdio.h>
#include <string.h>

/* The head document of `project` (caller decrefs) and its version. */
static int head_doc(reel_op_ctx *x, const char *project, json_t **doc, reel_error *err)
{
    reel_project_version f;
    int rc = reel_project_version_get(reel_store_db(x->st), project, NULL, &f, err);
    return rc ? rc : reel_project_load(x->st, f.version, doc, err);
}

/* The timeline `id` of `doc` (NULL: its first), or an error naming it. */
static json_t *timeline_or_fail(json_t *doc, const char *id, reel_error *err)
{
    json_t *tls = json_object_get(doc, "timelines");
    json_t *tl = id ? reel_project_find(tls, id, NULL) : json_array_get(tls, 0);
    if (!tl)
        reel_error_set(err, REEL_ENOENT, "no timeline '%.64s' in this project", id ? id : "");
    return tl;
}

/* The position of marker `id` on `tl`. */
static int marker_pos(json_t *tl, const char *id, double *at, reel_error *err)
{
    json_t *m = reel_project_find(json_object_get(tl, "markers"), id, NULL);
    if (!m)
        return reel_error_set(err, REEL_ENOENT, "timeline %s has no marker '%.64s'",
                              json_string_value(json_object_get(tl, "id")), id);
    *at = json_number_value(json_object_get(m, "at"));
    return REEL_OK;
}

static int run(reel_op_ctx *x, const char *op, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_service_run_op(x->service, op, args, x->origin, out, err);
    json_decref(args);
    return rc;
}

/* The transport's state, and whether it has `timeline` of `project`
 * loaded (NULL: whichever). */
static int state_of(reel_op_ctx *x, const char *project, const char *timeline, json_t **st,
                    bool *loaded, reel_error *err)
{
    int rc = run(x, "transport_state", json_object(), st, err);
    if (rc)
        return rc;
    const char *p = json_string_value(json_object_get(*st, "project")) ?: "";
    const char *t = json_string_value(json_object_get(*st, "timeline")) ?: "";
    *loaded = *p && (!project || strcmp(p, project) == 0) && (!timeline || strcmp(t, timeline) == 0);
    return REEL_OK;
}

/* transport_play of `project`'s timeline from a position or a marker,
 * perhaps to one or looping a region: the common part of the play ops. */
static int play(reel_op_ctx *x, json_t *args, json_t *extra, json_t **out, reel_error *err)
{
    const char *project = reel_arg_str(args, "project", "");
    json_t *doc;
    int rc = head_doc(x, project, &doc, err);
    if (rc) {
        json_decref(extra);
        return rc;
    }
    json_t *tl = timeline_or_fail(doc, reel_arg_str(args, "timeline", NULL), err);
    json_t *a = json_pack("{s:s, s:O}", "project", project, "timeline",
                          tl ? json_object_get(tl, "id") : json_null());
    const char *keys[] = {"from", "ports", "node", "to"};
    for (size_t k = 0; tl && k < sizeof keys / sizeof keys[0]; k++)
        if (json_object_get(args, keys[k]))
            json_object_set(a, keys[k], json_object_get(args, keys[k]));
    double at;
    const char *mk = reel_arg_str(args, "marker", NULL);
    if (!tl)
        rc = err->code;
    else if (mk && !(rc = marker_pos(tl, mk, &at, err)))
        json_object_set_new(a, "from", json_real(at));
    if (extra)
        json_object_update(a, extra);
    json_decref(extra);
    json_decref(doc);
    if (rc) {
        json_decref(a);
        return rc;
    }
    return run(x, "transport_play", a, out, err);
}

static int op_timeline_play(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return play(x, args, NULL, out, err);
}

static int op_timeline_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *st;
    bool loaded;
    const char *tl = reel_arg_str(args, "timeline", NULL);
    int rc = state_of(x, reel_arg_str(args, "project", NULL), tl, &st, &loaded, err);
    if (rc)
        return rc;
    bool playing = json_is_true(json_object_get(st, "playing"));
    json_decref(st);
    if (!loaded || !playing)
        return reel_error_set(err, REEL_ESTATE, "timeline %.64s is not playing",
                              tl ? tl : "(any)");
    return run(x, "transport_stop", json_object(), out, err);
}

static int op_timeline_seek(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *st;
    bool loaded;
    const char *tl = reel_arg_str(args, "timeline", NULL);
    int rc = state_of(x, reel_arg_str(args, "project", NULL), tl, &st, &loaded, err);
    json_decref(st);
    if (rc)
        return rc;
    if (!loaded)
        return reel_error_set(err, REEL_ESTATE, "timeline %.64s is not loaded in the transport "
                              "(timeline_play it first)", tl ? tl : "(any)");
    json_t *a = json_object();
    if (json_object_get(args, "to"))
        json_object_set(a, "to", json_object_get(args, "to"));
    if (json_object_get(args, "marker"))
        json_object_set(a, "marker", json_object_get(args, "marker"));
    return run(x, "transport_seek", a, out, err);
}

/* ---- the loop region ------------------------------------------------------------ */

static int edit_set_loop(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                         reel_error *err)
{
    (void)x;
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    const char *a = reel_arg_str(args, "start_marker", NULL), *b = reel_arg_str(args, "end_marker",
                                                                              NULL);
    if (!a && !b) { /* no markers: no loop */
        json_object_del(tl, "loop");
        json_object_set_new(reply, "loop", json_null());
        return REEL_OK;
    }
    double from, to;
    int rc;
    if (!a || !b)
        return reel_error_set(err, REEL_EINVAL, "a loop needs start_marker and end_marker "
                              "(neither: no loop)%s", "");
    if ((rc = marker_pos(tl, a, &from, err)) || (rc = marker_pos(tl, b, &to, err)))
        return rc;
    if (to <= from)
        return reel_error_set(err, REEL_ERANGE, "marker %.64s (at %g) is not after marker "
                              "%.64s (at %g)", b, to, a, from);
    json_object_set_new(tl, "loop", json_pack("{s:f, s:f}", "from", from, "to", to));
    json_object_set_new(reply, "loop", json_pack("{s:f, s:f}", "from", from, "to", to));
    return REEL_OK;
}

/* The loop stored; a transport playing this timeline picks it up at once
 * (the new version played on from the playhead). */
static int op_timeline_set_loop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_project_edit(x, args, "timeline_set_loop", edit_set_loop, out, err);
    if (rc)
        return rc;
    json_t *st;
    bool loaded;
    const char *project = reel_arg_str(args, "project", "");
    json_t *doc;
    if (head_doc(x, project, &doc, err))
        return REEL_OK; /* stored; nothing more to do */
    json_t *tl = timeline_or_fail(doc, reel_arg_str(args, "timeline", NULL), err);
    const char *tid = tl ? json_string_value(json_object_get(tl, "id")) : NULL;
    if (tid && !state_of(x, project, tid, &st, &loaded, err)) {
        if (loaded && json_is_true(json_object_get(st, "playing"))) {
            json_t *played = NULL;
            reel_error e;
            json_t *a = json_pack("{s:s, s:s, s:f}", "project", project, "timeline", tid, "from",
                                  reel_project_pos_after(doc, tl, 0, json_integer_value(
                                      json_object_get(st, "position_frame"))));
            if (!run(x, "transport_play", a, &played, &e))
                json_object_set_new(*out, "playing", json_true());
            json_decref(played);
        }
        json_decref(st);
    }
    json_decref(doc);
    return REEL_OK;
}

/* ---- state ---------------------------------------------------------------------- */

static int op_timeline_get_state(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *project = reel_arg_str(args, "project", NULL);
    const char *tid = reel_arg_str(args, "timeline", NULL);
    json_t *st;
    bool loaded;
    int rc = state_of(x, project, tid, &st, &loaded, err);
    if (rc)
        return rc;
    if (!project && !loaded) {
        json_decref(st);
        return reel_error_set(err, REEL_ESTATE, "nothing is loaded: name a project%s", "");
    }
    json_t *doc = NULL;
    if (loaded)
        rc = reel_project_load(x->st, json_string_value(json_object_get(st, "version")), &doc,
                               err);
    else
        rc = head_doc(x, project, &doc, err);
    json_t *tl = NULL;
    if (!rc && !(tl = timeline_or_fail(doc, loaded && !tid ? json_string_value(json_object_get(
                                                             st, "timeline")) : tid, err)))
        rc = err->code;
    if (rc) {
        json_decref(st);
        json_decref(doc);
        return rc;
    }
    bool playing = loaded && json_is_true(json_object_get(st, "playing"));
    int64_t frame = loaded ? json_integer_value(json_object_get(st, "position_frame")) : 0;
    json_t *loop = json_object_get(tl, "loop");
    *out = json_pack("{s:O, s:O, s:s, s:b, s:b, s:I, s:f, s:O, s:O, s:O}", "project",
                     json_object_get(doc, "id"), "timeline", json_object_get(tl, "id"),
                     "timebase", json_string_value(json_object_get(tl, "timebase")) ?: "seconds",
                     "loaded", loaded, "playing", playing, "position_frame", (json_int_t)frame,
                     "position", reel_project_pos_after(doc, tl, 0, frame), "loop",
                     loop ? loop : json_null(), "markers", json_object_get(tl, "markers"),
                     "follow", loaded ? json_object_get(st, "follow") : json_null());
    json_decref(st);
    json_decref(doc);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

/* ---- helpers -------------------------------------------------------------------- */

/* Between two markers: played to the end one and stopped, or looped. */
static int op_play_marker_segment(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *doc;
    int rc = head_doc(x, reel_arg_str(args, "project", ""), &doc, err);
    if (rc)
        return rc;
    json_t *tl = timeline_or_fail(doc, reel_arg_str(args, "timeline", NULL), err);
    double a = 0, b = 0;
    if (!tl || (rc = marker_pos(tl, reel_arg_str(args, "start_marker", ""), &a, err)) ||
        (rc = marker_pos(tl, reel_arg_str(args, "end_marker", ""), &b, err))) {
        json_decref(doc);
        return tl ? rc : err->code;
    }
    json_decref(doc);
    if (b <= a)
        return reel_error_set(err, REEL_ERANGE, "the end marker (at %g) is not after the start "
                              "marker (at %g)", b, a);
    json_t *extra = reel_arg_bool(args, "loop", false)
                        ? json_pack("{s:f, s:{s:f, s:f}}", "from", a, "loop", "from", a, "to", b)
                        : json_pack("{s:f, s:f}", "from", a, "to", b);
    json_t *pa = json_pack("{s:O, s:O*}", "project", json_object_get(args, "project"),
                           "timeline", json_object_get(args, "timeline"));
    if (json_object_get(args, "ports"))
        json_object_set(pa, "ports", json_object_get(args, "ports"));
    rc = play(x, pa, extra, out, err);
    json_decref(pa);
    return rc;
}

/* The reference timeline of an audio artifact (seed 004 section 7.2):
 * "ref:<artifact>", one clip over the whole file, made once and reused (its
 * markers are the user's), then played. */
static int op_play_asset_as_timeline(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *project = reel_arg_str(args, "project", "");
    const char *art = reel_arg_str(args, "artifact", "");
    char name[96];
    snprintf(name, sizeof name, "ref:%.64s", art);
    json_t *doc, *r = NULL;
    int rc = head_doc(x, project, &doc, err);
    if (rc)
        return rc;
    size_t i;
    json_t *tl, *found = NULL;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl)
        if (strcmp(json_string_value(json_object_get(tl, "name")) ?: "", name) == 0)
            found = tl;
    char tid[64] = "";
    bool created = !found;
    if (found)
        snprintf(tid, sizeof tid, "%s", json_string_value(json_object_get(found, "id")));
    json_decref(doc);
    if (created) {
        const char *track = reel_arg_str(args, "track", NULL);
        char tr[64] = "";
        if (!track) { /* a track of the file's channels, named after it */
            json_t *info = NULL;
            if ((rc = run(x, "artifact_get", json_pack("{s:s}", "id", art), &info, err)))
                return rc;
            json_int_t ch = json_integer_value(json_object_get(json_object_get(info, "meta"),
                                                               "channels"));
            json_decref(info);
            if ((rc = run(x, "track_add", json_pack("{s:s, s:s, s:I}", "project", project, "name",
                                                    name, "channels", ch > 0 ? ch : 2),
                          &r, err)))
                return rc;
            snprintf(tr, sizeof tr, "%s", json_string_value(json_object_get(r, "track")) ?: "");
            json_decref(r);
            track = tr;
        }
        if ((rc = run(x, "timeline_add", json_pack("{s:s, s:s}", "project", project, "name",
                                                   name), &r, err)))
            return rc;
        snprintf(tid, sizeof tid, "%s", json_string_value(json_object_get(r, "timeline")) ?: "");
        json_decref(r);
        if ((rc = run(x, "clip_add", json_pack("{s:s, s:s, s:s, s:i, s:s}", "project", project,
                                               "timeline", tid, "track", track, "at", 0,
                                               "source", art), &r, err)))
            return rc;
        json_decref(r);
    }
    json_t *pa = json_pack("{s:s, s:s}", "project", project, "timeline", tid);
    if (json_object_get(args, "ports"))
        json_object_set(pa, "ports", json_object_get(args, "ports"));
    if (json_object_get(args, "marker"))
        json_object_set(pa, "marker", json_object_get(args, "marker"));
    rc = play(x, pa, NULL, out, err);
    json_decref(pa);
    if (!rc) {
        json_object_set_new(*out, "reference_timeline", json_string(tid));
        json_object_set_new(*out, "created", json_boolean(created));
    }
    return rc;
}

static const reel_op ops[] = {
    {"timeline_play", "Play a project's timeline through the transport from a position or a "
     "marker (optionally to a position), its follow actions, nested timelines and events "
     "with it.", 0, op_timeline_play},
    {"timeline_stop", "Stop the timeline playing (refused if the one named does not play).", 0,
     op_timeline_stop},
    {"timeline_seek", "Move the playhead of the timeline loaded to a position or a marker.", 0,
     op_timeline_seek},
    {"timeline_set_loop", "Loop a timeline between two of its markers (neither: no loop); a "
     "timeline playing loops at once.", 0, op_timeline_set_loop},
    {"timeline_get_state", "A timeline's transport state: loaded, playing, position (its "
     "timebase and frames), loop, markers, follow choices made.", 0, op_timeline_get_state},
    {"play_marker_segment", "Play a timeline between two markers, stopping at the second or "
     "looping between them.", 0, op_play_marker_segment},
    {"play_asset_as_timeline", "Play an audio artifact as its reference timeline "
     "(\"ref:<artifact>\": one clip over the file, made once, then reused with its markers).",
     0, op_play_asset_as_timeline},
};

static const reel_op_table timeline_ops = {
    .name = "timeline_transport",
    .order = 20,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(timeline_ops);
