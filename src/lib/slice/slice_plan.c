/*
 * slice_plan.c — a range of a stream as a plan: its time specs resolved
 * to frames against the manifest, and the list of pieces (byte ranges of
 * sealed or staging chunks) that hold those frames; reading a piece's
 * bytes; and the stream-following reader built on both.
 *
 * Owns: range resolution and its refusals (empty, outside, no longer
 * held), the MIDI request rules, and how a piece is found when its chunk
 * is being sealed. Must never: write to the store or to a file (planning
 * and reading only), or hold a chunk open past one piece.
 */
#include "slice/slice_internal.h"

#include "slice/spec_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a MIDI stream can be sliced to. */
static int midi_request_check(const reel_slice_request *req, reel_error *err)
{
    if (req->is_virtual)
        return reel_error_reason(
            err,
            reel_error_set(err, REEL_EFORMAT,
                           "stream %s is MIDI; virtual slices of MIDI are not supported yet",
                           req->stream_uri),
            REEL_SLICE_R_MIDI_VIRTUAL);
    if (req->has_sample_format)
        return reel_error_reason(
            err,
            reel_error_set(err, REEL_EINVAL, "stream %s is MIDI; --sample-format is for audio",
                           req->stream_uri),
            REEL_SLICE_R_MIDI_SAMPLE_FORMAT);
    if (req->format_given && req->format != REEL_OUT_MID && req->format != REEL_OUT_RAW)
        return reel_error_reason(
            err,
            reel_error_set(err, REEL_EFORMAT, "stream %s is MIDI; slice it to mid or raw, not %s",
                           req->stream_uri, reel_out_format_name(req->format)),
            REEL_SLICE_R_MIDI_FORMAT);
    return REEL_OK;
}

void slice_plan_tick(const plan *p, size_t done)
{
    if (p->progress)
        p->progress((uint64_t)done, (uint64_t)p->n, p->progress_ud);
}

void slice_plan_free(plan *p)
{
    free(p->pieces);
    free(p->snaps);
    memset(p, 0, sizeof *p);
}

int reel_slice_resolve(reel_store *st, const char *uri, const reel_timespec *ts,
                       const reel_manifest *m, const reel_cas *cas, int64_t *frame,
                       reel_error *err)
{
    reel_timespec local;
    const reel_spec_resolver *r = reel_spec_resolver_find(ts->kind);
    if (r) { /* a session bound, a moment...: placed on this stream first */
        int rc = r->fn(st, uri, m->rate, ts, &local, err);
        if (rc)
            return rc;
        ts = &local;
    }
    reel_time_context ctx = {.head = m->total_frames, .rate = m->rate};
    reel_clock_snapshot *snaps = NULL;
    size_t n = 0;
    if (ts->kind == REEL_TS_WALL) {
        int rc = reel_manifest_snapshots_near(m, cas, ts->wall_ns, &snaps, &n, err);
        if (rc)
            return rc;
        if (n == 0) {
            free(snaps);
            reel_error_set(err, REEL_ERANGE,
                           "the stream has no wall-clock snapshots to place that instant");
            return reel_error_reason(err, REEL_ERANGE, REEL_SLICE_R_NO_WALL_CLOCK);
        }
        ctx.snaps = snaps;
        ctx.n_snaps = n;
    }
    int rc = reel_timespec_resolve(ts, &ctx, frame, err);
    free(snaps);
    return rc;
}

int slice_plan_make(reel_store *st, const reel_slice_request *req, plan *p, reel_error *err)
{
    memset(p, 0, sizeof *p);
    reel_stream_view v;
    int rc = reel_store_stream_open(st, req->stream_uri, &v, err);
    if (rc)
        return rc == REEL_ENOENT ? reel_error_reason(err, rc, REEL_SLICE_R_UNKNOWN_STREAM) : rc;
    const reel_manifest *m = &v.manifest;
    p->def = v.def;
    p->definition_hash = v.row.definition_hash;
    snprintf(p->definition_artifact, sizeof p->definition_artifact, "%s",
             v.row.definition_artifact);
    bool midi = v.def.kind == REEL_STREAM_MIDI;
    if (midi && (rc = midi_request_check(req, err)))
        goto out;
    int64_t from, to;
    if ((rc = reel_slice_resolve(st, req->stream_uri, &req->from, m, reel_store_cas(st), &from, err)) ||
        (rc = reel_slice_resolve(st, req->stream_uri, &req->to, m, reel_store_cas(st), &to, err)))
        goto out;
    if (req->clamp && from < (int64_t)m->first_frame) {
        from = (int64_t)m->first_frame;
        p->clamped = true;
    }
    if (m->total_frames == m->first_frame) {
        rc = reel_error_set(err, REEL_ERANGE, "stream %s has no frames yet", req->stream_uri);
        reel_error_reason(err, rc, REEL_SLICE_R_NO_FRAMES);
        goto out;
    }
    if (from >= to) {
        rc = reel_error_set(err, REEL_ERANGE, "empty range: from frame %lld is not before to frame %lld",
                            (long long)from, (long long)to);
        reel_error_reason(err, rc, REEL_SLICE_R_EMPTY_RANGE);
        goto out;
    }
    if (from < (int64_t)m->first_frame && m->dropped_chunks > 0) {
        rc = reel_error_set(err, REEL_ERANGE,
                            "frames #%lld..#%llu of %s are no longer held (retention dropped "
                            "them; held: #%llu..#%llu)",
                            (long long)from, (unsigned long long)m->first_frame,
                            req->stream_uri, (unsigned long long)m->first_frame,
                            (unsigned long long)m->total_frames);
        reel_error_reason(err, rc, REEL_SLICE_R_NOT_HELD);
        goto out;
    }
    if (from < (int64_t)m->first_frame || to > (int64_t)m->total_frames) {
        rc = reel_error_set(err, REEL_ERANGE,
                            "range #%lld..#%lld is outside the recording (frames #%llu..#%llu held)",
                            (long long)from, (long long)to, (unsigned long long)m->first_frame,
                            (unsigned long long)m->total_frames);
        reel_error_reason(err, rc, REEL_SLICE_R_OUTSIDE);
        goto out;
    }
    p->from = (uint64_t)from;
    p->to = (uint64_t)to;
    reel_chunk_entry *chunks;
    size_t nc;
    if ((rc = reel_manifest_chunks_in(m, reel_store_cas(st), p->from, p->to, &chunks, &nc, err)))
        goto out;
    p->pieces = calloc(nc ? nc : 1, sizeof *p->pieces);
    p->snaps = calloc(nc + 1, sizeof *p->snaps);
    if (!p->pieces || !p->snaps) {
        free(chunks);
        rc = reel_error_set(err, REEL_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t at = p->from;
    size_t fb = reel_stream_def_frame_bytes(&p->def);
    for (size_t i = 0; i < nc; i++) {
        const reel_chunk_entry *c = &chunks[i];
        uint64_t s = c->first_frame > at ? c->first_frame : at;
        uint64_t e = c->first_frame + c->frames < p->to ? c->first_frame + c->frames : p->to;
        if (c->clock.wall_ns)
            p->snaps[p->n_snaps++] = c->clock;
        if (e <= s)
            continue;
        bool in_flight = c->sealed && c->has_staging_id;
        if (midi) {
            /* MIDI selects records by their own frames: a chunk's frame
             * span only says which chunks can hold the window's events. */
            if (c->bytes)
                p->pieces[p->n++] = (piece){.sealed = c->sealed, .hash = c->hash,
                                            .first_frame = s, .frames = e - s, .bytes = c->bytes,
                                            .in_flight = in_flight, .staging_id = c->staging_id};
            continue;
        }
        if (s != at) {
            free(chunks);
            rc = reel_error_set(err, REEL_ECORRUPT, "manifest of %s has a hole at frame %llu",
                                req->stream_uri, (unsigned long long)at);
            goto out;
        }
        p->pieces[p->n++] = (piece){.sealed = c->sealed, .hash = c->hash, .first_frame = s,
                                    .frames = e - s, .byte_offset = (s - c->first_frame) * fb,
                                    .in_flight = in_flight, .staging_id = c->staging_id};
        at = e;
    }
    free(chunks);
    if (!midi && at != p->to) {
        rc = reel_error_set(err, REEL_ECORRUPT, "manifest of %s ends at frame %llu, before %llu",
                            req->stream_uri, (unsigned long long)at, (unsigned long long)p->to);
        goto out;
    }
    if (m->has_head_clock)
        p->snaps[p->n_snaps++] = m->head_clock;
out:
    reel_stream_view_free(&v);
    if (rc)
        slice_plan_free(p);
    return rc;
}

/* Open a piece's file. ENOENT on a staging piece means "sealed meanwhile". */
int slice_piece_open(reel_store *st, const piece *pc, int *fd, reel_error *err)
{
    char path[PATH_MAX];
    if (pc->sealed)
        reel_cas_content_path(reel_store_cas(st), &pc->hash, path);
    else
        reel_cas_staging_path(reel_store_cas(st), &pc->hash, path);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT && pc->in_flight) {
        /* Not renamed yet: still in staging (or renamed just now). */
        reel_cas_staging_path(reel_store_cas(st), &pc->staging_id, path);
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0 && errno == ENOENT) {
            reel_cas_content_path(reel_store_cas(st), &pc->hash, path);
            *fd = open(path, O_RDONLY | O_CLOEXEC);
        }
    }
    if (*fd < 0)
        return reel_error_set(err, errno == ENOENT ? REEL_ENOENT : REEL_EIO,
                              "cannot open chunk %s: %s", path, strerror(errno));
    return REEL_OK;
}

int slice_piece_read(reel_store *st, const piece *pc, size_t fb, slice_bytes_fn fn, void *ud,
                     reel_error *err)
{
    int fd;
    int rc = slice_piece_open(st, pc, &fd, err);
    if (rc)
        return rc;
    uint64_t len = fb ? pc->frames * fb : pc->bytes;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < pc->byte_offset + len) {
        close(fd);
        return reel_error_set(err, REEL_ECORRUPT, "chunk is shorter than its manifest says");
    }
    uint64_t pg = pc->byte_offset & ~(uint64_t)4095;
    size_t maplen = (size_t)(pc->byte_offset + len - pg);
    void *map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)pg);
    close(fd);
    if (map == MAP_FAILED)
        return reel_error_set(err, REEL_EIO, "cannot map a chunk: %s", strerror(errno));
    madvise(map, maplen, MADV_SEQUENTIAL);
    rc = fn((const uint8_t *)map + (pc->byte_offset - pg), fb ? (size_t)pc->frames : (size_t)len,
            ud, err);
    munmap(map, maplen);
    return rc;
}

reel_slice_request slice_frame_request(const char *uri, uint64_t from, uint64_t to)
{
    reel_slice_request req = {.stream_uri = uri, .format = REEL_OUT_WAV, .format_given = true};
    req.from.kind = req.to.kind = REEL_TS_FRAME;
    req.from.frame = from;
    req.to.frame = to;
    return req;
}

int reel_slice_read_frames(reel_store *st, const char *uri, uint64_t from, uint64_t to,
                           reel_slice_frames_fn fn, void *ud, reel_error *err)
{
    uint64_t at = from;
    for (int attempt = 0; at < to; attempt++) {
        reel_slice_request req = slice_frame_request(uri, at, to);
        plan p;
        int rc = slice_plan_make(st, &req, &p, err);
        if (rc)
            return rc;
        if (p.def.kind != REEL_STREAM_AUDIO) {
            slice_plan_free(&p);
            return reel_error_set(err, REEL_EFORMAT, "stream %s is not audio", uri);
        }
        size_t fb = reel_stream_def_frame_bytes(&p.def);
        for (size_t i = 0; i < p.n && rc == 0; i++) {
            rc = slice_piece_read(st, &p.pieces[i], fb, fn, ud, err);
            if (rc == 0)
                at = p.pieces[i].first_frame + p.pieces[i].frames;
        }
        slice_plan_free(&p);
        /* A staging chunk sealed under us: plan again from where we got. */
        if (rc == REEL_ENOENT && attempt + 1 < REPLAN_TRIES)
            continue;
        if (rc)
            return rc;
    }
    return REEL_OK;
}
