/*
 * test_fsutil.c — the filesystem discipline: atomic replace leaves the new
 * bytes and no temporaries, atomic copy, mkdir -p, read_all, dirname.
 *
 * Each test works in its own directory under $REEL_TEST_TMPDIR (or /tmp),
 * removed at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char dir[PATH_MAX];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_tmpdir_make(f->dir, sizeof f->dir, "fsutil")) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void assert_file_is(const char *path, const void *want, size_t len)
{
    char *data = NULL;
    size_t got = 0;
    reel_error err = {0};
    assert_int_equal(reel_fs_read_all(path, &data, &got, &err), REEL_OK);
    assert_int_equal(got, len);
    if (len)
        assert_memory_equal(data, want, len);
    assert_int_equal(data[got], '\0');
    free(data);
}

static void test_write_atomic_creates_and_replaces(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX + 16];
    reel_error err = {0};
    snprintf(path, sizeof path, "%s/file", f->dir);

    assert_int_equal(reel_fs_write_atomic(path, NULL, "first version", 13, &err), REEL_OK);
    assert_file_is(path, "first version", 13);
    assert_int_equal(count_entries(f->dir), 1);

    /* Shorter replacement: no trailing bytes of the old content survive. */
    assert_int_equal(reel_fs_write_atomic(path, NULL, "2nd", 3, &err), REEL_OK);
    assert_file_is(path, "2nd", 3);
    assert_int_equal(count_entries(f->dir), 1);

    /* Empty content is a valid file. */
    assert_int_equal(reel_fs_write_atomic(path, NULL, "", 0, &err), REEL_OK);
    assert_file_is(path, "", 0);

    /* The mode is 0644 regardless of the umask of mkostemp (0600). */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_write_atomic_with_tmpdir(void **state)
{
    fixture *f = *state;
    char tmp[PATH_MAX + 16], dst_dir[PATH_MAX + 16], path[PATH_MAX + 32];
    reel_error err = {0};
    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    snprintf(dst_dir, sizeof dst_dir, "%s/dst", f->dir);
    assert_int_equal(reel_fs_mkdirs(tmp, &err), REEL_OK);
    assert_int_equal(reel_fs_mkdirs(dst_dir, &err), REEL_OK);
    snprintf(path, sizeof path, "%s/m.json", dst_dir);

    /* A larger payload than one write usually takes. */
    size_t len = 3 << 20;
    char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + i % 26);
    for (int round = 0; round < 5; round++) {
        data[0] = (char)('0' + round);
        assert_int_equal(reel_fs_write_atomic(path, tmp, data, len, &err), REEL_OK);
        assert_file_is(path, data, len);
        assert_int_equal(count_entries(tmp), 0);
        assert_int_equal(count_entries(dst_dir), 1);
    }
    free(data);
}

static void test_write_atomic_failure_leaves_old_file(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX + 16], missing[PATH_MAX + 16];
    reel_error err = {0};
    snprintf(path, sizeof path, "%s/keep", f->dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir", f->dir);
    assert_int_equal(reel_fs_write_atomic(path, NULL, "old", 3, &err), REEL_OK);
    /* A temp dir that does not exist: the write fails, the old file stays. */
    assert_int_not_equal(reel_fs_write_atomic(path, missing, "new", 3, &err), REEL_OK);
    assert_true(err.msg[0] != '\0');
    assert_file_is(path, "old", 3);
    assert_int_equal(count_entries(f->dir), 1);
    /* The destination directory itself missing. */
    char bad[PATH_MAX + 32];
    snprintf(bad, sizeof bad, "%s/file", missing);
    assert_int_not_equal(reel_fs_write_atomic(bad, NULL, "x", 1, &err), REEL_OK);
}

static void test_copy_atomic(void **state)
{
    fixture *f = *state;
    char src[PATH_MAX + 16], dst[PATH_MAX + 16];
    reel_error err = {0};
    snprintf(src, sizeof src, "%s/src", f->dir);
    snprintf(dst, sizeof dst, "%s/dst", f->dir);

    size_t len = (1 << 20) + 4097;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 131 + (i >> 9));
    assert_int_equal(reel_fs_write_atomic(src, NULL, data, len, &err), REEL_OK);

    assert_int_equal(reel_fs_copy_atomic(src, dst, 0444, &err), REEL_OK);
    assert_file_is(dst, data, len);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0444);
    assert_int_equal(count_entries(f->dir), 2);

    /* Copy over an existing (read-only) file replaces it by rename. */
    assert_int_equal(reel_fs_write_atomic(src, NULL, "short", 5, &err), REEL_OK);
    assert_int_equal(reel_fs_copy_atomic(src, dst, 0644, &err), REEL_OK);
    assert_file_is(dst, "short", 5);
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    /* Empty source. */
    assert_int_equal(reel_fs_write_atomic(src, NULL, "", 0, &err), REEL_OK);
    assert_int_equal(reel_fs_copy_atomic(src, dst, 0644, &err), REEL_OK);
    assert_file_is(dst, "", 0);
    assert_int_equal(count_entries(f->dir), 2);

    /* Missing source: ENOENT, destination untouched, no temporaries. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing", f->dir);
    assert_int_equal(reel_fs_copy_atomic(missing, dst, 0644, &err), REEL_ENOENT);
    assert_file_is(dst, "", 0);
    assert_int_equal(count_entries(f->dir), 2);
    free(data);
}

static void test_mkdirs(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX + 32];
    reel_error err = {0};
    snprintf(path, sizeof path, "%s/a/b/c/d", f->dir);
    assert_int_equal(reel_fs_mkdirs(path, &err), REEL_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* Idempotent, also with a trailing slash. */
    assert_int_equal(reel_fs_mkdirs(path, &err), REEL_OK);
    size_t n = strlen(path);
    path[n] = '/';
    path[n + 1] = '\0';
    assert_int_equal(reel_fs_mkdirs(path, &err), REEL_OK);

    /* A file in the way is an error, not success. */
    char file[PATH_MAX + 16], under[PATH_MAX + 32];
    snprintf(file, sizeof file, "%s/plain", f->dir);
    assert_int_equal(reel_fs_write_atomic(file, NULL, "x", 1, &err), REEL_OK);
    assert_int_not_equal(reel_fs_mkdirs(file, &err), REEL_OK);
    snprintf(under, sizeof under, "%s/plain/sub", f->dir);
    assert_int_not_equal(reel_fs_mkdirs(under, &err), REEL_OK);
    assert_int_equal(reel_fs_mkdirs("", &err), REEL_EINVAL);
}

static void test_read_all(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX + 16];
    reel_error err = {0};
    snprintf(path, sizeof path, "%s/r", f->dir);
    /* Embedded NUL bytes are kept; the buffer is NUL-terminated after. */
    const char data[] = {'a', '\0', 'b', 'c'};
    assert_int_equal(reel_fs_write_atomic(path, NULL, data, sizeof data, &err), REEL_OK);
    assert_file_is(path, data, sizeof data);

    /* len may be NULL. */
    char *text = NULL;
    assert_int_equal(reel_fs_read_all(path, &text, NULL, &err), REEL_OK);
    assert_non_null(text);
    free(text);

    snprintf(path, sizeof path, "%s/none", f->dir);
    assert_int_equal(reel_fs_read_all(path, &text, NULL, &err), REEL_ENOENT);
    assert_int_equal(err.code, REEL_ENOENT);
}

static void test_tmpfile_and_dirname(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX], out[PATH_MAX];
    reel_error err = {0};
    int fd = -1;
    assert_int_equal(reel_fs_tmpfile(f->dir, "pre-", path, &fd, &err), REEL_OK);
    assert_true(fd >= 0);
    assert_int_equal(reel_fs_write_all(fd, "hello", 5, &err), REEL_OK);
    close(fd);
    char prefix[PATH_MAX + 8];
    snprintf(prefix, sizeof prefix, "%s/pre-", f->dir);
    assert_memory_equal(path, prefix, strlen(prefix));
    assert_file_is(path, "hello", 5);
    unlink(path);

    reel_fs_dirname("/a/b/c", out, sizeof out);
    assert_string_equal(out, "/a/b");
    reel_fs_dirname("/top", out, sizeof out);
    assert_string_equal(out, "/");
    reel_fs_dirname("name", out, sizeof out);
    assert_string_equal(out, ".");
    reel_fs_dirname("rel/x", out, sizeof out);
    assert_string_equal(out, "rel");

    assert_int_equal(reel_fs_fsync_dir(f->dir, &err), REEL_OK);
    assert_int_equal(reel_fs_fsync_parent(path, &err), REEL_OK);
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/nope", f->dir);
    assert_int_equal(reel_fs_fsync_dir(missing, &err), REEL_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_atomic_creates_and_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic_with_tmpdir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic_failure_leaves_old_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_copy_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpfile_and_dirname, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
