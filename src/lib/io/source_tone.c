/*
 * source_tone.c — the built-in test signal: a sine at FREQ Hz (default 440)
 * at half scale on every channel, phase computed from the frame index so
 * every run produces the same samples. Must never: drift in phase over long
 * runs (no accumulated floating-point error).
 */
#include "io/source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tone_state {
    double freq;
    uint32_t rate, channels;
    reel_sample_format fmt;
    uint64_t n;   /* next frame index */
    float *tmp;   /* one period of interleaved floats */
    size_t tmp_frames;
} tone_state;

static long tone_read(void *st, void *buf, size_t n, reel_error *err)
{
    tone_state *t = st;
    if (n > t->tmp_frames)
        n = t->tmp_frames;
    /* sin(2*pi*f*k/rate): reduce k modulo the rate first so the argument
     * stays small (the tone repeats every second for integer f). */
    for (size_t i = 0; i < n; i++) {
        uint64_t k = (t->n + i) % t->rate;
        uint64_t sec = (t->n + i) / t->rate;
        double cycles = t->freq * (double)k / t->rate + fmod(t->freq * (double)sec, 1.0);
        float v = (float)(0.5 * sin(2.0 * M_PI * cycles));
        for (uint32_t c = 0; c < t->channels; c++)
            t->tmp[i * t->channels + c] = v;
    }
    reel_samples_from_f32(buf, t->fmt, t->tmp, n * t->channels);
    t->n += n;
    (void)err;
    return (long)n;
}

static void tone_close(void *st)
{
    tone_state *t = st;
    if (t) {
        free(t->tmp);
        free(t);
    }
}

static const reel_source_impl tone_impl = {.read = tone_read, .close = tone_close,
                                           .realtime = true};

int reel_source_tone_open(const char *arg, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err)
{
    double freq = 440.0;
    if (arg) {
        char *end;
        freq = strtod(arg, &end);
        if (end == arg || *end != '\0' || !(freq > 0) || !isfinite(freq))
            return reel_error_set(err, REEL_EINVAL, "bad tone frequency '%s' (want Hz, e.g. tone:440)",
                                  arg);
    }
    uint32_t rate = opts->rate ? opts->rate : 48000;
    uint32_t ch = opts->channels ? opts->channels : 2;
    if (freq >= rate / 2.0)
        return reel_error_set(err, REEL_EINVAL, "tone frequency %g Hz is above Nyquist (%u Hz)", freq,
                              rate / 2);
    if (ch > REEL_MAX_CHANNELS)
        return reel_error_set(err, REEL_EINVAL, "bad channel count %u", ch);
    tone_state *t = calloc(1, sizeof *t);
    if (!t)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    t->freq = freq;
    t->rate = rate;
    t->channels = ch;
    t->fmt = opts->has_sample_format ? opts->sample_format : REEL_SAMPLE_F32;
    t->tmp_frames = opts->period ? opts->period : (opts->fast ? 65536 : 256);
    t->tmp = malloc(t->tmp_frames * ch * sizeof(float));
    if (!t->tmp) {
        free(t);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    def->kind = REEL_STREAM_AUDIO;
    def->sample_rate = rate;
    def->channels = ch;
    def->sample_format = t->fmt;
    snprintf(def->device_identity, sizeof def->device_identity, "tone:%g", freq);
    *state = t;
    *impl = &tone_impl;
    return REEL_OK;
}
