/*
 * test_session_ops.c — model/session/session_ops.c through reel_service_call,
 * on the control thread of a real control plane with a real engine over
 * inproc:// (no JACK): stream_create/start/stop and session_create, play,
 * stop, status and export.
 *
 * A session that starts its own stream (a file, recorded as fast as
 * chunks come) has exact marks: segment 1 begins at the stream's first
 * frame; a second play ends it and starts segment 2 at the same instant,
 * at the frame where the stream's second recording begins; stop ends it
 * at the stream's last frame. Chunk indexes, the session artifact (tags,
 * lineage), the JSON export (named by its b3sum) and the archive (a ustar
 * whose WAV members hold the file's samples, one per segment, each also
 * a slice artifact) are checked against values computed here. Illegal
 * transitions (stop before play, play or stop after stop), unknown ids,
 * schema refusals, and a stream that was recording before the session
 * (it keeps recording after stop) complete the picture. Every change
 * publishes a "session" event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "capture/control.h"
#include "capture/engine.h"
#include "service/service.h"

#include <pthread.h>
#include <signal.h>
#include <sndfile.h>
#include <unistd.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CF 960
#define N (5 * CF + 123) /* frames in the file */

typedef struct eng {
    reel_engine *e;
    volatile sig_atomic_t stop;
    pthread_t th;
} eng;

static void *eng_main(void *arg)
{
    eng *g = arg;
    reel_error err;
    reel_engine_run(g->e, &g->stop, &err);
    return NULL;
}

typedef struct fx {
    char dir[PATH_MAX], root[PATH_MAX], wav[PATH_MAX];
    float *in;
    reel_store *ctl_store;
    reel_control *ctl;
    reel_service *svc;
    eng g;
    bool engine_running;
    char events[32][16];
    int n_events;
} fx;

static void on_service_event(void *ud, const char *event, json_t *data)
{
    fx *x = ud;
    if (strcmp(event, "session") == 0 && x->n_events < 32)
        snprintf(x->events[x->n_events++], sizeof x->events[0], "%s",
                 json_string_value(json_object_get(data, "event")));
}

static void start_world(fx *x, bool fast)
{
    snprintf(x->root, sizeof x->root, "%s/store", x->dir);
    x->ctl_store = tsu_open_store(x->root);
    reel_error err = {0};
    reel_control_opts o = {.engine = fast ? "inproc://ses-fast" : "inproc://ses-live"};
    if (reel_control_open(&x->ctl, x->ctl_store, &o, &err) != REEL_OK)
        fail_msg("control: %s", err.msg);
    if (reel_service_open(&x->svc, x->root, &err) != REEL_OK)
        fail_msg("service: %s", err.msg);
    reel_service_attach_control(x->svc, x->ctl, x->ctl_store);
    assert_int_equal(reel_service_subscribe(x->svc, on_service_event, x), REEL_OK);
    reel_engine_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.control = o.engine;
    eo.zmq_context = reel_control_zmq_context(x->ctl);
    eo.capture.source.fast = fast;
    if (reel_engine_open(&x->g.e, &eo, &err) != REEL_OK)
        fail_msg("engine: %s", err.msg);
    assert_int_equal(pthread_create(&x->g.th, NULL, eng_main, &x->g), 0);
    x->engine_running = true;
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    while (!reel_control_engine_connected(x->ctl)) {
        assert_int_equal(reel_service_poll(x->svc, 5, &err), REEL_OK);
        assert_true(reel_clock_mono_now() < until);
    }
}

static void stop_world(fx *x)
{
    if (x->engine_running) {
        __atomic_store_n(&x->g.stop, 1, __ATOMIC_RELEASE);
        pthread_join(x->g.th, NULL);
        reel_engine_close(x->g.e);
        x->engine_running = false;
    }
    if (x->svc) {
        reel_service_detach_control(x->svc);
        reel_service_close(x->svc);
        x->svc = NULL;
    }
    if (x->ctl) {
        reel_control_close(x->ctl);
        x->ctl = NULL;
    }
    if (x->ctl_store) {
        reel_store_close(x->ctl_store);
        x->ctl_store = NULL;
    }
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    if (!x || !test_tmpdir_make(x->dir, sizeof x->dir, "session_ops"))
        return -1;
    snprintf(x->wav, sizeof x->wav, "%s/a.wav", x->dir);
    x->in = tsu_make_input((size_t)N * CH, 404);
    SF_INFO info = {.samplerate = RATE, .channels = CH, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(x->wav, SFM_WRITE, &info);
    if (!sf || sf_writef_float(sf, x->in, N) != N || sf_close(sf))
        return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    stop_world(x);
    free(x->in);
    test_tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* Run op `name` with `args` (JSON text); returns rc, *out the result. */
static int call(fx *x, const char *name, const char *args, json_t **out, reel_error *err)
{
    json_t *a = json_loads(args, 0, NULL);
    assert_non_null(a);
    *out = NULL;
    memset(err, 0, sizeof *err);
    int rc = reel_service_call(x->svc, name, a, "test", out, err);
    json_decref(a);
    return rc;
}

static json_t *ok(fx *x, const char *name, const char *args)
{
    json_t *out;
    reel_error err;
    if (call(x, name, args, &out, &err) != REEL_OK)
        fail_msg("%s %s: %s", name, args, err.msg);
    return out;
}

static void refused(fx *x, const char *name, const char *args, int code, const char *says)
{
    json_t *out;
    reel_error err;
    int rc = call(x, name, args, &out, &err);
    if (rc != code)
        fail_msg("%s %s: want %d, got %d (%s)", name, args, code, rc, err.msg);
    if (!strstr(err.msg, says))
        fail_msg("%s %s: '%s' lacks '%s'", name, args, err.msg, says);
    assert_null(out);
}

static int64_t ji(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

static const char *js(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
    if (!json_is_string(v))
        fail_msg("%s is not a string", path);
    return json_string_value(v);
}

/* Poll the control plane until `uri` is not recording (the file ended). */
static void wait_ended(fx *x, const char *uri)
{
    reel_error err = {0};
    int64_t until = reel_clock_mono_now() + 60000000000LL;
    for (;;) {
        assert_int_equal(reel_service_poll(x->svc, 5, &err), REEL_OK);
        reel_control_stream_info in;
        assert_int_equal(reel_control_stream_get(x->ctl, uri, &in, &err), REEL_OK);
        if (!in.recording)
            return;
        if (reel_clock_mono_now() > until)
            fail_msg("%s did not finish recording", uri);
    }
}

/* The frames of one archive member, found by name in a ustar file. */
static uint8_t *tar_member(const char *tar, const char *name, size_t *len)
{
    FILE *f = fopen(tar, "rb");
    assert_non_null(f);
    uint8_t h[512];
    uint8_t *data = NULL;
    while (fread(h, 1, 512, f) == 512 && h[0]) {
        assert_memory_equal(h + 257, "ustar", 5);
        char size_s[13];
        memcpy(size_s, h + 124, 12);
        size_s[12] = '\0';
        size_t size = (size_t)strtoull(size_s, NULL, 8);
        char full[256];
        snprintf(full, sizeof full, "%.155s%s%.100s", (const char *)h + 345,
                 h[345] ? "/" : "", (const char *)h);
        uint8_t *b = malloc(size + 1);
        assert_non_null(b);
        assert_int_equal(fread(b, 1, size, f), size);
        fseek(f, (long)((512 - size % 512) % 512), SEEK_CUR);
        if (strcmp(full, name) == 0 && !data) {
            data = b;
            *len = size;
        } else {
            free(b);
        }
    }
    fclose(f);
    return data;
}

/* ---- a session that starts its stream ----------------------------------------- */

static void test_session_over_its_own_stream(void **state)
{
    fx *x = *state;
    start_world(x, true);
    const char *uri = "stream://file/a";
    char args[PATH_MAX + 200];
    snprintf(args, sizeof args,
             "{\"source\": \"file:%s\", \"uri\": \"%s\", \"chunk_bytes\": %d}", x->wav, uri,
             CF * FB);
    json_t *def = ok(x, "stream_create", args);
    assert_string_equal(js(def, "state"), "defined");
    assert_string_equal(js(def, "kind"), "audio");
    assert_true(ji(def, "rate") == RATE);
    /* The definition is in the store under its BLAKE3. */
    reel_hash dh;
    reel_error err = {0};
    assert_int_equal(reel_hash_from_hex(&dh, js(def, "definition"), &err), REEL_OK);
    char hex[REEL_HASH_HEX + 1], sum[REEL_HASH_HEX + 1];
    tsu_b3sum_blob(x->ctl_store, &dh, sum);
    tsu_hex(&dh, hex);
    assert_string_equal(hex, sum);
    json_decref(def);
    refused(x, "stream_create", args, REEL_EEXIST, "stream stream://file/a is defined already");

    /* Schema and lookups. */
    refused(x, "session_create", "{\"mode\": \"loud\"}", REEL_EINVAL, "mode");
    refused(x, "session_create", "{\"streams\": [\"stream://file/a\"], \"extra\": 1}",
            REEL_EINVAL, "unknown field \"extra\"");
    refused(x, "session_create", "{}", REEL_EINVAL, "a session needs a stream");
    refused(x, "session_play", "{}", REEL_EINVAL, "\"id\" is required");
    refused(x, "session_play", "{\"id\": \"ses-000000000000\"}", REEL_ENOENT, "");

    json_t *s = ok(x, "session_create", "{\"streams\": [\"stream://file/a\"]}");
    char id[128];
    snprintf(id, sizeof id, "%s", js(s, "id"));
    assert_memory_equal(id, "ses-", 4);
    assert_string_equal(js(s, "state"), "created");
    assert_string_equal(js(s, "mode"), "passive");
    assert_int_equal(json_array_size(json_object_get(s, "segments")), 0);
    json_decref(s);
    char idargs[256];
    snprintf(idargs, sizeof idargs, "{\"id\": \"%s\"}", id);
    refused(x, "session_stop", idargs, REEL_ESTATE, "is not playing (play it first)");
    char exp_archive[300];
    snprintf(exp_archive, sizeof exp_archive, "{\"id\": \"%s\", \"format\": \"archive\"}", id);
    refused(x, "session_export", exp_archive, REEL_ESTATE, "has no ended segment to export yet");

    /* Play: the session starts the stream; segment 1 from frame 0. */
    s = ok(x, "session_play", idargs);
    assert_string_equal(js(s, "state"), "playing");
    assert_string_equal(js(s, "started_streams|0"), uri);
    assert_true(ji(s, "segments|0|start|streams|stream://file/a|frame") == 0);
    json_decref(s);
    wait_ended(x, uri);
    /* Play again: segment 1 ends where segment 2 begins, at the frame the
     * stream's second recording starts from (the file plays again). */
    s = ok(x, "session_play", idargs);
    assert_int_equal(json_array_size(json_object_get(s, "segments")), 2);
    assert_true(ji(s, "segments|0|end|streams|stream://file/a|frame") == N);
    assert_true(ji(s, "segments|1|start|streams|stream://file/a|frame") == N);
    assert_true(ji(s, "segments|0|end|wall_ns") == ji(s, "segments|1|start|wall_ns"));
    assert_true(ji(s, "segments|0|end|mono_ns") == ji(s, "segments|1|start|mono_ns"));
    assert_true(ji(s, "segments|0|start|mono_ns") < ji(s, "segments|0|end|mono_ns"));
    json_decref(s);
    wait_ended(x, uri);
    s = ok(x, "session_stop", idargs);
    assert_string_equal(js(s, "state"), "complete");
    assert_true(ji(s, "segments|1|end|streams|stream://file/a|frame") == 2 * N);
    /* Chunks of CF frames: segment 1 in chunks 0..5, segment 2 in 6..11. */
    assert_true(ji(s, "segments|0|chunks|stream://file/a|first") == 0);
    assert_true(ji(s, "segments|0|chunks|stream://file/a|last") == 5);
    assert_true(ji(s, "segments|1|chunks|stream://file/a|first") == 6);
    assert_true(ji(s, "segments|1|chunks|stream://file/a|last") == 11);
    char art[REEL_ARTIFACT_ID_MAX];
    snprintf(art, sizeof art, "%s", js(s, "artifact"));
    json_decref(s);
    refused(x, "session_play", idargs, REEL_ESTATE, "is complete: it cannot play again");
    refused(x, "session_stop", idargs, REEL_ESTATE, "is complete already");

    /* The session artifact: its document, tags, the chunks it spans. */
    reel_artifact a;
    memset(&a, 0, sizeof a);
    assert_int_equal(reel_db_artifact_get(reel_store_db(x->ctl_store), art, &a, &err), REEL_OK);
    assert_string_equal(a.kind, "session");
    assert_string_equal(a.mime, "application/json");
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(x->ctl_store), uri, &row, &err), REEL_OK);
    assert_string_equal(a.parent, row.definition_artifact);
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(x->ctl_store, uri, &v, &err), REEL_OK);
    assert_true(v.manifest.total_frames == 2 * N);
    assert_true(v.manifest.gaps == 1);
    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(&v.manifest, reel_store_cas(x->ctl_store), 0, 2 * N,
                                             &c, &n, &err), REEL_OK);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        assert_int_equal(reel_db_artifacts_from_chunk(reel_store_db(x->ctl_store), &c[i].hash,
                                                      tsu_count_one, &found, &err), REEL_OK);
        if (found < 1)
            fail_msg("chunk %zu is not in the session's lineage", i);
    }
    free(c);
    reel_stream_view_free(&v);
    reel_artifact_clear(&a);
    char tag[200];
    snprintf(tag, sizeof tag, "session:%s", id);
    assert_int_equal(tsu_count_artifacts(x->ctl_store, tag), 1);
    assert_int_equal(tsu_count_artifacts(x->ctl_store, "type:session"), 1);

    /* Status: one session's document, or all of them. */
    s = ok(x, "session_status", idargs);
    assert_string_equal(js(s, "artifact"), art);
    json_decref(s);
    s = ok(x, "session_status", "{}");
    assert_true(json_is_array(s) && json_array_size(s) == 1);
    assert_string_equal(js(s, "0|id"), id);
    json_decref(s);

    /* Export as JSON: the document in the store, named by its b3sum. */
    char exp_json[300];
    snprintf(exp_json, sizeof exp_json, "{\"id\": \"%s\", \"format\": \"json\"}", id);
    s = ok(x, "session_export", exp_json);
    assert_string_equal(js(s, "artifact"), art);
    assert_string_equal(js(s, "document|id"), id);
    tsu_b3sum_file(js(s, "path"), sum);
    assert_string_equal(js(s, "hash") + 7, sum);
    json_decref(s);

    /* Export as an archive: one WAV per segment holding the file's
     * samples (both segments recorded the same file), plus the JSON. */
    s = ok(x, "session_export", exp_archive);
    char tar[PATH_MAX];
    snprintf(tar, sizeof tar, "%s", js(s, "path"));
    tsu_b3sum_file(tar, sum);
    assert_string_equal(js(s, "hash") + 7, sum);
    assert_int_equal(json_array_size(json_object_get(s, "members")), 3);
    char m1[256], m2[256], mj[256];
    snprintf(m1, sizeof m1, "%s/1/file_a.wav", id);
    snprintf(m2, sizeof m2, "%s/2/file_a.wav", id);
    snprintf(mj, sizeof mj, "%s/session.json", id);
    assert_string_equal(js(s, "members|0"), m1);
    assert_string_equal(js(s, "members|1"), m2);
    assert_string_equal(js(s, "members|2"), mj);
    for (int k = 0; k < 2; k++) {
        char p[64];
        snprintf(p, sizeof p, "slices|%d|from_frame", k);
        assert_true(ji(s, p) == (int64_t)k * N);
        snprintf(p, sizeof p, "slices|%d|to_frame", k);
        assert_true(ji(s, p) == (int64_t)(k + 1) * N);
        size_t len = 0;
        uint8_t *wav = tar_member(tar, k ? m2 : m1, &len);
        assert_non_null(wav);
        /* The member is the slice artifact's content, byte for byte. */
        snprintf(p, sizeof p, "slices|%d|artifact", k);
        reel_artifact sa;
        memset(&sa, 0, sizeof sa);
        assert_int_equal(reel_db_artifact_get(reel_store_db(x->ctl_store), js(s, p), &sa, &err),
                         REEL_OK);
        char sc[PATH_MAX];
        snprintf(sc, sizeof sc, "%s/scratch.wav", x->dir);
        tsu_b3sum_buf(sc, wav, len, sum);
        tsu_hex(&sa.content, hex);
        assert_string_equal(hex, sum);
        reel_artifact_clear(&sa);
        /* Its samples are the file's. */
        FILE *f = fopen(sc, "wb");
        assert_int_equal(fwrite(wav, 1, len, f), len);
        fclose(f);
        free(wav);
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *sf = sf_open(sc, SFM_READ, &info);
        assert_non_null(sf);
        assert_true(info.frames == N && info.channels == CH && info.samplerate == RATE);
        float *got = malloc((size_t)N * FB);
        assert_true(sf_readf_float(sf, got, N) == N);
        sf_close(sf);
        assert_memory_equal(got, x->in, (size_t)N * FB);
        free(got);
    }
    size_t jl = 0;
    uint8_t *jdoc = tar_member(tar, mj, &jl);
    assert_non_null(jdoc);
    json_t *d = json_loadb((const char *)jdoc, jl, 0, NULL);
    assert_string_equal(js(d, "id"), id);
    assert_int_equal(json_array_size(json_object_get(d, "segments")), 2);
    json_decref(d);
    free(jdoc);
    json_decref(s);
    assert_int_equal(tsu_count_artifacts(x->ctl_store, "type:session-archive"), 1);
    assert_int_equal(tsu_count_artifacts(x->ctl_store, "session-export"), 2);

    /* Every change was published. */
    assert_int_equal(x->n_events, 4);
    assert_string_equal(x->events[0], "created");
    assert_string_equal(x->events[1], "play");
    assert_string_equal(x->events[2], "play");
    assert_string_equal(x->events[3], "stop");
    stop_world(x);
}

/* ---- a session over a stream that records anyway ------------------------------ */

static bool head_past(fx *x, const char *uri, uint64_t frame)
{
    reel_control_stream_info in;
    reel_error err;
    return reel_control_stream_get(x->ctl, uri, &in, &err) == 0 && in.have_head &&
           in.head.frames >= frame;
}

static void wait_head(fx *x, const char *uri, uint64_t frame)
{
    reel_error err = {0};
    int64_t until = reel_clock_mono_now() + 60000000000LL;
    while (!head_past(x, uri, frame)) {
        assert_int_equal(reel_service_poll(x->svc, 5, &err), REEL_OK);
        if (reel_clock_mono_now() > until)
            fail_msg("%s never reached frame %llu", uri, (unsigned long long)frame);
    }
}

static void test_session_over_recording_stream(void **state)
{
    fx *x = *state;
    start_world(x, false);
    const char *uri = "stream://tone/p";
    json_t *r = ok(x, "stream_create", "{\"source\": \"tone:440\", \"uri\": \"stream://tone/p\"}");
    json_decref(r);
    r = ok(x, "stream_start", "{\"stream\": \"stream://tone/p\"}");
    assert_string_equal(js(r, "state"), "recording");
    json_decref(r);
    refused(x, "stream_start", "{\"stream\": \"stream://tone/p\"}", REEL_EEXIST,
            "is recording already");
    wait_head(x, uri, 4800);

    /* No streams named: the ones recording now. */
    json_t *s = ok(x, "session_create", "{}");
    assert_string_equal(js(s, "streams|0"), uri);
    char idargs[256];
    snprintf(idargs, sizeof idargs, "{\"id\": \"%s\"}", js(s, "id"));
    json_decref(s);
    s = ok(x, "session_play", idargs);
    assert_int_equal(json_array_size(json_object_get(s, "started_streams")), 0);
    int64_t f1 = ji(s, "segments|0|start|streams|stream://tone/p|frame");
    int64_t t1 = ji(s, "segments|0|start|mono_ns");
    json_decref(s);
    wait_head(x, uri, (uint64_t)f1 + 9600);
    s = ok(x, "session_stop", idargs);
    int64_t f2 = ji(s, "segments|0|end|streams|stream://tone/p|frame");
    int64_t t2 = ji(s, "segments|0|end|mono_ns");
    json_decref(s);
    /* The marks are the stream's frames at those instants: the frames
     * between them are the time between them at 48 kHz, within the
     * tone's pacing. */
    assert_true(f2 - f1 >= 9600);
    int64_t by_clock = (t2 - t1) * RATE / 1000000000LL;
    if (llabs((f2 - f1) - by_clock) > 2400)
        fail_msg("marks %lld frames apart, %lld by the monotonic clock", (long long)(f2 - f1),
                 (long long)by_clock);
    /* The session did not start it, so stopping the session did not stop
     * it: it still records, and stream_stop does. */
    reel_control_stream_info in;
    reel_error err = {0};
    assert_int_equal(reel_control_stream_get(x->ctl, uri, &in, &err), REEL_OK);
    assert_true(in.recording);
    r = ok(x, "stream_stop", "{\"stream\": \"stream://tone/p\"}");
    assert_string_equal(js(r, "state"), "stopped");
    json_decref(r);
    refused(x, "stream_stop", "{\"stream\": \"stream://tone/p\"}", REEL_ESTATE,
            "is not recording");
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(x->ctl_store), uri, &row, &err), REEL_OK);
    assert_string_equal(row.state, "stopped");
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(x->ctl_store, uri, &v, &err), REEL_OK);
    assert_true(v.manifest.total_frames >= (uint64_t)f2); /* it recorded on after the session */
    reel_stream_view_free(&v);
    /* Exported, the segment is frames f1..f2 of the stream. */
    char exp[300];
    snprintf(exp, sizeof exp, "%.*s, \"format\": \"archive\"}", (int)strlen(idargs) - 1, idargs);
    s = ok(x, "session_export", exp);
    assert_true(ji(s, "slices|0|from_frame") == f1);
    assert_true(ji(s, "slices|0|to_frame") == f2);
    json_decref(s);
    tsu_assert_fsck_clean(x->ctl_store);
    stop_world(x);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_session_over_its_own_stream),
        T(test_session_over_recording_stream),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
