/*
 * midi_out.c — MIDI records out as SMF or raw (see midi_out.h).
 *
 * Owns: the frame window and the raw file. Must never: hand the SMF writer
 * a tick that is not exactly frame - from.
 */
#include "media/midi_out.h"

#include "rt/midi_record.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reel_midi_out {
    reel_out_format fmt;
    reel_smf_writer *smf; /* REEL_OUT_MID */
    reel_smf_timing timing;
    FILE *raw;            /* REEL_OUT_RAW */
    char *path;
    uint64_t from, to;
    uint64_t last_frame; /* of the last record seen, selected or not */
    uint64_t events;
};

int reel_midi_out_open(reel_midi_out **out, const char *path, reel_out_format fmt, uint32_t rate,
                       uint64_t from, uint64_t to, const char *track_name, reel_error *err)
{
    *out = NULL;
    if (fmt != REEL_OUT_MID && fmt != REEL_OUT_RAW)
        return reel_error_set(err, REEL_EFORMAT,
                              "MIDI streams slice to mid or raw, not %s", reel_out_format_name(fmt));
    if (to < from)
        return reel_error_set(err, REEL_EINVAL, "MIDI window ends before it starts");
    reel_midi_out *mo = calloc(1, sizeof *mo);
    if (!mo || !(mo->path = strdup(path))) {
        free(mo);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    mo->fmt = fmt;
    mo->from = from;
    mo->to = to;
    int rc = REEL_OK;
    if (fmt == REEL_OUT_MID) {
        if ((rc = reel_smf_choose_timing(rate, &mo->timing, err)) == 0)
            rc = reel_smf_create(&mo->smf, path, &mo->timing, track_name, err);
    } else if (!(mo->raw = fopen(path, "wb"))) {
        rc = reel_error_set(err, REEL_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    if (rc) {
        free(mo->path);
        free(mo);
        return rc;
    }
    *out = mo;
    return REEL_OK;
}

int reel_midi_out_write(reel_midi_out *mo, const uint8_t *records, size_t len, reel_error *err)
{
    size_t off = 0;
    while (off < len) {
        reel_midi_event ev;
        size_t used;
        if (reel_midi_record_decode(records + off, len - off, &ev, &used) != REEL_OK)
            return reel_error_set(err, REEL_ECORRUPT, "a MIDI chunk has a bad record at byte %zu",
                                  off);
        if (ev.frame < mo->last_frame)
            return reel_error_set(err, REEL_ECORRUPT,
                                  "MIDI records go back in time (frame %llu after %llu)",
                                  (unsigned long long)ev.frame,
                                  (unsigned long long)mo->last_frame);
        mo->last_frame = ev.frame;
        if (ev.frame >= mo->from && ev.frame < mo->to) {
            int rc = REEL_OK;
            if (mo->smf) {
                /* One tick is one frame (reel_smf_choose_timing), so the tick is
                 * the frame offset from the slice start, exactly. */
                rc = reel_smf_add(mo->smf, ev.frame - mo->from, ev.data, ev.len, err);
            } else if (fwrite(records + off, 1, used, mo->raw) != used) {
                rc = reel_error_set(err, REEL_EIO, "cannot write %s: %s", mo->path,
                                    strerror(errno));
            }
            if (rc)
                return rc;
            mo->events++;
        }
        off += used;
    }
    return REEL_OK;
}

uint64_t reel_midi_out_events(const reel_midi_out *mo)
{
    return mo->events;
}

reel_smf_timing reel_midi_out_timing(const reel_midi_out *mo)
{
    return mo->timing;
}

int reel_midi_out_close(reel_midi_out *mo, reel_error *err)
{
    int rc = REEL_OK;
    if (mo->smf) {
        rc = reel_smf_finish(mo->smf, mo->to - mo->from, err);
        mo->smf = NULL;
    } else {
        errno = 0;
        bool ok = fflush(mo->raw) == 0 && fsync(fileno(mo->raw)) == 0;
        ok = fclose(mo->raw) == 0 && ok;
        mo->raw = NULL;
        if (!ok) {
            rc = reel_error_set(err, REEL_EIO, "cannot write %s: %s", mo->path,
                                errno ? strerror(errno) : "write failed");
            unlink(mo->path);
        }
    }
    free(mo->path);
    free(mo);
    return rc;
}

void reel_midi_out_abort(reel_midi_out *mo)
{
    if (!mo)
        return;
    if (mo->smf)
        reel_smf_abort(mo->smf); /* unlinks */
    if (mo->raw) {
        fclose(mo->raw);
        unlink(mo->path);
    }
    free(mo->path);
    free(mo);
}
