/*
 * app.h — the daemon's assembly: what `reel serve` and `reel record` run.
 *
 * One capture path: the store (with the recovery scan first), the service
 * and its op table, the control plane (capture/control.h) with one
 * recorder per stream, the engine (capture/engine.h) on a thread of its
 * own over inproc:// (or a `reel engine` elsewhere), and, for serve, the
 * surfaces: HTTP with the web page and <store>/serve.json, OSC, the ZMQ
 * event feed. `reel record` is the same app in the foreground for a
 * bounded time, without the surfaces.
 *
 *   serve   records until stopped; --seconds N stops it after N seconds of
 *           wall time. A stream that ends does not end serve while another
 *           records (or waits, parked, for stream_start).
 *   record  each stream records for --seconds: sources with a clock of
 *           their own (tone, file, alsa, alsa-midi) end by themselves after
 *           exactly that many frames (a file also at its end; with --fast as
 *           fast as the store seals), and so do JACK streams, on the
 *           device's frame clock (the streams of one record end with the
 *           same frame count; a device that stops giving periods is stopped
 *           2 s of wall time later). It ends when every stream has ended.
 *
 * Command-line options (reel_app_opts_parse), shared by both:
 *   --source SPEC        a stream to record (repeatable; serve without any:
 *                        JACK if a server runs, else ALSA's default device,
 *                        else the tone)
 *   per source (after a --source: that source only; before any: every
 *   source, and the default source of serve):
 *   --stream URI         its stream (default: the spec's, numbered from 2 when
 *                        two sources would share it: stream://jack/main2)
 *   --rate R, --channels C, --sample-format f32|i16|i24, --chunk-bytes N,
 *   --chunk-frames N, --trigger level|midi|level,midi|off, --trigger-db DB,
 *   --trigger-hold DUR, --trigger-hysteresis DB
 *   for all: --jack-server NAME, --seconds N, --retain [URI=]SPEC (repeatable),
 *   --staging-grace DUR
 *   record: --fast
 *   serve: --engine EP, --publish EP, --listen ADDR:PORT, --token-file F,
 *   --no-http, --osc PORT, --no-osc
 *
 * Owns: the assembly's order (recovery before any recorder, the surfaces
 * after the control plane, serve.json last and removed first) and its
 * teardown. Must never: print (lines go to on_line), or record a stream
 * another process records (refused before anything is said).
 */
#ifndef REEL_APP_H
#define REEL_APP_H

#include "capture/control.h"
#include "io/capture.h"
#include "media/moment_detect.h"
#include "store/retention.h"
#include "surface/http/http_server.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_APP_SOURCES_MAX 16

typedef enum reel_app_mode {
    REEL_APP_SERVE,
    REEL_APP_RECORD,
} reel_app_mode;

/* One --source and its own options. */
typedef struct reel_app_source {
    const char *spec;       /* NULL: serve's default source */
    const char *uri;        /* --stream; NULL: the spec's default (kept distinct) */
    reel_capture_opts co;   /* rate, channels, sample format, chunk size */
    reel_trigger_opts trig; /* what triggers moments */
} reel_app_source;

typedef enum reel_app_line_kind {
    REEL_APP_LINE_RECORDING, /* "recording URI from SPEC (...)", one per stream */
    REEL_APP_LINE_INFO,      /* where it serves, what recovery did, engine news */
    REEL_APP_LINE_WARNING,   /* something that costs part of the service, not all */
} reel_app_line_kind;

typedef struct reel_app_opts {
    reel_app_mode mode;
    const char *store; /* NULL: the default store */
    reel_app_source sources[REEL_APP_SOURCES_MAX];
    int n_sources;
    reel_app_source defaults; /* per-source options given before any --source */
    const char *jack_server;  /* NULL: the default server */
    bool fast;                /* record: files as fast as possible */
    double seconds;           /* 0: until stopped (see the modes above) */
    int64_t grace_ns;         /* recovery's staging grace; < 0: the default */
    reel_retention_rules retain;
    /* serve */
    const char *engine;  /* an engine elsewhere (ENDPOINT); NULL: one in this process */
    const char *publish; /* event feed (ZMQ PUB); NULL: ipc://<store>/events.sock */
    bool no_http;
    const char *listen, *token_file;
    bool no_osc;
    int osc_port; /* < 0: the default port, where a clash only costs OSC */
    const char *play; /* a project to play (transport_play) once every stream records */
    const reel_web_file *web; /* the web page's files, served at / */
    size_t n_web;
    /* Lines for a person, on the thread calling open and run. */
    void (*on_line)(void *ud, reel_app_line_kind kind, const char *line);
    /* record: while it runs (every ~10 ms), the seconds recorded so far by
     * the stream that recorded most (optional). */
    void (*on_progress)(void *ud, uint64_t seconds);
    void *ud;
} reel_app_opts;

void reel_app_opts_init(reel_app_opts *o, reel_app_mode mode);
/* Frees what parsing allocated (the retention rules). */
void reel_app_opts_free(reel_app_opts *o);

/* The command's arguments (without its own name) into *o (initialised with
 * reel_app_opts_init); strings are borrowed from argv. REEL_EINVAL with
 * one line naming the bad argument. */
int reel_app_opts_parse(reel_app_opts *o, int argc, char *const *argv, reel_error *err);

typedef struct reel_app reel_app;

/* Define every stream (devices are probed), open the store, run the
 * recovery scan, open the service, the control plane, the engine and (serve)
 * the surfaces. `o` (its strings and rules) must outlive the app.
 * REEL_ESTATE if another process records one of the streams. */
int reel_app_open(reel_app **out, const reel_app_opts *o, reel_error *err);

/* Record until *stop is set, --seconds passes (see the modes) or every
 * stream ended; then stop every stream, seal it and stop the engine. An
 * error if a stream failed (record: any; serve: when none was left) or
 * the control plane did. */
int reel_app_run(reel_app *a, volatile sig_atomic_t *stop, reel_error *err);

/* The streams of the command line (not those started later by ops). */
size_t reel_app_n_streams(const reel_app *a);

typedef struct reel_app_stream_result {
    reel_stream_def def;
    const char *source;
    bool have_final;              /* it recorded, and this is its status after its last seal */
    reel_recorder_status final;   /* head frames, chunks held, events, xruns, overruns, moments */
    uint64_t gaps;                /* device gaps in this recording */
    uint64_t dropped_frames;      /* frames the device skipped, written as zeros */
    int error_code;               /* why it failed; 0: it did not */
    char error[REEL_ERROR_MSG_MAX];
} reel_app_stream_result;

/* After reel_app_run: the i-th stream's outcome. */
int reel_app_stream_result_get(reel_app *a, size_t i, reel_app_stream_result *out,
                               reel_error *err);

void reel_app_close(reel_app *a);

#endif
