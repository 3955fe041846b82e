/*
 * test_osc_map.c — OSC messages to op calls, and packets to messages: each
 * address with every argument count it takes, wrong types and counts
 * (refused naming the argument), unknown addresses, play/stop without an
 * id, and bundles (nested, truncated, garbage). Messages are built and
 * serialised with liblo, then parsed back the way the server does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "surface/osc/osc_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Serialise m to path, deserialise it, map it. */
static int map(const char *path, lo_message m, const char *last, reel_osc_call *c, reel_error *e)
{
    size_t size = 0;
    void *data = lo_message_serialise(m, path, NULL, &size);
    lo_message_free(m);
    assert_non_null(data);
    int res = 0;
    lo_message back = lo_message_deserialise(data, size, &res);
    assert_non_null(back);
    assert_string_equal(lo_get_path(data, (ssize_t)size), path);
    int rc = reel_osc_map(path, lo_message_get_types(back), lo_message_get_argv(back),
                          lo_message_get_argc(back), last, c, e);
    lo_message_free(back);
    free(data);
    return rc;
}

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static void expect(const char *path, lo_message m, const char *op, const char *args)
{
    reel_osc_call c;
    reel_error e;
    reel_error_clear(&e);
    if (map(path, m, "sess-1", &c, &e) != 0)
        fail_msg("%s: %s", path, e.msg);
    assert_string_equal(c.op, op);
    char *got = dump(c.args);
    assert_string_equal(got, args);
    free(got);
    json_decref(c.args);
}

static void refuse(const char *path, lo_message m, const char *last, int code, const char *part)
{
    reel_osc_call c;
    reel_error e;
    reel_error_clear(&e);
    assert_int_equal(map(path, m, last, &c, &e), code);
    assert_null(c.args);
    if (!strstr(e.msg, part))
        fail_msg("%s: message '%s' lacks '%s'", path, e.msg, part);
}

static void test_routes(void **state)
{
    (void)state;
    lo_message m;
    expect("/record/start", lo_message_new(), "record_start", "{}");
    m = lo_message_new();
    lo_message_add_string(m, "my take.wav");
    expect("/record/start", m, "record_start", "{\"filename\":\"my take.wav\"}");
    m = lo_message_new();
    lo_message_add_symbol(m, "sym");
    expect("/record/start", m, "record_start", "{\"filename\":\"sym\"}");
    expect("/record/stop", lo_message_new(), "record_stop", "{}");
    expect("/record/status", lo_message_new(), "record_status", "{}");
    m = lo_message_new();
    lo_message_add_int32(m, 10);
    expect("/reel/grab", m, "grab", "{\"seconds\":10.0}");
    m = lo_message_new();
    lo_message_add_float(m, 2.5f);
    lo_message_add_string(m, "stream://tone/main");
    expect("/reel/grab", m, "grab", "{\"seconds\":2.5,\"stream\":\"stream://tone/main\"}");
    m = lo_message_new();
    lo_message_add_double(m, 0.25);
    expect("/reel/grab", m, "grab", "{\"seconds\":0.25}");
    m = lo_message_new();
    lo_message_add_int64(m, 3);
    expect("/reel/grab", m, "grab", "{\"seconds\":3.0}");
    expect("/reel/session/create", lo_message_new(), "session_create", "{}");
    m = lo_message_new();
    lo_message_add_string(m, "passive");
    expect("/reel/session/create", m, "session_create", "{\"mode\":\"passive\"}");
    expect("/reel/session/play", lo_message_new(), "session_play", "{\"id\":\"sess-1\"}");
    m = lo_message_new();
    lo_message_add_string(m, "sess-9");
    expect("/reel/session/stop", m, "session_stop", "{\"id\":\"sess-9\"}");
    m = lo_message_new();
    lo_message_add_string(m, "drop");
    expect("/reel/marker", m, "marker", "{\"name\":\"drop\"}");
}

static void test_refusals(void **state)
{
    (void)state;
    lo_message m = lo_message_new();
    lo_message_add_int32(m, 5);
    refuse("/record/start", m, NULL, REEL_EINVAL, "argument 1 (file name) must be a string");
    m = lo_message_new();
    lo_message_add_string(m, "a");
    lo_message_add_string(m, "b");
    refuse("/record/start", m, NULL, REEL_EINVAL, "at most 1 argument, got 2");
    m = lo_message_new();
    lo_message_add_int32(m, 1);
    refuse("/record/stop", m, NULL, REEL_EINVAL, "takes no arguments, got 1");
    m = lo_message_new();
    lo_message_add_string(m, "ten");
    refuse("/reel/grab", m, NULL, REEL_EINVAL, "argument 1 (seconds) must be a finite number");
    m = lo_message_new();
    lo_message_add_float(m, (float)NAN);
    refuse("/reel/grab", m, NULL, REEL_EINVAL, "non-finite");
    m = lo_message_new();
    lo_message_add_double(m, 1.0);
    lo_message_add_int32(m, 2);
    refuse("/reel/grab", m, NULL, REEL_EINVAL, "argument 2 (stream URI) must be a string");
    m = lo_message_new();
    lo_blob blob = lo_blob_new(3, "abc");
    lo_message_add_blob(m, blob); /* copied */
    lo_blob_free(blob);
    refuse("/reel/marker", m, NULL, REEL_EINVAL, "must be a string, got type 'b'");
    refuse("/reel/session/play", lo_message_new(), NULL, REEL_EINVAL, "needs a session id");
    refuse("/reel/session/stop", lo_message_new(), "", REEL_EINVAL, "needs a session id");
    refuse("/nope", lo_message_new(), NULL, REEL_ENOENT, "unknown OSC address '/nope'");
    refuse("/record", lo_message_new(), NULL, REEL_ENOENT, "unknown OSC address");
    refuse("/record/start/x", lo_message_new(), NULL, REEL_ENOENT, "unknown OSC address");
}

typedef struct seen {
    int n;
    size_t lens[8];
} seen;

static void count_msg(void *ud, void *msg, size_t len)
{
    seen *s = ud;
    assert_true(((char *)msg)[0] == '/');
    if (s->n < 8)
        s->lens[s->n] = len;
    s->n++;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_split(void **state)
{
    (void)state;
    reel_error e;
    seen s = {0};
    uint8_t msg[12] = "/a\0\0,\0\0\0";
    assert_int_equal(reel_osc_packet_split(msg, 8, count_msg, &s, &e), 0);
    assert_int_equal(s.n, 1);
    /* a bundle of two messages, one nested in an inner bundle */
    uint8_t b[128];
    memset(b, 0, sizeof b);
    memcpy(b, "#bundle", 8);
    size_t at = 16;
    put32(b + at, 8);
    memcpy(b + at + 4, msg, 8);
    at += 12;
    put32(b + at, 16 + 12);
    memcpy(b + at + 4, "#bundle", 8);
    put32(b + at + 4 + 16, 8);
    memcpy(b + at + 4 + 20, msg, 8);
    at += 4 + 28;
    s = (seen){0};
    assert_int_equal(reel_osc_packet_split(b, at, count_msg, &s, &e), 0);
    assert_int_equal(s.n, 2);
    /* an element longer than what is left */
    put32(b + 16, 200);
    s = (seen){0};
    assert_int_equal(reel_osc_packet_split(b, at, count_msg, &s, &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "element of 200 bytes"));
    assert_int_equal(s.n, 0);
    /* garbage, odd sizes, empty */
    assert_int_equal(reel_osc_packet_split((uint8_t *)"xxxx", 4, count_msg, &s, &e),
                     REEL_EINVAL);
    assert_int_equal(reel_osc_packet_split(msg, 7, count_msg, &s, &e), REEL_EINVAL);
    assert_int_equal(reel_osc_packet_split(msg, 0, count_msg, &s, &e), REEL_EINVAL);
    /* bundles nested too deep */
    uint8_t deep[16 * 8 + 8];
    memset(deep, 0, sizeof deep);
    size_t n = 0;
    for (int d = 0; d < 6; d++) {
        memcpy(deep + n, "#bundle", 8);
        put32(deep + n + 16, (uint32_t)(sizeof deep - n - 20));
        n += 20;
    }
    assert_int_equal(reel_osc_packet_split(deep, sizeof deep, count_msg, &s, &e), REEL_EINVAL);
}

/* Every parameter of the graph playing has an address; scenes too. */
static void test_params(void **state)
{
    (void)state;
    lo_message m = lo_message_new();
    lo_message_add_float(m, 0.5f);
    expect("/reel/param/bus/gain", m, "automation_schedule", "{\"target\":\"bus:gain\",\"value\":0.5}");
    m = lo_message_new();
    lo_message_add_int32(m, 3);
    lo_message_add_int32(m, 1);
    expect("/reel/param/amp/gain", m, "automation_schedule",
           "{\"target\":\"amp:gain\",\"touch\":true,\"value\":3.0}");
    m = lo_message_new();
    lo_message_add_double(m, 0.25);
    lo_message_add_int32(m, 0);
    expect("/reel/param/clip/c5-1234/gain", m, "automation_schedule",
           "{\"target\":\"clip:c5-1234:gain\",\"touch\":false,\"value\":0.25}");
    m = lo_message_new();
    lo_message_add_string(m, "prj-1");
    lo_message_add_string(m, "s3-1");
    lo_message_add_string(m, "morph");
    lo_message_add_float(m, 2.0f);
    expect("/reel/scene/recall", m, "scene_recall",
           "{\"mode\":\"morph\",\"project\":\"prj-1\",\"scene\":\"s3-1\",\"time\":2.0}");
    expect("/reel/scene/pop", lo_message_new(), "scene_pop", "{}");
    refuse("/reel/param/bus/gain", lo_message_new(), NULL, REEL_EINVAL, "takes a value");
    m = lo_message_new();
    lo_message_add_string(m, "loud");
    refuse("/reel/param/bus/gain", m, NULL, REEL_EINVAL, "argument 1 (value) must be a finite");
    m = lo_message_new();
    lo_message_add_float(m, 1);
    refuse("/reel/param/bus", m, NULL, REEL_ENOENT, "want /reel/param/<node>/<param>");
    m = lo_message_new();
    lo_message_add_float(m, 1);
    refuse("/reel/param/a/b/c", m, NULL, REEL_ENOENT, "want /reel/param/<node>/<param>");
    m = lo_message_new();
    lo_message_add_float(m, 1);
    refuse("/reel/param/clip/c1/pan", m, NULL, REEL_ENOENT, "clip/<id>/gain");
    m = lo_message_new(); /* fuzz_osc found it: a target that is not UTF-8 */
    lo_message_add_float(m, 1);
    refuse("/reel/param/ord/\xaetart", m, NULL, REEL_EINVAL, "is not UTF-8");
}

/* Addresses outside /reel/ and /record/ with a value are a controller's. */
static void test_controller(void **state)
{
    (void)state;
    lo_message m = lo_message_new();
    lo_message_add_float(m, 0.5f);
    expect("/1/fader3", m, "mapping_input", "{\"osc\":\"/1/fader3\",\"value\":0.5}");
    m = lo_message_new();
    lo_message_add_double(m, 0.25);
    lo_message_add_int32(m, 0);
    expect("/knob", m, "mapping_input", "{\"osc\":\"/knob\",\"touch\":false,\"value\":0.25}");
    m = lo_message_new();
    lo_message_add_string(m, "x");
    refuse("/knob", m, NULL, REEL_EINVAL, "argument 1 (value) must be a finite number");
    m = lo_message_new();
    lo_message_add_float(m, 1);
    lo_message_add_float(m, 1);
    lo_message_add_float(m, 1);
    refuse("/knob", m, NULL, REEL_EINVAL, "takes a value and an optional touch");
    m = lo_message_new(); /* under /reel/ an unknown address stays unknown */
    lo_message_add_float(m, 1);
    refuse("/reel/nope", m, NULL, REEL_ENOENT, "unknown OSC address '/reel/nope'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_controller),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
