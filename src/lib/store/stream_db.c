/*
 * stream_db.c — the streams of reel.db: one row per recorded stream URI
 * (its definition, newest manifest, state and recorder pid).
 *
 * Owns: the SQL of the streams table (created by the "artifacts" schema
 * module's first step, artifact_db.c). Must never: be the only copy of a
 * definition or manifest (both live in the CAS; a row only names them).
 */
#include "store/db_sql.h"

#define STREAM_COLS                                                                   \
    "uri, definition_hash, manifest_id, sealed_manifest, definition_artifact, state, " \
    "created_ns, updated_ns, pid"

int reel_db_stream_put(reel_db *db, const reel_db_stream *s, reel_error *err)
{
    if (!fits(s->uri, sizeof s->uri) || !s->uri[0])
        return reel_error_set(err, REEL_EINVAL, "stream has no uri");
    if (!fits(s->state, sizeof s->state) || !s->state[0] ||
        !fits(s->definition_artifact, sizeof s->definition_artifact))
        return reel_error_set(err, REEL_EINVAL, "stream %s has no state or a bad artifact id",
                              s->uri);

    /* One statement, so it is atomic without a transaction. created_ns is
     * kept on update: a stream is created once, however often it restarts. */
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "INSERT INTO streams (" STREAM_COLS ")"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                     " ON CONFLICT (uri) DO UPDATE SET"
                     " definition_hash = excluded.definition_hash,"
                     " manifest_id = excluded.manifest_id,"
                     " sealed_manifest = excluded.sealed_manifest,"
                     " definition_artifact = excluded.definition_artifact,"
                     " state = excluded.state, updated_ns = excluded.updated_ns,"
                     " pid = excluded.pid",
                     &st, "save stream", err);
    if (rc)
        return rc;
    if (bind_text(st, 1, s->uri) || bind_opt_hash(st, 2, &s->definition_hash) ||
        bind_opt_hash(st, 3, &s->manifest_id) || bind_opt_hash(st, 4, &s->sealed_manifest) ||
        bind_opt_text(st, 5, s->definition_artifact) || bind_text(st, 6, s->state) ||
        sqlite3_bind_int64(st, 7, s->created_ns) || sqlite3_bind_int64(st, 8, s->updated_ns) ||
        sqlite3_bind_int64(st, 9, s->pid) || sqlite3_step(st) != SQLITE_DONE)
        rc = reel_db_fail(db, err, "save stream %s", s->uri);
    sqlite3_finalize(st);
    return rc;
}

static int row_to_stream(reel_db *db, sqlite3_stmt *st, reel_db_stream *s, reel_error *err)
{
    memset(s, 0, sizeof *s);
    const char *uri = (const char *)sqlite3_column_text(st, 0);
    if (!col_copy(st, 0, s->uri, sizeof s->uri) ||
        !col_copy(st, 4, s->definition_artifact, sizeof s->definition_artifact) ||
        !col_copy(st, 5, s->state, sizeof s->state))
        return reel_error_set(err, REEL_ECORRUPT, "%s: stream %.80s has an over-long field",
                              db->path, uri ? uri : "(null)");
    if (!col_hash(st, 1, &s->definition_hash) || !col_hash(st, 2, &s->manifest_id) ||
        !col_hash(st, 3, &s->sealed_manifest))
        return reel_error_set(err, REEL_ECORRUPT, "%s: stream %s has a malformed hash", db->path,
                              s->uri);
    s->created_ns = col_int(st, 6, 0);
    s->updated_ns = col_int(st, 7, 0);
    s->pid = col_int(st, 8, 0);
    return REEL_OK;
}

int reel_db_stream_get(reel_db *db, const char *uri, reel_db_stream *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!uri || !uri[0])
        return reel_error_set(err, REEL_EINVAL, "missing stream uri");
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT " STREAM_COLS " FROM streams WHERE uri = ?1", &st,
                     "look up stream", err);
    if (rc)
        return rc;
    int step = bind_text(st, 1, uri) ? SQLITE_ERROR : sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = row_to_stream(db, st, out, err);
    else if (step == SQLITE_DONE)
        rc = reel_error_set(err, REEL_ENOENT, "no stream %s", uri);
    else
        rc = reel_db_fail(db, err, "look up stream %s", uri);
    sqlite3_finalize(st);
    return rc;
}

int reel_db_stream_list(reel_db *db, reel_db_stream_fn fn, void *ud, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT " STREAM_COLS " FROM streams ORDER BY uri", &st,
                     "list streams", err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_db_stream s;
        if ((rc = row_to_stream(db, st, &s, err)) || (rc = fn(&s, ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = reel_db_fail(db, err, "list streams");
    sqlite3_finalize(st);
    return rc;
}
