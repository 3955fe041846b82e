/*
 * session_db.h — sessions in reel.db: one row per session holding its
 * JSON document (session.h), replaced whole on every change.
 *
 * Owns: the `sessions` table (created on first use, so stores made before
 * sessions existed gain it without a version bump: it is purely additive)
 * and its SQL. Must never: be the only record of a completed session (its
 * document is stored in CAS as a "session" artifact too).
 */
#ifndef REEL_SESSION_DB_H
#define REEL_SESSION_DB_H

#include "store/artifact_db.h"
#include "model/session/session.h"

/* Insert or replace. */
int reel_session_save(reel_db *db, const reel_session *s, reel_error *err);
/* REEL_ENOENT naming the id when there is none. s is initialised here;
 * free with reel_session_free. */
int reel_session_load(reel_db *db, const char *id, reel_session *s, reel_error *err);
/* Every session, newest first. The callback's session is temporary. */
typedef int (*reel_session_fn)(const reel_session *s, void *ud);
int reel_session_list(reel_db *db, reel_session_fn fn, void *ud, reel_error *err);

#endif
