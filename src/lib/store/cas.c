/*
 * cas.c — the content-addressed store (see cas.h for the layout).
 *
 * Every file enters content/ by rename() of a complete, fsynced file, so a
 * reader never sees a half-written blob and a crash leaves at worst a stray
 * temporary in tmp/ or staging/. Must never: open a content file for
 * writing.
 */
#include "store/cas.h"

#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct reel_cas {
    char root[PATH_MAX];    /* <store>/cas */
    char content[PATH_MAX]; /* <store>/cas/content/blake3 */
    char staging[PATH_MAX]; /* <store>/cas/staging/blake3 */
    char tmp[PATH_MAX];     /* <store>/cas/tmp */
    /* The file-I/O seam (core/fault.h): armed from $REEL_FAULT at open. */
    reel_fault fault;
};

int reel_cas_open(reel_cas **out, const char *root, bool create, reel_error *err)
{
    reel_cas *cas = calloc(1, sizeof *cas);
    if (!cas)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int n = snprintf(cas->root, sizeof cas->root, "%s/cas", root);
    if (n < 0 || (size_t)n + 80 >= sizeof cas->root) {
        free(cas);
        return reel_error_set(err, REEL_EINVAL, "store path too long: %s", root);
    }
    snprintf(cas->content, sizeof cas->content, "%s/content/blake3", cas->root);
    snprintf(cas->staging, sizeof cas->staging, "%s/staging/blake3", cas->root);
    snprintf(cas->tmp, sizeof cas->tmp, "%s/tmp", cas->root);
    int frc = reel_fault_arm_env(&cas->fault, err);
    if (frc) {
        free(cas);
        return frc;
    }
    const char *dirs[] = {cas->content, cas->staging, cas->tmp};
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
            continue;
        if (!create) {
            free(cas);
            return reel_error_set(err, REEL_ENOENT, "no reel store at %s (run 'reel init')", root);
        }
        int rc = reel_fs_mkdirs(dirs[i], err);
        if (rc) {
            free(cas);
            return rc;
        }
    }
    *out = cas;
    return REEL_OK;
}

void reel_cas_close(reel_cas *cas)
{
    free(cas);
}

const char *reel_cas_tmp_dir(const reel_cas *cas)
{
    return cas->tmp;
}

reel_fault *reel_cas_fault(const reel_cas *cas)
{
    /* Only the context's counters ever change, and they are atomic. */
    return (reel_fault *)&cas->fault;
}

static void shard_path(const char *base, const reel_hash *h, char *out)
{
    char hex[REEL_HASH_HEX + 1];
    reel_hash_to_hex(h, hex);
    snprintf(out, PATH_MAX, "%s/%.2s/%.2s/%s", base, hex, hex + 2, hex);
}

void reel_cas_content_path(const reel_cas *cas, const reel_hash *h, char *out)
{
    shard_path(cas->content, h, out);
}

void reel_cas_staging_path(const reel_cas *cas, const reel_hash *id, char *out)
{
    shard_path(cas->staging, id, out);
}

bool reel_cas_has(const reel_cas *cas, const reel_hash *h)
{
    char path[PATH_MAX];
    reel_cas_content_path(cas, h, path);
    return access(path, F_OK) == 0;
}

/* Make the two shard directories of `path`; with `durable`, fsync each
 * parent whose listing changed so the new names survive a crash. Staging
 * files need no durable name until they are sealed (their data is not
 * fsynced before that either), so staging skips the fsyncs. */
static int ensure_shard_dirs(reel_cas *cas, const char *path, bool durable, reel_error *err)
{
    char leaf[PATH_MAX], mid[PATH_MAX], top[PATH_MAX];
    reel_fs_dirname(path, leaf, sizeof leaf);
    if (access(leaf, F_OK) == 0)
        return REEL_OK;
    if (!durable)
        return reel_fs_mkdirs(leaf, err);
    reel_fs_dirname(leaf, mid, sizeof mid);
    reel_fs_dirname(mid, top, sizeof top);
    bool mid_new = access(mid, F_OK) != 0;
    int rc = reel_fs_mkdirs(leaf, err);
    if (rc)
        return rc;
    if (mid_new && (rc = reel_fs_fsync_dir_f(&cas->fault, top, err)))
        return rc;
    return reel_fs_fsync_dir_f(&cas->fault, mid, err);
}

int reel_cas_touch(const reel_cas *cas, const reel_hash *h, reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_content_path(cas, h, path);
    if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
        return REEL_OK;
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, hs);
    return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO, "cannot touch %s: %s",
                          hs, strerror(errno));
}

/* Put a complete, fsynced file at its content name by rename (copy when it
 * sits on another filesystem). Dedup: if the name exists, drop `src` --
 * after renewing the blob's mtime, which both tells a concurrent GC that
 * the blob is wanted again and proves GC has not taken it meanwhile (if
 * it has, our own copy goes in instead). A renamed file gets a fresh mtime
 * too: a staging chunk's last write may be long past. */
static int move_into_content(reel_cas *cas, const char *src, const reel_hash *h, reel_error *err)
{
    char dst[PATH_MAX], dir[PATH_MAX];
    reel_cas_content_path(cas, h, dst);
    if (utimensat(AT_FDCWD, dst, NULL, 0) == 0) {
        unlink(src);
        return REEL_OK;
    }
    int rc = ensure_shard_dirs(cas, dst, true, err);
    if (rc)
        return rc;
    if (chmod(src, 0444) != 0)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot chmod %s: %s", src, strerror(errno));
    /* Read-only before the rename, so content never appears writable; a
     * failed move gives the file its mode back, or a staging chunk could
     * not be opened for sealing again (recovery) by anyone but root. */
    if (reel_io_rename(&cas->fault, src, dst) != 0) {
        if (errno != EXDEV) {
            rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot move %s into the store as %s: %s", src,
                                dst, strerror(errno));
            chmod(src, 0644);
            return rc;
        }
        rc = reel_fs_copy_atomic_f(&cas->fault, src, dst, 0444, err);
        if (rc) {
            chmod(src, 0644);
            return rc;
        }
        unlink(src);
    }
    if (utimensat(AT_FDCWD, dst, NULL, 0) != 0)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot set the time of %s: %s", dst,
                              strerror(errno));
    reel_fs_dirname(dst, dir, sizeof dir);
    return reel_fs_fsync_dir_f(&cas->fault, dir, err);
}

int reel_cas_ingest(reel_cas *cas, const char *tmp_path, const reel_hash *known, reel_hash *out,
                    reel_error *err)
{
    reel_hash h;
    if (known) {
        h = *known;
    } else {
        int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return reel_error_set(err, reel_error_code_of_errno(errno), "cannot open %s: %s", tmp_path, strerror(errno));
        int s = reel_io_fsync(&cas->fault, fd);
        close(fd);
        if (s != 0)
            return reel_error_set(err, reel_error_code_of_errno(errno), "cannot fsync %s: %s", tmp_path, strerror(errno));
        int rc = reel_hash_file(tmp_path, &h, err);
        if (rc)
            return rc;
    }
    int rc = move_into_content(cas, tmp_path, &h, err);
    if (rc == 0 && out)
        *out = h;
    return rc;
}

int reel_cas_put_buf(reel_cas *cas, const void *data, size_t len, reel_hash *out, reel_error *err)
{
    reel_hash h;
    reel_hash_buf(data, len, &h);
    if (reel_cas_touch(cas, &h, NULL) == 0) { /* dedup; see move_into_content */
        if (out)
            *out = h;
        return REEL_OK;
    }
    char tmp[PATH_MAX];
    int fd;
    int rc = reel_fs_tmpfile(cas->tmp, "put-", tmp, &fd, err);
    if (rc)
        return rc;
    rc = reel_fs_write_all_f(&cas->fault, fd, tmp, data, len, err);
    if (rc == 0 && reel_io_fsync(&cas->fault, fd) != 0)
        rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot fsync %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0)
        rc = move_into_content(cas, tmp, &h, err);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    if (out)
        *out = h;
    return REEL_OK;
}

/* put_file hashes and copies at the same time: the hash runs over a
 * read-only mapping on this thread while a helper thread copies the file
 * into tmp/ with copy_file_range and starts writeback, so a large put costs
 * about max(hash, copy) instead of their sum. */
struct copy_job {
    int in, out;
    off_t size;
    reel_fault *fault;
    const char *tmp; /* the file written, for messages */
    int rc;
    char msg[PATH_MAX + 128];
};

static void *copy_thread(void *arg)
{
    struct copy_job *job = arg;
    off_t done = 0;
    const off_t step = 64 << 20;
    while (done < job->size) {
        size_t want = (size_t)((job->size - done) < step ? (job->size - done) : step);
        off_t ioff = done, ooff = done;
        ssize_t n = reel_io_copy_file_range(job->fault, job->in, &ioff, job->out, &ooff, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
            errno != EOPNOTSUPP && errno != EBADF) {
            /* A real failure (ENOSPC, EIO), not a filesystem that cannot. */
            job->rc = reel_error_code_of_errno(errno);
            snprintf(job->msg, sizeof job->msg, "cannot write %s: %s", job->tmp, strerror(errno));
            return NULL;
        }
        if (n == 0) {
            job->rc = REEL_EIO;
            snprintf(job->msg, sizeof job->msg, "read failed: the file shrank while copied");
            return NULL;
        }
        if (n < 0) {
            /* Fallback for filesystems without copy_file_range. */
            char *buf = malloc(1 << 20);
            if (!buf) {
                job->rc = REEL_ENOMEM;
                return NULL;
            }
            while (done < job->size) {
                ssize_t r = pread(job->in, buf, 1 << 20, done);
                if (r <= 0) {
                    job->rc = REEL_EIO;
                    snprintf(job->msg, sizeof job->msg, "read failed: %s",
                             r < 0 ? strerror(errno) : "file shrank");
                    free(buf);
                    return NULL;
                }
                /* pwrite may write less than asked (a nearly full disk, a
                 * signal): go on from where it stopped. */
                for (ssize_t w = 0; w < r;) {
                    ssize_t k = reel_io_pwrite(job->fault, job->out, buf + w, (size_t)(r - w),
                                               done + w);
                    if (k < 0 && errno == EINTR)
                        continue;
                    if (k <= 0) {
                        job->rc = k < 0 ? reel_error_code_of_errno(errno) : REEL_EIO;
                        snprintf(job->msg, sizeof job->msg, "cannot write %s: %s", job->tmp,
                                 k < 0 ? strerror(errno) : "no progress");
                        free(buf);
                        return NULL;
                    }
                    w += k;
                }
                done += r;
            }
            free(buf);
            break;
        }
        /* Start writeback of what was just copied so the final fsync is short. */
        sync_file_range(job->out, done, n, SYNC_FILE_RANGE_WRITE);
        done += n;
    }
    if (reel_io_fdatasync(job->fault, job->out) != 0) {
        job->rc = REEL_EIO;
        snprintf(job->msg, sizeof job->msg, "cannot fsync %s: %s", job->tmp, strerror(errno));
    }
    return NULL;
}

int reel_cas_put_file(reel_cas *cas, const char *path, reel_hash *out, reel_error *err)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO, "cannot open %s: %s",
                              path, strerror(errno));
    struct stat st;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return reel_error_set(err, REEL_EINVAL, "%s is not a regular file", path);
    }
    char tmp[PATH_MAX];
    int tfd;
    int rc = reel_fs_tmpfile(cas->tmp, "put-", tmp, &tfd, err);
    if (rc) {
        close(in);
        return rc;
    }
    struct copy_job job = {.in = in, .out = tfd, .size = st.st_size, .fault = &cas->fault,
                           .tmp = tmp};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, copy_thread, &job) == 0;
    if (!threaded)
        copy_thread(&job);

    reel_hasher hasher;
    reel_hasher_init(&hasher);
    int hash_rc = REEL_OK;
    if (st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in, 0);
        if (map == MAP_FAILED) {
            hash_rc = reel_error_set(err, reel_error_code_of_errno(errno), "cannot map %s: %s", path, strerror(errno));
        } else {
            madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
            reel_hasher_update(&hasher, map, (size_t)st.st_size);
            munmap(map, (size_t)st.st_size);
        }
    }
    if (threaded)
        pthread_join(th, NULL);
    close(in);
    if (close(tfd) != 0 && job.rc == 0) {
        job.rc = REEL_EIO;
        snprintf(job.msg, sizeof job.msg, "cannot close %s: %s", tmp, strerror(errno));
    }
    if (hash_rc || job.rc) {
        unlink(tmp);
        if (hash_rc)
            return hash_rc;
        return reel_error_set(err, job.rc, "cannot store %s: %s", path, job.msg);
    }
    reel_hash h;
    reel_hasher_final(&hasher, &h);
    rc = move_into_content(cas, tmp, &h, err);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    if (out)
        *out = h;
    return REEL_OK;
}

static bool is_hex_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

int reel_cas_resolve(const reel_cas *cas, const char *spec, reel_hash *out, reel_error *err)
{
    if (!spec)
        return reel_error_set(err, REEL_EINVAL, "missing hash");
    const char *s = strncmp(spec, REEL_HASH_PREFIX, 7) == 0 ? spec + 7 : spec;
    char want[REEL_HASH_HEX + 1];
    size_t n = strlen(s);
    if (n < 8 || n > REEL_HASH_HEX)
        return reel_error_set(err, REEL_EINVAL,
                              "'%.80s' is not a hash or a hash prefix (8 to 64 hex digits)", spec);
    for (size_t i = 0; i < n; i++)
        want[i] = (char)((s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 'a' : s[i]);
    want[n] = '\0';
    if (!is_hex_lower(want, n))
        return reel_error_set(err, REEL_EINVAL, "'%.80s' is not hexadecimal", spec);
    if (n == REEL_HASH_HEX) {
        reel_hash h;
        int rc = reel_hash_from_hex(&h, want, err);
        if (rc)
            return rc;
        if (!reel_cas_has(cas, &h))
            return reel_error_set(err, REEL_ENOENT, "no blob blake3:%s in the store", want);
        *out = h;
        return REEL_OK;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%.2s/%.2s", cas->content, want, want + 2);
    DIR *d = opendir(dir);
    if (!d)
        return reel_error_set(err, REEL_ENOENT, "no blob matches prefix %s", want);
    int found = 0;
    char match[REEL_HASH_HEX + 1] = "";
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strlen(de->d_name) == REEL_HASH_HEX && strncmp(de->d_name, want, n) == 0) {
            if (found++ == 0)
                memcpy(match, de->d_name, sizeof match);
        }
    }
    closedir(d);
    if (found == 0)
        return reel_error_set(err, REEL_ENOENT, "no blob matches prefix %s", want);
    if (found > 1)
        return reel_error_set(err, REEL_EAMBIG, "prefix %s matches %d blobs; give more digits",
                              want, found);
    return reel_hash_from_hex(out, match, err);
}

int reel_cas_open_content(const reel_cas *cas, const reel_hash *h, int *fd, reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_content_path(cas, h, path);
    /* A sealed blob is a regular file reel wrote: a symlink or anything
     * else planted under content/ must never be served as the blob. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    char hex[REEL_HASH_HEX + 1];
    if (*fd < 0) {
        reel_hash_to_hex(h, hex);
        if (errno == ELOOP)
            return reel_error_set(err, REEL_ECORRUPT,
                                  "blob blake3:%s is a symbolic link, not a sealed file", hex);
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open blob blake3:%s: %s", hex, strerror(errno));
    }
    struct stat sb;
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        reel_hash_to_hex(h, hex);
        return reel_error_set(err, REEL_ECORRUPT, "blob blake3:%s is not a regular file", hex);
    }
    return REEL_OK;
}

int reel_cas_verify(const reel_cas *cas, const reel_hash *h, reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_content_path(cas, h, path);
    reel_hash got;
    int rc = reel_hash_file(path, &got, err);
    if (rc)
        return rc;
    if (!reel_hash_equal(&got, h)) {
        char hex[REEL_HASH_HEX + 1], ghex[REEL_HASH_HEX + 1];
        reel_hash_to_hex(h, hex);
        reel_hash_to_hex(&got, ghex);
        return reel_error_set(err, REEL_ECORRUPT, "blob blake3:%s is corrupt (its bytes hash to %s)",
                              hex, ghex);
    }
    return REEL_OK;
}

int reel_cas_get(reel_cas *cas, const reel_hash *h, const char *out_path, reel_error *err)
{
    int rc = reel_cas_verify(cas, h, err);
    if (rc)
        return rc;
    char path[PATH_MAX];
    reel_cas_content_path(cas, h, path);
    return reel_fs_copy_atomic_f(&cas->fault, path, out_path, 0644, err);
}

int reel_cas_staging_create(reel_cas *cas, uint64_t size, reel_hash *id, int *fd_out,
                            reel_error *err)
{
    char path[PATH_MAX];
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = reel_hash_random(id, err);
        if (rc)
            return rc;
        reel_cas_staging_path(cas, id, path);
        rc = ensure_shard_dirs(cas, path, false, err);
        if (rc)
            return rc;
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return reel_error_set(err, reel_error_code_of_errno(errno), "cannot create staging file %s: %s", path,
                                  strerror(errno));
        if (size > 0) {
            /* Allocated for real: the engine writes through a mapping, and
             * a page it touches in a sparse file on a full disk is a SIGBUS
             * on the realtime thread. Only a filesystem that cannot
             * allocate (EOPNOTSUPP, EINVAL) gets a plain size instead; no
             * space (ENOSPC, EDQUOT) or an I/O error fails here, off the
             * realtime thread, naming the file. */
            int r = reel_io_fallocate(&cas->fault, fd, 0, (off_t)size);
            if (r == EOPNOTSUPP || r == EINVAL)
                r = ftruncate(fd, (off_t)size) == 0 ? 0 : errno;
            if (r != 0) {
                close(fd);
                unlink(path);
                /* The shard folders made for it go too when empty: a full
                 * store is retried often, and each try names a new file. */
                char dir[PATH_MAX], up[PATH_MAX];
                reel_fs_dirname(path, dir, sizeof dir);
                if (rmdir(dir) == 0) {
                    reel_fs_dirname(dir, up, sizeof up);
                    rmdir(up);
                }
                if (r == ENOSPC || r == EDQUOT)
                    return reel_error_set(err, REEL_ENOSPC,
                                          "the store's filesystem is full: cannot allocate %llu "
                                          "bytes for staging file %s: %s",
                                          (unsigned long long)size, path, strerror(r));
                return reel_error_set(err, REEL_EIO, "cannot allocate %llu bytes for staging file %s: %s",
                                      (unsigned long long)size, path, strerror(r));
            }
        }
        *fd_out = fd;
        return REEL_OK;
    }
    return reel_error_set(err, REEL_EEXIST, "could not find a free staging id");
}

int reel_cas_seal(reel_cas *cas, const reel_hash *staging_id, uint64_t length,
                  const reel_hash *known, reel_hash *out, reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_staging_path(cas, staging_id, path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open staging file %s: %s", path, strerror(errno));
    if (length != UINT64_MAX && ftruncate(fd, (off_t)length) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, reel_error_code_of_errno(e), "cannot truncate %s: %s", path, strerror(e));
    }
    if (reel_io_fdatasync(&cas->fault, fd) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, reel_error_code_of_errno(e), "cannot fsync %s: %s", path, strerror(e));
    }
    close(fd);
    reel_hash h;
    if (known) {
        h = *known;
    } else {
        int rc = reel_hash_file(path, &h, err);
        if (rc)
            return rc;
    }
    int rc = move_into_content(cas, path, &h, err);
    if (rc)
        return rc;
    if (out)
        *out = h;
    return REEL_OK;
}

int reel_cas_staging_remove(reel_cas *cas, const reel_hash *id, reel_error *err)
{
    char path[PATH_MAX];
    reel_cas_staging_path(cas, id, path);
    if (unlink(path) != 0 && errno != ENOENT)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot remove %s: %s", path, strerror(errno));
    return REEL_OK;
}

int reel_cas_foreach(const reel_cas *cas, int which, reel_cas_visit_fn fn, void *ud,
                     reel_error *err)
{
    const char *base = which ? cas->staging : cas->content;
    DIR *d1 = opendir(base);
    if (!d1)
        return reel_error_set(err, reel_error_code_of_errno(errno), "cannot list %s: %s", base, strerror(errno));
    int ret = 0;
    struct dirent *a;
    while (!ret && (a = readdir(d1))) {
        if (strlen(a->d_name) != 2 || !is_hex_lower(a->d_name, 2))
            continue;
        char p1[PATH_MAX];
        snprintf(p1, sizeof p1, "%s/%s", base, a->d_name);
        DIR *d2 = opendir(p1);
        if (!d2)
            continue;
        struct dirent *b;
        while (!ret && (b = readdir(d2))) {
            if (strlen(b->d_name) != 2 || !is_hex_lower(b->d_name, 2))
                continue;
            char p2[PATH_MAX];
            snprintf(p2, sizeof p2, "%s/%s", p1, b->d_name);
            DIR *d3 = opendir(p2);
            if (!d3)
                continue;
            struct dirent *c;
            while (!ret && (c = readdir(d3))) {
                if (strlen(c->d_name) != REEL_HASH_HEX || !is_hex_lower(c->d_name, REEL_HASH_HEX))
                    continue;
                reel_hash h;
                if (reel_hash_from_hex(&h, c->d_name, NULL))
                    continue;
                char p3[PATH_MAX];
                snprintf(p3, sizeof p3, "%s/%s", p2, c->d_name);
                ret = fn(&h, p3, ud);
            }
            closedir(d3);
        }
        closedir(d2);
    }
    closedir(d1);
    return ret;
}
