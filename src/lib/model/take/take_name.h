/*
 * take_name.h — names of take files, and creating them inside exports/.
 *
 * A name comes from outside (OSC, HTTP, MCP), so it is treated as hostile:
 * it must be a plain file name (no '/', '\', no leading '.', so no '..' and
 * no hidden file), at most REEL_TAKE_NAME_MAX bytes; other characters
 * outside [A-Za-z0-9._-] become '_'; ".wav" is added when missing. The file
 * is created with openat(exports, O_CREAT|O_EXCL|O_NOFOLLOW) on a directory
 * opened with O_NOFOLLOW, so neither a symlink nor a race can put it
 * elsewhere, and an existing name is never overwritten: take.wav exists ->
 * take-1.wav, take-2.wav, ...
 *
 * Owns: nothing (the descriptor it returns is the caller's). Must never:
 * create anything outside <store>/exports/, or replace an existing file.
 */
#ifndef REEL_TAKE_NAME_H
#define REEL_TAKE_NAME_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define REEL_TAKE_NAME_MAX 120 /* a requested name, before ".wav" / "-N" */
#define REEL_TAKE_FILE_MAX 160 /* buffer for a final file name */

/* `requested` (NULL or "": the default) to a safe file name ending in
 * ".wav" into out (REEL_TAKE_FILE_MAX). The default is
 * take-YYYYMMDD-HHMMSS.wav from wall_ns (UTC). */
int reel_take_name_sanitize(const char *requested, int64_t wall_ns, char *out, size_t cap,
                            reel_error *err);

/* Create a new file for `name` in <root>/exports (made if missing) without
 * overwriting anything: the name actually used goes to `used`
 * (REEL_TAKE_FILE_MAX), its full path to `path` (PATH_MAX), *fd is open
 * for writing. */
int reel_take_name_create(const char *root, const char *name, char *used, char *path, int *fd,
                          reel_error *err);

#endif
