/*
 * rt_mem.h — memory and scheduling for the realtime side.
 *
 * Memory the realtime thread touches (rings, chunk writers, the JACK
 * context's tables, chunk buffers) comes from reel_rt_alloc: page-aligned
 * pages of its own (so locking one object never locks or unlocks a
 * neighbour's page), every page faulted in now, and locked with mlock where
 * the process may (CAP_IPC_LOCK or within RLIMIT_MEMLOCK). Where it may
 * not, the memory is still pre-faulted and the failure is counted: under
 * memory pressure such pages can be reclaimed and fault again.
 *
 * Producer threads that play the realtime role outside JACK (ALSA capture,
 * the tone) ask for SCHED_FIFO with reel_rt_promote_self; where that is not
 * permitted they keep running at normal priority, and it is counted.
 *
 * Nothing here prints (a library does not): reel_rt_next_note hands each
 * condition out once, as one line for a person, for the application (the
 * engine) to say.
 *
 * Owns: the process-wide counters. Must never: be called on the realtime
 * thread (every function here makes system calls).
 */
#ifndef REEL_RT_MEM_H
#define REEL_RT_MEM_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* n bytes (rounded up to whole pages), zeroed, faulted in, locked where
 * permitted. NULL (and err) when out of memory. */
void *reel_rt_alloc(size_t n, reel_error *err);
void reel_rt_free(void *p, size_t n);

/* Lock an existing page-aligned mapping (munmap unlocks it). False if not
 * permitted; counted either way. */
bool reel_rt_lock(void *p, size_t n);

/* SCHED_FIFO at `prio` for the calling thread, where permitted. */
bool reel_rt_promote_self(int prio);

typedef struct reel_rt_status {
    uint64_t locked_bytes;    /* bytes locked so far (cumulative) */
    uint64_t lock_failures;   /* regions left unlocked */
    int lock_errno;           /* the first failure's errno */
    uint64_t fifo_threads;    /* threads promoted to SCHED_FIFO */
    uint64_t fifo_failures;   /* threads left at normal priority */
    int fifo_errno;
} reel_rt_status;

void reel_rt_get_status(reel_rt_status *s);

/* The next condition not yet told (memory locking refused, realtime
 * priority refused), as one line; false when there is nothing new. */
bool reel_rt_next_note(char *buf, size_t cap);

#endif
