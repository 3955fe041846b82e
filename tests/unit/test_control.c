/*
 * test_control.c — capture/control.c, the control plane, driven without
 * JACK by a scripted engine in a thread of the test that speaks the real
 * protocol (wire.h, capnp_codec.h) over inproc:// in the same ZMQ context:
 * READY after the subscription, StreamStart naming the stream's definition
 * and its first staging chunk (which exists, at the chunk size),
 * StreamSwitchChunk for every next one, StreamHeadPosition and
 * StreamChunkFull with exact counts, StreamStop answered with the final
 * chunk. The recorder behind the proxy port seals every chunk at the
 * length the engine reported: each sealed chunk holds exactly the frames
 * the engine wrote (b3sum-named), its clock is the head's carried to its
 * first frame, the control plane's head is the engine's. A chunk report
 * naming the wrong file is ignored; an engine that refuses StreamStart
 * ends the stream; an engine that goes silent is declared lost after
 * engine_timeout_ns and its stream sealed at the last reported head (the
 * frames written after it are not kept), and the next engine to connect
 * resumes the stream at that frame with a gap. Events are republished on
 * the PUB endpoint and handed to on_event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "capture/control.h"
#include "capture/stream_control.h"
#include "protocol/wire.h"

#include <pthread.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <zmq.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CF 960 /* frames per chunk: 20 ms, so chunk starts are whole ms */
#define URI "stream://test/ctl"
#define W0 1700000000000000000LL /* the fake engine's wall clock at frame 0 */
#define M0 5000000000LL
#define D0 7000000ULL
#define NS_PER_FRAME_X48 1000000LL /* 48 frames = 1 ms */

static int64_t wall_at(uint64_t f) { return W0 + (int64_t)(f / 48) * NS_PER_FRAME_X48; }
static int64_t mono_at(uint64_t f) { return M0 + (int64_t)(f / 48) * NS_PER_FRAME_X48; }

/* ---- the scripted engine ---------------------------------------------------- */

typedef struct fchunk {
    char path[REEL_CAPNP_PATH_MAX];
    uint8_t *map;
    size_t cap;
} fchunk;

typedef struct fake {
    void *ctx;
    char ep[128], evep[160], id[32];
    void *dealer, *xpub;
    pthread_t th;
    pthread_mutex_t mu;
    /* Under mu. */
    bool quit, silent, ready_sent, reject_start, bogus_full;
    int n_start, n_switch, n_stop;
    reel_msg_command start;  /* the last StreamStart */
    char stop_uri[REEL_URI_MAX];
    fchunk ch[256];
    size_t n_ch, cur;
    const float *in; /* frames from the stream's start_frame on */
    uint64_t base, pos, cur_first, cur_frames, target, head_sent;
    bool head_wanted;
    /* until_dry: write into every chunk named so far, then (with nothing
     * more queued from the control plane) report a head and set dry. */
    bool until_dry, dry;
    uint64_t in_frames;
    pthread_cond_t cv;
    int fulls; /* ChunkFull events sent */
    int64_t next_beat;
} fake;

static void send_event(fake *f, const reel_msg_event *ev)
{
    reel_error err;
    if (reel_wire_send_event(f->xpub, ev, &err))
        fprintf(stderr, "fake engine: %s\n", err.msg);
}

static void send_head(fake *f)
{
    reel_msg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = REEL_EVT_HEAD_POSITION;
    snprintf(ev.stream_uri, sizeof ev.stream_uri, "%s", f->start.start.uri);
    ev.head.sample_position = f->pos;
    ev.head.byte_position = (f->pos - f->base) * FB;
    ev.head.wall_clock_ns = (uint64_t)wall_at(f->pos);
    ev.head.clock_frame = f->pos;
    ev.head.mono_ns = mono_at(f->pos);
    ev.head.device_frame = D0 + f->pos;
    ev.head.chunk_bytes = f->cur_frames * FB;
    ev.head.chunk_frames = f->cur_frames;
    send_event(f, &ev);
    f->head_sent = f->pos;
}

static void send_full(fake *f, const char *path, bool final)
{
    reel_msg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = REEL_EVT_CHUNK_FULL;
    snprintf(ev.stream_uri, sizeof ev.stream_uri, "%s", f->start.start.uri);
    snprintf(ev.chunk_full.path, sizeof ev.chunk_full.path, "%s", path);
    ev.chunk_full.bytes_written = f->cur_frames * FB;
    ev.chunk_full.samples_written = f->cur_frames;
    ev.chunk_full.wall_clock_ns = (uint64_t)wall_at(f->cur_first + f->cur_frames);
    ev.chunk_full.first_frame = f->cur_first;
    ev.chunk_full.end_frame = f->cur_first + f->cur_frames;
    ev.chunk_full.final = final;
    send_event(f, &ev);
    f->fulls++;
}

static int map_path(fake *f, const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return -1;
    off_t size = lseek(fd, 0, SEEK_END);
    void *m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    fchunk *c = &f->ch[f->n_ch++];
    snprintf(c->path, sizeof c->path, "%s", path);
    c->map = m;
    c->cap = (size_t)size;
    return 0;
}

/* Copy frames up to target into the chunks the control plane named,
 * reporting each chunk that fills (mu held). */
static void write_some(fake *f)
{
    while (f->pos < f->target && f->cur < f->n_ch) {
        fchunk *c = &f->ch[f->cur];
        uint64_t room = c->cap / FB - f->cur_frames, n = f->target - f->pos;
        if (n > room)
            n = room;
        memcpy(c->map + f->cur_frames * FB, f->in + (f->pos - f->base) * CH, (size_t)n * FB);
        f->pos += n;
        f->cur_frames += n;
        if (f->cur_frames * FB == c->cap) {
            if (f->bogus_full) { /* a report about a file it was never given */
                send_full(f, "/nonexistent/chunk", false);
                f->fulls--;
                f->bogus_full = false;
            }
            send_full(f, c->path, false);
            f->cur++;
            f->cur_first = f->pos;
            f->cur_frames = 0;
        }
    }
    if (f->pos == f->target && f->head_wanted && f->head_sent != f->target) {
        send_head(f);
        f->head_wanted = false;
    }
}

static void reply(fake *f, const uint8_t *rid, bool ok, const char *msg)
{
    reel_msg_command r;
    memset(&r, 0, sizeof r);
    reel_wire_new_id(r.id);
    if (ok) {
        r.kind = REEL_CMD_ACK;
        snprintf(r.ack.message, sizeof r.ack.message, "%s", msg);
    } else {
        r.kind = REEL_CMD_ERROR;
        snprintf(r.error.code, sizeof r.error.code, "stream_start_failed");
        snprintf(r.error.message, sizeof r.error.message, "%s", msg);
    }
    reel_error err;
    if (reel_wire_send_hoot(f->dealer, NULL, 0, REEL_HOOT_REPLY, rid, "reel-engine", &r, &err))
        fprintf(stderr, "fake engine: %s\n", err.msg);
}

static void handle(fake *f, const reel_wire_msg *m)
{
    reel_hoot_frame h;
    reel_error err;
    if (reel_hoot_frame_parse(m->frames, m->n, &h, &err) || h.command != REEL_HOOT_REQUEST)
        return;
    reel_msg_command cmd;
    if (reel_capnp_decode_envelope(h.body.data, h.body.len, &cmd, &err))
        return;
    switch (cmd.kind) {
    case REEL_CMD_STREAM_START:
        f->n_start++;
        f->start = cmd;
        if (f->reject_start) {
            reply(f, h.request_id, false, "no such device: test");
            return;
        }
        f->base = f->pos = f->cur_first = f->target = f->head_sent = cmd.start.start_frame;
        f->cur_frames = 0;
        map_path(f, cmd.start.chunk_path);
        reply(f, h.request_id, true, "stream_started");
        send_head(f); /* as an engine does from the start: the clocks */
        break;
    case REEL_CMD_STREAM_SWITCH_CHUNK:
        f->n_switch++;
        map_path(f, cmd.switch_chunk.new_chunk_path);
        reply(f, h.request_id, true, "chunk_ready");
        break;
    case REEL_CMD_STREAM_STOP:
        f->n_stop++;
        snprintf(f->stop_uri, sizeof f->stop_uri, "%s", cmd.stop.uri);
        write_some(f);
        send_head(f);
        send_full(f, f->ch[f->cur].path, true);
        reply(f, h.request_id, true, "stream_stopped");
        break;
    default: break;
    }
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    reel_wire_msg *m = malloc(sizeof *m);
    uint8_t rid[REEL_UUID_BYTES];
    reel_error err;
    for (;;) {
        zmq_pollitem_t it[2] = {{f->dealer, 0, ZMQ_POLLIN, 0}, {f->xpub, 0, ZMQ_POLLIN, 0}};
        zmq_poll(it, 2, 2);
        pthread_mutex_lock(&f->mu);
        if (f->quit) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        while (reel_wire_recv(f->xpub, m, &err) == REEL_OK)
            if (!f->silent && !f->ready_sent && m->n == 1 && m->frames[0].len >= 1 &&
                ((const uint8_t *)m->frames[0].data)[0] == 1) {
                reel_wire_new_id(rid);
                reel_wire_send_hoot(f->dealer, NULL, 0, REEL_HOOT_READY, rid, "reel-engine",
                                    NULL, &err);
                f->ready_sent = true;
            }
        while (reel_wire_recv(f->dealer, m, &err) == REEL_OK)
            if (!f->silent)
                handle(f, m);
        if (!f->silent) {
            write_some(f);
            if (f->until_dry && !f->dry && f->n_ch && f->cur == f->n_ch) {
                zmq_pollitem_t q = {f->dealer, 0, ZMQ_POLLIN, 0};
                if (zmq_poll(&q, 1, 0) == 0) {
                    send_head(f);
                    f->dry = true;
                    pthread_cond_broadcast(&f->cv);
                }
            }
            int64_t now = reel_clock_mono_now();
            if (f->ready_sent && now >= f->next_beat) {
                reel_wire_new_id(rid);
                reel_wire_send_hoot(f->dealer, NULL, 0, REEL_HOOT_HEARTBEAT, rid, "reel-engine",
                                    NULL, &err);
                f->next_beat = now + 100000000LL;
            }
        }
        pthread_mutex_unlock(&f->mu);
    }
    free(m);
    return NULL;
}

/* Every fake engine running, so that a failed test still stops them
 * before the control plane ends the ZMQ context (zmq_ctx_term waits for
 * every socket to close). */
static fake *running[4];

static fake *fake_start(void *ctx, const char *ep, const char *id)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ctx = ctx;
    snprintf(f->ep, sizeof f->ep, "%s", ep);
    snprintf(f->id, sizeof f->id, "%s", id);
    reel_error err;
    assert_int_equal(reel_wire_events_endpoint(ep, f->evep, sizeof f->evep, &err), REEL_OK);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->dealer = zmq_socket(ctx, ZMQ_DEALER);
    f->xpub = zmq_socket(ctx, ZMQ_XPUB);
    int linger = 0;
    zmq_setsockopt(f->dealer, ZMQ_ROUTING_ID, id, strlen(id));
    zmq_setsockopt(f->dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(f->xpub, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(f->dealer, ep), 0);
    assert_int_equal(zmq_connect(f->xpub, f->evep), 0);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
    for (int i = 0; i < 4; i++)
        if (!running[i]) {
            running[i] = f;
            break;
        }
    return f;
}

static void fake_stop(fake *f)
{
    for (int i = 0; i < 4; i++)
        if (running[i] == f)
            running[i] = NULL;
    pthread_mutex_lock(&f->mu);
    f->quit = true;
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->th, NULL);
    for (size_t i = 0; i < f->n_ch; i++)
        munmap(f->ch[i].map, f->ch[i].cap);
    zmq_close(f->dealer);
    zmq_close(f->xpub);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

/* ---- the control side --------------------------------------------------------- */

typedef struct fx {
    char dir[PATH_MAX];
    reel_store *st;
    reel_control *c;
    tsu_log log;
    int n_heads, n_fulls;
    void *sub; /* subscriber of the republished events */
    uint64_t pub_head; /* the newest head seen there */
} fx;


static void on_event(void *ud, const reel_msg_event *ev)
{
    fx *x = ud;
    x->n_heads += ev->kind == REEL_EVT_HEAD_POSITION;
    x->n_fulls += ev->kind == REEL_EVT_CHUNK_FULL;
}

static bool logged(const fx *x, const char *s)
{
    if (tsu_log_has(&x->log, s))
        return true;
    tsu_log_dump(&x->log);
    return false;
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    if (!x || !test_tmpdir_make(x->dir, sizeof x->dir, "control"))
        return -1;
    tsu_log_capture(&x->log, x->dir); /* before any thread */
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    for (int i = 0; i < 4; i++)
        if (running[i])
            fake_stop(running[i]);
    if (x->sub)
        zmq_close(x->sub);
    if (x->c)
        reel_control_close(x->c);
    if (x->st)
        reel_store_close(x->st);
    tsu_log_release(&x->log);
    test_tmpdir_remove(x->dir);
    free(x);
    return 0;
}

static void open_control(fx *x, const char *ep, int64_t timeout_ns, const char *publish)
{
    x->st = tsu_open_store(x->dir);
    reel_control_opts o = {.engine = ep, .publish = publish, .engine_timeout_ns = timeout_ns,
                           .on_event = on_event, .ud = x};
    reel_error err = {0};
    if (reel_control_open(&x->c, x->st, &o, &err) != REEL_OK)
        fail_msg("control open: %s", err.msg);
}

/* Poll the control plane until cond(x, f) holds (bounded: 30 s). */
typedef bool (*cond_fn)(fx *x, fake *f);
static void pump(fx *x, fake *f, cond_fn cond, const char *what)
{
    reel_error err = {0};
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    for (;;) {
        if (reel_control_poll(x->c, 5, &err) != REEL_OK)
            fail_msg("poll (%s): %s", what, err.msg);
        if (x->sub) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            while (zmq_msg_recv(&msg, x->sub, ZMQ_DONTWAIT) >= 0) {
                reel_msg_event ev;
                if (reel_capnp_decode_broadcast(zmq_msg_data(&msg), zmq_msg_size(&msg), &ev,
                                                NULL) == 0 &&
                    ev.kind == REEL_EVT_HEAD_POSITION)
                    x->pub_head = ev.head.sample_position;
            }
            zmq_msg_close(&msg);
        }
        bool done;
        if (f)
            pthread_mutex_lock(&f->mu);
        done = cond(x, f);
        if (f)
            pthread_mutex_unlock(&f->mu);
        if (done)
            return;
        if (reel_clock_mono_now() > until)
            fail_msg("timed out waiting for %s", what);
    }
}

#define TOTAL (10 * CF + 336)
static bool pub_has_head(fx *x, fake *f)
{
    (void)f;
    return x->pub_head == TOTAL;
}

static bool started(fx *x, fake *f) { (void)x; return f->n_start > 0; }
/* The engine holds the three chunks the control plane keeps ready at least
 * (the preparer makes them after the start, on a thread of its own).
 * Conditions run with f->mu held. */
static bool given_three(fx *x, fake *f) { (void)x; return f->n_ch >= 3; }
static bool at_target(fx *x, fake *f)
{
    reel_control_stream_info in;
    return f->head_sent == f->target && !f->head_wanted &&
           reel_control_stream_get(x->c, URI, &in, NULL) == 0 && in.have_head &&
           in.head.frames == f->target;
}
static bool lost(fx *x, fake *f) { (void)f; return !reel_control_engine_connected(x->c); }
static bool rejected(fx *x, fake *f)
{
    (void)f;
    return reel_control_active_streams(x->c) == 0;
}

/* Have the engine write frames up to `target` (then report a head) and
 * wait until the control plane holds that head. */
static void write_to(fx *x, fake *f, uint64_t target)
{
    pthread_mutex_lock(&f->mu);
    f->target = target;
    f->head_wanted = true;
    pthread_mutex_unlock(&f->mu);
    pump(x, f, at_target, "the engine's head");
}

static reel_stream_def stream_def(void)
{
    reel_stream_def d = tsu_audio_def(URI, RATE, CH, CF);
    snprintf(d.device_identity, sizeof d.device_identity, "tone:440");
    return d;
}

/* The stopped stream holds exactly `want` frames (want[i] = stream frame
 * i), in chunks that start where the engine said, with the head's clocks
 * carried to their first frame. */
static void check_sealed(fx *x, const float *want, uint64_t frames, uint64_t gaps)
{
    reel_error err = {0};
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(x->st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "stopped");
    if (v.manifest.total_frames != frames)
        fail_msg("the stream holds %llu frames, want %llu", (unsigned long long)v.manifest.total_frames,
                 (unsigned long long)frames);
    assert_true(v.manifest.gaps == gaps);
    assert_true(v.manifest.overrun_frames == 0);
    reel_chunk_entry *c = NULL;
    size_t n = 0;
    assert_int_equal(reel_manifest_chunks_in(&v.manifest, reel_store_cas(x->st), 0, frames, &c, &n,
                                             &err), REEL_OK);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i].sealed);
        assert_true(c[i].first_frame == at);
        assert_true(c[i].bytes == c[i].frames * FB);
        char path[PATH_MAX], hex[REEL_HASH_HEX + 1], sum[REEL_HASH_HEX + 1], sc[PATH_MAX];
        reel_cas_content_path(reel_store_cas(x->st), &c[i].hash, path);
        tsu_b3sum_file(path, sum);
        tsu_hex(&c[i].hash, hex);
        assert_string_equal(hex, sum);
        snprintf(sc, sizeof sc, "%s/scratch", x->dir);
        tsu_b3sum_buf(sc, want + at * CH, (size_t)c[i].frames * FB, sum);
        if (strcmp(hex, sum) != 0)
            fail_msg("chunk %zu (#%llu, %llu frames) does not hold the frames written", i,
                     (unsigned long long)at, (unsigned long long)c[i].frames);
        if (c[i].first_frame % 48 == 0) { /* whole ms: the carried clock is exact */
            assert_true(c[i].clock.wall_ns == wall_at(c[i].first_frame));
            assert_true(c[i].clock.mono_ns == mono_at(c[i].first_frame));
            assert_true(c[i].clock.device_frame == D0 + c[i].first_frame);
        }
        at += c[i].frames;
    }
    assert_true(at == frames);
    free(c);
    reel_stream_view_free(&v);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_protocol_round_trip(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://ctl-round-trip";
    open_control(x, ep, 0, "inproc://ctl-round-trip-pub");
    x->sub = zmq_socket(reel_control_zmq_context(x->c), ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(x->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(x->sub, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(x->sub, "inproc://ctl-round-trip-pub"), 0);
    reel_stream_def def = stream_def();
    reel_error err = {0};
    /* Known before an engine connects: recorded once one does. */
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_OK);
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_EEXIST);
    assert_false(reel_control_engine_connected(x->c));
    assert_int_equal(reel_control_active_streams(x->c), 1);

    const uint64_t total = TOTAL;
    float *in = tsu_make_input((size_t)total * CH, 8);
    fake *f = fake_start(reel_control_zmq_context(x->c), ep, "fake-engine-1");
    pthread_mutex_lock(&f->mu); /* its thread reads these under the lock */
    f->in = in;
    f->bogus_full = true;
    pthread_mutex_unlock(&f->mu);
    pump(x, f, started, "StreamStart");
    assert_true(reel_control_engine_connected(x->c));
    assert_true(logged(x, "engine connected (fake-engine-1)"));

    /* StreamStart: the definition, frame 0, and a staging chunk of the
     * chunk size in this store. */
    pthread_mutex_lock(&f->mu);
    reel_msg_command st0 = f->start;
    pthread_mutex_unlock(&f->mu);
    assert_string_equal(st0.start.uri, URI);
    assert_string_equal(st0.start.def.uri, URI);
    assert_int_equal(st0.start.def.sample_rate, RATE);
    assert_int_equal(st0.start.def.channels, CH);
    assert_int_equal(st0.start.def.sample_format, REEL_SAMPLE_F32);
    assert_true(st0.start.def.chunk_size_bytes == CF * FB);
    assert_true(st0.start.start_frame == 0);
    char staging[PATH_MAX];
    snprintf(staging, sizeof staging, "%s/cas/staging/blake3/", x->dir);
    assert_memory_equal(st0.start.chunk_path, staging, strlen(staging));
    struct stat sb;
    assert_int_equal(stat(st0.start.chunk_path, &sb), 0);
    assert_true(sb.st_size == CF * FB);

    /* Frames in three steps, each ending with a head; each head is the
     * control plane's head at once. */
    write_to(x, f, 2 * CF + 96);
    reel_control_stream_info in0;
    assert_int_equal(reel_control_stream_get(x->c, URI, &in0, &err), REEL_OK);
    assert_true(in0.recording && in0.have_head);
    assert_true(in0.head.frames == 2 * CF + 96);
    assert_true(in0.head.chunk_frames == 96 && in0.head.chunk_bytes == 96 * FB);
    assert_true(in0.head.wall_ns == wall_at(2 * CF + 96));
    assert_true(in0.head.device_frame == D0 + 2 * CF + 96);
    assert_true(in0.start_frame == 0);
    assert_true(logged(x, "the engine reported chunk /nonexistent/chunk, expected"));
    write_to(x, f, 7 * CF);
    write_to(x, f, total);
    pthread_mutex_lock(&f->mu);
    int switches = f->n_switch, fulls = f->fulls;
    pthread_mutex_unlock(&f->mu);
    assert_true(switches >= 10); /* one per chunk after the first */
    assert_int_equal(fulls, 10);

    /* The live view follows: sealed chunks and the staging one. */
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(x->st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "recording");
    assert_true(v.manifest.total_frames == total);
    reel_stream_view_free(&v);

    /* Stop: StreamStop to the engine, its final chunk sealed at 336
     * frames, the stream parked (a known stream, no longer recording). */
    assert_int_equal(reel_control_stop_stream(x->c, URI, 10000000000LL, &err), REEL_OK);
    pthread_mutex_lock(&f->mu);
    assert_int_equal(f->n_stop, 1);
    assert_string_equal(f->stop_uri, URI);
    pthread_mutex_unlock(&f->mu);
    reel_control_stream_info in1;
    assert_int_equal(reel_control_stream_get(x->c, URI, &in1, &err), REEL_OK);
    assert_false(in1.recording);
    assert_int_equal(reel_control_active_streams(x->c), 1); /* parked */
    assert_int_equal(reel_control_stop_stream(x->c, URI, 1000000000LL, &err), REEL_ESTATE);
    check_sealed(x, in, total, 0);
    /* Nothing the engine was offered is left over in staging but the
     * chunks it was given and never used (removed by the recorder). */
    assert_true(x->n_fulls == 12); /* 10 full + the bogus one + the final */
    assert_true(x->n_heads >= 5); /* at the start, three steps, the stop */
    /* Republished: the last head made it out on the PUB endpoint. */
    pump(x, NULL, pub_has_head, "the republished head");
    fake_stop(f);
    free(in);
}

/* An engine that refuses StreamStart: the stream ends, said so. */
static void test_engine_refuses_start(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://ctl-refuse";
    open_control(x, ep, 0, NULL);
    reel_stream_def def = stream_def();
    reel_error err = {0};
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_OK);
    fake *f = fake_start(reel_control_zmq_context(x->c), ep, "fake-refuser");
    pthread_mutex_lock(&f->mu); /* its thread reads it under the lock (TSan saw the race) */
    f->reject_start = true;
    pthread_mutex_unlock(&f->mu);
    pump(x, f, rejected, "the refused stream to end");
    assert_true(logged(x, URI ": the engine cannot record it: no such device: test"));
    reel_control_stream_info in;
    assert_int_equal(reel_control_stream_get(x->c, URI, &in, &err), REEL_OK);
    assert_false(in.recording);
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(x->st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "stopped");
    fake_stop(f);
}

/* Engine death: silence past engine_timeout_ns. The stream is sealed at
 * the last head it reported: frames written after that head are not
 * kept, even though they are in the chunk file. The next engine resumes
 * the stream where the sealed part ends, counted as a gap. */
static void test_engine_death_and_resume(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://ctl-death";
    open_control(x, ep, 300000000LL, NULL);
    reel_stream_def def = stream_def();
    reel_error err = {0};
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_OK);
    const uint64_t h1 = 3 * CF + 480, m2 = 2 * CF + 96; /* whole ms */
    float *in1 = tsu_make_input((size_t)(h1 + 500) * CH, 21);
    float *in2 = tsu_make_input((size_t)m2 * CH, 22);
    fake *f1 = fake_start(reel_control_zmq_context(x->c), ep, "fake-dies");
    f1->in = in1;
    pump(x, f1, started, "StreamStart");
    write_to(x, f1, h1);
    /* 500 more frames go into the chunk without a head, then silence. */
    pthread_mutex_lock(&f1->mu);
    f1->target = h1 + 300;
    pthread_mutex_unlock(&f1->mu);
    int64_t until = reel_clock_mono_now() + 30000000000LL;
    for (bool done = false; !done;) {
        assert_int_equal(reel_control_poll(x->c, 5, &err), REEL_OK);
        pthread_mutex_lock(&f1->mu);
        done = f1->pos == h1 + 300;
        if (done)
            f1->silent = true;
        pthread_mutex_unlock(&f1->mu);
        assert_true(reel_clock_mono_now() < until);
    }
    int64_t t0 = reel_clock_mono_now();
    pump(x, f1, lost, "the engine to be declared lost");
    /* Not before the timeout: its last word (a heartbeat) was at most
     * 100 ms before it fell silent, the timeout is 300 ms. */
    assert_true(reel_clock_mono_now() - t0 >= 150000000LL);
    assert_true(logged(x, "engine lost (no word from it for too long)"));
    reel_control_stream_info in;
    assert_int_equal(reel_control_stream_get(x->c, URI, &in, &err), REEL_OK);
    assert_true(in.recording); /* waiting for an engine */
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(x->st), URI, &row, &err), REEL_OK);
    assert_string_equal(row.state, "stopped");
    check_sealed(x, in1, h1, 0);

    /* Another engine: StreamStart at frame h1, then more frames. */
    fake *f2 = fake_start(reel_control_zmq_context(x->c), ep, "fake-second");
    f2->in = in2;
    pump(x, f2, started, "StreamStart to the second engine");
    pthread_mutex_lock(&f2->mu);
    assert_true(f2->start.start.start_frame == h1);
    assert_true(f2->base == h1);
    pthread_mutex_unlock(&f2->mu);
    write_to(x, f2, h1 + m2);
    assert_int_equal(reel_control_stop(x->c, 10000000000LL, &err), REEL_OK);
    float *want = malloc((size_t)(h1 + m2) * FB);
    assert_non_null(want);
    memcpy(want, in1, (size_t)h1 * FB);
    memcpy(want + h1 * CH, in2, (size_t)m2 * FB);
    check_sealed(x, want, h1 + m2, 1);
    free(want);
    fake_stop(f2);
    fake_stop(f1);
    free(in1);
    free(in2);
    tsu_assert_fsck_clean(x->st);
}

/* The engine fills every chunk it was given before the control plane
 * names another (a slow disk, a busy machine): the next chunk it gets
 * continues the stream where the last one ended. The control plane is not
 * polled while the engine runs dry, so it then handles every ChunkFull at
 * once with no chunk left in the engine's hands -- deterministically.
 * (It used to lose that next chunk: never reported started, its ChunkFull
 * read as the end of the stream.) */
static void test_engine_outruns_chunk_supply(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://ctl-dry";
    open_control(x, ep, 0, NULL);
    reel_stream_def def = stream_def();
    reel_error err = {0};
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_OK);
    const uint64_t frames = 200 * CF;
    float *in = tsu_make_input((size_t)frames * CH, 31);
    fake *f = fake_start(reel_control_zmq_context(x->c), ep, "fake-dry");
    f->in = in;
    pump(x, f, started, "StreamStart");
    pump(x, f, given_three, "three chunks given");
    /* No more polls: the engine uses up what it has and says where it is. */
    pthread_mutex_lock(&f->mu);
    f->in_frames = frames;
    f->target = frames;
    f->until_dry = true;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    while (!f->dry)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &until) != 0)
            break;
    assert_true(f->dry);
    uint64_t dry_at = f->pos;
    size_t given = f->n_ch;
    f->until_dry = false;
    f->target = dry_at;
    pthread_mutex_unlock(&f->mu);
    assert_true(given >= 3);
    assert_true(dry_at == given * CF); /* every chunk full, none left */
    /* Now the control plane sees all of it, then names new chunks; the
     * engine carries on. */
    write_to(x, f, dry_at + 3 * CF + 96);
    assert_int_equal(reel_control_stop_stream(x->c, URI, 10000000000LL, &err), REEL_OK);
    check_sealed(x, in, dry_at + 3 * CF + 96, 0);
    fake_stop(f);
    free(in);
}

/* The frame a call arrived at (takes and marks: stream_control.h), on the
 * engine's clock pairing: frame 4800 began at M0 + 100 ms, 48 frames a ms.
 * At the pairing and just after it, the frame is the pairing's; a frame's
 * worth later (20833.3 ns), the next; before the pairing (a call that
 * arrived before the head the control thread now holds), the frames before
 * it, not the pairing's. */
static void test_frame_at_pairing(void **state)
{
    fx *x = *state;
    const char *ep = "inproc://ctl-frame-at";
    open_control(x, ep, 0, NULL);
    reel_stream_def def = stream_def();
    reel_error err = {0};
    assert_int_equal(reel_control_add_stream(x->c, &def, &err), REEL_OK);
    const uint64_t frames = 10 * CF;
    float *in = tsu_make_input((size_t)frames * CH, 5);
    fake *f = fake_start(reel_control_zmq_context(x->c), ep, "fake-frame-at");
    f->in = in;
    pump(x, f, started, "StreamStart");
    write_to(x, f, 5 * CF); /* the head: frame 4800 */
    const int64_t m = mono_at(5 * CF);
    assert_true(m == M0 + 100000000LL);
    static const struct { int64_t dt_ns; uint64_t frame; } cases[] = {
        {0, 4800},         {1, 4800},          {20833, 4800},       {20834, 4801},
        {1000000, 4848},   {250000000, 16800}, {-1, 4799},          {-20833, 4799},
        {-20834, 4798},    {-50000000, 2400},  {-100000000, 0},     {-900000000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t fr = 0, dev = 0;
        bool has = false;
        assert_int_equal(reel_stream_frame_at(x->c, URI, m + cases[i].dt_ns, &fr, &dev, &has,
                                              &err), REEL_OK);
        if (fr != cases[i].frame)
            fail_msg("%+lld ns from the pairing: frame %llu, want %llu",
                     (long long)cases[i].dt_ns, (unsigned long long)fr,
                     (unsigned long long)cases[i].frame);
        assert_true(has);
        assert_true(dev == D0 + fr);
    }
    /* Never before the recording's first frame. */
    assert_true(reel_stream_frame_from_clock(100, 0, RATE, 90, -1000000000LL) == 90);
    assert_int_equal(reel_control_stop_stream(x->c, URI, 10000000000LL, &err), REEL_OK);
    assert_int_equal(reel_stream_frame_at(x->c, URI, m, NULL, NULL, NULL, &err), REEL_ESTATE);
    fake_stop(f);
    free(in);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_protocol_round_trip),
        T(test_engine_refuses_start),
        T(test_engine_death_and_resume),
        T(test_engine_outruns_chunk_supply),
        T(test_frame_at_pairing),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
