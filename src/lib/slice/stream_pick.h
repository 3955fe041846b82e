/*
 * stream_pick.h — which stream an op means when it names none: the only
 * one recording, else the only one there is. Shared by grab, marker,
 * record_start and every op that takes an optional "stream".
 *
 * Owns: that rule and its messages. Must never: change the store.
 */
#ifndef REEL_STREAM_PICK_H
#define REEL_STREAM_PICK_H

#include "store/store.h"

#include <jansson.h>

/* The default stream's URI into uri[cap]: REEL_ENOENT when there is no
 * stream, REEL_EINVAL when several could be meant. */
int reel_stream_default(reel_store *st, char *uri, size_t cap, reel_error *err);

/* The "stream" member of `args` if present, else the default stream. */
int reel_stream_arg(reel_store *st, json_t *args, char *uri, size_t cap, reel_error *err);

#endif
