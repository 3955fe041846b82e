/*
 * spec_resolve.c — the resolver registry (see spec_resolve.h).
 */
#include "slice/spec_resolve.h"

#include <stddef.h>

REEL_REGISTRY_DECLARE(spec_resolvers, reel_spec_resolver);

const reel_spec_resolver *reel_spec_resolver_find(int kind)
{
    for (size_t i = 0; i < REEL_REGISTRY_COUNT(spec_resolvers); i++)
        if (REEL_REGISTRY_BEGIN(spec_resolvers)[i]->kind == kind)
            return REEL_REGISTRY_BEGIN(spec_resolvers)[i];
    return NULL;
}
