/*
 * slice.c — slices and renders (see slice.h).
 *
 * A slice is planned as a list of pieces, each a byte range of one chunk
 * (sealed content or a staging file). If a staging chunk is sealed while we
 * read it (its file renamed away), the whole slice is planned again from a
 * fresh manifest: the frames are the same, only their file moved.
 */
#include "slice/slice.h"


#include "core/fsutil.h"
#include "media/midi_out.h"
#include "slice/spec_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIRTUAL_MIME "application/x-reel-virtual-slice+json"
#define REPLAN_TRIES 5
/* A MIDI slice as raw: the store's own records (midi_record.h). */
#define MIDI_RAW_MIME "application/x-reel-midi-records"

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

typedef struct piece {
    bool sealed;
    reel_hash hash;      /* content hash, or staging id */
    uint64_t first_frame; /* stream position of the piece's first frame */
    uint64_t frames;
    uint64_t byte_offset; /* within the chunk */
    uint64_t bytes;       /* MIDI: the chunk's record bytes (audio: frames * frame size) */
    /* A seal in flight: the manifest names the content, but until the
     * rename lands the bytes are still at this staging id. */
    bool in_flight;
    reel_hash staging_id;
} piece;

typedef struct plan {
    reel_stream_def def;
    char definition_artifact[REEL_ARTIFACT_ID_MAX];
    reel_hash definition_hash;
    uint64_t from, to;
    piece *pieces;
    size_t n;
    reel_clock_snapshot *snaps; /* chunk-start clocks and the head clock */
    size_t n_snaps;
    bool clamped;
    reel_slice_progress_fn progress; /* may be NULL; after each piece written */
    void *progress_ud;
} plan;

static void plan_tick(const plan *p, size_t done)
{
    if (p->progress)
        p->progress((uint64_t)done, (uint64_t)p->n, p->progress_ud);
}

static void plan_free(plan *p)
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

static int make_plan(reel_store *st, const reel_slice_request *req, plan *p, reel_error *err)
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
        plan_free(p);
    return rc;
}

/* Open a piece's file. ENOENT on a staging piece means "sealed meanwhile". */
static int piece_open(reel_store *st, const piece *pc, int *fd, reel_error *err)
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

/* Map the piece's bytes read-only and hand them to `fn` with their count
 * of frames (audio) or bytes (MIDI). */
typedef int (*bytes_fn)(const uint8_t *data, size_t frames, void *ud, reel_error *err);

static int piece_read(reel_store *st, const piece *pc, size_t fb, bytes_fn fn, void *ud,
                      reel_error *err)
{
    int fd;
    int rc = piece_open(st, pc, &fd, err);
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

static int write_frames(const uint8_t *data, size_t frames, void *ud, reel_error *err)
{
    return reel_audio_out_write(ud, data, frames, err);
}

static const char *hash_str(const reel_hash *h, char *buf)
{
    reel_hash_to_string(h, buf);
    return buf;
}

static int write_records(const uint8_t *data, size_t bytes, void *ud, reel_error *err)
{
    return reel_midi_out_write(ud, data, bytes, err);
}

/* The window's MIDI events as a Standard MIDI File (or raw records). */
static int render_midi(reel_store *st, const plan *p, reel_out_format fmt, const char *path,
                       uint64_t *events, reel_error *err)
{
    reel_midi_out *mo;
    int rc = reel_midi_out_open(&mo, path, fmt, p->def.sample_rate, p->from, p->to, p->def.uri,
                                err);
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        rc = piece_read(st, &p->pieces[i], 0, write_records, mo, err);
        plan_tick(p, i + 1);
    }
    if (rc) {
        reel_midi_out_abort(mo);
        return rc;
    }
    if (events)
        *events = reel_midi_out_events(mo);
    return reel_midi_out_close(mo, err);
}

/* Write the plan's frames as a file at tmp path; fills res format fields. */
static int render_plan(reel_store *st, const plan *p, reel_out_format fmt,
                       reel_sample_format out_fmt, const char *path, uint64_t *events,
                       reel_error *err)
{
    if (p->def.kind == REEL_STREAM_MIDI)
        return render_midi(st, p, fmt, path, events, err);
    int rc = reel_out_check(fmt, out_fmt, err);
    if (rc)
        return rc;
    reel_audio_out *ao;
    rc = reel_audio_out_open_f(reel_cas_fault(reel_store_cas(st)), &ao, path, fmt,
                               p->def.sample_rate, p->def.channels, p->def.sample_format, out_fmt,
                               p->to - p->from, err);
    if (rc)
        return rc;
    size_t fb = reel_stream_def_frame_bytes(&p->def);
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        rc = piece_read(st, &p->pieces[i], fb, write_frames, ao, err);
        plan_tick(p, i + 1);
    }
    if (rc) {
        reel_audio_out_abort(ao);
        return rc;
    }
    return reel_audio_out_close(ao, err);
}

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

static void fill_result(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
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

static int record_artifact(reel_store *st, const plan *p, const char *kind, const char *parent,
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
                              hash_str(&pc->hash, hs), "state", pc->sealed ? "sealed" : "staging",
                              "first_sample", (json_int_t)pc->first_frame, "sample_count",
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

static json_t *output_meta(const plan *p, reel_out_format fmt, reel_sample_format out_fmt,
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

/* Write the file to tmp/, copy it to out_path, move it into content. */
static int materialize(reel_store *st, const plan *p, reel_out_format fmt,
                       reel_sample_format out_fmt, const char *out_path, reel_hash *content,
                       uint64_t *events, reel_error *err)
{
    char tmp[PATH_MAX];
    int fd;
    int rc = reel_fs_tmpfile(reel_cas_tmp_dir(reel_store_cas(st)), "slice-", tmp, &fd, err);
    if (rc)
        return rc;
    close(fd);
    rc = render_plan(st, p, fmt, out_fmt, tmp, events, err);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    if (out_path && (rc = reel_fs_copy_atomic_f(reel_cas_fault(reel_store_cas(st)), tmp, out_path,
                                                0644, err))) {
        unlink(tmp);
        return rc;
    }
    rc = reel_cas_ingest(reel_store_cas(st), tmp, NULL, content, err);
    if (rc) {
        unlink(tmp);
        if (out_path)
            unlink(out_path);
    }
    return rc;
}

/* A virtual slice: sealed pieces by reference, staging pieces copied into
 * blobs of their own. */
static int store_virtual(reel_store *st, plan *p, reel_out_format fmt, reel_sample_format out_fmt,
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
            if ((rc = piece_open(st, pc, &fd, err)))
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
                              json_pack("{s:s, s:I, s:I, s:I}", "hash", hash_str(&h, hs),
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
                             "definition_hash", hash_str(&p->definition_hash, hs), "format",
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

int reel_slice(reel_store *st, const reel_slice_request *req, reel_slice_result *res,
               reel_error *err)
{
    memset(res, 0, sizeof *res);
    int rc;
    plan p;
    for (int attempt = 0;; attempt++) {
        if ((rc = make_plan(st, req, &p, err)))
            return rc;
        p.progress = req->progress;
        p.progress_ud = req->progress_ud;
        bool midi = p.def.kind == REEL_STREAM_MIDI;
        reel_out_format fmt = midi && !req->format_given ? REEL_OUT_MID : req->format;
        reel_sample_format out_fmt = req->has_sample_format
                                         ? req->sample_format
                                         : reel_out_default_sample_format(fmt,
                                                                          p.def.sample_format);
        fill_result(&p, fmt, out_fmt, res);
        res->midi = midi;
        if (!midi && (rc = reel_out_check(fmt, out_fmt, err))) {
            plan_free(&p);
            return rc;
        }
        reel_hash *extra = NULL;
        size_t n_extra = 0;
        if (req->is_virtual) {
            rc = store_virtual(st, &p, fmt, out_fmt, &res->content, &extra, &n_extra, err);
            snprintf(res->mime, sizeof res->mime, VIRTUAL_MIME);
        } else {
            rc = materialize(st, &p, fmt, out_fmt, req->out_path, &res->content, &res->events,
                             err);
            snprintf(res->mime, sizeof res->mime, "%s", midi && fmt == REEL_OUT_RAW
                                                            ? MIDI_RAW_MIME
                                                            : reel_out_format_mime(fmt));
        }
        if (rc == REEL_ENOENT && attempt + 1 < REPLAN_TRIES) {
            free(extra);
            plan_free(&p);
            /* Give a seal or a GC's recheck (gc.h) a moment to land. */
            usleep(10000 * (useconds_t)(attempt + 1));
            continue; /* a staging chunk was sealed under us: plan again */
        }
        if (rc == 0 && req->is_virtual && req->out_path) {
            /* --virtual --out: write the rendered file too. */
            reel_hash ignored;
            rc = materialize(st, &p, fmt, out_fmt, req->out_path, &ignored, NULL, err);
        }
        if (rc == 0) {
            json_t *meta = output_meta(&p, fmt, out_fmt, res->events);
            if (req->annotate)
                rc = req->annotate(req->annotate_ud, st, res, meta, err);
            if (rc == 0)
                rc = record_artifact(st, &p, req->is_virtual ? "virtual-slice" : "slice",
                                     req->parent ? req->parent : p.definition_artifact, res->mime,
                                     req, meta, extra, n_extra, res, err);
            json_decref(meta);
        }
        free(extra);
        plan_free(&p);
        return rc;
    }
}

static reel_slice_request frame_request(const char *uri, uint64_t from, uint64_t to)
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
        reel_slice_request req = frame_request(uri, at, to);
        plan p;
        int rc = make_plan(st, &req, &p, err);
        if (rc)
            return rc;
        if (p.def.kind != REEL_STREAM_AUDIO) {
            plan_free(&p);
            return reel_error_set(err, REEL_EFORMAT, "stream %s is not audio", uri);
        }
        size_t fb = reel_stream_def_frame_bytes(&p.def);
        for (size_t i = 0; i < p.n && rc == 0; i++) {
            rc = piece_read(st, &p.pieces[i], fb, fn, ud, err);
            if (rc == 0)
                at = p.pieces[i].first_frame + p.pieces[i].frames;
        }
        plan_free(&p);
        /* A staging chunk sealed under us: plan again from where we got. */
        if (rc == REEL_ENOENT && attempt + 1 < REPLAN_TRIES)
            continue;
        if (rc)
            return rc;
    }
    return REEL_OK;
}

int reel_slice_record_file(reel_store *st, const char *uri, uint64_t from, uint64_t to,
                           const char *path, const char *kind, const char *mime,
                           const char *const *tags, size_t n_tags, const char *creator,
                           json_t *meta, reel_slice_result *res, reel_error *err)
{
    memset(res, 0, sizeof *res);
    reel_slice_request req = frame_request(uri, from, to);
    req.tags = tags;
    req.n_tags = n_tags;
    req.creator = creator;
    plan p;
    int rc = make_plan(st, &req, &p, err);
    if (rc)
        return rc;
    fill_result(&p, REEL_OUT_WAV, p.def.sample_format, res);
    snprintf(res->mime, sizeof res->mime, "%s", mime);
    if ((rc = reel_cas_put_file(reel_store_cas(st), path, &res->content, err)) == 0)
        rc = record_artifact(st, &p, kind, p.definition_artifact, mime, &req, meta, NULL, 0, res,
                             err);
    plan_free(&p);
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
                                a.id, hash_str(&pc->hash, hs));
            goto out;
        }
    }
    if (p.to <= p.from || total != p.to - p.from) {
        rc = reel_error_set(err, REEL_ECORRUPT, "virtual slice %s: pieces do not cover its range",
                            a.id);
        goto out;
    }
    fill_result(&p, fmt, out_fmt, res);
    res->from_wall_ns = a.from_wall_ns;
    res->to_wall_ns = a.to_wall_ns;
    if ((rc = materialize(st, &p, fmt, out_fmt, out_path, &res->content, NULL, err)))
        goto out;
    snprintf(res->mime, sizeof res->mime, "%s", reel_out_format_mime(fmt));
    {
        json_t *meta = output_meta(&p, fmt, out_fmt, 0);
        reel_slice_request req = {.creator = "reel render"};
        const char *tags[] = {"type:render"};
        req.tags = tags;
        req.n_tags = 1;
        rc = record_artifact(st, &p, "slice", a.id, res->mime, &req, meta, NULL, 0, res, err);
        json_decref(meta);
    }
out:
    json_decref(root);
    free(text);
    plan_free(&p);
    reel_artifact_clear(&a);
    return rc;
}
