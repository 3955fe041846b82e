/*
 * request.h — request-response capture: play a Standard MIDI File to a JACK
 * MIDI input while an audio stream records the response on the same JACK
 * frame clock, then store the two as linked artifacts ("MIDI sent -> audio
 * captured") with the measured round-trip latency.
 *
 * The audio stream must be recording from the same JACK server (normally
 * by `reel serve --source jack:PORT`): its clock snapshots pair stream
 * frames with JACK frame times, which is how sent frames become stream
 * frames. This module never records audio itself; a stream that is not
 * being recorded is refused with a line saying to start `reel serve`.
 *
 * Artifacts: the MIDI actually sent (kind "midi-sent", an SMF with one tick
 * per frame whose time 0 is the audio window's first frame, parent: the
 * MIDI artifact played if one was named), then the audio window (a WAV
 * slice whose parent is the MIDI-sent artifact). Both are tagged
 * "request-response" (and "session:<id>" with a session); the audio's meta
 * "request" holds the send frames, per-note onsets and latencies, the JACK
 * port names and JACK's reported port latencies.
 *
 * Owns: the sequence (check the stream, schedule, wait for the head, store,
 * measure). Must never: store an artifact for a window the stream has not
 * recorded yet, or keep the JACK client open after it returns.
 */
#ifndef REEL_REQUEST_H
#define REEL_REQUEST_H

#include "store/store.h"

#include <jansson.h>

typedef struct reel_request_opts {
    const char *midi;        /* an SMF path, or an artifact id / blake3 hash of one */
    const char *out_port;    /* the JACK MIDI input to play to */
    const char *stream_uri;  /* the audio stream that records the response */
    int64_t tail_ns;         /* recorded after the last event; < 0: 2 s */
    int64_t preroll_ns;      /* before the first event; < 0: 100 ms */
    int64_t lead_ns;         /* from the start to the first frame of the file; <= 0: 300 ms */
    int64_t max_latency_ns;  /* onsets searched up to this long after a note-on; <= 0: 500 ms */
    double threshold_db;     /* onset threshold in dBFS (< 0); 0: -40 dB */
    const char *session;     /* a session to note in meta and tags, or NULL */
    const char *jack_server; /* NULL: the default server */
    const char *client_name; /* NULL: "reel-request" */
    const char *const *tags; /* added to both artifacts */
    size_t n_tags;
    const char *creator;     /* NULL: "reel request" */
} reel_request_opts;

/* Run one request. *out: the result document (artifacts, window, events,
 * notes with onsets and latencies, latency summary, JACK ports), a new
 * reference. Errors: REEL_EINVAL (bad options, a MIDI file without events),
 * REEL_ENOENT (no such file, artifact, stream or port), REEL_ESTATE (the
 * stream is not recording from JACK), REEL_EDEVICE (JACK), and what
 * storing fails with. */
int reel_request_run(reel_store *st, const reel_request_opts *o, json_t **out, reel_error *err);

#endif
