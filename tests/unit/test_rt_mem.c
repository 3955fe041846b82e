/*
 * test_rt_mem.c — realtime memory and priority (rt_mem.h), chunk buffers
 * (chunk_map.h), and the hazard they exist for.
 *
 *   - reel_rt_alloc: zeroed, page-aligned, every page faulted in (writing
 *     it takes no fault), locked where permitted (VmLck grows);
 *   - refused locking and refused SCHED_FIFO (a child without
 *     CAP_IPC_LOCK / CAP_SYS_NICE and with RLIMIT_MEMLOCK / RLIMIT_RTPRIO
 *     at 0): the memory still works and is pre-faulted, the thread keeps
 *     normal priority, both are counted, and each is told exactly once;
 *   - the hazard: a pre-faulted page of a file-backed MAP_SHARED mapping
 *     faults on the next write once the kernel wrote it back (msync here,
 *     a sync or the periodic writeback in life); the cost of that fault is
 *     measured and printed (the number chunk_writer.h states); a chunk
 *     buffer written while its file is written back takes no fault, and
 *     reel_chunk_sync puts its bytes into the file;
 *   - the pool hands a returned buffer to the next chunk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "rt/chunk_map.h"
#include "rt/rt_mem.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static long minflt(void)
{
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return r.ru_minflt + r.ru_majflt;
}

/* AddressSanitizer intercepts mlock/mlockall and makes them succeed
 * without locking anything, so under it a lock can neither be seen in
 * VmLck nor refused: the lock checks are for the other builds. */
#if defined(__SANITIZE_ADDRESS__)
#define MLOCK_OBSERVABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLOCK_OBSERVABLE 0
#endif
#endif
/* ThreadSanitizer intercepts mlock the same way, and its shadow memory is
 * faulted in on the first access to each page of ours (counted as the
 * process's minor faults): neither locks nor the absence of faults can be
 * seen under it. */
#if defined(__SANITIZE_THREAD__)
#define MLOCK_OBSERVABLE 0
#define FAULTS_OBSERVABLE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MLOCK_OBSERVABLE 0
#define FAULTS_OBSERVABLE 0
#endif
#endif
#ifndef MLOCK_OBSERVABLE
#define MLOCK_OBSERVABLE 1
#endif
#ifndef FAULTS_OBSERVABLE
#define FAULTS_OBSERVABLE 1
#endif

static long vm_locked_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_alloc_prefaulted_and_locked(void **state)
{
    (void)state;
    const size_t n = 1 << 20;
    reel_rt_status s0, s1;
    reel_rt_get_status(&s0);
    long lk0 = vm_locked_kb();
    reel_error err = {0};
    uint8_t *p = reel_rt_alloc(n, &err);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 4096, 0);
    for (size_t i = 0; i < n; i += 4096)
        assert_int_equal(p[i], 0);
    long f0 = minflt();
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
    if (FAULTS_OBSERVABLE)
        assert_int_equal(minflt() - f0, 0); /* faulted in already */
    reel_rt_get_status(&s1);
    if (s1.lock_failures == s0.lock_failures && MLOCK_OBSERVABLE) {
        assert_true(s1.locked_bytes >= s0.locked_bytes + n);
        assert_true(vm_locked_kb() >= lk0 + (long)(n / 1024));
    }
    reel_rt_free(p, n);
    if (s1.lock_failures == s0.lock_failures && MLOCK_OBSERVABLE)
        assert_true(vm_locked_kb() <= lk0 + 4);
}

/* In a child that may neither lock nor ask for SCHED_FIFO. Exit codes: 0
 * ok, 10+ a failed check. */
static int child_refused(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) == 0) {
        for (int i = 0; i < 2; i++) {
            uint32_t drop = 0;
            if (CAP_IPC_LOCK / 32 == i)
                drop |= 1u << (CAP_IPC_LOCK % 32);
            if (CAP_SYS_NICE / 32 == i)
                drop |= 1u << (CAP_SYS_NICE % 32);
            d[i].effective &= ~drop;
            d[i].permitted &= ~drop;
            d[i].inheritable &= ~drop;
        }
        if (syscall(SYS_capset, &h, d) != 0)
            return 10;
    }
    struct rlimit zero = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &zero) != 0 || setrlimit(RLIMIT_RTPRIO, &zero) != 0)
        return 11;
    char note[512];
    while (reel_rt_next_note(note, sizeof note)) /* anything from before the fork */
        ;
    reel_rt_status s0, s1;
    reel_rt_get_status(&s0);
    uint8_t *p = reel_rt_alloc(256 << 10, NULL);
    if (!p)
        return 12;
    long f0 = minflt();
    for (size_t i = 0; i < (256 << 10); i += 4096)
        p[i] = 7; /* still faulted in */
    if (FAULTS_OBSERVABLE && minflt() - f0 != 0)
        return 13;
    if (reel_rt_promote_self(70))
        return 14;
    int pol = sched_getscheduler(0);
    if (pol == SCHED_FIFO)
        return 15;
    uint8_t *q = reel_rt_alloc(4096, NULL); /* a second refusal: counted, not told */
    reel_rt_get_status(&s1);
    if ((MLOCK_OBSERVABLE && s1.lock_failures < s0.lock_failures + 2) ||
        s1.fifo_failures != s0.fifo_failures + 1)
        return 16;
    int lock_notes = 0, fifo_notes = 0;
    while (reel_rt_next_note(note, sizeof note)) {
        lock_notes += strstr(note, "memory locking not permitted") != NULL;
        fifo_notes += strstr(note, "SCHED_FIFO") != NULL;
        if (!strstr(note, "(") || strchr(note, '\n'))
            return 17; /* one line, with the reason */
    }
    if ((MLOCK_OBSERVABLE && lock_notes != 1) || fifo_notes != 1)
        return 18;
    reel_rt_promote_self(70);
    if (reel_rt_next_note(note, sizeof note))
        return 19; /* told once */
    reel_rt_free(p, 256 << 10);
    reel_rt_free(q, 4096);
    return 0;
}

static void test_refusals_counted_and_told_once(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_refused());
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st))
        fail_msg("child check %d failed", WEXITSTATUS(st));
}

/* Writes to a pre-faulted file-backed shared page after writeback: the
 * cost per 4 KiB against the same write to a dirty page; and a chunk
 * buffer in the same situation. */
static void test_writeback_fault_and_chunk_buffers(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    assert_non_null(test_tmpdir_make(dir, sizeof dir, "rt_mem"));
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/chunk", dir);
    const size_t n = 4 << 20, pages = n / 4096;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(posix_fallocate(fd, 0, (off_t)n), 0);
    uint8_t *file = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(file != MAP_FAILED);
    if (madvise(file, n, MADV_POPULATE_WRITE) != 0)
        for (size_t i = 0; i < n; i += 4096)
            file[i] = 0;
    struct statfs sf;
    assert_int_equal(fstatfs(fd, &sf), 0);
    bool writeback = sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC;
    int64_t *dirty = malloc(pages * sizeof *dirty), *after = malloc(pages * sizeof *after);
    assert_non_null(dirty);
    assert_non_null(after);
    for (size_t i = 0; i < pages; i++) { /* dirty, writable pages */
        int64_t t = now_ns();
        memset(file + i * 4096, 1, 4096);
        dirty[i] = now_ns() - t;
    }
    assert_int_equal(msync(file, n, MS_SYNC), 0); /* written back: clean, write-protected */
    long f0 = minflt();
    for (size_t i = 0; i < pages; i++) {
        int64_t t = now_ns();
        memset(file + i * 4096, 2, 4096);
        after[i] = now_ns() - t;
    }
    long faults = minflt() - f0;
    qsort(dirty, pages, sizeof *dirty, cmp_i64);
    qsort(after, pages, sizeof *after, cmp_i64);
    fprintf(stderr,
            "file-backed MAP_SHARED, 4 KiB writes (fs 0x%lx): into dirty pages median %lld ns "
            "p99 %lld max %lld; after a writeback %ld faults / %zu pages, median %lld ns p99 "
            "%lld max %lld\n",
            (long)sf.f_type, (long long)dirty[pages / 2], (long long)dirty[pages * 99 / 100],
            (long long)dirty[pages - 1], faults, pages, (long long)after[pages / 2],
            (long long)after[pages * 99 / 100], (long long)after[pages - 1]);
    if (writeback && FAULTS_OBSERVABLE)
        assert_true(faults >= (long)pages / 2); /* the hazard is real here */

    /* The same with a chunk buffer: the writer writes it, the file is
     * written back meanwhile, the writes go on without a fault, and the
     * sync puts every byte into the file. */
    reel_chunk_pool pool;
    reel_chunk_pool_init(&pool, n);
    reel_error err = {0};
    uint8_t *buf = reel_chunk_pool_get(&pool, n, &err);
    assert_non_null(buf);
    size_t synced = 0;
    memset(buf, 3, n / 2);
    reel_chunk_sync(file, buf, &synced, n / 2);
    assert_int_equal(synced, n / 2);
    assert_int_equal(msync(file, n, MS_SYNC), 0);
    f0 = minflt();
    memset(buf + n / 2, 4, n / 2);
    if (FAULTS_OBSERVABLE)
        assert_int_equal(minflt() - f0, 0);
    reel_chunk_sync(file, buf, &synced, n);
    assert_int_equal(synced, n);
    reel_chunk_sync(file, buf, &synced, n / 4); /* never backwards */
    assert_int_equal(synced, n);
    assert_int_equal(msync(file, n, MS_SYNC), 0);
    uint8_t *back = malloc(n);
    assert_non_null(back);
    assert_int_equal(pread(fd, back, n, 0), (ssize_t)n);
    assert_memory_equal(back, buf, n);
    /* A returned buffer goes to the next chunk, still faulted in. */
    reel_chunk_pool_put(&pool, buf, n);
    uint8_t *again = reel_chunk_pool_get(&pool, n, &err);
    assert_ptr_equal(again, buf);
    f0 = minflt();
    memset(again, 5, n);
    if (FAULTS_OBSERVABLE)
        assert_int_equal(minflt() - f0, 0);
    uint8_t *other = reel_chunk_pool_get(&pool, 8192, &err); /* another size: unpooled */
    assert_non_null(other);
    assert_ptr_not_equal(other, again);
    reel_chunk_pool_put(&pool, other, 8192);
    reel_chunk_pool_put(&pool, again, n);
    reel_chunk_pool_destroy(&pool);
    free(back);
    free(dirty);
    free(after);
    munmap(file, n);
    close(fd);
    test_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_prefaulted_and_locked),
        cmocka_unit_test(test_refusals_counted_and_told_once),
        cmocka_unit_test(test_writeback_fault_and_chunk_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
