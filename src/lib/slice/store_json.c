/*
 * store_json.c — JSON documents for streams, artifacts and slices (see
 * store_json.h). Must never: write to the store, or print anything.
 */
#include "slice/store_json.h"

#include <string.h>

static const char *hstr(const reel_hash *h, char *buf)
{
    reel_hash_to_string(h, buf);
    return buf;
}

static int oom(reel_error *err)
{
    return reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static json_t *stream_json(reel_store *st, const reel_db_stream *row, reel_error *e)
{
    reel_stream_view v;
    if (reel_store_stream_open(st, row->uri, &v, e))
        return NULL;
    const reel_manifest *m = &v.manifest;
    char b1[80], b2[80];
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:s}", "uri",
        row->uri, "state", row->state, "kind", m->kind == REEL_STREAM_MIDI ? "midi" : "audio",
        "definition_hash", hstr(&row->definition_hash, b1), "sample_rate", (json_int_t)m->rate,
        "channels", (json_int_t)v.def.channels, "first_frame", (json_int_t)m->first_frame,
        "head_frame", (json_int_t)m->total_frames, "chunks", (json_int_t)m->n_chunks, "seconds",
        m->rate ? (double)(m->total_frames - m->first_frame) / m->rate : 0.0, "bytes",
        (json_int_t)m->total_bytes, "xruns", (json_int_t)m->xruns, "overrun_frames",
        (json_int_t)m->overrun_frames, "gaps", (json_int_t)m->gaps, "definition_artifact",
        row->definition_artifact);
    if (!j) {
        reel_stream_view_free(&v);
        oom(e);
        return NULL;
    }
    json_object_set_new(j, "sample_format",
                        json_string(reel_sample_format_name(v.def.sample_format)));
    json_object_set_new(j, "last_updated_ns", json_integer(m->last_updated_ns));
    json_object_set_new(j, "started_at_ns", json_integer(m->started_at_ns));
    json_object_set_new(j, "dropped_chunks", json_integer((json_int_t)m->dropped_chunks));
    json_object_set_new(j, "dropped_bytes", json_integer((json_int_t)m->dropped_bytes));
    if (m->has_head_clock && m->head_clock.has_midi_ticks) /* MIDI clock pulses, at head_clock */
        json_object_set_new(j, "midi_clock_ticks",
                            json_integer((json_int_t)m->head_clock.midi_ticks));
    if (!reel_hash_is_zero(&row->sealed_manifest))
        json_object_set_new(j, "manifest", json_string(hstr(&row->sealed_manifest, b2)));
    if (row->pid)
        json_object_set_new(j, "pid", json_integer(row->pid));
    if (m->has_head_clock) /* the newest clock pairing: stream frame <-> monotonic, wall */
        json_object_set_new(j, "clock",
                            json_pack("{s:I, s:I, s:I}", "frame",
                                      (json_int_t)m->head_clock.frame, "mono_ns",
                                      (json_int_t)m->head_clock.mono_ns, "wall_ns",
                                      (json_int_t)m->head_clock.wall_ns));
    reel_stream_view_free(&v);
    return j;
}

int reel_stream_status_json(reel_store *st, const char *uri, json_t **out, reel_error *err)
{
    reel_db_stream row;
    int rc = reel_db_stream_get(reel_store_db(st), uri, &row, err);
    if (rc == REEL_ENOENT)
        return reel_error_set(err, REEL_ENOENT, "unknown stream '%s' (see 'reel streams')", uri);
    if (rc)
        return rc;
    *out = stream_json(st, &row, err);
    return *out ? REEL_OK : (err && err->code ? err->code : REEL_EIO);
}

typedef struct list_ctx {
    reel_store *st;
    json_t *arr;
    reel_error *e;
    int rc;
} list_ctx;

static int collect_stream(const reel_db_stream *row, void *ud)
{
    list_ctx *l = ud;
    json_t *j = stream_json(l->st, row, l->e);
    if (!j) {
        l->rc = l->e && l->e->code ? l->e->code : REEL_EIO;
        return 1;
    }
    json_array_append_new(l->arr, j);
    return 0;
}

int reel_streams_json(reel_store *st, json_t **out, reel_error *err)
{
    reel_error local;
    reel_error_clear(&local);
    list_ctx l = {.st = st, .arr = json_array(), .e = err ? err : &local};
    if (!l.arr)
        return oom(err);
    int r = reel_db_stream_list(reel_store_db(st), collect_stream, &l, l.e);
    if (r < 0 || l.rc) {
        json_decref(l.arr);
        return r < 0 ? r : l.rc;
    }
    *out = l.arr;
    return REEL_OK;
}

static int collect_tag(const char *tag, void *ud)
{
    json_array_append_new(ud, json_string(tag));
    return 0;
}

/* A stored JSON column, or `fallback` when absent or unreadable. */
static json_t *json_column(const char *text, json_t *fallback)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!j)
        return fallback;
    json_decref(fallback);
    return j;
}

json_t *reel_artifact_json(reel_db *db, const reel_artifact *a, bool full)
{
    char b[80];
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", a->id, "content_hash",
                          hstr(&a->content, b), "mime", a->mime, "kind", a->kind, "creator",
                          a->creator, "created_ns", (json_int_t)a->created_ns);
    if (!j)
        return NULL;
    json_object_set_new(j, "parent", a->parent[0] ? json_string(a->parent) : json_null());
    if (a->stream_uri[0])
        json_object_set_new(j, "stream", json_string(a->stream_uri));
    if (a->from_frame >= 0) {
        json_object_set_new(j, "source_window",
                            json_pack("{s:I, s:I, s:I, s:I}", "from_frame",
                                      (json_int_t)a->from_frame, "to_frame",
                                      (json_int_t)a->to_frame, "from_wall_ns",
                                      (json_int_t)a->from_wall_ns, "to_wall_ns",
                                      (json_int_t)a->to_wall_ns));
    }
    json_t *tags = json_array();
    reel_db_artifact_tags(db, a->id, collect_tag, tags, NULL);
    json_object_set_new(j, "tags", tags);
    if (full) {
        json_object_set_new(j, "source_chunks", json_column(a->source_chunks_json, json_array()));
        json_object_set_new(j, "clock_snapshots", json_column(a->clock_json, json_array()));
        json_object_set_new(j, "meta", json_column(a->meta_json, json_object()));
    }
    return j;
}

typedef struct art_ctx {
    reel_db *db;
    json_t *arr;
} art_ctx;

static int collect_artifact(const reel_artifact *a, void *ud)
{
    art_ctx *x = ud;
    json_array_append_new(x->arr, reel_artifact_json(x->db, a, false));
    return 0;
}

int reel_artifacts_json(reel_db *db, const char *const *tags, size_t n_tags, json_t **out,
                        reel_error *err)
{
    art_ctx x = {db, json_array()};
    if (!x.arr)
        return oom(err);
    int rc = reel_db_artifact_list(db, tags, n_tags, collect_artifact, &x, err);
    if (rc < 0) {
        json_decref(x.arr);
        return rc;
    }
    *out = x.arr;
    return REEL_OK;
}

static int collect_child(const reel_artifact *a, void *ud)
{
    json_array_append_new(ud, json_string(a->id));
    return 0;
}

int reel_artifact_show_json(reel_db *db, const char *id, json_t **out, reel_error *err)
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    int rc = reel_db_artifact_get(db, id, &a, err);
    if (rc)
        return rc;
    json_t *j = reel_artifact_json(db, &a, true);
    if (!j) {
        reel_artifact_clear(&a);
        return oom(err);
    }
    json_t *children = json_array();
    reel_db_artifact_children(db, a.id, collect_child, children, NULL);
    json_object_set_new(j, "children", children);
    /* Ancestors: walk the parent chain (lineage upwards); the depth bound
     * keeps a corrupt cycle in the index from looping forever. */
    json_t *anc = json_array();
    char parent[REEL_ARTIFACT_ID_MAX];
    snprintf(parent, sizeof parent, "%s", a.parent);
    for (int depth = 0; parent[0] && depth < 64; depth++) {
        reel_artifact p;
        memset(&p, 0, sizeof p);
        if (reel_db_artifact_get(db, parent, &p, NULL))
            break;
        json_array_append_new(anc, json_string(p.id));
        snprintf(parent, sizeof parent, "%s", p.parent);
        reel_artifact_clear(&p);
    }
    json_object_set_new(j, "ancestors", anc);
    reel_artifact_clear(&a);
    *out = j;
    return REEL_OK;
}

json_t *reel_slice_result_json(const reel_slice_result *r, const char *out_path)
{
    char b[80];
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:s}", "artifact",
                          r->artifact_id, "content_hash", hstr(&r->content, b), "mime", r->mime,
                          "from_frame", (json_int_t)r->from_frame, "to_frame",
                          (json_int_t)r->to_frame, "frames",
                          (json_int_t)(r->to_frame - r->from_frame), "from_wall_ns",
                          (json_int_t)r->from_wall_ns, "to_wall_ns", (json_int_t)r->to_wall_ns,
                          "clamped", r->clamped, "format", reel_out_format_name(r->format),
                          "sample_format", reel_sample_format_name(r->sample_format));
    if (!j)
        return NULL;
    json_object_set_new(j, "source_chunks", json_integer((json_int_t)r->n_chunks));
    if (r->midi) {
        json_object_del(j, "sample_format");
        json_object_set_new(j, "events", json_integer((json_int_t)r->events));
    }
    if (out_path)
        json_object_set_new(j, "out", json_string(out_path));
    return j;
}
