/*
 * cmd_fsck.c — `reel fsck`: checking a store (store/fsck.h) with a progress
 * line and one line per finding.
 *
 * Owns: the command's arguments and output. Must never: repair anything
 * the check did not find.
 */
#include "cli.h"

#include "store/fsck.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

typedef struct fsck_out {
    json_t *arr; /* --json: the problems */
    cli_progress pg;
} fsck_out;

static void fsck_line(const char *line, void *ud)
{
    fsck_out *o = ud;
    if (o->arr) {
        json_array_append_new(o->arr, json_string(line));
    } else {
        cli_progress_end(&o->pg);
        printf("%s\n", line);
        fflush(stdout);
    }
}

static void fsck_progress(const reel_fsck_report *rep, void *ud)
{
    fsck_out *o = ud;
    cli_progress_update(&o->pg, rep->blobs, 0, "blobs re-hashed");
}

int cmd_fsck(cli *c)
{
    int bad = cli_args_none(c, "fsck");
    if (bad)
        return bad;
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    reel_fsck_report rep;
    json_t *problems = c->json ? json_array() : NULL;
    fsck_out fo = {.arr = problems};
    cli_progress_begin(&fo.pg, "fsck");
    rc = reel_fsck_progress(st, &rep, fsck_line, fsck_progress, &fo, &e);
    cli_progress_end(&fo.pg);
    reel_store_close(st);
    if (c->json)
        print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:b}", "blobs", (json_int_t)rep.blobs,
                             "corrupt", (json_int_t)rep.corrupt, "missing",
                             (json_int_t)rep.missing, "streams", (json_int_t)rep.streams,
                             "staging_files", (json_int_t)rep.staging_files, "problems", problems,
                             "clean", rc == 0));
    else if (rc == 0)
        printf("clean: %llu blobs, %llu streams, %llu staging files\n",
               (unsigned long long)rep.blobs, (unsigned long long)rep.streams,
               (unsigned long long)rep.staging_files);
    if (rc)
        return fail_err(&e);
    return 0;
}
