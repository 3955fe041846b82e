/*
 * test_recorder.c — the control-plane side of recording, end to end on a
 * real store: a producer thread feeds the chunk writer while the test
 * thread polls; after close the sealed chunks hold exactly the input bytes.
 * Also crash recovery of a stream whose recorder died (a forked child that
 * exits without closing), resuming a stopped stream, refusing a resume in
 * another format, and a MIDI stream.
 *
 * Each test makes a fresh store under $REEL_TEST_TMPDIR (or /tmp) and
 * removes it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "capture/recorder.h"
#include "store/store_lock.h"

#include "rt/midi_record.h"

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CHUNK_FRAMES 4800
#define PERIOD 64
#define URI "stream://test/rec"

typedef struct fixture {
    char dir[PATH_MAX];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_tmpdir_make(f->dir, sizeof f->dir, "recorder")) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static reel_stream_def audio_def(void)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, URI);
    snprintf(d.device_identity, sizeof d.device_identity, "test:feed");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = RATE;
    d.channels = CH;
    d.sample_format = REEL_SAMPLE_F32;
    d.chunk_size_bytes = CHUNK_FRAMES * FB;
    return d;
}

static reel_store *open_store(const fixture *f)
{
    reel_store *st = NULL;
    reel_error err = {0};
    if (reel_store_open(&st, f->dir, true, &err) != REEL_OK)
        fail_msg("store open: %s", err.msg);
    return st;
}

static float *make_input(size_t frames, uint32_t seed)
{
    float *p = malloc(frames * FB);
    assert_non_null(p);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < frames * CH; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (float)((int32_t)x) / 2147483648.0f;
    }
    return p;
}

/* Feed frames in periods from the calling thread, polling the recorder
 * whenever the writer would otherwise run out of chunks. Returns 0 or an
 * error code (no cmocka asserts: also used in a forked child). */
static int feed_inline(reel_recorder *r, const float *in, size_t frames, reel_error *err)
{
    reel_chunk_writer *cw = reel_recorder_writer(r);
    for (size_t pos = 0; pos < frames; pos += PERIOD) {
        size_t n = frames - pos < PERIOD ? frames - pos : PERIOD;
        for (int spin = 0; reel_cw_ready_count(cw) == 0; spin++) {
            int rc = reel_recorder_poll(r, err);
            if (rc)
                return rc;
            if (spin > 100000)
                return REEL_ESTATE;
        }
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), 100000 + pos);
        reel_cw_write(cw, (const uint8_t *)in + pos * FB, n);
        if ((pos / PERIOD) % 16 == 0) {
            int rc = reel_recorder_poll(r, err);
            if (rc)
                return rc;
        }
    }
    return REEL_OK;
}

/* Record `frames` of `in` in one session (open, feed, finish, close). */
static void record_session(reel_store *st, const reel_stream_def *def, const float *in,
                           size_t frames)
{
    reel_recorder *r = NULL;
    reel_error err = {0};
    if (reel_recorder_open(&r, st, def, &err) != REEL_OK)
        fail_msg("recorder open: %s", err.msg);
    if (feed_inline(r, in, frames, &err) != REEL_OK)
        fail_msg("feed: %s", err.msg);
    reel_cw_finish(reel_recorder_writer(r));
    if (reel_recorder_close(r, &err) != REEL_OK)
        fail_msg("recorder close: %s", err.msg);
}

/* b3sum's digest of a file. */
static void b3sum_file(const char *path, char hex[REEL_HASH_HEX + 1])
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "b3sum --no-names '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    memcpy(hex, line, REEL_HASH_HEX);
    hex[REEL_HASH_HEX] = '\0';
}

static int count_visit(const reel_hash *h, const char *path, void *ud)
{
    (void)h;
    (void)path;
    (*(int *)ud)++;
    return 0;
}

static int staging_files(reel_store *st)
{
    int n = 0;
    assert_int_equal(reel_cas_foreach(reel_store_cas(st), 1, count_visit, &n, NULL), 0);
    return n;
}

/* Check the stopped stream: sealed manifest, every chunk sealed, read-only,
 * exact length, named by its b3sum, contiguous, and the bytes concatenated
 * equal to `want`. Returns the chunk list (caller frees). */
static reel_chunk_entry *check_sealed_stream(reel_store *st, const void *want, size_t frames,
                                             size_t *n_out, reel_stream_view *view)
{
    reel_error err = {0};
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "stopped");
    assert_true(row.pid == 0);
    assert_false(reel_hash_is_zero(&row.sealed_manifest));
    assert_true(reel_cas_has(reel_store_cas(st), &row.sealed_manifest));
    assert_int_equal(reel_cas_verify(reel_store_cas(st), &row.sealed_manifest, &err), REEL_OK);

    if (reel_store_stream_open(st, URI, view, &err) != REEL_OK)
        fail_msg("stream open: %s", err.msg);
    const reel_manifest *m = &view->manifest;
    assert_true(m->total_frames == frames);
    assert_true(m->total_bytes == frames * FB);
    assert_true(m->overrun_frames == 0);

    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(m, reel_store_cas(st), 0, UINT64_MAX / 4, &c, &n, &err),
                     REEL_OK);
    assert_true(n == m->n_chunks);
    uint8_t *got = malloc(frames * FB + 1);
    assert_non_null(got);
    size_t pos = 0;
    uint64_t next = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].sealed);
        assert_true(c[i].first_frame == next);
        assert_true(c[i].bytes == c[i].frames * FB);
        assert_true(c[i].frames > 0 && c[i].frames <= CHUNK_FRAMES);
        assert_true(c[i].clock.wall_ns > 0);
        next += c[i].frames;
        char path[PATH_MAX], hex[REEL_HASH_HEX + 1], want_hex[REEL_HASH_HEX + 1];
        reel_cas_content_path(reel_store_cas(st), &c[i].hash, path);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0444);
        assert_true((uint64_t)sb.st_size == c[i].bytes);
        reel_hash_to_hex(&c[i].hash, hex);
        b3sum_file(path, want_hex);
        assert_string_equal(hex, want_hex);
        assert_true(pos + c[i].bytes <= frames * FB);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(fread(got + pos, 1, c[i].bytes + 1, fp), c[i].bytes);
        fclose(fp);
        pos += c[i].bytes;
    }
    assert_true(next == frames);
    assert_int_equal(pos, frames * FB);
    assert_memory_equal(got, want, frames * FB);
    free(got);
    *n_out = n;
    return c;
}

/* ---- threaded recording ---------------------------------------------------- */

typedef struct producer_ctx {
    reel_chunk_writer *cw;
    const float *in;
    size_t frames;
    atomic_bool done;
} producer_ctx;

static void *producer(void *arg)
{
    producer_ctx *p = arg;
    for (size_t pos = 0; pos < p->frames; pos += PERIOD) {
        size_t n = p->frames - pos < PERIOD ? p->frames - pos : PERIOD;
        /* Exact bytes wanted: never outrun the recorder's chunk supply. */
        while (reel_cw_ready_count(p->cw) == 0)
            usleep(50);
        reel_cw_set_clock(p->cw, reel_clock_mono_now(), reel_clock_wall_now(), 5000 + pos);
        reel_cw_write(p->cw, (const uint8_t *)p->in + pos * FB, n);
        if ((pos / PERIOD) % 64 == 0)
            usleep(200); /* let several polls see a live staging chunk */
    }
    reel_cw_finish(p->cw);
    atomic_store(&p->done, true);
    return NULL;
}

static void test_record_threaded(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    reel_error err = {0};
    /* 2 s and a bit: 20 full chunks and a partial one. */
    const size_t frames = 20 * CHUNK_FRAMES + 1234;
    float *in = make_input(frames, 11);

    reel_recorder *r = NULL;
    if (reel_recorder_open(&r, st, &def, &err) != REEL_OK)
        fail_msg("open: %s", err.msg);

    /* While recording, the registry says so, with our pid. */
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "recording");
    assert_true(row.pid == getpid());
    assert_true(reel_hash_is_zero(&row.sealed_manifest));

    producer_ctx p = {.cw = reel_recorder_writer(r), .in = in, .frames = frames};
    atomic_init(&p.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
    int rc = REEL_OK;
    bool saw_live = false;
    while (!atomic_load(&p.done) && rc == REEL_OK) {
        rc = reel_recorder_poll(r, &err);
        /* The live view works while recording (as a reader would see it). */
        if (!saw_live && rc == REEL_OK) {
            reel_stream_view v;
            if (reel_store_stream_open(st, URI, &v, NULL) == REEL_OK) {
                saw_live = v.manifest.n_tail > 0;
                reel_stream_view_free(&v);
            }
        }
        usleep(1000);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    if (rc != REEL_OK)
        fail_msg("poll: %s", err.msg);
    assert_true(saw_live);

    reel_recorder_status s;
    reel_recorder_get_status(r, &s);
    assert_true(s.frames == frames);
    assert_true(s.overrun_frames == 0 && s.xruns == 0);

    if (reel_recorder_close(r, &err) != REEL_OK)
        fail_msg("close: %s", err.msg);

    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, in, frames, &n, &view);
    assert_int_equal(n, 21);
    assert_true(c[20].frames == 1234);
    assert_true(view.manifest.gaps == 0);
    assert_string_equal(view.def.uri, URI);
    assert_true(view.def.chunk_size_bytes == CHUNK_FRAMES * FB);
    /* Chunk wall clocks move forward. */
    for (size_t i = 1; i < n; i++)
        assert_true(c[i].clock.wall_ns >= c[i - 1].clock.wall_ns);
    free(c);
    reel_stream_view_free(&view);
    /* Nothing left in staging: unused chunks and the live manifest went. */
    assert_int_equal(staging_files(st), 0);
    free(in);
    reel_store_close(st);
}

/* ---- crash recovery --------------------------------------------------------- */

#define REC_SEEN (2 * CHUNK_FRAMES + 1000) /* frames the manifest learns of */
#define REC_MORE 500                        /* written after the last report */

/* The dying recorder: runs in a forked child, never closes. */
static int child_record_and_die(const char *dir, const float *in)
{
    reel_store *st = NULL;
    reel_error err = {0};
    if (reel_store_open(&st, dir, true, &err) != REEL_OK)
        return 10;
    reel_stream_def def = audio_def();
    reel_recorder *r = NULL;
    if (reel_recorder_open(&r, st, &def, &err) != REEL_OK)
        return 11;
    if (feed_inline(r, in, REC_SEEN, &err) != REEL_OK)
        return 12;
    /* Let the head be reported into the live manifest (every ~100 ms). */
    for (int i = 0; i < 30; i++) {
        if (reel_recorder_poll(r, &err) != REEL_OK)
            return 13;
        usleep(10000);
    }
    /* Frames the manifest never hears about, then a crash. */
    reel_chunk_writer *cw = reel_recorder_writer(r);
    reel_cw_write(cw, (const uint8_t *)in + (size_t)REC_SEEN * FB, REC_MORE);
    return 0;
}

static void test_recover_dead_recorder(void **state)
{
    fixture *f = *state;
    float *in = make_input(REC_SEEN + REC_MORE, 22);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_record_and_die(f->dir, in));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    reel_store *st = open_store(f);
    reel_error err = {0};
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "recording");
    assert_true(row.pid == pid); /* an exited process */

    /* While a live recorder holds the stream's lock, recovery refuses and
     * names it; so does a second recorder of the same stream. The pid in
     * the registry is not what decides (it may have been recycled). */
    int held;
    assert_int_equal(reel_lock_acquire_stream(st, URI, &held, &err), REEL_OK);
    assert_int_equal(reel_recorder_recover(st, URI, &err), REEL_ESTATE);
    char want[64];
    snprintf(want, sizeof want, "recorded by process %ld", (long)getpid());
    assert_non_null(strstr(err.msg, want));
    reel_stream_def def = audio_def();
    reel_recorder *second = NULL;
    assert_int_equal(reel_recorder_open(&second, st, &def, &err), REEL_ESTATE);
    reel_lock_release(held);

    /* The live manifest knows two sealed chunks and a staging one. */
    reel_manifest live;
    assert_int_equal(reel_manifest_load(&live, reel_store_cas(st), &row.manifest_id, &err), REEL_OK);
    assert_int_equal(live.n_tail, 3);
    assert_true(live.tail[0].sealed && live.tail[1].sealed);
    assert_false(live.tail[2].sealed);
    assert_true(live.tail[2].bytes == 1000 * FB);
    reel_hash staging_id = live.tail[2].hash;
    reel_manifest_free(&live);
    char spath[PATH_MAX];
    reel_cas_staging_path(reel_store_cas(st), &staging_id, spath);
    assert_int_equal(access(spath, F_OK), 0);

    if (reel_recorder_recover(st, URI, &err) != REEL_OK)
        fail_msg("recover: %s", err.msg);
    /* The staging chunk is sealed at the manifest's length, not at what
     * was written after the last report, nor at its allocated size. */
    assert_int_equal(access(spath, F_OK), -1);
    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, in, REC_SEEN, &n, &view);
    assert_int_equal(n, 3);
    assert_true(c[2].bytes == 1000 * FB);
    free(c);
    reel_stream_view_free(&view);
    /* Recovering a stopped stream is a no-op. */
    assert_int_equal(reel_recorder_recover(st, URI, &err), REEL_OK);
    assert_int_equal(reel_recorder_recover(st, "stream://test/none", &err), REEL_ENOENT);
    free(in);
    reel_store_close(st);
}

/* Opening a stream whose recorder died recovers it first, then resumes. */
static void test_open_after_crash_recovers_and_resumes(void **state)
{
    fixture *f = *state;
    const size_t n2 = CHUNK_FRAMES + 10;
    float *in = make_input(REC_SEEN + REC_MORE + n2, 55);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_record_and_die(f->dir, in));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The second session continues right after the recovered frames. */
    float *want = malloc((REC_SEEN + n2) * FB);
    assert_non_null(want);
    memcpy(want, in, REC_SEEN * FB);
    memcpy((uint8_t *)want + REC_SEEN * FB, (uint8_t *)in + (REC_SEEN + REC_MORE) * FB, n2 * FB);
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    record_session(st, &def, (const float *)((const uint8_t *)want + REC_SEEN * FB), n2);

    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, want, REC_SEEN + n2, &n, &view);
    assert_int_equal(n, 5);
    assert_true(c[3].first_frame == REC_SEEN);
    assert_true(view.manifest.gaps == 1);
    free(c);
    reel_stream_view_free(&view);
    free(want);
    free(in);
    reel_store_close(st);
}

/* A stream that ends exactly on a chunk boundary has no empty last chunk. */
static void test_exact_chunk_multiple(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    const size_t frames = 3 * CHUNK_FRAMES;
    float *in = make_input(frames, 66);
    record_session(st, &def, in, frames);
    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, in, frames, &n, &view);
    assert_int_equal(n, 3);
    free(c);
    reel_stream_view_free(&view);
    assert_int_equal(staging_files(st), 0);
    free(in);
    reel_store_close(st);
}

/* ---- resume and format mismatch -------------------------------------------- */

static void test_resume_continues_frames(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    const size_t n1 = CHUNK_FRAMES + 700, n2 = 2 * CHUNK_FRAMES + 33;
    float *in = make_input(n1 + n2, 33);

    record_session(st, &def, in, n1);
    reel_error err = {0};
    reel_db_stream row1;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row1, &err), REEL_OK);

    /* Same URI again (a different chunk size in the request is ignored:
     * the stream keeps its own). */
    reel_stream_def again = def;
    again.chunk_size_bytes = 1000 * FB;
    record_session(st, &again, (const float *)((const uint8_t *)in + n1 * FB), n2);

    reel_db_stream row2;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row2, &err), REEL_OK);
    assert_true(reel_hash_equal(&row1.definition_hash, &row2.definition_hash));
    assert_string_equal(row1.definition_artifact, row2.definition_artifact);
    assert_false(reel_hash_equal(&row1.sealed_manifest, &row2.sealed_manifest));

    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, in, n1 + n2, &n, &view);
    /* Session 1: 4800 + 700; session 2: 4800 + 4800 + 33, from frame n1. */
    assert_int_equal(n, 5);
    assert_true(c[1].frames == 700);
    assert_true(c[2].first_frame == n1);
    assert_true(c[2].frames == CHUNK_FRAMES);
    assert_true(c[4].frames == 33);
    assert_true(view.manifest.gaps == 1);
    free(c);
    reel_stream_view_free(&view);
    assert_int_equal(staging_files(st), 0);
    free(in);
    reel_store_close(st);
}

static void test_resume_other_format_fails(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    const size_t n1 = 3000;
    float *in = make_input(n1, 44);
    record_session(st, &def, in, n1);
    reel_error err = {0};
    reel_db_stream before;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &before, &err), REEL_OK);

    reel_stream_def other[3] = {def, def, def};
    other[0].channels = 1;
    other[1].sample_rate = 44100;
    other[2].sample_format = REEL_SAMPLE_I16;
    for (int i = 0; i < 3; i++) {
        reel_recorder *r = NULL;
        memset(&err, 0, sizeof err);
        int rc = reel_recorder_open(&r, st, &other[i], &err);
        if (rc != REEL_EEXIST)
            fail_msg("variant %d: rc %d (%s)", i, rc, err.msg);
        assert_null(r);
        assert_true(err.msg[0] != '\0');
    }
    /* The stream is untouched and nothing was left in staging. */
    reel_db_stream after;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &after, &err), REEL_OK);
    assert_string_equal(after.state, "stopped");
    assert_true(reel_hash_equal(&before.sealed_manifest, &after.sealed_manifest));
    assert_int_equal(staging_files(st), 0);
    reel_stream_view view;
    size_t n = 0;
    reel_chunk_entry *c = check_sealed_stream(st, in, n1, &n, &view);
    free(c);
    reel_stream_view_free(&view);

    /* An invalid definition is refused before touching the store. */
    reel_stream_def bad = def;
    bad.sample_rate = 0;
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, st, &bad, &err), REEL_EINVAL);
    free(in);
    reel_store_close(st);
}

/* ---- MIDI ----------------------------------------------------------------- */

static void test_record_midi(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def;
    memset(&def, 0, sizeof def);
    snprintf(def.uri, sizeof def.uri, URI);
    snprintf(def.device_identity, sizeof def.device_identity, "test:midi");
    def.kind = REEL_STREAM_MIDI;
    def.sample_rate = RATE;
    def.chunk_size_bytes = 4096; /* 178 three-byte records */
    reel_error err = {0};
    reel_recorder *r = NULL;
    if (reel_recorder_open(&r, st, &def, &err) != REEL_OK)
        fail_msg("open: %s", err.msg);
    reel_chunk_writer *cw = reel_recorder_writer(r);

    enum { PERIODS = 300, N_EV = 2 * PERIODS };
    uint64_t frames_sent[N_EV];
    size_t n_ev = 0;
    for (int p = 0; p < PERIODS; p++) {
        while (reel_cw_ready_count(cw) == 0)
            assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), (uint64_t)p * PERIOD);
        for (int k = 0; k < 2; k++) {
            uint8_t msg[3] = {(uint8_t)(0x90 + k), (uint8_t)(p & 0x7f), (uint8_t)(1 + k)};
            uint32_t off = (uint32_t)(k * 40 + p % 5);
            assert_true(reel_cw_write_midi(cw, off, msg, 3));
            frames_sent[n_ev++] = (uint64_t)p * PERIOD + off;
        }
        reel_cw_advance(cw, PERIOD);
        if (p % 8 == 0)
            assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
    }
    reel_cw_finish(cw);
    if (reel_recorder_close(r, &err) != REEL_OK)
        fail_msg("close: %s", err.msg);

    reel_stream_view view;
    assert_int_equal(reel_store_stream_open(st, URI, &view, &err), REEL_OK);
    const reel_manifest *m = &view.manifest;
    assert_int_equal(m->kind, REEL_STREAM_MIDI);
    assert_true(m->total_frames == PERIODS * PERIOD);
    assert_true(m->total_events == N_EV);
    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(m, reel_store_cas(st), 0, UINT64_MAX / 4, &c, &n, &err), REEL_OK);
    assert_true(n >= 4);
    /* Chunks partition the frame clock; events decode in order. */
    uint64_t next = 0, events = 0;
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].sealed);
        assert_true(c[i].first_frame == next);
        next += c[i].frames;
        char path[PATH_MAX];
        reel_cas_content_path(reel_store_cas(st), &c[i].hash, path);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true((uint64_t)sb.st_size == c[i].bytes);
        assert_int_equal(sb.st_mode & 07777, 0444);
        uint8_t *data = malloc(c[i].bytes + 1);
        assert_non_null(data);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(fread(data, 1, c[i].bytes + 1, fp), c[i].bytes);
        fclose(fp);
        size_t off = 0;
        uint64_t in_chunk = 0;
        while (off < c[i].bytes) {
            reel_midi_event ev;
            size_t used = 0;
            assert_int_equal(reel_midi_record_decode(data + off, c[i].bytes - off, &ev, &used),
                             REEL_OK);
            assert_true(got < n_ev);
            assert_true(ev.frame == frames_sent[got]);
            assert_true(ev.frame >= c[i].first_frame && ev.frame < c[i].first_frame + c[i].frames);
            assert_int_equal(ev.len, 3);
            assert_true(ev.wall_ns > 0);
            got++;
            in_chunk++;
            off += used;
        }
        assert_true(in_chunk == c[i].events);
        events += c[i].events;
        free(data);
    }
    assert_int_equal(got, n_ev);
    assert_true(next == PERIODS * PERIOD);
    assert_true(events == N_EV);
    free(c);
    reel_stream_view_free(&view);
    reel_store_close(st);
}


/* MIDI clock: the pulses before any frame the heads passed are exact (an
 * oracle of the frames sent), across chunk rotations; a frame not passed
 * yet is REEL_ESTATE, one further back than the pulses kept REEL_ERANGE;
 * the final status holds every pulse. */
static void test_midi_clock_ticks_at_frames(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def;
    memset(&def, 0, sizeof def);
    snprintf(def.uri, sizeof def.uri, URI);
    snprintf(def.device_identity, sizeof def.device_identity, "test:midi");
    def.kind = REEL_STREAM_MIDI;
    def.sample_rate = RATE;
    def.chunk_size_bytes = 4096; /* ~190 records: tens of rotations */
    reel_error err = {0};
    reel_recorder *r = NULL;
    if (reel_recorder_open(&r, st, &def, &err) != REEL_OK)
        fail_msg("open: %s", err.msg);
    reel_chunk_writer *cw = reel_recorder_writer(r);

    enum { PERIODS = 1000, SPACING = 10 };
    static uint64_t sent[PERIODS * PERIOD / SPACING + 8];
    size_t n_sent = 0;
    uint64_t ticks;
    bool any = true;
    assert_int_equal(reel_recorder_midi_ticks_before(r, 0, &ticks, &any, &err), REEL_OK);
    assert_true(ticks == 0 && !any);
    const uint8_t tick[1] = {0xF8}, note[3] = {0x90, 60, 1};
    const uint8_t sysex[4] = {0xF0, 0x7D, 0xF8, 0xF7}; /* a pulse inside */
    uint64_t next_tick = 5;
    bool checked_range = false;
    for (int p = 0; p < PERIODS; p++) {
        while (reel_cw_ready_count(cw) == 0)
            assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
        uint64_t p0 = (uint64_t)p * PERIOD;
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), p0);
        assert_true(reel_cw_write_midi(cw, 3, note, 3));
        for (; next_tick < p0 + PERIOD; next_tick += SPACING) {
            assert_true(reel_cw_write_midi(cw, (uint32_t)(next_tick - p0), tick, 1));
            sent[n_sent++] = next_tick;
        }
        if (p == 7) {
            assert_true(reel_cw_write_midi(cw, PERIOD - 1, sysex, sizeof sysex));
            sent[n_sent++] = p0 + PERIOD - 1;
        }
        reel_cw_advance(cw, PERIOD);
        assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
        if (p % 200 != 199)
            continue;
        /* Every frame up to where the recorder has read: exact. */
        /* (The recorder has read all but at most a chunk's pulses, < 400.) */
        size_t keep = REEL_RECORDER_TICKS_KEPT - 400;
        uint64_t lo = n_sent > keep ? sent[n_sent - keep] : 0;
        uint64_t at = lo, done_to = 0;
        size_t k = 0;
        for (;; at += 11) {
            int rc = reel_recorder_midi_ticks_before(r, at, &ticks, &any, &err);
            if (rc == REEL_ESTATE)
                break;
            assert_int_equal(rc, REEL_OK);
            while (k < n_sent && sent[k] < at)
                k++;
            if (ticks != k)
                fail_msg("before frame %llu: %llu ticks, %zu sent", (unsigned long long)at,
                         (unsigned long long)ticks, k);
            assert_true(any);
            done_to = at;
        }
        /* It keeps up (a local writer's head is read at chunk ends and every
         * 100 ms: within a chunk, ~70 periods here). */
        if (!(done_to + 11 + 100 * PERIOD > p0))
            fail_msg("p0 %llu done_to %llu lo %llu n_sent %zu", (unsigned long long)p0, (unsigned long long)done_to, (unsigned long long)lo, n_sent);
        assert_true(at <= p0 + PERIOD + 11);        /* and never claims the future */
        if (n_sent > REEL_RECORDER_TICKS_KEPT + 400) {
            uint64_t old = sent[n_sent - REEL_RECORDER_TICKS_KEPT - 400];
            assert_int_equal(reel_recorder_midi_ticks_before(r, old, &ticks, &any, &err),
                             REEL_ERANGE);
            checked_range = true;
        }
    }
    assert_true(checked_range);
    reel_cw_finish(cw);
    reel_recorder_status fin;
    if (reel_recorder_close_status(r, &fin, &err) != REEL_OK)
        fail_msg("close: %s", err.msg);
    assert_true(fin.midi_clock_ticks == n_sent);
    reel_stream_view view;
    assert_int_equal(reel_store_stream_open(st, URI, &view, &err), REEL_OK);
    /* The head clock's ticks: the pulses before its frame. */
    assert_true(view.manifest.has_head_clock && view.manifest.head_clock.has_midi_ticks);
    size_t k = 0;
    while (k < n_sent && sent[k] < view.manifest.head_clock.frame)
        k++;
    assert_true(view.manifest.head_clock.midi_ticks == k);
    reel_stream_view_free(&view);
    reel_store_close(st);
}

/* ---- a writer that lost events fails the recorder --------------------------- */

static void test_lost_events_fail_the_recorder(void **state)
{
    fixture *f = *state;
    reel_store *st = open_store(f);
    reel_stream_def def = audio_def();
    reel_recorder *r = NULL;
    reel_error err = {0};
    assert_int_equal(reel_recorder_open(&r, st, &def, &err), REEL_OK);
    reel_chunk_writer *cw = reel_recorder_writer(r);
    float *in = make_input(PERIOD, 77);
    reel_cw_write(cw, in, PERIOD);
    assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
    /* A control side that never drains: more events than the ring and the
     * writer's backlog hold. */
    for (int i = 0; i < 5000; i++)
        reel_cw_note_xrun(cw);
    reel_cw_head h;
    reel_cw_read_head(cw, &h);
    assert_true(h.events_lost > 0);
    reel_error_clear(&err);
    assert_int_equal(reel_recorder_poll(r, &err), REEL_EIO);
    assert_non_null(strstr(err.msg, "lost"));
    assert_non_null(strstr(err.msg, URI));
    reel_cw_finish(cw);
    reel_recorder_close(r, &err); /* fails again; frees r either way */
    free(in);
    reel_store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_record_threaded),
        T(test_recover_dead_recorder),
        T(test_open_after_crash_recovers_and_resumes),
        T(test_exact_chunk_multiple),
        T(test_resume_continues_frames),
        T(test_resume_other_format_fails),
        T(test_record_midi),
        T(test_midi_clock_ticks_at_frames),
        T(test_lost_events_fail_the_recorder),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
