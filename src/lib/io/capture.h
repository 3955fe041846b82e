/*
 * capture.h — one running producer for one stream, named by a source spec.
 *
 * The engine's view of devices: `tone[:FREQ]`, `file:PATH`, `alsa[:DEVICE]`
 * (source.h, a producer thread each) and `jack[:PORT,...]`,
 * `jack-midi[:PORT]` (jack_backend.h: streams of the one JACK client the
 * caller passes, `jack`, each joining and leaving it while it runs; without
 * one, a client of the stream's own). The control plane
 * uses reel_capture_define to turn a spec into a stream definition before
 * anything records; the definition's device_identity is a spec again, which
 * the engine opens with reel_capture_start.
 *
 * Owns: spec parsing and defaults (stream URI, chunk size, the physical
 * JACK ports), the producer it starts. Must never: touch the store.
 */
#ifndef REEL_CAPTURE_H
#define REEL_CAPTURE_H

#include "rt/chunk_writer.h"
#include "io/jack_backend.h"
#include "io/source.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct reel_capture_opts {
    const char *jack_server;  /* NULL: the default server */
    reel_jack *jack;          /* the realtime context JACK streams join; NULL: their own */
    reel_source_opts source;  /* tone, file, alsa: rate, channels, format, seconds, fast;
                                 JACK: seconds (a set length) */
    uint64_t chunk_bytes;     /* 0: chunk_frames, else 4 MiB of whole frames (MIDI 512 KiB) */
    uint64_t chunk_frames;
} reel_capture_opts;

/* True for `jack`, `jack:...`, `jack-midi`, `jack-midi:...`. */
bool reel_capture_is_jack(const char *spec);

/* The URI a spec records into when none is given: stream://tone/main,
 * stream://file/<basename>, stream://alsa/main, stream://jack/main,
 * stream://jack/midi. */
void reel_capture_default_uri(const char *spec, char *out, size_t len);

/* The JACK ports of `jack[:A,B,...]` / `jack-midi[:PORT]`: the listed ones,
 * or the server's physical capture ports. *ports (REEL_JACK_PORT_MAX bytes
 * each) is allocated here and owned by the caller (free); for MIDI without a
 * port, one empty name (leave the port unconnected). */
int reel_capture_jack_ports(reel_jack *jk, const char *spec, char (**ports)[REEL_JACK_PORT_MAX],
                            uint32_t *n, reel_error *err);

/* Fill def (all but a URI already set) from `spec`: format fields, chunk
 * size, device_identity, and def->uri if empty. JACK specs ask the server
 * for its rate and ports (REEL_EDEVICE if none runs). */
int reel_capture_define(const char *spec, const reel_capture_opts *o, reel_stream_def *def,
                        reel_error *err);

typedef struct reel_capture reel_capture;

/* Open def->device_identity and start feeding `cw`. The device must still
 * match the definition (rate, channel count): REEL_EDEVICE otherwise. On
 * failure the writer has been finished (its final report is queued). */
int reel_capture_start(reel_capture **out, const reel_stream_def *def,
                       const reel_capture_opts *o, reel_chunk_writer *cw, reel_error *err);

/* True once the producer ended by itself (end of file, --seconds), or a
 * JACK stream took its set length (--seconds: reel_cw_set_end). */
bool reel_capture_done(const reel_capture *c);

/* Frames the device skipped for this capture and that were written as
 * zeros (JACK periods the server skipped); 0 for the other sources. */
uint64_t reel_capture_dropped_frames(const reel_capture *c);

/* Stop the producer (which finishes the writer exactly once) and free c.
 * Returns the producer's error, if it had one. REEL_ESTATE: a JACK context
 * could not be made to let go of the writer; it finishes it when it closes,
 * and the caller must not touch or destroy the writer before that. */
int reel_capture_stop(reel_capture *c, reel_error *err);

#endif
