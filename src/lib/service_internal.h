/*
 * service_internal.h — what the service's files share: the op tables each
 * service_ops_*.c file defines, and small argument helpers for op bodies.
 * Not part of the API.
 *
 * Owns: nothing. Must never: be included outside src/lib/service*.c.
 */
#ifndef REEL_SERVICE_INTERNAL_H
#define REEL_SERVICE_INTERNAL_H

#include "service.h"

#include <stddef.h>
#include <stdint.h>

/* One file's ops. Add a table here and to `tables` in service.c. */
typedef struct reel_op_table {
    const reel_op *ops;
    size_t n;
} reel_op_table;

extern const reel_op_table reel_ops_store; /* service_ops_store.c */

/* Arguments already passed the schema, so these only pick values out:
 * a missing optional string is `dflt`, a missing integer `dflt`. */
const char *reel_arg_str(json_t *args, const char *key, const char *dflt);
int64_t reel_arg_int(json_t *args, const char *key, int64_t dflt);
bool reel_arg_bool(json_t *args, const char *key, bool dflt);

#endif
