/*
 * offline_render.c — the render loop (offline_render.h).
 *
 * Files are written in cas/tmp and moved into the content store only when
 * every one of them is complete and fsynced; on any failure every one is
 * unlinked and no artifact is recorded.
 */
#include "render/engine/offline_render.h"

#include "model/project/project_doc.h"
#include "render/engine/graph_compile.h"
#include "rt/plan_auto.h"
#include "store/artifact_db.h"
#include "store/cas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct sink {
    uint32_t node;
    uint32_t latency; /* frames its node is late: the plan frames it writes start that late */
    uint32_t channels;
    reel_audio_out *ao;
    char path[4096];
    reel_hash content;
    char artifact[REEL_ARTIFACT_ID_MAX];
} sink;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int sink_open(reel_store *st, sink *s, const reel_offline_request *req, uint32_t rate,
                     uint64_t frames, reel_error *err)
{
    snprintf(s->path, sizeof s->path, "%s/render-XXXXXX", reel_cas_tmp_dir(reel_store_cas(st)));
    int fd = mkstemp(s->path);
    if (fd < 0) {
        s->path[0] = 0;
        return reel_error_set(err, REEL_EIO, "cannot create a render file in %s",
                              reel_cas_tmp_dir(reel_store_cas(st)));
    }
    close(fd);
    int rc = reel_audio_out_open(&s->ao, s->path, req->format, rate, s->channels, REEL_SAMPLE_F32,
                                 req->sample_format, frames, err);
    if (rc) {
        unlink(s->path);
        s->path[0] = 0;
    }
    return rc;
}

static int record(reel_store *st, sink *s, const reel_offline_request *req, const char *kind,
                  const char *node, int64_t from, int64_t to, uint32_t rate, json_t *follow,
                  reel_error *err)
{
    int rc = reel_cas_ingest(reel_store_cas(st), s->path, NULL, &s->content, err);
    if (rc)
        return rc;
    s->path[0] = 0; /* moved into the store */
    json_t *meta = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:i, s:i, s:i, s:s, s:s}",
                             "project", req->project, "version", req->version, "timeline",
                             req->timeline, "node", node, "from_frame", (json_int_t)from,
                             "to_frame", (json_int_t)to, "sample_rate", (int)rate, "channels",
                             (int)s->channels, "block", (int)req->block, "format",
                             reel_out_format_name(req->format), "sample_format",
                             reel_sample_format_name(req->sample_format));
    if (!meta)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    if (follow)
        json_object_set(meta, "follow", follow);
    reel_artifact a;
    memset(&a, 0, sizeof a);
    a.content = s->content;
    snprintf(a.mime, sizeof a.mime, "%s", reel_out_format_mime(req->format));
    snprintf(a.kind, sizeof a.kind, "%s", kind);
    snprintf(a.parent, sizeof a.parent, "%s", req->version_artifact ? req->version_artifact : "");
    snprintf(a.creator, sizeof a.creator, "%s", req->creator ? req->creator : "reel");
    a.from_frame = from;
    a.to_frame = to;
    char tag[96];
    snprintf(tag, sizeof tag, "project:%.64s", req->project);
    const char *tags[] = {tag};
    reel_artifact_refs refs = {.meta = meta, .tags = tags, .n_tags = 1};
    rc = reel_store_artifact_put(st, &a, &refs, err);
    json_decref(meta);
    if (!rc)
        snprintf(s->artifact, sizeof s->artifact, "%s", a.id);
    return rc;
}

int reel_offline_render(reel_store *st, const reel_offline_request *req, json_t **out,
                        reel_error *err)
{
    uint32_t rate = (uint32_t)json_integer_value(json_object_get(req->doc, "rate"));
    reel_source_cache *cache = NULL;
    reel_compiled *c = NULL;
    sink *sinks = NULL;
    size_t n_sinks = 0;
    float *inter = NULL;
    json_t *follow = NULL;
    json_t *tls = json_object_get(req->doc, "timelines");
    json_t *tl = req->timeline ? reel_project_find(tls, req->timeline, NULL)
                               : json_array_get(tls, 0);
    int64_t from = 0, to = 0;
    /* follow actions are expanded as far as the render goes */
    int rc = reel_out_check(req->format, req->sample_format, err);
    if (!rc && tl && req->has_to)
        rc = reel_project_pos_frames(req->doc, tl, req->to, &to, err);
    if (rc || (rc = reel_source_cache_new(st, rate, &cache, err)) ||
        (rc = reel_graph_compile(req->doc, req->timeline, req->output, req->block, to, cache, &c,
                                 err)))
        goto out;
    if (!req->has_to)
        to = c->end;
    if (req->has_from && (rc = reel_project_pos_frames(req->doc, tl, req->from, &from, err)))
        goto out;
    if (!req->has_to && c->follow_open) {
        rc = reel_error_set(err, REEL_ERANGE, "the follow actions of timeline %s never stop: "
                            "give --to (a render needs an end)",
                            json_string_value(json_object_get(tl, "id")));
        goto out;
    }
    /* the choices made inside the range: in the reply and the artifact */
    if (c->follow_log) {
        if (!(follow = json_array())) {
            rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
            goto out;
        }
        size_t i;
        json_t *e;
        json_array_foreach(c->follow_log, i, e) {
            int64_t f = json_integer_value(json_object_get(e, "frame"));
            if (f >= from && f <= to) /* one at the end frame ended it */
                json_array_append(follow, e);
        }
    }
    if (!req->has_to && c->end == 0) {
        rc = reel_error_set(err, REEL_ERANGE, "nothing to render: no audio clip plays on "
                                              "timeline %s (give --to for silence)",
                            json_string_value(json_object_get(tl, "id")));
        goto out;
    }
    if (to <= from) {
        rc = reel_error_set(err, REEL_ERANGE, "the render range is %s: from frame %lld to "
                            "frame %lld", to == from ? "empty" : "reversed", (long long)from,
                            (long long)to);
        goto out;
    }
    n_sinks = 1;
    for (uint32_t i = 0; req->stems && i < c->n; i++)
        n_sinks += c->kind[i] == REEL_PLAN_TRACK || c->kind[i] == REEL_PLAN_BUS;
    if (!(sinks = calloc(n_sinks, sizeof *sinks)) ||
        !(inter = malloc((size_t)req->block * REEL_PLAN_CH_MAX * sizeof *inter))) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    sinks[0].node = c->output;
    for (uint32_t i = 0, k = 1; req->stems && i < c->n; i++)
        if (c->kind[i] == REEL_PLAN_TRACK || c->kind[i] == REEL_PLAN_BUS)
            sinks[k++].node = i;
    uint32_t lmax = 0;
    for (size_t k = 0; k < n_sinks && !rc; k++) {
        sinks[k].channels = reel_plan_node_channels(c->plan, sinks[k].node);
        sinks[k].latency = c->node_latency[sinks[k].node];
        lmax = sinks[k].latency > lmax ? sinks[k].latency : lmax;
        rc = sink_open(st, &sinks[k], req, rate, (uint64_t)(to - from), err);
    }
    if (rc)
        goto out;
    int64_t t0 = now_ns(), last = t0;
    /* The plan runs over [from, to + the largest latency); a sink writes the
     * plan frames [from, to) shifted by its own node's latency, so what it
     * holds lines up with the timeline. */
    int64_t run_to = to + lmax;
    if (reel_plan_auto(c->plan)) /* the lanes as they stand at the range's start */
        reel_auto_locate(reel_plan_auto(c->plan), c->plan, from);
    for (int64_t f = from; f < run_to && !rc; f += req->block) {
        uint32_t n = (uint32_t)(run_to - f < req->block ? run_to - f : req->block);
        reel_plan_play(c->plan, f, n);
        for (size_t k = 0; k < n_sinks && !rc; k++) {
            int64_t lo = from + sinks[k].latency, hi = to + sinks[k].latency;
            int64_t a = f > lo ? f : lo, b_ = f + n < hi ? f + n : hi;
            if (a >= b_)
                continue;
            uint32_t ch = sinks[k].channels, off = (uint32_t)(a - f), m = (uint32_t)(b_ - a);
            for (uint32_t j = 0; j < ch; j++) {
                const float *b = reel_plan_node_buf(c->plan, sinks[k].node, j) + off;
                for (uint32_t t = 0; t < m; t++)
                    inter[(size_t)t * ch + j] = b[t];
            }
            rc = reel_audio_out_write(sinks[k].ao, inter, m, err);
        }
        int64_t now;
        if (req->progress && ((now = now_ns()) - last > 100000000)) {
            last = now;
            req->progress(f + n - from, run_to - from, req->progress_ud);
        }
    }
    for (size_t k = 0; k < n_sinks; k++) {
        reel_audio_out *ao = sinks[k].ao;
        sinks[k].ao = NULL;
        if (!rc)
            rc = reel_audio_out_close(ao, err);
        else
            reel_audio_out_abort(ao);
        if (rc && sinks[k].path[0]) {
            unlink(sinks[k].path);
            sinks[k].path[0] = 0;
        }
    }
    if (rc)
        goto out;
    double wall = (double)(now_ns() - t0) / 1e9;
    if (req->progress)
        req->progress(to - from, to - from, req->progress_ud);
    for (size_t k = 0; k < n_sinks && !rc; k++)
        rc = record(st, &sinks[k], req, k == 0 ? "render" : "stem", c->id[sinks[k].node], from,
                    to, rate, follow, err);
    if (rc)
        goto out;
    double secs = (double)(to - from) / rate;
    char hex[REEL_HASH_HEX + 8];
    reel_hash_to_string(&sinks[0].content, hex);
    json_t *stems = json_array();
    for (size_t k = 1; k < n_sinks; k++) {
        char sh[REEL_HASH_HEX + 8];
        reel_hash_to_string(&sinks[k].content, sh);
        json_array_append_new(stems, json_pack("{s:s, s:s, s:s}", "node", c->id[sinks[k].node],
                                               "artifact", sinks[k].artifact, "content", sh));
    }
    *out = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:i, s:i, s:s, "
                     "s:s, s:I, s:o}",
                     "artifact", sinks[0].artifact, "content", hex, "version", req->version,
                     "latency_frames", (json_int_t)c->latency, "node", c->id[c->output], "frames",
                     (json_int_t)(to - from), "from_frame",
                     (json_int_t)from, "to_frame", (json_int_t)to, "seconds", secs,
                     "wall_seconds", wall, "speed", wall > 0 ? secs / wall : 0.0, "rate",
                     (int)rate, "channels", (int)sinks[0].channels, "format",
                     reel_out_format_name(req->format), "sample_format",
                     reel_sample_format_name(req->sample_format), "silenced",
                     (json_int_t)reel_plan_silenced(c->plan), "stems", stems);
    if (!*out)
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
    else if (follow)
        json_object_set(*out, "follow", follow);
out:
    json_decref(follow);
    for (size_t k = 0; sinks && k < n_sinks; k++) {
        if (sinks[k].ao)
            reel_audio_out_abort(sinks[k].ao);
        else if (sinks[k].path[0])
            unlink(sinks[k].path);
    }
    free(sinks);
    free(inter);
    reel_compiled_free(c);
    reel_source_cache_free(cache);
    return rc;
}
