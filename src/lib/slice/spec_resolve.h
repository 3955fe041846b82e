/*
 * spec_resolve.h — time specs that only a feature above the slice layer can
 * place: a session bound (model/session), a moment (model/moments). Such a
 * feature registers a resolver for its kind of spec; slicing asks the
 * resolver to turn the spec into one the stream resolves by itself: a frame
 * of this stream (REEL_TS_FRAME, exact) or a wall-clock instant
 * (REEL_TS_WALL, placed through the stream's clock snapshots).
 *
 * Owns: the registry of resolvers. Must never: know the kinds it carries.
 */
#ifndef REEL_SPEC_RESOLVE_H
#define REEL_SPEC_RESOLVE_H

#include "core/registry.h"
#include "store/store.h"
#include "time/timespec.h"

/* Place `ts` (of the resolver's kind) on stream `uri` (at `rate`). */
typedef int (*reel_spec_resolve_fn)(reel_store *st, const char *uri, uint32_t rate,
                                    const reel_timespec *ts, reel_timespec *out,
                                    reel_error *err);

typedef struct reel_spec_resolver {
    int kind; /* a reel_timespec kind (REEL_TS_SESSION, REEL_TS_MOMENT...) */
    reel_spec_resolve_fn fn;
} reel_spec_resolver;

#define REEL_SPEC_RESOLVER(object) REEL_REGISTER(spec_resolvers, reel_spec_resolver, object)

/* The resolver registered for `kind`, NULL if none. */
const reel_spec_resolver *reel_spec_resolver_find(int kind);

#endif
