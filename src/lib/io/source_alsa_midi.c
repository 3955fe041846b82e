/*
 * source_alsa_midi.c — the ALSA sequencer as a MIDI source
 * (`alsa-midi[:CLIENT:PORT]`).
 *
 * Owns: the sequencer client "reel" with one input port "capture" (so
 * `aconnect SENDER reel:capture` finds it), its subscription to CLIENT:PORT
 * when one is named, its queue, and the producer loop that writes each
 * event's whole MIDI bytes (alsa_midi.c) at its frame on the stream clock
 * and advances that clock in real time. Must never: touch the store, write
 * an event before the position already committed, or commit a position
 * past an open sysex (it would have to be written in the past).
 *
 * The stream clock: frame 0 of this run is CLOCK_MONOTONIC at the start of
 * run(); it advances `rate` frames a second (--rate, default 48000), as an
 * audio device's would, so a MIDI stream lines up with audio streams
 * through the clock snapshots.
 *
 * When an event happened: the port timestamps every event on our own queue
 * in real time (SND_SEQ_TIME_STAMP_REAL), at the moment the kernel delivers
 * it to the port, not when this thread wakes up to read it. Arrival time
 * (clock_gettime after snd_seq_event_input) would add the thread's wake-up
 * latency and the 10 ms poll cadence under load, and gives every event of a
 * batch the same time. The queue's time is mapped to CLOCK_MONOTONIC by an
 * offset measured around snd_seq_get_queue_status (the tightest of the last
 * 8 readings, one a second, so a slow drift between the two clocks is
 * followed). Precision: the reading's bracket (a few µs), plus the queue
 * timer's own: current kernels interpolate the queue's real time with
 * ktime_get between timer ticks (µs), older ones stamp on the queue timer's
 * ticks (1 ms at its default 1000 Hz). Either way well under one period of a
 * typical audio device; at 48 kHz a frame is 20.8 µs. An event stamped on
 * another queue, or whose stamp is in the future or over a second old (the
 * offset cannot be trusted), is stamped with its arrival time instead. An
 * event that arrives after its frame was committed (the thread was late by
 * more than the commit cadence) goes at the first frame not yet committed.
 *
 * Input overflow (the kernel dropped events because this thread did not
 * read in time) counts as a device xrun.
 */
#include "io/source.h"

#include "media/alsa_midi.h"
#include "time/clock.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000LL
#define SEQ_POLL_MS 10            /* commit cadence of the clock when no event comes */
#define SEQ_SYSEX_STALL_NS NS     /* an open sysex with no fragment for this long ends */
#define SEQ_OFFSET_EVERY_NS NS    /* queue/monotonic offset re-measured this often */
#define SEQ_OFFSET_WINDOW 8       /* ... and the tightest of this many readings used */

typedef struct seq_state {
    snd_seq_t *seq;
    int port, queue;
    uint32_t rate;
    char peer[REEL_DEVICE_MAX]; /* CLIENT:PORT subscribed from, "" none */
    reel_alsa_midi_dec dec;
    struct pollfd *pfds;
    int n_pfds;
    /* queue real time -> CLOCK_MONOTONIC: upper bounds of the offset */
    int64_t off[SEQ_OFFSET_WINDOW];
    size_t n_off, next_off;
    int64_t q2m;
    int64_t off_at; /* monotonic time of the last reading */
    /* the producer loop */
    reel_midi_clock clk;
    uint64_t pos;  /* frames committed (advanced) so far */
    uint64_t last; /* frame of the last event written */
    uint64_t limit;
} seq_state;

static void seq_close(void *st)
{
    seq_state *s = st;
    if (!s)
        return;
    if (s->seq) {
        if (s->queue >= 0)
            snd_seq_free_queue(s->seq, s->queue);
        snd_seq_close(s->seq);
    }
    reel_alsa_midi_dec_free(&s->dec);
    free(s->pfds);
    free(s);
}

/* One reading of the queue's real time between two monotonic reads: the
 * queue time was taken no later than `b`, so mono - queue <= b - q. Keeps
 * the tightest bound of the last SEQ_OFFSET_WINDOW readings. */
static int seq_measure_offset(seq_state *s, reel_error *err)
{
    snd_seq_queue_status_t *qs;
    snd_seq_queue_status_alloca(&qs);
    int64_t best = INT64_MAX, best_w = INT64_MAX;
    for (int i = 0; i < 4; i++) {
        int64_t a = reel_clock_mono_now();
        int rc = snd_seq_get_queue_status(s->seq, s->queue, qs);
        int64_t b = reel_clock_mono_now();
        if (rc < 0)
            return reel_error_set(err, REEL_EDEVICE, "ALSA sequencer: cannot read the queue: %s",
                                  snd_strerror(rc));
        const snd_seq_real_time_t *rt = snd_seq_queue_status_get_real_time(qs);
        int64_t q = (int64_t)rt->tv_sec * NS + rt->tv_nsec;
        if (b - a < best_w) {
            best_w = b - a;
            best = b - q;
        }
    }
    s->off[s->next_off] = best;
    s->next_off = (s->next_off + 1) % SEQ_OFFSET_WINDOW;
    if (s->n_off < SEQ_OFFSET_WINDOW)
        s->n_off++;
    s->q2m = INT64_MAX;
    for (size_t i = 0; i < s->n_off; i++)
        if (s->off[i] < s->q2m)
            s->q2m = s->off[i];
    s->off_at = reel_clock_mono_now();
    return REEL_OK;
}

/* When `ev` happened on CLOCK_MONOTONIC (see the top of the file). */
static int64_t seq_event_mono(const seq_state *s, const snd_seq_event_t *ev, int64_t arrival)
{
    if ((ev->flags & SND_SEQ_TIME_STAMP_MASK) != SND_SEQ_TIME_STAMP_REAL ||
        ev->queue != s->queue || s->n_off == 0)
        return arrival;
    int64_t t = (int64_t)ev->time.time.tv_sec * NS + ev->time.time.tv_nsec + s->q2m;
    if (t > arrival || arrival - t > NS)
        return arrival;
    return t;
}

/* Write the messages the decoder has ready, each at its frame (never
 * before what is committed or already written). */
static void seq_write_ready(seq_state *s, reel_chunk_writer *cw)
{
    reel_alsa_midi_msg m;
    while (reel_alsa_midi_dec_next(&s->dec, &m)) {
        uint64_t f;
        if (!reel_midi_clock_place(&s->clk, m.mono_ns, s->pos, s->last, s->limit, &f))
            continue; /* past the end of a --seconds recording */
        if (f - s->pos > UINT32_MAX)
            f = s->pos + UINT32_MAX;
        reel_cw_write_midi(cw, (uint32_t)(f - s->pos), m.data, m.len);
        s->last = f;
    }
}

/* Commit the clock up to `now` (not past an open sysex, nor the limit). */
static void seq_advance(seq_state *s, reel_chunk_writer *cw, int64_t now, bool final,
                        _Atomic uint64_t *frames)
{
    int64_t since, last;
    if (reel_alsa_midi_dec_open(&s->dec, &since, &last) &&
        (final || now - last > SEQ_SYSEX_STALL_NS)) {
        reel_alsa_midi_dec_flush(&s->dec); /* its sender went quiet: it ends as it is */
        seq_write_ready(s, cw);
    }
    uint64_t target = reel_alsa_midi_commit_target(&s->dec, &s->clk, now, s->limit);
    if (target <= s->pos)
        return;
    reel_cw_advance(cw, (size_t)(target - s->pos));
    s->pos = target;
    atomic_store(frames, s->pos);
    /* The clocks at the new position, for the writer's snapshots. */
    int64_t mono = reel_midi_clock_mono(&s->clk, s->pos);
    int64_t wall = reel_clock_wall_now() - (reel_clock_mono_now() - mono);
    reel_cw_set_clock(cw, mono, wall, s->pos);
}

static int seq_run(void *st, reel_chunk_writer *cw, uint64_t limit, const _Atomic bool *stop,
                   _Atomic uint64_t *frames, reel_error *err)
{
    seq_state *s = st;
    int rc = snd_seq_start_queue(s->seq, s->queue, NULL);
    if (rc >= 0)
        rc = snd_seq_drain_output(s->seq);
    if (rc < 0)
        return reel_error_set(err, REEL_EDEVICE, "ALSA sequencer: cannot start the queue: %s",
                              snd_strerror(rc));
    if ((rc = seq_measure_offset(s, err)))
        return rc;
    s->clk = (reel_midi_clock){.t0_ns = reel_clock_mono_now(), .start = 0, .rate = s->rate};
    s->pos = s->last = 0;
    s->limit = limit;
    reel_cw_set_clock(cw, s->clk.t0_ns, reel_clock_wall_now(), 0);
    for (;;) {
        bool final = atomic_load(stop);
        snd_seq_event_t *ev;
        while ((rc = snd_seq_event_input(s->seq, &ev)) >= 0 || rc == -ENOSPC) {
            if (rc == -ENOSPC) { /* the kernel's input pool overflowed: events lost */
                reel_cw_note_xrun(cw);
                continue;
            }
            reel_alsa_midi_dec_feed(&s->dec, ev, seq_event_mono(s, ev, reel_clock_mono_now()));
            seq_write_ready(s, cw);
        }
        if (rc != -EAGAIN && rc != -EINTR)
            return reel_error_set(err, REEL_EDEVICE, "ALSA sequencer failed: %s",
                                  snd_strerror(rc));
        int64_t now = reel_clock_mono_now();
        seq_advance(s, cw, now, final, frames);
        if (final || s->pos >= s->limit)
            return REEL_OK;
        if (now - s->off_at >= SEQ_OFFSET_EVERY_NS && (rc = seq_measure_offset(s, err)))
            return rc;
        /* Sleep until an event comes or the clock should move on. */
        poll(s->pfds, (nfds_t)s->n_pfds, SEQ_POLL_MS);
    }
}

static const reel_source_impl seq_impl = {
    .close = seq_close,
    .run = seq_run,
};

int reel_source_alsa_midi_open(const char *arg, const reel_source_opts *opts,
                               reel_stream_def *def, void **state,
                               const reel_source_impl **impl, reel_error *err)
{
    if (opts->fast)
        return reel_error_set(err, REEL_EINVAL,
                              "--fast does not apply to alsa-midi sources (events come in real "
                              "time)");
    if (arg && (!*arg || strlen(arg) + 10 >= REEL_DEVICE_MAX))
        return reel_error_set(err, REEL_EINVAL,
                              "bad ALSA sequencer port '%s' (want alsa-midi:CLIENT:PORT)", arg);
    seq_state *s = calloc(1, sizeof *s);
    if (!s)
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    s->queue = -1;
    s->rate = opts->rate ? opts->rate : 48000;
    if (arg)
        snprintf(s->peer, sizeof s->peer, "%s", arg);
    int rc = snd_seq_open(&s->seq, "default", SND_SEQ_OPEN_DUPLEX, SND_SEQ_NONBLOCK);
    if (rc < 0) {
        s->seq = NULL;
        seq_close(s);
        return reel_error_set(err, REEL_EDEVICE,
                              "ALSA sequencer unavailable: cannot open /dev/snd/seq: %s",
                              snd_strerror(rc));
    }
    snd_seq_set_client_name(s->seq, "reel");
    s->queue = snd_seq_alloc_named_queue(s->seq, "reel");
    if (s->queue < 0) {
        rc = s->queue;
        seq_close(s);
        return reel_error_set(err, REEL_EDEVICE, "ALSA sequencer: cannot allocate a queue: %s",
                              snd_strerror(rc));
    }
    snd_seq_port_info_t *pi;
    snd_seq_port_info_alloca(&pi);
    snd_seq_port_info_set_name(pi, "capture");
    snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE);
    snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC |
                                       SND_SEQ_PORT_TYPE_APPLICATION);
    snd_seq_port_info_set_timestamping(pi, 1);
    snd_seq_port_info_set_timestamp_real(pi, 1);
    snd_seq_port_info_set_timestamp_queue(pi, s->queue);
    if ((rc = snd_seq_create_port(s->seq, pi)) < 0) {
        seq_close(s);
        return reel_error_set(err, REEL_EDEVICE, "ALSA sequencer: cannot create a port: %s",
                              snd_strerror(rc));
    }
    s->port = snd_seq_port_info_get_port(pi);
    if (arg) {
        snd_seq_addr_t addr;
        if ((rc = snd_seq_parse_address(s->seq, &addr, arg)) < 0) {
            seq_close(s);
            return reel_error_set(err, REEL_EDEVICE,
                                  "ALSA sequencer has no port '%s' (list them with aconnect -i)",
                                  arg);
        }
        if ((rc = snd_seq_connect_from(s->seq, s->port, addr.client, addr.port)) < 0) {
            seq_close(s);
            return reel_error_set(err, REEL_EDEVICE,
                                  "cannot subscribe to ALSA sequencer port '%s': %s", arg,
                                  snd_strerror(rc));
        }
    }
    if ((rc = reel_alsa_midi_dec_init(&s->dec, err))) {
        seq_close(s);
        return rc;
    }
    s->n_pfds = snd_seq_poll_descriptors_count(s->seq, POLLIN);
    s->pfds = calloc(s->n_pfds > 0 ? (size_t)s->n_pfds : 1, sizeof *s->pfds);
    if (!s->pfds) {
        seq_close(s);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    s->n_pfds = snd_seq_poll_descriptors(s->seq, s->pfds, (unsigned)s->n_pfds, POLLIN);
    def->kind = REEL_STREAM_MIDI;
    def->sample_rate = s->rate;
    def->channels = 0;
    def->sample_format = REEL_SAMPLE_F32;
    snprintf(def->device_identity, sizeof def->device_identity, "alsa-midi%s%s", arg ? ":" : "",
             arg ? arg : "");
    *state = s;
    *impl = &seq_impl;
    return REEL_OK;
}
