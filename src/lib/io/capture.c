/*
 * capture.c — source specs to stream definitions, and the producer that
 * records one (see capture.h).
 *
 * A JACK capture joins the realtime context it is given (the engine's one
 * client, so every stream of a serve is on one client and one frame
 * clock): its ports are registered and connected on the running client and
 * the stream joins at the next period; stopping takes it off again. Without
 * a context it opens a client of its own.
 */
#include "io/capture.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct reel_capture {
    reel_source *src; /* tone, file, alsa */
    reel_jack *jk;    /* jack, jack-midi: a client of its own */
    reel_jack *ctx;   /* jack, jack-midi: the shared context it joined */
    reel_chunk_writer *cw;
};

static bool has_prefix(const char *s, const char *p, size_t *arg)
{
    size_t n = strlen(p);
    if (strncmp(s, p, n) != 0 || (s[n] != '\0' && s[n] != ':'))
        return false;
    *arg = s[n] == ':' ? n + 1 : n;
    return true;
}

static bool is_jack_midi(const char *spec, size_t *arg)
{
    return has_prefix(spec, "jack-midi", arg);
}

bool reel_capture_is_jack(const char *spec)
{
    size_t a;
    return has_prefix(spec, "jack", &a) || is_jack_midi(spec, &a);
}

void reel_capture_default_uri(const char *spec, char *out, size_t len)
{
    size_t a;
    if (strncmp(spec, "file:", 5) == 0) {
        const char *base = strrchr(spec + 5, '/');
        base = base ? base + 1 : spec + 5;
        char name[256];
        size_t k = 0;
        for (const char *p = base; *p && *p != '.' && k + 1 < sizeof name; p++)
            name[k++] = (char)((*p > 0x20 && *p < 0x7f && *p != '/' && *p != '"' && *p != '\\')
                                   ? *p
                                   : '_');
        name[k] = '\0';
        snprintf(out, len, "stream://file/%s", k ? name : "main");
    } else if (is_jack_midi(spec, &a)) {
        snprintf(out, len, "stream://jack/midi");
    } else if (has_prefix(spec, "jack", &a)) {
        snprintf(out, len, "stream://jack/main");
    } else if (strncmp(spec, "alsa", 4) == 0) {
        snprintf(out, len, "stream://alsa/main");
    } else {
        snprintf(out, len, "stream://tone/main");
    }
}

int reel_capture_jack_ports(reel_jack *jk, const char *spec, char (**ports)[REEL_JACK_PORT_MAX],
                            uint32_t *n, reel_error *err)
{
    size_t a;
    bool midi = is_jack_midi(spec, &a);
    if (!midi && !has_prefix(spec, "jack", &a))
        return reel_error_set(err, REEL_EINVAL, "'%s' is not a jack source", spec);
    const char *arg = spec[a] ? spec + a : NULL;
    size_t max = midi ? 1 : REEL_MAX_CHANNELS;
    char(*p)[REEL_JACK_PORT_MAX] = calloc(max, sizeof *p);
    if (!p)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    size_t count = 0;
    if (!arg) {
        count = reel_jack_physical_capture(jk, midi, p, max);
        if (count == 0 && !midi) {
            free(p);
            return reel_error_set(err, REEL_EDEVICE,
                                  "the JACK server has no physical capture ports; name them: "
                                  "--source jack:PORT,PORT,...");
        }
        if (midi)
            count = 1; /* "" if there is none: leave the port unconnected */
    } else if (midi) {
        if (strlen(arg) >= REEL_JACK_PORT_MAX) {
            free(p);
            return reel_error_set(err, REEL_EINVAL, "bad JACK MIDI port in '%s'", spec);
        }
        snprintf(p[0], REEL_JACK_PORT_MAX, "%s", arg);
        count = 1;
    } else {
        for (const char *q = arg;;) {
            const char *comma = strchr(q, ',');
            size_t len = comma ? (size_t)(comma - q) : strlen(q);
            if (len == 0 || len >= REEL_JACK_PORT_MAX || count >= max) {
                free(p);
                return reel_error_set(err, REEL_EINVAL,
                                      count >= max ? "too many JACK ports in '%.200s'"
                                                   : "bad port list in '%.200s' (want "
                                                     "jack:PORT,PORT,...)",
                                      spec);
            }
            memcpy(p[count], q, len);
            p[count++][len] = '\0';
            if (!comma)
                break;
            q = comma + 1;
        }
    }
    *ports = p;
    *n = (uint32_t)count;
    return REEL_OK;
}

static uint64_t chunk_size(const reel_stream_def *d, const reel_capture_opts *o)
{
    if (d->kind == REEL_STREAM_MIDI)
        return o->chunk_bytes ? o->chunk_bytes : 512u << 10;
    size_t fb = reel_stream_def_frame_bytes(d);
    if (o->chunk_bytes)
        return o->chunk_bytes;
    if (o->chunk_frames)
        return o->chunk_frames * fb;
    return ((4u << 20) / fb ? (4u << 20) / fb : 1) * fb;
}

static int define_jack(const char *spec, const reel_capture_opts *o, reel_stream_def *d,
                       reel_error *err)
{
    size_t a;
    bool midi = is_jack_midi(spec, &a);
    if (o->source.rate || o->source.channels || o->source.fast)
        return reel_error_set(err, REEL_EINVAL,
                              "--rate, --channels and --fast do not apply to jack sources (the "
                              "server's rate and the port count are used)");
    /* The process's client if it has one (no second client shows up on the
     * server), else a short-lived probe. */
    reel_jack *jk = o->jack;
    reel_jack *shared = jk ? NULL : reel_jack_shared_acquire(o->jack_server);
    bool probe = !jk && !shared;
    int rc = REEL_OK;
    if (shared)
        jk = shared;
    else if (probe && (rc = reel_jack_open(&jk, "reel-probe", o->jack_server, err)))
        return rc;
    char(*ports)[REEL_JACK_PORT_MAX] = NULL;
    uint32_t n = 0;
    rc = reel_capture_jack_ports(jk, spec, &ports, &n, err);
    d->sample_rate = reel_jack_sample_rate(jk);
    if (probe)
        reel_jack_close(jk);
    reel_jack_shared_release(shared);
    if (rc)
        return rc;
    free(ports);
    d->kind = midi ? REEL_STREAM_MIDI : REEL_STREAM_AUDIO;
    d->channels = midi ? 0 : n;
    d->sample_format = o->source.has_sample_format ? o->source.sample_format : REEL_SAMPLE_F32;
    if (strlen(spec) >= sizeof d->device_identity)
        return reel_error_set(err, REEL_EINVAL,
                              "source spec too long (%zu bytes, at most %zu): record the "
                              "physical ports with plain 'jack' or name fewer",
                              strlen(spec), sizeof d->device_identity - 1);
    snprintf(d->device_identity, sizeof d->device_identity, "%s", spec);
    return REEL_OK;
}

int reel_capture_define(const char *spec, const reel_capture_opts *o, reel_stream_def *def,
                        reel_error *err)
{
    char uri[REEL_URI_MAX];
    snprintf(uri, sizeof uri, "%s", def->uri);
    int rc;
    if (reel_capture_is_jack(spec)) {
        memset(def, 0, sizeof *def);
        rc = define_jack(spec, o, def, err);
    } else {
        reel_source *s;
        rc = reel_source_open(&s, spec, &o->source, def, err);
        if (rc == 0)
            reel_source_close(s);
    }
    if (rc)
        return rc;
    if (uri[0])
        snprintf(def->uri, sizeof def->uri, "%s", uri);
    else
        reel_capture_default_uri(spec, def->uri, sizeof def->uri);
    def->chunk_size_bytes = chunk_size(def, o);
    return reel_stream_def_validate(def, err);
}

/* The stream's ports, prefixed after its name, on the context given (or a
 * JACK client of the stream's own, named likewise; JACK makes the name
 * unique). */
static int start_jack(reel_capture *c, const reel_stream_def *def, const reel_capture_opts *o,
                      reel_error *err)
{
    const char *spec = def->device_identity;
    size_t a;
    bool midi = is_jack_midi(spec, &a);
    const char *name = strrchr(def->uri, '/');
    name = name && name[1] ? name + 1 : (midi ? "midi" : "in");
    char prefix[41], client[48];
    size_t p = 0;
    for (; name[p] && p + 1 < sizeof prefix; p++)
        prefix[p] = (char)((name[p] > 0x20 && name[p] < 0x7f && name[p] != ':') ? name[p] : '_');
    prefix[p] = '\0';
    snprintf(client, sizeof client, "reel-%s", prefix);
    int rc;
    reel_jack *jk = o->jack;
    if (!jk) {
        if ((rc = reel_jack_open(&c->jk, client, o->jack_server, err)))
            return rc;
        jk = c->jk;
    }
    if (reel_jack_sample_rate(jk) != def->sample_rate)
        return reel_error_set(err, REEL_EDEVICE,
                              "the JACK server runs at %u Hz, stream %s records %u Hz",
                              reel_jack_sample_rate(jk), def->uri, def->sample_rate);
    /* A recording of a set duration on the device clock: exactly that many
     * frames, so the JACK streams of one record end with the same count. */
    if (o->source.seconds > 0)
        reel_cw_set_end(c->cw, (uint64_t)llround(o->source.seconds * def->sample_rate));
    char(*ports)[REEL_JACK_PORT_MAX] = NULL;
    uint32_t n = 0;
    if ((rc = reel_capture_jack_ports(jk, spec, &ports, &n, err)))
        return rc;
    if (midi) {
        rc = reel_jack_add_midi(jk, prefix, ports[0][0] ? ports[0] : NULL, c->cw, err);
    } else if (n != def->channels) {
        rc = reel_error_set(err, REEL_EDEVICE, "'%s' has %u ports now, stream %s has %u channels",
                            spec, n, def->uri, def->channels);
    } else {
        const char **names = calloc(n, sizeof *names);
        if (!names) {
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        } else {
            for (uint32_t i = 0; i < n; i++)
                names[i] = ports[i];
            rc = reel_jack_add_audio(jk, prefix, n, names, c->cw, err);
            free(names);
        }
    }
    free(ports);
    if (rc)
        return rc;
    if (!c->jk) {
        c->ctx = jk; /* on the shared client now */
        return REEL_OK;
    }
    return reel_jack_activate(c->jk, err);
}

int reel_capture_start(reel_capture **out, const reel_stream_def *def,
                       const reel_capture_opts *o, reel_chunk_writer *cw, reel_error *err)
{
    reel_capture *c = calloc(1, sizeof *c);
    if (!c)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    c->cw = cw;
    int rc;
    if (reel_capture_is_jack(def->device_identity)) {
        rc = start_jack(c, def, o, err);
        if (rc && c->jk)
            reel_jack_close(c->jk); /* finishes the writer if it was added */
    } else {
        /* The definition decides the format; the file decides its rate and
         * channel count (checked below). */
        reel_source_opts so = o->source;
        so.has_sample_format = true;
        so.sample_format = def->sample_format;
        if (strncmp(def->device_identity, "file:", 5) != 0) {
            so.rate = def->sample_rate;
            so.channels = def->channels;
        }
        reel_stream_def got;
        rc = reel_source_open(&c->src, def->device_identity, &so, &got, err);
        if (rc == 0 && (got.kind != def->kind || got.sample_rate != def->sample_rate ||
                        got.channels != def->channels ||
                        got.sample_format != def->sample_format))
            rc = reel_error_set(err, REEL_EDEVICE,
                                "'%s' gives %u Hz %u ch %s now, stream %s has %u Hz %u ch %s",
                                def->device_identity, got.sample_rate, got.channels,
                                reel_sample_format_name(got.sample_format), def->uri,
                                def->sample_rate, def->channels,
                                reel_sample_format_name(def->sample_format));
        if (rc == 0)
            rc = reel_source_start(c->src, cw, err);
        if (rc && c->src)
            reel_source_close(c->src);
    }
    if (rc) {
        if (!reel_cw_finished(cw))
            reel_cw_finish(cw);
        free(c);
        return rc;
    }
    *out = c;
    return REEL_OK;
}

bool reel_capture_done(const reel_capture *c)
{
    return c->src ? reel_source_done(c->src) : reel_cw_at_end(c->cw);
}

uint64_t reel_capture_dropped_frames(const reel_capture *c)
{
    if (!c->jk)
        return 0;
    reel_jack_stats js;
    reel_jack_get_stats(c->jk, &js);
    return js.dropped_frames;
}

int reel_capture_stop(reel_capture *c, reel_error *err)
{
    int rc = REEL_OK;
    if (c->ctx) {
        rc = reel_jack_remove(c->ctx, c->cw, err); /* finishes the writer */
    } else if (c->jk) {
        reel_jack_close(c->jk); /* finishes the writer */
    } else if (c->src) {
        rc = reel_source_stop(c->src, err);
        reel_source_close(c->src);
    }
    free(c);
    return rc;
}
