/*
 * service.c — the op registry, argument validation, the queue that carries
 * control ops to the control thread, and event fan-out (see service.h).
 *
 * Why a queue and not a lock around the control plane: the control thread
 * spends most of its time inside zmq_poll; a lock would either be held
 * across that wait (stalling every caller for up to a poll) or force the
 * control plane to be re-entrant. Queued ops run between polls, in order,
 * and the caller sleeps on a condition variable until its op is done.
 *
 * Owns: the service's own store handle (for non-control ops), the queue,
 * the subscriber list. Must never: free a queued call its caller still
 * waits on (calls live on the caller's stack; close fails them first).
 */
#include "service/service_internal.h"

#include "capture/control.h"
#include "time/clock.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

REEL_REGISTRY_DECLARE(op_tables, reel_op_table);

static int table_cmp(const void *a, const void *b)
{
    const reel_op_table *x = *(const reel_op_table *const *)a;
    const reel_op_table *y = *(const reel_op_table *const *)b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The registered tables in listing order. Sorted once, on first use: the
 * registry itself is read-only, so the sorted copy is built under a
 * pthread_once into a table of pointers that never changes afterwards. */
static const reel_op_table *sorted_tables[OP_TABLES_MAX];
static size_t n_sorted_tables;
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static void sort_tables(void)
{
    size_t n = REEL_REGISTRY_COUNT(op_tables);
    if (n > OP_TABLES_MAX)
        n = OP_TABLES_MAX; /* a static assertion's worth: 64 features */
    for (size_t i = 0; i < n; i++)
        sorted_tables[i] = REEL_REGISTRY_BEGIN(op_tables)[i];
    qsort(sorted_tables, n, sizeof sorted_tables[0], table_cmp);
    n_sorted_tables = n;
}

size_t reel_service_tables(const reel_op_table *const **out)
{
    pthread_once(&sorted_once, sort_tables);
    *out = sorted_tables;
    return n_sorted_tables;
}

static size_t table_index(const reel_op_table *t)
{
    const reel_op_table *const *tables;
    size_t n = reel_service_tables(&tables);
    for (size_t i = 0; i < n; i++)
        if (tables[i] == t)
            return i;
    return OP_TABLES_MAX;
}

void *reel_service_state(reel_service *s, const reel_op_table *t)
{
    size_t i = table_index(t);
    return i < OP_TABLES_MAX ? s->state[i] : NULL;
}

void reel_service_state_set(reel_service *s, const reel_op_table *t, void *state)
{
    size_t i = table_index(t);
    if (i < OP_TABLES_MAX)
        s->state[i] = state;
}

const char *reel_service_root(const reel_service *s)
{
    return s->root;
}

const reel_op *reel_service_op_at(size_t i)
{
    const reel_op_table *const *tables;
    size_t n_tables = reel_service_tables(&tables);
    for (size_t t = 0; t < n_tables; t++) {
        if (i < tables[t]->n)
            return &tables[t]->ops[i];
        i -= tables[t]->n;
    }
    return NULL;
}

const reel_op *reel_service_op_find(const char *name)
{
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++)
        if (strcmp(op->name, name) == 0)
            return op;
    return NULL;
}

static void reel_service_close_base(reel_service *s);

int reel_service_open(reel_service **out, const char *root, reel_error *err)
{
    *out = NULL;
    reel_service *s = calloc(1, sizeof *s);
    if (!s)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = reel_store_open(&s->st, root, false, err);
    if (rc) {
        free(s);
        return rc;
    }
    s->pool[0] = s->st;
    s->n_pool = 1;
    snprintf(s->root, sizeof s->root, "%s", reel_store_root(s->st));
    pthread_mutex_init(&s->st_lock, NULL);
    pthread_cond_init(&s->st_free, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_done, NULL);
    pthread_mutex_init(&s->sub_lock, NULL);
    const reel_op_table *const *tables;
    size_t n_tables = reel_service_tables(&tables);
    for (size_t t = 0; t < n_tables && rc == 0; t++) {
        if (tables[t]->init && (rc = tables[t]->init(s, err))) {
            while (t-- > 0)
                if (tables[t]->fini)
                    tables[t]->fini(s);
        }
    }
    if (rc) {
        s->n_subs = 0;
        reel_service_close_base(s);
        return rc;
    }
    *out = s;
    return REEL_OK;
}

void reel_service_attach_control(reel_service *s, reel_control *ctl, reel_store *ctl_store)
{
    s->control = ctl;
    s->ctl_store = ctl_store;
    s->control_thread = pthread_self();
    s->have_control_thread = true;
}

/* Fail whatever is still queued (the control thread is going away). */
static void fail_queue(reel_service *s, const char *why, bool closing)
{
    pthread_mutex_lock(&s->q_lock);
    s->closing |= closing;
    s->control = NULL;
    for (pending_call *p = s->q_head; p; p = p->next) {
        p->rc = reel_error_set(&p->err, REEL_ESTATE, "%s", why);
        p->done = true;
    }
    s->q_head = s->q_tail = NULL;
    pthread_cond_broadcast(&s->q_done);
    pthread_mutex_unlock(&s->q_lock);
}

int reel_service_run_op(reel_service *s, const char *op, json_t *args, const char *origin,
                        json_t **out, reel_error *err)
{
    return reel_service_call(s, op, args, origin, out, err);
}

void reel_service_detach_control(reel_service *s)
{
    fail_queue(s, "the recorder stopped (reel serve is shutting down)", false);
    const reel_op_table *const *tables;
    for (size_t t = reel_service_tables(&tables); t-- > 0;)
        if (tables[t]->detach)
            tables[t]->detach(s);
}

/* What open made before the modules' init. */
static void reel_service_close_base(reel_service *s)
{
    fail_queue(s, "reel is shutting down", true);
    for (int i = 0; i < s->n_pool; i++)
        reel_store_close(s->pool[i]);
    pthread_mutex_destroy(&s->st_lock);
    pthread_cond_destroy(&s->st_free);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_done);
    pthread_mutex_destroy(&s->sub_lock);
    free(s);
}

void reel_service_close(reel_service *s)
{
    if (!s)
        return;
    fail_queue(s, "reel is shutting down", true);
    const reel_op_table *const *tables;
    for (size_t t = reel_service_tables(&tables); t-- > 0;)
        if (tables[t]->fini)
            tables[t]->fini(s);
    reel_service_close_base(s);
}

/* A store handle no other op is using: a free one, a new one while the
 * pool may grow, else wait for one. */
static int pool_acquire(reel_service *s, int *slot, reel_error *err)
{
    pthread_mutex_lock(&s->st_lock);
    for (;;) {
        for (int i = 0; i < s->n_pool; i++) {
            if (s->pool[i] && !s->pool_busy[i]) {
                s->pool_busy[i] = true;
                *slot = i;
                pthread_mutex_unlock(&s->st_lock);
                return REEL_OK;
            }
        }
        if (s->n_pool < STORE_POOL_MAX)
            break;
        pthread_cond_wait(&s->st_free, &s->st_lock);
    }
    int i = s->n_pool++; /* reserved: pool[i] is NULL until opened */
    s->pool_busy[i] = true;
    pthread_mutex_unlock(&s->st_lock);
    reel_store *st = NULL;
    int rc = reel_store_open(&st, s->root, false, err);
    pthread_mutex_lock(&s->st_lock);
    if (rc) {
        if (i == s->n_pool - 1)
            s->n_pool--;
        s->pool_busy[i] = false;
    } else {
        s->pool[i] = st;
        *slot = i;
    }
    pthread_mutex_unlock(&s->st_lock);
    return rc;
}

static void pool_release(reel_service *s, int slot)
{
    pthread_mutex_lock(&s->st_lock);
    s->pool_busy[slot] = false;
    pthread_cond_signal(&s->st_free);
    pthread_mutex_unlock(&s->st_lock);
}

int reel_service_store_borrow(reel_service *s, reel_store **st, reel_error *err)
{
    int slot;
    int rc = pool_acquire(s, &slot, err);
    *st = rc ? NULL : s->pool[slot];
    return rc;
}

void reel_service_store_return(reel_service *s, reel_store *st)
{
    for (int i = 0; st && i < STORE_POOL_MAX; i++)
        if (s->pool[i] == st) {
            pool_release(s, i);
            return;
        }
}

static int run_op(reel_service *s, const reel_op *op, json_t *args, const char *origin,
                  int64_t received_ns, json_t **out, reel_error *err)
{
    reel_op_ctx x = {.service = s, .control = s->control, .origin = origin,
                     .received_ns = received_ns};
    if (op->flags & REEL_OP_CONTROL) {
        x.st = s->ctl_store;
        return op->fn(&x, args, out, err);
    }
    int slot;
    int rc = pool_acquire(s, &slot, err);
    if (rc)
        return rc;
    x.st = s->pool[slot];
    rc = op->fn(&x, args, out, err);
    pool_release(s, slot);
    return rc;
}

int reel_service_call(reel_service *s, const char *name, json_t *args, const char *origin,
                      json_t **out, reel_error *err)
{
    int64_t received_ns = reel_clock_mono_now(); /* the instant the call arrived */
    *out = NULL;
    const reel_op *op = reel_service_op_find(name);
    if (!op)
        return reel_error_set(err, REEL_ENOENT, "unknown operation '%.64s'", name);
    json_t *empty = NULL;
    if (!args)
        args = empty = json_object();
    json_error_t je;
    const char *text = reel_op_schema(op);
    json_t *schema = text ? json_loads(text, 0, &je) : NULL;
    int rc;
    if (!text) {
        rc = reel_error_set(err, REEL_EIO, "%s: no argument schema is registered", name);
        goto out;
    }
    if (!schema) {
        rc = reel_error_set(err, REEL_EIO, "%s: its argument schema does not parse (%s)", name,
                            je.text);
        goto out;
    }
    rc = reel_schema_check(schema, args, err);
    json_decref(schema);
    if (rc) {
        char m[REEL_ERROR_MSG_MAX];
        snprintf(m, sizeof m, "%s", err ? err->msg : "");
        reel_error_set(err, rc, "%s: %s", name, m);
        goto out;
    }
    if (!origin)
        origin = "reel";
    if (!(op->flags & REEL_OP_CONTROL)) {
        rc = run_op(s, op, args, origin, received_ns, out, err);
        goto out;
    }
    if (s->control && s->have_control_thread &&
        pthread_equal(pthread_self(), s->control_thread)) {
        rc = run_op(s, op, args, origin, received_ns, out, err);
        goto out;
    }
    pending_call p = {.op = op, .args = args, .origin = origin, .received_ns = received_ns};
    pthread_mutex_lock(&s->q_lock);
    if (s->closing || !s->control) {
        pthread_mutex_unlock(&s->q_lock);
        rc = reel_error_set(err, REEL_ESTATE,
                            "%s needs a running recorder: start `reel serve` on this store", name);
        goto out;
    }
    if (s->q_tail)
        s->q_tail->next = &p;
    else
        s->q_head = &p;
    s->q_tail = &p;
    while (!p.done)
        pthread_cond_wait(&s->q_done, &s->q_lock);
    pthread_mutex_unlock(&s->q_lock);
    rc = p.rc;
    *out = p.out;
    if (rc && err)
        *err = p.err;
out:
    json_decref(empty);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int reel_service_poll(reel_service *s, int timeout_ms, reel_error *err)
{
    for (;;) {
        pthread_mutex_lock(&s->q_lock);
        pending_call *p = s->q_head;
        if (p) {
            s->q_head = p->next;
            if (!s->q_head)
                s->q_tail = NULL;
        }
        pthread_mutex_unlock(&s->q_lock);
        if (!p)
            break;
        reel_error_clear(&p->err);
        p->rc = run_op(s, p->op, p->args, p->origin, p->received_ns, &p->out, &p->err);
        pthread_mutex_lock(&s->q_lock);
        p->done = true;
        pthread_cond_broadcast(&s->q_done);
        pthread_mutex_unlock(&s->q_lock);
        timeout_ms = 0; /* more may be queued: look again soon */
    }
    for (int i = 0; i < s->n_ticks; i++)
        s->ticks[i].fn(s, s->ticks[i].ud);
    if (!s->control)
        return REEL_OK;
    return reel_control_poll(s->control, timeout_ms, err);
}

int reel_service_on_tick(reel_service *s, void (*fn)(reel_service *s, void *ud), void *ud)
{
    if (s->n_ticks == TICKS_MAX)
        return REEL_EFULL;
    s->ticks[s->n_ticks].fn = fn;
    s->ticks[s->n_ticks].ud = ud;
    s->n_ticks++;
    return REEL_OK;
}

int reel_service_subscribe(reel_service *s, reel_service_event_fn fn, void *ud)
{
    pthread_mutex_lock(&s->sub_lock);
    int rc = REEL_OK;
    if (s->n_subs == SUBSCRIBERS_MAX) {
        rc = REEL_EFULL;
    } else {
        s->subs[s->n_subs].fn = fn;
        s->subs[s->n_subs].ud = ud;
        s->n_subs++;
    }
    pthread_mutex_unlock(&s->sub_lock);
    return rc;
}

void reel_service_unsubscribe(reel_service *s, reel_service_event_fn fn, void *ud)
{
    pthread_mutex_lock(&s->sub_lock);
    for (int i = 0; i < s->n_subs; i++) {
        if (s->subs[i].fn == fn && s->subs[i].ud == ud) {
            s->subs[i] = s->subs[--s->n_subs];
            break;
        }
    }
    pthread_mutex_unlock(&s->sub_lock);
}

void reel_service_publish(reel_service *s, const char *event, json_t *data)
{
    pthread_mutex_lock(&s->sub_lock);
    for (int i = 0; i < s->n_subs; i++)
        s->subs[i].fn(s->subs[i].ud, event, data);
    pthread_mutex_unlock(&s->sub_lock);
}

/* ---- argument helpers -------------------------------------------------------- */

