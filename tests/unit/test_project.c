/*
 * test_project.c — model/project through reel_service_call, offline, on a
 * store holding one recorded stream (known samples) and one imported-audio
 * artifact.
 *
 * - edits answer new versions whose parent is the old head; undo and redo
 *   move the head; a stale base is a conflict and changes nothing;
 * - 1000 seeded random edits, then every undo gives back each earlier
 *   version's hash down to the first, every redo each later one up to the
 *   last; GC run between edits (every blob aged past its grace) removes no
 *   version and no source a reachable version uses, while an unreferenced
 *   blob planted beside them goes;
 * - split then join gives back the original clip field for field, on a
 *   seconds and on a beats timeline;
 * - take_place names the window's frames: its virtual slice renders the
 *   recorded samples, compared with the input this test generated;
 * - bad input of every kind the issue lists is refused with one message and
 *   leaves the head where it was;
 * - prune keeps the head's last versions and the redo stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "service/service.h"
#include "model/project/project_doc.h"
#include "slice/slice.h"
#include "store/gc.h"

#include <sndfile.h>

#define URI "stream://test/take"
#define RATE 48000
#define CH 2
#define CF 4800
#define FRAMES (RATE * 4)
#define IMPORT_FRAMES 96000

typedef struct fx {
    char dir[PATH_MAX];
    float *in;
    reel_service *svc;
    char audio_art[REEL_ARTIFACT_ID_MAX]; /* an "imported" audio artifact */
    char audio_hash[80];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f || !test_tmpdir_make(f->dir, sizeof f->dir, "project"))
        return -1;
    reel_store *st = tsu_open_store(f->dir);
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CF);
    f->in = tsu_make_input((size_t)FRAMES * CH, 7);
    tsu_record(st, &def, f->in, FRAMES);
    /* What `reel import` records (model/import): the file's bytes in CAS,
     * an artifact of kind audio whose meta gives its shape. */
    reel_error err;
    static const char bytes[] = "not really a wav, but a blob of its own";
    reel_artifact a;
    memset(&a, 0, sizeof a);
    assert_int_equal(reel_artifact_new_id(&a, &err), 0);
    assert_int_equal(reel_cas_put_buf(reel_store_cas(st), bytes, sizeof bytes, &a.content, &err),
                     0);
    snprintf(a.mime, sizeof a.mime, "audio/wav");
    snprintf(a.kind, sizeof a.kind, "audio");
    snprintf(a.creator, sizeof a.creator, "test");
    a.created_ns = reel_clock_wall_now();
    a.from_frame = a.to_frame = -1;
    json_t *meta = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:f}", "name", "x.wav", "format",
                             "WAV", "subtype", "PCM_16", "rate", RATE, "channels", CH, "frames",
                             IMPORT_FRAMES, "duration_s", 2.0);
    reel_artifact_refs refs = {.meta = meta};
    assert_int_equal(reel_store_artifact_put(st, &a, &refs, &err), 0);
    json_decref(meta);
    snprintf(f->audio_art, sizeof f->audio_art, "%s", a.id);
    reel_hash_to_string(&a.content, f->audio_hash);
    reel_store_close(st);
    if (reel_service_open(&f->svc, f->dir, &err) != REEL_OK)
        fail_msg("service: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    reel_service_close(f->svc);
    test_tmpdir_remove(f->dir);
    free(f->in);
    free(f);
    return 0;
}

/* Call op `name` with args (consumed); returns the code, *out the reply. */
static int call(fx *f, const char *name, json_t *args, json_t **out, reel_error *err)
{
    *out = NULL;
    int rc = reel_service_call(f->svc, name, args, "test", out, err);
    json_decref(args);
    return rc;
}

static json_t *ok(fx *f, const char *name, json_t *args)
{
    json_t *out;
    reel_error err;
    char what[512];
    char *txt = json_dumps(args, JSON_COMPACT);
    snprintf(what, sizeof what, "%s %s", name, txt ? txt : "?");
    free(txt);
    if (call(f, name, args, &out, &err) != REEL_OK)
        fail_msg("%s: %s", what, err.msg);
    return out;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s)
        fail_msg("no \"%s\" in the reply", k);
    return s;
}

static void head_of(fx *f, const char *p, char out[80])
{
    json_t *h = ok(f, "project_history", json_pack("{s:s}", "project", p));
    snprintf(out, 80, "%s", str(h, "head"));
    json_decref(h);
}

static json_t *document(fx *f, const char *p)
{
    json_t *g = ok(f, "project_get", json_pack("{s:s}", "project", p));
    json_t *d = json_incref(json_object_get(g, "document"));
    json_decref(g);
    return d;
}

static void new_project(fx *f, char p[64], char track[64])
{
    json_t *r = ok(f, "project_create", json_pack("{s:s, s:i}", "name", "t", "seed", 42));
    snprintf(p, 64, "%s", str(r, "project"));
    json_decref(r);
    r = ok(f, "track_add", json_pack("{s:s, s:s}", "project", p, "name", "one"));
    snprintf(track, 64, "%s", str(r, "track"));
    json_decref(r);
}

static void test_versions_undo_redo_conflict(void **state)
{
    fx *f = *state;
    char p[64], t[64], v1[80], v2[80], v3[80];
    new_project(f, p, t);
    head_of(f, p, v1);
    json_t *r = ok(f, "clip_add", json_pack("{s:s, s:s, s:f, s:s}", "project", p, "track", t,
                                            "at", 1.5, "source", f->audio_art));
    assert_string_equal(str(r, "parent"), v1);
    snprintf(v2, sizeof v2, "%s", str(r, "version"));
    json_decref(r);
    /* The version is a content hash of a document that names its parent. */
    json_t *g = ok(f, "project_get", json_pack("{s:s, s:s}", "project", p, "version", v2));
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "document"),
                                                          "parent")), v1);
    json_decref(g);
    /* A stale base: refused, nothing changes. */
    json_t *out;
    reel_error err;
    assert_int_equal(call(f, "track_add", json_pack("{s:s, s:s}", "project", p, "base", v1), &out,
                          &err), REEL_ECONFLICT);
    assert_non_null(strstr(err.msg, "head"));
    head_of(f, p, v3);
    assert_string_equal(v3, v2);
    /* With the right base it lands. */
    r = ok(f, "track_add", json_pack("{s:s, s:s}", "project", p, "base", v2));
    snprintf(v3, sizeof v3, "%s", str(r, "version"));
    json_decref(r);
    r = ok(f, "project_undo", json_pack("{s:s}", "project", p));
    assert_string_equal(str(r, "version"), v2);
    json_decref(r);
    /* Undo with a stale base is a conflict too. */
    assert_int_equal(call(f, "project_undo", json_pack("{s:s, s:s}", "project", p, "base", v3),
                          &out, &err), REEL_ECONFLICT);
    r = ok(f, "project_redo", json_pack("{s:s}", "project", p));
    assert_string_equal(str(r, "version"), v3);
    json_decref(r);
    assert_int_equal(call(f, "project_redo", json_pack("{s:s}", "project", p), &out, &err),
                     REEL_ESTATE);
    /* An edit after undo drops the redo branch from the head but keeps it
     * in the history. */
    json_decref(ok(f, "project_undo", json_pack("{s:s}", "project", p)));
    json_decref(ok(f, "marker_add", json_pack("{s:s, s:s, s:i}", "project", p, "name", "m", "at",
                                              2)));
    assert_int_equal(call(f, "project_redo", json_pack("{s:s}", "project", p), &out, &err),
                     REEL_ESTATE);
    json_t *h = ok(f, "project_history", json_pack("{s:s}", "project", p));
    bool kept = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(h, "versions"), i, v) kept |=
        strcmp(str(v, "version"), v3) == 0;
    assert_true(kept);
    json_decref(h);
    /* Every version is an artifact of kind project whose parent is the
     * previous version's artifact. */
    reel_store *st = tsu_open_store(f->dir);
    h = ok(f, "project_history", json_pack("{s:s}", "project", p));
    json_t *prev = NULL;
    json_array_foreach(json_object_get(h, "versions"), i, v) {
        reel_artifact a;
        assert_int_equal(reel_db_artifact_get(reel_store_db(st), str(v, "artifact"), &a, &err), 0);
        assert_string_equal(a.kind, "project");
        char hs[80];
        reel_hash_to_string(&a.content, hs);
        assert_string_equal(hs, str(v, "version"));
        if (json_object_get(v, "parent") && json_is_string(json_object_get(v, "parent"))) {
            json_t *pv;
            size_t k;
            json_array_foreach(json_object_get(h, "versions"), k, pv) {
                if (strcmp(str(pv, "version"), str(v, "parent")) == 0)
                    prev = pv;
            }
            assert_non_null(prev);
            assert_string_equal(a.parent, str(prev, "artifact"));
        }
        reel_artifact_clear(&a);
    }
    json_decref(h);
    reel_store_close(st);
}

/* ---- 1000 random edits ----------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random clip id of the head (NULL if there is none). */
static const char *pick_clip(json_t *doc, uint64_t *rng, char out[64])
{
    json_t *clips = json_object_get(json_array_get(json_object_get(doc, "timelines"), 0), "clips");
    size_t n = json_array_size(clips);
    if (!n)
        return NULL;
    snprintf(out, 64, "%s", json_string_value(json_object_get(json_array_get(clips,
                                                                            rng_next(rng) % n),
                                                              "id")));
    return out;
}

/* Age every blob past any grace period, plant an unreferenced one, run
 * GC: the planted blob goes, nothing a version uses does. */
static void gc_everything_old(fx *f, const char *p)
{
    reel_store *st = tsu_open_store(f->dir);
    reel_error err;
    reel_hash junk;
    char junk_txt[64];
    snprintf(junk_txt, sizeof junk_txt, "junk %lld", (long long)reel_clock_wall_now());
    assert_int_equal(reel_cas_put_buf(reel_store_cas(st), junk_txt, strlen(junk_txt), &junk, &err),
                     0);
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "find '%s/cas/content' -type f -exec touch -d '2 days ago' {} +",
             f->dir);
    assert_int_equal(system(cmd), 0);
    reel_gc_opts o = {.grace_ns = 3600LL * 1000000000LL};
    reel_gc_report rep;
    if (reel_gc(st, &o, &rep, NULL, NULL, &err) != REEL_OK)
        fail_msg("gc: %s", err.msg);
    assert_false(reel_cas_has(reel_store_cas(st), &junk));
    /* Every version of the history still loads, and every source it names
     * is still there. */
    json_t *h = ok(f, "project_history", json_pack("{s:s}", "project", p));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(h, "versions"), i, v) {
        json_t *g = ok(f, "project_get", json_pack("{s:s, s:s}", "project", p, "version",
                                                   str(v, "version")));
        json_decref(g);
    }
    json_decref(h);
    reel_artifact a;
    assert_int_equal(reel_db_artifact_get(reel_store_db(st), f->audio_art, &a, &err), 0);
    assert_true(reel_cas_has(reel_store_cas(st), &a.content));
    reel_artifact_clear(&a);
    reel_store_close(st);
}

static void test_random_edits_undo_redo(void **state)
{
    fx *f = *state;
    char p[64], t[64];
    new_project(f, p, t);
    uint64_t seed = 0x5eed2026u, rng = seed;
    print_message("random edits: seed %llu\n", (unsigned long long)seed);
    enum { EDITS = 1000 };
    char(*versions)[80] = calloc(EDITS + 1, sizeof *versions);
    head_of(f, p, versions[0]);
    size_t n = 0;
    int failures = 0;
    for (int k = 0; n < EDITS; k++) {
        assert_true(k < 4 * EDITS);
        json_t *doc = document(f, p);
        char clip[64], clip2[64];
        json_t *args = NULL;
        const char *op = NULL;
        switch (rng_next(&rng) % 10) {
        case 0:
        case 1:
            op = "clip_add";
            args = json_pack("{s:s, s:s, s:f, s:s, s:I, s:I}", "project", p, "track", t, "at",
                             (double)(rng_next(&rng) % 4000) / 8.0, "source", f->audio_art,
                             "start", (json_int_t)(rng_next(&rng) % 1000), "end",
                             (json_int_t)(48000 + rng_next(&rng) % 48000));
            break;
        case 2:
            if (!pick_clip(doc, &rng, clip))
                break;
            op = "clip_move";
            args = json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "at",
                             (double)(rng_next(&rng) % 8000) / 16.0);
            break;
        case 3:
            if (!pick_clip(doc, &rng, clip))
                break;
            op = "clip_update";
            args = json_pack("{s:s, s:s, s:f, s:f}", "project", p, "clip", clip, "gain",
                             (double)(rng_next(&rng) % 100) / 50.0, "pan",
                             (double)(rng_next(&rng) % 200) / 100.0 - 1.0);
            break;
        case 4: {
            if (!pick_clip(doc, &rng, clip))
                break;
            /* Split at a position inside the clip (1/8 s steps; may miss
             * near an edge, which must fail cleanly). */
            json_t *tl, *c = reel_project_clip_find(doc, clip, &tl, NULL);
            double at = json_number_value(json_object_get(c, "at"));
            op = "clip_split";
            args = json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "at",
                             at + (double)(1 + rng_next(&rng) % 16) / 8.0);
            break;
        }
        case 5: {
            /* Join the two halves of a split if there is such a pair. */
            json_t *clips =
                json_object_get(json_array_get(json_object_get(doc, "timelines"), 0), "clips");
            size_t i;
            json_t *c;
            clip[0] = '\0';
            json_array_foreach(clips, i, c) {
                json_t *d = json_array_get(clips, i + 1);
                if (d && json_integer_value(json_object_get(c, "end")) ==
                             json_integer_value(json_object_get(d, "start"))) {
                    snprintf(clip, 64, "%s", json_string_value(json_object_get(c, "id")));
                    snprintf(clip2, 64, "%s", json_string_value(json_object_get(d, "id")));
                    break;
                }
            }
            if (!clip[0])
                break;
            op = "clip_join";
            args = json_pack("{s:s, s:[s, s]}", "project", p, "clips", clip, clip2);
            break;
        }
        case 6:
            if (!pick_clip(doc, &rng, clip))
                break;
            op = "clip_remove";
            args = json_pack("{s:s, s:s}", "project", p, "clip", clip);
            break;
        case 7:
            op = "marker_add";
            args = json_pack("{s:s, s:s, s:f}", "project", p, "name", "m", "at",
                             (double)(rng_next(&rng) % 100));
            break;
        case 8:
            op = "timeline_event_add";
            args = json_pack("{s:s, s:f, s:s}", "project", p, "at",
                             (double)(rng_next(&rng) % 100), "type", "timeline_play");
            break;
        default:
            op = "tempo_set";
            args = json_pack("{s:s, s:[{s:i, s:f, s:i, s:i}, {s:i, s:f, s:i, s:i}]}", "project",
                             p, "tempo", "beat", 0, "bpm", 60.0 + (double)(rng_next(&rng) % 120),
                             "num", 4, "den", 4, "beat", 16, "bpm",
                             60.0 + (double)(rng_next(&rng) % 120), "num", 3, "den", 4);
            break;
        }
        json_decref(doc);
        if (!op)
            continue;
        json_t *out;
        reel_error err;
        json_object_set_new(args, "base", json_string(versions[n]));
        int rc = call(f, op, args, &out, &err);
        if (rc) {
            /* A refused edit changes nothing. */
            failures++;
            char now[80];
            head_of(f, p, now);
            assert_string_equal(now, versions[n]);
            continue;
        }
        assert_string_equal(str(out, "parent"), versions[n]);
        snprintf(versions[++n], 80, "%s", str(out, "version"));
        json_decref(out);
        if (n % 250 == 0)
            gc_everything_old(f, p);
    }
    print_message("random edits: %d refused along the way\n", failures);
    for (size_t k = n; k > 0; k--) {
        json_t *r = ok(f, "project_undo", json_pack("{s:s}", "project", p));
        assert_string_equal(str(r, "version"), versions[k - 1]);
        json_decref(r);
    }
    for (size_t k = 1; k <= n; k++) {
        json_t *r = ok(f, "project_redo", json_pack("{s:s}", "project", p));
        assert_string_equal(str(r, "version"), versions[k]);
        json_decref(r);
    }
    gc_everything_old(f, p);
    free(versions);
}

/* ---- split and join ------------------------------------------------------------ */

static void split_join_on(fx *f, const char *timebase)
{
    char p[64], t[64];
    new_project(f, p, t);
    json_t *r = ok(f, "timeline_add", json_pack("{s:s, s:s}", "project", p, "timebase", timebase));
    char tl[64];
    snprintf(tl, sizeof tl, "%s", str(r, "timeline"));
    json_decref(r);
    json_decref(ok(f, "tempo_set",
                   json_pack("{s:s, s:[{s:i, s:i, s:i, s:i}, {s:i, s:i, s:i, s:i}]}", "project",
                             p, "tempo", "beat", 0, "bpm", 120, "num", 4, "den", 4, "beat", 4,
                             "bpm", 90, "num", 3, "den", 4)));
    r = ok(f, "clip_add",
           json_pack("{s:s, s:s, s:s, s:f, s:s, s:i, s:i, s:i, s:i, s:f, s:f}", "project", p,
                     "timeline", tl, "track", t, "at", 3.0, "source", f->audio_art, "start", 333,
                     "end", 90000, "fade_in", 100, "fade_out", 200, "gain", 0.7, "stretch", 1.5));
    char clip[64];
    snprintf(clip, sizeof clip, "%s", str(r, "clip"));
    json_decref(r);
    json_t *doc = document(f, p);
    json_t *orig = json_deep_copy(reel_project_clip_find(doc, clip, NULL, NULL));
    json_decref(doc);
    r = ok(f, "clip_split", json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "at", 4.25));
    json_t *halves = json_object_get(r, "clips");
    assert_string_equal(json_string_value(json_array_get(halves, 0)), clip);
    char right[64];
    snprintf(right, sizeof right, "%s", json_string_value(json_array_get(halves, 1)));
    json_decref(r);
    doc = document(f, p);
    json_t *a = reel_project_clip_find(doc, clip, NULL, NULL);
    json_t *b = reel_project_clip_find(doc, right, NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(a, "end")),
                     json_integer_value(json_object_get(b, "start")));
    assert_true(json_number_value(json_object_get(b, "at")) == 4.25);
    /* Hand-computed: on the seconds timeline, 1.25 s of timeline at
     * stretch 1.5 is 0.8333.. s of source = 40000 frames; on the beats
     * timeline, beats 3 to 4 at 120 bpm (0.5 s) and 4 to 4.25 at 90 bpm
     * (1/6 s) are 2/3 s of timeline, 4/9 s of source = 21333.3 frames. */
    assert_int_equal(json_integer_value(json_object_get(a, "end")),
                     strcmp(timebase, "seconds") == 0 ? 333 + 40000 : 333 + 21333);
    json_decref(doc);
    json_decref(ok(f, "clip_join", json_pack("{s:s, s:[s, s]}", "project", p, "clips", right,
                                             clip)));
    doc = document(f, p);
    json_t *back = reel_project_clip_find(doc, clip, NULL, NULL);
    char *x = json_dumps(orig, JSON_SORT_KEYS), *y = json_dumps(back, JSON_SORT_KEYS);
    assert_string_equal(x, y);
    free(x);
    free(y);
    assert_null(reel_project_clip_find(doc, right, NULL, NULL));
    json_decref(doc);
    json_decref(orig);
}

static void test_split_then_join(void **state)
{
    split_join_on(*state, "seconds");
    split_join_on(*state, "beats");
}

/* ---- take_place ------------------------------------------------------------------ */

static void test_take_place_frames(void **state)
{
    fx *f = *state;
    char p[64], t[64];
    new_project(f, p, t);
    json_t *r = ok(f, "take_place", json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "project", p,
                                              "stream", URI, "from", "#12345", "to", "#100000",
                                              "track", t, "at", 16));
    assert_int_equal(json_integer_value(json_object_get(r, "from_frame")), 12345);
    assert_int_equal(json_integer_value(json_object_get(r, "to_frame")), 100000);
    char slice[64], clip[64];
    snprintf(slice, sizeof slice, "%s", str(r, "slice"));
    snprintf(clip, sizeof clip, "%s", str(r, "clip"));
    json_decref(r);
    json_t *doc = document(f, p);
    json_t *c = reel_project_clip_find(doc, clip, NULL, NULL);
    json_t *src = json_object_get(c, "source");
    assert_string_equal(json_string_value(json_object_get(src, "slice")), slice);
    assert_int_equal(json_integer_value(json_object_get(src, "frames")), 100000 - 12345);
    assert_int_equal(json_integer_value(json_object_get(c, "end")), 100000 - 12345);
    json_decref(doc);
    /* The slice the clip names renders exactly the recorded samples. */
    reel_store *st = tsu_open_store(f->dir);
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/placed.wav", f->dir);
    reel_slice_result res;
    reel_error err;
    if (reel_render(st, slice, out, &res, &err) != REEL_OK)
        fail_msg("render: %s", err.msg);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(out, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.frames, 100000 - 12345);
    assert_int_equal(info.channels, CH);
    float *got = malloc((size_t)info.frames * CH * sizeof *got);
    assert_int_equal(sf_readf_float(sf, got, info.frames), info.frames);
    sf_close(sf);
    assert_memory_equal(got, f->in + (size_t)12345 * CH, (size_t)info.frames * CH * sizeof *got);
    free(got);
    reel_store_close(st);
}

/* ---- bad input ------------------------------------------------------------------- */

static void refused(fx *f, const char *p, const char *op, json_t *args, int code,
                    const char *needle)
{
    char before[80], after[80];
    head_of(f, p, before);
    json_t *out;
    reel_error err;
    char *txt = json_dumps(args, JSON_COMPACT);
    int rc = call(f, op, args, &out, &err);
    if (rc != code || !strstr(err.msg, needle))
        fail_msg("%s %s: want code %d with \"%s\", got %d: %s", op, txt, code, needle, rc,
                 rc ? err.msg : "success");
    assert_null(strchr(err.msg, '\n'));
    free(txt);
    head_of(f, p, after);
    assert_string_equal(before, after);
}

static void test_bad_input(void **state)
{
    fx *f = *state;
    char p[64], t[64], q[64], qt[64];
    new_project(f, p, t);
    new_project(f, q, qt);
    json_t *r = ok(f, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", p, "track", t,
                                            "at", 1, "source", f->audio_art));
    char clip[64];
    snprintf(clip, sizeof clip, "%s", str(r, "clip"));
    json_decref(r);
    r = ok(f, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", q, "track", qt, "at", 9,
                                    "source", f->audio_art));
    char other[64];
    snprintf(other, sizeof other, "%s", str(r, "clip"));
    json_decref(r);

    refused(f, p, "track_add", json_pack("{s:s, s:i}", "project", p, "colour", 3), REEL_EINVAL,
            "unknown field");
    refused(f, p, "clip_move", json_pack("{s:s, s:s, s:i}", "project", p, "clip", clip, "at", -1),
            REEL_EINVAL, "at");
    refused(f, p, "clip_move", json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "at",
                                         1e17), REEL_EINVAL, "at");
    /* Inside the schema's bound but past 2^53 frames at 48 kHz. */
    refused(f, p, "clip_move", json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "at",
                                         2e11), REEL_EINVAL, "2^53");
    refused(f, p, "marker_add", json_pack("{s:s, s:f}", "project", p, "at", 1e12), REEL_EINVAL,
            "2^53");
    refused(f, p, "clip_trim", json_pack("{s:s, s:s, s:i, s:i}", "project", p, "clip", clip,
                                         "start", 500, "end", 400), REEL_EINVAL, "before");
    refused(f, p, "clip_trim", json_pack("{s:s, s:s, s:i}", "project", p, "clip", clip, "end",
                                         IMPORT_FRAMES + 1), REEL_EINVAL, "past the source");
    refused(f, p, "clip_update", json_pack("{s:s, s:s, s:f}", "project", p, "clip", clip, "gain",
                                           -0.5), REEL_EINVAL, "gain");
    refused(f, p, "clip_update", json_pack("{s:s, s:s, s:i, s:i}", "project", p, "clip", clip,
                                           "fade_in", 60000, "fade_out", 60000), REEL_EINVAL,
            "fades");
    refused(f, p, "clip_move", json_pack("{s:s, s:s, s:i}", "project", p, "clip", other, "at", 2),
            REEL_EINVAL, "another project");
    refused(f, p, "clip_split", json_pack("{s:s, s:s, s:i}", "project", p, "clip", clip, "at", 50),
            REEL_ERANGE, "not inside");
    refused(f, p, "clip_split", json_pack("{s:s, s:s, s:i}", "project", p, "clip", clip, "at", 1),
            REEL_ERANGE, "not inside");
    r = ok(f, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", p, "track", t, "at", 30,
                                    "source", f->audio_art));
    char far[64];
    snprintf(far, sizeof far, "%s", str(r, "clip"));
    json_decref(r);
    refused(f, p, "clip_join", json_pack("{s:s, s:[s, s]}", "project", p, "clips", clip, far),
            REEL_EINVAL, "not contiguous");
    refused(f, p, "clip_join", json_pack("{s:s, s:[s]}", "project", p, "clips", clip), REEL_EINVAL,
            "two clips");
    refused(f, p, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", p, "track", t, "at", 1,
                                        "source", "art-0000000000000000"),
            REEL_ENOENT, "no source");
    refused(f, p, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", p, "track", "t999-0000",
                                        "at", 1, "source", f->audio_art),
            REEL_EINVAL, "no track");
    /* Nesting: a timeline in itself, and A in B in A. */
    json_t *doc = document(f, p);
    char main_tl[64];
    snprintf(main_tl, sizeof main_tl, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(doc, "timelines"),
                                                              0), "id")));
    json_decref(doc);
    refused(f, p, "clip_add", json_pack("{s:s, s:s, s:i, s:s, s:s}", "project", p, "track", t,
                                        "at", 1, "kind", "timeline", "nested", main_tl),
            REEL_EINVAL, "contains itself");
    r = ok(f, "timeline_add", json_pack("{s:s, s:s}", "project", p, "name", "inner"));
    char inner[64];
    snprintf(inner, sizeof inner, "%s", str(r, "timeline"));
    json_decref(r);
    json_decref(ok(f, "clip_add", json_pack("{s:s, s:s, s:i, s:s, s:s}", "project", p, "track", t,
                                            "at", 1, "kind", "timeline", "nested", inner)));
    refused(f, p, "clip_add", json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "project", p,
                                        "timeline", inner, "track", t, "at", 1, "kind",
                                        "timeline", "nested", main_tl),
            REEL_EINVAL, "contains itself");
    /* Stream windows: outside what was recorded, an unknown stream. */
    refused(f, p, "take_place", json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "project", p, "stream",
                                          URI, "from", "#100", "to", "#99999999", "track", t,
                                          "at", 0),
            REEL_ERANGE, "");
    refused(f, p, "take_place", json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "project", p, "stream",
                                          "stream://no/such", "from", "#0", "to", "#10", "track",
                                          t, "at", 0),
            REEL_ENOENT, "");
    refused(f, p, "take_place", json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "project", p, "stream",
                                          URI, "from", "#500", "to", "#100", "track", t, "at", 0),
            REEL_ERANGE, "");
    refused(f, p, "tempo_set", json_pack("{s:s, s:[{s:i, s:i, s:i, s:i}]}", "project", p, "tempo",
                                         "beat", 0, "bpm", 0, "num", 4, "den", 4),
            REEL_EINVAL, "bpm");
    refused(f, p, "track_remove", json_pack("{s:s, s:s}", "project", p, "track", t), REEL_ESTATE,
            "holds clip");
    refused(f, p, "timeline_remove", json_pack("{s:s, s:s}", "project", p, "timeline", inner),
            REEL_ESTATE, "nested");
    refused(f, p, "timeline_update", json_pack("{s:s, s:s, s:i, s:i}", "project", p, "timeline",
                                               main_tl, "loop_from", 8, "loop_to", 4),
            REEL_EINVAL, "loop");
    json_t *out;
    reel_error err;
    assert_int_equal(call(f, "project_get", json_pack("{s:s}", "project", "prj-nope"), &out, &err),
                     REEL_ENOENT);
}

static void test_prune(void **state)
{
    fx *f = *state;
    char p[64], t[64], head[80];
    new_project(f, p, t);
    for (int i = 0; i < 6; i++)
        json_decref(ok(f, "marker_add", json_pack("{s:s, s:i}", "project", p, "at", i)));
    json_decref(ok(f, "project_undo", json_pack("{s:s}", "project", p)));
    head_of(f, p, head);
    /* 8 versions: create, track_add, 6 markers; the head is the 7th, the
     * 8th is on the redo stack. keep 3: the head, its 2 ancestors, redo. */
    json_t *r = ok(f, "project_prune", json_pack("{s:s, s:i}", "project", p, "keep", 3));
    assert_int_equal(json_integer_value(json_object_get(r, "dropped")), 4);
    json_decref(r);
    json_t *h = ok(f, "project_history", json_pack("{s:s}", "project", p));
    assert_int_equal(json_array_size(json_object_get(h, "versions")), 4);
    json_decref(h);
    json_decref(ok(f, "project_undo", json_pack("{s:s}", "project", p)));
    json_decref(ok(f, "project_undo", json_pack("{s:s}", "project", p)));
    json_t *out;
    reel_error err;
    assert_int_equal(call(f, "project_undo", json_pack("{s:s}", "project", p), &out, &err),
                     REEL_ESTATE);
    for (int i = 0; i < 3; i++)
        json_decref(ok(f, "project_redo", json_pack("{s:s}", "project", p)));
    gc_everything_old(f, p);
}

/* Regular files under `dir`, recursively. */
static int count_files_under(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        struct stat sb;
        assert_int_equal(lstat(sub, &sb), 0);
        n += S_ISDIR(sb.st_mode) ? count_files_under(sub) : S_ISREG(sb.st_mode);
    }
    closedir(d);
    return n;
}

/* Every blob of the store (files under cas/content). */
static int count_blobs(const fx *f)
{
    char content[PATH_MAX];
    snprintf(content, sizeof content, "%.4000s/cas/content", f->dir);
    return count_files_under(content);
}

/* An edit of one clip in a large project writes one page and the root,
 * not the document: the files cas/content gains are counted. */
static void test_edit_writes_one_page(void **state)
{
    fx *f = *state;
    char p[64], t[64];
    new_project(f, p, t);
    enum { CLIPS = 300 };
    char mid[64] = "";
    for (int i = 0; i < CLIPS; i++) {
        json_t *r = ok(f, "clip_add", json_pack("{s:s, s:s, s:i, s:s}", "project", p, "track", t,
                                                "at", i * 3, "source", f->audio_art));
        if (i == CLIPS / 2)
            snprintf(mid, sizeof mid, "%s", str(r, "clip"));
        json_decref(r);
    }
    int before = count_blobs(f);
    json_decref(ok(f, "clip_update", json_pack("{s:s, s:s, s:f}", "project", p, "clip", mid,
                                               "gain", 0.25)));
    int after = count_blobs(f);
    /* The changed page (two if the edit moved a page boundary: it cannot,
     * ids decide them) and the root. */
    assert_int_equal(after - before, 2);
    /* A marker leaves every page as it was: the root only. */
    json_decref(ok(f, "marker_add", json_pack("{s:s, s:i}", "project", p, "at", 3)));
    assert_int_equal(count_blobs(f) - after, 1);
    /* The document read back is whole: every clip, the edit in place. */
    json_t *doc = document(f, p);
    json_t *clips = json_object_get(json_array_get(json_object_get(doc, "timelines"), 0), "clips");
    assert_int_equal(json_array_size(clips), CLIPS);
    assert_true(json_number_value(json_object_get(reel_project_clip_find(doc, mid, NULL, NULL),
                                                  "gain")) == 0.25);
    json_decref(doc);
    /* And a fresh service (nothing cached) reads the same head. */
    char head[80];
    head_of(f, p, head);
    reel_service_close(f->svc);
    reel_error err;
    assert_int_equal(reel_service_open(&f->svc, f->dir, &err), 0);
    json_decref(ok(f, "clip_update", json_pack("{s:s, s:s, s:s, s:b}", "project", p, "base", head,
                                               "clip", mid, "mute", 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_versions_undo_redo_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_edits_undo_redo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_then_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_place_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_writes_one_page, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
