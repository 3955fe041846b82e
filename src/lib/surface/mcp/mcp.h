/*
 * mcp.h — reel as a Model Context Protocol server: JSON-RPC 2.0 messages in,
 * JSON-RPC messages out, independent of the transport (stdio lines in
 * `reel mcp`, POST bodies at /mcp of the HTTP server).
 *
 * The tools are the service's op table (service.h): tools/list is generated
 * from it (name, summary, input schema) and tools/call runs an op through
 * the caller's call function, so MCP refuses the same bad arguments with
 * the same message as the CLI and HTTP. Artifacts are resources:
 * reel://artifact/<id> (the JSON document with lineage, plus the content
 * when small) and reel://artifact/<id>/content (the bytes).
 *
 * Errors follow the specification: a malformed message, an unknown method
 * or bad protocol-level params are JSON-RPC errors; an op that fails
 * (unknown stream, bad argument, no recorder) is a tool result with
 * isError true and the op's message, which the model can read and act on.
 *
 * Owns: message validation, the lifecycle of one session (initialize and
 * version negotiation), the MCP methods. Must never: write to stdout or a
 * socket itself (the transport does), answer a notification, or run an op
 * that is not in the op table.
 */
#ifndef REEL_MCP_H
#define REEL_MCP_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The newest revision reel speaks; initialize answers it to a client that
 * asks for a version reel does not know. */
#define REEL_MCP_PROTOCOL_LATEST "2025-11-25"

enum {
    REEL_RPC_PARSE_ERROR = -32700,
    REEL_RPC_INVALID_REQUEST = -32600,
    REEL_RPC_METHOD_NOT_FOUND = -32601,
    REEL_RPC_INVALID_PARAMS = -32602,
    REEL_RPC_INTERNAL_ERROR = -32603,
    REEL_RPC_SERVER_ERROR = -32000,      /* transport-level refusals (HTTP) */
    REEL_RPC_RESOURCE_NOT_FOUND = -32002 /* the specification's code for resources/read */
};

/* Run op `op` with `args` (an object; borrowed); *out a new reference. The
 * transport decides where ops run (in process, or in a running serve). */
typedef int (*reel_mcp_call_fn)(void *ud, const char *op, json_t *args, json_t **out,
                                reel_error *err);

/* The server: how to run ops, and how much binary content goes inline. */
typedef struct reel_mcp {
    reel_mcp_call_fn call;
    void *ud;
    uint64_t max_inline_bytes; /* audio blocks and resource blobs; 0: 12 MiB */
    double max_audio_seconds;  /* a slice longer than this gets no audio block; 0: 30 s */
} reel_mcp;

/* One client's session: what initialize negotiated. Starts zeroed. */
typedef struct reel_mcp_session {
    char version[16];  /* negotiated protocol revision; "" before initialize */
    bool initialized;  /* notifications/initialized arrived */
} reel_mcp_session;

/* Whether reel speaks protocol revision `v`. */
bool reel_mcp_version_supported(const char *v);

/* Handle one message: a request, a notification, a response (ignored) or,
 * where the negotiated revision has them, a batch. Returns what to send
 * back (a new reference), or NULL when nothing is to be sent. */
json_t *reel_mcp_handle(const reel_mcp *m, reel_mcp_session *s, json_t *msg);

/* The same from the bytes as received: malformed JSON is answered with
 * a parse error (-32700). */
json_t *reel_mcp_handle_text(const reel_mcp *m, reel_mcp_session *s, const char *buf,
                             size_t len);

/* Whether `msg` is one initialize request (which opens a session). */
bool reel_mcp_is_initialize(json_t *msg);

/* {"jsonrpc": "2.0", "id": id or null, "error": {"code", "message"}}; `id`
 * borrowed (NULL: null). For transports that refuse a message themselves. */
json_t *reel_mcp_error(json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
