/*
 * source.h — producers that feed a chunk writer from a thread of their own:
 * the built-in tone (`tone[:FREQ]`), audio files (`file:PATH`, anything
 * libsndfile reads), in real time or as fast as possible, and ALSA capture
 * devices (`alsa[:DEVICE]`), paced by the device, and the ALSA sequencer
 * (`alsa-midi[:CLIENT:PORT]`), a MIDI stream on a frame clock that advances
 * in real time.
 *
 * Owns: parsing a source spec into a stream format, and the producer thread
 * (it plays the realtime role: it only generates or decodes into a buffer
 * allocated beforehand and calls reel_cw_write). Must never: touch the store.
 */
#ifndef REEL_SOURCE_H
#define REEL_SOURCE_H

#include "rt/chunk_writer.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct reel_source_opts {
    double seconds;        /* stop after this long (0: until stopped / end of file) */
    bool fast;             /* as fast as possible instead of real time */
    uint32_t rate;         /* tone, alsa: sample rate; alsa-midi: clock rate (default 48000) */
    uint32_t channels;     /* tone, alsa: channel count (default 2) */
    bool has_sample_format;
    reel_sample_format sample_format; /* default: tone f32, file its own, alsa the best */
    uint32_t period;       /* frames per write (default 256 real time, 65536 fast) */
} reel_source_opts;

typedef struct reel_source reel_source;

/* Parse `spec` and fill def's format fields (kind, rate, channels, sample
 * format, device_identity). The caller sets uri and chunk size. */
int reel_source_open(reel_source **out, const char *spec, const reel_source_opts *opts,
                     reel_stream_def *def, reel_error *err);

/* Start the producer thread feeding `cw`. */
int reel_source_start(reel_source *s, reel_chunk_writer *cw, reel_error *err);

/* True once the thread has finished (end of file, or seconds reached). */
bool reel_source_done(const reel_source *s);

/* Stop the thread (if running), which calls reel_cw_finish. Then returns the
 * thread's error, if any. */
int reel_source_stop(reel_source *s, reel_error *err);

void reel_source_close(reel_source *s);

/* Frames produced so far. */
uint64_t reel_source_frames(const reel_source *s);

/* ---- for the implementations ---- */

/* What a device source knows about the frames its last read() returned. */
typedef struct reel_source_period {
    int64_t mono_ns;       /* CLOCK_MONOTONIC capture time of the first frame; 0: unknown */
    uint64_t device_frame; /* the device's frame count at the first frame */
    uint32_t xruns;        /* device xruns since the previous report */
} reel_source_period;

typedef struct reel_source_impl {
    /* Fill up to `n` frames into buf (interleaved, the stream's format);
     * return frames produced, 0 at the end, < 0 on error. */
    long (*read)(void *state, void *buf, size_t n, reel_error *err);
    void (*close)(void *state);
    /* read() blocks until a device has the frames: the producer must not
     * pace in real time itself. */
    bool device_paced;
    /* The producer plays the realtime role (ALSA capture, the tone): its
     * thread asks for SCHED_FIFO (rt_mem.h), and keeps normal priority
     * where that is not permitted (counted, told once by the engine). */
    bool realtime;
    /* Optional, called right after each read() that returned frames. */
    void (*period)(void *state, reel_source_period *p);
    /* MIDI sources drive the writer themselves instead of read(): called
     * once on the producer thread, returns when *stop is set or `limit`
     * frames of the stream clock have passed (UINT64_MAX: no limit),
     * keeping *frames up to date. The caller then calls reel_cw_finish. */
    int (*run)(void *state, reel_chunk_writer *cw, uint64_t limit, const _Atomic bool *stop,
               _Atomic uint64_t *frames, reel_error *err);
} reel_source_impl;

int reel_source_tone_open(const char *arg, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err);
int reel_source_file_open(const char *path, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err);
/* `alsa[:DEVICE]`: an ALSA PCM capture device (default "default"). */
int reel_source_alsa_open(const char *device, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err);

/* `alsa-midi[:CLIENT:PORT]`: a client of the ALSA sequencer with one input
 * port ("reel:capture"), subscribed to CLIENT:PORT if given (`arg` NULL or
 * "CLIENT:PORT", names or numbers as aconnect takes them). */
int reel_source_alsa_midi_open(const char *arg, const reel_source_opts *opts,
                               reel_stream_def *def, void **state,
                               const reel_source_impl **impl, reel_error *err);

/* alsa-lib prints its own diagnostics on stderr; reel reports every failure
 * once through reel_error. This silences alsa-lib's, process-wide: for the
 * application to call (idempotent); the library never calls it. */
void reel_source_alsa_quiet(void);

/* Float to a stored sample format (clamped), n samples. */
void reel_samples_from_f32(uint8_t *dst, reel_sample_format fmt, const float *src, size_t n);

#endif
