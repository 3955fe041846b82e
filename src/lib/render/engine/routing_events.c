/*
 * routing_events.c — routing_set and routing_update: the graphs they
 * leave, and those graphs merged into one (routing_events.h).
 */
#include "render/engine/routing_events.h"

#include "model/project/event_check.h"
#include "model/project/project_doc.h"
#include "render/engine/graph_compile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *node_find(json_t *nodes, const char *id, size_t *at)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n) {
        const char *nid = sget(n, "id");
        if (id && nid && strcmp(nid, id) == 0) {
            if (at)
                *at = i;
            return n;
        }
    }
    return NULL;
}

/* `arr` of `delta`: absent, or an array (else an error naming it). */
static int delta_list(json_t *delta, const char *key, json_t **arr, reel_error *err)
{
    *arr = json_object_get(delta, key);
    if (*arr && !json_is_array(*arr))
        return reel_error_set(err, REEL_EINVAL, "\"%s\" must be a list", key);
    return REEL_OK;
}

static bool conn_touches(json_t *c, const char *id)
{
    const char *f = sget(c, "from"), *t = sget(c, "to");
    return (f && strcmp(f, id) == 0) || (t && strcmp(t, id) == 0);
}

/* Does connection `c` match disconnect entry `d` (from, to, and the
 * channels `d` names)? */
static bool conn_matches(json_t *c, json_t *d)
{
    const char *f = sget(c, "from"), *t = sget(c, "to");
    const char *df = sget(d, "from"), *dt = sget(d, "to");
    if (!f || !t || !df || !dt || strcmp(f, df) != 0 || strcmp(t, dt) != 0)
        return false;
    static const char *const ch[] = {"from_channel", "to_channel"};
    for (int k = 0; k < 2; k++) {
        json_t *want = json_object_get(d, ch[k]);
        if (want && !json_equal(want, json_object_get(c, ch[k])))
            return false;
    }
    return true;
}

static int update_apply(json_t *g, json_t *delta, reel_error *err)
{
    static const char *const keys[] = {"remove", "add", "set", "disconnect", "connect"};
    json_t *list[5];
    const char *k;
    json_t *v;
    json_object_foreach(delta, k, v) {
        size_t i = 0;
        while (i < 5 && strcmp(k, keys[i]) != 0)
            i++;
        if (i == 5)
            return reel_error_set(err, REEL_EINVAL, "unknown key \"%.32s\" (remove, add, set, "
                                  "disconnect, connect)", k);
    }
    for (int i = 0; i < 5; i++) {
        int rc = delta_list(delta, keys[i], &list[i], err);
        if (rc)
            return rc;
    }
    if (!json_array_size(list[0]) && !json_array_size(list[1]) && !json_array_size(list[2]) &&
        !json_array_size(list[3]) && !json_array_size(list[4]))
        return reel_error_set(err, REEL_EINVAL, "a routing_update changes nothing (give remove, "
                              "add, set, disconnect or connect)");
    json_t *nodes = json_object_get(g, "nodes"), *conns = json_object_get(g, "connections");
    size_t i, at;
    json_t *e;
    json_array_foreach(list[0], i, e) {
        const char *id = json_string_value(e);
        if (!node_find(nodes, id, &at))
            return reel_error_set(err, REEL_ENOENT, "remove: no node '%.64s' in the graph",
                                  id ? id : "(not a name)");
        json_array_remove(nodes, at);
        for (size_t c = json_array_size(conns); c-- > 0;)
            if (conn_touches(json_array_get(conns, c), id))
                json_array_remove(conns, c);
    }
    json_array_foreach(list[1], i, e) {
        if (!json_is_object(e) || !sget(e, "id"))
            return reel_error_set(err, REEL_EINVAL, "add: a node is an object with an \"id\"");
        if (node_find(nodes, sget(e, "id"), NULL))
            return reel_error_set(err, REEL_EEXIST, "add: node '%.64s' is already in the graph",
                                  sget(e, "id"));
        json_array_append_new(nodes, json_deep_copy(e));
    }
    json_array_foreach(list[2], i, e) {
        json_t *n = node_find(nodes, sget(e, "id"), NULL);
        if (!n)
            return reel_error_set(err, REEL_ENOENT, "set: no node '%.64s' in the graph",
                                  sget(e, "id") ? sget(e, "id") : "(no id)");
        const char *key;
        json_t *val;
        json_object_foreach(e, key, val) {
            if (strcmp(key, "id") == 0)
                continue;
            if (strcmp(key, "kind") == 0 || strcmp(key, "track") == 0 ||
                strcmp(key, "uri") == 0 || strcmp(key, "channels") == 0)
                return reel_error_set(err, REEL_EINVAL, "set: node '%.64s' keeps its %s (remove "
                                      "it and add another)", sget(e, "id"), key);
            if (strcmp(key, "params") == 0 && json_is_object(val)) {
                json_t *pp = json_object_get(n, "params");
                if (!json_is_object(pp)) {
                    json_object_set_new(n, "params", json_object());
                    pp = json_object_get(n, "params");
                }
                json_object_update(pp, val);
                continue;
            }
            json_object_set(n, key, val);
        }
    }
    json_array_foreach(list[3], i, e) {
        size_t removed = 0;
        for (size_t c = json_array_size(conns); c-- > 0;)
            if (conn_matches(json_array_get(conns, c), e)) {
                json_array_remove(conns, c);
                removed++;
            }
        if (!removed)
            return reel_error_set(err, REEL_ENOENT, "disconnect: no connection %.64s -> %.64s",
                                  sget(e, "from") ? sget(e, "from") : "?",
                                  sget(e, "to") ? sget(e, "to") : "?");
    }
    json_array_foreach(list[4], i, e) {
        if (!json_is_object(e))
            return reel_error_set(err, REEL_EINVAL, "connect: a connection is an object "
                                  "{from, to, ...}");
        json_array_append_new(conns, json_deep_copy(e));
    }
    return REEL_OK;
}

int reel_routing_apply(json_t *doc, json_t *graph, json_t *ev, json_t **out, reel_error *err)
{
    const char *type = sget(ev, "type");
    json_t *pl = json_object_get(ev, "payload");
    *out = NULL;
    if (type && strcmp(type, "routing_set") == 0) {
        json_t *g = json_object_get(pl, "graph");
        json_t *c = json_object_get(g, "connections");
        if (!json_is_object(g) || !json_array_size(json_object_get(g, "nodes")) ||
            (c && !json_is_array(c)))
            return reel_error_set(err, REEL_EINVAL, "routing_set needs payload {\"graph\": "
                                  "{\"nodes\": [...], \"connections\": [...]}} with nodes");
        json_t *cp = json_deep_copy(g);
        if (cp && !c)
            json_object_set_new(cp, "connections", json_array());
        if (!cp)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        *out = cp;
        return REEL_OK;
    }
    if (!type || strcmp(type, "routing_update") != 0)
        return reel_error_set(err, REEL_EINVAL, "not a routing event");
    if (!json_is_object(pl))
        return reel_error_set(err, REEL_EINVAL, "routing_update needs a payload {remove, add, "
                              "set, disconnect, connect}");
    json_t *g = json_deep_copy(graph);
    if (!g)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (!json_is_array(json_object_get(g, "connections")))
        json_object_set_new(g, "connections", json_array());
    int rc = update_apply(g, pl, err);
    if (rc) {
        json_decref(g);
        return rc;
    }
    *out = g;
    return REEL_OK;
}

/* ---- the union ------------------------------------------------------------------- */

typedef struct unode {
    json_t *def;  /* its first definition: what the plan instantiates */
    json_t *last; /* the definition in force last */
} unode;

typedef struct ubuild {
    json_t *doc;
    json_t *nodes, *conns; /* the union graph's */
    unode *un;
    size_t n_un;
    reel_route_window *win;
    size_t n_win, cap_win;
    reel_follow_plan *fp;
} ubuild;

static bool fader_kind(const char *kind)
{
    return kind && (strcmp(kind, "track") == 0 || strcmp(kind, "bus") == 0);
}

/* A fader value of node `n` as it plays: the node's own, or (a track
 * node's) its track's, or the default. */
static double fader(json_t *doc, json_t *n, const char *key, double dflt)
{
    json_t *v = json_object_get(n, key);
    if (!v && strcmp(sget(n, "kind") ?: "", "track") == 0)
        v = json_object_get(reel_project_find(json_object_get(doc, "tracks"), sget(n, "track"),
                                              NULL),
                            key);
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* What must not change between two definitions of one node: everything
 * but its faders, its plugin parameters and its name. */
static json_t *identity(json_t *n)
{
    json_t *c = json_deep_copy(n);
    static const char *const loose[] = {"gain", "pan", "mute", "solo", "params", "name"};
    for (size_t k = 0; c && k < sizeof loose / sizeof *loose; k++)
        json_object_del(c, loose[k]);
    if (c && !json_object_get(c, "channels") && strcmp(sget(n, "kind") ?: "", "track") != 0)
        json_object_set_new(c, "channels", json_integer(2));
    return c;
}

static int cmd(ubuild *u, const char *id, const char *param, int64_t at, double v,
               reel_error *err)
{
    char t[200];
    snprintf(t, sizeof t, "%.64s:%.128s", id, param);
    return reel_follow_plan_cmd_add(u->fp, t, at, v, err);
}

/* Node `n` of the graph in force from frame `at`: into the union (its
 * first definition), or checked against the union's, its changed faders
 * and plugin parameters as values at `at`. */
static int node_merge(ubuild *u, json_t *n, int64_t at, reel_error *err)
{
    const char *id = sget(n, "id");
    if (!id)
        return reel_error_set(err, REEL_EINVAL, "a graph node needs an \"id\"");
    size_t k = 0;
    while (k < u->n_un && strcmp(sget(u->un[k].def, "id"), id) != 0)
        k++;
    if (k == u->n_un) {
        json_array_append(u->nodes, n);
        u->un[u->n_un++] = (unode){n, n};
        return REEL_OK;
    }
    json_t *a = identity(u->un[k].def), *b = identity(n);
    bool same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    if (!same)
        return reel_error_set(err, REEL_EINVAL, "node '%.64s' changes its kind, track, plugin "
                              "or channels; a node keeps them from graph to graph (give the new "
                              "one another id)", id);
    json_t *last = u->un[k].last;
    u->un[k].last = n;
    const char *kind = sget(n, "kind");
    if (fader_kind(kind)) {
        static const char *const f[] = {"gain", "pan", "mute", "solo"};
        static const double dflt[] = {1, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            if (i == 3 && strcmp(kind, "track") != 0)
                break; /* solo is a track's */
            double was = fader(u->doc, last, f[i], dflt[i]), now = fader(u->doc, n, f[i], dflt[i]);
            if (i == 0 && !(now >= 0 && now <= 16))
                return reel_error_set(err, REEL_EINVAL, "node '%.64s': gain %g out of range "
                                      "(0..16)", id, now);
            if (i == 1 && !(now >= -1 && now <= 1))
                return reel_error_set(err, REEL_EINVAL, "node '%.64s': pan %g out of range "
                                      "(-1..1)", id, now);
            int rc = was != now ? cmd(u, id, f[i], at, now, err) : REEL_OK;
            if (rc)
                return rc;
        }
    }
    json_t *pp = json_object_get(n, "params"), *lp = json_object_get(last, "params");
    const char *sym;
    json_t *v;
    json_object_foreach(pp, sym, v) {
        if (!json_is_number(v))
            continue;
        json_t *w = json_object_get(lp, sym);
        int rc = !json_is_number(w) || json_number_value(w) != json_number_value(v)
                     ? cmd(u, id, sym, at, json_number_value(v), err)
                     : REEL_OK;
        if (rc)
            return rc;
    }
    return REEL_OK;
}

/* Connection `c` of the graph in force over [on, off): the union's, its
 * window stretched when the graph before had the same one up to `on`. */
static int conn_merge(ubuild *u, json_t *graph, json_t *c, int64_t on, int64_t off,
                      reel_error *err)
{
    const char *f = sget(c, "from"), *t = sget(c, "to");
    json_t *nodes = json_object_get(graph, "nodes");
    if (!node_find(nodes, f, NULL) || !node_find(nodes, t, NULL))
        return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: no node '%.64s' in "
                              "that graph", f ? f : "?", t ? t : "?",
                              !node_find(nodes, f, NULL) ? (f ? f : "?") : (t ? t : "?"));
    for (size_t k = 0; k < u->n_win; k++)
        if (u->win[k].off == on && json_equal(json_array_get(u->conns, k), c)) {
            u->win[k].off = off;
            return REEL_OK;
        }
    if (u->n_win == u->cap_win) {
        size_t cap = u->cap_win ? u->cap_win * 2 : 16;
        reel_route_window *w = realloc(u->win, cap * sizeof *w);
        if (!w)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        u->win = w;
        u->cap_win = cap;
    }
    u->win[u->n_win++] = (reel_route_window){on, off};
    json_array_append(u->conns, c);
    return REEL_OK;
}

static int graph_merge(ubuild *u, json_t *graph, int64_t on, int64_t off, reel_error *err)
{
    json_t *nodes = json_object_get(graph, "nodes");
    size_t i;
    json_t *e;
    unode *un = realloc(u->un, (u->n_un + json_array_size(nodes) + 1) * sizeof *un);
    if (!un)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    u->un = un;
    json_array_foreach(nodes, i, e) {
        int rc = node_merge(u, e, on, err);
        if (rc)
            return rc;
    }
    json_array_foreach(json_object_get(graph, "connections"), i, e) {
        int rc = conn_merge(u, graph, e, on, off, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

static int event_error(reel_error *err, json_t *ev, int64_t frame, uint32_t rate)
{
    char msg[REEL_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return reel_error_set(err, err->code, "%s event %.64s at %.3f s: %s", sget(ev, "type"),
                          sget(ev, "id") ?: "?", rate ? (double)frame / rate : 0.0, msg);
}

int reel_routing_union(json_t *doc, const reel_follow_route *route, size_t n,
                       reel_follow_plan *fp, json_t **graph, reel_route_window **win,
                       reel_error *err)
{
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(doc, "rate"));
    json_t *owned, *g0 = reel_graph_effective(doc, &owned);
    ubuild u = {.doc = doc, .nodes = json_array(), .conns = json_array(), .fp = fp};
    json_t *keep = json_array(); /* every graph made, alive until the union is copied */
    json_t *cur = g0 ? json_deep_copy(g0) : NULL;
    int rc = REEL_OK;
    json_decref(owned);
    if (!u.nodes || !u.conns || !keep || !cur) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    if (!json_is_array(json_object_get(cur, "connections")))
        json_object_set_new(cur, "connections", json_array());
    json_array_append_new(keep, cur);
    int64_t on = 0;
    json_t *last_ev = NULL; /* the event that made `cur` */
    for (size_t k = 0;;) {
        int64_t at = k < n ? route[k].frame : INT64_MAX;
        if (at > on && (rc = graph_merge(&u, cur, on, at, err))) {
            if (last_ev)
                rc = event_error(err, last_ev, on, rate);
            break;
        }
        if (k == n)
            break;
        for (; k < n && route[k].frame == at; k++) { /* the events at one frame: one graph */
            json_t *g;
            if ((rc = reel_routing_apply(doc, cur, route[k].event, &g, err))) {
                rc = event_error(err, route[k].event, at, rate);
                break;
            }
            json_array_append_new(keep, g);
            cur = g;
            last_ev = route[k].event;
        }
        if (rc)
            break;
        on = at;
    }
    if (!rc) {
        json_t *un = json_pack("{s:o, s:o}", "nodes", u.nodes, "connections", u.conns);
        u.nodes = u.conns = NULL; /* the pack took them, or let them go */
        *graph = json_deep_copy(un); /* none of its parts shared with the events' graphs */
        json_decref(un);
        if (!*graph)
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    if (!rc) {
        *win = u.win;
        u.win = NULL;
    }
out:
    json_decref(u.nodes);
    json_decref(u.conns);
    json_decref(keep);
    free(u.un);
    free(u.win);
    return rc;
}

/* ---- the check at timeline_event_add --------------------------------------------- */

static bool is_routing(json_t *ev)
{
    const char *t = sget(ev, "type");
    return t && (strcmp(t, "routing_set") == 0 || strcmp(t, "routing_update") == 0);
}

static int route_cmp(const void *a, const void *b)
{
    const reel_follow_route *x = a, *y = b;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

/* A routing event added to `tl`: the timeline's routing events, in the
 * order of their positions, must make graphs that play (the compile makes
 * the final check in the order the plan plays them). */
static int routing_event_check(json_t *doc, json_t *tl, json_t *ev, reel_error *err)
{
    if (!is_routing(ev))
        return REEL_OK;
    json_t *evs = json_object_get(tl, "events");
    reel_follow_route *r = calloc(json_array_size(evs) + 1, sizeof *r);
    reel_follow_plan *fp = calloc(1, sizeof *fp);
    json_t *g = NULL;
    reel_route_window *w = NULL;
    size_t n = 0, i;
    json_t *e;
    int rc = r && fp ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_array_foreach(evs, i, e) {
        if (rc || !is_routing(e))
            continue;
        rc = reel_project_pos_frames(doc, tl, json_number_value(json_object_get(e, "at")),
                                     &r[n].frame, err);
        r[n++].event = e;
    }
    if (!rc) { /* stable: the order added among events at one position */
        for (size_t a = 1; a < n; a++)
            for (size_t b = a; b > 0 && route_cmp(&r[b - 1], &r[b]) > 0; b--) {
                reel_follow_route t = r[b];
                r[b] = r[b - 1];
                r[b - 1] = t;
            }
        rc = reel_routing_union(doc, r, n, fp, &g, &w, err);
    }
    if (!rc && (rc = reel_graph_check(doc, g, err))) {
        char msg[REEL_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rc = reel_error_set(err, rc, "with its routing events, %s", msg);
    }
    json_decref(g);
    free(w);
    free(r);
    reel_follow_plan_free(fp);
    return rc;
}

static const reel_event_check routing_check = {"routing", routing_event_check};
REEL_EVENT_CHECKS(routing_check);
