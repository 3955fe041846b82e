/*
 * gc.c — garbage collection (see gc.h for the protocol and why it is safe
 * while recording).
 */
#include "store/gc.h"

#include "time/clock.h"
#include "core/fsutil.h"
#include "store/gc_roots.h"
#include "core/hash_set.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRASH_PREFIX "gc-"

typedef struct candidate {
    reel_hash h;
    uint64_t bytes;
    bool young; /* inside the grace period: never a candidate for removal */
} candidate;

typedef struct scan_ctx {
    int64_t cutoff_ns;
    reel_gc_report *rep;
    candidate *v;
    size_t n, cap;
    bool oom;
} scan_ctx;

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000LL + sb->st_mtim.tv_nsec;
}

static int scan_blob(const reel_hash *h, const char *path, void *ud)
{
    scan_ctx *s = ud;
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0; /* gone meanwhile, or not ours to judge */
    s->rep->blobs++;
    s->rep->blob_bytes += (uint64_t)sb.st_size;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        candidate *g = realloc(s->v, nc * sizeof *g);
        if (!g) {
            s->oom = true;
            return 1;
        }
        s->v = g;
        s->cap = nc;
    }
    s->v[s->n++] = (candidate){.h = *h, .bytes = (uint64_t)sb.st_size,
                               .young = mtime_ns(&sb) >= s->cutoff_ns};
    return 0;
}

static void trash_path(const reel_store *st, const reel_hash *h, char *out)
{
    char hex[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, hex);
    const char *bare = strchr(hex, ':') ? strchr(hex, ':') + 1 : hex;
    snprintf(out, PATH_MAX, "%s/" TRASH_PREFIX "%s", reel_cas_tmp_dir(reel_store_cas(st)), bare);
}

/* A GC that died between its rename into cas/tmp and its decision may
 * have held a blob someone wanted: put every such blob back and let this
 * run judge it again. */
static int restore_trash(reel_store *st, reel_gc_report *rep, reel_error *err)
{
    const char *tmp = reel_cas_tmp_dir(reel_store_cas(st));
    DIR *d = opendir(tmp);
    if (!d)
        return reel_error_set(err, REEL_EIO, "cannot list %s: %s", tmp, strerror(errno));
    struct dirent *de;
    int rc = REEL_OK;
    while (rc == 0 && (de = readdir(d))) {
        size_t pl = strlen(TRASH_PREFIX);
        if (strncmp(de->d_name, TRASH_PREFIX, pl) != 0 ||
            strlen(de->d_name) != pl + REEL_HASH_HEX)
            continue;
        reel_hash h;
        if (reel_hash_from_hex(&h, de->d_name + pl, NULL))
            continue;
        char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", tmp, de->d_name);
        reel_cas_content_path(reel_store_cas(st), &h, to);
        reel_fs_dirname(to, dir, sizeof dir);
        if ((rc = reel_fs_mkdirs(dir, err)))
            break;
        if (rename(from, to) != 0)
            rc = reel_error_set(err, REEL_EIO, "cannot put %s back: %s", from, strerror(errno));
        else
            rep->restored++;
    }
    closedir(d);
    return rc;
}

/* Step 4 for one blob: 1 removed, 0 kept (renewed or gone), < 0 error. */
static int collect_one(reel_store *st, const candidate *c, int64_t cutoff_ns, reel_error *err)
{
    char path[PATH_MAX], trash[PATH_MAX];
    reel_cas_content_path(reel_store_cas(st), &c->h, path);
    trash_path(st, &c->h, trash);
    if (rename(path, trash) != 0) {
        if (errno == ENOENT)
            return 0;
        return reel_error_set(err, REEL_EIO, "cannot move %s aside: %s", path, strerror(errno));
    }
    struct stat sb;
    if (stat(trash, &sb) != 0)
        return reel_error_set(err, REEL_EIO, "cannot stat %s: %s", trash, strerror(errno));
    if (mtime_ns(&sb) >= cutoff_ns) {
        /* Touched since we listed it: wanted again. If a writer stored
         * its own copy meanwhile, the rename replaces it with the same
         * bytes. */
        if (rename(trash, path) != 0)
            return reel_error_set(err, REEL_EIO, "cannot put %s back: %s", path, strerror(errno));
        return 0;
    }
    if (unlink(trash) != 0)
        return reel_error_set(err, REEL_EIO, "cannot remove %s: %s", trash, strerror(errno));
    return 1;
}

static int gc_locked(reel_store *st, const reel_gc_opts *o, int64_t cutoff_ns,
                     reel_gc_report *rep, reel_gc_item_fn fn, void *ud, reel_error *err)
{
    int rc = o->dry_run ? REEL_OK : restore_trash(st, rep, err);
    if (rc)
        return rc;
    scan_ctx s = {.cutoff_ns = cutoff_ns, .rep = rep};
    rc = reel_cas_foreach(reel_store_cas(st), 0, scan_blob, &s, err);
    if (s.oom)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory listing blobs");
    reel_hash_set roots = {0};
    if (rc == 0)
        rc = reel_gc_roots_collect(st, &roots, err);
    rep->roots = roots.n;
    for (size_t i = 0; i < s.n && rc >= 0; i++) {
        const candidate *c = &s.v[i];
        if (reel_hash_set_has(&roots, &c->h))
            continue;
        if (c->young) {
            rep->kept_young++;
            continue;
        }
        int r = o->dry_run ? 1 : collect_one(st, c, cutoff_ns, err);
        if (r < 0) {
            rc = r;
        } else if (r == 1) {
            rep->removed++;
            rep->removed_bytes += c->bytes;
            if (fn)
                fn(&c->h, c->bytes, ud);
        } else {
            rep->kept_renewed++;
        }
    }
    reel_hash_set_free(&roots);
    free(s.v);
    return rc < 0 ? rc : REEL_OK;
}

int reel_gc(reel_store *st, const reel_gc_opts *o, reel_gc_report *rep, reel_gc_item_fn fn,
            void *ud, reel_error *err)
{
    memset(rep, 0, sizeof *rep);
    int64_t grace = o->grace_ns ? o->grace_ns : REEL_GC_GRACE_DEFAULT_NS;
    if (grace < REEL_GC_GRACE_MIN_NS)
        return reel_error_set(err, REEL_EINVAL,
                              "GC grace period must be at least 1s (a writer's time from "
                              "touching a blob to recording its reference)");
    int64_t cutoff = reel_clock_wall_now() - grace;
    char lock[PATH_MAX];
    snprintf(lock, sizeof lock, "%s/gc.lock", reel_cas_tmp_dir(reel_store_cas(st)));
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return reel_error_set(err, REEL_EIO, "cannot open %s: %s", lock, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, e == EWOULDBLOCK ? REEL_ESTATE : REEL_EIO,
                              e == EWOULDBLOCK ? "another reel gc is running on this store"
                                               : "cannot lock %s: %s",
                              lock, strerror(e));
    }
    int rc = gc_locked(st, o, cutoff, rep, fn, ud, err);
    close(fd); /* releases the lock */
    return rc;
}
