/*
 * fuzz_stream_def.c — libFuzzer target for stream definition JSON.
 *
 * Feeds a NUL-terminated copy of the input to reel_stream_def_from_json.
 * Beyond the sanitizers' checks it asserts the contracts callers rely on:
 * a failure is EINVAL with a one-line message; a definition that parses is
 * valid, and its JSON is canonical (serialise, parse, serialise again gives
 * the same bytes and the same definition), since the definition_hash is
 * the hash of those bytes.
 */
#include "core/stream_def.h"

#include <stdlib.h>
#include <string.h>

static void same_def(const reel_stream_def *a, const reel_stream_def *b)
{
    if (strcmp(a->uri, b->uri) || strcmp(a->device_identity, b->device_identity) ||
        a->kind != b->kind || a->sample_rate != b->sample_rate ||
        a->chunk_size_bytes != b->chunk_size_bytes)
        abort();
    if (a->kind == REEL_STREAM_AUDIO &&
        (a->channels != b->channels || a->sample_format != b->sample_format))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    reel_error err = {0};
    reel_stream_def d;
    int rc = reel_stream_def_from_json(s, &d, &err);
    free(s);
    if (rc != REEL_OK) {
        if (rc != REEL_EINVAL || err.code != REEL_EINVAL || err.msg[0] == '\0' ||
            strchr(err.msg, '\n'))
            abort();
        return 0;
    }
    if (reel_stream_def_validate(&d, NULL) != REEL_OK)
        abort();
    if (d.kind == REEL_STREAM_AUDIO && reel_stream_def_frame_bytes(&d) == 0)
        abort();

    char *j1 = NULL, *j2 = NULL;
    if (reel_stream_def_to_json(&d, &j1, NULL) != REEL_OK)
        abort();
    reel_stream_def back;
    if (reel_stream_def_from_json(j1, &back, &err) != REEL_OK)
        abort();
    same_def(&d, &back);
    if (reel_stream_def_to_json(&back, &j2, NULL) != REEL_OK || strcmp(j1, j2) != 0)
        abort();
    free(j1);
    free(j2);
    return 0;
}
