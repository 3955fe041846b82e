/*
 * hash_set.h — a set of content hashes (open addressing; the hashes are
 * already uniformly random, so their first bytes are the bucket).
 *
 * Owns: its table. Must never: hold anything but hashes (no pointers into
 * the caller's data).
 */
#ifndef REEL_HASH_SET_H
#define REEL_HASH_SET_H

#include "core/hash.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct reel_hash_set {
    reel_hash *slots; /* the zero hash marks an empty slot */
    bool has_zero;    /* so the zero hash itself can be a member */
    size_t n, cap;    /* cap: a power of two, or 0 */
} reel_hash_set;

/* Add (no-op if present). REEL_ENOMEM on failure. */
int reel_hash_set_add(reel_hash_set *s, const reel_hash *h, reel_error *err);
bool reel_hash_set_has(const reel_hash_set *s, const reel_hash *h);
void reel_hash_set_free(reel_hash_set *s);

#endif
