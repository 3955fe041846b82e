/*
 * mapping_live.c — controller mappings at work: ports, dispatcher,
 * feedback, pickup, learn (see mapping_live.h).
 */
#include "render/engine/mapping_live.h"

#include "core/log.h"

#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAPS_MAX 256
#define DRAIN_MAX 4096           /* messages taken per millisecond at most */
#define TICK_NS 1000000L         /* the dispatcher's period */
#define FEEDBACK_TICKS 20        /* feedback every 20 ms */
#define PICKUP_WINDOW 0.02       /* a position this close to the value catches it */
#define FEEDBACK_STEP (1.0 / 254) /* a move smaller than half a MIDI step is not sent */

typedef struct live_map {
    reel_mapping m;
    bool ranged;   /* lo, hi: the target's range, from the graph playing */
    double lo, hi;
    bool toggle;
    double last_x; /* the controller's last position; < 0 none yet */
    double last_v; /* the value this controller set or was last shown; NaN none */
    bool caught;   /* pickup: the controller's position is the parameter's */
    bool pend;     /* a position waits to be applied */
    double pend_x;
    int pend_touch;
    uint64_t pend_dev;
    bool fire;     /* an action waits */
    char reply[160]; /* OSC feedback goes here */
} live_map;

struct reel_map_live {
    reel_service *service;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    reel_jack *j;
    reel_jack_ctl *ctl;
    reel_map_midi_state midi;
    char project[128];
    live_map maps[MAPS_MAX];
    size_t n;
    uint64_t gen; /* bumped at each load: work computed under an older one is dropped */
    int scene_at; /* the scene recalled last by scene_next / scene_previous; -1 none */
    /* learn */
    bool learning, learned;
    reel_map_msg learn_msg;
    /* injected messages (reel_map_live_midi) */
    reel_jack_ctl_msg inj[64];
    size_t n_inj;
    /* thread */
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    /* counters */
    uint64_t received, unmatched, applied, coalesced, held, actions, feedback_midi,
        feedback_osc, errors;
    char last_error[256];
};

int reel_map_live_new(reel_service *s, reel_map_live **out, reel_error *err)
{
    reel_map_live *m = calloc(1, sizeof *m);
    if (!m)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    m->service = s;
    m->scene_at = -1;
    reel_map_midi_state_init(&m->midi);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    *out = m;
    return REEL_OK;
}

void reel_map_live_stop(reel_map_live *m)
{
    if (!m || !m->started)
        return;
    atomic_store(&m->stop, true);
    pthread_mutex_lock(&m->mu);
    pthread_cond_broadcast(&m->cv); /* a learn waiting gives up */
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    m->started = false;
}

void reel_map_live_free(reel_map_live *m)
{
    if (!m)
        return;
    reel_map_live_stop(m);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---- ops, called without the lock ------------------------------------------------- */

static int run(reel_map_live *m, const char *op, json_t *args, json_t **out)
{
    json_t *res = NULL;
    reel_error e = {0};
    int rc = reel_service_run_op(m->service, op, args, "mapping", &res, &e);
    json_decref(args);
    if (rc) {
        pthread_mutex_lock(&m->mu);
        m->errors++;
        snprintf(m->last_error, sizeof m->last_error, "%s: %s", op, e.msg);
        pthread_mutex_unlock(&m->mu);
    }
    if (out)
        *out = res;
    else
        json_decref(res);
    return rc;
}

/* ---- the dispatcher ---------------------------------------------------------------- */

typedef struct work {
    size_t i; /* mapping index under `gen` */
    reel_mapping m;
    bool ranged, caught, fire;
    double lo, hi, x, prev_x;
    int touch;
    uint64_t dev;
    bool toggle;
} work;

/* Under the lock: one decoded message, arrived at device frame `dev` (0:
 * now), for every mapping it drives. */
static void handle_msg(reel_map_live *m, const reel_map_msg *msg, uint64_t dev)
{
    if (m->learning && !m->learned) {
        m->learn_msg = *msg;
        m->learned = true;
        pthread_cond_broadcast(&m->cv);
        return;
    }
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        live_map *lm = &m->maps[i];
        if (!reel_mapping_matches(&lm->m, msg))
            continue;
        any = true;
        if (lm->m.action != REEL_MAP_PARAM) {
            bool press = msg->kind == REEL_MAP_PROGRAM ||
                         (msg->x >= 0.5 && (lm->last_x < 0.5));
            lm->last_x = msg->x;
            if (press)
                lm->fire = true;
            continue;
        }
        bool was = lm->pend;
        if (was) /* the last position of the millisecond wins */
            m->coalesced++;
        lm->pend = true;
        lm->pend_x = msg->x;
        if (!was || msg->touch >= 0)
            lm->pend_touch = msg->touch;
        lm->pend_dev = dev;
    }
    if (!any)
        m->unmatched++;
}

/* Under the lock: what is due, copied out (and cleared). */
static size_t take_work(reel_map_live *m, work *w, size_t cap, uint64_t *gen)
{
    size_t n = 0;
    *gen = m->gen;
    for (size_t i = 0; i < m->n && n < cap; i++) {
        live_map *lm = &m->maps[i];
        if (!lm->pend && !lm->fire)
            continue;
        w[n] = (work){.i = i, .m = lm->m, .ranged = lm->ranged, .caught = lm->caught,
                      .fire = lm->fire, .lo = lm->lo, .hi = lm->hi, .x = lm->pend_x,
                      .prev_x = lm->last_x, .touch = lm->pend_touch,
                      .dev = lm->pend_dev, .toggle = lm->toggle};
        if (lm->pend)
            lm->last_x = lm->pend_x;
        lm->pend = lm->fire = false;
        lm->pend_dev = 0;
        n++;
    }
    return n;
}

/* The current value and range of a target of the graph playing. */
static bool target_now(reel_map_live *m, const char *target, double *v, double *lo, double *hi,
                       bool *toggle)
{
    json_t *out = NULL;
    if (run(m, "param_values", json_pack("{s:[s], s:b}", "targets", target, "ranges", 1), &out))
        return false;
    json_t *r = json_object_get(json_object_get(out, "ranges"), target);
    json_t *val = json_object_get(json_object_get(out, "values"), target);
    bool ok = json_is_array(r) && json_is_number(val);
    if (ok) {
        *v = json_number_value(val);
        *lo = json_number_value(json_array_get(r, 0));
        *hi = json_number_value(json_array_get(r, 1));
        *toggle = json_is_true(json_array_get(r, 2));
    }
    json_decref(out);
    return ok;
}

static void do_action(reel_map_live *m, const work *w, const char *project)
{
    json_t *st = NULL;
    switch (w->m.action) {
    case REEL_MAP_SCENE_NEXT:
    case REEL_MAP_SCENE_PREVIOUS: {
        /* the scenes of the project's head now (scenes captured since the load count) */
        if (run(m, "project_get", json_pack("{s:s}", "project", project), &st))
            break;
        json_t *scenes = json_object_get(json_object_get(st, "document"), "scenes");
        int n = (int)json_array_size(scenes);
        char scene[64] = "";
        pthread_mutex_lock(&m->mu);
        if (n) {
            int step = w->m.action == REEL_MAP_SCENE_NEXT ? 1 : -1;
            int at = m->scene_at < 0 || m->scene_at >= n ? (step > 0 ? 0 : n - 1)
                                                         : (m->scene_at + step + n) % n;
            m->scene_at = at;
            snprintf(scene, sizeof scene, "%s",
                     json_string_value(json_object_get(json_array_get(scenes, (size_t)at),
                                                       "id")) ?: "");
        }
        pthread_mutex_unlock(&m->mu);
        json_decref(st);
        st = NULL;
        if (*scene)
            run(m, "scene_recall", json_pack("{s:s, s:s}", "project", project, "scene", scene),
                NULL);
        break;
    }
    case REEL_MAP_TRANSPORT_PLAY:
        run(m, "transport_play", json_pack("{s:s}", "project", project), NULL);
        break;
    case REEL_MAP_TRANSPORT_STOP: run(m, "transport_stop", json_object(), NULL); break;
    case REEL_MAP_TRANSPORT_TOGGLE:
        if (!run(m, "transport_state", json_object(), &st) &&
            json_is_true(json_object_get(st, "playing")))
            run(m, "transport_stop", json_object(), NULL);
        else
            run(m, "transport_play", json_pack("{s:s}", "project", project), NULL);
        json_decref(st);
        break;
    case REEL_MAP_RECORD_ARM: {
        /* a press toggles the lane's arming */
        bool armed = false;
        if (!run(m, "transport_state", json_object(), &st)) {
            json_t *lanes = json_object_get(json_object_get(st, "recorder"), "armed");
            size_t k;
            json_t *a;
            json_array_foreach(lanes, k, a) {
                const char *id = json_is_string(a) ? json_string_value(a)
                                                   : json_string_value(json_object_get(a, "lane"));
                if (id && strcmp(id, w->m.target) == 0)
                    armed = true;
            }
        }
        json_decref(st);
        run(m, "record_arm", json_pack("{s:s, s:b}", "lane", w->m.target, "on", !armed), NULL);
        break;
    }
    case REEL_MAP_MARKER:
        run(m, "marker", json_pack("{s:s}", "name", w->m.id[0] ? w->m.id : "mapping"), NULL);
        break;
    default: break;
    }
}

/* Apply one mapping's position: pickup, transform, automation_schedule. */
static void do_param(reel_map_live *m, work *w, uint64_t gen, uint32_t rate)
{
    double cur = 0;
    if (!w->ranged || w->m.pickup) {
        if (!target_now(m, w->m.target, &cur, &w->lo, &w->hi, &w->toggle))
            return;
        w->ranged = true;
    }
    double v = reel_mapping_value(&w->m, w->x, w->lo, w->hi);
    if (w->toggle)
        v = v >= (w->lo + w->hi) / 2 ? w->hi : w->lo;
    if (w->m.pickup && !w->caught) {
        double span = fabs(w->hi - w->lo);
        double pv = w->prev_x >= 0 ? reel_mapping_value(&w->m, w->prev_x, w->lo, w->hi) : v;
        bool crossed = (pv - cur) * (v - cur) <= 0 || fabs(v - cur) <= PICKUP_WINDOW * span;
        if (!crossed) {
            pthread_mutex_lock(&m->mu);
            m->held++;
            if (gen == m->gen) {
                m->maps[w->i].ranged = true;
                m->maps[w->i].lo = w->lo, m->maps[w->i].hi = w->hi;
                m->maps[w->i].toggle = w->toggle;
            }
            pthread_mutex_unlock(&m->mu);
            return;
        }
        w->caught = true;
    }
    json_t *args = json_pack("{s:s, s:f, s:s}", "target", w->m.target, "value", v, "source",
                             "midi");
    if (w->dev) /* from control_in: recorded where the playhead was when it came */
        json_object_set_new(args, "device_frame", json_integer((json_int_t)w->dev));
    if (w->m.kind == REEL_MAP_OSC)
        json_object_set_new(args, "source", json_string("osc"));
    if (w->touch >= 0)
        json_object_set_new(args, "touch", json_boolean(w->touch));
    if (w->m.smoothing > 0 && rate && !w->toggle) {
        json_int_t rf = (json_int_t)llround(w->m.smoothing * rate);
        if (rf >= 1) {
            json_object_set_new(args, "type", json_string("ramp"));
            json_object_set_new(args, "ramp_frames", json_integer(rf));
        }
    }
    int rc = run(m, "automation_schedule", args, NULL);
    pthread_mutex_lock(&m->mu);
    if (!rc)
        m->applied++;
    if (gen == m->gen) {
        live_map *lm = &m->maps[w->i];
        lm->ranged = true;
        lm->lo = w->lo, lm->hi = w->hi, lm->toggle = w->toggle;
        lm->caught = w->caught;
        if (!rc)
            lm->last_v = v;
    }
    pthread_mutex_unlock(&m->mu);
}

/* Feedback: values that moved by other means go back to the controller. */
static void feedback(reel_map_live *m)
{
    pthread_mutex_lock(&m->mu);
    json_t *targets = json_array();
    uint64_t gen = m->gen;
    for (size_t i = 0; i < m->n; i++)
        if (m->maps[i].m.action == REEL_MAP_PARAM &&
            (m->maps[i].m.feedback || m->maps[i].m.pickup))
            json_array_append_new(targets, json_string(m->maps[i].m.target));
    pthread_mutex_unlock(&m->mu);
    if (!json_array_size(targets)) {
        json_decref(targets);
        return;
    }
    json_t *out = NULL;
    reel_error e;
    /* not through run(): a transport that is not playing is not an error here */
    json_t *args = json_pack("{s:o, s:b}", "targets", targets, "ranges", 1);
    int rc = reel_service_run_op(m->service, "param_values", args, "mapping", &out, &e);
    json_decref(args);
    if (rc) {
        json_decref(out);
        return;
    }
    pthread_mutex_lock(&m->mu);
    char project[128];
    snprintf(project, sizeof project, "%s", json_string_value(json_object_get(out, "project")) ?: "");
    for (size_t i = 0; gen == m->gen && strcmp(project, m->project) == 0 && i < m->n; i++) {
        live_map *lm = &m->maps[i];
        json_t *val = json_object_get(json_object_get(out, "values"), lm->m.target);
        json_t *r = json_object_get(json_object_get(out, "ranges"), lm->m.target);
        if (lm->m.action != REEL_MAP_PARAM || !json_is_number(val) || !json_is_array(r))
            continue;
        double v = json_number_value(val);
        lm->lo = json_number_value(json_array_get(r, 0));
        lm->hi = json_number_value(json_array_get(r, 1));
        lm->toggle = json_is_true(json_array_get(r, 2));
        lm->ranged = true;
        double x = reel_mapping_position(&lm->m, v, lm->lo, lm->hi);
        double shown = isnan(lm->last_v) ? -1
                                         : reel_mapping_position(&lm->m, lm->last_v, lm->lo, lm->hi);
        if (shown >= 0 && fabs(x - shown) < FEEDBACK_STEP)
            continue;
        lm->last_v = v;
        lm->caught = false; /* moved elsewhere: a controller without motors must pick it up */
        if (!lm->m.feedback)
            continue;
        uint8_t bytes[12];
        size_t nb = reel_mapping_feedback_midi(&lm->m, x, bytes);
        for (size_t k = 0; k + 3 <= nb && m->ctl; k += 3)
            if (reel_jack_ctl_send(m->ctl, bytes + k, 3))
                m->feedback_midi++;
        if (lm->reply[0] && lm->m.kind == REEL_MAP_OSC) {
            lo_address a = lo_address_new_from_url(lm->reply);
            if (a && lo_send(a, lm->m.address, "f", (float)x) >= 0)
                m->feedback_osc++;
            if (a)
                lo_address_free(a);
        }
    }
    pthread_mutex_unlock(&m->mu);
    json_decref(out);
}

static void *dispatch_main(void *ud)
{
    reel_map_live *m = ud;
    work *wk = calloc(MAPS_MAX, sizeof *wk);
    if (!wk)
        return NULL;
    unsigned tick = 0;
    bool idle = false;
    while (!atomic_load(&m->stop)) {
        /* with nothing mapped and no learn waiting, a tick of 10 ms is enough */
        struct timespec ts = {0, idle ? 10 * TICK_NS : TICK_NS};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&m->mu);
        idle = m->n == 0 && !m->learning && m->n_inj == 0;
        reel_jack_ctl_msg msg;
        for (size_t k = 0; k < m->n_inj; k++) {
            reel_map_msg mm;
            if (reel_map_midi_decode(&m->midi, m->inj[k].data, m->inj[k].len, &mm)) {
                m->received++;
                handle_msg(m, &mm, 0);
            }
        }
        m->n_inj = 0;
        for (int k = 0; m->ctl && k < DRAIN_MAX && reel_jack_ctl_recv(m->ctl, &msg); k++) {
            reel_map_msg mm;
            m->received++;
            if (!reel_map_midi_decode(&m->midi, msg.data, msg.len, &mm)) {
                m->unmatched++;
                continue;
            }
            handle_msg(m, &mm, msg.dev);
        }
        uint64_t gen;
        size_t n = take_work(m, wk, MAPS_MAX, &gen);
        char project[128];
        snprintf(project, sizeof project, "%s", m->project);
        uint32_t rate = m->j ? reel_jack_sample_rate(m->j) : 0;
        pthread_mutex_unlock(&m->mu);
        for (size_t k = 0; k < n; k++) {
            if (wk[k].m.action != REEL_MAP_PARAM) {
                if (wk[k].fire) {
                    pthread_mutex_lock(&m->mu);
                    m->actions++;
                    pthread_mutex_unlock(&m->mu);
                    do_action(m, &wk[k], project);
                }
                continue;
            }
            do_param(m, &wk[k], gen, rate);
        }
        if (++tick % FEEDBACK_TICKS == 0)
            feedback(m);
    }
    free(wk);
    return NULL;
}

/* ---- control side -------------------------------------------------------------------- */

void reel_map_live_fire(reel_map_live *m, const reel_mapping *a, const char *project)
{
    work w = {.m = *a, .fire = true};
    pthread_mutex_lock(&m->mu);
    m->actions++;
    pthread_mutex_unlock(&m->mu);
    do_action(m, &w, project);
}

int reel_map_live_attach(reel_map_live *m, reel_jack *j, reel_error *err)
{
    pthread_mutex_lock(&m->mu);
    int rc = REEL_OK;
    if (m->j != j || !m->ctl) {
        if (m->ctl && m->j)
            reel_jack_ctl_remove(m->j, m->ctl);
        m->ctl = NULL;
        m->j = j;
        rc = reel_jack_ctl_add(j, "control", &m->ctl, err);
        if (rc)
            m->ctl = NULL;
    }
    if (!rc && !m->started) {
        atomic_store(&m->stop, false);
        if (pthread_create(&m->thread, NULL, dispatch_main, m) == 0)
            m->started = true;
        else
            rc = reel_error_set(err, REEL_ENOMEM, "cannot start the mapping dispatcher");
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

bool reel_map_live_attached(reel_map_live *m)
{
    pthread_mutex_lock(&m->mu);
    bool on = m->ctl != NULL && reel_jack_ctl_alive(m->ctl);
    pthread_mutex_unlock(&m->mu);
    return on;
}

void reel_map_live_detach(reel_map_live *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    if (m->ctl && m->j)
        reel_jack_ctl_remove(m->j, m->ctl);
    m->ctl = NULL;
    m->j = NULL;
    pthread_mutex_unlock(&m->mu);
}

int reel_map_live_check_port(reel_map_live *m, const char *port, reel_error *err)
{
    pthread_mutex_lock(&m->mu);
    int rc = m->j ? reel_jack_check_port(m->j, port, false, true, err)
                  : reel_error_set(err, REEL_EDEVICE, "no JACK client to find port '%.200s' on",
                                   port);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

void reel_map_live_load(reel_map_live *m, const char *project, json_t *doc)
{
    pthread_mutex_lock(&m->mu);
    m->gen++;
    m->n = 0;
    m->scene_at = -1;
    snprintf(m->project, sizeof m->project, "%s", project ? project : "");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "mappings"), i, v) {
        if (m->n == MAPS_MAX)
            break;
        live_map *lm = &m->maps[m->n];
        memset(lm, 0, sizeof *lm);
        if (reel_mapping_parse(v, &lm->m, NULL))
            continue; /* mapping_add checked it: a document edited by hand is skipped */
        lm->last_x = -1;
        lm->last_v = NAN;
        memcpy(lm->reply, lm->m.feedback_to, sizeof lm->reply); /* same size, NUL-ended */
        m->n++;
        const char *port = json_string_value(json_object_get(v, "port"));
        if (port && m->j && m->ctl)
            reel_jack_connect(m->j, port, reel_jack_ctl_in_name(m->ctl), NULL);
    }
    pthread_mutex_unlock(&m->mu);
}

void reel_map_live_project(reel_map_live *m, char *out, size_t n)
{
    pthread_mutex_lock(&m->mu);
    snprintf(out, n, "%s", m->project);
    pthread_mutex_unlock(&m->mu);
}

int reel_map_live_osc(reel_map_live *m, const char *address, double x, int touch,
                      const char *reply, int *applied, reel_error *err)
{
    if (!isfinite(x))
        return reel_error_set(err, REEL_EINVAL, "an OSC controller value must be a number");
    pthread_mutex_lock(&m->mu);
    m->received++;
    int hits = 0;
    for (size_t i = 0; i < m->n; i++) {
        live_map *lm = &m->maps[i];
        if (lm->m.kind != REEL_MAP_OSC || strcmp(lm->m.address, address) != 0)
            continue;
        hits++;
        if (reply && !lm->m.feedback_to[0])
            snprintf(lm->reply, sizeof lm->reply, "%s", reply);
        double px = x < 0 ? 0 : x > 1 ? 1 : x;
        if (lm->m.action != REEL_MAP_PARAM) {
            if (px >= 0.5 && lm->last_x < 0.5)
                lm->fire = true;
            lm->last_x = px;
            continue;
        }
        if (lm->pend)
            m->coalesced++;
        lm->pend = true;
        lm->pend_x = px;
        lm->pend_touch = touch;
        lm->pend_dev = 0;
    }
    if (!hits)
        m->unmatched++;
    pthread_mutex_unlock(&m->mu);
    *applied = hits;
    return hits ? REEL_OK
                : reel_error_set(err, REEL_ENOENT, "no mapping of the project playing takes OSC "
                                 "address '%.100s'", address);
}

int reel_map_live_midi(reel_map_live *m, const uint8_t *d, size_t n, reel_error *err)
{
    if (n < 1 || n > 3)
        return reel_error_set(err, REEL_EINVAL, "a controller MIDI message is 1 to 3 bytes");
    pthread_mutex_lock(&m->mu);
    int rc = REEL_OK;
    if (m->n_inj == sizeof m->inj / sizeof m->inj[0]) {
        rc = reel_error_set(err, REEL_EFULL, "too many MIDI messages waiting for the "
                            "dispatcher; try again");
    } else {
        reel_jack_ctl_msg *q = &m->inj[m->n_inj++];
        q->len = (uint8_t)n;
        memcpy(q->data, d, n);
        q->dev = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int reel_map_live_learn(reel_map_live *m, double timeout_s, json_t **input, reel_error *err)
{
    pthread_mutex_lock(&m->mu);
    if (m->learning) {
        pthread_mutex_unlock(&m->mu);
        return reel_error_set(err, REEL_ECONFLICT, "a mapping_learn is already waiting for a "
                              "controller message");
    }
    if (!m->started) {
        pthread_mutex_unlock(&m->mu);
        return reel_error_set(err, REEL_ESTATE, "no controller input: the transport has no JACK "
                              "client");
    }
    m->learning = true;
    m->learned = false;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double end = (double)until.tv_sec + until.tv_nsec / 1e9 + timeout_s;
    until.tv_sec = (time_t)end;
    until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
    while (!m->learned && !atomic_load(&m->stop))
        if (pthread_cond_timedwait(&m->cv, &m->mu, &until) == ETIMEDOUT)
            break;
    int rc = REEL_OK;
    if (m->learned) {
        json_t *doc = json_object();
        reel_mapping_input_json(&m->learn_msg, doc);
        *input = json_incref(json_object_get(doc, "input"));
        json_decref(doc);
    } else {
        rc = reel_error_set(err, REEL_ESTATE, "no controller message came in %g s", timeout_s);
    }
    m->learning = m->learned = false;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

json_t *reel_map_live_state(reel_map_live *m)
{
    pthread_mutex_lock(&m->mu);
    uint64_t in = 0, dropped = 0, out = 0;
    if (m->ctl)
        reel_jack_ctl_counts(m->ctl, &in, &dropped, &out);
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
                          "project", m->project, "mappings", (json_int_t)m->n, "received",
                          (json_int_t)m->received, "dropped", (json_int_t)dropped, "unmatched",
                          (json_int_t)m->unmatched, "applied", (json_int_t)m->applied,
                          "coalesced", (json_int_t)m->coalesced, "pickup_held",
                          (json_int_t)m->held, "actions", (json_int_t)m->actions,
                          "feedback_midi", (json_int_t)m->feedback_midi, "feedback_osc",
                          (json_int_t)m->feedback_osc, "errors", (json_int_t)m->errors,
                          "learning", m->learning);
    if (m->ctl) {
        json_object_set_new(o, "input_port", json_string(reel_jack_ctl_in_name(m->ctl)));
        json_object_set_new(o, "feedback_port", json_string(reel_jack_ctl_out_name(m->ctl)));
        json_object_set_new(o, "feedback_sent", json_integer((json_int_t)out));
    }
    if (m->last_error[0])
        json_object_set_new(o, "last_error", json_string(m->last_error));
    pthread_mutex_unlock(&m->mu);
    return o;
}
