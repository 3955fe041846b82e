/*
 * base64.h — RFC 4648 base64 (standard alphabet, padded), the encoding MCP
 * uses for binary content (audio blocks, resource blobs).
 *
 * Owns: the encoder and a strict decoder (for tests and inputs). Must never:
 * write past the buffer it returns or accept characters outside the
 * alphabet when decoding.
 */
#ifndef REEL_BASE64_H
#define REEL_BASE64_H

#include "core/error.h"

#include <stddef.h>

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t reel_base64_len(size_t n);

/* Encode into a new NUL-terminated string (the caller frees it); NULL when
 * out of memory. */
char *reel_base64_encode(const void *data, size_t n);

/* Decode padded base64 (no whitespace) into a new buffer (*out, *n; the
 * caller frees it). REEL_EINVAL for anything that is not canonical. */
int reel_base64_decode(const char *s, size_t len, unsigned char **out, size_t *n,
                       reel_error *err);

#endif
