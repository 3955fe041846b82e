/*
 * transport.c — realtime playback of a project through JACK: the ops
 * transport_play, transport_stop, transport_seek and transport_state
 * (DESIGN.md section 9).
 *
 * A play compiles the version (graph_compile.h) with the JACK period as
 * its block, and hands the plan to a graph player (rt/graph_player.h) on
 * the process's one JACK client: the engine's when `reel serve` records
 * from JACK (so capture and playback share one frame clock), else a
 * client of its own ("reel-play"). A play of another version while playing
 * swaps the plan at a period boundary; the plan the callback let go of is
 * freed here afterwards, with the decoded sources it read (a compiled plan
 * and its source cache travel together as one `unit`).
 *
 * Owns: the transport's state in the service, its units and its JACK
 * player. Must never: free a plan the callback may still hold, or keep the
 * engine's JACK client past the control plane's detach (the engine waits
 * for its users before it closes the client).
 */
#include "capture/control.h"
#include "core/log.h"
#include "core/op.h"
#include "io/alsa_playback.h"
#include "io/jack_backend.h"
#include "model/project/project_db.h"
#include "model/project/lane_doc.h"
#include "render/engine/auto_compile.h"
#include "render/engine/auto_record.h"
#include "render/engine/graph_compile.h"
#include "render/engine/lv2_host.h"
#include "render/engine/mapping_live.h"
#include "render/engine/transport.h"
#include "rt/plan_auto.h"
#include "rt/rt_mem.h"
#include "slice/slice.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNITS_MAX 4

typedef struct unit {
    reel_compiled *c;
    reel_source_cache *cache;
} unit;

typedef struct transport {
    pthread_mutex_t mu;
    reel_jack *j;
    bool shared; /* j is the engine's (released at detach), else ours (closed) */
    reel_player *player; /* realtime memory */
    reel_jack_player *jp;
    reel_alsa_player *alsa; /* without JACK: the player runs on an ALSA device instead */
    uint32_t channels;
    unit units[UNITS_MAX]; /* units[0]: the one playing; others wait for the callback */
    size_t n_units;
    char project[REEL_PROJECT_ID_MAX], version[REEL_PROJECT_VERSION_MAX], timeline[64];
    char node[64];   /* the output node asked for ("" : the first) */
    char out_id[64]; /* the output node playing */
    json_t *doc; /* the version playing (for positions and markers) */
    int64_t end;
    uint32_t latency; /* the graph's, timeline to output node (frames) */
    char ports[REEL_PLAN_CH_MAX][REEL_JACK_PORT_MAX];
    uint32_t n_ports;
    /* track_record_start..stop: a take of `rec_stream` from `rec_start` */
    bool recording;
    char rec_project[REEL_PROJECT_ID_MAX], rec_track[64], rec_stream[512];
    char rec_port[REEL_JACK_PORT_MAX];
    uint64_t rec_start;
    reel_auto_rec *arec; /* armed automation lanes (auto_record.h) */
    json_t *arec_failed;  /* the last pass that could not be committed (reported) */
    bool arec_recovered;  /* journals of a process that died are committed */
    reel_map_live *maps;  /* controller mappings and their ports (mapping_live.h) */
    reel_service *service;
    int64_t telemetry_ns; /* when the last telemetry event went out */
    /* follow choices published on /api/events: of plan `follow_c`, the
     * entries before `follow_sent` are out */
    const reel_compiled *follow_c;
    size_t follow_sent;
} transport;

static const reel_op_table transport_ops;
static void telemetry_tick(reel_service *s, void *ud);

static void unit_free(unit *u)
{
    reel_compiled_free(u->c);
    reel_source_cache_free(u->cache);
    memset(u, 0, sizeof *u);
}

/* Free every unit: only once nothing runs the player. */
static void units_free_all(transport *t)
{
    for (size_t i = 0; i < t->n_units; i++)
        unit_free(&t->units[i]);
    t->n_units = 0;
}

/* Free the units whose plans the callback has let go of. */
static void reap(transport *t)
{
    reel_plan *gone;
    while (t->player && (gone = reel_player_reap(t->player))) {
        for (size_t i = 0; i < t->n_units; i++)
            if (t->units[i].c && t->units[i].c->plan == gone) {
                unit_free(&t->units[i]);
                t->units[i] = t->units[--t->n_units];
                break;
            }
    }
}

/* The player and its ports gone, every unit freed, the client let go. */
static void release_device(transport *t)
{
    reel_map_live_detach(t->maps); /* the controller ports go with the client */
    if (t->player)
        reel_player_play(t->player, false);
    reel_alsa_player_close(t->alsa); /* its thread has let go of the player when this returns */
    t->alsa = NULL;
    bool gone = true;
    if (t->jp)
        gone = reel_jack_player_remove(t->j, t->jp);
    t->jp = NULL;
    if (gone) {
        units_free_all(t);
        if (t->player)
            reel_rt_free(t->player, sizeof *t->player);
        t->player = NULL;
    } /* else the callback may still run them: left alive, by design */
    if (t->j && t->shared)
        reel_jack_shared_release(t->j);
    else if (t->j)
        reel_jack_close(t->j);
    t->j = NULL;
    t->channels = 0;
}

static int transport_init(reel_service *s, reel_error *err)
{
    transport *t = calloc(1, sizeof *t);
    if (!t)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = reel_auto_rec_new(&t->arec, err);
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s/automation", reel_service_root(s));
    if (!rc && (rc = reel_auto_rec_journal_dir(t->arec, jdir, err)))
        reel_auto_rec_free(t->arec);
    if (!rc && (rc = reel_map_live_new(s, &t->maps, err)))
        reel_auto_rec_free(t->arec);
    if (rc) {
        free(t);
        return rc;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->service = s;
    reel_service_state_set(s, &transport_ops, t);
    if (reel_service_on_tick(s, telemetry_tick, t))
        reel_log_warn("transport", "no tick left for telemetry events");
    return REEL_OK;
}

static void transport_detach(reel_service *s)
{
    transport *t = reel_service_state(s, &transport_ops);
    if (!t)
        return;
    reel_map_live_stop(t->maps); /* its ops calls take t->mu: not under it */
    pthread_mutex_lock(&t->mu);
    release_device(t);
    pthread_mutex_unlock(&t->mu);
}

static void transport_fini(reel_service *s)
{
    transport *t = reel_service_state(s, &transport_ops);
    if (!t)
        return;
    release_device(t);
    reel_map_live_free(t->maps);
    json_decref(t->doc);
    json_decref(t->arec_failed);
    reel_auto_rec_free(t->arec);
    pthread_mutex_destroy(&t->mu);
    free(t);
    reel_service_state_set(s, &transport_ops, NULL);
}

/* The controller ports on the client just acquired: playback goes on
 * without them if they cannot be made (logged; mappings report it). */
static void attach_controller(transport *t)
{
    reel_error e;
    if (reel_map_live_attach(t->maps, t->j, &e))
        reel_log_warn("transport", "no controller ports: %s", e.msg);
}

static int ensure_client(transport *t, reel_error *err)
{
    if (t->j && !reel_jack_connected(t->j))
        release_device(t); /* the server went away: start again with a new client */
    if (t->j)
        return REEL_OK;
    if ((t->j = reel_jack_shared_acquire(NULL))) {
        t->shared = true;
        attach_controller(t);
        return REEL_OK;
    }
    int rc = reel_jack_open(&t->j, "reel-play", NULL, err);
    if (rc) {
        t->j = NULL;
        return rc == REEL_EDEVICE ? reel_error_set(err, rc, "no JACK server runs: playback needs "
                                                   "JACK (ALSA playback is not in this build "
                                                   "yet)")
                                  : rc;
    }
    if ((rc = reel_jack_activate(t->j, err))) {
        reel_jack_close(t->j);
        t->j = NULL;
        return rc;
    }
    t->shared = false;
    attach_controller(t);
    return REEL_OK;
}

/* A player of `channels` channels on the client (a new one if the count
 * changed). */
static int ensure_player(transport *t, uint32_t channels, reel_error *err)
{
    if (t->jp && t->channels == channels && reel_jack_player_alive(t->jp))
        return REEL_OK;
    if (t->jp) {
        reel_player_play(t->player, false);
        if (!reel_jack_player_remove(t->j, t->jp)) {
            t->jp = NULL;
            t->player = NULL; /* still held by the callback: leaked, not freed under it */
            t->n_units = 0;
            return reel_error_set(err, REEL_EDEVICE, "the JACK callback did not let go of the "
                                                     "old player");
        }
        t->jp = NULL;
        units_free_all(t);
    }
    if (!t->player && !(t->player = reel_rt_alloc(sizeof *t->player, err)))
        return err ? err->code : REEL_ENOMEM;
    reel_player_init(t->player, channels);
    int rc = reel_jack_player_add(t->j, "play", t->player, &t->jp, err);
    if (rc)
        return rc;
    t->channels = channels;
    t->n_ports = 0;
    return REEL_OK;
}

/* Without JACK: a fresh player of `channels` channels for an ALSA device
 * (the old device closed first: its thread has let go of every plan). */
static int ensure_alsa_player(transport *t, uint32_t channels, reel_error *err)
{
    if (t->alsa && t->channels == channels)
        return REEL_OK;
    reel_alsa_player_close(t->alsa);
    t->alsa = NULL;
    units_free_all(t);
    if (!t->player && !(t->player = reel_rt_alloc(sizeof *t->player, err)))
        return err ? err->code : REEL_ENOMEM;
    reel_player_init(t->player, channels);
    t->channels = channels;
    t->n_ports = 0;
    return REEL_OK;
}

/* Connect the player's ports to `ports` (a JSON array of JACK input
 * ports, one per channel, or NULL). */
static int connect_ports(transport *t, json_t *ports, reel_error *err)
{
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        const char *dst = json_string_value(p);
        if (i >= t->channels)
            return reel_error_set(err, REEL_EINVAL, "%zu ports for an output of %u channels",
                                  json_array_size(ports), t->channels);
        int rc = reel_jack_check_port(t->j, dst, true, false, err);
        if (!rc)
            rc = reel_jack_connect(t->j, reel_jack_player_port_name(t->jp, (uint32_t)i), dst,
                                   err);
        if (rc)
            return rc;
        snprintf(t->ports[i], sizeof t->ports[i], "%s", dst);
        if (i + 1 > t->n_ports)
            t->n_ports = (uint32_t)i + 1;
    }
    return REEL_OK;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Hand `u` to the player: at once if nothing is in flight, else after the
 * callback took the last swap (it does within a period; bounded wait). */
static int swap_in(transport *t, unit *u, reel_error *err)
{
    int64_t deadline = now_ns() + 2000000000LL;
    for (;;) {
        reap(t);
        reel_error e;
        if (t->n_units < UNITS_MAX && reel_player_swap(t->player, u->c->plan, &e) == REEL_OK)
            break;
        if (now_ns() > deadline)
            return reel_error_set(err, REEL_EDEVICE, "the JACK callback has not taken the last "
                                                     "graph for 2 s (is the server running?)");
        struct timespec d = {0, 2000000};
        nanosleep(&d, NULL);
    }
    t->units[t->n_units++] = *u;
    return REEL_OK;
}

/* The automation counters of the plan playing (the newest unit). */
static json_t *auto_json(transport *t)
{
    reel_auto_stats st = {0};
    if (t->n_units && reel_plan_auto(t->units[t->n_units - 1].c->plan))
        reel_auto_stats_get(reel_plan_auto(t->units[t->n_units - 1].c->plan), &st);
    return json_pack("{s:I, s:I, s:I, s:I}", "applied", (json_int_t)st.applied, "live",
                     (json_int_t)st.live, "late", (json_int_t)st.late, "waiting",
                     (json_int_t)st.waiting);
}

static json_t *state_core(transport *t)
{
    reap(t);
    bool playing = t->player && atomic_load(&t->player->playing);
    int64_t pos = t->player ? reel_player_position(t->player) : 0;
    uint32_t rate = t->doc ? (uint32_t)json_integer_value(json_object_get(t->doc, "rate")) : 0;
    json_t *ports = json_array(), *outs = json_array();
    for (uint32_t i = 0; i < t->n_ports; i++)
        json_array_append_new(ports, json_string(t->ports[i]));
    for (uint32_t i = 0; t->jp && i < t->channels; i++)
        json_array_append_new(outs, json_string(reel_jack_player_port_name(t->jp, i)));
    /* input to output: the graph's latency and JACK's from our port onwards */
    uint32_t port_lat[2] = {0, 0};
    if (t->jp)
        reel_jack_port_latency(t->j, reel_jack_player_port_name(t->jp, 0), false, port_lat, NULL);
    char device[300];
    if (t->alsa)
        snprintf(device, sizeof device, "alsa:%s", reel_alsa_player_device(t->alsa));
    else if (t->j)
        snprintf(device, sizeof device, "jack:%s", reel_jack_client_name(t->j));
    else
        snprintf(device, sizeof device, "none");
    return json_pack("{s:s, s:I, s:I, s:I, s:b, s:s, s:s, s:s, s:I, s:f, s:I, s:I, s:i, s:o, s:o, "
                     "s:I, s:I, s:o, s:o}",
                     "device", device, "graph_latency_frames", (json_int_t)t->latency,
                     "output_latency_frames",
                     (json_int_t)(t->latency + port_lat[1]), "device_skips",
                     (json_int_t)(t->player ? atomic_load(&t->player->device_skips) : 0),
                     "playing",
                     playing, "project", t->project, "version", t->version, "timeline",
                     t->timeline, "position_frame", (json_int_t)pos, "position_seconds",
                     rate ? (double)pos / rate : 0.0, "end_frame", (json_int_t)t->end,
                     "started_device_frame",
                     (json_int_t)(t->player ? atomic_load(&t->player->started_dev) : 0), "rate",
                     (int)rate, "output_ports", outs, "connected_to", ports, "periods",
                     (json_int_t)(t->player ? atomic_load(&t->player->periods_played) : 0),
                     "device_periods",
                     (json_int_t)(t->player ? atomic_load(&t->player->periods_seen) : 0),
                     "automation", auto_json(t), "recorder", reel_auto_rec_state(t->arec));
}

/* The plan playing (the newest unit). */
static reel_compiled *playing_plan(transport *t)
{
    return t->n_units ? t->units[t->n_units - 1].c : NULL;
}

/* The watchdog's numbers (seed 003): each node's CPU time per period and
 * its longest span, against the period's duration; late commands; the
 * device's xruns (JACK) or underruns (ALSA); the frames of cycles the JACK
 * server skipped for this client. */
static json_t *telemetry_json(transport *t)
{
    json_t *nodes = json_object();
    reel_compiled *c = playing_plan(t);
    uint64_t periods = t->player ? atomic_load(&t->player->periods_played) : 0;
    uint32_t rate = t->doc ? (uint32_t)json_integer_value(json_object_get(t->doc, "rate")) : 0;
    uint32_t period = t->j ? reel_jack_buffer_size(t->j) : c ? reel_plan_block(c->plan) : 0;
    double period_us = rate ? 1e6 * period / rate : 0;
    double total_us = 0;
    for (uint32_t i = 0; c && i < c->n; i++) {
        uint64_t ns, max_ns, spans;
        reel_plan_node_cpu(c->plan, i, &ns, &max_ns, &spans);
        double per = periods ? ns / 1e3 / (double)periods : 0;
        total_us += per;
        json_object_set_new(nodes, c->id[i],
                            json_pack("{s:f, s:f, s:f, s:I}", "cpu_us_per_period", per,
                                      "max_span_us", max_ns / 1e3, "cpu_percent",
                                      period_us > 0 ? 100.0 * per / period_us : 0.0, "spans",
                                      (json_int_t)spans));
    }
    reel_auto_stats st = {0};
    if (c && reel_plan_auto(c->plan))
        reel_auto_stats_get(reel_plan_auto(c->plan), &st);
    reel_jack_stats js = {0};
    if (t->j)
        reel_jack_get_stats(t->j, &js);
    return json_pack("{s:o, s:I, s:f, s:f, s:I, s:I, s:I, s:I}", "nodes", nodes,
                     "dropped_frames", (json_int_t)js.dropped_frames, "graph_cpu_percent",
                     period_us > 0 ? 100.0 * total_us / period_us : 0.0, "period_us", period_us,
                     "late_commands", (json_int_t)st.late, "xruns", (json_int_t)js.xruns,
                     "underruns", (json_int_t)(t->alsa ? reel_alsa_player_underruns(t->alsa) : 0),
                     "device_skips",
                     (json_int_t)(t->player ? atomic_load(&t->player->device_skips) : 0));
}

/* The follow actions of the plan playing (model/follow/follow_plan.h): the
 * choices the playhead has passed (how many, the last 16), whether the
 * chain was still going at the plan's horizon. */
static json_t *follow_json(transport *t)
{
    reel_compiled *c = playing_plan(t);
    int64_t pos = t->player ? reel_player_position(t->player) : 0;
    json_t *last = json_array();
    size_t made = 0, n = c && c->follow_log ? json_array_size(c->follow_log) : 0;
    while (made < n && json_integer_value(json_object_get(json_array_get(c->follow_log, made),
                                                          "frame")) <= pos)
        made++;
    for (size_t i = made > 16 ? made - 16 : 0; i < made; i++)
        json_array_append(last, json_array_get(c->follow_log, i));
    return json_pack("{s:b, s:b, s:I, s:I, s:o}", "active", c && c->follow_log != NULL, "open",
                     c && c->follow_open, "made", (json_int_t)made, "planned", (json_int_t)n,
                     "choices", last);
}

/* The follow choices the playhead passed since the last call, as
 * "transport.follow" events (the plan's log, frame order). Under t->mu. */
static json_t *follow_passed(transport *t)
{
    reel_compiled *c = playing_plan(t);
    if (!c || !c->follow_log || !t->player || !atomic_load(&t->player->playing))
        return NULL;
    int64_t pos = reel_player_position(t->player);
    size_t n = json_array_size(c->follow_log);
    int64_t sent_frame = t->follow_sent ? json_integer_value(json_object_get(
                             json_array_get(c->follow_log, t->follow_sent - 1), "frame")) : -1;
    if (c != t->follow_c || pos < sent_frame) { /* a new plan, or a seek back: from here on */
        t->follow_c = c;
        t->follow_sent = 0;
        while (t->follow_sent < n &&
               json_integer_value(json_object_get(json_array_get(c->follow_log, t->follow_sent),
                                                  "frame")) < pos)
            t->follow_sent++;
    }
    json_t *out = NULL;
    while (t->follow_sent < n) {
        json_t *e = json_array_get(c->follow_log, t->follow_sent);
        if (json_integer_value(json_object_get(e, "frame")) > pos)
            break;
        if (!out)
            out = json_array();
        json_array_append(out, e);
        t->follow_sent++;
    }
    return out;
}

/* A script_run timeline event the playhead passed: its payload's "script"
 * (a stored script's hash) or "source" run now, on the control thread
 * (script_lua.h), with the payload's "args"; the result or the error goes
 * into the event published. */
static void script_event(transport *t, json_t *ev)
{
    json_t *pl = json_object_get(ev, "payload"), *args = json_object(), *out = NULL;
    const char *keys[] = {"script", "source", "args"};
    for (size_t k = 0; k < 3; k++)
        if (json_object_get(pl, keys[k]))
            json_object_set(args, keys[k], json_object_get(pl, keys[k]));
    reel_error e;
    reel_error_clear(&e);
    if (reel_service_run_op(t->service, "script_run", args, "timeline", &out, &e))
        json_object_set_new(ev, "error", json_string(e.msg));
    else
        json_object_set(ev, "result", json_object_get(out, "result"));
    json_decref(out);
    json_decref(args);
}

/* At every poll: the follow choices just passed; about once a second while
 * playing: the telemetry, on /api/events (a tick must not wait: skipped
 * while an op holds the transport). */
static void telemetry_tick(reel_service *s, void *ud)
{
    transport *t = ud;
    (void)s;
    if (pthread_mutex_trylock(&t->mu) != 0)
        return;
    json_t *passed = follow_passed(t), *ev = NULL;
    int64_t now = now_ns();
    if (now - t->telemetry_ns >= 1000000000LL && t->player && atomic_load(&t->player->playing)) {
        t->telemetry_ns = now;
        ev = telemetry_json(t);
        json_object_set_new(ev, "project", json_string(t->project));
        json_object_set_new(ev, "position_frame",
                            json_integer((json_int_t)reel_player_position(t->player)));
    }
    char project[REEL_PROJECT_ID_MAX];
    snprintf(project, sizeof project, "%s", t->project);
    pthread_mutex_unlock(&t->mu);
    size_t i;
    json_t *e;
    json_array_foreach(passed, i, e) {
        json_t *o = json_deep_copy(e);
        if (o && strcmp(json_string_value(json_object_get(o, "type")) ?: "", "script_run") == 0)
            script_event(t, o);
        if (o) {
            json_object_set_new(o, "project", json_string(project));
            reel_service_publish(t->service, json_object_get(o, "event") ? "timeline.event"
                                                                        : "transport.follow", o);
        }
        json_decref(o);
    }
    json_decref(passed);
    if (ev)
        reel_service_publish(t->service, "transport.telemetry", ev);
    json_decref(ev);
}

static json_t *state_json(transport *t)
{
    json_t *o = state_core(t);
    json_object_set_new(o, "telemetry", telemetry_json(t));
    json_object_set_new(o, "mappings", reel_map_live_state(t->maps));
    json_object_set_new(o, "follow", follow_json(t));
    return o;
}

reel_map_live *reel_transport_maps(reel_service *s)
{
    transport *t = reel_service_state(s, &transport_ops);
    return t ? t->maps : NULL;
}

int reel_transport_controller(reel_service *s, reel_error *err)
{
    transport *t = reel_service_state(s, &transport_ops);
    if (!t)
        return reel_error_set(err, REEL_ESTATE, "no transport in this service");
    pthread_mutex_lock(&t->mu);
    int rc = ensure_client(t, err);
    if (!rc && !reel_map_live_attached(t->maps))
        rc = reel_map_live_attach(t->maps, t->j, err);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* ---- the automation recorder's passes (auto_record.h) ----------------------- */

static int arec_commit(void *ud, json_t *args, json_t **out, reel_error *err)
{
    reel_op_ctx *x = ud;
    return reel_service_run_op(x->service, "lane_write", args, x->origin, out, err);
}

/* End the pass (t->mu held) at `frame` and add what it wrote to `reply`
 * ("recorded"); a commit that fails keeps the pass and is reported. */
static void arec_end(reel_op_ctx *x, transport *t, int64_t frame, json_t *reply)
{
    json_t *report = NULL;
    reel_error e;
    int rc = reel_auto_rec_pass_end(t->arec, frame, arec_commit, x, &report, &e);
    if (rc) {
        json_decref(t->arec_failed);
        t->arec_failed = json_pack("{s:s, s:i}", "error", e.msg, "code", rc);
        reel_log_error("transport", "automation recorder: a pass was not committed: %s", e.msg);
    }
    if (reply && report && json_array_size(report))
        json_object_set(reply, "recorded", report);
    json_decref(report);
}

/* Passes a process that died left in journals, committed at the first
 * transport op after the restart (once), reported in `reply` as
 * "recovered". */
static void arec_recover(reel_op_ctx *x, transport *t, json_t *reply)
{
    if (t->arec_recovered)
        return;
    t->arec_recovered = true;
    json_t *report = NULL;
    reel_error e;
    if (reel_auto_rec_recover(t->arec, arec_commit, x, &report, &e)) {
        t->arec_recovered = false; /* tried again at the next op */
        reel_log_error("transport", "automation recorder: a journal was not recovered: %s",
                       e.msg);
    }
    if (report && json_array_size(report)) {
        reel_log_warn("transport", "automation recorder: recovered %zu pass(es) a stopped "
                      "process left", json_array_size(report));
        if (reply)
            json_object_set(reply, "recovered", report);
    }
    json_decref(report);
}

/* A pass starts at `frame`. */
static void arec_start(transport *t, int64_t frame)
{
    reel_auto_rec_pass_start(t->arec, frame);
    reel_auto_rec_pass_wraps(t->arec, atomic_load(&t->player->loop_wraps));
}

/* The playhead went back to the loop's start since the pass began: that
 * pass ends at the loop's end, the next begins at its start. */
static void arec_wrap(reel_op_ctx *x, transport *t, json_t *reply)
{
    uint64_t w = atomic_load(&t->player->loop_wraps);
    if (!reel_auto_rec_wrapped(t->arec, w))
        return;
    arec_end(x, t, atomic_load(&t->player->loop_to), reply);
    arec_start(t, atomic_load(&t->player->loop_from));
    reel_auto_rec_pass_wraps(t->arec, w);
}

static int op_transport_play(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = reel_service_state(x->service, &transport_ops);
    if (!t)
        return reel_error_set(err, REEL_ESTATE, "the transport is not running");
    const char *id = reel_arg_str(args, "project", "");
    reel_project_version f;
    int rc = reel_project_version_get(reel_store_db(x->st), id,
                                      reel_arg_str(args, "version", NULL), &f, err);
    if (rc)
        return rc;
    json_t *doc;
    if ((rc = reel_project_load(x->st, f.version, &doc, err)))
        return rc;
    const char *tl_id = reel_arg_str(args, "timeline", NULL);
    json_t *tls = json_object_get(doc, "timelines");
    json_t *tl = tl_id ? reel_project_find(tls, tl_id, NULL) : json_array_get(tls, 0);
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(doc, "rate"));
    unit u = {0};
    pthread_mutex_lock(&t->mu);
    /* JACK when a server runs; else ALSA (REEL_ALSA_DEVICE, or "default") */
    bool alsa = t->alsa != NULL;
    if (!alsa && (rc = ensure_client(t, err)) == REEL_EDEVICE && !t->j) {
        alsa = true;
        rc = REEL_OK;
    }
    if (rc)
        goto out;
    uint32_t jrate = alsa ? rate : reel_jack_sample_rate(t->j);
    uint32_t period = alsa ? 256 : reel_jack_buffer_size(t->j);
    if (jrate != rate) {
        rc = reel_error_set(err, REEL_EFORMAT, "project %.64s runs at %u Hz, the JACK server at "
                            "%u Hz", id, rate, jrate);
        goto out;
    }
    int64_t from = 0;
    json_t *fj = json_object_get(args, "from");
    if (fj && (rc = reel_project_pos_frames(doc, tl, json_number_value(fj), &from, err)))
        goto out;
    const char *node = reel_arg_str(args, "node", NULL);
    const char *tlid = json_string_value(json_object_get(tl, "id")) ?: "";
    /* The version playing again (same timeline and output): no new plan, so
     * what node_param_set changed stays; another version is compiled and
     * swapped in, its document the truth. */
    bool same = (t->jp || t->alsa) && t->n_units > 0 && strcmp(t->version, f.version) == 0 &&
                strcmp(t->timeline, tlid) == 0 && strcmp(t->node, node ? node : "") == 0;
    if (!same) {
        uint32_t block = period && period <= REEL_PLAN_BLOCK_MAX ? period : 1024;
        if ((rc = reel_source_cache_new(x->st, rate, &u.cache, err)) ||
            (rc = reel_graph_compile(doc, tl_id, node, block, 0, u.cache, &u.c, err)))
            goto out;
        reel_plan_timing(u.c->plan, true); /* per-node CPU time for the watchdog */
        uint32_t ch = reel_plan_node_channels(u.c->plan, u.c->output);
        if ((rc = alsa ? ensure_alsa_player(t, ch, err) : ensure_player(t, ch, err)))
            goto out;
    }
    json_t *ports = json_object_get(args, "ports");
    const char *out_id = same ? t->out_id : u.c->id[u.c->output];
    if (!ports) { /* the output node's own "ports", if it names any */
        size_t i;
        json_t *n;
        json_array_foreach(json_object_get(json_object_get(doc, "graph"), "nodes"), i, n)
            if (strcmp(json_string_value(json_object_get(n, "id")) ?: "", out_id) == 0)
                ports = json_object_get(n, "ports");
    }
    if (!alsa && (rc = connect_ports(t, ports, err)))
        goto out;
    if (!same) {
        int64_t end = u.c->end;
        uint32_t latency = u.c->latency;
        char oid[64];
        snprintf(oid, sizeof oid, "%s", out_id);
        if ((rc = swap_in(t, &u, err)))
            goto out;
        memset(&u, 0, sizeof u); /* the transport's now */
        snprintf(t->project, sizeof t->project, "%s", id);
        snprintf(t->version, sizeof t->version, "%s", f.version);
        snprintf(t->timeline, sizeof t->timeline, "%s", tlid);
        snprintf(t->node, sizeof t->node, "%s", node ? node : "");
        snprintf(t->out_id, sizeof t->out_id, "%s", oid);
        json_decref(t->doc);
        t->doc = json_incref(doc);
        t->end = end;
        t->latency = latency;
    }
    if (alsa && !t->alsa) {
        const char *dev = getenv("REEL_ALSA_DEVICE");
        if ((rc = reel_alsa_player_open(dev && *dev ? dev : "default", rate, period, t->player,
                                        &t->alsa, err)))
            goto out;
    }
    /* the timeline's loop region, if it has one, plays as a loop */
    json_t *ltl = reel_project_find(json_object_get(t->doc, "timelines"), t->timeline, NULL);
    json_t *loop = json_object_get(ltl, "loop");
    int64_t lf = 0, lt = 0;
    if (loop && (reel_project_pos_frames(t->doc, ltl, json_number_value(json_object_get(loop,
                                                                                      "from")),
                                         &lf, err) ||
                 reel_project_pos_frames(t->doc, ltl, json_number_value(json_object_get(loop,
                                                                                      "to")),
                                         &lt, err))) {
        rc = err->code;
        goto out;
    }
    /* a loop or an end of this play only (play_marker_segment), positions
     * on the timeline played */
    json_t *lj = json_object_get(args, "loop"), *tj = json_object_get(args, "to");
    int64_t stop = -1;
    if (lj && ((rc = reel_project_pos_frames(t->doc, ltl, json_number_value(json_object_get(
                                                               lj, "from")), &lf, err)) ||
               (rc = reel_project_pos_frames(t->doc, ltl, json_number_value(json_object_get(
                                                               lj, "to")), &lt, err))))
        goto out;
    if (lj && lt <= lf) {
        rc = reel_error_set(err, REEL_ERANGE, "the loop's end (frame %lld) is not after its "
                            "start (frame %lld)", (long long)lt, (long long)lf);
        goto out;
    }
    if (tj && (rc = reel_project_pos_frames(t->doc, ltl, json_number_value(tj), &stop, err)))
        goto out;
    if (tj && stop <= (fj ? from : reel_player_position(t->player))) {
        rc = reel_error_set(err, REEL_ERANGE, "\"to\" (frame %lld) is not after where the "
                            "play starts", (long long)stop);
        goto out;
    }
    reel_player_loop(t->player, lf, lt);
    reel_player_stop_at(t->player, stop);
    json_t *recorded = json_object();
    arec_recover(x, t, recorded);
    bool was = atomic_load(&t->player->playing);
    if (was && (fj || !same))
        arec_end(x, t, reel_player_position(t->player), recorded);
    if (fj || !same)
        reel_player_seek(t->player, from);
    reel_player_play(t->player, true);
    if (!was || fj || !same)
        arec_start(t, fj || !same ? from : reel_player_position(t->player));
    reel_map_live_load(t->maps, t->project, t->doc); /* this version's mappings in force */
    *out = state_json(t);
    json_object_set_new(*out, "playing", json_true());
    json_object_update(*out, recorded);
    json_decref(recorded);
out:
    pthread_mutex_unlock(&t->mu);
    if (u.c || u.cache)
        unit_free(&u);
    json_decref(doc);
    return rc;
}

static transport *playing_or_fail(reel_op_ctx *x, reel_error *err)
{
    transport *t = reel_service_state(x->service, &transport_ops);
    if (!t || !t->player) {
        reel_error_set(err, REEL_ESTATE, "nothing is loaded: transport_play a project first");
        return NULL;
    }
    return t;
}

/* Takes need the JACK client capture and playback share (its frame clock,
 * its port latencies); playback through ALSA has neither. */
static transport *jack_playing_or_fail(reel_op_ctx *x, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (t && (!t->j || !t->jp)) {
        reel_error_set(err, REEL_ESTATE, "recording into a timeline needs playback through "
                                         "JACK (the transport plays to %s)",
                       t->alsa ? "ALSA" : "no device");
        return NULL;
    }
    return t;
}

static int op_transport_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    transport *t = reel_service_state(x->service, &transport_ops);
    if (!t)
        return reel_error_set(err, REEL_ESTATE, "the transport is not running");
    pthread_mutex_lock(&t->mu);
    if (t->player) {
        reel_player_play(t->player, false);
        reel_player_stop_at(t->player, -1);
    }
    *out = state_json(t);
    json_object_set_new(*out, "playing", json_false());
    if (t->player) {
        arec_wrap(x, t, *out);
        arec_end(x, t, reel_player_position(t->player), *out);
    }
    pthread_mutex_unlock(&t->mu);
    return REEL_OK;
}

static int op_transport_seek(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (!t)
        return err->code;
    pthread_mutex_lock(&t->mu);
    json_t *tl = reel_project_find(json_object_get(t->doc, "timelines"), t->timeline, NULL);
    const char *marker = reel_arg_str(args, "marker", NULL);
    json_t *to = json_object_get(args, "to");
    int rc = REEL_OK;
    double at = 0;
    if (marker) {
        json_t *m = reel_project_find(json_object_get(tl, "markers"), marker, NULL);
        if (!m)
            rc = reel_error_set(err, REEL_ENOENT, "no marker '%.64s' on timeline %s", marker,
                                t->timeline);
        else
            at = json_number_value(json_object_get(m, "at"));
    } else if (to) {
        at = json_number_value(to);
    } else {
        rc = reel_error_set(err, REEL_EINVAL, "transport_seek needs \"to\" or \"marker\"");
    }
    int64_t frame = 0;
    if (!rc && !(rc = reel_project_pos_frames(t->doc, tl, at, &frame, err))) {
        json_t *recorded = json_object();
        bool playing = atomic_load(&t->player->playing);
        if (playing) /* Ardour: a locate ends the pass; a new one starts where it lands */
            arec_end(x, t, reel_player_position(t->player), recorded);
        reel_player_seek(t->player, frame);
        if (playing)
            arec_start(t, frame);
        *out = state_json(t);
        json_object_update(*out, recorded);
        json_decref(recorded);
        json_object_set_new(*out, "position_frame", json_integer((json_int_t)frame));
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Has the transport reached what the caller waits for (t->mu held)? */
static bool reached(transport *t, json_t *args)
{
    json_t *uf = json_object_get(args, "until_frame"), *up = json_object_get(args, "until_periods");
    if (!uf && !up)
        return true;
    if (!t->player)
        return false;
    if (uf && (!atomic_load(&t->player->playing) ||
               reel_player_position(t->player) < (int64_t)json_integer_value(uf)))
        return false;
    if (up && atomic_load(&t->player->periods_seen) < (uint64_t)json_integer_value(up))
        return false;
    return true;
}

/* The state, at once, or once the transport plays at or past `until_frame` and/or
 * the device ran the player `until_periods` periods in all (a script's way
 * to act at a point of the timeline without polling), within `timeout`
 * seconds (default 10): REEL_ESTATE if not. */
static int op_transport_state(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = reel_service_state(x->service, &transport_ops);
    if (!t)
        return reel_error_set(err, REEL_ESTATE, "the transport is not running");
    json_t *tj = json_object_get(args, "timeout");
    int64_t deadline = now_ns() + (int64_t)((tj ? json_number_value(tj) : 10.0) * 1e9);
    pthread_mutex_lock(&t->mu);
    while (!reached(t, args)) {
        pthread_mutex_unlock(&t->mu);
        if (now_ns() > deadline) {
            pthread_mutex_lock(&t->mu);
            json_t *st = state_json(t);
            pthread_mutex_unlock(&t->mu);
            char *txt = st ? json_dumps(st, JSON_COMPACT) : NULL;
            int rc = reel_error_set(err, REEL_ESTATE, "the transport did not reach %s%s within "
                                    "the timeout: %.300s",
                                    json_object_get(args, "until_frame") ? "until_frame" : "",
                                    json_object_get(args, "until_periods") ? " until_periods"
                                                                            : "",
                                    txt ? txt : "");
            free(txt);
            json_decref(st);
            return rc;
        }
        struct timespec d = {0, 1000000}; /* 1 ms: a period is at least 1.3 ms at 48 kHz/64 */
        nanosleep(&d, NULL);
        pthread_mutex_lock(&t->mu);
    }
    *out = state_json(t);
    if (*out)
        arec_recover(x, t, *out);
    pthread_mutex_unlock(&t->mu);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

/* A parameter of the graph playing, changed in place: the plan's own
 * atomics (gain, pan, mute, solo of a track or bus) or a plugin's control
 * input. Every plan still alive gets it, so a swap in flight keeps it. */
static int op_node_param_set(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (!t)
        return err->code;
    const char *node = reel_arg_str(args, "node", "");
    const char *param = reel_arg_str(args, "param", "");
    json_t *vj = json_object_get(args, "value");
    double v = json_number_value(vj);
    static const char *const builtin[] = {"gain", "pan", "mute", "solo"};
    int which = -1;
    for (int k = 0; k < 4; k++)
        if (strcmp(param, builtin[k]) == 0)
            which = k;
    int rc = REEL_OK;
    pthread_mutex_lock(&t->mu);
    reap(t);
    bool found = false;
    for (size_t u = 0; u < t->n_units && !rc; u++) {
        reel_compiled *c = t->units[u].c;
        int i = reel_compiled_find(c, node);
        if (i < 0)
            continue;
        found = true;
        if (c->plugin[i]) {
            rc = reel_lv2_param_set(c->plugin[i], node, param, v, err);
        } else if (which < 0 || c->kind[i] == REEL_PLAN_OUTPUT) {
            rc = reel_error_set(err, REEL_EINVAL, "node '%.64s' has no parameter '%.64s' (a "
                                "track or bus has gain, pan, mute and solo)", node, param);
        } else if ((which == 0 && !(v >= 0 && v <= 16)) || (which == 1 && !(v >= -1 && v <= 1))) {
            rc = reel_error_set(err, REEL_ERANGE, "%.64s:%s = %g is out of range (%s)", node,
                                param, v, which == 0 ? "0..16" : "-1..1");
        } else {
            reel_plan_param_set(c->plan, (uint32_t)i, (reel_plan_param)which, (float)v);
        }
    }
    if (!rc && !found)
        rc = reel_error_set(err, REEL_ENOENT, "no node '%.64s' in the graph playing", node);
    if (!rc)
        *out = json_pack("{s:s, s:s, s:f}", "node", node, "param", param, "value", v);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* A live automation command into the graph playing: parsed and range-checked
 * as a lane's command is (lane_doc.h), pushed into each live plan's queue
 * (rt/plan_auto.h) for its frame; without a time, the next frame to play. */
static int op_automation_schedule(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (!t)
        return err->code;
    const char *target = reel_arg_str(args, "target", "");
    const char *src = reel_arg_str(args, "source", "op");
    uint16_t source = strcmp(src, "osc") == 0 ? 2 : strcmp(src, "midi") == 0 ? 3
                                                : strcmp(src, "web") == 0 ? 4 : 1;
    pthread_mutex_lock(&t->mu);
    reap(t);
    int rc = REEL_OK;
    bool found = false;
    reel_cmd cmd;
    json_t *ev = json_deep_copy(args);
    json_t *tl = reel_project_find(json_object_get(t->doc, "timelines"), t->timeline, NULL);
    int64_t now = reel_player_position(t->player);
    if (!json_object_get(ev, "frame") && !json_object_get(ev, "at"))
        json_object_set_new(ev, "frame", json_integer(now));
    for (size_t u = 0; u < t->n_units && !rc; u++) {
        reel_compiled *c = t->units[u].c;
        uint32_t slot;
        reel_auto_range range;
        if (!reel_plan_auto(c->plan) || reel_compiled_target(c, target, &slot, &range, err))
            continue;
        found = true;
        if ((rc = reel_lane_cmd_parse(t->doc, tl, ev, &range, &cmd, err)))
            break;
        cmd.slot = slot;
        cmd.source = source;
        rc = reel_auto_push(reel_plan_auto(c->plan), &cmd, err);
    }
    json_decref(ev);
    json_t *recorded = json_object();
    if (!rc && found && reel_auto_rec_any(t->arec) && atomic_load(&t->player->playing)) {
        arec_wrap(x, t, recorded);
        json_t *tj = json_object_get(args, "touch");
        /* a controller's message is recorded where the playhead was when it came in */
        reel_cmd rcmd = cmd;
        int64_t at;
        json_t *df = json_object_get(args, "device_frame");
        if (df && !reel_player_pos_at_past(t->player, (uint64_t)json_integer_value(df), &at,
                                           NULL))
            rcmd.frame = at;
        rc = reel_auto_rec_command(t->arec, target, &rcmd, tj ? json_is_true(tj) : -1, err);
    }
    if (!rc && !found)
        rc = reel_error_set(err, REEL_ENOENT, "automation target '%.200s' is not in the graph "
                            "playing", target);
    if (!rc) {
        *out = reel_lane_cmd_json(&cmd);
        json_object_set_new(*out, "target", json_string(target));
        json_object_set_new(*out, "position_frame", json_integer(now));
        json_object_update(*out, recorded);
    }
    json_decref(recorded);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The values of targets of the graph playing, now: every target, or those
 * asked for (one that is not in the graph is refused, named). */
static int op_param_values(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (!t)
        return err->code;
    pthread_mutex_lock(&t->mu);
    reap(t);
    int rc = REEL_OK;
    json_t *vals = json_object(), *want = json_object_get(args, "targets");
    reel_compiled *c = t->n_units ? t->units[t->n_units - 1].c : NULL;
    reel_auto *a = c ? reel_plan_auto(c->plan) : NULL;
    if (!a) {
        rc = reel_error_set(err, REEL_ESTATE, "the graph playing has no automation targets");
    } else if (want) {
        size_t i;
        json_t *w;
        json_array_foreach(want, i, w) {
            uint32_t slot;
            if ((rc = reel_compiled_target(c, json_string_value(w), &slot, NULL, err)))
                break;
            json_object_set_new(vals, json_string_value(w),
                                reel_auto_value_json(reel_auto_slot_value(a, c->plan, slot)));
        }
    } else {
        for (size_t i = 0; i < c->n_target; i++)
            json_object_set_new(vals, c->target[i].name,
                                reel_auto_value_json(
                                    reel_auto_slot_value(a, c->plan, c->target[i].slot)));
    }
    json_t *ranges = NULL;
    if (!rc && reel_arg_bool(args, "ranges", false)) { /* {target: [lo, hi, toggle]} */
        ranges = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(vals, k, v) {
            uint32_t slot;
            reel_auto_range r;
            if (!reel_compiled_target(c, k, &slot, &r, err))
                json_object_set_new(ranges, k, json_pack("[f, f, b]", r.lo, r.hi, r.toggle));
        }
    }
    if (!rc) {
        uint32_t rate = (uint32_t)json_integer_value(json_object_get(t->doc, "rate"));
        *out = json_pack("{s:o, s:s, s:s, s:s, s:I, s:b, s:i}", "values", vals, "project",
                         t->project, "version", t->version, "timeline", t->timeline,
                         "position_frame", (json_int_t)reel_player_position(t->player),
                         "playing", atomic_load(&t->player->playing), "rate", (int)rate);
        vals = NULL;
        if (ranges)
            json_object_set_new(*out, "ranges", ranges);
        ranges = NULL;
    }
    json_decref(ranges);
    json_decref(vals);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Arm (or disarm) a lane of the version playing for the automation recorder. */
static int op_record_arm(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = playing_or_fail(x, err);
    if (!t)
        return err->code;
    pthread_mutex_lock(&t->mu);
    const char *lane = reel_arg_str(args, "lane", "");
    int rc;
    if (!reel_arg_bool(args, "on", true)) {
        rc = reel_auto_rec_disarm(t->arec, lane, err);
    } else {
        json_t *tl = reel_project_find(json_object_get(t->doc, "timelines"), t->timeline, NULL);
        uint32_t rate = (uint32_t)json_integer_value(json_object_get(t->doc, "rate"));
        reel_auto_arm a = {.project = t->project, .lane = lane, .doc = t->doc, .punch_from = -1,
                           .punch_to = -1,
                           .touch_timeout = (int64_t)((json_object_get(args, "touch_timeout")
                                                           ? json_number_value(json_object_get(
                                                                 args, "touch_timeout"))
                                                           : 0.5) *
                                                      rate),
                           .quantize = reel_arg_int(args, "quantize_frames", 0),
                           .at = atomic_load(&t->player->playing)
                                     ? reel_player_position(t->player)
                                     : -1};
        json_t *pf = json_object_get(args, "punch_from"), *pt = json_object_get(args, "punch_to");
        rc = REEL_OK;
        if (pf)
            rc = reel_project_pos_frames(t->doc, tl, json_number_value(pf), &a.punch_from, err);
        if (!rc && pt)
            rc = reel_project_pos_frames(t->doc, tl, json_number_value(pt), &a.punch_to, err);
        json_t *l = reel_lane_find(t->doc, lane);
        const char *ltl = l ? json_string_value(json_object_get(l, "timeline")) : NULL;
        if (!rc && l && (!ltl || strcmp(ltl, t->timeline) != 0))
            rc = reel_error_set(err, REEL_ESTATE, "lane %s is on timeline %s, the transport "
                                "plays %s", lane, ltl ? ltl : "?", t->timeline);
        if (!rc)
            rc = reel_auto_rec_arm(t->arec, &a, err);
    }
    if (!rc)
        *out = reel_auto_rec_state(t->arec);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* ---- recording into the timeline ------------------------------------------- */

/* The newest head of `uri`, recording. */
static int stream_head(reel_op_ctx *x, const char *uri, reel_control_stream_info *in,
                       reel_error *err)
{
    if (!x->control)
        return reel_error_set(err, REEL_ESTATE, "recording into a timeline needs `reel serve` "
                                                "recording the input");
    int rc = reel_control_stream_get(x->control, uri, in, err);
    if (rc)
        return rc;
    if (!in->recording || !in->have_head)
        return reel_error_set(err, REEL_ESTATE, "stream %.200s is not recording", uri);
    return REEL_OK;
}

/* The JACK input port a take of `uri` is recorded from, for its latency:
 * "port" of the op, else the stream's first port as the JACK source names
 * it (<client>:<stream name>_1). */
static void rec_port_set(transport *t, json_t *args, const char *uri)
{
    const char *tail = strrchr(uri, '/');
    if (json_object_get(args, "port"))
        snprintf(t->rec_port, sizeof t->rec_port, "%s", reel_arg_str(args, "port", ""));
    else
        snprintf(t->rec_port, sizeof t->rec_port, "%s:%s_1", reel_jack_client_name(t->j),
                 tail ? tail + 1 : uri);
}

static int op_track_record_start(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = jack_playing_or_fail(x, err);
    if (!t)
        return err->code;
    const char *uri = reel_arg_str(args, "stream", "");
    reel_control_stream_info in;
    int rc = stream_head(x, uri, &in, err);
    if (rc)
        return rc;
    if (in.def.kind != REEL_STREAM_AUDIO)
        return reel_error_set(err, REEL_EINVAL, "stream %.200s is not audio", uri);
    pthread_mutex_lock(&t->mu);
    if (!atomic_load(&t->player->playing)) {
        rc = reel_error_set(err, REEL_ESTATE, "the transport is not playing: transport_play "
                                              "first");
    } else if (t->recording) {
        rc = reel_error_set(err, REEL_ESTATE, "already recording %s into track %s",
                            t->rec_stream, t->rec_track);
    } else {
        t->recording = true;
        snprintf(t->rec_project, sizeof t->rec_project, "%s", reel_arg_str(args, "project", ""));
        snprintf(t->rec_track, sizeof t->rec_track, "%s", reel_arg_str(args, "track", ""));
        snprintf(t->rec_stream, sizeof t->rec_stream, "%s", uri);
        rec_port_set(t, args, uri);
        t->rec_start = in.head.frames;
        *out = json_pack("{s:s, s:s, s:s, s:I}", "project", t->rec_project, "track",
                         t->rec_track, "stream", uri, "from_frame", (json_int_t)t->rec_start);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The round trip from the player's ports to the take's input port, in
 * frames: JACK's playback latency of the output, its capture latency of the
 * input, and one period when the input is fed inside this client (a period
 * reads its inputs before the player writes its outputs). */
static int round_trip(transport *t, uint32_t *frames, reel_error *err)
{
    uint32_t out_l[2] = {0, 0}, in_l[2] = {0, 0};
    bool own = false;
    int rc = reel_jack_port_latency(t->j, reel_jack_player_port_name(t->jp, 0), false, out_l, err);
    if (!rc)
        rc = reel_jack_port_latency(t->j, t->rec_port, true, in_l, err);
    if (!rc)
        rc = reel_jack_port_fed_by_self(t->j, t->rec_port, &own, err);
    if (!rc)
        *frames = out_l[1] + in_l[1] + (own ? reel_jack_buffer_size(t->j) : 0);
    return rc;
}

/* Place frames [from, to) of stream `uri` (recording: `in` is its head) on
 * `track` of `project` where the transport played them: stream frame ->
 * device frame (the head's clock pairing; capture and playback share one
 * frame clock) -> the position the player was at then, minus the round
 * trip. One new version (take_place). Called with t->mu held. */
static int place_take(reel_op_ctx *x, transport *t, const char *project, const char *track,
                      const char *uri, const reel_control_stream_info *in, uint64_t from,
                      uint64_t to, json_t **out, reel_error *err)
{
    json_t *place_args = NULL, *placed = NULL;
    int rc = REEL_OK;
    if (to <= from)
        return reel_error_set(err, REEL_ERANGE, "the take is empty: [%llu, %llu) of %s",
                              (unsigned long long)from, (unsigned long long)to, uri);
    if (from > in->head.clock_frame + (uint64_t)in->def.sample_rate * 3600)
        return reel_error_set(err, REEL_ERANGE, "frame %llu of %s is past its head",
                              (unsigned long long)from, uri);
    uint64_t dev = in->head.device_frame + from - in->head.clock_frame;
    int64_t pos;
    uint32_t lat;
    if ((rc = reel_player_pos_at_past(t->player, dev, &pos, err)) ||
        (rc = round_trip(t, &lat, err)))
        return rc;
    int64_t placed_at = pos - (int64_t)lat;
    if (placed_at < 0)
        return reel_error_set(err, REEL_ERANGE, "the take starts %lld frames before the "
                              "timeline does", (long long)-placed_at);
    json_t *tl = reel_project_find(json_object_get(t->doc, "timelines"), t->timeline, NULL);
    double at = reel_project_pos_after(t->doc, tl, 0, placed_at);
    char fs[32], ts[32];
    snprintf(fs, sizeof fs, "#%llu", (unsigned long long)from);
    snprintf(ts, sizeof ts, "#%llu", (unsigned long long)to);
    place_args = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "stream", uri, "from", fs,
                           "to", ts, "project", project, "track", track, "timeline",
                           t->timeline, "at", at);
    if (!place_args)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if ((rc = reel_service_run_op(x->service, "take_place", place_args, x->origin, &placed,
                                  err)))
        goto out;
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(t->doc, "rate"));
    *out = json_pack("{s:O, s:O, s:O, s:I, s:I, s:I, s:I, s:f, s:f, s:I}", "clip",
                     json_object_get(placed, "clip"), "slice", json_object_get(placed, "slice"),
                     "version", json_object_get(placed, "version"), "from_frame",
                     (json_int_t)from, "to_frame", (json_int_t)to, "play_position_frame",
                     (json_int_t)pos, "latency_frames", (json_int_t)lat, "latency_ms",
                     rate ? 1000.0 * lat / rate : 0.0, "latency_compensated_play_position", at,
                     "latency_compensated_play_frame", (json_int_t)placed_at);
    if (!*out)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
out:
    json_decref(place_args);
    json_decref(placed);
    return rc;
}

/* A take after the fact: a window of a stream recorded while the
 * transport played (time specs as for slices), placed where it was played. */
static int op_track_record_place(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    transport *t = jack_playing_or_fail(x, err);
    if (!t)
        return err->code;
    const char *uri = reel_arg_str(args, "stream", "");
    reel_control_stream_info in;
    int rc = stream_head(x, uri, &in, err);
    if (rc)
        return rc;
    reel_timespec tf, tt;
    if ((rc = reel_timespec_parse(reel_arg_str(args, "from", ""), &tf, err)) ||
        (rc = reel_timespec_parse(reel_arg_str(args, "to", ""), &tt, err)))
        return rc;
    reel_stream_view v;
    if ((rc = reel_store_stream_open(x->st, uri, &v, err)))
        return rc;
    int64_t from = 0, to = 0;
    rc = reel_slice_resolve(x->st, uri, &tf, &v.manifest, reel_store_cas(x->st), &from, err);
    if (!rc)
        rc = reel_slice_resolve(x->st, uri, &tt, &v.manifest, reel_store_cas(x->st), &to, err);
    reel_stream_view_free(&v);
    if (rc)
        return rc;
    if (from < 0 || to < 0)
        return reel_error_set(err, REEL_ERANGE, "the window starts before the stream does");
    pthread_mutex_lock(&t->mu);
    rec_port_set(t, args, uri);
    rc = place_take(x, t, reel_arg_str(args, "project", ""), reel_arg_str(args, "track", ""), uri,
                    &in, (uint64_t)from, (uint64_t)to, out, err);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static int op_track_record_stop(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    (void)args;
    transport *t = jack_playing_or_fail(x, err);
    if (!t)
        return err->code;
    pthread_mutex_lock(&t->mu);
    int rc = REEL_OK;
    reel_control_stream_info in;
    if (!t->recording) {
        rc = reel_error_set(err, REEL_ESTATE, "not recording: track_record_start first");
        goto out;
    }
    t->recording = false;
    if ((rc = stream_head(x, t->rec_stream, &in, err)))
        goto out;
    rc = place_take(x, t, t->rec_project, t->rec_track, t->rec_stream, &in, t->rec_start,
                    in.head.frames, out, err);
out:
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static const reel_op ops[] = {
    {"track_record_place",
     "Place a take after the fact: a window of a stream recorded while the transport played "
     "(time specs), put on a track where it was played (frame clock and round trip).",
     REEL_OP_CONTROL, op_track_record_place},
    {"track_record_start",
     "While the transport plays, start a take of a recording stream into a track (the stream "
     "never stops; the take is its window).",
     REEL_OP_CONTROL, op_track_record_start},
    {"track_record_stop",
     "End the take: its stream window becomes a clip (no copy) placed by the shared frame "
     "clock and the round-trip latency.",
     REEL_OP_CONTROL, op_track_record_stop},
    {"node_param_set",
     "Change a parameter of the graph playing at once, without rebuilding it: gain, pan, mute "
     "or solo of a track or bus node, or an LV2 plugin node's control input by symbol.",
     0, op_node_param_set},
    {"automation_schedule",
     "Schedule a command on the graph playing (scheduleAutomation): set, ramp (curve) or "
     "trigger of a target at a frame or timeline position (default: the next frame played); "
     "applied on its exact frame, or at the next period and counted late.",
     0, op_automation_schedule},
    {"param_values",
     "The current values of the graph playing's parameters (every automation target, or "
     "those asked for): what automation, mappings and live changes have set.",
     0, op_param_values},
    {"record_arm",
     "Arm a lane of the version playing for the automation recorder (its mode: write, touch, "
     "latch or overdub; punch range, touch timeout, quantize), or disarm it (on: false). Each "
     "pass (play to stop, seek, loop wrap) commits one lane_write.",
     0, op_record_arm},
    {"transport_play",
     "Play a project version (default: the head) through its graph to JACK from a timeline "
     "position; while playing, a new version is swapped in at a period boundary.",
     0, op_transport_play},
    {"transport_stop", "Stop playback (the position stays).", 0, op_transport_stop},
    {"transport_seek", "Move the playhead to a timeline position or a marker.", 0,
     op_transport_seek},
    {"transport_state",
     "The transport: playing, position, the version playing, its JACK ports and connections.", 0,
     op_transport_state},
};

static const reel_op_table transport_ops = {
    .name = "transport",
    .order = 14,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
    .init = transport_init,
    .fini = transport_fini,
    .detach = transport_detach,
};
REEL_OP_TABLE(transport_ops);
