/*
 * fuzz_capnp.c — libFuzzer target for the wire protocol (capnp_codec.c).
 *
 * Each input goes three ways:
 *   1. whole, to the Envelope and the Broadcast decoder;
 *   2. split into frames for the HOOT01 parser: a frame is a 2-byte
 *      little-endian length, then that many bytes (a length past the end of
 *      the input takes what is left); the body of a frame set that parses is
 *      decoded as in 1.
 * Beyond the sanitizers' checks it asserts the contracts callers rely on: a
 * refused message is ECORRUPT, EFORMAT or ERANGE with one line of text; a
 * message that decodes re-encodes, and decoding that gives the same struct
 * and encoding it again the same bytes; a parsed HOOT01 message rebuilds
 * into the same frames. Seeds (fuzz/corpus/capnp/) are real messages: bare
 * ones and HOOT01-framed ones.
 */
#include "protocol/capnp_codec.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 16

static void check_refusal(int rc, const reel_error *err)
{
    if (rc != REEL_ECORRUPT && rc != REEL_EFORMAT && rc != REEL_ERANGE)
        abort();
    if (err->code != rc || err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort();
}

static void fuzz_envelope(const uint8_t *data, size_t size)
{
    reel_msg_command a, b;
    uint8_t enc[REEL_CAPNP_MSG_MAX], enc2[REEL_CAPNP_MSG_MAX];
    size_t len = 0, len2 = 0;
    reel_error err = {0};

    int rc = reel_capnp_decode_envelope(data, size, &a, &err);
    if (rc != REEL_OK) {
        check_refusal(rc, &err);
        return;
    }
    if (reel_capnp_encode_envelope(&a, enc, sizeof enc, &len, NULL) != REEL_OK)
        abort();
    if (reel_capnp_decode_envelope(enc, len, &b, NULL) != REEL_OK)
        abort();
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    if (reel_capnp_encode_envelope(&b, enc2, sizeof enc2, &len2, NULL) != REEL_OK ||
        len2 != len || memcmp(enc, enc2, len) != 0)
        abort();
}

static void fuzz_broadcast(const uint8_t *data, size_t size)
{
    reel_msg_event a, b;
    uint8_t enc[REEL_CAPNP_MSG_MAX], enc2[REEL_CAPNP_MSG_MAX];
    size_t len = 0, len2 = 0;
    reel_error err = {0};

    int rc = reel_capnp_decode_broadcast(data, size, &a, &err);
    if (rc != REEL_OK) {
        check_refusal(rc, &err);
        return;
    }
    if (reel_capnp_encode_broadcast(&a, enc, sizeof enc, &len, NULL) != REEL_OK)
        abort();
    if (reel_capnp_decode_broadcast(enc, len, &b, NULL) != REEL_OK)
        abort();
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    if (reel_capnp_encode_broadcast(&b, enc2, sizeof enc2, &len2, NULL) != REEL_OK ||
        len2 != len || memcmp(enc, enc2, len) != 0)
        abort();
}

static bool same_frame(const reel_frame_ref *a, const reel_frame_ref *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void fuzz_hoot(const uint8_t *data, size_t size)
{
    reel_frame_ref frames[MAX_FRAMES];
    size_t n = 0, at = 0;
    while (at < size && n < MAX_FRAMES) {
        size_t len = data[at];
        if (at + 1 < size)
            len |= (size_t)data[at + 1] << 8;
        at += 2;
        if (at > size)
            at = size;
        if (len > size - at)
            len = size - at;
        frames[n].data = data + at;
        frames[n].len = len;
        n++;
        at += len;
    }

    reel_hoot_frame h, h2;
    reel_error err = {0};
    int rc = reel_hoot_frame_parse(frames, n, &h, &err);
    if (rc != REEL_OK) {
        if (rc != REEL_ECORRUPT || err.msg[0] == '\0' || strchr(err.msg, '\n'))
            abort();
        return;
    }
    if (h.identity_count + REEL_HOOT_FRAMES != n)
        abort();

    reel_frame_ref out[MAX_FRAMES];
    size_t nout = 0;
    if (reel_hoot_frame_build(&h, frames, h.identity_count, out, MAX_FRAMES, &nout, NULL) !=
        REEL_OK || nout != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!same_frame(&frames[i], &out[i]))
            abort();
    if (reel_hoot_frame_parse(out, nout, &h2, NULL) != REEL_OK ||
        h2.identity_count != h.identity_count || h2.command != h.command ||
        h2.content_type != h.content_type ||
        memcmp(h2.request_id, h.request_id, REEL_UUID_BYTES) != 0)
        abort();

    fuzz_envelope(h.body.data, h.body.len);
    fuzz_broadcast(h.body.data, h.body.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_envelope(data, size);
    fuzz_broadcast(data, size);
    fuzz_hoot(data, size);
    return 0;
}
