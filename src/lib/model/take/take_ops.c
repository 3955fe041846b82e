/*
 * take_ops.c — the take ops: record_start, record_stop,
 * record_status (take.h), the same from OSC's /record/..., HTTP
 * POST /api/ops/record_* and MCP. State changes go out as "record" events.
 *
 * Owns: the service's take module (its feature state). Must never: take a file name
 * from anywhere but take_name.c's sanitizer (reel_take_start does it).
 */
#include "core/op.h"
#include "slice/stream_pick.h"

#include "capture/stream_control.h"
#include "model/take/take.h"

#include <stdio.h>

static void take_event(void *ud, json_t *ev)
{
    reel_service_publish(ud, "record", ev);
}

static const reel_op_table take_ops;

static reel_take *take_of(reel_op_ctx *x)
{
    return reel_service_state(x->service, &take_ops);
}

static int take_init(reel_service *s, reel_error *err)
{
    reel_take *t = NULL;
    int rc = reel_take_open(&t, reel_service_root(s), take_event, s, err);
    if (rc == 0)
        reel_service_state_set(s, &take_ops, t);
    return rc;
}

static void take_fini(reel_service *s)
{
    reel_take_close(reel_service_state(s, &take_ops));
    reel_service_state_set(s, &take_ops, NULL);
}

/* The frame `uri` was at when the call arrived (the take's exact edge), from
 * the control plane; false without one (the take falls back to the store's
 * head). */
static bool take_frame(reel_op_ctx *x, const char *uri, uint64_t *at)
{
    reel_error e;
    return x->control && x->received_ns &&
           reel_stream_frame_at(x->control, uri, x->received_ns, at, NULL, NULL, &e) == 0;
}

static int op_record_start(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    char uri[REEL_URI_MAX];
    int rc = reel_stream_arg(x->st, args, uri, sizeof uri, err);
    if (rc)
        return rc;
    uint64_t at;
    bool exact = take_frame(x, uri, &at);
    return reel_take_start_at(take_of(x), x->st, uri, reel_arg_str(args, "filename", NULL),
                              x->origin, exact ? &at : NULL, out, err);
}

static int op_record_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    char uri[REEL_URI_MAX];
    uint64_t at;
    bool exact = reel_take_stream(take_of(x), uri, sizeof uri) && take_frame(x, uri, &at);
    return reel_take_stop_at(take_of(x), x->st, exact ? &at : NULL, out, err);
}

static int op_record_status(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args, (void)err;
    *out = reel_take_status(take_of(x));
    return REEL_OK;
}

static const reel_op ops[] = {
    {"record_start",
     "Start a take: the stream (default: the one being recorded) from now on into a WAV file "
     "in the store's exports/ folder, also kept as an artifact when stopped.",
     REEL_OP_CONTROL, op_record_start},
    {"record_stop",
     "Stop the take at the frame at which the stop arrived: returns its file and length at once; the file is "
     "finished and stored as an artifact right after (see record_status).", REEL_OP_CONTROL, op_record_stop},
    {"record_status",
     "The recorder state (idle, arming, recording, stopping), the current take's file, frames "
     "and seconds, and the last finished take with its artifact.", 0, op_record_status},
};

static const reel_op_table take_ops = {
    .name = "take",
    .order = 5,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = take_init,
    .fini = take_fini,
};
REEL_OP_TABLE(take_ops);
