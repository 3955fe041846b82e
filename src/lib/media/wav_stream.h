/*
 * wav_stream.h — a WAV file written while its length is still unknown.
 *
 * A take grows as the stream it follows advances, so its size is known only
 * at the end. The header is laid out so that it can be made true at any
 * moment: RIFF, a 28-byte JUNK placeholder (which becomes the ds64 chunk if
 * the file passes 4 GiB, EBU Tech 3306 RF64), fmt (PCM for i16/i24;
 * IEEE float with cbSize and a fact chunk for f32), data. reel_wav_stream_sync
 * rewrites the sizes in place, so a file interrupted by a crash or a full
 * disk is a valid WAV of the frames that reached it (the stored sample
 * bytes, no conversion).
 *
 * Owns: the file descriptor it is given and its header. Must never: buffer
 * the take in memory (frames go straight to the file), or claim more frames
 * than the file holds.
 */
#ifndef REEL_WAV_STREAM_H
#define REEL_WAV_STREAM_H

#include "core/stream_def.h"

#include <stdint.h>

typedef struct reel_wav_stream reel_wav_stream;

/* Write the header of an empty WAV into `fd` (empty, writable; owned by
 * the writer from now on, closed by close/abort even on failure). `name`
 * is for messages. */
int reel_wav_stream_open(reel_wav_stream **out, int fd, const char *name, uint32_t rate,
                         uint32_t channels, reel_sample_format fmt, reel_error *err);

/* Append `frames` frames of little-endian interleaved samples in the
 * format given at open. */
int reel_wav_stream_append(reel_wav_stream *w, const void *data, size_t frames,
                           reel_error *err);

/* Make the header describe exactly the frames written so far. */
int reel_wav_stream_sync(reel_wav_stream *w, reel_error *err);

uint64_t reel_wav_stream_frames(const reel_wav_stream *w);

/* Final header (RF64 past 4 GiB), pad byte, fsync, close. Frees w. */
int reel_wav_stream_close(reel_wav_stream *w, reel_error *err);

#endif
