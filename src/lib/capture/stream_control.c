/*
 * stream_control.c — see stream_control.h.
 */
#include "capture/stream_control.h"

/* Start `uri` in the control plane, from its stored definition if the
 * control plane does not know it. */
int reel_stream_start_defined(reel_control *ctl, reel_store *st, const char *uri, reel_error *err)
{
    reel_error e2;
    int rc = reel_control_start_stream(ctl, uri, NULL, &e2);
    if (rc != REEL_ENOENT) {
        if (rc)
            *err = e2;
        return rc;
    }
    reel_stream_def def;
    if ((rc = reel_store_definition_latest(st, uri, &def, err)))
        return rc;
    return reel_control_start_stream(ctl, uri, &def, err);
}

json_t *reel_stream_state_json(reel_control *ctl, const char *uri)
{
    reel_control_stream_info in;
    reel_error e2;
    if (reel_control_stream_get(ctl, uri, &in, &e2))
        return json_pack("{s:s, s:s}", "stream", uri, "state", "unknown");
    return json_pack("{s:s, s:s, s:I, s:I}", "stream", uri, "state",
                     in.recording ? "recording" : "stopped", "frame",
                     (json_int_t)(in.have_head ? in.head.frames : in.start_frame), "rate",
                     (json_int_t)in.def.sample_rate);
}
