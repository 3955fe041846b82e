/*
 * cmd_store.c — `reel init`, `reel streams` and `reel status`: creating a
 * store and describing the streams it holds (the documents of
 * slice/store_json.c, so --json prints what HTTP and MCP answer).
 *
 * Owns: those commands' arguments and their human output. Must never:
 * change a stream or its chunks (init only creates an empty store).
 */
#include "cli.h"

#include "slice/store_json.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int cmd_init(cli *c)
{
    int bad = cli_args_none(c, "init");
    if (bad)
        return bad;
    reel_store *st;
    int rc = open_store(c, &st, true);
    if (rc)
        return rc;
    if (c->json)
        print_json(json_pack("{s:s}", "store", reel_store_root(st)));
    else
        printf("store ready at %s\n", reel_store_root(st));
    reel_store_close(st);
    return 0;
}

/* ---- streams / status ---------------------------------------------------- */

static void print_stream_human(json_t *s)
{
    printf("%-32s %-9s %6lld Hz %3lld ch %-3s  %10.3f s  %5lld chunks  xruns %lld  overruns %lld\n",
           json_string_value(json_object_get(s, "uri")),
           json_string_value(json_object_get(s, "state")),
           (long long)json_integer_value(json_object_get(s, "sample_rate")),
           (long long)json_integer_value(json_object_get(s, "channels")),
           json_string_value(json_object_get(s, "sample_format")),
           json_real_value(json_object_get(s, "seconds")),
           (long long)json_integer_value(json_object_get(s, "chunks")),
           (long long)json_integer_value(json_object_get(s, "xruns")),
           (long long)json_integer_value(json_object_get(s, "overrun_frames")));
}

int cmd_streams(cli *c)
{
    int bad = cli_args_none(c, "streams");
    if (bad)
        return bad;
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = NULL;
    rc = reel_streams_json(st, &arr, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(arr);
    } else {
        size_t i;
        json_t *s;
        json_array_foreach(arr, i, s) print_stream_human(s);
        if (json_array_size(arr) == 0)
            printf("no streams yet (reel record --source tone)\n");
        json_decref(arr);
    }
    return 0;
}

int cmd_status(cli *c)
{
    int bad = cli_args_one(c, "status", "STREAM");
    if (bad)
        return bad;
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    rc = reel_stream_status_json(st, c->argv[1], &j, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(j);
    } else {
        print_stream_human(j);
        json_decref(j);
    }
    return 0;
}
