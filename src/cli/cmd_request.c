/*
 * cmd_request.c — `reel session request`: play a MIDI file to a JACK MIDI
 * input while an audio stream records the response (request.h does the
 * work). Owns: parsing the options and printing the result. Must never:
 * hold the store open longer than the request.
 */
#include "cli.h"

#include "model/request/request.h"
#include "time/timespec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 32

static int duration_opt(const char *v, const char *name, int64_t *ns)
{
    reel_error e;
    reel_error_clear(&e);
    if (reel_duration_parse(v, ns, &e))
        return fail(REEL_EINVAL, "bad %s '%s': %s", name, v, e.msg);
    return 0;
}

static void print_human(json_t *d)
{
    json_t *ev = json_object_get(d, "events"), *jk = json_object_get(d, "jack");
    json_t *w = json_object_get(d, "window"), *lat = json_object_get(d, "latency");
    json_int_t rate = json_integer_value(json_object_get(d, "sample_rate"));
    json_int_t from = json_integer_value(json_object_get(w, "from_frame"));
    json_int_t to = json_integer_value(json_object_get(w, "to_frame"));
    printf("sent %lld MIDI events (%lld notes; late %lld, dropped %lld) from %s to %s\n",
           (long long)json_integer_value(json_object_get(ev, "sent")),
           (long long)json_integer_value(json_object_get(lat, "notes")),
           (long long)json_integer_value(json_object_get(ev, "late")),
           (long long)json_integer_value(json_object_get(ev, "dropped")),
           json_string_value(json_object_get(jk, "client_port")),
           json_string_value(json_object_get(jk, "out_port")));
    printf("captured %s #%lld..#%lld (%.3f s): %s, parent %s (the MIDI sent)\n",
           json_string_value(json_object_get(d, "stream")), (long long)from, (long long)to,
           rate ? (double)(to - from) / (double)rate : 0.0,
           json_string_value(json_object_get(d, "audio_artifact")),
           json_string_value(json_object_get(d, "midi_sent_artifact")));
    json_t *med = json_object_get(lat, "median_frames");
    long long rt = (long long)json_integer_value(
        json_object_get(json_object_get(jk, "reported_latency"), "round_trip_frames"));
    if (json_is_number(med))
        printf("latency: median %.1f frames (%.3f ms) over %lld of %lld notes, %lld..%lld; "
               "JACK reports %lld frames\n",
               json_number_value(med), json_number_value(json_object_get(lat, "median_ms")),
               (long long)json_integer_value(json_object_get(lat, "found")),
               (long long)json_integer_value(json_object_get(lat, "notes")),
               (long long)json_integer_value(json_object_get(lat, "min_frames")),
               (long long)json_integer_value(json_object_get(lat, "max_frames")), rt);
    else
        printf("latency: no onset above %.0f dBFS after any of %lld notes; JACK reports %lld "
               "frames\n",
               json_number_value(json_object_get(lat, "threshold_db")),
               (long long)json_integer_value(json_object_get(lat, "notes")), rt);
}

int cmd_session_request(cli *c)
{
    reel_request_opts o = {.tail_ns = -1, .preroll_ns = -1};
    const char *tags[MAX_TAGS];
    const char *v;
    int rc = 0;
    for (int i = 1; i < c->argc && rc == 0; i++) {
        if (opt_value(c, &i, "--midi", &o.midi, &rc) || opt_value(c, &i, "--out", &o.out_port, &rc) ||
            opt_value(c, &i, "--audio", &o.stream_uri, &rc) ||
            opt_value(c, &i, "--session", &o.session, &rc) ||
            opt_value(c, &i, "--jack-server", &o.jack_server, &rc)) {
        } else if (opt_value(c, &i, "--tail", &v, &rc)) {
            if (!rc)
                rc = duration_opt(v, "--tail", &o.tail_ns);
        } else if (opt_value(c, &i, "--preroll", &v, &rc)) {
            if (!rc)
                rc = duration_opt(v, "--preroll", &o.preroll_ns);
        } else if (opt_value(c, &i, "--lead", &v, &rc)) {
            if (!rc)
                rc = duration_opt(v, "--lead", &o.lead_ns);
        } else if (opt_value(c, &i, "--max-latency", &v, &rc)) {
            if (!rc)
                rc = duration_opt(v, "--max-latency", &o.max_latency_ns);
        } else if (opt_value(c, &i, "--threshold", &v, &rc)) {
            char *end;
            if (!rc) {
                o.threshold_db = strtod(v, &end);
                if (*end || !isfinite(o.threshold_db) || o.threshold_db >= 0 ||
                    o.threshold_db < -120)
                    rc = fail(REEL_EINVAL, "bad --threshold '%s' (dBFS, -120 to below 0)", v);
            }
        } else if (opt_value(c, &i, "--tag", &v, &rc)) {
            if (!rc && o.n_tags == MAX_TAGS)
                rc = fail(REEL_EINVAL, "too many --tag (at most %d)", MAX_TAGS);
            else if (!rc)
                tags[o.n_tags++] = v;
        } else {
            rc = fail(REEL_EINVAL, "session request: unknown argument '%s'", c->argv[i]);
        }
    }
    if (rc)
        return rc;
    if (!o.midi || !o.out_port || !o.stream_uri)
        return fail(REEL_EINVAL, "usage: reel session request --midi FILE.mid|ARTIFACT --out PORT "
                                 "--audio STREAM [--tail 2s] [--session ID]");
    o.tags = tags;
    reel_store *st;
    if ((rc = open_store(c, &st, false)))
        return rc;
    reel_error e;
    reel_error_clear(&e);
    json_t *doc = NULL;
    rc = reel_request_run(st, &o, &doc, &e);
    reel_store_close(st);
    if (rc)
        return fail_err(&e);
    if (c->json) {
        print_json(doc);
    } else {
        print_human(doc);
        json_decref(doc);
    }
    return 0;
}
