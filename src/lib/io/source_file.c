/*
 * source_file.c — an audio file as a source (anything libsndfile reads).
 *
 * Samples are kept exact: 16-bit PCM is stored as i16, 24-bit as i24,
 * float as f32, so a slice equals the file's own samples. Other encodings
 * (32-bit PCM, double, compressed) are decoded to f32. Must never: alter
 * the samples of a 16/24-bit or float file on the way in.
 */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct file_state {
    SNDFILE *sf;
    SF_INFO info;
    reel_sample_format fmt;
    bool convert; /* decode through float into fmt */
    bool raw;     /* the file's bytes are already our format: copy them */
    size_t frame_bytes;
    void *tmp;    /* decode buffer */
    size_t tmp_frames;
} file_state;

static long file_read(void *st, void *buf, size_t n, reel_error *err)
{
    file_state *f = st;
    if (n > f->tmp_frames)
        n = f->tmp_frames;
    const size_t ch = (size_t)f->info.channels;
    sf_count_t got;
    if (f->raw) {
        sf_count_t bytes = sf_read_raw(f->sf, buf, (sf_count_t)(n * f->frame_bytes));
        got = bytes < 0 ? bytes : bytes / (sf_count_t)f->frame_bytes;
    } else if (f->convert) {
        got = sf_readf_float(f->sf, f->tmp, (sf_count_t)n);
        if (got > 0)
            reel_samples_from_f32(buf, f->fmt, f->tmp, (size_t)got * ch);
    } else if (f->fmt == REEL_SAMPLE_F32) {
        got = sf_readf_float(f->sf, buf, (sf_count_t)n);
    } else if (f->fmt == REEL_SAMPLE_I16) {
        got = sf_readf_short(f->sf, buf, (sf_count_t)n);
    } else {
        int32_t *tmp = f->tmp;
        got = sf_readf_int(f->sf, tmp, (sf_count_t)n);
        uint8_t *d = buf;
        for (sf_count_t i = 0; i < got * (sf_count_t)ch; i++) {
            int32_t v = tmp[i] >> 8;
            d[3 * i] = (uint8_t)v;
            d[3 * i + 1] = (uint8_t)(v >> 8);
            d[3 * i + 2] = (uint8_t)(v >> 16);
        }
    }
    if (got < 0 || (got == 0 && sf_error(f->sf) != SF_ERR_NO_ERROR))
        return reel_error_set(err, REEL_EIO, "cannot decode the source file: %s",
                              sf_strerror(f->sf));
    return (long)got;
}

static void file_close(void *st)
{
    file_state *f = st;
    if (!f)
        return;
    if (f->sf)
        sf_close(f->sf);
    free(f->tmp);
    free(f);
}

static const reel_source_impl file_impl = {.read = file_read, .close = file_close};

int reel_source_file_open(const char *path, const reel_source_opts *opts, reel_stream_def *def,
                          void **state, const reel_source_impl **impl, reel_error *err)
{
    if (!*path)
        return reel_error_set(err, REEL_EINVAL, "file source needs a path (file:PATH)");
    /* A file that is missing or unreadable is a runtime error in our words,
     * not libsndfile's "System error : ..." and not a usage error. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open audio file %s: %s", path, strerror(errno));
    close(fd);
    file_state *f = calloc(1, sizeof *f);
    if (!f)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    f->sf = sf_open(path, SFM_READ, &f->info);
    if (!f->sf) {
        free(f);
        const char *why = sf_strerror(NULL);
        size_t n = strlen(why);
        while (n && (why[n - 1] == '.' || why[n - 1] == ' '))
            n--;
        return reel_error_set(err, REEL_EFORMAT, "%s is not an audio file reel can read (%.*s)",
                              path, (int)n, why);
    }
    int sub = f->info.format & SF_FORMAT_SUBMASK;
    reel_sample_format native = sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_S8 ||
                                        sub == SF_FORMAT_PCM_U8
                                    ? REEL_SAMPLE_I16
                                : sub == SF_FORMAT_PCM_24 ? REEL_SAMPLE_I24
                                                          : REEL_SAMPLE_F32;
    f->fmt = opts->has_sample_format ? opts->sample_format : native;
    f->convert = f->fmt != native;
    /* Little-endian containers holding exactly our sample layout are read
     * as bytes: no conversion pass, and the samples are exact by
     * construction. */
    int major = f->info.format & SF_FORMAT_TYPEMASK;
    bool little = major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_W64 ||
                  major == SF_FORMAT_RF64;
    bool same = (sub == SF_FORMAT_PCM_16 && f->fmt == REEL_SAMPLE_I16) ||
                (sub == SF_FORMAT_PCM_24 && f->fmt == REEL_SAMPLE_I24) ||
                (sub == SF_FORMAT_FLOAT && f->fmt == REEL_SAMPLE_F32);
    f->raw = little && same && (f->info.format & SF_FORMAT_ENDMASK) != SF_ENDIAN_BIG;
    f->frame_bytes = (size_t)f->info.channels *
                     (f->fmt == REEL_SAMPLE_F32 ? 4 : f->fmt == REEL_SAMPLE_I16 ? 2 : 3);
    f->tmp_frames = opts->period ? opts->period : (opts->fast ? 65536 : 256);
    f->tmp = malloc(f->tmp_frames * (size_t)f->info.channels * 4);
    if (!f->tmp) {
        file_close(f);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    if (f->info.channels <= 0 || f->info.channels > REEL_MAX_CHANNELS ||
        f->info.samplerate <= 0) {
        file_close(f);
        return reel_error_set(err, REEL_EFORMAT, "%s: unsupported channel count or rate", path);
    }
    def->kind = REEL_STREAM_AUDIO;
    def->sample_rate = (uint32_t)f->info.samplerate;
    def->channels = (uint32_t)f->info.channels;
    def->sample_format = f->fmt;
    snprintf(def->device_identity, sizeof def->device_identity, "file:%s", path);
    *state = f;
    *impl = &file_impl;
    return REEL_OK;
}
