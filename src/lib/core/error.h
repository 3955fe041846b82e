/*
 * error.h — the one error type of libreel's internals.
 *
 * Owns: reel_error (a code, one line for a person and, where a caller may
 * want to tell failures apart without reading prose, a stable sub-code
 * such as "slice.from_after_to"), the helpers that
 * fill it, and the codes' stable wire names ("invalid_argument", ...). The
 * codes themselves (enum reel_err) and reel_strerror are public and live in
 * include/reel.h, which this header includes, so internal and public code
 * agree on every number.
 *
 * Conventions (libuv style): functions are `reel_<noun>_<verb>`, return 0 on
 * success or a negative `reel_err` code, and take an optional `reel_error *`
 * last argument that receives one human-readable line naming what was wrong.
 *
 * Must never: be installed or exported (libreel.so's version script hides
 * everything here but reel_strerror).
 */
#ifndef REEL_CORE_ERROR_H
#define REEL_CORE_ERROR_H

#include "reel.h"

#include <stddef.h>
#include <stdint.h>

#define REEL_ERROR_MSG_MAX 512
#define REEL_ERROR_REASON_MAX 48

/* One failure: its code, one line for a person, and its reason: a stable
 * machine-readable sub-code ("<area>.<what>", e.g. "slice.bad_format"),
 * empty when the failure has none. Reasons are part of the wire contract
 * (the "reason" field next to "code" in HTTP, MCP and reel_call error
 * documents): once given out, a reason is never renamed. */
typedef struct reel_error {
    int code;
    char msg[REEL_ERROR_MSG_MAX];
    char reason[REEL_ERROR_REASON_MAX];
} reel_error;

/* Fill `err` (if not NULL) with `code` and a printf-style message; returns
 * `code` so callers can write `return reel_error_set(err, REEL_EIO, ...)`. */
int reel_error_set(reel_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Give the error already in `err` (if not NULL) the sub-code `reason`;
 * returns `code`, so a caller can tag what a lower function reported:
 * `return reel_error_reason(err, rc, "slice.bad_time_spec")`. reel_error_set
 * clears the reason, so a reason never outlives the failure it named. */
int reel_error_reason(reel_error *err, int code, const char *reason);

/* Reset to success. */
void reel_error_clear(reel_error *err);

/* The code's stable wire name ("invalid_argument", "not_found", ...), and
 * back (an unknown name is REEL_EIO). */
const char *reel_error_code_name(int code);
int reel_error_code_from_name(const char *name);

/* Exit status for the CLI: 0 success, 2 usage (EINVAL), 1 otherwise. */
int reel_error_exit_status(int code);

/* The code for a failed system call's errno: REEL_ENOSPC for a full
 * filesystem or quota (ENOSPC, EDQUOT), which callers treat as recoverable,
 * REEL_EIO for the rest. */
int reel_error_code_of_errno(int e);

#endif /* REEL_CORE_ERROR_H */
