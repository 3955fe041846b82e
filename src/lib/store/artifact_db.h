/*
 * artifact_db.h — reel.db, the SQLite index: artifacts, tags, lineage,
 * and the registry of recorded streams.
 *
 * Owns: the schema (and its migrations) and every SQL statement. Content lives in the CAS; the
 * database only names it. Implemented by db.c (the handle), artifact_db.c
 * (artifacts, tags, lineage), stream_db.c (streams) and moment_db.c
 * (moments), over the helpers of db_sql.h. Must never: be the only copy of anything that
 * cannot be rebuilt (stream definitions and manifests live in CAS too).
 * Opened in WAL mode with a busy timeout, so `reel record` and `reel slice`
 * in two processes share it.
 */
#ifndef REEL_ARTIFACT_DB_H
#define REEL_ARTIFACT_DB_H

#include "core/hash.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_db reel_db;

int reel_db_open(reel_db **out, const char *path, reel_error *err);
void reel_db_close(reel_db *db);

/* The SQLite handle and file name, for modules that keep tables of their
 * own in reel.db (session_db.c); they own those tables' SQL. */
struct sqlite3;
struct sqlite3 *reel_db_sqlite(reel_db *db);
const char *reel_db_path(const reel_db *db);

#define REEL_ARTIFACT_ID_MAX 64

typedef struct reel_artifact {
    char id[REEL_ARTIFACT_ID_MAX];     /* "art-<16 hex>" */
    reel_hash content;                 /* the blob it names */
    char mime[96];
    char kind[32];                     /* stream-definition | slice | virtual-slice | session */
    char parent[REEL_ARTIFACT_ID_MAX]; /* "" if none */
    char creator[64];
    int64_t created_ns;
    char stream_uri[512];              /* "" if none */
    int64_t from_frame, to_frame;      /* source window; -1 if none */
    int64_t from_wall_ns, to_wall_ns;  /* 0 if none */
    char *source_chunks_json; /* JSON array (malloc'd, may be NULL) */
    char *clock_json;         /* JSON array of snapshots used (malloc'd, may be NULL) */
    char *meta_json;          /* free-form JSON object (malloc'd, may be NULL) */
} reel_artifact;

/* Free the malloc'd members (not the struct). */
void reel_artifact_clear(reel_artifact *a);

/* Make a fresh artifact id into a->id. */
int reel_artifact_new_id(reel_artifact *a, reel_error *err);

/* Insert with tags; `chunks` (n_chunks) are the content hashes of the
 * source chunks, indexed for lineage queries from a chunk to its slices. */
int reel_db_artifact_insert(reel_db *db, const reel_artifact *a, const char *const *tags,
                            size_t n_tags, const reel_hash *chunks, size_t n_chunks,
                            reel_error *err);

/* Look up by id or unique id prefix (>= 5 chars), or by "blake3:<hex>"
 * content hash (newest artifact naming it). REEL_ENOENT / REEL_EAMBIG. */
int reel_db_artifact_get(reel_db *db, const char *id, reel_artifact *out, reel_error *err);

/* Forget artifact `id` (its tags and chunk index too); its children lose
 * their parent link. Only for what a feature drops on request (a pruned
 * project version); the caller holds the transaction. */
int reel_db_artifact_delete(reel_db *db, const char *id, reel_error *err);

/* Tags of one artifact; callback per tag. */
typedef int (*reel_db_tag_fn)(const char *tag, void *ud);
int reel_db_artifact_tags(reel_db *db, const char *id, reel_db_tag_fn fn, void *ud,
                          reel_error *err);

/* Artifacts having every one of `tags` (all if n_tags == 0), newest first.
 * The callback gets a temporary artifact (do not keep pointers). */
typedef int (*reel_db_artifact_fn)(const reel_artifact *a, void *ud);
int reel_db_artifact_list(reel_db *db, const char *const *tags, size_t n_tags,
                          reel_db_artifact_fn fn, void *ud, reel_error *err);

/* Lineage: direct children (parent == id), and artifacts made from a chunk. */
int reel_db_artifact_children(reel_db *db, const char *id, reel_db_artifact_fn fn, void *ud,
                              reel_error *err);
int reel_db_artifacts_from_chunk(reel_db *db, const reel_hash *chunk, reel_db_artifact_fn fn,
                                 void *ud, reel_error *err);

/* Every content hash the index needs kept: artifact contents, the source
 * chunks of every artifact but a materialized slice (its file holds the
 * frames; its chunk list is lineage only, and retention may drop those
 * chunks), stream definitions and sealed manifests. GC roots and fsck
 * reference checks. */
typedef int (*reel_db_hash_fn)(const reel_hash *h, void *ud);
int reel_db_referenced_hashes(reel_db *db, reel_db_hash_fn fn, void *ud, reel_error *err);

/* The registry of streams. */
typedef struct reel_db_stream {
    char uri[512];
    reel_hash definition_hash;
    reel_hash manifest_id;    /* staging id of the live manifest */
    reel_hash sealed_manifest; /* content hash once stopped (zero while live) */
    char definition_artifact[REEL_ARTIFACT_ID_MAX];
    char state[16];           /* "recording" | "stopped" */
    int64_t created_ns, updated_ns;
    int64_t pid;              /* recording process, 0 if none */
} reel_db_stream;

int reel_db_stream_put(reel_db *db, const reel_db_stream *s, reel_error *err); /* upsert */
int reel_db_stream_get(reel_db *db, const char *uri, reel_db_stream *out, reel_error *err);
typedef int (*reel_db_stream_fn)(const reel_db_stream *s, void *ud);
int reel_db_stream_list(reel_db *db, reel_db_stream_fn fn, void *ud, reel_error *err);

/* Moments: points of interest on a stream's timeline (moments.h). */
typedef struct reel_db_moment {
    int64_t id;          /* assigned by insert, never reused */
    char stream_uri[512];
    int64_t frame;       /* stream frame position (>= 0) */
    int64_t wall_ns;     /* wall clock of that frame */
    char kind[8];        /* "level" | "midi" | "marker" */
    bool has_level;
    double level_db;     /* peak dBFS (level moments) */
    char name[128];      /* "" if none */
    int64_t created_ns;
} reel_db_moment;

int reel_db_moment_insert(reel_db *db, reel_db_moment *m, reel_error *err); /* sets m->id */
int reel_db_moment_get(reel_db *db, int64_t id, reel_db_moment *out, reel_error *err);
/* A stream's moments in timeline order. */
typedef int (*reel_db_moment_fn)(const reel_db_moment *m, void *ud);
int reel_db_moment_list(reel_db *db, const char *uri, reel_db_moment_fn fn, void *ud,
                        reel_error *err);

/* An artifact id as names in paths and URIs may spell it: letters, digits,
 * '-', '_' and ':' (never '/' or a dot), shorter than an id can be. */
bool reel_artifact_id_ok(const char *s);

#endif
