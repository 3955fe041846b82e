/*
 * capnp_roundtrip.c — a test tool that puts reel's Cap'n Proto codec on the
 * command line, so tests/integration/capnp_tool.sh can check it against the
 * `capnp` tool in both directions.
 *
 *   capnp_roundtrip encode MSGTYPE [KEY=VALUE]...   message bytes on stdout
 *   capnp_roundtrip decode envelope|broadcast       message bytes on stdin
 *
 * `decode` prints a canonical text: the message type on the first line, then
 * every field as KEY=VALUE in a fixed order, one per line, with the same
 * keys `encode` takes (so the lines can be fed back to `encode`). Values are
 * escaped: \\ \n \t \r and \xHH for other control bytes.
 *
 * Message types and keys (unset keys are empty / 0):
 *   envelope  (all: id=<32 hex digits> traceparent=TEXT)
 *     stream_start         uri def.uri device format=audio|midi sample_rate channels
 *                          sample_format=f32|i16|i24 chunk_size chunk_path
 *                          (def.uri defaults to uri)
 *     stream_switch_chunk  uri new_chunk_path
 *     stream_stop          uri
 *     ack                  message
 *     error                code message details
 *   broadcast
 *     head_position        stream_uri sample_position byte_position wall_clock_ns
 *                          clock_frame mono_ns device_frame events xruns overrun_frames
 *                          overrun_events gaps chunk_bytes chunk_frames events_lost
 *                          midi_clock_ticks
 *     chunk_full           stream_uri path bytes_written samples_written wall_clock_ns
 *                          first_frame end_frame events final
 *     stream_error         stream_uri message recoverable=true|false
 *
 * Exit status: 0 success, 1 codec error (one line on stderr naming the error
 * code, e.g. "corrupt data: ..."), 2 usage error. Test code only: it is
 * never installed and must never be used by reel itself.
 */
#include "protocol/capnp_codec.h"
#include "core/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX (1u << 20)

static const char *const sample_format_names[] = {"f32", "i16", "i24"};

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "capnp_roundtrip: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: capnp_roundtrip encode MSGTYPE [KEY=VALUE]... | "
                    "decode envelope|broadcast\n");
    return 2;
}

static int codec_failed(int rc, const reel_error *err)
{
    fprintf(stderr, "capnp_roundtrip: %s: %s\n", reel_strerror(rc), err->msg);
    return 1;
}

/* ---- values ------------------------------------------------------------ */

/* Undo print_escaped() into dst[0..cap); false if it does not fit or a
 * escape is malformed. */
static bool unescape(const char *s, char *dst, size_t cap)
{
    size_t n = 0;
    while (*s) {
        int c = (unsigned char)*s++;
        if (c == '\\') {
            int e = (unsigned char)*s++;
            if (e == 'n') {
                c = '\n';
            } else if (e == 't') {
                c = '\t';
            } else if (e == 'r') {
                c = '\r';
            } else if (e == '\\') {
                c = '\\';
            } else if (e == 'x' && reel_hex_digit(s[0]) >= 0 && reel_hex_digit(s[1]) >= 0) {
                c = reel_hex_digit(s[0]) * 16 + reel_hex_digit(s[1]);
                s += 2;
            } else {
                return false;
            }
            if (c == 0)
                return false;
        }
        if (n + 1 >= cap)
            return false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    return true;
}

static void print_escaped(const char *key, const char *s)
{
    printf("%s=", key);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p == '\r')
            fputs("\\r", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('\n');
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_id(const char *s, uint8_t id[REEL_UUID_BYTES])
{
    if (strlen(s) != 2 * REEL_UUID_BYTES)
        return false;
    for (int i = 0; i < REEL_UUID_BYTES; i++) {
        int hi = reel_hex_digit(s[2 * i]), lo = reel_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        id[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

/* ---- encode ------------------------------------------------------------ */

typedef struct fields {
    reel_msg_command cmd;
    reel_msg_event ev;
    bool def_uri_set;
} fields;

#define TEXT_FIELD(name, field)                         \
    if (strcmp(key, name) == 0)                         \
        return unescape(val, field, sizeof(field)) ? 0 : -1
#define U64_FIELD(name, field)                          \
    if (strcmp(key, name) == 0)                         \
        return parse_u64(val, &(field)) ? 0 : -1

/* Set one KEY=VALUE: 0 done, -1 bad value, -2 unknown key. */
static int set_field(fields *f, const char *key, const char *val)
{
    reel_msg_command *c = &f->cmd;
    reel_stream_def *d = &c->start.def;
    uint64_t v;

    if (strcmp(key, "id") == 0)
        return parse_id(val, c->id) ? 0 : -1;
    TEXT_FIELD("traceparent", c->traceparent);
    switch (c->kind) {
    case REEL_CMD_STREAM_START:
        TEXT_FIELD("uri", c->start.uri);
        TEXT_FIELD("device", d->device_identity);
        TEXT_FIELD("chunk_path", c->start.chunk_path);
        U64_FIELD("chunk_size", d->chunk_size_bytes);
        U64_FIELD("start_frame", c->start.start_frame);
        if (strcmp(key, "def.uri") == 0) {
            f->def_uri_set = true;
            return unescape(val, d->uri, sizeof d->uri) ? 0 : -1;
        }
        if (strcmp(key, "format") == 0) {
            if (strcmp(val, "audio") && strcmp(val, "midi"))
                return -1;
            d->kind = strcmp(val, "audio") == 0 ? REEL_STREAM_AUDIO : REEL_STREAM_MIDI;
            return 0;
        }
        if (strcmp(key, "clock_rate") == 0)
            key = "sample_rate";
        if (strcmp(key, "sample_rate") == 0 || strcmp(key, "channels") == 0) {
            if (!parse_u64(val, &v) || v > UINT32_MAX)
                return -1;
            if (key[0] == 's')
                d->sample_rate = (uint32_t)v;
            else
                d->channels = (uint32_t)v;
            return 0;
        }
        if (strcmp(key, "sample_format") == 0) {
            for (int i = 0; i < 3; i++) {
                if (strcmp(val, sample_format_names[i]) == 0) {
                    d->sample_format = (reel_sample_format)i;
                    return 0;
                }
            }
            return -1;
        }
        break;
    case REEL_CMD_STREAM_SWITCH_CHUNK:
        TEXT_FIELD("uri", c->switch_chunk.uri);
        TEXT_FIELD("new_chunk_path", c->switch_chunk.new_chunk_path);
        break;
    case REEL_CMD_STREAM_STOP:
        TEXT_FIELD("uri", c->stop.uri);
        break;
    case REEL_CMD_ACK:
        TEXT_FIELD("message", c->ack.message);
        break;
    case REEL_CMD_ERROR:
        TEXT_FIELD("code", c->error.code);
        TEXT_FIELD("message", c->error.message);
        TEXT_FIELD("details", c->error.details);
        break;
    }
    return -2;
}

static int set_event_field(reel_msg_event *e, const char *key, const char *val)
{
    TEXT_FIELD("stream_uri", e->stream_uri);
    switch (e->kind) {
    case REEL_EVT_HEAD_POSITION:
        U64_FIELD("sample_position", e->head.sample_position);
        U64_FIELD("byte_position", e->head.byte_position);
        U64_FIELD("wall_clock_ns", e->head.wall_clock_ns);
        U64_FIELD("clock_frame", e->head.clock_frame);
        if (strcmp(key, "mono_ns") == 0) {
            char *end;
            errno = 0;
            e->head.mono_ns = strtoll(val, &end, 10);
            return (*val && !*end && !errno) ? 0 : -1;
        }
        U64_FIELD("device_frame", e->head.device_frame);
        U64_FIELD("events", e->head.events);
        U64_FIELD("xruns", e->head.xruns);
        U64_FIELD("overrun_frames", e->head.overrun_frames);
        U64_FIELD("overrun_events", e->head.overrun_events);
        U64_FIELD("gaps", e->head.gaps);
        U64_FIELD("chunk_bytes", e->head.chunk_bytes);
        U64_FIELD("chunk_frames", e->head.chunk_frames);
        U64_FIELD("events_lost", e->head.events_lost);
        U64_FIELD("midi_clock_ticks", e->head.midi_clock_ticks);
        break;
    case REEL_EVT_CHUNK_FULL:
        TEXT_FIELD("path", e->chunk_full.path);
        U64_FIELD("bytes_written", e->chunk_full.bytes_written);
        U64_FIELD("samples_written", e->chunk_full.samples_written);
        U64_FIELD("wall_clock_ns", e->chunk_full.wall_clock_ns);
        U64_FIELD("first_frame", e->chunk_full.first_frame);
        U64_FIELD("end_frame", e->chunk_full.end_frame);
        U64_FIELD("events", e->chunk_full.events);
        if (strcmp(key, "final") == 0) {
            if (strcmp(val, "true") && strcmp(val, "false"))
                return -1;
            e->chunk_full.final = strcmp(val, "true") == 0;
            return 0;
        }
        break;
    case REEL_EVT_STREAM_ERROR:
        TEXT_FIELD("message", e->stream_error.message);
        if (strcmp(key, "recoverable") == 0) {
            if (strcmp(val, "true") && strcmp(val, "false"))
                return -1;
            e->stream_error.recoverable = strcmp(val, "true") == 0;
            return 0;
        }
        break;
    }
    return -2;
}

static const struct {
    const char *name;
    bool broadcast;
    int kind;
} msg_types[] = {
    {"stream_start", false, REEL_CMD_STREAM_START},
    {"stream_switch_chunk", false, REEL_CMD_STREAM_SWITCH_CHUNK},
    {"stream_stop", false, REEL_CMD_STREAM_STOP},
    {"ack", false, REEL_CMD_ACK},
    {"error", false, REEL_CMD_ERROR},
    {"head_position", true, REEL_EVT_HEAD_POSITION},
    {"chunk_full", true, REEL_EVT_CHUNK_FULL},
    {"stream_error", true, REEL_EVT_STREAM_ERROR},
};

static int do_encode(int argc, char **argv)
{
    static fields f; /* ~12 KiB: keep it off the stack */
    size_t t = 0, ntypes = sizeof msg_types / sizeof msg_types[0];
    while (t < ntypes && strcmp(argv[0], msg_types[t].name) != 0)
        t++;
    if (t == ntypes)
        return usage("unknown message type '%s'", argv[0]);
    memset(&f, 0, sizeof f);
    bool bc = msg_types[t].broadcast;
    if (bc)
        f.ev.kind = (reel_evt_kind)msg_types[t].kind;
    else
        f.cmd.kind = (reel_cmd_kind)msg_types[t].kind;

    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return usage("argument '%s' is not KEY=VALUE", argv[i]);
        *eq = '\0';
        int rc = bc ? set_event_field(&f.ev, argv[i], eq + 1)
                    : set_field(&f, argv[i], eq + 1);
        if (rc == -2)
            return usage("unknown key '%s' for this message type", argv[i]);
        if (rc == -1)
            return usage("bad value for '%s'", argv[i]);
    }
    if (!bc && f.cmd.kind == REEL_CMD_STREAM_START && !f.def_uri_set)
        memcpy(f.cmd.start.def.uri, f.cmd.start.uri, sizeof f.cmd.start.def.uri);

    uint8_t buf[REEL_CAPNP_MSG_MAX];
    size_t len = 0;
    reel_error err = {0};
    int rc = bc ? reel_capnp_encode_broadcast(&f.ev, buf, sizeof buf, &len, &err)
                : reel_capnp_encode_envelope(&f.cmd, buf, sizeof buf, &len, &err);
    if (rc != REEL_OK)
        return codec_failed(rc, &err);
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        perror("capnp_roundtrip: stdout");
        return 1;
    }
    return 0;
}

/* ---- decode ------------------------------------------------------------ */

static void print_u64(const char *key, uint64_t v)
{
    printf("%s=%llu\n", key, (unsigned long long)v);
}

static void print_command(const reel_msg_command *c)
{
    const char *names[] = {"ack", "error", "stream_start", "stream_switch_chunk", "stream_stop"};
    printf("%s\n", names[c->kind - REEL_CMD_ACK]);
    printf("id=");
    for (int i = 0; i < REEL_UUID_BYTES; i++)
        printf("%02x", c->id[i]);
    putchar('\n');
    print_escaped("traceparent", c->traceparent);

    const reel_stream_def *d = &c->start.def;
    switch (c->kind) {
    case REEL_CMD_STREAM_START:
        print_escaped("uri", c->start.uri);
        print_escaped("def.uri", d->uri);
        print_escaped("device", d->device_identity);
        if (d->kind == REEL_STREAM_AUDIO) {
            printf("format=audio\n");
            print_u64("sample_rate", d->sample_rate);
            print_u64("channels", d->channels);
            printf("sample_format=%s\n", sample_format_names[d->sample_format]);
        } else {
            printf("format=midi\n");
            print_u64("clock_rate", d->sample_rate);
        }
        print_u64("chunk_size", d->chunk_size_bytes);
        print_escaped("chunk_path", c->start.chunk_path);
        print_u64("start_frame", c->start.start_frame);
        break;
    case REEL_CMD_STREAM_SWITCH_CHUNK:
        print_escaped("uri", c->switch_chunk.uri);
        print_escaped("new_chunk_path", c->switch_chunk.new_chunk_path);
        break;
    case REEL_CMD_STREAM_STOP:
        print_escaped("uri", c->stop.uri);
        break;
    case REEL_CMD_ACK:
        print_escaped("message", c->ack.message);
        break;
    case REEL_CMD_ERROR:
        print_escaped("code", c->error.code);
        print_escaped("message", c->error.message);
        print_escaped("details", c->error.details);
        break;
    }
}

static void print_event(const reel_msg_event *e)
{
    switch (e->kind) {
    case REEL_EVT_HEAD_POSITION:
        printf("head_position\n");
        print_escaped("stream_uri", e->stream_uri);
        print_u64("sample_position", e->head.sample_position);
        print_u64("byte_position", e->head.byte_position);
        print_u64("wall_clock_ns", e->head.wall_clock_ns);
        print_u64("clock_frame", e->head.clock_frame);
        printf("mono_ns=%lld\n", (long long)e->head.mono_ns);
        print_u64("device_frame", e->head.device_frame);
        print_u64("events", e->head.events);
        print_u64("xruns", e->head.xruns);
        print_u64("overrun_frames", e->head.overrun_frames);
        print_u64("overrun_events", e->head.overrun_events);
        print_u64("gaps", e->head.gaps);
        print_u64("chunk_bytes", e->head.chunk_bytes);
        print_u64("chunk_frames", e->head.chunk_frames);
        print_u64("events_lost", e->head.events_lost);
        print_u64("midi_clock_ticks", e->head.midi_clock_ticks);
        break;
    case REEL_EVT_CHUNK_FULL:
        printf("chunk_full\n");
        print_escaped("stream_uri", e->stream_uri);
        print_escaped("path", e->chunk_full.path);
        print_u64("bytes_written", e->chunk_full.bytes_written);
        print_u64("samples_written", e->chunk_full.samples_written);
        print_u64("wall_clock_ns", e->chunk_full.wall_clock_ns);
        print_u64("first_frame", e->chunk_full.first_frame);
        print_u64("end_frame", e->chunk_full.end_frame);
        print_u64("events", e->chunk_full.events);
        printf("final=%s\n", e->chunk_full.final ? "true" : "false");
        break;
    case REEL_EVT_STREAM_ERROR:
        printf("stream_error\n");
        print_escaped("stream_uri", e->stream_uri);
        print_escaped("message", e->stream_error.message);
        printf("recoverable=%s\n", e->stream_error.recoverable ? "true" : "false");
        break;
    }
}

static int do_decode(const char *what)
{
    bool bc;
    if (strcmp(what, "envelope") == 0 || strcmp(what, "Envelope") == 0)
        bc = false;
    else if (strcmp(what, "broadcast") == 0 || strcmp(what, "Broadcast") == 0)
        bc = true;
    else
        return usage("unknown schema type '%s'", what);

    static uint8_t in[INPUT_MAX];
    size_t len = fread(in, 1, sizeof in, stdin);
    if (ferror(stdin)) {
        perror("capnp_roundtrip: stdin");
        return 1;
    }
    if (len == sizeof in && fgetc(stdin) != EOF)
        return usage("%s", "input larger than 1 MiB");

    static reel_msg_command cmd;
    static reel_msg_event ev;
    reel_error err = {0};
    int rc = bc ? reel_capnp_decode_broadcast(in, len, &ev, &err)
                : reel_capnp_decode_envelope(in, len, &cmd, &err);
    if (rc != REEL_OK)
        return codec_failed(rc, &err);
    if (bc)
        print_event(&ev);
    else
        print_command(&cmd);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "encode") == 0)
        return do_encode(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return do_decode(argv[2]);
    return usage("%s", "bad arguments");
}
