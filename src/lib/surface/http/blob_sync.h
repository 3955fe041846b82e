/*
 * blob_sync.h — moving sealed blobs between this store and another reel
 * (or any server speaking the blob API: HEAD|GET|PUT /blobs/blake3:<hex>).
 *
 * Owns: deciding which blobs the other side lacks (HEAD before PUT; the
 * local CAS before GET) and the transfers, with libcurl. Must never: store
 * a pulled blob whose bytes do not hash to its name (it is verified on
 * arrival, in cas/tmp, before it enters content), hold a blob in memory,
 * or send a blob the other side already has.
 */
#ifndef REEL_BLOB_SYNC_H
#define REEL_BLOB_SYNC_H

#include "store/cas.h"

#include <stddef.h>
#include <stdint.h>

typedef struct reel_sync_report {
    uint64_t blobs;       /* considered */
    uint64_t transferred; /* sent or received */
    uint64_t present;     /* already on the receiving side */
    uint64_t bytes;       /* transferred bytes */
} reel_sync_report;

/* Which blobs: `hashes` (n of them), or with hashes NULL every content blob
 * of the local store (push) / every blob the remote lists at GET /blobs
 * (pull). `base_url` is "http://host:port" (a trailing '/' is fine);
 * `token` (may be NULL) is sent as a bearer token. Stops at the first
 * failure, with what was done so far in *rep. */
int reel_sync_push(reel_cas *cas, const char *base_url, const reel_hash *hashes, size_t n,
                   const char *token, reel_sync_report *rep, reel_error *err);
int reel_sync_pull(reel_cas *cas, const char *base_url, const reel_hash *hashes, size_t n,
                   const char *token, reel_sync_report *rep, reel_error *err);

/* The same, calling `progress` (may be NULL) after each blob with the report
 * so far and the number of blobs in all (0 while unknown: a push of every
 * local blob). */
typedef void (*reel_sync_progress_fn)(const reel_sync_report *rep, uint64_t total, void *ud);
int reel_sync_push_progress(reel_cas *cas, const char *base_url, const reel_hash *hashes,
                            size_t n, const char *token, reel_sync_progress_fn progress,
                            void *ud, reel_sync_report *rep, reel_error *err);
int reel_sync_pull_progress(reel_cas *cas, const char *base_url, const reel_hash *hashes,
                            size_t n, const char *token, reel_sync_progress_fn progress,
                            void *ud, reel_sync_report *rep, reel_error *err);

#endif
