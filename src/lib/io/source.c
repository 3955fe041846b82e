/*
 * source.c — the producer thread shared by every built-in source.
 *
 * Real time: the thread wakes on an absolute CLOCK_MONOTONIC schedule, one
 * period at a time, and stamps each period's clocks before writing, as a
 * device callback would. Device sources (ALSA) block in read() instead and
 * stamp with the device's clock. MIDI sources (the ALSA sequencer) run
 * their own loop on this thread (impl->run). Fast: it writes as quickly as the source
 * decodes.
 * Must never: allocate inside the loop (the buffer is made at start).
 */
#include "io/source.h"

#include "core/sample_convert.h"
#include "rt/rt_mem.h"

#include "time/clock.h"

#define SOURCE_RT_PRIO 70 /* SCHED_FIFO priority: below JACK's usual 80, above normal */

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct reel_source {
    reel_source_opts opts;
    reel_stream_def def;
    void *state;
    const reel_source_impl *impl;
    reel_chunk_writer *cw;
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    _Atomic bool done;
    _Atomic uint64_t frames;
    uint8_t *buf; /* realtime memory (rt_mem.h) */
    size_t buf_bytes;
    int rc;
    reel_error err;
};

void reel_samples_from_f32(uint8_t *dst, reel_sample_format fmt, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = src[i];
        if (fmt == REEL_SAMPLE_F32) {
            memcpy(dst + 4 * i, &x, 4);
            continue;
        }
        if (fmt == REEL_SAMPLE_I16) {
            int32_t v = reel_f32_to_i16(x); /* core/sample_convert.h */
            dst[2 * i] = (uint8_t)v;
            dst[2 * i + 1] = (uint8_t)(v >> 8);
        } else {
            int32_t v = reel_f32_to_i24(x);
            dst[3 * i] = (uint8_t)v;
            dst[3 * i + 1] = (uint8_t)(v >> 8);
            dst[3 * i + 2] = (uint8_t)(v >> 16);
        }
    }
}

int reel_source_open(reel_source **out, const char *spec, const reel_source_opts *opts,
                     reel_stream_def *def, reel_error *err)
{
    /* The producer thread plays the realtime role over it: realtime memory. */
    reel_source *s = reel_rt_alloc(sizeof *s, err);
    if (!s)
        return err ? err->code : REEL_ENOMEM;
    s->opts = *opts;
    if (s->opts.seconds < 0 || !isfinite(s->opts.seconds)) {
        reel_rt_free(s, sizeof *s);
        return reel_error_set(err, REEL_EINVAL, "bad --seconds");
    }
    memset(def, 0, sizeof *def);
    int rc;
    if (strcmp(spec, "tone") == 0)
        rc = reel_source_tone_open(NULL, &s->opts, def, &s->state, &s->impl, err);
    else if (strncmp(spec, "tone:", 5) == 0)
        rc = reel_source_tone_open(spec + 5, &s->opts, def, &s->state, &s->impl, err);
    else if (strncmp(spec, "file:", 5) == 0)
        rc = reel_source_file_open(spec + 5, &s->opts, def, &s->state, &s->impl, err);
    else if (strcmp(spec, "alsa-midi") == 0)
        rc = reel_source_alsa_midi_open(NULL, &s->opts, def, &s->state, &s->impl, err);
    else if (strncmp(spec, "alsa-midi:", 10) == 0)
        rc = reel_source_alsa_midi_open(spec + 10, &s->opts, def, &s->state, &s->impl, err);
    else if (strcmp(spec, "alsa") == 0)
        rc = reel_source_alsa_open(NULL, &s->opts, def, &s->state, &s->impl, err);
    else if (strncmp(spec, "alsa:", 5) == 0)
        rc = reel_source_alsa_open(spec + 5, &s->opts, def, &s->state, &s->impl, err);
    else if (strncmp(spec, "jack", 4) == 0)
        rc = reel_error_set(err, REEL_EINVAL,
                            "source '%s' needs the live engine, which this build does not have yet",
                            spec);
    else
        rc = reel_error_set(err, REEL_EINVAL,
                            "unknown source '%s' (use tone[:FREQ], file:PATH, alsa[:DEVICE] or "
                            "alsa-midi[:CLIENT:PORT])",
                            spec);
    if (rc) {
        reel_rt_free(s, sizeof *s);
        return rc;
    }
    s->def = *def;
    if (s->opts.period == 0)
        s->opts.period = s->opts.fast ? 65536 : 256;
    *out = s;
    return REEL_OK;
}

static void *producer(void *arg)
{
    reel_source *s = arg;
    if (s->impl->realtime && !s->opts.fast)
        reel_rt_promote_self(SOURCE_RT_PRIO); /* else normal priority: counted */
    if (s->impl->run) { /* MIDI: the source drives the writer and its clock */
        uint64_t limit = s->opts.seconds > 0
                             ? (uint64_t)llround(s->opts.seconds * s->def.sample_rate)
                             : UINT64_MAX;
        s->rc = s->impl->run(s->state, s->cw, limit, &s->stop, &s->frames, &s->err);
        if (s->rc && !s->err.code)
            s->rc = REEL_EIO;
        reel_cw_finish(s->cw);
        atomic_store(&s->done, true);
        return NULL;
    }
    const uint32_t rate = s->def.sample_rate;
    const size_t period = s->opts.period;
    uint64_t limit = s->opts.seconds > 0 ? (uint64_t)llround(s->opts.seconds * rate) : UINT64_MAX;
    uint64_t produced = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    int64_t t0 = (int64_t)next.tv_sec * 1000000000LL + next.tv_nsec;
    while (!atomic_load(&s->stop) && produced < limit) {
        size_t want = period;
        if (limit - produced < want)
            want = (size_t)(limit - produced);
        if (!s->opts.fast && !s->impl->device_paced) {
            /* Sleep until this period's frames would have arrived. */
            int64_t due = t0 + (int64_t)((produced + want) * 1000000000ULL / rate);
            next.tv_sec = due / 1000000000LL;
            next.tv_nsec = due % 1000000000LL;
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
                ;
        }
        /* As fast as possible, but never faster than chunks are sealed:
         * ingest must not turn into overruns. Write what fits. */
        if (s->opts.fast) {
            size_t room;
            while ((room = reel_cw_room(s->cw)) == 0 && !atomic_load(&s->stop)) {
                struct timespec nap = {0, 200000};
                nanosleep(&nap, NULL);
            }
            if (room < want)
                want = room;
            if (want == 0)
                continue;
        }
        long got = s->impl->read(s->state, s->buf, want, &s->err);
        if (got < 0) {
            s->rc = s->err.code ? s->err.code : REEL_EIO;
            break;
        }
        if (got == 0)
            break;
        /* The clocks of the period's first frame: the device's own stamp
         * when it has one, else now less the period's length. */
        int64_t mono = reel_clock_mono_now(), wall = reel_clock_wall_now();
        int64_t back = s->opts.fast ? 0 : (int64_t)((uint64_t)got * 1000000000ULL / rate);
        uint64_t device_frame = produced;
        if (s->impl->period) {
            reel_source_period p = {0};
            s->impl->period(s->state, &p);
            for (uint32_t x = 0; x < p.xruns; x++)
                reel_cw_note_xrun(s->cw);
            if (p.mono_ns > 0 && p.mono_ns <= mono)
                back = mono - p.mono_ns;
            device_frame = p.device_frame;
        }
        reel_cw_set_clock(s->cw, mono - back, wall - back, device_frame);
        reel_cw_write(s->cw, s->buf, (size_t)got);
        produced += (uint64_t)got;
        atomic_store(&s->frames, produced);
    }
    reel_cw_finish(s->cw);
    atomic_store(&s->done, true);
    return NULL;
}

int reel_source_start(reel_source *s, reel_chunk_writer *cw, reel_error *err)
{
    if (!s->impl->run) {
        size_t fb = reel_stream_def_frame_bytes(&s->def);
        s->buf_bytes = fb * s->opts.period;
        s->buf = reel_rt_alloc(s->buf_bytes, err);
        if (!s->buf)
            return err ? err->code : REEL_ENOMEM;
    }
    s->cw = cw;
    int e = pthread_create(&s->thread, NULL, producer, s);
    if (e != 0)
        return reel_error_set(err, REEL_EIO, "cannot start the source thread: %s", strerror(e));
    s->started = true;
    return REEL_OK;
}

bool reel_source_done(const reel_source *s)
{
    return atomic_load(&((reel_source *)s)->done);
}

uint64_t reel_source_frames(const reel_source *s)
{
    return atomic_load(&((reel_source *)s)->frames);
}

int reel_source_stop(reel_source *s, reel_error *err)
{
    if (!s->started)
        return REEL_OK;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    s->started = false;
    if (s->rc) {
        if (err)
            *err = s->err;
        return s->rc;
    }
    return REEL_OK;
}

void reel_source_close(reel_source *s)
{
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, true);
        pthread_join(s->thread, NULL);
    }
    if (s->impl && s->impl->close)
        s->impl->close(s->state);
    reel_rt_free(s->buf, s->buf_bytes);
    reel_rt_free(s, sizeof *s);
}
