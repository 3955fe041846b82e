/*
 * mcp_resources.c — artifacts as MCP resources.
 *
 *   reel://artifact/<id>          the artifact's JSON document with lineage
 *                                 (parent, children, source window, chunks),
 *                                 followed by its content when small enough
 *   reel://artifact/<id>/content  the artifact's bytes: base64 `blob` with
 *                                 the artifact's MIME type (WAV, FLAC, MIDI...),
 *                                 or `text` for JSON documents
 *
 * Everything goes through the artifact_list and artifact_get ops, so a
 * `reel mcp` whose store has a running serve reads through it like every
 * other call.
 *
 * Must never: read a file whose path came from the request (the id is
 * checked and looked up; the path is the one artifact_get reports for the
 * artifact's content hash), or hand out bytes that do not hash to that
 * content hash.
 */
#include "surface/mcp/mcp_internal.h"

#include "core/base64.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "store/artifact_db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCHEME "reel://artifact/"
#define PAGE 100
#define DEFAULT_INLINE_BYTES (12u << 20)

uint64_t mcp_max_inline_bytes(const reel_mcp *m)
{
    return m->max_inline_bytes ? m->max_inline_bytes : DEFAULT_INLINE_BYTES;
}

void mcp_artifact_uri(const char *id, char *out, size_t cap)
{
    snprintf(out, cap, SCHEME "%s", id);
}

int mcp_read_content(json_t *doc, uint64_t max, unsigned char **buf, size_t *n, reel_error *err)
{
    *buf = NULL;
    *n = 0;
    const char *path = json_string_value(json_object_get(doc, "path"));
    const char *hash = json_string_value(json_object_get(doc, "content_hash"));
    reel_hash want, got;
    if (!path || !hash || reel_hash_from_hex(&want, hash, NULL))
        return reel_error_set(err, REEL_ENOENT, "the result names no stored file");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return reel_error_set(err, REEL_ENOENT, "%s: %s", path, strerror(errno));
    if ((uint64_t)sb.st_size > max)
        return reel_error_set(err, REEL_EFULL,
                              "the content is %" PRIu64 " bytes, over the %" PRIu64
                              "-byte inline limit",
                              (uint64_t)sb.st_size, max);
    char *data;
    size_t len;
    int rc = reel_fs_read_all(path, &data, &len, err);
    if (rc)
        return rc;
    reel_hash_buf(data, len, &got);
    if (!reel_hash_equal(&want, &got)) {
        free(data);
        return reel_error_set(err, REEL_ECORRUPT, "%s does not hash to %s (run `reel fsck`)",
                              path, hash);
    }
    *buf = (unsigned char *)data;
    *n = len;
    return REEL_OK;
}

static json_t *not_found(mcp_fault *f, const char *uri, const char *why)
{
    f->data = json_pack("{s:s}", "uri", uri);
    return mcp_fail(f, REEL_RPC_RESOURCE_NOT_FOUND, "Resource not found: %.200s (%s)", uri, why);
}

json_t *mcp_resources_list(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                           mcp_fault *f)
{
    (void)s;
    size_t from = 0;
    json_t *cursor = json_object_get(params, "cursor");
    if (cursor) {
        const char *c = json_string_value(cursor);
        char *end = NULL;
        errno = 0;
        unsigned long long v = c && c[0] >= '0' && c[0] <= '9' ? strtoull(c, &end, 10) : 0;
        if (!c || !end || *end || errno || v > SIZE_MAX)
            return mcp_fail(f, REEL_RPC_INVALID_PARAMS, "invalid params: unknown cursor");
        from = (size_t)v;
    }
    json_t *all = NULL, *args = json_object();
    reel_error e;
    reel_error_clear(&e);
    int rc = m->call(m->ud, "artifact_list", args, &all, &e);
    json_decref(args);
    if (rc)
        return mcp_fail(f, REEL_RPC_INTERNAL_ERROR, "artifact_list: %s", e.msg);
    json_t *list = json_array();
    size_t n = json_array_size(all);
    for (size_t i = from; i < n && i < from + PAGE; i++) {
        json_t *a = json_array_get(all, i);
        const char *id = json_string_value(json_object_get(a, "id"));
        const char *kind = json_string_value(json_object_get(a, "kind"));
        const char *mime = json_string_value(json_object_get(a, "mime"));
        if (!id)
            continue;
        char uri[256], desc[512];
        mcp_artifact_uri(id, uri, sizeof uri);
        snprintf(desc, sizeof desc, "%s artifact (%s) with its lineage; its bytes: %s/content",
                 kind ? kind : "an", mime ? mime : "?", uri);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "uri", uri, "name", id,
                                              "description", desc, "mimeType",
                                              "application/json"));
    }
    json_t *res = json_pack("{s:o}", "resources", list);
    if (from + PAGE < n) {
        char next[32];
        snprintf(next, sizeof next, "%zu", from + PAGE);
        json_object_set_new(res, "nextCursor", json_string(next));
    }
    json_decref(all);
    return res;
}

/* Text for JSON and text types, base64 otherwise. */
static bool is_text(const char *mime)
{
    return strncmp(mime, "text/", 5) == 0 || strcmp(mime, "application/json") == 0 ||
           (strlen(mime) > 5 && strcmp(mime + strlen(mime) - 5, "+json") == 0);
}

/* The content entry of artifact document `doc`, or NULL with `e` set. */
static json_t *content_entry(const reel_mcp *m, json_t *doc, const char *uri, reel_error *e)
{
    const char *mime = json_string_value(json_object_get(doc, "mime"));
    if (!mime)
        mime = "application/octet-stream";
    unsigned char *buf;
    size_t n;
    if (mcp_read_content(doc, mcp_max_inline_bytes(m), &buf, &n, e))
        return NULL;
    json_t *entry;
    if (is_text(mime) && !memchr(buf, '\0', n)) {
        entry = json_pack("{s:s, s:s, s:s%}", "uri", uri, "mimeType", mime, "text",
                          (const char *)buf, n);
    } else {
        char *b64 = reel_base64_encode(buf, n);
        entry = b64 ? json_pack("{s:s, s:s, s:s}", "uri", uri, "mimeType", mime, "blob", b64)
                    : NULL;
        free(b64);
    }
    free(buf);
    if (!entry)
        reel_error_set(e, REEL_ENOMEM, "out of memory");
    return entry;
}

json_t *mcp_resources_read(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                           mcp_fault *f)
{
    (void)s;
    const char *uri = json_string_value(json_object_get(params, "uri"));
    if (!uri)
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "invalid params: resources/read needs \"uri\" (a string)");
    size_t sl = strlen(SCHEME);
    if (strncmp(uri, SCHEME, sl) != 0)
        return not_found(f, uri, "reel's resources are " SCHEME "<id>[/content]");
    const char *id = uri + sl;
    const char *slash = strchr(id, '/');
    bool want_content = false;
    if (slash) {
        if (strcmp(slash, "/content") != 0)
            return not_found(f, uri, "the only sub-resource is /content");
        want_content = true;
    }
    size_t idn = slash ? (size_t)(slash - id) : strlen(id);
    char idbuf[160];
    if (idn >= sizeof idbuf)
        return not_found(f, uri, "not an artifact id");
    snprintf(idbuf, sizeof idbuf, "%.*s", (int)idn, id);
    if (!reel_artifact_id_ok(idbuf))
        return not_found(f, uri, "not an artifact id");
    json_t *args = json_pack("{s:s}", "id", idbuf), *doc = NULL;
    reel_error e;
    reel_error_clear(&e);
    int rc = m->call(m->ud, "artifact_get", args, &doc, &e);
    json_decref(args);
    if (rc == REEL_ENOENT || rc == REEL_EAMBIG)
        return not_found(f, uri, e.msg);
    if (rc)
        return mcp_fail(f, REEL_RPC_INTERNAL_ERROR, "artifact_get: %s", e.msg);
    char curi[256];
    snprintf(curi, sizeof curi, SCHEME "%s/content", idbuf);
    json_t *contents = json_array();
    if (!want_content) {
        char *txt = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_array_append_new(contents, json_pack("{s:s, s:s, s:s}", "uri", uri, "mimeType",
                                                  "application/json", "text", txt ? txt : ""));
        free(txt);
    }
    json_t *c = content_entry(m, doc, curi, &e);
    json_decref(doc);
    if (c) {
        json_array_append_new(contents, c);
    } else if (want_content) {
        json_decref(contents);
        /* Too big to inline is a limit of this surface, not a missing
         * resource: say where the bytes are instead. */
        return mcp_fail(f, e.code == REEL_EFULL ? REEL_RPC_INVALID_PARAMS : REEL_RPC_INTERNAL_ERROR,
                        "%s: %s (GET /api/artifacts/%s/content serves any size)", curi, e.msg,
                        idbuf);
    }
    return json_pack("{s:o}", "contents", contents);
}

json_t *mcp_resource_templates(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                               mcp_fault *f)
{
    (void)m, (void)s;
    if (json_object_get(params, "cursor"))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS, "invalid params: unknown cursor");
    return json_pack(
        "{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "resourceTemplates", "uriTemplate",
        SCHEME "{id}", "name", "artifact", "description",
        "An artifact (slice, grab, session...) with its lineage: parent, children, the stream "
        "window and chunks it came from; its content follows when small enough.",
        "mimeType", "application/json", "uriTemplate", SCHEME "{id}/content", "name",
        "artifact-content", "description",
        "An artifact's bytes (WAV, FLAC, MIDI...) with the artifact's MIME type, base64.");
}
