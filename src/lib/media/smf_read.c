/*
 * smf_read.c — Standard MIDI File reader (see smf_read.h).
 *
 * Owns: bounds-checked parsing and the tempo map. Must never: trust a
 * length field before checking it against the bytes left, loop without
 * consuming input, or let a tick or frame computation overflow silently.
 */
#include "media/smf_read.h"

#include "core/fsutil.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_TEMPO 500000 /* us per quarter note when a file sets none (SMF 1.0) */
#define MAX_TICK (1ull << 56) /* far beyond any real file; keeps the arithmetic exact */

__extension__ typedef unsigned __int128 u128;

typedef struct parser {
    const uint8_t *buf;
    size_t len;
    reel_smf *s;
    size_t cap_events, cap_tempos;
    size_t used; /* bytes of s->bytes in use */
    reel_error *err;
} parser;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A variable-length quantity of at most 4 bytes within [*pos, end). */
static int vlq(parser *ps, size_t *pos, size_t end, uint32_t *v, int track)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return reel_error_set(ps->err, REEL_ECORRUPT,
                                  "MIDI file: track %d ends inside a variable-length number",
                                  track);
        uint8_t b = ps->buf[(*pos)++];
        x = x << 7 | (b & 0x7f);
        if (!(b & 0x80)) {
            *v = x;
            return REEL_OK;
        }
    }
    return reel_error_set(ps->err, REEL_ECORRUPT,
                          "MIDI file: track %d has a variable-length number over 4 bytes", track);
}

static int push_event(parser *ps, const reel_smf_event *ev, const uint8_t *prefix,
                      size_t n_prefix, const uint8_t *data, size_t n)
{
    reel_smf *s = ps->s;
    if (s->n_events == ps->cap_events) {
        size_t cap = ps->cap_events ? ps->cap_events * 2 : 64;
        reel_smf_event *e = realloc(s->events, cap * sizeof *e);
        if (!e)
            return reel_error_set(ps->err, REEL_ENOMEM, "out of memory");
        s->events = e;
        ps->cap_events = cap;
    }
    /* Stored bytes never exceed the bytes the event took in the file (a
     * prefix replaces at least one byte of delta time or length), so an
     * arena the size of the input always has room. Checked all the same. */
    if (n_prefix + n > ps->len - ps->used)
        return reel_error_set(ps->err, REEL_ECORRUPT, "MIDI file: event storage overflow");
    uint8_t *dst = s->bytes + ps->used;
    if (n_prefix)
        memcpy(dst, prefix, n_prefix);
    if (n)
        memcpy(dst + n_prefix, data, n);
    ps->used += n_prefix + n;
    reel_smf_event *e = &s->events[s->n_events++];
    *e = *ev;
    e->len = (uint32_t)(n_prefix + n);
    e->data = dst;
    return REEL_OK;
}

static int push_tempo(parser *ps, uint64_t tick, uint32_t tempo)
{
    reel_smf *s = ps->s;
    if (s->n_tempos == ps->cap_tempos) {
        size_t cap = ps->cap_tempos ? ps->cap_tempos * 2 : 8;
        reel_smf_tempo *t = realloc(s->tempos, cap * sizeof *t);
        if (!t)
            return reel_error_set(ps->err, REEL_ENOMEM, "out of memory");
        s->tempos = t;
        ps->cap_tempos = cap;
    }
    s->tempos[s->n_tempos++] = (reel_smf_tempo){.tick = tick, .tempo_us = tempo};
    return REEL_OK;
}

/* One MTrk body, bytes [pos, end). */
static int parse_track(parser *ps, size_t pos, size_t end, int track)
{
    uint64_t tick = 0;
    uint8_t running = 0;
    int rc;
    while (pos < end) {
        uint32_t delta;
        if ((rc = vlq(ps, &pos, end, &delta, track)))
            return rc;
        tick += delta;
        if (tick > MAX_TICK)
            return reel_error_set(ps->err, REEL_ECORRUPT, "MIDI file: track %d is too long",
                                  track);
        if (pos >= end)
            return reel_error_set(ps->err, REEL_ECORRUPT,
                                  "MIDI file: track %d ends after a delta time", track);
        reel_smf_event ev = {.tick = tick, .track = (uint16_t)track};
        uint8_t status = ps->buf[pos];
        if (status < 0x80) {
            if (!running)
                return reel_error_set(ps->err, REEL_ECORRUPT,
                                      "MIDI file: track %d has a data byte 0x%02x without status "
                                      "at offset %zu",
                                      track, status, pos);
            status = running; /* running status: the byte is data */
        } else {
            pos++;
        }
        if (status < 0xf0) {
            size_t n = (status & 0xf0) == 0xc0 || (status & 0xf0) == 0xd0 ? 1 : 2;
            if (end - pos < n)
                return reel_error_set(ps->err, REEL_ECORRUPT,
                                      "MIDI file: track %d ends inside a channel message", track);
            for (size_t i = 0; i < n; i++)
                if (ps->buf[pos + i] & 0x80)
                    return reel_error_set(ps->err, REEL_ECORRUPT,
                                          "MIDI file: track %d: status 0x%02x at offset %zu "
                                          "lacks its data bytes",
                                          track, status, pos);
            running = status;
            ev.kind = REEL_SMF_MIDI;
            if ((rc = push_event(ps, &ev, &status, 1, ps->buf + pos, n)))
                return rc;
            pos += n;
            continue;
        }
        /* Sysex, escape and meta events cancel running status (SMF 1.0). */
        running = 0;
        uint8_t meta_type = 0;
        if (status == 0xff) {
            if (pos >= end)
                return reel_error_set(ps->err, REEL_ECORRUPT,
                                      "MIDI file: track %d ends inside a meta event", track);
            meta_type = ps->buf[pos++];
        } else if (status != 0xf0 && status != 0xf7) {
            return reel_error_set(ps->err, REEL_ECORRUPT,
                                  "MIDI file: track %d has status 0x%02x at offset %zu, which "
                                  "a MIDI file cannot hold",
                                  track, status, pos - 1);
        }
        uint32_t n;
        if ((rc = vlq(ps, &pos, end, &n, track)))
            return rc;
        if (end - pos < n)
            return reel_error_set(ps->err, REEL_ECORRUPT,
                                  "MIDI file: track %d: an event of %u bytes at offset %zu runs "
                                  "past the track's end",
                                  track, n, pos);
        const uint8_t *body = ps->buf + pos;
        pos += n;
        if (status == 0xff && meta_type == 0x2f) { /* End-of-track: the rest is ignored */
            if (tick > ps->s->end_tick)
                ps->s->end_tick = tick;
            return REEL_OK;
        }
        if (status == 0xff && meta_type == 0x51) {
            uint32_t t = n == 3 ? (uint32_t)body[0] << 16 | (uint32_t)body[1] << 8 | body[2] : 0;
            if (t == 0)
                return reel_error_set(ps->err, REEL_ECORRUPT,
                                      "MIDI file: track %d has a bad tempo event", track);
            if ((rc = push_tempo(ps, tick, t)))
                return rc;
        }
        ev.kind = status == 0xff ? REEL_SMF_META : status == 0xf0 ? REEL_SMF_SYSEX
                                                                 : REEL_SMF_ESCAPE;
        ev.meta_type = meta_type;
        /* A sysex event is handed out as sent on the wire, F0 first. */
        rc = status == 0xf0 ? push_event(ps, &ev, &status, 1, body, n)
                            : push_event(ps, &ev, NULL, 0, body, n);
        if (rc)
            return rc;
    }
    /* No End-of-track: accepted, the track ends with its last event. */
    if (tick > ps->s->end_tick)
        ps->s->end_tick = tick;
    return REEL_OK;
}

/* Stable merge sorts by tick: tracks keep their order at equal ticks. */
#define DEFINE_MERGE_SORT(name, type)                                                         \
    static int name(type *a, size_t n)                                                        \
    {                                                                                         \
        if (n < 2)                                                                            \
            return REEL_OK;                                                                   \
        type *tmp = malloc(n * sizeof *tmp);                                                  \
        if (!tmp)                                                                             \
            return REEL_ENOMEM;                                                               \
        for (size_t w = 1; w < n; w *= 2) {                                                   \
            for (size_t lo = 0; lo < n; lo += 2 * w) {                                        \
                size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;   \
                size_t i = lo, j = mid, k = lo;                                               \
                while (i < mid && j < hi)                                                     \
                    tmp[k++] = a[j].tick < a[i].tick ? a[j++] : a[i++];                       \
                while (i < mid)                                                               \
                    tmp[k++] = a[i++];                                                        \
                while (j < hi)                                                                \
                    tmp[k++] = a[j++];                                                        \
            }                                                                                 \
            memcpy(a, tmp, n * sizeof *tmp);                                                  \
        }                                                                                     \
        free(tmp);                                                                            \
        return REEL_OK;                                                                       \
    }
DEFINE_MERGE_SORT(sort_events, reel_smf_event)
DEFINE_MERGE_SORT(sort_tempos, reel_smf_tempo)

/* round(num / den) for den > 0; REEL_ERANGE if it does not fit 64 bits. */
static int div_round(u128 num, u128 den, uint64_t *out)
{
    u128 q = (num + den / 2) / den;
    if (q > UINT64_MAX)
        return REEL_ERANGE;
    *out = (uint64_t)q;
    return REEL_OK;
}

/*
 * Frames of every event. PPQ division: a tick lasts tempo/ppq us, so the
 * time of tick T is the sum over tempo segments of ticks * tempo, in units
 * of 1/(ppq * 10^6) s; frame = that * rate / (ppq * 10^6), rounded once at
 * the end (no error accumulates across segments). SMPTE division: ticks per
 * second are fps * ticks-per-frame (29 means 30000/1001 fps); tempo does
 * not apply.
 */
static int compute_frames(parser *ps)
{
    reel_smf *s = ps->s;
    uint32_t rate = s->rate;
    int rc;
    if (s->division & 0x8000) {
        int fps = -(int)(int8_t)(s->division >> 8);
        uint32_t tpf = s->division & 0xff;
        u128 num = fps == 29 ? 30000 : (u128)fps, den = fps == 29 ? 1001 : 1;
        for (size_t i = 0; i < s->n_events; i++)
            if (div_round((u128)s->events[i].tick * rate * den, num * tpf, &s->events[i].frame))
                goto range;
        if (div_round((u128)s->end_tick * rate * den, num * tpf, &s->end_frame))
            goto range;
        return REEL_OK;
    }
    /* Normalise the map: it starts at tick 0 (with the default tempo if the
     * file sets none there). */
    if (s->n_tempos == 0 || s->tempos[0].tick != 0) {
        if ((rc = push_tempo(ps, 0, DEFAULT_TEMPO)))
            return rc;
        memmove(s->tempos + 1, s->tempos, (s->n_tempos - 1) * sizeof *s->tempos);
        s->tempos[0] = (reel_smf_tempo){.tick = 0, .tempo_us = DEFAULT_TEMPO};
    }
    u128 den = (u128)s->division * 1000000;
    size_t ti = 0;
    u128 seg_acc = 0; /* at s->tempos[ti].tick */
    for (size_t i = 0; i <= s->n_events; i++) {
        uint64_t tick = i < s->n_events ? s->events[i].tick : s->end_tick;
        while (ti + 1 < s->n_tempos && s->tempos[ti + 1].tick <= tick) {
            seg_acc += (u128)(s->tempos[ti + 1].tick - s->tempos[ti].tick) * s->tempos[ti].tempo_us;
            ti++;
        }
        u128 acc = seg_acc + (u128)(tick - s->tempos[ti].tick) * s->tempos[ti].tempo_us;
        uint64_t *dst = i < s->n_events ? &s->events[i].frame : &s->end_frame;
        if (div_round(acc * rate, den, dst))
            goto range;
    }
    return REEL_OK;
range:
    return reel_error_set(ps->err, REEL_ECORRUPT,
                          "MIDI file lasts longer than 2^64 frames at %u Hz", rate);
}

int reel_smf_parse(const uint8_t *buf, size_t len, uint32_t rate, reel_smf *out,
                   reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (rate == 0)
        return reel_error_set(err, REEL_EINVAL, "MIDI file: a frame rate above 0 is needed");
    if (len < 14 || memcmp(buf, "MThd", 4) != 0)
        return reel_error_set(err, REEL_ECORRUPT, "not a MIDI file (no MThd header)");
    uint32_t hlen = be32(buf + 4);
    if (hlen < 6 || hlen > len - 8)
        return reel_error_set(err, REEL_ECORRUPT, "MIDI file: bad header length %u", hlen);
    out->format = be16(buf + 8);
    out->n_tracks = be16(buf + 10);
    out->division = be16(buf + 12);
    out->rate = rate;
    if (out->format == 2)
        return reel_error_set(err, REEL_EFORMAT,
                              "MIDI file format 2 (independent sequences) is not supported");
    if (out->format > 2)
        return reel_error_set(err, REEL_ECORRUPT, "MIDI file: unknown format %u", out->format);
    if (out->n_tracks == 0 || (out->format == 0 && out->n_tracks != 1))
        return reel_error_set(err, REEL_ECORRUPT, "MIDI file: format %u with %u tracks",
                              out->format, out->n_tracks);
    if (out->division & 0x8000) {
        int fps = -(int)(int8_t)(out->division >> 8);
        if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || (out->division & 0xff) == 0)
            return reel_error_set(err, REEL_ECORRUPT, "MIDI file: bad SMPTE division 0x%04x",
                                  out->division);
    } else if (out->division == 0) {
        return reel_error_set(err, REEL_ECORRUPT, "MIDI file: division of 0 ticks per quarter");
    }
    parser ps = {.buf = buf, .len = len, .s = out, .err = err};
    out->bytes = malloc(len);
    if (!out->bytes)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = REEL_OK;
    size_t pos = 8 + (size_t)hlen;
    int found = 0;
    while (found < out->n_tracks && rc == 0) {
        if (len - pos < 8) {
            rc = reel_error_set(err, REEL_ECORRUPT, "MIDI file: %d of %u tracks present", found,
                                out->n_tracks);
            break;
        }
        uint32_t clen = be32(buf + pos + 4);
        bool is_track = memcmp(buf + pos, "MTrk", 4) == 0;
        pos += 8;
        if (clen > len - pos) {
            rc = reel_error_set(err, REEL_ECORRUPT,
                                "MIDI file: a chunk claims %u bytes, %zu are left", clen,
                                len - pos);
            break;
        }
        if (is_track) /* other chunk types are skipped, as SMF 1.0 asks */
            rc = parse_track(&ps, pos, pos + clen, found++);
        pos += clen;
    }
    if (rc == 0 && (sort_events(out->events, out->n_events) ||
                    sort_tempos(out->tempos, out->n_tempos)))
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (rc == 0)
        rc = compute_frames(&ps);
    if (rc)
        reel_smf_free(out);
    return rc;
}

int reel_smf_read(const char *path, uint32_t rate, reel_smf *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(path, &sb) == 0 && (uint64_t)sb.st_size > REEL_SMF_MAX_FILE)
        return reel_error_set(err, REEL_EFORMAT, "%s: a MIDI file over %u MiB", path,
                              REEL_SMF_MAX_FILE >> 20);
    char *data;
    size_t len;
    int rc = reel_fs_read_all(path, &data, &len, err);
    if (rc)
        return rc;
    if (len > REEL_SMF_MAX_FILE)
        rc = reel_error_set(err, REEL_EFORMAT, "%s: a MIDI file over %u MiB", path,
                            REEL_SMF_MAX_FILE >> 20);
    else
        rc = reel_smf_parse((const uint8_t *)data, len, rate, out, err);
    free(data);
    return rc;
}

void reel_smf_free(reel_smf *s)
{
    if (!s)
        return;
    free(s->events);
    free(s->tempos);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}
