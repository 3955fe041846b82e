/*
 * mcp_tools.c — tools/list and tools/call over the service's op table.
 *
 * A tool is an op: its name, its summary as the description, its argument
 * schema as inputSchema. A call's result carries the op's JSON document as
 * structuredContent (wrapped in {"result": ...} when it is not an object,
 * since structured content is an object) and the same JSON as a text block
 * for clients that only read text. A result that is an audio file in the
 * store (a grab or a slice) also gets a resource link to its artifact and,
 * when short enough, the audio itself as an `audio` block, so that an agent
 * can listen to what it kept. What a result holds follows the session's
 * revision, so an older client never sees a block its schema lacks: audio
 * since 2025-03-26, structuredContent and resource links since 2025-06-18.
 *
 * No outputSchema is declared: ops do not publish schemas of their results,
 * and a declared schema the results did not follow would be worse than
 * none.
 *
 * Must never: turn an op's failure into a protocol error (the model must
 * see the message), or attach bytes whose hash is not the one the op
 * reported.
 */
#include "surface/mcp/mcp_internal.h"

#include "core/base64.h"
#include "service/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *mcp_tools_list(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                       mcp_fault *f)
{
    (void)m, (void)s;
    if (json_object_get(params, "cursor"))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "invalid params: unknown cursor (tools/list has one page)");
    json_t *tools = json_array();
    const reel_op *op;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++) {
        json_error_t je;
        json_t *schema = json_loads(reel_op_schema(op), 0, &je);
        if (!schema) {
            json_decref(tools);
            return mcp_fail(f, REEL_RPC_INTERNAL_ERROR, "op %s: its schema does not parse: %s",
                            op->name, je.text);
        }
        char desc[1024];
        snprintf(desc, sizeof desc, "%s%s", op->summary,
                 op->flags & REEL_OP_CONTROL
                     ? " Needs the recorder: a running `reel serve` on this store."
                     : "");
        json_array_append_new(tools, json_pack("{s:s, s:s, s:o}", "name", op->name,
                                               "description", desc, "inputSchema", schema));
    }
    return json_pack("{s:o}", "tools", tools);
}

static json_t *text_block(json_t *doc)
{
    char *txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *b = json_pack("{s:s, s:s}", "type", "text", "text", txt ? txt : "");
    free(txt);
    return b;
}

/* An audio file in the store, as the op result describes it: what an
 * agent can listen to (MIDI is not: it has no sound of its own). */
static bool is_audio_result(json_t *doc)
{
    const char *mime = json_string_value(json_object_get(doc, "mime"));
    return mime && strncmp(mime, "audio/", 6) == 0 && strcmp(mime, "audio/midi") != 0 &&
           json_is_string(json_object_get(doc, "path")) &&
           json_is_string(json_object_get(doc, "content_hash"));
}

/* The resource link and, within the limits, the audio of a slice result. */
static void add_media(const reel_mcp *m, const reel_mcp_session *s, json_t *content,
                      json_t *doc)
{
    const char *art = json_string_value(json_object_get(doc, "artifact"));
    const char *mime = json_string_value(json_object_get(doc, "mime"));
    if (art && mime && mcp_since(s, "2025-06-18")) {
        char uri[256];
        mcp_artifact_uri(art, uri, sizeof uri);
        json_array_append_new(content, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type",
                                                 "resource_link", "uri", uri, "name", art,
                                                 "mimeType", "application/json", "description",
                                                 "the artifact with its lineage"));
    }
    if (!is_audio_result(doc) || !mcp_since(s, "2025-03-26"))
        return;
    double max_s = m->max_audio_seconds > 0 ? m->max_audio_seconds : 30.0;
    json_t *dur = json_object_get(doc, "duration_s");
    char note[REEL_ERROR_MSG_MAX + 128];
    note[0] = '\0';
    if (json_is_number(dur) && json_number_value(dur) > max_s + 1e-9) {
        snprintf(note, sizeof note,
                 "audio not attached: %.3f s is longer than %.0f s; read it from \"path\" "
                 "or the resource %s/content",
                 json_number_value(dur), max_s, art ? art : "");
    } else {
        unsigned char *buf = NULL;
        size_t n = 0;
        reel_error e;
        reel_error_clear(&e);
        if (mcp_read_content(doc, mcp_max_inline_bytes(m), &buf, &n, &e) == 0) {
            char *b64 = reel_base64_encode(buf, n);
            if (b64)
                json_array_append_new(content, json_pack("{s:s, s:s, s:s}", "type", "audio",
                                                         "data", b64, "mimeType", mime));
            else
                snprintf(note, sizeof note, "audio not attached: out of memory");
            free(b64);
        } else {
            snprintf(note, sizeof note, "audio not attached: %s", e.msg);
        }
        free(buf);
    }
    if (note[0])
        json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", note));
}

json_t *mcp_tools_call(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                       mcp_fault *f)
{
    json_t *jname = json_object_get(params, "name");
    if (!json_is_string(jname))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "invalid params: tools/call needs \"name\" (a string)");
    const char *name = json_string_value(jname);
    json_t *args = json_object_get(params, "arguments");
    if (args && !json_is_object(args) && !json_is_null(args))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS,
                        "invalid params: \"arguments\" must be an object");
    if (!reel_service_op_find(name))
        return mcp_fail(f, REEL_RPC_INVALID_PARAMS, "Unknown tool: %.100s", name);
    json_t *empty = NULL;
    if (!json_is_object(args))
        args = empty = json_object();
    json_t *out = NULL;
    reel_error e;
    reel_error_clear(&e);
    int rc = m->call(m->ud, name, args, &out, &e);
    json_decref(empty);
    json_t *content = json_array();
    if (rc) {
        const char *code = reel_error_code_name(e.code ? e.code : rc);
        const char *msg = e.msg[0] ? e.msg : reel_strerror(rc);
        json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", msg));
        json_t *res = json_pack("{s:o, s:b}", "content", content, "isError", 1);
        if (res && mcp_since(s, "2025-06-18")) {
            json_t *sc = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
            if (sc && e.reason[0]) /* reel_error's stable sub-code */
                json_object_set_new(json_object_get(sc, "error"), "reason",
                                    json_string(e.reason));
            json_object_set_new(res, "structuredContent", sc);
        }
        return res;
    }
    if (!out)
        out = json_object();
    json_t *structured = json_is_object(out) ? json_incref(out)
                                             : json_pack("{s:O}", "result", out);
    json_array_append_new(content, text_block(structured));
    if (json_is_object(out))
        add_media(m, s, content, out);
    json_decref(out);
    json_t *res = json_pack("{s:o, s:b}", "content", content, "isError", 0);
    if (res && mcp_since(s, "2025-06-18"))
        json_object_set(res, "structuredContent", structured);
    json_decref(structured);
    return res;
}
