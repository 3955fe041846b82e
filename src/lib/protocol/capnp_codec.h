/*
 * capnp_codec.h — reel's wire protocol: Cap'n Proto messages and HOOT01 frames.
 *
 * Owns: the C form of the messages the engine and the control plane exchange
 * (schemas/envelope.capnp and schemas/broadcast.capnp, with hootenanny's ids
 * and ordinals), their encoding to and decoding from standard unpacked
 * single-segment Cap'n Proto serialization, and the HOOT01 multipart framing
 * of request sockets. Must never: allocate, make a system call, touch a
 * socket, or trust a single byte of its input (every offset is checked
 * against the bytes actually received).
 *
 * Encoding writes into the caller's buffer with memset/memcpy only, so the
 * engine can build events in preallocated scratch space on the realtime
 * side; only a failure with a non-NULL `err` formats a message (vsnprintf),
 * so pass NULL there. Decoding copies every Text field into fixed-size
 * arrays of the C structs below, so a decoded message holds no pointer into
 * the input.
 *
 * Errors: REEL_ECORRUPT for input that is not a well-formed message of our
 * schema (bad segment table, pointer out of bounds, wrong pointer kind, text
 * without NUL, union discriminant or enumerant beyond the schema, far or
 * capability pointers, more than one segment); REEL_EFORMAT for a
 * well-formed member of the union that reel does not handle (the
 * placeholders: ping, configUpdate, ...); REEL_ERANGE for a text longer than
 * its C field; REEL_EFULL
 * when the output buffer is too small (*len then holds the size needed);
 * REEL_EINVAL for bad arguments.
 */
#ifndef REEL_CAPNP_CODEC_H
#define REEL_CAPNP_CODEC_H

#include "core/error.h"
#include "core/stream_def.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Text limits, in bytes including the terminating NUL. A decoded Text that
 * does not fit is REEL_ERANGE, never truncated. */
#define REEL_CAPNP_URI_MAX REEL_URI_MAX  /* stream URIs (512) */
#define REEL_CAPNP_PATH_MAX 4096         /* chunk paths */
#define REEL_CAPNP_TEXT_MAX 1024         /* error texts, error details, ack messages */
#define REEL_CAPNP_CODE_MAX 64           /* Error.code, e.g. "stream_start_failed" */
#define REEL_CAPNP_TRACEPARENT_MAX 128   /* W3C traceparent is 55 bytes */

/* Largest message either encoder can produce (a StreamStart with every text
 * at its limit fits with room to spare): size scratch buffers with this. */
#define REEL_CAPNP_MSG_MAX 8192

#define REEL_UUID_BYTES 16

/* Envelope payloads reel handles. Values are the Payload union discriminants
 * (hootenanny's ordinals). */
typedef enum reel_cmd_kind {
    REEL_CMD_ACK = 24,                 /* reply: toolResponse.ack{message} */
    REEL_CMD_ERROR = 25,               /* reply: error{code, message, details} */
    REEL_CMD_STREAM_START = 26,
    REEL_CMD_STREAM_SWITCH_CHUNK = 27,
    REEL_CMD_STREAM_STOP = 28,
} reel_cmd_kind;

/* One Envelope: a command to the engine or the engine's reply. */
typedef struct reel_msg_command {
    uint8_t id[REEL_UUID_BYTES];  /* Envelope.id as the 16 raw UUID bytes */
    char traceparent[REEL_CAPNP_TRACEPARENT_MAX]; /* "" for none */
    reel_cmd_kind kind;
    union {
        struct {
            char uri[REEL_CAPNP_URI_MAX];
            /* StreamDefinition. A MIDI definition's rate travels as
             * StreamStart.clockRate; channels beyond 255 as channelsWide. */
            reel_stream_def def;
            char chunk_path[REEL_CAPNP_PATH_MAX];
            uint64_t start_frame; /* StreamStart.startFrame */
        } start;
        struct {
            char uri[REEL_CAPNP_URI_MAX];
            char new_chunk_path[REEL_CAPNP_PATH_MAX];
        } switch_chunk;
        struct {
            char uri[REEL_CAPNP_URI_MAX];
        } stop;
        struct {
            char message[REEL_CAPNP_TEXT_MAX]; /* "stream_started: <uri>" */
        } ack;
        struct {
            char code[REEL_CAPNP_CODE_MAX];    /* "stream_start_failed" ... */
            char message[REEL_CAPNP_TEXT_MAX];
            char details[REEL_CAPNP_TEXT_MAX]; /* JSON, may be "" */
        } error;
    };
} reel_msg_command;

/* Broadcast members reel handles. Values are the Broadcast union
 * discriminants (hootenanny's ordinals). */
typedef enum reel_evt_kind {
    REEL_EVT_HEAD_POSITION = 10,
    REEL_EVT_CHUNK_FULL = 11,
    REEL_EVT_STREAM_ERROR = 12,
} reel_evt_kind;

/* One Broadcast: an event from the engine. */
typedef struct reel_msg_event {
    reel_evt_kind kind;
    char stream_uri[REEL_CAPNP_URI_MAX];
    union {
        struct {
            uint64_t sample_position; /* frames */
            uint64_t byte_position;
            uint64_t wall_clock_ns;   /* wallClock.nanos, ns since the UNIX epoch */
            /* reel's additions (schemas/streams.capnp, ordinals 4..15) */
            uint64_t clock_frame;
            int64_t mono_ns;
            uint64_t device_frame;
            uint64_t events;
            uint64_t xruns;
            uint64_t overrun_frames;
            uint64_t overrun_events;
            uint64_t gaps;
            uint64_t chunk_bytes;
            uint64_t chunk_frames;
            uint64_t events_lost; /* ordinal 14 */
            uint64_t midi_clock_ticks; /* ordinal 15: MIDI clock pulses (0xF8) */
        } head;
        struct {
            char path[REEL_CAPNP_PATH_MAX];
            uint64_t bytes_written;
            uint64_t samples_written; /* frames; 0 for MIDI */
            uint64_t wall_clock_ns;
            /* reel's additions (ordinals 5..8) */
            uint64_t first_frame;
            uint64_t end_frame;
            uint64_t events;
            bool final;
        } chunk_full;
        struct {
            char message[REEL_CAPNP_TEXT_MAX]; /* StreamError.error */
            bool recoverable;
        } stream_error;
    };
} reel_msg_event;

/* Encode `cmd` as an Envelope into buf[0..cap); *len receives the message
 * size (on REEL_EFULL: the size needed). Every Text is written, empty ones
 * included, so `capnp decode` shows all fields. */
int reel_capnp_encode_envelope(const reel_msg_command *cmd, uint8_t *buf, size_t cap,
                               size_t *len, reel_error *err);

/* Encode `ev` as a Broadcast; same contract as reel_capnp_encode_envelope. */
int reel_capnp_encode_broadcast(const reel_msg_event *ev, uint8_t *buf, size_t cap,
                                size_t *len, reel_error *err);

/* Decode exactly one message occupying all of buf[0..len). `out` is zeroed
 * first; on failure its content is unspecified. */
int reel_capnp_decode_envelope(const uint8_t *buf, size_t len, reel_msg_command *out,
                               reel_error *err);
int reel_capnp_decode_broadcast(const uint8_t *buf, size_t len, reel_msg_event *out,
                                reel_error *err);

/* ---- HOOT01 multipart framing (request sockets) ------------------------- */

#define REEL_HOOT_FRAMES 7          /* frames from "HOOT01" to the body */
#define REEL_HOOT_NAME_MAX 256      /* longest service name or traceparent, bytes */

typedef enum reel_hoot_command {
    REEL_HOOT_READY = 1,
    REEL_HOOT_REQUEST = 2,
    REEL_HOOT_REPLY = 3,
    REEL_HOOT_HEARTBEAT = 4,
    REEL_HOOT_DISCONNECT = 5,
} reel_hoot_command;

typedef enum reel_hoot_content {
    REEL_HOOT_EMPTY = 0,
    REEL_HOOT_CAPNP = 1,
    REEL_HOOT_RAW = 2,
    REEL_HOOT_JSON = 3,
} reel_hoot_content;

/* One frame of a multipart message: bytes owned by someone else. */
typedef struct reel_frame_ref {
    const void *data;
    size_t len;
} reel_frame_ref;

/* A HOOT01 message. The slices point into the frames it was parsed from (or,
 * for building, into the caller's buffers); nothing is copied. */
typedef struct reel_hoot_frame {
    size_t identity_count;          /* parse: frames before "HOOT01" (ROUTER identities) */
    reel_hoot_command command;
    reel_hoot_content content_type;
    uint8_t request_id[REEL_UUID_BYTES];
    reel_frame_ref service;         /* UTF-8 without NUL, at most REEL_HOOT_NAME_MAX */
    reel_frame_ref traceparent;     /* UTF-8 without NUL, empty for none */
    reel_frame_ref body;            /* a Cap'n Proto message when content_type is CAPNP */
    uint8_t wire[4];                /* build: command and content type, big-endian */
} reel_hoot_frame;

/* Find the "HOOT01" frame in frames[0..n) (earlier frames are identities, to
 * be echoed on the reply: frames[0..out->identity_count)), then validate and
 * slice the six frames after it: command 1..5, content type 0..3, a 16-byte
 * id, UTF-8 service and traceparent. Exactly 7 frames must follow the
 * identities. Errors are REEL_ECORRUPT. */
int reel_hoot_frame_parse(const reel_frame_ref *frames, size_t n, reel_hoot_frame *out,
                          reel_error *err);

/* Fill out[0..cap) with `identities`, then the 7 HOOT01 frames of `msg`;
 * *n receives the frame count (on REEL_EFULL: the count needed). The frames
 * point into msg (wire[], filled here, and request_id), the identities and
 * the buffers msg's slices name: keep all of them alive until sent.
 * identity_count in msg is ignored. Bad fields are REEL_EINVAL. */
int reel_hoot_frame_build(reel_hoot_frame *msg, const reel_frame_ref *identities,
                          size_t nidentities, reel_frame_ref *out, size_t cap, size_t *n,
                          reel_error *err);

#endif
