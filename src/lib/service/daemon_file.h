/*
 * daemon_file.h — how other processes find the `reel serve` recording a
 * store: `<store>/serve.json` names its pid and HTTP URL (and the token
 * file, when one is needed), so `reel session play` and friends can ask
 * the daemon instead of opening devices of their own.
 *
 * Owns: that file's format and lifetime. Must never: report a daemon whose
 * process is gone (a stale file from a SIGKILLed serve is ignored), or
 * remove a file another live process wrote.
 */
#ifndef REEL_DAEMON_FILE_H
#define REEL_DAEMON_FILE_H

#include "core/error.h"

#include <stddef.h>

typedef struct reel_daemon_info {
    long pid;
    char url[128];         /* "http://127.0.0.1:7070" */
    char token_file[4096]; /* "" when none */
} reel_daemon_info;

/* Write <root>/serve.json for this process (atomically). */
int reel_daemon_file_write(const char *root, const char *url, const char *token_file,
                           reel_error *err);

/* Remove it if it names this process. */
void reel_daemon_file_remove(const char *root);

/* The live daemon of the store, or REEL_ENOENT (none, or a stale file). */
int reel_daemon_find(const char *root, reel_daemon_info *out, reel_error *err);

#endif
