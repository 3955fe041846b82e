/*
 * op.h — what an op is, and how a feature adds its ops to the one table.
 *
 * Every capability is an op (service/service.h has the full story): a name,
 * a summary, a JSON Schema and a function. A feature (model/take,
 * model/session...) defines a reel_op_table and registers it with
 * REEL_OP_TABLE where it is defined; service/ collects every registered
 * table, sorted by `order`, so a new feature edits no shared list.
 *
 * This header sits in core/ because features live below service/ in the
 * layer order (DESIGN.md section 7): they see the op interface, never the
 * service's insides. The few things an op asks of the service that runs it
 * (publish an event, run on every control tick, keep its module's state)
 * are declared here and implemented by service/service.c.
 *
 * Owns: the op, op-table and read-resource types and the argument pickers.
 * Must never: depend on anything above core/.
 */
#ifndef REEL_OP_H
#define REEL_OP_H

#include "core/registry.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct reel_service reel_service;
typedef struct reel_store reel_store;
typedef struct reel_control reel_control;

enum {
    REEL_OP_CONTROL = 1, /* needs the live control plane: runs on its thread */
};

/* What an op runs with. `st` is the store handle of the thread it runs on
 * (the control plane's for control ops); `control` is NULL offline. */
typedef struct reel_op_ctx {
    reel_service *service;
    reel_store *st;
    reel_control *control;
    const char *origin; /* "cli", "http", "osc", "mcp": the artifact creator */
    int64_t received_ns; /* monotonic clock when the call reached the service: the
                            instant a take or a session mark means */
} reel_op_ctx;

/* `args` has passed the op's schema; `*out` receives a new reference. */
typedef int (*reel_op_fn)(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err);

typedef struct reel_op {
    const char *name;        /* "grab", "session_play", ... */
    const char *summary;     /* one line, for MCP and `reel call --list` */
    unsigned flags;          /* REEL_OP_* */
    reel_op_fn fn;
} reel_op;

/* One feature's ops. `order` places them in listings (`reel call --list`,
 * MCP tools/list): lower first, ties by name. `init` (optional) sets up the
 * feature's state when a service opens (reel_service_state_set); `fini`
 * releases it at close; `detach` (optional) runs when the control plane
 * stops, before its devices close. */
typedef struct reel_op_table {
    const char *name; /* the feature: "store", "session", "take"... */
    int order;
    const reel_op *ops;
    size_t n;
    int (*init)(reel_service *s, reel_error *err);
    void (*fini)(reel_service *s);
    /* Optional: the control plane and its devices are about to stop
     * (reel_service_detach_control): let go of what the engine's devices
     * lend (a shared JACK client) before the engine closes them. */
    void (*detach)(reel_service *s);
} reel_op_table;

#define REEL_OP_TABLE(object) REEL_REGISTER(op_tables, reel_op_table, object)

/* An op's JSON Schema (of its arguments). Schemas are JSON files beside
 * their feature (<feature>/schemas/<op>.json), embedded and registered at
 * build time by scripts/op-schemas.py, which also derives the bounds the C
 * code shares with them (<feature>/op_bounds.h). */
typedef struct reel_op_schema {
    const char *op;
    const char *schema; /* compact JSON text */
} reel_op_schema_entry;

#define REEL_OP_SCHEMA(object) REEL_REGISTER(op_schemas, reel_op_schema_entry, object)

/* The schema text of `op`, NULL if none was registered (the service refuses
 * to run such an op, and a unit test checks every op has one). */
const char *reel_op_schema(const reel_op *op);

/* ---- read resources ---------------------------------------------------- */

/* A collection of documents a feature lets the surfaces read as resources
 * (over HTTP: GET /api/{collection}, /api/{collection}/{id} and
 * /api/{collection}/{id}/{sub}), each read answered by one of its ops, so a
 * feature gets REST routes by registering, without editing the server's
 * route list. The ops stay the one implementation: the route only builds
 * their arguments ({} for the list; {id_arg: id} plus the query keys the get
 * op takes, as strings, for an item; {id_arg: id} for a sub-resource). */
#define REEL_OP_RESOURCE_QUERY_MAX 4
#define REEL_OP_RESOURCE_SUBS_MAX 8

typedef struct reel_op_resource_sub {
    const char *name; /* the path segment: "history" */
    const char *op;   /* the op answering it: "project_history" */
} reel_op_resource_sub;

typedef struct reel_op_resource {
    const char *collection; /* the path segment: "projects" */
    const char *list_op;    /* "project_list" */
    const char *get_op;     /* "project_get" */
    const char *id_arg;     /* the argument naming the item: "project" */
    /* query keys the get op takes as string arguments ("version"); NULL ends */
    const char *get_query[REEL_OP_RESOURCE_QUERY_MAX];
    reel_op_resource_sub subs[REEL_OP_RESOURCE_SUBS_MAX]; /* {NULL} ends */
} reel_op_resource;

#define REEL_OP_RESOURCE(object) REEL_REGISTER(op_resources, reel_op_resource, object)

/* The resource registered for `collection`, NULL if none. */
const reel_op_resource *reel_op_resource_find(const char *collection);

/* ---- what an op may ask of its service (service/service.c) ---- */

/* Send event `event` with `data` (borrowed) to every subscriber (SSE, OSC,
 * MCP...). Any thread. */
void reel_service_publish(reel_service *s, const char *event, json_t *data);

/* Run fn(s, ud) on the control thread at every poll (about every 10 ms in
 * serve), for work that must follow the recording. Must not block. */
int reel_service_on_tick(reel_service *s, void (*fn)(reel_service *s, void *ud), void *ud);

/* The feature state of table `t` in this service (NULL until set). */
void *reel_service_state(reel_service *s, const reel_op_table *t);
void reel_service_state_set(reel_service *s, const reel_op_table *t, void *state);

/* Run another op of the same service, as a surface would (its schema
 * checked; a control op from the control thread runs inline): how one
 * feature uses another's op without including it (layers, DESIGN.md 7). */
int reel_service_run_op(reel_service *s, const char *op, json_t *args, const char *origin,
                        json_t **out, reel_error *err);

/* The store folder the service serves. */
const char *reel_service_root(const reel_service *s);

/* ---- argument pickers (arguments already passed the schema) ---- */

/* A missing optional string is `dflt`, a missing integer `dflt`. */
const char *reel_arg_str(json_t *args, const char *key, const char *dflt);
int64_t reel_arg_int(json_t *args, const char *key, int64_t dflt);
bool reel_arg_bool(json_t *args, const char *key, bool dflt);

#endif
