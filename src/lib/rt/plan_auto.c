/*
 * plan_auto.c — automation slots, lanes and the realtime merge
 * (plan_auto.h).
 *
 * The merge compares three keys in one order everywhere: frame, then rank
 * (set/ramp 0, trigger 1), then source order (lane commands before live
 * ones; lanes by their index and position, live ones by arrival). Lanes
 * are merged once when attached; live commands go through a heap whose
 * storage is allocated with the automation, so the callback only moves
 * entries inside it.
 */
#include "rt/plan_auto.h"

#include "rt/ring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_NODE, SLOT_FLOAT, SLOT_TRIGGER };

typedef struct auto_slot {
    int kind;
    uint32_t node;
    reel_plan_param param;
    float *ptr;
    reel_auto_trigger_fn fn;
    void *ud;
    float lo, hi;
    float base;     /* its value before any lane command */
    bool has_lane;
    /* realtime-owned: the ramp in progress */
    bool ramping;
    int64_t t0, len;
    float v0, v1;
    uint8_t curve;
} auto_slot;

typedef struct lane_ev {
    reel_cmd c;
    float from; /* the lane's value just before this command: where its ramp starts */
    uint32_t lane, index;
} lane_ev;

typedef struct auto_lane {
    uint32_t slot;
    lane_ev *ev;
    size_t n;
} auto_lane;

typedef struct live_ev {
    reel_cmd c;
    uint64_t seq;
} live_ev;

struct reel_auto {
    auto_slot *slot;
    size_t n_slot, cap_slot;
    auto_lane *lane;
    size_t n_lane, cap_lane;
    lane_ev *merged;
    size_t n_merged, cur;
    uint32_t *ramping; /* slots with a ramp in progress (n_ramping of them) */
    size_t n_ramping;
    int64_t ramp_end_min; /* the earliest end of a ramp in progress */
    int64_t cell;         /* the grid step the ramping slots hold the value of */
    reel_ring ring;
    live_ev *heap;
    size_t heap_n;
    uint64_t seq;
    _Atomic uint64_t applied, live, late, pushed;
};

int reel_auto_new(reel_auto **out, reel_error *err)
{
    reel_auto *a = calloc(1, sizeof *a);
    if (!a || !(a->heap = calloc(REEL_AUTO_LIVE_MAX, sizeof *a->heap))) {
        free(a);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    int rc = reel_ring_init(&a->ring, sizeof(reel_cmd), REEL_AUTO_LIVE_MAX, err);
    if (rc) {
        free(a->heap);
        free(a);
        return rc;
    }
    atomic_init(&a->applied, 0);
    atomic_init(&a->live, 0);
    atomic_init(&a->late, 0);
    atomic_init(&a->pushed, 0);
    *out = a;
    return REEL_OK;
}

void reel_auto_free(reel_auto *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_lane; i++)
        free(a->lane[i].ev);
    free(a->lane);
    free(a->slot);
    free(a->merged);
    free(a->ramping);
    free(a->heap);
    reel_ring_destroy(&a->ring);
    free(a);
}

static int slot_add(reel_auto *a, const auto_slot *s, uint32_t *slot, reel_error *err)
{
    if (a->n_slot == a->cap_slot) {
        size_t cap = a->cap_slot ? a->cap_slot * 2 : 16;
        auto_slot *n = realloc(a->slot, cap * sizeof *n);
        if (!n)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        a->slot = n;
        a->cap_slot = cap;
    }
    a->slot[a->n_slot] = *s;
    *slot = (uint32_t)a->n_slot++;
    return REEL_OK;
}

int reel_auto_slot_node(reel_auto *a, uint32_t node, reel_plan_param param, float lo, float hi,
                        uint32_t *slot, reel_error *err)
{
    auto_slot s = {.kind = SLOT_NODE, .node = node, .param = param, .lo = lo, .hi = hi};
    return slot_add(a, &s, slot, err);
}

int reel_auto_slot_float(reel_auto *a, float *value, float lo, float hi, uint32_t *slot,
                         reel_error *err)
{
    auto_slot s = {.kind = SLOT_FLOAT, .ptr = value, .lo = lo, .hi = hi};
    return slot_add(a, &s, slot, err);
}

int reel_auto_slot_trigger(reel_auto *a, reel_auto_trigger_fn fn, void *ud, uint32_t *slot,
                           reel_error *err)
{
    auto_slot s = {.kind = SLOT_TRIGGER, .fn = fn, .ud = ud, .lo = -1e30f, .hi = 1e30f};
    return slot_add(a, &s, slot, err);
}

size_t reel_auto_n_slots(const reel_auto *a)
{
    return a->n_slot;
}

int reel_auto_lane_add(reel_auto *a, uint32_t slot, const reel_cmd *cmds, size_t n,
                       reel_error *err)
{
    if (slot >= a->n_slot)
        return reel_error_set(err, REEL_EINVAL, "automation lane for slot %u of %zu", slot,
                              a->n_slot);
    for (size_t i = 1; i < n; i++)
        if (cmds[i].frame < cmds[i - 1].frame)
            return reel_error_set(err, REEL_EINVAL, "automation lane: command %zu is before "
                                  "the one ahead of it", i);
    if (a->n_lane == a->cap_lane) {
        size_t cap = a->cap_lane ? a->cap_lane * 2 : 8;
        auto_lane *l = realloc(a->lane, cap * sizeof *l);
        if (!l)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        a->lane = l;
        a->cap_lane = cap;
    }
    auto_lane *l = &a->lane[a->n_lane];
    if (!(l->ev = malloc((n ? n : 1) * sizeof *l->ev)))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    l->slot = slot;
    l->n = n;
    for (size_t i = 0; i < n; i++) {
        l->ev[i] = (lane_ev){cmds[i], 0.0f, (uint32_t)a->n_lane, (uint32_t)i};
        l->ev[i].c.slot = slot;
    }
    a->slot[slot].has_lane = true;
    a->n_lane++;
    return REEL_OK;
}

static float slot_value(const reel_auto *a, const reel_plan *p, uint32_t s)
{
    const auto_slot *sl = &a->slot[s];
    if (sl->kind == SLOT_NODE)
        return reel_plan_param_get(p, sl->node, sl->param);
    if (sl->kind == SLOT_FLOAT) {
        float v;
        __atomic_load(sl->ptr, &v, __ATOMIC_RELAXED);
        return v;
    }
    return 0.0f;
}

float reel_auto_slot_value(const reel_auto *a, const reel_plan *p, uint32_t slot)
{
    return slot < a->n_slot ? slot_value(a, p, slot) : 0.0f;
}

/* Realtime. */
static void slot_store(reel_auto *a, reel_plan *p, uint32_t s, float v)
{
    auto_slot *sl = &a->slot[s];
    v = v < sl->lo ? sl->lo : v > sl->hi ? sl->hi : v;
    if (sl->kind == SLOT_NODE)
        reel_plan_param_set(p, sl->node, sl->param, v);
    else if (sl->kind == SLOT_FLOAT)
        __atomic_store(sl->ptr, &v, __ATOMIC_RELAXED);
}

static int ev_cmp(const lane_ev *x, const lane_ev *y)
{
    if (x->c.frame != y->c.frame)
        return x->c.frame < y->c.frame ? -1 : 1;
    int rx = reel_cmd_rank(&x->c), ry = reel_cmd_rank(&y->c);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (x->lane != y->lane)
        return x->lane < y->lane ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int ev_qcmp(const void *a, const void *b)
{
    return ev_cmp(a, b);
}

int reel_auto_attach(reel_auto *a, reel_plan *p, reel_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < a->n_lane; i++)
        total += a->lane[i].n;
    free(a->merged);
    free(a->ramping);
    a->merged = malloc((total ? total : 1) * sizeof *a->merged);
    a->ramping = malloc((a->n_slot ? a->n_slot : 1) * sizeof *a->ramping);
    if (!a->merged || !a->ramping)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (size_t s = 0; s < a->n_slot; s++)
        a->slot[s].base = slot_value(a, p, (uint32_t)s);
    /* Each command's starting value, walking its lane from the slot's base
     * (a lane owns its slot: the value its ramps start from is the lane's). */
    size_t k = 0;
    for (size_t i = 0; i < a->n_lane; i++) {
        auto_lane *l = &a->lane[i];
        auto_slot *sl = &a->slot[l->slot];
        float v = sl->base;
        for (size_t j = 0; j < l->n; j++) {
            l->ev[j].from = v;
            float t = l->ev[j].c.value;
            v = t < sl->lo ? sl->lo : t > sl->hi ? sl->hi : t;
            a->merged[k++] = l->ev[j];
        }
    }
    qsort(a->merged, total, sizeof *a->merged, ev_qcmp);
    a->n_merged = total;
    reel_plan_auto_own(p, a);
    reel_auto_locate(a, p, 0);
    return REEL_OK;
}

int reel_auto_push(reel_auto *a, const reel_cmd *c, reel_error *err)
{
    if (c->slot >= a->n_slot)
        return reel_error_set(err, REEL_EINVAL, "automation command for slot %u of %zu",
                              c->slot, a->n_slot);
    if (!reel_ring_push(&a->ring, c))
        return reel_error_set(err, REEL_EFULL, "the automation queue is full (%d commands "
                              "waiting)", REEL_AUTO_LIVE_MAX);
    atomic_fetch_add_explicit(&a->pushed, 1, memory_order_relaxed);
    return REEL_OK;
}

void reel_auto_stats_get(const reel_auto *a, reel_auto_stats *s)
{
    reel_auto *q = (reel_auto *)a;
    s->applied = atomic_load_explicit(&q->applied, memory_order_relaxed);
    s->live = atomic_load_explicit(&q->live, memory_order_relaxed);
    s->late = atomic_load_explicit(&q->late, memory_order_relaxed);
    uint64_t pushed = atomic_load_explicit(&q->pushed, memory_order_relaxed);
    s->waiting = pushed > s->live ? pushed - s->live : 0;
}

/* ---- the heap of live commands (realtime) --------------------------------- */

static bool live_less(const live_ev *x, const live_ev *y)
{
    if (x->c.frame != y->c.frame)
        return x->c.frame < y->c.frame;
    int rx = reel_cmd_rank(&x->c), ry = reel_cmd_rank(&y->c);
    if (rx != ry)
        return rx < ry;
    return x->seq < y->seq;
}

static void heap_push(reel_auto *a, const reel_cmd *c)
{
    size_t i = a->heap_n++;
    a->heap[i] = (live_ev){*c, a->seq++};
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!live_less(&a->heap[i], &a->heap[up]))
            break;
        live_ev t = a->heap[i];
        a->heap[i] = a->heap[up];
        a->heap[up] = t;
        i = up;
    }
}

static void heap_pop(reel_auto *a)
{
    a->heap[0] = a->heap[--a->heap_n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < a->heap_n && live_less(&a->heap[l], &a->heap[m]))
            m = l;
        if (r < a->heap_n && live_less(&a->heap[r], &a->heap[m]))
            m = r;
        if (m == i)
            break;
        live_ev t = a->heap[i];
        a->heap[i] = a->heap[m];
        a->heap[m] = t;
        i = m;
    }
}

/* ---- applying (realtime) --------------------------------------------------- */

static void ramp_stop(reel_auto *a, uint32_t s)
{
    if (!a->slot[s].ramping)
        return;
    a->slot[s].ramping = false;
    for (size_t i = 0; i < a->n_ramping; i++)
        if (a->ramping[i] == s) {
            a->ramping[i] = a->ramping[--a->n_ramping];
            break;
        }
}

static void ramp_start(reel_auto *a, uint32_t s, int64_t t0, int64_t len, float v0, float v1,
                       uint8_t curve)
{
    auto_slot *sl = &a->slot[s];
    if (!sl->ramping)
        a->ramping[a->n_ramping++] = s;
    if (a->n_ramping == 1 || t0 + len < a->ramp_end_min)
        a->ramp_end_min = t0 + len;
    sl->ramping = true;
    sl->t0 = t0;
    sl->len = len;
    sl->v0 = v0;
    sl->v1 = v1 < sl->lo ? sl->lo : v1 > sl->hi ? sl->hi : v1;
    sl->curve = curve;
}

/* The ramp's value for the step holding `pos` (timeline grid). */
static float ramp_value(const auto_slot *sl, int64_t pos)
{
    int64_t cell = pos - (pos % REEL_AUTO_STEP + REEL_AUTO_STEP) % REEL_AUTO_STEP;
    if (cell < sl->t0)
        cell = sl->t0;
    return reel_curve_eval(sl->curve, sl->v0, sl->v1,
                           (double)(cell - sl->t0) / (double)sl->len);
}

static void apply(reel_auto *a, reel_plan *p, const reel_cmd *c, float from, bool lane,
                  int64_t pos)
{
    uint32_t s = c->slot;
    if (s >= a->n_slot)
        return;
    auto_slot *sl = &a->slot[s];
    atomic_fetch_add_explicit(&a->applied, 1, memory_order_relaxed);
    if (sl->kind == SLOT_TRIGGER) {
        sl->fn(sl->ud, c->value, pos);
        return;
    }
    if (c->type == REEL_CMD_RAMP && c->ramp_frames > 0) {
        /* a live ramp starts from where the slot is; a lane's from the lane */
        float v0 = lane ? from : slot_value(a, p, s);
        ramp_start(a, s, c->frame, c->ramp_frames, v0, c->value, c->curve);
        if (pos >= c->frame + c->ramp_frames) { /* a late ramp already over */
            ramp_stop(a, s);
            slot_store(a, p, s, c->value);
        } else {
            slot_store(a, p, s, ramp_value(sl, pos));
        }
        return;
    }
    ramp_stop(a, s);
    slot_store(a, p, s, c->value);
}

void reel_auto_locate(reel_auto *a, reel_plan *p, int64_t frame)
{
    size_t lo = 0, hi = a->n_merged; /* the first merged command at or after frame */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->merged[mid].c.frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    a->cur = lo;
    a->cell = INT64_MIN;
    for (size_t i = 0; i < a->n_lane; i++) {
        auto_lane *l = &a->lane[i];
        uint32_t s = l->slot;
        size_t b = 0, e = l->n; /* the first of this lane at or after frame */
        while (b < e) {
            size_t mid = b + (e - b) / 2;
            if (l->ev[mid].c.frame < frame)
                b = mid + 1;
            else
                e = mid;
        }
        ramp_stop(a, s);
        if (b == 0) {
            slot_store(a, p, s, a->slot[s].base);
            continue;
        }
        const lane_ev *last = &l->ev[b - 1];
        if (a->slot[s].kind == SLOT_TRIGGER)
            continue; /* actions before the frame are not replayed */
        if (last->c.type == REEL_CMD_RAMP && last->c.ramp_frames > 0 &&
            frame < last->c.frame + last->c.ramp_frames) {
            ramp_start(a, s, last->c.frame, last->c.ramp_frames, last->from, last->c.value,
                       last->c.curve);
            slot_store(a, p, s, ramp_value(&a->slot[s], frame));
        } else {
            slot_store(a, p, s, last->c.value);
        }
    }
}

void reel_plan_play(reel_plan *p, int64_t frame, uint32_t n)
{
    reel_auto *a = reel_plan_auto(p);
    if (n > reel_plan_block(p))
        n = reel_plan_block(p);
    if (!a) {
        reel_plan_run(p, frame, n);
        return;
    }
    reel_cmd c;
    while (a->heap_n < REEL_AUTO_LIVE_MAX && reel_ring_pop(&a->ring, &c))
        heap_push(a, &c);
    int64_t pos = frame, end = frame + n;
    while (pos < end) {
        for (;;) { /* every command due at pos, in merge order */
            const lane_ev *le = a->cur < a->n_merged ? &a->merged[a->cur] : NULL;
            const live_ev *lv = a->heap_n ? &a->heap[0] : NULL;
            bool take_lane;
            if (le && le->c.frame <= pos && lv && lv->c.frame <= pos)
                take_lane = le->c.frame != lv->c.frame ? le->c.frame < lv->c.frame
                                                       : reel_cmd_rank(&le->c) <=
                                                             reel_cmd_rank(&lv->c);
            else if (le && le->c.frame <= pos)
                take_lane = true;
            else if (lv && lv->c.frame <= pos)
                take_lane = false;
            else
                break;
            if (take_lane) {
                apply(a, p, &le->c, le->from, true, pos);
                a->cur++;
            } else {
                live_ev e = *lv;
                heap_pop(a);
                if (e.c.frame < frame)
                    atomic_fetch_add_explicit(&a->late, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&a->live, 1, memory_order_relaxed);
                apply(a, p, &e.c, 0.0f, false, pos);
            }
        }
        int64_t next = end;
        if (a->cur < a->n_merged && a->merged[a->cur].c.frame < next)
            next = a->merged[a->cur].c.frame;
        if (a->heap_n && a->heap[0].c.frame < next)
            next = a->heap[0].c.frame;
        if (a->n_ramping) {
            if (pos >= a->ramp_end_min) { /* ramps over: their end values, the rest's min */
                int64_t m = INT64_MAX;
                for (size_t i = 0; i < a->n_ramping;) {
                    auto_slot *sl = &a->slot[a->ramping[i]];
                    if (pos >= sl->t0 + sl->len) {
                        uint32_t s = a->ramping[i];
                        slot_store(a, p, s, sl->v1);
                        ramp_stop(a, s); /* moves the last entry into i */
                        continue;
                    }
                    m = sl->t0 + sl->len < m ? sl->t0 + sl->len : m;
                    i++;
                }
                a->ramp_end_min = m;
            }
            /* values change only at a grid step (or where a ramp starts: apply() stored it) */
            int64_t cell = pos - (pos % REEL_AUTO_STEP + REEL_AUTO_STEP) % REEL_AUTO_STEP;
            if (cell != a->cell) {
                a->cell = cell;
                for (size_t i = 0; i < a->n_ramping; i++)
                    slot_store(a, p, a->ramping[i], ramp_value(&a->slot[a->ramping[i]], pos));
            }
            if (a->n_ramping) {
                if (cell + REEL_AUTO_STEP < next)
                    next = cell + REEL_AUTO_STEP;
                if (a->ramp_end_min < next)
                    next = a->ramp_end_min;
            }
        }
        reel_plan_run_span(p, pos, (uint32_t)(pos - frame), (uint32_t)(next - pos));
        pos = next;
    }
}
