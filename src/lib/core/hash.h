/*
 * hash.h — BLAKE3 content names.
 *
 * Owns: the 256-bit hash value, its `blake3:<64 hex>` spelling, hashing of
 * buffers and files, and random staging ids. Must never: truncate a hash
 * (the 32-hex prefix form is only a lookup key, resolved by the CAS).
 */
#ifndef REEL_HASH_H
#define REEL_HASH_H

#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

#define REEL_HASH_BYTES 32
#define REEL_HASH_HEX 64
#define REEL_HASH_PREFIX "blake3:"

typedef struct reel_hash {
    uint8_t b[REEL_HASH_BYTES];
} reel_hash;

/* Incremental hashing (wraps blake3_hasher; opaque storage sized for it). */
typedef struct reel_hasher {
    _Alignas(16) uint8_t opaque[1920];
} reel_hasher;

void reel_hasher_init(reel_hasher *h);
void reel_hasher_update(reel_hasher *h, const void *data, size_t len);
void reel_hasher_final(const reel_hasher *h, reel_hash *out);

void reel_hash_buf(const void *data, size_t len, reel_hash *out);

/* Hash a whole file by path (mmap, falling back to read). */
int reel_hash_file(const char *path, reel_hash *out, reel_error *err);

/* Lowercase hex, NUL-terminated (65 bytes). */
void reel_hash_to_hex(const reel_hash *h, char out[REEL_HASH_HEX + 1]);

/* "blake3:<hex>" into out (72 bytes). */
void reel_hash_to_string(const reel_hash *h, char out[REEL_HASH_HEX + 8]);

/* Parse exactly 64 hex digits, optionally preceded by "blake3:". */
/* The value of one hex digit (either case), or -1. */
int reel_hex_digit(int c);

int reel_hash_from_hex(reel_hash *h, const char *s, reel_error *err);

bool reel_hash_equal(const reel_hash *a, const reel_hash *b);
bool reel_hash_is_zero(const reel_hash *h);

/* A staging id: BLAKE3 of 32 random bytes (looks like a content address). */
int reel_hash_random(reel_hash *out, reel_error *err);

/* "blake3:<64 lowercase hex>", exactly. */
int reel_hash_name_parse(const char *s, reel_hash *out, reel_error *err);

#endif
