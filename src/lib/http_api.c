/*
 * http_api.c — the JSON REST routes under /api: streams, status, moments, slices,
 * artifacts with lineage, artifact downloads. The documents are the ones
 * `reel --json` prints (store_json.c), so every surface answers alike.
 *
 * Must never: touch the store's database without holding db_lock, or map
 * anything from the request to a file path (names go to the index).
 */
#include "http_internal.h"

#include "moments.h"
#include "store_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result streams(reel_http *h, struct MHD_Connection *conn)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_streams_json(h->st, &j, &e);
    pthread_mutex_unlock(&h->db_lock);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
}

static enum MHD_Result stream_status(reel_http *h, struct MHD_Connection *conn, const char *uri)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_stream_status_json(h->st, uri, &j, &e);
    pthread_mutex_unlock(&h->db_lock);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
}

static enum MHD_Result stream_moments(reel_http *h, struct MHD_Connection *conn,
                                      const char *uri)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_moments_json(h->st->db, uri, &j, &e);
    pthread_mutex_unlock(&h->db_lock);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
}

static enum MHD_Result slice(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    reel_error e;
    reel_error_clear(&e);
    reel_http_slice_body b;
    if (reel_http_slice_body_parse(r->body ? r->body : "", r->received, r->route.param, &b, &e)) {
        return http_send_error(conn, 400, b.error_code ? b.error_code : "invalid_argument", e.msg);
    }
    reel_slice_result res;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_slice(h->st, &b.req, &res, &e);
    pthread_mutex_unlock(&h->db_lock);
    reel_http_slice_body_free(&b);
    if (rc)
        return http_send_reel_error(conn, &e);
    json_t *j = reel_slice_result_json(&res, NULL);
    if (!j)
        return MHD_NO;
    char url[128];
    snprintf(url, sizeof url, "/api/artifacts/%s", res.artifact_id);
    json_object_set_new(j, "url", json_string(url));
    json_object_set_new(j, "stream", json_string(r->route.param));
    char *ev = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (ev)
        reel_http_publish(h, "artifact", ev);
    free(ev);
    return http_send_json(conn, 201, j);
}

static enum MHD_Result artifacts(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    const char *tags[REEL_HTTP_MAX_TAGS];
    for (size_t i = 0; i < r->route.n_tags; i++)
        tags[i] = r->route.tags[i];
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_artifacts_json(h->st->db, tags, r->route.n_tags, &j, &e);
    pthread_mutex_unlock(&h->db_lock);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
}

static enum MHD_Result artifact(reel_http *h, struct MHD_Connection *conn, const char *id)
{
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_artifact_show_json(h->st->db, id, &j, &e);
    pthread_mutex_unlock(&h->db_lock);
    return rc ? http_send_reel_error(conn, &e) : http_send_json(conn, 200, j);
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
    pthread_mutex_lock(&h->db_lock);
    int rc = reel_db_artifact_get(h->st->db, id, &a, &e);
    pthread_mutex_unlock(&h->db_lock);
    if (rc)
        return http_send_reel_error(conn, &e);
    char fname[REEL_ARTIFACT_ID_MAX + 8];
    snprintf(fname, sizeof fname, "%s.%s", a.id, mime_ext(a.mime));
    enum MHD_Result ret = http_send_blob(h, conn, &a.content, a.mime, fname);
    reel_artifact_clear(&a);
    return ret;
}

enum MHD_Result http_api_dispatch(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    switch (r->route.kind) {
    case REEL_ROUTE_STREAMS: return streams(h, conn);
    case REEL_ROUTE_STREAM: return stream_status(h, conn, r->route.param);
    case REEL_ROUTE_STREAM_SLICE: return slice(r, conn);
    case REEL_ROUTE_STREAM_MOMENTS: return stream_moments(h, conn, r->route.param);
    case REEL_ROUTE_ARTIFACTS: return artifacts(r, conn);
    case REEL_ROUTE_ARTIFACT: return artifact(h, conn, r->route.param);
    case REEL_ROUTE_ARTIFACT_CONTENT: return artifact_content(h, conn, r->route.param);
    default: return http_send_error(conn, 404, "unknown_route", "no such route");
    }
}
