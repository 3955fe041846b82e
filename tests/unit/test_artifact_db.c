/*
 * test_artifact_db.c — reel.db: schema, artifacts, tags, lineage, streams,
 * GC roots, and two connections sharing one file.
 *
 * Each test gets a fresh directory under $REEL_TEST_TMPDIR (or /tmp) and
 * removes it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "store/artifact_db.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX]; /* <dir>/reel.db */
    reel_db *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!test_tmpdir_make(f->dir, sizeof f->dir, "artifact_db")) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/reel.db", f->dir);
    reel_error err = {0};
    if (reel_db_open(&f->db, f->path, &err) != REEL_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Remove the directory and what the tests left in it (one level deep). */
static int teardown(void **state)
{
    fixture *f = *state;
    reel_db_close(f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static reel_hash hash_of(const char *s)
{
    reel_hash h;
    reel_hash_buf(s, strlen(s), &h);
    return h;
}

/* A slice-like artifact with every field set; JSON members are NULL. */
static reel_artifact make_artifact(const char *id, const char *content, int64_t created_ns)
{
    reel_artifact a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "%s", id);
    a.content = hash_of(content);
    snprintf(a.mime, sizeof a.mime, "audio/wav");
    snprintf(a.kind, sizeof a.kind, "slice");
    snprintf(a.creator, sizeof a.creator, "test");
    a.created_ns = created_ns;
    a.from_frame = a.to_frame = -1;
    return a;
}

static void insert_ok(reel_db *db, const reel_artifact *a, const char *const *tags, size_t n_tags,
                      const reel_hash *chunks, size_t n_chunks)
{
    reel_error err = {0};
    int rc = reel_db_artifact_insert(db, a, tags, n_tags, chunks, n_chunks, &err);
    if (rc)
        fprintf(stderr, "insert %s: %s\n", a->id, err.msg);
    assert_int_equal(rc, REEL_OK);
}

/* Collects the ids a listing call hands out, in order. */
typedef struct ids {
    char id[32][REEL_ARTIFACT_ID_MAX];
    int n;
    int stop_after; /* return 42 after this many (0: never) */
} ids;

static int collect_id(const reel_artifact *a, void *ud)
{
    ids *c = ud;
    if (c->n < 32)
        snprintf(c->id[c->n], sizeof c->id[c->n], "%s", a->id);
    c->n++;
    return c->stop_after && c->n >= c->stop_after ? 42 : 0;
}

static int collect_tag(const char *tag, void *ud)
{
    ids *c = ud;
    if (c->n < 32)
        snprintf(c->id[c->n], sizeof c->id[c->n], "%s", tag);
    c->n++;
    return 0;
}

static ids list_tags(reel_db *db, const char *const *tags, size_t n)
{
    ids c = {0};
    reel_error err = {0};
    assert_int_equal(reel_db_artifact_list(db, tags, n, collect_id, &c, &err), REEL_OK);
    return c;
}

/* Read a PRAGMA straight from SQLite, bypassing libreel. */
static void raw_pragma(const char *path, const char *pragma, char *out, size_t cap)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, pragma, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- open --------------------------------------------------------------- */

static void test_open_create_reopen(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);

    char v[64];
    raw_pragma(f->path, "PRAGMA user_version", v, sizeof v);
    assert_string_equal(v, "3");
    raw_pragma(f->path, "SELECT group_concat(module || '=' || version, ',') FROM "
                        "(SELECT * FROM reel_schema ORDER BY module)", v, sizeof v);
    assert_string_equal(v, "artifacts=1,moments=1,projects=1,sessions=1");
    raw_pragma(f->path, "PRAGMA journal_mode", v, sizeof v);
    assert_string_equal(v, "wal");

    reel_artifact a = make_artifact("art-0000000000000001", "one", 100);
    insert_ok(f->db, &a, NULL, 0, NULL, 0);
    reel_db_close(f->db);
    f->db = NULL;

    /* Reopen: the schema is found, not recreated, and the row is there. */
    reel_error err = {0};
    assert_int_equal(reel_db_open(&f->db, f->path, &err), REEL_OK);
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, a.id, &got, &err), REEL_OK);
    assert_string_equal(got.id, a.id);
    reel_artifact_clear(&got);
    raw_pragma(f->path, "PRAGMA user_version", v, sizeof v);
    assert_string_equal(v, "3");

    /* A second handle on the same file at the same time. */
    reel_db *db2;
    assert_int_equal(reel_db_open(&db2, f->path, &err), REEL_OK);
    assert_int_equal(reel_db_artifact_get(db2, a.id, &got, &err), REEL_OK);
    reel_artifact_clear(&got);
    reel_db_close(db2);
    reel_db_close(NULL);
}

static void test_new_id(void **state)
{
    (void)state;
    reel_artifact a = {0}, b = {0};
    reel_error err = {0};
    assert_int_equal(reel_artifact_new_id(&a, &err), REEL_OK);
    assert_int_equal(reel_artifact_new_id(&b, &err), REEL_OK);
    assert_int_equal(strlen(a.id), 20);
    assert_memory_equal(a.id, "art-", 4);
    for (int i = 4; i < 20; i++)
        assert_non_null(strchr("0123456789abcdef", a.id[i]));
    assert_string_not_equal(a.id, b.id);
}

/* ---- insert and get ----------------------------------------------------- */

static void test_insert_get_roundtrip(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a = make_artifact("", "slice bytes", 1763632800250000000);
    assert_int_equal(reel_artifact_new_id(&a, &err), REEL_OK);
    snprintf(a.stream_uri, sizeof a.stream_uri, "stream://hw:0/main");
    a.from_frame = 480000;
    a.to_frame = 960000;
    a.from_wall_ns = 1763632790000000000;
    a.to_wall_ns = 1763632800000000000;
    a.source_chunks_json = strdup("[\"blake3:aa\",\"blake3:bb\"]");
    a.clock_json = strdup("[{\"frame\":0,\"wall_ns\":1}]");
    a.meta_json = strdup("{\"note\":\"take 1\"}");
    const char *tags[] = {"drums", "take-1"};
    reel_hash chunks[] = {hash_of("c1"), hash_of("c2")};
    insert_ok(f->db, &a, tags, 2, chunks, 2);

    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, a.id, &got, &err), REEL_OK);
    assert_string_equal(got.id, a.id);
    assert_true(reel_hash_equal(&got.content, &a.content));
    assert_string_equal(got.mime, "audio/wav");
    assert_string_equal(got.kind, "slice");
    assert_string_equal(got.parent, "");
    assert_string_equal(got.creator, "test");
    assert_true(got.created_ns == a.created_ns);
    assert_string_equal(got.stream_uri, "stream://hw:0/main");
    assert_true(got.from_frame == 480000 && got.to_frame == 960000);
    assert_true(got.from_wall_ns == a.from_wall_ns && got.to_wall_ns == a.to_wall_ns);
    assert_string_equal(got.source_chunks_json, a.source_chunks_json);
    assert_string_equal(got.clock_json, a.clock_json);
    assert_string_equal(got.meta_json, a.meta_json);
    reel_artifact_clear(&got);
    assert_null(got.meta_json);

    /* By unique prefix. */
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.9s", a.id);
    assert_int_equal(reel_db_artifact_get(f->db, prefix, &got, &err), REEL_OK);
    assert_string_equal(got.id, a.id);
    reel_artifact_clear(&got);

    /* By content hash, in either case of hex. */
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(&a.content, hs);
    assert_int_equal(reel_db_artifact_get(f->db, hs, &got, &err), REEL_OK);
    assert_string_equal(got.id, a.id);
    reel_artifact_clear(&got);
    for (char *p = hs + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(reel_db_artifact_get(f->db, hs, &got, &err), REEL_OK);
    assert_string_equal(got.id, a.id);
    reel_artifact_clear(&got);

    /* Absent fields come back as their "none" values. */
    reel_artifact b = make_artifact("art-00000000000000bb", "other", 5);
    insert_ok(f->db, &b, NULL, 0, NULL, 0);
    assert_int_equal(reel_db_artifact_get(f->db, b.id, &got, &err), REEL_OK);
    assert_true(got.from_frame == -1 && got.to_frame == -1);
    assert_true(got.from_wall_ns == 0 && got.to_wall_ns == 0);
    assert_string_equal(got.stream_uri, "");
    assert_null(got.source_chunks_json);
    assert_null(got.clock_json);
    assert_null(got.meta_json);
    reel_artifact_clear(&got);

    reel_artifact_clear(&a);
}

static void test_get_by_content_newest(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact old = make_artifact("art-00000000000000a1", "same bytes", 100);
    reel_artifact new = make_artifact("art-00000000000000a2", "same bytes", 200);
    insert_ok(f->db, &new, NULL, 0, NULL, 0);
    insert_ok(f->db, &old, NULL, 0, NULL, 0);
    char hs[REEL_HASH_HEX + 8];
    reel_hash_to_string(&old.content, hs);
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, hs, &got, &err), REEL_OK);
    assert_string_equal(got.id, "art-00000000000000a2");
    reel_artifact_clear(&got);

    /* Unknown content and malformed hashes name the input. */
    reel_hash none = hash_of("never stored");
    reel_hash_to_string(&none, hs);
    assert_int_equal(reel_db_artifact_get(f->db, hs, &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, hs));
    assert_int_equal(reel_db_artifact_get(f->db, "blake3:abc", &got, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "abc"));
}

static void test_prefix_lookup(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a1 = make_artifact("art-aaaa0001", "1", 1);
    reel_artifact a2 = make_artifact("art-aaaa0002", "2", 2);
    reel_artifact c = make_artifact("art-cc", "3", 3);
    reel_artifact c1 = make_artifact("art-cc1", "4", 4);
    insert_ok(f->db, &a1, NULL, 0, NULL, 0);
    insert_ok(f->db, &a2, NULL, 0, NULL, 0);
    insert_ok(f->db, &c, NULL, 0, NULL, 0);
    insert_ok(f->db, &c1, NULL, 0, NULL, 0);

    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, "art-aaaa", &got, &err), REEL_EAMBIG);
    assert_non_null(strstr(err.msg, "art-aaaa"));
    assert_int_equal(reel_db_artifact_get(f->db, "art-a", &got, &err), REEL_EAMBIG);
    assert_int_equal(reel_db_artifact_get(f->db, "art-aaaa0002", &got, &err), REEL_OK);
    assert_string_equal(got.id, "art-aaaa0002");
    reel_artifact_clear(&got);
    assert_int_equal(reel_db_artifact_get(f->db, "art-aaaa000", &got, &err), REEL_EAMBIG);
    assert_int_equal(reel_db_artifact_get(f->db, "art-aaaa0001x", &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "art-aaaa0001x"));

    /* An exact id wins over a longer id it is a prefix of. */
    assert_int_equal(reel_db_artifact_get(f->db, "art-cc", &got, &err), REEL_OK);
    assert_string_equal(got.id, "art-cc");
    reel_artifact_clear(&got);
    assert_int_equal(reel_db_artifact_get(f->db, "art-cc1", &got, &err), REEL_OK);
    assert_string_equal(got.id, "art-cc1");
    reel_artifact_clear(&got);

    /* Too short to be a prefix; no match; empty. */
    assert_int_equal(reel_db_artifact_get(f->db, "art-", &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "at least 5"));
    assert_int_equal(reel_db_artifact_get(f->db, "art-b", &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "art-b"));
    assert_int_equal(reel_db_artifact_get(f->db, "", &got, &err), REEL_EINVAL);

    /* Characters that mean something to LIKE or GLOB are just characters. */
    assert_int_equal(reel_db_artifact_get(f->db, "art-%", &got, &err), REEL_ENOENT);
    assert_int_equal(reel_db_artifact_get(f->db, "art-*", &got, &err), REEL_ENOENT);
}

/* ---- tags --------------------------------------------------------------- */

static void test_tags_filtering(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a = make_artifact("art-000000000000000a", "a", 100);
    reel_artifact b = make_artifact("art-000000000000000b", "b", 200);
    reel_artifact c = make_artifact("art-000000000000000c", "c", 300);
    reel_artifact d = make_artifact("art-000000000000000d", "d", 200); /* ties b on time */
    const char *ta[] = {"drums", "take1", "drums"}; /* a repeated tag collapses */
    const char *tb[] = {"drums", "take2"};
    const char *tc[] = {"bass"};
    insert_ok(f->db, &a, ta, 3, NULL, 0);
    insert_ok(f->db, &b, tb, 2, NULL, 0);
    insert_ok(f->db, &c, tc, 1, NULL, 0);
    insert_ok(f->db, &d, NULL, 0, NULL, 0);

    /* Everything, newest first; equal times in id order. */
    ids all = list_tags(f->db, NULL, 0);
    assert_int_equal(all.n, 4);
    assert_string_equal(all.id[0], c.id);
    assert_string_equal(all.id[1], b.id);
    assert_string_equal(all.id[2], d.id);
    assert_string_equal(all.id[3], a.id);

    const char *q1[] = {"drums"};
    ids r = list_tags(f->db, q1, 1);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.id[0], b.id);
    assert_string_equal(r.id[1], a.id);

    const char *q2[] = {"drums", "take1"};
    r = list_tags(f->db, q2, 2);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.id[0], a.id);

    const char *q3[] = {"drums", "bass"}; /* AND, not OR */
    r = list_tags(f->db, q3, 2);
    assert_int_equal(r.n, 0);

    const char *q4[] = {"drums", "drums"};
    r = list_tags(f->db, q4, 2);
    assert_int_equal(r.n, 2);

    const char *q5[] = {"nope"};
    r = list_tags(f->db, q5, 1);
    assert_int_equal(r.n, 0);

    /* Tags of one artifact, sorted. */
    ids t = {0};
    assert_int_equal(reel_db_artifact_tags(f->db, a.id, collect_tag, &t, &err), REEL_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.id[0], "drums");
    assert_string_equal(t.id[1], "take1");
    t.n = 0;
    assert_int_equal(reel_db_artifact_tags(f->db, d.id, collect_tag, &t, &err), REEL_OK);
    assert_int_equal(t.n, 0);
    assert_int_equal(reel_db_artifact_tags(f->db, "art-ffff", collect_tag, &t, &err),
                     REEL_ENOENT);
    assert_non_null(strstr(err.msg, "art-ffff"));

    /* A callback's non-zero return stops the walk and is passed back. */
    ids stop = {.stop_after = 2};
    assert_int_equal(reel_db_artifact_list(f->db, NULL, 0, collect_id, &stop, &err), 42);
    assert_int_equal(stop.n, 2);
}

static void test_bad_tag(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    char long_tag[130];
    memset(long_tag, 'x', 129);
    long_tag[129] = '\0';
    const char *bad[] = {"", long_tag, "a\tb", "del\x7f", "c1\xc2\x85", "nl\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reel_artifact a = make_artifact("art-00000000000000ba", "bad", 1);
        const char *tags[] = {"fine", bad[i]};
        err.msg[0] = '\0';
        assert_int_equal(reel_db_artifact_insert(f->db, &a, tags, 2, NULL, 0, &err), REEL_EINVAL);
        assert_true(strlen(err.msg) > 0);
        assert_null(strchr(err.msg, '\n'));
        assert_int_equal(reel_db_artifact_list(f->db, &bad[i], 1, collect_id, &(ids){0}, &err),
                         REEL_EINVAL);
    }
    assert_int_equal(list_tags(f->db, NULL, 0).n, 0); /* nothing half-inserted */
    assert_int_equal(reel_db_artifact_insert(f->db, &(reel_artifact){0}, NULL, 0, NULL, 0, &err),
                     REEL_EINVAL);

    /* 128 characters is the limit, counted as characters, not bytes. */
    long_tag[128] = '\0';
    char accents[2 * 128 + 1] = "";
    for (int i = 0; i < 128; i++)
        strcat(accents, "\xc3\xa9"); /* é */
    const char *good[] = {long_tag, accents, "Ünïcødé ok"};
    reel_artifact a = make_artifact("art-00000000000000ba", "good", 1);
    insert_ok(f->db, &a, good, 3, NULL, 0);
    ids t = {0};
    assert_int_equal(reel_db_artifact_tags(f->db, a.id, collect_tag, &t, &err), REEL_OK);
    assert_int_equal(t.n, 3);
}

static void test_bad_json(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a = make_artifact("art-00000000000000b1", "j", 1);
    a.source_chunks_json = "[1, 2";
    assert_int_equal(reel_db_artifact_insert(f->db, &a, NULL, 0, NULL, 0, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "source_chunks_json"));
    a.source_chunks_json = "[]";
    a.meta_json = "[]";
    assert_int_equal(reel_db_artifact_insert(f->db, &a, NULL, 0, NULL, 0, &err), REEL_EINVAL);
    assert_non_null(strstr(err.msg, "meta_json"));
    a.meta_json = "{}";
    insert_ok(f->db, &a, NULL, 0, NULL, 0);
}

/* ---- lineage ------------------------------------------------------------ */

static void test_lineage(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact def = make_artifact("art-00000000000000d0", "{\"uri\":...}", 10);
    snprintf(def.kind, sizeof def.kind, "stream-definition");
    snprintf(def.mime, sizeof def.mime, "application/json");
    insert_ok(f->db, &def, NULL, 0, NULL, 0);

    reel_hash c1 = hash_of("chunk1"), c2 = hash_of("chunk2"), c3 = hash_of("chunk3");
    reel_artifact s1 = make_artifact("art-0000000000000051", "slice1", 20);
    reel_artifact s2 = make_artifact("art-0000000000000052", "slice2", 30);
    snprintf(s1.parent, sizeof s1.parent, "%s", def.id);
    snprintf(s2.parent, sizeof s2.parent, "%s", def.id);
    reel_hash ch1[] = {c1, c2}, ch2[] = {c2, c3, c3};
    insert_ok(f->db, &s1, NULL, 0, ch1, 2);
    insert_ok(f->db, &s2, NULL, 0, ch2, 3);
    reel_artifact v = make_artifact("art-00000000000000f1", "virtual", 40);
    snprintf(v.kind, sizeof v.kind, "virtual-slice");
    snprintf(v.parent, sizeof v.parent, "%s", s1.id);
    insert_ok(f->db, &v, NULL, 0, ch1, 1);

    /* Down: children of the definition, newest first. */
    ids k = {0};
    assert_int_equal(reel_db_artifact_children(f->db, def.id, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.id[0], s2.id);
    assert_string_equal(k.id[1], s1.id);
    k = (ids){0};
    assert_int_equal(reel_db_artifact_children(f->db, s1.id, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.id[0], v.id);
    k = (ids){0};
    assert_int_equal(reel_db_artifact_children(f->db, s2.id, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 0);
    assert_int_equal(reel_db_artifact_children(f->db, "art-missing", collect_id, &k, &err),
                     REEL_ENOENT);
    assert_non_null(strstr(err.msg, "art-missing"));

    /* Up: from the virtual slice back to the definition. */
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, v.id, &got, &err), REEL_OK);
    assert_string_equal(got.parent, s1.id);
    reel_artifact_clear(&got);
    assert_int_equal(reel_db_artifact_get(f->db, s1.id, &got, &err), REEL_OK);
    assert_string_equal(got.parent, def.id);
    reel_artifact_clear(&got);

    /* From a chunk to everything made from it. */
    k = (ids){0};
    assert_int_equal(reel_db_artifacts_from_chunk(f->db, &c2, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.id[0], s2.id);
    assert_string_equal(k.id[1], s1.id);
    k = (ids){0};
    assert_int_equal(reel_db_artifacts_from_chunk(f->db, &c1, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.id[0], v.id);
    assert_string_equal(k.id[1], s1.id);
    k = (ids){0};
    reel_hash c4 = hash_of("chunk4");
    assert_int_equal(reel_db_artifacts_from_chunk(f->db, &c4, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 0);
}

/* A callback may call back into the same handle: walk lineage recursively. */
typedef struct walk {
    reel_db *db;
    int seen;
} walk;

static int walk_down(const reel_artifact *a, void *ud)
{
    walk *w = ud;
    reel_error err = {0};
    w->seen++;
    return reel_db_artifact_children(w->db, a->id, walk_down, w, &err);
}

static void test_lineage_recursive(void **state)
{
    fixture *f = *state;
    reel_artifact root = make_artifact("art-0000000000000100", "root", 1);
    insert_ok(f->db, &root, NULL, 0, NULL, 0);
    char parent[REEL_ARTIFACT_ID_MAX];
    snprintf(parent, sizeof parent, "%s", root.id);
    for (int i = 0; i < 5; i++) { /* a chain of five, each with a sibling leaf */
        for (int j = 0; j < 2; j++) {
            char id[32], content[32];
            snprintf(id, sizeof id, "art-00000000000002%d%d", i, j);
            snprintf(content, sizeof content, "n%d%d", i, j);
            reel_artifact a = make_artifact(id, content, 10 + i);
            snprintf(a.parent, sizeof a.parent, "%s", parent);
            insert_ok(f->db, &a, NULL, 0, NULL, 0);
        }
        snprintf(parent, sizeof parent, "art-00000000000002%d0", i);
    }
    walk w = {f->db, 0};
    reel_error err = {0};
    assert_int_equal(reel_db_artifact_children(f->db, root.id, walk_down, &w, &err), REEL_OK);
    assert_int_equal(w.seen, 10);
}

/* ---- failures ----------------------------------------------------------- */

static void test_duplicate_id(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a = make_artifact("art-00000000000000dd", "first", 1);
    const char *t1[] = {"one"};
    insert_ok(f->db, &a, t1, 1, NULL, 0);

    reel_artifact b = make_artifact("art-00000000000000dd", "second", 2);
    const char *t2[] = {"two"};
    reel_hash c = hash_of("chunk");
    assert_int_equal(reel_db_artifact_insert(f->db, &b, t2, 1, &c, 1, &err), REEL_EEXIST);
    assert_non_null(strstr(err.msg, "art-00000000000000dd"));

    /* The first is untouched and nothing of the second leaked in. */
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, a.id, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&got.content, &a.content));
    reel_artifact_clear(&got);
    const char *q[] = {"two"};
    assert_int_equal(list_tags(f->db, q, 1).n, 0);
    ids k = {0};
    assert_int_equal(reel_db_artifacts_from_chunk(f->db, &c, collect_id, &k, &err), REEL_OK);
    assert_int_equal(k.n, 0);

    /* The handle still works after a failed insert (no transaction left open). */
    reel_artifact n = make_artifact("art-00000000000000de", "next", 3);
    insert_ok(f->db, &n, NULL, 0, NULL, 0);
}

static void test_missing_parent(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_artifact a = make_artifact("art-00000000000000e1", "orphan", 1);
    snprintf(a.parent, sizeof a.parent, "art-nope");
    const char *tags[] = {"x"};
    assert_int_equal(reel_db_artifact_insert(f->db, &a, tags, 1, NULL, 0, &err), REEL_ENOENT);
    assert_string_equal(err.msg, "parent artifact art-nope not found");
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, a.id, &got, &err), REEL_ENOENT);

    /* Parents must be named exactly, not by prefix. */
    reel_artifact p = make_artifact("art-00000000000000e2", "parent", 1);
    insert_ok(f->db, &p, NULL, 0, NULL, 0);
    snprintf(a.parent, sizeof a.parent, "art-00000000000000e");
    assert_int_equal(reel_db_artifact_insert(f->db, &a, NULL, 0, NULL, 0, &err), REEL_ENOENT);
    snprintf(a.parent, sizeof a.parent, "%s", p.id);
    insert_ok(f->db, &a, NULL, 0, NULL, 0);
}

/* ---- streams ------------------------------------------------------------ */

static int collect_stream(const reel_db_stream *s, void *ud)
{
    ids *c = ud;
    if (c->n < 32)
        snprintf(c->id[c->n], sizeof c->id[c->n], "%.60s", s->uri);
    c->n++;
    return 0;
}

static void test_streams(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_db_stream s = {0};
    snprintf(s.uri, sizeof s.uri, "stream://hw:1/vocals");
    s.definition_hash = hash_of("def");
    s.manifest_id = hash_of("staging id");
    snprintf(s.state, sizeof s.state, "recording");
    s.created_ns = 1000;
    s.updated_ns = 1000;
    s.pid = 4242;
    assert_int_equal(reel_db_stream_put(f->db, &s, &err), REEL_OK);

    reel_db_stream got;
    assert_int_equal(reel_db_stream_get(f->db, s.uri, &got, &err), REEL_OK);
    assert_string_equal(got.uri, s.uri);
    assert_true(reel_hash_equal(&got.definition_hash, &s.definition_hash));
    assert_true(reel_hash_equal(&got.manifest_id, &s.manifest_id));
    assert_true(reel_hash_is_zero(&got.sealed_manifest));
    assert_string_equal(got.definition_artifact, "");
    assert_string_equal(got.state, "recording");
    assert_true(got.created_ns == 1000 && got.updated_ns == 1000 && got.pid == 4242);

    /* Update: stopped and sealed. created_ns stays that of the first put. */
    reel_artifact def = make_artifact("art-00000000000000d1", "def", 1);
    insert_ok(f->db, &def, NULL, 0, NULL, 0);
    s.sealed_manifest = hash_of("sealed manifest");
    snprintf(s.definition_artifact, sizeof s.definition_artifact, "%s", def.id);
    snprintf(s.state, sizeof s.state, "stopped");
    s.created_ns = 99999;
    s.updated_ns = 2000;
    s.pid = 0;
    assert_int_equal(reel_db_stream_put(f->db, &s, &err), REEL_OK);
    assert_int_equal(reel_db_stream_get(f->db, s.uri, &got, &err), REEL_OK);
    assert_true(reel_hash_equal(&got.sealed_manifest, &s.sealed_manifest));
    assert_string_equal(got.definition_artifact, def.id);
    assert_string_equal(got.state, "stopped");
    assert_true(got.created_ns == 1000 && got.updated_ns == 2000 && got.pid == 0);

    reel_db_stream t = s;
    snprintf(t.uri, sizeof t.uri, "stream://hw:0/drums");
    assert_int_equal(reel_db_stream_put(f->db, &t, &err), REEL_OK);
    ids l = {0};
    assert_int_equal(reel_db_stream_list(f->db, collect_stream, &l, &err), REEL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.id[0], "stream://hw:0/drums");
    assert_string_equal(l.id[1], "stream://hw:1/vocals");

    assert_int_equal(reel_db_stream_get(f->db, "stream://x/none", &got, &err), REEL_ENOENT);
    assert_string_equal(err.msg, "no stream stream://x/none");
    reel_db_stream bad = {0};
    assert_int_equal(reel_db_stream_put(f->db, &bad, &err), REEL_EINVAL);
}

/* ---- GC roots ----------------------------------------------------------- */

typedef struct hashes {
    reel_hash h[32];
    int n;
} hashes;

static int collect_hash(const reel_hash *h, void *ud)
{
    hashes *c = ud;
    if (c->n < 32)
        c->h[c->n] = *h;
    c->n++;
    return 0;
}

static bool has_hash(const hashes *c, const reel_hash *h)
{
    for (int i = 0; i < c->n && i < 32; i++)
        if (reel_hash_equal(&c->h[i], h))
            return true;
    return false;
}

static void test_referenced_hashes(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    hashes c = {0};
    assert_int_equal(reel_db_referenced_hashes(f->db, collect_hash, &c, &err), REEL_OK);
    assert_int_equal(c.n, 0);

    reel_hash k1 = hash_of("k1"), k2 = hash_of("k2");
    reel_hash ch[] = {k1, k2};
    reel_artifact a = make_artifact("art-0000000000000a01", "content A", 1);
    reel_artifact b = make_artifact("art-0000000000000a02", "content A", 2); /* same content */
    reel_artifact d = make_artifact("art-0000000000000a03", "content D", 3);
    /* A virtual slice needs its chunks; a materialized slice's chunk list
     * is lineage only (k3 is named by nothing else). */
    snprintf(a.kind, sizeof a.kind, "virtual-slice");
    reel_hash k3 = hash_of("k3");
    insert_ok(f->db, &a, NULL, 0, ch, 2);
    insert_ok(f->db, &b, NULL, 0, ch, 1);
    insert_ok(f->db, &d, NULL, 0, &k3, 1);

    reel_db_stream s = {0};
    snprintf(s.uri, sizeof s.uri, "stream://hw:0/main");
    snprintf(s.state, sizeof s.state, "recording");
    s.definition_hash = hash_of("definition");
    s.manifest_id = hash_of("live manifest staging id");
    assert_int_equal(reel_db_stream_put(f->db, &s, &err), REEL_OK);

    c = (hashes){0};
    assert_int_equal(reel_db_referenced_hashes(f->db, collect_hash, &c, &err), REEL_OK);
    assert_int_equal(c.n, 5); /* A, D, k1, k2, definition: each once */
    assert_true(has_hash(&c, &a.content));
    assert_true(has_hash(&c, &d.content));
    assert_true(has_hash(&c, &k1));
    assert_true(has_hash(&c, &k2));
    assert_true(has_hash(&c, &s.definition_hash));
    assert_false(has_hash(&c, &s.manifest_id)); /* staging, not content */
    assert_false(has_hash(&c, &k3)); /* lineage of a materialized slice */

    s.sealed_manifest = hash_of("sealed");
    assert_int_equal(reel_db_stream_put(f->db, &s, &err), REEL_OK);
    c = (hashes){0};
    assert_int_equal(reel_db_referenced_hashes(f->db, collect_hash, &c, &err), REEL_OK);
    assert_int_equal(c.n, 6);
    assert_true(has_hash(&c, &s.sealed_manifest));
}

/* ---- two connections ---------------------------------------------------- */

typedef struct releaser {
    sqlite3 *h;
    int delay_ms;
} releaser;

static void *release_later(void *arg)
{
    releaser *r = arg;
    struct timespec ts = {r->delay_ms / 1000, (long)(r->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    sqlite3_exec(r->h, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* Another connection holds the write lock: reads go on at once (WAL), and a
 * write waits for the lock (busy timeout) instead of failing. */
static void test_writer_waits_reader_does_not(void **state)
{
    fixture *f = *state;
    reel_artifact a = make_artifact("art-0000000000000c01", "before", 1);
    insert_ok(f->db, &a, NULL, 0, NULL, 0);

    sqlite3 *other;
    assert_int_equal(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO artifact_tags "
                                  "VALUES ('art-0000000000000c01', 'locked')", NULL, NULL, NULL),
                     SQLITE_OK);

    int64_t t0 = now_ms();
    assert_int_equal(list_tags(f->db, NULL, 0).n, 1);
    const char *q[] = {"locked"};
    assert_int_equal(list_tags(f->db, q, 1).n, 0); /* uncommitted, invisible */
    assert_true(now_ms() - t0 < 200);

    releaser r = {other, 400};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &r), 0);
    t0 = now_ms();
    reel_artifact b = make_artifact("art-0000000000000c02", "during", 2);
    insert_ok(f->db, &b, NULL, 0, NULL, 0);
    int64_t waited = now_ms() - t0;
    pthread_join(th, NULL);
    sqlite3_close(other);
    assert_true(waited >= 300);
    assert_int_equal(list_tags(f->db, NULL, 0).n, 2);
    assert_int_equal(list_tags(f->db, q, 1).n, 1); /* now committed */
}

#define PER_PROCESS 150

static int insert_many(reel_db *db, char who, reel_error *err)
{
    for (int i = 0; i < PER_PROCESS; i++) {
        char id[32], content[32];
        snprintf(id, sizeof id, "art-%c%015d", who, i);
        snprintf(content, sizeof content, "%c-%d", who, i);
        reel_artifact a = make_artifact(id, content, i);
        const char *tags[] = {who == 'a' ? "proc-a" : "proc-b"};
        int rc = reel_db_artifact_insert(db, &a, tags, 1, NULL, 0, err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

/* Two processes, each with its own handle, insert and read at once. */
static void test_two_processes(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        reel_db *db;
        reel_error cerr = {0};
        int rc = reel_db_open(&db, f->path, &cerr);
        if (!rc)
            rc = insert_many(db, 'b', &cerr);
        if (rc)
            fprintf(stderr, "child: %s\n", cerr.msg);
        reel_db_close(db);
        _exit(rc ? 1 : 0);
    }

    /* Meanwhile: insert our own, and read between inserts. */
    int rc = REEL_OK;
    for (int i = 0; i < PER_PROCESS && !rc; i++) {
        char id[32], content[32];
        snprintf(id, sizeof id, "art-a%015d", i);
        snprintf(content, sizeof content, "a-%d", i);
        reel_artifact a = make_artifact(id, content, i);
        const char *tags[] = {"proc-a"};
        rc = reel_db_artifact_insert(f->db, &a, tags, 1, NULL, 0, &err);
        const char *q[] = {"proc-b"};
        ids seen = {0};
        if (!rc)
            rc = reel_db_artifact_list(f->db, q, 1, collect_id, &seen, &err);
    }
    if (rc)
        fprintf(stderr, "parent: %s\n", err.msg);
    assert_int_equal(rc, REEL_OK);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    const char *qa[] = {"proc-a"}, *qb[] = {"proc-b"};
    assert_int_equal(list_tags(f->db, qa, 1).n, PER_PROCESS);
    assert_int_equal(list_tags(f->db, qb, 1).n, PER_PROCESS);
    assert_int_equal(list_tags(f->db, NULL, 0).n, 2 * PER_PROCESS);
}

/* ---- bad paths and files ------------------------------------------------ */

static void test_unwritable_path(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_db *db = (reel_db *)1;
    char p[PATH_MAX * 2];

    /* A directory that does not exist. */
    snprintf(p, sizeof p, "%s/no/such/dir/reel.db", f->dir);
    assert_int_equal(reel_db_open(&db, p, &err), REEL_EDB);
    assert_null(db);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_null(strchr(err.msg, '\n'));

    /* A parent that is a regular file. */
    char file[PATH_MAX * 2];
    snprintf(file, sizeof file, "%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fputs("not a directory\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/reel.db", file);
    assert_int_equal(reel_db_open(&db, p, &err), REEL_EDB);
    assert_non_null(strstr(err.msg, p));

    /* The path is a directory. */
    assert_int_equal(reel_db_open(&db, f->dir, &err), REEL_EDB);
    assert_non_null(strstr(err.msg, f->dir));

    /* A file that is not a database at all. */
    fp = fopen(file, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, just text\n", fp);
    fclose(fp);
    assert_int_equal(reel_db_open(&db, file, &err), REEL_EDB);
    assert_non_null(strstr(err.msg, file));
    assert_non_null(strstr(err.msg, "not a database"));

    assert_int_equal(reel_db_open(&db, "", &err), REEL_EINVAL);

    /* Write-protected, where the OS enforces it (not for root). */
    if (geteuid() != 0) {
        char ro[PATH_MAX * 2];
        snprintf(ro, sizeof ro, "%s/ro", f->dir);
        assert_int_equal(mkdir(ro, 0555), 0);
        snprintf(p, sizeof p, "%s/reel.db", ro);
        assert_int_equal(reel_db_open(&db, p, &err), REEL_EDB);
        assert_non_null(strstr(err.msg, p));
        assert_int_equal(chmod(ro, 0755), 0);

        /* An existing database file without write permission. */
        reel_db_close(f->db);
        f->db = NULL;
        assert_int_equal(chmod(f->path, 0444), 0);
        assert_int_equal(reel_db_open(&db, f->path, &err), REEL_EDB);
        assert_non_null(strstr(err.msg, f->path));
        assert_non_null(strstr(err.msg, "read-only"));
    }
}

static void test_newer_schema(void **state)
{
    fixture *f = *state;
    reel_db_close(f->db);
    f->db = NULL;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    reel_error err = {0};
    reel_db *db;
    assert_int_equal(reel_db_open(&db, f->path, &err), REEL_EDB);
    assert_non_null(strstr(err.msg, "schema era 7"));
    assert_non_null(strstr(err.msg, f->path));
}

/* A version-1 file (before moments) is upgraded in place, rows kept. */
static void test_upgrade_from_v1(void **state)
{
    fixture *f = *state;
    reel_artifact a = make_artifact("art-00000000000000a1", "old", 100);
    insert_ok(f->db, &a, NULL, 0, NULL, 0);
    reel_db_close(f->db);
    f->db = NULL;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DROP TABLE moments; PRAGMA user_version = 1", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    reel_error err = {0};
    assert_int_equal(reel_db_open(&f->db, f->path, &err), REEL_OK);
    char v[64];
    raw_pragma(f->path, "PRAGMA user_version", v, sizeof v);
    assert_string_equal(v, "3"); /* the registry era (store/db_schema.c) */
    raw_pragma(f->path, "SELECT group_concat(module || '=' || version, ',') FROM "
                        "(SELECT * FROM reel_schema ORDER BY module)", v, sizeof v);
    assert_string_equal(v, "artifacts=1,moments=1,projects=1,sessions=1");
    raw_pragma(f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'sessions'", v,
               sizeof v);
    assert_string_equal(v, "1");
    reel_artifact got;
    assert_int_equal(reel_db_artifact_get(f->db, a.id, &got, &err), REEL_OK);
    reel_artifact_clear(&got);
    reel_db_moment m = {.frame = 5, .wall_ns = 7, .kind = "marker"};
    snprintf(m.stream_uri, sizeof m.stream_uri, "stream://t/a");
    assert_int_equal(reel_db_moment_insert(f->db, &m, &err), REEL_OK);
    assert_int_equal(m.id, 1);
}

/* A module recorded at a version this reel does not know: refused, naming
 * the module, and nothing is written. */
static void test_module_too_new(void **state)
{
    fixture *f = *state;
    reel_db_close(f->db);
    f->db = NULL;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE reel_schema SET version = 9 WHERE module = "
                                     "'sessions'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    reel_error err = {0};
    reel_db *db;
    assert_int_equal(reel_db_open(&db, f->path, &err), REEL_EDB);
    assert_non_null(strstr(err.msg, "the sessions tables are at version 9"));
    char v[64];
    raw_pragma(f->path, "SELECT version FROM reel_schema WHERE module = 'sessions'", v, sizeof v);
    assert_string_equal(v, "9");
}

typedef struct moment_ids {
    int64_t id[8];
    size_t n;
} moment_ids;

static int collect_moment(const reel_db_moment *m, void *ud)
{
    moment_ids *got = ud;
    got->id[got->n++] = m->id;
    return 0;
}

static void test_moments_rows(void **state)
{
    fixture *f = *state;
    reel_error err = {0};
    reel_db_moment m[3] = {
        {.stream_uri = "stream://t/a", .frame = 900, .wall_ns = 11, .kind = "level",
         .has_level = true, .level_db = -12.5},
        {.stream_uri = "stream://t/b", .frame = 10, .wall_ns = 12, .kind = "midi"},
        {.stream_uri = "stream://t/a", .frame = 100, .wall_ns = 13, .kind = "marker",
         .name = "take 2"},
    };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reel_db_moment_insert(f->db, &m[i], &err), REEL_OK);
        assert_int_equal(m[i].id, i + 1);
    }
    moment_ids listed = {0};
    assert_int_equal(reel_db_moment_list(f->db, "stream://t/a", collect_moment, &listed, &err),
                     REEL_OK);
    assert_int_equal(listed.n, 2); /* timeline order, the other stream's left out */
    assert_int_equal(listed.id[0], 3);
    assert_int_equal(listed.id[1], 1);
    reel_db_moment got;
    assert_int_equal(reel_db_moment_get(f->db, 1, &got, &err), REEL_OK);
    assert_string_equal(got.kind, "level");
    assert_true(got.has_level && got.level_db == -12.5);
    assert_int_equal(got.frame, 900);
    assert_int_equal(reel_db_moment_get(f->db, 3, &got, &err), REEL_OK);
    assert_string_equal(got.name, "take 2");
    assert_false(got.has_level);
    assert_int_equal(reel_db_moment_get(f->db, 4, &got, &err), REEL_ENOENT);
    assert_non_null(strstr(err.msg, "no moment 4"));
    /* The schema refuses an unknown kind and a negative frame. */
    reel_db_moment bad = {.stream_uri = "stream://t/a", .kind = "loud"};
    assert_int_equal(reel_db_moment_insert(f->db, &bad, &err), REEL_EDB);
    bad = (reel_db_moment){.stream_uri = "stream://t/a", .kind = "level", .frame = -1};
    assert_int_equal(reel_db_moment_insert(f->db, &bad, &err), REEL_EINVAL);
    /* An id is never reused, even after the newest row is gone. */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM moments WHERE id = 3", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    reel_db_moment again = {.stream_uri = "stream://t/a", .kind = "marker"};
    assert_int_equal(reel_db_moment_insert(f->db, &again, &err), REEL_OK);
    assert_int_equal(again.id, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_create_reopen, setup, teardown),
        cmocka_unit_test(test_new_id),
        cmocka_unit_test_setup_teardown(test_insert_get_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_by_content_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_filtering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lineage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lineage_recursive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_referenced_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_waits_reader_does_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_too_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moments_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
