/*
 * smf_write.c — Standard MIDI File writer (see smf_write.h).
 *
 * Owns: the bytes of format-0 files and the PPQ/tempo choice. Must never:
 * use running status (every event carries its status byte, so any event can
 * be read on its own), or report success for a file it did not fsync.
 */
#include "media/smf_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER_BYTES 14       /* "MThd", length 6, format, ntrks, division */
#define TRACK_LEN_OFFSET 18   /* after the header and "MTrk" */
#define TARGET_PPQ 960        /* a customary resolution, when the rate allows it */

struct reel_smf_writer {
    FILE *f;
    char *path;
    reel_smf_timing timing;
    uint64_t tick;        /* of the last event written */
    uint64_t track_bytes; /* written after the MTrk length field */
    bool failed;
};

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * One tick lasts tempo_us / ppq microseconds. We want 1/rate seconds, that
 * is tempo_us * rate == ppq * 10^6. With g = gcd(rate, 10^6), this holds
 * for integers exactly when ppq is a multiple of rate/g, and then
 * tempo_us = ppq * (10^6/g) / (rate/g) is an integer: the tick is exactly
 * one frame, so an event's tick is its frame offset and nothing rounds.
 * E.g. 48000 Hz: g = 16000, ppq a multiple of 3; ppq 960 gives tempo 20000
 * (1 tick = 20000/960 us = 1/48000 s). 44100 Hz: ppq a multiple of 441;
 * 1323 gives tempo 30000.
 */
int reel_smf_choose_timing(uint32_t rate, reel_smf_timing *t, reel_error *err)
{
    if (rate == 0)
        return reel_error_set(err, REEL_EINVAL, "a MIDI file needs a clock rate above 0");
    uint64_t g = gcd_u64(rate, 1000000);
    uint64_t step = rate / g; /* the smallest exact ppq */
    uint64_t us_per_step = 1000000 / g; /* tempo_us for ppq == step */
    if (step > REEL_SMF_MAX_PPQ)
        return reel_error_set(err, REEL_EFORMAT,
                              "no SMF tempo puts every event of a %u Hz clock on its frame "
                              "(use --format raw)", rate);
    /* The multiple k of `step` nearest above TARGET_PPQ that keeps both
     * fields in range (us_per_step <= 10^6, so k = 1 always fits). */
    uint64_t k = (TARGET_PPQ + step - 1) / step;
    if (k * step > REEL_SMF_MAX_PPQ)
        k = REEL_SMF_MAX_PPQ / step;
    if (k * us_per_step > REEL_SMF_MAX_TEMPO)
        k = REEL_SMF_MAX_TEMPO / us_per_step;
    if (k == 0)
        k = 1;
    t->ppq = (uint16_t)(k * step);
    t->tempo_us = (uint32_t)(k * us_per_step);
    return REEL_OK;
}

static void put(reel_smf_writer *w, const void *p, size_t n)
{
    if (!w->failed && n && fwrite(p, 1, n, w->f) != n)
        w->failed = true;
    w->track_bytes += n;
}

static void put_vlq(reel_smf_writer *w, uint32_t v)
{
    uint8_t b[5];
    size_t n = 0;
    b[4 - n++] = v & 0x7f;
    while ((v >>= 7) != 0)
        b[4 - n++] = 0x80 | (v & 0x7f);
    put(w, b + 5 - n, n);
}

static void put_tempo(reel_smf_writer *w)
{
    uint32_t t = w->timing.tempo_us;
    const uint8_t ev[6] = {0xff, 0x51, 0x03, (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t};
    put(w, ev, sizeof ev);
}

/* The delta time to `tick`; gaps too long for one delta are bridged by
 * tempo restatements (a no-op for every reader). */
static void put_delta(reel_smf_writer *w, uint64_t tick)
{
    uint64_t d = tick - w->tick;
    while (d > REEL_SMF_MAX_DELTA) {
        put_vlq(w, REEL_SMF_MAX_DELTA);
        put_tempo(w);
        d -= REEL_SMF_MAX_DELTA;
    }
    put_vlq(w, (uint32_t)d);
    w->tick = tick;
}

static int io_error(reel_smf_writer *w, reel_error *err)
{
    return reel_error_set(err, REEL_EIO, "cannot write %s: %s", w->path,
                          errno ? strerror(errno) : "write failed");
}

int reel_smf_create(reel_smf_writer **out, const char *path, const reel_smf_timing *t,
                    const char *track_name, reel_error *err)
{
    *out = NULL;
    if (t->ppq == 0 || t->ppq > REEL_SMF_MAX_PPQ || t->tempo_us == 0 ||
        t->tempo_us > REEL_SMF_MAX_TEMPO)
        return reel_error_set(err, REEL_EINVAL, "bad SMF timing: ppq %u, tempo %u us",
                              (unsigned)t->ppq, (unsigned)t->tempo_us);
    reel_smf_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    w->timing = *t;
    w->f = fopen(path, "wb");
    if (!w->f) {
        int rc = reel_error_set(err, REEL_EIO, "cannot create %s: %s", path, strerror(errno));
        free(w->path);
        free(w);
        return rc;
    }
    const uint8_t head[HEADER_BYTES + 8] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6,
        0, 0,                                    /* format 0 */
        0, 1,                                    /* one track */
        (uint8_t)(t->ppq >> 8), (uint8_t)t->ppq, /* division: ticks per quarter */
        'M', 'T', 'r', 'k', 0, 0, 0, 0,          /* length patched at finish */
    };
    put(w, head, sizeof head);
    w->track_bytes = 0;
    put_vlq(w, 0);
    put_tempo(w);
    if (track_name) {
        size_t n = strlen(track_name);
        if (n > REEL_SMF_MAX_DELTA)
            n = REEL_SMF_MAX_DELTA;
        const uint8_t meta[2] = {0xff, 0x03};
        put_vlq(w, 0);
        put(w, meta, 2);
        put_vlq(w, (uint32_t)n);
        put(w, track_name, n);
    }
    if (w->failed) {
        int rc = io_error(w, err);
        reel_smf_abort(w);
        return rc;
    }
    *out = w;
    return REEL_OK;
}

/* Data bytes of a channel message by status (0x80..0xEF). */
static uint32_t channel_data_bytes(uint8_t status)
{
    uint8_t hi = status & 0xf0;
    return hi == 0xc0 || hi == 0xd0 ? 1 : 2;
}

static bool is_channel_message(const uint8_t *d, uint32_t len)
{
    if (d[0] < 0x80 || d[0] >= 0xf0 || len != 1 + channel_data_bytes(d[0]))
        return false;
    for (uint32_t i = 1; i < len; i++)
        if (d[i] & 0x80)
            return false;
    return true;
}

int reel_smf_add(reel_smf_writer *w, uint64_t tick, const uint8_t *data, uint32_t len,
                 reel_error *err)
{
    if (len == 0 || len > REEL_SMF_MAX_DELTA)
        return reel_error_set(err, REEL_EINVAL, "a MIDI event of %u bytes", len);
    if (tick < w->tick)
        return reel_error_set(err, REEL_EINVAL, "MIDI event at tick %llu after tick %llu",
                              (unsigned long long)tick, (unsigned long long)w->tick);
    put_delta(w, tick);
    if (is_channel_message(data, len)) {
        put(w, data, len);
    } else if (data[0] == 0xf0) {
        /* F0 <length of what follows F0> <bytes...F7> */
        put(w, data, 1);
        put_vlq(w, len - 1);
        put(w, data + 1, len - 1);
    } else {
        /* F7 <length> <bytes>: the SMF escape for bytes sent as they are. */
        const uint8_t esc = 0xf7;
        put(w, &esc, 1);
        put_vlq(w, len);
        put(w, data, len);
    }
    return w->failed ? io_error(w, err) : REEL_OK;
}

int reel_smf_finish(reel_smf_writer *w, uint64_t end_tick, reel_error *err)
{
    int rc = REEL_OK;
    if (end_tick < w->tick)
        end_tick = w->tick;
    put_delta(w, end_tick);
    const uint8_t eot[3] = {0xff, 0x2f, 0x00};
    put(w, eot, sizeof eot);
    if (w->track_bytes > UINT32_MAX) {
        rc = reel_error_set(err, REEL_EFORMAT, "%s: a MIDI track cannot pass 4 GiB", w->path);
        reel_smf_abort(w);
        return rc;
    }
    uint32_t n = (uint32_t)w->track_bytes;
    const uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                            (uint8_t)n};
    errno = 0;
    if (w->failed || fseek(w->f, TRACK_LEN_OFFSET, SEEK_SET) != 0 ||
        fwrite(len, 1, 4, w->f) != 4 || fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
        rc = io_error(w, err);
        reel_smf_abort(w);
        return rc;
    }
    if (fclose(w->f) != 0) {
        w->f = NULL;
        rc = io_error(w, err);
        reel_smf_abort(w);
        return rc;
    }
    free(w->path);
    free(w);
    return REEL_OK;
}

void reel_smf_abort(reel_smf_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    unlink(w->path);
    free(w->path);
    free(w);
}
