/*
 * store_lock.c — recording locks (see store_lock.h). Must never: remove a
 * lock file or hold a lock in anything but the descriptor it returns.
 */
#include "store/store_lock.h"

#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int open_lock(reel_store *st, const char *name, int *fd, reel_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 96];
    snprintf(dir, sizeof dir, "%s/locks", reel_store_root(st));
    int rc = reel_fs_mkdirs(dir, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return reel_error_set(err, REEL_EIO, "cannot open lock file %s: %s", path,
                              strerror(errno));
    return REEL_OK;
}

/* flock, retried on signals. */
static int lock_fd(int fd, int op)
{
    int r;
    while ((r = flock(fd, op)) != 0 && errno == EINTR)
        ;
    return r;
}

int reel_lock_acquire_stream(reel_store *st, const char *uri, int *fd_out, reel_error *err)
{
    reel_hash h;
    reel_hash_buf(uri, strlen(uri), &h);
    char name[REEL_HASH_HEX + 16];
    memcpy(name, "stream-", 7);
    reel_hash_to_hex(&h, name + 7);
    int fd;
    int rc = open_lock(st, name, &fd, err);
    if (rc)
        return rc;
    if (lock_fd(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return reel_error_set(err, REEL_ESTATE, "stream %s is being recorded by process %s",
                                  uri, pid[0] ? pid : "(unknown)");
        return reel_error_set(err, REEL_EIO, "cannot lock stream %s: %s", uri, strerror(e));
    }
    /* Who holds it, for the message above (best effort). */
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0) {
        /* only the message would lack the pid */
    }
    *fd_out = fd;
    return REEL_OK;
}

int reel_lock_acquire_recorders(reel_store *st, bool exclusive, int *fd_out, reel_error *err)
{
    int fd;
    int rc = open_lock(st, "recorders", &fd, err);
    if (rc)
        return rc;
    if (lock_fd(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return reel_error_set(err, REEL_ESTATE, "another process is recording in %s",
                                  reel_store_root(st));
        return reel_error_set(err, REEL_EIO, "cannot lock %s/locks/recorders: %s", reel_store_root(st),
                              strerror(e));
    }
    *fd_out = fd;
    return REEL_OK;
}

void reel_lock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* the lock goes with the open file description */
}
