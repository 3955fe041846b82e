/*
 * main.c — the `reel` command: argument parsing and output only; every
 * operation is a libreel call.
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error. Every failure
 * prints exactly one line on stderr: "reel: <what was wrong>".
 */
#include "cli.h"
#include "core/log.h"

#include "io/jack_backend.h"
#include "io/source.h"
#include "media/audio_out.h"
#include "store/fsck.h"
#include "slice/slice.h"
#include "slice/slice_args.h"
#include "store/store.h"
#include "slice/store_json.h"
#include "time/timespec.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


/* ---- init ---------------------------------------------------------------- */

static int cmd_init(cli *c)
{
    if (c->argc > 1)
        return fail(REEL_EINVAL, "init takes no arguments (got '%s')", c->argv[1]);
    reel_store *st;
    int rc = open_store(c, &st, true);
    if (rc)
        return rc;
    if (c->json)
        print_json(json_pack("{s:s}", "store", reel_store_root(st)));
    else
        printf("store ready at %s\n", reel_store_root(st));
    reel_store_close(st);
    return 0;
}

/* ---- streams / status ---------------------------------------------------- */

static void print_stream_human(json_t *s)
{
    printf("%-32s %-9s %6lld Hz %3lld ch %-3s  %10.3f s  %5lld chunks  xruns %lld  overruns %lld\n",
           json_string_value(json_object_get(s, "uri")),
           json_string_value(json_object_get(s, "state")),
           (long long)json_integer_value(json_object_get(s, "sample_rate")),
           (long long)json_integer_value(json_object_get(s, "channels")),
           json_string_value(json_object_get(s, "sample_format")),
           json_real_value(json_object_get(s, "seconds")),
           (long long)json_integer_value(json_object_get(s, "chunks")),
           (long long)json_integer_value(json_object_get(s, "xruns")),
           (long long)json_integer_value(json_object_get(s, "overrun_frames")));
}

static int cmd_streams(cli *c)
{
    if (c->argc > 1)
        return fail(REEL_EINVAL, "streams takes no arguments (got '%s')", c->argv[1]);
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = NULL;
    rc = reel_streams_json(st, &arr, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(arr);
    } else {
        size_t i;
        json_t *s;
        json_array_foreach(arr, i, s) print_stream_human(s);
        if (json_array_size(arr) == 0)
            printf("no streams yet (reel record --source tone)\n");
        json_decref(arr);
    }
    return 0;
}

static int cmd_status(cli *c)
{
    if (c->argc >= 2 && c->argv[1][0] == '-')
        return fail(REEL_EINVAL, "status: unknown option '%s' (reel status STREAM)", c->argv[1]);
    if (c->argc != 2)
        return fail(REEL_EINVAL, "usage: reel status STREAM");
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *j = NULL;
    rc = reel_stream_status_json(st, c->argv[1], &j, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(j);
    } else {
        print_stream_human(j);
        json_decref(j);
    }
    return 0;
}

/* ---- slice / render ------------------------------------------------------ */

static bool format_from_path(const char *path, reel_out_format *f)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return false;
    return reel_out_format_parse(dot + 1, f, NULL) == 0;
}

static void slice_progress(uint64_t done, uint64_t total, void *ud)
{
    cli_progress_update(ud, done, total, "chunks");
}

static void print_slice_human(const reel_slice_result *r, const char *out, bool is_virtual)
{
    char b[80];
    double secs = r->sample_rate ? (double)(r->to_frame - r->from_frame) / r->sample_rate : 0;
    printf("%s %s %s  frames #%llu..#%llu (%.3f s, %llu chunks)%s\n", r->artifact_id,
           is_virtual ? "virtual slice" : reel_out_format_name(r->format), hs(&r->content, b),
           (unsigned long long)r->from_frame, (unsigned long long)r->to_frame, secs,
           (unsigned long long)r->n_chunks, r->clamped ? " (clamped to the start)" : "");
    if (out)
        printf("wrote %s\n", out);
}

/* The flags become the slice-argument document of every surface
 * (slice_args.h) and go through its one parser, so a mistake reads the
 * same here as from HTTP or an op; only --out is the CLI's own. */
static int cmd_slice(cli *c)
{
    const char *stream = NULL, *out = NULL, *v;
    json_t *doc = json_object(), *tags = json_array();
    if (!doc || !tags) {
        json_decref(doc);
        json_decref(tags);
        return fail(REEL_ENOMEM, "out of memory");
    }
    static const struct {
        const char *flag, *field;
    } fields[] = {{"--from", "from"},
                  {"--to", "to"},
                  {"--last", "last"},
                  {"--format", "format"},
                  {"--sample-format", "sample_format"}};
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        const char *a = c->argv[i];
        bool matched = false;
        for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !matched && rc == 0; f++)
            if ((matched = opt_value(c, &i, fields[f].flag, &v, &rc)) && rc == 0)
                json_object_set_new(doc, fields[f].field, json_string(v));
        if (matched) {
        } else if (opt_value(c, &i, "--out", &out, &rc)) {
        } else if (opt_value(c, &i, "--tag", &v, &rc)) {
            if (!rc)
                json_array_append_new(tags, json_string(v));
        } else if (strcmp(a, "--virtual") == 0) {
            json_object_set_new(doc, "virtual", json_true());
        } else if (a[0] == '-' && a[1] == '-') {
            rc = fail(REEL_EINVAL, "slice: unknown option '%s'", a);
        } else if (!stream) {
            stream = a;
        } else {
            rc = fail(REEL_EINVAL, "slice: unexpected argument '%s'", a);
        }
    }
    if (json_array_size(tags))
        json_object_set_new(doc, "tags", tags);
    else
        json_decref(tags);
    if (rc == 0 && !stream)
        rc = fail(REEL_EINVAL,
                  "usage: reel slice STREAM (--last DUR | --from T --to T) [--out PATH]");
    if (rc == 0 && out && !*out)
        rc = fail(REEL_EINVAL, "--out needs a path");
    reel_error e;
    reel_error_clear(&e);
    reel_slice_args args;
    memset(&args, 0, sizeof args);
    if (rc == 0 && reel_slice_args_parse_json(doc, stream, &args, &e))
        rc = fail_err(&e);
    json_decref(doc); /* args keeps its own reference */
    if (rc)
        return rc;
    reel_slice_request req = args.req;
    const char *last = json_string_value(json_object_get(args.doc, "last"));
    bool is_virtual = req.is_virtual;
    req.out_path = out;
    req.creator = "reel slice";
    if (!req.format_given && out) /* no --format: the --out file's extension says */
        req.format_given = format_from_path(out, &req.format);
    reel_store *st;
    if ((rc = open_store(c, &st, false))) {
        reel_slice_args_free(&args);
        return rc;
    }
    reel_slice_result res;
    cli_progress pg;
    cli_progress_begin(&pg, "slice");
    pg.delay_ns = 500000000; /* only a slice that takes a while shows one */
    req.progress = slice_progress;
    req.progress_ud = &pg;
    rc = reel_slice(st, &req, &res, &e);
    cli_progress_end(&pg);
    reel_store_close(st);
    if (rc) {
        reel_slice_args_free(&args);
        return fail_err(&e);
    }
    if (c->json)
        print_json(reel_slice_result_json(&res, out));
    else
        print_slice_human(&res, out, is_virtual);
    if (res.clamped && !c->json)
        fprintf(stderr, "reel: note: the stream holds less than %s; sliced from its start\n",
                last);
    reel_slice_args_free(&args); /* `last` and the request's strings live in it */
    return 0;
}

static int cmd_render(cli *c)
{
    const char *art = NULL, *out = NULL;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--out", &out, &rc)) {
        } else if (c->argv[i][0] == '-') {
            rc = fail(REEL_EINVAL, "render: unknown option '%s'", c->argv[i]);
        } else if (!art) {
            art = c->argv[i];
        } else {
            rc = fail(REEL_EINVAL, "render: unexpected argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    if (!art || !out)
        return fail(REEL_EINVAL, "usage: reel render ARTIFACT --out PATH");
    if (!*out)
        return fail(REEL_EINVAL, "--out needs a path");
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    reel_slice_result res;
    cli_progress pg;
    cli_progress_begin(&pg, "render");
    pg.delay_ns = 500000000;
    rc = reel_render_progress(st, art, out, slice_progress, &pg, &res, &e);
    cli_progress_end(&pg);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json)
        print_json(reel_slice_result_json(&res, out));
    else
        print_slice_human(&res, out, false);
    return 0;
}

/* ---- artifacts / show ---------------------------------------------------- */

static void print_artifact_line(json_t *a)
{
    json_t *w = json_object_get(a, "source_window");
    char win[96] = "";
    if (w)
        snprintf(win, sizeof win, "#%lld..#%lld",
                 (long long)json_integer_value(json_object_get(w, "from_frame")),
                 (long long)json_integer_value(json_object_get(w, "to_frame")));
    printf("%-21s %-17s %-28s %.19s  %s\n", json_string_value(json_object_get(a, "id")),
           json_string_value(json_object_get(a, "kind")),
           json_string_value(json_object_get(a, "mime")),
           json_string_value(json_object_get(a, "content_hash")), win);
}

static int cmd_artifacts(cli *c)
{
    const char *tags[64];
    size_t n = 0;
    int rc = 0;
    const char *v;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--tag", &v, &rc)) {
            if (!rc && n >= 64)
                rc = fail(REEL_EINVAL, "too many --tag options");
            else if (!rc)
                tags[n++] = v;
        } else {
            rc = fail(REEL_EINVAL, "artifacts: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *arr = NULL;
    rc = reel_artifacts_json(reel_store_db(st), tags, n, &arr, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(arr);
    } else {
        size_t i;
        json_t *a;
        json_array_foreach(arr, i, a) print_artifact_line(a);
        json_decref(arr);
    }
    return 0;
}

static int cmd_show(cli *c)
{
    if (c->argc >= 2 && c->argv[1][0] == '-')
        return fail(REEL_EINVAL, "show: unknown option '%s' (reel show ARTIFACT)", c->argv[1]);
    if (c->argc != 2)
        return fail(REEL_EINVAL, "usage: reel show ARTIFACT");
    json_t *j = NULL;
    json_t *args = json_pack("{s:s}", "id", c->argv[1]);
    int rc = cli_call(c, "artifact_get", args, &j); /* the document every surface shows */
    json_decref(args);
    if (rc)
        return rc;
    if (c->json) {
        print_json(j);
    } else {
        char *s = json_dumps(j, JSON_INDENT(2));
        puts(s ? s : "");
        free(s);
        json_decref(j);
    }
    return 0;
}

/* ---- cas ----------------------------------------------------------------- */

typedef struct verify_ctx {
    reel_cas *cas;
    uint64_t n, bad;
} verify_ctx;

static int verify_one(const reel_hash *h, const char *path, void *ud)
{
    verify_ctx *v = ud;
    reel_error e;
    v->n++;
    if (reel_cas_verify(v->cas, h, &e)) {
        v->bad++;
        fprintf(stderr, "reel: %s\n", e.msg);
    }
    return 0;
}

static int cmd_cas(cli *c)
{
    if (c->argc < 2)
        return fail(REEL_EINVAL, "usage: reel cas put FILE | get HASH [--out PATH] | has HASH | "
                                 "verify [HASH] | gc [--dry-run] [--grace DURATION]");
    const char *sub = c->argv[1];
    reel_store *st;
    int rc;
    reel_error e;
    reel_error_clear(&e);
    char b[80];
    if (strcmp(sub, "put") == 0) {
        if (c->argc != 3)
            return fail(REEL_EINVAL, "usage: reel cas put FILE");
        if ((rc = open_store(c, &st, false)))
            return rc;
        reel_hash h;
        rc = reel_cas_put_file(reel_store_cas(st), c->argv[2], &h, &e);
        reel_store_close(st);
        if (rc)
            return fail_err(&e);
        if (c->json)
            print_json(json_pack("{s:s}", "hash", hs(&h, b)));
        else
            puts(hs(&h, b));
        return 0;
    }
    if (strcmp(sub, "get") == 0 || strcmp(sub, "has") == 0) {
        const char *hash = NULL, *out = NULL;
        rc = 0;
        for (int i = 2; i < c->argc && rc == 0; i++) {
            if (strcmp(sub, "get") == 0 && opt_value(c, &i, "--out", &out, &rc)) {
            } else if (!hash && c->argv[i][0] != '-') {
                hash = c->argv[i];
            } else {
                rc = fail(REEL_EINVAL, "cas %s: unexpected argument '%s'", sub, c->argv[i]);
            }
        }
        if (rc)
            return rc;
        if (!hash)
            return fail(REEL_EINVAL, "usage: reel cas %s HASH", sub);
        if ((rc = open_store(c, &st, false)))
            return rc;
        reel_hash h;
        rc = reel_cas_resolve(reel_store_cas(st), hash, &h, &e);
        if (strcmp(sub, "has") == 0) {
            reel_store_close(st);
            if (rc == REEL_ENOENT) {
                if (c->json)
                    print_json(json_pack("{s:b}", "present", 0));
                else
                    puts("no");
                return 1;
            }
            if (rc)
                return fail_err(&e);
            if (c->json)
                print_json(json_pack("{s:b, s:s}", "present", 1, "hash", hs(&h, b)));
            else
                printf("yes %s\n", hs(&h, b));
            return 0;
        }
        if (rc == 0) {
            if (out) {
                rc = reel_cas_get(reel_store_cas(st), &h, out, &e);
            } else {
                /* To stdout: verify first, then stream the bytes. */
                rc = reel_cas_verify(reel_store_cas(st), &h, &e);
                int fd;
                if (rc == 0 && (rc = reel_cas_open_content(reel_store_cas(st), &h, &fd, &e)) == 0) {
                    char buf[65536];
                    ssize_t n;
                    while ((n = read(fd, buf, sizeof buf)) > 0)
                        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
                            rc = reel_error_set(&e, REEL_EIO, "cannot write to stdout");
                            break;
                        }
                    close(fd);
                }
            }
        }
        reel_store_close(st);
        if (rc)
            return fail_err(&e);
        if (out && c->json)
            print_json(json_pack("{s:s, s:s}", "hash", hs(&h, b), "out", out));
        return 0;
    }
    if (strcmp(sub, "verify") == 0) {
        if (c->argc > 3)
            return fail(REEL_EINVAL, "usage: reel cas verify [HASH]");
        if ((rc = open_store(c, &st, false)))
            return rc;
        verify_ctx v = {.cas = reel_store_cas(st)};
        if (c->argc == 3) {
            reel_hash h;
            rc = reel_cas_resolve(reel_store_cas(st), c->argv[2], &h, &e);
            if (rc == 0)
                rc = reel_cas_verify(reel_store_cas(st), &h, &e);
            reel_store_close(st);
            if (rc)
                return fail_err(&e);
            if (c->json)
                print_json(json_pack("{s:s, s:b}", "hash", hs(&h, b), "ok", 1));
            else
                printf("ok %s\n", hs(&h, b));
            return 0;
        }
        rc = reel_cas_foreach(reel_store_cas(st), 0, verify_one, &v, &e);
        reel_store_close(st);
        if (rc < 0)
            return fail_err(&e);
        if (c->json)
            print_json(json_pack("{s:I, s:I}", "blobs", (json_int_t)v.n, "corrupt",
                                 (json_int_t)v.bad));
        else
            printf("%llu blobs, %llu corrupt\n", (unsigned long long)v.n,
                   (unsigned long long)v.bad);
        return v.bad ? 1 : 0;
    }
    if (strcmp(sub, "gc") == 0) {
        cli sub_c = *c; /* `reel cas gc ARGS` is `reel gc ARGS` */
        sub_c.argc--;
        sub_c.argv++;
        return cmd_gc(&sub_c);
    }
    return fail(REEL_EINVAL, "unknown cas command '%s' (put, get, has, verify, gc)", sub);
}

/* ---- fsck ---------------------------------------------------------------- */

typedef struct fsck_out {
    json_t *arr; /* --json: the problems */
    cli_progress pg;
} fsck_out;

static void fsck_line(const char *line, void *ud)
{
    fsck_out *o = ud;
    if (o->arr) {
        json_array_append_new(o->arr, json_string(line));
    } else {
        cli_progress_end(&o->pg);
        printf("%s\n", line);
        fflush(stdout);
    }
}

static void fsck_progress(const reel_fsck_report *rep, void *ud)
{
    fsck_out *o = ud;
    cli_progress_update(&o->pg, rep->blobs, 0, "blobs re-hashed");
}

static int cmd_fsck(cli *c)
{
    if (c->argc > 1)
        return fail(REEL_EINVAL, "fsck takes no arguments (got '%s')", c->argv[1]);
    reel_store *st;
    int rc = open_store(c, &st, false);
    if (rc)
        return rc;
    reel_error e;
    reel_error_clear(&e);
    reel_fsck_report rep;
    json_t *problems = c->json ? json_array() : NULL;
    fsck_out fo = {.arr = problems};
    cli_progress_begin(&fo.pg, "fsck");
    rc = reel_fsck_progress(st, &rep, fsck_line, fsck_progress, &fo, &e);
    cli_progress_end(&fo.pg);
    reel_store_close(st);
    if (c->json)
        print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:b}", "blobs", (json_int_t)rep.blobs,
                             "corrupt", (json_int_t)rep.corrupt, "missing",
                             (json_int_t)rep.missing, "streams", (json_int_t)rep.streams,
                             "staging_files", (json_int_t)rep.staging_files, "problems", problems,
                             "clean", rc == 0));
    else if (rc == 0)
        printf("clean: %llu blobs, %llu streams, %llu staging files\n",
               (unsigned long long)rep.blobs, (unsigned long long)rep.streams,
               (unsigned long long)rep.staging_files);
    if (rc)
        return fail_err(&e);
    return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef struct cli_command {
    const char *name;
    int (*run)(cli *c);
} cli_command;

static const cli_command commands[] = {
    {"init", cmd_init},
    {"record", cmd_record},
    {"streams", cmd_streams},
    {"status", cmd_status},
    {"slice", cmd_slice},
    {"render", cmd_render},
    {"artifacts", cmd_artifacts},
    {"show", cmd_show},
    {"cas", cmd_cas},
    {"fsck", cmd_fsck},
    {"gc", cmd_gc},
    {"serve", cmd_serve},
    {"engine", cmd_engine},
    {"http", cmd_http},
    {"sync", cmd_sync},
    {"call", cmd_call},
    {"session", cmd_session},
    {"moments", cmd_moments},
    {"marker", cmd_marker},
    {"recover", cmd_recover},
    {"mcp", cmd_mcp},
};

static void usage(FILE *f)
{
    fputs("usage: reel [--store DIR] [--json] [--log-level LEVEL] [--log-json] COMMAND ...\n"
          "       reel COMMAND --help               that command's help\n"
          "  init                                   create the store\n"
          "  record (--source SRC [SOURCE OPTIONS])... [--seconds N] [--fast] [--retain SPEC]...\n"
          "         [--staging-grace DUR] [--jack-server NAME]\n"
          "                                         serve in the foreground: each stream records\n"
          "                                         N s (a file: to its end; --fast: at once)\n"
          "  streams                                list streams\n"
          "  status STREAM                          one stream's state\n"
          "  slice STREAM (--last DUR | --from T --to T) [--virtual] [--out PATH]\n"
          "        [--format wav|rf64|w64|flac|raw|mid] [--sample-format f32|i16|i24] [--tag T]...\n"
          "  render ARTIFACT --out PATH             render a virtual slice\n"
          "  artifacts [--tag T]...                 list artifacts\n"
          "  show ARTIFACT                          an artifact with its lineage\n"
          "  cas put FILE | get HASH [--out PATH] | has HASH | verify [HASH]\n"
          "  fsck                                   check every blob and reference\n"
          "  gc [--dry-run] [--grace DUR]           delete content nothing references (also\n"
          "                                         `cas gc`); safe while recording\n"
          "  recover [--dry-run] [--staging-grace DUR]  seal streams a dead recorder left,\n"
          "                                         drop unknown staging files (default 10m old)\n"
          "  serve [--source SRC [SOURCE OPTIONS]]... [--engine EP] [--publish EP]\n"
          "        [--seconds N] [--listen ADDR:PORT | --no-http] [--token-file F]\n"
          "        [--osc PORT | --no-osc] [--staging-grace DUR] [--retain RULE]...\n"
          "                                         record until stopped (default source: jack\n"
          "                                         if a server runs, else alsa, else tone);\n"
          "                                         HTTP API on 127.0.0.1:7070, OSC on UDP 5005\n"
          "  engine --control EP                    the realtime engine for serve --engine EP\n"
          "  http [--listen ADDR:PORT] [--token-file F]  serve the store over HTTP\n"
          "  sync push|pull URL [HASH...] [--token-file F]  copy the blobs the other side lacks\n"
          "  call OP ['{JSON}'] | call --list       any operation (the ones HTTP, OSC and MCP\n"
          "                                         offer), in the running serve if there is one\n"
          "  session create [--mode passive|request-response] [--stream URI]... | play ID |\n"
          "          stop ID | status [ID] | export ID --format json|archive [--out PATH]\n"
          "  session request --midi FILE.mid|ARTIFACT --out PORT --audio STREAM [--tail 2s]\n"
          "        [--session ID] [--preroll D] [--threshold DB] [--tag T]...\n"
          "                                         play MIDI to a JACK port, store the response\n"
          "  moments STREAM                         the stream's moments (detected, marked)\n"
          "  marker STREAM [--name N]               a moment by hand at the stream's head\n"
          "SRC: tone[:FREQ] | file:PATH | alsa[:DEVICE] | alsa-midi[:CLIENT:PORT] |\n"
          "     jack[:PORT,...] | jack-midi[:PORT]\n"
          "SOURCE OPTIONS (serve, record; after a --source: that source only, before any:\n"
          "  every source): --stream URI, --rate R, --channels C, --sample-format f32|i16|i24,\n"
          "  --chunk-bytes N | --chunk-frames N, --trigger level|midi|level,midi|off,\n"
          "  --trigger-db DB (default -30), --trigger-hold DUR (default 250ms),\n"
          "  --trigger-hysteresis DB (default 6)\n"
          "  mcp                                    MCP server on stdin/stdout (JSON-RPC lines)\n"
          "time specs T: head, start, -30s, -1m30s, 2026-11-20T10:00:00.250Z, @EPOCH, #FRAME,\n"
          "              session:ID:start|end, session:ID/SEGMENT:start|end (segments 1, 2...),\n"
          "              moment:ID, moment:ID-5s, moment:ID+10s\n"
          "store: --store DIR, else $REEL_HOME, else $XDG_DATA_HOME/reel\n"
          "logging: --log-level error|warn|info|debug (default info, or $REEL_LOG),\n"
          "         --log-json for JSON lines {\"ts\",\"level\",\"module\",\"msg\"} on stderr\n",
          f);
}

int main(int argc, char **argv)
{
    cli c = {0};
    /* The application's choice, process-wide: libjack and alsa-lib print
     * nothing; reel reports every device failure once, as one line. */
    reel_jack_silence_messages();
    reel_source_alsa_quiet();
    const char *log_level = NULL;
    bool log_json = false;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return fail(REEL_ENOMEM, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            c.json = true;
        } else if (strcmp(argv[i], "--store") == 0) {
            if (i + 1 >= argc) {
                free(args);
                return fail(REEL_EINVAL, "--store needs a directory");
            }
            c.store = argv[++i];
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            c.store = argv[i] + 8;
        } else if (strcmp(argv[i], "--log-json") == 0) {
            log_json = true;
        } else if (strcmp(argv[i], "--log-level") == 0 || strncmp(argv[i], "--log-level=", 12) == 0) {
            if (argv[i][11] == '=')
                log_level = argv[i] + 12;
            else if (i + 1 < argc)
                log_level = argv[++i];
            else {
                free(args);
                return fail(REEL_EINVAL, "--log-level needs a level (error, warn, info or debug)");
            }
        } else {
            args[c.argc++] = argv[i];
        }
    }
    c.argv = args;
    /* The one logger (core/log.h), configured before any thread starts. */
    reel_log_config lc;
    reel_error le;
    reel_error_clear(&le);
    if (reel_log_config_from_env(&lc, &le) && !log_level) {
        free(args);
        return fail_err(&le);
    }
    if (log_level && reel_log_level_parse(log_level, &lc.level, &le)) {
        free(args);
        return fail(REEL_EINVAL, "--log-level: %s", le.msg);
    }
    lc.json = log_json;
    reel_log_configure(&lc);
    int rc;
    const char *cmd = c.argc ? c.argv[0] : NULL;
    if (!cmd) {
        usage(stderr);
        rc = 2;
    } else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        rc = 0;
    } else if (strcmp(cmd, "--version") == 0) {
        puts("reel 0.1.0");
        rc = 0;
    } else if (c.store && !*c.store) {
        rc = fail(REEL_EINVAL, "--store needs a directory");
    } else {
        const cli_command *k = NULL;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(cmd, commands[i].name) == 0)
                k = &commands[i];
        if (!k && cmd[0] == '-')
            rc = fail(REEL_EINVAL, "unknown option '%s' (see 'reel --help')", cmd);
        else if (!k)
            rc = fail(REEL_EINVAL, "unknown command '%s' (see 'reel --help')", cmd);
        else if (cli_help_wanted(&c))
            rc = cli_help(cmd, stdout) ? 2 : 0;
        else
            rc = k->run(&c);
    }
    free(args);
    return rc;
}
