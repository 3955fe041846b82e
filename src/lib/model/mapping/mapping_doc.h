/*
 * mapping_doc.h — controller mappings (DESIGN.md section 10, seed 003's
 * Controller Layer): what a mapping document says, what a controller
 * message means to it, and the transform from a controller's position to
 * a target's value and back (for feedback). Pure: no devices, no graph.
 *
 * A mapping is an object of a project document's "mappings":
 *   {"id",
 *    "input": {"midi": "cc"|"note"|"program"|"bend"|"nrpn",
 *              "channel": 1..16 (absent: any), "number": ...}
 *             | {"osc": "/an/address"},
 *    "target": "<node>:<param>" | "clip:<id>:gain",
 *    or instead "action": "scene_next"|"scene_previous"|"transport_play"|
 *                "transport_stop"|"transport_toggle"|"record_arm"|"marker",
 *       with "lane": "<lane id>" for record_arm,
 *    "transform": {"min", "max", "curve", "deadzone", "smoothing",
 *                  "quantize", "invert"},
 *    "pickup": bool, "feedback": bool (default true),
 *    "port": "<JACK MIDI output to connect to control_in>",
 *    "feedback_to": "osc.udp://host:port/" (OSC inputs; default: the sender)}
 * `number` is the controller (cc, 0..127), the key (note, 0..127), the
 * program that fires (program; absent: any program, its number the
 * value), or the parameter (nrpn, 0..16383); bend has none.
 *
 * A message's position x in [0, 1]: cc value / 127; note velocity / 127
 * (note off: 0; on is a touch, off its release); program / 127; bend
 * (14 bits) / 16383; nrpn data (CC 6 MSB, then CC 38 LSB: each one a
 * position, the MSB alone read as MSB << 7) / 16383; OSC: the number sent,
 * clamped to [0, 1].
 *
 * Transform, in this order (d deadzone, n quantize steps):
 *   invert       x = 1 - x
 *   deadzone     x = clamp((x - d) / (1 - 2d), 0, 1)   (both ends snap)
 *   curve        linear y = x; exponential y = (10^(2x) - 1) / 99;
 *                logarithmic y = log10(1 + 9x); s_curve y = (1 - cos(pi x)) / 2
 *   quantize     y = round(y (n - 1)) / (n - 1)        (n >= 2; 0: none)
 *   scale        value = min + y (max - min)   (min, max absent: the target's range)
 *   smoothing    the value is reached by a linear ramp of `smoothing` seconds
 * Feedback runs it backwards (quantize aside), from the target's value to
 * the controller's position.
 *
 * Actions fire on a press: a position going from below 0.5 to 0.5 or above
 * (a note on, a CC reaching 64, a button's OSC 1); a program change always
 * fires.
 *
 * Owns: the document's rules and the arithmetic. Must never: accept a
 * mapping it cannot carry out, or return a value outside [min, max].
 */
#ifndef REEL_MODEL_MAPPING_DOC_H
#define REEL_MODEL_MAPPING_DOC_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REEL_MAPPING_ID_MAX 64
#define REEL_MAPPING_TARGET_MAX 200
#define REEL_MAPPING_ADDR_MAX 128

typedef enum reel_map_kind {
    REEL_MAP_CC = 0,
    REEL_MAP_NOTE,
    REEL_MAP_PROGRAM,
    REEL_MAP_BEND,
    REEL_MAP_NRPN,
    REEL_MAP_OSC,
} reel_map_kind;

typedef enum reel_map_action {
    REEL_MAP_PARAM = 0, /* the target is a parameter */
    REEL_MAP_SCENE_NEXT,
    REEL_MAP_SCENE_PREVIOUS,
    REEL_MAP_TRANSPORT_PLAY,
    REEL_MAP_TRANSPORT_STOP,
    REEL_MAP_TRANSPORT_TOGGLE,
    REEL_MAP_RECORD_ARM,
    REEL_MAP_MARKER,
} reel_map_action;

typedef enum reel_map_curve {
    REEL_MAP_LINEAR = 0,
    REEL_MAP_EXPONENTIAL,
    REEL_MAP_LOGARITHMIC,
    REEL_MAP_S_CURVE,
} reel_map_curve;

typedef struct reel_mapping {
    char id[REEL_MAPPING_ID_MAX];
    reel_map_kind kind;
    int channel; /* 0..15; -1 any */
    int number;  /* -1: none / any */
    char address[REEL_MAPPING_ADDR_MAX];
    reel_map_action action;
    char target[REEL_MAPPING_TARGET_MAX]; /* a parameter; record_arm: the lane */
    bool has_min, has_max;
    double min, max;
    reel_map_curve curve;
    double deadzone;  /* 0..0.45 */
    double smoothing; /* seconds, 0..10 */
    int quantize;     /* 0 or 2..1024 */
    bool invert, pickup, feedback;
    char feedback_to[160]; /* OSC inputs: where feedback goes ("": the sender) */
} reel_mapping;

/* What one controller message says. */
typedef struct reel_map_msg {
    reel_map_kind kind;
    int channel; /* 0..15 (MIDI) */
    int number;  /* cc, key, program, nrpn parameter; -1 bend */
    double x;    /* position in [0, 1] */
    int touch;   /* 1 held (note on), 0 released (note off), -1 not said */
} reel_map_msg;

/* Per-channel NRPN selection (CC 99 / 98) and data MSB, between messages. */
typedef struct reel_map_midi_state {
    int nrpn_param[16];
    int nrpn_msb[16];
} reel_map_midi_state;

/* The document `doc` as a mapping (every field checked, one error naming
 * the first wrong one). `id` may be absent (then empty). */
int reel_mapping_parse(json_t *doc, reel_mapping *m, reel_error *err);

/* The document's optional "id" into out ("" when absent); `what` names the
 * document in the error. */
int reel_mapping_id_parse(json_t *doc, char out[REEL_MAPPING_ID_MAX], const char *what,
                          reel_error *err);

/* Only the output half ("target" or "action" with "lane", "transform"):
 * a widget's targets (widget_doc.h). */
int reel_mapping_parse_output(json_t *doc, reel_mapping *m, reel_error *err);

void reel_map_midi_state_init(reel_map_midi_state *st);
/* One MIDI message (1 to 3 bytes) as a controller message; false for
 * messages no mapping can take (clock, an NRPN selection, ...). */
bool reel_map_midi_decode(reel_map_midi_state *st, const uint8_t *d, size_t n, reel_map_msg *out);
/* Does `msg` drive `m`? (OSC: compare the address yourself.) */
bool reel_mapping_matches(const reel_mapping *m, const reel_map_msg *msg);
/* The input a message gives a mapping learned from it (mapping_learn):
 * writes "input" into `doc`. */
void reel_mapping_input_json(const reel_map_msg *msg, json_t *doc);

/* Position -> value over [lo, hi] (the mapping's min / max when it has them). */
double reel_mapping_value(const reel_mapping *m, double x, double lo, double hi);
/* Value -> position (feedback). */
double reel_mapping_position(const reel_mapping *m, double v, double lo, double hi);
/* The MIDI bytes that show position x on the controller (feedback): up to
 * four messages (NRPN), 3 bytes each; returns the byte count (0: none,
 * for program changes and OSC). */
size_t reel_mapping_feedback_midi(const reel_mapping *m, double x, uint8_t out[12]);

#endif
