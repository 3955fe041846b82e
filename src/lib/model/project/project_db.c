/*
 * project_db.c — project versions in CAS and their tables in reel.db (see
 * project_db.h).
 *
 * Order of a commit, and why: the document is checked, then put in CAS,
 * then recorded as an artifact, and only then, in one write transaction
 * that first re-reads the head, added to the history and made the head. A
 * crash or a refusal before that transaction leaves at most an unreferenced
 * blob (GC's business) and an artifact no head reaches; the head never names
 * a version that is not fully stored.
 */
#include "model/project/project_db.h"

#include "core/hash.h"
#include "store/db_schema.h"
#include "time/clock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const char tables_sql[] =
    "CREATE TABLE IF NOT EXISTS projects ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  head TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS project_versions ("
    "  project TEXT NOT NULL REFERENCES projects(id),"
    "  seq INTEGER NOT NULL,"
    "  version TEXT NOT NULL,"
    "  parent TEXT,"
    "  op TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  artifact TEXT NOT NULL,"
    "  PRIMARY KEY (project, seq));"
    "CREATE INDEX IF NOT EXISTS project_versions_version ON project_versions(project, version);"
    "CREATE TABLE IF NOT EXISTS project_redo ("
    "  project TEXT NOT NULL REFERENCES projects(id),"
    "  depth INTEGER NOT NULL,"
    "  version TEXT NOT NULL,"
    "  PRIMARY KEY (project, depth))";
static const char *const project_steps[] = {tables_sql};
static const reel_db_schema project_schema = {"projects", 20, project_steps, 1};
REEL_DB_SCHEMA(project_schema);

static int db_fail(reel_db *db, reel_error *err, const char *what)
{
    return reel_error_set(err, REEL_EDB, "%s: %s: %s", reel_db_path(db), what,
                          sqlite3_errmsg(reel_db_sqlite(db)));
}

static int exec(reel_db *db, const char *sql, const char *what, reel_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(reel_db_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = reel_error_set(err, REEL_EDB, "%s: %s: %s", reel_db_path(db), what,
                                msg ? msg : "?");
        sqlite3_free(msg);
        return rc;
    }
    return REEL_OK;
}

static void rollback(reel_db *db)
{
    sqlite3_exec(reel_db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
}

/* Prepare `sql` and bind the strings in `args` (NULL binds NULL) to ?1... */
static int prepare(reel_db *db, const char *sql, const char *const *args, size_t n,
                   sqlite3_stmt **st, const char *what, reel_error *err)
{
    if (sqlite3_prepare_v2(reel_db_sqlite(db), sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_fail(db, err, what);
    }
    for (size_t i = 0; i < n; i++) {
        int b = args[i] ? sqlite3_bind_text(*st, (int)i + 1, args[i], -1, SQLITE_TRANSIENT)
                        : sqlite3_bind_null(*st, (int)i + 1);
        if (b != SQLITE_OK) {
            sqlite3_finalize(*st);
            *st = NULL;
            return db_fail(db, err, what);
        }
    }
    return REEL_OK;
}

/* Run a statement that returns no rows. */
static int run(reel_db *db, const char *sql, const char *const *args, size_t n, const char *what,
               reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, sql, args, n, &st, what, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, what);
    sqlite3_finalize(st);
    return rc;
}

static void col(sqlite3_stmt *st, int i, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

static void row_of(sqlite3_stmt *st, reel_project_row *r)
{
    col(st, 0, r->id, sizeof r->id);
    col(st, 1, r->name, sizeof r->name);
    r->created_ns = sqlite3_column_int64(st, 2);
    col(st, 3, r->head, sizeof r->head);
}

int reel_project_get_row(reel_db *db, const char *id, reel_project_row *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    const char *a[] = {id};
    int rc = prepare(db, "SELECT id, name, created_ns, head FROM projects WHERE id = ?1", a, 1,
                     &st, "look up project", err);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        row_of(st, out);
    else if (step == SQLITE_DONE)
        rc = reel_error_set(err, REEL_ENOENT, "no project '%.64s'", id);
    else
        rc = db_fail(db, err, "look up project");
    sqlite3_finalize(st);
    return rc;
}

int reel_project_list_rows(reel_db *db, reel_project_row_fn fn, void *ud, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT id, name, created_ns, head FROM projects ORDER BY created_ns, id",
                     NULL, 0, &st, "list projects", err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_project_row r;
        row_of(st, &r);
        if ((rc = fn(&r, ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err, "list projects");
    sqlite3_finalize(st);
    return rc;
}

static int each_version(reel_db *db, const char *sql, const char *id, reel_project_version_fn fn,
                        void *ud, const char *what, reel_error *err)
{
    sqlite3_stmt *st;
    const char *a[] = {id};
    int rc = prepare(db, sql, a, 1, &st, what, err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_project_version v;
        memset(&v, 0, sizeof v);
        v.seq = sqlite3_column_int64(st, 0);
        col(st, 1, v.version, sizeof v.version);
        col(st, 2, v.parent, sizeof v.parent);
        col(st, 3, v.op, sizeof v.op);
        v.created_ns = sqlite3_column_int64(st, 4);
        col(st, 5, v.artifact, sizeof v.artifact);
        if ((rc = fn(&v, ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err, what);
    sqlite3_finalize(st);
    return rc;
}

int reel_project_versions(reel_db *db, const char *id, reel_project_version_fn fn, void *ud,
                          reel_error *err)
{
    return each_version(db,
                        "SELECT seq, version, parent, op, created_ns, artifact FROM "
                        "project_versions WHERE project = ?1 ORDER BY seq",
                        id, fn, ud, "list project versions", err);
}

int reel_project_redo_list(reel_db *db, const char *id, reel_project_version_fn fn, void *ud,
                           reel_error *err)
{
    return each_version(db,
                        "SELECT depth, version, '', 'redo', 0, '' FROM project_redo WHERE "
                        "project = ?1 ORDER BY depth DESC",
                        id, fn, ud, "list project redo", err);
}

/* One text value of a one-row query (""/REEL_ENOENT if no row). */
static int query_text(reel_db *db, const char *sql, const char *const *args, size_t n, char *out,
                      size_t len, const char *what, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, sql, args, n, &st, what, err);
    if (rc)
        return rc;
    out[0] = '\0';
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        col(st, 0, out, len);
    else if (step == SQLITE_DONE)
        rc = REEL_ENOENT;
    else
        rc = db_fail(db, err, what);
    sqlite3_finalize(st);
    return rc;
}

/* Inside a write transaction: the head is still `expect` (else conflict). */
static int head_is(reel_db *db, const char *id, const char *expect, char *head, reel_error *err)
{
    const char *a[] = {id};
    int rc = query_text(db, "SELECT head FROM projects WHERE id = ?1", a, 1, head,
                        REEL_PROJECT_VERSION_MAX, "read project head", err);
    if (rc == REEL_ENOENT)
        return reel_error_set(err, REEL_ENOENT, "no project '%.64s'", id);
    if (rc)
        return rc;
    if (expect && strcmp(head, expect) != 0)
        return reel_error_set(err, REEL_ECONFLICT,
                              "project %.64s: the edit was made on version %.71s but the head is "
                              "now %.71s (read the project again and redo the edit)",
                              id, expect, head);
    return REEL_OK;
}

static int store_artifact(reel_store *st, const char *id, const reel_hash *h, const char *op,
                          const char *origin, const char *parent_version,
                          char art_out[REEL_ARTIFACT_ID_MAX], reel_error *err)
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    int rc = reel_artifact_new_id(&a, err);
    if (rc)
        return rc;
    a.content = *h;
    snprintf(a.mime, sizeof a.mime, "application/json");
    snprintf(a.kind, sizeof a.kind, "project");
    snprintf(a.creator, sizeof a.creator, "%.63s", origin ? origin : "reel");
    a.created_ns = reel_clock_wall_now();
    a.from_frame = a.to_frame = -1;
    if (parent_version) {
        const char *args[] = {id, parent_version};
        char part[REEL_ARTIFACT_ID_MAX];
        if (query_text(reel_store_db(st),
                       "SELECT artifact FROM project_versions WHERE project = ?1 AND version = "
                       "?2 ORDER BY seq DESC LIMIT 1",
                       args, 2, part, sizeof part, "find parent version", NULL) == 0)
            snprintf(a.parent, sizeof a.parent, "%s", part);
    }
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, hs);
    json_t *meta = json_pack("{s:s, s:s, s:s, s:s?}", "project", id, "version", hs, "op", op,
                             "parent", parent_version);
    char tag[96];
    snprintf(tag, sizeof tag, "project:%.64s", id);
    const char *tags[] = {tag};
    reel_artifact_refs refs = {.meta = meta, .tags = tags, .n_tags = 1};
    rc = meta ? reel_store_artifact_put(st, &a, &refs, err)
              : reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_decref(meta);
    if (rc == 0)
        snprintf(art_out, REEL_ARTIFACT_ID_MAX, "%s", a.id);
    return rc;
}

void reel_project_loaded_free(reel_project_loaded *l)
{
    if (!l)
        return;
    json_decref(l->doc);
    reel_project_pages_free(&l->pages);
    memset(l, 0, sizeof *l);
}

/* Does what changed between `a` and `b` outside the clips leave b's clips
 * valid if they were valid in a? Clips refer to tracks, timelines (their
 * timebase, and markers for nested clips), the tempo map and the rate. */
static bool frame_keeps_clips(json_t *a, json_t *b)
{
    static const char *const keys[] = {"tracks", "tempo", "rate"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
            return false;
    json_t *ta = json_object_get(a, "timelines"), *tb = json_object_get(b, "timelines");
    if (json_array_size(ta) != json_array_size(tb))
        return false;
    for (size_t i = 0; i < json_array_size(ta); i++) {
        json_t *x = json_array_get(ta, i), *y = json_array_get(tb, i);
        if (!json_equal(json_object_get(x, "id"), json_object_get(y, "id")) ||
            !json_equal(json_object_get(x, "timebase"), json_object_get(y, "timebase")) ||
            !json_equal(json_object_get(x, "markers"), json_object_get(y, "markers")))
            return false;
    }
    return true;
}

static int check_dirty_clip(json_t *tl, json_t *clip, void *ud, reel_error *err)
{
    return reel_project_checker_clip(ud, tl, clip, err);
}

int reel_project_commit(reel_store *st, const char *id, const char *name, json_t *doc,
                        const char *op, const char *origin, const char *expect_head,
                        const reel_project_loaded *prev, reel_project_loaded *out,
                        char version_out[REEL_PROJECT_VERSION_MAX], size_t *bytes,
                        reel_error *err)
{
    reel_db *db = reel_store_db(st);
    if (out)
        memset(out, 0, sizeof *out);
    if (expect_head)
        json_object_set_new(doc, "parent", json_string(expect_head));
    else
        json_object_del(doc, "parent");
    json_object_set_new(doc, "op", json_string(op));
    /* The frame always; every clip unless the frame left the previous
     * version's clips valid, then only the clips the edit made. */
    reel_project_checker *k;
    int rc = reel_project_checker_new(doc, &k, err);
    if (rc)
        return rc;
    bool all = !prev || !frame_keeps_clips(prev->doc, doc);
    rc = reel_project_checker_frame(k, err);
    size_t i, j;
    json_t *tl, *clip;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_array_foreach(json_object_get(tl, "clips"), j, clip) {
            if (rc || !all)
                break;
            rc = reel_project_checker_clip(k, tl, clip, err);
        }
    }
    json_t *root = NULL;
    reel_project_pages pages;
    memset(&pages, 0, sizeof pages);
    size_t written = 0;
    if (!rc)
        rc = reel_project_pages_store(st, doc, prev ? &prev->pages : NULL,
                                      all ? NULL : check_dirty_clip, k, &root, &pages, &written,
                                      err);
    reel_project_checker_free(k);
    if (rc)
        return rc;
    char *txt = reel_project_doc_dump(root);
    json_decref(root);
    if (!txt) {
        reel_project_pages_free(&pages);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    reel_hash h;
    char version[REEL_PROJECT_VERSION_MAX], art[REEL_ARTIFACT_ID_MAX];
    written += strlen(txt);
    rc = reel_cas_put_buf(reel_store_cas(st), txt, strlen(txt), &h, err);
    free(txt);
    if (rc || (rc = store_artifact(st, id, &h, op, origin, expect_head, art, err)) ||
        (rc = exec(db, "BEGIN IMMEDIATE", "begin project commit", err))) {
        reel_project_pages_free(&pages);
        return rc;
    }
    reel_hash_to_string(&h, version);
    char head[REEL_PROJECT_VERSION_MAX];
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)reel_clock_wall_now());
    if (expect_head) {
        rc = head_is(db, id, expect_head, head, err);
    } else {
        const char *a[] = {id, name, now, version};
        rc = run(db, "INSERT INTO projects (id, name, created_ns, head) VALUES (?1, ?2, ?3, ?4)", a,
                 4, "create project", err);
    }
    const char *a[] = {id, version, expect_head, op, now, art};
    const char *b[] = {version, id};
    const char *c[] = {id};
    if (!rc)
        rc = run(db,
                 "INSERT INTO project_versions (project, seq, version, parent, op, created_ns, "
                 "artifact) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM project_versions "
                 "WHERE project = ?1), ?2, ?3, ?4, CAST(?5 AS INTEGER), ?6)",
                 a, 6, "add project version", err);
    if (!rc)
        rc = run(db, "UPDATE projects SET head = ?1 WHERE id = ?2", b, 2, "move project head",
                 err);
    if (!rc)
        rc = run(db, "DELETE FROM project_redo WHERE project = ?1", c, 1, "clear project redo",
                 err);
    if (!rc)
        rc = exec(db, "COMMIT", "commit project version", err);
    if (rc) {
        rollback(db);
        reel_project_pages_free(&pages);
        return rc;
    }
    snprintf(version_out, REEL_PROJECT_VERSION_MAX, "%s", version);
    if (bytes)
        *bytes = written;
    if (out) {
        snprintf(out->version, sizeof out->version, "%s", version);
        out->doc = json_incref(doc);
        out->pages = pages;
    } else {
        reel_project_pages_free(&pages);
    }
    return REEL_OK;
}

int reel_project_load_full(reel_store *st, const char *version, reel_project_loaded *out,
                           reel_error *err)
{
    memset(out, 0, sizeof *out);
    reel_hash h;
    if (reel_hash_from_hex(&h, version, err))
        return reel_error_set(err, REEL_EINVAL, "'%.80s' is not a version (want blake3:<hex>)",
                              version);
    json_t *root;
    int rc = reel_project_blob_load(st, &h, &root, err);
    if (rc)
        return rc;
    rc = reel_project_pages_assemble(st, root, &out->doc, &out->pages, err);
    json_decref(root);
    if (rc == 0)
        snprintf(out->version, sizeof out->version, "%s", version);
    return rc;
}

int reel_project_load(reel_store *st, const char *version, json_t **doc, reel_error *err)
{
    reel_project_loaded l;
    int rc = reel_project_load_full(st, version, &l, err);
    *doc = rc ? NULL : json_incref(l.doc);
    reel_project_loaded_free(&l);
    return rc;
}

int reel_project_undo(reel_db *db, const char *id, const char *expect_head,
                      char head_out[REEL_PROJECT_VERSION_MAX], reel_error *err)
{
    int rc = exec(db, "BEGIN IMMEDIATE", "begin project undo", err);
    if (rc)
        return rc;
    char head[REEL_PROJECT_VERSION_MAX], parent[REEL_PROJECT_VERSION_MAX];
    if ((rc = head_is(db, id, expect_head, head, err)))
        goto fail;
    const char *a[] = {id, head};
    rc = query_text(db,
                    "SELECT v.parent FROM project_versions v WHERE v.project = ?1 AND v.version "
                    "= ?2 AND v.parent IS NOT NULL AND EXISTS (SELECT 1 FROM project_versions p "
                    "WHERE p.project = ?1 AND p.version = v.parent) LIMIT 1",
                    a, 2, parent, sizeof parent, "find parent version", err);
    if (rc == REEL_ENOENT) {
        rc = reel_error_set(err, REEL_ESTATE, "project %.64s: nothing to undo (its head is its "
                                              "oldest version kept)", id);
        goto fail;
    }
    const char *b[] = {id, head};
    const char *c[] = {parent, id};
    if (rc ||
        (rc = run(db,
                  "INSERT INTO project_redo (project, depth, version) VALUES (?1, (SELECT "
                  "COALESCE(MAX(depth), 0) + 1 FROM project_redo WHERE project = ?1), ?2)",
                  b, 2, "push project redo", err)) ||
        (rc = run(db, "UPDATE projects SET head = ?1 WHERE id = ?2", c, 2, "move project head",
                  err)) ||
        (rc = exec(db, "COMMIT", "commit project undo", err)))
        goto fail;
    snprintf(head_out, REEL_PROJECT_VERSION_MAX, "%s", parent);
    return REEL_OK;
fail:
    rollback(db);
    return rc;
}

int reel_project_redo(reel_db *db, const char *id, const char *expect_head,
                      char head_out[REEL_PROJECT_VERSION_MAX], reel_error *err)
{
    int rc = exec(db, "BEGIN IMMEDIATE", "begin project redo", err);
    if (rc)
        return rc;
    char head[REEL_PROJECT_VERSION_MAX], next[REEL_PROJECT_VERSION_MAX];
    if ((rc = head_is(db, id, expect_head, head, err)))
        goto fail;
    const char *a[] = {id};
    rc = query_text(db,
                    "SELECT version FROM project_redo WHERE project = ?1 ORDER BY depth DESC "
                    "LIMIT 1",
                    a, 1, next, sizeof next, "read project redo", err);
    if (rc == REEL_ENOENT) {
        rc = reel_error_set(err, REEL_ESTATE, "project %.64s: nothing to redo", id);
        goto fail;
    }
    const char *c[] = {next, id};
    if (rc ||
        (rc = run(db,
                  "DELETE FROM project_redo WHERE project = ?1 AND depth = (SELECT MAX(depth) "
                  "FROM project_redo WHERE project = ?1)",
                  a, 1, "pop project redo", err)) ||
        (rc = run(db, "UPDATE projects SET head = ?1 WHERE id = ?2", c, 2, "move project head",
                  err)) ||
        (rc = exec(db, "COMMIT", "commit project redo", err)))
        goto fail;
    snprintf(head_out, REEL_PROJECT_VERSION_MAX, "%s", next);
    return REEL_OK;
fail:
    rollback(db);
    return rc;
}

/* ---- prune ----------------------------------------------------------------- */

typedef struct version_list {
    reel_project_version *v;
    size_t n, cap;
} version_list;

static int collect(const reel_project_version *v, void *ud)
{
    version_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        reel_project_version *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return REEL_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *v;
    return 0;
}

static const reel_project_version *find_version(const version_list *l, const char *version)
{
    for (size_t i = l->n; i-- > 0;)
        if (strcmp(l->v[i].version, version) == 0)
            return &l->v[i];
    return NULL;
}

int reel_project_prune(reel_db *db, const char *id, int64_t keep, int64_t *dropped,
                       reel_error *err)
{
    *dropped = 0;
    if (keep < 1)
        return reel_error_set(err, REEL_EINVAL, "keep must be at least 1 (the head)");
    int rc = exec(db, "BEGIN IMMEDIATE", "begin project prune", err);
    if (rc)
        return rc;
    version_list all = {0}, redo = {0};
    char head[REEL_PROJECT_VERSION_MAX];
    bool *kept = NULL;
    if ((rc = head_is(db, id, NULL, head, err)) ||
        (rc = reel_project_versions(db, id, collect, &all, err)) ||
        (rc = reel_project_redo_list(db, id, collect, &redo, err)))
        goto fail;
    if (!(kept = calloc(all.n + 1, sizeof *kept))) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto fail;
    }
    /* The head's line back `keep` versions, and everything redo can reach. */
    const char *walk = head;
    for (int64_t k = 0; k < keep && walk && walk[0]; k++) {
        const reel_project_version *v = find_version(&all, walk);
        if (!v)
            break;
        kept[v - all.v] = true;
        walk = v->parent;
    }
    for (size_t i = 0; i < redo.n; i++) {
        const reel_project_version *v = find_version(&all, redo.v[i].version);
        if (v)
            kept[v - all.v] = true;
    }
    for (size_t i = 0; i < all.n && !rc; i++) {
        /* One row per kept version (its newest); every other row goes. */
        if (kept[i] && find_version(&all, all.v[i].version) == &all.v[i])
            continue;
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", (long long)all.v[i].seq);
        const char *a[] = {id, seq};
        rc = run(db, "DELETE FROM project_versions WHERE project = ?1 AND seq = CAST(?2 AS INTEGER)",
                 a, 2, "drop project version", err);
        if (!rc && all.v[i].artifact[0])
            rc = reel_db_artifact_delete(db, all.v[i].artifact, err);
        if (!rc)
            (*dropped)++;
    }
    if (rc || (rc = exec(db, "COMMIT", "commit project prune", err)))
        goto fail;
    free(all.v);
    free(redo.v);
    free(kept);
    return REEL_OK;
fail:
    rollback(db);
    free(all.v);
    free(redo.v);
    free(kept);
    *dropped = 0;
    return rc;
}

typedef struct version_find {
    const char *version;
    reel_project_version *out;
    bool found;
} version_find;

static int version_find_one(const reel_project_version *v, void *ud)
{
    version_find *f = ud;
    if (!f->found && strcmp(v->version, f->version) == 0) {
        *f->out = *v;
        f->found = true;
    }
    return 0;
}

int reel_project_version_get(reel_db *db, const char *id, const char *version,
                             reel_project_version *out, reel_error *err)
{
    reel_project_row row;
    int rc = reel_project_get_row(db, id, &row, err);
    if (rc)
        return rc;
    version_find f = {.version = version ? version : row.head, .out = out};
    if ((rc = reel_project_versions(db, id, version_find_one, &f, err)))
        return rc;
    if (!f.found)
        return reel_error_set(err, REEL_ENOENT, "project %.64s has no version %.80s", id,
                              f.version);
    return REEL_OK;
}
