/*
 * service_ops_take.c — the take ops: record_start, record_stop,
 * record_status (take.h), the same from OSC's /record/..., HTTP
 * POST /api/ops/record_* and MCP. State changes go out as "record" events.
 *
 * Owns: the service's take module (s->take). Must never: take a file name
 * from anywhere but take_name.c's sanitizer (reel_take_start does it).
 */
#include "service/service_internal.h"

#include "model/take/take.h"

#include <stdio.h>

static void take_event(void *ud, json_t *ev)
{
    reel_service_publish(ud, "record", ev);
}

static int take_init(reel_service *s, reel_error *err)
{
    return reel_take_open(&s->take, s->st->root, take_event, s, err);
}

static void take_fini(reel_service *s)
{
    reel_take_close(s->take);
    s->take = NULL;
}

static int op_record_start(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    char uri[REEL_URI_MAX];
    int rc = reel_ops_stream_arg(x, args, uri, sizeof uri, err);
    if (rc)
        return rc;
    return reel_take_start(x->service->take, x->st, uri, reel_arg_str(args, "filename", NULL),
                           x->origin, out, err);
}

static int op_record_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    return reel_take_stop(x->service->take, x->st, out, err);
}

static int op_record_status(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args, (void)err;
    *out = reel_take_status(x->service->take);
    return REEL_OK;
}

static const reel_op ops[] = {
    {"record_start",
     "Start a take: the stream (default: the one being recorded) from now on into a WAV file "
     "in the store's exports/ folder, also kept as an artifact when stopped.",
     "{\"type\": \"object\", \"properties\": {"
     "\"filename\": {\"type\": \"string\", \"maxLength\": 1024, \"description\": \"a plain file "
     "name (letters, digits, . _ -); default take-<UTC time>.wav; never overwrites: take.wav "
     "exists -> take-1.wav\"},"
     "\"stream\": {\"type\": \"string\", \"description\": \"stream URI\"}}}",
     REEL_OP_CONTROL, op_record_start},
    {"record_stop",
     "Stop the take at the stream's head: returns its file and length at once; the file is "
     "finished and stored as an artifact right after (see record_status).",
     "{\"type\": \"object\", \"properties\": {}}", REEL_OP_CONTROL, op_record_stop},
    {"record_status",
     "The recorder state (idle, arming, recording, stopping), the current take's file, frames "
     "and seconds, and the last finished take with its artifact.",
     "{\"type\": \"object\", \"properties\": {}}", 0, op_record_status},
};

const reel_op_table reel_ops_take = {ops, sizeof ops / sizeof ops[0], take_init, take_fini};
