/*
 * chunk_writer.h — the realtime side of recording a stream.
 *
 * The engine's process callback hands frames (or MIDI events) to a chunk
 * writer, which copies them into a staging chunk's memory that the control
 * side prepared (allocated, faulted in, locked) beforehand. When the chunk
 * is full the writer switches to the next prepared chunk in the same call,
 * so no frame is lost at rotation, and reports through a lock-free ring.
 *
 * Two sides, two threads:
 *   control side: reel_cw_create/destroy, reel_cw_offer, reel_cw_next_event,
 *                 reel_cw_read_head, reel_cw_reclaim
 *   realtime side: reel_cw_set_clock, reel_cw_write*, reel_cw_advance,
 *                  reel_cw_owe_silence, reel_cw_note_xrun, reel_cw_note_gap
 *   the producer, off the realtime thread: reel_cw_finish
 * Must never (realtime side): allocate, lock, make a system call, touch a
 * page that was not faulted in, or do more than a bounded amount of work
 * per call.
 *
 * Owed silence. Frames that had nowhere to go (no chunk was ready: an
 * internal overrun) and frames the device side owes (periods JACK skipped,
 * the time between a lost server and the first period after a reconnect,
 * reel_cw_owe_silence) become silence on the timeline, so positions stay
 * true to time. The writer places owed silence at once, leaving its range
 * in the chunks to be zeroed, and writes the frames that follow after it;
 * each later call zeroes at most REEL_CW_CATCHUP times its own frames
 * (rt_limits.h). A chunk is reported full, and the head moves past a range,
 * only once every byte before it is written. The head counts what is owed
 * and what of it is still to be written. Only when no chunk is ready at all
 * do later frames become owed silence too (an overrun, counted).
 *
 * Events are never dropped uncounted: an event that finds the ring and the
 * backlog full is counted in the head (events_lost); the recorder fails on
 * any.
 *
 * What a write fault on a file-backed shared mapping costs the realtime
 * thread (measured by tests/unit/test_rt_mem.c, ext4, this project's 2-core
 * VM, kernel 6.18): writing a page of a MAP_SHARED staging file after the
 * kernel wrote it back (a sync anywhere, or just the periodic writeback of
 * pages dirty for 30 s, vm.dirty_expire_centisecs) takes a write fault into
 * the filesystem (page_mkwrite, the journal): 4 KiB cost 3.7-3.9 us median,
 * 5-19 us p99 and 14-22 ms worst case, against 0.32 us into a dirty page;
 * at 64 channels a 256-frame period is 16 pages. Pre-faulting does not
 * prevent it: a pre-faulted page that waits more than ~30 s to be written
 * was measured to fault (3 chunks ahead is 65 s of stereo f32 at 4 MiB, so
 * in steady state every page of such a chunk would). So the memory a writer
 * writes is never the staging file's own mapping: it is anonymous, locked
 * memory (reel_rt_alloc) that the control side copies into the staging
 * file as the head moves (chunk_map.h), off the realtime thread; the
 * jack_rt test asserts zero faults on one run.
 */
#ifndef REEL_CHUNK_WRITER_H
#define REEL_CHUNK_WRITER_H

#include "rt/midi_record.h"
#include "rt/ring.h"
#include "core/stream_def.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One prepared staging chunk. */
typedef struct reel_chunk_slot {
    uint8_t *base;   /* read-write memory, faulted in (its bytes need not be zero) */
    size_t capacity; /* bytes; for audio a multiple of the frame size */
    uint32_t tag;    /* the control plane's name for this chunk */
} reel_chunk_slot;

typedef enum reel_cw_event_type {
    REEL_CW_CHUNK_STARTED = 1, /* writing began in chunk `tag` at first_frame */
    REEL_CW_CHUNK_FULL = 2,    /* chunk `tag` is done: bytes/frames final */
    REEL_CW_OVERRUN = 3,       /* no chunk was ready: `count` frames or events */
    REEL_CW_XRUN = 4,          /* the device reported an xrun */
    REEL_CW_GAP = 5,           /* the device went away (silence follows) or changed */
    REEL_CW_HEAD = 6,          /* a remote writer reported its head: fold it in now */
} reel_cw_event_type;

typedef struct reel_cw_event {
    uint32_t type;
    uint32_t tag;
    uint64_t bytes;       /* CHUNK_FULL: bytes written into the chunk */
    uint64_t frames;      /* CHUNK_FULL: frames (audio) or events (MIDI) */
    uint64_t first_frame; /* stream position of the chunk's first frame */
    uint64_t end_frame;   /* CHUNK_FULL: position where it ends (exclusive) */
    uint64_t count;       /* OVERRUN / XRUN */
    int64_t mono_ns;      /* clock at first_frame (CHUNK_STARTED) or now */
    int64_t wall_ns;
    uint64_t device_frame;
    uint32_t final; /* CHUNK_FULL from reel_cw_finish: the stream ended */
} reel_cw_event;

/* Where the writer is; read consistently with reel_cw_read_head. */
typedef struct reel_cw_head {
    uint64_t frames;       /* stream frames committed to chunks (audio) / frame clock (MIDI) */
    uint64_t events;       /* MIDI events written */
    uint32_t tag;          /* current chunk, or UINT32_MAX if none */
    uint64_t chunk_bytes;  /* bytes written in the current chunk */
    uint64_t chunk_frames; /* frames / events in the current chunk */
    int64_t mono_ns;       /* clock of the last reel_cw_set_clock */
    int64_t wall_ns;
    uint64_t device_frame;
    uint64_t clock_frame;  /* stream position that clock refers to */
    uint64_t overrun_frames;
    uint64_t overrun_events;
    uint64_t xruns;
    uint64_t owed_frames;     /* silence owed by the device side (reel_cw_owe_silence) */
    uint64_t silence_pending; /* owed or overrun silence not written yet */
    uint64_t events_lost;     /* events neither the ring nor the backlog had room for */
    uint64_t midi_clock_ticks; /* MIDI: clock pulses (0xF8 bytes) in the events written */
} reel_cw_head;

typedef struct reel_chunk_writer reel_chunk_writer;

/* Control side. `ready_slots`: how many prepared chunks can wait (>= 2). */
int reel_cw_create(reel_chunk_writer **out, const reel_stream_def *def, uint64_t start_frame,
                   size_t ready_slots, reel_error *err);
void reel_cw_destroy(reel_chunk_writer *cw);
bool reel_cw_offer(reel_chunk_writer *cw, const reel_chunk_slot *slot);
size_t reel_cw_ready_count(const reel_chunk_writer *cw);
bool reel_cw_next_event(reel_chunk_writer *cw, reel_cw_event *ev);
void reel_cw_read_head(const reel_chunk_writer *cw, reel_cw_head *head);
/* After reel_cw_finish: take back prepared chunks that were never used. */
bool reel_cw_reclaim(reel_chunk_writer *cw, reel_chunk_slot *slot);
bool reel_cw_finished(const reel_chunk_writer *cw);

/* Realtime side. */
/* The clocks at the current stream position (call once per period, before
 * writing it): monotonic and wall ns, and the device's frame clock. */
void reel_cw_set_clock(reel_chunk_writer *cw, int64_t mono_ns, int64_t wall_ns,
                       uint64_t device_frame);
/* Audio, interleaved in the stream's own sample format. */
void reel_cw_write(reel_chunk_writer *cw, const void *frames, size_t n);
/* Audio, one float buffer per channel (JACK); converted to the stream's format. */
void reel_cw_write_planar_f32(reel_chunk_writer *cw, const float *const *chans, size_t n);
/* MIDI: one event at `offset` frames past the current position. Every 0xF8
 * byte in an event written counts as a MIDI clock pulse (head's
 * midi_clock_ticks): a status byte that can stand alone or sit inside
 * another message (a realtime byte may interleave anywhere, and no data
 * byte is >= 0x80). */
bool reel_cw_write_midi(reel_chunk_writer *cw, uint32_t offset, const uint8_t *data,
                        uint32_t len);
/* MIDI streams: move the frame clock on by a period. */
void reel_cw_advance(reel_chunk_writer *cw, size_t n);
/* `n` frames of silence before whatever is written next (audio: written
 * over the following calls, a bounded amount each; MIDI: the frame clock
 * moves on). O(1). */
void reel_cw_owe_silence(reel_chunk_writer *cw, uint64_t n);
void reel_cw_note_xrun(reel_chunk_writer *cw);
/* `n` xruns at once (one event with count = n). */
void reel_cw_note_xruns(reel_chunk_writer *cw, uint64_t n);
/* The device went away or changed (counted as a gap in the manifest). */
void reel_cw_note_gap(reel_chunk_writer *cw);
/* Frames (audio) that can be written now without an overrun: the rest of
 * the current chunk plus the chunks waiting. Producers that may wait (file
 * ingest with --fast) use it for back-pressure; a device callback cannot. */
size_t reel_cw_room(reel_chunk_writer *cw);
/* A set length, for a recording of a given duration on a device clock: the
 * stream ends `frames` frames after the writer's position (0: no end). No
 * frame, owed silence or MIDI event past it is taken, so streams on one
 * clock given one length end with the same frame count. Call before the
 * writer is handed to its producer. */
void reel_cw_set_end(reel_chunk_writer *cw, uint64_t frames);
/* True once the writer took its last frame before the set end (acquire):
 * the producer's owner then removes it and finishes it. */
bool reel_cw_at_end(const reel_chunk_writer *cw);
/* End of stream: writes what is still owed (as far as chunks are ready),
 * reports every chunk in flight and the last as CHUNK_FULL with final = 1.
 * Not bounded: the producer calls it off the realtime thread, once it has
 * stopped producing. A second call does nothing. */
void reel_cw_finish(reel_chunk_writer *cw);

#endif
