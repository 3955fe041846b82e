/*
 * test_audio_probe.c — media/audio_probe.c and model/import/import.c: files made
 * by sox (the independent oracle, with b3sum for hashes) are probed and
 * imported; reel_import_lookup finds them by id and by hash, and refuses
 * what is not imported audio.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_store_util.h"

#include "media/audio_probe.h"
#include "model/import/import.h"

#include <sys/stat.h>

/* sox -D -n ARGS DIR/OUT EFFECT: make DIR/OUT. */
static void sox(const char *dir, const char *args, const char *out, const char *effect)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "sox -D -n %s '%s/%s' %s 2>/dev/null", args, dir, out, effect);
    if (system(cmd) != 0)
        fail_msg("sox failed: %s", cmd);
}

static void path_in(const char *dir, const char *name, char out[PATH_MAX])
{
    snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static int setup(void **state) { return test_tmpdir_setup(state, "import"); }
static int teardown(void **state) { return test_tmpdir_teardown(state); }

static void probe_formats(void **state)
{
    const char *dir = *state;
    sox(dir, "-r 48000 -c 2 -b 16 -e signed-integer", "a.wav", "synth 0.5 sine 440 sine 550");
    sox(dir, "-r 44100 -c 1 -b 24", "b.flac", "synth 0.25 sine 300");
    sox(dir, "-r 48000 -c 2 -b 16", "e.wav", "trim 0 0");
    char p[PATH_MAX];
    reel_audio_probe pr;
    reel_error err = {0};
    path_in(dir, "a.wav", p);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), 0);
    assert_string_equal(pr.format, "WAV");
    assert_string_equal(pr.subtype, "PCM_16");
    assert_int_equal(pr.rate, 48000);
    assert_int_equal(pr.channels, 2);
    assert_int_equal(pr.frames, 24000);
    assert_true(pr.duration_s == 0.5);
    assert_string_equal(reel_audio_probe_mime(pr.format), "audio/wav");
    path_in(dir, "b.flac", p);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), 0);
    assert_string_equal(pr.format, "FLAC");
    assert_string_equal(pr.subtype, "PCM_24");
    assert_int_equal(pr.rate, 44100);
    assert_int_equal(pr.channels, 1);
    assert_int_equal(pr.frames, 11025);
    path_in(dir, "e.wav", p);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), 0);
    assert_int_equal(pr.frames, 0);
    assert_true(pr.duration_s == 0.0);
    assert_string_equal(reel_audio_probe_mime("AU"), "application/octet-stream");
}

/* soxi's frame count of DIR/NAME. */
static int64_t soxi_frames(const char *dir, const char *name)
{
    char cmd[PATH_MAX + 64], line[64] = "";
    snprintf(cmd, sizeof cmd, "soxi -s '%s/%s'", dir, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    return strtoll(line, NULL, 10);
}

/* The header's count, the count by decoding and soxi's agree, for every
 * container (Ogg Vorbis is the one whose count libsndfile derives from the
 * last page's granule position). */
static void probe_decode_count(void **state)
{
    const char *dir = *state;
    static const char *const files[][2] = {
        {"a.wav", "-r 48000 -c 2 -b 16 -e signed-integer"},
        {"b.flac", "-r 44100 -c 1 -b 24"},
        {"c.ogg", "-r 48000 -c 2"},
        {"d.aiff", "-r 22050 -c 1 -b 16"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        sox(dir, files[i][1], files[i][0], "synth 1.37 sine 440");
        char p[PATH_MAX];
        path_in(dir, files[i][0], p);
        reel_audio_probe head, dec;
        reel_error err = {0};
        assert_int_equal(reel_audio_probe_path(p, &head, &err), 0);
        assert_int_equal(reel_audio_probe_path_flags(p, REEL_PROBE_DECODE, &dec, &err), 0);
        int64_t want = soxi_frames(dir, files[i][0]);
        if (head.frames != want || dec.frames != want)
            fail_msg("%s: header %lld, decoded %lld, soxi %lld frames", files[i][0],
                     (long long)head.frames, (long long)dec.frames, (long long)want);
        assert_string_equal(head.subtype, dec.subtype);
    }
}

static void probe_refusals(void **state)
{
    const char *dir = *state;
    char p[PATH_MAX];
    reel_audio_probe pr;
    reel_error err = {0};
    path_in(dir, "notes.txt", p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("not samples\n", f);
    fclose(f);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), REEL_EFORMAT);
    assert_non_null(strstr(err.msg, "notes.txt"));
    assert_null(strchr(err.msg, '\n'));
    path_in(dir, "missing.wav", p);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "missing.wav"));
    assert_int_equal(reel_audio_probe_path(dir, &pr, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "directory"));
    path_in(dir, "fifo", p);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(reel_audio_probe_path(p, &pr, &err), REEL_EINVAL); /* and does not block */
}

static int put_other(reel_store *st, const reel_hash *content, char id[REEL_ARTIFACT_ID_MAX])
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    a.content = *content;
    snprintf(a.kind, sizeof a.kind, "slice");
    snprintf(a.mime, sizeof a.mime, "audio/wav");
    a.from_frame = a.to_frame = -1;
    reel_error err = {0};
    int rc = reel_store_artifact_put(st, &a, NULL, &err);
    snprintf(id, REEL_ARTIFACT_ID_MAX, "%s", a.id);
    return rc;
}

static void import_and_lookup(void **state)
{
    const char *dir = *state;
    sox(dir, "-r 48000 -c 2 -b 16 -e signed-integer", "a.wav", "synth 0.5 sine 440 sine 550");
    char sdir[PATH_MAX], p[PATH_MAX], hex[REEL_HASH_HEX + 1], mine[REEL_HASH_HEX + 1];
    path_in(dir, "store", sdir);
    path_in(dir, "a.wav", p);
    reel_store *st = tsu_open_store(sdir);
    reel_error err = {0};
    reel_import_info in1, in2, got;
    json_t *r1 = NULL, *r2 = NULL;
    assert_int_equal(reel_import_file(st, p, NULL, "test", &in1, &r1, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r1, "name")), "a.wav");
    assert_int_equal(reel_import_file(st, p, "again", "test", &in2, &r2, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r2, "name")), "again");
    tsu_b3sum_file(p, hex);
    tsu_hex(&in1.hash, mine);
    assert_string_equal(mine, hex);
    assert_true(reel_hash_equal(&in1.hash, &in2.hash));
    assert_string_not_equal(in1.artifact, in2.artifact);
    assert_int_equal(tsu_count_artifacts(st, "import"), 2);

    assert_int_equal(reel_import_lookup(st, in1.artifact, &got, &err), 0);
    assert_string_equal(got.artifact, in1.artifact);
    assert_true(reel_hash_equal(&got.hash, &in1.hash));
    assert_int_equal(got.rate, 48000);
    assert_int_equal(got.channels, 2);
    assert_int_equal(got.frames, 24000);
    assert_string_equal(got.format, "WAV");
    assert_string_equal(got.subtype, "PCM_16");

    /* By hash: the newest audio artifact, even when a newer one of another
     * kind names the same bytes. */
    char other[REEL_ARTIFACT_ID_MAX], spec[REEL_HASH_HEX + 8];
    assert_int_equal(put_other(st, &in1.hash, other), 0);
    reel_hash_to_string(&in1.hash, spec);
    assert_int_equal(reel_import_lookup(st, spec, &got, &err), 0);
    assert_string_equal(got.artifact, in2.artifact);

    /* Not audio, unknown, malformed. */
    assert_int_equal(reel_import_lookup(st, other, &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "no imported audio"));
    assert_int_equal(reel_import_lookup(st, "art-0000000000000000", &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "no imported audio 'art-0000000000000000'"));
    spec[10] = spec[10] == '0' ? '1' : '0';
    assert_int_equal(reel_import_lookup(st, spec, &got, &err), REEL_ENOENT);
    assert_int_equal(reel_import_lookup(st, "blake3:zz", &got, &err), REEL_EINVAL);

    /* A refused file stores nothing. */
    int before = tsu_count_artifacts(st, NULL);
    json_t *r3 = NULL;
    assert_int_equal(reel_import_file(st, dir, NULL, "test", NULL, &r3, &err), REEL_EINVAL);
    assert_null(r3);
    assert_int_equal(tsu_count_artifacts(st, NULL), before);
    tsu_assert_fsck_clean(st);
    json_decref(r1);
    json_decref(r2);
    reel_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(probe_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(probe_decode_count, setup, teardown),
        cmocka_unit_test_setup_teardown(probe_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(import_and_lookup, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
