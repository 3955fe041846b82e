/*
 * graph_plan.c — running a compiled routing graph (graph_plan.h).
 *
 * Everything a run touches was allocated by the build calls; a run only
 * reads clip memory, sums, scales and stores into the node buffers. Clips of
 * a track are kept sorted by start with a running maximum of their ends, so
 * a block finds the first clip that may sound in it by binary search: a
 * track of 10 000 clips costs a few comparisons per block, not 10 000.
 */
#include "rt/graph_plan.h"

#include "rt/plan_auto.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct plan_edge {
    uint32_t from, from_ch, to_ch;
    float gain;
    uint32_t delay; /* frames; 0: none */
    bool pre;       /* from the source's pre-fader buffer */
    float *line;    /* delay + block floats (a ring), when delay > 0 */
    uint32_t len, wpos;
    int64_t on, off; /* it carries sound in frames [on, off) (routing events) */
} plan_edge;

typedef struct plan_clip {
    reel_plan_clip c;
    size_t seq; /* insertion order: the tie-break that keeps summing order fixed */
} plan_clip;

typedef struct plan_node {
    reel_plan_kind kind;
    uint32_t channels, in_ch;
    float *buf;    /* channels * block */
    float *in_buf; /* processors: in_ch * block */
    float *pre_buf; /* tracks and buses with a pre-fader send: channels * block */
    plan_edge *edge;
    size_t n_edge, cap_edge;
    plan_clip *clip;      /* sorted by at, then insertion (reel_plan_seal) */
    int64_t *max_end;     /* max_end[k] = max(at + len) of clip[0..k] */
    size_t n_clip, cap_clip;
    bool any_clip_solo;
    struct {
        long k;     /* clip index (sorted order) */
        int64_t at; /* where its first frame sounds */
    } voice[REEL_PLAN_VOICES];
    uint32_t n_voice; /* realtime-owned */
    reel_plan_run_fn run;
    void (*reset)(void *ud);
    void *ud;
    _Atomic float param[REEL_PLAN_N_PARAMS];
    /* CPU time (reel_plan_timing): written by the thread running the plan, read by anyone */
    _Atomic uint64_t cpu_ns, cpu_max_ns, cpu_spans;
} plan_node;

struct reel_plan {
    uint32_t n, block;
    uint32_t main;
    plan_node *node;
    bool sealed;
    _Atomic uint64_t silenced;
    reel_auto *autom; /* its automation (plan_auto.c), or NULL */
    int64_t *sw;      /* sorted frames where some edge starts or stops carrying */
    size_t n_sw;
    bool timed;       /* measure each node's CPU time (reel_plan_timing) */
};

int reel_plan_new(uint32_t n_nodes, uint32_t block, reel_plan **out, reel_error *err)
{
    if (block == 0 || block > REEL_PLAN_BLOCK_MAX)
        return reel_error_set(err, REEL_EINVAL, "block size %u is outside 1..%d", block,
                              REEL_PLAN_BLOCK_MAX);
    reel_plan *p = calloc(1, sizeof *p);
    if (!p || !(p->node = calloc(n_nodes ? n_nodes : 1, sizeof *p->node))) {
        free(p);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    p->n = n_nodes;
    p->block = block;
    p->main = n_nodes ? n_nodes - 1 : 0;
    for (uint32_t i = 0; i < n_nodes; i++) {
        atomic_init(&p->node[i].param[REEL_PLAN_GAIN], 1.0f);
        atomic_init(&p->node[i].param[REEL_PLAN_PAN], 0.0f);
        atomic_init(&p->node[i].param[REEL_PLAN_MUTE], 0.0f);
        atomic_init(&p->node[i].param[REEL_PLAN_SOLO], 0.0f);
    }
    atomic_init(&p->silenced, 0);
    *out = p;
    return REEL_OK;
}

void reel_plan_free(reel_plan *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->n; i++) {
        free(p->node[i].buf);
        free(p->node[i].in_buf);
        free(p->node[i].pre_buf);
        for (size_t e = 0; e < p->node[i].n_edge; e++)
            free(p->node[i].edge[e].line);
        free(p->node[i].edge);
        free(p->node[i].clip);
        free(p->node[i].max_end);
    }
    free(p->node);
    free(p->sw);
    reel_auto_free(p->autom);
    free(p);
}

void reel_plan_auto_own(reel_plan *p, reel_auto *a)
{
    if (p->autom && p->autom != a)
        reel_auto_free(p->autom);
    p->autom = a;
}

reel_auto *reel_plan_auto(const reel_plan *p)
{
    return p->autom;
}

long reel_plan_clip_index(const reel_plan *p, uint32_t node, size_t seq)
{
    if (node >= p->n || !p->sealed)
        return -1;
    for (size_t k = 0; k < p->node[node].n_clip; k++)
        if (p->node[node].clip[k].seq == seq)
            return (long)k;
    return -1;
}

void reel_plan_clip_launch(reel_plan *p, uint32_t node, long index, int64_t at)
{
    if (node >= p->n || index < 0 || (size_t)index >= p->node[node].n_clip)
        return;
    plan_node *nd = &p->node[node];
    if (nd->n_voice == REEL_PLAN_VOICES) { /* the oldest gives way */
        memmove(nd->voice, nd->voice + 1, (REEL_PLAN_VOICES - 1) * sizeof nd->voice[0]);
        nd->n_voice--;
    }
    nd->voice[nd->n_voice].k = index;
    nd->voice[nd->n_voice].at = at;
    nd->n_voice++;
}

size_t reel_plan_clip_count(const reel_plan *p, uint32_t i)
{
    return i < p->n ? p->node[i].n_clip : 0;
}

float *reel_plan_clip_gain_ref(reel_plan *p, uint32_t node, size_t seq)
{
    if (node >= p->n || !p->sealed)
        return NULL;
    for (size_t k = 0; k < p->node[node].n_clip; k++)
        if (p->node[node].clip[k].seq == seq)
            return &p->node[node].clip[k].c.gain;
    return NULL;
}

int reel_plan_node_set(reel_plan *p, uint32_t i, reel_plan_kind kind, uint32_t channels,
                       reel_error *err)
{
    if (i >= p->n || channels == 0 || channels > REEL_PLAN_CH_MAX)
        return reel_error_set(err, REEL_EINVAL, "plan node %u: %u channels (want 1..%d)", i,
                              channels, REEL_PLAN_CH_MAX);
    plan_node *nd = &p->node[i];
    free(nd->buf);
    if (!(nd->buf = calloc((size_t)channels * p->block, sizeof(float))))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    nd->kind = kind;
    nd->channels = channels;
    return REEL_OK;
}

int reel_plan_node_processor(reel_plan *p, uint32_t i, uint32_t in_ch, reel_plan_run_fn run,
                             void *ud, reel_error *err)
{
    if (i >= p->n || in_ch > REEL_PLAN_CH_MAX || !p->node[i].buf)
        return reel_error_set(err, REEL_EINVAL, "plan node %u: not a processor", i);
    plan_node *nd = &p->node[i];
    free(nd->in_buf);
    nd->in_buf = NULL;
    if (in_ch && !(nd->in_buf = calloc((size_t)in_ch * p->block, sizeof(float))))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    nd->kind = REEL_PLAN_PROCESSOR;
    nd->in_ch = in_ch;
    nd->run = run;
    nd->ud = ud;
    return REEL_OK;
}

static uint32_t inputs_of(const plan_node *nd)
{
    return nd->kind == REEL_PLAN_PROCESSOR ? nd->in_ch : nd->channels;
}

int reel_plan_edge_add(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to, uint32_t to_ch,
                       float gain, reel_error *err)
{
    return reel_plan_edge_add_delayed(p, from, from_ch, to, to_ch, gain, 0, err);
}

int reel_plan_edge_add_delayed(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                               uint32_t to_ch, float gain, uint32_t delay, reel_error *err)
{
    return reel_plan_edge_add_window(p, from, from_ch, to, to_ch, gain, delay, false, INT64_MIN,
                                     INT64_MAX, err);
}

int reel_plan_edge_add_pre(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                           uint32_t to_ch, float gain, uint32_t delay, reel_error *err)
{
    return reel_plan_edge_add_window(p, from, from_ch, to, to_ch, gain, delay, true, INT64_MIN,
                                     INT64_MAX, err);
}

int reel_plan_edge_add_window(reel_plan *p, uint32_t from, uint32_t from_ch, uint32_t to,
                              uint32_t to_ch, float gain, uint32_t delay, bool pre, int64_t on,
                              int64_t off, reel_error *err)
{
    if (on >= off)
        return reel_error_set(err, REEL_EINVAL, "plan edge %u -> %u: carries nothing (frames "
                              "%lld to %lld)", from, to, (long long)on, (long long)off);
    if (from >= to || to >= p->n)
        return reel_error_set(err, REEL_EINVAL, "plan edge %u -> %u: not in running order", from,
                              to);
    plan_node *nd = &p->node[to];
    if (from_ch >= p->node[from].channels || to_ch >= inputs_of(nd))
        return reel_error_set(err, REEL_EINVAL, "plan edge %u:%u -> %u:%u: no such channel", from,
                              from_ch, to, to_ch);
    if (nd->n_edge == nd->cap_edge) {
        size_t cap = nd->cap_edge ? nd->cap_edge * 2 : 4;
        plan_edge *e = realloc(nd->edge, cap * sizeof *e);
        if (!e)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        nd->edge = e;
        nd->cap_edge = cap;
    }
    plan_edge ed = {from, from_ch, to_ch, gain, delay, pre, NULL, 0, 0, on, off};
    plan_node *src = &p->node[from];
    if (pre && (src->kind == REEL_PLAN_TRACK || src->kind == REEL_PLAN_BUS) && !src->pre_buf &&
        !(src->pre_buf = calloc((size_t)src->channels * p->block, sizeof(float))))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (pre && !src->pre_buf)
        ed.pre = false; /* an output or processor has no fader: its signal is the same */
    if (delay) {
        if (delay > (1u << 20))
            return reel_error_set(err, REEL_EINVAL, "plan edge %u -> %u: a delay of %u frames",
                                  from, to, delay);
        ed.len = delay + p->block;
        if (!(ed.line = calloc(ed.len, sizeof(float))))
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    nd->edge[nd->n_edge++] = ed;
    return REEL_OK;
}

int reel_plan_clip_add(reel_plan *p, uint32_t i, const reel_plan_clip *c, reel_error *err)
{
    if (i >= p->n || p->node[i].kind != REEL_PLAN_TRACK || c->len < 0 || c->src_ch == 0)
        return reel_error_set(err, REEL_EINVAL, "plan node %u: not a track for a clip", i);
    plan_node *nd = &p->node[i];
    if (nd->n_clip == nd->cap_clip) {
        size_t cap = nd->cap_clip ? nd->cap_clip * 2 : 8;
        plan_clip *k = realloc(nd->clip, cap * sizeof *k);
        if (!k)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        nd->clip = k;
        nd->cap_clip = cap;
    }
    nd->clip[nd->n_clip] = (plan_clip){*c, nd->n_clip};
    nd->n_clip++;
    nd->any_clip_solo |= c->solo;
    p->sealed = false;
    return REEL_OK;
}

static int clip_cmp(const void *a, const void *b)
{
    const plan_clip *x = a, *y = b;
    if (x->c.at != y->c.at)
        return (x->c.at > y->c.at) - (x->c.at < y->c.at);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int frame_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The frames where an edge starts or stops carrying: spans are cut there,
 * so within a span every edge either carries or not. */
static int switches_collect(reel_plan *p, reel_error *err)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->n; i++)
        for (size_t e = 0; e < p->node[i].n_edge; e++)
            n += (p->node[i].edge[e].on != INT64_MIN) + (p->node[i].edge[e].off != INT64_MAX);
    free(p->sw);
    p->sw = NULL;
    p->n_sw = 0;
    if (!n)
        return REEL_OK;
    if (!(p->sw = malloc(n * sizeof *p->sw)))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < p->n; i++)
        for (size_t e = 0; e < p->node[i].n_edge; e++) {
            const plan_edge *ed = &p->node[i].edge[e];
            if (ed->on != INT64_MIN)
                p->sw[p->n_sw++] = ed->on;
            if (ed->off != INT64_MAX)
                p->sw[p->n_sw++] = ed->off;
        }
    qsort(p->sw, p->n_sw, sizeof *p->sw, frame_cmp);
    size_t w = 0;
    for (size_t k = 0; k < p->n_sw; k++)
        if (!w || p->sw[k] != p->sw[w - 1])
            p->sw[w++] = p->sw[k];
    p->n_sw = w;
    return REEL_OK;
}

int reel_plan_seal(reel_plan *p, reel_error *err)
{
    int rc = switches_collect(p, err);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < p->n; i++) {
        plan_node *nd = &p->node[i];
        if (!nd->n_clip)
            continue;
        qsort(nd->clip, nd->n_clip, sizeof *nd->clip, clip_cmp);
        free(nd->max_end);
        if (!(nd->max_end = malloc(nd->n_clip * sizeof *nd->max_end)))
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        int64_t m = INT64_MIN;
        for (size_t k = 0; k < nd->n_clip; k++) {
            int64_t e = nd->clip[k].c.at + nd->clip[k].c.len;
            m = e > m ? e : m;
            nd->max_end[k] = m;
        }
    }
    p->sealed = true;
    return REEL_OK;
}

void reel_plan_node_reset_fn(reel_plan *p, uint32_t i, void (*reset)(void *ud))
{
    if (i < p->n)
        p->node[i].reset = reset;
}

void reel_plan_reset(reel_plan *p)
{
    for (uint32_t i = 0; i < p->n; i++) {
        plan_node *nd = &p->node[i];
        for (size_t e = 0; e < nd->n_edge; e++)
            if (nd->edge[e].line) {
                memset(nd->edge[e].line, 0, nd->edge[e].len * sizeof(float));
                nd->edge[e].wpos = 0;
            }
        if (nd->reset)
            nd->reset(nd->ud);
        nd->n_voice = 0;
    }
}

void reel_plan_param_set(reel_plan *p, uint32_t node, reel_plan_param param, float value)
{
    if (node < p->n && param < REEL_PLAN_N_PARAMS)
        atomic_store_explicit(&p->node[node].param[param], value, memory_order_relaxed);
}

float reel_plan_param_get(const reel_plan *p, uint32_t node, reel_plan_param param)
{
    if (node >= p->n || param >= REEL_PLAN_N_PARAMS)
        return 0.0f;
    return atomic_load_explicit(&((reel_plan *)p)->node[node].param[param],
                                memory_order_relaxed);
}

/* The balance law of graph_plan.h: gains of the left and right channel. */
static void pan_gains(float pan, float *gl, float *gr)
{
    *gl = *gr = 1.0f;
    if (pan > 0.0f)
        *gl = pan >= 1.0f ? 0.0f : (float)cos((double)pan * M_PI / 2.0);
    else if (pan < 0.0f)
        *gr = pan <= -1.0f ? 0.0f : (float)cos((double)pan * M_PI / 2.0);
}

/* Realtime: add the part of clip `c` inside [frame, frame + n) to the
 * track's buffers. Every sample is a function of its timeline frame only. */
static void clip_play(const reel_plan_clip *c, float *buf, uint32_t channels, uint32_t block,
                      int64_t frame, uint32_t n)
{
    int64_t lo = frame > c->at ? frame : c->at;
    int64_t hi = frame + n < c->at + c->len ? frame + n : c->at + c->len;
    if (lo >= hi)
        return;
    float g[REEL_PLAN_CH_MAX];
    float gl, gr;
    pan_gains(c->pan, &gl, &gr);
    for (uint32_t ch = 0; ch < channels; ch++)
        g[ch] = c->gain * (channels == 2 ? (ch == 0 ? gl : gr) : 1.0f);
    for (int64_t t = lo; t < hi; t++) {
        int64_t k = t - c->at; /* frame of the clip */
        float f = 1.0f;
        if (k < c->fade_in)
            f = (float)k / (float)c->fade_in;
        int64_t left = c->len - k; /* frames from here to the end, this one included */
        if (left <= c->fade_out) {
            float fo = (float)(left - 1) / (float)c->fade_out;
            f = fo < f ? fo : f;
        }
        const float *s = c->src + (size_t)k * c->src_ch;
        size_t o = (size_t)(t - frame);
        if (c->src_ch == 1) {
            for (uint32_t ch = 0; ch < channels; ch++)
                buf[(size_t)ch * block + o] += s[0] * g[ch] * f;
        } else {
            for (uint32_t sc = 0; sc < c->src_ch; sc++) {
                uint32_t ch = sc % channels;
                buf[(size_t)ch * block + o] += s[sc] * g[ch] * f;
            }
        }
    }
}

/* Realtime: the first clip index that may sound at or after `frame`. */
static size_t first_clip(const plan_node *nd, int64_t frame)
{
    size_t lo = 0, hi = nd->n_clip;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nd->max_end[mid] > frame)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Realtime: one node's part of a span (its inputs summed, its clips,
 * processor or fader). */
static void run_node(reel_plan *p, uint32_t i, int64_t frame, uint32_t off, uint32_t n,
                     bool any_solo)
{
    plan_node *nd = &p->node[i];
    uint32_t in_ch = inputs_of(nd);
    float *in = nd->kind == REEL_PLAN_PROCESSOR ? nd->in_buf : nd->buf;
    for (uint32_t ch = 0; ch < in_ch; ch++)
        memset(in + (size_t)ch * p->block + off, 0, n * sizeof(float));
    for (size_t e = 0; e < nd->n_edge; e++) {
        plan_edge *ed = &nd->edge[e];
        const plan_node *sn = &p->node[ed->from];
        const float *s =
            (ed->pre ? sn->pre_buf : sn->buf) + (size_t)ed->from_ch * p->block + off;
        float *d = in + (size_t)ed->to_ch * p->block + off;
        bool live = frame >= ed->on && frame < ed->off; /* the whole span: cut at switches */
        if (!ed->line) {
            for (uint32_t t = 0; live && t < n; t++)
                d[t] += s[t] * ed->gain;
            continue;
        }
        /* write each frame into the ring, read the one `delay` behind it
         * (fed while it carries nothing too, so what it carries from its
         * first frame on is its source `delay` frames late, as always) */
        for (uint32_t t = 0; t < n; t++) {
            uint32_t w = ed->wpos + t;
            w = w >= ed->len ? w - ed->len : w;
            ed->line[w] = s[t];
            uint32_t r = w >= ed->delay ? w - ed->delay : w + ed->len - ed->delay;
            if (live)
                d[t] += ed->line[r] * ed->gain;
        }
        ed->wpos = (ed->wpos + n) % ed->len;
    }
    if (nd->kind == REEL_PLAN_TRACK && nd->n_clip) {
        for (size_t k = first_clip(nd, frame);
             k < nd->n_clip && nd->clip[k].c.at < frame + n; k++) {
            const reel_plan_clip *c = &nd->clip[k].c;
            if (c->mute || (nd->any_clip_solo && !c->solo))
                continue;
            clip_play(c, nd->buf + off, nd->channels, p->block, frame, n);
        }
    }
    if (nd->kind == REEL_PLAN_TRACK && nd->n_voice) { /* launched clips, then the spent go */
        uint32_t w = 0;
        for (uint32_t v = 0; v < nd->n_voice; v++) {
            reel_plan_clip lc = nd->clip[nd->voice[v].k].c;
            lc.at = nd->voice[v].at;
            if (!lc.mute && !(nd->any_clip_solo && !lc.solo))
                clip_play(&lc, nd->buf + off, nd->channels, p->block, frame, n);
            if (lc.at + lc.len > frame + n)
                nd->voice[w++] = nd->voice[v];
        }
        nd->n_voice = w;
    }
    if (nd->kind == REEL_PLAN_PROCESSOR) {
        float *outs[REEL_PLAN_CH_MAX];
        const float *ins[REEL_PLAN_CH_MAX];
        for (uint32_t ch = 0; ch < nd->channels; ch++)
            outs[ch] = nd->buf + (size_t)ch * p->block + off;
        for (uint32_t ch = 0; ch < in_ch; ch++)
            ins[ch] = nd->in_buf + (size_t)ch * p->block + off;
        bool ok = nd->run(nd->ud, ins, outs, n);
        for (uint32_t ch = 0; ok && ch < nd->channels; ch++)
            for (uint32_t t = 0; t < n; t++)
                if (!isfinite(outs[ch][t])) {
                    ok = false;
                    break;
                }
        if (!ok) {
            for (uint32_t ch = 0; ch < nd->channels; ch++)
                memset(outs[ch], 0, n * sizeof(float));
            atomic_fetch_add_explicit(&p->silenced, 1, memory_order_relaxed);
        }
        return;
    }
    if (nd->kind == REEL_PLAN_OUTPUT)
        return;
    if (nd->pre_buf) /* what pre-fader sends read: the sum before gain, pan and mute */
        for (uint32_t ch = 0; ch < nd->channels; ch++)
            memcpy(nd->pre_buf + (size_t)ch * p->block + off,
                   nd->buf + (size_t)ch * p->block + off,
                   n * sizeof(float));
    float gain = atomic_load_explicit(&nd->param[REEL_PLAN_GAIN], memory_order_relaxed);
    bool silent =
        atomic_load_explicit(&nd->param[REEL_PLAN_MUTE], memory_order_relaxed) != 0 ||
        (nd->kind == REEL_PLAN_TRACK && any_solo &&
         atomic_load_explicit(&nd->param[REEL_PLAN_SOLO], memory_order_relaxed) == 0);
    if (silent)
        gain = 0.0f;
    float gl = 1.0f, gr = 1.0f;
    if (nd->channels == 2)
        pan_gains(atomic_load_explicit(&nd->param[REEL_PLAN_PAN], memory_order_relaxed),
                  &gl, &gr);
    for (uint32_t ch = 0; ch < nd->channels; ch++) {
        float g = gain * (nd->channels == 2 ? (ch == 0 ? gl : gr) : 1.0f);
        if (g == 1.0f)
            continue;
        float *b = nd->buf + (size_t)ch * p->block + off;
        for (uint32_t t = 0; t < n; t++)
            b[t] *= g;
    }
}

void reel_plan_run(reel_plan *p, int64_t frame, uint32_t n)
{
    reel_plan_run_span(p, frame, 0, n);
}

static void run_span_one(reel_plan *p, int64_t frame, uint32_t off, uint32_t n);

/* Realtime: the first switch after `frame` (INT64_MAX: none), by bisection. */
static int64_t switch_after(const reel_plan *p, int64_t frame)
{
    size_t lo = 0, hi = p->n_sw;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->sw[mid] <= frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n_sw ? p->sw[lo] : INT64_MAX;
}

void reel_plan_run_span(reel_plan *p, int64_t frame, uint32_t off, uint32_t n)
{
    if (off >= p->block)
        return;
    if (n > p->block - off)
        n = p->block - off;
    while (n) { /* in spans that end at every switch */
        int64_t next = p->n_sw ? switch_after(p, frame) : INT64_MAX;
        uint32_t k = next - frame < (int64_t)n ? (uint32_t)(next - frame) : n;
        run_span_one(p, frame, off, k);
        frame += k;
        off += k;
        n -= k;
    }
}

static void run_span_one(reel_plan *p, int64_t frame, uint32_t off, uint32_t n)
{
    if (!p->sealed) { /* a build call not followed by reel_plan_seal: play nothing */
        for (uint32_t i = 0; i < p->n; i++)
            for (uint32_t ch = 0; ch < p->node[i].channels; ch++)
                memset(p->node[i].buf + (size_t)ch * p->block + off, 0, n * sizeof(float));
        return;
    }
    bool any_solo = false;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->node[i].kind == REEL_PLAN_TRACK &&
            atomic_load_explicit(&p->node[i].param[REEL_PLAN_SOLO], memory_order_relaxed) != 0)
            any_solo = true;
    if (!p->timed) {
        for (uint32_t i = 0; i < p->n; i++)
            run_node(p, i, frame, off, n, any_solo);
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* vDSO: no system call */
    for (uint32_t i = 0; i < p->n; i++) {
        run_node(p, i, frame, off, n, any_solo);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t dt = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
        plan_node *nd = &p->node[i];
        atomic_fetch_add_explicit(&nd->cpu_ns, dt, memory_order_relaxed);
        atomic_fetch_add_explicit(&nd->cpu_spans, 1, memory_order_relaxed);
        if (dt > atomic_load_explicit(&nd->cpu_max_ns, memory_order_relaxed))
            atomic_store_explicit(&nd->cpu_max_ns, dt, memory_order_relaxed);
        t0 = t1;
    }
}

void reel_plan_timing(reel_plan *p, bool on)
{
    p->timed = on;
}

void reel_plan_node_cpu(const reel_plan *p, uint32_t i, uint64_t *ns, uint64_t *max_ns,
                        uint64_t *spans)
{
    const plan_node *nd = &p->node[i];
    *ns = atomic_load_explicit(&nd->cpu_ns, memory_order_relaxed);
    *max_ns = atomic_load_explicit(&nd->cpu_max_ns, memory_order_relaxed);
    *spans = atomic_load_explicit(&nd->cpu_spans, memory_order_relaxed);
}

const float *reel_plan_node_buf(const reel_plan *p, uint32_t i, uint32_t ch)
{
    return i < p->n && ch < p->node[i].channels ? p->node[i].buf + (size_t)ch * p->block : NULL;
}

uint32_t reel_plan_node_channels(const reel_plan *p, uint32_t i)
{
    return i < p->n ? p->node[i].channels : 0;
}

void reel_plan_set_main(reel_plan *p, uint32_t node)
{
    if (node < p->n)
        p->main = node;
}

uint32_t reel_plan_main(const reel_plan *p)
{
    return p->main;
}

uint32_t reel_plan_n_nodes(const reel_plan *p)
{
    return p->n;
}

uint32_t reel_plan_block(const reel_plan *p)
{
    return p->block;
}

uint64_t reel_plan_silenced(const reel_plan *p)
{
    return atomic_load_explicit(&((reel_plan *)p)->silenced, memory_order_relaxed);
}
