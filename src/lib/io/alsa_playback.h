/*
 * alsa_playback.h — playback without JACK (seed 004's backend fallback;
 * DESIGN.md section 9): a graph player (rt/graph_player.h) driven by a
 * period thread writing to an ALSA PCM (the "default" device, or any name
 * ALSA knows: a "file" plugin writes what was played to a file).
 *
 * The thread runs the player one period at a time into float buffers,
 * interleaves them and writes them to the device as 32-bit float
 * (snd_pcm_writei blocks until the device takes them, which is the pace);
 * it asks for SCHED_FIFO where permitted. The device frame clock is the
 * count of frames written. An underrun (EPIPE) is recovered and counted.
 *
 * Owns: the PCM and the thread. Must never: allocate or lock in the period
 * loop (the buffers are made before it starts), or outlive its player.
 */
#ifndef REEL_IO_ALSA_PLAYBACK_H
#define REEL_IO_ALSA_PLAYBACK_H

#include "rt/graph_player.h"

typedef struct reel_alsa_player reel_alsa_player;

/* Open `device` at `rate` with player->channels channels and periods of
 * `period` frames, and start the thread playing `player`. */
int reel_alsa_player_open(const char *device, uint32_t rate, uint32_t period, reel_player *player,
                          reel_alsa_player **out, reel_error *err);
/* Stop the thread (the player is let go of when this returns), drain and
 * close the device. */
void reel_alsa_player_close(reel_alsa_player *a);
const char *reel_alsa_player_device(const reel_alsa_player *a);
uint64_t reel_alsa_player_underruns(const reel_alsa_player *a);
bool reel_alsa_player_realtime(const reel_alsa_player *a); /* SCHED_FIFO granted */

#endif
