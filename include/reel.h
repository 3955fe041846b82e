/*
 * reel.h — the public C API of libreel (DESIGN.md section 13).
 *
 * One opaque context per store and one entry point for every operation:
 * reel_call(ctx, "grab", "{\"seconds\": 10}", &result) runs the op `grab`
 * exactly as `reel call grab '{"seconds": 10}'`, `POST /api/ops/grab`, OSC
 * and MCP run it: same JSON Schema for the arguments, same result, same
 * error. reel_ops() lists every op with its summary and argument schema
 * (what `reel call --list`, GET /api/ops and MCP's tools/list show).
 *
 * Where an op runs: if a `reel serve` is recording the store (it writes
 * <store>/serve.json), every call goes to it over its HTTP API, because it
 * owns the devices and the recorder; otherwise the op runs in this process
 * against the store, and ops that need a recorder (stream_start,
 * session_play...) fail with REEL_ESTATE naming the fix. This is checked
 * on every call, so a context opened before `reel serve` started reaches it.
 *
 * Conventions (libuv style): functions return 0 (REEL_OK) on success or a
 * negative reel_err code. Strings the library returns through a `char **`
 * are allocated by it and released with reel_free(). Errors come back as
 * JSON of the same shape every surface uses:
 *     {"error": {"code": "invalid_argument", "message": "grab: ..."}}
 * where "code" is a stable name of the reel_err code and "message" is one
 * line for a person.
 *
 * Threads: noted per function. A reel_ctx may be shared by any number of
 * threads for reel_call; opening and closing it are not concurrent with
 * anything else on the same context.
 *
 * Only the functions declared here are exported from libreel.so.
 */
#ifndef REEL_H
#define REEL_H

#ifdef __cplusplus
extern "C" {
#endif

#define REEL_VERSION_MAJOR 0
#define REEL_VERSION_MINOR 1
#define REEL_VERSION_PATCH 0

/* Every failure's code; the JSON error's "code" is its stable name. */
typedef enum reel_err {
    REEL_OK = 0,
    REEL_EINVAL = -1,   /* "invalid_argument": bad argument or malformed input */
    REEL_ENOENT = -2,   /* "not_found": no such op, stream, artifact, blob or file */
    REEL_EEXIST = -3,   /* "already_exists" */
    REEL_EIO = -4,      /* "io_error": I/O failure (disk, permissions, network) */
    REEL_ENOMEM = -5,   /* "out_of_memory" */
    REEL_ECORRUPT = -6, /* "corrupt": stored data does not match its name or format */
    REEL_EAMBIG = -7,   /* "ambiguous": a hash prefix matches more than one blob */
    REEL_ERANGE = -8,   /* "out_of_range": a time range outside the recording */
    REEL_EFORMAT = -9,  /* "unsupported_format": audio or file format */
    REEL_ESTATE = -10,  /* "illegal_state": illegal in the current state */
    REEL_EFULL = -11,   /* "full": a ring or chunk has no room */
    REEL_EDB = -12,     /* "database_error": the SQLite index failed */
    REEL_EDEVICE = -13, /* "device_error": an audio or MIDI device failed */
    REEL_ENOSPC = -14,  /* "no_space": the store's filesystem is full (or over quota) */
    REEL_ECONFLICT = -15, /* "conflict": an edit computed from a version that is no longer the head */
} reel_err;

/* A store and the service over it. Opaque. */
typedef struct reel_ctx reel_ctx;

/* reel_open flags. */
enum reel_open_flags {
    REEL_OPEN_CREATE = 1 << 0, /* create the store if it does not exist (`reel init`) */
};

/* Library version, "MAJOR.MINOR.PATCH"; static, never NULL.
 * Thread-safe. */
const char *reel_version(void);

/* A code's description ("invalid argument", ...); static, never NULL (an
 * unknown code is "unknown error"). Thread-safe. */
const char *reel_strerror(int code);

/* Open the store at `store_root` (NULL: $REEL_HOME, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/reel). `flags`: 0 or
 * REEL_OPEN_CREATE. On success *out is the context and *error (when
 * `error` is not NULL) is NULL; on failure *out is NULL and *error is the
 * error JSON (release it with reel_free). Opening does not start recording
 * and does not need a running `reel serve`.
 * Thread-safe (independent contexts may be opened concurrently). */
int reel_open(reel_ctx **out, const char *store_root, unsigned flags, char **error);

/* Run op `op` with `json_args` (a JSON object as text; NULL or "" means
 * {}). *json_result is always set to a new string the caller releases with
 * reel_free: the op's result as JSON on success, the error JSON on failure
 * (unknown op: REEL_ENOENT; malformed JSON or arguments outside the op's
 * schema: REEL_EINVAL naming the field). Only if even the error cannot be
 * allocated is *json_result NULL (REEL_ENOMEM).
 * Thread-safe: any number of threads may call it on one context at once;
 * ops that change what is recorded are serialized by the recorder. A call
 * blocks until its op finishes (a grab of the live edge waits for the
 * data). Must not race with reel_close on the same context. */
int reel_call(reel_ctx *ctx, const char *op, const char *json_args, char **json_result);

/* Every op: *json_result is a new string (release with reel_free), a JSON
 * array of {"name", "summary", "input_schema"} in a stable order; on
 * failure it is the error JSON, or NULL if even that cannot be allocated.
 * Needs no context: the ops are the library's. Thread-safe. */
int reel_ops(char **json_result);

/* Release a string libreel returned (NULL is fine). Thread-safe. */
void reel_free(char *s);

/* Close the context (NULL is fine): releases its store handles. A running
 * `reel serve` is not affected. Every reel_call on `ctx` must have
 * returned; not thread-safe with respect to other calls on `ctx`. */
void reel_close(reel_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* REEL_H */
