/*
 * cmd_gc.c — `reel gc [--dry-run] [--grace DURATION]` (also `reel cas gc`):
 * delete sealed content nothing references (gc.h). Output only; the work
 * is reel_gc.
 */
#include "cli.h"

#include "store/gc.h"
#include "time/timespec.h"

#include <string.h>

typedef struct gc_out {
    json_t *items; /* --json: the blobs, else NULL (printed as they go) */
    bool dry_run;
    cli_progress pg; /* with --json nothing is printed as it goes: a progress line */
    uint64_t n;
} gc_out;

static void gc_item(const reel_hash *h, uint64_t bytes, void *ud)
{
    gc_out *o = ud;
    char b[80];
    if (o->items) {
        json_array_append_new(o->items, json_pack("{s:s, s:I}", "hash", hs(h, b), "bytes",
                                                  (json_int_t)bytes));
        cli_progress_update(&o->pg, ++o->n, 0, o->dry_run ? "blobs to remove" : "blobs removed");
    } else
        printf("%s %s (%llu bytes)\n", o->dry_run ? "would remove" : "removed", hs(h, b),
               (unsigned long long)bytes);
}

int cmd_gc(cli *c)
{
    reel_gc_opts o = {0};
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *v;
        if (strcmp(c->argv[i], "--dry-run") == 0) {
            o.dry_run = true;
        } else if (opt_value(c, &i, "--grace", &v, &rc)) {
            reel_error e;
            if (!rc && reel_duration_parse(v, &o.grace_ns, &e))
                rc = fail_err(&e);
            else if (!rc && o.grace_ns < REEL_GC_GRACE_MIN_NS)
                rc = fail(REEL_EINVAL, "bad --grace '%s' (at least 1s)", v);
        } else {
            rc = fail(REEL_EINVAL, "gc: unknown argument '%s' (usage: reel gc [--dry-run] "
                                   "[--grace DURATION])", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    reel_gc_report rep;
    gc_out out = {.items = c->json ? json_array() : NULL, .dry_run = o.dry_run};
    cli_progress_begin(&out.pg, "gc");
    rc = reel_gc(st, &o, &rep, gc_item, &out, &e);
    cli_progress_end(&out.pg);
    reel_store_close(st);
    if (rc) {
        json_decref(out.items);
        return fail_err(&e);
    }
    int64_t grace = o.grace_ns ? o.grace_ns : REEL_GC_GRACE_DEFAULT_NS;
    if (c->json) {
        print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o}", "dry_run",
                             o.dry_run, "blobs", (json_int_t)rep.blobs, "bytes",
                             (json_int_t)rep.blob_bytes, "roots", (json_int_t)rep.roots,
                             "removed", (json_int_t)rep.removed, "removed_bytes",
                             (json_int_t)rep.removed_bytes, "kept_young",
                             (json_int_t)rep.kept_young, "kept_renewed",
                             (json_int_t)rep.kept_renewed, "restored", (json_int_t)rep.restored,
                             "grace_s", (double)grace / 1e9, "items", out.items));
    } else {
        printf("%s %llu of %llu blobs (%llu of %llu bytes); %llu referenced; %llu unreferenced "
               "kept (younger than %gs: %llu, wanted again: %llu)\n",
               o.dry_run ? "would remove" : "removed", (unsigned long long)rep.removed,
               (unsigned long long)rep.blobs, (unsigned long long)rep.removed_bytes,
               (unsigned long long)rep.blob_bytes, (unsigned long long)rep.roots,
               (unsigned long long)(rep.kept_young + rep.kept_renewed), (double)grace / 1e9,
               (unsigned long long)rep.kept_young, (unsigned long long)rep.kept_renewed);
    }
    return 0;
}
