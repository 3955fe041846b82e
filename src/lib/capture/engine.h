/*
 * engine.h — the realtime role: devices in, frames into staging chunks.
 *
 * The engine connects to a control plane (control.h): a DEALER to its
 * command endpoint and an XPUB to its events endpoint (wire.h). It records
 * what the control plane asks (StreamStart with the definition and the
 * first chunk's path, StreamSwitchChunk with each next one, StreamStop) and
 * reports StreamChunkFull when a chunk is done, StreamHeadPosition about
 * every 100 ms per stream (twice per chunk when chunks are shorter, so the
 * live edge shows in the staging chunk) and StreamError for xruns,
 * overruns and device losses. A heartbeat goes out every 250 ms so the control plane notices an
 * engine that died.
 *
 * Owns: one capture (capture.h) and one chunk writer per stream, the one
 * JACK client every JACK stream of it joins (opened with the first, shared
 * with the rest of the process for MIDI out, jack_backend.h), the mappings
 * of the chunks the control plane named and the buffers the writers write
 * instead (chunk_map.h). Must never: create, rename or delete a file (the
 * control plane does), or do anything but copy on the realtime threads
 * (the captures' callbacks). Logs, once each (a warning), when memory
 * locking or realtime priority was refused (rt_mem.h).
 */
#ifndef REEL_ENGINE_H
#define REEL_ENGINE_H

#include "io/capture.h"

#include <signal.h>
#include <stdbool.h>

typedef struct reel_engine_opts {
    const char *control;     /* the control plane's command endpoint */
    void *zmq_context;       /* shared with the control plane for inproc://; NULL: own */
    reel_capture_opts capture; /* jack server and source options */
} reel_engine_opts;

typedef struct reel_engine reel_engine;

int reel_engine_open(reel_engine **out, const reel_engine_opts *o, reel_error *err);

/* Serve until *stop is set: commands, events, heartbeats. On return every
 * stream has been stopped and its last chunk reported. *stop is read
 * atomically; set it from a signal handler, or from another thread with
 * __atomic_store_n(stop, 1, __ATOMIC_RELEASE) (a plain store from another
 * thread is a data race). */
int reel_engine_run(reel_engine *e, volatile sig_atomic_t *stop, reel_error *err);

/* Frames the device skipped (written as zeros, JACK periods the server
 * skipped) in the recordings of `uri` that ended in this engine; any
 * thread. */
uint64_t reel_engine_dropped_frames(reel_engine *e, const char *uri);

void reel_engine_close(reel_engine *e);

#endif
