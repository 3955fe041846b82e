/*
 * store.h — a reel store: the CAS plus reel.db under one root directory.
 *
 * Owns: finding the root ($REEL_HOME, else $XDG_DATA_HOME/reel, else
 * ~/.local/share/reel, unless given), opening both halves, and the stream
 * registry operations that need both (definitions stored in CAS and named
 * in the database). Must never: create a store where the caller did not ask
 * for one (`reel init` creates, everything else opens).
 */
#ifndef REEL_STORE_H
#define REEL_STORE_H

#include "store/artifact_db.h"
#include "store/cas.h"
#include "store/manifest.h"
#include "core/stream_def.h"

#include <jansson.h>

#include <limits.h>
#include <stdbool.h>

/* An open store: its CAS, its index and its root folder. Opaque: every
 * module reaches the parts through the accessors below. */
typedef struct reel_store reel_store;

/* The store's content-addressed blobs, its index (reel.db), its root
 * folder. Borrowed: valid while the store is open. */
reel_cas *reel_store_cas(const reel_store *st);
reel_db *reel_store_db(const reel_store *st);
const char *reel_store_root(const reel_store *st);

/* The default root into out (PATH_MAX). */
int reel_store_default_root(char *out, size_t len, reel_error *err);

/* root NULL: the default. create: make it if absent. */
int reel_store_open(reel_store **out, const char *root, bool create, reel_error *err);
void reel_store_close(reel_store *st);

/* Everything needed to read a stream: registry row, definition, manifest
 * (the live one while recording, else the sealed one). */
typedef struct reel_stream_view {
    reel_db_stream row;
    reel_stream_def def;
    reel_manifest manifest;
} reel_stream_view;

int reel_store_stream_open(reel_store *st, const char *uri, reel_stream_view *v, reel_error *err);
void reel_stream_view_free(reel_stream_view *v);

/* What an artifact carries besides its row: its metadata and clock
 * snapshots as JSON (borrowed; NULL: none, or the a->*_json already set),
 * tags beyond the two every artifact gets, and the content hashes of the
 * chunks it was cut from (indexed for lineage from a chunk to its
 * artifacts). */
typedef struct reel_artifact_refs {
    json_t *meta;
    json_t *clock;
    json_t *source_chunks;
    const char *const *tags;
    size_t n_tags;
    const reel_hash *chunks;
    size_t n_chunks;
} reel_artifact_refs;

/* Record artifact `a` whose content is already in the CAS: the one way an
 * artifact enters the index. A fresh id goes into a->id unless one is set
 * (an artifact whose content names its own id makes it first with
 * reel_artifact_new_id); created_ns is now when 0; tags "type:<kind>" and,
 * with a stream, "stream:<uri>" are always added (duplicates dropped).
 * `r` may be NULL. a's malloc'd members stay the caller's. */
int reel_store_artifact_put(reel_store *st, reel_artifact *a, const reel_artifact_refs *r,
                            reel_error *err);

/* Store `def` as its canonical JSON in CAS (*dh) and record it as a
 * "stream-definition" artifact (tags type:stream-definition and
 * stream:<uri>) made by `creator` at `created_ns`; its id into art_id. */
int reel_store_definition_put(reel_store *st, const reel_stream_def *def, const char *creator,
                              int64_t created_ns, reel_hash *dh,
                              char art_id[REEL_ARTIFACT_ID_MAX], reel_error *err);

/* The newest definition of `uri`: the stream registry's if it ever
 * recorded, else the newest stream-definition artifact (stream_create's).
 * REEL_ENOENT naming the fix when there is none. */
int reel_store_definition_latest(reel_store *st, const char *uri, reel_stream_def *def,
                                 reel_error *err);

/* Load the definition JSON named by hash. */
int reel_store_load_definition(reel_store *st, const reel_hash *h, reel_stream_def *def,
                               reel_error *err);

#endif
