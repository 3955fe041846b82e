/*
 * graph_compile.c — checking a graph document and compiling it into a plan
 * (graph_compile.h).
 *
 * The check works on a small table of the nodes (index, kind, channels)
 * and the connections as index pairs; the order is Kahn's algorithm over
 * it, nodes of equal rank in document order, so one document always gives
 * one plan. What is left when Kahn stops lies on or behind a cycle; a
 * walk along unfinished inputs from any of them must come back to a node
 * it has seen, and that loop is the one named.
 */
#include "render/engine/graph_compile.h"

#include "model/follow/follow_plan.h"
#include "model/project/project_doc.h"
#include "render/engine/auto_compile.h"
#include "render/engine/builtin_nodes.h"
#include "render/engine/lv2_host.h"
#include "render/engine/routing_events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_NODES_MAX 4096
#define GRAPH_EDGES_MAX 65536

typedef struct gnode {
    const char *id;
    const char *kind;
    reel_plan_kind pk;
    json_t *obj;   /* the node (NULL for a default graph's node) */
    json_t *track; /* track nodes: the track */
    uint32_t channels; /* outputs */
    uint32_t in_ch;    /* inputs: the channels, but a plugin's audio inputs */
    uint32_t rank;     /* position in running order */
    uint32_t latency;  /* its own (a delay node's, a plugin's reported) */
    bool builtin;      /* a processor of builtin_nodes.h */
} gnode;

typedef struct gedge {
    uint32_t from, to;
    int from_ch, to_ch; /* -1: every channel (graph_compile.h's mapping) */
    double gain;
    bool pre; /* a pre-fader send */
    int64_t on, off; /* frames it carries sound in (routing events: routing_events.h) */
} gedge;

typedef struct graph {
    gnode *node;
    size_t n;
    gedge *edge;
    size_t n_edge;
    uint32_t *order; /* node indices in running order */
    json_t *owned;   /* the default graph, when the document has none */
    reel_lv2_host *lv2; /* made at the first plugin node */
} graph;

static void graph_clear(graph *g)
{
    free(g->node);
    free(g->edge);
    free(g->order);
    json_decref(g->owned);
    reel_lv2_host_free(g->lv2);
    memset(g, 0, sizeof *g);
}

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static double nget(json_t *o, const char *k, double dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static json_t *effective_graph(json_t *doc, json_t *graph_in, json_t **owned);

/* The graph a document plays: its own, or every audio track into a
 * two-channel "master". */
json_t *reel_graph_effective(json_t *doc, json_t **owned)
{
    return effective_graph(doc, json_object_get(doc, "graph"), owned);
}

static json_t *effective_graph(json_t *doc, json_t *graph_in, json_t **owned)
{
    json_t *nodes = json_object_get(graph_in, "nodes");
    *owned = NULL;
    if (json_array_size(nodes))
        return graph_in;
    json_t *g = json_pack("{s:[], s:[]}", "nodes", "connections");
    if (!g)
        return NULL;
    json_t *gn = json_object_get(g, "nodes"), *gc = json_object_get(g, "connections");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "tracks"), i, t) {
        const char *kind = sget(t, "kind");
        if (kind && strcmp(kind, "audio") != 0)
            continue;
        json_array_append_new(gn, json_pack("{s:s, s:s, s:s}", "id", sget(t, "id"), "kind",
                                            "track", "track", sget(t, "id")));
        json_array_append_new(gc, json_pack("{s:s, s:s}", "from", sget(t, "id"), "to",
                                            "master"));
    }
    json_array_append_new(gn, json_pack("{s:s, s:s, s:i}", "id", "master", "kind", "output",
                                        "channels", 2));
    *owned = g;
    return g;
}

static int find_node(const graph *g, const char *id)
{
    for (size_t i = 0; id && i < g->n; i++)
        if (strcmp(g->node[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Name the cycle among the nodes Kahn could not place (indeg > 0). */
static int cycle_error(const graph *g, const uint32_t *indeg, reel_error *err)
{
    size_t start = 0;
    while (start < g->n && indeg[start] == 0)
        start++;
    int *seen = calloc(g->n, sizeof *seen); /* step at which the walk met it, 0: never */
    uint32_t *path = calloc(g->n + 1, sizeof *path);
    if (!seen || !path) {
        free(seen);
        free(path);
        return reel_error_set(err, REEL_EINVAL, "the graph has a cycle");
    }
    size_t at = start, steps = 0;
    while (!seen[at]) { /* walk backwards along an input that is also unplaced */
        seen[at] = (int)++steps;
        path[steps - 1] = (uint32_t)at;
        size_t prev = at;
        for (size_t e = 0; e < g->n_edge; e++)
            if (g->edge[e].to == at && indeg[g->edge[e].from] > 0) {
                prev = g->edge[e].from;
                break;
            }
        at = prev;
    }
    /* path[first .. steps-1] walked backwards is the loop: forwards it is
     * path[steps-1] -> ... -> path[first] -> path[steps-1]; it is named from
     * its node that comes first in the document, so one graph gives one message. */
    size_t first = (size_t)seen[at] - 1, loop = steps - first, lo = 0;
    for (size_t k = 0; k < loop; k++) /* k-th node forwards: path[steps - 1 - k] */
        if (path[steps - 1 - k] < path[steps - 1 - lo])
            lo = k;
    char msg[400];
    int len = snprintf(msg, sizeof msg, "the graph has a cycle: ");
    for (size_t k = 0; k <= loop && len < (int)sizeof msg; k++)
        len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s", k ? " -> " : "",
                        g->node[path[steps - 1 - (lo + k) % loop]].id);
    free(seen);
    free(path);
    return reel_error_set(err, REEL_EINVAL, "%s", msg);
}

static int graph_build(json_t *doc, json_t *graph_in, graph *g, reel_error *err)
{
    memset(g, 0, sizeof *g);
    json_t *gj = effective_graph(doc, graph_in, &g->owned);
    if (!gj)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_t *nodes = json_object_get(gj, "nodes"), *conns = json_object_get(gj, "connections");
    if (json_array_size(nodes) > GRAPH_NODES_MAX || json_array_size(conns) > GRAPH_EDGES_MAX)
        return reel_error_set(err, REEL_EINVAL, "the graph has more than %d nodes or %d "
                              "connections", GRAPH_NODES_MAX, GRAPH_EDGES_MAX);
    g->node = calloc(json_array_size(nodes) + 1, sizeof *g->node);
    g->edge = calloc(json_array_size(conns) * REEL_PLAN_CH_MAX + 1, sizeof *g->edge);
    g->order = calloc(json_array_size(nodes) + 1, sizeof *g->order);
    if (!g->node || !g->edge || !g->order)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    size_t i;
    json_t *nj;
    json_array_foreach(nodes, i, nj) {
        gnode *nd = &g->node[g->n];
        nd->obj = g->owned ? NULL : nj;
        nd->id = sget(nj, "id");
        nd->kind = sget(nj, "kind");
        if (!nd->id || !*nd->id || !nd->kind)
            return reel_error_set(err, REEL_EINVAL, "graph node %zu: needs an \"id\" and a "
                                  "\"kind\"", i);
        if (find_node(g, nd->id) >= 0)
            return reel_error_set(err, REEL_EINVAL, "graph node '%.64s' is defined twice",
                                  nd->id);
        json_t *ch = json_object_get(nj, "channels");
        json_int_t nch = ch ? json_integer_value(ch) : 2;
        nd->channels = nch >= 1 && nch <= REEL_PLAN_CH_MAX ? (uint32_t)nch : 0;
        if (strcmp(nd->kind, "track") == 0) {
            const char *tid = sget(nj, "track");
            nd->track = reel_project_find(json_object_get(doc, "tracks"), tid, NULL);
            if (!nd->track)
                return reel_error_set(err, REEL_EINVAL, "graph node '%.64s' plays track "
                                      "'%.64s', which is not in the project", nd->id,
                                      tid ? tid : "");
            const char *tk = sget(nd->track, "kind");
            if (tk && strcmp(tk, "audio") != 0)
                return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': track '%.64s' is "
                                      "a %s track; track nodes play audio", nd->id, tid, tk);
            json_int_t tch = json_integer_value(json_object_get(nd->track, "channels"));
            nd->channels = tch >= 1 && tch <= REEL_PLAN_CH_MAX ? (uint32_t)tch : 0;
            nd->pk = REEL_PLAN_TRACK;
        } else if (strcmp(nd->kind, "bus") == 0) {
            nd->pk = REEL_PLAN_BUS;
        } else if (strcmp(nd->kind, "output") == 0) {
            nd->pk = REEL_PLAN_OUTPUT;
        } else if (strcmp(nd->kind, "plugin") == 0) {
            int rc;
            if (!g->lv2 && (rc = reel_lv2_host_new(&g->lv2, err)))
                return rc;
            if ((rc = reel_lv2_check(g->lv2, nd->id, sget(nj, "uri"),
                                     json_object_get(nj, "params"), &nd->in_ch, &nd->channels,
                                     err)))
                return rc;
            nd->pk = REEL_PLAN_PROCESSOR;
        } else if (reel_builtin_kind(nd->kind)) {
            int rc = reel_builtin_check(nd->id, nd->kind, nj, &nd->in_ch, &nd->channels,
                                        &nd->latency, err);
            if (rc)
                return rc;
            nd->pk = REEL_PLAN_PROCESSOR;
            nd->builtin = true;
        } else if (strcmp(nd->kind, "input") == 0) {
            return reel_error_set(err, REEL_EFORMAT, "graph node '%.64s': %s nodes are not "
                                  "supported by this build's engine yet", nd->id, nd->kind);
        } else {
            return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': unknown kind '%.32s' "
                                  "(track, bus, output, plugin, delay, ms_encode, ms_decode or "
                                  "input)", nd->id, nd->kind);
        }
        if (nd->channels < 1 || nd->channels > REEL_PLAN_CH_MAX)
            return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': channels must be "
                                  "1..%d", nd->id, REEL_PLAN_CH_MAX);
        if (nd->pk != REEL_PLAN_PROCESSOR)
            nd->in_ch = nd->channels;
        double gain = nget(nj, "gain", 1), pan = nget(nj, "pan", 0);
        if (!(gain >= 0 && gain <= 16) || !(pan >= -1 && pan <= 1))
            return reel_error_set(err, REEL_EINVAL, "graph node '%.64s': gain %g or pan %g out "
                                  "of range (gain 0..16, pan -1..1)", nd->id, gain, pan);
        g->n++;
    }
    json_t *cj;
    json_array_foreach(conns, i, cj) {
        const char *from = sget(cj, "from"), *to = sget(cj, "to");
        int f = find_node(g, from), t = find_node(g, to);
        if (f < 0 || t < 0)
            return reel_error_set(err, REEL_EINVAL, "connection %zu: no node '%.64s'", i,
                                  f < 0 ? (from ? from : "") : (to ? to : ""));
        if (f == t)
            return reel_error_set(err, REEL_EINVAL, "the graph has a cycle: %.64s -> %.64s",
                                  from, to);
        if (g->node[t].pk == REEL_PLAN_TRACK)
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: a track node "
                                  "has no inputs", from, to);
        if (g->node[f].pk == REEL_PLAN_OUTPUT)
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: an output node "
                                  "has no outputs to connect", from, to);
        json_t *fc = json_object_get(cj, "from_channel"), *tc = json_object_get(cj, "to_channel");
        double gain = nget(cj, "gain", 1);
        if (!(gain >= 0 && gain <= 16))
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: gain %g out of "
                                  "range (0..16)", from, to, gain);
        if ((fc && (!json_is_integer(fc) || json_integer_value(fc) < 0 ||
                    json_integer_value(fc) >= REEL_PLAN_CH_MAX)) ||
            (tc && (!json_is_integer(tc) || json_integer_value(tc) < 0 ||
                    json_integer_value(tc) >= REEL_PLAN_CH_MAX)))
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: a channel is a "
                                  "whole number 0..%d", from, to, REEL_PLAN_CH_MAX - 1);
        int fch = fc ? (int)json_integer_value(fc) : (tc ? (int)json_integer_value(tc) : -1);
        int tch = tc ? (int)json_integer_value(tc) : fch;
        if (fch >= 0 && (fch >= (int)g->node[f].channels || tch >= (int)g->node[t].in_ch ||
                         tch < 0))
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: channel %d -> "
                                  "%d, but they have %u and %u channels (counted from 0)",
                                  from, to, fch, tch, g->node[f].channels, g->node[t].in_ch);
        if (g->node[t].in_ch == 0)
            return reel_error_set(err, REEL_EINVAL, "connection %.64s -> %.64s: %.64s has no "
                                  "audio inputs", from, to, to);
        g->edge[g->n_edge++] =
            (gedge){(uint32_t)f, (uint32_t)t, fch, tch, gain,
                    json_is_true(json_object_get(cj, "pre")), INT64_MIN, INT64_MAX};
    }
    /* Kahn, in document order among the ready ones. */
    uint32_t *indeg = calloc(g->n + 1, sizeof *indeg);
    if (!indeg)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (size_t e = 0; e < g->n_edge; e++)
        indeg[g->edge[e].to]++;
    bool *done = calloc(g->n + 1, sizeof *done);
    if (!done) {
        free(indeg);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    size_t placed = 0;
    for (bool progress = true; progress && placed < g->n;) {
        progress = false;
        for (size_t k = 0; k < g->n; k++) {
            if (done[k] || indeg[k])
                continue;
            done[k] = true;
            g->node[k].rank = (uint32_t)placed;
            g->order[placed++] = (uint32_t)k;
            for (size_t e = 0; e < g->n_edge; e++)
                if (g->edge[e].from == k)
                    indeg[g->edge[e].to]--;
            progress = true;
        }
    }
    int rc = placed < g->n ? cycle_error(g, indeg, err) : REEL_OK;
    free(indeg);
    free(done);
    return rc;
}

int reel_graph_check(json_t *doc, json_t *graph_in, reel_error *err)
{
    graph g;
    int rc = graph_build(doc, graph_in, &g, err);
    graph_clear(&g);
    return rc;
}

void reel_compiled_free(reel_compiled *c)
{
    if (!c)
        return;
    reel_plan_free(c->plan);
    reel_lv2_host_free(c->lv2);
    for (uint32_t i = 0; c->builtin && i < c->n; i++)
        reel_builtin_free(c->builtin[i]);
    free(c->id);
    free(c->kind);
    free(c->plugin);
    free(c->builtin);
    free(c->node_latency);
    free(c->clip_ref);
    free(c->target);
    free(c->launch);
    json_decref(c->follow_log);
    reel_follow_plan_free(c->follow_plan);
    free(c);
}

int reel_compiled_find(const reel_compiled *c, const char *id)
{
    for (uint32_t i = 0; id && i < c->n; i++)
        if (strcmp(c->id[i], id) == 0)
            return (int)i;
    return -1;
}

/* Source frames at the source's rate to frames at the project's (the same
 * rounding a resampled source's length got: source_cache.c). */
static int64_t to_rate(int64_t f, uint32_t src_rate, uint32_t rate)
{
    if (src_rate == rate)
        return f;
    return (int64_t)(((unsigned __int128)f * rate + src_rate / 2) / src_rate);
}

/* What clip `clip` of `tl` plays as the plan reads it, at its placement:
 * its source decoded (and stretched) at the plan's rate. *pc->len is 0
 * when nothing of it sounds at this rate. */
static int clip_template(json_t *doc, json_t *tl, json_t *clip, reel_source_cache *cache,
                         uint32_t rate, reel_plan_clip *pc, reel_error *err)
{
    const char *id = sget(clip, "id");
    char what[96];
    snprintf(what, sizeof what, "clip %.64s", id ? id : "?");
    double stretch = nget(clip, "stretch", 1), pitch = nget(clip, "pitch", 0);
    reel_source_audio a;
    memset(pc, 0, sizeof *pc);
    int rc = reel_source_cache_get(cache, json_object_get(clip, "source"), what, &a, err);
    if (rc)
        return rc;
    int64_t at;
    if ((rc = reel_project_pos_frames(doc, tl, nget(clip, "at", 0), &at, err)))
        return rc;
    int64_t start = to_rate(json_integer_value(json_object_get(clip, "start")), a.src_rate, rate);
    int64_t end = to_rate(json_integer_value(json_object_get(clip, "end")), a.src_rate, rate);
    int64_t fade_in = to_rate(json_integer_value(json_object_get(clip, "fade_in")), a.src_rate,
                              rate);
    int64_t fade_out = to_rate(json_integer_value(json_object_get(clip, "fade_out")), a.src_rate,
                               rate);
    if (end > a.n)
        end = a.n;
    if (start >= end)
        return REEL_OK; /* nothing of it sounds at this rate */
    const float *src = a.frames + (size_t)start * a.channels;
    int64_t len = end - start;
    if (stretch != 1 || pitch != 0) { /* Rubber Band, once, off the realtime path */
        reel_source_audio st;
        if ((rc = reel_source_cache_stretched(cache, json_object_get(clip, "source"), what,
                                              start, end, stretch, pitch, &st, err)))
            return rc;
        src = st.frames;
        len = st.n;
        fade_in = llround((double)fade_in * stretch);
        fade_out = llround((double)fade_out * stretch);
    }
    *pc = (reel_plan_clip){
        .at = at,
        .len = len,
        .src = src,
        .src_ch = a.channels,
        .fade_in = fade_in,
        .fade_out = fade_out,
        .gain = (float)nget(clip, "gain", 1),
        .pan = (float)nget(clip, "pan", 0),
        .mute = json_is_true(json_object_get(clip, "mute")),
        .solo = json_is_true(json_object_get(clip, "solo")),
    };
    return REEL_OK;
}

/* Add `pc` (clip `id`) to track node `node`; `ref`: it is the clip's own
 * placement, which its automation targets (gain, launch) name. */
static int add_clip(reel_compiled *c, uint32_t node, const char *id, const reel_plan_clip *pc,
                    bool ref, reel_error *err)
{
    if (pc->len <= 0)
        return REEL_OK;
    if (pc->at + pc->len > c->end)
        c->end = pc->at + pc->len;
    if (!ref)
        return reel_plan_clip_add(c->plan, node, pc, err);
    if (c->n_clip_ref % 64 == 0) {
        reel_clip_ref *r = realloc(c->clip_ref, (c->n_clip_ref + 64) * sizeof *r);
        if (!r)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        c->clip_ref = r;
    }
    reel_clip_ref *r = &c->clip_ref[c->n_clip_ref];
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    r->node = node;
    r->seq = reel_plan_clip_count(c->plan, node);
    int rc = reel_plan_clip_add(c->plan, node, pc, err);
    c->n_clip_ref += rc == REEL_OK;
    return rc;
}

/* The voices a follow plan asks lengths for (follow_plan.h). */
typedef struct follow_ud {
    json_t *doc;
    reel_source_cache *cache;
    uint32_t rate;
} follow_ud;

static int follow_len(void *ud, json_t *tl, json_t *clip, int64_t *frames, reel_error *err)
{
    follow_ud *f = ud;
    reel_plan_clip pc;
    int rc = clip_template(f->doc, tl, clip, f->cache, f->rate, &pc, err);
    *frames = pc.len;
    return rc;
}

/* Every audio clip of `tl` on a track some track node plays: where it is
 * placed, or, with follow actions or nested timelines, as the follow plan
 * `fp` says (taken: its log and triggers kept in `c`). */
static int place_clips(json_t *doc, json_t *tl, const graph *g, reel_source_cache *cache,
                       reel_follow_plan *fp, reel_compiled *c, reel_error *err)
{
    size_t i;
    json_t *clip;
    int rc = REEL_OK;
    if (!fp) {
        json_array_foreach(json_object_get(tl, "clips"), i, clip) {
            const char *track = sget(clip, "track"), *kind = sget(clip, "kind");
            if (kind && strcmp(kind, "audio") != 0)
                continue; /* action clips carry events, not audio */
            for (size_t k = 0; k < g->n && !rc; k++) {
                const gnode *nd = &g->node[k];
                if (nd->pk != REEL_PLAN_TRACK || strcmp(sget(nd->track, "id"), track) != 0)
                    continue;
                reel_plan_clip pc;
                if (!(rc = clip_template(doc, tl, clip, cache, c->rate, &pc, err)))
                    rc = add_clip(c, nd->rank, sget(clip, "id"), &pc, true, err);
            }
            if (rc)
                return rc;
        }
        return REEL_OK;
    }
    for (size_t v = 0; v < fp->n_voice && !rc; v++) {
        const reel_follow_voice *fv = &fp->voice[v];
        const char *track = sget(fv->clip, "track");
        for (size_t k = 0; k < g->n && !rc; k++) {
            const gnode *nd = &g->node[k];
            if (nd->pk != REEL_PLAN_TRACK || strcmp(sget(nd->track, "id"), track) != 0)
                continue;
            reel_plan_clip pc;
            if ((rc = clip_template(doc, fv->timeline, fv->clip, cache, c->rate, &pc, err)))
                break;
            /* the voice: from `off` into the clip, `len` frames, fades kept
             * where they fall inside it */
            pc.src += (size_t)fv->off * pc.src_ch;
            pc.fade_in = pc.fade_in > fv->off ? pc.fade_in - fv->off : 0;
            pc.at = fv->at;
            pc.len = fv->len;
            if (pc.fade_out > pc.len)
                pc.fade_out = pc.len;
            if (pc.fade_in > pc.len)
                pc.fade_in = pc.len;
            rc = add_clip(c, nd->rank, sget(fv->clip, "id"), &pc, fv->placed && fv->off == 0,
                          err);
        }
    }
    if (!rc) {
        c->follow_log = json_incref(fp->log);
        c->follow_open = fp->open;
        c->follow_log_dropped = fp->log_dropped;
        c->follow_plan = fp;
        fp = NULL;
    }
    reel_follow_plan_free(fp);
    return rc;
}

int reel_graph_compile(json_t *doc, const char *timeline, const char *output, uint32_t block,
                       int64_t horizon, reel_source_cache *cache, reel_compiled **out,
                       reel_error *err)
{
    json_t *tls = json_object_get(doc, "timelines");
    json_t *tl = timeline ? reel_project_find(tls, timeline, NULL) : json_array_get(tls, 0);
    if (!tl)
        return reel_error_set(err, REEL_ENOENT, timeline ? "no timeline '%.64s' in this project"
                                                         : "this project has no timeline%s",
                              timeline ? timeline : "");
    graph g;
    memset(&g, 0, sizeof g);
    reel_compiled *c = NULL;
    reel_follow_plan *fp = NULL;
    json_t *routed = NULL; /* the graphs routing events leave, merged */
    reel_route_window *win = NULL;
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(doc, "rate"));
    int rc = REEL_OK;
    if (reel_follow_plan_needed(doc, tl)) {
        follow_ud fu = {doc, cache, rate};
        if ((rc = reel_follow_plan_build(doc, tl,
                                         horizon > 0 ? horizon
                                                     : (int64_t)REEL_FOLLOW_HORIZON_S * rate,
                                         follow_len, &fu, &fp, err)))
            goto out;
        if (fp->n_route &&
            (rc = reel_routing_union(doc, fp->route, fp->n_route, fp, &routed, &win, err)))
            goto out;
    }
    if ((rc = graph_build(doc, routed ? routed : json_object_get(doc, "graph"), &g, err))) {
        if (routed) {
            char msg[REEL_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            rc = reel_error_set(err, rc, "with its routing events, %s", msg);
        }
        goto out;
    }
    for (size_t e = 0; routed && e < g.n_edge; e++) { /* one edge per connection, in order */
        g.edge[e].on = win[e].on;
        g.edge[e].off = win[e].off;
    }
    if (!(c = calloc(1, sizeof *c)) || !(c->id = calloc(g.n + 1, sizeof *c->id)) ||
        !(c->kind = calloc(g.n + 1, sizeof *c->kind)) ||
        !(c->plugin = calloc(g.n + 1, sizeof *c->plugin)) ||
        !(c->builtin = calloc(g.n + 1, sizeof *c->builtin)) ||
        !(c->node_latency = calloc(g.n + 1, sizeof *c->node_latency))) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    c->n = (uint32_t)g.n;
    c->rate = rate;
    c->output = UINT32_MAX;
    if ((rc = reel_plan_new(c->n, block, &c->plan, err)))
        goto out;
    for (uint32_t r = 0; r < c->n && !rc; r++) {
        const gnode *nd = &g.node[g.order[r]];
        snprintf(c->id[r], sizeof c->id[r], "%s", nd->id);
        c->kind[r] = nd->pk;
        rc = reel_plan_node_set(c->plan, r, nd->pk, nd->channels, err);
        if (!rc && nd->builtin) {
            reel_builtin *b;
            rc = reel_builtin_new(nd->id, nd->kind, nd->obj, block, &b, err);
            if (!rc)
                c->builtin[r] = b;
            if (!rc)
                rc = reel_plan_node_processor(c->plan, r, nd->in_ch, reel_builtin_run, b, err);
            if (!rc)
                reel_plan_node_reset_fn(c->plan, r, reel_builtin_reset);
        } else if (!rc && nd->pk == REEL_PLAN_PROCESSOR) {
            reel_lv2_plugin *pl;
            rc = reel_lv2_instantiate(g.lv2, nd->id, sget(nd->obj, "uri"),
                                      json_object_get(nd->obj, "params"), c->rate, &pl, err);
            if (!rc)
                rc = reel_plan_node_processor(c->plan, r, nd->in_ch, reel_lv2_run, pl, err);
            if (!rc) {
                c->plugin[r] = pl;
                g.node[g.order[r]].latency = reel_lv2_latency(pl);
            }
        }
        json_t *src = nd->pk == REEL_PLAN_TRACK ? nd->track : nd->obj;
        if (!rc && src) {
            reel_plan_param_set(c->plan, r, REEL_PLAN_GAIN, (float)nget(src, "gain", 1));
            reel_plan_param_set(c->plan, r, REEL_PLAN_PAN, (float)nget(src, "pan", 0));
            reel_plan_param_set(c->plan, r, REEL_PLAN_MUTE,
                                json_is_true(json_object_get(src, "mute")) ? 1.0f : 0.0f);
            reel_plan_param_set(c->plan, r, REEL_PLAN_SOLO,
                                json_is_true(json_object_get(src, "solo")) ? 1.0f : 0.0f);
        }
        if (nd->pk == REEL_PLAN_OUTPUT && c->output == UINT32_MAX &&
            (!output || strcmp(output, nd->id) == 0))
            c->output = r;
    }
    if (rc)
        goto out;
    if (c->output == UINT32_MAX) {
        rc = reel_error_set(err, REEL_EINVAL, output ? "no output node '%.64s' in the graph"
                                                     : "the graph has no output node%s",
                            output ? output : "");
        goto out;
    }
    reel_plan_set_main(c->plan, c->output);
    /* Latency: in running order, a node's input latency is the largest of
     * what reaches it, its output's adds its own; every connection from a
     * quicker path is delayed by the difference (parallel paths line up). */
    uint32_t *lat_in = calloc(c->n + 1, sizeof *lat_in);
    if (!lat_in) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t r = 0; r < c->n; r++) {
        const gnode *nd = &g.node[g.order[r]];
        c->node_latency[r] = lat_in[r] + nd->latency;
        for (size_t e = 0; e < g.n_edge; e++) {
            if (g.edge[e].from != g.order[r])
                continue;
            uint32_t t = g.node[g.edge[e].to].rank;
            if (c->node_latency[r] > lat_in[t])
                lat_in[t] = c->node_latency[r];
        }
    }
    for (size_t e = 0; e < g.n_edge && !rc; e++) {
        const gedge *ed = &g.edge[e];
        uint32_t f = g.node[ed->from].rank, t = g.node[ed->to].rank;
        uint32_t fn = g.node[ed->from].channels, tn = g.node[ed->to].in_ch;
        uint32_t d = lat_in[t] - c->node_latency[f];
        float eg = (float)ed->gain;
        if (ed->from_ch >= 0) {
            rc = reel_plan_edge_add_window(c->plan, f, (uint32_t)ed->from_ch, t,
                                           (uint32_t)ed->to_ch, eg, d, ed->pre, ed->on, ed->off,
                                           err);
        } else if (fn == 1) {
            for (uint32_t ch = 0; ch < tn && !rc; ch++)
                rc = reel_plan_edge_add_window(c->plan, f, 0, t, ch, eg, d, ed->pre, ed->on,
                                               ed->off, err);
        } else {
            for (uint32_t ch = 0; ch < fn && !rc; ch++)
                rc = reel_plan_edge_add_window(c->plan, f, ch, t, ch % tn, eg, d, ed->pre, ed->on,
                                               ed->off, err);
        }
    }
    free(lat_in);
    c->latency = c->node_latency[c->output];
    if (!rc) {
        rc = place_clips(doc, tl, &g, cache, fp, c, err);
        fp = NULL; /* place_clips took it */
    }
    if (!rc)
        rc = reel_plan_seal(c->plan, err);
    if (!rc) { /* the plugins' instances live as long as the plan that runs them */
        c->lv2 = g.lv2;
        g.lv2 = NULL;
    }
    if (!rc)
        rc = reel_auto_compile(c, doc, tl, reel_source_cache_store(cache), err);
out:
    graph_clear(&g);
    reel_follow_plan_free(fp);
    json_decref(routed);
    free(win);
    if (rc) {
        reel_compiled_free(c);
        return rc;
    }
    *out = c;
    return REEL_OK;
}
