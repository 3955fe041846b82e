/*
 * alsa_midi.c — sequencer events to whole MIDI messages, and times to
 * frames on a MIDI stream's clock (see alsa_midi.h for the rules).
 *
 * Owns: the decoding and sysex reassembly state of one ALSA sequencer
 * source. Must never: open a device, make a system call or allocate after
 * reel_alsa_midi_dec_init.
 */
#include "media/alsa_midi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000LL
#define SCRATCH 64 /* the longest non-sysex decode: an NRPN is 4 control changes */
#define OUT_BYTES (2 * (size_t)REEL_MIDI_MAX_EVENT + REEL_ALSA_MIDI_HOLD + SCRATCH)
#define OUT_MSGS (2 + REEL_ALSA_MIDI_HOLD + SCRATCH)

/* ---- the frame clock ------------------------------------------------------ */

uint64_t reel_midi_clock_frame(const reel_midi_clock *c, int64_t mono_ns)
{
    if (mono_ns <= c->t0_ns || c->rate == 0)
        return c->start;
    uint64_t dt = (uint64_t)(mono_ns - c->t0_ns);
    /* Seconds and the rest apart: dt * rate would overflow after ~2 days. */
    return c->start + dt / NS * c->rate + dt % NS * c->rate / NS;
}

int64_t reel_midi_clock_mono(const reel_midi_clock *c, uint64_t frame)
{
    if (frame <= c->start || c->rate == 0)
        return c->t0_ns;
    uint64_t n = frame - c->start;
    /* Round up: the first instant that reel_midi_clock_frame maps to `frame`. */
    return c->t0_ns + (int64_t)(n / c->rate * (uint64_t)NS +
                                (n % c->rate * (uint64_t)NS + c->rate - 1) / c->rate);
}

bool reel_midi_clock_place(const reel_midi_clock *c, int64_t mono_ns, uint64_t committed,
                           uint64_t last, uint64_t limit, uint64_t *frame)
{
    uint64_t f = reel_midi_clock_frame(c, mono_ns);
    if (f < committed)
        f = committed; /* late: its frame was already passed */
    if (f < last)
        f = last;
    if (f >= limit)
        return false;
    *frame = f;
    return true;
}

/* ---- decoding ------------------------------------------------------------ */

int reel_alsa_midi_dec_init(reel_alsa_midi_dec *d, reel_error *err)
{
    memset(d, 0, sizeof *d);
    int rc = snd_midi_event_new(SCRATCH, &d->coder);
    if (rc < 0) {
        d->coder = NULL;
        return reel_error_set(err, REEL_ENOMEM, "cannot create the MIDI event decoder: %s",
                              snd_strerror(rc));
    }
    /* Every message with its own status byte: records are self-contained. */
    snd_midi_event_no_status(d->coder, 1);
    d->scratch = malloc(SCRATCH);
    d->sysex = malloc(REEL_MIDI_MAX_EVENT);
    d->held = calloc(REEL_ALSA_MIDI_HOLD, sizeof *d->held);
    d->out = malloc(OUT_BYTES);
    d->outq = calloc(OUT_MSGS, sizeof *d->outq);
    if (!d->scratch || !d->sysex || !d->held || !d->out || !d->outq) {
        reel_alsa_midi_dec_free(d);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    return REEL_OK;
}

void reel_alsa_midi_dec_free(reel_alsa_midi_dec *d)
{
    if (d->coder)
        snd_midi_event_free(d->coder);
    free(d->scratch);
    free(d->sysex);
    free(d->held);
    free(d->out);
    free(d->outq);
    memset(d, 0, sizeof *d);
}

/* Queue a message to come out. The capacities above bound what one feed
 * can produce, so this never fails. */
static void emit(reel_alsa_midi_dec *d, int64_t mono, const uint8_t *p, size_t len)
{
    if (len == 0 || d->n_out >= OUT_MSGS || d->out_len + len > OUT_BYTES)
        return;
    memcpy(d->out + d->out_len, p, len);
    d->outq[d->n_out].mono_ns = mono;
    d->outq[d->n_out].off = d->out_len;
    d->outq[d->n_out].len = (uint32_t)len;
    d->n_out++;
    d->out_len += len;
}

/* The open sysex ends (complete or not): it comes out, then what was held. */
static void sysex_end(reel_alsa_midi_dec *d)
{
    if (!d->sysex_open)
        return;
    if (d->sysex_too_long)
        d->dropped_sysex++;
    else
        emit(d, d->sysex_mono, d->sysex, d->sysex_len);
    for (size_t i = 0; i < d->n_held; i++)
        emit(d, d->held[i].mono_ns, &d->held[i].byte, 1);
    d->n_held = 0;
    d->sysex_open = false;
    d->sysex_too_long = false;
    d->sysex_len = 0;
}

static void sysex_fragment(reel_alsa_midi_dec *d, const uint8_t *p, size_t len, int64_t mono)
{
    if (len == 0)
        return;
    if (p[0] == 0xf0) {
        sysex_end(d); /* a new sysex ends an unterminated one */
        d->sysex_open = true;
        d->sysex_mono = mono;
    } else if (!d->sysex_open) {
        d->dropped_sysex++; /* the rest of a sysex whose start we never saw */
        return;
    }
    d->sysex_last = mono;
    if (!d->sysex_too_long) {
        if (len > REEL_MIDI_MAX_EVENT - d->sysex_len) {
            d->sysex_too_long = true;
        } else {
            memcpy(d->sysex + d->sysex_len, p, len);
            d->sysex_len += len;
        }
    }
    if (p[len - 1] == 0xf7)
        sysex_end(d);
}

/* One decoded message (not sysex) at `mono`. */
static void message(reel_alsa_midi_dec *d, const uint8_t *p, size_t len, int64_t mono)
{
    if (len == 1 && p[0] >= 0xf8 && d->sysex_open) {
        if (d->n_held == REEL_ALSA_MIDI_HOLD)
            sysex_end(d); /* cannot hold more: the sysex ends here */
        else {
            d->held[d->n_held].mono_ns = mono;
            d->held[d->n_held].byte = p[0];
            d->n_held++;
            return;
        }
    }
    sysex_end(d); /* any other status byte ends a sysex, as on a MIDI wire */
    emit(d, mono, p, len);
}

void reel_alsa_midi_dec_feed(reel_alsa_midi_dec *d, const snd_seq_event_t *ev, int64_t mono_ns)
{
    d->n_out = d->next_out = 0;
    d->out_len = 0;
    if (ev->type == SND_SEQ_EVENT_SYSEX) {
        /* snd_midi_event_decode would only copy these bytes (and refuse a
         * fragment larger than its buffer): take them as they are. */
        if ((ev->flags & SND_SEQ_EVENT_LENGTH_MASK) == SND_SEQ_EVENT_LENGTH_VARIABLE &&
            ev->data.ext.ptr)
            sysex_fragment(d, ev->data.ext.ptr, ev->data.ext.len, mono_ns);
        return;
    }
    long n = snd_midi_event_decode(d->coder, d->scratch, SCRATCH, ev);
    if (n <= 0)
        return; /* not a MIDI event (-ENOENT), or nothing to say */
    /* Some events decode to several messages (14-bit controllers, RPN/NRPN):
     * each starts with its status byte (no running status). */
    size_t i = 0;
    while (i < (size_t)n) {
        size_t j = i + 1;
        while (j < (size_t)n && d->scratch[j] < 0x80)
            j++;
        if (d->scratch[i] >= 0x80)
            message(d, d->scratch + i, j - i, mono_ns);
        i = j;
    }
}

void reel_alsa_midi_dec_flush(reel_alsa_midi_dec *d)
{
    d->n_out = d->next_out = 0;
    d->out_len = 0;
    sysex_end(d);
}

bool reel_alsa_midi_dec_next(reel_alsa_midi_dec *d, reel_alsa_midi_msg *msg)
{
    if (d->next_out >= d->n_out)
        return false;
    msg->mono_ns = d->outq[d->next_out].mono_ns;
    msg->len = d->outq[d->next_out].len;
    msg->data = d->out + d->outq[d->next_out].off;
    d->next_out++;
    return true;
}

bool reel_alsa_midi_dec_open(const reel_alsa_midi_dec *d, int64_t *since_ns, int64_t *last_ns)
{
    if (!d->sysex_open)
        return false;
    if (since_ns)
        *since_ns = d->sysex_mono;
    if (last_ns)
        *last_ns = d->sysex_last;
    return true;
}

uint64_t reel_alsa_midi_commit_target(const reel_alsa_midi_dec *d, const reel_midi_clock *c,
                                      int64_t now_ns, uint64_t limit)
{
    uint64_t target = reel_midi_clock_frame(c, now_ns);
    int64_t since;
    if (reel_alsa_midi_dec_open(d, &since, NULL)) {
        uint64_t hold = reel_midi_clock_frame(c, since);
        if (hold < target)
            target = hold;
    }
    return target < limit ? target : limit;
}
