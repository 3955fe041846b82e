/*
 * test_slice.c — slice/slice.c on real stores: a window resolved to the
 * chunks that hold it (boundaries, one-frame windows, the first and the
 * last frame), materialized slices whose bytes are the recorded frames
 * (raw: named by the b3sum of exactly those input bytes; WAV: the same
 * samples read back by libsndfile), the artifact and its lineage (window,
 * parent, source chunks, tags), virtual slices (chunk references, the
 * live edge copied into a blob of its own) rendering byte-identical to
 * materializing, clamping (--last past the start), retention's dropped
 * chunks ("no longer held"), time specs (head, start, -D, #F, a wall
 * instant at a snapshot), refusals (empty and outside ranges, unknown
 * streams), and MIDI selection by event time (from <= frame < to) checked
 * with midicsv for the SMF and by decoding the raw records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "core/fsutil.h"
#include "rt/midi_record.h"
#include "slice/slice.h"
#include "store/retention.h"

#include <jansson.h>
#include <sndfile.h>
#include <unistd.h>

#define RATE 48000
#define CH 2
#define FB (CH * 4)
#define CF 1000 /* frames per chunk */
#define FRAMES (5 * CF + 300)
#define URI "stream://test/slice"

typedef struct fx {
    char dir[PATH_MAX];
    reel_store *st;
    float *in;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f || !test_tmpdir_make(f->dir, sizeof f->dir, "slice"))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->st)
        reel_store_close(f->st);
    free(f->in);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A sealed stream of FRAMES known frames in chunks of CF. */
static void record_audio(fx *f)
{
    f->st = tsu_open_store(f->dir);
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CF);
    f->in = tsu_make_input((size_t)FRAMES * CH, 2024);
    tsu_record(f->st, &def, f->in, FRAMES);
}

static reel_slice_request req(const char *uri, uint64_t from, uint64_t to, reel_out_format fmt)
{
    reel_slice_request q;
    memset(&q, 0, sizeof q);
    q.stream_uri = uri;
    q.from.kind = q.to.kind = REEL_TS_FRAME;
    q.from.frame = from;
    q.to.frame = to;
    q.format = fmt;
    q.format_given = true;
    return q;
}

static void scratch(const fx *f, char *out)
{
    snprintf(out, PATH_MAX, "%s/scratch.bin", f->dir);
}

/* The stored blob is named by the b3sum of input frames [from, to). */
static void assert_raw_is(fx *f, const reel_hash *h, uint64_t from, uint64_t to)
{
    char sc[PATH_MAX], want[REEL_HASH_HEX + 1], got[REEL_HASH_HEX + 1], name[REEL_HASH_HEX + 1];
    scratch(f, sc);
    tsu_b3sum_buf(sc, (const uint8_t *)f->in + from * FB, (size_t)(to - from) * FB, want);
    tsu_b3sum_blob(f->st, h, got);
    tsu_hex(h, name);
    assert_string_equal(got, want);
    assert_string_equal(name, want);
}

/* A WAV read back by libsndfile holds exactly input frames [from, to). */
static void assert_wav_is(fx *f, const char *path, uint64_t from, uint64_t to)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        fail_msg("sndfile cannot read %s: %s", path, sf_strerror(NULL));
    assert_int_equal(info.samplerate, RATE);
    assert_int_equal(info.channels, CH);
    assert_int_equal(info.format & SF_FORMAT_SUBMASK, SF_FORMAT_FLOAT);
    assert_true(info.frames == (sf_count_t)(to - from));
    float *got = malloc((size_t)(to - from) * FB + FB);
    assert_non_null(got);
    assert_true(sf_readf_float(sf, got, (sf_count_t)(to - from) + 1) == (sf_count_t)(to - from));
    sf_close(sf);
    assert_memory_equal(got, f->in + from * CH, (size_t)(to - from) * FB);
    free(got);
}

static void chunk_list(fx *f, const char *uri, reel_chunk_entry **c, size_t *n)
{
    reel_error err = {0};
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(f->st, uri, &v, &err), REEL_OK);
    assert_int_equal(reel_manifest_chunks_in(&v.manifest, reel_store_cas(f->st), 0, UINT64_MAX / 4,
                                             c, n, &err), REEL_OK);
    reel_stream_view_free(&v);
}

/* ---- windows to chunks, materialized --------------------------------------- */

static void test_windows_to_chunks(void **state)
{
    fx *f = *state;
    record_audio(f);
    reel_error err = {0};
    static const struct {
        uint64_t from, to;
        size_t chunks;
    } w[] = {
        {0, 1, 1},           {0, CF, 1},          {CF - 1, CF, 1},       {CF - 1, CF + 1, 2},
        {CF, 2 * CF, 1},     {CF, 2 * CF + 1, 2}, {700, 3900, 4},        {FRAMES - 1, FRAMES, 1},
        {5 * CF, FRAMES, 1}, {0, FRAMES, 6},      {4 * CF - 1, 5 * CF + 1, 3},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        reel_slice_request q = req(URI, w[i].from, w[i].to, REEL_OUT_RAW);
        reel_slice_result res;
        if (reel_slice(f->st, &q, &res, &err) != REEL_OK)
            fail_msg("#%llu..#%llu: %s", (unsigned long long)w[i].from,
                     (unsigned long long)w[i].to, err.msg);
        assert_true(res.from_frame == w[i].from && res.to_frame == w[i].to);
        if (res.n_chunks != w[i].chunks)
            fail_msg("#%llu..#%llu: %zu chunks, want %zu", (unsigned long long)w[i].from,
                     (unsigned long long)w[i].to, res.n_chunks, w[i].chunks);
        assert_false(res.clamped);
        assert_int_equal(res.sample_rate, RATE);
        assert_int_equal(res.channels, CH);
        assert_string_equal(res.mime, reel_out_format_mime(REEL_OUT_RAW));
        assert_raw_is(f, &res.content, w[i].from, w[i].to);
    }
}

static int tag_seen(const char *tag, void *ud)
{
    json_array_append_new(ud, json_string(tag));
    return 0;
}

static bool has_tag(json_t *tags, const char *t)
{
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) if (strcmp(json_string_value(v), t) == 0) return true;
    return false;
}

static void test_wav_and_artifact(void **state)
{
    fx *f = *state;
    record_audio(f);
    reel_error err = {0};
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/take.wav", f->dir);
    reel_slice_request q = req(URI, 700, 3900, REEL_OUT_WAV);
    const char *tags[] = {"keep", "take:1"};
    q.tags = tags;
    q.n_tags = 2;
    q.creator = "test";
    q.out_path = out;
    reel_slice_result res;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_string_equal(res.mime, "audio/wav");
    assert_int_equal(res.n_chunks, 4);
    assert_wav_is(f, out, 700, 3900);
    char got[REEL_HASH_HEX + 1], name[REEL_HASH_HEX + 1];
    tsu_b3sum_file(out, got);
    tsu_hex(&res.content, name);
    assert_string_equal(got, name); /* --out is the stored file */

    /* The artifact: window, parent, lineage to exactly chunks 0..3. */
    reel_artifact a;
    memset(&a, 0, sizeof a);
    assert_int_equal(reel_db_artifact_get(reel_store_db(f->st), res.artifact_id, &a, &err), REEL_OK);
    reel_db_stream row;
    assert_int_equal(reel_db_stream_get(reel_store_db(f->st), URI, &row, &err), REEL_OK);
    assert_string_equal(a.kind, "slice");
    assert_string_equal(a.stream_uri, URI);
    assert_string_equal(a.parent, row.definition_artifact);
    assert_string_equal(a.creator, "test");
    assert_true(a.from_frame == 700 && a.to_frame == 3900);
    assert_true(reel_hash_equal(&a.content, &res.content));
    assert_true(a.from_wall_ns > 0 && a.to_wall_ns > a.from_wall_ns);
    assert_true(a.from_wall_ns == res.from_wall_ns && a.to_wall_ns == res.to_wall_ns);
    reel_chunk_entry *c;
    size_t n;
    chunk_list(f, URI, &c, &n);
    assert_int_equal(n, 6);
    json_t *chunks = json_loads(a.source_chunks_json, 0, NULL);
    assert_int_equal(json_array_size(chunks), 4);
    static const int64_t first[4] = {700, 1000, 2000, 3000}, cnt[4] = {300, 1000, 1000, 900},
                         off[4] = {700 * FB, 0, 0, 0};
    for (size_t i = 0; i < 4; i++) {
        char hs[REEL_HASH_HEX + 8];
        reel_hash_to_string(&c[i].hash, hs);
        json_t *o = json_array_get(chunks, i);
        assert_string_equal(json_string_value(json_object_get(o, "hash")), hs);
        assert_string_equal(json_string_value(json_object_get(o, "state")), "sealed");
        assert_true(json_integer_value(json_object_get(o, "first_sample")) == first[i]);
        assert_true(json_integer_value(json_object_get(o, "sample_count")) == cnt[i]);
        assert_true(json_integer_value(json_object_get(o, "byte_offset")) == off[i]);
    }
    json_decref(chunks);
    json_t *meta = json_loads(a.meta_json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(meta, "format")), "wav");
    assert_string_equal(json_string_value(json_object_get(meta, "sample_format")), "f32");
    json_decref(meta);
    json_t *tl = json_array();
    assert_int_equal(reel_db_artifact_tags(reel_store_db(f->st), a.id, tag_seen, tl, &err), REEL_OK);
    assert_true(has_tag(tl, "keep") && has_tag(tl, "take:1") && has_tag(tl, "type:slice"));
    char st_tag[600];
    snprintf(st_tag, sizeof st_tag, "stream:%s", URI);
    assert_true(has_tag(tl, st_tag));
    json_decref(tl);
    reel_artifact_clear(&a);
    free(c);

    /* The same window again: the same content (deterministic output). */
    q.out_path = NULL;
    reel_slice_result again;
    assert_int_equal(reel_slice(f->st, &q, &again, &err), REEL_OK);
    assert_true(reel_hash_equal(&again.content, &res.content));
    assert_string_not_equal(again.artifact_id, res.artifact_id);
}

/* ---- refusals, specs, clamping ---------------------------------------------- */

static void test_refusals(void **state)
{
    fx *f = *state;
    record_audio(f);
    reel_error err = {0};
    reel_slice_result res;
    reel_slice_request q = req(URI, 2000, 2000, REEL_OUT_WAV);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);
    assert_non_null(strstr(err.msg, "empty range: from frame 2000 is not before to frame 2000"));
    q = req(URI, 2001, 2000, REEL_OUT_WAV);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);
    q = req(URI, 100, FRAMES + 1, REEL_OUT_WAV);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);
    assert_non_null(strstr(err.msg, "range #100..#5301 is outside the recording (frames #0..#5300 held)"));
    q = req("stream://test/none", 0, 1, REEL_OUT_WAV);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ENOENT);
    q = req(URI, 0, 10, REEL_OUT_FLAC);
    q.has_sample_format = true;
    q.sample_format = REEL_SAMPLE_F32;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_EFORMAT);
    /* No refusal stored anything. */
    assert_int_equal(tsu_count_artifacts(f->st, "type:slice"), 0);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", reel_cas_tmp_dir(reel_store_cas(f->st)));
    assert_int_equal(tsu_count_files(tmp), 0);
}

static void test_time_specs_and_clamp(void **state)
{
    fx *f = *state;
    record_audio(f);
    reel_error err = {0};
    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(f->st, URI, &v, &err), REEL_OK);
    static const struct {
        const char *spec;
        int64_t frame;
    } specs[] = {
        {"head", FRAMES}, {"start", 0}, {"#123", 123}, {"-0.05s", FRAMES - 2400},
        {"-1s", FRAMES - 48000}, {"-10ms", FRAMES - 480},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        reel_timespec ts;
        assert_int_equal(reel_timespec_parse(specs[i].spec, &ts, &err), REEL_OK);
        int64_t fr = -1;
        assert_int_equal(reel_slice_resolve(f->st, URI, &ts, &v.manifest, reel_store_cas(f->st),
                                            &fr, &err), REEL_OK);
        if (fr != specs[i].frame)
            fail_msg("%s resolved to %lld, want %lld", specs[i].spec, (long long)fr,
                     (long long)specs[i].frame);
    }
    /* A wall instant at a chunk's clock snapshot is that chunk's first
     * frame; 10 ms later, 480 frames on (the nominal rate). */
    reel_chunk_entry *c;
    size_t n;
    chunk_list(f, URI, &c, &n);
    reel_timespec ts = {.kind = REEL_TS_WALL, .wall_ns = c[2].clock.wall_ns};
    int64_t fr;
    assert_int_equal(reel_slice_resolve(f->st, URI, &ts, &v.manifest, reel_store_cas(f->st), &fr,
                                        &err), REEL_OK);
    assert_true(fr == (int64_t)c[2].first_frame);
    assert_true(c[2].first_frame == 2 * CF);
    free(c);
    reel_stream_view_free(&v);

    /* --last 1s on 5300 frames: the start is before the stream's, clamped
     * to frame 0 and said so; without clamping it is refused. */
    reel_slice_request q = req(URI, 0, 0, REEL_OUT_RAW);
    assert_int_equal(reel_timespec_parse("-1s", &q.from, &err), REEL_OK);
    assert_int_equal(reel_timespec_parse("head", &q.to, &err), REEL_OK);
    reel_slice_result res;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);
    assert_non_null(strstr(err.msg, "outside the recording"));
    q.clamp = true;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_true(res.clamped);
    assert_true(res.from_frame == 0 && res.to_frame == FRAMES);
    assert_raw_is(f, &res.content, 0, FRAMES);
    /* A start inside the stream is not clamped. */
    assert_int_equal(reel_timespec_parse("-0.05s", &q.from, &err), REEL_OK);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_false(res.clamped);
    assert_true(res.from_frame == FRAMES - 2400);
    assert_raw_is(f, &res.content, FRAMES - 2400, FRAMES);
}

/* Retention dropped the oldest chunks: their frames are "no longer held"
 * (even though the blobs are still on disk), --last clamps to the first
 * held frame, and held frames slice exactly. */
static void test_dropped_chunks(void **state)
{
    fx *f = *state;
    f->st = tsu_open_store(f->dir);
    reel_error err = {0};
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CF);
    f->in = tsu_make_input((size_t)FRAMES * CH, 77);
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, f->st, &def, &err), REEL_OK);
    reel_retention keep;
    assert_int_equal(reel_retention_parse("3chunks", &keep, &err), REEL_OK);
    reel_recorder_set_retention(r, &keep);
    assert_int_equal(tsu_feed(r, f->in, FRAMES, FB, 64, 0, &err), REEL_OK);
    reel_cw_finish(reel_recorder_writer(r));
    assert_int_equal(reel_recorder_close(r, &err), REEL_OK);

    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(f->st, URI, &v, &err), REEL_OK);
    /* Six chunks, three held: 3000..5300. */
    assert_true(v.manifest.first_frame == 3 * CF);
    assert_true(v.manifest.dropped_chunks == 3);
    assert_true(v.manifest.dropped_bytes == 3 * CF * FB);
    assert_true(v.manifest.total_frames == FRAMES);
    reel_stream_view_free(&v);

    reel_slice_result res;
    reel_slice_request q = req(URI, 2500, 3500, REEL_OUT_RAW);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);
    assert_non_null(strstr(err.msg, "frames #2500..#3000 of " URI " are no longer held"));
    assert_non_null(strstr(err.msg, "held: #3000..#5300"));
    q.clamp = true;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_true(res.clamped && res.from_frame == 3 * CF && res.to_frame == 3500);
    assert_int_equal(res.n_chunks, 1);
    assert_raw_is(f, &res.content, 3 * CF, 3500);
    q = req(URI, 3 * CF, FRAMES, REEL_OUT_RAW);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_int_equal(res.n_chunks, 3);
    assert_raw_is(f, &res.content, 3 * CF, FRAMES);
}

/* ---- virtual ----------------------------------------------------------------- */

static void test_virtual_and_render(void **state)
{
    fx *f = *state;
    record_audio(f);
    reel_error err = {0};
    reel_slice_request q = req(URI, 700, 3900, REEL_OUT_WAV);
    q.is_virtual = true;
    reel_slice_result vres;
    assert_int_equal(reel_slice(f->st, &q, &vres, &err), REEL_OK);
    assert_string_equal(vres.mime, "application/x-reel-virtual-slice+json");

    /* The document: the window and four references into chunks 0..3 (no
     * audio copied). */
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(f->st), &vres.content, path);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "reel-virtual-slice");
    json_t *range = json_object_get(doc, "sample_range");
    assert_true(json_integer_value(json_array_get(range, 0)) == 700);
    assert_true(json_integer_value(json_array_get(range, 1)) == 3900);
    json_t *pieces = json_object_get(doc, "pieces");
    assert_int_equal(json_array_size(pieces), 4);
    reel_chunk_entry *c;
    size_t n;
    chunk_list(f, URI, &c, &n);
    static const int64_t off[4] = {700 * FB, 0, 0, 0}, first[4] = {700, 1000, 2000, 3000},
                         cnt[4] = {300, 1000, 1000, 900};
    for (size_t i = 0; i < 4; i++) {
        json_t *p = json_array_get(pieces, i);
        char hs[REEL_HASH_HEX + 8];
        reel_hash_to_string(&c[i].hash, hs);
        assert_string_equal(json_string_value(json_object_get(p, "hash")), hs);
        assert_true(json_integer_value(json_object_get(p, "byte_offset")) == off[i]);
        assert_true(json_integer_value(json_object_get(p, "first_sample")) == first[i]);
        assert_true(json_integer_value(json_object_get(p, "sample_count")) == cnt[i]);
    }
    json_decref(doc);
    free(c);
    /* Its artifact references the chunks as content it needs. */
    reel_artifact a;
    memset(&a, 0, sizeof a);
    assert_int_equal(reel_db_artifact_get(reel_store_db(f->st), vres.artifact_id, &a, &err), REEL_OK);
    assert_string_equal(a.kind, "virtual-slice");
    assert_true(a.from_frame == 700 && a.to_frame == 3900);
    reel_artifact_clear(&a);

    /* Rendered, it is byte for byte the materialized slice. */
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/render.wav", f->dir);
    reel_slice_result rres;
    assert_int_equal(reel_render(f->st, vres.artifact_id, out, &rres, &err), REEL_OK);
    reel_slice_request m = req(URI, 700, 3900, REEL_OUT_WAV);
    reel_slice_result mres;
    assert_int_equal(reel_slice(f->st, &m, &mres, &err), REEL_OK);
    assert_true(reel_hash_equal(&rres.content, &mres.content));
    char got[REEL_HASH_HEX + 1], want[REEL_HASH_HEX + 1];
    tsu_b3sum_file(out, got);
    tsu_hex(&mres.content, want);
    assert_string_equal(got, want);
    assert_wav_is(f, out, 700, 3900);
    memset(&a, 0, sizeof a);
    assert_int_equal(reel_db_artifact_get(reel_store_db(f->st), rres.artifact_id, &a, &err), REEL_OK);
    assert_string_equal(a.parent, vres.artifact_id);
    reel_artifact_clear(&a);
    /* Rendering something that is not a virtual slice is refused. */
    assert_int_equal(reel_render(f->st, mres.artifact_id, out, &rres, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "not a virtual slice"));
}

/* The live edge: while recording, the frames in the staging chunk slice
 * like sealed ones; a virtual slice copies them into a blob of their own
 * (b3sum of exactly those input frames), so it survives the chunk's seal
 * and renders the same after the stream stopped. */
static void test_live_edge(void **state)
{
    fx *f = *state;
    f->st = tsu_open_store(f->dir);
    reel_error err = {0};
    reel_stream_def def = tsu_audio_def(URI, RATE, CH, CF);
    f->in = tsu_make_input((size_t)FRAMES * CH, 4242);
    tsu_port p;
    reel_recorder *r = tsu_port_open(f->st, &def, &p);
    assert_int_equal(tsu_feed_cw(r, p.cw, f->in, 2500, FB, 50, 0, &err), REEL_OK);
    tsu_port_push_head(r, &p);

    reel_stream_view v;
    assert_int_equal(reel_store_stream_open(f->st, URI, &v, &err), REEL_OK);
    assert_string_equal(v.row.state, "recording");
    assert_true(v.manifest.total_frames == 2500);
    reel_stream_view_free(&v);

    reel_slice_request q = req(URI, 1500, 2500, REEL_OUT_RAW);
    reel_slice_result res;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_int_equal(res.n_chunks, 2);
    assert_raw_is(f, &res.content, 1500, 2500);
    q.to.frame = 2501; /* not written yet */
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_ERANGE);

    q = req(URI, 1500, 2500, REEL_OUT_WAV);
    q.is_virtual = true;
    reel_slice_result vres;
    assert_int_equal(reel_slice(f->st, &q, &vres, &err), REEL_OK);
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(f->st), &vres.content, path);
    json_t *doc = json_load_file(path, 0, NULL);
    json_t *pieces = json_object_get(doc, "pieces");
    assert_int_equal(json_array_size(pieces), 2);
    json_t *live = json_array_get(pieces, 1);
    assert_true(json_integer_value(json_object_get(live, "byte_offset")) == 0);
    assert_true(json_integer_value(json_object_get(live, "first_sample")) == 2000);
    reel_hash lh;
    assert_int_equal(reel_hash_from_hex(&lh, json_string_value(json_object_get(live, "hash")),
                                        &err), REEL_OK);
    assert_raw_is(f, &lh, 2000, 2500);
    json_decref(doc);

    /* Record on and stop: the staging chunk is sealed and renamed; the
     * virtual slice still renders the frames it named. */
    assert_int_equal(tsu_feed_cw(r, p.cw, (const uint8_t *)f->in + 2500 * FB, FRAMES - 2500, FB,
                                 50, 2500, &err), REEL_OK);
    reel_cw_finish(p.cw);
    assert_int_equal(reel_recorder_close(r, &err), REEL_OK);
    reel_cw_destroy(p.cw);
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/live.wav", f->dir);
    reel_slice_result rres;
    assert_int_equal(reel_render(f->st, vres.artifact_id, out, &rres, &err), REEL_OK);
    assert_wav_is(f, out, 1500, 2500);
    reel_slice_request m = req(URI, 1500, 2500, REEL_OUT_WAV);
    reel_slice_result mres;
    assert_int_equal(reel_slice(f->st, &m, &mres, &err), REEL_OK);
    assert_true(reel_hash_equal(&mres.content, &rres.content));
    tsu_assert_fsck_clean(f->st);
}

/* ---- MIDI --------------------------------------------------------------------- */

#define MURI "stream://test/midi"
#define MPERIOD 64
#define MPERIODS 400

typedef struct sent {
    uint64_t frame;
    uint8_t msg[3];
} sent;

/* Two events per period at known frames; chunks of 4096 bytes rotate on
 * size, so the window crosses several. */
static size_t record_midi(fx *f, sent *ev)
{
    f->st = tsu_open_store(f->dir);
    reel_stream_def def;
    memset(&def, 0, sizeof def);
    snprintf(def.uri, sizeof def.uri, MURI);
    snprintf(def.device_identity, sizeof def.device_identity, "test:midi");
    def.kind = REEL_STREAM_MIDI;
    def.sample_rate = RATE;
    def.chunk_size_bytes = 4096;
    reel_error err = {0};
    reel_recorder *r = NULL;
    assert_int_equal(reel_recorder_open(&r, f->st, &def, &err), REEL_OK);
    reel_chunk_writer *cw = reel_recorder_writer(r);
    size_t n = 0;
    for (int p = 0; p < MPERIODS; p++) {
        assert_int_equal(tsu_wait_ready(r, &err), REEL_OK);
        reel_cw_set_clock(cw, reel_clock_mono_now(), reel_clock_wall_now(), (uint64_t)p * MPERIOD);
        for (int k = 0; k < 2; k++) {
            uint32_t off = (uint32_t)(k * 31 + p % 7);
            sent *s = &ev[n++];
            s->frame = (uint64_t)p * MPERIOD + off;
            s->msg[0] = (uint8_t)(k ? 0x80 : 0x90);
            s->msg[1] = (uint8_t)(36 + p % 48);
            s->msg[2] = (uint8_t)(k ? 0 : 1 + p % 126);
            assert_true(reel_cw_write_midi(cw, off, s->msg, 3));
        }
        reel_cw_advance(cw, MPERIOD);
        if (p % 8 == 0)
            assert_int_equal(reel_recorder_poll(r, &err), REEL_OK);
    }
    reel_cw_finish(cw);
    assert_int_equal(reel_recorder_close(r, &err), REEL_OK);
    return n;
}

static void test_midi_selection(void **state)
{
    fx *f = *state;
    static sent ev[2 * MPERIODS];
    size_t n = record_midi(f, ev);
    reel_error err = {0};
    /* Windows with events exactly on both edges: `from` is kept, `to`
     * is not. */
    const uint64_t from = ev[101].frame, to = ev[600].frame;
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += ev[i].frame >= from && ev[i].frame < to;
    assert_int_equal(want, 499);

    /* Raw: the stored records of exactly those events, in order. */
    reel_slice_request q = req(MURI, from, to, REEL_OUT_RAW);
    reel_slice_result res;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_true(res.midi);
    assert_true(res.events == want);
    assert_true(res.n_chunks >= 3);
    assert_string_equal(res.mime, "application/x-reel-midi-records");
    char path[PATH_MAX];
    reel_cas_content_path(reel_store_cas(f->st), &res.content, path);
    char *bytes;
    size_t len;
    assert_int_equal(reel_fs_read_all(path, &bytes, &len, &err), REEL_OK);
    size_t off = 0, k = 101;
    while (off < len) {
        reel_midi_event e;
        size_t used;
        assert_int_equal(reel_midi_record_decode((const uint8_t *)bytes + off, len - off, &e, &used),
                         REEL_OK);
        assert_true(k < 600);
        assert_true(e.frame == ev[k].frame);
        assert_int_equal(e.len, 3);
        assert_memory_equal(e.data, ev[k].msg, 3);
        k++;
        off += used;
    }
    assert_int_equal(k, 600);
    free(bytes);

    /* SMF, read by midicsv: one tick per frame from the window's start,
     * End_track at its end, PPQ 960 at 48 kHz. */
    q = req(MURI, from, to, REEL_OUT_MID);
    q.format_given = false; /* MIDI's default */
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/w.mid", f->dir);
    q.out_path = out;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_string_equal(res.mime, "audio/midi");
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "midicsv '%s'", out);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256];
    size_t got = 0;
    k = 101;
    bool header = false, end = false;
    while (fgets(line, sizeof line, p)) {
        int track, ch, note, vel;
        long tick, fmt, ntr, div;
        char kind[32];
        if (sscanf(line, "0, 0, Header, %ld, %ld, %ld", &fmt, &ntr, &div) == 3) {
            assert_true(fmt == 0 && ntr == 1 && div == 960);
            header = true;
        } else if (sscanf(line, "%d, %ld, %31[A-Za-z_], %d, %d, %d", &track, &tick, kind, &ch,
                          &note, &vel) == 6 &&
                   (strcmp(kind, "Note_on_c") == 0 || strcmp(kind, "Note_off_c") == 0)) {
            assert_true(k < 600);
            if (tick != (long)(ev[k].frame - from))
                fail_msg("event %zu at tick %ld, want %llu", k, tick,
                         (unsigned long long)(ev[k].frame - from));
            assert_int_equal(note, ev[k].msg[1]);
            assert_int_equal(vel, ev[k].msg[2]);
            assert_int_equal(strcmp(kind, "Note_on_c") == 0, (ev[k].msg[0] & 0xf0) == 0x90);
            k++;
            got++;
        } else if (sscanf(line, "%d, %ld, %31[A-Za-z_]", &track, &tick, kind) == 3 &&
                   strcmp(kind, "End_track") == 0) {
            assert_true(tick == (long)(to - from));
            end = true;
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_true(header && end);
    assert_int_equal(got, want);

    /* A window without events is a valid SMF with none. */
    q = req(MURI, ev[0].frame + 1, ev[1].frame, REEL_OUT_MID);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_OK);
    assert_true(res.events == 0);

    /* What MIDI cannot be sliced to. */
    q = req(MURI, from, to, REEL_OUT_WAV);
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, "slice it to mid or raw, not wav"));
    q = req(MURI, from, to, REEL_OUT_MID);
    q.is_virtual = true;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_EFORMAT);
    q.is_virtual = false;
    q.has_sample_format = true;
    assert_int_equal(reel_slice(f->st, &q, &res, &err), REEL_EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_windows_to_chunks),    T(test_wav_and_artifact), T(test_refusals),
        T(test_time_specs_and_clamp), T(test_dropped_chunks),   T(test_virtual_and_render),
        T(test_live_edge),            T(test_midi_selection),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
