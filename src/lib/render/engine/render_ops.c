/*
 * render_ops.c — the engine's ops: graph_set (a project's routing graph,
 * checked by graph_compile.c before it is stored as a new version) and
 * render (a version rendered offline into an artifact, offline_render.h).
 *
 * Owns: turning op arguments into those calls. Must never: store a graph
 * reel_graph_check refused, or render a version that is not the project's.
 */
#include "core/op.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"
#include "render/engine/graph_compile.h"
#include "render/engine/offline_render.h"

#include <stdio.h>
#include <string.h>

static int edit_graph_set(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                          reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *g = json_object_get(args, "graph");
    int rc = reel_graph_check(doc, g, err);
    if (rc)
        return rc;
    json_object_set(doc, "graph", g);
    return REEL_OK;
}

static int op_graph_set(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    return reel_project_edit(x, args, "graph_set", edit_graph_set, out, err);
}

static int op_render(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    const char *id = reel_arg_str(args, "project", "");
    reel_project_version f;
    int rc = reel_project_version_get(reel_store_db(x->st), id,
                                      reel_arg_str(args, "version", NULL), &f, err);
    if (rc)
        return rc;
    reel_offline_request req;
    memset(&req, 0, sizeof req);
    req.project = id;
    req.version = f.version;
    req.version_artifact = f.artifact;
    req.timeline = reel_arg_str(args, "timeline", NULL);
    req.output = reel_arg_str(args, "node", NULL);
    req.has_from = json_object_get(args, "from") != NULL;
    req.has_to = json_object_get(args, "to") != NULL;
    req.from = json_number_value(json_object_get(args, "from"));
    req.to = json_number_value(json_object_get(args, "to"));
    req.block = (uint32_t)reel_arg_int(args, "block", 512);
    req.stems = reel_arg_bool(args, "stems", false);
    req.creator = x->origin;
    if ((rc = reel_out_format_parse(reel_arg_str(args, "format", "wav"), &req.format, err)))
        return rc;
    req.sample_format = reel_out_default_sample_format(req.format, REEL_SAMPLE_F32);
    const char *sf = reel_arg_str(args, "sample_format", NULL);
    if (sf && (rc = reel_sample_format_parse(sf, &req.sample_format, err)))
        return rc;
    if ((rc = reel_project_load(x->st, f.version, &req.doc, err)))
        return rc;
    rc = reel_offline_render(x->st, &req, out, err);
    json_decref(req.doc);
    return rc;
}

static const reel_op ops[] = {
    {"graph_set",
     "Replace a project's routing graph (nodes track/bus/output, connections with channels and "
     "gain); checked first: unknown nodes or tracks, bad channels and cycles are refused, named.",
     0, op_graph_set},
    {"render",
     "Render a project version offline through its graph into an artifact (parent: the "
     "version), optionally with one stem per track and bus; the same version renders to the "
     "same bytes.",
     0, op_render},
};

static const reel_op_table render_ops = {
    .name = "render",
    .order = 13,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(render_ops);
