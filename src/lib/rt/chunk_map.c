/*
 * chunk_map.c — chunk buffers and their copy into staging files (see
 * chunk_map.h).
 */
#include "rt/chunk_map.h"

#include "rt/rt_mem.h"

#include <string.h>

void reel_chunk_pool_init(reel_chunk_pool *p, size_t size)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->size = size;
}

void *reel_chunk_pool_get(reel_chunk_pool *p, size_t size, reel_error *err)
{
    void *b = NULL;
    pthread_mutex_lock(&p->mu);
    if (size == p->size && p->n_free > 0)
        b = p->free[--p->n_free];
    pthread_mutex_unlock(&p->mu);
    return b ? b : reel_rt_alloc(size, err);
}

void reel_chunk_pool_put(reel_chunk_pool *p, void *buf, size_t size)
{
    if (!buf)
        return;
    pthread_mutex_lock(&p->mu);
    if (size == p->size && p->n_free < REEL_CHUNK_POOL_KEEP) {
        p->free[p->n_free++] = buf;
        buf = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    if (buf)
        reel_rt_free(buf, size);
}

void reel_chunk_pool_destroy(reel_chunk_pool *p)
{
    for (size_t i = 0; i < p->n_free; i++)
        reel_rt_free(p->free[i], p->size);
    p->n_free = 0;
    pthread_mutex_destroy(&p->mu);
}

void reel_chunk_sync(uint8_t *file, const uint8_t *buf, size_t *synced, size_t upto)
{
    if (upto <= *synced)
        return;
    memcpy(file + *synced, buf + *synced, upto - *synced);
    *synced = upto;
}
