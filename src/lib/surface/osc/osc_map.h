/*
 * osc_map.h — OSC packets to service op calls, without sockets: splitting
 * a packet (a message or a bundle of them) and mapping one message's
 * address and arguments to an op name and its JSON arguments. Kept apart
 * from the server so that it can be fuzzed with raw packets.
 *
 * Address space (DESIGN.md section 6, seed 002's recorder plus /reel/...):
 *   /record/start [filename:s]   -> record_start {filename}
 *   /record/stop                 -> record_stop {}
 *   /record/status               -> record_status {}
 *   /reel/grab [seconds:i|h|f|d] [stream:s] -> grab {seconds, stream}
 *   /reel/session/create [mode:s]            -> session_create {mode}
 *   /reel/session/play [id:s]    -> session_play {id}  (no id: the last
 *   /reel/session/stop [id:s]    -> session_stop {id}   session created)
 *   /reel/marker [name:s] [stream:s]         -> marker {name, stream}
 *   /reel/param/<node>/<param> value:N [touch:N]
 *   /reel/param/clip/<id>/gain value:N [touch:N]
 *                                -> automation_schedule {target, value, touch}
 *   /reel/scene/recall project:s scene:s [mode:s] [time:N] -> scene_recall
 *   /reel/scene/push project:s scene:s      -> scene_push
 *   /reel/scene/pop                          -> scene_pop
 *   any other address (not under /reel/ or /record/) value:N [touch:N]
 *                                -> mapping_input {osc, value, touch}: a
 *                                   controller's, for the mappings
 * Strings may also come as symbols ('S').
 *
 * Owns: nothing beyond the JSON it returns. Must never: read past the
 * packet, or accept an argument of the wrong type or count.
 */
#ifndef REEL_OSC_MAP_H
#define REEL_OSC_MAP_H

#include "core/error.h"

#include <jansson.h>
#include <lo/lo.h>

#define REEL_OSC_OP_MAX 32

typedef struct reel_osc_call {
    char op[REEL_OSC_OP_MAX];
    json_t *args; /* new reference, owned by the caller */
} reel_osc_call;

/* Map a message. `last_session` (NULL or "": none) is the id used for
 * /reel/session/play|stop without one. Unknown address: REEL_ENOENT;
 * wrong argument count or type: REEL_EINVAL, naming the argument. */
int reel_osc_map(const char *path, const char *types, lo_arg **argv, int argc,
                 const char *last_session, reel_osc_call *out, reel_error *err);

/* Call fn for every message in a packet (bundles unpacked, nested ones
 * too, up to a small depth; time tags are ignored: everything runs at
 * once). fn gets the message's bytes. A malformed packet or element:
 * REEL_EINVAL, after the messages before it were handed out. */
typedef void (*reel_osc_message_fn)(void *ud, void *msg, size_t len);
int reel_osc_packet_split(void *data, size_t len, reel_osc_message_fn fn, void *ud,
                          reel_error *err);

/* The automation target of a parameter's OSC address: /reel/param/<node>/<param>
 * -> "<node>:<param>", /reel/param/clip/<id>/gain -> "clip:<id>:gain"
 * (REEL_ENOENT naming the form wanted otherwise). */
int reel_osc_param_target(const char *path, char *target, size_t n, reel_error *err);

#endif
