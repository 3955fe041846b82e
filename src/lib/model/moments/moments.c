/*
 * moments.c — adding, marking, resolving and describing moments (see
 * moments.h). The rows themselves are artifact_db.c's.
 */
#include "model/moments/moments.h"

#include "slice/spec_resolve.h"
#include "time/clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_BYTES 127

static int check_name(const char *name, reel_error *err)
{
    size_t n = strlen(name);
    if (n > NAME_MAX_BYTES)
        return reel_error_set(err, REEL_EINVAL, "marker name longer than %d bytes",
                              NAME_MAX_BYTES);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return reel_error_set(err, REEL_EINVAL, "marker name contains a control character");
    return REEL_OK;
}

int reel_moment_mark(reel_store *st, const char *uri, const char *name, reel_db_moment *out,
                     reel_error *err)
{
    memset(out, 0, sizeof *out);
    if (!name)
        name = "";
    int rc = check_name(name, err);
    if (rc)
        return rc;
    reel_stream_view v;
    if ((rc = reel_store_stream_open(st, uri, &v, err)))
        return rc;
    const reel_manifest *m = &v.manifest;
    out->frame = (int64_t)m->total_frames;
    if (m->has_head_clock)
        rc = reel_clock_frame_to_wall(&m->head_clock, 1, m->rate, m->total_frames,
                                      &out->wall_ns, err);
    else
        out->wall_ns = reel_clock_wall_now();
    reel_stream_view_free(&v);
    if (rc)
        return rc;
    snprintf(out->stream_uri, sizeof out->stream_uri, "%s", uri);
    snprintf(out->kind, sizeof out->kind, "%s", reel_moment_kind_name(REEL_MOMENT_MARKER));
    snprintf(out->name, sizeof out->name, "%s", name);
    return reel_moment_add(reel_store_db(st), out, err);
}

int reel_moment_spec_local(reel_db *db, const char *uri, uint32_t rate, const reel_timespec *ts,
                           reel_timespec *out, reel_error *err)
{
    if (ts->kind != REEL_TS_MOMENT)
        return reel_error_set(err, REEL_EINVAL, "not a moment time spec");
    reel_db_moment m;
    int rc = reel_db_moment_get(db, ts->moment_id, &m, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    if (strcmp(m.stream_uri, uri) != 0) {
        /* Another stream's moment: the same instant on this one's clock. */
        if ((ts->offset_ns > 0 && m.wall_ns > INT64_MAX - ts->offset_ns) ||
            (ts->offset_ns < 0 && m.wall_ns < INT64_MIN - ts->offset_ns))
            return reel_error_set(err, REEL_ERANGE, "moment %lld plus its offset overflows",
                                  (long long)m.id);
        out->kind = REEL_TS_WALL;
        out->wall_ns = m.wall_ns + ts->offset_ns;
        return REEL_OK;
    }
    int64_t frame;
    if ((rc = reel_timespec_offset_frame(m.frame, ts->offset_ns, rate, &frame, err)))
        return rc;
    if (frame < 0)
        return reel_error_set(err, REEL_ERANGE,
                              "moment %lld (frame #%lld) with that offset is before the stream "
                              "began",
                              (long long)m.id, (long long)m.frame);
    out->kind = REEL_TS_FRAME;
    out->frame = (uint64_t)frame;
    return REEL_OK;
}

json_t *reel_moment_json(const reel_db_moment *m)
{
    json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:s}", "id", (json_int_t)m->id, "stream",
                          m->stream_uri, "frame", (json_int_t)m->frame, "wall_ns",
                          (json_int_t)m->wall_ns, "kind", m->kind);
    if (!j)
        return NULL;
    /* Rounded to 0.01 dB: the detector's float peak has no more to say. */
    json_object_set_new(j, "level_db",
                        m->has_level ? json_real(round(m->level_db * 100.0) / 100.0)
                                     : json_null());
    json_object_set_new(j, "name", m->name[0] ? json_string(m->name) : json_null());
    return j;
}

static int append_moment(const reel_db_moment *m, void *ud)
{
    json_t *j = reel_moment_json(m);
    if (!j || json_array_append_new(ud, j))
        return REEL_ENOMEM;
    return 0;
}

int reel_moments_json(reel_db *db, const char *uri, json_t **out, reel_error *err)
{
    reel_db_stream row;
    int rc = reel_db_stream_get(db, uri, &row, err);
    if (rc)
        return rc;
    json_t *arr = json_array();
    if (!arr)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    rc = reel_db_moment_list(db, uri, append_moment, arr, err);
    if (rc == REEL_ENOMEM)
        reel_error_set(err, REEL_ENOMEM, "out of memory listing moments");
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return REEL_OK;
}

/* A moment placed on a stream (slice/spec_resolve.h). */
static int moment_spec_resolve(reel_store *st, const char *uri, uint32_t rate,
                               const reel_timespec *ts, reel_timespec *out, reel_error *err)
{
    return reel_moment_spec_local(reel_store_db(st), uri, rate, ts, out, err);
}

static const reel_spec_resolver moment_resolver = {REEL_TS_MOMENT, moment_spec_resolve};
REEL_SPEC_RESOLVER(moment_resolver);
