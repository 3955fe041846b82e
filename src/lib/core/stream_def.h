/*
 * stream_def.h — what a stream is: URI, device, format, chunk size.
 *
 * Owns: sample formats, the stream definition and its canonical JSON (stored
 * in CAS; its hash is the definition_hash). Must never: produce two JSON
 * spellings of one definition (the hash would change).
 */
#ifndef REEL_STREAM_DEF_H
#define REEL_STREAM_DEF_H

#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

#define REEL_URI_MAX 512
#define REEL_DEVICE_MAX 256
#define REEL_MAX_CHANNELS 4096

/* Ordinals match the Cap'n Proto SampleFormat enum (f32=0, i16=1, i24=2). */
typedef enum reel_sample_format {
    REEL_SAMPLE_F32 = 0,
    REEL_SAMPLE_I16 = 1,
    REEL_SAMPLE_I24 = 2,
} reel_sample_format;

typedef enum reel_stream_kind {
    REEL_STREAM_AUDIO = 0,
    REEL_STREAM_MIDI = 1,
} reel_stream_kind;

typedef struct reel_stream_def {
    char uri[REEL_URI_MAX];                /* stream://<device>/<name> */
    char device_identity[REEL_DEVICE_MAX]; /* e.g. "tone:440", "jack:system" */
    reel_stream_kind kind;
    uint32_t sample_rate; /* audio rate; for MIDI the rate of the frame clock */
    uint32_t channels;    /* audio only */
    reel_sample_format sample_format; /* audio only */
    uint64_t chunk_size_bytes;
} reel_stream_def;

/* Bytes of one sample (4, 2, 3). */
size_t reel_sample_format_bytes(reel_sample_format f);
const char *reel_sample_format_name(reel_sample_format f); /* "f32" ... */
int reel_sample_format_parse(const char *s, reel_sample_format *out, reel_error *err);

/* Bytes of one interleaved frame (audio); 0 for MIDI. */
size_t reel_stream_def_frame_bytes(const reel_stream_def *d);

/* stream://<device>/<name>: both parts non-empty, printable, no "..". */
int reel_stream_uri_validate(const char *uri, reel_error *err);

int reel_stream_def_validate(const reel_stream_def *d, reel_error *err);

/* Canonical compact JSON, keys sorted; caller frees *json. */
int reel_stream_def_to_json(const reel_stream_def *d, char **json, reel_error *err);
int reel_stream_def_from_json(const char *json, reel_stream_def *d, reel_error *err);

#endif
