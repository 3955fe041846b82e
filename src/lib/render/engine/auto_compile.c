/*
 * auto_compile.c — automation targets and lanes of a compiled graph
 * (auto_compile.h), and the target resolver lane ops use.
 */
#include "render/engine/auto_compile.h"

#include "model/follow/follow_plan.h"
#include "model/project/project_doc.h"
#include "render/engine/lv2_host.h"
#include "rt/plan_auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fader parameters of track and bus nodes. */
static const struct node_param {
    const char *name;
    reel_plan_param param;
    float lo, hi;
    bool toggle, track_only;
} node_params[] = {
    {"gain", REEL_PLAN_GAIN, 0.0f, 16.0f, false, false},
    {"pan", REEL_PLAN_PAN, -1.0f, 1.0f, false, false},
    {"mute", REEL_PLAN_MUTE, 0.0f, 1.0f, true, false},
    {"solo", REEL_PLAN_SOLO, 0.0f, 1.0f, true, true},
};
#define N_NODE_PARAMS (sizeof node_params / sizeof node_params[0])

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* "clip:<id>:gain" -> id; "<node>:<param>" -> node, param. */
int reel_auto_target_split(const char *target, bool *clip, char *a, size_t na, char *b,
                           size_t nb, reel_error *err)
{
    *clip = strncmp(target, "clip:", 5) == 0;
    const char *s = *clip ? target + 5 : target;
    const char *colon = *clip ? strrchr(s, ':') : strchr(s, ':');
    if (!colon || colon == s || !colon[1] || (size_t)(colon - s) >= na || strlen(colon + 1) >= nb)
        return reel_error_set(err, REEL_EINVAL, "automation target '%.200s' is not "
                              "\"<node>:<param>\" or \"clip:<id>:gain\"", target);
    memcpy(a, s, (size_t)(colon - s));
    a[colon - s] = 0;
    snprintf(b, nb, "%s", colon + 1);
    return REEL_OK;
}

static int resolve(json_t *doc, const char *target, reel_auto_range *r, reel_error *err)
{
    bool clip;
    char a[128], b[128];
    int rc = reel_auto_target_split(target, &clip, a, sizeof a, b, sizeof b, err);
    if (rc)
        return rc;
    memset(r, 0, sizeof *r);
    if (clip) {
        if (!reel_project_clip_find(doc, a, NULL, NULL))
            return reel_error_set(err, REEL_ENOENT, "automation target %s: no clip '%.64s'",
                                  target, a);
        if (strcmp(b, "launch") == 0) { /* a trigger: the clip plays from its start */
            r->lo = 0;
            r->hi = 1;
            return REEL_OK;
        }
        if (strcmp(b, "gain") != 0)
            return reel_error_set(err, REEL_ENOENT, "automation target %s: a clip's targets are "
                                  "gain and launch (a trigger)", target);
        r->lo = 0;
        r->hi = 16;
        return REEL_OK;
    }
    json_t *owned, *g = reel_graph_effective(doc, &owned), *node = NULL;
    size_t i;
    json_t *nd;
    json_array_foreach(json_object_get(g, "nodes"), i, nd) {
        if (sget(nd, "id") && strcmp(sget(nd, "id"), a) == 0)
            node = nd;
    }
    const char *kind = sget(node, "kind");
    if (!node) {
        rc = reel_error_set(err, REEL_ENOENT, "automation target %s: no graph node '%.64s'",
                            target, a);
    } else if (strcmp(kind, "track") == 0 || strcmp(kind, "bus") == 0) {
        rc = reel_error_set(err, REEL_ENOENT, "automation target %s: a %s node's parameters are "
                            "gain, pan, mute%s", target, kind,
                            strcmp(kind, "track") == 0 ? ", solo" : "");
        for (size_t k = 0; k < N_NODE_PARAMS; k++)
            if (strcmp(b, node_params[k].name) == 0 &&
                (!node_params[k].track_only || strcmp(kind, "track") == 0)) {
                r->lo = node_params[k].lo;
                r->hi = node_params[k].hi;
                r->toggle = node_params[k].toggle;
                rc = REEL_OK;
            }
    } else if (strcmp(kind, "plugin") == 0) {
        reel_lv2_host *h;
        float lo = 0, hi = 0;
        bool toggle = false;
        if (!(rc = reel_lv2_host_new(&h, err))) {
            rc = reel_lv2_control_info(h, a, sget(node, "uri"), b, &lo, &hi, &toggle, err);
            reel_lv2_host_free(h);
            if (!rc) { /* a control the plugin does not have leaves them unset */
                r->lo = lo;
                r->hi = hi;
                r->toggle = toggle;
            }
        }
    } else {
        rc = reel_error_set(err, REEL_ENOENT, "automation target %s: node %s (%s) has no "
                            "automatable parameters", target, a, kind);
    }
    json_decref(owned);
    return rc;
}

static const reel_auto_target_resolver graph_targets = {"graph", resolve};
REEL_AUTO_TARGETS(graph_targets);

typedef struct table {
    reel_auto_target *t;
    size_t n, cap;
} table;

static int table_add(table *tb, const char *name, uint32_t slot, float lo, float hi, bool toggle,
                     reel_error *err)
{
    if (tb->n == tb->cap) {
        size_t cap = tb->cap ? tb->cap * 2 : 64;
        reel_auto_target *t = realloc(tb->t, cap * sizeof *t);
        if (!t)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        tb->t = t;
        tb->cap = cap;
    }
    reel_auto_target *t = &tb->t[tb->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->slot = slot;
    t->range = (reel_auto_range){lo, hi, toggle};
    return REEL_OK;
}

static int target_cmp(const void *a, const void *b)
{
    return strcmp(((const reel_auto_target *)a)->name, ((const reel_auto_target *)b)->name);
}

int reel_compiled_target(const reel_compiled *c, const char *target, uint32_t *slot,
                         reel_auto_range *range, reel_error *err)
{
    reel_auto_target key;
    snprintf(key.name, sizeof key.name, "%s", target ? target : "");
    const reel_auto_target *t =
        c->n_target ? bsearch(&key, c->target, c->n_target, sizeof key, target_cmp) : NULL;
    if (!t)
        return reel_error_set(err, REEL_ENOENT, "automation target '%.200s' is not in this "
                              "graph", target ? target : "");
    *slot = t->slot;
    if (range)
        *range = t->range;
    return REEL_OK;
}

/* What a clip's launch trigger plays (realtime: the plan's launch call). */
typedef struct launch_ud {
    reel_plan *plan;
    uint32_t node;
    long index;
} launch_ud;

static void launch_fire(void *ud, float value, int64_t frame)
{
    (void)value;
    launch_ud *l = ud;
    reel_plan_clip_launch(l->plan, l->node, l->index, frame);
}

static int slots_make(reel_compiled *c, reel_auto *a, table *tb, reel_error *err)
{
    char name[208];
    int rc = REEL_OK;
    uint32_t s;
    for (uint32_t r = 0; r < c->n && !rc; r++) {
        if (c->kind[r] == REEL_PLAN_TRACK || c->kind[r] == REEL_PLAN_BUS) {
            for (size_t k = 0; k < N_NODE_PARAMS && !rc; k++) {
                const struct node_param *np = &node_params[k];
                if (np->track_only && c->kind[r] != REEL_PLAN_TRACK)
                    continue;
                snprintf(name, sizeof name, "%s:%s", c->id[r], np->name);
                if (!(rc = reel_auto_slot_node(a, r, np->param, np->lo, np->hi, &s, err)))
                    rc = table_add(tb, name, s, np->lo, np->hi, np->toggle, err);
            }
        } else if (c->plugin[r]) {
            for (uint32_t k = 0; k < reel_lv2_n_controls(c->plugin[r]) && !rc; k++) {
                float lo, hi;
                float *ref = reel_lv2_control_ref(c->plugin[r], k, &lo, &hi);
                snprintf(name, sizeof name, "%s:%s", c->id[r],
                         reel_lv2_control_symbol(c->plugin[r], k));
                if (!(rc = reel_auto_slot_float(a, ref, lo, hi, &s, err)))
                    rc = table_add(tb, name, s, lo, hi, false, err);
            }
        }
    }
    launch_ud *lu = c->n_clip_ref ? calloc(c->n_clip_ref, sizeof *lu) : NULL;
    if (c->n_clip_ref && !lu)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    c->launch = lu;
    for (size_t k = 0; k < c->n_clip_ref && !rc; k++) {
        float *g = reel_plan_clip_gain_ref(c->plan, c->clip_ref[k].node, c->clip_ref[k].seq);
        snprintf(name, sizeof name, "clip:%s:gain", c->clip_ref[k].id);
        if (g && !(rc = reel_auto_slot_float(a, g, 0.0f, 16.0f, &s, err)))
            rc = table_add(tb, name, s, 0.0f, 16.0f, false, err);
        lu[k] = (launch_ud){c->plan, c->clip_ref[k].node,
                            reel_plan_clip_index(c->plan, c->clip_ref[k].node,
                                                 c->clip_ref[k].seq)};
        snprintf(name, sizeof name, "clip:%s:launch", c->clip_ref[k].id);
        if (!rc && lu[k].index >= 0 && !(rc = reel_auto_slot_trigger(a, launch_fire, &lu[k], &s,
                                                                        err)))
            rc = table_add(tb, name, s, 0.0f, 1.0f, false, err);
    }
    if (rc)
        return rc;
    if (tb->n)
        qsort(tb->t, tb->n, sizeof *tb->t, target_cmp);
    /* a clip two track nodes play: the first one's slot (names stay unique) */
    size_t w = 0;
    for (size_t k = 0; k < tb->n; k++)
        if (!w || strcmp(tb->t[w - 1].name, tb->t[k].name) != 0)
            tb->t[w++] = tb->t[k];
    tb->n = w;
    return REEL_OK;
}

/* A note in the follow log (something an action clip asked that did not
 * happen). */
static void follow_note(reel_compiled *c, int64_t frame, const char *clip, const char *note)
{
    json_t *e = json_pack("{sI ss ss}", "frame", (json_int_t)frame, "from", clip ? clip : "",
                          "note", note);
    if (e && c->follow_log)
        json_array_append_new(c->follow_log, e);
    else
        json_decref(e);
}

/* The events of every action clip a follow action triggered (follow_plan.h),
 * each a command at its frame: widgetChange {target, payload {value}} sets
 * an automation target, as a lane would. What names no target of this
 * graph, or another kind of event, is noted in the follow log instead. */
static int trigger_lanes(reel_compiled *c, reel_auto *a, json_t *doc, reel_error *err)
{
    const reel_follow_plan *fp = c->follow_plan;
    for (size_t k = 0; fp && k < fp->n_trigger; k++) {
        const reel_follow_trigger *t = &fp->trigger[k];
        const char *cid = sget(t->clip, "id");
        double at = json_number_value(json_object_get(t->clip, "at"));
        int64_t base;
        int rc = reel_project_pos_frames(doc, t->timeline, at, &base, err);
        if (rc)
            return rc;
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(t->clip, "events"), i, e) {
            const char *type = sget(e, "type"), *target = sget(e, "target");
            json_t *v = json_object_get(json_object_get(e, "payload"), "value");
            int64_t f;
            char note[320];
            if ((rc = reel_project_pos_frames(doc, t->timeline,
                                              at + json_number_value(json_object_get(e, "at")),
                                              &f, err)))
                return rc;
            f = t->at + (f - base);
            uint32_t slot;
            reel_auto_range range;
            reel_error ignored;
            if (!type || strcmp(type, "widgetChange") != 0) {
                snprintf(note, sizeof note, "action clip event %s is not run by the engine in "
                         "this build: nothing done", type ? type : "?");
                follow_note(c, f, cid, note);
            } else if (!target || !json_is_number(v) ||
                       reel_compiled_target(c, target, &slot, &range, &ignored)) {
                snprintf(note, sizeof note, "action clip event: %.200s is no target of this "
                         "graph (or has no payload value): nothing done", target ? target : "?");
                follow_note(c, f, cid, note);
            } else {
                reel_cmd cmd = {.frame = f, .value = (float)json_number_value(v),
                                .type = REEL_CMD_SET};
                if ((rc = reel_auto_lane_add(a, slot, &cmd, 1, err)))
                    return rc;
            }
        }
    }
    /* audio_clip_param events: a value on a target at a frame */
    for (size_t k = 0; fp && k < fp->n_cmd; k++) {
        const reel_follow_cmd *fc = &fp->cmd[k];
        uint32_t slot;
        reel_auto_range range;
        reel_error ignored;
        if (reel_compiled_target(c, fc->target, &slot, &range, &ignored)) {
            char note[320];
            snprintf(note, sizeof note, "timeline event: %.200s is no target of this graph: "
                     "nothing done", fc->target);
            follow_note(c, fc->frame, NULL, note);
            continue;
        }
        reel_cmd cmd = {.frame = fc->frame, .value = (float)fc->value, .type = REEL_CMD_SET};
        int rc = reel_auto_lane_add(a, slot, &cmd, 1, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

int reel_auto_compile(reel_compiled *c, json_t *doc, json_t *tl, reel_store *st,
                      reel_error *err)
{
    reel_auto *a;
    table tb = {0};
    int rc = reel_auto_new(&a, err);
    if (rc)
        return rc;
    if ((rc = slots_make(c, a, &tb, err)))
        goto fail;
    c->target = tb.t;
    c->n_target = tb.n;
    tb.t = NULL;
    const char *tid = sget(tl, "id");
    size_t i;
    json_t *lane;
    json_array_foreach(json_object_get(doc, "lanes"), i, lane) {
        const char *lt = sget(lane, "timeline");
        if (!lt || !tid || strcmp(lt, tid) != 0 || !reel_lane_mode_plays(sget(lane, "mode")))
            continue;
        uint32_t slot;
        if (reel_compiled_target(c, sget(lane, "target"), &slot, NULL, err)) {
            rc = reel_error_set(err, REEL_ENOENT, "lane %.64s drives %.200s, which this graph "
                                "no longer has (lane_remove it, or change the graph back)",
                                sget(lane, "id"), sget(lane, "target"));
            goto fail;
        }
        reel_cmd *cmds;
        size_t n;
        if (!st) {
            rc = reel_error_set(err, REEL_EINVAL, "lane %.64s: its chunks need a store to be "
                                "read", sget(lane, "id"));
            goto fail;
        }
        if ((rc = reel_lane_events(st, lane, &cmds, &n, err)))
            goto fail;
        rc = reel_auto_lane_add(a, slot, cmds, n, err);
        free(cmds);
        if (rc)
            goto fail;
    }
    if ((rc = trigger_lanes(c, a, doc, err)))
        goto fail;
    if (!(rc = reel_auto_attach(a, c->plan, err)))
        return REEL_OK; /* the plan owns it now */
fail:
    free(tb.t);
    reel_auto_free(a);
    return rc;
}
