/*
 * stream_pick.c — the stream meant when none is named (see stream_pick.h).
 */
#include "slice/stream_pick.h"

#include "slice/store_json.h"

#include <stdio.h>
#include <string.h>

int reel_stream_default(reel_store *st, char *uri, size_t cap, reel_error *err)
{
    json_t *all = NULL;
    int rc = reel_streams_json(st, &all, err);
    if (rc)
        return rc;
    size_t i, n_rec = 0, n = json_array_size(all);
    json_t *s, *pick = NULL;
    json_array_foreach(all, i, s) {
        const char *state = json_string_value(json_object_get(s, "state"));
        if (state && strcmp(state, "recording") == 0) {
            n_rec++;
            pick = s;
        }
    }
    if (n_rec != 1)
        pick = n == 1 ? json_array_get(all, 0) : NULL;
    if (!pick) {
        json_decref(all);
        if (n == 0)
            return reel_error_set(err, REEL_ENOENT, "no stream to grab from: record one first");
        return reel_error_set(err, REEL_EINVAL,
                              "%zu streams (%zu recording): name one with \"stream\"", n, n_rec);
    }
    snprintf(uri, cap, "%s", json_string_value(json_object_get(pick, "uri")));
    json_decref(all);
    return REEL_OK;
}

int reel_stream_arg(reel_store *st, json_t *args, char *uri, size_t cap, reel_error *err)
{
    const char *given = json_string_value(json_object_get(args, "stream"));
    if (!given)
        return reel_stream_default(st, uri, cap, err);
    snprintf(uri, cap, "%s", given);
    return REEL_OK;
}
