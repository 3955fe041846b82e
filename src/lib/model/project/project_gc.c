/*
 * project_gc.c — what projects keep alive in the store: every version's
 * document that the history still lists (head, undo line, redo stack and
 * abandoned branches alike, until project_prune drops them), and every
 * imported file a version's clips name by hash. Sources named by artifact
 * (slices, imports, the virtual slices that hold a placed take's chunks)
 * are kept by their artifacts, which the artifact lister keeps. Every chunk
 * of a version's automation lanes (lane_doc.h) is kept by the version.
 *
 * Owns: the "project" GC root lister. Must never: skip a version it could
 * not read (the listing fails, and GC deletes nothing).
 */
#include "model/project/project_db.h"

#include "core/hash.h"
#include "store/gc_roots.h"

#include <string.h>

typedef struct walk {
    reel_store *st;
    reel_gc_emit_fn emit;
    void *ud;
    reel_error *err;
    const char *project;
} walk;

static int emit_spec(walk *w, const char *spec)
{
    reel_hash h;
    reel_error e;
    if (!spec || reel_hash_from_hex(&h, spec, &e))
        return reel_error_set(w->err, REEL_ECORRUPT, "project %s: a bad hash '%.80s' in its "
                                                     "history", w->project, spec ? spec : "");
    return w->emit(&h, w->ud);
}

static int one_version(const reel_project_version *v, void *ud)
{
    walk *w = ud;
    int rc = emit_spec(w, v->version);
    if (rc)
        return rc;
    reel_project_loaded l;
    if ((rc = reel_project_load_full(w->st, v->version, &l, w->err)))
        return rc;
    for (size_t t = 0; t < l.pages.n_tl && !rc; t++)
        for (size_t p = 0; p < l.pages.tl[t].n && !rc; p++)
            rc = w->emit(&l.pages.tl[t].page[p].hash, w->ud);
    json_t *doc = l.doc;
    size_t i, k;
    json_t *tl, *c;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_array_foreach(json_object_get(tl, "clips"), k, c) {
            const char *blob = json_string_value(
                json_object_get(json_object_get(c, "source"), "blob"));
            if (blob && (rc = emit_spec(w, blob)))
                break;
        }
        if (rc)
            break;
    }
    json_t *lane, *ch;
    json_array_foreach(json_object_get(doc, "lanes"), i, lane) {
        json_array_foreach(json_object_get(lane, "chunks"), k, ch) {
            if (!rc)
                rc = emit_spec(w, json_string_value(json_object_get(ch, "content")));
        }
    }
    reel_project_loaded_free(&l);
    return rc;
}

static int one_project(const reel_project_row *r, void *ud)
{
    walk *w = ud;
    w->project = r->id;
    return reel_project_versions(reel_store_db(w->st), r->id, one_version, w, w->err);
}

static int project_roots(reel_store *st, reel_gc_emit_fn emit, void *ud, reel_error *err)
{
    walk w = {.st = st, .emit = emit, .ud = ud, .err = err};
    int rc = reel_project_list_rows(reel_store_db(st), one_project, &w, err);
    if (rc && err && err->code == REEL_OK)
        reel_error_set(err, rc, "listing project roots failed");
    return rc;
}

static const reel_gc_root_lister project_lister = {"project", project_roots};
REEL_GC_ROOTS(project_lister);
