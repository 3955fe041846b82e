/*
 * cmd_http.c — `reel http [--listen ADDR:PORT] [--token-file F]`: serve a
 * store over HTTP (REST, events, blobs) without recording, until SIGINT or
 * SIGTERM. The first line on stdout is the URL it serves.
 *
 * Must never: hold any logic of the server itself (that is libreel's
 * http_server, which `reel serve` embeds too).
 */
#include "cli.h"

#include "surface/http/http_server.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t http_stop; /* set by SIGINT/SIGTERM */

static void on_stop_signal(int sig)
{
    (void)sig;
    http_stop = 1;
}

int cmd_http(cli *c)
{
    reel_http_opts o = {.web = reel_web_files, .n_web = reel_web_n_files};
    const char *v;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        uint64_t x;
        if (opt_value(c, &i, "--listen", &o.listen, &rc) ||
            opt_value(c, &i, "--token-file", &o.token_file, &rc)) {
        } else if (opt_value(c, &i, "--max-blob-bytes", &v, &rc)) {
            if (!rc)
                rc = parse_u64(v, "--max-blob-bytes", &o.max_blob_bytes);
        } else if (opt_value(c, &i, "--max-json-bytes", &v, &rc)) {
            if (!rc)
                rc = parse_u64(v, "--max-json-bytes", &o.max_json_bytes);
        } else if (opt_value(c, &i, "--max-connections", &v, &rc)) {
            if (!rc && !(rc = parse_u64(v, "--max-connections", &x)))
                o.max_connections = x > 4096 ? 4096 : (unsigned)x;
        } else if (opt_value(c, &i, "--timeout", &v, &rc)) {
            if (!rc && !(rc = parse_u64(v, "--timeout", &x)))
                o.timeout_s = x > 86400 ? 86400 : (unsigned)x;
        } else {
            rc = fail(REEL_EINVAL, "http: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    /* A peer that hangs up mid-response must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    reel_error e;
    reel_error_clear(&e);
    reel_http *h;
    if (reel_http_open(&h, st, &o, &e)) {
        reel_store_close(st);
        return fail_err(&e);
    }
    if (c->json)
        printf("{\"url\": \"%s\"}\n", reel_http_url(h));
    else
        printf("%s\n", reel_http_url(h));
    fflush(stdout);
    while (!http_stop)
        pause();
    reel_http_close(h);
    reel_store_close(st);
    return 0;
}
