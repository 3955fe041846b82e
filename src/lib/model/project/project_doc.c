/*
 * project_doc.c — building and checking project documents (see
 * project_doc.h).
 *
 * Why a second check after the schema: the schema (shared with outside
 * validators) says what each field may hold; only code can say that the
 * track a clip names exists, that a window lies inside its source, or that
 * timeline A does not nest B which nests A. Both run before a version is
 * stored, so a stored version is always one the engine can play.
 */
#include "model/project/project_doc.h"

#include "core/json_schema.h"
#include "time/tempo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* schemas/project.schema.json, embedded at build time (project_schema.c). */
extern const char reel_project_schema_text[];

json_t *reel_project_doc_new(const char *id, const char *name, uint32_t rate, uint64_t seed)
{
    reel_tempo_map *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    reel_tempo_map_default(m);
    json_t *tempo = reel_tempo_map_to_json(m);
    free(m);
    char tl_id[REEL_PROJECT_ID_MAX];
    snprintf(tl_id, sizeof tl_id, "tl1-%.4s", strlen(id) > 4 ? id + 4 : "0000");
    json_t *main_tl = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[]}", "id", tl_id, "name", "main",
                                "timebase", "seconds", "markers", "clips", "events");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:[], s:[o], s:o, s:{}, s:[], s:[],"
                            " s:[]}",
                            "format", REEL_PROJECT_FORMAT, "id", id, "name", name, "rate",
                            (json_int_t)rate, "seed", (json_int_t)(seed & ((1ULL << 53) - 1)),
                            "next_id", (json_int_t)2, "tracks", "timelines", main_tl, "tempo",
                            tempo, "graph", "lanes", "mappings", "scenes");
    return doc;
}

json_t *reel_project_find(json_t *arr, const char *id, size_t *index)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *vid = json_string_value(json_object_get(v, "id"));
        if (vid && id && strcmp(vid, id) == 0) {
            if (index)
                *index = i;
            return v;
        }
    }
    return NULL;
}

int reel_project_remove_item(json_t *doc, const char *array, const char *id, const char *what,
                             reel_error *err)
{
    size_t idx;
    if (!reel_project_find(json_object_get(doc, array), id, &idx))
        return reel_error_set(err, REEL_ENOENT, "no %s '%.64s' in this project", what, id);
    json_array_remove(json_object_get(doc, array), idx);
    return REEL_OK;
}

/* The 4 hex digits after "prj-" that end every id of the project. */
static void id_tag(json_t *doc, char tag[8])
{
    const char *pid = json_string_value(json_object_get(doc, "id"));
    snprintf(tag, 8, "%.4s", pid && strlen(pid) > 4 ? pid + 4 : "0000");
}

void reel_project_new_id(json_t *doc, const char *prefix, char out[REEL_PROJECT_ID_MAX])
{
    json_int_t n = json_integer_value(json_object_get(doc, "next_id"));
    if (n < 1)
        n = 1;
    char tag[8];
    id_tag(doc, tag);
    snprintf(out, REEL_PROJECT_ID_MAX, "%s%lld-%s", prefix, (long long)n, tag);
    json_object_set_new(doc, "next_id", json_integer(n + 1));
}

bool reel_project_id_foreign(json_t *doc, const char *id)
{
    char tag[8];
    id_tag(doc, tag);
    const char *dash = id ? strrchr(id, '-') : NULL;
    return dash && strcmp(dash + 1, tag) != 0;
}

json_t *reel_project_clip_find(json_t *doc, const char *clip_id, json_t **timeline, size_t *index)
{
    size_t i;
    json_t *tl;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_t *c = reel_project_find(json_object_get(tl, "clips"), clip_id, index);
        if (c) {
            if (timeline)
                *timeline = tl;
            return c;
        }
    }
    return NULL;
}

static uint32_t doc_rate(json_t *doc)
{
    json_int_t r = json_integer_value(json_object_get(doc, "rate"));
    return r > 0 && r <= 768000 ? (uint32_t)r : 48000;
}

static bool is_beats(json_t *timeline)
{
    const char *tb = json_string_value(json_object_get(timeline, "timebase"));
    return tb && strcmp(tb, "beats") == 0;
}

/* The document's tempo map (malloc'd: it is large); NULL with err set. */
static reel_tempo_map *doc_tempo(json_t *doc, reel_error *err)
{
    reel_tempo_map *m = malloc(sizeof *m);
    if (!m) {
        reel_error_set(err, REEL_ENOMEM, "out of memory");
        return NULL;
    }
    if (reel_tempo_map_from_json(json_object_get(doc, "tempo"), m, err)) {
        free(m);
        return NULL;
    }
    return m;
}

/* Seconds from the timeline's start to position `at`. */
static double pos_seconds(const reel_tempo_map *m, json_t *timeline, double at)
{
    return is_beats(timeline) ? reel_tempo_beats_to_seconds(m, at) : at;
}

static double seconds_pos(const reel_tempo_map *m, json_t *timeline, double s)
{
    return is_beats(timeline) ? reel_tempo_seconds_to_beats(m, s) : s;
}

int reel_project_pos_frames(json_t *doc, json_t *timeline, double at, int64_t *frames,
                            reel_error *err)
{
    reel_tempo_map *m = doc_tempo(doc, err);
    if (!m)
        return err ? err->code : REEL_EINVAL;
    double s = pos_seconds(m, timeline, at);
    uint32_t rate = doc_rate(doc);
    int rc = REEL_OK;
    if (!isfinite(s) || s < 0 || s * rate > REEL_PROJECT_FRAMES_MAX)
        rc = reel_error_set(err, REEL_ERANGE, "position %g is past 2^53 frames at %u Hz", at,
                            rate);
    else
        *frames = is_beats(timeline) ? reel_tempo_beats_to_frames(m, at, rate)
                                     : reel_tempo_seconds_to_frames(at, rate);
    free(m);
    return rc;
}

double reel_project_pos_after(json_t *doc, json_t *timeline, double at, int64_t frames)
{
    reel_error e;
    reel_tempo_map *m = doc_tempo(doc, &e);
    if (!m)
        return NAN;
    double r = seconds_pos(m, timeline, pos_seconds(m, timeline, at) +
                                            (double)frames / (double)doc_rate(doc));
    free(m);
    return r;
}

static double num(json_t *o, const char *k, double dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static int64_t whole(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v)
           : json_is_real(v)  ? (int64_t)json_real_value(v)
                              : dflt;
}

static uint32_t source_rate(json_t *clip)
{
    int64_t r = whole(json_object_get(clip, "source"), "rate", 48000);
    return r > 0 ? (uint32_t)r : 48000;
}

int reel_project_clip_frames_to(json_t *doc, json_t *timeline, json_t *clip, double to,
                                int64_t *frames, reel_error *err)
{
    reel_tempo_map *m = doc_tempo(doc, err);
    if (!m)
        return err ? err->code : REEL_EINVAL;
    double span = pos_seconds(m, timeline, to) - pos_seconds(m, timeline, num(clip, "at", 0));
    free(m);
    /* Source frames: a stretch of 2 plays each source second over two
     * timeline seconds. */
    *frames = reel_tempo_seconds_to_frames(span / num(clip, "stretch", 1.0), source_rate(clip));
    return REEL_OK;
}

double reel_project_clip_end_pos(json_t *doc, json_t *timeline, json_t *clip)
{
    const char *kind = json_string_value(json_object_get(clip, "kind"));
    double at = num(clip, "at", 0);
    if (kind && strcmp(kind, "audio") != 0)
        return at + num(clip, "length", 0);
    reel_error e;
    reel_tempo_map *m = doc_tempo(doc, &e);
    if (!m)
        return NAN;
    double secs = (double)(whole(clip, "end", 0) - whole(clip, "start", 0)) /
                  (double)source_rate(clip) * num(clip, "stretch", 1.0);
    double r = seconds_pos(m, timeline, pos_seconds(m, timeline, at) + secs);
    free(m);
    return r;
}

json_t *reel_project_doc_cow(json_t *doc)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if (strcmp(k, "timelines") != 0 || !json_is_array(v)) {
            json_object_set_new(out, k, json_deep_copy(v));
            continue;
        }
        json_t *tls = json_array();
        size_t i;
        json_t *tl;
        json_array_foreach(v, i, tl) {
            json_t *ntl = json_object();
            const char *tk;
            json_t *tv;
            json_object_foreach(tl, tk, tv) {
                json_object_set_new(ntl, tk, strcmp(tk, "clips") == 0 ? json_copy(tv)
                                                                      : json_deep_copy(tv));
            }
            json_array_append_new(tls, ntl);
        }
        json_object_set_new(out, k, tls);
    }
    return out;
}

json_t *reel_project_clip_writable(json_t *timeline, size_t index)
{
    json_t *clips = json_object_get(timeline, "clips");
    json_t *copy = json_deep_copy(json_array_get(clips, index));
    if (!copy || json_array_set_new(clips, index, copy))
        return NULL;
    return copy;
}

char *reel_project_doc_dump(json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
}

/* ---- the check -------------------------------------------------------------- */

typedef struct check_ctx {
    json_t *doc;
    reel_tempo_map *tempo;
    uint32_t rate;
    reel_error *err;
} check_ctx;

static int bad(check_ctx *c, const char *fmt, const char *a, const char *b)
{
    return reel_error_set(c->err, REEL_EINVAL, fmt, a ? a : "?", b ? b : "?");
}

static const char *sid(json_t *o)
{
    return json_string_value(json_object_get(o, "id"));
}

/* A position of timeline `tl` within 2^53 frames. */
static int check_pos(check_ctx *c, json_t *tl, double at, const char *what, const char *id)
{
    double s = pos_seconds(c->tempo, tl, at);
    if (!isfinite(s) || s < 0 || s * c->rate > REEL_PROJECT_FRAMES_MAX) {
        char msg[64];
        snprintf(msg, sizeof msg, "%g", at);
        return reel_error_set(c->err, REEL_EINVAL, "%s %s: position %s is past 2^53 frames",
                              what, id ? id : "?", msg);
    }
    return REEL_OK;
}

/* Every id in `arr` unique, across the whole document (ids are drawn
 * from one counter). */
static int check_unique(check_ctx *c, json_t *seen, json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *id = sid(v);
        if (json_object_get(seen, id))
            return bad(c, "id \"%s\" is used twice%s", id, "");
        json_object_set_new(seen, id, json_true());
    }
    return REEL_OK;
}

static int check_audio_clip(check_ctx *c, json_t *tl, json_t *clip)
{
    const char *id = sid(clip);
    json_t *src = json_object_get(clip, "source");
    if (!src)
        return bad(c, "clip %s: an audio clip needs a \"source\"%s", id, "");
    int kinds = !!json_object_get(src, "artifact") + !!json_object_get(src, "blob") +
                !!json_object_get(src, "stream");
    if (kinds != 1)
        return bad(c, "clip %s: a source is exactly one of artifact, blob or stream%s", id, "");
    bool window = json_object_get(src, "stream") != NULL;
    if (window != (json_object_get(src, "from") && json_object_get(src, "to")))
        return bad(c, "clip %s: a stream source needs \"from\" and \"to\" (and only it has "
                      "them)%s", id, "");
    if (window && !json_object_get(src, "slice"))
        return bad(c, "clip %s: a stream source needs the \"slice\" that holds its frames%s",
                   id, "");
    if (window && whole(src, "to", 0) - whole(src, "from", 0) != whole(src, "frames", -1))
        return bad(c, "clip %s: a stream window's frames must be to - from%s", id, "");
    if (!json_object_get(clip, "start") || !json_object_get(clip, "end"))
        return bad(c, "clip %s: an audio clip needs \"start\" and \"end\"%s", id, "");
    int64_t start = whole(clip, "start", 0), end = whole(clip, "end", 0);
    int64_t frames = whole(src, "frames", 0);
    if (start >= end)
        return bad(c, "clip %s: \"start\" must be before \"end\"%s", id, "");
    if (end > frames) {
        char msg[96];
        snprintf(msg, sizeof msg, "%lld is past the source's %lld frames", (long long)end,
                 (long long)frames);
        return bad(c, "clip %s: \"end\" %s", id, msg);
    }
    if (whole(clip, "fade_in", 0) + whole(clip, "fade_out", 0) > end - start)
        return bad(c, "clip %s: the fades are longer than the clip%s", id, "");
    static const char *const action_only[] = {"length", "loop", "events", "timeline",
                                              "start_marker", "end_marker",
                                              "loop_start_marker", "loop_end_marker"};
    for (size_t k = 0; k < sizeof action_only / sizeof action_only[0]; k++)
        if (json_object_get(clip, action_only[k]))
            return bad(c, "clip %s: an audio clip has no \"%s\"", id, action_only[k]);
    return check_pos(c, tl, reel_project_clip_end_pos(c->doc, tl, clip), "clip", id);
}

static int check_other_clip(check_ctx *c, json_t *tl, json_t *clip, const char *kind)
{
    const char *id = sid(clip);
    static const char *const audio_only[] = {"source", "start", "end", "fade_in", "fade_out",
                                             "stretch", "pitch", "algorithm", "gain", "pan"};
    for (size_t k = 0; k < sizeof audio_only / sizeof audio_only[0]; k++)
        if (json_object_get(clip, audio_only[k]))
            return bad(c, "clip %s: only an audio clip has \"%s\"", id, audio_only[k]);
    if (strcmp(kind, "action") == 0) {
        if (!json_object_get(clip, "length"))
            return bad(c, "clip %s: an action clip needs a \"length\"%s", id, "");
        if (json_object_get(clip, "timeline"))
            return bad(c, "clip %s: an action clip has no \"timeline\"%s", id, "");
        double len = num(clip, "length", 0);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(clip, "events"), i, e) {
            if (num(e, "at", 0) > len)
                return bad(c, "clip %s: an event lies past the clip's length%s", id, "");
        }
        return check_pos(c, tl, num(clip, "at", 0) + len, "clip", id);
    }
    /* A nested timeline. */
    if (json_object_get(clip, "events") || json_object_get(clip, "loop"))
        return bad(c, "clip %s: a timeline clip has no \"events\" or \"loop\" (loop markers "
                      "say what loops)%s", id, "");
    const char *nested = json_string_value(json_object_get(clip, "timeline"));
    json_t *ntl = reel_project_find(json_object_get(c->doc, "timelines"), nested, NULL);
    if (!ntl)
        return bad(c, "clip %s: no timeline \"%s\" to nest", id, nested);
    static const char *const marks[] = {"start_marker", "end_marker", "loop_start_marker",
                                        "loop_end_marker"};
    for (size_t k = 0; k < 4; k++) {
        const char *m = json_string_value(json_object_get(clip, marks[k]));
        if (m && !reel_project_find(json_object_get(ntl, "markers"), m, NULL))
            return bad(c, "clip %s: timeline %s has no such marker", id, nested);
    }
    if (!!json_object_get(clip, "loop_start_marker") != !!json_object_get(clip, "loop_end_marker"))
        return bad(c, "clip %s: loop markers come in pairs (loop_start_marker and "
                      "loop_end_marker)%s", id, "");
    return REEL_OK;
}

/* Timeline `tl` does not reach itself through nested clips: a depth-first
 * walk with the path on a stack of ids (`path`, at most every timeline). */
static int check_nesting(check_ctx *c, json_t *tl, json_t *path)
{
    const char *id = sid(tl);
    size_t i;
    json_t *p;
    json_array_foreach(path, i, p) {
        if (strcmp(json_string_value(p), id) == 0)
            return bad(c, "timeline %s contains itself (through nested timeline clips)%s", id,
                       "");
    }
    json_array_append_new(path, json_string(id));
    json_t *clip;
    json_array_foreach(json_object_get(tl, "clips"), i, clip) {
        const char *nested = json_string_value(json_object_get(clip, "timeline"));
        json_t *ntl = nested ? reel_project_find(json_object_get(c->doc, "timelines"), nested,
                                                 NULL)
                             : NULL;
        int rc = ntl ? check_nesting(c, ntl, path) : REEL_OK;
        if (rc)
            return rc;
    }
    json_array_remove(path, json_array_size(path) - 1);
    return REEL_OK;
}

/* The frame of one timeline: unique ids, markers, events, loop, every clip's
 * id and track; each clip's own fields are check_clip's. */
static int check_timeline(check_ctx *c, json_t *tl, json_t *seen)
{
    const char *tid = sid(tl);
    int rc;
    if ((rc = check_unique(c, seen, json_object_get(tl, "markers"))) ||
        (rc = check_unique(c, seen, json_object_get(tl, "clips"))) ||
        (rc = check_unique(c, seen, json_object_get(tl, "events"))))
        return rc;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(tl, "markers"), i, v) {
        if ((rc = check_pos(c, tl, num(v, "at", 0), "marker", sid(v))))
            return rc;
    }
    json_array_foreach(json_object_get(tl, "events"), i, v) {
        if ((rc = check_pos(c, tl, num(v, "at", 0), "event", sid(v))))
            return rc;
    }
    json_t *loop = json_object_get(tl, "loop");
    if (loop && !(num(loop, "from", 0) < num(loop, "to", 0)))
        return bad(c, "timeline %s: the loop region's \"from\" must be before its \"to\"%s",
                   tid, "");
    if (loop && (rc = check_pos(c, tl, num(loop, "to", 0), "timeline", tid)))
        return rc;
    return REEL_OK;
}

struct reel_project_checker {
    check_ctx c;
    json_t *schema;      /* the document schema */
    json_t *clip_schema; /* its clip item schema (borrowed from schema) */
};

void reel_project_checker_free(reel_project_checker *k)
{
    if (!k)
        return;
    json_decref(k->schema);
    free(k->c.tempo);
    free(k);
}

int reel_project_checker_new(json_t *doc, reel_project_checker **out, reel_error *err)
{
    *out = NULL;
    reel_project_checker *k = calloc(1, sizeof *k);
    if (!k)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_error_t je;
    k->schema = json_loads(reel_project_schema_text, 0, &je);
    if (!k->schema) {
        free(k);
        return reel_error_set(err, REEL_EIO, "the embedded project schema does not parse: %s",
                              je.text);
    }
    json_t *tlp = json_object_get(json_object_get(k->schema, "properties"), "timelines");
    json_t *tl_props = json_object_get(json_object_get(tlp, "items"), "properties");
    k->clip_schema = json_object_get(json_object_get(tl_props, "clips"), "items");
    k->c.doc = doc;
    k->c.rate = doc_rate(doc);
    k->c.err = err;
    /* The frame's schema first: the tempo map is read from it. The clips
     * are left out of this pass (each is checked on its own). */
    json_t *view = json_copy(doc), *vtls = json_array();
    size_t i;
    json_t *tl;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_t *vtl = json_copy(tl);
        if (json_is_array(json_object_get(tl, "clips")))
            json_object_set_new(vtl, "clips", json_array());
        json_array_append_new(vtls, vtl);
    }
    int rc;
    if (!json_is_array(json_object_get(doc, "timelines")))
        json_decref(vtls);
    else
        json_object_set_new(view, "timelines", vtls);
    rc = reel_schema_check(k->schema, view, err);
    json_decref(view);
    if (rc == 0 && !k->clip_schema)
        rc = reel_error_set(err, REEL_EIO, "the embedded project schema has no clip schema");
    if (rc == 0 && !(k->c.tempo = doc_tempo(doc, err)))
        rc = err ? err->code : REEL_EINVAL;
    if (rc) {
        reel_project_checker_free(k);
        return rc;
    }
    *out = k;
    return REEL_OK;
}

int reel_project_checker_clip(reel_project_checker *k, json_t *tl, json_t *clip, reel_error *err)
{
    check_ctx *c = &k->c;
    c->err = err;
    json_t *one = json_pack("{s:O}", "clip", clip);
    json_t *wrap = json_pack("{s:s, s:{s:O}}", "type", "object", "properties", "clip",
                             k->clip_schema);
    int rc = one && wrap ? reel_schema_check(wrap, one, err)
                         : reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_decref(one);
    json_decref(wrap);
    if (rc) {
        /* "clip.gain must be..." names the field; say which clip. */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return reel_error_set(err, rc, "clip %.64s: %s", sid(clip) ? sid(clip) : "?", msg);
    }
    const char *kind = json_string_value(json_object_get(clip, "kind"));
    const char *track = json_string_value(json_object_get(clip, "track"));
    if (!reel_project_find(json_object_get(c->doc, "tracks"), track, NULL))
        return bad(c, "clip %s: no track \"%s\" in this project", sid(clip), track);
    if ((rc = check_pos(c, tl, num(clip, "at", 0), "clip", sid(clip))))
        return rc;
    return strcmp(kind, "audio") == 0 ? check_audio_clip(c, tl, clip)
                                      : check_other_clip(c, tl, clip, kind);
}

int reel_project_checker_frame(reel_project_checker *k, reel_error *err)
{
    check_ctx *c = &k->c;
    c->err = err;
    json_t *doc = c->doc;
    json_t *seen = json_object(), *path = json_array();
    int rc = (!seen || !path) ? reel_error_set(err, REEL_ENOMEM, "out of memory") : REEL_OK;
    if (!rc)
        rc = check_unique(c, seen, json_object_get(doc, "tracks"));
    if (!rc)
        rc = check_unique(c, seen, json_object_get(doc, "timelines"));
    size_t i;
    json_t *tl;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        if (rc)
            break;
        rc = check_timeline(c, tl, seen);
    }
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        if (rc)
            break;
        rc = check_nesting(c, tl, path);
    }
    /* Every id below next_id: a fresh id can never collide with an old one. */
    json_int_t next = json_integer_value(json_object_get(doc, "next_id"));
    const char *key;
    json_t *v;
    json_object_foreach(seen, key, v) {
        if (rc)
            break;
        const char *d = key + strcspn(key, "0123456789");
        if (*d && strtoll(d, NULL, 10) >= next)
            rc = bad(c, "id \"%s\" is not below next_id%s", key, "");
    }
    json_decref(seen);
    json_decref(path);
    return rc;
}

int reel_project_doc_check(json_t *doc, reel_error *err)
{
    if (!json_is_object(doc))
        return reel_error_set(err, REEL_EINVAL, "a project document is a JSON object");
    reel_project_checker *k;
    int rc = reel_project_checker_new(doc, &k, err);
    if (rc)
        return rc;
    rc = reel_project_checker_frame(k, err);
    size_t i, j;
    json_t *tl, *clip;
    json_array_foreach(json_object_get(doc, "timelines"), i, tl) {
        json_array_foreach(json_object_get(tl, "clips"), j, clip) {
            if (rc)
                break;
            rc = reel_project_checker_clip(k, tl, clip, err);
        }
    }
    reel_project_checker_free(k);
    return rc;
}
