/*
 * session_artifact.c — the stored session: a "session" artifact holding the
 * session's document, with lineage to its streams' definitions and the
 * sealed chunks its ended segments span (see session_artifact.h).
 *
 * Owns: that artifact's content, tags, meta and source chunks. Must never:
 * change the session's marks or its row (the ops do), or name a chunk that
 * is not sealed.
 */
#include "model/session/session_artifact.h"

#include "store/store.h"
#include "time/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int reel_session_store_artifact(reel_op_ctx *x, reel_session *s, reel_error *err)
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
