/*
 * audio_out.h — writing frames as an audio file: WAV (RF64 past 4 GiB),
 * W64, FLAC or raw, with sample-format conversion.
 *
 * Owns: file formats and conversion between the stored sample formats
 * (little-endian interleaved f32 / i16 / i24) and the output's. Uses
 * libsndfile for every container. Output is deterministic: the same frames
 * and options give the same bytes (no PEAK chunk timestamps, no dates), so a
 * virtual slice renders byte-identical to a materialized one. Must never:
 * mislabel float data as PCM, or leave a file claiming more frames than it
 * holds.
 */
#ifndef REEL_AUDIO_OUT_H
#define REEL_AUDIO_OUT_H

#include "core/fault.h"
#include "core/stream_def.h"

#include <stdint.h>

typedef enum reel_out_format {
    REEL_OUT_WAV,  /* RIFF WAVE; switches to RF64 when the data passes 4 GiB */
    REEL_OUT_RF64, /* always RF64 */
    REEL_OUT_W64,
    REEL_OUT_FLAC,
    REEL_OUT_RAW,  /* headerless little-endian interleaved (MIDI: the stored records) */
    REEL_OUT_MID,  /* Standard MIDI File, for MIDI streams (midi_out.h); "smf" parses too */
} reel_out_format;

int reel_out_format_parse(const char *s, reel_out_format *out, reel_error *err);
const char *reel_out_format_name(reel_out_format f);
const char *reel_out_format_mime(reel_out_format f);      /* audio/wav, audio/flac, ... */
const char *reel_out_format_extension(reel_out_format f); /* "wav", ... */

/* The sample format an output gets when the user asks for none: the stored
 * one, except FLAC (no float): f32 -> i24. */
reel_sample_format reel_out_default_sample_format(reel_out_format f, reel_sample_format in);

/* REEL_EFORMAT if the output cannot hold that sample format (FLAC + f32). */
int reel_out_check(reel_out_format f, reel_sample_format out_fmt, reel_error *err);

typedef struct reel_audio_out reel_audio_out;

/* Create `path` (truncating) for `total_frames` frames (known in advance:
 * it picks RIFF or RF64 for REEL_OUT_WAV). */
int reel_audio_out_open(reel_audio_out **out, const char *path, reel_out_format fmt,
                        uint32_t sample_rate, uint32_t channels, reel_sample_format in_fmt,
                        reel_sample_format out_fmt, uint64_t total_frames, reel_error *err);

/* The same, writing through the file-I/O seam `f` (core/fault.h; NULL:
 * none): the header and frames reel writes itself (float WAV/RF64, raw)
 * and the final fsync. What libsndfile writes (PCM WAV, W64, FLAC) goes
 * straight to the kernel. */
int reel_audio_out_open_f(reel_fault *f, reel_audio_out **out, const char *path,
                          reel_out_format fmt, uint32_t sample_rate, uint32_t channels,
                          reel_sample_format in_fmt, reel_sample_format out_fmt,
                          uint64_t total_frames, reel_error *err);

/* Write `frames` frames stored in `in_fmt` (little-endian interleaved). */
int reel_audio_out_write(reel_audio_out *ao, const void *data, size_t frames, reel_error *err);

/* Finish the file (header sizes) and fsync it. Frees ao in every case. */
int reel_audio_out_close(reel_audio_out *ao, reel_error *err);

/* Abandon: close and unlink the partial file. Frees ao. */
void reel_audio_out_abort(reel_audio_out *ao);

#endif
