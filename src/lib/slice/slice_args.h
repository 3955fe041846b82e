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

/* Stable sub-codes (reel_error.reason) of the argument faults, one per
 * distinct mistake; the wire contract, so never renamed. */
#define REEL_SLICE_R_MALFORMED_JSON "slice.malformed_json"
#define REEL_SLICE_R_NOT_OBJECT "slice.not_object"
#define REEL_SLICE_R_UNKNOWN_FIELD "slice.unknown_field"
#define REEL_SLICE_R_WRONG_TYPE "slice.wrong_type"
#define REEL_SLICE_R_BAD_TAGS "slice.bad_tags"
#define REEL_SLICE_R_LAST_AND_RANGE "slice.last_and_range"
#define REEL_SLICE_R_NO_RANGE "slice.no_range"
#define REEL_SLICE_R_BAD_TIME_SPEC "slice.bad_time_spec"
#define REEL_SLICE_R_LAST_NOT_POSITIVE "slice.last_not_positive"
#define REEL_SLICE_R_BAD_FORMAT "slice.bad_format"
#define REEL_SLICE_R_BAD_SAMPLE_FORMAT "slice.bad_sample_format"

/* Slice arguments (the body of POST /api/streams/{uri}/slice, the args of
 * the stream_slice op):
 *   {"from": T, "to": T} | {"last": DUR}, "format": "wav|rf64|w64|flac|raw",
 *   "sample_format": "f32|i16|i24", "virtual": bool, "tags": [string...]
 * Unknown fields, wrong types, duplicate keys and bad time specs are
 * REEL_EINVAL, with one of the sub-codes above in err->reason. A "format"
 * given is format_given (a MIDI stream then refuses an audio format rather
 * than ignoring it). The request's strings point into `doc`, which the caller
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
