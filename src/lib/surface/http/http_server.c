/*
 * http_server.c — the daemon: listening socket, limits, authentication,
 * the request state machine (headers, body, dispatch), JSON errors and the
 * server-sent event fan-out. Routes live in http_api.c and http_blobs.c.
 *
 * Slow and idle clients. libmicrohttpd's own connection timeout is an idle
 * timeout that every byte resets, so by itself it lets a client that
 * trickles a header byte now and then hold a connection for ever; and each
 * connection costs a thread here (thread-per-connection: the event stream
 * and MCP handlers block on their connection's thread, which rules out the
 * epoll mode). The defences, in the order a connection meets them:
 *  - capacity: a high total limit (max_connections, 512; poll, not select,
 *    so descriptors past 1024 work), so that hundreds of idle sockets do
 *    not fill the server; at the limit libmicrohttpd stops accepting and
 *    new clients wait in the listen backlog until a slot frees;
 *  - a per-address limit (max_per_address, 32) in the accept policy, so
 *    that one remote host cannot take the capacity for itself. Loopback
 *    peers are exempt: they are local processes (or a reverse proxy that
 *    makes every client loopback), and a limit there would lock the local
 *    user out together with the attacker;
 *  - the header deadline (header_timeout_s, 10 s): a connection must
 *    deliver its request line and headers within that time of being
 *    accepted (or of its previous request ending, on keep-alive), however
 *    its bytes trickle in. A guard thread shuts such connections down; it
 *    is also the keep-alive idle limit. An idle or slowloris socket thus
 *    holds a slot for at most that long, and capacity outlasts them;
 *  - a request without a valid token is answered 401 and the connection
 *    closed at once (its body, if any, is never read), so without the
 *    token nothing lasts longer than the header deadline;
 *  - once a request is in, the idle timeout (timeout_s) ends transfers
 *    that stall.
 * With every attacker on the same loopback address as the normal client
 * (the test in tests/integration/http_slowloris.sh), deadlines and
 * capacity are what keep the client served; the per-address limit is the
 * defence against one remote host, checked in the same test when the
 * machine has a non-loopback address.
 *
 * Must never: route on a path libmicrohttpd decoded (the raw request target
 * is captured in the URI log callback and parsed by http_parse.c), answer
 * anything but 401 before a token matched, keep a connection whose token
 * did not match, or let a slow event client hold the publisher.
 */
#include "surface/http/http_internal.h"

#include "core/fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SSE_QUEUE_BYTES (256u << 10) /* per client; a fuller queue drops the client */

/* ---- responses ------------------------------------------------------------ */

/* Queue `j` (released here) as a JSON body with a trailing newline, plus
 * one optional header. */
static enum MHD_Result send_json_body(struct MHD_Connection *conn, unsigned status, json_t *j,
                                      size_t dump_flags, bool no_store, const char *hname,
                                      const char *hval, bool close_after)
{
    char *s = j ? json_dumps(j, dump_flags) : NULL;
    json_decref(j);
    if (!s)
        return MHD_NO; /* out of memory: drop the connection */
    size_t n = strlen(s);
    char *body = realloc(s, n + 2);
    if (!body) {
        free(s);
        return MHD_NO;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n + 1, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (no_store)
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (hname)
        MHD_add_response_header(resp, hname, hval);
    if (close_after) /* libmicrohttpd closes after sending, the body unread */
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_send_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
    return send_json_body(conn, status, j, JSON_COMPACT | JSON_SORT_KEYS, true, NULL, NULL,
                          false);
}

static enum MHD_Result send_error_close(struct MHD_Connection *conn, unsigned status,
                                        const char *code, const char *message,
                                        const char *hname, const char *hval, bool close_after)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
    return send_json_body(conn, status, j, JSON_COMPACT, false, hname, hval, close_after);
}


/* {"error": {"code", "message"}}, and "reason" (reel_error's stable
 * sub-code) when the failure has one. */
static enum MHD_Result send_error_with(struct MHD_Connection *conn, unsigned status,
                                       const char *code, const char *reason, const char *message,
                                       const char *hname, const char *hval)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
    if (j && reason && reason[0])
        json_object_set_new(json_object_get(j, "error"), "reason", json_string(reason));
    return send_json_body(conn, status, j, JSON_COMPACT, false, hname, hval, false);
}

enum MHD_Result http_send_error(struct MHD_Connection *conn, unsigned status, const char *code,
                                const char *message)
{
    return send_error_with(conn, status, code, NULL, message, NULL, NULL);
}

enum MHD_Result http_send_error_reason(struct MHD_Connection *conn, unsigned status,
                                       const char *code, const char *reason, const char *message)
{
    return send_error_with(conn, status, code, reason, message, NULL, NULL);
}

enum MHD_Result http_send_reel_error(struct MHD_Connection *conn, const reel_error *e)
{
    unsigned status = 500;
    switch (e->code) {
    case REEL_EINVAL: status = 400; break;
    case REEL_ENOENT: status = 404; break;
    case REEL_EEXIST:
    case REEL_EAMBIG:
    case REEL_ESTATE:
    case REEL_ECONFLICT: status = 409; break;
    case REEL_ERANGE:
    case REEL_EFORMAT: status = 422; break;
    case REEL_ENOMEM:
    case REEL_EFULL:
    case REEL_EDEVICE: status = 503; break;
    default: break;
    }
    const char *code = reel_error_code_name(e->code);
    return http_send_error_reason(conn, status, code, e->reason,
                                  e->msg[0] ? e->msg : reel_strerror(e->code));
}

/* ---- server-sent events ----------------------------------------------------- */

struct http_sse_client {
    reel_http *h;
    http_sse_client *next;
    char *q;        /* queued bytes [0, len) */
    size_t len;
    bool overflow;  /* the queue filled up: end this stream */
    bool hello;     /* the opening comment is queued */
};

static void sse_deadline(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Runs on the connection's own thread (thread-per-connection), so it may
 * wait: for an event, for the keep-alive interval (a comment line, which
 * also finds out when the client went away), or for the server closing. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    http_sse_client *c = cls;
    reel_http *h = c->h;
    (void)pos;
    unsigned keepalive_ms = h->o.timeout_s * 1000 / 3;
    if (keepalive_ms < 200)
        keepalive_ms = 200;
    if (keepalive_ms > 15000)
        keepalive_ms = 15000;
    pthread_mutex_lock(&h->sse_lock);
    struct timespec until;
    sse_deadline(&until, keepalive_ms);
    while (c->len == 0 && !c->overflow && !h->closing) {
        if (pthread_cond_timedwait(&h->sse_cond, &h->sse_lock, &until) == ETIMEDOUT)
            break;
    }
    ssize_t n;
    if (h->closing || c->overflow) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (c->len == 0) {
        static const char ka[] = ":\n\n";
        n = (ssize_t)(max < sizeof ka - 1 ? max : sizeof ka - 1);
        memcpy(buf, ka, (size_t)n);
    } else {
        size_t k = c->len < max ? c->len : max;
        memcpy(buf, c->q, k);
        memmove(c->q, c->q + k, c->len - k);
        c->len -= k;
        n = (ssize_t)k;
    }
    pthread_mutex_unlock(&h->sse_lock);
    return n;
}

static void sse_free(void *cls)
{
    http_sse_client *c = cls;
    reel_http *h = c->h;
    pthread_mutex_lock(&h->sse_lock);
    for (http_sse_client **p = &h->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_mutex_unlock(&h->sse_lock);
    free(c->q);
    free(c);
}

enum MHD_Result http_events_open(reel_http *h, struct MHD_Connection *conn)
{
    http_sse_client *c = calloc(1, sizeof *c);
    if (c)
        c->q = malloc(SSE_QUEUE_BYTES);
    if (!c || !c->q) {
        if (c)
            free(c);
        return http_send_error(conn, 503, "out_of_memory", "out of memory");
    }
    c->h = h;
    static const char hello[] = ": reel events\nretry: 2000\n\n";
    memcpy(c->q, hello, sizeof hello - 1);
    c->len = sizeof hello - 1;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, c, sse_free);
    if (!resp) {
        free(c->q);
        free(c);
        return MHD_NO;
    }
    pthread_mutex_lock(&h->sse_lock);
    c->next = h->clients;
    h->clients = c;
    pthread_mutex_unlock(&h->sse_lock);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp); /* the client is freed with the response (sse_free) */
    return ret;
}


/* "event: NAME\ndata: LINE\n...\n\n": a newline inside the JSON starts a
 * new data line (the client joins them back with '\n'). */
static size_t sse_format(char *out, size_t cap, const char *event, const char *json)
{
    size_t k = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (out && k < cap)                                                                        \
            out[k] = (ch);                                                                         \
        k++;                                                                                       \
    } while (0)
    for (const char *p = "event: "; *p; p++)
        PUT(*p);
    for (const char *p = event; *p; p++)
        PUT((*p == '\n' || *p == '\r') ? '_' : *p);
    PUT('\n');
    for (const char *p = "data: "; *p; p++)
        PUT(*p);
    for (const char *p = json; *p; p++) {
        if (*p == '\r')
            continue;
        PUT(*p);
        if (*p == '\n')
            for (const char *d = "data: "; *d; d++)
                PUT(*d);
    }
    PUT('\n');
    PUT('\n');
#undef PUT
    return k;
}

void reel_http_publish(reel_http *h, const char *event, const char *json)
{
    if (!h || !event || !json)
        return;
    size_t n = sse_format(NULL, 0, event, json);
    if (n > SSE_QUEUE_BYTES)
        return; /* an event no client could ever hold */
    char stackbuf[4096];
    char *msg = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!msg)
        return;
    sse_format(msg, n, event, json);
    pthread_mutex_lock(&h->sse_lock);
    for (http_sse_client *c = h->clients; c; c = c->next) {
        if (c->overflow)
            continue;
        if (c->len + n > SSE_QUEUE_BYTES) {
            c->overflow = true;
            continue;
        }
        memcpy(c->q + c->len, msg, n);
        c->len += n;
    }
    pthread_cond_broadcast(&h->sse_cond);
    pthread_mutex_unlock(&h->sse_lock);
    if (msg != stackbuf)
        free(msg);
}

/* ---- the connection guard ------------------------------------------------------ */

struct http_conn {
    http_conn *next, **pprev;
    int fd;                      /* libmicrohttpd's socket; closed only after CLOSED */
    struct sockaddr_storage addr;
    bool loopback;
    bool in_request;             /* headers are in: the deadline is off */
    bool cut;                    /* the guard shut it down */
    uint64_t deadline_ns;        /* CLOCK_MONOTONIC; for the request line and headers */
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool addr_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false; /* a Unix socket cannot reach this server */
}

/* The same peer address (the port aside). */
static bool addr_same(const struct sockaddr_storage *x, const struct sockaddr *y)
{
    if (x->ss_family != y->sa_family)
        return false;
    if (y->sa_family == AF_INET)
        return ((const struct sockaddr_in *)x)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)y)->sin_addr.s_addr;
    if (y->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
                      &((const struct sockaddr_in6 *)y)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

/* Accept policy: the per-address limit. libmicrohttpd accepts on one
 * thread and reports STARTED for a connection before it accepts the next,
 * so the list counts every connection this one competes with. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    reel_http *h = cls;
    if (!addr || addrlen == 0 || addr_loopback(addr))
        return MHD_YES;
    unsigned n = 0;
    pthread_mutex_lock(&h->conn_lock);
    for (http_conn *c = h->conns; c; c = c->next)
        if (addr_same(&c->addr, addr))
            n++;
    pthread_mutex_unlock(&h->conn_lock);
    return n < h->o.max_per_address ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    reel_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_conn *c = *socket_context;
        if (!c)
            return;
        pthread_mutex_lock(&h->conn_lock);
        *c->pprev = c->next;
        if (c->next)
            c->next->pprev = c->pprev;
        pthread_mutex_unlock(&h->conn_lock);
        free(c);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    http_conn *c = calloc(1, sizeof *c);
    if (!c || !fi) {
        free(c);
        if (fi) /* no memory to guard it: do not keep it */
            shutdown(fi->connect_fd, SHUT_RDWR);
        *socket_context = NULL;
        return;
    }
    c->fd = fi->connect_fd;
    if (ai && ai->client_addr) {
        size_t len = ai->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                            : sizeof(struct sockaddr_in);
        memcpy(&c->addr, ai->client_addr, len);
        c->loopback = addr_loopback(ai->client_addr);
    }
    c->deadline_ns = mono_ns() + (uint64_t)h->o.header_timeout_s * 1000000000u;
    pthread_mutex_lock(&h->conn_lock);
    c->next = h->conns;
    if (c->next)
        c->next->pprev = &c->next;
    c->pprev = &h->conns;
    h->conns = c;
    pthread_mutex_unlock(&h->conn_lock);
    *socket_context = c;
}

/* Headers are in (in_request), or a request ended and the connection now
 * waits for the next one: its header deadline starts again. */
static void conn_mark(reel_http *h, struct MHD_Connection *conn, bool in_request)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http_conn *c = i ? i->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&h->conn_lock);
    c->in_request = in_request;
    if (!in_request)
        c->deadline_ns = mono_ns() + (uint64_t)h->o.header_timeout_s * 1000000000u;
    pthread_mutex_unlock(&h->conn_lock);
}

/* Wait up to `ms` for the server to close; true once it is closing. */
static bool http_closing_wait(reel_http *h, unsigned ms)
{
    struct timespec until;
    sse_deadline(&until, ms);
    pthread_mutex_lock(&h->sse_lock);
    while (!h->closing)
        if (pthread_cond_timedwait(&h->sse_cond, &h->sse_lock, &until) == ETIMEDOUT)
            break;
    bool closing = h->closing;
    pthread_mutex_unlock(&h->sse_lock);
    return closing;
}

/* Every 200 ms, shut down the connections past their header deadline.
 * The socket stays libmicrohttpd's: shutdown only wakes its thread, which
 * reads the end of the stream and closes the connection itself; the fd is
 * still open (CLOSED is reported before libmicrohttpd closes it, and an
 * entry leaves the list under the same lock). */
static void *guard_main(void *arg)
{
    reel_http *h = arg;
    while (!http_closing_wait(h, 200)) {
        uint64_t now = mono_ns();
        pthread_mutex_lock(&h->conn_lock);
        for (http_conn *c = h->conns; c; c = c->next)
            if (!c->in_request && !c->cut && now >= c->deadline_ns) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = true;
            }
        pthread_mutex_unlock(&h->conn_lock);
    }
    return NULL;
}

/* ---- requests --------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->h = cls;
    r->fd = -1;
    r->uri = strdup(uri);
    if (!r->uri) {
        free(r);
        return NULL;
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    conn_mark(cls, conn, false);
    http_req *r = *con_cls;
    if (!r)
        return;
    http_blob_discard(r); /* a body cut short leaves nothing behind */
    free(r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

/* Every Content-Length value, each header and each element of a list
 * ("5, 5"), must be the same number: a request whose length is ambiguous
 * is refused (RFC 9110 8.6), not framed by whichever one was first. */
typedef struct clen_scan {
    unsigned n;        /* values seen */
    uint64_t value;    /* the first */
    bool bad;          /* not a number, or two different ones */
} clen_scan;

static void clen_value(clen_scan *s, const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t'))
        v++, len--;
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    uint64_t x = 0;
    if (len == 0 || len > 19)
        s->bad = true;
    for (size_t i = 0; i < len && !s->bad; i++) {
        if (v[i] < '0' || v[i] > '9')
            s->bad = true;
        else
            x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (s->bad)
        return;
    if (s->n++ == 0)
        s->value = x;
    else if (x != s->value)
        s->bad = true;
}

static enum MHD_Result clen_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    if (!key || strcasecmp(key, "Content-Length") != 0)
        return MHD_YES;
    const char *v = value ? value : "";
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t len = comma ? (size_t)(comma - v) : strlen(v);
        clen_value(cls, v, len);
        if (!comma)
            break;
        v = comma + 1;
    }
    return MHD_YES;
}

/* 1: a length in *out; 0: none; -1: ambiguous or malformed. */
static int content_length(struct MHD_Connection *conn, uint64_t *out)
{
    clen_scan s = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, clen_header, &s);
    if (s.bad)
        return -1;
    if (s.n == 0)
        return 0;
    *out = s.value;
    return 1;
}

/* The first call: headers are in, no body yet. Decide whether this request
 * goes on (return MHD_YES without a response: libmicrohttpd then sends
 * "100 Continue" if asked) or is answered now. */
static enum MHD_Result begin(http_req *r, struct MHD_Connection *conn, const char *method)
{
    reel_http *h = r->h;
    conn_mark(h, conn, true);
    if (h->token[0]) {
        const char *auth =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!reel_http_bearer_ok(auth, h->token))
            return send_error_close(conn, 401, "unauthorized",
                                    auth ? "wrong bearer token" : "this server needs "
                                                                  "'Authorization: Bearer <token>'",
                                    "WWW-Authenticate", "Bearer realm=\"reel\"", true);
    }
    uint64_t clen = 0;
    int has_len = content_length(conn, &clen);
    if (has_len < 0) /* the body's end is unknown: the connection cannot go on */
        return send_error_close(conn, 400, "bad_request",
                                "Content-Length headers that disagree, or one that is not a "
                                "number",
                                NULL, NULL, true);
    /* Both framings at once is how requests are smuggled past a proxy
     * (RFC 9112 6.1): refused rather than guessed. */
    if (has_len > 0 &&
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return send_error_close(conn, 400, "bad_request",
                                "both Content-Length and Transfer-Encoding", NULL, NULL, true);
    reel_error e;
    reel_error_clear(&e);
    int st = reel_http_route_parse(method, r->uri, &r->route, &e);
    if (st == 405)
        return send_error_with(conn, 405, r->route.code, NULL, e.msg, "Allow", r->route.allow);
    if (st != 200)
        return http_send_error(conn, (unsigned)st, r->route.code, e.msg);
    if (r->route.kind == REEL_ROUTE_BLOB && r->route.method == REEL_HTTP_PUT) {
        r->body_kind = HTTP_BODY_BLOB;
        r->limit = h->o.max_blob_bytes;
    } else if (r->route.method == REEL_HTTP_POST) {
        r->body_kind = HTTP_BODY_JSON;
        r->limit = h->o.max_json_bytes;
    } else {
        r->body_kind = HTTP_BODY_NONE; /* a body on GET is read and dropped, within the limit */
        r->limit = h->o.max_json_bytes;
    }
    if (has_len > 0 && clen > r->limit) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body of %llu bytes is over the limit of %llu",
                 (unsigned long long)clen, (unsigned long long)r->limit);
        return http_send_error(conn, 413, "payload_too_large", msg);
    }
    if (r->body_kind == HTTP_BODY_BLOB && http_blob_put_begin(r, conn, &e))
        return http_send_reel_error(conn, &e);
    return MHD_YES;
}

static bool body_data(http_req *r, const char *data, size_t n)
{
    if (n > r->limit - r->received)
        return false; /* a chunked body past the limit: the connection is dropped */
    r->received += n;
    if (r->body_kind == HTTP_BODY_BLOB) {
        http_blob_put_data(r, data, n);
    } else if (r->body_kind == HTTP_BODY_JSON) {
        size_t need = (size_t)r->received + 1;
        if (need > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < need)
                cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b)
                return false;
            r->body = b;
            r->body_cap = cap;
        }
        memcpy(r->body + r->received - n, data, n);
        r->body[r->received] = '\0';
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls, (void)url, (void)version;
    http_req *r = *con_cls;
    if (!r)
        return MHD_NO; /* the URI callback could not allocate */
    if (!r->started) {
        r->started = true;
        return begin(r, conn, method);
    }
    if (*upload_data_size > 0) {
        bool ok = body_data(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ok ? MHD_YES : MHD_NO;
    }
    if (r->body_kind == HTTP_BODY_BLOB)
        return http_blob_put_end(r, conn);
    if (r->route.kind == REEL_ROUTE_BLOB)
        return http_send_blob(r->h, conn, &r->route.hash, "application/octet-stream", NULL);
    if (r->route.kind == REEL_ROUTE_BLOBS)
        return http_blobs_list(r, conn);
    if (r->route.kind == REEL_ROUTE_EVENTS)
        return http_events_open(r->h, conn);
    if (r->route.kind == REEL_ROUTE_WS)
        return http_ws_open(r->h, conn);
    if (r->route.kind == REEL_ROUTE_PAGE)
        return http_page_send(r, conn);
    if (r->route.kind == REEL_ROUTE_STREAM_PEAKS)
        return http_peaks_send(r, conn);
    if (r->route.kind == REEL_ROUTE_DEBUG)
        return http_debug_send(r, conn);
    if (r->route.kind == REEL_ROUTE_MCP)
        return http_mcp_handle(r, conn);
    return http_api_dispatch(r, conn);
}

/* ---- lifecycle ---------------------------------------------------------------- */

int reel_http_token_load(const char *path, char *out, size_t cap, reel_error *err)
{
    char *text;
    size_t len;
    int rc = reel_fs_read_all(path, &text, &len, err);
    if (rc)
        return rc;
    size_t n = strcspn(text, "\r\n");
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    bool ok = n >= 16 && n < cap && strlen(text) >= n;
    for (size_t i = 0; ok && i < n; i++)
        ok = text[i] > 0x20 && text[i] < 0x7f;
    if (ok) {
        memcpy(out, text, n);
        out[n] = '\0';
    }
    free(text);
    if (!ok)
        return reel_error_set(err, REEL_EINVAL,
                              "token file %s: want one line of 16 to %zu printable characters",
                              path, cap - 1);
    return REEL_OK;
}

static int listen_socket(reel_http *h, const char *spec, int *out, reel_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    bool loopback;
    int rc = reel_http_listen_parse(spec, &ss, &sl, &loopback, err);
    if (rc)
        return rc;
    if (!loopback && !h->token[0])
        return reel_error_set(err, REEL_EINVAL,
                              "refusing to listen on %s without a token: it is reachable from "
                              "other machines (give --token-file)",
                              spec);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return reel_error_set(err, REEL_EIO, "cannot create a socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, REEL_EIO, "cannot listen on %s: %s", spec, strerror(e));
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(fd, (struct sockaddr *)&got, &gl);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (got.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&got;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(h->url, sizeof h->url, "http://%s:%u", host, port);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&got;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(h->url, sizeof h->url, "http://[%s]:%u", host, port);
    }
    *out = fd;
    return REEL_OK;
}

/* Service events become server-sent events of the same name. */
static void on_service_event(void *ud, const char *event, json_t *data)
{
    char *txt = json_dumps(data, JSON_COMPACT);
    if (txt)
        reel_http_publish(ud, event, txt);
    free(txt);
}

int reel_http_open(reel_http **out, reel_store *st, const reel_http_opts *o, reel_error *err)
{
    reel_http *h = calloc(1, sizeof *h);
    if (!h)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    h->st = st;
    if (o)
        h->o = *o;
    if (!h->o.listen)
        h->o.listen = REEL_HTTP_DEFAULT_LISTEN;
    if (!h->o.max_blob_bytes)
        h->o.max_blob_bytes = 64ull << 30;
    if (!h->o.max_json_bytes)
        h->o.max_json_bytes = 1u << 20;
    if (!h->o.max_connections)
        h->o.max_connections = 512;
    /* Each connection is a descriptor: keep half the process's for the
     * store, the recorders and the rest. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        h->o.max_connections > nofile.rlim_cur / 2)
        h->o.max_connections = nofile.rlim_cur / 2 > 8 ? (unsigned)(nofile.rlim_cur / 2) : 8;
    if (!h->o.max_per_address)
        h->o.max_per_address = 32;
    if (!h->o.header_timeout_s)
        h->o.header_timeout_s = 10;
    if (!h->o.timeout_s)
        h->o.timeout_s = 60;
    if (!h->o.max_header_bytes)
        h->o.max_header_bytes = 64u << 10;
    if (h->o.max_header_bytes < 4096)
        h->o.max_header_bytes = 4096;
    int rc = 0;
    if (h->o.token_file &&
        (rc = reel_http_token_load(h->o.token_file, h->token, sizeof h->token, err))) {
        free(h);
        return rc;
    }
    h->service = h->o.service;
    if (!h->service && (rc = reel_service_open(&h->own_service, reel_store_root(st), err))) {
        free(h);
        return rc;
    }
    if (!h->service)
        h->service = h->own_service;
    int fd;
    if ((rc = listen_socket(h, h->o.listen, &fd, err))) {
        reel_service_close(h->own_service);
        free(h);
        return rc;
    }
    if ((rc = reel_peak_cache_open(&h->peaks, h->o.peak_cache_bytes, err))) {
        close(fd);
        reel_service_close(h->own_service);
        free(h);
        return rc;
    }
    if ((rc = http_mcp_open(h, err))) {
        close(fd);
        reel_peak_cache_close(h->peaks);
        reel_service_close(h->own_service);
        free(h);
        return rc;
    }
    pthread_mutex_init(&h->sse_lock, NULL);
    pthread_mutex_init(&h->conn_lock, NULL);
    pthread_mutex_init(&h->ws_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->sse_cond, &ca);
    pthread_condattr_destroy(&ca);
    const char *h_listen = h->o.listen;
    /* poll, not select: with hundreds of connections descriptors pass
     * FD_SETSIZE. */
    h->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_UPGRADE, 0,
        on_accept, h,
        on_request, h, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, h, MHD_OPTION_CONNECTION_LIMIT, h->o.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, h->o.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        h->o.max_header_bytes, MHD_OPTION_END);
    if (!h->d) {
        close(fd);
        reel_peak_cache_close(h->peaks);
        http_mcp_close(h);
        pthread_cond_destroy(&h->sse_cond);
        pthread_mutex_destroy(&h->sse_lock);
        pthread_mutex_destroy(&h->conn_lock);
        reel_service_close(h->own_service);
        free(h);
        return reel_error_set(err, REEL_EIO, "cannot start the HTTP server on %s", h_listen);
    }
    if (pthread_create(&h->guard_th, NULL, guard_main, h) != 0) {
        reel_http_close(h);
        return reel_error_set(err, REEL_ENOMEM, "cannot start the HTTP connection guard");
    }
    h->guard_running = true;
    reel_service_subscribe(h->service, on_service_event, h);
    *out = h;
    return REEL_OK;
}

const char *reel_http_url(const reel_http *h)
{
    return h->url;
}

void reel_http_close(reel_http *h)
{
    if (!h)
        return;
    reel_service_unsubscribe(h->service, on_service_event, h);
    pthread_mutex_lock(&h->sse_lock);
    h->closing = true;
    pthread_cond_broadcast(&h->sse_cond);
    pthread_mutex_unlock(&h->sse_lock);
    if (h->guard_running)
        pthread_join(h->guard_th, NULL);
    http_ws_close_all(h); /* upgraded connections are ours to close, before the daemon's */
    MHD_stop_daemon(h->d); /* closes the listening socket, joins every connection */
    reel_peak_cache_close(h->peaks);
    http_mcp_close(h);
    pthread_cond_destroy(&h->sse_cond);
    pthread_mutex_destroy(&h->sse_lock);
    pthread_mutex_destroy(&h->conn_lock);
    pthread_mutex_destroy(&h->ws_lock);
    reel_service_close(h->own_service);
    free(h);
}
