/*
 * mcp_internal.h — what the MCP server's files share: the fault a method
 * returns instead of a result, and the methods themselves. Not part of the
 * API.
 *
 * Owns: nothing. Must never: be included outside src/lib/mcp*.c.
 */
#ifndef REEL_MCP_INTERNAL_H
#define REEL_MCP_INTERNAL_H

#include "surface/mcp/mcp.h"

/* A JSON-RPC error a method answers with. `data` (may be NULL) is owned. */
typedef struct mcp_fault {
    int code;
    char msg[REEL_ERROR_MSG_MAX];
    json_t *data;
} mcp_fault;

/* Fill `f`; returns NULL so that methods can `return mcp_fail(...)`. */
json_t *mcp_fail(mcp_fault *f, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Methods: `params` is an object (possibly empty), `s` an initialized
 * session; a result (new reference) or NULL with `f` filled. */
json_t *mcp_tools_list(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                       mcp_fault *f);
json_t *mcp_tools_call(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                       mcp_fault *f);
json_t *mcp_resources_list(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                           mcp_fault *f);
json_t *mcp_resources_read(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                           mcp_fault *f);
json_t *mcp_resource_templates(const reel_mcp *m, const reel_mcp_session *s, json_t *params,
                               mcp_fault *f);

/* Whether the session's revision is `v` or newer (revisions are dates, so
 * they compare as strings): what a result may contain depends on it. */
bool mcp_since(const reel_mcp_session *s, const char *v);

/* The inline limit in effect. */
uint64_t mcp_max_inline_bytes(const reel_mcp *m);

/* The bytes of the stored file an op result names ("path",
 * "content_hash"), checked against the hash and refused over `max` bytes
 * (REEL_EFULL, naming the size). *buf is the caller's to free. */
int mcp_read_content(json_t *doc, uint64_t max, unsigned char **buf, size_t *n, reel_error *err);

/* The resource URI of an artifact document. */
void mcp_artifact_uri(const char *id, char *out, size_t cap);

#endif
