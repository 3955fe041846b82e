/*
 * api_ctx.h — the public context (struct reel_ctx of include/reel.h) as
 * api.c and audio.c share it, and the error JSON every public function
 * answers with.
 *
 * Owns: nothing (declarations). Must never: be included outside api/ (the
 * context is opaque to everyone else) or be installed.
 */
#ifndef REEL_API_CTX_H
#define REEL_API_CTX_H

#include "core/error.h"
#include "service/service.h"

#include <limits.h>
#include <pthread.h>

/* The project id of a reel_audio_ binding (the ops' "project", maxLength 64). */
#define REEL_AUDIO_PROJECT_MAX 65

struct reel_ctx {
    char root[PATH_MAX];
    reel_service *svc; /* the in-process service, used when no `reel serve` runs */
    pthread_mutex_t audio_mu; /* guards the two fields below */
    char audio_project[REEL_AUDIO_PROJECT_MAX]; /* reel_audio_init's project; "" unbound */
    char audio_error[REEL_ERROR_MSG_MAX];       /* the last failing reel_audio_ call's line */
};

/* {"error": {"code", "message"[, "reason"]}} as text (malloc'd, the
 * caller's to free); NULL only without memory. A message that is not
 * UTF-8 is sent with '?' for each non-ASCII byte. */
char *reel_api_error_json(int code, const char *msg, const char *reason);

#endif /* REEL_API_CTX_H */
