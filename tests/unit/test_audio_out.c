/*
 * test_audio_out.c — audio files out of stored frames.
 *
 * Owns: checks that every container x sample-format pair holds exactly the
 * samples the conversion rule promises (read back through libsndfile, or
 * byte by byte for raw), is labelled correctly, and is byte-identical when
 * written twice; plus the error paths. The expected samples come from a
 * reference conversion written here in double precision, not from the code
 * under test. Must never: write outside its own temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "media/audio_out.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE 48000
#define FRAMES 10007 /* prime, and past one conversion block at 8 channels */

static const reel_out_format all_formats[] = {
    REEL_OUT_WAV, REEL_OUT_RF64, REEL_OUT_W64, REEL_OUT_FLAC, REEL_OUT_RAW,
};
static const reel_sample_format all_samples[] = {
    REEL_SAMPLE_F32, REEL_SAMPLE_I16, REEL_SAMPLE_I24,
};
static const uint32_t all_channels[] = {1, 2, 8};

#define N_FORMATS (sizeof all_formats / sizeof all_formats[0])
#define N_SAMPLES (sizeof all_samples / sizeof all_samples[0])
#define N_CHANNELS (sizeof all_channels / sizeof all_channels[0])

/* ---- fixture: one temporary directory per run --------------------------- */

static int setup(void **state)
{
    return test_tmpdir_setup(state, "test_audio_out");
}

static int teardown(void **state)
{
    return test_tmpdir_teardown(state);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static size_t sbytes(reel_sample_format f)
{
    return f == REEL_SAMPLE_F32 ? 4 : f == REEL_SAMPLE_I16 ? 2 : 3;
}

static const char *sname(reel_sample_format f)
{
    return f == REEL_SAMPLE_F32 ? "f32" : f == REEL_SAMPLE_I16 ? "i16" : "i24";
}

/* ---- little-endian samples ---------------------------------------------- */

static void put_int(uint8_t *p, reel_sample_format f, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (size_t i = 0; i < sbytes(f); i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static int32_t get_int(const uint8_t *p, reel_sample_format f)
{
    if (f == REEL_SAMPLE_I16)
        return (int16_t)(uint16_t)(p[0] | p[1] << 8);
    int32_t v = (int32_t)(p[0] | p[1] << 8 | (uint32_t)p[2] << 16);
    return v >= 0x800000 ? v - 0x1000000 : v;
}

static void put_float(uint8_t *p, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static float get_float(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* ---- input and the reference conversion ---------------------------------- */

/* Edge values first (full scale, clipping, rounding ties, NaN, infinities),
 * then a fixed pseudo-random walk slightly past full scale. */
static uint8_t *make_input(reel_sample_format f, size_t samples)
{
    static const float f_edges[] = {
        0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 1.5f, -1.5f, 1e-10f, -1e-10f,
        0.5f / 32768, 1.5f / 32768, -0.5f / 32768, -1.5f / 32768, 32767.5f / 32768,
        0.5f / 8388608, 1.5f / 8388608, -2.5f / 8388608, 8388607.5f / 8388608,
        0.99999994f, -0.99999994f, NAN, INFINITY, -INFINITY,
    };
    static const int32_t i16_edges[] = {0, 1, -1, 32767, -32768, 256, -256, 12345};
    static const int32_t i24_edges[] = {
        0, 1, -1, 8388607, -8388608, 127, 128, 129, 384, -128, -384, -129, 8388480,
        8388479, -8388480, 65535,
    };
    size_t b = sbytes(f);
    uint8_t *p = malloc(samples * b);
    assert_non_null(p);
    uint32_t x = 0x12345678;
    for (size_t i = 0; i < samples; i++) {
        x = x * 1664525u + 1013904223u;
        double r = ((double)(x >> 8) / (double)(1u << 24)) * 2.4 - 1.2; /* [-1.2, 1.2) */
        switch (f) {
        case REEL_SAMPLE_F32:
            put_float(p + i * b, i < sizeof f_edges / sizeof *f_edges ? f_edges[i] : (float)r);
            break;
        case REEL_SAMPLE_I16:
            put_int(p + i * b, f, i < sizeof i16_edges / sizeof *i16_edges
                                      ? i16_edges[i] : (int32_t)(x >> 16) - 32768);
            break;
        case REEL_SAMPLE_I24:
            put_int(p + i * b, f, i < sizeof i24_edges / sizeof *i24_edges
                                      ? i24_edges[i] : (int32_t)(x >> 8) - 8388608);
            break;
        }
    }
    return p;
}

/* The documented rule: exact where representable, else nearest with ties to
 * even (nearbyint in the default rounding mode), clipped; NaN -> 0. */
static void ref_convert(const uint8_t *in, reel_sample_format fi, uint8_t *out,
                        reel_sample_format fo)
{
    if (fi == fo) {
        memcpy(out, in, sbytes(fi));
        return;
    }
    double x; /* in units of full scale */
    if (fi == REEL_SAMPLE_F32)
        x = get_float(in);
    else if (fi == REEL_SAMPLE_I16)
        x = get_int(in, fi) / 32768.0;
    else
        x = get_int(in, fi) / 8388608.0;

    if (fo == REEL_SAMPLE_F32) {
        put_float(out, (float)x);
        return;
    }
    double scale = fo == REEL_SAMPLE_I16 ? 32768.0 : 8388608.0;
    double lo = -scale, hi = scale - 1, s = x * scale;
    int32_t v;
    if (isnan(s))
        v = 0;
    else if (s >= hi)
        v = (int32_t)hi;
    else if (s <= lo)
        v = (int32_t)lo;
    else
        v = (int32_t)nearbyint(s);
    put_int(out, fo, v);
}

static uint8_t *expected_output(const uint8_t *in, reel_sample_format fi,
                                reel_sample_format fo, size_t samples)
{
    uint8_t *out = malloc(samples * sbytes(fo));
    assert_non_null(out);
    for (size_t i = 0; i < samples; i++)
        ref_convert(in + i * sbytes(fi), fi, out + i * sbytes(fo), fo);
    return out;
}

/* ---- reading files back ------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int sf_container(reel_out_format f)
{
    switch (f) {
    case REEL_OUT_WAV: return SF_FORMAT_WAV; /* small files: RIFF */
    case REEL_OUT_RF64: return SF_FORMAT_RF64;
    case REEL_OUT_W64: return SF_FORMAT_W64;
    case REEL_OUT_FLAC: return SF_FORMAT_FLAC;
    default: return 0;
    }
}

static int sf_codec(reel_sample_format s)
{
    return s == REEL_SAMPLE_F32 ? SF_FORMAT_FLOAT
                                : s == REEL_SAMPLE_I16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24;
}

/* The format tag of a RIFF/RF64 "fmt " chunk; for WAVE_FORMAT_EXTENSIBLE
 * the tag inside its sub-format GUID. */
static int wav_format_tag(const uint8_t *p, size_t len)
{
    for (size_t off = 12; off + 8 <= len;) {
        uint32_t size = (uint32_t)p[off + 4] | (uint32_t)p[off + 5] << 8 |
                        (uint32_t)p[off + 6] << 16 | (uint32_t)p[off + 7] << 24;
        if (memcmp(p + off, "fmt ", 4) == 0 && off + 8 + size <= len && size >= 16) {
            int tag = p[off + 8] | p[off + 9] << 8;
            if (tag == 0xfffe && size >= 40)
                tag = p[off + 8 + 24] | p[off + 8 + 25] << 8;
            return tag;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    return -1;
}

static bool contains(const uint8_t *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, s, n) == 0)
            return true;
    return false;
}

/* Read `path` back as little-endian out_fmt samples, checking the labels
 * libsndfile sees on the way. */
static uint8_t *read_back(const char *label, const char *path, reel_out_format f,
                          reel_sample_format fo, uint32_t ch, size_t frames)
{
    size_t samples = frames * ch, b = sbytes(fo);
    if (f == REEL_OUT_RAW) {
        size_t len;
        uint8_t *p = slurp(path, &len);
        if (len != samples * b)
            fail_msg("%s: raw file has %zu bytes, want %zu", label, len, samples * b);
        return p;
    }

    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        fail_msg("%s: libsndfile cannot read it: %s", label, sf_strerror(NULL));
    int want = sf_container(f) | sf_codec(fo);
    if ((info.format & (SF_FORMAT_TYPEMASK | SF_FORMAT_SUBMASK)) != want)
        fail_msg("%s: format 0x%x, want 0x%x", label, info.format, want);
    assert_int_equal(info.channels, ch);
    assert_int_equal(info.samplerate, RATE);
    assert_int_equal(info.frames, frames);

    uint8_t *out = malloc(samples * b + 1);
    assert_non_null(out);
    if (fo == REEL_SAMPLE_F32) {
        float *v = malloc(samples * sizeof *v + 1);
        assert_int_equal(sf_readf_float(sf, v, (sf_count_t)frames), frames);
        for (size_t i = 0; i < samples; i++)
            put_float(out + 4 * i, v[i]);
        free(v);
    } else {
        /* libsndfile ints are full-scale 32-bit: the low bits must be 0. */
        int32_t shift = fo == REEL_SAMPLE_I16 ? 65536 : 256;
        int *v = malloc(samples * sizeof *v + 1);
        assert_int_equal(sf_readf_int(sf, v, (sf_count_t)frames), frames);
        for (size_t i = 0; i < samples; i++) {
            if (v[i] % shift != 0)
                fail_msg("%s: sample %zu has stray low bits (%d)", label, i, v[i]);
            put_int(out + b * i, fo, v[i] / shift);
        }
        free(v);
    }
    sf_close(sf);

    if (f == REEL_OUT_WAV || f == REEL_OUT_RF64) {
        size_t len;
        uint8_t *raw = slurp(path, &len);
        int tag = wav_format_tag(raw, len);
        int want_tag = fo == REEL_SAMPLE_F32 ? 3 : 1; /* IEEE float / PCM */
        if (tag != want_tag)
            fail_msg("%s: format tag %d, want %d", label, tag, want_tag);
        if (contains(raw, len < 4096 ? len : 4096, "PEAK"))
            fail_msg("%s: has a PEAK chunk (holds a timestamp)", label);
        free(raw);
    }
    return out;
}

/* ---- writing ------------------------------------------------------------ */

static void file_path(char *out, const char *dir, const char *sub, reel_out_format f,
                      reel_sample_format fi, reel_sample_format fo, uint32_t ch)
{
    snprintf(out, PATH_MAX, "%s/%s/%s_%s_%s_%u.%s", dir, sub, reel_out_format_name(f), sname(fi),
             sname(fo), ch, reel_out_format_extension(f));
}

/* Write `frames` frames in three uneven pieces (1, 4000, the rest). */
static int write_file(const char *path, reel_out_format f, reel_sample_format fi,
                      reel_sample_format fo, uint32_t ch, const uint8_t *in, size_t frames,
                      reel_error *err)
{
    reel_audio_out *ao = NULL;
    int rc = reel_audio_out_open(&ao, path, f, RATE, ch, fi, fo, frames, err);
    if (rc)
        return rc;
    size_t frame_bytes = ch * sbytes(fi), done = 0;
    size_t pieces[3] = {1, 4000, 0};
    for (int i = 0; i < 3 && done < frames; i++) {
        size_t n = pieces[i] && pieces[i] < frames - done ? pieces[i] : frames - done;
        rc = reel_audio_out_write(ao, in + done * frame_bytes, n, err);
        if (rc) {
            reel_audio_out_abort(ao);
            return rc;
        }
        done += n;
    }
    return reel_audio_out_close(ao, err);
}

/* Every container x in x out x channel count into dir/sub; verify each if
 * asked. FLAC + f32 must be refused without creating a file. */
static void write_matrix(const char *dir, const char *sub, bool verify)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(mkdir(path, 0755), 0);

    for (size_t c = 0; c < N_CHANNELS; c++) {
        uint32_t ch = all_channels[c];
        size_t samples = (size_t)FRAMES * ch;
        for (size_t i = 0; i < N_SAMPLES; i++) {
            reel_sample_format fi = all_samples[i];
            uint8_t *in = make_input(fi, samples);
            for (size_t o = 0; o < N_SAMPLES; o++) {
                reel_sample_format fo = all_samples[o];
                uint8_t *want = verify ? expected_output(in, fi, fo, samples) : NULL;
                for (size_t k = 0; k < N_FORMATS; k++) {
                    reel_out_format f = all_formats[k];
                    file_path(path, dir, sub, f, fi, fo, ch);
                    reel_error err = {0};
                    int rc = write_file(path, f, fi, fo, ch, in, FRAMES, &err);
                    if (f == REEL_OUT_FLAC && fo == REEL_SAMPLE_F32) {
                        assert_int_equal(rc, REEL_EFORMAT);
                        assert_false(exists(path));
                        continue;
                    }
                    if (rc)
                        fail_msg("%s: %s", path, err.msg);
                    if (!verify)
                        continue;
                    uint8_t *got = read_back(path, path, f, fo, ch, FRAMES);
                    size_t b = sbytes(fo);
                    for (size_t s = 0; s < samples; s++) {
                        if (memcmp(got + s * b, want + s * b, b) != 0)
                            fail_msg("%s: sample %zu differs from the reference", path, s);
                    }
                    free(got);
                }
                free(want);
            }
            free(in);
        }
    }
}

static void test_matrix_round_trip(void **state)
{
    write_matrix(*state, "matrix", true);
}

/* Same frames, a second later: every file must be byte-identical (libsndfile
 * likes to put time(NULL) in PEAK chunks). */
static void test_deterministic(void **state)
{
    const char *dir = *state;
    write_matrix(dir, "det1", false);
    sleep(1);
    write_matrix(dir, "det2", false);
    for (size_t c = 0; c < N_CHANNELS; c++)
        for (size_t i = 0; i < N_SAMPLES; i++)
            for (size_t o = 0; o < N_SAMPLES; o++)
                for (size_t k = 0; k < N_FORMATS; k++) {
                    char a[PATH_MAX], b[PATH_MAX];
                    reel_out_format f = all_formats[k];
                    if (f == REEL_OUT_FLAC && all_samples[o] == REEL_SAMPLE_F32)
                        continue;
                    file_path(a, dir, "det1", f, all_samples[i], all_samples[o],
                              all_channels[c]);
                    file_path(b, dir, "det2", f, all_samples[i], all_samples[o],
                              all_channels[c]);
                    size_t la, lb;
                    uint8_t *pa = slurp(a, &la), *pb = slurp(b, &lb);
                    if (la != lb || memcmp(pa, pb, la) != 0)
                        fail_msg("%s and %s differ", a, b);
                    free(pa);
                    free(pb);
                }
}

/* One call much larger than a conversion block, mono (65536 frames/block). */
static void test_many_blocks_in_one_write(void **state)
{
    const size_t frames = 200003;
    uint8_t *in = make_input(REEL_SAMPLE_F32, frames);
    for (size_t k = 0; k < N_FORMATS; k++) {
        char path[PATH_MAX];
        reel_out_format f = all_formats[k];
        snprintf(path, sizeof path, "%s/big.%s", (char *)*state, reel_out_format_extension(f));
        reel_audio_out *ao;
        reel_error err = {0};
        assert_int_equal(reel_audio_out_open(&ao, path, f, RATE, 1, REEL_SAMPLE_F32,
                                             REEL_SAMPLE_I24, frames, &err), REEL_OK);
        assert_int_equal(reel_audio_out_write(ao, in, frames, &err), REEL_OK);
        assert_int_equal(reel_audio_out_close(ao, &err), REEL_OK);

        uint8_t *want = expected_output(in, REEL_SAMPLE_F32, REEL_SAMPLE_I24, frames);
        uint8_t *got = read_back(path, path, f, REEL_SAMPLE_I24, 1, frames);
        assert_memory_equal(got, want, frames * 3);
        free(got);
        free(want);
        unlink(path);
    }
    free(in);
}

/* The widest stream reel allows; raw is the only output that takes it. */
static void test_wide_raw(void **state)
{
    const uint32_t ch = REEL_MAX_CHANNELS;
    const size_t frames = 37;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/wide.raw", (char *)*state);
    uint8_t *in = make_input(REEL_SAMPLE_I24, frames * ch);
    reel_error err = {0};
    assert_int_equal(write_file(path, REEL_OUT_RAW, REEL_SAMPLE_I24, REEL_SAMPLE_I16, ch, in,
                                frames, &err), REEL_OK);
    uint8_t *want = expected_output(in, REEL_SAMPLE_I24, REEL_SAMPLE_I16, frames * ch);
    uint8_t *got = read_back(path, path, REEL_OUT_RAW, REEL_SAMPLE_I16, ch, frames);
    assert_memory_equal(got, want, frames * ch * 2);
    free(got);
    free(want);
    free(in);
    unlink(path);
}

/* A PEAK chunk grows with the channel count (8 bytes each); a wide float
 * RF64 must lose it too. */
static void test_wide_float_rf64_has_no_peak(void **state)
{
    const uint32_t ch = 1000;
    const size_t frames = 3;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/wide.rf64", (char *)*state);
    uint8_t *in = make_input(REEL_SAMPLE_F32, frames * ch);
    reel_error err = {0};
    assert_int_equal(write_file(path, REEL_OUT_RF64, REEL_SAMPLE_F32, REEL_SAMPLE_F32, ch, in,
                                frames, &err), REEL_OK);
    size_t len;
    uint8_t *raw = slurp(path, &len);
    assert_false(contains(raw, len, "PEAK"));
    assert_int_equal(wav_format_tag(raw, len), 3);
    free(raw);
    free(read_back(path, path, REEL_OUT_RF64, REEL_SAMPLE_F32, ch, frames));
    free(in);
    unlink(path);
}

static void test_zero_frames(void **state)
{
    for (size_t k = 0; k < N_FORMATS; k++) {
        char path[PATH_MAX];
        reel_out_format f = all_formats[k];
        snprintf(path, sizeof path, "%s/empty.%s", (char *)*state, reel_out_format_extension(f));
        reel_audio_out *ao;
        reel_error err = {0};
        assert_int_equal(reel_audio_out_open(&ao, path, f, RATE, 2, REEL_SAMPLE_I16,
                                             REEL_SAMPLE_I16, 0, &err), REEL_OK);
        assert_int_equal(reel_audio_out_write(ao, NULL, 0, &err), REEL_OK);
        assert_int_equal(reel_audio_out_close(ao, &err), REEL_OK);
        if (f == REEL_OUT_FLAC) {
            /* STREAMINFO can only say "0 = unknown" samples; what matters is
             * that it is a FLAC stream with nothing in it. */
            SF_INFO info = {0};
            SNDFILE *sf = sf_open(path, SFM_READ, &info);
            assert_non_null(sf);
            assert_int_equal(info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
            short buf[4];
            assert_int_equal(sf_readf_short(sf, buf, 2), 0);
            sf_close(sf);
        } else {
            free(read_back(path, path, f, REEL_SAMPLE_I16, 2, 0));
        }
        unlink(path);
    }
}

/* ---- names and checks --------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    static const char *names[] = {"wav", "rf64", "w64", "flac", "raw"};
    static const char *mimes[] = {"audio/wav", "audio/wav", "audio/x-w64", "audio/flac",
                                  "application/octet-stream"};
    static const char *exts[] = {"wav", "wav", "w64", "flac", "raw"};
    for (size_t k = 0; k < N_FORMATS; k++) {
        reel_out_format f = (reel_out_format)-1;
        assert_int_equal(reel_out_format_parse(names[k], &f, NULL), REEL_OK);
        assert_int_equal(f, all_formats[k]);
        assert_string_equal(reel_out_format_name(f), names[k]);
        assert_string_equal(reel_out_format_mime(f), mimes[k]);
        assert_string_equal(reel_out_format_extension(f), exts[k]);
    }
    reel_out_format f;
    reel_error err = {0};
    assert_int_equal(reel_out_format_parse("mp3", &f, &err), REEL_EINVAL);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_non_null(strstr(err.msg, "'mp3'"));
    assert_non_null(strstr(err.msg, "wav, rf64, w64, flac, raw or mid"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(reel_out_format_parse("WAV", &f, NULL), REEL_EINVAL);
    assert_int_equal(reel_out_format_parse("", &f, NULL), REEL_EINVAL);
    assert_int_equal(reel_out_format_parse(NULL, &f, NULL), REEL_EINVAL);
}

static void test_default_and_check(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_FORMATS; k++) {
        for (size_t i = 0; i < N_SAMPLES; i++) {
            reel_out_format f = all_formats[k];
            reel_sample_format in = all_samples[i];
            reel_sample_format d = reel_out_default_sample_format(f, in);
            if (f == REEL_OUT_FLAC && in == REEL_SAMPLE_F32)
                assert_int_equal(d, REEL_SAMPLE_I24);
            else
                assert_int_equal(d, in);
            assert_int_equal(reel_out_check(f, d, NULL), REEL_OK);
        }
    }
    reel_error err = {0};
    assert_int_equal(reel_out_check(REEL_OUT_FLAC, REEL_SAMPLE_F32, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, "FLAC"));
    assert_int_equal(reel_out_check(REEL_OUT_WAV, REEL_SAMPLE_F32, NULL), REEL_OK);
    assert_int_equal(reel_out_check((reel_out_format)99, REEL_SAMPLE_F32, NULL), REEL_EINVAL);
}

/* ---- error paths -------------------------------------------------------- */

static void test_refusals_leave_no_file(void **state)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/refused.flac", (char *)*state);
    reel_audio_out *ao = (reel_audio_out *)0x1;
    reel_error err = {0};

    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_FLAC, RATE, 2, REEL_SAMPLE_F32,
                                         REEL_SAMPLE_F32, 10, &err), REEL_EFORMAT);
    assert_null(ao);
    assert_false(exists(path));

    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_FLAC, RATE, 9, REEL_SAMPLE_I16,
                                         REEL_SAMPLE_I16, 10, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, "channels"));
    assert_false(exists(path));

    /* libsndfile's own channel limit (1024) is reported, not hit later. */
    snprintf(path, sizeof path, "%s/refused.wav", (char *)*state);
    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_WAV, RATE, 1025, REEL_SAMPLE_I16,
                                         REEL_SAMPLE_I16, 10, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, path));
    assert_false(exists(path));

    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_WAV, RATE, 0, REEL_SAMPLE_I16,
                                         REEL_SAMPLE_I16, 10, &err), REEL_EINVAL);
    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_WAV, 0, 2, REEL_SAMPLE_I16,
                                         REEL_SAMPLE_I16, 10, &err), REEL_EINVAL);
    assert_int_equal(reel_audio_out_open(&ao, path, REEL_OUT_WAV, RATE, 2,
                                         (reel_sample_format)7, REEL_SAMPLE_I16, 10, &err),
                     REEL_EINVAL);
    assert_int_equal(reel_audio_out_open(&ao, path, (reel_out_format)7, RATE, 2,
                                         REEL_SAMPLE_I16, REEL_SAMPLE_I16, 10, &err),
                     REEL_EINVAL);
    assert_int_equal(reel_audio_out_open(&ao, NULL, REEL_OUT_WAV, RATE, 2, REEL_SAMPLE_I16,
                                         REEL_SAMPLE_I16, 10, &err), REEL_EINVAL);
    assert_false(exists(path));
}

static void test_unwritable_path(void **state)
{
    char path[PATH_MAX];
    for (size_t k = 0; k < N_FORMATS; k++) {
        snprintf(path, sizeof path, "%s/no-such-dir/out.%s", (char *)*state,
                 reel_out_format_extension(all_formats[k]));
        reel_audio_out *ao = (reel_audio_out *)0x1;
        reel_error err = {0};
        assert_int_equal(reel_audio_out_open(&ao, path, all_formats[k], RATE, 2,
                                             REEL_SAMPLE_I16, REEL_SAMPLE_I16, 10, &err),
                         REEL_EIO);
        assert_null(ao);
        assert_int_equal(err.code, REEL_EIO);
        assert_non_null(strstr(err.msg, path));
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_frame_count_mismatch(void **state)
{
    uint8_t *in = make_input(REEL_SAMPLE_I24, 100 * 2);
    for (size_t k = 0; k < N_FORMATS; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/short.%s", (char *)*state,
                 reel_out_format_extension(all_formats[k]));
        reel_audio_out *ao;
        reel_error err = {0};
        assert_int_equal(reel_audio_out_open(&ao, path, all_formats[k], RATE, 2, REEL_SAMPLE_I24,
                                             REEL_SAMPLE_I16, 100, &err), REEL_OK);
        assert_int_equal(reel_audio_out_write(ao, in, 40, &err), REEL_OK);
        /* Past the declared total: refused, nothing written. */
        assert_int_equal(reel_audio_out_write(ao, in, 61, &err), REEL_EINVAL);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(reel_audio_out_close(ao, &err), REEL_EIO);
        assert_non_null(strstr(err.msg, "wrote 40 of 100 frames"));
        assert_non_null(strstr(err.msg, path));
        assert_false(exists(path));
    }
    free(in);
}

static void test_abort_unlinks(void **state)
{
    uint8_t *in = make_input(REEL_SAMPLE_F32, 64 * 2);
    for (size_t k = 0; k < N_FORMATS; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/aborted.%s", (char *)*state,
                 reel_out_format_extension(all_formats[k]));
        reel_sample_format fo = reel_out_default_sample_format(all_formats[k], REEL_SAMPLE_F32);
        reel_audio_out *ao;
        assert_int_equal(reel_audio_out_open(&ao, path, all_formats[k], RATE, 2,
                                             REEL_SAMPLE_F32, fo, 1000, NULL), REEL_OK);
        assert_true(exists(path));
        assert_int_equal(reel_audio_out_write(ao, in, 64, NULL), REEL_OK);
        reel_audio_out_abort(ao);
        assert_false(exists(path));
    }
    reel_audio_out_abort(NULL);
    free(in);
}

/* What container did libsndfile start writing? Checked after a first write
 * (the header is on disk by then), then abandoned: no 4 GiB written. */
static void assert_wav_magic(const char *dir, reel_out_format f, uint32_t ch,
                             reel_sample_format fo, uint64_t total, const char *magic)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/magic.wav", dir);
    uint8_t in[8 * 4 * 4] = {0};
    reel_audio_out *ao;
    reel_error err = {0};
    assert_int_equal(reel_audio_out_open(&ao, path, f, RATE, ch, fo, fo, total, &err), REEL_OK);
    assert_int_equal(reel_audio_out_write(ao, in, 4, &err), REEL_OK);
    char got[5] = {0};
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, got, 4), 4);
    close(fd);
    reel_audio_out_abort(ao);
    if (strcmp(got, magic) != 0)
        fail_msg("%s %u ch %s x %llu frames: %s, want %s", reel_out_format_name(f), ch,
                 sname(fo), (unsigned long long)total, got, magic);
}

static void test_rf64_selection(void **state)
{
    const char *dir = *state;
    assert_wav_magic(dir, REEL_OUT_WAV, 2, REEL_SAMPLE_F32, 4, "RIFF");
    /* 2 GiB of data still fits a RIFF ... */
    assert_wav_magic(dir, REEL_OUT_WAV, 2, REEL_SAMPLE_F32, 1u << 28, "RIFF");
    assert_wav_magic(dir, REEL_OUT_WAV, 1, REEL_SAMPLE_I16, 0x7ff00000u, "RIFF");
    /* ... 4 GiB does not, nor anything near it. */
    assert_wav_magic(dir, REEL_OUT_WAV, 2, REEL_SAMPLE_F32, 1u << 29, "RF64");
    assert_wav_magic(dir, REEL_OUT_WAV, 1, REEL_SAMPLE_I16, 0x7fffffffu, "RF64");
    assert_wav_magic(dir, REEL_OUT_WAV, 8, REEL_SAMPLE_I24, 1ull << 40, "RF64");
    /* frames x channels x bytes overflows 64 bits. */
    assert_wav_magic(dir, REEL_OUT_WAV, 8, REEL_SAMPLE_F32, UINT64_MAX, "RF64");
    /* Asking for RF64 gets RF64 even when small. */
    assert_wav_magic(dir, REEL_OUT_RF64, 2, REEL_SAMPLE_I16, 4, "RF64");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_and_check),
        cmocka_unit_test(test_matrix_round_trip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_many_blocks_in_one_write),
        cmocka_unit_test(test_wide_raw),
        cmocka_unit_test(test_wide_float_rf64_has_no_peak),
        cmocka_unit_test(test_zero_frames),
        cmocka_unit_test(test_refusals_leave_no_file),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test(test_frame_count_mismatch),
        cmocka_unit_test(test_abort_unlinks),
        cmocka_unit_test(test_rf64_selection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
