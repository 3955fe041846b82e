/*
 * test_cas.c — the content-addressed store: put (buffer and file) with
 * dedup, the read-only sharded layout, hash-prefix resolution, verified
 * get, verify, staging create/seal/remove, foreach, and opening.
 *
 * Each test opens a fresh store under $REEL_TEST_TMPDIR (or /tmp) and
 * removes it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "store/cas.h"
#include "core/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char dir[PATH_MAX];
    reel_cas *cas;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_tmpdir_make(f->dir, sizeof f->dir, "cas")) {
        free(f);
        return -1;
    }
    reel_error err = {0};
    if (reel_cas_open(&f->cas, f->dir, true, &err) != REEL_OK) {
        fprintf(stderr, "cas_open: %s\n", err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    reel_cas_close(f->cas);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Regular files anywhere under dir. */
static int n_files;
static int count_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)st;
    (void)ftw;
    if (flag == FTW_F)
        n_files++;
    return 0;
}

static int files_under(const fixture *f, const char *sub)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/cas/%s", f->dir, sub);
    n_files = 0;
    nftw(p, count_file, 16, FTW_PHYS);
    return n_files;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len)
        assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static void assert_content_file(const fixture *f, const reel_hash *h, const void *data,
                                size_t len)
{
    char hex[REEL_HASH_HEX + 1], want[PATH_MAX + 200], path[PATH_MAX];
    reel_hash_to_hex(h, hex);
    snprintf(want, sizeof want, "%s/cas/content/blake3/%.2s/%.2s/%s", f->dir, hex, hex + 2, hex);
    reel_cas_content_path(f->cas, h, path);
    assert_string_equal(path, want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0444);
    assert_int_equal((size_t)st.st_size, len);
    size_t got_len;
    uint8_t *got = read_file(path, &got_len);
    assert_int_equal(got_len, len);
    if (len)
        assert_memory_equal(got, data, len);
    free(got);
    reel_hash again;
    assert_int_equal(reel_hash_file(path, &again, NULL), REEL_OK);
    assert_true(reel_hash_equal(&again, h));
}

static uint8_t *pattern(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* ---- tests -------------------------------------------------------------- */

static void test_open_layout_and_missing(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX + 64];
    struct stat st;
    const char *dirs[] = {"cas/content/blake3", "cas/staging/blake3", "cas/tmp"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, dirs[i]);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
    }
    snprintf(p, sizeof p, "%s/cas/tmp", f->dir);
    assert_string_equal(reel_cas_tmp_dir(f->cas), p);

    /* Reopening an existing store without create works. */
    reel_cas *again = NULL;
    reel_error err = {0};
    assert_int_equal(reel_cas_open(&again, f->dir, false, &err), REEL_OK);
    reel_cas_close(again);

    /* A missing store is not created without `create`. */
    snprintf(p, sizeof p, "%s/nostore", f->dir);
    assert_int_equal(reel_cas_open(&again, p, false, &err), REEL_ENOENT);
    assert_int_equal(err.code, REEL_ENOENT);
    assert_int_equal(stat(p, &st), -1);
    /* Nor a partial one (tmp/ missing), and nothing is added to it. */
    snprintf(p, sizeof p, "%s/partial/cas/content/blake3", f->dir);
    assert_int_equal(reel_fs_mkdirs(p, &err), REEL_OK);
    snprintf(p, sizeof p, "%s/partial", f->dir);
    assert_int_equal(reel_cas_open(&again, p, false, &err), REEL_ENOENT);
    snprintf(p, sizeof p, "%s/partial/cas/tmp", f->dir);
    assert_int_equal(stat(p, &st), -1);
    snprintf(p, sizeof p, "%s/partial", f->dir);
    assert_int_equal(reel_cas_open(&again, p, true, &err), REEL_OK);
    reel_cas_close(again);
}

static void test_put_buf_layout_and_dedup(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash h1, h2, want;
    const char *text = "hello, content-addressed world\n";
    size_t len = strlen(text);

    reel_hash_buf(text, len, &want);
    assert_false(reel_cas_has(f->cas, &want));
    assert_int_equal(reel_cas_put_buf(f->cas, text, len, &h1, &err), REEL_OK);
    assert_true(reel_hash_equal(&h1, &want));
    assert_true(reel_cas_has(f->cas, &h1));
    assert_content_file(f, &h1, text, len);

    /* Dedup: the second put returns the same name and adds nothing. */
    assert_int_equal(reel_cas_put_buf(f->cas, text, len, &h2, &err), REEL_OK);
    assert_true(reel_hash_equal(&h1, &h2));
    assert_int_equal(files_under(f, "content"), 1);
    assert_int_equal(files_under(f, "tmp"), 0);

    /* The empty blob has the well-known empty hash. */
    assert_int_equal(reel_cas_put_buf(f->cas, "", 0, &h2, &err), REEL_OK);
    char hex[REEL_HASH_HEX + 1];
    reel_hash_to_hex(&h2, hex);
    assert_string_equal(hex, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    assert_content_file(f, &h2, "", 0);
    assert_int_equal(files_under(f, "content"), 2);
    /* out may be NULL. */
    assert_int_equal(reel_cas_put_buf(f->cas, "x", 1, NULL, &err), REEL_OK);
    assert_int_equal(files_under(f, "content"), 3);
}

static void test_put_file_and_dedup(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    char src[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/input.bin", f->dir);
    size_t len = 3 * 1024 * 1024 + 5;
    uint8_t *data = pattern(len, 7);
    write_file(src, data, len);

    reel_hash h1, h2, hb;
    assert_int_equal(reel_cas_put_file(f->cas, src, &h1, &err), REEL_OK);
    reel_hash_buf(data, len, &hb);
    assert_true(reel_hash_equal(&h1, &hb));
    assert_content_file(f, &h1, data, len);
    /* The source is left alone. */
    struct stat st;
    assert_int_equal(stat(src, &st), 0);
    assert_int_equal((size_t)st.st_size, len);

    /* put_file twice, and put_buf of the same bytes: one content file. */
    assert_int_equal(reel_cas_put_file(f->cas, src, &h2, &err), REEL_OK);
    assert_true(reel_hash_equal(&h1, &h2));
    assert_int_equal(reel_cas_put_buf(f->cas, data, len, &h2, &err), REEL_OK);
    assert_true(reel_hash_equal(&h1, &h2));
    assert_int_equal(files_under(f, "content"), 1);
    assert_int_equal(files_under(f, "tmp"), 0);

    /* Empty file. */
    write_file(src, "", 0);
    assert_int_equal(reel_cas_put_file(f->cas, src, &h2, &err), REEL_OK);
    assert_content_file(f, &h2, "", 0);

    /* Missing file, and a directory. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing", f->dir);
    assert_int_equal(reel_cas_put_file(f->cas, missing, &h2, &err), REEL_ENOENT);
    assert_int_equal(reel_cas_put_file(f->cas, f->dir, &h2, &err), REEL_EINVAL);
    assert_int_equal(files_under(f, "tmp"), 0);
    free(data);
}

static void test_ingest(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/made-here", reel_cas_tmp_dir(f->cas));
    write_file(tmp, "ingested bytes", 14);
    reel_hash h, want;
    reel_hash_buf("ingested bytes", 14, &want);
    assert_int_equal(reel_cas_ingest(f->cas, tmp, NULL, &h, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &want));
    assert_content_file(f, &h, "ingested bytes", 14);
    assert_int_equal(access(tmp, F_OK), -1);

    /* Ingesting existing content again drops the temporary (dedup). */
    write_file(tmp, "ingested bytes", 14);
    assert_int_equal(reel_cas_ingest(f->cas, tmp, &want, &h, &err), REEL_OK);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(files_under(f, "content"), 1);
}

/* Put a file with a chosen name straight into content/ (to craft hashes
 * sharing a prefix, which BLAKE3 would not give us). */
static void plant(const fixture *f, const char *hex)
{
    char dir[PATH_MAX + 64], path[PATH_MAX + 160];
    snprintf(dir, sizeof dir, "%s/cas/content/blake3/%.2s/%.2s", f->dir, hex, hex + 2);
    assert_int_equal(reel_fs_mkdirs(dir, NULL), REEL_OK);
    snprintf(path, sizeof path, "%s/%s", dir, hex);
    write_file(path, hex, strlen(hex));
}

static void test_resolve(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash h, got;
    assert_int_equal(reel_cas_put_buf(f->cas, "resolve me", 10, &h, &err), REEL_OK);
    char hex[REEL_HASH_HEX + 1], spec[128];
    reel_hash_to_hex(&h, hex);

    /* Full hash, with and without "blake3:". */
    assert_int_equal(reel_cas_resolve(f->cas, hex, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &got));
    snprintf(spec, sizeof spec, "blake3:%s", hex);
    memset(&got, 0, sizeof got);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &got));

    /* Prefixes of 8, 32 (hootenanny's ids) and 63 digits, upper case too. */
    const int lens[] = {8, 9, 32, 63};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        snprintf(spec, sizeof spec, "%.*s", lens[i], hex);
        memset(&got, 0, sizeof got);
        assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
        assert_true(reel_hash_equal(&h, &got));
        snprintf(spec, sizeof spec, "blake3:%.*s", lens[i], hex);
        assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
        assert_true(reel_hash_equal(&h, &got));
    }
    snprintf(spec, sizeof spec, "%.8s", hex);
    for (char *c = spec; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &got));

    /* Too short, too long, not hex, empty, NULL. */
    snprintf(spec, sizeof spec, "%.7s", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_EINVAL);
    snprintf(spec, sizeof spec, "blake3:%.7s", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_EINVAL);
    snprintf(spec, sizeof spec, "%s0", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_EINVAL);
    assert_int_equal(reel_cas_resolve(f->cas, "zzzzzzzz", &got, &err), REEL_EINVAL);
    assert_int_equal(reel_cas_resolve(f->cas, "", &got, &err), REEL_EINVAL);
    assert_int_equal(reel_cas_resolve(f->cas, NULL, &got, &err), REEL_EINVAL);

    /* Unknown: full hash and prefix (same shard and other shard). */
    char other[REEL_HASH_HEX + 1];
    memcpy(other, hex, sizeof other);
    other[63] = other[63] == '0' ? '1' : '0';
    assert_int_equal(reel_cas_resolve(f->cas, other, &got, &err), REEL_ENOENT);
    snprintf(spec, sizeof spec, "%.7s%c", hex, hex[7] == '0' ? '1' : '0');
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_ENOENT);
    snprintf(spec, sizeof spec, "%c%.7s", hex[0] == '0' ? '1' : '0', hex + 1);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_ENOENT);
    assert_int_equal(err.code, REEL_ENOENT);

    /* Ambiguous: a second name sharing the first 40 digits. */
    char twin[REEL_HASH_HEX + 1];
    memcpy(twin, hex, sizeof twin);
    for (int i = 40; i < REEL_HASH_HEX; i++)
        twin[i] = hex[i] == 'f' ? 'e' : 'f';
    plant(f, twin);
    snprintf(spec, sizeof spec, "%.8s", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_EAMBIG);
    assert_int_equal(err.code, REEL_EAMBIG);
    assert_true(err.msg[0] != '\0');
    snprintf(spec, sizeof spec, "%.40s", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_EAMBIG);
    /* One more digit tells them apart, and full names still work. */
    snprintf(spec, sizeof spec, "%.41s", hex);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &got));
    snprintf(spec, sizeof spec, "%.41s", twin);
    assert_int_equal(reel_cas_resolve(f->cas, spec, &got, &err), REEL_OK);
    reel_hash_to_hex(&got, other);
    assert_string_equal(other, twin);
    assert_int_equal(reel_cas_resolve(f->cas, hex, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &got));
}

static void test_get_and_verify(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    size_t len = 200000;
    uint8_t *data = pattern(len, 99);
    reel_hash h;
    assert_int_equal(reel_cas_put_buf(f->cas, data, len, &h, &err), REEL_OK);
    assert_int_equal(reel_cas_verify(f->cas, &h, &err), REEL_OK);

    char out[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/out.bin", f->dir);
    assert_int_equal(reel_cas_get(f->cas, &h, out, &err), REEL_OK);
    size_t got_len;
    uint8_t *got = read_file(out, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    free(got);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(unlink(out), 0);

    /* open_content gives the bytes. */
    int fd = -1;
    assert_int_equal(reel_cas_open_content(f->cas, &h, &fd, &err), REEL_OK);
    uint8_t head[16];
    assert_int_equal(read(fd, head, sizeof head), (ssize_t)sizeof head);
    assert_memory_equal(head, data, sizeof head);
    /* Content is never writable through the store. */
    assert_int_equal(write(fd, "x", 1), -1);
    close(fd);

    /* Corrupt one byte in the middle (the file is read-only: chmod first). */
    char path[PATH_MAX];
    reel_cas_content_path(f->cas, &h, path);
    assert_int_equal(chmod(path, 0644), 0);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b = data[len / 2] ^ 0x01;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)(len / 2)), 1);
    close(fd);
    assert_int_equal(chmod(path, 0444), 0);

    memset(&err, 0, sizeof err);
    assert_int_equal(reel_cas_verify(f->cas, &h, &err), REEL_ECORRUPT);
    assert_int_equal(err.code, REEL_ECORRUPT);
    assert_int_equal(reel_cas_get(f->cas, &h, out, &err), REEL_ECORRUPT);
    assert_int_equal(access(out, F_OK), -1); /* no output file left */
    /* Nor a temporary next to it. */
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        assert_true(strncmp(e->d_name, ".reel", 5) != 0);
    closedir(d);

    /* Missing content. */
    reel_hash none;
    reel_hash_buf("never stored", 12, &none);
    assert_int_equal(reel_cas_verify(f->cas, &none, &err), REEL_ENOENT);
    assert_int_equal(reel_cas_get(f->cas, &none, out, &err), REEL_ENOENT);
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(reel_cas_open_content(f->cas, &none, &fd, &err), REEL_ENOENT);
    free(data);
}

static void test_staging_create_allocates(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash id1, id2;
    int fd1 = -1, fd2 = -1;
    const uint64_t size = 1 << 20;
    assert_int_equal(reel_cas_staging_create(f->cas, size, &id1, &fd1, &err), REEL_OK);
    assert_int_equal(reel_cas_staging_create(f->cas, size, &id2, &fd2, &err), REEL_OK);
    assert_false(reel_hash_equal(&id1, &id2));

    char path[PATH_MAX], want[PATH_MAX + 200], hex[REEL_HASH_HEX + 1];
    reel_cas_staging_path(f->cas, &id1, path);
    reel_hash_to_hex(&id1, hex);
    snprintf(want, sizeof want, "%s/cas/staging/blake3/%.2s/%.2s/%s", f->dir, hex, hex + 2, hex);
    assert_string_equal(path, want);

    struct stat st;
    assert_int_equal(fstat(fd1, &st), 0);
    assert_int_equal((uint64_t)st.st_size, size);
    /* Allocated, not sparse. */
    assert_true((uint64_t)st.st_blocks * 512 >= size);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mode & S_IWUSR);
    /* The fd is read-write. */
    assert_int_equal(pwrite(fd1, "abc", 3, 10), 3);
    close(fd1);
    close(fd2);
    assert_int_equal(files_under(f, "staging"), 2);
    assert_int_equal(files_under(f, "content"), 0);

    /* Zero-size staging file (live manifests grow later). */
    int fd3;
    reel_hash id3;
    assert_int_equal(reel_cas_staging_create(f->cas, 0, &id3, &fd3, &err), REEL_OK);
    assert_int_equal(fstat(fd3, &st), 0);
    assert_int_equal(st.st_size, 0);
    close(fd3);
}

static void test_seal_truncates_to_exact_length(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash id, h, want;
    int fd;
    const size_t cap = 65536, used = 12345;
    uint8_t *data = pattern(cap, 5);
    assert_int_equal(reel_cas_staging_create(f->cas, cap, &id, &fd, &err), REEL_OK);
    assert_int_equal(pwrite(fd, data, cap, 0), (ssize_t)cap);
    close(fd);

    assert_int_equal(reel_cas_seal(f->cas, &id, used, NULL, &h, &err), REEL_OK);
    reel_hash_buf(data, used, &want);
    assert_true(reel_hash_equal(&h, &want));
    assert_content_file(f, &h, data, used);
    char path[PATH_MAX];
    reel_cas_staging_path(f->cas, &id, path);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(files_under(f, "staging"), 0);

    /* UINT64_MAX keeps the size; a `known` hash is trusted as the name. */
    assert_int_equal(reel_cas_staging_create(f->cas, 100, &id, &fd, &err), REEL_OK);
    assert_int_equal(pwrite(fd, data, 100, 0), 100);
    close(fd);
    reel_hash_buf(data, 100, &want);
    assert_int_equal(reel_cas_seal(f->cas, &id, UINT64_MAX, &want, &h, &err), REEL_OK);
    assert_true(reel_hash_equal(&h, &want));
    assert_content_file(f, &h, data, 100);

    /* Sealing to zero length gives the empty blob. */
    assert_int_equal(reel_cas_staging_create(f->cas, 4096, &id, &fd, &err), REEL_OK);
    close(fd);
    assert_int_equal(reel_cas_seal(f->cas, &id, 0, NULL, &h, &err), REEL_OK);
    assert_content_file(f, &h, "", 0);

    /* Sealing an id that is not in staging. */
    assert_int_equal(reel_cas_seal(f->cas, &id, 10, NULL, &h, &err), REEL_ENOENT);
    assert_int_equal(files_under(f, "staging"), 0);
    free(data);
}

static void test_seal_dedup(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash id1, id2, h1, h2;
    int fd;
    const char *text = "the same chunk twice";
    size_t len = strlen(text);
    assert_int_equal(reel_cas_staging_create(f->cas, 4096, &id1, &fd, &err), REEL_OK);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    assert_int_equal(reel_cas_staging_create(f->cas, 4096, &id2, &fd, &err), REEL_OK);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    assert_int_equal(files_under(f, "staging"), 2);

    assert_int_equal(reel_cas_seal(f->cas, &id1, len, NULL, &h1, &err), REEL_OK);
    assert_int_equal(reel_cas_seal(f->cas, &id2, len, NULL, &h2, &err), REEL_OK);
    assert_true(reel_hash_equal(&h1, &h2));
    assert_int_equal(files_under(f, "staging"), 0);
    assert_int_equal(files_under(f, "content"), 1);
    assert_content_file(f, &h1, text, len);
}

static void test_staging_remove(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_hash id;
    int fd;
    assert_int_equal(reel_cas_staging_create(f->cas, 512, &id, &fd, &err), REEL_OK);
    close(fd);
    char path[PATH_MAX];
    reel_cas_staging_path(f->cas, &id, path);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(reel_cas_staging_remove(f->cas, &id, &err), REEL_OK);
    assert_int_equal(access(path, F_OK), -1);
    /* Removing what is gone is not an error. */
    assert_int_equal(reel_cas_staging_remove(f->cas, &id, &err), REEL_OK);
    assert_int_equal(files_under(f, "staging"), 0);
}

typedef struct visit_log {
    reel_hash seen[64];
    int n;
    int stop_after; /* 0: never */
    const reel_cas *cas;
    int which;
    int bad_path;
} visit_log;

static int visit(const reel_hash *h, const char *path, void *ud)
{
    visit_log *v = ud;
    char want[PATH_MAX];
    if (v->which == 0)
        reel_cas_content_path(v->cas, h, want);
    else
        reel_cas_staging_path(v->cas, h, want);
    if (strcmp(want, path) != 0)
        v->bad_path++;
    if (v->n < 64)
        v->seen[v->n] = *h;
    v->n++;
    return v->stop_after && v->n >= v->stop_after ? 42 : 0;
}

static void test_foreach_visits_all(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    enum { N = 40 };
    reel_hash put[N];
    for (int i = 0; i < N; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "blob number %d", i);
        assert_int_equal(reel_cas_put_buf(f->cas, buf, (size_t)n, &put[i], &err), REEL_OK);
    }
    reel_hash sid[3];
    for (int i = 0; i < 3; i++) {
        int fd;
        assert_int_equal(reel_cas_staging_create(f->cas, 16, &sid[i], &fd, &err), REEL_OK);
        close(fd);
    }
    /* Junk that is not a content name must be skipped. */
    char junk[PATH_MAX + 64];
    snprintf(junk, sizeof junk, "%s/cas/content/blake3/zz", f->dir);
    assert_int_equal(reel_fs_mkdirs(junk, &err), REEL_OK);

    visit_log v = {.cas = f->cas, .which = 0};
    assert_int_equal(reel_cas_foreach(f->cas, 0, visit, &v, &err), 0);
    assert_int_equal(v.n, N);
    assert_int_equal(v.bad_path, 0);
    for (int i = 0; i < N; i++) {
        int hits = 0;
        for (int k = 0; k < v.n; k++)
            hits += reel_hash_equal(&put[i], &v.seen[k]);
        assert_int_equal(hits, 1);
    }

    visit_log s = {.cas = f->cas, .which = 1};
    assert_int_equal(reel_cas_foreach(f->cas, 1, visit, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.bad_path, 0);
    for (int i = 0; i < 3; i++) {
        int hits = 0;
        for (int k = 0; k < s.n; k++)
            hits += reel_hash_equal(&sid[i], &s.seen[k]);
        assert_int_equal(hits, 1);
    }

    /* A non-zero return stops the walk and is passed back. */
    visit_log stop = {.cas = f->cas, .which = 0, .stop_after = 5};
    assert_int_equal(reel_cas_foreach(f->cas, 0, visit, &stop, &err), 42);
    assert_int_equal(stop.n, 5);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_layout_and_missing),
        T(test_put_buf_layout_and_dedup),
        T(test_put_file_and_dedup),
        T(test_ingest),
        T(test_resolve),
        T(test_get_and_verify),
        T(test_staging_create_allocates),
        T(test_seal_truncates_to_exact_length),
        T(test_seal_dedup),
        T(test_staging_remove),
        T(test_foreach_visits_all),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
