/*
 * ring.c — SPSC ring (see ring.h).
 *
 * The producer publishes an element with a release store of `head`; the
 * consumer acquires `head` before reading the element, and releases `tail`
 * after copying it out, so the producer never overwrites an unread slot.
 * Must never: allocate or block in push/pop.
 */
#include "rt/ring.h"

#include "rt/rt_mem.h"

#include <string.h>

int reel_ring_init(reel_ring *r, size_t elem_size, size_t capacity, reel_error *err)
{
    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    if (elem_size == 0 || cap == 0 || cap > ((size_t)1 << 30))
        return reel_error_set(err, REEL_EINVAL, "bad ring size %zu x %zu", capacity, elem_size);
    /* Pages of its own, faulted in and locked (rt_mem.h): the realtime side
     * must not take its first fault on a slot hours later. */
    r->buf = reel_rt_alloc(cap * elem_size, err);
    if (!r->buf)
        return err ? err->code : REEL_ENOMEM;
    r->mask = cap - 1;
    r->elem_size = elem_size;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return REEL_OK;
}

void reel_ring_destroy(reel_ring *r)
{
    if (r->buf)
        reel_rt_free(r->buf, (r->mask + 1) * r->elem_size);
    r->buf = NULL;
}

bool reel_ring_push(reel_ring *r, const void *elem)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail > r->mask)
        return false;
    memcpy(r->buf + (head & r->mask) * r->elem_size, elem, r->elem_size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return true;
}

bool reel_ring_pop(reel_ring *r, void *elem)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail == head)
        return false;
    memcpy(elem, r->buf + (tail & r->mask) * r->elem_size, r->elem_size);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

size_t reel_ring_count(const reel_ring *r)
{
    size_t head = atomic_load_explicit(&((reel_ring *)r)->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&((reel_ring *)r)->tail, memory_order_acquire);
    return head - tail;
}

size_t reel_ring_capacity(const reel_ring *r)
{
    return r->mask + 1;
}
