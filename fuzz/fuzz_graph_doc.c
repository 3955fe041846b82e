/*
 * fuzz_graph_doc.c — libFuzzer target for the routing graph check
 * (render/engine/graph_compile.c, reel_graph_check): the graph document
 * graph_set stores and every render compiles.
 *
 * Bytes -> json_loadb -> the "graph" of a fixed project of three tracks
 * (mono, stereo, a MIDI track) -> reel_graph_check. A refusal must be
 * EINVAL, EFORMAT (a node kind this build does not run) or ENOMEM with a
 * one-line message; a graph that passes must pass again (the check is a
 * function of the document) and must compile into a plan that runs a
 * block of silence (no clips) without reading outside its buffers.
 * A "routing" list in the input becomes the timeline's events (routing_set
 * and routing_update, render/engine/routing_events.c): the compile merges
 * the graphs they leave, or refuses with one line.
 *
 * Must never: touch the disk or a store, or keep state between inputs.
 */
#include "render/engine/graph_compile.h"

#include <stdlib.h>
#include <string.h>

static void check_refusal(int rc, const reel_error *err)
{
    if ((rc != REEL_EINVAL && rc != REEL_EFORMAT && rc != REEL_ENOMEM) || err->code != rc ||
        err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort();
}

static void check_line(const reel_error *err)
{
    if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *graph = json_loadb((const char *)data, size, 0, &je);
    if (!graph)
        return 0;
    json_t *doc = json_pack(
        "{s:i, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i, s:f}, {s:s, s:s, s:i}], s:[{s:s, s:[]}], "
        "s:O}",
        "rate", 48000, "tracks", "id", "t1", "kind", "audio", "channels", 1, "id", "t2", "kind",
        "audio", "channels", 2, "gain", 0.5, "id", "t3", "kind", "midi", "channels", 1,
        "timelines", "id", "main", "clips", "graph", graph);
    if (!doc)
        abort();
    json_t *routing = json_object_get(graph, "routing");
    if (json_is_array(routing))
        json_object_set(json_array_get(json_object_get(doc, "timelines"), 0), "events", routing);
    reel_error err;
    reel_error_clear(&err);
    int rc = reel_graph_check(doc, graph, &err);
    if (rc != REEL_OK) {
        check_refusal(rc, &err);
    } else {
        reel_error_clear(&err);
        if (reel_graph_check(doc, graph, &err) != REEL_OK)
            abort();
        reel_compiled *c = NULL;
        reel_error_clear(&err);
        rc = reel_graph_compile(doc, NULL, NULL, 64, 0, NULL, &c, &err);
        if (rc == REEL_OK) {
            reel_plan_run(c->plan, 0, 64);
            for (uint32_t i = 0; i < c->n; i++)
                for (uint32_t ch = 0; ch < reel_plan_node_channels(c->plan, i); ch++)
                    if (reel_plan_node_buf(c->plan, i, ch)[63] != 0.0f)
                        abort(); /* no clips: only silence can come out */
            reel_compiled_free(c);
        } else if (json_is_array(routing)) {
            /* an event naming what is not there: one line */
            if (rc != REEL_EINVAL && rc != REEL_ENOMEM && rc != REEL_ENOENT && rc != REEL_EEXIST)
                abort();
            check_line(&err);
        } else if (rc != REEL_EINVAL && rc != REEL_ENOMEM) {
            abort(); /* only "no output node" may stop a checked graph from compiling */
        }
    }
    json_decref(doc);
    json_decref(graph);
    return 0;
}
