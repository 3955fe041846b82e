/*
 * fuzz_mcp.c — libFuzzer target for the MCP server's message handling:
 * arbitrary bytes as one message (stdio line or POST body) to a session
 * that is initialized for the first half of the inputs' first byte space,
 * fresh for the rest, with a fake op runner that answers with a fixed
 * document (no store here).
 *
 * Must never: keep state between inputs. Asserts: a reply is a JSON-RPC
 * response (jsonrpc 2.0, an id that is null, a string or an integer, and
 * exactly one of result and error with an integer code) or an array of
 * them; a well-formed notification is never answered (duplicate keys make
 * a message malformed, for the harness as for the server).
 */
#include "surface/mcp/mcp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int fake_call(void *ud, const char *op, json_t *args, json_t **out, reel_error *err)
{
    (void)ud;
    if (!json_is_object(args))
        abort();
    if (strcmp(op, "artifact_list") == 0) {
        *out = json_pack("[{s:s, s:s, s:s}]", "id", "art-1", "kind", "slice", "mime",
                         "audio/wav");
        return 0;
    }
    if (json_object_get(args, "fail"))
        return reel_error_set(err, REEL_EINVAL, "%s: \"fail\" is not a field", op);
    *out = json_pack("{s:s}", "op", op);
    return 0;
}

static bool is_v2(json_t *msg)
{
    const char *v = json_string_value(json_object_get(msg, "jsonrpc"));
    return v && strcmp(v, "2.0") == 0;
}

static void check_reply(json_t *r)
{
    if (!json_is_object(r) || !is_v2(r))
        abort();
    json_t *id = json_object_get(r, "id");
    if (!(json_is_null(id) || json_is_string(id) || json_is_integer(id)))
        abort();
    json_t *res = json_object_get(r, "result"), *e = json_object_get(r, "error");
    if (!res == !e)
        abort();
    if (e && (!json_is_integer(json_object_get(e, "code")) ||
              !json_is_string(json_object_get(e, "message"))))
        abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    reel_mcp m = {.call = fake_call};
    reel_mcp_session s = {0};
    if (size > 0 && data[0] & 1) {
        strcpy(s.version, (data[0] & 2) ? "2025-03-26" : REEL_MCP_PROTOCOL_LATEST);
        s.initialized = true;
    }
    json_t *r = reel_mcp_handle_text(&m, &s, (const char *)data, size);
    json_t *msg =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (r && json_is_object(msg) && !json_object_get(msg, "id") &&
        json_is_string(json_object_get(msg, "method")) &&
        is_v2(msg) &&
        (!json_object_get(msg, "params") || json_is_object(json_object_get(msg, "params"))))
        abort(); /* a well-formed notification got an answer */
    if (json_is_array(r)) {
        size_t i;
        json_t *one;
        json_array_foreach(r, i, one) check_reply(one);
    } else if (r) {
        check_reply(r);
    }
    json_decref(msg);
    json_decref(r);
    return 0;
}
