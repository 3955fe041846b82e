/*
 * moment_db.c — the moments of reel.db: their schema module and rows (the
 * checks and the API callers use are moment_table.c's).
 *
 * Owns: the "moments" schema module (registered with db_schema.h) and its
 * SQL. Must never: reuse an id (AUTOINCREMENT: a `moment:<id>` written down
 * once cannot come to mean another moment).
 */
#include "store/db_sql.h"

#include "store/db_schema.h"

/* The "moments" module (store/moment_table.h). */
static const char *const moment_steps[] = {
    /* 1: AUTOINCREMENT: an id is never reused, so a
     * `moment:<id>` written down once cannot come to mean another moment. */
    "CREATE TABLE IF NOT EXISTS moments ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  stream_uri TEXT NOT NULL,"
    "  frame INTEGER NOT NULL,"
    "  wall_ns INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('level', 'midi', 'marker')),"
    "  level REAL,"
    "  name TEXT,"
    "  created_ns INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS moments_stream ON moments(stream_uri, frame);",
};
static const reel_db_schema moment_schema = {"moments", 1, moment_steps, 1};
REEL_DB_SCHEMA(moment_schema);

#define MOMENT_COLS "id, stream_uri, frame, wall_ns, kind, level, name"

static int row_to_moment(reel_db *db, sqlite3_stmt *st, reel_db_moment *m, reel_error *err)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    if (!col_copy(st, 1, m->stream_uri, sizeof m->stream_uri) ||
        !col_copy(st, 4, m->kind, sizeof m->kind) || !col_copy(st, 6, m->name, sizeof m->name))
        return reel_error_set(err, REEL_ECORRUPT, "%s: moment %lld has an over-long field",
                              db->path, (long long)m->id);
    m->frame = sqlite3_column_int64(st, 2);
    m->wall_ns = sqlite3_column_int64(st, 3);
    m->has_level = sqlite3_column_type(st, 5) != SQLITE_NULL;
    m->level_db = m->has_level ? sqlite3_column_double(st, 5) : 0.0;
    return REEL_OK;
}

int reel_db_moment_insert(reel_db *db, reel_db_moment *m, reel_error *err)
{
    if (!fits(m->stream_uri, sizeof m->stream_uri) || !m->stream_uri[0] ||
        !fits(m->kind, sizeof m->kind) || !fits(m->name, sizeof m->name))
        return reel_error_set(err, REEL_EINVAL, "moment has an unterminated or empty field");
    if (m->frame < 0)
        return reel_error_set(err, REEL_EINVAL, "moment at a negative frame");
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "INSERT INTO moments (stream_uri, frame, wall_ns, kind, level, name,"
                     " created_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     &st, "record a moment", err);
    if (rc)
        return rc;
    if (bind_text(st, 1, m->stream_uri) || sqlite3_bind_int64(st, 2, m->frame) ||
        sqlite3_bind_int64(st, 3, m->wall_ns) || bind_text(st, 4, m->kind) ||
        (m->has_level ? sqlite3_bind_double(st, 5, m->level_db) : sqlite3_bind_null(st, 5)) ||
        bind_opt_text(st, 6, m->name) || sqlite3_bind_int64(st, 7, m->created_ns) ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = reel_db_fail(db, err, "record a moment of %.200s", m->stream_uri);
    else
        m->id = sqlite3_last_insert_rowid(db->h);
    sqlite3_finalize(st);
    return rc;
}

int reel_db_moment_get(reel_db *db, int64_t id, reel_db_moment *out, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT " MOMENT_COLS " FROM moments WHERE id = ?1", &st,
                     "look up moment", err);
    if (rc)
        return rc;
    int step = sqlite3_bind_int64(st, 1, id) ? SQLITE_ERROR : sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = row_to_moment(db, st, out, err);
    else if (step == SQLITE_DONE)
        rc = reel_error_set(err, REEL_ENOENT, "no moment %lld", (long long)id);
    else
        rc = reel_db_fail(db, err, "look up moment %lld", (long long)id);
    sqlite3_finalize(st);
    return rc;
}

int reel_db_moment_list(reel_db *db, const char *uri, reel_db_moment_fn fn, void *ud,
                        reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "SELECT " MOMENT_COLS " FROM moments WHERE stream_uri = ?1"
                     " ORDER BY frame, id",
                     &st, "list moments", err);
    if (rc)
        return rc;
    int step = bind_text(st, 1, uri) ? SQLITE_ERROR : SQLITE_ROW;
    while (step == SQLITE_ROW && (step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_db_moment m;
        if ((rc = row_to_moment(db, st, &m, err)) || (rc = fn(&m, ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = reel_db_fail(db, err, "list moments of %.200s", uri);
    sqlite3_finalize(st);
    return rc;
}
