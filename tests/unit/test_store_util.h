/*
 * test_store_util.h — what the store-level unit tests share (slice, fault,
 * control, engine, request, session_ops): b3sum as the independent oracle
 * for content hashes, a recorder fed from the test thread, fsck, counting
 * files and artifacts. Header-only like test_util.h; include it after
 * <cmocka.h>. Waits here are bounded loops on a condition, never sleeps.
 */
#ifndef REEL_TEST_STORE_UTIL_H
#define REEL_TEST_STORE_UTIL_H

#include "test_util.h"

#include "capture/recorder.h"
#include "core/log.h"
#include "store/fsck.h"
#include "store/store.h"
#include "time/clock.h"

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the log (core/log.h) ----------------------------------------------------
 * Capture what libreel logs into a file for the test to search. Call
 * before any thread starts and release after they all stopped (the sink is
 * process-wide and read without a lock). */
typedef struct tsu_log {
    char path[PATH_MAX];
    FILE *f;
} tsu_log;

static inline void tsu_log_capture(tsu_log *l, const char *dir)
{
    snprintf(l->path, sizeof l->path, "%s/reel.log", dir);
    l->f = fopen(l->path, "w");
    assert_non_null(l->f);
    setvbuf(l->f, NULL, _IONBF, 0);
    reel_log_config c = {.level = REEL_LOG_DEBUG, .json = false, .out = l->f};
    reel_log_configure(&c);
}

static inline bool tsu_log_has(const tsu_log *l, const char *s)
{
    FILE *r = fopen(l->path, "r");
    assert_non_null(r);
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, r))
        found = strstr(line, s) != NULL;
    fclose(r);
    return found;
}

static inline void tsu_log_dump(const tsu_log *l)
{
    FILE *r = fopen(l->path, "r");
    char line[2048];
    while (r && fgets(line, sizeof line, r))
        fprintf(stderr, "log: %s", line);
    if (r)
        fclose(r);
}

static inline void tsu_log_release(tsu_log *l)
{
    if (!l->f)
        return;
    reel_log_config c = {.level = REEL_LOG_INFO, .json = false, .out = NULL};
    reel_log_configure(&c);
    fclose(l->f);
    l->f = NULL;
}

/* b3sum's digest of a file (64 hex). */
static inline void tsu_b3sum_file(const char *path, char hex[REEL_HASH_HEX + 1])
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "b3sum --no-names '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_true(strlen(line) >= REEL_HASH_HEX);
    memcpy(hex, line, REEL_HASH_HEX);
    hex[REEL_HASH_HEX] = '\0';
}

/* b3sum's digest of bytes (written to `scratch` first). */
static inline void tsu_b3sum_buf(const char *scratch, const void *data, size_t len,
                                 char hex[REEL_HASH_HEX + 1])
{
    FILE *fp = fopen(scratch, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    tsu_b3sum_file(scratch, hex);
    remove(scratch);
}

static inline void tsu_hex(const reel_hash *h, char hex[REEL_HASH_HEX + 1])
{
    reel_hash_to_hex(h, hex);
}

/* The b3sum of the sealed blob h (its file under content/). */
static inline void tsu_b3sum_blob(reel_store *st, const reel_hash *h, char hex[REEL_HASH_HEX + 1])
{
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(st), h, path);
    tsu_b3sum_file(path, hex);
}

static inline reel_store *tsu_open_store(const char *dir)
{
    reel_store *st = NULL;
    reel_error err = {0};
    if (reel_store_open(&st, dir, true, &err) != REEL_OK)
        fail_msg("store open: %s", err.msg);
    return st;
}

/* Regular files directly in dir (staging and tmp leftovers). */
static inline int tsu_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
            n++;
    closedir(d);
    return n;
}

static inline int tsu_count_one(const reel_artifact *a, void *ud)
{
    (void)a;
    (*(int *)ud)++;
    return 0;
}

/* Artifacts carrying `tag` (NULL: all). */
static inline int tsu_count_artifacts(reel_store *st, const char *tag)
{
    int n = 0;
    const char *tags[1] = {tag};
    reel_error err = {0};
    if (reel_db_artifact_list(reel_store_db(st), tags, tag ? 1 : 0, tsu_count_one, &n, &err))
        fail_msg("artifact list: %s", err.msg);
    return n;
}

static inline void tsu_fsck_problem(const char *line, void *ud)
{
    (void)ud;
    fprintf(stderr, "fsck: %s\n", line);
}

/* The store is clean: every blob re-hashes to its name, nothing missing. */
static inline void tsu_assert_fsck_clean(reel_store *st)
{
    reel_fsck_report rep;
    memset(&rep, 0, sizeof rep);
    reel_error err = {0};
    int rc = reel_fsck(st, &rep, tsu_fsck_problem, NULL, &err);
    if (rc != REEL_OK)
        fail_msg("fsck: rc %d (%s), corrupt %llu missing %llu", rc, err.msg,
                 (unsigned long long)rep.corrupt, (unsigned long long)rep.missing);
    assert_true(rep.corrupt == 0 && rep.missing == 0);
    assert_true(rep.blobs > 0);
}

/* Deterministic pseudo-random float frames in [-1, 1). */
static inline float *tsu_make_input(size_t samples, uint32_t seed)
{
    float *p = malloc((samples ? samples : 1) * sizeof *p);
    assert_non_null(p);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < samples; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (float)((int32_t)x) / 2147483648.0f;
    }
    return p;
}

/* Wait (bounded: 30 s) until the recorder has a chunk ready, polling it. */
static inline int tsu_wait_ready(reel_recorder *r, reel_error *err)
{
    reel_chunk_writer *cw = reel_recorder_writer(r);
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    while (reel_cw_ready_count(cw) == 0) {
        int rc = reel_recorder_poll(r, err);
        if (rc)
            return rc;
        if (reel_clock_mono_now() > until)
            return reel_error_set(err, REEL_ESTATE, "no chunk became ready within 30 s");
        sched_yield();
    }
    return REEL_OK;
}

/* Feed `frames` interleaved frames (frame_bytes each) from the test thread
 * in periods of `period`, the device clock at `device0 + position`,
 * polling as it goes. Never outruns the chunk supply, so the stream holds
 * exactly these bytes. */
static inline int tsu_feed(reel_recorder *r, const void *in, size_t frames, size_t frame_bytes,
                           size_t period, uint64_t device0, reel_error *err)
{
    reel_chunk_writer *cw = reel_recorder_writer(r);
    for (size_t pos = 0; pos < frames; pos += period) {
        size_t n = frames - pos < period ? frames - pos : period;
        int rc = tsu_wait_ready(r, err);
        if (rc)
            return rc;
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), device0 + pos);
        reel_cw_write(cw, (const uint8_t *)in + pos * frame_bytes, n);
        if ((pos / period) % 16 == 0 && (rc = reel_recorder_poll(r, err)))
            return rc;
    }
    return REEL_OK;
}

/* One whole recording: open, feed, finish, close. */
static inline void tsu_record(reel_store *st, const reel_stream_def *def, const void *in,
                              size_t frames)
{
    reel_recorder *r = NULL;
    reel_error err = {0};
    if (reel_recorder_open(&r, st, def, &err) != REEL_OK)
        fail_msg("recorder open: %s", err.msg);
    size_t fb = reel_stream_def_frame_bytes(def);
    if (tsu_feed(r, in, frames, fb, 64, 1000, &err) != REEL_OK)
        fail_msg("feed: %s", err.msg);
    reel_cw_finish(reel_recorder_writer(r));
    if (reel_recorder_close(r, &err) != REEL_OK)
        fail_msg("recorder close: %s", err.msg);
}

/* ---- a chunk port over a writer in this process ----------------------------
 * Like the recorder's own port, but the test says when a head position
 * arrives (REEL_CW_HEAD, as the engine's StreamHeadPosition would): the
 * recorder then folds the head in and saves the manifest at once, so the
 * live edge a reader sees is exactly what the test has written. */
typedef struct tsu_port {
    reel_chunk_writer *cw;
    _Atomic int heads; /* HEAD events to hand out after the writer's own */
} tsu_port;

static inline bool tsu_port_offer(void *ctx, const reel_chunk_slot *slot, const reel_hash *id)
{
    (void)id;
    return reel_cw_offer(((tsu_port *)ctx)->cw, slot);
}
static inline size_t tsu_port_ready(void *ctx) { return reel_cw_ready_count(((tsu_port *)ctx)->cw); }
static inline bool tsu_port_next(void *ctx, reel_cw_event *ev)
{
    tsu_port *p = ctx;
    if (reel_cw_next_event(p->cw, ev))
        return true;
    if (atomic_load(&p->heads) > 0) {
        atomic_fetch_sub(&p->heads, 1);
        memset(ev, 0, sizeof *ev);
        ev->type = REEL_CW_HEAD;
        return true;
    }
    return false;
}
static inline void tsu_port_head(void *ctx, reel_cw_head *h) { reel_cw_read_head(((tsu_port *)ctx)->cw, h); }
static inline bool tsu_port_reclaim(void *ctx, reel_chunk_slot *s)
{
    return reel_cw_reclaim(((tsu_port *)ctx)->cw, s);
}

/* Open a recorder of `def` through a tsu_port (a new stream: frame 0). */
static inline reel_recorder *tsu_port_open(reel_store *st, const reel_stream_def *def,
                                           tsu_port *p)
{
    reel_error err = {0};
    memset(p, 0, sizeof *p);
    if (reel_cw_create(&p->cw, def, 0, 80, &err) != REEL_OK)
        fail_msg("writer: %s", err.msg);
    reel_chunk_port port = {.ctx = p, .offer = tsu_port_offer, .ready_count = tsu_port_ready,
                            .next_event = tsu_port_next, .read_head = tsu_port_head,
                            .reclaim = tsu_port_reclaim};
    reel_recorder *r = NULL;
    if (reel_recorder_open_port(&r, st, def, &port, &err) != REEL_OK)
        fail_msg("recorder open: %s", err.msg);
    assert_null(reel_recorder_writer(r));
    return r;
}

/* Hand the recorder one head position and let it save the manifest. */
static inline void tsu_port_push_head(reel_recorder *r, tsu_port *p)
{
    reel_error err = {0};
    atomic_fetch_add(&p->heads, 1);
    while (atomic_load(&p->heads) > 0)
        if (reel_recorder_poll(r, &err) != REEL_OK)
            fail_msg("poll: %s", err.msg);
}

/* Wait (bounded: 30 s) for a ready chunk in cw, polling r. */
static inline int tsu_wait_ready_cw(reel_recorder *r, reel_chunk_writer *cw, reel_error *err)
{
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    while (reel_cw_ready_count(cw) == 0) {
        int rc = reel_recorder_poll(r, err);
        if (rc)
            return rc;
        if (reel_clock_mono_now() > until)
            return reel_error_set(err, REEL_ESTATE, "no chunk became ready within 30 s");
        sched_yield();
    }
    return REEL_OK;
}

/* Like tsu_feed, into any writer (a port's). Returns at `frames`. */
static inline int tsu_feed_cw(reel_recorder *r, reel_chunk_writer *cw, const void *in,
                              size_t frames, size_t frame_bytes, size_t period, uint64_t device0,
                              reel_error *err)
{
    for (size_t pos = 0; pos < frames; pos += period) {
        size_t n = frames - pos < period ? frames - pos : period;
        int rc = tsu_wait_ready_cw(r, cw, err);
        if (rc)
            return rc;
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), device0 + pos);
        reel_cw_write(cw, (const uint8_t *)in + pos * frame_bytes, n);
        if ((pos / period) % 16 == 0 && (rc = reel_recorder_poll(r, err)))
            return rc;
    }
    return REEL_OK;
}

static inline reel_stream_def tsu_audio_def(const char *uri, uint32_t rate, uint32_t channels,
                                            uint64_t chunk_frames)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "%s", uri);
    snprintf(d.device_identity, sizeof d.device_identity, "test:feed");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = rate;
    d.channels = channels;
    d.sample_format = REEL_SAMPLE_F32;
    d.chunk_size_bytes = chunk_frames * channels * 4;
    return d;
}

#endif
