/*
 * stream_ops.c — streams one at a time: stream_create (define a stream from
 * a source spec without recording it), stream_start, stream_stop. Every
 * change goes out as a "stream" event.
 *
 * Owns: those ops. Must never: change what is recorded off the control
 * thread (all three are control ops).
 */
#include "core/op.h"

#include "capture/control.h"
#include "capture/stream_control.h"
#include "io/capture.h"
#include "store/store.h"
#include "time/clock.h"

#include <stdio.h>
#include <string.h>

#define STOP_TIMEOUT_NS 5000000000LL

static int op_stream_create(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_capture_opts co;
    memset(&co, 0, sizeof co);
    co.source.rate = (uint32_t)reel_arg_int(args, "rate", 0);
    co.source.channels = (uint32_t)reel_arg_int(args, "channels", 0);
    co.chunk_bytes = (uint64_t)reel_arg_int(args, "chunk_bytes", 0);
    const char *sf = reel_arg_str(args, "sample_format", NULL);
    int rc;
    if (sf) {
        if ((rc = reel_sample_format_parse(sf, &co.source.sample_format, err)))
            return rc;
        co.source.has_sample_format = true;
    }
    reel_stream_def def;
    memset(&def, 0, sizeof def);
    const char *uri = reel_arg_str(args, "uri", NULL);
    if (uri) {
        if ((rc = reel_stream_uri_validate(uri, err)))
            return rc;
        snprintf(def.uri, sizeof def.uri, "%s", uri);
    }
    if ((rc = reel_capture_define(reel_arg_str(args, "source", ""), &co, &def, err)))
        return rc;
    reel_control_stream_info in;
    reel_error e2;
    if (reel_control_stream_get(x->control, def.uri, &in, &e2) == 0)
        return reel_error_set(err, REEL_EEXIST, "stream %s is defined already", def.uri);
    reel_hash dh;
    char art_id[REEL_ARTIFACT_ID_MAX];
    if ((rc = reel_store_definition_put(x->st, &def, x->origin, reel_clock_wall_now(), &dh,
                                        art_id, err)) ||
        (rc = reel_control_define_stream(x->control, &def, err)))
        return rc;
    char hex[REEL_HASH_HEX + 8];
    reel_hash_to_string(&dh, hex);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "stream", def.uri, "state", "defined",
                     "definition", hex, "artifact", art_id, "kind",
                     def.kind == REEL_STREAM_MIDI ? "midi" : "audio", "rate",
                     (json_int_t)def.sample_rate);
    reel_service_publish(x->service, "stream", *out);
    return REEL_OK;
}

static int op_stream_start(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *uri = reel_arg_str(args, "stream", "");
    int rc = reel_stream_start_defined(x->control, x->st, uri, err);
    if (rc)
        return rc;
    *out = reel_stream_state_json(x->control, uri);
    reel_service_publish(x->service, "stream", *out);
    return REEL_OK;
}

static int op_stream_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *uri = reel_arg_str(args, "stream", "");
    int rc = reel_control_stop_stream(x->control, uri, STOP_TIMEOUT_NS, err);
    if (rc)
        return rc;
    *out = reel_stream_state_json(x->control, uri);
    reel_service_publish(x->service, "stream", *out);
    return REEL_OK;
}

static const reel_op ops[] = {
    {"stream_create",
     "Define a stream from a source spec (tone[:FREQ], file:PATH, alsa[:DEV], jack[:PORTS], "
     "jack-midi[:PORT], alsa-midi[:C:P]) without recording it yet.",
     REEL_OP_CONTROL, op_stream_create},
    {"stream_start", "Start recording a defined (or earlier recorded) stream.",
     REEL_OP_CONTROL, op_stream_start},
    {"stream_stop", "Stop recording one stream: its last chunk and manifest are sealed.",
     REEL_OP_CONTROL, op_stream_stop},
};

static const reel_op_table stream_ops = {
    .name = "stream",
    .order = 1,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(stream_ops);
