/*
 * test_mcp.c — the MCP server's JSON-RPC layer with a fake op runner:
 * malformed JSON (-32700), invalid requests (-32600), unknown methods
 * (-32601), invalid params (-32602), notifications never answered,
 * responses ignored, batches only where the negotiated revision has them,
 * initialize's version negotiation, tools/list as the op table,
 * tools/call results (structured content, op failures as isError, audio
 * blocks checked against the content hash and the limits), and artifacts
 * as resources (documents, contents, not found, paging).
 */
#include "core/base64.h"
#include "core/hash.h"
#include "surface/mcp/mcp.h"
#include "service/service.h"
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* The fake op runner: records what it was asked, answers what it is told. */
typedef struct fake {
    int calls;
    char last_op[64];
    json_t *last_args;
    json_t *answer;   /* returned (a copy) when rc == 0 */
    int rc;
    char msg[128];
    char reason[48];   /* the failure's sub-code ("" none) */
    json_t *artifacts; /* artifact_list's answer when set */
} fake;

static int fake_call(void *ud, const char *op, json_t *args, json_t **out, reel_error *err)
{
    fake *f = ud;
    f->calls++;
    snprintf(f->last_op, sizeof f->last_op, "%s", op);
    json_decref(f->last_args);
    f->last_args = json_deep_copy(args);
    if (strcmp(op, "artifact_list") == 0 && f->artifacts) {
        *out = json_deep_copy(f->artifacts);
        return 0;
    }
    if (f->rc)
        return reel_error_reason(err, reel_error_set(err, f->rc, "%s", f->msg), f->reason);
    *out = json_deep_copy(f->answer ? f->answer : json_object());
    return 0;
}

typedef struct ctx {
    fake f;
    reel_mcp m;
    reel_mcp_session s;
    char dir[PATH_MAX];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->m.call = fake_call;
    c->m.ud = &c->f;
    assert_non_null(test_tmpdir_make(c->dir, sizeof c->dir, "test_mcp"));
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    json_decref(c->f.last_args);
    json_decref(c->f.answer);
    json_decref(c->f.artifacts);
    test_tmpdir_remove(c->dir);
    free(c);
    return 0;
}

static json_t *send_text(ctx *c, const char *text)
{
    return reel_mcp_handle_text(&c->m, &c->s, text, strlen(text));
}

/* The error code of a reply, checking the reply's shape and id (`want_id`
 * is consumed; NULL: the id must be null). */
static int err_code(json_t *r, json_t *want_id)
{
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
    assert_null(json_object_get(r, "result"));
    json_t *id = json_object_get(r, "id");
    assert_non_null(id);
    if (want_id)
        assert_true(json_equal(id, want_id));
    else
        assert_true(json_is_null(id));
    json_decref(want_id);
    json_t *e = json_object_get(r, "error");
    assert_true(json_is_string(json_object_get(e, "message")));
    return (int)json_integer_value(json_object_get(e, "code"));
}

static int text_err(ctx *c, const char *text, json_t *want_id)
{
    json_t *r = send_text(c, text);
    int code = err_code(r, want_id);
    json_decref(r);
    return code;
}

static json_t *result_of(json_t *r, json_int_t id)
{
    assert_non_null(r);
    assert_null(json_object_get(r, "error"));
    assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
    json_t *res = json_object_get(r, "result");
    assert_non_null(res);
    return res;
}

static void initialize(ctx *c, const char *version)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
             "\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\","
             "\"version\":\"1\"}}}",
             version);
    json_t *r = send_text(c, msg);
    result_of(r, 0);
    json_decref(r);
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
}

/* A request with `params` (JSON text) and id 1: the reply. */
static json_t *request(ctx *c, const char *method, const char *params)
{
    char msg[4096];
    snprintf(msg, sizeof msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
             method, params);
    return send_text(c, msg);
}

static void malformed_json_is_parse_error(void **state)
{
    ctx *c = *state;
    assert_int_equal(text_err(c, "{\"jsonrpc\": \"2.0\", \"method\"", NULL), REEL_RPC_PARSE_ERROR);
    assert_int_equal(text_err(c, "", NULL), REEL_RPC_PARSE_ERROR);
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", NULL),
                     REEL_RPC_PARSE_ERROR);
    assert_int_equal(c->f.calls, 0);
}

static void invalid_requests(void **state)
{
    ctx *c = *state;
    assert_int_equal(text_err(c, "5", NULL), REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"foo\": \"boo\"}", NULL), REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"ping\"}",
                              json_integer(7)),
                     REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"id\":7,\"method\":\"ping\"}", json_integer(7)),
                     REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":1}",
                              json_string("a")),
                     REEL_RPC_INVALID_REQUEST);
    /* MCP ids are strings or integers, never null or fractional. */
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", NULL),
                     REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", NULL),
                     REEL_RPC_INVALID_REQUEST);
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", NULL),
                     REEL_RPC_INVALID_REQUEST);
    assert_int_equal(
        text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":\"x\"}",
                 json_integer(3)),
        REEL_RPC_INVALID_REQUEST);
    /* Neither a request nor a response. */
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":4}", json_integer(4)),
                     REEL_RPC_INVALID_REQUEST);
    /* Only initialize and ping before initialize. */
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}",
                              json_integer(5)),
                     REEL_RPC_INVALID_REQUEST);
    json_t *r = send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}");
    assert_string_equal(json_string_value(json_object_get(r, "id")), "p");
    assert_true(json_is_object(json_object_get(r, "result")));
    json_decref(r);
    assert_int_equal(c->f.calls, 0);
}

static void unknown_method(void **state)
{
    ctx *c = *state;
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"no/such\"}",
                              json_integer(9)),
                     REEL_RPC_METHOD_NOT_FOUND);
    initialize(c, "2025-11-25");
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"prompts/list\"}",
                              json_integer(9)),
                     REEL_RPC_METHOD_NOT_FOUND);
}

static void invalid_params(void **state)
{
    ctx *c = *state;
    /* initialize without a version, or without clientInfo */
    assert_int_equal(
        text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
                 json_integer(1)),
        REEL_RPC_INVALID_PARAMS);
    assert_int_equal(text_err(c,
                              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                              "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}",
                              json_integer(1)),
                     REEL_RPC_INVALID_PARAMS);
    assert_string_equal(c->s.version, "");
    initialize(c, "2025-11-25");
    assert_int_equal(text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}",
                              json_integer(1)),
                     REEL_RPC_INVALID_PARAMS);
    assert_int_equal(
        text_err(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":[1]}",
                 json_integer(1)),
        REEL_RPC_INVALID_PARAMS);
    json_t *r = request(c, "tools/call", "{\"name\":\"no_such_tool\"}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_INVALID_PARAMS);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"),
                                                             "message")),
                           "no_such_tool"));
    json_decref(r);
    r = request(c, "tools/call", "{\"name\":\"grab\",\"arguments\":[1]}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_INVALID_PARAMS);
    json_decref(r);
    r = request(c, "resources/read", "{}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_INVALID_PARAMS);
    json_decref(r);
    r = request(c, "tools/list", "{\"cursor\":\"abc\"}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_INVALID_PARAMS);
    json_decref(r);
    r = request(c, "resources/list", "{\"cursor\":\"-1\"}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_INVALID_PARAMS);
    json_decref(r);
    assert_int_equal(c->f.calls, 0);
}

static void notifications_get_no_answer(void **state)
{
    ctx *c = *state;
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
    assert_false(c->s.initialized); /* before initialize it means nothing */
    initialize(c, "2025-06-18");
    assert_true(c->s.initialized);
    /* Unknown, failing or tool-calling notifications: silence, and no op runs. */
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"no/such\"}"));
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":"
                             "{\"name\":\"grab\"}}"));
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                             "\"params\":{\"requestId\":3}}"));
    /* A response from the client needs no answer either. */
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}"));
    assert_null(send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":1,"
                             "\"message\":\"x\"}}"));
    assert_int_equal(c->f.calls, 0);
}

static void version_negotiation(void **state)
{
    ctx *c = *state;
    json_t *r = send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                             "{\"protocolVersion\":\"1999-01-01\",\"capabilities\":{},"
                             "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    json_t *res = result_of(r, 0);
    assert_string_equal(json_string_value(json_object_get(res, "protocolVersion")),
                        REEL_MCP_PROTOCOL_LATEST);
    json_t *caps = json_object_get(res, "capabilities");
    assert_non_null(json_object_get(caps, "tools"));
    assert_non_null(json_object_get(caps, "resources"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "serverInfo"), "name")), "reel");
    json_decref(r);
    assert_string_equal(c->s.version, REEL_MCP_PROTOCOL_LATEST);
    /* A second initialize in the same session is refused and changes nothing. */
    assert_int_equal(text_err(c,
                              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
                              "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"
                              "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                              json_integer(2)),
                     REEL_RPC_INVALID_REQUEST);
    assert_string_equal(c->s.version, REEL_MCP_PROTOCOL_LATEST);
    assert_true(reel_mcp_version_supported("2025-06-18"));
    assert_true(reel_mcp_version_supported("2025-03-26"));
    assert_false(reel_mcp_version_supported("2025-13-01"));
    assert_false(reel_mcp_version_supported(NULL));
}

static void batches(void **state)
{
    ctx *c = *state;
    /* Not in 2025-06-18 and later: one invalid-request error. */
    initialize(c, "2025-06-18");
    assert_int_equal(text_err(c, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", NULL),
                     REEL_RPC_INVALID_REQUEST);
    /* In 2025-03-26: each member answered, notifications not, in order. */
    memset(&c->s, 0, sizeof c->s);
    initialize(c, "2025-03-26");
    json_t *r = send_text(c, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
                             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},"
                             "5,"
                             "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"no/such\"},"
                             "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\","
                             "\"params\":{}}]");
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 4);
    result_of(json_array_get(r, 0), 1);
    assert_int_equal(err_code(json_array_get(r, 1), NULL), REEL_RPC_INVALID_REQUEST);
    assert_int_equal(err_code(json_array_get(r, 2), json_string("b")), REEL_RPC_METHOD_NOT_FOUND);
    assert_int_equal(err_code(json_array_get(r, 3), json_integer(3)), REEL_RPC_INVALID_REQUEST);
    json_decref(r);
    assert_int_equal(text_err(c, "[]", NULL), REEL_RPC_INVALID_REQUEST);
    assert_null(send_text(c, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]"));
}

static void tools_list_is_the_op_table(void **state)
{
    ctx *c = *state;
    initialize(c, "2025-11-25");
    json_t *r = request(c, "tools/list", "{}");
    json_t *tools = json_object_get(result_of(r, 1), "tools");
    const reel_op *op;
    size_t n = 0;
    for (size_t i = 0; (op = reel_service_op_at(i)); i++, n++) {
        json_t *t = json_array_get(tools, i);
        assert_string_equal(json_string_value(json_object_get(t, "name")), op->name);
        const char *desc = json_string_value(json_object_get(t, "description"));
        assert_non_null(desc);
        assert_memory_equal(desc, op->summary, strlen(op->summary));
        json_t *schema = json_loads(reel_op_schema(op), 0, NULL);
        assert_true(json_equal(schema, json_object_get(t, "inputSchema")));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(t, "inputSchema"), "type")),
            "object");
        json_decref(schema);
    }
    assert_int_equal(json_array_size(tools), n);
    assert_null(json_object_get(result_of(r, 1), "nextCursor"));
    json_decref(r);
}

static void tools_call_results(void **state)
{
    ctx *c = *state;
    initialize(c, "2025-11-25");
    c->f.answer = json_pack("{s:s, s:i}", "state", "recording", "head_frame", 480);
    json_t *r = request(c, "tools/call",
                        "{\"name\":\"stream_status\",\"arguments\":{\"stream\":\"stream://a/b\"}}");
    json_t *res = result_of(r, 1);
    assert_string_equal(c->f.last_op, "stream_status");
    assert_string_equal(json_string_value(json_object_get(c->f.last_args, "stream")),
                        "stream://a/b");
    assert_true(json_is_false(json_object_get(res, "isError")));
    assert_true(json_equal(json_object_get(res, "structuredContent"), c->f.answer));
    json_t *content = json_object_get(res, "content");
    assert_int_equal(json_array_size(content), 1);
    json_t *txt = json_object_get(json_array_get(content, 0), "text");
    json_t *parsed = json_loads(json_string_value(txt), 0, NULL);
    assert_true(json_equal(parsed, c->f.answer));
    json_decref(parsed);
    json_decref(r);
    /* An array result is wrapped: structured content is an object. */
    json_decref(c->f.answer);
    c->f.answer = json_pack("[i, i]", 1, 2);
    r = request(c, "tools/call", "{\"name\":\"artifact_list\"}");
    res = result_of(r, 1);
    assert_true(json_equal(json_object_get(json_object_get(res, "structuredContent"), "result"),
                           c->f.answer));
    assert_true(json_is_object(c->f.last_args)); /* no arguments: {} */
    assert_int_equal(json_object_size(c->f.last_args), 0);
    json_decref(r);
    /* An op's failure is a tool result the model reads, not a protocol error. */
    c->f.rc = REEL_EINVAL;
    snprintf(c->f.msg, sizeof c->f.msg, "grab: \"seconds\" must be a number, not a string");
    r = request(c, "tools/call", "{\"name\":\"grab\",\"arguments\":{\"seconds\":\"x\"}}");
    res = result_of(r, 1);
    assert_true(json_is_true(json_object_get(res, "isError")));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0),
                                          "text")),
        c->f.msg);
    json_t *e = json_object_get(json_object_get(res, "structuredContent"), "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "invalid_argument");
    assert_null(json_object_get(e, "reason")); /* none given: no field */
    json_decref(r);
    /* A failure with a sub-code carries it as "reason" next to "code". */
    snprintf(c->f.msg, sizeof c->f.msg, "slice: \"last\" must be longer than zero");
    snprintf(c->f.reason, sizeof c->f.reason, "slice.last_not_positive");
    r = request(c, "tools/call", "{\"name\":\"grab\",\"arguments\":{\"seconds\":0}}");
    e = json_object_get(json_object_get(result_of(r, 1), "structuredContent"), "error");
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "slice.last_not_positive");
    assert_string_equal(json_string_value(json_object_get(e, "message")), c->f.msg);
    json_decref(r);
    c->f.reason[0] = '\0';
}

/* Bytes that are not all alike, different per seed. */
static void pattern(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(i * (2 * seed + 1) + seed);
}

/* Write `n` bytes to dir/name; the doc an op would answer for it. */
static json_t *stored(ctx *c, const char *name, const void *bytes, size_t n, const char *mime,
                      double seconds)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    fclose(fp);
    reel_hash h;
    reel_hash_buf(bytes, n, &h);
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(&h, hs);
    return json_pack("{s:s, s:s, s:s, s:s, s:f}", "artifact", "art-0123", "path", path,
                     "content_hash", hs, "mime", mime, "duration_s", seconds);
}

static json_t *block_of(json_t *content, const char *type)
{
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b) if (strcmp(json_string_value(json_object_get(b, "type")),
                                                 type) == 0) return b;
    return NULL;
}

static json_t *grab_content(ctx *c, json_t **reply)
{
    *reply = request(c, "tools/call", "{\"name\":\"grab\",\"arguments\":{\"seconds\":1}}");
    json_t *res = result_of(*reply, 1);
    assert_true(json_is_false(json_object_get(res, "isError")));
    return json_object_get(res, "content");
}

/* A grab whose answer gets no audio block, only a note containing `why`. */
static void grab_without_audio(ctx *c, const char *why)
{
    json_t *r;
    json_t *content = grab_content(c, &r);
    assert_null(block_of(content, "audio"));
    const char *note = json_string_value(json_object_get(json_array_get(content, 2), "text"));
    assert_non_null(note);
    assert_non_null(strstr(note, why));
    json_decref(r);
}

static void grab_returns_audio(void **state)
{
    ctx *c = *state;
    initialize(c, "2025-11-25");
    unsigned char wav[3001];
    pattern(wav, sizeof wav, 3);
    c->f.answer = stored(c, "a.wav", wav, sizeof wav, "audio/wav", 1.0);
    json_t *r;
    json_t *content = grab_content(c, &r);
    json_t *audio = block_of(content, "audio");
    assert_non_null(audio);
    assert_string_equal(json_string_value(json_object_get(audio, "mimeType")), "audio/wav");
    const char *b64 = json_string_value(json_object_get(audio, "data"));
    unsigned char *dec;
    size_t n;
    assert_int_equal(reel_base64_decode(b64, strlen(b64), &dec, &n, NULL), 0);
    assert_int_equal(n, sizeof wav);
    assert_memory_equal(dec, wav, n);
    free(dec);
    json_t *link = block_of(content, "resource_link");
    assert_string_equal(json_string_value(json_object_get(link, "uri")),
                        "reel://artifact/art-0123");
    json_decref(r);

    /* Bytes that do not hash to the reported content are not sent. */
    json_object_set_new(c->f.answer, "content_hash",
                        json_string("blake3:"
                                    "00000000000000000000000000000000"
                                    "00000000000000000000000000000000"));
    grab_without_audio(c, "does not hash");

    /* Over the duration or the byte limit: no audio, a note saying why. */
    json_decref(c->f.answer);
    c->f.answer = stored(c, "b.wav", wav, sizeof wav, "audio/wav", 31.0);
    grab_without_audio(c, "longer than 30 s");
    json_decref(c->f.answer);
    c->f.answer = stored(c, "c.wav", wav, sizeof wav, "audio/wav", 1.0);
    c->m.max_inline_bytes = 3000;
    grab_without_audio(c, "3001 bytes");
    c->m.max_inline_bytes = 0;

    /* MIDI is not something to listen to. */
    json_decref(c->f.answer);
    c->f.answer = stored(c, "d.mid", wav, 100, "audio/midi", 1.0);
    content = grab_content(c, &r);
    assert_null(block_of(content, "audio"));
    assert_non_null(block_of(content, "resource_link"));
    json_decref(r);
}

/* Older revisions get only the blocks their schema has. */
static void results_follow_the_revision(void **state)
{
    ctx *c = *state;
    unsigned char wav[64];
    pattern(wav, sizeof wav, 1);
    c->f.answer = stored(c, "v.wav", wav, sizeof wav, "audio/wav", 0.1);
    static const struct {
        const char *version;
        bool audio, link, structured;
    } v[] = {
        {"2024-11-05", false, false, false},
        {"2025-03-26", true, false, false},
        {"2025-06-18", true, true, true},
        {"2025-11-25", true, true, true},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        memset(&c->s, 0, sizeof c->s);
        initialize(c, v[i].version);
        json_t *r;
        json_t *content = grab_content(c, &r);
        assert_non_null(block_of(content, "text"));
        assert_int_equal(block_of(content, "audio") != NULL, v[i].audio);
        assert_int_equal(block_of(content, "resource_link") != NULL, v[i].link);
        assert_int_equal(json_object_get(result_of(r, 1), "structuredContent") != NULL,
                         v[i].structured);
        json_decref(r);
    }
}

static void artifacts_as_resources(void **state)
{
    ctx *c = *state;
    initialize(c, "2025-11-25");
    unsigned char wav[500];
    pattern(wav, sizeof wav, 90);
    c->f.answer = stored(c, "r.wav", wav, sizeof wav, "audio/wav", 0.1);
    json_object_set_new(c->f.answer, "id", json_string("art-0123"));
    json_t *r = request(c, "resources/read", "{\"uri\":\"reel://artifact/art-0123\"}");
    assert_string_equal(c->f.last_op, "artifact_get");
    assert_string_equal(json_string_value(json_object_get(c->f.last_args, "id")), "art-0123");
    json_t *contents = json_object_get(result_of(r, 1), "contents");
    assert_int_equal(json_array_size(contents), 2);
    json_t *doc = json_array_get(contents, 0);
    assert_string_equal(json_string_value(json_object_get(doc, "mimeType")), "application/json");
    json_t *parsed = json_loads(json_string_value(json_object_get(doc, "text")), 0, NULL);
    assert_true(json_equal(parsed, c->f.answer));
    json_decref(parsed);
    json_t *blob = json_array_get(contents, 1);
    assert_string_equal(json_string_value(json_object_get(blob, "uri")),
                        "reel://artifact/art-0123/content");
    assert_string_equal(json_string_value(json_object_get(blob, "mimeType")), "audio/wav");
    const char *b64 = json_string_value(json_object_get(blob, "blob"));
    unsigned char *dec;
    size_t n;
    assert_int_equal(reel_base64_decode(b64, strlen(b64), &dec, &n, NULL), 0);
    assert_int_equal(n, sizeof wav);
    assert_memory_equal(dec, wav, n);
    free(dec);
    json_decref(r);
    r = request(c, "resources/read", "{\"uri\":\"reel://artifact/art-0123/content\"}");
    assert_int_equal(json_array_size(json_object_get(result_of(r, 1), "contents")), 1);
    json_decref(r);

    /* Not found: the op says so, or the URI names nothing reel has. */
    int calls = c->f.calls;
    const char *bad[] = {"{\"uri\":\"file:///etc/passwd\"}",
                         "{\"uri\":\"reel://artifact/../../etc/passwd\"}",
                         "{\"uri\":\"reel://artifact/art-0123/other\"}",
                         "{\"uri\":\"reel://artifact/\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = request(c, "resources/read", bad[i]);
        assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_RESOURCE_NOT_FOUND);
        assert_non_null(json_object_get(json_object_get(json_object_get(r, "error"), "data"),
                                        "uri"));
        json_decref(r);
    }
    assert_int_equal(c->f.calls, calls);
    c->f.rc = REEL_ENOENT;
    snprintf(c->f.msg, sizeof c->f.msg, "no artifact 'art-9'");
    r = request(c, "resources/read", "{\"uri\":\"reel://artifact/art-9\"}");
    assert_int_equal(err_code(r, json_integer(1)), REEL_RPC_RESOURCE_NOT_FOUND);
    json_decref(r);
    c->f.rc = 0;

    /* Paging through 250 artifacts: 100, 100, 50. */
    c->f.artifacts = json_array();
    for (int i = 0; i < 250; i++) {
        char id[32];
        snprintf(id, sizeof id, "art-%d", i);
        json_array_append_new(c->f.artifacts, json_pack("{s:s, s:s, s:s}", "id", id, "kind",
                                                        "slice", "mime", "audio/wav"));
    }
    const char *cursor = NULL;
    int seen = 0;
    char params[128];
    for (int page = 0; page < 3; page++) {
        snprintf(params, sizeof params, cursor ? "{\"cursor\":\"%s\"}" : "{}", cursor);
        r = request(c, "resources/list", params);
        json_t *res = result_of(r, 1);
        json_t *list = json_object_get(res, "resources");
        assert_int_equal(json_array_size(list), page < 2 ? 100 : 50);
        char want[300];
        snprintf(want, sizeof want, "reel://artifact/art-%d", seen);
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "uri")),
                            want);
        seen += (int)json_array_size(list);
        static char next[32];
        json_t *nc = json_object_get(res, "nextCursor");
        if (page < 2) {
            snprintf(next, sizeof next, "%s", json_string_value(nc));
            cursor = next;
        } else {
            assert_null(nc);
        }
        json_decref(r);
    }
    assert_int_equal(seen, 250);
    r = request(c, "resources/templates/list", "{}");
    json_t *t = json_object_get(result_of(r, 1), "resourceTemplates");
    assert_int_equal(json_array_size(t), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "uriTemplate")),
                        "reel://artifact/{id}");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(malformed_json_is_parse_error, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_params, setup, teardown),
        cmocka_unit_test_setup_teardown(notifications_get_no_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(version_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(batches, setup, teardown),
        cmocka_unit_test_setup_teardown(tools_list_is_the_op_table, setup, teardown),
        cmocka_unit_test_setup_teardown(tools_call_results, setup, teardown),
        cmocka_unit_test_setup_teardown(grab_returns_audio, setup, teardown),
        cmocka_unit_test_setup_teardown(results_follow_the_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(artifacts_as_resources, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
