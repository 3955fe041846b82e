/*
 * tempo.c — the tempo map: checking its JSON, deriving segment start times,
 * and the conversions between beats, seconds, frames and bars|beats (units
 * and the rounding rule: tempo.h).
 *
 * Owns: the arithmetic of tempo. Must never: round seconds to frames outside
 * reel_tempo_seconds_to_frames, or write the caller's map on a failed parse.
 *
 * Intermediate values are long double: segment starts are summed there (1024
 * segments add at most ~2^-54 relative error before the one rounding to the
 * stored double), and positions are offset from a segment's start there, so
 * a position close to a boundary loses nothing to cancellation.
 */
#include "time/tempo.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fields[] = {"beat", "bpm", "num", "den"};

static long double bar_len(const reel_tempo_segment *s)
{
    return (long double)s->num * 4.0L / (long double)s->den;
}

void reel_tempo_map_default(reel_tempo_map *m)
{
    m->n = 1;
    m->seg[0] = (reel_tempo_segment){.beat = 0, .bpm = 120, .num = 4, .den = 4};
    m->start_s[0] = 0;
}

/* ---- JSON --------------------------------------------------------------- */

/* A key for a message: at most 32 characters, anything unprintable as '?',
 * so a hostile key cannot break the one-line message. */
static void quote_key(const char *key, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; key[i] && j + 4 < cap && i < 32; i++)
        out[j++] = isprint((unsigned char)key[i]) ? key[i] : '?';
    if (strlen(key) > 32 && j + 4 < cap) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
}

static int get_number(json_t *obj, size_t i, const char *key, double *out, reel_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: missing", i, key);
    if (!json_is_number(v))
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: must be a number", i, key);
    *out = json_number_value(v);
    if (!isfinite(*out)) /* jansson refuses these, a json_real may not */
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: must be finite", i, key);
    return REEL_OK;
}

static int get_int(json_t *obj, size_t i, const char *key, int *out, reel_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: missing", i, key);
    if (!json_is_integer(v))
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: must be an integer", i, key);
    json_int_t x = json_integer_value(v);
    if (x < 1 || x > 64)
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].%s: must be 1 to 64, got %lld", i,
                              key, (long long)x);
    *out = (int)x;
    return REEL_OK;
}

/* One segment, checked against the one before it (prev, NULL for the first). */
static int parse_segment(json_t *obj, size_t i, const reel_tempo_segment *prev,
                         reel_tempo_segment *s, reel_error *err)
{
    if (!json_is_object(obj))
        return reel_error_set(err, REEL_EINVAL,
                              "tempo[%zu]: must be an object {beat, bpm, num, den}", i);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t k = 0;
        while (k < 4 && strcmp(key, fields[k]) != 0)
            k++;
        if (k == 4) {
            char q[48];
            quote_key(key, q, sizeof q);
            return reel_error_set(err, REEL_EINVAL,
                                  "tempo[%zu].%s: unknown field (use beat, bpm, num, den)", i, q);
        }
    }
    int rc;
    if ((rc = get_number(obj, i, "beat", &s->beat, err)) ||
        (rc = get_number(obj, i, "bpm", &s->bpm, err)) ||
        (rc = get_int(obj, i, "num", &s->num, err)) ||
        (rc = get_int(obj, i, "den", &s->den, err)))
        return rc;
    if (!(s->bpm > 0 && s->bpm <= 1000))
        return reel_error_set(err, REEL_EINVAL,
                              "tempo[%zu].bpm: must be above 0 and at most 1000, got %.15g", i,
                              s->bpm);
    if (s->den & (s->den - 1))
        return reel_error_set(err, REEL_EINVAL,
                              "tempo[%zu].den: must be a power of two (1, 2, 4 ... 64), got %d", i,
                              s->den);
    if (!prev) {
        if (s->beat != 0)
            return reel_error_set(err, REEL_EINVAL,
                                  "tempo[0].beat: the first segment must start at beat 0, "
                                  "got %.15g",
                                  s->beat);
        s->beat = 0; /* not -0 */
        return REEL_OK;
    }
    if (!(s->beat > prev->beat))
        return reel_error_set(err, REEL_EINVAL,
                              "tempo[%zu].beat: must be after tempo[%zu].beat (%.15g), got %.15g",
                              i, i - 1, prev->beat, s->beat);
    if (s->beat > REEL_TEMPO_BEATS_MAX)
        return reel_error_set(err, REEL_EINVAL, "tempo[%zu].beat: must be at most 2^40, got %.15g",
                              i, s->beat);
    /* Both are below 2^40 and the bar length is k/16, so the difference and
     * the remainder are exact: a bar line is an exact test. */
    long double len = bar_len(prev);
    long double bars = ((long double)s->beat - prev->beat) / len;
    if (bars != floorl(bars))
        return reel_error_set(err, REEL_EINVAL,
                              "tempo[%zu].beat: %.15g is not on a bar line of tempo[%zu] "
                              "(%d/%d: bars of %.15Lg quarter notes from beat %.15g)",
                              i, s->beat, i - 1, prev->num, prev->den, len, prev->beat);
    return REEL_OK;
}

int reel_tempo_map_from_json(json_t *arr, reel_tempo_map *m, reel_error *err)
{
    if (!json_is_array(arr))
        return reel_error_set(err, REEL_EINVAL, "tempo: must be an array of segments");
    size_t n = json_array_size(arr);
    if (n < 1 || n > REEL_TEMPO_SEGMENTS_MAX)
        return reel_error_set(err, REEL_EINVAL, "tempo: must have 1 to %d segments, got %zu",
                              REEL_TEMPO_SEGMENTS_MAX, n);
    reel_tempo_map *t = malloc(sizeof *t);
    if (!t)
        return reel_error_set(err, REEL_ENOMEM, "tempo: out of memory");
    t->n = n;
    long double start = 0;
    int rc = REEL_OK;
    for (size_t i = 0; i < n && rc == REEL_OK; i++) {
        const reel_tempo_segment *prev = i ? &t->seg[i - 1] : NULL;
        rc = parse_segment(json_array_get(arr, i), i, prev, &t->seg[i], err);
        if (rc)
            break;
        if (prev)
            start += ((long double)t->seg[i].beat - prev->beat) * 60.0L / prev->bpm;
        if (start > REEL_TEMPO_SECONDS_MAX)
            rc = reel_error_set(err, REEL_EINVAL,
                                "tempo[%zu].beat: starts %.6Lg s into the timeline, past 2^40 s "
                                "(is tempo[%zu].bpm too low?)",
                                i, start, i - 1);
        t->start_s[i] = (double)start;
    }
    if (rc == REEL_OK)
        memcpy(m, t, sizeof *t);
    free(t);
    return rc;
}

/* Integral values as JSON integers, so the canonical document reads back
 * as itself (json_equal tells 120 from 120.0). */
static json_t *number(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *reel_tempo_map_to_json(const reel_tempo_map *m)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        const reel_tempo_segment *s = &m->seg[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) ||
            json_object_set_new(o, "beat", number(s->beat)) ||
            json_object_set_new(o, "bpm", number(s->bpm)) ||
            json_object_set_new(o, "num", json_integer(s->num)) ||
            json_object_set_new(o, "den", json_integer(s->den))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* ---- conversions -------------------------------------------------------- */

/* The segment a position falls in: the last one starting at or before it;
 * the first for positions before 0 (its tempo extends backwards). */
static size_t seg_at_beat(const reel_tempo_map *m, double beats)
{
    size_t lo = 0, hi = m->n; /* seg[lo].beat <= beats (or lo == 0) < seg[hi].beat */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->seg[mid].beat <= beats)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static size_t seg_at_seconds(const reel_tempo_map *m, long double s)
{
    size_t lo = 0, hi = m->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->start_s[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static long double beats_to_seconds_l(const reel_tempo_map *m, double beats)
{
    size_t i = seg_at_beat(m, beats);
    const reel_tempo_segment *s = &m->seg[i];
    return m->start_s[i] + ((long double)beats - s->beat) * 60.0L / s->bpm;
}

static long double seconds_to_beats_l(const reel_tempo_map *m, long double seconds)
{
    size_t i = seg_at_seconds(m, seconds);
    const reel_tempo_segment *s = &m->seg[i];
    return s->beat + (seconds - m->start_s[i]) * s->bpm / 60.0L;
}

double reel_tempo_beats_to_seconds(const reel_tempo_map *m, double beats)
{
    return (double)beats_to_seconds_l(m, beats);
}

double reel_tempo_seconds_to_beats(const reel_tempo_map *m, double seconds)
{
    return (double)seconds_to_beats_l(m, seconds);
}

int64_t reel_tempo_seconds_to_frames(double seconds, uint32_t rate)
{
    long double x = (long double)seconds * rate;
    if (isnan(x))
        return 0;
    long double eps = fabsl(x) * 0x1p-46L + 0x1p-32L;
    long double f = floorl(x + 0.5L + eps);
    if (f >= 0x1p63L)
        return INT64_MAX;
    if (f <= -0x1p63L)
        return INT64_MIN;
    return (int64_t)f;
}

int64_t reel_tempo_beats_to_frames(const reel_tempo_map *m, double beats, uint32_t rate)
{
    return reel_tempo_seconds_to_frames(reel_tempo_beats_to_seconds(m, beats), rate);
}

double reel_tempo_frames_to_beats(const reel_tempo_map *m, int64_t frames, uint32_t rate)
{
    if (rate == 0)
        return NAN;
    return (double)seconds_to_beats_l(m, (long double)frames / rate);
}

/* ---- bars and beats ----------------------------------------------------- */

/* The bar number segment i starts on; exact, since every segment starts on
 * a bar line of the one before and bars are at most 2^44. */
static int64_t first_bar(const reel_tempo_map *m, size_t i)
{
    int64_t bar = 1;
    for (size_t k = 1; k <= i; k++)
        bar += (int64_t)(((long double)m->seg[k].beat - m->seg[k - 1].beat) /
                         bar_len(&m->seg[k - 1]));
    return bar;
}

int reel_tempo_bbt_to_beats(const reel_tempo_map *m, int64_t bar, double beat, double *beats,
                            reel_error *err)
{
    if (bar < 1)
        return reel_error_set(err, REEL_EINVAL, "bar: must be 1 or more, got %lld",
                              (long long)bar);
    /* The last segment starting at or before the bar. */
    size_t i = 0;
    int64_t fb = 1;
    for (size_t k = 1; k < m->n; k++) {
        int64_t next = fb + (int64_t)(((long double)m->seg[k].beat - m->seg[k - 1].beat) /
                                      bar_len(&m->seg[k - 1]));
        if (next > bar)
            break;
        i = k;
        fb = next;
    }
    const reel_tempo_segment *s = &m->seg[i];
    if (!(beat >= 1 && beat < s->num + 1))
        return reel_error_set(err, REEL_EINVAL,
                              "beat: must be at least 1 and below %d in bar %lld (%d/%d), "
                              "got %.15g",
                              s->num + 1, (long long)bar, s->num, s->den, beat);
    long double b = s->beat + (long double)(bar - fb) * bar_len(s) +
                    ((long double)beat - 1) * 4.0L / s->den;
    if (b > REEL_TEMPO_BEATS_MAX)
        return reel_error_set(err, REEL_EINVAL,
                              "bar: %lld is past the tempo map's end (2^40 quarter notes)",
                              (long long)bar);
    *beats = (double)b;
    return REEL_OK;
}

int reel_tempo_beats_to_bbt(const reel_tempo_map *m, double beats, int64_t *bar, double *beat)
{
    if (!(beats >= 0 && beats <= REEL_TEMPO_BEATS_MAX))
        return REEL_EINVAL;
    size_t i = seg_at_beat(m, beats);
    const reel_tempo_segment *s = &m->seg[i];
    long double len = bar_len(s);
    long double rel = (long double)beats - s->beat;
    long double q = floorl(rel / len);
    long double in = rel - q * len; /* quarter notes into the bar */
    /* A quotient rounded across a bar line: put the position back in [0, len). */
    if (in < 0) {
        q -= 1;
        in += len;
    } else if (in >= len) {
        q += 1;
        in -= len;
    }
    *bar = first_bar(m, i) + (int64_t)q;
    *beat = (double)(1 + in * s->den / 4.0L);
    return REEL_OK;
}

int reel_tempo_next_grid(const reel_tempo_map *m, const char *q, int64_t pos, uint32_t rate,
                         int64_t *at, reel_error *err)
{
    *at = pos;
    if (!q || strcmp(q, "none") == 0)
        return REEL_OK;
    double beats = reel_tempo_frames_to_beats(m, pos, rate), target = ceil(beats - 1e-9);
    int rc = REEL_OK;
    if (strcmp(q, "bar") == 0) {
        int64_t bar;
        double beat;
        if (reel_tempo_beats_to_bbt(m, beats, &bar, &beat))
            return reel_error_set(err, REEL_EINVAL, "the tempo map has no bar after frame %lld",
                                  (long long)pos);
        rc = beat > 1 + 1e-9 ? reel_tempo_bbt_to_beats(m, bar + 1, 1, &target, err)
                             : reel_tempo_bbt_to_beats(m, bar, 1, &target, err);
    }
    if (!rc)
        *at = reel_tempo_beats_to_frames(m, target, rate);
    return rc;
}
