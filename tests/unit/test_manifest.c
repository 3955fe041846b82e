/*
 * test_manifest.c — stream manifests: chunks and totals, the JSON round
 * trip, paging sealed chunks into CAS, lookups by frame range and by wall
 * clock across pages and the tail, rejection of damaged JSON, and the hash
 * walk used by GC and fsck.
 *
 * Each test opens a fresh CAS under $REEL_TEST_TMPDIR (or /tmp) and removes
 * it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "store/manifest.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE 48000
#define CHUNK_FRAMES 4800
#define FRAME_BYTES 8
#define WALL0 1763632800000000000LL
#define MONO0 5000000000LL

typedef struct fixture {
    char dir[PATH_MAX];
    reel_cas *cas;
    reel_stream_def def;
    reel_hash def_hash;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_tmpdir_make(f->dir, sizeof f->dir, "manifest") || reel_cas_open(&f->cas, f->dir, true, NULL) != REEL_OK) {
        free(f);
        return -1;
    }
    snprintf(f->def.uri, sizeof f->def.uri, "stream://test/main");
    snprintf(f->def.device_identity, sizeof f->def.device_identity, "test");
    f->def.kind = REEL_STREAM_AUDIO;
    f->def.sample_rate = RATE;
    f->def.channels = 2;
    f->def.sample_format = REEL_SAMPLE_F32;
    f->def.chunk_size_bytes = CHUNK_FRAMES * FRAME_BYTES;
    reel_hash_buf("definition", 10, &f->def_hash);
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

static int64_t wall_at(uint64_t frame)
{
    return WALL0 + (int64_t)(frame * 1000000000ull / RATE);
}

/* Chunk i of a steady stream: CHUNK_FRAMES frames, a fake content hash. */
static reel_chunk_entry chunk_n(uint64_t i, bool sealed)
{
    reel_chunk_entry e;
    memset(&e, 0, sizeof e);
    e.sealed = sealed;
    char name[32];
    int n = snprintf(name, sizeof name, "chunk %llu", (unsigned long long)i);
    reel_hash_buf(name, (size_t)n, &e.hash);
    e.first_frame = i * CHUNK_FRAMES;
    e.frames = CHUNK_FRAMES;
    e.bytes = CHUNK_FRAMES * FRAME_BYTES;
    e.clock.frame = e.first_frame;
    e.clock.wall_ns = wall_at(e.first_frame);
    e.clock.mono_ns = MONO0 + (int64_t)(e.first_frame * 1000000000ull / RATE);
    e.clock.device_frame = 1000000 + e.first_frame;
    e.clock.has_device_frame = true;
    return e;
}

static reel_clock_snapshot snap_at(uint64_t frame)
{
    reel_clock_snapshot s = {.frame = frame, .wall_ns = wall_at(frame),
                             .mono_ns = MONO0 + (int64_t)(frame * 1000000000ull / RATE),
                             .device_frame = 1000000 + frame, .has_device_frame = true};
    return s;
}

static char *to_json(const reel_manifest *m)
{
    char *j = NULL;
    reel_error err = {0};
    assert_int_equal(reel_manifest_to_json(m, &j, &err), REEL_OK);
    assert_non_null(j);
    return j;
}

static void assert_entries_equal(const reel_chunk_entry *a, const reel_chunk_entry *b)
{
    assert_int_equal(a->sealed, b->sealed);
    assert_true(reel_hash_equal(&a->hash, &b->hash));
    assert_true(a->first_frame == b->first_frame);
    assert_true(a->frames == b->frames);
    assert_true(a->bytes == b->bytes);
    assert_true(a->events == b->events);
    assert_true(a->clock.wall_ns == b->clock.wall_ns);
    assert_true(a->clock.mono_ns == b->clock.mono_ns);
    assert_true(a->clock.frame == b->clock.frame);
    assert_int_equal(a->clock.has_device_frame, b->clock.has_device_frame);
    assert_true(a->clock.device_frame == b->clock.device_frame);
}

/* A manifest of n sealed chunks with a periodic snapshot every 7 chunks,
 * half way into the chunk. */
static void build(fixture *f, reel_manifest *m, uint64_t n)
{
    reel_error err = {0};
    reel_manifest_init(m, &f->def, &f->def_hash);
    for (uint64_t i = 0; i < n; i++) {
        reel_chunk_entry e = chunk_n(i, true);
        assert_int_equal(reel_manifest_add_chunk(m, &e, &err), REEL_OK);
        if (i % 7 == 3) {
            reel_clock_snapshot s = snap_at(i * CHUNK_FRAMES + CHUNK_FRAMES / 2);
            assert_int_equal(reel_manifest_add_snapshot(m, &s, &err), REEL_OK);
        }
    }
}

/* ---- tests -------------------------------------------------------------- */

static void test_init_add_and_totals(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    reel_manifest_init(&m, &f->def, &f->def_hash);
    assert_string_equal(m.uri, "stream://test/main");
    assert_true(reel_hash_equal(&m.definition_hash, &f->def_hash));
    assert_int_equal(m.kind, REEL_STREAM_AUDIO);
    assert_int_equal(m.rate, RATE);
    assert_int_equal(m.frame_bytes, FRAME_BYTES);
    assert_true(m.total_frames == 0 && m.n_chunks == 0 && m.total_bytes == 0);

    for (uint64_t i = 0; i < 3; i++) {
        reel_chunk_entry e = chunk_n(i, true);
        assert_int_equal(reel_manifest_add_chunk(&m, &e, &err), REEL_OK);
    }
    /* A live staging chunk, partly written. */
    reel_chunk_entry live = chunk_n(3, false);
    reel_hash_random(&live.hash, NULL);
    live.frames = 1000;
    live.bytes = 1000 * FRAME_BYTES;
    assert_int_equal(reel_manifest_add_chunk(&m, &live, &err), REEL_OK);

    assert_true(m.n_chunks == 4);
    assert_true(m.total_bytes == (3 * CHUNK_FRAMES + 1000) * FRAME_BYTES);
    assert_true(m.total_frames == 3 * CHUNK_FRAMES + 1000);
    assert_true(m.first_frame == 0);

    /* The staging entry can be found and updated in place. */
    reel_chunk_entry *e = reel_manifest_find_staging(&m, &live.hash);
    assert_non_null(e);
    assert_ptr_equal(e, &m.tail[3]);
    reel_chunk_entry sealed0 = chunk_n(0, true);
    assert_null(reel_manifest_find_staging(&m, &sealed0.hash)); /* sealed: not staging */
    e->frames = 2000;
    e->bytes = 2000 * FRAME_BYTES;
    reel_manifest_update_totals(&m);
    assert_true(m.total_frames == 3 * CHUNK_FRAMES + 2000);
    assert_true(m.total_bytes == (3 * CHUNK_FRAMES + 2000) * FRAME_BYTES);

    /* The head never moves back (e.g. when a reported count shrinks). */
    e->frames = 10;
    reel_manifest_update_totals(&m);
    assert_true(m.total_frames == 3 * CHUNK_FRAMES + 2000);
    reel_manifest_free(&m);
    assert_null(m.tail);
    assert_int_equal(m.n_tail, 0);
}

static void test_json_round_trip(void **state)
{
    fixture *f = *state;
    reel_manifest m, back;
    reel_error err = {0};
    build(f, &m, 20);
    reel_chunk_entry live = chunk_n(20, false);
    reel_hash_random(&live.hash, NULL);
    live.frames = 17;
    live.bytes = 17 * FRAME_BYTES;
    live.clock.has_device_frame = false;
    live.clock.device_frame = 0;
    assert_int_equal(reel_manifest_add_chunk(&m, &live, &err), REEL_OK);
    m.started_at_ns = WALL0 - 5;
    m.last_updated_ns = WALL0 + 999;
    m.xruns = 3;
    m.overrun_frames = 128;
    m.overrun_events = 2;
    m.gaps = 1;
    m.total_events = 0;
    m.head_clock = snap_at(20 * CHUNK_FRAMES + 17);
    m.head_clock.has_midi_ticks = true;
    m.head_clock.midi_ticks = 4242;
    m.has_head_clock = true;

    char *j1 = to_json(&m);
    assert_int_equal(reel_manifest_from_json(&back, j1, &err), REEL_OK);
    assert_string_equal(back.uri, m.uri);
    assert_true(reel_hash_equal(&back.definition_hash, &m.definition_hash));
    assert_int_equal(back.kind, m.kind);
    assert_int_equal(back.rate, m.rate);
    assert_int_equal(back.frame_bytes, m.frame_bytes);
    assert_true(back.started_at_ns == m.started_at_ns);
    assert_true(back.last_updated_ns == m.last_updated_ns);
    assert_true(back.total_frames == m.total_frames);
    assert_true(back.total_bytes == m.total_bytes);
    assert_true(back.n_chunks == m.n_chunks);
    assert_true(back.xruns == 3 && back.overrun_frames == 128 && back.overrun_events == 2);
    assert_true(back.gaps == 1);
    assert_int_equal(back.n_tail, m.n_tail);
    for (size_t i = 0; i < m.n_tail; i++)
        assert_entries_equal(&back.tail[i], &m.tail[i]);
    assert_int_equal(back.n_snaps, m.n_snaps);
    for (size_t i = 0; i < m.n_snaps; i++) {
        assert_true(back.snaps[i].frame == m.snaps[i].frame);
        assert_true(back.snaps[i].wall_ns == m.snaps[i].wall_ns);
        assert_true(back.snaps[i].mono_ns == m.snaps[i].mono_ns);
        assert_true(back.snaps[i].device_frame == m.snaps[i].device_frame);
    }
    assert_true(back.has_head_clock);
    assert_true(back.head_clock.has_midi_ticks && back.head_clock.midi_ticks == 4242);
    assert_true(back.head_clock.frame == m.head_clock.frame);

    /* Same bytes the second time round. */
    char *j2 = to_json(&back);
    assert_string_equal(j1, j2);
    free(j1);
    free(j2);
    reel_manifest_free(&back);

    /* The JSON uses the names of DESIGN.md. */
    j1 = to_json(&m);
    const char *keys[] = {"\"state\":\"sealed\"", "\"state\":\"staging\"", "\"byte_count\"",
                          "\"sample_count\"", "\"first_sample\"", "\"wall_clock_ns\"",
                          "\"bytes_written\"", "\"samples_written\"", "\"clock_snapshots\"",
                          "\"version\":1"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(j1, keys[i]))
            fail_msg("manifest JSON lacks %s", keys[i]);
    free(j1);
    reel_manifest_free(&m);
}

static void test_midi_round_trip(void **state)
{
    fixture *f = *state;
    reel_stream_def def = f->def;
    def.kind = REEL_STREAM_MIDI;
    def.chunk_size_bytes = 4096;
    reel_manifest m, back;
    reel_error err = {0};
    reel_manifest_init(&m, &def, &f->def_hash);
    assert_int_equal(m.frame_bytes, 0);
    reel_chunk_entry e = chunk_n(0, true);
    e.events = 31;
    e.bytes = 31 * 23;
    assert_int_equal(reel_manifest_add_chunk(&m, &e, &err), REEL_OK);
    m.total_events = 31;
    char *j1 = to_json(&m);
    assert_int_equal(reel_manifest_from_json(&back, j1, &err), REEL_OK);
    assert_int_equal(back.kind, REEL_STREAM_MIDI);
    assert_true(back.tail[0].events == 31);
    assert_true(back.total_events == 31);
    char *j2 = to_json(&back);
    assert_string_equal(j1, j2);
    free(j1);
    free(j2);
    reel_manifest_free(&back);
    reel_manifest_free(&m);
}

static void test_save_and_load(void **state)
{
    fixture *f = *state;
    reel_manifest m, back;
    reel_error err = {0};
    build(f, &m, 5);
    reel_hash id;
    assert_int_equal(reel_hash_random(&id, &err), REEL_OK);
    for (int round = 0; round < 3; round++) {
        m.last_updated_ns = WALL0 + round;
        assert_int_equal(reel_manifest_save(&m, f->cas, &id, &err), REEL_OK);
    }
    assert_int_equal(reel_manifest_load(&back, f->cas, &id, &err), REEL_OK);
    char *j1 = to_json(&m), *j2 = to_json(&back);
    assert_string_equal(j1, j2);
    free(j1);
    free(j2);
    reel_manifest_free(&back);
    /* The temp directory is empty: every save was a rename. */
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s", reel_cas_tmp_dir(f->cas));
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(mkdir(tmp, 0755), 0);

    reel_hash other;
    reel_hash_random(&other, NULL);
    assert_int_equal(reel_manifest_load(&back, f->cas, &other, &err), REEL_ENOENT);
    reel_manifest_free(&m);
}

static void test_page_out(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    build(f, &m, 600);
    const uint64_t frames = m.total_frames, bytes = m.total_bytes;
    const size_t snaps = m.n_snaps;
    assert_true(frames == 600 * CHUNK_FRAMES);

    assert_int_equal(reel_manifest_page_out(&m, f->cas, &err), REEL_OK);
    assert_int_equal(m.n_pages, 2);
    assert_int_equal(m.n_tail, 600 - 2 * REEL_MANIFEST_PAGE);
    assert_true(m.n_tail < REEL_MANIFEST_PAGE);
    reel_chunk_entry c512 = chunk_n(512, true);
    assert_entries_equal(&m.tail[0], &c512);
    for (size_t p = 0; p < 2; p++) {
        const reel_manifest_page *pg = &m.pages[p];
        assert_true(reel_cas_has(f->cas, &pg->hash));
        assert_true(pg->first_chunk == p * REEL_MANIFEST_PAGE);
        assert_true(pg->n_chunks == REEL_MANIFEST_PAGE);
        assert_true(pg->first_frame == p * REEL_MANIFEST_PAGE * CHUNK_FRAMES);
        assert_true(pg->frames == REEL_MANIFEST_PAGE * CHUNK_FRAMES);
        assert_true(pg->bytes == REEL_MANIFEST_PAGE * CHUNK_FRAMES * FRAME_BYTES);
        assert_true(pg->first_clock.frame == pg->first_frame);
        assert_true(pg->first_clock.wall_ns == wall_at(pg->first_frame));
        assert_true(pg->last_clock.frame < pg->first_frame + pg->frames);
        assert_true(pg->last_clock.frame >= pg->first_frame + (REEL_MANIFEST_PAGE - 1) * CHUNK_FRAMES);
    }
    /* Snapshots taken inside paged chunks went with the pages. */
    for (size_t i = 0; i < m.n_snaps; i++)
        assert_true(m.snaps[i].frame >= 2 * REEL_MANIFEST_PAGE * CHUNK_FRAMES);
    assert_true(m.n_snaps < snaps);

    /* Totals do not change by paging. */
    reel_manifest_update_totals(&m);
    assert_true(m.total_frames == frames);
    assert_true(m.total_bytes == bytes);
    assert_true(m.n_chunks == 600);
    assert_true(m.first_frame == 0);

    /* Paging again with nothing new is a no-op. */
    assert_int_equal(reel_manifest_page_out(&m, f->cas, &err), REEL_OK);
    assert_int_equal(m.n_pages, 2);

    /* A staging chunk in front of sealed ones stops paging at it. */
    reel_manifest m2;
    reel_manifest_init(&m2, &f->def, &f->def_hash);
    for (uint64_t i = 0; i < 300; i++) {
        reel_chunk_entry e = chunk_n(i, i != 100);
        assert_int_equal(reel_manifest_add_chunk(&m2, &e, &err), REEL_OK);
    }
    assert_int_equal(reel_manifest_page_out(&m2, f->cas, &err), REEL_OK);
    assert_int_equal(m2.n_pages, 0);
    assert_int_equal(m2.n_tail, 300);
    reel_manifest_free(&m2);

    /* The live JSON round-trips with pages too. */
    char *j1 = to_json(&m);
    reel_manifest back;
    assert_int_equal(reel_manifest_from_json(&back, j1, &err), REEL_OK);
    assert_int_equal(back.n_pages, 2);
    assert_true(back.n_chunks == 600 && back.total_frames == frames && back.total_bytes == bytes);
    for (size_t p = 0; p < 2; p++) {
        assert_true(reel_hash_equal(&back.pages[p].hash, &m.pages[p].hash));
        assert_true(back.pages[p].last_clock.wall_ns == m.pages[p].last_clock.wall_ns);
    }
    char *j2 = to_json(&back);
    assert_string_equal(j1, j2);
    /* The live file lists the tail only: far smaller than all chunks. */
    assert_true(strlen(j1) < 600 * 100);
    free(j1);
    free(j2);
    reel_manifest_free(&back);
    reel_manifest_free(&m);
}

static void check_range(fixture *f, const reel_manifest *m, uint64_t from, uint64_t to,
                        uint64_t want_first, uint64_t want_n)
{
    reel_chunk_entry *out = NULL;
    size_t n = 99;
    reel_error err = {0};
    assert_int_equal(reel_manifest_chunks_in(m, f->cas, from, to, &out, &n, &err), REEL_OK);
    if (n != want_n)
        fail_msg("[%llu, %llu): %zu chunks, want %llu", (unsigned long long)from,
                 (unsigned long long)to, n, (unsigned long long)want_n);
    for (size_t i = 0; i < n; i++) {
        reel_chunk_entry want = chunk_n(want_first + i, true);
        assert_entries_equal(&out[i], &want);
    }
    free(out);
}

static void test_chunks_in_across_pages(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    build(f, &m, 600);
    assert_int_equal(reel_manifest_page_out(&m, f->cas, &err), REEL_OK);
    assert_int_equal(m.n_pages, 2);
    const uint64_t C = CHUNK_FRAMES;

    check_range(f, &m, 0, 600 * C, 0, 600);           /* everything, in order */
    check_range(f, &m, 0, 1, 0, 1);                   /* first frame */
    check_range(f, &m, 10 * C, 12 * C, 10, 2);         /* exact boundaries */
    check_range(f, &m, 10 * C - 1, 12 * C + 1, 9, 4);  /* one frame over each side */
    check_range(f, &m, 250 * C + 100, 260 * C + 1, 250, 11); /* page 0 -> page 1 */
    check_range(f, &m, 255 * C, 256 * C, 255, 1);     /* last chunk of page 0 */
    check_range(f, &m, 256 * C, 256 * C + 1, 256, 1); /* first chunk of page 1 */
    check_range(f, &m, 500 * C, 520 * C, 500, 20);     /* page 1 -> tail */
    check_range(f, &m, 100 * C, 550 * C, 100, 450);    /* page 0 -> page 1 -> tail */
    check_range(f, &m, 599 * C + 4799, 700 * C, 599, 1);
    check_range(f, &m, 600 * C, 700 * C, 0, 0);        /* past the head */
    check_range(f, &m, 300 * C, 300 * C, 0, 0);        /* empty range */

    /* A page missing from CAS is an error, not a silently short answer. */
    char path[PATH_MAX];
    reel_cas_content_path(f->cas, &m.pages[0].hash, path);
    assert_int_equal(unlink(path), 0);
    reel_chunk_entry *out = NULL;
    size_t n = 0;
    assert_int_not_equal(reel_manifest_chunks_in(&m, f->cas, 0, 10, &out, &n, &err), REEL_OK);
    /* Ranges not touching that page still work. */
    check_range(f, &m, 300 * C, 301 * C, 300, 1);
    reel_manifest_free(&m);
}

static void test_snapshots_near(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    build(f, &m, 600);
    m.head_clock = snap_at(600 * CHUNK_FRAMES);
    m.has_head_clock = true;
    assert_int_equal(reel_manifest_page_out(&m, f->cas, &err), REEL_OK);
    const uint64_t C = CHUNK_FRAMES, p1_first = 256 * C, p1_end = 512 * C;

    /* An instant inside page 1. */
    int64_t t = wall_at(300 * C + 1234);
    reel_clock_snapshot *s = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_snapshots_near(&m, f->cas, t, &s, &n, &err), REEL_OK);
    for (size_t i = 1; i < n; i++)
        assert_true(s[i].frame > s[i - 1].frame); /* sorted, no duplicates */
    size_t in_p0 = 0, in_p1 = 0, fine_p1 = 0, in_tail = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(s[i].wall_ns == wall_at(s[i].frame));
        if (s[i].frame < p1_first)
            in_p0++;
        else if (s[i].frame < p1_end) {
            in_p1++;
            if (s[i].frame % C != 0)
                fine_p1++;
        } else
            in_tail++;
    }
    /* Page 0 gives its first and last pairing only. */
    assert_int_equal(in_p0, 2);
    /* Page 1 gives every chunk start and every periodic snapshot. */
    size_t periodic = 0;
    for (uint64_t i = 256; i < 512; i++)
        periodic += i % 7 == 3;
    assert_int_equal(fine_p1, periodic);
    assert_int_equal(in_p1, 256 + periodic);
    /* The tail: chunk starts, its snapshots and the head clock. */
    size_t tail_periodic = 0;
    for (uint64_t i = 512; i < 600; i++)
        tail_periodic += i % 7 == 3;
    assert_int_equal(in_tail, 88 + tail_periodic + 1);
    /* The instant is bracketed by neighbours one chunk apart at most. */
    size_t k = 0;
    while (k < n && s[k].wall_ns <= t)
        k++;
    assert_true(k > 0 && k < n);
    assert_true(s[k].frame - s[k - 1].frame <= C);
    free(s);

    /* An instant in page 0: now page 0 is fine, page 1 coarse. */
    t = wall_at(10 * C + 5);
    assert_int_equal(reel_manifest_snapshots_near(&m, f->cas, t, &s, &n, &err), REEL_OK);
    in_p0 = in_p1 = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].frame < p1_first)
            in_p0++;
        else if (s[i].frame < p1_end)
            in_p1++;
    }
    assert_true(in_p0 >= 256);
    assert_int_equal(in_p1, 2);
    free(s);

    /* An instant after page 0's last pairing but before page 1 starts
     * still belongs to page 0. */
    t = wall_at(255 * C + 3 * C / 4);
    assert_int_equal(reel_manifest_snapshots_near(&m, f->cas, t, &s, &n, &err), REEL_OK);
    in_p0 = 0;
    for (size_t i = 0; i < n; i++)
        in_p0 += s[i].frame < p1_first;
    assert_true(in_p0 >= 256);
    free(s);

    /* An instant in the tail: both pages coarse. */
    t = wall_at(550 * C);
    assert_int_equal(reel_manifest_snapshots_near(&m, f->cas, t, &s, &n, &err), REEL_OK);
    in_p0 = in_p1 = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].frame < p1_first)
            in_p0++;
        else if (s[i].frame < p1_end)
            in_p1++;
    }
    assert_int_equal(in_p0, 2);
    assert_int_equal(in_p1, 2);
    free(s);
    reel_manifest_free(&m);
}

static void test_from_json_rejects(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    build(f, &m, 3);
    char *good = to_json(&m);
    reel_manifest_free(&m);

    /* Sanity: the template parses. */
    assert_int_equal(reel_manifest_from_json(&m, good, &err), REEL_OK);
    reel_manifest_free(&m);

    const char *garbage[] = {"", "garbage", "[]", "42", "{", "{}", "null"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = reel_manifest_from_json(&m, garbage[i], &err);
        if (rc != REEL_ECORRUPT)
            fail_msg("'%s': rc %d", garbage[i], rc);
        assert_int_equal(err.code, REEL_ECORRUPT);
        assert_true(err.msg[0] != '\0');
    }

    /* Variants of the good manifest, each with one thing wrong. */
    struct {
        const char *from, *to;
    } edits[] = {
        {"\"version\":1", "\"version\":2"},
        {"\"version\":1", "\"version\":\"1\""},
        {"\"version\":1,", ""},
        {"\"sample_rate\":48000", "\"sample_rate\":0"},
        {"\"frame_bytes\":8", "\"frame_bytes\":0"},
        {"\"total_samples\":", "\"total_samples_x\":"},
        {"\"definition_hash\":\"blake3:", "\"definition_hash\":\"blake3:zz"},
        {"\"stream_uri\":", "\"stream_urx\":"},
        {"\"state\":\"sealed\"", "\"state\":\"frozen\""},
        {"\"byte_count\":", "\"byte_count\":-"},
        {"\"sample_count\":", "\"sample_count_x\":"},
        {"\"first_sample\":4800", "\"first_sample\":\"4800\""},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        const char *at = strstr(good, edits[i].from);
        assert_non_null(at);
        size_t pre = (size_t)(at - good), fl = strlen(edits[i].from);
        char *bad = malloc(strlen(good) + strlen(edits[i].to) + 1);
        assert_non_null(bad);
        memcpy(bad, good, pre);
        strcpy(bad + pre, edits[i].to);
        strcat(bad, at + fl);
        memset(&err, 0, sizeof err);
        int rc = reel_manifest_from_json(&m, bad, &err);
        if (rc != REEL_ECORRUPT)
            fail_msg("edit %zu (%s -> %s) gave rc %d", i, edits[i].from, edits[i].to, rc);
        assert_true(err.msg[0] != '\0');
        free(bad);
    }
    free(good);

    /* Out of order: chunks [9600, 4800]. */
    reel_manifest_init(&m, &f->def, &f->def_hash);
    reel_chunk_entry a = chunk_n(2, true), b = chunk_n(1, true);
    assert_int_equal(reel_manifest_add_chunk(&m, &a, &err), REEL_OK);
    assert_int_equal(reel_manifest_add_chunk(&m, &b, &err), REEL_OK);
    char *disorder = to_json(&m);
    reel_manifest_free(&m);
    memset(&err, 0, sizeof err);
    assert_int_equal(reel_manifest_from_json(&m, disorder, &err), REEL_ECORRUPT);
    assert_int_equal(err.code, REEL_ECORRUPT);
    free(disorder);
    /* After a failure the manifest holds no memory (free is harmless). */
    assert_null(m.tail);
    reel_manifest_free(&m);
}

typedef struct hash_log {
    reel_hash h[700];
    bool page[700];
    size_t n;
    size_t stop_at;
} hash_log;

static int log_hash(const reel_hash *h, bool is_page, void *ud)
{
    hash_log *l = ud;
    if (l->n < 700) {
        l->h[l->n] = *h;
        l->page[l->n] = is_page;
    }
    l->n++;
    return l->stop_at && l->n >= l->stop_at ? 7 : 0;
}

static void test_foreach_hash(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    build(f, &m, 600);
    /* Plus a live staging chunk, which is not a content reference. */
    reel_chunk_entry live = chunk_n(600, false);
    reel_hash_random(&live.hash, NULL);
    assert_int_equal(reel_manifest_add_chunk(&m, &live, &err), REEL_OK);
    assert_int_equal(reel_manifest_page_out(&m, f->cas, &err), REEL_OK);
    assert_int_equal(m.n_pages, 2);

    hash_log *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_int_equal(reel_manifest_foreach_hash(&m, f->cas, log_hash, l, &err), 0);
    assert_int_equal(l->n, 600 + 2);
    size_t pages = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->page[i]) {
            assert_true(reel_hash_equal(&l->h[i], &m.pages[pages].hash));
            pages++;
        }
        assert_false(reel_hash_equal(&l->h[i], &live.hash));
    }
    assert_int_equal(pages, 2);
    /* Every sealed chunk exactly once. */
    for (uint64_t c = 0; c < 600; c++) {
        reel_chunk_entry e = chunk_n(c, true);
        size_t hits = 0;
        for (size_t i = 0; i < l->n; i++)
            hits += !l->page[i] && reel_hash_equal(&l->h[i], &e.hash);
        if (hits != 1)
            fail_msg("chunk %llu visited %zu times", (unsigned long long)c, hits);
    }
    /* Stopping early passes the callback's value back. */
    memset(l, 0, sizeof *l);
    l->stop_at = 10;
    assert_int_equal(reel_manifest_foreach_hash(&m, f->cas, log_hash, l, &err), 7);
    assert_int_equal(l->n, 10);
    free(l);
    reel_manifest_free(&m);
}

/* What from_json accepts, to_json must write in a form from_json reads
 * back: the recorder loads, updates and saves this file all the time.
 * Positions are JSON integers (int64); a chunk whose end lies past
 * INT64_MAX must be refused, not turned into a negative total. */
static void test_accepts_only_what_it_can_write(void **state)
{
    fixture *f = *state;
    reel_manifest m;
    reel_error err = {0};
    reel_manifest_init(&m, &f->def, &f->def_hash);
    reel_chunk_entry e = chunk_n(0, true);
    e.first_frame = 9000000000000000000ull;
    e.frames = 9000000000000000000ull;
    e.clock.frame = e.first_frame;
    m.tail = &e;
    m.n_tail = 1;
    char *j = to_json(&m); /* the chunk as JSON, totals still 0 */
    m.tail = NULL;
    m.n_tail = 0;
    reel_manifest_free(&m);

    int rc = reel_manifest_from_json(&m, j, &err);
    free(j);
    if (rc != REEL_OK) {
        assert_int_equal(rc, REEL_ECORRUPT); /* refusing it is fine */
        return;
    }
    char *j2 = to_json(&m);
    reel_manifest back;
    memset(&err, 0, sizeof err);
    rc = reel_manifest_from_json(&back, j2, &err);
    reel_manifest_free(&m);
    if (rc != REEL_OK) {
        char written[48] = "?";
        const char *t = strstr(j2, "\"total_samples\":");
        if (t)
            snprintf(written, sizeof written, "%.40s", t);
        free(j2);
        fail_msg("from_json accepted a manifest whose own to_json it rejects (%s); to_json wrote "
                 "%s",
                 err.msg, written);
    }
    free(j2);
    reel_manifest_free(&back);
}

/* reel.h: the error receives "one human-readable line". */
static void test_error_messages_are_one_line(void **state)
{
    (void)state;
    reel_manifest m;
    reel_error err = {0};
    assert_int_equal(reel_manifest_from_json(&m, "{\"stream_uri\":\"a\\\nb\"}", &err),
                     REEL_ECORRUPT);
    if (strchr(err.msg, '\n'))
        fail_msg("from_json error message spans lines: [%s]", err.msg);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_init_add_and_totals),
        T(test_json_round_trip),
        T(test_midi_round_trip),
        T(test_save_and_load),
        T(test_page_out),
        T(test_chunks_in_across_pages),
        T(test_snapshots_near),
        T(test_from_json_rejects),
        T(test_foreach_hash),
        T(test_accepts_only_what_it_can_write),
        T(test_error_messages_are_one_line),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
