/*
 * jack_backend.h — the JACK device: one client, one realtime context (also
 * PipeWire via pw-jack).
 *
 * One client carries every capture stream and every MIDI output of its
 * user: each audio stream owns N input ports (its channels), each MIDI
 * stream one MIDI input port, each output one MIDI output port. Streams and
 * outputs join and leave while the client runs, through the context's one
 * command queue (jack_rt.h): the process callback only applies those
 * commands, copies into the streams' chunk writers
 * (reel_cw_write_planar_f32 / reel_cw_write_midi + reel_cw_advance) after
 * stamping each period's clocks (CLOCK_MONOTONIC, CLOCK_REALTIME — both
 * vDSO, no system call — and the JACK frame time of the period's first
 * frame, jack_last_frame_time), and plays the outputs' schedules, so
 * capture and MIDI out share one frame clock. MIDI events keep their frame
 * offset within the period.
 *
 * One per process and server: the engine shares its client
 * (reel_jack_share); other parts of the process that need JACK (MIDI out
 * for request-response, a stream definition asking for the server's rate
 * and ports) take that client (reel_jack_shared_acquire) instead of
 * opening their own.
 *
 * If the server goes away, a supervisor thread (not realtime) takes over as
 * the producer of every writer: it writes silence at the nominal rate so
 * the timeline has no hole, counts a gap, applies the queued commands, and
 * reconnects once a server is back (same client name, capture ports
 * re-registered and re-connected; MIDI outputs end, their users see the
 * loss).
 *
 * Timeline: positions follow the device's frame clock. A period the server
 * skipped for this client (its frame time jumped) is owed as silence and
 * counted in dropped_frames; while the server is away the supervisor's
 * silence keeps time by the monotonic clock, and the first period after a
 * reconnect owes the rest up to its own first frame (fill_frames). Owed
 * silence is written by the writers over later periods, a bounded amount
 * each (chunk_writer.h). A sample-rate change counts a gap (the streams
 * keep their nominal rate); a server that comes back at another rate is
 * not reconnected (silence goes on, retried every 500 ms).
 *
 * Messages: libjack prints to stderr unless told otherwise, process-wide.
 * This library sets no handler; an application that wants libjack quiet
 * calls reel_jack_silence_messages once.
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
#include "rt/graph_player.h"
#include "rt/jack_rt.h"
#include "rt/midi_sched.h"

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
    uint64_t dropped_frames; /* frames of periods the server skipped (owed as silence) */
    uint64_t fill_frames;    /* frames owed after reconnects */
    size_t streams;          /* capture streams on the client */
} reel_jack_stats;

/* libjack's error and info messages go nowhere from now on (process-wide:
 * for the application to call, once). */
void reel_jack_silence_messages(void);

/* Open a client (JackNoStartServer). REEL_EDEVICE with a clear line if no
 * server runs. `server` NULL: the default server. */
int reel_jack_open(reel_jack **out, const char *client_name, const char *server,
                   reel_error *err);

const char *reel_jack_client_name(const reel_jack *j);
uint32_t reel_jack_sample_rate(const reel_jack *j);
uint32_t reel_jack_buffer_size(const reel_jack *j);
bool reel_jack_connected(const reel_jack *j);

/* Physical capture ports (e.g. system:capture_*) for a default source;
 * fills up to `max` names into `names` (each REEL_JACK_PORT_MAX). */
#define REEL_JACK_PORT_MAX 320
size_t reel_jack_physical_capture(reel_jack *j, bool midi, char (*names)[REEL_JACK_PORT_MAX],
                                  size_t max);

/* An audio stream: registers `channels` input ports "<prefix>_1".. (the
 * prefix made unique on the client with "-2", "-3"...) and, if `sources` is
 * given, connects sources[i] -> port i (and again after a reconnect). The
 * writer's stream must be audio with that channel count. Before
 * activation, or on an active client: the callback starts feeding the
 * writer at its next period. The caller keeps producing nothing into `cw`
 * from here on. */
int reel_jack_add_audio(reel_jack *j, const char *prefix, uint32_t channels,
                        const char *const *sources, reel_chunk_writer *cw, reel_error *err);

/* A MIDI stream: one MIDI input port, optionally connected from `source`. */
int reel_jack_add_midi(reel_jack *j, const char *port_name, const char *source,
                       reel_chunk_writer *cw, reel_error *err);

/* Take a stream off: once the realtime side has let go of `cw` (waited for,
 * bounded), finishes the writer on this thread and unregisters its ports.
 * REEL_ENOENT if `cw` is not on the client. REEL_ESTATE if the realtime
 * side could not be made to let go: the stream stays (reel_jack_close
 * finishes it) and the caller must not touch `cw`. */
int reel_jack_remove(reel_jack *j, reel_chunk_writer *cw, reel_error *err);

/* Activate (with or without streams yet). */
int reel_jack_activate(reel_jack *j, reel_error *err);

void reel_jack_get_stats(const reel_jack *j, reel_jack_stats *s);

/* Deactivate and close; calls reel_cw_finish on every writer still on it. */
void reel_jack_close(reel_jack *j);

/* ---- one client per process and server ---- */

/* Make `j` the client that reel_jack_shared_acquire hands out for its
 * server. */
void reel_jack_share(reel_jack *j);
/* Stop handing `j` out and wait until every user released it. */
void reel_jack_unshare(reel_jack *j);
/* The shared client of `server` (NULL: the default), or NULL if none. */
reel_jack *reel_jack_shared_acquire(const char *server);
void reel_jack_shared_release(reel_jack *j);

/* ---- what other users of the client need ---- */

/* The server's frame time now (an estimate between periods). */
uint32_t reel_jack_frame_time(reel_jack *j);
/* Connect `src` to `dst` (full port names). */
int reel_jack_connect(reel_jack *j, const char *src, const char *dst, reel_error *err);
/* Is `port` an input (`input`) of MIDI type? REEL_ENOENT if there is no such
 * port, REEL_EINVAL if it is not. */
int reel_jack_check_port(reel_jack *j, const char *port, bool input, bool midi, reel_error *err);
/* A port's latency range (JACK's own report; capture: from the physical
 * inputs to it, else from it to the physical outputs). */
int reel_jack_port_latency(reel_jack *j, const char *port, bool capture, uint32_t range[2],
                           reel_error *err);

/* Is input `port` fed by an output port of this same client (a loop inside
 * the client: what a period writes, the next period reads)? REEL_ENOENT
 * if there is no such port. */
int reel_jack_port_fed_by_self(reel_jack *j, const char *port, bool *own, reel_error *err);

/* ---- MIDI outputs ---- */

typedef struct reel_jack_out reel_jack_out;

/* A MIDI output port "<name>" (made unique on the client), on an active
 * client; its buffer is cleared every period until a schedule plays. */
int reel_jack_out_add(reel_jack *j, const char *name, reel_jack_out **out, reel_error *err);
const char *reel_jack_out_port_name(const reel_jack_out *o); /* "client:name" */
/* Play `s` (initialized, fed by the caller; it must outlive the output). */
void reel_jack_out_play(reel_jack_out *o, reel_midi_sched *s);
/* False once the server went away (the port is gone). */
bool reel_jack_out_alive(const reel_jack_out *o);
/* xruns on the client since the output was added. */
uint64_t reel_jack_out_xruns(const reel_jack_out *o);
/* Take it off (waits for the realtime side), unregister, free. False if
 * the realtime side could not be made to let go in time: then the schedule
 * it played must be left alive (leaked) by the caller. */
bool reel_jack_out_remove(reel_jack *j, reel_jack_out *o);

/* ---- controller ports (the mapping layer's MIDI in and feedback out) ---- */

typedef struct reel_jack_ctl reel_jack_ctl;

/* A MIDI input "<name>_in" and output "<name>_out" (made unique), on an
 * active client: what arrives at the input is read with
 * reel_jack_ctl_recv, stamped with its device frame; reel_jack_ctl_send
 * queues a message for the output's next period. */
int reel_jack_ctl_add(reel_jack *j, const char *name, reel_jack_ctl **out, reel_error *err);
const char *reel_jack_ctl_in_name(const reel_jack_ctl *c);  /* "client:<name>_in" */
const char *reel_jack_ctl_out_name(const reel_jack_ctl *c); /* "client:<name>_out" */
/* One message received (false: none waiting). Single consumer. */
bool reel_jack_ctl_recv(reel_jack_ctl *c, reel_jack_ctl_msg *m);
/* Queue 1 to 3 bytes for the output; false if the queue is full. Single producer. */
bool reel_jack_ctl_send(reel_jack_ctl *c, const uint8_t *data, uint8_t len);
/* Messages received, dropped (the queue was full) and sent so far. */
void reel_jack_ctl_counts(const reel_jack_ctl *c, uint64_t *in, uint64_t *dropped, uint64_t *out);
/* False once the server went away (the ports are gone). */
bool reel_jack_ctl_alive(const reel_jack_ctl *c);
/* Take it off (waits for the realtime side), unregister, free. */
bool reel_jack_ctl_remove(reel_jack *j, reel_jack_ctl *c);

/* ---- graph players (rt/graph_player.h) ---- */

typedef struct reel_jack_player reel_jack_player;

/* Audio output ports "<name>_1".."<name>_N" (N: player->channels) fed by
 * `player` every period, on an active client. `player` (realtime memory,
 * reel_rt_alloc) must outlive the JACK player; its plans are the caller's. */
int reel_jack_player_add(reel_jack *j, const char *name, reel_player *player,
                         reel_jack_player **out, reel_error *err);
const char *reel_jack_player_port_name(const reel_jack_player *p, uint32_t ch);
/* False once the server went away (the ports are gone). */
bool reel_jack_player_alive(const reel_jack_player *p);
/* Take it off (waits for the realtime side), unregister, free. False if
 * the realtime side could not be made to let go in time: then the player
 * (and its plans) must be left alive by the caller. */
bool reel_jack_player_remove(reel_jack *j, reel_jack_player *p);

#endif
