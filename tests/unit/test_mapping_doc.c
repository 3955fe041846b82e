/*
 * test_mapping_doc.c — controller mapping documents (model/mapping): every
 * field refused when wrong (one error naming it), MIDI messages decoded
 * (CC, note on/off, program, bend, NRPN in its four-CC form), matching by
 * channel and number, the transform at values worked out by hand from the
 * header's formulas, the inverse used for feedback, and feedback bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/mapping/mapping_doc.h"

#include <math.h>
#include <string.h>

static int parse(const char *text, reel_mapping *m, reel_error *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    int rc = reel_mapping_parse(j, m, e);
    json_decref(j);
    return rc;
}

static void refused(const char *text, int code, const char *part)
{
    reel_mapping m;
    reel_error e = {0};
    int rc = parse(text, &m, &e);
    if (rc != code || !strstr(e.msg, part))
        fail_msg("%s: got %d '%s', want %d '%s'", text, rc, e.msg, code, part);
}

static void test_parse(void **state)
{
    (void)state;
    reel_mapping m;
    reel_error e;
    assert_int_equal(parse("{\"input\":{\"midi\":\"cc\",\"channel\":2,\"number\":7},"
                           "\"target\":\"t1:gain\",\"transform\":{\"min\":0,\"max\":2,"
                           "\"curve\":\"s_curve\",\"deadzone\":0.1,\"smoothing\":0.05,"
                           "\"quantize\":5,\"invert\":true},\"pickup\":true}",
                           &m, &e),
                     0);
    assert_int_equal(m.kind, REEL_MAP_CC);
    assert_int_equal(m.channel, 1);
    assert_int_equal(m.number, 7);
    assert_string_equal(m.target, "t1:gain");
    assert_true(m.has_min && m.has_max && m.max == 2);
    assert_int_equal(m.curve, REEL_MAP_S_CURVE);
    assert_int_equal(m.quantize, 5);
    assert_true(m.invert && m.pickup && m.feedback);
    assert_int_equal(parse("{\"id\":\"m9\",\"input\":{\"osc\":\"/1/fader1\"},\"action\":"
                           "\"record_arm\",\"lane\":\"l1\",\"feedback_to\":"
                           "\"osc.udp://127.0.0.1:9000/\"}",
                           &m, &e),
                     0);
    assert_int_equal(m.kind, REEL_MAP_OSC);
    assert_int_equal(m.action, REEL_MAP_RECORD_ARM);
    assert_string_equal(m.target, "l1");
    assert_string_equal(m.feedback_to, "osc.udp://127.0.0.1:9000/");

    refused("[]", REEL_EINVAL, "not an object");
    refused("{\"target\":\"a:b\"}", REEL_EINVAL, "'input' must be an object");
    refused("{\"input\":{\"midi\":\"cc\",\"osc\":\"/a\"},\"target\":\"a:b\"}", REEL_EINVAL,
            "exactly one of");
    refused("{\"input\":{\"midi\":\"aftertouch\"},\"target\":\"a:b\"}", REEL_EINVAL,
            "'aftertouch' is not one of");
    refused("{\"input\":{\"midi\":\"cc\",\"number\":128},\"target\":\"a:b\"}", REEL_ERANGE,
            "'number' = 128");
    refused("{\"input\":{\"midi\":\"cc\",\"number\":1.5},\"target\":\"a:b\"}", REEL_ERANGE,
            "an integer");
    refused("{\"input\":{\"midi\":\"cc\",\"channel\":0,\"number\":1},\"target\":\"a:b\"}",
            REEL_ERANGE, "'channel' = 0");
    refused("{\"input\":{\"midi\":\"cc\"},\"target\":\"a:b\"}", REEL_EINVAL, "needs a 'number'");
    refused("{\"input\":{\"midi\":\"bend\",\"number\":3},\"target\":\"a:b\"}", REEL_EINVAL,
            "pitch bend has no 'number'");
    refused("{\"input\":{\"midi\":\"nrpn\",\"number\":16384},\"target\":\"a:b\"}", REEL_ERANGE,
            "16384");
    refused("{\"input\":{\"osc\":\"fader\"},\"target\":\"a:b\"}", REEL_EINVAL,
            "not a plain OSC address");
    refused("{\"input\":{\"osc\":\"/a/*\"},\"target\":\"a:b\"}", REEL_EINVAL, "no patterns");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"gain\"}", REEL_EINVAL,
            "not a parameter path");
    refused("{\"input\":{\"osc\":\"/a\"},\"action\":\"explode\"}", REEL_EINVAL,
            "'explode' is not one of");
    refused("{\"input\":{\"osc\":\"/a\"},\"action\":\"record_arm\"}", REEL_EINVAL,
            "needs a 'lane'");
    refused("{\"input\":{\"osc\":\"/a\"},\"action\":\"marker\",\"lane\":\"l1\"}",
            REEL_EINVAL, "'lane' is for action record_arm");
    refused("{\"input\":{\"osc\":\"/a\"},\"action\":\"marker\",\"target\":\"a:b\"}",
            REEL_EINVAL, "exactly one of 'target'");
    refused("{\"input\":{\"osc\":\"/a\"}}", REEL_EINVAL, "exactly one of 'target'");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"transform\":{\"deadzone\":0.5}}",
            REEL_ERANGE, "'deadzone' = 0.5");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"transform\":{\"quantize\":1}}",
            REEL_ERANGE, "'quantize' is 0");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"transform\":{\"curve\":\"x\"}}",
            REEL_EINVAL, "curve 'x'");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"transform\":{\"min\":1,"
            "\"max\":1}}",
            REEL_ERANGE, "equal");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"transform\":{\"min\":\"lo\"}}",
            REEL_EINVAL, "'min' is not a number");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"pickup\":1}", REEL_EINVAL,
            "'pickup' is not true or false");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"port\":\"x:y\"}", REEL_EINVAL,
            "no JACK 'port'");
    refused("{\"input\":{\"midi\":\"cc\",\"number\":1},\"target\":\"a:b\",\"feedback_to\":"
            "\"osc.udp://h:1/\"}",
            REEL_EINVAL, "for OSC inputs");
    refused("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\",\"feedback_to\":\"http://x\"}",
            REEL_EINVAL, "must be an OSC URL");
}

static void test_decode(void **state)
{
    (void)state;
    reel_map_midi_state st;
    reel_map_midi_state_init(&st);
    reel_map_msg msg;
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xB3, 7, 64}, 3, &msg));
    assert_int_equal(msg.kind, REEL_MAP_CC);
    assert_int_equal(msg.channel, 3);
    assert_int_equal(msg.number, 7);
    assert_true(msg.x == 64 / 127.0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0x90, 60, 127}, 3, &msg));
    assert_true(msg.kind == REEL_MAP_NOTE && msg.touch == 1 && msg.x == 1.0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0x90, 60, 0}, 3, &msg));
    assert_true(msg.touch == 0 && msg.x == 0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0x80, 60, 40}, 3, &msg));
    assert_true(msg.touch == 0 && msg.x == 0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xC1, 5}, 2, &msg));
    assert_true(msg.kind == REEL_MAP_PROGRAM && msg.number == 5 && msg.channel == 1);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xE0, 0x7f, 0x7f}, 3, &msg));
    assert_true(msg.kind == REEL_MAP_BEND && msg.x == 1.0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xE0, 0, 0x40}, 3, &msg));
    assert_true(msg.x == 8192 / 16383.0);
    /* NRPN 0x0105 (MSB 2, LSB 5 = 261), data 0x40 then 0x01 */
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 99, 2}, 3, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 98, 5}, 3, &msg));
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 6, 0x40}, 3, &msg));
    assert_true(msg.kind == REEL_MAP_NRPN && msg.number == 261 && msg.x == 8192 / 16383.0);
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 38, 1}, 3, &msg));
    assert_true(msg.kind == REEL_MAP_NRPN && msg.x == 8193 / 16383.0);
    /* on another channel no NRPN is selected: CC 6 is a plain CC */
    assert_true(reel_map_midi_decode(&st, (const uint8_t[]){0xB1, 6, 3}, 3, &msg));
    assert_int_equal(msg.kind, REEL_MAP_CC);
    /* not for mappings: clock, SysEx, running status, truncated, data bytes with bit 7 */
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xF8}, 1, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xF0, 1, 0xF7}, 3, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){7, 64}, 2, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 7}, 2, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xB0, 7, 0x80}, 3, &msg));
    assert_false(reel_map_midi_decode(&st, (const uint8_t[]){0xD0, 0x90}, 2, &msg));

    reel_mapping m;
    reel_error e;
    assert_int_equal(parse("{\"input\":{\"midi\":\"cc\",\"channel\":4,\"number\":7},"
                           "\"target\":\"a:b\"}", &m, &e), 0);
    reel_map_msg cc = {.kind = REEL_MAP_CC, .channel = 3, .number = 7};
    assert_true(reel_mapping_matches(&m, &cc));
    cc.channel = 2;
    assert_false(reel_mapping_matches(&m, &cc));
    cc.channel = 3, cc.number = 8;
    assert_false(reel_mapping_matches(&m, &cc));
    cc.kind = REEL_MAP_NOTE, cc.number = 7;
    assert_false(reel_mapping_matches(&m, &cc));
    assert_int_equal(parse("{\"input\":{\"midi\":\"program\"},\"action\":\"scene_next\"}", &m,
                           &e), 0);
    reel_map_msg pc = {.kind = REEL_MAP_PROGRAM, .channel = 9, .number = 100};
    assert_true(reel_mapping_matches(&m, &pc)); /* any channel, any program */

    json_t *doc = json_object();
    reel_map_msg nr = {.kind = REEL_MAP_NRPN, .channel = 0, .number = 261};
    reel_mapping_input_json(&nr, doc);
    char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"input\":{\"channel\":1,\"midi\":\"nrpn\",\"number\":261}}");
    free(s);
    json_decref(doc);
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9)
        fail_msg("got %.12f, want %.12f", got, want);
}

static void test_transform(void **state)
{
    (void)state;
    reel_mapping m;
    reel_error e;
    assert_int_equal(parse("{\"input\":{\"osc\":\"/a\"},\"target\":\"a:b\"}", &m, &e), 0);
    near(reel_mapping_value(&m, 64 / 127.0, 0, 2), 128 / 127.0);
    near(reel_mapping_value(&m, 1.5, 0, 2), 2); /* clamped */
    near(reel_mapping_value(&m, -1, -1, 1), -1);
    near(reel_mapping_value(&m, NAN, 0, 1), 0);
    m.invert = true;
    near(reel_mapping_value(&m, 0.25, 0, 1), 0.75);
    m.invert = false;
    m.deadzone = 0.1; /* (x - 0.1) / 0.8 */
    near(reel_mapping_value(&m, 0.05, 0, 1), 0);
    near(reel_mapping_value(&m, 0.5, 0, 1), 0.5);
    near(reel_mapping_value(&m, 0.3, 0, 1), 0.25);
    near(reel_mapping_value(&m, 0.95, 0, 1), 1);
    m.deadzone = 0;
    m.curve = REEL_MAP_EXPONENTIAL; /* (10^(2x) - 1) / 99 */
    near(reel_mapping_value(&m, 0.5, 0, 1), 9.0 / 99.0);
    m.curve = REEL_MAP_LOGARITHMIC; /* log10(1 + 9x) */
    near(reel_mapping_value(&m, 1.0 / 9.0, 0, 1), log10(2.0));
    m.curve = REEL_MAP_S_CURVE; /* (1 - cos(pi x)) / 2 */
    near(reel_mapping_value(&m, 1.0 / 3.0, 0, 1), 0.25);
    m.curve = REEL_MAP_LINEAR;
    m.quantize = 5; /* steps 0, .25, .5, .75, 1 */
    near(reel_mapping_value(&m, 0.6, 0, 1), 0.5);
    near(reel_mapping_value(&m, 0.63, 0, 8), 6);
    m.quantize = 0;
    m.has_min = m.has_max = true;
    m.min = 2, m.max = -2; /* the mapping's own range wins, reversed is fine */
    near(reel_mapping_value(&m, 0.25, 0, 1), 1);
    /* the inverse, for every curve, deadzone and invert: position -> value -> position */
    for (int c = 0; c <= REEL_MAP_S_CURVE; c++)
        for (int inv = 0; inv < 2; inv++) {
            m.curve = (reel_map_curve)c;
            m.invert = inv;
            m.deadzone = 0.05;
            for (double x = 0.05; x <= 0.95; x += 0.1)
                near(reel_mapping_position(&m, reel_mapping_value(&m, x, 0, 1), 0, 1), x);
        }
}

static void test_feedback(void **state)
{
    (void)state;
    reel_mapping m;
    reel_error e;
    uint8_t b[12];
    assert_int_equal(parse("{\"input\":{\"midi\":\"cc\",\"channel\":3,\"number\":7},"
                           "\"target\":\"a:b\"}", &m, &e), 0);
    assert_int_equal(reel_mapping_feedback_midi(&m, 0.5, b), 3);
    assert_memory_equal(b, ((uint8_t[]){0xB2, 7, 64}), 3);
    assert_int_equal(parse("{\"input\":{\"midi\":\"bend\"},\"target\":\"a:b\"}", &m, &e), 0);
    assert_int_equal(reel_mapping_feedback_midi(&m, 1.0, b), 3);
    assert_memory_equal(b, ((uint8_t[]){0xE0, 0x7f, 0x7f}), 3);
    assert_int_equal(parse("{\"input\":{\"midi\":\"nrpn\",\"number\":261},\"target\":\"a:b\"}",
                           &m, &e), 0);
    assert_int_equal(reel_mapping_feedback_midi(&m, 8193 / 16383.0, b), 12);
    assert_memory_equal(b, ((uint8_t[]){0xB0, 99, 2, 0xB0, 98, 5, 0xB0, 6, 0x40, 0xB0, 38, 1}),
                        12);
    /* what the decoder makes of the feedback is the position sent */
    reel_map_midi_state st;
    reel_map_midi_state_init(&st);
    reel_map_msg msg;
    for (int k = 0; k < 12; k += 3)
        reel_map_midi_decode(&st, b + k, 3, &msg);
    assert_true(msg.kind == REEL_MAP_NRPN && msg.number == 261 && msg.x == 8193 / 16383.0);
    assert_int_equal(parse("{\"input\":{\"midi\":\"program\"},\"target\":\"a:b\"}", &m, &e), 0);
    assert_int_equal(reel_mapping_feedback_midi(&m, 0.5, b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_feedback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
