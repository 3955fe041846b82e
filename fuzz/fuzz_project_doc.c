/*
 * fuzz_project_doc.c — libFuzzer target for the project document check
 * (model/project/project_doc.c: schemas/project.schema.json plus the
 * consistency rules a schema cannot say).
 *
 * Bytes -> json_loadb (the flags project_db.c reads a stored version with)
 * -> reel_project_doc_check. A refusal must be EINVAL (or ENOMEM) with a
 * one-line message, never EIO (the embedded schema is ours). A document that
 * passes must dump canonically, parse back, pass again and dump to the very
 * same bytes (a version is the hash of that dump: what the store writes it
 * must read back as the same version), and its "tempo" must load as a tempo
 * map (the check accepted it; the engine will convert through it).
 *
 * Must never: touch the disk or a store, or keep state between inputs.
 */
#include "model/project/project_doc.h"
#include "time/tempo.h"

#include <stdlib.h>
#include <string.h>

static void check_refusal(int rc, const reel_error *err)
{
    if ((rc != REEL_EINVAL && rc != REEL_ENOMEM) || err->code != rc || err->msg[0] == '\0' ||
        strchr(err->msg, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, 0, &je);
    if (!doc)
        return 0;
    reel_error err;
    reel_error_clear(&err);
    int rc = reel_project_doc_check(doc, &err);
    if (rc != REEL_OK) {
        check_refusal(rc, &err);
        json_decref(doc);
        return 0;
    }

    char *d1 = reel_project_doc_dump(doc);
    if (!d1)
        abort();
    json_t *back = json_loads(d1, 0, &je);
    if (!back)
        abort(); /* it wrote something it cannot read */
    reel_error_clear(&err);
    if (reel_project_doc_check(back, &err) != REEL_OK)
        abort(); /* the stored form of a good document is not good */
    char *d2 = reel_project_doc_dump(back);
    if (!d2 || strcmp(d1, d2) != 0)
        abort(); /* the version hash would change across a store round trip */

    /* The check passed, so the tempo map loads: the same array the engine
     * converts through. And it loads from the dumped form identically. */
    reel_tempo_map *m1 = malloc(sizeof *m1), *m2 = malloc(sizeof *m2);
    if (!m1 || !m2)
        abort();
    reel_error_clear(&err);
    if (reel_tempo_map_from_json(json_object_get(doc, "tempo"), m1, &err) != REEL_OK)
        abort();
    reel_error_clear(&err);
    if (reel_tempo_map_from_json(json_object_get(back, "tempo"), m2, &err) != REEL_OK)
        abort();
    if (m1->n != m2->n || m1->n < 1)
        abort();
    for (size_t i = 0; i < m1->n; i++)
        if (m1->seg[i].beat != m2->seg[i].beat || m1->seg[i].bpm != m2->seg[i].bpm ||
            m1->seg[i].num != m2->seg[i].num || m1->seg[i].den != m2->seg[i].den ||
            m1->start_s[i] != m2->start_s[i])
            abort();
    free(m1);
    free(m2);
    free(d1);
    free(d2);
    json_decref(back);
    json_decref(doc);
    return 0;
}
