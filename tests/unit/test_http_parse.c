/*
 * test_http_parse.c — unit tests for http_parse.c: routes (and the paths
 * that must never route), percent-decoding, blob names, Range headers,
 * slice request bodies, listen addresses and bearer tokens; the read
 * resources features register (GET /api/projects...).
 *
 * Owns: the accepted grammars, as examples, and the rejections an attacker
 * would try first. Must never: open a socket or touch a store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "surface/http/http_parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int route(const char *method, const char *uri, reel_http_route *r)
{
    reel_error err = {0};
    int st = reel_http_route_parse(method, uri, r, &err);
    if (st != 200) {
        assert_non_null(r->code);
        assert_true(strlen(err.msg) > 0);
        assert_null(strchr(err.msg, '\n'));
    }
    return st;
}

static void test_routes_sessions(void **state)
{
    (void)state;
    reel_http_route r;
    assert_int_equal(route("GET", "/api/sessions", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSIONS);
    assert_int_equal(route("POST", "/api/sessions", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSIONS);
    assert_int_equal(route("GET", "/api/sessions/ses-0123456789ab", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSION);
    assert_string_equal(r.param, "ses-0123456789ab");
    assert_int_equal(route("POST", "/api/sessions/ses-1/play", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSION_PLAY);
    assert_string_equal(r.param, "ses-1");
    assert_int_equal(route("POST", "/api/sessions/ses-1/stop", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSION_STOP);
    assert_int_equal(route("GET", "/api/sessions/ses-1/export", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSION_EXPORT);
    assert_string_equal(r.format, "json");
    assert_int_equal(route("GET", "/api/sessions/ses-1/export?format=archive", &r), 200);
    assert_string_equal(r.format, "archive");
    assert_int_equal(route("GET", "/api/sessions/ses-1/export?format=json", &r), 200);
    assert_string_equal(r.format, "json");

    /* wrong methods, formats, ids, actions */
    assert_int_equal(route("DELETE", "/api/sessions", &r), 405);
    assert_int_equal(route("GET", "/api/sessions/ses-1/play", &r), 405);
    assert_string_equal(r.allow, "POST");
    assert_int_equal(route("POST", "/api/sessions/ses-1", &r), 405);
    assert_int_equal(route("POST", "/api/sessions/ses-1/export", &r), 405);
    assert_int_equal(route("GET", "/api/sessions/ses-1/export?format=zip", &r), 400);
    assert_int_equal(route("GET", "/api/sessions/ses-1/export?format=", &r), 400);
    assert_int_equal(route("GET", "/api/sessions/ses-1/export?fmt=json", &r), 400);
    assert_int_equal(route("GET", "/api/sessions?format=json", &r), 400);
    assert_int_equal(route("GET", "/api/sessions/ses%2F1", &r), 400);
    assert_string_equal(r.code, "bad_session_id");
    assert_int_equal(route("GET", "/api/sessions/ses-1/..", &r), 400);
    assert_int_equal(route("POST", "/api/sessions/ses-1/pause", &r), 404);
    assert_int_equal(route("GET", "/api/sessions/ses-1/export/x", &r), 404);
}

/* The read resources features register (core/op.h): model/project's
 * "projects" is linked in, so its routes exist here as in the server. */
static void test_routes_resources(void **state)
{
    (void)state;
    reel_http_route r;
    assert_non_null(reel_op_resource_find("projects"));
    assert_null(reel_op_resource_find("no-such-collection"));

    assert_int_equal(route("GET", "/api/projects", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_RESOURCE);
    assert_string_equal(r.op, "project_list");
    assert_string_equal(r.param, "");
    assert_int_equal(route("HEAD", "/api/projects", &r), 200);
    assert_int_equal(route("GET", "/api/projects/prj-0123456789abcdef", &r), 200);
    assert_string_equal(r.op, "project_get");
    assert_string_equal(r.param, "prj-0123456789abcdef");
    assert_string_equal(r.resource->id_arg, "project");
    assert_int_equal(r.n_q, 0);
    assert_int_equal(route("GET", "/api/projects/prj-1?version=blake3%3A" HEX64, &r), 200);
    assert_string_equal(r.op, "project_get");
    assert_int_equal(r.n_q, 1);
    assert_string_equal(r.qkey[0], "version");
    assert_string_equal(r.qval[0], "blake3:" HEX64);
    assert_int_equal(route("GET", "/api/projects/prj-1/history", &r), 200);
    assert_string_equal(r.op, "project_history");
    assert_string_equal(r.param, "prj-1");

    /* wrong methods: 405 with what is allowed */
    assert_int_equal(route("POST", "/api/projects", &r), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    assert_int_equal(route("PUT", "/api/projects/prj-1", &r), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    assert_int_equal(route("DELETE", "/api/projects/prj-1/history", &r), 405);
    assert_string_equal(r.code, "method_not_allowed");
    /* unknown sub-resources and deeper paths: 404 */
    assert_int_equal(route("GET", "/api/projects/prj-1/clips", &r), 404);
    assert_string_equal(r.code, "unknown_route");
    assert_int_equal(route("GET", "/api/projects/prj-1/history/x", &r), 404);
    assert_int_equal(route("GET", "/api/no-such-collection", &r), 404);
    assert_int_equal(route("GET", "/api/no-such-collection/x", &r), 404);
    /* bad ids: 400 */
    assert_int_equal(route("GET", "/api/projects/prj%2F1", &r), 400);
    assert_string_equal(r.code, "bad_id");
    assert_int_equal(route("GET", "/api/projects/prj%201/history", &r), 400);
    assert_string_equal(r.code, "bad_id");
    assert_int_equal(route("GET", "/api/projects/prj.1", &r), 400);
    assert_int_equal(route("GET", "/api/projects/"
                                  "p123456789012345678901234567890123456789012345678901234567890123",
                           &r),
                     400);
    assert_int_equal(route("GET", "/api/projects/..", &r), 400);
    assert_int_equal(route("GET", "/api/projects/", &r), 400);
    /* queries: only the get op's keys, once, and only on an item */
    assert_int_equal(route("GET", "/api/projects?version=x", &r), 400);
    assert_string_equal(r.code, "bad_query");
    assert_int_equal(route("GET", "/api/projects/prj-1/history?version=x", &r), 400);
    assert_int_equal(route("GET", "/api/projects/prj-1?vers=x", &r), 400);
    assert_int_equal(route("GET", "/api/projects/prj-1?version", &r), 400);
    assert_int_equal(route("GET", "/api/projects/prj-1?version=a&version=b", &r), 400);
    assert_int_equal(route("GET", "/api/projects/prj-1?version=%zz", &r), 400);
    /* the built-in routes are not shadowed */
    assert_int_equal(route("GET", "/api/sessions", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_SESSIONS);
}

static void test_routes_match(void **state)
{
    (void)state;
    reel_http_route r;
    assert_int_equal(route("GET", "/api/streams", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_STREAMS);
    assert_int_equal(route("GET", "/api/streams/stream%3A%2F%2Ftone%2Fmain", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_STREAM);
    assert_string_equal(r.param, "stream://tone/main");
    assert_int_equal(route("POST", "/api/streams/stream%3A%2F%2Ftone%2Fslice/slice", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_STREAM_SLICE);
    assert_string_equal(r.param, "stream://tone/slice");
    assert_int_equal(route("GET", "/api/streams/stream%3A%2F%2Fjack%2Fmain/moments", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_STREAM_MOMENTS);
    assert_string_equal(r.param, "stream://jack/main");
    assert_int_equal(route("POST", "/api/streams/stream%3A%2F%2Fjack%2Fmain/moments", &r), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    assert_int_equal(route("GET", "/api/streams/stream%3A%2F%2Fjack%2Fmain/moment", &r), 404);
    assert_int_equal(route("GET", "/api/artifacts?tag=type%3Aslice&tag=a+b", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_ARTIFACTS);
    assert_int_equal(r.n_tags, 2);
    assert_string_equal(r.tags[0], "type:slice");
    assert_string_equal(r.tags[1], "a b");
    assert_int_equal(route("GET", "/api/artifacts/art-0123abcd", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_ARTIFACT);
    assert_string_equal(r.param, "art-0123abcd");
    assert_int_equal(route("HEAD", "/api/artifacts/art-0123abcd/content", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_ARTIFACT_CONTENT);
    assert_int_equal(route("GET", "/api/events", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_EVENTS);
    assert_int_equal(route("GET", "/blobs", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_BLOBS);
    assert_int_equal(route("PUT", "/blobs/blake3:" HEX64, &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_BLOB);
    assert_int_equal(r.hash.b[0], 0x01);
    assert_int_equal(r.hash.b[31], 0xef);
}

static void test_routes_reject(void **state)
{
    (void)state;
    reel_http_route r;
    /* Traversal in every spelling is a malformed path, never a route. */
    assert_int_equal(route("GET", "/blobs/../etc/passwd", &r), 400);
    assert_string_equal(r.code, "bad_path");
    assert_int_equal(route("GET", "/blobs/%2e%2e/x", &r), 400);
    assert_int_equal(route("GET", "/blobs/%2E%2E", &r), 400);
    assert_int_equal(route("GET", "/api/./streams", &r), 400);
    assert_int_equal(route("GET", "/blobs//etc/passwd", &r), 400);
    assert_int_equal(route("GET", "//etc/passwd", &r), 400);
    assert_int_equal(route("GET", "/api/streams/a%00b", &r), 400);
    assert_int_equal(route("GET", "/api/streams/a%0ab", &r), 400);
    assert_int_equal(route("GET", "/api/streams/%zz", &r), 400);
    assert_int_equal(route("GET", "/api/streams/%4", &r), 400);
    assert_int_equal(route("GET", "/api/streams/%", &r), 400);
    assert_int_equal(route("GET", "etc/passwd", &r), 400);
    assert_int_equal(route("GET", "/api/streams/", &r), 400);
    /* Blob names: exactly blake3:<64 lowercase hex>. */
    assert_int_equal(route("GET", "/blobs/%2Fetc%2Fpasswd", &r), 400);
    assert_string_equal(r.code, "bad_blob_name");
    assert_int_equal(route("GET", "/blobs/" HEX64, &r), 400);
    assert_int_equal(route("GET", "/blobs/blake3:0123", &r), 400);
    assert_int_equal(route("GET", "/blobs/blake3:" HEX64 "0", &r), 400);
    assert_int_equal(route("GET", "/blobs/blake3:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", &r), 400);
    assert_int_equal(route("GET", "/api/artifacts/..%2f..%2fetc", &r), 400);
    assert_string_equal(r.code, "bad_artifact_id");
    /* Unknown routes and methods. */
    assert_int_equal(route("GET", "/api", &r), 404);
    assert_int_equal(route("GET", "/api/nothing", &r), 404);
    assert_int_equal(route("GET", "/api/streams/x/y", &r), 404);
    assert_int_equal(route("GET", "/a/b/c/d/e/f/g/h/i/j", &r), 404);
    assert_int_equal(route("DELETE", "/api/streams", &r), 405);
    assert_string_equal(r.allow, "GET, HEAD");
    assert_int_equal(route("GET", "/api/streams/x/slice", &r), 405);
    assert_string_equal(r.allow, "POST");
    assert_int_equal(route("POST", "/blobs/blake3:" HEX64, &r), 405);
    /* Queries: only ?tag= on the artifact list. */
    assert_int_equal(route("GET", "/api/streams?x=1", &r), 400);
    assert_string_equal(r.code, "bad_query");
    assert_int_equal(route("GET", "/api/artifacts?tags=x", &r), 400);
    assert_int_equal(route("GET", "/api/artifacts?tag", &r), 400);
    assert_int_equal(route("GET", "/api/artifacts?tag=%00", &r), 400);
    assert_int_equal(route("GET", "/api/artifacts?&&", &r), 200);
}

/* The web page and the peaks route. */
static void test_routes_web(void **state)
{
    (void)state;
    reel_http_route r;
    assert_int_equal(route("GET", "/", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_PAGE);
    assert_string_equal(r.param, "index.html");
    assert_int_equal(route("HEAD", "/web/app.js", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_PAGE);
    assert_string_equal(r.param, "app.js");
    assert_int_equal(route("GET", "/web/wavesurfer.esm.js", &r), 200);
    assert_string_equal(r.param, "wavesurfer.esm.js");
    assert_int_equal(route("POST", "/", &r), 405);
    assert_int_equal(route("GET", "/?x=1", &r), 400);
    assert_int_equal(route("GET", "/web/.hidden", &r), 400);
    assert_int_equal(route("GET", "/web/%2e%2e", &r), 400);
    assert_int_equal(route("GET", "/web/a%2fb", &r), 400);
    assert_string_equal(r.code, "bad_path");
    assert_int_equal(route("GET", "/web/a b", &r), 400);
    assert_int_equal(route("GET", "/web", &r), 404);
    assert_int_equal(route("GET", "/web/a/b", &r), 404);
    /* Peaks: defaults, then each parameter. */
    assert_int_equal(route("GET", "/api/streams/stream%3A%2F%2Fjack%2Fm/peaks", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_STREAM_PEAKS);
    assert_string_equal(r.param, "stream://jack/m");
    assert_int_equal(r.from.kind, REEL_TS_AGO);
    assert_int_equal(r.from.ago_ns, 120000000000LL);
    assert_int_equal(r.to.kind, REEL_TS_HEAD);
    assert_int_equal(r.bins, REEL_HTTP_PEAK_BINS_DEFAULT);
    assert_int_equal(route("GET", "/api/streams/s/peaks?from=%23480&to=-1.5s&bins=20000", &r),
                     200);
    assert_int_equal(r.from.kind, REEL_TS_FRAME);
    assert_int_equal(r.from.frame, 480);
    assert_int_equal(r.to.kind, REEL_TS_AGO);
    assert_int_equal(r.to.ago_ns, 1500000000LL);
    assert_int_equal(r.bins, 20000);
    assert_int_equal(route("GET", "/api/streams/s/peaks?from=2026-11-20T10:00:00Z&to=head", &r),
                     200);
    assert_int_equal(r.from.kind, REEL_TS_WALL);
    assert_int_equal(route("GET", "/api/streams/s/peaks?from=start", &r), 200);
    assert_int_equal(r.from.kind, REEL_TS_START);
    assert_int_equal(route("GET", "/api/streams/s/peaks?bins=0", &r), 400);
    assert_string_equal(r.code, "bad_query");
    assert_int_equal(route("GET", "/api/streams/s/peaks?bins=20001", &r), 400);
    assert_int_equal(route("GET", "/api/streams/s/peaks?bins=-1", &r), 400);
    assert_int_equal(route("GET", "/api/streams/s/peaks?bins=12x", &r), 400);
    assert_int_equal(route("GET", "/api/streams/s/peaks?bins=99999999999999999999", &r), 400);
    assert_int_equal(route("GET", "/api/streams/s/peaks?from=yesterday", &r), 400);
    assert_string_equal(r.code, "invalid_time_spec");
    assert_int_equal(route("GET", "/api/streams/s/peaks?to=session:x:end", &r), 400);
    assert_string_equal(r.code, "invalid_time_spec");
    assert_int_equal(route("GET", "/api/streams/s/peaks?tag=x", &r), 400);
    assert_string_equal(r.code, "bad_query");
    assert_int_equal(route("GET", "/api/streams/s/peaks?from", &r), 400);
    assert_int_equal(route("GET", "/api/artifacts?bins=3", &r), 400);
    assert_int_equal(route("POST", "/api/streams/s/peaks", &r), 405);
    assert_string_equal(r.allow, "GET, HEAD");
}

static void test_pct_decode(void **state)
{
    (void)state;
    char out[8];
    reel_error err = {0};
    assert_int_equal(reel_http_pct_decode("a%41+", 5, false, out, sizeof out, &err), 0);
    assert_string_equal(out, "aA+");
    assert_int_equal(reel_http_pct_decode("a%41+", 5, true, out, sizeof out, &err), 0);
    assert_string_equal(out, "aA ");
    assert_int_equal(reel_http_pct_decode("1234567", 7, false, out, sizeof out, &err), 0);
    assert_int_equal(reel_http_pct_decode("12345678", 8, false, out, sizeof out, &err),
                     REEL_EINVAL);
    /* The length bounds the read: "%4" followed by bytes outside it. */
    assert_int_equal(reel_http_pct_decode("%41", 2, false, out, sizeof out, &err), REEL_EINVAL);
    assert_int_equal(reel_http_pct_decode("%7f", 3, false, out, sizeof out, &err), REEL_EINVAL);
}

static int range(const char *h, uint64_t size, uint64_t *first, uint64_t *len)
{
    *first = *len = 12345;
    return reel_http_range_parse(h, size, first, len);
}

static void test_range(void **state)
{
    (void)state;
    uint64_t f, n;
    assert_int_equal(range("bytes=0-9", 100, &f, &n), 0);
    assert_int_equal(f, 0);
    assert_int_equal(n, 10);
    assert_int_equal(range("bytes=90-", 100, &f, &n), 0);
    assert_int_equal(f, 90);
    assert_int_equal(n, 10);
    assert_int_equal(range("bytes=90-1000", 100, &f, &n), 0);
    assert_int_equal(n, 10);
    assert_int_equal(range("bytes=-10", 100, &f, &n), 0);
    assert_int_equal(f, 90);
    assert_int_equal(n, 10);
    assert_int_equal(range("bytes=-1000", 100, &f, &n), 0);
    assert_int_equal(f, 0);
    assert_int_equal(n, 100);
    assert_int_equal(range("bytes=99-99", 100, &f, &n), 0);
    assert_int_equal(n, 1);
    /* Unsatisfiable: 416. */
    assert_int_equal(range("bytes=100-", 100, &f, &n), REEL_ERANGE);
    assert_int_equal(range("bytes=100-200", 100, &f, &n), REEL_ERANGE);
    assert_int_equal(range("bytes=-0", 100, &f, &n), REEL_ERANGE);
    assert_int_equal(range("bytes=0-", 0, &f, &n), REEL_ERANGE);
    /* Ignored: the whole resource. */
    assert_int_equal(range("bytes=5-4", 100, &f, &n), 1);
    assert_int_equal(range("bytes=0-1,5-6", 100, &f, &n), 1);
    assert_int_equal(range("items=0-1", 100, &f, &n), 1);
    assert_int_equal(range("bytes=a-b", 100, &f, &n), 1);
    assert_int_equal(range("bytes=", 100, &f, &n), 1);
    assert_int_equal(range("bytes=-", 100, &f, &n), 1);
    assert_int_equal(range("bytes=1-2x", 100, &f, &n), 1);
    assert_int_equal(range("bytes=+1-2", 100, &f, &n), 1);
    assert_int_equal(range("bytes=99999999999999999999-", 100, &f, &n), 1);
}

static int slice_body(const char *json, reel_slice_args *b, reel_error *err)
{
    return reel_slice_args_parse(json, strlen(json), "stream://t/m", b, err);
}

static void test_slice_body(void **state)
{
    (void)state;
    reel_slice_args b;
    reel_error err = {0};
    assert_int_equal(slice_body("{\"last\": \"30s\", \"tags\": [\"a\", \"b\"], \"virtual\": true}",
                                &b, &err),
                     0);
    assert_int_equal(b.req.from.kind, REEL_TS_AGO);
    assert_int_equal(b.req.from.ago_ns, 30000000000LL);
    assert_int_equal(b.req.to.kind, REEL_TS_HEAD);
    assert_true(b.req.clamp);
    assert_true(b.req.is_virtual);
    assert_int_equal(b.req.n_tags, 2);
    assert_string_equal(b.req.tags[1], "b");
    assert_string_equal(b.req.stream_uri, "stream://t/m");
    assert_int_equal(b.req.format, REEL_OUT_WAV);
    reel_slice_args_free(&b);
    assert_int_equal(slice_body("{\"from\": \"#100\", \"to\": \"head\", \"format\": \"flac\", "
                                "\"sample_format\": \"i16\"}",
                                &b, &err),
                     0);
    assert_int_equal(b.req.from.kind, REEL_TS_FRAME);
    assert_int_equal(b.req.from.frame, 100);
    assert_int_equal(b.req.format, REEL_OUT_FLAC);
    assert_true(b.req.has_sample_format);
    assert_int_equal(b.req.sample_format, REEL_SAMPLE_I16);
    assert_false(b.req.clamp);
    reel_slice_args_free(&b);

    static const struct {
        const char *json, *code;
    } bad[] = {
        {"", "malformed_json"},
        {"{\"last\": ", "malformed_json"},
        {"{\"last\": \"1s\"} x", "malformed_json"},
        {"{\"last\": \"1s\", \"last\": \"2s\"}", "malformed_json"},
        {"[]", "invalid_argument"},
        {"{\"last\": \"1s\", \"evil\": 1}", "unknown_field"},
        {"{\"last\": 30}", "invalid_argument"},
        {"{\"last\": \"0s\"}", "invalid_argument"},
        {"{\"last\": \"soon\"}", "invalid_time_spec"},
        {"{\"from\": \"yesterday\", \"to\": \"head\"}", "invalid_time_spec"},
        {"{\"from\": \"#1\"}", "invalid_argument"},
        {"{\"from\": \"#1\", \"to\": \"head\", \"last\": \"1s\"}", "invalid_argument"},
        {"{\"last\": \"1s\", \"virtual\": \"yes\"}", "invalid_argument"},
        {"{\"last\": \"1s\", \"tags\": \"a\"}", "invalid_argument"},
        {"{\"last\": \"1s\", \"tags\": [1]}", "invalid_argument"},
        {"{\"last\": \"1s\", \"tags\": [\"\"]}", "invalid_argument"},
        {"{\"last\": \"1s\", \"tags\": [\"a\\u0000b\"]}", "malformed_json"},
        {"{\"last\": \"1s\", \"format\": \"mp3\"}", "invalid_argument"},
        {"{\"last\": \"1s\", \"sample_format\": \"i8\"}", "invalid_argument"},
        {"{}", "invalid_argument"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reel_error_clear(&err);
        if (slice_body(bad[i].json, &b, &err) == 0)
            fail_msg("accepted: %s", bad[i].json);
        if (strcmp(b.error_code, bad[i].code) != 0)
            fail_msg("%s: code %s, want %s", bad[i].json, b.error_code, bad[i].code);
        assert_null(b.doc);
        assert_true(strlen(err.msg) > 0);
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_listen(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t sl;
    bool lo;
    reel_error err = {0};
    assert_int_equal(reel_http_listen_parse("127.0.0.1:7070", &ss, &sl, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 7070);
    assert_int_equal(reel_http_listen_parse("127.8.9.10:0", &ss, &sl, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(reel_http_listen_parse("localhost:80", &ss, &sl, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(reel_http_listen_parse("[::1]:7070", &ss, &sl, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(reel_http_listen_parse("0.0.0.0:7070", &ss, &sl, &lo, &err), 0);
    assert_false(lo);
    assert_int_equal(reel_http_listen_parse("[::]:7070", &ss, &sl, &lo, &err), 0);
    assert_false(lo);
    assert_int_equal(reel_http_listen_parse("192.168.1.2:1", &ss, &sl, &lo, &err), 0);
    assert_false(lo);
    const char *bad[] = {"7070", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                         "127.0.0.1:80x", "example.com:80", "::1:80", "[::1]80", "[::1",
                         ":80", "300.1.1.1:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (reel_http_listen_parse(bad[i], &ss, &sl, &lo, &err) != REEL_EINVAL)
            fail_msg("accepted listen address '%s'", bad[i]);
}

static void test_bearer(void **state)
{
    (void)state;
    const char *tok = "0123456789abcdef";
    assert_true(reel_http_bearer_ok("Bearer 0123456789abcdef", tok));
    assert_true(reel_http_bearer_ok("bearer 0123456789abcdef", tok));
    assert_false(reel_http_bearer_ok("Bearer 0123456789abcdeX", tok));
    assert_false(reel_http_bearer_ok("Bearer 0123456789abcde", tok));
    assert_false(reel_http_bearer_ok("Bearer 0123456789abcdef0", tok));
    assert_false(reel_http_bearer_ok("Basic 0123456789abcdef", tok));
    assert_false(reel_http_bearer_ok("Bearer ", tok));
    assert_false(reel_http_bearer_ok(NULL, tok));
    assert_false(reel_http_bearer_ok("Bearer ", ""));
}

/* /mcp: POST and DELETE, 405 naming them for GET, nothing below it. */
static void test_mcp_route(void **state)
{
    (void)state;
    reel_http_route r;
    assert_int_equal(route("POST", "/mcp", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_MCP);
    assert_int_equal(route("DELETE", "/mcp", &r), 200);
    assert_int_equal(r.kind, REEL_ROUTE_MCP);
    assert_int_equal(r.method, REEL_HTTP_DELETE);
    assert_int_equal(route("GET", "/mcp", &r), 405);
    assert_string_equal(r.allow, "POST, DELETE");
    assert_int_equal(route("PUT", "/mcp", &r), 405);
    assert_int_equal(route("POST", "/mcp/x", &r), 404);
    assert_int_equal(route("POST", "/mcp?x=1", &r), 400);
    assert_int_equal(route("POST", "/%6dcp", &r), 200); /* the same path, escaped */
    assert_int_equal(route("DELETE", "/api/streams", &r), 405);
}

static void test_origin(void **state)
{
    (void)state;
    const char *self = "http://192.168.1.5:7070";
    const char *good[] = {"http://localhost", "http://localhost:3000", "https://LOCALHOST:1",
                          "http://127.0.0.1:7070", "http://127.8.9.10", "http://[::1]:5173",
                          "http://192.168.1.5:7070"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(reel_http_origin_ok(good[i], self));
    const char *bad[] = {"null", "", "http://evil.example", "http://localhost.evil.example",
                         "http://127.0.0.1.evil.example", "http://192.168.1.5:7071",
                         "https://192.168.1.5:7070", "http://192.168.1.5", "file://localhost",
                         "http://localhost/path", "http://localhost:", "http://[::1",
                         "http://[::2]:80", "http://128.0.0.1", "localhost", "http://",
                         "http://localhost:80x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (reel_http_origin_ok(bad[i], self))
            fail_msg("origin '%s' accepted", bad[i]);
    }
    assert_false(reel_http_origin_ok(NULL, self));
    assert_false(reel_http_origin_ok("http://192.168.1.5:7070", NULL));
}

/* WebSocket client frames: RFC 6455 section 5.7's masked "Hello", a 16-bit
 * length, too few bytes, and every refusal. */
static void test_ws_frames(void **state)
{
    (void)state;
    reel_ws_frame f;
    uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(reel_ws_frame_parse(hello, sizeof hello, 100, &f), 11);
    assert_true(f.fin && f.op == 1 && f.header == 6 && f.len == 5);
    char text[6] = {0};
    for (int i = 0; i < 5; i++)
        text[i] = (char)(hello[6 + i] ^ f.mask[i & 3]);
    assert_string_equal(text, "Hello");
    for (size_t n = 0; n < sizeof hello; n++) /* every prefix: wait for more */
        assert_int_equal(reel_ws_frame_parse(hello, n, 100, &f), 0);
    static uint8_t big[8 + 300] = {0x02, 0xfe, 0x01, 0x2c, 1, 2, 3, 4};
    assert_int_equal(reel_ws_frame_parse(big, sizeof big, 300, &f), 308);
    assert_true(!f.fin && f.op == 2 && f.header == 8 && f.len == 300);
    assert_int_equal(reel_ws_frame_parse(big, sizeof big, 299, &f), -1009);
    uint8_t huge[14] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 1}; /* 65537 bytes */
    assert_int_equal(reel_ws_frame_parse(huge, sizeof huge, 65536, &f), -1009);
    uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(reel_ws_frame_parse(unmasked, sizeof unmasked, 100, &f), -1002);
    uint8_t rsv[] = {0xc1, 0x80, 0, 0, 0, 0};
    assert_int_equal(reel_ws_frame_parse(rsv, sizeof rsv, 100, &f), -1002);
    uint8_t op3[] = {0x83, 0x80, 0, 0, 0, 0};
    assert_int_equal(reel_ws_frame_parse(op3, sizeof op3, 100, &f), -1002);
    uint8_t ping_frag[] = {0x09, 0x80, 0, 0, 0, 0};
    assert_int_equal(reel_ws_frame_parse(ping_frag, sizeof ping_frag, 100, &f), -1002);
    uint8_t ping_long[] = {0x89, 0xfe, 0, 126};
    assert_int_equal(reel_ws_frame_parse(ping_long, sizeof ping_long, 1000, &f), -1002);
    uint8_t close[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8};
    assert_int_equal(reel_ws_frame_parse(close, sizeof close, 100, &f), 8);
    assert_true(f.op == 8 && f.len == 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_frames),
        cmocka_unit_test(test_routes_match),  cmocka_unit_test(test_routes_resources),
        cmocka_unit_test(test_routes_sessions), cmocka_unit_test(test_routes_reject),
        cmocka_unit_test(test_routes_web),
        cmocka_unit_test(test_pct_decode),   cmocka_unit_test(test_range),
        cmocka_unit_test(test_slice_body),   cmocka_unit_test(test_listen),
        cmocka_unit_test(test_bearer),       cmocka_unit_test(test_mcp_route),
        cmocka_unit_test(test_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
