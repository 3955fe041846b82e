/*
 * sha1.h — SHA-1 (FIPS 180-4), for the one place a protocol demands it: the
 * WebSocket handshake's Sec-WebSocket-Accept (RFC 6455 section 4.2.2). Not
 * for content addressing (that is BLAKE3, hash.h) or anything secret.
 *
 * Owns: nothing beyond the call. Must never: be used where collisions
 * matter.
 */
#ifndef REEL_CORE_SHA1_H
#define REEL_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

void reel_sha1(const void *data, size_t len, uint8_t out[20]);

#endif
