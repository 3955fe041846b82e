/*
 * slice.c — reel_slice and reel_slice_record_file (see slice.h): the
 * steps of a slice in order — plan (slice_plan.c), write a file
 * (slice_materialize.c) or a virtual slice (slice_virtual.c), record the
 * artifact (slice_artifact.c) — and planning again when a staging chunk
 * is sealed under the read.
 *
 * Owns: that order and the replanning. Must never: resolve, read or write
 * anything itself (each step is its file's).
 */
#include "slice/slice_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int reel_slice(reel_store *st, const reel_slice_request *req, reel_slice_result *res,
               reel_error *err)
{
    memset(res, 0, sizeof *res);
    int rc;
    plan p;
    for (int attempt = 0;; attempt++) {
        if ((rc = slice_plan_make(st, req, &p, err)))
            return rc;
        p.progress = req->progress;
        p.progress_ud = req->progress_ud;
        bool midi = p.def.kind == REEL_STREAM_MIDI;
        reel_out_format fmt = midi && !req->format_given ? REEL_OUT_MID : req->format;
        reel_sample_format out_fmt = req->has_sample_format
                                         ? req->sample_format
                                         : reel_out_default_sample_format(fmt,
                                                                          p.def.sample_format);
        slice_fill_result(&p, fmt, out_fmt, res);
        res->midi = midi;
        if (!midi && (rc = reel_out_check(fmt, out_fmt, err))) {
            slice_plan_free(&p);
            return rc;
        }
        reel_hash *extra = NULL;
        size_t n_extra = 0;
        if (req->is_virtual) {
            rc = slice_store_virtual(st, &p, fmt, out_fmt, &res->content, &extra, &n_extra, err);
            snprintf(res->mime, sizeof res->mime, VIRTUAL_MIME);
        } else {
            rc = slice_materialize(st, &p, fmt, out_fmt, req->out_path, &res->content, &res->events,
                                   err);
            snprintf(res->mime, sizeof res->mime, "%s", midi && fmt == REEL_OUT_RAW
                                                            ? MIDI_RAW_MIME
                                                            : reel_out_format_mime(fmt));
        }
        if (rc == REEL_ENOENT && attempt + 1 < REPLAN_TRIES) {
            free(extra);
            slice_plan_free(&p);
            /* Give a seal or a GC's recheck (gc.h) a moment to land. */
            usleep(10000 * (useconds_t)(attempt + 1));
            continue; /* a staging chunk was sealed under us: plan again */
        }
        if (rc == 0 && req->is_virtual && req->out_path) {
            /* --virtual --out: write the rendered file too. */
            reel_hash ignored;
            rc = slice_materialize(st, &p, fmt, out_fmt, req->out_path, &ignored, NULL, err);
        }
        if (rc == 0) {
            json_t *meta = slice_output_meta(&p, fmt, out_fmt, res->events);
            if (req->annotate)
                rc = req->annotate(req->annotate_ud, st, res, meta, err);
            if (rc == 0)
                rc = slice_record_artifact(st, &p, req->is_virtual ? "virtual-slice" : "slice",
                                           req->parent ? req->parent : p.definition_artifact,
                                           res->mime, req, meta, extra, n_extra, res, err);
            json_decref(meta);
        }
        free(extra);
        slice_plan_free(&p);
        return rc;
    }
}

int reel_slice_record_file(reel_store *st, const char *uri, uint64_t from, uint64_t to,
                           const char *path, const char *kind, const char *mime,
                           const char *const *tags, size_t n_tags, const char *creator,
                           json_t *meta, reel_slice_result *res, reel_error *err)
{
    memset(res, 0, sizeof *res);
    reel_slice_request req = slice_frame_request(uri, from, to);
    req.tags = tags;
    req.n_tags = n_tags;
    req.creator = creator;
    plan p;
    int rc = slice_plan_make(st, &req, &p, err);
    if (rc)
        return rc;
    slice_fill_result(&p, REEL_OUT_WAV, p.def.sample_format, res);
    snprintf(res->mime, sizeof res->mime, "%s", mime);
    if ((rc = reel_cas_put_file(reel_store_cas(st), path, &res->content, err)) == 0)
        rc = slice_record_artifact(st, &p, kind, p.definition_artifact, mime, &req, meta, NULL,
                                   0, res, err);
    slice_plan_free(&p);
    return rc;
}
