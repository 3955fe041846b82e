/*
 * test_fault.c — the file-I/O seam (core/fault.h) and what the store does
 * when the disk fails under it: ENOSPC, EIO and short writes at write,
 * fsync, rename and fallocate, for a CAS put (buffer and file), a staging
 * chunk, a seal, a manifest save, a slice (materialized, --out, virtual)
 * and a recorder. Each failure must be REEL_EIO with a message naming the
 * file and the errno's text; nothing half-written may appear under a
 * content name; temporaries are removed; and what was stored before stays
 * byte-identical (b3sum) with `fsck` clean. Short writes must be absorbed
 * (the result is exact). Every case also checks the seam really fired
 * (reel_fault_injected), so a path that bypasses it fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "core/fault.h"
#include "core/fsutil.h"
#include "slice/slice.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CHUNK_FRAMES 1000
#define URI "stream://test/fault"

static int setup(void **state) { return test_tmpdir_setup(state, "fault"); }
static int teardown(void **state)
{
    unsetenv("REEL_FAULT"); /* even when a test failed half way */
    return test_tmpdir_teardown(state);
}

static reel_fault *fault_of(reel_store *st)
{
    return reel_cas_fault(reel_store_cas(st));
}

static void arm(reel_store *st, const char *spec)
{
    reel_error err = {0};
    if (reel_fault_arm(fault_of(st), spec, &err) != REEL_OK)
        fail_msg("arm %s: %s", spec, err.msg);
}

static void tmp_dir(reel_store *st, char *out)
{
    snprintf(out, PATH_MAX, "%s", reel_cas_tmp_dir(reel_store_cas(st)));
}

/* err must be REEL_EIO (REEL_ENOSPC for a full filesystem or quota) naming
 * `what` and the errno's text. */
#define assert_fails_naming(rc, err, what, errnum) \
    fails_naming(rc, err, what, errnum, __LINE__)
static void fails_naming(int rc, const reel_error *err, const char *what, int errnum, int line)
{
    int want = errnum == ENOSPC || errnum == EDQUOT ? REEL_ENOSPC : REEL_EIO;
    if (rc != want)
        fail_msg("line %d: want %s, got %d (%s)", line, reel_error_code_name(want), rc, err->msg);
    if (!strstr(err->msg, what))
        fail_msg("line %d: '%s' does not name '%s'", line, err->msg, what);
    if (!strstr(err->msg, strerror(errnum)))
        fail_msg("line %d: '%s' does not say '%s'", line, err->msg, strerror(errnum));
}

/* ---- the seam itself ----------------------------------------------------- */

static void test_spec_grammar(void **state)
{
    (void)state;
    reel_fault f;
    reel_error err = {0};
    assert_int_equal(reel_fault_arm(&f, "write:ENOSPC:after=3", &err), REEL_OK);
    assert_true(f.armed);
    assert_int_equal(f.n_rules, 1);
    assert_int_equal(f.rules[0].op, REEL_FAULT_WRITE);
    assert_int_equal(f.rules[0].errnum, ENOSPC);
    assert_true(f.rules[0].after == 3 && f.rules[0].times == 0);

    assert_int_equal(reel_fault_arm(&f, "write:short,fsync:EIO:times=1,rename:EXDEV,any:EROFS:"
                                        "after=7:times=2", &err), REEL_OK);
    assert_int_equal(f.n_rules, 4);
    assert_int_equal(f.rules[0].errnum, REEL_FAULT_SHORT);
    assert_int_equal(f.rules[1].op, REEL_FAULT_FSYNC);
    assert_true(f.rules[1].errnum == EIO && f.rules[1].times == 1);
    assert_true(f.rules[2].op == REEL_FAULT_RENAME && f.rules[2].errnum == EXDEV);
    assert_true(f.rules[3].op == REEL_FAULT_ANY && f.rules[3].errnum == EROFS);
    assert_true(f.rules[3].after == 7 && f.rules[3].times == 2);

    /* Empty: disarmed. */
    assert_int_equal(reel_fault_arm(&f, "", &err), REEL_OK);
    assert_false(f.armed);
    assert_int_equal(reel_fault_arm(&f, NULL, &err), REEL_OK);
    assert_false(reel_fault_on(&f));

    /* Every malformed spec is refused, naming what is wrong, and leaves
     * the context disarmed. */
    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"write", "want CALL:FAULT"},
        {"write:", "unknown fault ''"},
        {"scribble:EIO", "unknown call 'scribble'"},
        {"write:EPERM", "unknown fault 'EPERM'"},
        {"rename:short", "only write can be short"},
        {"write:EIO:after=x", "bad after="},
        {"write:EIO:after=", "unknown option 'after='"},
        {"write:EIO:times=0", "bad times="},
        {"write:EIO:every=2", "unknown option 'every=2'"},
        {"write:EIO,", "unknown call ''"},
        {"write:EIO,fsync:EIO,rename:EIO,fallocate:EIO,write:short", "at most 4 rules"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(reel_fault_arm(&f, "fsync:EIO", &err), REEL_OK);
        memset(&err, 0, sizeof err);
        if (reel_fault_arm(&f, bad[i].spec, &err) != REEL_EINVAL)
            fail_msg("'%s' was accepted", bad[i].spec);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].spec, err.msg, bad[i].says);
        assert_false(reel_fault_on(&f));
    }
}

static void test_counting(void **state)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/f", (const char *)*state);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    reel_fault f;
    reel_error err = {0};

    /* The third write fails, once; the others go through untouched. */
    assert_int_equal(reel_fault_arm(&f, "write:ENOSPC:after=2:times=1", &err), REEL_OK);
    assert_int_equal(reel_io_write(&f, fd, "abc", 3), 3);
    assert_int_equal(reel_io_pwrite(&f, fd, "def", 3, 3), 3);
    assert_int_equal(lseek(fd, 6, SEEK_SET), 6);
    errno = 0;
    assert_int_equal(reel_io_write(&f, fd, "ghi", 3), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(reel_io_write(&f, fd, "jkl", 3), 3);
    /* Other calls are not writes. */
    assert_int_equal(reel_io_fsync(&f, fd), 0);
    assert_int_equal(reel_fault_injected(&f), 1);
    char got[16] = "";
    assert_int_equal(pread(fd, got, sizeof got, 0), 9);
    assert_memory_equal(got, "abcdefjkl", 9);

    /* Short: half of what was asked; one byte is left alone. */
    assert_int_equal(reel_fault_arm(&f, "write:short", &err), REEL_OK);
    assert_int_equal(reel_io_write(&f, fd, "0123456789", 10), 5);
    assert_int_equal(reel_io_write(&f, fd, "z", 1), 1);
    assert_int_equal(reel_io_pwrite(&f, fd, "0123456", 7, 0), 3);
    assert_int_equal(reel_fault_injected(&f), 2);

    /* fsync, rename, fallocate, any. */
    assert_int_equal(reel_fault_arm(&f, "fsync:EIO,rename:EROFS:after=1", &err), REEL_OK);
    errno = 0;
    assert_int_equal(reel_io_fdatasync(&f, fd), -1);
    assert_int_equal(errno, EIO);
    char p2[PATH_MAX], p3[PATH_MAX];
    snprintf(p2, sizeof p2, "%s/g", (const char *)*state);
    snprintf(p3, sizeof p3, "%s/h", (const char *)*state);
    assert_int_equal(reel_io_rename(&f, path, p2), 0);
    errno = 0;
    assert_int_equal(reel_io_rename(&f, p2, p3), -1);
    assert_int_equal(errno, EROFS);
    assert_int_equal(access(p2, F_OK), 0); /* the failed rename did nothing */
    assert_int_equal(reel_fault_arm(&f, "fallocate:ENOSPC", &err), REEL_OK);
    assert_int_equal(reel_io_fallocate(&f, fd, 0, 4096), ENOSPC);
    assert_int_equal(reel_fault_arm(&f, "any:EDQUOT:after=1", &err), REEL_OK);
    assert_int_equal(reel_io_fallocate(&f, fd, 0, 4096), 0);
    errno = 0;
    assert_int_equal(reel_io_write(&f, fd, "x", 1), -1);
    assert_int_equal(errno, EDQUOT);
    assert_int_equal(reel_io_fsync(&f, fd), -1);

    /* Unarmed and NULL contexts are the plain system calls. */
    reel_fault_disarm(&f);
    assert_int_equal(reel_io_write(&f, fd, "abc", 3), 3);
    assert_int_equal(reel_io_write(NULL, fd, "abc", 3), 3);
    assert_int_equal(reel_io_fsync(NULL, fd), 0);
    assert_int_equal(reel_fault_injected(&f), 0);
    assert_int_equal(reel_fault_injected(NULL), 0);
    close(fd);
}

/* REEL_FAULT arms every store opened while it is set; a bad spec is an
 * error at open; unset, nothing is armed. */
static void test_store_open_reads_env(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    assert_false(reel_fault_on(fault_of(st)));
    reel_store_close(st);

    assert_int_equal(setenv("REEL_FAULT", "write:ENOSPC:after=9", 1), 0);
    st = tsu_open_store(dir);
    assert_true(reel_fault_on(fault_of(st)));
    assert_true(fault_of(st)->rules[0].after == 9);
    reel_store_close(st);

    assert_int_equal(setenv("REEL_FAULT", "write:ENOSPACE", 1), 0);
    reel_error err = {0};
    st = NULL;
    assert_int_equal(reel_store_open(&st, dir, false, &err), REEL_EINVAL);
    assert_null(st);
    assert_non_null(strstr(err.msg, "REEL_FAULT"));
    assert_non_null(strstr(err.msg, "ENOSPACE"));
    assert_int_equal(unsetenv("REEL_FAULT"), 0);
}

/* ---- CAS ------------------------------------------------------------------ */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static void test_cas_put_buf(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_cas *cas = reel_store_cas(st);
    char scratch[PATH_MAX], tmp[PATH_MAX];
    snprintf(scratch, sizeof scratch, "%s/scratch", dir);
    tmp_dir(st, tmp);
    reel_error err = {0};

    /* Stored before any fault: must survive everything below. */
    static uint8_t a[70000], b[90000];
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 2);
    reel_hash ha, hb;
    assert_int_equal(reel_cas_put_buf(cas, a, sizeof a, &ha, &err), REEL_OK);
    char want_a[REEL_HASH_HEX + 1], want_b[REEL_HASH_HEX + 1], hex[REEL_HASH_HEX + 1];
    tsu_b3sum_buf(scratch, a, sizeof a, want_a);
    tsu_b3sum_buf(scratch, b, sizeof b, want_b);
    tsu_hex(&ha, hex);
    assert_string_equal(hex, want_a);

    static const struct {
        const char *spec, *names;
        int errnum;
    } cases[] = {
        {"write:ENOSPC", "/cas/tmp/put-", ENOSPC},
        {"write:EIO:after=0:times=1", "/cas/tmp/put-", EIO},
        {"write:short:times=1,write:ENOSPC:after=1", "/cas/tmp/put-", ENOSPC}, /* short, then full */
        {"fsync:EIO", "/cas/tmp/put-", EIO},
        {"rename:EIO", "into the store as", EIO},
        {"rename:ENOSPC", "/cas/content/blake3/", ENOSPC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arm(st, cases[i].spec);
        memset(&err, 0, sizeof err);
        reel_hash got;
        int rc = reel_cas_put_buf(cas, b, sizeof b, &got, &err);
        assert_fails_naming(rc, &err, cases[i].names, cases[i].errnum);
        assert_true(reel_fault_injected(fault_of(st)) >= 1);
        reel_hash_buf(b, sizeof b, &got);
        assert_false(reel_cas_has(cas, &got)); /* no half-written blob */
        assert_int_equal(tsu_count_files(tmp), 0); /* no temporary left */
    }

    /* A failure after the rename (the directory's fsync): the blob is
     * complete and correct, never partial. The shard exists now (the
     * rename cases above made it), so fsync #0 is the file's, #1 the
     * directory's after the rename. */
    arm(st, "fsync:EIO:after=1");
    assert_fails_naming(reel_cas_put_buf(cas, b, sizeof b, &hb, &err), &err,
                        "cannot fsync directory", EIO);
    reel_hash_buf(b, sizeof b, &hb);
    assert_true(reel_cas_has(cas, &hb));
    assert_int_equal(reel_cas_verify(cas, &hb, &err), REEL_OK);
    tsu_b3sum_blob(st, &hb, hex);
    assert_string_equal(hex, want_b);

    /* Short writes are absorbed: the stored bytes are exact. */
    static uint8_t c[123457];
    fill(c, sizeof c, 3);
    char want_c[REEL_HASH_HEX + 1];
    tsu_b3sum_buf(scratch, c, sizeof c, want_c);
    arm(st, "write:short");
    reel_hash hc;
    assert_int_equal(reel_cas_put_buf(cas, c, sizeof c, &hc, &err), REEL_OK);
    assert_true(reel_fault_injected(fault_of(st)) >= 10); /* halving 123457 bytes */
    tsu_b3sum_blob(st, &hc, hex);
    assert_string_equal(hex, want_c);

    /* A rename across filesystems (EXDEV) falls back to a copy: the blob
     * is read-only, exact, and the staging copy is gone. */
    static uint8_t d[40000];
    fill(d, sizeof d, 4);
    char want_d[REEL_HASH_HEX + 1];
    tsu_b3sum_buf(scratch, d, sizeof d, want_d);
    arm(st, "rename:EXDEV:times=1");
    reel_hash hd;
    assert_int_equal(reel_cas_put_buf(cas, d, sizeof d, &hd, &err), REEL_OK);
    assert_int_equal(reel_fault_injected(fault_of(st)), 1);
    tsu_b3sum_blob(st, &hd, hex);
    assert_string_equal(hex, want_d);
    char path[PATH_MAX];
    reel_cas_content_path(cas, &hd, path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0444);
    assert_int_equal(tsu_count_files(tmp), 0);

    /* ... and that copy failing on a full disk leaves nothing in content:
     * neither the blob nor the copy's temporary beside it. */
    static uint8_t e[40000];
    fill(e, sizeof e, 5);
    reel_hash he;
    reel_hash_buf(e, sizeof e, &he);
    arm(st, "rename:EXDEV:times=1,write:ENOSPC:after=1");
    reel_cas_content_path(cas, &he, path);
    assert_fails_naming(reel_cas_put_buf(cas, e, sizeof e, &he, &err), &err, path, ENOSPC);
    assert_false(reel_cas_has(cas, &he));
    char shard[PATH_MAX];
    reel_fs_dirname(path, shard, sizeof shard);
    assert_int_equal(tsu_count_files(shard), 0);
    assert_int_equal(tsu_count_files(tmp), 0);

    /* What was stored before is untouched. */
    reel_fault_disarm(fault_of(st));
    tsu_b3sum_blob(st, &ha, hex);
    assert_string_equal(hex, want_a);
    assert_int_equal(reel_cas_verify(cas, &ha, &err), REEL_OK);
    reel_store_close(st);
}

static void test_cas_put_file(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_cas *cas = reel_store_cas(st);
    char src[PATH_MAX], tmp[PATH_MAX], hex[REEL_HASH_HEX + 1], want[REEL_HASH_HEX + 1];
    snprintf(src, sizeof src, "%s/input.bin", dir);
    tmp_dir(st, tmp);
    size_t n = 3 * 1024 * 1024 + 17;
    uint8_t *data = malloc(n);
    assert_non_null(data);
    fill(data, n, 9);
    FILE *fp = fopen(src, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    tsu_b3sum_file(src, want);
    reel_hash h;
    reel_hash_buf(data, n, &h);
    reel_error err = {0};

    static const struct {
        const char *spec;
        int errnum;
    } cases[] = {
        {"write:ENOSPC", ENOSPC},                        /* copy_file_range */
        {"write:short:times=2,write:EIO:after=2", EIO},        /* short, then failing */
        {"write:EXDEV:times=1,write:ENOSPC:after=2", ENOSPC}, /* the pread/pwrite copy */
        {"fsync:EIO", EIO},                              /* fdatasync */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arm(st, cases[i].spec);
        memset(&err, 0, sizeof err);
        reel_hash got;
        int rc = reel_cas_put_file(cas, src, &got, &err);
        assert_fails_naming(rc, &err, "/cas/tmp/put-", cases[i].errnum);
        assert_non_null(strstr(err.msg, src)); /* and the file being stored */
        assert_true(reel_fault_injected(fault_of(st)) >= 1);
        assert_false(reel_cas_has(cas, &h));
        assert_int_equal(tsu_count_files(tmp), 0);
    }

    /* Short transfers, through copy_file_range and through the fallback
     * copy (pwrite used to be taken for failed when it wrote less than
     * asked): exact either way. */
    static const char *const ok[] = {"write:short", "write:EXDEV:times=1,write:short"};
    for (size_t i = 0; i < 2; i++) {
        arm(st, ok[i]);
        reel_hash got;
        if (reel_cas_put_file(cas, src, &got, &err) != REEL_OK)
            fail_msg("%s: %s", ok[i], err.msg);
        assert_true(reel_fault_injected(fault_of(st)) >= 3);
        assert_true(reel_hash_equal(&got, &h));
        tsu_b3sum_blob(st, &got, hex);
        assert_string_equal(hex, want);
        reel_fault_disarm(fault_of(st));
        char path[PATH_MAX];
        reel_cas_content_path(cas, &got, path);
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(unlink(path), 0); /* so the next put copies again */
    }
    free(data);
    reel_store_close(st);
}

/* A staging chunk is allocated for real: on a full disk creating it
 * fails (a sparse file would turn the engine's first write past the end
 * of free space into SIGBUS on the realtime thread). A filesystem that
 * cannot allocate at all still gets a sized file. */
static void test_staging_allocation(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_cas *cas = reel_store_cas(st);
    reel_error err = {0};
    reel_hash id;
    int fd = -1;
    arm(st, "fallocate:ENOSPC");
    assert_fails_naming(reel_cas_staging_create(cas, 1 << 20, &id, &fd, &err), &err,
                        "/cas/staging/blake3/", ENOSPC);
    char path[PATH_MAX];
    reel_cas_staging_path(cas, &id, path);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(reel_fault_injected(fault_of(st)), 1);

    arm(st, "fallocate:EOPNOTSUPP");
    assert_int_equal(reel_cas_staging_create(cas, 1 << 20, &id, &fd, &err), REEL_OK);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    assert_true(sb.st_size == 1 << 20);
    close(fd);
    reel_store_close(st);
}

/* A seal whose fsync or rename fails keeps the staging file (the bytes
 * are not lost) and makes no content; once the disk is back it seals. */
static void test_seal(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_cas *cas = reel_store_cas(st);
    reel_error err = {0};
    char scratch[PATH_MAX], hex[REEL_HASH_HEX + 1], want[REEL_HASH_HEX + 1];
    snprintf(scratch, sizeof scratch, "%s/scratch", dir);
    static uint8_t bytes[5000];
    fill(bytes, sizeof bytes, 7);
    tsu_b3sum_buf(scratch, bytes, sizeof bytes, want);
    reel_hash id;
    int fd;
    assert_int_equal(reel_cas_staging_create(cas, 8192, &id, &fd, &err), REEL_OK);
    assert_int_equal(pwrite(fd, bytes, sizeof bytes, 0), (ssize_t)sizeof bytes);
    close(fd);
    char spath[PATH_MAX];
    reel_cas_staging_path(cas, &id, spath);

    const struct {
        const char *spec, *names;
        int errnum;
    } cases[] = {
        {"fsync:EIO", "cannot fsync", EIO},
        {"rename:EIO", spath, EIO},
        {"rename:ENOSPC", "/cas/content/blake3/", ENOSPC},
    };
    reel_hash h;
    reel_hash_buf(bytes, sizeof bytes, &h);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arm(st, cases[i].spec);
        reel_hash got;
        assert_fails_naming(reel_cas_seal(cas, &id, sizeof bytes, NULL, &got, &err), &err,
                            cases[i].names, cases[i].errnum);
        assert_false(reel_cas_has(cas, &h));
        tsu_b3sum_file(spath, hex); /* truncated to its length, bytes intact */
        assert_string_equal(hex, want);
        /* Still writable: recovery opens it read-write to seal it (the
         * move makes it read-only first and must undo that). */
        struct stat sb;
        assert_int_equal(stat(spath, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0644);
    }
    reel_fault_disarm(fault_of(st));
    reel_hash got;
    assert_int_equal(reel_cas_seal(cas, &id, sizeof bytes, NULL, &got, &err), REEL_OK);
    tsu_hex(&got, hex);
    assert_string_equal(hex, want);
    assert_int_equal(access(spath, F_OK), -1);
    reel_store_close(st);
}

/* ---- manifest --------------------------------------------------------------- */

static void add_chunk(reel_manifest *m, uint64_t first, uint64_t frames, uint32_t seed)
{
    reel_chunk_entry e;
    memset(&e, 0, sizeof e);
    e.sealed = true;
    uint8_t b[8];
    fill(b, sizeof b, seed);
    reel_hash_buf(b, sizeof b, &e.hash);
    e.first_frame = first;
    e.frames = frames;
    e.bytes = frames * FB;
    e.clock.frame = first;
    e.clock.wall_ns = 1700000000000000000LL + (int64_t)first * 20833;
    reel_error err = {0};
    assert_int_equal(reel_manifest_add_chunk(m, &e, &err), REEL_OK);
    reel_manifest_update_totals(m);
}

static void test_manifest_save(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_cas *cas = reel_store_cas(st);
    reel_error err = {0};
    char tmp[PATH_MAX];
    tmp_dir(st, tmp);
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CHUNK_FRAMES);
    reel_hash dh, id;
    memset(&dh, 0x5a, sizeof dh);
    assert_int_equal(reel_hash_random(&id, &err), REEL_OK);
    reel_manifest m;
    reel_manifest_init(&m, &def, &dh);
    add_chunk(&m, 0, 1000, 1);
    add_chunk(&m, 1000, 1000, 2);
    assert_int_equal(reel_manifest_save(&m, cas, &id, &err), REEL_OK);
    char path[PATH_MAX], before[REEL_HASH_HEX + 1], hex[REEL_HASH_HEX + 1];
    reel_cas_staging_path(cas, &id, path);
    tsu_b3sum_file(path, before);

    add_chunk(&m, 2000, 400, 3);
    static const struct {
        const char *spec;
        int errnum;
    } cases[] = {
        {"write:ENOSPC", ENOSPC},
        {"write:short:times=1,write:EIO:after=1", EIO},
        {"fsync:EIO", EIO},
        {"rename:EIO", EIO},
        {"rename:EROFS", EROFS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arm(st, cases[i].spec);
        memset(&err, 0, sizeof err);
        assert_fails_naming(reel_manifest_save(&m, cas, &id, &err), &err, path,
                            cases[i].errnum);
        assert_true(reel_fault_injected(fault_of(st)) >= 1);
        /* The old manifest is still there, byte for byte, and loads. */
        tsu_b3sum_file(path, hex);
        assert_string_equal(hex, before);
        reel_manifest back;
        assert_int_equal(reel_manifest_load(&back, cas, &id, &err), REEL_OK);
        assert_int_equal(back.n_tail, 2);
        assert_true(back.total_frames == 2000);
        reel_manifest_free(&back);
        assert_int_equal(tsu_count_files(tmp), 0);
    }
    /* A failing directory fsync comes after the rename: the new manifest
     * is complete (never a torn file) even though the save reports it. */
    arm(st, "fsync:EIO:after=1");
    assert_fails_naming(reel_manifest_save(&m, cas, &id, &err), &err, "cannot fsync directory",
                        EIO);
    reel_manifest back;
    assert_int_equal(reel_manifest_load(&back, cas, &id, &err), REEL_OK);
    assert_int_equal(back.n_tail, 3);
    reel_manifest_free(&back);

    /* Short writes: saved whole. */
    add_chunk(&m, 2400, 600, 4);
    arm(st, "write:short");
    assert_int_equal(reel_manifest_save(&m, cas, &id, &err), REEL_OK);
    assert_true(reel_fault_injected(fault_of(st)) >= 5);
    assert_int_equal(reel_manifest_load(&back, cas, &id, &err), REEL_OK);
    assert_int_equal(back.n_tail, 4);
    assert_true(back.total_frames == 3000);
    assert_true(back.tail[3].first_frame == 2400 && back.tail[3].frames == 600);
    reel_manifest_free(&back);
    reel_manifest_free(&m);
    reel_store_close(st);
}

/* ---- slices ------------------------------------------------------------------ */

static reel_slice_request frames_req(uint64_t from, uint64_t to)
{
    reel_slice_request q;
    memset(&q, 0, sizeof q);
    q.stream_uri = URI;
    q.from.kind = q.to.kind = REEL_TS_FRAME;
    q.from.frame = from;
    q.to.frame = to;
    q.format = REEL_OUT_WAV;
    q.format_given = true;
    return q;
}

static void test_slice(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_error err = {0};
    char tmp[PATH_MAX], hex[REEL_HASH_HEX + 1], out[PATH_MAX];
    tmp_dir(st, tmp);
    snprintf(out, sizeof out, "%s/take.wav", dir);
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CHUNK_FRAMES);
    const size_t frames = 5 * CHUNK_FRAMES + 300;
    float *in = tsu_make_input(frames * CH, 31);
    tsu_record(st, &def, in, frames);

    /* A slice stored before the faults. */
    reel_slice_request q = frames_req(700, 3900);
    reel_slice_result first;
    if (reel_slice(st, &q, &first, &err) != REEL_OK)
        fail_msg("slice: %s", err.msg);
    assert_int_equal(first.n_chunks, 4);
    char first_hex[REEL_HASH_HEX + 1];
    tsu_b3sum_blob(st, &first.content, first_hex);
    tsu_hex(&first.content, hex);
    assert_string_equal(hex, first_hex);
    int slices = tsu_count_artifacts(st, "type:slice");

    /* The render writes the header, then one write per chunk piece: the
     * copy to --out is the write after those. */
    char copy_spec[64];
    snprintf(copy_spec, sizeof copy_spec, "write:ENOSPC:after=%zu", 1 + first.n_chunks);
    static const struct {
        const char *spec;
        bool with_out;
        bool is_virtual;
        const char *names;
        int errnum;
    } cases[] = {
        {"write:ENOSPC", false, false, "/cas/tmp/slice-", ENOSPC},     /* the header */
        {"write:EIO:after=2", false, false, "/cas/tmp/slice-", EIO},   /* mid-frames */
        {"fsync:EIO", false, false, "/cas/tmp/slice-", EIO},           /* the file's fsync */
        {"rename:ENOSPC", false, false, "into the store as", ENOSPC},  /* into content */
        {NULL, true, false, NULL, ENOSPC},                             /* the --out copy */
        {"rename:EIO", true, false, NULL, EIO},                        /* --out's rename */
        {"write:ENOSPC", false, true, "/cas/tmp/put-", ENOSPC},        /* virtual: its JSON */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arm(st, cases[i].spec ? cases[i].spec : copy_spec);
        memset(&err, 0, sizeof err);
        reel_slice_request f = frames_req(700, 3901); /* 4 pieces, new content */
        f.is_virtual = cases[i].is_virtual;
        f.out_path = cases[i].with_out ? out : NULL;
        reel_slice_result res;
        int rc = reel_slice(st, &f, &res, &err);
        if (rc == REEL_OK)
            fail_msg("case %zu (%s) did not fail", i, cases[i].spec ? cases[i].spec : copy_spec);
        assert_fails_naming(rc, &err, cases[i].names ? cases[i].names : out, cases[i].errnum);
        assert_true(reel_fault_injected(fault_of(st)) >= 1);
        /* Nothing recorded, nothing left behind. */
        assert_int_equal(tsu_count_artifacts(st, "type:slice"), slices);
        assert_int_equal(tsu_count_artifacts(st, "type:virtual-slice"), 0);
        assert_int_equal(tsu_count_files(tmp), 0);
        assert_int_equal(access(out, F_OK), -1);
    }
    reel_fault_disarm(fault_of(st));
    /* The earlier slice and the stream are intact. */
    tsu_b3sum_blob(st, &first.content, hex);
    assert_string_equal(hex, first_hex);
    tsu_assert_fsck_clean(st);

    /* Short writes all the way: the same bytes as without. */
    reel_slice_result again;
    arm(st, "write:short");
    q.out_path = out;
    if (reel_slice(st, &q, &again, &err) != REEL_OK)
        fail_msg("slice with short writes: %s", err.msg);
    assert_true(reel_fault_injected(fault_of(st)) >= 5);
    assert_true(reel_hash_equal(&again.content, &first.content));
    tsu_b3sum_file(out, hex);
    assert_string_equal(hex, first_hex);
    free(in);
    reel_store_close(st);
}

/* ---- the recorder -------------------------------------------------------------- */

typedef struct recorded {
    reel_hash hash;
    char hex[REEL_HASH_HEX + 1];
} recorded;

/* The stream's chunks hold exactly in[0 .. frames) and each is named by
 * its b3sum. */
static void check_stream_holds(reel_store *st, const float *in, size_t frames)
{
    reel_error err = {0};
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "stopped");
    assert_true(v.manifest.total_frames == frames);
    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(&v.manifest, reel_store_cas(st), 0, frames, &c, &n,
                                             &err), REEL_OK);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].sealed);
        assert_true(c[i].first_frame == at);
        char path[PATH_MAX], hex[REEL_HASH_HEX + 1], want[REEL_HASH_HEX + 1];
        reel_cas_content_path(reel_store_cas(st), &c[i].hash, path);
        tsu_b3sum_file(path, want);
        tsu_hex(&c[i].hash, hex);
        assert_string_equal(hex, want);
        uint8_t *b = malloc(c[i].bytes + 1);
        assert_non_null(b);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(fread(b, 1, c[i].bytes + 1, fp), c[i].bytes);
        fclose(fp);
        assert_memory_equal(b, (const uint8_t *)in + at * FB, c[i].bytes);
        free(b);
        at += c[i].frames;
    }
    assert_true(at == frames);
    free(c);
    reel_stream_view_free(&v);
}

/* The close of a recording fails at its last seal: the error names the
 * file, the stream stays "recording" for crash recovery, and recovery,
 * once the disk is back, seals every frame. A stream recorded before is
 * byte-identical throughout. */
static void test_recorder_seal(void **state)
{
    const char *dir = *state;
    static const struct {
        const char *spec, *names;
        int errnum;
    } cases[] = {
        /* Close, final chunk: manifest save (write, fsync x2, rename),
         * then the seal (fdatasync, rename, fsync dir). */
        {"write:ENOSPC", "/cas/staging/blake3/", ENOSPC},
        {"rename:EIO:after=1", "into the store as", EIO},
        {"fsync:EIO:after=2", "cannot fsync /", EIO},
        {"rename:ENOSPC", "/cas/staging/blake3/", ENOSPC},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/s%zu", dir, k);
        reel_store *st = tsu_open_store(sub);
        reel_error err = {0};
        /* An earlier stream and a blob, kept byte for byte. */
        reel_stream_def other = tsu_audio_def("stream://test/before", RATE, CH, CHUNK_FRAMES);
        float *early = tsu_make_input(2500 * CH, 5);
        tsu_record(st, &other, early, 2500);
        reel_stream_view ov;
        assert_int_equal(reel_store_stream_open(st, other.uri, &ov, &err), REEL_OK);
        char before[REEL_HASH_HEX + 1], hex[REEL_HASH_HEX + 1];
        tsu_b3sum_blob(st, &ov.row.sealed_manifest, before);

        reel_stream_def def = tsu_audio_def(URI, RATE, CH, CHUNK_FRAMES);
        const size_t frames = 3 * CHUNK_FRAMES + 456;
        float *in = tsu_make_input(frames * CH, 77 + (uint32_t)k);
        reel_recorder *r = NULL;
        assert_int_equal(reel_recorder_open(&r, st, &def, &err), REEL_OK);
        assert_int_equal(tsu_feed(r, in, frames, FB, 64, 0, &err), REEL_OK);
        /* Every full chunk sealed before the fault: then the only seal in
         * close is the last one's. */
        int64_t until = reel_clock_mono_now() + 30000000000LL;
        reel_recorder_status rs;
        do {
            assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
            reel_recorder_get_status(r, &rs);
            assert_true(reel_clock_mono_now() < until);
        } while (rs.sealed < 3);
        arm(st, cases[k].spec);
        reel_cw_finish(reel_recorder_writer(r));
        memset(&err, 0, sizeof err);
        assert_fails_naming(reel_recorder_close(r, &err), &err, cases[k].names,
                            cases[k].errnum);
        assert_true(reel_fault_injected(fault_of(st)) >= 1);
        reel_fault_disarm(fault_of(st));

        reel_db_stream row;
        assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
        assert_string_equal(row.state, "recording");
        if (reel_recorder_recover(st, URI, &err) != REEL_OK)
            fail_msg("recover: %s", err.msg);
        /* The manifest was saved with the final chunk's exact length
         * before the seal, unless that save is what failed: then recovery
         * has the last head it saved, which may be short of the end. */
        reel_stream_view v;
        assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
        uint64_t held = v.manifest.total_frames;
        reel_stream_view_free(&v);
        if (strncmp(cases[k].spec, "rename:EIO:after=1", 18) == 0 ||
            strncmp(cases[k].spec, "fsync:EIO:after=2", 17) == 0)
            assert_true(held == frames);
        assert_true(held >= 3 * CHUNK_FRAMES && held <= frames);
        check_stream_holds(st, in, (size_t)held);

        tsu_b3sum_blob(st, &ov.row.sealed_manifest, hex);
        assert_string_equal(hex, before);
        reel_stream_view_free(&ov);
        tsu_assert_fsck_clean(st);
        free(in);
        free(early);
        reel_store_close(st);
    }
}

/* No room for the next chunk, file ingest: the preparer's ENOSPC comes out
 * of poll naming the staging file (nothing of a file is lost by stopping);
 * what was written so far is recovered. */
static void test_recorder_no_room_for_chunks(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_error err = {0};
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CHUNK_FRAMES);
    snprintf(def.device_identity, sizeof def.device_identity, "file:/in.wav");
    const size_t frames = 200 * CHUNK_FRAMES;
    float *in = tsu_make_input(frames * CH, 99);
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, st, &def, &err), REEL_OK);
    arm(st, "fallocate:ENOSPC");
    /* Feed until the recorder reports it; chunks prepared before the
     * fault still take frames meanwhile. */
    int rc = tsu_feed(r, in, frames, FB, 64, 0, &err);
    assert_fails_naming(rc, &err, "/cas/staging/blake3/", ENOSPC);
    assert_non_null(strstr(err.msg, "cannot allocate"));
    reel_recorder_status rs;
    reel_recorder_get_status(r, &rs);
    uint64_t written = rs.frames;
    assert_true(written < frames);
    reel_cw_finish(reel_recorder_writer(r));
    assert_int_equal(reel_recorder_close(r, &err), REEL_ENOSPC);
    reel_fault_disarm(fault_of(st));
    if (reel_recorder_recover(st, URI, &err) != REEL_OK)
        fail_msg("recover: %s", err.msg);
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
    uint64_t held = v.manifest.total_frames;
    reel_stream_view_free(&v);
    assert_true(held > 0 && held <= written);
    check_stream_holds(st, in, (size_t)held);
    tsu_assert_fsck_clean(st);
    free(in);
    reel_store_close(st);
}

/* No room for the next chunk, live source: not a failure. The full store is
 * told once (naming the staging file), the recorder keeps polling without
 * error, and once space returns it is told resumed and takes every frame:
 * nothing lost, the manifest counts the episode as a gap. */
static void test_recorder_waits_for_space(void **state)
{
    const char *dir = *state;
    reel_store *st = tsu_open_store(dir);
    reel_error err = {0};
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CHUNK_FRAMES);
    const size_t frames = 40 * CHUNK_FRAMES;
    float *in = tsu_make_input(frames * CH, 17);
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, st, &def, &err), REEL_OK);
    arm(st, "fallocate:ENOSPC");
    reel_error msg = {0};
    int n = 0;
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    /* The preparer finds the store full as it tops up after a chunk goes. */
    size_t pos = 0;
    while (n == 0) {
        if (reel_clock_mono_now() > until)
            fail_msg("the full store was never told");
        reel_chunk_writer *cw = reel_recorder_writer(r);
        if (pos < frames && reel_cw_room(cw) >= 64) {
            reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), pos);
            reel_cw_write(cw, (const uint8_t *)in + pos * FB, 64);
            pos += 64;
        }
        if (reel_recorder_poll(r, &err) != REEL_OK)
            fail_msg("poll failed on a full store: %s", err.msg);
        n = reel_recorder_take_notice(r, &msg);
    }
    assert_int_equal(n, REEL_RECORDER_NOTICE_FULL);
    assert_int_equal(msg.code, REEL_ENOSPC);
    assert_non_null(strstr(msg.msg, "/cas/staging/blake3/"));
    assert_non_null(strstr(msg.msg, strerror(ENOSPC)));
    assert_int_equal(reel_recorder_take_notice(r, &msg), 0); /* told once */
    reel_fault_disarm(fault_of(st));
    if (tsu_feed(r, (const uint8_t *)in + pos * FB, frames - pos, FB, 64, pos, &err) != REEL_OK)
        fail_msg("feed after space returned: %s", err.msg);
    until = reel_clock_mono_now() + 30000000000LL;
    while ((n = reel_recorder_take_notice(r, &msg)) == 0) {
        if (reel_clock_mono_now() > until)
            fail_msg("never told resumed");
        if (reel_recorder_poll(r, &err) != REEL_OK)
            fail_msg("poll: %s", err.msg);
    }
    assert_int_equal(n, REEL_RECORDER_NOTICE_RESUMED);
    assert_non_null(strstr(msg.msg, "resumed"));
    reel_cw_finish(reel_recorder_writer(r));
    reel_recorder_status fin;
    assert_int_equal(reel_recorder_close_status(r, &fin, &err), REEL_OK);
    assert_true(fin.frames == frames);
    assert_true(fin.overrun_frames == 0); /* the producer waited: nothing owed */
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
    assert_true(v.manifest.gaps == 1);
    reel_stream_view_free(&v);
    check_stream_holds(st, in, frames);
    tsu_assert_fsck_clean(st);
    free(in);
    reel_store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_spec_grammar),        T(test_counting),       T(test_store_open_reads_env),
        T(test_cas_put_buf),         T(test_cas_put_file),   T(test_staging_allocation),
        T(test_seal),                T(test_manifest_save),  T(test_slice),
        T(test_recorder_seal),       T(test_recorder_no_room_for_chunks), T(test_recorder_waits_for_space),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
