/*
 * project_db.h — where project versions live: each version's document in
 * CAS (named by its BLAKE3 hash, the version's name), recorded as an
 * artifact of kind "project" whose parent is the previous version's
 * artifact; and in reel.db three tables of the project feature: projects
 * (id, name, head), project_versions (every version, in order, with its
 * parent and the op that made it) and project_redo (the versions undo
 * stepped back from, newest on top).
 *
 * Undo moves the head to its parent and pushes the old head on the redo
 * stack; redo pops it back. An edit after an undo clears the stack: the
 * versions it held stay in the history (and keep their sources alive)
 * until project_prune drops them.
 *
 * Owns: those tables, and writing and reading version documents. Must
 * never: move a head to a version that is not stored and checked, or
 * change anything when it refuses (a stale head is REEL_ECONFLICT).
 */
#ifndef REEL_PROJECT_DB_H
#define REEL_PROJECT_DB_H

#include "model/project/project_doc.h"
#include "model/project/project_pages.h"
#include "store/store.h"

typedef struct reel_project_row {
    char id[REEL_PROJECT_ID_MAX];
    char name[256];
    int64_t created_ns;
    char head[REEL_PROJECT_VERSION_MAX];
} reel_project_row;

typedef struct reel_project_version {
    int64_t seq;
    char version[REEL_PROJECT_VERSION_MAX];
    char parent[REEL_PROJECT_VERSION_MAX]; /* "" for the first */
    char op[64];
    int64_t created_ns;
    char artifact[REEL_ARTIFACT_ID_MAX];
} reel_project_version;

int reel_project_get_row(reel_db *db, const char *id, reel_project_row *out, reel_error *err);

typedef int (*reel_project_row_fn)(const reel_project_row *r, void *ud);
int reel_project_list_rows(reel_db *db, reel_project_row_fn fn, void *ud, reel_error *err);

/* Versions of a project, oldest first. */
typedef int (*reel_project_version_fn)(const reel_project_version *v, void *ud);
int reel_project_versions(reel_db *db, const char *id, reel_project_version_fn fn, void *ud,
                          reel_error *err);

/* Version `version` of project `id` (NULL: its head), with its artifact:
 * REEL_ENOENT naming both when the project has no such version. */
int reel_project_version_get(reel_db *db, const char *id, const char *version,
                             reel_project_version *out, reel_error *err);

/* The redo stack, top first. */
int reel_project_redo_list(reel_db *db, const char *id, reel_project_version_fn fn, void *ud,
                           reel_error *err);

/* A version in memory: its document and the pages it is stored in. */
typedef struct reel_project_loaded {
    char version[REEL_PROJECT_VERSION_MAX];
    json_t *doc;
    reel_project_pages pages;
} reel_project_loaded;

void reel_project_loaded_free(reel_project_loaded *l);

/* Check `doc`, store it, record it as a new version of project `id` made
 * by `op`, and make it the head, if the head is still `expect_head` (NULL:
 * `id` must be a new project, created here with `name`). `prev` (may be
 * NULL) is the version `doc` was made from, loaded: clips that are the very
 * same objects as its clips are neither checked nor stored again when the
 * rest of the document leaves them valid (project_pages.h). The new version
 * into *out (its doc a new reference to `doc`; out may be NULL), its name
 * into version_out, the bytes of pages and root written into *bytes (may be
 * NULL). */
int reel_project_commit(reel_store *st, const char *id, const char *name, json_t *doc,
                        const char *op, const char *origin, const char *expect_head,
                        const reel_project_loaded *prev, reel_project_loaded *out,
                        char version_out[REEL_PROJECT_VERSION_MAX], size_t *bytes,
                        reel_error *err);

/* A stored version's document (checked against its name). */
int reel_project_load(reel_store *st, const char *version, json_t **doc, reel_error *err);

/* The same, with the pages it is stored in. */
int reel_project_load_full(reel_store *st, const char *version, reel_project_loaded *out,
                           reel_error *err);

/* Move the head: undo (to its parent), redo (to the top of the redo
 * stack). REEL_ESTATE when there is nothing to undo or redo; REEL_ECONFLICT
 * when the head is not `expect_head` (NULL: any). */
int reel_project_undo(reel_db *db, const char *id, const char *expect_head,
                      char head_out[REEL_PROJECT_VERSION_MAX], reel_error *err);
int reel_project_redo(reel_db *db, const char *id, const char *expect_head,
                      char head_out[REEL_PROJECT_VERSION_MAX], reel_error *err);

/* Keep the head, its `keep - 1` nearest ancestors and the redo stack; drop
 * every other version (row and artifact), so GC may reclaim what only
 * they used. *dropped gets the count. */
int reel_project_prune(reel_db *db, const char *id, int64_t keep, int64_t *dropped,
                       reel_error *err);

#endif
