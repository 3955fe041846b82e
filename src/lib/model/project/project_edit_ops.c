/*
 * project_edit_ops.c — edits of a project's frame: track_add/update/remove,
 * timeline_add/update/remove, marker_add/remove, tempo_set,
 * timeline_event_add/remove. Each is a function on a copy of the head's
 * document run by reel_project_edit (project_edit.h), which checks and
 * stores the result.
 *
 * Owns: these edits. Must never: leave a reference dangling (a track that
 * holds clips, a timeline another nests, are refused rather than removed
 * with what depends on them).
 */
#include "model/project/event_check.h"
#include "model/project/project_edit.h"

#include "time/tempo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy the listed optional arguments present in `args` onto `obj`. */
static void copy_fields(json_t *obj, json_t *args, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(args, keys[i]);
        if (v)
            json_object_set(obj, keys[i], v);
    }
}

static json_t *find_or_fail(json_t *arr, const char *what, const char *id, size_t *index,
                            reel_error *err)
{
    json_t *v = reel_project_find(arr, id, index);
    if (!v)
        reel_error_set(err, REEL_ENOENT, "no %s '%.64s' in this project", what, id);
    return v;
}

/* ---- tracks ---------------------------------------------------------------- */

static const char *const track_fields[] = {"name", "kind", "channels", "gain", "pan", "mute",
                                           "solo"};

static int edit_track_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    (void)err;
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "t", id);
    json_t *t = json_pack("{s:s, s:s, s:s, s:i}", "id", id, "name", "track", "kind", "audio",
                          "channels", 2);
    copy_fields(t, args, track_fields, sizeof track_fields / sizeof track_fields[0]);
    json_array_append_new(json_object_get(doc, "tracks"), t);
    json_object_set_new(reply, "track", json_string(id));
    return REEL_OK;
}

static int edit_track_update(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *t = find_or_fail(json_object_get(doc, "tracks"), "track",
                             reel_arg_str(args, "track", ""), NULL, err);
    if (!t)
        return err->code;
    copy_fields(t, args, track_fields, sizeof track_fields / sizeof track_fields[0]);
    return REEL_OK;
}

static int edit_track_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    (void)reply;
    const char *id = reel_arg_str(args, "track", "");
    size_t idx;
    if (!find_or_fail(json_object_get(doc, "tracks"), "track", id, &idx, err))
        return err->code;
    size_t i, k;
    json_t *tl, *c;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_array_foreach(json_object_get(tl, "clips"), k, c) {
            if (strcmp(json_string_value(json_object_get(c, "track")), id) == 0)
                return reel_error_set(err, REEL_ESTATE,
                                      "track %.64s holds clip %.64s: remove or move its clips "
                                      "first", id, json_string_value(json_object_get(c, "id")));
        }
    }
    json_array_remove(json_object_get(doc, "tracks"), idx);
    return REEL_OK;
}

/* ---- timelines -------------------------------------------------------------- */

static int edit_timeline_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    (void)err;
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "tl", id);
    json_t *tl = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[]}", "id", id, "name",
                           reel_arg_str(args, "name", "timeline"), "timebase",
                           reel_arg_str(args, "timebase", "seconds"), "markers", "clips",
                           "events");
    json_array_append_new(json_object_get(doc, "timelines"), tl);
    json_object_set_new(reply, "timeline", json_string(id));
    return REEL_OK;
}

static int edit_timeline_update(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                                reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *tl = find_or_fail(json_object_get(doc, "timelines"), "timeline",
                              reel_arg_str(args, "timeline", ""), NULL, err);
    if (!tl)
        return err->code;
    const char *tb = reel_arg_str(args, "timebase", NULL);
    if (tb && strcmp(tb, json_string_value(json_object_get(tl, "timebase"))) != 0 &&
        (json_array_size(json_object_get(tl, "clips")) ||
         json_array_size(json_object_get(tl, "markers")) ||
         json_array_size(json_object_get(tl, "events")) || json_object_get(tl, "loop")))
        return reel_error_set(err, REEL_ESTATE,
                              "timeline %s is not empty: its timebase cannot change (positions "
                              "would change meaning)", json_string_value(json_object_get(tl, "id")));
    static const char *const f[] = {"name", "timebase"};
    copy_fields(tl, args, f, 2);
    json_t *from = json_object_get(args, "loop_from"), *to = json_object_get(args, "loop_to");
    if (!!from != !!to)
        return reel_error_set(err, REEL_EINVAL, "a loop region needs both loop_from and loop_to");
    if (reel_arg_bool(args, "loop_clear", false))
        json_object_del(tl, "loop");
    if (from)
        json_object_set_new(tl, "loop", json_pack("{s:O, s:O}", "from", from, "to", to));
    return REEL_OK;
}

static int edit_timeline_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                                reel_error *err)
{
    (void)x;
    (void)reply;
    const char *id = reel_arg_str(args, "timeline", "");
    size_t idx;
    json_t *tls = json_object_get(doc, "timelines");
    if (!find_or_fail(tls, "timeline", id, &idx, err))
        return err->code;
    size_t i, k;
    json_t *tl, *c;
    json_array_foreach(tls, i, tl) {
        json_array_foreach(json_object_get(tl, "clips"), k, c) {
            const char *n = json_string_value(json_object_get(c, "timeline"));
            if (n && strcmp(n, id) == 0 && i != idx)
                return reel_error_set(err, REEL_ESTATE,
                                      "timeline %.64s is nested by clip %.64s: remove that clip "
                                      "first", id, json_string_value(json_object_get(c, "id")));
        }
    }
    json_array_remove(tls, idx);
    return REEL_OK;
}

/* ---- markers ---------------------------------------------------------------- */

static int edit_marker_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "m", id);
    json_t *m = json_pack("{s:s, s:s, s:O}", "id", id, "name", reel_arg_str(args, "name", id),
                          "at", json_object_get(args, "at"));
    json_t *tags = json_object_get(args, "tags");
    if (tags)
        json_object_set(m, "tags", tags);
    json_array_append_new(json_object_get(tl, "markers"), m);
    json_object_set_new(reply, "marker", json_string(id));
    return REEL_OK;
}

/* Remove the object `id` from array `key` of whichever timeline has it. */
static int remove_from_timelines(json_t *doc, const char *key, const char *what, const char *id,
                                 reel_error *err)
{
    size_t i, idx;
    json_t *tl;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        if (reel_project_find(json_object_get(tl, key), id, &idx)) {
            json_array_remove(json_object_get(tl, key), idx);
            return REEL_OK;
        }
    }
    return reel_error_set(err, REEL_ENOENT, "no %s '%.64s' in this project", what, id);
}

static int edit_marker_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    (void)x;
    (void)reply;
    /* A nested clip naming the marker makes the check fail: nothing lost. */
    return remove_from_timelines(doc, "markers", "marker", reel_arg_str(args, "marker", ""), err);
}

/* ---- tempo ------------------------------------------------------------------ */

static int edit_tempo_set(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    (void)reply;
    reel_tempo_map *m = malloc(sizeof *m);
    if (!m)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = reel_tempo_map_from_json(json_object_get(args, "tempo"), m, err);
    if (rc == 0) {
        json_t *t = reel_tempo_map_to_json(m);
        rc = t ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
        json_object_set_new(doc, "tempo", t);
    }
    free(m);
    return rc;
}

/* ---- timeline events ---------------------------------------------------------- */

REEL_REGISTRY_DECLARE(event_checks, reel_event_check);

static int edit_event_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "e", id);
    json_t *e = json_pack("{s:s, s:O, s:s}", "id", id, "at", json_object_get(args, "at"), "type",
                          reel_arg_str(args, "type", ""));
    static const char *const f[] = {"target", "payload"};
    copy_fields(e, args, f, 2);
    json_array_append_new(json_object_get(tl, "events"), e);
    for (const reel_event_check *const *it = REEL_REGISTRY_BEGIN(event_checks);
         it && it < REEL_REGISTRY_END(event_checks); it++) {
        int rc = (*it)->check(doc, tl, e, err);
        if (rc)
            return rc; /* on the edited copy: nothing stored */
    }
    json_object_set_new(reply, "event", json_string(id));
    return REEL_OK;
}

static int edit_event_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    (void)reply;
    return remove_from_timelines(doc, "events", "event", reel_arg_str(args, "event", ""), err);
}

#define EDIT_OP(name, fn)                                                                       \
    static int op_##name(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)          \
    {                                                                                           \
        return reel_project_edit(x, args, #name, fn, out, err);                                 \
    }
EDIT_OP(track_add, edit_track_add)
EDIT_OP(track_update, edit_track_update)
EDIT_OP(track_remove, edit_track_remove)
EDIT_OP(timeline_add, edit_timeline_add)
EDIT_OP(timeline_update, edit_timeline_update)
EDIT_OP(timeline_remove, edit_timeline_remove)
EDIT_OP(marker_add, edit_marker_add)
EDIT_OP(marker_remove, edit_marker_remove)
EDIT_OP(tempo_set, edit_tempo_set)
EDIT_OP(timeline_event_add, edit_event_add)
EDIT_OP(timeline_event_remove, edit_event_remove)

static const reel_op ops[] = {
    {"track_add", "Add a track (audio or midi) to a project.", 0, op_track_add},
    {"track_update", "Change a track's name, kind, channels, gain, pan, mute or solo.", 0,
     op_track_update},
    {"track_remove", "Remove a track that holds no clips.", 0, op_track_remove},
    {"timeline_add", "Add a timeline (timebase seconds or beats).", 0, op_timeline_add},
    {"timeline_update", "Rename a timeline, set or clear its loop region, or change the "
                        "timebase of an empty one.", 0, op_timeline_update},
    {"timeline_remove", "Remove a timeline no clip nests.", 0, op_timeline_remove},
    {"marker_add", "Add a named, tagged marker to a timeline.", 0, op_marker_add},
    {"marker_remove", "Remove a marker no nested clip names.", 0, op_marker_remove},
    {"tempo_set", "Replace the project's tempo map (segments of bpm and time signature).", 0,
     op_tempo_set},
    {"timeline_event_add", "Add a timeline event (audio_clip_start, timeline_play, "
                           "routing_set, ...) for the engine.", 0, op_timeline_event_add},
    {"timeline_event_remove", "Remove a timeline event.", 0, op_timeline_event_remove},
};

static const reel_op_table project_edit_ops = {
    .name = "project_edit",
    .order = 11,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(project_edit_ops);
