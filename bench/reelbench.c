/*
 * reelbench.c — in-process timings for bench/run.sh.
 *
 *   reelbench hash FILE
 *       BLAKE3 of FILE through libreel's reel_hash_file (mmap, one thread),
 *       prints the seconds it took.
 *   reelbench vslice STORE URI N
 *       N virtual slices `--last 30s` of URI through reel_slice(), prints
 *       each one's cost in microseconds: "<wall_us> <thread_cpu_us>" per line.
 *   reelbench rotation STORE SIM_SECONDS RATE CHUNK_FRAMES
 *       Records a simulated mono i16 stream through reel_recorder + the chunk
 *       writer, one chunk per step: write CHUNK_FRAMES frames, then time the
 *       reel_recorder_poll that handles the CHUNK_FULL (seal + manifest
 *       update). For the last 2 minutes (SIM_SECONDS +- 1 min) a fresh
 *       stream in the same store seals chunks in alternation with it, so the
 *       1-minute reference is measured beside the long stream ("pair" lines:
 *       j fresh_history_s fresh_wall_us fresh_cpu_us long_history_s
 *       long_wall_us long_cpu_us). The recorder's monotonic clock is simulated (the link wraps
 *       reel_clock_mono_now), so the head updates (100 ms) and periodic clock
 *       snapshots (10 s) land in the manifest as often per stream-second as
 *       in a real recording. Prints "rot <k> <history_s> <wall_us> <cpu_us>"
 *       per chunk, "mf <k> <bytes>" (live manifest size; "mf2" for the fresh
 *       stream) every 8 chunks and
 *       "rot_total <wall seconds> ..." at the end.
 *   reelbench project STORE ARTIFACT N K
 *       Through reel_service_call on STORE (a fresh store holding the
 *       imported audio ARTIFACT, 4 s or longer): creates a project with one
 *       track and N audio clips (N clip_add ops, one version each, as there
 *       is no batch op), then makes K edits of each kind (clip_update gain,
 *       clip_move, clip_split, marker_add) on distinct clips, and for each
 *       one times the call and sums the bytes it added to cas/content
 *       (apparent sizes, listed before and after, outside the timed
 *       region). Prints "build <i> <wall_us>" every 100 clips and for the
 *       last one, "build_total <seconds> <cas_bytes> <doc_bytes>", and per
 *       edit "edit <kind> <j> <wall_us> <cas_bytes_added>".
 *
 *   reelbench automation LANES SECONDS
 *       rt/plan_auto.c and render/engine/auto_record.c in process, at 48 kHz
 *       and 64-frame periods. "merge": a plan of one track playing a clip,
 *       with LANES lanes each ramping its own slot all the time (a ramp per
 *       lane per 4800 frames, so every slot steps every 16 frames; linear or
 *       s-curve) or each setting it every 100 ms ("sparse"); per-period cost of reel_plan_play
 *       minus the same plan without automation, medians of 9 batches of 2000
 *       periods: "merge <case> <us_per_period> <reference_us>". "lookup": a
 *       24-hour lane (a set every 100 ms), reel_auto_locate at 2001 random
 *       frames: "lookup <commands> <median_us>". "record": for SECONDS, a
 *       producer thread pushes 100 000 live commands a second (reel_auto_push,
 *       and each into the recorder, as automation_schedule does) while a
 *       consumer thread runs a period every 1.333 ms: "record <pushed>
 *       <applied> <late> <refused> <recorded>".
 *
 * Not part of the library; built by bench/run.sh with gcc against libreel.a.
 */
#include "capture/recorder.h"
#include "render/engine/auto_record.h"
#include "rt/plan_auto.h"
#include "service/service.h"
#include "slice/slice.h"
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- simulated monotonic clock (link: -Wl,--wrap=reel_clock_mono_now) ---- */
int64_t __real_reel_clock_mono_now(void);
int64_t __wrap_reel_clock_mono_now(void);
static _Atomic int64_t g_sim_mono; /* 0: real clock */

int64_t __wrap_reel_clock_mono_now(void)
{
    int64_t s = atomic_load(&g_sim_mono);
    return s ? s : __real_reel_clock_mono_now();
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int die(const char *what, const reel_error *e)
{
    fprintf(stderr, "reelbench: %s: %s\n", what, e && e->msg[0] ? e->msg : "failed");
    return 1;
}

static int cmd_hash(const char *path)
{
    reel_error e;
    reel_error_clear(&e);
    reel_hash h;
    int64_t t0 = now_ns();
    if (reel_hash_file(path, &h, &e))
        return die("hash", &e);
    int64_t t1 = now_ns();
    char hex[REEL_HASH_HEX + 1];
    reel_hash_to_hex(&h, hex);
    printf("%.6f %s\n", (double)(t1 - t0) / 1e9, hex);
    return 0;
}

static int cmd_vslice(const char *root, const char *uri, int n)
{
    reel_error e;
    reel_error_clear(&e);
    reel_store *st;
    if (reel_store_open(&st, root, false, &e))
        return die("open store", &e);
    for (int i = 0; i < n; i++) {
        reel_slice_request req;
        memset(&req, 0, sizeof req);
        req.stream_uri = uri;
        req.from.kind = REEL_TS_AGO;
        req.from.ago_ns = 30LL * 1000000000LL;
        req.to.kind = REEL_TS_HEAD;
        req.clamp = true;
        req.is_virtual = true;
        req.format = REEL_OUT_WAV;
        req.creator = "bench";
        reel_slice_result res;
        int64_t c0 = cpu_ns(), t0 = now_ns();
        int rc = reel_slice(st, &req, &res, &e);
        int64_t t1 = now_ns(), c1 = cpu_ns();
        if (rc) {
            reel_store_close(st);
            return die("virtual slice", &e);
        }
        printf("%.1f %.1f\n", (double)(t1 - t0) / 1e3, (double)(c1 - c0) / 1e3);
    }
    reel_store_close(st);
    return 0;
}

/* Size of the live manifest file (outside the timed region). */
static void print_manifest_size(reel_store *st, const char *uri, const char *tag, uint64_t k)
{
    reel_db_stream row;
    if (reel_db_stream_get(reel_store_db(st), uri, &row, NULL))
        return;
    char path[PATH_MAX];
    reel_cas_staging_path(reel_store_cas(st), &row.manifest_id, path);
    struct stat sb;
    if (stat(path, &sb) == 0)
        printf("%s %llu %lld\n", tag, (unsigned long long)k, (long long)sb.st_size);
}

/* One simulated stream: its recorder and where it is. */
typedef struct sim {
    reel_recorder *r;
    reel_chunk_writer *cw;
    reel_stream_def def;
    uint64_t k; /* chunks written */
} sim;

static int sim_open(sim *sm, reel_store *st, const char *uri, uint32_t rate,
                    uint64_t chunk_frames, reel_error *e)
{
    memset(sm, 0, sizeof *sm);
    snprintf(sm->def.uri, sizeof sm->def.uri, "%s", uri);
    snprintf(sm->def.device_identity, sizeof sm->def.device_identity, "bench:simulated");
    sm->def.kind = REEL_STREAM_AUDIO;
    sm->def.sample_rate = rate;
    sm->def.channels = 1;
    sm->def.sample_format = REEL_SAMPLE_I16;
    sm->def.chunk_size_bytes = chunk_frames * 2;
    if (reel_recorder_open(&sm->r, st, &sm->def, e))
        return -1;
    sm->cw = reel_recorder_writer(sm->r);
    return 0;
}

/* Write one full chunk stamped with simulated clocks, then time the poll
 * that seals it. `mono_at(pos)` is this stream's simulated clock. */
static int sim_step(sim *sm, int16_t *buf, uint64_t chunk_frames, int64_t mono_base,
                    int64_t wall_base, double *wall_us, double *cpu_us, reel_error *e)
{
    const uint32_t rate = sm->def.sample_rate;
    uint64_t k = sm->k++;
    /* Every chunk different (and different between streams): no dedup. */
    uint64_t tagv[2] = {k, (uint64_t)(uintptr_t)sm};
    memcpy(buf, tagv, sizeof tagv);
    /* Let the preparer thread refill the ready queue first (a real
     * producer runs slower than this loop), so no frame overruns. */
    for (int spin = 0; spin < 5000 && reel_cw_ready_count(sm->cw) < 3; spin++)
        usleep(100);
    uint64_t pos = k * chunk_frames;
    int64_t t = (int64_t)((double)pos * 1e9 / rate);
    int64_t dt = (int64_t)((double)chunk_frames * 1e9 / rate);
    reel_cw_set_clock(sm->cw, mono_base + t, wall_base + t, pos);
    reel_cw_write(sm->cw, buf, chunk_frames);
    /* The control thread wakes at the end of the chunk's time span. */
    atomic_store(&g_sim_mono, mono_base + t + dt);
    int64_t c0 = cpu_ns(), t0 = now_ns();
    int rc = reel_recorder_poll(sm->r, e);
    int64_t t1 = now_ns(), c1 = cpu_ns();
    *wall_us = (double)(t1 - t0) / 1e3;
    *cpu_us = (double)(c1 - c0) / 1e3;
    return rc;
}

static int sim_close(sim *sm, uint64_t *chunks, uint64_t *overruns, reel_error *e)
{
    reel_recorder_status s;
    reel_recorder_get_status(sm->r, &s);
    *chunks = s.chunks;
    *overruns = s.overrun_frames;
    reel_cw_finish(sm->cw);
    return reel_recorder_close(sm->r, e);
}

/* The long stream runs alone up to SIM_SECONDS - PAIR_SECONDS; then a
 * fresh short stream starts in the same store and the two seal chunks
 * alternately for 2 * PAIR_SECONDS, so the ~24 h and the ~1 min costs are
 * sampled side by side under the same machine and disk load. */
#define PAIR_SECONDS 60.0

static int cmd_rotation(const char *root, double sim_seconds, uint32_t rate,
                        uint64_t chunk_frames)
{
    reel_error e;
    reel_error_clear(&e);
    reel_store *st;
    if (reel_store_open(&st, root, false, &e))
        return die("open store", &e);
    const int64_t mono0 = __real_reel_clock_mono_now(), wall0 = wall_ns();
    atomic_store(&g_sim_mono, mono0);
    sim L, S;
    if (sim_open(&L, st, "stream://bench/rotation", rate, chunk_frames, &e)) {
        reel_store_close(st);
        return die("recorder open", &e);
    }
    int16_t *buf = malloc(chunk_frames * 2);
    if (!buf)
        return die("out of memory", NULL);
    uint32_t x = 12345;
    for (uint64_t i = 0; i < chunk_frames; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (int16_t)(x >> 16);
    }
    const double chunk_s = (double)chunk_frames / rate;
    double pair_s = sim_seconds > 4 * PAIR_SECONDS ? PAIR_SECONDS : sim_seconds / 4;
    const uint64_t n_alone = (uint64_t)((sim_seconds - pair_s) / chunk_s + 0.5);
    const uint64_t n_pair = (uint64_t)(2 * pair_s / chunk_s + 0.5);
    int64_t t_start = now_ns();
    int rc = 0;
    double w, c, w2, c2;
    for (uint64_t k = 0; k < n_alone && rc == 0; k++) {
        rc = sim_step(&L, buf, chunk_frames, mono0, wall0, &w, &c, &e);
        printf("rot %llu %.3f %.1f %.1f\n", (unsigned long long)k, (double)(k + 1) * chunk_s, w,
               c);
        if (rc == 0 && k % 8 == 0)
            print_manifest_size(st, L.def.uri, "mf", k);
    }
    double alone = (double)(now_ns() - t_start) / 1e9;
    if (rc == 0 && sim_open(&S, st, "stream://bench/rotation-fresh", rate, chunk_frames, &e))
        rc = -1;
    /* The short stream's clock starts where the long one is now. */
    const int64_t s_off = (int64_t)((double)L.k * chunk_frames * 1e9 / rate);
    for (uint64_t j = 0; j < n_pair && rc == 0; j++) {
        /* Alternate which goes first, so neither always follows the other. */
        bool long_first = (j % 2) == 0;
        uint64_t k = L.k;
        if (long_first)
            rc = sim_step(&L, buf, chunk_frames, mono0, wall0, &w, &c, &e);
        if (rc == 0)
            rc = sim_step(&S, buf, chunk_frames, mono0 + s_off, wall0 + s_off, &w2, &c2, &e);
        if (rc == 0 && !long_first)
            rc = sim_step(&L, buf, chunk_frames, mono0, wall0, &w, &c, &e);
        if (rc)
            break;
        printf("rot %llu %.3f %.1f %.1f\n", (unsigned long long)k, (double)(k + 1) * chunk_s, w,
               c);
        printf("pair %llu %.3f %.1f %.1f %.3f %.1f %.1f\n", (unsigned long long)j,
               (double)(j + 1) * chunk_s, w2, c2, (double)(k + 1) * chunk_s, w, c);
        if (k % 8 == 0)
            print_manifest_size(st, L.def.uri, "mf", k);
        if (j % 8 == 0)
            print_manifest_size(st, S.def.uri, "mf2", j);
    }
    double total = (double)(now_ns() - t_start) / 1e9;
    if (rc) {
        free(buf);
        return die("poll", &e);
    }
    uint64_t chunks, over, chunks2, over2;
    if (sim_close(&L, &chunks, &over, &e) || sim_close(&S, &chunks2, &over2, &e)) {
        reel_store_close(st);
        return die("recorder close", &e);
    }
    reel_store_close(st);
    free(buf);
    printf("rot_total %.3f chunks %llu overrun_frames %llu alone_s %.3f fresh_chunks %llu\n", total,
           (unsigned long long)chunks, (unsigned long long)(over + over2), alone,
           (unsigned long long)chunks2);
    return 0;
}

/* ---- project edits ---------------------------------------------------------- */

/* Apparent size of every file under `dir`, recursively (outside any timed
 * region). */
static uint64_t tree_bytes(const char *dir)
{
    uint64_t sum = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            sum += tree_bytes(path);
        else if (S_ISREG(sb.st_mode))
            sum += (uint64_t)sb.st_size;
    }
    closedir(d);
    return sum;
}

static uint64_t cas_bytes(const char *root)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/cas/content", root);
    return tree_bytes(dir);
}

/* Call op `name` with args (consumed); the reply (or NULL) into *out. */
static int pcall(reel_service *svc, const char *name, json_t *args, json_t **out, double *us,
                 reel_error *e)
{
    json_t *r = NULL;
    int64_t t0 = now_ns();
    int rc = args ? reel_service_call(svc, name, args, "bench", &r, e) : REEL_ENOMEM;
    int64_t t1 = now_ns();
    json_decref(args);
    if (us)
        *us = (double)(t1 - t0) / 1e3;
    if (out)
        *out = r;
    else
        json_decref(r);
    if (rc)
        fprintf(stderr, "reelbench: %s: %s\n", name, e->msg[0] ? e->msg : "failed");
    return rc;
}

static void copy_str(json_t *o, const char *k, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(o, k));
    snprintf(out, n, "%s", v ? v : "");
}

static int cmd_project(const char *root, const char *art, int n, int k)
{
    reel_error e;
    reel_error_clear(&e);
    reel_service *svc;
    if (reel_service_open(&svc, root, &e))
        return die("open service", &e);
    char p[64], t[64];
    json_t *r;
    int rc = pcall(svc, "project_create", json_pack("{s:s, s:i}", "name", "bench", "seed", 1), &r,
                   NULL, &e);
    if (rc == 0) {
        copy_str(r, "project", p, sizeof p);
        json_decref(r);
        rc = pcall(svc, "track_add", json_pack("{s:s, s:s}", "project", p, "name", "a"), &r, NULL,
                   &e);
    }
    if (rc) {
        reel_service_close(svc);
        return 1;
    }
    copy_str(r, "track", t, sizeof t);
    json_decref(r);
    /* Clip i plays the artifact's first 4 s at 4 i s: no two overlap, and
     * each has room to split 2 s in and to move 1 s later. */
    char(*clip)[64] = calloc((size_t)n, sizeof *clip);
    if (!clip)
        return die("out of memory", NULL);
    int64_t t0 = now_ns();
    for (int i = 0; i < n && rc == 0; i++) {
        double us;
        rc = pcall(svc, "clip_add",
                   json_pack("{s:s, s:s, s:f, s:s, s:i, s:i}", "project", p, "track", t, "at",
                             4.0 * i, "source", art, "start", 0, "end", 192000),
                   &r, &us, &e);
        if (rc)
            break;
        copy_str(r, "clip", clip[i], sizeof clip[i]);
        json_decref(r);
        if (i % 100 == 0 || i == n - 1) {
            printf("build %d %.1f\n", i, us);
            fflush(stdout);
        }
    }
    double build_s = (double)(now_ns() - t0) / 1e9;
    size_t doc_bytes = 0;
    if (rc == 0 && pcall(svc, "project_get", json_pack("{s:s}", "project", p), &r, NULL, &e) == 0) {
        char *txt = json_dumps(json_object_get(r, "document"), JSON_COMPACT | JSON_SORT_KEYS);
        doc_bytes = txt ? strlen(txt) : 0;
        free(txt);
        json_decref(r);
    }
    if (rc == 0)
        printf("build_total %.3f %llu %zu\n", build_s, (unsigned long long)cas_bytes(root),
               doc_bytes);
    fflush(stdout);
    /* Each kind edits its own clips (stride n / k, offset by kind), so a
     * split never meets a moved clip and no clip is edited twice. */
    static const char *const kinds[] = {"clip_update", "clip_move", "clip_split", "marker_add"};
    int stride = n / k > 4 ? n / k : 4;
    for (int kind = 0; kind < 4 && rc == 0; kind++) {
        for (int j = 0; j < k && rc == 0; j++) {
            int i = (j * stride + kind) % n;
            json_t *args;
            switch (kind) {
            case 0:
                args = json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip[i], "gain",
                                 0.25 + 0.01 * j);
                break;
            case 1:
                args = json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip[i], "at",
                                 4.0 * i + 1.0);
                break;
            case 2:
                args = json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip[i], "at",
                                 4.0 * i + 2.0);
                break;
            default:
                args = json_pack("{s:s, s:s, s:f}", "project", p, "name", "m", "at", 3.0 * j);
                break;
            }
            uint64_t before = cas_bytes(root);
            double us;
            rc = pcall(svc, kinds[kind], args, NULL, &us, &e);
            uint64_t after = cas_bytes(root);
            if (rc == 0)
                printf("edit %s %d %.1f %llu\n", kinds[kind], j, us,
                       (unsigned long long)(after - before));
        }
    }
    free(clip);
    reel_service_close(svc);
    return rc ? 1 : 0;
}

/* ---- automation ----------------------------------------------------------- */

static float bench_dc[48000 * 4];

static reel_plan *bench_plan(void)
{
    reel_plan *p;
    reel_error e;
    for (size_t i = 0; i < sizeof bench_dc / sizeof *bench_dc; i++)
        bench_dc[i] = 0.5f;
    if (reel_plan_new(2, 64, &p, &e) || reel_plan_node_set(p, 0, REEL_PLAN_TRACK, 1, &e) ||
        reel_plan_node_set(p, 1, REEL_PLAN_OUTPUT, 1, &e) ||
        reel_plan_edge_add(p, 0, 0, 1, 0, 1.0f, &e))
        exit(1);
    reel_plan_clip c = {.at = 0, .len = 48000 * 4, .src = bench_dc, .src_ch = 1, .gain = 1};
    if (reel_plan_clip_add(p, 0, &c, &e) || reel_plan_seal(p, &e))
        exit(1);
    return p;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median per-period cost over 9 batches of 2000 periods from frame 0. */
static double period_cost(reel_plan *p)
{
    double b[9];
    for (int k = 0; k < 9; k++) {
        if (reel_plan_auto(p))
            reel_auto_locate(reel_plan_auto(p), p, 0);
        double t0 = now_us();
        for (int i = 0; i < 2000; i++)
            reel_plan_play(p, (int64_t)i * 64, 64);
        b[k] = (now_us() - t0) / 2000;
    }
    qsort(b, 9, sizeof *b, dcmp);
    return b[4];
}

static float *bench_slots;

static reel_plan *lanes_plan(int lanes, bool ramps, int curve)
{
    reel_plan *p = bench_plan();
    reel_auto *a;
    reel_error e;
    if (reel_auto_new(&a, &e))
        exit(1);
    bench_slots = calloc((size_t)lanes, sizeof *bench_slots);
    int64_t span = 2000LL * 64;
    size_t n = ramps ? (size_t)(span / 4800 + 1) : (size_t)(span / 4800 + 1);
    reel_cmd *c = malloc(n * sizeof *c);
    for (int l = 0; l < lanes; l++) {
        uint32_t s;
        if (reel_auto_slot_float(a, &bench_slots[l], 0, 16, &s, &e))
            exit(1);
        int64_t off = (int64_t)l * 4800 / lanes;
        for (size_t k = 0; k < n; k++)
            c[k] = ramps ? (reel_cmd){.frame = off + (int64_t)k * 4800, .type = REEL_CMD_RAMP,
                                      .value = (float)(k % 2), .ramp_frames = 4800,
                                      .curve = (uint8_t)curve}
                         : (reel_cmd){.frame = off + (int64_t)k * 4800, .type = REEL_CMD_SET,
                                      .value = (float)(k % 2)};
        if (reel_auto_lane_add(a, s, c, n, &e))
            exit(1);
    }
    free(c);
    if (reel_auto_attach(a, p, &e))
        exit(1);
    return p;
}

typedef struct rec_bench {
    reel_plan *p;
    reel_auto *a;
    uint32_t slot;
    _Atomic int64_t pos;
    _Atomic bool done;
    uint64_t pushed, refused;
    double seconds;
} rec_bench;

static void *consumer(void *ud)
{
    rec_bench *b = ud;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t pos = 0;
    while (!atomic_load(&b->done)) {
        reel_plan_play(b->p, pos, 64);
        pos += 64;
        atomic_store(&b->pos, pos);
        t.tv_nsec += 1333333;
        if (t.tv_nsec >= 1000000000) {
            t.tv_nsec -= 1000000000;
            t.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
    }
    for (int i = 0; i < 64; i++) { /* drain what is left */
        reel_plan_play(b->p, pos, 64);
        pos += 64;
    }
    return NULL;
}

static int count_commit(void *ud, json_t *args, json_t **out, reel_error *err)
{
    (void)err;
    *(size_t *)ud += json_array_size(json_object_get(args, "events"));
    *out = json_object();
    return REEL_OK;
}

static int cmd_automation(int lanes, double seconds)
{
    reel_plan *p0 = bench_plan();
    double ref = period_cost(p0);
    reel_plan_free(p0);
    static const char *const cases[] = {"ramps_linear", "ramps_s_curve", "sparse"};
    for (int r = 0; r < 3; r++) {
        reel_plan *p = lanes_plan(lanes, r < 2, r == 1 ? REEL_CURVE_S : REEL_CURVE_LINEAR);
        printf("merge %s %.3f %.3f\n", cases[r], period_cost(p), ref);
        reel_plan_free(p);
        free(bench_slots);
    }
    /* lookup in a 24-hour lane */
    {
        reel_plan *p = bench_plan();
        reel_auto *a;
        reel_error e;
        uint32_t s;
        float v = 0;
        if (reel_auto_new(&a, &e) || reel_auto_slot_float(a, &v, 0, 16, &s, &e))
            return 1;
        size_t n = 24 * 3600 * 10;
        reel_cmd *c = malloc(n * sizeof *c);
        for (size_t k = 0; k < n; k++)
            c[k] = (reel_cmd){.frame = (int64_t)k * 4800, .type = k % 3 ? REEL_CMD_SET
                                                                        : REEL_CMD_RAMP,
                              .value = (float)(k % 7), .ramp_frames = k % 3 ? 0 : 2400};
        if (reel_auto_lane_add(a, s, c, n, &e) || reel_auto_attach(a, p, &e))
            return 1;
        free(c);
        double t[2001];
        uint64_t x = 88172645463325252ULL;
        for (int i = 0; i < 2001; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int64_t f = (int64_t)(x % (uint64_t)(n * 4800));
            double t0 = now_us();
            reel_auto_locate(a, p, f);
            t[i] = now_us() - t0;
        }
        qsort(t, 2001, sizeof *t, dcmp);
        printf("lookup %zu %.3f\n", n, t[1000]);
        reel_plan_free(p);
    }
    /* 100 000 live commands a second, recorded */
    rec_bench b = {.p = bench_plan(), .seconds = seconds};
    reel_error e;
    reel_auto_rec *rec;
    float v = 0;
    if (reel_auto_new(&b.a, &e) || reel_auto_slot_float(b.a, &v, 0, 16, &b.slot, &e) ||
        reel_auto_attach(b.a, b.p, &e) || reel_auto_rec_new(&rec, &e))
        return 1;
    json_t *doc = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "lanes", "id", "l1", "timeline",
                            "tl", "target", "x:gain", "mode", "overdub");
    reel_auto_arm arm = {.project = "p", .lane = "l1", .doc = doc, .punch_from = -1,
                         .punch_to = -1};
    if (reel_auto_rec_arm(rec, &arm, &e))
        return 1;
    reel_auto_rec_pass_start(rec, 0);
    atomic_init(&b.pos, 0);
    atomic_init(&b.done, false);
    pthread_t th;
    pthread_create(&th, NULL, consumer, &b);
    double t0 = now_us();
    uint64_t target = (uint64_t)(seconds * 100000);
    while (b.pushed + b.refused < target) {
        double due = (double)(b.pushed + b.refused) / 100000.0 * 1e6;
        double now = now_us() - t0;
        if (now < due) {
            struct timespec d = {0, (long)((due - now) * 1000)};
            nanosleep(&d, NULL);
        }
        reel_cmd c = {.frame = atomic_load(&b.pos) + 128, .slot = b.slot,
                      .type = REEL_CMD_SET, .value = (float)(b.pushed % 16)};
        if (reel_auto_push(b.a, &c, &e)) {
            b.refused++;
            continue;
        }
        b.pushed++;
        if (reel_auto_rec_command(rec, "x:gain", &c, -1, &e))
            return 1;
    }
    atomic_store(&b.done, true);
    pthread_join(th, NULL);
    size_t recorded = 0;
    json_t *report;
    if (reel_auto_rec_pass_end(rec, atomic_load(&b.pos), count_commit, &recorded, &report, &e))
        return 1;
    json_decref(report);
    reel_auto_stats st;
    reel_auto_stats_get(b.a, &st);
    printf("record %llu %llu %llu %llu %zu\n", (unsigned long long)b.pushed,
           (unsigned long long)st.live, (unsigned long long)st.late,
           (unsigned long long)b.refused, recorded);
    reel_auto_rec_free(rec);
    json_decref(doc);
    reel_plan_free(b.p);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc == 3 && strcmp(argv[1], "hash") == 0)
        return cmd_hash(argv[2]);
    if (argc == 5 && strcmp(argv[1], "vslice") == 0)
        return cmd_vslice(argv[2], argv[3], atoi(argv[4]));
    if (argc == 6 && strcmp(argv[1], "rotation") == 0)
        return cmd_rotation(argv[2], atof(argv[3]), (uint32_t)atoi(argv[4]),
                            strtoull(argv[5], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "project") == 0 && atoi(argv[4]) > 0 && atoi(argv[5]) > 0)
        return cmd_project(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && strcmp(argv[1], "automation") == 0 && atoi(argv[2]) > 0)
        return cmd_automation(atoi(argv[2]), atof(argv[3]));
    fprintf(stderr, "usage: reelbench hash FILE | vslice STORE URI N |\n"
                    "       rotation STORE SIM_SECONDS RATE CHUNK_FRAMES | project STORE ARTIFACT N K |\n"
                    "       automation LANES SECONDS\n");
    return 2;
}
