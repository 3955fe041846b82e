/*
 * moments_ops.c — the ops of triggered capture: moments (list a
 * stream's moments) and marker (a moment by hand at the stream's head), so
 * OSC's /reel/marker, MCP's moments tool and HTTP answer like
 * `reel moments` and `reel marker`.
 *
 * Owns: those ops' schemas. Must never: start or stop anything (moments
 * only mark time on a stream that records regardless).
 */
#include "core/op.h"
#include "slice/stream_pick.h"

#include "model/moments/moments.h"
#include "store/store.h"

static int op_moments(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *uri = reel_arg_str(args, "stream", "");
    reel_db_stream row;
    int rc = reel_db_stream_get(reel_store_db(x->st), uri, &row, err); /* unknown stream: not found */
    if (rc)
        return rc;
    return reel_moments_json(reel_store_db(x->st), uri, out, err);
}

static int op_marker(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    char uri[REEL_URI_MAX];
    int rc = reel_stream_arg(x->st, args, uri, sizeof uri, err);
    if (rc)
        return rc;
    reel_db_moment m;
    if ((rc = reel_moment_mark(x->st, uri, reel_arg_str(args, "name", NULL), &m, err)))
        return rc;
    *out = reel_moment_json(&m);
    if (!*out)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    reel_service_publish(x->service, "moment", *out);
    return REEL_OK;
}

static const reel_op ops[] = {
    {"moments",
     "A stream's interesting moments (detected onsets of sound or MIDI, and markers): id, "
     "frame, wall clock, kind, level. Slice one with from moment:<id>-5s.",
     0, op_moments},
    {"marker",
     "Mark a moment by hand at a stream's head (default: the stream being recorded), with an "
     "optional name.",
     0, op_marker},
};

static const reel_op_table moments_ops = {
    .name = "moments",
    .order = 3,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(moments_ops);
