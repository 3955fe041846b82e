/*
 * rt_limits.h — every capacity of the realtime side, in one place, with the
 * relations between them checked at compile time.
 *
 * The realtime thread works in memory allocated before it runs, so each of
 * these is a hard limit: what does not fit is refused off the realtime
 * thread (a stream too many, a chunk too many) or, on the realtime thread,
 * counted (an overrun, a lost event) and never silently dropped.
 *
 * Owns: the numbers. Must never: be redefined elsewhere (engine.c,
 * recorder.c, chunk_writer.c and jack_backend.c include this).
 */
#ifndef REEL_RT_LIMITS_H
#define REEL_RT_LIMITS_H

/* ---- one realtime context (one JACK client) ---- */
#define REEL_RT_STREAMS_MAX 64        /* capture streams one context carries */
#define REEL_RT_OUTS_MAX 8            /* MIDI outputs one context carries */
#define REEL_RT_PLAYERS_MAX 8         /* graph players (transports) one context carries */
#define REEL_RT_CTLS_MAX 2            /* controller port pairs one context carries */
#define REEL_RT_CTL_RING 1024         /* controller messages buffered each way */
#define REEL_RT_CTL_OUT_PER_PERIOD 64 /* feedback messages written per period at most */
#define REEL_RT_CMD_QUEUE 256         /* command queue slots (control -> realtime) */
#define REEL_RT_CMDS_PER_PERIOD 16    /* commands applied per period at most */
#define REEL_RT_CMD_WAIT_NS 5000000000LL /* a command not applied by then is an error */
#define REEL_JACK_ZERO_FRAMES 8192    /* the shared zero buffer: the longest JACK period */

/* ---- one chunk writer ---- */
#define REEL_CW_EVENT_RING 4096       /* writer -> control events */
#define REEL_CW_BACKLOG 256           /* events held back while that ring is full */
#define REEL_CW_INFLIGHT_MAX 64       /* chunks taken and not yet reported full */
#define REEL_CW_HOLES_MAX 16          /* ranges of owed silence still to be zeroed */
/* Owed silence written per write call: at most REEL_CW_CATCHUP times the
 * frames of that call, and at least REEL_CW_CATCHUP_MIN frames, so a debt
 * is paid back at (CATCHUP - 1) times real time and a period never costs
 * more than (1 + CATCHUP) times its own copy. */
#define REEL_CW_CATCHUP 8
#define REEL_CW_CATCHUP_MIN 1024

/* ---- chunks prepared ahead ---- */
#define REEL_RECORDER_READY_MIN 3     /* the recorder keeps at least this many ready */
#define REEL_RECORDER_READY_MAX 64    /* and at most this many */
#define REEL_ENGINE_STREAMS_MAX 64    /* streams one engine records */
#define REEL_ENGINE_READY_SLOTS 72    /* a writer's ready ring in the engine */
#define REEL_ENGINE_CHUNKS_MAX 80     /* chunks one engine stream maps at once */

/* ---- MIDI out ---- */
#define REEL_MIDI_SEND_RING 1024      /* scheduled events handed ahead to the realtime side */

#define REEL_RT_IS_POW2(x) ((x) > 0 && ((x) & ((x) - 1)) == 0)

_Static_assert(REEL_RT_IS_POW2(REEL_RT_CMD_QUEUE), "the command ring is a power of two");
_Static_assert(REEL_RT_IS_POW2(REEL_CW_EVENT_RING), "the event ring is a power of two");
_Static_assert(REEL_RT_IS_POW2(REEL_MIDI_SEND_RING), "the MIDI send ring is a power of two");
_Static_assert(REEL_RT_IS_POW2(REEL_CW_BACKLOG) && REEL_RT_IS_POW2(REEL_CW_INFLIGHT_MAX) &&
                   REEL_RT_IS_POW2(REEL_CW_HOLES_MAX),
               "the writer's small rings are powers of two (masks, not divisions)");
_Static_assert(REEL_RT_CMDS_PER_PERIOD <= REEL_RT_CMD_QUEUE, "a period drains at most a queue");
_Static_assert(REEL_ENGINE_STREAMS_MAX <= REEL_RT_STREAMS_MAX,
               "every stream of an engine fits one realtime context");
/* The recorder offers up to READY_MAX + 1 chunks (ready plus the one being
 * filled) through the engine: they must fit the writer's ready ring, and
 * the engine must be able to map all of them plus the one being filled. */
_Static_assert(REEL_RECORDER_READY_MAX + 1 <= REEL_ENGINE_READY_SLOTS,
               "the engine's ready ring holds what the recorder prepares");
_Static_assert(REEL_ENGINE_READY_SLOTS + 1 <= REEL_ENGINE_CHUNKS_MAX,
               "the engine maps its ready chunks plus the one in use");
_Static_assert(REEL_RECORDER_READY_MIN >= 2 && REEL_RECORDER_READY_MIN <= REEL_RECORDER_READY_MAX,
               "at least two chunks ready: the next is ready before the current is full");
/* Owed silence is placed into chunks taken from the ready ring; a writer
 * can hold every chunk the recorder prepares in flight at once. */
_Static_assert(REEL_CW_INFLIGHT_MAX >= REEL_RECORDER_READY_MAX,
               "a writer can hold every prepared chunk while it zeroes owed silence");
/* One call emits at most a start and an end per chunk in flight plus a few
 * counters' events: while the ring is full, the backlog holds them all. */
_Static_assert(REEL_CW_BACKLOG >= 2 * REEL_CW_INFLIGHT_MAX + 8,
               "the backlog holds the events of one call that crosses every chunk in flight");
_Static_assert(REEL_CW_CATCHUP >= 2, "a debt must shrink: catch-up faster than real time");
_Static_assert(REEL_JACK_ZERO_FRAMES >= 8192, "the zero buffer covers the longest JACK period (jack2: 8192)");

#endif
