/*
 * http_server.h — reel's HTTP surface (libmicrohttpd): JSON REST over the
 * store (/api/...), server-sent events (/api/events) and the blob API
 * (/blobs/blake3:<hex>), waveform peaks and level meters for the web
 * page, and the page itself. `reel http` serves a store with it; `reel serve`
 * embeds the same server next to its recorders.
 *
 * Owns: the daemon's lifecycle, its limits and its authentication. Must
 * never: listen beyond loopback without a bearer token, store a blob whose
 * bytes do not hash to its name, hold a request body bigger than the JSON
 * limit in memory, or let reel_http_publish block its caller on a client.
 *
 * Threads: one per connection (libmicrohttpd's thread-per-connection
 * mode), bounded by max_connections, plus a guard that closes connections
 * past their header deadline (see http_server.c for the defences against
 * idle and slow clients). Requests read the index through store
 * handles borrowed from the service's pool (reel_service_store_borrow), one
 * per request at a time, never a shared connection; `st` is used for its
 * CAS only.
 */
#ifndef REEL_HTTP_SERVER_H
#define REEL_HTTP_SERVER_H

#include "service/service.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct reel_http reel_http;

/* A file of the web page, served at /web/<name> ("index.html" also at /).
 * The table is the caller's (the `reel` command embeds it at build time);
 * the server never maps a request to a file on disk. */
typedef struct reel_web_file {
    const char *name, *mime;
    const unsigned char *data;
    size_t len;
} reel_web_file;

typedef struct reel_http_opts {
    const char *listen;         /* "ADDR:PORT" (port 0: any free one); NULL: 127.0.0.1:7070 */
    const char *token_file;     /* bearer token (first line); required off loopback */
    uint64_t max_blob_bytes;    /* PUT /blobs body limit; 0: 64 GiB */
    uint64_t max_json_bytes;    /* JSON request body limit; 0: 1 MiB */
    unsigned max_connections;   /* all connections at once; 0: 512 (at most half the fd limit) */
    unsigned max_per_address;   /* connections from one remote address (loopback exempt); 0: 32 */
    unsigned header_timeout_s;  /* request line and headers in by then, trickle or not; 0: 10 s */
    unsigned timeout_s;         /* idle connection timeout (no byte either way); 0: 60 s */
    size_t max_header_bytes;    /* per-connection buffer for request line and headers; 0: 64 KiB */
    reel_service *service;      /* the ops (/api/ops, slices); NULL: the server opens its own
                                   over the same store, without a recorder */
    const reel_web_file *web;   /* the page's files (NULL: / answers 404) */
    size_t n_web;
    size_t peak_cache_bytes;    /* waveform summaries kept in memory; 0: 64 MiB */
} reel_http_opts;

#define REEL_HTTP_DEFAULT_LISTEN "127.0.0.1:7070"

/* Start serving `st` (which must outlive the server). */
int reel_http_open(reel_http **out, reel_store *st, const reel_http_opts *o, reel_error *err);

/* "http://ADDR:PORT" with the port actually bound. */
const char *reel_http_url(const reel_http *h);

/* Send an event to every /api/events client: `event` names it, `json` is
 * its data (one JSON document). Copies into each client's bounded queue
 * and returns; a client whose queue is full is disconnected (it reconnects
 * and misses the backlog) rather than slowing the caller. */
void reel_http_publish(reel_http *h, const char *event, const char *json);

/* The bearer token in a token file: its first line, 16 to cap-1 printable
 * characters (surrounding blanks and the newline are not part of it). */
int reel_http_token_load(const char *path, char *out, size_t cap, reel_error *err);

/* Stop: ends the event streams, waits for the connections' threads. */
void reel_http_close(reel_http *h);

#endif
