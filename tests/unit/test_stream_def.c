/*
 * test_stream_def.c — stream definitions: canonical JSON (one spelling per
 * definition, so one definition_hash), URI and definition validation, and
 * sample format names and sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/stream_def.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static reel_stream_def audio_def(void)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "stream://tone/a440");
    snprintf(d.device_identity, sizeof d.device_identity, "tone:440");
    d.kind = REEL_STREAM_AUDIO;
    d.sample_rate = 48000;
    d.channels = 2;
    d.sample_format = REEL_SAMPLE_F32;
    d.chunk_size_bytes = 4800 * 8;
    return d;
}

static reel_stream_def midi_def(void)
{
    reel_stream_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.uri, sizeof d.uri, "stream://jack:midi/keys");
    snprintf(d.device_identity, sizeof d.device_identity, "jack:system:midi_capture_1");
    d.kind = REEL_STREAM_MIDI;
    d.sample_rate = 44100;
    d.chunk_size_bytes = 512 * 1024;
    return d;
}

static void assert_defs_equal(const reel_stream_def *a, const reel_stream_def *b)
{
    assert_string_equal(a->uri, b->uri);
    assert_string_equal(a->device_identity, b->device_identity);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->sample_rate, b->sample_rate);
    assert_true(a->chunk_size_bytes == b->chunk_size_bytes);
    if (a->kind == REEL_STREAM_AUDIO) {
        assert_int_equal(a->channels, b->channels);
        assert_int_equal(a->sample_format, b->sample_format);
    }
}

/* to_json -> from_json -> to_json gives the same bytes and the same def. */
static char *round_trip(const reel_stream_def *d)
{
    reel_error err = {0};
    char *j1 = NULL, *j2 = NULL;
    assert_int_equal(reel_stream_def_to_json(d, &j1, &err), REEL_OK);
    reel_stream_def back;
    assert_int_equal(reel_stream_def_from_json(j1, &back, &err), REEL_OK);
    assert_defs_equal(d, &back);
    assert_int_equal(reel_stream_def_to_json(&back, &j2, &err), REEL_OK);
    assert_string_equal(j1, j2);
    free(j2);
    return j1;
}

static void test_audio_json_is_canonical(void **state)
{
    (void)state;
    reel_stream_def d = audio_def();
    char *j = round_trip(&d);
    /* Compact, keys sorted at every level. */
    assert_string_equal(j, "{\"chunk_size_bytes\":38400,\"device_identity\":\"tone:440\","
                           "\"format\":{\"audio\":{\"channels\":2,\"sample_format\":\"f32\","
                           "\"sample_rate\":48000}},\"uri\":\"stream://tone/a440\"}");
    free(j);

    /* The same definition written with other key order and spacing parses
     * to the same def and re-serialises to the same bytes. */
    const char *messy = "{ \"uri\" : \"stream://tone/a440\",\n \"format\": {\"audio\": "
                        "{\"sample_rate\": 48000, \"sample_format\": \"f32\", \"channels\": 2}},"
                        " \"device_identity\": \"tone:440\", \"chunk_size_bytes\": 38400 }";
    reel_stream_def back;
    reel_error err = {0};
    assert_int_equal(reel_stream_def_from_json(messy, &back, &err), REEL_OK);
    assert_defs_equal(&d, &back);
    char *j2 = NULL;
    assert_int_equal(reel_stream_def_to_json(&back, &j2, &err), REEL_OK);
    j = round_trip(&d);
    assert_string_equal(j, j2);
    free(j);
    free(j2);

    /* Every sample format round-trips. */
    for (int f = REEL_SAMPLE_F32; f <= REEL_SAMPLE_I24; f++) {
        d.sample_format = (reel_sample_format)f;
        d.channels = 3;
        d.chunk_size_bytes = 3 * reel_sample_format_bytes(d.sample_format) * 1000;
        free(round_trip(&d));
    }
}

static void test_midi_json_is_canonical(void **state)
{
    (void)state;
    reel_stream_def d = midi_def();
    char *j = round_trip(&d);
    assert_string_equal(j, "{\"chunk_size_bytes\":524288,\"clock_rate\":44100,"
                           "\"device_identity\":\"jack:system:midi_capture_1\","
                           "\"format\":\"midi\",\"uri\":\"stream://jack:midi/keys\"}");
    free(j);
    assert_int_equal(reel_stream_def_frame_bytes(&d), 0);
}

static void test_special_characters_round_trip(void **state)
{
    (void)state;
    reel_stream_def d = audio_def();
    /* The device identity is free text: quotes, backslashes, UTF-8. */
    snprintf(d.device_identity, sizeof d.device_identity, "file:\"/tmp/a b\\c\" \xc3\xa9");
    snprintf(d.uri, sizeof d.uri, "stream://hw:0,1/take-1_final.v2");
    free(round_trip(&d));
}

static void test_uri_validation(void **state)
{
    (void)state;
    reel_error err = {0};
    const char *good[] = {"stream://a/b", "stream://hw:0/main", "stream://tone/a440",
                          "stream://dev/name/with/sub", "stream://a.b/c.d"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(reel_stream_uri_validate(good[i], &err), REEL_OK);

    const char *bad[] = {
        "stream://",       "foo",           "stream://a/../b", "stream://../b",
        "stream://a/..",   "stream://a",    "stream://a/",     "stream:///b",
        "stream:/a/b",     "Stream://a/b",  "file://a/b",      "stream://a//b",
        "stream://a b/c",  "stream://a/b\"", "stream://a/b\\c", "stream://a/\x7f",
        "stream://a/\tb",  "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = reel_stream_uri_validate(bad[i], &err);
        if (rc != REEL_EINVAL)
            fail_msg("URI '%s' was accepted (rc %d)", bad[i], rc);
        assert_int_equal(err.code, REEL_EINVAL);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(reel_stream_uri_validate(NULL, &err), REEL_EINVAL);

    /* Length limit: REEL_URI_MAX - 1 bytes is the longest. */
    char longuri[REEL_URI_MAX + 8];
    memset(longuri, 'x', sizeof longuri);
    memcpy(longuri, "stream://d/", 11);
    longuri[REEL_URI_MAX - 1] = '\0';
    assert_int_equal(reel_stream_uri_validate(longuri, &err), REEL_OK);
    memset(longuri, 'x', sizeof longuri);
    memcpy(longuri, "stream://d/", 11);
    longuri[REEL_URI_MAX] = '\0';
    assert_int_equal(reel_stream_uri_validate(longuri, &err), REEL_EINVAL);

    /* The definition checks its URI, and from_json refuses a bad one. */
    reel_stream_def d = audio_def();
    snprintf(d.uri, sizeof d.uri, "stream://a/../b");
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    reel_stream_def back;
    assert_int_equal(reel_stream_def_from_json(
                         "{\"chunk_size_bytes\":38400,\"device_identity\":\"x\",\"format\":"
                         "{\"audio\":{\"channels\":2,\"sample_format\":\"f32\",\"sample_rate\":"
                         "48000}},\"uri\":\"stream://\"}",
                         &back, &err),
                     REEL_EINVAL);
}

static void test_definition_validation(void **state)
{
    (void)state;
    reel_error err = {0};
    reel_stream_def d = audio_def();
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);

    d = audio_def();
    d.sample_rate = 0;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.sample_rate = 1536001;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.sample_rate = 1536000;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);

    d = audio_def();
    d.channels = 0;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.channels = REEL_MAX_CHANNELS + 1;
    d.chunk_size_bytes = 1 << 20;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);

    /* Chunk smaller than one frame: 2 ch x f32 = 8 bytes. */
    d = audio_def();
    d.chunk_size_bytes = 7;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.chunk_size_bytes = 0;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.chunk_size_bytes = 8;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);
    d.sample_format = REEL_SAMPLE_I24;
    d.chunk_size_bytes = 5;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d.chunk_size_bytes = 6;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);
    d.chunk_size_bytes = ((uint64_t)1 << 34) + 1;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    d = audio_def();
    d.sample_format = (reel_sample_format)7;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);

    /* MIDI chunks are at least 4096 bytes; MIDI has no channels. */
    d = midi_def();
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);
    d.chunk_size_bytes = 4095;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
    assert_true(err.msg[0] != '\0');
    d.chunk_size_bytes = 4096;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_OK);
    d.sample_rate = 0;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);

    d = audio_def();
    d.kind = (reel_stream_kind)5;
    assert_int_equal(reel_stream_def_validate(&d, &err), REEL_EINVAL);
}

static void test_from_json_rejects(void **state)
{
    (void)state;
    reel_error err = {0};
    reel_stream_def d;
#define AUDIO(rate, ch, fmt, chunk)                                                              \
    "{\"chunk_size_bytes\":" chunk ",\"device_identity\":\"x\",\"format\":{\"audio\":"           \
    "{\"channels\":" ch ",\"sample_format\":" fmt ",\"sample_rate\":" rate "}},"                 \
    "\"uri\":\"stream://a/b\"}"
    /* The template itself is fine. */
    assert_int_equal(reel_stream_def_from_json(AUDIO("48000", "2", "\"i16\"", "4096"), &d, &err),
                     REEL_OK);
    assert_int_equal(d.sample_format, REEL_SAMPLE_I16);
    assert_int_equal(reel_stream_def_frame_bytes(&d), 4);

    const char *bad[] = {
        "",
        "not json",
        "[]",
        "\"stream\"",
        "{}",
        AUDIO("0", "2", "\"f32\"", "4096"),       /* zero rate */
        AUDIO("48000", "0", "\"f32\"", "4096"),   /* zero channels */
        AUDIO("48000", "2", "\"f32\"", "7"),      /* chunk smaller than a frame */
        AUDIO("48000", "2", "\"f64\"", "4096"),   /* unknown format */
        AUDIO("48000", "2", "32", "4096"),        /* format not a string */
        AUDIO("-48000", "2", "\"f32\"", "4096"),  /* negative */
        AUDIO("48000.5", "2", "\"f32\"", "4096"), /* not an integer */
        AUDIO("\"48000\"", "2", "\"f32\"", "4096"),
        AUDIO("48000", "2", "\"f32\"", "-1"),
        AUDIO("48000", "5000", "\"f32\"", "40960000"), /* above REEL_MAX_CHANNELS */
        AUDIO("4294967344", "2", "\"f32\"", "4096"),   /* 2^32 + 48: no wrap to 48 */
        "{\"chunk_size_bytes\":4095,\"clock_rate\":48000,\"device_identity\":\"x\","
        "\"format\":\"midi\",\"uri\":\"stream://a/b\"}", /* MIDI chunk < 4096 */
        "{\"chunk_size_bytes\":8192,\"device_identity\":\"x\","
        "\"format\":\"midi\",\"uri\":\"stream://a/b\"}", /* MIDI without clock_rate */
        "{\"chunk_size_bytes\":8192,\"clock_rate\":48000,\"device_identity\":\"x\","
        "\"format\":\"video\",\"uri\":\"stream://a/b\"}",
        "{\"chunk_size_bytes\":8192,\"clock_rate\":48000,\"device_identity\":\"x\","
        "\"format\":\"midi\",\"uri\":\"foo\"}",
        "{\"chunk_size_bytes\":8192,\"clock_rate\":48000,\"device_identity\":7,"
        "\"format\":\"midi\",\"uri\":\"stream://a/b\"}",
        /* Duplicate keys would give two spellings of one definition. */
        "{\"chunk_size_bytes\":8192,\"clock_rate\":48000,\"device_identity\":\"x\","
        "\"format\":\"midi\",\"uri\":\"stream://a/b\",\"uri\":\"stream://a/c\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = reel_stream_def_from_json(bad[i], &d, &err);
        if (rc != REEL_EINVAL)
            fail_msg("accepted (rc %d): %s", rc, bad[i]);
        assert_int_equal(err.code, REEL_EINVAL);
        assert_true(err.msg[0] != '\0');
    }
#undef AUDIO
}

static void test_sample_formats(void **state)
{
    (void)state;
    const struct {
        reel_sample_format f;
        const char *name;
        size_t bytes;
    } all[] = {{REEL_SAMPLE_F32, "f32", 4}, {REEL_SAMPLE_I16, "i16", 2}, {REEL_SAMPLE_I24, "i24", 3}};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(reel_sample_format_name(all[i].f), all[i].name);
        assert_int_equal(reel_sample_format_bytes(all[i].f), all[i].bytes);
        reel_sample_format got = (reel_sample_format)99;
        assert_int_equal(reel_sample_format_parse(all[i].name, &got, NULL), REEL_OK);
        assert_int_equal(got, all[i].f);
    }
    /* Ordinals are part of the wire protocol. */
    assert_int_equal(REEL_SAMPLE_F32, 0);
    assert_int_equal(REEL_SAMPLE_I16, 1);
    assert_int_equal(REEL_SAMPLE_I24, 2);

    reel_error err = {0};
    reel_sample_format got;
    const char *bad[] = {"", "F32", "f64", "s16", "i32", "f32 ", "float"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(reel_sample_format_parse(bad[i], &got, &err), REEL_EINVAL);
    assert_int_equal(reel_sample_format_parse(NULL, &got, &err), REEL_EINVAL);
    assert_string_equal(reel_sample_format_name((reel_sample_format)9), "?");
    assert_int_equal(reel_sample_format_bytes((reel_sample_format)9), 0);

    reel_stream_def d = audio_def();
    d.channels = 6;
    d.sample_format = REEL_SAMPLE_I24;
    assert_int_equal(reel_stream_def_frame_bytes(&d), 18);
}

/* reel.h: the error receives "one human-readable line". Inputs with line
 * breaks (in the JSON text or inside a URI) must not leak them into it. */
static void test_json_error_message_is_one_line(void **state)
{
    (void)state;
    reel_error err = {0};
    reel_stream_def d;
    /* A JSON syntax error right after a backslash-newline inside a string. */
    assert_int_equal(reel_stream_def_from_json("{\"uri\":\"a\\\nb\"}", &d, &err), REEL_EINVAL);
    if (strchr(err.msg, '\n'))
        fail_msg("from_json error message spans lines: [%s]", err.msg);
}

static void test_uri_error_message_is_one_line(void **state)
{
    (void)state;
    reel_error err = {0};
    assert_int_equal(reel_stream_uri_validate("stream://dev\nname", &err), REEL_EINVAL);
    if (strchr(err.msg, '\n'))
        fail_msg("uri_validate error message spans lines: [%s]", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audio_json_is_canonical),
        cmocka_unit_test(test_midi_json_is_canonical),
        cmocka_unit_test(test_special_characters_round_trip),
        cmocka_unit_test(test_uri_validation),
        cmocka_unit_test(test_definition_validation),
        cmocka_unit_test(test_from_json_rejects),
        cmocka_unit_test(test_sample_formats),
        cmocka_unit_test(test_json_error_message_is_one_line),
        cmocka_unit_test(test_uri_error_message_is_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
