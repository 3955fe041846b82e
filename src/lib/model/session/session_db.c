/*
 * session_db.c — the sessions table of reel.db (see session_db.h).
 *
 * Must never: write a document that does not parse back (to_json output
 * only), or keep a statement open across calls.
 */
#include "model/session/session_db.h"

#include "slice/spec_resolve.h"
#include "store/db_schema.h"
#include "store/retention.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char table_sql[] = "CREATE TABLE IF NOT EXISTS sessions ("
                                 "  id TEXT PRIMARY KEY NOT NULL,"
                                 "  created_ns INTEGER NOT NULL,"
                                 "  state TEXT NOT NULL,"
                                 "  doc TEXT NOT NULL)";
static const char *const session_steps[] = {table_sql};
static const reel_db_schema session_schema = {"sessions", 10, session_steps, 1};
REEL_DB_SCHEMA(session_schema);

static int db_fail(reel_db *db, reel_error *err, const char *what)
{
    return reel_error_set(err, REEL_EDB, "%s: %s: %s", reel_db_path(db), what,
                          sqlite3_errmsg(reel_db_sqlite(db)));
}

static int prepare(reel_db *db, const char *sql, sqlite3_stmt **st, const char *what,
                   reel_error *err)
{
    sqlite3 *h = reel_db_sqlite(db);
    if (sqlite3_prepare_v2(h, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_fail(db, err, what);
    }
    return REEL_OK;
}

int reel_session_save(reel_db *db, const reel_session *s, reel_error *err)
{
    json_t *doc = reel_session_to_json(s);
    char *txt = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (!txt)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    sqlite3_stmt *st;
    int rc = prepare(db, "INSERT OR REPLACE INTO sessions (id, created_ns, state, doc)"
                         " VALUES (?1, ?2, ?3, ?4)", &st, "save session", err);
    if (rc == 0) {
        if (sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC) ||
            sqlite3_bind_int64(st, 2, s->created_ns) ||
            sqlite3_bind_text(st, 3, reel_session_state_name(s->state), -1, SQLITE_STATIC) ||
            sqlite3_bind_text(st, 4, txt, -1, SQLITE_STATIC) || sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "save session");
        sqlite3_finalize(st);
    }
    free(txt);
    return rc;
}

static int row_session(reel_db *db, sqlite3_stmt *st, reel_session *s, reel_error *err)
{
    const char *txt = (const char *)sqlite3_column_text(st, 0);
    json_error_t je;
    json_t *doc = txt ? json_loads(txt, 0, &je) : NULL;
    if (!doc) {
        memset(s, 0, sizeof *s);
        return reel_error_set(err, REEL_ECORRUPT, "%s: a session document does not parse",
                              reel_db_path(db));
    }
    int rc = reel_session_from_json(doc, s, err);
    json_decref(doc);
    return rc;
}

int reel_session_load(reel_db *db, const char *id, reel_session *s, reel_error *err)
{
    memset(s, 0, sizeof *s);
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT doc FROM sessions WHERE id = ?1", &st, "look up session", err);
    if (rc)
        return rc;
    int step = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ? SQLITE_ERROR : sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = row_session(db, st, s, err);
    else if (step == SQLITE_DONE)
        rc = reel_error_set(err, REEL_ENOENT, "no session '%.128s'", id);
    else
        rc = db_fail(db, err, "look up session");
    sqlite3_finalize(st);
    return rc;
}

int reel_session_list(reel_db *db, reel_session_fn fn, void *ud, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT doc FROM sessions ORDER BY created_ns DESC, id", &st,
                     "list sessions", err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_session s;
        rc = row_session(db, st, &s, err);
        if (rc == 0)
            rc = fn(&s, ud);
        reel_session_free(&s);
        if (rc)
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err, "list sessions");
    sqlite3_finalize(st);
    return rc;
}

/* A session bound placed on a stream (slice/spec_resolve.h): the exact frame
 * the session's mark holds for this stream, else (a stream outside the
 * session) the mark's wall-clock instant, placed through this stream's
 * clock snapshots. */
static int session_spec_resolve(reel_store *st, const char *uri, uint32_t rate,
                                const reel_timespec *ts, reel_timespec *out, reel_error *err)
{
    (void)rate;
    reel_session s;
    int rc = reel_session_load(reel_store_db(st), ts->session, &s, err);
    const reel_session_mark *mk = NULL;
    if (rc == 0)
        rc = reel_session_bound(&s, ts, &mk, err);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        int i = reel_session_stream_index(&s, uri);
        if (i >= 0 && mk->at[i].present) {
            out->kind = REEL_TS_FRAME;
            out->frame = mk->at[i].frame;
        } else {
            out->kind = REEL_TS_WALL;
            out->wall_ns = mk->wall_ns;
        }
    }
    reel_session_free(&s);
    return rc;
}

static const reel_spec_resolver session_resolver = {REEL_TS_SESSION, session_spec_resolve};
REEL_SPEC_RESOLVER(session_resolver);

/* Retention pin (store/retention.h): a session not yet completed keeps every
 * frame of its streams from its first segment's start, so that what it
 * spans can still be sliced and exported when it stops. */
typedef struct pin_ctx {
    const char *uri;
    uint64_t keep;
} pin_ctx;

static int pin_one(const reel_session *s, void *ud)
{
    pin_ctx *p = ud;
    if (s->state == REEL_SESSION_COMPLETE)
        return 0;
    int i = reel_session_stream_index(s, p->uri);
    for (size_t k = 0; i >= 0 && k < s->n_segs; k++)
        if (s->segs[k].start.at[i].present && s->segs[k].start.at[i].frame < p->keep)
            p->keep = s->segs[k].start.at[i].frame;
    return 0;
}

static int session_pinned(reel_store *st, const char *uri, uint64_t *keep_from, reel_error *err)
{
    pin_ctx p = {uri, UINT64_MAX};
    int rc = reel_session_list(reel_store_db(st), pin_one, &p, err);
    if (rc == 0)
        *keep_from = p.keep;
    return rc;
}

static const reel_retention_pin session_pin = {"session", session_pinned};
REEL_RETENTION_PIN(session_pin);
