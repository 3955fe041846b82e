/*
 * test_peaks.c — waveform summaries: peaks.c (decoding f32/i16/i24, bins on
 * the frame axis, folding in pieces equals folding at once, merging base
 * bins, peak magnitude) and peak_cache.c on a real CAS (a sealed chunk plus
 * a growing staging chunk that is then sealed: every answer equals a direct
 * scan of the same frames; the fine path; the chunk-read counter; the byte budget; a
 * staging chunk gone under the reader).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "surface/http/peak_cache.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CH 2

static float *noise(size_t frames, uint32_t seed, float amp)
{
    float *p = malloc(frames * CH * sizeof *p);
    assert_non_null(p);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < frames * CH; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = amp * (float)(int32_t)x / 2147483648.0f;
    }
    return p;
}

static void assert_bins_equal(const reel_peak_bins *a, const reel_peak_bins *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->origin, b->origin);
    assert_int_equal(a->width, b->width);
    for (size_t i = 0; i < a->n * a->channels; i++) {
        assert_true(a->min[i] == b->min[i]);
        assert_true(a->max[i] == b->max[i]);
    }
}

/* ---- peaks.c ------------------------------------------------------------------ */

static void test_formats(void **state)
{
    (void)state;
    reel_error err = {0};
    reel_peak_bins b;
    /* i16, 1 channel: -32768, 16384 | 100 */
    uint8_t i16[] = {0x00, 0x80, 0x00, 0x40, 100, 0};
    assert_int_equal(reel_peak_bins_init(&b, 1, 0, 2, 2, &err), REEL_OK);
    reel_peak_bins_scan(&b, i16, 0, 3, REEL_SAMPLE_I16);
    assert_true(b.min[0] == -1.0f && b.max[0] == 0.5f);
    assert_true(b.min[1] == 100.0f / 32768 && b.max[1] == 100.0f / 32768);
    reel_peak_bins_free(&b);
    /* i24: -8388608, 4194304, -1 */
    uint8_t i24[] = {0x00, 0x00, 0x80, 0x00, 0x00, 0x40, 0xff, 0xff, 0xff};
    assert_int_equal(reel_peak_bins_init(&b, 1, 0, 3, 1, &err), REEL_OK);
    reel_peak_bins_scan(&b, i24, 0, 3, REEL_SAMPLE_I24);
    assert_true(b.min[0] == -1.0f && b.max[0] == 0.5f);
    reel_peak_bins_free(&b);
    /* f32, 2 channels, a NaN is ignored, channels kept apart */
    float f[] = {0.25f, -0.5f, NAN, 0.75f, -0.125f, 0.0f};
    assert_int_equal(reel_peak_bins_init(&b, 2, 10, 4, 1, &err), REEL_OK);
    reel_peak_bins_scan(&b, (const uint8_t *)f, 10, 3, REEL_SAMPLE_F32);
    assert_true(b.min[0] == -0.125f && b.max[0] == 0.25f);
    assert_true(b.min[1] == -0.5f && b.max[1] == 0.75f);
    assert_true(reel_peak_bins_abs_max(&b, 1, 0, 100) == 0.75f);
    assert_true(reel_peak_bins_abs_max(&b, 0, 0, 100) == 0.25f);
    assert_true(reel_peak_bins_abs_max(&b, 0, 14, 100) == 0.0f); /* no bin there */
    reel_peak_bins_free(&b);
    assert_int_equal(reel_peak_bins_init(&b, 0, 0, 1, 1, &err), REEL_EINVAL);
    assert_int_equal(reel_peak_bins_init(&b, 1, 0, 0, 1, &err), REEL_EINVAL);
}

/* Bins at origin 3, width 7: frames before 3 and past the last bin are
 * skipped; any split of the input gives the same bins. */
static void test_pieces(void **state)
{
    (void)state;
    reel_error err = {0};
    size_t frames = 1000;
    float *x = noise(frames, 7, 1.0f);
    reel_peak_bins whole, parts;
    assert_int_equal(reel_peak_bins_init(&whole, CH, 3, 7, 100, &err), REEL_OK);
    assert_int_equal(reel_peak_bins_init(&parts, CH, 3, 7, 100, &err), REEL_OK);
    reel_peak_bins_scan(&whole, (const uint8_t *)x, 0, frames, REEL_SAMPLE_F32);
    size_t cuts[] = {0, 1, 2, 3, 9, 10, 11, 500, 701, 702, 1000};
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++)
        reel_peak_bins_scan(&parts, (const uint8_t *)(x + cuts[i] * CH), cuts[i],
                            cuts[i + 1] - cuts[i], REEL_SAMPLE_F32);
    assert_bins_equal(&whole, &parts);
    /* Bin 0 is frames 3..9; the last bin 99 (696..702) is full, frames past 703 skipped. */
    float mn = INFINITY, mx = -INFINITY;
    for (size_t f = 3; f < 10; f++) {
        mn = fminf(mn, x[f * CH]);
        mx = fmaxf(mx, x[f * CH]);
    }
    assert_true(whole.min[0] == mn && whole.max[0] == mx);
    mn = INFINITY;
    for (size_t f = 696; f < 703; f++)
        mn = fminf(mn, x[f * CH + 1]);
    assert_true(whole.min[99 * CH + 1] == mn);
    reel_peak_bins_free(&whole);
    reel_peak_bins_free(&parts);
    free(x);
}

/* Base bins merged into aligned coarser bins equal a direct scan. */
static void test_merge(void **state)
{
    (void)state;
    reel_error err = {0};
    size_t frames = 64 * 40;
    float *x = noise(frames, 11, 0.5f);
    reel_peak_bins base, coarse, direct;
    assert_int_equal(reel_peak_bins_init(&base, CH, 0, 64, 40, &err), REEL_OK);
    assert_int_equal(reel_peak_bins_init(&coarse, CH, 640, 256, 5, &err), REEL_OK);
    assert_int_equal(reel_peak_bins_init(&direct, CH, 640, 256, 5, &err), REEL_OK);
    reel_peak_bins_scan(&base, (const uint8_t *)x, 0, frames, REEL_SAMPLE_F32);
    reel_peak_bins_merge(&coarse, &base, 0, frames);
    reel_peak_bins_scan(&direct, (const uint8_t *)x, 0, frames, REEL_SAMPLE_F32);
    assert_bins_equal(&coarse, &direct);
    /* Limited to [lo, hi): only base bins overlapping it count. */
    reel_peak_bins lim;
    assert_int_equal(reel_peak_bins_init(&lim, CH, 640, 256, 5, &err), REEL_OK);
    reel_peak_bins_merge(&lim, &base, 640, 896);
    assert_true(lim.min[0] == direct.min[0] && lim.max[1] == direct.max[1]);
    assert_true(lim.min[CH] > lim.max[CH]); /* bin 1 stayed empty */
    reel_peak_bins_free(&lim);
    reel_peak_bins_free(&base);
    reel_peak_bins_free(&coarse);
    reel_peak_bins_free(&direct);
    free(x);
}

/* ---- peak_cache.c ---------------------------------------------------------------- */

#define CHUNK 20000 /* frames per chunk */
#define TOTAL (CHUNK + 15000)

typedef struct fx {
    char dir[PATH_MAX];
    reel_cas *cas;
    reel_stream_view v;
    float *x;          /* every frame of the stream */
    reel_hash staging; /* the second chunk */
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    reel_error err = {0};
    if (!f || !test_tmpdir_make(f->dir, sizeof f->dir, "peaks") ||
        reel_cas_open(&f->cas, f->dir, true, &err))
        return -1;
    reel_stream_def *d = &f->v.def;
    snprintf(d->uri, sizeof d->uri, "stream://test/peaks");
    d->kind = REEL_STREAM_AUDIO;
    d->sample_rate = 48000;
    d->channels = CH;
    d->sample_format = REEL_SAMPLE_F32;
    d->chunk_size_bytes = CHUNK * CH * 4;
    reel_hash dh = {0};
    reel_manifest_init(&f->v.manifest, d, &dh);
    f->x = noise(TOTAL, 3, 0.9f);
    /* Chunk 0: sealed content. */
    reel_chunk_entry e = {.sealed = true, .first_frame = 0, .frames = CHUNK,
                          .bytes = CHUNK * CH * 4};
    if (reel_cas_put_buf(f->cas, f->x, e.bytes, &e.hash, &err) ||
        reel_manifest_add_chunk(&f->v.manifest, &e, &err))
        return -1;
    /* Chunk 1: a staging file, 3000 frames written so far. */
    int fd;
    if (reel_cas_staging_create(f->cas, d->chunk_size_bytes, &f->staging, &fd, &err))
        return -1;
    close(fd);
    reel_chunk_entry s = {.sealed = false, .hash = f->staging, .first_frame = CHUNK};
    if (reel_manifest_add_chunk(&f->v.manifest, &s, &err))
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    reel_manifest_free(&f->v.manifest);
    reel_cas_close(f->cas);
    test_tmpdir_remove(f->dir);
    free(f->x);
    free(f);
    return 0;
}

/* The staging chunk now holds `frames` frames (written, and in the manifest). */
static void grow(fx *f, uint64_t frames)
{
    char path[PATH_MAX];
    reel_cas_staging_path(f->cas, &f->staging, path);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    size_t fb = CH * 4;
    assert_int_equal(pwrite(fd, f->x + CHUNK * CH, frames * fb, 0), (ssize_t)(frames * fb));
    close(fd);
    reel_chunk_entry *e = reel_manifest_find_staging(&f->v.manifest, &f->staging);
    assert_non_null(e);
    e->frames = frames;
    e->bytes = frames * fb;
    reel_manifest_update_totals(&f->v.manifest);
}

/* The cache's answer for [from, to) in `bins` bins equals a direct scan. */
static void check_query(fx *f, reel_peak_cache *c, int64_t from, int64_t to, size_t bins)
{
    reel_error err = {0};
    reel_peak_bins got, want;
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, from, to, bins, &got, &err), REEL_OK);
    uint64_t head = f->v.manifest.total_frames;
    uint64_t lo = from < 0 ? 0 : (uint64_t)from, hi = (uint64_t)to > head ? head : (uint64_t)to;
    uint64_t width = (hi - lo + bins - 1) / bins;
    assert_int_equal(reel_peak_bins_init(&want, CH, lo, width, (hi - lo + width - 1) / width,
                                         &err),
                     REEL_OK);
    if (width >= REEL_PEAKS_BASE_FRAMES) {
        /* The cache folds whole base bins: scan the same frames. */
        uint64_t a = lo / REEL_PEAKS_BASE_FRAMES * REEL_PEAKS_BASE_FRAMES;
        uint64_t b = (hi + REEL_PEAKS_BASE_FRAMES - 1) / REEL_PEAKS_BASE_FRAMES *
                     REEL_PEAKS_BASE_FRAMES;
        b = b > head ? head : b;
        reel_peak_bins tmp;
        assert_int_equal(reel_peak_bins_init(&tmp, CH, 0, REEL_PEAKS_BASE_FRAMES,
                                             (b + REEL_PEAKS_BASE_FRAMES - 1) /
                                                 REEL_PEAKS_BASE_FRAMES,
                                             &err),
                         REEL_OK);
        reel_peak_bins_scan(&tmp, (const uint8_t *)(f->x + a * CH), a, b - a, REEL_SAMPLE_F32);
        reel_peak_bins_merge(&want, &tmp, lo, hi);
        reel_peak_bins_free(&tmp);
    } else {
        reel_peak_bins_scan(&want, (const uint8_t *)(f->x + lo * CH), lo, hi - lo,
                            REEL_SAMPLE_F32);
    }
    assert_bins_equal(&got, &want);
    reel_peak_bins_free(&got);
    reel_peak_bins_free(&want);
}

static reel_peak_cache *cache_open(size_t budget)
{
    reel_error err = {0};
    reel_peak_cache *c = NULL;
    assert_int_equal(reel_peak_cache_open(&c, budget, &err), REEL_OK);
    return c;
}

static void test_cache_live_then_sealed(void **state)
{
    fx *f = *state;
    reel_error err = {0};
    reel_peak_cache *c = cache_open(0);
    grow(f, 3000);
    check_query(f, c, 0, CHUNK + 3000, 10);      /* coarse: the cache */
    check_query(f, c, -5000, 1 << 30, 7);        /* clamped to what is held */
    check_query(f, c, 19000, CHUNK + 2000, 300); /* fine: straight from the chunks */
    size_t bytes = reel_peak_cache_bytes(c);
    assert_true(bytes > 0);
    /* The head advances: the staging summary grows, no new entry. */
    grow(f, 9000);
    check_query(f, c, 1000, CHUNK + 9000, 12);
    grow(f, 15000);
    check_query(f, c, 0, TOTAL, 25);
    assert_int_equal(reel_peak_cache_bytes(c), bytes);
    /* Sealed: same frames under a content name; the summary stays valid. */
    reel_chunk_entry *e = reel_manifest_find_staging(&f->v.manifest, &f->staging);
    reel_hash sealed;
    assert_int_equal(reel_cas_seal(f->cas, &f->staging, 15000 * CH * 4, NULL, &sealed, &err),
                     REEL_OK);
    e->sealed = true;
    e->hash = sealed;
    check_query(f, c, 0, TOTAL, 25);
    check_query(f, c, TOTAL - 1500, TOTAL, 1500); /* fine, from the sealed file */
    assert_int_equal(reel_peak_cache_bytes(c), bytes);
    /* Nothing held in the window: no bins. */
    reel_peak_bins b;
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, TOTAL, TOTAL + 100, 10, &b, &err),
                     REEL_OK);
    assert_int_equal(b.n, 0);
    reel_peak_bins_free(&b);
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, 0, 10, 0, &b, &err), REEL_EINVAL);
    reel_peak_cache_close(c);
}

/* The chunk-read counter (GET /api/debug): a coarse query reads each chunk
 * once, the same query again comes from the cache and reads none. */
static void test_chunk_reads(void **state)
{
    fx *f = *state;
    reel_error err = {0};
    reel_peak_cache *c = cache_open(0);
    grow(f, 5000);
    assert_int_equal(reel_peak_cache_chunk_reads(c), 0);
    reel_peak_bins b;
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, 0, CHUNK + 4096, 2, &b, &err),
                     REEL_OK);
    reel_peak_bins_free(&b);
    uint64_t first = reel_peak_cache_chunk_reads(c);
    assert_true(first >= 2);
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, 0, CHUNK + 4096, 2, &b, &err),
                     REEL_OK);
    reel_peak_bins_free(&b);
    assert_int_equal(reel_peak_cache_chunk_reads(c), first);
    reel_peak_cache_close(c);
}

/* A small budget keeps the cache small; the answers stay right. */
static void test_budget(void **state)
{
    fx *f = *state;
    reel_peak_cache *c = cache_open(600);
    grow(f, 15000);
    check_query(f, c, 0, TOTAL, 20);
    assert_true(reel_peak_cache_bytes(c) > 0 && reel_peak_cache_bytes(c) <= 600);
    check_query(f, c, 0, TOTAL, 20);
    reel_peak_cache_close(c);
}

/* A staging chunk that vanished (sealed meanwhile): REEL_ENOENT, so the
 * caller reopens its view. MIDI streams have no waveform. */
static void test_gone(void **state)
{
    fx *f = *state;
    reel_error err = {0};
    reel_peak_cache *c = cache_open(0);
    grow(f, 2000);
    assert_int_equal(reel_cas_staging_remove(f->cas, &f->staging, &err), REEL_OK);
    reel_peak_bins b;
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, 0, TOTAL, 10, &b, &err),
                     REEL_ENOENT);
    assert_null(b.min);
    f->v.def.kind = REEL_STREAM_MIDI;
    assert_int_equal(reel_peak_cache_query(c, f->cas, &f->v, 0, TOTAL, 10, &b, &err),
                     REEL_EFORMAT);
    f->v.def.kind = REEL_STREAM_AUDIO;
    reel_peak_cache_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_merge),
        cmocka_unit_test_setup_teardown(test_cache_live_then_sealed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_chunk_reads, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_budget, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_gone, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
