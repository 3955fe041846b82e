/*
 * import_ops.c — the `import` op: store an audio file libsndfile reads as
 * an "audio" artifact (import.h), from the CLI (`reel import`), `reel call`,
 * HTTP POST /api/ops/import and MCP. Each import goes out as an "artifact"
 * event, as session_stop's artifact does.
 *
 * A relative path is relative to the directory of the process that runs
 * the op: `reel import` makes it absolute before it calls, since the op may
 * run in the store's `reel serve`.
 *
 * Owns: the import op table. Must never: store anything for a file the
 * probe refused.
 */
#include "core/op.h"

#include "model/import/import.h"

static int op_import(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    int rc = reel_import_file(x->st, reel_arg_str(args, "path", ""),
                              reel_arg_str(args, "name", NULL), x->origin, NULL, out, err);
    if (rc)
        return rc;
    json_t *ev = json_pack("{s:O, s:s, s:O, s:O}", "artifact", json_object_get(*out, "artifact"),
                           "kind", "audio", "hash", json_object_get(*out, "hash"), "name",
                           json_object_get(*out, "name"));
    if (ev)
        reel_service_publish(x->service, "artifact", ev);
    json_decref(ev);
    return REEL_OK;
}

static const reel_op ops[] = {
    {"import",
     "Store an audio file libsndfile reads (WAV, FLAC, OGG, AIFF...) byte for byte as an "
     "\"audio\" artifact with its format, subtype, rate, channels, frames and duration.",
     0, op_import},
};

static const reel_op_table import_ops = {
    .name = "import",
    .order = 6,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = NULL,
    .fini = NULL,
};
REEL_OP_TABLE(import_ops);
