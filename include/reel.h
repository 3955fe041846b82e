/*
 * reel.h — the public API of libreel.
 *
 * Owns: the error type shared by every module and the umbrella include of
 * the library's public modules. The `reel` command is a thin front end over
 * exactly these calls. Must never: expose internal structs whose layout a
 * caller could come to depend on (handles are opaque pointers).
 *
 * Conventions (libuv style): functions are `reel_<noun>_<verb>`, return 0 on
 * success or a negative `reel_err` code, and take an optional `reel_error *`
 * last argument that receives one human-readable line naming what was wrong.
 */
#ifndef REEL_H
#define REEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum reel_err {
    REEL_OK = 0,
    REEL_EINVAL = -1,   /* bad argument or malformed input */
    REEL_ENOENT = -2,   /* no such stream, artifact, blob or file */
    REEL_EEXIST = -3,   /* already exists */
    REEL_EIO = -4,      /* I/O failure (disk, permissions) */
    REEL_ENOMEM = -5,   /* allocation failed */
    REEL_ECORRUPT = -6, /* stored data does not match its name or format */
    REEL_EAMBIG = -7,   /* a hash prefix matches more than one blob */
    REEL_ERANGE = -8,   /* a time range outside the recording */
    REEL_EFORMAT = -9,  /* unsupported audio or file format */
    REEL_ESTATE = -10,  /* operation illegal in the current state */
    REEL_EFULL = -11,   /* a ring or chunk has no room */
    REEL_EDB = -12,     /* the SQLite index failed */
    REEL_EDEVICE = -13, /* an audio or MIDI device failed */
} reel_err;

#define REEL_ERROR_MSG_MAX 512

/* One failure: its code and one line for a person. */
typedef struct reel_error {
    int code;
    char msg[REEL_ERROR_MSG_MAX];
} reel_error;

/* Name of an error code ("invalid argument", ...); never NULL. */
const char *reel_strerror(int code);

/* Fill `err` (if not NULL) with `code` and a printf-style message; returns
 * `code` so callers can write `return reel_error_set(err, REEL_EIO, ...)`. */
int reel_error_set(reel_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset to success. */
void reel_error_clear(reel_error *err);

/* The code's stable wire name ("invalid_argument", "not_found", ...), and
 * back (an unknown name is REEL_EIO). */
const char *reel_error_code_name(int code);
int reel_error_code_from_name(const char *name);

/* Exit status for the CLI: 0 success, 2 usage (EINVAL), 1 otherwise. */
int reel_error_exit_status(int code);

#ifdef __cplusplus
}
#endif

#endif /* REEL_H */
