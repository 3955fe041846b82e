/*
 * ring.h — a lock-free single-producer/single-consumer ring of fixed-size
 * elements.
 *
 * Owns: the only channel between the realtime thread and everything else.
 * Memory is allocated once by reel_ring_init (off the realtime thread);
 * push and pop never allocate, lock or make a system call. Must never: be
 * used with more than one producer or more than one consumer.
 */
#ifndef REEL_RING_H
#define REEL_RING_H

#include "core/error.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct reel_ring {
    alignas(64) _Atomic size_t head; /* next slot the producer writes */
    alignas(64) _Atomic size_t tail; /* next slot the consumer reads */
    alignas(64) size_t mask;         /* capacity - 1 (capacity a power of two) */
    size_t elem_size;
    uint8_t *buf;
} reel_ring;

/* capacity is rounded up to a power of two (>= 2). */
int reel_ring_init(reel_ring *r, size_t elem_size, size_t capacity, reel_error *err);
void reel_ring_destroy(reel_ring *r);

bool reel_ring_push(reel_ring *r, const void *elem); /* producer; false if full */
bool reel_ring_pop(reel_ring *r, void *elem);        /* consumer; false if empty */
size_t reel_ring_count(const reel_ring *r);          /* approximate from either side */
size_t reel_ring_capacity(const reel_ring *r);

#endif
