/*
 * blob_sync.c — push and pull of blobs over the blob API (see blob_sync.h).
 * One curl easy handle per sync, so every request reuses one connection.
 * Must never: trust the remote (a pulled body is hashed and compared with
 * the name asked for; a list it sends is parsed as strictly as a route).
 */
#include "surface/http/blob_sync.h"

#include "core/fsutil.h"
#include "surface/http/http_parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_MAX_BYTES (256u << 20) /* a remote's blob list larger than this is refused */

typedef struct sync_ctx {
    CURL *c;
    struct curl_slist *headers;
    char base[1024];
    char errbuf[CURL_ERROR_SIZE];
    reel_sync_progress_fn progress;
    void *progress_ud;
    uint64_t total;
} sync_ctx;

static void tick(const sync_ctx *x, const reel_sync_report *rep)
{
    if (x->progress)
        x->progress(rep, x->total, x->progress_ud);
}

static int ctx_open(sync_ctx *x, const char *base_url, const char *token, reel_error *err)
{
    memset(x, 0, sizeof *x);
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof x->base - 100 ||
        (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0))
        return reel_error_set(err, REEL_EINVAL, "bad URL '%.200s' (want http://HOST:PORT)",
                              base_url);
    memcpy(x->base, base_url, n);
    x->base[n] = '\0';
    x->c = curl_easy_init();
    if (!x->c)
        return reel_error_set(err, REEL_ENOMEM, "cannot start libcurl");
    if (token) {
        char h[1100];
        snprintf(h, sizeof h, "Authorization: Bearer %s", token);
        x->headers = curl_slist_append(NULL, h);
        if (!x->headers) {
            curl_easy_cleanup(x->c);
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        }
    }
    return REEL_OK;
}

static void ctx_close(sync_ctx *x)
{
    if (x->c)
        curl_easy_cleanup(x->c);
    curl_slist_free_all(x->headers);
}

/* Reset the handle for one request to base + path. */
static void ctx_request(sync_ctx *x, const char *path)
{
    char url[1200];
    snprintf(url, sizeof url, "%s%s", x->base, path);
    curl_easy_reset(x->c);
    curl_easy_setopt(x->c, CURLOPT_URL, url);
    curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->c, CURLOPT_CONNECTTIMEOUT, 10L);
    /* A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging. */
    curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(x->c, CURLOPT_PROTOCOLS_STR, "http,https");
    x->errbuf[0] = '\0';
}

static int perform(sync_ctx *x, const char *what, long *status, reel_error *err)
{
    CURLcode cc = curl_easy_perform(x->c);
    if (cc != CURLE_OK)
        return reel_error_set(err, REEL_EIO, "%s: %s", what,
                              x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
    curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, status);
    return REEL_OK;
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p, (void)ud;
    return sz * n;
}

/* HEAD: does the remote have it? */
static int remote_has(sync_ctx *x, const reel_hash *h, bool *has, reel_error *err)
{
    char path[100], name[80];
    reel_hash_to_string(h, name);
    snprintf(path, sizeof path, "/blobs/%s", name);
    ctx_request(x, path);
    curl_easy_setopt(x->c, CURLOPT_NOBODY, 1L);
    long st = 0;
    int rc = perform(x, name, &st, err);
    if (rc)
        return rc;
    if (st == 200 || st == 404) {
        *has = st == 200;
        return REEL_OK;
    }
    return reel_error_set(err, REEL_EIO, "HEAD %s%s: HTTP %ld", x->base, path, st);
}

static int push_one(sync_ctx *x, reel_cas *cas, const reel_hash *h, reel_sync_report *rep,
                    reel_error *err)
{
    rep->blobs++;
    bool has = false;
    int rc = remote_has(x, h, &has, err);
    if (rc)
        return rc;
    if (has) {
        rep->present++;
        return REEL_OK;
    }
    int fd;
    if ((rc = reel_cas_open_content(cas, h, &fd, err)))
        return rc;
    FILE *f = fdopen(fd, "rb");
    struct stat sb;
    if (!f || fstat(fd, &sb) != 0) {
        if (f)
            fclose(f);
        else
            close(fd);
        return reel_error_set(err, REEL_EIO, "cannot read a local blob: %s", strerror(errno));
    }
    char path[100], name[80];
    reel_hash_to_string(h, name);
    snprintf(path, sizeof path, "/blobs/%s", name);
    ctx_request(x, path);
    curl_easy_setopt(x->c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(x->c, CURLOPT_READDATA, f);
    curl_easy_setopt(x->c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
    curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, discard);
    long st = 0;
    rc = perform(x, name, &st, err);
    fclose(f);
    if (rc)
        return rc;
    if (st == 201) {
        rep->transferred++;
        rep->bytes += (uint64_t)sb.st_size;
    } else if (st == 200) {
        rep->present++; /* arrived from elsewhere since the HEAD */
    } else {
        return reel_error_set(err, REEL_EIO, "PUT %s%s: HTTP %ld", x->base, path, st);
    }
    return REEL_OK;
}

typedef struct push_all {
    sync_ctx *x;
    reel_cas *cas;
    reel_sync_report *rep;
    reel_error *err;
    int rc;
} push_all;

static int push_visit(const reel_hash *h, const char *path, void *ud)
{
    (void)path;
    push_all *p = ud;
    p->rc = push_one(p->x, p->cas, h, p->rep, p->err);
    tick(p->x, p->rep);
    return p->rc ? 1 : 0;
}

int reel_sync_push(reel_cas *cas, const char *base_url, const reel_hash *hashes, size_t n,
                   const char *token, reel_sync_report *rep, reel_error *err)
{
    return reel_sync_push_progress(cas, base_url, hashes, n, token, NULL, NULL, rep, err);
}

int reel_sync_push_progress(reel_cas *cas, const char *base_url, const reel_hash *hashes,
                            size_t n, const char *token, reel_sync_progress_fn progress,
                            void *ud, reel_sync_report *rep, reel_error *err)
{
    memset(rep, 0, sizeof *rep);
    sync_ctx x;
    int rc = ctx_open(&x, base_url, token, err);
    if (rc)
        return rc;
    x.progress = progress;
    x.progress_ud = ud;
    x.total = hashes ? n : 0;
    if (hashes) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (!reel_cas_has(cas, &hashes[i])) {
                char b[80];
                reel_hash_to_string(&hashes[i], b);
                rc = reel_error_set(err, REEL_ENOENT, "no blob %s in the local store", b);
            } else {
                rc = push_one(&x, cas, &hashes[i], rep, err);
                tick(&x, rep);
            }
        }
    } else {
        push_all p = {&x, cas, rep, err, 0};
        int r = reel_cas_foreach(cas, 0, push_visit, &p, err);
        rc = p.rc ? p.rc : (r < 0 ? r : 0);
    }
    ctx_close(&x);
    return rc;
}

/* ---- pull ------------------------------------------------------------------- */

typedef struct pull_sink {
    int fd;
    reel_hasher hasher;
    uint64_t bytes;
    bool failed;
    reel_error err;
} pull_sink;

static size_t pull_write(char *p, size_t sz, size_t n, void *ud)
{
    pull_sink *s = ud;
    size_t len = sz * n;
    reel_hasher_update(&s->hasher, p, len);
    if (reel_fs_write_all(s->fd, p, len, &s->err)) {
        s->failed = true;
        return 0; /* aborts the transfer */
    }
    s->bytes += len;
    return len;
}

static int pull_one(sync_ctx *x, reel_cas *cas, const reel_hash *h, reel_sync_report *rep,
                    reel_error *err)
{
    rep->blobs++;
    if (reel_cas_has(cas, h)) {
        rep->present++;
        return REEL_OK;
    }
    char path[100], name[80], tmp[PATH_MAX];
    reel_hash_to_string(h, name);
    snprintf(path, sizeof path, "/blobs/%s", name);
    pull_sink s = {.fd = -1};
    int rc = reel_fs_tmpfile(reel_cas_tmp_dir(cas), "pull-", tmp, &s.fd, err);
    if (rc)
        return rc;
    reel_hasher_init(&s.hasher);
    ctx_request(x, path);
    curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, pull_write);
    curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &s);
    long st = 0;
    rc = perform(x, name, &st, err);
    if (s.failed)
        rc = reel_error_set(err, s.err.code, "%s", s.err.msg);
    if (rc == 0 && st != 200)
        rc = reel_error_set(err, st == 404 ? REEL_ENOENT : REEL_EIO, "GET %s%s: HTTP %ld",
                            x->base, path, st);
    if (rc == 0) {
        reel_hash got;
        reel_hasher_final(&s.hasher, &got);
        if (!reel_hash_equal(&got, h))
            rc = reel_error_set(err, REEL_ECORRUPT,
                                "%s from %s does not hash to its name; not stored", name,
                                x->base);
    }
    if (rc == 0 && fsync(s.fd) != 0)
        rc = reel_error_set(err, REEL_EIO, "cannot fsync %s: %s", tmp, strerror(errno));
    close(s.fd);
    if (rc == 0)
        rc = reel_cas_ingest(cas, tmp, h, NULL, err);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    rep->transferred++;
    rep->bytes += s.bytes;
    return REEL_OK;
}

typedef struct mem_sink {
    char *buf;
    size_t len, cap;
    bool too_big;
} mem_sink;

static size_t mem_write(char *p, size_t sz, size_t n, void *ud)
{
    mem_sink *m = ud;
    size_t len = sz * n;
    if (m->len + len > LIST_MAX_BYTES) {
        m->too_big = true;
        return 0;
    }
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + len + 1)
            cap *= 2;
        char *b = realloc(m->buf, cap);
        if (!b)
            return 0;
        m->buf = b;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, p, len);
    m->len += len;
    return len;
}

/* GET /blobs: {"blobs": ["blake3:<hex>", ...]}. */
static int remote_list(sync_ctx *x, reel_hash **out, size_t *n_out, reel_error *err)
{
    mem_sink m = {0};
    ctx_request(x, "/blobs");
    curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, mem_write);
    curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &m);
    long st = 0;
    int rc = perform(x, "GET /blobs", &st, err);
    if (rc == 0 && m.too_big)
        rc = reel_error_set(err, REEL_EINVAL, "the remote's blob list is over %u bytes",
                            LIST_MAX_BYTES);
    if (rc == 0 && st != 200)
        rc = reel_error_set(err, REEL_EIO, "GET %s/blobs: HTTP %ld", x->base, st);
    json_t *doc = NULL;
    if (rc == 0) {
        json_error_t je;
        doc = json_loadb(m.buf ? m.buf : "", m.len, 0, &je);
        if (!doc || !json_is_array(json_object_get(doc, "blobs")))
            rc = reel_error_set(err, REEL_ECORRUPT, "GET %s/blobs: not a blob list", x->base);
    }
    free(m.buf);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    json_t *arr = json_object_get(doc, "blobs");
    size_t n = json_array_size(arr);
    reel_hash *hs = calloc(n ? n : 1, sizeof *hs);
    if (!hs) {
        json_decref(doc);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || reel_hash_name_parse(s, &hs[i], err))
            rc = reel_error_set(err, REEL_ECORRUPT, "GET %s/blobs: bad blob name in the list",
                                x->base);
    }
    json_decref(doc);
    if (rc) {
        free(hs);
        return rc;
    }
    *out = hs;
    *n_out = n;
    return REEL_OK;
}

int reel_sync_pull(reel_cas *cas, const char *base_url, const reel_hash *hashes, size_t n,
                   const char *token, reel_sync_report *rep, reel_error *err)
{
    return reel_sync_pull_progress(cas, base_url, hashes, n, token, NULL, NULL, rep, err);
}

int reel_sync_pull_progress(reel_cas *cas, const char *base_url, const reel_hash *hashes,
                            size_t n, const char *token, reel_sync_progress_fn progress,
                            void *ud, reel_sync_report *rep, reel_error *err)
{
    memset(rep, 0, sizeof *rep);
    sync_ctx x;
    int rc = ctx_open(&x, base_url, token, err);
    if (rc)
        return rc;
    x.progress = progress;
    x.progress_ud = ud;
    reel_hash *listed = NULL;
    if (!hashes) {
        rc = remote_list(&x, &listed, &n, err);
        hashes = listed;
    }
    x.total = n;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = pull_one(&x, cas, &hashes[i], rep, err);
        tick(&x, rep);
    }
    free(listed);
    ctx_close(&x);
    return rc;
}
