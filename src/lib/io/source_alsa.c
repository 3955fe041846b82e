/*
 * source_alsa.c — an ALSA PCM capture device as a source (`alsa[:DEVICE]`,
 * default "default").
 *
 * Owns: opening the device (blocking, interleaved, S16_LE / S24_3LE /
 * FLOAT_LE to match the stream's sample format), reading it with
 * snd_pcm_readi, recovering from overruns (counted as device xruns) and
 * suspends, and telling the producer when each period's first frame was
 * captured. The device paces the stream: read() blocks until the frames
 * exist. Must never: convert or touch the samples (they are stored exactly
 * as the device delivers them), allocate in read(), or block forever on a
 * device that went silent (that is an error after a timeout).
 */
#include "io/source.h"

#include "time/clock.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A device that delivers nothing for this long has failed (at least). */
#define ALSA_STALL_MS 2000

typedef struct alsa_state {
    snd_pcm_t *pcm;
    char device[REEL_DEVICE_MAX];
    uint32_t rate;
    int timeout_ms;          /* no frame for this long: the device failed */
    bool tstamp_mono;        /* the device stamps with CLOCK_MONOTONIC */
    int64_t buffer_ns;       /* the device's ring, in time */
    uint64_t device_frames;  /* frames read from the device so far */
    reel_source_period last; /* the last read's first frame, for the producer */
} alsa_state;

/* ALSA prints its own diagnostics on stderr by default; every failure here is
 * reported once, through reel_error. The handler is process-wide inside
 * alsa-lib, so it is the application's to install (reel_source_alsa_quiet,
 * once); the library never does. */
static void alsa_quiet(const char *file, int line, const char *fn, int e, const char *fmt, ...)
{
    (void)file, (void)line, (void)fn, (void)e, (void)fmt;
}

static void alsa_install_quiet(void)
{
    snd_lib_error_set_handler(alsa_quiet);
}

void reel_source_alsa_quiet(void)
{
    static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
    pthread_once(&quiet_once, alsa_install_quiet);
}

/* Recover from a failed wait or read: overrun -> prepare (one xrun),
 * suspend -> resume (or prepare). 0 when reading can go on. */
static int alsa_recover(alsa_state *a, long rc, reel_error *err)
{
    if (rc == -EINTR || rc == -EAGAIN)
        return 0;
    if (rc == -EPIPE) {
        a->last.xruns++;
        rc = snd_pcm_prepare(a->pcm);
    } else if (rc == -ESTRPIPE) {
        a->last.xruns++;
        while ((rc = snd_pcm_resume(a->pcm)) == -EAGAIN) {
            struct timespec nap = {0, 10000000};
            nanosleep(&nap, NULL);
        }
        if (rc < 0)
            rc = snd_pcm_prepare(a->pcm);
    }
    if (rc < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s' failed: %s", a->device,
                              snd_strerror((int)rc));
    return 0;
}

/* When the first of the `got` frames just read was captured, from the
 * device's own timestamp; 0 if the device gives none we can trust. */
static int64_t alsa_first_frame_mono(alsa_state *a, snd_pcm_uframes_t got)
{
    if (!a->tstamp_mono)
        return 0;
    snd_pcm_uframes_t avail;
    snd_htimestamp_t ts;
    if (snd_pcm_htimestamp(a->pcm, &avail, &ts) < 0 || (ts.tv_sec == 0 && ts.tv_nsec == 0))
        return 0;
    /* At `ts` the device had `avail` frames waiting after ours: our first
     * frame is avail + got frames older. */
    int64_t t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec -
                (int64_t)((avail + got) * 1000000000ULL / a->rate);
    int64_t now = reel_clock_mono_now();
    /* A plugin may stamp with another clock, or not at all: use the stamp
     * only if it falls inside the device's buffer window. */
    if (t > now || now - t > 2 * a->buffer_ns + 100000000LL)
        return 0;
    return t;
}

static long alsa_read(void *st, void *buf, size_t n, reel_error *err)
{
    alsa_state *a = st;
    a->last.mono_ns = 0;
    a->last.device_frame = a->device_frames;
    for (;;) {
        if (snd_pcm_state(a->pcm) == SND_PCM_STATE_PREPARED) {
            int rc = snd_pcm_start(a->pcm);
            if (rc < 0 && (rc = alsa_recover(a, rc, err)))
                return rc;
        }
        /* Wait first: a device that went silent becomes an error after a
         * timeout instead of a read that never returns (and a stop that
         * never joins). */
        int w = snd_pcm_wait(a->pcm, a->timeout_ms);
        if (w == 0)
            return reel_error_set(err, REEL_EDEVICE,
                                  "ALSA device '%s' delivered no audio for %d ms", a->device,
                                  a->timeout_ms);
        if (w < 0) {
            int rc = alsa_recover(a, w, err);
            if (rc)
                return rc;
            continue;
        }
        snd_pcm_sframes_t got = snd_pcm_readi(a->pcm, buf, n);
        if (got > 0) {
            a->last.mono_ns = alsa_first_frame_mono(a, (snd_pcm_uframes_t)got);
            a->last.device_frame = a->device_frames;
            a->device_frames += (uint64_t)got;
            return (long)got;
        }
        if (got == 0)
            continue;
        int rc = alsa_recover(a, got, err);
        if (rc)
            return rc;
    }
}

/* The producer asks right after read(): clocks of that read's first frame
 * and the xruns since the previous report. */
static void alsa_period(void *st, reel_source_period *p)
{
    alsa_state *a = st;
    *p = a->last;
    a->last.xruns = 0;
}

static void alsa_close(void *st)
{
    alsa_state *a = st;
    if (!a)
        return;
    if (a->pcm) {
        snd_pcm_drop(a->pcm);
        snd_pcm_close(a->pcm);
    }
    free(a);
}

static const reel_source_impl alsa_impl = {
    .read = alsa_read,
    .close = alsa_close,
    .device_paced = true,
    .realtime = true,
    .period = alsa_period,
};

static snd_pcm_format_t alsa_format(reel_sample_format f)
{
    return f == REEL_SAMPLE_I16   ? SND_PCM_FORMAT_S16_LE
           : f == REEL_SAMPLE_I24 ? SND_PCM_FORMAT_S24_3LE
                                  : SND_PCM_FORMAT_FLOAT_LE;
}

/* Negotiate the hardware parameters; fills a->rate, def's format fields. */
static int alsa_configure(alsa_state *a, const reel_source_opts *opts, reel_stream_def *def,
                          reel_error *err)
{
    snd_pcm_t *pcm = a->pcm;
    snd_pcm_hw_params_t *hw;
    snd_pcm_hw_params_alloca(&hw);
    int rc = snd_pcm_hw_params_any(pcm, hw);
    if (rc < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s': no configuration: %s",
                              a->device, snd_strerror(rc));
    if ((rc = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
        return reel_error_set(err, REEL_EDEVICE,
                              "ALSA device '%s' cannot do interleaved reads: %s", a->device,
                              snd_strerror(rc));

    static const reel_sample_format order[] = {REEL_SAMPLE_F32, REEL_SAMPLE_I24, REEL_SAMPLE_I16};
    reel_sample_format fmt = opts->sample_format;
    bool found = false;
    if (opts->has_sample_format) {
        found = snd_pcm_hw_params_test_format(pcm, hw, alsa_format(fmt)) == 0;
    } else {
        for (size_t i = 0; i < sizeof order / sizeof *order && !found; i++) {
            fmt = order[i];
            found = snd_pcm_hw_params_test_format(pcm, hw, alsa_format(fmt)) == 0;
        }
    }
    if (!found)
        return reel_error_set(err, REEL_EFORMAT,
                              "ALSA device '%s' cannot capture %s (try a plug: device, e.g. "
                              "alsa:plughw:0)",
                              a->device,
                              opts->has_sample_format ? reel_sample_format_name(fmt)
                                                      : "f32, i24 or i16");
    if ((rc = snd_pcm_hw_params_set_format(pcm, hw, alsa_format(fmt))) < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s': cannot set format: %s",
                              a->device, snd_strerror(rc));

    unsigned ch = opts->channels ? opts->channels : 2;
    if (opts->channels) {
        rc = snd_pcm_hw_params_set_channels(pcm, hw, ch);
    } else {
        rc = snd_pcm_hw_params_set_channels_near(pcm, hw, &ch);
    }
    if (rc < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s' cannot capture %u channels",
                              a->device, ch);

    unsigned rate = opts->rate ? opts->rate : 48000;
    if ((rc = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, NULL)) < 0 || rate == 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s' cannot capture at %u Hz",
                              a->device, opts->rate ? opts->rate : 48000);

    /* Periods of about the producer's read size, a ring of ~200 ms so a
     * producer thread that is not realtime-scheduled rarely overruns. */
    snd_pcm_uframes_t period = opts->period ? opts->period : 256;
    int dir = 0;
    snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir);
    snd_pcm_uframes_t buffer = (snd_pcm_uframes_t)rate / 5;
    if (buffer < 4 * period)
        buffer = 4 * period;
    snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer);
    if ((rc = snd_pcm_hw_params(pcm, hw)) < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s': cannot configure: %s",
                              a->device, snd_strerror(rc));
    snd_pcm_hw_params_get_buffer_size(hw, &buffer);
    snd_pcm_hw_params_get_rate(hw, &rate, &dir);
    snd_pcm_hw_params_get_channels(hw, &ch);
    if (ch == 0 || ch > REEL_MAX_CHANNELS)
        return reel_error_set(err, REEL_EFORMAT, "ALSA device '%s': unsupported channel count %u",
                              a->device, ch);

    /* Timestamps on the monotonic clock, so a period's capture time can be
     * told; a device that cannot is stamped by the producer instead. */
    snd_pcm_sw_params_t *sw;
    snd_pcm_sw_params_alloca(&sw);
    if (snd_pcm_sw_params_current(pcm, sw) == 0) {
        bool mono = snd_pcm_sw_params_set_tstamp_mode(pcm, sw, SND_PCM_TSTAMP_ENABLE) == 0 &&
                    snd_pcm_sw_params_set_tstamp_type(pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC) ==
                        0;
        if ((rc = snd_pcm_sw_params(pcm, sw)) < 0)
            return reel_error_set(err, REEL_EDEVICE, "ALSA device '%s': cannot configure: %s",
                                  a->device, snd_strerror(rc));
        a->tstamp_mono = mono;
    }

    a->rate = rate;
    a->buffer_ns = (int64_t)((uint64_t)buffer * 1000000000ULL / rate);
    a->timeout_ms = (int)(a->buffer_ns / 1000000) + ALSA_STALL_MS;
    def->kind = REEL_STREAM_AUDIO;
    def->sample_rate = rate;
    def->channels = ch;
    def->sample_format = fmt;
    return REEL_OK;
}

int reel_source_alsa_open(const char *device, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err)
{
    if (!device || !*device)
        device = "default";
    if (opts->fast)
        return reel_error_set(err, REEL_EINVAL,
                              "--fast does not apply to alsa sources (the device sets the pace)");
    if (strlen(device) + 5 >= REEL_DEVICE_MAX)
        return reel_error_set(err, REEL_EINVAL, "ALSA device name too long");
    alsa_state *a = calloc(1, sizeof *a);
    if (!a)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    snprintf(a->device, sizeof a->device, "%s", device);
    int rc = snd_pcm_open(&a->pcm, device, SND_PCM_STREAM_CAPTURE, 0);
    if (rc < 0) {
        a->pcm = NULL;
        alsa_close(a);
        return reel_error_set(err, REEL_EDEVICE, "cannot open ALSA capture device '%s': %s",
                              device, snd_strerror(rc));
    }
    if ((rc = alsa_configure(a, opts, def, err))) {
        alsa_close(a);
        return rc;
    }
    snprintf(def->device_identity, sizeof def->device_identity, "alsa:%s", device);
    *state = a;
    *impl = &alsa_impl;
    return REEL_OK;
}
