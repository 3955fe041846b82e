/*
 * http_blobs.c — the blob API: PUT|GET|HEAD /blobs/blake3:<hex>, GET /blobs.
 *
 * A PUT streams its body into a temporary file in cas/tmp while hashing it;
 * only a body that hashes to the name it was sent to moves into content
 * (through the CAS, fsynced, renamed). A PUT to a name already stored is
 * hashed too (without a temporary file) and a body that does not match is
 * refused the same way. Must never: keep a body in memory,
 * leave a temporary file behind (a refused or cut-off upload is unlinked),
 * or rewrite a blob that is already stored.
 */
#include "surface/http/http_internal.h"

#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int http_blob_put_begin(http_req *r, struct MHD_Connection *conn, reel_error *err)
{
    (void)conn;
    reel_cas *cas = reel_store_cas(r->h->st);
    reel_hasher_init(&r->hasher);
    if (reel_cas_has(cas, &r->route.hash)) {
        r->blob_exists = true; /* idempotent: hash the body, store nothing */
        return REEL_OK;
    }
    int rc = reel_fs_tmpfile(reel_cas_tmp_dir(cas), "http-put-", r->tmp_path, &r->fd, err);
    if (rc) {
        r->tmp_path[0] = '\0';
        return rc;
    }
    return REEL_OK;
}

void http_blob_put_data(http_req *r, const char *data, size_t n)
{
    if (r->io_failed)
        return;
    reel_hasher_update(&r->hasher, data, n);
    if (r->blob_exists || r->fd < 0)
        return;
    /* the message names the file and the real errno (ENOSPC, EIO, ...) */
    if (reel_fs_write_all_f(NULL, r->fd, r->tmp_path, data, n, &r->io_err)) {
        /* The rest of the body is read and dropped; the partial file goes
         * now, so a client that keeps sending does not keep a full disk full. */
        r->io_failed = true;
        http_blob_discard(r);
    }
}

void http_blob_discard(http_req *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    if (r->tmp_path[0]) {
        unlink(r->tmp_path);
        r->tmp_path[0] = '\0';
    }
}

static json_t *blob_json(const reel_hash *h, bool stored, uint64_t bytes)
{
    char b[80];
    reel_hash_to_string(h, b);
    return json_pack("{s:s, s:b, s:I}", "hash", b, "stored", stored, "bytes", (json_int_t)bytes);
}

enum MHD_Result http_blob_put_end(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    const reel_hash *want = &r->route.hash;
    if (r->io_failed) {
        http_blob_discard(r);
        return http_send_reel_error(conn, &r->io_err);
    }
    reel_hash got;
    reel_hasher_final(&r->hasher, &got);
    if (reel_hash_equal(&got, want) && r->blob_exists)
        return http_send_json(conn, 200, blob_json(want, false, r->received));
    if (!reel_hash_equal(&got, want)) {
        http_blob_discard(r);
        char a[80], b[80], msg[256];
        reel_hash_to_string(&got, a);
        reel_hash_to_string(want, b);
        snprintf(msg, sizeof msg, "the body hashes to %s, not to its name %s; nothing stored", a,
                 b);
        return http_send_error(conn, 422, "hash_mismatch", msg);
    }
    reel_error e;
    reel_error_clear(&e);
    int rc = 0;
    if (fsync(r->fd) != 0)
        rc = reel_error_set(&e, REEL_EIO, "cannot fsync an upload: %s", strerror(errno));
    close(r->fd);
    r->fd = -1;
    /* Another PUT of the same blob may have won the race: then ingest
     * drops this copy (dedup) and the answer is the same. */
    bool existed = reel_cas_has(reel_store_cas(h->st), want);
    if (rc == 0)
        rc = reel_cas_ingest(reel_store_cas(h->st), r->tmp_path, want, NULL, &e);
    if (rc) {
        http_blob_discard(r);
        return http_send_reel_error(conn, &e);
    }
    r->tmp_path[0] = '\0'; /* moved into content (or dropped as a duplicate) */
    json_t *j = blob_json(want, !existed, r->received);
    char *ev = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (ev && !existed)
        reel_http_publish(h, "blob", ev);
    free(ev);
    return http_send_json(conn, existed ? 200 : 201, j);
}

/* The Content-Type of a response comes from the index; only a plain
 * token/token value goes out as a header. */
static const char *safe_mime(const char *mime)
{
    if (!mime || !*mime || strlen(mime) > 95)
        return "application/octet-stream";
    for (const char *p = mime; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == ';' || *p == ',' || *p == '"')
            return "application/octet-stream";
    return mime;
}

enum MHD_Result http_send_blob(reel_http *h, struct MHD_Connection *conn, const reel_hash *hash,
                               const char *mime, const char *filename)
{
    reel_error e;
    reel_error_clear(&e);
    char name[80];
    reel_hash_to_string(hash, name);
    if (!reel_cas_has(reel_store_cas(h->st), hash)) {
        char msg[128];
        snprintf(msg, sizeof msg, "no blob %s in this store", name);
        return http_send_error(conn, 404, "not_found", msg);
    }
    int fd;
    if (reel_cas_open_content(reel_store_cas(h->st), hash, &fd, &e))
        return http_send_reel_error(conn, &e);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return http_send_error(conn, 500, "io_error", "cannot stat a stored blob");
    }
    uint64_t size = (uint64_t)sb.st_size, first = 0, len = size;
    unsigned status = 200;
    const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
    char crange[96] = "";
    if (range) {
        int rr = reel_http_range_parse(range, size, &first, &len);
        if (rr == REEL_ERANGE) {
            close(fd);
            snprintf(crange, sizeof crange, "bytes */%llu", (unsigned long long)size);
            json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", "range_not_satisfiable",
                                  "message", "the range starts past the end of the blob");
            char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
            json_decref(j);
            if (!s)
                return MHD_NO;
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
            if (!resp) {
                free(s);
                return MHD_NO;
            }
            MHD_add_response_header(resp, "Content-Type", "application/json");
            MHD_add_response_header(resp, "Content-Range", crange);
            enum MHD_Result ret = MHD_queue_response(conn, 416, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        if (rr == 0) {
            status = 206;
            snprintf(crange, sizeof crange, "bytes %llu-%llu/%llu", (unsigned long long)first,
                     (unsigned long long)(first + len - 1), (unsigned long long)size);
        } else {
            first = 0;
            len = size;
        }
    }
    /* libmicrohttpd owns fd from here (sendfile where it can). */
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, first);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    char etag[84];
    snprintf(etag, sizeof etag, "\"%s\"", name);
    MHD_add_response_header(resp, "Content-Type", safe_mime(mime));
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    if (crange[0])
        MHD_add_response_header(resp, "Content-Range", crange);
    if (filename) {
        char cd[160];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int collect_hash(const reel_hash *h, const char *path, void *ud)
{
    (void)path;
    char b[80];
    reel_hash_to_string(h, b);
    return json_array_append_new(ud, json_string(b)) == 0 ? 0 : 1;
}

enum MHD_Result http_blobs_list(http_req *r, struct MHD_Connection *conn)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = json_array();
    if (!arr)
        return MHD_NO;
    int rc = reel_cas_foreach(reel_store_cas(r->h->st), 0, collect_hash, arr, &e);
    if (rc < 0) {
        json_decref(arr);
        return http_send_reel_error(conn, &e);
    }
    return http_send_json(conn, 200, json_pack("{s:o}", "blobs", arr));
}
