/*
 * cmd_serve.c — `reel serve` (the control plane, with an engine in the same
 * process unless --engine names an endpoint) and `reel engine` (the engine
 * alone, for a control plane elsewhere).
 *
 * serve's first line on stderr says what it records; SIGINT/SIGTERM stop
 * every stream and seal it before exiting.
 */
#include "cli.h"

#include "io/capture.h"
#include "time/clock.h"
#include "capture/control.h"
#include "service/daemon_file.h"
#include "capture/engine.h"
#include "surface/http/http_server.h"
#include "surface/osc/osc_server.h"
#include "service/service.h"
#include "model/moments/moments.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVE_SOURCES_MAX 16

static volatile sig_atomic_t g_serve_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    g_serve_stop = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Options shared by serve and engine. */
typedef struct serve_args {
    const char *sources[SERVE_SOURCES_MAX], *uris[SERVE_SOURCES_MAX];
    int n_sources, n_uris;
    const char *engine, *publish, *control;
    const char *listen, *token_file;
    bool no_http;
    const char *osc; /* --osc [PORT]; NULL: the default port, where a clash only warns */
    bool no_osc;
    double seconds;
    int64_t grace_ns; /* -1: the default */
    reel_capture_opts co;
    reel_retention_rules retain; /* --retain SPEC | URI=SPEC (retention.h) */
    /* Trigger options before any --source apply to every source; after
     * one, to that source only (each --source starts from the former). */
    reel_trigger_opts trig_all, trig[SERVE_SOURCES_MAX];
} serve_args;

static int parse_args(cli *c, serve_args *a, bool engine_cmd)
{
    int rc = 0;
    const char *v;
    reel_trigger_opts_default(&a->trig_all);
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *arg = c->argv[i];
        if (!engine_cmd && opt_value(c, &i, "--source", &v, &rc)) {
            if (!rc && a->n_sources == SERVE_SOURCES_MAX)
                rc = fail(REEL_EINVAL, "too many --source (at most %d)", SERVE_SOURCES_MAX);
            else if (!rc)
                a->trig[a->n_sources] = a->trig_all;
            if (!rc)
                a->sources[a->n_sources++] = v;
        } else if (!engine_cmd &&
                   trigger_opt(c, &i, a->n_sources ? &a->trig[a->n_sources - 1] : &a->trig_all,
                               &rc)) {
        } else if (!engine_cmd && opt_value(c, &i, "--stream", &v, &rc)) {
            if (!rc && a->n_uris == SERVE_SOURCES_MAX)
                rc = fail(REEL_EINVAL, "too many --stream (at most %d)", SERVE_SOURCES_MAX);
            else if (!rc)
                a->uris[a->n_uris++] = v;
        } else if (!engine_cmd && opt_value(c, &i, "--engine", &a->engine, &rc)) {
        } else if (!engine_cmd && opt_value(c, &i, "--publish", &a->publish, &rc)) {
        } else if (!engine_cmd && opt_value(c, &i, "--listen", &a->listen, &rc)) {
        } else if (!engine_cmd && opt_value(c, &i, "--token-file", &a->token_file, &rc)) {
        } else if (!engine_cmd && opt_value(c, &i, "--retain", &v, &rc)) {
            reel_error e;
            if (!rc && reel_retention_rules_add(&a->retain, v, &e))
                rc = fail_err(&e);
        } else if (!engine_cmd && opt_value(c, &i, "--staging-grace", &v, &rc)) {
            if (!rc)
                rc = parse_staging_grace(v, &a->grace_ns);
        } else if (!engine_cmd && strcmp(arg, "--no-http") == 0) {
            a->no_http = true;
        } else if (!engine_cmd && opt_value(c, &i, "--osc", &a->osc, &rc)) {
        } else if (!engine_cmd && strcmp(arg, "--no-osc") == 0) {
            a->no_osc = true;
        } else if (engine_cmd && opt_value(c, &i, "--control", &a->control, &rc)) {
        } else if (opt_value(c, &i, "--jack-server", &a->co.jack_server, &rc)) {
        } else if (opt_value(c, &i, "--seconds", &v, &rc)) {
            char *end;
            if (!rc && (a->seconds = strtod(v, &end), *end || !(a->seconds > 0) ||
                        !isfinite(a->seconds)))
                rc = fail(REEL_EINVAL, "bad --seconds '%s' (want a positive number)", v);
        } else if (!engine_cmd && opt_value(c, &i, "--chunk-bytes", &v, &rc)) {
            if (!rc)
                rc = parse_u64(v, "--chunk-bytes", &a->co.chunk_bytes);
        } else if (!engine_cmd && opt_value(c, &i, "--chunk-frames", &v, &rc)) {
            if (!rc)
                rc = parse_u64(v, "--chunk-frames", &a->co.chunk_frames);
        } else if (!engine_cmd && opt_value(c, &i, "--rate", &v, &rc)) {
            uint64_t x = 0;
            if (!rc && !(rc = parse_u64(v, "--rate", &x)) && (x == 0 || x > 1536000))
                rc = fail(REEL_EINVAL, "bad --rate '%s'", v);
            a->co.source.rate = (uint32_t)x;
        } else if (!engine_cmd && opt_value(c, &i, "--channels", &v, &rc)) {
            uint64_t x = 0;
            if (!rc && !(rc = parse_u64(v, "--channels", &x)) &&
                (x == 0 || x > REEL_MAX_CHANNELS))
                rc = fail(REEL_EINVAL, "bad --channels '%s' (1 to %d)", v, REEL_MAX_CHANNELS);
            a->co.source.channels = (uint32_t)x;
        } else if (!engine_cmd && opt_value(c, &i, "--sample-format", &v, &rc)) {
            reel_error e;
            if (!rc && reel_sample_format_parse(v, &a->co.source.sample_format, &e))
                rc = fail_err(&e);
            a->co.source.has_sample_format = true;
        } else if (!rc) {
            rc = fail(REEL_EINVAL, "%s: unknown argument '%s'", engine_cmd ? "engine" : "serve",
                      arg);
        }
    }
    if (a->n_sources == 0) /* the default source */
        a->trig[0] = a->trig_all;
    if (!rc && a->n_uris > (a->n_sources ? a->n_sources : 1))
        rc = fail(REEL_EINVAL, "more --stream than --source");
    return rc;
}

/* No --source: JACK if a server runs, else the default ALSA capture
 * device, else the built-in tone. */
static int pick_default(serve_args *a, reel_stream_def *def, char *why, size_t whylen)
{
    reel_error e;
    reel_error_clear(&e);
    static const char *const order[] = {"jack", "alsa", "tone"};
    char notes[512] = "";
    for (size_t i = 0; i < 3; i++) {
        memset(def, 0, sizeof *def);
        if (a->n_uris)
            snprintf(def->uri, sizeof def->uri, "%s", a->uris[0]);
        reel_capture_opts co = a->co;
        if (i == 0) /* jack takes the server's rate and ports */
            co.source.rate = co.source.channels = 0;
        if (reel_capture_define(order[i], &co, def, &e) == 0) {
            a->sources[0] = order[i];
            a->n_sources = 1;
            snprintf(why, whylen, "%s", notes);
            return 0;
        }
        size_t used = strlen(notes);
        snprintf(notes + used, sizeof notes - used, "%s%s: %s", used ? "; " : "", order[i],
                 e.msg);
    }
    return fail(REEL_EDEVICE, "no source to record (%s)", notes);
}

/* Engine events for the service's subscribers (the web page and other
 * /api/events clients among them). */
static void service_event(void *ud, const reel_msg_event *ev)
{
    reel_service *svc = ud;
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
        reel_service_publish(svc, name, j);
    json_decref(j);
}

/* A moment the control plane stored: a "moment" event. */
static void service_moment(void *ud, const reel_db_moment *m)
{
    json_t *j = reel_moment_json(m);
    if (j)
        reel_service_publish(ud, "moment", j);
    json_decref(j);
}

/* The OSC server. An explicit --osc PORT must bind; the default port
 * being taken (another reel, another program) only costs OSC. */
static int open_osc(const serve_args *a, reel_service *svc, reel_osc **osc, char *note,
                    size_t cap)
{
    reel_osc_opts oo = {.port = REEL_OSC_DEFAULT_PORT, .service = svc};
    if (a->osc) {
        char *end;
        long p = strtol(a->osc, &end, 10);
        if (*end || end == a->osc || p < 0 || p > 65535)
            return fail(REEL_EINVAL, "bad --osc '%s' (want a UDP port, 0 for any free one)",
                        a->osc);
        oo.port = (int)p;
    }
    reel_error e;
    reel_error_clear(&e);
    if (reel_osc_open(osc, &oo, &e) != 0) {
        if (a->osc)
            return fail_err(&e);
        snprintf(note, cap, "%s; OSC is off (choose a port with --osc PORT)", e.msg);
        return 0;
    }
    snprintf(note, cap, "OSC on udp://127.0.0.1:%d", reel_osc_port(*osc));
    return 0;
}

typedef struct engine_thread {
    reel_engine *eng;
    volatile sig_atomic_t stop;
    pthread_t th;
    int rc;
    reel_error err;
} engine_thread;

static void *engine_main(void *arg)
{
    engine_thread *t = arg;
    t->rc = reel_engine_run(t->eng, &t->stop, &t->err);
    return NULL;
}

static int serve_run(cli *c, serve_args *args);

int cmd_serve(cli *c)
{
    serve_args a;
    memset(&a, 0, sizeof a);
    a.grace_ns = -1;
    int rc = parse_args(c, &a, false);
    if (rc) {
        reel_retention_rules_free(&a.retain);
        return rc;
    }
    rc = serve_run(c, &a);
    reel_retention_rules_free(&a.retain);
    return rc;
}

static int serve_run(cli *c, serve_args *args)
{
    serve_args a = *args;
    int rc;
    reel_stream_def defs[SERVE_SOURCES_MAX];
    memset(defs, 0, sizeof defs);
    char why[512] = "";
    reel_error e;
    reel_error_clear(&e);
    int n = a.n_sources;
    if (n == 0) {
        if ((rc = pick_default(&a, &defs[0], why, sizeof why)))
            return rc;
        n = 1;
    } else {
        for (int i = 0; i < n; i++) {
            if (i < a.n_uris)
                snprintf(defs[i].uri, sizeof defs[i].uri, "%s", a.uris[i]);
            if (reel_capture_define(a.sources[i], &a.co, &defs[i], &e))
                return fail_err(&e);
        }
    }
    for (size_t r = 0; r < a.retain.n_rules; r++) {
        bool known = false;
        for (int i = 0; i < n; i++)
            known |= strcmp(defs[i].uri, a.retain.rules[r].uri) == 0;
        if (!known)
            return fail(REEL_EINVAL, "--retain names %s, which this serve does not record",
                        a.retain.rules[r].uri);
    }
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    /* Before any recorder starts: what a dead process left (recovery.h);
     * said after the first line, which names what is recorded. */
    char recovered[1024];
    if ((rc = recover_at_start(st, a.grace_ns, false, recovered, sizeof recovered))) {
        reel_store_close(st);
        return rc;
    }
    char publish[512];
    if (a.publish)
        snprintf(publish, sizeof publish, "%s", a.publish);
    else if ((size_t)snprintf(publish, sizeof publish, "ipc://%s/events.sock", reel_store_root(st)) >= 100)
        publish[0] = '\0'; /* an ipc path must fit a socket address */
    reel_http *http = NULL;
    reel_store *http_st = NULL; /* the server's own: it locks only its own database use */
    reel_control *ctl = NULL;
    reel_service *svc = NULL;
    if ((rc = reel_service_open(&svc, reel_store_root(st), &e))) {
        reel_store_close(st);
        return fail_err(&e);
    }
    if (!a.no_http) {
        reel_http_opts ho = {.listen = a.listen, .token_file = a.token_file, .service = svc,
                             .web = reel_web_files, .n_web = reel_web_n_files};
        if ((rc = open_store(c, &http_st, false))) {
            reel_service_close(svc);
            reel_store_close(st);
            return rc;
        }
        if ((rc = reel_http_open(&http, http_st, &ho, &e))) {
            reel_store_close(http_st);
            reel_service_close(svc);
            reel_store_close(st);
            return fail_err(&e);
        }
    }
    reel_osc *osc = NULL;
    char osc_note[REEL_ERROR_MSG_MAX + 64] = ""; /* printed after the first line */
    if (!a.no_osc && (rc = open_osc(&a, svc, &osc, osc_note, sizeof osc_note)) != 0) {
        reel_http_close(http);
        if (http_st)
            reel_store_close(http_st);
        reel_service_close(svc);
        reel_store_close(st);
        return rc;
    }
    reel_control_opts co = {.engine = a.engine ? a.engine : "inproc://reel-engine",
                            .publish = publish[0] ? publish : NULL,
                            .on_event = service_event, /* lines: core/log.h */
                            .on_moment = service_moment, .ud = svc, .retention = &a.retain};
    engine_thread et;
    memset(&et, 0, sizeof et);
    bool engine_running = false;
    if ((rc = reel_control_open(&ctl, st, &co, &e)))
        goto out;
    reel_service_attach_control(svc, ctl, st);
    for (int i = 0; i < n && rc == 0; i++)
        if (!(rc = reel_control_add_stream(ctl, &defs[i], &e)))
            rc = reel_control_set_trigger(ctl, defs[i].uri, &a.trig[i], &e);
    if (rc)
        goto out;
    if (!a.engine) {
        reel_engine_opts eo = {.control = co.engine, .zmq_context = reel_control_zmq_context(ctl),
                               .capture = a.co};
        if ((rc = reel_engine_open(&et.eng, &eo, &e)))
            goto out;
        if (pthread_create(&et.th, NULL, engine_main, &et) != 0) {
            rc = reel_error_set(&e, REEL_EIO, "cannot start the engine thread");
            goto out;
        }
        engine_running = true;
    }
    for (int i = 0; i < n; i++) {
        const reel_stream_def *d = &defs[i];
        if (d->kind == REEL_STREAM_MIDI)
            fprintf(stderr, "reel serve: recording %s from %s (MIDI, %u Hz clock)", d->uri,
                    a.sources[i], d->sample_rate);
        else
            fprintf(stderr, "reel serve: recording %s from %s (%u Hz, %u ch, %s)", d->uri,
                    a.sources[i], d->sample_rate, d->channels,
                    reel_sample_format_name(d->sample_format));
        if (i == 0 && why[0])
            fprintf(stderr, "; not %s", why);
        reel_retention keep = reel_retention_rules_for(&a.retain, d->uri);
        if (reel_retention_is_set(&keep)) {
            char kb[96];
            reel_retention_format(&keep, kb, sizeof kb);
            fprintf(stderr, "; keeping %s", kb);
        }
        fputc('\n', stderr);
    }
    fprintf(stderr, "reel serve: recovery: %s\n", recovered);
    if (http) {
        fprintf(stderr, "reel serve: HTTP on %s\n", reel_http_url(http));
        if (reel_daemon_file_write(reel_store_root(st), reel_http_url(http), a.token_file, &e))
            fprintf(stderr, "reel serve: %s (other reel commands will not find this one)\n",
                    e.msg);
        reel_error_clear(&e);
    }
    if (osc_note[0])
        fprintf(stderr, "reel serve: %s\n", osc_note);
    fprintf(stderr, "reel serve: engine %s%s%s; store %s%s%s\n",
            a.engine ? "expected at " : "in this process", a.engine ? a.engine : "",
            a.engine ? " (start: reel engine --control ENDPOINT)" : "", reel_store_root(st),
            co.publish ? "; events on " : "", co.publish ? co.publish : "");
    catch_stop_signals();
    int64_t t_end = a.seconds > 0 ? reel_clock_mono_now() + (int64_t)(a.seconds * 1e9) : 0;
    while (!g_serve_stop && (t_end == 0 || reel_clock_mono_now() < t_end)) {
        if ((rc = reel_service_poll(svc, 10, &e)))
            break;
        if (reel_control_active_streams(ctl) == 0) {
            fprintf(stderr, "reel serve: every stream ended\n");
            break;
        }
    }
    reel_daemon_file_remove(reel_store_root(st));
    reel_service_detach_control(svc);
    {
        reel_error se;
        reel_error_clear(&se);
        int src = reel_control_stop(ctl, 5000000000LL, &se);
        if (src && !rc) {
            rc = src;
            e = se;
        }
    }
out:
    if (engine_running) {
        et.stop = 1;
        pthread_join(et.th, NULL);
        if (et.rc && !rc) {
            rc = et.rc;
            e = et.err;
        }
    }
    reel_engine_close(et.eng);
    reel_service_detach_control(svc);
    reel_control_close(ctl);
    reel_osc_close(osc); /* after detach: a call it waits on has failed by now */
    reel_http_close(http);
    reel_service_close(svc);
    if (http_st)
        reel_store_close(http_st);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    fprintf(stderr, "reel serve: stopped; every stream sealed\n");
    return 0;
}

int cmd_engine(cli *c)
{
    serve_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(c, &a, true);
    if (rc)
        return rc;
    if (!a.control)
        return fail(REEL_EINVAL, "engine needs --control ENDPOINT (the one reel serve --engine "
                    "binds)");
    reel_error e;
    reel_error_clear(&e);
    reel_engine *eng;
    reel_engine_opts eo = {.control = a.control, .capture = a.co};
    if (reel_engine_open(&eng, &eo, &e))
        return fail_err(&e);
    fprintf(stderr, "reel engine: serving %s\n", a.control);
    catch_stop_signals();
    if (a.seconds > 0) {
        /* --seconds for tests: the signal flag doubles as the timer. */
        struct sigaction sa = {.sa_handler = on_stop_signal};
        sigaction(SIGALRM, &sa, NULL);
        alarm((unsigned)ceil(a.seconds));
    }
    rc = reel_engine_run(eng, &g_serve_stop, &e);
    reel_engine_close(eng);
    if (rc)
        return fail_err(&e);
    return 0;
}
