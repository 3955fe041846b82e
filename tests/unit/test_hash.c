/*
 * test_hash.c — BLAKE3 content names: known vectors, hex spelling and
 * parsing, incremental hashing, file hashing (checked against the b3sum
 * tool) and random staging ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/hash.h"
#include "core/sha1.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char EMPTY_HEX[] = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

/* ---- helpers ------------------------------------------------------------ */

static void make_tmpdir(char *dir, size_t len, const char *tag)
{
    assert_non_null(test_tmpdir_make(dir, len, tag));
}

static void hex_of_buf(const void *data, size_t len, char hex[REEL_HASH_HEX + 1])
{
    reel_hash h;
    reel_hash_buf(data, len, &h);
    reel_hash_to_hex(&h, hex);
}

/* The reference pattern of the official BLAKE3 test vectors: i % 251. */
static uint8_t *pattern(size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i % 251);
    return p;
}

/* Hex digest of a file by the b3sum tool (an independent implementation). */
static void b3sum_file(const char *path, char hex[REEL_HASH_HEX + 1])
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "b3sum --no-names '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_true(strlen(line) >= REEL_HASH_HEX);
    memcpy(hex, line, REEL_HASH_HEX);
    hex[REEL_HASH_HEX] = '\0';
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_known_vectors(void **state)
{
    (void)state;
    char hex[REEL_HASH_HEX + 1];
    hex_of_buf("", 0, hex);
    assert_string_equal(hex, EMPTY_HEX);
    hex_of_buf("abc", 3, hex);
    assert_string_equal(hex, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    hex_of_buf(fox, strlen(fox), hex);
    assert_string_equal(hex, "2f1514181aadccd913abd94cfa592701a5686ab23f8df1dff1b74710febc6d4a");
    /* 1025 bytes: crosses the 1024-byte chunk boundary of the tree. */
    uint8_t *p = pattern(100000);
    hex_of_buf(p, 1025, hex);
    assert_string_equal(hex, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444");
    hex_of_buf(p, 100000, hex);
    assert_string_equal(hex, "d93c23eedaf165a7e0be908ba86f1a7a520d568d2d13cde787c8580c5c72cc54");
    free(p);
}

static void test_hex_round_trip(void **state)
{
    (void)state;
    reel_hash h, back;
    for (int i = 0; i < REEL_HASH_BYTES; i++)
        h.b[i] = (uint8_t)(i * 37 + 11);
    char hex[REEL_HASH_HEX + 1];
    reel_hash_to_hex(&h, hex);
    assert_int_equal(strlen(hex), REEL_HASH_HEX);
    for (int i = 0; i < REEL_HASH_HEX; i++)
        assert_true((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'));
    assert_int_equal(reel_hash_from_hex(&back, hex, NULL), REEL_OK);
    assert_true(reel_hash_equal(&h, &back));
    assert_memory_equal(h.b, back.b, REEL_HASH_BYTES);

    /* Byte order of the spelling: first byte first, high nibble first. */
    memset(&h, 0, sizeof h);
    h.b[0] = 0xab;
    h.b[31] = 0x01;
    reel_hash_to_hex(&h, hex);
    assert_memory_equal(hex, "ab", 2);
    assert_memory_equal(hex + 62, "01", 2);

    /* Upper case is accepted and means the same hash. */
    char upper[REEL_HASH_HEX + 1];
    for (int i = 0; i <= REEL_HASH_HEX; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' : hex[i]);
    assert_int_equal(reel_hash_from_hex(&back, upper, NULL), REEL_OK);
    assert_true(reel_hash_equal(&h, &back));
}

static void test_string_prefix(void **state)
{
    (void)state;
    reel_hash h, back;
    reel_hash_buf("abc", 3, &h);
    char s[REEL_HASH_HEX + 8];
    reel_hash_to_string(&h, s);
    assert_string_equal(s, "blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    assert_int_equal(strlen(s), REEL_HASH_HEX + 7);
    assert_int_equal(reel_hash_from_hex(&back, s, NULL), REEL_OK);
    assert_true(reel_hash_equal(&h, &back));
    /* Prefix optional. */
    assert_int_equal(reel_hash_from_hex(&back, s + 7, NULL), REEL_OK);
    assert_true(reel_hash_equal(&h, &back));
}

static void test_rejects_bad_hex(void **state)
{
    (void)state;
    reel_hash h;
    reel_error err = {0};
    char buf[128];

    assert_int_equal(reel_hash_from_hex(&h, NULL, &err), REEL_EINVAL);
    assert_int_equal(reel_hash_from_hex(&h, "", &err), REEL_EINVAL);
    assert_int_equal(reel_hash_from_hex(&h, "blake3:", &err), REEL_EINVAL);
    /* The 32-hex truncated form is only a lookup key, never a full hash. */
    assert_int_equal(reel_hash_from_hex(&h, "af1349b9f5f9a1a6a0404dea36dcc949", &err),
                     REEL_EINVAL);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_true(err.msg[0] != '\0');
    /* One digit short, one too many. */
    snprintf(buf, sizeof buf, "%.63s", EMPTY_HEX);
    assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
    snprintf(buf, sizeof buf, "%s0", EMPTY_HEX);
    assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
    /* A non-hex digit at either end of a byte, and in the last position. */
    const char *bad[] = {"g", "x", " ", "-", ":"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        for (int pos = 0; pos < REEL_HASH_HEX; pos += 21) {
            snprintf(buf, sizeof buf, "%s", EMPTY_HEX);
            buf[pos] = bad[k][0];
            assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
        }
        snprintf(buf, sizeof buf, "%s", EMPTY_HEX);
        buf[REEL_HASH_HEX - 1] = bad[k][0];
        assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
    }
    /* A wrong prefix is not silently skipped. */
    snprintf(buf, sizeof buf, "sha256:%s", EMPTY_HEX);
    assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
    snprintf(buf, sizeof buf, "blake3:blake3:%s", EMPTY_HEX);
    assert_int_equal(reel_hash_from_hex(&h, buf, &err), REEL_EINVAL);
}

static void test_incremental_equals_one_shot(void **state)
{
    (void)state;
    const size_t len = 3 * 1024 * 1024 + 777;
    uint8_t *p = pattern(len);
    reel_hash one, inc;
    reel_hash_buf(p, len, &one);

    /* Odd piece sizes that straddle the 1 KiB chunks and 64-byte blocks. */
    const size_t pieces[] = {1, 63, 64, 65, 1023, 1024, 1025, 4096, 100000, 7};
    reel_hasher h;
    reel_hasher_init(&h);
    size_t off = 0, k = 0;
    while (off < len) {
        size_t n = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
        if (n > len - off)
            n = len - off;
        reel_hasher_update(&h, p + off, n);
        off += n;
    }
    reel_hasher_final(&h, &inc);
    assert_true(reel_hash_equal(&one, &inc));

    /* Zero-length updates change nothing; final can be called twice. */
    reel_hasher_init(&h);
    reel_hasher_update(&h, p, 0);
    reel_hasher_update(&h, "abc", 3);
    reel_hasher_update(&h, p, 0);
    reel_hasher_final(&h, &inc);
    reel_hasher_final(&h, &one);
    char hex[REEL_HASH_HEX + 1];
    reel_hash_to_hex(&inc, hex);
    assert_string_equal(hex, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    assert_true(reel_hash_equal(&one, &inc));
    free(p);
}

static void test_hash_file_matches_b3sum(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 32], want[REEL_HASH_HEX + 1], got[REEL_HASH_HEX + 1];
    make_tmpdir(dir, sizeof dir, "hash");
    reel_hash h;
    reel_error err = {0};

    snprintf(path, sizeof path, "%s/empty", dir);
    write_file(path, "", 0);
    assert_int_equal(reel_hash_file(path, &h, &err), REEL_OK);
    reel_hash_to_hex(&h, got);
    assert_string_equal(got, EMPTY_HEX);
    b3sum_file(path, want);
    assert_string_equal(got, want);
    unlink(path);

    /* 5 MiB + 13 bytes of pseudo-random data. */
    const size_t len = 5 * 1024 * 1024 + 13;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    snprintf(path, sizeof path, "%s/big", dir);
    write_file(path, data, len);
    assert_int_equal(reel_hash_file(path, &h, &err), REEL_OK);
    reel_hash_to_hex(&h, got);
    b3sum_file(path, want);
    assert_string_equal(got, want);
    reel_hash hb;
    reel_hash_buf(data, len, &hb);
    assert_true(reel_hash_equal(&h, &hb));
    unlink(path);
    free(data);

    /* Missing file: ENOENT with a message. */
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(reel_hash_file(path, &h, &err), REEL_ENOENT);
    assert_int_equal(err.code, REEL_ENOENT);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(rmdir(dir), 0);
}

static void test_equal_and_zero(void **state)
{
    (void)state;
    reel_hash z = {0}, a, b;
    assert_true(reel_hash_is_zero(&z));
    reel_hash_buf("", 0, &a);
    assert_false(reel_hash_is_zero(&a));
    b = a;
    assert_true(reel_hash_equal(&a, &b));
    b.b[31] ^= 1;
    assert_false(reel_hash_equal(&a, &b));
    b = a;
    b.b[0] ^= 0x80;
    assert_false(reel_hash_equal(&a, &b));
}

static void test_random_ids_differ(void **state)
{
    (void)state;
    enum { N = 64 };
    reel_hash ids[N];
    reel_error err = {0};
    for (int i = 0; i < N; i++) {
        assert_int_equal(reel_hash_random(&ids[i], &err), REEL_OK);
        assert_false(reel_hash_is_zero(&ids[i]));
        for (int j = 0; j < i; j++)
            assert_false(reel_hash_equal(&ids[i], &ids[j]));
    }
    /* Ids round-trip like any content name. */
    char s[REEL_HASH_HEX + 8];
    reel_hash back;
    reel_hash_to_string(&ids[0], s);
    assert_int_equal(reel_hash_from_hex(&back, s, &err), REEL_OK);
    assert_true(reel_hash_equal(&ids[0], &back));
}

/* SHA-1 (the WebSocket handshake's): FIPS 180 examples, both padding
 * cases (55 and 56 bytes, where the length spills into a second block),
 * and a million 'a'. */
static void test_sha1_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t repeat;
        const char *hex;
    } v[] = {
        {"", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"a", 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {"a", 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
        {"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 1,
         "b37a4f2cc0624f1690f64606cf385945b2bec4ea"}, /* RFC 6455 section 1.3's example */
    };
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        size_t n = strlen(v[k].in) * v[k].repeat;
        char *buf = malloc(n + 1);
        assert_non_null(buf);
        for (size_t r = 0; r < v[k].repeat; r++)
            memcpy(buf + r * strlen(v[k].in), v[k].in, strlen(v[k].in));
        uint8_t d[20];
        reel_sha1(buf, n, d);
        char hex[41];
        for (int i = 0; i < 20; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
        assert_string_equal(hex, v[k].hex);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_sha1_vectors),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_string_prefix),
        cmocka_unit_test(test_rejects_bad_hex),
        cmocka_unit_test(test_incremental_equals_one_shot),
        cmocka_unit_test(test_hash_file_matches_b3sum),
        cmocka_unit_test(test_equal_and_zero),
        cmocka_unit_test(test_random_ids_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
