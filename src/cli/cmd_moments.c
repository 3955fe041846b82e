/*
 * cmd_moments.c — `reel moments STREAM` (list a stream's moments) and
 * `reel marker STREAM [--name N]` (a moment by hand at the head: the op
 * `marker`, in the running `reel serve` if there is one, so its
 * subscribers hear the moment event).
 *
 * `reel marker add|remove P ...` are a project's timeline markers
 * (cmd_project.c); a stream is a URI, never the word "add" or "remove".
 *
 * Must never: change a recording; the marker only adds a row.
 */
#include "cli.h"

#include "model/moments/moments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2026-11-20T10:00:00.250Z" */
static void format_wall(int64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
    int ms = (int)((ns - (int64_t)s * 1000000000) / 1000000);
    struct tm tm;
    if (!gmtime_r(&s, &tm)) {
        snprintf(buf, len, "@%lld", (long long)(ns / 1000000000));
        return;
    }
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", date, ms);
}

int cmd_moments(cli *c)
{
    const char *stream = NULL;
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (a[0] == '-' && a[1] == '-')
            return fail(REEL_EINVAL, "moments: unknown option '%s'", a);
        if (stream)
            return fail(REEL_EINVAL, "moments: unexpected argument '%s'", a);
        stream = a;
    }
    if (!stream)
        return fail(REEL_EINVAL, "usage: reel moments STREAM");
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = NULL;
    reel_stream_view v;
    uint32_t rate = 0;
    rc = reel_moments_json(reel_store_db(st), stream, &arr, &e);
    if (rc == 0 && !c->json && reel_store_stream_open(st, stream, &v, &e) == 0) {
        rate = v.def.sample_rate;
        reel_stream_view_free(&v);
    }
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(arr);
        return 0;
    }
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        char when[64];
        format_wall(json_integer_value(json_object_get(m, "wall_ns")), when, sizeof when);
        long long frame = json_integer_value(json_object_get(m, "frame"));
        json_t *lv = json_object_get(m, "level_db");
        json_t *name = json_object_get(m, "name");
        char level[32] = "";
        if (json_is_number(lv))
            snprintf(level, sizeof level, "%6.1f dBFS", json_number_value(lv));
        printf("moment:%-6lld %s  #%-12lld %10.3f s  %-6s %s%s%s\n",
               (long long)json_integer_value(json_object_get(m, "id")), when, frame,
               rate ? (double)frame / rate : 0.0,
               json_string_value(json_object_get(m, "kind")), level,
               json_is_string(name) ? (level[0] ? "  " : "") : "",
               json_is_string(name) ? json_string_value(name) : "");
    }
    if (json_array_size(arr) == 0)
        fprintf(stderr, "reel: no moments on %s yet\n", stream);
    json_decref(arr);
    return 0;
}

int cmd_marker(cli *c)
{
    if (cli_marker_is_project(c)) /* `reel marker add|remove P ...` */
        return cmd_project_marker(c);
    const char *stream = NULL, *name = NULL;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *a = c->argv[i];
        if (opt_value(c, &i, "--name", &name, &rc)) {
        } else if (a[0] == '-' && a[1] == '-') {
            rc = fail(REEL_EINVAL, "marker: unknown option '%s'", a);
        } else if (stream) {
            rc = fail(REEL_EINVAL, "marker: unexpected argument '%s'", a);
        } else {
            stream = a;
        }
    }
    if (rc)
        return rc;
    if (!stream)
        return fail(REEL_EINVAL, "usage: reel marker STREAM [--name NAME]");
    json_t *args = json_pack("{s:s}", "stream", stream), *m = NULL;
    if (name)
        json_object_set_new(args, "name", json_string(name));
    rc = cli_call(c, "marker", args, &m);
    json_decref(args);
    if (rc)
        return rc;
    if (c->json) {
        print_json(m);
        return 0;
    }
    char when[64];
    format_wall(json_integer_value(json_object_get(m, "wall_ns")), when, sizeof when);
    json_t *nm = json_object_get(m, "name");
    printf("moment:%lld %s #%lld %s\n", (long long)json_integer_value(json_object_get(m, "id")),
           when, (long long)json_integer_value(json_object_get(m, "frame")),
           json_is_string(nm) ? json_string_value(nm) : "");
    json_decref(m);
    return 0;
}
