/*
 * recorder.h — the control-plane side of recording one stream.
 *
 * Owns: the stream's registry row and definition artifact, the live
 * manifest, and the lifecycle of its staging chunks: create, size, map and
 * pre-fault them ahead of need, seal full ones at their exact length, keep
 * the manifest (atomically replaced) and the clock snapshots, and publish
 * the head position about every 100 ms. Must never: run on the realtime
 * thread, or report a chunk sealed before it and its directory are fsynced.
 *
 * Resuming: recording a URI that already exists continues that stream (its
 * frame positions go on; the pause is recorded as a gap). A stream left
 * "recording" by a process that died is recovered first: its staging
 * chunks are sealed up to the last head position the manifest recorded.
 * A recorder holds its stream's lock and the shared recorders lock
 * (store_lock.h) from open to close.
 */
#ifndef REEL_RECORDER_H
#define REEL_RECORDER_H

#include "rt/chunk_writer.h"
#include "store/retention.h"
#include "media/moment_detect.h"
#include "store/moment_table.h"
#include "store/store.h"
#include "capture/moment_watch.h"

typedef struct reel_recorder reel_recorder;

typedef struct reel_recorder_status {
    uint64_t frames;      /* head */
    uint64_t chunks;      /* chunks held */
    uint64_t sealed;      /* chunks sealed by this recorder */
    uint64_t bytes;
    uint64_t events;
    uint64_t xruns, overrun_frames, overrun_events;
    uint64_t dropped;     /* chunks retention dropped since the stream began */
    uint64_t moments, moments_lost; /* triggered capture: stored, not stored */
    uint64_t midi_clock_ticks; /* MIDI: clock pulses read back from the records (all of
                                * this recording's, once it is closed) */
} reel_recorder_status;

int reel_recorder_open(reel_recorder **out, reel_store *st, const reel_stream_def *def,
                       reel_error *err);

/* The chunk writer as the recorder sees it. The default (reel_recorder_open)
 * is a writer in this process; the control plane passes a proxy for a writer
 * in the engine, reached over the protocol (control.c). Calls come from the
 * recorder's control thread and its preparer thread (offer, ready_count):
 * an implementation must be safe for both. `offer` receives the chunk's
 * staging id too, so a proxy can name the file to the engine. */
typedef struct reel_chunk_port {
    void *ctx;
    bool (*offer)(void *ctx, const reel_chunk_slot *slot, const reel_hash *staging_id);
    size_t (*ready_count)(void *ctx);
    bool (*next_event)(void *ctx, reel_cw_event *ev);
    void (*read_head)(void *ctx, reel_cw_head *head);
    /* After the final CHUNK_FULL: take back chunks offered but never used. */
    bool (*reclaim)(void *ctx, reel_chunk_slot *slot);
} reel_chunk_port;

int reel_recorder_open_port(reel_recorder **out, reel_store *st, const reel_stream_def *def,
                            const reel_chunk_port *port, reel_error *err);

/* The writer the producer (engine callback, file or tone thread) feeds;
 * NULL for a recorder opened with a port. */
reel_chunk_writer *reel_recorder_writer(reel_recorder *r);

/* The definition recorded (a resumed stream keeps its chunk size). */
const reel_stream_def *reel_recorder_def(const reel_recorder *r);

/* The stream position this recording starts at (0, or the end of the
 * earlier recording of a resumed stream). */
uint64_t reel_recorder_start_frame(const reel_recorder *r);

/* Keep only what `policy` allows (retention.h): applied after every seal
 * and at close. A copy is kept; an unset policy keeps everything. */
void reel_recorder_set_retention(reel_recorder *r, const reel_retention *policy);
/* Triggered capture (moment_watch.h): detect moments in what is written
 * and store them, calling fn (may be NULL) for each. On by default with
 * reel_trigger_opts_default; NULL or both kinds off turns it off. */
int reel_recorder_set_trigger(reel_recorder *r, const reel_trigger_opts *o, reel_moment_fn fn,
                              void *ud, reel_error *err);

/* One control step: handle writer events (seal, prepare), and every ~100 ms
 * write the head position into the live manifest. Call often (~10 ms). */
int reel_recorder_poll(reel_recorder *r, reel_error *err);

void reel_recorder_get_status(const reel_recorder *r, reel_recorder_status *s);

/* A full store is not a failure of the stream: chunks are tried again
 * every 200 ms, and the frames that find no chunk meanwhile become silence
 * (overrun frames: the timeline stays true to time). Each change is told
 * once: REEL_RECORDER_NOTICE_FULL (msg: the store's error, naming the
 * staging file) or REEL_RECORDER_NOTICE_RESUMED; 0 when nothing changed
 * since the last call. Control thread. */
enum { REEL_RECORDER_NOTICE_FULL = 1, REEL_RECORDER_NOTICE_RESUMED = 2 };
int reel_recorder_take_notice(reel_recorder *r, reel_error *msg);

/* MIDI: the MIDI clock pulses (0xF8) among this recording's events before
 * stream frame `frame`, exactly: read back from the records the heads
 * named (so up to ~100 ms behind the writer). *any: whether any pulse was
 * read at all. REEL_ESTATE: the head has not passed `frame` yet (poll and
 * ask again); REEL_ERANGE: more than REEL_RECORDER_TICKS_KEPT pulses came
 * since `frame`; REEL_EINVAL: not a MIDI stream. Control thread. */
#define REEL_RECORDER_TICKS_KEPT 4096
int reel_recorder_midi_ticks_before(const reel_recorder *r, uint64_t frame, uint64_t *ticks,
                                    bool *any, reel_error *err);

/* The live meters (moment_watch.h): per-channel peak and RMS of the frames
 * the watch read during the last head interval (~100 ms). True once per
 * interval with new frames; false for MIDI. On the control thread. */
bool reel_recorder_levels(reel_recorder *r, reel_levels *out);

/* After the producer called reel_cw_finish: seal the last chunk at its exact
 * length, seal the manifest into content, mark the stream stopped. Frees r
 * in every case. */
int reel_recorder_close(reel_recorder *r, reel_error *err);
/* The same, and *final (if not NULL) is the status after the last seal:
 * the chunks the sealed manifest holds, the head, the moments including
 * one still being measured when the stream ended. Filled in every case. */
int reel_recorder_close_status(reel_recorder *r, reel_recorder_status *final, reel_error *err);

/* Seal the staging chunks of a stream whose recorder died (manifest says
 * "recording", no process holds its stream lock) and mark it stopped.
 * REEL_ESTATE if a live recorder holds the stream (store_lock.h); a
 * stopped stream is left alone. */
int reel_recorder_recover(reel_store *st, const char *uri, reel_error *err);

#endif
