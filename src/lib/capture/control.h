/*
 * control.h — the control-plane role: recorders for an engine elsewhere.
 *
 * The control plane binds the command endpoint (ROUTER) and the events
 * endpoint (SUB) of wire.h and waits for an engine. When one says READY it
 * starts every stream it was given: a recorder each (recorder.h) whose
 * chunk port is a proxy for the engine's writer: the chunks the recorder
 * prepares go out as StreamStart/StreamSwitchChunk, the engine's
 * StreamChunkFull and StreamHeadPosition come back as the writer events and
 * head the recorder already understands. Events are republished, one frame
 * each, on an optional PUB endpoint for subscribers.
 *
 * Staying up: an engine that says nothing for engine_timeout_ns (it sends a
 * heartbeat every 250 ms) is gone. Its streams are sealed at the last head
 * position it reported (so at most ~100 ms of audio is lost) and stopped;
 * when an engine connects again they resume at the same URI, the pause a
 * gap on their timeline.
 *
 * Owns: the sockets it binds, one recorder per running stream. Must never:
 * block on the engine (every wait is a poll with a timeout), or touch a
 * chunk's bytes while the engine may write them except to seal.
 */
#ifndef REEL_CONTROL_H
#define REEL_CONTROL_H

#include "protocol/capnp_codec.h"
#include "capture/recorder.h"

#include <stdbool.h>

typedef struct reel_control_opts {
    const char *engine;        /* command endpoint to bind; events at its derived endpoint */
    const char *publish;       /* PUB endpoint for subscribers to bind, or NULL */
    void *zmq_context;         /* NULL: one of its own (reel_control_zmq_context) */
    int64_t engine_timeout_ns; /* 0: 1.5 s */
    /* Optional, called on the control thread: every event from the engine
     * (after the recorders saw it). The lines for a person (engine
     * connected or lost, a stream ended or failed) go to on_log when it is
     * set (tests, embedders), else to core/log.h, module "control"; never
     * both. */
    void (*on_event)(void *ud, const reel_msg_event *ev);
    void (*on_log)(void *ud, const char *line);
    /* Informational lines off (engine connected, a source that ended), and
     * a stream's failure only kept for reel_control_stream_get, not said:
     * for a caller that reports the outcome itself (`reel record`). */
    bool quiet;
    /* Optional, on the control thread: each moment a stream's trigger
     * stored (moment_watch.h). */
    void (*on_moment)(void *ud, const reel_db_moment *m);
    /* Optional, on the control thread: an audio stream's meters, about every
     * 100 ms while it records (reel_recorder_levels). `lv` is borrowed. */
    void (*on_levels)(void *ud, const char *uri, uint32_t rate, const reel_levels *lv);
    void *ud;
    /* Optional retention per stream URI (the caller keeps it alive). */
    const reel_retention_rules *retention;
} reel_control_opts;

typedef struct reel_control reel_control;

int reel_control_open(reel_control **out, reel_store *st, const reel_control_opts *o,
                      reel_error *err);

/* The ZMQ context, for an engine in the same process (inproc://). */
void *reel_control_zmq_context(reel_control *c);

/* Record `def` whenever an engine is connected (at once if one is).
 * REEL_EEXIST if this control plane knows the URI already, REEL_ESTATE
 * (naming the process) if another process records it. */
int reel_control_add_stream(reel_control *c, const reel_stream_def *def, reel_error *err);

/* What triggers moments on stream `uri` (added already): NULL turns
 * detection off; without a call, reel_trigger_opts_default. Applies now and
 * to every later (re)start of the stream. */
int reel_control_set_trigger(reel_control *c, const char *uri, const reel_trigger_opts *o,
                             reel_error *err);

/* One step: wait up to timeout_ms for messages, handle them, send the
 * chunks the recorders prepared, seal what is full, check the engine. A
 * stream whose recorder fails (the store could not seal, save or allocate)
 * is stopped and its failure kept (reel_control_stream_get); the other
 * streams go on. */
int reel_control_poll(reel_control *c, int timeout_ms, reel_error *err);

bool reel_control_engine_connected(const reel_control *c);

/* One stream at a time, for sessions and the stream_* ops. A stream
 * stopped on request (or defined and never started) is *parked*: it keeps
 * its slot and counts as active (serve stays up), and can start again,
 * continuing its timeline. */

/* Know `def` without recording it yet. REEL_EEXIST if the URI is known. */
int reel_control_define_stream(reel_control *c, const reel_stream_def *def, reel_error *err);
/* Record `uri`: a parked stream starts again; an unknown one is added from
 * `def` (NULL: REEL_ENOENT). REEL_EEXIST if it records already here,
 * REEL_ESTATE if another process records it. */
int reel_control_start_stream(reel_control *c, const char *uri, const reel_stream_def *def,
                              reel_error *err);
/* Ask the engine to stop `uri` and return at once: its last chunk comes
 * back through reel_control_poll, which seals it and ends the stream (not
 * parked: it no longer counts as active). REEL_ENOENT unknown,
 * REEL_ESTATE not recording. */
int reel_control_request_stop(reel_control *c, const char *uri, reel_error *err);

/* Stop one stream: StreamStop to the engine, wait up to timeout_ns for its
 * last chunk (else end it at the last head), seal that chunk and the
 * manifest, park it. REEL_ENOENT unknown, REEL_ESTATE not recording. */
int reel_control_stop_stream(reel_control *c, const char *uri, int64_t timeout_ns,
                             reel_error *err);

typedef struct reel_control_stream_info {
    reel_stream_def def;
    bool recording;     /* a recorder runs (or waits for an engine to start it) */
    bool have_head;     /* the engine reported a head since this recording began */
    reel_cw_head head;  /* the newest head: clocks at head.clock_frame */
    uint64_t start_frame; /* where this recording began */
    uint64_t chunks;    /* chunks in the manifest (the last is being written) */
    bool started;       /* the engine acknowledged this recording's StreamStart */
    uint64_t gaps;      /* device gaps the engine reported in this recording */
    /* Why the last recording failed (cannot record, the engine refused it,
     * the producer failed, sealing failed); code 0: it did not. */
    int error_code;
    char error[REEL_ERROR_MSG_MAX];
    /* The last recording's status after its last seal (chunks held, head,
     * counters), once it is over. */
    bool have_final;
    reel_recorder_status final;
} reel_control_stream_info;

/* The newest the control plane knows of `uri` (heads arrive every ~100 ms).
 * REEL_ENOENT for a stream it does not know. */
int reel_control_stream_get(reel_control *c, const char *uri, reel_control_stream_info *out,
                             reel_error *err);

/* MIDI stream `uri`: the MIDI clock pulses among this recording's events
 * before stream frame `frame` (reel_recorder_midi_ticks_before), polling
 * up to timeout_ns for the engine's head to pass it. *any: whether any
 * pulse arrived yet. REEL_ESTATE: not recording, or still not recorded
 * that far after timeout_ns. */
int reel_control_midi_ticks_at(reel_control *c, const char *uri, uint64_t frame,
                               int64_t timeout_ns, uint64_t *ticks, bool *any, reel_error *err);

/* Streams still to record, recording or parked (not ended by their
 * producer). */
int reel_control_active_streams(const reel_control *c);

/* Stop every stream (StreamStop to the engine, wait for its last chunks up
 * to timeout_ns, else seal at the last head), seal everything. */
int reel_control_stop(reel_control *c, int64_t timeout_ns, reel_error *err);

void reel_control_close(reel_control *c);

#endif
