/*
 * http_parse.h — the parts of an HTTP request that reel itself interprets:
 * the route (method + raw path + query), the Range header, the listen
 * address and the bearer token (blob names are core/hash.h's, slice bodies
 * slice/slice_args.h's).
 *
 * Owns: those grammars and their rejections. Pure functions over bytes, no
 * I/O and no libmicrohttpd, so they are unit-tested and fuzzed alone.
 * Must never: turn anything from a request into a filesystem path (a route
 * yields names — stream URIs, artifact ids, hashes — that the store looks
 * up), accept a dot segment, an empty segment, a NUL or a malformed
 * percent-escape, or read past the bytes it was given.
 */
#ifndef REEL_HTTP_PARSE_H
#define REEL_HTTP_PARSE_H

#include "core/hash.h"
#include "core/op.h"
#include "slice/slice_args.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum reel_http_route_kind {
    REEL_ROUTE_NONE,
    REEL_ROUTE_STREAMS,          /* GET  /api/streams */
    REEL_ROUTE_STREAM,           /* GET  /api/streams/{uri} */
    REEL_ROUTE_STREAM_SLICE,     /* POST /api/streams/{uri}/slice */
    REEL_ROUTE_STREAM_PEAKS,     /* GET  /api/streams/{uri}/peaks[?from=T&to=T&bins=N] */
    REEL_ROUTE_STREAM_MOMENTS,   /* GET  /api/streams/{uri}/moments */
    REEL_ROUTE_ARTIFACTS,        /* GET  /api/artifacts[?tag=T...] */
    REEL_ROUTE_ARTIFACT,         /* GET  /api/artifacts/{id} */
    REEL_ROUTE_ARTIFACT_CONTENT, /* GET  /api/artifacts/{id}/content */
    REEL_ROUTE_EVENTS,           /* GET  /api/events */
    REEL_ROUTE_WS,               /* GET  /api/ws (a WebSocket upgrade) */
    REEL_ROUTE_BLOBS,            /* GET  /blobs (the list of content hashes) */
    REEL_ROUTE_BLOB,             /* GET|HEAD|PUT /blobs/blake3:<64 hex> */
    REEL_ROUTE_OPS,              /* GET  /api/ops (every op with its schema) */
    REEL_ROUTE_OP,               /* POST /api/ops/{name} (body: the arguments) */
    REEL_ROUTE_PAGE,             /* GET  / and /web/{name}: the web page's files */
    REEL_ROUTE_SESSIONS,         /* GET|POST /api/sessions */
    REEL_ROUTE_SESSION,          /* GET  /api/sessions/{id} */
    REEL_ROUTE_SESSION_PLAY,     /* POST /api/sessions/{id}/play */
    REEL_ROUTE_SESSION_STOP,     /* POST /api/sessions/{id}/stop */
    REEL_ROUTE_SESSION_EXPORT,   /* GET  /api/sessions/{id}/export?format=json|archive */
    REEL_ROUTE_DEBUG, /* GET /api/debug: the server's own counters */
    REEL_ROUTE_MCP,              /* POST|DELETE /mcp (MCP, streamable HTTP) */
    /* GET /api/{collection}[/{id}[/{sub}]] of a registered read resource
     * (core/op.h: REEL_OP_RESOURCE), answered by route->op */
    REEL_ROUTE_RESOURCE,
} reel_http_route_kind;

typedef enum reel_http_method {
    REEL_HTTP_GET = 1,
    REEL_HTTP_HEAD = 2,
    REEL_HTTP_PUT = 4,
    REEL_HTTP_POST = 8,
    REEL_HTTP_OTHER = 16,
    REEL_HTTP_DELETE = 32,
} reel_http_method;

#define REEL_HTTP_PARAM_MAX 512 /* a stream URI (REEL_URI_MAX) or an artifact id */
#define REEL_HTTP_MAX_TAGS 16
#define REEL_HTTP_TAG_MAX 128
#define REEL_HTTP_PEAK_BINS_MAX 20000
#define REEL_HTTP_PEAK_BINS_DEFAULT 800

typedef struct reel_http_route {
    reel_http_route_kind kind;
    reel_http_method method;
    char param[REEL_HTTP_PARAM_MAX]; /* decoded stream URI or artifact id */
    reel_hash hash;                  /* REEL_ROUTE_BLOB */
    char tags[REEL_HTTP_MAX_TAGS][REEL_HTTP_TAG_MAX]; /* REEL_ROUTE_ARTIFACTS ?tag= */
    size_t n_tags;
    /* REEL_ROUTE_STREAM_PEAKS: the window (default -120s .. head) and the
     * number of bins (default 800, at most REEL_HTTP_PEAK_BINS_MAX). */
    reel_timespec from, to;
    uint32_t bins;
    char format[16];   /* REEL_ROUTE_SESSION_EXPORT ?format= ("json" when absent) */
    /* REEL_ROUTE_RESOURCE: the registration, the op that answers, and (for
     * an item) the query keys its get op takes with their decoded values;
     * param holds the item's id ("" for the list) */
    const reel_op_resource *resource;
    const char *op;
    const char *qkey[REEL_OP_RESOURCE_QUERY_MAX];
    char qval[REEL_OP_RESOURCE_QUERY_MAX][REEL_HTTP_TAG_MAX];
    size_t n_q;
    char allow[32];    /* on 405: the methods the route takes ("GET, HEAD") */
    const char *code;  /* on failure: the JSON error code ("bad_path", ...) */
} reel_http_route;

reel_http_method reel_http_method_parse(const char *method);

/* Match `method` and the raw request target `uri` (path and query, still
 * percent-encoded) against the routes. REEL_ROUTE_PAGE's param is the
 * file name ("index.html" for "/"): letters, digits, '-', '_' and dots,
 * never starting with a dot. Returns the HTTP status the request
 * earns so far: 200 when a route matched, 400 for a malformed path or query
 * (bad escape, dot or empty segment, bad blob name, bad resource id,
 * unknown query key), 404 for no such route (an unregistered resource
 * collection or sub-resource), 405 when the route exists but not for this method
 * (route->allow lists the right ones). On failure err says why and
 * route->code names it. */
int reel_http_route_parse(const char *method, const char *uri, reel_http_route *route,
                          reel_error *err);

/* Decode %XX escapes of s[0..n) into out (cap bytes, NUL-terminated).
 * With `plus_space` a '+' becomes ' ' (query strings). Rejects a bad
 * escape, %00 or any control byte, and output that does not fit. */
int reel_http_pct_decode(const char *s, size_t n, bool plus_space, char *out, size_t cap,
                         reel_error *err);



/* A Range header against a resource of `size` bytes. Returns 0 with the
 * byte window [*first, *first + *len) for one satisfiable `bytes=` range;
 * 1 when the header is to be ignored (not a bytes unit, several ranges,
 * malformed: the whole resource is served, as RFC 9110 allows); REEL_ERANGE
 * when no byte of the range exists (416). */
int reel_http_range_parse(const char *hdr, uint64_t size, uint64_t *first, uint64_t *len);


/* "ADDR:PORT", "[V6ADDR]:PORT" or "localhost:PORT" (numeric addresses only:
 * no name lookup). Port 0 asks the kernel for a free one. *loopback tells
 * whether only this machine can connect. */
int reel_http_listen_parse(const char *s, struct sockaddr_storage *addr, socklen_t *addr_len,
                           bool *loopback, reel_error *err);

/* An Origin header a browser sent with a request to /mcp: only pages of
 * this machine (localhost, 127.0.0.0/8, [::1]) or of the server's own
 * address `self_url` ("http://HOST:PORT") may talk to it, so that a page
 * elsewhere cannot reach a loopback server through DNS rebinding. */
bool reel_http_origin_ok(const char *origin, const char *self_url);

/* The token of an "Authorization: Bearer <token>" header value, compared
 * in time independent of where the bytes differ. */
bool reel_http_bearer_ok(const char *header, const char *token);

/* ---- WebSocket frames (RFC 6455 section 5.2), as a client sends them ---- */

typedef struct reel_ws_frame {
    bool fin;
    int op;        /* 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong */
    size_t header; /* bytes before the payload (with the mask) */
    size_t len;    /* payload bytes */
    uint8_t mask[4];
} reel_ws_frame;

/* The client frame at the start of p[0..n): its total size (header and
 * payload, all inside p) when complete, 0 when more bytes are needed, or
 * minus the close code to answer with: -1002 (not masked, reserved bits
 * or opcode, a control frame fragmented or over 125 bytes), -1009 (a
 * payload over `max`). */
long reel_ws_frame_parse(const uint8_t *p, size_t n, size_t max, reel_ws_frame *f);

#endif
