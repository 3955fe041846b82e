/*
 * project_pages.c — a version as a root and pages of clips (see
 * project_pages.h).
 */
#include "model/project/project_pages.h"

#include "model/project/project_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_BYTES_MAX (64 << 20)

void reel_project_pages_free(reel_project_pages *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_tl; i++) {
        json_decref(p->tl[i].clips);
        free(p->tl[i].page);
    }
    free(p->tl);
    memset(p, 0, sizeof *p);
}

/* FNV-1a of a clip's id: where pages end. */
static bool ends_page(json_t *clip)
{
    const char *id = json_string_value(json_object_get(clip, "id"));
    uint32_t h = 2166136261u;
    for (const char *c = id ? id : ""; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return h % REEL_PROJECT_PAGE_SPREAD == 0;
}

/* Cut `clips` into pages (first/n only). */
static int cut(json_t *clips, reel_project_tl_pages *t, reel_error *err)
{
    size_t n = json_array_size(clips), cap = n / 16 + 4;
    t->page = malloc(cap * sizeof *t->page);
    if (!t->page)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && !ends_page(json_array_get(clips, i)) &&
            i + 1 - start < REEL_PROJECT_PAGE_MAX)
            continue;
        if (t->n == cap) {
            cap *= 2;
            reel_project_page *np = realloc(t->page, cap * sizeof *np);
            if (!np)
                return reel_error_set(err, REEL_ENOMEM, "out of memory");
            t->page = np;
        }
        t->page[t->n].first = start;
        t->page[t->n].n = i + 1 - start;
        t->n++;
        start = i + 1;
    }
    return REEL_OK;
}

/* The page of `prev` holding exactly the same clip objects, if any. */
static const reel_project_page *same_page(const reel_project_tl_pages *prev, json_t *clips,
                                          const reel_project_page *pg)
{
    if (!prev)
        return NULL;
    json_t *first = json_array_get(clips, pg->first);
    for (size_t k = 0; k < prev->n; k++) {
        const reel_project_page *q = &prev->page[k];
        if (q->n != pg->n || json_array_get(prev->clips, q->first) != first)
            continue;
        for (size_t i = 1; i < pg->n; i++)
            if (json_array_get(prev->clips, q->first + i) != json_array_get(clips, pg->first + i))
                return NULL;
        return q;
    }
    return NULL;
}

static const reel_project_tl_pages *prev_timeline(const reel_project_pages *prev, const char *id)
{
    for (size_t i = 0; prev && id && i < prev->n_tl; i++)
        if (strcmp(prev->tl[i].id, id) == 0)
            return &prev->tl[i];
    return NULL;
}

int reel_project_pages_store(reel_store *st, json_t *doc, const reel_project_pages *prev,
                             reel_project_clip_check_fn check, void *ud, json_t **root,
                             reel_project_pages *out, size_t *bytes_written, reel_error *err)
{
    *root = NULL;
    memset(out, 0, sizeof *out);
    *bytes_written = 0;
    json_t *tls = json_object_get(doc, "timelines");
    size_t n_tl = json_array_size(tls);
    out->tl = calloc(n_tl + 1, sizeof *out->tl);
    json_t *r = json_copy(doc), *rtls = json_array();
    if (!out->tl || !r || !rtls) {
        json_decref(r);
        json_decref(rtls);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    out->n_tl = n_tl;
    int rc = REEL_OK;
    /* First cut and check everything, then store: a refused clip stores
     * nothing. */
    bool *dirty[n_tl + 1];
    memset(dirty, 0, sizeof dirty);
    for (size_t i = 0; i < n_tl && !rc; i++) {
        json_t *tl = json_array_get(tls, i);
        reel_project_tl_pages *t = &out->tl[i];
        snprintf(t->id, sizeof t->id, "%s", json_string_value(json_object_get(tl, "id")));
        t->clips = json_incref(json_object_get(tl, "clips"));
        if ((rc = cut(t->clips, t, err)))
            break;
        const reel_project_tl_pages *pt = prev_timeline(prev, t->id);
        dirty[i] = calloc(t->n + 1, sizeof *dirty[i]);
        if (!dirty[i]) {
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < t->n && !rc; k++) {
            const reel_project_page *same = same_page(pt, t->clips, &t->page[k]);
            if (same) {
                t->page[k].hash = same->hash;
                continue;
            }
            dirty[i][k] = true;
            for (size_t c = 0; c < t->page[k].n && !rc && check; c++)
                rc = check(tl, json_array_get(t->clips, t->page[k].first + c), ud, err);
        }
    }
    for (size_t i = 0; i < n_tl && !rc; i++) {
        json_t *tl = json_array_get(tls, i);
        reel_project_tl_pages *t = &out->tl[i];
        json_t *rtl = json_copy(tl), *list = json_array();
        json_object_del(rtl, "clips");
        json_object_set_new(rtl, "clip_pages", list);
        json_array_append_new(rtls, rtl);
        for (size_t k = 0; k < t->n && !rc; k++) {
            reel_project_page *pg = &t->page[k];
            if (dirty[i][k]) {
                json_t *arr = json_array();
                for (size_t c = 0; c < pg->n; c++)
                    json_array_append(arr, json_array_get(t->clips, pg->first + c));
                char *txt = reel_project_doc_dump(arr);
                json_decref(arr);
                if (!txt) {
                    rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
                    break;
                }
                size_t len = strlen(txt);
                rc = reel_cas_put_buf(reel_store_cas(st), txt, len, &pg->hash, err);
                free(txt);
                *bytes_written += len;
            }
            char hs[REEL_HASH_HEX + 8];
            reel_hash_to_string(&pg->hash, hs);
            json_array_append_new(list, json_pack("{s:s, s:I}", "hash", hs, "clips",
                                                  (json_int_t)pg->n));
        }
    }
    for (size_t i = 0; i < n_tl; i++)
        free(dirty[i]);
    if (rc) {
        json_decref(r);
        json_decref(rtls);
        reel_project_pages_free(out);
        return rc;
    }
    json_object_set_new(r, "timelines", rtls);
    *root = r;
    return REEL_OK;
}

int reel_project_blob_load(reel_store *st, const reel_hash *h, json_t **out, reel_error *err)
{
    *out = NULL;
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(h, hs);
    int fd;
    int rc = reel_cas_open_content(reel_store_cas(st), h, &fd, err);
    if (rc)
        return rc;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) || sb.st_size > BLOB_BYTES_MAX || !(buf = malloc((size_t)sb.st_size + 1))) {
        close(fd);
        return reel_error_set(err, REEL_EIO, "%s: cannot read it", hs);
    }
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    reel_hash check;
    reel_hash_buf(buf, got, &check);
    if (got != (size_t)sb.st_size || !reel_hash_equal(&check, h)) {
        free(buf);
        return reel_error_set(err, REEL_ECORRUPT, "%s does not match its name", hs);
    }
    json_error_t je;
    *out = json_loadb(buf, got, 0, &je);
    free(buf);
    if (!*out)
        return reel_error_set(err, REEL_ECORRUPT, "%s does not parse: %s", hs, je.text);
    return REEL_OK;
}

int reel_project_pages_assemble(reel_store *st, json_t *root, json_t **doc,
                                reel_project_pages *pages, reel_error *err)
{
    *doc = NULL;
    if (pages)
        memset(pages, 0, sizeof *pages);
    json_t *d = json_copy(root), *tls = json_array();
    json_t *rtls = json_object_get(root, "timelines");
    size_t n_tl = json_array_size(rtls);
    reel_project_tl_pages *tp = pages ? calloc(n_tl + 1, sizeof *tp) : NULL;
    if (!d || !tls || (pages && !tp)) {
        json_decref(d);
        json_decref(tls);
        free(tp);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    if (pages) {
        pages->tl = tp;
        pages->n_tl = n_tl;
    }
    int rc = REEL_OK;
    size_t i;
    json_t *rtl;
    json_array_foreach(rtls, i, rtl) {
        json_t *list = json_object_get(rtl, "clip_pages");
        if (!json_is_array(list)) {
            rc = reel_error_set(err, REEL_ECORRUPT, "a stored timeline has no clip_pages");
            break;
        }
        json_t *tl = json_copy(rtl), *clips = json_array();
        json_object_del(tl, "clip_pages");
        json_object_set_new(tl, "clips", clips);
        json_array_append_new(tls, tl);
        if (tp) {
            snprintf(tp[i].id, sizeof tp[i].id, "%s", json_string_value(json_object_get(rtl, "id")));
            tp[i].clips = json_incref(clips);
            tp[i].page = calloc(json_array_size(list) + 1, sizeof *tp[i].page);
            if (!tp[i].page) {
                rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
                break;
            }
        }
        size_t k;
        json_t *pe;
        json_array_foreach(list, k, pe) {
            reel_hash h;
            json_t *page;
            if (reel_hash_from_hex(&h, json_string_value(json_object_get(pe, "hash")), err) ||
                (rc = reel_project_blob_load(st, &h, &page, err))) {
                rc = rc ? rc : reel_error_set(err, REEL_ECORRUPT, "a page hash is malformed");
                break;
            }
            if (!json_is_array(page) ||
                (json_int_t)json_array_size(page) != json_integer_value(json_object_get(pe, "clips"))) {
                json_decref(page);
                rc = reel_error_set(err, REEL_ECORRUPT, "a page does not hold the clips its root "
                                                        "says");
                break;
            }
            if (tp) {
                tp[i].page[tp[i].n].hash = h;
                tp[i].page[tp[i].n].first = json_array_size(clips);
                tp[i].page[tp[i].n].n = json_array_size(page);
                tp[i].n++;
            }
            json_array_extend(clips, page);
            json_decref(page);
        }
        if (rc)
            break;
    }
    if (rc) {
        json_decref(d);
        json_decref(tls);
        if (pages)
            reel_project_pages_free(pages);
        else
            free(tp);
        return rc;
    }
    json_object_set_new(d, "timelines", tls);
    *doc = d;
    return REEL_OK;
}
