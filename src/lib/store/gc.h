/*
 * gc.h — garbage collection: delete sealed content nothing references.
 *
 * Roots are listed by gc_roots.h (manifests live and sealed with their
 * pages and held chunks, artifacts, definitions; sessions when they land).
 * Staging and cas/tmp are not GC's business (crash recovery owns them).
 *
 * Safe while recording, slicing and sealing, without making any of them
 * wait. The protocol rests on one invariant kept by cas.c and slice.c:
 *
 *   (I) whoever is about to reference content it did not find through a
 *       root touches the blob first (mtime := now; reel_cas_touch), and
 *       every put, ingest and seal -- dedup onto an existing blob
 *       included -- leaves the blob's mtime at the time of the call. The
 *       reference must be persisted within the grace period after that.
 *       A touch that finds the blob gone (REEL_ENOENT) tells the writer
 *       GC took it: a seal or put then stores its own copy, a virtual
 *       slice plans again.
 *
 * A run:
 *   1. T0 := now, cutoff := T0 - grace. Take cas/tmp/gc.lock (one GC at a
 *      time; writers never take it). Put back any blob an interrupted GC
 *      left in cas/tmp (it may have been wanted).
 *   2. List content blobs; candidates are those with mtime < cutoff.
 *      (A blob that appears later is not looked at.)
 *   3. List every root (after 2, so a reference persisted before a blob
 *      showed up in 2 is seen: the recorder names a chunk's hash in its
 *      manifest before the rename that seals it).
 *   4. For each candidate not a root: rename it into cas/tmp (atomic: from
 *      now on no one can touch or dedup onto it), then look at its mtime
 *      again. Renewed since step 2 (>= cutoff): someone wants it, rename
 *      it back. Else unlink it.
 * Why that is enough: a reference created after step 3 was preceded by a
 * touch. If the touch came before 4's rename, the renewed mtime sends the
 * blob back; if after, the touch failed and the writer did not rely on
 * the blob. References made before step 3 are roots. Blobs retention
 * dropped from a manifest are kept while an artifact (a virtual slice)
 * still names them, and slices of dropped frames fail with REEL_ERANGE.
 *
 * Owns: the run and its report. Must never: delete a root, a blob younger
 * than the grace period, anything outside cas/content, or anything at all
 * when a root could not be read.
 */
#ifndef REEL_GC_H
#define REEL_GC_H

#include "store/store.h"

#define REEL_GC_GRACE_DEFAULT_NS (600LL * 1000000000LL) /* 10 minutes */
#define REEL_GC_GRACE_MIN_NS (1000000000LL) /* a writer's touch-to-reference time */

typedef struct reel_gc_opts {
    bool dry_run;     /* report, delete nothing */
    int64_t grace_ns; /* 0: REEL_GC_GRACE_DEFAULT_NS; else at least REEL_GC_GRACE_MIN_NS */
} reel_gc_opts;

typedef struct reel_gc_report {
    uint64_t blobs, blob_bytes;     /* content seen in step 2 */
    uint64_t roots;                 /* distinct hashes referenced */
    uint64_t removed, removed_bytes; /* deleted (dry run: would be) */
    uint64_t kept_young;   /* unreferenced, younger than the grace period */
    uint64_t kept_renewed; /* unreferenced, but touched while GC ran */
    uint64_t restored;     /* blobs an interrupted GC left in cas/tmp, put back */
} reel_gc_report;

/* Called for each blob removed (or, dry run, that would be). */
typedef void (*reel_gc_item_fn)(const reel_hash *h, uint64_t bytes, void *ud);

int reel_gc(reel_store *st, const reel_gc_opts *o, reel_gc_report *rep, reel_gc_item_fn fn,
            void *ud, reel_error *err);

#endif
