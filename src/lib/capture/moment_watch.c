/*
 * moment_watch.c — the detector on a live stream's chunks (see
 * moment_watch.h).
 *
 * Audio moments get their wall clock from the pairing at their chunk's
 * start, carried at the nominal rate (a chunk spans seconds: drift within
 * it is far below a frame's worth). MIDI moments take the wall clock the
 * engine stamped on the event itself.
 */
#include "capture/moment_watch.h"

#include "core/sample_convert.h"
#include "rt/midi_record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reel_moment_watch {
    reel_db *db;
    reel_stream_def def;
    reel_detector det;
    reel_moment_fn fn;
    void *ud;
    bool have_tag;
    uint32_t tag;     /* the chunk being read */
    uint64_t offset;  /* bytes of it already fed */
    reel_clock_snapshot clock; /* of that chunk's start */
    int64_t midi_wall_ns;      /* of the MIDI event being fed */
    reel_moment_watch_stats stats;
    /* The meters since the last reel_moment_watch_levels. */
    uint64_t lv_frames, lv_end;
    float lv_peak[REEL_MAX_CHANNELS];
    double lv_sq[REEL_MAX_CHANNELS];
};

static void on_detected(void *ud, const reel_detected *d)
{
    reel_moment_watch *w = ud;
    reel_db_moment m;
    memset(&m, 0, sizeof m);
    snprintf(m.stream_uri, sizeof m.stream_uri, "%s", w->def.uri);
    snprintf(m.kind, sizeof m.kind, "%s", reel_moment_kind_name(d->kind));
    m.frame = (int64_t)d->frame;
    if (d->kind == REEL_MOMENT_LEVEL) {
        m.has_level = true;
        m.level_db = d->level_db;
        reel_error e;
        if (w->clock.wall_ns == 0 ||
            reel_clock_frame_to_wall(&w->clock, 1, w->def.sample_rate, d->frame, &m.wall_ns, &e))
            m.wall_ns = reel_clock_wall_now();
    } else {
        m.wall_ns = w->midi_wall_ns;
    }
    reel_error err;
    reel_error_clear(&err);
    if (reel_moment_add(w->db, &m, &err)) {
        w->stats.lost++;
        w->stats.last_error = err;
        return;
    }
    w->stats.stored++;
    if (w->fn)
        w->fn(w->ud, &m);
}

int reel_moment_watch_open(reel_moment_watch **out, reel_db *db, const reel_stream_def *def,
                           const reel_trigger_opts *o, reel_moment_fn fn, void *ud,
                           reel_error *err)
{
    reel_moment_watch *w = calloc(1, sizeof *w);
    if (!w)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    w->db = db;
    w->def = *def;
    w->fn = fn;
    w->ud = ud;
    int rc = reel_detector_init(&w->det, o, def->sample_rate, def->sample_format, def->channels,
                                on_detected, w, err);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return REEL_OK;
}

static float sample_f32(reel_sample_format fmt, const uint8_t *src)
{
    switch (fmt) {
    case REEL_SAMPLE_I16: {
        int16_t v;
        memcpy(&v, src, 2);
        return reel_i16_to_f32(v);
    }
    case REEL_SAMPLE_I24: {
        int32_t v = (int32_t)((uint32_t)src[0] << 8 | (uint32_t)src[1] << 16 |
                              (uint32_t)src[2] << 24) >> 8;
        return reel_i24_to_f32(v);
    }
    default: {
        float v;
        memcpy(&v, src, 4);
        return v;
    }
    }
}

/* The meters: fold n frames (already in memory for the detector). */
static void measure(reel_moment_watch *w, const uint8_t *p, uint64_t n, uint64_t end)
{
    uint32_t ch = w->def.channels < REEL_MAX_CHANNELS ? w->def.channels : REEL_MAX_CHANNELS;
    size_t sb = reel_sample_format_bytes(w->def.sample_format);
    size_t fb = reel_stream_def_frame_bytes(&w->def);
    for (uint64_t i = 0; i < n; i++, p += fb) {
        for (uint32_t c = 0; c < ch; c++) {
            float v = sample_f32(w->def.sample_format, p + c * sb);
            float a = fabsf(v);
            if (a > w->lv_peak[c]) /* false for NaN */
                w->lv_peak[c] = a;
            if (a == a)
                w->lv_sq[c] += (double)v * v;
        }
    }
    w->lv_frames += n;
    w->lv_end = end;
}

bool reel_moment_watch_levels(reel_moment_watch *w, reel_levels *out)
{
    memset(out, 0, sizeof *out);
    out->channels = w->def.channels < REEL_MAX_CHANNELS ? w->def.channels : REEL_MAX_CHANNELS;
    if (w->def.kind != REEL_STREAM_AUDIO || w->lv_frames == 0)
        return false;
    out->frames = w->lv_frames;
    out->end_frame = w->lv_end;
    for (uint32_t c = 0; c < out->channels; c++) {
        out->peak[c] = w->lv_peak[c];
        out->rms[c] = (float)sqrt(w->lv_sq[c] / (double)w->lv_frames);
        w->lv_peak[c] = 0.0f;
        w->lv_sq[c] = 0.0;
    }
    w->lv_frames = 0;
    return true;
}

static void feed_midi(reel_moment_watch *w, const uint8_t *p, uint64_t n)
{
    while (n >= REEL_MIDI_RECORD_HEADER) {
        reel_midi_event ev;
        size_t used;
        /* An incomplete record cannot be: the head counts whole ones. A
         * damaged one ends the chunk for the watch, never the recording. */
        if (reel_midi_record_decode(p, (size_t)n, &ev, &used) != REEL_OK)
            break;
        w->midi_wall_ns = ev.wall_ns;
        reel_detector_midi(&w->det, ev.frame, ev.data, ev.len);
        w->offset += used;
        p += used;
        n -= used;
    }
}

void reel_moment_watch_chunk(reel_moment_watch *w, uint32_t tag, const uint8_t *base,
                             uint64_t bytes, uint64_t first_frame,
                             const reel_clock_snapshot *clock)
{
    if (!w->have_tag || w->tag != tag) {
        w->have_tag = true;
        w->tag = tag;
        w->offset = 0;
    }
    if (clock)
        w->clock = *clock;
    if (bytes <= w->offset)
        return;
    if (w->def.kind == REEL_STREAM_MIDI) {
        feed_midi(w, base + w->offset, bytes - w->offset);
        return;
    }
    size_t fb = reel_stream_def_frame_bytes(&w->def);
    uint64_t from = w->offset / fb, to = bytes / fb;
    if (to > from) {
        reel_detector_audio(&w->det, first_frame + from, base + from * fb, (size_t)(to - from));
        measure(w, base + from * fb, to - from, first_frame + to);
    }
    w->offset = to * fb;
}

void reel_moment_watch_get_stats(const reel_moment_watch *w, reel_moment_watch_stats *s)
{
    *s = w->stats;
}

void reel_moment_watch_flush(reel_moment_watch *w)
{
    reel_detector_flush(&w->det);
}

void reel_moment_watch_close(reel_moment_watch *w)
{
    if (!w)
        return;
    reel_detector_flush(&w->det);
    free(w);
}
