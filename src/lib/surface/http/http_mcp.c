/*
 * http_mcp.c — MCP's Streamable HTTP transport at /mcp: each POST carries
 * one JSON-RPC message (mcp.c answers it), answered as application/json,
 * or as a one-event text/event-stream when the client accepts only that.
 *
 * Sessions: initialize opens one and its answer carries an Mcp-Session-Id
 * (256 random bits, hex); every later POST must name it (400 without, 404
 * for an unknown or ended one), and DELETE ends it. MCP-Protocol-Version,
 * when sent, must be a version reel speaks (else 400); like the reference
 * SDK, any of them is accepted, not only the one the session negotiated
 * (which still governs the session: the specification has the client send
 * the negotiated one, but the server reject only unsupported ones). An
 * Origin header from anywhere but this machine is refused (403), so a web
 * page cannot drive a loopback server through DNS rebinding; the bearer
 * token rules are the server's (checked before a request gets here). GET
 * is 405: reel sends no server-initiated messages.
 *
 * Owns: the session table (bounded: the least recently used session is
 * dropped for a new one). Must never: let a session id be guessed from
 * another, hold the table lock while an op runs, or answer 200 to a POST
 * that carried only notifications (202, no body).
 */
#include "surface/http/http_internal.h"

#include "surface/mcp/mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSIONS_MAX 64
#define SESSION_ID_LEN REEL_HASH_HEX

typedef struct mcp_slot {
    char id[SESSION_ID_LEN + 1]; /* "" when free */
    reel_mcp_session s;
    uint64_t used;               /* clock of the last request: the oldest goes first */
} mcp_slot;

struct http_mcp {
    pthread_mutex_t lock;
    mcp_slot slots[SESSIONS_MAX];
    uint64_t clock;
    reel_mcp mcp;
};

static int call_op(void *ud, const char *op, json_t *args, json_t **out, reel_error *err)
{
    reel_http *h = ud;
    return reel_service_call(h->service, op, args, "mcp", out, err);
}

int http_mcp_open(reel_http *h, reel_error *err)
{
    http_mcp *x = calloc(1, sizeof *x);
    if (!x)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    pthread_mutex_init(&x->lock, NULL);
    x->mcp.call = call_op;
    x->mcp.ud = h;
    h->mcp = x;
    return REEL_OK;
}

void http_mcp_close(reel_http *h)
{
    if (!h->mcp)
        return;
    pthread_mutex_destroy(&h->mcp->lock);
    free(h->mcp);
    h->mcp = NULL;
}

/* ---- session table ----------------------------------------------------------- */

static mcp_slot *slot_find(http_mcp *x, const char *id)
{
    if (!id || strlen(id) != SESSION_ID_LEN)
        return NULL;
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (x->slots[i].id[0] && strcmp(x->slots[i].id, id) == 0)
            return &x->slots[i];
    return NULL;
}

static int session_add(http_mcp *x, const reel_mcp_session *s, char id[SESSION_ID_LEN + 1],
                       reel_error *err)
{
    reel_hash r;
    int rc = reel_hash_random(&r, err);
    if (rc)
        return rc;
    reel_hash_to_hex(&r, id);
    pthread_mutex_lock(&x->lock);
    mcp_slot *pick = &x->slots[0];
    for (int i = 0; i < SESSIONS_MAX; i++) {
        if (!x->slots[i].id[0]) {
            pick = &x->slots[i];
            break;
        }
        if (x->slots[i].used < pick->used)
            pick = &x->slots[i];
    }
    memcpy(pick->id, id, SESSION_ID_LEN + 1);
    pick->s = *s;
    pick->used = ++x->clock;
    pthread_mutex_unlock(&x->lock);
    return REEL_OK;
}

/* ---- responses ------------------------------------------------------------------ */

static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status, char *body,
                                 size_t n, const char *type, const char *session_id)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, body, body ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (session_id)
        MHD_add_response_header(resp, "Mcp-Session-Id", session_id);
    if (status == 405)
        MHD_add_response_header(resp, "Allow", "POST, DELETE");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* `reply` (consumed) as JSON, or as one server-sent event. */
static enum MHD_Result send_rpc(struct MHD_Connection *conn, unsigned status, json_t *reply,
                                bool sse, const char *session_id)
{
    char *txt = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!txt)
        return MHD_NO;
    size_t n = strlen(txt);
    if (!sse) {
        return send_body(conn, status, txt, n, "application/json", session_id);
    }
    /* Compact JSON has no raw newline, so one data line holds it. */
    static const char head[] = "event: message\ndata: ";
    char *ev = malloc(sizeof head - 1 + n + 3);
    if (!ev) {
        free(txt);
        return MHD_NO;
    }
    memcpy(ev, head, sizeof head - 1);
    memcpy(ev + sizeof head - 1, txt, n);
    memcpy(ev + sizeof head - 1 + n, "\n\n", 3);
    free(txt);
    return send_body(conn, status, ev, sizeof head - 1 + n + 2, "text/event-stream",
                     session_id);
}

/* A refusal of the transport: an HTTP status with a JSON-RPC error body. */
static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    return send_rpc(conn, status, reel_mcp_error(NULL, REEL_RPC_SERVER_ERROR, "%s", msg), false,
                    NULL);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; p && *p; p++)
        if (strncasecmp(p, tok, n) == 0)
            return true;
    return false;
}

/* ---- requests ------------------------------------------------------------------- */

static enum MHD_Result end_session(http_mcp *x, struct MHD_Connection *conn)
{
    const char *sid = header(conn, "Mcp-Session-Id");
    if (!sid)
        return refuse(conn, 400, "Bad Request: DELETE needs the Mcp-Session-Id header");
    pthread_mutex_lock(&x->lock);
    mcp_slot *sl = slot_find(x, sid);
    if (sl)
        memset(sl, 0, sizeof *sl);
    pthread_mutex_unlock(&x->lock);
    if (!sl)
        return refuse(conn, 404, "Not Found: no such MCP session (it ended or never began)");
    return send_body(conn, 204, NULL, 0, NULL, NULL);
}

enum MHD_Result http_mcp_handle(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    http_mcp *x = h->mcp;
    const char *origin = header(conn, "Origin");
    if (origin && !reel_http_origin_ok(origin, h->url)) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "Forbidden: Origin '%.200s' is not this machine (only pages from localhost "
                 "or %s may use /mcp)",
                 origin, h->url);
        return refuse(conn, 403, msg);
    }
    if (r->route.method == REEL_HTTP_DELETE)
        return end_session(x, conn);
    const char *ctype = header(conn, "Content-Type");
    size_t cl = strlen("application/json");
    if (!ctype || strncasecmp(ctype, "application/json", cl) != 0 ||
        (ctype[cl] && ctype[cl] != ';' && ctype[cl] != ' '))
        return refuse(conn, 415, "Unsupported Media Type: POST /mcp takes application/json");
    const char *accept = header(conn, "Accept");
    bool json_ok = !accept || has_token(accept, "application/json") ||
                   has_token(accept, "*/*") || has_token(accept, "application/*");
    bool sse = !json_ok && has_token(accept, "text/event-stream");
    if (!json_ok && !sse)
        return refuse(conn, 406,
                      "Not Acceptable: the answer is application/json or text/event-stream");
    json_error_t je;
    json_t *msg = json_loadb(r->body ? r->body : "", r->received,
                             JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!msg)
        return send_rpc(conn, 400,
                        reel_mcp_error(NULL, REEL_RPC_PARSE_ERROR,
                                       "parse error at line %d column %d: %s", je.line,
                                       je.column, je.text),
                        sse, NULL);
    reel_mcp_session s = {0};
    char id[SESSION_ID_LEN + 1] = "";
    bool init = reel_mcp_is_initialize(msg);
    if (!init) {
        const char *sid = header(conn, "Mcp-Session-Id");
        if (!sid) {
            json_decref(msg);
            return refuse(conn, 400,
                          "Bad Request: Mcp-Session-Id header is required (send initialize "
                          "first; its answer carries the session id)");
        }
        pthread_mutex_lock(&x->lock);
        mcp_slot *sl = slot_find(x, sid);
        if (sl) {
            s = sl->s;
            sl->used = ++x->clock;
            memcpy(id, sl->id, sizeof id);
        }
        pthread_mutex_unlock(&x->lock);
        if (!sl) {
            json_decref(msg);
            return refuse(conn, 404, "Not Found: no such MCP session (it ended or never began)");
        }
        const char *pv = header(conn, "MCP-Protocol-Version");
        if (pv && !reel_mcp_version_supported(pv)) {
            json_decref(msg);
            char m[200];
            snprintf(m, sizeof m,
                     "Bad Request: unsupported MCP-Protocol-Version '%.40s' (this session "
                     "negotiated %s)",
                     pv, s.version);
            return refuse(conn, 400, m);
        }
    }
    json_t *reply = reel_mcp_handle(&x->mcp, &s, msg);
    json_decref(msg);
    const char *issued = NULL;
    if (init && s.version[0]) {
        reel_error e;
        reel_error_clear(&e);
        if (session_add(x, &s, id, &e)) {
            json_decref(reply);
            return refuse(conn, 500, e.msg);
        }
        issued = id;
    } else if (!init && s.initialized) {
        pthread_mutex_lock(&x->lock);
        mcp_slot *sl = slot_find(x, id);
        if (sl)
            sl->s.initialized = true;
        pthread_mutex_unlock(&x->lock);
    }
    if (!reply)
        return send_body(conn, 202, NULL, 0, NULL, NULL);
    /* A message that was not a valid request at all is a bad request for
     * HTTP too; a method's own error is a normal answer. */
    json_t *err = json_object_get(reply, "error");
    int code = (int)json_integer_value(json_object_get(err, "code"));
    unsigned status = err && json_is_null(json_object_get(reply, "id")) &&
                              (code == REEL_RPC_PARSE_ERROR || code == REEL_RPC_INVALID_REQUEST)
                          ? 400
                          : 200;
    return send_rpc(conn, status, reply, sse, issued);
}
