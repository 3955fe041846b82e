/*
 * service_ops_store.c — the ops that read the store or add slices to it:
 * streams, stream_status, stream_slice, grab, artifact_list, artifact_get.
 * They answer with the documents of store_json.c, so `reel --json`, HTTP
 * and MCP print the same thing.
 *
 * Owns: those ops' schemas and argument mapping. Must never: write a file
 * outside the store (slices made through the service live only in CAS; a
 * path in a result is the sealed blob's, read-only), or change what is
 * being recorded.
 */
#include "service/service_internal.h"

#include "service/op_bounds.h"

#include "slice/slice_args.h"
#include "slice/slice.h"
#include "slice/stream_pick.h"
#include "store/store.h"
#include "slice/store_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The sealed file of `h` and the artifact's URL, added to a result. */
static void add_locations(reel_op_ctx *x, json_t *j, const reel_hash *h, const char *artifact)
{
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(x->st), h, path);
    json_object_set_new(j, "path", json_string(path));
    char url[128];
    snprintf(url, sizeof url, "/api/artifacts/%s/content", artifact);
    json_object_set_new(j, "content_url", json_string(url));
}

static int op_streams(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    return reel_streams_json(x->st, out, err);
}

static int op_stream_status(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_stream_status_json(x->st, reel_arg_str(args, "stream", ""), out, err);
}

/* Run a parsed slice request and describe the result. */
static int run_slice(reel_op_ctx *x, reel_slice_args *b, json_t **out, reel_error *err)
{
    b->req.creator = x->origin;
    reel_slice_result res;
    int rc = reel_slice(x->st, &b->req, &res, err);
    if (rc)
        return rc;
    json_t *j = reel_slice_result_json(&res, NULL);
    if (!j)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_object_set_new(j, "stream", json_string(b->req.stream_uri));
    json_object_set_new(j, "duration_s", json_real(res.sample_rate ? (double)(res.to_frame -
                                                   res.from_frame) / res.sample_rate : 0.0));
    add_locations(x, j, &res.content, res.artifact_id);
    reel_service_publish(x->service, "artifact", j);
    *out = j;
    return REEL_OK;
}

static int op_stream_slice(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *doc = json_deep_copy(args);
    if (!doc)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    char uri[REEL_URI_MAX];
    snprintf(uri, sizeof uri, "%s", reel_arg_str(args, "stream", ""));
    json_object_del(doc, "stream");
    reel_slice_args b;
    int rc = reel_slice_args_parse_json(doc, uri, &b, err);
    json_decref(doc);
    if (rc == 0)
        rc = run_slice(x, &b, out, err);
    reel_slice_args_free(&b);
    return rc;
}

/* The stream a grab means when none is named: the only one recording, or
 * the only one there is. */
static int op_grab(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    char uri[REEL_URI_MAX];
    int rc = reel_stream_arg(x->st, args, uri, sizeof uri, err);
    if (rc)
        return rc;
    json_t *sec = json_object_get(args, "seconds");
    double seconds = sec ? json_number_value(sec) : 30.0;
    json_t *doc = json_deep_copy(args);
    if (!doc)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_object_del(doc, "stream");
    json_object_del(doc, "seconds");
    char last[64];
    snprintf(last, sizeof last, "%.6fs", seconds);
    json_object_set_new(doc, "last", json_string(last));
    json_t *tags = json_object_get(doc, "tags");
    if (!tags)
        json_object_set_new(doc, "tags", tags = json_array());
    json_array_append_new(tags, json_string("grab"));
    reel_slice_args b;
    rc = reel_slice_args_parse_json(doc, uri, &b, err);
    json_decref(doc);
    if (rc == 0)
        rc = run_slice(x, &b, out, err);
    reel_slice_args_free(&b);
    return rc;
}

static int op_artifact_list(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *tags[REEL_OPB_ARTIFACT_LIST_TAGS_MAXITEMS]; /* the schema bounds the count */
    size_t n = 0, i;
    json_t *t;
    json_array_foreach(json_object_get(args, "tags"), i, t) tags[n++] = json_string_value(t);
    json_t *all = NULL;
    int rc = reel_artifacts_json(reel_store_db(x->st), tags, n, &all, err);
    if (rc)
        return rc;
    const char *q = reel_arg_str(args, "search", NULL);
    int64_t limit = reel_arg_int(args, "limit", 0);
    json_t *res = json_array();
    json_t *a;
    json_array_foreach(all, i, a) {
        if (limit > 0 && (int64_t)json_array_size(res) >= limit)
            break;
        if (q && q[0]) {
            char *txt = json_dumps(a, JSON_COMPACT);
            bool hit = txt && strstr(txt, q);
            free(txt);
            if (!hit)
                continue;
        }
        json_array_append(res, a);
    }
    json_decref(all);
    *out = res;
    return REEL_OK;
}

static int op_artifact_get(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_artifact_show_json(reel_store_db(x->st), reel_arg_str(args, "id", ""), out, err);
    if (rc)
        return rc;
    reel_hash h;
    const char *content = json_string_value(json_object_get(*out, "content_hash"));
    const char *id = json_string_value(json_object_get(*out, "id"));
    if (content && id && reel_hash_from_hex(&h, content, NULL) == 0)
        add_locations(x, *out, &h, id);
    return REEL_OK;
}


static const reel_op ops[] = {
    {"streams", "List every stream with its state, head position, chunks, xruns and overruns.", 0, op_streams},
    {"stream_status", "One stream's status: state, head, chunks, xruns, overruns, clock.",
     0, op_stream_status},
    {"stream_slice",
     "Cut a time range out of a stream into an artifact (a file in the store, or a virtual "
     "slice). Times: head, start, -30s, ISO-8601, @EPOCH, #FRAME, session:ID:start|end.",
     0, op_stream_slice},
    {"grab",
     "Keep the last N seconds of a stream (default 30 s of the stream being recorded): "
     "returns the artifact, its blob address and file path.",
     0, op_grab},
    {"artifact_list", "List artifacts, newest first, filtered by tags and a search string.",
     0, op_artifact_list},
    {"artifact_get",
     "One artifact with its lineage (parent, children, source stream window, chunks).",
     0, op_artifact_get},
};

static const reel_op_table store_ops = {
    .name = "store",
    .order = 0,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(store_ops);
