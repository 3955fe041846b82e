/*
 * jack_backend.h — capture from a JACK server (also PipeWire via pw-jack).
 *
 * One JACK client feeds any number of reel streams: each audio stream owns
 * N input ports (its channels), each MIDI stream one MIDI input port. The
 * process callback only copies into the streams' chunk writers
 * (reel_cw_write_planar_f32 / reel_cw_write_midi + reel_cw_advance) after
 * stamping each period's clocks (reel_cw_set_clock with CLOCK_MONOTONIC,
 * CLOCK_REALTIME — both vDSO, no system call — and the JACK frame time of
 * the period's first frame, jack_last_frame_time). MIDI events keep their
 * frame offset within the period.
 *
 * If the server goes away, a supervisor thread (not realtime) takes over as
 * the producer of every writer: it writes silence at the nominal rate so
 * the timeline has no hole, counts a gap, and reconnects once a server is
 * back (same client name, ports re-registered and re-connected).
 *
 * Timeline: positions follow the device's frame clock. A period the server
 * skipped for this client (its frame time jumped) is written as zeros and
 * counted in dropped_frames; while the server is away the supervisor's
 * silence keeps time by the monotonic clock, and the first period after a
 * reconnect fills up to its own first frame. A sample-rate change counts a
 * gap (the streams keep their nominal rate); a server that comes back at
 * another rate is not reconnected (silence goes on, retried every 500 ms).
 *
 * Profiling: REEL_JACK_PROFILE=PATH stores each callback's duration (ns)
 * and writes them to PATH at close (not the steady-state path).
 *
 * Must never (in the process callback): allocate, lock, log, or make a
 * system call.
 */
#ifndef REEL_JACK_BACKEND_H
#define REEL_JACK_BACKEND_H

#include "rt/chunk_writer.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_jack reel_jack;

typedef struct reel_jack_stats {
    uint64_t xruns;        /* xrun callbacks from the server */
    uint64_t periods;      /* process callbacks run */
    uint64_t gaps;         /* times the server went away */
    uint32_t sample_rate;
    uint32_t buffer_size;
    bool connected;
    uint64_t dropped_frames; /* frames of periods the server skipped (written as zeros) */
} reel_jack_stats;

/* Open a client (JackNoStartServer). REEL_EDEVICE with a clear line if no
 * server runs. `server` NULL: the default server. */
int reel_jack_open(reel_jack **out, const char *client_name, const char *server,
                   reel_error *err);

/* A bare JACK client for libreel's other JACK users (midi_send): opened
 * without starting a server, libjack's own messages silenced (a library
 * must not print). REEL_EDEVICE with a clear line if no server runs. */
struct _jack_client;
int reel_jack_client_open(struct _jack_client **out, const char *client_name, const char *server,
                          reel_error *err);

uint32_t reel_jack_sample_rate(const reel_jack *j);
uint32_t reel_jack_buffer_size(const reel_jack *j);

/* Physical capture ports (e.g. system:capture_*) for a default source;
 * fills up to `max` names into `names` (each REEL_JACK_PORT_MAX). */
#define REEL_JACK_PORT_MAX 320
size_t reel_jack_physical_capture(reel_jack *j, bool midi, char (*names)[REEL_JACK_PORT_MAX],
                                  size_t max);

/* An audio stream: registers `channels` input ports "<prefix>_1".. and, if
 * `sources` is given, connects sources[i] -> port i after activation (and
 * again after a reconnect). The writer's stream must be audio with that
 * channel count. Call before reel_jack_activate. */
int reel_jack_add_audio(reel_jack *j, const char *prefix, uint32_t channels,
                        const char *const *sources, reel_chunk_writer *cw, reel_error *err);

/* A MIDI stream: one MIDI input port, optionally connected from `source`. */
int reel_jack_add_midi(reel_jack *j, const char *port_name, const char *source,
                       reel_chunk_writer *cw, reel_error *err);

int reel_jack_activate(reel_jack *j, reel_error *err);

void reel_jack_get_stats(const reel_jack *j, reel_jack_stats *s);

/* Deactivate and close; calls reel_cw_finish on every writer exactly once. */
void reel_jack_close(reel_jack *j);

#endif
