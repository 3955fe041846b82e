/*
 * session.c — the session model: state machine, segments, the JSON
 * document, session time specs (see session.h).
 *
 * Owns: reel_session's memory (segments array). Must never: read a clock,
 * open a file or the database: callers hand in marks and documents.
 */
#include "model/session/session.h"

#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *reel_session_mode_name(reel_session_mode m)
{
    return m == REEL_SESSION_REQUEST_RESPONSE ? "request-response" : "passive";
}

int reel_session_mode_parse(const char *s, reel_session_mode *out, reel_error *err)
{
    if (s && strcmp(s, "passive") == 0)
        *out = REEL_SESSION_PASSIVE;
    else if (s && strcmp(s, "request-response") == 0)
        *out = REEL_SESSION_REQUEST_RESPONSE;
    else
        return reel_error_set(err, REEL_EINVAL,
                              "bad session mode '%.64s' (passive or request-response)",
                              s ? s : "");
    return REEL_OK;
}

const char *reel_session_state_name(reel_session_state s)
{
    switch (s) {
    case REEL_SESSION_PLAYING: return "playing";
    case REEL_SESSION_COMPLETE: return "complete";
    default: return "created";
    }
}

static int state_parse(const char *s, reel_session_state *out)
{
    static const char *const names[] = {"created", "playing", "complete"};
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, names[i]) == 0) {
            *out = (reel_session_state)i;
            return REEL_OK;
        }
    return REEL_EINVAL;
}

int reel_session_new_id(char *out, reel_error *err)
{
    uint8_t b[6];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return reel_error_set(err, REEL_EIO, "no random bytes for a session id");
    char *p = out + sprintf(out, "ses-");
    for (size_t i = 0; i < sizeof b; i++)
        p += sprintf(p, "%02x", b[i]);
    return REEL_OK;
}

void reel_session_init(reel_session *s, const char *id, reel_session_mode mode,
                       int64_t created_ns)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->mode = mode;
    s->created_ns = created_ns;
}

void reel_session_free(reel_session *s)
{
    free(s->segs);
    s->segs = NULL;
    s->n_segs = s->cap_segs = 0;
}

int reel_session_stream_index(const reel_session *s, const char *uri)
{
    for (size_t i = 0; i < s->n_streams; i++)
        if (strcmp(s->streams[i], uri) == 0)
            return (int)i;
    return -1;
}

int reel_session_add_stream(reel_session *s, const char *uri, reel_error *err)
{
    int rc = reel_stream_uri_validate(uri, err);
    if (rc)
        return rc;
    if (s->state != REEL_SESSION_CREATED || s->n_segs)
        return reel_error_set(err, REEL_ESTATE, "session %s: streams are fixed once it played",
                              s->id);
    if (reel_session_stream_index(s, uri) >= 0)
        return reel_error_set(err, REEL_EINVAL, "session %s: stream %s given twice", s->id, uri);
    if (s->n_streams == REEL_SESSION_STREAMS_MAX)
        return reel_error_set(err, REEL_EFULL, "a session has at most %d streams",
                              REEL_SESSION_STREAMS_MAX);
    snprintf(s->streams[s->n_streams++], REEL_URI_MAX, "%s", uri);
    return REEL_OK;
}

static int push_segment(reel_session *s, reel_error *err)
{
    if (s->n_segs == REEL_SESSION_SEGMENTS_MAX)
        return reel_error_set(err, REEL_EFULL, "session %s has %d segments already", s->id,
                              REEL_SESSION_SEGMENTS_MAX);
    if (s->n_segs == s->cap_segs) {
        size_t cap = s->cap_segs ? s->cap_segs * 2 : 4;
        reel_session_segment *n = realloc(s->segs, cap * sizeof *n);
        if (!n)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        s->segs = n;
        s->cap_segs = cap;
    }
    reel_session_segment *g = &s->segs[s->n_segs++];
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < REEL_SESSION_STREAMS_MAX; i++)
        g->chunks[i] = (reel_session_chunks){-1, -1};
    return REEL_OK;
}

int reel_session_play(reel_session *s, const reel_session_mark *now, reel_error *err)
{
    if (s->state == REEL_SESSION_COMPLETE)
        return reel_error_set(err, REEL_ESTATE,
                              "session %s is complete: it cannot play again (create a new one)",
                              s->id);
    int rc = push_segment(s, err);
    if (rc)
        return rc;
    if (s->state == REEL_SESSION_PLAYING) {
        reel_session_segment *cur = &s->segs[s->n_segs - 2];
        cur->end = *now;
        cur->ended = true;
    }
    s->segs[s->n_segs - 1].start = *now;
    s->state = REEL_SESSION_PLAYING;
    return REEL_OK;
}

int reel_session_stop(reel_session *s, const reel_session_mark *now, reel_error *err)
{
    if (s->state == REEL_SESSION_COMPLETE)
        return reel_error_set(err, REEL_ESTATE, "session %s is complete already", s->id);
    if (s->state != REEL_SESSION_PLAYING)
        return reel_error_set(err, REEL_ESTATE, "session %s is not playing (play it first)",
                              s->id);
    reel_session_segment *cur = &s->segs[s->n_segs - 1];
    cur->end = *now;
    cur->ended = true;
    s->state = REEL_SESSION_COMPLETE;
    return REEL_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *mark_json(const reel_session *s, const reel_session_mark *m)
{
    json_t *per = json_object();
    for (size_t i = 0; i < s->n_streams; i++) {
        const reel_session_point *p = &m->at[i];
        if (!p->present) {
            json_object_set_new(per, s->streams[i], json_null());
            continue;
        }
        json_object_set_new(
            per, s->streams[i],
            json_pack("{s:I, s:o, s:o}", "frame", (json_int_t)p->frame, "device_frame",
                      p->has_device_frame ? json_integer((json_int_t)p->device_frame)
                                          : json_null(),
                      "midi_ticks",
                      p->has_midi_ticks ? json_integer((json_int_t)p->midi_ticks) : json_null()));
    }
    return json_pack("{s:I, s:I, s:o}", "wall_ns", (json_int_t)m->wall_ns, "mono_ns",
                     (json_int_t)m->mono_ns, "streams", per);
}

json_t *reel_session_to_json(const reel_session *s)
{
    json_t *streams = json_array(), *started = json_array(), *segs = json_array();
    for (size_t i = 0; i < s->n_streams; i++) {
        json_array_append_new(streams, json_string(s->streams[i]));
        if (s->started[i])
            json_array_append_new(started, json_string(s->streams[i]));
    }
    for (size_t k = 0; k < s->n_segs; k++) {
        const reel_session_segment *g = &s->segs[k];
        char id[24];
        snprintf(id, sizeof id, "%zu", k + 1);
        json_t *chunks = json_object();
        for (size_t i = 0; i < s->n_streams; i++) {
            if (g->chunks[i].first < 0)
                continue;
            json_object_set_new(chunks, s->streams[i],
                                json_pack("{s:I, s:o}", "first", (json_int_t)g->chunks[i].first,
                                          "last",
                                          g->chunks[i].last >= 0
                                              ? json_integer((json_int_t)g->chunks[i].last)
                                              : json_null()));
        }
        json_array_append_new(segs, json_pack("{s:s, s:o, s:o, s:o}", "id", id, "start",
                                              mark_json(s, &g->start), "end",
                                              g->ended ? mark_json(s, &g->end) : json_null(),
                                              "chunks", chunks));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "id", s->id, "mode",
                     reel_session_mode_name(s->mode), "state", reel_session_state_name(s->state),
                     "streams", streams, "started_streams", started, "segments", segs,
                     "created_ns", (json_int_t)s->created_ns, "artifact",
                     s->artifact[0] ? json_string(s->artifact) : json_null());
}

static int bad(reel_error *err, const reel_session *s, const char *what)
{
    return reel_error_set(err, REEL_ECORRUPT, "session document %s: %s", s->id[0] ? s->id : "?",
                          what);
}

static bool get_u64(json_t *o, const char *key, uint64_t *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return false;
    *v = (uint64_t)json_integer_value(j);
    return true;
}

static int mark_from_json(const reel_session *s, json_t *j, reel_session_mark *m,
                          reel_error *err)
{
    memset(m, 0, sizeof *m);
    json_t *w = json_object_get(j, "wall_ns"), *mo = json_object_get(j, "mono_ns");
    json_t *per = json_object_get(j, "streams");
    if (!json_is_integer(w) || !json_is_integer(mo) || !json_is_object(per))
        return bad(err, s, "a mark lacks wall_ns, mono_ns or streams");
    m->wall_ns = json_integer_value(w);
    m->mono_ns = json_integer_value(mo);
    for (size_t i = 0; i < s->n_streams; i++) {
        json_t *p = json_object_get(per, s->streams[i]);
        if (!p || json_is_null(p))
            continue;
        reel_session_point *pt = &m->at[i];
        if (!get_u64(p, "frame", &pt->frame))
            return bad(err, s, "a stream position lacks its frame");
        pt->present = true;
        pt->has_device_frame = get_u64(p, "device_frame", &pt->device_frame);
        pt->has_midi_ticks = get_u64(p, "midi_ticks", &pt->midi_ticks);
    }
    return REEL_OK;
}

int reel_session_from_json(json_t *doc, reel_session *s, reel_error *err)
{
    memset(s, 0, sizeof *s);
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (!id || strlen(id) >= sizeof s->id)
        return bad(err, s, "no id");
    snprintf(s->id, sizeof s->id, "%s", id);
    if (reel_session_mode_parse(json_string_value(json_object_get(doc, "mode")), &s->mode,
                                NULL) ||
        state_parse(json_string_value(json_object_get(doc, "state")), &s->state))
        return bad(err, s, "bad mode or state");
    json_t *created = json_object_get(doc, "created_ns");
    s->created_ns = json_is_integer(created) ? json_integer_value(created) : 0;
    const char *art = json_string_value(json_object_get(doc, "artifact"));
    if (art)
        snprintf(s->artifact, sizeof s->artifact, "%s", art);
    json_t *streams = json_object_get(doc, "streams"), *v;
    size_t i;
    if (!json_is_array(streams) || json_array_size(streams) > REEL_SESSION_STREAMS_MAX)
        return bad(err, s, "bad streams");
    json_array_foreach(streams, i, v) {
        const char *u = json_string_value(v);
        if (!u || strlen(u) >= REEL_URI_MAX)
            return bad(err, s, "bad stream");
        snprintf(s->streams[s->n_streams++], REEL_URI_MAX, "%s", u);
    }
    json_array_foreach(json_object_get(doc, "started_streams"), i, v) {
        int k = json_string_value(v) ? reel_session_stream_index(s, json_string_value(v)) : -1;
        if (k >= 0)
            s->started[k] = true;
    }
    json_t *segs = json_object_get(doc, "segments"), *g;
    if (!json_is_array(segs))
        return bad(err, s, "no segments");
    json_array_foreach(segs, i, g) {
        int rc = push_segment(s, err);
        if (rc)
            return rc;
        reel_session_segment *seg = &s->segs[s->n_segs - 1];
        if ((rc = mark_from_json(s, json_object_get(g, "start"), &seg->start, err)))
            return rc;
        json_t *end = json_object_get(g, "end");
        if (end && !json_is_null(end)) {
            if ((rc = mark_from_json(s, end, &seg->end, err)))
                return rc;
            seg->ended = true;
        }
        json_t *ch = json_object_get(g, "chunks");
        for (size_t k = 0; k < s->n_streams; k++) {
            json_t *r = json_object_get(ch, s->streams[k]);
            uint64_t a, b;
            if (r && get_u64(r, "first", &a)) {
                seg->chunks[k].first = (int64_t)a;
                seg->chunks[k].last = get_u64(r, "last", &b) ? (int64_t)b : -1;
            }
        }
    }
    return REEL_OK;
}

/* ---- time specs ----------------------------------------------------------- */

int reel_session_bound(const reel_session *s, const reel_timespec *ts,
                       const reel_session_mark **out, reel_error *err)
{
    const char *which = ts->session_end ? "end" : "start";
    const reel_session_segment *g;
    if (ts->segment[0]) {
        char *end;
        unsigned long k = strtoul(ts->segment, &end, 10);
        if (*end || ts->segment[0] < '1' || ts->segment[0] > '9' || k > s->n_segs)
            return reel_error_set(err, REEL_ENOENT,
                                  "session %s has no segment '%.32s' (segments are 1..%zu)",
                                  s->id, ts->segment, s->n_segs);
        g = &s->segs[k - 1];
    } else {
        if (s->n_segs == 0)
            return reel_error_set(err, REEL_ESTATE,
                                  "session %s has no %s yet: it never played", s->id, which);
        g = &s->segs[ts->session_end ? s->n_segs - 1 : 0];
    }
    if (!ts->session_end) {
        *out = &g->start;
        return REEL_OK;
    }
    if (!g->ended)
        return reel_error_set(err, REEL_ESTATE, "session %s%s%s is still playing: no end yet",
                              s->id, ts->segment[0] ? "/" : "", ts->segment);
    *out = &g->end;
    return REEL_OK;
}
