/*
 * session_ops.c — the session ops: session_create, session_play,
 * session_stop, session_status (session_export: session_export.c; streams
 * one at a time: model/stream/).
 *
 * Marks (session.h) are taken on the control thread from the control
 * plane's newest head of each stream. The engine reports a head every
 * ~100 ms with the clocks of the period it belongs to (clock_frame,
 * mono_ns), so the frame at the instant of the mark is that pairing carried
 * forward on the monotonic clock at the nominal rate: off by the drift of
 * the device clock over < 100 ms plus scheduling jitter (sub-millisecond
 * for the tone and file sources, one period for JACK). A stream the
 * session itself starts is exact: its segment begins at its first frame;
 * one the session stops ends at its last frame.
 *
 * MIDI clock ticks at a mark (MIDI streams that received clock): the pulses
 * (0xF8) of this recording before the mark's frame, exactly, read back from
 * the records once the head has passed that frame (a mark waits up to
 * ~100 ms for it, capture/recorder.h); null when none ever arrived.
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
 * Owns: marks and the session artifact. Must never: change what is recorded off the control thread, or
 * leave a temporary file behind.
 */
#include "core/op.h"

#include "io/capture.h"
#include "time/clock.h"
#include "capture/control.h"
#include "capture/stream_control.h"
#include "core/fsutil.h"
#include "model/session/session.h"
#include "model/session/session_db.h"
#include "slice/slice.h"
#include "store/store.h"
#include "media/tar_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOP_TIMEOUT_NS 5000000000LL
#define TICKS_WAIT_NS 1000000000LL /* for the head to pass a mark (heads come every ~100 ms) */

static void publish_session(reel_op_ctx *x, const reel_session *s, const char *what)
{
    json_t *doc = reel_session_to_json(s);
    if (!doc)
        return;
    json_object_set_new(doc, "event", json_string(what));
    reel_service_publish(x->service, "session", doc);
    json_decref(doc);
}

/* ---- marks and chunk ranges ---------------------------------------------- */

/* Every clock now; see the top of the file for the precision. */
static void take_mark(reel_op_ctx *x, const reel_session *s, reel_session_mark *m)
{
    memset(m, 0, sizeof *m);
    m->mono_ns = x->received_ns ? x->received_ns : reel_clock_mono_now();
    m->wall_ns = reel_clock_wall_now() - (reel_clock_mono_now() - m->mono_ns);
    for (size_t i = 0; i < s->n_streams; i++) {
        reel_session_point *p = &m->at[i];
        reel_error e2;
        p->present = reel_stream_frame_at(x->control, s->streams[i], m->mono_ns, &p->frame,
                                          &p->device_frame, &p->has_device_frame, &e2) == 0;
        reel_control_stream_info in;
        uint64_t ticks;
        bool any = false;
        /* MIDI clock: the pulses recorded before the mark's frame, once the
         * head has passed it; none ever arrived, none said. */
        if (p->present && reel_control_stream_get(x->control, s->streams[i], &in, &e2) == 0 &&
            in.def.kind == REEL_STREAM_MIDI &&
            reel_control_midi_ticks_at(x->control, s->streams[i], p->frame, TICKS_WAIT_NS, &ticks,
                                       &any, &e2) == 0 &&
            any) {
            p->midi_ticks = ticks;
            p->has_midi_ticks = true;
        }
    }
}

/* Index (0-based) of the chunk holding `frame`, from the stream's saved
 * manifest; the last known chunk if the manifest has not caught up. */
static int64_t chunk_index(reel_store *st, const char *uri, uint64_t frame)
{
    reel_stream_view v;
    reel_error e2;
    if (reel_store_stream_open(st, uri, &v, &e2))
        return -1;
    int64_t idx = -1;
    reel_chunk_entry *ch = NULL;
    size_t n = 0;
    uint64_t lo = v.manifest.first_frame;
    if (reel_manifest_chunks_in(&v.manifest, reel_store_cas(st), lo, (frame > lo ? frame : lo) + 1, &ch,
                                &n, &e2) == 0 &&
        n > 0)
        idx = (int64_t)n - 1;
    free(ch);
    reel_stream_view_free(&v);
    return idx;
}

static void fill_chunks(reel_store *st, reel_session *s, reel_session_segment *g)
{
    for (size_t i = 0; i < s->n_streams; i++) {
        if (!g->start.at[i].present)
            continue;
        g->chunks[i].first = chunk_index(st, s->streams[i], g->start.at[i].frame);
        if (g->ended && g->end.at[i].present) {
            uint64_t e = g->end.at[i].frame;
            g->chunks[i].last =
                chunk_index(st, s->streams[i], e > g->start.at[i].frame ? e - 1 : e);
        }
    }
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

/* The session's chunk hashes (sealed) over every ended segment: the
 * session artifact's source chunks, so lineage and GC see them. */
static int session_chunks(reel_store *st, const reel_session *s, reel_hash **out, size_t *n,
                          reel_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t i = 0; i < s->n_streams; i++) {
        reel_stream_view v;
        reel_error e2;
        if (reel_store_stream_open(st, s->streams[i], &v, &e2))
            continue;
        for (size_t k = 0; k < s->n_segs; k++) {
            const reel_session_segment *g = &s->segs[k];
            if (!g->ended || !g->start.at[i].present || !g->end.at[i].present ||
                g->end.at[i].frame <= g->start.at[i].frame)
                continue;
            reel_chunk_entry *ch = NULL;
            size_t nc = 0;
            if (reel_manifest_chunks_in(&v.manifest, reel_store_cas(st), g->start.at[i].frame,
                                        g->end.at[i].frame, &ch, &nc, &e2))
                continue;
            for (size_t c = 0; c < nc; c++) {
                if (!ch[c].sealed)
                    continue;
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    reel_hash *nh = realloc(*out, cap * sizeof *nh);
                    if (!nh) {
                        free(ch);
                        reel_stream_view_free(&v);
                        return reel_error_set(err, REEL_ENOMEM, "out of memory");
                    }
                    *out = nh;
                }
                bool dup = false;
                for (size_t d = 0; d < *n && !dup; d++)
                    dup = reel_hash_equal(&(*out)[d], &ch[c].hash);
                if (!dup)
                    (*out)[(*n)++] = ch[c].hash;
            }
            free(ch);
        }
        reel_stream_view_free(&v);
    }
    return REEL_OK;
}

/* Store the complete session as a "session" artifact: its document in CAS,
 * lineage to the streams' definitions, the chunks it spans. */
static int store_session_artifact(reel_op_ctx *x, reel_session *s, reel_error *err)
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    int rc = reel_artifact_new_id(&a, err);
    if (rc)
        return rc;
    snprintf(s->artifact, sizeof s->artifact, "%s", a.id);
    json_t *doc = reel_session_to_json(s);
    char *txt = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    json_t *defs = json_object();
    const char *tags[2 + REEL_SESSION_STREAMS_MAX];
    char tagbuf[REEL_SESSION_STREAMS_MAX + 1][REEL_URI_MAX + 16];
    size_t n_tags = 0;
    snprintf(tagbuf[0], sizeof tagbuf[0], "session:%s", s->id);
    tags[n_tags++] = tagbuf[0];
    for (size_t i = 0; i < s->n_streams; i++) {
        snprintf(tagbuf[i + 1], sizeof tagbuf[i + 1], "stream:%s", s->streams[i]);
        tags[n_tags++] = tagbuf[i + 1];
        reel_db_stream row;
        reel_error e2;
        if (reel_db_stream_get(reel_store_db(x->st), s->streams[i], &row, &e2) == 0) {
            json_object_set_new(defs, s->streams[i], json_string(row.definition_artifact));
            if (!a.parent[0])
                snprintf(a.parent, sizeof a.parent, "%s", row.definition_artifact);
        }
    }
    json_t *meta = json_pack("{s:s, s:s, s:I, s:o}", "session", s->id, "mode",
                             reel_session_mode_name(s->mode), "segments",
                             (json_int_t)s->n_segs, "definitions", defs);
    reel_hash *chunks = NULL;
    size_t n_chunks = 0;
    if (!txt || !meta) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = reel_cas_put_buf(reel_store_cas(x->st), txt, strlen(txt), &a.content, err)) ||
        (rc = session_chunks(x->st, s, &chunks, &n_chunks, err)))
        goto out;
    snprintf(a.mime, sizeof a.mime, "application/json");
    snprintf(a.kind, sizeof a.kind, "session");
    snprintf(a.creator, sizeof a.creator, "%.63s", x->origin);
    a.created_ns = reel_clock_wall_now();
    a.from_frame = a.to_frame = -1;
    if (s->n_segs) {
        a.from_wall_ns = s->segs[0].start.wall_ns;
        a.to_wall_ns = s->segs[s->n_segs - 1].end.wall_ns;
    }
    reel_artifact_refs refs = {.meta = meta, .tags = tags, .n_tags = n_tags, .chunks = chunks,
                               .n_chunks = n_chunks};
    rc = reel_store_artifact_put(x->st, &a, &refs, err);
out:
    if (rc)
        s->artifact[0] = '\0';
    json_decref(meta);
    free(chunks);
    free(txt);
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
    take_mark(x, &s, &now);
    if ((rc = reel_session_play(&s, &now, err)))
        goto out;
    if (s.n_segs >= 2)
        fill_chunks(x->st, &s, &s.segs[s.n_segs - 2]);
    fill_chunks(x->st, &s, &s.segs[s.n_segs - 1]);
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
    take_mark(x, &s, &now);
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
        fill_chunks(x->st, &s, &s.segs[k]);
    if ((rc = store_session_artifact(x, &s, err)) ||
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
