/*
 * test_engine.c — capture/engine.c, the realtime role, without JACK: the
 * real engine (reel_engine_run in a thread, a file or tone source) against
 * a scripted control plane in the test that binds the ROUTER and SUB of
 * wire.h on inproc:// in the same ZMQ context. The engine announces itself
 * (READY) once its events can be heard, beats every 250 ms, answers
 * StreamStart / StreamSwitchChunk / StreamStop with acks naming the stream
 * and refusals with the command's error code and a message naming what is
 * wrong, writes exactly the source's frames into the chunk files it is
 * given, in that order, from the StreamStart's frame on, reports each
 * chunk (path, counts, frames) and the last one as final, and says
 * DISCONNECT when it stops. Last, the real control plane and the real
 * engine together record a file into the store, byte for byte, and the
 * control plane notices the engine leaving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "capture/control.h"
#include "capture/engine.h"
#include "protocol/wire.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sndfile.h>
#include <unistd.h>
#include <zmq.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CF 960
#define URI "stream://test/eng"

/* ---- the scripted control plane ------------------------------------------- */

typedef struct reply_rec {
    uint8_t rid[REEL_UUID_BYTES];
    reel_msg_command r;
} reply_rec;

typedef struct cs {
    void *ctx, *router, *sub;
    char ep[128];
    uint8_t eid[256];
    size_t eid_len;
    int readies, beats, disconnects;
    reply_rec replies[64];
    int n_replies;
    reel_msg_event *ev;
    size_t n_ev, cap_ev;
    reel_wire_msg *m;
} cs;

static void cs_open(cs *c, const char *ep)
{
    memset(c, 0, sizeof *c);
    snprintf(c->ep, sizeof c->ep, "%s", ep);
    c->ctx = zmq_ctx_new();
    c->router = zmq_socket(c->ctx, ZMQ_ROUTER);
    c->sub = zmq_socket(c->ctx, ZMQ_SUB);
    int linger = 0, zero = 0;
    zmq_setsockopt(c->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "", 0);
    char evep[160];
    reel_error err;
    assert_int_equal(reel_wire_events_endpoint(ep, evep, sizeof evep, &err), REEL_OK);
    assert_int_equal(zmq_bind(c->router, ep), 0);
    assert_int_equal(zmq_bind(c->sub, evep), 0);
    c->m = malloc(sizeof *c->m);
    assert_non_null(c->m);
}

static void cs_close(cs *c)
{
    zmq_close(c->router);
    zmq_close(c->sub);
    zmq_ctx_term(c->ctx);
    free(c->ev);
    free(c->m);
}

static void cs_poll(cs *c, int ms)
{
    zmq_pollitem_t it[2] = {{c->router, 0, ZMQ_POLLIN, 0}, {c->sub, 0, ZMQ_POLLIN, 0}};
    zmq_poll(it, 2, ms);
    reel_error err;
    while (reel_wire_recv(c->router, c->m, &err) == REEL_OK) {
        reel_hoot_frame h;
        if (reel_hoot_frame_parse(c->m->frames, c->m->n, &h, &err) || h.identity_count != 1)
            continue;
        memcpy(c->eid, c->m->frames[0].data, c->m->frames[0].len);
        c->eid_len = c->m->frames[0].len;
        switch (h.command) {
        case REEL_HOOT_READY: c->readies++; break;
        case REEL_HOOT_HEARTBEAT: c->beats++; break;
        case REEL_HOOT_DISCONNECT: c->disconnects++; break;
        case REEL_HOOT_REPLY:
            if (c->n_replies < 64 && h.content_type == REEL_HOOT_CAPNP &&
                reel_capnp_decode_envelope(h.body.data, h.body.len, &c->replies[c->n_replies].r,
                                           &err) == 0) {
                memcpy(c->replies[c->n_replies].rid, h.request_id, REEL_UUID_BYTES);
                c->n_replies++;
            }
            break;
        default: break;
        }
    }
    while (reel_wire_recv(c->sub, c->m, &err) == REEL_OK) {
        if (c->m->n != 1)
            continue;
        if (c->n_ev == c->cap_ev) {
            c->cap_ev = c->cap_ev ? 2 * c->cap_ev : 256;
            c->ev = realloc(c->ev, c->cap_ev * sizeof *c->ev);
            assert_non_null(c->ev);
        }
        if (reel_capnp_decode_broadcast(c->m->frames[0].data, c->m->frames[0].len,
                                        &c->ev[c->n_ev], &err) == 0)
            c->n_ev++;
    }
}

typedef bool (*cs_cond)(cs *c, void *ud);
static void cs_wait(cs *c, cs_cond cond, void *ud, const char *what)
{
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    while (!cond(c, ud)) {
        if (reel_clock_mono_now() > until)
            fail_msg("timed out waiting for %s", what);
        cs_poll(c, 5);
    }
}

static void cs_send(cs *c, reel_hoot_command hc, reel_msg_command *cmd, uint8_t rid[REEL_UUID_BYTES])
{
    reel_frame_ref ident = {c->eid, c->eid_len};
    reel_wire_new_id(rid);
    if (cmd)
        memcpy(cmd->id, rid, REEL_UUID_BYTES);
    reel_error err;
    if (reel_wire_send_hoot(c->router, &ident, 1, hc, rid, "reel-control", cmd, &err))
        fail_msg("send: %s", err.msg);
}

static const reply_rec *reply_to(const cs *c, const uint8_t rid[REEL_UUID_BYTES])
{
    for (int i = 0; i < c->n_replies; i++)
        if (memcmp(c->replies[i].rid, rid, REEL_UUID_BYTES) == 0)
            return &c->replies[i];
    return NULL;
}

static bool ready(cs *c, void *ud) { (void)ud; return c->readies > 0; }
static bool replied(cs *c, void *ud) { return reply_to(c, ud) != NULL; }
static bool disconnected(cs *c, void *ud) { (void)ud; return c->disconnects > 0; }

/* ---- the engine in a thread ------------------------------------------------- */

typedef struct eng {
    reel_engine *e;
    volatile sig_atomic_t stop;
    pthread_t th;
    int rc;
} eng;

static void *eng_main(void *arg)
{
    eng *g = arg;
    reel_error err;
    g->rc = reel_engine_run(g->e, &g->stop, &err);
    return NULL;
}

static void eng_start(eng *g, void *ctx, const char *ep, bool fast)
{
    memset(g, 0, sizeof *g);
    reel_engine_opts o;
    memset(&o, 0, sizeof o);
    o.control = ep;
    o.zmq_context = ctx;
    o.capture.source.fast = fast;
    o.capture.chunk_frames = CF;
    reel_error err = {0};
    if (reel_engine_open(&g->e, &o, &err) != REEL_OK)
        fail_msg("engine open: %s", err.msg);
    assert_int_equal(pthread_create(&g->th, NULL, eng_main, g), 0);
}

static void eng_stop(eng *g)
{
    __atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
    pthread_join(g->th, NULL);
    reel_engine_close(g->e);
    assert_int_equal(g->rc, REEL_OK);
}

/* ---- fixtures ---------------------------------------------------------------- */

typedef struct fx {
    char dir[PATH_MAX];
    float *in;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    if (!x || !test_tmpdir_make(x->dir, sizeof x->dir, "engine"))
        return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    free(x->in);
    test_tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* A float WAV of `frames` known frames. */
static void make_wav(fx *x, const char *path, size_t frames)
{
    x->in = tsu_make_input(frames * CH, 99);
    SF_INFO info = {.samplerate = RATE, .channels = CH, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    assert_true(sf_writef_float(sf, x->in, (sf_count_t)frames) == (sf_count_t)frames);
    assert_int_equal(sf_close(sf), 0);
}

static void chunk_file(const fx *x, int i, char *out)
{
    snprintf(out, REEL_CAPNP_PATH_MAX, "%s/chunk%03d", x->dir, i);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, CF * FB), 0);
    close(fd);
}

static reel_stream_def define(const char *spec)
{
    reel_stream_def def;
    memset(&def, 0, sizeof def);
    snprintf(def.uri, sizeof def.uri, URI);
    reel_capture_opts co;
    memset(&co, 0, sizeof co);
    co.chunk_frames = CF;
    reel_error err = {0};
    if (reel_capture_define(spec, &co, &def, &err) != REEL_OK)
        fail_msg("define %s: %s", spec, err.msg);
    return def;
}

static void start_cmd(reel_msg_command *cmd, const reel_stream_def *def, const char *path,
                      uint64_t start)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = REEL_CMD_STREAM_START;
    snprintf(cmd->start.uri, sizeof cmd->start.uri, "%s", def->uri);
    cmd->start.def = *def;
    snprintf(cmd->start.chunk_path, sizeof cmd->start.chunk_path, "%s", path);
    cmd->start.start_frame = start;
}

static void switch_cmd(reel_msg_command *cmd, const char *uri, const char *path)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = REEL_CMD_STREAM_SWITCH_CHUNK;
    snprintf(cmd->switch_chunk.uri, sizeof cmd->switch_chunk.uri, "%s", uri);
    snprintf(cmd->switch_chunk.new_chunk_path, sizeof cmd->switch_chunk.new_chunk_path, "%s", path);
}

static size_t count_kind(const cs *c, reel_evt_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_ev; i++)
        n += c->ev[i].kind == k;
    return n;
}

static bool final_full(cs *c, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < c->n_ev; i++)
        if (c->ev[i].kind == REEL_EVT_CHUNK_FULL && c->ev[i].chunk_full.final)
            return true;
    return false;
}

/* Keep `ahead` chunks named beyond the ones reported full. */
typedef struct supply {
    const fx *x;
    char paths[64][REEL_CAPNP_PATH_MAX];
    int named, ahead, max;
    uint8_t rids[64][REEL_UUID_BYTES];
} supply;

static void top_up(cs *c, supply *s)
{
    int fulls = (int)count_kind(c, REEL_EVT_CHUNK_FULL);
    while (s->named < s->max && s->named < fulls + s->ahead) {
        chunk_file(s->x, s->named, s->paths[s->named]);
        reel_msg_command cmd;
        switch_cmd(&cmd, URI, s->paths[s->named]);
        cs_send(c, REEL_HOOT_REQUEST, &cmd, s->rids[s->named]);
        s->named++;
    }
}

static bool final_topping(cs *c, void *ud)
{
    top_up(c, ud);
    return final_full(c, NULL);
}

/* ---- tests --------------------------------------------------------------------- */

/* A file, as fast as chunks come: every frame in the chunks given, in
 * order, counted exactly, the last chunk final; from frame 1000 on. */
static void test_file_into_chunks(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://eng-file";
    char wav[PATH_MAX];
    snprintf(wav, sizeof wav, "%s/in.wav", x->dir);
    const size_t frames = 5 * CF + 123;
    make_wav(x, wav, frames);
    char spec[PATH_MAX + 8];
    snprintf(spec, sizeof spec, "file:%s", wav);
    reel_stream_def def = define(spec);
    assert_true(def.chunk_size_bytes == CF * FB);
    assert_int_equal(def.sample_format, REEL_SAMPLE_F32);
    cs c;
    cs_open(&c, ep);
    eng g;
    eng_start(&g, c.ctx, ep, true);
    cs_wait(&c, ready, NULL, "READY");
    uint8_t rid[REEL_UUID_BYTES];
    cs_send(&c, REEL_HOOT_HEARTBEAT, NULL, rid);

    supply s = {.x = x, .ahead = 3, .max = 8};
    chunk_file(x, 0, s.paths[0]);
    s.named = 1;
    reel_msg_command cmd;
    start_cmd(&cmd, &def, s.paths[0], 1000);
    uint8_t start_rid[REEL_UUID_BYTES];
    cs_send(&c, REEL_HOOT_REQUEST, &cmd, start_rid);
    cs_wait(&c, final_topping, &s, "the final chunk");
    cs_wait(&c, replied, start_rid, "the StreamStart ack");
    const reply_rec *r = reply_to(&c, start_rid);
    assert_int_equal(r->r.kind, REEL_CMD_ACK);
    assert_string_equal(r->r.ack.message, "stream_started: " URI);
    for (int i = 1; i < s.named; i++) {
        cs_wait(&c, replied, s.rids[i], "a SwitchChunk answer");
        const reel_msg_command *a = &reply_to(&c, s.rids[i])->r;
        if (i <= 5 || a->kind == REEL_CMD_ACK) { /* the chunks it used, and any before its end */
            assert_int_equal(a->kind, REEL_CMD_ACK);
            assert_string_equal(a->ack.message, "chunk_ready: " URI);
        } else { /* named after the stream ended by itself */
            assert_int_equal(a->kind, REEL_CMD_ERROR);
            assert_string_equal(a->error.code, "stream_switch_chunk_failed");
        }
    }

    /* Six chunks reported in the order given: five full, the last final
     * with 123 frames; frames from 1000 on, contiguous. */
    size_t k = 0;
    uint64_t at = 1000, last_head = 0;
    for (size_t i = 0; i < c.n_ev; i++) {
        const reel_msg_event *e = &c.ev[i];
        assert_string_equal(e->stream_uri, URI);
        if (e->kind == REEL_EVT_HEAD_POSITION) {
            assert_true(e->head.sample_position >= last_head);
            assert_true(e->head.sample_position >= 1000 && e->head.sample_position <= 1000 + frames);
            last_head = e->head.sample_position;
            continue;
        }
        if (e->kind == REEL_EVT_STREAM_ERROR)
            fail_msg("stream error: %s", e->stream_error.message);
        assert_int_equal(e->kind, REEL_EVT_CHUNK_FULL);
        uint64_t want = k < 5 ? CF : 123;
        assert_string_equal(e->chunk_full.path, s.paths[k]);
        assert_true(e->chunk_full.first_frame == at);
        assert_true(e->chunk_full.samples_written == want);
        assert_true(e->chunk_full.bytes_written == want * FB);
        assert_true(e->chunk_full.end_frame == at + want);
        assert_int_equal(e->chunk_full.final, k == 5);
        assert_true(e->chunk_full.wall_clock_ns > 0);
        /* The file holds those frames, byte for byte. */
        uint8_t *b = malloc(CF * FB);
        assert_non_null(b);
        int fd = open(s.paths[k], O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, b, CF * FB), CF * FB);
        close(fd);
        assert_memory_equal(b, x->in + (at - 1000) * CH, want * FB);
        free(b);
        at += want;
        k++;
    }
    assert_int_equal(k, 6);
    assert_true(at == 1000 + frames);
    eng_stop(&g);
    cs_wait(&c, disconnected, NULL, "DISCONNECT");
    cs_close(&c);
}

/* Refusals: each command's own error code, a message naming what is
 * wrong, the request id echoed, the stream in the details. */
static void test_refusals(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://eng-refuse";
    cs c;
    cs_open(&c, ep);
    eng g;
    eng_start(&g, c.ctx, ep, false);
    cs_wait(&c, ready, NULL, "READY");
    reel_stream_def def = define("tone:440");
    char missing[REEL_CAPNP_PATH_MAX];
    snprintf(missing, sizeof missing, "%s/no-such-chunk", x->dir);
    static const struct {
        int kind;
        const char *code, *says;
    } cases[] = {
        {0, "stream_start_failed", "cannot open chunk "},
        {1, "stream_start_failed", "differ"},
        {2, "stream_switch_chunk_failed", "no stream stream://test/other in this engine"},
        {3, "stream_stop_failed", "no stream stream://test/other in this engine"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reel_msg_command cmd;
        switch (cases[i].kind) {
        case 0: start_cmd(&cmd, &def, missing, 0); break;
        case 1:
            start_cmd(&cmd, &def, missing, 0);
            snprintf(cmd.start.uri, sizeof cmd.start.uri, "stream://test/other");
            break;
        case 2: switch_cmd(&cmd, "stream://test/other", missing); break;
        default:
            memset(&cmd, 0, sizeof cmd);
            cmd.kind = REEL_CMD_STREAM_STOP;
            snprintf(cmd.stop.uri, sizeof cmd.stop.uri, "stream://test/other");
            break;
        }
        uint8_t rid[REEL_UUID_BYTES];
        cs_send(&c, REEL_HOOT_REQUEST, &cmd, rid);
        cs_wait(&c, replied, rid, "a refusal");
        const reply_rec *r = reply_to(&c, rid);
        assert_int_equal(r->r.kind, REEL_CMD_ERROR);
        assert_string_equal(r->r.error.code, cases[i].code);
        if (!strstr(r->r.error.message, cases[i].says))
            fail_msg("case %zu: '%s' lacks '%s'", i, r->r.error.message, cases[i].says);
        if (cases[i].kind == 0)
            assert_non_null(strstr(r->r.error.message, missing));
        assert_non_null(strstr(r->r.error.details, "\"uri\""));
    }
    /* Nothing was recorded. */
    assert_int_equal(count_kind(&c, REEL_EVT_CHUNK_FULL), 0);
    eng_stop(&g);
    cs_close(&c);
}

static bool heads_past(cs *c, void *ud)
{
    top_up(c, ud);
    for (size_t i = c->n_ev; i-- > 0;)
        if (c->ev[i].kind == REEL_EVT_HEAD_POSITION)
            return c->ev[i].head.sample_position >= 3 * CF && c->beats >= 2;
    return false;
}

/* A live tone: heads every ~100 ms, heartbeats every 250 ms; StreamStop
 * is acked and ends the stream with a final chunk that continues the
 * others exactly. */
static void test_tone_and_stop(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://eng-tone";
    cs c;
    cs_open(&c, ep);
    eng g;
    eng_start(&g, c.ctx, ep, false);
    cs_wait(&c, ready, NULL, "READY");
    uint8_t rid[REEL_UUID_BYTES];
    cs_send(&c, REEL_HOOT_HEARTBEAT, NULL, rid);
    reel_stream_def def = define("tone:440");
    assert_true(def.chunk_size_bytes == CF * FB);
    supply s = {.x = x, .ahead = 4, .max = 64};
    chunk_file(x, 0, s.paths[0]);
    s.named = 1;
    reel_msg_command cmd;
    start_cmd(&cmd, &def, s.paths[0], 0);
    cs_send(&c, REEL_HOOT_REQUEST, &cmd, rid);
    cs_wait(&c, heads_past, &s, "heads past 3 chunks and two heartbeats");
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = REEL_CMD_STREAM_STOP;
    snprintf(cmd.stop.uri, sizeof cmd.stop.uri, URI);
    uint8_t stop_rid[REEL_UUID_BYTES];
    cs_send(&c, REEL_HOOT_REQUEST, &cmd, stop_rid);
    cs_wait(&c, replied, stop_rid, "the StreamStop ack");
    assert_int_equal(reply_to(&c, stop_rid)->r.kind, REEL_CMD_ACK);
    assert_string_equal(reply_to(&c, stop_rid)->r.ack.message, "stream_stopped: " URI);
    cs_wait(&c, final_full, NULL, "the final chunk");
    uint64_t at = 0, head = 0;
    int k = 0;
    bool final = false;
    for (size_t i = 0; i < c.n_ev; i++) {
        const reel_msg_event *e = &c.ev[i];
        if (e->kind == REEL_EVT_HEAD_POSITION) {
            assert_true(e->head.sample_position >= head);
            head = e->head.sample_position;
            /* Clocks from the first period the source wrote on; before
             * that, nothing is written. */
            if (e->head.wall_clock_ns == 0)
                assert_true(e->head.sample_position == 0 && e->head.chunk_bytes == 0);
            else
                assert_true(e->head.mono_ns > 0 && e->head.device_frame >= e->head.clock_frame);
            continue;
        }
        if (e->kind != REEL_EVT_CHUNK_FULL)
            continue;
        assert_false(final); /* nothing after the final chunk */
        if (e->chunk_full.final && e->chunk_full.path[0] == '\0') {
            /* Stopped while it had filled its last chunk and no next one was
             * named yet (a slow machine, TSan): a final report of no chunk
             * and no frames, at the end of what was written. */
            assert_true(e->chunk_full.samples_written == 0);
            assert_true(e->chunk_full.first_frame == at);
            final = true;
            continue;
        }
        assert_string_equal(e->chunk_full.path, s.paths[k]);
        assert_true(e->chunk_full.first_frame == at);
        assert_true(e->chunk_full.bytes_written == e->chunk_full.samples_written * FB);
        assert_true(e->chunk_full.end_frame == at + e->chunk_full.samples_written);
        final = e->chunk_full.final;
        if (!final)
            assert_true(e->chunk_full.samples_written == CF);
        at = e->chunk_full.end_frame;
        k++;
    }
    assert_true(final);
    assert_true(at >= 3 * CF);
    assert_true(head <= at); /* no head ran past what the chunks hold */
    assert_true(c.beats >= 2);
    eng_stop(&g);
    cs_wait(&c, disconnected, NULL, "DISCONNECT");
    cs_close(&c);
}

/* ---- the real control plane and the real engine ---------------------------------- */

static void test_control_and_engine(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://eng-e2e";
    char wav[PATH_MAX], root[PATH_MAX];
    snprintf(wav, sizeof wav, "%s/in.wav", x->dir);
    snprintf(root, sizeof root, "%s/store", x->dir);
    const size_t frames = 30 * CF + 77;
    make_wav(x, wav, frames);
    char spec[PATH_MAX + 8];
    snprintf(spec, sizeof spec, "file:%s", wav);
    reel_stream_def def = define(spec);
    reel_store *st = tsu_open_store(root);
    tsu_log log;
    tsu_log_capture(&log, x->dir); /* before the engine's thread */
    reel_control_opts o = {.engine = ep};
    reel_control *ctl = NULL;
    reel_error err = {0};
    assert_int_equal(reel_control_open(&ctl, st, &o, &err), REEL_OK);
    assert_int_equal(reel_control_add_stream(ctl, &def, &err), REEL_OK);
    eng g;
    eng_start(&g, reel_control_zmq_context(ctl), ep, true);
    /* The file ends by itself: the stream is sealed and ends. */
    int64_t until = reel_clock_mono_now() + 60000000000LL;
    while (reel_control_active_streams(ctl) > 0) {
        assert_int_equal(reel_control_poll(ctl, 5, &err), REEL_OK);
        if (reel_clock_mono_now() > until)
            fail_msg("the file did not finish recording within 60 s");
    }
    assert_true(tsu_log_has(&log, "reel control: engine connected (engine-"));
    assert_true(tsu_log_has(&log, "reel control: " URI ": the source ended"));
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "stopped");
    assert_true(v.manifest.total_frames == frames);
    assert_true(v.manifest.overrun_frames == 0);
    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(&v.manifest, reel_store_cas(st), 0, frames, &c, &n,
                                             &err), REEL_OK);
    assert_int_equal(n, 31);
    char sc[PATH_MAX];
    snprintf(sc, sizeof sc, "%s/scratch", x->dir);
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].first_frame == i * CF);
        assert_true(c[i].frames == (i < 30 ? CF : 77));
        char want[REEL_HASH_HEX + 1], hex[REEL_HASH_HEX + 1];
        tsu_b3sum_buf(sc, x->in + i * CF * CH, (size_t)c[i].frames * FB, want);
        tsu_hex(&c[i].hash, hex);
        assert_string_equal(hex, want);
        tsu_b3sum_blob(st, &c[i].hash, hex);
        assert_string_equal(hex, want);
    }
    free(c);
    reel_stream_view_free(&v);
    /* The engine leaves: the control plane hears its DISCONNECT. */
    eng_stop(&g);
    until = reel_clock_mono_now() + 30000000000LL;
    while (reel_control_engine_connected(ctl)) {
        assert_int_equal(reel_control_poll(ctl, 5, &err), REEL_OK);
        if (reel_clock_mono_now() > until)
            fail_msg("the engine's leaving went unnoticed");
    }
    if (!tsu_log_has(&log, "engine lost (it disconnected)")) {
        tsu_log_dump(&log);
        fail_msg("the control plane did not say the engine disconnected");
    }
    tsu_log_release(&log);
    reel_control_close(ctl);
    tsu_assert_fsck_clean(st);
    reel_store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_into_chunks),
        T(test_refusals),
        T(test_tone_and_stop),
        T(test_control_and_engine),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
