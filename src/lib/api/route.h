/*
 * route.h — where an op runs when a client outside `reel serve` asks for
 * it: the store's running `reel serve` (found through <store>/serve.json)
 * answers if there is one, since it owns the devices and the recorder;
 * otherwise the op runs in this process against the store, without a
 * recorder (control ops then fail with REEL_ESTATE naming the fix).
 *
 * The `reel` command (cli_call) and the public reel_call (api/api.c) both
 * route through here, so they reach the same place with the same answer.
 *
 * Owns: that decision, made afresh on every call (a daemon that started or
 * stopped since the last call is seen). Must never: open devices, or send
 * an op name the local op table does not know to the daemon (the name
 * becomes part of a URL).
 */
#ifndef REEL_API_ROUTE_H
#define REEL_API_ROUTE_H

#include "core/error.h"
#include "service/service.h"

#include <jansson.h>

/* Run op `op` with `args` (borrowed; NULL for {}) on the store at `root`
 * (a resolved path, not NULL). `local`: the in-process service to use when
 * no daemon runs, or NULL to open one for this call only. On success *out
 * is a new reference. Thread-safe when `local` is (reel_service_call is). */
int reel_route_call(reel_service *local, const char *root, const char *op, json_t *args,
                    const char *origin, json_t **out, reel_error *err);

#endif
