/*
 * wire.c — the engine/control protocol on ZMQ sockets (see wire.h).
 */
#include "protocol/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

int reel_wire_events_endpoint(const char *control, char *out, size_t len, reel_error *err)
{
    if (strncmp(control, "ipc://", 6) == 0 || strncmp(control, "inproc://", 9) == 0) {
        if ((size_t)snprintf(out, len, "%s.events", control) >= len)
            return reel_error_set(err, REEL_EINVAL, "endpoint '%.200s' is too long", control);
        return REEL_OK;
    }
    if (strncmp(control, "tcp://", 6) == 0) {
        const char *colon = strrchr(control + 6, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || !colon[1] || *end || port <= 0 || port >= 65535)
            return reel_error_set(err, REEL_EINVAL,
                                  "endpoint '%.200s' needs a port below 65535 (tcp://HOST:PORT; "
                                  "events use PORT+1)", control);
        if ((size_t)snprintf(out, len, "%.*s:%ld", (int)(colon - control), control, port + 1) >=
            len)
            return reel_error_set(err, REEL_EINVAL, "endpoint '%.200s' is too long", control);
        return REEL_OK;
    }
    return reel_error_set(err, REEL_EINVAL,
                          "endpoint '%.200s' is not ipc://PATH, tcp://HOST:PORT or inproc://NAME",
                          control);
}

int reel_wire_recv(void *sock, reel_wire_msg *m, reel_error *err)
{
    m->n = 0;
    size_t used = 0;
    bool bad = false;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, m->n == 0 && !bad ? ZMQ_DONTWAIT : 0) < 0) {
            int e = errno;
            zmq_msg_close(&part);
            if (e == EAGAIN && m->n == 0 && !bad)
                return REEL_EFULL;
            return reel_error_set(err, REEL_EIO, "receive failed: %s", zmq_strerror(e));
        }
        size_t sz = zmq_msg_size(&part);
        bool more = zmq_msg_more(&part);
        if (!bad && m->n < REEL_WIRE_FRAMES_MAX && used + sz <= sizeof m->buf) {
            memcpy(m->buf + used, zmq_msg_data(&part), sz);
            m->frames[m->n].data = m->buf + used;
            m->frames[m->n].len = sz;
            m->n++;
            used += sz;
        } else {
            bad = true;
        }
        zmq_msg_close(&part);
        if (!more)
            break;
    }
    if (bad)
        return reel_error_set(err, REEL_ECORRUPT, "a message with too many or too large frames");
    return REEL_OK;
}

static int send_frames(void *sock, const reel_frame_ref *f, size_t n, reel_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (zmq_send(sock, f[i].data, f[i].len, i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            return reel_error_set(err, REEL_EIO, "send failed: %s", zmq_strerror(errno));
    return REEL_OK;
}

int reel_wire_send_hoot(void *sock, const reel_frame_ref *ident, size_t nident,
                        reel_hoot_command command, const uint8_t request_id[REEL_UUID_BYTES],
                        const char *service, const reel_msg_command *cmd, reel_error *err)
{
    uint8_t body[REEL_CAPNP_MSG_MAX];
    size_t blen = 0;
    if (cmd) {
        int rc = reel_capnp_encode_envelope(cmd, body, sizeof body, &blen, err);
        if (rc)
            return rc;
    }
    reel_hoot_frame h;
    memset(&h, 0, sizeof h);
    h.command = command;
    h.content_type = cmd ? REEL_HOOT_CAPNP : REEL_HOOT_EMPTY;
    memcpy(h.request_id, request_id, REEL_UUID_BYTES);
    h.service = (reel_frame_ref){service, strlen(service)};
    h.traceparent = (reel_frame_ref){"", 0};
    h.body = (reel_frame_ref){body, blen};
    reel_frame_ref frames[REEL_WIRE_FRAMES_MAX];
    size_t n = 0;
    int rc = reel_hoot_frame_build(&h, ident, nident, frames, REEL_WIRE_FRAMES_MAX, &n, err);
    if (rc)
        return rc;
    return send_frames(sock, frames, n, err);
}

int reel_wire_send_event(void *sock, const reel_msg_event *ev, reel_error *err)
{
    uint8_t buf[REEL_CAPNP_MSG_MAX];
    size_t len = 0;
    int rc = reel_capnp_encode_broadcast(ev, buf, sizeof buf, &len, err);
    if (rc)
        return rc;
    reel_frame_ref f = {buf, len};
    return send_frames(sock, &f, 1, err);
}

void reel_wire_new_id(uint8_t id[REEL_UUID_BYTES])
{
    if (getrandom(id, REEL_UUID_BYTES, GRND_NONBLOCK) != REEL_UUID_BYTES)
        for (int i = 0; i < REEL_UUID_BYTES; i++)
            id[i] = (uint8_t)rand();
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* UUID v4 */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}
