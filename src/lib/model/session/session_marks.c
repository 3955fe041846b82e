/*
 * session_marks.c — where a session's marks land: every stream's frame at
 * the instant of a mark, and the chunks a segment spans (see
 * session_marks.h).
 *
 * Marks (session.h) are taken on the control thread from the control
 * plane's newest head of each stream. The engine reports a head every
 * ~100 ms with the clocks of the period it belongs to (clock_frame,
 * mono_ns), so the frame at the instant of the mark is that pairing carried
 * forward on the monotonic clock at the nominal rate: off by the drift of
 * the device clock over < 100 ms plus scheduling jitter (sub-millisecond
 * for the tone and file sources, one period for JACK). A stream the
 * session itself starts is exact: its segment begins at its first frame;
 * one the session stops ends at its last frame.
 *
 * MIDI clock ticks at a mark (MIDI streams that received clock): the pulses
 * (0xF8) of this recording before the mark's frame, exactly, read back from
 * the records once the head has passed that frame (a mark waits up to
 * ~100 ms for it, capture/recorder.h); null when none ever arrived.
 *
 * Owns: the mapping of a mark's instant to stream frames and chunk indices.
 * Must never: start, stop or change a stream (the ops do), or write the
 * store.
 */
#include "model/session/session_marks.h"

#include "capture/control.h"
#include "capture/stream_control.h"
#include "store/store.h"
#include "time/clock.h"

#include <stdlib.h>
#include <string.h>

/* Every clock now; see the top of the file for the precision. */
#define TICKS_WAIT_NS 1000000000LL /* for the head to pass a mark (heads come every ~100 ms) */

void reel_session_take_mark(reel_op_ctx *x, const reel_session *s, reel_session_mark *m)
{
    memset(m, 0, sizeof *m);
    m->mono_ns = x->received_ns ? x->received_ns : reel_clock_mono_now();
    m->wall_ns = reel_clock_wall_now() - (reel_clock_mono_now() - m->mono_ns);
    for (size_t i = 0; i < s->n_streams; i++) {
        reel_session_point *p = &m->at[i];
        reel_error e2;
        p->present = reel_stream_frame_at(x->control, s->streams[i], m->mono_ns, &p->frame,
                                          &p->device_frame, &p->has_device_frame, &e2) == 0;
        reel_control_stream_info in;
        uint64_t ticks;
        bool any = false;
        /* MIDI clock: the pulses recorded before the mark's frame, once the
         * head has passed it; none ever arrived, none said. */
        if (p->present && reel_control_stream_get(x->control, s->streams[i], &in, &e2) == 0 &&
            in.def.kind == REEL_STREAM_MIDI &&
            reel_control_midi_ticks_at(x->control, s->streams[i], p->frame, TICKS_WAIT_NS, &ticks,
                                       &any, &e2) == 0 &&
            any) {
            p->midi_ticks = ticks;
            p->has_midi_ticks = true;
        }
    }
}

/* Index (0-based) of the chunk holding `frame`, from the stream's saved
 * manifest; the last known chunk if the manifest has not caught up. */
static int64_t chunk_index(reel_store *st, const char *uri, uint64_t frame)
{
    reel_stream_view v;
    reel_error e2;
    if (reel_store_stream_open(st, uri, &v, &e2))
        return -1;
    int64_t idx = -1;
    reel_chunk_entry *ch = NULL;
    size_t n = 0;
    uint64_t lo = v.manifest.first_frame;
    if (reel_manifest_chunks_in(&v.manifest, reel_store_cas(st), lo, (frame > lo ? frame : lo) + 1, &ch,
                                &n, &e2) == 0 &&
        n > 0)
        idx = (int64_t)n - 1;
    free(ch);
    reel_stream_view_free(&v);
    return idx;
}

void reel_session_fill_chunks(reel_store *st, reel_session *s, reel_session_segment *g)
{
    for (size_t i = 0; i < s->n_streams; i++) {
        if (!g->start.at[i].present)
            continue;
        g->chunks[i].first = chunk_index(st, s->streams[i], g->start.at[i].frame);
        if (g->ended && g->end.at[i].present) {
            uint64_t e = g->end.at[i].frame;
            g->chunks[i].last =
                chunk_index(st, s->streams[i], e > g->start.at[i].frame ? e - 1 : e);
        }
    }
}
