/*
 * fsck.c — store check (see fsck.h). Reads everything, writes nothing.
 */
#include "store/fsck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct fsck_ctx {
    reel_store *st;
    reel_fsck_report *rep;
    reel_fsck_problem_fn problem;
    reel_fsck_progress_fn progress;
    void *ud;
    const char *what;
} fsck_ctx;

static void say(fsck_ctx *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->problem)
        c->problem(line, c->ud);
}

static int check_blob(const reel_hash *h, const char *path, void *ud)
{
    fsck_ctx *c = ud;
    c->rep->blobs++;
    reel_error e;
    reel_error_clear(&e);
    int rc = reel_cas_verify(reel_store_cas(c->st), h, &e);
    if (rc) {
        c->rep->corrupt++;
        say(c, "corrupt: %s (%s)", path, e.msg);
    }
    if (c->progress)
        c->progress(c->rep, c->ud);
    return 0;
}

static int count_staging(const reel_hash *h, const char *path, void *ud)
{
    fsck_ctx *c = ud;
    c->rep->staging_files++;
    return 0;
}

static int check_ref(const reel_hash *h, void *ud)
{
    fsck_ctx *c = ud;
    if (!reel_cas_has(reel_store_cas(c->st), h)) {
        char hs[REEL_HASH_HEX + 8];
        reel_hash_to_string(h, hs);
        c->rep->missing++;
        say(c, "missing: %s (referenced by %s)", hs, c->what);
    }
    return 0;
}

static int check_manifest_ref(const reel_hash *h, bool is_page, void *ud)
{
    return check_ref(h, ud);
}

/* A live recorder names a chunk's content in its manifest just before the
 * rename that puts it there (recorder.c): while the staging file still
 * holds the bytes, the chunk is not missing. Only this in-memory copy is
 * changed, so the references walk passes over it. */
static void skip_seals_in_flight(fsck_ctx *c, reel_manifest *m)
{
    for (size_t i = 0; i < m->n_tail; i++) {
        reel_chunk_entry *e = &m->tail[i];
        if (!e->sealed || !e->has_staging_id || reel_cas_has(reel_store_cas(c->st), &e->hash))
            continue;
        char path[PATH_MAX];
        reel_cas_staging_path(reel_store_cas(c->st), &e->staging_id, path);
        if (access(path, F_OK) == 0)
            e->sealed = false;
    }
}

static int check_stream(const reel_db_stream *s, void *ud)
{
    fsck_ctx *c = ud;
    c->rep->streams++;
    char what[REEL_URI_MAX + 32];
    snprintf(what, sizeof what, "stream %s", s->uri);
    c->what = what;
    check_ref(&s->definition_hash, c);
    reel_manifest m;
    reel_error e;
    reel_error_clear(&e);
    int rc;
    if (!reel_hash_is_zero(&s->sealed_manifest)) {
        check_ref(&s->sealed_manifest, c);
        char path[PATH_MAX];
        reel_cas_content_path(reel_store_cas(c->st), &s->sealed_manifest, path);
        rc = reel_manifest_load_path(&m, path, &e);
    } else {
        rc = reel_manifest_load(&m, reel_store_cas(c->st), &s->manifest_id, &e);
    }
    if (rc) {
        c->rep->missing++;
        say(c, "unreadable manifest of stream %s: %s", s->uri, e.msg);
        return 0;
    }
    if (reel_hash_is_zero(&s->sealed_manifest))
        skip_seals_in_flight(c, &m);
    rc = reel_manifest_foreach_hash(&m, reel_store_cas(c->st), check_manifest_ref, c, &e);
    if (rc < 0) {
        c->rep->missing++;
        say(c, "manifest of stream %s: %s", s->uri, e.msg);
    }
    reel_manifest_free(&m);
    return 0;
}

static int check_artifact_hash(const reel_hash *h, void *ud)
{
    fsck_ctx *c = ud;
    c->rep->artifacts++;
    c->what = "an artifact";
    return check_ref(h, ud);
}

int reel_fsck(reel_store *st, reel_fsck_report *rep, reel_fsck_problem_fn problem, void *ud,
              reel_error *err)
{
    return reel_fsck_progress(st, rep, problem, NULL, ud, err);
}

int reel_fsck_progress(reel_store *st, reel_fsck_report *rep, reel_fsck_problem_fn problem,
                       reel_fsck_progress_fn progress, void *ud, reel_error *err)
{
    memset(rep, 0, sizeof *rep);
    fsck_ctx c = {.st = st, .rep = rep, .problem = problem, .progress = progress, .ud = ud};
    int rc = reel_cas_foreach(reel_store_cas(st), 0, check_blob, &c, err);
    if (rc < 0)
        return rc;
    if ((rc = reel_cas_foreach(reel_store_cas(st), 1, count_staging, &c, err)) < 0)
        return rc;
    if ((rc = reel_db_stream_list(reel_store_db(st), check_stream, &c, err)) < 0)
        return rc;
    if ((rc = reel_db_referenced_hashes(reel_store_db(st), check_artifact_hash, &c, err)) < 0)
        return rc;
    if (rep->corrupt || rep->missing)
        return reel_error_set(err, REEL_ECORRUPT, "store has %llu corrupt and %llu missing blobs",
                              (unsigned long long)rep->corrupt,
                              (unsigned long long)rep->missing);
    return REEL_OK;
}
