/*
 * test_midi_sched.c — the realtime MIDI scheduler, cycle by cycle without a
 * server: every event lands in the cycle that holds its frame at the right
 * offset; late events go out at offset 0 and are counted, and counted as
 * skipped only when their frame fell in a span with no cycle; a refused write is
 * counted as dropped; the 32-bit frame clock wraps; a ring smaller than the
 * schedule is refilled between cycles; and a feeder thread racing the
 * "realtime" thread delivers every event once, in order, on its frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt/midi_sched.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define PERIOD 256

typedef struct written {
    uint32_t cycle_start, offset, len;
    uint8_t b0;
} written;

typedef struct sink {
    written w[4096];
    size_t n;
    uint32_t cycle_start;
    size_t capacity; /* writes accepted per cycle */
    size_t in_cycle;
} sink;

static bool sink_write(void *ud, uint32_t offset, const uint8_t *data, uint32_t len)
{
    sink *s = ud;
    if (s->in_cycle >= s->capacity || s->n >= 4096)
        return false;
    s->in_cycle++;
    s->w[s->n++] = (written){s->cycle_start, offset, len, data[0]};
    return true;
}

static void run_cycle(reel_midi_sched *m, sink *s, uint32_t start)
{
    s->cycle_start = start;
    s->in_cycle = 0;
    reel_midi_sched_cycle(m, start, PERIOD, sink_write, s);
}

static uint8_t msgs[256][3];

static void make_events(reel_midi_sched_ev *ev, size_t n, uint32_t base, uint32_t step)
{
    for (size_t i = 0; i < n; i++) {
        msgs[i % 256][0] = (uint8_t)(0x90 | (i & 0x0f));
        msgs[i % 256][1] = 60;
        msgs[i % 256][2] = 100;
        ev[i] = (reel_midi_sched_ev){.at = base + (uint32_t)(i * step), .index = (uint32_t)i,
                                     .len = 3, .data = msgs[i % 256]};
    }
}

static void test_offsets(void **state)
{
    (void)state;
    reel_midi_sched m;
    reel_error err = {0};
    assert_int_equal(reel_midi_sched_init(&m, 5, 16, &err), REEL_OK);
    reel_midi_sched_ev ev[5];
    uint32_t at[] = {1000, 1000, 1255, 1256, 2000};
    for (int i = 0; i < 5; i++)
        ev[i] = (reel_midi_sched_ev){.at = at[i], .index = (uint32_t)i, .len = 3,
                                     .data = msgs[i]};
    assert_int_equal(reel_midi_sched_feed(&m, ev), 0);
    static sink s;
    memset(&s, 0, sizeof s);
    s.capacity = 100;
    run_cycle(&m, &s, 744); /* [744, 1000): nothing due */
    assert_int_equal(s.n, 0);
    assert_int_equal(reel_midi_sched_done(&m), 0);
    run_cycle(&m, &s, 1000); /* [1000, 1256) */
    assert_int_equal(s.n, 3);
    assert_int_equal(s.w[0].offset, 0);
    assert_int_equal(s.w[1].offset, 0);
    assert_int_equal(s.w[2].offset, 255);
    assert_int_equal(reel_midi_sched_done(&m), 3);
    run_cycle(&m, &s, 1256);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.w[3].offset, 0);
    for (uint32_t c = 1512; c < 2000 - PERIOD; c += PERIOD)
        run_cycle(&m, &s, c);
    assert_int_equal(s.n, 4);
    run_cycle(&m, &s, 1768); /* [1768, 2024) holds 2000 */
    assert_int_equal(s.n, 5);
    assert_int_equal(s.w[4].offset, 232);
    assert_int_equal(reel_midi_sched_done(&m), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(m.state[i], REEL_MIDI_SENT);
        assert_int_equal(m.sent_at[i], at[i]);
    }
    assert_int_equal(atomic_load(&m.late), 0);
    assert_int_equal(atomic_load(&m.dropped), 0);
    reel_midi_sched_destroy(&m);
}

static void test_late_and_dropped(void **state)
{
    (void)state;
    reel_midi_sched m;
    assert_int_equal(reel_midi_sched_init(&m, 4, 8, NULL), REEL_OK);
    reel_midi_sched_ev ev[4];
    make_events(ev, 4, 100, 10); /* 100, 110, 120, 130 */
    reel_midi_sched_feed(&m, ev);
    static sink s;
    memset(&s, 0, sizeof s);
    s.capacity = 2; /* the buffer takes two events per cycle */
    run_cycle(&m, &s, 512); /* every event is late: the cycle that held them was missed */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.w[0].offset, 0);
    assert_int_equal(m.state[0], REEL_MIDI_SENT);
    assert_int_equal(m.sent_at[0], 512);
    assert_int_equal(m.state[2], REEL_MIDI_DROPPED);
    assert_int_equal(m.state[3], REEL_MIDI_DROPPED);
    assert_int_equal(atomic_load(&m.late), 2);
    /* No earlier cycle of this schedule: nothing shows that JACK skipped one. */
    assert_int_equal(atomic_load(&m.late_skipped), 0);
    assert_int_equal(atomic_load(&m.dropped), 2);
    assert_int_equal(reel_midi_sched_done(&m), 4);
    reel_midi_sched_destroy(&m);
}

/* Late because JACK gave no cycle for the event's frame (an xrun) versus
 * late although its cycle ran (the event reached the ring too late). */
static void test_late_skipped(void **state)
{
    (void)state;
    static sink s;
    memset(&s, 0, sizeof s);
    s.capacity = 100;
    reel_midi_sched m;
    assert_int_equal(reel_midi_sched_init(&m, 3, 8, NULL), REEL_OK);
    reel_midi_sched_ev ev[3];
    make_events(ev, 3, 300, 300); /* 300, 600, 900 */
    ev[2].at = 650;
    reel_midi_sched_feed(&m, ev);
    run_cycle(&m, &s, 0);
    run_cycle(&m, &s, 256); /* [256, 512) holds 300, on time */
    run_cycle(&m, &s, 768); /* [512, 768) was skipped: 600 and 650 go late */
    assert_int_equal(s.n, 3);
    assert_int_equal(s.w[0].offset, 44);
    assert_int_equal(m.sent_at[1], 768);
    assert_int_equal(m.sent_at[2], 768);
    assert_int_equal(atomic_load(&m.late), 2);
    assert_int_equal(atomic_load(&m.late_skipped), 2);
    run_cycle(&m, &s, 1024); /* a skipped span with no event in it counts nothing */
    assert_int_equal(atomic_load(&m.late_skipped), 2);
    reel_midi_sched_destroy(&m);

    memset(&s, 0, sizeof s);
    s.capacity = 100;
    assert_int_equal(reel_midi_sched_init(&m, 2, 8, NULL), REEL_OK);
    make_events(ev, 2, 100, 500); /* 100, 600 */
    run_cycle(&m, &s, 0);         /* [0, 256) runs with an empty ring */
    reel_midi_sched_feed(&m, ev); /* the feeder comes after 100's cycle */
    run_cycle(&m, &s, 512); /* [256, 512) skipped, but 100 was due before it; 600 on time */
    assert_int_equal(s.n, 2);
    assert_int_equal(m.sent_at[0], 512);
    assert_int_equal(m.sent_at[1], 600);
    assert_int_equal(atomic_load(&m.late), 1);
    assert_int_equal(atomic_load(&m.late_skipped), 0);
    reel_midi_sched_destroy(&m);
}

static void test_wrap(void **state)
{
    (void)state;
    reel_midi_sched m;
    assert_int_equal(reel_midi_sched_init(&m, 3, 8, NULL), REEL_OK);
    reel_midi_sched_ev ev[3];
    make_events(ev, 3, UINT32_MAX - 99, 100); /* -99 .. +100 around the wrap */
    reel_midi_sched_feed(&m, ev);
    static sink s;
    memset(&s, 0, sizeof s);
    s.capacity = 10;
    uint32_t c = UINT32_MAX - 511;
    run_cycle(&m, &s, c);
    assert_int_equal(s.n, 0);
    c += PERIOD;
    run_cycle(&m, &s, c); /* [2^32-256, 2^32) holds the first */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.w[0].offset, 256 - 100);
    c += PERIOD; /* wraps to 0 */
    assert_int_equal(c, 0);
    run_cycle(&m, &s, c);
    assert_int_equal(s.n, 3);
    assert_int_equal(m.sent_at[1], 0);
    assert_int_equal(m.sent_at[2], 100);
    assert_int_equal(s.w[2].offset, 100);
    reel_midi_sched_destroy(&m);
}

static void test_small_ring(void **state)
{
    (void)state;
    enum { N = 200 };
    reel_midi_sched m;
    assert_int_equal(reel_midi_sched_init(&m, N, 4, NULL), REEL_OK);
    static reel_midi_sched_ev ev[N];
    make_events(ev, N, 5000, 100); /* under 3 per cycle: the ring of 4 keeps up */
    assert_int_equal(reel_midi_sched_feed(&m, ev), N - 4);
    static sink s;
    memset(&s, 0, sizeof s);
    s.capacity = 1000;
    for (uint32_t c = 4864; reel_midi_sched_done(&m) < N; c += PERIOD) {
        reel_midi_sched_feed(&m, ev); /* between cycles, as the feeder does */
        run_cycle(&m, &s, c);
        assert_true(c < 5000 + 100 * N + PERIOD);
    }
    assert_int_equal(s.n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(m.sent_at[i], ev[i].at);
        assert_int_equal(s.w[i].cycle_start + s.w[i].offset, ev[i].at);
    }
    assert_int_equal(atomic_load(&m.late), 0);
    reel_midi_sched_destroy(&m);
}

typedef struct race {
    reel_midi_sched *m;
    reel_midi_sched_ev *ev;
    _Atomic bool stop;
    _Atomic size_t fed; /* the feeder's count, published: m->fed is feeder-owned */
} race;

static void *feeder(void *arg)
{
    race *r = arg;
    for (;;) {
        size_t left = reel_midi_sched_feed(r->m, r->ev);
        atomic_store(&r->fed, r->m->n_events - left);
        if (left == 0 || atomic_load(&r->stop))
            break;
        sched_yield();
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { N = 100000 };
    reel_midi_sched m;
    assert_int_equal(reel_midi_sched_init(&m, N, 64, NULL), REEL_OK);
    reel_midi_sched_ev *ev = calloc(N, sizeof *ev);
    assert_non_null(ev);
    make_events(ev, N, 0, 8); /* 32 events per cycle through a ring of 64 */
    race r = {.m = &m, .ev = ev};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feeder, &r), 0);
    sink *s = calloc(1, sizeof *s);
    s->capacity = 1000;
    uint32_t c = 0;
    size_t checked = 0;
    /* A cycle only advances once its events are all in the ring (a real
     * feeder runs far ahead of the clock). */
    while (reel_midi_sched_done(&m) < N) {
        size_t want = (size_t)((c + PERIOD + 7) / 8);
        if (want > N)
            want = N;
        while (atomic_load(&r.fed) < want)
            sched_yield();
        s->n = 0;
        run_cycle(&m, s, c);
        for (size_t i = 0; i < s->n; i++, checked++) {
            assert_int_equal(s->w[i].cycle_start + s->w[i].offset, ev[checked].at);
            assert_int_equal(s->w[i].b0, ev[checked].data[0]);
        }
        c += PERIOD;
    }
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    assert_int_equal(checked, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(m.sent_at[i], ev[i].at);
    assert_int_equal(atomic_load(&m.late), 0);
    free(s);
    free(ev);
    reel_midi_sched_destroy(&m);
}

static void test_bad_init(void **state)
{
    (void)state;
    reel_midi_sched m;
    reel_error err = {0};
    assert_int_equal(reel_midi_sched_init(&m, 0, 8, &err), REEL_EINVAL);
    reel_midi_sched_destroy(&m); /* safe on a failed init */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets),    cmocka_unit_test(test_late_and_dropped),
        cmocka_unit_test(test_wrap),       cmocka_unit_test(test_small_ring),
        cmocka_unit_test(test_threads),    cmocka_unit_test(test_bad_init),
        cmocka_unit_test(test_late_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
