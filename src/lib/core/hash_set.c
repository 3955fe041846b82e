/*
 * hash_set.c — see hash_set.h. Grows at half full so probes stay short.
 */
#include "core/hash_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t bucket(const reel_hash *h, size_t cap)
{
    uint64_t v;
    memcpy(&v, h->b, sizeof v);
    return (size_t)v & (cap - 1);
}

static void place(reel_hash *slots, size_t cap, const reel_hash *h)
{
    size_t i = bucket(h, cap);
    while (!reel_hash_is_zero(&slots[i]))
        i = (i + 1) & (cap - 1);
    slots[i] = *h;
}

bool reel_hash_set_has(const reel_hash_set *s, const reel_hash *h)
{
    if (reel_hash_is_zero(h))
        return s->has_zero;
    if (s->cap == 0)
        return false;
    for (size_t i = bucket(h, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (reel_hash_is_zero(&s->slots[i]))
            return false;
        if (reel_hash_equal(&s->slots[i], h))
            return true;
    }
}

int reel_hash_set_add(reel_hash_set *s, const reel_hash *h, reel_error *err)
{
    if (reel_hash_is_zero(h)) {
        s->has_zero = true;
        return REEL_OK;
    }
    if (reel_hash_set_has(s, h))
        return REEL_OK;
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        reel_hash *ns = calloc(nc, sizeof *ns);
        if (!ns)
            return reel_error_set(err, REEL_ENOMEM, "out of memory for a set of hashes");
        for (size_t i = 0; i < s->cap; i++)
            if (!reel_hash_is_zero(&s->slots[i]))
                place(ns, nc, &s->slots[i]);
        free(s->slots);
        s->slots = ns;
        s->cap = nc;
    }
    place(s->slots, s->cap, h);
    s->n++;
    return REEL_OK;
}

void reel_hash_set_free(reel_hash_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
