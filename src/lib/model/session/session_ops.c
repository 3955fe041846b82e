/*
 * session_ops.c — the session ops: session_create, session_play,
 * session_stop, session_status (session_export: session_export.c; streams
 * one at a time: model/stream/). Where a mark lands on each stream:
 * session_marks.c; the stored session artifact: session_artifact.c.
 *
 * What stop does to streams: streams the session started (they were not
 * recording when it played) are stopped, their last chunk and manifest
 * sealed. Streams that were recording already (`reel serve --source ...`)
 * keep recording: stopping them would cut the continuous recording that
 * is reel's point. Their segment range is in chunks that are sealed at
 * the next rotation (the engine protocol has no "rotate now" request);
 * until then the range is held in the live staging chunk, which crash
 * recovery seals up to the last reported head.
 *
 * Owns: the session op handlers and their op table: when a session plays, stops
 * and is stored. Must never: change what is recorded off the control thread, or
 * leave a temporary file behind.
 */
#include "core/op.h"

#include "io/capture.h"
#include "time/clock.h"
#include "capture/control.h"
#include "capture/stream_control.h"
#include "core/fsutil.h"
#include "model/session/session.h"
#include "model/session/session_artifact.h"
#include "model/session/session_db.h"
#include "model/session/session_marks.h"
#include "slice/slice.h"
#include "store/store.h"
#include "media/tar_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOP_TIMEOUT_NS 5000000000LL

static void publish_session(reel_op_ctx *x, const reel_session *s, const char *what)
{
    json_t *doc = reel_session_to_json(s);
    if (!doc)
        return;
    json_object_set_new(doc, "event", json_string(what));
    reel_service_publish(x->service, "session", doc);
    json_decref(doc);
}

/* ---- sessions ------------------------------------------------------------- */

static int session_doc(reel_op_ctx *x, const reel_session *s, json_t **out, reel_error *err)
{
    (void)x;
    *out = reel_session_to_json(s);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static int recording_uri(const reel_db_stream *row, void *ud)
{
    reel_session *s = ud;
    reel_error e2;
    if (strcmp(row->state, "recording") == 0 && s->n_streams < REEL_SESSION_STREAMS_MAX)
        reel_session_add_stream(s, row->uri, &e2);
    return 0;
}

static int op_session_create(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_session_mode mode;
    int rc = reel_session_mode_parse(reel_arg_str(args, "mode", "passive"), &mode, err);
    if (rc)
        return rc;
    char id[REEL_SESSION_ID_MAX];
    if ((rc = reel_session_new_id(id, err)))
        return rc;
    reel_session s;
    reel_session_init(&s, id, mode, reel_clock_wall_now());
    json_t *streams = json_object_get(args, "streams"), *v;
    size_t i;
    json_array_foreach(streams, i, v) {
        if ((rc = reel_session_add_stream(&s, json_string_value(v), err)))
            goto out;
    }
    if (json_array_size(streams) == 0 &&
        (rc = reel_db_stream_list(reel_store_db(x->st), recording_uri, &s, err)))
        goto out;
    if (s.n_streams == 0) {
        rc = reel_error_set(err, REEL_EINVAL,
                            "a session needs a stream: name one (\"streams\": [URI]) or start "
                            "`reel serve` so that one records");
        goto out;
    }
    if ((rc = reel_session_save(reel_store_db(x->st), &s, err)) || (rc = session_doc(x, &s, out, err)))
        goto out;
    publish_session(x, &s, "created");
out:
    reel_session_free(&s);
    return rc;
}

static int op_session_play(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_session s;
    int rc = reel_session_load(reel_store_db(x->st), reel_arg_str(args, "id", ""), &s, err);
    if (rc)
        goto out;
    if (s.state == REEL_SESSION_COMPLETE) {
        rc = reel_error_set(err, REEL_ESTATE,
                            "session %s is complete: it cannot play again (create a new one)",
                            s.id);
        goto out;
    }
    /* Streams that are not recording start now; the session owns them. */
    bool now_started[REEL_SESSION_STREAMS_MAX] = {false};
    for (size_t i = 0; i < s.n_streams; i++) {
        reel_control_stream_info in;
        reel_error e2;
        if (reel_control_stream_get(x->control, s.streams[i], &in, &e2) == 0 && in.recording)
            continue;
        if ((rc = reel_stream_start_defined(x->control, x->st, s.streams[i], err))) {
            /* All or nothing: what this play started stops again. */
            for (size_t k = 0; k < i; k++) {
                reel_error e3;
                if (now_started[k])
                    reel_control_stop_stream(x->control, s.streams[k], STOP_TIMEOUT_NS, &e3);
            }
            goto out;
        }
        s.started[i] = now_started[i] = true;
    }
    reel_session_mark now;
    reel_session_take_mark(x, &s, &now);
    if ((rc = reel_session_play(&s, &now, err)))
        goto out;
    if (s.n_segs >= 2)
        reel_session_fill_chunks(x->st, &s, &s.segs[s.n_segs - 2]);
    reel_session_fill_chunks(x->st, &s, &s.segs[s.n_segs - 1]);
    if ((rc = reel_session_save(reel_store_db(x->st), &s, err)) || (rc = session_doc(x, &s, out, err)))
        goto out;
    publish_session(x, &s, "play");
out:
    reel_session_free(&s);
    return rc;
}

static int op_session_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_session s;
    int rc = reel_session_load(reel_store_db(x->st), reel_arg_str(args, "id", ""), &s, err);
    if (rc)
        goto out;
    reel_session_mark now;
    reel_session_take_mark(x, &s, &now);
    if ((rc = reel_session_stop(&s, &now, err)))
        goto out;
    reel_session_segment *g = &s.segs[s.n_segs - 1];
    for (size_t i = 0; i < s.n_streams; i++) {
        if (!s.started[i])
            continue;
        reel_error e2;
        int src = reel_control_stop_stream(x->control, s.streams[i], STOP_TIMEOUT_NS, &e2);
        if (src && src != REEL_ESTATE) {
            rc = src;
            *err = e2;
            goto out;
        }
        /* Its segment ends with its last frame: everything it recorded
         * belongs to the take. */
        reel_stream_view v;
        if (reel_store_stream_open(x->st, s.streams[i], &v, &e2) == 0) {
            if (g->start.at[i].present) {
                g->end.at[i].present = true;
                g->end.at[i].frame = v.manifest.total_frames;
                if (g->end.at[i].frame < g->start.at[i].frame)
                    g->end.at[i].frame = g->start.at[i].frame;
                /* MIDI clock at that last frame: every pulse recorded. */
                reel_control_stream_info in;
                g->end.at[i].has_midi_ticks = false;
                if (v.def.kind == REEL_STREAM_MIDI &&
                    reel_control_stream_get(x->control, s.streams[i], &in, &e2) == 0 &&
                    in.have_final && in.final.midi_clock_ticks > 0) {
                    g->end.at[i].midi_ticks = in.final.midi_clock_ticks;
                    g->end.at[i].has_midi_ticks = true;
                }
            }
            reel_stream_view_free(&v);
        }
    }
    for (size_t k = 0; k < s.n_segs; k++)
        reel_session_fill_chunks(x->st, &s, &s.segs[k]);
    if ((rc = reel_session_store_artifact(x, &s, err)) ||
        (rc = reel_session_save(reel_store_db(x->st), &s, err)) || (rc = session_doc(x, &s, out, err)))
        goto out;
    publish_session(x, &s, "stop");
    json_t *a = json_pack("{s:s, s:s, s:s}", "artifact", s.artifact, "kind", "session",
                          "session", s.id);
    reel_service_publish(x->service, "artifact", a);
    json_decref(a);
out:
    reel_session_free(&s);
    return rc;
}

static int list_one(const reel_session *s, void *ud)
{
    json_t *j = reel_session_to_json(s);
    return j ? json_array_append_new(ud, j) : REEL_ENOMEM;
}

static int op_session_status(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "id", NULL);
    if (!id) {
        json_t *all = json_array();
        int rc = reel_session_list(reel_store_db(x->st), list_one, all, err);
        if (rc) {
            json_decref(all);
            return rc == REEL_ENOMEM ? reel_error_set(err, rc, "out of memory") : rc;
        }
        *out = all;
        return REEL_OK;
    }
    reel_session s;
    int rc = reel_session_load(reel_store_db(x->st), id, &s, err);
    if (rc == 0)
        rc = session_doc(x, &s, out, err);
    reel_session_free(&s);
    return rc;
}

static const reel_op ops[] = {
    {"session_create",
     "Create a session over streams (default: the streams recording now); mode passive or "
     "request-response.",
     0, op_session_create},
    {"session_play",
     "Start a new segment of a session (ending the current one); starts its streams that are "
     "not recording.", REEL_OP_CONTROL, op_session_play},
    {"session_stop",
     "End the current segment and complete the session: streams it started are stopped and "
     "sealed; the session is stored as an artifact.", REEL_OP_CONTROL, op_session_stop},
    {"session_status", "One session's document (segments, clocks, chunks), or every session.",
     0, op_session_status},
};

static const reel_op_table session_ops = {
    .name = "session",
    .order = 2,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(session_ops);
