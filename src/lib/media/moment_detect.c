/*
 * moment_detect.c — the activity detector (see moment_detect.h).
 *
 * Audio is handled in blocks: each block's frames are reduced to one peak
 * per frame (the loudest channel), then the block's loudest frame decides
 * whether the per-frame state machine has to look at all. Idle below the
 * threshold, or active and below the re-arm level, a whole block is one
 * step; that keeps detection a fraction of the cost of hashing the same
 * bytes, which matters to `reel record --fast`.
 */
#include "media/moment_detect.h"

#include "core/sample_convert.h"

#include <math.h>
#include <string.h>

#define BLOCK 256
#define NS_PER_SEC 1000000000LL

enum { ST_IDLE, ST_PENDING, ST_ACTIVE };

static const char *const kind_names[] = {"level", "midi", "marker"};

const char *reel_moment_kind_name(reel_moment_kind k)
{
    return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

int reel_moment_kind_parse(const char *s, reel_moment_kind *out, reel_error *err)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (reel_moment_kind)i;
            return REEL_OK;
        }
    return reel_error_set(err, REEL_EINVAL, "unknown moment kind '%.40s' (level, midi or marker)",
                          s);
}

void reel_trigger_opts_default(reel_trigger_opts *o)
{
    *o = (reel_trigger_opts){.level = true, .level_db = -30.0, .hysteresis_db = 6.0,
                             .hold_ns = 250000000LL, .midi = true};
}

int reel_trigger_opts_validate(const reel_trigger_opts *o, reel_error *err)
{
    if (!(o->level_db > -120.0 && o->level_db <= 0.0))
        return reel_error_set(err, REEL_EINVAL,
                              "trigger level %g dBFS is out of range (above -120, at most 0)",
                              o->level_db);
    if (!(o->hysteresis_db >= 0.0 && o->hysteresis_db <= 60.0))
        return reel_error_set(err, REEL_EINVAL,
                              "trigger hysteresis %g dB is out of range (0 to 60)",
                              o->hysteresis_db);
    if (o->hold_ns <= 0 || o->hold_ns > 3600 * NS_PER_SEC)
        return reel_error_set(err, REEL_EINVAL,
                              "trigger hold must be longer than 0 and at most 1h");
    return REEL_OK;
}

static uint64_t ns_to_frames(int64_t ns, uint32_t rate)
{
    uint64_t f = (uint64_t)(((__int128)ns * rate + NS_PER_SEC / 2) / NS_PER_SEC);
    return f ? f : 1;
}

int reel_detector_init(reel_detector *d, const reel_trigger_opts *o, uint32_t rate,
                       reel_sample_format fmt, uint32_t channels, reel_detect_fn fn, void *ud,
                       reel_error *err)
{
    memset(d, 0, sizeof *d);
    int rc = reel_trigger_opts_validate(o, err);
    if (rc)
        return rc;
    if (rate == 0)
        return reel_error_set(err, REEL_EINVAL, "cannot detect activity at a rate of 0");
    d->o = *o;
    d->fmt = fmt;
    d->channels = channels ? channels : 1;
    d->on = powf(10.0f, (float)o->level_db / 20.0f);
    d->off = d->on * powf(10.0f, -(float)o->hysteresis_db / 20.0f);
    d->hold_frames = ns_to_frames(o->hold_ns, rate);
    d->peak_frames = ns_to_frames(REEL_DETECT_PEAK_MS * 1000000LL, rate);
    d->fn = fn;
    d->ud = ud;
    return REEL_OK;
}

static void report(reel_detector *d)
{
    reel_detected m = {.kind = REEL_MOMENT_LEVEL, .frame = d->onset,
                       .level_db = 20.0 * log10((double)d->peak)};
    if (d->fn)
        d->fn(d->ud, &m);
}

/* n frames below the re-arm level (a gap, or a quiet block). */
static void quiet_frames(reel_detector *d, uint64_t n)
{
    if (d->state == ST_IDLE)
        return;
    d->quiet += n;
    if (d->state == ST_PENDING && d->quiet >= d->hold_frames) {
        report(d);
        d->state = ST_IDLE;
    } else if (d->state == ST_PENDING && d->pos + n - d->onset >= d->peak_frames) {
        report(d);
        d->state = ST_ACTIVE;
    }
    if (d->state == ST_ACTIVE && d->quiet >= d->hold_frames)
        d->state = ST_IDLE;
}

/* One frame's peak at stream frame f. */
static void step(reel_detector *d, uint64_t f, float p)
{
    switch (d->state) {
    case ST_IDLE:
        if (p >= d->on) {
            d->state = ST_PENDING;
            d->onset = f;
            d->peak = p;
            d->quiet = 0;
        }
        break;
    case ST_PENDING:
    case ST_ACTIVE:
        if (p > d->peak && d->state == ST_PENDING)
            d->peak = p;
        d->quiet = p < d->off ? d->quiet + 1 : 0;
        if (d->state == ST_PENDING &&
            (d->quiet >= d->hold_frames || f + 1 - d->onset >= d->peak_frames)) {
            report(d);
            d->state = d->quiet >= d->hold_frames ? ST_IDLE : ST_ACTIVE;
        } else if (d->state == ST_ACTIVE && d->quiet >= d->hold_frames) {
            d->state = ST_IDLE;
        }
        break;
    }
}

static float sample_at(reel_sample_format fmt, const uint8_t *src)
{
    switch (fmt) {
    case REEL_SAMPLE_I16: {
        int16_t s;
        memcpy(&s, src, 2);
        return reel_i16_to_f32(s);
    }
    case REEL_SAMPLE_I24: {
        int32_t s = (int32_t)((uint32_t)src[0] << 8 | (uint32_t)src[1] << 16 |
                              (uint32_t)src[2] << 24) >> 8;
        return reel_i24_to_f32(s);
    }
    default: {
        float v;
        memcpy(&v, src, 4);
        return v;
    }
    }
}

/* Peak magnitude per frame of n frames (n <= BLOCK); returns the block's.
 * One loop per format, so the common float case compiles to a tight one. */
static float frame_peaks(const reel_detector *d, const uint8_t *src, size_t n, float *peaks)
{
    size_t ch = d->channels, sb = reel_sample_format_bytes(d->fmt);
    float top = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float p = 0.0f;
        for (size_t c = 0; c < ch; c++, src += sb) {
            float v = fabsf(sample_at(d->fmt, src));
            if (v > p) /* false for NaN: a NaN sample is not loud */
                p = v;
        }
        peaks[i] = p;
        if (p > top)
            top = p;
    }
    return top;
}

/* Active and loud somewhere in the block: only the quiet runs matter. The
 * quiet carried in plus the block's quiet start may end the event (then the
 * rest is looked at frame by frame); otherwise the quiet after the block's
 * last loud frame is carried on. */
static size_t active_block(reel_detector *d, const float *peaks, size_t n)
{
    size_t first = 0, last = 0;
    while (first < n && peaks[first] < d->off)
        first++;
    if (d->quiet + first >= d->hold_frames) {
        size_t end = (size_t)(d->hold_frames - d->quiet); /* frames to the end of the event */
        d->quiet = d->hold_frames;
        d->state = ST_IDLE;
        return end;
    }
    for (size_t i = first; i < n; i++)
        if (!(peaks[i] < d->off))
            last = i;
    d->quiet = n - 1 - last;
    return n;
}

void reel_detector_audio(reel_detector *d, uint64_t first, const uint8_t *data, size_t frames)
{
    size_t fb = reel_sample_format_bytes(d->fmt) * d->channels;
    if (!d->o.level || frames == 0)
        return;
    if (!d->started) {
        d->started = true;
        d->pos = first;
    }
    if (first + frames <= d->pos)
        return;
    if (first < d->pos) { /* already seen */
        size_t skip = (size_t)(d->pos - first);
        data += skip * fb;
        frames -= skip;
        first = d->pos;
    }
    if (first > d->pos) {
        quiet_frames(d, first - d->pos);
        d->pos = first;
    }
    float peaks[BLOCK];
    while (frames) {
        size_t n = frames < BLOCK ? frames : BLOCK;
        float top = frame_peaks(d, data, n, peaks);
        if ((d->state == ST_IDLE && !(top >= d->on)) || (d->state == ST_ACTIVE && top < d->off)) {
            quiet_frames(d, n);
        } else {
            size_t i = 0;
            if (d->state == ST_ACTIVE && d->hold_frames > BLOCK)
                i = active_block(d, peaks, n);
            for (; i < n; i++)
                step(d, d->pos + i, peaks[i]);
        }
        d->pos += n;
        data += n * fb;
        frames -= n;
    }
}

void reel_detector_midi(reel_detector *d, uint64_t frame, const uint8_t *msg, uint32_t len)
{
    if (!d->o.midi || len == 0 || msg[0] >= 0xF8)
        return;
    bool burst = !d->midi_seen || frame < d->midi_last || frame - d->midi_last >= d->hold_frames;
    d->midi_seen = true;
    d->midi_last = frame;
    if (burst && d->fn) {
        reel_detected m = {.kind = REEL_MOMENT_MIDI, .frame = frame, .level_db = NAN};
        d->fn(d->ud, &m);
    }
}

void reel_detector_flush(reel_detector *d)
{
    if (d->state == ST_PENDING)
        report(d);
    d->state = ST_IDLE;
}
