/*
 * tar_write.c — ustar members (see tar_write.h).
 *
 * Must never: leave a member's data unpadded (the next header would be
 * misread), or write a header whose checksum was not computed over it.
 */
#include "media/tar_write.h"

#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512

static int split_name(const char *name, char hname[100], char prefix[155], reel_error *err)
{
    size_t n = strlen(name);
    memset(hname, 0, 100);
    memset(prefix, 0, 155);
    if (n == 0 || name[0] == '/')
        return reel_error_set(err, REEL_EINVAL, "tar member name '%.100s' is not relative",
                              name);
    if (n <= 100) {
        memcpy(hname, name, n);
        return REEL_OK;
    }
    /* Split at the last '/' that leaves both halves in range. */
    for (size_t i = n; i-- > 0;) {
        if (name[i] != '/')
            continue;
        if (i <= 155 && n - i - 1 <= 100 && n - i - 1 > 0) {
            memcpy(prefix, name, i);
            memcpy(hname, name + i + 1, n - i - 1);
            return REEL_OK;
        }
    }
    return reel_error_set(err, REEL_EINVAL, "tar member name too long: %.80s...", name);
}

static int write_header(int fd, const char *name, uint64_t size, int64_t mtime_s,
                        reel_error *err)
{
    if (size >= (1ULL << 33))
        return reel_error_set(err, REEL_EINVAL, "tar member %.100s is too large (%llu bytes)",
                              name, (unsigned long long)size);
    unsigned char h[BLOCK];
    memset(h, 0, sizeof h);
    char hname[100], prefix[155];
    int rc = split_name(name, hname, prefix, err);
    if (rc)
        return rc;
    memcpy(h, hname, 100);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)(mtime_s > 0 ? mtime_s : 0));
    h[156] = '0';
    memcpy(h + 257, "ustar", 6); /* magic with its NUL */
    memcpy(h + 263, "00", 2);
    memcpy(h + 345, prefix, 155);
    memset(h + 148, ' ', 8); /* the checksum counts its own field as spaces */
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return reel_fs_write_all(fd, h, BLOCK, err);
}

static int pad(int fd, uint64_t size, reel_error *err)
{
    static const unsigned char zero[BLOCK];
    size_t rest = (size_t)(size % BLOCK);
    return rest ? reel_fs_write_all(fd, zero, BLOCK - rest, err) : REEL_OK;
}

int reel_tar_add_buf(int fd, const char *name, const void *data, size_t len, int64_t mtime_s,
                     reel_error *err)
{
    int rc = write_header(fd, name, len, mtime_s, err);
    if (rc == 0 && len)
        rc = reel_fs_write_all(fd, data, len, err);
    if (rc == 0)
        rc = pad(fd, len, err);
    return rc;
}

int reel_tar_add_file(int fd, const char *name, const char *path, int64_t mtime_s,
                      reel_error *err)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return reel_error_set(err, REEL_EIO, "cannot open %.300s: %s", path, strerror(errno));
    struct stat sb;
    int rc = REEL_OK;
    if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = reel_error_set(err, REEL_EIO, "%.300s is not a regular file", path);
        goto out;
    }
    uint64_t size = (uint64_t)sb.st_size, done = 0;
    if ((rc = write_header(fd, name, size, mtime_s, err)))
        goto out;
    char buf[65536];
    while (done < size) {
        size_t want = size - done < sizeof buf ? (size_t)(size - done) : sizeof buf;
        ssize_t got = read(in, buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = reel_error_set(err, REEL_EIO, "cannot read %.300s: %s", path,
                                got < 0 ? strerror(errno) : "it shrank");
            goto out;
        }
        if ((rc = reel_fs_write_all(fd, buf, (size_t)got, err)))
            goto out;
        done += (uint64_t)got;
    }
    rc = pad(fd, size, err);
out:
    close(in);
    return rc;
}

int reel_tar_finish(int fd, reel_error *err)
{
    static const unsigned char zero[2 * BLOCK];
    return reel_fs_write_all(fd, zero, sizeof zero, err);
}
