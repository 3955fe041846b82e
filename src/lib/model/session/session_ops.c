/*
 * session_ops.c — streams one at a time (stream_create,
 * stream_start, stream_stop) and sessions (session_create, session_play,
 * session_stop, session_status, session_export).
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
 * What stop does to streams: streams the session started (they were not
 * recording when it played) are stopped, their last chunk and manifest
 * sealed. Streams that were recording already (`reel serve --source ...`)
 * keep recording: stopping them would cut the continuous recording that
 * is reel's point. Their segment range is in chunks that are sealed at
 * the next rotation (the engine protocol has no "rotate now" request);
 * until then the range is held in the live staging chunk, which crash
 * recovery seals up to the last reported head.
 *
 * Owns: those ops' schemas, marks, the session artifact and the export
 * archive. Must never: change what is recorded off the control thread, or
 * leave a temporary file behind.
 */
#include "core/op.h"

#include "io/capture.h"
#include "time/clock.h"
#include "capture/control.h"
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

static void publish_session(reel_op_ctx *x, const reel_session *s, const char *what)
{
    json_t *doc = reel_session_to_json(s);
    if (!doc)
        return;
    json_object_set_new(doc, "event", json_string(what));
    reel_service_publish(x->service, "session", doc);
    json_decref(doc);
}

/* ---- stream definitions -------------------------------------------------- */

static int first_definition(const reel_artifact *a, void *ud)
{
    *(reel_hash *)ud = a->content;
    return 1; /* newest first: the first is the one */
}

/* The newest definition of `uri`: the registry's if it ever recorded,
 * else the one stream_create stored. */
static int stored_definition(reel_store *st, const char *uri, reel_stream_def *def,
                             reel_error *err)
{
    reel_db_stream row;
    reel_error e2;
    if (reel_db_stream_get(reel_store_db(st), uri, &row, &e2) == 0)
        return reel_store_load_definition(st, &row.definition_hash, def, err);
    char tag[REEL_URI_MAX + 16];
    snprintf(tag, sizeof tag, "stream:%s", uri);
    const char *tags[] = {"type:stream-definition", tag};
    reel_hash h;
    memset(&h, 0, sizeof h);
    int rc = reel_db_artifact_list(reel_store_db(st), tags, 2, first_definition, &h, err);
    if (rc == 1)
        return reel_store_load_definition(st, &h, def, err);
    if (rc)
        return rc;
    return reel_error_set(err, REEL_ENOENT, "no stream %s: define it with stream_create first",
                          uri);
}

/* Start `uri` in the control plane, from its stored definition if the
 * control plane does not know it. */
static int start_stream(reel_op_ctx *x, const char *uri, reel_error *err)
{
    reel_error e2;
    int rc = reel_control_start_stream(x->control, uri, NULL, &e2);
    if (rc != REEL_ENOENT) {
        if (rc)
            *err = e2;
        return rc;
    }
    reel_stream_def def;
    if ((rc = stored_definition(x->st, uri, &def, err)))
        return rc;
    return reel_control_start_stream(x->control, uri, &def, err);
}

static json_t *stream_state_json(reel_op_ctx *x, const char *uri)
{
    reel_control_stream_info in;
    reel_error e2;
    if (reel_control_stream_get(x->control, uri, &in, &e2))
        return json_pack("{s:s, s:s}", "stream", uri, "state", "unknown");
    return json_pack("{s:s, s:s, s:I, s:I}", "stream", uri, "state",
                     in.recording ? "recording" : "stopped", "frame",
                     (json_int_t)(in.have_head ? in.head.frames : in.start_frame), "rate",
                     (json_int_t)in.def.sample_rate);
}

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
    int rc = start_stream(x, uri, err);
    if (rc)
        return rc;
    *out = stream_state_json(x, uri);
    reel_service_publish(x->service, "stream", *out);
    return REEL_OK;
}

static int op_stream_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *uri = reel_arg_str(args, "stream", "");
    int rc = reel_control_stop_stream(x->control, uri, STOP_TIMEOUT_NS, err);
    if (rc)
        return rc;
    *out = stream_state_json(x, uri);
    reel_service_publish(x->service, "stream", *out);
    return REEL_OK;
}

/* ---- marks and chunk ranges ---------------------------------------------- */

/* Every clock now; see the top of the file for the precision. */
static void take_mark(reel_op_ctx *x, const reel_session *s, reel_session_mark *m)
{
    memset(m, 0, sizeof *m);
    m->mono_ns = reel_clock_mono_now();
    m->wall_ns = reel_clock_wall_now();
    for (size_t i = 0; i < s->n_streams; i++) {
        reel_control_stream_info in;
        reel_error e2;
        reel_session_point *p = &m->at[i];
        if (reel_control_stream_get(x->control, s->streams[i], &in, &e2) || !in.recording)
            continue;
        p->present = true;
        p->frame = in.start_frame;
        if (!in.have_head || in.head.mono_ns <= 0 || !in.def.sample_rate)
            continue; /* not started yet: the segment begins at its first frame */
        int64_t dt = m->mono_ns - in.head.mono_ns;
        int64_t df = dt > 0 ? (int64_t)((__int128)dt * in.def.sample_rate / 1000000000) : 0;
        p->frame = in.head.clock_frame + (uint64_t)df;
        if (p->frame < in.start_frame)
            p->frame = in.start_frame;
        p->device_frame = in.head.device_frame + (uint64_t)df;
        p->has_device_frame = true;
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
        if ((rc = start_stream(x, s.streams[i], err))) {
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

/* "stream://tone/main" -> "tone_main": a file name for archive members. */
static void member_base(const char *uri, char *out, size_t cap)
{
    const char *p = strncmp(uri, "stream://", 9) == 0 ? uri + 9 : uri;
    size_t n = 0;
    for (; *p && n + 1 < cap; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static void add_path(reel_op_ctx *x, json_t *j, const reel_hash *h)
{
    char path[PATH_MAX], hex[REEL_HASH_HEX + 8];
    reel_cas_content_path(reel_store_cas(x->st), h, path);
    reel_hash_to_string(h, hex);
    json_object_set_new(j, "hash", json_string(hex));
    json_object_set_new(j, "path", json_string(path));
}

/* One segment of one stream as a file in the store (a slice artifact). */
static int export_slice(reel_op_ctx *x, const reel_session *s, size_t seg, size_t i,
                        reel_slice_result *res, reel_error *err)
{
    const reel_session_segment *g = &s->segs[seg];
    char tag[REEL_SESSION_ID_MAX + 16];
    snprintf(tag, sizeof tag, "session:%s", s->id);
    const char *tags[] = {tag, "session-export"};
    reel_slice_request req;
    memset(&req, 0, sizeof req);
    req.stream_uri = s->streams[i];
    req.from.kind = req.to.kind = REEL_TS_FRAME;
    req.from.frame = g->start.at[i].frame;
    req.to.frame = g->end.at[i].frame;
    req.tags = tags;
    req.n_tags = 2;
    req.creator = x->origin;
    return reel_slice(x->st, &req, res, err);
}

static int export_archive(reel_op_ctx *x, const reel_session *s, json_t *res, reel_error *err)
{
    char tmp[PATH_MAX];
    int fd = -1;
    int rc = reel_fs_tmpfile(reel_cas_tmp_dir(reel_store_cas(x->st)), "session-", tmp, &fd, err);
    if (rc)
        return rc;
    int64_t mtime = reel_clock_wall_now() / 1000000000;
    json_t *members = json_array(), *slices = json_array();
    char name[512];
    for (size_t k = 0; k < s->n_segs && rc == 0; k++) {
        const reel_session_segment *g = &s->segs[k];
        if (!g->ended)
            continue;
        for (size_t i = 0; i < s->n_streams && rc == 0; i++) {
            if (!g->start.at[i].present || !g->end.at[i].present ||
                g->end.at[i].frame <= g->start.at[i].frame)
                continue;
            reel_slice_result sr;
            if ((rc = export_slice(x, s, k, i, &sr, err)))
                break;
            char base[256], path[PATH_MAX];
            member_base(s->streams[i], base, sizeof base);
            snprintf(name, sizeof name, "%s/%zu/%s.%s", s->id, k + 1, base,
                     sr.midi ? "mid" : "wav");
            reel_cas_content_path(reel_store_cas(x->st), &sr.content, path);
            if ((rc = reel_tar_add_file(fd, name, path, mtime, err)))
                break;
            json_array_append_new(members, json_string(name));
            json_array_append_new(
                slices, json_pack("{s:s, s:s, s:I, s:I, s:s}", "member", name, "stream",
                                  s->streams[i], "from_frame", (json_int_t)sr.from_frame,
                                  "to_frame", (json_int_t)sr.to_frame, "artifact",
                                  sr.artifact_id));
        }
    }
    json_t *doc = reel_session_to_json(s);
    char *txt = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (rc == 0 && !txt)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (rc == 0) {
        snprintf(name, sizeof name, "%s/session.json", s->id);
        if ((rc = reel_tar_add_buf(fd, name, txt, strlen(txt), mtime, err)) == 0)
            json_array_append_new(members, json_string(name));
    }
    free(txt);
    if (rc == 0 && (rc = reel_tar_finish(fd, err)) == 0 && fsync(fd) != 0)
        rc = reel_error_set(err, REEL_EIO, "cannot sync %s", tmp);
    close(fd);
    reel_artifact a;
    memset(&a, 0, sizeof a);
    if (rc == 0)
        rc = reel_cas_ingest(reel_store_cas(x->st), tmp, NULL, &a.content, err);
    unlink(tmp); /* gone already when ingested */
    if (rc == 0) {
        snprintf(a.mime, sizeof a.mime, "application/x-tar");
        snprintf(a.kind, sizeof a.kind, "session-archive");
        snprintf(a.creator, sizeof a.creator, "%.63s", x->origin);
        snprintf(a.parent, sizeof a.parent, "%s", s->artifact);
        a.from_frame = a.to_frame = -1;
        json_t *meta = json_pack("{s:s, s:O}", "session", s->id, "members", slices);
        char tag[REEL_SESSION_ID_MAX + 16];
        snprintf(tag, sizeof tag, "session:%s", s->id);
        const char *tags[] = {tag};
        reel_artifact_refs refs = {.meta = meta, .tags = tags, .n_tags = 1};
        rc = meta ? reel_store_artifact_put(x->st, &a, &refs, err)
                  : reel_error_set(err, REEL_ENOMEM, "out of memory");
        json_decref(meta);
    }
    if (rc == 0) {
        json_object_set_new(res, "artifact", json_string(a.id));
        json_object_set_new(res, "members", members);
        json_object_set_new(res, "slices", slices);
        add_path(x, res, &a.content);
    } else {
        json_decref(members);
        json_decref(slices);
    }
    return rc;
}

static int op_session_export(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    reel_session s;
    int rc = reel_session_load(reel_store_db(x->st), reel_arg_str(args, "id", ""), &s, err);
    if (rc)
        goto out;
    const char *format = reel_arg_str(args, "format", "json");
    json_t *res = json_pack("{s:s, s:s, s:s}", "session", s.id, "format", format, "state",
                            reel_session_state_name(s.state));
    if (strcmp(format, "archive") == 0) {
        bool any = false;
        for (size_t k = 0; k < s.n_segs; k++)
            any |= s.segs[k].ended;
        if (!any) {
            rc = reel_error_set(err, REEL_ESTATE,
                                "session %s has no ended segment to export yet", s.id);
        } else {
            rc = export_archive(x, &s, res, err);
        }
    } else {
        json_t *doc = reel_session_to_json(&s);
        char *txt = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        reel_hash h;
        if (!txt)
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        else if ((rc = reel_cas_put_buf(reel_store_cas(x->st), txt, strlen(txt), &h, err)) == 0)
            add_path(x, res, &h);
        free(txt);
        json_object_set_new(res, "artifact",
                            s.artifact[0] ? json_string(s.artifact) : json_null());
        json_object_set_new(res, "document", doc);
    }
    if (rc)
        json_decref(res);
    else
        *out = res;
out:
    reel_session_free(&s);
    return rc;
}


static const reel_op ops[] = {
    {"stream_create",
     "Define a stream from a source spec (tone[:FREQ], file:PATH, alsa[:DEV], jack[:PORTS], "
     "jack-midi[:PORT], alsa-midi[:C:P]) without recording it yet.",
     REEL_OP_CONTROL, op_stream_create},
    {"stream_start", "Start recording a defined (or earlier recorded) stream.",
     REEL_OP_CONTROL, op_stream_start},
    {"stream_stop", "Stop recording one stream: its last chunk and manifest are sealed.", REEL_OP_CONTROL, op_stream_stop},
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
    {"session_export",
     "Export a session: its JSON document, or a tar archive with one WAV per audio stream and "
     "one MIDI file per MIDI stream per segment plus the JSON, stored in the store.",
     0, op_session_export},
};

static const reel_op_table session_ops = {
    .name = "session",
    .order = 1,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(session_ops);
