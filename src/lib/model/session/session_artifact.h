/*
 * session_artifact.h — storing a complete session as a "session" artifact.
 *
 * Owns: nothing the caller keeps. Must never: store a session twice under
 * one id (the caller stores it once, when it stops).
 */
#ifndef REEL_SESSION_ARTIFACT_H
#define REEL_SESSION_ARTIFACT_H

#include "core/op.h"
#include "model/session/session.h"

/* Store `s` as a new artifact; its id goes to s->artifact ("" on failure). */
int reel_session_store_artifact(reel_op_ctx *x, reel_session *s, reel_error *err);

#endif
