/*
 * test_follow_plan.c — follow actions expanded (model/follow): chances
 * against their percentages over 1 000 draws (chi-square, several seeds),
 * Any's and Other's draws (Other never repeats unless alone), the picks
 * Next/Previous/First/Last by position with wrapping, gapless chains,
 * quantized starts on the beat, the same seed the same voices and another
 * seed others, a chain that never stops ending at the horizon, a loop of
 * empty timelines refused, a marker removed since doing nothing (noted),
 * and attachments refused field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/follow/follow_doc.h"
#include "model/follow/follow_plan.h"

#include <stdio.h>
#include <string.h>

/* A project at 48 kHz, 120 bpm, seed `seed`, timeline "t" (seconds) with
 * `n` clips of `len` frames in group "g" at 0, 1, 2 ... seconds, ids x0..,
 * and the attachments `follow` (a JSON array). */
static json_t *doc_make(uint64_t seed, int n, int len, const char *follow)
{
    json_t *clips = json_array();
    for (int i = 0; i < n; i++) {
        char id[8];
        snprintf(id, sizeof id, "x%d", i);
        json_array_append_new(clips, json_pack("{ss ss ss si ss s{si si si} si si}", "id", id,
                                               "kind", "audio", "track", "k", "at", i, "group",
                                               "g", "source", "rate", 48000, "channels", 1,
                                               "frames", 100000, "start", 0, "end", len));
    }
    json_error_t je;
    json_t *f = json_loads(follow, 0, &je);
    if (!f)
        fail_msg("follow JSON: %s", je.text);
    return json_pack("{si sI s[{si si si si}] s[{ss ss so s[]}] so}", "rate", 48000, "seed",
                     (json_int_t)seed, "tempo", "beat", 0, "bpm", 120, "num", 4, "den", 4,
                     "timelines", "id", "t", "timebase", "seconds", "clips", clips, "markers",
                     "follow", f);
}

static reel_follow_plan *build(json_t *doc, int64_t horizon)
{
    reel_follow_plan *p = NULL;
    reel_error e = {0};
    json_t *tl = json_array_get(json_object_get(doc, "timelines"), 0);
    int rc = reel_follow_plan_build(doc, tl, horizon, reel_follow_len_from_doc, doc, &p, &e);
    if (rc)
        fail_msg("build: %s", e.msg);
    return p;
}

static const char *log_str(const reel_follow_plan *p, size_t i, const char *k)
{
    return json_string_value(json_object_get(json_array_get(p->log, i), k));
}

static void test_chances(void **state)
{
    (void)state;
    /* A = First (x0), B = Last (x1), A at 70 %: every draw goes on */
    for (uint64_t seed = 1; seed <= 5; seed++) {
        json_t *doc = doc_make(seed, 2, 100,
                               "[{\"id\":\"f1\",\"scope\":\"group\",\"target\":\"g\","
                               "\"timeline\":\"t\",\"chance\":70,\"a\":{\"action\":\"First\"},"
                               "\"b\":{\"action\":\"Last\"}}]");
        reel_follow_plan *p = build(doc, 100 * 1001);
        assert_int_equal(json_array_size(p->log), 1000);
        int a = 0;
        for (size_t i = 0; i < 1000; i++)
            a += strcmp(log_str(p, i, "choice"), "a") == 0;
        double chi = (a - 700.0) * (a - 700.0) / 700 + (300.0 - (1000 - a)) *
                                                            (300.0 - (1000 - a)) / 300;
        if (chi > 10.83) /* p = 0.001, one degree of freedom */
            fail_msg("seed %llu: A chosen %d times in 1000 at 70 %%: chi-square %.2f",
                     (unsigned long long)seed, a, chi);
        /* gapless: each voice starts on the frame the one before ends */
        assert_true(p->open);
        for (size_t k = 1; k < p->n_voice; k++)
            assert_int_equal(p->voice[k].at, p->voice[k - 1].at + p->voice[k - 1].len);
        reel_follow_plan_free(p);
        json_decref(doc);
    }
}

static void test_any_other(void **state)
{
    (void)state;
    json_t *doc = doc_make(42, 3, 100, "[{\"id\":\"f1\",\"scope\":\"group\",\"target\":\"g\","
                                       "\"timeline\":\"t\",\"a\":{\"action\":\"Any\"}}]");
    reel_follow_plan *p = build(doc, 100 * 3001);
    int n[3] = {0};
    for (size_t i = 0; i < json_array_size(p->log); i++)
        n[log_str(p, i, "to")[1] - '0']++;
    double chi = 0;
    for (int k = 0; k < 3; k++)
        chi += (n[k] - 1000.0) * (n[k] - 1000.0) / 1000;
    if (chi > 13.82) /* p = 0.001, two degrees of freedom */
        fail_msg("Any: %d %d %d in 3000: chi-square %.2f", n[0], n[1], n[2], chi);
    reel_follow_plan_free(p);
    json_decref(doc);

    doc = doc_make(42, 3, 100, "[{\"id\":\"f1\",\"scope\":\"group\",\"target\":\"g\","
                               "\"timeline\":\"t\",\"a\":{\"action\":\"Other\"}}]");
    p = build(doc, 100 * 501);
    for (size_t i = 0; i < json_array_size(p->log); i++)
        assert_string_not_equal(log_str(p, i, "from"), log_str(p, i, "to"));
    reel_follow_plan_free(p);
    json_decref(doc);
    /* alone, Other plays it again */
    doc = doc_make(42, 1, 100, "[{\"id\":\"f1\",\"scope\":\"group\",\"target\":\"g\","
                               "\"timeline\":\"t\",\"a\":{\"action\":\"Other\"}}]");
    p = build(doc, 1000);
    assert_int_equal(p->n_voice, 10);
    assert_string_equal(log_str(p, 0, "to"), "x0");
    reel_follow_plan_free(p);
    json_decref(doc);
}

static void sequence(const char *action, const char *want)
{
    char follow[256];
    snprintf(follow, sizeof follow, "[{\"id\":\"f1\",\"scope\":\"group\",\"target\":\"g\","
                                    "\"timeline\":\"t\",\"a\":{\"action\":\"%s\"}}]", action);
    json_t *doc = doc_make(1, 3, 100, follow);
    reel_follow_plan *p = build(doc, 100 * 7);
    char got[16] = {0};
    for (size_t k = 0; k < p->n_voice && k < 7; k++)
        got[k] = (char)('0' + (json_string_value(json_object_get(p->voice[k].clip, "id"))[1] -
                               '0'));
    if (strcmp(got, want) != 0)
        fail_msg("%s: played %s, want %s", action, got, want);
    reel_follow_plan_free(p);
    json_decref(doc);
}

static void test_picks(void **state)
{
    (void)state;
    sequence("PlayNextClip", "0120120");
    sequence("Previous", "0210210");
    sequence("First", "0000000");
    sequence("Last", "0222222");
    sequence("PlayAgain", "0000000");
}

static void test_seeds_quantize(void **state)
{
    (void)state;
    const char *f = "[{\"id\":\"f1-ab12\",\"scope\":\"group\",\"target\":\"g\",\"timeline\":\"t\","
                    "\"a\":{\"action\":\"RandomClipInGroup\"}}]";
    json_t *d1 = doc_make(5, 3, 100, f), *d2 = doc_make(5, 3, 100, f), *d3 = doc_make(6, 3, 100, f);
    reel_follow_plan *p1 = build(d1, 10000), *p2 = build(d2, 10000), *p3 = build(d3, 10000);
    assert_int_equal(p1->n_voice, p2->n_voice);
    bool differ = false;
    for (size_t k = 0; k < p1->n_voice; k++) {
        assert_ptr_equal(json_object_get(p1->voice[k].clip, "id") != NULL, 1);
        assert_string_equal(json_string_value(json_object_get(p1->voice[k].clip, "id")),
                            json_string_value(json_object_get(p2->voice[k].clip, "id")));
        differ |= strcmp(json_string_value(json_object_get(p1->voice[k].clip, "id")),
                         json_string_value(json_object_get(p3->voice[k].clip, "id"))) != 0;
    }
    assert_true(differ);
    reel_follow_plan_free(p1);
    reel_follow_plan_free(p2);
    reel_follow_plan_free(p3);
    json_decref(d1);
    json_decref(d2);
    json_decref(d3);
    /* quantized to the beat (24000 frames at 120 bpm): 100-frame clips restart on beats */
    json_t *dq = doc_make(1, 1, 100, "[{\"id\":\"f1\",\"scope\":\"clip\",\"target\":\"x0\","
                                     "\"quantize\":\"beat\",\"a\":{\"action\":\"PlayAgain\"}}]");
    reel_follow_plan *pq = build(dq, 24000 * 4);
    assert_int_equal(pq->n_voice, 4);
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(pq->voice[k].at, (int64_t)k * 24000);
    reel_follow_plan_free(pq);
    json_decref(dq);
}

static void test_loops_refused(void **state)
{
    (void)state;
    /* two empty timelines that start each other when they end */
    json_t *doc = doc_make(1, 0, 100, "[{\"id\":\"f1\",\"scope\":\"timeline\",\"target\":\"t\","
                                      "\"a\":{\"action\":\"PlayTimeline\",\"timeline\":\"u\"}},"
                                      "{\"id\":\"f2\",\"scope\":\"timeline\",\"target\":\"u\","
                                      "\"a\":{\"action\":\"PlayTimeline\",\"timeline\":\"t\"}}]");
    json_array_append_new(json_object_get(doc, "timelines"),
                          json_pack("{ss ss s[] s[]}", "id", "u", "timebase", "seconds", "clips",
                                    "markers"));
    reel_follow_plan *p = NULL;
    reel_error e = {0};
    json_t *tl = json_array_get(json_object_get(doc, "timelines"), 0);
    assert_int_equal(reel_follow_plan_build(doc, tl, 480000, reel_follow_len_from_doc, doc, &p,
                                            &e), REEL_EINVAL);
    assert_non_null(strstr(e.msg, "no time passing"));
    assert_null(p);
    json_decref(doc);
    /* a marker removed since: nothing done, and the log says so */
    doc = doc_make(1, 2, 100, "[{\"id\":\"f1\",\"scope\":\"clip\",\"target\":\"x0\","
                              "\"a\":{\"action\":\"JumpToMarker\",\"marker\":\"gone\"}}]");
    p = build(doc, 480000);
    assert_int_equal(json_array_size(p->log), 1);
    assert_non_null(strstr(log_str(p, 0, "note"), "nothing done"));
    assert_int_equal(p->n_voice, 1); /* x0 played; x1, in its group, waits to be picked */
    reel_follow_plan_free(p);
    json_decref(doc);
}

static void refused(const char *text, const char *part)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    reel_follow f;
    reel_error e = {0};
    int rc = reel_follow_parse(j, &f, &e);
    if (rc != REEL_EINVAL || !strstr(e.msg, part))
        fail_msg("%s: got %d '%s', want '%s'", text, rc, e.msg, part);
    json_decref(j);
}

static void test_parse(void **state)
{
    (void)state;
    refused("{\"id\":\"f\",\"scope\":\"track\",\"target\":\"x\"}", "scope");
    refused("{\"id\":\"f\",\"scope\":\"clip\"}", "target");
    refused("{\"id\":\"f\",\"scope\":\"group\",\"target\":\"g\"}", "timeline");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"a\":{\"action\":\"Fly\"}}",
            "none of");
    refused("{\"id\":\"f\",\"scope\":\"timeline\",\"target\":\"t\",\"a\":{\"action\":"
            "\"Stop\"},\"b\":{\"action\":\"Any\"}}", "Any picks a clip");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"chance\":101}", "chance");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"chance\":-1}", "chance");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"linked\":false}", "after");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"linked\":false,\"after\":0}",
            "after");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"linked\":false,\"after\":-2}",
            "after");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"loops\":0}", "loops");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"after\":1}", "unlinked");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"quantize\":\"tick\"}",
            "quantize");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"a\":{\"action\":\"JumpToMarker\"}}",
            "marker");
    refused("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"a\":{\"action\":\"LoopClip\","
            "\"count\":0}}", "count");
    reel_follow f;
    reel_error e = {0};
    json_t *j = json_loads("{\"id\":\"f\",\"scope\":\"clip\",\"target\":\"x\",\"chance\":30,"
                           "\"a\":{\"action\":\"Stop\"},\"b\":{\"action\":\"PlayNextClip\"}}", 0,
                           NULL);
    assert_int_equal(reel_follow_parse(j, &f, &e), 0);
    assert_int_equal(f.a.kind, REEL_FOLLOW_STOP);
    assert_int_equal(f.b.kind, REEL_FOLLOW_NEXT);
    assert_int_equal(f.chance, 30);
    assert_true(f.linked && f.loops == 1);
    assert_string_equal(f.quantize, "none");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chances),
        cmocka_unit_test(test_any_other),
        cmocka_unit_test(test_picks),
        cmocka_unit_test(test_seeds_quantize),
        cmocka_unit_test(test_loops_refused),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
