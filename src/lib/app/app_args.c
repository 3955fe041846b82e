/*
 * app_args.c — the command line of `reel serve` and `reel record`, parsed
 * once for both (app.h lists the options).
 *
 * A per-source option binds to the --source before it; before any
 * --source it is the default of every source. --stream is the exception:
 * it names one stream, so before any --source it names only the default
 * source's (serve without --source), and two for one source are refused.
 *
 * Must never: open a device or the store (that is reel_app_open's).
 */
#include "app/app.h"

#include "time/timespec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void reel_app_opts_init(reel_app_opts *o, reel_app_mode mode)
{
    memset(o, 0, sizeof *o);
    o->mode = mode;
    o->grace_ns = -1;
    o->osc_port = -1;
    reel_trigger_opts_default(&o->defaults.trig);
}

void reel_app_opts_free(reel_app_opts *o)
{
    reel_retention_rules_free(&o->retain);
}

typedef struct parser {
    reel_app_opts *o;
    int argc;
    char *const *argv;
    int i;
    reel_error *err;
    int rc;
    bool stream_first; /* a --stream came before any --source */
    const char *mode;
} parser;

/* `--name VALUE` or `--name=VALUE` at argv[i]: true if it matched; then
 * *v is the value, or p->rc is set when it is missing. */
static bool opt(parser *p, const char *name, const char **v)
{
    const char *a = p->argv[p->i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *v = a + n + 1;
        return true;
    }
    if (a[n] != '\0')
        return false;
    if (p->i + 1 >= p->argc) {
        p->rc = reel_error_set(p->err, REEL_EINVAL, "%s needs a value", name);
        return true;
    }
    *v = p->argv[++p->i];
    return true;
}

static int parse_u64(parser *p, const char *s, const char *what, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return reel_error_set(p->err, REEL_EINVAL, "bad %s '%s' (want a whole number)", what, s);
    *out = v;
    return REEL_OK;
}

/* "level,midi", "level", "midi", "off" (also "all" = both). */
static int parse_kinds(parser *p, const char *v, reel_trigger_opts *o)
{
    if (strcmp(v, "off") == 0) {
        o->level = o->midi = false;
        return REEL_OK;
    }
    bool level = false, midi = false;
    const char *q = v;
    while (*q) {
        size_t n = strcspn(q, ",");
        if (n == 3 && strncmp(q, "all", 3) == 0)
            level = midi = true;
        else if (n == 5 && strncmp(q, "level", 5) == 0)
            level = true;
        else if (n == 4 && strncmp(q, "midi", 4) == 0)
            midi = true;
        else
            return reel_error_set(p->err, REEL_EINVAL,
                                  "bad --trigger '%s' (want level, midi, level,midi or off)", v);
        q += n;
        if (*q == ',' && *++q == '\0')
            return reel_error_set(p->err, REEL_EINVAL, "bad --trigger '%s' (trailing comma)", v);
    }
    if (!level && !midi)
        return reel_error_set(p->err, REEL_EINVAL,
                              "bad --trigger '%s' (want level, midi, level,midi or off)", v);
    o->level = level;
    o->midi = midi;
    return REEL_OK;
}

static int parse_db(parser *p, const char *v, const char *what, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x))
        return reel_error_set(p->err, REEL_EINVAL, "bad %s '%s' (want a number of dB, e.g. -30)",
                              what, v);
    *out = x;
    return REEL_OK;
}

/* The per-source options into `s`: true if argv[i] was one. */
static bool source_opt(parser *p, reel_app_source *s)
{
    const char *v;
    reel_error *err = p->err;
    reel_trigger_opts *t = &s->trig;
    uint64_t x = 0;
    bool trigger = false;
    if (opt(p, "--stream", &v)) {
        if (p->rc)
            return true;
        if (s->uri)
            p->rc = reel_error_set(err, REEL_EINVAL,
                                   "--stream %s: %s%s has a --stream already (%s); each "
                                   "--stream follows the --source it names",
                                   v, s->spec ? "--source " : "the default source",
                                   s->spec ? s->spec : "", s->uri);
        else if ((p->rc = reel_stream_uri_validate(v, err)) == 0)
            s->uri = v;
        if (!s->spec && p->rc == 0)
            p->stream_first = true;
    } else if (opt(p, "--rate", &v)) {
        if (!p->rc && !(p->rc = parse_u64(p, v, "--rate", &x)) && (x == 0 || x > 1536000))
            p->rc = reel_error_set(err, REEL_EINVAL, "bad --rate '%s'", v);
        s->co.source.rate = (uint32_t)x;
    } else if (opt(p, "--channels", &v)) {
        if (!p->rc && !(p->rc = parse_u64(p, v, "--channels", &x)) &&
            (x == 0 || x > REEL_MAX_CHANNELS))
            p->rc = reel_error_set(err, REEL_EINVAL, "bad --channels '%s' (1 to %d)", v,
                                   REEL_MAX_CHANNELS);
        s->co.source.channels = (uint32_t)x;
    } else if (opt(p, "--sample-format", &v)) {
        if (!p->rc)
            p->rc = reel_sample_format_parse(v, &s->co.source.sample_format, err);
        s->co.source.has_sample_format = true;
    } else if (opt(p, "--chunk-bytes", &v)) {
        if (!p->rc)
            p->rc = parse_u64(p, v, "--chunk-bytes", &s->co.chunk_bytes);
    } else if (opt(p, "--chunk-frames", &v)) {
        if (!p->rc)
            p->rc = parse_u64(p, v, "--chunk-frames", &s->co.chunk_frames);
    } else if (opt(p, "--trigger", &v)) {
        if (!p->rc)
            p->rc = parse_kinds(p, v, t);
        trigger = true;
    } else if (opt(p, "--trigger-db", &v)) {
        if (!p->rc && !(p->rc = parse_db(p, v, "--trigger-db", &t->level_db)))
            t->level = true;
        trigger = true;
    } else if (opt(p, "--trigger-hysteresis", &v)) {
        if (!p->rc)
            p->rc = parse_db(p, v, "--trigger-hysteresis", &t->hysteresis_db);
        trigger = true;
    } else if (opt(p, "--trigger-hold", &v)) {
        if (!p->rc)
            p->rc = reel_duration_parse(v, &t->hold_ns, err);
        trigger = true;
    } else {
        return false;
    }
    if (!p->rc && trigger)
        p->rc = reel_trigger_opts_validate(t, err);
    return true;
}

/* The options of one mode: true if argv[i] was one. */
static bool mode_opt(parser *p)
{
    reel_app_opts *o = p->o;
    const char *a = p->argv[p->i], *v;
    if (o->mode == REEL_APP_RECORD) {
        if (strcmp(a, "--fast") == 0) {
            o->fast = true;
            return true;
        }
        return false;
    }
    if (opt(p, "--engine", &o->engine) || opt(p, "--publish", &o->publish) ||
        opt(p, "--listen", &o->listen) || opt(p, "--token-file", &o->token_file) ||
        opt(p, "--play", &o->play))
        return true;
    if (strcmp(a, "--no-http") == 0) {
        o->no_http = true;
        return true;
    }
    if (strcmp(a, "--no-osc") == 0) {
        o->no_osc = true;
        return true;
    }
    if (opt(p, "--osc", &v)) {
        if (p->rc)
            return true;
        char *end;
        long port = strtol(v, &end, 10);
        if (*end || end == v || port < 0 || port > 65535)
            p->rc = reel_error_set(p->err, REEL_EINVAL,
                                   "bad --osc '%s' (want a UDP port, 0 for any free one)", v);
        o->osc_port = (int)port;
        return true;
    }
    return false;
}

int reel_app_opts_parse(reel_app_opts *o, int argc, char *const *argv, reel_error *err)
{
    parser p = {.o = o, .argc = argc, .argv = argv, .err = err,
                .mode = o->mode == REEL_APP_RECORD ? "record" : "serve"};
    const char *v;
    for (p.i = 0; p.i < argc && p.rc == 0; p.i++) {
        const char *a = argv[p.i];
        reel_app_source *cur = o->n_sources ? &o->sources[o->n_sources - 1] : &o->defaults;
        if (opt(&p, "--source", &v)) {
            if (p.rc)
                break;
            if (o->n_sources == REEL_APP_SOURCES_MAX) {
                p.rc = reel_error_set(err, REEL_EINVAL, "too many --source (at most %d)",
                                      REEL_APP_SOURCES_MAX);
                break;
            }
            reel_app_source *s = &o->sources[o->n_sources++];
            *s = o->defaults;
            s->spec = v;
            s->uri = NULL;
        } else if (source_opt(&p, cur)) {
        } else if (mode_opt(&p)) {
        } else if (opt(&p, "--jack-server", &o->jack_server)) {
        } else if (opt(&p, "--seconds", &v)) {
            char *end;
            if (!p.rc && (o->seconds = strtod(v, &end), *end || end == v || !(o->seconds > 0) ||
                          !isfinite(o->seconds)))
                p.rc = reel_error_set(err, REEL_EINVAL,
                                      "bad --seconds '%s' (want a positive number)", v);
        } else if (opt(&p, "--retain", &v)) {
            if (!p.rc)
                p.rc = reel_retention_rules_add(&o->retain, v, err);
        } else if (opt(&p, "--staging-grace", &v)) {
            if (!p.rc && reel_duration_parse(v, &o->grace_ns, err))
                p.rc = reel_error_set(err, REEL_EINVAL,
                                      "bad --staging-grace '%s' (want a duration like 10m, 30s, "
                                      "0)",
                                      v);
        } else {
            p.rc = reel_error_set(err, REEL_EINVAL, "%s: unknown %s '%s'", p.mode,
                                  a[0] == '-' ? "option" : "argument", a);
        }
    }
    if (p.rc)
        return p.rc;
    if (p.stream_first && o->n_sources)
        return reel_error_set(err, REEL_EINVAL,
                              "--stream %s comes before any --source: write it after the "
                              "--source it names",
                              o->defaults.uri);
    if (o->mode == REEL_APP_RECORD && o->n_sources == 0)
        return reel_error_set(err, REEL_EINVAL,
                              "record needs --source (tone[:FREQ], file:PATH, alsa[:DEVICE], "
                              "alsa-midi[:CLIENT:PORT], jack[:PORT,...] or jack-midi[:PORT])");
    return REEL_OK;
}
