/*
 * test_capnp_codec.c — reel's Cap'n Proto codec and HOOT01 framing: every
 * message round-trips; limits (text lengths, 255 channels, buffer sizes)
 * hold; hand-made hostile messages (truncated, pointers out of range, huge
 * segments, far pointers, bad discriminants, text without NUL) are refused
 * with one clear line; Cap'n Proto evolution (smaller, larger, null structs)
 * reads defaults. Interop with the `capnp` tool is checked by
 * tests/integration/capnp_tool.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "protocol/capnp_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages are large (a StreamStart is ~6 KiB); tests keep them static. */
static reel_msg_command cmd_in, cmd_out;
static reel_msg_event ev_in, ev_out;
static uint8_t buf[REEL_CAPNP_MSG_MAX];

/* ---- helpers ------------------------------------------------------------ */

static void fill_id(reel_msg_command *c)
{
    for (int i = 0; i < REEL_UUID_BYTES; i++)
        c->id[i] = (uint8_t)(0x10 * i + 1);
    snprintf(c->traceparent, sizeof c->traceparent,
             "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}

static reel_msg_command *start_cmd(reel_stream_kind kind)
{
    memset(&cmd_in, 0, sizeof cmd_in);
    fill_id(&cmd_in);
    cmd_in.kind = REEL_CMD_STREAM_START;
    snprintf(cmd_in.start.uri, sizeof cmd_in.start.uri, "stream://tone/a440");
    reel_stream_def *d = &cmd_in.start.def;
    snprintf(d->uri, sizeof d->uri, "stream://tone/a440");
    snprintf(d->device_identity, sizeof d->device_identity, "tone:440");
    d->kind = kind;
    if (kind == REEL_STREAM_AUDIO) {
        d->sample_rate = 48000;
        d->channels = 2;
        d->sample_format = REEL_SAMPLE_I24;
    }
    d->chunk_size_bytes = 524288;
    snprintf(cmd_in.start.chunk_path, sizeof cmd_in.start.chunk_path,
             "/store/cas/staging/blake3/ab/cd/abcdef");
    return &cmd_in;
}

static size_t encode_cmd(const reel_msg_command *c)
{
    size_t len = 0;
    reel_error err = {0};
    int rc = reel_capnp_encode_envelope(c, buf, sizeof buf, &len, &err);
    if (rc != REEL_OK)
        fail_msg("encode: %s", err.msg);
    assert_true(len >= 16 && len % 8 == 0);
    return len;
}

static size_t encode_ev(const reel_msg_event *e)
{
    size_t len = 0;
    reel_error err = {0};
    int rc = reel_capnp_encode_broadcast(e, buf, sizeof buf, &len, &err);
    if (rc != REEL_OK)
        fail_msg("encode: %s", err.msg);
    return len;
}

/* Encode, decode, and compare byte for byte (both structs start zeroed). */
static void round_trip_cmd(const reel_msg_command *c)
{
    size_t len = encode_cmd(c);
    reel_error err = {0};
    int rc = reel_capnp_decode_envelope(buf, len, &cmd_out, &err);
    if (rc != REEL_OK)
        fail_msg("decode: %s", err.msg);
    assert_memory_equal(c, &cmd_out, sizeof cmd_out);
}

static void round_trip_ev(const reel_msg_event *e)
{
    size_t len = encode_ev(e);
    reel_error err = {0};
    int rc = reel_capnp_decode_broadcast(buf, len, &ev_out, &err);
    if (rc != REEL_OK)
        fail_msg("decode: %s", err.msg);
    assert_memory_equal(e, &ev_out, sizeof ev_out);
}

static void assert_one_line(const reel_error *err)
{
    assert_true(err->msg[0] != '\0');
    assert_null(strchr(err->msg, '\n'));
}

/* Decode as an envelope (or broadcast) and expect `code` with `needle` in the message. */
static void expect_cmd_fail(const uint8_t *b, size_t len, int code, const char *needle)
{
    reel_error err = {0};
    int rc = reel_capnp_decode_envelope(b, len, &cmd_out, &err);
    if (rc != code)
        fail_msg("expected %d, got %d (%s)", code, rc, err.msg);
    assert_int_equal(err.code, code);
    assert_one_line(&err);
    if (needle && !strstr(err.msg, needle))
        fail_msg("'%s' not in '%s'", needle, err.msg);
}

static void expect_ev_fail(const uint8_t *b, size_t len, int code, const char *needle)
{
    reel_error err = {0};
    int rc = reel_capnp_decode_broadcast(b, len, &ev_out, &err);
    if (rc != code)
        fail_msg("expected %d, got %d (%s)", code, rc, err.msg);
    assert_one_line(&err);
    if (needle && !strstr(err.msg, needle))
        fail_msg("'%s' not in '%s'", needle, err.msg);
}

/* A tiny assembler for hand-made messages: pointer words and text words. */
static uint64_t sp(int32_t off, unsigned dw, unsigned pw)
{
    return ((uint64_t)(uint32_t)(off * 4)) | ((uint64_t)dw << 32) | ((uint64_t)pw << 48);
}

static uint64_t lp(int32_t off, unsigned esize, uint64_t count)
{
    return ((uint64_t)(uint32_t)(off * 4) | 1) | ((uint64_t)esize << 32) | (count << 35);
}

static uint64_t far_ptr(void)
{
    return 2 | ((uint64_t)1 << 32); /* landing pad at word 0 of segment 1 */
}

static uint64_t txt(const char *s) /* up to 7 chars + NUL in one word */
{
    uint64_t w = 0;
    for (size_t i = 0; s[i]; i++)
        w |= (uint64_t)(uint8_t)s[i] << (8 * i);
    return w;
}

static size_t assemble(uint8_t *out, const uint64_t *words, size_t n)
{
    memset(out, 0, 8);
    out[4] = (uint8_t)n;
    out[5] = (uint8_t)(n >> 8);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            out[8 + 8 * i + b] = (uint8_t)(words[i] >> (8 * b));
    return 8 + 8 * n;
}

/* Broadcast{streamError{streamUri "abc", error "xy", recoverable}} by hand;
 * words[] can be edited before assembling. */
static size_t stream_error_words(uint64_t *w)
{
    w[0] = sp(0, 1, 1);     /* root -> Broadcast at 1 */
    w[1] = 12;              /* tag streamError */
    w[2] = sp(0, 1, 2);     /* -> StreamError at 3 */
    w[3] = 1;               /* recoverable */
    w[4] = lp(1, 2, 4);     /* streamUri -> 6 */
    w[5] = lp(1, 2, 3);     /* error -> 7 */
    w[6] = txt("abc");
    w[7] = txt("xy");
    return 8;
}

/* Envelope{payload{streamStop{uri "s://a"}}} with null id and traceparent. */
static size_t stop_words(uint64_t *w)
{
    w[0] = sp(0, 0, 3);     /* root -> Envelope at 1 */
    w[1] = 0;               /* id: null */
    w[2] = 0;               /* traceparent: null */
    w[3] = sp(0, 1, 1);     /* payload -> 4 */
    w[4] = 28;              /* tag streamStop */
    w[5] = sp(0, 0, 1);     /* -> StreamStop at 6 */
    w[6] = lp(0, 2, 6);     /* uri -> 7 */
    w[7] = txt("s://a");
    return 8;
}

/* ---- round trips ---------------------------------------------------------- */

static void test_round_trip_stream_start_audio(void **state)
{
    (void)state;
    round_trip_cmd(start_cmd(REEL_STREAM_AUDIO));
    assert_int_equal(cmd_out.start.def.sample_format, REEL_SAMPLE_I24);
    assert_int_equal(cmd_out.start.def.channels, 2);
}

static void test_round_trip_stream_start_midi(void **state)
{
    (void)state;
    /* A MIDI definition carries no rate on the wire: expect 0 back. */
    round_trip_cmd(start_cmd(REEL_STREAM_MIDI));
    assert_int_equal(cmd_out.start.def.kind, REEL_STREAM_MIDI);
}

static void test_round_trip_other_commands(void **state)
{
    (void)state;
    memset(&cmd_in, 0, sizeof cmd_in);
    fill_id(&cmd_in);
    cmd_in.kind = REEL_CMD_STREAM_SWITCH_CHUNK;
    snprintf(cmd_in.switch_chunk.uri, sizeof cmd_in.switch_chunk.uri, "stream://a/b");
    snprintf(cmd_in.switch_chunk.new_chunk_path, sizeof cmd_in.switch_chunk.new_chunk_path,
             "/x/y/z");
    round_trip_cmd(&cmd_in);

    memset(&cmd_in, 0, sizeof cmd_in);
    cmd_in.kind = REEL_CMD_STREAM_STOP; /* zero id, empty traceparent */
    snprintf(cmd_in.stop.uri, sizeof cmd_in.stop.uri, "stream://a/b");
    round_trip_cmd(&cmd_in);

    memset(&cmd_in, 0, sizeof cmd_in);
    fill_id(&cmd_in);
    cmd_in.kind = REEL_CMD_ACK;
    snprintf(cmd_in.ack.message, sizeof cmd_in.ack.message, "stream_started: stream://a/b");
    round_trip_cmd(&cmd_in);

    memset(&cmd_in, 0, sizeof cmd_in);
    fill_id(&cmd_in);
    cmd_in.kind = REEL_CMD_ERROR;
    snprintf(cmd_in.error.code, sizeof cmd_in.error.code, "stream_start_failed");
    snprintf(cmd_in.error.message, sizeof cmd_in.error.message, "chunk file: No such file");
    snprintf(cmd_in.error.details, sizeof cmd_in.error.details, "{\"errno\":2}");
    round_trip_cmd(&cmd_in);
}

static void test_round_trip_events(void **state)
{
    (void)state;
    memset(&ev_in, 0, sizeof ev_in);
    ev_in.kind = REEL_EVT_HEAD_POSITION;
    snprintf(ev_in.stream_uri, sizeof ev_in.stream_uri, "stream://tone/a440");
    ev_in.head.sample_position = 480000;
    ev_in.head.byte_position = UINT64_MAX;
    ev_in.head.wall_clock_ns = 1763632800250000000ull;
    round_trip_ev(&ev_in);

    memset(&ev_in, 0, sizeof ev_in);
    ev_in.kind = REEL_EVT_CHUNK_FULL;
    snprintf(ev_in.stream_uri, sizeof ev_in.stream_uri, "stream://tone/a440");
    snprintf(ev_in.chunk_full.path, sizeof ev_in.chunk_full.path, "/s/t/u");
    ev_in.chunk_full.bytes_written = 524288;
    ev_in.chunk_full.samples_written = 65536;
    ev_in.chunk_full.wall_clock_ns = 42;
    round_trip_ev(&ev_in);

    for (int rec = 0; rec < 2; rec++) {
        memset(&ev_in, 0, sizeof ev_in);
        ev_in.kind = REEL_EVT_STREAM_ERROR;
        snprintf(ev_in.stream_uri, sizeof ev_in.stream_uri, "stream://tone/a440");
        snprintf(ev_in.stream_error.message, sizeof ev_in.stream_error.message, "xrun");
        ev_in.stream_error.recoverable = rec;
        round_trip_ev(&ev_in);
    }
}

/* Every text at its limit still fits REEL_CAPNP_MSG_MAX and round-trips. */
static void test_round_trip_max_lengths(void **state)
{
    (void)state;
    start_cmd(REEL_STREAM_AUDIO);
    memset(cmd_in.traceparent, 't', sizeof cmd_in.traceparent - 1);
    memset(cmd_in.start.uri, 'u', sizeof cmd_in.start.uri - 1);
    memset(cmd_in.start.def.uri, 'v', sizeof cmd_in.start.def.uri - 1);
    memset(cmd_in.start.def.device_identity, 'd', sizeof cmd_in.start.def.device_identity - 1);
    memset(cmd_in.start.chunk_path, 'p', sizeof cmd_in.start.chunk_path - 1);
    cmd_in.start.def.channels = 255;
    round_trip_cmd(&cmd_in);

    memset(&ev_in, 0, sizeof ev_in);
    ev_in.kind = REEL_EVT_CHUNK_FULL;
    memset(ev_in.stream_uri, 'u', sizeof ev_in.stream_uri - 1);
    memset(ev_in.chunk_full.path, 'p', sizeof ev_in.chunk_full.path - 1);
    round_trip_ev(&ev_in);
}

/* ---- encoder limits -------------------------------------------------------- */

/* More than 255 channels travel in channelsWide (the UInt8 field holds 0). */
static void test_encode_channels_over_255(void **state)
{
    (void)state;
    start_cmd(REEL_STREAM_AUDIO)->start.def.channels = 1024;
    cmd_in.start.start_frame = 123456789;
    round_trip_cmd(&cmd_in);
    start_cmd(REEL_STREAM_MIDI)->start.def.sample_rate = 44100;
    round_trip_cmd(&cmd_in);
}

static void test_encode_buffer_too_small(void **state)
{
    (void)state;
    start_cmd(REEL_STREAM_AUDIO);
    size_t need = 0, len = 0;
    reel_error err = {0};
    /* Size query with no buffer. */
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, NULL, 0, &need, &err), REEL_EFULL);
    assert_int_equal(need, encode_cmd(&cmd_in));

    /* One word short: EFULL, nothing written past the capacity. */
    static uint8_t small[REEL_CAPNP_MSG_MAX];
    memset(small, 0xAA, sizeof small);
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, small, need - 8, &len, &err),
                     REEL_EFULL);
    assert_int_equal(len, need);
    for (size_t i = need - 8; i < sizeof small; i++)
        assert_int_equal(small[i], 0xAA);

    /* Exactly enough works and equals the big-buffer encoding. */
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, small, need, &len, NULL), REEL_OK);
    assert_memory_equal(small, buf, need);
}

static void test_encode_bad_arguments(void **state)
{
    (void)state;
    size_t len;
    start_cmd(REEL_STREAM_AUDIO);
    memset(cmd_in.start.chunk_path, 'p', sizeof cmd_in.start.chunk_path); /* no NUL */
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, buf, sizeof buf, &len, NULL),
                     REEL_EINVAL);
    start_cmd(REEL_STREAM_AUDIO)->kind = (reel_cmd_kind)1; /* ping: never sent */
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, buf, sizeof buf, &len, NULL),
                     REEL_EINVAL);
    start_cmd(REEL_STREAM_AUDIO)->start.def.sample_format = (reel_sample_format)7;
    assert_int_equal(reel_capnp_encode_envelope(&cmd_in, buf, sizeof buf, &len, NULL),
                     REEL_EINVAL);
    memset(&ev_in, 0, sizeof ev_in);
    ev_in.kind = (reel_evt_kind)0;
    assert_int_equal(reel_capnp_encode_broadcast(&ev_in, buf, sizeof buf, &len, NULL),
                     REEL_EINVAL);
    assert_int_equal(reel_capnp_encode_broadcast(NULL, buf, sizeof buf, &len, NULL),
                     REEL_EINVAL);
}

/* ---- decoder: hostile input ------------------------------------------------ */

static void test_decode_truncated(void **state)
{
    (void)state;
    size_t len = encode_cmd(start_cmd(REEL_STREAM_AUDIO));
    static uint8_t copy[REEL_CAPNP_MSG_MAX];
    memcpy(copy, buf, len);
    /* Every prefix is refused (the segment table promises more). Each prefix
     * is copied so ASan catches any read past its end. */
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, copy, n);
        expect_cmd_fail(p, n, REEL_ECORRUPT, NULL);
        free(p);
    }
    /* A byte too many is refused as well. */
    copy[len] = 0;
    expect_cmd_fail(copy, len + 1, REEL_ECORRUPT, "follow the end");
    expect_cmd_fail(NULL, 0, REEL_ECORRUPT, "shorter than its segment table");
}

static void test_decode_segment_table(void **state)
{
    (void)state;
    uint64_t w[16];
    size_t len = assemble(buf, w, stop_words(w));

    buf[4] = buf[5] = buf[6] = buf[7] = 0xff; /* 4 G words */
    expect_cmd_fail(buf, len, REEL_ECORRUPT, "does not fit");

    len = assemble(buf, w, stop_words(w));
    buf[0] = 1; /* two segments */
    expect_cmd_fail(buf, len, REEL_ECORRUPT, "single-segment");
    buf[0] = buf[1] = buf[2] = buf[3] = 0xff; /* 2^32 segments: no overflow */
    expect_cmd_fail(buf, len, REEL_ECORRUPT, "single-segment");

    uint8_t empty[8] = {0};
    expect_cmd_fail(empty, 8, REEL_ECORRUPT, "no root pointer");
}

static void test_decode_pointers_out_of_range(void **state)
{
    (void)state;
    uint64_t w[16];
    size_t n = stop_words(w);

    w[0] = sp(1000, 0, 3); /* root past the end */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
    w[0] = sp(-5, 0, 3); /* root before the start */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
    w[0] = sp(0, 0xffff, 0xffff); /* struct larger than the segment */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
    w[0] = sp(0, 0, 3);

    w[6] = lp(0, 2, 9); /* text runs one word past the end */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
    w[6] = lp(-(1 << 29), 2, 6); /* most negative offset */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
    w[6] = lp(0, 2, (1u << 29) - 1); /* largest count */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "out of bounds");
}

static void test_decode_pointer_kinds(void **state)
{
    (void)state;
    uint64_t w[16];
    size_t n = stop_words(w);

    w[3] = far_ptr();
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "far pointer");
    w[3] = 3; /* capability */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "capability");
    w[3] = lp(0, 2, 8); /* list where a struct is expected */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "list pointer");

    n = stop_words(w);
    w[6] = sp(0, 1, 0); /* struct where a Text is expected */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "struct pointer");
    w[6] = lp(0, 5, 1); /* list of words, not bytes */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "element size");
    w[6] = far_ptr();
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "far pointer");
}

static void test_decode_text_without_nul(void **state)
{
    (void)state;
    uint64_t w[16];
    size_t n = stop_words(w);

    w[7] = txt("s://abcd"); /* 8 bytes, count 6: byte 5 is 'b', not NUL */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "not NUL-terminated");
    w[7] = txt("s://a");
    w[6] = lp(0, 2, 0); /* empty list: no room for the NUL */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "not NUL-terminated");
    w[6] = lp(0, 2, 6);
    w[7] = txt("s:") | ((uint64_t)'x' << 24); /* "s:\0x\0": NUL inside */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "NUL byte");
}

static void test_decode_text_too_long(void **state)
{
    (void)state;
    /* A StreamStop whose uri is 600 bytes: well formed, too long for reel. */
    static uint64_t w[128];
    size_t n = stop_words(w);
    size_t count = 601, words = (count + 7) / 8;
    w[6] = lp(0, 2, count);
    memset(&w[7], 'a', 600);
    memset((uint8_t *)&w[7] + 600, 0, words * 8 - 600);
    n = 7 + words;
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ERANGE, "StreamStop.uri");

    /* 511 bytes (the limit) is fine. */
    w[6] = lp(0, 2, 512);
    memset((uint8_t *)&w[7] + 511, 0, 1);
    reel_error err = {0};
    assert_int_equal(reel_capnp_decode_envelope(buf, assemble(buf, w, 7 + 64), &cmd_out, &err),
                     REEL_OK);
    assert_int_equal(strlen(cmd_out.stop.uri), 511);
}

static void test_decode_discriminants(void **state)
{
    (void)state;
    uint64_t w[16];
    size_t n = stop_words(w);

    w[4] = 30; /* past toolCall @29 */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "beyond the schema");
    w[4] = 0xffff;
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "beyond the schema");
    w[4] = 1; /* ping: well formed, not ours */
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_EFORMAT, "ping");
    w[4] = 29;
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_EFORMAT, "toolCall");

    /* toolResponse with a member other than ack. */
    n = stop_words(w);
    w[4] = 24;
    w[5] = sp(0, 1, 1);
    w[6] = 34;
    w[7] = 0;
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "beyond the schema");
    w[6] = 0;
    expect_cmd_fail(buf, assemble(buf, w, n), REEL_EFORMAT, "casStored");

    /* Broadcast. */
    n = stream_error_words(w);
    w[1] = 18;
    expect_ev_fail(buf, assemble(buf, w, n), REEL_ECORRUPT, "beyond the schema");
    w[1] = 9;
    expect_ev_fail(buf, assemble(buf, w, n), REEL_EFORMAT, "log");

    /* StreamFormat tag and SampleFormat enumerant. */
    size_t len = encode_cmd(start_cmd(REEL_STREAM_AUDIO));
    /* Find the AudioFormat word: sampleRate 48000 in its low 32 bits. */
    size_t at = 0;
    for (size_t i = 8; i + 8 <= len; i += 8)
        if (buf[i] == 0x80 && buf[i + 1] == 0xbb && buf[i + 2] == 0 && buf[i + 4] == 2)
            at = i;
    assert_true(at > 0);
    buf[at + 6] = 3; /* sampleFormat 3 */
    expect_cmd_fail(buf, len, REEL_ECORRUPT, "sampleFormat");
    buf[at + 6] = 2;
    /* The StreamFormat data word precedes its pointer, just before AudioFormat. */
    buf[at - 16] = 2;
    expect_cmd_fail(buf, len, REEL_ECORRUPT, "StreamFormat");
}

/* ---- decoder: evolution ------------------------------------------------------ */

static void test_decode_null_and_small_structs(void **state)
{
    (void)state;
    uint64_t w[16];
    reel_error err = {0};

    /* Null id and traceparent read as zero and "". */
    size_t n = stop_words(w);
    assert_int_equal(reel_capnp_decode_envelope(buf, assemble(buf, w, n), &cmd_out, &err),
                     REEL_OK);
    assert_int_equal(cmd_out.kind, REEL_CMD_STREAM_STOP);
    assert_string_equal(cmd_out.stop.uri, "s://a");
    assert_string_equal(cmd_out.traceparent, "");

    /* A null StreamStop reads as an empty one. */
    w[5] = 0;
    assert_int_equal(reel_capnp_decode_envelope(buf, assemble(buf, w, n), &cmd_out, &err),
                     REEL_OK);
    assert_string_equal(cmd_out.stop.uri, "");

    /* An older, smaller StreamError (no data section, one pointer): defaults. */
    n = stream_error_words(w);
    w[2] = sp(1, 0, 1); /* -> word 4, the uri pointer */
    assert_int_equal(reel_capnp_decode_broadcast(buf, assemble(buf, w, n), &ev_out, &err),
                     REEL_OK);
    assert_string_equal(ev_out.stream_uri, "abc");
    assert_string_equal(ev_out.stream_error.message, "");
    assert_false(ev_out.stream_error.recoverable);

    /* A zero-sized struct (offset -1, pointing at itself) is legal. */
    w[0] = sp(0, 1, 1);
    w[1] = 10;            /* streamHeadPosition */
    w[2] = sp(-1, 0, 0);  /* zero-sized */
    assert_int_equal(reel_capnp_decode_broadcast(buf, assemble(buf, w, 3), &ev_out, &err),
                     REEL_OK);
    assert_int_equal(ev_out.kind, REEL_EVT_HEAD_POSITION);
    assert_int_equal(ev_out.head.sample_position, 0);
}

static void test_decode_larger_structs(void **state)
{
    (void)state;
    /* A newer StreamError: two data words and three pointers. */
    uint64_t w[16];
    w[0] = sp(0, 1, 1);
    w[1] = 12;
    w[2] = sp(0, 2, 3);
    w[3] = 1;
    w[4] = 0xdeadbeef;    /* unknown data */
    w[5] = lp(2, 2, 4);   /* -> 8 */
    w[6] = lp(2, 2, 3);   /* -> 9 */
    w[7] = lp(1, 2, 2);   /* unknown text -> 9 */
    w[8] = txt("abc");
    w[9] = txt("xy");
    reel_error err = {0};
    assert_int_equal(reel_capnp_decode_broadcast(buf, assemble(buf, w, 10), &ev_out, &err),
                     REEL_OK);
    assert_string_equal(ev_out.stream_uri, "abc");
    assert_string_equal(ev_out.stream_error.message, "xy");
    assert_true(ev_out.stream_error.recoverable);
}

/* ---- HOOT01 ----------------------------------------------------------------- */

static reel_frame_ref fr(const void *p, size_t n)
{
    return (reel_frame_ref){p, n};
}

static reel_hoot_frame sample_hoot(const uint8_t *body, size_t body_len)
{
    reel_hoot_frame h;
    memset(&h, 0, sizeof h);
    h.command = REEL_HOOT_REQUEST;
    h.content_type = REEL_HOOT_CAPNP;
    for (int i = 0; i < REEL_UUID_BYTES; i++)
        h.request_id[i] = (uint8_t)(0xf0 + i);
    h.service = fr("reel-engine", 11);
    h.traceparent = fr("", 0);
    h.body = fr(body, body_len);
    return h;
}

static void test_hoot_build_parse(void **state)
{
    (void)state;
    size_t len = encode_cmd(start_cmd(REEL_STREAM_AUDIO));
    reel_hoot_frame h = sample_hoot(buf, len);
    reel_frame_ref ids[2] = {fr("\0ABCD", 5), fr("", 0)};
    reel_frame_ref frames[9];
    size_t n = 0;
    reel_error err = {0};
    assert_int_equal(reel_hoot_frame_build(&h, ids, 2, frames, 9, &n, &err), REEL_OK);
    assert_int_equal(n, 9);
    assert_int_equal(frames[2].len, 6);
    assert_memory_equal(frames[2].data, "HOOT01", 6);
    assert_memory_equal(frames[3].data, "\x00\x02", 2);
    assert_memory_equal(frames[4].data, "\x00\x01", 2);

    reel_hoot_frame p;
    assert_int_equal(reel_hoot_frame_parse(frames, n, &p, &err), REEL_OK);
    assert_int_equal(p.identity_count, 2);
    assert_int_equal(p.command, REEL_HOOT_REQUEST);
    assert_int_equal(p.content_type, REEL_HOOT_CAPNP);
    assert_memory_equal(p.request_id, h.request_id, REEL_UUID_BYTES);
    assert_int_equal(p.service.len, 11);
    assert_memory_equal(p.service.data, "reel-engine", 11);
    assert_int_equal(p.traceparent.len, 0);
    assert_ptr_equal(p.body.data, buf);

    /* The body decodes to what was sent. */
    assert_int_equal(reel_capnp_decode_envelope(p.body.data, p.body.len, &cmd_out, &err),
                     REEL_OK);
    assert_memory_equal(&cmd_in, &cmd_out, sizeof cmd_out);

    /* Without identities (DEALER side). */
    assert_int_equal(reel_hoot_frame_build(&h, NULL, 0, frames, 9, &n, &err), REEL_OK);
    assert_int_equal(n, 7);
    assert_int_equal(reel_hoot_frame_parse(frames, n, &p, &err), REEL_OK);
    assert_int_equal(p.identity_count, 0);
}

static void test_hoot_build_errors(void **state)
{
    (void)state;
    reel_hoot_frame h = sample_hoot(NULL, 0);
    reel_frame_ref frames[8];
    size_t n = 0;
    reel_error err = {0};
    assert_int_equal(reel_hoot_frame_build(&h, NULL, 0, frames, 6, &n, &err), REEL_EFULL);
    assert_int_equal(n, 7);
    h.command = (reel_hoot_command)6;
    assert_int_equal(reel_hoot_frame_build(&h, NULL, 0, frames, 8, &n, &err), REEL_EINVAL);
    h = sample_hoot(NULL, 0);
    h.service = fr("bad\xff", 4);
    assert_int_equal(reel_hoot_frame_build(&h, NULL, 0, frames, 8, &n, &err), REEL_EINVAL);
}

static void expect_hoot_fail(const reel_frame_ref *f, size_t n, const char *needle)
{
    reel_hoot_frame p;
    reel_error err = {0};
    int rc = reel_hoot_frame_parse(f, n, &p, &err);
    if (rc != REEL_ECORRUPT)
        fail_msg("expected ECORRUPT, got %d (%s)", rc, err.msg);
    assert_one_line(&err);
    if (needle && !strstr(err.msg, needle))
        fail_msg("'%s' not in '%s'", needle, err.msg);
}

static void test_hoot_parse_malformed(void **state)
{
    (void)state;
    uint8_t id[16] = {0};
    reel_frame_ref good[8] = {
        fr("ident", 5), fr("HOOT01", 6), fr("\x00\x03", 2), fr("\x00\x01", 2),
        fr(id, 16), fr("svc", 3), fr("00-ab", 5), fr("body", 4),
    };
    reel_frame_ref f[9];
    reel_hoot_frame p;
    assert_int_equal(reel_hoot_frame_parse(good, 8, &p, NULL), REEL_OK);
    assert_int_equal(p.identity_count, 1);
    assert_int_equal(p.command, REEL_HOOT_REPLY);

    expect_hoot_fail(good, 0, "no HOOT01");
    expect_hoot_fail(good + 2, 6, "no HOOT01");
    expect_hoot_fail(good, 7, "frames after");             /* body missing */
    memcpy(f, good, sizeof good);
    f[8] = fr("extra", 5);
    expect_hoot_fail(f, 9, "frames after");

#define BAD(i, frame, needle)              \
    do {                                   \
        memcpy(f, good, sizeof good);      \
        f[i] = frame;                      \
        expect_hoot_fail(f, 8, needle);    \
    } while (0)
    BAD(1, fr("HOOT02", 6), "no HOOT01");
    BAD(1, fr("HOOT01\0", 7), "no HOOT01");
    BAD(2, fr("\x00", 1), "command frame");
    BAD(2, fr("\x00\x03\x00", 3), "command frame");
    BAD(2, fr("\x00\x00", 2), "command");
    BAD(2, fr("\x00\x06", 2), "command");
    BAD(2, fr("\x01\x03", 2), "command");
    BAD(3, fr("\x00\x04", 2), "content type");
    BAD(3, fr("", 0), "content type");
    BAD(4, fr(id, 15), "request id");
    BAD(4, fr(id, 17), "request id");
    BAD(5, fr("s\xff", 2), "service");
    BAD(5, fr("\xc0\x80", 2), "service");        /* overlong NUL */
    BAD(5, fr("\xed\xa0\x80", 3), "service");    /* surrogate */
    BAD(5, fr("\xf4\x90\x80\x80", 4), "service");/* past U+10FFFF */
    BAD(5, fr("\xe2\x82", 2), "service");        /* truncated sequence */
    BAD(5, fr("a\0b", 3), "service");
    BAD(6, fr("00\0", 3), "traceparent");
    static char longname[REEL_HOOT_NAME_MAX + 1];
    memset(longname, 'n', sizeof longname);
    BAD(5, fr(longname, sizeof longname), "service");
#undef BAD

    /* Valid multi-byte UTF-8 passes. */
    memcpy(f, good, sizeof good);
    f[5] = fr("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xb5", 9);
    assert_int_equal(reel_hoot_frame_parse(f, 8, &p, NULL), REEL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_stream_start_audio),
        cmocka_unit_test(test_round_trip_stream_start_midi),
        cmocka_unit_test(test_round_trip_other_commands),
        cmocka_unit_test(test_round_trip_events),
        cmocka_unit_test(test_round_trip_max_lengths),
        cmocka_unit_test(test_encode_channels_over_255),
        cmocka_unit_test(test_encode_buffer_too_small),
        cmocka_unit_test(test_encode_bad_arguments),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_segment_table),
        cmocka_unit_test(test_decode_pointers_out_of_range),
        cmocka_unit_test(test_decode_pointer_kinds),
        cmocka_unit_test(test_decode_text_without_nul),
        cmocka_unit_test(test_decode_text_too_long),
        cmocka_unit_test(test_decode_discriminants),
        cmocka_unit_test(test_decode_null_and_small_structs),
        cmocka_unit_test(test_decode_larger_structs),
        cmocka_unit_test(test_hoot_build_parse),
        cmocka_unit_test(test_hoot_build_errors),
        cmocka_unit_test(test_hoot_parse_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
