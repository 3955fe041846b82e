/*
 * hash.c — BLAKE3 content names (see hash.h).
 *
 * The BLAKE3 implementation is the official C one, compiled from the sources
 * Debian ships in librust-blake3-dev; this file only adapts it. Must never:
 * accept a hex string that is not exactly 64 digits as a full hash.
 */
#include "core/hash.h"

#include "blake3.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(blake3_hasher) <= sizeof(((reel_hasher *)0)->opaque),
               "reel_hasher too small for blake3_hasher");

void reel_hasher_init(reel_hasher *h)
{
    blake3_hasher_init((blake3_hasher *)h->opaque);
}

void reel_hasher_update(reel_hasher *h, const void *data, size_t len)
{
    blake3_hasher_update((blake3_hasher *)h->opaque, data, len);
}

void reel_hasher_final(const reel_hasher *h, reel_hash *out)
{
    blake3_hasher_finalize((const blake3_hasher *)h->opaque, out->b, REEL_HASH_BYTES);
}

void reel_hash_buf(const void *data, size_t len, reel_hash *out)
{
    reel_hasher h;
    reel_hasher_init(&h);
    reel_hasher_update(&h, data, len);
    reel_hasher_final(&h, out);
}

int reel_hash_file(const char *path, reel_hash *out, reel_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return reel_error_set(err, REEL_EIO, "cannot stat %s: %s", path, strerror(e));
    }
    reel_hasher h;
    reel_hasher_init(&h);
    if (st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
            reel_hasher_update(&h, map, (size_t)st.st_size);
            munmap(map, (size_t)st.st_size);
        } else {
            static const size_t bufsz = 1 << 20;
            uint8_t *buf = malloc(bufsz);
            if (!buf) {
                close(fd);
                return reel_error_set(err, REEL_ENOMEM, "out of memory hashing %s", path);
            }
            for (;;) {
                ssize_t n = read(fd, buf, bufsz);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0) {
                    int e = errno;
                    free(buf);
                    close(fd);
                    return reel_error_set(err, REEL_EIO, "cannot read %s: %s", path, strerror(e));
                }
                if (n == 0)
                    break;
                reel_hasher_update(&h, buf, (size_t)n);
            }
            free(buf);
        }
    }
    close(fd);
    reel_hasher_final(&h, out);
    return REEL_OK;
}

void reel_hash_to_hex(const reel_hash *h, char out[REEL_HASH_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < REEL_HASH_BYTES; i++) {
        out[2 * i] = digits[h->b[i] >> 4];
        out[2 * i + 1] = digits[h->b[i] & 15];
    }
    out[REEL_HASH_HEX] = '\0';
}

void reel_hash_to_string(const reel_hash *h, char out[REEL_HASH_HEX + 8])
{
    memcpy(out, REEL_HASH_PREFIX, 7);
    reel_hash_to_hex(h, out + 7);
}

int reel_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int reel_hash_from_hex(reel_hash *h, const char *s, reel_error *err)
{
    if (!s)
        return reel_error_set(err, REEL_EINVAL, "missing hash");
    if (strncmp(s, REEL_HASH_PREFIX, 7) == 0)
        s += 7;
    if (strlen(s) != REEL_HASH_HEX)
        return reel_error_set(err, REEL_EINVAL,
                              "not a BLAKE3 hash (want 64 hex digits): '%.80s'", s);
    for (int i = 0; i < REEL_HASH_BYTES; i++) {
        int hi = reel_hex_digit(s[2 * i]), lo = reel_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return reel_error_set(err, REEL_EINVAL, "not a hex digit in hash '%.80s'", s);
        h->b[i] = (uint8_t)(hi << 4 | lo);
    }
    return REEL_OK;
}

bool reel_hash_equal(const reel_hash *a, const reel_hash *b)
{
    return memcmp(a->b, b->b, REEL_HASH_BYTES) == 0;
}

bool reel_hash_is_zero(const reel_hash *h)
{
    static const reel_hash zero;
    return reel_hash_equal(h, &zero);
}

int reel_hash_random(reel_hash *out, reel_error *err)
{
    uint8_t seed[32];
    size_t got = 0;
    while (got < sizeof seed) {
        ssize_t n = getrandom(seed + got, sizeof seed - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return reel_error_set(err, REEL_EIO, "getrandom failed: %s", strerror(errno));
        got += (size_t)n;
    }
    reel_hash_buf(seed, sizeof seed, out);
    return REEL_OK;
}

int reel_hash_name_parse(const char *s, reel_hash *out, reel_error *err)
{
    size_t pl = strlen(REEL_HASH_PREFIX);
    if (strncmp(s, REEL_HASH_PREFIX, pl) != 0 || strlen(s) != pl + REEL_HASH_HEX)
        goto bad;
    for (size_t i = pl; i < pl + REEL_HASH_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            goto bad;
    return reel_hash_from_hex(out, s, err);
bad:
    return reel_error_set(err, REEL_EINVAL, "bad blob name (want blake3:<64 lowercase hex>)");
}
