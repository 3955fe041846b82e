/*
 * lane_ops.c — the automation lane ops (lane_doc.h): lane_add,
 * lane_write, lane_clear, lane_mode_set, lane_remove and lane_compact are
 * project edits (a new version each, so undo takes a write back);
 * lane_list and lane_get read a version.
 *
 * Owns: turning op arguments into lane edits. Must never: store a chunk
 * for a write it then refuses (every command is parsed and checked before
 * the chunk is written), or change a lane's commands when compacting.
 */
#include "model/project/lane_doc.h"
#include "model/project/lane_format.h"
#include "model/project/project_db.h"
#include "model/project/project_edit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *lane_or_fail(json_t *doc, json_t *args, reel_error *err)
{
    const char *id = reel_arg_str(args, "lane", "");
    json_t *l = reel_lane_find(doc, id);
    if (!l)
        reel_error_set(err, REEL_ENOENT, "no lane '%.64s' in this project", id);
    return l;
}

static json_t *lane_timeline(json_t *doc, json_t *lane)
{
    return reel_project_find(json_object_get(doc, "timelines"),
                             json_string_value(json_object_get(lane, "timeline")), NULL);
}

static int edit_lane_add(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                         reel_error *err)
{
    (void)x;
    json_t *tl = reel_project_arg_timeline(doc, args, err);
    if (!tl)
        return err->code;
    const char *target = reel_arg_str(args, "target", "");
    reel_auto_range r;
    int rc = reel_auto_target_resolve(doc, target, &r, err);
    if (rc)
        return rc;
    const char *mode = reel_arg_str(args, "mode", "play");
    if (!reel_lane_mode_valid(mode))
        return reel_error_set(err, REEL_EINVAL, "lane mode '%.32s' is not one of manual, play, "
                              "write, touch, latch, overdub", mode);
    const char *tid = json_string_value(json_object_get(tl, "id"));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(doc, "lanes"), i, l) {
        const char *lt = json_string_value(json_object_get(l, "timeline"));
        const char *lg = json_string_value(json_object_get(l, "target"));
        if (lt && lg && strcmp(lt, tid) == 0 && strcmp(lg, target) == 0)
            return reel_error_set(err, REEL_EEXIST, "timeline %s already has lane %s for %s",
                                  tid, json_string_value(json_object_get(l, "id")), target);
    }
    char id[REEL_PROJECT_ID_MAX];
    reel_project_new_id(doc, "l", id);
    if (!json_is_array(json_object_get(doc, "lanes")))
        json_object_set_new(doc, "lanes", json_array());
    json_array_append_new(json_object_get(doc, "lanes"),
                          json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", id, "timeline", tid,
                                    "target", target, "mode", mode, "chunks"));
    json_object_set_new(reply, "lane", json_string(id));
    return REEL_OK;
}

static int cmd_cmp(const void *a, const void *b)
{
    const reel_cmd *x = a, *y = b;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

typedef struct ix {
    reel_cmd c;
    size_t i;
} ix;

static int ix_cmp(const void *a, const void *b)
{
    const ix *x = a, *y = b;
    int r = cmd_cmp(&x->c, &y->c);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* The commands of args "events", parsed and checked, sorted by frame
 * (stable by index: same-frame commands keep the order given). */
static int parse_events(json_t *doc, json_t *lane, json_t *args, reel_cmd **out, size_t *n,
                        reel_error *err)
{
    json_t *evs = json_object_get(args, "events");
    reel_auto_range r;
    int rc = reel_auto_target_resolve(doc, json_string_value(json_object_get(lane, "target")),
                                      &r, err);
    if (rc)
        return rc;
    size_t m = json_array_size(evs);
    ix *v = malloc((m ? m : 1) * sizeof *v);
    if (!v)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_t *tl = lane_timeline(doc, lane);
    for (size_t i = 0; i < m; i++) {
        if ((rc = reel_lane_cmd_parse(doc, tl, json_array_get(evs, i), &r, &v[i].c, err))) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            free(v);
            return reel_error_set(err, rc, "events[%zu]: %s", i, why);
        }
        v[i].i = i;
    }
    /* stable: by frame, then the order given (qsort on the pair: O(n log n) for a
     * million events in any order) */
    if (m > 1)
        qsort(v, m, sizeof *v, ix_cmp);
    reel_cmd *c = malloc((m ? m : 1) * sizeof *c);
    if (!c) {
        free(v);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m; i++)
        c[i] = v[i].c;
    free(v);
    *out = c;
    *n = m;
    return REEL_OK;
}

static int add_chunk(reel_op_ctx *x, json_t *lane, const reel_cmd *c, size_t n, int64_t from,
                     int64_t to, bool replace, json_t *reply, reel_error *err)
{
    json_t *chunk;
    int rc = reel_lane_chunk_put(x->st, c, n, from, to, replace, &chunk, err);
    if (rc)
        return rc;
    json_object_set(reply, "chunk", json_object_get(chunk, "content"));
    json_array_append_new(json_object_get(lane, "chunks"), chunk);
    return REEL_OK;
}

/* A write's range: [from, to) given, else the commands' own span. */
static int write_range(json_t *doc, json_t *lane, json_t *args, const reel_cmd *c, size_t n,
                       int64_t *from, int64_t *to, reel_error *err)
{
    json_t *tl = lane_timeline(doc, lane);
    *from = n ? c[0].frame : 0;
    *to = n ? c[n - 1].frame + 1 + (c[n - 1].type == REEL_CMD_RAMP ? c[n - 1].ramp_frames : 0)
            : 0;
    int rc;
    json_t *jf = json_object_get(args, "from"), *jt = json_object_get(args, "to");
    if (jf && (rc = reel_project_pos_frames(doc, tl, json_number_value(jf), from, err)))
        return rc;
    if (jt && (rc = reel_project_pos_frames(doc, tl, json_number_value(jt), to, err)))
        return rc;
    if (*to < *from)
        return reel_error_set(err, REEL_ERANGE, "the write's range ends before it starts");
    for (size_t i = 0; i < n; i++)
        if (c[i].frame < *from || c[i].frame >= *to)
            return reel_error_set(err, REEL_ERANGE, "events[..] at frame %lld is outside the "
                                  "write's range %lld..%lld", (long long)c[i].frame,
                                  (long long)*from, (long long)*to);
    return REEL_OK;
}

/* A recorder's pass: "ranges" [{from_frame, to_frame}], each written over
 * (replace) with the commands inside it, one chunk each, in one edit. */
static int write_ranges(reel_op_ctx *x, json_t *lane, json_t *ranges, const reel_cmd *c,
                        size_t n, json_t *reply, reel_error *err)
{
    size_t i, used = 0;
    json_t *r;
    int rc = REEL_OK;
    json_array_foreach(ranges, i, r) {
        int64_t lo = json_integer_value(json_object_get(r, "from_frame"));
        int64_t hi = json_integer_value(json_object_get(r, "to_frame"));
        if (hi < lo)
            return reel_error_set(err, REEL_ERANGE, "ranges[%zu] ends before it starts", i);
        size_t a = 0;
        while (a < n && c[a].frame < lo)
            a++;
        size_t b = a;
        while (b < n && c[b].frame < hi)
            b++;
        used += b - a;
        if ((rc = add_chunk(x, lane, c + a, b - a, lo, hi, true, reply, err)))
            return rc;
    }
    if (used != n)
        return reel_error_set(err, REEL_ERANGE, "%zu of the events are outside every range "
                              "(or in two)", n - used);
    return REEL_OK;
}

static int edit_lane_write(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    json_t *lane = lane_or_fail(doc, args, err);
    if (!lane)
        return err->code;
    reel_cmd *c = NULL;
    size_t n = 0;
    int rc = parse_events(doc, lane, args, &c, &n, err);
    if (rc)
        return rc;
    int64_t from, to;
    bool replace = reel_arg_bool(args, "replace", false);
    json_t *ranges = json_object_get(args, "ranges");
    if (ranges)
        rc = write_ranges(x, lane, ranges, c, n, reply, err);
    else if (!(rc = write_range(doc, lane, args, c, n, &from, &to, err)))
        rc = add_chunk(x, lane, c, n, from, to, replace, reply, err);
    free(c);
    json_object_set_new(reply, "events", json_integer((json_int_t)n));
    const char *mode = reel_arg_str(args, "mode_after", NULL);
    if (!rc && mode) {
        if (!reel_lane_mode_valid(mode))
            return reel_error_set(err, REEL_EINVAL, "lane mode '%.32s' is not one of manual, "
                                  "play, write, touch, latch, overdub", mode);
        json_object_set_new(lane, "mode", json_string(mode));
    }
    return rc;
}

static int edit_lane_clear(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                           reel_error *err)
{
    json_t *lane = lane_or_fail(doc, args, err);
    if (!lane)
        return err->code;
    if (!json_object_get(args, "from") && !json_object_get(args, "to")) {
        json_object_set_new(lane, "chunks", json_array()); /* the old ones stay in history */
        return REEL_OK;
    }
    int64_t from = 0, to = INT64_MAX / 2;
    json_t *tl = lane_timeline(doc, lane);
    int rc;
    json_t *jf = json_object_get(args, "from"), *jt = json_object_get(args, "to");
    if (jf && (rc = reel_project_pos_frames(doc, tl, json_number_value(jf), &from, err)))
        return rc;
    if (jt && (rc = reel_project_pos_frames(doc, tl, json_number_value(jt), &to, err)))
        return rc;
    if (to <= from)
        return reel_error_set(err, REEL_ERANGE, "lane_clear: the range is empty");
    return add_chunk(x, lane, NULL, 0, from, to, true, reply, err);
}

static int edit_lane_mode_set(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                              reel_error *err)
{
    (void)x;
    (void)reply;
    json_t *lane = lane_or_fail(doc, args, err);
    if (!lane)
        return err->code;
    const char *mode = reel_arg_str(args, "mode", "");
    if (!reel_lane_mode_valid(mode))
        return reel_error_set(err, REEL_EINVAL, "lane mode '%.32s' is not one of manual, play, "
                              "write, touch, latch, overdub", mode);
    json_object_set_new(lane, "mode", json_string(mode));
    return REEL_OK;
}

static int edit_lane_remove(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                            reel_error *err)
{
    (void)x;
    (void)reply;
    size_t idx;
    const char *id = reel_arg_str(args, "lane", "");
    if (!reel_project_find(json_object_get(doc, "lanes"), id, &idx))
        return reel_error_set(err, REEL_ENOENT, "no lane '%.64s' in this project", id);
    json_array_remove(json_object_get(doc, "lanes"), idx);
    return REEL_OK;
}

static int edit_lane_compact(reel_op_ctx *x, json_t *doc, json_t *args, json_t *reply,
                             reel_error *err)
{
    json_t *lane = lane_or_fail(doc, args, err);
    if (!lane)
        return err->code;
    reel_cmd *c;
    size_t n;
    int rc = reel_lane_events(x->st, lane, &c, &n, err);
    if (rc)
        return rc;
    size_t before = json_array_size(json_object_get(lane, "chunks"));
    json_object_set_new(lane, "chunks", json_array());
    if (n) {
        int64_t to = c[n - 1].frame + 1 + c[n - 1].ramp_frames;
        rc = add_chunk(x, lane, c, n, c[0].frame, to, false, reply, err);
    }
    free(c);
    json_object_set_new(reply, "chunks_before", json_integer((json_int_t)before));
    json_object_set_new(reply, "events", json_integer((json_int_t)n));
    return rc;
}

#define LANE_EDIT_OP(name, fn)                                                                  \
    static int op_##name(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)          \
    {                                                                                           \
        return reel_project_edit(x, args, #name, fn, out, err);                                 \
    }
LANE_EDIT_OP(lane_add, edit_lane_add)
LANE_EDIT_OP(lane_write, edit_lane_write)
LANE_EDIT_OP(lane_clear, edit_lane_clear)
LANE_EDIT_OP(lane_mode_set, edit_lane_mode_set)
LANE_EDIT_OP(lane_remove, edit_lane_remove)
LANE_EDIT_OP(lane_compact, edit_lane_compact)

static int load_version(reel_op_ctx *x, json_t *args, json_t **doc, reel_error *err)
{
    reel_project_version v;
    int rc = reel_project_version_get(reel_store_db(x->st), reel_arg_str(args, "project", ""),
                                      reel_arg_str(args, "version", NULL), &v, err);
    return rc ? rc : reel_project_load(x->st, v.version, doc, err);
}

static int op_lane_list(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *doc;
    int rc = load_version(x, args, &doc, err);
    if (rc)
        return rc;
    json_t *arr = json_array();
    size_t i, k;
    json_t *l, *ch;
    json_array_foreach(json_object_get(doc, "lanes"), i, l) {
        json_int_t events = 0;
        json_array_foreach(json_object_get(l, "chunks"), k, ch)
            events += json_integer_value(json_object_get(ch, "events"));
        json_array_append_new(
            arr, json_pack("{s:O, s:O, s:O, s:O, s:I, s:I}", "id", json_object_get(l, "id"),
                           "timeline", json_object_get(l, "timeline"), "target",
                           json_object_get(l, "target"), "mode", json_object_get(l, "mode"),
                           "chunks", (json_int_t)json_array_size(json_object_get(l, "chunks")),
                           "events_written", events));
    }
    json_decref(doc);
    *out = json_pack("{s:o}", "lanes", arr);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

/* Ardour's thinning (ControlList::thin) as a view: of three sets in a row,
 * the middle one goes when the triangle they make, |x1(y2-y3) + x2(y3-y1) +
 * x3(y1-y2)| in frames x value, is smaller than `factor`. Ramps and
 * triggers are kept and end a run; a toggle's lane is never thinned. The
 * lane itself is not changed. Returns the new count (in place). */
static size_t thin(reel_cmd *c, size_t n, double factor)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        c[w++] = c[i];
        while (w >= 3 && c[w - 1].type == REEL_CMD_SET && c[w - 2].type == REEL_CMD_SET &&
               c[w - 3].type == REEL_CMD_SET) {
            double x1 = (double)c[w - 3].frame, y1 = c[w - 3].value;
            double x2 = (double)c[w - 2].frame, y2 = c[w - 2].value;
            double x3 = (double)c[w - 1].frame, y3 = c[w - 1].value;
            double area = fabs(x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2));
            if (area >= factor)
                break;
            c[w - 2] = c[w - 1];
            w--;
        }
    }
    return w;
}

static int op_lane_get(reel_op_ctx *x, json_t *args, json_t **out, reel_error *err)
{
    json_t *doc;
    int rc = load_version(x, args, &doc, err);
    if (rc)
        return rc;
    json_t *lane = lane_or_fail(doc, args, err);
    reel_cmd *c = NULL;
    size_t n = 0;
    if (!lane || (rc = reel_lane_events(x->st, lane, &c, &n, err))) {
        json_decref(doc);
        return lane ? rc : err->code;
    }
    int64_t from = reel_arg_int(args, "from_frame", 0);
    int64_t to = reel_arg_int(args, "to_frame", INT64_MAX);
    /* the window's first command by binary search: a lookup is logarithmic */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].frame < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t limit = (size_t)reel_arg_int(args, "limit", 100000);
    size_t hi_ = lo;
    while (hi_ < n && c[hi_].frame < to)
        hi_++;
    json_t *tj = json_object_get(args, "thin");
    size_t shown = hi_ - lo;
    reel_auto_range range;
    reel_error e;
    if (tj && json_number_value(tj) > 0 &&
        reel_auto_target_resolve(doc, json_string_value(json_object_get(lane, "target")), &range,
                                 &e) == REEL_OK &&
        !range.toggle)
        shown = thin(c + lo, hi_ - lo, json_number_value(tj));
    json_t *evs = json_array();
    size_t k = lo;
    for (; k < lo + shown && json_array_size(evs) < limit; k++)
        json_array_append_new(evs, reel_lane_cmd_json(&c[k]));
    json_t *before = lo > 0 ? reel_lane_cmd_json(&c[lo - 1]) : json_null();
    *out = json_pack("{s:O, s:O, s:O, s:I, s:o, s:o, s:b}", "lane", json_object_get(lane, "id"),
                     "target", json_object_get(lane, "target"), "mode",
                     json_object_get(lane, "mode"), "total", (json_int_t)n, "events", evs,
                     "before", before, "truncated", k < lo + shown);
    free(c);
    json_decref(doc);
    return *out ? REEL_OK : reel_error_set(err, REEL_ENOMEM, "out of memory");
}

static const reel_op ops[] = {
    {"lane_add", "Add an automation lane for a target (\"<node>:gain|pan|mute|solo|<lv2 "
                 "symbol>\", \"clip:<id>:gain\") on a timeline.", 0, op_lane_add},
    {"lane_write", "Write commands (set, ramp with a curve, trigger) into a lane as a new "
                   "chunk; replace overwrites the range written (a write pass).", 0,
     op_lane_write},
    {"lane_list", "A version's automation lanes: target, mode, chunks.", 0, op_lane_list},
    {"lane_get", "The commands a lane plays in a window of frames, and the one in force at "
                 "its start.", 0, op_lane_get},
    {"lane_clear", "Clear a lane, or a range of it (earlier versions keep what it held).", 0,
     op_lane_clear},
    {"lane_mode_set", "Set a lane's mode: manual, play, write, touch, latch, overdub.", 0,
     op_lane_mode_set},
    {"lane_remove", "Remove an automation lane.", 0, op_lane_remove},
    {"lane_compact", "Merge a lane's chunks into one, dropping overwritten commands; it plays "
                     "the same.", 0, op_lane_compact},
};

static const reel_op_table lane_ops = {
    .name = "lanes",
    .order = 15,
    .ops = ops,
    .n = sizeof ops / sizeof ops[0],
};
REEL_OP_TABLE(lane_ops);
