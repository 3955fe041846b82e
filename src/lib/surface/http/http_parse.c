/*
 * http_parse.c — routes, blob names, Range, slice bodies, listen addresses
 * and bearer tokens (see http_parse.h). Must never: do I/O, allocate
 * anything but the slice body's JSON document, or trust a length it did not
 * measure itself.
 */
#include "surface/http/http_parse.h"
#include "core/hash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

reel_http_method reel_http_method_parse(const char *m)
{
    if (strcmp(m, "GET") == 0)
        return REEL_HTTP_GET;
    if (strcmp(m, "HEAD") == 0)
        return REEL_HTTP_HEAD;
    if (strcmp(m, "PUT") == 0)
        return REEL_HTTP_PUT;
    if (strcmp(m, "POST") == 0)
        return REEL_HTTP_POST;
    if (strcmp(m, "DELETE") == 0)
        return REEL_HTTP_DELETE;
    return REEL_HTTP_OTHER;
}

int reel_http_pct_decode(const char *s, size_t n, bool plus_space, char *out, size_t cap,
                         reel_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 1 < n ? reel_hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? reel_hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return reel_error_set(err, REEL_EINVAL, "bad percent-escape in the request path");
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f)
            return reel_error_set(err, REEL_EINVAL, "control byte in the request path");
        if (k + 1 >= cap)
            return reel_error_set(err, REEL_EINVAL, "request path segment too long");
        out[k++] = (char)c;
    }
    if (cap == 0)
        return reel_error_set(err, REEL_EINVAL, "request path segment too long");
    out[k] = '\0';
    return REEL_OK;
}


/* ---- routes -------------------------------------------------------------- */

#define MAX_SEGMENTS 8

static int route_fail(reel_http_route *r, int status, const char *code, reel_error *err,
                      const char *msg)
{
    r->kind = REEL_ROUTE_NONE;
    r->code = code;
    int rc = status == 404 ? REEL_ENOENT : REEL_EINVAL;
    if (err && msg == err->msg)
        err->code = rc; /* the message is already there (and must not be its own source) */
    else
        reel_error_set(err, rc, "%s", msg);
    return status;
}


/* One query value of the peaks route: a time spec or the bin count. */
static int peaks_param(reel_http_route *r, const char *key, const char *val, reel_error *err)
{
    if (strcmp(key, "bins") == 0) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(val, &end, 10);
        if (val[0] < '0' || val[0] > '9' || *end || errno || v == 0 ||
            v > REEL_HTTP_PEAK_BINS_MAX) {
            char msg[96];
            snprintf(msg, sizeof msg, "bad bins '%.32s' (1 to %d)", val,
                     REEL_HTTP_PEAK_BINS_MAX);
            return route_fail(r, 400, "bad_query", err, msg);
        }
        r->bins = (uint32_t)v;
        return 200;
    }
    reel_timespec *ts = strcmp(key, "from") == 0 ? &r->from : &r->to;
    if (reel_timespec_parse(val, ts, err))
        return route_fail(r, 400, "invalid_time_spec", err, err ? err->msg : "bad time spec");
    if (ts->kind == REEL_TS_SESSION)
        return route_fail(r, 400, "invalid_time_spec", err,
                          "session bounds are not supported for peaks");
    return 200;
}

/* The get op's query key named `key` (the list and the sub-resources take
 * none), NULL if it takes no such key. */
static const char *resource_key(const reel_http_route *r, const char *key)
{
    const reel_op_resource *res = r->resource;
    if (!r->param[0] || r->op != res->get_op)
        return NULL;
    for (size_t i = 0; i < REEL_OP_RESOURCE_QUERY_MAX && res->get_query[i]; i++)
        if (strcmp(res->get_query[i], key) == 0)
            return res->get_query[i];
    return NULL;
}

/* One query value of a resource item, each key at most once. */
static int resource_query(reel_http_route *r, const char *k, const char *raw, size_t n,
                          reel_error *err)
{
    for (size_t i = 0; i < r->n_q; i++)
        if (r->qkey[i] == k) {
            char msg[96];
            snprintf(msg, sizeof msg, "query parameter '%s' given twice", k);
            return route_fail(r, 400, "bad_query", err, msg);
        }
    if (reel_http_pct_decode(raw, n, true, r->qval[r->n_q], sizeof r->qval[r->n_q], err))
        return route_fail(r, 400, "bad_query", err, err ? err->msg : "bad query");
    r->qkey[r->n_q++] = k;
    return 200;
}

/* The query: ?tag= on the artifact list, from/to/bins on peaks; anything
 * else is refused so that a misspelt filter does not silently list
 * everything. */
static int parse_query(const char *q, reel_http_route *r, reel_error *err)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > 0) {
            const char *eq = memchr(q, '=', n);
            size_t kn = eq ? (size_t)(eq - q) : n;
            char key[32];
            if (reel_http_pct_decode(q, kn, true, key, sizeof key, err))
                return route_fail(r, 400, "bad_query", err, err ? err->msg : "bad query");
            if (r->kind == REEL_ROUTE_SESSION_EXPORT && strcmp(key, "format") == 0 && eq) {
                char v[16];
                if (reel_http_pct_decode(eq + 1, n - kn - 1, true, v, sizeof v, err) ||
                    (strcmp(v, "json") != 0 && strcmp(v, "archive") != 0))
                    return route_fail(r, 400, "bad_query", err,
                                      "bad format (want format=json or format=archive)");
                snprintf(r->format, sizeof r->format, "%s", v);
                q += n;
                if (*q == '&')
                    q++;
                continue;
            }
            const char *rkey =
                r->kind == REEL_ROUTE_RESOURCE && eq ? resource_key(r, key) : NULL;
            if (rkey) {
                int st = resource_query(r, rkey, eq + 1, n - kn - 1, err);
                if (st != 200)
                    return st;
                q += n;
                if (*q == '&')
                    q++;
                continue;
            }
            bool tag = r->kind == REEL_ROUTE_ARTIFACTS && strcmp(key, "tag") == 0;
            bool peaks = r->kind == REEL_ROUTE_STREAM_PEAKS &&
                         (strcmp(key, "from") == 0 || strcmp(key, "to") == 0 ||
                          strcmp(key, "bins") == 0);
            if (!(tag || peaks) || !eq) {
                char msg[96];
                snprintf(msg, sizeof msg, "unknown query parameter '%s'", key);
                return route_fail(r, 400, "bad_query", err, msg);
            }
            if (peaks) {
                char val[REEL_HTTP_TAG_MAX];
                if (reel_http_pct_decode(eq + 1, n - kn - 1, true, val, sizeof val, err))
                    return route_fail(r, 400, "bad_query", err, err ? err->msg : "bad query");
                int st = peaks_param(r, key, val, err);
                if (st != 200)
                    return st;
            } else {
                if (r->n_tags >= REEL_HTTP_MAX_TAGS)
                    return route_fail(r, 400, "bad_query", err, "too many tag parameters");
                if (reel_http_pct_decode(eq + 1, n - kn - 1, true, r->tags[r->n_tags],
                                         REEL_HTTP_TAG_MAX, err))
                    return route_fail(r, 400, "bad_query", err, err ? err->msg : "bad query");
                r->n_tags++;
            }
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return 200;
}

/* A web page file name: no path, no hidden file. */
static bool page_name_ok(const char *s)
{
    if (s[0] == '\0' || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int allow(reel_http_route *r, unsigned methods, const char *names, reel_error *err)
{
    if (r->method & methods)
        return 200;
    snprintf(r->allow, sizeof r->allow, "%s", names);
    r->code = "method_not_allowed";
    reel_error_set(err, REEL_EINVAL, "method not allowed here (allowed: %s)", names);
    return 405;
}

/* A registered read resource (core/op.h): the list, an item (`has_id`), or
 * one of its sub-resources (`sub`). Ids are names the op looks up, so they
 * take the artifact-id alphabet and fit the op's 64-byte argument. */
static int resource_route(reel_http_route *r, const char *id, bool has_id, const char *sub,
                          reel_error *err)
{
    const reel_op_resource *res = r->resource;
    r->kind = REEL_ROUTE_RESOURCE;
    r->op = res->list_op;
    if (has_id) {
        if (!reel_artifact_id_ok(id) || strlen(id) >= 64) {
            char msg[128];
            snprintf(msg, sizeof msg, "bad id in /api/%.32s/ (letters, digits, '-', '_', ':'; "
                                      "under 64 bytes)", res->collection);
            return route_fail(r, 400, "bad_id", err, msg);
        }
        snprintf(r->param, sizeof r->param, "%s", id);
        r->op = res->get_op;
    }
    if (sub) {
        r->op = NULL;
        for (size_t i = 0; i < REEL_OP_RESOURCE_SUBS_MAX && res->subs[i].name; i++)
            if (strcmp(res->subs[i].name, sub) == 0)
                r->op = res->subs[i].op;
    }
    if (!r->op)
        return 404;
    return allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
}

int reel_http_route_parse(const char *method, const char *uri, reel_http_route *r,
                          reel_error *err)
{
    memset(r, 0, sizeof *r);
    r->method = reel_http_method_parse(method);
    if (uri[0] != '/')
        return route_fail(r, 400, "bad_path", err, "the request path must start with '/'");
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    if (memchr(uri, '#', plen))
        return route_fail(r, 400, "bad_path", err, "fragment in the request path");
    /* Split into decoded segments. */
    char seg[MAX_SEGMENTS][REEL_HTTP_PARAM_MAX];
    size_t n = 0;
    size_t i = 1;
    if (plen == 1) {
        r->kind = REEL_ROUTE_PAGE;
        snprintf(r->param, sizeof r->param, "index.html");
        int st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
        return st != 200 || !q ? st : route_fail(r, 400, "bad_query", err,
                                                 "the page takes no query parameters");
    }
    while (i <= plen) {
        size_t j = i;
        while (j < plen && uri[j] != '/')
            j++;
        if (j == i)
            return route_fail(r, 400, "bad_path", err, "empty segment in the request path");
        if (n == MAX_SEGMENTS)
            return route_fail(r, 404, "unknown_route", err, "no such route");
        if (reel_http_pct_decode(uri + i, j - i, false, seg[n], sizeof seg[n], err))
            return route_fail(r, 400, "bad_path", err, err ? err->msg : "bad path");
        if (strcmp(seg[n], ".") == 0 || strcmp(seg[n], "..") == 0)
            return route_fail(r, 400, "bad_path", err, "dot segment in the request path");
        n++;
        i = j + 1;
    }
    int st = 404;
    if (strcmp(seg[0], "web") == 0 && n == 2) {
        if (!page_name_ok(seg[1]))
            return route_fail(r, 400, "bad_path", err,
                              "bad web file name (letters, digits, '-', '_', '.')");
        snprintf(r->param, sizeof r->param, "%s", seg[1]);
        r->kind = REEL_ROUTE_PAGE;
        st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
    } else if (strcmp(seg[0], "blobs") == 0) {
        if (n == 1) {
            r->kind = REEL_ROUTE_BLOBS;
            st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
        } else if (n == 2) {
            if (reel_hash_name_parse(seg[1], &r->hash, err))
                return route_fail(r, 400, "bad_blob_name", err,
                                  "bad blob name (want blake3:<64 lowercase hex>)");
            r->kind = REEL_ROUTE_BLOB;
            st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD | REEL_HTTP_PUT, "GET, HEAD, PUT", err);
        }
    } else if (strcmp(seg[0], "mcp") == 0 && n == 1) {
        /* No GET: reel offers no server-initiated stream (the transport
         * then wants 405). */
        r->kind = REEL_ROUTE_MCP;
        st = allow(r, REEL_HTTP_POST | REEL_HTTP_DELETE, "POST, DELETE", err);
    } else if (strcmp(seg[0], "api") == 0 && n >= 2) {
        if (strcmp(seg[1], "streams") == 0) {
            if (n == 2) {
                r->kind = REEL_ROUTE_STREAMS;
                st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
            } else if (n == 3 || (n == 4 && (strcmp(seg[3], "slice") == 0 ||
                                             strcmp(seg[3], "peaks") == 0 ||
                                             strcmp(seg[3], "moments") == 0))) {
                /* The stream URI is one encoded segment (its '/' as %2F), so
                 * a stream named "slice" cannot be mistaken for the action. */
                if (strlen(seg[2]) >= REEL_URI_MAX)
                    return route_fail(r, 400, "bad_path", err, "stream URI too long");
                snprintf(r->param, sizeof r->param, "%s", seg[2]);
                if (n == 3) {
                    r->kind = REEL_ROUTE_STREAM;
                    st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
                } else if (strcmp(seg[3], "peaks") == 0) {
                    r->kind = REEL_ROUTE_STREAM_PEAKS;
                    r->from.kind = REEL_TS_AGO;
                    r->from.ago_ns = 120000000000LL;
                    r->to.kind = REEL_TS_HEAD;
                    r->bins = REEL_HTTP_PEAK_BINS_DEFAULT;
                    st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
                } else if (strcmp(seg[3], "moments") == 0) {
                    r->kind = REEL_ROUTE_STREAM_MOMENTS;
                    st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
                } else {
                    r->kind = REEL_ROUTE_STREAM_SLICE;
                    st = allow(r, REEL_HTTP_POST, "POST", err);
                }
            }
        } else if (strcmp(seg[1], "artifacts") == 0) {
            if (n == 2) {
                r->kind = REEL_ROUTE_ARTIFACTS;
                st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
            } else if (n == 3 || (n == 4 && strcmp(seg[3], "content") == 0)) {
                if (!reel_artifact_id_ok(seg[2]))
                    return route_fail(r, 400, "bad_artifact_id", err,
                                      "bad artifact id (letters, digits, '-', '_', ':')");
                snprintf(r->param, sizeof r->param, "%s", seg[2]);
                r->kind = n == 3 ? REEL_ROUTE_ARTIFACT : REEL_ROUTE_ARTIFACT_CONTENT;
                st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
            }
        } else if (strcmp(seg[1], "ops") == 0 && n <= 3) {
            if (n == 2) {
                r->kind = REEL_ROUTE_OPS;
                st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
            } else {
                /* an op name: the service refuses names it does not know */
                if (!reel_artifact_id_ok(seg[2]) || strlen(seg[2]) >= 64)
                    return route_fail(r, 400, "bad_path", err,
                                      "bad operation name (letters, digits, '_')");
                snprintf(r->param, sizeof r->param, "%s", seg[2]);
                r->kind = REEL_ROUTE_OP;
                st = allow(r, REEL_HTTP_POST, "POST", err);
            }
        } else if (strcmp(seg[1], "sessions") == 0 && n <= 4) {
            if (n == 2) {
                r->kind = REEL_ROUTE_SESSIONS;
                st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD | REEL_HTTP_POST, "GET, HEAD, POST",
                           err);
            } else {
                if (!reel_artifact_id_ok(seg[2]) || strlen(seg[2]) >= REEL_SESSION_ID_MAX)
                    return route_fail(r, 400, "bad_session_id", err,
                                      "bad session id (letters, digits, '-', '_', ':')");
                snprintf(r->param, sizeof r->param, "%s", seg[2]);
                if (n == 3) {
                    r->kind = REEL_ROUTE_SESSION;
                    st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
                } else if (strcmp(seg[3], "play") == 0 || strcmp(seg[3], "stop") == 0) {
                    r->kind = seg[3][1] == 'l' ? REEL_ROUTE_SESSION_PLAY : REEL_ROUTE_SESSION_STOP;
                    st = allow(r, REEL_HTTP_POST, "POST", err);
                } else if (strcmp(seg[3], "export") == 0) {
                    r->kind = REEL_ROUTE_SESSION_EXPORT;
                    snprintf(r->format, sizeof r->format, "json");
                    st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
                }
            }
        } else if (strcmp(seg[1], "events") == 0 && n == 2) {
            r->kind = REEL_ROUTE_EVENTS;
            st = allow(r, REEL_HTTP_GET, "GET", err);
        } else if (strcmp(seg[1], "ws") == 0 && n == 2) {
            r->kind = REEL_ROUTE_WS;
            st = allow(r, REEL_HTTP_GET, "GET", err);
        } else if (strcmp(seg[1], "debug") == 0 && n == 2) {
            r->kind = REEL_ROUTE_DEBUG;
            st = allow(r, REEL_HTTP_GET | REEL_HTTP_HEAD, "GET, HEAD", err);
        } else if (n <= 4 && (r->resource = reel_op_resource_find(seg[1]))) {
            st = resource_route(r, seg[2], n > 2, n > 3 ? seg[3] : NULL, err);
        }
    }
    if (st == 404)
        return route_fail(r, 404, "unknown_route", err, "no such route");
    if (st != 200)
        return st;
    if (q)
        return parse_query(q + 1, r, err);
    return 200;
}

/* ---- Range ----------------------------------------------------------------- */

/* Digits only, no sign, no overflow; *end past the last digit. */
static bool parse_dec(const char *s, const char **end, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *end = p;
    *out = v;
    return true;
}

int reel_http_range_parse(const char *hdr, uint64_t size, uint64_t *first, uint64_t *len)
{
    const char *p = hdr;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "bytes=", 6) != 0)
        return 1;
    p += 6;
    while (*p == ' ')
        p++;
    if (strchr(p, ','))
        return 1; /* several ranges: the whole resource, not multipart */
    uint64_t a = 0, b = 0;
    const char *e;
    if (*p == '-') {
        if (!parse_dec(p + 1, &e, &b))
            return 1;
        while (*e == ' ')
            e++;
        if (*e)
            return 1;
        if (b == 0 || size == 0)
            return REEL_ERANGE;
        *first = b >= size ? 0 : size - b;
        *len = size - *first;
        return 0;
    }
    if (!parse_dec(p, &e, &a) || *e != '-')
        return 1;
    p = e + 1;
    bool open_end = true;
    if (*p >= '0' && *p <= '9') {
        if (!parse_dec(p, &e, &b))
            return 1;
        open_end = false;
        p = e;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return 1;
    if (!open_end && b < a)
        return 1; /* invalid, not unsatisfiable: ignored */
    if (a >= size)
        return REEL_ERANGE;
    uint64_t last = open_end || b >= size ? size - 1 : b;
    *first = a;
    *len = last - a + 1;
    return 0;
}

/* ---- listen address -------------------------------------------------------- */

int reel_http_listen_parse(const char *s, struct sockaddr_storage *addr, socklen_t *addr_len,
                           bool *loopback, reel_error *err)
{
    char host[64];
    const char *port_s;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            return reel_error_set(err, REEL_EINVAL, "bad listen address '%.100s' (want [V6]:PORT)",
                                  s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port_s = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || colon == s || (size_t)(colon - s) >= sizeof host ||
            memchr(s, ':', (size_t)(colon - s)))
            return reel_error_set(err, REEL_EINVAL,
                                  "bad listen address '%.100s' (want ADDR:PORT)", s);
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port_s = colon + 1;
    }
    const char *e;
    uint64_t port;
    if (!parse_dec(port_s, &e, &port) || *e || port > 65535)
        return reel_error_set(err, REEL_EINVAL, "bad port in listen address '%.100s'", s);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *addr_len = sizeof *v4;
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *addr_len = sizeof *v6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
        return reel_error_set(err, REEL_EINVAL,
                              "bad listen address '%.100s' (a numeric IPv4/IPv6 address or "
                              "localhost)",
                              s);
    }
    return REEL_OK;
}

/* ---- bearer token ---------------------------------------------------------- */

bool reel_http_bearer_ok(const char *header, const char *token)
{
    if (!header || !token || strncasecmp(header, "Bearer ", 7) != 0)
        return false;
    const char *given = header + 7;
    while (*given == ' ')
        given++;
    size_t gn = strlen(given), tn = strlen(token);
    /* Every byte of the token is compared whatever the given length, so
     * the time taken says nothing about how much of a guess was right. */
    unsigned char diff = (unsigned char)(gn != tn);
    for (size_t i = 0; i < tn; i++)
        diff |= (unsigned char)(token[i] ^ (i < gn ? given[i] : 0));
    return diff == 0 && tn > 0;
}

/* ---- Origin ---------------------------------------------------------------- */

/* Split "scheme://authority" (nothing after it) into the authority's host
 * (brackets removed) and the whole authority. */
static bool origin_split(const char *o, char *host, size_t hcap, const char **authority)
{
    const char *p;
    if (strncasecmp(o, "http://", 7) == 0)
        p = o + 7;
    else if (strncasecmp(o, "https://", 8) == 0)
        p = o + 8;
    else
        return false;
    *authority = p;
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return false;
        if ((size_t)(end - p - 1) >= hcap)
            return false;
        memcpy(host, p + 1, (size_t)(end - p - 1));
        host[end - p - 1] = '\0';
        end++;
    } else {
        end = p + strcspn(p, ":/");
        if (end == p || (size_t)(end - p) >= hcap)
            return false;
        memcpy(host, p, (size_t)(end - p));
        host[end - p] = '\0';
    }
    if (*end == ':') {
        end++;
        if (*end < '0' || *end > '9')
            return false;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    return *end == '\0';
}

bool reel_http_origin_ok(const char *origin, const char *self_url)
{
    char host[256], self_host[256];
    const char *auth, *self_auth;
    if (!origin || !origin_split(origin, host, sizeof host, &auth))
        return false;
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
        return true;
    if (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
        return true;
    return self_url && origin_split(self_url, self_host, sizeof self_host, &self_auth) &&
           strcasecmp(auth, self_auth) == 0 && strncasecmp(origin, self_url, 5) == 0;
}

long reel_ws_frame_parse(const uint8_t *p, size_t n, size_t max, reel_ws_frame *f)
{
    if (n < 2)
        return 0;
    f->fin = p[0] & 0x80;
    f->op = p[0] & 0x0f;
    bool masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7f;
    size_t hl = 2;
    if (!masked || (p[0] & 0x70) || (f->op > 2 && f->op < 8) || f->op > 10)
        return -1002;
    if (len == 126) {
        if (n < 4)
            return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        hl = 4;
    } else if (len == 127) {
        if (n < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        hl = 10;
    }
    if (f->op >= 8 && (!f->fin || len > 125))
        return -1002;
    if (len > max)
        return -1009;
    if (n < hl + 4 || n - hl - 4 < len)
        return 0;
    memcpy(f->mask, p + hl, 4);
    f->header = hl + 4;
    f->len = (size_t)len;
    return (long)(f->header + f->len);
}
