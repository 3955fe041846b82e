/*
 * cmd_artifacts.c — `reel artifacts` and `reel show`: listing artifacts by
 * tag and describing one with its lineage.
 *
 * Owns: those commands' arguments and output. Must never: change an
 * artifact (both are read-only).
 */
#include "cli.h"

#include "slice/store_json.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void print_artifact_line(json_t *a)
{
    json_t *w = json_object_get(a, "source_window");
    char win[96] = "";
    if (w)
        snprintf(win, sizeof win, "#%lld..#%lld",
                 (long long)json_integer_value(json_object_get(w, "from_frame")),
                 (long long)json_integer_value(json_object_get(w, "to_frame")));
    printf("%-21s %-17s %-28s %.19s  %s\n", json_string_value(json_object_get(a, "id")),
           json_string_value(json_object_get(a, "kind")),
           json_string_value(json_object_get(a, "mime")),
           json_string_value(json_object_get(a, "content_hash")), win);
}

int cmd_artifacts(cli *c)
{
    const char *tags[64];
    size_t n = 0;
    int rc = 0;
    const char *v;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--tag", &v, &rc)) {
            if (!rc && n >= 64)
                rc = fail(REEL_EINVAL, "too many --tag options");
            else if (!rc)
                tags[n++] = v;
        } else {
            rc = fail(REEL_EINVAL, "artifacts: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = NULL;
    rc = reel_artifacts_json(reel_store_db(st), tags, n, &arr, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(arr);
    } else {
        size_t i;
        json_t *a;
        json_array_foreach(arr, i, a) print_artifact_line(a);
        json_decref(arr);
    }
    return 0;
}

int cmd_show(cli *c)
{
    int bad = cli_args_one(c, "show", "ARTIFACT");
    if (bad)
        return bad;
    json_t *j = NULL;
    json_t *args = json_pack("{s:s}", "id", c->argv[1]);
    int rc = cli_call(c, "artifact_get", args, &j); /* the document every surface shows */
    json_decref(args);
    if (rc)
        return rc;
    if (c->json) {
        print_json(j);
    } else {
        char *s = json_dumps(j, JSON_INDENT(2));
        puts(s ? s : "");
        free(s);
        json_decref(j);
    }
    return 0;
}
