/*
 * cas.h — the content-addressed store.
 *
 * Owns: the on-disk layout under <root>/cas (content/, staging/, tmp/), put,
 * get, has, verify, staging create/seal/remove and hash-prefix lookup.
 * Must never: write a content file in place (everything arrives by rename
 * of a fully written, fsynced file), or let a content file's bytes differ
 * from its name without `verify` saying so.
 *
 *   cas/content/blake3/ab/cd/<64 hex>   sealed, read-only
 *   cas/staging/blake3/ef/gh/<64 hex>   chunks being recorded, live manifests
 *   cas/tmp/                            temporaries for atomic replace
 */
#ifndef REEL_CAS_H
#define REEL_CAS_H

#include "core/fault.h"
#include "core/hash.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct reel_cas reel_cas;

/* Open the store under `root` (the CAS lives in root/cas). With `create`,
 * make the directories; without, fail with REEL_ENOENT if absent. */
int reel_cas_open(reel_cas **out, const char *root, bool create, reel_error *err);
void reel_cas_close(reel_cas *cas);

const char *reel_cas_tmp_dir(const reel_cas *cas);

/* The store's file-I/O fault context (core/fault.h), armed from
 * $REEL_FAULT at open; pass it to fsutil's *_f functions when writing
 * into the store. Tests arm it with reel_fault_arm. */
reel_fault *reel_cas_fault(const reel_cas *cas);

/* Paths (PATH_MAX buffers). */
void reel_cas_content_path(const reel_cas *cas, const reel_hash *h, char *out);
void reel_cas_staging_path(const reel_cas *cas, const reel_hash *id, char *out);

/* Store a copy of a file / a buffer; the name is its BLAKE3 hash. Existing
 * content is not rewritten (dedup). */
int reel_cas_put_file(reel_cas *cas, const char *path, reel_hash *out, reel_error *err);
int reel_cas_put_buf(reel_cas *cas, const void *data, size_t len, reel_hash *out,
                     reel_error *err);

/* Move a finished temporary file (normally in cas/tmp) into content. With
 * `known` the caller vouches for its hash (computed while writing);
 * otherwise the file is hashed. The file must already be fsynced when
 * `known` is given. */
int reel_cas_ingest(reel_cas *cas, const char *tmp_path, const reel_hash *known, reel_hash *out,
                    reel_error *err);

bool reel_cas_has(const reel_cas *cas, const reel_hash *h);

/* Renew a blob's mtime to now, proving it still exists (REEL_ENOENT if
 * not). GC's safety rests on this (gc.h): whoever is about to reference
 * content it did not just store touches it first, and every put, ingest
 * and seal leaves its blob's mtime at the time of the call, dedup
 * included. */
int reel_cas_touch(const reel_cas *cas, const reel_hash *h, reel_error *err);

/* Resolve "blake3:<hex>", a full 64-hex hash or a unique prefix of at least
 * 8 hex digits to a stored content hash. REEL_ENOENT / REEL_EAMBIG. */
int reel_cas_resolve(const reel_cas *cas, const char *spec, reel_hash *out, reel_error *err);

/* Copy content out to `out_path` atomically (verifying the hash on the way).
 * The copy is writable (0644). */
int reel_cas_get(reel_cas *cas, const reel_hash *h, const char *out_path, reel_error *err);

/* Re-hash stored content; REEL_ECORRUPT if it no longer matches its name. */
int reel_cas_verify(const reel_cas *cas, const reel_hash *h, reel_error *err);

/* Read-only access to content bytes: open for reading. Returns fd. */
int reel_cas_open_content(const reel_cas *cas, const reel_hash *h, int *fd, reel_error *err);

/* Staging: create a new file (random id) of `size` bytes (allocated, not
 * sparse, so later writes through a mapping do not need block allocation).
 * The open read-write fd is returned in *fd (caller closes). */
int reel_cas_staging_create(reel_cas *cas, uint64_t size, reel_hash *id, int *fd,
                            reel_error *err);

/* Seal a staging file: truncate to `length` bytes (UINT64_MAX: keep size),
 * fsync, hash (unless `known` is given), rename into content (copy across
 * filesystems; drop the staging file if the content exists), fsync the
 * directories. */
int reel_cas_seal(reel_cas *cas, const reel_hash *staging_id, uint64_t length,
                  const reel_hash *known, reel_hash *out, reel_error *err);

int reel_cas_staging_remove(reel_cas *cas, const reel_hash *id, reel_error *err);

/* Iterate content (which = 0) or staging (which = 1) files. Stops when the
 * callback returns non-zero and returns that value. */
typedef int (*reel_cas_visit_fn)(const reel_hash *h, const char *path, void *ud);
int reel_cas_foreach(const reel_cas *cas, int which, reel_cas_visit_fn fn, void *ud,
                     reel_error *err);

#endif
