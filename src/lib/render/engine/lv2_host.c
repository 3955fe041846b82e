/*
 * lv2_host.c — LV2 plugins through lilv (lv2_host.h).
 *
 * reel offers no host features yet (no URID map, no worker, no options),
 * so only plugins that require none load; the refusal names the first
 * feature a plugin requires. Instances live in a list owned by the host, so
 * freeing the host (after the plan that runs them) frees all of them.
 */
#include "render/engine/lv2_host.h"

#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reel_lv2_plugin {
    LilvInstance *inst;
    const LilvPlugin *plug;
    reel_lv2_host *host;
    uint32_t n_ports;
    float *control;          /* one value per port (control ports use theirs) */
    uint32_t *audio_in, *audio_out; /* port indices */
    uint32_t n_in, n_out;
    uint32_t latency;
    uint32_t *controls; /* control input port indices */
    float *ctl_lo, *ctl_hi; /* their ranges (unbounded: +-1e30) */
    uint32_t n_controls;
    reel_lv2_plugin *next;
};

struct reel_lv2_host {
    LilvWorld *world;
    LilvNode *audio, *control, *input, *output;
    reel_lv2_plugin *plugins;
};

int reel_lv2_host_new(reel_lv2_host **out, reel_error *err)
{
    reel_lv2_host *h = calloc(1, sizeof *h);
    if (!h || !(h->world = lilv_world_new())) {
        free(h);
        return reel_error_set(err, REEL_ENOMEM, "out of memory for the LV2 world");
    }
    lilv_world_load_all(h->world);
    h->audio = lilv_new_uri(h->world, LV2_CORE__AudioPort);
    h->control = lilv_new_uri(h->world, LV2_CORE__ControlPort);
    h->input = lilv_new_uri(h->world, LV2_CORE__InputPort);
    h->output = lilv_new_uri(h->world, LV2_CORE__OutputPort);
    *out = h;
    return REEL_OK;
}

void reel_lv2_host_free(reel_lv2_host *h)
{
    if (!h)
        return;
    for (reel_lv2_plugin *p = h->plugins, *n; p; p = n) {
        n = p->next;
        lilv_instance_deactivate(p->inst);
        lilv_instance_free(p->inst);
        free(p->control);
        free(p->audio_in);
        free(p->audio_out);
        free(p->controls);
        free(p->ctl_lo);
        free(p->ctl_hi);
        free(p);
    }
    lilv_node_free(h->audio);
    lilv_node_free(h->control);
    lilv_node_free(h->input);
    lilv_node_free(h->output);
    lilv_world_free(h->world);
    free(h);
}

static const LilvPlugin *find(reel_lv2_host *h, const char *node, const char *uri,
                              reel_error *err)
{
    if (!uri || !*uri) {
        reel_error_set(err, REEL_EINVAL, "graph node '%.64s': a plugin node needs a \"uri\"",
                       node);
        return NULL;
    }
    LilvNode *u = lilv_new_uri(h->world, uri);
    const LilvPlugin *p = u ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(h->world), u)
                            : NULL;
    lilv_node_free(u);
    if (!p) {
        reel_error_set(err, REEL_ENOENT, "graph node '%.64s': LV2 plugin %.300s is not "
                       "installed (lv2ls lists what is)", node, uri);
        return NULL;
    }
    LilvNodes *req = lilv_plugin_get_required_features(p);
    if (req && lilv_nodes_size(req) > 0) {
        LilvIter *it = lilv_nodes_begin(req);
        reel_error_set(err, REEL_EFORMAT, "graph node '%.64s': LV2 plugin %.200s requires the "
                       "host feature %.200s, which reel does not provide", node, uri,
                       lilv_node_as_uri(lilv_nodes_get(req, it)));
        lilv_nodes_free(req);
        return NULL;
    }
    lilv_nodes_free(req);
    return p;
}

/* Control defaults, then params by symbol (range-checked), into values[]. */
static int set_controls(reel_lv2_host *h, const LilvPlugin *p, const char *node, json_t *params,
                        float *values, uint32_t *n_in, uint32_t *n_out, reel_error *err)
{
    uint32_t n = lilv_plugin_get_num_ports(p);
    float *mins = calloc(n, sizeof *mins), *maxs = calloc(n, sizeof *maxs),
          *defs = calloc(n, sizeof *defs);
    int rc = REEL_OK;
    if (!mins || !maxs || !defs) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
    *n_in = *n_out = 0;
    for (uint32_t i = 0; i < n; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        if (lilv_port_is_a(p, port, h->audio))
            (lilv_port_is_a(p, port, h->input) ? (*n_in)++ : (*n_out)++);
        values[i] = isnan(defs[i]) ? (isnan(mins[i]) ? 0.0f : mins[i]) : defs[i];
    }
    const char *sym;
    json_t *v;
    json_object_foreach(params, sym, v) {
        LilvNode *s = lilv_new_string(h->world, sym);
        const LilvPort *port = lilv_plugin_get_port_by_symbol(p, s);
        lilv_node_free(s);
        if (!port || !lilv_port_is_a(p, port, h->control) || !lilv_port_is_a(p, port, h->input)) {
            rc = reel_error_set(err, REEL_EINVAL, "graph node '%.64s': the plugin has no control "
                                "input '%.64s'", node, sym);
            goto out;
        }
        uint32_t i = lilv_port_get_index(p, port);
        if (!json_is_number(v)) {
            rc = reel_error_set(err, REEL_EINVAL, "graph node '%.64s': parameter %.64s is not a "
                                "number", node, sym);
            goto out;
        }
        double x = json_number_value(v);
        if ((!isnan(mins[i]) && x < mins[i]) || (!isnan(maxs[i]) && x > maxs[i])) {
            rc = reel_error_set(err, REEL_ERANGE, "graph node '%.64s': parameter %.64s = %g is "
                                "outside its range %g..%g", node, sym, x, mins[i], maxs[i]);
            goto out;
        }
        values[i] = (float)x;
    }
out:
    free(mins);
    free(maxs);
    free(defs);
    return rc;
}

int reel_lv2_check(reel_lv2_host *h, const char *node, const char *uri, json_t *params,
                   uint32_t *n_in, uint32_t *n_out, reel_error *err)
{
    const LilvPlugin *p = find(h, node, uri, err);
    if (!p)
        return err ? err->code : REEL_ENOENT;
    float *values = calloc(lilv_plugin_get_num_ports(p) + 1, sizeof *values);
    if (!values)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    int rc = set_controls(h, p, node, params, values, n_in, n_out, err);
    free(values);
    if (!rc && (*n_out == 0 || *n_out > REEL_PLAN_CH_MAX || *n_in > REEL_PLAN_CH_MAX))
        rc = reel_error_set(err, REEL_EFORMAT, "graph node '%.64s': the plugin has %u audio "
                            "inputs and %u outputs (1..%d outputs)", node, *n_in, *n_out,
                            REEL_PLAN_CH_MAX);
    return rc;
}

int reel_lv2_instantiate(reel_lv2_host *h, const char *node, const char *uri, json_t *params,
                         double rate, reel_lv2_plugin **out, reel_error *err)
{
    const LilvPlugin *p = find(h, node, uri, err);
    if (!p)
        return err ? err->code : REEL_ENOENT;
    reel_lv2_plugin *pl = calloc(1, sizeof *pl);
    uint32_t n = lilv_plugin_get_num_ports(p);
    if (!pl || !(pl->control = calloc(n + 1, sizeof *pl->control)) ||
        !(pl->audio_in = calloc(n + 1, sizeof *pl->audio_in)) ||
        !(pl->audio_out = calloc(n + 1, sizeof *pl->audio_out))) {
        if (pl) {
            free(pl->control);
            free(pl->audio_in);
            free(pl);
        }
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    pl->n_ports = n;
    pl->plug = p;
    pl->host = h;
    uint32_t ni, no;
    int rc = set_controls(h, p, node, params, pl->control, &ni, &no, err);
    if (!rc && !(pl->inst = lilv_plugin_instantiate(p, rate, NULL)))
        rc = reel_error_set(err, REEL_EFORMAT, "graph node '%.64s': LV2 plugin %.200s failed to "
                            "instantiate at %.0f Hz", node, uri, rate);
    if (rc) {
        free(pl->control);
        free(pl->audio_in);
        free(pl->audio_out);
        free(pl);
        return rc;
    }
    pl->controls = calloc(n + 1, sizeof *pl->controls);
    pl->ctl_lo = calloc(n + 1, sizeof *pl->ctl_lo);
    pl->ctl_hi = calloc(n + 1, sizeof *pl->ctl_hi);
    float *mins = calloc(n + 1, sizeof *mins), *maxs = calloc(n + 1, sizeof *maxs);
    if (!pl->controls || !pl->ctl_lo || !pl->ctl_hi || !mins || !maxs) {
        free(mins);
        free(maxs);
        lilv_instance_free(pl->inst);
        free(pl->controls);
        free(pl->ctl_lo);
        free(pl->ctl_hi);
        free(pl->control);
        free(pl->audio_in);
        free(pl->audio_out);
        free(pl);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    lilv_plugin_get_port_ranges_float(p, mins, maxs, NULL);
    for (uint32_t i = 0; i < n; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        if (lilv_port_is_a(p, port, h->control) && lilv_port_is_a(p, port, h->input)) {
            pl->controls[pl->n_controls] = i;
            pl->ctl_lo[pl->n_controls] = isnan(mins[i]) ? -1e30f : mins[i];
            pl->ctl_hi[pl->n_controls++] = isnan(maxs[i]) ? 1e30f : maxs[i];
        }
        if (lilv_port_is_a(p, port, h->audio)) {
            if (lilv_port_is_a(p, port, h->input))
                pl->audio_in[pl->n_in++] = i;
            else
                pl->audio_out[pl->n_out++] = i;
            lilv_instance_connect_port(pl->inst, i, NULL);
        } else {
            /* control ports, and anything else, get their own float */
            lilv_instance_connect_port(pl->inst, i, &pl->control[i]);
        }
    }
    free(mins);
    free(maxs);
    lilv_instance_activate(pl->inst);
    if (lilv_plugin_has_latency(p)) { /* one silent run tells it, then a fresh start */
        uint32_t li = lilv_plugin_get_latency_port_index(p);
        float zin[64] = {0}, zout[64];
        for (uint32_t k = 0; k < pl->n_in; k++)
            lilv_instance_connect_port(pl->inst, pl->audio_in[k], zin);
        for (uint32_t k = 0; k < pl->n_out; k++)
            lilv_instance_connect_port(pl->inst, pl->audio_out[k], zout);
        lilv_instance_run(pl->inst, 64);
        float l = li < n ? pl->control[li] : 0.0f;
        pl->latency = l > 0 && l < 16777216.0f ? (uint32_t)(l + 0.5f) : 0;
        lilv_instance_deactivate(pl->inst);
        lilv_instance_activate(pl->inst);
    }
    pl->next = h->plugins;
    h->plugins = pl;
    *out = pl;
    return REEL_OK;
}

int reel_lv2_param_set(reel_lv2_plugin *pl, const char *node, const char *symbol, double value,
                       reel_error *err)
{
    json_t *one = json_object();
    if (!one || json_object_set_new(one, symbol, json_real(value)))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    float *values = calloc(pl->n_ports + 1, sizeof *values);
    uint32_t ni, no;
    int rc = values ? set_controls(pl->host, pl->plug, node, one, values, &ni, &no, err)
                    : reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (!rc) {
        LilvNode *s = lilv_new_string(pl->host->world, symbol);
        uint32_t i = lilv_port_get_index(pl->plug, lilv_plugin_get_port_by_symbol(pl->plug, s));
        lilv_node_free(s);
        /* A float store the run reads at its next call (aligned: one access). */
        __atomic_store(&pl->control[i], &values[i], __ATOMIC_RELAXED);
    }
    free(values);
    json_decref(one);
    return rc;
}

int reel_lv2_control_info(reel_lv2_host *h, const char *node, const char *uri,
                          const char *symbol, float *lo, float *hi, bool *toggle,
                          reel_error *err)
{
    const LilvPlugin *p = find(h, node, uri, err);
    if (!p)
        return err->code;
    LilvNode *s = lilv_new_string(h->world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(p, s);
    lilv_node_free(s);
    if (!port || !lilv_port_is_a(p, port, h->control) || !lilv_port_is_a(p, port, h->input))
        return reel_error_set(err, REEL_ENOENT, "graph node '%.64s': the plugin has no control "
                              "input '%.64s'", node, symbol);
    LilvNode *d, *mn, *mx;
    lilv_port_get_range(p, port, &d, &mn, &mx);
    *lo = mn && lilv_node_is_float(mn) ? lilv_node_as_float(mn)
          : mn && lilv_node_is_int(mn) ? (float)lilv_node_as_int(mn) : -1e30f;
    *hi = mx && lilv_node_is_float(mx) ? lilv_node_as_float(mx)
          : mx && lilv_node_is_int(mx) ? (float)lilv_node_as_int(mx) : 1e30f;
    lilv_node_free(d);
    lilv_node_free(mn);
    lilv_node_free(mx);
    LilvNode *tg = lilv_new_uri(h->world, LV2_CORE__toggled);
    *toggle = lilv_port_has_property(p, port, tg);
    lilv_node_free(tg);
    return REEL_OK;
}

uint32_t reel_lv2_n_controls(const reel_lv2_plugin *pl)
{
    return pl->n_controls;
}

const char *reel_lv2_control_symbol(const reel_lv2_plugin *pl, uint32_t k)
{
    return k < pl->n_controls ? lilv_node_as_string(lilv_port_get_symbol(
                                    pl->plug, lilv_plugin_get_port_by_index(pl->plug,
                                                                            pl->controls[k])))
                              : NULL;
}

float *reel_lv2_control_ref(reel_lv2_plugin *pl, uint32_t k, float *lo, float *hi)
{
    if (k >= pl->n_controls)
        return NULL;
    *lo = pl->ctl_lo[k];
    *hi = pl->ctl_hi[k];
    return &pl->control[pl->controls[k]];
}

uint32_t reel_lv2_latency(const reel_lv2_plugin *pl)
{
    return pl->latency;
}

bool reel_lv2_run(void *ud, const float *const *in, float *const *out, uint32_t n)
{
    reel_lv2_plugin *pl = ud;
    for (uint32_t k = 0; k < pl->n_in; k++)
        lilv_instance_connect_port(pl->inst, pl->audio_in[k], (void *)in[k]);
    for (uint32_t k = 0; k < pl->n_out; k++)
        lilv_instance_connect_port(pl->inst, pl->audio_out[k], out[k]);
    lilv_instance_run(pl->inst, n);
    return true;
}
