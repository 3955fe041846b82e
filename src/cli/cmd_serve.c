/*
 * cmd_serve.c — `reel serve` (the daemon), `reel record` (the same in the
 * foreground for a bounded time) and `reel engine` (the engine alone, for a
 * serve elsewhere). serve and record are libreel's app (app/app.h): this
 * file parses nothing of theirs and prints what the app says.
 *
 * serve's first line on stderr says what it records; SIGINT/SIGTERM stop
 * every stream and seal it before exiting. record prints one line per
 * stream (JSON with --json) once every stream is sealed.
 */
#include "cli.h"

#include "app/app.h"
#include "capture/engine.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct say_ctx {
    const char *prefix;
    bool quiet_recording; /* record --json: only failures and recovery */
    cli_progress pg;      /* record: seconds recorded, on a terminal */
    uint64_t total_s;
} say_ctx;

static void say(void *ud, reel_app_line_kind kind, const char *line)
{
    say_ctx *s = ud;
    if (kind == REEL_APP_LINE_RECORDING && s->quiet_recording)
        return;
    cli_progress_end(&s->pg);
    fprintf(stderr, "%s%s\n", s->prefix, line);
}

static void progress(void *ud, uint64_t seconds)
{
    say_ctx *s = ud;
    cli_progress_update(&s->pg, seconds, s->total_s, "s");
}

/* Parse, open, run, close; `report` prints the outcome (record). */
static int run_app(cli *c, reel_app_mode mode, say_ctx *sc,
                   void (*report)(cli *c, reel_app *app))
{
    reel_app_opts o;
    reel_app_opts_init(&o, mode);
    reel_error e;
    reel_error_clear(&e);
    int rc = reel_app_opts_parse(&o, c->argc - 1, c->argv + 1, &e);
    if (rc) {
        reel_app_opts_free(&o);
        return fail_err(&e);
    }
    o.store = c->store;
    o.web = reel_web_files;
    o.n_web = reel_web_n_files;
    o.on_line = say;
    o.ud = sc;
    cli_progress_begin(&sc->pg, "record");
    sc->pg.on &= mode == REEL_APP_RECORD;
    if (sc->pg.on) {
        o.on_progress = progress;
        sc->total_s = (uint64_t)o.seconds;
    }
    reel_app *app;
    if ((rc = reel_app_open(&app, &o, &e)) == 0) {
        catch_stop_signals();
        rc = reel_app_run(app, &g_stop, &e);
        cli_progress_end(&sc->pg);
        if (rc == 0 && report)
            report(c, app);
        reel_app_close(app);
    }
    reel_app_opts_free(&o);
    if (rc)
        return fail_err(&e);
    if (mode == REEL_APP_SERVE)
        fprintf(stderr, "reel serve: stopped; every stream sealed\n");
    return 0;
}

int cmd_serve(cli *c)
{
    say_ctx sc = {.prefix = "reel serve: "};
    return run_app(c, REEL_APP_SERVE, &sc, NULL);
}

/* One line per stream, or JSON: the stream's own object with one source,
 * {"streams": [...]} with several. */
static void record_report(cli *c, reel_app *app)
{
    size_t n = reel_app_n_streams(app);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        reel_app_stream_result r;
        reel_error e;
        if (reel_app_stream_result_get(app, i, &r, &e))
            continue;
        const reel_recorder_status *f = &r.final;
        double secs = r.def.sample_rate ? (double)f->frames / r.def.sample_rate : 0.0;
        bool midi = r.def.kind == REEL_STREAM_MIDI;
        json_t *o = json_pack("{s:s, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "stream",
                              r.def.uri, "frames", (json_int_t)f->frames, "seconds", secs,
                              "chunks", (json_int_t)f->chunks, "overrun_frames",
                              (json_int_t)f->overrun_frames, "xruns", (json_int_t)f->xruns,
                              "gaps", (json_int_t)r.gaps, "dropped_frames",
                              (json_int_t)r.dropped_frames, "moments", (json_int_t)f->moments);
        if (midi)
            json_object_set_new(o, "events", json_integer((json_int_t)f->events));
        json_array_append_new(arr, o);
        if (c->json)
            continue;
        char extra[96] = "";
        if (f->xruns || r.gaps)
            snprintf(extra, sizeof extra, ", xruns %llu, gaps %llu",
                     (unsigned long long)f->xruns, (unsigned long long)r.gaps);
        if (midi)
            printf("%s: %llu MIDI events over %llu frames (%.3f s) in %llu chunks%s\n", r.def.uri,
                   (unsigned long long)f->events, (unsigned long long)f->frames, secs,
                   (unsigned long long)f->chunks, extra);
        else
            printf("%s: %llu frames (%.3f s) in %llu chunks%s\n", r.def.uri,
                   (unsigned long long)f->frames, secs, (unsigned long long)f->chunks, extra);
    }
    if (!c->json) {
        json_decref(arr);
    } else if (json_array_size(arr) == 1) {
        json_t *one = json_incref(json_array_get(arr, 0));
        json_decref(arr);
        print_json(one);
    } else {
        print_json(json_pack("{s:o}", "streams", arr));
    }
}

int cmd_record(cli *c)
{
    say_ctx sc = {.prefix = "reel: ", .quiet_recording = c->json};
    return run_app(c, REEL_APP_RECORD, &sc, record_report);
}

int cmd_engine(cli *c)
{
    const char *control = NULL, *server = NULL, *v;
    double seconds = 0;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--control", &control, &rc) ||
            opt_value(c, &i, "--jack-server", &server, &rc)) {
        } else if (opt_value(c, &i, "--seconds", &v, &rc)) {
            char *end;
            if (!rc && (seconds = strtod(v, &end), *end || end == v || !(seconds > 0) ||
                        !isfinite(seconds)))
                rc = fail(REEL_EINVAL, "bad --seconds '%s' (want a positive number)", v);
        } else {
            rc = fail(REEL_EINVAL, "engine: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    if (!control)
        return fail(REEL_EINVAL, "engine needs --control ENDPOINT (the one reel serve --engine "
                    "binds)");
    reel_error e;
    reel_error_clear(&e);
    reel_engine *eng;
    reel_engine_opts eo = {.control = control};
    eo.capture.jack_server = server;
    if (reel_engine_open(&eng, &eo, &e))
        return fail_err(&e);
    fprintf(stderr, "reel engine: serving %s\n", control);
    catch_stop_signals();
    if (seconds > 0) {
        /* --seconds for tests: the signal flag doubles as the timer. */
        struct sigaction sa = {.sa_handler = on_stop_signal};
        sigaction(SIGALRM, &sa, NULL);
        alarm((unsigned)ceil(seconds));
    }
    rc = reel_engine_run(eng, &g_stop, &e);
    reel_engine_close(eng);
    if (rc)
        return fail_err(&e);
    return 0;
}
