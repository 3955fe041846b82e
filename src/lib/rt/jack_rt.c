/*
 * jack_rt.c — the per-period work of one realtime context (see jack_rt.h).
 * Must never: allocate, lock, log or make a system call outside
 * reel_jack_rt_init / reel_jack_rt_destroy.
 */
#include "rt/jack_rt.h"

#include "rt/rt_mem.h"

#include <string.h>

#define NS 1000000000LL
#define MAX_FILL_NS (3600LL * NS)      /* a hand-over never owes more than an hour */
#define MAX_SKIP_SECONDS 10            /* a longer jump of the frame time is a new clock */

int reel_jack_rt_init(reel_jack_rt *rt, const reel_jack_port_ops *ops, uint32_t rate,
                      reel_error *err)
{
    int rc = reel_ring_init(&rt->cmds, sizeof(reel_jack_rt_cmd), REEL_RT_CMD_QUEUE, err);
    if (rc)
        return rc;
    float *zero = reel_rt_alloc(REEL_JACK_ZERO_FRAMES * sizeof *zero, err);
    if (!zero) {
        reel_ring_destroy(&rt->cmds);
        return err ? err->code : REEL_ENOMEM;
    }
    rt->zero = zero;
    rt->ops = ops;
    rt->rate = rate;
    return REEL_OK;
}

void reel_jack_rt_destroy(reel_jack_rt *rt)
{
    reel_ring_destroy(&rt->cmds);
    reel_rt_free((void *)rt->zero, REEL_JACK_ZERO_FRAMES * sizeof *rt->zero);
    rt->zero = NULL;
}

bool reel_jack_rt_push(reel_jack_rt *rt, reel_jack_rt_cmd_type type, void *ptr, uint64_t *seq)
{
    reel_jack_rt_cmd c = {.type = type, .seq = rt->pushed + 1, .ptr = ptr};
    if (!reel_ring_push(&rt->cmds, &c))
        return false;
    rt->pushed = c.seq;
    *seq = c.seq;
    return true;
}

static void apply(reel_jack_rt *rt, const reel_jack_rt_cmd *c)
{
    switch (c->type) {
    case REEL_JACK_RT_ADD_STREAM:
        if (rt->n_streams < REEL_RT_STREAMS_MAX)
            rt->streams[rt->n_streams++] = c->ptr;
        break;
    case REEL_JACK_RT_REMOVE_STREAM:
        for (size_t i = 0; i < rt->n_streams; i++)
            if (rt->streams[i] == c->ptr) {
                rt->streams[i] = rt->streams[--rt->n_streams];
                break;
            }
        break;
    case REEL_JACK_RT_ADD_OUT:
        if (rt->n_outs < REEL_RT_OUTS_MAX)
            rt->outs[rt->n_outs++] = c->ptr;
        break;
    case REEL_JACK_RT_ADD_PLAYER:
        if (rt->n_players < REEL_RT_PLAYERS_MAX)
            rt->players[rt->n_players++] = c->ptr;
        break;
    case REEL_JACK_RT_REMOVE_PLAYER:
        for (size_t i = 0; i < rt->n_players; i++)
            if (rt->players[i] == c->ptr) {
                rt->players[i] = rt->players[--rt->n_players];
                break;
            }
        break;
    case REEL_JACK_RT_ADD_CTL:
        if (rt->n_ctls < REEL_RT_CTLS_MAX)
            rt->ctls[rt->n_ctls++] = c->ptr;
        break;
    case REEL_JACK_RT_REMOVE_CTL:
        for (size_t i = 0; i < rt->n_ctls; i++)
            if (rt->ctls[i] == c->ptr) {
                rt->ctls[i] = rt->ctls[--rt->n_ctls];
                break;
            }
        break;
    case REEL_JACK_RT_REMOVE_OUT:
        for (size_t i = 0; i < rt->n_outs; i++)
            if (rt->outs[i] == c->ptr) {
                rt->outs[i] = rt->outs[--rt->n_outs];
                break;
            }
        break;
    default: break;
    }
}

void reel_jack_rt_commands(reel_jack_rt *rt)
{
    reel_jack_rt_cmd c;
    uint64_t last = 0;
    for (int i = 0; i < REEL_RT_CMDS_PER_PERIOD && reel_ring_pop(&rt->cmds, &c); i++) {
        apply(rt, &c);
        last = c.seq;
    }
    if (last)
        atomic_store_explicit(&rt->applied, last, memory_order_release);
}

uint64_t reel_jack_rt_device_frame(reel_jack_rt *rt, uint32_t frame_time)
{
    if (!rt->dev_valid) {
        rt->dev = frame_time;
        rt->dev_valid = true;
    } else if (rt->dev_new_epoch) {
        rt->dev = (((rt->dev >> 32) + 1) << 32) | frame_time;
    } else {
        rt->dev += (uint32_t)(frame_time - (uint32_t)rt->dev);
    }
    rt->dev_new_epoch = false;
    return rt->dev;
}

void reel_jack_rt_forward(reel_jack_rt *rt)
{
    uint64_t x = atomic_load_explicit(&rt->xruns, memory_order_relaxed);
    uint64_t g = atomic_load_explicit(&rt->gaps, memory_order_relaxed);
    /* One call per stream and kind, however many came: a storm of xruns
     * must not cost a period its budget. */
    if (rt->xruns_fwd < x) {
        for (size_t i = 0; i < rt->n_streams; i++)
            reel_cw_note_xruns(rt->streams[i]->cw, x - rt->xruns_fwd);
        rt->xruns_fwd = x;
    }
    if (rt->gaps_fwd < g) {
        for (size_t i = 0; i < rt->n_streams; i++)
            reel_cw_note_gap(rt->streams[i]->cw);
        rt->gaps_fwd = g;
    }
}

void reel_jack_rt_silence(reel_jack_rt *rt, uint64_t n, int64_t mono_ns, int64_t wall_ns,
                          uint64_t device_frame)
{
    for (size_t i = 0; i < rt->n_streams; i++) {
        reel_jack_rt_stream *s = rt->streams[i];
        reel_cw_set_clock(s->cw, mono_ns, wall_ns, device_frame);
        for (uint64_t left = n; left > 0;) {
            size_t k = left > REEL_JACK_ZERO_FRAMES ? REEL_JACK_ZERO_FRAMES : (size_t)left;
            if (s->midi)
                reel_cw_advance(s->cw, k);
            else
                reel_cw_write_planar_f32(s->cw, s->zeros, k);
            left -= k;
        }
    }
}

void reel_jack_rt_drop_outs(reel_jack_rt *rt)
{
    for (size_t i = 0; i < rt->n_outs; i++)
        atomic_store_explicit(&rt->outs[i]->dead, true, memory_order_release);
    rt->n_outs = 0;
    for (size_t i = 0; i < rt->n_players; i++)
        atomic_store_explicit(&rt->players[i]->dead, true, memory_order_release);
    rt->n_players = 0;
    for (size_t i = 0; i < rt->n_ctls; i++)
        atomic_store_explicit(&rt->ctls[i]->dead, true, memory_order_release);
    rt->n_ctls = 0;
}

/* Realtime: one controller pair's period (jack_rt.h, reel_jack_rt_ctl). */
static void ctl_period(reel_jack_rt *rt, reel_jack_rt_ctl *c, uint32_t nframes, uint64_t dev)
{
    const reel_jack_port_ops *ops = rt->ops;
    void *buf = ops->buffer(c->in_port, nframes);
    uint32_t count = buf ? ops->midi_count(buf) : 0;
    for (uint32_t e = 0; e < count; e++) {
        reel_jack_midi_ev ev;
        if (!ops->midi_get(buf, e, &ev) || ev.size == 0 || ev.size > 3)
            continue;
        reel_jack_ctl_msg m = {.dev = dev + (ev.time < nframes ? ev.time : 0),
                               .len = (uint8_t)ev.size};
        memcpy(m.data, ev.data, ev.size);
        if (reel_ring_push(&c->in, &m))
            atomic_fetch_add_explicit(&c->in_count, 1, memory_order_relaxed);
        else
            atomic_fetch_add_explicit(&c->in_dropped, 1, memory_order_relaxed);
    }
    void *ob = ops->buffer(c->out_port, nframes);
    if (!ob)
        return;
    ops->midi_clear(ob);
    reel_jack_ctl_msg m;
    for (int k = 0; k < REEL_RT_CTL_OUT_PER_PERIOD && reel_ring_pop(&c->out, &m); k++)
        if (m.len >= 1 && m.len <= 3 && ops->midi_write(ob, 0, m.data, m.len))
            atomic_fetch_add_explicit(&c->out_count, 1, memory_order_relaxed);
}

/* Every stream owes `n` frames of silence before this period. */
static void owe_all(reel_jack_rt *rt, uint64_t n)
{
    for (size_t i = 0; i < rt->n_streams; i++)
        reel_cw_owe_silence(rt->streams[i]->cw, n);
}

typedef struct out_ctx {
    const reel_jack_port_ops *ops;
    void *buf;
} out_ctx;

static bool out_write(void *ud, uint32_t offset, const uint8_t *data, uint32_t len)
{
    out_ctx *o = ud;
    return o->ops->midi_write(o->buf, offset, data, len);
}

void reel_jack_process_period(reel_jack_rt *rt, uint32_t nframes, uint32_t frame_time,
                              int64_t now_mono, int64_t now_wall)
{
    const reel_jack_port_ops *ops = rt->ops;
    int64_t back = rt->rate ? (int64_t)nframes * NS / rt->rate : 0;
    int64_t mono = now_mono - back, wall = now_wall - back;
    bool fresh = !rt->dev_valid || rt->dev_new_epoch;
    uint64_t dev = reel_jack_rt_device_frame(rt, frame_time);
    reel_jack_rt_forward(rt);
    /* Owed silence goes to the streams that were there when it was owed:
     * before this period's commands. */
    if (!fresh && dev > rt->expect_dev &&
        dev - rt->expect_dev <= (uint64_t)rt->rate * MAX_SKIP_SECONDS) {
        uint64_t miss = dev - rt->expect_dev;
        owe_all(rt, miss);
        atomic_fetch_add_explicit(&rt->dropped_frames, miss, memory_order_relaxed);
    }
    rt->expect_dev = dev + nframes;
    if (rt->fill_pending) {
        rt->fill_pending = false;
        int64_t dt = mono - rt->fill_from_mono;
        if (dt > MAX_FILL_NS)
            dt = MAX_FILL_NS;
        if (dt > 0) {
            uint64_t miss = (uint64_t)((dt * (int64_t)rt->rate + NS / 2) / NS);
            if (miss > 0) {
                owe_all(rt, miss);
                atomic_fetch_add_explicit(&rt->fill_frames, miss, memory_order_relaxed);
            }
        }
    }
    reel_jack_rt_commands(rt);
    for (size_t i = 0; i < rt->n_streams; i++) {
        reel_jack_rt_stream *s = rt->streams[i];
        reel_cw_set_clock(s->cw, mono, wall, dev);
        if (!s->midi) {
            for (uint32_t c = 0; c < s->channels; c++) {
                const float *b = ops->buffer(s->ports[c], nframes);
                s->bufs[c] = b ? b : rt->zero;
            }
            reel_cw_write_planar_f32(s->cw, s->bufs, nframes);
            continue;
        }
        void *buf = ops->buffer(s->ports[0], nframes);
        uint32_t count = buf ? ops->midi_count(buf) : 0;
        for (uint32_t e = 0; e < count; e++) {
            reel_jack_midi_ev ev;
            if (!ops->midi_get(buf, e, &ev) || ev.size == 0 || ev.size > REEL_MIDI_MAX_EVENT)
                continue;
            uint32_t off = ev.time < nframes ? ev.time : (nframes ? nframes - 1 : 0);
            reel_cw_write_midi(s->cw, off, ev.data, (uint32_t)ev.size);
        }
        reel_cw_advance(s->cw, nframes);
    }
    for (size_t i = 0; i < rt->n_outs; i++) {
        reel_jack_rt_out *o = rt->outs[i];
        void *buf = ops->buffer(o->port, nframes);
        if (!buf)
            continue;
        ops->midi_clear(buf); /* an output buffer holds last period's events otherwise */
        if (atomic_load_explicit(&o->armed, memory_order_acquire)) {
            out_ctx oc = {ops, buf};
            reel_midi_sched_cycle(o->sched, frame_time, nframes, out_write, &oc);
        }
    }
    for (size_t i = 0; i < rt->n_ctls; i++)
        ctl_period(rt, rt->ctls[i], nframes, dev);
    for (size_t i = 0; i < rt->n_players; i++) {
        reel_jack_rt_player *pl = rt->players[i];
        bool ok = true;
        for (uint32_t c = 0; c < pl->channels; c++)
            ok &= (pl->bufs[c] = ops->buffer(pl->ports[c], nframes)) != NULL;
        if (ok)
            reel_player_period(pl->player, pl->bufs, nframes, dev);
    }
    atomic_store_explicit(&rt->end_mono, mono + back, memory_order_relaxed);
    atomic_store_explicit(&rt->end_wall, wall + back, memory_order_relaxed);
    atomic_fetch_add_explicit(&rt->periods, 1, memory_order_relaxed);
}
