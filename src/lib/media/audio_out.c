/*
 * audio_out.c — frames to an audio file (see audio_out.h).
 *
 * Owns: choosing the container (RIFF or RF64 for WAV), converting between
 * the stored sample formats and the output's, and handing bytes to
 * libsndfile (or to write(2) for raw). Must never: write anything that
 * depends on the clock or the environment (a render has to be byte-identical
 * to a materialized slice of the same frames), label float data as PCM, or
 * leave a file behind when it could not be completed.
 *
 * Conversion is done here, not by libsndfile, on purpose. libsndfile's float
 * to int paths differ per container (its WAV PCM_24 writer scales by 2^31,
 * rounds and then truncates to 24 bits; its FLAC writer scales by 2^23 and
 * rounds) and raw output has no libsndfile at all, so letting it convert would
 * give different samples for the same slice in different formats. Our rule,
 * the same for every container:
 *
 *   - int -> wider int and int -> f32 are exact (i16 << 8; v / 2^15, v / 2^23).
 *   - f32 -> int scales by 2^15 or 2^23 (so -1.0 is the most negative code
 *     and +1.0 clips to the most positive one), rounds to nearest with ties
 *     to even, clips to the code range, and maps NaN to 0.
 *   - i24 -> i16 is done as if through f32 (exact), i.e. v / 256 rounded to
 *     nearest-even and clipped. No dither: a slice must be reproducible.
 *
 * Because libsndfile is never handed floats for an integer file, its
 * SFC_SET_NORM_FLOAT / SFC_SET_CLIPPING settings do not matter here. For
 * WAV, RF64 and W64 we pass little-endian sample bytes with sf_write_raw (no
 * per-sample work at all when the formats match); FLAC needs integers, so we
 * unpack into a reusable block buffer and use sf_writef_short / sf_writef_int.
 */
#include "media/audio_out.h"
#include "core/fsutil.h"
#include "core/le_bytes.h"
#include "core/sample_convert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Samples converted per block: 256 KiB of f32, big enough that per-call
 * overhead vanishes, small enough to stay in L2. */
#define BLOCK_SAMPLES 65536

/* Room left in a RIFF for everything that is not sample data. libsndfile's
 * headers are well under 100 bytes; the margin keeps us far from the edge. */
#define WAV_HEADER_MARGIN 4096

/* FLAC's own limit on channels. */
#define FLAC_MAX_CHANNELS 8

struct reel_audio_out {
    char *path;
    int fd;
    SNDFILE *sf; /* NULL for raw */
    bool flac;
    uint32_t channels;
    reel_sample_format in_fmt, out_fmt;
    size_t in_frame_bytes, out_frame_bytes;
    uint64_t total_frames, written;
    size_t block_frames;
    uint8_t *conv; /* out_fmt bytes of one block; NULL when in_fmt == out_fmt */
    void *ints;    /* FLAC only: one block as short or int for libsndfile */
    bool failed;   /* a write failed part way; the file is unusable */
    bool scrub_peak; /* float RIFF/RF64: neutralize a PEAK chunk at close */
};

static const char *const format_names[] = {
    [REEL_OUT_WAV] = "wav", [REEL_OUT_RF64] = "rf64", [REEL_OUT_W64] = "w64",
    [REEL_OUT_FLAC] = "flac", [REEL_OUT_RAW] = "raw", [REEL_OUT_MID] = "mid",
};

static bool out_format_valid(reel_out_format f)
{
    return (unsigned)f <= REEL_OUT_MID;
}

static bool sample_format_valid(reel_sample_format f)
{
    return (unsigned)f <= REEL_SAMPLE_I24;
}

/* Private copies of stream_def's helpers, so this module does not depend on
 * stream_def.c being linked. */
static size_t sample_bytes(reel_sample_format f)
{
    switch (f) {
    case REEL_SAMPLE_F32: return 4;
    case REEL_SAMPLE_I16: return 2;
    case REEL_SAMPLE_I24: return 3;
    }
    return 0;
}

static const char *sample_name(reel_sample_format f)
{
    switch (f) {
    case REEL_SAMPLE_F32: return "f32";
    case REEL_SAMPLE_I16: return "i16";
    case REEL_SAMPLE_I24: return "i24";
    }
    return "?";
}

int reel_out_format_parse(const char *s, reel_out_format *out, reel_error *err)
{
    if (s && strcmp(s, "smf") == 0) {
        *out = REEL_OUT_MID;
        return REEL_OK;
    }
    for (int f = REEL_OUT_WAV; s && f <= REEL_OUT_MID; f++) {
        if (strcmp(s, format_names[f]) == 0) {
            *out = (reel_out_format)f;
            return REEL_OK;
        }
    }
    return reel_error_set(err, REEL_EINVAL,
                          "unknown output format '%s' (expected wav, rf64, w64, flac, raw or mid)",
                          s ? s : "");
}

const char *reel_out_format_name(reel_out_format f)
{
    return out_format_valid(f) ? format_names[f] : "?";
}

const char *reel_out_format_mime(reel_out_format f)
{
    switch (f) {
    case REEL_OUT_WAV: return "audio/wav";
    case REEL_OUT_RF64: return "audio/wav"; /* RF64 is WAV past 4 GiB to players */
    case REEL_OUT_W64: return "audio/x-w64";
    case REEL_OUT_FLAC: return "audio/flac";
    case REEL_OUT_RAW: return "application/octet-stream";
    case REEL_OUT_MID: return "audio/midi";
    }
    return "application/octet-stream";
}

const char *reel_out_format_extension(reel_out_format f)
{
    switch (f) {
    case REEL_OUT_WAV: return "wav";
    case REEL_OUT_RF64: return "wav"; /* EBU Tech 3306: RF64 files keep .wav */
    case REEL_OUT_W64: return "w64";
    case REEL_OUT_FLAC: return "flac";
    case REEL_OUT_RAW: return "raw";
    case REEL_OUT_MID: return "mid";
    }
    return "bin";
}

reel_sample_format reel_out_default_sample_format(reel_out_format f, reel_sample_format in)
{
    if (f == REEL_OUT_FLAC && in == REEL_SAMPLE_F32)
        return REEL_SAMPLE_I24;
    return in;
}

int reel_out_check(reel_out_format f, reel_sample_format out_fmt, reel_error *err)
{
    if (!out_format_valid(f))
        return reel_error_set(err, REEL_EINVAL, "bad output format %d", (int)f);
    if (!sample_format_valid(out_fmt))
        return reel_error_set(err, REEL_EINVAL, "bad sample format %d", (int)out_fmt);
    if (f == REEL_OUT_MID)
        return reel_error_set(err, REEL_EFORMAT,
                              "a MIDI file holds MIDI streams, not audio (use wav, flac, ...)");
    if (f == REEL_OUT_FLAC && out_fmt == REEL_SAMPLE_F32)
        return reel_error_set(err, REEL_EFORMAT,
                              "FLAC cannot hold f32 samples (use i16 or i24)");
    return REEL_OK;
}

/* ---- sample conversion --------------------------------------------------
 * Samples are read and written byte by byte: the stored format is
 * little-endian whatever the host, and 3-byte samples are never aligned. */

static inline int32_t rd_i16(const uint8_t *p)
{
    return (int16_t)(uint16_t)(p[0] | p[1] << 8);
}

static inline int32_t rd_i24(const uint8_t *p)
{
    int32_t v = (int32_t)(p[0] | p[1] << 8 | (uint32_t)p[2] << 16);
    return v >= 0x800000 ? v - 0x1000000 : v;
}

static inline float rd_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void wr_i16(uint8_t *p, int32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)((uint32_t)v >> 8);
}

static inline void wr_i24(uint8_t *p, int32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)((uint32_t)v >> 8);
    p[2] = (uint8_t)((uint32_t)v >> 16);
}

static inline void wr_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

/* Convert n samples from `in` to `out` (different formats). One loop per
 * pair keeps the format dispatch out of the inner loops. */
static void convert_samples(const uint8_t *src, reel_sample_format in, uint8_t *dst,
                            reel_sample_format out, size_t n)
{
    size_t i;
    switch (in * 3 + out) {
    case REEL_SAMPLE_I16 * 3 + REEL_SAMPLE_I24:
        for (i = 0; i < n; i++)
            wr_i24(dst + 3 * i, rd_i16(src + 2 * i) * 256);
        break;
    case REEL_SAMPLE_I16 * 3 + REEL_SAMPLE_F32:
        for (i = 0; i < n; i++)
            wr_f32(dst + 4 * i, reel_i16_to_f32(rd_i16(src + 2 * i)));
        break;
    case REEL_SAMPLE_I24 * 3 + REEL_SAMPLE_I16:
        /* v / 256 is exact in float (|v| < 2^23), so this is "through f32". */
        for (i = 0; i < n; i++)
            wr_i16(dst + 2 * i,
                   reel_scaled_to_int((float)rd_i24(src + 3 * i) * (1.0f / 256.0f), REEL_I16_LO,
                                      REEL_I16_HI));
        break;
    case REEL_SAMPLE_I24 * 3 + REEL_SAMPLE_F32:
        for (i = 0; i < n; i++)
            wr_f32(dst + 4 * i, reel_i24_to_f32(rd_i24(src + 3 * i)));
        break;
    case REEL_SAMPLE_F32 * 3 + REEL_SAMPLE_I16:
        for (i = 0; i < n; i++)
            wr_i16(dst + 2 * i, reel_f32_to_i16(rd_f32(src + 4 * i)));
        break;
    case REEL_SAMPLE_F32 * 3 + REEL_SAMPLE_I24:
        for (i = 0; i < n; i++)
            wr_i24(dst + 3 * i, reel_f32_to_i24(rd_f32(src + 4 * i)));
        break;
    default: /* same format: the caller never converts */
        memcpy(dst, src, n * sample_bytes(in));
        break;
    }
}

/* ---- opening ------------------------------------------------------------ */

/* Would `frames` of this shape overflow a RIFF's 32-bit sizes? */
static bool wav_needs_rf64(uint64_t frames, uint32_t channels, size_t bytes)
{
    uint64_t data;
    if (__builtin_mul_overflow(frames, (uint64_t)channels * bytes, &data))
        return true;
    return data > (uint64_t)UINT32_MAX - WAV_HEADER_MARGIN;
}

static int sf_codec(reel_sample_format f)
{
    switch (f) {
    case REEL_SAMPLE_F32: return SF_FORMAT_FLOAT; /* WAVE_FORMAT_IEEE_FLOAT (3) */
    case REEL_SAMPLE_I16: return SF_FORMAT_PCM_16;
    case REEL_SAMPLE_I24: return SF_FORMAT_PCM_24;
    }
    return 0;
}

static void audio_out_free(reel_audio_out *ao)
{
    free(ao->conv);
    free(ao->ints);
    free(ao->path);
    free(ao);
}

int reel_audio_out_open(reel_audio_out **out, const char *path, reel_out_format fmt,
                        uint32_t sample_rate, uint32_t channels, reel_sample_format in_fmt,
                        reel_sample_format out_fmt, uint64_t total_frames, reel_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !path || !*path)
        return reel_error_set(err, REEL_EINVAL, "audio output needs a path");
    if (!out_format_valid(fmt))
        return reel_error_set(err, REEL_EINVAL, "bad output format %d", (int)fmt);
    if (!sample_format_valid(in_fmt))
        return reel_error_set(err, REEL_EINVAL, "bad input sample format %d", (int)in_fmt);
    if (sample_rate == 0 || sample_rate > INT_MAX)
        return reel_error_set(err, REEL_EINVAL, "bad sample rate %u for %s", sample_rate, path);
    if (channels == 0 || channels > REEL_MAX_CHANNELS)
        return reel_error_set(err, REEL_EINVAL, "bad channel count %u for %s (1..%d)", channels,
                              path, REEL_MAX_CHANNELS);
    int rc = reel_out_check(fmt, out_fmt, err);
    if (rc)
        return rc;
    if (fmt == REEL_OUT_FLAC && channels > FLAC_MAX_CHANNELS)
        return reel_error_set(err, REEL_EFORMAT, "FLAC holds at most %d channels, not %u",
                              FLAC_MAX_CHANNELS, channels);

    /* Float RIFF WAV: we write the header ourselves. libsndfile writes a
     * 16-byte fmt chunk for IEEE float, without the cbSize field the format
     * requires for non-PCM data (sox warns about it); ours is the 18-byte
     * WAVEFORMATEX with a fact chunk, and the sizes are known up front. */
    bool own_header = (fmt == REEL_OUT_WAV || fmt == REEL_OUT_RF64) && out_fmt == REEL_SAMPLE_F32;
    bool own_rf64 = fmt == REEL_OUT_RF64 ||
                    wav_needs_rf64(total_frames, channels, sample_bytes(out_fmt));
    SF_INFO info = {0};
    if (fmt != REEL_OUT_RAW && !own_header) {
        int container;
        switch (fmt) {
        case REEL_OUT_WAV:
            container = wav_needs_rf64(total_frames, channels, sample_bytes(out_fmt))
                            ? SF_FORMAT_RF64 : SF_FORMAT_WAV;
            break;
        case REEL_OUT_RF64: container = SF_FORMAT_RF64; break;
        case REEL_OUT_W64: container = SF_FORMAT_W64; break;
        default: container = SF_FORMAT_FLAC; break;
        }
        info.samplerate = (int)sample_rate;
        info.channels = (int)channels;
        info.format = container | sf_codec(out_fmt);
        /* Ask before creating anything, so a refusal leaves no file. */
        if (!sf_format_check(&info))
            return reel_error_set(err, REEL_EFORMAT,
                                  "cannot write %u-channel %s %s at %u Hz to %s: "
                                  "libsndfile does not support it", channels,
                                  reel_out_format_name(fmt), sample_name(out_fmt), sample_rate,
                                  path);
    }

    reel_audio_out *ao = calloc(1, sizeof *ao);
    if (!ao || !(ao->path = strdup(path))) {
        free(ao);
        return reel_error_set(err, REEL_ENOMEM, "out of memory opening %s", path);
    }
    ao->fd = -1;
    ao->flac = fmt == REEL_OUT_FLAC;
    ao->channels = channels;
    ao->in_fmt = in_fmt;
    ao->out_fmt = out_fmt;
    ao->in_frame_bytes = channels * sample_bytes(in_fmt);
    ao->out_frame_bytes = channels * sample_bytes(out_fmt);
    ao->total_frames = total_frames;
    ao->block_frames = channels >= BLOCK_SAMPLES ? 1 : BLOCK_SAMPLES / channels;

    size_t block_samples = ao->block_frames * channels;
    if (in_fmt != out_fmt && !(ao->conv = malloc(block_samples * sample_bytes(out_fmt)))) {
        audio_out_free(ao);
        return reel_error_set(err, REEL_ENOMEM, "out of memory opening %s", path);
    }
    if (ao->flac && !(ao->ints = malloc(block_samples * sizeof(int)))) {
        audio_out_free(ao);
        return reel_error_set(err, REEL_ENOMEM, "out of memory opening %s", path);
    }

    /* Read-write: close() rereads the header to scrub a PEAK chunk. */
    ao->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ao->fd < 0) {
        rc = reel_error_set(err, REEL_EIO, "cannot create %s: %s", path, strerror(errno));
        audio_out_free(ao);
        return rc;
    }

    if (own_header) {
        /* RIFF: RIFF fmt fact data. RF64 (past 4 GiB, or asked for): the
         * 32-bit sizes are 0xFFFFFFFF and a ds64 chunk holds the real ones. */
        uint8_t h[94];
        size_t n = 0;
        uint64_t data = total_frames * channels * 4;
        uint32_t block = channels * 4;
        uint64_t riff = 4 + (own_rf64 ? 36 : 0) + 26 + 12 + 8 + data;
        memcpy(h, own_rf64 ? "RF64" : "RIFF", 4);
        reel_put_le32(h + 4, own_rf64 ? 0xFFFFFFFFu : (uint32_t)riff);
        memcpy(h + 8, "WAVE", 4);
        n = 12;
        if (own_rf64) {
            memcpy(h + n, "ds64", 4);
            reel_put_le32(h + n + 4, 28);
            reel_put_le64(h + n + 8, riff);
            reel_put_le64(h + n + 16, data);
            reel_put_le64(h + n + 24, total_frames);
            reel_put_le32(h + n + 32, 0); /* no table */
            n += 36;
        }
        memcpy(h + n, "fmt ", 4);
        reel_put_le32(h + n + 4, 18);
        reel_put_le16(h + n + 8, 3); /* WAVE_FORMAT_IEEE_FLOAT */
        reel_put_le16(h + n + 10, (uint16_t)channels);
        reel_put_le32(h + n + 12, sample_rate);
        reel_put_le32(h + n + 16, sample_rate * block);
        reel_put_le16(h + n + 20, (uint16_t)block);
        reel_put_le16(h + n + 22, 32);
        reel_put_le16(h + n + 24, 0); /* cbSize */
        n += 26;
        memcpy(h + n, "fact", 4);
        reel_put_le32(h + n + 4, 4);
        reel_put_le32(h + n + 8, own_rf64 ? 0xFFFFFFFFu : (uint32_t)total_frames);
        n += 12;
        memcpy(h + n, "data", 4);
        reel_put_le32(h + n + 4, own_rf64 ? 0xFFFFFFFFu : (uint32_t)data);
        n += 8;
        reel_error inner;
        if (reel_fs_write_all(ao->fd, h, n, &inner)) {
            rc = reel_error_set(err, REEL_EIO, "cannot write %s: %s", path, inner.msg);
            close(ao->fd);
            unlink(path);
            audio_out_free(ao);
            return rc;
        }
    } else if (fmt != REEL_OUT_RAW) {
        /* We keep the descriptor (close_desc false) so close can fsync it
         * after libsndfile has rewritten the header. */
        ao->sf = sf_open_fd(ao->fd, SFM_WRITE, &info, SF_FALSE);
        if (!ao->sf) {
            int code = sf_error(NULL) == SF_ERR_SYSTEM ? REEL_EIO : REEL_EFORMAT;
            rc = reel_error_set(err, code, "cannot write %s as %s: %s", path,
                                reel_out_format_name(fmt), sf_strerror(NULL));
            close(ao->fd);
            unlink(path);
            audio_out_free(ao);
            return rc;
        }
        /* The PEAK chunk libsndfile adds to float WAV/RF64 carries
         * time(NULL): two renders of one slice would differ. Must be off
         * before the first sample is written. libsndfile 1.2.0 ignores this
         * for RF64; close() scrubs what it writes there. No other chunk
         * libsndfile writes (fmt, fact, ds64, PAD, data; FLAC STREAMINFO
         * with the MD5 of the samples) depends on anything but the data. */
        sf_command(ao->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
        ao->scrub_peak = (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_W64 &&
                         (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_FLAC &&
                         out_fmt == REEL_SAMPLE_F32;
    }
    *out = ao;
    return REEL_OK;
}

/* ---- writing ------------------------------------------------------------ */

/* Bytes already in out_fmt, for WAV/RF64/W64 or raw. */
static int put_bytes(reel_audio_out *ao, const uint8_t *p, size_t len, reel_error *err)
{
    if (!ao->sf) {
        reel_error inner;
        if (reel_fs_write_all(ao->fd, p, len, &inner))
            return reel_error_set(err, REEL_EIO, "%s: %s", ao->path, inner.msg);
        return REEL_OK;
    }
    sf_count_t n = sf_write_raw(ao->sf, p, (sf_count_t)len);
    if (n != (sf_count_t)len)
        return reel_error_set(err, REEL_EIO, "cannot write %s: %s", ao->path,
                              sf_strerror(ao->sf));
    return REEL_OK;
}

/* n frames in out_fmt bytes (i16 or i24) to FLAC, as libsndfile integers. */
static int put_flac(reel_audio_out *ao, const uint8_t *p, size_t n, reel_error *err)
{
    size_t samples = n * ao->channels;
    sf_count_t done;
    if (ao->out_fmt == REEL_SAMPLE_I16) {
        short *s = ao->ints;
        for (size_t i = 0; i < samples; i++)
            s[i] = (short)rd_i16(p + 2 * i);
        done = sf_writef_short(ao->sf, s, (sf_count_t)n);
    } else {
        /* libsndfile's int is full-scale 32-bit; it keeps the top 24 bits. */
        int *s = ao->ints;
        for (size_t i = 0; i < samples; i++)
            s[i] = rd_i24(p + 3 * i) * 256;
        done = sf_writef_int(ao->sf, s, (sf_count_t)n);
    }
    if (done != (sf_count_t)n)
        return reel_error_set(err, REEL_EIO, "cannot write %s: %s", ao->path,
                              sf_strerror(ao->sf));
    return REEL_OK;
}

int reel_audio_out_write(reel_audio_out *ao, const void *data, size_t frames, reel_error *err)
{
    if (!ao || (!data && frames > 0))
        return reel_error_set(err, REEL_EINVAL, "audio write needs a writer and data");
    if (ao->failed)
        return reel_error_set(err, REEL_ESTATE, "%s: an earlier write failed", ao->path);
    if (frames == 0)
        return REEL_OK;
    /* The container was chosen for total_frames; going past it could
     * overflow a RIFF header, so it is a caller bug, not a resize. */
    if (frames > ao->total_frames - ao->written)
        return reel_error_set(err, REEL_EINVAL,
                              "%s: writing %zu frames passes the declared %llu (%llu written)",
                              ao->path, frames, (unsigned long long)ao->total_frames,
                              (unsigned long long)ao->written);
    if (frames > SIZE_MAX / ao->in_frame_bytes || frames > SIZE_MAX / ao->out_frame_bytes)
        return reel_error_set(err, REEL_EINVAL, "%s: write of %zu frames is too large",
                              ao->path, frames);

    const uint8_t *src = data;
    int rc = REEL_OK;
    if (!ao->conv && !ao->flac) {
        /* Same format, byte container: straight through, no copy. */
        rc = put_bytes(ao, src, frames * ao->out_frame_bytes, err);
    } else {
        for (size_t left = frames; left > 0 && rc == REEL_OK;) {
            size_t n = left < ao->block_frames ? left : ao->block_frames;
            const uint8_t *block = src;
            if (ao->conv) {
                convert_samples(src, ao->in_fmt, ao->conv, ao->out_fmt, n * ao->channels);
                block = ao->conv;
            }
            rc = ao->flac ? put_flac(ao, block, n, err)
                          : put_bytes(ao, block, n * ao->out_frame_bytes, err);
            src += n * ao->in_frame_bytes;
            left -= n;
        }
    }
    if (rc) {
        ao->failed = true;
        return rc;
    }
    ao->written += frames;
    return REEL_OK;
}

/* ---- finishing ---------------------------------------------------------- */

/* libsndfile 1.2.0 writes a PEAK chunk into float RF64 even when told not
 * to. It holds time(NULL), and since sf_write_raw bypasses libsndfile's peak
 * tracking its peaks would all read 0.0, which is false. Turn it into a
 * zeroed JUNK chunk (which every reader skips) so the file is deterministic
 * and claims nothing wrong. Sizes stay the same, so no offset moves. */
static int scrub_peak_chunk(reel_audio_out *ao, reel_error *err)
{
    static const uint8_t zeros[512];
    /* Chunks start after "RIFF"/"RF64", size, "WAVE"; each is id, u32 size,
     * payload padded to even. The header chunks all come before "data", and
     * libsndfile writes only a handful of them. */
    off_t off = 12;
    for (int n = 0; n < 32; n++) {
        uint8_t c[8];
        if (pread(ao->fd, c, sizeof c, off) != (ssize_t)sizeof c)
            break; /* a file without "data" is libsndfile's business */
        uint32_t size = (uint32_t)c[4] | (uint32_t)c[5] << 8 | (uint32_t)c[6] << 16 |
                        (uint32_t)c[7] << 24;
        if (memcmp(c, "data", 4) == 0)
            break;
        if (memcmp(c, "PEAK", 4) == 0) {
            if (pwrite(ao->fd, "JUNK", 4, off) != 4)
                goto fail;
            for (uint32_t done = 0; done < size;) {
                size_t k = size - done < sizeof zeros ? size - done : sizeof zeros;
                if (pwrite(ao->fd, zeros, k, off + 8 + (off_t)done) != (ssize_t)k)
                    goto fail;
                done += (uint32_t)k;
            }
            break;
        }
        off += 8 + (off_t)size + (size & 1);
    }
    return REEL_OK;
fail:
    return reel_error_set(err, REEL_EIO, "cannot rewrite the header of %s: %s", ao->path,
                          strerror(errno));
}

int reel_audio_out_close(reel_audio_out *ao, reel_error *err)
{
    if (!ao)
        return reel_error_set(err, REEL_EINVAL, "audio close needs a writer");
    int rc = REEL_OK;
    if (ao->failed)
        rc = reel_error_set(err, REEL_EIO, "%s: an earlier write failed", ao->path);
    else if (ao->written != ao->total_frames)
        rc = reel_error_set(err, REEL_EIO, "%s: wrote %llu of %llu frames", ao->path,
                            (unsigned long long)ao->written,
                            (unsigned long long)ao->total_frames);

    /* libsndfile starts a FLAC stream on the first write; with no frames it
     * would leave an empty file, which no reader accepts. Forcing the header
     * gives a valid stream of zero samples. */
    if (rc == REEL_OK && ao->flac && ao->written == 0)
        sf_command(ao->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);

    /* sf_close rewrites the header sizes (and FLAC's STREAMINFO). */
    if (ao->sf) {
        int e = sf_close(ao->sf);
        if (e && rc == REEL_OK)
            rc = reel_error_set(err, REEL_EIO, "cannot finish %s: %s", ao->path,
                                sf_error_number(e));
    }
    if (rc == REEL_OK && ao->scrub_peak)
        rc = scrub_peak_chunk(ao, err);
    if (rc == REEL_OK && fsync(ao->fd) != 0)
        rc = reel_error_set(err, REEL_EIO, "cannot fsync %s: %s", ao->path, strerror(errno));
    if (close(ao->fd) != 0 && rc == REEL_OK)
        rc = reel_error_set(err, REEL_EIO, "cannot close %s: %s", ao->path, strerror(errno));

    /* A short or damaged file must not survive under its name: a caller
     * that ignores the error would otherwise store a truncated slice. */
    if (rc)
        unlink(ao->path);
    audio_out_free(ao);
    return rc;
}

void reel_audio_out_abort(reel_audio_out *ao)
{
    if (!ao)
        return;
    if (ao->sf)
        sf_close(ao->sf);
    close(ao->fd);
    unlink(ao->path);
    audio_out_free(ao);
}
