/*
 * clip_ops.c — clips on timelines: clip_add, clip_update, clip_remove,
 * clip_split, clip_join, clip_trim, clip_move, clip_group, and take_place
 * (a window of a captured stream placed on a track without copying a
 * frame: a virtual slice holds the window's chunks, the clip names it).
 *
 * Split and join follow seed 004 section 9 in frames: a split at timeline
 * position P keeps the clip's id for the left part (same start, end moved to
 * the source frame under P) and gives the right part a new id starting
 * there; a join of two contiguous clips of one source gives back the left
 * clip with the right one's end and fade-out, so a split then a join is the
 * original clip, field for field.
 *
 * Owns: these edits and the reading of a source's shape (rate, channels,
 * frames) from the artifact that holds it. Must never: rewrite a source, or
 * place a clip on a source it could not find.
 */
#include "model/project/project_edit.h"

#include "core/hash.h"
#include "slice/slice.h"
#include "store/store.h"
#include "time/timespec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sid(json_t *o)
{
    return json_string_value(json_object_get(o, "id"));
}

/* The clip `id`, made writable (project_doc.h: a clip is copied before it
 * changes, so that untouched clips stay shared with the previous version). */
static json_t *clip_or_fail(json_t *doc, const char *id, json_t **tl, size_t *idx,
                            reel_error *err)
{
    json_t *ctl;
    size_t cidx;
    json_t *c = reel_project_clip_find(doc, id, &ctl, &cidx);
    if (c && !(c = reel_project_clip_writable(ctl, cidx))) {
        reel_error_set(err, REEL_ENOMEM, "out of memory");
        return NULL;
    }
    if (c && tl)
        *tl = ctl;
    if (c && idx)
        *idx = cidx;
    if (!c && reel_project_id_foreign(doc, id))
        reel_error_set(err, REEL_EINVAL, "clip '%.64s' belongs to another project, not %s", id,
                       json_string_value(json_object_get(doc, "id")));
    else if (!c)
        reel_error_set(err, REEL_ENOENT, "no clip '%.64s' in this project", id);
    return c;
}

/* The shape of an artifact usable as a clip source: an imported file
 * (kind "audio") or an audio slice, materialized or virtual. */
static int source_of(reel_op_ctx *x, const char *spec, json_t **src, reel_error *err)
{
    reel_artifact a;
    int rc = reel_db_artifact_get(reel_store_db(x->st), spec, &a, err);
    if (rc) {
        if (rc == REEL_ENOENT)
            reel_error_set(err, REEL_ENOENT, "no source '%.80s' (want an artifact id or the "
                                             "blake3:<hex> of an imported file)", spec);
        return rc;
    }
    json_error_t je;
    json_t *meta = a.meta_json ? json_loads(a.meta_json, 0, &je) : NULL;
    json_int_t rate = 0, channels = 0, frames = -1;
    bool is_blob = strncmp(spec, "blake3:", 7) == 0;
    if (strcmp(a.kind, "audio") == 0) {
        rate = json_integer_value(json_object_get(meta, "rate"));
        channels = json_integer_value(json_object_get(meta, "channels"));
        frames = json_integer_value(json_object_get(meta, "frames"));
    } else if ((strcmp(a.kind, "slice") == 0 || strcmp(a.kind, "virtual-slice") == 0) &&
               !json_object_get(meta, "events") && a.to_frame > a.from_frame) {
        rate = json_integer_value(json_object_get(meta, "sample_rate"));
        channels = json_integer_value(json_object_get(meta, "channels"));
        frames = a.to_frame - a.from_frame;
    }
    json_decref(meta);
    if (rate <= 0 || channels <= 0 || frames <= 0) {
        rc = reel_error_set(err, REEL_EINVAL,
                            "%.80s is a %s artifact: a clip plays imported audio (reel import) or "
                            "an audio slice", spec, a.kind);
        reel_artifact_clear(&a);
        return rc;
    }
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(&a.content, hs);
    *src = json_pack("{s:s, s:I, s:I, s:I}", is_blob ? "blob" : "artifact", is_blob ? hs : a.id,
                     "rate", rate, "channels", channels, "frames", frames);
    reel_artifact_clear(&a);
    return *src ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static const char *const audio_fields[] = {"gain", "pan", "mute", "solo", "fade_in", "fade_out",
                                           "stretch", "pitch", "algorithm"};
static const char *const action_fields[] = {"length", "loop", "events"};
/* a nested clip's length (parent timebase) bounds it; without, it plays its
 * child from start to end marker once */
static const char *const nested_fields[] = {"length", "start_marker", "end_marker",
                                            "loop_start_marker", "loop_end_marker"};

static void copy_fields(json_t *obj, json_t *args, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(args, keys[i]);
        if (v)
            json_object_set(obj, keys[i], v);
    }
}

static int edit_clip_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                         reel_error *err)
{
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    const char *kind = reel_arg_str(args, "kind", "audio");
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "c", id);
    json_t *c = json_pack("{s:s, s:s, s:s, s:O}", "id", id, "kind", kind, "track",
                          reel_arg_str(args, "track", ""), "at", json_object_get(args, "at"));
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = REEL_OK;
    if (strcmp(kind, "audio") == 0) {
        const char *spec = reel_arg_str(args, "source", NULL);
        json_t *src = NULL;
        if (!spec)
            rc = reel_error_set(err, REEL_EINVAL, "an audio clip needs a \"source\"");
        else
            rc = source_of(x, spec, &src, err);
        if (!rc) {
            json_object_set_new(c, "source", src);
            json_object_set_new(c, "start", json_integer(reel_arg_int(args, "start", 0)));
            json_object_set_new(
                c, "end",
                json_integer(reel_arg_int(args, "end",
                                          json_integer_value(json_object_get(src, "frames")))));
            copy_fields(c, args, audio_fields, sizeof audio_fields / sizeof audio_fields[0]);
        }
    } else if (strcmp(kind, "action") == 0) {
        json_object_set_new(c, "events", json_array());
        copy_fields(c, args, action_fields, sizeof action_fields / sizeof action_fields[0]);
    } else {
        json_t *n = json_object_get(args, "nested");
        if (!n)
            rc = reel_error_set(err, REEL_EINVAL, "a timeline clip needs \"nested\" (the "
                                                  "timeline it plays)");
        else
            json_object_set(c, "timeline", n);
        copy_fields(c, args, nested_fields, sizeof nested_fields / sizeof nested_fields[0]);
    }
    json_t *g = json_object_get(args, "group");
    if (g)
        json_object_set(c, "group", g);
    if (rc) {
        json_decref(c);
        return rc;
    }
    json_array_append_new(json_object_get(tl, "clips"), c);
    json_object_set_new(reply, "clip", json_string(id));
    return REEL_OK;
}

static int edit_clip_update(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                            reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *c = clip_or_fail(doc, reel_arg_str(args, "clip", ""), NULL, NULL, err);
    if (!c)
        return err->code;
    copy_fields(c, args, audio_fields, sizeof audio_fields / sizeof audio_fields[0]);
    copy_fields(c, args, action_fields, sizeof action_fields / sizeof action_fields[0]);
    copy_fields(c, args, nested_fields, sizeof nested_fields / sizeof nested_fields[0]);
    return REEL_OK; /* a field of another kind of clip fails the document check */
}

static int edit_clip_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                            reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *tl;
    size_t idx;
    if (!clip_or_fail(doc, reel_arg_str(args, "clip", ""), &tl, &idx, err))
        return err->code;
    json_array_remove(json_object_get(tl, "clips"), idx);
    return REEL_OK;
}

static int64_t whole(json_t *o, const char *k)
{
    return (int64_t)json_number_value(json_object_get(o, k));
}

static int split_audio(json_t *doc, json_t *tl, json_t *a, json_t *b, double at,
                       reel_error *err)
{
    int64_t d;
    int rc = reel_project_clip_frames_to(doc, tl, a, at, &d, err);
    if (rc)
        return rc;
    int64_t start = whole(a, "start"), end = whole(a, "end");
    if (d <= 0 || start + d >= end)
        return reel_error_set(err, REEL_ERANGE,
                              "clip %s: position %g is not inside it (it plays from %g to %g)",
                              sid(a), at, json_number_value(json_object_get(a, "at")),
                              reel_project_clip_end_pos(doc, tl, a));
    int64_t fade_in = whole(a, "fade_in"), fade_out = whole(a, "fade_out");
    if (fade_in > d || fade_out > end - start - d)
        return reel_error_set(err, REEL_ERANGE,
                              "clip %s: the split falls inside a fade: shorten the fade first",
                              sid(a));
    json_object_set_new(a, "end", json_integer(start + d));
    json_object_del(a, "fade_out");
    json_object_set_new(b, "start", json_integer(start + d));
    json_object_del(b, "fade_in");
    if (fade_out)
        json_object_set_new(b, "fade_out", json_integer(fade_out));
    return REEL_OK;
}

static int split_action(json_t *a, json_t *b, double at, reel_error *err)
{
    double pos = json_number_value(json_object_get(a, "at"));
    double len = json_number_value(json_object_get(a, "length"));
    double o = at - pos;
    if (!(o > 0 && o < len))
        return reel_error_set(err, REEL_ERANGE, "clip %s: position %g is not inside it", sid(a),
                              at);
    json_t *left = json_array(), *right = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(a, "events"), i, e) {
        double t = json_number_value(json_object_get(e, "at"));
        if (t < o) {
            json_array_append(left, e);
        } else {
            json_t *m = json_deep_copy(e);
            json_object_set_new(m, "at", json_real(t - o));
            json_array_append_new(right, m);
        }
    }
    json_object_set_new(a, "length", json_real(o));
    json_object_set_new(a, "events", left);
    json_object_set_new(b, "length", json_real(len - o));
    json_object_set_new(b, "events", right);
    return REEL_OK;
}

static int edit_clip_split(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    json_t *tl;
    size_t idx;
    json_t *a = clip_or_fail(doc, reel_arg_str(args, "clip", ""), &tl, &idx, err);
    if (!a)
        return err->code;
    const char *kind = json_string_value(json_object_get(a, "kind"));
    double at = json_number_value(json_object_get(args, "at"));
    json_t *b = json_deep_copy(a);
    int rc = strcmp(kind, "audio") == 0    ? split_audio(doc, tl, a, b, at, err)
             : strcmp(kind, "action") == 0 ? split_action(a, b, at, err)
                                           : reel_error_set(err, REEL_EINVAL,
                                                            "clip %s: a timeline clip cannot "
                                                            "be split", sid(a));
    if (rc) {
        json_decref(b);
        return rc;
    }
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "c", id);
    json_object_set_new(b, "id", json_string(id));
    json_object_set(b, "at", json_object_get(args, "at"));
    json_array_insert_new(json_object_get(tl, "clips"), idx + 1, b);
    json_object_set_new(reply, "clips", json_pack("[s, s]", sid(a), id));
    return REEL_OK;
}

/* Two clips that differ only where a split makes them differ. */
static bool same_but_span(json_t *a, json_t *b)
{
    static const char *const span[] = {"id", "at", "start", "end", "fade_in", "fade_out",
                                       "length", "events"};
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
    for (size_t i = 0; i < sizeof span / sizeof span[0]; i++) {
        json_object_del(ca, span[i]);
        json_object_del(cb, span[i]);
    }
    bool same = json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return same;
}

static int edit_clip_join(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    json_t *ids = json_object_get(args, "clips");
    if (json_array_size(ids) != 2)
        return reel_error_set(err, REEL_EINVAL, "clip_join joins two clips (\"clips\": [A, B])");
    json_t *tla, *tlb;
    size_t ia, ib;
    json_t *a = clip_or_fail(doc, json_string_value(json_array_get(ids, 0)), &tla, &ia, err);
    if (!a)
        return err->code;
    json_t *b = clip_or_fail(doc, json_string_value(json_array_get(ids, 1)), &tlb, &ib, err);
    if (!b)
        return err->code;
    if (json_number_value(json_object_get(b, "at")) < json_number_value(json_object_get(a, "at"))) {
        json_t *t = a;
        a = b;
        b = t;
        size_t ti = ia;
        ia = ib;
        ib = ti;
    }
    const char *kind = json_string_value(json_object_get(a, "kind"));
    if (tla != tlb || strcmp(sid(a), sid(b)) == 0 || !same_but_span(a, b) || strcmp(kind, "timeline") == 0)
        return reel_error_set(err, REEL_EINVAL,
                              "clips %s and %s cannot be joined: they must be two clips of one "
                              "kind, source, track and timeline with the same settings",
                              sid(a), sid(b));
    double b_at = json_number_value(json_object_get(b, "at"));
    if (strcmp(kind, "audio") == 0) {
        int64_t d;
        int rc = reel_project_clip_frames_to(doc, tla, a, b_at, &d, err);
        if (rc)
            return rc;
        if (whole(a, "end") != whole(b, "start") || d != whole(a, "end") - whole(a, "start"))
            return reel_error_set(err, REEL_EINVAL,
                                  "clips %s and %s are not contiguous: %s must start where %s "
                                  "ends, in the source and on the timeline",
                                  sid(a), sid(b), sid(b), sid(a));
        json_object_set(a, "end", json_object_get(b, "end"));
        json_t *fo = json_object_get(b, "fade_out");
        if (fo)
            json_object_set(a, "fade_out", fo);
    } else {
        double a_at = json_number_value(json_object_get(a, "at"));
        double len = json_number_value(json_object_get(a, "length"));
        if (fabs(a_at + len - b_at) > 1e-9 * fmax(1.0, fabs(b_at)))
            return reel_error_set(err, REEL_EINVAL, "clips %s and %s are not contiguous", sid(a),
                                  sid(b));
        json_t *evs = json_object_get(a, "events");
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(b, "events"), i, e) {
            json_t *m = json_deep_copy(e);
            json_object_set_new(m, "at", json_real(json_number_value(json_object_get(e, "at")) +
                                                   len));
            json_array_append_new(evs, m);
        }
        json_object_set_new(a, "length",
                            json_real(len + json_number_value(json_object_get(b, "length"))));
    }
    json_object_set_new(reply, "clip", json_string(sid(a)));
    json_array_remove(json_object_get(tla, "clips"), ib);
    return REEL_OK;
}

static int edit_clip_trim(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *c = clip_or_fail(doc, reel_arg_str(args, "clip", ""), NULL, NULL, err);
    if (!c)
        return err->code;
    const char *kind = json_string_value(json_object_get(c, "kind"));
    if (strcmp(kind, "audio") == 0) {
        static const char *const f[] = {"start", "end"};
        copy_fields(c, args, f, 2);
    } else if (strcmp(kind, "action") == 0 && json_object_get(args, "length")) {
        json_object_set(c, "length", json_object_get(args, "length"));
    } else {
        return reel_error_set(err, REEL_EINVAL, "clip %s: trim an audio clip with start/end, an "
                                                "action clip with length", sid(c));
    }
    return REEL_OK;
}

static int edit_clip_move(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *tl;
    size_t idx;
    json_t *c = clip_or_fail(doc, reel_arg_str(args, "clip", ""), &tl, &idx, err);
    if (!c)
        return err->code;
    static const char *const f[] = {"at", "track"};
    copy_fields(c, args, f, 2);
    const char *to = reel_arg_str(args, "timeline", NULL);
    if (to && strcmp(to, sid(tl)) != 0) {
        json_t *dst = reel_project_find(json_object_get(doc, "timelines"), to, NULL);
        if (!dst)
            return reel_error_set(err, REEL_ENOENT, "no timeline '%.64s' in this project", to);
        json_array_append(json_object_get(dst, "clips"), c);
        json_array_remove(json_object_get(tl, "clips"), idx);
    }
    return REEL_OK;
}

static int edit_clip_group(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    char gid[REEL_PROJECT_ID_MAX];
    const char *given = reel_arg_str(args, "group", NULL);
    if (given)
        snprintf(gid, sizeof gid, "%s", given);
    else
        reel_project_new_id(doc, "g", gid);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(args, "clips"), i, v) {
        json_t *c = clip_or_fail(doc, json_string_value(v), NULL, NULL, err);
        if (!c)
            return err->code;
        if (given && !given[0])
            json_object_del(c, "group");
        else
            json_object_set_new(c, "group", json_string(gid));
    }
    json_object_set_new(reply, "group", json_string(gid));
    return REEL_OK;
}

/* ---- take_place --------------------------------------------------------------- */

static int edit_take_place(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    const char *track = reel_arg_str(args, "track", "");
    if (!reel_project_find(json_object_get(doc, "tracks"), track, NULL))
        return reel_error_set(err, REEL_ENOENT, "no track '%.64s' in this project", track);
    reel_slice_request req;
    memset(&req, 0, sizeof req);
    req.stream_uri = reel_arg_str(args, "stream", "");
    int rc;
    if ((rc = reel_timespec_parse(reel_arg_str(args, "from", ""), &req.from, err)) ||
        (rc = reel_timespec_parse(reel_arg_str(args, "to", ""), &req.to, err)))
        return rc;
    req.is_virtual = true;
    req.creator = x->origin;
    char tag[96];
    snprintf(tag, sizeof tag, "project:%.64s", json_string_value(json_object_get(doc, "id")));
    const char *tags[] = {tag};
    req.tags = tags;
    req.n_tags = 1;
    reel_slice_result res;
    if ((rc = reel_slice(x->st, &req, &res, err)))
        return rc;
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "c", id);
    json_int_t frames = (json_int_t)(res.to_frame - res.from_frame);
    json_t *c = json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:I, s:I, s:s, s:I, s:I, s:I}, s:i, s:I}",
                          "id", id, "kind", "audio", "track", track, "at",
                          json_object_get(args, "at"), "source", "stream", req.stream_uri,
                          "from", (json_int_t)res.from_frame, "to", (json_int_t)res.to_frame,
                          "slice", res.artifact_id, "rate", (json_int_t)res.sample_rate,
                          "channels", (json_int_t)res.channels, "frames", frames, "start", 0,
                          "end", frames);
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_array_append_new(json_object_get(tl, "clips"), c);
    json_object_set_new(reply, "clip", json_string(id));
    json_object_set_new(reply, "slice", json_string(res.artifact_id));
    json_object_set_new(reply, "from_frame", json_integer((json_int_t)res.from_frame));
    json_object_set_new(reply, "to_frame", json_integer((json_int_t)res.to_frame));
    return REEL_OK;
}

#define EDIT_OP(name, fn)                                                                       \
    static int op_##name(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)          \
    {                                                                                           \
        return reel_project_edit(x, args, #name, fn, out, err);                                 \
    }
EDIT_OP(clip_add, edit_clip_add)
EDIT_OP(clip_update, edit_clip_update)
EDIT_OP(clip_remove, edit_clip_remove)
EDIT_OP(clip_split, edit_clip_split)
EDIT_OP(clip_join, edit_clip_join)
EDIT_OP(clip_trim, edit_clip_trim)
EDIT_OP(clip_move, edit_clip_move)
EDIT_OP(clip_group, edit_clip_group)
EDIT_OP(take_place, edit_take_place)

static const reel_op ops[] = {
    {"clip_add", "Place a clip: audio (a source: an artifact or an imported file's hash, with "
                 "start/end frames), action (events over a length) or timeline (a nested one).",
     0, op_clip_add},
    {"clip_update", "Change a clip's gain, pan, mute, solo, fades, stretch, pitch, loop or "
                    "events.", 0, op_clip_update},
    {"clip_remove", "Remove a clip.", 0, op_clip_remove},
    {"clip_split", "Split a clip at a timeline position into two (the left keeps its id).", 0,
     op_clip_split},
    {"clip_join", "Join two contiguous clips of one source back into one.", 0, op_clip_join},
    {"clip_trim", "Set an audio clip's start/end frames in its source (or an action clip's "
                  "length).", 0, op_clip_trim},
    {"clip_move", "Move a clip to a new position, track or timeline.", 0, op_clip_move},
    {"clip_group", "Put clips in one group (a new one unless named; \"\" ungroups).", 0,
     op_clip_group},
    {"take_place", "Place a window of a captured stream (any time specs) on a track without "
                   "copying a frame.", 0, op_take_place},
};

static const reel_op_table clip_ops = {
    .name = "clip",
    .order = 12,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(clip_ops);
