/*
 * cmd_cas.c — `reel cas put|get|has|verify|gc`: the content-addressed
 * store by hash, for scripts and repairs.
 *
 * Owns: those subcommands' arguments and output. Must never: write a blob
 * but through the store's put API, or print bytes of a blob that fails
 * its hash.
 */
#include "cli.h"

#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

typedef struct verify_ctx {
    reel_cas *cas;
    uint64_t n, bad;
} verify_ctx;

static int verify_one(const reel_hash *h, const char *path, void *ud)
{
    verify_ctx *v = ud;
    reel_error e;
    v->n++;
    if (reel_cas_verify(v->cas, h, &e)) {
        v->bad++;
        fprintf(stderr, "reel: %s\n", e.msg);
    }
    return 0;
}

int cmd_cas(cli *c)
{
    if (c->argc < 2)
        return fail(REEL_EINVAL, "usage: reel cas put FILE | get HASH [--out PATH] | has HASH | "
                                 "verify [HASH] | gc [--dry-run] [--grace DURATION]");
    const char *sub = c->argv[1];
    reel_store *st;
    int rc;
    reel_error e;
    reel_error_clear(&e);
    char b[80];
    if (strcmp(sub, "put") == 0) {
        if (c->argc != 3)
            return fail(REEL_EINVAL, "usage: reel cas put FILE");
        if ((rc = open_store(c, &st, false)))
            return rc;
        reel_hash h;
        rc = reel_cas_put_file(reel_store_cas(st), c->argv[2], &h, &e);
        reel_store_close(st);
        if (rc)
            return fail_err(&e);
        if (c->json)
            print_json(json_pack("{s:s}", "hash", hs(&h, b)));
        else
            puts(hs(&h, b));
        return 0;
    }
    if (strcmp(sub, "get") == 0 || strcmp(sub, "has") == 0) {
        const char *hash = NULL, *out = NULL;
        rc = 0;
        for (int i = 2; i < c->argc && rc == 0; i++) {
            if (strcmp(sub, "get") == 0 && opt_value(c, &i, "--out", &out, &rc)) {
            } else if (!hash && c->argv[i][0] != '-') {
                hash = c->argv[i];
            } else {
                rc = fail(REEL_EINVAL, "cas %s: unexpected argument '%s'", sub, c->argv[i]);
            }
        }
        if (rc)
            return rc;
        if (!hash)
            return fail(REEL_EINVAL, "usage: reel cas %s HASH", sub);
        if ((rc = open_store(c, &st, false)))
            return rc;
        reel_hash h;
        rc = reel_cas_resolve(reel_store_cas(st), hash, &h, &e);
        if (strcmp(sub, "has") == 0) {
            reel_store_close(st);
            if (rc == REEL_ENOENT) {
                if (c->json)
                    print_json(json_pack("{s:b}", "present", 0));
                else
                    puts("no");
                return 1;
            }
            if (rc)
                return fail_err(&e);
            if (c->json)
                print_json(json_pack("{s:b, s:s}", "present", 1, "hash", hs(&h, b)));
            else
                printf("yes %s\n", hs(&h, b));
            return 0;
        }
        if (rc == 0) {
            if (out) {
                rc = reel_cas_get(reel_store_cas(st), &h, out, &e);
            } else {
                /* To stdout: verify first, then stream the bytes. */
                rc = reel_cas_verify(reel_store_cas(st), &h, &e);
                int fd;
                if (rc == 0 && (rc = reel_cas_open_content(reel_store_cas(st), &h, &fd, &e)) == 0) {
                    char buf[65536];
                    ssize_t n;
                    while ((n = read(fd, buf, sizeof buf)) > 0)
                        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
                            rc = reel_error_set(&e, REEL_EIO, "cannot write to stdout");
                            break;
                        }
                    close(fd);
                }
            }
        }
        reel_store_close(st);
        if (rc)
            return fail_err(&e);
        if (out && c->json)
            print_json(json_pack("{s:s, s:s}", "hash", hs(&h, b), "out", out));
        return 0;
    }
    if (strcmp(sub, "verify") == 0) {
        if (c->argc > 3)
            return fail(REEL_EINVAL, "usage: reel cas verify [HASH]");
        if ((rc = open_store(c, &st, false)))
            return rc;
        verify_ctx v = {.cas = reel_store_cas(st)};
        if (c->argc == 3) {
            reel_hash h;
            rc = reel_cas_resolve(reel_store_cas(st), c->argv[2], &h, &e);
            if (rc == 0)
                rc = reel_cas_verify(reel_store_cas(st), &h, &e);
            reel_store_close(st);
            if (rc)
                return fail_err(&e);
            if (c->json)
                print_json(json_pack("{s:s, s:b}", "hash", hs(&h, b), "ok", 1));
            else
                printf("ok %s\n", hs(&h, b));
            return 0;
        }
        rc = reel_cas_foreach(reel_store_cas(st), 0, verify_one, &v, &e);
        reel_store_close(st);
        if (rc < 0)
            return fail_err(&e);
        if (c->json)
            print_json(json_pack("{s:I, s:I}", "blobs", (json_int_t)v.n, "corrupt",
                                 (json_int_t)v.bad));
        else
            printf("%llu blobs, %llu corrupt\n", (unsigned long long)v.n,
                   (unsigned long long)v.bad);
        return v.bad ? 1 : 0;
    }
    if (strcmp(sub, "gc") == 0) {
        cli sub_c = *c; /* `reel cas gc ARGS` is `reel gc ARGS` */
        sub_c.argc--;
        sub_c.argv++;
        return cmd_gc(&sub_c);
    }
    return fail(REEL_EINVAL, "unknown cas command '%s' (put, get, has, verify, gc)", sub);
}
