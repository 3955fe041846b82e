/*
 * http_ws.c — the WebSocket at /api/ws (RFC 6455; DESIGN.md section 10):
 * the channel the web page and OSCQuery clients drive parameters through,
 * both ways, upgraded from an HTTP request by libmicrohttpd.
 *
 * What goes over it:
 *   - client -> reel, binary frames: OSC packets (a message or a bundle),
 *     mapped exactly as on the UDP port (surface/osc/osc_map.h):
 *     /reel/param/<node>/<param> value [touch] drives a parameter (touch 1
 *     held, 0 released: armed lanes record it as a controller's), and every
 *     other address there;
 *   - client -> reel, text frames: OSCQuery's {"COMMAND": "LISTEN" |
 *     "IGNORE", "DATA": "/reel/param/..."};
 *   - reel -> client, binary frames: for every path listened to, an OSC
 *     message `path ,f value` when the value changes (looked at every
 *     20 ms: at most 50 a second a path), the first one at once;
 *   - reel -> client, text frames: {"error": ..., "address": ...} for what
 *     it refused.
 * Pings are answered, a close is returned; client frames must be masked
 * (RFC 6455 5.1) and a message (its fragments together) at most 64 KiB,
 * else the connection is closed with 1002 / 1009.
 *
 * Each connection has a thread (at most WS_MAX at once; more are refused
 * with 503 before the upgrade), joined when the server closes.
 *
 * Owns: the upgraded connections and their threads. Must never: block the
 * server's other connections, or read a frame past what was received.
 */
#include "core/base64.h"
#include "core/sha1.h"
#include "surface/http/http_internal.h"
#include "surface/osc/osc_map.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define WS_MAX 16
#define WS_MSG_MAX 65536
#define WS_LISTEN_MAX 256
#define WS_POLL_MS 20
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct http_ws {
    reel_http *h;
    MHD_socket sock;
    struct MHD_UpgradeResponseHandle *urh;
    pthread_t th;
    bool done; /* the thread ended (under h->ws_lock) */
    uint8_t *in;     /* received, not yet framed */
    size_t n_in, cap_in;
    uint8_t *msg;    /* a fragmented message so far */
    size_t n_msg;
    int msg_op;      /* its opcode; 0 none */
    json_t *listen;  /* path -> the value sent last (null: none yet) */
    http_ws *next;
};

/* ---- sending --------------------------------------------------------------------- */

static bool send_all(http_ws *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(w->sock, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k, n -= (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pf = {.fd = w->sock, .events = POLLOUT};
            if (poll(&pf, 1, 5000) <= 0)
                return false; /* a client that reads nothing for 5 s is let go */
            continue;
        }
        return false;
    }
    return true;
}

static bool send_frame(http_ws *w, int op, const void *data, size_t n)
{
    uint8_t hd[10];
    size_t k = 2;
    hd[0] = (uint8_t)(0x80 | op);
    if (n < 126) {
        hd[1] = (uint8_t)n;
    } else if (n <= 0xffff) {
        hd[1] = 126, hd[2] = (uint8_t)(n >> 8), hd[3] = (uint8_t)n, k = 4;
    } else {
        hd[1] = 127;
        for (int i = 0; i < 8; i++)
            hd[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        k = 10;
    }
    return send_all(w, hd, k) && (n == 0 || send_all(w, data, n));
}

static bool send_error(http_ws *w, const char *address, const char *msg)
{
    json_t *j = json_pack("{s:s, s:s}", "error", msg, "address", address ? address : "");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    bool ok = s && send_frame(w, 1, s, strlen(s));
    free(s);
    json_decref(j);
    return ok;
}

static void send_close(http_ws *w, unsigned code)
{
    uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    send_frame(w, 8, b, 2);
}

/* ---- what comes in ----------------------------------------------------------------- */

typedef struct osc_ctx {
    http_ws *w;
} osc_ctx;

static void on_osc(void *ud, void *data, size_t len)
{
    http_ws *w = ((osc_ctx *)ud)->w;
    const char *path = lo_get_path(data, (ssize_t)len);
    int res = 0;
    lo_message m = path ? lo_message_deserialise(data, len, &res) : NULL;
    if (!m) {
        send_error(w, path, "malformed OSC message (bad type tags or truncated arguments)");
        return;
    }
    reel_osc_call call;
    reel_error e;
    reel_error_clear(&e);
    int rc = reel_osc_map(path, lo_message_get_types(m), lo_message_get_argv(m),
                          lo_message_get_argc(m), NULL, &call, &e);
    lo_message_free(m);
    if (rc) {
        send_error(w, path, e.msg);
        return;
    }
    if (strcmp(call.op, "automation_schedule") == 0)
        json_object_set_new(call.args, "source", json_string("web"));
    json_t *out = NULL;
    rc = reel_service_run_op(w->h->service, call.op, call.args, "http", &out, &e);
    json_decref(call.args);
    json_decref(out);
    if (rc)
        send_error(w, path, e.msg);
}

static void on_text(http_ws *w, const uint8_t *p, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)p, n, 0, &je);
    const char *cmd = json_string_value(json_object_get(j, "COMMAND"));
    const char *data = json_string_value(json_object_get(j, "DATA"));
    char target[208];
    reel_error e;
    if (!j || !cmd || !data) {
        send_error(w, "", "want {\"COMMAND\": \"LISTEN\" or \"IGNORE\", \"DATA\": \"/reel/param/...\"}");
    } else if (strcmp(cmd, "IGNORE") == 0) {
        json_object_del(w->listen, data);
    } else if (strcmp(cmd, "LISTEN") != 0) {
        send_error(w, data, "unknown COMMAND (LISTEN or IGNORE)");
    } else if (reel_osc_param_target(data, target, sizeof target, &e)) {
        send_error(w, data, e.msg);
    } else if (json_object_size(w->listen) >= WS_LISTEN_MAX && !json_object_get(w->listen, data)) {
        send_error(w, data, "too many paths listened to on one connection");
    } else if (!json_object_get(w->listen, data)) {
        json_object_set_new(w->listen, data, json_null());
    }
    json_decref(j);
}

/* One complete message. */
static void on_message(http_ws *w, int op, const uint8_t *p, size_t n)
{
    if (op == 1) {
        on_text(w, p, n);
        return;
    }
    osc_ctx c = {w};
    reel_error e;
    reel_error_clear(&e);
    uint8_t *copy = malloc(n ? n : 1); /* the splitter wants it writable */
    if (!copy)
        return;
    memcpy(copy, p, n);
    if (reel_osc_packet_split(copy, n, on_osc, &c, &e))
        send_error(w, "", e.msg);
    free(copy);
}

/* Take every complete frame in w->in (reel_ws_frame_parse). False: close
 * the connection (after sending a close with the reason, where there is one). */
static bool take_frames(http_ws *w)
{
    size_t at = 0;
    bool ok = true;
    while (ok) {
        reel_ws_frame f;
        long k = reel_ws_frame_parse(w->in + at, w->n_in - at, WS_MSG_MAX, &f);
        if (k == 0)
            break;
        if (k < 0) {
            send_close(w, (unsigned)-k);
            return false;
        }
        uint8_t *pl = w->in + at + f.header;
        for (size_t i = 0; i < f.len; i++)
            pl[i] ^= f.mask[i & 3];
        at += (size_t)k;
        if (f.op >= 8) { /* ping, pong, close */
            if (f.op == 9)
                ok = send_frame(w, 10, pl, f.len);
            else if (f.op == 8) {
                send_frame(w, 8, pl, f.len >= 2 ? 2 : 0);
                return false;
            }
            continue;
        }
        /* a continuation of nothing, a new message mid-message, or one too long */
        if ((f.op == 0) != (w->msg_op != 0) || w->n_msg + f.len > WS_MSG_MAX) {
            send_close(w, f.op && w->msg_op ? 1002 : w->n_msg + f.len > WS_MSG_MAX ? 1009 : 1002);
            return false;
        }
        if (f.op)
            w->msg_op = f.op;
        memcpy(w->msg + w->n_msg, pl, f.len);
        w->n_msg += f.len;
        if (f.fin) {
            on_message(w, w->msg_op, w->msg, w->n_msg);
            w->n_msg = 0;
            w->msg_op = 0;
        }
    }
    memmove(w->in, w->in + at, w->n_in - at);
    w->n_in -= at;
    return ok;
}

/* ---- what goes out: values listened to ----------------------------------------------- */

static bool send_values(http_ws *w)
{
    if (!json_object_size(w->listen))
        return true;
    json_t *targets = json_array(), *paths = json_array();
    const char *path;
    json_t *last;
    json_object_foreach(w->listen, path, last) {
        char target[208];
        if (reel_osc_param_target(path, target, sizeof target, NULL))
            continue;
        json_array_append_new(targets, json_string(target));
        json_array_append_new(paths, json_string(path));
    }
    json_t *args = json_pack("{s:o}", "targets", targets), *out = NULL;
    reel_error e;
    int rc = reel_service_run_op(w->h->service, "param_values", args, "http", &out, &e);
    json_decref(args);
    bool ok = true;
    size_t i;
    json_t *pj;
    json_array_foreach(paths, i, pj) {
        if (rc)
            break;
        char target[208];
        path = json_string_value(pj);
        reel_osc_param_target(path, target, sizeof target, NULL);
        json_t *v = json_object_get(json_object_get(out, "values"), target);
        last = json_object_get(w->listen, path);
        if (!json_is_number(v) || (json_is_number(last) && json_equal(last, v)))
            continue;
        json_object_set(w->listen, path, v);
        lo_message m = lo_message_new();
        lo_message_add_float(m, (float)json_number_value(v));
        size_t size = 0;
        void *bytes = lo_message_serialise(m, path, NULL, &size);
        lo_message_free(m);
        ok = bytes && send_frame(w, 2, bytes, size);
        free(bytes);
        if (!ok)
            break;
    }
    json_decref(out);
    json_decref(paths);
    return ok;
}

static void *ws_main(void *arg)
{
    http_ws *w = arg;
    bool ok = take_frames(w); /* what came with the upgrade request */
    struct timespec last = {0, 0};
    while (ok) {
        pthread_mutex_lock(&w->h->ws_lock);
        bool closing = w->h->ws_closing;
        pthread_mutex_unlock(&w->h->ws_lock);
        if (closing) {
            send_close(w, 1001);
            break;
        }
        struct pollfd pf = {.fd = w->sock, .events = POLLIN};
        int pr = poll(&pf, 1, WS_POLL_MS);
        if (pr > 0) {
            if (w->cap_in - w->n_in < 4096) {
                size_t cap = w->cap_in * 2;
                uint8_t *b = realloc(w->in, cap);
                if (!b)
                    break;
                w->in = b, w->cap_in = cap;
            }
            ssize_t k = recv(w->sock, w->in + w->n_in, w->cap_in - w->n_in, 0);
            if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                break;
            if (k > 0) {
                w->n_in += (size_t)k;
                ok = take_frames(w);
            }
            if (w->n_in > 2 * WS_MSG_MAX + 64)
                break; /* cannot happen with the limits above; never grow without bound */
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
        if (ok && ms >= WS_POLL_MS) {
            last = now;
            ok = send_values(w);
        }
    }
    MHD_upgrade_action(w->urh, MHD_UPGRADE_ACTION_CLOSE);
    pthread_mutex_lock(&w->h->ws_lock);
    w->done = true;
    pthread_mutex_unlock(&w->h->ws_lock);
    return NULL;
}

static void ws_free(http_ws *w)
{
    free(w->in);
    free(w->msg);
    json_decref(w->listen);
    free(w);
}

/* Under ws_lock: join and free the connections whose thread ended. */
static void reap(reel_http *h)
{
    for (http_ws **pp = &h->ws; *pp;) {
        http_ws *w = *pp;
        if (!w->done) {
            pp = &w->next;
            continue;
        }
        pthread_join(w->th, NULL);
        *pp = w->next;
        h->n_ws--;
        ws_free(w);
    }
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls,
                        const char *extra_in, size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn, (void)req_cls;
    reel_http *h = cls;
    http_ws *w = calloc(1, sizeof *w);
    if (w) {
        w->cap_in = 2 * WS_MSG_MAX + 64;
        w->in = malloc(w->cap_in);
        w->msg = malloc(WS_MSG_MAX);
        w->listen = json_object();
    }
    if (!w || !w->in || !w->msg || !w->listen || extra_in_size > w->cap_in) {
        if (w)
            ws_free(w);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    memcpy(w->in, extra_in, extra_in_size);
    w->n_in = extra_in_size;
    w->h = h;
    w->sock = sock;
    w->urh = urh;
    pthread_mutex_lock(&h->ws_lock);
    if (h->ws_closing || pthread_create(&w->th, NULL, ws_main, w) != 0) {
        pthread_mutex_unlock(&h->ws_lock);
        ws_free(w);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    w->next = h->ws;
    h->ws = w;
    h->n_ws++;
    pthread_mutex_unlock(&h->ws_lock);
}

/* Does the comma-separated header value `v` hold token `t` (any case)? */
static bool has_token(const char *v, const char *t)
{
    size_t n = strlen(t);
    for (const char *p = v; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *end = e;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - p) == n && strncasecmp(p, t, n) == 0)
            return true;
        p = e;
    }
    return false;
}

enum MHD_Result http_ws_open(reel_http *h, struct MHD_Connection *conn)
{
    const char *up = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
    const char *co = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
    const char *ver = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    if (!has_token(up, "websocket") || !has_token(co, "upgrade"))
        return http_send_error(conn, 426, "upgrade_required",
                               "/api/ws is a WebSocket: send 'Upgrade: websocket' and "
                               "'Connection: Upgrade'");
    if (!ver || strcmp(ver, "13") != 0)
        return http_send_error(conn, 426, "upgrade_required",
                               "only WebSocket version 13 (RFC 6455) is spoken here");
    unsigned char *raw = NULL;
    size_t n_raw = 0;
    bool key_ok = key && strlen(key) == 24 && !reel_base64_decode(key, 24, &raw, &n_raw, NULL) &&
                  n_raw == 16;
    free(raw);
    if (!key_ok)
        return http_send_error(conn, 400, "bad_request",
                               "Sec-WebSocket-Key must be 16 bytes in base64");
    pthread_mutex_lock(&h->ws_lock);
    reap(h);
    bool full = h->n_ws >= WS_MAX || h->ws_closing;
    pthread_mutex_unlock(&h->ws_lock);
    if (full)
        return http_send_error(conn, 503, "unavailable", "too many WebSocket connections");
    char kg[24 + sizeof WS_GUID];
    snprintf(kg, sizeof kg, "%s%s", key, WS_GUID);
    uint8_t digest[20];
    reel_sha1(kg, strlen(kg), digest);
    char *accept = reel_base64_encode(digest, 20);
    struct MHD_Response *resp = accept ? MHD_create_response_for_upgrade(on_upgraded, h) : NULL;
    if (!resp) {
        free(accept);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    free(accept);
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    return r;
}

void http_ws_close_all(reel_http *h)
{
    pthread_mutex_lock(&h->ws_lock);
    h->ws_closing = true;
    http_ws *list = h->ws;
    h->ws = NULL;
    h->n_ws = 0;
    pthread_mutex_unlock(&h->ws_lock);
    while (list) {
        http_ws *next = list->next;
        pthread_join(list->th, NULL);
        ws_free(list);
        list = next;
    }
}
