/*
 * cmd_mcp.c — `reel mcp`: the MCP server on stdio. One JSON-RPC message per
 * line on stdin, one answer per line on stdout (mcp.c does the protocol);
 * logs go to stderr only, since stdout belongs to the protocol.
 *
 * Tools run where `reel call` runs them (cli_call_err): in the store's
 * running `reel serve` when there is one — found anew for every call, so a
 * serve started or stopped while the client is connected is noticed — else
 * in this process, without a recorder.
 *
 * Must never: print anything but protocol messages on stdout, hold a line
 * bigger than the message limit in memory, or exit before answering every
 * request it read.
 */
#include "cli.h"

#include "surface/mcp/mcp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES (64u << 20)

static int call_op(void *ud, const char *op, json_t *args, json_t **out, reel_error *err)
{
    return cli_call_err(ud, op, args, "mcp", out, err);
}

/* stdin, split into lines, each at most LINE_MAX_BYTES (a longer one is
 * read to its end and reported as too long). */
typedef struct line_reader {
    char *buf;
    size_t len, cap;  /* bytes in buf */
    size_t start;     /* first byte not yet returned */
    bool eof;
} line_reader;

/* 1 with a line in [*line, *line + *n), 0 at the end, -1 on a read error;
 * *too_long when the line went over the limit (its bytes are dropped). */
static int next_line(line_reader *r, char **line, size_t *n, bool *too_long)
{
    *too_long = false;
    if (!r->buf) {
        r->cap = 1u << 16;
        if (!(r->buf = malloc(r->cap)))
            return -1;
    }
    size_t scanned = r->start;
    for (;;) {
        char *nl = memchr(r->buf + scanned, '\n', r->len - scanned);
        if (nl) {
            *line = r->buf + r->start;
            *n = (size_t)(nl - *line);
            r->start = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->start == r->len)
                return 0;
            *line = r->buf + r->start; /* a last line without its newline */
            *n = r->len - r->start;
            r->start = r->len;
            return 1;
        }
        /* Keep only the unreturned part, then read more. */
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
        scanned = r->len;
        if (r->len >= LINE_MAX_BYTES) {
            *too_long = true;
            r->len = 0; /* drop what we have; the rest up to the newline follows */
            scanned = 0;
        }
        if (r->cap - r->len < 65536) {
            size_t cap = r->cap ? r->cap * 2 : 1u << 16;
            if (cap > LINE_MAX_BYTES + 65536)
                cap = LINE_MAX_BYTES + 65536;
            char *b = realloc(r->buf, cap);
            if (!b)
                return -1;
            r->buf = b;
            r->cap = cap;
        }
        ssize_t got = read(STDIN_FILENO, r->buf + r->len, r->cap - r->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            r->eof = true;
        r->len += (size_t)got;
        if (*too_long) {
            /* Still inside the long line: skip to its newline. */
            char *end = memchr(r->buf, '\n', r->len);
            if (!end) {
                r->len = 0;
                if (r->eof)
                    return 1; /* the long line was the last */
                continue;
            }
            r->start = (size_t)(end - r->buf) + 1;
            *line = NULL;
            *n = 0;
            return 1;
        }
    }
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int send_line(json_t *reply)
{
    char *txt = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!txt)
        return fail(REEL_ENOMEM, "mcp: out of memory writing an answer");
    bool ok = fputs(txt, stdout) >= 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0;
    free(txt);
    if (!ok)
        return fail(REEL_EIO, "mcp: cannot write to stdout: %s", strerror(errno));
    return 0;
}

int cmd_mcp(cli *c)
{
    if (c->argc > 1)
        return fail(REEL_EINVAL, "mcp takes no arguments (got '%s'); it speaks MCP on stdio",
                    c->argv[1]);
    reel_store *st;
    int rc = open_store(c, &st, false); /* a missing store is an error now, not per call */
    if (rc)
        return rc;
    fprintf(stderr, "reel mcp: serving %s on stdio\n", reel_store_root(st));
    reel_store_close(st);
    signal(SIGPIPE, SIG_IGN); /* a client gone is a write error, not a crash */
    reel_mcp m = {.call = call_op, .ud = c};
    reel_mcp_session s = {0};
    line_reader r = {0};
    char *line;
    size_t n;
    bool too_long;
    int got;
    rc = 0;
    while (rc == 0 && (got = next_line(&r, &line, &n, &too_long)) == 1) {
        json_t *reply;
        if (too_long)
            reply = reel_mcp_error(NULL, REEL_RPC_INVALID_REQUEST,
                                   "invalid request: a message is at most %u bytes",
                                   LINE_MAX_BYTES);
        else if (blank(line, n))
            continue;
        else
            reply = reel_mcp_handle_text(&m, &s, line, n);
        if (reply)
            rc = send_line(reply);
    }
    free(r.buf);
    if (rc == 0 && got < 0)
        rc = fail(REEL_EIO, "mcp: cannot read stdin: %s", strerror(errno));
    return rc;
}
