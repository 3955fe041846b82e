/*
 * gc_roots.c — the GC root set, one lister per kind (see gc_roots.h).
 *
 * Why every manifest is read whole (pages too): a chunk is alive while any
 * manifest still holds it, and holding is a per-chunk fact once retention
 * drops part of a page.
 */
#include "store/gc_roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lister_ctx {
    reel_gc_root_fn fn;
    void *ud;
    const char *kind;
} lister_ctx;

static int emit_kind(const reel_hash *h, void *ud)
{
    lister_ctx *c = ud;
    return c->fn(h, c->kind, c->ud);
}

typedef struct stream_emit {
    reel_gc_emit_fn emit;
    void *ud;
} stream_emit;

static int emit_manifest_hash(const reel_hash *h, bool is_page, void *ud)
{
    (void)is_page;
    stream_emit *e = ud;
    return e->emit(h, e->ud);
}

typedef struct uri_list {
    char (*uris)[REEL_URI_MAX];
    size_t n, cap;
    bool oom;
} uri_list;

static int collect_uri(const reel_db_stream *s, void *ud)
{
    uri_list *l = ud;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        void *g = realloc(l->uris, nc * sizeof *l->uris);
        if (!g) {
            l->oom = true;
            return 1;
        }
        l->uris = g;
        l->cap = nc;
    }
    snprintf(l->uris[l->n++], REEL_URI_MAX, "%s", s->uri);
    return 0;
}

/* Every stream: its definition, its manifest (the live one while it
 * records, else the sealed one), the manifest's pages and held chunks. */
static int roots_streams(reel_store *st, reel_gc_emit_fn emit, void *c, reel_error *err)
{
    stream_emit se = {emit, c};
    /* The URIs first, so no statement stays open while manifests load. */
    uri_list l = {0};
    int rc = reel_db_stream_list(reel_store_db(st), collect_uri, &l, err);
    if (l.oom)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory listing streams");
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        reel_stream_view v;
        if ((rc = reel_store_stream_open(st, l.uris[i], &v, err))) {
            /* Name the stream: GC refuses to run on what it cannot read. */
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err ? err->msg : "unreadable");
            reel_error_set(err, rc, "stream %s: %s", l.uris[i], why);
            break;
        }
        if ((rc = emit(&v.row.definition_hash, c)) == 0 &&
            (reel_hash_is_zero(&v.row.sealed_manifest) ||
             (rc = emit(&v.row.sealed_manifest, c)) == 0) &&
            (rc = emit(&v.manifest.definition_hash, c)) == 0)
            rc = reel_manifest_foreach_hash(&v.manifest, reel_store_cas(st), emit_manifest_hash, &se,
                                            err);
        reel_stream_view_free(&v);
    }
    free(l.uris);
    return rc;
}

/* The index: artifact contents, the chunks artifacts need, definitions
 * and sealed manifests (reel_db_referenced_hashes says which). */
static int roots_artifacts(reel_store *st, reel_gc_emit_fn emit, void *c, reel_error *err)
{
    return reel_db_referenced_hashes(reel_store_db(st), emit, c, err);
}

static const reel_gc_root_lister stream_roots = {"stream", roots_streams};
REEL_GC_ROOTS(stream_roots);
static const reel_gc_root_lister artifact_roots = {"artifact", roots_artifacts};
REEL_GC_ROOTS(artifact_roots);

REEL_REGISTRY_DECLARE(gc_roots, reel_gc_root_lister);

int reel_gc_roots_foreach(reel_store *st, reel_gc_root_fn fn, void *ud, reel_error *err)
{
    /* Every registered lister; the order does not matter (a set is built). */
    for (size_t k = 0; k < REEL_REGISTRY_COUNT(gc_roots); k++) {
        const reel_gc_root_lister *l = REEL_REGISTRY_BEGIN(gc_roots)[k];
        lister_ctx c = {.fn = fn, .ud = ud, .kind = l->kind};
        int rc = l->list(st, emit_kind, &c, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

typedef struct set_ctx {
    reel_hash_set *set;
    reel_error *err;
    int rc;
} set_ctx;

static int add_root(const reel_hash *h, const char *kind, void *ud)
{
    (void)kind;
    set_ctx *s = ud;
    if (reel_hash_is_zero(h))
        return 0;
    s->rc = reel_hash_set_add(s->set, h, s->err);
    return s->rc;
}

int reel_gc_roots_collect(reel_store *st, reel_hash_set *set, reel_error *err)
{
    set_ctx s = {.set = set, .err = err};
    int rc = reel_gc_roots_foreach(st, add_root, &s, err);
    return rc ? rc : s.rc;
}
