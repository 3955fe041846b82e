/*
 * cmd_sync.c — `reel sync push|pull URL [HASH...] [--token-file F]`: copy
 * the blobs the other side lacks to or from another store's blob API.
 * Without HASH arguments, push sends every local content blob and pull
 * fetches every blob the remote lists.
 *
 * Must never: hold transfer logic (that is libreel's blob_sync).
 */
#include "cli.h"

#include "surface/http/blob_sync.h"
#include "surface/http/http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sync_progress(const reel_sync_report *rep, uint64_t total, void *ud)
{
    cli_progress_update(ud, rep->blobs, total, "blobs");
}

int cmd_sync(cli *c)
{
    const char *dir = NULL, *url = NULL, *token_file = NULL;
    int rc = 0;
    reel_hash *hashes = calloc((size_t)c->argc + 1, sizeof *hashes);
    if (!hashes)
        return fail(REEL_ENOMEM, "out of memory");
    size_t n = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *a = c->argv[i];
        if (opt_value(c, &i, "--token-file", &token_file, &rc)) {
        } else if (a[0] == '-') {
            rc = fail(REEL_EINVAL, "sync: unknown option '%s'", a);
        } else if (!dir) {
            dir = a;
        } else if (!url) {
            url = a;
        } else {
            reel_error e;
            if (reel_hash_from_hex(&hashes[n], a, &e))
                rc = fail(REEL_EINVAL, "sync: bad blob hash '%s' (want blake3:<64 hex>)", a);
            n++;
        }
    }
    if (rc == 0 && (!dir || !url || (strcmp(dir, "push") != 0 && strcmp(dir, "pull") != 0)))
        rc = fail(REEL_EINVAL, "usage: reel sync push|pull URL [HASH...] [--token-file F]");
    char token[1024] = "";
    reel_error e;
    reel_error_clear(&e);
    if (rc == 0 && token_file && reel_http_token_load(token_file, token, sizeof token, &e))
        rc = fail_err(&e);
    reel_store *st = NULL;
    if (rc == 0)
        rc = open_store(c, &st, false);
    if (rc) {
        free(hashes);
        return rc;
    }
    bool push = strcmp(dir, "push") == 0;
    reel_sync_report rep;
    const reel_hash *list = n ? hashes : NULL;
    cli_progress pg;
    cli_progress_begin(&pg, push ? "sync push" : "sync pull");
    const char *tok = token[0] ? token : NULL;
    rc = push ? reel_sync_push_progress(reel_store_cas(st), url, list, n, tok, sync_progress, &pg,
                                        &rep, &e)
              : reel_sync_pull_progress(reel_store_cas(st), url, list, n, tok, sync_progress, &pg,
                                        &rep, &e);
    cli_progress_end(&pg);
    reel_store_close(st);
    free(hashes);
    if (rc)
        return fail_err(&e);
    if (c->json)
        print_json(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "direction", dir, "url", url,
                             "blobs", (json_int_t)rep.blobs, "transferred",
                             (json_int_t)rep.transferred, "present", (json_int_t)rep.present,
                             "bytes", (json_int_t)rep.bytes));
    else
        printf("%s %s: %llu blobs, %llu %s (%llu bytes), %llu already there\n", dir, url,
               (unsigned long long)rep.blobs, (unsigned long long)rep.transferred,
               push ? "sent" : "received", (unsigned long long)rep.bytes,
               (unsigned long long)rep.present);
    return 0;
}
