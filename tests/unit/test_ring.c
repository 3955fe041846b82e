/*
 * test_ring.c — the SPSC ring: FIFO order, full and empty, capacity
 * rounding, wrap-around, and a two-thread stress test in which every one of
 * ten million sequence numbers must arrive once and in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt/ring.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

typedef struct elem {
    uint64_t seq;
    uint32_t check; /* derived from seq: catches torn copies */
    uint8_t pad[20];
} elem;

static elem make_elem(uint64_t seq)
{
    elem e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.check = (uint32_t)(seq * 2654435761u) ^ 0xa5a5a5a5u;
    for (size_t i = 0; i < sizeof e.pad; i++)
        e.pad[i] = (uint8_t)(seq + i);
    return e;
}

static void assert_elem(const elem *e, uint64_t seq)
{
    elem want = make_elem(seq);
    assert_true(e->seq == seq);
    assert_memory_equal(e, &want, sizeof want);
}

static void test_push_pop_order(void **state)
{
    (void)state;
    reel_ring r;
    reel_error err = {0};
    assert_int_equal(reel_ring_init(&r, sizeof(elem), 8, &err), REEL_OK);
    assert_int_equal(reel_ring_capacity(&r), 8);
    elem e;
    assert_false(reel_ring_pop(&r, &e));
    for (uint64_t i = 0; i < 5; i++) {
        e = make_elem(i);
        assert_true(reel_ring_push(&r, &e));
    }
    assert_int_equal(reel_ring_count(&r), 5);
    for (uint64_t i = 0; i < 5; i++) {
        assert_true(reel_ring_pop(&r, &e));
        assert_elem(&e, i);
    }
    assert_int_equal(reel_ring_count(&r), 0);
    assert_false(reel_ring_pop(&r, &e));
    reel_ring_destroy(&r);
    assert_null(r.buf);
}

static void test_full_and_empty(void **state)
{
    (void)state;
    reel_ring r;
    assert_int_equal(reel_ring_init(&r, sizeof(uint32_t), 4, NULL), REEL_OK);
    uint32_t v;
    for (uint32_t i = 0; i < 4; i++)
        assert_true(reel_ring_push(&r, &i));
    assert_int_equal(reel_ring_count(&r), 4);
    v = 99;
    assert_false(reel_ring_push(&r, &v)); /* full: nothing overwritten */
    assert_true(reel_ring_pop(&r, &v));
    assert_int_equal(v, 0);
    v = 4;
    assert_true(reel_ring_push(&r, &v)); /* one slot freed, one taken */
    v = 5;
    assert_false(reel_ring_push(&r, &v));
    for (uint32_t i = 1; i <= 4; i++) {
        assert_true(reel_ring_pop(&r, &v));
        assert_int_equal(v, i);
    }
    assert_false(reel_ring_pop(&r, &v));
    reel_ring_destroy(&r);
}

static void test_capacity_rounding(void **state)
{
    (void)state;
    const size_t asks[][2] = {{0, 2}, {1, 2}, {2, 2}, {3, 4}, {5, 8}, {1000, 1024}, {1024, 1024}};
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        reel_ring r;
        assert_int_equal(reel_ring_init(&r, 1, asks[i][0], NULL), REEL_OK);
        assert_int_equal(reel_ring_capacity(&r), asks[i][1]);
        /* Exactly `capacity` elements fit. */
        uint8_t b = 0;
        for (size_t k = 0; k < asks[i][1]; k++)
            assert_true(reel_ring_push(&r, &b));
        assert_false(reel_ring_push(&r, &b));
        reel_ring_destroy(&r);
    }
    reel_ring r;
    reel_error err = {0};
    assert_int_equal(reel_ring_init(&r, 0, 8, &err), REEL_EINVAL);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_int_equal(reel_ring_init(&r, 1, ((size_t)1 << 30) + 1, &err), REEL_EINVAL);
}

static void test_wrap_around(void **state)
{
    (void)state;
    reel_ring r;
    assert_int_equal(reel_ring_init(&r, sizeof(elem), 16, NULL), REEL_OK);
    /* Varying fill levels so head and tail pass the end of the buffer at
     * every offset, thousands of times. */
    uint64_t next_in = 0, next_out = 0;
    elem e;
    for (int round = 0; round < 20000; round++) {
        int push = 1 + round % 16, pop = 1 + (round * 7) % 16;
        for (int i = 0; i < push; i++) {
            e = make_elem(next_in);
            if (!reel_ring_push(&r, &e)) {
                assert_int_equal(reel_ring_count(&r), 16);
                break;
            }
            next_in++;
        }
        for (int i = 0; i < pop; i++) {
            if (!reel_ring_pop(&r, &e)) {
                assert_int_equal(reel_ring_count(&r), 0);
                break;
            }
            assert_elem(&e, next_out);
            next_out++;
        }
        assert_true(next_in - next_out == reel_ring_count(&r));
    }
    while (reel_ring_pop(&r, &e))
        assert_elem(&e, next_out++);
    assert_true(next_in == next_out);
    assert_true(next_in > 100000);
    reel_ring_destroy(&r);
}

/* ---- two threads --------------------------------------------------------- */

#define STRESS_N 10000000ull

static void *producer(void *arg)
{
    reel_ring *r = arg;
    for (uint64_t i = 0; i < STRESS_N; i++) {
        uint64_t v[2] = {i, ~i};
        while (!reel_ring_push(r, v))
            sched_yield();
    }
    return NULL;
}

static void test_two_thread_stress(void **state)
{
    (void)state;
    reel_ring r;
    assert_int_equal(reel_ring_init(&r, 2 * sizeof(uint64_t), 1024, NULL), REEL_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &r), 0);
    uint64_t expect = 0, bad = 0;
    while (expect < STRESS_N) {
        uint64_t v[2];
        if (!reel_ring_pop(&r, v)) {
            sched_yield();
            continue;
        }
        /* Count rather than assert here: cmocka's longjmp must not leave
         * the producer spinning on a ring nobody drains. */
        if (v[0] != expect || v[1] != ~expect)
            bad++;
        expect++;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    uint64_t v[2];
    assert_false(reel_ring_pop(&r, v));
    assert_int_equal(bad, 0);
    reel_ring_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pop_order),
        cmocka_unit_test(test_full_and_empty),
        cmocka_unit_test(test_capacity_rounding),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_two_thread_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
