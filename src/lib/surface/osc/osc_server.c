/*
 * osc_server.c — the OSC server (see osc_server.h). liblo parses and builds
 * the messages; the socket is our own so that every packet's sender is
 * known, including senders of packets liblo cannot parse (they get a
 * /reel/error too, which lo_server's error callback could not address).
 */
#include "surface/osc/osc_server.h"

#include "surface/osc/osc_map.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PACKET_MAX 65536
#define REPLY_STR_MAX 1000 /* keeps every reply well inside one datagram */
#define POLL_MS 100

struct reel_osc {
    reel_service *svc;
    int fd;
    int port;
    pthread_t th;
    atomic_bool stop;
    char last_session[128]; /* the id of the last session created over OSC */
    uint8_t buf[PACKET_MAX];
    /* the sender of the packet being handled */
    struct sockaddr_storage from;
    socklen_t from_len;
};

static void send_msg(reel_osc *o, const char *path, lo_message m)
{
    size_t size = 0;
    void *data = lo_message_serialise(m, path, NULL, &size);
    if (data)
        (void)sendto(o->fd, data, size, 0, (struct sockaddr *)&o->from, o->from_len);
    free(data);
    lo_message_free(m);
}

static void add_str(lo_message m, const char *s)
{
    char buf[REPLY_STR_MAX + 1];
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    lo_message_add_string(m, buf);
}

static void reply_error(reel_osc *o, const char *address, int code, const char *msg)
{
    lo_message m = lo_message_new();
    if (!m)
        return;
    add_str(m, address);
    add_str(m, reel_error_code_name(code));
    add_str(m, msg);
    send_msg(o, "/reel/error", m);
}

static void reply_status(reel_osc *o, json_t *st)
{
    json_t *cur = json_object_get(st, "file") ? st : json_object_get(st, "last");
    lo_message m = lo_message_new();
    if (!m)
        return;
    add_str(m, json_string_value(json_object_get(st, "state")));
    add_str(m, json_string_value(json_object_get(cur, "file")));
    lo_message_add_int64(m, (int64_t)json_integer_value(json_object_get(cur, "frames")));
    lo_message_add_double(m, json_number_value(json_object_get(cur, "seconds")));
    send_msg(o, "/record/status/reply", m);
}

static void reply_ok(reel_osc *o, const char *op, json_t *res)
{
    lo_message m = lo_message_new();
    if (!m)
        return;
    add_str(m, op);
    const char *k;
    json_t *v;
    int n = 0;
    json_object_foreach(res, k, v) {
        if (n++ >= 24)
            break;
        if (json_is_string(v)) {
            add_str(m, k);
            add_str(m, json_string_value(v));
        } else if (json_is_integer(v)) {
            add_str(m, k);
            lo_message_add_int64(m, (int64_t)json_integer_value(v));
        } else if (json_is_real(v)) {
            add_str(m, k);
            lo_message_add_double(m, json_real_value(v));
        } else if (json_is_boolean(v)) {
            add_str(m, k);
            lo_message_add_int32(m, json_is_true(v));
        }
    }
    send_msg(o, "/reel/reply", m);
}

/* One message: parse, map, run, answer. */
static void handle_message(void *ud, void *data, size_t len)
{
    reel_osc *o = ud;
    const char *path = lo_get_path(data, (ssize_t)len);
    if (!path) {
        reply_error(o, "", REEL_EINVAL, "malformed OSC message: its address is not a "
                    "terminated, padded string");
        return;
    }
    int res = 0;
    lo_message m = lo_message_deserialise(data, len, &res);
    reel_error e;
    reel_error_clear(&e);
    if (!m) {
        reel_error_set(&e, REEL_EINVAL, "malformed OSC message to %.100s (liblo error %d: bad "
                       "type tags or truncated arguments)", path, res);
        reply_error(o, path, e.code, e.msg);
        return;
    }
    reel_osc_call call;
    int rc = reel_osc_map(path, lo_message_get_types(m), lo_message_get_argv(m),
                          lo_message_get_argc(m), o->last_session, &call, &e);
    lo_message_free(m);
    if (rc) {
        reply_error(o, path, rc, e.msg);
        return;
    }
    bool controller = strcmp(call.op, "mapping_input") == 0;
    if (controller && o->from.ss_family == AF_INET) { /* feedback goes back to the sender */
        const struct sockaddr_in *in = (const struct sockaddr_in *)&o->from;
        char host[INET_ADDRSTRLEN], url[64];
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host)) {
            snprintf(url, sizeof url, "osc.udp://%s:%u/", host, ntohs(in->sin_port));
            json_object_set_new(call.args, "reply_to", json_string(url));
        }
    }
    json_t *out = NULL;
    rc = reel_service_call(o->svc, call.op, call.args, "osc", &out, &e);
    json_decref(call.args);
    if (rc) {
        reply_error(o, path, rc, e.msg);
        return;
    }
    if (strcmp(call.op, "session_create") == 0) {
        const char *id = json_string_value(json_object_get(out, "id"));
        if (id)
            snprintf(o->last_session, sizeof o->last_session, "%s", id);
    }
    if (controller)
        ; /* a fader's stream of values gets no replies (errors only); feedback is the answer */
    else if (strcmp(call.op, "record_status") == 0)
        reply_status(o, out);
    else
        reply_ok(o, call.op, out);
    json_decref(out);
}

static void *osc_main(void *arg)
{
    reel_osc *o = arg;
    while (!atomic_load(&o->stop)) {
        struct pollfd p = {.fd = o->fd, .events = POLLIN};
        if (poll(&p, 1, POLL_MS) <= 0)
            continue;
        o->from_len = sizeof o->from;
        ssize_t n = recvfrom(o->fd, o->buf, sizeof o->buf, MSG_TRUNC,
                             (struct sockaddr *)&o->from, &o->from_len);
        if (n < 0)
            continue;
        reel_error e;
        reel_error_clear(&e);
        if ((size_t)n > sizeof o->buf) {
            reply_error(o, "", REEL_EINVAL, "OSC packet too large (over 64 KiB)");
            continue;
        }
        if (reel_osc_packet_split(o->buf, (size_t)n, handle_message, o, &e)) {
            const char *path = n > 0 && o->buf[0] == '/' ? lo_get_path(o->buf, n) : NULL;
            reply_error(o, path ? path : "", e.code, e.msg);
        }
    }
    return NULL;
}

int reel_osc_open(reel_osc **out, const reel_osc_opts *opt, reel_error *err)
{
    *out = NULL;
    const char *host = opt->host ? opt->host : "127.0.0.1";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt->port)};
    if (opt->port < 0 || opt->port > 65535)
        return reel_error_set(err, REEL_EINVAL, "bad OSC port %d (0 to 65535)", opt->port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return reel_error_set(err, REEL_EINVAL, "bad OSC address '%s' (want an IPv4 address)",
                              host);
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
        return reel_error_set(err, REEL_EINVAL,
                              "OSC has no authentication: bind a loopback address, not %s", host);
    reel_osc *o = calloc(1, sizeof *o);
    if (!o)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    o->svc = opt->service;
    o->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (o->fd < 0 || bind(o->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int rc = reel_error_set(err, REEL_EIO, "cannot bind OSC to udp://%s:%d: %s", host,
                                opt->port, strerror(errno));
        if (o->fd >= 0)
            close(o->fd);
        free(o);
        return rc;
    }
    socklen_t sl = sizeof sa;
    getsockname(o->fd, (struct sockaddr *)&sa, &sl);
    o->port = ntohs(sa.sin_port);
    if (pthread_create(&o->th, NULL, osc_main, o) != 0) {
        close(o->fd);
        free(o);
        return reel_error_set(err, REEL_EIO, "cannot start the OSC thread");
    }
    *out = o;
    return REEL_OK;
}

int reel_osc_port(const reel_osc *o)
{
    return o->port;
}

void reel_osc_close(reel_osc *o)
{
    if (!o)
        return;
    atomic_store(&o->stop, true);
    pthread_join(o->th, NULL);
    close(o->fd);
    free(o);
}
