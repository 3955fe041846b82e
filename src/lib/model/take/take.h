/*
 * take.h — the recorder state machine behind /record/... and the record ops:
 * a take writes one audio stream, from the frame at start to the frame at
 * stop, into a WAV file in <store>/exports/, then stores it as an artifact
 * with its lineage (stream, window, chunks).
 *
 *     idle --start--> arming --(file made, head read)--> recording
 *     recording --stop--> stopping --(file finished, artifact)--> idle
 *
 * Every other request (start while arming, recording or stopping; stop
 * while idle, arming or stopping) fails with REEL_ESTATE and a message
 * naming the take, and changes nothing: the seed's "second click" cannot
 * crash anything. Calls may come from any thread at once.
 *
 * Streaming: a worker thread of the module follows the stream's head
 * (read from the store's manifest, which the recorder updates every
 * ~100 ms) and appends the new frames to the file as they arrive, through
 * the slice reader; memory use does not grow with the take. Stop returns
 * at once with the take's final length; the worker finishes the file
 * (header, fsync), records the artifact and goes back to idle.
 *
 * Owns: its worker thread and the worker's store handle, the open take
 * file. Must never: write outside exports/, overwrite a file, hold the take
 * in memory, or block a caller on disk work beyond starting a file.
 */
#ifndef REEL_TAKE_H
#define REEL_TAKE_H

#include "store/store.h"

#include <jansson.h>

typedef enum reel_take_state {
    REEL_TAKE_IDLE,
    REEL_TAKE_ARMING,
    REEL_TAKE_RECORDING,
    REEL_TAKE_STOPPING,
} reel_take_state;

const char *reel_take_state_name(reel_take_state s);

typedef struct reel_take reel_take;

/* Called (from any of the module's threads, no lock held) whenever the
 * state changes, with the status document; `ev` is borrowed. */
typedef void (*reel_take_event_fn)(void *ud, json_t *ev);

/* Takes of the store at `root` (its worker opens its own handle). */
int reel_take_open(reel_take **out, const char *root, reel_take_event_fn fn, void *ud,
                   reel_error *err);

/* A take in progress is stopped at the head and finished before return. */
void reel_take_close(reel_take *t);

/* Start a take of `stream` (an audio stream that is recording) into a file
 * named after `name` (NULL: from the time; see take_name.h). `st` is a
 * store handle the calling thread may use; `creator` goes to the artifact.
 * *out: the status (state "recording", file, path, stream, from_frame). */
int reel_take_start(reel_take *t, reel_store *st, const char *stream, const char *name,
                    const char *creator, json_t **out, reel_error *err);
/* The same with the take's first frame given: the frame the stream was at
 * when the start was received (capture/stream_control.h), not the last head
 * the store has. NULL `at`: the store's head. */
int reel_take_start_at(reel_take *t, reel_store *st, const char *stream, const char *name,
                       const char *creator, const uint64_t *at, json_t **out, reel_error *err);

/* Stop the take at the stream's head now. *out: the status (state
 * "stopping", frames and seconds the file will hold). */
int reel_take_stop(reel_take *t, reel_store *st, json_t **out, reel_error *err);
/* The same with the end frame given (the frame at the instant the stop was
 * received); never before what is written already. The writer stays half a
 * second behind the head while a take records, so a stop that reaches the
 * take up to that long after the head passed its frame still ends there. */
int reel_take_stop_at(reel_take *t, reel_store *st, const uint64_t *at, json_t **out,
                      reel_error *err);

/* The stream of the take being recorded into buf (cap bytes); false when
 * no take is recording. */
bool reel_take_stream(reel_take *t, char *buf, size_t cap);

/* {state, file, path, stream, from_frame, frames, seconds, takes, last}:
 * the current take (frames written so far; when stopping, its final
 * length) and `last`, the take finished most recently (artifact or error). */
json_t *reel_take_status(reel_take *t);

reel_take_state reel_take_state_now(reel_take *t);

/* Wait until the state is idle (up to timeout_ms): REEL_OK or REEL_ESTATE. */
int reel_take_wait_idle(reel_take *t, int timeout_ms);

#endif
