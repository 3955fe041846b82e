/*
 * auto_record.c — the automation recorder (auto_record.h).
 *
 * Each armed lane gathers its pass's commands and the intervals it writes
 * over; ending the pass turns them into lane_write arguments (a "ranges"
 * write for write/touch/latch, a plain one for overdub) run through the
 * caller's op runner, so the edit is the op's, checked and undoable.
 */
#include "render/engine/auto_record.h"

#include "core/fsutil.h"
#include "core/le_bytes.h"
#include "model/project/lane_doc.h"
#include "model/project/lane_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_LANES_MAX 256
#define REC_CMDS_MAX (1u << 24)

typedef struct range {
    int64_t from, to;
} range;

typedef struct rec_lane {
    char project[64], id[64], target[208], mode[16];
    int64_t punch_from, punch_to, touch_timeout, quantize;
    bool touching;
    int64_t touch_from, touch_last;
    bool latched;
    int64_t latch_from;
    reel_cmd *cmd;
    size_t n_cmd, cap_cmd;
    range *rg;
    size_t n_rg, cap_rg;
    int jfd; /* this pass's journal, -1: none yet */
    int64_t armed_at; /* armed while playing, this pass: from here on (-1: the pass's start) */
} rec_lane;

struct reel_auto_rec {
    rec_lane *lane[REC_LANES_MAX];
    size_t n;
    bool in_pass;
    int64_t pass_from, furthest;
    uint64_t wraps; /* the player's loop wraps when the pass began */
    char jdir[4096]; /* journals ("" : none) */
    uint64_t passes;
};

int reel_auto_rec_new(reel_auto_rec **out, reel_error *err)
{
    if (!(*out = calloc(1, sizeof **out)))
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    return REEL_OK;
}

static void lane_free(rec_lane *l)
{
    if (!l)
        return;
    if (l->jfd >= 0)
        close(l->jfd);
    free(l->cmd);
    free(l->rg);
    free(l);
}

void reel_auto_rec_free(reel_auto_rec *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        lane_free(r->lane[i]);
    free(r);
}

static rec_lane *find(const reel_auto_rec *r, const char *id, size_t *at)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->lane[i]->id, id) == 0) {
            if (at)
                *at = i;
            return r->lane[i];
        }
    return NULL;
}

int reel_auto_rec_arm(reel_auto_rec *r, const reel_auto_arm *a, reel_error *err)
{
    json_t *lj = reel_lane_find(a->doc, a->lane);
    if (!lj)
        return reel_error_set(err, REEL_ENOENT, "no lane '%.64s' in the version playing",
                              a->lane);
    const char *mode = json_string_value(json_object_get(lj, "mode"));
    if (!mode || strcmp(mode, "manual") == 0 || strcmp(mode, "play") == 0)
        return reel_error_set(err, REEL_ESTATE, "lane %s is in %s mode: set write, touch, latch "
                              "or overdub to record it", a->lane, mode ? mode : "no");
    if (a->punch_from >= 0 && a->punch_to >= 0 && a->punch_to <= a->punch_from)
        return reel_error_set(err, REEL_ERANGE, "the punch range is empty");
    rec_lane *l = find(r, a->lane, NULL);
    if (!l) {
        if (r->n == REC_LANES_MAX)
            return reel_error_set(err, REEL_EFULL, "%d lanes are armed already", REC_LANES_MAX);
        if (!(l = calloc(1, sizeof *l)))
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        l->jfd = -1;
        r->lane[r->n++] = l;
    }
    snprintf(l->project, sizeof l->project, "%s", a->project);
    snprintf(l->id, sizeof l->id, "%s", a->lane);
    snprintf(l->target, sizeof l->target, "%s",
             json_string_value(json_object_get(lj, "target")));
    snprintf(l->mode, sizeof l->mode, "%s", mode);
    l->punch_from = a->punch_from;
    l->punch_to = a->punch_to;
    l->touch_timeout = a->touch_timeout;
    l->quantize = a->quantize;
    l->armed_at = a->at;
    return REEL_OK;
}

int reel_auto_rec_disarm(reel_auto_rec *r, const char *lane, reel_error *err)
{
    size_t at;
    rec_lane *l = find(r, lane, &at);
    if (!l)
        return reel_error_set(err, REEL_ENOENT, "lane '%.64s' is not armed", lane);
    if (l->n_cmd || l->n_rg)
        return reel_error_set(err, REEL_ESTATE, "lane %s holds a pass not committed yet (stop "
                              "the transport first)", lane);
    lane_free(l);
    r->lane[at] = r->lane[--r->n];
    return REEL_OK;
}

bool reel_auto_rec_any(const reel_auto_rec *r)
{
    return r->n > 0;
}

void reel_auto_rec_pass_start(reel_auto_rec *r, int64_t frame)
{
    r->in_pass = true;
    r->pass_from = r->furthest = frame;
    for (size_t i = 0; i < r->n; i++)
        r->lane[i]->armed_at = -1;
}

bool reel_auto_rec_wrapped(const reel_auto_rec *r, uint64_t wraps)
{
    return r->in_pass && wraps > r->wraps;
}

void reel_auto_rec_pass_wraps(reel_auto_rec *r, uint64_t wraps)
{
    r->wraps = wraps;
}

static int range_add(rec_lane *l, int64_t from, int64_t to, reel_error *err)
{
    if (l->punch_from >= 0 && from < l->punch_from)
        from = l->punch_from;
    if (l->punch_to >= 0 && to > l->punch_to)
        to = l->punch_to;
    if (to <= from)
        return REEL_OK;
    if (l->n_rg && from <= l->rg[l->n_rg - 1].to) { /* touching again inside the last one */
        if (to > l->rg[l->n_rg - 1].to)
            l->rg[l->n_rg - 1].to = to;
        return REEL_OK;
    }
    if (l->n_rg == l->cap_rg) {
        size_t cap = l->cap_rg ? l->cap_rg * 2 : 8;
        range *g = realloc(l->rg, cap * sizeof *g);
        if (!g)
            return reel_error_set(err, REEL_ENOMEM, "out of memory");
        l->rg = g;
        l->cap_rg = cap;
    }
    l->rg[l->n_rg++] = (range){from, to};
    return REEL_OK;
}

/* A touch that was never released ends `touch_timeout` after its last command. */
static int touch_close(rec_lane *l, int64_t at, reel_error *err)
{
    l->touching = false;
    return range_add(l, l->touch_from, at, err);
}

int reel_auto_rec_journal_dir(reel_auto_rec *r, const char *dir, reel_error *err)
{
    (void)err;
    snprintf(r->jdir, sizeof r->jdir, "%s", dir ? dir : ""); /* made at its first journal */
    return REEL_OK;
}

static void journal_path(const reel_auto_rec *r, const char *lane, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.journal", r->jdir, lane);
}

/* Append one command to the lane's journal (opened, with its header, at
 * the pass's first command). */
static int journal_add(reel_auto_rec *r, rec_lane *l, const reel_cmd *k, reel_error *err)
{
    if (!r->jdir[0])
        return REEL_OK;
    char path[4200];
    journal_path(r, l->id, path, sizeof path);
    if (l->jfd < 0) {
        if (mkdir(r->jdir, 0755) && errno != EEXIST)
            return reel_error_set(err, REEL_EIO, "cannot make the automation journal folder "
                                  "%s", r->jdir);
        l->jfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        json_t *h = json_pack("{s:s, s:s, s:s, s:I}", "project", l->project, "lane", l->id,
                              "mode", l->mode, "pass_from", (json_int_t)r->pass_from);
        char *txt = h ? json_dumps(h, JSON_COMPACT) : NULL;
        json_decref(h);
        reel_error e;
        bool ok = l->jfd >= 0 && txt && reel_fs_write_all(l->jfd, txt, strlen(txt), &e) == 0 &&
                  reel_fs_write_all(l->jfd, "\n", 1, &e) == 0;
        free(txt);
        if (!ok)
            return reel_error_set(err, REEL_EIO, "cannot write the automation journal %s",
                                  path);
    }
    uint8_t rec[REEL_LANE_HEADER + REEL_LANE_RECORD];
    reel_lane_encode(k, 1, rec);
    reel_error e;
    if (reel_fs_write_all(l->jfd, rec + REEL_LANE_HEADER, REEL_LANE_RECORD, &e))
        return reel_error_set(err, REEL_EIO, "cannot write the automation journal %s", path);
    return REEL_OK;
}

static void journal_done(reel_auto_rec *r, rec_lane *l)
{
    if (l->jfd < 0)
        return;
    close(l->jfd);
    l->jfd = -1;
    char path[4200];
    journal_path(r, l->id, path, sizeof path);
    unlink(path);
}

int reel_auto_rec_command(reel_auto_rec *r, const char *target, const reel_cmd *c, int touch,
                          reel_error *err)
{
    if (!r->in_pass)
        return REEL_OK;
    if (c->frame > r->furthest)
        r->furthest = c->frame;
    for (size_t i = 0; i < r->n; i++) {
        rec_lane *l = r->lane[i];
        if (strcmp(l->target, target) != 0)
            continue;
        reel_cmd k = *c;
        if (l->quantize > 0)
            k.frame = (k.frame + l->quantize / 2) / l->quantize * l->quantize;
        bool is_touch = strcmp(l->mode, "touch") == 0;
        if (is_touch) {
            if (l->touching && touch != 0 && l->touch_timeout > 0 &&
                k.frame > l->touch_last + l->touch_timeout) {
                int rc = touch_close(l, l->touch_last + l->touch_timeout, err);
                if (rc)
                    return rc;
            }
            if (touch == 0) { /* release: the value it leaves is recorded, then no more */
                if (!l->touching)
                    continue;
                l->touching = false;
                int rc = range_add(l, l->touch_from, k.frame + 1, err);
                if (rc)
                    return rc;
            } else if (!l->touching) {
                l->touching = true;
                l->touch_from = k.frame;
            }
            l->touch_last = k.frame;
        } else if (strcmp(l->mode, "latch") == 0 && !l->latched) {
            l->latched = true;
            l->latch_from = k.frame;
        }
        if ((l->punch_from >= 0 && k.frame < l->punch_from) ||
            (l->punch_to >= 0 && k.frame >= l->punch_to))
            continue;
        if (l->n_cmd == REC_CMDS_MAX)
            return reel_error_set(err, REEL_EFULL, "lane %s: %u commands in one pass", l->id,
                                  REC_CMDS_MAX);
        if (l->n_cmd == l->cap_cmd) {
            size_t cap = l->cap_cmd ? l->cap_cmd * 2 : 64;
            reel_cmd *m = realloc(l->cmd, cap * sizeof *m);
            if (!m)
                return reel_error_set(err, REEL_ENOMEM, "out of memory");
            l->cmd = m;
            l->cap_cmd = cap;
        }
        l->cmd[l->n_cmd++] = k;
        int rc = journal_add(r, l, &k, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

static json_t *cmds_json(const rec_lane *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n_cmd; i++) {
        json_t *e = reel_lane_cmd_json(&l->cmd[i]);
        json_array_append_new(a, e);
    }
    return a;
}

int reel_auto_rec_pass_end(reel_auto_rec *r, int64_t frame, reel_auto_rec_commit_fn fn,
                           void *ud, json_t **report, reel_error *err)
{
    *report = json_array();
    if (!r->in_pass)
        return REEL_OK;
    if (frame < r->furthest)
        frame = r->furthest;
    int rc = REEL_OK;
    for (size_t i = 0; i < r->n && !rc; i++) {
        rec_lane *l = r->lane[i];
        const char *after = NULL;
        if (strcmp(l->mode, "write") == 0) {
            int64_t from = l->armed_at > r->pass_from ? l->armed_at : r->pass_from;
            rc = range_add(l, from, frame, err);
            after = "touch"; /* Ardour: write is dangerous, it does not outlive the pass */
        } else if (strcmp(l->mode, "touch") == 0 && l->touching) {
            int64_t end = l->touch_timeout > 0 && l->touch_last + l->touch_timeout < frame
                              ? l->touch_last + l->touch_timeout
                              : frame;
            rc = touch_close(l, end, err);
        } else if (strcmp(l->mode, "latch") == 0 && l->latched) {
            rc = range_add(l, l->latch_from, frame, err);
            l->latched = false;
        }
        if (rc)
            break;
        bool overdub = strcmp(l->mode, "overdub") == 0;
        if (overdub ? l->n_cmd == 0 : l->n_rg == 0) {
            journal_done(r, l);
            continue;
        }
        /* commands outside every range (touch: after a release) are not written */
        size_t w = 0;
        for (size_t k = 0; !overdub && k < l->n_cmd; k++) {
            bool in = false;
            for (size_t g = 0; g < l->n_rg && !in; g++)
                in = l->cmd[k].frame >= l->rg[g].from && l->cmd[k].frame < l->rg[g].to;
            if (in)
                l->cmd[w++] = l->cmd[k];
        }
        if (!overdub)
            l->n_cmd = w;
        json_t *args = json_pack("{s:s, s:s, s:o}", "project", l->project, "lane", l->id,
                                 "events", cmds_json(l));
        if (!overdub) {
            json_t *rg = json_array();
            for (size_t g = 0; g < l->n_rg; g++)
                json_array_append_new(rg, json_pack("{s:I, s:I}", "from_frame",
                                                    (json_int_t)l->rg[g].from, "to_frame",
                                                    (json_int_t)l->rg[g].to));
            json_object_set_new(args, "ranges", rg);
        }
        if (after)
            json_object_set_new(args, "mode_after", json_string(after));
        json_t *out = NULL;
        rc = fn(ud, args, &out, err);
        json_decref(args);
        if (rc)
            break; /* the pass stays: a later pass_end tries again */
        json_array_append_new(*report, json_pack("{s:s, s:s, s:I, s:I, s:O?}", "lane", l->id,
                                                 "mode", l->mode, "events",
                                                 (json_int_t)l->n_cmd, "ranges",
                                                 (json_int_t)l->n_rg, "version",
                                                 json_object_get(out, "version")));
        json_decref(out);
        if (after)
            snprintf(l->mode, sizeof l->mode, "%s", after);
        l->n_cmd = l->n_rg = 0;
        journal_done(r, l);
    }
    if (!rc) {
        r->in_pass = false;
        r->passes++;
    }
    return rc;
}

typedef struct jrec {
    int64_t frame;
    size_t i;
} jrec;

static int jrec_cmp(const void *a, const void *b)
{
    const jrec *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* One journal: its header and records into lane_write arguments. */
static int journal_args(const char *path, json_t **args, reel_error *err)
{
    *args = NULL;
    char *text;
    size_t len;
    int rc = reel_fs_read_all(path, &text, &len, err);
    if (rc)
        return rc;
    char *nl = memchr(text, '\n', len);
    json_error_t je;
    json_t *h = nl ? json_loadb(text, (size_t)(nl - text), 0, &je) : NULL;
    size_t n = h ? (len - (size_t)(nl + 1 - text)) / REEL_LANE_RECORD : 0; /* a record cut
                                                                             by the kill goes */
    uint8_t *chunk = h ? malloc(reel_lane_encoded_size(n)) : NULL;
    if (!chunk) {
        free(text);
        json_decref(h);
        return h ? reel_error_set(err, REEL_ENOMEM, "out of memory")
                 : reel_error_set(err, REEL_ECORRUPT, "automation journal %s: no header", path);
    }
    reel_lane_encode(NULL, 0, chunk); /* a chunk header in front of the records... */
    reel_put_le32(chunk + 8, (uint32_t)n); /* ...holding n of them */
    /* commands come in the order they were scheduled, not always of their
     * frames: the records go into frame order (stable) first */
    jrec *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        free(chunk);
        free(text);
        json_decref(h);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    const uint8_t *recs = (const uint8_t *)nl + 1;
    for (size_t i = 0; i < n; i++)
        order[i] = (jrec){(int64_t)reel_get_le64(recs + i * REEL_LANE_RECORD), i};
    qsort(order, n, sizeof *order, jrec_cmp);
    for (size_t i = 0; i < n; i++)
        memcpy(chunk + REEL_LANE_HEADER + i * REEL_LANE_RECORD,
               recs + order[i].i * REEL_LANE_RECORD, REEL_LANE_RECORD);
    free(order);
    free(text);
    reel_cmd *cmds;
    size_t nc;
    rc = reel_lane_decode(chunk, reel_lane_encoded_size(n), &cmds, &nc, err);
    free(chunk);
    if (rc) {
        json_decref(h);
        return rc;
    }
    json_t *evs = json_array();
    for (size_t i = 0; i < nc; i++)
        json_array_append_new(evs, reel_lane_cmd_json(&cmds[i]));
    const char *mode = json_string_value(json_object_get(h, "mode")) ?: "overdub";
    *args = json_pack("{s:O, s:O, s:o}", "project", json_object_get(h, "project"), "lane",
                      json_object_get(h, "lane"), "events", evs);
    if (nc && strcmp(mode, "overdub") != 0) {
        int64_t from = strcmp(mode, "write") == 0
                           ? json_integer_value(json_object_get(h, "pass_from"))
                           : cmds[0].frame;
        if (from > cmds[0].frame)
            from = cmds[0].frame;
        json_object_set_new(*args, "ranges",
                            json_pack("[{s:I, s:I}]", "from_frame", (json_int_t)from, "to_frame",
                                      (json_int_t)(cmds[nc - 1].frame + 1)));
        if (strcmp(mode, "write") == 0)
            json_object_set_new(*args, "mode_after", json_string("touch"));
    }
    free(cmds);
    json_decref(h);
    return REEL_OK;
}

int reel_auto_rec_recover(reel_auto_rec *r, reel_auto_rec_commit_fn fn, void *ud,
                          json_t **report, reel_error *err)
{
    *report = json_array();
    if (!r->jdir[0])
        return REEL_OK;
    DIR *d = opendir(r->jdir);
    if (!d)
        return REEL_OK;
    int rc = REEL_OK;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 9 || strcmp(de->d_name + nl - 8, ".journal") != 0)
            continue;
        char lane[80];
        snprintf(lane, sizeof lane, "%.*s", (int)(nl - 8), de->d_name);
        if (find(r, lane, NULL) && find(r, lane, NULL)->jfd >= 0)
            continue; /* this process's own pass */
        char path[4200];
        journal_path(r, lane, path, sizeof path);
        json_t *args;
        if ((rc = journal_args(path, &args, err)))
            break;
        json_t *out = NULL;
        size_t n = json_array_size(json_object_get(args, "events"));
        reel_error ce;
        int crc = n ? fn(ud, args, &out, &ce) : REEL_OK;
        if (!crc) {
            json_array_append_new(*report, json_pack("{s:s, s:I, s:O?}", "lane", lane, "events",
                                                     (json_int_t)n, "version",
                                                     json_object_get(out, "version")));
            unlink(path);
        } else { /* kept aside, so the next op does not try it again */
            char failed[4300];
            snprintf(failed, sizeof failed, "%s.failed", path);
            rename(path, failed);
            json_array_append_new(*report, json_pack("{s:s, s:I, s:s, s:s}", "lane", lane,
                                                     "events", (json_int_t)n, "error", ce.msg,
                                                     "kept", failed));
        }
        json_decref(out);
        json_decref(args);
    }
    closedir(d);
    return rc;
}

json_t *reel_auto_rec_state(const reel_auto_rec *r)
{
    json_t *lanes = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const rec_lane *l = r->lane[i];
        json_array_append_new(lanes, json_pack("{s:s, s:s, s:s, s:I, s:b}", "lane", l->id,
                                               "target", l->target, "mode", l->mode,
                                               "pending", (json_int_t)l->n_cmd, "touching",
                                               l->touching));
    }
    return json_pack("{s:o, s:b, s:I, s:I}", "armed", lanes, "in_pass", r->in_pass,
                     "pass_from", (json_int_t)r->pass_from, "passes", (json_int_t)r->passes);
}
