/*
 * midi_send.h — a MIDI output port that plays a schedule of events at
 * exact JACK frame times (midi_sched.h does the per-period work in the
 * process callback).
 *
 * The port joins the process's realtime context when there is one (a
 * `reel serve` in this process shares its JACK client, jack_backend.h): the
 * same client that records, so what is sent and what is captured are on
 * one frame clock, in one period. Otherwise it opens a client of its own
 * (`reel session request` run on its own). Either way the frame times are
 * the server's own frame clock, the one reel's JACK capture stamps on every
 * period (clock snapshot `device_frame`).
 *
 * Owns: its port (and the client, when it had to open one), the schedule
 * while it plays. Must never (in the process callback): allocate, lock,
 * log or make a system call.
 */
#ifndef REEL_MIDI_SEND_H
#define REEL_MIDI_SEND_H

#include "rt/midi_sched.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_midi_send reel_midi_send;

/* An output port: on the shared client of `server` if this process has one
 * (port "<client_name>-out"), else on a client `client_name` of its own
 * (JACK makes it unique) with port "out". REEL_EDEVICE with a clear line if
 * no server runs. */
int reel_midi_send_open(reel_midi_send **out, const char *client_name, const char *server,
                        reel_error *err);

uint32_t reel_midi_send_rate(const reel_midi_send *m);
uint32_t reel_midi_send_period(const reel_midi_send *m);
/* True when the port is on the process's shared client. */
bool reel_midi_send_shared(const reel_midi_send *m);
const char *reel_midi_send_port_name(const reel_midi_send *m); /* "client:out" */

/* Connect the output to `dest`, which must be a MIDI input port. */
int reel_midi_send_connect(reel_midi_send *m, const char *dest, reel_error *err);

/* The server's frame time now (an estimate between cycles). */
uint32_t reel_midi_send_now(const reel_midi_send *m);

/* A port's latency range (JACK's own report; capture: from the physical
 * inputs to it, else from it to the physical outputs). REEL_ENOENT for an
 * unknown port. */
int reel_midi_send_port_latency(reel_midi_send *m, const char *port, bool capture,
                                uint32_t range[2], reel_error *err);

/* Play `evs` (n, sorted by `at`, index == position; `at` within
 * REEL_MIDI_SCHED_MAX_SPAN of the first and in the future). The events'
 * bytes must stay alive until reel_midi_send_close. One schedule per
 * output. */
int reel_midi_send_play(reel_midi_send *m, const reel_midi_sched_ev *evs, size_t n,
                        reel_error *err);

/* Keep the ring filled. Returns true once every event has been handled;
 * REEL_EDEVICE in *rc (and err) if the server went away. */
bool reel_midi_send_pump(reel_midi_send *m, int *rc, reel_error *err);

/* The schedule's results (valid for handled events). */
const reel_midi_sched *reel_midi_send_sched(const reel_midi_send *m);

/* xruns the server reported since the output was opened. */
uint64_t reel_midi_send_xruns(const reel_midi_send *m);

/* Take the port off (close the client if it is this output's own), free. */
void reel_midi_send_close(reel_midi_send *m);

#endif
