/*
 * service_remote.h — calling an op of the service in a running `reel
 * serve` over its HTTP API (POST /api/ops/<name>), for commands like
 * `reel session play` that must act on the recorder that owns the devices.
 *
 * Owns: the request and the mapping of the reply back to a reel_error
 * with the same code the daemon had. Must never: follow redirects or talk
 * to anything but the URL it was given.
 */
#ifndef REEL_SERVICE_REMOTE_H
#define REEL_SERVICE_REMOTE_H

#include "core/error.h"

#include <jansson.h>

/* `token` may be NULL. On success *out is a new reference. */
int reel_service_remote_call(const char *base_url, const char *token, const char *op,
                             json_t *args, json_t **out, reel_error *err);

#endif
