/*
 * service.h — one command model for every surface.
 *
 * Every operation a person, a script or an agent can ask of reel (grab the
 * last 30 s, create a session, start a take, list artifacts...) is an *op*:
 * a name, a one-line summary, a JSON Schema for its arguments and a
 * function from a JSON object to a JSON result. The CLI (through a running
 * daemon's HTTP), the HTTP API, OSC and MCP all call reel_service_call, so
 * the same question gets the same answer and the same error wherever it is
 * asked, and MCP's tools/list is this table.
 *
 * Threads: ops flagged REEL_OP_CONTROL change what is being recorded; they
 * run on the control thread (the one calling reel_service_poll), queued
 * from any other thread, because the control plane is single-threaded by
 * design. Other ops only read or add to the store; they run on the
 * caller's thread against the service's own store handle, one at a time.
 * Offline (no control plane: a CLI with no daemon running), control ops
 * fail with REEL_ESTATE naming the fix.
 *
 * Owns: the op table, argument validation against each op's schema (so
 * unknown fields and wrong types are refused before any op runs), the
 * queue to the control thread, and the event fan-out to subscribers
 * (SSE, OSC...). Must never: run a control op off the control thread, or
 * let an op see arguments that failed validation.
 */
#ifndef REEL_SERVICE_H
#define REEL_SERVICE_H

#include "core/op.h"

#include <jansson.h>
#include <stdbool.h>

/* Open a service over the store at `root` (NULL: the default store). */
int reel_service_open(reel_service **out, const char *root, reel_error *err);
void reel_service_close(reel_service *s);

/* Make control ops available: `ctl` (opened on `ctl_store`) belongs to the
 * thread that will call reel_service_poll. */
void reel_service_attach_control(reel_service *s, reel_control *ctl, reel_store *ctl_store);

/* Before the control plane closes: queued and later control ops fail with
 * REEL_ESTATE instead of waiting for a thread that is gone. */
void reel_service_detach_control(reel_service *s);

/* The ops in a stable order: the i-th, NULL past the last. */
const reel_op *reel_service_op_at(size_t i);
/* NULL when `name` is unknown. */
const reel_op *reel_service_op_find(const char *name);

/* Run op `name` with `args` (a JSON object, or NULL for {}); borrowed.
 * On success *out is a new reference. Unknown op: REEL_ENOENT; arguments
 * that do not match the schema: REEL_EINVAL naming the field. */
int reel_service_call(reel_service *s, const char *name, json_t *args, const char *origin,
                      json_t **out, reel_error *err);

/* On the control thread: run the queued control ops, then one control
 * plane step (reel_control_poll) of up to timeout_ms. */
int reel_service_poll(reel_service *s, int timeout_ms, reel_error *err);

/* Events ("head", "seal", "error", "artifact", "session", "moment",
 * "record"...) go to every subscriber, on the publishing thread; a
 * subscriber must not block. `data` is borrowed. */
typedef void (*reel_service_event_fn)(void *ud, const char *event, json_t *data);
int reel_service_subscribe(reel_service *s, reel_service_event_fn fn, void *ud);
void reel_service_unsubscribe(reel_service *s, reel_service_event_fn fn, void *ud);
/* reel_service_publish: core/op.h */

/* Borrow a store handle of the service's pool for the calling thread (an
 * SQLite connection is never shared between threads, and a slow reader must
 * not stall another), for surfaces that read the store outside an op: the
 * HTTP server's content, peaks and levels. Give it back with
 * reel_service_store_return on the same thread. Waits while every handle
 * is busy and the pool is at its size limit. */
int reel_service_store_borrow(reel_service *s, reel_store **st, reel_error *err);
void reel_service_store_return(reel_service *s, reel_store *st);

/* reel_schema_check (an op's arguments against its schema): core/json_schema.h. */
#include "core/json_schema.h"

#endif
