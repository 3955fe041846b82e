/*
 * test_util.h — what the unit tests share: a temporary directory per test
 * under $REEL_TEST_TMPDIR (or /tmp), and its removal. Header-only so each
 * test executable stays one file; must never hold state between tests.
 */
#ifndef REEL_TEST_UTIL_H
#define REEL_TEST_UTIL_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Make DIR as "<base>/<name>.XXXXXX"; NULL on failure (like mkdtemp). */
static inline char *test_tmpdir_make(char *dir, size_t len, const char *name)
{
    const char *base = getenv("REEL_TEST_TMPDIR");
    snprintf(dir, len, "%s/%s.XXXXXX", base && base[0] ? base : "/tmp", name);
    return mkdtemp(dir);
}

/* The same on tmpfs (/dev/shm) where there is one, else as above: for
 * tests of the realtime side, where a shared VM's fsync latency is not what
 * is under test (it would decide whether the control side keeps up). */
static inline char *test_tmpdir_make_mem(char *dir, size_t len, const char *name)
{
    if (access("/dev/shm", W_OK) == 0) {
        snprintf(dir, len, "/dev/shm/reel-%s.XXXXXX", name);
        return mkdtemp(dir);
    }
    return test_tmpdir_make(dir, len, name);
}

static inline int test_tmpdir_rm_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove DIR and everything below it (read-only files included). */
static inline void test_tmpdir_remove(const char *dir)
{
    nftw(dir, test_tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* cmocka setup/teardown for tests whose state is just such a directory
 * (a malloc'd path). */
static inline int test_tmpdir_setup(void **state, const char *name)
{
    char *dir = malloc(PATH_MAX);
    if (!dir || !test_tmpdir_make(dir, PATH_MAX, name)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static inline int test_tmpdir_teardown(void **state)
{
    test_tmpdir_remove(*state);
    free(*state);
    return 0;
}

#endif
