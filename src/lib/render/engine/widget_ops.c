/*
 * widget_ops.c — widgets' ops (seed 004 section 10; model/mapping/
 * widget_doc.h): widget_add, widget_update, widget_remove, widget_set.
 *
 * Widgets live in the project document ("widgets"), versioned like every
 * edit; a widget is refused whole when one of its targets is not a
 * parameter of the document or its record_arm lane is not in the project.
 *
 * widget_set moves a widget of the project the transport plays: each
 * parameter target takes the widget's position through its transform
 * (the target's own range unless the transform names one) by
 * automation_schedule (source "web", with the touch given: armed lanes
 * record it), each action fires on a press (a position reaching 0.5 from
 * below). What a widget was last set to is kept with the service (a
 * toggle flips from it), not in the document: a slider moved a hundred
 * times a second makes no versions.
 *
 * Owns: the ops and the widgets' live positions. Must never: apply part of
 * a widget_set it refused.
 */
#include "core/op.h"
#include "model/mapping/widget_doc.h"
#include "model/project/lane_doc.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"
#include "render/engine/mapping_live.h"
#include "render/engine/transport.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct widget_state {
    pthread_mutex_t mu;
    json_t *pos; /* "<project>/<widget>" -> [x, y] */
} widget_state;

static const reel_op_table widget_ops;

static int widget_init(reel_service *s, reel_error *err)
{
    widget_state *st = calloc(1, sizeof *st);
    if (!st || !(st->pos = json_object())) {
        free(st);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&st->mu, NULL);
    reel_service_state_set(s, &widget_ops, st);
    return REEL_OK;
}

static void widget_fini(reel_service *s)
{
    widget_state *st = reel_service_state(s, &widget_ops);
    if (!st)
        return;
    json_decref(st->pos);
    pthread_mutex_destroy(&st->mu);
    free(st);
    reel_service_state_set(s, &widget_ops, NULL);
}

/* The widget document `wj` checked against the project document. */
static int check_widget(json_t *doc, json_t *wj, reel_widget *w, reel_error *err)
{
    int rc = reel_widget_parse(wj, w, err);
    for (size_t i = 0; !rc && i < w->n; i++) {
        const reel_mapping *t = &w->target[i];
        reel_auto_range r;
        reel_error e;
        if (t->action == REEL_MAP_PARAM && reel_auto_target_resolve(doc, t->target, &r, &e))
            rc = reel_error_set(err, e.code, "widget: targets[%zu]: %s", i, e.msg);
        else if (t->action == REEL_MAP_RECORD_ARM &&
                 !reel_project_find(json_object_get(doc, "lanes"), t->target, NULL))
            rc = reel_error_set(err, REEL_ENOENT, "widget: targets[%zu]: no lane '%.64s' in "
                                "this project", i, t->target);
    }
    return rc;
}

static int edit_widget_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    (void)x;
    json_t *wj = json_deep_copy(json_object_get(args, "widget"));
    reel_widget *w = malloc(sizeof *w);
    int rc = w ? check_widget(doc, wj, w, err) : reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (!rc && w->id[0] && reel_project_find(json_object_get(doc, "widgets"), w->id, NULL))
        rc = reel_error_set(err, REEL_EEXIST, "widget '%.64s' exists already", w->id);
    if (!rc) {
        if (!w->id[0]) {
            char id[REEL_PROJECT_ID_MAX];
            reel_project_new_id(doc, "w", id);
            json_object_set_new(wj, "id", json_string(id));
        }
        if (!json_is_array(json_object_get(doc, "widgets")))
            json_object_set_new(doc, "widgets", json_array());
        json_array_append(json_object_get(doc, "widgets"), wj);
        json_object_set(reply, "widget", json_object_get(wj, "id"));
    }
    free(w);
    json_decref(wj);
    return rc;
}

static int op_widget_add(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "widget_add", edit_widget_add, out, err);
}

/* widget_update: the fields given replace the widget's (kind, name, targets). */
static int edit_widget_update(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    (void)x;
    (void)reply;
    size_t idx;
    const char *id = reel_arg_str(args, "widget", "");
    json_t *old = reel_project_find(json_object_get(doc, "widgets"), id, &idx);
    if (!old)
        return reel_error_set(err, REEL_ENOENT, "no widget '%.64s' in this project", id);
    json_t *wj = json_deep_copy(old);
    static const char *const fields[] = {"kind", "name", "targets"};
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(args, fields[i]))
            json_object_set(wj, fields[i], json_object_get(args, fields[i]));
    reel_widget *w = malloc(sizeof *w);
    int rc = w ? check_widget(doc, wj, w, err) : reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (!rc)
        json_array_set(json_object_get(doc, "widgets"), idx, wj);
    free(w);
    json_decref(wj);
    return rc;
}

static int op_widget_update(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "widget_update", edit_widget_update, out, err);
}

static int edit_widget_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    (void)x;
    (void)reply;
    return reel_project_remove_item(doc, "widgets", reel_arg_str(args, "widget", ""), "widget", err);
}

static int op_widget_remove(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "widget_remove", edit_widget_remove, out, err);
}

/* ---- widget_set ------------------------------------------------------------------- */

static int position_arg(json_t *args, const char *key, double dflt, double *v, reel_error *err)
{
    json_t *j = json_object_get(args, key);
    *v = j ? json_number_value(j) : dflt;
    if (!(*v >= 0 && *v <= 1))
        return reel_error_set(err, j ? REEL_ERANGE : REEL_EINVAL,
                              j ? "widget_set: '%s' must be a position in 0..1"
                                : "widget_set: this widget needs '%s'", key);
    return REEL_OK;
}

static int op_widget_set(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *project = reel_arg_str(args, "project", "");
    const char *id = reel_arg_str(args, "widget", "");
    reel_map_live *live = reel_transport_maps(x->service);
    char playing[128] = "";
    if (live)
        reel_map_live_project(live, playing, sizeof playing);
    if (strcmp(playing, project) != 0)
        return reel_error_set(err, REEL_ESTATE, "widget_set moves the project the transport "
                              "plays: transport_play '%.64s' first", project);
    reel_project_version v;
    json_t *doc = NULL;
    int rc = reel_project_version_get(reel_store_db(x->st), project, NULL, &v, err);
    if (!rc)
        rc = reel_project_load(x->st, v.version, &doc, err);
    if (rc)
        return rc;
    reel_widget *w = malloc(sizeof *w);
    json_t *wj = reel_project_find(json_object_get(doc, "widgets"), id, NULL);
    if (!w)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    else if (!wj)
        rc = reel_error_set(err, REEL_ENOENT, "no widget '%.64s' in this project", id);
    else
        rc = reel_widget_parse(wj, w, err);
    widget_state *st = reel_service_state(x->service, &widget_ops);
    char key[200];
    snprintf(key, sizeof key, "%s/%s", project, id);
    double px = 0, py = 0, nx = 0, ny = 0;
    if (!rc) {
        pthread_mutex_lock(&st->mu);
        json_t *p = json_object_get(st->pos, key);
        px = json_number_value(json_array_get(p, 0));
        py = json_number_value(json_array_get(p, 1));
        pthread_mutex_unlock(&st->mu);
        if (w->kind == REEL_WIDGET_TOGGLE && !json_object_get(args, "value"))
            nx = px >= 0.5 ? 0 : 1;
        else if (w->kind == REEL_WIDGET_XY)
            rc = position_arg(args, "x", -1, &nx, err) ? err->code
                                                        : position_arg(args, "y", -1, &ny, err);
        else
            rc = position_arg(args, "value", -1, &nx, err);
        if (!rc && (w->kind == REEL_WIDGET_TOGGLE || w->kind == REEL_WIDGET_BUTTON))
            nx = nx >= 0.5 ? 1 : 0;
    }
    json_t *tj = json_object_get(args, "touch");
    json_t *applied = json_array();
    for (size_t i = 0; !rc && i < (w ? w->n : 0); i++) {
        const reel_mapping *t = &w->target[i];
        double pos = w->axis_y[i] ? ny : nx, before = w->axis_y[i] ? py : px;
        if (t->action != REEL_MAP_PARAM) {
            if (pos >= 0.5 && before < 0.5) {
                reel_map_live_fire(live, t, project);
                json_array_append_new(applied, json_pack("{s:s}", "action", "fired"));
            }
            continue;
        }
        json_t *pv = NULL, *pa = json_pack("{s:[s], s:b}", "targets", t->target, "ranges", 1);
        reel_error e;
        int prc = reel_service_run_op(x->service, "param_values", pa, x->origin, &pv, &e);
        json_decref(pa);
        json_t *r = json_object_get(json_object_get(pv, "ranges"), t->target);
        if (prc || !json_is_array(r)) {
            json_decref(pv);
            rc = reel_error_set(err, prc ? prc : REEL_ENOENT, "widget_set: targets[%zu]: %s", i,
                                prc ? e.msg : "not in the graph playing");
            break;
        }
        double lo = json_number_value(json_array_get(r, 0)),
               hi = json_number_value(json_array_get(r, 1));
        double val = reel_mapping_value(t, pos, lo, hi);
        if (json_is_true(json_array_get(r, 2)))
            val = val >= (lo + hi) / 2 ? hi : lo;
        json_decref(pv);
        json_t *sa = json_pack("{s:s, s:f, s:s}", "target", t->target, "value", val, "source",
                               "web"),
               *so = NULL;
        if (tj)
            json_object_set(sa, "touch", tj);
        prc = reel_service_run_op(x->service, "automation_schedule", sa, x->origin, &so, &e);
        json_decref(sa);
        json_decref(so);
        if (prc) {
            rc = reel_error_set(err, prc, "widget_set: targets[%zu]: %s", i, e.msg);
            break;
        }
        json_array_append_new(applied, json_pack("{s:s, s:f}", "target", t->target, "value", val));
    }
    if (!rc) {
        pthread_mutex_lock(&st->mu);
        json_object_set_new(st->pos, key, json_pack("[f, f]", nx, ny));
        pthread_mutex_unlock(&st->mu);
        *out = json_pack("{s:s, s:f, s:o}", "widget", id, "value", nx, "applied", applied);
        if (w->kind == REEL_WIDGET_XY)
            json_object_set_new(*out, "y", json_real(ny));
        applied = NULL;
    }
    json_decref(applied);
    free(w);
    json_decref(doc);
    return rc;
}

static const reel_op ops[] = {
    {"widget_add", "Add a widget to a project: a slider, macro, toggle, button or XY pad driving "
                   "parameters (through a transform) and actions.", 0, op_widget_add},
    {"widget_update", "Change a widget's kind, name or targets.", 0, op_widget_update},
    {"widget_remove", "Remove a widget.", 0, op_widget_remove},
    {"widget_set", "Move a widget of the project playing: its parameters follow (recorded by "
                   "armed lanes), its actions fire on a press.", 0, op_widget_set},
};

static const reel_op_table widget_ops = {
    .name = "widgets",
    .order = 18,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = widget_init,
    .fini = widget_fini,
};
REEL_OP_TABLE(widget_ops);
