/*
 * fuzz_http.c — libFuzzer target for the HTTP request parsing that is
 * reel's own (http_parse.c): routes with their queries, Range headers,
 * slice request bodies, listen addresses and bearer headers.
 *
 * Owns: feeding one input to every parser as a NUL-terminated copy, and
 * the contracts callers rely on. Must never: keep state between inputs.
 *
 * Contracts checked beyond the sanitizers: a route is 200/400/404/405 with
 * an error code on failure; a matched route never carries a dot segment or
 * a NUL-free parameter that is empty; a page name has no path in it; a
 * peaks route has 1..REEL_HTTP_PEAK_BINS_MAX bins and no session bounds; a satisfiable range lies inside the
 * resource; a failed slice body leaves nothing allocated and names a code; WebSocket frames
 * (the same bytes as a stream of them) lie inside the input.
 */
#include "surface/http/http_parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"GET", "HEAD", "PUT", "POST", "DELETE"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    reel_error err = {0};

    reel_http_route r;
    int st = reel_http_route_parse(methods[size % 5], s, &r, &err);
    if (st != 200 && st != 400 && st != 404 && st != 405)
        abort();
    if (st != 200 && (!r.code || err.msg[0] == '\0' || strchr(err.msg, '\n')))
        abort();
    if (st == 200) {
        if (r.kind == REEL_ROUTE_NONE)
            abort();
        if ((r.kind == REEL_ROUTE_STREAM || r.kind == REEL_ROUTE_ARTIFACT) &&
            (r.param[0] == '\0' || strcmp(r.param, "..") == 0 || strcmp(r.param, ".") == 0))
            abort();
        if (r.kind == REEL_ROUTE_ARTIFACT && strpbrk(r.param, "/.\\"))
            abort();
        if (r.kind == REEL_ROUTE_PAGE && (r.param[0] == '\0' || r.param[0] == '.' ||
                                          strpbrk(r.param, "/\\%")))
            abort();
        if (r.kind == REEL_ROUTE_STREAM_PEAKS &&
            (r.bins == 0 || r.bins > REEL_HTTP_PEAK_BINS_MAX || r.from.kind == REEL_TS_SESSION ||
             r.to.kind == REEL_TS_SESSION || r.param[0] == '\0'))
            abort();
    }

    uint64_t sizes[] = {0, 1, 100, size, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint64_t first = 0, len = 0;
        int rc = reel_http_range_parse(s, sizes[i], &first, &len);
        if (rc == 0 && (len == 0 || first >= sizes[i] || len > sizes[i] - first))
            abort();
        if (rc != 0 && rc != 1 && rc != REEL_ERANGE)
            abort();
    }

    reel_slice_args b;
    int rc = reel_slice_args_parse((const char *)data, size, "stream://f/z", &b, &err);
    if (rc == REEL_OK) {
        if (!b.doc || (b.req.n_tags && !b.req.tags))
            abort();
        reel_slice_args_free(&b);
    } else if (rc != REEL_EINVAL || b.doc || !b.error_code || strchr(err.msg, '\n')) {
        abort();
    }

    struct sockaddr_storage ss;
    socklen_t sl;
    bool lo;
    rc = reel_http_listen_parse(s, &ss, &sl, &lo, &err);
    if (rc != REEL_OK && rc != REEL_EINVAL)
        abort();

    if (reel_http_bearer_ok(s, "0123456789abcdef") &&
        strcmp(s + strlen(s) - 16, "0123456789abcdef") != 0)
        abort();
    free(s);
    /* the bytes as a stream of WebSocket client frames: a frame lies inside what was given,
     * its header is one of the three sizes, a refusal is 1002 or 1009 */
    for (size_t at = 0; at < size;) {
        reel_ws_frame f;
        long k = reel_ws_frame_parse(data + at, size - at, 4096, &f);
        if (k == 0)
            break;
        if (k < 0) {
            if (k != -1002 && k != -1009)
                abort();
            break;
        }
        if ((size_t)k > size - at || f.header + f.len != (size_t)k || f.len > 4096 ||
            (f.header != 6 && f.header != 8 && f.header != 14) || (f.op >= 8 && f.len > 125))
            abort();
        at += (size_t)k;
    }
    return 0;
}
