/*
 * cli_util.c — what every `reel` command shares: one-line failures with the
 * exit status of their error code, JSON output, option values, opening the
 * store. Must never: hold state between calls.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("reel: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return reel_error_exit_status(code);
}

/* The message, then the stable sub-code in brackets when there is one, so a
 * script can tell failures apart the way an HTTP or MCP client does. */
int fail_err(const reel_error *e)
{
    const char *msg = e->msg[0] ? e->msg : reel_strerror(e->code);
    int code = e->code ? e->code : REEL_EIO;
    if (e->reason[0])
        return fail(code, "%s [%s]", msg, e->reason);
    return fail(code, "%s", msg);
}

void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(j);
}

const char *hs(const reel_hash *h, char *buf)
{
    reel_hash_to_string(h, buf);
    return buf;
}

/* Option helpers: `--name VALUE` or `--name=VALUE`. */
bool opt_value(cli *c, int *i, const char *name, const char **out, int *rc)
{
    const char *a = c->argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *out = a + n + 1;
        return true;
    }
    if (a[n] != '\0')
        return false;
    if (*i + 1 >= c->argc) {
        *rc = fail(REEL_EINVAL, "%s needs a value", name);
        return true;
    }
    *out = c->argv[++*i];
    return true;
}

int parse_u64(const char *s, const char *what, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return fail(REEL_EINVAL, "bad %s '%s' (want a whole number)", what, s);
    *out = v;
    return 0;
}

int open_store(cli *c, reel_store **st, bool create)
{
    reel_error e;
    reel_error_clear(&e);
    if (reel_store_open(st, c->store, create, &e))
        return fail_err(&e);
    return 0;
}


int cli_args_none(const cli *c, const char *cmd)
{
    if (c->argc > 1)
        return fail(REEL_EINVAL, "%s takes no arguments (got '%s')", cmd, c->argv[1]);
    return 0;
}

int cli_args_one(const cli *c, const char *cmd, const char *what)
{
    if (c->argc >= 2 && c->argv[1][0] == '-')
        return fail(REEL_EINVAL, "%s: unknown option '%s' (reel %s %s)", cmd, c->argv[1], cmd, what);
    if (c->argc != 2)
        return fail(REEL_EINVAL, "usage: reel %s %s", cmd, what);
    return 0;
}
