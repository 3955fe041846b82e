/*
 * mapping_live.h — controller mappings at work (DESIGN.md section 10, seed
 * 003's Controller Layer): the transport's controller ports on the one
 * JACK client ("<client>:control_in", "<client>:control_out"), what comes
 * in through them or over OSC turned into parameter changes and actions,
 * and feedback to the controller.
 *
 * The realtime side only copies messages, stamped with their device frame,
 * into a ring (rt/jack_rt.h, reel_jack_rt_ctl). A dispatcher thread takes
 * them every millisecond: each message is decoded (mapping_doc.h), matched
 * against the mappings of the project the transport plays (loaded at play
 * and after each mapping edit), and applied through the ops, never around
 * them: a parameter by automation_schedule (with the device frame, so an
 * armed lane records it at the position played when it arrived; applied
 * at the next period; smoothing is a ramp), an action by scene_recall
 * (the head's scenes in order), transport_play / transport_stop,
 * record_arm (a press toggles the lane's arming) or marker (the moment on
 * the recording, as /reel/marker).
 *
 * Rate limits (a flood is counted, never a stall): the ring drops what
 * finds it full (counted by the realtime side); within one millisecond
 * only the last position of each mapping is applied (the others counted
 * as coalesced), so no mapping changes more than 1000 times a second;
 * feedback is sent at most 50 times a second per mapping.
 *
 * Feedback: every 20 ms the dispatcher reads the current values of the
 * mapped parameters (param_values); a value that moved by other means than
 * this controller (automation, a scene, another surface) goes back as the
 * position (the transform run backwards): MIDI to control_out, OSC to the
 * address the mapping's last message came from. Pickup (controllers
 * without motors): after such a move, the controller's messages are held
 * (counted) until its position crosses the parameter's value.
 *
 * Learn: the next MIDI message decoded (not applied) binds: mapping_learn
 * waits for it.
 *
 * Owns: the controller ports, the dispatcher thread, each mapping's live
 * state. Must never: call an op while holding its lock (the ops take the
 * transport's lock, which is taken before this one), or block the
 * realtime side.
 */
#ifndef REEL_RENDER_MAPPING_LIVE_H
#define REEL_RENDER_MAPPING_LIVE_H

#include "core/op.h"
#include "io/jack_backend.h"
#include "model/mapping/mapping_doc.h"

#include <jansson.h>

typedef struct reel_map_live reel_map_live;

int reel_map_live_new(reel_service *s, reel_map_live **out, reel_error *err);
/* Stops the dispatcher; the ports must be detached already. */
void reel_map_live_free(reel_map_live *m);
/* Stop the dispatcher thread (before the service goes; not holding the
 * transport's lock). */
void reel_map_live_stop(reel_map_live *m);

/* The controller ports on client `j` (made once per client) and the
 * dispatcher (started once). */
int reel_map_live_attach(reel_map_live *m, reel_jack *j, reel_error *err);
/* Are the ports there? */
bool reel_map_live_attached(reel_map_live *m);
/* The client goes away: the ports go with it. */
void reel_map_live_detach(reel_map_live *m);
/* Is `port` a MIDI output on the attached client's server? */
int reel_map_live_check_port(reel_map_live *m, const char *port, reel_error *err);

/* The mappings of `project` (its document `doc`'s "mappings" and "scenes")
 * in force from now; mappings with a "port" get it connected to
 * control_in. */
void reel_map_live_load(reel_map_live *m, const char *project, json_t *doc);
/* The project whose mappings are in force ("" none). */
void reel_map_live_project(reel_map_live *m, char *out, size_t n);

/* One OSC message for the mappings: `address` with position `x`; `reply`
 * the sender's URL for feedback (NULL: none). *applied: mappings driven. */
int reel_map_live_osc(reel_map_live *m, const char *address, double x, int touch,
                      const char *reply, int *applied, reel_error *err);
/* One MIDI message (1 to 3 bytes) as if it came in on control_in now. */
int reel_map_live_midi(reel_map_live *m, const uint8_t *d, size_t n, reel_error *err);

/* Wait up to `timeout_s` for the next MIDI message and describe it as a
 * mapping's "input" (*input, new reference). REEL_ESTATE when none came;
 * REEL_ECONFLICT if a learn is under way. */
int reel_map_live_learn(reel_map_live *m, double timeout_s, json_t **input, reel_error *err);

/* Carry out action `a` (a mapping's or a widget's target) on `project` now,
 * through the ops (counted with the mappings' actions). Not under the
 * transport's lock. */
void reel_map_live_fire(reel_map_live *m, const reel_mapping *a, const char *project);

/* Ports and counters, for transport_state. */
json_t *reel_map_live_state(reel_map_live *m);

#endif
