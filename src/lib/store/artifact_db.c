/*
 * artifact_db.c — the artifacts of reel.db: rows, tags, lineage and the
 * chunks each artifact reads (see artifact_db.h).
 *
 * Owns: the "artifacts" schema module (registered with db_schema.h; its
 * first step also creates the streams table, whose rows stream_db.c owns)
 * and the SQL of the artifact, tag and chunk tables. Must never: hold the
 * only copy of anything (content, stream definitions and manifests live in
 * the CAS; rows here only name them), or keep a write transaction open
 * across a caller's callback — a recorder and a slicer in two processes
 * share this file.
 *
 * Statements are prepared per call rather than cached on the handle, so a
 * callback may call back into the same handle (walking lineage recursively,
 * say) without resetting a statement that is still stepping. Preparing these
 * small statements costs microseconds; none of them is on a realtime path.
 */
#include "store/db_sql.h"

#include "store/db_schema.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#define TAG_MAX_CHARS 128
#define ID_PREFIX_MIN 5
/* One INTERSECT term per queried tag; SQLite caps a compound SELECT at 500. */
#define QUERY_TAGS_MAX 64

/* Step 1 of the "artifacts" module. Empty strings and "none" markers (-1 frames, 0 wall clock, zero
 * hashes) are stored as NULL so that SQL sees them as absent. Hashes are
 * spelled "blake3:<64 hex>", the same as everywhere else in reel. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS artifacts ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  content_hash TEXT NOT NULL,"
    "  mime TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  parent_id TEXT REFERENCES artifacts(id),"
    "  creator TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  stream_uri TEXT,"
    "  from_frame INTEGER,"
    "  to_frame INTEGER,"
    "  from_wall_ns INTEGER,"
    "  to_wall_ns INTEGER,"
    "  source_chunks TEXT,"
    "  clock_snapshots TEXT,"
    "  meta TEXT);"
    "CREATE INDEX IF NOT EXISTS artifacts_content ON artifacts(content_hash);"
    "CREATE INDEX IF NOT EXISTS artifacts_parent ON artifacts(parent_id);"
    "CREATE INDEX IF NOT EXISTS artifacts_newest ON artifacts(created_ns DESC, id);"
    "CREATE TABLE IF NOT EXISTS artifact_tags ("
    "  artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,"
    "  tag TEXT NOT NULL,"
    "  PRIMARY KEY (artifact_id, tag)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS artifact_tags_tag ON artifact_tags(tag);"
    "CREATE TABLE IF NOT EXISTS artifact_chunks ("
    "  artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,"
    "  chunk_hash TEXT NOT NULL,"
    "  PRIMARY KEY (artifact_id, chunk_hash)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS artifact_chunks_hash ON artifact_chunks(chunk_hash);"
    "CREATE TABLE IF NOT EXISTS streams ("
    "  uri TEXT PRIMARY KEY NOT NULL,"
    "  definition_hash TEXT,"
    "  manifest_id TEXT,"
    "  sealed_manifest TEXT,"
    "  definition_artifact TEXT,"
    "  state TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  updated_ns INTEGER NOT NULL,"
    "  pid INTEGER NOT NULL DEFAULT 0);";

static const char *const artifact_steps[] = {schema_sql};
static const reel_db_schema artifact_schema = {"artifacts", 0, artifact_steps, 1};
REEL_DB_SCHEMA(artifact_schema);

#define ARTIFACT_COLS                                                                        \
    "id, content_hash, mime, kind, parent_id, creator, created_ns, stream_uri, from_frame, " \
    "to_frame, from_wall_ns, to_wall_ns, source_chunks, clock_snapshots, meta"
#define NEWEST_FIRST " ORDER BY created_ns DESC, id"

void reel_artifact_clear(reel_artifact *a)
{
    free(a->source_chunks_json);
    free(a->clock_json);
    free(a->meta_json);
    a->source_chunks_json = a->clock_json = a->meta_json = NULL;
}

int reel_artifact_new_id(reel_artifact *a, reel_error *err)
{
    uint8_t r[8];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return reel_error_set(err, REEL_EIO, "getrandom for an artifact id: %s",
                                  strerror(errno));
        }
        got += (size_t)n;
    }
    char *p = a->id + snprintf(a->id, sizeof a->id, "art-");
    for (size_t i = 0; i < sizeof r; i++)
        p += snprintf(p, 3, "%02x", r[i]);
    return REEL_OK;
}

/* Decode one row of ARTIFACT_COLS. On failure *a holds no allocations. */
static int row_to_artifact(reel_db *db, sqlite3_stmt *st, reel_artifact *a, reel_error *err)
{
    memset(a, 0, sizeof *a);
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (!col_copy(st, 0, a->id, sizeof a->id) || !col_copy(st, 2, a->mime, sizeof a->mime) ||
        !col_copy(st, 3, a->kind, sizeof a->kind) ||
        !col_copy(st, 4, a->parent, sizeof a->parent) ||
        !col_copy(st, 5, a->creator, sizeof a->creator) ||
        !col_copy(st, 7, a->stream_uri, sizeof a->stream_uri))
        return reel_error_set(err, REEL_ECORRUPT, "%s: artifact %.80s has an over-long field",
                              db->path, id ? id : "(null)");
    if (!col_hash(st, 1, &a->content))
        return reel_error_set(err, REEL_ECORRUPT, "%s: artifact %s has a malformed content hash",
                              db->path, a->id);
    a->created_ns = col_int(st, 6, 0);
    a->from_frame = col_int(st, 8, -1);
    a->to_frame = col_int(st, 9, -1);
    a->from_wall_ns = col_int(st, 10, 0);
    a->to_wall_ns = col_int(st, 11, 0);
    if (!col_strdup(st, 12, &a->source_chunks_json) || !col_strdup(st, 13, &a->clock_json) ||
        !col_strdup(st, 14, &a->meta_json)) {
        reel_artifact_clear(a);
        return reel_error_set(err, REEL_ENOMEM, "out of memory reading artifact %s", a->id);
    }
    return REEL_OK;
}

/* Step `st` (bound, unstepped) to the end, handing each row to fn as a
 * temporary artifact. A non-zero return from fn stops the walk and is
 * returned. Finalizes st. *count (if given) gets the rows seen. */
static int each_artifact(reel_db *db, sqlite3_stmt *st, reel_db_artifact_fn fn, void *ud,
                         const char *what, size_t *count, reel_error *err)
{
    size_t n = 0;
    int rc = REEL_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_artifact a;
        if ((rc = row_to_artifact(db, st, &a, err)))
            break;
        n++;
        rc = fn(&a, ud);
        reel_artifact_clear(&a);
        if (rc)
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = reel_db_fail(db, err, "%s", what);
    sqlite3_finalize(st);
    if (count)
        *count = n;
    return rc;
}

/* Run `sql` bound to one text key; decode the first row into *out. */
static int load_first(reel_db *db, const char *sql, const char *key, reel_artifact *out,
                      bool *found, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, sql, &st, "look up artifact", err);
    if (rc)
        return rc;
    *found = false;
    if (bind_text(st, 1, key)) {
        rc = reel_db_fail(db, err, "look up artifact %.80s", key);
    } else {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            rc = row_to_artifact(db, st, out, err);
            *found = rc == REEL_OK;
        } else if (step != SQLITE_DONE) {
            rc = reel_db_fail(db, err, "look up artifact %.80s", key);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int artifact_exists(reel_db *db, const char *id, bool *yes, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT 1 FROM artifacts WHERE id = ?1", &st, "look up artifact", err);
    if (rc)
        return rc;
    int step = bind_text(st, 1, id) ? SQLITE_ERROR : sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        *yes = step == SQLITE_ROW;
    else
        rc = reel_db_fail(db, err, "look up artifact %.80s", id);
    sqlite3_finalize(st);
    return rc;
}

static int check_tag(const char *tag, reel_error *err)
{
    if (!tag || !tag[0])
        return reel_error_set(err, REEL_EINVAL, "empty tag");
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++) {
        /* C0 controls and DEL, and C1 controls in their UTF-8 spelling. */
        unsigned code = *p < 0x20 || *p == 0x7f ? *p : 0;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            code = p[1];
        if (code) {
            int shown = (const char *)p - tag > 60 ? 60 : (int)((const char *)p - tag);
            return reel_error_set(err, REEL_EINVAL,
                                  "tag '%.*s...' contains a control character (U+%04X)", shown,
                                  tag, code);
        }
        if ((*p & 0xc0) != 0x80) /* not a UTF-8 continuation byte */
            chars++;
    }
    if (chars > TAG_MAX_CHARS)
        return reel_error_set(err, REEL_EINVAL, "tag '%.40s...' is longer than %d characters",
                              tag, TAG_MAX_CHARS);
    return REEL_OK;
}

static int check_tags(const char *const *tags, size_t n_tags, reel_error *err)
{
    if (n_tags && !tags)
        return reel_error_set(err, REEL_EINVAL, "%zu tags given but no tag array", n_tags);
    for (size_t i = 0; i < n_tags; i++) {
        int rc = check_tag(tags[i], err);
        if (rc)
            return rc;
    }
    return REEL_OK;
}

static int check_artifact(const reel_artifact *a, reel_error *err)
{
    if (!fits(a->id, sizeof a->id) || !a->id[0])
        return reel_error_set(err, REEL_EINVAL, "artifact has no id");
    /* reel_db_artifact_get reads "blake3:..." as a content hash, so such an
     * id could never be looked up. */
    if (strncmp(a->id, REEL_HASH_PREFIX, strlen(REEL_HASH_PREFIX)) == 0)
        return reel_error_set(err, REEL_EINVAL, "artifact id %s looks like a content hash",
                              a->id);
    if (!fits(a->mime, sizeof a->mime) || !fits(a->kind, sizeof a->kind) ||
        !fits(a->parent, sizeof a->parent) || !fits(a->creator, sizeof a->creator) ||
        !fits(a->stream_uri, sizeof a->stream_uri))
        return reel_error_set(err, REEL_EINVAL, "artifact %s has an unterminated text field",
                              a->id);
    if (!a->kind[0])
        return reel_error_set(err, REEL_EINVAL, "artifact %s has no kind", a->id);
    return REEL_OK;
}

/* The JSON members must be what the header promises (array, array, object),
 * since every reader of lineage hands them on as JSON. SQLite's own JSON
 * functions check them, so the schema stays free of CHECK constraints. */
static int check_json(reel_db *db, const reel_artifact *a, reel_error *err)
{
    const char *json[3] = {a->source_chunks_json, a->clock_json, a->meta_json};
    static const char *const name[3] = {"source_chunks_json", "clock_json", "meta_json"};
    static const char *const want[3] = {"array", "array", "object"};
    if (!json[0] && !json[1] && !json[2])
        return REEL_OK;
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) END,"
                     " CASE WHEN json_valid(?2) THEN json_type(?2) END,"
                     " CASE WHEN json_valid(?3) THEN json_type(?3) END",
                     &st, "check artifact JSON", err);
    if (rc)
        return rc;
    for (int i = 0; i < 3 && !rc; i++) {
        if (json[i] ? bind_text(st, i + 1, json[i]) : sqlite3_bind_null(st, i + 1))
            rc = reel_db_fail(db, err, "check JSON of artifact %s", a->id);
    }
    if (!rc && sqlite3_step(st) != SQLITE_ROW)
        rc = reel_db_fail(db, err, "check JSON of artifact %s", a->id);
    for (int i = 0; i < 3 && !rc; i++) {
        const char *type = (const char *)sqlite3_column_text(st, i);
        if (json[i] && (!type || strcmp(type, want[i]) != 0))
            rc = reel_error_set(err, REEL_EINVAL, "artifact %s: %s is not a JSON %s", a->id,
                                name[i], want[i]);
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_row(reel_db *db, const reel_artifact *a, reel_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "INSERT INTO artifacts (" ARTIFACT_COLS ")"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                     &st, "insert artifact", err);
    if (rc)
        return rc;
    if (bind_text(st, 1, a->id) || bind_hash(st, 2, &a->content) || bind_text(st, 3, a->mime) ||
        bind_text(st, 4, a->kind) || bind_opt_text(st, 5, a->parent) ||
        bind_text(st, 6, a->creator) || sqlite3_bind_int64(st, 7, a->created_ns) ||
        bind_opt_text(st, 8, a->stream_uri) || bind_opt_int(st, 9, a->from_frame, -1) ||
        bind_opt_int(st, 10, a->to_frame, -1) || bind_opt_int(st, 11, a->from_wall_ns, 0) ||
        bind_opt_int(st, 12, a->to_wall_ns, 0) ||
        (a->source_chunks_json ? bind_text(st, 13, a->source_chunks_json)
                               : sqlite3_bind_null(st, 13)) ||
        (a->clock_json ? bind_text(st, 14, a->clock_json) : sqlite3_bind_null(st, 14)) ||
        (a->meta_json ? bind_text(st, 15, a->meta_json) : sqlite3_bind_null(st, 15))) {
        rc = reel_db_fail(db, err, "insert artifact %s", a->id);
    } else if (sqlite3_step(st) != SQLITE_DONE) {
        /* The caller checked existence inside this transaction; this is the
         * backstop should the constraint fire anyway. */
        int ext = sqlite3_extended_errcode(db->h);
        if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
            rc = reel_error_set(err, REEL_EEXIST, "artifact %s already exists", a->id);
        else
            rc = reel_db_fail(db, err, "insert artifact %s", a->id);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Insert (artifact_id, value) pairs; duplicates in the input collapse. */
static int insert_pairs(reel_db *db, const char *sql, const char *id, const char *const *values,
                        const reel_hash *hashes, size_t n, const char *what, reel_error *err)
{
    if (n == 0)
        return REEL_OK;
    sqlite3_stmt *st;
    int rc = prepare(db, sql, &st, what, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        int brc = bind_text(st, 1, id);
        if (!brc)
            brc = values ? bind_text(st, 2, values[i]) : bind_hash(st, 2, &hashes[i]);
        if (brc || sqlite3_step(st) != SQLITE_DONE)
            rc = reel_db_fail(db, err, "%s of artifact %s", what, id);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int reel_db_artifact_insert(reel_db *db, const reel_artifact *a, const char *const *tags,
                            size_t n_tags, const reel_hash *chunks, size_t n_chunks,
                            reel_error *err)
{
    int rc;
    if ((rc = check_artifact(a, err)) || (rc = check_tags(tags, n_tags, err)))
        return rc;
    if (n_chunks && !chunks)
        return reel_error_set(err, REEL_EINVAL, "%zu chunks given but no chunk array", n_chunks);
    if ((rc = check_json(db, a, err)))
        return rc;

    if ((rc = exec(db, "BEGIN IMMEDIATE", "begin artifact insert", err)))
        return rc;
    bool exists = false;
    if ((rc = artifact_exists(db, a->id, &exists, err)))
        goto fail;
    if (exists) {
        rc = reel_error_set(err, REEL_EEXIST, "artifact %s already exists", a->id);
        goto fail;
    }
    /* Checked here rather than left to the foreign key, whose message
     * ("FOREIGN KEY constraint failed") names nothing. */
    if (a->parent[0]) {
        if ((rc = artifact_exists(db, a->parent, &exists, err)))
            goto fail;
        if (!exists) {
            rc = reel_error_set(err, REEL_ENOENT, "parent artifact %s not found", a->parent);
            goto fail;
        }
    }
    if ((rc = insert_row(db, a, err)) ||
        (rc = insert_pairs(db,
                           "INSERT OR IGNORE INTO artifact_tags (artifact_id, tag) VALUES (?1, ?2)",
                           a->id, tags, NULL, n_tags, "insert tags", err)) ||
        (rc = insert_pairs(db,
                           "INSERT OR IGNORE INTO artifact_chunks (artifact_id, chunk_hash)"
                           " VALUES (?1, ?2)",
                           a->id, NULL, chunks, n_chunks, "insert source chunks", err)) ||
        (rc = exec(db, "COMMIT", "commit artifact insert", err)))
        goto fail;
    return REEL_OK;
fail:
    rollback(db);
    return rc;
}

int reel_db_artifact_delete(reel_db *db, const char *id, reel_error *err)
{
    sqlite3 *h = reel_db_sqlite(db);
    static const char *const sql[] = {
        "UPDATE artifacts SET parent_id = NULL WHERE parent_id = ?1",
        "DELETE FROM artifact_tags WHERE artifact_id = ?1",
        "DELETE FROM artifact_chunks WHERE artifact_id = ?1",
        "DELETE FROM artifacts WHERE id = ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, sql[i], -1, &st, NULL) != SQLITE_OK)
            return reel_error_set(err, REEL_EDB, "%s: delete artifact: %s", reel_db_path(db),
                                  sqlite3_errmsg(h));
        int step = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ? SQLITE_ERROR
                                                                    : sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE)
            return reel_error_set(err, REEL_EDB, "%s: delete artifact %s: %s", reel_db_path(db),
                                  id, sqlite3_errmsg(h));
    }
    return REEL_OK;
}

static int get_by_content(reel_db *db, const char *spec, reel_artifact *out, reel_error *err)
{
    reel_hash h;
    int rc = reel_hash_from_hex(&h, spec, err);
    if (rc)
        return rc;
    char key[REEL_HASH_HEX + 8]; /* normalized: lowercase hex */
    reel_hash_to_string(&h, key);
    bool found;
    rc = load_first(db,
                    "SELECT " ARTIFACT_COLS " FROM artifacts WHERE content_hash = ?1"
                    NEWEST_FIRST " LIMIT 1",
                    key, out, &found, err);
    if (!rc && !found)
        rc = reel_error_set(err, REEL_ENOENT, "no artifact with content %s", key);
    return rc;
}

int reel_db_artifact_get(reel_db *db, const char *id, reel_artifact *out, reel_error *err)
{
    memset(out, 0, sizeof *out);
    out->from_frame = out->to_frame = -1;
    if (!id || !id[0])
        return reel_error_set(err, REEL_EINVAL, "missing artifact id");
    if (strncmp(id, REEL_HASH_PREFIX, strlen(REEL_HASH_PREFIX)) == 0)
        return get_by_content(db, id, out, err);

    /* An exact id wins even where it is also the prefix of a longer one. */
    bool found;
    int rc = load_first(db, "SELECT " ARTIFACT_COLS " FROM artifacts WHERE id = ?1", id, out,
                        &found, err);
    if (rc || found)
        return rc;
    size_t len = strlen(id);
    if (len < ID_PREFIX_MIN)
        return reel_error_set(err, REEL_ENOENT,
                              "no artifact %s (an id prefix needs at least %d characters)", id,
                              ID_PREFIX_MIN);
    if (len >= REEL_ARTIFACT_ID_MAX)
        return reel_error_set(err, REEL_ENOENT, "no artifact %.80s", id);

    /* Every id starting with `id` sorts in [id, id + 0xff): 0xff never occurs
     * in UTF-8, and the comparison is memcmp. The range uses the key index. */
    char upper[REEL_ARTIFACT_ID_MAX + 1];
    memcpy(upper, id, len);
    upper[len] = (char)0xff;
    upper[len + 1] = '\0';
    sqlite3_stmt *st;
    if ((rc = prepare(db, "SELECT id FROM artifacts WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 2",
                      &st, "look up artifact", err)))
        return rc;
    char match[2][REEL_ARTIFACT_ID_MAX];
    int n = 0, step = SQLITE_ERROR;
    if (!bind_text(st, 1, id) && !bind_text(st, 2, upper)) {
        while ((step = sqlite3_step(st)) == SQLITE_ROW && n < 2) {
            if (!col_copy(st, 0, match[n], sizeof match[n]))
                continue; /* too long to be an id reel wrote; cannot be loaded */
            n++;
        }
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rc = reel_db_fail(db, err, "look up artifact %s", id);
    sqlite3_finalize(st);
    if (rc)
        return rc;
    if (n == 0)
        return reel_error_set(err, REEL_ENOENT, "no artifact %s", id);
    if (n > 1)
        return reel_error_set(err, REEL_EAMBIG, "artifact id prefix %s is ambiguous (%s, %s, ...)",
                              id, match[0], match[1]);
    rc = load_first(db, "SELECT " ARTIFACT_COLS " FROM artifacts WHERE id = ?1", match[0], out,
                    &found, err);
    if (!rc && !found) /* cannot happen: nothing deletes artifacts */
        rc = reel_error_set(err, REEL_ENOENT, "no artifact %s", id);
    return rc;
}

int reel_db_artifact_tags(reel_db *db, const char *id, reel_db_tag_fn fn, void *ud,
                          reel_error *err)
{
    if (!id || !id[0])
        return reel_error_set(err, REEL_EINVAL, "missing artifact id");
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT tag FROM artifact_tags WHERE artifact_id = ?1 ORDER BY tag", &st,
                     "list tags", err);
    if (rc)
        return rc;
    size_t n = 0;
    int step = bind_text(st, 1, id) ? SQLITE_ERROR : sqlite3_step(st);
    for (; step == SQLITE_ROW; step = sqlite3_step(st)) {
        n++;
        if ((rc = fn((const char *)sqlite3_column_text(st, 0), ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = reel_db_fail(db, err, "list tags of artifact %s", id);
    sqlite3_finalize(st);
    if (rc || n)
        return rc;
    /* No tags: say whether that is because there is no such artifact. */
    bool exists = false;
    if ((rc = artifact_exists(db, id, &exists, err)))
        return rc;
    return exists ? REEL_OK : reel_error_set(err, REEL_ENOENT, "no artifact %s", id);
}

int reel_db_artifact_list(reel_db *db, const char *const *tags, size_t n_tags,
                          reel_db_artifact_fn fn, void *ud, reel_error *err)
{
    int rc = check_tags(tags, n_tags, err);
    if (rc)
        return rc;
    if (n_tags > QUERY_TAGS_MAX)
        return reel_error_set(err, REEL_EINVAL, "too many tags in one query (%zu, at most %d)",
                              n_tags, QUERY_TAGS_MAX);

    /* Having every tag = in the intersection of the sets of ids having each
     * one; INTERSECT also makes a repeated tag harmless. */
    char sql[256 + QUERY_TAGS_MAX * 80]; /* each term is under 80 bytes */
    size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT " ARTIFACT_COLS " FROM artifacts");
    for (size_t i = 0; i < n_tags; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len,
                                "%sSELECT artifact_id FROM artifact_tags WHERE tag = ?%zu",
                                i ? " INTERSECT " : " WHERE id IN (", i + 1);
    snprintf(sql + len, sizeof sql - len, "%s" NEWEST_FIRST, n_tags ? ")" : "");

    sqlite3_stmt *st;
    if ((rc = prepare(db, sql, &st, "list artifacts", err)))
        return rc;
    for (size_t i = 0; i < n_tags; i++) {
        if (bind_text(st, (int)i + 1, tags[i])) {
            rc = reel_db_fail(db, err, "list artifacts");
            sqlite3_finalize(st);
            return rc;
        }
    }
    return each_artifact(db, st, fn, ud, "list artifacts", NULL, err);
}

int reel_db_artifact_children(reel_db *db, const char *id, reel_db_artifact_fn fn, void *ud,
                              reel_error *err)
{
    if (!id || !id[0])
        return reel_error_set(err, REEL_EINVAL, "missing artifact id");
    sqlite3_stmt *st;
    int rc = prepare(db, "SELECT " ARTIFACT_COLS " FROM artifacts WHERE parent_id = ?1"
                     NEWEST_FIRST, &st, "list children", err);
    if (rc)
        return rc;
    if (bind_text(st, 1, id)) {
        rc = reel_db_fail(db, err, "list children of artifact %s", id);
        sqlite3_finalize(st);
        return rc;
    }
    size_t n = 0;
    if ((rc = each_artifact(db, st, fn, ud, "list children", &n, err)) || n)
        return rc;
    /* No children: say whether that is because there is no such parent. */
    bool exists = false;
    if ((rc = artifact_exists(db, id, &exists, err)))
        return rc;
    return exists ? REEL_OK : reel_error_set(err, REEL_ENOENT, "no artifact %s", id);
}

int reel_db_artifacts_from_chunk(reel_db *db, const reel_hash *chunk, reel_db_artifact_fn fn,
                                 void *ud, reel_error *err)
{
    if (!chunk)
        return reel_error_set(err, REEL_EINVAL, "missing chunk hash");
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "SELECT " ARTIFACT_COLS " FROM artifacts WHERE id IN"
                     " (SELECT artifact_id FROM artifact_chunks WHERE chunk_hash = ?1)"
                     NEWEST_FIRST, &st, "list artifacts from chunk", err);
    if (rc)
        return rc;
    if (bind_hash(st, 1, chunk)) {
        rc = reel_db_fail(db, err, "list artifacts from chunk");
        sqlite3_finalize(st);
        return rc;
    }
    return each_artifact(db, st, fn, ud, "list artifacts from chunk", NULL, err);
}

int reel_db_referenced_hashes(reel_db *db, reel_db_hash_fn fn, void *ud, reel_error *err)
{
    /* UNION removes duplicates: a chunk shared by a hundred slices is one
     * root. Zero hashes (stream fields not set yet) are stored as NULL. */
    sqlite3_stmt *st;
    int rc = prepare(db,
                     "SELECT content_hash FROM artifacts"
                     " UNION SELECT c.chunk_hash FROM artifact_chunks c"
                     "  JOIN artifacts a ON a.id = c.artifact_id WHERE a.kind <> 'slice'"
                     " UNION SELECT definition_hash FROM streams WHERE definition_hash NOT NULL"
                     " UNION SELECT sealed_manifest FROM streams WHERE sealed_manifest NOT NULL",
                     &st, "list referenced hashes", err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        reel_hash h;
        if (!col_hash(st, 0, &h)) {
            rc = reel_error_set(err, REEL_ECORRUPT, "%s: malformed hash '%.80s' in the index",
                                db->path, (const char *)sqlite3_column_text(st, 0));
            break;
        }
        if (reel_hash_is_zero(&h))
            continue;
        if ((rc = fn(&h, ud)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = reel_db_fail(db, err, "list referenced hashes");
    sqlite3_finalize(st);
    return rc;
}

bool reel_artifact_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= REEL_ARTIFACT_ID_MAX + 8)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == ':'))
            return false;
    }
    return true;
}
