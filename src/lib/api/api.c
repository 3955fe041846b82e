/*
 * api.c — the public C API (include/reel.h): a context over one store and
 * reel_call over every op of the service, routed like the CLI's calls
 * (api/route.h). The reel_audio_ functions over it are audio.c's.
 *
 * Owns: the context, the JSON text at the boundary (arguments in, result
 * or {"error": {"code", "message"}} out) and the strings handed to the
 * caller. Must never: let a caller's bad input (unknown op, malformed or
 * non-object JSON, NULL pointers) crash the process or reach an op
 * unchecked, or return a result the caller cannot free with reel_free.
 */
#include "reel.h"

#include "api/api_ctx.h"
#include "api/route.h"
#include "core/error.h"
#include "service/service.h"
#include "store/store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

const char *reel_version(void)
{
    return STR(REEL_VERSION_MAJOR) "." STR(REEL_VERSION_MINOR) "." STR(REEL_VERSION_PATCH);
}

/* The error JSON every surface answers with; NULL only without memory. */
char *reel_api_error_json(int code, const char *msg, const char *reason)
{
    if (!msg || !msg[0])
        msg = reel_strerror(code);
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", reel_error_code_name(code),
                          "message", msg);
    if (!j) {
        /* Not UTF-8 (a message quoting the caller's bytes, or cut inside a
         * character): the same line with every non-ASCII byte as '?'. */
        char ascii[REEL_ERROR_MSG_MAX];
        size_t i = 0;
        for (; msg[i] && i + 1 < sizeof ascii; i++)
            ascii[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
        ascii[i] = '\0';
        j = json_pack("{s:{s:s, s:s}}", "error", "code", reel_error_code_name(code), "message",
                      ascii);
    }
    if (j && reason && reason[0]) /* reel_error's stable sub-code */
        json_object_set_new(json_object_get(j, "error"), "reason", json_string(reason));
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int fail_out(char **out, const reel_error *e)
{
    if (out)
        *out = reel_api_error_json(e->code, e->msg, e->reason);
    return e->code;
}

/* libcurl's global state, once, before any thread of ours uses it (the
 * remote route), so reel_call is thread-safe whatever libcurl's build. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int reel_open(reel_ctx **out, const char *store_root, unsigned flags, char **error)
{
    reel_error e;
    reel_error_clear(&e);
    if (error)
        *error = NULL;
    if (!out) {
        reel_error_set(&e, REEL_EINVAL, "reel_open: out is NULL");
        return fail_out(error, &e);
    }
    *out = NULL;
    if (flags & ~(unsigned)REEL_OPEN_CREATE) {
        reel_error_set(&e, REEL_EINVAL, "reel_open: unknown flags 0x%x",
                       flags & ~(unsigned)REEL_OPEN_CREATE);
        return fail_out(error, &e);
    }
    pthread_once(&curl_once, curl_init_once);
    reel_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        reel_error_set(&e, REEL_ENOMEM, "out of memory");
        return fail_out(error, &e);
    }
    int rc = 0;
    if (store_root && store_root[0]) {
        if (strlen(store_root) >= sizeof c->root)
            rc = reel_error_set(&e, REEL_EINVAL, "store path too long (%zu bytes)",
                                strlen(store_root));
        else
            snprintf(c->root, sizeof c->root, "%s", store_root);
    } else {
        rc = reel_store_default_root(c->root, sizeof c->root, &e);
    }
    if (rc == 0 && (flags & REEL_OPEN_CREATE)) {
        reel_store *st;
        if ((rc = reel_store_open(&st, c->root, true, &e)) == 0)
            reel_store_close(st);
    }
    if (rc == 0)
        rc = reel_service_open(&c->svc, c->root, &e);
    if (rc) {
        free(c);
        return fail_out(error, &e);
    }
    pthread_mutex_init(&c->audio_mu, NULL);
    *out = c;
    return REEL_OK;
}

int reel_call(reel_ctx *ctx, const char *op, const char *json_args, char **json_result)
{
    reel_error e;
    reel_error_clear(&e);
    if (!json_result)
        return REEL_EINVAL; /* nowhere to say more */
    *json_result = NULL;
    if (!ctx || !op) {
        reel_error_set(&e, REEL_EINVAL, "reel_call: %s is NULL", ctx ? "op" : "ctx");
        return fail_out(json_result, &e);
    }
    json_t *args = NULL;
    if (json_args && json_args[strspn(json_args, " \t\r\n")]) {
        json_error_t je;
        args = json_loads(json_args, JSON_REJECT_DUPLICATES, &je);
        if (!args) {
            reel_error_set(&e, REEL_EINVAL, "arguments: malformed JSON at line %d column %d: %s",
                           je.line, je.column, je.text);
            return fail_out(json_result, &e);
        }
        if (!json_is_object(args)) {
            json_decref(args);
            reel_error_set(&e, REEL_EINVAL, "arguments: a JSON object is expected");
            return fail_out(json_result, &e);
        }
    }
    json_t *res = NULL;
    int rc = reel_route_call(ctx->svc, ctx->root, op, args, "api", &res, &e);
    json_decref(args);
    if (rc) {
        json_decref(res);
        if (!e.code)
            e.code = rc;
        return fail_out(json_result, &e);
    }
    *json_result = json_dumps(res ? res : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(res);
    if (!*json_result) {
        reel_error_set(&e, REEL_ENOMEM, "out of memory");
        return fail_out(json_result, &e);
    }
    return REEL_OK;
}

int reel_ops(char **json_result)
{
    reel_error e;
    reel_error_clear(&e);
    if (!json_result)
        return REEL_EINVAL;
    json_t *arr = json_array();
    const reel_op *op;
    for (size_t i = 0; arr && (op = reel_service_op_at(i)); i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o*}", "name", op->name, "summary",
                                             op->summary, "input_schema",
                                             json_loads(reel_op_schema(op), 0, NULL)));
    *json_result = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!*json_result) {
        reel_error_set(&e, REEL_ENOMEM, "out of memory");
        return fail_out(json_result, &e);
    }
    return REEL_OK;
}

void reel_free(char *s)
{
    free(s); /* jansson's json_dumps and ours both allocate with malloc */
}

void reel_close(reel_ctx *ctx)
{
    if (!ctx)
        return;
    reel_service_close(ctx->svc);
    pthread_mutex_destroy(&ctx->audio_mu);
    free(ctx);
}
