/*
 * slice_artifact.c — what a slice's artifact says: the result's frame and
 * wall-clock bounds, the output's meta, and the artifact with its lineage
 * (parent, source chunks, clock snapshots, chunk references for GC).
 *
 * Owns: the slice artifact's document. Must never: write file content
 * (the content is in CAS before an artifact names it).
 */
#include "slice/slice_internal.h"

#include "media/midi_out.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *snaps_json(const reel_clock_snapshot *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:I, s:I, s:I}", "frame", (json_int_t)s[i].frame, "wall_ns",
                              (json_int_t)s[i].wall_ns, "mono_ns", (json_int_t)s[i].mono_ns);
        if (s[i].has_device_frame)
            json_object_set_new(o, "device_frame", json_integer((json_int_t)s[i].device_frame));
        json_array_append_new(a, o);
    }
    return a;
}

static int snap_cmp(const void *a, const void *b)
{
    const reel_clock_snapshot *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

void slice_fill_result(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                       reel_slice_result *res)
{
    res->from_frame = p->from;
    res->to_frame = p->to;
    res->n_chunks = p->n;
    res->clamped = p->clamped;
    res->sample_rate = p->def.sample_rate;
    res->channels = p->def.channels;
    res->sample_format = out_fmt;
    res->format = fmt;
    res->from_wall_ns = res->to_wall_ns = 0;
    if (p->n_snaps > 0) {
        qsort(p->snaps, p->n_snaps, sizeof *p->snaps, snap_cmp);
        int64_t w;
        if (reel_clock_frame_to_wall(p->snaps, p->n_snaps, p->def.sample_rate, p->from, &w, NULL) ==
            0)
            res->from_wall_ns = w;
        if (reel_clock_frame_to_wall(p->snaps, p->n_snaps, p->def.sample_rate, p->to, &w, NULL) == 0)
            res->to_wall_ns = w;
    }
}

int slice_record_artifact(reel_store *st, const plan *p, const char *kind, const char *parent,
                          const char *mime, const reel_slice_request *req, json_t *meta,
                          const reel_hash *extra_refs, size_t n_extra, reel_slice_result *res,
                          reel_error *err)
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    a.content = res->content;
    snprintf(a.mime, sizeof a.mime, "%s", mime);
    snprintf(a.kind, sizeof a.kind, "%s", kind);
    snprintf(a.parent, sizeof a.parent, "%s", parent ? parent : "");
    snprintf(a.creator, sizeof a.creator, "%s", req && req->creator ? req->creator : "reel");
    snprintf(a.stream_uri, sizeof a.stream_uri, "%s", p->def.uri);
    a.from_frame = (int64_t)p->from;
    a.to_frame = (int64_t)p->to;
    a.from_wall_ns = res->from_wall_ns;
    a.to_wall_ns = res->to_wall_ns;
    json_t *chunks = json_array();
    reel_hash *refs = calloc(p->n + n_extra + 1, sizeof *refs);
    size_t n_refs = 0;
    json_t *sj = snaps_json(p->snaps, p->n_snaps);
    int rc = REEL_OK;
    if (!refs || !chunks || !sj) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    char hs[REEL_HASH_HEX + 8];
    for (size_t i = 0; i < p->n; i++) {
        const piece *pc = &p->pieces[i];
        json_array_append_new(
            chunks, json_pack("{s:s, s:s, s:I, s:I, s:I}", pc->sealed ? "hash" : "staging_id",
                              slice_hash_str(&pc->hash, hs), "state",
                              pc->sealed ? "sealed" : "staging", "first_sample",
                              (json_int_t)pc->first_frame, "sample_count",
                              (json_int_t)pc->frames, "byte_offset",
                              (json_int_t)pc->byte_offset));
        if (pc->sealed)
            refs[n_refs++] = pc->hash;
    }
    for (size_t i = 0; i < n_extra; i++)
        refs[n_refs++] = extra_refs[i];
    /* Tags: the caller's; type and stream are added by the store. */
    reel_artifact_refs r = {.meta = meta, .clock = sj, .source_chunks = chunks,
                            .tags = req ? req->tags : NULL, .n_tags = req ? req->n_tags : 0,
                            .chunks = refs, .n_chunks = n_refs};
    rc = reel_store_artifact_put(st, &a, &r, err);
    if (rc == 0)
        snprintf(res->artifact_id, sizeof res->artifact_id, "%s", a.id);
out:
    json_decref(chunks);
    json_decref(sj);
    free(refs);
    reel_artifact_clear(&a);
    return rc;
}

json_t *slice_output_meta(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                          uint64_t events)
{
    if (p->def.kind == REEL_STREAM_MIDI) {
        json_t *o = json_pack("{s:s, s:I, s:I}", "format", reel_out_format_name(fmt), "rate",
                              (json_int_t)p->def.sample_rate, "events", (json_int_t)events);
        reel_smf_timing t;
        if (fmt == REEL_OUT_MID && reel_smf_choose_timing(p->def.sample_rate, &t, NULL) == 0) {
            json_object_set_new(o, "ppq", json_integer(t.ppq));
            json_object_set_new(o, "tempo_us", json_integer(t.tempo_us));
        }
        return o;
    }
    return json_pack("{s:s, s:s, s:I, s:I, s:s}", "format", reel_out_format_name(fmt),
                     "sample_format", reel_sample_format_name(out_fmt), "sample_rate",
                     (json_int_t)p->def.sample_rate, "channels", (json_int_t)p->def.channels,
                     "stream_sample_format", reel_sample_format_name(p->def.sample_format));
}
