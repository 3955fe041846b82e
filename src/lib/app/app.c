/*
 * app.c — the daemon's assembly (see app.h).
 *
 * Threads: open, run and close run on the caller's thread, which is the
 * control thread (it calls reel_service_poll); the engine has a thread of
 * its own; HTTP and OSC have theirs and reach the control plane only
 * through the service's queue.
 */
#include "app/app.h"

#include "capture/engine.h"
#include "capture/recovery.h"
#include "model/moments/moments.h"
#include "service/daemon_file.h"
#include "service/service.h"
#include "store/store_lock.h"
#include "surface/osc/osc_server.h"
#include "time/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_TIMEOUT_NS 5000000000LL
#define IN_PROCESS_ENGINE "inproc://reel-engine"

typedef struct app_stream {
    reel_stream_def def;
    const char *source;
    reel_trigger_opts trig;
    bool timed;          /* record: stopped `seconds` after its first frame (JACK) */
    bool stop_requested; /* record: its time is up, StreamStop sent */
    bool announced;      /* record: its "recording" line was said */
} app_stream;

typedef struct engine_thread {
    reel_engine *eng;
    volatile sig_atomic_t stop;
    pthread_t th;
    bool running;
    int rc;
    reel_error err;
} engine_thread;

struct reel_app {
    reel_app_opts o;
    app_stream streams[REEL_APP_SOURCES_MAX];
    int n;
    char why[512]; /* why the default source is what it is */
    reel_store *st, *http_st;
    reel_service *svc;
    reel_http *http;
    reel_osc *osc;
    reel_control *ctl;
    char publish[512];
    engine_thread et;
    bool daemon_file;
    bool ran;
    bool play_done; /* --play: transport_play was called */
};

static void line(reel_app *a, reel_app_line_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(reel_app *a, reel_app_line_kind kind, const char *fmt, ...)
{
    if (!a->o.on_line)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    a->o.on_line(a->o.ud, kind, buf);
}

/* ---- events for the service's subscribers --------------------------------- */

/* Engine events for /api/events and the other subscribers. */
static void service_event(void *ud, const reel_msg_event *ev)
{
    reel_app *a = ud;
    json_t *j = NULL;
    const char *name = "error";
    switch (ev->kind) {
    case REEL_EVT_HEAD_POSITION:
        name = "head";
        j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "stream", ev->stream_uri, "frame",
                      (json_int_t)ev->head.sample_position, "wall_ns",
                      (json_int_t)ev->head.wall_clock_ns, "xruns", (json_int_t)ev->head.xruns,
                      "overrun_frames", (json_int_t)ev->head.overrun_frames, "events",
                      (json_int_t)ev->head.events, "gaps", (json_int_t)ev->head.gaps);
        break;
    case REEL_EVT_CHUNK_FULL:
        name = "seal";
        j = json_pack("{s:s, s:I, s:I, s:I, s:b}", "stream", ev->stream_uri, "bytes",
                      (json_int_t)ev->chunk_full.bytes_written, "first_frame",
                      (json_int_t)ev->chunk_full.first_frame, "end_frame",
                      (json_int_t)ev->chunk_full.end_frame, "final", ev->chunk_full.final);
        break;
    case REEL_EVT_STREAM_ERROR:
        j = json_pack("{s:s, s:s, s:b}", "stream", ev->stream_uri, "message",
                      ev->stream_error.message, "recoverable", ev->stream_error.recoverable);
        break;
    }
    if (j)
        reel_service_publish(a->svc, name, j);
    json_decref(j);
}

/* A moment the control plane stored: a "moment" event. */
static void service_moment(void *ud, const reel_db_moment *m)
{
    reel_app *a = ud;
    json_t *j = reel_moment_json(m);
    if (j)
        reel_service_publish(a->svc, "moment", j);
    json_decref(j);
}

/* A stream's meters from the recorder's watch: a "levels" event (the web
 * page's meters), peak and RMS per channel over the last head interval. */
static void service_levels(void *ud, const char *uri, uint32_t rate, const reel_levels *lv)
{
    reel_app *a = ud;
    json_t *peak = json_array(), *rms = json_array();
    for (uint32_t c = 0; c < lv->channels; c++) {
        json_array_append_new(peak, json_real(lv->peak[c]));
        json_array_append_new(rms, json_real(lv->rms[c]));
    }
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "stream", uri, "frame",
                          (json_int_t)lv->end_frame, "frames", (json_int_t)lv->frames,
                          "sample_rate", (json_int_t)rate, "peak", peak, "rms", rms);
    if (j)
        reel_service_publish(a->svc, "levels", j);
    json_decref(j);
}

/* ---- the streams ----------------------------------------------------------- */

static const char *mode_name(const reel_app *a)
{
    return a->o.mode == REEL_APP_RECORD ? "record" : "serve";
}

/* The options a source is defined with: its own, and the app's. */
static reel_capture_opts source_capture(const reel_app *a, const reel_app_source *s)
{
    reel_capture_opts co = s->co;
    co.jack_server = a->o.jack_server;
    co.source.fast = a->o.fast;
    return co;
}

/* No --source: JACK if a server runs, else the default ALSA capture
 * device, else the built-in tone. */
static int pick_default(reel_app *a, reel_error *err)
{
    static const char *const order[] = {"jack", "alsa", "tone"};
    char notes[512] = "";
    app_stream *s = &a->streams[0];
    for (size_t i = 0; i < 3; i++) {
        memset(&s->def, 0, sizeof s->def);
        if (a->o.defaults.uri)
            snprintf(s->def.uri, sizeof s->def.uri, "%s", a->o.defaults.uri);
        reel_capture_opts co = source_capture(a, &a->o.defaults);
        if (i == 0) /* jack takes the server's rate and ports */
            co.source.rate = co.source.channels = 0;
        reel_error e;
        reel_error_clear(&e);
        if (reel_capture_define(order[i], &co, &s->def, &e) == 0) {
            s->source = order[i];
            s->trig = a->o.defaults.trig;
            a->n = 1;
            snprintf(a->why, sizeof a->why, "%s", notes);
            return REEL_OK;
        }
        size_t used = strlen(notes);
        snprintf(notes + used, sizeof notes - used, "%s%s: %s", used ? "; " : "", order[i],
                 e.msg);
    }
    return reel_error_set(err, REEL_EDEVICE, "no source to record (%s)", notes);
}

/* Another of the app's streams than `self` records into `uri`. */
static bool uri_taken(const reel_app *a, const char *uri, int self)
{
    for (int i = 0; i < a->n; i++)
        if (i != self && a->streams[i].def.uri[0] && strcmp(a->streams[i].def.uri, uri) == 0)
            return true;
    return false;
}

/* Every --source into a definition. Given URIs first, so that a default
 * is numbered past them: two `--source jack:...` record stream://jack/main
 * and stream://jack/main2. */
static int define_streams(reel_app *a, reel_error *err)
{
    const reel_app_opts *o = &a->o;
    if (o->n_sources == 0)
        return pick_default(a, err);
    a->n = o->n_sources;
    for (int i = 0; i < a->n; i++) {
        app_stream *s = &a->streams[i];
        memset(s, 0, sizeof *s);
        s->source = o->sources[i].spec;
        s->trig = o->sources[i].trig;
        const char *uri = o->sources[i].uri;
        if (!uri)
            continue;
        if (strlen(uri) >= sizeof s->def.uri)
            return reel_error_set(err, REEL_EINVAL, "stream URI too long: %.100s...", uri);
        if (uri_taken(a, uri, -1))
            return reel_error_set(err, REEL_EINVAL,
                                  "two sources record into %s; give each its own --stream", uri);
        snprintf(s->def.uri, sizeof s->def.uri, "%s", uri);
    }
    for (int i = 0; i < a->n; i++) {
        app_stream *s = &a->streams[i];
        if (s->def.uri[0])
            continue;
        char base[REEL_URI_MAX - 8], cand[REEL_URI_MAX];
        reel_capture_default_uri(s->source, base, sizeof base);
        snprintf(cand, sizeof cand, "%s", base);
        for (int k = 2; uri_taken(a, cand, i); k++) /* at most n tries */
            snprintf(cand, sizeof cand, "%s%d", base, k);
        snprintf(s->def.uri, sizeof s->def.uri, "%s", cand);
    }
    for (int i = 0; i < a->n; i++) {
        app_stream *s = &a->streams[i];
        reel_capture_opts co = source_capture(a, &o->sources[i]);
        int rc = reel_capture_define(s->source, &co, &s->def, err);
        if (rc)
            return rc;
        s->timed = o->mode == REEL_APP_RECORD && o->seconds > 0 &&
                   reel_capture_is_jack(s->source);
    }
    return REEL_OK;
}

/* "URI from SPEC (48000 Hz, 2 ch, f32)". */
static void describe(const app_stream *s, char *out, size_t len)
{
    const reel_stream_def *d = &s->def;
    if (d->kind == REEL_STREAM_MIDI)
        snprintf(out, len, "recording %s from %s (MIDI, %u Hz clock)", d->uri, s->source,
                 d->sample_rate);
    else
        snprintf(out, len, "recording %s from %s (%u Hz, %u ch, %s)", d->uri, s->source,
                 d->sample_rate, d->channels, reel_sample_format_name(d->sample_format));
}

static void announce(reel_app *a, int i)
{
    app_stream *s = &a->streams[i];
    char what[1024], keep[128] = "";
    describe(s, what, sizeof what);
    reel_retention r = reel_retention_rules_for(&a->o.retain, s->def.uri);
    if (reel_retention_is_set(&r)) {
        char kb[96];
        reel_retention_format(&r, kb, sizeof kb);
        snprintf(keep, sizeof keep, "; keeping %s", kb);
    }
    line(a, REEL_APP_LINE_RECORDING, "%s%s%s%s", what, i == 0 && a->why[0] ? "; not " : "",
         i == 0 ? a->why : "", keep);
    s->announced = true;
}

/* ---- open ------------------------------------------------------------------ */

static void *engine_main(void *arg)
{
    engine_thread *t = arg;
    t->rc = reel_engine_run(t->eng, &t->stop, &t->err);
    return NULL;
}

/* The OSC server. An explicit --osc PORT must bind; the default port
 * being taken (another reel, another program) only costs OSC. */
static int open_osc(reel_app *a, char *note, size_t cap, reel_error *err)
{
    reel_osc_opts oo = {.port = a->o.osc_port >= 0 ? a->o.osc_port : REEL_OSC_DEFAULT_PORT,
                        .service = a->svc};
    reel_error e;
    reel_error_clear(&e);
    if (reel_osc_open(&a->osc, &oo, &e) != 0) {
        a->osc = NULL;
        if (a->o.osc_port >= 0) {
            *err = e;
            return e.code ? e.code : REEL_EIO;
        }
        snprintf(note, cap, "%s; OSC is off (choose a port with --osc PORT)", e.msg);
        return REEL_OK;
    }
    snprintf(note, cap, "OSC on udp://127.0.0.1:%d", reel_osc_port(a->osc));
    return REEL_OK;
}

/* The recovery scan before any recorder starts (recovery.h); its line, or
 * "" when record has nothing to say. */
static int recover(reel_app *a, char *out, size_t len, reel_error *err)
{
    reel_recovery_opts ro = {.grace_ns = a->o.grace_ns < 0 ? REEL_RECOVERY_GRACE_DEFAULT_NS
                                                           : a->o.grace_ns};
    reel_recovery_report rep;
    out[0] = '\0';
    int rc = reel_recovery_scan(a->st, &ro, &rep, err);
    if (rc)
        return rc;
    bool did = rep.streams_recovered || rep.unknown_removed || rep.tmp_removed ||
               rep.streams_failed;
    if (a->o.mode == REEL_APP_SERVE || did)
        reel_recovery_summary(&rep, &ro, out, len);
    return REEL_OK;
}

int reel_app_open(reel_app **out, const reel_app_opts *o, reel_error *err)
{
    reel_app *a = calloc(1, sizeof *a);
    if (!a)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    a->o = *o;
    int rc;
    if ((rc = define_streams(a, err)))
        goto fail;
    for (size_t r = 0; r < o->retain.n_rules; r++) {
        bool known = false;
        for (int i = 0; i < a->n; i++)
            known |= strcmp(a->streams[i].def.uri, o->retain.rules[r].uri) == 0;
        if (!known) {
            rc = reel_error_set(err, REEL_EINVAL, "--retain names %s, which this %s does not "
                                "record", o->retain.rules[r].uri, mode_name(a));
            goto fail;
        }
    }
    if ((rc = reel_store_open(&a->st, o->store, false, err)))
        goto fail;
    /* Before anything is said or recovered: a stream another process
     * records is refused, in one line. */
    for (int i = 0; i < a->n; i++) {
        int fd;
        if ((rc = reel_lock_acquire_stream(a->st, a->streams[i].def.uri, &fd, err)))
            goto fail;
        reel_lock_release(fd);
    }
    char recovered[1024];
    if ((rc = recover(a, recovered, sizeof recovered, err)))
        goto fail;
    const char *root = reel_store_root(a->st);
    if (o->mode == REEL_APP_SERVE) {
        if (o->publish)
            snprintf(a->publish, sizeof a->publish, "%s", o->publish);
        else if ((size_t)snprintf(a->publish, sizeof a->publish, "ipc://%s/events.sock", root) >=
                 100)
            a->publish[0] = '\0'; /* an ipc path must fit a socket address */
    }
    if ((rc = reel_service_open(&a->svc, root, err)))
        goto fail;
    bool surfaces = o->mode == REEL_APP_SERVE;
    if (surfaces && !o->no_http) {
        reel_http_opts ho = {.listen = o->listen, .token_file = o->token_file,
                             .service = a->svc, .web = o->web, .n_web = o->n_web};
        /* The server's own store: it locks only its own database use. */
        if ((rc = reel_store_open(&a->http_st, root, false, err)) ||
            (rc = reel_http_open(&a->http, a->http_st, &ho, err)))
            goto fail;
    }
    char osc_note[REEL_ERROR_MSG_MAX + 64] = "";
    if (surfaces && !o->no_osc && (rc = open_osc(a, osc_note, sizeof osc_note, err)))
        goto fail;
    bool in_process = !(o->mode == REEL_APP_SERVE && o->engine);
    const char *engine = in_process ? IN_PROCESS_ENGINE : o->engine;
    reel_control_opts co = {.engine = engine, .publish = a->publish[0] ? a->publish : NULL,
                            .on_event = service_event, /* its lines: core/log.h */
                            .on_moment = service_moment, .on_levels = service_levels, .ud = a,
                            .retention = &a->o.retain,
                            .quiet = o->mode == REEL_APP_RECORD};
    if ((rc = reel_control_open(&a->ctl, a->st, &co, err)))
        goto fail;
    reel_service_attach_control(a->svc, a->ctl, a->st);
    for (int i = 0; i < a->n; i++)
        if ((rc = reel_control_add_stream(a->ctl, &a->streams[i].def, err)) ||
            (rc = reel_control_set_trigger(a->ctl, a->streams[i].def.uri, &a->streams[i].trig,
                                           err)))
            goto fail;
    if (in_process) {
        reel_engine_opts eo = {.control = engine, .zmq_context = reel_control_zmq_context(a->ctl)};
        eo.capture.jack_server = o->jack_server;
        eo.capture.source.fast = o->fast;
        /* record: sources with a clock of their own stop after exactly
         * `seconds` of frames. */
        if (o->mode == REEL_APP_RECORD)
            eo.capture.source.seconds = o->seconds;
        if ((rc = reel_engine_open(&a->et.eng, &eo, err)))
            goto fail;
        if (pthread_create(&a->et.th, NULL, engine_main, &a->et) != 0) {
            rc = reel_error_set(err, REEL_EIO, "cannot start the engine thread");
            goto fail;
        }
        a->et.running = true;
    }
    if (o->mode == REEL_APP_RECORD) {
        if (recovered[0])
            line(a, REEL_APP_LINE_INFO, "recovery: %s", recovered);
        *out = a;
        return REEL_OK;
    }
    for (int i = 0; i < a->n; i++)
        announce(a, i);
    line(a, REEL_APP_LINE_INFO, "recovery: %s", recovered);
    if (a->http) {
        line(a, REEL_APP_LINE_INFO, "HTTP on %s", reel_http_url(a->http));
        reel_error e;
        reel_error_clear(&e);
        if (reel_daemon_file_write(root, reel_http_url(a->http), o->token_file, &e))
            line(a, REEL_APP_LINE_WARNING, "%s (other reel commands will not find this one)",
                 e.msg);
        else
            a->daemon_file = true;
    }
    if (osc_note[0])
        line(a, a->osc ? REEL_APP_LINE_INFO : REEL_APP_LINE_WARNING, "%s", osc_note);
    line(a, REEL_APP_LINE_INFO, "engine %s%s%s; store %s%s%s",
         o->engine ? "expected at " : "in this process", o->engine ? o->engine : "",
         o->engine ? " (start: reel engine --control ENDPOINT)" : "", root,
         co.publish ? "; events on " : "", co.publish ? co.publish : "");
    *out = a;
    return REEL_OK;
fail:
    reel_app_close(a);
    return rc;
}

/* ---- run ------------------------------------------------------------------- */

/* record: say what records once the engine has it. A JACK stream ends by
 * itself after exactly `seconds` of device frames (reel_cw_set_end); it is
 * stopped here only if the device stopped giving periods, 2 s of wall time
 * after that. */
#define STALLED_DEVICE_NS 2000000000LL

static void record_step(reel_app *a)
{
    int64_t now = reel_clock_mono_now();
    uint64_t done_s = 0;
    bool due = false;
    for (int i = 0; i < a->n; i++) {
        app_stream *s = &a->streams[i];
        reel_control_stream_info in;
        reel_error e;
        if (reel_control_stream_get(a->ctl, s->def.uri, &in, &e))
            continue;
        if (!s->announced && in.started)
            announce(a, i);
        if (in.recording && in.def.sample_rate && in.head.frames > in.start_frame &&
            (in.head.frames - in.start_frame) / in.def.sample_rate > done_s)
            done_s = (in.head.frames - in.start_frame) / in.def.sample_rate;
        if (!s->timed || s->stop_requested || !in.recording || !in.have_head ||
            in.head.mono_ns <= 0 || !in.def.sample_rate || in.head.clock_frame < in.start_frame)
            continue;
        /* The first frame's monotonic time, from the newest clock pairing. */
        int64_t first = in.head.mono_ns - (int64_t)((in.head.clock_frame - in.start_frame) *
                                                    1000000000ULL / in.def.sample_rate);
        due |= now - first >= (int64_t)(a->o.seconds * 1e9) + STALLED_DEVICE_NS;
    }
    /* Stopped together: they share the device, which stopped for all. */
    for (int i = 0; due && i < a->n; i++) {
        app_stream *s = &a->streams[i];
        reel_error e;
        if (!s->timed || s->stop_requested)
            continue;
        s->stop_requested = true;
        if (reel_control_request_stop(a->ctl, s->def.uri, &e) && e.code != REEL_ESTATE)
            line(a, REEL_APP_LINE_WARNING, "%s", e.msg);
    }
    if (a->o.on_progress)
        a->o.on_progress(a->o.ud, done_s);
}

/* The first failure of the app's streams, if any. */
static int stream_failure(reel_app *a, reel_error *err, bool *any_left)
{
    int rc = REEL_OK;
    *any_left = false;
    for (int i = 0; i < a->n; i++) {
        reel_control_stream_info in;
        reel_error e;
        if (reel_control_stream_get(a->ctl, a->streams[i].def.uri, &in, &e))
            continue;
        *any_left |= in.recording;
        if (in.error_code && rc == REEL_OK) {
            rc = in.error_code;
            reel_error_set(err, in.error_code, "%s", in.error);
        }
    }
    return rc;
}

/* serve --play P: once every stream records (so the engine's JACK client,
 * if any, carries the playback too), play the project's head. A failure is
 * a warning: the recording goes on. */
static void play_step(reel_app *a)
{
    for (int i = 0; i < a->n; i++) {
        reel_control_stream_info in;
        reel_error e;
        if (reel_control_stream_get(a->ctl, a->streams[i].def.uri, &in, &e) || !in.started)
            return;
    }
    a->play_done = true;
    json_t *args = json_pack("{s:s}", "project", a->o.play), *out = NULL;
    reel_error e;
    reel_error_clear(&e);
    if (!args || reel_service_call(a->svc, "transport_play", args, "serve", &out, &e))
        line(a, REEL_APP_LINE_WARNING, "--play %s: %s", a->o.play, e.msg);
    else
        line(a, REEL_APP_LINE_INFO, "playing %s (version %s) on %s", a->o.play,
             json_string_value(json_object_get(out, "version")),
             json_string_value(json_array_get(json_object_get(out, "output_ports"), 0)));
    json_decref(args);
    json_decref(out);
}

int reel_app_run(reel_app *a, volatile sig_atomic_t *stop, reel_error *err)
{
    int rc = REEL_OK;
    reel_error e;
    reel_error_clear(&e);
    a->ran = true;
    bool serve = a->o.mode == REEL_APP_SERVE;
    int64_t t_end = serve && a->o.seconds > 0
                        ? reel_clock_mono_now() + (int64_t)(a->o.seconds * 1e9)
                        : 0;
    bool all_ended = false;
    while (!*stop && (t_end == 0 || reel_clock_mono_now() < t_end)) {
        if ((rc = reel_service_poll(a->svc, 10, &e)))
            break;
        if (!serve)
            record_step(a);
        else if (a->o.play && !a->play_done)
            play_step(a);
        if (reel_control_active_streams(a->ctl) == 0) {
            if (serve)
                line(a, REEL_APP_LINE_INFO, "every stream ended");
            all_ended = true;
            break;
        }
    }
    if (a->daemon_file) {
        reel_daemon_file_remove(reel_store_root(a->st));
        a->daemon_file = false;
    }
    reel_service_detach_control(a->svc);
    reel_error se;
    reel_error_clear(&se);
    int src = reel_control_stop(a->ctl, STOP_TIMEOUT_NS, &se);
    if (src && !rc) {
        rc = src;
        e = se;
    }
    if (a->et.running) {
        a->et.stop = 1;
        pthread_join(a->et.th, NULL);
        a->et.running = false;
        if (a->et.rc && !rc) {
            rc = a->et.rc;
            e = a->et.err;
        }
    }
    for (int i = 0; i < a->n; i++) /* record: what recorded, even if briefly */
        if (!serve && !a->streams[i].announced) {
            reel_control_stream_info in;
            if (reel_control_stream_get(a->ctl, a->streams[i].def.uri, &in, &se) == 0 &&
                in.started)
                announce(a, i);
        }
    if (rc == REEL_OK) {
        bool left;
        reel_error fe;
        reel_error_clear(&fe);
        int frc = stream_failure(a, &fe, &left);
        /* serve goes on while anything records; record answers for each. */
        if (frc && (!serve || all_ended)) {
            rc = frc;
            e = fe;
        }
    }
    if (rc)
        *err = e;
    return rc;
}

size_t reel_app_n_streams(const reel_app *a)
{
    return (size_t)a->n;
}

int reel_app_stream_result_get(reel_app *a, size_t i, reel_app_stream_result *out,
                               reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (i >= (size_t)a->n)
        return reel_error_set(err, REEL_ENOENT, "no stream %zu", i);
    app_stream *s = &a->streams[i];
    reel_control_stream_info in;
    int rc = reel_control_stream_get(a->ctl, s->def.uri, &in, err);
    if (rc)
        return rc;
    out->def = in.def;
    out->source = s->source;
    out->have_final = in.have_final;
    out->final = in.final;
    out->gaps = in.gaps;
    out->dropped_frames = a->et.eng ? reel_engine_dropped_frames(a->et.eng, s->def.uri) : 0;
    out->error_code = in.error_code;
    snprintf(out->error, sizeof out->error, "%s", in.error);
    return REEL_OK;
}

void reel_app_close(reel_app *a)
{
    if (!a)
        return;
    if (a->daemon_file)
        reel_daemon_file_remove(reel_store_root(a->st));
    if (a->svc)
        reel_service_detach_control(a->svc);
    if (a->ctl && !a->ran) {
        reel_error e;
        reel_control_stop(a->ctl, STOP_TIMEOUT_NS, &e);
    }
    if (a->et.running) {
        a->et.stop = 1;
        pthread_join(a->et.th, NULL);
    }
    reel_engine_close(a->et.eng);
    reel_control_close(a->ctl);
    reel_osc_close(a->osc); /* after detach: a call it waits on has failed by now */
    reel_http_close(a->http);
    reel_service_close(a->svc);
    if (a->http_st)
        reel_store_close(a->http_st);
    if (a->st)
        reel_store_close(a->st);
    free(a);
}
