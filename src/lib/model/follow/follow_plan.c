/*
 * follow_plan.c — a timeline's follow actions, nested timelines and
 * triggers expanded into clip plays (follow_plan.h).
 *
 * The expansion is an event loop over plan frames: instances (a timeline
 * playing from some position, placed at a plan frame, perhaps inside a
 * window: a nested clip's segment) start voices; a voice with a follow
 * action, and a timeline with one, put an event on a heap ordered by
 * frame, then by the order events were made, so that ties always resolve
 * the same way. An event draws from its attachment's generator and acts:
 * cutting voices short (their length shrinks to the frame), starting
 * clips or timelines at that very frame. Nothing here reads audio: clip
 * lengths come from the caller.
 */
#include "model/follow/follow_plan.h"
#include "model/follow/follow_doc.h"
#include "time/tempo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAME_FRAME_MAX 10000 /* events at one frame before it is a loop with no time passing */

typedef struct fp_att {
    reel_follow f;
    uint64_t rng;
} fp_att;

typedef struct fp_inst {
    json_t *tl;
    int64_t origin; /* plan frame of the timeline's frame 0 */
    int64_t hi;     /* plan frame its window ends (a nested segment), else INT64_MAX */
    int64_t stop;   /* plan frame it was cut at, else INT64_MAX */
    long parent;
    long first_voice;
    int64_t plays;
    int att; /* its timeline's follow action (top instances only), else -1 */
} fp_inst;

typedef struct fp_voice {
    reel_follow_voice v;
    long inst, next_in_inst, next_in_chain;
    int att;
    int64_t plays;
    bool dead;
} fp_voice;

typedef struct fp_ev {
    int64_t frame;
    uint64_t seq;
    bool inst;    /* idx: an instance (its timeline's follow action, or `event`), else a voice */
    long idx;
    json_t *event; /* a timeline event of instance idx (borrowed), else NULL */
} fp_ev;

typedef struct fp_len {
    json_t *clip;
    int64_t len;
} fp_len;

typedef struct fp {
    json_t *doc;
    reel_tempo_map tempo;
    uint32_t rate;
    uint64_t seed;
    int64_t horizon;
    bool follow_on;
    reel_follow_len_fn len;
    void *ud;
    fp_att *att;
    size_t n_att;
    fp_inst *inst;
    size_t n_inst, cap_inst;
    fp_voice *voice;
    size_t n_voice, cap_voice;
    fp_ev *heap;
    size_t n_ev, cap_ev;
    uint64_t seq;
    fp_len *lc;
    size_t lc_cap;
    reel_follow_plan *out;
    reel_error *err;
} fp;

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static double num(json_t *o, const char *k, double d)
{
    json_t *v = json_object_get(o, k);
    return v ? json_number_value(v) : d;
}

/* The object of `arr` whose "id" is `id` (model features stand alone: the
 * project's finder is model/project's). */
static json_t *by_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *vid = str(v, "id");
        if (vid && id && strcmp(vid, id) == 0)
            return v;
    }
    return NULL;
}

/* The clip `id` of any timeline of `doc`, its timeline into *tl. */
static json_t *clip_by_id(json_t *doc, const char *id, json_t **tl)
{
    size_t i;
    json_array_foreach(json_object_get(doc, "timelines"), i, *tl) {
        json_t *c = by_id(json_object_get(*tl, "clips"), id);
        if (c)
            return c;
    }
    return NULL;
}

static bool is_beats(json_t *tl)
{
    const char *tb = str(tl, "timebase");
    return tb && strcmp(tb, "beats") == 0;
}

static int64_t pos_frames(fp *p, json_t *tl, double pos)
{
    return is_beats(tl) ? reel_tempo_beats_to_frames(&p->tempo, pos, p->rate)
                        : reel_tempo_seconds_to_frames(pos, p->rate);
}

static double frames_pos(fp *p, json_t *tl, int64_t frames)
{
    return is_beats(tl) ? reel_tempo_frames_to_beats(&p->tempo, frames, p->rate)
                        : (double)frames / p->rate;
}

static bool is_kind(json_t *clip, const char *kind)
{
    const char *k = str(clip, "kind");
    return strcmp(k ? k : "audio", kind) == 0;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* An attachment's generator: the project's seed and the attachment's id
 * without its project tag ("f6" of "f6-71da"), so that the same seed and
 * the same edits choose alike in another project too. */
static uint64_t rng_seed(uint64_t seed, const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *end = id ? strrchr(id, '-') : NULL;
    for (; id && *id && id != end; id++)
        h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
    return seed ^ h;
}

static int oom(fp *p)
{
    return reel_error_set(p->err, REEL_ENOMEM, "out of memory");
}

/* ---- clip lengths, asked once per clip ------------------------------------------ */

static int clip_len(fp *p, json_t *tl, json_t *clip, int64_t *len)
{
    size_t mask = p->lc_cap - 1, h = (size_t)(((uintptr_t)clip >> 4) * 0x9e3779b97f4a7c15ULL) & mask;
    while (p->lc[h].clip && p->lc[h].clip != clip)
        h = (h + 1) & mask;
    if (p->lc[h].clip) {
        *len = p->lc[h].len;
        return REEL_OK;
    }
    int rc = p->len(p->ud, tl, clip, len, p->err);
    if (rc)
        return rc;
    p->lc[h].clip = clip;
    p->lc[h].len = *len;
    return REEL_OK;
}

/* ---- attachments ---------------------------------------------------------------- */

static int att_for_clip(fp *p, json_t *tl, json_t *clip)
{
    if (!p->follow_on)
        return -1;
    const char *id = str(clip, "id"), *group = str(clip, "group"), *tid = str(tl, "id");
    int g = -1;
    for (size_t i = 0; i < p->n_att; i++) {
        const reel_follow *f = &p->att[i].f;
        if (f->scope == REEL_FOLLOW_CLIP && id && strcmp(f->target, id) == 0)
            return (int)i;
        if (g < 0 && f->scope == REEL_FOLLOW_GROUP && group && strcmp(f->target, group) == 0 &&
            strcmp(f->timeline, tid) == 0)
            g = (int)i;
    }
    return g;
}

static int att_for_timeline(fp *p, json_t *tl)
{
    const char *tid = str(tl, "id");
    for (size_t i = 0; p->follow_on && i < p->n_att; i++)
        if (p->att[i].f.scope == REEL_FOLLOW_TIMELINE && strcmp(p->att[i].f.target, tid) == 0)
            return (int)i;
    return -1;
}

/* A group with follow actions: only its first clip plays by placement. */
static bool launcher_group(fp *p, json_t *tl, const char *group)
{
    if (!group || !p->follow_on)
        return false;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(tl, "clips"), i, c) {
        const char *g = str(c, "group");
        if (g && strcmp(g, group) == 0 && att_for_clip(p, tl, c) >= 0)
            return true;
    }
    return false;
}

/* The group's (or, ungrouped, the track's) audio clips of `tl` ordered by
 * position, then by their order in the document. Caller frees. */
static json_t **members(fp *p, json_t *tl, json_t *clip, size_t *n)
{
    const char *group = str(clip, "group"), *track = str(clip, "track");
    json_t *clips = json_object_get(tl, "clips");
    json_t **m = malloc((json_array_size(clips) + 1) * sizeof *m);
    double *at = malloc((json_array_size(clips) + 1) * sizeof *at);
    *n = 0;
    if (!m || !at) {
        free(m);
        free(at);
        return NULL;
    }
    size_t i;
    json_t *c;
    json_array_foreach(clips, i, c) {
        if (!is_kind(c, "audio"))
            continue;
        const char *g = str(c, "group"), *t = str(c, "track");
        if (group ? !(g && strcmp(g, group) == 0) : (g || !t || strcmp(t, track) != 0))
            continue;
        double a = num(c, "at", 0);
        size_t k = *n;
        while (k > 0 && at[k - 1] > a) { /* insertion: stable for equal positions */
            m[k] = m[k - 1];
            at[k] = at[k - 1];
            k--;
        }
        m[k] = c;
        at[k] = a;
        (*n)++;
    }
    (void)p;
    free(at);
    return m;
}

/* ---- the heap of events --------------------------------------------------------- */

static bool ev_less(const fp_ev *a, const fp_ev *b)
{
    return a->frame < b->frame || (a->frame == b->frame && a->seq < b->seq);
}

static int ev_push_event(fp *p, int64_t frame, bool inst, long idx, json_t *event)
{
    if (p->n_ev == p->cap_ev) {
        size_t cap = p->cap_ev ? p->cap_ev * 2 : 64;
        fp_ev *h = realloc(p->heap, cap * sizeof *h);
        if (!h)
            return oom(p);
        p->heap = h;
        p->cap_ev = cap;
    }
    size_t k = p->n_ev++;
    p->heap[k] = (fp_ev){frame, p->seq++, inst, idx, event};
    while (k > 0 && ev_less(&p->heap[k], &p->heap[(k - 1) / 2])) {
        fp_ev t = p->heap[k];
        p->heap[k] = p->heap[(k - 1) / 2];
        p->heap[(k - 1) / 2] = t;
        k = (k - 1) / 2;
    }
    return REEL_OK;
}

static int ev_push(fp *p, int64_t frame, bool inst, long idx)
{
    return ev_push_event(p, frame, inst, idx, NULL);
}

static fp_ev ev_pop(fp *p)
{
    fp_ev top = p->heap[0];
    p->heap[0] = p->heap[--p->n_ev];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, m = k;
        if (l < p->n_ev && ev_less(&p->heap[l], &p->heap[m]))
            m = l;
        if (r < p->n_ev && ev_less(&p->heap[r], &p->heap[m]))
            m = r;
        if (m == k)
            break;
        fp_ev t = p->heap[k];
        p->heap[k] = p->heap[m];
        p->heap[m] = t;
        k = m;
    }
    return top;
}

static int quantize(fp *p, const reel_follow *f, int64_t t, int64_t *out)
{
    return reel_tempo_next_grid(&p->tempo, f->quantize, t, p->rate, out, p->err);
}

/* ---- voices --------------------------------------------------------------------- */

/* Clip `clip` of instance `ii` sounding from plan frame `s`, `off` frames
 * into it. `follow`: its follow action is evaluated (not a LoopClip
 * repeat). Its index into *vi (-1: nothing sounds). */
static int voice_start(fp *p, long ii, json_t *clip, int64_t s, int64_t off, bool placed,
                       bool follow, int64_t plays, long chain_prev, long *vi)
{
    *vi = -1;
    fp_inst *in = &p->inst[ii];
    int64_t full;
    int rc = clip_len(p, in->tl, clip, &full);
    if (rc)
        return rc;
    int64_t len = full - off, hi = in->hi < in->stop ? in->hi : in->stop;
    if (len <= 0 || s >= hi)
        return REEL_OK;
    if (!placed && s >= p->horizon) {
        p->out->open = true;
        return REEL_OK;
    }
    if (s + len > hi)
        len = hi - s;
    if (p->n_voice == REEL_FOLLOW_VOICES_MAX)
        return reel_error_set(p->err, REEL_ERANGE, "follow actions play more than %d clips "
                              "before the horizon (frame %lld)", REEL_FOLLOW_VOICES_MAX,
                              (long long)p->horizon);
    if (p->n_voice == p->cap_voice) {
        size_t cap = p->cap_voice ? p->cap_voice * 2 : 64;
        fp_voice *v = realloc(p->voice, cap * sizeof *v);
        if (!v)
            return oom(p);
        p->voice = v;
        p->cap_voice = cap;
    }
    long k = (long)p->n_voice++;
    fp_voice *v = &p->voice[k];
    *v = (fp_voice){.v = {in->tl, clip, s, off, len, placed}, .inst = ii,
                    .next_in_inst = in->first_voice, .next_in_chain = -1,
                    .att = follow ? att_for_clip(p, in->tl, clip) : -1, .plays = plays};
    in->first_voice = k;
    if (chain_prev >= 0)
        p->voice[chain_prev].next_in_chain = k;
    *vi = k;
    if (v->att < 0)
        return REEL_OK;
    const reel_follow *f = &p->att[v->att].f;
    int64_t t = s + len;
    if (!f->linked) {
        int64_t s_tl = s - in->origin;
        t = in->origin + pos_frames(p, in->tl, frames_pos(p, in->tl, s_tl) + f->after);
        if (t <= s)
            t = s + 1;
        if (json_is_true(json_object_get(clip, "loop"))) { /* repeats until its follow time */
            long prev = k;
            for (int64_t r = s + len; r < t && r < p->horizon; r += full) {
                long nk;
                if ((rc = voice_start(p, ii, clip, r, 0, false, false, 0, prev, &nk)))
                    return rc;
                if (nk < 0)
                    break;
                int64_t e = p->voice[nk].v.at + p->voice[nk].v.len;
                if (e > t)
                    p->voice[nk].v.len = t - p->voice[nk].v.at;
                prev = nk;
            }
        } else if (t < s + len) {
            /* it is cut at its follow time by whatever the action does */
        }
    }
    if ((f->linked ? plays >= f->loops : true) && (rc = quantize(p, f, t, &t)))
        return rc;
    return ev_push(p, t, false, k);
}

/* Voice `v` stops at `t` (nothing of it sounds if it starts there or
 * later), and its follow action will not fire. */
static void voice_cut(fp_voice *v, int64_t t)
{
    v->dead = true;
    if (v->v.at >= t)
        v->v.len = 0;
    else if (v->v.at + v->v.len > t)
        v->v.len = t - v->v.at;
}

/* Voice `k` and the repeats chained to it stop at `t`. */
static void chain_cut(fp *p, long k, int64_t t)
{
    for (; k >= 0; k = p->voice[k].next_in_chain)
        voice_cut(&p->voice[k], t);
}

static void inst_cut(fp *p, long ii, int64_t t)
{
    fp_inst *in = &p->inst[ii];
    if (in->stop > t)
        in->stop = t;
    for (long k = in->first_voice; k >= 0; k = p->voice[k].next_in_inst) {
        fp_voice *v = &p->voice[k];
        if (v->v.at + v->v.len >= t) /* else over before: its event has run */
            voice_cut(v, t);
    }
    for (size_t c = 0; c < p->n_inst; c++)
        if (p->inst[c].parent == ii && p->inst[c].stop > t)
            inst_cut(p, (long)c, t);
}

/* ---- instances ------------------------------------------------------------------ */

static int tl_len(fp *p, json_t *tl, int depth, int64_t *out);

/* A nested clip's child: start, end, loop frames, and its duration in the
 * parent's frames (`a`: the clip's frame on its parent). */
typedef struct nest {
    json_t *child;
    int64_t sm, em, ls, le, dur;
    bool loop;
} nest;

static json_t *marker(json_t *tl, const char *id)
{
    return id ? by_id(json_object_get(tl, "markers"), id) : NULL;
}

static int nest_get(fp *p, json_t *parent, json_t *clip, int64_t a, int depth, nest *n)
{
    memset(n, 0, sizeof *n);
    n->child = by_id(json_object_get(p->doc, "timelines"), str(clip, "timeline"));
    if (!n->child)
        return REEL_OK;
    json_t *m;
    if ((m = marker(n->child, str(clip, "start_marker"))))
        n->sm = pos_frames(p, n->child, num(m, "at", 0));
    if ((m = marker(n->child, str(clip, "end_marker")))) {
        n->em = pos_frames(p, n->child, num(m, "at", 0));
    } else {
        int rc = tl_len(p, n->child, depth + 1, &n->em);
        if (rc)
            return rc;
    }
    json_t *ls = marker(n->child, str(clip, "loop_start_marker"));
    json_t *le = marker(n->child, str(clip, "loop_end_marker"));
    if (ls && le) {
        n->ls = pos_frames(p, n->child, num(ls, "at", 0));
        n->le = pos_frames(p, n->child, num(le, "at", 0));
        n->loop = n->le > n->ls && json_object_get(clip, "length");
    }
    if (json_object_get(clip, "length"))
        n->dur = pos_frames(p, parent, num(clip, "at", 0) + num(clip, "length", 0)) - a;
    else
        n->dur = n->em - n->sm;
    if (n->dur < 0)
        n->dur = 0;
    return REEL_OK;
}

/* The frame after the last one timeline `tl` sounds (its own clips). */
static int tl_len(fp *p, json_t *tl, int depth, int64_t *out)
{
    *out = 0;
    if (depth > 64)
        return REEL_OK; /* nesting cycles are refused by the document check */
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(tl, "clips"), i, c) {
        int64_t a = pos_frames(p, tl, num(c, "at", 0)), e = a, l;
        int rc = REEL_OK;
        if (is_kind(c, "audio")) {
            if (!(rc = clip_len(p, tl, c, &l)))
                e = a + l;
        } else if (is_kind(c, "timeline")) {
            nest n;
            if (!(rc = nest_get(p, tl, c, a, depth, &n)))
                e = a + n.dur;
        }
        if (rc)
            return rc;
        if (e > *out)
            *out = e;
    }
    return REEL_OK;
}

static int inst_start(fp *p, json_t *tl, int64_t from, int64_t at, int64_t hi, long parent,
                      bool top, int64_t plays, long *out);

/* The segments of nested clip `clip` (at frame `a` of instance `pi`), from
 * `skip` frames into it. */
static int nest_start(fp *p, long pi, json_t *clip, int64_t a, int64_t skip)
{
    nest n;
    json_t *ptl = p->inst[pi].tl;
    int rc = nest_get(p, ptl, clip, a, 0, &n);
    if (rc || !n.child)
        return rc;
    int64_t base = p->inst[pi].origin + a, pos = n.sm, seg_end = n.loop ? n.le : n.em;
    for (int64_t t = 0; t < n.dur;) {
        int64_t seg = seg_end - pos;
        if (seg <= 0)
            break;
        int64_t play = seg < n.dur - t ? seg : n.dur - t;
        if (base + t >= p->horizon) {
            p->out->open = true;
            break;
        }
        if (t + play > skip) {
            int64_t into = t < skip ? skip - t : 0;
            int64_t hi = base + t + play, phi = p->inst[pi].hi;
            long ci;
            if ((rc = inst_start(p, n.child, pos + into, base + t + into, hi < phi ? hi : phi,
                                 pi, false, 1, &ci)))
                return rc;
        }
        t += play;
        if (!n.loop)
            break;
        pos = n.ls;
        seg_end = n.le;
    }
    return REEL_OK;
}

/* Timeline `tl` played from its frame `from`, placed so that `from`
 * sounds at plan frame `at`, inside [at, hi). */
static int inst_start(fp *p, json_t *tl, int64_t from, int64_t at, int64_t hi, long parent,
                      bool top, int64_t plays, long *out)
{
    if (p->n_inst == p->cap_inst) {
        size_t cap = p->cap_inst ? p->cap_inst * 2 : 16;
        fp_inst *n = realloc(p->inst, cap * sizeof *n);
        if (!n)
            return oom(p);
        p->inst = n;
        p->cap_inst = cap;
    }
    long ii = (long)p->n_inst++;
    p->inst[ii] = (fp_inst){tl, at - from, hi, INT64_MAX, parent, -1, plays,
                            top ? att_for_timeline(p, tl) : -1};
    *out = ii;
    int rc = REEL_OK;
    size_t i;
    json_t *c;
    json_t *clips = json_object_get(tl, "clips");
    /* the first clip of each group with follow actions: found once */
    json_t **firsts = NULL;
    size_t n_first = 0;
    json_array_foreach(clips, i, c) {
        const char *g = str(c, "group");
        if (!is_kind(c, "audio") || !launcher_group(p, tl, g))
            continue;
        size_t k;
        for (k = 0; k < n_first; k++)
            if (strcmp(str(firsts[k], "group"), g) == 0)
                break;
        if (k < n_first) {
            if (num(c, "at", 0) < num(firsts[k], "at", 0))
                firsts[k] = c;
            continue;
        }
        json_t **f = realloc(firsts, (n_first + 1) * sizeof *f);
        if (!f) {
            free(firsts);
            return oom(p);
        }
        firsts = f;
        firsts[n_first++] = c;
    }
    json_array_foreach(clips, i, c) {
        int64_t a = pos_frames(p, tl, num(c, "at", 0)), s = p->inst[ii].origin + a;
        if (is_kind(c, "audio")) {
            const char *g = str(c, "group");
            bool skip = false;
            for (size_t k = 0; g && k < n_first; k++)
                if (strcmp(str(firsts[k], "group"), g) == 0)
                    skip = firsts[k] != c;
            if (skip)
                continue;
            int64_t len;
            if ((rc = clip_len(p, tl, c, &len)))
                break;
            if (s + len <= at)
                continue; /* over before `from` */
            int64_t off = s < at ? at - s : 0;
            long vi;
            if ((rc = voice_start(p, ii, c, s + off, off, ii == 0, true, 1, -1, &vi)))
                break;
        } else if (is_kind(c, "timeline")) {
            if ((rc = nest_start(p, ii, c, a, s < at ? at - s : 0)))
                break;
        }
    }
    free(firsts);
    /* its timeline events from `from` on, inside its window */
    json_array_foreach(json_object_get(tl, "events"), i, c) {
        int64_t s = p->inst[ii].origin + pos_frames(p, tl, num(c, "at", 0));
        if (rc || s < at || s >= hi)
            continue;
        if (s >= p->horizon) {
            p->out->open = true;
            continue;
        }
        rc = ev_push_event(p, s, true, ii, c);
    }
    if (rc || p->inst[ii].att < 0)
        return rc;
    const reel_follow *f = &p->att[p->inst[ii].att].f;
    int64_t t;
    if (f->linked) {
        int64_t len;
        if ((rc = tl_len(p, tl, 0, &len)))
            return rc;
        t = p->inst[ii].origin + len;
        if (t < at)
            t = at;
        if (plays >= f->loops && (rc = quantize(p, f, t, &t)))
            return rc;
    } else {
        t = p->inst[ii].origin + pos_frames(p, tl, frames_pos(p, tl, from) + f->after);
        if ((rc = quantize(p, f, t, &t)))
            return rc;
    }
    return ev_push(p, t, true, ii);
}

/* ---- events --------------------------------------------------------------------- */

static void log_add(fp *p, int64_t t, const reel_follow *f, const char *from, bool b,
                    const reel_follow_action *a, const char *to, const char *note)
{
    if (json_array_size(p->out->log) >= REEL_FOLLOW_LOG_MAX) {
        p->out->log_dropped++;
        return;
    }
    json_t *e = json_pack("{sI ss ss ss ss}", "frame", (json_int_t)t, "follow", f->id ? f->id : "",
                          "from", from ? from : "", "choice", b ? "b" : "a", "action",
                          reel_follow_kind_name(a->kind));
    if (e && to)
        json_object_set_new(e, "to", json_string(to));
    if (e && note)
        json_object_set_new(e, "note", json_string(note));
    if (e)
        json_array_append_new(p->out->log, e);
}

/* A timeline event run (or not, and why) in the log. */
static void log_event(fp *p, int64_t t, json_t *ev, const char *note)
{
    if (json_array_size(p->out->log) >= REEL_FOLLOW_LOG_MAX) {
        p->out->log_dropped++;
        return;
    }
    json_t *e = json_pack("{sI ss ss}", "frame", (json_int_t)t, "event", str(ev, "id") ?: "",
                          "type", str(ev, "type") ?: "");
    if (e && str(ev, "target"))
        json_object_set_new(e, "target", json_string(str(ev, "target")));
    if (e && json_object_get(ev, "payload"))
        json_object_set(e, "payload", json_object_get(ev, "payload"));
    if (e && note)
        json_object_set_new(e, "note", json_string(note));
    if (e)
        json_array_append_new(p->out->log, e);
}

int reel_follow_plan_cmd_add(reel_follow_plan *p, const char *target, int64_t frame,
                             double value, reel_error *err)
{
    reel_follow_cmd *n = realloc(p->cmd, (p->n_cmd + 1) * sizeof *n);
    if (!n)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    p->cmd = n;
    n += p->n_cmd++;
    snprintf(n->target, sizeof n->target, "%s", target);
    n->frame = frame;
    n->value = value;
    return REEL_OK;
}

static int cmd_add(fp *p, const char *target, int64_t t, double value)
{
    return reel_follow_plan_cmd_add(p->out, target, t, value, p->err);
}

static int route_add(fp *p, json_t *ev, int64_t t)
{
    reel_follow_route *n = realloc(p->out->route, (p->out->n_route + 1) * sizeof *n);
    if (!n)
        return oom(p);
    p->out->route = n;
    n[p->out->n_route++] = (reel_follow_route){ev, t};
    return REEL_OK;
}

static int trigger_add(fp *p, const char *id, int64_t t)
{
    json_t *tl;
    json_t *c = clip_by_id(p->doc, id, &tl);
    if (!c || !is_kind(c, "action"))
        return REEL_ENOENT;
    reel_follow_trigger *n = realloc(p->out->trigger, (p->out->n_trigger + 1) * sizeof *n);
    if (!n)
        return oom(p);
    p->out->trigger = n;
    n[p->out->n_trigger++] = (reel_follow_trigger){tl, c, t};
    return REEL_OK;
}

/* Stop every playing instance of timeline `id` at `t`. */
static bool stop_timeline(fp *p, const char *id, int64_t t)
{
    json_t *tl = by_id(json_object_get(p->doc, "timelines"), id);
    if (!tl)
        return false;
    size_t n = p->n_inst;
    for (size_t i = 0; i < n; i++)
        if (p->inst[i].tl == tl && p->inst[i].stop > t)
            inst_cut(p, (long)i, t);
    return true;
}

/* Draw between A and B and do it. `vk`: the voice (-1: instance `ii`'s
 * timeline follow action). */
static int act(fp *p, int ai, long vk, long ii, int64_t t)
{
    fp_att *at = &p->att[ai];
    const reel_follow *f = &at->f;
    bool b = (int)(splitmix(&at->rng) % 100) >= f->chance;
    const reel_follow_action *a = b ? &f->b : &f->a;
    json_t *tl = p->inst[ii].tl;
    json_t *clip = vk >= 0 ? p->voice[vk].v.clip : NULL;
    const char *from = clip ? str(clip, "id") : str(tl, "id");
    long parent = p->inst[ii].parent;
    int64_t hi = p->inst[ii].hi;
    bool top = parent < 0 && hi == INT64_MAX;
    char note[160];
    long nv, ni;
    int rc = REEL_OK;
    switch (a->kind) {
    case REEL_FOLLOW_NONE:
        log_add(p, t, f, from, b, a, NULL, NULL);
        return REEL_OK;
    case REEL_FOLLOW_STOP:
        log_add(p, t, f, from, b, a, NULL, NULL);
        if (vk >= 0)
            chain_cut(p, vk, t);
        else
            inst_cut(p, ii, t);
        return REEL_OK;
    case REEL_FOLLOW_AGAIN:
    case REEL_FOLLOW_LOOP:
        log_add(p, t, f, from, b, a, from, NULL);
        if (vk < 0) {
            inst_cut(p, ii, t);
            return inst_start(p, tl, 0, t, hi, parent, top, 1, &ni);
        }
        chain_cut(p, vk, t);
        if (a->kind == REEL_FOLLOW_AGAIN)
            return voice_start(p, ii, clip, t, 0, false, true, 1, -1, &nv);
        for (int64_t k = 0, s = t, prev = -1; a->count == 0 || k < a->count; k++) {
            if ((rc = voice_start(p, ii, clip, s, 0, false, false, 0, prev, &nv)) || nv < 0)
                return rc;
            s += p->voice[nv].v.len;
            prev = nv;
        }
        return REEL_OK;
    case REEL_FOLLOW_NEXT:
    case REEL_FOLLOW_PREVIOUS:
    case REEL_FOLLOW_FIRST:
    case REEL_FOLLOW_LAST:
    case REEL_FOLLOW_ANY:
    case REEL_FOLLOW_OTHER:
    case REEL_FOLLOW_RANDOM: {
        size_t n, me = 0, j = 0;
        if (!clip) { /* follow_doc refuses it; a document made elsewhere may still say it */
            log_add(p, t, f, from, b, a, NULL, "a timeline's follow action cannot pick a clip: "
                    "nothing done");
            return REEL_OK;
        }
        json_t **m = members(p, tl, clip, &n);
        if (!m)
            return oom(p);
        if (!n) {
            free(m);
            return REEL_OK;
        }
        for (size_t k = 0; k < n; k++)
            if (m[k] == clip)
                me = k;
        switch (a->kind) {
        case REEL_FOLLOW_NEXT: j = (me + 1) % n; break;
        case REEL_FOLLOW_PREVIOUS: j = (me + n - 1) % n; break;
        case REEL_FOLLOW_FIRST: j = 0; break;
        case REEL_FOLLOW_LAST: j = n - 1; break;
        case REEL_FOLLOW_OTHER:
            j = n == 1 ? me : (me + 1 + splitmix(&at->rng) % (n - 1)) % n;
            break;
        default: j = splitmix(&at->rng) % n; break;
        }
        json_t *next = m[j];
        free(m);
        log_add(p, t, f, from, b, a, str(next, "id"), NULL);
        chain_cut(p, vk, t);
        return voice_start(p, ii, next, t, 0, false, true, 1, -1, &nv);
    }
    case REEL_FOLLOW_JUMP: {
        json_t *mk = marker(tl, a->marker);
        if (!mk) {
            snprintf(note, sizeof note, "timeline %.64s has no marker %.64s any more: nothing "
                     "done", str(tl, "id"), a->marker);
            log_add(p, t, f, from, b, a, a->marker, note);
            return REEL_OK;
        }
        log_add(p, t, f, from, b, a, a->marker, NULL);
        inst_cut(p, ii, t);
        return inst_start(p, tl, pos_frames(p, tl, num(mk, "at", 0)), t, hi, parent, top, 1,
                          &ni);
    }
    case REEL_FOLLOW_PLAY_TL: {
        json_t *other = by_id(json_object_get(p->doc, "timelines"), a->timeline);
        if (!other) {
            snprintf(note, sizeof note, "no timeline %.64s any more: nothing done", a->timeline);
            log_add(p, t, f, from, b, a, a->timeline, note);
            return REEL_OK;
        }
        log_add(p, t, f, from, b, a, a->timeline, NULL);
        if (vk >= 0)
            chain_cut(p, vk, t);
        return inst_start(p, other, 0, t, INT64_MAX, -1, true, 1, &ni);
    }
    case REEL_FOLLOW_STOP_TL: {
        const char *which = a->timeline ? a->timeline : str(tl, "id");
        if (!stop_timeline(p, which, t)) {
            snprintf(note, sizeof note, "no timeline %.64s any more: nothing done", which);
            log_add(p, t, f, from, b, a, which, note);
        } else {
            log_add(p, t, f, from, b, a, which, NULL);
        }
        return REEL_OK;
    }
    case REEL_FOLLOW_TRIGGER:
        rc = trigger_add(p, a->action_clip, t);
        if (rc == REEL_ENOENT) {
            snprintf(note, sizeof note, "no action clip %.64s any more: nothing done",
                     a->action_clip);
            log_add(p, t, f, from, b, a, a->action_clip, note);
            return REEL_OK;
        }
        if (!rc)
            log_add(p, t, f, from, b, a, a->action_clip, NULL);
        return rc;
    default:
        return REEL_OK;
    }
}

/* Timeline event `ev` of instance `ii` at frame `t` (seed 004 section 7.4):
 * clips started, stopped and their gain set; timelines played, stopped,
 * sought, jumped to a marker; ui_* logged for surfaces (the transport
 * publishes them as it passes, and runs the scripts); routing events kept
 * for the compile. */
static int run_timeline_event(fp *p, long ii, json_t *ev, int64_t t)
{
    const char *type = str(ev, "type") ?: "", *target = str(ev, "target");
    json_t *pl = json_object_get(ev, "payload"), *tl = p->inst[ii].tl, *other, *c;
    json_t *tls = json_object_get(p->doc, "timelines");
    long parent = p->inst[ii].parent, nv, ni;
    int64_t hi = p->inst[ii].hi;
    bool top = parent < 0 && hi == INT64_MAX;
    char note[200];
    if (strcmp(type, "audio_clip_start") == 0 || strcmp(type, "audio_clip_stop") == 0 ||
        strcmp(type, "audio_clip_param") == 0) {
        c = target ? by_id(json_object_get(tl, "clips"), target) : NULL;
        if (!c || !is_kind(c, "audio")) {
            snprintf(note, sizeof note, "timeline %.64s has no audio clip %.64s: nothing done",
                     str(tl, "id"), target ? target : "(no target)");
            log_event(p, t, ev, note);
            return REEL_OK;
        }
        log_event(p, t, ev, NULL);
        if (strcmp(type, "audio_clip_start") == 0)
            return voice_start(p, ii, c, t, 0, false, true, 1, -1, &nv);
        if (strcmp(type, "audio_clip_stop") == 0) { /* every voice of it sounding at t */
            for (size_t k = 0; k < p->n_voice; k++)
                if (p->voice[k].v.clip == c && p->voice[k].v.at + p->voice[k].v.len > t)
                    chain_cut(p, (long)k, t);
            return REEL_OK;
        }
        const char *param = str(pl, "param") ?: "gain";
        json_t *v = json_object_get(pl, "value");
        char name[200];
        snprintf(name, sizeof name, "clip:%.64s:%.64s", target, param);
        return json_is_number(v) ? cmd_add(p, name, t, json_number_value(v)) : REEL_OK;
    }
    if (strcmp(type, "timeline_play") == 0 || strcmp(type, "timeline_stop") == 0) {
        const char *which = target ? target : str(tl, "id");
        other = by_id(tls, which);
        if (!other) {
            snprintf(note, sizeof note, "no timeline %.64s: nothing done", which);
            log_event(p, t, ev, note);
            return REEL_OK;
        }
        log_event(p, t, ev, NULL);
        if (strcmp(type, "timeline_stop") == 0) {
            stop_timeline(p, which, t);
            return REEL_OK;
        }
        return inst_start(p, other, 0, t, INT64_MAX, -1, true, 1, &ni);
    }
    if (strcmp(type, "timeline_seek") == 0 || strcmp(type, "timeline_jump_marker") == 0) {
        int64_t to;
        if (strcmp(type, "timeline_seek") == 0) {
            json_t *v = json_object_get(pl, "to");
            if (!json_is_number(v) || json_number_value(v) < 0) {
                log_event(p, t, ev, "timeline_seek needs payload {\"to\": a position}: "
                                    "nothing done");
                return REEL_OK;
            }
            to = pos_frames(p, tl, json_number_value(v));
        } else {
            const char *mid = str(pl, "marker") ?: target;
            json_t *mk = marker(tl, mid);
            if (!mk) {
                snprintf(note, sizeof note, "timeline %.64s has no marker %.64s: nothing done",
                         str(tl, "id"), mid ? mid : "(none named)");
                log_event(p, t, ev, note);
                return REEL_OK;
            }
            to = pos_frames(p, tl, num(mk, "at", 0));
        }
        log_event(p, t, ev, NULL);
        inst_cut(p, ii, t);
        return inst_start(p, tl, to, t, hi, parent, top, 1, &ni);
    }
    if (strncmp(type, "ui_", 3) == 0 || strcmp(type, "script_run") == 0) {
        /* for surfaces, and scripts the transport runs as the playhead passes */
        log_event(p, t, ev, NULL);
        return REEL_OK;
    }
    if (strcmp(type, "routing_set") == 0 || strcmp(type, "routing_update") == 0) {
        log_event(p, t, ev, NULL);
        return route_add(p, ev, t);
    }
    snprintf(note, sizeof note, "%s is not run by the engine in this build: nothing done", type);
    log_event(p, t, ev, note);
    return REEL_OK;
}

static int run_event(fp *p, const fp_ev *e)
{
    long nv, ni;
    if (!e->inst) {
        fp_voice *v = &p->voice[e->idx];
        if (v->dead)
            return REEL_OK;
        const reel_follow *f = &p->att[v->att].f;
        long ii = v->inst;
        if (f->linked && v->plays < f->loops) { /* the next of its linked loops */
            v->dead = true;
            return voice_start(p, ii, v->v.clip, e->frame, 0, false, true, v->plays + 1, -1,
                               &nv);
        }
        v->dead = true;
        return act(p, v->att, e->idx, ii, e->frame);
    }
    fp_inst *in = &p->inst[e->idx];
    if (in->stop <= e->frame && in->stop != INT64_MAX)
        return REEL_OK;
    if (e->event)
        return run_timeline_event(p, e->idx, e->event, e->frame);
    const reel_follow *f = &p->att[in->att].f;
    if (f->linked && in->plays < f->loops)
        return inst_start(p, in->tl, 0, e->frame, in->hi, in->parent, true, in->plays + 1, &ni);
    return act(p, in->att, -1, e->idx, e->frame);
}

bool reel_follow_plan_needed(json_t *doc, json_t *tl)
{
    if (reel_follow_enabled(doc))
        return true;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(tl, "clips"), i, c)
        if (is_kind(c, "timeline"))
            return true;
    return json_array_size(json_object_get(tl, "events")) > 0;
}

int reel_follow_plan_build(json_t *doc, json_t *tl, int64_t horizon, reel_follow_len_fn len,
                           void *ud, reel_follow_plan **out, reel_error *err)
{
    fp p = {.doc = doc, .horizon = horizon, .len = len, .ud = ud, .err = err};
    p.rate = (uint32_t)json_integer_value(json_object_get(doc, "rate"));
    p.seed = (uint64_t)json_integer_value(json_object_get(doc, "seed"));
    p.follow_on = reel_follow_enabled(doc);
    int rc = reel_tempo_map_from_json(json_object_get(doc, "tempo"), &p.tempo, err);
    if (rc)
        return rc;
    if (!p.rate)
        return reel_error_set(err, REEL_EINVAL, "the project has no rate%s", "");
    size_t total = 0, i;
    json_t *t, *a;
    json_array_foreach(json_object_get(doc, "timelines"), i, t)
        total += json_array_size(json_object_get(t, "clips"));
    for (p.lc_cap = 64; p.lc_cap < 2 * total + 2; p.lc_cap *= 2)
        ;
    json_t *atts = json_object_get(doc, "follow");
    p.n_att = p.follow_on ? json_array_size(atts) : 0;
    p.lc = calloc(p.lc_cap, sizeof *p.lc);
    p.att = calloc(p.n_att + 1, sizeof *p.att);
    p.out = calloc(1, sizeof *p.out);
    if (!p.lc || !p.att || !p.out || !(p.out->log = json_array())) {
        rc = oom(&p);
        goto out;
    }
    json_array_foreach(atts, i, a) {
        if (i >= p.n_att)
            break;
        if ((rc = reel_follow_parse(a, &p.att[i].f, err)))
            goto out;
        p.att[i].rng = rng_seed(p.seed, p.att[i].f.id);
    }
    long root;
    if ((rc = inst_start(&p, tl, 0, 0, INT64_MAX, -1, true, 1, &root)))
        goto out;
    int64_t last = -1;
    size_t same = 0;
    while (p.n_ev) {
        if (p.heap[0].frame >= horizon) {
            p.out->open = true;
            break;
        }
        fp_ev e = ev_pop(&p);
        same = e.frame == last ? same + 1 : 0;
        last = e.frame;
        if (same > SAME_FRAME_MAX) {
            const char *who = e.inst ? p.att[p.inst[e.idx].att].f.id
                                     : p.att[p.voice[e.idx].att].f.id;
            rc = reel_error_set(err, REEL_EINVAL, "follow actions trigger each other with no "
                                "time passing at frame %lld (follow %.64s): a loop of empty "
                                "timelines or clips", (long long)e.frame, who ? who : "?");
            goto out;
        }
        if ((rc = run_event(&p, &e)))
            goto out;
    }
    size_t n = 0;
    for (size_t k = 0; k < p.n_voice; k++)
        n += p.voice[k].v.len > 0;
    if (n && !(p.out->voice = malloc(n * sizeof *p.out->voice))) {
        rc = oom(&p);
        goto out;
    }
    for (size_t k = 0; k < p.n_voice; k++) {
        if (p.voice[k].v.len <= 0)
            continue;
        p.out->voice[p.out->n_voice++] = p.voice[k].v;
        int64_t e = p.voice[k].v.at + p.voice[k].v.len;
        if (e > p.out->end)
            p.out->end = e;
    }
out:
    free(p.lc);
    free(p.att);
    free(p.inst);
    free(p.voice);
    free(p.heap);
    if (rc) {
        reel_follow_plan_free(p.out);
        return rc;
    }
    *out = p.out;
    return REEL_OK;
}

void reel_follow_plan_free(reel_follow_plan *p)
{
    if (!p)
        return;
    free(p->voice);
    free(p->trigger);
    free(p->cmd);
    free(p->route);
    json_decref(p->log);
    free(p);
}

int reel_follow_len_from_doc(void *ud, json_t *timeline, json_t *clip, int64_t *frames,
                             reel_error *err)
{
    json_t *doc = ud;
    (void)timeline;
    (void)err;
    json_t *src = json_object_get(clip, "source");
    int64_t start = json_integer_value(json_object_get(clip, "start"));
    int64_t end = json_integer_value(json_object_get(clip, "end"));
    double sr = (double)json_integer_value(json_object_get(src, "rate"));
    double rate = (double)json_integer_value(json_object_get(doc, "rate"));
    double stretch = num(clip, "stretch", 1.0);
    *frames = end > start && sr > 0 ? (int64_t)((double)(end - start) * rate / sr * stretch + 0.5)
                                    : 0;
    return REEL_OK;
}
