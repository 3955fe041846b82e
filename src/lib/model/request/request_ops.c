/*
 * request_ops.c — the op `session_request`: request-response
 * capture (request.h) for HTTP, OSC, MCP and `reel call`.
 *
 * Owns: its schema and argument mapping. Must never: run on the control
 * thread (it takes seconds: it plays the file and waits for the stream's
 * head, so it runs on the caller's thread with the service's store).
 */
#include "core/op.h"

#include "model/request/request.h"
#include "time/timespec.h"

#include <stdio.h>
#include <string.h>

static int duration_arg(json_t *args, const char *key, int64_t dflt, int64_t *ns,
                        reel_error *err)
{
    const char *v = reel_arg_str(args, key, NULL);
    *ns = dflt;
    if (!v)
        return REEL_OK;
    reel_error e;
    reel_error_clear(&e);
    if (reel_duration_parse(v, ns, &e))
        return reel_error_set(err, REEL_EINVAL, "%s: %s", key, e.msg);
    return REEL_OK;
}

static int op_session_request(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *tags[16];
    size_t n = 0, i;
    json_t *t;
    json_array_foreach(json_object_get(args, "tags"), i, t) tags[n++] = json_string_value(t);
    reel_request_opts o = {
        .midi = reel_arg_str(args, "midi", NULL),
        .out_port = reel_arg_str(args, "out", NULL),
        .stream_uri = reel_arg_str(args, "audio", NULL),
        .session = reel_arg_str(args, "session", NULL),
        .tags = tags,
        .n_tags = n,
        .creator = x->origin,
    };
    json_t *th = json_object_get(args, "threshold_db");
    o.threshold_db = th ? json_number_value(th) : 0;
    int rc;
    if ((rc = duration_arg(args, "tail", -1, &o.tail_ns, err)) ||
        (rc = duration_arg(args, "preroll", -1, &o.preroll_ns, err)) ||
        (rc = duration_arg(args, "lead", 0, &o.lead_ns, err)) ||
        (rc = duration_arg(args, "max_latency", 0, &o.max_latency_ns, err)))
        return rc;
    if ((rc = reel_request_run(x->st, &o, out, err)))
        return rc;
    reel_service_publish(x->service, "request", *out);
    return REEL_OK;
}

#define DURATION(what) "{\"type\": \"string\", \"minLength\": 1, \"description\": \"" what "\"}"

static const reel_op ops[] = {
    {"session_request",
     "Request-response: play a MIDI file (a path or a MIDI artifact) to a JACK MIDI input while "
     "an audio stream records the response on the same JACK frame clock; stores the MIDI sent "
     "and the audio captured as linked artifacts with the measured round-trip latency.",
     0, op_session_request},
};

static const reel_op_table request_ops = {
    .name = "request",
    .order = 4,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(request_ops);
