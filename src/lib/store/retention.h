/*
 * retention.h — how much of a stream is kept: the policy, its grammar, and
 * applying it to a manifest.
 *
 * A policy has up to three limits; a chunk goes as soon as any one is
 * exceeded. Grammar of one spec (comma-separated terms, each limit at most
 * once):
 *
 *   age     24h, 90m, 1h30m, 2d, 45s       (reel durations, plus days "d")
 *   size    50G, 512M, 100K, 2T, 4096B     (binary units: K = 1024 bytes;
 *                                            "GB"/"GiB" are the same as "G")
 *   count   500chunks, 1chunk
 *
 * e.g. "24h", "50G", "500chunks", "24h,50G". Rules for several streams:
 * "SPEC" is the default for every stream, "URI=SPEC" (split at the last
 * '=') overrides it for one stream URI.
 *
 * Retention drops only the oldest *sealed* chunks, never the chunk being
 * written and never the newest chunk, so a window holds within one chunk:
 * after applying, the held chunks satisfy every limit, or only the newest
 * (or the live) chunk is left. Positions never shift: the manifest keeps
 * counting frames from the stream's start and records the first frame
 * still held.
 *
 * Owns: parsing, formatting, the per-chunk decision and its application
 * through reel_manifest_drop_front. Must never: delete content (that is
 * GC's job, gc.h), or drop a chunk from anywhere but the front.
 */
#ifndef REEL_RETENTION_H
#define REEL_RETENTION_H

#include "core/registry.h"
#include "store/manifest.h"

typedef struct reel_store reel_store;

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_retention {
    int64_t max_age_ns;  /* 0: no age limit */
    uint64_t max_bytes;  /* 0: no size limit */
    uint64_t max_chunks; /* 0: no count limit */
} reel_retention;

/* Parse one spec; REEL_EINVAL naming what was wrong. */
int reel_retention_parse(const char *spec, reel_retention *out, reel_error *err);

/* "24h,50G,500chunks" (canonical units; "none" when there is no limit). */
void reel_retention_format(const reel_retention *r, char *buf, size_t len);

bool reel_retention_is_set(const reel_retention *r);

/* The oldest held chunk, and what is held in total (it included). */
typedef struct reel_retention_view {
    uint64_t bytes, frames; /* of the oldest chunk */
    int64_t wall_ns;        /* its first frame's wall clock (0: unknown) */
    uint32_t rate;
    uint64_t held_chunks, held_bytes;
    int64_t now_ns;
} reel_retention_view;

/* Should the oldest chunk go? (It must be sealed and not the newest; the
 * caller checks that.) Age: the chunk's last frame is older than the limit. */
bool reel_retention_should_drop(const reel_retention *r, const reel_retention_view *v);

/* Drop from m's front what the policy says, oldest first, stopping at the
 * first chunk kept, at a staging chunk or a seal in flight, before the
 * newest chunk, and before any chunk holding a frame at or after
 * `keep_from` (UINT64_MAX: no pin; see reel_retention_pinned). *dropped
 * (may be NULL) gets the count. Page JSON is read from cas as needed. */
int reel_retention_apply(const reel_retention *r, reel_manifest *m, const reel_cas *cas,
                         int64_t now_ns, uint64_t keep_from, uint64_t *dropped,
                         reel_error *err);

/* What a feature needs kept of a stream whatever the policy says (an open
 * session needs every frame from its first segment's start): a feature
 * registers a pin with REEL_RETENTION_PIN where it is defined; `pinned` sets
 * *keep_from to the first frame of `uri` it needs (leave UINT64_MAX: none). */
typedef struct reel_retention_pin {
    const char *name;
    int (*pinned)(reel_store *st, const char *uri, uint64_t *keep_from, reel_error *err);
} reel_retention_pin;

#define REEL_RETENTION_PIN(object) REEL_REGISTER(retention_pins, reel_retention_pin, object)

/* The lowest frame of `uri` any registered pin needs (UINT64_MAX: none). */
int reel_retention_pinned(reel_store *st, const char *uri, uint64_t *keep_from,
                          reel_error *err);

/* Rules for several streams: a default plus per-URI overrides. Owns its
 * array; release with reel_retention_rules_free. */
typedef struct reel_retention_rule {
    char uri[REEL_URI_MAX];
    reel_retention policy;
} reel_retention_rule;

typedef struct reel_retention_rules {
    reel_retention fallback; /* for streams without a rule of their own */
    bool has_fallback;
    reel_retention_rule *rules;
    size_t n_rules;
} reel_retention_rules;

/* Add "SPEC" or "URI=SPEC" (a later rule for the same URI replaces it). */
int reel_retention_rules_add(reel_retention_rules *rs, const char *arg, reel_error *err);
/* The policy for uri (an unset policy when nothing applies). */
reel_retention reel_retention_rules_for(const reel_retention_rules *rs, const char *uri);
void reel_retention_rules_free(reel_retention_rules *rs);

#endif
