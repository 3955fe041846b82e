/*
 * rt_mem.c — realtime memory and priority (see rt_mem.h).
 */
#include "rt/rt_mem.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static _Atomic uint64_t g_locked, g_lock_fail, g_fifo, g_fifo_fail;
static _Atomic int g_lock_errno, g_fifo_errno;
static _Atomic bool g_lock_told, g_fifo_told;

static size_t page_round(size_t n)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t p = ps > 0 ? (size_t)ps : 4096;
    return (n + p - 1) / p * p;
}

bool reel_rt_lock(void *p, size_t n)
{
    if (!p || n == 0)
        return true;
    if (mlock(p, n) == 0) {
        atomic_fetch_add(&g_locked, n);
        return true;
    }
    int e = errno, zero = 0;
    atomic_compare_exchange_strong(&g_lock_errno, &zero, e);
    atomic_fetch_add(&g_lock_fail, 1);
    return false;
}

void *reel_rt_alloc(size_t n, reel_error *err)
{
    size_t len = page_round(n ? n : 1);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        reel_error_set(err, REEL_ENOMEM, "out of memory for %zu bytes of realtime memory", n);
        return NULL;
    }
    /* Fault every page in for writing (fresh anonymous pages are the zero
     * page until written), then keep them. */
    for (size_t off = 0; off < len; off += 4096)
        ((volatile uint8_t *)p)[off] = 0;
    reel_rt_lock(p, len);
    return p;
}

void reel_rt_free(void *p, size_t n)
{
    if (!p)
        return;
    munmap(p, page_round(n ? n : 1)); /* also unlocks */
}

bool reel_rt_promote_self(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    int min = sched_get_priority_min(SCHED_FIFO), max = sched_get_priority_max(SCHED_FIFO);
    if (min >= 0 && sp.sched_priority < min)
        sp.sched_priority = min;
    if (max >= 0 && sp.sched_priority > max)
        sp.sched_priority = max;
    int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    if (e == 0) {
        atomic_fetch_add(&g_fifo, 1);
        return true;
    }
    int zero = 0;
    atomic_compare_exchange_strong(&g_fifo_errno, &zero, e);
    atomic_fetch_add(&g_fifo_fail, 1);
    return false;
}

void reel_rt_get_status(reel_rt_status *s)
{
    s->locked_bytes = atomic_load(&g_locked);
    s->lock_failures = atomic_load(&g_lock_fail);
    s->lock_errno = atomic_load(&g_lock_errno);
    s->fifo_threads = atomic_load(&g_fifo);
    s->fifo_failures = atomic_load(&g_fifo_fail);
    s->fifo_errno = atomic_load(&g_fifo_errno);
}

bool reel_rt_next_note(char *buf, size_t cap)
{
    if (atomic_load(&g_lock_fail) && !atomic_exchange(&g_lock_told, true)) {
        struct rlimit rl = {0};
        getrlimit(RLIMIT_MEMLOCK, &rl);
        char lim[32];
        if (rl.rlim_cur == RLIM_INFINITY)
            snprintf(lim, sizeof lim, "unlimited");
        else
            snprintf(lim, sizeof lim, "%llu KiB", (unsigned long long)(rl.rlim_cur / 1024));
        snprintf(buf, cap,
                 "memory locking not permitted (%s; RLIMIT_MEMLOCK %s): realtime buffers are "
                 "pre-faulted but not locked, and may fault again under memory pressure (raise "
                 "the limit, e.g. ulimit -l, or grant CAP_IPC_LOCK)",
                 strerror(atomic_load(&g_lock_errno)), lim);
        return true;
    }
    if (atomic_load(&g_fifo_fail) && !atomic_exchange(&g_fifo_told, true)) {
        snprintf(buf, cap,
                 "realtime priority (SCHED_FIFO) not permitted (%s): capture threads run at "
                 "normal priority (grant an rtprio limit, e.g. the audio group, or "
                 "CAP_SYS_NICE)",
                 strerror(atomic_load(&g_fifo_errno)));
        return true;
    }
    return false;
}
