/*
 * test_take.c — the recorder state machine and take file names.
 *
 * Names: the sanitizer keeps [A-Za-z0-9._-], refuses paths, hidden names
 * and overlong names; creation numbers instead of overwriting, never
 * follows a symlink at the name, refuses an exports/ that is a symlink.
 * State machine, on a real store with a stream fed in real time by a
 * thread (frame k holds k and -k, so a take's samples show exactly which
 * frames it holds): every illegal transition is refused with REEL_ESTATE
 * and changes nothing; a take holds exactly the frames [from, to) its stop
 * reported, with a true header, and becomes an artifact. Then several
 * threads fire start/stop at once: only success or REEL_ESTATE comes back,
 * and the files in exports/ are exactly the successful takes, complete.
 * Exact edges: a take started and stopped at given frames (the frames the
 * calls arrived at), the stop's behind the head, holds exactly those.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "capture/recorder.h"
#include "model/take/take.h"
#include "model/take/take_name.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define PERIOD 480
#define URI "stream://test/take"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- names ------------------------------------------------------------------ */

static void test_name_sanitize(void **state)
{
    (void)state;
    char out[REEL_TAKE_FILE_MAX];
    reel_error e;
    assert_int_equal(reel_take_name_sanitize("my_performance.wav", 0, out, sizeof out, &e), 0);
    assert_string_equal(out, "my_performance.wav");
    assert_int_equal(reel_take_name_sanitize("Live Set #3", 0, out, sizeof out, &e), 0);
    assert_string_equal(out, "Live_Set__3.wav");
    assert_int_equal(reel_take_name_sanitize("caf\xc3\xa9.WAV", 0, out, sizeof out, &e), 0);
    assert_string_equal(out, "caf__.WAV");
    assert_int_equal(reel_take_name_sanitize("a;rm -rf $HOME", 0, out, sizeof out, &e), 0);
    assert_string_equal(out, "a_rm_-rf__HOME.wav");
    const char *bad[] = {"../x", "/etc/x", "a/b", "..", ".", ".hidden", "a\\b", "x/../../y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reel_error_clear(&e);
        assert_int_equal(reel_take_name_sanitize(bad[i], 0, out, sizeof out, &e), REEL_EINVAL);
        assert_true(e.msg[0] != '\0');
    }
    char longname[REEL_TAKE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(reel_take_name_sanitize(longname, 0, out, sizeof out, &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "too long"));
    longname[REEL_TAKE_NAME_MAX] = '\0';
    assert_int_equal(reel_take_name_sanitize(longname, 0, out, sizeof out, &e), 0);
    assert_int_equal(strlen(out), REEL_TAKE_NAME_MAX + 4);
    /* The default: from the time, UTC. 2026-11-20T10:00:00Z */
    assert_int_equal(reel_take_name_sanitize(NULL, 1795168800LL * 1000000000LL, out, sizeof out,
                                             &e), 0);
    assert_string_equal(out, "take-20261120-100000.wav");
    assert_int_equal(reel_take_name_sanitize("", 1795168800LL * 1000000000LL, out, sizeof out,
                                             &e), 0);
    assert_string_equal(out, "take-20261120-100000.wav");
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void test_name_create(void **state)
{
    const char *dir = *state;
    char used[REEL_TAKE_FILE_MAX], path[PATH_MAX], p[PATH_MAX];
    int fd;
    reel_error e;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reel_take_name_create(dir, "take.wav", used, path, &fd, &e), 0);
        close(fd);
        const char *want[] = {"take.wav", "take-1.wav", "take-2.wav"};
        assert_string_equal(used, want[i]);
        snprintf(p, sizeof p, "%s/exports/%s", dir, want[i]);
        assert_string_equal(path, p);
        assert_true(exists(p));
    }
    /* A symlink at the name is an existing name: never followed. */
    char outside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/outside.wav", dir);
    snprintf(p, sizeof p, "%s/exports/evil.wav", dir);
    assert_int_equal(symlink(outside, p), 0);
    assert_int_equal(reel_take_name_create(dir, "evil.wav", used, path, &fd, &e), 0);
    close(fd);
    assert_string_equal(used, "evil-1.wav");
    assert_false(exists(outside));
    /* Unsanitized names are refused here too. */
    assert_int_equal(reel_take_name_create(dir, "../x.wav", used, path, &fd, &e), REEL_EINVAL);
    assert_int_equal(fd, -1);
    /* An exports/ that is a symlink is refused. */
    char other[PATH_MAX], store2[PATH_MAX];
    snprintf(store2, sizeof store2, "%s/store2", dir);
    snprintf(other, sizeof other, "%s/elsewhere", dir);
    assert_int_equal(mkdir(store2, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    snprintf(p, sizeof p, "%s/exports", store2);
    assert_int_equal(symlink(other, p), 0);
    assert_int_equal(reel_take_name_create(store2, "t.wav", used, path, &fd, &e), REEL_EIO);
    assert_non_null(strstr(e.msg, "symlink"));
    snprintf(p, sizeof p, "%s/t.wav", other);
    assert_false(exists(p));
}

/* ---- a live stream -------------------------------------------------------- */

typedef struct feeder {
    char dir[PATH_MAX];
    reel_store *st;  /* the recorder's */
    reel_recorder *r;
    pthread_t th;
    atomic_bool stop;
    int rc;
} feeder;

static void *feed_main(void *arg)
{
    feeder *f = arg;
    reel_chunk_writer *cw = reel_recorder_writer(f->r);
    float buf[PERIOD * CH];
    uint64_t k = 0;
    reel_error err;
    while (!atomic_load(&f->stop) && f->rc == 0) {
        for (int spin = 0; reel_cw_ready_count(cw) == 0 && f->rc == 0; spin++) {
            f->rc = reel_recorder_poll(f->r, &err);
            sleep_ms(1);
        }
        for (int i = 0; i < PERIOD; i++) {
            buf[i * CH] = (float)((k + (uint64_t)i) % 1000000);
            buf[i * CH + 1] = -(float)((k + (uint64_t)i) % 1000000);
        }
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), k);
        reel_cw_write(cw, (const uint8_t *)buf, PERIOD);
        k += PERIOD;
        if (f->rc == 0)
            f->rc = reel_recorder_poll(f->r, &err);
        sleep_ms(10); /* 480 frames per 10 ms: real time at 48 kHz */
    }
    return NULL;
}

static int live_setup(void **state)
{
    feeder *f = calloc(1, sizeof *f);
    if (!f || !test_tmpdir_make(f->dir, sizeof f->dir, "take")) {
        free(f);
        return -1;
    }
    reel_error err;
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, URI);
    snprintf(d.device_identity, sizeof d.device_identity, "test:feed");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = RATE;
    d.channels = CH;
    d.sample_format = REEL_SAMPLE_F32;
    d.chunk_size_bytes = 4800 * FB; /* seals every 100 ms: takes read across seals */
    if (reel_store_open(&f->st, f->dir, true, &err) || reel_recorder_open(&f->r, f->st, &d, &err) ||
        pthread_create(&f->th, NULL, feed_main, f)) {
        fprintf(stderr, "live setup: %s\n", err.msg);
        return -1;
    }
    sleep_ms(300);
    *state = f;
    return 0;
}

static int live_teardown(void **state)
{
    feeder *f = *state;
    atomic_store(&f->stop, true);
    pthread_join(f->th, NULL);
    reel_cw_finish(reel_recorder_writer(f->r));
    reel_error err;
    reel_recorder_close(f->r, &err);
    reel_store_close(f->st);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Check a finished take file: a WAV whose header sizes match the file and
 * whose frames are consecutive stream frames; returns its first frame and
 * its frame count. */
static void check_take_file(const char *path, uint64_t *first, uint64_t *frames)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)size);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    assert_memory_equal(b, "RIFF", 4);
    uint32_t riff;
    memcpy(&riff, b + 4, 4);
    assert_int_equal(riff, (uint32_t)size - 8);
    long at = 12;
    uint32_t data = 0;
    while (at + 8 <= size) {
        uint32_t n;
        memcpy(&n, b + at + 4, 4);
        if (memcmp(b + at, "data", 4) == 0) {
            data = n;
            at += 8;
            break;
        }
        at += 8 + n + (n & 1);
    }
    assert_int_equal(at + (long)data, size);
    assert_int_equal(data % FB, 0);
    *frames = data / FB;
    /* The data starts at byte 94: copy samples out, never read in place. */
    float s[CH];
    for (uint64_t i = 0; i < *frames; i++) {
        memcpy(s, b + at + i * FB, sizeof s);
        if (i == 0)
            *first = (uint64_t)s[0];
        float want = (float)((*first + i) % 1000000);
        if (s[0] != want || s[1] != -want)
            fail_msg("%s: frame %llu holds %g, not %g", path, (unsigned long long)i,
                     (double)s[0], (double)want);
    }
    if (*frames == 0)
        *first = 0;
    free(b);
}

static int64_t jint(json_t *j, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(j, k));
}

static void test_state_machine(void **state)
{
    feeder *f = *state;
    reel_store *st;
    reel_error e;
    assert_int_equal(reel_store_open(&st, f->dir, false, &e), 0);
    reel_take *t;
    assert_int_equal(reel_take_open(&t, f->dir, NULL, NULL, &e), 0);
    json_t *out = NULL;

    /* stop while idle */
    assert_int_equal(reel_take_stop(t, st, &out, &e), REEL_ESTATE);
    assert_non_null(strstr(e.msg, "no take is recording"));
    assert_null(out);
    /* refused arguments change nothing */
    assert_int_equal(reel_take_start(t, st, URI, "../x", "test", &out, &e), REEL_EINVAL);
    assert_int_equal(reel_take_start(t, st, "stream://no/such", "x", "test", &out, &e),
                     REEL_ENOENT);
    assert_int_equal(reel_take_state_now(t), REEL_TAKE_IDLE);
    json_t *s0 = reel_take_status(t);
    assert_int_equal(jint(s0, "takes"), 0);
    json_decref(s0);

    assert_int_equal(reel_take_start(t, st, URI, "song", "test", &out, &e), 0);
    assert_string_equal(json_string_value(json_object_get(out, "state")), "recording");
    assert_string_equal(json_string_value(json_object_get(out, "file")), "song.wav");
    uint64_t from = (uint64_t)jint(out, "from_frame");
    json_decref(out);
    /* a second start: refused, naming the take; nothing changes */
    assert_int_equal(reel_take_start(t, st, URI, "other", "test", &out, &e), REEL_ESTATE);
    assert_non_null(strstr(e.msg, "already recording take song.wav"));
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/exports/other.wav", f->dir);
    assert_false(exists(p));
    assert_int_equal(reel_take_state_now(t), REEL_TAKE_RECORDING);

    /* frames reach the file while recording, not at stop */
    int64_t streamed = 0;
    for (int i = 0; i < 100 && streamed == 0; i++) {
        sleep_ms(50);
        json_t *mid = reel_take_status(t);
        assert_string_equal(json_string_value(json_object_get(mid, "state")), "recording");
        streamed = jint(mid, "frames");
        json_decref(mid);
    }
    assert_true(streamed > 0);
    struct stat sb;
    snprintf(p, sizeof p, "%s/exports/song.wav", f->dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_true(sb.st_size >= 94 + streamed * FB);
    sleep_ms(300);
    assert_int_equal(reel_take_stop(t, st, &out, &e), 0);
    assert_string_equal(json_string_value(json_object_get(out, "state")), "stopping");
    uint64_t to = (uint64_t)jint(out, "to_frame");
    assert_int_equal(jint(out, "frames"), (int64_t)(to - from));
    assert_true(to - from >= RATE / 10); /* ~0.6 s, less on a loaded machine */
    json_decref(out);
    /* a second stop: refused whether it is still stopping or idle already */
    assert_int_equal(reel_take_stop(t, st, &out, &e), REEL_ESTATE);
    assert_int_equal(reel_take_wait_idle(t, 10000), 0);

    uint64_t first, frames;
    snprintf(p, sizeof p, "%s/exports/song.wav", f->dir);
    check_take_file(p, &first, &frames);
    assert_int_equal(first, from);
    assert_int_equal(frames, to - from);
    json_t *s1 = reel_take_status(t);
    json_t *last = json_object_get(s1, "last");
    assert_null(json_object_get(last, "error"));
    const char *art = json_string_value(json_object_get(last, "artifact"));
    assert_non_null(art);
    reel_artifact a;
    assert_int_equal(reel_db_artifact_get(reel_store_db(st), art, &a, &e), 0);
    assert_string_equal(a.kind, "take");
    assert_string_equal(a.stream_uri, URI);
    assert_int_equal(a.from_frame, (int64_t)from);
    assert_int_equal(a.to_frame, (int64_t)to);
    assert_true(a.parent[0] != '\0');
    reel_artifact_clear(&a);
    json_decref(s1);

    /* the same name again: numbered, never overwritten */
    assert_int_equal(reel_take_start(t, st, URI, "song", "test", &out, &e), 0);
    assert_string_equal(json_string_value(json_object_get(out, "file")), "song-1.wav");
    json_decref(out);
    sleep_ms(200);
    assert_int_equal(reel_take_stop(t, st, &out, &e), 0);
    json_decref(out);
    assert_int_equal(reel_take_wait_idle(t, 10000), 0);
    /* close while a take is open finishes it */
    assert_int_equal(reel_take_start(t, st, URI, "closing", "test", &out, &e), 0);
    json_decref(out);
    sleep_ms(200);
    reel_take_close(t);
    snprintf(p, sizeof p, "%s/exports/closing.wav", f->dir);
    check_take_file(p, &first, &frames);
    assert_true(frames > 0);
    reel_store_close(st);
}

/* ---- many callers at once ------------------------------------------------- */

typedef struct hammer {
    feeder *f;
    reel_take *t;
    int id;
    int starts, stops, refused, other;
    char other_msg[REEL_ERROR_MSG_MAX];
} hammer;

static void *hammer_main(void *arg)
{
    hammer *h = arg;
    reel_store *st;
    reel_error e;
    if (reel_store_open(&st, h->f->dir, false, &e)) {
        h->other++;
        return NULL;
    }
    unsigned seed = (unsigned)h->id * 7919u + 1;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        json_t *out = NULL;
        int rc;
        bool start = rand_r(&seed) % 2;
        if (start)
            rc = reel_take_start(h->t, st, URI, rand_r(&seed) % 2 ? "clash" : NULL, "test",
                                 &out, &e);
        else
            rc = reel_take_stop(h->t, st, &out, &e);
        json_decref(out);
        if (rc == 0)
            start ? h->starts++ : h->stops++;
        else if (rc == REEL_ESTATE && strncmp(e.msg, "cannot ", 7) == 0)
            h->refused++;
        else {
            h->other++;
            snprintf(h->other_msg, sizeof h->other_msg, "%s", e.msg);
        }
        sleep_ms(rand_r(&seed) % 40);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 2500);
    reel_store_close(st);
    return NULL;
}

/* Takes that ended in an error (a finished take's event carries it). */
static void count_failed(void *ud, json_t *ev)
{
    if (strcmp(json_string_value(json_object_get(ev, "state")), "idle") == 0 &&
        json_object_get(json_object_get(ev, "last"), "error"))
        atomic_fetch_add((atomic_int *)ud, 1);
}

/* The store's head of the live stream. */
static uint64_t store_head(reel_store *st)
{
    reel_stream_view v;
    reel_error e;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &e), 0);
    uint64_t h = v.manifest.total_frames;
    reel_stream_view_free(&v);
    return h;
}

/* Wait (bounded: 10 s) until the store's head reaches `frames`. */
static uint64_t wait_head(reel_store *st, uint64_t frames)
{
    int64_t until = reel_clock_mono_now() + 10000000000LL;
    uint64_t h;
    while ((h = store_head(st)) < frames) {
        if (reel_clock_mono_now() > until)
            fail_msg("the head stayed at %llu, short of %llu", (unsigned long long)h,
                     (unsigned long long)frames);
        sleep_ms(2);
    }
    return h;
}

/* Take edges at given frames (the frames at which start and stop arrived,
 * take_ops.c): a start marked 50 ms behind the head, and a stop that
 * reaches the take when the head is already 100 ms past its frame (it was
 * queued for the control thread meanwhile). The take holds exactly
 * [from, to): the writer never wrote past a stop still on its way. */
static void test_exact_edges(void **state)
{
    feeder *f = *state;
    reel_store *st;
    reel_error e;
    assert_int_equal(reel_store_open(&st, f->dir, false, &e), 0);
    reel_take *t;
    assert_int_equal(reel_take_open(&t, f->dir, NULL, NULL, &e), 0);
    json_t *out = NULL;
    uint64_t h = wait_head(st, RATE / 5);
    uint64_t from = h - RATE / 20 + 7; /* not on a period boundary */
    assert_int_equal(reel_take_start_at(t, st, URI, "exact", "test", &from, &out, &e), 0);
    assert_int_equal(jint(out, "from_frame"), (int64_t)from);
    json_decref(out);
    /* The take writes while the head moves on 0.4 s (its writer following)... */
    h = wait_head(st, h + 2 * RATE / 5);
    uint64_t to = h - RATE / 10 + 3; /* ...then the stop, marked 0.1 s back */
    assert_int_equal(reel_take_stop_at(t, st, &to, &out, &e), 0);
    assert_int_equal(jint(out, "to_frame"), (int64_t)to);
    json_decref(out);
    assert_int_equal(reel_take_wait_idle(t, 10000), 0);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/exports/exact.wav", f->dir);
    uint64_t first, frames;
    check_take_file(p, &first, &frames);
    assert_int_equal(first, from);
    assert_int_equal(frames, to - from);
    reel_take_close(t);
    reel_store_close(st);
}

static void test_concurrent(void **state)
{
    feeder *f = *state;
    reel_take *t;
    reel_error e;
    atomic_int failed = 0;
    assert_int_equal(reel_take_open(&t, f->dir, count_failed, &failed, &e), 0);
    enum { N = 4 };
    hammer h[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        h[i] = (hammer){.f = f, .t = t, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
    }
    int starts = 0, stops = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (h[i].other)
            fail_msg("thread %d: %d unexpected errors, last: %s", i, h[i].other, h[i].other_msg);
        starts += h[i].starts;
        stops += h[i].stops;
        refused += h[i].refused;
    }
    reel_store *st;
    assert_int_equal(reel_store_open(&st, f->dir, false, &e), 0);
    json_t *out = NULL;
    if (reel_take_state_now(t) == REEL_TAKE_RECORDING) {
        assert_int_equal(reel_take_stop(t, st, &out, &e), 0);
        json_decref(out);
        stops++;
    }
    assert_int_equal(reel_take_wait_idle(t, 10000), 0);
    print_message("concurrent: %d starts, %d stops, %d refused\n", starts, stops, refused);
    assert_true(starts > 2);
    assert_true(refused > 0);
    assert_int_equal(starts, stops);
    assert_int_equal(atomic_load(&failed), 0);
    /* exactly the successful takes exist, each complete */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/exports", f->dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        uint64_t first, frames;
        check_take_file(p, &first, &frames);
        files++;
    }
    closedir(d);
    assert_int_equal(files, starts);
    reel_take_close(t);
    reel_store_close(st);
}

static int name_setup(void **state)
{
    return test_tmpdir_setup(state, "take_name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_sanitize),
        cmocka_unit_test_setup_teardown(test_name_create, name_setup, test_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_state_machine, live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_exact_edges, live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, live_setup, live_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
