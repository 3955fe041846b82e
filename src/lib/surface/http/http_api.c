/*
 * http_api.c — the JSON REST routes under /api: streams, status, moments, slices,
 * artifacts with lineage, artifact downloads, and the read resources features
 * register (core/op.h: projects...). The documents are the ones
 * `reel --json` prints (store_json.c), so every surface answers alike.
 *
 * Must never: touch the store's database but through a borrowed handle, or map
 * anything from the request to a file path (names go to the index).
 */
#include "surface/http/http_internal.h"

#include "model/moments/moments.h"
#include "slice/store_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A read-only op of the service, answered as JSON (the pool of store
 * handles lets these run side by side). */
static enum MHD_Result read_op(reel_http *h, struct MHD_Connection *conn, const char *op,
                               json_t *args)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    int rc = reel_service_call(h->service, op, args, "reel http", &j, &e);
    json_decref(args);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
}

/* The body is checked here first so that its faults get their specific
 * codes (unknown_field, invalid_time_spec, ...), then the slice runs as the
 * service's stream_slice op like every other surface's. */
static enum MHD_Result slice(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    reel_error e;
    reel_error_clear(&e);
    reel_slice_args b;
    if (reel_slice_args_parse(r->body ? r->body : "", r->received, r->route.param, &b, &e)) {
        return http_send_error_reason(conn, 400, b.error_code ? b.error_code : "invalid_argument",
                                      e.reason, e.msg);
    }
    json_t *args = json_incref(b.doc);
    reel_slice_args_free(&b);
    json_object_set_new(args, "stream", json_string(r->route.param));
    json_t *j = NULL;
    int rc = reel_service_call(h->service, "stream_slice", args, "reel http", &j, &e);
    json_decref(args);
    if (rc)
        return http_send_reel_error(conn, &e);
    char url[128];
    snprintf(url, sizeof url, "/api/artifacts/%s",
             json_string_value(json_object_get(j, "artifact")));
    json_object_set_new(j, "url", json_string(url));
    return http_send_json(conn, 201, j);
}

static enum MHD_Result ops_list(struct MHD_Connection *conn)
{
    json_t *arr = json_array();
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++) {
        json_t *schema = json_loads(reel_op_schema(op), 0, NULL);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o*, s:b}", "name", op->name,
                                             "summary", op->summary, "input_schema", schema,
                                             "needs_recorder",
                                             (op->flags & REEL_OP_CONTROL) != 0));
    }
    return http_send_json(conn, 200, arr);
}

/* The request's JSON body as op arguments (*args NULL when empty). False:
 * it does not parse, and *reply holds the 400 answer already queued. */
static bool body_args(http_req *r, struct MHD_Connection *conn, json_t **args,
                      enum MHD_Result *reply)
{
    *args = NULL;
    if (r->received == 0)
        return true;
    json_error_t je;
    *args = json_loadb(r->body, r->received, JSON_REJECT_DUPLICATES, &je);
    if (*args)
        return true;
    char msg[300];
    snprintf(msg, sizeof msg, "malformed JSON at line %d column %d: %.200s", je.line, je.column,
             je.text);
    *reply = http_send_error(conn, 400, "malformed_json", msg);
    return false;
}

static enum MHD_Result op_call(http_req *r, struct MHD_Connection *conn)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *args;
    enum MHD_Result reply;
    if (!body_args(r, conn, &args, &reply))
        return reply;
    json_t *j = NULL;
    int rc = reel_service_call(r->h->service, r->route.param, args, "reel http", &j, &e);
    json_decref(args);
    if (rc)
        return http_send_reel_error(conn, &e);
    return http_send_json(conn, 200, j);
}

/* A file name extension for a download, from the MIME type. */
static const char *mime_ext(const char *mime)
{
    static const char *const map[][2] = {
        {"audio/wav", "wav"},    {"audio/x-w64", "w64"},         {"audio/flac", "flac"},
        {"audio/midi", "mid"},   {"application/json", "json"},   {"audio/x-rf64", "rf64"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(mime, map[i][0]) == 0)
            return map[i][1];
    if (strstr(mime, "json"))
        return "json";
    return "bin";
}

static enum MHD_Result artifact_content(reel_http *h, struct MHD_Connection *conn, const char *id)
{
    reel_error e;
    reel_error_clear(&e);
    reel_artifact a;
    memset(&a, 0, sizeof a);
    reel_store *st;
    int rc = reel_service_store_borrow(h->service, &st, &e);
    if (rc == 0) {
        rc = reel_db_artifact_get(reel_store_db(st), id, &a, &e);
        reel_service_store_return(h->service, st);
    }
    if (rc)
        return http_send_reel_error(conn, &e);
    char fname[REEL_ARTIFACT_ID_MAX + 8];
    snprintf(fname, sizeof fname, "%s.%s", a.id, mime_ext(a.mime));
    enum MHD_Result ret = http_send_blob(h, conn, &a.content, a.mime, fname);
    reel_artifact_clear(&a);
    return ret;
}

/* Run op `name` for a session route; `args` is consumed. */
static enum MHD_Result session_op(http_req *r, struct MHD_Connection *conn, const char *name,
                                  json_t *args, int status)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    int rc = reel_service_call(r->h->service, name, args, "reel http", &j, &e);
    json_decref(args);
    if (rc)
        return http_send_reel_error(conn, &e);
    return http_send_json(conn, status, j);
}

static enum MHD_Result sessions_post(http_req *r, struct MHD_Connection *conn)
{
    json_t *args;
    enum MHD_Result reply;
    if (!body_args(r, conn, &args, &reply))
        return reply;
    return session_op(r, conn, "session_create", args ? args : json_object(), 201);
}

/* The export: the JSON document, or the tar archive itself. */
static enum MHD_Result session_export(http_req *r, struct MHD_Connection *conn)
{
    json_t *args = json_pack("{s:s, s:s}", "id", r->route.param, "format", r->route.format);
    if (strcmp(r->route.format, "archive") != 0) {
        reel_error e;
        reel_error_clear(&e);
        json_t *j = NULL;
        int rc = reel_service_call(r->h->service, "session_export", args, "reel http", &j, &e);
        json_decref(args);
        if (rc)
            return http_send_reel_error(conn, &e);
        json_t *doc = json_incref(json_object_get(j, "document"));
        json_decref(j);
        return http_send_json(conn, 200, doc);
    }
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    int rc = reel_service_call(r->h->service, "session_export", args, "reel http", &j, &e);
    json_decref(args);
    if (rc)
        return http_send_reel_error(conn, &e);
    reel_hash h;
    const char *hex = json_string_value(json_object_get(j, "hash"));
    if (!hex || reel_hash_from_hex(&h, hex, &e)) {
        json_decref(j);
        return http_send_error(conn, 500, "internal", "the export named no blob");
    }
    char fname[REEL_HTTP_PARAM_MAX + 8];
    snprintf(fname, sizeof fname, "%s.tar", r->route.param);
    json_decref(j);
    return http_send_blob(r->h, conn, &h, "application/x-tar", fname);
}

/* A registered read resource (core/op.h): its op, with the item's id and
 * the query values as arguments. A missing item is the op's own ENOENT
 * (404). */
static enum MHD_Result resource_read(reel_http *h, struct MHD_Connection *conn,
                                     const reel_http_route *rt)
{
    json_t *args = json_object();
    if (args && rt->param[0])
        json_object_set_new(args, rt->resource->id_arg, json_string(rt->param));
    for (size_t i = 0; args && i < rt->n_q; i++)
        json_object_set_new(args, rt->qkey[i], json_string(rt->qval[i]));
    if (!args)
        return http_send_error(conn, 503, "out_of_memory", "out of memory");
    return read_op(h, conn, rt->op, args);
}

enum MHD_Result http_api_dispatch(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    switch (r->route.kind) {
    case REEL_ROUTE_STREAMS: return read_op(h, conn, "streams", NULL);
    case REEL_ROUTE_STREAM:
        return read_op(h, conn, "stream_status", json_pack("{s:s}", "stream", r->route.param));
    case REEL_ROUTE_STREAM_SLICE: return slice(r, conn);
    case REEL_ROUTE_ARTIFACTS: {
        json_t *tags = json_array();
        for (size_t i = 0; i < r->route.n_tags; i++)
            json_array_append_new(tags, json_string(r->route.tags[i]));
        return read_op(h, conn, "artifact_list", json_pack("{s:o}", "tags", tags));
    }
    case REEL_ROUTE_ARTIFACT:
        return read_op(h, conn, "artifact_get", json_pack("{s:s}", "id", r->route.param));
    case REEL_ROUTE_STREAM_MOMENTS:
        return read_op(h, conn, "moments", json_pack("{s:s}", "stream", r->route.param));
    case REEL_ROUTE_ARTIFACT_CONTENT: return artifact_content(h, conn, r->route.param);
    case REEL_ROUTE_OPS: return ops_list(conn);
    case REEL_ROUTE_OP: return op_call(r, conn);
    case REEL_ROUTE_SESSIONS:
        if (r->route.method == REEL_HTTP_POST)
            return sessions_post(r, conn);
        return session_op(r, conn, "session_status", json_object(), 200);
    case REEL_ROUTE_SESSION:
        return session_op(r, conn, "session_status", json_pack("{s:s}", "id", r->route.param),
                          200);
    case REEL_ROUTE_SESSION_PLAY:
        return session_op(r, conn, "session_play", json_pack("{s:s}", "id", r->route.param), 200);
    case REEL_ROUTE_SESSION_STOP:
        return session_op(r, conn, "session_stop", json_pack("{s:s}", "id", r->route.param), 200);
    case REEL_ROUTE_SESSION_EXPORT: return session_export(r, conn);
    case REEL_ROUTE_RESOURCE: return resource_read(h, conn, &r->route);
    default: return http_send_error(conn, 404, "unknown_route", "no such route");
    }
}
