/*
 * mapping_doc.c — controller mapping documents, messages and transforms
 * (see mapping_doc.h for the rules and formulas).
 */
#include "model/mapping/mapping_doc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {"cc", "note", "program", "bend", "nrpn"};
static const char *const action_names[] = {
    "", "scene_next", "scene_previous", "transport_play", "transport_stop",
    "transport_toggle", "record_arm", "marker",
};
static const char *const curve_names[] = {"linear", "exponential", "logarithmic", "s_curve"};

static int name_index(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (s && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int number_field(json_t *o, const char *key, double lo, double hi, bool integer,
                        double *v, bool *has, reel_error *err)
{
    json_t *j = json_object_get(o, key);
    if (has)
        *has = j != NULL;
    if (!j)
        return REEL_OK;
    if (!json_is_number(j))
        return reel_error_set(err, REEL_EINVAL, "mapping: '%s' is not a number", key);
    double d = json_number_value(j);
    if (!isfinite(d) || d < lo || d > hi || (integer && d != floor(d)))
        return reel_error_set(err, REEL_ERANGE, "mapping: '%s' = %g is out of range (%s %g..%g)",
                              key, d, integer ? "an integer" : "a number", lo, hi);
    *v = d;
    return REEL_OK;
}

static int bool_field(json_t *o, const char *key, bool dflt, bool *v, reel_error *err)
{
    json_t *j = json_object_get(o, key);
    *v = dflt;
    if (!j)
        return REEL_OK;
    if (!json_is_boolean(j))
        return reel_error_set(err, REEL_EINVAL, "mapping: '%s' is not true or false", key);
    *v = json_is_true(j);
    return REEL_OK;
}

static bool osc_address_ok(const char *a)
{
    if (!a || a[0] != '/' || strlen(a) >= REEL_MAPPING_ADDR_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("#*,?[]{}", *p))
            return false;
    return true;
}

static bool target_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n >= REEL_MAPPING_TARGET_MAX)
        return false;
    const char *c = strchr(t, ':');
    if (!c || c == t || !c[1])
        return false;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if (*p < ' ' || *p == 0x7f)
            return false;
    return true;
}

static int parse_input(json_t *in, reel_mapping *m, reel_error *err)
{
    if (!json_is_object(in))
        return reel_error_set(err, REEL_EINVAL, "mapping: 'input' must be an object "
                              "({\"midi\": \"cc\", ...} or {\"osc\": \"/address\"})");
    json_t *osc = json_object_get(in, "osc"), *midi = json_object_get(in, "midi");
    if ((osc != NULL) == (midi != NULL))
        return reel_error_set(err, REEL_EINVAL, "mapping: 'input' needs exactly one of 'midi' "
                              "and 'osc'");
    m->channel = -1;
    m->number = -1;
    if (osc) {
        const char *a = json_string_value(osc);
        if (!osc_address_ok(a))
            return reel_error_set(err, REEL_EINVAL, "mapping: OSC address '%.100s' is not a "
                                  "plain OSC address (/a/b, no patterns)", a ? a : "?");
        m->kind = REEL_MAP_OSC;
        snprintf(m->address, sizeof m->address, "%s", a);
        return REEL_OK;
    }
    int k = name_index(json_string_value(midi), kind_names, 5);
    if (k < 0)
        return reel_error_set(err, REEL_EINVAL, "mapping: MIDI input '%.40s' is not one of cc, "
                              "note, program, bend, nrpn", json_string_value(midi) ?: "?");
    m->kind = (reel_map_kind)k;
    double ch = 0, num = 0;
    bool has_ch, has_num;
    int rc = number_field(in, "channel", 1, 16, true, &ch, &has_ch, err);
    if (rc)
        return rc;
    m->channel = has_ch ? (int)ch - 1 : -1;
    double hi = m->kind == REEL_MAP_NRPN ? 16383 : 127;
    if ((rc = number_field(in, "number", 0, hi, true, &num, &has_num, err)))
        return rc;
    if (m->kind == REEL_MAP_BEND && has_num)
        return reel_error_set(err, REEL_EINVAL, "mapping: pitch bend has no 'number'");
    if ((m->kind == REEL_MAP_CC || m->kind == REEL_MAP_NOTE || m->kind == REEL_MAP_NRPN) &&
        !has_num)
        return reel_error_set(err, REEL_EINVAL, "mapping: MIDI %s input needs a 'number'",
                              kind_names[m->kind]);
    m->number = has_num ? (int)num : -1;
    return REEL_OK;
}

static int parse_target(json_t *doc, reel_mapping *m, reel_error *err)
{
    json_t *t = json_object_get(doc, "target"), *act = json_object_get(doc, "action");
    if ((t != NULL) == (act != NULL))
        return reel_error_set(err, REEL_EINVAL, "mapping: give exactly one of 'target' (a "
                              "parameter) and 'action'");
    if (t) {
        if (!target_ok(json_string_value(t)))
            return reel_error_set(err, REEL_EINVAL, "mapping: target '%.100s' is not a "
                                  "parameter path (<node>:<param>, clip:<id>:gain)",
                                  json_string_value(t) ?: "?");
        m->action = REEL_MAP_PARAM;
        snprintf(m->target, sizeof m->target, "%s", json_string_value(t));
        return REEL_OK;
    }
    const char *a = json_string_value(act);
    int k = name_index(a, action_names, 8);
    if (k <= 0)
        return reel_error_set(err, REEL_EINVAL, "mapping: action '%.40s' is not one of "
                              "scene_next, scene_previous, transport_play, transport_stop, "
                              "transport_toggle, record_arm, marker", a ? a : "?");
    m->action = (reel_map_action)k;
    json_t *lane = json_object_get(doc, "lane");
    if (m->action == REEL_MAP_RECORD_ARM) {
        const char *l = json_string_value(lane);
        if (!l || !*l || strlen(l) >= REEL_MAPPING_TARGET_MAX)
            return reel_error_set(err, REEL_EINVAL, "mapping: action record_arm needs a 'lane'");
        snprintf(m->target, sizeof m->target, "%s", l);
    } else if (lane) {
        return reel_error_set(err, REEL_EINVAL, "mapping: 'lane' is for action record_arm");
    }
    return REEL_OK;
}

static int parse_transform(json_t *t, reel_mapping *m, reel_error *err)
{
    m->curve = REEL_MAP_LINEAR;
    if (!t)
        return REEL_OK;
    if (!json_is_object(t))
        return reel_error_set(err, REEL_EINVAL, "mapping: 'transform' must be an object");
    int rc;
    if ((rc = number_field(t, "min", -1e9, 1e9, false, &m->min, &m->has_min, err)) ||
        (rc = number_field(t, "max", -1e9, 1e9, false, &m->max, &m->has_max, err)) ||
        (rc = number_field(t, "deadzone", 0, 0.45, false, &m->deadzone, NULL, err)) ||
        (rc = number_field(t, "smoothing", 0, 10, false, &m->smoothing, NULL, err)) ||
        (rc = bool_field(t, "invert", false, &m->invert, err)))
        return rc;
    double q = 0;
    if ((rc = number_field(t, "quantize", 0, 1024, true, &q, NULL, err)))
        return rc;
    if (q == 1)
        return reel_error_set(err, REEL_ERANGE, "mapping: 'quantize' is 0 (none) or 2..1024 "
                              "steps");
    m->quantize = (int)q;
    json_t *c = json_object_get(t, "curve");
    if (c) {
        int k = name_index(json_string_value(c), curve_names, 4);
        if (k < 0)
            return reel_error_set(err, REEL_EINVAL, "mapping: curve '%.40s' is not one of "
                                  "linear, exponential, logarithmic, s_curve",
                                  json_string_value(c) ?: "?");
        m->curve = (reel_map_curve)k;
    }
    if (m->has_min && m->has_max && m->min == m->max)
        return reel_error_set(err, REEL_ERANGE, "mapping: 'min' and 'max' are equal");
    return REEL_OK;
}

int reel_mapping_id_parse(json_t *doc, char out[REEL_MAPPING_ID_MAX], const char *what,
                          reel_error *err)
{
    json_t *id = json_object_get(doc, "id");
    out[0] = '\0';
    if (!id)
        return REEL_OK;
    const char *s = json_string_value(id);
    if (!s || !*s || strlen(s) >= REEL_MAPPING_ID_MAX)
        return reel_error_set(err, REEL_EINVAL, "%s: 'id' must be a string of 1..%d bytes", what,
                              REEL_MAPPING_ID_MAX - 1);
    snprintf(out, REEL_MAPPING_ID_MAX, "%s", s);
    return REEL_OK;
}

int reel_mapping_parse_output(json_t *doc, reel_mapping *m, reel_error *err)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(doc))
        return reel_error_set(err, REEL_EINVAL, "not an object");
    m->kind = REEL_MAP_OSC; /* no input of its own */
    m->channel = m->number = -1;
    int rc = parse_target(doc, m, err);
    return rc ? rc : parse_transform(json_object_get(doc, "transform"), m, err);
}

int reel_mapping_parse(json_t *doc, reel_mapping *m, reel_error *err)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(doc))
        return reel_error_set(err, REEL_EINVAL, "mapping: not an object");
    int rc = reel_mapping_id_parse(doc, m->id, "mapping", err);
    if (rc)
        return rc;
    if ((rc = parse_input(json_object_get(doc, "input"), m, err)) ||
        (rc = parse_target(doc, m, err)) ||
        (rc = parse_transform(json_object_get(doc, "transform"), m, err)) ||
        (rc = bool_field(doc, "pickup", false, &m->pickup, err)) ||
        (rc = bool_field(doc, "feedback", true, &m->feedback, err)))
        return rc;
    json_t *port = json_object_get(doc, "port");
    if (port && (!json_is_string(port) || !*json_string_value(port)))
        return reel_error_set(err, REEL_EINVAL, "mapping: 'port' must be a JACK port name");
    if (port && m->kind == REEL_MAP_OSC)
        return reel_error_set(err, REEL_EINVAL, "mapping: an OSC input has no JACK 'port'");
    json_t *fb = json_object_get(doc, "feedback_to");
    if (fb) {
        const char *u = json_string_value(fb);
        if (m->kind != REEL_MAP_OSC)
            return reel_error_set(err, REEL_EINVAL, "mapping: 'feedback_to' is for OSC inputs "
                                  "(MIDI feedback goes to control_out)");
        if (!u || strncmp(u, "osc.udp://", 10) != 0 || strlen(u) >= sizeof m->feedback_to ||
            strlen(u) < 12)
            return reel_error_set(err, REEL_EINVAL, "mapping: 'feedback_to' must be an OSC URL "
                                  "osc.udp://host:port/");
        snprintf(m->feedback_to, sizeof m->feedback_to, "%s", u);
    }
    return REEL_OK;
}

/* ---- MIDI messages ---------------------------------------------------------------- */

void reel_map_midi_state_init(reel_map_midi_state *st)
{
    for (int c = 0; c < 16; c++)
        st->nrpn_param[c] = st->nrpn_msb[c] = -1;
}

static bool nrpn_step(reel_map_midi_state *st, int ch, int cc, int v, reel_map_msg *out)
{
    int *p = &st->nrpn_param[ch];
    switch (cc) {
    case 99: *p = (v << 7) | (*p >= 0 ? *p & 0x7f : 0); st->nrpn_msb[ch] = -1; return false;
    case 98: *p = (*p >= 0 ? *p & 0x3f80 : 0) | v; st->nrpn_msb[ch] = -1; return false;
    case 6:
        if (*p < 0)
            return false;
        st->nrpn_msb[ch] = v;
        out->number = *p;
        out->x = (double)(v << 7) / 16383.0;
        return true;
    case 38:
        if (*p < 0 || st->nrpn_msb[ch] < 0)
            return false;
        out->number = *p;
        out->x = (double)((st->nrpn_msb[ch] << 7) | v) / 16383.0;
        return true;
    default: return false;
    }
}

bool reel_map_midi_decode(reel_map_midi_state *st, const uint8_t *d, size_t n, reel_map_msg *out)
{
    if (n < 2 || !(d[0] & 0x80) || d[0] >= 0xF0 || (d[1] & 0x80))
        return false;
    int type = d[0] & 0xF0, ch = d[0] & 0x0F;
    bool two = type == 0xC0 || type == 0xD0;
    if (!two && (n < 3 || (d[2] & 0x80)))
        return false;
    *out = (reel_map_msg){.channel = ch, .number = d[1], .touch = -1};
    switch (type) {
    case 0xB0:
        if (d[1] == 99 || d[1] == 98 || d[1] == 6 || d[1] == 38) {
            reel_map_msg nr = *out;
            nr.kind = REEL_MAP_NRPN;
            if (nrpn_step(st, ch, d[1], d[2], &nr)) {
                *out = nr;
                return true;
            }
            if (d[1] == 99 || d[1] == 98)
                return false; /* a selection: the data entry that follows is the message */
        }
        out->kind = REEL_MAP_CC;
        out->x = d[2] / 127.0;
        return true;
    case 0x90:
        out->kind = REEL_MAP_NOTE;
        out->x = d[2] / 127.0;
        out->touch = d[2] > 0;
        return true;
    case 0x80:
        out->kind = REEL_MAP_NOTE;
        out->x = 0;
        out->touch = 0;
        return true;
    case 0xC0:
        out->kind = REEL_MAP_PROGRAM;
        out->x = d[1] / 127.0;
        return true;
    case 0xE0:
        out->kind = REEL_MAP_BEND;
        out->number = -1;
        out->x = (double)(d[1] | (d[2] << 7)) / 16383.0;
        return true;
    default: return false;
    }
}

bool reel_mapping_matches(const reel_mapping *m, const reel_map_msg *msg)
{
    if (m->kind != msg->kind || m->kind == REEL_MAP_OSC)
        return false;
    if (m->channel >= 0 && m->channel != msg->channel)
        return false;
    return m->number < 0 || m->kind == REEL_MAP_BEND || m->number == msg->number;
}

void reel_mapping_input_json(const reel_map_msg *msg, json_t *doc)
{
    json_t *in = json_pack("{s:s, s:i}", "midi", kind_names[msg->kind], "channel",
                           msg->channel + 1);
    if (msg->kind == REEL_MAP_CC || msg->kind == REEL_MAP_NOTE || msg->kind == REEL_MAP_NRPN)
        json_object_set_new(in, "number", json_integer(msg->number));
    json_object_set_new(doc, "input", in);
}

/* ---- the transform ---------------------------------------------------------------- */

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : isnan(x) ? 0 : x;
}

static double shape(reel_map_curve c, double x)
{
    switch (c) {
    case REEL_MAP_EXPONENTIAL: return (pow(10.0, 2.0 * x) - 1.0) / 99.0;
    case REEL_MAP_LOGARITHMIC: return log10(1.0 + 9.0 * x);
    case REEL_MAP_S_CURVE: return (1.0 - cos(M_PI * x)) / 2.0;
    default: return x;
    }
}

static double unshape(reel_map_curve c, double y)
{
    switch (c) {
    case REEL_MAP_EXPONENTIAL: return log10(1.0 + 99.0 * y) / 2.0;
    case REEL_MAP_LOGARITHMIC: return (pow(10.0, y) - 1.0) / 9.0;
    case REEL_MAP_S_CURVE: return acos(1.0 - 2.0 * y) / M_PI;
    default: return y;
    }
}

double reel_mapping_value(const reel_mapping *m, double x, double lo, double hi)
{
    if (m->has_min)
        lo = m->min;
    if (m->has_max)
        hi = m->max;
    x = clamp01(x);
    if (m->invert)
        x = 1.0 - x;
    double d = m->deadzone;
    x = clamp01((x - d) / (1.0 - 2.0 * d));
    double y = clamp01(shape(m->curve, x));
    if (m->quantize >= 2)
        y = round(y * (m->quantize - 1)) / (m->quantize - 1);
    if (y >= 1.0)
        return hi; /* exactly the end, whatever rounding lo + (hi - lo) does */
    double v = lo + y * (hi - lo);
    double a = lo < hi ? lo : hi, b = lo < hi ? hi : lo;
    return v < a ? a : v > b ? b : v;
}

double reel_mapping_position(const reel_mapping *m, double v, double lo, double hi)
{
    if (m->has_min)
        lo = m->min;
    if (m->has_max)
        hi = m->max;
    double y = hi != lo ? clamp01((v - lo) / (hi - lo)) : 0;
    double x = clamp01(unshape(m->curve, y));
    double d = m->deadzone;
    x = d + x * (1.0 - 2.0 * d);
    if (m->invert)
        x = 1.0 - x;
    return clamp01(x);
}

size_t reel_mapping_feedback_midi(const reel_mapping *m, double x, uint8_t out[12])
{
    int ch = m->channel >= 0 ? m->channel : 0;
    x = clamp01(x);
    int v7 = (int)lround(x * 127.0), v14 = (int)lround(x * 16383.0);
    if (m->number < 0 && m->kind != REEL_MAP_BEND)
        return 0; /* no one controller to show it on */
    switch (m->kind) {
    case REEL_MAP_CC:
        out[0] = (uint8_t)(0xB0 | ch), out[1] = (uint8_t)m->number, out[2] = (uint8_t)v7;
        return 3;
    case REEL_MAP_NOTE: /* a lit or dark button: note on, velocity the position */
        out[0] = (uint8_t)(0x90 | ch), out[1] = (uint8_t)m->number, out[2] = (uint8_t)v7;
        return 3;
    case REEL_MAP_BEND:
        out[0] = (uint8_t)(0xE0 | ch), out[1] = (uint8_t)(v14 & 0x7f);
        out[2] = (uint8_t)(v14 >> 7);
        return 3;
    case REEL_MAP_NRPN: {
        uint8_t s = (uint8_t)(0xB0 | ch);
        uint8_t seq[12] = {s, 99, (uint8_t)(m->number >> 7),  s, 98, (uint8_t)(m->number & 0x7f),
                           s, 6,  (uint8_t)(v14 >> 7),        s, 38, (uint8_t)(v14 & 0x7f)};
        memcpy(out, seq, 12);
        return 12;
    }
    default: return 0;
    }
}
