/*
 * request.c — request-response capture (see request.h): check the stream,
 * play the MIDI on JACK's frame clock, wait for the stream's head, store
 * "MIDI sent -> audio captured", measure the latency on the stored audio.
 * Must never: store a window the stream has not recorded, or leave the
 * JACK client open.
 */
#include "model/request/request.h"

#include "io/capture.h"
#include "core/fsutil.h"
#include "io/midi_send.h"
#include "media/audio_probe.h"
#include "media/onset.h"
#include "slice/slice.h"
#include "media/smf_read.h"
#include "media/smf_write.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define STALE_NS (3 * NS)         /* a live manifest older than this: nobody records */
#define HEAD_WAIT_NS (5 * NS)     /* the head must pass the window's end within this */
#define SEND_GRACE_NS (2 * NS)    /* events still unhandled this long after their time */
#define MAX_WINDOW_S (20 * 60)    /* the window is read into memory for onsets */
#define POLL_NS 5000000LL
#define PAIR_NS 40000000LL        /* read the stream's clock pairing this often */

typedef struct req {
    const reel_request_opts *o;
    reel_store *st;
    reel_stream_view v;
    bool have_view;
    uint32_t rate, channels;
    /* the MIDI played */
    char src_artifact[REEL_ARTIFACT_ID_MAX];
    reel_hash src_hash;
    reel_smf smf;
    bool have_smf;
    reel_midi_sched_ev *evs; /* the events sent, `at` absolute JACK frame times */
    size_t n;
    uint64_t end_rel;        /* the file's end (last event or End-of-track), frames */
    /* JACK */
    reel_midi_send *ms;
    uint32_t t0;
    uint32_t period;
    uint64_t xruns;
    json_t *capture_ports;   /* [name, ...] the stream's JACK sources, if named */
    json_t *latency_report;
    /* the mapping and the window: the stream's clock pairings (stream frame
     * <-> JACK frame time at a period's start) read while playing; each
     * sent frame maps through the nearest, so a server-side xrun that moves
     * JACK's clock against the stream's frames shifts only what is far
     * from a pairing. */
    reel_clock_snapshot head; /* the newest pairing before playing */
    reel_clock_snapshot *pairs;
    size_t n_pairs, cap_pairs;
    int64_t drift;            /* spread of the pairings' offsets, frames */
    int64_t *frame;          /* per event: the stream frame it went out at (-1: dropped) */
    int64_t first;           /* the first event's stream frame */
    uint64_t from, to;
    uint64_t late, dropped;
    uint64_t late_skipped; /* of `late`: due in a cycle JACK skipped (an xrun) */
    char midi_art[REEL_ARTIFACT_ID_MAX];
    json_t *doc;
} req;

static int64_t frames_of(int64_t ns, uint32_t rate)
{
    return (int64_t)(((__int128)ns * rate + NS / 2) / NS);
}

static double ms_of(double frames, uint32_t rate)
{
    return frames * 1000.0 / rate;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / NS, .tv_nsec = ns % NS};
    nanosleep(&ts, NULL);
}

static const char *hstr(const reel_hash *h, char *buf)
{
    reel_hash_to_string(h, buf);
    return buf;
}

/* ---- the clock pairings -------------------------------------------------- */

static int add_pair(req *r, const reel_clock_snapshot *s, reel_error *err)
{
    if (r->n_pairs && r->pairs[r->n_pairs - 1].frame == s->frame)
        return REEL_OK;
    if (r->n_pairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? r->cap_pairs * 2 : 64;
        reel_clock_snapshot *p = realloc(r->pairs, cap * sizeof *p);
        if (!p)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        r->pairs = p;
        r->cap_pairs = cap;
    }
    r->pairs[r->n_pairs++] = *s;
    return REEL_OK;
}

/* Read the stream's newest pairing (and its head and state). */
static int sample_pairing(req *r, uint64_t *head, bool *recording, reel_error *err)
{
    reel_stream_view v;
    int rc = reel_store_stream_open(r->st, r->o->stream_uri, &v, err);
    if (rc)
        return rc;
    if (head)
        *head = v.manifest.total_frames;
    if (recording)
        *recording = strcmp(v.row.state, "recording") == 0;
    if (v.manifest.has_head_clock && v.manifest.head_clock.has_device_frame)
        rc = add_pair(r, &v.manifest.head_clock, err);
    reel_stream_view_free(&v);
    return rc;
}

/* The stream frame of JACK frame time `dev`, through the nearest pairing. */
static int64_t map_frame(const req *r, uint32_t dev)
{
    const reel_clock_snapshot *best = &r->head;
    int64_t bd = -1;
    for (size_t i = 0; i < r->n_pairs; i++) {
        int64_t d = (int32_t)(dev - (uint32_t)r->pairs[i].device_frame);
        d = d < 0 ? -d : d;
        if (bd < 0 || d < bd) {
            bd = d;
            best = &r->pairs[i];
        }
    }
    return reel_clock_device_to_frame(best, dev);
}

/* ---- the stream --------------------------------------------------------- */

static bool pid_alive(int64_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int check_stream(req *r, reel_error *err)
{
    const char *uri = r->o->stream_uri;
    int rc = reel_store_stream_open(r->st, uri, &r->v, err);
    if (rc == REEL_ENOENT)
        return reel_error_set(err, REEL_ENOENT,
                              "unknown stream '%s': start `reel serve --source jack:PORT --stream "
                              "%s` first",
                              uri, uri);
    if (rc)
        return rc;
    r->have_view = true;
    const reel_manifest *m = &r->v.manifest;
    if (r->v.def.kind != REEL_STREAM_AUDIO)
        return reel_error_set(err, REEL_EINVAL, "stream %s is MIDI; --audio needs an audio stream",
                              uri);
    if (!reel_capture_is_jack(r->v.def.device_identity))
        return reel_error_set(err, REEL_ESTATE,
                              "stream %s records '%s', not JACK: the response must be recorded on "
                              "the JACK server's frame clock (reel serve --source jack:PORT)",
                              uri, r->v.def.device_identity);
    int64_t age = reel_clock_wall_now() - m->last_updated_ns;
    if (strcmp(r->v.row.state, "recording") != 0 || !pid_alive(r->v.row.pid) || age > STALE_NS)
        return reel_error_set(err, REEL_ESTATE,
                              "stream %s is not being recorded: start `reel serve --source "
                              "jack:PORT --stream %s` first",
                              uri, uri);
    if (!m->has_head_clock || !m->head_clock.has_device_frame)
        return reel_error_set(err, REEL_ESTATE,
                              "stream %s has no JACK clock pairing yet; try again in a moment",
                              uri);
    r->rate = r->v.def.sample_rate;
    r->channels = r->v.def.channels;
    r->head = m->head_clock;
    int rc2 = add_pair(r, &r->head, err);
    if (rc2)
        return rc2;
    /* The sources of `jack:A,B`, for JACK's latency report. */
    r->capture_ports = json_array();
    const char *spec = r->v.def.device_identity;
    const char *colon = strchr(spec, ':');
    if (colon && strncmp(spec, "jack:", 5) == 0) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", colon + 1);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (strchr(t, ':'))
                json_array_append_new(r->capture_ports, json_string(t));
    }
    return REEL_OK;
}

/* ---- the MIDI ----------------------------------------------------------- */

/* A file path becomes an artifact of its own (or the one already naming
 * its content), so the lineage reaches the file that was played. */
static int import_file(req *r, const char *path, reel_error *err)
{
    int rc = reel_cas_put_file(reel_store_cas(r->st), path, &r->src_hash, err);
    if (rc)
        return rc;
    char hb[REEL_HASH_HEX + 8];
    reel_artifact a;
    memset(&a, 0, sizeof a);
    if (reel_db_artifact_get(reel_store_db(r->st), hstr(&r->src_hash, hb), &a, NULL) == 0 &&
        strcmp(a.mime, "audio/midi") == 0) {
        snprintf(r->src_artifact, sizeof r->src_artifact, "%s", a.id);
        reel_artifact_clear(&a);
        return REEL_OK;
    }
    reel_artifact_clear(&a);
    memset(&a, 0, sizeof a);
    a.content = r->src_hash;
    snprintf(a.mime, sizeof a.mime, "audio/midi");
    snprintf(a.kind, sizeof a.kind, "midi-file");
    snprintf(a.creator, sizeof a.creator, "%s", r->o->creator ? r->o->creator : "reel request");
    a.from_frame = a.to_frame = -1;
    json_t *meta = json_pack("{s:s}", "path", path);
    reel_artifact_refs refs = {.meta = meta};
    rc = meta ? reel_store_artifact_put(r->st, &a, &refs, err)
              : reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_decref(meta);
    if (rc == 0)
        snprintf(r->src_artifact, sizeof r->src_artifact, "%s", a.id);
    reel_artifact_clear(&a);
    return rc;
}

static bool is_note_on(const reel_midi_sched_ev *e)
{
    return e->len >= 3 && (e->data[0] & 0xf0) == 0x90 && e->data[2] > 0;
}

static int load_midi(req *r, reel_error *err)
{
    const char *spec = r->o->midi;
    struct stat sb;
    int rc;
    if (stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) {
        rc = import_file(r, spec, err);
    } else {
        reel_artifact a;
        memset(&a, 0, sizeof a);
        rc = reel_db_artifact_get(reel_store_db(r->st), spec, &a, err);
        if (rc == REEL_ENOENT)
            rc = reel_error_set(err, REEL_ENOENT, "--midi '%s': no such file or artifact", spec);
        if (rc == 0) {
            r->src_hash = a.content;
            snprintf(r->src_artifact, sizeof r->src_artifact, "%s", a.id);
        }
        reel_artifact_clear(&a);
    }
    if (rc)
        return rc;
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(r->st), &r->src_hash, path);
    if ((rc = reel_smf_read(path, r->rate, &r->smf, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        return reel_error_set(err, rc, "--midi '%s' is not a usable MIDI file: %s", spec, msg);
    }
    r->have_smf = true;
    r->evs = calloc(r->smf.n_events ? r->smf.n_events : 1, sizeof *r->evs);
    if (!r->evs)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->smf.n_events; i++) {
        const reel_smf_event *e = &r->smf.events[i];
        if (e->kind == REEL_SMF_META || e->len == 0)
            continue; /* meta events are the file's, not the wire's */
        reel_midi_sched_ev *s = &r->evs[r->n];
        s->at = (uint32_t)e->frame; /* relative until the start is known */
        s->index = (uint32_t)r->n;
        s->len = e->len;
        s->data = e->data;
        r->n++;
        if (e->frame > r->end_rel)
            r->end_rel = e->frame;
    }
    if (r->n == 0)
        return reel_error_set(err, REEL_EINVAL, "--midi '%s' has no MIDI events to send", spec);
    if (r->smf.end_frame > r->end_rel)
        r->end_rel = r->smf.end_frame;
    if (r->end_rel > (uint64_t)MAX_WINDOW_S * r->rate)
        return reel_error_set(err, REEL_EINVAL,
                              "--midi '%s' lasts %.0f s; a request is at most %d s", spec,
                              (double)r->end_rel / r->rate, MAX_WINDOW_S);
    r->frame = calloc(r->n, sizeof *r->frame);
    if (!r->frame)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    return REEL_OK;
}

/* ---- playing ------------------------------------------------------------ */

static json_t *range_json(const uint32_t r[2])
{
    return json_pack("[I, I]", (json_int_t)r[0], (json_int_t)r[1]);
}

static void jack_latency_report(req *r)
{
    uint32_t out_r[2] = {0, 0}, dst_r[2] = {0, 0}, cap_max = 0;
    reel_midi_send_port_latency(r->ms, reel_midi_send_port_name(r->ms), false, out_r, NULL);
    reel_midi_send_port_latency(r->ms, r->o->out_port, false, dst_r, NULL);
    json_t *cap = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(r->capture_ports, i, p)
    {
        uint32_t c[2];
        if (reel_midi_send_port_latency(r->ms, json_string_value(p), true, c, NULL) == 0) {
            json_object_set_new(cap, json_string_value(p), range_json(c));
            if (c[1] > cap_max)
                cap_max = c[1];
        }
    }
    /* JACK's own account of the loop: from our output to the physical
     * outputs, plus from the physical inputs to the stream's sources. */
    r->latency_report =
        json_pack("{s:o, s:o, s:o, s:I}", "out_port_playback", range_json(out_r),
                  "dest_port_playback", range_json(dst_r), "capture_ports", cap,
                  "round_trip_frames", (json_int_t)(out_r[1] + cap_max));
}

static int play(req *r, reel_error *err)
{
    const reel_request_opts *o = r->o;
    int rc = reel_midi_send_open(&r->ms, o->client_name ? o->client_name : "reel-request",
                                 o->jack_server, err);
    if (rc)
        return rc;
    if (reel_midi_send_rate(r->ms) != r->rate)
        return reel_error_set(err, REEL_EDEVICE,
                              "the JACK server runs at %u Hz, stream %s records %u Hz: is it "
                              "recorded from another server?",
                              reel_midi_send_rate(r->ms), o->stream_uri, r->rate);
    r->period = reel_midi_send_period(r->ms);
    if ((rc = reel_midi_send_connect(r->ms, o->out_port, err)))
        return rc;
    /* The stream's newest clock pairing is at most a few head intervals old:
     * a JACK frame time far from it means another server's clock. */
    uint32_t now = reel_midi_send_now(r->ms);
    int64_t behind = (int32_t)(now - (uint32_t)r->head.device_frame);
    if (behind < -(int64_t)r->rate || behind > (int64_t)r->rate * (STALE_NS / NS + 2))
        return reel_error_set(err, REEL_ESTATE,
                              "stream %s is not on this JACK server's frame clock (its newest "
                              "frame time %u, the server's %u): record it from this server",
                              o->stream_uri, (uint32_t)r->head.device_frame, now);
    jack_latency_report(r);
    int64_t lead = frames_of(o->lead_ns > 0 ? o->lead_ns : 300000000LL, r->rate);
    if (lead < 2 * (int64_t)r->period)
        lead = 2 * (int64_t)r->period;
    r->t0 = now + (uint32_t)lead;
    for (size_t i = 0; i < r->n; i++)
        r->evs[i].at += r->t0;
    if ((rc = reel_midi_send_play(r->ms, r->evs, r->n, err)))
        return rc;
    int64_t tail = frames_of(o->tail_ns >= 0 ? o->tail_ns : 2 * NS, r->rate);
    uint32_t end = r->t0 + (uint32_t)r->end_rel + (uint32_t)tail;
    int64_t deadline = reel_clock_mono_now() +
                       (int64_t)((__int128)(lead + (int64_t)r->end_rel) * NS / r->rate) +
                       SEND_GRACE_NS;
    bool all = false;
    int64_t next_pair = 0;
    for (;;) {
        all = reel_midi_send_pump(r->ms, &rc, err);
        if (rc)
            return rc;
        if (reel_clock_mono_now() >= next_pair) {
            if ((rc = sample_pairing(r, NULL, NULL, err)))
                return rc;
            next_pair = reel_clock_mono_now() + PAIR_NS;
        }
        if (all)
            break;
        if (reel_clock_mono_now() > deadline)
            return reel_error_set(err, REEL_EDEVICE,
                                  "the JACK client got no cycles to send the MIDI (is the server "
                                  "stalled?)");
        sleep_ns(POLL_NS);
    }
    const reel_midi_sched *s = reel_midi_send_sched(r->ms);
    r->late = atomic_load(&s->late);
    r->late_skipped = atomic_load(&s->late_skipped);
    r->dropped = atomic_load(&s->dropped);
    /* The tail: recorded while the response dies away. */
    while ((int32_t)(reel_midi_send_now(r->ms) - end) < 0) {
        if (!reel_midi_send_pump(r->ms, &rc, err) && rc)
            return rc;
        if ((rc = sample_pairing(r, NULL, NULL, err)))
            return rc;
        sleep_ns(PAIR_NS);
    }
    r->xruns = reel_midi_send_xruns(r->ms);
    return REEL_OK;
}

/* ---- the window --------------------------------------------------------- */

/* Map what was sent to stream frames, check the mapping held while it
 * played, and wait until the stream has recorded the whole window. */
static int place_window(req *r, reel_error *err)
{
    const reel_midi_sched *s = reel_midi_send_sched(r->ms);
    int64_t tail = frames_of(r->o->tail_ns >= 0 ? r->o->tail_ns : 2 * NS, r->rate);
    int64_t pre = frames_of(r->o->preroll_ns >= 0 ? r->o->preroll_ns : NS / 10, r->rate);
    int64_t end = -1, first = -1;
    for (size_t i = 0; i < r->n; i++) {
        r->frame[i] = s->state[i] == REEL_MIDI_SENT ? map_frame(r, s->sent_at[i]) : -1;
        if (r->frame[i] >= 0 && first < 0)
            first = r->frame[i];
        if (r->frame[i] > end)
            end = r->frame[i];
    }
    if (first < 0)
        return reel_error_set(err, REEL_EDEVICE,
                              "JACK refused every event (%llu dropped): nothing was sent",
                              (unsigned long long)r->dropped);
    int64_t file_end = map_frame(r, r->t0 + (uint32_t)r->end_rel);
    if (file_end > end)
        end = file_end;
    r->first = first;
    int64_t from = first - pre, to = end + tail;
    if (from < (int64_t)r->v.manifest.first_frame)
        from = (int64_t)r->v.manifest.first_frame;
    if (to <= from)
        to = from + 1;
    r->from = (uint64_t)from;
    r->to = (uint64_t)to;
    /* Wait for the head. Every pairing must tell the same story within a
     * second: more means the stream lost JACK's clock (the server went away
     * and came back), and the mapping is void. */
    int64_t deadline = reel_clock_mono_now() + HEAD_WAIT_NS;
    for (;;) {
        uint64_t head = 0;
        bool recording = false;
        int rc = sample_pairing(r, &head, &recording, err);
        if (rc)
            return rc;
        int64_t lo = reel_clock_device_to_frame(&r->head, r->t0), hi = lo;
        for (size_t i = 0; i < r->n_pairs; i++) {
            int64_t f = reel_clock_device_to_frame(&r->pairs[i], r->t0);
            lo = f < lo ? f : lo;
            hi = f > hi ? f : hi;
        }
        r->drift = hi - lo;
        if (r->drift > (int64_t)r->rate)
            return reel_error_set(err, REEL_ESTATE,
                                  "stream %s lost JACK's frame clock during the request (the "
                                  "server went away?); nothing stored",
                                  r->o->stream_uri);
        if (head >= r->to)
            return REEL_OK;
        if (!recording)
            return reel_error_set(err, REEL_ESTATE,
                                  "stream %s stopped at frame %llu, before the response ended at "
                                  "%llu; nothing stored",
                                  r->o->stream_uri, (unsigned long long)head,
                                  (unsigned long long)r->to);
        if (reel_clock_mono_now() > deadline)
            return reel_error_set(err, REEL_ESTATE,
                                  "stream %s did not record up to frame %llu within %lld s (head "
                                  "%llu)",
                                  r->o->stream_uri, (unsigned long long)r->to,
                                  (long long)(HEAD_WAIT_NS / NS), (unsigned long long)head);
        sleep_ns(POLL_NS * 4);
    }
}

/* ---- storing ------------------------------------------------------------ */

static void add_tags(const req *r, const char **tags, size_t *n, char *session_tag, size_t len)
{
    tags[(*n)++] = "request-response";
    if (r->o->session) {
        snprintf(session_tag, len, "session:%s", r->o->session);
        tags[(*n)++] = session_tag;
    }
    for (size_t i = 0; i < r->o->n_tags; i++)
        tags[(*n)++] = r->o->tags[i];
}

/* The request as far as it is known before measuring: the shared part of
 * both artifacts' meta. */
static json_t *request_json(const req *r)
{
    char hb[REEL_HASH_HEX + 8];
    json_t *src = json_pack("{s:s, s:s}", "content_hash", hstr(&r->src_hash, hb), "artifact",
                            r->src_artifact);
    json_t *sent = json_array(), *sent_jack = json_array();
    const reel_midi_sched *s = reel_midi_send_sched(r->ms);
    for (size_t i = 0; i < r->n; i++) {
        json_array_append_new(sent, r->frame[i] >= 0 ? json_integer(r->frame[i]) : json_null());
        json_array_append_new(sent_jack, s->state[i] == REEL_MIDI_SENT
                                             ? json_integer(s->sent_at[i])
                                             : json_null());
    }
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:{s:s, s:s, s:I, s:I, "
        "s:I, s:O, s:O}}",
        "stream", r->o->stream_uri, "sample_rate", (json_int_t)r->rate, "channels",
        (json_int_t)r->channels, "midi_source", src, "window", "from_frame",
        (json_int_t)r->from, "to_frame", (json_int_t)r->to, "frames",
        (json_int_t)(r->to - r->from), "first_sent_frame",
        (json_int_t)r->first, "file_frames",
        (json_int_t)r->end_rel, "send_frames", sent, "send_jack_frames", sent_jack, "jack",
        "client_port", reel_midi_send_port_name(r->ms), "out_port", r->o->out_port, "period",
        (json_int_t)r->period, "start_frame", (json_int_t)r->t0, "xruns", (json_int_t)r->xruns,
        "capture_ports", r->capture_ports, "reported_latency", r->latency_report);
    json_object_set_new(json_object_get(j, "jack"), "clock_drift_frames", json_integer(r->drift));
    json_object_set_new(json_object_get(j, "jack"), "clock_pairings",
                        json_integer((json_int_t)r->n_pairs));
    json_object_set_new(j, "events", json_pack("{s:I, s:I, s:I, s:I}", "sent",
                                               (json_int_t)(r->n - r->dropped), "late",
                                               (json_int_t)r->late, "late_skipped",
                                               (json_int_t)r->late_skipped, "dropped",
                                               (json_int_t)r->dropped));
    if (r->o->session)
        json_object_set_new(j, "session", json_string(r->o->session));
    return j;
}

static int store_midi_sent(req *r, reel_error *err)
{
    reel_smf_timing t;
    int rc = reel_smf_choose_timing(r->rate, &t, err);
    if (rc)
        return rc;
    char tmp[PATH_MAX];
    int fd;
    if ((rc = reel_fs_tmpfile(reel_cas_tmp_dir(reel_store_cas(r->st)), "request-", tmp, &fd, err)))
        return rc;
    close(fd);
    reel_smf_writer *w;
    if ((rc = reel_smf_create(&w, tmp, &t, "reel request: MIDI sent", err))) {
        unlink(tmp);
        return rc;
    }
    for (size_t i = 0; i < r->n && rc == 0; i++)
        if (r->frame[i] >= 0)
            rc = reel_smf_add(w, (uint64_t)r->frame[i] - r->from, r->evs[i].data, r->evs[i].len,
                              err);
    if (rc) {
        reel_smf_abort(w);
        return rc;
    }
    if ((rc = reel_smf_finish(w, r->to - r->from, err))) {
        unlink(tmp);
        return rc;
    }
    reel_artifact a;
    memset(&a, 0, sizeof a);
    if ((rc = reel_cas_ingest(reel_store_cas(r->st), tmp, NULL, &a.content, err))) {
        unlink(tmp);
        return rc;
    }
    snprintf(a.mime, sizeof a.mime, "audio/midi");
    snprintf(a.kind, sizeof a.kind, "midi-sent");
    snprintf(a.parent, sizeof a.parent, "%s", r->src_artifact);
    snprintf(a.creator, sizeof a.creator, "%s", r->o->creator ? r->o->creator : "reel request");
    a.created_ns = reel_clock_wall_now();
    snprintf(a.stream_uri, sizeof a.stream_uri, "%s", r->o->stream_uri);
    a.from_frame = (int64_t)r->from;
    a.to_frame = (int64_t)r->to;
    reel_clock_frame_to_wall(r->pairs, r->n_pairs, r->rate, r->from, &a.from_wall_ns, NULL);
    reel_clock_frame_to_wall(r->pairs, r->n_pairs, r->rate, r->to, &a.to_wall_ns, NULL);
    json_t *clock = json_array();
    for (size_t i = 0; i < r->n_pairs; i++)
        json_array_append_new(clock, json_pack("{s:I, s:I, s:I, s:I}", "frame",
                                               (json_int_t)r->pairs[i].frame, "wall_ns",
                                               (json_int_t)r->pairs[i].wall_ns, "mono_ns",
                                               (json_int_t)r->pairs[i].mono_ns, "device_frame",
                                               (json_int_t)r->pairs[i].device_frame));
    json_t *meta = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "format", "mid", "rate",
                             (json_int_t)r->rate, "ppq", (json_int_t)t.ppq, "tempo_us",
                             (json_int_t)t.tempo_us, "events", (json_int_t)(r->n - r->dropped),
                             "request", json_deep_copy(r->doc));
    const char *tags[8 + r->o->n_tags];
    size_t nt = 0;
    char session_tag[REEL_ARTIFACT_ID_MAX + 160];
    add_tags(r, tags, &nt, session_tag, sizeof session_tag);
    reel_artifact_refs refs = {.meta = meta, .clock = clock, .tags = tags, .n_tags = nt};
    rc = clock && meta ? reel_store_artifact_put(r->st, &a, &refs, err)
                       : reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_decref(clock);
    json_decref(meta);
    if (rc == 0)
        snprintf(r->midi_art, sizeof r->midi_art, "%s", a.id);
    reel_artifact_clear(&a);
    return rc;
}

/* ---- measuring ---------------------------------------------------------- */

static int read_wav(reel_store *st, const reel_hash *h, float **out, size_t *frames,
                    uint32_t *channels, reel_error *err)
{
    int fd;
    int rc = reel_cas_open_content(reel_store_cas(st), h, &fd, err);
    if (rc)
        return rc;
    int64_t n = 0;
    uint32_t rate;
    rc = reel_audio_read_fd(fd, "the captured audio", out, &n, channels, &rate, err);
    close(fd);
    *frames = (size_t)n;
    return rc;
}

/* The slice's hook: onsets on the stored file, added to the doc and to the
 * audio artifact's meta. */
static int measure(void *ud, reel_store *st, const reel_slice_result *res, json_t *meta,
                   reel_error *err)
{
    req *r = ud;
    float *x = NULL;
    size_t nf = 0;
    uint32_t ch = 0;
    int rc = read_wav(st, &res->content, &x, &nf, &ch, err);
    if (rc)
        return rc;
    size_t nn = 0;
    for (size_t i = 0; i < r->n; i++)
        nn += r->frame[i] >= 0 && is_note_on(&r->evs[i]);
    uint64_t *at = calloc(nn ? nn : 1, sizeof *at);
    int64_t *on = calloc(nn ? nn : 1, sizeof *on), *lat = calloc(nn ? nn : 1, sizeof *lat);
    size_t *idx = calloc(nn ? nn : 1, sizeof *idx);
    if (!at || !on || !lat || !idx) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->frame[i] >= 0 && is_note_on(&r->evs[i])) {
            idx[k] = i;
            at[k++] = (uint64_t)r->frame[i] - r->from;
        }
    double db = r->o->threshold_db < 0 ? r->o->threshold_db : -40.0;
    reel_onset_opts oo = {
        .threshold = reel_onset_db_to_level(db),
        .quiet_frames = r->rate / 500 ? r->rate / 500 : 1, /* 2 ms */
        .max_delay = (uint64_t)frames_of(r->o->max_latency_ns > 0 ? r->o->max_latency_ns
                                                                  : NS / 2,
                                         r->rate),
    };
    if ((rc = reel_onset_find(x, nf, ch, at, nn, &oo, on, err)))
        goto out;
    json_t *notes = json_array();
    size_t found = 0;
    int64_t lo = 0, hi = 0;
    for (k = 0; k < nn; k++) {
        const reel_midi_sched_ev *e = &r->evs[idx[k]];
        json_t *o = json_pack("{s:i, s:i, s:i, s:I}", "note", e->data[1], "channel",
                              (e->data[0] & 0x0f) + 1, "velocity", e->data[2], "sent_frame",
                              (json_int_t)r->frame[idx[k]]);
        if (on[k] >= 0) {
            int64_t l = on[k] - (int64_t)at[k];
            lo = found == 0 || l < lo ? l : lo;
            hi = found == 0 || l > hi ? l : hi;
            lat[found++] = l;
            json_object_set_new(o, "onset_frame", json_integer((json_int_t)r->from + on[k]));
            json_object_set_new(o, "latency_frames", json_integer(l));
            json_object_set_new(o, "latency_ms", json_real(ms_of((double)l, r->rate)));
        } else {
            json_object_set_new(o, "onset_frame", json_null());
            json_object_set_new(o, "latency_frames", json_null());
            json_object_set_new(o, "latency_ms", json_null());
        }
        json_array_append_new(notes, o);
    }
    json_t *sum = json_pack("{s:I, s:I, s:f, s:I}", "notes", (json_int_t)nn, "found",
                            (json_int_t)found, "threshold_db", db, "max_frames_searched",
                            (json_int_t)oo.max_delay);
    if (found) {
        double med = reel_onset_median(lat, found);
        json_object_set_new(sum, "median_frames", json_real(med));
        json_object_set_new(sum, "median_ms", json_real(ms_of(med, r->rate)));
        json_object_set_new(sum, "min_frames", json_integer(lo));
        json_object_set_new(sum, "max_frames", json_integer(hi));
    } else {
        json_object_set_new(sum, "median_frames", json_null());
        json_object_set_new(sum, "median_ms", json_null());
    }
    json_object_set_new(r->doc, "notes", notes);
    json_object_set_new(r->doc, "latency", sum);
    json_object_set_new(r->doc, "midi_sent_artifact", json_string(r->midi_art));
    json_object_set(meta, "request", r->doc);
out:
    free(x);
    free(at);
    free(on);
    free(lat);
    free(idx);
    return rc;
}

static int store_audio(req *r, reel_error *err)
{
    const char *tags[4 + r->o->n_tags];
    size_t nt = 0;
    char session_tag[REEL_ARTIFACT_ID_MAX + 160];
    add_tags(r, tags, &nt, session_tag, sizeof session_tag);
    reel_slice_request q = {
        .stream_uri = r->o->stream_uri,
        .from = {.kind = REEL_TS_FRAME, .frame = r->from},
        .to = {.kind = REEL_TS_FRAME, .frame = r->to},
        .format = REEL_OUT_WAV,
        .format_given = true,
        .tags = tags,
        .n_tags = nt,
        .creator = r->o->creator ? r->o->creator : "reel request",
        .parent = r->midi_art,
        .annotate = measure,
        .annotate_ud = r,
    };
    reel_slice_result res;
    int rc = reel_slice(r->st, &q, &res, err);
    if (rc == 0)
        json_object_set_new(r->doc, "audio_artifact", json_string(res.artifact_id));
    return rc;
}

/* ---- the whole ---------------------------------------------------------- */

static int check_opts(const reel_request_opts *o, reel_error *err)
{
    if (!o->midi || !*o->midi)
        return reel_error_set(err, REEL_EINVAL, "a request needs --midi FILE.mid or an artifact");
    if (!o->out_port || !*o->out_port)
        return reel_error_set(err, REEL_EINVAL, "a request needs --out PORT (a JACK MIDI input)");
    if (!o->stream_uri || !*o->stream_uri)
        return reel_error_set(err, REEL_EINVAL, "a request needs --audio STREAM");
    if (o->tail_ns > 60 * NS || o->preroll_ns > 10 * NS || o->lead_ns > 10 * NS ||
        o->max_latency_ns > 10 * NS)
        return reel_error_set(err, REEL_EINVAL,
                              "tail at most 60 s; preroll, lead and max latency at most 10 s");
    if (o->threshold_db > 0 || o->threshold_db < -120)
        return reel_error_set(err, REEL_EINVAL, "threshold %g dB: want -120 to 0 dBFS",
                              o->threshold_db);
    if (o->session) {
        size_t n = strlen(o->session);
        if (n == 0 || n > 128)
            return reel_error_set(err, REEL_EINVAL, "session id: 1 to 128 characters");
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)o->session[i] <= 0x20 || (unsigned char)o->session[i] >= 0x7f)
                return reel_error_set(err, REEL_EINVAL, "session id '%s': printable ASCII only",
                                      o->session);
    }
    return REEL_OK;
}

int reel_request_run(reel_store *st, const reel_request_opts *o, json_t **out, reel_error *err)
{
    *out = NULL;
    int rc = check_opts(o, err);
    if (rc)
        return rc;
    req r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.st = st;
    if ((rc = check_stream(&r, err)) || (rc = load_midi(&r, err)) || (rc = play(&r, err)))
        goto out;
    /* Every event went out; the client is done (no stray events later). */
    if ((rc = place_window(&r, err)))
        goto out;
    r.doc = request_json(&r);
    if (!r.doc) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_midi_sent(&r, err)) || (rc = store_audio(&r, err)))
        goto out;
    *out = r.doc;
    r.doc = NULL;
out:
    reel_midi_send_close(r.ms);
    json_decref(r.doc);
    json_decref(r.capture_ports);
    json_decref(r.latency_report);
    if (r.have_smf)
        reel_smf_free(&r.smf);
    if (r.have_view)
        reel_stream_view_free(&r.v);
    free(r.evs);
    free(r.frame);
    free(r.pairs);
    return rc;
}
