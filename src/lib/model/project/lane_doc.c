/*
 * lane_doc.c — lanes in a project document (lane_doc.h): targets through
 * the registered resolver, commands parsed and range-checked, chunks into
 * CAS and the overlay of a lane's chunks.
 */
#include "model/project/lane_doc.h"

#include "model/project/lane_format.h"
#include "model/project/project_doc.h"
#include "core/fsutil.h"
#include "store/cas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

REEL_REGISTRY_DECLARE(auto_targets, reel_auto_target_resolver);

int reel_auto_target_resolve(json_t *doc, const char *target, reel_auto_range *range,
                             reel_error *err)
{
    if (!target || !*target || strlen(target) > 200)
        return reel_error_set(err, REEL_EINVAL, "an automation target is a path like "
                              "\"<node>:gain\" or \"clip:<id>:gain\"");
    for (const reel_auto_target_resolver *const *it = REEL_REGISTRY_BEGIN(auto_targets);
         it && it < REEL_REGISTRY_END(auto_targets); it++)
        return (*it)->resolve(doc, target, range, err);
    return reel_error_set(err, REEL_ESTATE, "no engine in this build resolves automation "
                          "targets");
}

static const char *const modes[] = {"manual", "play", "write", "touch", "latch", "overdub"};

bool reel_lane_mode_valid(const char *mode)
{
    for (size_t i = 0; mode && i < sizeof modes / sizeof *modes; i++)
        if (strcmp(mode, modes[i]) == 0)
            return true;
    return false;
}

bool reel_lane_mode_plays(const char *mode)
{
    return mode && (strcmp(mode, "play") == 0 || strcmp(mode, "touch") == 0 ||
                    strcmp(mode, "latch") == 0 || strcmp(mode, "overdub") == 0);
}

static const char *const types[] = {"set", "ramp", "trigger"};
static const char *const curves[] = {"linear", "exponential", "logarithmic", "s_curve",
                                     "discrete"};

static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int reel_lane_cmd_parse(json_t *doc, json_t *tl, json_t *ev, const reel_auto_range *range,
                        reel_cmd *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(ev))
        return reel_error_set(err, REEL_EINVAL, "an automation command is an object");
    json_t *jf = json_object_get(ev, "frame"), *ja = json_object_get(ev, "at");
    int rc;
    double at = 0;
    if (jf) {
        if (!json_is_integer(jf) || json_integer_value(jf) < 0)
            return reel_error_set(err, REEL_EINVAL, "an automation command's \"frame\" is a "
                                  "whole number >= 0");
        out->frame = json_integer_value(jf);
    } else if (ja) {
        at = json_number_value(ja);
        if (!json_is_number(ja) || !(at >= 0) || !isfinite(at))
            return reel_error_set(err, REEL_EINVAL, "an automation command's \"at\" is a "
                                  "position >= 0");
        if ((rc = reel_project_pos_frames(doc, tl, at, &out->frame, err)))
            return rc;
    } else {
        return reel_error_set(err, REEL_EINVAL, "an automation command needs \"frame\" or "
                              "\"at\"");
    }
    const char *ts = json_string_value(json_object_get(ev, "type"));
    int t = ts ? pick(ts, types, 3) : REEL_CMD_SET;
    if (t < 0)
        return reel_error_set(err, REEL_EINVAL, "an automation command's type is set, ramp or "
                              "trigger, not '%.32s'", ts);
    out->type = (uint8_t)t;
    json_t *jv = json_object_get(ev, "value");
    if (!json_is_number(jv) || !isfinite(json_number_value(jv)))
        return reel_error_set(err, REEL_EINVAL, "an automation command needs a numeric "
                              "\"value\"");
    double v = json_number_value(jv);
    if (v < range->lo || v > range->hi)
        return reel_error_set(err, REEL_ERANGE, "value %g is outside the target's range "
                              "%g..%g", v, range->lo, range->hi);
    if (range->toggle && v != 0 && v != 1)
        return reel_error_set(err, REEL_ERANGE, "value %g: this target is on (1) or off (0)",
                              v);
    out->value = (float)v;
    const char *cs = json_string_value(json_object_get(ev, "curve"));
    int cv = cs ? pick(cs, curves, REEL_CURVE_N) : REEL_CURVE_LINEAR;
    if (cv < 0)
        return reel_error_set(err, REEL_EINVAL, "curve '%.32s' is not one of linear, "
                              "exponential, logarithmic, s_curve, discrete", cs);
    out->curve = (uint8_t)cv;
    json_t *jr = json_object_get(ev, "ramp_frames"), *jrs = json_object_get(ev, "ramp");
    if (out->type != REEL_CMD_RAMP) {
        if (jr || jrs)
            return reel_error_set(err, REEL_EINVAL, "only a ramp has a ramp length");
        return REEL_OK;
    }
    if (jr) {
        if (!json_is_integer(jr) || json_integer_value(jr) <= 0 ||
            json_integer_value(jr) >= REEL_LANE_MAX_RAMP)
            return reel_error_set(err, REEL_ERANGE, "a ramp's \"ramp_frames\" is a whole "
                                  "number from 1 to 2^40");
        out->ramp_frames = json_integer_value(jr);
    } else if (jrs) {
        double r = json_number_value(jrs);
        if (!json_is_number(jrs) || !(r > 0) || r > 1e7)
            return reel_error_set(err, REEL_ERANGE, "a ramp's \"ramp\" is a length > 0 in the "
                                  "timeline's timebase");
        int64_t end;
        double start = jf ? 0 : at;
        if ((rc = reel_project_pos_frames(doc, tl, start + r, &end, err)))
            return rc;
        int64_t begin = 0;
        if (!jf && (rc = reel_project_pos_frames(doc, tl, start, &begin, err)))
            return rc;
        out->ramp_frames = end - begin;
        if (out->ramp_frames <= 0)
            return reel_error_set(err, REEL_ERANGE, "a ramp shorter than one frame");
    } else {
        return reel_error_set(err, REEL_EINVAL, "a ramp needs \"ramp_frames\" or \"ramp\"");
    }
    if (cv == REEL_CURVE_EXPONENTIAL && !(range->lo > 0 || range->hi < 0) && out->value == 0)
        return reel_error_set(err, REEL_ERANGE, "an exponential ramp cannot reach 0");
    return REEL_OK;
}

/* The shortest decimal that reads back as the same float (0.1, not
 * 0.10000000149011612). */
static double float_short(float v)
{
    char b[32];
    for (int digits = 6; digits < 9; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, (double)v);
        if ((float)strtod(b, NULL) == v)
            return strtod(b, NULL);
    }
    return (double)v;
}

json_t *reel_auto_value_json(float v)
{
    return json_real(float_short(v));
}

json_t *reel_lane_cmd_json(const reel_cmd *c)
{
    json_t *o = json_pack("{s:I, s:s, s:f}", "frame", (json_int_t)c->frame, "type",
                          types[c->type < 3 ? c->type : 0], "value", float_short(c->value));
    if (o && c->type == REEL_CMD_RAMP) {
        json_object_set_new(o, "ramp_frames", json_integer(c->ramp_frames));
        json_object_set_new(o, "curve", json_string(curves[c->curve < REEL_CURVE_N ? c->curve
                                                                                    : 0]));
    }
    return o;
}

int reel_lane_chunk_put(reel_store *st, const reel_cmd *cmds, size_t n, int64_t from, int64_t to,
                        bool replace, json_t **chunk, reel_error *err)
{
    *chunk = NULL;
    if (n > REEL_LANE_MAX_EVENTS)
        return reel_error_set(err, REEL_ERANGE, "%zu commands in one write (at most %u)", n,
                              REEL_LANE_MAX_EVENTS);
    size_t len = reel_lane_encoded_size(n);
    uint8_t *buf = malloc(len);
    if (!buf)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    reel_lane_encode(cmds, n, buf);
    reel_hash h;
    int rc = reel_cas_put_buf(reel_store_cas(st), buf, len, &h, err);
    free(buf);
    if (rc)
        return rc;
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(&h, hs);
    *chunk = json_pack("{s:s, s:I, s:I, s:I, s:b}", "content", hs, "from_frame",
                       (json_int_t)from, "to_frame", (json_int_t)to, "events", (json_int_t)n,
                       "replace", replace);
    return *chunk ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static int chunk_load(reel_store *st, const char *spec, reel_cmd **out, size_t *n,
                      reel_error *err)
{
    reel_hash h;
    if (reel_hash_from_hex(&h, spec ? spec : "", err))
        return reel_error_set(err, REEL_ECORRUPT, "a lane chunk names '%.80s', not a hash",
                              spec ? spec : "");
    if (!reel_cas_has(reel_store_cas(st), &h))
        return reel_error_set(err, REEL_ENOENT, "lane chunk %s is not in the store", spec);
    char path[4096];
    reel_cas_content_path(reel_store_cas(st), &h, path);
    char *buf;
    size_t len;
    int rc = reel_fs_read_all(path, &buf, &len, err);
    if (rc)
        return rc;
    rc = reel_lane_decode((const uint8_t *)buf, len, out, n, err);
    free(buf);
    return rc;
}

typedef struct seq_cmd {
    reel_cmd c;
    size_t seq;
} seq_cmd;

static int seq_cmp(const void *a, const void *b)
{
    const seq_cmd *x = a, *y = b;
    if (x->c.frame != y->c.frame)
        return x->c.frame < y->c.frame ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

int reel_lane_events(reel_store *st, json_t *lane, reel_cmd **out, size_t *n, reel_error *err)
{
    *out = NULL;
    *n = 0;
    seq_cmd *all = NULL;
    size_t na = 0, seq = 0;
    size_t i;
    json_t *ch;
    int rc = REEL_OK;
    json_array_foreach(json_object_get(lane, "chunks"), i, ch) {
        reel_cmd *c;
        size_t nc;
        if ((rc = chunk_load(st, json_string_value(json_object_get(ch, "content")), &c, &nc,
                             err)))
            break;
        if (json_is_true(json_object_get(ch, "replace"))) {
            int64_t lo = json_integer_value(json_object_get(ch, "from_frame"));
            int64_t hi = json_integer_value(json_object_get(ch, "to_frame"));
            size_t k = 0;
            for (size_t j = 0; j < na; j++)
                if (all[j].c.frame < lo || all[j].c.frame >= hi)
                    all[k++] = all[j];
            na = k;
        }
        seq_cmd *m = realloc(all, (na + nc + 1) * sizeof *m);
        if (!m) {
            free(c);
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
            break;
        }
        all = m;
        for (size_t j = 0; j < nc; j++)
            all[na++] = (seq_cmd){c[j], seq++};
        free(c);
    }
    if (rc) {
        free(all);
        return rc;
    }
    if (na) /* (qsort of nothing must not be handed a NULL array) */
        qsort(all, na, sizeof *all, seq_cmp);
    reel_cmd *res = malloc((na ? na : 1) * sizeof *res);
    if (!res) {
        free(all);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < na; j++)
        res[j] = all[j].c;
    free(all);
    *out = res;
    *n = na;
    return REEL_OK;
}

json_t *reel_lane_find(json_t *doc, const char *lane_id)
{
    return reel_project_find(json_object_get(doc, "lanes"), lane_id, NULL);
}
