/*
 * http_internal.h — what the HTTP server's files share: the server and
 * per-request structs and the response helpers. Not part of the API.
 *
 * Owns: nothing on its own (http_server.c owns the structs' lifetimes).
 * Must never: be included outside src/lib/http_*.c.
 */
#ifndef REEL_HTTP_INTERNAL_H
#define REEL_HTTP_INTERNAL_H

#include "core/hash.h"
#include "surface/http/http_parse.h"
#include "surface/http/http_server.h"
#include "surface/http/peak_cache.h"

#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

typedef struct http_sse_client http_sse_client;
typedef struct http_conn http_conn;
typedef struct http_mcp http_mcp;
typedef struct http_ws http_ws;

struct reel_http {
    reel_store *st;
    struct MHD_Daemon *d;
    reel_http_opts o;            /* with defaults filled in */
    char token[1024];            /* "" when none */
    char url[96];
    /* the index is read through handles borrowed from the service pool;
     * st is used for its CAS only (blob routes), which is thread-safe */
    reel_service *service;       /* o.service, or own_service */
    reel_service *own_service;
    pthread_mutex_t sse_lock;    /* the client list and every client's queue */
    pthread_cond_t sse_cond;     /* queue grew, or closing */
    http_sse_client *clients;
    bool closing;                /* under sse_lock */
    reel_peak_cache *peaks;      /* waveform summaries (its own lock) */
    http_mcp *mcp;               /* /mcp sessions (http_mcp.c) */
    /* the connection guard (http_server.c): every open connection, its
     * address and its header deadline */
    pthread_mutex_t conn_lock;
    http_conn *conns;            /* under conn_lock */
    pthread_t guard_th;
    bool guard_running;
    /* WebSocket connections (http_ws.c) */
    pthread_mutex_t ws_lock;
    http_ws *ws;                 /* under ws_lock */
    size_t n_ws;
    bool ws_closing;
};

typedef enum http_body_kind { HTTP_BODY_NONE, HTTP_BODY_JSON, HTTP_BODY_BLOB } http_body_kind;

/* One request, from its request line to its completion. */
typedef struct http_req {
    reel_http *h;
    char *uri;                  /* the raw request target, as received */
    reel_http_route route;
    bool started;               /* the first call (headers only) is done */
    http_body_kind body_kind;
    uint64_t limit, received;
    char *body;                 /* HTTP_BODY_JSON: the bytes so far */
    size_t body_cap;
    /* HTTP_BODY_BLOB */
    bool blob_exists;           /* already stored: the body is hashed and dropped */
    int fd;                     /* the temporary file, -1 when none */
    char tmp_path[PATH_MAX];    /* "" when none */
    reel_hasher hasher;
    reel_error io_err;          /* a write failed: the rest is dropped, 500 at the end */
    bool io_failed;
} http_req;

/* Responses. Each queues on `conn` and returns what the handler returns. */
enum MHD_Result http_send_json(struct MHD_Connection *conn, unsigned status, json_t *j);
enum MHD_Result http_send_error(struct MHD_Connection *conn, unsigned status, const char *code,
                                const char *message);
/* The same with reel_error's stable sub-code as "reason" (NULL or "": none). */
enum MHD_Result http_send_error_reason(struct MHD_Connection *conn, unsigned status,
                                       const char *code, const char *reason, const char *message);
/* A libreel failure, mapped to its HTTP status and error code. */
enum MHD_Result http_send_reel_error(struct MHD_Connection *conn, const reel_error *e);
/* The bytes of a stored blob, honouring Range; `mime` is its Content-Type. */
enum MHD_Result http_send_blob(reel_http *h, struct MHD_Connection *conn, const reel_hash *hash,
                               const char *mime, const char *filename);

/* http_blobs.c */
int http_blob_put_begin(http_req *r, struct MHD_Connection *conn, reel_error *err);
void http_blob_put_data(http_req *r, const char *data, size_t n);
enum MHD_Result http_blob_put_end(http_req *r, struct MHD_Connection *conn);
enum MHD_Result http_blobs_list(http_req *r, struct MHD_Connection *conn);
void http_blob_discard(http_req *r);

/* http_api.c */
enum MHD_Result http_api_dispatch(http_req *r, struct MHD_Connection *conn);

/* http_mcp.c: MCP at /mcp */
int http_mcp_open(reel_http *h, reel_error *err);
void http_mcp_close(reel_http *h);
enum MHD_Result http_mcp_handle(http_req *r, struct MHD_Connection *conn);

/* http_server.c */
enum MHD_Result http_events_open(reel_http *h, struct MHD_Connection *conn);

/* http_peaks.c */
enum MHD_Result http_peaks_send(http_req *r, struct MHD_Connection *conn);
enum MHD_Result http_debug_send(http_req *r, struct MHD_Connection *conn); /* /api/debug */

/* http_ws.c: the WebSocket at /api/ws */
enum MHD_Result http_ws_open(reel_http *h, struct MHD_Connection *conn);
void http_ws_close_all(reel_http *h); /* before the daemon stops */

/* http_web.c */
enum MHD_Result http_page_send(http_req *r, struct MHD_Connection *conn);

#endif
