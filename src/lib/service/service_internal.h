/*
 * service_internal.h — what the service's files share: the op tables each
 * service_ops_*.c file defines, and small argument helpers for op bodies.
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

typedef struct pending_call {
    const reel_op *op;
    json_t *args;
    const char *origin;
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
    struct reel_take *take; /* service_ops_take.c */
};

/* Run fn(s, ud) on the control thread at every reel_service_poll (about
 * every 10 ms in serve), for work that must follow the recording: a take
 * being written, retention, detection. Must not block. */
int reel_service_on_tick(reel_service *s, void (*fn)(reel_service *s, void *ud), void *ud);

/* One file's ops. Add a table here and to `tables` in service.c. `init`
 * (optional) sets up the module's state in the service (its fields, its
 * ticks) when the service opens; `fini` releases it at close. */
typedef struct reel_op_table {
    const reel_op *ops;
    size_t n;
    int (*init)(reel_service *s, reel_error *err);
    void (*fini)(reel_service *s);
} reel_op_table;

extern const reel_op_table reel_ops_store; /* service_ops_store.c */
extern const reel_op_table reel_ops_session; /* service_ops_session.c */
extern const reel_op_table reel_ops_moments; /* service_ops_moments.c */
extern const reel_op_table reel_ops_request; /* service_ops_request.c */
extern const reel_op_table reel_ops_take;  /* service_ops_take.c */

/* The stream meant when none is named: the only one recording, else the
 * only one there is (service_ops_store.c). */
int reel_ops_default_stream(reel_op_ctx *x, char *uri, size_t cap, reel_error *err);
/* The op's "stream" argument, else the default stream above. */
int reel_ops_stream_arg(reel_op_ctx *x, json_t *args, char *uri, size_t cap, reel_error *err);

/* Arguments already passed the schema, so these only pick values out:
 * a missing optional string is `dflt`, a missing integer `dflt`. */
const char *reel_arg_str(json_t *args, const char *key, const char *dflt);
int64_t reel_arg_int(json_t *args, const char *key, int64_t dflt);
bool reel_arg_bool(json_t *args, const char *key, bool dflt);

#endif
