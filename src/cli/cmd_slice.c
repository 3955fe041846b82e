/*
 * cmd_slice.c — `reel slice` and `reel render`: a time range of a stream
 * into a file or a virtual slice, and a virtual slice into a file.
 *
 * Owns: turning the flags into the slice-argument document and the human
 * output. Must never: check slice arguments itself (slice/slice_args.c is
 * the one parser, so the CLI, HTTP and ops say the same thing), or word a
 * slice failure differently from the library.
 */
#include "cli.h"

#include "media/audio_out.h"
#include "slice/slice.h"
#include "slice/slice_args.h"
#include "slice/store_json.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static bool format_from_path(const char *path, reel_out_format *f)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return false;
    return reel_out_format_parse(dot + 1, f, NULL) == 0;
}

static void slice_progress(uint64_t done, uint64_t total, void *ud)
{
    cli_progress_update(ud, done, total, "chunks");
}

static void print_slice_human(const reel_slice_result *r, const char *out, bool is_virtual)
{
    char b[80];
    double secs = r->sample_rate ? (double)(r->to_frame - r->from_frame) / r->sample_rate : 0;
    printf("%s %s %s  frames #%llu..#%llu (%.3f s, %llu chunks)%s\n", r->artifact_id,
           is_virtual ? "virtual slice" : reel_out_format_name(r->format), hs(&r->content, b),
           (unsigned long long)r->from_frame, (unsigned long long)r->to_frame, secs,
           (unsigned long long)r->n_chunks, r->clamped ? " (clamped to the start)" : "");
    if (out)
        printf("wrote %s\n", out);
}

/* The flags become the slice-argument document of every surface
 * (slice_args.h) and go through its one parser, so a mistake reads the
 * same here as from HTTP or an op; only --out is the CLI's own. */
int cmd_slice(cli *c)
{
    const char *stream = NULL, *out = NULL, *v;
    json_t *doc = json_object(), *tags = json_array();
    if (!doc || !tags) {
        json_decref(doc);
        json_decref(tags);
        return fail(REEL_ENOMEM, "out of memory");
    }
    static const struct {
        const char *flag, *field;
    } fields[] = {{"--from", "from"},
                  {"--to", "to"},
                  {"--last", "last"},
                  {"--format", "format"},
                  {"--sample-format", "sample_format"}};
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *a = c->argv[i];
        bool matched = false;
        for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !matched && rc == 0; f++)
            if ((matched = opt_value(c, &i, fields[f].flag, &v, &rc)) && rc == 0)
                json_object_set_new(doc, fields[f].field, json_string(v));
        if (matched) {
        } else if (opt_value(c, &i, "--out", &out, &rc)) {
        } else if (opt_value(c, &i, "--tag", &v, &rc)) {
            if (!rc)
                json_array_append_new(tags, json_string(v));
        } else if (strcmp(a, "--virtual") == 0) {
            json_object_set_new(doc, "virtual", json_true());
        } else if (a[0] == '-' && a[1] == '-') {
            rc = fail(REEL_EINVAL, "slice: unknown option '%s'", a);
        } else if (!stream) {
            stream = a;
        } else {
            rc = fail(REEL_EINVAL, "slice: unexpected argument '%s'", a);
        }
    }
    if (json_array_size(tags))
        json_object_set_new(doc, "tags", tags);
    else
        json_decref(tags);
    if (rc == 0 && !stream)
        rc = fail(REEL_EINVAL,
                  "usage: reel slice STREAM (--last DUR | --from T --to T) [--out PATH]");
    if (rc == 0 && out && !*out)
        rc = fail(REEL_EINVAL, "--out needs a path");
    reel_error e;
    reel_error_clear(&e);
    reel_slice_args args;
    memset(&args, 0, sizeof args);
    if (rc == 0 && reel_slice_args_parse_json(doc, stream, &args, &e))
        rc = fail_err(&e);
    json_decref(doc); /* args keeps its own reference */
    if (rc)
        return rc;
    reel_slice_request req = args.req;
    const char *last = json_string_value(json_object_get(args.doc, "last"));
    bool is_virtual = req.is_virtual;
    req.out_path = out;
    req.creator = "reel slice";
    if (!req.format_given && out) /* no --format: the --out file's extension says */
        req.format_given = format_from_path(out, &req.format);
    reel_store *st;
    if ((rc = open_store(c, &st, false))) {
        reel_slice_args_free(&args);
        return rc;
    }
    reel_slice_result res;
    cli_progress pg;
    cli_progress_begin(&pg, "slice");
    pg.delay_ns = 500000000; /* only a slice that takes a while shows one */
    req.progress = slice_progress;
    req.progress_ud = &pg;
    rc = reel_slice(st, &req, &res, &e);
    cli_progress_end(&pg);
    reel_store_close(st);
    if (rc) {
        reel_slice_args_free(&args);
        return fail_err(&e);
    }
    if (c->json)
        print_json(reel_slice_result_json(&res, out));
    else
        print_slice_human(&res, out, is_virtual);
    if (res.clamped && !c->json)
        fprintf(stderr, "reel: note: the stream holds less than %s; sliced from its start\n",
                last);
    reel_slice_args_free(&args); /* `last` and the request's strings live in it */
    return 0;
}

int cmd_render(cli *c)
{
    const char *art = NULL, *out = NULL;
    int rc = 0;
    for (int i = 1; i < c->argc; i++) /* a project id: its render through the graph */
        if (strncmp(c->argv[i], "prj-", 4) == 0)
            return cmd_project_render(c);
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--out", &out, &rc)) {
        } else if (c->argv[i][0] == '-') {
            rc = fail(REEL_EINVAL, "render: unknown option '%s'", c->argv[i]);
        } else if (!art) {
            art = c->argv[i];
        } else {
            rc = fail(REEL_EINVAL, "render: unexpected argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    if (!art || !out)
        return fail(REEL_EINVAL, "usage: reel render ARTIFACT --out PATH");
    if (!*out)
        return fail(REEL_EINVAL, "--out needs a path");
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    reel_slice_result res;
    cli_progress pg;
    cli_progress_begin(&pg, "render");
    pg.delay_ns = 500000000;
    rc = reel_render_progress(st, art, out, slice_progress, &pg, &res, &e);
    cli_progress_end(&pg);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json)
        print_json(reel_slice_result_json(&res, out));
    else
        print_slice_human(&res, out, false);
    return 0;
}
