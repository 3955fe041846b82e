/*
 * test_midi_record.c — the MIDI chunk record format.
 *
 * Owns: checks of the byte layout, round trips, and that decode rejects
 * every truncated or damaged record without reading past `avail`. Must
 * never: depend on host byte order (expected bytes are spelled out).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt/midi_record.h"

#include <stdlib.h>
#include <string.h>

static void test_layout_is_little_endian(void **state)
{
    (void)state;
    const uint8_t note_on[3] = {0x90, 60, 100};
    reel_midi_event ev = {.frame = 0x0102030405060708ull, .wall_ns = -2, .len = 3,
                          .data = note_on};
    uint8_t buf[64];
    assert_int_equal(reel_midi_record_encode(buf, sizeof buf, &ev), 23);
    const uint8_t want[23] = {
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* frame */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* wall_ns = -2 */
        0x03, 0x00, 0x00, 0x00,                         /* length */
        0x90, 60,   100,
    };
    assert_memory_equal(buf, want, sizeof want);
}

static void round_trip(uint64_t frame, int64_t wall, uint32_t len)
{
    uint8_t *data = malloc(len);
    size_t size = reel_midi_record_size(len);
    uint8_t *buf = malloc(size);
    assert_non_null(data);
    assert_non_null(buf);
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    reel_midi_event ev = {.frame = frame, .wall_ns = wall, .len = len, .data = data};

    assert_int_equal(reel_midi_record_encode(buf, size, &ev), size);

    reel_midi_event got;
    size_t used = 0;
    assert_int_equal(reel_midi_record_decode(buf, size, &got, &used), REEL_OK);
    assert_int_equal(used, size);
    assert_true(got.frame == frame);
    assert_true(got.wall_ns == wall);
    assert_int_equal(got.len, len);
    assert_ptr_equal(got.data, buf + REEL_MIDI_RECORD_HEADER);
    assert_memory_equal(got.data, data, len);
    free(buf);
    free(data);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(0, 0, 1);
    round_trip(480000, 1763632800250000000ll, 3);
    round_trip(UINT64_MAX, INT64_MIN, 2);
    round_trip(1, INT64_MAX, 127);
    round_trip(12345, -1, REEL_MIDI_MAX_EVENT);
}

static void test_encode_sizes_and_limits(void **state)
{
    (void)state;
    uint8_t data[4] = {0xf0, 0x7e, 0x7f, 0xf7};
    uint8_t buf[64];
    reel_midi_event ev = {.frame = 1, .wall_ns = 2, .len = 4, .data = data};

    assert_int_equal(reel_midi_record_size(4), 24);
    /* Exactly enough room works; one byte less writes nothing. */
    assert_int_equal(reel_midi_record_encode(buf, 24, &ev), 24);
    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(reel_midi_record_encode(buf, 23, &ev), 0);
    assert_int_equal(reel_midi_record_encode(buf, 0, &ev), 0);
    assert_int_equal(buf[0], 0xaa);

    ev.len = 0;
    assert_int_equal(reel_midi_record_encode(buf, sizeof buf, &ev), 0);
    ev.len = REEL_MIDI_MAX_EVENT + 1;
    assert_int_equal(reel_midi_record_encode(buf, SIZE_MAX, &ev), 0);
    ev.len = 4;
    ev.data = NULL;
    assert_int_equal(reel_midi_record_encode(buf, sizeof buf, &ev), 0);
    ev.data = data;
    assert_int_equal(reel_midi_record_encode(NULL, sizeof buf, &ev), 0);
    assert_int_equal(reel_midi_record_encode(buf, sizeof buf, NULL), 0);
}

static void test_decode_truncated(void **state)
{
    (void)state;
    uint8_t data[5] = {0xf0, 1, 2, 3, 0xf7};
    reel_midi_event ev = {.frame = 9, .wall_ns = 10, .len = 5, .data = data};
    uint8_t buf[25];
    assert_int_equal(reel_midi_record_encode(buf, sizeof buf, &ev), 25);

    /* Every proper prefix is an incomplete tail. Each is copied into an
     * exact-size heap block so ASan catches a read past `avail`. */
    for (size_t n = 0; n < sizeof buf; n++) {
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, buf, n);
        reel_midi_event got;
        size_t used = 99;
        assert_int_equal(reel_midi_record_decode(p, n, &got, &used), REEL_EINVAL);
        assert_int_equal(used, 0);
        free(p);
    }
    reel_midi_event got;
    size_t used;
    assert_int_equal(reel_midi_record_decode(NULL, 0, &got, &used), REEL_EINVAL);
    assert_int_equal(reel_midi_record_decode(buf, sizeof buf, NULL, &used), REEL_EINVAL);
    assert_int_equal(reel_midi_record_decode(buf, sizeof buf, &got, NULL), REEL_EINVAL);
}

static void set_len(uint8_t *rec, uint32_t len)
{
    rec[16] = (uint8_t)len;
    rec[17] = (uint8_t)(len >> 8);
    rec[18] = (uint8_t)(len >> 16);
    rec[19] = (uint8_t)(len >> 24);
}

static void test_decode_bad_length(void **state)
{
    (void)state;
    uint8_t rec[REEL_MIDI_RECORD_HEADER + 8] = {0};
    reel_midi_event got;
    size_t used = 99;

    set_len(rec, 0);
    assert_int_equal(reel_midi_record_decode(rec, sizeof rec, &got, &used), REEL_ECORRUPT);
    assert_int_equal(used, 0);
    /* A bad length is damage even when the record also looks short. */
    set_len(rec, REEL_MIDI_MAX_EVENT + 1);
    assert_int_equal(reel_midi_record_decode(rec, sizeof rec, &got, &used), REEL_ECORRUPT);
    set_len(rec, UINT32_MAX);
    assert_int_equal(reel_midi_record_decode(rec, sizeof rec, &got, &used), REEL_ECORRUPT);
    /* A valid length that runs past the end is an incomplete tail. */
    set_len(rec, 9);
    assert_int_equal(reel_midi_record_decode(rec, sizeof rec, &got, &used), REEL_EINVAL);
    set_len(rec, 8);
    assert_int_equal(reel_midi_record_decode(rec, sizeof rec, &got, &used), REEL_OK);
    assert_int_equal(used, sizeof rec);
}

/* A chunk is records back to back; walking it must visit each in order and
 * stop cleanly at a partial tail. */
static void test_walk_chunk(void **state)
{
    (void)state;
    uint8_t chunk[256] = {0};
    size_t off = 0;
    for (uint32_t i = 0; i < 6; i++) {
        uint8_t msg[3] = {(uint8_t)(0x90 | i), (uint8_t)(60 + i), (uint8_t)(i ? 100 : 0)};
        reel_midi_event ev = {.frame = 100u * i, .wall_ns = 1000 * (int64_t)i,
                              .len = 1 + i % 3, .data = msg};
        size_t n = reel_midi_record_encode(chunk + off, sizeof chunk - off, &ev);
        assert_int_equal(n, reel_midi_record_size(ev.len));
        off += n;
    }
    size_t full = off;
    off += 7; /* garbage tail: a record the writer had not finished */

    size_t pos = 0;
    uint32_t seen = 0;
    reel_midi_event ev;
    size_t used;
    int rc;
    while ((rc = reel_midi_record_decode(chunk + pos, off - pos, &ev, &used)) == REEL_OK) {
        assert_true(ev.frame == 100u * seen);
        assert_int_equal(ev.len, 1 + seen % 3);
        assert_int_equal(ev.data[0], 0x90 | seen);
        pos += used;
        seen++;
    }
    assert_int_equal(rc, REEL_EINVAL);
    assert_int_equal(seen, 6);
    assert_int_equal(pos, full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_little_endian),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode_sizes_and_limits),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_bad_length),
        cmocka_unit_test(test_walk_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
