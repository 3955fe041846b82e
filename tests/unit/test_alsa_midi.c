/*
 * test_alsa_midi.c — the device-free half of the ALSA sequencer source:
 * sequencer events to MIDI bytes (alsa_midi.c) and times to frames.
 *
 * Owns: checks that every kind of event decodes to the bytes the MIDI spec
 * gives (spelled out here, not taken from alsa-lib), that sysex comes out
 * whole however it is cut, in time order with what was held meanwhile,
 * and that the frame clock maps times exactly over long spans. Must never:
 * open /dev/snd (events are built in memory with alsa-lib's macros).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/alsa_midi.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000LL

typedef struct got {
    int64_t mono;
    uint32_t len;
    uint8_t *bytes;
} got;

static int setup(void **state)
{
    reel_alsa_midi_dec *d = calloc(1, sizeof *d);
    reel_error err;
    if (!d || reel_alsa_midi_dec_init(d, &err))
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    reel_alsa_midi_dec_free(*state);
    free(*state);
    return 0;
}

/* Take every ready message (copied); returns how many. */
static size_t take(reel_alsa_midi_dec *d, got *out, size_t max)
{
    size_t n = 0;
    reel_alsa_midi_msg m;
    while (reel_alsa_midi_dec_next(d, &m)) {
        assert_true(n < max);
        out[n].mono = m.mono_ns;
        out[n].len = m.len;
        out[n].bytes = malloc(m.len);
        memcpy(out[n].bytes, m.data, m.len);
        n++;
    }
    return n;
}

static void drop(got *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].bytes);
}

static void expect_one(reel_alsa_midi_dec *d, int64_t mono, const uint8_t *want, uint32_t len)
{
    got g[4];
    size_t n = take(d, g, 4);
    assert_int_equal(n, 1);
    assert_int_equal(g[0].mono, mono);
    assert_int_equal(g[0].len, len);
    assert_memory_equal(g[0].bytes, want, len);
    drop(g, n);
}

static void feed_sysex(reel_alsa_midi_dec *d, const uint8_t *p, size_t len, int64_t mono)
{
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_sysex(&ev, (unsigned)len, (void *)p);
    reel_alsa_midi_dec_feed(d, &ev, mono);
}

static void feed_clock(reel_alsa_midi_dec *d, int64_t mono)
{
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    ev.type = SND_SEQ_EVENT_CLOCK;
    snd_seq_ev_set_fixed(&ev);
    reel_alsa_midi_dec_feed(d, &ev, mono);
}

static void feed_noteon(reel_alsa_midi_dec *d, int ch, int key, int vel, int64_t mono)
{
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_noteon(&ev, ch, key, vel);
    reel_alsa_midi_dec_feed(d, &ev, mono);
}

/* ---- event -> bytes ------------------------------------------------------ */

static void test_channel_messages(void **state)
{
    reel_alsa_midi_dec *d = *state;
    snd_seq_event_t ev;

    feed_noteon(d, 3, 60, 100, 5);
    expect_one(d, 5, (const uint8_t[]){0x93, 60, 100}, 3);

    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_noteoff(&ev, 0, 61, 64);
    reel_alsa_midi_dec_feed(d, &ev, 6);
    expect_one(d, 6, (const uint8_t[]){0x80, 61, 64}, 3);

    /* The same status twice: no running status, every message whole. */
    feed_noteon(d, 0, 62, 1, 7);
    expect_one(d, 7, (const uint8_t[]){0x90, 62, 1}, 3);
    feed_noteon(d, 0, 63, 2, 8);
    expect_one(d, 8, (const uint8_t[]){0x90, 63, 2}, 3);

    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_controller(&ev, 15, 7, 99);
    reel_alsa_midi_dec_feed(d, &ev, 9);
    expect_one(d, 9, (const uint8_t[]){0xbf, 7, 99}, 3);

    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_pgmchange(&ev, 1, 42);
    reel_alsa_midi_dec_feed(d, &ev, 10);
    expect_one(d, 10, (const uint8_t[]){0xc1, 42}, 2);

    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_pitchbend(&ev, 2, -8192); /* the lowest bend: 00 00 */
    reel_alsa_midi_dec_feed(d, &ev, 11);
    expect_one(d, 11, (const uint8_t[]){0xe2, 0x00, 0x00}, 3);
    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_pitchbend(&ev, 2, 0); /* centre: 00 40 */
    reel_alsa_midi_dec_feed(d, &ev, 12);
    expect_one(d, 12, (const uint8_t[]){0xe2, 0x00, 0x40}, 3);

    snd_seq_ev_clear(&ev);
    snd_seq_ev_set_chanpress(&ev, 4, 77);
    reel_alsa_midi_dec_feed(d, &ev, 13);
    expect_one(d, 13, (const uint8_t[]){0xd4, 77}, 2);
}

static void test_system_messages(void **state)
{
    reel_alsa_midi_dec *d = *state;
    snd_seq_event_t ev;
    feed_clock(d, 1);
    expect_one(d, 1, (const uint8_t[]){0xf8}, 1);

    snd_seq_ev_clear(&ev);
    ev.type = SND_SEQ_EVENT_SONGPOS;
    snd_seq_ev_set_fixed(&ev);
    ev.data.control.value = 0x1234 & 0x3fff;
    reel_alsa_midi_dec_feed(d, &ev, 2);
    expect_one(d, 2, (const uint8_t[]){0xf2, 0x1234 & 0x7f, (0x1234 >> 7) & 0x7f}, 3);

    snd_seq_ev_clear(&ev);
    ev.type = SND_SEQ_EVENT_START;
    snd_seq_ev_set_fixed(&ev);
    reel_alsa_midi_dec_feed(d, &ev, 3);
    expect_one(d, 3, (const uint8_t[]){0xfa}, 1);
}

/* A 14-bit controller decodes to two control changes: two messages. */
static void test_control14_splits(void **state)
{
    reel_alsa_midi_dec *d = *state;
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    ev.type = SND_SEQ_EVENT_CONTROL14;
    snd_seq_ev_set_fixed(&ev);
    ev.data.control.channel = 5;
    ev.data.control.param = 7;
    ev.data.control.value = (100 << 7) | 3;
    reel_alsa_midi_dec_feed(d, &ev, 20);
    got g[4];
    size_t n = take(d, g, 4);
    assert_int_equal(n, 2);
    assert_int_equal(g[0].len, 3);
    assert_int_equal(g[1].len, 3);
    assert_memory_equal(g[0].bytes, ((const uint8_t[]){0xb5, 7, 100}), 3);
    assert_memory_equal(g[1].bytes, ((const uint8_t[]){0xb5, 7 + 32, 3}), 3);
    assert_int_equal(g[0].mono, 20);
    assert_int_equal(g[1].mono, 20);
    drop(g, n);
}

/* Announcements and other non-MIDI events produce nothing. */
static void test_non_midi_ignored(void **state)
{
    reel_alsa_midi_dec *d = *state;
    snd_seq_event_t ev;
    snd_seq_ev_clear(&ev);
    ev.type = SND_SEQ_EVENT_PORT_SUBSCRIBED;
    snd_seq_ev_set_fixed(&ev);
    reel_alsa_midi_dec_feed(d, &ev, 1);
    reel_alsa_midi_msg m;
    assert_false(reel_alsa_midi_dec_next(d, &m));
    assert_false(reel_alsa_midi_dec_open(d, NULL, NULL));
}

/* ---- sysex ------------------------------------------------------------------ */

static uint8_t *make_sysex(size_t len)
{
    uint8_t *p = malloc(len);
    p[0] = 0xf0;
    for (size_t i = 1; i + 1 < len; i++)
        p[i] = (uint8_t)(i * 7 % 128);
    p[len - 1] = 0xf7;
    return p;
}

static void test_sysex_whole_event(void **state)
{
    reel_alsa_midi_dec *d = *state;
    const uint8_t s[6] = {0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7};
    feed_sysex(d, s, sizeof s, 100);
    expect_one(d, 100, s, sizeof s);
    assert_false(reel_alsa_midi_dec_open(d, NULL, NULL));
    assert_int_equal(d->dropped_sysex, 0);
}

/* Cut in fragments (as rawmidi ports deliver it), with clocks in between:
 * one message at the first fragment's time, the clocks after it. */
static void test_sysex_fragments_and_held_realtime(void **state)
{
    reel_alsa_midi_dec *d = *state;
    const size_t len = 60000; /* far beyond any one fragment */
    uint8_t *s = make_sysex(len);
    int64_t t = 1000;
    size_t at = 0, k = 0;
    while (at < len) {
        size_t frag = len - at < 256 ? len - at : 256;
        feed_sysex(d, s + at, frag, t);
        at += frag;
        if (at < len) {
            reel_alsa_midi_msg m;
            assert_false(reel_alsa_midi_dec_next(d, &m)); /* nothing before it ends */
            int64_t since, last;
            assert_true(reel_alsa_midi_dec_open(d, &since, &last));
            assert_int_equal(since, 1000);
            assert_int_equal(last, t);
            if (k++ % 50 == 0)
                feed_clock(d, t + 1); /* held */
            assert_false(reel_alsa_midi_dec_next(d, &m));
        }
        t += 10;
    }
    got g[16];
    size_t n = take(d, g, 16);
    size_t clocks = (k + 49) / 50;
    assert_int_equal(n, 1 + clocks);
    assert_int_equal(g[0].len, len);
    assert_int_equal(g[0].mono, 1000);
    assert_memory_equal(g[0].bytes, s, len);
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(g[i].len, 1);
        assert_int_equal(g[i].bytes[0], 0xf8);
        assert_true(g[i].mono > g[i - 1].mono); /* time order */
    }
    assert_false(reel_alsa_midi_dec_open(d, NULL, NULL));
    drop(g, n);
    free(s);
}

/* The largest record there is, in one event and in pieces. */
static void test_sysex_at_record_limit(void **state)
{
    reel_alsa_midi_dec *d = *state;
    uint8_t *s = make_sysex(REEL_MIDI_MAX_EVENT);
    feed_sysex(d, s, REEL_MIDI_MAX_EVENT, 1);
    expect_one(d, 1, s, REEL_MIDI_MAX_EVENT);
    feed_sysex(d, s, 1000, 2);
    feed_sysex(d, s + 1000, REEL_MIDI_MAX_EVENT - 1000, 3);
    expect_one(d, 2, s, REEL_MIDI_MAX_EVENT);
    assert_int_equal(d->dropped_sysex, 0);
    free(s);
}

/* One byte too long for a record: dropped whole (never cut), counted, and
 * what was held comes out; the decoder goes on. */
static void test_sysex_too_long_dropped_whole(void **state)
{
    reel_alsa_midi_dec *d = *state;
    size_t len = (size_t)REEL_MIDI_MAX_EVENT + 1;
    uint8_t *s = make_sysex(len);
    feed_sysex(d, s, 40000, 1);
    feed_clock(d, 2);
    feed_sysex(d, s + 40000, len - 40000, 3);
    expect_one(d, 2, (const uint8_t[]){0xf8}, 1);
    assert_int_equal(d->dropped_sysex, 1);
    feed_sysex(d, s, len, 4); /* in one event, too */
    reel_alsa_midi_msg m;
    assert_false(reel_alsa_midi_dec_next(d, &m));
    assert_int_equal(d->dropped_sysex, 2);
    feed_noteon(d, 0, 60, 1, 5);
    expect_one(d, 5, (const uint8_t[]){0x90, 60, 1}, 3);
    free(s);
}

/* A status byte other than realtime ends an open sysex as it is (MIDI 1.0),
 * then comes out itself. */
static void test_sysex_ended_by_status(void **state)
{
    reel_alsa_midi_dec *d = *state;
    const uint8_t part[3] = {0xf0, 0x43, 0x10};
    feed_sysex(d, part, sizeof part, 10);
    feed_clock(d, 11);
    feed_noteon(d, 0, 64, 90, 12);
    got g[4];
    size_t n = take(d, g, 4);
    assert_int_equal(n, 3);
    assert_int_equal(g[0].len, 3);
    assert_memory_equal(g[0].bytes, part, 3);
    assert_int_equal(g[0].mono, 10);
    assert_int_equal(g[1].bytes[0], 0xf8);
    assert_int_equal(g[1].mono, 11);
    assert_memory_equal(g[2].bytes, ((const uint8_t[]){0x90, 64, 90}), 3);
    assert_int_equal(g[2].mono, 12);
    drop(g, n);

    /* A new F0 ends the open one, too. */
    const uint8_t whole[4] = {0xf0, 0x01, 0x02, 0xf7};
    feed_sysex(d, part, sizeof part, 20);
    feed_sysex(d, whole, sizeof whole, 21);
    n = take(d, g, 4);
    assert_int_equal(n, 2);
    assert_memory_equal(g[0].bytes, part, 3);
    assert_memory_equal(g[1].bytes, whole, 4);
    assert_int_equal(g[1].mono, 21);
    drop(g, n);
}

static void test_sysex_orphan_and_flush(void **state)
{
    reel_alsa_midi_dec *d = *state;
    const uint8_t tail[3] = {0x01, 0x02, 0xf7};
    feed_sysex(d, tail, sizeof tail, 1); /* its start was never seen */
    reel_alsa_midi_msg m;
    assert_false(reel_alsa_midi_dec_next(d, &m));
    assert_int_equal(d->dropped_sysex, 1);

    const uint8_t part[2] = {0xf0, 0x7d};
    feed_sysex(d, part, sizeof part, 5);
    feed_clock(d, 6);
    assert_false(reel_alsa_midi_dec_next(d, &m));
    reel_alsa_midi_dec_flush(d);
    got g[4];
    size_t n = take(d, g, 4);
    assert_int_equal(n, 2);
    assert_memory_equal(g[0].bytes, part, 2);
    assert_int_equal(g[0].mono, 5);
    assert_int_equal(g[1].mono, 6);
    assert_false(reel_alsa_midi_dec_open(d, NULL, NULL));
    drop(g, n);
}

/* More realtime than can be held: the sysex ends there, nothing is lost. */
static void test_hold_overflow(void **state)
{
    reel_alsa_midi_dec *d = *state;
    const uint8_t part[2] = {0xf0, 0x10};
    feed_sysex(d, part, sizeof part, 0);
    for (int i = 0; i < REEL_ALSA_MIDI_HOLD; i++)
        feed_clock(d, 1 + i);
    reel_alsa_midi_msg m;
    assert_false(reel_alsa_midi_dec_next(d, &m));
    feed_clock(d, 1 + REEL_ALSA_MIDI_HOLD);
    size_t n = 0;
    int64_t prev = -1;
    while (reel_alsa_midi_dec_next(d, &m)) {
        assert_true(m.mono_ns > prev);
        prev = m.mono_ns;
        n++;
    }
    assert_int_equal(n, 1 + REEL_ALSA_MIDI_HOLD + 1);
    assert_false(reel_alsa_midi_dec_open(d, NULL, NULL));
}

/* ---- time -> frames --------------------------------------------------------- */

static void test_clock_frames(void **state)
{
    (void)state;
    reel_midi_clock c = {.t0_ns = 5000 * MS, .start = 1000, .rate = 48000};
    assert_int_equal(reel_midi_clock_frame(&c, 0), 1000);       /* before t0 */
    assert_int_equal(reel_midi_clock_frame(&c, 5000 * MS), 1000);
    assert_int_equal(reel_midi_clock_frame(&c, 5000 * MS + 20833), 1000); /* < 1 frame */
    assert_int_equal(reel_midi_clock_frame(&c, 5000 * MS + 20834), 1001);
    assert_int_equal(reel_midi_clock_frame(&c, 6000 * MS), 1000 + 48000);
    assert_int_equal(reel_midi_clock_frame(&c, 5000 * MS + 500 * MS), 1000 + 24000);
    /* A week at 192 kHz: dt * rate would overflow 64 bits; exact here. */
    reel_midi_clock w = {.t0_ns = 0, .start = 0, .rate = 192000};
    int64_t week = 7LL * 86400 * 1000 * MS;
    assert_int_equal(reel_midi_clock_frame(&w, week + 999999999), 7ULL * 86400 * 192000 + 191999);
    unsigned __int128 ref = (unsigned __int128)(uint64_t)(week + 123456789) * 192000 / 1000000000;
    assert_int_equal(reel_midi_clock_frame(&w, week + 123456789), (uint64_t)ref);
    /* mono(frame) is the first instant that maps to frame. */
    reel_midi_clock r = {.t0_ns = 777, .start = 10, .rate = 44100};
    for (uint64_t f = 10; f < 10 + 200000; f += 997) {
        int64_t t = reel_midi_clock_mono(&r, f);
        assert_int_equal(reel_midi_clock_frame(&r, t), f);
        if (f > 10)
            assert_int_equal(reel_midi_clock_frame(&r, t - 1), f - 1);
    }
    assert_int_equal(reel_midi_clock_mono(&r, 3), 777);
}

static void test_place_and_commit(void **state)
{
    reel_alsa_midi_dec *d = *state;
    reel_midi_clock c = {.t0_ns = 0, .start = 0, .rate = 1000}; /* 1 frame per ms */
    uint64_t f;
    assert_true(reel_midi_clock_place(&c, 50 * MS, 10, 0, 1000, &f));
    assert_int_equal(f, 50);
    /* late: its frame was committed already */
    assert_true(reel_midi_clock_place(&c, 5 * MS, 10, 0, 1000, &f));
    assert_int_equal(f, 10);
    /* never before the previous record */
    assert_true(reel_midi_clock_place(&c, 20 * MS, 10, 30, 1000, &f));
    assert_int_equal(f, 30);
    /* at or past the end of the recording */
    assert_false(reel_midi_clock_place(&c, 1000 * MS, 10, 0, 1000, &f));
    assert_true(reel_midi_clock_place(&c, 999 * MS, 10, 0, 1000, &f));

    assert_int_equal(reel_alsa_midi_commit_target(d, &c, 300 * MS, 1000), 300);
    assert_int_equal(reel_alsa_midi_commit_target(d, &c, 3000 * MS, 1000), 1000);
    /* an open sysex holds the clock at its first fragment */
    const uint8_t part[2] = {0xf0, 0x01};
    feed_sysex(d, part, sizeof part, 120 * MS);
    assert_int_equal(reel_alsa_midi_commit_target(d, &c, 300 * MS, 1000), 120);
    const uint8_t end[1] = {0xf7};
    feed_sysex(d, end, 1, 250 * MS);
    expect_one(d, 120 * MS, (const uint8_t[]){0xf0, 0x01, 0xf7}, 3);
    assert_int_equal(reel_alsa_midi_commit_target(d, &c, 300 * MS, 1000), 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_channel_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control14_splits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_midi_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_whole_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_fragments_and_held_realtime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_at_record_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_too_long_dropped_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_ended_by_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysex_orphan_and_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_overflow, setup, teardown),
        cmocka_unit_test(test_clock_frames),
        cmocka_unit_test_setup_teardown(test_place_and_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
