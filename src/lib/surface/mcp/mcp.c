/*
 * mcp.c — JSON-RPC 2.0 framing and the MCP lifecycle (see mcp.h): message
 * validation, initialize with version negotiation, ping, notifications,
 * batches where the negotiated revision has them, and dispatch to the
 * tools and resources methods (mcp_tools.c, mcp_resources.c).
 *
 * Why batches depend on the session: JSON-RPC batching entered MCP in
 * 2025-03-26 and was removed again in 2025-06-18, so a batch is processed
 * for a session that negotiated 2025-03-26 and refused as an invalid
 * request otherwise.
 *
 * Must never: answer a notification (even a failing one), answer a
 * request with an id other than its own, or process a request other than
 * initialize and ping before initialize.
 */
#include "surface/mcp/mcp_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Newest first: the answer to an unknown version is the first. */
static const char *const VERSIONS[] = {REEL_MCP_PROTOCOL_LATEST, "2025-06-18", "2025-03-26",
                                       "2024-11-05"};
#define BATCH_VERSION "2025-03-26"

static const char INSTRUCTIONS[] =
    "reel records audio and MIDI continuously into a content-addressed store. "
    "`grab` keeps the last N seconds of a stream as an artifact and returns it as audio you "
    "can listen to; `stream_slice` cuts any window (time specs: head, -30s, ISO-8601, "
    "@EPOCH, #FRAME); `artifact_list`/`artifact_get` and the reel://artifact/<id> resources "
    "show what was kept and where it came from. Ops that change what is recorded need a "
    "running `reel serve`.";

bool reel_mcp_version_supported(const char *v)
{
    for (size_t i = 0; v && i < sizeof VERSIONS / sizeof VERSIONS[0]; i++)
        if (strcmp(v, VERSIONS[i]) == 0)
            return true;
    return false;
}

bool mcp_since(const reel_mcp_session *s, const char *v)
{
    return strcmp(s->version, v) >= 0;
}

json_t *mcp_fail(mcp_fault *f, int code, const char *fmt, ...)
{
    f->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *error_reply(json_t *id, int code, const char *msg, json_t *data)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg);
    if (e && data)
        json_object_set(e, "data", data);
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
                     e);
}

json_t *reel_mcp_error(json_t *id, int code, const char *fmt, ...)
{
    char msg[REEL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_reply(id, code, msg, NULL);
}

/* ---- lifecycle -------------------------------------------------------------- */

static json_t *initialize(reel_mcp_session *s, json_t *params, mcp_fault *f)
{
    if (s->version[0])
        return mcp_fail(f, REEL_RPC_INVALID_REQUEST,
                        "this session is already initialized (protocol %s)", s->version);
    json_t *pv = json_object_get(params, "protocolVersion");
    if (!json_is_string(pv))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "initialize: \"protocolVersion\" (a string) is required");
    json_t *caps = json_object_get(params, "capabilities");
    json_t *info = json_object_get(params, "clientInfo");
    if (!json_is_object(caps))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "initialize: \"capabilities\" (an object) is required");
    if (!json_is_object(info) || !json_is_string(json_object_get(info, "name")))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "initialize: \"clientInfo\" with a \"name\" is required");
    /* The client's version if reel speaks it, else reel's newest: the
     * client then decides whether it can go on with that one. */
    const char *want = json_string_value(pv);
    snprintf(s->version, sizeof s->version, "%s",
             reel_mcp_version_supported(want) ? want : VERSIONS[0]);
    return json_pack("{s:s, s:{s:{s:b}, s:{s:b, s:b}}, s:{s:s, s:s, s:s}, s:s}",
                     "protocolVersion", s->version, "capabilities", "tools", "listChanged", 0,
                     "resources", "subscribe", 0, "listChanged", 0, "serverInfo", "name", "reel",
                     "title", "reel: continuous audio and MIDI recorder", "version", "0.1.0",
                     "instructions", INSTRUCTIONS);
}

typedef json_t *(*method_fn)(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                            mcp_fault *f);

static const struct {
    const char *name;
    method_fn fn;
} METHODS[] = {
    {"tools/list", mcp_tools_list},
    {"tools/call", mcp_tools_call},
    {"resources/list", mcp_resources_list},
    {"resources/read", mcp_resources_read},
    {"resources/templates/list", mcp_resource_templates},
};

/* A request's result or fault. */
static json_t *run_method(const reel_mcp *m, reel_mcp_session *s, const char *method,
                          json_t *params, mcp_fault *f)
{
    if (strcmp(method, "initialize") == 0)
        return initialize(s, params, f);
    if (strcmp(method, "ping") == 0)
        return json_object();
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++) {
        if (strcmp(method, METHODS[i].name) != 0)
            continue;
        if (!s->version[0])
            return mcp_fail(f, REEL_RPC_INVALID_REQUEST,
                            "%s before initialize: the session must begin with initialize",
                            method);
        return METHODS[i].fn(m, s, params, f);
    }
    return mcp_fail(f, REEL_RPC_METHOD_NOT_FOUND, "method not found: %.100s", method);
}

static void notification(reel_mcp_session *s, const char *method)
{
    /* Others (cancelled, roots/list_changed, progress...) need nothing:
     * calls run to completion before the next message is read. */
    if (strcmp(method, "notifications/initialized") == 0 && s->version[0])
        s->initialized = true;
}

/* ---- messages --------------------------------------------------------------- */

static bool id_ok(json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

/* One message that is not a batch. */
static json_t *handle_one(const reel_mcp *m, reel_mcp_session *s, json_t *msg, bool in_batch)
{
    if (!json_is_object(msg))
        return reel_mcp_error(NULL, REEL_RPC_INVALID_REQUEST,
                              "invalid request: a message is a JSON object");
    json_t *id = json_object_get(msg, "id");
    json_t *reply_id = id_ok(id) ? id : NULL;
    json_t *method = json_object_get(msg, "method");
    if (!json_is_string(json_object_get(msg, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") != 0)
        return reel_mcp_error(reply_id, REEL_RPC_INVALID_REQUEST,
                              "invalid request: \"jsonrpc\" must be \"2.0\"");
    if (!method) {
        /* A response to a request of ours: reel sends none, so there is
         * nothing to match it with; it needs no answer either way. */
        if (id_ok(id) && (json_object_get(msg, "result") || json_object_get(msg, "error")))
            return NULL;
        return reel_mcp_error(reply_id, REEL_RPC_INVALID_REQUEST,
                              "invalid request: no \"method\"");
    }
    if (!json_is_string(method))
        return reel_mcp_error(reply_id, REEL_RPC_INVALID_REQUEST,
                              "invalid request: \"method\" must be a string");
    if (id && !id_ok(id))
        return reel_mcp_error(NULL, REEL_RPC_INVALID_REQUEST,
                              "invalid request: \"id\" must be a string or an integer");
    json_t *params = json_object_get(msg, "params");
    if (params && !json_is_object(params) && !json_is_array(params))
        return reel_mcp_error(reply_id, REEL_RPC_INVALID_REQUEST,
                              "invalid request: \"params\" must be an object");
    const char *name = json_string_value(method);
    if (!id) {
        if (params == NULL || json_is_object(params))
            notification(s, name);
        return NULL;
    }
    if (params && !json_is_object(params))
        return reel_mcp_error(id, REEL_RPC_INVALID_PARAMS,
                              "invalid params: MCP takes named parameters (an object)");
    if (in_batch && strcmp(name, "initialize") == 0)
        return reel_mcp_error(id, REEL_RPC_INVALID_REQUEST,
                              "invalid request: initialize must not be part of a batch");
    json_t *empty = NULL;
    if (!params)
        params = empty = json_object();
    mcp_fault f = {0};
    json_t *result = run_method(m, s, name, params, &f);
    json_decref(empty);
    if (!result) {
        json_t *r = error_reply(id, f.code ? f.code : REEL_RPC_INTERNAL_ERROR,
                                f.msg[0] ? f.msg : "out of memory", f.data);
        json_decref(f.data);
        return r;
    }
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

json_t *reel_mcp_handle(const reel_mcp *m, reel_mcp_session *s, json_t *msg)
{
    if (!json_is_array(msg))
        return handle_one(m, s, msg, false);
    if (strcmp(s->version, BATCH_VERSION) != 0)
        return reel_mcp_error(NULL, REEL_RPC_INVALID_REQUEST,
                              "invalid request: JSON-RPC batches are not part of MCP %s "
                              "(only protocol %s has them)",
                              s->version[0] ? s->version : "before initialize", BATCH_VERSION);
    if (json_array_size(msg) == 0)
        return reel_mcp_error(NULL, REEL_RPC_INVALID_REQUEST, "invalid request: empty batch");
    json_t *replies = json_array();
    size_t i;
    json_t *one;
    json_array_foreach(msg, i, one) {
        json_t *r = handle_one(m, s, one, true);
        if (r)
            json_array_append_new(replies, r);
    }
    if (json_array_size(replies) == 0) {
        json_decref(replies);
        return NULL;
    }
    return replies;
}

json_t *reel_mcp_handle_text(const reel_mcp *m, reel_mcp_session *s, const char *buf,
                             size_t len)
{
    json_error_t je;
    json_t *msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!msg)
        return reel_mcp_error(NULL, REEL_RPC_PARSE_ERROR, "parse error at line %d column %d: %s",
                              je.line, je.column, je.text);
    json_t *r = reel_mcp_handle(m, s, msg);
    json_decref(msg);
    return r;
}

bool reel_mcp_is_initialize(json_t *msg)
{
    json_t *method = json_object_get(msg, "method");
    return json_is_object(msg) && json_object_get(msg, "id") && json_is_string(method) &&
           strcmp(json_string_value(method), "initialize") == 0;
}
