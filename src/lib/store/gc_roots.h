/*
 * gc_roots.h — everything in the store that keeps content alive, listed
 * kind by kind: streams (definitions, live and sealed manifests, their
 * pages and every chunk they still hold) and the index (artifact contents,
 * the source chunks of virtual slices and of every other artifact but a
 * materialized slice, stream definitions, sealed manifests).
 *
 * A feature whose data keeps content alive (a project's sources, a canvas's
 * references) registers a lister with REEL_GC_ROOTS where it is defined;
 * GC asks every registered lister, so a new kind edits no shared list.
 *
 * Owns: the stream and artifact listers and the walk over every lister. Must never: modify the store, or skip a
 * root it could not read (a reader that fails fails the whole listing, so
 * GC deletes nothing it was unsure about).
 */
#ifndef REEL_GC_ROOTS_H
#define REEL_GC_ROOTS_H

#include "core/hash_set.h"
#include "core/registry.h"
#include "store/store.h"

/* Called once per referenced hash (duplicates possible); `kind` names the
 * root kind. Non-zero stops the listing and is returned. */
typedef int (*reel_gc_root_fn)(const reel_hash *h, const char *kind, void *ud);

/* A lister calls emit(hash, ud) for every hash it keeps alive; a non-zero
 * return stops it and must be returned. */
typedef int (*reel_gc_emit_fn)(const reel_hash *h, void *ud);

typedef struct reel_gc_root_lister {
    const char *kind; /* "stream", "artifact", "project"... */
    int (*list)(reel_store *st, reel_gc_emit_fn emit, void *ud, reel_error *err);
} reel_gc_root_lister;

#define REEL_GC_ROOTS(object) REEL_REGISTER(gc_roots, reel_gc_root_lister, object)

int reel_gc_roots_foreach(reel_store *st, reel_gc_root_fn fn, void *ud, reel_error *err);

/* All roots into a set (zero hashes left out). */
int reel_gc_roots_collect(reel_store *st, reel_hash_set *set, reel_error *err);

#endif
