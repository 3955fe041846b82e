/*
 * test_wav_stream.c — a WAV written while its length is unknown: after
 * every sync the file is a valid WAV of exactly the frames appended (sox
 * is the oracle), for i16, i24 (odd data sizes: pad byte at close) and f32
 * (fact chunk), and the samples are the bytes appended.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "media/wav_stream.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long sox_frames(const char *path)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "sox --i -s '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    long n = -1;
    if (fscanf(p, "%ld", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

/* The samples sox decodes, as raw bytes in the file's own format. */
static size_t sox_raw(const char *path, const char *enc, int bits, uint8_t *out, size_t cap)
{
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "sox -D '%s' -t raw -e %s -b %d -L - 2>/dev/null", path, enc, bits);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap, p);
    pclose(p);
    return n;
}

static void one_format(const char *dir, reel_sample_format fmt, uint32_t ch, const char *enc,
                       int bits)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/w-%d-%u.wav", dir, (int)fmt, ch);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    reel_wav_stream *w;
    reel_error e;
    assert_int_equal(reel_wav_stream_open(&w, fd, path, 48000, ch, fmt, &e), 0);
    assert_int_equal(sox_frames(path), 0); /* valid and empty from the start */
    size_t fb = ch * (size_t)bits / 8;
    uint8_t data[4096], back[4096];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    if (fmt == REEL_SAMPLE_F32) /* keep floats finite and in range */
        for (size_t i = 0; i + 4 <= sizeof data; i += 4) {
            float f = (float)((int)(i % 200) - 100) / 128.0f;
            memcpy(data + i, &f, 4);
        }
    size_t total = 0;
    const size_t steps[] = {1, 2, 7, 30};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(reel_wav_stream_append(w, data + total * fb, steps[k], &e), 0);
        total += steps[k];
        assert_int_equal(reel_wav_stream_sync(w, &e), 0);
        assert_int_equal(sox_frames(path), (long)total);
    }
    assert_int_equal(reel_wav_stream_frames(w), total);
    assert_int_equal(reel_wav_stream_close(w, &e), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size % 2, 0); /* RIFF chunks are padded to even */
    assert_int_equal(sox_frames(path), (long)total);
    assert_int_equal(sox_raw(path, enc, bits, back, sizeof back), total * fb);
    assert_memory_equal(back, data, total * fb);
}

static void test_formats(void **state)
{
    const char *dir = *state;
    one_format(dir, REEL_SAMPLE_I16, 2, "signed-integer", 16);
    one_format(dir, REEL_SAMPLE_I24, 1, "signed-integer", 24); /* 3-byte frames: odd sizes */
    one_format(dir, REEL_SAMPLE_F32, 2, "floating-point", 32);
}

static int setup(void **state)
{
    return test_tmpdir_setup(state, "wav_stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_formats, setup, test_tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
