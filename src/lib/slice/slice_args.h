/*
 * slice_args.h — the one parser of slice arguments, for every surface: the
 * CLI's flags become this document too, HTTP's POST body is it, and the
 * stream_slice and grab ops receive it. One parser, so the same mistake gets
 * the same message (and the same error code) wherever it is made.
 *
 * Owns: the argument document's grammar and its error codes. Must never:
 * touch the store (it only parses).
 */
#ifndef REEL_SLICE_ARGS_H
#define REEL_SLICE_ARGS_H

#include "slice/slice.h"

#include <jansson.h>

/* Slice arguments (the body of POST /api/streams/{uri}/slice, the args of
 * the stream_slice op):
 *   {"from": T, "to": T} | {"last": DUR}, "format": "wav|rf64|w64|flac|raw",
 *   "sample_format": "f32|i16|i24", "virtual": bool, "tags": [string...]
 * Unknown fields, wrong types, duplicate keys and bad time specs are
 * REEL_EINVAL. The request's strings point into `doc`, which the caller
 * releases with reel_slice_args_free. */
typedef struct reel_slice_args {
    reel_slice_request req;
    const char *tags[64];
    json_t *doc;
    const char *error_code; /* on failure: malformed_json | unknown_field |
                               invalid_time_spec | invalid_argument */
} reel_slice_args;

int reel_slice_args_parse(const char *body, size_t len, const char *stream_uri,
                               reel_slice_args *out, reel_error *err);
/* The same from a parsed document (which `b` keeps a reference to). */
int reel_slice_args_parse_json(json_t *doc, const char *stream_uri, reel_slice_args *b,
                               reel_error *err);
void reel_slice_args_free(reel_slice_args *b);

#endif
