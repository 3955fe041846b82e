/*
 * audio_probe.h — what an audio file is, as libsndfile reads it: its
 * container ("WAV", "FLAC", "OGG", "AIFF"...), its sample encoding
 * ("PCM_16", "FLOAT", "VORBIS"...), rate, channels, frames and duration.
 * `reel import` records this with the file it stores (model/import/).
 *
 * The names are the stable short names libsndfile's own Python binding
 * (soundfile) uses, from a table here; a code the table does not know
 * falls back to the first word of libsndfile's SFC_GET_FORMAT_INFO name,
 * so a newer libsndfile never makes a file unreadable, only oddly named.
 *
 * Owns: nothing after it returns (the file is opened and closed inside).
 * Must never: write to the file, or block on something that is not a
 * regular file (a FIFO or a device is refused before it is read).
 */
#ifndef REEL_AUDIO_PROBE_H
#define REEL_AUDIO_PROBE_H

#include "core/error.h"

#include <stdint.h>

#define REEL_AUDIO_NAME_MAX 32

typedef struct reel_audio_probe {
    char format[REEL_AUDIO_NAME_MAX];  /* container: "WAV", "FLAC", "OGG", "AIFF", ... */
    char subtype[REEL_AUDIO_NAME_MAX]; /* encoding: "PCM_16", "PCM_24", "FLOAT", "VORBIS", ... */
    uint32_t rate;
    uint32_t channels;
    int64_t frames;    /* exact: counted by decoding where the header cannot say */
    double duration_s; /* frames / rate */
} reel_audio_probe;

/* Probe the file at `path`. A missing file is REEL_ENOENT, a directory or
 * anything but a regular file REEL_EINVAL, one libsndfile cannot read
 * REEL_EFORMAT with one line naming the file and libsndfile's reason, an
 * unreadable one REEL_EIO. */
int reel_audio_probe_path(const char *path, reel_audio_probe *out, reel_error *err);

/* The same; with REEL_PROBE_DECODE the frames are counted by decoding the
 * whole file even when its header gives a count (to check a header, or a
 * file whose header may lie; slower: it reads every sample). */
enum { REEL_PROBE_DECODE = 1 };
int reel_audio_probe_path_flags(const char *path, unsigned flags, reel_audio_probe *out,
                                reel_error *err);

/* Decode every frame of the audio file open on `fd` (which stays the
 * caller's) to interleaved float, libsndfile's normalisation (PCM n-bit
 * values over 2^(n-1)). *frames (malloc'd into *out, at least one float so
 * that an empty file is not NULL) from `what` (named in errors). */
int reel_audio_read_fd(int fd, const char *what, float **out, int64_t *frames,
                       uint32_t *channels, uint32_t *rate, reel_error *err);

/* The MIME type of a container name from the probe: audio/wav, audio/flac,
 * audio/ogg, audio/aiff, else application/octet-stream. */
const char *reel_audio_probe_mime(const char *format);

#endif
