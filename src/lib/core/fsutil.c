/*
 * fsutil.c — atomic replace and durable writes (see fsutil.h).
 *
 * Why fsync the directory: a rename is only durable once the directory that
 * holds the new name is on disk; without it a power cut can resurrect the old
 * name or lose the new one. Must never: rename a file before its data is
 * fsynced.
 */
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int reel_fs_mkdirs(const char *path, reel_error *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return reel_error_set(err, REEL_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return reel_error_set(err, reel_error_code_of_errno(errno), "cannot create directory %s: %s", buf,
                                      strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return reel_error_set(err, REEL_EIO, "%s is not a directory", path);
    return REEL_OK;
}

void reel_fs_dirname(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, outlen, ".");
    } else if (slash == path) {
        snprintf(out, outlen, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= outlen)
            n = outlen - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

int reel_fs_fsync_dir_f(reel_fault *f, const char *dir, reel_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot open directory %s: %s", dir, strerror(errno));
    int rc = reel_io_fsync(f, fd);
    int e = errno;
    close(fd);
    if (rc != 0)
        return reel_error_set(err, reel_error_code_of_errno(e), "cannot fsync directory %s: %s", dir, strerror(e));
    return REEL_OK;
}

int reel_fs_fsync_dir(const char *dir, reel_error *err)
{
    return reel_fs_fsync_dir_f(NULL, dir, err);
}

int reel_fs_fsync_parent(const char *path, reel_error *err)
{
    char dir[PATH_MAX];
    reel_fs_dirname(path, dir, sizeof dir);
    return reel_fs_fsync_dir(dir, err);
}

/* Write everything; on failure *e is the errno (0: the kernel wrote
 * nothing and said nothing, which must not loop forever). */
static int write_all(reel_fault *f, int fd, const void *data, size_t len, int *e)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = reel_io_write(f, fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *e = n < 0 ? errno : 0;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int reel_fs_write_all(int fd, const void *data, size_t len, reel_error *err)
{
    int e;
    if (write_all(NULL, fd, data, len, &e))
        return reel_error_set(err, reel_error_code_of_errno(e), "write failed: %s",
                              e ? strerror(e) : "no progress");
    return REEL_OK;
}

int reel_fs_write_all_f(reel_fault *f, int fd, const char *path, const void *data, size_t len,
                        reel_error *err)
{
    int e;
    if (write_all(f, fd, data, len, &e))
        return reel_error_set(err, reel_error_code_of_errno(e), "cannot write %s: %s", path,
                              e ? strerror(e) : "no progress");
    return REEL_OK;
}

int reel_fs_tmpfile(const char *dir, const char *prefix, char *path_out, int *fd, reel_error *err)
{
    int n = snprintf(path_out, PATH_MAX, "%s/%sXXXXXX", dir, prefix);
    if (n < 0 || n >= PATH_MAX)
        return reel_error_set(err, REEL_EINVAL, "temporary path too long in %s", dir);
    *fd = mkostemp(path_out, O_CLOEXEC);
    if (*fd < 0)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot create a file in %s: %s", dir,
                              strerror(errno));
    return REEL_OK;
}

int reel_fs_write_atomic_f(reel_fault *f, const char *path, const char *tmpdir, const void *data,
                           size_t len, reel_error *err)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    reel_fs_dirname(path, dir, sizeof dir);
    int fd;
    int rc = reel_fs_tmpfile(tmpdir ? tmpdir : dir, ".reel-tmp-", tmp, &fd, err);
    if (rc)
        return rc;
    /* The errors name the destination: the temporary is an implementation
     * detail, and it is removed. */
    int e = 0;
    if (write_all(f, fd, data, len, &e))
        rc = reel_error_set(err, reel_error_code_of_errno(e), "cannot write %s: %s", path,
                            e ? strerror(e) : "no progress");
    if (rc == 0 && fchmod(fd, 0644) != 0)
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot chmod %s: %s", tmp, strerror(errno));
    if (rc == 0 && reel_io_fsync(f, fd) != 0)
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot fsync %s (for %s): %s", tmp, path,
                            strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot close %s (for %s): %s", tmp, path,
                            strerror(errno));
    if (rc == 0 && reel_io_rename(f, tmp, path) != 0)
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot rename into %s: %s", path, strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }
    return reel_fs_fsync_dir_f(f, dir, err);
}

int reel_fs_write_atomic(const char *path, const char *tmpdir, const void *data, size_t len,
                         reel_error *err)
{
    return reel_fs_write_atomic_f(NULL, path, tmpdir, data, len, err);
}

/* copy_file_range cannot do this pair of files: copy by hand instead.
 * Anything else (ENOSPC, EIO) is a real failure. */
static bool copy_unsupported(int e)
{
    return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF;
}

int reel_fs_copy_atomic_f(reel_fault *f, const char *src, const char *dst, mode_t mode,
                          reel_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO, "cannot open %s: %s",
                              src, strerror(errno));
    char dir[PATH_MAX], tmp[PATH_MAX];
    reel_fs_dirname(dst, dir, sizeof dir);
    int out;
    int rc = reel_fs_tmpfile(dir, ".reel-out-", tmp, &out, err);
    if (rc) {
        close(in);
        /* err->msg is both the format argument and the destination: copy it. */
        char why[REEL_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        return reel_error_set(err, REEL_EIO, "cannot write %s: %s", dst, why);
    }
    struct stat st;
    if (fstat(in, &st) != 0) {
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot stat %s: %s", src, strerror(errno));
        goto fail;
    }
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = reel_io_copy_file_range(f, in, NULL, out, NULL, (size_t)left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && !copy_unsupported(errno)) {
            rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot write %s: %s", dst, strerror(errno));
            goto fail;
        }
        if (n == 0) {
            rc = reel_error_set(err, REEL_EIO, "cannot copy %s to %s: it shrank while copied",
                                src, dst);
            goto fail;
        }
        if (n < 0) {
            /* Fallback: plain read/write from where the copy got to. */
            char buf[1 << 16];
            ssize_t r = 0;
            while (left > 0 && (r = read(in, buf, sizeof buf)) > 0) {
                rc = reel_fs_write_all_f(f, out, dst, buf, (size_t)r, err);
                if (rc)
                    goto fail;
                left -= r;
            }
            if (left > 0) {
                rc = reel_error_set(err, REEL_EIO, "cannot read %s: %s", src,
                                    r < 0 ? strerror(errno) : "it shrank while copied");
                goto fail;
            }
            break;
        }
        left -= n;
    }
    if (fchmod(out, mode) != 0 || reel_io_fsync(f, out) != 0) {
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot write %s: %s", dst, strerror(errno));
        goto fail;
    }
    close(in);
    if (close(out) != 0) {
        unlink(tmp);
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot write %s: %s", dst, strerror(errno));
    }
    if (reel_io_rename(f, tmp, dst) != 0) {
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot write %s: %s", dst, strerror(errno));
        unlink(tmp);
        return rc;
    }
    return reel_fs_fsync_dir_f(f, dir, err);
fail:
    close(in);
    close(out);
    unlink(tmp);
    return rc;
}

int reel_fs_copy_atomic(const char *src, const char *dst, mode_t mode, reel_error *err)
{
    return reel_fs_copy_atomic_f(NULL, src, dst, mode, err);
}

int reel_fs_read_all(const char *path, char **data, size_t *len, reel_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO, "cannot open %s: %s",
                              path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return reel_error_set(err, REEL_EIO, "cannot stat %s", path);
    }
    size_t cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return reel_error_set(err, REEL_ENOMEM, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return reel_error_set(err, reel_error_code_of_errno(e), "cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    if (len)
        *len = got;
    return REEL_OK;
}
