/*
 * oscquery.c — the parameter tree as OSCQuery JSON (the OSCQuery proposal,
 * Vidvox/OSCQueryProposal): the op `oscquery`, also the HTTP resource
 * GET /api/oscquery, so OSC controllers find what they can drive.
 *
 * Every automation target of the graph playing (param_values) is a node
 * /reel/param/<node>/<param> (a clip's: /reel/param/clip/<id>/gain) with
 * FULL_PATH, TYPE "f" (toggles "i"), RANGE (MIN/MAX when bounded), ACCESS
 * 3 (read and write: reel's OSC server takes a value and an optional touch
 * there, surface/osc/osc_map.h) and VALUE, the value now. The scene
 * addresses are listed too (write only). Nothing playing: the tree holds
 * the scene addresses and an empty /reel/param.
 *
 * Owns: the tree's shape. Must never: hold state (each read builds it from
 * param_values).
 */
#include "core/op.h"

#include <stdio.h>
#include <string.h>

/* The child `name` of container `parent` (made if missing). */
static json_t *child(json_t *parent, const char *name)
{
    json_t *contents = json_object_get(parent, "CONTENTS");
    if (!contents) {
        contents = json_object();
        json_object_set_new(parent, "CONTENTS", contents);
    }
    json_t *c = json_object_get(contents, name);
    if (!c) {
        const char *base = json_string_value(json_object_get(parent, "FULL_PATH"));
        char path[512];
        snprintf(path, sizeof path, "%s/%s", strcmp(base, "/") == 0 ? "" : base, name);
        c = json_pack("{s:s}", "FULL_PATH", path);
        json_object_set_new(contents, name, c);
    }
    return c;
}

static void method(json_t *root, const char *path, const char *types, const char *what)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path + 1);
    json_t *n = root;
    for (char *save = NULL, *seg = strtok_r(buf, "/", &save); seg;
         seg = strtok_r(NULL, "/", &save))
        n = child(n, seg);
    json_object_set_new(n, "TYPE", json_string(types));
    json_object_set_new(n, "ACCESS", json_integer(2));
    json_object_set_new(n, "DESCRIPTION", json_string(what));
}

static int op_oscquery(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    json_t *pa = json_pack("{s:b}", "ranges", 1), *pv = NULL;
    reel_error e;
    int rc = reel_service_run_op(x->service, "param_values", pa, x->origin, &pv, &e);
    json_decref(pa);
    if (rc && rc != REEL_ESTATE)
        return reel_error_set(err, rc, "%s", e.msg);
    json_t *root = json_pack("{s:s, s:s}", "FULL_PATH", "/", "DESCRIPTION",
                             "reel: parameters of the graph playing, and scenes");
    json_t *param = child(child(root, "reel"), "param");
    json_object_set_new(param, "DESCRIPTION",
                        json_string(pv ? json_string_value(json_object_get(pv, "project"))
                                       : "nothing is playing"));
    if (!json_object_get(param, "CONTENTS"))
        json_object_set_new(param, "CONTENTS", json_object());
    const char *target;
    json_t *v;
    json_object_foreach(json_object_get(pv, "values"), target, v) {
        char a[256];
        snprintf(a, sizeof a, "%s", target);
        json_t *n = param;
        /* "clip:<id>:gain" -> clip/<id>/gain; "<node>:<param>" -> <node>/<param> */
        for (char *save = NULL, *seg = strtok_r(a, ":", &save); seg;
             seg = strtok_r(NULL, ":", &save))
            n = child(n, seg);
        json_t *r = json_object_get(json_object_get(pv, "ranges"), target);
        bool toggle = json_is_true(json_array_get(r, 2));
        json_object_set_new(n, "TYPE", json_string(toggle ? "i" : "f"));
        json_object_set_new(n, "ACCESS", json_integer(3));
        json_object_set_new(n, "DESCRIPTION", json_string(target));
        json_object_set_new(n, "VALUE", json_pack("[O]", v));
        double lo = json_number_value(json_array_get(r, 0));
        double hi = json_number_value(json_array_get(r, 1));
        json_t *range = json_object();
        if (lo > -1e29)
            json_object_set_new(range, "MIN", json_real(lo));
        if (hi < 1e29)
            json_object_set_new(range, "MAX", json_real(hi));
        json_object_set_new(n, "RANGE", json_pack("[o]", range));
    }
    method(root, "/reel/scene/recall", "ss", "project, scene [, mode, time]: recall a scene");
    method(root, "/reel/scene/push", "ss", "project, scene: push a scene");
    method(root, "/reel/scene/pop", "", "pop the scene stack");
    json_decref(pv);
    *out = root;
    return REEL_OK;
}

static const reel_op ops[] = {
    {"oscquery", "The parameter tree of the graph playing as OSCQuery JSON (paths, types, "
                 "ranges, access, values); also GET /api/oscquery.", 0, op_oscquery},
};

static const reel_op_table oscquery_ops = {
    .name = "oscquery",
    .order = 17,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(oscquery_ops);
REEL_OP_RESOURCE(((const reel_op_resource){"oscquery", "oscquery", NULL, NULL, {NULL},
                                           {{NULL, NULL}}}));
