/*
 * test_recovery.c — the start-up scan (recovery.h): a stream whose recorder
 * died (a forked child) is sealed at its last reported head; unknown
 * staging files go only past the grace period and only while no recorder is
 * alive; a dry run changes nothing; a live recorder's stream and prepared
 * chunks are never touched; an unreadable manifest stops the sweep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "capture/recorder.h"
#include "capture/recovery.h"
#include "store/store_lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define FB 8 /* stereo f32 */
#define CHUNK_FRAMES 4800
#define URI "stream://test/recovery"
#define HOUR_NS (3600LL * 1000000000LL)

static int setup(void **state) { return test_tmpdir_setup(state, "recovery"); }
static int teardown(void **state) { return test_tmpdir_teardown(state); }

static reel_stream_def audio_def(const char *uri)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "%s", uri);
    snprintf(d.device_identity, sizeof d.device_identity, "test:feed");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = RATE;
    d.channels = 2;
    d.sample_format = REEL_SAMPLE_F32;
    d.chunk_size_bytes = CHUNK_FRAMES * FB;
    return d;
}

static reel_store *open_store(const char *dir)
{
    reel_store *st = NULL;
    reel_error err = {0};
    if (reel_store_open(&st, dir, true, &err) != REEL_OK)
        fail_msg("store open: %s", err.msg);
    return st;
}

/* Write `frames` frames of a ramp, polling so the manifest hears of them. */
static int feed(reel_recorder *r, size_t frames, reel_error *err)
{
    reel_chunk_writer *cw = reel_recorder_writer(r);
    float buf[64 * 2];
    for (size_t pos = 0; pos < frames; pos += 64) {
        for (size_t i = 0; i < 128; i++)
            buf[i] = (float)((pos * 2 + i) % 1000) / 1000.0f;
        while (reel_cw_ready_count(cw) == 0) {
            int rc = reel_recorder_poll(r, err);
            if (rc)
                return rc;
        }
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), pos);
        reel_cw_write(cw, (const uint8_t *)buf, frames - pos < 64 ? frames - pos : 64);
        if ((pos / 64) % 16 == 0) {
            int rc = reel_recorder_poll(r, err);
            if (rc)
                return rc;
        }
    }
    for (int i = 0; i < 25; i++) { /* past one head interval (~100 ms) */
        int rc = reel_recorder_poll(r, err);
        if (rc)
            return rc;
        usleep(10000);
    }
    return REEL_OK;
}

/* The dying recorder (forked child): records, reports, exits unclosed. */
static void record_and_die(const char *dir, size_t frames)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        reel_store *st = NULL;
        reel_error err = {0};
        reel_stream_def def = audio_def(URI);
        reel_recorder *r = NULL;
        if (reel_store_open(&st, dir, true, &err) || reel_recorder_open(&r, st, &def, &err) ||
            feed(r, frames, &err))
            _exit(10);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A file of `size` bytes at `path` (its directories made), aged `age_ns`. */
static void make_file(const char *path, size_t size, int64_t age_ns)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t t = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec - age_ns;
    struct timespec ts[2] = {{t / 1000000000LL, t % 1000000000LL},
                             {t / 1000000000LL, t % 1000000000LL}};
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
}

static void orphan(reel_store *st, reel_hash *id, size_t size, int64_t age_ns)
{
    reel_error err = {0};
    assert_int_equal(reel_hash_random(id, &err), REEL_OK);
    char path[PATH_MAX];
    reel_cas_staging_path(reel_store_cas(st), id, path);
    make_file(path, size, age_ns);
}

static bool staging_exists(reel_store *st, const reel_hash *id)
{
    char path[PATH_MAX];
    reel_cas_staging_path(reel_store_cas(st), id, path);
    return access(path, F_OK) == 0;
}

static int count_file(const reel_hash *h, const char *path, void *ud)
{
    (void)h, (void)path;
    ++*(size_t *)ud;
    return 0;
}

static size_t n_staging(reel_store *st)
{
    size_t n = 0;
    reel_error err = {0};
    assert_true(reel_cas_foreach(reel_store_cas(st), 1, count_file, &n, &err) >= 0);
    return n;
}

static void scan(reel_store *st, int64_t grace_ns, bool dry, reel_recovery_report *rep)
{
    reel_recovery_opts o = {.grace_ns = grace_ns, .dry_run = dry};
    reel_error err = {0};
    if (reel_recovery_scan(st, &o, rep, &err) != REEL_OK)
        fail_msg("scan: %s", err.msg);
}

static void test_dead_recorder_and_orphans(void **state)
{
    const char *dir = *state;
    const size_t frames = 2 * CHUNK_FRAMES + 1000;
    record_and_die(dir, frames);
    reel_store *st = open_store(dir);
    reel_error err = {0};
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "recording");
    reel_manifest live;
    assert_int_equal(reel_manifest_load(&live, reel_store_cas(st), &row.manifest_id, &err), REEL_OK);
    uint64_t head = live.total_frames;
    assert_true(head == frames);
    reel_hash staged = live.tail[live.n_tail - 1].hash;
    assert_false(live.tail[live.n_tail - 1].sealed);
    reel_manifest_free(&live);
    /* The child's prepared chunks are unknown to the manifest; add an old
     * and a young orphan and an old temporary. */
    size_t before = n_staging(st);
    assert_true(before >= 2 + 2); /* live manifest + staging chunk + prepared ones */
    reel_hash old_orphan, young_orphan;
    orphan(st, &old_orphan, 4096, 2 * HOUR_NS);
    orphan(st, &young_orphan, 4096, 0);
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/.reel-tmp-crashed", reel_cas_tmp_dir(reel_store_cas(st)));
    make_file(tmp, 100, 2 * HOUR_NS);

    /* A dry run counts and changes nothing. */
    reel_recovery_report rep;
    scan(st, HOUR_NS, true, &rep);
    assert_int_equal(rep.streams_recovered, 1);
    assert_int_equal(rep.chunks_sealed, 1);
    assert_true(rep.frames_sealed == 1000);
    assert_int_equal(rep.unknown_removed, 1);
    assert_true(rep.unknown_young >= 1);
    assert_int_equal(rep.tmp_removed, 1);
    assert_int_equal(n_staging(st), before + 2);
    assert_int_equal(access(tmp, F_OK), 0);
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "recording");

    /* The real scan with a one-hour grace: the stream is sealed at its
     * reported head, the old orphan and temporary go, young files stay
     * (the child's prepared chunks are young too). */
    scan(st, HOUR_NS, false, &rep);
    assert_int_equal(rep.streams_recovered, 1);
    assert_int_equal(rep.streams_live, 0);
    assert_int_equal(rep.streams_failed, 0);
    assert_true(rep.frames_sealed == 1000);
    assert_int_equal(rep.unknown_removed, 1);
    assert_int_equal(rep.tmp_removed, 1);
    assert_false(staging_exists(st, &old_orphan));
    assert_true(staging_exists(st, &young_orphan));
    assert_false(staging_exists(st, &staged));
    assert_int_equal(access(tmp, F_OK), -1);
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "stopped");
    assert_true(v.manifest.total_frames == head);
    assert_int_equal(v.manifest.n_chunks, 3);
    reel_stream_view_free(&v);
    size_t young = rep.unknown_young;
    assert_int_equal(n_staging(st), young);

    /* Grace 0: every unknown file goes; nothing is left in staging. */
    scan(st, 0, false, &rep);
    assert_int_equal(rep.streams_recovered, 0);
    assert_int_equal(rep.unknown_removed, young);
    assert_int_equal(n_staging(st), 0);
    char line[1024];
    reel_recovery_opts o = {0};
    reel_recovery_summary(&rep, &o, line, sizeof line);
    assert_non_null(strstr(line, "removed"));
    reel_store_close(st);
}

/* A live recorder (here, in this process): its stream and its prepared
 * chunks are left alone even with grace 0. */
static void test_live_recorder_untouched(void **state)
{
    const char *dir = *state;
    reel_store *st = open_store(dir);
    reel_error err = {0};
    reel_stream_def def = audio_def(URI);
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, st, &def, &err), REEL_OK);
    assert_int_equal(feed(r, CHUNK_FRAMES + 100, &err), REEL_OK);
    size_t before = n_staging(st);
    reel_hash old_orphan;
    orphan(st, &old_orphan, 100, 2 * HOUR_NS);
    reel_recovery_report rep;
    scan(st, 0, false, &rep);
    assert_int_equal(rep.streams_live, 1);
    assert_int_equal(rep.streams_recovered, 0);
    assert_int_equal(rep.unknown_removed, 0);
    assert_true(rep.unknown_busy >= 1); /* the orphan, and prepared chunks */
    assert_int_equal(n_staging(st), before + 1);
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "recording");
    /* The recorder goes on and closes cleanly. */
    assert_int_equal(feed(r, 100, &err), REEL_OK);
    reel_cw_finish(reel_recorder_writer(r));
    assert_int_equal(reel_recorder_close(r, &err), REEL_OK);
    /* Now the orphan can go. */
    scan(st, 0, false, &rep);
    assert_int_equal(rep.unknown_removed, 1);
    assert_int_equal(n_staging(st), 0);
    reel_store_close(st);
}

/* A recording stream whose live manifest is unreadable: reported, and the
 * sweep keeps every unknown file (their owner cannot be told). */
static void test_unreadable_manifest_stops_sweep(void **state)
{
    const char *dir = *state;
    record_and_die(dir, 1000);
    reel_store *st = open_store(dir);
    reel_error err = {0};
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(st), URI, &row, &err), REEL_OK);
    char path[PATH_MAX];
    reel_cas_staging_path(reel_store_cas(st), &row.manifest_id, path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{not json", f);
    fclose(f);
    size_t before = n_staging(st);
    reel_recovery_report rep;
    scan(st, 0, false, &rep);
    assert_int_equal(rep.streams_failed, 1);
    assert_non_null(strstr(rep.failure, URI));
    assert_int_equal(rep.unknown_removed, 0);
    assert_int_equal(n_staging(st), before);
    char line[1024];
    reel_recovery_opts o = {0};
    reel_recovery_summary(&rep, &o, line, sizeof line);
    assert_non_null(strstr(line, "NOT recovered"));
    /* A negative grace is refused. */
    reel_recovery_opts bad = {.grace_ns = -1};
    assert_int_equal(reel_recovery_scan(st, &bad, &rep, &err), REEL_EINVAL);
    reel_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dead_recorder_and_orphans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_recorder_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_manifest_stops_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
