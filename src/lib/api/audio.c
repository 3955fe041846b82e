/*
 * audio.c — the engine functions of include/reel.h (reel_audio_*, DESIGN.md
 * section 13, seed 004 section 5.2): each is a thin wrapper that builds the
 * arguments of one existing op (tempo_set, transport_play, import,
 * clip_add, graph_set...) and runs it through reel_call, so it is routed,
 * validated against the op's schema and answered exactly as every other
 * surface's call of that op.
 *
 * Owns: a context's audio binding (the project reel_audio_init bound) and
 * its last error line, both under the context's audio_mu; the JSON built
 * for the op and the strings handed to the caller. Must never: run an op
 * any other way than reel_call, change anything when the caller's JSON is
 * malformed, or hold audio_mu across an op (ops block; a binding is copied
 * out first).
 */
#include "reel.h"

#include "api/api_ctx.h"
#include "core/error.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The line reel_audio_get_last_error hands one thread (a copy of the
 * context's, so another thread's failure cannot change it under the
 * reader). */
static _Thread_local char last_error_copy[REEL_ERROR_MSG_MAX];

static void set_last_error(reel_ctx *ctx, const char *fn, const char *msg)
{
    pthread_mutex_lock(&ctx->audio_mu);
    snprintf(ctx->audio_error, sizeof ctx->audio_error, "%s: %s", fn, msg);
    pthread_mutex_unlock(&ctx->audio_mu);
}

/* A failure found here, before any op ran: the last error, and the error
 * JSON in *json_result when the caller asked for a result. */
static int fail(reel_ctx *ctx, char **json_result, const char *fn, int code, const char *fmt,
                ...)
{
    char msg[REEL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx)
        set_last_error(ctx, fn, msg);
    if (json_result) {
        char line[REEL_ERROR_MSG_MAX];
        snprintf(line, sizeof line, "%s: %s", fn, msg);
        *json_result = reel_api_error_json(code, line, NULL);
    }
    return code;
}

/* The caller's JSON text as an object (NULL or blank text: an empty
 * object when `optional`). */
static int parse_object(reel_ctx *ctx, char **json_result, const char *fn, const char *what,
                        const char *text, bool optional, json_t **out)
{
    *out = NULL;
    if (!text || !text[strspn(text, " \t\r\n")]) {
        if (!optional)
            return fail(ctx, json_result, fn, REEL_EINVAL, "%s is missing (a JSON object)", what);
        *out = json_object();
        return *out ? REEL_OK : fail(ctx, json_result, fn, REEL_ENOMEM, "out of memory");
    }
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j)
        return fail(ctx, json_result, fn, REEL_EINVAL, "%s: malformed JSON at line %d column %d: %s",
                    what, je.line, je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return fail(ctx, json_result, fn, REEL_EINVAL, "%s: a JSON object is expected", what);
    }
    *out = j;
    return REEL_OK;
}

/* The bound project, copied out (REEL_ESTATE when there is none). */
static int bound_project(reel_ctx *ctx, char **json_result, const char *fn,
                         char id[REEL_AUDIO_PROJECT_MAX])
{
    pthread_mutex_lock(&ctx->audio_mu);
    snprintf(id, REEL_AUDIO_PROJECT_MAX, "%s", ctx->audio_project);
    pthread_mutex_unlock(&ctx->audio_mu);
    if (!id[0])
        return fail(ctx, json_result, fn, REEL_ESTATE,
                    "no project is bound to this context: call reel_audio_init first");
    return REEL_OK;
}

/* Run `op` with `args` (consumed) through reel_call. On success *res (when
 * not NULL) is the parsed result and *json_result (when not NULL and
 * `text_on_success`) its text;
 * on failure the op's error line becomes the last error and *json_result
 * the op's error JSON. */
static int run_op_(reel_ctx *ctx, char **json_result, bool text_on_success, const char *fn,
                   const char *op, json_t *args, json_t **res)
{
    if (res)
        *res = NULL;
    char *text = args ? json_dumps(args, JSON_COMPACT) : NULL;
    json_decref(args);
    if (!text)
        return fail(ctx, json_result, fn, REEL_ENOMEM, "out of memory");
    char *out = NULL;
    int rc = reel_call(ctx, op, text, &out);
    free(text);
    if (!out)
        return fail(ctx, json_result, fn, rc ? rc : REEL_ENOMEM, "out of memory");
    if (rc) {
        json_t *ej = json_loads(out, 0, NULL);
        const char *m =
            json_string_value(json_object_get(json_object_get(ej, "error"), "message"));
        set_last_error(ctx, fn, m ? m : reel_strerror(rc));
        json_decref(ej);
    } else if (res && !(*res = json_loads(out, JSON_DECODE_ANY, NULL))) {
        reel_free(out);
        return fail(ctx, json_result, fn, REEL_ENOMEM, "out of memory");
    }
    if (json_result && (rc || text_on_success))
        *json_result = out;
    else
        reel_free(out);
    return rc;
}

/* run_op_ whose success answers the caller with the op's result text. */
static int run_op(reel_ctx *ctx, char **json_result, const char *fn, const char *op, json_t *args,
                  json_t **res)
{
    return run_op_(ctx, json_result, true, fn, op, args, res);
}

/* run_op_ of a step (its result is only in *res; an error goes to the
 * caller as run_op's does). */
static int run_step(reel_ctx *ctx, char **json_result, const char *fn, const char *op,
                    json_t *args, json_t **res)
{
    return run_op_(ctx, json_result, false, fn, op, args, res);
}

/* The bound project's op: `args` (consumed) gets "project" (the caller
 * may name the bound project, no other). */
static int run_project_op_(reel_ctx *ctx, char **json_result, bool text_on_success,
                           const char *fn, const char *op, json_t *args, json_t **res)
{
    char id[REEL_AUDIO_PROJECT_MAX];
    int rc = bound_project(ctx, json_result, fn, id);
    if (rc) {
        json_decref(args);
        return rc;
    }
    json_t *given = json_object_get(args, "project");
    if (given && (!json_is_string(given) || strcmp(json_string_value(given), id) != 0)) {
        json_decref(args);
        return fail(ctx, json_result, fn, REEL_EINVAL,
                    "\"project\" names another project than the bound one (%s)", id);
    }
    if (json_object_set_new(args, "project", json_string(id))) {
        json_decref(args);
        return fail(ctx, json_result, fn, REEL_ENOMEM, "out of memory");
    }
    return run_op_(ctx, json_result, text_on_success, fn, op, args, res);
}

static int run_project_op(reel_ctx *ctx, char **json_result, const char *fn, const char *op,
                          json_t *args, json_t **res)
{
    return run_project_op_(ctx, json_result, true, fn, op, args, res);
}

#define CHECK_CTX(fn)                                                                              \
    do {                                                                                           \
        if (json_result)                                                                           \
            *json_result = NULL;                                                                   \
        if (!ctx)                                                                                  \
            return fail(NULL, json_result, fn, REEL_EINVAL, "ctx is NULL");                        \
    } while (0)

int reel_audio_init(reel_ctx *ctx, const char *project_json, char **json_result)
{
    static const char fn[] = "reel_audio_init";
    CHECK_CTX(fn);
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the project", project_json, false, &a);
    if (rc)
        return rc;
    json_t *pj = json_object_get(a, "project");
    json_t *res = NULL;
    bool created = false;
    if (pj) { /* bind an existing project */
        if (json_object_size(a) != 1 || !json_is_string(pj)) {
            json_decref(a);
            return fail(ctx, json_result, fn, REEL_EINVAL,
                        "{\"project\": ID} binds an existing project and takes nothing else; "
                        "{\"name\", \"rate\", \"seed\"} creates one");
        }
        rc = run_step(ctx, json_result, fn, "project_get", json_pack("{s:O}", "project", pj),
                      &res);
    } else { /* create one: project_create's own arguments */
        rc = run_step(ctx, json_result, fn, "project_create", json_incref(a), &res);
        created = true;
    }
    json_decref(a);
    if (rc)
        return rc;
    const char *id = json_string_value(json_object_get(res, "project"));
    const char *version = json_string_value(json_object_get(res, "version"));
    if (!id || strlen(id) >= REEL_AUDIO_PROJECT_MAX) {
        json_decref(res);
        return fail(ctx, json_result, fn, REEL_ECORRUPT, "the project op answered no project id");
    }
    pthread_mutex_lock(&ctx->audio_mu);
    snprintf(ctx->audio_project, sizeof ctx->audio_project, "%s", id);
    pthread_mutex_unlock(&ctx->audio_mu);
    if (json_result) {
        json_t *o = json_pack("{s:s, s:s?, s:s?, s:b}", "project", id, "name",
                              json_string_value(json_object_get(res, "name")), "head", version,
                              "created", created);
        *json_result = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    json_decref(res);
    return REEL_OK;
}

int reel_audio_shutdown(reel_ctx *ctx)
{
    static const char fn[] = "reel_audio_shutdown";
    if (!ctx)
        return REEL_EINVAL;
    char id[REEL_AUDIO_PROJECT_MAX];
    pthread_mutex_lock(&ctx->audio_mu);
    snprintf(id, sizeof id, "%s", ctx->audio_project);
    pthread_mutex_unlock(&ctx->audio_mu);
    if (!id[0])
        return REEL_OK; /* nothing bound: nothing to do */
    json_t *st = NULL;
    int rc = run_step(ctx, NULL, fn, "transport_state", json_object(), &st);
    bool ours = rc == REEL_OK && json_is_true(json_object_get(st, "playing")) &&
                strcmp(json_string_value(json_object_get(st, "project")) ?: "", id) == 0;
    json_decref(st);
    rc = ours ? run_step(ctx, NULL, fn, "transport_stop", json_object(), NULL) : REEL_OK;
    if (rc == REEL_OK) {
        pthread_mutex_lock(&ctx->audio_mu);
        if (strcmp(ctx->audio_project, id) == 0)
            ctx->audio_project[0] = '\0';
        pthread_mutex_unlock(&ctx->audio_mu);
    }
    return rc;
}

int reel_audio_set_tempo(reel_ctx *ctx, double bpm, char **json_result)
{
    static const char fn[] = "reel_audio_set_tempo";
    CHECK_CTX(fn);
    if (!isfinite(bpm) || bpm <= 0)
        return fail(ctx, json_result, fn, REEL_EINVAL, "bpm must be a positive number, not %g",
                    bpm);
    /* One segment from beat 0, keeping the meter of the head's first segment. */
    json_t *doc = NULL;
    int rc = run_project_op_(ctx, json_result, false, fn, "project_get", json_object(), &doc);
    if (rc)
        return rc;
    json_t *first = json_array_get(json_object_get(json_object_get(doc, "document"), "tempo"), 0);
    json_int_t num = json_integer_value(json_object_get(first, "num"));
    json_int_t den = json_integer_value(json_object_get(first, "den"));
    json_decref(doc);
    json_t *a = json_pack("{s:[{s:i, s:f, s:I, s:I}]}", "tempo", "beat", 0, "bpm", bpm, "num",
                          num > 0 ? num : 4, "den", den > 0 ? den : 4);
    return run_project_op(ctx, json_result, fn, "tempo_set", a, NULL);
}

int reel_audio_set_tempo_segments(reel_ctx *ctx, const char *segments_json, char **json_result)
{
    static const char fn[] = "reel_audio_set_tempo_segments";
    CHECK_CTX(fn);
    if (!segments_json)
        return fail(ctx, json_result, fn, REEL_EINVAL, "segments_json is NULL");
    json_error_t je;
    json_t *seg = json_loads(segments_json, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!seg)
        return fail(ctx, json_result, fn, REEL_EINVAL,
                    "the segments: malformed JSON at line %d column %d: %s", je.line, je.column,
                    je.text);
    if (!json_is_array(seg)) {
        json_decref(seg);
        return fail(ctx, json_result, fn, REEL_EINVAL,
                    "the segments: a JSON array of {\"beat\", \"bpm\", \"num\", \"den\"} is "
                    "expected");
    }
    return run_project_op(ctx, json_result, fn, "tempo_set", json_pack("{s:o}", "tempo", seg),
                          NULL);
}

int reel_audio_play(reel_ctx *ctx, const char *options_json, char **json_result)
{
    static const char fn[] = "reel_audio_play";
    CHECK_CTX(fn);
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the options", options_json, true, &a);
    return rc ? rc : run_project_op(ctx, json_result, fn, "transport_play", a, NULL);
}

int reel_audio_stop(reel_ctx *ctx, char **json_result)
{
    static const char fn[] = "reel_audio_stop";
    CHECK_CTX(fn);
    char id[REEL_AUDIO_PROJECT_MAX];
    int rc = bound_project(ctx, json_result, fn, id);
    return rc ? rc : run_op(ctx, json_result, fn, "transport_stop", json_object(), NULL);
}

int reel_audio_seek(reel_ctx *ctx, double position, char **json_result)
{
    static const char fn[] = "reel_audio_seek";
    CHECK_CTX(fn);
    if (!isfinite(position) || position < 0)
        return fail(ctx, json_result, fn, REEL_EINVAL,
                    "the position must be a number >= 0, not %g", position);
    char id[REEL_AUDIO_PROJECT_MAX];
    int rc = bound_project(ctx, json_result, fn, id);
    return rc ? rc
              : run_op(ctx, json_result, fn, "transport_seek", json_pack("{s:f}", "to", position),
                       NULL);
}

int reel_audio_load_file(reel_ctx *ctx, const char *path, char **json_result)
{
    static const char fn[] = "reel_audio_load_file";
    CHECK_CTX(fn);
    if (!path || !path[0])
        return fail(ctx, json_result, fn, REEL_EINVAL, "path is %s", path ? "empty" : "NULL");
    /* Absolute, as the CLI makes it: the op may run in a `reel serve`
     * elsewhere in the filesystem. */
    char abs[PATH_MAX];
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) ||
            (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= sizeof abs)
            return fail(ctx, json_result, fn, REEL_EINVAL, "cannot make '%.200s' absolute", path);
        path = abs;
    }
    return run_op(ctx, json_result, fn, "import", json_pack("{s:s}", "path", path), NULL);
}

/* clip_add of `clip_json` (kind forced to `kind` when not NULL). */
static int add_clip(reel_ctx *ctx, const char *fn, const char *clip_json, const char *kind,
                    char **json_result)
{
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the clip", clip_json, false, &a);
    if (rc)
        return rc;
    if (kind) {
        json_t *k = json_object_get(a, "kind");
        if (k && !(json_is_string(k) && strcmp(json_string_value(k), kind) == 0)) {
            json_decref(a);
            return fail(ctx, json_result, fn, REEL_EINVAL, "the clip's \"kind\" must be \"%s\"",
                        kind);
        }
        json_object_set_new(a, "kind", json_string(kind));
    }
    return run_project_op(ctx, json_result, fn, "clip_add", a, NULL);
}

int reel_audio_add_clip(reel_ctx *ctx, const char *clip_json, char **json_result)
{
    CHECK_CTX("reel_audio_add_clip");
    return add_clip(ctx, "reel_audio_add_clip", clip_json, NULL, json_result);
}

int reel_audio_load_action_clip(reel_ctx *ctx, const char *clip_json, char **json_result)
{
    CHECK_CTX("reel_audio_load_action_clip");
    return add_clip(ctx, "reel_audio_load_action_clip", clip_json, "action", json_result);
}

int reel_audio_remove_clip(reel_ctx *ctx, const char *clip_id, char **json_result)
{
    static const char fn[] = "reel_audio_remove_clip";
    CHECK_CTX(fn);
    if (!clip_id || !clip_id[0])
        return fail(ctx, json_result, fn, REEL_EINVAL, "clip_id is %s",
                    clip_id ? "empty" : "NULL");
    return run_project_op(ctx, json_result, fn, "clip_remove",
                          json_pack("{s:s}", "clip", clip_id), NULL);
}

int reel_audio_update_clip(reel_ctx *ctx, const char *clip_id, const char *changes_json,
                           char **json_result)
{
    static const char fn[] = "reel_audio_update_clip";
    CHECK_CTX(fn);
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the changes", changes_json, false, &a);
    if (rc)
        return rc;
    if (clip_id) {
        json_t *c = json_object_get(a, "clip");
        if (c && !(json_is_string(c) && strcmp(json_string_value(c), clip_id) == 0)) {
            json_decref(a);
            return fail(ctx, json_result, fn, REEL_EINVAL,
                        "the changes' \"clip\" is not clip_id (%.64s)", clip_id);
        }
        json_object_set_new(a, "clip", json_string(clip_id));
    }
    return run_project_op(ctx, json_result, fn, "clip_update", a, NULL);
}

static int set_graph(reel_ctx *ctx, const char *fn, const char *graph_json, char **json_result)
{
    json_t *g;
    int rc = parse_object(ctx, json_result, fn, "the graph", graph_json, false, &g);
    return rc ? rc
              : run_project_op(ctx, json_result, fn, "graph_set", json_pack("{s:o}", "graph", g),
                               NULL);
}

int reel_audio_set_routing_graph(reel_ctx *ctx, const char *graph_json, char **json_result)
{
    CHECK_CTX("reel_audio_set_routing_graph");
    return set_graph(ctx, "reel_audio_set_routing_graph", graph_json, json_result);
}

int reel_audio_update_routing(reel_ctx *ctx, const char *graph_json, char **json_result)
{
    static const char fn[] = "reel_audio_update_routing";
    CHECK_CTX(fn);
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the update", graph_json, false, &a);
    if (rc)
        return rc;
    /* {"node", "param", "value"}: a parameter of the graph playing, in place */
    if (json_object_get(a, "node") && json_object_get(a, "param"))
        return run_op(ctx, json_result, fn, "node_param_set", a, NULL);
    json_decref(a);
    return set_graph(ctx, fn, graph_json, json_result);
}

int reel_audio_start_record(reel_ctx *ctx, const char *record_json, char **json_result)
{
    static const char fn[] = "reel_audio_start_record";
    CHECK_CTX(fn);
    json_t *a;
    int rc = parse_object(ctx, json_result, fn, "the take", record_json, false, &a);
    return rc ? rc : run_project_op(ctx, json_result, fn, "track_record_start", a, NULL);
}

int reel_audio_stop_record(reel_ctx *ctx, const char *record_id, char **json_result)
{
    static const char fn[] = "reel_audio_stop_record";
    (void)record_id; /* one take at a time: the one recording */
    CHECK_CTX(fn);
    return run_op(ctx, json_result, fn, "track_record_stop", json_object(), NULL);
}

int reel_audio_schedule_action(reel_ctx *ctx, const char *action_json, char **json_result)
{
    (void)action_json;
    CHECK_CTX("reel_audio_schedule_action");
    return fail(ctx, json_result, "reel_audio_schedule_action", REEL_ESTATE,
                "scheduling an action is not supported yet (no engine op; "
                "reel_audio_load_action_clip places an action clip on a track)");
}

int reel_audio_get_state_json(reel_ctx *ctx, char **json_result)
{
    static const char fn[] = "reel_audio_get_state_json";
    if (!json_result)
        return ctx ? fail(ctx, NULL, fn, REEL_EINVAL, "json_result is NULL") : REEL_EINVAL;
    CHECK_CTX(fn);
    json_t *proj = NULL, *tr = NULL;
    int rc = run_project_op_(ctx, json_result, false, fn, "project_get", json_object(), &proj);
    if (rc)
        return rc;
    if ((rc = run_step(ctx, json_result, fn, "transport_state", json_object(), &tr))) {
        json_decref(proj);
        return rc;
    }
    json_t *o = json_pack("{s:O, s:O, s:O, s:O}", "project", json_object_get(proj, "project"),
                          "name", json_object_get(proj, "name"), "head",
                          json_object_get(proj, "version"), "transport", tr);
    json_decref(proj);
    json_decref(tr);
    *json_result = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!*json_result)
        return fail(ctx, json_result, fn, REEL_ENOMEM, "out of memory");
    return REEL_OK;
}

const char *reel_audio_get_last_error(reel_ctx *ctx)
{
    if (!ctx)
        return "reel_audio_get_last_error: ctx is NULL";
    pthread_mutex_lock(&ctx->audio_mu);
    snprintf(last_error_copy, sizeof last_error_copy, "%s", ctx->audio_error);
    pthread_mutex_unlock(&ctx->audio_mu);
    return last_error_copy;
}
