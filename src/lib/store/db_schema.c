/*
 * db_schema.c — applying the registered schemas (see db_schema.h).
 *
 * Why a table per module and not PRAGMA user_version alone: one integer
 * cannot say which feature's tables are at which version once features
 * register their own; PRAGMA user_version now only marks the registry era
 * (REGISTRY_ERA) so that a reel from before it refuses the file instead of
 * writing into tables it does not know.
 */
#include "store/db_schema.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_ERA 3 /* user_version: 1, 2 = before the registry */
#define SCHEMAS_MAX 64

REEL_REGISTRY_DECLARE(db_schemas, reel_db_schema);

static int db_fail(reel_db *db, reel_error *err, const char *what, const char *module)
{
    return reel_error_set(err, REEL_EDB, "%s: %s%s%s: %s", reel_db_path(db), what,
                          module ? " of " : "", module ? module : "",
                          sqlite3_errmsg(reel_db_sqlite(db)));
}

static int schema_cmp(const void *a, const void *b)
{
    const reel_db_schema *x = *(const reel_db_schema *const *)a;
    const reel_db_schema *y = *(const reel_db_schema *const *)b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->module, y->module);
}

/* The registered schemas in the order they are applied, into out[]. */
static size_t sorted(const reel_db_schema **out)
{
    size_t n = REEL_REGISTRY_COUNT(db_schemas);
    if (n > SCHEMAS_MAX)
        n = SCHEMAS_MAX;
    for (size_t i = 0; i < n; i++)
        out[i] = REEL_REGISTRY_BEGIN(db_schemas)[i];
    qsort(out, n, sizeof out[0], schema_cmp);
    return n;
}

int reel_db_schema_version(const char *module)
{
    for (size_t i = 0; i < REEL_REGISTRY_COUNT(db_schemas); i++)
        if (strcmp(REEL_REGISTRY_BEGIN(db_schemas)[i]->module, module) == 0)
            return (int)REEL_REGISTRY_BEGIN(db_schemas)[i]->n_steps;
    return -1;
}

static int user_version(reel_db *db, int *v, reel_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(reel_db_sqlite(db), "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(db, err, "read the schema era", NULL);
    int rc = REEL_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else
        rc = db_fail(db, err, "read the schema era", NULL);
    sqlite3_finalize(st);
    return rc;
}

/* The recorded version of `module` (0 when absent or before the registry). */
static int module_version(reel_db *db, const char *module, int era, int *v, reel_error *err)
{
    *v = 0;
    if (era < REGISTRY_ERA)
        return REEL_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(reel_db_sqlite(db), "SELECT version FROM reel_schema WHERE module = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "read the schema version", module);
    sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
    int rc = REEL_OK, s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else if (s != SQLITE_DONE)
        rc = db_fail(db, err, "read the schema version", module);
    sqlite3_finalize(st);
    return rc;
}

/* Every module at its newest version already? (read without the write lock,
 * so that opening a current index never queues behind a writer) */
static int up_to_date(reel_db *db, const reel_db_schema **s, size_t n, int era, bool *yes,
                      reel_error *err)
{
    *yes = false;
    if (era > REGISTRY_ERA)
        return reel_error_set(err, REEL_EDB,
                              "%s: made by a newer reel (schema era %d, this reel knows %d)",
                              reel_db_path(db), era, REGISTRY_ERA);
    if (era < REGISTRY_ERA)
        return REEL_OK;
    for (size_t i = 0; i < n; i++) {
        int v;
        int rc = module_version(db, s[i]->module, era, &v, err);
        if (rc)
            return rc;
        if (v > (int)s[i]->n_steps)
            return reel_error_set(err, REEL_EDB,
                                  "%s: the %s tables are at version %d, this reel knows %zu: "
                                  "use a newer reel",
                                  reel_db_path(db), s[i]->module, v, s[i]->n_steps);
        if (v < (int)s[i]->n_steps)
            return REEL_OK;
    }
    *yes = true;
    return REEL_OK;
}

static int exec(reel_db *db, const char *sql, const char *what, const char *module,
                reel_error *err)
{
    if (sqlite3_exec(reel_db_sqlite(db), sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, err, what, module);
    return REEL_OK;
}

int reel_db_schema_apply(reel_db *db, reel_error *err)
{
    const reel_db_schema *s[SCHEMAS_MAX];
    size_t n = sorted(s);
    int era = 0;
    bool done = false;
    int rc = user_version(db, &era, err);
    if (rc || (rc = up_to_date(db, s, n, era, &done, err)) || done)
        return rc;

    if ((rc = exec(db, "BEGIN IMMEDIATE", "migrate", NULL, err)))
        return rc;
    /* Another process may have migrated in between: decide again under the lock. */
    if ((rc = user_version(db, &era, err)) || (rc = up_to_date(db, s, n, era, &done, err)) ||
        done)
        goto out;
    if ((rc = exec(db,
                   "CREATE TABLE IF NOT EXISTS reel_schema ("
                   "  module TEXT PRIMARY KEY NOT NULL,"
                   "  version INTEGER NOT NULL) WITHOUT ROWID",
                   "create the schema registry", NULL, err)))
        goto out;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int v;
        if ((rc = module_version(db, s[i]->module, era, &v, err)))
            break;
        for (; v < (int)s[i]->n_steps && rc == 0; v++)
            rc = exec(db, s[i]->steps[v], "migrate the tables", s[i]->module, err);
        if (rc)
            break;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(reel_db_sqlite(db),
                               "INSERT OR REPLACE INTO reel_schema (module, version) "
                               "VALUES (?1, ?2)",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(db, err, "record the schema version", s[i]->module);
            break;
        }
        sqlite3_bind_text(st, 1, s[i]->module, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)s[i]->n_steps);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "record the schema version", s[i]->module);
        sqlite3_finalize(st);
    }
    if (rc == 0) {
        char sql[48];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", REGISTRY_ERA);
        rc = exec(db, sql, "set the schema era", NULL, err);
    }
out:
    if (rc == 0)
        return exec(db, "COMMIT", "migrate", NULL, err);
    sqlite3_exec(reel_db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
