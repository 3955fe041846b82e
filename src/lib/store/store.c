/*
 * store.c — opening a store and reading a stream's state (see store.h).
 *
 * Must never: cache a manifest across calls; the recorder replaces it
 * atomically at any moment, so each read takes a fresh snapshot.
 */
#include "store/store.h"

#include "core/fsutil.h"
#include "time/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reel_store {
    char root[PATH_MAX];
    reel_cas *cas;
    reel_db *db;
};

reel_cas *reel_store_cas(const reel_store *st)
{
    return st->cas;
}

reel_db *reel_store_db(const reel_store *st)
{
    return st->db;
}

const char *reel_store_root(const reel_store *st)
{
    return st->root;
}

int reel_store_default_root(char *out, size_t len, reel_error *err)
{
    const char *home = getenv("REEL_HOME");
    if (home && *home) {
        snprintf(out, len, "%s", home);
        return REEL_OK;
    }
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg) {
        snprintf(out, len, "%s/reel", xdg);
        return REEL_OK;
    }
    const char *h = getenv("HOME");
    if (!h || !*h)
        return reel_error_set(err, REEL_EINVAL, "no store: set REEL_HOME or HOME, or use --store");
    snprintf(out, len, "%s/.local/share/reel", h);
    return REEL_OK;
}

int reel_store_open(reel_store **out, const char *root, bool create, reel_error *err)
{
    reel_store *st = calloc(1, sizeof *st);
    if (!st)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = REEL_OK;
    if (root)
        snprintf(st->root, sizeof st->root, "%s", root);
    else
        rc = reel_store_default_root(st->root, sizeof st->root, err);
    if (rc == 0 && create)
        rc = reel_fs_mkdirs(st->root, err);
    if (rc == 0)
        rc = reel_cas_open(&st->cas, st->root, create, err);
    if (rc == 0) {
        char dbpath[PATH_MAX + 16];
        snprintf(dbpath, sizeof dbpath, "%s/reel.db", st->root);
        rc = reel_db_open(&st->db, dbpath, err);
    }
    if (rc) {
        reel_store_close(st);
        return rc;
    }
    *out = st;
    return REEL_OK;
}

void reel_store_close(reel_store *st)
{
    if (!st)
        return;
    if (st->db)
        reel_db_close(st->db);
    if (st->cas)
        reel_cas_close(st->cas);
    free(st);
}

int reel_store_load_definition(reel_store *st, const reel_hash *h, reel_stream_def *def,
                               reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_content_path(st->cas, h, path);
    char *text;
    int rc = reel_fs_read_all(path, &text, NULL, err);
    if (rc)
        return rc;
    rc = reel_stream_def_from_json(text, def, err);
    free(text);
    return rc;
}

/* The recorder may seal the live manifest (and drop its file) between our
 * reading the registry and opening the file: then read the registry again. */
static int stream_open_once(reel_store *st, const char *uri, reel_stream_view *v, reel_error *err)
{
    memset(v, 0, sizeof *v);
    int rc = reel_db_stream_get(st->db, uri, &v->row, err);
    if (rc == REEL_ENOENT)
        return reel_error_set(err, REEL_ENOENT, "unknown stream '%s' (see 'reel streams')", uri);
    if (rc)
        return rc;
    if ((rc = reel_store_load_definition(st, &v->row.definition_hash, &v->def, err)))
        return rc;
    if (!reel_hash_is_zero(&v->row.sealed_manifest)) {
        char path[PATH_MAX];
        reel_cas_content_path(st->cas, &v->row.sealed_manifest, path);
        rc = reel_manifest_load_path(&v->manifest, path, err);
    } else {
        rc = reel_manifest_load(&v->manifest, st->cas, &v->row.manifest_id, err);
    }
    return rc;
}

int reel_store_stream_open(reel_store *st, const char *uri, reel_stream_view *v, reel_error *err)
{
    int rc = REEL_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        rc = stream_open_once(st, uri, v, err);
        if (rc != REEL_ENOENT || reel_hash_is_zero(&v->row.definition_hash))
            return rc;
        reel_stream_view_free(v);
    }
    return rc;
}

void reel_stream_view_free(reel_stream_view *v)
{
    reel_manifest_free(&v->manifest);
}

/* A JSON value into *dst unless one is there; *made says whether it was made
 * here (to free). */
static int dump_into(char **dst, json_t *v, bool *made)
{
    *made = false;
    if (!v || *dst)
        return 0;
    *dst = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    *made = *dst != NULL;
    return *dst ? 0 : -1;
}

int reel_store_artifact_put(reel_store *st, reel_artifact *a, const reel_artifact_refs *r,
                            reel_error *err)
{
    static const reel_artifact_refs none;
    if (!r)
        r = &none;
    int rc;
    if (!a->id[0] && (rc = reel_artifact_new_id(a, err)))
        return rc;
    if (a->created_ns == 0)
        a->created_ns = reel_clock_wall_now();
    const char **tags = calloc(r->n_tags + 2, sizeof *tags);
    char type_tag[sizeof a->kind + 8], stream_tag[sizeof a->stream_uri + 8];
    size_t n = 0;
    bool made_meta, made_clock, made_chunks;
    int oom = dump_into(&a->meta_json, r->meta, &made_meta) |
              dump_into(&a->clock_json, r->clock, &made_clock) |
              dump_into(&a->source_chunks_json, r->source_chunks, &made_chunks);
    if (!tags || oom) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory recording an artifact");
        goto out;
    }
    snprintf(type_tag, sizeof type_tag, "type:%s", a->kind);
    tags[n++] = type_tag;
    if (a->stream_uri[0]) {
        snprintf(stream_tag, sizeof stream_tag, "stream:%s", a->stream_uri);
        tags[n++] = stream_tag;
    }
    for (size_t i = 0; i < r->n_tags; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(tags[j], r->tags[i]) == 0;
        if (!dup)
            tags[n++] = r->tags[i];
    }
    rc = reel_db_artifact_insert(st->db, a, tags, n, r->chunks, r->n_chunks, err);
out:
    free(tags);
    if (made_meta) {
        free(a->meta_json);
        a->meta_json = NULL;
    }
    if (made_clock) {
        free(a->clock_json);
        a->clock_json = NULL;
    }
    if (made_chunks) {
        free(a->source_chunks_json);
        a->source_chunks_json = NULL;
    }
    return rc;
}

int reel_store_definition_put(reel_store *st, const reel_stream_def *def, const char *creator,
                              int64_t created_ns, reel_hash *dh,
                              char art_id[REEL_ARTIFACT_ID_MAX], reel_error *err)
{
    char *json;
    int rc = reel_stream_def_to_json(def, &json, err);
    if (rc)
        return rc;
    rc = reel_cas_put_buf(st->cas, json, strlen(json), dh, err);
    free(json);
    if (rc)
        return rc;
    reel_artifact a;
    memset(&a, 0, sizeof a);
    a.content = *dh;
    snprintf(a.mime, sizeof a.mime, "application/json");
    snprintf(a.kind, sizeof a.kind, "stream-definition");
    snprintf(a.creator, sizeof a.creator, "%.63s", creator);
    snprintf(a.stream_uri, sizeof a.stream_uri, "%s", def->uri);
    a.created_ns = created_ns;
    a.from_frame = a.to_frame = -1;
    if ((rc = reel_store_artifact_put(st, &a, NULL, err)))
        return rc;
    snprintf(art_id, REEL_ARTIFACT_ID_MAX, "%s", a.id);
    return REEL_OK;
}

static int first_definition(const reel_artifact *a, void *ud)
{
    *(reel_hash *)ud = a->content;
    return 1; /* newest first: the first is the one */
}

/* The newest definition of `uri`: the registry's if it ever recorded,
 * else the one stream_create stored. */
int reel_store_definition_latest(reel_store *st, const char *uri, reel_stream_def *def,
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
