/*
 * test_request.c — model/request/request.c without JACK: the module is
 * compiled into this test with its JACK client (io/midi_send.h) and its
 * sleeps replaced by a simulated JACK server, so everything that does not
 * need a server runs for real, deterministically, on one thread:
 *
 *   - the stream is recorded by a real recorder (through a chunk port) on a
 *     64-bit device clock whose 32-bit JACK frame time wraps during the
 *     request; each simulated cycle runs the real MIDI schedule
 *     (rt/midi_sched.h) and a "synth" that answers each note-on with a
 *     click a known number of frames later;
 *   - request.c's sleep_ns advances the simulated server by that long
 *     (cycles recorded, heads reported), so its waits are waits on the
 *     simulated clock, and nothing really sleeps.
 *
 * Checked against values computed here: each sent frame mapped through the
 * stream's clock pairings to the stream frame it went out at (across the
 * wrap), the window [first - preroll, end of file + tail], per-note onsets
 * and latencies and their median, JACK's reported latencies, the three
 * linked artifacts (midi-file once per content, midi-sent, the audio
 * slice) with parents, tags and windows, the MIDI sent read back by
 * midicsv (one tick per frame from the window's start), the audio window
 * sample for sample; and the refusals that need no server: bad options,
 * unknown or unsuitable streams, bad MIDI, a stream that stops before the
 * response ends and one whose clock jumps mid-request (nothing stored).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include <time.h>
#include <sndfile.h>
#include <stdio.h>

/* ---- the simulated server: the names request.c calls ---------------------- */

#define reel_midi_send_open fake_send_open
#define reel_midi_send_rate fake_send_rate
#define reel_midi_send_period fake_send_period
#define reel_midi_send_port_name fake_send_port_name
#define reel_midi_send_connect fake_send_connect
#define reel_midi_send_now fake_send_now
#define reel_midi_send_port_latency fake_send_port_latency
#define reel_midi_send_play fake_send_play
#define reel_midi_send_pump fake_send_pump
#define reel_midi_send_sched fake_send_sched
#define reel_midi_send_xruns fake_send_xruns
#define reel_midi_send_close fake_send_close
#define reel_request_run test_request_run
static int fake_nanosleep(const struct timespec *span, struct timespec *rem);
#define nanosleep fake_nanosleep
#include "model/request/request.c"
#undef nanosleep

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define PERIOD 256
#define URI "stream://jack/synth"
#define OUT_PORT "synth:midi_in"
/* Device frame (64-bit) of stream frame 0: the 32-bit JACK time wraps at
 * stream frame 20000, inside the request. */
#define DEV0 ((5ull << 32) + (1ull << 32) - 20000)
#define W0 1700000000000000000LL
#define BURST 48
#define LEVEL 0.5f

struct reel_midi_send {
    reel_midi_sched sched;
    bool playing;
    const reel_midi_sched_ev *evs;
    size_t n;
};

typedef struct world {
    reel_store *st;
    reel_recorder *rec;
    tsu_port port;
    bool recording;
    uint64_t t;          /* frames since the world began (= stream frames) */
    uint64_t due;        /* frames owed to the next cycles */
    uint64_t since_head; /* frames since the last head report */
    uint64_t stop_at;    /* stop recording at this frame (0: never) */
    uint64_t jump_at;    /* the device clock jumps by `jump` from here (0: never) */
    int64_t jump;
    reel_midi_send *ms;
    const int64_t *lat; /* the synth's answer per note-on, in frames */
    size_t n_lat, notes;
    uint64_t clicks[16]; /* stream frames where a click starts */
    size_t n_clicks;
    uint32_t sent_jack[32]; /* JACK times the events went out at, in order */
    size_t n_sent;
    bool no_server;
} world;

static world W;

static uint64_t device_at(uint64_t t)
{
    return DEV0 + t + (W.jump_at && t >= W.jump_at ? (uint64_t)W.jump : 0);
}

static bool synth_in(void *ud, uint32_t offset, const uint8_t *data, uint32_t len)
{
    (void)ud;
    W.sent_jack[W.n_sent++] = (uint32_t)device_at(W.t) + offset;
    if (len >= 3 && (data[0] & 0xf0) == 0x90 && data[2] > 0 && W.notes < W.n_lat)
        W.clicks[W.n_clicks++] = W.t + offset + (uint64_t)W.lat[W.notes++];
    return true;
}

static float sample_at(uint64_t f)
{
    for (size_t i = 0; i < W.n_clicks; i++)
        if (f >= W.clicks[i] && f < W.clicks[i] + BURST)
            return LEVEL;
    return 0.0f;
}

static void push_head(void)
{
    if (W.recording) {
        tsu_port_push_head(W.rec, &W.port);
        W.since_head = 0;
    }
}

static void stop_recording(void)
{
    reel_error err = {0};
    reel_cw_finish(W.port.cw);
    if (reel_recorder_close(W.rec, &err) != REEL_OK)
        fail_msg("recorder close: %s", err.msg);
    reel_cw_destroy(W.port.cw);
    W.rec = NULL;
    W.recording = false;
}

/* One JACK cycle: the MIDI schedule, then the stream records it. */
static void cycle(void)
{
    if (W.ms && W.ms->playing)
        reel_midi_sched_cycle(&W.ms->sched, (uint32_t)device_at(W.t), PERIOD, synth_in, NULL);
    if (W.recording) {
        float buf[PERIOD * CH];
        for (size_t k = 0; k < PERIOD; k++)
            buf[k * CH] = buf[k * CH + 1] = sample_at(W.t + k);
        reel_error err = {0};
        if (tsu_wait_ready_cw(W.rec, W.port.cw, &err) != REEL_OK)
            fail_msg("recorder: %s", err.msg);
        reel_cw_set_clock(W.port.cw, reel_clock_mono_now(),
                          W0 + (int64_t)(W.t * 1000000000ull / RATE), device_at(W.t));
        reel_cw_write(W.port.cw, buf, PERIOD);
        W.since_head += PERIOD;
        if (W.stop_at && W.t + PERIOD >= W.stop_at) {
            push_head();
            stop_recording();
        }
    }
    W.t += PERIOD;
}

static void advance(uint64_t frames)
{
    W.due += frames;
    while (W.due >= PERIOD) {
        cycle();
        W.due -= PERIOD;
    }
}

/* request.c's sleeps: the simulated server runs that long. */
static int fake_nanosleep(const struct timespec *span, struct timespec *rem)
{
    (void)rem;
    int64_t ns = (int64_t)span->tv_sec * 1000000000LL + span->tv_nsec;
    advance((uint64_t)(ns * RATE / 1000000000LL));
    if (W.since_head >= 2048 || ns >= 20000000LL)
        push_head();
    return 0;
}

int fake_send_open(reel_midi_send **out, const char *name, const char *server, reel_error *err)
{
    (void)name, (void)server;
    if (W.no_server)
        return reel_error_set(err, REEL_EDEVICE, "no JACK server (simulated)");
    *out = calloc(1, sizeof **out);
    W.ms = *out;
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}
uint32_t fake_send_rate(const reel_midi_send *m) { (void)m; return RATE; }
uint32_t fake_send_period(const reel_midi_send *m) { (void)m; return PERIOD; }
const char *fake_send_port_name(const reel_midi_send *m) { (void)m; return "reel-request:out"; }
int fake_send_connect(reel_midi_send *m, const char *dest, reel_error *err)
{
    (void)m;
    if (strcmp(dest, OUT_PORT) != 0)
        return reel_error_set(err, REEL_ENOENT, "no JACK port '%s'", dest);
    return REEL_OK;
}
uint32_t fake_send_now(const reel_midi_send *m)
{
    (void)m;
    return (uint32_t)device_at(W.t);
}
int fake_send_port_latency(reel_midi_send *m, const char *port, bool capture, uint32_t range[2],
                           reel_error *err)
{
    (void)m;
    if (!capture && strcmp(port, "reel-request:out") == 0) {
        range[0] = range[1] = 128;
    } else if (!capture && strcmp(port, OUT_PORT) == 0) {
        range[0] = range[1] = 0;
    } else if (capture && strcmp(port, "synth:out") == 0) {
        range[0] = 32;
        range[1] = 40;
    } else {
        return reel_error_set(err, REEL_ENOENT, "no port %s", port);
    }
    return REEL_OK;
}
int fake_send_play(reel_midi_send *m, const reel_midi_sched_ev *evs, size_t n, reel_error *err)
{
    int rc = reel_midi_sched_init(&m->sched, n, 64, err);
    if (rc)
        return rc;
    m->evs = evs;
    m->n = n;
    m->playing = true;
    return REEL_OK;
}
bool fake_send_pump(reel_midi_send *m, int *rc, reel_error *err)
{
    (void)err;
    *rc = REEL_OK;
    reel_midi_sched_feed(&m->sched, m->evs);
    return reel_midi_sched_done(&m->sched) == m->n;
}
const reel_midi_sched *fake_send_sched(const reel_midi_send *m) { return &m->sched; }
uint64_t fake_send_xruns(const reel_midi_send *m) { (void)m; return 0; }
void fake_send_close(reel_midi_send *m)
{
    if (!m)
        return;
    if (m->playing)
        reel_midi_sched_destroy(&m->sched);
    if (W.ms == m)
        W.ms = NULL;
    free(m);
}

/* ---- fixtures ----------------------------------------------------------------- */

typedef struct fx {
    char dir[PATH_MAX];
    char mid[PATH_MAX];
} fx;

/* Six events, ticks = frames at 48 kHz (PPQ 960, 20000 us per quarter):
 * three notes 0.25 s apart, End-of-track at 30000. */
static const uint32_t REL[6] = {0, 4800, 12000, 16800, 24000, 28800};
static const uint8_t NOTE[3] = {60, 62, 64};
#define FILE_END 30000

static void put_vlq(FILE *f, uint32_t v)
{
    uint8_t b[5];
    int n = 0;
    b[n++] = v & 0x7f;
    while (v >>= 7)
        b[n++] = (uint8_t)(0x80 | (v & 0x7f));
    while (n--)
        fputc(b[n], f);
}

static void write_smf(const char *path, bool with_events)
{
    FILE *f = fopen(path, "w+b");
    assert_non_null(f);
    fwrite("MThd\0\0\0\6\0\0\0\1\x03\xc0", 1, 14, f); /* format 0, 1 track, 960 */
    fwrite("MTrk\0\0\0\0", 1, 8, f);
    long start = ftell(f);
    put_vlq(f, 0);
    fwrite("\xff\x51\x03\x00\x4e\x20", 1, 6, f); /* 20000 us per quarter */
    uint32_t at = 0;
    for (int i = 0; with_events && i < 6; i++) {
        put_vlq(f, REL[i] - at);
        at = REL[i];
        uint8_t ev[3] = {(uint8_t)(i % 2 ? 0x80 : 0x90), NOTE[i / 2], (uint8_t)(i % 2 ? 0 : 100)};
        fwrite(ev, 1, 3, f);
    }
    put_vlq(f, FILE_END - at);
    fwrite("\xff\x2f\x00", 1, 3, f);
    long end = ftell(f);
    uint32_t len = (uint32_t)(end - start);
    uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    fseek(f, start - 4, SEEK_SET);
    fwrite(be, 1, 4, f);
    assert_int_equal(fclose(f), 0);
}

static void world_begin(fx *x, const char *device_identity)
{
    static int n;
    memset(&W, 0, sizeof W);
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/store%d", x->dir, ++n); /* a fresh store each */
    W.st = tsu_open_store(root);
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, RATE);
    snprintf(def.device_identity, sizeof def.device_identity, "%s", device_identity);
    W.rec = tsu_port_open(W.st, &def, &W.port);
    W.recording = true;
    advance(10000); /* a few pairings before the request */
    push_head();
}

static void world_end(void)
{
    if (W.recording)
        stop_recording();
    reel_store_close(W.st);
    memset(&W, 0, sizeof W);
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    if (!x || !test_tmpdir_make(x->dir, sizeof x->dir, "request"))
        return -1;
    snprintf(x->mid, sizeof x->mid, "%s/take.mid", x->dir);
    write_smf(x->mid, true);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    if (W.st)
        world_end();
    test_tmpdir_remove(x->dir);
    free(x);
    return 0;
}

static reel_request_opts opts(const fx *x)
{
    reel_request_opts o;
    memset(&o, 0, sizeof o);
    o.midi = x->mid;
    o.out_port = OUT_PORT;
    o.stream_uri = URI;
    o.tail_ns = 500000000LL;    /* 24000 frames */
    o.preroll_ns = 100000000LL; /* 4800 */
    o.lead_ns = 100000000LL;    /* 4800 */
    return o;
}

static int64_t jint(json_t *o, const char *path)
{
    json_t *v = o;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

/* ---- the request, end to end ---------------------------------------------------- */

static void test_request_round_trip(void **state)
{
    fx *x = *state;
    world_begin(x, "jack:synth:out");
    static const int64_t lat[3] = {37, 120, 64};
    W.lat = lat;
    W.n_lat = 3;
    reel_request_opts o = opts(x);
    const char *tags[] = {"take:7"};
    o.tags = tags;
    o.n_tags = 1;
    o.session = "ses-0011223344";
    json_t *doc = NULL;
    reel_error err = {0};
    if (test_request_run(W.st, &o, &doc, &err) != REEL_OK)
        fail_msg("request: %s", err.msg);

    /* Where it started on JACK's clock, and so on the stream's. */
    uint32_t t0 = (uint32_t)jint(doc, "jack.start_frame");
    uint64_t s0 = (uint32_t)(t0 - (uint32_t)DEV0); /* stream frame of t0 */
    /* "now" was the first frame after the 10000 primed (whole cycles:
     * 9984), plus the lead; before the 32-bit wrap at 20000. */
    assert_true(s0 == 9984 + 4800);
    /* Every event went out at its frame on JACK's clock (not late)... */
    assert_int_equal(W.n_sent, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(W.sent_jack[i], t0 + REL[i]);
    assert_true(W.sent_jack[5] < W.sent_jack[0]); /* the 32-bit time wrapped */
    /* ... and maps to stream frame s0 + REL[i] through the pairings. */
    for (int i = 0; i < 6; i++) {
        char p[64];
        snprintf(p, sizeof p, "send_frames.%d", i);
        assert_true(jint(doc, p) == (int64_t)(s0 + REL[i]));
        snprintf(p, sizeof p, "send_jack_frames.%d", i);
        assert_true((uint32_t)jint(doc, p) == t0 + REL[i]);
    }
    const uint64_t from = s0 - 4800, to = s0 + FILE_END + 24000;
    assert_true(jint(doc, "window.from_frame") == (int64_t)from);
    assert_true(jint(doc, "window.to_frame") == (int64_t)to);
    assert_true(jint(doc, "window.frames") == (int64_t)(to - from));
    assert_true(jint(doc, "window.first_sent_frame") == (int64_t)s0);
    assert_true(jint(doc, "window.file_frames") == FILE_END);
    assert_true(jint(doc, "events.sent") == 6 && jint(doc, "events.late") == 0 &&
                jint(doc, "events.dropped") == 0);
    assert_true(jint(doc, "jack.clock_drift_frames") == 0);
    assert_true(jint(doc, "jack.clock_pairings") >= 2);
    assert_true(jint(doc, "jack.period") == PERIOD);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "jack"),
                                                          "client_port")), "reel-request:out");
    /* JACK's own account: our output 128, the synth's capture 32..40. */
    assert_true(jint(doc, "jack.reported_latency.out_port_playback.1") == 128);
    assert_true(jint(doc, "jack.reported_latency.capture_ports.synth:out.0") == 32);
    assert_true(jint(doc, "jack.reported_latency.capture_ports.synth:out.1") == 40);
    assert_true(jint(doc, "jack.reported_latency.round_trip_frames") == 168);

    /* Onsets: each click, LAT frames after its note-on; median 64. */
    json_t *notes = json_object_get(doc, "notes");
    assert_int_equal(json_array_size(notes), 3);
    for (int k = 0; k < 3; k++) {
        char p[64];
        snprintf(p, sizeof p, "notes.%d.note", k);
        assert_true(jint(doc, p) == NOTE[k]);
        snprintf(p, sizeof p, "notes.%d.sent_frame", k);
        assert_true(jint(doc, p) == (int64_t)(s0 + REL[2 * k]));
        snprintf(p, sizeof p, "notes.%d.onset_frame", k);
        assert_true(jint(doc, p) == (int64_t)(s0 + REL[2 * k]) + lat[k]);
        snprintf(p, sizeof p, "notes.%d.latency_frames", k);
        assert_true(jint(doc, p) == lat[k]);
        double ms = json_real_value(json_object_get(json_array_get(notes, (size_t)k), "latency_ms"));
        assert_true(ms == lat[k] * 1000.0 / RATE);
    }
    json_t *sum = json_object_get(doc, "latency");
    assert_true(jint(doc, "latency.notes") == 3 && jint(doc, "latency.found") == 3);
    assert_true(json_real_value(json_object_get(sum, "median_frames")) == 64.0);
    assert_true(jint(doc, "latency.min_frames") == 37 && jint(doc, "latency.max_frames") == 120);

    /* The artifacts: file played -> MIDI sent -> audio captured. */
    const char *audio = json_string_value(json_object_get(doc, "audio_artifact"));
    const char *sent = json_string_value(json_object_get(doc, "midi_sent_artifact"));
    assert_non_null(audio);
    assert_non_null(sent);
    reel_artifact aa, as, af;
    memset(&aa, 0, sizeof aa);
    memset(&as, 0, sizeof as);
    memset(&af, 0, sizeof af);
    assert_int_equal(reel_db_artifact_get(reel_store_db(W.st), audio, &aa, &err), REEL_OK);
    assert_int_equal(reel_db_artifact_get(reel_store_db(W.st), sent, &as, &err), REEL_OK);
    assert_string_equal(aa.kind, "slice");
    assert_string_equal(aa.parent, as.id);
    assert_true(aa.from_frame == (int64_t)from && aa.to_frame == (int64_t)to);
    assert_string_equal(as.kind, "midi-sent");
    assert_string_equal(as.mime, "audio/midi");
    assert_true(as.from_frame == (int64_t)from && as.to_frame == (int64_t)to);
    assert_int_equal(reel_db_artifact_get(reel_store_db(W.st), as.parent, &af, &err), REEL_OK);
    assert_string_equal(af.kind, "midi-file");
    char want[REEL_HASH_HEX + 1], hex[REEL_HASH_HEX + 1];
    tsu_b3sum_file(x->mid, want);
    tsu_hex(&af.content, hex);
    assert_string_equal(hex, want); /* the file played, as it was */
    const char *src_hash = json_string_value(json_object_get(json_object_get(doc, "midi_source"),
                                                             "content_hash"));
    assert_string_equal(src_hash + 7, want);
    assert_int_equal(tsu_count_artifacts(W.st, "request-response"), 2);
    assert_int_equal(tsu_count_artifacts(W.st, "session:ses-0011223344"), 2);
    assert_int_equal(tsu_count_artifacts(W.st, "take:7"), 2);
    assert_int_equal(tsu_count_artifacts(W.st, "type:midi-sent"), 1);
    /* The audio's meta carries the whole measurement. */
    json_t *meta = json_loads(aa.meta_json, 0, NULL);
    assert_true(jint(json_object_get(meta, "request"), "latency.max_frames") == 120);
    json_decref(meta);

    /* The MIDI sent, by midicsv: time 0 is the window's first frame. */
    char path[PATH_MAX], cmd[PATH_MAX + 32];
    reel_cas_content_path(reel_store_cas(W.st), &as.content, path);
    snprintf(cmd, sizeof cmd, "midicsv '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256];
    int k = 0;
    bool end = false;
    while (fgets(line, sizeof line, p)) {
        int track, ch, note, vel;
        long tick;
        char kind[32];
        if (sscanf(line, "%d, %ld, %31[A-Za-z_], %d, %d, %d", &track, &tick, kind, &ch, &note,
                   &vel) == 6 &&
            (strcmp(kind, "Note_on_c") == 0 || strcmp(kind, "Note_off_c") == 0)) {
            assert_true(k < 6);
            assert_true(tick == (long)(s0 + REL[k] - from));
            assert_int_equal(note, NOTE[k / 2]);
            k++;
        } else if (sscanf(line, "%d, %ld, %31[A-Za-z_]", &track, &tick, kind) == 3 &&
                   strcmp(kind, "End_track") == 0) {
            assert_true(tick == (long)(to - from));
            end = true;
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(k, 6);
    assert_true(end);

    /* The audio: the window, sample for sample. */
    reel_cas_content_path(reel_store_cas(W.st), &aa.content, path);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    assert_true(info.frames == (sf_count_t)(to - from));
    float *got = malloc((size_t)(to - from) * FB);
    assert_non_null(got);
    assert_true(sf_readf_float(sf, got, info.frames) == info.frames);
    sf_close(sf);
    for (uint64_t f = from; f < to; f++) {
        float w = sample_at(f);
        if (got[(f - from) * CH] != w || got[(f - from) * CH + 1] != w)
            fail_msg("frame %llu: %g, want %g", (unsigned long long)f, got[(f - from) * CH], w);
    }
    free(got);
    reel_artifact_clear(&aa);
    reel_artifact_clear(&as);
    reel_artifact_clear(&af);
    json_decref(doc);

    /* The same file again: the midi-file artifact is not stored twice. */
    int files = tsu_count_artifacts(W.st, "type:midi-file");
    assert_int_equal(files, 1);
    W.n_clicks = W.notes = W.n_sent = 0;
    o.session = NULL;
    if (test_request_run(W.st, &o, &doc, &err) != REEL_OK)
        fail_msg("second request: %s", err.msg);
    json_decref(doc);
    assert_int_equal(tsu_count_artifacts(W.st, "type:midi-file"), 1);
    assert_int_equal(tsu_count_artifacts(W.st, "request-response"), 4);
    world_end();
}

/* ---- refusals ----------------------------------------------------------------------- */

static void expect(reel_store *st, const reel_request_opts *o, int code, const char *says)
{
    json_t *doc = NULL;
    reel_error err = {0};
    int rc = test_request_run(st, o, &doc, &err);
    if (rc != code)
        fail_msg("want %d, got %d (%s)", code, rc, err.msg);
    assert_null(doc);
    if (!strstr(err.msg, says))
        fail_msg("'%s' lacks '%s'", err.msg, says);
}

static void test_refusals(void **state)
{
    fx *x = *state;
    world_begin(x, "jack:synth:out");
    reel_request_opts o = opts(x);
    o.midi = NULL;
    expect(W.st, &o, REEL_EINVAL, "a request needs --midi");
    o = opts(x);
    o.out_port = "";
    expect(W.st, &o, REEL_EINVAL, "a request needs --out PORT");
    o = opts(x);
    o.stream_uri = NULL;
    expect(W.st, &o, REEL_EINVAL, "a request needs --audio STREAM");
    o = opts(x);
    o.tail_ns = 61000000000LL;
    expect(W.st, &o, REEL_EINVAL, "tail at most 60 s");
    o = opts(x);
    o.threshold_db = 3;
    expect(W.st, &o, REEL_EINVAL, "threshold 3 dB");
    o = opts(x);
    o.session = "two words";
    expect(W.st, &o, REEL_EINVAL, "printable ASCII only");
    o = opts(x);
    o.stream_uri = "stream://jack/none";
    expect(W.st, &o, REEL_ENOENT, "start `reel serve --source jack:PORT --stream stream://jack/none`");
    o = opts(x);
    o.midi = "/no/such/file.mid";
    expect(W.st, &o, REEL_ENOENT, "--midi '/no/such/file.mid': no such file or artifact");
    char bad[PATH_MAX], empty[PATH_MAX];
    snprintf(bad, sizeof bad, "%s/bad.mid", x->dir);
    FILE *f = fopen(bad, "wb");
    fputs("not a midi file", f);
    fclose(f);
    o.midi = bad;
    expect(W.st, &o, REEL_ECORRUPT, "is not a usable MIDI file");
    snprintf(empty, sizeof empty, "%s/empty.mid", x->dir);
    write_smf(empty, false);
    o.midi = empty;
    expect(W.st, &o, REEL_EINVAL, "has no MIDI events to send");
    o = opts(x);
    o.out_port = "nowhere:in";
    expect(W.st, &o, REEL_ENOENT, "no JACK port 'nowhere:in'");
    W.no_server = true;
    expect(W.st, &o, REEL_EDEVICE, "no JACK server");
    W.no_server = false;
    /* Nothing but imported MIDI files was stored. */
    assert_int_equal(tsu_count_artifacts(W.st, "request-response"), 0);
    world_end();

    /* A stream that does not record from JACK, and one that stopped. */
    world_begin(x, "tone:440");
    o = opts(x);
    expect(W.st, &o, REEL_ESTATE, "records 'tone:440', not JACK");
    world_end();
    world_begin(x, "jack:synth:out");
    stop_recording();
    expect(W.st, &o, REEL_ESTATE, "is not being recorded");
    world_end();
}

/* The stream stops before the response has been recorded: nothing is
 * stored for a window it never held. */
static void test_stream_stops_mid_request(void **state)
{
    fx *x = *state;
    world_begin(x, "jack:synth:out");
    static const int64_t lat[3] = {10, 10, 10};
    W.lat = lat;
    W.n_lat = 3;
    W.stop_at = 10000 + 4800 + FILE_END; /* before the tail is over */
    reel_request_opts o = opts(x);
    expect(W.st, &o, REEL_ESTATE, "before the response ended");
    assert_int_equal(tsu_count_artifacts(W.st, "request-response"), 0);
    assert_int_equal(tsu_count_artifacts(W.st, "type:slice"), 0);
    world_end();
}

/* JACK's clock jumps against the stream mid-request (a server that went
 * away and came back): the mapping is void, nothing is stored. */
static void test_clock_jump(void **state)
{
    fx *x = *state;
    world_begin(x, "jack:synth:out");
    static const int64_t lat[3] = {10, 10, 10};
    W.lat = lat;
    W.n_lat = 3;
    W.jump_at = 10000 + 4800 + 12000;
    W.jump = 2 * RATE;
    reel_request_opts o = opts(x);
    expect(W.st, &o, REEL_ESTATE, "lost JACK's frame clock during the request");
    assert_int_equal(tsu_count_artifacts(W.st, "request-response"), 0);
    world_end();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_request_round_trip),
        T(test_refusals),
        T(test_stream_stops_mid_request),
        T(test_clock_jump),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
