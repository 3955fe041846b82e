/*
 * wire.h — the engine/control protocol on ZMQ sockets.
 *
 * Commands and replies travel as HOOT01 multipart messages (capnp_codec.h)
 * between the engine's DEALER and the control plane's ROUTER, bound at the
 * control endpoint. Events are Broadcast messages, one frame each, from the
 * engine's XPUB to the control plane's SUB, bound at the events endpoint
 * derived from the control endpoint (reel_wire_events_endpoint). The control
 * plane binds both, so an engine can die and another connect in its place.
 *
 * Owns: endpoint derivation, sending and receiving whole multipart messages.
 * Must never: block longer than the caller's timeout, or keep a message
 * after returning (received frames are copied into the caller's buffer).
 */
#ifndef REEL_WIRE_H
#define REEL_WIRE_H

#include "protocol/capnp_codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_WIRE_ENDPOINT_MAX 512
#define REEL_WIRE_FRAMES_MAX 16
#define REEL_WIRE_BUF (REEL_CAPNP_MSG_MAX + 4096)

/* `ipc://P` -> `ipc://P.events`, `inproc://N` -> `inproc://N.events`,
 * `tcp://H:P` -> `tcp://H:P+1`. REEL_EINVAL for anything else. */
int reel_wire_events_endpoint(const char *control, char *out, size_t len, reel_error *err);

/* One received multipart message, frames copied into buf. */
typedef struct reel_wire_msg {
    reel_frame_ref frames[REEL_WIRE_FRAMES_MAX];
    size_t n;
    uint8_t buf[REEL_WIRE_BUF];
} reel_wire_msg;

/* Receive one whole message without waiting (REEL_EFULL: none pending;
 * REEL_ECORRUPT: too many or too large frames, the rest was discarded). */
int reel_wire_recv(void *sock, reel_wire_msg *m, reel_error *err);

/* Send a HOOT01 message: identities first (ROUTER), then the 7 frames. An
 * Envelope `cmd` is encoded as the body (content type capnp); NULL sends an
 * empty body (READY, HEARTBEAT, DISCONNECT). */
int reel_wire_send_hoot(void *sock, const reel_frame_ref *ident, size_t nident,
                        reel_hoot_command command, const uint8_t request_id[REEL_UUID_BYTES],
                        const char *service, const reel_msg_command *cmd, reel_error *err);

/* Encode and send one Broadcast frame. */
int reel_wire_send_event(void *sock, const reel_msg_event *ev, reel_error *err);

/* 16 random bytes for a request id (not cryptographic: ids only). */
void reel_wire_new_id(uint8_t id[REEL_UUID_BYTES]);

#endif
