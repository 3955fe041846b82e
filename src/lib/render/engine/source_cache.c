/*
 * source_cache.c — decoding clip sources once (source_cache.h).
 *
 * Entries are few (one per distinct source in a project) and looked up by
 * a linear scan of their keys: a project of 10 000 clips over 40 takes
 * does 40 decodes, and the scan is nothing beside them.
 */
#include "render/engine/source_cache.h"

#include "core/sample_convert.h"
#include "media/audio_probe.h"
#include "slice/slice.h"
#include "store/artifact_db.h"
#include "store/cas.h"

#include <math.h>
#include <rubberband/rubberband-c.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cache_entry {
    char key[600];
    float *frames;
    uint32_t channels, src_rate;
    int64_t n;
} cache_entry;

struct reel_source_cache {
    reel_store *st;
    uint32_t rate;
    cache_entry *e;
    size_t n, cap;
    uint64_t bytes;
};

reel_store *reel_source_cache_store(const reel_source_cache *c)
{
    return c ? c->st : NULL;
}

int reel_source_cache_new(reel_store *st, uint32_t rate, reel_source_cache **out,
                          reel_error *err)
{
    reel_source_cache *c = calloc(1, sizeof *c);
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    c->st = st;
    c->rate = rate;
    *out = c;
    return REEL_OK;
}

void reel_source_cache_free(reel_source_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].frames);
    free(c->e);
    free(c);
}

uint64_t reel_source_cache_bytes(const reel_source_cache *c)
{
    return c->bytes;
}

/* A file in the CAS, decoded. */
static int decode_blob(reel_source_cache *c, const reel_hash *h, const char *what,
                       cache_entry *e, reel_error *err)
{
    int fd;
    int rc = reel_cas_open_content(reel_store_cas(c->st), h, &fd, err);
    if (rc) {
        if (rc == REEL_ENOENT)
            reel_error_set(err, REEL_ENOENT, "%s: its source file is not in the store (gone?)",
                           what);
        return rc;
    }
    rc = reel_audio_read_fd(fd, what, &e->frames, &e->n, &e->channels, &e->src_rate, err);
    close(fd);
    return rc;
}

typedef struct window_read {
    cache_entry *e;
    reel_sample_format fmt;
    int64_t want;
} window_read;

static int window_append(const uint8_t *data, size_t frames, void *ud, reel_error *err)
{
    window_read *w = ud;
    cache_entry *e = w->e;
    size_t ch = e->channels;
    if (e->n + (int64_t)frames > w->want)
        return reel_error_set(err, REEL_ECORRUPT, "a stream window gave more frames than asked");
    float *d = e->frames + (size_t)e->n * ch;
    size_t m = frames * ch;
    if (w->fmt == REEL_SAMPLE_F32) {
        memcpy(d, data, m * sizeof(float));
    } else if (w->fmt == REEL_SAMPLE_I16) {
        for (size_t i = 0; i < m; i++)
            d[i] = reel_i16_to_f32((int16_t)(data[2 * i] | data[2 * i + 1] << 8));
    } else {
        for (size_t i = 0; i < m; i++) {
            const uint8_t *b = data + 3 * i;
            int32_t v = (int32_t)((uint32_t)b[0] << 8 | (uint32_t)b[1] << 16 |
                                  (uint32_t)b[2] << 24) >> 8;
            d[i] = reel_i24_to_f32(v);
        }
    }
    e->n += (int64_t)frames;
    return REEL_OK;
}

/* Frames [from, to) of a captured stream, read from its chunks. */
static int decode_window(reel_source_cache *c, const char *uri, int64_t from, int64_t to,
                         const char *what, cache_entry *e, reel_error *err)
{
    reel_stream_def def;
    int rc = reel_store_definition_latest(c->st, uri, &def, err);
    if (rc)
        return rc == REEL_ENOENT ? reel_error_set(err, REEL_ENOENT, "%s: no stream %.200s in "
                                                  "this store", what, uri)
                                 : rc;
    if (def.kind != REEL_STREAM_AUDIO || to <= from)
        return reel_error_set(err, REEL_EINVAL, "%s: %.200s [%lld, %lld) is not a window of "
                              "audio", what, uri, (long long)from, (long long)to);
    e->channels = def.channels;
    e->src_rate = def.sample_rate;
    if (!(e->frames = malloc((size_t)(to - from) * def.channels * sizeof(float))))
        return reel_error_set(err, REEL_ENOMEM, "out of memory for %s (%lld frames)", what,
                              (long long)(to - from));
    window_read w = {e, def.sample_format, to - from};
    rc = reel_slice_read_frames(c->st, uri, (uint64_t)from, (uint64_t)to, window_append, &w, err);
    if (rc) {
        char why[REEL_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        return reel_error_set(err, rc, "%s: its stream window is not readable: %.300s", what, why);
    }
    if (e->n != to - from)
        return reel_error_set(err, REEL_ERANGE, "%s: the stream holds %lld of its %lld frames",
                              what, (long long)e->n, (long long)(to - from));
    return REEL_OK;
}

/* An artifact: an imported file or a materialized slice is its content; a
 * virtual slice is its window of the stream. */
static int decode_artifact(reel_source_cache *c, const char *id, const char *what,
                           cache_entry *e, reel_error *err)
{
    reel_artifact a;
    int rc = reel_db_artifact_get(reel_store_db(c->st), id, &a, err);
    if (rc)
        return rc == REEL_ENOENT
                   ? reel_error_set(err, REEL_ENOENT, "%s: its source artifact %.64s is gone",
                                    what, id)
                   : rc;
    if (strcmp(a.kind, "virtual-slice") == 0)
        rc = decode_window(c, a.stream_uri, a.from_frame, a.to_frame, what, e, err);
    else
        rc = decode_blob(c, &a.content, what, e, err);
    reel_artifact_clear(&a);
    return rc;
}

/* To the cache's rate, with libsoxr's high-quality preset. */
static int resample(reel_source_cache *c, cache_entry *e, const char *what, reel_error *err)
{
    size_t olen = (size_t)(((unsigned __int128)e->n * c->rate + e->src_rate / 2) / e->src_rate);
    float *o = malloc((olen + 1) * e->channels * sizeof *o);
    if (!o)
        return reel_error_set(err, REEL_ENOMEM, "out of memory resampling %s", what);
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    size_t done = 0;
    soxr_error_t se = soxr_oneshot(e->src_rate, c->rate, e->channels, e->frames, (size_t)e->n,
                                   NULL, o, olen, &done, &io, &q, NULL);
    if (se) {
        free(o);
        return reel_error_set(err, REEL_EFORMAT, "%s: resampling %u -> %u Hz failed: %s", what,
                              e->src_rate, c->rate, se);
    }
    if (done < olen) /* what soxr keeps in its filter tail is silence at the very end */
        memset(o + done * e->channels, 0, (olen - done) * e->channels * sizeof *o);
    free(e->frames);
    e->frames = o;
    e->n = (int64_t)olen;
    return REEL_OK;
}

static int cache_add(reel_source_cache *c, cache_entry *e, reel_error *err)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        cache_entry *ne = realloc(c->e, cap * sizeof *ne);
        if (!ne)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        c->e = ne;
        c->cap = cap;
    }
    c->e[c->n++] = *e;
    c->bytes += (uint64_t)e->n * e->channels * sizeof(float);
    return REEL_OK;
}

static const cache_entry *cache_find(const reel_source_cache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0)
            return &c->e[i];
    return NULL;
}

int reel_source_cache_stretched(reel_source_cache *c, json_t *source, const char *what,
                                int64_t start, int64_t end, double stretch, double pitch,
                                reel_source_audio *out, reel_error *err)
{
    reel_source_audio a;
    int rc = reel_source_cache_get(c, source, what, &a, err);
    if (rc)
        return rc;
    if (end > a.n)
        end = a.n;
    if (start < 0 || start >= end)
        return reel_error_set(err, REEL_EINVAL, "%s: nothing to stretch in [%lld, %lld)", what,
                              (long long)start, (long long)end);
    char key[700];
    snprintf(key, sizeof key, "r %.17g %.17g %lld %lld %p", stretch, pitch, (long long)start,
             (long long)end, (const void *)a.frames);
    const cache_entry *hit = cache_find(c, key);
    if (hit) {
        *out = (reel_source_audio){hit->frames, hit->channels, hit->n, hit->src_rate};
        return REEL_OK;
    }
    size_t in_n = (size_t)(end - start), ch = a.channels;
    size_t want = (size_t)llround((double)in_n * stretch);
    if (in_n > UINT32_MAX / 2 || want > UINT32_MAX / 2)
        return reel_error_set(err, REEL_ERANGE, "%s: too long to stretch in one piece", what);
    cache_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.key, sizeof e.key, "%s", key);
    e.channels = a.channels;
    e.src_rate = a.src_rate;
    e.n = (int64_t)want;
    float *planar = malloc((in_n + 1) * ch * sizeof *planar);
    float *outp = calloc((want + 1) * ch, sizeof *outp);
    e.frames = malloc((want + 1) * ch * sizeof *e.frames);
    RubberBandState rb = NULL;
    if (!planar || !outp || !e.frames) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory stretching %s", what);
        goto out;
    }
    const float *in_ch[64];
    float *out_ch[64];
    if (ch > 64) {
        rc = reel_error_set(err, REEL_EFORMAT, "%s: %zu channels (stretch takes 64)", what, ch);
        goto out;
    }
    for (size_t k = 0; k < ch; k++) {
        float *p = planar + k * in_n;
        for (size_t i = 0; i < in_n; i++)
            p[i] = a.frames[((size_t)start + i) * ch + k];
        in_ch[k] = p;
    }
    rb = rubberband_new(c->rate, (unsigned)ch,
                        RubberBandOptionProcessOffline | RubberBandOptionEngineFiner |
                            RubberBandOptionThreadingNever,
                        stretch, pow(2.0, pitch / 12.0));
    if (!rb) {
        rc = reel_error_set(err, REEL_EFORMAT, "%s: Rubber Band refused ratio %g / pitch %g", what,
                            stretch, pitch);
        goto out;
    }
    rubberband_set_expected_input_duration(rb, (unsigned)in_n);
    const size_t step = 16384;
    for (size_t i = 0; i < in_n; i += step) { /* offline: study all, then process all */
        size_t k = in_n - i < step ? in_n - i : step;
        const float *pin[64];
        for (size_t q = 0; q < ch; q++)
            pin[q] = in_ch[q] + i;
        rubberband_study(rb, pin, (unsigned)k, i + k >= in_n);
    }
    /* Process in steps, retrieving what is ready into `tmp` (planar, one
     * step per channel) and keeping the first `want` frames of it. */
    float *tmp = malloc(step * ch * sizeof *tmp);
    if (!tmp) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory stretching %s", what);
        goto out;
    }
    size_t got = 0;
    for (size_t i = 0;;) {
        if (i < in_n) {
            size_t k = in_n - i < step ? in_n - i : step;
            const float *pin[64];
            for (size_t q = 0; q < ch; q++)
                pin[q] = in_ch[q] + i;
            rubberband_process(rb, pin, (unsigned)k, i + k >= in_n);
            i += k;
        }
        int av;
        while ((av = rubberband_available(rb)) > 0) {
            size_t take = (size_t)av < step ? (size_t)av : step;
            for (size_t q = 0; q < ch; q++)
                out_ch[q] = tmp + q * step;
            size_t r = rubberband_retrieve(rb, out_ch, (unsigned)take);
            for (size_t q = 0; q < ch; q++)
                for (size_t t = 0; t < r && got + t < want; t++)
                    outp[q * (want + 1) + got + t] = tmp[q * step + t];
            got += r;
            if (r == 0)
                break;
        }
        if (i >= in_n && av <= 0)
            break; /* all input given and nothing more to take */
    }
    free(tmp);
    /* interleave; a tail Rubber Band did not fill stays silent */
    for (size_t q = 0; q < ch; q++)
        for (size_t t = 0; t < want; t++)
            e.frames[t * ch + q] = outp[q * (want + 1) + t];
    if ((rc = cache_add(c, &e, err)))
        goto out;
    *out = (reel_source_audio){e.frames, e.channels, e.n, e.src_rate};
    e.frames = NULL;
out:
    if (rb)
        rubberband_delete(rb);
    free(planar);
    free(outp);
    free(e.frames);
    return rc;
}

int reel_source_cache_get(reel_source_cache *c, json_t *source, const char *what,
                          reel_source_audio *out, reel_error *err)
{
    const char *blob = json_string_value(json_object_get(source, "blob"));
    const char *art = json_string_value(json_object_get(source, "artifact"));
    const char *uri = json_string_value(json_object_get(source, "stream"));
    int64_t from = json_integer_value(json_object_get(source, "from"));
    int64_t to = json_integer_value(json_object_get(source, "to"));
    char key[600];
    if (blob)
        snprintf(key, sizeof key, "b %s", blob);
    else if (art)
        snprintf(key, sizeof key, "a %s", art);
    else if (uri)
        snprintf(key, sizeof key, "s %lld %lld %s", (long long)from, (long long)to, uri);
    else
        return reel_error_set(err, REEL_EINVAL, "%s: its source names no blob, artifact or "
                                                "stream", what);
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) {
            *out = (reel_source_audio){c->e[i].frames, c->e[i].channels, c->e[i].n,
                                       c->e[i].src_rate};
            return REEL_OK;
        }
    cache_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.key, sizeof e.key, "%s", key);
    int rc;
    if (blob) {
        reel_hash h;
        rc = reel_cas_resolve(reel_store_cas(c->st), blob, &h, err);
        if (rc == REEL_ENOENT)
            reel_error_set(err, rc, "%s: its source file %.71s is not in the store", what, blob);
        if (!rc)
            rc = decode_blob(c, &h, what, &e, err);
    } else if (art) {
        rc = decode_artifact(c, art, what, &e, err);
    } else {
        rc = decode_window(c, uri, from, to, what, &e, err);
    }
    json_int_t want_ch = json_integer_value(json_object_get(source, "channels"));
    json_int_t want_rate = json_integer_value(json_object_get(source, "rate"));
    if (!rc && (e.channels != (uint32_t)want_ch || e.src_rate != (uint32_t)want_rate))
        rc = reel_error_set(err, REEL_ECORRUPT, "%s: its source is %u ch at %u Hz, the clip "
                            "says %lld ch at %lld Hz", what, e.channels, e.src_rate,
                            (long long)want_ch, (long long)want_rate);
    if (!rc && e.src_rate != c->rate)
        rc = resample(c, &e, what, err);
    if (!rc && c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        cache_entry *ne = realloc(c->e, cap * sizeof *ne);
        if (!ne)
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        else {
            c->e = ne;
            c->cap = cap;
        }
    }
    if (rc) {
        free(e.frames);
        return rc;
    }
    c->e[c->n++] = e;
    c->bytes += (uint64_t)e.n * e.channels * sizeof(float);
    *out = (reel_source_audio){e.frames, e.channels, e.n, e.src_rate};
    return REEL_OK;
}
