/*
 * test_timespec.c — unit tests for timespec.c: durations, every time spec
 * form, rejections and resolution to frames.
 *
 * Owns: the accepted grammar, as examples, and the wording that points at
 * the offending input. Must never: depend on the TZ variable or the current
 * time (every instant here is a literal).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "time/timespec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define MS 1000000LL
#define T2026 1795168800LL /* 2026-11-20T10:00:00Z */
#define T2025 1763632800LL /* 2025-11-20T10:00:00Z */

/* ---- helpers ------------------------------------------------------------ */

static void check_one_line(const reel_error *err)
{
    assert_true(strlen(err->msg) > 0);
    assert_null(strchr(err->msg, '\n'));
}

static int64_t dur_ok(const char *s)
{
    int64_t ns = -1;
    reel_error err = {0};
    if (reel_duration_parse(s, &ns, &err) != REEL_OK)
        fail_msg("duration '%s' rejected: %s", s, err.msg);
    return ns;
}

static void dur_bad(const char *s, const char *needle)
{
    int64_t ns = -7;
    reel_error err = {0};
    int rc = reel_duration_parse(s, &ns, &err);
    if (rc != REEL_EINVAL)
        fail_msg("duration '%s' gave %d (ns %lld), want EINVAL", s, rc, (long long)ns);
    assert_int_equal(err.code, REEL_EINVAL);
    check_one_line(&err);
    if (needle && !strstr(err.msg, needle))
        fail_msg("duration '%s': message \"%s\" lacks \"%s\"", s, err.msg, needle);
}

static reel_timespec ts_ok(const char *s)
{
    reel_timespec ts;
    reel_error err = {0};
    if (reel_timespec_parse(s, &ts, &err) != REEL_OK)
        fail_msg("time spec '%s' rejected: %s", s, err.msg);
    return ts;
}

static void ts_bad(const char *s, const char *needle)
{
    reel_timespec ts;
    reel_error err = {0};
    int rc = reel_timespec_parse(s, &ts, &err);
    if (rc != REEL_EINVAL)
        fail_msg("time spec '%s' gave %d, want EINVAL", s, rc);
    assert_int_equal(err.code, REEL_EINVAL);
    check_one_line(&err);
    if (needle && !strstr(err.msg, needle))
        fail_msg("time spec '%s': message \"%s\" lacks \"%s\"", s, err.msg, needle);
}

static int64_t wall_of(const char *s)
{
    reel_timespec ts = ts_ok(s);
    assert_int_equal(ts.kind, REEL_TS_WALL);
    return ts.wall_ns;
}

/* ---- durations ---------------------------------------------------------- */

static void test_duration_forms(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("30s"), 30 * SEC);
    assert_int_equal(dur_ok("1m30s"), 90 * SEC);
    assert_int_equal(dur_ok("0.25s"), 250 * MS);
    assert_int_equal(dur_ok("2h"), 7200 * SEC);
    assert_int_equal(dur_ok("500ms"), 500 * MS);
    assert_int_equal(dur_ok("1h2m3.5s"), 3723 * SEC + 500 * MS);
    assert_int_equal(dur_ok("1.5m"), 90 * SEC);
    assert_int_equal(dur_ok("1.5h"), 5400 * SEC);
    assert_int_equal(dur_ok("250us"), 250000);
    assert_int_equal(dur_ok("7ns"), 7);
    assert_int_equal(dur_ok("1h1m1s1ms1us1ns"), 3661 * SEC + MS + 1000 + 1);
    assert_int_equal(dur_ok("1h30s"), 3630 * SEC); /* units may be skipped */
    assert_int_equal(dur_ok(".5s"), 500 * MS);
    assert_int_equal(dur_ok("0s"), 0);
    assert_int_equal(dur_ok("007s"), 7 * SEC);
    assert_int_equal(dur_ok("90m"), 5400 * SEC); /* no carrying limits */
}

static void test_duration_bare_number_is_seconds(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("30"), 30 * SEC);
    assert_int_equal(dur_ok("0"), 0);
    assert_int_equal(dur_ok("1.25"), 1250 * MS);
    assert_int_equal(dur_ok("0.000000001"), 1);
}

static void test_duration_precision_and_rounding(void **state)
{
    (void)state;
    /* exact to the ns with no floating point */
    assert_int_equal(dur_ok("0.1s"), 100 * MS);
    assert_int_equal(dur_ok("86399.999999999s"), 86399 * SEC + 999999999);
    assert_int_equal(dur_ok("0.0000000004s"), 0);
    assert_int_equal(dur_ok("0.0000000005s"), 1); /* half a ns rounds up */
    assert_int_equal(dur_ok("0.33333333333333333333333333m"), 20 * SEC);
    assert_int_equal(dur_ok("1.5ns"), 2);
    assert_int_equal(dur_ok("0.001ms"), 1000);
    /* the 64-bit limit, in several units */
    assert_int_equal(dur_ok("9223372036.854775807s"), INT64_MAX);
    assert_int_equal(dur_ok("9223372036854775807ns"), INT64_MAX);
    assert_int_equal(dur_ok("2562047h"), 2562047LL * 3600 * SEC);
}

static void test_duration_rejects(void **state)
{
    (void)state;
    dur_bad("", "empty");
    dur_bad("-5s", "negative");
    dur_bad("-0s", "negative");
    dur_bad("+5s", "'+5s'");
    dur_bad("5x", "unknown unit 'x'");
    dur_bad("5x", "(use h, m, s, ms");
    dur_bad("5sec", "unknown unit 'sec'");
    dur_bad("5S", "unknown unit 'S'");
    dur_bad("5s3m", "unit 'm' after 's'");
    dur_bad("1ms1s", "unit 's' after 'ms'");
    dur_bad("1s2s", "unit 's' repeated");
    dur_bad("1m30", "missing unit after '30'");
    dur_bad("1.s", "missing digits after '.'");
    dur_bad(".", "missing digits after '.'");
    dur_bad("s", "expected a number");
    dur_bad("ms", "expected a number");
    dur_bad("1..5s", "missing digits");
    dur_bad("1.5.5s", NULL);
    dur_bad("nan", "not a finite number");
    dur_bad("NaN", "not a finite number");
    dur_bad("inf", "not a finite number");
    dur_bad("Infinity", "not a finite number");
    dur_bad("1e3s", "unknown unit 'e'");
    dur_bad("0x10s", "unknown unit 'x'");
    dur_bad(" 5s", "expected a number");
    dur_bad("5s ", "expected a number at ' '");
    dur_bad("5 s", "unexpected ' s'");
    dur_bad("5s\n", "\\x0a");
    dur_bad("5,5s", "unexpected ',5s' after '5'");
    dur_bad("1m-30s", "expected a number");
    /* overflow, however it is reached */
    dur_bad("9223372036.854775808s", "too large");
    dur_bad("9223372036854775808ns", "too large");
    dur_bad("2562048h", "too large");
    dur_bad("18446744073709551616s", "too large");
    dur_bad("99999999999999999999999999999999999999h", "too large");
    dur_bad("2562047h47m16.854775807s1ns", "too large");
}

static void test_duration_message_names_input(void **state)
{
    (void)state;
    reel_error err = {0};
    int64_t ns;
    assert_int_equal(reel_duration_parse("3x", &ns, &err), REEL_EINVAL);
    assert_string_equal(err.msg, "bad duration '3x': unknown unit 'x' (use h, m, s, ms, us, ns)");

    /* arguments */
    assert_int_equal(reel_duration_parse(NULL, &ns, &err), REEL_EINVAL);
    assert_int_equal(reel_duration_parse("1s", NULL, &err), REEL_EINVAL);
    assert_int_equal(reel_duration_parse("bad", &ns, NULL), REEL_EINVAL);

    /* a huge input is shortened in the message, which stays one line */
    char big[4096];
    memset(big, '7', sizeof big - 2);
    big[sizeof big - 2] = 'q';
    big[sizeof big - 1] = '\0';
    assert_int_equal(reel_duration_parse(big, &ns, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "..."));
    assert_true(strlen(err.msg) < 400);
}

/* ---- time specs --------------------------------------------------------- */

static void test_head_start(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("head").kind, REEL_TS_HEAD);
    assert_int_equal(ts_ok("start").kind, REEL_TS_START);
    ts_bad("HEAD", "unknown form");
    ts_bad("heads", "unknown form");
    ts_bad("head ", "unknown form");
    ts_bad("star", "unknown form");
    ts_bad("", "empty time spec");
}

static void test_ago(void **state)
{
    (void)state;
    reel_timespec ts = ts_ok("-30s");
    assert_int_equal(ts.kind, REEL_TS_AGO);
    assert_int_equal(ts.ago_ns, 30 * SEC);
    assert_int_equal(ts_ok("-1m30s").ago_ns, 90 * SEC);
    assert_int_equal(ts_ok("-0.25s").ago_ns, 250 * MS);
    assert_int_equal(ts_ok("-2h").ago_ns, 7200 * SEC);
    assert_int_equal(ts_ok("-500ms").ago_ns, 500 * MS);
    assert_int_equal(ts_ok("-1h2m3.5s").ago_ns, 3723 * SEC + 500 * MS);
    assert_int_equal(ts_ok("-10").ago_ns, 10 * SEC);
    assert_int_equal(ts_ok("-0s").ago_ns, 0);

    ts_bad("-", "missing duration after '-'");
    ts_bad("--5s", "negative");
    ts_bad("-5s3m", "unit 'm' after 's'");
    ts_bad("-nan", "not a finite number");
    ts_bad("-inf", "not a finite number");
    ts_bad("-9223372037s", "too large");
    ts_bad("- 5s", "expected a number");
}

static void test_ago_message_matches_spec(void **state)
{
    (void)state;
    reel_timespec ts;
    reel_error err = {0};
    assert_int_equal(reel_timespec_parse("-3x", &ts, &err), REEL_EINVAL);
    assert_string_equal(err.msg,
                        "bad time spec '-3x': unknown unit 'x' (use h, m, s, ms, us, ns)");
}

static void test_iso(void **state)
{
    (void)state;
    assert_int_equal(wall_of("2026-11-20T10:00:00Z"), T2026 * SEC);
    assert_int_equal(wall_of("2026-11-20T10:00:00.250Z"), T2026 * SEC + 250 * MS);
    assert_int_equal(wall_of("2025-11-20T10:00:00.25Z"), T2025 * SEC + 250 * MS);
    assert_int_equal(wall_of("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(wall_of("1969-12-31T23:59:59Z"), -SEC);
    assert_int_equal(wall_of("2000-03-01T00:00:00Z"), 951868800LL * SEC);
    assert_int_equal(wall_of("2024-02-29T12:00:00Z"), 1709208000LL * SEC);
    assert_int_equal(wall_of("2100-03-01T00:00:00Z"), 4107542400LL * SEC);
}

static void test_iso_fraction(void **state)
{
    (void)state;
    int64_t base = T2026 * SEC;
    assert_int_equal(wall_of("2026-11-20T10:00:00.5Z"), base + 500 * MS);
    assert_int_equal(wall_of("2026-11-20T10:00:00.000000001Z"), base + 1);
    assert_int_equal(wall_of("2026-11-20T10:00:00.123456789Z"), base + 123456789);
    assert_int_equal(wall_of("2026-11-20T10:00:00.1234567894Z"), base + 123456789);
    assert_int_equal(wall_of("2026-11-20T10:00:00.1234567895Z"), base + 123456790);
    assert_int_equal(wall_of("2026-11-20T10:00:00.99999999999999Z"), base + SEC);
    assert_int_equal(wall_of("2026-11-20T10:00:59.9999999999Z"), base + 60 * SEC);
}

static void test_iso_zones(void **state)
{
    (void)state;
    int64_t base = T2026 * SEC;
    assert_int_equal(wall_of("2026-11-20T11:00:00+01:00"), base);
    assert_int_equal(wall_of("2026-11-20T11:00:00+0100"), base);
    assert_int_equal(wall_of("2026-11-20T04:30:00-05:30"), base);
    assert_int_equal(wall_of("2026-11-21T09:00:00+23:00"), base);
    assert_int_equal(wall_of("2026-11-20T10:00:00+00:00"), base);
    assert_int_equal(wall_of("2026-11-20T10:00:00-00:00"), base);
    assert_int_equal(wall_of("2026-11-20t10:00:00z"), base);
    /* an offset crossing midnight and the year */
    assert_int_equal(wall_of("2026-12-31T23:30:00-01:00"), 1798763400LL * SEC);
    assert_int_equal(wall_of("2027-01-01T00:30:00Z"), 1798763400LL * SEC);
}

static void test_iso_rejects(void **state)
{
    (void)state;
    ts_bad("2026-11-20T10:00:00", "missing zone");
    ts_bad("2026-11-20T10:00:00.25", "missing zone");
    ts_bad("2026-11-20", "expected YYYY-MM-DDTHH:MM:SS");
    ts_bad("2026-11-20T10:00Z", "expected YYYY-MM-DDTHH:MM:SS");
    ts_bad("2026-11-20 10:00:00Z", "expected YYYY-MM-DDTHH:MM:SS");
    ts_bad("2026-1-20T10:00:00Z", "expected YYYY");
    ts_bad("2026-11-20T10:00:00ZZ", "after the zone");
    ts_bad("2026-11-20T10:00:00Z ", "after the zone");
    ts_bad("2026-11-20T10:00:00+01:00x", "after the zone");
    ts_bad("2026-11-20T10:00:00+1:00", "bad zone offset");
    ts_bad("2026-11-20T10:00:00+01:0", "bad zone offset");
    ts_bad("2026-11-20T10:00:00+01", "bad zone offset");
    ts_bad("2026-11-20T10:00:00+24:00", "zone offset 24:00 out of range");
    ts_bad("2026-11-20T10:00:00+01:60", "out of range");
    ts_bad("2026-11-20T10:00:00.Z", "missing digits after '.'");
    ts_bad("2026-11-20T10:00:00,5Z", "unexpected ',5Z'");
    ts_bad("2026-11-20T10:00:00 UTC", "unexpected ' UTC'");
    ts_bad("2026-13-20T10:00:00Z", "month 13 out of range");
    ts_bad("2026-00-20T10:00:00Z", "month 00 out of range");
    ts_bad("2026-11-00T10:00:00Z", "day 00 out of range");
    ts_bad("2026-11-31T10:00:00Z", "day 31 out of range for 2026-11");
    ts_bad("2026-02-29T10:00:00Z", "day 29 out of range for 2026-02");
    ts_bad("1900-02-29T10:00:00Z", "day 29");
    ts_bad("2026-11-20T24:00:00Z", "hour 24 out of range");
    ts_bad("2026-11-20T10:60:00Z", "minute 60 out of range");
    ts_bad("2026-11-20T10:00:60Z", "second 60 out of range");
    /* int64 ns covers 1677-09-21 .. 2262-04-11 */
    ts_bad("2262-04-12T00:00:00Z", "representable range");
    ts_bad("1677-09-21T00:00:00Z", "representable range");
    ts_bad("9999-12-31T23:59:59Z", "representable range");
    ts_bad("0000-01-01T00:00:00Z", "representable range");
    assert_int_equal(wall_of("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
    ts_bad("2262-04-11T23:47:16.854775808Z", "representable range");
    assert_int_equal(wall_of("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
    ts_bad("1677-09-21T00:12:43.145224191Z", "representable range");
}

static void test_epoch(void **state)
{
    (void)state;
    assert_int_equal(wall_of("@1763632800.25"), T2025 * SEC + 250 * MS);
    assert_int_equal(wall_of("@1795168800"), T2026 * SEC);
    assert_int_equal(wall_of("@0"), 0);
    assert_int_equal(wall_of("@0.000000001"), 1);
    assert_int_equal(wall_of("@0.0000000005"), 1);
    assert_int_equal(wall_of("@-1.5"), -1500 * MS);
    assert_int_equal(wall_of("@9223372036.854775807"), INT64_MAX);
    assert_int_equal(wall_of("@-9223372036.854775808"), INT64_MIN);
    /* the same instant written two ways */
    assert_int_equal(wall_of("@1795168800.25"), wall_of("2026-11-20T10:00:00.250Z"));

    ts_bad("@", "expected UNIX epoch seconds");
    ts_bad("@-", "expected UNIX epoch seconds");
    ts_bad("@abc", "expected UNIX epoch seconds");
    ts_bad("@.5", "expected UNIX epoch seconds");
    ts_bad("@+5", "expected UNIX epoch seconds");
    ts_bad("@ 5", "expected UNIX epoch seconds");
    ts_bad("@1.", "missing digits after '.'");
    ts_bad("@1e9", "unexpected 'e9'");
    ts_bad("@1s", "unexpected 's'");
    ts_bad("@nan", "not a finite number");
    ts_bad("@-inf", "not a finite number");
    ts_bad("@9223372036.854775808", "representable range");
    ts_bad("@9223372037", "representable range");
    ts_bad("@-9223372036.854775809", "representable range");
    ts_bad("@99999999999999999999999999999999", "representable range");
    ts_bad("@9223372036.8547758075", "representable range"); /* rounds over */
}

static void test_frame(void **state)
{
    (void)state;
    reel_timespec ts = ts_ok("#480000");
    assert_int_equal(ts.kind, REEL_TS_FRAME);
    assert_int_equal(ts.frame, 480000);
    assert_int_equal(ts_ok("#0").frame, 0);
    assert_int_equal(ts_ok("#000042").frame, 42);
    assert_true(ts_ok("#18446744073709551615").frame == UINT64_MAX);

    ts_bad("#", "expected a frame number");
    ts_bad("#-1", "expected a frame number");
    ts_bad("#+1", "expected a frame number");
    ts_bad("# 12", "expected a frame number");
    ts_bad("#12a", "unexpected 'a'");
    ts_bad("#12 ", "unexpected ' '");
    ts_bad("#1.5", "unexpected '.5'");
    ts_bad("#18446744073709551616", "does not fit 64 bits");
    ts_bad("#99999999999999999999999", "does not fit 64 bits");
}

static void test_session(void **state)
{
    (void)state;
    reel_timespec ts = ts_ok("session:abc:start");
    assert_int_equal(ts.kind, REEL_TS_SESSION);
    assert_string_equal(ts.session, "abc");
    assert_string_equal(ts.segment, "");
    assert_false(ts.session_end);

    ts = ts_ok("session:abc:end");
    assert_true(ts.session_end);

    ts = ts_ok("session:abc/seg-1:end");
    assert_string_equal(ts.session, "abc");
    assert_string_equal(ts.segment, "seg-1");
    assert_true(ts.session_end);

    ts = ts_ok("session:Take_3.v2-A/01:start");
    assert_string_equal(ts.session, "Take_3.v2-A");
    assert_string_equal(ts.segment, "01");
    assert_false(ts.session_end);

    ts = ts_ok("session:...:end"); /* dots are id characters */
    assert_string_equal(ts.session, "...");
}

static void test_session_id_length(void **state)
{
    (void)state;
    char s[512], id[REEL_SESSION_ID_MAX + 1];
    memset(id, 'a', REEL_SESSION_ID_MAX - 1);
    id[REEL_SESSION_ID_MAX - 1] = '\0';

    snprintf(s, sizeof s, "session:%s:end", id);
    assert_string_equal(ts_ok(s).session, id);
    snprintf(s, sizeof s, "session:x/%s:end", id);
    assert_string_equal(ts_ok(s).segment, id);

    id[REEL_SESSION_ID_MAX - 1] = 'a';
    id[REEL_SESSION_ID_MAX] = '\0';
    snprintf(s, sizeof s, "session:%s:end", id);
    ts_bad(s, "session id longer than 127 characters");
    snprintf(s, sizeof s, "session:x/%s:end", id);
    ts_bad(s, "segment id longer than 127 characters");
}

static void test_session_rejects(void **state)
{
    (void)state;
    ts_bad("session:", "missing session id");
    ts_bad("session::start", "missing session id");
    ts_bad("session:/seg:start", "missing session id");
    ts_bad("session:abc", "missing ':start' or ':end'");
    ts_bad("session:abc/seg", "missing ':start' or ':end'");
    ts_bad("session:abc:", "expected 'start' or 'end'");
    ts_bad("session:abc:middle", "got 'middle'");
    ts_bad("session:abc:START", "got 'START'");
    ts_bad("session:abc:start:x", "got 'start:x'");
    ts_bad("session:abc:end ", "got 'end '");
    ts_bad("session:abc/:end", "missing segment id");
    ts_bad("session:abc/x/y:end", "bad character in segment id at '/y:end'");
    ts_bad("session:ab c:start", "bad character in session id at ' c:start'");
    ts_bad("session:a*b:start", "bad character in session id");
    ts_bad("session:..:start", "session id '..' is not allowed");
    ts_bad("session:.:start", "session id '.' is not allowed");
    ts_bad("session:abc/..:start", "segment id '..' is not allowed");
    ts_bad("session:\xc3\xa9t\xc3\xa9:start", "\\xc3\\xa9");
    ts_bad("Session:abc:start", "unknown form");
    ts_bad("session", "unknown form");
}

static void test_moment(void **state)
{
    (void)state;
    reel_timespec ts = ts_ok("moment:12");
    assert_int_equal(ts.kind, REEL_TS_MOMENT);
    assert_int_equal(ts.moment_id, 12);
    assert_int_equal(ts.offset_ns, 0);
    ts = ts_ok("moment:3-5s");
    assert_int_equal(ts.moment_id, 3);
    assert_int_equal(ts.offset_ns, -5000000000LL);
    ts = ts_ok("moment:3+1m30.5s");
    assert_int_equal(ts.offset_ns, 90500000000LL);
    ts = ts_ok("moment:7-0.5");
    assert_int_equal(ts.offset_ns, -500000000LL);
    ts = ts_ok("moment:9223372036854775807+250ms");
    assert_int_equal(ts.moment_id, INT64_MAX);
    assert_int_equal(ts.offset_ns, 250000000LL);
    /* Resolving needs the moments: the spec alone says so. */
    reel_time_context ctx = {.head = 1000, .rate = 48000};
    int64_t f;
    reel_error err = {0};
    assert_int_equal(reel_timespec_resolve(&ts, &ctx, &f, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "moment:9223372036854775807"));
}

static void test_moment_rejects(void **state)
{
    (void)state;
    ts_bad("moment:", "expected a moment id");
    ts_bad("moment:-5s", "expected a moment id");
    ts_bad("moment:0", "moment ids start at 1");
    ts_bad("moment:00+1s", "moment ids start at 1");
    ts_bad("moment:9223372036854775808", "does not fit 64 bits");
    ts_bad("moment:12-", "missing duration after '-'");
    ts_bad("moment:12+", "missing duration after '+'");
    ts_bad("moment:12--5s", "one sign");
    ts_bad("moment:12+-5s", "one sign");
    ts_bad("moment:12*5s", "unexpected '*5s'");
    ts_bad("moment:12 ", "unexpected ' '");
    ts_bad("moment:abc", "expected a moment id");
    ts_bad("moment:12-5x", "unknown unit 'x'");
    ts_bad("moment:12-nan", "not a finite number");
    ts_bad("moment:12-300000y", "unknown unit");
    ts_bad("moment:1+999999999999h", "too large");
    ts_bad("Moment:12", "unknown form");
    ts_bad("foo", "moment:ID");
}

/* The offset of a moment spec on the moment's frame: exact, rounded to the
 * nearest frame (half away from zero), and range-checked. */
static void test_moment_offset_frame(void **state)
{
    (void)state;
    int64_t f;
    reel_error err = {0};
    assert_int_equal(reel_timespec_offset_frame(480000, -5000000000LL, 48000, &f, &err), REEL_OK);
    assert_int_equal(f, 240000);
    assert_int_equal(reel_timespec_offset_frame(480000, 500000000LL, 48000, &f, &err), REEL_OK);
    assert_int_equal(f, 504000);
    /* 10.4 us is half a frame at 48 kHz (20.8333 us): rounds away from 0. */
    assert_int_equal(reel_timespec_offset_frame(100, 10417, 48000, &f, &err), REEL_OK);
    assert_int_equal(f, 101);
    assert_int_equal(reel_timespec_offset_frame(100, -10417, 48000, &f, &err), REEL_OK);
    assert_int_equal(f, 99);
    assert_int_equal(reel_timespec_offset_frame(100, -1000000000LL, 48000, &f, &err), REEL_OK);
    assert_int_equal(f, 100 - 48000); /* negative: the caller decides */
    assert_int_equal(reel_timespec_offset_frame(INT64_MAX, INT64_MAX, 192000, &f, &err),
                     REEL_ERANGE);
    assert_int_equal(reel_timespec_offset_frame(0, 1, 0, &f, &err), REEL_EINVAL);
}

static void test_unknown_and_hints(void **state)
{
    (void)state;
    ts_bad("30s", "write '-30s'");
    ts_bad("1m30s", "write '-1m30s'");
    ts_bad("0.25s", "write '-0.25s'");
    ts_bad("foo", "unknown form");
    ts_bad("foo", "head, start, -30s");
    ts_bad("30x", "unknown form");
    ts_bad("1763632800.25", "write '-1763632800.25'");
    ts_bad("now", "unknown form");
    ts_bad(" head", "unknown form");
    ts_bad("\x01", "\\x01");

    reel_timespec ts;
    reel_error err = {0};
    assert_int_equal(reel_timespec_parse(NULL, &ts, &err), REEL_EINVAL);
    assert_int_equal(reel_timespec_parse("head", NULL, &err), REEL_EINVAL);
    assert_int_equal(reel_timespec_parse("nope", &ts, NULL), REEL_EINVAL);
    assert_int_equal(reel_timespec_parse("nope", &ts, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "'nope'"));
}

/* Every prefix and every single-byte mutation of valid specs either parses
 * or fails cleanly with EINVAL and a one-line message (ASan in the
 * sanitizer build checks nothing is read past the NUL). */
static void test_prefixes_and_mutations(void **state)
{
    (void)state;
    static const char *valid[] = {
        "head", "start", "-1h2m3.5s", "2026-11-20T10:00:00.250+01:00", "@1763632800.25",
        "#480000", "session:abc/seg-1:end",
    };
    static const char bytes[] = "0123456789.:-+/#@ZzTtsmhnu\x80\xff x";
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        size_t len = strlen(valid[v]);
        for (size_t cut = 0; cut <= len; cut++) {
            char buf[64];
            memcpy(buf, valid[v], cut);
            buf[cut] = '\0';
            for (size_t b = 0; b < sizeof bytes; b++) { /* includes the NUL */
                char mut[64];
                memcpy(mut, valid[v], len + 1);
                if (cut < len)
                    mut[cut] = bytes[b];
                for (int pass = 0; pass < 2; pass++) {
                    const char *s = pass ? mut : buf;
                    reel_timespec ts;
                    reel_error err = {0};
                    int rc = reel_timespec_parse(s, &ts, &err);
                    assert_true(rc == REEL_OK || rc == REEL_EINVAL);
                    if (rc)
                        check_one_line(&err);
                    int64_t ns;
                    rc = reel_duration_parse(s, &ns, &err);
                    assert_true(rc == REEL_OK || rc == REEL_EINVAL);
                    if (rc == REEL_OK)
                        assert_true(ns >= 0);
                }
            }
        }
    }
}

/* ---- resolution --------------------------------------------------------- */

static const reel_clock_snapshot test_snaps[] = {
    {.frame = 0, .wall_ns = T2026 * SEC},
    {.frame = 480000, .wall_ns = T2026 * SEC + 10 * SEC},
    {.frame = 960000, .wall_ns = T2026 * SEC + 20 * SEC},
};

static const reel_time_context test_ctx = {
    .head = 960000, .rate = 48000, .snaps = test_snaps, .n_snaps = 3,
};

static int64_t resolve_ok(const char *s, const reel_time_context *ctx)
{
    reel_timespec ts = ts_ok(s);
    reel_error err = {0};
    int64_t frame = 0x5a5a5a5a;
    if (reel_timespec_resolve(&ts, ctx, &frame, &err) != REEL_OK)
        fail_msg("resolving '%s': %s", s, err.msg);
    return frame;
}

static int resolve_rc(const reel_timespec *ts, const reel_time_context *ctx, reel_error *err)
{
    int64_t frame;
    return reel_timespec_resolve(ts, ctx, &frame, err);
}

static void test_resolve_each_kind(void **state)
{
    (void)state;
    assert_int_equal(resolve_ok("head", &test_ctx), 960000);
    assert_int_equal(resolve_ok("start", &test_ctx), 0);
    assert_int_equal(resolve_ok("-10s", &test_ctx), 480000);
    assert_int_equal(resolve_ok("-0.25s", &test_ctx), 960000 - 12000);
    assert_int_equal(resolve_ok("-0s", &test_ctx), 960000);
    assert_int_equal(resolve_ok("#480000", &test_ctx), 480000);
    assert_int_equal(resolve_ok("#0", &test_ctx), 0);
    assert_int_equal(resolve_ok("2026-11-20T10:00:05Z", &test_ctx), 240000);
    assert_int_equal(resolve_ok("2026-11-20T11:00:10+01:00", &test_ctx), 480000);
    assert_int_equal(resolve_ok("@1795168815.5", &test_ctx), 744000);
    assert_int_equal(resolve_ok("2026-11-20T10:00:00.250Z", &test_ctx), 12000);
}

static void test_resolve_outside_the_recording(void **state)
{
    (void)state;
    /* the caller range-checks: these are returned, not refused */
    assert_int_equal(resolve_ok("-30s", &test_ctx), 960000 - 30 * 48000);
    assert_int_equal(resolve_ok("#2000000", &test_ctx), 2000000);
    assert_int_equal(resolve_ok("2026-11-20T09:59:59Z", &test_ctx), -48000);
    assert_int_equal(resolve_ok("2026-11-20T10:00:30Z", &test_ctx), 960000 + 10 * 48000);
}

static void test_resolve_rounding(void **state)
{
    (void)state;
    /* one frame at 48 kHz is 20833.33 ns */
    assert_int_equal(resolve_ok("-10416ns", &test_ctx), 960000);
    assert_int_equal(resolve_ok("-10417ns", &test_ctx), 960000 - 1);
    assert_int_equal(resolve_ok("-1ms", &test_ctx), 960000 - 48);
    reel_time_context c = test_ctx;
    c.rate = 44100;
    assert_int_equal(resolve_ok("-1ms", &c), 960000 - 44);   /* 44.1 */
    assert_int_equal(resolve_ok("-10ms", &c), 960000 - 441); /* exact */
    assert_int_equal(resolve_ok("-0.5s", &c), 960000 - 22050);
    /* exact across a long recording: 100 days of 48 kHz, no double drift */
    c.rate = 48000;
    c.head = 100ULL * 86400 * 48000;
    assert_int_equal(resolve_ok("-2400h0.000020833s", &c), -1);
    assert_int_equal(resolve_ok("-2399h59m59.999979167s", &c), 1);
}

static void test_resolve_errors(void **state)
{
    (void)state;
    reel_error err = {0};
    reel_timespec ts = ts_ok("session:abc/take-2:end");
    assert_int_equal(resolve_rc(&ts, &test_ctx, &err), REEL_EINVAL);
    assert_int_equal(err.code, REEL_EINVAL);
    assert_non_null(strstr(err.msg, "session:abc/take-2:end"));
    assert_non_null(strstr(err.msg, "resolved by sessions"));
    ts = ts_ok("session:abc:start");
    assert_int_equal(resolve_rc(&ts, &test_ctx, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "session:abc:start"));

    /* wall time on a stream with no snapshots */
    reel_time_context c = test_ctx;
    c.snaps = NULL;
    c.n_snaps = 0;
    ts = ts_ok("@1795168800");
    assert_int_equal(resolve_rc(&ts, &c, &err), REEL_ERANGE);
    assert_non_null(strstr(err.msg, "no clock snapshots"));
    check_one_line(&err);
    /* ...but the other forms need none */
    assert_int_equal(resolve_ok("-1s", &c), 960000 - 48000);

    /* rate 0 */
    c = test_ctx;
    c.rate = 0;
    ts = ts_ok("-1s");
    assert_int_equal(resolve_rc(&ts, &c, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "rate"));
    ts = ts_ok("@1795168800");
    assert_int_equal(resolve_rc(&ts, &c, &err), REEL_EINVAL);
    assert_int_equal(resolve_ok("#5", &c), 5);

    /* beyond the signed 64-bit result */
    ts = ts_ok("#9223372036854775808");
    assert_int_equal(resolve_rc(&ts, &test_ctx, &err), REEL_ERANGE);
    assert_int_equal(resolve_ok("#9223372036854775807", &test_ctx), INT64_MAX);
    c = test_ctx;
    c.head = UINT64_MAX;
    ts = ts_ok("head");
    assert_int_equal(resolve_rc(&ts, &c, &err), REEL_ERANGE);
    c.rate = UINT32_MAX;
    c.head = 0;
    ts = ts_ok("-9223372036.854775807s");
    assert_int_equal(resolve_rc(&ts, &c, &err), REEL_ERANGE);

    /* hand-built specs */
    ts.kind = REEL_TS_AGO;
    ts.ago_ns = -1;
    assert_int_equal(resolve_rc(&ts, &test_ctx, &err), REEL_EINVAL);
    ts.kind = (reel_timespec_kind)99;
    assert_int_equal(resolve_rc(&ts, &test_ctx, &err), REEL_EINVAL);
    int64_t frame;
    assert_int_equal(reel_timespec_resolve(NULL, &test_ctx, &frame, &err), REEL_EINVAL);
    ts = ts_ok("head");
    assert_int_equal(reel_timespec_resolve(&ts, NULL, &frame, &err), REEL_EINVAL);
    assert_int_equal(reel_timespec_resolve(&ts, &test_ctx, NULL, &err), REEL_EINVAL);
    assert_int_equal(reel_timespec_resolve(&ts, &test_ctx, &frame, NULL), REEL_OK);
}

static void test_resolve_drifting_clock(void **state)
{
    (void)state;
    /* the wall clock runs 0.1% fast: 10 s of frames take 10.01 s of wall */
    static const reel_clock_snapshot drift[] = {
        {.frame = 0, .wall_ns = T2026 * SEC},
        {.frame = 480000, .wall_ns = T2026 * SEC + 10010 * MS},
        {.frame = 960000, .wall_ns = T2026 * SEC + 20020 * MS},
    };
    reel_time_context c = {.head = 960000, .rate = 48000, .snaps = drift, .n_snaps = 3};
    assert_int_equal(resolve_ok("2026-11-20T10:00:10.010Z", &c), 480000);
    assert_int_equal(resolve_ok("2026-11-20T10:00:15.015Z", &c), 720000);
    assert_int_equal(resolve_ok("@1795168820.02", &c), 960000);
    /* relative specs count frames, not wall time */
    assert_int_equal(resolve_ok("-10s", &c), 480000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_forms),
        cmocka_unit_test(test_duration_bare_number_is_seconds),
        cmocka_unit_test(test_duration_precision_and_rounding),
        cmocka_unit_test(test_duration_rejects),
        cmocka_unit_test(test_duration_message_names_input),
        cmocka_unit_test(test_head_start),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_ago_message_matches_spec),
        cmocka_unit_test(test_iso),
        cmocka_unit_test(test_iso_fraction),
        cmocka_unit_test(test_iso_zones),
        cmocka_unit_test(test_iso_rejects),
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_session_id_length),
        cmocka_unit_test(test_session_rejects),
        cmocka_unit_test(test_moment),
        cmocka_unit_test(test_moment_rejects),
        cmocka_unit_test(test_moment_offset_frame),
        cmocka_unit_test(test_unknown_and_hints),
        cmocka_unit_test(test_prefixes_and_mutations),
        cmocka_unit_test(test_resolve_each_kind),
        cmocka_unit_test(test_resolve_outside_the_recording),
        cmocka_unit_test(test_resolve_rounding),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_resolve_drifting_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
