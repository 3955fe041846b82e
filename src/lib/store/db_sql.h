/*
 * db_sql.h — what the store's reel.db files share (internal to store/): the
 * handle's layout and the small SQLite helpers every table file uses.
 *
 * Owns: struct reel_db, and the conventions for binding and reading columns
 * ("" and "none" values are NULL in SQL, hashes are "blake3:<hex>"). Must
 * never: be included outside src/lib/store/ (other layers see reel_db only
 * through artifact_db.h), or hold SQL of any one table.
 */
#ifndef REEL_DB_SQL_H
#define REEL_DB_SQL_H

#include "store/artifact_db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct reel_db {
    sqlite3 *h;
    char path[]; /* as given to reel_db_open, for error messages */
};

/* Every SQLite failure becomes REEL_EDB naming the file, what we were doing
 * and SQLite's own words. Call before anything (ROLLBACK) that would replace
 * sqlite3_errmsg. */
__attribute__((format(printf, 3, 4)))
int reel_db_fail(reel_db *db, reel_error *err, const char *fmt, ...);

static inline int prepare(reel_db *db, const char *sql, sqlite3_stmt **st, const char *what,
                   reel_error *err)
{
    if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return reel_db_fail(db, err, "%s", what);
    }
    return REEL_OK;
}

static inline int exec(reel_db *db, const char *sql, const char *what, reel_error *err)
{
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return reel_db_fail(db, err, "%s", what);
    return REEL_OK;
}

/* Undo a failed write. Its own failure is not reported: the error that led
 * here is the one worth reading, and SQLite rolls back on close anyway. */
static inline void rollback(reel_db *db)
{
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

static inline int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* "" is stored as NULL. */
static inline int bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    return s[0] ? bind_text(st, i, s) : sqlite3_bind_null(st, i);
}

static inline int bind_opt_int(sqlite3_stmt *st, int i, int64_t v, int64_t none)
{
    return v == none ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static inline int bind_hash(sqlite3_stmt *st, int i, const reel_hash *h)
{
    char s[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, s);
    return bind_text(st, i, s);
}

/* A zero hash (not set yet) is stored as NULL. */
static inline int bind_opt_hash(sqlite3_stmt *st, int i, const reel_hash *h)
{
    return reel_hash_is_zero(h) ? sqlite3_bind_null(st, i) : bind_hash(st, i, h);
}

/* Copy a text column into a fixed buffer; NULL reads as "". False if it
 * does not fit, which only a foreign or damaged database can cause. */
static inline bool col_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!s) {
        dst[0] = '\0';
        return true;
    }
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static inline int64_t col_int(sqlite3_stmt *st, int col, int64_t none)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return none;
    return sqlite3_column_int64(st, col);
}

/* NULL reads as the zero hash. */
static inline bool col_hash(sqlite3_stmt *st, int col, reel_hash *h)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    if (!s) {
        memset(h, 0, sizeof *h);
        return true;
    }
    return reel_hash_from_hex(h, s, NULL) == REEL_OK;
}

/* NULL reads as NULL; false only when out of memory. */
static inline bool col_strdup(sqlite3_stmt *st, int col, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    *out = NULL;
    if (!s)
        return sqlite3_column_type(st, col) == SQLITE_NULL;
    if (!(*out = malloc(n + 1)))
        return false;
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    return true;
}

/* A fixed-size char member the caller filled: it must be terminated. */
static inline bool fits(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

#endif
