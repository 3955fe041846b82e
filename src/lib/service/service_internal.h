/*
 * service_internal.h — what the service's files share: the service struct
 * and the sorted list of registered op tables.
 * Not part of the API.
 *
 * Owns: nothing. Must never: be included outside src/lib/service*.c.
 */
#ifndef REEL_SERVICE_INTERNAL_H
#define REEL_SERVICE_INTERNAL_H

#include "service/service.h"

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SUBSCRIBERS_MAX 8
#define TICKS_MAX 8
#define STORE_POOL_MAX 16
#define OP_TABLES_MAX 64

typedef struct pending_call {
    const reel_op *op;
    json_t *args;
    const char *origin;
    int64_t received_ns;
    json_t *out;
    reel_error err;
    int rc;
    bool done;
    struct pending_call *next;
} pending_call;

/* Per-module state lives here, one field per module, so that ops keep no
 * global state; each module's fields are its own business. */
struct reel_service {
    /* Store handles for non-control ops, one per op running at once (an
     * SQLite connection is not shared between threads; slices of different
     * callers must not wait on each other's fsyncs). pool[0] is opened with
     * the service; more on demand, up to STORE_POOL_MAX. */
    reel_store *st;            /* == pool[0] */
    reel_store *pool[STORE_POOL_MAX];
    bool pool_busy[STORE_POOL_MAX];
    int n_pool;
    char root[PATH_MAX];
    pthread_mutex_t st_lock;   /* the pool */
    pthread_cond_t st_free;
    reel_control *control;     /* NULL offline */
    reel_store *ctl_store;
    pthread_t control_thread;
    bool have_control_thread;
    pthread_mutex_t q_lock;    /* queue, closing */
    pthread_cond_t q_done;
    pending_call *q_head, *q_tail;
    bool closing;
    pthread_mutex_t sub_lock;
    struct {
        reel_service_event_fn fn;
        void *ud;
    } subs[SUBSCRIBERS_MAX];
    int n_subs;
    /* called on the control thread at every poll (reel_service_on_tick) */
    struct {
        void (*fn)(reel_service *s, void *ud);
        void *ud;
    } ticks[TICKS_MAX];
    int n_ticks;
    void *state[OP_TABLES_MAX]; /* each op table's feature state, by table index */
};

/* The registered op tables, sorted by order then name (service.c). */
size_t reel_service_tables(const reel_op_table *const **out);

#endif
