/*
 * test_retention.c — retention policies: the grammar (and its errors), the
 * canonical format, the per-chunk decision for age, size and count, and
 * applying a policy to a manifest with pages and a tail (positions kept,
 * dropped chunks counted, partial pages summarized and surviving a JSON
 * round trip, never the live or newest chunk). Also the hash set GC uses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/hash_set.h"
#include "store/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000LL
#define RATE 48000
#define CHUNK_FRAMES 4800
#define CHUNK_BYTES (CHUNK_FRAMES * 8)
#define WALL0 1763632800000000000LL

/* ---- grammar ------------------------------------------------------------ */

static void parse_ok(const char *s, int64_t age, uint64_t bytes, uint64_t chunks)
{
    reel_retention r;
    reel_error err = {0};
    assert_int_equal(reel_retention_parse(s, &r, &err), REEL_OK);
    assert_true(r.max_age_ns == age);
    assert_true(r.max_bytes == bytes);
    assert_true(r.max_chunks == chunks);
}

static void parse_bad(const char *s, const char *needle)
{
    reel_retention r;
    reel_error err = {0};
    assert_int_equal(reel_retention_parse(s, &r, &err), REEL_EINVAL);
    if (!strstr(err.msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, needle);
    assert_false(reel_retention_is_set(&r));
}

static void test_parse(void **state)
{
    (void)state;
    parse_ok("24h", 24 * 3600 * NS, 0, 0);
    parse_ok("90m", 90 * 60 * NS, 0, 0);
    parse_ok("1h30m", 90 * 60 * NS, 0, 0);
    parse_ok("45s", 45 * NS, 0, 0);
    parse_ok("2d", 2 * 86400 * NS, 0, 0);
    parse_ok("50G", 0, 50ull << 30, 0);
    parse_ok("50GB", 0, 50ull << 30, 0);
    parse_ok("50GiB", 0, 50ull << 30, 0);
    parse_ok("512M", 0, 512ull << 20, 0);
    parse_ok("100K", 0, 100ull << 10, 0);
    parse_ok("2T", 0, 2ull << 40, 0);
    parse_ok("4096B", 0, 4096, 0);
    parse_ok("500chunks", 0, 0, 500);
    parse_ok("1chunk", 0, 0, 1);
    parse_ok("24h,50G,500chunks", 24 * 3600 * NS, 50ull << 30, 500);
    parse_ok("10chunks,1m", 60 * NS, 0, 10);

    parse_bad("", "empty retention");
    parse_bad("24", "has no unit");
    parse_bad("0chunks", "bad retention count");
    parse_bad("xchunks", "bad retention count");
    parse_bad("0G", "bad retention size");
    parse_bad("1.5G", "bad retention size");
    parse_bad("5iB", "bad retention size");
    parse_bad("99999999999T", "bad retention size");
    parse_bad("0s", "more than zero");
    parse_bad("24x", "bad retention '24x'");
    parse_bad("-5m", "bad retention");
    parse_bad("1h,2h", "age given twice");
    parse_bad("1G,2M", "size given twice");
    parse_bad("1chunk,2chunks", "count given twice");
    parse_bad("1h,", "empty retention term");
    parse_bad("0d", "bad retention age");
}

static void test_format(void **state)
{
    (void)state;
    const char *in[] = {"24h", "90m", "2d", "45s", "50G", "4096B", "1536K", "500chunks",
                        "24h,50G,500chunks"};
    const char *want[] = {"1d", "90m", "2d", "45s", "50G", "4K", "1536K", "500chunks",
                          "1d,50G,500chunks"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        reel_retention r;
        assert_int_equal(reel_retention_parse(in[i], &r, NULL), REEL_OK);
        char buf[96];
        reel_retention_format(&r, buf, sizeof buf);
        assert_string_equal(buf, want[i]);
        /* The format parses back to the same policy. */
        reel_retention back;
        assert_int_equal(reel_retention_parse(buf, &back, NULL), REEL_OK);
        assert_memory_equal(&back, &r, sizeof r);
    }
    reel_retention none = {0};
    char buf[16];
    reel_retention_format(&none, buf, sizeof buf);
    assert_string_equal(buf, "none");
}

static void test_rules(void **state)
{
    (void)state;
    reel_retention_rules rs = {0};
    reel_error err = {0};
    assert_int_equal(reel_retention_rules_add(&rs, "24h", &err), REEL_OK);
    assert_int_equal(reel_retention_rules_add(&rs, "stream://tone/main=10chunks", &err), REEL_OK);
    assert_int_equal(reel_retention_rules_add(&rs, "stream://a=b/x=1G", &err), REEL_OK);
    assert_int_equal(reel_retention_rules_add(&rs, "stream://tone/main=20chunks", &err), REEL_OK);
    assert_int_equal(rs.n_rules, 2);
    reel_retention r = reel_retention_rules_for(&rs, "stream://tone/main");
    assert_true(r.max_chunks == 20 && r.max_age_ns == 0);
    r = reel_retention_rules_for(&rs, "stream://a=b/x"); /* split at the last '=' */
    assert_true(r.max_bytes == 1ull << 30);
    r = reel_retention_rules_for(&rs, "stream://other/x");
    assert_true(r.max_age_ns == 24 * 3600 * NS);
    assert_int_equal(reel_retention_rules_add(&rs, "tone=5chunks", &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "stream://DEVICE/NAME=SPEC"));
    assert_int_equal(reel_retention_rules_add(&rs, "stream://x/y=5q", &err), REEL_EINVAL);
    reel_retention_rules_free(&rs);
    r = reel_retention_rules_for(NULL, "stream://x/y");
    assert_false(reel_retention_is_set(&r));
}

/* ---- the decision ------------------------------------------------------- */

static void test_should_drop(void **state)
{
    (void)state;
    reel_retention r = {.max_chunks = 10};
    reel_retention_view v = {.bytes = 100, .frames = RATE, .wall_ns = WALL0, .rate = RATE,
                             .held_chunks = 10, .held_bytes = 1000, .now_ns = WALL0 + 100 * NS};
    assert_false(reel_retention_should_drop(&r, &v));
    v.held_chunks = 11;
    assert_true(reel_retention_should_drop(&r, &v));

    r = (reel_retention){.max_bytes = 1000};
    assert_false(reel_retention_should_drop(&r, &v));
    v.held_bytes = 1001;
    assert_true(reel_retention_should_drop(&r, &v));

    /* Age: the chunk covers [WALL0, WALL0 + 1 s); it goes once its end is
     * older than the limit. */
    r = (reel_retention){.max_age_ns = 99 * NS};
    v.held_bytes = 0;
    v.now_ns = WALL0 + 100 * NS; /* end is 99 s old: exactly the limit */
    assert_false(reel_retention_should_drop(&r, &v));
    v.now_ns = WALL0 + 100 * NS + 1;
    assert_true(reel_retention_should_drop(&r, &v));
    v.wall_ns = 0; /* no wall clock known: age cannot decide */
    assert_false(reel_retention_should_drop(&r, &v));
}

/* ---- applying to a manifest --------------------------------------------- */

typedef struct fixture {
    char dir[PATH_MAX];
    reel_cas *cas;
    reel_manifest m;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || !test_tmpdir_make(f->dir, sizeof f->dir, "retention") ||
        reel_cas_open(&f->cas, f->dir, true, NULL) != REEL_OK) {
        free(f);
        return -1;
    }
    reel_stream_def def = {.kind = REEL_STREAM_AUDIO, .sample_rate = RATE, .channels = 2,
                           .sample_format = REEL_SAMPLE_F32, .chunk_size_bytes = CHUNK_BYTES};
    snprintf(def.uri, sizeof def.uri, "stream://test/main");
    reel_hash dh;
    reel_hash_buf("definition", 10, &dh);
    reel_manifest_init(&f->m, &def, &dh);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    reel_manifest_free(&f->m);
    reel_cas_close(f->cas);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static reel_hash chunk_hash(uint64_t i)
{
    reel_hash h;
    reel_hash_buf(&i, sizeof i, &h);
    return h;
}

/* n chunks of 0.1 s, the last one still staging; paged like a recorder. */
static void fill(fixture *f, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        reel_chunk_entry e = {.sealed = i + 1 < n, .hash = chunk_hash(i),
                              .first_frame = i * CHUNK_FRAMES, .frames = CHUNK_FRAMES,
                              .bytes = CHUNK_BYTES};
        e.clock.frame = e.first_frame;
        e.clock.wall_ns = WALL0 + (int64_t)i * NS / 10;
        assert_int_equal(reel_manifest_add_chunk(&f->m, &e, NULL), REEL_OK);
        assert_int_equal(reel_manifest_page_out(&f->m, f->cas, NULL), REEL_OK);
    }
}

typedef struct seen {
    uint64_t n;
    reel_hash first;
} seen;

static int count_hash(const reel_hash *h, bool is_page, void *ud)
{
    seen *s = ud;
    if (!is_page && s->n++ == 0)
        s->first = *h;
    return 0;
}

static void test_apply_count_across_pages(void **state)
{
    fixture *f = *state;
    fill(f, 600); /* two pages of 256 and a tail of 88 (the last staging) */
    assert_int_equal(f->m.n_pages, 2);
    uint64_t head = f->m.total_frames;
    reel_retention r = {.max_chunks = 100};
    uint64_t dropped;
    reel_error err = {0};
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, UINT64_MAX, &dropped, &err), REEL_OK);
    assert_int_equal(dropped, 500);
    assert_int_equal(f->m.n_chunks, 100);
    assert_int_equal(f->m.dropped_chunks, 500);
    assert_int_equal(f->m.dropped_bytes, 500ull * CHUNK_BYTES);
    assert_int_equal(f->m.total_bytes, 100ull * CHUNK_BYTES);
    assert_int_equal(f->m.first_frame, 500ull * CHUNK_FRAMES); /* positions never shift */
    assert_int_equal(f->m.total_frames, head);
    /* Page 1 went whole; page 2 is held from its 245th chunk (index 244). */
    assert_int_equal(f->m.n_pages, 1);
    assert_int_equal(f->m.pages[0].dropped, 500 - 256);
    assert_int_equal(f->m.pages[0].held_first_frame, 500ull * CHUNK_FRAMES);
    /* Only held chunks are references now. */
    seen s = {0};
    assert_int_equal(reel_manifest_foreach_hash(&f->m, f->cas, count_hash, &s, &err), REEL_OK);
    assert_int_equal(s.n, 99); /* the staging chunk is not sealed */
    reel_hash h500 = chunk_hash(500);
    assert_true(reel_hash_equal(&s.first, &h500));
    /* Lookups never return a dropped chunk. */
    reel_chunk_entry *out;
    size_t n;
    assert_int_equal(reel_manifest_chunks_in(&f->m, f->cas, 0, head, &out, &n, &err), REEL_OK);
    assert_int_equal(n, 100);
    assert_int_equal(out[0].first_frame, 500ull * CHUNK_FRAMES);
    free(out);

    /* The JSON round trip keeps all of it. */
    char *json;
    assert_int_equal(reel_manifest_to_json(&f->m, &json, &err), REEL_OK);
    reel_manifest back;
    assert_int_equal(reel_manifest_from_json(&back, json, &err), REEL_OK);
    free(json);
    assert_int_equal(back.first_frame, f->m.first_frame);
    assert_int_equal(back.n_chunks, 100);
    assert_int_equal(back.total_bytes, f->m.total_bytes);
    assert_int_equal(back.dropped_chunks, 500);
    assert_int_equal(back.pages[0].dropped, f->m.pages[0].dropped);
    reel_manifest_free(&back);

    /* Applying again changes nothing. */
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, UINT64_MAX, &dropped, &err), REEL_OK);
    assert_int_equal(dropped, 0);
}

/* A pin (an open session) keeps every chunk holding a frame at or after it. */
static void test_apply_keeps_pinned(void **state)
{
    fixture *f = *state;
    fill(f, 10);
    reel_retention r = {.max_chunks = 2};
    uint64_t dropped;
    /* the pin falls inside chunk 4: chunks 0..3 may go, 4.. stay */
    uint64_t pin = 4ull * CHUNK_FRAMES + 7;
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, pin, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 4);
    assert_int_equal(f->m.first_frame, 4ull * CHUNK_FRAMES);
    /* the pin at the very start of a chunk keeps that chunk, not the one before */
    pin = 6ull * CHUNK_FRAMES;
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, pin, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 2);
    assert_int_equal(f->m.first_frame, 6ull * CHUNK_FRAMES);
    /* released: the policy alone again */
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, UINT64_MAX, &dropped, NULL),
                     REEL_OK);
    assert_int_equal(f->m.n_chunks, 2);
}

static void test_apply_never_live_or_newest(void **state)
{
    fixture *f = *state;
    fill(f, 5);
    reel_retention r = {.max_chunks = 1};
    uint64_t dropped;
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, UINT64_MAX, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 4); /* the staging chunk stays, it is the newest */
    assert_int_equal(f->m.n_chunks, 1);
    assert_false(f->m.tail[0].sealed);
    /* A seal in flight (staging id kept) is not dropped either. */
    fixture *g = f;
    reel_manifest_free(&g->m);
    reel_stream_def def = {.kind = REEL_STREAM_AUDIO, .sample_rate = RATE, .channels = 2,
                           .sample_format = REEL_SAMPLE_F32, .chunk_size_bytes = CHUNK_BYTES};
    snprintf(def.uri, sizeof def.uri, "stream://test/main");
    reel_hash dh = {0};
    reel_manifest_init(&g->m, &def, &dh);
    fill(g, 4);
    g->m.tail[0].has_staging_id = true;
    assert_int_equal(reel_retention_apply(&r, &g->m, g->cas, WALL0, UINT64_MAX, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 0);
    /* Once stopped (every chunk sealed), the newest still stays. */
    g->m.tail[0].has_staging_id = false;
    g->m.tail[3].sealed = true;
    assert_int_equal(reel_retention_apply(&r, &g->m, g->cas, WALL0, UINT64_MAX, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 3);
    assert_int_equal(g->m.n_chunks, 1);
    assert_int_equal(g->m.first_frame, 3ull * CHUNK_FRAMES);
}

static void test_apply_size_and_age(void **state)
{
    fixture *f = *state;
    fill(f, 300); /* chunk i covers wall [i/10 s, (i+1)/10 s) */
    /* Size: at most 50 chunks' bytes plus a bit: 50 held. */
    reel_retention r = {.max_bytes = 50ull * CHUNK_BYTES + 100};
    uint64_t dropped;
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0, UINT64_MAX, &dropped, NULL), REEL_OK);
    assert_int_equal(dropped, 250);
    assert_true(f->m.total_bytes <= r.max_bytes);
    assert_true(f->m.total_bytes + CHUNK_BYTES > r.max_bytes); /* within one chunk */
    /* Age: now = 30 s after start, keep 2 s: chunks ending before 28 s go,
     * i.e. those with i + 1 <= 280 -> the first 280 overall, 30 more. */
    r = (reel_retention){.max_age_ns = 2 * NS};
    assert_int_equal(reel_retention_apply(&r, &f->m, f->cas, WALL0 + 30 * NS + 1, UINT64_MAX, &dropped,
                                          NULL),
                     REEL_OK);
    assert_int_equal(dropped, 30);
    assert_int_equal(f->m.first_frame, 280ull * CHUNK_FRAMES);
    assert_int_equal(f->m.dropped_chunks, 280);
}

/* ---- the hash set ------------------------------------------------------- */

static void test_hash_set(void **state)
{
    (void)state;
    reel_hash_set s = {0};
    for (uint64_t i = 0; i < 5000; i += 2) {
        reel_hash h = chunk_hash(i);
        assert_int_equal(reel_hash_set_add(&s, &h, NULL), REEL_OK);
        assert_int_equal(reel_hash_set_add(&s, &h, NULL), REEL_OK); /* no duplicates */
    }
    assert_int_equal(s.n, 2500);
    for (uint64_t i = 0; i < 5000; i++) {
        reel_hash h = chunk_hash(i);
        assert_true(reel_hash_set_has(&s, &h) == (i % 2 == 0));
    }
    reel_hash zero = {0};
    assert_false(reel_hash_set_has(&s, &zero));
    assert_int_equal(reel_hash_set_add(&s, &zero, NULL), REEL_OK);
    assert_true(reel_hash_set_has(&s, &zero));
    reel_hash_set_free(&s);
    reel_hash h = chunk_hash(1);
    assert_false(reel_hash_set_has(&s, &h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_should_drop),
        cmocka_unit_test_setup_teardown(test_apply_count_across_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_keeps_pinned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_never_live_or_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_size_and_age, setup, teardown),
        cmocka_unit_test(test_hash_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
