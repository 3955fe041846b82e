/*
 * base64.c — RFC 4648 base64 (see base64.h). Must never: read or write
 * outside the lengths it computed itself.
 */
#include "core/base64.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t reel_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

char *reel_base64_encode(const void *data, size_t n)
{
    if (n > (SIZE_MAX - 1) / 4 * 3 - 2)
        return NULL;
    const unsigned char *p = data;
    char *out = malloc(reel_base64_len(n) + 1);
    if (!out)
        return NULL;
    size_t k = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[k++] = ALPHABET[v >> 18];
        out[k++] = ALPHABET[(v >> 12) & 63];
        out[k++] = ALPHABET[(v >> 6) & 63];
        out[k++] = ALPHABET[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[k++] = ALPHABET[v >> 18];
        out[k++] = ALPHABET[(v >> 12) & 63];
        out[k++] = '=';
        out[k++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[k++] = ALPHABET[v >> 18];
        out[k++] = ALPHABET[(v >> 12) & 63];
        out[k++] = ALPHABET[(v >> 6) & 63];
        out[k++] = '=';
    }
    out[k] = '\0';
    return out;
}

static int digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int reel_base64_decode(const char *s, size_t len, unsigned char **out, size_t *n,
                       reel_error *err)
{
    *out = NULL;
    *n = 0;
    if (len % 4)
        return reel_error_set(err, REEL_EINVAL, "base64: length %zu is not a multiple of 4", len);
    size_t pad = 0;
    if (len && s[len - 1] == '=')
        pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
    unsigned char *b = malloc(len / 4 * 3 + 1);
    if (!b)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int d[4];
        for (int j = 0; j < 4; j++) {
            bool padded = last && j >= 4 - (int)pad;
            d[j] = padded ? 0 : digit(s[i + j]);
            if (d[j] < 0) {
                free(b);
                return reel_error_set(err, REEL_EINVAL, "base64: bad character at %zu",
                                      i + (size_t)j);
            }
        }
        uint32_t v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 |
                     (uint32_t)d[3];
        size_t take = last ? 3 - pad : 3;
        /* Canonical only: the bits a padding drops must be zero. */
        if ((take == 1 && (v & 0xffff)) || (take == 2 && (v & 0xff))) {
            free(b);
            return reel_error_set(err, REEL_EINVAL, "base64: non-canonical padding");
        }
        b[k++] = (unsigned char)(v >> 16);
        if (take > 1)
            b[k++] = (unsigned char)(v >> 8);
        if (take > 2)
            b[k++] = (unsigned char)v;
    }
    *out = b;
    *n = k;
    return REEL_OK;
}
