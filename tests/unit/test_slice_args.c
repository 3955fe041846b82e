/*
 * test_slice_args.c — unit tests for slice_args.c, the one parser of slice
 * arguments: every distinct mistake, with its stable sub-code
 * (reel_error.reason) and its one-line message, and the request a good
 * document becomes.
 *
 * Owns: the table of sub-codes as the wire contract (a rename fails here).
 * Must never: touch a store (the parser does not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "slice/slice_args.h"

#include <string.h>

static int parse(const char *json, reel_slice_args *b, reel_error *err)
{
    return reel_slice_args_parse(json, strlen(json), "stream://t/m", b, err);
}

/* Each case: a document, its sub-code, and the start of its message (the
 * text every surface shows), written out here rather than taken from the
 * parser's macros, so a renamed sub-code is a failing test. */
static void test_every_error_has_its_reason(void **state)
{
    (void)state;
    static const struct {
        const char *json, *reason, *msg;
    } bad[] = {
        {"", "slice.malformed_json", "malformed JSON at line"},
        {"{\"last\": \"1s\", \"last\": \"2s\"}", "slice.malformed_json", "malformed JSON"},
        {"[]", "slice.not_object", "slice: want a JSON object"},
        {"{\"last\": \"1s\", \"out\": \"/etc/passwd\"}", "slice.unknown_field",
         "slice: unknown field \"out\""},
        {"{\"last\": 30}", "slice.wrong_type", "slice: \"last\" must be a string"},
        {"{\"from\": 1, \"to\": \"head\"}", "slice.wrong_type", "slice: \"from\" must be a string"},
        {"{\"last\": \"1s\", \"virtual\": \"yes\"}", "slice.wrong_type",
         "slice: \"virtual\" must be true or false"},
        {"{\"last\": \"1s\", \"tags\": \"a\"}", "slice.bad_tags", "slice: \"tags\" must be"},
        {"{\"last\": \"1s\", \"tags\": [\"\"]}", "slice.bad_tags",
         "slice: every tag must be a non-empty string"},
        {"{\"from\": \"#1\", \"to\": \"head\", \"last\": \"1s\"}", "slice.last_and_range",
         "slice: give \"last\" or \"from\"/\"to\", not both"},
        {"{}", "slice.no_range", "slice needs \"last\", or both \"from\" and \"to\""},
        {"{\"from\": \"#1\"}", "slice.no_range", "slice needs \"last\""},
        {"{\"to\": \"head\"}", "slice.no_range", "slice needs \"last\""},
        {"{\"last\": \"soon\"}", "slice.bad_time_spec", "bad duration 'soon'"},
        {"{\"last\": \"-1s\"}", "slice.bad_time_spec", "bad duration '-1s'"},
        {"{\"from\": \"yesterday\", \"to\": \"head\"}", "slice.bad_time_spec",
         "bad time spec 'yesterday'"},
        {"{\"from\": \"#1\", \"to\": \"#x\"}", "slice.bad_time_spec", "bad time spec '#x'"},
        {"{\"last\": \"0s\"}", "slice.last_not_positive",
         "slice: \"last\" must be longer than zero"},
        {"{\"last\": \"1s\", \"format\": \"mp3\"}", "slice.bad_format",
         "unknown output format 'mp3'"},
        {"{\"last\": \"1s\", \"sample_format\": \"i8\"}", "slice.bad_sample_format",
         "unknown sample format 'i8'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reel_slice_args b;
        reel_error err;
        reel_error_clear(&err);
        int rc = parse(bad[i].json, &b, &err);
        if (rc != REEL_EINVAL)
            fail_msg("%s: rc %d, want REEL_EINVAL", bad[i].json, rc);
        if (err.code != REEL_EINVAL)
            fail_msg("%s: err.code %d", bad[i].json, err.code);
        if (strcmp(err.reason, bad[i].reason) != 0)
            fail_msg("%s: reason '%s', want '%s'", bad[i].json, err.reason, bad[i].reason);
        if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("%s: message '%s', want it to start '%s'", bad[i].json, err.msg,
                     bad[i].msg);
        assert_null(strchr(err.msg, '\n'));
        assert_null(b.doc); /* nothing kept on failure */
    }
}

/* The same mistake from a parsed document (the op path) gets the same
 * message and sub-code as from bytes (the HTTP path). */
static void test_json_and_bytes_agree(void **state)
{
    (void)state;
    static const char *const docs[] = {"{\"last\": \"0s\"}", "{\"from\": \"#1\"}",
                                       "{\"from\": \"yesterday\", \"to\": \"head\"}",
                                       "{\"last\": \"1s\", \"format\": \"mp3\"}"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        reel_slice_args a, b;
        reel_error ea, eb;
        reel_error_clear(&ea);
        reel_error_clear(&eb);
        assert_int_not_equal(parse(docs[i], &a, &ea), 0);
        json_t *doc = json_loads(docs[i], 0, NULL);
        assert_non_null(doc);
        assert_int_not_equal(reel_slice_args_parse_json(doc, "stream://t/m", &b, &eb), 0);
        json_decref(doc);
        assert_string_equal(ea.msg, eb.msg);
        assert_string_equal(ea.reason, eb.reason);
        assert_int_equal(ea.code, eb.code);
    }
}

/* reel_error_set clears a reason, so a later failure never wears an
 * earlier one's sub-code. */
static void test_reason_does_not_outlive_its_error(void **state)
{
    (void)state;
    reel_error err;
    reel_error_clear(&err);
    assert_int_equal(reel_error_reason(&err, reel_error_set(&err, REEL_EINVAL, "x"), "a.b"),
                     REEL_EINVAL);
    assert_string_equal(err.reason, "a.b");
    reel_error_set(&err, REEL_EIO, "y");
    assert_string_equal(err.reason, "");
    reel_error_reason(&err, REEL_EIO, "c.d");
    reel_error_clear(&err);
    assert_string_equal(err.reason, "");
    assert_int_equal(reel_error_reason(NULL, REEL_ENOENT, "e.f"), REEL_ENOENT);
}

static void test_good_documents(void **state)
{
    (void)state;
    reel_slice_args b;
    reel_error err;
    reel_error_clear(&err);
    assert_int_equal(parse("{\"from\": \"#10\", \"to\": \"head\", \"format\": \"mid\"}", &b, &err),
                     0);
    assert_true(b.req.format_given); /* a MIDI stream is then held to it */
    assert_int_equal(b.req.format, REEL_OUT_MID);
    assert_int_equal(b.req.from.frame, 10);
    reel_slice_args_free(&b);
    assert_int_equal(parse("{\"last\": \"2s\"}", &b, &err), 0);
    assert_false(b.req.format_given);
    assert_int_equal(b.req.format, REEL_OUT_WAV);
    assert_true(b.req.clamp);
    assert_string_equal(err.reason, "");
    reel_slice_args_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_has_its_reason),
        cmocka_unit_test(test_json_and_bytes_agree),
        cmocka_unit_test(test_reason_does_not_outlive_its_error),
        cmocka_unit_test(test_good_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
