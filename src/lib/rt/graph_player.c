/*
 * graph_player.c — a transport playing a plan, one period at a time
 * (graph_player.h).
 */
#include "rt/graph_player.h"

#include "rt/plan_auto.h"

#include <string.h>

void reel_player_init(reel_player *p, uint32_t channels)
{
    memset(p, 0, sizeof *p);
    p->channels = channels;
    atomic_init(&p->next, NULL);
    atomic_init(&p->retired, NULL);
    atomic_init(&p->playing, false);
    atomic_init(&p->seek, -1);
    atomic_init(&p->loop_from, 0);
    atomic_init(&p->loop_to, 0);
    atomic_init(&p->pos_pub, 0);
    atomic_init(&p->started_dev, 0);
    atomic_init(&p->periods_played, 0);
    atomic_init(&p->periods_seen, 0);
    atomic_init(&p->start_pending, false);
    atomic_init(&p->device_skips, 0);
    atomic_init(&p->loop_wraps, 0);
    atomic_init(&p->stop_at, -1);
    atomic_init(&p->hist_n, 0);
}

int reel_player_swap(reel_player *p, reel_plan *plan, reel_error *err)
{
    reel_plan *expect = NULL;
    if (atomic_load_explicit(&p->retired, memory_order_acquire) != NULL ||
        !atomic_compare_exchange_strong_explicit(&p->next, &expect, plan, memory_order_acq_rel,
                                                 memory_order_acquire))
        return reel_error_set(err, REEL_EFULL, "a graph swap is still in flight");
    return REEL_OK;
}

reel_plan *reel_player_reap(reel_player *p)
{
    return atomic_exchange_explicit(&p->retired, NULL, memory_order_acq_rel);
}

void reel_player_play(reel_player *p, bool on)
{
    if (on)
        atomic_store_explicit(&p->start_pending, true, memory_order_relaxed);
    atomic_store_explicit(&p->playing, on, memory_order_release);
}

void reel_player_seek(reel_player *p, int64_t frame)
{
    atomic_store_explicit(&p->seek, frame < 0 ? 0 : frame, memory_order_release);
}

void reel_player_loop(reel_player *p, int64_t from, int64_t to)
{
    atomic_store_explicit(&p->loop_to, 0, memory_order_relaxed);
    atomic_store_explicit(&p->loop_from, from, memory_order_relaxed);
    atomic_store_explicit(&p->loop_to, to, memory_order_release);
}

void reel_player_stop_at(reel_player *p, int64_t frame)
{
    atomic_store_explicit(&p->stop_at, frame, memory_order_release);
}

int64_t reel_player_position(const reel_player *p)
{
    reel_player *q = (reel_player *)p;
    int64_t s = atomic_load_explicit(&q->seek, memory_order_acquire);
    return s >= 0 ? s : atomic_load_explicit(&q->pos_pub, memory_order_acquire);
}

/* Realtime: a new anchor. */
static void anchor_set(reel_player *p, uint64_t dev, int64_t pos)
{
    uint64_t h = atomic_load_explicit(&p->hist_n, memory_order_relaxed);
    p->hist[h % REEL_PLAYER_ANCHORS] = (reel_player_anchor){dev, pos};
    atomic_store_explicit(&p->hist_n, h + 1, memory_order_release);
}

/* Realtime: the transport stopped at device frame `dev`. */
static void stop_mark(reel_player *p, uint64_t dev)
{
    uint64_t h = atomic_load_explicit(&p->hist_n, memory_order_relaxed);
    p->hist[h % REEL_PLAYER_ANCHORS] = (reel_player_anchor){dev, -1};
    atomic_store_explicit(&p->hist_n, h + 1, memory_order_release);
}

int reel_player_pos_at_past(const reel_player *p, uint64_t dev, int64_t *pos, reel_error *err)
{
    reel_player *q = (reel_player *)p;
    uint64_t n = atomic_load_explicit(&q->hist_n, memory_order_acquire);
    uint64_t lo = n > REEL_PLAYER_ANCHORS / 2 ? n - REEL_PLAYER_ANCHORS / 2 : 0;
    for (uint64_t k = n; k-- > lo;) { /* the newest entry at or before dev */
        reel_player_anchor a = q->hist[k % REEL_PLAYER_ANCHORS];
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&q->hist_n, memory_order_acquire) - k > REEL_PLAYER_ANCHORS / 2)
            break; /* overwritten while read */
        if (a.dev > dev)
            continue;
        if (a.pos < 0)
            return reel_error_set(err, REEL_ESTATE, "the transport was stopped at device frame "
                                  "%llu", (unsigned long long)dev);
        *pos = a.pos + (int64_t)(dev - a.dev);
        return REEL_OK;
    }
    return reel_error_set(err, REEL_ESTATE, "the transport's history does not reach back to "
                          "device frame %llu", (unsigned long long)dev);
}

/* Realtime. */
void reel_player_period(reel_player *p, float *const *out, uint32_t n, uint64_t dev)
{
    atomic_fetch_add_explicit(&p->periods_seen, 1, memory_order_relaxed);
    reel_plan *next = atomic_load_explicit(&p->next, memory_order_acquire);
    if (next && atomic_load_explicit(&p->retired, memory_order_acquire) == NULL) {
        reel_plan *old = p->cur;
        p->cur = next;
        atomic_store_explicit(&p->next, NULL, memory_order_release);
        if (old)
            atomic_store_explicit(&p->retired, old, memory_order_release);
        if (reel_plan_auto(next)) /* its lanes pick up where the playhead is */
            reel_auto_locate(reel_plan_auto(next), next, p->pos);
    }
    bool playing = atomic_load_explicit(&p->playing, memory_order_acquire);
    if (playing && p->dev_valid && dev != p->expect_dev) {
        atomic_fetch_add_explicit(&p->device_skips, 1, memory_order_relaxed);
        if (dev > p->expect_dev && dev - p->expect_dev < (1u << 30))
            p->pos += (int64_t)(dev - p->expect_dev); /* follow the device clock: */
    }   /* the anchor still holds (position and device frame moved together) */
    p->expect_dev = dev + n;
    p->dev_valid = true;
    int64_t s = atomic_load_explicit(&p->seek, memory_order_acquire);
    if (s >= 0) {
        /* published before the seek is cleared, so a reader of the position
         * (reel_player_position) never sees the frame from before it */
        atomic_store_explicit(&p->pos_pub, s, memory_order_release);
        int64_t seen = s;
        atomic_compare_exchange_strong_explicit(&p->seek, &seen, -1, memory_order_acq_rel,
                                                memory_order_acquire); /* a newer one waits */
        p->pos = s;
        p->moved = true;
        if (p->cur) { /* delay lines and processors start empty, as a render from there */
            reel_plan_reset(p->cur);
            if (reel_plan_auto(p->cur))
                reel_auto_locate(reel_plan_auto(p->cur), p->cur, s);
        }
    }
    if (!playing || !p->cur) {
        if (p->was_playing)
            stop_mark(p, dev);
        p->was_playing = false;
        for (uint32_t ch = 0; ch < p->channels; ch++)
            memset(out[ch], 0, n * sizeof(float));
        atomic_store_explicit(&p->pos_pub, p->pos, memory_order_release);
        return;
    }
    if (atomic_exchange_explicit(&p->start_pending, false, memory_order_acq_rel)) {
        atomic_store_explicit(&p->started_dev, dev, memory_order_release);
        p->moved = true;
    }
    if (p->moved || !p->was_playing) {
        anchor_set(p, dev, p->pos);
        p->moved = false;
    }
    p->was_playing = true;
    reel_plan *plan = p->cur;
    uint32_t main = reel_plan_main(plan), block = reel_plan_block(plan);
    uint32_t pch = reel_plan_node_channels(plan, main);
    int64_t lf = atomic_load_explicit(&p->loop_from, memory_order_acquire);
    int64_t lt = atomic_load_explicit(&p->loop_to, memory_order_acquire);
    int64_t end = atomic_load_explicit(&p->stop_at, memory_order_acquire);
    for (uint32_t done = 0; done < n;) {
        if (end >= 0 && p->pos >= end) { /* the end asked for: silence, and stopped */
            for (uint32_t ch = 0; ch < p->channels; ch++)
                memset(out[ch] + done, 0, (n - done) * sizeof(float));
            atomic_store_explicit(&p->playing, false, memory_order_release);
            atomic_store_explicit(&p->stop_at, -1, memory_order_release);
            stop_mark(p, dev + done);
            p->was_playing = false;
            break;
        }
        uint32_t k = n - done < block ? n - done : block;
        if (lt > lf && p->pos < lt && p->pos + k > lt)
            k = (uint32_t)(lt - p->pos); /* stop the block at the loop's end */
        if (end >= 0 && p->pos + k > end)
            k = (uint32_t)(end - p->pos);
        reel_plan_play(plan, p->pos, k);
        for (uint32_t ch = 0; ch < p->channels; ch++) {
            if (ch < pch)
                memcpy(out[ch] + done, reel_plan_node_buf(plan, main, ch), k * sizeof(float));
            else
                memset(out[ch] + done, 0, k * sizeof(float));
        }
        done += k;
        p->pos += k;
        if (lt > lf && p->pos == lt) {
            p->pos = lf;
            anchor_set(p, dev + done, lf);
            atomic_fetch_add_explicit(&p->loop_wraps, 1, memory_order_relaxed);
            if (reel_plan_auto(plan)) /* the lanes as they are at the loop's start */
                reel_auto_locate(reel_plan_auto(plan), plan, lf);
        }
    }
    atomic_store_explicit(&p->pos_pub, p->pos, memory_order_release);
    atomic_fetch_add_explicit(&p->periods_played, 1, memory_order_relaxed);
}
