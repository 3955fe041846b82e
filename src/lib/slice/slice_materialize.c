/*
 * slice_materialize.c — a plan's frames (or MIDI events) written as a
 * file: rendered to a temporary file in the store's tmp/, copied to the
 * caller's path, moved into CAS.
 *
 * Owns: the output file and its atomicity. Must never: record an artifact
 * (slice_artifact.c does), or leave a partial file behind on failure.
 */
#include "slice/slice_internal.h"

#include "core/fsutil.h"
#include "media/midi_out.h"

#include <unistd.h>

static int write_frames(const uint8_t *data, size_t frames, void *ud, reel_error *err)
{
    return reel_audio_out_write(ud, data, frames, err);
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
        rc = slice_piece_read(st, &p->pieces[i], 0, write_records, mo, err);
        slice_plan_tick(p, i + 1);
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
        rc = slice_piece_read(st, &p->pieces[i], fb, write_frames, ao, err);
        slice_plan_tick(p, i + 1);
    }
    if (rc) {
        reel_audio_out_abort(ao);
        return rc;
    }
    return reel_audio_out_close(ao, err);
}

/* Write the file to tmp/, copy it to out_path, move it into content. */
int slice_materialize(reel_store *st, const plan *p, reel_out_format fmt,
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
