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

uint64_t reel_stream_frame_from_clock(uint64_t clock_frame, int64_t clock_mono_ns, uint32_t rate,
                                      uint64_t first, int64_t at_ns)
{
    /* floor((at - mono) * rate / 1e9), also when at is before mono. */
    __int128 num = (__int128)(at_ns - clock_mono_ns) * rate;
    __int128 df = num / 1000000000;
    if (num % 1000000000 < 0)
        df--;
    __int128 f = (__int128)clock_frame + df;
    return f < (__int128)first ? first : (uint64_t)f;
}

int reel_stream_frame_at(reel_control *ctl, const char *uri, int64_t mono_ns, uint64_t *frame,
                         uint64_t *device_frame, bool *has_device, reel_error *err)
{
    reel_control_stream_info in;
    int rc = reel_control_stream_get(ctl, uri, &in, err);
    if (rc)
        return rc;
    if (!in.recording)
        return reel_error_set(err, REEL_ESTATE, "stream %s is not recording", uri);
    *frame = in.start_frame;
    if (has_device)
        *has_device = false;
    if (!in.have_head || in.head.mono_ns <= 0 || !in.def.sample_rate)
        return REEL_OK; /* not started yet: at its first frame */
    *frame = reel_stream_frame_from_clock(in.head.clock_frame, in.head.mono_ns,
                                          in.def.sample_rate, in.start_frame, mono_ns);
    if (device_frame) /* the device clock moves with the stream's frames */
        *device_frame = in.head.device_frame + (*frame - in.head.clock_frame);
    if (has_device)
        *has_device = true;
    return REEL_OK;
}
