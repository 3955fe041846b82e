/*
 * chunk_map.h — the memory a chunk writer writes, kept apart from the
 * staging file it ends up in.
 *
 * A chunk writer never writes a staging file's own MAP_SHARED mapping:
 * once the kernel has written such a page back (a sync anywhere, or the
 * periodic writeback of pages dirty for vm.dirty_expire_centisecs, 30 s),
 * the next write to it is a page fault into the filesystem (chunk_writer.h
 * has the measured cost). It writes a buffer of realtime memory
 * (rt_mem.h: anonymous, faulted in, locked where permitted) instead, and
 * whoever owns the chunk on the control side copies what the head says is
 * final into the file's mapping: before it publishes or records a head
 * position, and before it seals a full chunk, so nothing that names a
 * position ever gets ahead of the file.
 *
 * Buffers are pooled per stream (chunks of a stream have one size): a
 * buffer that comes back with a full chunk is faulted in and locked
 * already, and goes to the next chunk.
 *
 * Owns: the pool's buffers. Must never: be used on the realtime thread.
 */
#ifndef REEL_CHUNK_MAP_H
#define REEL_CHUNK_MAP_H

#include "core/error.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_CHUNK_POOL_KEEP 4 /* free buffers a pool keeps for reuse */

typedef struct reel_chunk_pool {
    pthread_mutex_t mu;
    size_t size;
    void *free[REEL_CHUNK_POOL_KEEP];
    size_t n_free;
} reel_chunk_pool;

void reel_chunk_pool_init(reel_chunk_pool *p, size_t size);
/* A buffer of `size` bytes (the pool's size, else unpooled), faulted in. */
void *reel_chunk_pool_get(reel_chunk_pool *p, size_t size, reel_error *err);
void reel_chunk_pool_put(reel_chunk_pool *p, void *buf, size_t size);
void reel_chunk_pool_destroy(reel_chunk_pool *p);

/* Copy buf[*synced, upto) to file[*synced, upto) and move *synced on. */
void reel_chunk_sync(uint8_t *file, const uint8_t *buf, size_t *synced, size_t upto);

#endif
