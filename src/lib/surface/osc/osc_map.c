/*
 * osc_map.c — OSC messages to op calls, packets to messages (see
 * osc_map.h). Every message is checked against a small table of expected
 * argument kinds before any JSON is built, so a wrong type or count gets
 * one error naming the argument and the op never runs.
 */
#include "surface/osc/osc_map.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define BUNDLE_DEPTH_MAX 4

/* Argument kinds: S a string (or symbol), N a number (i, h, f, d). */
typedef struct route {
    const char *path;
    const char *op;
    const char *kinds;   /* one letter per optional argument, in order */
    const char *names[4]; /* their JSON names */
    const char *what[4];  /* for messages */
} route;

static const route routes[] = {
    {"/record/start", "record_start", "S", {"filename"}, {"file name"}},
    {"/record/stop", "record_stop", "", {0}, {0}},
    {"/record/status", "record_status", "", {0}, {0}},
    {"/reel/grab", "grab", "NS", {"seconds", "stream"}, {"seconds", "stream URI"}},
    {"/reel/session/create", "session_create", "S", {"mode"}, {"mode"}},
    {"/reel/session/play", "session_play", "S", {"id"}, {"session id"}},
    {"/reel/session/stop", "session_stop", "S", {"id"}, {"session id"}},
    {"/reel/marker", "marker", "SS", {"name", "stream"}, {"marker name", "stream URI"}},
    {"/reel/scene/recall", "scene_recall", "SSSN", {"project", "scene", "mode", "time"},
     {"project id", "scene id", "mode", "seconds"}},
    {"/reel/scene/push", "scene_push", "SS", {"project", "scene"}, {"project id", "scene id"}},
    {"/reel/scene/pop", "scene_pop", "", {0}, {0}},
};

static bool is_string(char t)
{
    return t == LO_STRING || t == LO_SYMBOL;
}

static bool is_number(char t)
{
    return t == LO_INT32 || t == LO_INT64 || t == LO_FLOAT || t == LO_DOUBLE;
}

/* liblo's argument pointers point into the message, 4-byte aligned only,
 * so values are copied out rather than read through the (8-byte) union. */
static double number_of(char t, const void *a)
{
    int32_t i;
    int64_t h;
    float f;
    double d;
    switch (t) {
    case LO_INT32: memcpy(&i, a, sizeof i); return i;
    case LO_INT64: memcpy(&h, a, sizeof h); return (double)h;
    case LO_FLOAT: memcpy(&f, a, sizeof f); return f;
    default: memcpy(&d, a, sizeof d); return d;
    }
}

/* A message of a value and an optional touch (1 held, 0 released) -> op
 * {key: name, value, touch}. */
static int value_touch_call(const char *path, const char *types, lo_arg **argv, int argc,
                            const char *op, const char *key, const char *name,
                            reel_osc_call *out, reel_error *err)
{
    if (argc < 1 || argc > 2 || (size_t)argc != strlen(types ? types : ""))
        return reel_error_set(err, REEL_EINVAL, "%.100s takes a value and an optional touch "
                              "(1 held, 0 released), got %d arguments", path, argc);
    double v[2];
    for (int i = 0; i < argc; i++) {
        v[i] = is_number(types[i]) ? number_of(types[i], argv[i]) : NAN;
        if (!isfinite(v[i]))
            return reel_error_set(err, REEL_EINVAL, "%.100s: argument %d (%s) must be a finite "
                                  "number", path, i + 1, i ? "touch" : "value");
    }
    json_t *nj = json_string(name);
    if (!nj)
        return reel_error_set(err, REEL_EINVAL, "OSC address %.100s is not UTF-8", path);
    out->args = json_pack("{s:o, s:f}", key, nj, "value", v[0]);
    if (!out->args)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (argc == 2)
        json_object_set_new(out->args, "touch", json_boolean(v[1] != 0));
    snprintf(out->op, sizeof out->op, "%s", op);
    return REEL_OK;
}

#define PARAM_PREFIX "/reel/param/"

int reel_osc_param_target(const char *path, char *target, size_t n, reel_error *err)
{
    if (strncmp(path, PARAM_PREFIX, strlen(PARAM_PREFIX)) != 0)
        return reel_error_set(err, REEL_ENOENT, "OSC address %.100s is not under "
                              PARAM_PREFIX, path);
    const char *rest = path + strlen(PARAM_PREFIX);
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || !slash[1])
        return reel_error_set(err, REEL_ENOENT, "OSC address %.100s: want "
                              PARAM_PREFIX "<node>/<param> or " PARAM_PREFIX "clip/<id>/gain",
                              path);
    if (strncmp(rest, "clip/", 5) == 0) {
        const char *id = rest + 5, *g = strchr(id, '/');
        if (!g || g == id || strcmp(g, "/gain") != 0)
            return reel_error_set(err, REEL_ENOENT, "OSC address %.100s: a clip's address is "
                                  PARAM_PREFIX "clip/<id>/gain", path);
        snprintf(target, n, "clip:%.*s:gain", (int)(g - id), id);
    } else {
        if (strchr(slash + 1, '/'))
            return reel_error_set(err, REEL_ENOENT, "OSC address %.100s: want "
                                  PARAM_PREFIX "<node>/<param>", path);
        snprintf(target, n, "%.*s:%s", (int)(slash - rest), rest, slash + 1);
    }
    return REEL_OK;
}

/* /reel/param/<node>/<param> value [touch] and /reel/param/clip/<id>/gain
 * value [touch] -> automation_schedule {target, value, touch}: every
 * parameter of the graph playing has an address (OSCQuery publishes them). */
static int map_param(const char *path, const char *types, lo_arg **argv, int argc,
                     reel_osc_call *out, reel_error *err)
{
    char target[208];
    int rc = reel_osc_param_target(path, target, sizeof target, err);
    if (rc)
        return rc;
    return value_touch_call(path, types, argv, argc, "automation_schedule", "target", target,
                            out, err);
}

/* Any other address is a controller's, for the mappings: value [touch] ->
 * mapping_input {osc, value, touch} (the server adds reply_to). */
static int map_controller(const char *path, const char *types, lo_arg **argv, int argc,
                          reel_osc_call *out, reel_error *err)
{
    return value_touch_call(path, types, argv, argc, "mapping_input", "osc", path, out, err);
}

int reel_osc_map(const char *path, const char *types, lo_arg **argv, int argc,
                 const char *last_session, reel_osc_call *out, reel_error *err)
{
    out->op[0] = '\0';
    out->args = NULL;
    if (strncmp(path, PARAM_PREFIX, strlen(PARAM_PREFIX)) == 0)
        return map_param(path, types, argv, argc, out, err);
    const route *r = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(path, routes[i].path) == 0)
            r = &routes[i];
    if (!r && argc >= 1 && strncmp(path, "/reel/", 6) != 0 && strncmp(path, "/record/", 8) != 0)
        return map_controller(path, types, argv, argc, out, err);
    if (!r)
        return reel_error_set(err, REEL_ENOENT,
                              "unknown OSC address '%.100s' (try /record/start, /record/stop, "
                              "/record/status, /reel/grab, /reel/session/create|play|stop, "
                              "/reel/marker, /reel/param/<node>/<param>, "
                              "/reel/scene/recall|push|pop, or a mapped controller's address "
                              "with a value)", path);
    int max = (int)strlen(r->kinds);
    if (argc < 0 || (size_t)argc != strlen(types ? types : ""))
        return reel_error_set(err, REEL_EINVAL, "%s: malformed argument list", path);
    if (argc > max) {
        if (max == 0)
            return reel_error_set(err, REEL_EINVAL, "%s takes no arguments, got %d", path, argc);
        return reel_error_set(err, REEL_EINVAL, "%s takes at most %d argument%s, got %d", path,
                              max, max == 1 ? "" : "s", argc);
    }
    json_t *args = json_object();
    if (!args)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (int i = 0; i < argc; i++) {
        char t = types[i];
        const void *a = argv[i];
        if (r->kinds[i] == 'S') {
            if (!is_string(t)) {
                json_decref(args);
                return reel_error_set(err, REEL_EINVAL,
                                      "%s: argument %d (%s) must be a string, got type '%c'",
                                      path, i + 1, r->what[i], t);
            }
            json_t *s = json_string((const char *)a);
            if (!s) {
                json_decref(args);
                return reel_error_set(err, REEL_EINVAL, "%s: argument %d (%s) is not UTF-8",
                                      path, i + 1, r->what[i]);
            }
            json_object_set_new(args, r->names[i], s);
        } else {
            double v = is_number(t) ? number_of(t, a) : NAN;
            if (!is_number(t) || !isfinite(v)) {
                json_decref(args);
                return reel_error_set(err, REEL_EINVAL,
                                      "%s: argument %d (%s) must be a finite number, got %s",
                                      path, i + 1, r->what[i],
                                      is_number(t) ? "a non-finite value" : "another type");
            }
            json_object_set_new(args, r->names[i], json_real(v));
        }
    }
    /* play/stop without an id mean the session this client made last. */
    if ((strcmp(r->op, "session_play") == 0 || strcmp(r->op, "session_stop") == 0) &&
        !json_object_get(args, "id")) {
        if (!last_session || !last_session[0]) {
            json_decref(args);
            return reel_error_set(err, REEL_EINVAL,
                                  "%s needs a session id (none was created over OSC yet)", path);
        }
        json_object_set_new(args, "id", json_string(last_session));
    }
    snprintf(out->op, sizeof out->op, "%s", r->op);
    out->args = args;
    return REEL_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int split(uint8_t *p, size_t len, int depth, reel_osc_message_fn fn, void *ud,
                 reel_error *err)
{
    if (len < 4 || len % 4)
        return reel_error_set(err, REEL_EINVAL, "malformed OSC packet: %zu bytes is not a "
                              "positive multiple of 4", len);
    if (p[0] == '/') {
        fn(ud, p, len);
        return REEL_OK;
    }
    if (len < 16 || memcmp(p, "#bundle", 8) != 0)
        return reel_error_set(err, REEL_EINVAL, "malformed OSC packet: neither a message "
                              "(starting with '/') nor a #bundle");
    if (depth >= BUNDLE_DEPTH_MAX)
        return reel_error_set(err, REEL_EINVAL, "OSC bundles nested deeper than %d",
                              BUNDLE_DEPTH_MAX);
    size_t at = 16; /* "#bundle\0" and the time tag */
    while (at < len) {
        if (len - at < 4)
            return reel_error_set(err, REEL_EINVAL, "malformed OSC bundle: truncated element");
        uint32_t n = be32(p + at);
        at += 4;
        if (n > len - at)
            return reel_error_set(err, REEL_EINVAL,
                                  "malformed OSC bundle: element of %u bytes, %zu left", n,
                                  len - at);
        int rc = split(p + at, n, depth + 1, fn, ud, err);
        if (rc)
            return rc;
        at += n;
    }
    return REEL_OK;
}

int reel_osc_packet_split(void *data, size_t len, reel_osc_message_fn fn, void *ud,
                          reel_error *err)
{
    return split(data, len, 0, fn, ud, err);
}
