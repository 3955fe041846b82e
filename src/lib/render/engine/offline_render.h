/*
 * offline_render.h — a project version rendered to a file (DESIGN.md
 * section 9): the compiled plan (graph_compile.h) run in a loop over the
 * range with the block size realtime playback uses, the output node's
 * frames written as float and converted by media/audio_out (WAV, RF64,
 * W64, FLAC, raw), stored in CAS and recorded as an artifact of kind
 * "render" whose parent is the version's artifact, with the project,
 * version, timeline, range, block and format in its metadata. With stems,
 * every track and bus node's post-fader signal is written too, from the
 * same run, each its own "stem" artifact.
 *
 * The same version, range and settings give the same bytes every time
 * (the plan depends on the timeline frame only; the writer adds no dates).
 *
 * Owns: the render loop and its files until they are in CAS. Must never:
 * leave a partial file in the store, or record an artifact for a render
 * that failed.
 */
#ifndef REEL_RENDER_OFFLINE_H
#define REEL_RENDER_OFFLINE_H

#include "media/audio_out.h"
#include "store/store.h"

#include <jansson.h>

typedef void (*reel_offline_progress_fn)(int64_t done, int64_t total, void *ud);

typedef struct reel_offline_request {
    const char *project;
    const char *version;  /* blake3:<hex> */
    const char *version_artifact; /* the version's artifact: the render's parent */
    json_t *doc;          /* the version's document */
    const char *timeline; /* NULL: the first */
    const char *output;   /* NULL: the first output node */
    bool has_from, has_to;
    double from, to;      /* timeline positions (its timebase); default 0 .. last clip end */
    uint32_t block;
    reel_out_format format;
    reel_sample_format sample_format;
    bool stems;
    const char *creator;
    reel_offline_progress_fn progress;
    void *progress_ud;
} reel_offline_request;

/* The reply: {artifact, content, frames, from_frame, to_frame, seconds,
 * wall_seconds, speed, rate, channels, format, sample_format, silenced,
 * stems: [{node, artifact, content}]}. */
int reel_offline_render(reel_store *st, const reel_offline_request *req, json_t **out,
                        reel_error *err);

#endif
