/*
 * cmd_recover.c — `reel recover [--dry-run] [--staging-grace DUR]`: the
 * scan `reel serve` and `reel record` run before they record (recovery.h,
 * app.h): streams left recording by a dead process are sealed at their
 * last reported head, unknown staging files past the grace period go.
 *
 * Must never: hold recovery logic (that is libreel's recovery module).
 */
#include "cli.h"

#include "capture/recovery.h"
#include "time/timespec.h"

#include <stdio.h>
#include <string.h>

static int parse_staging_grace(const char *v, int64_t *ns)
{
    reel_error e;
    if (reel_duration_parse(v, ns, &e))
        return fail(REEL_EINVAL, "bad --staging-grace '%s' (want a duration like 10m, 30s, 0)",
                    v);
    return 0;
}

int cmd_recover(cli *c)
{
    reel_recovery_opts o = {.grace_ns = REEL_RECOVERY_GRACE_DEFAULT_NS};
    const char *v;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (strcmp(c->argv[i], "--dry-run") == 0)
            o.dry_run = true;
        else if (opt_value(c, &i, "--staging-grace", &v, &rc)) {
            if (!rc)
                rc = parse_staging_grace(v, &o.grace_ns);
        } else
            rc = fail(REEL_EINVAL, "recover: unknown argument '%s'", c->argv[i]);
    }
    if (rc)
        return rc;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_recovery_report rep;
    reel_error e;
    reel_error_clear(&e);
    rc = reel_recovery_scan(st, &o, &rep, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(json_pack(
            "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}", "dry_run",
            o.dry_run, "streams_recovered", (json_int_t)rep.streams_recovered, "streams_live",
            (json_int_t)rep.streams_live, "streams_failed", (json_int_t)rep.streams_failed,
            "chunks_sealed", (json_int_t)rep.chunks_sealed, "frames_sealed",
            (json_int_t)rep.frames_sealed, "unknown_removed", (json_int_t)rep.unknown_removed,
            "unknown_young", (json_int_t)rep.unknown_young, "unknown_busy",
            (json_int_t)rep.unknown_busy, "bytes_removed", (json_int_t)rep.bytes_removed,
            "tmp_removed", (json_int_t)rep.tmp_removed, "failure",
            rep.failure[0] ? rep.failure : NULL));
    } else {
        char line[1024];
        reel_recovery_summary(&rep, &o, line, sizeof line);
        printf("%s\n", line);
    }
    /* A stream that could not be recovered is a runtime failure. */
    if (rep.streams_failed)
        return fail(REEL_ECORRUPT, "%llu stream(s) could not be recovered: %s",
                    (unsigned long long)rep.streams_failed, rep.failure);
    return 0;
}
