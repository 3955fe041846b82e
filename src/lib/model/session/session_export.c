/*
 * session_export.c — the session_export op: a session's JSON document, or a
 * ustar archive with one WAV (or SMF) per stream per ended segment plus the
 * document, stored as a session-archive artifact; each member is also a
 * slice artifact tagged session:<id>.
 *
 * Owns: the archive's layout (<id>/<segment>/<device>_<name>.wav|mid,
 * <id>/session.json). Must never: leave a temporary file behind.
 */
#include "core/op.h"

#include "core/fsutil.h"
#include "media/tar_write.h"
#include "model/session/session.h"
#include "model/session/session_db.h"
#include "slice/slice.h"
#include "store/store.h"
#include "time/clock.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {"session_export",
     "Export a session: its JSON document, or a tar archive with one WAV per audio stream and "
     "one MIDI file per MIDI stream per segment plus the JSON, stored in the store.",
     0, op_session_export},
};

static const reel_op_table session_export_ops = {
    .name = "session_export",
    .order = 2,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(session_export_ops);
