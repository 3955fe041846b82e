/*
 * tar_write.h — writing a POSIX ustar archive, member by member, to a file
 * descriptor (session exports: WAVs, MIDI files and a JSON document).
 *
 * Owns: the ustar header format and block padding. Must never: write a
 * member name it cannot represent exactly (over-long names are refused,
 * never truncated), or a size that does not fit the 11 octal digits.
 */
#ifndef REEL_TAR_WRITE_H
#define REEL_TAR_WRITE_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

/* One regular file member from memory. `name` is a relative path of at
 * most 100 bytes, or 255 split at a '/' into a 155-byte prefix. */
int reel_tar_add_buf(int fd, const char *name, const void *data, size_t len, int64_t mtime_s,
                     reel_error *err);
/* One regular file member copied from the file at `path`. */
int reel_tar_add_file(int fd, const char *name, const char *path, int64_t mtime_s,
                      reel_error *err);
/* The end-of-archive marker (two zero blocks). */
int reel_tar_finish(int fd, reel_error *err);

#endif
