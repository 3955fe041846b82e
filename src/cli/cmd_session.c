/*
 * cmd_session.c — `reel session create|play|stop|status|export` (and the
 * dispatch of `reel session request`, which lives in cmd_request.c): thin
 * wrappers over the session_* ops, run in the store's `reel serve`.
 *
 * Must never: act on the store behind the running serve's back (every
 * subcommand goes through cli_call).
 */
#include "cli.h"

#include "core/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                                \
    "usage: reel session create [--mode passive|request-response] [--stream URI]... | "     \
    "play ID | stop ID | status [ID] | export ID --format json|archive [--out PATH] | "      \
    "request ..."

static json_int_t jint(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* One line per segment: id, and each stream's frame span. */
static void print_session(json_t *d)
{
    json_t *streams = json_object_get(d, "streams"), *v, *g;
    size_t i;
    printf("%s  %s  %s  %zu segment(s)", json_string_value(json_object_get(d, "id")),
           json_string_value(json_object_get(d, "state")),
           json_string_value(json_object_get(d, "mode")),
           json_array_size(json_object_get(d, "segments")));
    const char *art = json_string_value(json_object_get(d, "artifact"));
    if (art)
        printf("  artifact %s", art);
    putchar('\n');
    json_array_foreach(json_object_get(d, "segments"), i, g) {
        json_t *end = json_object_get(g, "end");
        size_t k;
        json_array_foreach(streams, k, v) {
            const char *uri = json_string_value(v);
            json_t *a = json_object_get(json_object_get(json_object_get(g, "start"), "streams"),
                                        uri);
            json_t *b = json_object_get(json_object_get(end, "streams"), uri);
            if (!json_is_object(a))
                continue;
            if (json_is_object(b))
                printf("  %s  %s  #%lld..#%lld (%lld frames)\n",
                       json_string_value(json_object_get(g, "id")), uri,
                       (long long)jint(a, "frame"), (long long)jint(b, "frame"),
                       (long long)(jint(b, "frame") - jint(a, "frame")));
            else
                printf("  %s  %s  #%lld.. (playing)\n", json_string_value(json_object_get(g, "id")),
                       uri, (long long)jint(a, "frame"));
        }
    }
}

static int call_and_print(cli *c, const char *op, json_t *args)
{
    json_t *out = NULL;
    int rc = cli_call(c, op, args, &out);
    json_decref(args);
    if (rc)
        return rc;
    if (c->json) {
        print_json(out);
        return 0;
    }
    if (json_is_array(out)) {
        size_t i;
        json_t *d;
        if (json_array_size(out) == 0)
            puts("no sessions");
        json_array_foreach(out, i, d) print_session(d);
    } else {
        print_session(out);
    }
    json_decref(out);
    return 0;
}

static int session_create(cli *c)
{
    json_t *args = json_object(), *streams = json_array();
    int rc = 0;
    const char *v;
    for (int i = 2; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--mode", &v, &rc)) {
            if (!rc && strcmp(v, "passive") != 0 && strcmp(v, "request-response") != 0)
                rc = fail(REEL_EINVAL, "bad --mode '%s' (passive or request-response)", v);
            if (!rc)
                json_object_set_new(args, "mode", json_string(v));
        } else if (opt_value(c, &i, "--stream", &v, &rc)) {
            if (!rc)
                json_array_append_new(streams, json_string(v));
        } else if (!rc) {
            rc = fail(REEL_EINVAL, "session create: unknown argument '%s'", c->argv[i]);
        }
    }
    if (json_array_size(streams))
        json_object_set_new(args, "streams", streams);
    else
        json_decref(streams);
    if (rc) {
        json_decref(args);
        return rc;
    }
    return call_and_print(c, "session_create", args);
}

static int session_export(cli *c)
{
    const char *id = NULL, *format = NULL, *out_path = NULL, *v;
    int rc = 0;
    for (int i = 2; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--format", &v, &rc)) {
            if (!rc && strcmp(v, "json") != 0 && strcmp(v, "archive") != 0)
                rc = fail(REEL_EINVAL, "bad --format '%s' (json or archive)", v);
            format = v;
        } else if (opt_value(c, &i, "--out", &out_path, &rc)) {
        } else if (!rc && c->argv[i][0] != '-' && !id) {
            id = c->argv[i];
        } else if (!rc) {
            rc = fail(REEL_EINVAL, "session export: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    if (!id || !format)
        return fail(REEL_EINVAL, "usage: reel session export ID --format json|archive "
                    "[--out PATH]");
    json_t *out = NULL, *args = json_pack("{s:s, s:s}", "id", id, "format", format);
    rc = cli_call(c, "session_export", args, &out);
    json_decref(args);
    if (rc)
        return rc;
    const char *path = json_string_value(json_object_get(out, "path"));
    if (out_path) {
        reel_error e;
        reel_error_clear(&e);
        if (!path || reel_fs_copy_atomic(path, out_path, 0644, &e)) {
            json_decref(out);
            return path ? fail_err(&e) : fail(REEL_EIO, "the export has no file");
        }
    }
    if (c->json) {
        print_json(out);
        return 0;
    }
    if (out_path)
        printf("%s\n", out_path);
    else if (strcmp(format, "json") == 0)
        print_json(json_incref(json_object_get(out, "document")));
    else
        printf("%s\n", path);
    json_decref(out);
    return 0;
}

int cmd_session(cli *c)
{
    const char *sub = c->argc > 1 ? c->argv[1] : NULL;
    if (!sub)
        return fail(REEL_EINVAL, USAGE);
    if (strcmp(sub, "create") == 0)
        return session_create(c);
    if (strcmp(sub, "play") == 0 || strcmp(sub, "stop") == 0) {
        if (c->argc != 3)
            return fail(REEL_EINVAL, "usage: reel session %s ID", sub);
        return call_and_print(c, strcmp(sub, "play") == 0 ? "session_play" : "session_stop",
                              json_pack("{s:s}", "id", c->argv[2]));
    }
    if (strcmp(sub, "status") == 0) {
        if (c->argc > 3)
            return fail(REEL_EINVAL, "usage: reel session status [ID]");
        return call_and_print(c, "session_status",
                              c->argc == 3 ? json_pack("{s:s}", "id", c->argv[2])
                                           : json_object());
    }
    if (strcmp(sub, "export") == 0)
        return session_export(c);
    if (strcmp(sub, "request") == 0) {
        cli rq = *c; /* cmd_session_request sees "request" as its argv[0] */
        rq.argc = c->argc - 1;
        rq.argv = c->argv + 1;
        return cmd_session_request(&rq);
    }
    return fail(REEL_EINVAL, "session: unknown subcommand '%s' (%s)", sub, USAGE);
}
