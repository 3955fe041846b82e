/*
 * db.c — the reel.db handle: opening (WAL, busy timeout, foreign keys, the
 * registered migrations of db_schema.h), closing, and the one error format
 * of every SQLite failure.
 *
 * Owns: the connection. Must never: hold the SQL of any table (each table's
 * file does: artifact_db.c, stream_db.c, moment_db.c, and the modules that
 * register their own), or keep a write transaction open past a call.
 *
 * Concurrency: WAL lets readers proceed while one writer commits. Writers
 * take the write lock up front (BEGIN IMMEDIATE) so that a busy database is
 * waited out by the busy timeout; a deferred transaction that upgrades from
 * read to write can fail with SQLITE_BUSY at once, without waiting.
 */
#include "store/db_sql.h"

#include "store/db_schema.h"

#include <stdarg.h>
#include <stdio.h>

#define BUSY_TIMEOUT_MS 10000

/* Every SQLite failure becomes REEL_EDB naming the file, what we were doing
 * and SQLite's own words. Call before anything (ROLLBACK) that would replace
 * sqlite3_errmsg. */
int reel_db_fail(reel_db *db, reel_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return reel_error_set(err, REEL_EDB, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

struct sqlite3 *reel_db_sqlite(reel_db *db)
{
    return db->h;
}

const char *reel_db_path(const reel_db *db)
{
    return db->path;
}

static int set_wal(reel_db *db, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "PRAGMA journal_mode = WAL", &st, "open in WAL mode", err);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = reel_db_fail(db, err, "open in WAL mode");
    } else {
        /* The pragma answers with the mode in force, which stays the old one
         * where WAL is impossible (no shared memory, say). */
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            rc = reel_error_set(err, REEL_EDB, "%s: cannot use WAL mode (journal mode is %s)",
                                db->path, mode ? mode : "unknown");
    }
    sqlite3_finalize(st);
    return rc;
}

int reel_db_open(reel_db **out, const char *path, reel_error *err)
{
    *out = NULL;
    if (!path || !path[0])
        return reel_error_set(err, REEL_EINVAL, "missing database path");
    size_t len = strlen(path);
    reel_db *db = calloc(1, sizeof *db + len + 1);
    if (!db)
        return reel_error_set(err, REEL_ENOMEM, "out of memory opening %s", path);
    memcpy(db->path, path, len + 1);

    int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        /* "unable to open database file" alone does not say why. */
        int sys = db->h ? sqlite3_system_errno(db->h) : 0;
        char why[128] = "";
        if (sys)
            snprintf(why, sizeof why, " (%s)", strerror(sys));
        rc = reel_error_set(err, REEL_EDB, "cannot open database %s: %s%s", path,
                            db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc), why);
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
    /* SQLite quietly opens a write-protected file read-only; every later
     * insert would fail, so say so now. */
    if (sqlite3_db_readonly(db->h, "main") == 1) {
        rc = reel_error_set(err, REEL_EDB, "cannot open database %s: file is read-only", path);
        goto fail;
    }
    if ((rc = exec(db, "PRAGMA foreign_keys = ON", "enable foreign keys", err)) ||
        (rc = set_wal(db, err)) || (rc = reel_db_schema_apply(db, err)))
        goto fail;
    *out = db;
    return REEL_OK;
fail:
    sqlite3_close_v2(db->h);
    free(db);
    return rc;
}

void reel_db_close(reel_db *db)
{
    if (!db)
        return;
    sqlite3_close_v2(db->h);
    free(db);
}

