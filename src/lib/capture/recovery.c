/*
 * recovery.c — the start-up scan (see recovery.h).
 *
 * Why the recorders lock and not only the grace period: a recorder prepares
 * chunks ahead of need, and a prepared chunk enters the manifest only when
 * the writer starts it, which for a quiet MIDI stream can be hours later.
 * Age alone cannot tell such a chunk from an orphan; a live recorder's
 * shared lock can. The grace period still covers temporaries of processes
 * that take no lock (slices writing into cas/tmp).
 */
#include "capture/recovery.h"

#include "capture/recorder.h"
#include "store/store_lock.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct hash_set {
    reel_hash *v;
    size_t n, cap;
} hash_set;

static int set_add(hash_set *s, const reel_hash *h, reel_error *err)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        reel_hash *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return reel_error_set(err, REEL_ENOMEM, "out of memory in the recovery scan");
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = *h;
    return REEL_OK;
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(reel_hash));
}

static bool set_has(const hash_set *s, const reel_hash *h)
{
    return s->n && bsearch(h, s->v, s->n, sizeof *s->v, hash_cmp) != NULL;
}

typedef struct rows {
    reel_db_stream *v;
    size_t n, cap;
} rows;

static int collect_recording(const reel_db_stream *s, void *ud)
{
    rows *r = ud;
    if (strcmp(s->state, "recording") != 0)
        return 0;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        reel_db_stream *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return REEL_ENOMEM;
        r->v = nv;
        r->cap = nc;
    }
    r->v[r->n++] = *s;
    return 0;
}

typedef struct scan {
    reel_store *st;
    const reel_recovery_opts *o;
    reel_recovery_report *rep;
    hash_set refs;
    bool sweep;     /* unknown files may go (no recorder alive, every manifest read) */
    int64_t now_ns; /* wall clock, for file ages */
    reel_error *err;
} scan;

static void note_failure(scan *s, const char *uri, const reel_error *e)
{
    s->rep->streams_failed++;
    s->sweep = false;
    if (!s->rep->failure[0])
        snprintf(s->rep->failure, sizeof s->rep->failure, "%s: %s", uri, e->msg);
}

/* One stream left "recording": remember every staging file its manifest
 * names, then recover it unless a live recorder holds it. */
static int scan_stream(scan *s, const reel_db_stream *row)
{
    reel_error e;
    reel_error_clear(&e);
    int rc = set_add(&s->refs, &row->manifest_id, s->err);
    if (rc)
        return rc;
    reel_manifest m;
    if (reel_manifest_load(&m, reel_store_cas(s->st), &row->manifest_id, &e)) {
        note_failure(s, row->uri, &e);
        return REEL_OK;
    }
    uint64_t chunks = 0, frames = 0;
    for (size_t i = 0; i < m.n_tail && rc == 0; i++) {
        const reel_chunk_entry *c = &m.tail[i];
        if (!c->sealed) {
            rc = set_add(&s->refs, &c->hash, s->err);
            if (c->bytes) {
                chunks++;
                frames += c->frames;
            }
        } else if (c->has_staging_id) {
            rc = set_add(&s->refs, &c->staging_id, s->err);
            chunks++;
            frames += c->frames;
        }
    }
    reel_manifest_free(&m);
    if (rc)
        return rc;
    int lrc;
    if (s->o->dry_run) {
        int fd;
        if ((lrc = reel_lock_acquire_stream(s->st, row->uri, &fd, &e)) == 0)
            reel_lock_release(fd);
    } else {
        lrc = reel_recorder_recover(s->st, row->uri, &e);
    }
    if (lrc == REEL_ESTATE) {
        s->rep->streams_live++;
    } else if (lrc) {
        note_failure(s, row->uri, &e);
    } else {
        s->rep->streams_recovered++;
        s->rep->chunks_sealed += chunks;
        s->rep->frames_sealed += frames;
    }
    return REEL_OK;
}

/* Age of a file in ns, or -1 if it is gone. */
static int64_t file_age(const char *path, int64_t now_ns, uint64_t *size)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return -1;
    *size = (uint64_t)sb.st_size;
    int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    return now_ns > mt ? now_ns - mt : 0;
}

static int sweep_staging(const reel_hash *h, const char *path, void *ud)
{
    scan *s = ud;
    if (set_has(&s->refs, h))
        return 0;
    if (!s->sweep) {
        s->rep->unknown_busy++;
        return 0;
    }
    uint64_t size = 0;
    int64_t age = file_age(path, s->now_ns, &size);
    if (age < 0)
        return 0;
    if (age < s->o->grace_ns) {
        s->rep->unknown_young++;
        return 0;
    }
    if (!s->o->dry_run && unlink(path) != 0 && errno != ENOENT) {
        reel_error_set(s->err, REEL_EIO, "cannot remove %s: %s", path, strerror(errno));
        return REEL_EIO;
    }
    s->rep->unknown_removed++;
    s->rep->bytes_removed += size;
    return 0;
}

/* Temporaries of an atomic replace or a slice that died half-way. */
static int sweep_tmp(scan *s)
{
    const char *dir = reel_cas_tmp_dir(reel_store_cas(s->st));
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? REEL_OK
                               : reel_error_set(s->err, REEL_EIO, "cannot list %s: %s", dir,
                                                strerror(errno));
    struct dirent *de;
    int rc = REEL_OK;
    while (rc == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        uint64_t size = 0;
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        int64_t age = file_age(path, s->now_ns, &size);
        if (age < 0 || age < s->o->grace_ns)
            continue;
        if (!s->o->dry_run && unlink(path) != 0 && errno != ENOENT) {
            rc = reel_error_set(s->err, REEL_EIO, "cannot remove %s: %s", path, strerror(errno));
            break;
        }
        s->rep->tmp_removed++;
        s->rep->bytes_removed += size;
    }
    closedir(d);
    return rc;
}

int reel_recovery_scan(reel_store *st, const reel_recovery_opts *o, reel_recovery_report *rep,
                       reel_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (o->grace_ns < 0)
        return reel_error_set(err, REEL_EINVAL, "the staging grace period must not be negative");
    scan s = {.st = st, .o = o, .rep = rep, .err = err};
    /* Exclusive: no recorder is alive, none can start until we are done. */
    int excl = -1;
    reel_error le;
    reel_error_clear(&le);
    int rc = reel_lock_acquire_recorders(st, true, &excl, &le);
    if (rc && rc != REEL_ESTATE) {
        *err = le;
        return rc;
    }
    s.sweep = rc == REEL_OK;
    rows r = {0};
    rc = reel_db_stream_list(reel_store_db(st), collect_recording, &r, err);
    if (rc == REEL_ENOMEM)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory listing streams");
    for (size_t i = 0; rc == 0 && i < r.n; i++)
        rc = scan_stream(&s, &r.v[i]);
    free(r.v);
    if (rc == 0) {
        if (s.refs.n) /* qsort(NULL, 0, ...) is undefined */
            qsort(s.refs.v, s.refs.n, sizeof *s.refs.v, hash_cmp);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        s.now_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
        int frc = reel_cas_foreach(reel_store_cas(st), 1, sweep_staging, &s, err);
        rc = frc < 0 ? frc : REEL_OK;
    }
    if (rc == 0 && s.sweep)
        rc = sweep_tmp(&s);
    free(s.refs.v);
    reel_lock_release(excl);
    return rc;
}

void reel_recovery_summary(const reel_recovery_report *rep, const reel_recovery_opts *o,
                           char *out, size_t len)
{
    const char *verb = o->dry_run ? "would recover" : "recovered";
    int n = snprintf(out, len,
                     "%s %llu stream%s (%llu staging chunk%s, %llu frames sealed), %llu live "
                     "left alone; unknown staging files: %llu %s (%llu bytes)",
                     verb, (unsigned long long)rep->streams_recovered,
                     rep->streams_recovered == 1 ? "" : "s",
                     (unsigned long long)rep->chunks_sealed, rep->chunks_sealed == 1 ? "" : "s",
                     (unsigned long long)rep->frames_sealed,
                     (unsigned long long)rep->streams_live,
                     (unsigned long long)rep->unknown_removed,
                     o->dry_run ? "to remove" : "removed", (unsigned long long)rep->bytes_removed);
    size_t used = n > 0 ? (size_t)n : 0;
    if (used < len && rep->unknown_young)
        used += (size_t)snprintf(out + used, len - used, ", %llu younger than the grace period kept",
                                 (unsigned long long)rep->unknown_young);
    if (used < len && rep->unknown_busy)
        used += (size_t)snprintf(out + used, len - used,
                                 ", %llu kept (another recorder is live or a manifest is "
                                 "unreadable)",
                                 (unsigned long long)rep->unknown_busy);
    if (used < len && rep->tmp_removed)
        used += (size_t)snprintf(out + used, len - used, "; %llu stray temporar%s %s",
                                 (unsigned long long)rep->tmp_removed,
                                 rep->tmp_removed == 1 ? "y" : "ies",
                                 o->dry_run ? "to remove" : "removed");
    if (used < len && rep->streams_failed)
        snprintf(out + used, len - used, "; %llu stream%s NOT recovered (%s)",
                 (unsigned long long)rep->streams_failed, rep->streams_failed == 1 ? "" : "s",
                 rep->failure);
}
