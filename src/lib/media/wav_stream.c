/*
 * wav_stream.c — append-only WAV with a header that can be made true at
 * any time (see wav_stream.h).
 *
 * Layout (offsets fixed for the life of the file):
 *   0  "RIFF"/"RF64" u32 size "WAVE"
 *   12 "JUNK"/"ds64" u32 28 { u64 riff size, u64 data size, u64 frames, u32 0 }
 *   48 "fmt " u32 16|18 { format, channels, rate, byte rate, block, bits [, cbSize 0] }
 *      f32 only: "fact" u32 4 { u32 frames }
 *      "data" u32 size, then the samples
 * Must never: write a header whose sizes exceed what is on disk.
 */
#include "media/wav_stream.h"

#include "core/fsutil.h"
#include "core/le_bytes.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DS64_OFF 12
#define FMT_OFF 48
/* Keep the RIFF's 32-bit sizes well clear of their limit. */
#define RIFF_LIMIT ((uint64_t)UINT32_MAX - 4096)

struct reel_wav_stream {
    int fd;
    char name[256];
    bool is_float;
    size_t frame_bytes;
    size_t header_len;
    size_t fact_off;  /* 0: no fact chunk */
    size_t data_size_off;
    uint64_t frames;
    bool failed;
};

static int put_at(reel_wav_stream *w, const void *p, size_t n, off_t off, reel_error *err)
{
    if (pwrite(w->fd, p, n, off) != (ssize_t)n) {
        w->failed = true;
        return reel_error_set(err, REEL_EIO, "cannot write the header of %s: %s", w->name,
                              strerror(errno ? errno : EIO));
    }
    return REEL_OK;
}

int reel_wav_stream_open(reel_wav_stream **out, int fd, const char *name, uint32_t rate,
                         uint32_t channels, reel_sample_format fmt, reel_error *err)
{
    *out = NULL;
    size_t sb = fmt == REEL_SAMPLE_F32 ? 4 : fmt == REEL_SAMPLE_I24 ? 3 : 2;
    if (rate == 0 || channels == 0 || channels > REEL_MAX_CHANNELS) {
        close(fd);
        return reel_error_set(err, REEL_EINVAL, "%s: bad shape %u Hz, %u channels", name, rate,
                              channels);
    }
    reel_wav_stream *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    w->fd = fd;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->is_float = fmt == REEL_SAMPLE_F32;
    w->frame_bytes = sb * channels;
    uint8_t h[96];
    memset(h, 0, sizeof h);
    memcpy(h, "RIFF", 4);
    memcpy(h + 8, "WAVE", 4);
    memcpy(h + DS64_OFF, "JUNK", 4);
    reel_put_le32(h + DS64_OFF + 4, 28);
    size_t n = FMT_OFF;
    memcpy(h + n, "fmt ", 4);
    reel_put_le32(h + n + 4, w->is_float ? 18 : 16);
    reel_put_le16(h + n + 8, w->is_float ? 3 : 1);
    reel_put_le16(h + n + 10, (uint16_t)channels);
    reel_put_le32(h + n + 12, rate);
    reel_put_le32(h + n + 16, (uint32_t)(rate * w->frame_bytes));
    reel_put_le16(h + n + 20, (uint16_t)w->frame_bytes);
    reel_put_le16(h + n + 22, (uint16_t)(8 * sb));
    n += w->is_float ? 26 : 24; /* cbSize 0 is already there for float */
    if (w->is_float) {
        memcpy(h + n, "fact", 4);
        reel_put_le32(h + n + 4, 4);
        w->fact_off = n + 8;
        n += 12;
    }
    memcpy(h + n, "data", 4);
    w->data_size_off = n + 4;
    n += 8;
    w->header_len = n;
    reel_error inner;
    if (reel_fs_write_all(fd, h, n, &inner)) {
        int rc = reel_error_set(err, REEL_EIO, "cannot write %s: %s", name, inner.msg);
        close(fd);
        free(w);
        return rc;
    }
    int rc = reel_wav_stream_sync(w, err);
    if (rc) {
        close(fd);
        free(w);
        return rc;
    }
    *out = w;
    return REEL_OK;
}

int reel_wav_stream_append(reel_wav_stream *w, const void *data, size_t frames, reel_error *err)
{
    if (w->failed)
        return reel_error_set(err, REEL_ESTATE, "%s: an earlier write failed", w->name);
    reel_error inner;
    if (reel_fs_write_all(w->fd, data, frames * w->frame_bytes, &inner)) {
        w->failed = true;
        return reel_error_set(err, REEL_EIO, "cannot write %s: %s", w->name, inner.msg);
    }
    w->frames += frames;
    return REEL_OK;
}

uint64_t reel_wav_stream_frames(const reel_wav_stream *w)
{
    return w->frames;
}

/* Sizes for `frames` (pad: the RIFF size counts the pad byte of an odd
 * data chunk, written at close). */
static int write_sizes(reel_wav_stream *w, bool pad, reel_error *err)
{
    uint64_t data = w->frames * w->frame_bytes;
    uint64_t riff = w->header_len - 8 + data + (pad ? (data & 1) : 0);
    bool rf64 = riff > RIFF_LIMIT;
    uint8_t b[36];
    int rc;
    memcpy(b, rf64 ? "RF64" : "RIFF", 4);
    reel_put_le32(b + 4, rf64 ? UINT32_MAX : (uint32_t)riff);
    if ((rc = put_at(w, b, 8, 0, err)))
        return rc;
    memcpy(b, rf64 ? "ds64" : "JUNK", 4);
    reel_put_le32(b + 4, 28);
    memset(b + 8, 0, 28);
    if (rf64) {
        reel_put_le64(b + 8, riff);
        reel_put_le64(b + 16, data);
        reel_put_le64(b + 24, w->frames);
    }
    if ((rc = put_at(w, b, 36, DS64_OFF, err)))
        return rc;
    reel_put_le32(b, rf64 ? UINT32_MAX : (uint32_t)data);
    if ((rc = put_at(w, b, 4, (off_t)w->data_size_off, err)))
        return rc;
    if (w->fact_off) {
        reel_put_le32(b, rf64 || w->frames > UINT32_MAX ? UINT32_MAX : (uint32_t)w->frames);
        rc = put_at(w, b, 4, (off_t)w->fact_off, err);
    }
    return rc;
}

int reel_wav_stream_sync(reel_wav_stream *w, reel_error *err)
{
    if (w->failed)
        return reel_error_set(err, REEL_ESTATE, "%s: an earlier write failed", w->name);
    return write_sizes(w, false, err);
}

int reel_wav_stream_close(reel_wav_stream *w, reel_error *err)
{
    if (!w)
        return REEL_OK;
    int rc = REEL_OK;
    if (w->failed)
        rc = reel_error_set(err, REEL_EIO, "%s: an earlier write failed", w->name);
    uint64_t data = w->frames * w->frame_bytes;
    reel_error inner;
    if (rc == 0 && (data & 1) && reel_fs_write_all(w->fd, "", 1, &inner))
        rc = reel_error_set(err, REEL_EIO, "cannot write %s: %s", w->name, inner.msg);
    if (rc == 0)
        rc = write_sizes(w, true, err);
    if (rc == 0 && fsync(w->fd) != 0)
        rc = reel_error_set(err, REEL_EIO, "cannot fsync %s: %s", w->name, strerror(errno));
    if (close(w->fd) != 0 && rc == 0)
        rc = reel_error_set(err, REEL_EIO, "cannot close %s: %s", w->name, strerror(errno));
    free(w);
    return rc;
}
