/*
 * slice_virtual.c — virtual slices: a plan stored as a list of chunk
 * references (the live edge copied into small blobs of its own so every
 * reference is immutable), and rendering one back into a file
 * byte-identical to materializing the same range.
 *
 * Owns: the reel-virtual-slice document (version 1) and reading it back.
 * Must never: reference a staging file (it may be renamed any moment), or
 * render from a blob it has not verified.
 */
#include "slice/slice_internal.h"

#include "core/fsutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A virtual slice: sealed pieces by reference, staging pieces copied into
 * blobs of their own. */
int slice_store_virtual(reel_store *st, plan *p, reel_out_format fmt, reel_sample_format out_fmt,
                        reel_hash *content, reel_hash **extra, size_t *n_extra, reel_error *err)
{
    size_t fb = reel_stream_def_frame_bytes(&p->def);
    *extra = calloc(p->n + 1, sizeof **extra);
    *n_extra = 0;
    if (!*extra)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    json_t *pieces = json_array();
    char hs[REEL_HASH_HEX + 8];
    int rc = REEL_OK;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        piece *pc = &p->pieces[i];
        reel_hash h = pc->hash;
        uint64_t off = pc->byte_offset;
        if (pc->sealed && !pc->in_flight) {
            /* About to reference a chunk retention may drop any moment:
             * renew it so a concurrent GC keeps it (gc.h); REEL_ENOENT
             * (GC took it) plans again from a fresh manifest. */
            if ((rc = reel_cas_touch(reel_store_cas(st), &h, err)))
                break;
        } else {
            int fd;
            if ((rc = slice_piece_open(st, pc, &fd, err)))
                break;
            size_t len = (size_t)(pc->frames * fb);
            uint8_t *buf = malloc(len ? len : 1);
            ssize_t got = buf ? pread(fd, buf, len, (off_t)pc->byte_offset) : -1;
            close(fd);
            if (got != (ssize_t)len) {
                free(buf);
                rc = reel_error_set(err, REEL_EIO, "cannot read the live edge of the stream");
                break;
            }
            rc = reel_cas_put_buf(reel_store_cas(st), buf, len, &h, err);
            free(buf);
            off = 0;
            (*extra)[(*n_extra)++] = h;
        }
        json_array_append_new(pieces,
                              json_pack("{s:s, s:I, s:I, s:I}", "hash", slice_hash_str(&h, hs),
                                        "byte_offset", (json_int_t)off, "first_sample",
                                        (json_int_t)pc->first_frame, "sample_count",
                                        (json_int_t)pc->frames));
    }
    if (rc) {
        json_decref(pieces);
        return rc;
    }
    char *def_json;
    if ((rc = reel_stream_def_to_json(&p->def, &def_json, err))) {
        json_decref(pieces);
        return rc;
    }
    json_t *root = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:[I, I], s:o}", "type",
                             "reel-virtual-slice", "version", 1, "stream_uri", p->def.uri,
                             "definition_hash", slice_hash_str(&p->definition_hash, hs), "format",
                             reel_out_format_name(fmt), "sample_format",
                             reel_sample_format_name(out_fmt), "sample_range",
                             (json_int_t)p->from, (json_int_t)p->to, "pieces", pieces);
    json_object_set_new(root, "definition", json_loads(def_json, 0, NULL));
    free(def_json);
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    if (!text)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    rc = reel_cas_put_buf(reel_store_cas(st), text, strlen(text), content, err);
    free(text);
    return rc;
}

int reel_render(reel_store *st, const char *artifact, const char *out_path,
                reel_slice_result *res, reel_error *err)
{
    return reel_render_progress(st, artifact, out_path, NULL, NULL, res, err);
}

int reel_render_progress(reel_store *st, const char *artifact, const char *out_path,
                         reel_slice_progress_fn progress, void *ud, reel_slice_result *res,
                         reel_error *err)
{
    memset(res, 0, sizeof *res);
    reel_artifact a;
    memset(&a, 0, sizeof a);
    int rc = reel_db_artifact_get(reel_store_db(st), artifact, &a, err);
    if (rc)
        return rc;
    if (strcmp(a.kind, "virtual-slice") != 0) {
        rc = reel_error_set(err, REEL_EINVAL,
                            "artifact %s is a %s, not a virtual slice (use 'reel cas get' for files)",
                            a.id, a.kind);
        reel_error_reason(err, rc, REEL_SLICE_R_NOT_VIRTUAL);
        reel_artifact_clear(&a);
        return rc;
    }
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(st), &a.content, path);
    char *text = NULL;
    json_t *root = NULL;
    plan p;
    memset(&p, 0, sizeof p);
    p.progress = progress;
    p.progress_ud = ud;
    if ((rc = reel_cas_verify(reel_store_cas(st), &a.content, err)) ||
        (rc = reel_fs_read_all(path, &text, NULL, err)))
        goto out;
    root = json_loads(text, 0, NULL);
    json_t *pieces = json_object_get(root, "pieces");
    json_t *range = json_object_get(root, "sample_range");
    char *def_text = json_dumps(json_object_get(root, "definition"), JSON_COMPACT);
    if (!json_is_array(pieces) || json_array_size(range) != 2 || !def_text ||
        reel_stream_def_from_json(def_text, &p.def, err) != 0) {
        free(def_text);
        rc = reel_error_set(err, REEL_ECORRUPT, "virtual slice %s is malformed", a.id);
        goto out;
    }
    free(def_text);
    reel_out_format fmt;
    reel_sample_format out_fmt;
    if ((rc = reel_out_format_parse(json_string_value(json_object_get(root, "format")), &fmt,
                                    err)) ||
        (rc = reel_sample_format_parse(json_string_value(json_object_get(root, "sample_format")),
                                       &out_fmt, err)))
        goto out;
    p.from = (uint64_t)json_integer_value(json_array_get(range, 0));
    p.to = (uint64_t)json_integer_value(json_array_get(range, 1));
    p.n = json_array_size(pieces);
    p.pieces = calloc(p.n ? p.n : 1, sizeof *p.pieces);
    if (!p.pieces) {
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < p.n; i++) {
        json_t *it = json_array_get(pieces, i);
        piece *pc = &p.pieces[i];
        pc->sealed = true;
        if (reel_hash_from_hex(&pc->hash, json_string_value(json_object_get(it, "hash")), NULL)) {
            rc = reel_error_set(err, REEL_ECORRUPT, "virtual slice %s has a bad piece", a.id);
            goto out;
        }
        pc->byte_offset = (uint64_t)json_integer_value(json_object_get(it, "byte_offset"));
        pc->first_frame = (uint64_t)json_integer_value(json_object_get(it, "first_sample"));
        pc->frames = (uint64_t)json_integer_value(json_object_get(it, "sample_count"));
        total += pc->frames;
        if (!reel_cas_has(reel_store_cas(st), &pc->hash)) {
            char hs[REEL_HASH_HEX + 8];
            rc = reel_error_set(err, REEL_ENOENT, "virtual slice %s needs blob %s, which is gone",
                                a.id, slice_hash_str(&pc->hash, hs));
            goto out;
        }
    }
    if (p.to <= p.from || total != p.to - p.from) {
        rc = reel_error_set(err, REEL_ECORRUPT, "virtual slice %s: pieces do not cover its range",
                            a.id);
        goto out;
    }
    slice_fill_result(&p, fmt, out_fmt, res);
    res->from_wall_ns = a.from_wall_ns;
    res->to_wall_ns = a.to_wall_ns;
    if ((rc = slice_materialize(st, &p, fmt, out_fmt, out_path, &res->content, NULL, err)))
        goto out;
    snprintf(res->mime, sizeof res->mime, "%s", reel_out_format_mime(fmt));
    {
        json_t *meta = slice_output_meta(&p, fmt, out_fmt, 0);
        reel_slice_request req = {.creator = "reel render"};
        const char *tags[] = {"type:render"};
        req.tags = tags;
        req.n_tags = 1;
        rc = slice_record_artifact(st, &p, "slice", a.id, res->mime, &req, meta, NULL, 0, res, err);
        json_decref(meta);
    }
out:
    json_decref(root);
    free(text);
    slice_plan_free(&p);
    reel_artifact_clear(&a);
    return rc;
}
