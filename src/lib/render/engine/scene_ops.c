/*
 * scene_ops.c — scenes (DESIGN.md section 10, seed 003 Scenes & States):
 * scene_capture, scene_recall, scene_remove, scene_push, scene_pop.
 *
 * A scene is an object of the document's "scenes": {"id", "name",
 * "values": {target: value}} over automation targets (auto_compile.h:
 * node faders, mutes and solos, LV2 controls, clip gains). Captured from
 * the graph playing when the transport plays this project (what
 * automation and live changes have set), else from the document.
 *
 * Recall while the project plays goes through automation_schedule, so a
 * recall is sample-accurate, quantized to the next beat or bar of the tempo
 * map, and recorded by armed lanes like any command: "instant" sets every
 * target at that frame, "morph" ramps each linearly over `time` seconds,
 * "crossfade" along an s-curve. Stopped, a recall is an edit of the
 * document (instant). A scene naming a target the graph no longer has is
 * refused whole, the targets named, nothing applied.
 *
 * The stack (scene_push / scene_pop): push saves the current values of the
 * scene's targets and recalls the scene; pop recalls what push saved (a
 * momentary effect). The stack lives with the transport's service, not in
 * the document.
 *
 * Owns: scenes in the document and the stack. Must never: apply part of a
 * scene, or touch the transport but through its ops.
 */
#include "core/op.h"
#include "render/engine/auto_compile.h"
#include "model/project/lane_doc.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"
#include "time/tempo.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENE_STACK_MAX 64

typedef struct scene_state {
    pthread_mutex_t mu;
    json_t *stack[SCENE_STACK_MAX]; /* {project, values} saved by push */
    size_t n;
} scene_state;

static const reel_op_table scene_ops;

static int scene_init(reel_service *s, reel_error *err)
{
    scene_state *st = calloc(1, sizeof *st);
    if (!st)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    pthread_mutex_init(&st->mu, NULL);
    reel_service_state_set(s, &scene_ops, st);
    return REEL_OK;
}

static void scene_fini(reel_service *s)
{
    scene_state *st = reel_service_state(s, &scene_ops);
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        json_decref(st->stack[i]);
    pthread_mutex_destroy(&st->mu);
    free(st);
    reel_service_state_set(s, &scene_ops, NULL);
}

/* The transport's values of `targets` (NULL: every one) if it plays
 * `project`: REEL_OK with *live set; *live NULL when it plays something
 * else or nothing. A target it does not have is an error. */
static int live_values(reel_op_ctx *x, const char *project, json_t *targets, json_t **live,
                       reel_error *err)
{
    *live = NULL;
    json_t *args = targets ? json_pack("{s:O}", "targets", targets) : json_object();
    json_t *out = NULL;
    reel_error e;
    int rc = reel_service_run_op(x->service, "param_values", args, x->origin, &out, &e);
    json_decref(args);
    if (rc == REEL_ESTATE || (!rc && strcmp(json_string_value(json_object_get(out, "project"))
                                            ?: "", project) != 0)) {
        json_decref(out);
        return REEL_OK;
    }
    if (rc) {
        json_decref(out);
        return reel_error_set(err, rc, "%s", e.msg);
    }
    *live = out;
    return REEL_OK;
}

/* ---- values in the document -------------------------------------------------- */

static json_t *doc_node(json_t *doc, const char *id, json_t **track)
{
    size_t i;
    json_t *n;
    *track = NULL;
    json_array_foreach(json_object_get(json_object_get(doc, "graph"), "nodes"), i, n) {
        if (strcmp(json_string_value(json_object_get(n, "id")) ?: "", id) == 0) {
            *track = reel_project_find(json_object_get(doc, "tracks"),
                                       json_string_value(json_object_get(n, "track")), NULL);
            return n;
        }
    }
    if (json_array_size(json_object_get(json_object_get(doc, "graph"), "nodes")) == 0)
        *track = reel_project_find(json_object_get(doc, "tracks"), id, NULL); /* default graph */
    return NULL;
}

/* Split "a:b" / "clip:c:gain" (the resolver has checked the form; a bad one is empty). */
static void split(const char *target, char *a, size_t na, char *b, size_t nb, bool *clip)
{
    if (reel_auto_target_split(target, clip, a, na, b, nb, NULL))
        *a = *b = '\0';
}

/* The object and key of a target's value in the document, or NULL if
 * the document leaves it at a default it does not state. */
static json_t *doc_slot(json_t *doc, const char *target, const char **key, bool create)
{
    char a[128], b[128];
    bool clip;
    split(target, a, sizeof a, b, sizeof b, &clip);
    if (clip) {
        *key = "gain";
        return reel_project_clip_find(doc, a, NULL, NULL);
    }
    json_t *track, *node = doc_node(doc, a, &track);
    if (node && json_string_value(json_object_get(node, "kind")) &&
        strcmp(json_string_value(json_object_get(node, "kind")), "plugin") == 0) {
        json_t *params = json_object_get(node, "params");
        if (!params && create) {
            json_object_set_new(node, "params", json_object());
            params = json_object_get(node, "params");
        }
        *key = NULL;
        return params ? params : NULL;
    }
    *key = NULL;
    /* a track node's fader starts as its track's (graph_compile.h) unless the node says */
    return node && json_object_get(node, b) ? node : track ? track : node;
}

static int doc_value(json_t *doc, const char *target, double *v, reel_error *err)
{
    char a[128], b[128];
    bool clip;
    split(target, a, sizeof a, b, sizeof b, &clip);
    const char *key;
    json_t *o = doc_slot(doc, target, &key, false);
    json_t *val = o ? json_object_get(o, key ? key : b) : NULL;
    if (val) {
        *v = json_is_boolean(val) ? (json_is_true(val) ? 1 : 0) : json_number_value(val);
        return REEL_OK;
    }
    if (!clip && (strcmp(b, "gain") == 0 || strcmp(b, "pan") == 0 || strcmp(b, "mute") == 0 ||
                  strcmp(b, "solo") == 0)) {
        *v = strcmp(b, "gain") == 0 ? 1 : 0;
        return REEL_OK;
    }
    if (clip) {
        *v = 1;
        return REEL_OK;
    }
    return reel_error_set(err, REEL_ESTATE, "%s has no value in the document (a plugin's "
                          "default): play the project to capture it live", target);
}

/* Every fader of the document's graph: the default targets of a capture. */
static json_t *default_targets(json_t *doc)
{
    json_t *arr = json_array();
    size_t i;
    json_t *n;
    json_t *nodes = json_object_get(json_object_get(doc, "graph"), "nodes");
    static const char *const faders[] = {"gain", "pan", "mute", "solo"};
    char t[208];
    if (json_array_size(nodes) == 0) {
        json_array_foreach(json_object_get(doc, "tracks"), i, n) {
            const char *kind = json_string_value(json_object_get(n, "kind"));
            if (kind && strcmp(kind, "audio") != 0)
                continue;
            for (int k = 0; k < 4; k++) {
                snprintf(t, sizeof t, "%s:%s", json_string_value(json_object_get(n, "id")),
                         faders[k]);
                json_array_append_new(arr, json_string(t));
            }
        }
        return arr;
    }
    json_array_foreach(nodes, i, n) {
        const char *kind = json_string_value(json_object_get(n, "kind")) ?: "";
        bool track = strcmp(kind, "track") == 0;
        if (!track && strcmp(kind, "bus") != 0)
            continue;
        for (int k = 0; k < (track ? 4 : 3); k++) {
            snprintf(t, sizeof t, "%s:%s", json_string_value(json_object_get(n, "id")),
                     faders[k]);
            json_array_append_new(arr, json_string(t));
        }
    }
    return arr;
}

/* ---- capture ------------------------------------------------------------------ */

static int edit_scene_capture(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    json_t *targets = json_object_get(args, "targets");
    json_t *list = targets ? json_incref(targets) : default_targets(doc);
    size_t i;
    json_t *tj;
    int rc = REEL_OK;
    json_array_foreach(list, i, tj) {
        reel_auto_range r;
        if ((rc = reel_auto_target_resolve(doc, json_string_value(tj), &r, err)))
            break;
    }
    json_t *live = NULL;
    if (!rc)
        rc = live_values(x, json_string_value(json_object_get(doc, "id")), list, &live, err);
    json_t *values = json_object();
    json_array_foreach(list, i, tj) {
        if (rc)
            break;
        const char *t = json_string_value(tj);
        double v = 0;
        if (live)
            v = json_number_value(json_object_get(json_object_get(live, "values"), t));
        else if ((rc = doc_value(doc, t, &v, err)))
            break;
        json_object_set_new(values, t, reel_auto_value_json((float)v));
    }
    if (!rc) {
        char id[REEL_PROJECT_ID_MAX];
        reel_project_new_id(doc, "s", id);
        if (!json_is_array(json_object_get(doc, "scenes")))
            json_object_set_new(doc, "scenes", json_array());
        json_array_append_new(json_object_get(doc, "scenes"),
                              json_pack("{s:s, s:s, s:O}", "id", id, "name",
                                        reel_arg_str(args, "name", id), "values", values));
        json_object_set_new(reply, "scene", json_string(id));
        json_object_set(reply, "values", values);
        json_object_set_new(reply, "from", json_string(live ? "playing" : "document"));
    }
    json_decref(values);
    json_decref(live);
    json_decref(list);
    return rc;
}

static int op_scene_capture(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "scene_capture", edit_scene_capture, out, err);
}

static int edit_scene_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    (void)x;
    (void)reply;
    return reel_project_remove_item(doc, "scenes", reel_arg_str(args, "scene", ""), "scene", err);
}

static int op_scene_remove(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "scene_remove", edit_scene_remove, out, err);
}

/* ---- recall --------------------------------------------------------------------- */

/* The frame a recall lands on: the next beat or bar boundary at or after
 * `pos` by the document's tempo map (or pos itself). */
static int quantized(json_t *doc, const char *q, int64_t pos, uint32_t rate, int64_t *at,
                     reel_error *err)
{
    *at = pos;
    if (!q || strcmp(q, "none") == 0)
        return REEL_OK;
    reel_tempo_map *m = malloc(sizeof *m);
    if (!m)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = reel_tempo_map_from_json(json_object_get(doc, "tempo"), m, err);
    if (!rc)
        rc = reel_tempo_next_grid(m, q, pos, rate, at, err);
    free(m);
    return rc;
}

/* Recall `values` on the graph playing (live: param_values' reply). */
static int recall_live(reel_op_ctx *x, json_t *doc, json_t *live, json_t *values, json_t *args,
                       json_t *reply, reel_error *err)
{
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(live, "rate"));
    int64_t at;
    int rc = quantized(doc, reel_arg_str(args, "quantize", "none"),
                       json_integer_value(json_object_get(live, "position_frame")), rate, &at,
                       err);
    if (rc)
        return rc;
    const char *mode = reel_arg_str(args, "mode", "instant");
    json_t *tj = json_object_get(args, "time");
    int64_t len = (int64_t)llround((tj ? json_number_value(tj) : 0.0) * rate);
    bool ramp = strcmp(mode, "instant") != 0;
    if (ramp && len <= 0)
        return reel_error_set(err, REEL_EINVAL, "a %s recall needs a \"time\" > 0 (seconds)",
                              mode);
    const char *t;
    json_t *v;
    size_t n = 0;
    json_object_foreach(values, t, v) {
        json_t *cmd = json_pack("{s:s, s:O, s:I}", "target", t, "value", v, "frame",
                                (json_int_t)at);
        reel_auto_range r = {0};
        reel_error e;
        if (reel_auto_target_resolve(doc, t, &r, &e) == REEL_OK && r.toggle)
            ; /* a mute or solo switches at the recall's frame, it does not fade */
        else if (ramp) {
            json_object_set_new(cmd, "type", json_string("ramp"));
            json_object_set_new(cmd, "ramp_frames", json_integer(len));
            json_object_set_new(cmd, "curve",
                                json_string(strcmp(mode, "crossfade") == 0 ? "s_curve"
                                                                           : "linear"));
        }
        json_t *out = NULL;
        rc = reel_service_run_op(x->service, "automation_schedule", cmd, x->origin, &out, err);
        json_decref(cmd);
        json_decref(out);
        if (rc)
            return rc;
        n++;
    }
    json_object_set_new(reply, "frame", json_integer(at));
    json_object_set_new(reply, "commands", json_integer((json_int_t)n));
    json_object_set_new(reply, "applied_to", json_string("playing"));
    return REEL_OK;
}

/* Stopped: the values written into the document (an edit). */
static int edit_recall_doc(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    json_t *values = json_object_get(args, "values");
    const char *t;
    json_t *v;
    json_object_foreach(values, t, v) {
        const char *key;
        json_t *o = doc_slot(doc, t, &key, true);
        char a[128], b[128];
        bool clip;
        split(t, a, sizeof a, b, sizeof b, &clip);
        if (!o)
            return reel_error_set(err, REEL_ENOENT, "%s: nothing in the document holds it", t);
        const char *k = key ? key : b;
        if (!clip && (strcmp(k, "mute") == 0 || strcmp(k, "solo") == 0))
            json_object_set_new(o, k, json_boolean(json_number_value(v) != 0));
        else
            json_object_set(o, k, v);
    }
    json_object_set_new(reply, "applied_to", json_string("document"));
    return REEL_OK;
}

/* A scene's values, every target checked against the document first. */
static int scene_values(json_t *doc, const char *id, json_t **values, reel_error *err)
{
    json_t *sc = reel_project_find(json_object_get(doc, "scenes"), id, NULL);
    if (!sc)
        return reel_error_set(err, REEL_ENOENT, "no scene '%.64s' in this project", id);
    json_t *vals = json_object_get(sc, "values");
    char gone[400] = "";
    const char *t;
    json_t *v;
    reel_error e;
    json_object_foreach(vals, t, v) {
        reel_auto_range r;
        if (reel_auto_target_resolve(doc, t, &r, &e) ||
            json_number_value(v) < r.lo || json_number_value(v) > r.hi) {
            size_t l = strlen(gone);
            snprintf(gone + l, sizeof gone - l, "%s%s", l ? ", " : "", t);
        }
    }
    if (gone[0])
        return reel_error_set(err, REEL_ENOENT, "scene %s names parameters the project no "
                              "longer has (or values out of their range): %s; nothing "
                              "recalled", id, gone);
    *values = vals;
    return REEL_OK;
}

static int load_head(reel_op_ctx *x, const char *project, json_t **doc, reel_error *err)
{
    reel_project_version v;
    int rc = reel_project_version_get(reel_store_db(x->st), project, NULL, &v, err);
    return rc ? rc : reel_project_load(x->st, v.version, doc, err);
}

/* Recall `values` (a scene's, or what push saved) live or into the document. */
static int recall(reel_op_ctx *x, json_t *doc, json_t *values, json_t *args, json_t **out,
                  reel_error *err)
{
    json_t *targets = json_array();
    const char *t;
    json_t *v;
    json_object_foreach(values, t, v)
        json_array_append_new(targets, json_string(t));
    json_t *live = NULL;
    int rc = live_values(x, json_string_value(json_object_get(doc, "id")), targets, &live, err);
    json_decref(targets);
    if (rc)
        return rc;
    if (live) {
        *out = json_object();
        rc = recall_live(x, doc, live, values, args, *out, err);
        json_decref(live);
        if (rc) {
            json_decref(*out);
            *out = NULL;
        }
        return rc;
    }
    json_t *eargs = json_pack("{s:O, s:O}", "project", json_object_get(doc, "id"), "values",
                              values);
    rc = reel_project_edit(x, eargs, "scene_recall", edit_recall_doc, out, err);
    json_decref(eargs);
    return rc;
}

static int op_scene_recall(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *doc;
    int rc = load_head(x, reel_arg_str(args, "project", ""), &doc, err);
    if (rc)
        return rc;
    json_t *values;
    if (!(rc = scene_values(doc, reel_arg_str(args, "scene", ""), &values, err)) &&
        !(rc = recall(x, doc, values, args, out, err)))
        json_object_set_new(*out, "scene", json_string(reel_arg_str(args, "scene", "")));
    json_decref(doc);
    return rc;
}

static int op_scene_push(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    scene_state *st = reel_service_state(x->service, &scene_ops);
    const char *project = reel_arg_str(args, "project", "");
    json_t *doc;
    int rc = load_head(x, project, &doc, err);
    if (rc)
        return rc;
    json_t *values, *live = NULL, *targets = json_array();
    if ((rc = scene_values(doc, reel_arg_str(args, "scene", ""), &values, err)))
        goto out;
    const char *t;
    json_t *v;
    json_object_foreach(values, t, v)
        json_array_append_new(targets, json_string(t));
    if ((rc = live_values(x, project, targets, &live, err)))
        goto out;
    if (!live) {
        rc = reel_error_set(err, REEL_ESTATE, "scene_push needs the project playing "
                            "(transport_play it first)");
        goto out;
    }
    pthread_mutex_lock(&st->mu);
    if (st->n == SCENE_STACK_MAX) {
        pthread_mutex_unlock(&st->mu);
        rc = reel_error_set(err, REEL_EFULL, "the scene stack holds %d scenes already",
                            SCENE_STACK_MAX);
        goto out;
    }
    json_t *saved = json_pack("{s:s, s:O}", "project", project, "values",
                              json_object_get(live, "values"));
    pthread_mutex_unlock(&st->mu);
    if (!(rc = recall(x, doc, values, args, out, err))) {
        pthread_mutex_lock(&st->mu);
        st->stack[st->n++] = saved;
        json_object_set_new(*out, "depth", json_integer((json_int_t)st->n));
        pthread_mutex_unlock(&st->mu);
    } else {
        json_decref(saved);
    }
out:
    json_decref(targets);
    json_decref(live);
    json_decref(doc);
    return rc;
}

static int op_scene_pop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    scene_state *st = reel_service_state(x->service, &scene_ops);
    pthread_mutex_lock(&st->mu);
    json_t *top = st->n ? st->stack[st->n - 1] : NULL;
    if (top)
        json_incref(top);
    pthread_mutex_unlock(&st->mu);
    if (!top)
        return reel_error_set(err, REEL_ESTATE, "the scene stack is empty");
    json_t *doc;
    int rc = load_head(x, json_string_value(json_object_get(top, "project")), &doc, err);
    if (!rc) {
        rc = recall(x, doc, json_object_get(top, "values"), args, out, err);
        json_decref(doc);
    }
    if (!rc) {
        pthread_mutex_lock(&st->mu);
        if (st->n && st->stack[st->n - 1] == top) {
            json_decref(st->stack[--st->n]);
        }
        json_object_set_new(*out, "depth", json_integer((json_int_t)st->n));
        pthread_mutex_unlock(&st->mu);
    }
    json_decref(top);
    return rc;
}

static const reel_op ops[] = {
    {"scene_capture", "Capture a scene: the values of chosen targets (default: every track and "
                      "bus fader, mute and solo), from the graph playing or the document.", 0,
     op_scene_capture},
    {"scene_recall", "Recall a scene: instant, crossfade or morph over a time, quantized to the "
                     "next beat or bar, on the graph playing (recorded by armed lanes) or into "
                     "the document when stopped.", 0, op_scene_recall},
    {"scene_remove", "Remove a scene.", 0, op_scene_remove},
    {"scene_push", "Save the current values of a scene's targets on the scene stack, then "
                   "recall the scene (a momentary effect; scene_pop undoes it).", 0,
     op_scene_push},
    {"scene_pop", "Recall what the last scene_push saved, and drop it from the stack.", 0,
     op_scene_pop},
};

static const reel_op_table scene_ops = {
    .name = "scenes",
    .order = 16,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = scene_init,
    .fini = scene_fini,
};
REEL_OP_TABLE(scene_ops);
