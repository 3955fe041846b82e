/*
 * fsutil.h — the filesystem discipline every writer in reel follows.
 *
 * Owns: recursive mkdir, directory fsync, atomic replace (write-temp, fsync,
 * rename, fsync dir) and atomic copy-out. Must never: leave a partially
 * written file under its final name.
 */
#ifndef REEL_FSUTIL_H
#define REEL_FSUTIL_H

#include "core/error.h"

#include <stdint.h>
#include <sys/types.h>

/* mkdir -p with mode 0755. */
int reel_fs_mkdirs(const char *path, reel_error *err);

/* fsync the directory that contains `path` (or `path` itself if is_dir). */
int reel_fs_fsync_parent(const char *path, reel_error *err);
int reel_fs_fsync_dir(const char *dir, reel_error *err);

/* Write `len` bytes to `path` atomically: a temp file in `tmpdir` (or the
 * destination's directory when tmpdir is NULL), fsync, rename, fsync dir. */
int reel_fs_write_atomic(const char *path, const char *tmpdir, const void *data, size_t len,
                         reel_error *err);

/* Write all bytes to fd, retrying short writes and EINTR. */
int reel_fs_write_all(int fd, const void *data, size_t len, reel_error *err);

/* Copy src to dst atomically (temp next to dst, then rename); uses
 * copy_file_range where possible. dst gets `mode`. */
int reel_fs_copy_atomic(const char *src, const char *dst, mode_t mode, reel_error *err);

/* Create a unique temp file in `dir` named "<prefix>XXXXXX"; path written to
 * `path_out` (PATH_MAX). Returns the open fd via *fd. */
int reel_fs_tmpfile(const char *dir, const char *prefix, char *path_out, int *fd,
                    reel_error *err);

/* Directory part of a path into out (PATH_MAX). */
void reel_fs_dirname(const char *path, char *out, size_t outlen);

/* Read a whole (small) file into a malloc'd, NUL-terminated buffer. */
int reel_fs_read_all(const char *path, char **data, size_t *len, reel_error *err);

#endif
