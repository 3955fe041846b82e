/*
 * fuzz_manifest.c — libFuzzer target for the live manifest JSON.
 *
 * Feeds a NUL-terminated copy of the input to reel_manifest_from_json. A
 * failure must be ECORRUPT (or ENOMEM) with a one-line message and leave no
 * memory behind. A manifest that parses must serialise, parse back and
 * serialise to the very same bytes (the recorder rewrites this file all the
 * time: what it writes it must be able to read), with the same totals.
 * Nothing here touches the disk (no paging, no CAS).
 */
#include "store/manifest.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    reel_error err = {0};
    reel_manifest m;
    int rc = reel_manifest_from_json(&m, s, &err);
    free(s);
    if (rc != REEL_OK) {
        if ((rc != REEL_ECORRUPT && rc != REEL_ENOMEM) || err.code != rc ||
            err.msg[0] == '\0' || strchr(err.msg, '\n'))
            abort();
        if (m.tail || m.pages || m.snaps)
            abort();
        return 0;
    }
    /* Chunk order is the invariant every lookup relies on. */
    for (size_t i = 1; i < m.n_tail; i++)
        if (m.tail[i].first_frame < m.tail[i - 1].first_frame)
            abort();
    /* The chunk count is recomputed from pages and tail. */
    uint64_t chunks = m.n_tail;
    for (size_t i = 0; i < m.n_pages; i++)
        chunks += m.pages[i].n_chunks;
    if (m.n_chunks != chunks)
        abort();

    char *j1 = NULL, *j2 = NULL;
    if (reel_manifest_to_json(&m, &j1, NULL) != REEL_OK)
        abort();
    reel_manifest back;
    if (reel_manifest_from_json(&back, j1, &err) != REEL_OK)
        abort(); /* it wrote something it cannot read */
    if (back.n_tail != m.n_tail || back.n_pages != m.n_pages || back.n_snaps != m.n_snaps ||
        back.total_frames != m.total_frames || back.total_bytes != m.total_bytes ||
        back.n_chunks != m.n_chunks || back.first_frame != m.first_frame)
        abort();
    if (reel_manifest_to_json(&back, &j2, NULL) != REEL_OK || strcmp(j1, j2) != 0)
        abort();
    free(j1);
    free(j2);
    reel_manifest_free(&back);
    reel_manifest_free(&m);
    return 0;
}
