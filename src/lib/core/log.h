/*
 * log.h — the one logger of libreel and the `reel` command.
 *
 * Owns: the log levels (error, warn, info, debug), parsing them from a name
 * (`--log-level LEVEL`, the REEL_LOG environment variable), and writing one
 * line per message to stderr (or a FILE the caller names): a human line
 * "reel <module>: <msg>", or with `--log-json` one JSON object per line,
 * {"ts": "<RFC 3339 UTC, ms>", "level", "module", "msg"}.
 *
 * State: one process-wide sink, a `reel_log_config` copied in by
 * reel_log_configure(). Why one sink and not a context passed everywhere:
 * every layer (capture, store, surfaces) logs, and threading a logger through
 * every call would change most of the library's signatures for no gain; a log
 * destination is a property of the process, like stderr itself. The rule that
 * keeps it safe: the application calls reel_log_configure() once at start-up,
 * before it starts any thread, and never again; afterwards the sink is
 * read-only, so reel_log() needs no lock (each line is one fwrite on an
 * unbuffered or line-buffered stream, so lines of different threads do not
 * interleave). Unconfigured, the sink logs at info, human lines, to stderr.
 *
 * Must never: be called from a realtime callback (JACK process, the engine's
 * cycle): reel_log formats, takes the stdio lock and writes to a file, any of
 * which can block. Realtime code counts or rings its events and a non-realtime
 * thread logs them.
 */
#ifndef REEL_CORE_LOG_H
#define REEL_CORE_LOG_H

#include "core/error.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum reel_log_level {
    REEL_LOG_ERROR = 0,
    REEL_LOG_WARN = 1,
    REEL_LOG_INFO = 2,
    REEL_LOG_DEBUG = 3,
} reel_log_level;

typedef struct reel_log_config {
    reel_log_level level; /* messages above it are dropped */
    bool json;            /* JSON lines instead of human lines */
    FILE *out;            /* NULL: stderr */
} reel_log_config;

/* "error", "warn" (or "warning"), "info", "debug", case-insensitive. An
 * unknown name is REEL_EINVAL with a line naming it and the choices. */
int reel_log_level_parse(const char *name, reel_log_level *out, reel_error *err);

/* The level's name ("error", "warn", "info", "debug"). */
const char *reel_log_level_name(reel_log_level level);

/* The defaults (info, human, stderr) with REEL_LOG applied if it is set and
 * not empty; a bad REEL_LOG is an error (the config keeps the defaults). */
int reel_log_config_from_env(reel_log_config *cfg, reel_error *err);

/* Install `cfg` as the process's sink. Call once, before any thread starts
 * (see above); tests may call it again between single-threaded cases. */
void reel_log_configure(const reel_log_config *cfg);

/* Would a message at `level` be written? */
bool reel_log_enabled(reel_log_level level);

/* One message from `module` ("engine", "control", "serve"...). The message
 * is one line: a trailing newline is dropped, inner newlines become spaces. */
void reel_log(reel_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define reel_log_error(mod, ...) reel_log(REEL_LOG_ERROR, (mod), __VA_ARGS__)
#define reel_log_warn(mod, ...) reel_log(REEL_LOG_WARN, (mod), __VA_ARGS__)
#define reel_log_info(mod, ...) reel_log(REEL_LOG_INFO, (mod), __VA_ARGS__)
#define reel_log_debug(mod, ...) reel_log(REEL_LOG_DEBUG, (mod), __VA_ARGS__)

#endif /* REEL_CORE_LOG_H */
