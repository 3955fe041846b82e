/*
 * capnp_codec.c — Cap'n Proto encode/decode of reel's messages, HOOT01 framing.
 *
 * Owns: the byte layout of Envelope and Broadcast (offsets taken from
 * `capnp compile -ocapnp schemas/<file>.capnp`, see the layout notes below) and
 * the checks that keep a hostile message from reading outside its buffer.
 * Must never: allocate, make a system call, read a byte it has not bounds-
 * checked, or put bytes from the input into an error message (one clean
 * line, whatever was received).
 *
 * Wire format (standard serialization, unpacked, one segment):
 *   u32 segment count - 1 (= 0), u32 segment size in words, then the words.
 * A pointer is one little-endian word; bits 0-1 are its kind:
 *   struct (0): bits 2-31 signed offset in words from the next word,
 *               32-47 data words, 48-63 pointer count;
 *   list   (1): bits 2-31 offset, 32-34 element size (2 = byte), 35-63 count;
 *   far    (2) and capability (3): not produced by single-segment writers of
 *               our schema, rejected with REEL_ECORRUPT.
 * Text is a byte list whose count includes a terminating NUL.
 *
 * The encoder lays objects out depth-first in field order, as capnp's own
 * builder does when fields are set in ordinal order, so `capnp encode` of a
 * text message with fields in ordinal order gives the same bytes.
 *
 * The decoder follows the fixed schema, never a path chosen by the input, so
 * it dereferences at most a dozen pointers per message: no traversal limit
 * is needed against amplification, and the depth limit below only guards
 * against a future schema edit that adds recursion.
 */
#include "protocol/capnp_codec.h"

#include <string.h>

#define MAX_DEPTH 8 /* deepest path today: Envelope/Payload/StreamStart/Definition/Format/Audio */

#define TRY(expr)                 \
    do {                          \
        int rc_ = (expr);         \
        if (rc_ < 0)              \
            return rc_;           \
    } while (0)

/* ---- Layouts (from capnp compile -ocapnp) ------------------------------- *
 * Struct sizes are data words / pointers. Data offsets below are in bytes.
 *   Envelope           0/3  id p0, traceparent p1, payload p2
 *   Uuid               2/0  low @0, high @8
 *   Payload            1/1  union tag u16 @0, member p0
 *   ToolResponse       1/1  union tag u16 @0 (ack = 33), member p0
 *   AckResponse        0/1  message p0
 *   Error              0/3  code p0, message p1, details p2
 *   StreamStart        0/3  uri p0, definition p1, chunkPath p2
 *   StreamDefinition   1/3  uri p0, deviceIdentity p1, format p2, chunkSizeBytes u64 @0
 *   StreamFormat       1/1  union tag u16 @0 (audio 0, midi 1), audio p0
 *   AudioFormat        1/0  sampleRate u32 @0, channels u8 @4, sampleFormat u16 @6
 *   StreamSwitchChunk  0/2  uri p0, newChunkPath p1
 *   StreamStop         0/1  uri p0
 *   Broadcast          1/1  union tag u16 @0, member p0
 *   StreamHeadPosition 14/2 streamUri p0, wallClock p1, samplePosition @0, bytePosition @8,
 *                           then reel's ordinals 4..15 as u64/i64 @16..@104
 *   StreamChunkFull    2/3  streamUri p0, path p1, wallClock p2, bytesWritten @0,
 *                           samplesWritten @8
 *   StreamError        1/2  streamUri p0, error p1, recoverable bit 0
 *   Timestamp          1/0  nanos @0
 */
#define TOOL_RESPONSE_ACK 33

/* Union member names, indexed by discriminant, for error messages. */
static const char *const payload_names[] = {
    "register", "ping", "pong", "shutdown", "toolRequest", "gardenStatus", "gardenPlay",
    "gardenPause", "gardenStop", "gardenSeek", "gardenSetTempo", "removedGardenQuery",
    "gardenEmergencyPause", "gardenCreateRegion", "gardenDeleteRegion", "gardenMoveRegion",
    "gardenGetRegions", "transportPlay", "transportStop", "transportSeek", "transportStatus",
    "timelineQuery", "timelineAddMarker", "timelineEvent", "toolResponse", "error",
    "streamStart", "streamSwitchChunk", "streamStop", "toolCall",
};

static const char *const tool_response_names[] = {
    "casStored", "casContent", "casInspected", "artifactCreated", "artifactInfo",
    "artifactList", "jobStarted", "jobStatus", "jobList", "jobPollResult", "abcParsed",
    "abcValidated", "abcTransposed", "abcConverted", "soundfontInfo", "soundfontPresetInfo",
    "orpheusGenerated", "orpheusClassified", "audioGenerated", "beatsAnalyzed", "clapAnalyzed",
    "gardenStatus", "gardenRegions", "gardenRegionCreated", "gardenQueryResult",
    "graphIdentity", "graphIdentities", "graphConnection", "graphTags", "graphContext",
    "graphQueryResult", "configValue", "toolsList", "ack",
};

static const char *const broadcast_names[] = {
    "configUpdate", "shutdown", "scriptInvalidate", "jobStateChanged", "progress",
    "artifactCreated", "transportStateChanged", "markerReached", "beatTick", "log",
    "streamHeadPosition", "streamChunkFull", "streamError", "deviceConnected",
    "deviceDisconnected", "audioAttached", "audioDetached", "audioUnderrun",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The largest messages fit REEL_CAPNP_MSG_MAX (in words: header, root,
 * structs, texts at their limits). */
#define TEXT_WORDS(max) (((max) + 7) / 8)
enum {
    START_WORDS = 1 + 1 + 3 + 2 + TEXT_WORDS(REEL_CAPNP_TRACEPARENT_MAX) + 2 + 3 +
                  TEXT_WORDS(REEL_CAPNP_URI_MAX) + 4 + TEXT_WORDS(REEL_URI_MAX) +
                  TEXT_WORDS(REEL_DEVICE_MAX) + 2 + 1 + TEXT_WORDS(REEL_CAPNP_PATH_MAX),
    ERROR_WORDS = 1 + 1 + 3 + 2 + TEXT_WORDS(REEL_CAPNP_TRACEPARENT_MAX) + 2 + 3 +
                  TEXT_WORDS(REEL_CAPNP_CODE_MAX) + 2 * TEXT_WORDS(REEL_CAPNP_TEXT_MAX),
    CHUNK_FULL_WORDS = 1 + 1 + 2 + 5 + TEXT_WORDS(REEL_CAPNP_URI_MAX) +
                       TEXT_WORDS(REEL_CAPNP_PATH_MAX) + 1,
};
_Static_assert(8 * START_WORDS <= REEL_CAPNP_MSG_MAX, "REEL_CAPNP_MSG_MAX too small");
_Static_assert(8 * ERROR_WORDS <= REEL_CAPNP_MSG_MAX, "REEL_CAPNP_MSG_MAX too small");
_Static_assert(8 * CHUNK_FULL_WORDS <= REEL_CAPNP_MSG_MAX, "REEL_CAPNP_MSG_MAX too small");

/* ---- Little-endian access, byte by byte ---------------------------------
 * ZMQ frames carry no alignment guarantee and the host may be big-endian. */

static uint64_t get_le(const uint8_t *p, unsigned nbytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < nbytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned nbytes)
{
    for (unsigned i = 0; i < nbytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ======================================================================== */
/* Encoding                                                                 */
/* ======================================================================== */

/* Words are allocated one after the other in the caller's buffer. Once the
 * buffer is full the builder keeps counting without writing, so a failed
 * encode still reports the size it needed. */
typedef struct builder {
    uint8_t *seg;     /* first word after the segment table; NULL if none fits */
    size_t cap_words; /* words that fit */
    size_t used;      /* words allocated */
} builder;

/* A struct being built: word index of its data and of its pointer section. */
typedef struct bstruct {
    size_t data;
    size_t ptrs;
} bstruct;

static void b_init(builder *b, uint8_t *buf, size_t cap)
{
    b->seg = (buf && cap >= 8) ? buf + 8 : NULL;
    b->cap_words = b->seg ? (cap - 8) / 8 : 0;
    b->used = 0;
}

static size_t b_alloc(builder *b, size_t words)
{
    size_t at = b->used;
    b->used += words;
    if (words && b->used <= b->cap_words)
        memset(b->seg + at * 8, 0, words * 8);
    return at;
}

static void b_put(builder *b, size_t word, unsigned byte, uint64_t v, unsigned nbytes)
{
    if (word < b->cap_words)
        put_le(b->seg + word * 8 + byte, v, nbytes);
}

/* Allocate a struct and point the pointer word `at` to it. Objects always
 * follow their pointer, so the offset is never negative. */
static bstruct b_struct(builder *b, size_t at, unsigned data_words, unsigned ptr_count)
{
    bstruct s;
    s.data = b_alloc(b, data_words + ptr_count);
    s.ptrs = s.data + data_words;
    uint64_t off = s.data - at - 1;
    b_put(b, at, 0, (off << 2) | ((uint64_t)data_words << 32) | ((uint64_t)ptr_count << 48), 8);
    return s;
}

/* Write the C string in a char[field_size] as a Text and point `at` to it. */
static int b_text(builder *b, size_t at, const char *s, size_t field_size, const char *what,
                  reel_error *err)
{
    size_t n = strnlen(s, field_size);
    if (n == field_size)
        return reel_error_set(err, REEL_EINVAL, "%s is not NUL-terminated within its %zu bytes",
                              what, field_size);
    size_t t = b_alloc(b, (n + 1 + 7) / 8);
    if (n && b->used <= b->cap_words)
        memcpy(b->seg + t * 8, s, n);
    uint64_t off = t - at - 1;
    b_put(b, at, 0, (off << 2) | 1 | ((uint64_t)2 << 32) | ((uint64_t)(n + 1) << 35), 8);
    return REEL_OK;
}

#define B_TEXT(b, at, field, what, err) b_text((b), (at), (field), sizeof(field), (what), (err))

/* Write the segment table, or report the size needed. */
static int b_finish(builder *b, uint8_t *buf, size_t cap, size_t *len, reel_error *err)
{
    size_t total = 8 + b->used * 8;
    *len = total;
    if (total > cap)
        return reel_error_set(err, REEL_EFULL, "message needs %zu bytes, buffer holds %zu",
                              total, cap);
    put_le(buf, 0, 4);
    put_le(buf + 4, b->used, 4);
    return REEL_OK;
}

static int encode_definition(builder *b, size_t at, const reel_stream_def *d, reel_error *err)
{
    if (d->kind == REEL_STREAM_AUDIO) {
        if ((unsigned)d->sample_format > REEL_SAMPLE_I24)
            return reel_error_set(err, REEL_EINVAL, "unknown sample format %d",
                                  (int)d->sample_format);
    } else if (d->kind != REEL_STREAM_MIDI) {
        return reel_error_set(err, REEL_EINVAL, "unknown stream kind %d", (int)d->kind);
    }

    bstruct s = b_struct(b, at, 1, 3);
    TRY(B_TEXT(b, s.ptrs + 0, d->uri, "StreamDefinition.uri", err));
    TRY(B_TEXT(b, s.ptrs + 1, d->device_identity, "StreamDefinition.deviceIdentity", err));
    bstruct f = b_struct(b, s.ptrs + 2, 1, 1);
    if (d->kind == REEL_STREAM_AUDIO) {
        b_put(b, f.data, 0, 0, 2);
        bstruct a = b_struct(b, f.ptrs + 0, 2, 0);
        b_put(b, a.data, 0, d->sample_rate, 4);
        b_put(b, a.data, 4, d->channels <= 255 ? d->channels : 0, 1);
        b_put(b, a.data + 1, 0, d->channels, 4);
        b_put(b, a.data, 6, (uint64_t)d->sample_format, 2);
    } else {
        b_put(b, f.data, 0, 1, 2);
    }
    b_put(b, s.data, 0, d->chunk_size_bytes, 8);
    return REEL_OK;
}

int reel_capnp_encode_envelope(const reel_msg_command *cmd, uint8_t *buf, size_t cap,
                               size_t *len, reel_error *err)
{
    if (!cmd || !len || (!buf && cap))
        return reel_error_set(err, REEL_EINVAL, "encode envelope: NULL argument");
    switch (cmd->kind) {
    case REEL_CMD_ACK: case REEL_CMD_ERROR: case REEL_CMD_STREAM_START:
    case REEL_CMD_STREAM_SWITCH_CHUNK: case REEL_CMD_STREAM_STOP:
        break;
    default:
        return reel_error_set(err, REEL_EINVAL, "unknown command kind %d", (int)cmd->kind);
    }

    builder b;
    b_init(&b, buf, cap);
    size_t root = b_alloc(&b, 1);
    bstruct env = b_struct(&b, root, 0, 3);
    bstruct id = b_struct(&b, env.ptrs + 0, 2, 0);
    b_put(&b, id.data, 0, get_le(cmd->id, 8), 8);
    b_put(&b, id.data + 1, 0, get_le(cmd->id + 8, 8), 8);
    TRY(B_TEXT(&b, env.ptrs + 1, cmd->traceparent, "Envelope.traceparent", err));
    bstruct pl = b_struct(&b, env.ptrs + 2, 1, 1);
    b_put(&b, pl.data, 0, (uint64_t)cmd->kind, 2);

    switch (cmd->kind) {
    case REEL_CMD_ACK: {
        bstruct tr = b_struct(&b, pl.ptrs, 1, 1);
        b_put(&b, tr.data, 0, TOOL_RESPONSE_ACK, 2);
        bstruct ack = b_struct(&b, tr.ptrs, 0, 1);
        TRY(B_TEXT(&b, ack.ptrs, cmd->ack.message, "AckResponse.message", err));
        break;
    }
    case REEL_CMD_ERROR: {
        bstruct e = b_struct(&b, pl.ptrs, 0, 3);
        TRY(B_TEXT(&b, e.ptrs + 0, cmd->error.code, "Error.code", err));
        TRY(B_TEXT(&b, e.ptrs + 1, cmd->error.message, "Error.message", err));
        TRY(B_TEXT(&b, e.ptrs + 2, cmd->error.details, "Error.details", err));
        break;
    }
    case REEL_CMD_STREAM_START: {
        bstruct s = b_struct(&b, pl.ptrs, 2, 3);
        TRY(B_TEXT(&b, s.ptrs + 0, cmd->start.uri, "StreamStart.uri", err));
        TRY(encode_definition(&b, s.ptrs + 1, &cmd->start.def, err));
        TRY(B_TEXT(&b, s.ptrs + 2, cmd->start.chunk_path, "StreamStart.chunkPath", err));
        b_put(&b, s.data, 0, cmd->start.start_frame, 8);
        if (cmd->start.def.kind == REEL_STREAM_MIDI)
            b_put(&b, s.data + 1, 0, cmd->start.def.sample_rate, 4);
        break;
    }
    case REEL_CMD_STREAM_SWITCH_CHUNK: {
        bstruct s = b_struct(&b, pl.ptrs, 0, 2);
        TRY(B_TEXT(&b, s.ptrs + 0, cmd->switch_chunk.uri, "StreamSwitchChunk.uri", err));
        TRY(B_TEXT(&b, s.ptrs + 1, cmd->switch_chunk.new_chunk_path,
                   "StreamSwitchChunk.newChunkPath", err));
        break;
    }
    case REEL_CMD_STREAM_STOP: {
        bstruct s = b_struct(&b, pl.ptrs, 0, 1);
        TRY(B_TEXT(&b, s.ptrs + 0, cmd->stop.uri, "StreamStop.uri", err));
        break;
    }
    }
    return b_finish(&b, buf, cap, len, err);
}

int reel_capnp_encode_broadcast(const reel_msg_event *ev, uint8_t *buf, size_t cap,
                                size_t *len, reel_error *err)
{
    if (!ev || !len || (!buf && cap))
        return reel_error_set(err, REEL_EINVAL, "encode broadcast: NULL argument");
    if (ev->kind != REEL_EVT_HEAD_POSITION && ev->kind != REEL_EVT_CHUNK_FULL &&
        ev->kind != REEL_EVT_STREAM_ERROR)
        return reel_error_set(err, REEL_EINVAL, "unknown event kind %d", (int)ev->kind);

    builder b;
    b_init(&b, buf, cap);
    size_t root = b_alloc(&b, 1);
    bstruct bc = b_struct(&b, root, 1, 1);
    b_put(&b, bc.data, 0, (uint64_t)ev->kind, 2);

    switch (ev->kind) {
    case REEL_EVT_HEAD_POSITION: {
        bstruct h = b_struct(&b, bc.ptrs, 14, 2);
        TRY(B_TEXT(&b, h.ptrs + 0, ev->stream_uri, "StreamHeadPosition.streamUri", err));
        b_put(&b, h.data + 0, 0, ev->head.sample_position, 8);
        b_put(&b, h.data + 1, 0, ev->head.byte_position, 8);
        const uint64_t more[12] = {ev->head.clock_frame, (uint64_t)ev->head.mono_ns,
                                   ev->head.device_frame, ev->head.events, ev->head.xruns,
                                   ev->head.overrun_frames, ev->head.overrun_events,
                                   ev->head.gaps, ev->head.chunk_bytes, ev->head.chunk_frames,
                                   ev->head.events_lost, ev->head.midi_clock_ticks};
        for (unsigned i = 0; i < 12; i++)
            b_put(&b, h.data + 2 + i, 0, more[i], 8);
        bstruct ts = b_struct(&b, h.ptrs + 1, 1, 0);
        b_put(&b, ts.data, 0, ev->head.wall_clock_ns, 8);
        break;
    }
    case REEL_EVT_CHUNK_FULL: {
        bstruct c = b_struct(&b, bc.ptrs, 6, 3);
        TRY(B_TEXT(&b, c.ptrs + 0, ev->stream_uri, "StreamChunkFull.streamUri", err));
        TRY(B_TEXT(&b, c.ptrs + 1, ev->chunk_full.path, "StreamChunkFull.path", err));
        b_put(&b, c.data + 0, 0, ev->chunk_full.bytes_written, 8);
        b_put(&b, c.data + 1, 0, ev->chunk_full.samples_written, 8);
        b_put(&b, c.data + 2, 0, ev->chunk_full.first_frame, 8);
        b_put(&b, c.data + 3, 0, ev->chunk_full.end_frame, 8);
        b_put(&b, c.data + 4, 0, ev->chunk_full.events, 8);
        b_put(&b, c.data + 5, 0, ev->chunk_full.final ? 1 : 0, 1);
        bstruct ts = b_struct(&b, c.ptrs + 2, 1, 0);
        b_put(&b, ts.data, 0, ev->chunk_full.wall_clock_ns, 8);
        break;
    }
    case REEL_EVT_STREAM_ERROR: {
        bstruct e = b_struct(&b, bc.ptrs, 1, 2);
        TRY(B_TEXT(&b, e.ptrs + 0, ev->stream_uri, "StreamError.streamUri", err));
        TRY(B_TEXT(&b, e.ptrs + 1, ev->stream_error.message, "StreamError.error", err));
        b_put(&b, e.data, 0, ev->stream_error.recoverable ? 1 : 0, 1);
        break;
    }
    }
    return b_finish(&b, buf, cap, len, err);
}

/* ======================================================================== */
/* Decoding                                                                 */
/* ======================================================================== */

typedef struct reader {
    const uint8_t *seg; /* the segment's first word */
    size_t nwords;      /* its size; every access is checked against it */
    reel_error *err;
} reader;

/* A struct being read. A null or absent pointer gives the empty struct
 * (data_bytes 0, nptrs 0), whose every field reads as its default; a struct
 * from an older or newer writer is smaller or larger, and fields past its
 * end read as defaults too (Cap'n Proto's evolution rules). */
typedef struct rstruct {
    const uint8_t *data;
    size_t data_bytes;
    size_t ptrs;     /* word index of the pointer section */
    size_t nptrs;
    unsigned depth;
} rstruct;

static uint64_t r_data(const rstruct *s, size_t byte, unsigned nbytes)
{
    if (byte + nbytes > s->data_bytes)
        return 0;
    return get_le(s->data + byte, nbytes);
}

/* The pointer word in `slot` of `s`, 0 when the slot is absent. */
static uint64_t r_ptr_word(const reader *r, const rstruct *s, unsigned slot, size_t *at)
{
    if (slot >= s->nptrs)
        return 0;
    *at = s->ptrs + slot;
    return get_le(r->seg + *at * 8, 8);
}

/* Check that a non-null pointer word is of `want` kind (0 struct, 1 list). */
static int r_kind(const reader *r, uint64_t w, unsigned want, const char *what)
{
    unsigned kind = (unsigned)(w & 3);
    if (kind == want)
        return REEL_OK;
    if (kind == 2)
        return reel_error_set(r->err, REEL_ECORRUPT,
                              "%s: far pointer (only single-segment messages are supported)",
                              what);
    if (kind == 3)
        return reel_error_set(r->err, REEL_ECORRUPT, "%s: capability pointer in a message "
                              "without capabilities", what);
    return reel_error_set(r->err, REEL_ECORRUPT, "%s: %s pointer where a %s was expected", what,
                          kind == 0 ? "struct" : "list", want == 0 ? "struct" : "Text");
}

/* Word index the pointer at `at` points to: bits 2-31, signed, counted from
 * the word after the pointer. May be negative or past the end: the caller
 * checks the whole object against the segment. */
static int64_t r_target(size_t at, uint64_t w)
{
    uint32_t lo = (uint32_t)w;
    int64_t off = (int64_t)(lo >> 2);
    if (lo & 0x80000000u)
        off -= (int64_t)1 << 30;
    return (int64_t)at + 1 + off;
}

static int r_struct(const reader *r, const rstruct *parent, unsigned slot, rstruct *out,
                    const char *what)
{
    memset(out, 0, sizeof *out);
    out->depth = parent->depth + 1;
    if (out->depth > MAX_DEPTH)
        return reel_error_set(r->err, REEL_ECORRUPT, "%s: nested deeper than %d structs", what,
                              MAX_DEPTH);
    size_t at = 0;
    uint64_t w = r_ptr_word(r, parent, slot, &at);
    if (w == 0)
        return REEL_OK;
    TRY(r_kind(r, w, 0, what));
    int64_t target = r_target(at, w);
    uint64_t dw = (w >> 32) & 0xffff, pw = w >> 48;
    if (target < 0 || (uint64_t)target + dw + pw > r->nwords)
        return reel_error_set(r->err, REEL_ECORRUPT,
                              "%s: struct pointer out of bounds (word %lld, %llu words, segment "
                              "has %zu)", what, (long long)target,
                              (unsigned long long)(dw + pw), r->nwords);
    out->data = r->seg + (size_t)target * 8;
    out->data_bytes = (size_t)dw * 8;
    out->ptrs = (size_t)target + (size_t)dw;
    out->nptrs = (size_t)pw;
    return REEL_OK;
}

/* Copy the Text in `slot` into dst[0..cap) (NUL included); null reads "". */
static int r_text(const reader *r, const rstruct *s, unsigned slot, char *dst, size_t cap,
                  const char *what)
{
    dst[0] = '\0';
    size_t at = 0;
    uint64_t w = r_ptr_word(r, s, slot, &at);
    if (w == 0)
        return REEL_OK;
    TRY(r_kind(r, w, 1, what));
    unsigned esize = (unsigned)((w >> 32) & 7);
    if (esize != 2)
        return reel_error_set(r->err, REEL_ECORRUPT,
                              "%s: list of element size code %u where a Text (bytes) was expected",
                              what, esize);
    uint64_t count = w >> 35;
    int64_t target = r_target(at, w);
    uint64_t words = (count + 7) / 8;
    if (target < 0 || (uint64_t)target + words > r->nwords)
        return reel_error_set(r->err, REEL_ECORRUPT,
                              "%s: text pointer out of bounds (word %lld, %llu bytes, segment "
                              "has %zu words)", what, (long long)target,
                              (unsigned long long)count, r->nwords);
    const uint8_t *p = r->seg + (size_t)target * 8;
    if (count == 0 || p[count - 1] != 0)
        return reel_error_set(r->err, REEL_ECORRUPT, "%s: text is not NUL-terminated", what);
    if (memchr(p, 0, (size_t)count - 1))
        return reel_error_set(r->err, REEL_ECORRUPT, "%s: text contains a NUL byte", what);
    if (count > cap)
        return reel_error_set(r->err, REEL_ERANGE, "%s is %llu bytes long, reel accepts at most %zu",
                              what, (unsigned long long)(count - 1), cap - 1);
    memcpy(dst, p, (size_t)count);
    return REEL_OK;
}

#define R_TEXT(r, s, slot, field, what) r_text((r), (s), (slot), (field), sizeof(field), (what))

/* Check the segment table and return the pseudo-struct holding the root
 * pointer (word 0). */
static int r_init(reader *r, const uint8_t *buf, size_t len, rstruct *top, reel_error *err)
{
    r->err = err;
    memset(top, 0, sizeof *top);
    if (!buf && len)
        return reel_error_set(err, REEL_EINVAL, "decode: NULL buffer");
    if (len < 8)
        return reel_error_set(err, REEL_ECORRUPT,
                              "message is %zu bytes, shorter than its segment table", len);
    uint64_t nseg = get_le(buf, 4) + 1;
    if (nseg != 1)
        return reel_error_set(err, REEL_ECORRUPT, "message has %llu segments; only "
                              "single-segment messages are supported", (unsigned long long)nseg);
    uint64_t size = get_le(buf + 4, 4);
    if (size == 0)
        return reel_error_set(err, REEL_ECORRUPT, "message segment is empty (no root pointer)");
    if (size > (len - 8) / 8)
        return reel_error_set(err, REEL_ECORRUPT, "segment of %llu words does not fit in the "
                              "%zu bytes received", (unsigned long long)size, len);
    if (size * 8 != len - 8)
        return reel_error_set(err, REEL_ECORRUPT, "%llu bytes follow the end of the message",
                              (unsigned long long)(len - 8 - size * 8));
    r->seg = buf + 8;
    r->nwords = (size_t)size;
    top->nptrs = 1;
    return REEL_OK;
}

static int decode_definition(const reader *r, const rstruct *parent, unsigned slot,
                             reel_stream_def *d)
{
    rstruct s, f, a;
    TRY(r_struct(r, parent, slot, &s, "StreamStart.definition"));
    TRY(R_TEXT(r, &s, 0, d->uri, "StreamDefinition.uri"));
    TRY(R_TEXT(r, &s, 1, d->device_identity, "StreamDefinition.deviceIdentity"));
    TRY(r_struct(r, &s, 2, &f, "StreamDefinition.format"));
    d->chunk_size_bytes = r_data(&s, 0, 8);

    unsigned tag = (unsigned)r_data(&f, 0, 2);
    if (tag == 0) {
        TRY(r_struct(r, &f, 0, &a, "StreamFormat.audio"));
        unsigned sf = (unsigned)r_data(&a, 6, 2);
        if (sf > REEL_SAMPLE_I24)
            return reel_error_set(r->err, REEL_ECORRUPT, "AudioFormat.sampleFormat enumerant "
                                  "%u is beyond the schema (f32, i16, i24)", sf);
        d->kind = REEL_STREAM_AUDIO;
        d->sample_rate = (uint32_t)r_data(&a, 0, 4);
        d->channels = (uint32_t)r_data(&a, 8, 4);
        if (d->channels == 0)
            d->channels = (uint32_t)r_data(&a, 4, 1);
        d->sample_format = (reel_sample_format)sf;
    } else if (tag == 1) {
        d->kind = REEL_STREAM_MIDI; /* no rate, channels or format on the wire */
    } else {
        return reel_error_set(r->err, REEL_ECORRUPT, "StreamFormat union discriminant %u is "
                              "beyond the schema (audio, midi)", tag);
    }
    return REEL_OK;
}

static int decode_tool_response(const reader *r, const rstruct *pl, reel_msg_command *out)
{
    rstruct tr, ack;
    TRY(r_struct(r, pl, 0, &tr, "Payload.toolResponse"));
    unsigned tag = (unsigned)r_data(&tr, 0, 2);
    if (tag == TOOL_RESPONSE_ACK) {
        TRY(r_struct(r, &tr, 0, &ack, "ToolResponse.ack"));
        return R_TEXT(r, &ack, 0, out->ack.message, "AckResponse.message");
    }
    if (tag < COUNT(tool_response_names))
        return reel_error_set(r->err, REEL_EFORMAT, "toolResponse member %s (%u) is not "
                              "handled by reel", tool_response_names[tag], tag);
    return reel_error_set(r->err, REEL_ECORRUPT, "ToolResponse union discriminant %u is "
                          "beyond the schema (0..%d)", tag, TOOL_RESPONSE_ACK);
}

int reel_capnp_decode_envelope(const uint8_t *buf, size_t len, reel_msg_command *out,
                               reel_error *err)
{
    if (!out)
        return reel_error_set(err, REEL_EINVAL, "decode envelope: NULL output");
    memset(out, 0, sizeof *out);

    reader r;
    rstruct top, env, id, pl, s;
    TRY(r_init(&r, buf, len, &top, err));
    TRY(r_struct(&r, &top, 0, &env, "Envelope"));
    TRY(r_struct(&r, &env, 0, &id, "Envelope.id"));
    put_le(out->id, r_data(&id, 0, 8), 8);
    put_le(out->id + 8, r_data(&id, 8, 8), 8);
    TRY(R_TEXT(&r, &env, 1, out->traceparent, "Envelope.traceparent"));
    TRY(r_struct(&r, &env, 2, &pl, "Envelope.payload"));

    unsigned tag = (unsigned)r_data(&pl, 0, 2);
    switch (tag) {
    case REEL_CMD_ACK:
        TRY(decode_tool_response(&r, &pl, out));
        break;
    case REEL_CMD_ERROR:
        TRY(r_struct(&r, &pl, 0, &s, "Payload.error"));
        TRY(R_TEXT(&r, &s, 0, out->error.code, "Error.code"));
        TRY(R_TEXT(&r, &s, 1, out->error.message, "Error.message"));
        TRY(R_TEXT(&r, &s, 2, out->error.details, "Error.details"));
        break;
    case REEL_CMD_STREAM_START:
        TRY(r_struct(&r, &pl, 0, &s, "Payload.streamStart"));
        TRY(R_TEXT(&r, &s, 0, out->start.uri, "StreamStart.uri"));
        TRY(decode_definition(&r, &s, 1, &out->start.def));
        TRY(R_TEXT(&r, &s, 2, out->start.chunk_path, "StreamStart.chunkPath"));
        out->start.start_frame = r_data(&s, 0, 8);
        if (out->start.def.kind == REEL_STREAM_MIDI)
            out->start.def.sample_rate = (uint32_t)r_data(&s, 8, 4);
        break;
    case REEL_CMD_STREAM_SWITCH_CHUNK:
        TRY(r_struct(&r, &pl, 0, &s, "Payload.streamSwitchChunk"));
        TRY(R_TEXT(&r, &s, 0, out->switch_chunk.uri, "StreamSwitchChunk.uri"));
        TRY(R_TEXT(&r, &s, 1, out->switch_chunk.new_chunk_path,
                   "StreamSwitchChunk.newChunkPath"));
        break;
    case REEL_CMD_STREAM_STOP:
        TRY(r_struct(&r, &pl, 0, &s, "Payload.streamStop"));
        TRY(R_TEXT(&r, &s, 0, out->stop.uri, "StreamStop.uri"));
        break;
    default:
        if (tag < COUNT(payload_names))
            return reel_error_set(err, REEL_EFORMAT, "payload member %s (%u) is not handled "
                                  "by reel", payload_names[tag], tag);
        return reel_error_set(err, REEL_ECORRUPT, "Payload union discriminant %u is beyond "
                              "the schema (0..%zu)", tag, COUNT(payload_names) - 1);
    }
    out->kind = (reel_cmd_kind)tag;
    return REEL_OK;
}

int reel_capnp_decode_broadcast(const uint8_t *buf, size_t len, reel_msg_event *out,
                                reel_error *err)
{
    if (!out)
        return reel_error_set(err, REEL_EINVAL, "decode broadcast: NULL output");
    memset(out, 0, sizeof *out);

    reader r;
    rstruct top, bc, s, ts;
    TRY(r_init(&r, buf, len, &top, err));
    TRY(r_struct(&r, &top, 0, &bc, "Broadcast"));

    unsigned tag = (unsigned)r_data(&bc, 0, 2);
    switch (tag) {
    case REEL_EVT_HEAD_POSITION:
        TRY(r_struct(&r, &bc, 0, &s, "Broadcast.streamHeadPosition"));
        TRY(R_TEXT(&r, &s, 0, out->stream_uri, "StreamHeadPosition.streamUri"));
        out->head.sample_position = r_data(&s, 0, 8);
        out->head.byte_position = r_data(&s, 8, 8);
        out->head.clock_frame = r_data(&s, 16, 8);
        out->head.mono_ns = (int64_t)r_data(&s, 24, 8);
        out->head.device_frame = r_data(&s, 32, 8);
        out->head.events = r_data(&s, 40, 8);
        out->head.xruns = r_data(&s, 48, 8);
        out->head.overrun_frames = r_data(&s, 56, 8);
        out->head.overrun_events = r_data(&s, 64, 8);
        out->head.gaps = r_data(&s, 72, 8);
        out->head.chunk_bytes = r_data(&s, 80, 8);
        out->head.chunk_frames = r_data(&s, 88, 8);
        out->head.events_lost = r_data(&s, 96, 8);
        out->head.midi_clock_ticks = r_data(&s, 104, 8); /* 0 from an older writer */
        TRY(r_struct(&r, &s, 1, &ts, "StreamHeadPosition.wallClock"));
        out->head.wall_clock_ns = r_data(&ts, 0, 8);
        break;
    case REEL_EVT_CHUNK_FULL:
        TRY(r_struct(&r, &bc, 0, &s, "Broadcast.streamChunkFull"));
        TRY(R_TEXT(&r, &s, 0, out->stream_uri, "StreamChunkFull.streamUri"));
        TRY(R_TEXT(&r, &s, 1, out->chunk_full.path, "StreamChunkFull.path"));
        out->chunk_full.bytes_written = r_data(&s, 0, 8);
        out->chunk_full.samples_written = r_data(&s, 8, 8);
        out->chunk_full.first_frame = r_data(&s, 16, 8);
        out->chunk_full.end_frame = r_data(&s, 24, 8);
        out->chunk_full.events = r_data(&s, 32, 8);
        out->chunk_full.final = (r_data(&s, 40, 1) & 1) != 0;
        TRY(r_struct(&r, &s, 2, &ts, "StreamChunkFull.wallClock"));
        out->chunk_full.wall_clock_ns = r_data(&ts, 0, 8);
        break;
    case REEL_EVT_STREAM_ERROR:
        TRY(r_struct(&r, &bc, 0, &s, "Broadcast.streamError"));
        TRY(R_TEXT(&r, &s, 0, out->stream_uri, "StreamError.streamUri"));
        TRY(R_TEXT(&r, &s, 1, out->stream_error.message, "StreamError.error"));
        out->stream_error.recoverable = (r_data(&s, 0, 1) & 1) != 0;
        break;
    default:
        if (tag < COUNT(broadcast_names))
            return reel_error_set(err, REEL_EFORMAT, "broadcast member %s (%u) is not handled "
                                  "by reel", broadcast_names[tag], tag);
        return reel_error_set(err, REEL_ECORRUPT, "Broadcast union discriminant %u is beyond "
                              "the schema (0..%zu)", tag, COUNT(broadcast_names) - 1);
    }
    out->kind = (reel_evt_kind)tag;
    return REEL_OK;
}

/* ======================================================================== */
/* HOOT01 framing                                                           */
/* ======================================================================== */

static const char hoot_magic[6] = {'H', 'O', 'O', 'T', '0', '1'};

static bool is_magic(const reel_frame_ref *f)
{
    return f->len == sizeof hoot_magic && memcmp(f->data, hoot_magic, sizeof hoot_magic) == 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* A service name or traceparent: bounded, UTF-8, no NUL (so a caller may
 * copy it into a C string without losing anything). */
static int check_name(const reel_frame_ref *f, const char *what, int code, reel_error *err)
{
    if (f->len > REEL_HOOT_NAME_MAX)
        return reel_error_set(err, code, "HOOT01 %s is %zu bytes, at most %d allowed", what,
                              f->len, REEL_HOOT_NAME_MAX);
    if (f->len && (!f->data || memchr(f->data, 0, f->len) || !utf8_valid(f->data, f->len)))
        return reel_error_set(err, code, "HOOT01 %s is not UTF-8 text without NUL", what);
    return REEL_OK;
}

static unsigned be16(const reel_frame_ref *f)
{
    const uint8_t *p = f->data;
    return ((unsigned)p[0] << 8) | p[1];
}

int reel_hoot_frame_parse(const reel_frame_ref *frames, size_t n, reel_hoot_frame *out,
                          reel_error *err)
{
    if (!out || (!frames && n))
        return reel_error_set(err, REEL_EINVAL, "HOOT01 parse: NULL argument");
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (!frames[i].data && frames[i].len)
            return reel_error_set(err, REEL_EINVAL, "HOOT01 parse: frame %zu has no data", i);

    size_t at = 0;
    while (at < n && !is_magic(&frames[at]))
        at++;
    if (at == n)
        return reel_error_set(err, REEL_ECORRUPT, "no HOOT01 frame among the %zu frames received",
                              n);
    /* hootenanny ignores frames past the body; none is ever sent, so extra
     * frames here mean a framing bug worth hearing about. */
    if (n - at != REEL_HOOT_FRAMES)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 message has %zu frames after its "
                              "identities, %d expected", n - at, REEL_HOOT_FRAMES);
    const reel_frame_ref *f = frames + at;

    if (f[1].len != 2)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 command frame is %zu bytes, 2 expected",
                              f[1].len);
    unsigned command = be16(&f[1]);
    if (command < REEL_HOOT_READY || command > REEL_HOOT_DISCONNECT)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 command 0x%04x is not one of 1..5",
                              command);
    if (f[2].len != 2)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 content type frame is %zu bytes, "
                              "2 expected", f[2].len);
    unsigned content = be16(&f[2]);
    if (content > REEL_HOOT_JSON)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 content type 0x%04x is not one of "
                              "0..3", content);
    if (f[3].len != REEL_UUID_BYTES)
        return reel_error_set(err, REEL_ECORRUPT, "HOOT01 request id is %zu bytes, %d expected",
                              f[3].len, REEL_UUID_BYTES);
    TRY(check_name(&f[4], "service name", REEL_ECORRUPT, err));
    TRY(check_name(&f[5], "traceparent", REEL_ECORRUPT, err));

    out->identity_count = at;
    out->command = (reel_hoot_command)command;
    out->content_type = (reel_hoot_content)content;
    memcpy(out->request_id, f[3].data, REEL_UUID_BYTES);
    out->service = f[4];
    out->traceparent = f[5];
    out->body = f[6];
    return REEL_OK;
}

int reel_hoot_frame_build(reel_hoot_frame *msg, const reel_frame_ref *identities,
                          size_t nidentities, reel_frame_ref *out, size_t cap, size_t *n,
                          reel_error *err)
{
    if (!msg || !n || (!identities && nidentities) || (!out && cap))
        return reel_error_set(err, REEL_EINVAL, "HOOT01 build: NULL argument");
    if (msg->command < REEL_HOOT_READY || msg->command > REEL_HOOT_DISCONNECT)
        return reel_error_set(err, REEL_EINVAL, "HOOT01 command %d is not one of 1..5",
                              (int)msg->command);
    if ((unsigned)msg->content_type > REEL_HOOT_JSON)
        return reel_error_set(err, REEL_EINVAL, "HOOT01 content type %d is not one of 0..3",
                              (int)msg->content_type);
    TRY(check_name(&msg->service, "service name", REEL_EINVAL, err));
    TRY(check_name(&msg->traceparent, "traceparent", REEL_EINVAL, err));
    if (!msg->body.data && msg->body.len)
        return reel_error_set(err, REEL_EINVAL, "HOOT01 body has no data");
    for (size_t i = 0; i < nidentities; i++)
        if (!identities[i].data && identities[i].len)
            return reel_error_set(err, REEL_EINVAL, "identity frame %zu has no data", i);

    *n = nidentities + REEL_HOOT_FRAMES;
    if (*n > cap)
        return reel_error_set(err, REEL_EFULL, "HOOT01 message needs %zu frames, room for %zu",
                              *n, cap);
    msg->wire[0] = (uint8_t)((unsigned)msg->command >> 8);
    msg->wire[1] = (uint8_t)msg->command;
    msg->wire[2] = (uint8_t)((unsigned)msg->content_type >> 8);
    msg->wire[3] = (uint8_t)msg->content_type;

    for (size_t i = 0; i < nidentities; i++)
        out[i] = identities[i];
    reel_frame_ref *f = out + nidentities;
    f[0] = (reel_frame_ref){hoot_magic, sizeof hoot_magic};
    f[1] = (reel_frame_ref){msg->wire, 2};
    f[2] = (reel_frame_ref){msg->wire + 2, 2};
    f[3] = (reel_frame_ref){msg->request_id, REEL_UUID_BYTES};
    f[4] = msg->service;
    f[5] = msg->traceparent;
    f[6] = msg->body;
    return REEL_OK;
}
