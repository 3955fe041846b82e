/*
 * gc_roots.h — everything in the store that keeps content alive, listed
 * kind by kind: streams (definitions, live and sealed manifests, their
 * pages and every chunk they still hold) and the index (artifact contents,
 * the source chunks of virtual slices and of every other artifact but a
 * materialized slice, stream definitions, sealed manifests).
 *
 * Sessions plug in here: when the sessions table lands, add a
 * `roots_sessions` lister to the table in gc_roots.c naming whatever a
 * session references (its artifact content is already an artifact root;
 * chunk ranges it pins go in as chunk hashes).
 *
 * Owns: the list of root kinds. Must never: modify the store, or skip a
 * root it could not read (a reader that fails fails the whole listing, so
 * GC deletes nothing it was unsure about).
 */
#ifndef REEL_GC_ROOTS_H
#define REEL_GC_ROOTS_H

#include "core/hash_set.h"
#include "store/store.h"

/* Called once per referenced hash (duplicates possible); `kind` names the
 * root kind. Non-zero stops the listing and is returned. */
typedef int (*reel_gc_root_fn)(const reel_hash *h, const char *kind, void *ud);

int reel_gc_roots_foreach(reel_store *st, reel_gc_root_fn fn, void *ud, reel_error *err);

/* All roots into a set (zero hashes left out). */
int reel_gc_roots_collect(reel_store *st, reel_hash_set *set, reel_error *err);

#endif
