/*
 * test_session.c — unit tests for session.c and session_db.c: the state
 * machine (segments cut by play, stop completing), the illegal transitions
 * (REEL_ESTATE with a message naming them), the JSON document round trip,
 * session time specs, and the sessions table.
 *
 * Owns: those examples. Must never: read a clock (marks are made up here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/session/session.h"
#include "model/session/session_db.h"
#include "test_util.h"

#include <string.h>

#define A "stream://tone/main"
#define B "stream://jack/midi"

/* A mark at `t` seconds: A at 48 kHz, B's frames and ticks made up. */
static reel_session_mark mark(int t)
{
    reel_session_mark m;
    memset(&m, 0, sizeof m);
    m.wall_ns = 1700000000000000000LL + (int64_t)t * 1000000000LL;
    m.mono_ns = 5000000000LL + (int64_t)t * 1000000000LL;
    m.at[0] = (reel_session_point){.present = true, .frame = 48000u * (unsigned)t,
                                   .device_frame = 7 + 48000u * (unsigned)t,
                                   .has_device_frame = true};
    m.at[1] = (reel_session_point){.present = true, .frame = 1000u * (unsigned)t,
                                   .midi_ticks = 24u * (unsigned)t, .has_midi_ticks = true};
    return m;
}

static void make(reel_session *s)
{
    reel_error err = {0};
    reel_session_init(s, "ses-0123456789ab", REEL_SESSION_PASSIVE, 42);
    assert_int_equal(reel_session_add_stream(s, A, &err), 0);
    assert_int_equal(reel_session_add_stream(s, B, &err), 0);
}

static void test_segments(void **state)
{
    (void)state;
    reel_session s;
    reel_error err = {0};
    make(&s);
    assert_int_equal(s.state, REEL_SESSION_CREATED);
    reel_session_mark m1 = mark(1), m2 = mark(2), m3 = mark(3);
    assert_int_equal(reel_session_play(&s, &m1, &err), 0);
    assert_int_equal(s.state, REEL_SESSION_PLAYING);
    assert_int_equal(s.n_segs, 1);
    assert_false(s.segs[0].ended);
    /* play while playing: the take is cut in two, no gap between */
    assert_int_equal(reel_session_play(&s, &m2, &err), 0);
    assert_int_equal(s.n_segs, 2);
    assert_true(s.segs[0].ended);
    assert_int_equal(s.segs[0].end.at[0].frame, 96000);
    assert_int_equal(s.segs[1].start.at[0].frame, 96000);
    assert_false(s.segs[1].ended);
    assert_int_equal(reel_session_stop(&s, &m3, &err), 0);
    assert_int_equal(s.state, REEL_SESSION_COMPLETE);
    assert_true(s.segs[1].ended);
    assert_int_equal(s.segs[1].end.at[1].frame, 3000);
    reel_session_free(&s);
}

static void test_illegal(void **state)
{
    (void)state;
    reel_session s;
    reel_error err = {0};
    make(&s);
    reel_session_mark m = mark(1);
    assert_int_equal(reel_session_stop(&s, &m, &err), REEL_ESTATE);
    assert_non_null(strstr(err.msg, "not playing"));
    assert_non_null(strstr(err.msg, "ses-0123456789ab"));
    assert_int_equal(s.state, REEL_SESSION_CREATED);
    assert_int_equal(reel_session_play(&s, &m, &err), 0);
    /* streams are fixed once it played */
    assert_int_equal(reel_session_add_stream(&s, "stream://x/y", &err), REEL_ESTATE);
    assert_int_equal(reel_session_stop(&s, &m, &err), 0);
    assert_int_equal(reel_session_stop(&s, &m, &err), REEL_ESTATE);
    assert_non_null(strstr(err.msg, "complete already"));
    assert_int_equal(reel_session_play(&s, &m, &err), REEL_ESTATE);
    assert_non_null(strstr(err.msg, "complete"));
    assert_int_equal(s.n_segs, 1); /* a refused play adds nothing */
    reel_session_free(&s);

    make(&s);
    assert_int_equal(reel_session_add_stream(&s, A, &err), REEL_EINVAL); /* twice */
    assert_int_equal(reel_session_add_stream(&s, "tone/main", &err), REEL_EINVAL);
    for (int i = 2; i < REEL_SESSION_STREAMS_MAX; i++) {
        char u[64];
        snprintf(u, sizeof u, "stream://t/%d", i);
        assert_int_equal(reel_session_add_stream(&s, u, &err), 0);
    }
    assert_int_equal(reel_session_add_stream(&s, "stream://t/over", &err), REEL_EFULL);
    reel_session_free(&s);

    reel_session_mode md;
    assert_int_equal(reel_session_mode_parse("request-response", &md, &err), 0);
    assert_int_equal(md, REEL_SESSION_REQUEST_RESPONSE);
    assert_int_equal(reel_session_mode_parse("loud", &md, &err), REEL_EINVAL);
}

static void test_json_roundtrip(void **state)
{
    (void)state;
    reel_session s, t;
    reel_error err = {0};
    make(&s);
    s.started[1] = true;
    reel_session_mark m1 = mark(1), m2 = mark(2);
    m1.at[1].present = false; /* B could not start: null in the document */
    assert_int_equal(reel_session_play(&s, &m1, &err), 0);
    s.segs[0].chunks[0] = (reel_session_chunks){3, -1};
    json_t *doc = reel_session_to_json(&s);
    assert_non_null(doc);
    json_t *seg = json_array_get(json_object_get(doc, "segments"), 0);
    assert_string_equal(json_string_value(json_object_get(seg, "id")), "1");
    assert_true(json_is_null(json_object_get(seg, "end")));
    json_t *pa = json_object_get(json_object_get(json_object_get(seg, "start"), "streams"), A);
    assert_int_equal(json_integer_value(json_object_get(pa, "frame")), 48000);
    assert_int_equal(json_integer_value(json_object_get(pa, "device_frame")), 48007);
    assert_true(json_is_null(json_object_get(pa, "midi_ticks")));
    assert_true(json_is_null(
        json_object_get(json_object_get(json_object_get(seg, "start"), "streams"), B)));
    assert_true(json_is_null(json_object_get(doc, "artifact")));
    assert_int_equal(reel_session_from_json(doc, &t, &err), 0);
    json_decref(doc);
    assert_string_equal(t.id, s.id);
    assert_int_equal(t.state, REEL_SESSION_PLAYING);
    assert_int_equal(t.n_segs, 1);
    assert_false(t.segs[0].start.at[1].present);
    assert_false(t.started[0]);
    assert_true(t.started[1]);
    assert_int_equal(t.segs[0].chunks[0].first, 3);
    assert_int_equal(t.segs[0].chunks[0].last, -1);
    /* the parsed session goes on like the original */
    assert_int_equal(reel_session_stop(&t, &m2, &err), 0);
    snprintf(t.artifact, sizeof t.artifact, "art-0011223344556677");
    doc = reel_session_to_json(&t);
    reel_session u;
    assert_int_equal(reel_session_from_json(doc, &u, &err), 0);
    json_t *again = reel_session_to_json(&u);
    assert_true(json_equal(doc, again));
    assert_int_equal(u.segs[0].end.at[1].midi_ticks, 48);
    assert_true(u.segs[0].end.at[1].has_midi_ticks);
    json_decref(doc);
    json_decref(again);
    reel_session_free(&s);
    reel_session_free(&t);
    reel_session_free(&u);

    /* a damaged document is refused, never half-read */
    doc = json_loads("{\"id\":\"ses-1\",\"mode\":\"passive\",\"state\":\"nope\",\"streams\":[],"
                     "\"segments\":[]}", 0, NULL);
    assert_int_equal(reel_session_from_json(doc, &u, &err), REEL_ECORRUPT);
    reel_session_free(&u);
    json_decref(doc);
    doc = json_loads("{\"id\":\"ses-1\",\"mode\":\"passive\",\"state\":\"playing\",\"streams\":"
                     "[\"" A "\"],\"segments\":[{\"start\":{\"wall_ns\":1,\"mono_ns\":1,"
                     "\"streams\":{\"" A "\":{\"frame\":-5}}},\"end\":null}]}", 0, NULL);
    assert_int_equal(reel_session_from_json(doc, &u, &err), REEL_ECORRUPT);
    reel_session_free(&u);
    json_decref(doc);
}

static reel_timespec ts(const char *spec)
{
    reel_timespec t;
    reel_error err = {0};
    assert_int_equal(reel_timespec_parse(spec, &t, &err), 0);
    return t;
}

static void test_bounds(void **state)
{
    (void)state;
    reel_session s;
    reel_error err = {0};
    const reel_session_mark *m;
    make(&s);
    reel_timespec t = ts("session:ses-0123456789ab:start");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), REEL_ESTATE);
    assert_non_null(strstr(err.msg, "never played"));
    reel_session_mark m1 = mark(1), m2 = mark(2), m3 = mark(3);
    reel_session_play(&s, &m1, &err);
    reel_session_play(&s, &m2, &err);
    t = ts("session:ses-0123456789ab/2:end");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), REEL_ESTATE);
    assert_non_null(strstr(err.msg, "still playing"));
    t = ts("session:ses-0123456789ab/1:end");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), 0);
    assert_int_equal(m->at[0].frame, 96000);
    reel_session_stop(&s, &m3, &err);
    t = ts("session:ses-0123456789ab:start");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), 0);
    assert_int_equal(m->at[0].frame, 48000);
    t = ts("session:ses-0123456789ab:end");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), 0);
    assert_int_equal(m->at[0].frame, 144000);
    t = ts("session:ses-0123456789ab/2:start");
    assert_int_equal(reel_session_bound(&s, &t, &m, &err), 0);
    assert_int_equal(m->wall_ns, m2.wall_ns);
    const char *bad[] = {"session:ses-0123456789ab/3:start", "session:ses-0123456789ab/0:start",
                         "session:ses-0123456789ab/01:start", "session:ses-0123456789ab/x:end"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reel_timespec b;
        if (reel_timespec_parse(bad[i], &b, &err))
            continue; /* refused by the parser already */
        assert_int_equal(reel_session_bound(&s, &b, &m, &err), REEL_ENOENT);
        assert_non_null(strstr(err.msg, "no segment"));
    }
    assert_int_equal(reel_session_stream_index(&s, B), 1);
    assert_int_equal(reel_session_stream_index(&s, "stream://x/y"), -1);
    reel_session_free(&s);
}

static int list_ids(const reel_session *x, void *ud)
{
    return json_array_append_new(ud, json_string(x->id));
}

static void test_db(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/reel.db", dir);
    reel_db *db;
    reel_error err = {0};
    assert_int_equal(reel_db_open(&db, path, &err), 0);
    reel_session s, t;
    assert_int_equal(reel_session_load(db, "ses-none", &t, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "ses-none"));
    reel_session_free(&t);
    make(&s);
    assert_int_equal(reel_session_save(db, &s, &err), 0);
    reel_session_mark m1 = mark(1);
    reel_session_play(&s, &m1, &err);
    assert_int_equal(reel_session_save(db, &s, &err), 0); /* replaced, not added */
    reel_session other;
    reel_session_init(&other, "ses-ffffffffffff", REEL_SESSION_REQUEST_RESPONSE, 99);
    assert_int_equal(reel_session_add_stream(&other, A, &err), 0);
    assert_int_equal(reel_session_save(db, &other, &err), 0);
    assert_int_equal(reel_session_load(db, s.id, &t, &err), 0);
    assert_int_equal(t.state, REEL_SESSION_PLAYING);
    assert_int_equal(t.n_segs, 1);
    reel_session_free(&t);
    reel_db_close(db);
    /* a reopened database keeps both, newest first */
    assert_int_equal(reel_db_open(&db, path, &err), 0);
    json_t *ids = json_array();
    assert_int_equal(reel_session_list(db, list_ids, ids, &err), 0);
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "ses-ffffffffffff");
    assert_string_equal(json_string_value(json_array_get(ids, 1)), "ses-0123456789ab");
    json_decref(ids);
    reel_db_close(db);
    reel_session_free(&s);
    reel_session_free(&other);
    char id[REEL_SESSION_ID_MAX], id2[REEL_SESSION_ID_MAX];
    assert_int_equal(reel_session_new_id(id, &err), 0);
    assert_int_equal(reel_session_new_id(id2, &err), 0);
    assert_int_equal(strlen(id), 16);
    assert_memory_equal(id, "ses-", 4);
    assert_string_not_equal(id, id2);
}

static int setup(void **state)
{
    return test_tmpdir_setup(state, "test_session");
}

static int teardown(void **state)
{
    return test_tmpdir_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_illegal),
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test_setup_teardown(test_db, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
